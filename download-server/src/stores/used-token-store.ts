// What the download server remembers per token id: used, revoked, or (resumable single use) the
// state of its delivery. The rules live in one pure core (../delivery/token-state.ts); each store
// only makes a step of it atomic.
import type { ClaimResult, ConsumeResult, DeliveryUpdate, TokenOutcome } from '../delivery/token-state.js'

export type { ClaimResult, ConsumeResult, DeliveryUpdate, TokenOutcome } from '../delivery/token-state.js'

export interface ClaimOptions {
  /** Remember the id at least until then (the token's `exp` plus the clock tolerance). */
  expiresAt: Date
  /** Strong ETag of the file this delivery sends. */
  etag: string
  /** A fresh random id of this delivery; only it may renew, complete or interrupt it. */
  holder: string
  leaseMs: number
  maxResumptions: number
}

export type RevokeResult =
  | { ok: true; newlyRevoked: string[] }
  /** The revocation's own id (`consume`) was already used or revoked: a replay, nothing changed. */
  | { ok: false; state: 'used' | 'revoked' }

export interface RevokeOptions {
  /** Remember every revoked id at least until then. */
  until: Date
  /** The revocation token's own id, consumed in the same atomic step (single use, like any token). */
  consume?: { jti: string; expiresAt: Date }
}

/**
 * Every method resolves only once its change is committed (durable against a `kill -9` of this
 * process), is atomic across every process sharing the store, and rejects, rather than waits,
 * when the store cannot be reached.
 */
export interface UsedTokenStore {
  /**
   * Strict single use (CONTRACT §1): marks `jti` used and remembers it at least until `expiresAt`.
   * `consumed` for the first use; a later one learns whether the id is `used` or `revoked`.
   */
  consume(jti: string, expiresAt: Date): Promise<ConsumeResult>
  /** Notes how the response of a consumed token ended (its outcome record); changes nothing else. */
  recordOutcome(jti: string, outcome: { completed: boolean; bytes: number }): Promise<void>
  /**
   * Revokes each distinct id (CONTRACT §4) and, atomically with it, consumes the revocation's own
   * id. `newlyRevoked` lists the ids that were not already used or revoked.
   */
  revoke(jtis: readonly string[], options: RevokeOptions): Promise<RevokeResult>
  /** Resumable single use (CONTRACT §5): starts a delivery, or says why not. */
  claimDelivery(jti: string, options: ClaimOptions): Promise<ClaimResult>
  /** Renews, seals, completes or interrupts the delivery `holder`; false once it no longer holds the token. */
  updateDelivery(jti: string, holder: string, update: DeliveryUpdate): Promise<boolean>
  /** The token's fate (for `HEAD` and for the app's link-fate page); undefined when unused or forgotten. */
  getOutcome(jti: string): Promise<TokenOutcome | undefined>
  /** Resolves when the store answers; rejects quickly when it cannot be reached. */
  ping(): Promise<void>
  /** Releases the client and any timers. The store must not be used afterwards. */
  close(): Promise<void>
}
