import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClaimOptions, UsedTokenStore } from '../../../download-server/src/stores/used-token-store.js'

export interface StoreHarness {
  /** A store on the shared backing (the same file, the same Redis and prefix). */
  open(): Promise<UsedTokenStore>
  /** Removes everything the suite left behind. */
  cleanup(): Promise<void>
}

const jti = (): string => randomBytes(16).toString('base64url')
const inFiveMinutes = (): Date => new Date(Date.now() + 300_000)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const claimOptions = (over: Partial<ClaimOptions> = {}): ClaimOptions => ({
  expiresAt: inFiveMinutes(),
  etag: '"abc-1"',
  holder: jti(),
  leaseMs: 10_000,
  maxResumptions: 3,
  ...over,
})

/** What every UsedTokenStore must do, run against each implementation. */
export function usedTokenStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`UsedTokenStore contract: ${name}`, () => {
    let harness: StoreHarness
    let store: UsedTokenStore
    const extra: UsedTokenStore[] = []

    beforeEach(async () => {
      harness = await makeHarness()
      store = await harness.open()
    })
    afterEach(async () => {
      for (const other of extra.splice(0)) await other.close()
      await store.close()
      await harness.cleanup()
    })

    const openAnother = async (): Promise<UsedTokenStore> => {
      const other = await harness.open()
      extra.push(other)
      return other
    }

    describe('strict single use', () => {
      it('answers consumed to the first consume of an id and used to every later one', async () => {
        const id = jti()
        expect(await store.consume(id, inFiveMinutes())).toBe('consumed')
        expect(await store.consume(id, inFiveMinutes())).toBe('used')
        expect(await store.consume(id, inFiveMinutes())).toBe('used')
      })

      it('keeps different ids apart', async () => {
        expect(await store.consume(jti(), inFiveMinutes())).toBe('consumed')
        expect(await store.consume(jti(), inFiveMinutes())).toBe('consumed')
      })

      it('lets exactly one of 25 simultaneous consumes of one id win', async () => {
        const id = jti()
        const results = await Promise.all(Array.from({ length: 25 }, () => store.consume(id, inFiveMinutes())))
        expect(results.filter((result) => result === 'consumed')).toHaveLength(1)
        expect(results.filter((result) => result === 'used')).toHaveLength(24)
      })

      it('lets exactly one of two stores on the same backing win a race, and each sees the other’s mark', async () => {
        const other = await openAnother()
        const id = jti()
        const results = await Promise.all([store.consume(id, inFiveMinutes()), other.consume(id, inFiveMinutes())])
        expect(results.filter((result) => result === 'consumed')).toHaveLength(1)
        const later = jti()
        expect(await other.consume(later, inFiveMinutes())).toBe('consumed')
        expect(await store.consume(later, inFiveMinutes())).toBe('used')
        expect((await store.getOutcome(later))?.status).toBe('used')
      })

      it('reports no outcome before an id is consumed, and reading it never consumes', async () => {
        const id = jti()
        expect(await store.getOutcome(id)).toBeUndefined()
        expect(await store.getOutcome(id)).toBeUndefined()
        expect(await store.consume(id, inFiveMinutes())).toBe('consumed')
        expect(await store.getOutcome(id)).toMatchObject({ status: 'used', resumable: false })
      })

      it('records once how the response of a consumed id ended, with its bytes', async () => {
        const done = jti()
        const cut = jti()
        await store.consume(done, inFiveMinutes())
        await store.consume(cut, inFiveMinutes())
        await store.recordOutcome(done, { completed: true, bytes: 1234 })
        await store.recordOutcome(done, { completed: false, bytes: 1 })
        await store.recordOutcome(cut, { completed: false, bytes: 99 })
        expect(await store.getOutcome(done)).toMatchObject({ status: 'completed', bytes: 1234, resumable: false })
        expect(await store.getOutcome(cut)).toMatchObject({ status: 'interrupted', bytes: 99, resumable: false })
        expect(await store.consume(cut, inFiveMinutes())).toBe('used')
      })

      it('still remembers an id when its expiry is a moment away', async () => {
        const id = jti()
        expect(await store.consume(id, new Date(Date.now() + 2_000))).toBe('consumed')
        expect(await store.consume(id, new Date(Date.now() + 2_000))).toBe('used')
      })

      it('remembers a consumed id in a store opened afterwards (it is committed before consume resolves)', async () => {
        const id = jti()
        expect(await store.consume(id, inFiveMinutes())).toBe('consumed')
        await store.close()
        store = await harness.open()
        expect(await store.consume(id, inFiveMinutes())).toBe('used')
      })

      it('answers ping while the backing is reachable', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })
    })

    describe('revocation', () => {
      it('revokes fresh ids, counts each distinct one once, and a later consume learns it was revoked', async () => {
        const [a, b] = [jti(), jti()]
        const result = await store.revoke([a, b, a], { until: inFiveMinutes() })
        expect(result).toEqual({ ok: true, newlyRevoked: [a, b] })
        expect(await store.consume(a, inFiveMinutes())).toBe('revoked')
        expect(await store.consume(b, inFiveMinutes())).toBe('revoked')
        expect(await store.getOutcome(a)).toMatchObject({ status: 'revoked' })
      })

      it('does not count ids already used or already revoked', async () => {
        const [used, revoked, fresh] = [jti(), jti(), jti()]
        await store.consume(used, inFiveMinutes())
        await store.revoke([revoked], { until: inFiveMinutes() })
        const result = await store.revoke([used, revoked, fresh], { until: inFiveMinutes() })
        expect(result).toEqual({ ok: true, newlyRevoked: [fresh] })
        expect(await store.consume(used, inFiveMinutes())).toBe('used')
      })

      it('consumes the revocation’s own id in the same step: a replay changes nothing', async () => {
        const own = jti()
        const [first, second] = [jti(), jti()]
        const consume = { jti: own, expiresAt: inFiveMinutes() }
        expect(await store.revoke([first], { until: inFiveMinutes(), consume })).toEqual({ ok: true, newlyRevoked: [first] })
        expect(await store.revoke([second], { until: inFiveMinutes(), consume })).toEqual({ ok: false, state: 'used' })
        expect(await store.consume(second, inFiveMinutes())).toBe('consumed')
      })

      it('counts an id listed by two racing revocations, on two stores, exactly once', async () => {
        const other = await openAnother()
        const ids = Array.from({ length: 20 }, jti)
        const [x, y] = await Promise.all([
          store.revoke(ids, { until: inFiveMinutes() }),
          other.revoke([...ids].reverse(), { until: inFiveMinutes() }),
        ])
        const counted = [x, y].flatMap((result) => (result.ok ? result.newlyRevoked : []))
        expect(counted.sort()).toEqual([...ids].sort())
      })

      it('revokes a thousand ids in one call', async () => {
        const ids = Array.from({ length: 1000 }, jti)
        const result = await store.revoke(ids, { until: inFiveMinutes() })
        expect(result.ok && result.newlyRevoked.length).toBe(1000)
        expect(await store.consume(ids[999]!, inFiveMinutes())).toBe('revoked')
      })

      it('lets a running delivery finish, but an interrupted one revoked can never resume', async () => {
        const [running, stopped] = [jti(), jti()]
        const a = claimOptions()
        const b = claimOptions()
        await store.claimDelivery(running, a)
        await store.claimDelivery(stopped, b)
        await store.updateDelivery(stopped, b.holder, { kind: 'interrupt', bytes: 10 })
        const result = await store.revoke([running, stopped], { until: inFiveMinutes() })
        expect(result).toEqual({ ok: true, newlyRevoked: [running, stopped] })
        expect(await store.claimDelivery(stopped, claimOptions())).toEqual({ refused: 'revoked' })
        expect(await store.claimDelivery(running, claimOptions())).toEqual({ refused: 'in_use' })
        expect(await store.updateDelivery(running, a.holder, { kind: 'renew', leaseMs: 10_000 })).toBe(true)
        expect(await store.updateDelivery(running, a.holder, { kind: 'complete', bytes: 100 })).toBe(true)
        expect(await store.getOutcome(running)).toMatchObject({ status: 'completed', bytes: 100 })
      })

      it('ends a running delivery revoked when it is interrupted afterwards', async () => {
        const id = jti()
        const claim = claimOptions()
        await store.claimDelivery(id, claim)
        await store.revoke([id], { until: inFiveMinutes() })
        expect(await store.revoke([id], { until: inFiveMinutes() })).toEqual({ ok: true, newlyRevoked: [] })
        await store.updateDelivery(id, claim.holder, { kind: 'interrupt', bytes: 5 })
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'revoked' })
        expect(await store.getOutcome(id)).toMatchObject({ status: 'revoked', bytes: 5 })
      })
    })

    describe('resumable deliveries', () => {
      it('grants the first claim and answers in_use to others while it runs', async () => {
        const id = jti()
        expect(await store.claimDelivery(id, claimOptions({ etag: '"first"' }))).toEqual({ granted: 'first', firstEtag: '"first"', resumptions: 0 })
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'in_use' })
        expect(await store.getOutcome(id)).toMatchObject({ status: 'delivering' })
        expect(await store.consume(id, inFiveMinutes())).toBe('used')
      })

      it('lets exactly one of 25 simultaneous claims, over two stores, deliver', async () => {
        const other = await openAnother()
        const id = jti()
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? store : other).claimDelivery(id, claimOptions())),
        )
        expect(results.filter((result) => 'granted' in result)).toHaveLength(1)
        expect(results.filter((result) => 'refused' in result && result.refused === 'in_use')).toHaveLength(24)
      })

      it('refuses a completed delivery as used, and remembers its bytes over every resumption', async () => {
        const id = jti()
        const first = claimOptions({ etag: '"v1"' })
        await store.claimDelivery(id, first)
        await store.updateDelivery(id, first.holder, { kind: 'interrupt', bytes: 400 })
        expect(await store.getOutcome(id)).toMatchObject({ status: 'interrupted', resumable: true, bytes: 400, resumptions: 0 })
        const second = claimOptions({ etag: '"v2"' })
        expect(await store.claimDelivery(id, second)).toEqual({ granted: 'resumption', firstEtag: '"v1"', resumptions: 1 })
        expect(await store.updateDelivery(id, second.holder, { kind: 'complete', bytes: 600 })).toBe(true)
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'used' })
        expect(await store.getOutcome(id)).toMatchObject({ status: 'completed', bytes: 1000, resumptions: 1 })
      })

      it('grants at most maxResumptions resumptions, then answers resume_limit', async () => {
        const id = jti()
        const grants: string[] = []
        for (let i = 0; i < 4; i += 1) {
          const claim = claimOptions({ maxResumptions: 2 })
          const result = await store.claimDelivery(id, claim)
          grants.push('granted' in result ? result.granted : result.refused)
          await store.updateDelivery(id, claim.holder, { kind: 'interrupt', bytes: 1 })
        }
        expect(grants).toEqual(['first', 'resumption', 'resumption', 'resume_limit'])
      })

      it('lets only the holder renew, complete or interrupt a delivery', async () => {
        const id = jti()
        const claim = claimOptions()
        await store.claimDelivery(id, claim)
        const stranger = jti()
        expect(await store.updateDelivery(id, stranger, { kind: 'renew', leaseMs: 10_000 })).toBe(false)
        expect(await store.updateDelivery(id, stranger, { kind: 'complete', bytes: 1 })).toBe(false)
        expect(await store.updateDelivery(id, stranger, { kind: 'interrupt', bytes: 1 })).toBe(false)
        expect(await store.updateDelivery(jti(), claim.holder, { kind: 'renew', leaseMs: 10_000 })).toBe(false)
        expect(await store.getOutcome(id)).toMatchObject({ status: 'delivering' })
      })

      it('treats a lapsed lease as interrupted: another claim resumes, and the old holder has lost it', async () => {
        const id = jti()
        // Long enough that the check right after the claim cannot see it lapse on a slow machine.
        const crashed = claimOptions({ leaseMs: 400 })
        await store.claimDelivery(id, crashed)
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'in_use' })
        await sleep(600)
        expect(await store.getOutcome(id)).toMatchObject({ status: 'interrupted', resumable: true })
        const next = claimOptions()
        expect(await store.claimDelivery(id, next)).toMatchObject({ granted: 'resumption', resumptions: 1 })
        expect(await store.updateDelivery(id, crashed.holder, { kind: 'renew', leaseMs: 10_000 })).toBe(false)
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'in_use' })
      })

      it('keeps a lease alive while its holder renews it', async () => {
        const id = jti()
        // Renewed every 200 ms for 1 s, past the 600 ms lease; each renewal has 400 ms to spare.
        const claim = claimOptions({ leaseMs: 600 })
        await store.claimDelivery(id, claim)
        for (let i = 0; i < 5; i += 1) {
          await sleep(200)
          expect(await store.updateDelivery(id, claim.holder, { kind: 'renew', leaseMs: 600 })).toBe(true)
        }
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'in_use' })
      })

      it('counts a delivery whose lease lapsed while its last byte was going out as complete', async () => {
        const id = jti()
        const claim = claimOptions({ leaseMs: 400 })
        await store.claimDelivery(id, claim)
        expect(await store.updateDelivery(id, claim.holder, { kind: 'last-byte', leaseMs: 400 })).toBe(true)
        await sleep(600)
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'used' })
        expect(await store.getOutcome(id)).toMatchObject({ status: 'completed' })
      })

      it('reopens for resumption a delivery interrupted after its last byte was marked', async () => {
        const id = jti()
        const claim = claimOptions()
        await store.claimDelivery(id, claim)
        await store.updateDelivery(id, claim.holder, { kind: 'last-byte', leaseMs: 10_000 })
        await store.updateDelivery(id, claim.holder, { kind: 'interrupt', bytes: 3 })
        expect(await store.claimDelivery(id, claimOptions())).toMatchObject({ granted: 'resumption' })
      })

      it('refuses a claim of an id used by strict single use', async () => {
        const id = jti()
        await store.consume(id, inFiveMinutes())
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'used' })
      })

      it('remembers a delivery’s state in a store opened afterwards', async () => {
        const id = jti()
        await store.claimDelivery(id, claimOptions())
        await store.close()
        store = await harness.open()
        expect(await store.claimDelivery(id, claimOptions())).toEqual({ refused: 'in_use' })
      })
    })
  })
}
