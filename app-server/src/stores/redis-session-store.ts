import type { SessionData } from 'express-session'
import { SessionStore, sessionHandle, summarize } from '../sessions/session-store.js'
import type { SessionStoreOptions, SessionSummary } from '../sessions/session-store.js'

/** The one method we need of a node-redis v5 client (`client.sendCommand`). */
export interface RedisCommandSender {
  sendCommand(args: string[]): Promise<unknown>
}

// KEYS: session, tombstone[, user index]; ARGV: json, ttl ms, handle, only-if-exists flag.
// The session and its entry in the user's index are written together, so "end all of a
// user's sessions" can never miss one that was being written at the same moment.
const WRITE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[4] == '1' then
  if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') then return 0 end
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if #KEYS == 3 then
  redis.call('SADD', KEYS[3], ARGV[3])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
end
return 1`

// KEYS: session, tombstone; ARGV: dead-for ms.
const REMOVE = `
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1`

// KEYS: user index; ARGV: session key prefix, tombstone prefix, dead-for ms, handle to keep ('' = none), only this handle ('' = all).
const REMOVE_USER = `
local members = redis.call('SMEMBERS', KEYS[1])
local n = 0
for _, h in ipairs(members) do
  if h ~= ARGV[4] and (ARGV[5] == '' or h == ARGV[5]) then
    n = n + redis.call('DEL', ARGV[1] .. h)
    redis.call('SET', ARGV[2] .. h, '1', 'PX', ARGV[3])
    redis.call('SREM', KEYS[1], h)
  end
end
return n`

/**
 * Sessions in Redis on a client passed in: `<prefix>sess:<handle>` holds the JSON with a PX
 * expiry, `<prefix>user:<id>` is the set of a user's handles, `<prefix>dead:<handle>` marks a
 * destroyed id so that a late write cannot bring it back. Every multi-key change is one Lua
 * script, hence atomic against every other process sharing the Redis. (Single Redis, not
 * Cluster: the scripts touch keys they derive.)
 */
export class RedisSessionStore extends SessionStore {
  private readonly prefix: string

  constructor(
    private readonly client: RedisCommandSender,
    options: SessionStoreOptions & { prefix: string },
  ) {
    super(options)
    this.prefix = options.prefix
  }

  private sessionKey(handle: string): string {
    return `${this.prefix}sess:${handle}`
  }
  private deadKey(handle: string): string {
    return `${this.prefix}dead:${handle}`
  }
  private userKey(userId: number): string {
    return `${this.prefix}user:${userId}`
  }

  private eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.client.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args])
  }

  protected async read(handle: string): Promise<SessionData | undefined> {
    const json = await this.client.sendCommand(['GET', this.sessionKey(handle)])
    return typeof json === 'string' ? (JSON.parse(json) as SessionData) : undefined
  }

  protected async write(handle: string, data: SessionData, expiresAt: Date, options: { onlyIfExists: boolean }): Promise<void> {
    const ttl = Math.max(1, expiresAt.getTime() - this.clock().getTime())
    const keys = [this.sessionKey(handle), this.deadKey(handle)]
    if (typeof data.userId === 'number') keys.push(this.userKey(data.userId))
    await this.eval(WRITE, keys, [JSON.stringify(data), String(ttl), handle, options.onlyIfExists ? '1' : '0'])
  }

  protected async remove(handle: string): Promise<void> {
    await this.eval(REMOVE, [this.sessionKey(handle), this.deadKey(handle)], [String(this.ttlMs)])
  }

  async listByUser(userId: number): Promise<SessionSummary[]> {
    const handles = (await this.client.sendCommand(['SMEMBERS', this.userKey(userId)])) as string[]
    if (handles.length === 0) return []
    const values = (await this.client.sendCommand(['MGET', ...handles.map((h) => this.sessionKey(h))])) as (string | null)[]
    const ttls = await Promise.all(handles.map((h) => this.client.sendCommand(['PTTL', this.sessionKey(h)]) as Promise<number>))
    const now = this.clock().getTime()
    const live: SessionSummary[] = []
    const gone: string[] = []
    handles.forEach((h, i) => {
      const json = values[i]
      const ttl = ttls[i] ?? -2
      if (typeof json === 'string' && ttl > 0) live.push(summarize(h, JSON.parse(json) as SessionData, new Date(now + ttl)))
      else gone.push(h)
    })
    // Expired sessions leave their handle in the index; tidy up as we pass.
    if (gone.length > 0) await this.client.sendCommand(['SREM', this.userKey(userId), ...gone])
    return live.sort((a, b) => b.signedInAt.getTime() - a.signedInAt.getTime())
  }

  async destroyByUser(userId: number, options: { except?: string } = {}): Promise<number> {
    const keep = options.except === undefined ? '' : sessionHandle(options.except)
    return Number(await this.eval(REMOVE_USER, [this.userKey(userId)], [`${this.prefix}sess:`, `${this.prefix}dead:`, String(this.ttlMs), keep, '']))
  }

  async destroyHandle(userId: number, handle: string): Promise<boolean> {
    if (handle === '') return false
    const n = Number(await this.eval(REMOVE_USER, [this.userKey(userId)], [`${this.prefix}sess:`, `${this.prefix}dead:`, String(this.ttlMs), '', handle]))
    return n === 1
  }

  async purgeExpired(): Promise<number> {
    // Redis expires sessions and dead ids by itself (PX); index entries are tidied by listByUser.
    return 0
  }
}
