import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { RedisStore } from 'rate-limit-redis'
import { createClient } from 'redis'
import { request } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../app-server/src/logging/create-logger.js'
import { loginRateLimits } from '../../app-server/src/security/login-rate-limits.js'
import { LogCollector } from './support/app-harness.js'

// The login limiters on a real Redis, which goes away between counting a sign-in and taking a
// successful one back (the decrement express-rate-limit makes after the response): that failure
// is one warn line in our log, without a stack, and nothing on the console.

const prefix = `test:rate-log:${randomBytes(6).toString('hex')}:`
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const c of cleanups.splice(0)) await c()
})

describe('login rate limits when their Redis store fails', () => {
  it('log a failed decrement as one warn line without a stack, never to the console', async () => {
    const consoleError = vi.spyOn(console, 'error')
    const consoleWarn = vi.spyOn(console, 'warn')
    const client = createClient({ url: 'redis://127.0.0.1:6379' })
    await client.connect()
    const logs = new LogCollector()
    const app = express()
    app.use(express.urlencoded({ extended: false }))
    app.post(
      '/login',
      ...loginRateLimits({
        limits: { windowMs: 60_000, perAccount: 5, perAddress: 5 },
        secret: 'a test secret of at least 32 characters',
        store: (name) => new RedisStore({ prefix: `${prefix}${name}:`, sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<never> }),
        onLimited: (_req, res) => void res.status(429).end(),
        logger: createLogger({ level: 'info', destination: logs }),
      }),
      async (_req, res) => {
        // Counted; now the store goes away before the success is taken back.
        const keys = await client.keys(`${prefix}*`)
        if (keys.length > 0) await client.del(keys)
        client.destroy()
        res.redirect(303, '/files')
      },
    )
    const server = http.createServer(app).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))

    const r = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alice',
    })
    await r.body.dump()
    expect(r.statusCode).toBe(303)
    // Wait (up to 5 s) for both limiters' lines, not just the first.
    const decrements = (): number => logs.text.split('during decrement').length - 1
    for (let i = 0; i < 250 && decrements() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))

    const lines = logs.text.split('\n').filter((l) => l.includes('express-rate-limit'))
    // One per limiter (address and account).
    expect(lines).toHaveLength(2)
    for (const l of lines) {
      const entry = JSON.parse(l) as { level: number; msg: string; component: string; cause: { message: string; stack?: string } }
      expect(entry).toMatchObject({ level: 40, component: 'login-rate-limit', msg: 'express-rate-limit: error from store during decrement.' })
      expect(entry.cause.message).not.toBe('')
      expect(entry.cause.stack).toBeUndefined()
      expect(l).not.toMatch(/\n|at .*\.(ts|js|mjs):\d+/)
    }
    expect(consoleError).not.toHaveBeenCalled()
    expect(consoleWarn).not.toHaveBeenCalled()
  })
})
