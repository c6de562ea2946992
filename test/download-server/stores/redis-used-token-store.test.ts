import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { afterAll, describe, expect, it } from 'vitest'
import { RedisUsedTokenStore } from '../../../download-server/src/stores/redis-used-token-store.js'
import { usedTokenStoreContract } from './used-token-store.contract.js'
import { REDIS_URL, deleteKeys, newRedisPrefix } from '../support/redis.js'

const prefixes: string[] = []
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix)
})

const connect = async (): Promise<ReturnType<typeof createClient>> => {
  const client = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  client.on('error', () => {})
  await client.connect()
  return client
}

usedTokenStoreContract('Redis', async () => {
  const keyPrefix = newRedisPrefix()
  prefixes.push(keyPrefix)
  return {
    open: async () => new RedisUsedTokenStore(await connect(), { keyPrefix }),
    cleanup: () => deleteKeys(keyPrefix),
  }
})

describe('RedisUsedTokenStore', () => {
  it('stores a record under <prefix>used:<jti> that expires when the token memory may end', async () => {
    const keyPrefix = newRedisPrefix()
    prefixes.push(keyPrefix)
    const store = new RedisUsedTokenStore(await connect(), { keyPrefix })
    const jti = randomBytes(16).toString('base64url')
    await store.consume(jti, new Date(Date.now() + 60_000))
    const probe = await connect()
    const ttl = await probe.pTTL(`${keyPrefix}used:${jti}`)
    expect(ttl).toBeGreaterThan(55_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    expect(JSON.parse((await probe.get(`${keyPrefix}used:${jti}`))!)).toMatchObject({ state: 'used' })
    await probe.close()
    await store.close()
  })

  it('judges leases by Redis’s clock: servers whose clocks disagree by 40 s agree on who holds one', async () => {
    const keyPrefix = newRedisPrefix()
    prefixes.push(keyPrefix)
    const behind = new RedisUsedTokenStore(await connect(), { keyPrefix, clock: () => new Date(Date.now() - 20_000) })
    const ahead = new RedisUsedTokenStore(await connect(), { keyPrefix, clock: () => new Date(Date.now() + 20_000) })
    const claim = { expiresAt: new Date(Date.now() + 300_000), etag: '"e"', leaseMs: 30_000, maxResumptions: 3 }
    const id = randomBytes(16).toString('base64url')
    // Each clock is within DL_CLOCK_TOLERANCE (30 s) of the truth. Judged by its own clock, the
    // slow server's 30 s lease would look lapsed to the fast one after 10 s.
    expect(await behind.claimDelivery(id, { ...claim, holder: 'slow-clock' })).toMatchObject({ granted: 'first' })
    expect(await ahead.claimDelivery(id, { ...claim, holder: 'fast-clock' })).toEqual({ refused: 'in_use' })
    const lapsing = randomBytes(16).toString('base64url')
    // And a lease the fast server takes does not look held for 40 s more to the slow one.
    await ahead.claimDelivery(lapsing, { ...claim, holder: 'fast-clock', leaseMs: 100 })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await behind.claimDelivery(lapsing, { ...claim, holder: 'slow-clock' })).toMatchObject({ granted: 'resumption' })
    await behind.close()
    await ahead.close()
  })

  it('keeps a revoked id at least until the given time, and never shortens a key’s TTL', async () => {
    const keyPrefix = newRedisPrefix()
    prefixes.push(keyPrefix)
    const store = new RedisUsedTokenStore(await connect(), { keyPrefix })
    const jti = randomBytes(16).toString('base64url')
    await store.revoke([jti], { until: new Date(Date.now() + 331_000) })
    await store.revoke([jti], { until: new Date(Date.now() + 5_000) })
    const probe = await connect()
    expect(await probe.pTTL(`${keyPrefix}used:${jti}`)).toBeGreaterThan(325_000)
    expect(JSON.parse((await probe.get(`${keyPrefix}used:${jti}`))!)).toMatchObject({ state: 'revoked' })
    await probe.close()
    await store.close()
  })

  it('writes the documented record of a running delivery, readable by the app', async () => {
    const keyPrefix = newRedisPrefix()
    prefixes.push(keyPrefix)
    const store = new RedisUsedTokenStore(await connect(), { keyPrefix })
    const jti = randomBytes(16).toString('base64url')
    const before = Date.now()
    await store.claimDelivery(jti, { expiresAt: new Date(Date.now() + 60_000), etag: '"e-1"', holder: 'holder-1', leaseMs: 5000, maxResumptions: 3 })
    const probe = await connect()
    const record = JSON.parse((await probe.get(`${keyPrefix}used:${jti}`))!) as Record<string, unknown>
    expect(record).toMatchObject({ state: 'delivering', holder: 'holder-1', etag: '"e-1"', resumptions: 0, bytes: 0 })
    // Times are Redis's own clock (TIME), in Unix milliseconds.
    expect(record.lease as number).toBeGreaterThan(before + 4000)
    expect(record.lease as number).toBeLessThan(Date.now() + 6000)
    await probe.close()
    await store.close()
  })

  it('reads a mark written by an older server (the value 1) as used', async () => {
    const keyPrefix = newRedisPrefix()
    prefixes.push(keyPrefix)
    const probe = await connect()
    const jti = randomBytes(16).toString('base64url')
    await probe.set(`${keyPrefix}used:${jti}`, '1', { PX: 60_000 })
    const store = new RedisUsedTokenStore(await connect(), { keyPrefix })
    expect(await store.consume(jti, new Date(Date.now() + 60_000))).toBe('used')
    expect(await store.getOutcome(jti)).toMatchObject({ status: 'used' })
    await probe.close()
    await store.close()
  })

  it('fails a command at once, instead of queueing it, while Redis cannot be reached', async () => {
    const client = createClient({ url: 'redis://127.0.0.1:1', disableOfflineQueue: true, socket: { reconnectStrategy: 50 } })
    client.on('error', () => {})
    client.connect().catch(() => {})
    const store = new RedisUsedTokenStore(client, { keyPrefix: newRedisPrefix() })
    const started = Date.now()
    await expect(store.consume(randomBytes(16).toString('base64url'), new Date(Date.now() + 60_000))).rejects.toThrow()
    await expect(store.ping()).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1000)
    await store.close()
  })
})
