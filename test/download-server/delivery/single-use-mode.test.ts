import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Audit, AuditEvent, AuditFields } from '../../../download-server/src/delivery/audit.js'
import { SINGLE_USE_IDLE_TIMEOUT_MS, singleUseMode } from '../../../download-server/src/delivery/single-use-mode.js'
import { SQLiteUsedTokenStore } from '../../../download-server/src/stores/sqlite-used-token-store.js'
import type { DownloadClaims } from '../../../shared/src/index.js'

// DL_RESUME=off: what a spent token's response is allowed to hold, and how its end is told.
let dir: string
let store: SQLiteUsedTokenStore
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-single-use-'))
  store = new SQLiteUsedTokenStore(new Database(path.join(dir, 'used.db')))
})
afterAll(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const recorded: Array<[AuditEvent, AuditFields]> = []
const audit: Audit = { record: (event, fields) => recorded.push([event, fields]) }
let counter = 0
const claims = (): DownloadClaims =>
  ({ jti: `single-use-${String(counter++).padStart(16, '0')}`, file: 'f.bin', exp: new Date(Date.now() + 60_000) }) as DownloadClaims
const request = (c: DownloadClaims): Parameters<ReturnType<typeof singleUseMode>['begin']>[0] => ({ claims: c, etag: '"e"', size: 10, range: undefined })

describe('single-use delivery (DL_RESUME=off)', () => {
  it('cuts a response whose client takes nothing for 30 s, so a stalled reader cannot hold a connection and file for ever', async () => {
    const mode = singleUseMode({ store, audit, logger: pino({ level: 'silent' }), rememberPastExpiryMs: 31_000 })
    expect(SINGLE_USE_IDLE_TIMEOUT_MS).toBe(30_000)
    expect((await mode.begin(request(claims()))).hooks.idleTimeoutMs).toBe(30_000)
    const quick = singleUseMode({ store, audit, logger: pino({ level: 'silent' }), rememberPastExpiryMs: 31_000, idleTimeoutMs: 250 })
    expect((await quick.begin(request(claims()))).hooks.idleTimeoutMs).toBe(250)
  })

  it('tells an idle cut apart from a client that went away in the audit trail', async () => {
    const mode = singleUseMode({ store, audit, logger: pino({ level: 'silent' }), rememberPastExpiryMs: 31_000 })
    const idle = claims()
    await (await mode.begin(request(idle))).hooks.onFinished({ bytesSent: 4, completed: false, cut: 'idle' })
    const gone = claims()
    await (await mode.begin(request(gone))).hooks.onFinished({ bytesSent: 4, completed: false, cut: 'aborted' })
    expect(recorded).toContainEqual(['delivery.interrupted', { jti: idle.jti, file: 'f.bin', bytesSent: 4, outcome: 'idle' }])
    expect(recorded).toContainEqual(['delivery.interrupted', { jti: gone.jti, file: 'f.bin', bytesSent: 4, outcome: 'client_gone' }])
  })
})
