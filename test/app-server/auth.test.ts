import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ downloadServer: false, loginLimits: { windowMs: 60_000, perAccount: 3, perAddress: 1000 } })
})
afterAll(async () => {
  await h.close()
})

const signedIn = async (c: CookieClient): Promise<boolean> => (await c.get('/files')).status === 200

describe('sign-in', () => {
  it('signs in with the right password and sends the browser to its files', async () => {
    const c = h.client()
    const r = await c.login(h.demo.username, h.demo.password)
    expect(r.status).toBe(303)
    expect(r.location).toBe('/files')
    expect(await signedIn(c)).toBe(true)
  })

  it('sets an HttpOnly, SameSite=Lax session cookie holding only an opaque 256-bit id', async () => {
    const c = h.client()
    const r = await c.login(h.demo.username, h.demo.password)
    const cookie = r.setCookies.find((x) => x.name === 'sid')
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.sameSite).toBe('Lax')
    expect(cookie?.secure).toBeFalsy()
    expect(cookie?.path).toBe('/')
    // Signed in: APP_SESSION_TTL_SECONDS (8 h by default), sliding with use (see session-expiry.test.ts).
    const ttl = (new Date(cookie?.expires ?? 0).getTime() - Date.now()) / 1000
    expect(ttl).toBeGreaterThan(8 * 3600 - 60)
    expect(ttl).toBeLessThanOrEqual(8 * 3600)
    const id = c.session()?.id ?? ''
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(id, 'base64url')).toHaveLength(32)
  })

  it('issues a new session id on sign-in, and the pre-login id is dead (no session fixation)', async () => {
    const c = h.client()
    await c.get('/login')
    const before = c.session()
    expect(before).toBeDefined()
    const planted = c.clone()
    await c.login(h.demo.username, h.demo.password)
    const after = c.session()
    // A session after sign-in (no session at all would also differ from the old one).
    expect(after).toBeDefined()
    expect(after?.id).not.toBe(before?.id)
    // Someone who planted the pre-login id gains nothing: it is anonymous, not signed in.
    expect(await signedIn(planted)).toBe(false)
  })

  it('gives an unknown user and a wrong password the same status and page', async () => {
    const wrong = await h.client().login(h.demo.username, 'not the password')
    const unknown = await h.client().login('nobody-here', 'not the password')
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    const message = (html: string): string => /<p class="flash error"[^>]*>([^<]*)</.exec(html)?.[1] ?? ''
    expect(message(wrong.body)).toBe(message(unknown.body))
    expect(message(wrong.body)).toContain('Wrong username or password')
  })

  it('spends about the same time on an unknown user as on a wrong password', async () => {
    const time = async (username: string): Promise<number> => {
      const c = h.client()
      const token = await c.csrfFrom('/login')
      const t0 = performance.now()
      await c.post('/login', { username, password: 'not the password', _csrf: token })
      return performance.now() - t0
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      // Distinct existing users so the per-account limit (3) is not reached.
      const u = await h.createUser(`timing-${i}`, 'timing password 1')
      wrong.push(await time(u.username))
      unknown.push(await time(`ghost-${i}`))
    }
    // Both run one argon2id verification (~15 ms here); without the dummy hash the unknown
    // user would answer in well under a millisecond.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5)
    expect(median(unknown)).toBeGreaterThan(5)
  })

  it('tells a banned user, who knows the password, that the account is suspended', async () => {
    const u = await h.createUser('soon-banned', 'soon banned password')
    const admin = h.client()
    await admin.login(h.admin.username, h.admin.password)
    const token = await admin.csrfFrom('/admin/users')
    expect((await admin.post(`/admin/users/${u.id}/ban`, { _csrf: token })).status).toBe(303)
    const r = await h.client().login(u.username, u.password)
    expect(r.status).toBe(403)
    expect(r.body).toContain('This account is suspended')
    const wrong = await h.client().login(u.username, 'a wrong password')
    expect(wrong.status).toBe(401)
  })

  it('refuses sign-in with 429 and a clear page after too many failures for one account', async () => {
    const u = await h.createUser('target', 'target password 1')
    for (let i = 0; i < 3; i++) expect((await h.client().login(u.username, `guess ${i}`)).status).toBe(401)
    const limited = await h.client().login(u.username, 'guess 4')
    expect(limited.status).toBe(429)
    expect(limited.body).toContain('Too many sign-in attempts')
    // Even the right password waits: the limiter answers before any password check.
    expect((await h.client().login(u.username, u.password)).status).toBe(429)
    // Other accounts are not affected.
    expect((await h.client().login(h.other.username, h.other.password)).status).toBe(303)
  })
})

describe('sign-out and stolen cookies', () => {
  it('destroys the session on the server at sign-out: a copied cookie no longer works', async () => {
    const c = h.client()
    await c.login(h.demo.username, h.demo.password)
    const thief = c.clone()
    expect(await signedIn(thief)).toBe(true)
    const r = await c.post('/logout', { _csrf: await c.csrfFrom('/files') })
    expect(r.status).toBe(303)
    expect(r.location).toBe('/login')
    const cleared = r.setCookies.find((x) => x.name === 'sid')
    expect(cleared && (cleared.value === '' || new Date(cleared.expires ?? 0).getTime() < Date.now())).toBe(true)
    const stolen = await thief.get('/files')
    expect(stolen.status).toBe(303)
    expect(stolen.location).toBe('/login')
    expect((await thief.get('/files/AAAAAAAAAAAAAAAAAAAAAA/download')).location).toBe('/login')
  })

  it('treats a made-up or tampered cookie as anonymous', async () => {
    const forged = h.client()
    forged.jar.set('sid', encodeURIComponent('s:' + 'A'.repeat(43) + '.forged'))
    expect((await forged.get('/files')).location).toBe('/login')

    const real = h.client()
    // A signed-in id: an anonymous one would be sent to /login below whatever its signature.
    expect((await real.login(h.demo.username, h.demo.password)).status).toBe(303)
    const id = real.session()?.id ?? ''
    expect(id).not.toBe('')
    // The right id with a signature made up: refused as well.
    const tampered = h.client()
    tampered.jar.set('sid', encodeURIComponent(`s:${id}.${'B'.repeat(43)}`))
    expect((await tampered.get('/files')).location).toBe('/login')
    // And the bare id without the signature.
    const bare = h.client()
    bare.jar.set('sid', id)
    expect((await bare.get('/files')).location).toBe('/login')
  })

  it('sends an anonymous visitor of any signed-in page to /login', async () => {
    const c = h.client()
    for (const path of ['/files', '/account/sessions', '/admin/users', '/files/AAAAAAAAAAAAAAAAAAAAAA/download']) {
      const r = await c.get(path)
      expect(r.status, path).toBe(303)
      expect(r.location, path).toBe('/login')
    }
  })
})

describe('sign-in rate limit per address', () => {
  let limited: Harness
  beforeAll(async () => {
    limited = await startHarness({ downloadServer: false, loginLimits: { windowMs: 60_000, perAccount: 1000, perAddress: 3 } })
  })
  afterAll(async () => {
    await limited.close()
  })

  it('answers 429 once one address has failed too often, whichever accounts it tried', async () => {
    for (let i = 0; i < 3; i++) expect((await limited.client().login(`someone-${i}`, 'a guess')).status).toBe(401)
    const r = await limited.client().login(limited.demo.username, limited.demo.password)
    expect(r.status).toBe(429)
    expect(r.body).toContain('Too many sign-in attempts')
    expect(r.headers['ratelimit-policy']).toBeDefined()
  })
})
