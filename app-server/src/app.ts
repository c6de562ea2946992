import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express from 'express'
import type { Express } from 'express'
import type { Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import type { FileService } from './files/file-service.js'
import { requestLogger } from './logging/request-logger.js'
import { accountRoutes } from './routes/account-routes.js'
import { adminRoutes } from './routes/admin-routes.js'
import { authRoutes } from './routes/auth-routes.js'
import { errorHandler, notFound } from './routes/error-handler.js'
import { fileRoutes } from './routes/file-routes.js'
import type { LinkFates } from './revocation/link-fates.js'
import { createCsrfProtection } from './security/csrf-protection.js'
import { DEFAULT_LOGIN_LIMITS } from './security/login-rate-limits.js'
import type { LoginLimits } from './security/login-rate-limits.js'
import { securityHeaders } from './security/security-headers.js'
import { loadCurrentUser } from './sessions/current-user.js'
import { sessionCookie, sessionMiddleware, trackSessionActivity } from './sessions/session-middleware.js'
import type { SessionStore } from './sessions/session-store.js'
import type { AccountService } from './users/account-service.js'
import type { UserRepository } from './users/user-repository.js'
// One process's registry, or a cluster's sums (the download server's type, nothing download-specific).
import type { MetricsSource } from '../../download-server/src/routes/metrics.js'

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public')

export interface AppDeps {
  logger: Logger
  clock: () => Date
  users: UserRepository
  accounts: AccountService
  files: FileService
  sessionStore: SessionStore
  /** Newest first, as express-session wants them. */
  sessionSecrets: string[]
  /** Secure `__Host-` cookie, HSTS and upgrade-insecure-requests: the browser reaches us over HTTPS. */
  https: boolean
  trustProxy: false | number | string
  sessionTTLSeconds: number
  uploadMaxBytes: number
  /** TOKEN_LIFETIME_SECONDS, shown on the files page. */
  linkLifetimeSeconds: number
  incomingDir: string
  loginLimits?: LoginLimits
  /** A shared store per limiter (Redis when sessions are on Redis); in memory otherwise. */
  rateLimitStore?: (name: string) => Store
  /** Link fates on the files page (revocation/link-fates.ts). */
  linkFates?: LinkFates
  /** APP_METRICS=on: served at GET /metrics. */
  metrics?: MetricsSource
}



/** The app server's Express application. Never listens: `startAppServer` does. */
export function createApp(deps: AppDeps): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', deps.trustProxy)

  const csrf = createCsrfProtection()
  const cookie = sessionCookie({ secure: deps.https })

  app.use(requestLogger(deps.logger))
  app.use(securityHeaders({ https: deps.https }))
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' })
  })
  const metrics = deps.metrics
  if (metrics) {
    app.get('/metrics', async (_req, res) => {
      res.set('Cache-Control', 'no-store')
      let text: string
      try {
        text = await metrics.text()
      } catch {
        // A cluster's primary that does not answer: a scrape to retry, not a server error.
        return void res.status(503).type('text/plain').send('metrics unavailable\n')
      }
      res.type(metrics.contentType).send(text)
    })
  }
  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h', fallthrough: true }))
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }))
  app.use(sessionMiddleware({ store: deps.sessionStore, secrets: deps.sessionSecrets, cookie }))
  app.use(trackSessionActivity({ clock: deps.clock }))
  app.use(csrf.middleware)
  app.use(loadCurrentUser({ users: deps.users, clock: deps.clock, logger: deps.logger }))

  app.get('/', (_req, res) => res.redirect(303, res.locals.user ? '/files' : '/login'))
  app.use(
    authRoutes({
      accounts: deps.accounts,
      csrf,
      cookie,
      sessionTTLSeconds: deps.sessionTTLSeconds,
      loginLimits: deps.loginLimits ?? DEFAULT_LOGIN_LIMITS,
      loginLimitSecret: deps.sessionSecrets[0] ?? '',
      ...(deps.rateLimitStore ? { rateLimitStore: deps.rateLimitStore } : {}),
      clock: deps.clock,
      logger: deps.logger,
    }),
  )
  app.use(
    fileRoutes({
      files: deps.files,
      users: deps.users,
      csrf,
      incomingDir: deps.incomingDir,
      uploadMaxBytes: deps.uploadMaxBytes,
      linkLifetimeSeconds: deps.linkLifetimeSeconds,
      ...(deps.linkFates ? { linkFates: deps.linkFates } : {}),
    }),
  )
  app.use(
    accountRoutes({
      accounts: deps.accounts,
      sessions: deps.sessionStore,
      csrf,
      sessionTTLSeconds: deps.sessionTTLSeconds,
      loginLimits: deps.loginLimits ?? DEFAULT_LOGIN_LIMITS,
      ...(deps.rateLimitStore ? { rateLimitStore: deps.rateLimitStore } : {}),
      clock: deps.clock,
      logger: deps.logger,
    }),
  )
  app.use(adminRoutes({ accounts: deps.accounts, users: deps.users, csrf }))

  app.use(notFound)
  app.use(errorHandler({ csrf, logger: deps.logger }))
  return app
}
