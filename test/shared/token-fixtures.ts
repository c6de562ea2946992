import {
  createKeySet,
  createTokenSigner,
  createTokenVerifier,
  type SecretKey,
  type TokenErrorCode,
  type TokenSigner,
  type TokenVerifier,
  type TokenVerifierOptions,
} from '../../shared/src/index.js'

// The issuer and audience the token tests sign for, and the signer and verifier they share.
export const ISSUER = 'https://app.example'
export const AUDIENCE = 'https://dl.example'

export interface TokenPair {
  signer: TokenSigner
  verifier: TokenVerifier
  /** The verifier's options, for a variant of it (another key set, another thread). */
  verifierOptions: TokenVerifierOptions
}

/**
 * A signer with `key` and a verifier trusting only its public key. The verifier allows no clock
 * skew, so that each time rule is tested at its exact boundary.
 */
export function tokenPair(key: SecretKey): TokenPair {
  const verifierOptions = { keys: createKeySet([key.publicKey]), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 }
  return {
    signer: createTokenSigner({ key, issuer: ISSUER, audience: AUDIENCE }),
    verifier: createTokenVerifier(verifierOptions),
    verifierOptions,
  }
}

/**
 * 'accepted', or the stable code a verification failed with (tests assert on codes, not
 * messages). An error without a code is a bug, not a verdict: it is thrown on.
 */
export async function codeOf(promise: Promise<unknown>): Promise<TokenErrorCode | 'accepted'> {
  try {
    await promise
    return 'accepted'
  } catch (error) {
    const code = (error as { code?: TokenErrorCode }).code
    if (code === undefined) throw error
    return code
  }
}
