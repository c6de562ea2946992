import { sign, verify, type KeyObject } from 'node:crypto'
import { PAE, PublicKeyID, PublicProtocol, PublicSign, PublicVerify, type Key, type PublicProtocolInstance } from 'paseto'
import { TokenError } from './errors.js'
import { keyIdOf } from './paserk.js'

// The paseto package does the token format (header, PAE inputs, base64url, footer, claims); these
// factories give it the one Ed25519 operation, done with synchronous node:crypto on a KeyObject
// imported once at start-up. Its built-in v4 goes through WebCrypto, which on our machines
// verifies about half as fast, and verification is the download server's main per-request cost.

const HEADER = new TextEncoder().encode('v4.public.')

/** A node:crypto Ed25519 KeyObject in the shape the paseto package passes to `run`. */
export class NodeEd25519Key implements Key {
  readonly algorithm = Object.freeze({ name: 'Ed25519' })
  readonly extractable = false
  readonly type: 'public' | 'secret'

  constructor(readonly keyObject: KeyObject) {
    if (keyObject.asymmetricKeyType !== 'ed25519') throw new TypeError('expected an Ed25519 KeyObject')
    this.type = keyObject.type === 'private' ? 'secret' : 'public'
    Object.freeze(this)
  }
}

function keyObjectOf(key: NodeEd25519Key, type: 'public' | 'secret'): KeyObject {
  if (!(key instanceof NodeEd25519Key) || key.type !== type) throw new TypeError(`expected a ${type} NodeEd25519Key`)
  return key.keyObject
}

export const NodeSignFactory = PublicSign({
  version: 4,
  run: async (key: NodeEd25519Key, message: Uint8Array, footer: Uint8Array, implicitAssertion: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(sign(null, PAE([HEADER, message, footer, implicitAssertion]), keyObjectOf(key, 'secret'))),
})

function signatureMismatch(): TokenError {
  return new TokenError('TOKEN_BAD_SIGNATURE', 'signature does not verify')
}

/**
 * Verifies with node:crypto on the calling thread. A mismatch throws
 * `TokenError('TOKEN_BAD_SIGNATURE')` instead of returning false: the package reports a false
 * result and its later claim checks with one error class, and our verifier must tell a bad
 * signature (401) from a bad payload (400).
 */
export const NodeVerifyFactory = PublicVerify({
  version: 4,
  run: async (key: NodeEd25519Key, message: Uint8Array, signature: Uint8Array, footer: Uint8Array, implicitAssertion: Uint8Array): Promise<boolean> => {
    if (!verify(null, PAE([HEADER, message, footer, implicitAssertion]), keyObjectOf(key, 'public'), signature)) throw signatureMismatch()
    return true
  },
})

/**
 * The same check on libuv's thread pool (crypto.verify with a callback), so that one event loop
 * can keep a second core busy with signatures while it parses, reads files and writes sockets.
 * Each check costs a thread hand-off (~10 µs here), so it pays only where the event loop, not
 * the CPU as a whole, is the limit.
 */
export const NodeThreadpoolVerifyFactory = PublicVerify({
  version: 4,
  run: (key: NodeEd25519Key, message: Uint8Array, signature: Uint8Array, footer: Uint8Array, implicitAssertion: Uint8Array): Promise<boolean> => {
    const data = PAE([HEADER, message, footer, implicitAssertion])
    const keyObject = keyObjectOf(key, 'public')
    return new Promise((resolve, reject) => {
      verify(null, data, keyObject, signature, (error, valid) => {
        if (error !== null) reject(error)
        else if (!valid) reject(signatureMismatch())
        else resolve(true)
      })
    })
  },
})

/** k4.pid through BLAKE2b from @noble/hashes (the package has no v4 key-id implementation). */
export const NodeKeyIDFactory = PublicKeyID({
  version: 4,
  run: async (paserk: `k4.public.${string}`): Promise<`k4.pid.${string}`> => keyIdOf(paserk) as `k4.pid.${string}`,
})

export type NodeV4PublicProtocol = PublicProtocolInstance<readonly [typeof NodeSignFactory, typeof NodeVerifyFactory, typeof NodeKeyIDFactory]>

/** Where a signature check runs: on the caller's thread, or on libuv's thread pool. */
export type VerifyThread = 'caller' | 'threadpool'

/** The v4.public protocol with our node:crypto capabilities: Sign, Verify, PublicKeyID. */
export function createNodeV4PublicProtocol(options: { verifyOn?: VerifyThread } = {}): NodeV4PublicProtocol {
  const verifyFactory = options.verifyOn === 'threadpool' ? NodeThreadpoolVerifyFactory : NodeVerifyFactory
  return new PublicProtocol(NodeSignFactory, verifyFactory, NodeKeyIDFactory)
}
