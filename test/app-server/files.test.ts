import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CookieClient } from './support/cookie-client.js'
import { AUDIENCE, ISSUER, startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'
import { signIn } from './support/sign-in.js'

let h: Harness
const MAX = 256 * 1024
beforeAll(async () => {
  h = await startHarness({ env: { APP_UPLOAD_MAX_BYTES: String(MAX), TOKEN_LIFETIME_SECONDS: '120' } })
})
afterAll(async () => {
  await h.close()
})

const fileIdsIn = (html: string): string[] => [...html.matchAll(/href="\/files\/([A-Za-z0-9_-]+)\/download"/g)].map((m) => m[1] as string)
const tokenOf = (location: string): string => /\/d\/(v4\.public\.[A-Za-z0-9_.-]+)$/.exec(location)?.[1] ?? ''
function payloadOf(token: string): Record<string, unknown> {
  const body = Buffer.from(token.split('.')[2] as string, 'base64url')
  return JSON.parse(body.subarray(0, body.length - 64).toString('utf8')) as Record<string, unknown>
}
async function upload(c: CookieClient, filename: string, content: Buffer): Promise<Awaited<ReturnType<CookieClient['postMultipart']>>> {
  const token = await c.csrfFrom('/files')
  return c.postMultipart('/files', [
    { name: '_csrf', value: token },
    { name: 'file', filename, content, type: 'text/plain' },
  ])
}

describe('files', () => {
  it('lists the user\'s files with name, size, date and a download link to the app, never a token', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const page = await c.get('/files')
    expect(page.status).toBe(200)
    expect(page.body).toContain('welcome.txt')
    expect(page.body).toContain('1.0 MiB')
    expect(page.body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/)
    expect(fileIdsIn(page.body)).toHaveLength(4)
    expect(page.body).not.toContain('v4.public.')
    expect(page.headers['cache-control']).toBe('no-store')
  })

  it('uploads a file, lists it, and the download server serves exactly those bytes once', async () => {
    const c = await signIn(h, h.other.username, h.other.password)
    const content = randomBytes(50_000)
    const r = await upload(c, 'report 2024.pdf', content)
    expect(r.status).toBe(303)
    expect(r.location).toBe('/files')
    const page = await c.get('/files')
    expect(page.body).toContain('Uploaded report 2024.pdf.')
    const [id] = fileIdsIn(page.body)
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    // Stored flat under its opaque id, nothing left in the incoming directory.
    expect(fs.readFileSync(path.join(h.dataDir, 'files', id as string))).toEqual(content)
    expect(h.storedFiles().incoming).toEqual([])

    const link = await c.get(`/files/${id}/download`)
    expect(link.status).toBe(303)
    expect(link.location.startsWith(`${h.downloadURL}/d/v4.public.`)).toBe(true)
    const first = await request(link.location)
    expect(first.statusCode).toBe(200)
    expect(Buffer.from(await first.body.arrayBuffer())).toEqual(content)
    expect(String(first.headers['content-disposition'])).toContain('report 2024.pdf')
    const again = await request(link.location)
    await again.body.dump()
    expect(again.statusCode).toBe(410)
  })

  it('answers the download link with 303, no-store and no-referrer, and a fresh token on every click', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const [id] = fileIdsIn((await c.get('/files')).body)
    const a = await c.get(`/files/${id}/download`)
    const b = await c.get(`/files/${id}/download`)
    expect(a.status).toBe(303)
    expect(a.headers['cache-control']).toBe('no-store')
    expect(a.headers['referrer-policy']).toBe('no-referrer')
    expect(a.body).not.toContain('v4.public.')
    const pa = payloadOf(tokenOf(a.location))
    const pb = payloadOf(tokenOf(b.location))
    expect(pa.jti).not.toBe(pb.jti)
    for (const r of [a, b]) {
      const got = await request(r.location)
      await got.body.dump()
      expect(got.statusCode).toBe(200)
    }
  })

  it('puts the file id, name and size in the token, with the settings\' lifetime, and nothing about the user', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const page = (await c.get('/files')).body
    const [id] = fileIdsIn(page)
    const token = tokenOf((await c.get(`/files/${id}/download`)).location)
    const p = payloadOf(token)
    expect(p.file).toBe(id)
    expect(typeof p.name).toBe('string')
    expect(p.size).toBe(fs.statSync(path.join(h.dataDir, 'files', id as string)).size)
    expect(p.iss).toBe(ISSUER)
    expect(p.aud).toBe(AUDIENCE)
    expect((Date.parse(String(p.exp)) - Date.parse(String(p.iat))) / 1000).toBe(120)
    expect(Object.keys(p).sort()).toEqual(['aud', 'exp', 'file', 'iat', 'iss', 'jti', 'name', 'size'])
    expect(JSON.stringify(p)).not.toContain(h.demo.username)
    const footer = Buffer.from(token.split('.')[3] as string, 'base64url').toString('utf8')
    expect(footer).toMatch(/^\{"kid":"k4\.pid\.[A-Za-z0-9_-]{44}"\}$/)
  })

  it('answers HEAD on a download link 405 and mints no token (HEAD must not change anything)', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const [id] = fileIdsIn((await c.get('/files')).body)
    const db = new Database(path.join(h.dataDir, 'app.db'), { readonly: true })
    const issued = (): number => (db.prepare('SELECT count(*) AS n FROM issued_tokens').get() as { n: number }).n
    const before = issued()
    const head = await c.send('HEAD', `/files/${id}/download`)
    expect(issued()).toBe(before)
    db.close()
    expect(head.status).toBe(405)
    expect(head.headers.allow).toBe('GET')
    expect(head.location).toBe('')
    const minted = await c.get(`/files/${id}/download`)
    expect(minted.status).toBe(303)
    expect(payloadOf(tokenOf(minted.location)).file).toBe(id)
  })

  it("answers 404 for another user's file id, exactly as for a missing one, and mints no token", async () => {
    const owner = await signIn(h, h.demo.username, h.demo.password)
    const [id] = fileIdsIn((await owner.get('/files')).body)
    const stranger = await signIn(h, h.other.username, h.other.password)
    const theirs = await stranger.get(`/files/${id}/download`)
    const missing = await stranger.get('/files/AAAAAAAAAAAAAAAAAAAAAA/download')
    const malformed = await stranger.get('/files/..%2F..%2Fetc%2Fpasswd/download')
    for (const r of [theirs, missing, malformed]) {
      expect(r.status).toBe(404)
      expect(r.location).toBe('')
      expect(r.body).not.toContain('v4.public.')
    }
    expect(theirs.body).toBe(missing.body)
  })

  it('refuses an upload over APP_UPLOAD_MAX_BYTES with 413 and keeps nothing of it', async () => {
    const c = await signIn(h, h.demo.username, h.demo.password)
    const before = h.storedFiles()
    const r = await upload(c, 'big.bin', randomBytes(MAX + 1))
    expect(r.status).toBe(413)
    expect(r.body).toContain('That file is too large')
    expect(h.storedFiles()).toEqual(before)
    // Exactly the limit is fine.
    expect((await upload(c, 'exact.bin', randomBytes(MAX))).status).toBe(303)
  })

  it('keeps the original name as metadata only: a path in it never becomes a path on disk', async () => {
    const c = await signIn(h, h.other.username, h.other.password)
    const r = await upload(c, '../../../../tmp/esc\nape.txt', Buffer.from('hello'))
    expect(r.status).toBe(303)
    const page = (await c.get('/files')).body
    expect(page).toContain('>escape.txt<')
    const onDisk = h.storedFiles().onDisk
    expect(onDisk.every((f) => /^[A-Za-z0-9_-]{22}$/.test(f))).toBe(true)
  })

  it('escapes a file name that looks like markup', async () => {
    const c = await signIn(h, h.other.username, h.other.password)
    await upload(c, '<img src=x onerror=alert(1)>.txt', Buffer.from('x'))
    const page = (await c.get('/files')).body
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;.txt')
    expect(page).not.toContain('<img src=x')
  })

  it('answers 400, not 500, to a malformed multipart body', async () => {
    const c = await signIn(h, h.other.username, h.other.password)
    const token = await c.csrfFrom('/files')
    const body = `--XX\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="a\u0007.txt"\r\n\r\nhi\r\n--XX--\r\n`
    const r = await c.send('POST', '/files', { body, headers: { 'content-type': 'multipart/form-data; boundary=XX' } })
    expect(r.status).toBe(400)
    expect(h.storedFiles().incoming).toEqual([])
  })

  it('answers 400 to an upload without a file', async () => {
    const c = await signIn(h, h.other.username, h.other.password)
    const token = await c.csrfFrom('/files')
    const r = await c.postMultipart('/files', [{ name: '_csrf', value: token }])
    expect(r.status).toBe(400)
    expect(r.body).toContain('No file received')
  })
})
