import { randomBytes } from 'node:crypto'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'

// The app's Redis goes away (a TCP relay in front of the real one is cut): requests get a clear
// 503 page at once instead of hanging, and the app recovers by itself when Redis is back.

class Relay {
  private server = net.createServer((client) => this.pipe(client))
  private sockets = new Set<net.Socket>()
  port = 0

  private pipe(client: net.Socket): void {
    const upstream = net.connect(6379, '127.0.0.1')
    for (const s of [client, upstream]) {
      this.sockets.add(s)
      s.on('error', () => s.destroy())
      s.on('close', () => this.sockets.delete(s))
    }
    client.pipe(upstream).pipe(client)
  }

  async start(port = 0): Promise<void> {
    this.server = net.createServer((client) => this.pipe(client))
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const s of this.sockets) s.destroy()
    await closed
  }
}

const relay = new Relay()
const prefix = `test:app-outage:${randomBytes(6).toString('hex')}:`
let h: Harness

beforeAll(async () => {
  await relay.start()
  h = await startHarness({ downloadServer: false, env: { APP_SESSION_STORE: `redis://127.0.0.1:${relay.port}` }, redisKeyPrefix: prefix })
})
afterAll(async () => {
  await h.close()
  await relay.cut().catch(() => undefined)
  const client = createClient({ url: 'redis://127.0.0.1:6379' })
  await client.connect()
  const keys = await client.keys(`${prefix}*`)
  if (keys.length > 0) await client.del(keys)
  client.destroy()
})

describe('Redis session store outage', () => {
  it('answers 503 within a second while Redis is unreachable, and serves the same session again once it is back', async () => {
    const c = h.client()
    expect((await c.login(h.demo.username, h.demo.password)).status).toBe(303)
    await relay.cut()
    const t0 = performance.now()
    const during = await c.get('/files')
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(during.status).toBe(503)
    expect(during.body).toContain('Temporarily unavailable')
    expect(during.body).not.toMatch(/at .*\.ts:\d+|Error:/)

    await relay.start(relay.port)
    let status = 0
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200))
      status = (await c.get('/files')).status
    }
    expect(status).toBe(200)
  })
})
