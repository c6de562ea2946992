import type { AppDatabase } from '../db/open-app-database.js'
import { StatementCache } from '../db/statement-cache.js'

/** A download token the app issued, by its `jti` (never the token itself). */
export interface IssuedToken {
  jti: string
  userId: number
  fileId: string
  /** sha256 handle of the session that asked for it (never the session id). */
  sessionHandle: string | null
  issuedAt: Date
  expiresAt: Date
  revokedAt: Date | null
  revokedReason: RevocationReason | null
  /** When the download server confirmed the revocation. */
  revocationSentAt: Date | null
  /** What the download server's store last said about the token, when the app can read it. */
  outcome: ObservedOutcome | null
  outcomeBytes: number | null
  /** The last time the app read the download server's store for this token (found or not). */
  outcomeCheckedAt: Date | null
}

export type RevocationReason = 'signed_out' | 'password_changed' | 'other_sessions_ended' | 'session_revoked' | 'user_banned' | 'file_deleted'

/** A token's state as the download server's store reports it (see download-outcomes.ts). */
export type ObservedOutcome = 'used' | 'delivering' | 'completed' | 'interrupted' | 'revoked'

/** What is recorded of a token as it is issued. */
export interface IssuedTokenRecord {
  jti: string
  userId: number
  fileId: string
  sessionHandle?: string
  issuedAt: Date
  expiresAt: Date
}

/** Whose live tokens a revocation covers. */
export type RevocationScope = { userId: number } | { fileId: string } | { userId: number; sessionHandle: string }

interface Row {
  jti: string
  user_id: number
  file_id: string
  session_handle: string | null
  issued_at: number
  expires_at: number
  revoked_at: number | null
  revoked_reason: RevocationReason | null
  revocation_sent_at: number | null
  outcome: ObservedOutcome | null
  outcome_bytes: number | null
  outcome_checked_at: number | null
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))
const toIssued = (r: Row): IssuedToken => ({
  jti: r.jti,
  userId: r.user_id,
  fileId: r.file_id,
  sessionHandle: r.session_handle,
  issuedAt: new Date(r.issued_at),
  expiresAt: new Date(r.expires_at),
  revokedAt: date(r.revoked_at),
  revokedReason: r.revoked_reason,
  revocationSentAt: date(r.revocation_sent_at),
  outcome: r.outcome,
  outcomeBytes: r.outcome_bytes,
  outcomeCheckedAt: date(r.outcome_checked_at),
})

const SCOPE_SQL = {
  user: 'user_id = @userId',
  file: 'file_id = @fileId',
  session: 'user_id = @userId AND session_handle = @sessionHandle',
} as const

function scopeOf(scope: RevocationScope): { where: string; params: Record<string, string | number> } {
  if ('sessionHandle' in scope) return { where: SCOPE_SQL.session, params: { userId: scope.userId, sessionHandle: scope.sessionHandle } }
  if ('fileId' in scope) return { where: SCOPE_SQL.file, params: { fileId: scope.fileId } }
  return { where: SCOPE_SQL.user, params: { userId: scope.userId } }
}

/** `issued_tokens` in app.db: rows, not rules (the revocation service decides what is live). */
export class IssuedTokenRepository {
  private readonly sql: StatementCache

  constructor(private readonly db: AppDatabase) {
    this.sql = new StatementCache(db)
  }

  record(token: IssuedTokenRecord): void {
    this.sql
      .get('INSERT OR IGNORE INTO issued_tokens (jti, user_id, file_id, session_handle, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(token.jti, token.userId, token.fileId, token.sessionHandle ?? null, token.issuedAt.getTime(), token.expiresAt.getTime())
  }

  /**
   * Marks the not yet revoked tokens of `scope` that a download server could still accept
   * (`expires_at > acceptedAfter`) as revoked; returns them. Call inside the caller's transaction.
   */
  markRevoked(scope: RevocationScope, reason: RevocationReason, options: { now: Date; acceptedAfter: Date }): IssuedToken[] {
    const { where, params } = scopeOf(scope)
    const rows = this.sql
      .get(`UPDATE issued_tokens SET revoked_at = @now, revoked_reason = @reason WHERE ${where} AND revoked_at IS NULL AND expires_at > @after RETURNING *`)
      .all({ ...params, now: options.now.getTime(), reason, after: options.acceptedAfter.getTime() }) as Row[]
    return rows.map(toIssued)
  }

  markRevocationSent(jtis: readonly string[], at: Date): void {
    this.sql
      .get('UPDATE issued_tokens SET revocation_sent_at = ? WHERE jti IN (SELECT value FROM json_each(?)) AND revocation_sent_at IS NULL')
      .run(at.getTime(), JSON.stringify(jtis))
  }

  /** A user's tokens issued since `since`, newest first, at most `limit`. */
  recentByUser(userId: number, since: Date, limit: number): IssuedToken[] {
    const rows = this.sql
      .get('SELECT * FROM issued_tokens WHERE user_id = ? AND issued_at >= ? ORDER BY issued_at DESC, jti LIMIT ?')
      .all(userId, since.getTime(), limit) as Row[]
    return rows.map(toIssued)
  }

  /** Ids whose fate the download server's store may still tell (it forgets a token soon after `exp`). */
  observable(options: { expiresAfter: Date; userId?: number; limit: number }): string[] {
    const byUser = options.userId === undefined ? '' : 'AND user_id = @userId'
    const rows = this.sql
      .get(
        `SELECT jti FROM issued_tokens WHERE expires_at > @after ${byUser}
         AND (outcome IS NULL OR outcome IN ('used', 'delivering', 'interrupted')) ORDER BY expires_at LIMIT @limit`,
      )
      .all({ after: options.expiresAfter.getTime(), limit: options.limit, ...(options.userId === undefined ? {} : { userId: options.userId }) }) as { jti: string }[]
    return rows.map((r) => r.jti)
  }

  /** Notes what the store said at `checkedAt`: an outcome for some ids, nothing (unused) for the rest. */
  saveObservations(checked: readonly string[], outcomes: ReadonlyMap<string, { outcome: ObservedOutcome; bytes: number }>, checkedAt: Date): void {
    const seen = this.sql.get('UPDATE issued_tokens SET outcome = ?, outcome_bytes = ?, outcome_checked_at = ? WHERE jti = ?')
    const unseen = this.sql.get('UPDATE issued_tokens SET outcome_checked_at = ? WHERE jti = ?')
    this.db.transaction(() => {
      for (const jti of checked) {
        const o = outcomes.get(jti)
        if (o) seen.run(o.outcome, o.bytes, checkedAt.getTime(), jti)
        else unseen.run(checkedAt.getTime(), jti)
      }
    })()
  }

  /** Deletes rows issued before `issuedBefore` that no download server can accept any more. */
  purge(options: { issuedBefore: Date; expiredBefore: Date }): number {
    return this.sql
      .get('DELETE FROM issued_tokens WHERE issued_at < ? AND expires_at < ?')
      .run(options.issuedBefore.getTime(), options.expiredBefore.getTime()).changes
  }

  findByJti(jti: string): IssuedToken | undefined {
    const row = this.sql.get('SELECT * FROM issued_tokens WHERE jti = ?').get(jti) as Row | undefined
    return row && toIssued(row)
  }
}
