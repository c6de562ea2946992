import type { Logger } from 'pino'

/**
 * Stops the process on SIGINT or SIGTERM, acting on the first: runs `stop`, then exits 0 (1 if it
 * failed). Called before start-up, so a signal that arrives while the servers are starting is
 * handled by `stop` (which waits for them) instead of killing the process with the default
 * action (no clean close, exit code null).
 */
export function stopOnSignals(logger: Logger, message: string, stop: () => Promise<unknown>): { readonly stopping: boolean } {
  const state = { stopping: false }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (state.stopping) return
      state.stopping = true
      logger.info({ signal }, message)
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed')
          process.exit(1)
        },
      )
    })
  }
  return state
}
