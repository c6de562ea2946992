import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createIssuer, type TestIssuer } from '../support/issuer.js'
import { REDIS_URL, deleteKeys, newRedisPrefix } from '../support/redis.js'
import { serverEnv } from '../support/server-env.js'
import { spawnedServers, type SpawnedServer } from '../support/spawn-server.js'
import { notServedExactlyOnce, raceTokens } from './support/race.js'

// Several separate `npm run start:download` processes share one used-token store, and racing
// requests for each token are spread over all of them: the store alone decides who serves.
let dir: string
let issuer: TestIssuer
const running = spawnedServers()
const prefix = newRedisPrefix()

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-scale-'))
  fs.mkdirSync(path.join(dir, 'root'))
  fs.writeFileSync(path.join(dir, 'root', 'f.bin'), Buffer.alloc(4096, 7))
  issuer = createIssuer()
})
afterEach(() => running.killAll())
afterAll(async () => {
  await deleteKeys(prefix)
  fs.rmSync(dir, { recursive: true, force: true })
})

async function startServers(count: number, store: string): Promise<{ urls: string[]; servers: SpawnedServer[] }> {
  const env = { ...serverEnv(path.join(dir, 'root'), issuer), DL_JTI_STORE: store, DL_REDIS_KEY_PREFIX: prefix }
  const servers = Array.from({ length: count }, () => running.spawn(env, { via: 'npm' }))
  const urls = await Promise.all(servers.map((server) => server.listening()))
  return { urls, servers }
}

const tokens = (count: number): Promise<string[]> =>
  Promise.all(Array.from({ length: count }, () => issuer.token({ file: 'f.bin' })))

describe('several download-server processes on one store', () => {
  it('serves each token exactly once across three processes on one Redis (5 racers per process per token)', async () => {
    const { urls } = await startServers(3, REDIS_URL)
    const outcome = await raceTokens(urls, await tokens(30), 5)
    expect(notServedExactlyOnce(outcome)).toEqual([])
    // Not one process answering everything: the race really was spread over them.
    expect(new Set(outcome.winners).size).toBeGreaterThan(1)
  })

  it('serves each token exactly once across two processes on one SQLite file (8 racers per process per token)', async () => {
    const { urls, servers } = await startServers(2, `sqlite:${path.join(dir, 'shared.db')}`)
    const outcome = await raceTokens(urls, await tokens(30), 8)
    expect(notServedExactlyOnce(outcome)).toEqual([])
    expect(new Set(outcome.winners).size).toBeGreaterThan(1)
    // Lock waits between the processes end in a commit, never in a refusal or a 503.
    for (const server of servers) expect(server.output()).not.toMatch(/"status":5\d\d/)
  })
})
