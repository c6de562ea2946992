import net from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { startTestServer, type TestServer } from '../support/test-server.js'

// Files are written straight to Node's response, beside the HTTP adapter (server.ts hands the
// adapter its "already sent" marker). An adapter that tried to write the head a second time
// would report it on the console (and could tear the connection down): neither may happen.
let t: TestServer
let consoleError: MockInstance<typeof console.error>
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.close())
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error')
})
afterEach(() => {
  expect(consoleError).not.toHaveBeenCalled()
  consoleError.mockRestore()
})

interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

/** Sends each request on ONE TCP connection, one after the other, and reads each response whole. */
async function onOneConnection(paths: readonly string[], method = 'GET'): Promise<RawResponse[]> {
  const { hostname, port } = new URL(t.url)
  const socket = net.connect(Number(port), hostname)
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let buffered = Buffer.alloc(0)
  let wake: (() => void) | undefined
  let closed = false
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    wake?.()
  })
  socket.on('close', () => {
    closed = true
    wake?.()
  })
  const more = (): Promise<void> => {
    if (closed) throw new Error(`connection closed early; unread: ${buffered.toString('latin1').slice(0, 200)}`)
    return new Promise((resolve) => (wake = resolve))
  }
  const responses: RawResponse[] = []
  try {
    for (const path of paths) {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`)
      let end: number
      while ((end = buffered.indexOf('\r\n\r\n')) === -1) await more()
      const [statusLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n')
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      const length = method === 'HEAD' ? 0 : Number(headers['content-length'] ?? 0)
      while (buffered.length < end + 4 + length) await more()
      responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: buffered.subarray(end + 4, end + 4 + length) })
      buffered = buffered.subarray(end + 4 + length)
    }
    // Nothing extra may follow the last response (a second head would).
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(buffered.toString('latin1')).toBe('')
  } finally {
    socket.destroy()
  }
  return responses
}

describe('responses on one keep-alive connection', () => {
  it('carries several file downloads, refusals and health checks in a row, each whole and nothing more', async () => {
    const first = (await t.issuer.signer.signDownload({ file: 'report.bin' })).token
    const second = (await t.issuer.signer.signDownload({ file: 'sub/ünïcode näme.txt' })).token
    const responses = await onOneConnection([`/d/${first}`, `/d/${first}`, '/healthz', `/d/${second}`, '/nowhere', `/d/${second}`])
    expect(responses.map((res) => res.status)).toEqual([200, 410, 200, 200, 404, 410])
    expect(responses[0]!.body.equals(t.content)).toBe(true)
    expect(responses[3]!.body.toString()).toBe('hello unicode\n')
    // The file responses keep the security headers added around the route.
    expect(responses[0]!.headers['x-frame-options']).toBe('DENY')
    expect(responses[0]!.headers['content-security-policy']).toBe("default-src 'none'; sandbox")
  })

  it('answers HEAD for a file with its headers and no body, then serves the next request', async () => {
    const token = (await t.issuer.signer.signDownload({ file: 'report.bin' })).token
    const [head] = await onOneConnection([`/d/${token}`], 'HEAD')
    expect(head!.status).toBe(200)
    expect(head!.headers['content-length']).toBe(String(t.content.length))
    const [get] = await onOneConnection([`/d/${token}`])
    expect(get!.status).toBe(200)
  })
})
