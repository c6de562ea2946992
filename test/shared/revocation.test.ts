import { describe, expect, it } from 'vitest'
import { MAX_REVOCATION_TOKEN_LENGTH, generateSecretKey, newJti } from '../../shared/src/index.js'
import { craftToken, goodClaims } from './craft-token.js'
import { codeOf, tokenPair } from './token-fixtures.js'

const NOW = new Date('2030-05-01T12:00:00Z')
const key = generateSecretKey()
const { signer, verifier } = tokenPair(key)
const footer = JSON.stringify({ kid: key.kid })

function revocationClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...goodClaims(NOW), file: undefined, exp: '2030-05-01T12:01:00Z', revoke: [newJti()], ...overrides }
}

const craft = (claims: Record<string, unknown>, implicitAssertion = 'revoke'): string =>
  craftToken({ payload: JSON.stringify(claims), footer, key: key.keyObject, implicitAssertion })

describe('revocation tokens (implicit assertion "revoke")', () => {
  it('round-trips the listed jtis', async () => {
    const revoke = [newJti(), newJti(), newJti()]
    const signed = await signer.signRevocation({ revoke }, { now: NOW })
    const { claims, kid } = await verifier.verifyRevocation(signed.token, { now: NOW })
    expect(kid).toBe(key.kid)
    expect(claims.revoke).toEqual(revoke)
    expect(claims.jti).toBe(signed.jti)
    expect(signed.expiresAt.getTime() - NOW.getTime()).toBe(60_000)
  })

  it('never verifies a download token as a revocation, nor a revocation as a download', async () => {
    const download = await signer.signDownload({ file: 'x' }, { now: NOW })
    const revocation = await signer.signRevocation({ revoke: [download.jti] }, { now: NOW })
    expect(await codeOf(verifier.verifyRevocation(download.token, { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
    expect(await codeOf(verifier.verifyDownload(revocation.token, { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('refuses a payload valid as both kinds when its assertion does not match', async () => {
    const both = { ...goodClaims(NOW, { exp: '2030-05-01T12:01:00Z' }), revoke: [newJti()] }
    expect(await codeOf(verifier.verifyDownload(craft(both, 'revoke'), { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
    expect(await codeOf(verifier.verifyRevocation(craft(both, ''), { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
    expect(await codeOf(verifier.verifyRevocation(craft(both, 'Revoke'), { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
    expect(await codeOf(verifier.verifyRevocation(craft(both), { now: NOW }))).toBe('accepted')
    expect(await codeOf(verifier.verifyDownload(craft(both, ''), { now: NOW }))).toBe('accepted')
  })

  it('accepts a 60 s lifetime and refuses 61 s', async () => {
    expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims()), { now: NOW }))).toBe('accepted')
    expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims({ exp: '2030-05-01T12:01:01Z' })), { now: NOW }))).toBe('TOKEN_LIFETIME_TOO_LONG')
  })

  it('accepts 1000 jtis and refuses 0, 1001 or an invalid one (CLAIM_INVALID)', async () => {
    const thousand = Array.from({ length: 1000 }, () => 'A'.repeat(64))
    const big = await signer.signRevocation({ revoke: thousand }, { now: NOW })
    expect(big.token.length).toBeLessThan(MAX_REVOCATION_TOKEN_LENGTH)
    expect((await verifier.verifyRevocation(big.token, { now: NOW })).claims.revoke).toHaveLength(1000)
    for (const revoke of [[], [...thousand, newJti()], ['not a jti'], [42], 'AAAAAAAAAAAAAAAAAAAAAA', undefined]) {
      expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims({ revoke })), { now: NOW }))).toBe('CLAIM_INVALID')
    }
  })

  it('applies the same issuer, audience, expiry and strictness rules as downloads', async () => {
    expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims({ iss: 'x' })), { now: NOW }))).toBe('TOKEN_WRONG_ISSUER')
    expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims({ aud: 'x' })), { now: NOW }))).toBe('TOKEN_WRONG_AUDIENCE')
    expect(await codeOf(verifier.verifyRevocation(craft(revocationClaims()), { now: new Date('2030-05-01T12:01:00.001Z') }))).toBe('TOKEN_EXPIRED')
    const duplicate = JSON.stringify(revocationClaims()).replace('{', '{"revoke":[],')
    expect(await codeOf(verifier.verifyRevocation(craftToken({ payload: duplicate, footer, key: key.keyObject, implicitAssertion: 'revoke' }), { now: NOW }))).toBe('TOKEN_MALFORMED')
  })

  it('refuses a revocation token longer than 256 KiB before decoding it', async () => {
    expect(await codeOf(verifier.verifyRevocation('v4.public.' + 'A'.repeat(MAX_REVOCATION_TOKEN_LENGTH), { now: NOW }))).toBe('TOKEN_MALFORMED')
  })
})
