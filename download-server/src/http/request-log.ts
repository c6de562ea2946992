import { performance } from 'node:perf_hooks'
import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { DownloadMetrics } from '../metrics.js'
import type { DownloadEnv } from './download-env.js'

/**
 * One log line and one counter increment per request, after the response is over (for a file,
 * after its last byte). The line names the route, never the URL: the URL holds the token.
 */
export function requestLog(deps: { logger: Logger; metrics: DownloadMetrics }): MiddlewareHandler<DownloadEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const delivery = c.get('delivery')
    const status = delivery?.status ?? c.res.status
    const route = c.get('route') ?? 'unmatched'
    const code = c.get('outcome') ?? (status < 400 ? 'ok' : 'error')
    deps.metrics.requests.inc({ route, status, code })
    const line = {
      method: c.req.method,
      route,
      status,
      code,
      jti: c.get('jti'),
      bytes: delivery?.bytesSent,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    }
    // A refused prefetch is a 503 by design (CONTRACT §2), not trouble worth a warning.
    if (status >= 500 && code !== 'prefetch_refused') deps.logger.warn(line, 'request')
    else deps.logger.info(line, 'request')
  }
}
