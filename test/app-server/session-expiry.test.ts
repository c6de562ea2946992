import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sessionHandle } from '../../app-server/src/sessions/session-store.js'
import { CookieClient } from './support/cookie-client.js'
import type { Answer } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'

// The app's clock runs `skewMs` ahead of the real one; express-session stamps cookie (and so
// stored) expiries with the real clock, so a skew of S seconds is a request S seconds after
// the last write. (Hence no "alive past its TTL" test here: the written expiry never moves
// beyond real time + TTL; the slide itself is checked on the stored row and the cookie.)
const TTL_S = 600
let skewMs = 0
let h: Harness
let sessions: Database.Database

beforeAll(async () => {
  h = await startHarness({ downloadServer: false, env: { APP_SESSION_TTL_SECONDS: String(TTL_S) }, clock: () => new Date(Date.now() + skewMs) })
  sessions = new Database(path.join(h.dataDir, 'sessions.db'), { readonly: true })
})
afterAll(async () => {
  sessions.close()
  await h.close()
})
beforeEach(() => {
  skewMs = 0
})

const at = (seconds: number): void => {
  skewMs = seconds * 1000
}
const storedExpiry = (c: CookieClient): number | undefined =>
  (sessions.prepare('SELECT expires_at FROM sessions WHERE handle = ? AND dead = 0').get(sessionHandle(c.session()?.id ?? '')) as { expires_at: number } | undefined)
    ?.expires_at
const sidCookie = (r: Answer): { expires: number } | undefined => {
  const c = r.setCookies.find((x) => x.name === 'sid')
  return c && { expires: new Date(c.expires ?? 0).getTime() }
}

async function signedInClient(): Promise<CookieClient> {
  const c = h.client()
  expect((await c.login(h.demo.username, h.demo.password)).status).toBe(303)
  return c
}

describe('idle expiry of sessions', () => {
  it('does not rewrite a session or resend its cookie for requests within a minute of its last write', async () => {
    const c = await signedInClient()
    // The first page after sign-in stores the session's CSRF token: a write.
    expect((await c.get('/files')).status).toBe(200)
    const written = storedExpiry(c)
    at(30)
    const r = await c.get('/files')
    expect(r.status).toBe(200)
    expect(sidCookie(r)).toBeUndefined()
    expect(storedExpiry(c)).toBe(written)
  })

  it('slides the expiry on the first request after a minute: stored row and cookie both move', async () => {
    const c = await signedInClient()
    const written = storedExpiry(c) ?? 0
    at(61)
    const r = await c.get('/files')
    expect(r.status).toBe(200)
    const expires = sidCookie(r)?.expires ?? 0
    expect(Math.abs(expires - (Date.now() + TTL_S * 1000))).toBeLessThan(5_000)
    expect(storedExpiry(c)).toBeGreaterThan(written)
  })

  it('ends a session idle for its TTL after its last write, at most a minute after its last request', async () => {
    const c = await signedInClient()
    at(50)
    expect((await c.get('/files')).status).toBe(200)
    at(TTL_S + 5)
    const r = await c.get('/files')
    expect(r.status).toBe(303)
    expect(r.location).toBe('/login')
  })

  it('slides a signed-out visitor\'s CSRF session the same way', async () => {
    const c = h.client()
    const token = await c.csrfFrom('/login')
    at(120)
    const r = await c.get('/login')
    expect(sidCookie(r)?.expires ?? 0).toBeGreaterThan(Date.now() + 3600_000 - 5_000)
    at(125)
    expect(sidCookie(await c.get('/login'))).toBeUndefined()
    expect(CookieClient.csrfOf(r.body)).toBe(token)
  })
})
