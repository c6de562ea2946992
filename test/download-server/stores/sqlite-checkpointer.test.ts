import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SQLiteUsedTokenStore } from '../../../download-server/src/stores/sqlite-used-token-store.js'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-checkpoint-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('SQLite store checkpoints', () => {
  it('never checkpoints inside a commit, and copies the WAL into the database file from its own thread', async () => {
    const file = path.join(dir, 'used.db')
    const db = new Database(file)
    const store = new SQLiteUsedTokenStore(db, { checkpointIntervalMs: 100 })
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    const sizeBefore = fs.statSync(file).size
    const expires = new Date(Date.now() + 60_000)
    for (let i = 0; i < 300; i += 1) await store.consume(`id-${String(i).padStart(22, '0')}`, expires)
    // The rows reach the database file itself without this connection ever checkpointing.
    await expect.poll(() => fs.statSync(file).size, { timeout: 5000 }).toBeGreaterThan(sizeBefore)
    await store.close()
  })

  it('closes its own connection on close, so a closed store leaves no descriptor open', async () => {
    const file = path.join(dir, 'used.db')
    const descriptors = (): number =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file
        } catch {
          return false
        }
      }).length
    const store = new SQLiteUsedTokenStore(new Database(file), { checkpointIntervalMs: 50 })
    // The store's connection and the thread's.
    await expect.poll(descriptors, { timeout: 5000 }).toBe(2)
    await store.close()
    expect(descriptors()).toBe(0)
  })
})
