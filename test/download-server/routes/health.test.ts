import net from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, type TestServer } from '../support/test-server.js'

const status = async (url: string): Promise<number> => {
  const res = await request(url)
  await res.body.arrayBuffer()
  return res.statusCode
}

describe('GET /healthz and GET /metrics', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer()
  })
  afterAll(() => t.close())

  it('answers 200 with no-store while keys are loaded and the store answers', async () => {
    const res = await request(`${t.url}/healthz`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(await res.body.json()).toEqual({ status: 'ok' })
  })

  it('exports requests by outcome code, bytes sent, store latency and verify failures in Prometheus text', async () => {
    await (await request(`${t.url}/d/${await t.issuer.token({ file: 'report.bin' })}`)).body.arrayBuffer()
    await (await request(`${t.url}/d/v4.public.garbage`)).body.arrayBuffer()
    // Requests are counted once their response is over on the server's side: wait for both.
    const scrape = async (): Promise<string> => (await request(`${t.url}/metrics`)).body.text()
    await vi.waitFor(async () => expect(await scrape()).toContain('code="token_malformed"} 1'), { timeout: 10_000 })
    const res = await request(`${t.url}/metrics`)
    const text = await res.body.text()
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(text).toMatch(/^# HELP download_requests_total /m)
    expect(text).toContain('download_requests_total{route="/d/:token",status="200",code="ok"} 1')
    expect(text).toContain('download_requests_total{route="/d/:token",status="400",code="token_malformed"} 1')
    expect(text).toContain(`download_bytes_sent_total ${t.content.length}`)
    expect(text).toMatch(/download_store_operation_seconds_count\{operation="consume",outcome="ok"\} 1/)
    expect(text).toContain('download_token_verify_failures_total{code="TOKEN_MALFORMED"} 1')
  })
})

describe('an unreachable Redis store', () => {
  let t: TestServer
  beforeAll(async () => {
    // Port 1 (tcpmux): nothing listens there, and no test can take it, unlike a port found free.
    t = await startTestServer({ store: { redisURL: 'redis://127.0.0.1:1' } })
  })
  afterAll(() => t.close())

  it('turns /healthz to 503 and download requests to 503 store_unavailable, each within 1 s', async () => {
    let started = Date.now()
    expect(await status(`${t.url}/healthz`)).toBe(503)
    expect(Date.now() - started).toBeLessThan(1000)
    // Only the request is timed, not the signing of its token.
    const token = await t.issuer.token({ file: 'report.bin' })
    started = Date.now()
    const res = await request(`${t.url}/d/${token}`)
    expect(res.statusCode).toBe(503)
    expect(((await res.body.json()) as { code: string }).code).toBe('store_unavailable')
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('a Redis store that goes away and comes back', () => {
  let t: TestServer
  let proxy: Proxy
  beforeAll(async () => {
    proxy = await startProxy(6379)
    t = await startTestServer({ store: { redisURL: `redis://127.0.0.1:${proxy.port}` } })
  })
  afterAll(async () => {
    await t.close()
    await proxy.stop()
  })

  it('answers 503 within 1 s of losing Redis, and serves again within 10 s of its return, without a restart', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    expect(await status(`${t.url}/healthz`)).toBe(200)

    await proxy.stop()
    // Each answer is timed on its own: the bound is per request, not for both together.
    let started = Date.now()
    expect(await status(`${t.url}/healthz`)).toBe(503)
    expect(Date.now() - started).toBeLessThan(1000)
    started = Date.now()
    expect(await status(`${t.url}/d/${token}`)).toBe(503)
    expect(Date.now() - started).toBeLessThan(1000)

    await proxy.restart()
    started = Date.now()
    while ((await status(`${t.url}/healthz`)) !== 200) {
      expect(Date.now() - started).toBeLessThan(10_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    // The token refused with 503 while Redis was away was not spent.
    expect(await status(`${t.url}/d/${token}`)).toBe(200)
    expect(await status(`${t.url}/d/${token}`)).toBe(410)
  })
})

interface Proxy {
  port: number
  stop(): Promise<void>
  restart(): Promise<void>
}

/** A TCP relay to Redis that can be cut (every connection dropped, port closed) and restored. */
async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  let port = 0
  const listen = async (): Promise<void> => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1')
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  }
  await listen()
  return {
    get port() {
      return port
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server?.close(resolve))
    },
    restart: listen,
  }
}
