import fs from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CookieClient } from './support/cookie-client.js'
import { EntryProcesses, waitForOutput as waitFor } from './support/entry-process.js'
import type { EntryProcess as Run } from './support/entry-process.js'

// The entry points as an operator runs them: real processes, configured only by the environment.

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})
const processes = new EntryProcesses()
afterEach(() => processes.stopAll())
const run = (script: string, env: Record<string, string>): Run => processes.start(script, env)
/** Sends the signal and expects exit code 0; on anything else the failure shows what the process printed. */
async function expectCleanStop(r: Run, signal: NodeJS.Signals): Promise<void> {
  r.child.kill(signal)
  const code = await r.exit
  expect({ code, signalCode: r.child.signalCode, output: r.output() }).toMatchObject({ code: 0 })
}
/** Resolves in the same tick the pattern's output arrives (waitFor polls), to signal a process mid-start. */
function onOutput(r: Run, pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!pattern.test(r.output())) return
      r.child.stdout?.off('data', check)
      r.child.stderr?.off('data', check)
      resolve()
    }
    r.child.stdout?.on('data', check)
    r.child.stderr?.on('data', check)
  })
}
const tempData = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'app-entry-'))
  dirs.push(d)
  return d
}

describe('npm run start:app (main.ts)', () => {
  it('exits 1 naming every bad setting on its own line', async () => {
    const r = run('app-server/src/main.ts', { APP_PORT: 'x', TOKEN_LIFETIME_SECONDS: '900', APP_SESSION_STORE: 'mongodb://x' })
    expect(await r.exit).toBe(1)
    const lines = r.output().trim().split('\n')
    expect(lines).toEqual([
      'app-server: APP_PORT: must be a whole number from 0 to 65535',
      'app-server: TOKEN_LIFETIME_SECONDS: must be from 1 to 300',
      'app-server: APP_SESSION_STORE: must be sqlite:<path> or a redis:// URL',
    ])
  })

  it('exits 1 with one line naming LOG_LEVEL when it is not a pino level, and starts when it is empty', async () => {
    const bad = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: tempData(), LOG_LEVEL: 'bogus' })
    expect(await bad.exit).toBe(1)
    expect(bad.output().trim().split('\n')).toEqual(['app-server: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'])
    const empty = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: tempData(), LOG_LEVEL: '' })
    await waitFor(empty, /App server listening on /)
    await expectCleanStop(empty, 'SIGTERM')
  })

  it('exits 1 with one line when the Redis session store cannot be reached', async () => {
    const r = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: tempData(), APP_SESSION_STORE: 'redis://127.0.0.1:1' })
    expect(await r.exit).toBe(1)
    expect(r.output()).toMatch(/^app-server: APP_SESSION_STORE: cannot reach redis/m)
  })

  it('exits 1 with one line naming APP_SIGNING_KEYS_FILE when it is a directory', async () => {
    const data = tempData()
    const r = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: data, APP_SIGNING_KEYS_FILE: data })
    expect(await r.exit).toBe(1)
    expect(r.output().trim().split('\n')).toEqual([`app-server: APP_SIGNING_KEYS_FILE: ${data} is a directory, not a file`])
  })

  it.each([
    ['an unresolvable APP_HOST', { APP_HOST: 'no-such-host.invalid', APP_PORT: '0' }, /^app-server: APP_HOST: cannot listen on no-such-host\.invalid:0 \((ENOTFOUND|EAI_AGAIN)\)$/],
    ['an APP_HOST that is not this machine’s', { APP_HOST: '192.0.2.1', APP_PORT: '0' }, /^app-server: APP_HOST: cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)$/],
  ])('exits 1 with one line naming the setting when it cannot listen: %s', async (_, env, line) => {
    const r = run('app-server/src/main.ts', { DATA_DIR: tempData(), ...env })
    expect(await r.exit).toBe(1)
    expect(r.output().trim().split('\n')).toEqual([expect.stringMatching(line)])
  })

  it('exits 1 with one line naming APP_PORT when the port is in use', async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as AddressInfo
    try {
      const r = run('app-server/src/main.ts', { DATA_DIR: tempData(), APP_PORT: String(port) })
      expect(await r.exit).toBe(1)
      expect(r.output().trim().split('\n')).toEqual([`app-server: APP_PORT: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`])
    } finally {
      taken.close()
    }
  })

  it('stops with exit 0 on a SIGTERM that arrives while it is still starting', async () => {
    const r = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: tempData(), LOG_LEVEL: 'info' })
    await onOutput(r, /signing key loaded/)
    await expectCleanStop(r, 'SIGTERM')
    expect(r.output()).toContain('"msg":"stopping"')
  })

  it('starts from the settings alone, seeds nothing, and stops with exit 0 on SIGTERM', async () => {
    const data = tempData()
    const r = run('app-server/src/main.ts', { APP_PORT: '0', DATA_DIR: data })
    const [, url] = await waitFor(r, /App server listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const c = new CookieClient(url as string)
    expect((await c.login('demo', 'demo-password-change-me')).status).toBe(401)
    expect(fs.existsSync(path.join(data, 'keys', 'signing-keys.txt'))).toBe(true)
    await expectCleanStop(r, 'SIGTERM')
  })
})

describe('npm start (demo.ts)', () => {
  it('exits 1 with one line naming LOG_LEVEL when it is not a pino level', async () => {
    const r = run('app-server/src/demo.ts', { APP_PORT: '0', DL_PORT: '0', DATA_DIR: tempData(), LOG_LEVEL: 'loud' })
    expect(await r.exit).toBe(1)
    expect(r.output().trim().split('\n')).toEqual(['demo: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'])
  })

  it('exits 1 with one line naming APP_HOST when it does not resolve', async () => {
    const r = run('app-server/src/demo.ts', { APP_HOST: 'no-such-host.invalid', APP_PORT: '0', DL_PORT: '0', DATA_DIR: tempData(), DL_LOG_LEVEL: 'warn' })
    expect(await r.exit).toBe(1)
    expect(r.output().trim().split('\n')).toEqual([expect.stringMatching(/^demo: APP_HOST: cannot listen on no-such-host\.invalid:0 \((ENOTFOUND|EAI_AGAIN)\)$/)])
  })

  it('stops both servers with exit 0 on a SIGTERM that arrives while they are still starting', async () => {
    const r = run('app-server/src/demo.ts', { APP_PORT: '0', DL_PORT: '0', DATA_DIR: tempData(), LOG_LEVEL: 'info' })
    await onOutput(r, /signing key loaded/)
    await expectCleanStop(r, 'SIGTERM')
    expect(r.output()).toContain('"msg":"stopping the demo"')
  })

  it('says at start-up that it ignores DL_WORKERS and APP_WORKERS above 1 and names the commands that run workers', async () => {
    const r = run('app-server/src/demo.ts', { APP_PORT: '0', DL_PORT: '0', DATA_DIR: tempData(), DL_WORKERS: '2', APP_WORKERS: '2' })
    await waitFor(r, /this process listens on/)
    expect(r.output()).toContain('demo: DL_WORKERS=2 is ignored: the demo runs one download server in its own process; `npm run start:download` runs workers\n')
    expect(r.output()).toContain('demo: APP_WORKERS=2 is ignored: the demo runs one app server in its own process; `npm run start:app` runs workers\n')
    await expectCleanStop(r, 'SIGTERM')
  })

  it('keeps the used-token store under DATA_DIR when DL_JTI_STORE is set but empty (empty counts as unset)', async () => {
    const data = tempData()
    const r = run('app-server/src/demo.ts', { APP_PORT: '0', DL_PORT: '0', DATA_DIR: data, DL_JTI_STORE: '' })
    await waitFor(r, /this process listens on/)
    expect(fs.existsSync(path.join(data, 'used-tokens.db'))).toBe(true)
    await expectCleanStop(r, 'SIGTERM')
  })

  it('runs both servers with a seeded demo user, prints the sign-in, stops on SIGTERM, and a second run reuses data and keys', async () => {
    const data = tempData()
    const env = { APP_PORT: '0', DL_PORT: '0', DATA_DIR: data, DEMO_USER: 'dora', DEMO_PASSWORD: 'dora demo password' }
    const first = run('app-server/src/demo.ts', env)
    const [, appURL] = await waitFor(first, /this process listens on (http:\/\/127\.0\.0\.1:\d+)/)
    const [, dlURL] = await waitFor(first, /listening on (http:\/\/127\.0\.0\.1:\d+)\)\n\s+Data/)
    expect(first.output()).toContain('Sign in   dora / (the DEMO_PASSWORD you set)')
    expect(first.output()).toContain('Admin     admin / admin-password-change-me')
    expect(first.output()).not.toContain('dora demo password')
    expect(first.output()).not.toContain('DL_WORKERS')
    const c = new CookieClient(appURL as string)
    expect((await c.login('dora', 'dora demo password')).status).toBe(303)
    const files = (await c.get('/files')).body
    expect(files.match(/\/download"/g)).toHaveLength(4)
    const health = await request(`${dlURL}/healthz`)
    await health.body.dump()
    expect(health.statusCode).toBe(200)
    const keysBefore = fs.readFileSync(path.join(data, 'keys', 'signing-keys.txt'), 'utf8')
    await expectCleanStop(first, 'SIGTERM')

    const second = run('app-server/src/demo.ts', env)
    const [, appURL2] = await waitFor(second, /this process listens on (http:\/\/127\.0\.0\.1:\d+)/)
    expect(second.output()).toContain('(reused)')
    expect(second.output()).toContain('Sign in   dora / (the password it already had)')
    const c2 = new CookieClient(appURL2 as string)
    expect((await c2.login('dora', 'dora demo password')).status).toBe(303)
    expect((await c2.get('/files')).body.match(/\/download"/g)).toHaveLength(4)
    expect(fs.readFileSync(path.join(data, 'keys', 'signing-keys.txt'), 'utf8')).toBe(keysBefore)
    await expectCleanStop(second, 'SIGINT')
  }, 60_000)
})
