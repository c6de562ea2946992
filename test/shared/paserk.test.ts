import { describe, expect, it } from 'vitest'
import {
  KeyFormatError,
  createKeySet,
  generateSecretKey,
  keyIdOf,
  parsePublicKey,
  parsePublicKeyList,
  parseSecretKey,
} from '../../shared/src/index.js'

const a = generateSecretKey()
const b = generateSecretKey()

/** The error a parse throws, checked not to echo any part of the key after its prefix. */
function refusal(parse: () => unknown, secretPart: string): KeyFormatError {
  let caught: unknown
  try {
    parse()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(KeyFormatError)
  const error = caught as KeyFormatError
  expect(error.code).toBe('KEY_INVALID')
  for (let i = 0; i + 8 <= secretPart.length; i += 4) expect(error.message).not.toContain(secretPart.slice(i, i + 8))
  return error
}

describe('k4 PASERK parsing', () => {
  it('round-trips a generated key pair, with matching kids', () => {
    const parsed = parseSecretKey(a.paserk)
    expect(parsed.kid).toBe(a.kid)
    expect(parsed.publicKey.paserk).toBe(a.publicKey.paserk)
    expect(parsePublicKey(a.publicKey.paserk).kid).toBe(keyIdOf(a.publicKey.paserk))
    expect(a.kid).toMatch(/^k4\.pid\.[A-Za-z0-9_-]{44}$/)
    expect(a.keyObject.asymmetricKeyType).toBe('ed25519')
    expect(a.publicKey.keyObject.type).toBe('public')
  })

  it('refuses malformed public keys without echoing them', () => {
    const body = a.publicKey.paserk.slice('k4.public.'.length)
    for (const text of [
      `k4.public.${body}=`,
      `k4.public.${body.slice(0, -1)}`,
      `k4.public.${body}AA`,
      `k4.public.${body.replace(/^./, '+')}`,
      `k4.public.${body}.`,
      `K4.public.${body}`,
      ` k4.public.${body}`,
      `k3.public.${body}`,
      `k4.local.${body}`,
      body,
    ]) {
      refusal(() => parsePublicKey(text), body)
    }
  })

  it('refuses a public key whose last character has spare bits set', () => {
    const body = a.publicKey.paserk.slice('k4.public.'.length)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const spare = body.slice(0, -1) + alphabet[alphabet.indexOf(body.at(-1)!) | 1]
    if (spare !== body) refusal(() => parsePublicKey(`k4.public.${spare}`), body)
    const other = body.slice(0, -1) + alphabet[alphabet.indexOf(body.at(-1)!) | 2]
    if (other !== body) refusal(() => parsePublicKey(`k4.public.${other}`), body)
  })

  it('says a secret key was given where a public one belongs, without echoing it', () => {
    const error = refusal(() => parsePublicKey(a.paserk), a.paserk.slice('k4.secret.'.length))
    expect(error.message).toMatch(/k4\.secret/)
  })

  it('refuses a k4.secret whose public half belongs to another seed, without echoing it', () => {
    const seed = Buffer.from(a.paserk.slice('k4.secret.'.length), 'base64url').subarray(0, 32)
    const foreign = Buffer.from(b.publicKey.paserk.slice('k4.public.'.length), 'base64url')
    const mixed = Buffer.concat([seed, foreign]).toString('base64url')
    refusal(() => parseSecretKey(`k4.secret.${mixed}`), mixed)
  })

  it('refuses a k4.secret of the wrong length or encoding', () => {
    const body = a.paserk.slice('k4.secret.'.length)
    for (const text of [`k4.secret.${body.slice(0, 43)}`, `k4.secret.${body}==`, `k4.secret.${body}AAAA`, a.publicKey.paserk]) {
      refusal(() => parseSecretKey(text), body)
    }
  })
})

describe('parsePublicKeyList', () => {
  it('splits on commas and any white space, skips comment lines and collapses duplicates', () => {
    const text = `# rotation: a is current\n  ${a.publicKey.paserk},${b.publicKey.paserk}\n\t# ${'old'}\r\n${a.publicKey.paserk}   ${b.publicKey.paserk} ,\n`
    expect(parsePublicKeyList(text).map((key) => key.kid)).toEqual([a.kid, b.kid])
  })

  it('names a bad entry by position only', () => {
    const error = refusal(() => parsePublicKeyList(`${a.publicKey.paserk}, k4.public.notakey, ${b.publicKey.paserk}`), 'notakey')
    expect(error.message).toMatch(/^key 2 of 3 /)
    const secret = refusal(() => parsePublicKeyList(`${a.publicKey.paserk} ${b.paserk}`), b.paserk.slice('k4.secret.'.length))
    expect(secret.message).toMatch(/^key 2 of 2 .*k4\.secret/)
  })

  it('refuses a list with no key', () => {
    for (const text of ['', '  ,\n', '# only a comment\n']) refusal(() => parsePublicKeyList(text), '')
  })
})

describe('createKeySet', () => {
  it('finds keys by kid, and nothing for other strings', () => {
    const set = createKeySet([a.publicKey, b.publicKey, a.publicKey])
    expect(set.size).toBe(2)
    expect(set.kids).toEqual([a.kid, b.kid])
    expect(set.get(b.kid)).toBe(b.publicKey)
    for (const kid of ['__proto__', 'constructor', 'toString', a.publicKey.paserk, '']) expect(set.get(kid)).toBeUndefined()
  })

  it('refuses secret keys and non-keys (TypeError)', () => {
    expect(() => createKeySet([a as never])).toThrow(TypeError)
    expect(() => createKeySet([{ kid: 'x' } as never])).toThrow(TypeError)
  })
})
