/**
 * Read buffers of one size, reused once the socket is done with them. A large download reads
 * CHUNK_SIZE (send-file.ts) at a time; allocating each chunk afresh makes V8 count a gigabyte of external memory per
 * gigabyte sent, and once some of those buffers survive into the old generation its heuristics
 * run a major GC dozens of times a second (docs/benchmarks.md). Reused buffers keep that flat.
 *
 * A buffer goes back to the pool only from a write's callback, i.e. once Node no longer holds it;
 * one that never comes back (a destroyed socket) is simply collected.
 */
export class BufferPool {
  readonly size: number
  readonly #free: Buffer[] = []
  readonly #keep: number

  constructor(options: { size: number; keep: number }) {
    if (!Number.isSafeInteger(options.size) || options.size <= 0) throw new TypeError('"size" must be a positive integer')
    if (!Number.isSafeInteger(options.keep) || options.keep < 0) throw new TypeError('"keep" must be a non-negative integer')
    this.size = options.size
    this.#keep = options.keep
  }

  acquire(): Buffer {
    // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared 8 KiB pool.
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size)
  }

  release(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.#keep) this.#free.push(buffer)
  }
}
