import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SQLiteBusyError, SQLiteWriteQueue } from '../../../download-server/src/stores/sqlite-write-queue.js'

let dir: string
let file: string
const opened: Database.Database[] = []

function open(): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  opened.push(db)
  return db
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-write-queue-'))
  file = path.join(dir, 'q.db')
  open().exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
})
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('SQLiteWriteQueue', () => {
  it('settles each write only once it is committed: another connection already sees it', async () => {
    const db = open()
    const queue = new SQLiteWriteQueue(db)
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)')
    const reader = open().prepare('SELECT count(*) AS n FROM t WHERE k = ?')
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        queue.run(() => insert.run(`k${i}`).changes).then(() => (reader.get(`k${i}`) as { n: number }).n),
      ),
    )
    expect(seen).toEqual(Array(20).fill(1))
  })

  it('runs the writes of one event-loop turn in one transaction', async () => {
    const db = open()
    const queue = new SQLiteWriteQueue(db)
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)')
    const inTransaction = await Promise.all(
      Array.from({ length: 5 }, (_, i) => queue.run(() => (insert.run(`k${i}`), db.inTransaction))),
    )
    expect(inTransaction).toEqual([true, true, true, true, true])
    // A later write that fails on a constraint leaves the earlier group committed.
    await expect(queue.run(() => insert.run('k1'))).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(5)
  })

  it('fails a throwing write alone and commits the others of its group', async () => {
    const db = open()
    const queue = new SQLiteWriteQueue(db)
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)')
    const results = await Promise.allSettled([
      queue.run(() => insert.run('a')),
      queue.run(() => {
        throw new Error('a bug in one job')
      }),
      queue.run(() => insert.run('b')),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual(['a', 'b'])
  })

  it('waits for a lock held by another connection without blocking the event loop, then commits', async () => {
    const other = open()
    other.prepare('BEGIN IMMEDIATE').run()
    const db = open()
    const queue = new SQLiteWriteQueue(db, { maxWaitMs: 2000 })
    const write = queue.run(() => db.prepare('INSERT INTO t (k) VALUES (?)').run('late').changes)
    // Timers keep firing while the write waits: the loop is free (SQLite's own busy handler
    // would sleep on this thread until maxWaitMs).
    const started = Date.now()
    const ticks = await new Promise<number>((resolve) => {
      let count = 0
      const timer = setInterval(() => {
        count += 1
        if (count === 5) {
          clearInterval(timer)
          resolve(count)
        }
      }, 20)
    })
    expect(ticks).toBe(5)
    expect(Date.now() - started).toBeLessThan(1500)
    other.prepare('COMMIT').run()
    expect(await write).toBe(1)
  })

  it('fails a write with SQLiteBusyError once the lock has been held past maxWaitMs', async () => {
    const other = open()
    other.prepare('BEGIN IMMEDIATE').run()
    const queue = new SQLiteWriteQueue(open(), { maxWaitMs: 100 })
    const started = Date.now()
    await expect(queue.run(() => 1)).rejects.toBeInstanceOf(SQLiteBusyError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(100)
    other.prepare('ROLLBACK').run()
  })

  it('refuses new writes and fails waiting ones once closed', async () => {
    const other = open()
    other.prepare('BEGIN IMMEDIATE').run()
    const queue = new SQLiteWriteQueue(open(), { maxWaitMs: 5000 })
    const waiting = queue.run(() => 1)
    queue.close()
    await expect(waiting).rejects.toThrow('closed')
    await expect(queue.run(() => 1)).rejects.toThrow('closed')
    other.prepare('ROLLBACK').run()
  })
})
