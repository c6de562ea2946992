import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/test-server.js'

// The same single-use guarantees as download.test.ts, with the Redis store behind them.
describe('GET /d/:token with the Redis store', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer({ store: 'redis' })
  })
  afterAll(() => t.close())

  it('gives exactly one of 25 simultaneous requests with one token the file, and 410 to the rest', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const statuses = await Promise.all(
      Array.from({ length: 25 }, async () => {
        const res = await request(`${t.url}/d/${token}`)
        await res.body.arrayBuffer()
        return res.statusCode
      }),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 410)).toHaveLength(24)
  })

  it('does not consume on HEAD, and answers HEAD 410 after the GET', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const first = await request(`${t.url}/d/${token}`, { method: 'HEAD' })
    await first.body.arrayBuffer()
    const get = await request(`${t.url}/d/${token}`)
    await get.body.arrayBuffer()
    const after = await request(`${t.url}/d/${token}`, { method: 'HEAD' })
    await after.body.arrayBuffer()
    expect([first.statusCode, get.statusCode, after.statusCode]).toEqual([200, 200, 410])
  })
})
