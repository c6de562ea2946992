import { isValidJti } from './claims.js'
import { jsonObjectOf, splitToken } from './token-parts.js'
import { MAX_REVOCATION_TOKEN_LENGTH } from './verify.js'

/**
 * The `jti` of a token WITHOUT verifying it, when the token is well-formed and its `jti` is
 * valid; otherwise undefined. Only for naming a refused token in a log line: never trust it.
 */
export function peekJti(token: string): string | undefined {
  try {
    const jti = jsonObjectOf(splitToken(token, MAX_REVOCATION_TOKEN_LENGTH).message, 'payload').jti
    return isValidJti(jti) ? jti : undefined
  } catch {
    return undefined
  }
}
