import { createPrivateKey, createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  NodeEd25519Key,
  createKeySet,
  createNodeV4PublicProtocol,
  createTokenVerifier,
  parsePublicKey,
  formatPublicKey,
} from '../../shared/src/index.js'
import { loadVectors } from './vectors.js'

// Official v4 vectors at the PASETO layer: the paseto package with our node:crypto factories.
// Their claims are not download claims (no jti, file; exp in 2022), so they are checked here for
// signature, payload and footer, not through the download-claims verifier.

interface V4Vector {
  name: string
  'expect-fail': boolean
  'public-key'?: string
  'secret-key-seed'?: string
  token: string
  payload: string | null
  footer: string
  'implicit-assertion': string
}

const vectors = loadVectors<V4Vector>('paseto-v4.json')
const BEFORE_2022 = new Date('2021-06-01T00:00:00Z')
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const protocol = createNodeV4PublicProtocol()
const PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

// Every v4.public vector (success and expect-fail) carries the same key pair.
const publicHex = vectors.tests.find((t) => t['public-key'] !== undefined)!['public-key']!
const seedHex = vectors.tests.find((t) => t['secret-key-seed'] !== undefined)!['secret-key-seed']!
const publicKeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicHex, 'hex').toString('base64url') }, format: 'jwk' })
const secretKeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' })
const verifyKey = new NodeEd25519Key(publicKeyObject)
const signKey = new NodeEd25519Key(secretKeyObject)

describe('official PASETO v4 vectors', () => {
  it('holds the expected numbers of vectors (9 v4.local, 3 v4.public, 5 expect-fail)', () => {
    expect(vectors.tests.filter((t) => t.token.startsWith('v4.local.') && !t['expect-fail'])).toHaveLength(9)
    expect(vectors.tests.filter((t) => t.token.startsWith('v4.public.') && !t['expect-fail'])).toHaveLength(3)
    expect(vectors.tests.filter((t) => t['expect-fail'])).toHaveLength(5)
  })

  for (const vector of vectors.tests.filter((t) => t.token.startsWith('v4.public.') && !t['expect-fail'])) {
    it(`${vector.name}: verifies and decodes to its payload and footer`, async () => {
      const result = await protocol.Verify(verifyKey, vector.token, {
        now: BEFORE_2022,
        implicitAssertion: encoder.encode(vector['implicit-assertion']),
      })
      expect(result.claims).toEqual(JSON.parse(vector.payload!))
      expect(decoder.decode(result.footer)).toBe(vector.footer)
    })

    it(`${vector.name}: signing its payload gives the very same token (Ed25519 is deterministic)`, async () => {
      const token = await protocol.Sign(signKey, JSON.parse(vector.payload!) as Record<string, string>, {
        addIssuedAt: false,
        footer: encoder.encode(vector.footer),
        implicitAssertion: encoder.encode(vector['implicit-assertion']),
      })
      expect(token).toBe(vector.token)
    })

    it(`${vector.name}: is refused with a different implicit assertion`, async () => {
      await expect(
        protocol.Verify(verifyKey, vector.token, { now: BEFORE_2022, implicitAssertion: encoder.encode('revoke') }),
      ).rejects.toMatchObject({ code: 'TOKEN_BAD_SIGNATURE' })
    })
  }

  for (const vector of vectors.tests.filter((t) => t['expect-fail'])) {
    it(`${vector.name} (expect-fail): is refused by the v4.public verifier`, async () => {
      await expect(
        protocol.Verify(verifyKey, vector.token, {
          now: BEFORE_2022,
          implicitAssertion: encoder.encode(vector['implicit-assertion']),
        }),
      ).rejects.toThrow()
    })
  }

  for (const vector of vectors.tests.filter((t) => t.token.startsWith('v4.local.') && !t['expect-fail'])) {
    it(`${vector.name} (v4.local): is refused by the v4.public verifier`, async () => {
      await expect(protocol.Verify(verifyKey, vector.token, { now: BEFORE_2022 })).rejects.toThrow()
    })
  }

  describe('through the download-token verifier', () => {
    const verifier = createTokenVerifier({
      keys: createKeySet([parsePublicKey(formatPublicKey(Buffer.from(publicHex, 'hex')))]),
      issuer: 'app',
      audience: 'dl',
      clockToleranceSeconds: 0,
    })

    for (const vector of vectors.tests.filter((t) => !t.token.startsWith('v4.public.'))) {
      it(`${vector.name}: a ${vector.token.split('.').slice(0, 2).join('.')} token is TOKEN_MALFORMED`, async () => {
        await expect(verifier.verifyDownload(vector.token, { now: BEFORE_2022 })).rejects.toMatchObject({ code: 'TOKEN_MALFORMED' })
      })
    }

    for (const vector of vectors.tests.filter((t) => t.token.startsWith('v4.public.'))) {
      it(`${vector.name}: a v4.public token without a k4.pid kid of ours is refused`, async () => {
        await expect(verifier.verifyDownload(vector.token, { now: BEFORE_2022 })).rejects.toMatchObject({ code: 'KEY_UNKNOWN' })
      })
    }
  })
})
