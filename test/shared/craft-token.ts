import { sign, type KeyObject } from 'node:crypto'
import { AUDIENCE, ISSUER } from './token-fixtures.js'

// Builds v4.public tokens by hand (PAE + Ed25519 from node:crypto, independent of the paseto
// package), so that tests can sign what no well-behaved signer would: duplicate keys, wrong
// types, long lifetimes, odd footers.

function le64(n: number): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64LE(BigInt(n))
  return out
}

function pae(pieces: readonly Uint8Array[]): Buffer {
  return Buffer.concat([le64(pieces.length), ...pieces.flatMap((p) => [le64(p.byteLength), Buffer.from(p)])])
}

export interface CraftOptions {
  /** Exact payload text (JSON or not). */
  payload: string | Uint8Array
  /** Exact footer text; omitted = no footer. */
  footer?: string | Uint8Array
  implicitAssertion?: string
  key: KeyObject
}

const bytes = (value: string | Uint8Array): Buffer => (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value))

export function craftToken(options: CraftOptions): string {
  const header = Buffer.from('v4.public.')
  const message = bytes(options.payload)
  const footer = options.footer === undefined ? Buffer.alloc(0) : bytes(options.footer)
  const signature = sign(null, pae([header, message, footer, Buffer.from(options.implicitAssertion ?? '')]), options.key)
  const body = header.toString() + Buffer.concat([message, signature]).toString('base64url')
  return footer.length === 0 ? body : `${body}.${footer.toString('base64url')}`
}

/** A download claims object that passes every rule at `now` (iat = now, exp = now + 300 s). */
export function goodClaims(now: Date, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = new Date(Math.floor(now.getTime() / 1000) * 1000)
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    jti: 'AAAAAAAAAAAAAAAAAAAAAA',
    iat: iat.toISOString(),
    exp: new Date(iat.getTime() + 300_000).toISOString(),
    file: 'docs/report.pdf',
    ...overrides,
  }
}

/** Flips one bit of the decoded payload (or footer) and re-encodes canonically. */
export function flipBit(token: string, part: 'payload' | 'footer', byteFromEnd: number): string {
  const pieces = token.split('.')
  const index = part === 'payload' ? 2 : 3
  const decoded = Buffer.from(pieces[index]!, 'base64url')
  decoded[decoded.length - 1 - byteFromEnd]! ^= 0x01
  pieces[index] = decoded.toString('base64url')
  return pieces.join('.')
}
