import type { Logger } from 'pino'
import { ContractError } from '../../../shared/src/index.js'
import type { UsedTokenStore } from '../stores/used-token-store.js'
import type { Audit } from './audit.js'
import type { DeliveryMode } from './delivery-mode.js'
import { storeCall } from './store-call.js'

export interface SingleUseModeDeps {
  store: UsedTokenStore
  audit: Audit
  logger: Logger
  /** How long past `exp` a used id is remembered: the clock tolerance plus a second. */
  rememberPastExpiryMs: number
  /** A response whose client takes nothing for this long is cut (default 30 s, as resumable mode). */
  idleTimeoutMs?: number
}

/**
 * A client that stops reading would otherwise hold its connection and open file until the
 * server stops; the token is spent either way, so nothing is lost by cutting it.
 */
export const SINGLE_USE_IDLE_TIMEOUT_MS = 30_000

/**
 * `DL_RESUME=off` (CONTRACT §1): the first `GET` consumes the token in one atomic store call
 * before any byte is sent; every later request gets `410` (`token_revoked` for a revoked one).
 */
export function singleUseMode(deps: SingleUseModeDeps): DeliveryMode {
  const { store, audit } = deps
  return {
    async check(claims) {
      const outcome = await storeCall(() => store.getOutcome(claims.jti))
      if (outcome !== undefined) throw new ContractError(outcome.status === 'revoked' ? 'TOKEN_REVOKED' : 'TOKEN_USED')
    },

    async begin(request) {
      const { jti, file } = request.claims
      // Remembered past exp + tolerance: until then the verifier could still accept the token.
      const rememberUntil = new Date(request.claims.exp.getTime() + deps.rememberPastExpiryMs)
      const consumed = await storeCall(() => store.consume(jti, rememberUntil))
      if (consumed !== 'consumed') throw new ContractError(consumed === 'revoked' ? 'TOKEN_REVOKED' : 'TOKEN_USED')
      audit.record('delivery.claimed', { jti, file, outcome: 'single_use' })
      const includesLastByte = request.range === undefined || request.range.end === request.size - 1
      return {
        range: request.range,
        hooks: {
          idleTimeoutMs: deps.idleTimeoutMs ?? SINGLE_USE_IDLE_TIMEOUT_MS,
          async onFinished(result) {
            const completed = result.completed && includesLastByte
            const outcome = completed ? 'completed' : result.completed ? 'range_short' : result.cut === 'idle' ? 'idle' : 'client_gone'
            audit.record(completed ? 'delivery.completed' : 'delivery.interrupted', { jti, file, bytesSent: result.bytesSent, outcome })
            // Not awaited: the token is spent already, the outcome record is for the app's link
            // fates, and the request (its log line) need not wait for one more store write.
            store.recordOutcome(jti, { completed, bytes: result.bytesSent }).catch((error: unknown) => {
              // Only the outcome record is lost; the token stays used.
              deps.logger.warn({ jti, err: error instanceof Error ? { type: error.name } : {} }, 'could not record a delivery outcome')
            })
          },
        },
      }
    },
  }
}
