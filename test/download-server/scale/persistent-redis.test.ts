import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { statusOf } from '../support/http-probes.js'
import { createIssuer, type TestIssuer } from '../support/issuer.js'
import { serverEnv } from '../support/server-env.js'
import { spawnedServers } from '../support/spawn-server.js'
import { ownRedis, type OwnRedis, type RedisPersistence } from './support/redis-server.js'

// A used-token store in Redis is only as durable as Redis's own persistence (CONTRACT §1,
// docs/operations.md "Scaling"): these tests kill -9 a redis-server of their own and start it
// again on the same data directory, with and without the AOF the docs require.
let dir: string
let issuer: TestIssuer
const servers = spawnedServers()
const redises: OwnRedis[] = []

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-redis-restart-'))
  fs.mkdirSync(path.join(dir, 'root'))
  fs.writeFileSync(path.join(dir, 'root', 'f.bin'), 'restart me\n')
  issuer = createIssuer()
})
afterEach(async () => {
  servers.killAll()
  for (const redis of redises.splice(0)) await redis.kill()
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

async function setUp(persistence: RedisPersistence): Promise<{ redis: OwnRedis; url: string }> {
  const redis = await ownRedis(path.join(dir, `redis-${persistence}`), persistence)
  redises.push(redis)
  const { url } = await servers.start({ ...serverEnv(path.join(dir, 'root'), issuer), DL_JTI_STORE: redis.url })
  return { redis, url }
}

/** kill -9 of redis-server, a request while it is away, then the same server on the same directory. */
async function restart(redis: OwnRedis, url: string): Promise<{ whileAway: number }> {
  await redis.kill()
  const whileAway = await statusOf(`${url}/d/${await issuer.token({ file: 'f.bin' })}`)
  await redis.start()
  // The download server reconnects by itself (CONTRACT §2: within 10 s).
  await expect.poll(() => statusOf(`${url}/healthz`), { timeout: 10_000, interval: 200 }).toBe(200)
  return { whileAway }
}

describe('a Redis used-token store across a restart of Redis', () => {
  it('still refuses a used token with 410 after kill -9 of an AOF (appendfsync always) Redis, and serves fresh tokens again', async () => {
    const { redis, url } = await setUp('aof-always')
    const used = await issuer.token({ file: 'f.bin' })
    expect(await statusOf(`${url}/d/${used}`)).toBe(200)

    const { whileAway } = await restart(redis, url)
    expect(whileAway).toBe(503)
    expect(await statusOf(`${url}/d/${used}`)).toBe(410)
    expect(await statusOf(`${url}/d/${await issuer.token({ file: 'f.bin' })}`)).toBe(200)
  })

  it('still refuses a used token after kill -9 of an AOF (appendfsync everysec) Redis: the reply waits for write(2), not fsync', async () => {
    const { redis, url } = await setUp('aof-everysec')
    const used = await issuer.token({ file: 'f.bin' })
    expect(await statusOf(`${url}/d/${used}`)).toBe(200)
    await restart(redis, url)
    expect(await statusOf(`${url}/d/${used}`)).toBe(410)
  })

  it('forgets a used token after a restart of a Redis without persistence (why the docs require AOF)', async () => {
    const { redis, url } = await setUp('none')
    const used = await issuer.token({ file: 'f.bin' })
    expect(await statusOf(`${url}/d/${used}`)).toBe(200)
    await restart(redis, url)
    expect(await statusOf(`${url}/d/${used}`)).toBe(200)
  })
})
