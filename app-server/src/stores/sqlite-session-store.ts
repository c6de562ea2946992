import type Database from 'better-sqlite3'
import type { SessionData } from 'express-session'
import { StatementCache } from '../db/statement-cache.js'
import { SessionStore, sessionHandle, summarize } from '../sessions/session-store.js'
import type { SessionStoreOptions, SessionSummary } from '../sessions/session-store.js'

interface Row {
  handle: string
  data: string
  expires_at: number
}

/**
 * Sessions in a SQLite file (better-sqlite3, WAL), keyed by the sha256 handle of the id.
 * A destroyed session stays as a row with `dead = 1` until its expiry, so a late `set` from a
 * request still in flight updates nothing instead of bringing the session back.
 */
export class SqliteSessionStore extends SessionStore {
  private readonly sql: StatementCache

  constructor(
    private readonly db: Database.Database,
    options: SessionStoreOptions,
  ) {
    super(options)
    this.sql = new StatementCache(db)
    db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        handle     TEXT    PRIMARY KEY,
        user_id    INTEGER,
        data       TEXT,
        expires_at INTEGER NOT NULL,
        dead       INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id) WHERE dead = 0;
      CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
    `)
  }

  private now(): number {
    return this.clock().getTime()
  }

  protected async read(handle: string): Promise<SessionData | undefined> {
    const row = this.sql
      .get('SELECT data FROM sessions WHERE handle = ? AND dead = 0 AND expires_at > ?')
      .get(handle, this.now()) as { data: string } | undefined
    return row ? (JSON.parse(row.data) as SessionData) : undefined
  }

  protected async write(handle: string, data: SessionData, expiresAt: Date, options: { onlyIfExists: boolean }): Promise<void> {
    const json = JSON.stringify(data)
    const userId = typeof data.userId === 'number' ? data.userId : null
    if (options.onlyIfExists) {
      this.sql
        .get('UPDATE sessions SET data = ?, expires_at = ? WHERE handle = ? AND dead = 0 AND expires_at > ?')
        .run(json, expiresAt.getTime(), handle, this.now())
      return
    }
    this.sql
      .get(
        `INSERT INTO sessions (handle, user_id, data, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (handle) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at
         WHERE dead = 0`,
      )
      .run(handle, userId, json, expiresAt.getTime())
  }

  protected async remove(handle: string): Promise<void> {
    const deadUntil = this.now() + this.ttlMs
    this.sql
      .get(
        `INSERT INTO sessions (handle, user_id, data, expires_at, dead) VALUES (?, NULL, NULL, ?, 1)
         ON CONFLICT (handle) DO UPDATE SET user_id = NULL, data = NULL, dead = 1, expires_at = max(expires_at, excluded.expires_at)`,
      )
      .run(handle, deadUntil)
  }

  async listByUser(userId: number): Promise<SessionSummary[]> {
    const rows = this.sql
      .get('SELECT handle, data, expires_at FROM sessions WHERE user_id = ? AND dead = 0 AND expires_at > ?')
      .all(userId, this.now()) as Row[]
    return rows
      .map((r) => summarize(r.handle, JSON.parse(r.data) as SessionData, new Date(r.expires_at)))
      .sort((a, b) => b.signedInAt.getTime() - a.signedInAt.getTime())
  }

  async destroyByUser(userId: number, options: { except?: string } = {}): Promise<number> {
    const keep = options.except === undefined ? '' : sessionHandle(options.except)
    // One statement: atomic against any concurrent write, which then finds the row dead.
    const info = this.sql
      .get(
        `UPDATE sessions SET dead = 1, data = NULL, user_id = NULL, expires_at = max(expires_at, ?)
         WHERE user_id = ? AND dead = 0 AND handle != ?`,
      )
      .run(this.now() + this.ttlMs, userId, keep)
    return info.changes
  }

  async destroyHandle(userId: number, handle: string): Promise<boolean> {
    const info = this.sql
      .get(
        `UPDATE sessions SET dead = 1, data = NULL, user_id = NULL, expires_at = max(expires_at, ?)
         WHERE handle = ? AND user_id = ? AND dead = 0`,
      )
      .run(this.now() + this.ttlMs, handle, userId)
    return info.changes === 1
  }

  async purgeExpired(): Promise<number> {
    return this.sql.get('DELETE FROM sessions WHERE expires_at <= ?').run(this.now()).changes
  }
}
