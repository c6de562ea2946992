import fs from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dataPaths } from '../../app-server/src/server.js'
import { openAppDatabase } from '../../app-server/src/db/open-app-database.js'
import { seedDemo } from '../../app-server/src/demo/seed-demo.js'
import { createPasswordHasher } from '../../app-server/src/users/password-hasher.js'
import { firstChildForked } from '../download-server/support/spawn-server.js'
import { CookieClient } from './support/cookie-client.js'
import { EntryProcesses, waitForOutput as waitFor } from './support/entry-process.js'
import type { EntryProcess as Run } from './support/entry-process.js'

// APP_WORKERS=2 as an operator runs it: `npm run start:app`'s entry point, real processes, one
// port. Every request below opens its own connection (`connection: close`): node:cluster hands
// connections to the workers in turn, so consecutive requests reach different workers.

const USER = 'worker-user'
const PASSWORD = 'worker user password'

const processes = new EntryProcesses()
const dirs: string[] = []
const start = (env: Record<string, string>): Run =>
  processes.start('app-server/src/main.ts', { APP_WORKERS: '2', APP_PORT: '0', LOG_LEVEL: 'info', ...env })

/** The pids that wrote a request log line for `method url` (a path), in the order they answered. */
function answeredBy(r: Run, method: string, url: string): number[] {
  return r
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"msg":"request completed"'))
    .map((line) => JSON.parse(line) as { pid: number; req: { method: string; url: string } })
    .filter((line) => line.req.method === method && line.req.url === url)
    .map((line) => line.pid)
}
async function seededDataDir(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-workers-'))
  dirs.push(dataDir)
  const paths = dataPaths(dataDir)
  fs.mkdirSync(paths.filesDir, { recursive: true, mode: 0o700 })
  const db = openAppDatabase(paths.database)
  try {
    const demo = { user: USER, password: PASSWORD, adminUser: 'worker-admin', adminPassword: `${PASSWORD} admin` }
    await seedDemo({ db, hasher: await createPasswordHasher(), filesDir: paths.filesDir, clock: () => new Date(), demo })
  } finally {
    db.close()
  }
  return dataDir
}

afterEach(() => processes.stopAll())
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

describe('APP_WORKERS=2 (npm run start:app)', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await seededDataDir()
  })

  it('serves from both workers on one port; a sign-out on one ends the session on every worker; SIGTERM stops all with exit 0', async () => {
    const r = start({ DATA_DIR: dataDir })
    const [, url] = await waitFor(r, /App server listening on (http:\/\/127\.0\.0\.1:\d+) with 2 workers/)
    const c = new CookieClient(url as string, { headers: { connection: 'close' } })
    expect((await c.login(USER, PASSWORD)).status).toBe(303)
    for (let i = 0; i < 6; i++) expect((await c.get('/files')).status).toBe(200)
    await waitFor(r, /("url":"\/files".*){6}/s)
    expect(new Set(answeredBy(r, 'GET', '/files')).size).toBe(2)

    // The cookie as a thief copied it before the sign-out (the browser forgets it at sign-out).
    const stolen = c.clone()
    expect(stolen.jar.size).toBeGreaterThan(0)
    expect((await c.post('/logout', { _csrf: await c.csrfFrom('/files') })).status).toBe(303)
    for (let i = 0; i < 6; i++) expect((await stolen.get('/files')).location).toBe('/login')
    expect(stolen.jar.size).toBeGreaterThan(0)

    const workers = [...new Set(answeredBy(r, 'GET', '/files'))]
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    // The primary exits only once its workers have: none is left behind.
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    expect(workers.filter(alive)).toEqual([])
  })

  const firstForked = (r: Run): Promise<void> => firstChildForked(r.child.pid!, r.output)

  it('stops with exit 0, without killing a worker, on a SIGTERM to the primary while its first worker is still starting', async () => {
    const r = start({ DATA_DIR: dataDir })
    await firstForked(r)
    const t0 = performance.now()
    r.child.kill('SIGTERM')
    expect(await r.exit).toBe(0)
    // Killing a worker that missed the shutdown would take the 10 s grace and 5 s more.
    expect(performance.now() - t0).toBeLessThan(10_000)
    expect(r.output()).not.toContain('did not stop in time')
    expect(r.output()).not.toContain('App server listening')
  })

  it('stops with exit 0 on a SIGTERM to its whole process group during start-up', async () => {
    const r = processes.start('app-server/src/main.ts', { DATA_DIR: dataDir, APP_WORKERS: '2', APP_PORT: '0', LOG_LEVEL: 'info' }, { detached: true })
    await firstForked(r)
    const t0 = performance.now()
    process.kill(-(r.child.pid as number), 'SIGTERM')
    expect({ code: await r.exit, output: r.output() }).toMatchObject({ code: 0 })
    expect(performance.now() - t0).toBeLessThan(10_000)
    expect(r.output()).not.toContain('did not stop in time')
  })

  it('counts failed sign-ins of one account across workers: the 11th within the window is refused with 429', async () => {
    const r = start({ DATA_DIR: dataDir })
    const [, url] = await waitFor(r, /App server listening on (http:\/\/127\.0\.0\.1:\d+) with 2 workers/)
    const c = new CookieClient(url as string, { headers: { connection: 'close' } })
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      // A sign-in is two requests (the form, then the post): one more every other time, so that
      // the posts, not only the forms, reach both workers.
      if (i % 2 === 1) await c.get('/healthz')
      statuses.push((await c.login(USER, `wrong password ${i}`)).status)
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429])
    // Each worker checked some of them: a count kept per worker would have allowed 20.
    await waitFor(r, /("method":"POST","url":"\/login".*){11}/s)
    expect(new Set(answeredBy(r, 'POST', '/login')).size).toBe(2)
  })

  it('exits 1 with one line naming APP_PORT when the port is in use', async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const r = start({ DATA_DIR: await seededDataDir(), APP_PORT: String(port), LOG_LEVEL: 'warn' })
      expect(await r.exit).toBe(1)
      expect(r.output().trim().split('\n')).toEqual([`app-server: APP_PORT: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`])
    } finally {
      taken.close()
    }
  })
})
