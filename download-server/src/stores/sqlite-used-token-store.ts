import type { Database } from 'better-sqlite3'
import * as core from '../delivery/token-state.js'
import { CONSUMED_RECORD, CONSUMED_RECORD_TEXT, parseTokenRecord, serializeTokenRecord, type TokenRecord } from '../delivery/token-state.js'
import { TokenRecordStore, type RecordStep } from './token-record-store.js'
import { SQLiteCheckpointer } from './sqlite-checkpointer.js'
import { SQLiteWriteQueue } from './sqlite-write-queue.js'
import type { ConsumeResult } from './used-token-store.js'

export interface SQLiteUsedTokenStoreOptions {
  /** `NORMAL` (default) survives a crash of the process; `FULL` also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL'
  /** How long a write waits for another process's lock before failing (the request gets 503). */
  busyTimeoutMs?: number
  /** Current time, for purging rows whose memory is no longer needed. */
  clock?: () => Date
  purgeIntervalMs?: number
  purgeBatchSize?: number
  onPurgeError?: (error: unknown) => void
  /** How often the WAL is copied back into the database file, off the request path. */
  checkpointIntervalMs?: number
  /** The checkpoint thread failed; checkpoints go on from this thread's event loop instead. */
  onCheckpointError?: (error: unknown) => void
}

const SCHEMA_VERSION = 2

/**
 * Token ids in one SQLite file, shared safely by several processes (WAL mode): one row per id
 * with its record (JSON, see token-state.ts) and how long it must be kept. A strict consume is
 * one `INSERT … ON CONFLICT DO NOTHING`; every other step reads, decides and writes in a
 * savepoint of its own. Every write goes through a group commit (sqlite-write-queue.ts) and
 * resolves only once committed.
 *
 * WAL checkpoints run on a thread of their own (sqlite-checkpointer.ts) rather than inside
 * whichever commit crosses SQLite's threshold, so no download waits for one.
 */
export class SQLiteUsedTokenStore extends TokenRecordStore {
  readonly #db: Database
  readonly #clock: () => Date
  readonly #batchSize: number
  readonly #insert
  readonly #select
  readonly #upsert
  readonly #replace
  readonly #purgeBatch
  readonly #queue: SQLiteWriteQueue
  /** Runs a function in a savepoint (the group commit's transaction is already open). */
  readonly #inSavepointOf: <R>(run: () => R) => R
  readonly #timer: NodeJS.Timeout
  #checkpointer: SQLiteCheckpointer | undefined
  #checkpointTimer: NodeJS.Timeout | undefined
  #purging = false
  #closed = false

  constructor(db: Database, options: SQLiteUsedTokenStoreOptions = {}) {
    const clock = options.clock ?? (() => new Date())
    super(clock)
    this.#db = db
    this.#clock = clock
    this.#batchSize = options.purgeBatchSize ?? 500
    const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 1000)
    // SQLite's own busy wait, for the start-up only (two workers migrating at once); from then on
    // the write queue waits for the lock without blocking the event loop.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`)
    db.pragma('journal_mode = WAL')
    db.pragma('wal_autocheckpoint = 0')
    // In WAL mode NORMAL commits reach the OS before a write returns, so a killed process loses
    // nothing; only FULL also fsyncs each commit (power loss). docs/operations.md weighs the two.
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`)
    migrate(db)
    this.#queue = new SQLiteWriteQueue(db, { maxWaitMs: busyTimeoutMs })
    // Built once: a transaction function called inside a transaction runs as a savepoint.
    const savepoint = db.transaction((run: () => unknown) => run())
    this.#inSavepointOf = <R>(run: () => R): R => savepoint(run) as R
    this.#insert = db.prepare<[string, number, string]>(
      'INSERT INTO used_tokens (jti, expires_at, record) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING',
    )
    this.#replace = db.prepare<[string, string, string]>('UPDATE used_tokens SET record = ? WHERE jti = ? AND record = ?')
    this.#select = db.prepare<[string], { record: string | null }>('SELECT record FROM used_tokens WHERE jti = ?')
    // A row is never kept for less time than it already was.
    this.#upsert = db.prepare<[string, number, string]>(
      `INSERT INTO used_tokens (jti, expires_at, record) VALUES (?, ?, ?)
       ON CONFLICT (jti) DO UPDATE SET record = excluded.record, expires_at = max(expires_at, excluded.expires_at)`,
    )
    this.#purgeBatch = db.prepare<[number, number]>(
      'DELETE FROM used_tokens WHERE jti IN (SELECT jti FROM used_tokens WHERE expires_at <= ? LIMIT ?)',
    )
    const onPurgeError = options.onPurgeError ?? (() => {})
    this.#timer = setInterval(() => {
      this.purgeExpired().catch(onPurgeError)
    }, options.purgeIntervalMs ?? 60_000)
    this.#timer.unref()
    const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000
    const onThisThread = (): void => {
      this.#checkpointTimer = setInterval(() => this.#checkpoint(), checkpointIntervalMs)
      this.#checkpointTimer.unref()
    }
    if (db.memory) return
    this.#checkpointer = new SQLiteCheckpointer({
      file: db.name,
      intervalMs: checkpointIntervalMs,
      onError: (error) => {
        options.onCheckpointError?.(error)
        if (!this.#closed) onThisThread()
      },
    })
  }

  override async consume(jti: string, expiresAt: Date): Promise<ConsumeResult> {
    // The common case in one statement; otherwise the core tells a refusal apart (used, revoked,
    // or a record that still allows it), in the same group commit.
    const fallback = this.consumeStep(expiresAt)
    return this.#queue.run(() =>
      this.#insert.run(jti, expiresAt.getTime(), CONSUMED_RECORD_TEXT).changes === 1 ? 'consumed' : this.#inSavepoint([jti], fallback),
    )
  }

  override async recordOutcome(jti: string, outcome: { completed: boolean; bytes: number }): Promise<void> {
    // The common case in one statement: the row still holds exactly what consume wrote.
    const next = core.recordOutcome(CONSUMED_RECORD, outcome, this.#clock().getTime()).next!
    const text = serializeTokenRecord(next)
    const replaced = await this.#queue.run(() => this.#replace.run(text, jti, CONSUMED_RECORD_TEXT).changes === 1)
    if (!replaced) return super.recordOutcome(jti, outcome)
  }

  protected override async transact<R>(jtis: readonly string[], step: RecordStep<R>): Promise<R> {
    return this.#queue.run(() => this.#inSavepoint(jtis, step))
  }

  /** Runs `step` now, in a savepoint of the group's transaction (which the caller is inside). */
  #inSavepoint<R>(jtis: readonly string[], step: RecordStep<R>): R {
    return this.#inSavepointOf((): R => {
      const records = jtis.map((jti): TokenRecord | undefined => {
        const row = this.#select.get(jti)
        // NULL: a row written before records existed, which meant "used".
        return row === undefined ? undefined : row.record === null ? { state: 'used' } : parseTokenRecord(row.record)
      })
      const now = this.#clock().getTime()
      const { writes, result } = step(records, now)
      writes.forEach((write, index) => {
        if (write !== undefined) this.#upsert.run(jtis[index]!, now + write.keepMs, serializeTokenRecord(write.record))
      })
      return result
    })
  }

  override async ping(): Promise<void> {
    if (this.#closed || !this.#db.open) throw new Error('the SQLite store is closed')
    this.#db.prepare('SELECT 1').get()
  }

  /**
   * Deletes rows past their `expires_at`, a small batch at a time so that no single write holds
   * the lock (and this process's event loop) for long. Returns how many rows it removed.
   */
  async purgeExpired(): Promise<number> {
    if (this.#purging || this.#closed) return 0
    this.#purging = true
    try {
      let removed = 0
      for (;;) {
        const { changes } = await this.#queue.run(() => this.#purgeBatch.run(this.#clock().getTime(), this.#batchSize))
        removed += changes
        if (changes < this.#batchSize || this.#closed) return removed
        await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      this.#purging = false
    }
  }

  override async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    clearInterval(this.#checkpointTimer)
    this.#queue.close()
    await this.#checkpointer?.close()
    this.#db.close()
  }

  #checkpoint(): void {
    if (this.#closed) return
    try {
      // PASSIVE: copies what it can without waiting for anyone; the rest goes next time.
      this.#db.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      // Busy or failing now costs nothing but a longer WAL until the next attempt.
    }
  }
}

function migrate(db: Database): void {
  // Always ends in a write (user_version), so a file this process may read but not write fails
  // here, at start-up, rather than on the first download.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version < 1) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS used_tokens (
          jti TEXT PRIMARY KEY,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS used_tokens_expires_at ON used_tokens (expires_at);
      `)
    }
    // Version 2: each row's state (token-state.ts) as JSON; NULL in older rows means "used".
    if (version < 2) db.exec('ALTER TABLE used_tokens ADD COLUMN record TEXT')
    db.pragma(`user_version = ${Math.max(version, SCHEMA_VERSION)}`)
  }).immediate()
}
