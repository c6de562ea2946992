import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, newRedisPrefix } from '../support/redis.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

// Two download servers sharing one Redis and key prefix: a revocation sent to either one holds at both.
describe('POST /revoke across two download servers sharing Redis', () => {
  let a: TestServer
  let b: TestServer
  const shared = newRedisPrefix()
  beforeAll(async () => {
    a = await startTestServer({ store: 'redis', env: { DL_REDIS_KEY_PREFIX: shared } })
    b = await startTestServer({
      store: 'redis',
      env: { DL_REDIS_KEY_PREFIX: shared, DL_PUBLIC_KEYS: a.issuer.key.publicKey.paserk, DL_RESUME: 'on' },
    })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
    await deleteKeys(shared)
  })

  const download = async (server: TestServer, token: string, headers: Record<string, string> = {}) => {
    const res = await request(`${server.url}/d/${token}`, { headers })
    const body = await res.body.text()
    return { status: res.statusCode, code: res.statusCode >= 400 ? (JSON.parse(body) as { code: string }).code : undefined }
  }
  const revoke = async (server: TestServer, jtis: string[]) => {
    const res = await request(`${server.url}/revoke`, { method: 'POST', body: (await a.issuer.signer.signRevocation({ revoke: jtis })).token })
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
  }

  it('refuses at server B, with token_revoked, a token minted a moment before its revocation at server A', async () => {
    const signed = await a.issuer.signer.signDownload({ file: 'report.bin' })
    expect(await revoke(a, [signed.jti])).toEqual({ status: 200, body: { revoked: 1 } })
    expect(await download(b, signed.token)).toEqual({ status: 410, code: 'token_revoked' })
    expect(await download(a, signed.token)).toEqual({ status: 410, code: 'token_revoked' })
  })

  it('refuses at server A a token revoked at server B, and B refuses the replayed revocation A accepted', async () => {
    const signed = await a.issuer.signer.signDownload({ file: 'report.bin' })
    const revocation = (await a.issuer.signer.signRevocation({ revoke: [signed.jti] })).token
    const first = await request(`${b.url}/revoke`, { method: 'POST', body: revocation })
    expect(first.statusCode).toBe(200)
    await first.body.text()
    const replay = await request(`${a.url}/revoke`, { method: 'POST', body: revocation })
    expect(replay.statusCode).toBe(410)
    await replay.body.text()
    expect(await download(a, signed.token)).toEqual({ status: 410, code: 'token_revoked' })
  })

  it('does not count, and does not change, a token already used at the other server', async () => {
    const signed = await a.issuer.signer.signDownload({ file: 'report.bin' })
    expect((await download(a, signed.token)).status).toBe(200)
    expect(await revoke(b, [signed.jti])).toEqual({ status: 200, body: { revoked: 0 } })
    expect(await download(b, signed.token)).toEqual({ status: 410, code: 'token_used' })
  })
})

describe('revocation and resumable delivery while Redis cannot be reached', () => {
  let t: TestServer
  beforeAll(async () => {
    // Port 1 (tcpmux): nothing listens there, and no test can take it, unlike a port found free.
    t = await startTestServer({ store: { redisURL: 'redis://127.0.0.1:1' }, env: { DL_RESUME: 'on' } })
  })
  afterAll(() => t.close())

  it('answers 503 store_unavailable within 1 s to POST /revoke and to a download, never a 500', async () => {
    const signed = await t.issuer.signer.signDownload({ file: 'report.bin' })
    // Signed before the clock starts: only the requests are timed.
    const revocation = (await t.issuer.signer.signRevocation({ revoke: [signed.jti] })).token
    for (const send of [
      () => request(`${t.url}/d/${signed.token}`),
      () => request(`${t.url}/revoke`, { method: 'POST', body: revocation }),
    ]) {
      const started = Date.now()
      const res = await send()
      expect(res.statusCode).toBe(503)
      expect(((await res.body.json()) as { code: string }).code).toBe('store_unavailable')
      expect(Date.now() - started).toBeLessThan(1000)
    }
  })
})
