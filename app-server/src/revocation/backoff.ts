export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number
  /** No delay is longer. */
  maxMs: number
}

/**
 * Exponential backoff with "equal jitter": after `attempts` failures, a delay between half and
 * all of `min(maxMs, baseMs · 2^(attempts-1))`, so app processes that lost the download server
 * together do not all come back at the same instant. `random` gives [0, 1).
 */
export function backoffDelay(attempts: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30)
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
