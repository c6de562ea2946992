import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../app-server/src/logging/create-logger.js'
import { openDownloadOutcomes } from '../../../app-server/src/revocation/open-download-outcomes.js'
import { startHarness } from '../support/app-harness.js'
import type { Harness } from '../support/app-harness.js'
import { fetchLink } from '../support/download-servers.js'

// The readers against the real things: the harness's download server keeps its records in
// SQLite (DATA_DIR/used-tokens.db, as in the demo); a Redis that does not answer.

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h.close()
})

const logger = createLogger({ level: 'silent' })
const clock = (): Date => new Date()

describe('download outcome readers', () => {
  it('read the download server\'s SQLite store: completed and revoked links, nothing for an unused one', async () => {
    const c = h.client()
    await c.login(h.demo.username, h.demo.password)
    const id = /href="\/files\/([A-Za-z0-9_-]{22})\/download"/.exec((await c.get('/files')).body)?.[1] as string
    const jtiOf = (location: string): string => {
      const body = Buffer.from(location.split('/d/')[1]?.split('.')[2] as string, 'base64url')
      return (JSON.parse(body.subarray(0, body.length - 64).toString()) as { jti: string }).jti
    }
    const used = (await c.get(`/files/${id}/download`)).location
    const { bytes } = await fetchLink(used)
    const revoked = (await c.get(`/files/${id}/download`)).location
    await c.post('/logout', { _csrf: await c.csrfFrom('/files') })
    expect(await fetchLink(revoked)).toMatchObject({ status: 410 })
    const unused = 'u'.repeat(22)

    const reader = openDownloadOutcomes({ kind: 'sqlite', path: path.join(h.dataDir, 'used-tokens.db') }, { logger, clock })
    try {
      const found = await reader?.read([jtiOf(used), jtiOf(revoked), unused])
      expect(found).toEqual(new Map([
        [jtiOf(used), { outcome: 'completed', bytes }],
        [jtiOf(revoked), { outcome: 'revoked', bytes: 0 }],
      ]))
    } finally {
      await reader?.close()
    }
  })

  it('answer "not known" at once, rather than fail or wait, when the store cannot be read', async () => {
    const missing = openDownloadOutcomes({ kind: 'sqlite', path: path.join(h.dataDir, 'no-such.db') }, { logger, clock })
    const away = openDownloadOutcomes({ kind: 'redis', url: 'redis://127.0.0.1:9', keyPrefix: 'x:' }, { logger, clock })
    try {
      const started = performance.now()
      expect(await missing?.read(['a'.repeat(22)])).toBeUndefined()
      expect(await away?.read(['a'.repeat(22)])).toBeUndefined()
      // Below the readers' 500 ms read timeout (and 1 s connect timeout): they did not wait.
      expect(performance.now() - started).toBeLessThan(400)
    } finally {
      await missing?.close()
      await away?.close()
    }
  })
})
