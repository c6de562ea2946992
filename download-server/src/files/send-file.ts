import fs from 'node:fs'
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import type { BufferPool } from './buffer-pool.js'

export interface SendFileOptions {
  status: 200 | 206
  headers: OutgoingHttpHeaders
  /** First and last byte to send, inclusive; `end < start` sends no body. */
  start: number
  end: number
  /** Aborting cuts the response where it is (its delivery lost the token's lease). */
  signal?: AbortSignal
  /** Cut the response when the client has taken nothing for this long. */
  idleTimeoutMs?: number
  /**
   * Asked before the range's last byte is sent (for an empty range, before the response ends);
   * resolving false cuts the response without it. The hook to commit a completion durably before
   * the client can hold the whole file.
   */
  beforeLastByte?: () => Promise<boolean>
  /** Where the read buffers (CHUNK_SIZE) come from; without one, each chunk gets a fresh buffer. */
  buffers?: BufferPool
}

export interface SendFileResult {
  /** Bytes handed to the socket (all of them when `completed`). */
  bytesSent: number
  /** The response ended normally with every byte asked for; false when the client went away or a read failed. */
  completed: boolean
  /** Why an incomplete response ended, when this side ended it. */
  cut?: 'aborted' | 'idle' | 'last-byte-refused'
}

/**
 * 256 KiB reads, measured (docs/benchmarks.md): a chunk that stays in the CPU's cache between its
 * read and its socket write costs less per byte than 1 MiB (0.45–0.57 against 0.72–0.85
 * CPU-seconds per GiB here), and far less than the 64 KiB default's per-chunk overhead.
 */
export const CHUNK_SIZE = 256 * 1024
/**
 * Up to this size a body is read in one synchronous `pread` and written in one `end()`: for a
 * small file the thread-pool round trips and stream machinery cost far more than the read.
 */
export const SMALL_BODY_LIMIT = 64 * 1024

const read = promisify(fs.read)

/**
 * Writes the status, headers and bytes `start..end` of the open file `fd` straight to Node's
 * response, with backpressure, so memory stays flat whatever the file's size. Always closes
 * `fd`. Resolves when the response is over, however it ended; never rejects for a client's sake.
 *
 * It writes to the `ServerResponse` rather than returning a web `ReadableStream`, which
 * @hono/node-server would copy chunk by chunk through `Readable.toWeb` at a fraction of the speed.
 */
export async function sendFile(outgoing: ServerResponse, fd: number, options: SendFileOptions): Promise<SendFileResult> {
  let cut: SendFileResult['cut']
  const cutWith = (reason: NonNullable<SendFileResult['cut']>): void => {
    cut ??= reason
    outgoing.destroy()
  }
  let result: SendFileResult
  const onAbort = (): void => cutWith('aborted')
  try {
    if (options.signal?.aborted === true) {
      // Lost before the first byte (the lease lapsed while the response was being prepared).
      cutWith('aborted')
      return { bytesSent: 0, completed: false, cut }
    }
    if (options.idleTimeoutMs !== undefined) outgoing.setTimeout(options.idleTimeoutMs, () => cutWith('idle'))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    result = await send(outgoing, fd, options, () => cutWith('last-byte-refused'))
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    closeQuietly(fd)
  }
  return cut === undefined ? result : { ...result, completed: false, cut }
}

async function send(outgoing: ServerResponse, fd: number, options: SendFileOptions, refuseLastByte: () => void): Promise<SendFileResult> {
  const length = Math.max(0, options.end - options.start + 1)
  const gate = options.beforeLastByte
  if (gate === undefined && length <= SMALL_BODY_LIMIT) {
    const body = readAllSync(fd, length, options.start)
    if (body === undefined) return broken(outgoing, 0)
    outgoing.writeHead(options.status, options.headers)
    outgoing.end(body)
    return { bytesSent: length, completed: await ended(outgoing) }
  }
  // With a gate, the last byte is read now and held back; the body stops one byte short.
  let held: Buffer | undefined
  if (gate !== undefined && length > 0) {
    held = readAllSync(fd, 1, options.end)
    if (held === undefined) return broken(outgoing, 0)
  }
  outgoing.writeHead(options.status, options.headers)
  const streamed = await stream(outgoing, fd, options.start, length - (held?.length ?? 0), options.buffers, gate !== undefined)
  if (!streamed.ok) return { bytesSent: streamed.handed, completed: false }
  if (gate !== undefined && (outgoing.destroyed || !(await gate()))) {
    if (!outgoing.destroyed) refuseLastByte()
    return { bytesSent: handedOf(outgoing, streamed.written), completed: false }
  }
  outgoing.end(held)
  const completed = await ended(outgoing)
  return { bytesSent: completed ? length : handedOf(outgoing, streamed.written), completed }
}

/**
 * Reads `length` bytes from `position` in chunks and writes them, waiting for `drain` whenever
 * the socket's buffer is full. Stops when the response is destroyed (client gone, or cut). With
 * `flushFirst`, resolves only once the last chunk has left Node's buffer for the socket.
 */
async function stream(
  outgoing: ServerResponse,
  fd: number,
  position: number,
  length: number,
  pool: BufferPool | undefined,
  flushFirst: boolean,
): Promise<{ ok: true; written: number } | { ok: false; handed: number }> {
  let written = 0
  let onLastFlushed: (() => void) | undefined
  const lastFlushed = flushFirst
    ? new Promise<boolean>((resolve) => {
        onLastFlushed = () => resolve(true)
        outgoing.once('close', () => resolve(false))
      })
    : undefined
  while (written < length) {
    if (outgoing.destroyed) return { ok: false, handed: handedOf(outgoing, written) }
    const buffer = pool?.acquire() ?? Buffer.allocUnsafeSlow(CHUNK_SIZE)
    let bytesRead: number
    try {
      ;({ bytesRead } = await read(fd, buffer, 0, Math.min(buffer.length, length - written), position + written))
    } catch {
      bytesRead = 0
    }
    // A read error or a file that shrank: the promised length cannot be sent.
    if (bytesRead === 0) {
      pool?.release(buffer)
      return { ok: false, handed: broken(outgoing, handedOf(outgoing, written)).bytesSent }
    }
    // Cut or gone while the read ran: nothing more goes out.
    if (outgoing.destroyed) return { ok: false, handed: handedOf(outgoing, written) }
    written += bytesRead
    const chunk = bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)
    const last = written === length
    const more = outgoing.write(chunk, () => {
      pool?.release(buffer)
      if (last) onLastFlushed?.()
    })
    if (!more && !(await drained(outgoing))) return { ok: false, handed: handedOf(outgoing, written) }
  }
  // Before a gate is asked, the bytes before it must have reached the socket, not Node's buffer.
  if (lastFlushed !== undefined && written > 0 && !(await lastFlushed)) return { ok: false, handed: handedOf(outgoing, written) }
  return { ok: true, written }
}

/** Reads exactly `length` bytes at `position`, or undefined when the file ends first or cannot be read. */
function readAllSync(fd: number, length: number, position: number): Buffer | undefined {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  try {
    while (filled < length) {
      const bytesRead = fs.readSync(fd, buffer, filled, length - filled, position + filled)
      if (bytesRead === 0) return undefined
      filled += bytesRead
    }
  } catch {
    return undefined
  }
  return buffer
}

/** The response cannot be completed: cut it, so the client sees a broken body rather than a short one. */
function broken(outgoing: ServerResponse, handed: number): SendFileResult {
  outgoing.destroy()
  return { bytesSent: handed, completed: false }
}

/** Bytes written that have left Node's own buffer for the socket. */
function handedOf(outgoing: ServerResponse, written: number): number {
  return Math.max(0, written - outgoing.writableLength)
}

function drained(outgoing: ServerResponse): Promise<boolean> {
  if (outgoing.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onDrain = (): void => {
      outgoing.off('close', onClose)
      resolve(true)
    }
    const onClose = (): void => {
      outgoing.off('drain', onDrain)
      resolve(false)
    }
    outgoing.once('drain', onDrain)
    outgoing.once('close', onClose)
  })
}

function ended(outgoing: ServerResponse): Promise<boolean> {
  if (outgoing.writableFinished) return Promise.resolve(true)
  if (outgoing.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    outgoing.once('finish', () => resolve(true))
    outgoing.once('close', () => resolve(outgoing.writableFinished))
  })
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd)
  } catch {
    // Already closed is the only way this fails, and nothing is left to release then.
  }
}
