export interface ConfigIssue {
  /** The environment variable at fault, e.g. `DL_PORT`. */
  variable: string
  /** What is wrong, never echoing a secret or key material. */
  message: string
}

/** One or more bad settings; `main.ts` prints one line per issue and exits non-zero. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((issue) => `${issue.variable}: ${issue.message}`).join('\n'))
    this.name = 'ConfigError'
    this.issues = issues
  }

  /** One `DL_NAME: what is wrong` line per bad setting. */
  lines(): string[] {
    return this.issues.map((issue) => `${issue.variable}: ${issue.message}`)
  }
}

const HOST_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EADDRNOTAVAIL'])

/**
 * Whether a listen error comes from the host setting (it does not resolve, or is not this
 * machine's address) rather than the port (in use, not allowed). Both servers name the setting
 * to change by it.
 */
export function isHostListenError(code: string): boolean {
  return HOST_ERRORS.has(code)
}
