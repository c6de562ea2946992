import * as core from '../delivery/token-state.js'
import type { TokenRecord, Transition } from '../delivery/token-state.js'
import type {
  ClaimOptions,
  ClaimResult,
  ConsumeResult,
  DeliveryUpdate,
  RevokeOptions,
  RevokeResult,
  TokenOutcome,
  UsedTokenStore,
} from './used-token-store.js'

/** A record to write in a step, kept at least `keepMs` from now (never shorter than it already is). */
export interface RecordWrite {
  record: TokenRecord
  keepMs: number
}

/**
 * One atomic step over some ids: given their records and the store's current time, which to
 * write (`writes[i]` for `jtis[i]`; a missing entry writes nothing) and what to answer. Pure: a store may run it again on fresher records (Redis retries a
 * step whose records changed meanwhile).
 */
export type RecordStep<R> = (
  records: readonly (TokenRecord | undefined)[],
  now: number,
) => { writes: readonly (RecordWrite | undefined)[]; result: R }

/**
 * The store operations of CONTRACT §1, §4 and §5, built once on a single primitive: run a
 * `RecordStep` atomically. A SQLite and a Redis store differ only in how they do that.
 */
export abstract class TokenRecordStore implements UsedTokenStore {
  readonly #clock: () => Date

  protected constructor(clock: () => Date) {
    this.#clock = clock
  }

  /** Runs `step` on the records of `jtis` (distinct) atomically and commits its writes. */
  protected abstract transact<R>(jtis: readonly string[], step: RecordStep<R>): Promise<R>

  abstract ping(): Promise<void>
  abstract close(): Promise<void>

  /** Milliseconds from the store's clock to `date`, at least 1. */
  protected msUntil(date: Date): number {
    return Math.max(1, Math.ceil(date.getTime() - this.#clock().getTime()))
  }

  protected now(): number {
    return this.#clock().getTime()
  }

  consume(jti: string, expiresAt: Date): Promise<ConsumeResult> {
    return this.transact([jti], this.consumeStep(expiresAt))
  }

  /** The step `consume` runs, for a store that tries a cheaper way first and needs it as the fallback. */
  protected consumeStep(expiresAt: Date): RecordStep<ConsumeResult> {
    const keepMs = this.msUntil(expiresAt)
    return oneRecord((record, now) => core.consume(record, keepMs, now))
  }

  recordOutcome(jti: string, outcome: { completed: boolean; bytes: number }): Promise<void> {
    return this.#one(jti, (record, now) => core.recordOutcome(record, outcome, now))
  }

  claimDelivery(jti: string, options: ClaimOptions): Promise<ClaimResult> {
    const request = { ...options, keepMs: this.msUntil(options.expiresAt) }
    return this.#one(jti, (record, now) => core.claim(record, request, now))
  }

  updateDelivery(jti: string, holder: string, update: DeliveryUpdate): Promise<boolean> {
    return this.#one(jti, (record, now) => core.updateDelivery(record, holder, update, now))
  }

  getOutcome(jti: string): Promise<TokenOutcome | undefined> {
    return this.#one(jti, (record, now) => ({ next: undefined, keepMs: 0, result: core.outcomeOf(record, now) }))
  }

  async revoke(jtis: readonly string[], options: RevokeOptions): Promise<RevokeResult> {
    const listed = [...new Set(jtis)]
    const own = options.consume
    const keys = [...new Set(own === undefined ? listed : [own.jti, ...listed])]
    const indexOf = new Map(keys.map((jti, index) => [jti, index]))
    const revokeMs = this.msUntil(options.until)
    const ownMs = own === undefined ? 0 : this.msUntil(own.expiresAt)
    return this.transact(keys, (records, now) => {
      // Transitions run in order on the records as they change, so an id that is listed and is
      // also the revocation's own is seen as just used, not as newly revoked.
      const current = [...records]
      const writes: (RecordWrite | undefined)[] = []
      const apply = <R>(index: number, transition: Transition<R>): R => {
        if (transition.next !== undefined) {
          current[index] = transition.next
          writes[index] = { record: transition.next, keepMs: Math.max(transition.keepMs, writes[index]?.keepMs ?? 0) }
        }
        return transition.result
      }
      if (own !== undefined) {
        const consumed = apply(0, core.consume(current[0], ownMs, now))
        if (consumed !== 'consumed') return { writes: [], result: { ok: false, state: consumed } as RevokeResult }
      }
      const newlyRevoked = listed.filter((jti) => {
        const index = indexOf.get(jti)!
        return apply(index, core.revoke(current[index], revokeMs, now))
      })
      return { writes, result: { ok: true, newlyRevoked } as RevokeResult }
    })
  }

  #one<R>(jti: string, step: (record: TokenRecord | undefined, now: number) => Transition<R>): Promise<R> {
    return this.transact([jti], oneRecord(step))
  }
}

/** A transition of one record as a step over one id. */
function oneRecord<R>(step: (record: TokenRecord | undefined, now: number) => Transition<R>): RecordStep<R> {
  return (records, now) => {
    const transition = step(records[0], now)
    const writes = transition.next === undefined ? [] : [{ record: transition.next, keepMs: transition.keepMs }]
    return { writes, result: transition.result }
  }
}
