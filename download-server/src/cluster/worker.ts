import { isClusterMessage } from './messages.js'

/** Tells the primary that this worker listens (and where). */
export function reportReady(url: string): void {
  process.send?.({ type: 'tdr:ready', url }, undefined, {}, () => {})
}

/**
 * Calls `stop` when the primary asks this worker to shut down. (A primary that dies without
 * asking closes the IPC channel, and node:cluster ends the worker at once: like a `kill -9` of a
 * single-process server, its running downloads are cut, and their tokens stay spent.)
 */
export function onPrimaryShutdown(stop: () => void): void {
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message, 'tdr:shutdown')) stop()
  })
}
