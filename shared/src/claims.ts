import { randomBytes } from 'node:crypto'
import { TokenError } from './errors.js'
import { compareInstants, parseRFC3339, type Instant } from './rfc3339.js'

export const MAX_DOWNLOAD_LIFETIME_SECONDS = 300
export const MAX_REVOCATION_LIFETIME_SECONDS = 60
export const MAX_CLOCK_TOLERANCE_SECONDS = 30
/** A revocation token lists 1 to this many `jti`s (CONTRACT §4). */
export const MAX_REVOKED_PER_TOKEN = 1000

/** The registered claims every token of ours carries (CONTRACT §1, §4). */
export interface RegisteredClaims {
  iss: string
  aud: string
  jti: string
  iat: Date
  exp: Date
  nbf?: Date
}

/** The claims of a download token (CONTRACT §1), typed and checked. */
export interface DownloadClaims extends RegisteredClaims {
  file: string
  name?: string
  size?: number
}

/** The claims of a revocation token (CONTRACT §4). */
export interface RevocationClaims extends RegisteredClaims {
  revoke: string[]
}

/** The time claims as exact instants, for the lifetime rules (Dates are cut at the millisecond). */
export interface ClaimTimes {
  iat: Instant
  exp: Instant
  nbf?: Instant
}

export interface ParsedClaims<C> {
  claims: C
  times: ClaimTimes
}

const JTI = /^[A-Za-z0-9_-]{22,64}$/
// In `u` mode a surrogate pair is one code point, so only a lone surrogate (half of a pair, which
// JSON's \ud800 escapes can carry) is in category Cs. Such a string is not text: it has no UTF-8
// form, and a file name or Content-Disposition built from it throws.
const LONE_SURROGATE = /\p{Cs}/u

/** A fresh token id: 128 random bits, base64url (22 characters). */
export function newJti(): string {
  return randomBytes(16).toString('base64url')
}

/** A `jti` as the contract allows it: base64url alphabet, 22 to 64 characters. */
export function isValidJti(value: unknown): value is string {
  return typeof value === 'string' && JTI.test(value)
}

/**
 * A `file` claim as the contract allows it: relative, `/`-separated, not empty, no empty or `..`
 * segment (so no leading `/`), no NUL, backslash or lone surrogate. Symlinks are the download
 * server's business.
 */
export function isValidFileClaim(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false
  if (value.includes('\0') || value.includes('\\') || LONE_SURROGATE.test(value)) return false
  return value.split('/').every((segment) => segment !== '' && segment !== '..')
}

function invalid(claim: string, rule: string): TokenError {
  return new TokenError('CLAIM_INVALID', `claim "${claim}" ${rule}`)
}

function requiredString(payload: Record<string, unknown>, claim: string): string {
  const value = payload[claim]
  if (typeof value !== 'string') throw invalid(claim, 'must be a string')
  return value
}

function time(payload: Record<string, unknown>, claim: string): Instant | undefined {
  const value = payload[claim]
  if (value === undefined) return undefined
  const parsed = typeof value === 'string' ? parseRFC3339(value) : undefined
  if (parsed === undefined) throw invalid(claim, 'must be an RFC 3339 date-time')
  return parsed
}

function requiredTime(payload: Record<string, unknown>, claim: string): Instant {
  const value = time(payload, claim)
  if (value === undefined) throw invalid(claim, 'is required')
  return value
}

function parseCommon(payload: Record<string, unknown>): ParsedClaims<RegisteredClaims> {
  const iss = requiredString(payload, 'iss')
  const aud = requiredString(payload, 'aud')
  const jti = payload.jti
  if (!isValidJti(jti)) throw invalid('jti', 'must be 22 to 64 base64url characters')
  const iat = requiredTime(payload, 'iat')
  const exp = requiredTime(payload, 'exp')
  const nbf = time(payload, 'nbf')
  if (compareInstants(exp, iat) < 0) throw invalid('exp', 'is before "iat"')
  const claims: RegisteredClaims = { iss, aud, jti, iat: iat.date, exp: exp.date }
  if (nbf !== undefined) claims.nbf = nbf.date
  return { claims, times: nbf === undefined ? { iat, exp } : { iat, exp, nbf } }
}

/** Types and values of a download token's claims; other claims are ignored. Throws CLAIM_INVALID. */
export function parseDownloadClaims(payload: Record<string, unknown>): ParsedClaims<DownloadClaims> {
  const { claims: common, times } = parseCommon(payload)
  const file = payload.file
  if (!isValidFileClaim(file)) throw invalid('file', 'must be a relative /-separated path without .. segments')
  const claims: DownloadClaims = { ...common, file }
  if (payload.name !== undefined) {
    if (typeof payload.name !== 'string' || LONE_SURROGATE.test(payload.name)) throw invalid('name', 'must be a string of Unicode text')
    claims.name = payload.name
  }
  if (payload.size !== undefined) {
    const size = payload.size
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid('size', 'must be a non-negative safe integer')
    }
    claims.size = size
  }
  return { claims, times }
}

/** Types and values of a revocation token's claims; other claims are ignored. Throws CLAIM_INVALID. */
export function parseRevocationClaims(payload: Record<string, unknown>): ParsedClaims<RevocationClaims> {
  const { claims: common, times } = parseCommon(payload)
  const revoke = payload.revoke
  if (
    !Array.isArray(revoke) ||
    revoke.length < 1 ||
    revoke.length > MAX_REVOKED_PER_TOKEN ||
    !revoke.every((jti) => isValidJti(jti))
  ) {
    throw invalid('revoke', `must be an array of 1 to ${MAX_REVOKED_PER_TOKEN} valid jti strings`)
  }
  return { claims: { ...common, revoke: [...(revoke as string[])] }, times }
}
