import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeSparseFile } from '../support/file-fixtures.js'
import { connects, statusOf } from '../support/http-probes.js'
import { createIssuer, type TestIssuer } from '../support/issuer.js'
import { serverEnv } from '../support/server-env.js'
import { firstChildForked, spawnedServers, type SpawnedServer } from '../support/spawn-server.js'
import { notServedExactlyOnce, raceTokens } from './support/race.js'

// DL_WORKERS=2: one `npm run start:download` (or node) process is a cluster primary with two
// worker processes on one port, sharing one SQLite store.
const BIG = 48 * 1024 * 1024
let dir: string
let issuer: TestIssuer
let env: Record<string, string>
const servers = spawnedServers()

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-workers-'))
  fs.mkdirSync(path.join(dir, 'root'))
  fs.writeFileSync(path.join(dir, 'root', 'f.bin'), Buffer.alloc(2048, 1))
  writeSparseFile(path.join(dir, 'root', 'big.bin'), BIG)
  issuer = createIssuer()
  env = { ...serverEnv(path.join(dir, 'root'), issuer), DL_JTI_STORE: `sqlite:${path.join(dir, 'used.db')}`, DL_WORKERS: '2' }
})
afterEach(() => servers.killAll())
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const start = (via: 'npm' | 'node'): Promise<{ server: SpawnedServer; url: string }> => servers.start(env, { via })

interface LogLine { msg?: string; pid?: number; worker?: number; status?: number; route?: string }
const logLines = (server: SpawnedServer): LogLine[] =>
  server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine)

const workerPids = (server: SpawnedServer): number[] =>
  logLines(server).filter((line) => line.msg === 'worker listening').map((line) => line.pid!)

describe('DL_WORKERS=2', () => {
  it('serves each token exactly once from both workers, and /metrics counts the requests of both', async () => {
    const { server, url } = await start('npm')
    expect(workerPids(server)).toHaveLength(2)
    const tokens = await Promise.all(Array.from({ length: 30 }, () => issuer.token({ file: 'f.bin' })))
    const outcome = await raceTokens([url], tokens, 8)
    expect(notServedExactlyOnce(outcome)).toEqual([])

    // A worker logs a request when its response has ended, which can be a moment after the
    // client has read the last byte: wait for the lines rather than race them.
    const answered = (status: number): LogLine[] =>
      logLines(server).filter((line) => line.route === '/d/:token' && line.status === status)
    await expect.poll(() => answered(200).length + answered(410).length, { timeout: 5000 }).toBe(240)
    const served = answered(200)
    expect(served).toHaveLength(30)
    // Both workers answered: the port really is shared. (Which worker wins each race is up to the
    // scheduler: on a busy machine one can win them all, so the refusals count too.)
    expect(new Set([...served, ...answered(410)].map((line) => line.worker))).toEqual(new Set([1, 2]))

    const metrics = await request(`${url}/metrics`)
    const text = await metrics.body.text()
    expect(metrics.statusCode).toBe(200)
    expect(text).toContain('download_requests_total{route="/d/:token",status="200",code="ok"} 30')
    expect(text).toContain('download_requests_total{route="/d/:token",status="410",code="token_used"} 210')
  })

  it('starts another worker when one is killed, and keeps serving', async () => {
    const { server, url } = await start('node')
    const [victim] = workerPids(server)
    process.kill(victim!, 'SIGKILL')
    await expect.poll(() => workerPids(server).length, { timeout: 15_000 }).toBe(3)
    expect(server.output()).toContain('worker exited unexpectedly; starting another')
    const token = await issuer.token({ file: 'f.bin' })
    expect(await statusOf(`${url}/d/${token}`)).toBe(200)
    expect(await statusOf(`${url}/d/${token}`)).toBe(410)
    expect(await statusOf(`${url}/healthz`)).toBe(200)
  })

  it('on SIGTERM to the primary stops accepting at once, lets a running download finish, and exits 0', async () => {
    const { server, url } = await start('node')
    const res = await request(`${url}/d/${await issuer.token({ file: 'big.bin' })}`)
    expect(res.statusCode).toBe(200)
    const iterator = res.body[Symbol.asyncIterator]()
    let received = ((await iterator.next()).value as Buffer).length
    server.signal('SIGTERM')
    await expect.poll(() => connects(url), { timeout: 3000 }).toBe(false)
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) received += (next.value as Buffer).length
    expect(received).toBe(BIG)
    expect(await server.exited).toEqual({ code: 0, signal: null })
    // Every worker went the graceful way too.
    expect(logLines(server).filter((line) => line.msg === 'stopped')).toHaveLength(3)
  })

  it.each(['process', 'group'] as const)('stops with exit 0, without killing a worker, on a SIGTERM to the %s while the first worker is still starting', async (target) => {
    const server = servers.spawn(env, { via: 'node' })
    await firstChildForked(server.child.pid!, server.output)
    const t0 = performance.now()
    server.signal('SIGTERM', target)
    expect({ exit: await server.exited, output: server.output() }).toMatchObject({ exit: { code: 0, signal: null } })
    // Killing a worker that missed the shutdown would take the 30 s grace and 5 s more.
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(server.output()).not.toContain('did not stop in time')
    expect(server.output()).not.toContain('download server listening')
  })

  it('stops with one line naming DL_JTI_STORE and a non-zero exit when the store cannot be opened', async () => {
    const blocker = path.join(dir, 'not-a-dir')
    fs.writeFileSync(blocker, '')
    const server = servers.spawn({ ...env, DL_JTI_STORE: `sqlite:${path.join(blocker, 'used.db')}` }, { via: 'npm' })
    const exit = await server.exited
    expect(exit.code).not.toBe(0)
    const lines = server.output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^DL_JTI_STORE: /)
  })
})
