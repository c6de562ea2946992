import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { isHostListenError } from '../../download-server/src/config-error.js'
import { createTokenSigner } from '../../shared/src/index.js'
import { createApp } from './app.js'
import { registryMetricsSource, type MetricsSource } from '../../download-server/src/routes/metrics.js'
import type { AppConfig } from './config.js'
import { ConfigError, withoutTrailingSlash } from './config.js'
import { openAppDatabase } from './db/open-app-database.js'
import { FileRepository } from './files/file-repository.js'
import { FileService } from './files/file-service.js'
import { loadSessionSecrets } from './keys/session-secrets.js'
import { loadSigningKeys } from './keys/signing-keys.js'
import { IssuedTokenRepository } from './revocation/issued-token-repository.js'
import { DEFAULT_LINK_FATES, LinkFates } from './revocation/link-fates.js'
import { openDownloadOutcomes } from './revocation/open-download-outcomes.js'
import type { FetchLike } from './revocation/revocation-client.js'
import { ACCEPTED_PAST_EXPIRY_MS, createRevocationEvents } from './revocation/revocation-events.js'
import { createRevocationMetrics } from './revocation/revocation-metrics.js'
import { DEFAULT_REVOCATION_TUNING } from './revocation/revocation-worker.js'
import type { RevocationTuning } from './revocation/revocation-worker.js'
import type { LoginLimits } from './security/login-rate-limits.js'
import type { SecurityEvents, SecurityEventsContext } from './security-events.js'
import { openSessionStore } from './stores/open-session-store.js'
import { AccountService } from './users/account-service.js'
import { createPasswordHasher } from './users/password-hasher.js'
import { UserRepository } from './users/user-repository.js'

export interface AppServer {
  /** Where it listens, e.g. http://127.0.0.1:3000 (the real port when APP_PORT is 0). */
  url: string
  /** Stops accepting, lets running requests finish (up to `graceMs`), closes the stores. */
  close(options?: { graceMs?: number }): Promise<void>
}

export interface StartAppServerOptions {
  logger: Logger
  clock?: () => Date
  loginLimits?: LoginLimits
  /** Key prefix when sessions are on Redis (tests use a unique one). */
  redisKeyPrefix?: string
  /**
   * Builds the SecurityEvents sink; defaults to revocation (revocation/revocation-events.ts:
   * audit log lines, issued tokens recorded, live ones revoked through the outbox).
   */
  events?: (context: SecurityEventsContext) => SecurityEvents
  purgeIntervalMs?: number
  /** Revocation delivery and link fates: the HTTP client, the jitter source and timings (tests shorten them). */
  revocation?: RevocationWiring
  /**
   * The login limiters' counts when the session store keeps none (SQLite): a cluster worker
   * passes the primary's shared store. Default: this process's memory.
   */
  rateLimitStore?: (name: string) => Store
  /** What GET /metrics serves (APP_METRICS=on): a cluster worker passes the primary's sums. Default: this process's registry. */
  metricsSource?: (registry: Registry) => MetricsSource
}

export interface RevocationWiring {
  /** Default: the global fetch. */
  fetch?: FetchLike
  /** Default: Math.random (jitter only, not a secret). */
  random?: () => number
  tuning?: Partial<RevocationTuning>
  /** How long a logout, ban... waits for the first delivery attempt; default 300 ms. */
  firstAttemptMs?: number
  /** Timeout of one POST /revoke; default 2 s. */
  requestTimeoutMs?: number
  linkFates?: Partial<typeof DEFAULT_LINK_FATES>
}

/** Paths under DATA_DIR the app uses; the demo and the download server share `filesDir`. */
export function dataPaths(dataDir: string): { database: string; filesDir: string; incomingDir: string } {
  return {
    database: path.join(dataDir, 'app.db'),
    filesDir: path.join(dataDir, 'files'),
    incomingDir: path.join(dataDir, 'incoming'),
  }
}

/** One start-up line naming the setting to change: APP_HOST, or APP_PORT (in use, not allowed). */
function listenError(err: unknown, config: AppConfig): ConfigError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error'
  const setting = isHostListenError(code) ? 'APP_HOST' : 'APP_PORT'
  return new ConfigError([`${setting}: cannot listen on ${config.host}:${config.port} (${code})`])
}

/** Wires the app server from its settings and listens. The entry points and the tests call this. */
export async function startAppServer(config: AppConfig, options: StartAppServerOptions): Promise<AppServer> {
  const { logger } = options
  const clock = options.clock ?? ((): Date => new Date())
  const paths = dataPaths(config.dataDir)
  for (const dir of [config.dataDir, paths.filesDir, paths.incomingDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 })

  const keys = loadSigningKeys({ file: config.signingKeysFile.path, createIfMissing: config.signingKeysFile.createIfMissing, publicKeysFile: config.publicKeysFile })
  if (keys.looseMode) logger.warn({ file: config.signingKeysFile.path }, 'signing keys file is readable by group or others; chmod 600 it')
  logger.info({ kid: keys.current.kid, trusted: keys.all.length }, 'signing key loaded')
  const sessionSecrets = loadSessionSecrets(config.sessionSecrets)

  const db = openAppDatabase(paths.database)
  const opened = await openSessionStore({
    setting: config.sessionStore,
    ttlSeconds: config.sessionTTLSeconds,
    clock,
    logger,
    redisKeyPrefix: options.redisKeyPrefix ?? 'tdr:app:',
  }).catch((err: unknown) => {
    db.close()
    throw err
  })

  const signer = createTokenSigner({
    key: keys.current,
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    lifetimeSeconds: config.tokenLifetimeSeconds,
  })
  const metrics = createRevocationMetrics(new Registry())
  const wiring = options.revocation ?? {}
  const eventsContext = { db, signer, config, logger, clock }
  const events = options.events
    ? options.events(eventsContext)
    : createRevocationEvents(eventsContext, {
        fetch: wiring.fetch ?? globalThis.fetch,
        random: wiring.random ?? Math.random,
        metrics,
        tuning: { ...DEFAULT_REVOCATION_TUNING, ...wiring.tuning },
        firstAttemptMs: wiring.firstAttemptMs ?? 300,
        requestTimeoutMs: wiring.requestTimeoutMs ?? 2000,
      })
  const linkFates = new LinkFates({
    issued: new IssuedTokenRepository(db),
    outcomes: openDownloadOutcomes(config.downloadOutcomes, { logger, clock }),
    clock,
    logger,
    ...DEFAULT_LINK_FATES,
    ...wiring.linkFates,
    acceptedPastExpiryMs: ACCEPTED_PAST_EXPIRY_MS,
  })
  linkFates.start()
  const users = new UserRepository(db)
  const hasher = await createPasswordHasher()
  const accounts = new AccountService({ users, sessions: opened.store, hasher, events, clock })
  const files = new FileService({
    files: new FileRepository(db),
    filesDir: paths.filesDir,
    signer,
    downloadBaseURL: withoutTrailingSlash(config.downloadPublicURL),
    events,
    clock,
  })
  // Redis sessions count sign-ins in Redis; otherwise a cluster worker's shared store, or memory.
  const rateLimitStore = opened.rateLimitStore ?? options.rateLimitStore
  const app = createApp({
    logger,
    clock,
    users,
    accounts,
    files,
    sessionStore: opened.store,
    sessionSecrets,
    https: config.secureCookies,
    trustProxy: config.trustProxy,
    sessionTTLSeconds: config.sessionTTLSeconds,
    uploadMaxBytes: config.uploadMaxBytes,
    linkLifetimeSeconds: config.tokenLifetimeSeconds,
    incomingDir: paths.incomingDir,
    ...(options.loginLimits ? { loginLimits: options.loginLimits } : {}),
    ...(rateLimitStore ? { rateLimitStore } : {}),
    linkFates,
    ...(config.metrics ? { metrics: options.metricsSource?.(metrics.registry) ?? registryMetricsSource(metrics.registry) } : {}),
  })

  const server = http.createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch(async (err: unknown) => {
    await events.close?.()
    await linkFates.close()
    await opened.close()
    db.close()
    throw listenError(err, config)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  const purge = setInterval(() => {
    opened.store.purgeExpired().then(
      (n) => n > 0 && logger.debug({ purged: n }, 'expired sessions purged'),
      (err: unknown) => logger.warn({ err }, 'purging expired sessions failed'),
    )
  }, options.purgeIntervalMs ?? 10 * 60_000)
  purge.unref()

  let closing: Promise<void> | undefined
  return {
    url,
    close(closeOptions = {}) {
      closing ??= (async () => {
        clearInterval(purge)
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        const grace = setTimeout(() => server.closeAllConnections(), closeOptions.graceMs ?? 10_000)
        await closed
        clearTimeout(grace)
        await events.close?.()
        await linkFates.close()
        await opened.close()
        db.close()
      })()
      return closing
    },
  }
}
