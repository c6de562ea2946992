import { ClaimValidationError, InvalidTokenError } from 'paseto'
import {
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_DOWNLOAD_LIFETIME_SECONDS,
  MAX_REVOCATION_LIFETIME_SECONDS,
  parseDownloadClaims,
  parseRevocationClaims,
  type ClaimTimes,
  type DownloadClaims,
  type ParsedClaims,
  type RevocationClaims,
} from './claims.js'
import { createNodeV4PublicProtocol, NodeEd25519Key, type VerifyThread } from './crypto-factories.js'
import { TokenError } from './errors.js'
import type { KeySet } from './key-set.js'
import type { PublicKey } from './paserk.js'
import { addSeconds, compareInstants, instantOf } from './rfc3339.js'
import { DOWNLOAD_ASSERTION, REVOCATION_ASSERTION, jsonObjectOf, kidFooterText, splitToken } from './token-parts.js'

/** Longest download token read at all; longer is TOKEN_MALFORMED before any decoding. */
export const MAX_DOWNLOAD_TOKEN_LENGTH = 8 * 1024
/** Longest revocation token read (1000 jtis of 64 characters fit well below it). */
export const MAX_REVOCATION_TOKEN_LENGTH = 256 * 1024

export interface VerifyOptions {
  now?: Date
}

export interface VerifiedToken<C> {
  claims: C
  kid: string
}

export interface TokenVerifier {
  verifyDownload(token: string, options?: VerifyOptions): Promise<VerifiedToken<DownloadClaims>>
  verifyRevocation(token: string, options?: VerifyOptions): Promise<VerifiedToken<RevocationClaims>>
}

export interface TokenVerifierOptions {
  keys: KeySet
  issuer: string
  audience: string
  /** Seconds of clock skew allowed for `exp`, `nbf` and `iat`, 0 to 30. */
  clockToleranceSeconds: number
  /**
   * Where the Ed25519 check runs: on the caller's thread (default), or on libuv's thread pool,
   * which lets one event loop use a second core for signatures. Same result either way.
   */
  verifyOn?: VerifyThread
}

interface Kind<C> {
  assertion: Uint8Array
  maxLength: number
  maxLifetimeSeconds: number
  parse(payload: Record<string, unknown>): ParsedClaims<C>
}

const DOWNLOAD: Kind<DownloadClaims> = {
  assertion: DOWNLOAD_ASSERTION,
  maxLength: MAX_DOWNLOAD_TOKEN_LENGTH,
  maxLifetimeSeconds: MAX_DOWNLOAD_LIFETIME_SECONDS,
  parse: parseDownloadClaims,
}

const REVOCATION: Kind<RevocationClaims> = {
  assertion: REVOCATION_ASSERTION,
  maxLength: MAX_REVOCATION_TOKEN_LENGTH,
  maxLifetimeSeconds: MAX_REVOCATION_LIFETIME_SECONDS,
  parse: parseRevocationClaims,
}

function checkTimes(times: ClaimTimes, now: Date, toleranceSeconds: number, maxLifetimeSeconds: number): void {
  const current = instantOf(now)
  const late = addSeconds(current, -toleranceSeconds)
  const early = addSeconds(current, toleranceSeconds)
  if (compareInstants(late, times.exp) > 0) throw new TokenError('TOKEN_EXPIRED', 'token has expired')
  if (times.nbf !== undefined && compareInstants(early, times.nbf) < 0) throw new TokenError('TOKEN_NOT_YET_VALID', 'token is not valid yet')
  if (compareInstants(early, times.iat) < 0) throw new TokenError('TOKEN_LIFETIME_TOO_LONG', 'token is issued in the future')
  // The tolerance does not stretch the lifetime: it is a property of the token, not of clocks.
  if (compareInstants(times.exp, addSeconds(times.iat, maxLifetimeSeconds)) > 0) {
    throw new TokenError('TOKEN_LIFETIME_TOO_LONG', `token lifetime is over ${maxLifetimeSeconds} s`)
  }
}

/**
 * Verifies download and revocation tokens (CONTRACT §1, §4). Order, so that each refusal gets
 * the same code whatever else is wrong: structure, base64url and footer (400) → key by `kid`
 * (401) → signature (401) → strict payload and claim types (400) → iss, aud, times, lifetime (401).
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keys, issuer, audience, clockToleranceSeconds: tolerance } = options
  if (keys === null || typeof keys !== 'object' || typeof keys.get !== 'function') throw new TypeError('"keys" must be a KeySet (see createKeySet)')
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('"issuer" must be a non-empty string')
  if (typeof audience !== 'string' || audience === '') throw new TypeError('"audience" must be a non-empty string')
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new TypeError(`"clockToleranceSeconds" must be a number from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`)
  }
  if (options.verifyOn !== undefined && options.verifyOn !== 'caller' && options.verifyOn !== 'threadpool') {
    throw new TypeError('"verifyOn" must be "caller" or "threadpool"')
  }
  const protocol = createNodeV4PublicProtocol({ verifyOn: options.verifyOn })
  // The footer our signers write, per trusted key, read once here instead of once per token.
  const knownFooters = new Map(keys.kids.map((kid) => [kidFooterText(kid), Object.freeze({ kid })]))
  // One handle per key, made once: the KeyObject inside was imported when the key was parsed.
  const handles = new WeakMap<PublicKey, NodeEd25519Key>()
  const handleOf = (key: PublicKey): NodeEd25519Key => {
    let handle = handles.get(key)
    if (handle === undefined) {
      handle = new NodeEd25519Key(key.keyObject)
      handles.set(key, handle)
    }
    return handle
  }

  async function verifyToken<C>(token: string, kind: Kind<C>, verifyOptions: VerifyOptions): Promise<VerifiedToken<C>> {
    const now = verifyOptions.now ?? new Date()
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('"now" must be a valid Date')
    const { message, footer } = splitToken(token, kind.maxLength, { knownFooters })
    const kid = footer?.kid
    if (typeof kid !== 'string') throw new TokenError('KEY_UNKNOWN', footer === undefined ? 'token has no footer' : 'footer has no kid')
    const key = keys.get(kid)
    if (key === undefined) throw new TokenError('KEY_UNKNOWN', 'kid is not a trusted key')

    // The package checks the signature (through our node:crypto factory, which throws
    // TOKEN_BAD_SIGNATURE) and then its own claim rules, given the same inputs as ours. Its
    // verdict on claims is kept as a second line: our stricter checks below run first, so
    // that the code says what is wrong.
    let packageRefusal: ClaimValidationError | undefined
    try {
      await protocol.Verify(handleOf(key), token, {
        implicitAssertion: kind.assertion,
        now,
        clockTolerance: tolerance,
        issuer,
        audience,
      })
    } catch (error) {
      if (error instanceof ClaimValidationError) packageRefusal = error
      // Token framing or payload JSON, before or after the signature: malformed either way.
      else if (error instanceof InvalidTokenError) throw new TokenError('TOKEN_MALFORMED', 'refused by the paseto package', { cause: error })
      else throw error
    }

    const { claims, times } = kind.parse(jsonObjectOf(message, 'payload'))
    const common = claims as { iss: string; aud: string }
    if (common.iss !== issuer) throw new TokenError('TOKEN_WRONG_ISSUER', 'iss is not the accepted issuer')
    if (common.aud !== audience) throw new TokenError('TOKEN_WRONG_AUDIENCE', 'aud is not the accepted audience')
    checkTimes(times, now, tolerance, kind.maxLifetimeSeconds)
    if (packageRefusal !== undefined) throw new TokenError('CLAIM_INVALID', 'claims refused by the paseto package', { cause: packageRefusal })
    return { claims, kid }
  }

  return {
    verifyDownload: (token, verifyOptions = {}) => verifyToken(token, DOWNLOAD, verifyOptions),
    verifyRevocation: (token, verifyOptions = {}) => verifyToken(token, REVOCATION, verifyOptions),
  }
}
