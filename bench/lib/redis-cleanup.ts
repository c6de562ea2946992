import { createClient } from 'redis'

/**
 * Deletes the keys under `prefix` (the unique DL_REDIS_KEY_PREFIX this run gave its servers):
 * only what this run created. Returns how many were deleted.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9:_-]+$/.test(prefix)) throw new Error('refusing a key prefix with glob characters')
  const client = createClient({ url })
  await client.connect()
  let deleted = 0
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) deleted += await client.unlink(keys)
    }
  } finally {
    client.destroy()
  }
  return deleted
}
