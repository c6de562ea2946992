import { createPrivateKey, createPublicKey, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto'
import { blake2b } from '@noble/hashes/blake2.js'
import { decodeBase64url, encodeBase64url } from './base64url.js'
import { KeyFormatError } from './errors.js'

// PASERK (https://github.com/paseto-standard/paserk) k4.public, k4.secret and k4.pid. Every
// error message here ends up in a start-up error line: it names what is wrong and never
// repeats the key or any part of it after the type prefix.

const PUBLIC_PREFIX = 'k4.public.'
const SECRET_PREFIX = 'k4.secret.'
const PID_PREFIX = 'k4.pid.'
const PUBLIC_BYTES = 32
const SECRET_BYTES = 64
const PID_HASH_BYTES = 33
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): Node imports seeds only in a container.
const PKCS8_ED25519_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

export interface PublicKey {
  /** `k4.public.…` */
  paserk: string
  /** `k4.pid.…` of `paserk`: the `kid` a token's footer names. */
  kid: string
  /** Ed25519 public KeyObject, imported once. */
  keyObject: KeyObject
}

export interface SecretKey {
  /** `k4.secret.…`: secret; never log it. */
  paserk: string
  /** The `k4.pid` of its public key. */
  kid: string
  /** Ed25519 private KeyObject, imported once. */
  keyObject: KeyObject
  publicKey: PublicKey
}

function describe(text: unknown, expected: string): string {
  if (typeof text !== 'string') return `must be a ${expected} PASERK string`
  if (expected === 'k4.public' && text.startsWith(SECRET_PREFIX)) {
    return 'is a k4.secret (a SECRET key, keep it off this server), expected a k4.public key'
  }
  const type = /^k[1-4]\.[a-z-]+\./.exec(text)?.[0]
  if (type !== undefined) return `is a ${type.slice(0, -1)} PASERK, expected ${expected}`
  return `is not a ${expected} PASERK (it must start with "${expected}.")`
}

function payloadOf(text: unknown, prefix: string, bytes: number): Buffer {
  const expected = prefix.slice(0, -1)
  if (typeof text !== 'string' || !text.startsWith(prefix)) throw new KeyFormatError(describe(text, expected))
  const decoded = decodeBase64url(text.slice(prefix.length))
  if (decoded === undefined) throw new KeyFormatError(`is not a valid ${expected} PASERK (its key part is not canonical base64url)`)
  if (decoded.length !== bytes) {
    throw new KeyFormatError(`is not a valid ${expected} PASERK (its key is ${decoded.length} bytes, expected ${bytes})`)
  }
  return decoded
}

/** `k4.pid` of a public key (PASERK: BLAKE2b-264 over the header and the k4.public string). */
export function keyIdOf(paserkPublic: string): string {
  payloadOf(paserkPublic, PUBLIC_PREFIX, PUBLIC_BYTES)
  const digest = blake2b(new TextEncoder().encode(PID_PREFIX + paserkPublic), { dkLen: PID_HASH_BYTES })
  return PID_PREFIX + encodeBase64url(digest)
}

/** `k4.public.…` of 32 raw Ed25519 public key bytes. */
export function formatPublicKey(raw: Uint8Array): string {
  if (raw.byteLength !== PUBLIC_BYTES) throw new KeyFormatError(`a k4.public key is ${PUBLIC_BYTES} bytes, got ${raw.byteLength}`)
  return PUBLIC_PREFIX + encodeBase64url(raw)
}

/** `k4.secret.…` of 64 raw bytes (seed, then public key); the halves must belong together. */
export function formatSecretKey(raw: Uint8Array): string {
  if (raw.byteLength !== SECRET_BYTES) throw new KeyFormatError(`a k4.secret key is ${SECRET_BYTES} bytes, got ${raw.byteLength}`)
  const paserk = SECRET_PREFIX + encodeBase64url(raw)
  parseSecretKey(paserk)
  return paserk
}

function publicKeyFromRaw(raw: Buffer): PublicKey {
  const paserk = formatPublicKey(raw)
  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(raw) }, format: 'jwk' })
  } catch {
    throw new KeyFormatError('is not a usable Ed25519 public key')
  }
  return { paserk, kid: keyIdOf(paserk), keyObject }
}

/** Parses a `k4.public` PASERK strictly (prefix, canonical base64url, 32 bytes). */
export function parsePublicKey(paserk: string): PublicKey {
  return publicKeyFromRaw(payloadOf(paserk, PUBLIC_PREFIX, PUBLIC_BYTES))
}

function rawPublicOf(keyObject: KeyObject): Buffer {
  const x = keyObject.export({ format: 'jwk' }).x
  if (typeof x !== 'string') throw new KeyFormatError('is not a usable Ed25519 key')
  return Buffer.from(x, 'base64url')
}

/** Parses a `k4.secret` PASERK strictly, and checks that its public half belongs to its seed. */
export function parseSecretKey(paserk: string): SecretKey {
  const raw = payloadOf(paserk, SECRET_PREFIX, SECRET_BYTES)
  let keyObject: KeyObject
  try {
    keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_SEED_PREFIX, raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
  } catch {
    throw new KeyFormatError('is not a usable Ed25519 secret key')
  }
  const derived = rawPublicOf(createPublicKey(keyObject))
  if (!timingSafeEqual(derived, raw.subarray(32))) {
    throw new KeyFormatError('is not a valid k4.secret PASERK (its public half does not belong to its secret seed)')
  }
  const publicKey = publicKeyFromRaw(derived)
  return { paserk, kid: publicKey.kid, keyObject, publicKey }
}

/** A new random Ed25519 key pair as PASERK. */
export function generateSecretKey(): SecretKey {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') throw new Error('Ed25519 key export failed')
  return parseSecretKey(SECRET_PREFIX + encodeBase64url(Buffer.concat([Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.x, 'base64url')])))
}

/**
 * Public keys from a setting or a file: separated by commas and/or any white space; lines whose
 * first non-blank character is `#` are comments. Duplicates are collapsed. A bad entry is named
 * by its position ("key 2 of 3"), never by its text.
 */
export function parsePublicKeyList(text: string): PublicKey[] {
  const entries = text
    .split(/\r?\n|\r/)
    .filter((line) => !line.trimStart().startsWith('#'))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((entry) => entry !== '')
  if (entries.length === 0) throw new KeyFormatError('holds no k4.public key')
  const byPaserk = new Map<string, PublicKey>()
  entries.forEach((entry, index) => {
    if (byPaserk.has(entry)) return
    try {
      byPaserk.set(entry, parsePublicKey(entry))
    } catch (error) {
      if (!(error instanceof KeyFormatError)) throw error
      throw new KeyFormatError(`key ${index + 1} of ${entries.length} ${error.message}`)
    }
  })
  return [...byPaserk.values()]
}
