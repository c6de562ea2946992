import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Account, Harness } from './support/app-harness.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h.close()
})

async function signIn(u: Account): Promise<CookieClient> {
  const c = h.client()
  expect((await c.login(u.username, u.password)).status).toBe(303)
  return c
}
let n = 0
const freshUser = (): Promise<Account> => h.createUser(`adm-${++n}`, `admin test password ${n}`)

describe('admin', () => {
  it('lists users to an admin', async () => {
    const admin = await signIn(h.admin)
    const page = await admin.get('/admin/users')
    expect(page.status).toBe(200)
    expect(page.body).toContain(h.demo.username)
    expect(page.body).toContain(h.other.username)
  })

  it('answers 404 to a signed-in user who is not an admin, for pages and actions', async () => {
    const c = await signIn(h.other)
    expect((await c.get('/admin/users')).status).toBe(404)
    const r = await c.post(`/admin/users/${h.demo.id}/ban`, { _csrf: await c.csrfFrom('/files') })
    expect(r.status).toBe(404)
    expect((await h.client().login(h.demo.username, h.demo.password)).status).toBe(303)
  })

  it("a ban ends all the user's sessions at once and no new download token is issued for them", async () => {
    const u = await freshUser()
    const sessions = [await signIn(u), await signIn(u)]
    const token = await sessions[0]!.csrfFrom('/files')
    // Give the user a file to ask a token for.
    await sessions[0]!.postMultipart('/files', [
      { name: '_csrf', value: token },
      { name: 'file', filename: 'mine.txt', content: Buffer.from('mine') },
    ])
    const id = /\/files\/([A-Za-z0-9_-]{22})\/download/.exec((await sessions[0]!.get('/files')).body)?.[1]
    expect(id).toBeDefined()

    const admin = await signIn(h.admin)
    const r = await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect(r.status).toBe(303)
    expect((await admin.get('/admin/users')).body).toMatch(/banned since/)
    for (const s of sessions) {
      const link = await s.get(`/files/${id}/download`)
      expect(link.status).toBe(303)
      expect(link.location).toMatch(/^\/login/)
    }
    expect((await h.client().login(u.username, u.password)).status).toBe(403)
  })

  it('unbans: the user can sign in again', async () => {
    const u = await freshUser()
    const admin = await signIn(h.admin)
    await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect((await h.client().login(u.username, u.password)).status).toBe(403)
    await admin.post(`/admin/users/${u.id}/unban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect((await h.client().login(u.username, u.password)).status).toBe(303)
  })

  it('refuses an admin banning themselves, and 404s an unknown user id', async () => {
    const admin = await signIn(h.admin)
    const token = await admin.csrfFrom('/admin/users')
    expect((await admin.post(`/admin/users/${h.admin.id}/ban`, { _csrf: token })).status).toBe(400)
    expect((await admin.post('/admin/users/999999/ban', { _csrf: token })).status).toBe(404)
    expect((await admin.post('/admin/users/not-a-number/ban', { _csrf: token })).status).toBe(404)
    expect((await admin.get('/admin/users')).status).toBe(200)
  })
})
