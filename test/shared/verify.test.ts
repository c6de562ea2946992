import { describe, expect, it } from 'vitest'
import {
  MAX_DOWNLOAD_TOKEN_LENGTH,
  createKeySet,
  createTokenVerifier,
  generateSecretKey,
  type TokenErrorCode,
} from '../../shared/src/index.js'
import { craftToken, flipBit, goodClaims } from './craft-token.js'
import { AUDIENCE, ISSUER, codeOf, tokenPair } from './token-fixtures.js'

const NOW = new Date('2030-05-01T12:00:00Z')
const ours = generateSecretKey()
const stranger = generateSecretKey()
const { signer, verifier } = tokenPair(ours)
const kidFooter = JSON.stringify({ kid: ours.kid })

function craft(claims: Record<string, unknown>, options: { footer?: string; key?: typeof ours; implicitAssertion?: string } = {}): string {
  return craftToken({
    payload: JSON.stringify(claims),
    footer: 'footer' in options ? options.footer : kidFooter,
    key: (options.key ?? ours).keyObject,
    implicitAssertion: options.implicitAssertion,
  })
}

const download = (token: string, now = NOW): Promise<TokenErrorCode | 'accepted'> => codeOf(verifier.verifyDownload(token, { now }))

describe('verifyDownload: accepted tokens', () => {
  it('accepts a token from our signer and returns typed claims and the kid', async () => {
    const signed = await signer.signDownload({ file: 'a/b.txt', name: 'b.txt', size: 12 }, { now: NOW })
    const { claims, kid } = await verifier.verifyDownload(signed.token, { now: NOW })
    expect(kid).toBe(ours.kid)
    expect(claims).toEqual({ iss: ISSUER, aud: AUDIENCE, jti: signed.jti, iat: signed.issuedAt, exp: signed.expiresAt, file: 'a/b.txt', name: 'b.txt', size: 12 })
  })

  it('accepts a hand-signed token with exactly the contract claims', async () => {
    expect(await download(craft(goodClaims(NOW)))).toBe('accepted')
  })

  it('accepts times with a numeric offset and fractional seconds', async () => {
    const token = craft(goodClaims(NOW, { iat: '2030-05-01T14:00:00.000000+02:00', exp: '2030-05-01T07:09:59.999999-04:55', nbf: '2030-05-01T11:59:59.5Z' }))
    const result = await verifier.verifyDownload(token, { now: NOW })
    expect(result.claims.iat.toISOString()).toBe('2030-05-01T12:00:00.000Z')
    expect(result.claims.exp.toISOString()).toBe('2030-05-01T12:04:59.999Z')
    expect(result.claims.nbf?.toISOString()).toBe('2030-05-01T11:59:59.500Z')
  })

  it('ignores claims and footer keys it does not know', async () => {
    const token = craft(goodClaims(NOW, { sub: 'x', extra: { a: [1, 2] } }), { footer: JSON.stringify({ kid: ours.kid, wpk: 'x', other: 1 }) })
    expect(await download(token)).toBe('accepted')
  })

  it('accepts a lifetime of exactly 300 s and refuses 300.001 s and 300.0000001 s', async () => {
    expect(await download(craft(goodClaims(NOW, { iat: '2030-05-01T12:00:00Z', exp: '2030-05-01T12:05:00Z' })))).toBe('accepted')
    expect(await download(craft(goodClaims(NOW, { iat: '2030-05-01T12:00:00Z', exp: '2030-05-01T12:05:00.001Z' })))).toBe('TOKEN_LIFETIME_TOO_LONG')
    expect(await download(craft(goodClaims(NOW, { iat: '2030-05-01T12:00:00.5Z', exp: '2030-05-01T12:05:00.5000001Z' })))).toBe('TOKEN_LIFETIME_TOO_LONG')
  })
})

describe('verifyDownload: tampering and keys', () => {
  it('refuses a token whose signature was changed', async () => {
    const token = craft(goodClaims(NOW))
    expect(await download(flipBit(token, 'payload', 0))).toBe('TOKEN_BAD_SIGNATURE')
    expect(await download(flipBit(token, 'payload', 63))).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('refuses a token whose payload was changed', async () => {
    expect(await download(flipBit(craft(goodClaims(NOW)), 'payload', 64))).toBe('TOKEN_BAD_SIGNATURE')
    const original = craft(goodClaims(NOW))
    const other = craft(goodClaims(NOW, { file: 'docs/secret.pdf' }))
    const spliced = [...other.split('.').slice(0, 2), Buffer.concat([Buffer.from(other.split('.')[2]!, 'base64url').subarray(0, -64), Buffer.from(original.split('.')[2]!, 'base64url').subarray(-64)]).toString('base64url'), original.split('.')[3]].join('.')
    expect(await download(spliced)).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('refuses a token whose footer was changed, even to one naming the same kid', async () => {
    const token = craft(goodClaims(NOW))
    const [a, b, c] = token.split('.')
    const footer = Buffer.from(JSON.stringify({ kid: ours.kid, note: 'x' })).toString('base64url')
    expect(await download(`${a}.${b}.${c}.${footer}`)).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('refuses a token signed by a key it does not know (KEY_UNKNOWN)', async () => {
    expect(await download(craft(goodClaims(NOW), { key: stranger, footer: JSON.stringify({ kid: stranger.kid }) }))).toBe('KEY_UNKNOWN')
  })

  it("refuses a stranger's token that claims our kid (bad signature)", async () => {
    expect(await download(craft(goodClaims(NOW), { key: stranger }))).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('never lets one trusted key verify a token whose kid names another trusted key', async () => {
    const second = generateSecretKey()
    const both = createTokenVerifier({ keys: createKeySet([ours.publicKey, second.publicKey]), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 })
    const token = craft(goodClaims(NOW), { key: second, footer: kidFooter })
    expect(await codeOf(both.verifyDownload(token, { now: NOW }))).toBe('TOKEN_BAD_SIGNATURE')
    const proper = craft(goodClaims(NOW), { key: second, footer: JSON.stringify({ kid: second.kid }) })
    expect((await both.verifyDownload(proper, { now: NOW })).kid).toBe(second.kid)
    expect((await both.verifyDownload(craft(goodClaims(NOW)), { now: NOW })).kid).toBe(ours.kid)
  })

  it('refuses a token without a footer, or whose footer has no usable kid (KEY_UNKNOWN)', async () => {
    expect(await download(craft(goodClaims(NOW), { footer: undefined }))).toBe('KEY_UNKNOWN')
    expect(await download(craft(goodClaims(NOW), { footer: '{}' }))).toBe('KEY_UNKNOWN')
    expect(await download(craft(goodClaims(NOW), { footer: '{"kid":7}' }))).toBe('KEY_UNKNOWN')
    expect(await download(craft(goodClaims(NOW), { footer: '{"kid":"__proto__"}' }))).toBe('KEY_UNKNOWN')
    expect(await download(craft(goodClaims(NOW), { footer: JSON.stringify({ kid: ours.publicKey.paserk }) }))).toBe('KEY_UNKNOWN')
  })

  it('refuses a footer that is not a JSON object, or has a key twice (TOKEN_MALFORMED)', async () => {
    for (const footer of ['kid', '"k4.pid.x"', '[1]', 'null', '{"kid":', `{"kid":"${ours.kid}","kid":"${ours.kid}"}`, `{"kid":"${ours.kid}","k\\u0069d":"x"}`]) {
      expect(await download(craft(goodClaims(NOW), { footer })), footer).toBe('TOKEN_MALFORMED')
    }
  })
})

describe('verifyDownload: strict payload', () => {
  it('refuses a payload with a duplicated key, also spelled with escapes (TOKEN_MALFORMED)', async () => {
    const good = JSON.stringify(goodClaims(NOW))
    for (const payload of [
      good.replace('{', '{"jti":"BBBBBBBBBBBBBBBBBBBBBB",'),
      good.replace('{', '{"j\\u0074i":"BBBBBBBBBBBBBBBBBBBBBB",'),
      good.replace('{', '{"\\u0066ile":"../etc/passwd",'),
    ]) {
      expect(await download(craftToken({ payload, footer: kidFooter, key: ours.keyObject })), payload).toBe('TOKEN_MALFORMED')
    }
  })

  it('refuses a payload that is not a JSON object or not UTF-8 (TOKEN_MALFORMED)', async () => {
    for (const payload of ['[]', '"x"', '1', 'null', '{', '{"a":1}x', Buffer.from([0x7b, 0xff, 0x7d])]) {
      expect(await download(craftToken({ payload, footer: kidFooter, key: ours.keyObject }))).toBe('TOKEN_MALFORMED')
    }
  })

  const wrongTypes: Array<[string, Record<string, unknown>]> = [
    ['iss a number', { iss: 1 }],
    ['aud an array', { aud: [AUDIENCE] }],
    ['jti missing', { jti: undefined }],
    ['jti a number', { jti: 1234567890123456 }],
    ['jti too short', { jti: 'AAAAAAAAAAAAAAAAAAAAA' }],
    ['jti too long', { jti: 'A'.repeat(65) }],
    ['jti outside base64url', { jti: 'AAAAAAAAAAAAAAAAAAAAA+' }],
    ['file missing', { file: undefined }],
    ['file a number', { file: 1 }],
    ['file with ..', { file: 'a/../../etc/passwd' }],
    ['file absolute', { file: '/etc/passwd' }],
    ['file with a backslash', { file: 'a\\b' }],
    ['file with NUL', { file: 'a\u0000b' }],
    ['file with an empty segment', { file: 'a//b' }],
    ['file with a lone surrogate', { file: 'a\udc00b' }],
    ['name a number', { name: 5 }],
    ['name with a lone surrogate (no UTF-8 form, no Content-Disposition)', { name: 'report\ud800.pdf' }],
    ['size negative', { size: -1 }],
    ['size fractional', { size: 1.5 }],
    ['size a string', { size: '12' }],
    ['size beyond safe integers', { size: 2 ** 53 }],
    ['iat missing', { iat: undefined }],
    ['exp missing', { exp: undefined }],
    ['exp a number', { exp: 1904558700 }],
    ['iat with a space for T', { iat: '2030-05-01 12:00:00Z' }],
    ['exp without offset', { exp: '2030-05-01T12:05:00' }],
    ['nbf not a date', { nbf: 'yesterday' }],
    ['exp on 31 April', { exp: '2030-04-31T12:00:00Z' }],
    ['exp before iat', { exp: '2030-05-01T11:59:59Z' }],
  ]
  for (const [what, overrides] of wrongTypes) {
    it(`refuses a payload with ${what} (CLAIM_INVALID)`, async () => {
      expect(await download(craft(goodClaims(NOW, overrides)))).toBe('CLAIM_INVALID')
    })
  }

  it('refuses lower-case t/z and leap seconds, which the paseto package refuses too (CLAIM_INVALID)', async () => {
    expect(await download(craft(goodClaims(NOW, { iat: '2030-05-01t12:00:00z' })))).toBe('CLAIM_INVALID')
    expect(await download(craft(goodClaims(NOW, { nbf: '2030-04-30T23:59:60Z' })))).toBe('CLAIM_INVALID')
  })
})

describe('verifyDownload: issuer, audience and time', () => {
  it('refuses another issuer and another audience', async () => {
    expect(await download(craft(goodClaims(NOW, { iss: 'https://evil.example' })))).toBe('TOKEN_WRONG_ISSUER')
    expect(await download(craft(goodClaims(NOW, { aud: 'https://other.example' })))).toBe('TOKEN_WRONG_AUDIENCE')
  })

  it('refuses an expired token from the first millisecond after exp', async () => {
    const token = craft(goodClaims(NOW))
    expect(await download(token, new Date(NOW.getTime() + 300_000))).toBe('accepted')
    expect(await download(token, new Date(NOW.getTime() + 300_001))).toBe('TOKEN_EXPIRED')
  })

  it('refuses a token before its nbf', async () => {
    const token = craft(goodClaims(NOW, { nbf: '2030-05-01T12:00:10Z' }))
    expect(await download(token)).toBe('TOKEN_NOT_YET_VALID')
    expect(await download(token, new Date('2030-05-01T12:00:10Z'))).toBe('accepted')
  })

  it('refuses a token issued in the future (TOKEN_LIFETIME_TOO_LONG)', async () => {
    expect(await download(craft(goodClaims(new Date(NOW.getTime() + 1000))))).toBe('TOKEN_LIFETIME_TOO_LONG')
  })

  it('refuses a validly signed lifetime of 301 s', async () => {
    const token = craft(goodClaims(NOW, { exp: '2030-05-01T12:05:01Z' }))
    expect(await download(token)).toBe('TOKEN_LIFETIME_TOO_LONG')
  })

  describe('with a clock tolerance of 30 s', () => {
    const tolerant = createTokenVerifier({ keys: createKeySet([ours.publicKey]), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 30 })
    const at = (token: string, ms: number): Promise<TokenErrorCode | 'accepted'> => codeOf(tolerant.verifyDownload(token, { now: new Date(NOW.getTime() + ms) }))

    it('accepts up to exp + 30 s and refuses 1 ms later', async () => {
      const token = craft(goodClaims(NOW))
      expect(await at(token, 330_000)).toBe('accepted')
      expect(await at(token, 330_001)).toBe('TOKEN_EXPIRED')
    })

    it('accepts from nbf - 30 s and refuses 1 ms earlier', async () => {
      const token = craft(goodClaims(NOW, { nbf: '2030-05-01T12:01:00Z' }))
      expect(await at(token, 30_000)).toBe('accepted')
      expect(await at(token, 29_999)).toBe('TOKEN_NOT_YET_VALID')
    })

    it('accepts iat up to 30 s ahead and refuses 1 ms more', async () => {
      const token = craft(goodClaims(NOW))
      expect(await at(token, -30_000)).toBe('accepted')
      expect(await at(token, -30_001)).toBe('TOKEN_LIFETIME_TOO_LONG')
    })

    it('does not stretch the 300 s lifetime limit', async () => {
      expect(await at(craft(goodClaims(NOW, { exp: '2030-05-01T12:05:00.001Z' })), 0)).toBe('TOKEN_LIFETIME_TOO_LONG')
    })
  })

  it('refuses a clock tolerance outside 0..30 s at construction (TypeError)', () => {
    for (const clockToleranceSeconds of [-1, 30.5, 31, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createTokenVerifier({ keys: createKeySet([ours.publicKey]), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds })).toThrow(TypeError)
    }
    expect(() => createTokenVerifier({ keys: createKeySet([ours.publicKey]), issuer: '', audience: AUDIENCE, clockToleranceSeconds: 0 })).toThrow(TypeError)
  })
})

describe('verifyDownload: order of checks', () => {
  it('reports a bad signature before bad claims', async () => {
    expect(await download(flipBit(craft(goodClaims(NOW, { size: 'x' })), 'payload', 0))).toBe('TOKEN_BAD_SIGNATURE')
  })

  it('reports a wrong claim type (400) before expiry (401)', async () => {
    expect(await download(craft(goodClaims(NOW, { size: 'x' })), new Date('2031-01-01T00:00:00Z'))).toBe('CLAIM_INVALID')
  })

  it('reports a malformed footer before an unknown key', async () => {
    expect(await download(craft(goodClaims(NOW), { key: stranger, footer: '{"kid":"a","kid":"b"}' }))).toBe('TOKEN_MALFORMED')
  })

  it('reports the issuer before expiry', async () => {
    expect(await download(craft(goodClaims(NOW, { iss: 'x' })), new Date('2031-01-01T00:00:00Z'))).toBe('TOKEN_WRONG_ISSUER')
  })
})

describe('verifyDownload: not a v4.public token of ours (TOKEN_MALFORMED)', () => {
  const token = craft(goodClaims(NOW))
  const [, , payload, footer] = token.split('.')
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  // Sets the lowest bit of the last character: unused by the data when length % 4 is 2 or 3.
  const withSpareBit = (text: string): string => {
    if (text.length % 4 < 2) throw new Error('no spare bits in this encoding')
    return text.slice(0, -1) + ALPHABET[ALPHABET.indexOf(text.at(-1)!) | 1]
  }

  const cases: Array<[string, string]> = [
    ['padding on the payload', `v4.public.${payload}=.${footer}`],
    ['padding on the footer', `v4.public.${payload}.${footer}==`],
    ['standard base64 characters', `v4.public.+${payload!.slice(1)}.${footer}`],
    ['spare bits set in the payload', `v4.public.${withSpareBit(payload!)}.${footer}`],
    ['spare bits set in the footer', `v4.public.${payload}.${withSpareBit(footer!)}`],
    ['a v4.local header', `v4.local.${payload}.${footer}`],
    ['a v2.public token', `v2.public.${payload}.${footer}`],
    ['a v3.public token', `v3.public.${payload}.${footer}`],
    ['an upper-case header', `V4.PUBLIC.${payload}.${footer}`],
    ['a JWT with alg none', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(goodClaims(NOW))).toString('base64url')}.`],
    ['an empty string', ''],
    ['garbage', 'hello, world'],
    ['only a header', 'v4.public.'],
    ['an empty payload', `v4.public..${footer}`],
    ['an empty footer', `v4.public.${payload}.`],
    ['too many parts', `${token}.${footer}`],
    ['a payload shorter than a signature', `v4.public.${Buffer.alloc(64).toString('base64url')}.${footer}`],
    ['white space around it', ` ${token} `],
    ['a token longer than 8 KiB', craft(goodClaims(NOW, { pad: 'x'.repeat(MAX_DOWNLOAD_TOKEN_LENGTH) }))],
    ['a 64 KiB token', 'v4.public.' + 'A'.repeat(64 * 1024)],
  ]
  for (const [what, value] of cases) {
    it(`refuses ${what}`, async () => {
      expect(await download(value)).toBe('TOKEN_MALFORMED')
    })
  }

  it('refuses a value that is not a string', async () => {
    expect(await codeOf(verifier.verifyDownload(42 as unknown as string, { now: NOW }))).toBe('TOKEN_MALFORMED')
  })
})
