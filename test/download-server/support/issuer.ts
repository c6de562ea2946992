import { sign } from 'node:crypto'
import { PAE } from 'paseto'
import {
  createTokenSigner,
  generateSecretKey,
  type SecretKey,
  type TokenSigner,
} from '../../../shared/src/index.js'

export const ISSUER = 'https://app.test.example'
export const AUDIENCE = 'https://dl.test.example'

export interface TestIssuer {
  key: SecretKey
  signer: TokenSigner
  /** A download token for `file` from the shared signer (the well-behaved issuer). */
  token(input: { file: string; name?: string; size?: number }, options?: { now?: Date }): Promise<string>
}

export function createIssuer(): TestIssuer {
  const key = generateSecretKey()
  const signer = createTokenSigner({ key, issuer: ISSUER, audience: AUDIENCE })
  return {
    key,
    signer,
    token: async (input, options) => (await signer.signDownload(input, options)).token,
  }
}

export interface RawTokenInput {
  /** The exact payload text (so that duplicate keys or odd types can be signed). */
  payload: string
  /** The exact footer text; `null` for none. Defaults to `{"kid":"<the key's kid>"}`. */
  footer?: string | null
  implicitAssertion?: string
}

/**
 * Signs a v4.public token by hand (PAE + Ed25519), for hostile tokens the shared signer refuses
 * to make: duplicated keys, long lifetimes, foreign claims.
 */
export function signRaw(key: SecretKey, input: RawTokenInput): string {
  const header = 'v4.public.'
  const encoder = new TextEncoder()
  const message = encoder.encode(input.payload)
  const footer = input.footer === null ? new Uint8Array(0) : encoder.encode(input.footer ?? JSON.stringify({ kid: key.kid }))
  const signature = sign(null, PAE([encoder.encode(header), message, footer, encoder.encode(input.implicitAssertion ?? '')]), key.keyObject)
  const body = Buffer.concat([message, signature]).toString('base64url')
  return footer.length === 0 ? header + body : `${header}${body}.${Buffer.from(footer).toString('base64url')}`
}

/** Claims as JSON text, with whole-second RFC 3339 times; `over` replaces or adds claims. */
export function claimsJSON(over: Record<string, unknown> = {}, now = new Date()): string {
  const seconds = (offset: number): string => new Date(Math.floor(now.getTime() / 1000) * 1000 + offset * 1000).toISOString().replace('.000Z', 'Z')
  return JSON.stringify({
    iss: ISSUER,
    aud: AUDIENCE,
    jti: `hostile-${Math.random().toString(36).slice(2)}-jti-0000`.slice(0, 30),
    iat: seconds(0),
    exp: seconds(300),
    file: 'report.bin',
    ...over,
  })
}
