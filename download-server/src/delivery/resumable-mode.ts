import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { ContractError, type ContractErrorCode } from '../../../shared/src/index.js'
import type { SendFileResult } from '../files/send-file.js'
import type { ClaimResult, DeliveryUpdate, UsedTokenStore } from '../stores/used-token-store.js'
import type { Audit } from './audit.js'
import type { DeliveryMode } from './delivery-mode.js'
import { keepLease } from './lease-keeper.js'
import { storeCall } from './store-call.js'

/** The longest lease CONTRACT §5 allows: a crashed server's lease must lapse within 30 s. */
export const MAX_LEASE_MS = 30_000

export interface ResumableModeDeps {
  store: UsedTokenStore
  audit: Audit
  logger: Logger
  rememberPastExpiryMs: number
  maxResumptions: number
  /** At most 30 s (the default). */
  leaseMs?: number
  /** A response whose client takes nothing for this long is cut (and becomes resumable). Default 30 s. */
  idleTimeoutMs?: number
  /** A fresh id per delivery (tests may pass their own). */
  newHolderId?: () => string
}

const REFUSALS: Readonly<Record<Extract<ClaimResult, { refused: string }>['refused'], ContractErrorCode>> = {
  in_use: 'TOKEN_IN_USE',
  used: 'TOKEN_USED',
  revoked: 'TOKEN_REVOKED',
  resume_limit: 'RESUME_LIMIT',
}

/**
 * `DL_RESUME=on` (CONTRACT §5): a token buys one complete delivery. The first `GET` claims it
 * with a lease that is renewed while the response runs; the delivery completes only when the
 * response included the file's last byte, and that completion is committed *before* the last
 * byte goes out, so a crash can never leave a client with a whole copy and the token open.
 * Any other ending leaves it resumable (`Range: bytes=N-`), at most `maxResumptions` times.
 */
export function resumableMode(deps: ResumableModeDeps): DeliveryMode {
  const { store, audit, logger, maxResumptions } = deps
  const leaseMs = deps.leaseMs ?? MAX_LEASE_MS
  if (!(leaseMs > 0 && leaseMs <= MAX_LEASE_MS)) throw new TypeError(`"leaseMs" must be from 1 to ${MAX_LEASE_MS}`)
  const newHolderId = deps.newHolderId ?? (() => randomBytes(12).toString('base64url'))

  return {
    async check(claims) {
      const outcome = await storeCall(() => store.getOutcome(claims.jti))
      if (outcome === undefined) return
      if (outcome.status === 'delivering') throw new ContractError('TOKEN_IN_USE')
      if (outcome.status === 'revoked') throw new ContractError('TOKEN_REVOKED')
      if (!outcome.resumable) throw new ContractError('TOKEN_USED')
      if (outcome.resumptions >= maxResumptions) throw new ContractError('RESUME_LIMIT')
    },

    async begin(request) {
      const { jti, file } = request.claims
      const holder = newHolderId()
      const claimSentAt = performance.now()
      const claim = await storeCall(() =>
        store.claimDelivery(jti, {
          expiresAt: new Date(request.claims.exp.getTime() + deps.rememberPastExpiryMs),
          etag: request.etag,
          holder,
          leaseMs,
          maxResumptions,
        }),
      )
      if ('refused' in claim) throw new ContractError(REFUSALS[claim.refused])
      audit.record('delivery.claimed', { jti, file, outcome: claim.granted, resumptions: claim.resumptions })

      // A resumption is never a 206 of a file other than the one the first delivery sent.
      const range = claim.granted === 'resumption' && claim.firstEtag !== request.etag ? undefined : request.range
      const includesLastByte = range === undefined || range.end === request.size - 1
      const update = (change: DeliveryUpdate): Promise<boolean> => store.updateDelivery(jti, holder, change)
      const lease = keepLease({ renew: () => update({ kind: 'renew', leaseMs }), leaseMs, claimSentAt })

      const finish = async (result: SendFileResult): Promise<void> => {
        lease.stop()
        const completed = result.completed && includesLastByte
        const fields = { jti, file, bytesSent: result.bytesSent, resumptions: claim.resumptions }
        if (completed) audit.record('delivery.completed', { ...fields, outcome: 'completed' })
        else audit.record('delivery.interrupted', { ...fields, outcome: interruption(result, lease.signal.aborted) })
        try {
          await update(completed ? { kind: 'complete', bytes: result.bytesSent } : { kind: 'interrupt', bytes: result.bytesSent })
        } catch (error) {
          // The lease then lapses by itself: interrupted, or completed once the last byte was marked.
          logger.warn({ jti, err: error instanceof Error ? { type: error.name } : {} }, 'could not record the end of a delivery')
        }
      }
      return {
        range,
        hooks: {
          signal: lease.signal,
          idleTimeoutMs: deps.idleTimeoutMs ?? MAX_LEASE_MS,
          beforeLastByte: includesLastByte ? () => update({ kind: 'last-byte', leaseMs }).catch(() => false) : undefined,
          onFinished: finish,
        },
      }
    },
  }
}

function interruption(result: SendFileResult, leaseLost: boolean): string {
  if (result.cut === 'aborted' || leaseLost) return 'lease_lost'
  if (result.cut === 'idle') return 'idle'
  if (result.cut === 'last-byte-refused') return 'last_byte_refused'
  return result.completed ? 'range_short' : 'client_gone'
}
