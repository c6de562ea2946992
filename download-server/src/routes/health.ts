import type { Handler } from 'hono'
import type { DownloadEnv } from '../http/download-env.js'
import { Refusal } from '../http/refusal.js'
import type { UsedTokenStore } from '../stores/used-token-store.js'

/**
 * `GET /healthz`: 200 when this server can serve a download (keys loaded, used-token store
 * answering), 503 otherwise. The store's own timeout keeps the answer within a second.
 */
export function healthRoute(deps: { store: UsedTokenStore; keyCount: number }): Handler<DownloadEnv> {
  return async (c) => {
    c.set('route', '/healthz')
    if (deps.keyCount === 0) throw new Refusal('STORE_UNAVAILABLE')
    try {
      await deps.store.ping()
    } catch (cause) {
      throw new Refusal('STORE_UNAVAILABLE', { cause })
    }
    return c.json({ status: 'ok' }, 200, { 'cache-control': 'no-store' })
  }
}
