import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionHandle } from '../../app-server/src/sessions/session-store.js'
import type { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Account, Harness } from './support/app-harness.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ downloadServer: false })
})
afterAll(async () => {
  await h.close()
})

let n = 0
const freshUser = (): Promise<Account> => h.createUser(`acct-${++n}`, `account password ${n}`)
const signedIn = async (c: CookieClient): Promise<boolean> => (await c.get('/files')).status === 200
async function signIn(u: Account, userAgent?: string): Promise<CookieClient> {
  const c = h.client(userAgent ? { userAgent } : {})
  expect((await c.login(u.username, u.password)).status).toBe(303)
  return c
}

describe('password change', () => {
  it('ends every other session of the user at once and keeps this one, under a new id', async () => {
    const u = await freshUser()
    const laptop = await signIn(u)
    const phone = await signIn(u)
    const before = laptop.session()?.id
    const r = await laptop.post('/account/password', { current_password: u.password, new_password: 'a brand new password', _csrf: await laptop.csrfFrom('/account/sessions') })
    expect(r.status).toBe(303)
    expect(r.location).toBe('/account/sessions')
    expect(await signedIn(laptop)).toBe(true)
    expect(laptop.session()?.id).not.toBe(before)
    const other = await phone.get('/files')
    expect(other.status).toBe(303)
    expect(other.location).toMatch(/^\/login/)
    expect((await h.client().login(u.username, 'a brand new password')).status).toBe(303)
    expect((await h.client().login(u.username, u.password)).status).toBe(401)
  })

  it('refuses a wrong current password with 400 and changes nothing', async () => {
    const u = await freshUser()
    const a = await signIn(u)
    const b = await signIn(u)
    const r = await a.post('/account/password', { current_password: 'not it', new_password: 'another new password', _csrf: await a.csrfFrom('/account/sessions') })
    expect(r.status).toBe(400)
    expect(r.body).toContain('Your current password is wrong')
    expect(await signedIn(b)).toBe(true)
    expect((await h.client().login(u.username, u.password)).status).toBe(303)
  })

  it('pauses password checks after 10 wrong current passwords, even for the right one (a copied cookie cannot guess it)', async () => {
    const u = await freshUser()
    const thief = await signIn(u)
    const csrf = await thief.csrfFrom('/account/sessions')
    for (let i = 0; i < 10; i += 1) {
      const r = await thief.post('/account/password', { current_password: `guess ${i}`, new_password: 'the thief chose this', _csrf: csrf })
      expect(r.status).toBe(400)
    }
    const r = await thief.post('/account/password', { current_password: u.password, new_password: 'the thief chose this', _csrf: csrf })
    expect(r.status).toBe(429)
    expect(r.body).toContain('Too many wrong passwords')
    expect(await signedIn(thief)).toBe(true)
    expect((await h.client().login(u.username, u.password)).status).toBe(303)
  })

  it('refuses a new password shorter than 8 characters', async () => {
    const u = await freshUser()
    const a = await signIn(u)
    const r = await a.post('/account/password', { current_password: u.password, new_password: 'short', _csrf: await a.csrfFrom('/account/sessions') })
    expect(r.status).toBe(400)
    expect((await h.client().login(u.username, u.password)).status).toBe(303)
  })
})

describe('sessions page', () => {
  it('lists the user\'s sessions with device and times, marks this one, and shows no session id', async () => {
    const u = await freshUser()
    const laptop = await signIn(u, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/128.0')
    const me = await signIn(u, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36')
    const page = await me.get('/account/sessions')
    expect(page.status).toBe(200)
    expect(page.body).toContain('Firefox on Windows')
    expect(page.body).toContain('Chromium/Chrome on Linux')
    expect(page.body).toContain('this device')
    expect(page.body.match(/<time datetime=/g)?.length).toBe(4)
    for (const c of [me, laptop]) expect(page.body).not.toContain(c.session()?.id ?? '???')
    // The other session is named by its handle, in its Sign out form.
    expect(page.body).toContain(`/account/sessions/${sessionHandle(laptop.session()?.id ?? '')}/revoke`)
  })

  it('ends one chosen session', async () => {
    const u = await freshUser()
    const other = await signIn(u)
    const me = await signIn(u)
    const handle = sessionHandle(other.session()?.id ?? '')
    const r = await me.post(`/account/sessions/${handle}/revoke`, { _csrf: await me.csrfFrom('/account/sessions') })
    expect(r.status).toBe(303)
    expect(await signedIn(other)).toBe(false)
    expect(await signedIn(me)).toBe(true)
  })

  it("answers 404 when asked to end someone else's session, which lives on", async () => {
    const victim = await freshUser()
    const attacker = await freshUser()
    const v = await signIn(victim)
    const a = await signIn(attacker)
    const r = await a.post(`/account/sessions/${sessionHandle(v.session()?.id ?? '')}/revoke`, { _csrf: await a.csrfFrom('/account/sessions') })
    expect(r.status).toBe(404)
    expect(await signedIn(v)).toBe(true)
  })

  it('signs out everywhere else and keeps this device', async () => {
    const u = await freshUser()
    const others = [await signIn(u), await signIn(u), await signIn(u)]
    const me = await signIn(u)
    const r = await me.post('/account/sessions/revoke-others', { _csrf: await me.csrfFrom('/account/sessions') })
    expect(r.status).toBe(303)
    expect((await me.get('/account/sessions')).body).toContain('Signed out 3 other sessions.')
    for (const o of others) expect(await signedIn(o)).toBe(false)
    expect(await signedIn(me)).toBe(true)
  })
})
