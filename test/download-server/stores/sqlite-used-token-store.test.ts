import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SQLiteUsedTokenStore } from '../../../download-server/src/stores/sqlite-used-token-store.js'
import { usedTokenStoreContract } from './used-token-store.contract.js'

const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'dl-sqlite-store-'))

usedTokenStoreContract('SQLite', async () => {
  const dir = tempDir()
  const file = path.join(dir, 'used.db')
  return {
    open: async () => new SQLiteUsedTokenStore(new Database(file)),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  }
})

describe('SQLiteUsedTokenStore', () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('runs the database in WAL mode with NORMAL durability by default', async () => {
    const db = new Database(path.join(dir, 'used.db'))
    const store = new SQLiteUsedTokenStore(db)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1)
    await store.close()
  })

  it('uses FULL durability when asked, for operators who must survive power loss', async () => {
    const db = new Database(path.join(dir, 'used.db'))
    const store = new SQLiteUsedTokenStore(db, { synchronous: 'FULL' })
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    await store.close()
  })

  it('purges rows past their expiry in batches and keeps the others', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    const store = new SQLiteUsedTokenStore(new Database(path.join(dir, 'used.db')), { clock: () => now, purgeBatchSize: 7 })
    for (let i = 0; i < 30; i += 1) await store.consume(`expiring-id-${String(i).padStart(20, '0')}`, new Date(now.getTime() + 1000))
    await store.consume('long-lived-id-000000000000', new Date(now.getTime() + 600_000))
    now = new Date(now.getTime() + 2000)
    expect(await store.purgeExpired()).toBe(30)
    expect(await store.getOutcome('expiring-id-00000000000000000001')).toBeUndefined()
    expect(await store.getOutcome('long-lived-id-000000000000')).toMatchObject({ status: 'used' })
    await store.close()
  })

  it('keeps a revoked id at least until the given time, and never shortens what a row already keeps', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    const store = new SQLiteUsedTokenStore(new Database(path.join(dir, 'used.db')), { clock: () => now })
    const id = 'revoked-id-0000000000000000'
    await store.consume('used-id-000000000000000000', new Date(now.getTime() + 10_000))
    await store.revoke([id], { until: new Date(now.getTime() + 331_000) })
    await store.revoke([id], { until: new Date(now.getTime() + 5_000) })
    now = new Date(now.getTime() + 330_000)
    expect(await store.purgeExpired()).toBe(1)
    expect(await store.consume(id, new Date(now.getTime() + 1000))).toBe('revoked')
    await store.close()
  })

  it('judges leases by the clock it was given', async () => {
    let now = new Date('2030-01-01T00:00:00Z')
    const store = new SQLiteUsedTokenStore(new Database(path.join(dir, 'used.db')), { clock: () => now })
    const claim = { expiresAt: new Date(now.getTime() + 300_000), etag: '"e"', holder: 'holder-a', leaseMs: 30_000, maxResumptions: 3 }
    const id = 'leased-id-00000000000000000'
    await store.claimDelivery(id, claim)
    now = new Date(now.getTime() + 29_999)
    expect(await store.claimDelivery(id, { ...claim, holder: 'holder-b' })).toEqual({ refused: 'in_use' })
    now = new Date(now.getTime() + 1)
    expect(await store.claimDelivery(id, { ...claim, holder: 'holder-b' })).toMatchObject({ granted: 'resumption' })
    await store.close()
  })

  it('reads rows of a version 1 database (no record) as used, after upgrading it in place', async () => {
    const file = path.join(dir, 'used.db')
    const old = new Database(file)
    old.exec('CREATE TABLE used_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID; PRAGMA user_version = 1')
    old.prepare('INSERT INTO used_tokens VALUES (?, ?)').run('old-used-id-00000000000000', Date.now() + 60_000)
    old.close()
    const store = new SQLiteUsedTokenStore(new Database(file))
    expect(await store.consume('old-used-id-00000000000000', new Date(Date.now() + 60_000))).toBe('used')
    expect(await store.claimDelivery('old-used-id-00000000000000', { expiresAt: new Date(Date.now() + 60_000), etag: '"e"', holder: 'h', leaseMs: 1000, maxResumptions: 1 })).toEqual({ refused: 'used' })
    await store.close()
  })

  it('refuses at construction a database file it may read but not write', async () => {
    const file = path.join(dir, 'used.db')
    await new SQLiteUsedTokenStore(new Database(file)).close()
    const readOnly = new Database(file, { readonly: true })
    expect(() => new SQLiteUsedTokenStore(readOnly)).toThrow()
    readOnly.close()
  })

  it('rejects ping once closed', async () => {
    const store = new SQLiteUsedTokenStore(new Database(path.join(dir, 'used.db')))
    await store.close()
    await expect(store.ping()).rejects.toThrow()
  })
})
