import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseDownloadConfig } from '../../../download-server/src/config.js'
import { startDownloadServer } from '../../../download-server/src/server.js'
import { parseAppConfig } from '../../../app-server/src/config.js'
import type { AppConfig } from '../../../app-server/src/config.js'
import { openAppDatabase } from '../../../app-server/src/db/open-app-database.js'
import { seedDemo } from '../../../app-server/src/demo/seed-demo.js'
import { loadSigningKeys } from '../../../app-server/src/keys/signing-keys.js'
import { createLogger } from '../../../app-server/src/logging/create-logger.js'
import type { LoginLimits } from '../../../app-server/src/security/login-rate-limits.js'
import { dataPaths, startAppServer } from '../../../app-server/src/server.js'
import type { AppServer, StartAppServerOptions } from '../../../app-server/src/server.js'
import { createPasswordHasher } from '../../../app-server/src/users/password-hasher.js'
import type { Role } from '../../../app-server/src/users/user-repository.js'
import { UserRepository } from '../../../app-server/src/users/user-repository.js'
import { CookieClient } from './cookie-client.js'

export const ISSUER = 'http://app.test'
export const AUDIENCE = 'http://dl.test'

export interface Account {
  id: number
  username: string
  password: string
}

/** Everything every logger wrote, to scan for secrets. */
export class LogCollector {
  text = ''
  write(chunk: string): void {
    this.text += chunk
  }
}

export interface Harness {
  app: AppServer
  appURL: string
  downloadURL: string
  dataDir: string
  config: AppConfig
  logs: LogCollector
  demo: Account
  admin: Account
  other: Account
  client(options?: { userAgent?: string; headers?: Record<string, string> }): CookieClient
  /** A second app server on the same DATA_DIR and settings: another process of a scaled-out app. */
  startAnotherApp(): Promise<AppServer>
  createUser(username: string, password: string, role?: Role): Promise<Account>
  /** Files under DATA_DIR/files and DATA_DIR/incoming, and rows in the files table. */
  storedFiles(): { onDisk: string[]; incoming: string[]; rows: number }
  close(): Promise<void>
}

export interface HarnessOptions {
  env?: Record<string, string>
  loginLimits?: LoginLimits
  downloadServer?: boolean
  /** The app reads the harness download server's store for link fates, as the demo does. */
  reportOutcomes?: boolean
  redisKeyPrefix?: string
  /** The seeded demo user (default alice); it owns the sample files. */
  demo?: { username: string; password: string }
  /** Where the download server's refusal pages link back to. */
  downloadAppURL?: string
  events?: StartAppServerOptions['events']
  /** Revocation wiring (HTTP client, timings) for the app servers. */
  revocation?: StartAppServerOptions['revocation']
  clock?: StartAppServerOptions['clock']
}

/** A real app server (and, by default, a real download server) on loopback ports, in a temp DATA_DIR. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-test-'))
  const paths = dataPaths(dataDir)
  const logs = new LogCollector()
  const logger = createLogger({ level: 'debug', destination: logs })
  const hasher = await createPasswordHasher()

  const keysDir = path.join(dataDir, 'keys')
  loadSigningKeys({ file: path.join(keysDir, 'signing-keys.txt'), createIfMissing: true, publicKeysFile: path.join(keysDir, 'public-keys.txt') })
  const demo = options.demo ?? { username: 'alice', password: 'alice password 1' }
  const admin = { username: 'root', password: 'root password 1' }
  const db = openAppDatabase(paths.database)
  fs.mkdirSync(paths.filesDir, { recursive: true })
  await seedDemo({ db, hasher, filesDir: paths.filesDir, clock: () => new Date(), demo: { user: demo.username, password: demo.password, adminUser: admin.username, adminPassword: admin.password } })
  const users = new UserRepository(db)
  const createUser = async (username: string, password: string, role: Role = 'user'): Promise<Account> => {
    const u = users.create({ username, passwordHash: await hasher.hash(password), role, now: new Date() })
    return { id: u.id, username, password }
  }
  const other = await createUser('bob', 'bob password 1')

  const download =
    options.downloadServer === false
      ? undefined
      : await startDownloadServer(
          parseDownloadConfig({
            DL_PORT: '0',
            DL_ROOT: paths.filesDir,
            DL_PUBLIC_KEYS_FILE: path.join(keysDir, 'public-keys.txt'),
            DL_ISSUER: ISSUER,
            DL_AUDIENCE: AUDIENCE,
            DL_JTI_STORE: `sqlite:${path.join(dataDir, 'used-tokens.db')}`,
            DL_APP_URL: options.downloadAppURL ?? 'http://app.test/files',
          }),
          { logger: createLogger({ level: 'debug', destination: logs, extraRedactPaths: ['req.url', 'url'] }), shutdownGraceMs: 1000 },
        )
  const downloadURL = download?.url ?? 'http://127.0.0.1:9'
  const config = parseAppConfig({
    DATA_DIR: dataDir,
    APP_PORT: '0',
    DL_PUBLIC_URL: downloadURL,
    // Revocations go to the harness's own download server, never to whatever owns port 3001.
    ...(download ? { DL_INTERNAL_URL: downloadURL } : {}),
    TOKEN_ISSUER: ISSUER,
    TOKEN_AUDIENCE: AUDIENCE,
    ...(options.reportOutcomes ? { APP_DOWNLOAD_OUTCOMES: `sqlite:${path.join(dataDir, 'used-tokens.db')}` } : {}),
    ...options.env,
  })
  const start = (): Promise<AppServer> =>
    startAppServer(config, {
      logger,
      ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
      ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
      ...(options.events ? { events: options.events } : {}),
      ...(options.revocation ? { revocation: options.revocation } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    })
  const app = await start()
  const extra: AppServer[] = []

  return {
    app,
    appURL: app.url,
    downloadURL,
    dataDir,
    config,
    logs,
    demo: { id: (users.findByUsername(demo.username) as { id: number }).id, ...demo },
    admin: { id: (users.findByUsername(admin.username) as { id: number }).id, ...admin },
    other,
    client: (o) => new CookieClient(app.url, o),
    async startAnotherApp() {
      const s = await start()
      extra.push(s)
      return s
    },
    createUser,
    storedFiles: () => ({
      onDisk: fs.readdirSync(paths.filesDir),
      incoming: fs.readdirSync(paths.incomingDir),
      rows: (db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n,
    }),
    async close() {
      await Promise.all([app.close({ graceMs: 500 }), ...extra.map((s) => s.close({ graceMs: 500 })), download?.close()])
      db.close()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
