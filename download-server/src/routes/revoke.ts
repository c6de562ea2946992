import type { Handler, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import {
  ContractError,
  MAX_DOWNLOAD_LIFETIME_SECONDS,
  MAX_REVOCATION_TOKEN_LENGTH,
  TokenError,
  problemCode,
  type RevocationClaims,
  type TokenVerifier,
} from '../../../shared/src/index.js'
import type { DownloadConfig } from '../config.js'
import type { Audit } from '../delivery/audit.js'
import { storeCall } from '../delivery/store-call.js'
import type { DownloadEnv } from '../http/download-env.js'
import { Refusal } from '../http/refusal.js'
import type { DownloadMetrics } from '../metrics.js'
import type { UsedTokenStore } from '../stores/used-token-store.js'

/** The largest body read: the longest revocation token plus room for white space around it. */
export const MAX_REVOKE_BODY_BYTES = MAX_REVOCATION_TOKEN_LENGTH + 64 * 1024

export interface RevokeRouteDeps {
  config: Pick<DownloadConfig, 'clockToleranceSeconds'>
  verifier: TokenVerifier
  store: UsedTokenStore
  audit: Audit
  metrics: Pick<DownloadMetrics, 'verifyFailures'>
  clock: () => Date
}

/** Refuses a body over `MAX_REVOKE_BODY_BYTES` with `413` before reading it all. */
export function revokeBodyLimit(deps: Pick<RevokeRouteDeps, 'audit'>): MiddlewareHandler<DownloadEnv> {
  return bodyLimit({
    maxSize: MAX_REVOKE_BODY_BYTES,
    onError: (c) => {
      c.set('route', '/revoke')
      deps.audit.record('token.refused', { outcome: problemCode('PAYLOAD_TOO_LARGE') })
      // The rest of the body is never read: the connection cannot carry another request.
      throw new Refusal('PAYLOAD_TOO_LARGE', { headers: { connection: 'close' } })
    },
  })
}

/**
 * `POST /revoke` (CONTRACT §4): the body is one revocation token (any Content-Type, white space
 * around it ignored), verified like a download token but with the implicit assertion `revoke`.
 * Its own `jti` is consumed and every listed `jti` revoked in one atomic store step; the answer
 * counts the ids that were not already used or revoked.
 */
export function revokeRoute(deps: RevokeRouteDeps): Handler<DownloadEnv> {
  const { audit, store } = deps
  const toleranceMs = deps.config.clockToleranceSeconds * 1000
  return async (c) => {
    c.set('route', '/revoke')
    let claims: RevocationClaims | undefined
    try {
      claims = await verify(deps, (await c.req.text()).trim())
      const by = claims.jti
      c.set('jti', by)
      const now = deps.clock().getTime()
      const result = await storeCall(() =>
        store.revoke(claims!.revoke, {
          // A revoked id outlives any token that could carry it: one issued now by a clock up to
          // the tolerance ahead (iat = now + tolerance) verifies until its exp plus the tolerance.
          until: new Date(now + (MAX_DOWNLOAD_LIFETIME_SECONDS * 1000 + 2 * toleranceMs + 1000)),
          consume: { jti: by, expiresAt: new Date(claims!.exp.getTime() + toleranceMs + 1000) },
        }),
      )
      if (!result.ok) throw new ContractError(result.state === 'revoked' ? 'TOKEN_REVOKED' : 'TOKEN_USED')
      const newly = new Set(result.newlyRevoked)
      for (const jti of new Set(claims.revoke)) {
        const outcome = newly.has(jti) ? 'revoked' : 'unchanged'
        audit.record('token.revoked', { jti, by, outcome })
      }
      c.set('outcome', 'ok')
      return c.json({ revoked: newly.size }, 200, { 'cache-control': 'no-store' })
    } catch (error) {
      if (error instanceof ContractError) audit.record('token.refused', { jti: claims?.jti, outcome: problemCode(error.code) })
      throw error
    }
  }
}

async function verify(deps: RevokeRouteDeps, token: string): Promise<RevocationClaims> {
  try {
    const { claims } = await deps.verifier.verifyRevocation(token, { now: deps.clock() })
    return claims
  } catch (error) {
    if (error instanceof TokenError) deps.metrics.verifyFailures.inc({ code: error.code })
    throw error
  }
}
