import { PublicProtocol } from 'paseto'
import { ImportPublicKeyFactory, ImportSecretKeyFactory, SignFactory, VerifyFactory } from 'paseto/v4/public'
import { describe, expect, it } from 'vitest'
import { createTokenSigner, generateSecretKey, isValidJti } from '../../shared/src/index.js'
import { AUDIENCE, ISSUER, tokenPair } from './token-fixtures.js'

const NOW = new Date('2030-05-01T12:00:00.750Z')
const key = generateSecretKey()
const { signer, verifier } = tokenPair(key)

const partsOf = (token: string): { header: string; payload: Record<string, unknown>; footer: string } => {
  const [v, purpose, payload, footer] = token.split('.')
  return {
    header: `${v}.${purpose}.`,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').subarray(0, -64).toString('utf8')) as Record<string, unknown>,
    footer: Buffer.from(footer!, 'base64url').toString('utf8'),
  }
}

describe('createTokenSigner', () => {
  it('signs a v4.public download token with exactly the contract claims and footer', async () => {
    const signed = await signer.signDownload({ file: 'a/b c.pdf', name: 'b c.pdf', size: 0 }, { now: NOW })
    const { header, payload, footer } = partsOf(signed.token)
    expect(header).toBe('v4.public.')
    expect(footer).toBe(`{"kid":"${key.kid}"}`)
    expect(payload).toEqual({ iss: ISSUER, aud: AUDIENCE, jti: signed.jti, iat: '2030-05-01T12:00:00Z', exp: '2030-05-01T12:05:00Z', file: 'a/b c.pdf', name: 'b c.pdf', size: 0 })
    expect(signed.issuedAt.toISOString()).toBe('2030-05-01T12:00:00.000Z')
    expect(signed.expiresAt.toISOString()).toBe('2030-05-01T12:05:00.000Z')
  })

  it('leaves out name and size when not given', async () => {
    const { payload } = partsOf((await signer.signDownload({ file: 'x' }, { now: NOW })).token)
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'file', 'iat', 'iss', 'jti'])
  })

  it('gives every token a fresh 128-bit jti', async () => {
    const jtis = await Promise.all(Array.from({ length: 50 }, async () => (await signer.signDownload({ file: 'x' })).jti))
    expect(new Set(jtis).size).toBe(50)
    for (const jti of jtis) {
      expect(isValidJti(jti)).toBe(true)
      expect(Buffer.from(jti, 'base64url')).toHaveLength(16)
    }
  })

  it('uses the configured shorter lifetime', async () => {
    const short = createTokenSigner({ key, issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 30, revocationLifetimeSeconds: 10 })
    const download = await short.signDownload({ file: 'x' }, { now: NOW })
    expect(download.expiresAt.getTime() - download.issuedAt.getTime()).toBe(30_000)
    const revocation = await short.signRevocation({ revoke: [download.jti] }, { now: NOW })
    expect(partsOf(revocation.token).payload.exp).toBe('2030-05-01T12:00:10Z')
  })

  it('refuses options outside the contract (TypeError)', () => {
    const other = generateSecretKey()
    for (const options of [
      { lifetimeSeconds: 301 },
      { lifetimeSeconds: 0 },
      { lifetimeSeconds: 10.5 },
      { revocationLifetimeSeconds: 61 },
      { issuer: '' },
      { audience: '' },
      { key: other.publicKey as unknown as typeof key },
    ]) {
      expect(() => createTokenSigner({ key, issuer: ISSUER, audience: AUDIENCE, ...options })).toThrow(TypeError)
    }
  })

  it('refuses claims it must not sign (TypeError)', async () => {
    for (const input of [{ file: '../x' }, { file: '/etc/passwd' }, { file: '' }, { file: 'a\\b' }, { file: 'x', size: -1 }, { file: 'x', size: 0.5 }]) {
      await expect(signer.signDownload(input, { now: NOW })).rejects.toThrow(TypeError)
    }
    for (const revoke of [[], ['short'], Array.from({ length: 1001 }, () => 'A'.repeat(22))]) {
      await expect(signer.signRevocation({ revoke }, { now: NOW })).rejects.toThrow(TypeError)
    }
    await expect(signer.signDownload({ file: 'x' }, { now: new Date(Number.NaN) })).rejects.toThrow(TypeError)
  })

  it("signs tokens the paseto package's own v4.public (WebCrypto) verifies", async () => {
    const v4 = new PublicProtocol(VerifyFactory, ImportPublicKeyFactory)
    const signed = await signer.signDownload({ file: 'x' }, { now: NOW })
    const result = await v4.Verify(await v4.ImportPublicKey(key.publicKey.paserk as `k4.public.${string}`), signed.token, { now: NOW, issuer: ISSUER, audience: AUDIENCE })
    expect(result.claims.jti).toBe(signed.jti)
  })

  it("verifies tokens signed by the paseto package's own v4.public (WebCrypto)", async () => {
    const v4 = new PublicProtocol(SignFactory, ImportSecretKeyFactory)
    const secret = await v4.ImportSecretKey(key.paserk as `k4.secret.${string}`)
    const token = await v4.Sign(secret, { iss: ISSUER, aud: AUDIENCE, jti: 'CCCCCCCCCCCCCCCCCCCCCC', file: 'docs/a.pdf' }, {
      now: NOW,
      expiresIn: 300,
      footer: new TextEncoder().encode(JSON.stringify({ kid: key.kid })),
    })
    const { claims } = await verifier.verifyDownload(token, { now: NOW })
    expect(claims.jti).toBe('CCCCCCCCCCCCCCCCCCCCCC')
  })
})
