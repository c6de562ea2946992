import { describe, expect, it } from 'vitest'
import {
  KeyFormatError,
  createNodeV4PublicProtocol,
  formatPublicKey,
  formatSecretKey,
  keyIdOf,
  parsePublicKey,
  parseSecretKey,
} from '../../shared/src/index.js'
import { loadVectors } from './vectors.js'

interface KeyVector {
  name: string
  'expect-fail': boolean
  key: string
  'public-key'?: string | null
  paserk: string | null
}

const rawPublicOf = (paserk: string): Buffer =>
  Buffer.from(parsePublicKey(paserk).keyObject.export({ format: 'jwk' }).x!, 'base64url')

describe('official PASERK k4.public vectors', () => {
  for (const vector of loadVectors<KeyVector>('paserk-k4.public.json').tests) {
    if (vector['expect-fail']) {
      it(`${vector.name}: the key cannot be serialized or parsed as k4.public`, () => {
        const raw = Buffer.from(vector.key, 'hex')
        expect(() => formatPublicKey(raw)).toThrow(KeyFormatError)
        expect(() => parsePublicKey('k4.public.' + raw.toString('base64url'))).toThrow(KeyFormatError)
      })
    } else {
      it(`${vector.name}: formats to the PASERK and parses back to the key`, () => {
        expect(formatPublicKey(Buffer.from(vector.key, 'hex'))).toBe(vector.paserk)
        expect(rawPublicOf(vector.paserk!).toString('hex')).toBe(vector.key)
      })
    }
  }
})

describe('official PASERK k4.secret vectors', () => {
  for (const vector of loadVectors<KeyVector>('paserk-k4.secret.json').tests) {
    if (vector['expect-fail']) {
      it(`${vector.name}: the key cannot be serialized or parsed as k4.secret`, () => {
        const raw = Buffer.from(vector.key, 'hex')
        expect(() => formatSecretKey(raw)).toThrow(KeyFormatError)
        expect(() => parseSecretKey('k4.secret.' + raw.toString('base64url'))).toThrow(KeyFormatError)
      })
    } else {
      it(`${vector.name}: formats to the PASERK and parses back to its seed and public key`, () => {
        expect(formatSecretKey(Buffer.from(vector.key, 'hex'))).toBe(vector.paserk)
        const key = parseSecretKey(vector.paserk!)
        const jwk = key.keyObject.export({ format: 'jwk' })
        expect(Buffer.from(jwk.d!, 'base64url').toString('hex') + Buffer.from(jwk.x!, 'base64url').toString('hex')).toBe(vector.key)
        expect(rawPublicOf(key.publicKey.paserk).toString('hex')).toBe(vector['public-key'])
      })
    }
  }
})

describe('official PASERK k4.pid vectors', () => {
  const protocol = createNodeV4PublicProtocol()
  for (const vector of loadVectors<KeyVector>('paserk-k4.pid.json').tests) {
    const raw = Buffer.from(vector.key, 'hex')
    if (vector['expect-fail']) {
      it(`${vector.name}: no key id is derived`, async () => {
        const unchecked = `k4.public.${raw.toString('base64url')}` as const
        expect(() => keyIdOf(unchecked)).toThrow(KeyFormatError)
        await expect(protocol.PublicKeyID(unchecked)).rejects.toThrow(KeyFormatError)
      })
    } else {
      it(`${vector.name}: keyIdOf, the PublicKeyID capability and parsePublicKey give the vector's id`, async () => {
        const paserk = formatPublicKey(raw)
        expect(keyIdOf(paserk)).toBe(vector.paserk)
        expect(await protocol.PublicKeyID(paserk as `k4.public.${string}`)).toBe(vector.paserk)
        expect(parsePublicKey(paserk).kid).toBe(vector.paserk)
      })
    }
  }
})
