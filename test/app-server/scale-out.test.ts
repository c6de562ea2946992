import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openAppDatabase } from '../../app-server/src/db/open-app-database.js'
import { UserRepository } from '../../app-server/src/users/user-repository.js'
import { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Account, Harness } from './support/app-harness.js'

// Several app processes on one DATA_DIR: sessions in the shared SQLite file or in Redis, users in
// the shared app.db. Whatever one process does to a session is seen by the others at once.

const signedIn = async (c: CookieClient): Promise<boolean> => (await c.get('/files')).status === 200

describe('two app servers sharing the SQLite session store', () => {
  let h: Harness
  let second: string
  beforeAll(async () => {
    h = await startHarness({ downloadServer: false })
    second = (await h.startAnotherApp()).url
  })
  afterAll(async () => {
    await h.close()
  })

  it('a session made on one is signed in on the other, and a ban on one ends it on both', async () => {
    const u = await h.createUser('shared-1', 'shared password 1')
    const onA = h.client()
    await onA.login(u.username, u.password)
    const onB = new CookieClient(second)
    for (const [k, v] of onA.jar) onB.jar.set(k, v)
    expect(await signedIn(onB)).toBe(true)
    const admin = new CookieClient(second)
    await admin.login(h.admin.username, h.admin.password)
    await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect(await signedIn(onA)).toBe(false)
    expect(await signedIn(onB)).toBe(false)
  })

  it('re-checks the user on every request: a ban recorded in the database ends a live session even before it is deleted', async () => {
    const u = await h.createUser('shared-2', 'shared password 2')
    const c = h.client()
    await c.login(u.username, u.password)
    // As if the process that banned the user died before deleting the sessions.
    const db = openAppDatabase(path.join(h.dataDir, 'app.db'))
    new UserRepository(db).setBanned(u.id, new Date())
    db.close()
    const r = await c.get('/files')
    expect(r.status).toBe(303)
    expect(r.location).toBe('/login?ended=banned')
    expect((await c.get('/login?ended=banned')).body).toContain('this account is suspended')
  })

  it('re-checks the password change time on every request: older sessions end even before they are deleted', async () => {
    const u = await h.createUser('shared-3', 'shared password 3')
    const c = h.client()
    await c.login(u.username, u.password)
    const db = openAppDatabase(path.join(h.dataDir, 'app.db'))
    const users = new UserRepository(db)
    users.setPassword(u.id, (users.findById(u.id) as { passwordHash: string }).passwordHash, new Date(Date.now() + 1000))
    db.close()
    const r = await c.get('/files')
    expect(r.location).toBe('/login?ended=password_changed')
  })
})

describe('two app servers on Redis sessions', () => {
  let h: Harness
  let second: string
  const prefix = `test:app:${randomBytes(6).toString('hex')}:`
  let n = 0
  const freshUser = (): Promise<Account> => h.createUser(`redis-${++n}`, `redis password ${n}`)
  const on = (base: string, from?: CookieClient): CookieClient => {
    const c = new CookieClient(base)
    if (from) for (const [k, v] of from.jar) c.jar.set(k, v)
    return c
  }

  beforeAll(async () => {
    h = await startHarness({
      downloadServer: false,
      env: { APP_SESSION_STORE: 'redis://127.0.0.1:6379' },
      redisKeyPrefix: prefix,
      loginLimits: { windowMs: 60_000, perAccount: 3, perAddress: 1000 },
    })
    second = (await h.startAnotherApp()).url
  })
  afterAll(async () => {
    await h.close()
    const client = createClient({ url: 'redis://127.0.0.1:6379' })
    await client.connect()
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(keys)
    client.destroy()
  })

  it('sign in on one, signed in on the other; sign out on the other ends it on both', async () => {
    const u = await freshUser()
    const a = h.client()
    await a.login(u.username, u.password)
    const b = on(second, a)
    const stolen = on(h.appURL, a)
    expect(await signedIn(b)).toBe(true)
    await b.post('/logout', { _csrf: await b.csrfFrom('/files') })
    expect(await signedIn(stolen)).toBe(false)
    expect(await signedIn(on(second, stolen))).toBe(false)
  })

  it('a password change on one ends the other sessions, wherever they are used', async () => {
    const u = await freshUser()
    const a = h.client()
    await a.login(u.username, u.password)
    const elsewhere = new CookieClient(second)
    // Signed in there first, or the 'ended' check below would hold without any change.
    expect((await elsewhere.login(u.username, u.password)).status).toBe(303)
    expect(await signedIn(elsewhere)).toBe(true)
    await a.post('/account/password', { current_password: u.password, new_password: 'changed on server A', _csrf: await a.csrfFrom('/files') })
    expect(await signedIn(elsewhere)).toBe(false)
    expect(await signedIn(on(h.appURL, elsewhere))).toBe(false)
    expect(await signedIn(a)).toBe(true)
  })

  it('counts failed sign-ins for an account across both servers (rate limit store on Redis)', async () => {
    const u = await freshUser()
    expect((await h.client().login(u.username, 'wrong 1')).status).toBe(401)
    expect((await new CookieClient(second).login(u.username, 'wrong 2')).status).toBe(401)
    expect((await h.client().login(u.username, 'wrong 3')).status).toBe(401)
    expect((await new CookieClient(second).login(u.username, 'wrong 4')).status).toBe(429)
  })

  it('keys a typed username (it may be a password) by a keyed hash: neither the name nor its plain hash is in Redis', async () => {
    const typed = `alice password ${randomBytes(4).toString('hex')}`
    expect((await h.client().login(typed, 'wrong')).status).toBe(401)
    const client = createClient({ url: 'redis://127.0.0.1:6379' })
    await client.connect()
    const keys = await client.keys(`${prefix}*`)
    client.destroy()
    expect(keys.some((k) => k.includes('account:'))).toBe(true)
    const plain = createHash('sha256').update(typed.toLowerCase()).digest('base64url')
    expect(keys.join('\n')).not.toContain(typed)
    expect(keys.join('\n')).not.toContain(plain)
  })

  it('keeps sessions in Redis under the prefix, by handle, never by id', async () => {
    const u = await freshUser()
    const a = h.client()
    await a.login(u.username, u.password)
    const client = createClient({ url: 'redis://127.0.0.1:6379' })
    await client.connect()
    const keys = await client.keys(`${prefix}*`)
    client.destroy()
    expect(keys.some((k) => k.startsWith(`${prefix}sess:`))).toBe(true)
    expect(keys.some((k) => k.startsWith(`${prefix}user:${u.id}`))).toBe(true)
    expect(keys.join('\n')).not.toContain(a.session()?.id ?? '???')
  })
})
