import {
  MAX_DOWNLOAD_LIFETIME_SECONDS,
  MAX_REVOCATION_LIFETIME_SECONDS,
  MAX_REVOKED_PER_TOKEN,
  isValidFileClaim,
  isValidJti,
  newJti,
} from './claims.js'
import { createNodeV4PublicProtocol, NodeEd25519Key } from './crypto-factories.js'
import type { SecretKey } from './paserk.js'
import { formatRFC3339Seconds } from './rfc3339.js'
import { DOWNLOAD_ASSERTION, REVOCATION_ASSERTION, kidFooter } from './token-parts.js'

export interface SignedDownload {
  token: string
  jti: string
  issuedAt: Date
  expiresAt: Date
}

export interface SignedRevocation {
  token: string
  jti: string
  expiresAt: Date
}

export interface TokenSigner {
  signDownload(input: { file: string; name?: string; size?: number }, options?: { now?: Date }): Promise<SignedDownload>
  signRevocation(input: { revoke: string[] }, options?: { now?: Date }): Promise<SignedRevocation>
}

export interface TokenSignerOptions {
  key: SecretKey
  issuer: string
  audience: string
  /** Seconds from `iat` to `exp` of a download token: 1 to 300, default 300. */
  lifetimeSeconds?: number
  /** Seconds from `iat` to `exp` of a revocation token: 1 to 60, default 60. */
  revocationLifetimeSeconds?: number
}

function wholeSeconds(value: number | undefined, name: string, max: number): number {
  if (value === undefined) return max
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new TypeError(`"${name}" must be a whole number from 1 to ${max}`)
  return value
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`"${name}" must be a non-empty string`)
  return value
}

function issueTimes(now: Date | undefined, lifetimeSeconds: number): { iat: Date; exp: Date } {
  const instant = now ?? new Date()
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) throw new TypeError('"now" must be a valid Date')
  // Whole seconds, so that `exp - iat` is exactly the lifetime and the text is the common form.
  const iat = new Date(Math.floor(instant.getTime() / 1000) * 1000)
  return { iat, exp: new Date(iat.getTime() + lifetimeSeconds * 1000) }
}

/**
 * Signs download and revocation tokens (CONTRACT §1, §4) through the paseto package: v4.public,
 * footer exactly `{"kid":"k4.pid.…"}`, implicit assertion empty for downloads and `revoke` for
 * revocations. A bad input is the caller's mistake: TypeError.
 */
export function createTokenSigner(options: TokenSignerOptions): TokenSigner {
  const { key } = options
  if (key === null || typeof key !== 'object' || key.keyObject?.type !== 'private') {
    throw new TypeError('"key" must be a SecretKey (see parseSecretKey)')
  }
  const issuer = nonEmpty(options.issuer, 'issuer')
  const audience = nonEmpty(options.audience, 'audience')
  const lifetime = wholeSeconds(options.lifetimeSeconds, 'lifetimeSeconds', MAX_DOWNLOAD_LIFETIME_SECONDS)
  const revocationLifetime = wholeSeconds(options.revocationLifetimeSeconds, 'revocationLifetimeSeconds', MAX_REVOCATION_LIFETIME_SECONDS)
  const protocol = createNodeV4PublicProtocol()
  const handle = new NodeEd25519Key(key.keyObject)
  const footer = kidFooter(key.kid)

  return {
    async signDownload(input, signOptions = {}): Promise<SignedDownload> {
      if (!isValidFileClaim(input.file)) throw new TypeError('"file" must be a relative /-separated path without empty or .. segments, NUL or backslash')
      if (input.name !== undefined && typeof input.name !== 'string') throw new TypeError('"name" must be a string')
      if (input.size !== undefined && (!Number.isSafeInteger(input.size) || input.size < 0)) throw new TypeError('"size" must be a non-negative safe integer')
      const { iat, exp } = issueTimes(signOptions.now, lifetime)
      const jti = newJti()
      const claims = {
        iss: issuer,
        aud: audience,
        jti,
        iat: formatRFC3339Seconds(iat),
        exp: formatRFC3339Seconds(exp),
        file: input.file,
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.size === undefined ? {} : { size: input.size }),
      }
      const token = await protocol.Sign(handle, claims, { footer, now: iat, implicitAssertion: DOWNLOAD_ASSERTION })
      return { token, jti, issuedAt: iat, expiresAt: exp }
    },

    async signRevocation(input, signOptions = {}): Promise<SignedRevocation> {
      const { revoke } = input
      if (!Array.isArray(revoke) || revoke.length < 1 || revoke.length > MAX_REVOKED_PER_TOKEN || !revoke.every((jti) => isValidJti(jti))) {
        throw new TypeError(`"revoke" must be an array of 1 to ${MAX_REVOKED_PER_TOKEN} valid jti strings`)
      }
      const { iat, exp } = issueTimes(signOptions.now, revocationLifetime)
      const jti = newJti()
      const claims = { iss: issuer, aud: audience, jti, iat: formatRFC3339Seconds(iat), exp: formatRFC3339Seconds(exp), revoke: [...revoke] }
      const token = await protocol.Sign(handle, claims, { footer, now: iat, implicitAssertion: REVOCATION_ASSERTION })
      return { token, jti, expiresAt: exp }
    },
  }
}
