import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, parseAppConfig } from '../../app-server/src/config.js'

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseAppConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return [...(err as ConfigError).problems]
  }
  throw new Error('no ConfigError')
}

describe('parseAppConfig', () => {
  it('has the documented defaults', () => {
    const c = parseAppConfig({})
    expect(c.host).toBe('127.0.0.1')
    expect(c.port).toBe(3000)
    expect(c.dataDir).toBe(path.resolve('./data'))
    expect(c.publicURL.href).toBe('http://127.0.0.1:3000/')
    expect(c.downloadPublicURL.href).toBe('http://127.0.0.1:3001/')
    expect(c.downloadInternalURL.href).toBe('http://127.0.0.1:3001/')
    expect(c.tokenIssuer).toBe('http://127.0.0.1:3000')
    expect(c.tokenAudience).toBe('http://127.0.0.1:3001')
    expect(c.tokenLifetimeSeconds).toBe(300)
    expect(c.sessionStore).toEqual({ kind: 'sqlite', path: path.resolve('./data/sessions.db') })
    expect(c.signingKeysFile).toEqual({ path: path.resolve('./data/keys/signing-keys.txt'), createIfMissing: true })
    expect(c.publicKeysFile).toBe(path.resolve('./data/keys/public-keys.txt'))
    expect(c.sessionSecrets).toEqual({ kind: 'file', path: path.resolve('./data/keys/session-secret.txt') })
    expect(c.trustProxy).toBe(false)
    expect(c.secureCookies).toBe(false)
    expect(c.uploadMaxBytes).toBe(100 * 1024 * 1024)
    expect(c.demo).toEqual({ user: 'demo', password: 'demo-password-change-me', adminUser: 'admin', adminPassword: 'admin-password-change-me' })
    expect(c.workers).toBe(1)
  })

  it('reads APP_WORKERS: a count, or auto for one per CPU (at most 64)', () => {
    expect(parseAppConfig({ APP_WORKERS: '3' }).workers).toBe(3)
    expect(parseAppConfig({ APP_WORKERS: 'AUTO' }, { cpuCount: 2 }).workers).toBe(2)
    expect(parseAppConfig({ APP_WORKERS: 'auto' }, { cpuCount: 96 }).workers).toBe(64)
    for (const bad of ['0', '65', '2.5', 'two', '-1']) {
      expect(problemsOf({ APP_WORKERS: bad })).toEqual([expect.stringMatching(/^APP_WORKERS: must be (auto or a whole number )?from 1 to 64$/)])
    }
  })

  it('derives the URLs from the ports and DATA_DIR', () => {
    const c = parseAppConfig({ APP_PORT: '8080', DL_PORT: '8081', DATA_DIR: '/srv/x', APP_SESSION_STORE: 'redis://cache:6379/2' })
    expect(c.publicURL.href).toBe('http://127.0.0.1:8080/')
    expect(c.downloadPublicURL.href).toBe('http://127.0.0.1:8081/')
    expect(c.tokenAudience).toBe('http://127.0.0.1:8081')
    expect(c.sessionStore).toEqual({ kind: 'redis', url: 'redis://cache:6379/2' })
    expect(c.publicKeysFile).toBe('/srv/x/keys/public-keys.txt')
  })

  it('treats an empty or blank variable as unset, as the download server does', () => {
    expect(parseAppConfig({ APP_PORT: '', DATA_DIR: '' }).port).toBe(3000)
    const blank = parseAppConfig({ APP_PORT: ' ', LOG_LEVEL: '\t', APP_SESSION_STORE: '  ' })
    expect(blank).toMatchObject({ port: 3000, logLevel: 'info', sessionStore: { kind: 'sqlite' } })
  })

  it('keeps spaces inside a value that is not blank (a password may hold them)', () => {
    expect(parseAppConfig({ DEMO_PASSWORD: ' a demo password with spaces ' }).demo.password).toBe(' a demo password with spaces ')
  })

  it('names every bad setting, one line each, and echoes no secret', () => {
    const problems = problemsOf({
      APP_PORT: 'abc',
      DL_PORT: '70000',
      APP_PUBLIC_URL: 'ftp://x',
      TOKEN_LIFETIME_SECONDS: '301',
      APP_SESSION_STORE: 'mysql://x',
      APP_SESSION_TTL_SECONDS: '0',
      APP_TRUST_PROXY: 'true',
      APP_UPLOAD_MAX_BYTES: '-1',
      APP_SESSION_SECRET: 'too-short-secret-value',
      DEMO_USER: 'has space',
      DEMO_PASSWORD: 'short',
    })
    const named = problems.map((p) => p.split(':')[0])
    expect(named.sort()).toEqual(
      [
        'APP_PORT',
        'DL_PORT',
        'APP_PUBLIC_URL',
        'TOKEN_LIFETIME_SECONDS',
        'APP_SESSION_STORE',
        'APP_SESSION_TTL_SECONDS',
        'APP_TRUST_PROXY',
        'APP_UPLOAD_MAX_BYTES',
        'APP_SESSION_SECRET',
        'DEMO_USER',
        'DEMO_PASSWORD',
      ].sort(),
    )
    expect(problems.join('\n')).not.toContain('too-short-secret-value')
    expect(problems.every((p) => !p.includes('\n'))).toBe(true)
  })

  it('refuses a token lifetime over 300 s', () => {
    expect(problemsOf({ TOKEN_LIFETIME_SECONDS: '301' })).toEqual(['TOKEN_LIFETIME_SECONDS: must be from 1 to 300'])
    expect(parseAppConfig({ TOKEN_LIFETIME_SECONDS: '60' }).tokenLifetimeSeconds).toBe(60)
  })

  it.each([
    ['APP_PORT', '0x10', 'must be a whole number from 0 to 65535'],
    ['APP_PORT', ' 80', 'must be a whole number from 0 to 65535'],
    ['APP_PORT', '1e3', 'must be a whole number from 0 to 65535'],
    ['APP_PORT', '65536', 'must be from 0 to 65535'],
    ['DL_PORT', '0x10', 'must be a whole number from 0 to 65535'],
    ['DL_PORT', '3001.0', 'must be a whole number from 0 to 65535'],
    ['TOKEN_LIFETIME_SECONDS', '1e2', 'must be a whole number from 1 to 300'],
    ['APP_SESSION_TTL_SECONDS', '0x10', 'must be a whole number from 1 to 2592000'],
    ['APP_SESSION_TTL_SECONDS', '0', 'must be from 1 to 2592000'],
    ['APP_UPLOAD_MAX_BYTES', '1 ', `must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['APP_UPLOAD_MAX_BYTES', '9007199254740993', `must be from 1 to ${Number.MAX_SAFE_INTEGER}`],
  ])('takes %s in decimal digits only: refuses %j', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name}: ${message}`])
  })

  it('reads ports and counts written in decimal digits', () => {
    const c = parseAppConfig({ APP_PORT: '0', DL_PORT: '65535', TOKEN_LIFETIME_SECONDS: '060', APP_UPLOAD_MAX_BYTES: '1' })
    expect([c.port, c.downloadPort, c.tokenLifetimeSeconds, c.uploadMaxBytes]).toEqual([0, 65535, 60, 1])
  })

  it('refuses an https public URL without a trusted proxy (the app itself speaks plain HTTP)', () => {
    expect(problemsOf({ APP_PUBLIC_URL: 'https://app.example' })[0]).toMatch(/^APP_TRUST_PROXY: /)
    const c = parseAppConfig({ APP_PUBLIC_URL: 'https://app.example', APP_TRUST_PROXY: '1' })
    expect(c.secureCookies).toBe(true)
    expect(c.trustProxy).toBe(1)
    expect(c.tokenIssuer).toBe('https://app.example')
  })

  it.each(['abc', '1.2.3.4.5', '::::', '1.2.3.4/99', '::1/129', '10.0.0.0/0', '10.0.0.1,', 'loopback,cafe'])(
    'refuses APP_TRUST_PROXY=%j by name (not with Express\'s "invalid IP address" at start-up)',
    (value) => {
      const problems = problemsOf({ APP_TRUST_PROXY: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^APP_TRUST_PROXY: must be /)
    },
  )

  it('takes APP_TRUST_PROXY addresses, CIDRs and proxy-addr names, comma-separated', () => {
    expect(parseAppConfig({ APP_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7, ::1/128, fd00::/8, loopback, uniquelocal' }).trustProxy).toBe(
      '10.0.0.0/8,192.168.1.7,::1/128,fd00::/8,loopback,uniquelocal',
    )
    expect(parseAppConfig({ APP_TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(parseAppConfig({ APP_TRUST_PROXY: 'false' }).trustProxy).toBe(false)
  })

  it.each(['APP_SESSION_STORE', 'APP_DOWNLOAD_OUTCOMES'])('refuses a Redis URL node-redis cannot parse in %s by name, without echoing it', (name) => {
    for (const value of ['redis://127.0.0.1:abc', 'redis://:s3cret@127.0.0.1:99999', 'redis://127.0.0.1:6379/abc', 'redis:///0']) {
      const problems = problemsOf({ [name]: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(new RegExp(`^${name}: must be sqlite:<path> or a redis:// URL`))
      expect(problems[0]).not.toContain('s3cret')
    }
    expect(parseAppConfig({ [name]: 'rediss://user:p%40ss@cache.internal:6380/3' })).toBeDefined()
  })

  it('takes cookie secrets from APP_SESSION_SECRET when set', () => {
    const a = 'a'.repeat(32)
    const b = 'b'.repeat(40)
    expect(parseAppConfig({ APP_SESSION_SECRET: `${a}, ${b}` }).sessionSecrets).toEqual({ kind: 'setting', secrets: [a, b] })
  })

  it('reads LOG_LEVEL: info when unset or empty, one line naming it when not a pino level', () => {
    expect(parseAppConfig({}).logLevel).toBe('info')
    expect(parseAppConfig({ LOG_LEVEL: '' }).logLevel).toBe('info')
    expect(parseAppConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn')
    expect(problemsOf({ LOG_LEVEL: 'bogus' })).toEqual(['LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'])
  })

  it('refuses the same name for the demo user and the admin', () => {
    expect(problemsOf({ DEMO_USER: 'Admin' })).toEqual(['ADMIN_USER: must differ from DEMO_USER'])
  })
})
