import { Router } from 'express'
import type { Request, Response } from 'express'
import type { Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { APP_ERRORS, AppError } from '../errors.js'
import type { CsrfProtection } from '../security/csrf-protection.js'
import { passwordCheckRateLimit } from '../security/login-rate-limits.js'
import type { LoginLimits } from '../security/login-rate-limits.js'
import { currentUser, requireUser } from '../sessions/current-user.js'
import { regenerateSession, saveSession } from '../sessions/session-middleware.js'
import type { SessionStore } from '../sessions/session-store.js'
import { sessionHandle } from '../sessions/session-store.js'
import type { AccountService } from '../users/account-service.js'
import { SessionsPage } from '../views/sessions-page.js'
import { field, pageContext, sendPage } from './page.js'

export interface AccountRoutesDeps {
  accounts: AccountService
  sessions: SessionStore
  csrf: CsrfProtection
  sessionTTLSeconds: number
  /** The per-account budget of failed sign-ins applies to current-password checks too. */
  loginLimits: LoginLimits
  rateLimitStore?: (name: string) => Store
  clock: () => Date
  logger: Logger
}

const HANDLE = /^[A-Za-z0-9_-]{43}$/

/** The account page: change password, list sessions, end one or all others. */
export function accountRoutes(deps: AccountRoutesDeps): Router {
  const router = Router()
  router.use('/account', requireUser)

  const page = async (req: Request, res: Response, status: number, error?: string): Promise<void> => {
    const ctx = pageContext(req, res, deps.csrf)
    if (error) ctx.flash = { kind: 'error', text: error }
    const sessions = await deps.sessions.listByUser(currentUser(res).id)
    await sendPage(res, status, <SessionsPage ctx={ctx} sessions={sessions} currentHandle={sessionHandle(req.sessionID)} />)
  }

  router.get('/account', (_req, res) => res.redirect(303, '/account/sessions'))
  router.get('/account/sessions', (req, res) => page(req, res, 200))

  const passwordChecks = passwordCheckRateLimit({
    limits: deps.loginLimits,
    ...(deps.rateLimitStore ? { store: deps.rateLimitStore } : {}),
    onLimited: async (req, res) => {
      const spec = APP_ERRORS.PASSWORD_CHECKS_LIMITED
      await page(req, res, spec.status, `${spec.title}. ${spec.hint}`)
    },
    logger: deps.logger,
  })

  router.post('/account/password', passwordChecks, async (req, res) => {
    const user = currentUser(res)
    let change: Awaited<ReturnType<AccountService['preparePasswordChange']>>
    try {
      change = await deps.accounts.preparePasswordChange(user, field(req, 'current_password'), field(req, 'new_password'))
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const spec = APP_ERRORS[err.code]
      return page(req, res, spec.status, `${spec.title}. ${spec.hint}`)
    }
    // This device stays signed in, under a new id stamped with the change; every other ends.
    const userAgent = req.session.userAgent ?? ''
    await regenerateSession(req)
    req.session.userId = user.id
    req.session.authAt = change.changedAt.getTime()
    req.session.lastSeenAt = deps.clock().getTime()
    req.session.userAgent = userAgent
    req.session.cookie.maxAge = deps.sessionTTLSeconds * 1000
    req.session.flash = { kind: 'ok', text: 'Password changed. Every other device was signed out.' }
    await saveSession(req)
    await deps.accounts.commitPasswordChange(user.id, change, req.sessionID)
    res.redirect(303, '/account/sessions')
  })

  router.post('/account/sessions/revoke-others', async (req, res) => {
    const n = await deps.accounts.endOtherSessions(currentUser(res).id, req.sessionID)
    req.session.flash = { kind: 'ok', text: n === 1 ? 'Signed out 1 other session.' : `Signed out ${n} other sessions.` }
    res.redirect(303, '/account/sessions')
  })

  router.post('/account/sessions/:handle/revoke', async (req, res) => {
    const handle = String(req.params.handle)
    if (!HANDLE.test(handle)) throw new AppError('NOT_FOUND')
    if (handle === sessionHandle(req.sessionID)) throw new AppError('BAD_REQUEST', 'use Sign out for this session')
    if (!(await deps.accounts.endSession(currentUser(res).id, handle))) throw new AppError('NOT_FOUND')
    req.session.flash = { kind: 'ok', text: 'That session was signed out.' }
    res.redirect(303, '/account/sessions')
  })

  return router
}
