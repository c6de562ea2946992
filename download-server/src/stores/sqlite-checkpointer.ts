import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface SQLiteCheckpointerOptions {
  /** The database file (its WAL is `<file>-wal`). */
  file: string
  intervalMs: number
  /** Called once if the thread fails; checkpoints then stop (the WAL only grows, nothing is lost). */
  onError?: (error: unknown) => void
}

// Plain CommonJS, evaluated as the worker's source: no TypeScript loader needed in the thread.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
// Never wait for a lock here: a busy checkpoint simply copies less, and the next one catches up.
db.pragma('busy_timeout = 0')
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {}
}, workerData.intervalMs)
parentPort.once('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Copies the WAL back into the database file from a thread of its own, on its own connection.
 * A checkpoint of a second's writes takes 10–20 ms here (it fsyncs); run inside a commit, as
 * SQLite's auto-checkpoint does, or on a timer of the event loop, it would stall every download
 * in flight for that long. PASSIVE never blocks writers, in this process or any other.
 */
export class SQLiteCheckpointer {
  readonly #worker: Worker
  readonly #exited: Promise<void>

  constructor(options: SQLiteCheckpointerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { driver, file: options.file, intervalMs: options.intervalMs },
      // The parent's loader flags (tsx) are not needed for plain CommonJS.
      execArgv: [],
      env: {},
    })
    this.#worker.unref()
    let reported = false
    this.#worker.on('error', (error) => {
      if (!reported) options.onError?.(error)
      reported = true
    })
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()))
  }

  /** Stops the thread after its current checkpoint (if any) and closes its connection. */
  async close(): Promise<void> {
    // Held while it stops: an unref'd thread and timer would let the process end mid-shutdown.
    this.#worker.ref()
    this.#worker.postMessage('close')
    const stuck = setTimeout(() => void this.#worker.terminate(), 2000)
    await this.#exited
    clearTimeout(stuck)
  }
}
