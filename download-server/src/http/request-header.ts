import type { Context } from 'hono'
import type { DownloadEnv } from './download-env.js'

/**
 * A request header's value, read from Node's `IncomingMessage` when there is one. Hono's
 * `c.req.header()` goes through `c.req.raw.headers`, and @hono/node-server builds a whole web
 * `Request` (a `Headers` copy of every header) the first time anything touches it: ~15 µs per
 * download for the two or three headers read here. Node joins repeated headers with ", " as
 * `Headers.get` does, so the value is the same either way.
 */
export function requestHeader(c: Context<DownloadEnv>, name: Lowercase<string>): string | undefined {
  const incoming = (c.env as Partial<DownloadEnv['Bindings']> | undefined)?.incoming
  if (incoming === undefined) return c.req.header(name)
  const value = incoming.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}
