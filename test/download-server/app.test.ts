import { createAdaptorServer } from '@hono/node-server'
import type { Server } from 'node:http'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSecretKey, type TokenVerifier } from '../../shared/src/index.js'
import { createApp } from '../../download-server/src/app.js'
import { createDownloadMetrics } from '../../download-server/src/metrics.js'
import type { UsedTokenStore } from '../../download-server/src/stores/used-token-store.js'
import { closeServer, listenOnLoopback } from './support/loopback-server.js'
import { startTestServer, type TestServer } from './support/test-server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.close())

describe('routes other than the contract’s', () => {
  it.each(['/', '/d', '/d/', '/d/a/b', '/files/1', '/healthz/', '/.env'])('answers GET %s with 404 problem+json', async (route) => {
    const res = await request(t.url + route)
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(await res.body.json()).toMatchObject({ status: 404, code: 'not_found' })
  })

  it.each([
    ['POST', '/d/v4.public.x'],
    ['PUT', '/d/v4.public.x'],
    ['DELETE', '/healthz'],
    ['POST', '/metrics'],
    ['OPTIONS', '/d/v4.public.x'],
  ])('answers %s %s with 405, Allow: GET, HEAD and problem+json', async (method, route) => {
    const res = await request(t.url + route, { method })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(await res.body.json()).toMatchObject({ status: 405, code: 'method_not_allowed' })
  })
})

describe('unexpected failures', () => {
  let server: Server
  let base: string
  const lines: string[] = []
  const hostileToken = 'v4.public.SECRET-TOKEN-TEXT-abcdefghijklmnopqrstuvwxyz'

  beforeAll(async () => {
    const verifier: TokenVerifier = {
      // A programming error deep inside, whose message happens to quote its input.
      verifyDownload: async (token) => {
        throw new TypeError(`cannot read property of undefined while handling ${token} at /d/${token}`)
      },
      verifyRevocation: async () => {
        throw new TypeError('unused')
      },
    }
    const store: UsedTokenStore = {
      consume: async () => 'consumed',
      recordOutcome: async () => {},
      revoke: async () => ({ ok: true, newlyRevoked: [] }),
      claimDelivery: async () => ({ refused: 'used' }),
      updateDelivery: async () => false,
      getOutcome: async () => undefined,
      ping: async () => {},
      close: async () => {},
    }
    const logger = pino(
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString())
          callback()
        },
      }),
    )
    const app = createApp({
      config: {
        root: t.root,
        clockToleranceSeconds: 30,
        appURL: undefined,
        publicKeys: [generateSecretKey().publicKey],
        resume: { enabled: false, maxResumptions: 3, leaseMs: 30_000 },
      },
      verifier,
      store,
      metrics: createDownloadMetrics(),
      logger,
      clock: () => new Date(),
    })
    server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server
    base = await listenOnLoopback(server)
  })
  afterAll(() => closeServer(server))

  it('answers a generic 500 problem without the error’s message or stack', async () => {
    const res = await request(`${base}/d/${hostileToken}`)
    const text = await res.body.text()
    expect(res.statusCode).toBe(500)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(JSON.parse(text)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error' })
    expect(text).not.toContain('cannot read')
    expect(text).not.toContain('SECRET-TOKEN')
  })

  it('logs the failure without the token, even when the error message quoted it', async () => {
    await (await request(`${base}/d/${hostileToken}`)).body.text()
    const logged = lines.join('')
    expect(logged).toContain('unexpected error')
    expect(logged).toContain('TypeError')
    expect(logged).not.toContain('SECRET-TOKEN')
  })
})
