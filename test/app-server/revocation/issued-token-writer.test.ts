import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAppDatabase } from '../../../app-server/src/db/open-app-database.js'
import type { AppDatabase } from '../../../app-server/src/db/open-app-database.js'
import { IssuedTokenRepository } from '../../../app-server/src/revocation/issued-token-repository.js'
import { IssuedTokenWriter } from '../../../app-server/src/revocation/issued-token-writer.js'

let dir: string
let db: AppDatabase
let issued: IssuedTokenRepository
let writer: IssuedTokenWriter<number>

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'issued-writer-'))
  db = openAppDatabase(path.join(dir, 'app.db'))
  issued = new IssuedTokenRepository(db)
  // Returns what the transaction sees of the table once the row is in: its own batch's rows.
  writer = new IssuedTokenWriter(db, (token) => {
    issued.record(token)
    return committedCount()
  })
})
afterEach(() => {
  db.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const token = (jti = randomBytes(16).toString('base64url')): Parameters<IssuedTokenWriter['record']>[0] => ({
  jti,
  userId: 1,
  fileId: 'f'.repeat(22),
  sessionHandle: 'h'.repeat(43),
  issuedAt: new Date(),
  expiresAt: new Date(Date.now() + 300_000),
})
const committedCount = (): number => (db.prepare('SELECT count(*) AS n FROM issued_tokens').get() as { n: number }).n

describe('IssuedTokenWriter (group commit of issued-token records)', () => {
  it('commits the records of one event-loop turn together, each promise settling only after the commit', async () => {
    const tokens = Array.from({ length: 20 }, () => token())
    const recorded = tokens.map((t) => writer.record(t))
    // Nothing is written before the turn ends: a caller cannot have its link before its row.
    expect(committedCount()).toBe(0)
    let settled = 0
    for (const p of recorded) void p.then(() => settled++)
    await Promise.all(recorded)
    expect(settled).toBe(20)
    expect(committedCount()).toBe(20)
    for (const t of tokens) expect(issued.findByJti(t.jti)?.sessionHandle).toBe('h'.repeat(43))
  })

  it('gives each caller what its write returned inside the transaction', async () => {
    expect(await Promise.all([writer.record(token()), writer.record(token()), writer.record(token())])).toEqual([1, 2, 3])
  })

  it('rejects every caller of a batch whose commit fails, and records none of that batch', async () => {
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON issued_tokens WHEN NEW.jti = 'refused-jti-0000000000' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`)
    const results = await Promise.allSettled([writer.record(token()), writer.record(token('refused-jti-0000000000')), writer.record(token())])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(committedCount()).toBe(0)
    // The next turn's batch is independent of the failed one.
    await writer.record(token())
    expect(committedCount()).toBe(1)
  })
})
