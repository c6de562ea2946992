import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseAppConfig } from '../../../app-server/src/config.js'
import { openAppDatabase } from '../../../app-server/src/db/open-app-database.js'
import { createLogger } from '../../../app-server/src/logging/create-logger.js'
import { parseDownloadRecord } from '../../../app-server/src/revocation/download-outcomes.js'
import { IssuedTokenRepository } from '../../../app-server/src/revocation/issued-token-repository.js'
import type { IssuedToken } from '../../../app-server/src/revocation/issued-token-repository.js'
import { linkFate } from '../../../app-server/src/revocation/link-fate.js'
import { DEFAULT_LINK_FATES, LinkFates } from '../../../app-server/src/revocation/link-fates.js'

// The pure parts (the download server's record format, the fate rules, settings) and the
// purging of the app's own records (real SQLite, injected clock).

const NOW = Date.parse('2030-01-01T12:00:00Z')

describe('reading a download server record', () => {
  it('reads every state the download server writes, and counts anything unreadable as used', () => {
    const cases: [string | null, unknown][] = [
      ['{"state":"used","at":1}', { outcome: 'used', bytes: 0 }],
      ['{"state":"used","outcome":"completed","bytes":42}', { outcome: 'completed', bytes: 42 }],
      ['{"state":"used","outcome":"interrupted","bytes":7}', { outcome: 'interrupted', bytes: 7 }],
      ['{"state":"revoked","at":1}', { outcome: 'revoked', bytes: 0 }],
      ['{"state":"interrupted","at":1,"etag":"x","resumptions":0,"bytes":9}', { outcome: 'interrupted', bytes: 9 }],
      [`{"state":"delivering","lease":${NOW + 1000},"bytes":3}`, { outcome: 'delivering', bytes: 3 }],
      [`{"state":"delivering","lease":${NOW - 1},"bytes":3}`, { outcome: 'interrupted', bytes: 3 }],
      [`{"state":"delivering","lease":${NOW - 1},"lastByte":true,"bytes":3}`, { outcome: 'completed', bytes: 3 }],
      [`{"state":"delivering","lease":${NOW - 1},"revoked":true}`, { outcome: 'revoked', bytes: 0 }],
      ['1', { outcome: 'used', bytes: 0 }],
      [null, { outcome: 'used', bytes: 0 }],
      ['not json', { outcome: 'used', bytes: 0 }],
    ]
    for (const [text, expected] of cases) expect(parseDownloadRecord(text, NOW), String(text)).toEqual(expected)
  })
})

function token(over: Partial<IssuedToken> = {}): IssuedToken {
  return {
    jti: 'j'.repeat(22),
    userId: 1,
    fileId: 'f'.repeat(22),
    sessionHandle: null,
    issuedAt: new Date(NOW - 60_000),
    expiresAt: new Date(NOW + 240_000),
    revokedAt: null,
    revokedReason: null,
    revocationSentAt: null,
    outcome: null,
    outcomeBytes: null,
    outcomeCheckedAt: null,
    ...over,
  }
}
const fate = (t: IssuedToken, options: { now?: number; reporting?: boolean } = {}): ReturnType<typeof linkFate> =>
  linkFate(t, { now: new Date(options.now ?? NOW), reporting: options.reporting ?? true, acceptedPastExpiryMs: 31_000 })

describe('link fate', () => {
  it('prefers what the download server saw: a link used before its revocation was used', () => {
    const f = fate(token({ outcome: 'completed', outcomeBytes: 5, revokedAt: new Date(NOW), revokedReason: 'signed_out' }))
    expect(f).toMatchObject({ kind: 'completed', bytes: 5, revocation: { reason: 'signed_out' } })
  })

  it('shows a revoked link as revoked, pending until the download server confirms or the link expires', () => {
    const revoked = token({ revokedAt: new Date(NOW), revokedReason: 'user_banned' })
    expect(fate(revoked).revocation).toEqual({ reason: 'user_banned', delivered: false, pending: true })
    expect(fate({ ...revoked, revocationSentAt: new Date(NOW) }).revocation).toEqual({ reason: 'user_banned', delivered: true, pending: false })
    expect(fate(revoked, { now: NOW + 300_000 }).revocation).toEqual({ reason: 'user_banned', delivered: false, pending: false })
    expect(fate(revoked, { reporting: false }).kind).toBe('revoked')
  })

  it('claims "expired unused" only after reading the store past the expiry, and "unknown" without a store', () => {
    const expired = token({ expiresAt: new Date(NOW - 1000) })
    expect(fate(expired).kind).toBe('unknown')
    expect(fate({ ...expired, outcomeCheckedAt: new Date(NOW - 2000) }).kind).toBe('unknown')
    expect(fate({ ...expired, outcomeCheckedAt: new Date(NOW - 500) }).kind).toBe('expired_unused')
    expect(fate({ ...expired, outcomeCheckedAt: new Date(NOW - 500) }, { reporting: false }).kind).toBe('unknown')
    expect(fate(token({ outcomeCheckedAt: new Date(NOW) })).kind).toBe('unused')
    expect(fate(token({ outcomeCheckedAt: new Date(NOW) }), { reporting: false }).kind).toBe('unknown')
  })
})

describe('settings', () => {
  it('reads APP_DOWNLOAD_OUTCOMES as a redis URL with its key prefix, or a sqlite path, and APP_METRICS', () => {
    expect(parseAppConfig({}).downloadOutcomes).toBeUndefined()
    expect(parseAppConfig({}).metrics).toBe(false)
    expect(parseAppConfig({ APP_DOWNLOAD_OUTCOMES: 'redis://r:6379/2' }).downloadOutcomes).toEqual({ kind: 'redis', url: 'redis://r:6379/2', keyPrefix: 'tdr:dl:' })
    expect(parseAppConfig({ APP_DOWNLOAD_OUTCOMES: 'redis://r', APP_DOWNLOAD_OUTCOMES_PREFIX: 'x:' }).downloadOutcomes).toMatchObject({ keyPrefix: 'x:' })
    expect(parseAppConfig({ APP_DOWNLOAD_OUTCOMES: 'sqlite:/var/dl/used.db' }).downloadOutcomes).toEqual({ kind: 'sqlite', path: '/var/dl/used.db' })
    expect(parseAppConfig({ APP_METRICS: 'on' }).metrics).toBe(true)
  })

  it('names each bad one', () => {
    try {
      parseAppConfig({ APP_DOWNLOAD_OUTCOMES: 'http://x', APP_METRICS: 'yes' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems
      expect(problems.some((p) => p.startsWith('APP_DOWNLOAD_OUTCOMES: must be sqlite:<path> or a redis:// URL'))).toBe(true)
      expect(problems).toContain("APP_METRICS: must be 'on' or 'off'")
    }
  })
})

describe('issued-token records', () => {
  it('are purged an hour after issue, but never while a download server could still accept the link', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'issued-test-'))
    const db = openAppDatabase(path.join(dir, 'app.db'))
    try {
      let now = new Date(NOW)
      const issued = new IssuedTokenRepository(db)
      const fates = new LinkFates({ issued, outcomes: undefined, clock: () => now, logger: createLogger({ level: 'silent' }), ...DEFAULT_LINK_FATES, acceptedPastExpiryMs: 31_000 })
      issued.record({ jti: 'old'.padEnd(22, 'x'), userId: 1, fileId: 'f'.repeat(22), issuedAt: now, expiresAt: new Date(NOW + 300_000) })
      // A clock running backwards or a very long link: still acceptable, so kept.
      issued.record({ jti: 'long'.padEnd(22, 'x'), userId: 1, fileId: 'f'.repeat(22), issuedAt: now, expiresAt: new Date(NOW + 7200_000) })
      now = new Date(NOW + 3600_000 - 1)
      await fates.sweep()
      expect(issued.findByJti('old'.padEnd(22, 'x'))).toBeDefined()
      now = new Date(NOW + 3600_000 + 60_000)
      await fates.sweep()
      expect(issued.findByJti('old'.padEnd(22, 'x'))).toBeUndefined()
      expect(issued.findByJti('long'.padEnd(22, 'x'))).toBeDefined()
      await fates.close()
    } finally {
      db.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
