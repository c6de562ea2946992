import { describe, expect, it } from 'vitest'
import {
  createKeySet,
  createTokenVerifier,
  generateSecretKey,
  type TokenErrorCode,
  type TokenVerifier,
} from '../../shared/src/index.js'
import { craftToken, flipBit, goodClaims } from './craft-token.js'
import { codeOf as verdictOf, tokenPair } from './token-fixtures.js'

// `verifyOn: 'threadpool'` moves the Ed25519 check to libuv's threads; every answer must stay
// the same as on the caller's thread. And the verifier's shortcut for its own kid footers must
// not change what any other footer gets.
const NOW = new Date('2030-05-01T12:00:00Z')
const ours = generateSecretKey()
const stranger = generateSecretKey()
const { signer, verifier: onCaller, verifierOptions: options } = tokenPair(ours)
const onPool = createTokenVerifier({ ...options, verifyOn: 'threadpool' })
const kidFooter = JSON.stringify({ kid: ours.kid })

const codeOf = (verifier: TokenVerifier, token: string): Promise<TokenErrorCode | 'accepted'> => verdictOf(verifier.verifyDownload(token, { now: NOW }))

const craft = (claims: Record<string, unknown>, footer: string | undefined = kidFooter, key = ours): string =>
  craftToken({ payload: JSON.stringify(claims), footer, key: key.keyObject })

describe('createTokenVerifier({ verifyOn: "threadpool" })', () => {
  it('returns the same claims and kid for a good token as the caller-thread verifier', async () => {
    const { token } = await signer.signDownload({ file: 'a/b.txt', size: 3 }, { now: NOW })
    expect(await onPool.verifyDownload(token, { now: NOW })).toEqual(await onCaller.verifyDownload(token, { now: NOW }))
  })

  it('gives the same code as the caller-thread verifier for each kind of bad token', async () => {
    const good = craft(goodClaims(NOW))
    const cases: Record<string, string> = {
      'bad signature': flipBit(good, 'payload', 0),
      'changed payload byte': flipBit(good, 'payload', 70),
      'signed by a stranger with our kid': craft(goodClaims(NOW), kidFooter, stranger),
      'no footer': craft(goodClaims(NOW), undefined),
      'duplicate claim': craftToken({ payload: `{"jti":"x",${JSON.stringify(goodClaims(NOW)).slice(1)}`, footer: kidFooter, key: ours.keyObject }),
      expired: craft(goodClaims(new Date(NOW.getTime() - 3_600_000))),
      'wrong audience': craft(goodClaims(NOW, { aud: 'https://elsewhere.example' })),
      'revocation assertion': craftToken({ payload: JSON.stringify(goodClaims(NOW)), footer: kidFooter, key: ours.keyObject, implicitAssertion: 'revoke' }),
    }
    const codes = async (verifier: TokenVerifier): Promise<Record<string, string>> =>
      Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([name, token]) => [name, await codeOf(verifier, token)])))
    const expected = await codes(onCaller)
    expect(expected['bad signature']).toBe('TOKEN_BAD_SIGNATURE')
    expect(await codes(onPool)).toEqual(expected)
  })

  it('checks many tokens at once, each with its own verdict', async () => {
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => signer.signDownload({ file: `f${i}` }, { now: NOW })))
    const forged = tokens.map(({ token }, i) => (i % 3 === 0 ? flipBit(token, 'payload', 5) : token))
    const results = await Promise.all(forged.map((token) => codeOf(onPool, token)))
    expect(results).toEqual(forged.map((_, i) => (i % 3 === 0 ? 'TOKEN_BAD_SIGNATURE' : 'accepted')))
  })

  it('refuses an unknown verifyOn value', () => {
    expect(() => createTokenVerifier({ ...options, verifyOn: 'gpu' as 'caller' })).toThrow(TypeError)
  })
})

describe('the verifier’s own kid footers', () => {
  it('are read like any footer: extra keys still accepted, a second kid still malformed', async () => {
    expect(await codeOf(onCaller, craft(goodClaims(NOW), JSON.stringify({ kid: ours.kid, note: 'x' })))).toBe('accepted')
    expect(await codeOf(onCaller, craft(goodClaims(NOW), `{"kid":"${ours.kid}","kid":"${ours.kid}"}`))).toBe('TOKEN_MALFORMED')
    expect(await codeOf(onCaller, craft(goodClaims(NOW), ` ${kidFooter}`))).toBe('accepted')
  })

  it('do not make a token with another trusted key’s footer verify with ours', async () => {
    const other = generateSecretKey()
    const both = createTokenVerifier({ ...options, keys: createKeySet([ours.publicKey, other.publicKey]) })
    // Signed by us, but the footer names the other trusted key: its signature check must fail.
    const token = craft(goodClaims(NOW), JSON.stringify({ kid: other.kid }))
    expect(await codeOf(both, token)).toBe('TOKEN_BAD_SIGNATURE')
  })
})
