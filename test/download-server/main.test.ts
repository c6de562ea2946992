import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeSparseFile } from './support/file-fixtures.js'
import { connects, statusOf } from './support/http-probes.js'
import { createIssuer, type TestIssuer } from './support/issuer.js'
import { serverEnv } from './support/server-env.js'
import { spawnedServers, type SpawnedServer } from './support/spawn-server.js'

// The standalone server as operators run it: a real process, configured only from the environment.
let dir: string
let issuer: TestIssuer
let env: Record<string, string>
const BIG = 48 * 1024 * 1024
const servers = spawnedServers()

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-main-'))
  fs.mkdirSync(path.join(dir, 'root'))
  fs.writeFileSync(path.join(dir, 'root', 'small.txt'), 'small file\n')
  writeSparseFile(path.join(dir, 'root', 'big.bin'), BIG)
  issuer = createIssuer()
  env = { ...serverEnv(path.join(dir, 'root'), issuer), DL_JTI_STORE: `sqlite:${path.join(dir, 'data', 'used.db')}` }
})
afterEach(() => servers.killAll())
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const start = (via: 'npm' | 'node' = 'node'): Promise<{ server: SpawnedServer; url: string }> => servers.start(env, { via })

/** Starts a download of big.bin and reads only its first chunk, leaving the rest in flight. */
async function startSlowDownload(url: string): Promise<{ rest: Promise<number> }> {
  const res = await request(`${url}/d/${await issuer.token({ file: 'big.bin' })}`)
  expect(res.statusCode).toBe(200)
  const iterator = res.body[Symbol.asyncIterator]()
  const first = await iterator.next()
  let received = (first.value as Buffer).length
  const rest = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) return received
      received += (next.value as Buffer).length
    }
  })()
  return { rest }
}

describe('download-server/src/main.ts', () => {
  it('prints the address it listens on, in one log line', async () => {
    const { server, url } = await start('npm')
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.output().trim().split('\n')).toHaveLength(1)
  })

  it('still refuses a used token after kill -9 of `npm run start:download` and a restart on the same store', async () => {
    const token = await issuer.token({ file: 'small.txt' })
    const first = await start('npm')
    expect(await statusOf(`${first.url}/d/${token}`)).toBe(200)
    first.server.signal('SIGKILL', 'group')
    await first.server.exited
    const second = await start('npm')
    expect(await statusOf(`${second.url}/d/${token}`)).toBe(410)
    expect(second.server.output() + first.server.output()).not.toContain(token.split('.')[2]!.slice(0, 40))
  })

  it('on SIGTERM stops accepting at once, lets a running download finish, and exits 0', async () => {
    const { server, url } = await start()
    const download = await startSlowDownload(url)
    server.signal('SIGTERM')
    await expect.poll(() => connects(url), { timeout: 3000 }).toBe(false)
    expect(await download.rest).toBe(BIG)
    expect(await server.exited).toEqual({ code: 0, signal: null })
    // It got to the end of its shutdown (store and its checkpoint thread closed), not cut short.
    expect(server.output()).toContain('"msg":"stopped"')
  })

  it('on SIGTERM to npm’s process group also lets the running download finish and stops the server', async () => {
    const { server, url } = await start('npm')
    const download = await startSlowDownload(url)
    server.signal('SIGTERM', 'group')
    expect(await download.rest).toBe(BIG)
    await expect.poll(() => server.output(), { timeout: 5000 }).toContain('"msg":"stopped"')
    await expect.poll(() => connects(url), { timeout: 3000 }).toBe(false)
  })
})
