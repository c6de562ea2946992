import net from 'node:net'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningDownloadServer } from '../../../download-server/src/server.js'
import { startHarness } from '../support/app-harness.js'
import type { Account, Harness } from '../support/app-harness.js'
import type { CookieClient } from '../support/cookie-client.js'
import { fetchLink, freePort, startDownload, waitFor } from '../support/download-servers.js'

// The download server is away when the app revokes: the user's action still succeeds at once,
// the failure is logged and counted, and the outbox delivers once the server is back on the
// same port. Retries are shortened (backoff 100 ms → 400 ms) to keep the test quick.

let h: Harness
let db: Database.Database
let port: number
let download: RunningDownloadServer | undefined
beforeAll(async () => {
  port = await freePort()
  const url = `http://127.0.0.1:${port}`
  h = await startHarness({
    downloadServer: false,
    env: { DL_PUBLIC_URL: url, DL_INTERNAL_URL: url, APP_METRICS: 'on' },
    // A long request timeout: only the first-attempt bound (300 ms) keeps a ban quick when the
    // download server is silent.
    revocation: { tuning: { backoff: { baseMs: 100, maxMs: 400 }, pollMs: 400, claimLeaseMs: 10_000 }, requestTimeoutMs: 5000 },
  })
  db = new Database(path.join(h.dataDir, 'app.db'), { readonly: true })
})
afterAll(async () => {
  db.close()
  await download?.close()
  await h.close()
})

let n = 0
async function userWithFile(): Promise<{ u: Account; c: CookieClient; fileId: string }> {
  n += 1
  const u = await h.createUser(`down-${n}`, `download down password ${n}`)
  const c = h.client()
  expect((await c.login(u.username, u.password)).status).toBe(303)
  await c.postMultipart('/files', [
    { name: '_csrf', value: await c.csrfFrom('/files') },
    { name: 'file', filename: `f${n}.txt`, content: Buffer.from(`file ${n}`) },
  ])
  const fileId = /href="\/files\/([A-Za-z0-9_-]{22})\/download"/.exec((await c.get('/files')).body)?.[1] as string
  return { u, c, fileId }
}
const sentAt = (jti: string): unknown => (db.prepare('SELECT revocation_sent_at AS t FROM issued_tokens WHERE jti = ?').get(jti) as { t: unknown }).t
const jtiOf = (location: string): string => {
  const body = Buffer.from(location.split('/d/')[1]?.split('.')[2] as string, 'base64url')
  return (JSON.parse(body.subarray(0, body.length - 64).toString()) as { jti: string }).jti
}
async function ban(u: Account): Promise<{ status: number; ms: number }> {
  const admin = h.client()
  await admin.login(h.admin.username, h.admin.password)
  const token = await admin.csrfFrom('/admin/users')
  const started = performance.now()
  const r = await admin.post(`/admin/users/${u.id}/ban`, { _csrf: token })
  return { status: r.status, ms: performance.now() - started }
}

describe('revocation while the download server is down', () => {
  it('bans at once, logs and counts the failure, and delivers the revocation once the server is back on the same port', async () => {
    const { u, c, fileId } = await userWithFile()
    const link = (await c.get(`/files/${fileId}/download`)).location
    const jti = jtiOf(link)

    const banned = await ban(u)
    expect(banned.status).toBe(303)
    expect(banned.ms).toBeLessThan(2000)
    await waitFor(() => h.logs.text.includes('download server unavailable for revocation; will retry'), 10_000, 'the failure in the log')
    const metrics = await h.client().get('/metrics')
    expect(metrics.status).toBe(200)
    expect(metrics.body).toMatch(/app_revocation_attempts_total\{outcome="unavailable"\} [1-9]/)
    expect(metrics.body).toMatch(/app_revocation_ids_total\{outcome="queued"\} [1-9]/)
    expect(sentAt(jti)).toBeNull()

    download = await startDownload({ dataDir: h.dataDir, logs: h.logs, port })
    await waitFor(() => sentAt(jti) !== null, 10_000, 'the revocation to be delivered')
    expect(await fetchLink(link)).toMatchObject({ status: 410, code: 'token_revoked' })
    expect(db.prepare('SELECT count(*) AS n FROM revocation_outbox').get()).toEqual({ n: 0 })
    expect((await h.client().get('/metrics')).body).toMatch(/app_revocation_attempts_total\{outcome="delivered"\} [1-9]/)
  })

  it('answers within the first-attempt bound when the download server accepts connections but never answers', async () => {
    await download?.close()
    download = undefined
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((s) => void sockets.add(s))
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve))
    try {
      const { u, c, fileId } = await userWithFile()
      const jti = jtiOf((await c.get(`/files/${fileId}/download`)).location)
      const banned = await ban(u)
      expect(banned.status).toBe(303)
      expect(banned.ms).toBeLessThan(2000)
      await waitFor(() => sockets.size > 0, 10_000, 'the app to try the silent server')
      expect(sentAt(jti)).toBeNull()
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})
