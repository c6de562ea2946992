import type { Database, Statement } from 'better-sqlite3'

export interface SQLiteWriteQueueOptions {
  /** How long a write may wait for another process's lock before it fails (the request gets 503). */
  maxWaitMs?: number
}

interface Job {
  run(): unknown
  resolve(value: unknown): void
  reject(error: unknown): void
  /** When the job gives up waiting for the lock. */
  deadline: number
}

/** A write that waited `maxWaitMs` for the database lock held by another process. */
export class SQLiteBusyError extends Error {
  readonly code = 'SQLITE_BUSY'
  constructor(waitedMs: number) {
    super(`the database stayed locked by another process for ${waitedMs} ms`)
    this.name = 'SQLiteBusyError'
  }
}

/**
 * Group commit for one SQLite connection: the writes asked for within one turn of the event
 * loop run together in one `BEGIN IMMEDIATE … COMMIT`, and each caller's promise settles only
 * after that commit, so a write is never acknowledged before it is committed. Many downloads at
 * once then cost one commit (one WAL append) instead of one each.
 *
 * Waiting for another process's lock never blocks the event loop: the connection's
 * `busy_timeout` is 0 (SQLite's own busy handler sleeps on the calling thread), and a busy
 * `BEGIN` is tried again from a timer until the oldest job's deadline.
 *
 * A job runs synchronously inside the transaction. One that throws fails alone; the statements
 * it ran before throwing stay, so a job of several statements runs in a savepoint of its own
 * (`db.transaction(fn)()` does that inside a transaction). If SQLite itself rolls the
 * transaction back (disk full, I/O error), every job of the group fails.
 */
export class SQLiteWriteQueue {
  readonly #db: Database
  readonly #maxWaitMs: number
  readonly #begin: Statement
  readonly #commit: Statement
  readonly #rollback: Statement
  #pending: Job[] = []
  #scheduled = false
  #retries = 0
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(db: Database, options: SQLiteWriteQueueOptions = {}) {
    this.#db = db
    this.#maxWaitMs = options.maxWaitMs ?? 1000
    db.pragma('busy_timeout = 0')
    this.#begin = db.prepare('BEGIN IMMEDIATE')
    this.#commit = db.prepare('COMMIT')
    this.#rollback = db.prepare('ROLLBACK')
  }

  /** Runs `job` in the next group commit; resolves with its result once that commit is durable. */
  run<R>(job: () => R): Promise<R> {
    if (this.#closed) return Promise.reject(new Error('the SQLite store is closed'))
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ run: job, resolve: resolve as (value: unknown) => void, reject, deadline: Date.now() + this.#maxWaitMs })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  /** Fails what is still waiting; the caller closes the database afterwards. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    const left = this.#pending
    this.#pending = []
    for (const job of left) job.reject(new Error('the SQLite store is closed'))
  }

  #flush(): void {
    this.#scheduled = false
    this.#timer = undefined
    if (this.#closed || this.#pending.length === 0) return
    const group = this.#pending
    this.#pending = []
    try {
      this.#begin.run()
    } catch (error) {
      if (isBusy(error)) return this.#retryLater(group)
      for (const job of group) job.reject(error)
      return
    }
    this.#retries = 0
    const settled = group.map((job) => {
      try {
        return { ok: true as const, value: job.run() }
      } catch (error) {
        return { ok: false as const, error }
      }
    })
    try {
      if (!this.#db.inTransaction) throw new Error('SQLite rolled the transaction back')
      this.#commit.run()
    } catch (error) {
      if (this.#db.inTransaction) this.#rollback.run()
      for (const job of group) job.reject(error)
      return
    }
    group.forEach((job, index) => {
      const outcome = settled[index]!
      if (outcome.ok) job.resolve(outcome.value)
      else job.reject(outcome.error)
    })
  }

  /** Another process holds the write lock: try again soon, failing the jobs that waited too long. */
  #retryLater(group: Job[]): void {
    const now = Date.now()
    const waiting: Job[] = []
    for (const job of group) {
      if (job.deadline <= now) job.reject(new SQLiteBusyError(this.#maxWaitMs))
      else waiting.push(job)
    }
    this.#pending = waiting.concat(this.#pending)
    if (this.#pending.length === 0 || this.#scheduled) return
    this.#scheduled = true
    // The lock is usually held for well under a millisecond: ask again on the next turn first,
    // then back off to a few milliseconds so a long holder (a checkpoint) is not spun on.
    this.#retries += 1
    if (this.#retries <= 2) setImmediate(() => this.#flush())
    else this.#timer = setTimeout(() => this.#flush(), Math.min(2 ** (this.#retries - 3), 8))
  }
}

/** SQLITE_BUSY or one of its extended codes: another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')
}
