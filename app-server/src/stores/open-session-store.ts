import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { RedisStore } from 'rate-limit-redis'
import { createClient } from 'redis'
import type { AppConfig } from '../config.js'
import type { SessionStore } from '../sessions/session-store.js'
import { RedisSessionStore } from './redis-session-store.js'
import { SqliteSessionStore } from './sqlite-session-store.js'

export interface OpenedSessionStore {
  store: SessionStore
  /** Present on Redis: login rate limits are then counted across every app process. */
  rateLimitStore?: (name: string) => Store
  close(): Promise<void>
}

const REDIS_CONNECT_TIMEOUT_MS = 10_000

/** A store failing to open, for one start-up line naming APP_SESSION_STORE. */
export class SessionStoreError extends Error {
  readonly code = 'SESSION_STORE_UNAVAILABLE'
}

/** Opens the store APP_SESSION_STORE names: a SQLite file, or a Redis shared by every app process. */
export async function openSessionStore(options: {
  setting: AppConfig['sessionStore']
  ttlSeconds: number
  clock: () => Date
  logger: Logger
  redisKeyPrefix: string
}): Promise<OpenedSessionStore> {
  const { setting, ttlSeconds, clock } = options
  if (setting.kind === 'sqlite') {
    let db: Database.Database
    try {
      fs.mkdirSync(path.dirname(setting.path), { recursive: true, mode: 0o700 })
      db = new Database(setting.path)
      fs.chmodSync(setting.path, 0o600)
      db.pragma('busy_timeout = 5000')
      db.pragma('journal_mode = WAL')
    } catch (err) {
      throw new SessionStoreError(`APP_SESSION_STORE: cannot open ${setting.path} for writing (${(err as Error).message})`)
    }
    return { store: new SqliteSessionStore(db, { ttlSeconds, clock }), close: async () => void db.close() }
  }

  // Once connected, retry for ever (a Redis restart must not need an app restart); before
  // that, give up after a few quick tries so that a wrong URL stops start-up at once.
  let everReady = false
  const client = createClient({
    url: setting.url,
    // While Redis is away, fail a request at once (503 page) instead of queueing it until Redis returns.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries, cause) => (!everReady && retries >= 3 ? cause : Math.min(100 * 2 ** retries, 2_000)),
    },
  })
  client.on('ready', () => {
    everReady = true
  })
  let lastWarning = 0
  client.on('error', (err: Error) => {
    // node-redis reconnects by itself; say so at most every 10 s instead of on every retry.
    if (Date.now() - lastWarning > 10_000) {
      lastWarning = Date.now()
      options.logger.warn({ err: { message: err.message } }, 'session store (redis) unreachable; retrying')
    }
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`)), REDIS_CONNECT_TIMEOUT_MS)
      }),
    ])
  } catch (err) {
    if (client.isOpen) client.destroy()
    throw new SessionStoreError(`APP_SESSION_STORE: cannot reach redis (${(err as Error).message})`)
  } finally {
    clearTimeout(timer)
  }
  const prefix = options.redisKeyPrefix
  return {
    store: new RedisSessionStore(client, { prefix, ttlSeconds, clock }),
    rateLimitStore: (name) =>
      new RedisStore({ prefix: `${prefix}rate:${name}:`, sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<never> }),
    close: async () => {
      await client.close().catch(() => client.destroy())
    },
  }
}
