import { Hono, type MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { DownloadEnv } from './download-env.js'

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>

/**
 * Hono's `secureHeaders`, worked out once instead of once per request. The headers it would add
 * to an empty response are read from one probe request to a throwaway app; from then on each
 * request gets them as Node response headers (`setHeader`) before the route runs. Node merges
 * them under the headers the response is written with, so a header the route sets itself (a
 * file's own `Content-Security-Policy`) wins, exactly as with `overwrite: false`; a file written
 * straight to Node's response gets them too.
 *
 * Per request this is a few `setHeader` calls instead of a `has` and a `set` per header on a
 * web `Headers` object, each validated again (~10 µs per request here).
 */
export function securityHeaders(options: Omit<SecureHeadersOptions, 'overwrite'>): MiddlewareHandler<DownloadEnv> {
  const library = secureHeaders({ ...options, overwrite: false })
  let fixed: ReadonlyArray<readonly [string, string]> | undefined
  const ready = probe(options).then((headers) => {
    fixed = headers
  })
  return async (c, next) => {
    const outgoing = (c.env as Partial<DownloadEnv['Bindings']> | undefined)?.outgoing
    // Outside Node (app.request in a test) there is no response to set headers on.
    if (outgoing === undefined) return library(c, next)
    if (fixed === undefined) await ready
    for (const [name, value] of fixed!) outgoing.setHeader(name, value)
    await next()
  }
}

async function probe(options: Omit<SecureHeadersOptions, 'overwrite'>): Promise<ReadonlyArray<readonly [string, string]>> {
  const app = new Hono()
  app.use(secureHeaders(options))
  app.get('/', (c) => c.body(null))
  const response = await app.request('/')
  return Object.freeze([...response.headers].map(([name, value]) => Object.freeze([name, value] as const)))
}
