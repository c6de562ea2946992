import { Hono, type Context, type Handler } from 'hono'
import type { Logger } from 'pino'
import { ContractError, problemCode, type TokenVerifier } from '../../shared/src/index.js'
import type { DownloadConfig } from './config.js'
import { createAudit } from './delivery/audit.js'
import { deliveryModeFor } from './delivery/delivery-mode-for.js'
import type { DownloadEnv } from './http/download-env.js'
import { internalErrorResponse, problemResponse } from './http/problem-response.js'
import { Refusal } from './http/refusal.js'
import { fileDelivery } from './http/file-delivery.js'
import { requestLog } from './http/request-log.js'
import { securityHeaders } from './http/security-headers.js'
import type { DownloadMetrics } from './metrics.js'
import { downloadRoute } from './routes/download.js'
import { healthRoute } from './routes/health.js'
import { metricsRoute, registryMetricsSource, type MetricsSource } from './routes/metrics.js'
import { revokeBodyLimit, revokeRoute } from './routes/revoke.js'
import type { UsedTokenStore } from './stores/used-token-store.js'
import { REFUSAL_PAGE_STYLE_HASH } from './views/refusal-page.js'

export interface DownloadAppDeps {
  config: Pick<DownloadConfig, 'root' | 'clockToleranceSeconds' | 'appURL' | 'publicKeys' | 'resume'>
  verifier: TokenVerifier
  store: UsedTokenStore
  metrics: DownloadMetrics
  logger: Logger
  clock: () => Date
  /** What `/metrics` shows; defaults to `metrics.registry` (a cluster worker passes the summed one). */
  metricsSource?: MetricsSource
  /** A response whose client takes nothing for this long is cut; default 30 s. */
  idleTimeoutMs?: number
}

/** The download server's routes (CONTRACT §2) as a Hono app. Never listens; `server.ts` does. */
export function createApp(deps: DownloadAppDeps): Hono<DownloadEnv> {
  const app = new Hono<DownloadEnv>()
  const appURL = deps.config.appURL

  app.use(requestLog(deps))
  app.use(fileDelivery(deps))
  // A header a route sets on purpose (a file's own CSP) wins; the rest is added.
  app.use(
    securityHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: [REFUSAL_PAGE_STYLE_HASH],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
    }),
  )

  const methodNotAllowed = (route: string, allow = 'GET, HEAD'): Handler<DownloadEnv> => (c) => {
    c.set('route', route)
    throw new Refusal('METHOD_NOT_ALLOWED', { headers: { allow } })
  }
  const audit = createAudit({ logger: deps.logger, registry: deps.metrics.registry })
  const mode = deliveryModeFor({ ...deps, audit })
  // Hono answers HEAD with the GET handler; each handler tells HEAD apart where it matters.
  app.get('/d/:token', downloadRoute({ ...deps, mode, audit }))
  app.all('/d/:token', methodNotAllowed('/d/:token'))
  app.post('/revoke', revokeBodyLimit({ audit }), revokeRoute({ ...deps, audit }))
  app.all('/revoke', methodNotAllowed('/revoke', 'POST'))
  app.get('/healthz', healthRoute({ store: deps.store, keyCount: deps.config.publicKeys.length }))
  app.all('/healthz', methodNotAllowed('/healthz'))
  app.get('/metrics', metricsRoute({ source: deps.metricsSource ?? registryMetricsSource(deps.metrics.registry) }))
  app.all('/metrics', methodNotAllowed('/metrics'))

  app.notFound((c) => {
    c.set('outcome', problemCode('NOT_FOUND'))
    return problemResponse(c, 'NOT_FOUND', { appURL })
  })

  app.onError((error, c) => {
    if (error instanceof ContractError) {
      c.set('outcome', problemCode(error.code))
      const headers = error instanceof Refusal ? error.headers : undefined
      return problemResponse(c, error.code, { appURL, headers })
    }
    if (clientHungUpMidRequest(c)) {
      // The client went away before its request was whole: no fault of ours and no one to answer.
      c.set('outcome', 'client_gone')
      return problemResponse(c, 'TOKEN_MALFORMED', { appURL })
    }
    c.set('outcome', 'internal_error')
    deps.logger.error({ err: describeUnexpected(error), route: c.get('route') }, 'unexpected error')
    return internalErrorResponse(c)
  })
  return app
}

/** True when reading the request failed because the client closed the connection mid-body. */
function clientHungUpMidRequest(c: Context<DownloadEnv>): boolean {
  const incoming = (c.env as Partial<DownloadEnv['Bindings']> | undefined)?.incoming
  return incoming !== undefined && !incoming.complete && incoming.destroyed
}

// Error text can quote its input; anything that looks like a token or a download URL is cut out
// before it reaches a log line.
const TOKEN_LIKE = /v\d\.(?:public|local)\.[\w-]+(?:\.[\w-]+)?|\/d\/[^\s"'`]+|eyJ[\w-]+\.[\w-]*\.?[\w-]*/g

function describeUnexpected(error: unknown): { type: string; code?: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error }
  const code = 'code' in error ? String(error.code) : undefined
  return { type: error.name, code, stack: error.stack?.replace(TOKEN_LIKE, '[redacted]') }
}
