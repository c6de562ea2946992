import type { PublicKey } from './paserk.js'

/** The public keys a verifier trusts, found by `kid` (k4.pid). Immutable once built. */
export interface KeySet {
  get(kid: string): PublicKey | undefined
  readonly kids: readonly string[]
  readonly size: number
}

/** Builds a key set; the same key given twice is kept once. */
export function createKeySet(keys: readonly PublicKey[]): KeySet {
  if (!Array.isArray(keys)) throw new TypeError('"keys" must be an array of PublicKey')
  // A Map, not an object: a kid such as "__proto__" from a hostile footer must find nothing.
  const byKid = new Map<string, PublicKey>()
  for (const key of keys) {
    if (key === null || typeof key !== 'object' || typeof key.kid !== 'string' || key.keyObject === undefined) {
      throw new TypeError('"keys" must hold PublicKey values (see parsePublicKey)')
    }
    if (key.keyObject.type !== 'public' || key.keyObject.asymmetricKeyType !== 'ed25519') {
      throw new TypeError('"keys" must hold Ed25519 public keys')
    }
    byKid.set(key.kid, key)
  }
  const kids = Object.freeze([...byKid.keys()])
  return Object.freeze({
    get: (kid: string): PublicKey | undefined => byKid.get(kid),
    kids,
    size: kids.length,
  })
}
