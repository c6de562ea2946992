import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAppConfig, type AppConfig } from '../../app-server/src/config.js'
import { dataPaths } from '../../app-server/src/server.js'
import { parseDownloadConfig, type DownloadConfig } from '../../download-server/src/config.js'
import { parsePublicKeyList, parseSecretKey } from '../../shared/src/index.js'
import { composeConfig, hostPath, locate, ROOT, settingsReadBy, volumesOf, type ComposeConfig, type ComposeService } from './support/compose-file.js'

const packageJSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }

let compose: ComposeConfig
let app: ComposeService
let download: ComposeService
let keys: ComposeService
let dir: string
let keysRun: { stdout: string }

/** A service's environment with each container path moved onto `dir`, volume by volume. */
function localEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, value.startsWith('/') ? hostPath(service, value, dir) : value]),
  )
}

/** The `keys` service's script, run here with its volumes mapped onto `dir`. */
async function runKeysService(): Promise<{ stdout: string }> {
  const [shell = '', flags = '', script = ''] = keys.command ?? []
  expect([shell, flags]).toEqual(['sh', '-ec'])
  let local = script
  for (const volume of volumesOf(keys)) local = local.replaceAll(volume.target, path.join(dir, volume.source))
  for (const volume of volumesOf(keys)) fs.mkdirSync(path.join(dir, volume.source), { recursive: true, mode: 0o700 })
  return promisify(execFile)('sh', ['-ec', local], { cwd: ROOT, timeout: 30_000 })
}

beforeAll(async () => {
  compose = await composeConfig()
  ;({ app, download, keys } = compose.services as Record<'app' | 'download' | 'keys', ComposeService>)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdr-compose-'))
  fs.mkdirSync(path.join(dir, 'files'))
  keysRun = await runKeysService()
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const appConfig = (): AppConfig => parseAppConfig(localEnv(app))
const downloadConfig = (): DownloadConfig => parseDownloadConfig(localEnv(download), { cwd: dir })

describe('docker-compose.yml', () => {
  it('is valid for docker-compose and has the four services and their named volumes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'download', 'keys', 'redis'])
    expect(Object.keys(compose.volumes).sort()).toEqual(['app-data', 'files', 'public-keys', 'redis-data', 'signing-keys'])
  })

  it('sets only variables the app and download servers read (or the image health check)', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    expect(dockerfile).toContain('process.env.HEALTHCHECK_URL')
    const known = {
      app: new Set([...settingsReadBy(['app-server/src/config.ts', 'app-server/src/main.ts']), 'HEALTHCHECK_URL']),
      download: new Set([...settingsReadBy(['download-server/src/config.ts', 'download-server/src/main.ts']), 'HEALTHCHECK_URL']),
    }
    for (const [name, service] of [['app', app], ['download', download]] as const) {
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !known[name].has(variable))
      expect(unknown, `${name} sets variables its server never reads`).toEqual([])
    }
  })

  it("gives each server settings its own parser accepts", () => {
    expect(() => appConfig()).not.toThrow()
    expect(() => downloadConfig()).not.toThrow()
  })

  it("makes the download server accept exactly the app's issuer and audience", () => {
    const a = appConfig()
    const d = downloadConfig()
    expect(d.issuer).toBe(a.tokenIssuer)
    expect(d.audience).toBe(a.tokenAudience)
    expect(d.appURL).toBe(a.publicURL.href.replace(/\/$/, ''))
  })

  it('keeps issuer and audience matched when the public URLs are changed for a real deployment', async () => {
    const custom = await composeConfig({ APP_PUBLIC_URL: 'https://files.example.org', DL_PUBLIC_URL: 'https://dl.files.example.org', APP_TRUST_PROXY: 'uniquelocal' })
    const [customApp, customDownload] = [custom.services.app, custom.services.download] as [ComposeService, ComposeService]
    const a = parseAppConfig({ ...customApp.environment })
    expect(a.secureCookies).toBe(true)
    expect(customDownload.environment?.DL_ISSUER).toBe(a.tokenIssuer)
    expect(customDownload.environment?.DL_AUDIENCE).toBe(a.tokenAudience)
    expect(a.downloadPublicURL.href).toBe('https://dl.files.example.org/')
  })

  it('publishes, health-checks and links the ports the servers listen on', () => {
    const a = appConfig()
    const d = downloadConfig()
    expect(app.ports).toEqual([{ published: Number(a.publicURL.port), target: a.port }])
    expect(download.ports).toEqual([{ published: Number(a.downloadPublicURL.port), target: d.port }])
    expect(a.downloadInternalURL.href).toBe(`http://download:${d.port}/`)
    expect(app.environment?.HEALTHCHECK_URL).toBe(`http://127.0.0.1:${a.port}/healthz`)
    expect(download.environment?.HEALTHCHECK_URL).toBe(`http://127.0.0.1:${d.port}/healthz`)
    expect(a.host).toBe('0.0.0.0')
    expect(d.host).toBe('0.0.0.0')
  })

  it('runs each server with its own npm start script, by node directly (so SIGTERM reaches it)', () => {
    expect(app.command?.join(' ')).toBe(packageJSON.scripts['start:app'])
    expect(download.command?.join(' ')).toBe(packageJSON.scripts['start:download'])
    for (const service of [app, download, keys]) {
      expect(service.image).toBe(app.image)
      expect(service.init).toBe(true)
    }
    // Running downloads get up to 30 s after SIGTERM (CONTRACT §2); docker must not cut them sooner.
    for (const service of [app, download]) expect(Number.parseInt(service.stop_grace_period ?? '0', 10)).toBeGreaterThanOrEqual(30)
  })

  it('shares used tokens and sessions through the redis service', () => {
    const a = appConfig()
    const d = downloadConfig()
    expect(a.sessionStore).toEqual({ kind: 'redis', url: 'redis://redis:6379' })
    expect(d.jtiStore).toMatchObject({ kind: 'redis', url: 'redis://redis:6379' })
    // The files page reads the download server's used tokens: same Redis, same key prefix.
    expect(a.downloadOutcomes).toEqual(d.jtiStore)
    for (const service of [app, download]) expect(service.depends_on?.redis).toEqual({ condition: 'service_healthy' })
  })

  it('keeps Redis on a volume with AOF (fsync everysec or always) and no eviction, health-checked', () => {
    const redis = compose.services.redis as ComposeService
    const args = (redis.command ?? []).join(' ')
    expect(args).toMatch(/--appendonly yes\b/)
    expect(args).toMatch(/--appendfsync (everysec|always)\b/)
    expect(args).toMatch(/--maxmemory-policy noeviction\b/)
    expect(locate(redis, '/data/appendonlydir')?.volume.source).toBe('redis-data')
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping'])
  })

  it("serves the app's uploaded files read-only from the same volume", () => {
    const filesDir = dataPaths(app.environment?.DATA_DIR ?? '').filesDir
    const appFiles = locate(app, filesDir)
    const served = locate(download, download.environment?.DL_ROOT ?? '')
    expect(appFiles?.rest).toBe('')
    expect(served?.rest).toBe('')
    expect(served?.volume.source).toBe(appFiles?.volume.source)
    expect(appFiles?.volume.readOnly).toBe(false)
    expect(served?.volume.readOnly).toBe(true)
  })

  it('hands the public key to the download server and keeps the secret from it', () => {
    const signing = locate(app, app.environment?.APP_SIGNING_KEYS_FILE ?? '')
    const trusted = locate(download, download.environment?.DL_PUBLIC_KEYS_FILE ?? '')
    expect(signing?.volume).toMatchObject({ source: 'signing-keys', readOnly: true })
    expect(trusted?.volume).toMatchObject({ source: 'public-keys', readOnly: true })
    expect(volumesOf(download).map((v) => v.source)).not.toContain('signing-keys')
    expect(volumesOf(keys).map((v) => v.source).sort()).toEqual(['public-keys', 'signing-keys'])
    for (const service of [app, download]) expect(service.depends_on?.keys).toEqual({ condition: 'service_completed_successfully' })
  })

  it('makes, in the keys service, a 0600 signing key whose public half the download server trusts', () => {
    const secretFile = hostPath(app, app.environment?.APP_SIGNING_KEYS_FILE ?? '', dir)
    const publicFile = hostPath(download, download.environment?.DL_PUBLIC_KEYS_FILE ?? '', dir)
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600)
    const lines = fs.readFileSync(secretFile, 'utf8').split('\n').filter((l) => l.startsWith('k4.'))
    expect(lines).toHaveLength(1)
    const secret = parseSecretKey(lines[0] ?? '')
    expect(parsePublicKeyList(fs.readFileSync(publicFile, 'utf8')).map((k) => k.kid)).toEqual([secret.kid])
    expect(downloadConfig().publicKeys.map((k) => k.kid)).toEqual([secret.kid])
    expect(keysRun.stdout).toContain(secret.kid)
  })

  it('leaves existing keys alone when the keys service runs again', async () => {
    const secretFile = hostPath(app, app.environment?.APP_SIGNING_KEYS_FILE ?? '', dir)
    const before = fs.readFileSync(secretFile, 'utf8')
    const again = await runKeysService()
    expect(again.stdout).toContain('nothing to do')
    expect(fs.readFileSync(secretFile, 'utf8')).toBe(before)
  })
})
