import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Answer } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'
import { signIn } from './support/sign-in.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness({ downloadServer: false })
})
afterAll(async () => {
  await h.close()
})

const CSP = "default-src 'none';style-src 'self';img-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'"

function expectSafePage(r: Answer, where: string): void {
  expect(r.headers['content-security-policy'], where).toBe(CSP)
  expect(r.headers['x-frame-options'], where).toBe('DENY')
  expect(r.headers['x-content-type-options'], where).toBe('nosniff')
  expect(r.headers['referrer-policy'], where).toBe('no-referrer')
  expect(r.headers['cache-control'], where).toBe('no-store')
  expect(r.headers['x-powered-by'], where).toBeUndefined()
  // Nothing the CSP would have to allow: no script at all, no inline style.
  expect(r.body, where).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i)
  expect(r.body, where).toContain('<link rel="stylesheet" href="/static/style.css"/>')
}

describe('pages', () => {
  it('serve every page with a strict CSP and the other security headers, and need no script or inline style', async () => {
    const anon = h.client()
    expectSafePage(await anon.get('/login'), '/login')
    expectSafePage(await anon.get('/no-such-page'), '404')
    const admin = await signIn(h, h.admin.username, h.admin.password)
    for (const path of ['/files', '/account/sessions', '/admin/users', '/files/AAAAAAAAAAAAAAAAAAAAAA/download']) {
      expectSafePage(await admin.get(path), path)
    }
    expectSafePage(await admin.post('/logout', {}), '403')
  })

  it('put a _csrf field in every form that posts', async () => {
    const admin = await signIn(h, h.admin.username, h.admin.password)
    await signIn(h, h.admin.username, h.admin.password)
    for (const path of ['/files', '/account/sessions', '/admin/users']) {
      const html = (await admin.get(path)).body
      const forms = html.match(/<form method="post"[\s\S]*?<\/form>/g) ?? []
      expect(forms.length, path).toBeGreaterThan(1)
      for (const f of forms) expect(f, path).toContain('name="_csrf"')
    }
  })

  it('show no message on the sign-in page for an ?ended= reason of their own, such as constructor', async () => {
    for (const reason of ['constructor', '__proto__', 'toString', 'nonsense']) {
      const r = await h.client().get(`/login?ended=${reason}`)
      expect(r.status, reason).toBe(200)
      expect(r.body, reason).not.toContain('class="flash')
    }
    expect((await h.client().get('/login?ended=banned')).body).toContain('class="flash')
  })

  it('serve the stylesheet as text/css', async () => {
    const r = await h.client().get('/static/style.css')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^text\/css/)
  })

  it('answer an unknown path with a 404 page, and / with the right start page', async () => {
    const anon = h.client()
    const r = await anon.get('/nothing/here')
    expect(r.status).toBe(404)
    expect(r.body).toContain('Not found')
    expect((await anon.get('/')).location).toBe('/login')
    const c = await signIn(h, h.demo.username, h.demo.password)
    expect((await c.get('/')).location).toBe('/files')
    expect((await c.get('/login')).location).toBe('/files')
  })

  it('create no session for a visitor who only reads a page without a form', async () => {
    const anon = h.client()
    await anon.get('/no-such-page')
    await anon.get('/static/style.css')
    expect(anon.jar.size).toBe(0)
  })

  it('answer /healthz', async () => {
    const r = await h.client().get('/healthz')
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' })
  })

  it('answer an oversized form with 413, not 500', async () => {
    const c = h.client()
    const token = await c.csrfFrom('/login')
    const r = await c.post('/login', { username: 'x', password: 'p'.repeat(40_000), _csrf: token })
    expect(r.status).toBe(413)
  })
})

describe('behind a TLS proxy (APP_PUBLIC_URL https, APP_TRUST_PROXY)', () => {
  let hs: Harness
  beforeAll(async () => {
    hs = await startHarness({ downloadServer: false, env: { APP_PUBLIC_URL: 'https://app.example', APP_TRUST_PROXY: 'loopback' } })
  })
  afterAll(async () => {
    await hs.close()
  })

  it('names the cookie __Host-sid and marks it Secure, and sends HSTS', async () => {
    const c = hs.client({ headers: { 'x-forwarded-proto': 'https' } })
    const token = await c.csrfFrom('/login')
    const r = await c.post('/login', { username: hs.demo.username, password: hs.demo.password, _csrf: token })
    expect(r.status).toBe(303)
    const cookie = r.setCookies.find((x) => x.name === '__Host-sid')
    expect(cookie?.secure).toBe(true)
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.path).toBe('/')
    expect(cookie?.domain).toBeUndefined()
    expect(r.setCookies.some((x) => x.name === 'sid')).toBe(false)
    expect(r.headers['strict-transport-security']).toMatch(/max-age=31536000/)
    expect(String(r.headers['content-security-policy'])).toContain('upgrade-insecure-requests')
    expect((await c.get('/files', {})).status).toBe(200)
  })
})
