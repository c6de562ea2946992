import path from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LINK_RECORD_MAX_WAIT_MS } from '../../../app-server/src/revocation/revocation-events.js'
import { startHarness } from '../support/app-harness.js'
import type { Harness } from '../support/app-harness.js'
import type { CookieClient } from '../support/cookie-client.js'

// Another process (a second app process, a backup, an operator's sqlite3 shell) holding app.db's
// write lock while a link is being recorded. The link waits for it without blocking the app's
// event loop, and past LINK_RECORD_MAX_WAIT_MS the person gets a "try again" page, not a 500.

let h: Harness
let c: CookieClient
let other: Database.Database
let fileId: string
beforeAll(async () => {
  // The app's background writers (the revocation outbox, the link-fate sweep) write on the main
  // connection, whose busy handler waits on the event loop: while this test holds the lock from
  // this same process, one firing would freeze the app until the lock is released. Keep them
  // quiet here; this test is about the link's own write.
  h = await startHarness({
    downloadServer: false,
    revocation: { tuning: { pollMs: 600_000 }, linkFates: { sweepMs: 600_000, purgeMs: 600_000 } },
  })
  c = h.client()
  expect((await c.login(h.demo.username, h.demo.password)).status).toBe(303)
  fileId = /href="\/files\/([A-Za-z0-9_-]{22})\/download"/.exec((await c.get('/files')).body)?.[1] ?? ''
  other = new Database(path.join(h.dataDir, 'app.db'))
})
afterAll(async () => {
  if (other.inTransaction) other.exec('ROLLBACK')
  other.close()
  await h.close()
})

/** The time `GET /healthz` takes while the link request waits. */
async function healthzMs(): Promise<number> {
  const t0 = performance.now()
  const r = await request(`${h.app.url}/healthz`)
  await r.body.dump()
  expect(r.statusCode).toBe(200)
  return performance.now() - t0
}

describe('recording a link while another process holds the database write lock', () => {
  it('waits without blocking other requests, and answers 503 "try again" once the wait runs out', async () => {
    other.exec('BEGIN IMMEDIATE')
    try {
      const t0 = performance.now()
      const pending = c.get(`/files/${fileId}/download`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      // SQLite's own busy handler would sleep on the event loop for the whole wait.
      expect(await healthzMs()).toBeLessThan(LINK_RECORD_MAX_WAIT_MS / 2)
      const r = await pending
      expect(r.status).toBe(503)
      expect(r.body).toContain('Temporarily unavailable')
      expect(r.location).toBe('')
      expect(performance.now() - t0).toBeGreaterThanOrEqual(LINK_RECORD_MAX_WAIT_MS - 50)
    } finally {
      other.exec('ROLLBACK')
    }
    // Nothing was recorded for the refused request, and the next click works.
    const again = await c.get(`/files/${fileId}/download`)
    expect(again.status).toBe(303)
    expect(again.location).toContain('/d/v4.public.')
  })

  it('hands out the link once the lock is released within the wait', async () => {
    other.exec('BEGIN IMMEDIATE')
    const pending = c.get(`/files/${fileId}/download`)
    await new Promise((resolve) => setTimeout(resolve, 300))
    other.exec('COMMIT')
    const r = await pending
    expect(r.status).toBe(303)
    expect(r.location).toContain('/d/v4.public.')
  })
})
