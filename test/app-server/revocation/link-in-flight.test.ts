import { randomBytes } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRevocationEvents } from '../../../app-server/src/revocation/revocation-events.js'
import { createRevocationMetrics } from '../../../app-server/src/revocation/revocation-metrics.js'
import { DEFAULT_REVOCATION_TUNING } from '../../../app-server/src/revocation/revocation-worker.js'
import type { SecurityEvents, SecurityEventsContext } from '../../../app-server/src/security-events.js'
import { sessionHandle } from '../../../app-server/src/sessions/session-store.js'
import { deleteKeys } from '../../download-server/support/redis.js'
import { startHarness } from '../support/app-harness.js'
import type { Account, Harness } from '../support/app-harness.js'
import type { CookieClient } from '../support/cookie-client.js'
import { EventGate } from '../support/event-gate.js'

// A download request that loaded its session just before a sign-out (password change, ending
// that session) goes on minting a link after the sign-out has revoked the user's links. The
// revocation sink below is the real one, except that it holds the next `token_issued` until the
// test lets it go: the window between loading the session and recording the link, made wide.

const gate = new EventGate()

function heldEvents(ctx: SecurityEventsContext): SecurityEvents {
  const real = createRevocationEvents(ctx, {
    fetch: globalThis.fetch,
    random: Math.random,
    metrics: createRevocationMetrics(new Registry()),
    tuning: DEFAULT_REVOCATION_TUNING,
    firstAttemptMs: 3000,
    requestTimeoutMs: 2000,
  })
  return {
    async record(event) {
      await gate.pass(event)
      return real.record(event)
    },
    close: async () => real.close?.(),
  }
}

const stores = [
  { store: 'SQLite', env: {} as Record<string, string> },
  { store: 'Redis', env: { APP_SESSION_STORE: 'redis://127.0.0.1:6379' } },
]

describe.each(stores)('a link being minted while the session ends ($store sessions)', ({ env }) => {
  let h: Harness
  const prefix = `test:app:inflight:${randomBytes(6).toString('hex')}:`
  let n = 0
  beforeAll(async () => {
    h = await startHarness({ env, redisKeyPrefix: prefix, events: heldEvents })
  })
  afterAll(async () => {
    await h.close()
    if (env.APP_SESSION_STORE) await deleteKeys(prefix)
  })

  async function userWithFile(): Promise<{ u: Account; c: CookieClient; fileId: string }> {
    n += 1
    const u = await h.createUser(`inflight-${n}`, `in flight password ${n}`)
    const c = h.client()
    expect((await c.login(u.username, u.password)).status).toBe(303)
    const r = await c.postMultipart('/files', [
      { name: '_csrf', value: await c.csrfFrom('/files') },
      { name: 'file', filename: 'held.txt', content: Buffer.from('held contents') },
    ])
    expect(r.status).toBe(303)
    const fileId = /href="\/files\/([A-Za-z0-9_-]{22})\/download"/.exec((await c.get('/files')).body)?.[1]
    if (!fileId) throw new Error('upload not listed')
    return { u, c, fileId }
  }

  /**
   * Starts a download request, ends the session with `end` while its link is being made, then lets
   * it finish. The Location it answers with ('' when it is not a redirect, e.g. a 500: the tests
   * expect '/login', so an error page cannot pass for "no link handed out").
   */
  async function mintDuring(c: CookieClient, fileId: string, end: () => Promise<void>): Promise<string> {
    const held = gate.holdNext('token_issued')
    const pending = c.get(`/files/${fileId}/download`)
    await held.reached
    await end()
    held.release()
    return (await pending).location
  }

  it('hands out no link to a request in flight when the user signs out', async () => {
    const { c, fileId } = await userWithFile()
    const thief = c.clone()
    const location = await mintDuring(thief, fileId, async () => {
      expect((await c.post('/logout', { _csrf: await c.csrfFrom('/files') })).status).toBe(303)
    })
    expect(location).toBe('/login')
  })

  it('hands out no link to a request in flight when the password is changed on another device', async () => {
    const { u, c, fileId } = await userWithFile()
    const other = h.client()
    expect((await other.login(u.username, u.password)).status).toBe(303)
    const location = await mintDuring(c, fileId, async () => {
      const r = await other.post('/account/password', { current_password: u.password, new_password: 'a new password 1', _csrf: await other.csrfFrom('/files') })
      expect(r.status).toBe(303)
    })
    expect(location).toBe('/login')
  })

  it('hands out no link to a request in flight when its session is ended from another device', async () => {
    const { u, c, fileId } = await userWithFile()
    const other = h.client()
    expect((await other.login(u.username, u.password)).status).toBe(303)
    const handle = sessionHandle(c.session()?.id ?? '')
    const location = await mintDuring(c, fileId, async () => {
      const r = await other.post(`/account/sessions/${handle}/revoke`, { _csrf: await other.csrfFrom('/account/sessions') })
      expect(r.status).toBe(303)
    })
    expect(location).toBe('/login')
  })

  /** The issued-token rows of one file: whether each was revoked, and why. */
  function linksOf(fileId: string): { revoked_reason: string | null }[] {
    const db = new Database(path.join(h.dataDir, 'app.db'), { readonly: true })
    try {
      return db.prepare('SELECT revoked_reason FROM issued_tokens WHERE file_id = ?').all(fileId) as { revoked_reason: string | null }[]
    } finally {
      db.close()
    }
  }

  // The ban and the deletion revoke what is recorded when they run; the link being minted is
  // recorded after them, and must be caught by the check made as it is recorded.
  it('revokes the link of a request in flight when the user is banned', async () => {
    const { u, c, fileId } = await userWithFile()
    const admin = h.client()
    expect((await admin.login(h.admin.username, h.admin.password)).status).toBe(303)
    const location = await mintDuring(c, fileId, async () => {
      expect((await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })).status).toBe(303)
    })
    expect(location).toBe('/login')
    expect(linksOf(fileId)).toEqual([{ revoked_reason: 'user_banned' }])
  })

  it('revokes the link of a request in flight when its file is deleted', async () => {
    const { c, fileId } = await userWithFile()
    const other = c.clone()
    await mintDuring(c, fileId, async () => {
      expect((await other.post(`/files/${fileId}/delete`, { _csrf: await other.csrfFrom('/files') })).status).toBe(303)
    })
    expect(linksOf(fileId)).toEqual([{ revoked_reason: 'file_deleted' }])
  })

  it('still hands out the link when the session lives on', async () => {
    const { c, fileId } = await userWithFile()
    const location = await mintDuring(c, fileId, async () => {})
    expect(location).toContain('/d/')
  })
})
