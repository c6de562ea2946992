import fs from 'node:fs'
import http from 'node:http'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendFile, type SendFileOptions, type SendFileResult } from '../../../download-server/src/files/send-file.js'
import { openDescriptorsOf, writeSendFileFixtures } from '../support/file-fixtures.js'
import { closeServer, listenOnLoopback } from '../support/loopback-server.js'

// The options resumable delivery relies on: the last-byte gate, a cut by signal, an idle cut.
const BIG = 128 * 1024 * 1024
let dir: string
let bigFile: string
let smallFile: string
let server: http.Server
let base: string
let next: { file: string; options: Partial<SendFileOptions>; result?: Promise<SendFileResult> }

beforeAll(async () => {
  ;({ dir, bigFile, smallFile } = writeSendFileFixtures('dl-send-gate-', BIG))
  server = http.createServer((_req, res) => {
    const { file, options } = next
    const size = fs.statSync(file).size
    next.result = sendFile(res, fs.openSync(file, 'r'), { status: 200, headers: { 'content-length': String(size) }, start: 0, end: size - 1, ...options })
  })
  base = await listenOnLoopback(server)
})
afterAll(async () => {
  await closeServer(server)
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Reads a response body until it ends or breaks; returns what arrived and whether it ended cleanly. */
async function receive(url: string, onChunk: (received: number) => void = () => {}): Promise<{ body: Buffer; clean: boolean }> {
  const chunks: Buffer[] = []
  try {
    const res = await request(url)
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer)
      onChunk(Buffer.concat(chunks).length)
    }
    return { body: Buffer.concat(chunks), clean: true }
  } catch {
    return { body: Buffer.concat(chunks), clean: false }
  }
}

describe('sendFile before the last byte', () => {
  it('holds the last byte back until the gate opens, then sends it and completes', async () => {
    let open!: (value: boolean) => void
    const gate = new Promise<boolean>((resolve) => (open = resolve))
    let asked = 0
    let seenWhileAsked = -1
    let received = 0
    next = {
      file: smallFile,
      options: {
        beforeLastByte: () => {
          asked += 1
          // Let the bytes before it arrive, then look at what the client holds.
          setTimeout(() => {
            seenWhileAsked = received
            open(true)
          }, 100)
          return gate
        },
      },
    }
    const got = await receive(base, (count) => (received = count))
    expect(asked).toBe(1)
    expect(seenWhileAsked).toBe(9)
    expect(got).toEqual({ body: Buffer.from('0123456789'), clean: true })
    expect(await next.result).toEqual({ bytesSent: 10, completed: true })
    expect(openDescriptorsOf(smallFile)).toBe(0)
  })

  it('cuts the response without the last byte when the gate refuses', async () => {
    next = { file: smallFile, options: { beforeLastByte: async () => false } }
    const got = await receive(base)
    expect(got.clean).toBe(false)
    expect(got.body.toString()).toBe('012345678')
    expect(await next.result).toMatchObject({ completed: false, cut: 'last-byte-refused' })
    expect(openDescriptorsOf(smallFile)).toBe(0)
  })
})

describe('sendFile cut from this side', () => {
  it('cuts the response when its signal aborts, and closes the file', async () => {
    const controller = new AbortController()
    next = { file: bigFile, options: { signal: controller.signal } }
    const res = await request(base)
    const reader = res.body[Symbol.asyncIterator]()
    await reader.next()
    controller.abort()
    await expect(
      (async () => {
        for (let chunk = await reader.next(); chunk.done !== true; chunk = await reader.next());
      })(),
    ).rejects.toThrow()
    const result = await next.result!
    expect(result).toMatchObject({ completed: false, cut: 'aborted' })
    expect(result.bytesSent).toBeLessThan(BIG)
    expect(openDescriptorsOf(bigFile)).toBe(0)
  })

  it('sends nothing when its signal aborted before the response started', async () => {
    next = { file: smallFile, options: { signal: AbortSignal.abort() } }
    await expect(request(base).then((res) => res.body.text())).rejects.toThrow()
    expect(await next.result).toEqual({ bytesSent: 0, completed: false, cut: 'aborted' })
    expect(openDescriptorsOf(smallFile)).toBe(0)
  })

  it('cuts a response whose client has taken nothing for the idle time', async () => {
    next = { file: bigFile, options: { idleTimeoutMs: 300 } }
    const res = await request(base)
    const result = await next.result!
    expect(result).toMatchObject({ completed: false, cut: 'idle' })
    res.body.destroy()
    expect(openDescriptorsOf(bigFile)).toBe(0)
  })
})
