import { performance } from 'node:perf_hooks'
import { describe, expect, it, vi } from 'vitest'
import { keepLease } from '../../../download-server/src/delivery/lease-keeper.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('keepLease', () => {
  it('renews every third of the lease and never aborts while renewals succeed', async () => {
    let renewals = 0
    const lease = keepLease({ renew: async () => ++renewals > 0, leaseMs: 150, claimSentAt: performance.now() })
    // Six renewals take 300 ms, twice the lease; waiting for them rather than a fixed time keeps
    // a slow timer from failing the count. An abort in between would still show.
    await vi.waitFor(() => expect(renewals).toBeGreaterThanOrEqual(6), { timeout: 10_000, interval: 10 })
    lease.stop()
    expect(lease.signal.aborted).toBe(false)
  })

  it('aborts at once when the store says another delivery holds the token', async () => {
    const lease = keepLease({ renew: async () => false, leaseMs: 150, claimSentAt: performance.now() })
    await sleep(80)
    expect(lease.signal.aborted).toBe(true)
    lease.stop()
  })

  it('aborts before the lease could lapse when no renewal gets through (store away)', async () => {
    // A 1 s lease: the keeper aborts at 800 ms (a fifth before it lapses), which leaves a late
    // timer 200 ms before the assertion below fails.
    const started = performance.now()
    let abortedAt = 0
    const lease = keepLease({ renew: () => Promise.reject(new Error('store away')), leaseMs: 1000, claimSentAt: started })
    lease.signal.addEventListener('abort', () => (abortedAt = performance.now()))
    await sleep(1200)
    expect(lease.signal.aborted).toBe(true)
    expect(abortedAt - started).toBeLessThan(1000)
    lease.stop()
  })

  it('stops renewing once stopped', async () => {
    let renewals = 0
    const lease = keepLease({ renew: async () => ++renewals > 0, leaseMs: 90, claimSentAt: performance.now() })
    lease.stop()
    await sleep(200)
    expect(renewals).toBe(0)
    expect(lease.signal.aborted).toBe(false)
  })
})
