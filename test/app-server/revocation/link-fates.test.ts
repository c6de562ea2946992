import { randomBytes } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDownloadServer } from '../../../download-server/src/server.js'
import { sessionHandle } from '../../../app-server/src/sessions/session-store.js'
import { startHarness } from '../support/app-harness.js'
import type { Harness } from '../support/app-harness.js'
import type { CookieClient } from '../support/cookie-client.js'
import { fetchLink, freePort, startDownload, waitFor } from '../support/download-servers.js'

// Two real download servers sharing one Redis (as a scaled-out deployment), the app reading
// that Redis for link fates (APP_DOWNLOAD_OUTCOMES). The browser reaches server A, the app
// sends revocations to server B: a link revoked through B is refused by A. The app's clock can
// be moved ahead to see links expire.

const prefix = `test:fates:${randomBytes(6).toString('hex')}:`
const redis = createClient({ url: 'redis://127.0.0.1:6379' })
let h: Harness
let a: RunningDownloadServer
let b: RunningDownloadServer
let db: Database.Database
let offsetMs = 0
const LIFETIME_S = 60

beforeAll(async () => {
  await redis.connect()
  const [portA, portB] = [await freePort(), await freePort()]
  h = await startHarness({
    downloadServer: false,
    clock: () => new Date(Date.now() + offsetMs),
    env: {
      DL_PUBLIC_URL: `http://127.0.0.1:${portA}`,
      DL_INTERNAL_URL: `http://127.0.0.1:${portB}`,
      TOKEN_LIFETIME_SECONDS: String(LIFETIME_S),
      APP_DOWNLOAD_OUTCOMES: 'redis://127.0.0.1:6379',
      APP_DOWNLOAD_OUTCOMES_PREFIX: prefix,
    },
    // A 3 s first-attempt wait (300 ms in production) keeps a busy machine from making this flaky.
    revocation: { linkFates: { sweepMs: 100 }, firstAttemptMs: 3000 },
  })
  const env = { DL_JTI_STORE: 'redis://127.0.0.1:6379', DL_REDIS_KEY_PREFIX: prefix }
  a = await startDownload({ dataDir: h.dataDir, logs: h.logs, port: portA, env })
  b = await startDownload({ dataDir: h.dataDir, logs: h.logs, port: portB, env })
  db = new Database(path.join(h.dataDir, 'app.db'), { readonly: true })
})
afterAll(async () => {
  db.close()
  await Promise.all([a.close(), b.close()])
  await h.close()
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(keys)
  await redis.close()
})

async function signIn(): Promise<CookieClient> {
  const c = h.client()
  expect((await c.login(h.demo.username, h.demo.password)).status).toBe(303)
  return c
}
async function upload(c: CookieClient, name: string, content: Buffer): Promise<string> {
  await c.postMultipart('/files', [
    { name: '_csrf', value: await c.csrfFrom('/files') },
    { name: 'file', filename: name, content },
  ])
  const page = (await c.get('/files')).body
  return new RegExp(`${name}<[\\s\\S]*?href="/files/([A-Za-z0-9_-]{22})/download"`).exec(page)?.[1] as string
}
async function mint(c: CookieClient, fileId: string): Promise<{ url: string; jti: string }> {
  const location = (await c.get(`/files/${fileId}/download`)).location
  const body = Buffer.from(location.split('/d/')[1]?.split('.')[2] as string, 'base64url')
  return { url: location, jti: (JSON.parse(body.subarray(0, body.length - 64).toString()) as { jti: string }).jti }
}
const onB = (url: string): string => url.replace(a.url, b.url)
const fateIn = (page: string, jti: string): string => new RegExp(`data-fate="([a-z_]+)" data-jti="${jti}"`).exec(page)?.[1] ?? 'absent'
const observed = (jti: string): unknown => (db.prepare('SELECT outcome FROM issued_tokens WHERE jti = ?').get(jti) as { outcome: unknown }).outcome

describe('link fates from the download servers\' shared Redis', () => {
  it('shows used and completed, interrupted, revoked, not used yet, then expired unused; never a token', async () => {
    const c = await signIn()
    const small = await upload(c, 'fates-small.txt', Buffer.from('small file'))
    // Larger than what loopback sockets buffer (~36 MiB), so hanging up after one chunk interrupts it.
    const big = await upload(c, 'fates-big.bin', Buffer.alloc(64 * 1024 * 1024, 1))

    const completed = await mint(c, small)
    expect(await fetchLink(completed.url)).toMatchObject({ status: 200 })

    const interrupted = await mint(c, big)
    const res = await request(onB(interrupted.url))
    expect(res.statusCode).toBe(200)
    for await (const chunk of res.body) {
      expect(chunk.length).toBeGreaterThan(0)
      break
    }

    const other = await signIn()
    const revoked = await mint(other, small)
    const ended = await c.post(`/account/sessions/${sessionHandle(other.session()?.id ?? '')}/revoke`, { _csrf: await c.csrfFrom('/files') })
    expect(ended.status).toBe(303)
    // Delivered to server B, refused by server A: they share the store.
    expect(await fetchLink(revoked.url)).toMatchObject({ status: 410, code: 'token_revoked' })

    const unused = await mint(c, small)

    // The sweep copies outcomes into the app's records without anyone viewing the page.
    await waitFor(() => observed(completed.jti) === 'completed' && observed(interrupted.jti) === 'interrupted', 10_000, 'the sweep to see both downloads')

    const page = (await c.get('/files')).body
    expect(fateIn(page, completed.jti)).toBe('completed')
    expect(fateIn(page, interrupted.jti)).toBe('interrupted')
    expect(fateIn(page, revoked.jti)).toBe('revoked')
    expect(fateIn(page, unused.jti)).toBe('unused')
    expect(page).toContain('Used: download completed (10 B sent)')
    expect(page).toContain('Revoked: the session that made it was ended')
    expect(page).not.toContain('v4.public.')

    // The download servers forget a token soon after its expiry; the app has kept what it saw.
    await redis.del(`${prefix}used:${completed.jti}`)
    offsetMs = (LIFETIME_S + 5) * 1000
    const later = (await c.get('/files')).body
    expect(fateIn(later, unused.jti)).toBe('expired_unused')
    expect(fateIn(later, completed.jti)).toBe('completed')
    expect(fateIn(later, revoked.jti)).toBe('revoked')
    expect(later).toContain('Expired unused')
  })
})
