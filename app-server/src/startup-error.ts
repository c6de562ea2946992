import { ConfigError } from './config.js'
import { SigningKeysError } from './keys/signing-keys.js'
import { SessionStoreError } from './stores/open-session-store.js'

/**
 * The lines to print when start-up fails: one per bad setting for the errors we know (a listen
 * error is a ConfigError naming APP_HOST or APP_PORT), and only the message (no stack) for
 * anything else.
 */
export function describeStartupError(err: unknown): string[] {
  if (err instanceof ConfigError) return [...err.problems]
  if (err instanceof SigningKeysError || err instanceof SessionStoreError) return [err.message]
  const e = err as NodeJS.ErrnoException
  if (e?.code === 'EACCES' || e?.code === 'EROFS') return [`DATA_DIR: cannot write (${e.message})`]
  return [`start-up failed: ${e instanceof Error ? e.message : String(e)}`]
}
