import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { MiddlewareHandler } from 'hono'
import fs from 'node:fs'
import { BufferPool } from '../files/buffer-pool.js'
import { CHUNK_SIZE, sendFile, type SendFileResult } from '../files/send-file.js'
import type { DownloadMetrics } from '../metrics.js'
import type { DownloadEnv } from './download-env.js'

/**
 * Writes the file a route left in `pendingFile` straight to Node's response (see send-file.ts),
 * once every inner middleware is done: the status is the route's Hono response's, the headers
 * are `pendingFile.headers` on top of the security headers already set on Node's response
 * (security-headers.ts), so that a GET sends exactly the headers a HEAD gets. The pending file's
 * `onFinished` is called exactly once, however the response ended, so a claimed delivery is
 * always completed or released.
 */
export function fileDelivery(deps: { metrics: DownloadMetrics }): MiddlewareHandler<DownloadEnv> {
  // Enough for a few large downloads at a time; more running at once allocate their own.
  const buffers = new BufferPool({ size: CHUNK_SIZE, keep: 16 })
  return async (c, next) => {
    await next()
    const pending = c.get('pendingFile')
    if (pending === undefined) return
    let result: SendFileResult = { bytesSent: 0, completed: false }
    try {
      if (c.res.status >= 300) {
        // Something after the route turned the answer into a refusal: the file is not sent.
        fs.closeSync(pending.fd)
        return
      }
      deps.metrics.deliveriesInFlight.inc()
      result = await sendFile(c.env.outgoing, pending.fd, {
        status: c.res.status as 200 | 206,
        headers: pending.headers,
        start: pending.start,
        end: pending.end,
        signal: pending.signal,
        idleTimeoutMs: pending.idleTimeoutMs,
        beforeLastByte: pending.beforeLastByte,
        buffers,
      }).finally(() => deps.metrics.deliveriesInFlight.dec())
      deps.metrics.bytesSent.inc(result.bytesSent)
      c.set('delivery', { status: c.res.status, bytesSent: result.bytesSent, completed: result.completed })
      if (!result.completed) c.set('outcome', 'interrupted')
      c.res = RESPONSE_ALREADY_SENT
    } finally {
      await pending.onFinished(result)
    }
  }
}
