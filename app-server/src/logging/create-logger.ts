import pino from 'pino'
import type { DestinationStream, Logger } from 'pino'

/**
 * Paths redacted in every log line, whoever logs: a second line of defence behind the
 * request logger's allowlist. A session id, a cookie, a password or a token must never reach a log.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'res.headers.location',
  'headers.cookie',
  'headers.authorization',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.token',
  '*.sessionID',
  '*.sid',
]

/** Built once by an entry point (or a test) and passed down. */
export function createLogger(
  options: { level?: string; destination?: DestinationStream; base?: Record<string, unknown>; extraRedactPaths?: string[] } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.base ? { base: options.base } : {}),
      redact: { paths: [...REDACT_PATHS, ...(options.extraRedactPaths ?? [])], censor: '[redacted]' },
    },
    options.destination,
  )
}
