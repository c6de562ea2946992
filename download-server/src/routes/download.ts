import fs from 'node:fs'
import type { Context, Handler } from 'hono'
import { ContractError, TokenError, problemCode, type DownloadClaims, type TokenVerifier } from '../../../shared/src/index.js'
import type { DownloadConfig } from '../config.js'
import type { Audit } from '../delivery/audit.js'
import type { DeliveryHooks, DeliveryMode } from '../delivery/delivery-mode.js'
import { confinePath } from '../files/confine-path.js'
import { fileHeaders, fileValidators } from '../files/file-headers.js'
import { openRegularFile } from '../files/open-regular-file.js'
import { ifRangeAllows, parseRange, type RangeDecision } from '../files/range.js'
import type { DownloadEnv } from '../http/download-env.js'
import { isPrefetch } from '../http/prefetch.js'
import { Refusal } from '../http/refusal.js'
import { requestHeader } from '../http/request-header.js'
import type { DownloadMetrics } from '../metrics.js'

export interface DownloadRouteDeps {
  config: Pick<DownloadConfig, 'root'>
  verifier: TokenVerifier
  /** What a token buys: one request, or one complete (resumable) delivery. */
  mode: DeliveryMode
  audit: Audit
  metrics: Pick<DownloadMetrics, 'verifyFailures'>
  clock: () => Date
}

/**
 * `GET|HEAD /d/:token`. Every check that can refuse without spending the token comes first
 * (prefetch, signature and claims, path, file, size, range); then a `GET` spends or claims the
 * token in one atomic store call, and only a request that got it streams the file.
 */
export function downloadRoute(deps: DownloadRouteDeps): Handler<DownloadEnv, '/d/:token'> {
  return async (c) => {
    c.set('route', '/d/:token')
    let claims: DownloadClaims | undefined
    try {
      if (isPrefetch((name) => requestHeader(c, name))) throw new Refusal('PREFETCH_REFUSED')
      claims = await verify(deps, c.req.param('token'))
      c.set('jti', claims.jti)
      return await answer(deps, c, claims)
    } catch (error) {
      if (error instanceof ContractError) {
        // The jti and file only of a verified token: an unverified one's claims are anyone's words.
        deps.audit.record('token.refused', { jti: claims?.jti, file: claims?.file, outcome: problemCode(error.code) })
      }
      throw error
    }
  }
}

async function answer(deps: DownloadRouteDeps, c: Context<DownloadEnv>, claims: DownloadClaims): Promise<Response> {
  const confined = confinePath(deps.config.root, claims.file)
  if (!confined.ok) throw new Refusal(confined.code)
  const file = openRegularFile(confined.path)
  if (!file.ok) throw new Refusal(file.code)

  const headOnly = c.req.method === 'HEAD'
  const validators = fileValidators(file)
  let range: RangeDecision
  let send: { start: number; end: number } | undefined
  let hooks: DeliveryHooks | undefined
  let headers: Record<string, string>
  try {
    if (claims.size !== undefined && claims.size !== file.size) throw new Refusal('FILE_CHANGED')
    // Range is defined for GET only (RFC 9110 §14.2); HEAD describes the whole file.
    range = headOnly || !ifRangeAllows(requestHeader(c, 'if-range'), validators) ? { kind: 'full' } : parseRange(requestHeader(c, 'range'), file.size)
    if (range.kind === 'unsatisfiable') {
      throw new Refusal('RANGE_NOT_SATISFIABLE', { headers: { 'content-range': `bytes */${file.size}` } })
    }
    const asked = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined
    if (headOnly) {
      await deps.mode.check(claims)
    } else {
      const plan = await deps.mode.begin({ claims, etag: validators.etag, size: file.size, range: asked })
      send = plan.range
      hooks = plan.hooks
    }
    // Still inside the try: whatever fails from here closes the file and ends a claimed delivery.
    headers = fileHeaders({ file: claims.file, name: claims.name, size: file.size, validators, range: headOnly ? undefined : send })
  } catch (error) {
    fs.closeSync(file.fd)
    await hooks?.onFinished({ bytesSent: 0, completed: false })
    throw error
  }

  const partial = headOnly ? undefined : send
  const status = partial === undefined ? 200 : 206
  c.set('outcome', partial === undefined ? 'ok' : 'partial')
  if (hooks === undefined) {
    fs.closeSync(file.fd)
    return c.body(null, status, headers)
  }
  // The file's headers go to Node's response with its body (file-delivery.ts): building a web
  // `Headers` only to copy it back out cost more than any other header work here.
  c.set('pendingFile', { fd: file.fd, start: partial?.start ?? 0, end: partial?.end ?? file.size - 1, headers, ...hooks })
  return c.body(null, status)
}

async function verify(deps: DownloadRouteDeps, token: string): Promise<DownloadClaims> {
  try {
    const { claims } = await deps.verifier.verifyDownload(token, { now: deps.clock() })
    return claims
  } catch (error) {
    if (error instanceof TokenError) deps.metrics.verifyFailures.inc({ code: error.code })
    throw error
  }
}
