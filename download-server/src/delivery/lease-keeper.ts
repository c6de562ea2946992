import { performance } from 'node:perf_hooks'

export interface LeaseKeeperOptions {
  /** Renews the lease in the store: true while this delivery still holds it. May reject (store away). */
  renew: () => Promise<boolean>
  leaseMs: number
  /** `performance.now()` when the claim that took the lease was sent. */
  claimSentAt: number
}

export interface LeaseKeeper {
  /** Aborted when the lease is lost or could not be renewed in time: stop sending at once. */
  signal: AbortSignal
  stop(): void
}

/**
 * Renews a delivery's lease every third of its length while the response runs. When the store
 * says another delivery holds the token, or no renewal has succeeded for most of a lease (the
 * store is away), it aborts: a delivery must never go on past a lease others may see lapse.
 * Deadlines are measured from when a successful renewal was *sent*, so they never run late.
 */
export function keepLease(options: LeaseKeeperOptions): LeaseKeeper {
  const { leaseMs } = options
  const controller = new AbortController()
  // Stop a little before the lease lapses in the store, to allow for the time a cut takes.
  const margin = Math.min(5000, leaseMs / 5)
  let renewing = false
  let deadline: NodeJS.Timeout | undefined
  const armDeadline = (from: number): void => {
    clearTimeout(deadline)
    const left = from + leaseMs - margin - performance.now()
    deadline = setTimeout(() => controller.abort(new Error('lease not renewed in time')), Math.max(0, left))
    deadline.unref()
  }
  armDeadline(options.claimSentAt)

  const tick = setInterval(() => {
    if (renewing || controller.signal.aborted) return
    renewing = true
    const sentAt = performance.now()
    options
      .renew()
      .then(
        (held) => {
          if (!held) controller.abort(new Error('lease lost to another delivery'))
          else if (!controller.signal.aborted) armDeadline(sentAt)
        },
        // A failed renewal is retried on the next tick; the deadline cuts if none succeeds.
        () => {},
      )
      .finally(() => {
        renewing = false
      })
  }, leaseMs / 3)
  tick.unref()

  return {
    signal: controller.signal,
    stop: () => {
      clearInterval(tick)
      clearTimeout(deadline)
    },
  }
}
