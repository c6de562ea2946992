import Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { createClient } from 'redis'
import type { AppConfig } from '../config.js'
import { parseDownloadRecord } from './download-outcomes.js'
import type { DownloadOutcomeReader, Observation } from './download-outcomes.js'

/** A read that takes longer is given up: the files page shows "not known right now" instead of waiting. */
const READ_TIMEOUT_MS = 500
const CHUNK = 500

/**
 * The reader `APP_DOWNLOAD_OUTCOMES` names, or undefined when it is not set (the download
 * server then does not report back). Never fails start-up: an unreachable store just reads as
 * "not known right now" until it answers.
 */
export function openDownloadOutcomes(setting: AppConfig['downloadOutcomes'], options: { logger: Logger; clock: () => Date }): DownloadOutcomeReader | undefined {
  if (setting === undefined) return undefined
  return setting.kind === 'redis' ? redisReader(setting.url, setting.keyPrefix, options) : sqliteReader(setting.path, options)
}

function redisReader(url: string, keyPrefix: string, { logger, clock }: { logger: Logger; clock: () => Date }): DownloadOutcomeReader {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  })
  let reachable: boolean | undefined
  client.on('ready', () => {
    reachable = true
  })
  client.on('error', (err: Error) => {
    // Once per outage; the message names host and port, never the URL's password.
    if (reachable !== false) logger.warn({ err: { message: err.message } }, 'download outcomes (redis) unreachable; retrying')
    reachable = false
  })
  client.connect().catch(() => undefined)
  return {
    kind: 'redis',
    async read(jtis) {
      if (!client.isReady) return undefined
      const found = new Map<string, Observation>()
      try {
        for (let i = 0; i < jtis.length; i += CHUNK) {
          const part = jtis.slice(i, i + CHUNK)
          const values = (await client.sendCommand(['MGET', ...part.map((j) => `${keyPrefix}used:${j}`)], { timeout: READ_TIMEOUT_MS })) as (string | null)[]
          const now = clock().getTime()
          part.forEach((jti, k) => {
            const v = values[k]
            if (v !== null && v !== undefined) found.set(jti, parseDownloadRecord(String(v), now))
          })
        }
      } catch {
        return undefined
      }
      return found
    },
    async close() {
      if (client.isOpen) await client.close().catch(() => client.destroy())
    },
  }
}

function sqliteReader(file: string, { logger, clock }: { logger: Logger; clock: () => Date }): DownloadOutcomeReader {
  let db: Database.Database | undefined
  let warned = false
  const open = (): Database.Database => {
    // Read-only and opened late: the download server may create the file after the app starts.
    db ??= new Database(file, { readonly: true, fileMustExist: true, timeout: READ_TIMEOUT_MS })
    return db
  }
  return {
    kind: 'sqlite',
    async read(jtis) {
      try {
        const rows = open()
          .prepare('SELECT jti, record FROM used_tokens WHERE jti IN (SELECT value FROM json_each(?))')
          .all(JSON.stringify(jtis)) as { jti: string; record: string | null }[]
        warned = false
        const now = clock().getTime()
        return new Map(rows.map((r) => [r.jti, parseDownloadRecord(r.record, now)]))
      } catch (err) {
        if (!warned) logger.warn({ err: { message: (err as Error).message }, file }, 'download outcomes (sqlite) not readable; retrying')
        warned = true
        db?.close()
        db = undefined
        return undefined
      }
    },
    async close() {
      db?.close()
      db = undefined
    },
  }
}
