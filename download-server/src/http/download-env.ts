import type { HttpBindings } from '@hono/node-server'
import type { DeliveryHooks } from '../delivery/delivery-mode.js'

/** What a finished file response reports to the request log. */
export interface Delivery {
  status: number
  bytesSent: number
  completed: boolean
}

/**
 * A file a route decided to send: its status is the route's Hono response's; its headers and
 * body are written to Node's response by the file-delivery middleware, once every inner
 * middleware is done.
 */
export interface PendingFile extends DeliveryHooks {
  /** The open file's descriptor; whoever sends (or drops) the file closes it. */
  fd: number
  /** The file's own headers (file-headers.ts); the security headers are already on Node's response. */
  headers: Readonly<Record<string, string>>
  /** Inclusive byte range. */
  start: number
  end: number
}

/** Hono's environment for the download server: Node's request/response, plus per-request notes for the log. */
export interface DownloadEnv {
  Bindings: HttpBindings
  Variables: {
    /** The route's name as logged (`/d/:token`), never the URL. */
    route: string
    /** The token's id, once the token is verified. */
    jti: string
    /** The outcome code logged and counted (`ok`, `partial`, `token_used`, …). */
    outcome: string
    /** Set by a route that answers with a file (GET only). */
    pendingFile: PendingFile
    /** Set once the file response is over. */
    delivery: Delivery
  }
}
