import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { statusOf } from './support/http-probes.js'
import { createIssuer, type TestIssuer } from './support/issuer.js'
import { REDIS_URL, deleteKeys, newRedisPrefix } from './support/redis.js'
import { serverEnv } from './support/server-env.js'
import { spawnedServers, type SpawnedServer } from './support/spawn-server.js'

// CONTRACT §5 with real processes: a server killed with SIGKILL mid-delivery holds its lease until
// it lapses (never two deliveries at once), then the token resumes on a restarted server.
// Renewed every 1 s: right after a kill at least ~2 s of it remain, even on a busy machine.
const LEASE_MS = 3000
// More than loopback sockets can buffer (~36 MiB here), so the killed delivery is still running.
const SIZE = 64 * 1024 * 1024

let dir: string
let issuer: TestIssuer
let fileHash: string
const servers = spawnedServers()
const prefixes: string[] = []

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-resume-process-'))
  fs.mkdirSync(path.join(dir, 'root'))
  const content = randomBytes(SIZE)
  fs.writeFileSync(path.join(dir, 'root', 'big.bin'), content)
  fileHash = createHash('sha256').update(content).digest('hex')
  issuer = createIssuer()
})
afterEach(() => servers.killAll())
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
  for (const prefix of prefixes) await deleteKeys(prefix)
})

const start = (store: Record<string, string>): Promise<{ server: SpawnedServer; url: string }> =>
  servers.start({ ...serverEnv(path.join(dir, 'root'), issuer), DL_RESUME: 'on', DL_RESUME_LEASE_MS: String(LEASE_MS), ...store })

describe.each([
  ['SQLite', (): Record<string, string> => ({ DL_JTI_STORE: `sqlite:${path.join(dir, `used-${randomBytes(4).toString('hex')}.db`)}` })],
  [
    'Redis',
    (): Record<string, string> => {
      const prefix = newRedisPrefix()
      prefixes.push(prefix)
      return { DL_JTI_STORE: REDIS_URL, DL_REDIS_KEY_PREFIX: prefix }
    },
  ],
])('kill -9 during a resumable delivery (%s store)', (_name, storeEnv) => {
  it('keeps the token in use until the lease lapses, then resumes it on a restarted server, never twice at once', async () => {
    const store = storeEnv()
    const [a, b] = await Promise.all([start(store), start(store)])
    const { token } = await issuer.signer.signDownload({ file: 'big.bin' })
    const url = (base: string): string => `${base}/d/${token}`

    // A delivers; the client reads a little and then holds the connection.
    const res = await request(url(a.url))
    expect(res.statusCode).toBe(200)
    const head = createHash('sha256')
    let received = 0
    const reader = res.body[Symbol.asyncIterator]()
    while (received < 1024 * 1024) {
      const chunk = (await reader.next()).value as Buffer
      head.update(chunk)
      received += chunk.length
    }
    expect(await statusOf(url(b.url), { range: 'bytes=0-' })).toBe(409)

    a.server.signal('SIGKILL', 'group')
    await a.server.exited
    const killedAt = Date.now()
    // The dead server's lease still holds: another server must not start a second delivery.
    expect(await statusOf(url(b.url), { range: `bytes=${received}-` })).toBe(409)

    // Whatever reached the client before the kill is what it has.
    try {
      for (let next = await reader.next(); next.done !== true; next = await reader.next()) {
        head.update(next.value as Buffer)
        received += (next.value as Buffer).length
      }
    } catch {
      // the connection died with the server
    }
    expect(received).toBeLessThan(SIZE)

    const restarted = await start(store)
    let resumed: Awaited<ReturnType<typeof request>> | undefined
    while (resumed === undefined) {
      const attempt = await request(url(restarted.url), { headers: { range: `bytes=${received}-` } })
      if (attempt.statusCode === 409) {
        await attempt.body.dump()
        expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 4000)
        await new Promise((resolve) => setTimeout(resolve, 50))
      } else {
        resumed = attempt
      }
    }
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(LEASE_MS / 2)
    expect(resumed.statusCode).toBe(206)
    expect(resumed.headers['content-range']).toBe(`bytes ${received}-${SIZE - 1}/${SIZE}`)
    // While the resumption runs on the restarted server, the other one refuses.
    expect(await statusOf(url(b.url), { range: 'bytes=0-' })).toBe(409)

    for await (const chunk of resumed.body) head.update(chunk as Buffer)
    expect(head.digest('hex')).toBe(fileHash)
    await expect.poll(() => statusOf(url(b.url)), { timeout: 10_000 }).toBe(410)
  })
})
