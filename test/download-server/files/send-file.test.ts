import fs from 'node:fs'
import http from 'node:http'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendFile, type SendFileResult } from '../../../download-server/src/files/send-file.js'
import { openDescriptorsOf, writeSendFileFixtures } from '../support/file-fixtures.js'
import { closeServer, listenOnLoopback } from '../support/loopback-server.js'

const BIG = 128 * 1024 * 1024
let dir: string
let bigFile: string
let smallFile: string
let server: http.Server
let base: string
let results: Array<Promise<SendFileResult>> = []
const responses: http.ServerResponse[] = []

beforeAll(async () => {
  ;({ dir, bigFile, smallFile } = writeSendFileFixtures('dl-send-', BIG))
  server = http.createServer((req, res) => {
    responses.push(res)
    const file = req.url === '/big' ? bigFile : smallFile
    const size = fs.statSync(file).size
    const [start, end] = req.url === '/range' ? [2, 5] : [0, size - 1]
    results.push(
      sendFile(res, fs.openSync(file, 'r'), { status: req.url === '/range' ? 206 : 200, headers: { 'content-length': String(end - start + 1) }, start, end }),
    )
  })
  base = await listenOnLoopback(server)
})
afterAll(async () => {
  await closeServer(server)
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('sendFile', () => {
  it('sends the asked bytes and reports a completed response', async () => {
    results = []
    const res = await request(`${base}/range`)
    expect(await res.body.text()).toBe('2345')
    expect(await results[0]).toEqual({ bytesSent: 4, completed: true })
    expect(openDescriptorsOf(smallFile)).toBe(0)
  })

  it('stops reading and closes the file when the client disconnects mid-download', async () => {
    results = []
    const res = await request(`${base}/big`)
    for await (const chunk of res.body) {
      expect(chunk.length).toBeGreaterThan(0)
      break // leaving the loop destroys the body, which closes the connection
    }
    const result = await results[0]!
    expect(result.completed).toBe(false)
    expect(result.bytesSent).toBeLessThan(BIG / 2)
    expect(openDescriptorsOf(bigFile)).toBe(0)
  })

  it('stops reading ahead while the client does not read (backpressure), then sends every byte', async () => {
    results = []
    const res = await request(`${base}/big`)
    const outgoing = responses.at(-1)!
    await new Promise((resolve) => setTimeout(resolve, 300))
    // Without backpressure the whole file would be read into the response's buffer by now.
    const handedOut = (outgoing.socket?.bytesWritten ?? 0) + outgoing.writableLength
    expect(handedOut).toBeLessThan(32 * 1024 * 1024)
    expect(outgoing.writableLength).toBeLessThanOrEqual(2 * 1024 * 1024)
    let received = 0
    for await (const chunk of res.body) received += (chunk as Buffer).length
    expect(received).toBe(BIG)
    expect(await results[0]).toEqual({ bytesSent: BIG, completed: true })
  })
})
