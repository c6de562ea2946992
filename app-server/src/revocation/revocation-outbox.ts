import type { AppDatabase } from '../db/open-app-database.js'
import { StatementCache } from '../db/statement-cache.js'

/** A queued id, as handed to one delivery attempt. */
export interface OutboxEntry {
  jti: string
  /** Worth sending until then: past it no download server accepts the token anyway. */
  deliverUntil: Date
  /** Failed attempts so far. */
  attempts: number
}

interface Row {
  jti: string
  expires_at: number
  attempts: number
}

/**
 * `revocation_outbox` in app.db: ids still to be sent to the download server. Durable (a
 * restart resumes the sending) and shared by every app process on the same file: a process
 * claims a batch for `leaseMs` in one IMMEDIATE transaction, so two processes do not send the
 * same batch at the same moment; a process that dies mid-send leaves its claim to lapse and
 * another sends again (at least once: revocation is idempotent).
 */
export class RevocationOutbox {
  private readonly sql: StatementCache

  constructor(private readonly db: AppDatabase) {
    this.sql = new StatementCache(db)
  }

  /** Queues ids; an id already queued keeps its place and its backoff. */
  enqueue(entries: readonly { jti: string; deliverUntil: Date }[], now: Date): void {
    const insert = this.sql.get(
      'INSERT OR IGNORE INTO revocation_outbox (jti, expires_at, queued_at, next_attempt_at) VALUES (?, ?, ?, ?)',
    )
    for (const e of entries) insert.run(e.jti, e.deliverUntil.getTime(), now.getTime(), now.getTime())
  }

  /** Claims up to `limit` due ids (not claimed by anyone else) for `leaseMs`. */
  claimDue(now: Date, options: { limit: number; leaseMs: number }): OutboxEntry[] {
    const t = now.getTime()
    return this.db.transaction((): OutboxEntry[] => {
      const rows = this.sql
        .get(
          `SELECT jti, expires_at, attempts FROM revocation_outbox
           WHERE next_attempt_at <= ? AND claimed_until <= ? AND expires_at > ? ORDER BY next_attempt_at LIMIT ?`,
        )
        .all(t, t, t, options.limit) as Row[]
      if (rows.length > 0) {
        this.sql
          .get('UPDATE revocation_outbox SET claimed_until = ? WHERE jti IN (SELECT value FROM json_each(?))')
          .run(t + options.leaseMs, JSON.stringify(rows.map((r) => r.jti)))
      }
      return rows.map((r) => ({ jti: r.jti, deliverUntil: new Date(r.expires_at), attempts: r.attempts }))
    }).immediate()
  }

  /** The download server has them: done. */
  remove(jtis: readonly string[]): void {
    this.sql.get('DELETE FROM revocation_outbox WHERE jti IN (SELECT value FROM json_each(?))').run(JSON.stringify(jtis))
  }

  /** A failed attempt: one more on the count, next try at `nextAttemptAt`, claim released. */
  retryLater(jtis: readonly string[], nextAttemptAt: Date): void {
    this.sql
      .get('UPDATE revocation_outbox SET attempts = attempts + 1, next_attempt_at = ?, claimed_until = 0 WHERE jti IN (SELECT value FROM json_each(?))')
      .run(nextAttemptAt.getTime(), JSON.stringify(jtis))
  }

  /** Releases a claim without counting an attempt (shutdown in the middle of a send). */
  release(jtis: readonly string[]): void {
    this.sql.get('UPDATE revocation_outbox SET claimed_until = 0 WHERE jti IN (SELECT value FROM json_each(?))').run(JSON.stringify(jtis))
  }

  /** Drops ids no longer worth sending (their tokens expired); returns them. */
  dropExpired(now: Date): string[] {
    const rows = this.sql.get('DELETE FROM revocation_outbox WHERE expires_at <= ? RETURNING jti').all(now.getTime()) as { jti: string }[]
    return rows.map((r) => r.jti)
  }

  /** How many ids wait, and when the earliest is due (undefined: none). */
  pending(): { count: number; nextAttemptAt: Date | undefined } {
    const row = this.sql.get('SELECT count(*) AS n, min(max(next_attempt_at, claimed_until)) AS next FROM revocation_outbox').get() as {
      n: number
      next: number | null
    }
    return { count: row.n, nextAttemptAt: row.next === null ? undefined : new Date(row.next) }
  }
}
