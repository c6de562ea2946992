import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateSecretKey } from '../../shared/src/index.js'
import { ConfigError } from '../../download-server/src/config-error.js'
import { parseDownloadConfig } from '../../download-server/src/config.js'
import { startDownloadServer } from '../../download-server/src/server.js'
import { spawnedServers } from './support/spawn-server.js'

let dir: string
let root: string
const keyA = generateSecretKey().publicKey
const keyB = generateSecretKey().publicKey
const valid = (): Record<string, string> => ({
  DL_ROOT: root,
  DL_PUBLIC_KEYS: keyA.paserk,
  DL_ISSUER: 'https://app.example',
  DL_AUDIENCE: 'https://dl.example',
})

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-config-')))
  root = path.join(dir, 'root')
  fs.mkdirSync(root)
  fs.writeFileSync(path.join(dir, 'a-file'), 'x')
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
// The servers below should exit at once; one that starts instead (in its own process group)
// would outlive the test run if not killed.
const servers = spawnedServers()
afterEach(() => servers.killAll())

function issuesOf(env: Record<string, string | undefined>): string[] {
  try {
    parseDownloadConfig(env, { cwd: dir })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).lines()
  }
  throw new Error('expected a ConfigError')
}

describe('parseDownloadConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseDownloadConfig(valid(), { cwd: dir })
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3001,
      root,
      issuer: 'https://app.example',
      audience: 'https://dl.example',
      jtiStore: { kind: 'sqlite', path: path.join(dir, 'data', 'used-tokens.db'), synchronous: 'NORMAL' },
      clockToleranceSeconds: 30,
      resume: { enabled: false, maxResumptions: 3 },
      appURL: undefined,
      logLevel: 'info',
    })
    expect(config.publicKeys.map((key) => key.kid)).toEqual([keyA.kid])
  })

  it('reads every setting it documents', () => {
    const keyFile = path.join(dir, 'keys.txt')
    fs.writeFileSync(keyFile, `# rotation: new key first\n${keyB.paserk}\n\n${keyA.paserk}\n`)
    const config = parseDownloadConfig(
      {
        ...valid(),
        DL_HOST: '0.0.0.0',
        DL_PORT: '8080',
        DL_PUBLIC_KEYS_FILE: keyFile,
        DL_JTI_STORE: 'redis://cache.internal:6380/2',
        DL_REDIS_KEY_PREFIX: 'eu1:',
        DL_CLOCK_TOLERANCE: '5',
        DL_RESUME: 'ON',
        DL_RESUME_MAX: '0',
        DL_APP_URL: 'https://app.example/files',
        DL_LOG_LEVEL: 'warn',
      },
      { cwd: dir },
    )
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      jtiStore: { kind: 'redis', url: 'redis://cache.internal:6380/2', keyPrefix: 'eu1:' },
      clockToleranceSeconds: 5,
      resume: { enabled: true, maxResumptions: 0 },
      appURL: 'https://app.example/files',
      logLevel: 'warn',
    })
    expect(config.publicKeys.map((key) => key.kid).sort()).toEqual([keyA.kid, keyB.kid].sort())
  })

  it('takes FULL SQLite durability when asked', () => {
    expect(parseDownloadConfig({ ...valid(), DL_SQLITE_SYNCHRONOUS: 'full' }, { cwd: dir }).jtiStore).toMatchObject({ kind: 'sqlite', synchronous: 'FULL' })
  })

  it('resolves the root to its real path', () => {
    fs.symlinkSync(root, path.join(dir, 'root-link'))
    expect(parseDownloadConfig({ ...valid(), DL_ROOT: 'root-link' }, { cwd: dir }).root).toBe(root)
  })

  it('names every missing required setting, one line each', () => {
    expect(issuesOf({})).toEqual([
      expect.stringMatching(/^DL_ISSUER: is required/),
      expect.stringMatching(/^DL_AUDIENCE: is required/),
      expect.stringMatching(/^DL_ROOT: is required/),
      expect.stringMatching(/^DL_PUBLIC_KEYS: is required/),
    ])
  })

  it.each([
    ['DL_PORT', '70000'],
    ['DL_PORT', 'http'],
    ['DL_PORT', '-1'],
    ['DL_CLOCK_TOLERANCE', '31'],
    ['DL_CLOCK_TOLERANCE', '1.5'],
    ['DL_RESUME', 'yes'],
    ['DL_RESUME_MAX', 'many'],
    ['DL_APP_URL', 'javascript:alert(1)'],
    ['DL_LOG_LEVEL', 'loud'],
    ['DL_SQLITE_SYNCHRONOUS', 'off'],
    ['DL_ROOT', 'does-not-exist'],
    ['DL_ROOT', 'a-file'],
    ['DL_JTI_STORE', 'postgres://db/x'],
    ['DL_JTI_STORE', 'sqlite:'],
    ['DL_JTI_STORE', 'sqlite::memory:'],
    // URL-shaped, but node-redis would refuse them only when connecting, naming no setting.
    ['DL_JTI_STORE', 'redis://cache.internal/abc'],
    ['DL_JTI_STORE', 'redis://user:%zz@cache.internal'],
    ['DL_JTI_STORE', 'redis://127.0.0.1:abc'],
    ['DL_JTI_STORE', 'rediss://:secret@/0'],
    ['DL_PUBLIC_KEYS', 'k4.public.nonsense'],
    ['DL_PUBLIC_KEYS', 'k4.secret.AAAA'],
    ['DL_PUBLIC_KEYS_FILE', 'no-such-file.txt'],
  ])('refuses %s=%j with one line naming it', (name, value) => {
    const lines = issuesOf({ ...valid(), [name]: value })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^${name}: \\S`))
  })

  it.each(['redis://cache.internal', 'redis://cache.internal/', 'rediss://:p%40ss@cache.internal:6380/3', 'redis://[::1]:6379/0'])(
    'accepts the Redis URL %s for DL_JTI_STORE',
    (url) => {
      expect(parseDownloadConfig({ ...valid(), DL_JTI_STORE: url }, { cwd: dir }).jtiStore).toMatchObject({ kind: 'redis', url })
    },
  )

  it('reports all bad settings at once', () => {
    const lines = issuesOf({ ...valid(), DL_PORT: 'x', DL_CLOCK_TOLERANCE: '99', DL_PUBLIC_KEYS: 'junk', DL_JTI_STORE: 'ftp://x' })
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['DL_CLOCK_TOLERANCE', 'DL_JTI_STORE', 'DL_PORT', 'DL_PUBLIC_KEYS'])
  })

  it('never echoes key material or a Redis password in its lines', () => {
    const secretish = 'k4.public.' + 'Q'.repeat(40)
    const lines = issuesOf({ ...valid(), DL_PUBLIC_KEYS: `${keyA.paserk},${secretish}`, DL_JTI_STORE: 'redis://:hunter2%zz@cache.internal' })
    const text = lines.join('\n')
    expect(text).not.toContain('QQQQ')
    expect(text).not.toContain(keyA.paserk.slice(10))
    expect(text).not.toContain('hunter2')
  })
})

describe('start-up errors', () => {
  it('refuses a sqlite: store that cannot be opened for writing, naming DL_JTI_STORE', async () => {
    const config = parseDownloadConfig({ ...valid(), DL_PORT: '0', DL_JTI_STORE: `sqlite:${path.join(dir, 'a-file', 'used.db')}` }, { cwd: dir })
    const started = startDownloadServer(config, { logger: pino({ level: 'silent' }) })
    await expect(started).rejects.toBeInstanceOf(ConfigError)
    await expect(started).rejects.toThrow(/^DL_JTI_STORE: cannot open .* for writing/)
  })

  it('refuses a port in use, naming DL_PORT', async () => {
    const first = await startDownloadServer(parseDownloadConfig({ ...valid(), DL_PORT: '0', DL_JTI_STORE: `sqlite:${path.join(dir, 'in-use-1.db')}` }, { cwd: dir }), { logger: pino({ level: 'silent' }) })
    try {
      const config = parseDownloadConfig({ ...valid(), DL_PORT: String(first.port), DL_JTI_STORE: `sqlite:${path.join(dir, 'in-use-2.db')}` }, { cwd: dir })
      const started = startDownloadServer(config, { logger: pino({ level: 'silent' }) })
      await expect(started).rejects.toBeInstanceOf(ConfigError)
      await expect(started).rejects.toThrow(`DL_PORT: cannot listen on 127.0.0.1:${first.port} (EADDRINUSE)`)
    } finally {
      await first.close()
    }
  })

  it.each([
    ['does not resolve', 'no-such-host.invalid', /^DL_HOST: cannot listen on no-such-host\.invalid:0 \((ENOTFOUND|EAI_AGAIN)\)$/],
    ['is not this machine’s', '192.0.2.1', /^DL_HOST: cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)$/],
  ])('refuses a host that %s, naming DL_HOST (not DL_PORT)', async (_, host, line) => {
    const config = parseDownloadConfig({ ...valid(), DL_HOST: host, DL_PORT: '0', DL_JTI_STORE: `sqlite:${path.join(dir, 'bad-host.db')}` }, { cwd: dir })
    const started = startDownloadServer(config, { logger: pino({ level: 'silent' }) })
    await expect(started).rejects.toBeInstanceOf(ConfigError)
    await expect(started).rejects.toThrow(line)
  })

  it('starts with an unreachable Redis (health says 503 until it is reachable)', async () => {
    const config = parseDownloadConfig({ ...valid(), DL_PORT: '0', DL_JTI_STORE: 'redis://127.0.0.1:1' }, { cwd: dir })
    const server = await startDownloadServer(config, { logger: pino({ level: 'silent' }) })
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(503)
    await server.close()
  })

  it('stops download-server/src/main.ts on an unresolvable DL_HOST: one line naming it, no stack, non-zero exit', async () => {
    const spawned = servers.spawn({ ...valid(), DL_HOST: 'no-such-host.invalid', DL_PORT: '0', DL_JTI_STORE: `sqlite:${path.join(dir, 'bad-host-main.db')}` })
    const { code } = await spawned.exited
    expect(code).not.toBe(0)
    expect(spawned.output().trim().split('\n')).toEqual([expect.stringMatching(/^DL_HOST: cannot listen on no-such-host\.invalid:0 \((ENOTFOUND|EAI_AGAIN)\)$/)])
  })

  it('stops `npm run start:download` with a bad key: one line naming DL_PUBLIC_KEYS, no stack, non-zero exit', async () => {
    const spawned = servers.spawn({ ...valid(), DL_PORT: '0', DL_PUBLIC_KEYS: 'k4.public.nonsense' }, { via: 'npm' })
    const { code } = await spawned.exited
    expect(code).not.toBe(0)
    const lines = spawned.output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^DL_PUBLIC_KEYS: /)
    expect(spawned.output()).not.toMatch(/\n\s+at /)
  })
})
