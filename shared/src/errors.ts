/** Codes a token check can end in: the caller's HTTP edge maps each through `PROBLEMS`. */
export type TokenErrorCode =
  // 400: the token is not something we could even read as ours
  | 'TOKEN_MALFORMED'
  | 'CLAIM_INVALID'
  // 401: readable, but not a token we accept
  | 'KEY_UNKNOWN'
  | 'TOKEN_BAD_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_WRONG_ISSUER'
  | 'TOKEN_WRONG_AUDIENCE'
  | 'TOKEN_LIFETIME_TOO_LONG'

/** Outcomes only the download server reaches; listed here so that one table covers every code. */
export type DownloadErrorCode =
  | 'TOKEN_USED'
  | 'TOKEN_REVOKED'
  | 'TOKEN_IN_USE'
  | 'RESUME_LIMIT'
  | 'FILE_CHANGED'
  | 'PATH_FORBIDDEN'
  | 'FILE_NOT_FOUND'
  | 'RANGE_NOT_SATISFIABLE'
  | 'PREFETCH_REFUSED'
  | 'STORE_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'

export type ContractErrorCode = TokenErrorCode | DownloadErrorCode

/** Base class of every refusal the contract names; `code` is stable, the message is for logs. */
export class ContractError extends Error {
  readonly code: ContractErrorCode

  constructor(code: ContractErrorCode, message?: string, options?: ErrorOptions) {
    // A refusal is an expected answer, mapped to a status and counted, never debugged from its
    // stack; capturing one was 3 % of a refused download's CPU. A `cause` keeps its own stack.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message ?? code, options)
    Error.stackTraceLimit = stackTraceLimit
    this.name = new.target.name
    this.code = code
  }
}

/** Thrown by token parsing and verification; never carries the token itself. */
export class TokenError extends ContractError {
  declare readonly code: TokenErrorCode

  constructor(code: TokenErrorCode, message?: string, options?: ErrorOptions) {
    super(code, message, options)
  }
}

/**
 * A PASERK that cannot be used as a key. Raised at start-up, not per request, so it is not a
 * contract code with an HTTP status; its message names what is wrong and never echoes the key.
 */
export class KeyFormatError extends Error {
  readonly code = 'KEY_INVALID' as const

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyFormatError'
  }
}
