import type { Logger } from 'pino'
import { MAX_REVOKED_PER_TOKEN } from '../../../shared/src/index.js'
import { backoffDelay } from './backoff.js'
import type { BackoffOptions } from './backoff.js'
import type { IssuedTokenRepository } from './issued-token-repository.js'
import type { RevocationAnswer } from './revocation-client.js'
import type { RevocationMetrics } from './revocation-metrics.js'
import type { OutboxEntry, RevocationOutbox } from './revocation-outbox.js'

export interface RevocationTuning {
  /** Ids per revocation token: 1 to 1000 (CONTRACT §4). */
  batchSize: number
  /** How long a claimed batch is this process's before another may send it: above the request timeout. */
  claimLeaseMs: number
  backoff: BackoffOptions
  /** How often an idle worker looks for ids another process queued (or left behind). */
  pollMs: number
}

export const DEFAULT_REVOCATION_TUNING: RevocationTuning = {
  batchSize: MAX_REVOKED_PER_TOKEN,
  claimLeaseMs: 10_000,
  backoff: { baseMs: 500, maxMs: 30_000 },
  pollMs: 5_000,
}

export interface RevocationWorkerDeps {
  outbox: RevocationOutbox
  issued: IssuedTokenRepository
  /** Signs a revocation token (a fresh `jti`, lifetime at most 60 s) for each attempt. */
  signRevocation(revoke: string[], now: Date): Promise<{ token: string; jti: string }>
  send(token: string, signal: AbortSignal): Promise<RevocationAnswer>
  clock: () => Date
  /** [0, 1), for the backoff's jitter. */
  random: () => number
  logger: Logger
  metrics: RevocationMetrics
  tuning: RevocationTuning
}

/**
 * Sends the outbox to the download server in the background: everything due, in batches, at
 * once when kicked and otherwise when the next retry is due (or every `pollMs`). A failed batch
 * is retried with exponential backoff and jitter until its tokens have expired, then dropped,
 * logged and counted. Never throws; `close()` stops it and aborts a send in flight.
 */
export class RevocationWorker {
  readonly #deps: RevocationWorkerDeps
  readonly #log: Logger
  readonly #abort = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #current: Promise<void> | undefined
  #next: Promise<void> | undefined
  #closed = false
  #failures = 0

  constructor(deps: RevocationWorkerDeps) {
    if (deps.tuning.batchSize < 1 || deps.tuning.batchSize > MAX_REVOKED_PER_TOKEN) throw new TypeError(`"batchSize" must be 1 to ${MAX_REVOKED_PER_TOKEN}`)
    this.#deps = deps
    this.#log = deps.logger.child({ component: 'revocation' })
  }

  /** Picks up what an earlier run (or another process) left in the outbox. */
  start(): void {
    this.#schedule(0)
  }

  /** Runs a delivery round now (or right after the one running); resolves when it is done. */
  kick(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    if (this.#current === undefined) {
      clearTimeout(this.#timer)
      this.#current = this.#round().finally(() => {
        this.#current = undefined
        this.#scheduleNext()
      })
      return this.#current
    }
    this.#next ??= this.#current.then(() => {
      this.#next = undefined
      return this.kick()
    })
    return this.#next
  }

  /** Kicks and waits at most `waitMs`: a user's request may wait this long, never longer. */
  async flush(waitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs)
    })
    await Promise.race([this.kick(), late])
    clearTimeout(timer)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#next
    await this.#current
  }

  async #round(): Promise<void> {
    try {
      this.#dropExpired()
      for (;;) {
        if (this.#closed) return
        const batch = this.#deps.outbox.claimDue(this.#deps.clock(), { limit: this.#deps.tuning.batchSize, leaseMs: this.#deps.tuning.claimLeaseMs })
        if (batch.length === 0) return
        await this.#deliver(batch)
      }
    } catch (err) {
      this.#log.error({ err }, 'revocation round failed')
    }
  }

  async #deliver(batch: OutboxEntry[]): Promise<void> {
    const { outbox, issued, metrics, clock } = this.#deps
    const jtis = batch.map((e) => e.jti)
    const attempt = Math.max(...batch.map((e) => e.attempts)) + 1
    let answer: RevocationAnswer
    let by: string | undefined
    try {
      const signed = await this.#deps.signRevocation(jtis, clock())
      by = signed.jti
      answer = await this.#deps.send(signed.token, this.#abort.signal)
    } catch (err) {
      answer = { kind: 'unavailable', reason: err instanceof Error ? err.name : 'Error' }
    }
    if (this.#closed && answer.kind !== 'delivered') {
      outbox.release(jtis)
      return
    }
    metrics.attempts.inc({ outcome: answer.kind })
    if (answer.kind === 'delivered') {
      outbox.remove(jtis)
      issued.markRevocationSent(jtis, clock())
      metrics.ids.inc({ outcome: 'delivered' }, jtis.length)
      this.#log.info({ ids: jtis.length, revoked: answer.revoked, attempt, by }, 'revocation delivered')
      return
    }
    const delayMs = backoffDelay(attempt, this.#deps.tuning.backoff, this.#deps.random)
    outbox.retryLater(jtis, new Date(clock().getTime() + delayMs))
    this.#failures += 1
    // A refusal will not go away by itself (keys, issuer or audience differ): say it louder.
    const detail = answer.kind === 'refused' ? { status: answer.status, code: answer.code } : { status: answer.status, reason: answer.reason }
    this.#log[answer.kind === 'refused' ? 'error' : 'warn'](
      { ids: jtis.length, attempt, retryInMs: delayMs, failuresTotal: this.#failures, by, ...detail },
      answer.kind === 'refused' ? 'download server refused a revocation; will retry' : 'download server unavailable for revocation; will retry',
    )
  }

  #dropExpired(): void {
    const dropped = this.#deps.outbox.dropExpired(this.#deps.clock())
    if (dropped.length === 0) return
    this.#deps.metrics.ids.inc({ outcome: 'expired' }, dropped.length)
    this.#log.error({ ids: dropped.length, jtis: dropped.slice(0, 50) }, 'revocations never delivered: their tokens have expired; stopped retrying')
  }

  #scheduleNext(): void {
    if (this.#closed || this.#next !== undefined) return
    let until = this.#deps.tuning.pollMs
    try {
      const { count, nextAttemptAt } = this.#deps.outbox.pending()
      this.#deps.metrics.pending.set(count)
      if (nextAttemptAt !== undefined) until = nextAttemptAt.getTime() - this.#deps.clock().getTime()
    } catch (err) {
      this.#log.error({ err }, 'reading the revocation outbox failed')
    }
    this.#schedule(Math.min(Math.max(until, 100), this.#deps.tuning.pollMs))
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.kick(), delayMs)
    this.#timer.unref()
  }
}
