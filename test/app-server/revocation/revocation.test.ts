import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessionHandle } from '../../../app-server/src/sessions/session-store.js'
import { startHarness } from '../support/app-harness.js'
import type { Account, Harness } from '../support/app-harness.js'
import type { CookieClient } from '../support/cookie-client.js'
import { fetchLink } from '../support/download-servers.js'

// CONTRACT §4 end to end: the real app server, the real download server (POST /revoke, SQLite
// store), real HTTP. A link minted just before an action is refused with 410 token_revoked
// right after it: the user's request waits for the first delivery attempt. That wait is raised
// from 300 ms to 3 s here so that a busy test machine cannot make these tests flaky; the bound
// itself is tested in download-server-down.test.ts.

let h: Harness
let db: Database.Database
beforeAll(async () => {
  h = await startHarness({ revocation: { firstAttemptMs: 3000 } })
  db = new Database(path.join(h.dataDir, 'app.db'), { readonly: true })
})
afterAll(async () => {
  db.close()
  await h.close()
})

let n = 0
async function freshUser(): Promise<Account> {
  n += 1
  return h.createUser(`rev-${n}`, `revocation password ${n}`)
}
async function signIn(u: Account): Promise<CookieClient> {
  const c = h.client()
  expect((await c.login(u.username, u.password)).status).toBe(303)
  return c
}
async function upload(c: CookieClient, name: string): Promise<string> {
  const before = fileIds((await c.get('/files')).body)
  const r = await c.postMultipart('/files', [
    { name: '_csrf', value: await c.csrfFrom('/files') },
    { name: 'file', filename: name, content: Buffer.from(`contents of ${name}`) },
  ])
  expect(r.status).toBe(303)
  const id = fileIds((await c.get('/files')).body).find((x) => !before.includes(x))
  if (!id) throw new Error('upload not listed')
  return id
}
const fileIds = (html: string): string[] => [...html.matchAll(/href="\/files\/([A-Za-z0-9_-]{22})\/download"/g)].map((m) => m[1] as string)
async function mint(c: CookieClient, fileId: string): Promise<{ url: string; jti: string }> {
  const r = await c.get(`/files/${fileId}/download`)
  expect(r.status).toBe(303)
  const body = Buffer.from(r.location.split('/d/')[1]?.split('.')[2] as string, 'base64url')
  const { jti } = JSON.parse(body.subarray(0, body.length - 64).toString()) as { jti: string }
  return { url: r.location, jti }
}
/** A user with one uploaded file, signed in. */
async function userWithFile(): Promise<{ u: Account; c: CookieClient; fileId: string }> {
  const u = await freshUser()
  const c = await signIn(u)
  return { u, c, fileId: await upload(c, `file-of-${u.username}.txt`) }
}
const row = (jti: string): Record<string, unknown> | undefined => db.prepare('SELECT * FROM issued_tokens WHERE jti = ?').get(jti) as Record<string, unknown> | undefined

describe('revocation of outstanding links', () => {
  it('refuses a link minted just before a ban with 410 token_revoked, right after the ban', async () => {
    const { u, c, fileId } = await userWithFile()
    const link = await mint(c, fileId)
    const admin = await signIn(h.admin)
    const ban = await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect(ban.status).toBe(303)
    expect(await fetchLink(link.url)).toMatchObject({ status: 410, code: 'token_revoked' })
  })

  it('refuses a link minted just before sign-out, and every other live link of the user too', async () => {
    const { u, c, fileId } = await userWithFile()
    const other = await signIn(u)
    const mine = await mint(c, fileId)
    const fromOtherDevice = await mint(other, fileId)
    expect((await c.post('/logout', { _csrf: await c.csrfFrom('/files') })).status).toBe(303)
    expect(await fetchLink(mine.url)).toMatchObject({ status: 410, code: 'token_revoked' })
    expect(await fetchLink(fromOtherDevice.url)).toMatchObject({ status: 410, code: 'token_revoked' })
  })

  it('treats signing in over a signed-in session as signing out of it: its links are refused', async () => {
    const { c, fileId } = await userWithFile()
    const link = await mint(c, fileId)
    const other = await freshUser()
    // A sign-in form left open in another tab, posted while this browser is signed in.
    const r = await c.post('/login', { username: other.username, password: other.password, _csrf: await c.csrfFrom('/files') })
    expect(r.status).toBe(303)
    expect(await fetchLink(link.url)).toMatchObject({ status: 410, code: 'token_revoked' })
    expect(row(link.jti)).toMatchObject({ revoked_reason: 'signed_out' })
  })

  it('refuses a link minted just before a password change', async () => {
    const { u, c, fileId } = await userWithFile()
    const link = await mint(c, fileId)
    const r = await c.post('/account/password', { current_password: u.password, new_password: `${u.password} changed`, _csrf: await c.csrfFrom('/files') })
    expect(r.status).toBe(303)
    expect(await fetchLink(link.url)).toMatchObject({ status: 410, code: 'token_revoked' })
  })

  it('refuses a link minted on another device just before signing out everywhere else', async () => {
    const { u, c, fileId } = await userWithFile()
    const elsewhere = await signIn(u)
    const link = await mint(elsewhere, fileId)
    expect((await c.post('/account/sessions/revoke-others', { _csrf: await c.csrfFrom('/files') })).status).toBe(303)
    expect(await fetchLink(link.url)).toMatchObject({ status: 410, code: 'token_revoked' })
    // This device stays signed in and gets a working link on the next click.
    expect(await fetchLink((await mint(c, fileId)).url)).toMatchObject({ status: 200 })
  })

  it('ending one other session revokes the links that session made, and only those', async () => {
    const { u, c, fileId } = await userWithFile()
    const ended = await signIn(u)
    const theirs = await mint(ended, fileId)
    const mine = await mint(c, fileId)
    const handle = sessionHandle(ended.session()?.id ?? '')
    expect((await c.post(`/account/sessions/${handle}/revoke`, { _csrf: await c.csrfFrom('/files') })).status).toBe(303)
    expect(await fetchLink(theirs.url)).toMatchObject({ status: 410, code: 'token_revoked' })
    expect(await fetchLink(mine.url)).toMatchObject({ status: 200 })
  })

  it("does not touch other users' links", async () => {
    const a = await userWithFile()
    const b = await userWithFile()
    const bLink = await mint(b.c, b.fileId)
    await a.c.post('/logout', { _csrf: await a.c.csrfFrom('/files') })
    expect(await fetchLink(bLink.url)).toMatchObject({ status: 200 })
  })

  it('records every link by jti, user, file, session handle and expiry, and notes when the download server confirmed its revocation', async () => {
    const { u, c, fileId } = await userWithFile()
    const link = await mint(c, fileId)
    const before = row(link.jti)
    expect(before).toMatchObject({ user_id: u.id, file_id: fileId, session_handle: sessionHandle(c.session()?.id ?? ''), revoked_at: null, revocation_sent_at: null })
    expect(Number(before?.expires_at) - Number(before?.issued_at)).toBeGreaterThan(290_000)
    await c.post('/logout', { _csrf: await c.csrfFrom('/files') })
    const after = row(link.jti)
    expect(after).toMatchObject({ revoked_reason: 'signed_out' })
    expect(after?.revoked_at).toEqual(expect.any(Number))
    expect(after?.revocation_sent_at).toEqual(expect.any(Number))
    expect(db.prepare('SELECT count(*) AS n FROM revocation_outbox WHERE jti = ?').get(link.jti)).toEqual({ n: 0 })
  })
})

describe('deleting a file', () => {
  it('removes the row and the stored file and revokes its live links; links to other files still work', async () => {
    const { c, fileId } = await userWithFile()
    const keep = await upload(c, 'kept.txt')
    const gone = await mint(c, fileId)
    const kept = await mint(c, keep)
    const r = await c.post(`/files/${fileId}/delete`, { _csrf: await c.csrfFrom('/files') })
    expect(r.status).toBe(303)
    expect(r.location).toBe('/files')
    const page = await c.get('/files')
    expect(fileIds(page.body)).toEqual([keep])
    expect(page.body).toContain('Deleted file-of-')
    const stored = path.join(h.dataDir, 'files', fileId)
    expect(fs.existsSync(stored)).toBe(false)
    expect(await fetchLink(gone.url)).toMatchObject({ status: 404 })
    // Revoked, not merely missing: with the same bytes back under that id (a restore from a
    // backup), the link still does not work.
    fs.writeFileSync(stored, `contents of file-of-rev-${n}.txt`)
    expect(await fetchLink(gone.url)).toMatchObject({ status: 410, code: 'token_revoked' })
    fs.rmSync(stored)
    expect(await fetchLink(kept.url)).toMatchObject({ status: 200 })
    expect((await c.get(`/files/${fileId}/download`)).status).toBe(404)
  })

  it('refuses a delete without _csrf with 403 and deletes nothing', async () => {
    const { c, fileId } = await userWithFile()
    const link = await mint(c, fileId)
    const r = await c.post(`/files/${fileId}/delete`, {})
    expect(r.status).toBe(403)
    const wrong = await c.post(`/files/${fileId}/delete`, { _csrf: 'x'.repeat(64) })
    expect(wrong.status).toBe(403)
    expect(fileIds((await c.get('/files')).body)).toContain(fileId)
    expect(fs.existsSync(path.join(h.dataDir, 'files', fileId))).toBe(true)
    expect(await fetchLink(link.url)).toMatchObject({ status: 200 })
  })

  it("answers 404 to deleting another user's file, exactly as for a missing one, and deletes nothing", async () => {
    const owner = await userWithFile()
    const stranger = await signIn(await freshUser())
    const token = await stranger.csrfFrom('/files')
    const theirs = await stranger.post(`/files/${owner.fileId}/delete`, { _csrf: token })
    const missing = await stranger.post('/files/AAAAAAAAAAAAAAAAAAAAAA/delete', { _csrf: token })
    const malformed = await stranger.post('/files/..%2F..%2Fetc/delete', { _csrf: token })
    for (const r of [theirs, missing, malformed]) expect(r.status).toBe(404)
    expect(theirs.body).toBe(missing.body)
    expect(fileIds((await owner.c.get('/files')).body)).toContain(owner.fileId)
    expect(fs.existsSync(path.join(h.dataDir, 'files', owner.fileId))).toBe(true)
  })

  it('offers a delete button with a _csrf field for every file', async () => {
    const { c, fileId } = await userWithFile()
    const page = (await c.get('/files')).body
    expect(page).toMatch(new RegExp(`<form method="post" action="/files/${fileId}/delete" class="inline"><input type="hidden" name="_csrf" value="[^"]+"/>`))
  })
})

describe('link fates without a store to read', () => {
  it('shows a revoked link as revoked and a live one as "use unknown (the download server does not report back)", never a token', async () => {
    const { u, c, fileId } = await userWithFile()
    const revoked = await mint(c, fileId)
    await c.post('/logout', { _csrf: await c.csrfFrom('/files') })
    const again = await signIn(u)
    const live = await mint(again, fileId)
    const page = (await again.get('/files')).body
    expect(page).toContain('2 links in the last hour')
    expect(page).toMatch(new RegExp(`data-fate="revoked" data-jti="${revoked.jti}">.*Revoked: you signed out<`))
    expect(page).toMatch(new RegExp(`data-fate="unknown" data-jti="${live.jti}">.*use unknown \\(the download server does not report back\\)<`))
    expect(page).not.toContain('v4.public.')
  })

  it('keeps every token, download or revocation, out of the logs', () => {
    expect(h.logs.text).toContain('"msg":"revocation delivered"')
    expect(h.logs.text).not.toContain('v4.public.')
  })
})
