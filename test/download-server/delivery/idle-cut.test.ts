import path from 'node:path'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeSparseFile } from '../support/file-fixtures.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

// DL_RESUME=off: a client that stops reading must not hold its connection and open file for
// ever; the server cuts it after the idle timeout (30 s by default, 300 ms here) and says so.

const BIG = 64 * 1024 * 1024
let t: TestServer
beforeAll(async () => {
  t = await startTestServer({ env: { DL_RESUME: 'off' }, idleTimeoutMs: 300 })
  writeSparseFile(path.join(t.root, 'big.bin'), BIG)
})
afterAll(() => t.close())

describe('a single-use download whose client stops reading', () => {
  it('is cut after the idle timeout, and the audit trail records outcome idle', async () => {
    const token = await t.issuer.token({ file: 'big.bin' })
    const { port } = new URL(t.url)
    const socket = net.connect(Number(port), '127.0.0.1')
    let received = 0
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    let reading = true
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      // Some bytes, then nothing more is read: the kernel's buffers fill and the server stalls.
      if (reading) socket.pause()
      reading = false
    })
    socket.write(`GET /d/${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    await new Promise((resolve) => socket.once('data', resolve))
    const paused = performance.now()
    // The server's own account of the cut (a paused client would not see the connection close).
    await expect
      .poll(() => t.logs.some((line) => line.includes('"delivery.interrupted"') && line.includes('"outcome":"idle"')), { timeout: 8000, interval: 50 })
      .toBe(true)
    expect(performance.now() - paused).toBeLessThan(5_000)
    // Read what was already on its way: the connection ends short of the whole file.
    socket.resume()
    await closed
    expect(received).toBeLessThan(BIG)
  })
})
