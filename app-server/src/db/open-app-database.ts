import fs from 'node:fs'
import Database from 'better-sqlite3'
import { MIGRATIONS } from './migrations.js'

export type AppDatabase = Database.Database

/**
 * Opens (creating if needed) the app's SQLite database in WAL mode and brings its schema up
 * to date. Several app processes may share the file: migrations run in one IMMEDIATE
 * transaction, so two processes starting at once apply each step exactly once.
 */
export function openAppDatabase(file: string): AppDatabase {
  const db = new Database(file)
  // Password hashes live here; SQLite gives its -wal and -shm files the same mode.
  fs.chmodSync(file, 0o600)
  // busy_timeout first: switching a new file to WAL waits for another process starting at once.
  setConnectionPragmas(db)
  db.pragma('journal_mode = WAL')
  migrate(db)
  return db
}

/** Another connection to an app database `openAppDatabase` has opened (and migrated) already. */
export function connectAppDatabase(file: string): AppDatabase {
  const db = new Database(file, { fileMustExist: true })
  setConnectionPragmas(db)
  return db
}

/** What each connection must set for itself (WAL mode, by contrast, belongs to the file). */
function setConnectionPragmas(db: AppDatabase): void {
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
}

function migrate(db: AppDatabase): void {
  const step = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i] as string)
    }
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`)
  })
  step.immediate()
}
