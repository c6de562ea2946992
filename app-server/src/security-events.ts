import type { Logger } from 'pino'
import type { TokenSigner } from '../../shared/src/index.js'
import type { AppConfig } from './config.js'
import type { AppDatabase } from './db/open-app-database.js'

/**
 * What happened to a user's sessions and links. The app reports each event here at the
 * moment it happens. The app server's sink (revocation/revocation-events.ts, CONTRACT §4)
 * records `token_issued` and revokes a user's live tokens on `signed_out`, `password_changed`,
 * `other_sessions_ended`, `user_banned`, one session's on `session_revoked`, and a file's on
 * `file_deleted`; each event is also an audit log line (`createLoggingSecurityEvents`).
 */
export type SecurityEvent =
  | { type: 'signed_in'; userId: number }
  /** `userId` only when the username exists; the typed username is never logged (it may be a password). */
  | { type: 'sign_in_refused'; userId?: number; reason: 'LOGIN_FAILED' | 'ACCOUNT_BANNED' }
  | { type: 'signed_out'; userId: number }
  | { type: 'password_changed'; userId: number; sessionsEnded: number }
  | { type: 'other_sessions_ended'; userId: number; sessionsEnded: number }
  /** `handle`: the ended session's sha256 handle (its links are revoked; never logged). */
  | { type: 'session_revoked'; userId: number; handle: string }
  | { type: 'user_banned'; userId: number; byUserId: number; sessionsEnded: number }
  | { type: 'user_unbanned'; userId: number; byUserId: number }
  | { type: 'file_uploaded'; userId: number; fileId: string; size: number }
  | { type: 'file_deleted'; userId: number; fileId: string }
  /** `sessionHandle`: the session that asked for the link (never logged). */
  | { type: 'token_issued'; userId: number; fileId: string; jti: string; expiresAt: Date; sessionHandle?: string }

export interface SecurityEvents {
  /** Awaited by the caller; an implementation that talks to the network should not block for long. */
  record(event: SecurityEvent): Promise<void>
  /** Called once when the app server closes (e.g. to stop an outbox's retry timer). */
  close?(): Promise<void>
}

/** What an implementation may need; `startAppServer` builds it and calls the factory once. */
export interface SecurityEventsContext {
  db: AppDatabase
  /** Also signs revocation tokens (`signRevocation`) for CONTRACT §4. */
  signer: TokenSigner
  config: AppConfig
  logger: Logger
  clock: () => Date
}

/** The default: one structured log line per event (ids and a jti only, never a token). */
export function createLoggingSecurityEvents(logger: Logger): SecurityEvents {
  const log = logger.child({ component: 'security-events' })
  return {
    async record(event) {
      log.info({ event: loggable(event) }, event.type)
    },
  }
}

/** The event without session handles: not credentials, but not needed in a log either. */
export function loggable(event: SecurityEvent): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event }
  delete copy.handle
  delete copy.sessionHandle
  return copy
}
