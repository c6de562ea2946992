/** Why a command stopped: the CLI prints `error: <message>` as one line and exits 1. */
export type CLIErrorCode = 'USAGE' | 'KEY_INVALID' | 'FILE_EXISTS' | 'IO'

/** A failure the operator can act on; its message names the argument at fault, never a key. */
export class CLIError extends Error {
  readonly code: CLIErrorCode

  constructor(code: CLIErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CLIError'
    this.code = code
  }
}

/** `ENOENT`-style code of a file system error, for a one-line message. */
export function errnoOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error'
}
