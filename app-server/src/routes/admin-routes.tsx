import { Router } from 'express'
import { AppError } from '../errors.js'
import type { CsrfProtection } from '../security/csrf-protection.js'
import { currentUser, requireAdmin } from '../sessions/current-user.js'
import type { AccountService } from '../users/account-service.js'
import type { UserRepository } from '../users/user-repository.js'
import { AdminUsersPage } from '../views/admin-users-page.js'
import { pageContext, sendPage } from './page.js'

export interface AdminRoutesDeps {
  accounts: AccountService
  users: UserRepository
  csrf: CsrfProtection
}

const USER_ID = /^[1-9][0-9]{0,14}$/

/** /admin/users: list, ban, unban. Admins only; anyone else gets 404. */
export function adminRoutes(deps: AdminRoutesDeps): Router {
  const router = Router()
  router.use('/admin', requireAdmin)

  router.get('/admin/users', async (req, res) => {
    await sendPage(res, 200, <AdminUsersPage ctx={pageContext(req, res, deps.csrf)} users={deps.users.list()} />)
  })

  for (const action of ['ban', 'unban'] as const) {
    router.post(`/admin/users/:id/${action}`, async (req, res) => {
      const id = String(req.params.id)
      if (!USER_ID.test(id)) throw new AppError('NOT_FOUND')
      await deps.accounts[action](currentUser(res), Number(id))
      const target = deps.users.findById(Number(id))
      req.session.flash = { kind: 'ok', text: `${target?.username ?? 'User'} is ${action === 'ban' ? 'banned; their sessions have ended' : 'no longer banned'}.` }
      res.redirect(303, '/admin/users')
    })
  }

  return router
}
