import { Router } from 'express'
import type { Request, Response } from 'express'
import type { Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { APP_ERRORS } from '../errors.js'
import type { AppErrorCode } from '../errors.js'
import type { CsrfProtection } from '../security/csrf-protection.js'
import { loginRateLimits } from '../security/login-rate-limits.js'
import type { LoginLimits } from '../security/login-rate-limits.js'
import type { SessionEndReason } from '../sessions/current-user.js'
import { endSession, regenerateSession, saveSession } from '../sessions/session-middleware.js'
import type { SessionCookie } from '../sessions/session-middleware.js'
import type { AccountService } from '../users/account-service.js'
import { LoginPage } from '../views/login-page.js'
import { field, pageContext, sendPage } from './page.js'

const ENDED: Record<SessionEndReason, string> = {
  banned: 'You were signed out: this account is suspended.',
  password_changed: 'You were signed out because the password was changed. Please sign in again.',
  account_gone: 'You were signed out. Please sign in again.',
}

export interface AuthRoutesDeps {
  accounts: AccountService
  csrf: CsrfProtection
  cookie: SessionCookie
  sessionTTLSeconds: number
  loginLimits: LoginLimits
  /** Keys the per-account sign-in counter (an HMAC of the typed name). */
  loginLimitSecret: string
  rateLimitStore?: (name: string) => Store
  clock: () => Date
  logger: Logger
}

/** GET/POST /login, POST /logout. */
export function authRoutes(deps: AuthRoutesDeps): Router {
  const router = Router()

  const loginPage = async (req: Request, res: Response, status: number, message?: string): Promise<void> => {
    const ctx = pageContext(req, res, deps.csrf, { forms: true })
    if (message) ctx.flash = { kind: 'error', text: message }
    await sendPage(res, status, <LoginPage ctx={ctx} username={field(req, 'username').slice(0, 64)} />)
  }
  const refuse = (req: Request, res: Response, code: AppErrorCode): Promise<void> => {
    const spec = APP_ERRORS[code]
    return loginPage(req, res, spec.status, `${spec.title}. ${spec.hint}`)
  }

  router.get('/login', async (req, res) => {
    if (res.locals.user) return res.redirect(303, '/files')
    const reason = req.query.ended
    // Own keys only: `?ended=constructor` must not find Object's.
    const ended = typeof reason === 'string' && Object.hasOwn(ENDED, reason) ? ENDED[reason as SessionEndReason] : undefined
    await loginPage(req, res, 200, ended)
  })

  router.post(
    '/login',
    ...loginRateLimits({
      limits: deps.loginLimits,
      secret: deps.loginLimitSecret,
      ...(deps.rateLimitStore ? { store: deps.rateLimitStore } : {}),
      onLimited: async (req, res) => refuse(req, res, 'RATE_LIMITED'),
      logger: deps.logger,
    }),
    async (req, res) => {
      const result = await deps.accounts.signIn(field(req, 'username').trim(), field(req, 'password'))
      if (!result.ok) return refuse(req, res, result.code)
      // Signed in already (a second tab's sign-in form): that session ends here, as at sign-out.
      const previous = res.locals.user?.id
      // A new id on sign-in: an id planted before (session fixation) is destroyed here.
      await regenerateSession(req)
      if (previous !== undefined) await deps.accounts.signedOut(previous)
      const now = deps.clock().getTime()
      req.session.userId = result.user.id
      req.session.authAt = now
      req.session.lastSeenAt = now
      req.session.userAgent = (req.get('user-agent') ?? '').slice(0, 256)
      req.session.cookie.maxAge = deps.sessionTTLSeconds * 1000
      await saveSession(req)
      // The password (or the ban) changed while it was being checked: this session, saved after
      // the change ended the user's sessions, must not outlive it. One saved before, the change ended.
      if (!deps.accounts.isUnchanged(result.user)) {
        await regenerateSession(req)
        return refuse(req, res, 'LOGIN_FAILED')
      }
      res.redirect(303, '/files')
    },
  )

  router.post('/logout', async (req, res) => {
    const userId = res.locals.user?.id
    await endSession(req, res, deps.cookie)
    if (userId !== undefined) await deps.accounts.signedOut(userId)
    res.redirect(303, '/login')
  })

  return router
}
