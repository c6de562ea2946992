// `npm start`: the demo. Keys on first run, a demo user with sample files and an admin, the
// download server and the app server in one process; Ctrl-C stops both. A second run reuses
// DATA_DIR (data and keys).
import fs from 'node:fs'
import path from 'node:path'
import { parseDownloadConfig } from '../../download-server/src/config.js'
import { ConfigError as DownloadConfigError } from '../../download-server/src/config-error.js'
import { startDownloadServer } from '../../download-server/src/server.js'
import { DEFAULT_ADMIN_PASSWORD, DEFAULT_DEMO_PASSWORD, parseAppConfig, withoutTrailingSlash } from './config.js'
import type { AppConfig } from './config.js'
import { openAppDatabase } from './db/open-app-database.js'
import { seedDemo } from './demo/seed-demo.js'
import type { SeedResult } from './demo/seed-demo.js'
import { loadSigningKeys } from './keys/signing-keys.js'
import { createLogger } from './logging/create-logger.js'
import { dataPaths, startAppServer } from './server.js'
import { describeStartupError } from './startup-error.js'
import { stopOnSignals } from './stop-on-signals.js'
import { createPasswordHasher } from './users/password-hasher.js'

function fail(err: unknown): never {
  const lines = err instanceof DownloadConfigError ? err.lines() : describeStartupError(err)
  for (const line of lines) process.stderr.write(`demo: ${line}\n`)
  process.exit(1)
}

let config: AppConfig
try {
  config = parseAppConfig(process.env)
} catch (err) {
  fail(err)
}
const logger = createLogger({ level: config.logLevel, base: { service: 'app-server' } })
// The demo runs one app server in this process, so a cluster setting would be silently ignored.
if (config.workers !== 1) {
  process.stderr.write(`demo: APP_WORKERS=${process.env.APP_WORKERS ?? ''} is ignored: the demo runs one app server in its own process; \`npm run start:app\` runs workers\n`)
}
const paths = dataPaths(config.dataDir)

// Before anything starts, so a signal during start-up stops the servers once they are up.
const closers: Array<() => Promise<void>> = []
let markStarted!: () => void
const started = new Promise<void>((resolve) => (markStarted = resolve))
const signals = stopOnSignals(logger, 'stopping the demo', async () => {
  await started
  await Promise.all(closers.map((close) => close()))
})

// Keys and demo data first: the download server reads the public keys file when it starts.
fs.mkdirSync(paths.filesDir, { recursive: true, mode: 0o700 })
let seed: SeedResult
try {
  loadSigningKeys({ file: config.signingKeysFile.path, createIfMissing: config.signingKeysFile.createIfMissing, publicKeysFile: config.publicKeysFile })
  const db = openAppDatabase(paths.database)
  try {
    seed = await seedDemo({ db, hasher: await createPasswordHasher(), filesDir: paths.filesDir, clock: () => new Date(), demo: config.demo })
  } finally {
    db.close()
  }
} catch (err) {
  fail(err)
}

// The download server's own settings (DL_*) pass through; what must match the app is set here.
const downloadEnv: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('DL_'))),
  DL_PORT: String(config.downloadPort),
  DL_ROOT: paths.filesDir,
  DL_PUBLIC_KEYS: undefined,
  DL_PUBLIC_KEYS_FILE: config.publicKeysFile,
  DL_ISSUER: config.tokenIssuer,
  DL_AUDIENCE: config.tokenAudience,
  // An empty variable counts as unset, as everywhere else (docs/operations.md).
  DL_JTI_STORE: process.env.DL_JTI_STORE || `sqlite:${path.join(config.dataDir, 'used-tokens.db')}`,
  DL_APP_URL: `${withoutTrailingSlash(config.publicURL)}/files`,
}
const download = await (async () => {
  const dlConfig = parseDownloadConfig(downloadEnv)
  // One download server runs inside this process, so a cluster setting would be silently ignored.
  if (dlConfig.workers !== 1) {
    process.stderr.write(`demo: DL_WORKERS=${process.env.DL_WORKERS ?? ''} is ignored: the demo runs one download server in its own process; \`npm run start:download\` runs workers\n`)
  }
  // Its request paths hold tokens: redact them, as its own main.ts does.
  const dlLogger = createLogger({ level: dlConfig.logLevel, base: { service: 'download-server' }, extraRedactPaths: ['req.url', 'url'] })
  // The files page shows what became of each link: read this download server's store, unless
  // APP_DOWNLOAD_OUTCOMES says otherwise.
  const store = dlConfig.jtiStore
  config.downloadOutcomes ??= store.kind === 'sqlite' ? { kind: 'sqlite', path: store.path } : { kind: 'redis', url: store.url, keyPrefix: store.keyPrefix }
  return startDownloadServer(dlConfig, { logger: dlLogger, processMetrics: true })
})().catch(fail)
closers.push(() => download.close())
const app = await startAppServer(config, { logger }).catch(async (err: unknown) => {
  await download.close()
  fail(err)
})
closers.push(() => app.close())
markStarted()

const password = (created: boolean, given: string, documented: string, setting: string): string =>
  !created ? '(the password it already had)' : given === documented ? given : `(the ${setting} you set)`
// A signal during start-up is already stopping the servers: no banner then.
if (!signals.stopping) process.stdout.write(
  [
    '',
    'Tokens done right: the demo is running.',
    `  Open      ${config.publicURL.href}   (this process listens on ${app.url})`,
    `  Sign in   ${seed.demoUser.username} / ${password(seed.demoUser.created, config.demo.password, DEFAULT_DEMO_PASSWORD, 'DEMO_PASSWORD')}`,
    `  Admin     ${seed.admin.username} / ${password(seed.admin.created, config.demo.adminPassword, DEFAULT_ADMIN_PASSWORD, 'ADMIN_PASSWORD')}`,
    `  Downloads ${config.downloadPublicURL.href}   (listening on ${download.url})`,
    `  Data      ${config.dataDir}${seed.demoUser.created ? '   (new: keys made, sample files added)' : '   (reused)'}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n') + '\n',
)

