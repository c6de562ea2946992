import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SQLiteUsedTokenStore } from '../../../download-server/src/stores/sqlite-used-token-store.js'
import { auditEvents, fetchAll, readThenHangUp, waitForEvent } from '../support/deliveries.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

// DL_RESUME=on (CONTRACT §5): a token buys one complete delivery, resumable after an interruption.
// Short enough to outlast in a test, long enough that a busy machine's pauses do not cut deliveries.
const LEASE_MS = 1500
// Loopback sockets buffer up to ~36 MiB (tcp_rmem 32 MiB + tcp_wmem 4 MiB): whatever is left of a
// file when a client hangs up must be larger, or the kernel swallows it all and the server rightly
// counts the delivery complete. Half of SIZE is 48 MiB.
const SIZE = 96 * 1024 * 1024
// A delivery meant to stay running while a client holds it unread. Sparse, so it costs no disk.
const HUGE = 160 * 1024 * 1024
/** Every 4-byte word holds its own index, so a resumption at the wrong offset cannot match. */
function countingBytes(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  for (let i = 0; i < size / 4; i += 1) bytes.writeUInt32LE(i, i * 4)
  return bytes
}
let t: TestServer
let big: Buffer

beforeAll(async () => {
  t = await startTestServer({ env: { DL_RESUME: 'on', DL_RESUME_MAX: '2', DL_RESUME_LEASE_MS: String(LEASE_MS) } })
  big = countingBytes(SIZE)
  fs.writeFileSync(path.join(t.root, 'big.bin'), big)
  fs.closeSync(fs.openSync(path.join(t.root, 'huge.bin'), 'w'))
  fs.truncateSync(path.join(t.root, 'huge.bin'), HUGE)
})
afterAll(() => t.close())

const url = (token: string): string => `${t.url}/d/${token}`
const mint = (file = 'big.bin'): Promise<{ token: string; jti: string }> => t.issuer.signer.signDownload({ file })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const drain = async (body: AsyncIterable<Buffer>): Promise<number> => {
  let length = 0
  for await (const chunk of body) length += chunk.length
  return length
}

/** Starts a delivery and hangs up after `bytes`, then waits until the server has seen it end. */
async function interrupt(token: string, jti: string, bytes: number, headers: Record<string, string> = {}, nth = 1): Promise<Buffer> {
  const part = await readThenHangUp(url(token), bytes, headers)
  expect(part.status).toBeLessThan(300)
  await waitForEvent(t, jti, 'delivery.interrupted', nth)
  return part.received
}

describe('resumable single use (DL_RESUME=on)', () => {
  it('resumes a download cut off halfway with 206 for the rest: the bytes match, and the token is then spent', async () => {
    const { token, jti } = await mint()
    const first = await readThenHangUp(url(token), SIZE / 2)
    expect(first.status).toBe(200)
    const etag = first.headers.etag
    expect(etag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/)
    await waitForEvent(t, jti, 'delivery.interrupted')
    const n = first.received.length
    const rest = await fetchAll(url(token), { range: `bytes=${n}-`, 'if-range': String(etag) })
    expect(rest.status).toBe(206)
    expect(rest.headers['content-range']).toBe(`bytes ${n}-${SIZE - 1}/${SIZE}`)
    expect(rest.headers.etag).toBe(etag)
    expect(Buffer.concat([first.received, rest.body]).equals(big)).toBe(true)
    expect(await fetchAll(url(token))).toMatchObject({ status: 410, code: 'token_used' })
    await waitForEvent(t, jti, 'delivery.completed')
    expect(auditEvents(t, jti).map((line) => [line.event, line.outcome])).toEqual([
      ['delivery.claimed', 'first'],
      ['delivery.interrupted', 'client_gone'],
      ['delivery.claimed', 'resumption'],
      ['delivery.completed', 'completed'],
      ['token.refused', 'token_used'],
    ])
  })

  it('answers 410 token_used to every request after a delivery that completed at once', async () => {
    const { token } = await mint('report.bin')
    const whole = await fetchAll(url(token))
    expect(whole.status).toBe(200)
    expect(whole.body.equals(t.content)).toBe(true)
    expect(await fetchAll(url(token), { range: 'bytes=10-' })).toMatchObject({ status: 410, code: 'token_used' })
    expect((await request(url(token), { method: 'HEAD' })).statusCode).toBe(410)
  })

  it('serves an empty file once, then answers 410', async () => {
    const { token } = await mint('empty.txt')
    expect(await fetchAll(url(token))).toMatchObject({ status: 200, body: Buffer.alloc(0) })
    expect(await fetchAll(url(token))).toMatchObject({ status: 410, code: 'token_used' })
  })

  it('answers 409 token_in_use to GET and HEAD while a delivery runs, and 410 once it completed', async () => {
    const { token } = await mint('huge.bin')
    const running = await request(url(token))
    expect(running.statusCode).toBe(200)
    expect(await fetchAll(url(token))).toMatchObject({ status: 409, code: 'token_in_use' })
    expect(await fetchAll(url(token), { range: 'bytes=100-' })).toMatchObject({ status: 409, code: 'token_in_use' })
    expect((await request(url(token), { method: 'HEAD' })).statusCode).toBe(409)
    expect(await drain(running.body)).toBe(HUGE)
    expect(await fetchAll(url(token))).toMatchObject({ status: 410, code: 'token_used' })
  })

  it('lets exactly one of two racing resumptions stream; the other gets 409', async () => {
    const { token, jti } = await mint()
    const head = await interrupt(token, jti, 1024 * 1024)
    const range = { range: `bytes=${head.length}-` }
    const racers = await Promise.all([request(url(token), { headers: range }), request(url(token), { headers: range })])
    expect(racers.map((res) => res.statusCode).sort()).toEqual([206, 409])
    const [winner, loser] = racers[0]!.statusCode === 206 ? racers : [racers[1]!, racers[0]!]
    expect(((await loser!.body.json()) as { code: string }).code).toBe('token_in_use')
    const rest = Buffer.from(await winner!.body.arrayBuffer())
    expect(Buffer.concat([head, rest]).equals(big)).toBe(true)
  })

  it('grants DL_RESUME_MAX resumptions and answers the next 410 resume_limit; refused 409 and 416 spend none', async () => {
    const { token, jti } = await mint('huge.bin')
    await interrupt(token, jti, 1024 * 1024)
    // Refused requests: a range past the end (416) ...
    expect(await fetchAll(url(token), { range: `bytes=${HUGE}-` })).toMatchObject({ status: 416 })
    // ... and one made while the first resumption runs (409).
    const resumption = await request(url(token), { headers: { range: 'bytes=5-' } })
    expect(resumption.statusCode).toBe(206)
    expect(await fetchAll(url(token), { range: 'bytes=5-' })).toMatchObject({ status: 409, code: 'token_in_use' })
    resumption.body.destroy()
    await waitForEvent(t, jti, 'delivery.interrupted', 2)
    await interrupt(token, jti, 1024 * 1024, { range: 'bytes=7-' }, 3)
    expect(await fetchAll(url(token), { range: 'bytes=9-' })).toMatchObject({ status: 410, code: 'resume_limit' })
    expect((await request(url(token), { method: 'HEAD' })).statusCode).toBe(410)
    expect(auditEvents(t, jti).filter((line) => line.event === 'delivery.claimed').map((line) => line.resumptions)).toEqual([0, 1, 2])
  })

  it('answers a resumption without Range, or with an If-Range that does not match, with the whole file (200)', async () => {
    const plain = await mint()
    await interrupt(plain.token, plain.jti, 1024 * 1024)
    const whole = await fetchAll(url(plain.token))
    expect(whole.status).toBe(200)
    expect(whole.body.equals(big)).toBe(true)

    const stale = await mint()
    await interrupt(stale.token, stale.jti, 1024 * 1024)
    const again = await fetchAll(url(stale.token), { range: 'bytes=1000-', 'if-range': '"not-the-etag"' })
    expect(again.status).toBe(200)
    expect(again.body.equals(big)).toBe(true)
  })

  it('never answers 206 to a resumption once the file changed since the first delivery: the whole new file comes with 200', async () => {
    const file = path.join(t.root, 'changing.bin')
    fs.closeSync(fs.openSync(file, 'w'))
    fs.truncateSync(file, HUGE)
    const { token, jti } = await mint('changing.bin')
    const first = await readThenHangUp(url(token), 1024 * 1024)
    await waitForEvent(t, jti, 'delivery.interrupted')
    const replaced = randomBytes(5 * 1024 * 1024)
    fs.writeFileSync(file, replaced)
    const resumed = await fetchAll(url(token), { range: `bytes=${first.received.length}-` })
    expect(resumed.status).toBe(200)
    expect(resumed.headers.etag).not.toBe(first.headers.etag)
    expect(resumed.body.equals(replaced)).toBe(true)
  })

  it('leaves a token resumable after a range that stops short of the end, and completes it with the rest', async () => {
    const { token, jti } = await mint()
    const start = await fetchAll(url(token), { range: 'bytes=0-99' })
    expect(start.status).toBe(206)
    expect((await waitForEvent(t, jti, 'delivery.interrupted')).outcome).toBe('range_short')
    const rest = await fetchAll(url(token), { range: 'bytes=100-' })
    expect(rest.status).toBe(206)
    expect(Buffer.concat([start.body, rest.body]).equals(big)).toBe(true)
    expect(await fetchAll(url(token))).toMatchObject({ status: 410, code: 'token_used' })
  })

  it('renews the lease of a delivery that outlasts it, so no other request gets in meanwhile', async () => {
    const { token, jti } = await mint('huge.bin')
    const running = await request(url(token))
    const reader = running.body[Symbol.asyncIterator]()
    let received = ((await reader.next()).value as Buffer).length
    for (let i = 0; i < 2; i += 1) {
      await sleep(LEASE_MS * 1.2)
      expect(await fetchAll(url(token), { range: 'bytes=0-' })).toMatchObject({ status: 409, code: 'token_in_use' })
    }
    for (let next = await reader.next(); next.done !== true; next = await reader.next()) received += (next.value as Buffer).length
    expect(received).toBe(HUGE)
    expect((await waitForEvent(t, jti, 'delivery.completed')).bytesSent).toBe(HUGE)
  })
})

describe('revocation with resumable deliveries', () => {
  const revoke = async (jtis: string[]): Promise<unknown> => {
    const res = await request(`${t.url}/revoke`, { method: 'POST', body: (await t.issuer.signer.signRevocation({ revoke: jtis })).token })
    return res.body.json()
  }

  it('refuses with 410 token_revoked to resume an interrupted delivery revoked since', async () => {
    const { token, jti } = await mint()
    await interrupt(token, jti, 1024 * 1024)
    expect(await revoke([jti])).toEqual({ revoked: 1 })
    expect(await fetchAll(url(token), { range: 'bytes=1024-' })).toMatchObject({ status: 410, code: 'token_revoked' })
  })

  it('lets a delivery that was running when its token was revoked finish', async () => {
    const { token, jti } = await mint('huge.bin')
    const running = await request(url(token))
    expect(running.statusCode).toBe(200)
    expect(await revoke([jti])).toEqual({ revoked: 1 })
    expect(await drain(running.body)).toBe(HUGE)
    await waitForEvent(t, jti, 'delivery.completed')
    expect(await fetchAll(url(token))).toMatchObject({ status: 410, code: 'token_used' })
  })
})

describe('real curl', () => {
  it('resumes with `curl -C -` a download whose first curl was killed midway', async () => {
    const { token, jti } = await mint()
    const out = path.join(t.dir, 'curl-out.bin')
    const first = spawn('curl', ['--silent', '--limit-rate', '2M', '--output', out, url(token)], { stdio: 'ignore' })
    const exited = new Promise((resolve) => first.once('exit', resolve))
    try {
      await expect.poll(() => (fs.existsSync(out) ? fs.statSync(out).size : 0), { timeout: 10_000, interval: 20 }).toBeGreaterThan(512 * 1024)
    } finally {
      // Killed here on failure too: at 2 MB/s it would otherwise run on for most of a minute.
      first.kill('SIGKILL')
    }
    await exited
    await waitForEvent(t, jti, 'delivery.interrupted')
    const kept = fs.statSync(out).size
    expect(kept).toBeLessThan(SIZE)

    const second = spawn('curl', ['--silent', '--show-error', '--fail', '--continue-at', '-', '--output', out, url(token)], { stdio: 'ignore' })
    expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(0)
    expect(fs.readFileSync(out).equals(big)).toBe(true)
    const resumed = auditEvents(t, jti).filter((line) => line.event === 'delivery.claimed')
    expect(resumed.map((line) => line.outcome)).toEqual(['first', 'resumption'])
    expect((await waitForEvent(t, jti, 'delivery.completed')).bytesSent).toBe(SIZE - kept)
  })
})

describe('the outcome record', () => {
  it('tells from the store which token completed, which was interrupted and which was revoked, with bytes sent', async () => {
    const done = await mint('report.bin')
    await fetchAll(url(done.token))
    await waitForEvent(t, done.jti, 'delivery.completed')
    const cut = await mint()
    await interrupt(cut.token, cut.jti, 1024 * 1024)
    const revoked = await mint()
    await request(`${t.url}/revoke`, { method: 'POST', body: (await t.issuer.signer.signRevocation({ revoke: [revoked.jti] })).token })
    const bytesCut = (await waitForEvent(t, cut.jti, 'delivery.interrupted')).bytesSent!

    const reader = new SQLiteUsedTokenStore(new Database(path.join(t.dir, 'used.db')))
    try {
      expect(await reader.getOutcome(done.jti)).toMatchObject({ status: 'completed', bytes: t.content.length, resumptions: 0 })
      expect(await reader.getOutcome(cut.jti)).toMatchObject({ status: 'interrupted', resumable: true, bytes: bytesCut })
      expect(bytesCut).toBeGreaterThanOrEqual(1024 * 1024)
      expect(await reader.getOutcome(revoked.jti)).toMatchObject({ status: 'revoked', bytes: 0 })
      expect(await reader.getOutcome((await mint()).jti)).toBeUndefined()
    } finally {
      await reader.close()
    }
  })

  it('never logs a token, nor a URL with one', () => {
    const text = t.logs.join('')
    expect(text).not.toContain('v4.public')
    expect(text).not.toContain('/d/v')
  })
})
