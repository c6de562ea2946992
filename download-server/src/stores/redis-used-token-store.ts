import { createHash } from 'node:crypto'
import type { RedisClientType } from 'redis'
import * as core from '../delivery/token-state.js'
import { CONSUMED_RECORD, CONSUMED_RECORD_TEXT, parseTokenRecord, serializeTokenRecord, type TokenRecord } from '../delivery/token-state.js'
import { COMPARE_AND_SET_SCRIPT, READ_SCRIPT } from './redis-scripts.js'
import { TokenRecordStore, type RecordStep } from './token-record-store.js'
import type { ConsumeResult } from './used-token-store.js'

/** What the store needs of a node-redis client (a `createClient()` result fits). */
export type RedisCommandClient = Pick<RedisClientType, 'sendCommand' | 'close' | 'destroy' | 'isOpen'>

export interface RedisUsedTokenStoreOptions {
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix?: string
  /** A command not answered within this time fails (the request gets 503) instead of waiting. */
  commandTimeoutMs?: number
  /** Current time; a record is kept for `expiresAt - now` by Redis's own clock. */
  clock?: () => Date
}

// A step whose keys keep changing under it gives up (503) rather than loop; in practice a retry
// is needed only when two requests race for one id, and the second attempt settles it.
const MAX_ATTEMPTS = 10

interface Script {
  text: string
  sha: string
}

const script = (text: string): Script => ({ text, sha: createHash('sha1').update(text).digest('hex') })
const READ = script(READ_SCRIPT)
const COMPARE_AND_SET = script(COMPARE_AND_SET_SCRIPT)

/**
 * Token ids as Redis keys `<prefix>used:<jti>`, each holding its record (JSON, token-state.ts)
 * and expiring by itself. A strict consume is one `SET … NX PX … GET`; every other step reads its
 * keys and Redis's time (one script), decides in TypeScript, and writes with a compare-and-set
 * script, again when a key changed meanwhile.
 *
 * Expiries are relative (`PX`), not absolute: an absolute time would be read by Redis's clock,
 * and a Redis host whose clock runs ahead of ours would forget an id before its token expired.
 */
export class RedisUsedTokenStore extends TokenRecordStore {
  readonly #client: RedisCommandClient
  readonly #prefix: string
  readonly #timeout: number

  constructor(client: RedisCommandClient, options: RedisUsedTokenStoreOptions = {}) {
    super(options.clock ?? (() => new Date()))
    this.#client = client
    this.#prefix = `${options.keyPrefix ?? 'tdr:dl:'}used:`
    this.#timeout = options.commandTimeoutMs ?? 800
  }

  override async consume(jti: string, expiresAt: Date): Promise<ConsumeResult> {
    const keepMs = this.msUntil(expiresAt)
    const previous = await this.#send(['SET', this.#prefix + jti, CONSUMED_RECORD_TEXT, 'NX', 'PX', String(keepMs), 'GET'])
    if (previous === null) return 'consumed'
    return core.consume(parseTokenRecord(String(previous)), keepMs, this.now()).result
  }

  override async recordOutcome(jti: string, outcome: { completed: boolean; bytes: number }): Promise<void> {
    // The common case in one round trip: a compare-and-set on exactly what consume wrote.
    const next = core.recordOutcome(CONSUMED_RECORD, outcome, this.now()).next!
    const reply = await this.#eval(COMPARE_AND_SET, [this.#prefix + jti], [CONSUMED_RECORD_TEXT, serializeTokenRecord(next), '1'])
    if (reply === 1) return
    return super.recordOutcome(jti, outcome)
  }

  override async ping(): Promise<void> {
    await this.#send(['PING'])
  }

  override async close(): Promise<void> {
    if (!this.#client.isOpen) return
    // close() lets pending commands finish; a Redis that does not answer must not hold shutdown.
    const closed = this.#client.close().then(() => 'closed' as const)
    const late = new Promise<'late'>((resolve) => setTimeout(resolve, this.#timeout, 'late').unref())
    if ((await Promise.race([closed, late])) === 'late' && this.#client.isOpen) this.#client.destroy()
  }

  protected override async transact<R>(jtis: readonly string[], step: RecordStep<R>): Promise<R> {
    const keys = jtis.map((jti) => this.#prefix + jti)
    let snapshot = readReply(await this.#eval(READ, keys, []), keys.length)
    for (let attempt = 1; ; attempt += 1) {
      const records = snapshot.values.map((value): TokenRecord | undefined => (value === '' ? undefined : parseTokenRecord(value)))
      const { writes, result } = step(records, snapshot.now)
      if (!writes.some((write) => write !== undefined)) return result
      const args = keys.flatMap((_key, index) => {
        const write = writes[index]
        return [snapshot.values[index]!, write === undefined ? '' : serializeTokenRecord(write.record), String(Math.max(1, Math.ceil(write?.keepMs ?? 1)))]
      })
      const reply = await this.#eval(COMPARE_AND_SET, keys, args)
      if (reply === 1) return result
      if (attempt >= MAX_ATTEMPTS) throw new Error(`token records kept changing during ${MAX_ATTEMPTS} attempts`)
      snapshot = readReply(reply, keys.length)
    }
  }

  async #eval(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await this.#send(['EVALSHA', script.sha, ...tail])
    } catch (error) {
      // The first call after a Redis restart (or SCRIPT FLUSH) loads the script.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return this.#send(['EVAL', script.text, ...tail])
    }
  }

  #send(args: string[]): Promise<unknown> {
    return this.#client.sendCommand(args, { timeout: this.#timeout })
  }
}

function readReply(reply: unknown, count: number): { values: string[]; now: number } {
  if (!Array.isArray(reply) || reply.length !== count + 2) throw new Error('unexpected reply from a token record script')
  const values = reply.slice(0, count).map((value) => String(value))
  const now = Number(reply[count]) * 1000 + Math.floor(Number(reply[count + 1]) / 1000)
  return { values, now }
}
