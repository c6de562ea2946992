import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionHandle } from '../../app-server/src/sessions/session-store.js'
import type { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'
import { signIn } from './support/sign-in.js'

// Every state-changing request without the session's CSRF token is refused with 403, before
// the route runs: nothing changes. Each case checks the "nothing changed" part too.

let h: Harness
beforeAll(async () => {
  h = await startHarness({ downloadServer: false })
})
afterAll(async () => {
  await h.close()
})

const signedIn = async (c: CookieClient): Promise<boolean> => (await c.get('/files')).status === 200

describe('CSRF protection', () => {
  it('refuses POST /login without _csrf, and no session is signed in', async () => {
    const c = h.client()
    await c.get('/login')
    const r = await c.post('/login', { username: h.demo.username, password: h.demo.password })
    expect(r.status).toBe(403)
    expect(r.body).toContain('This form has expired')
    expect(await signedIn(c)).toBe(false)
  })

  it('refuses POST /logout without _csrf, and the session lives on', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    expect((await c.post('/logout', {})).status).toBe(403)
    expect(await signedIn(c)).toBe(true)
  })

  it("refuses a token from another session (an attacker's own)", async () => {
    const victim = await signIn(h, h.demo.username, h.demo.password)
    const attacker = await signIn(h, h.other.username, h.other.password)
    const attackerToken = await attacker.csrfFrom('/files')
    expect((await victim.post('/logout', { _csrf: attackerToken })).status).toBe(403)
    expect((await victim.post('/logout', { _csrf: attackerToken.slice(0, -1) + '0' })).status).toBe(403)
    expect(await signedIn(victim)).toBe(true)
  })

  it('refuses POST /account/password without _csrf, and the password is unchanged', async () => {
    const u = await h.createUser('csrf-pw', 'csrf password 1')
    const c = await signIn(h, u.username, u.password)
    const r = await c.post('/account/password', { current_password: u.password, new_password: 'hijacked password' })
    expect(r.status).toBe(403)
    expect((await h.client().login(u.username, u.password)).status).toBe(303)
    expect((await h.client().login(u.username, 'hijacked password')).status).toBe(401)
  })

  it('refuses ending sessions without _csrf, and they live on', async () => {
    const u = await h.createUser('csrf-sessions', 'csrf sessions 1')
    const a = await signIn(h, u.username, u.password)
    const b = await signIn(h, u.username, u.password)
    const handleOfB = sessionHandle(b.session()?.id ?? '')
    expect((await a.post(`/account/sessions/${handleOfB}/revoke`, {})).status).toBe(403)
    expect((await a.post('/account/sessions/revoke-others', {})).status).toBe(403)
    expect(await signedIn(b)).toBe(true)
  })

  it('refuses ban and unban without _csrf, and the user is unchanged', async () => {
    const u = await h.createUser('csrf-ban', 'csrf ban password')
    const victim = await signIn(h, u.username, u.password)
    const admin = await signIn(h, h.admin.username, h.admin.password)
    expect((await admin.post(`/admin/users/${u.id}/ban`, {})).status).toBe(403)
    expect(await signedIn(victim)).toBe(true)
    await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect((await admin.post(`/admin/users/${u.id}/unban`, {})).status).toBe(403)
    expect((await h.client().login(u.username, u.password)).status).toBe(403)
  })

  it('refuses an upload without _csrf and stores not one byte', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const before = h.storedFiles()
    const r = await c.postMultipart('/files', [{ name: 'file', filename: 'evil.txt', content: Buffer.alloc(64 * 1024, 'x') }])
    expect(r.status).toBe(403)
    expect(h.storedFiles()).toEqual(before)
  })

  it('refuses an upload whose _csrf comes after the file, storing nothing', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const token = await c.csrfFrom('/files')
    const before = h.storedFiles()
    const r = await c.postMultipart('/files', [
      { name: 'file', filename: 'late.txt', content: Buffer.from('late token') },
      { name: '_csrf', value: token },
    ])
    expect(r.status).toBe(403)
    expect(h.storedFiles()).toEqual(before)
  })

  it('refuses an upload with a wrong _csrf, storing nothing', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const before = h.storedFiles()
    const r = await c.postMultipart('/files', [
      { name: '_csrf', value: 'f'.repeat(64) },
      { name: 'file', filename: 'wrong.txt', content: Buffer.from('wrong token') },
    ])
    expect(r.status).toBe(403)
    expect(h.storedFiles()).toEqual(before)
  })
})
