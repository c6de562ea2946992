import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { createClient } from 'redis'
import { ConfigError } from '../config-error.js'
import type { JTIStoreConfig } from '../config.js'
import { RedisUsedTokenStore } from './redis-used-token-store.js'
import { SQLiteUsedTokenStore } from './sqlite-used-token-store.js'
import type { UsedTokenStore } from './used-token-store.js'

export interface OpenUsedTokenStoreOptions {
  logger: Logger
  clock: () => Date
  /** How long to wait for a first Redis connection before starting without one. */
  redisStartWaitMs?: number
}

/**
 * Builds the store `DL_JTI_STORE` names. A SQLite file that cannot be opened for writing is a
 * `ConfigError`; an unreachable Redis is not (the store reconnects by itself and `/healthz`
 * says 503 meanwhile).
 */
export async function openUsedTokenStore(
  config: JTIStoreConfig,
  options: OpenUsedTokenStoreOptions,
): Promise<UsedTokenStore> {
  return config.kind === 'sqlite' ? openSQLite(config, options) : openRedis(config, options)
}

function openSQLite(
  { path: file, synchronous }: { path: string; synchronous: 'NORMAL' | 'FULL' },
  { logger, clock }: OpenUsedTokenStoreOptions,
): UsedTokenStore {
  let db: Database.Database | undefined
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    db = new Database(file)
    return new SQLiteUsedTokenStore(db, {
      synchronous,
      clock,
      onPurgeError: (error) => logger.warn({ err: error }, 'purging expired used-token rows failed'),
      onCheckpointError: (error) => logger.warn({ err: describe(error) }, 'WAL checkpoint thread failed; checkpointing on the event loop instead'),
    })
  } catch (error) {
    db?.close()
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error'
    throw new ConfigError([{ variable: 'DL_JTI_STORE', message: `cannot open ${file} for writing (${code})` }])
  }
}

async function openRedis(
  config: { url: string; keyPrefix: string },
  { logger, clock, redisStartWaitMs = 1000 }: OpenUsedTokenStoreOptions,
): Promise<UsedTokenStore> {
  const client = createClient({
    url: config.url,
    // Without the offline queue a command fails at once while Redis is away (503), instead of
    // waiting for a reconnection that may never come.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      // Retry quickly and forever, so serving resumes within seconds of Redis's return.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 100),
    },
    // A dead peer that never closes the socket is found by this ping, not by waiting for TCP.
    pingInterval: 5000,
  })
  let reachable: boolean | undefined
  client.on('ready', () => {
    if (reachable !== true) logger.info({ store: 'redis' }, 'used-token store reachable')
    reachable = true
  })
  client.on('error', (error: unknown) => {
    // Reported once per outage, not once per reconnection attempt.
    if (reachable !== false) logger.warn({ store: 'redis', err: describe(error) }, 'used-token store unreachable')
    reachable = false
  })
  const connected = client.connect().then(
    () => true,
    () => false,
  )
  const waited = new Promise<boolean>((resolve) => setTimeout(resolve, redisStartWaitMs, false).unref())
  await Promise.race([connected, waited])
  return new RedisUsedTokenStore(client, { keyPrefix: config.keyPrefix, clock })
}

function describe(error: unknown): { name: string; message: string } {
  // The message of a connection error names host and port only, never the URL's password.
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) }
}
