import { once } from 'node:events'
import net from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTokenSigner, newJti } from '../../../shared/src/index.js'
import { MAX_REVOKE_BODY_BYTES } from '../../../download-server/src/routes/revoke.js'
import { SQLiteUsedTokenStore } from '../../../download-server/src/stores/sqlite-used-token-store.js'
import { AUDIENCE, ISSUER, claimsJSON, createIssuer, signRaw } from '../support/issuer.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.close())

type Answer = { status: number; body: Record<string, unknown>; headers: Record<string, unknown> }

const post = async (body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> => {
  const res = await request(`${t.url}/revoke`, { method: 'POST', body, headers })
  const text = await res.body.text()
  return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers }
}
const download = async (token: string, method: 'GET' | 'HEAD' = 'GET'): Promise<{ status: number; code?: string }> => {
  const res = await request(`${t.url}/d/${token}`, { method })
  const text = await res.body.text()
  return { status: res.statusCode, code: res.statusCode >= 400 && method === 'GET' ? (JSON.parse(text) as { code: string }).code : undefined }
}
const revocation = async (revoke: string[]): Promise<string> => (await t.issuer.signer.signRevocation({ revoke })).token

describe('POST /revoke', () => {
  it('revokes a token minted a moment before: its download is then refused 410 token_revoked', async () => {
    const signed = await t.issuer.signer.signDownload({ file: 'report.bin' })
    const answer = await post(await revocation([signed.jti]))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ revoked: 1 })
    expect(answer.headers['content-type']).toContain('application/json')
    expect(await download(signed.token)).toEqual({ status: 410, code: 'token_revoked' })
    expect((await download(signed.token, 'HEAD')).status).toBe(410)
  })

  it('counts only the distinct listed ids not already used or revoked', async () => {
    const used = await t.issuer.signer.signDownload({ file: 'report.bin' })
    expect((await download(used.token)).status).toBe(200)
    const revoked = newJti()
    await post(await revocation([revoked]))
    const fresh = newJti()
    const answer = await post(await revocation([used.jti, revoked, fresh, fresh]))
    expect(answer.body).toEqual({ revoked: 1 })
    // A used token stays "used": revoking it afterwards does not change what its holder is told.
    expect(await download(used.token)).toEqual({ status: 410, code: 'token_used' })
  })

  it('answers 410 to a replayed revocation token, and the replay revokes nothing', async () => {
    const first = await t.issuer.signer.signDownload({ file: 'report.bin' })
    const token = await revocation([first.jti])
    expect((await post(token)).status).toBe(200)
    const replay = await post(token)
    expect(replay.status).toBe(410)
    expect(replay.body).toMatchObject({ code: 'token_used', status: 410 })
    expect(replay.headers['content-type']).toContain('application/problem+json')
  })

  it('refuses a revocation token used as a download token, and a download token posted as a revocation', async () => {
    const signed = await t.issuer.signer.signDownload({ file: 'report.bin' })
    const asDownload = await download(await revocation([signed.jti]))
    expect(asDownload).toEqual({ status: 401, code: 'token_bad_signature' })
    const asRevocation = await post(signed.token)
    expect(asRevocation.status).toBe(401)
    expect(asRevocation.body).toMatchObject({ code: 'token_bad_signature' })
    // Neither attempt spent or revoked anything.
    expect((await download(signed.token)).status).toBe(200)
  })

  it('refuses with 401 key_unknown a revocation signed by a key the server does not trust', async () => {
    const signed = await t.issuer.signer.signDownload({ file: 'report.bin' })
    const stranger = createIssuer()
    const answer = await post((await stranger.signer.signRevocation({ revoke: [signed.jti] })).token)
    expect(answer.status).toBe(401)
    expect(answer.body).toMatchObject({ code: 'key_unknown' })
    expect((await download(signed.token)).status).toBe(200)
  })

  it('refuses a revocation that lives longer than 60 s (401) or lists no id (400)', async () => {
    const now = new Date()
    const long = signRaw(t.issuer.key, { payload: claimsJSON({ file: undefined, revoke: [newJti()], jti: newJti() }, now), implicitAssertion: 'revoke' })
    expect(await post(long)).toMatchObject({ status: 401, body: { code: 'token_lifetime_too_long' } })
    const iat = new Date(Math.floor(now.getTime() / 1000) * 1000)
    const empty = signRaw(t.issuer.key, {
      payload: JSON.stringify({ iss: ISSUER, aud: AUDIENCE, jti: newJti(), iat: iat.toISOString(), exp: new Date(iat.getTime() + 60_000).toISOString(), revoke: [] }),
      implicitAssertion: 'revoke',
    })
    expect(await post(empty)).toMatchObject({ status: 400, body: { code: 'claim_invalid' } })
  })

  it('takes the token with any Content-Type and white space around it', async () => {
    for (const contentType of ['text/plain', 'application/json', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const id = newJti()
      const answer = await post(`\r\n\t  ${await revocation([id])}\n\n`, { 'content-type': contentType })
      expect(answer, contentType).toMatchObject({ status: 200, body: { revoked: 1 } })
    }
  })

  it('accepts a 128 KiB body, and a token revoking 1000 ids at once', async () => {
    const padded = (await revocation([newJti()])).padEnd(128 * 1024 - 1, ' ') + '\n'
    expect(Buffer.byteLength(padded)).toBe(128 * 1024)
    expect(await post(padded)).toMatchObject({ status: 200, body: { revoked: 1 } })
    const ids = Array.from({ length: 1000 }, () => newJti())
    expect(await post(await revocation(ids))).toMatchObject({ status: 200, body: { revoked: 1000 } })
  })

  it('answers 413 payload_too_large to a body over the limit, announced or chunked', async () => {
    const tooBig = Buffer.alloc(MAX_REVOKE_BODY_BYTES + 1, 0x20)
    const announced = await post(tooBig)
    expect(announced.status).toBe(413)
    expect(announced.body).toMatchObject({ code: 'payload_too_large', status: 413 })
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent <= MAX_REVOKE_BODY_BYTES; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, 0x20)
    }
    const res = await request(`${t.url}/revoke`, { method: 'POST', body: Readable.from(chunks()) })
    expect(res.statusCode).toBe(413)
    expect(((await res.body.json()) as { code: string }).code).toBe('payload_too_large')
  })

  it('logs a client that hangs up mid-body as gone (400 client_gone), not as a server error', async () => {
    const { port } = new URL(t.url)
    const socket = net.connect(Number(port), '127.0.0.1')
    await once(socket, 'connect')
    socket.write('POST /revoke HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nv4.')
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.destroy()
    const line = await vi.waitFor(() => {
      const found = t.logs.map((l) => JSON.parse(l) as { route?: string; status?: number; code?: string }).find((l) => l.route === '/revoke' && l.code === 'client_gone')
      expect(found).toBeDefined()
      return found!
    }, { timeout: 10_000 })
    expect(line.status).toBe(400)
    expect(t.logs.join('\n')).not.toContain('unexpected error')
  })

  it('answers 400 to an empty body and 405 with Allow: POST to other methods', async () => {
    expect(await post('')).toMatchObject({ status: 400, body: { code: 'token_malformed' } })
    const res = await request(`${t.url}/revoke`)
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(((await res.body.json()) as { code: string }).code).toBe('method_not_allowed')
  })

  it('refuses a revocation for another audience or issuer', async () => {
    const other = createTokenSigner({ key: t.issuer.key, issuer: ISSUER, audience: 'https://elsewhere.example' })
    const answer = await post((await other.signRevocation({ revoke: [newJti()] })).token)
    expect(answer).toMatchObject({ status: 401, body: { code: 'token_wrong_audience' } })
  })
})

describe('how long a revocation is remembered', () => {
  it('keeps a revoked id while a token carrying it can still verify, also one whose issuer’s clock ran the tolerance ahead', async () => {
    let now = new Date(Math.floor(Date.now() / 1000) * 1000)
    const clocked = await startTestServer({ clock: () => now })
    try {
      // The app's clock runs 30 s (DL_CLOCK_TOLERANCE) ahead: iat is 30 s in the server's future.
      const signed = await clocked.issuer.signer.signDownload({ file: 'report.bin' }, { now: new Date(now.getTime() + 30_000) })
      const revoked = await request(`${clocked.url}/revoke`, { method: 'POST', body: (await clocked.issuer.signer.signRevocation({ revoke: [signed.jti] })).token })
      expect(await revoked.body.json()).toEqual({ revoked: 1 })
      // The last instant the token still verifies: exp + tolerance, by the server's clock. The
      // store purges what it no longer needs to keep (every minute); here that purge runs now.
      now = new Date(signed.expiresAt.getTime() + 30_000)
      const purger = new SQLiteUsedTokenStore(new Database(path.join(clocked.dir, 'used.db')), { clock: () => now })
      await purger.purgeExpired()
      await purger.close()
      const res = await request(`${clocked.url}/d/${signed.token}`)
      const body = await res.body.text()
      expect(res.statusCode).toBe(410)
      expect((JSON.parse(body) as { code: string }).code).toBe('token_revoked')
    } finally {
      await clocked.close()
    }
  })
})

describe('the audit trail of revocations', () => {
  it('logs token.revoked per listed id with the revocation’s jti, and counts it, never logging a token', async () => {
    const [a, b] = [newJti(), newJti()]
    const signed = await t.issuer.signer.signRevocation({ revoke: [a, b] })
    await post(signed.token)
    await post(signed.token)
    const events = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'token.revoked' && line.by === signed.jti)
    expect(events.map((event) => [event.jti, event.outcome])).toEqual([
      [a, 'revoked'],
      [b, 'revoked'],
    ])
    await vi.waitFor(async () => {
      const metrics = await (await request(`${t.url}/metrics`)).body.text()
      expect(metrics).toMatch(/download_audit_events_total\{event="token\.revoked",outcome="revoked"\} \d+/)
      expect(metrics).toMatch(/download_audit_events_total\{event="token\.refused",outcome="token_used"\} \d+/)
    }, { timeout: 10_000 })
    expect(t.logs.join('')).not.toContain('v4.public')
  })
})
