import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAppDatabase } from '../../../app-server/src/db/open-app-database.js'
import type { AppDatabase } from '../../../app-server/src/db/open-app-database.js'
import { createLogger } from '../../../app-server/src/logging/create-logger.js'
import { backoffDelay } from '../../../app-server/src/revocation/backoff.js'
import { IssuedTokenRepository } from '../../../app-server/src/revocation/issued-token-repository.js'
import { createRevocationClient } from '../../../app-server/src/revocation/revocation-client.js'
import { createRevocationMetrics } from '../../../app-server/src/revocation/revocation-metrics.js'
import type { RevocationMetrics } from '../../../app-server/src/revocation/revocation-metrics.js'
import { RevocationOutbox } from '../../../app-server/src/revocation/revocation-outbox.js'
import { DEFAULT_REVOCATION_TUNING, RevocationWorker } from '../../../app-server/src/revocation/revocation-worker.js'
import { createKeySet, createTokenSigner, createTokenVerifier, generateSecretKey } from '../../../shared/src/index.js'
import { LogCollector } from '../support/app-harness.js'
import { waitFor } from '../support/download-servers.js'

// The outbox worker on a real app.db (SQLite) against a real loopback HTTP server standing in
// for POST /revoke, so that each answer (503, 401, silence) can be chosen; the clock is injected.

const key = generateSecretKey()
const signer = createTokenSigner({ key, issuer: 'http://app.test', audience: 'http://dl.test' })
const verifier = createTokenVerifier({ keys: createKeySet([key.publicKey]), issuer: 'http://app.test', audience: 'http://dl.test', clockToleranceSeconds: 0 })
const T0 = new Date('2030-01-01T00:00:00Z')

type Handler = (body: string, res: http.ServerResponse) => void
let handler: Handler
const received: string[] = []
const server = http.createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => (body += chunk))
  req.on('end', () => {
    received.push(body)
    handler(body, res)
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const answer = (status: number, json: unknown): Handler => (_body, res) => {
  res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'application/problem+json' }).end(JSON.stringify(json))
}
const revokedCount: Handler = (body, res) => {
  const payload = JSON.parse(Buffer.from(body.split('.')[2] as string, 'base64url').subarray(0, -64).toString()) as { revoke: string[] }
  answer(200, { revoked: payload.revoke.length })(body, res)
}

let dir: string
let db: AppDatabase
let now: Date
let logs: LogCollector
let metrics: RevocationMetrics
const workers: RevocationWorker[] = []
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-test-'))
  db = openAppDatabase(path.join(dir, 'app.db'))
  now = T0
  logs = new LogCollector()
  metrics = createRevocationMetrics()
  received.length = 0
  handler = revokedCount
})
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()))
  db.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function worker(options: { db?: AppDatabase; timeoutMs?: number } = {}): RevocationWorker {
  const on = options.db ?? db
  const client = createRevocationClient({ baseURL, fetch: globalThis.fetch, timeoutMs: options.timeoutMs ?? 2000 })
  const w = new RevocationWorker({
    outbox: new RevocationOutbox(on),
    issued: new IssuedTokenRepository(on),
    signRevocation: (revoke, at) => signer.signRevocation({ revoke }, { now: at }),
    send: (token, signal) => client.send(token, signal),
    clock: () => now,
    random: () => 0.5,
    logger: createLogger({ level: 'debug', destination: logs }),
    metrics,
    tuning: { ...DEFAULT_REVOCATION_TUNING, backoff: { baseMs: 1000, maxMs: 8000 }, pollMs: 60_000 },
  })
  workers.push(w)
  return w
}
const newJti = (): string => randomBytes(16).toString('base64url')
function enqueue(count: number, deliverUntil = new Date(now.getTime() + 330_000)): string[] {
  const jtis = Array.from({ length: count }, newJti)
  new RevocationOutbox(db).enqueue(jtis.map((jti) => ({ jti, deliverUntil })), now)
  return jtis
}
const outboxRows = (): { jti: string; attempts: number; next_attempt_at: number; claimed_until: number }[] =>
  db.prepare('SELECT jti, attempts, next_attempt_at, claimed_until FROM revocation_outbox').all() as never
const later = (ms: number): void => {
  now = new Date(now.getTime() + ms)
}
const counter = async (name: 'attempts' | 'ids', outcome: string): Promise<number> =>
  (await metrics[name].get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0

describe('revocation outbox worker', () => {
  it('sends at most 1000 ids per revocation token, each a fresh jti living at most 60 s, and empties the outbox', async () => {
    const jtis = enqueue(2500)
    await worker().kick()
    expect(received).toHaveLength(3)
    const claims = await Promise.all(received.map(async (t) => (await verifier.verifyRevocation(t, { now })).claims))
    expect(claims.map((c) => c.revoke.length).sort()).toEqual([1000, 1000, 500])
    expect(new Set(claims.flatMap((c) => c.revoke))).toEqual(new Set(jtis))
    expect(new Set(claims.map((c) => c.jti)).size).toBe(3)
    for (const c of claims) expect(c.exp.getTime() - c.iat.getTime()).toBeLessThanOrEqual(60_000)
    expect(outboxRows()).toEqual([])
    expect(await counter('ids', 'delivered')).toBe(2500)
  })

  it('retries a failed delivery with growing, jittered delays and a fresh token each time', async () => {
    handler = answer(503, { code: 'store_unavailable' })
    const w = worker()
    enqueue(1)
    const delays: number[] = []
    for (let i = 0; i < 4; i++) {
      await w.kick()
      const [row] = outboxRows()
      delays.push((row?.next_attempt_at ?? 0) - now.getTime())
      // Not due yet: a kick sends nothing.
      await w.kick()
      later(delays[i] as number)
    }
    expect(received).toHaveLength(4)
    expect(new Set(received).size).toBe(4)
    // random() = 0.5: three quarters of min(max, base · 2^(n-1)).
    expect(delays).toEqual([750, 1500, 3000, 6000])
    expect(outboxRows()[0]?.attempts).toBe(4)
    expect(await counter('attempts', 'unavailable')).toBe(4)
    expect(logs.text).toContain('"failuresTotal":4')
  })

  it('stops retrying once the tokens have expired: drops the ids, logs and counts them', async () => {
    handler = answer(503, { code: 'store_unavailable' })
    const w = worker()
    const deliverUntil = new Date(now.getTime() + 10_000)
    const jtis = enqueue(3, deliverUntil)
    await w.kick()
    later(5_000)
    await w.kick()
    expect(received).toHaveLength(2)
    now = deliverUntil
    await w.kick()
    later(60_000)
    await w.kick()
    expect(received).toHaveLength(2)
    expect(outboxRows()).toEqual([])
    expect(await counter('ids', 'expired')).toBe(3)
    const line = logs.text.split('\n').find((l) => l.includes('stopped retrying')) ?? ''
    expect(JSON.parse(line)).toMatchObject({ level: 50, ids: 3, jtis: expect.arrayContaining(jtis) })
  })

  it('logs a refusal (e.g. an untrusted key) as an error with its problem code, and keeps retrying', async () => {
    handler = answer(401, { code: 'key_unknown' })
    enqueue(1)
    await worker().kick()
    const line = JSON.parse(logs.text.split('\n').find((l) => l.includes('refused a revocation')) ?? '{}') as Record<string, unknown>
    expect(line).toMatchObject({ level: 50, status: 401, code: 'key_unknown', attempt: 1 })
    expect(outboxRows()[0]?.attempts).toBe(1)
    expect(await counter('attempts', 'refused')).toBe(1)
  })

  it('two app processes on one app.db send every id, and no id twice, when the server is slow', async () => {
    handler = (body, res) => setTimeout(() => revokedCount(body, res), 100)
    const second = openAppDatabase(path.join(dir, 'app.db'))
    try {
      const jtis = enqueue(1500)
      const a = worker({})
      const b = worker({ db: second })
      await Promise.all([a.kick(), b.kick(), a.kick(), b.kick()])
      const sent = received.map((t) => JSON.parse(Buffer.from(t.split('.')[2] as string, 'base64url').subarray(0, -64).toString()) as { revoke: string[] }).flatMap((p) => p.revoke)
      expect(sent.sort()).toEqual([...jtis].sort())
      expect(outboxRows()).toEqual([])
    } finally {
      await Promise.all(workers.splice(0).map((w) => w.close()))
      second.close()
    }
  })

  it('close() aborts a send in flight at once and leaves the ids queued, unclaimed, for the next start', async () => {
    handler = () => {}
    const w = worker({ timeoutMs: 30_000 })
    const [jti] = enqueue(1)
    void w.kick()
    await waitFor(() => received.length === 1, 10_000, 'the request')
    const started = performance.now()
    await w.close()
    // Far below the 30 s request timeout it would otherwise wait for; loose for a loaded machine.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(outboxRows()).toEqual([{ jti, attempts: 0, next_attempt_at: now.getTime(), claimed_until: 0 }])
    handler = revokedCount
    await worker().kick()
    expect(outboxRows()).toEqual([])
  })
})

describe('backoff', () => {
  it('doubles from the base up to the maximum, with a jitter between half and all of it', () => {
    const o = { baseMs: 500, maxMs: 30_000 }
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => backoffDelay(n, o, () => 0.999999))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000])
    expect([1, 2, 3].map((n) => backoffDelay(n, o, () => 0))).toEqual([250, 500, 1000])
  })
})
