import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { SessionData } from 'express-session'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionHandle } from '../../../app-server/src/sessions/session-store.js'
import type { SessionStore } from '../../../app-server/src/sessions/session-store.js'
import { RedisSessionStore } from '../../../app-server/src/stores/redis-session-store.js'
import { SqliteSessionStore } from '../../../app-server/src/stores/sqlite-session-store.js'

// ONE contract, run against both stores: what express-session needs, plus what sessions
// done right need (list/end all of a user's sessions; a destroyed id stays dead).

interface Harness {
  store: SessionStore
  /** Everything the store has written, as text, to look for secrets in. */
  dump(): Promise<string>
  close(): Promise<void>
}

const TTL_SECONDS = 3600

async function sqliteHarness(): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sess-sqlite-'))
  const db = new Database(path.join(dir, 'sessions.db'))
  db.pragma('journal_mode = WAL')
  const store = new SqliteSessionStore(db, { ttlSeconds: TTL_SECONDS, clock: () => new Date() })
  return {
    store,
    dump: async () => JSON.stringify(db.prepare('SELECT * FROM sessions').all()),
    close: async () => {
      db.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function redisHarness(): Promise<Harness> {
  const client = createClient({ url: 'redis://127.0.0.1:6379' })
  await client.connect()
  const prefix = `test:app-sessions:${randomBytes(6).toString('hex')}:`
  const store = new RedisSessionStore(client, { prefix, ttlSeconds: TTL_SECONDS, clock: () => new Date() })
  const keys = async (): Promise<string[]> => client.keys(`${prefix}*`)
  return {
    store,
    dump: async () => {
      const all = await keys()
      const values = await Promise.all(all.map(async (k) => `${k}=${JSON.stringify(await client.sendCommand(['DUMP', k]))}`))
      return values.join('\n')
    },
    close: async () => {
      const all = await keys()
      if (all.length > 0) await client.del(all)
      client.destroy()
    },
  }
}

const sid = (): string => randomBytes(32).toString('base64url')
const data = (fields: Partial<SessionData> = {}, expiresInMs = 60_000): SessionData =>
  ({ cookie: { originalMaxAge: expiresInMs, expires: new Date(Date.now() + expiresInMs), httpOnly: true, path: '/' }, ...fields }) as SessionData

const cb = <T>(fn: (done: (err: unknown, value?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => fn((err, value) => (err ? reject(err as Error) : resolve(value))))
const get = (s: SessionStore, id: string): Promise<SessionData | null | undefined> => cb((done) => s.get(id, done))
const set = (s: SessionStore, id: string, d: SessionData): Promise<unknown> => cb((done) => s.set(id, d, done))
const touch = (s: SessionStore, id: string, d: SessionData): Promise<unknown> => cb((done) => s.touch(id, d, done))
const destroy = (s: SessionStore, id: string): Promise<unknown> => cb((done) => s.destroy(id, done))

describe.each([
  ['SqliteSessionStore', sqliteHarness],
  ['RedisSessionStore', redisHarness],
])('%s (session store contract)', (_name, makeHarness) => {
  let h: Harness
  let store: SessionStore
  let nextUser = 1
  const userId = (): number => nextUser++

  beforeAll(async () => {
    h = await makeHarness()
    store = h.store
  })
  afterAll(async () => {
    await h.close()
  })

  it('returns what was set, and nothing for an unknown id', async () => {
    const id = sid()
    await set(store, id, data({ userId: userId(), userAgent: 'UA 1', authAt: 1000 }))
    const got = await get(store, id)
    expect(got?.userAgent).toBe('UA 1')
    expect(got?.authAt).toBe(1000)
    expect(await get(store, sid())).toBeFalsy()
  })

  it('forgets a destroyed session, and a later write (a request still in flight) does not bring it back', async () => {
    const id = sid()
    const d = data({ userId: userId(), authAt: Date.now() })
    await set(store, id, d)
    await destroy(store, id)
    expect(await get(store, id)).toBeFalsy()
    await set(store, id, d)
    await touch(store, id, d)
    expect(await get(store, id)).toBeFalsy()
  })

  it('touch extends a live session but never creates one', async () => {
    const id = sid()
    await touch(store, id, data({ userAgent: 'ghost' }))
    expect(await get(store, id)).toBeFalsy()
    // 1 s: the touch must land before this expiry, even on a slow machine; the wait goes past it.
    await set(store, id, data({ userAgent: 'live' }, 1000))
    await touch(store, id, data({ userAgent: 'live' }, 60_000))
    await new Promise((r) => setTimeout(r, 1300))
    expect((await get(store, id))?.userAgent).toBe('live')
  })

  it('expires a session at its cookie expiry, and purging keeps live ones', async () => {
    const short = sid()
    const long = sid()
    await set(store, short, data({ userAgent: 'short' }, 300))
    await set(store, long, data({ userAgent: 'long' }, 60_000))
    await new Promise((r) => setTimeout(r, 450))
    expect(await get(store, short)).toBeFalsy()
    await store.purgeExpired()
    expect((await get(store, long))?.userAgent).toBe('long')
  })

  it('lists the live sessions of one user by handle, newest sign-in first, never by id', async () => {
    const u = userId()
    const other = userId()
    const a = sid()
    const b = sid()
    await set(store, a, data({ userId: u, authAt: 1_000, lastSeenAt: 5_000, userAgent: 'Firefox' }))
    await set(store, b, data({ userId: u, authAt: 2_000, lastSeenAt: 3_000, userAgent: 'Chromium' }))
    await set(store, sid(), data({ userId: other, authAt: 1_500 }))
    await set(store, sid(), data({ userAgent: 'anonymous' }))
    const list = await store.listByUser(u)
    expect(list.map((s) => s.userAgent)).toEqual(['Chromium', 'Firefox'])
    expect(list.map((s) => s.handle)).toEqual([sessionHandle(b), sessionHandle(a)])
    expect(list[1]?.signedInAt.getTime()).toBe(1_000)
    expect(list[1]?.lastSeenAt.getTime()).toBe(5_000)
    expect(list[0]?.expiresAt.getTime()).toBeGreaterThan(Date.now())
    expect(JSON.stringify(list)).not.toContain(a)
  })

  it('ends every session of a user but the one kept, and leaves other users alone', async () => {
    const u = userId()
    const other = userId()
    const ids = [sid(), sid(), sid()]
    for (const id of ids) await set(store, id, data({ userId: u, authAt: Date.now() }))
    const theirs = sid()
    await set(store, theirs, data({ userId: other, authAt: Date.now() }))
    expect(await store.destroyByUser(u, { except: ids[0] })).toBe(2)
    expect(await get(store, ids[0] as string)).toBeTruthy()
    expect(await get(store, ids[1] as string)).toBeFalsy()
    expect(await get(store, ids[2] as string)).toBeFalsy()
    expect(await get(store, theirs)).toBeTruthy()
    expect((await store.listByUser(u)).length).toBe(1)
    expect(await store.destroyByUser(u)).toBe(1)
    expect(await get(store, ids[0] as string)).toBeFalsy()
  })

  it('misses no session when writes race with ending all of a user\'s sessions', async () => {
    const u = userId()
    const ids = Array.from({ length: 30 }, sid)
    await Promise.all(ids.map((id) => set(store, id, data({ userId: u, authAt: Date.now() }))))
    // Late writes of the same sessions (requests finishing) race with the purge.
    await Promise.all([
      store.destroyByUser(u),
      ...ids.map((id) => set(store, id, data({ userId: u, authAt: Date.now(), lastSeenAt: Date.now() }))),
    ])
    const alive = (await Promise.all(ids.map((id) => get(store, id)))).filter(Boolean)
    expect(alive).toHaveLength(0)
    expect(await store.listByUser(u)).toHaveLength(0)
  })

  it('ends one session by handle only for the user it belongs to', async () => {
    const u = userId()
    const intruder = userId()
    const id = sid()
    await set(store, id, data({ userId: u, authAt: Date.now() }))
    expect(await store.destroyHandle(intruder, sessionHandle(id))).toBe(false)
    expect(await get(store, id)).toBeTruthy()
    expect(await store.destroyHandle(u, 'no-such-handle')).toBe(false)
    expect(await store.destroyHandle(u, sessionHandle(id))).toBe(true)
    expect(await get(store, id)).toBeFalsy()
  })

  it('stores no session id, only its sha256 handle', async () => {
    const id = sid()
    await set(store, id, data({ userId: userId(), authAt: Date.now() }))
    const dump = await h.dump()
    expect(dump).toContain(sessionHandle(id))
    expect(dump).not.toContain(id)
  })
})
