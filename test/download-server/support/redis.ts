import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'

export const REDIS_URL = 'redis://127.0.0.1:6379'

/** A key prefix no other test run uses. */
export function newRedisPrefix(): string {
  return `test:dl:${process.pid}:${randomBytes(6).toString('hex')}:`
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL })
  client.on('error', () => {})
  await client.connect()
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    await client.close()
  }
}
