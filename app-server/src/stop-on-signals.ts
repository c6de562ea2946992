import type { Logger } from 'pino'

export interface Stopper {
  /** True once a stop has begun. */
  readonly stopping: boolean
  /** Begins the stop for another reason than a signal (a cluster primary asking); ignored once stopping. */
  stopNow(reason: string): void
}

/**
 * Stops the process on SIGINT or SIGTERM, acting on the first: runs `stop`, then exits 0 (1 if it
 * failed). Called before start-up, so a signal that arrives while the servers are starting is
 * handled by `stop` (which waits for them) instead of killing the process with the default
 * action (no clean close, exit code null).
 */
export function stopOnSignals(logger: Logger, message: string, stop: () => Promise<unknown>): Stopper {
  let stopping = false
  const stopNow = (reason: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal: reason }, message)
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopNow(signal))
  return {
    get stopping() {
      return stopping
    },
    stopNow,
  }
}
