// `npm run start:app`: the app server alone, from the same settings as the demo, no seeding.
// With APP_WORKERS > 1 this same file runs as the cluster's primary (forks and supervises, and
// keeps the login limiters' counts) and as each worker (a whole app server on the shared port).
import cluster from 'node:cluster'
import { ClusterMemoryStorePrimary, ClusterMemoryStoreWorker } from '@express-rate-limit/cluster-memory-store'
import type { Logger } from 'pino'
// The download server's supervisor: nothing in it is about downloads (fork, restart, shutdown, metrics sums).
import { clusterMetricsSource } from '../../download-server/src/cluster/metrics.js'
import { startClusterPrimary } from '../../download-server/src/cluster/primary.js'
import { onPrimaryShutdown, reportReady } from '../../download-server/src/cluster/worker.js'
import { parseAppConfig } from './config.js'
import type { AppConfig } from './config.js'
import { createLogger } from './logging/create-logger.js'
import { startAppServer } from './server.js'
import type { StartAppServerOptions } from './server.js'
import { describeStartupError } from './startup-error.js'
import { stopOnSignals } from './stop-on-signals.js'

/** How long running requests may go on once a stop is asked for. */
const SHUTDOWN_GRACE_MS = 10_000

function fail(err: unknown): never {
  for (const line of describeStartupError(err)) process.stderr.write(`app-server: ${line}\n`)
  process.exit(1)
}

let config: AppConfig
try {
  config = parseAppConfig(process.env)
} catch (err) {
  fail(err)
}

const role = config.workers === 1 ? 'single' : cluster.isPrimary ? 'primary' : 'worker'
// pino's default fields include the pid, which tells a cluster's processes apart.
const logger = createLogger({ level: config.logLevel })

if (role === 'primary') runPrimary(config, logger)
else await runServer(config, logger, role === 'worker')

function runPrimary(settings: AppConfig, log: Logger): void {
  // With sessions on Redis the limiters count there; otherwise here, for every worker at once
  // (each worker's own memory would give a password guesser one budget per worker).
  if (settings.sessionStore.kind === 'sqlite') new ClusterMemoryStorePrimary().init()
  // Handlers before the first fork: a signal to the whole group must not find the primary without one.
  const stopper = stopOnSignals(log, 'stopping: workers stop accepting and let running requests finish', async () => {
    if (!(await primary.stop())) throw new Error('a worker had to be killed')
  })
  const primary = startClusterPrimary({ workers: settings.workers, logger: log, shutdownGraceMs: SHUTDOWN_GRACE_MS })
  primary.ready.then(
    (url) => {
      if (stopper.stopping) return
      log.info({ url, workers: settings.workers, sessions: settings.sessionStore.kind }, 'app server listening')
      process.stdout.write(`App server listening on ${url} with ${settings.workers} workers (public URL ${settings.publicURL.href})\n`)
    },
    () => {
      // Stopping: the first worker died of the same signal (sent to the whole process group)
      // before it could listen, and the stop ends with exit 0. Otherwise it could not start and
      // has printed why.
      if (!stopper.stopping) process.exit(1)
    },
  )
}

async function runServer(settings: AppConfig, log: Logger, isWorker: boolean): Promise<void> {
  // Before anything starts, so a signal during start-up stops the server once it is up.
  let starting: Promise<{ url: string; close(options?: { graceMs?: number }): Promise<void> }> | undefined
  const stop = async (): Promise<void> => (await starting)?.close({ graceMs: SHUTDOWN_GRACE_MS })
  const stopper = stopOnSignals(log, 'stopping', stop)
  const workerOptions: Partial<StartAppServerOptions> = isWorker
    ? { rateLimitStore: (name) => new ClusterMemoryStoreWorker({ prefix: name }), metricsSource: (registry) => clusterMetricsSource(registry) }
    : {}
  if (isWorker) onPrimaryShutdown(() => stopper.stopNow('primary'))

  const server = await (starting = startAppServer(settings, { logger: log, ...workerOptions }).catch(fail))
  if (isWorker) {
    log.info({ url: server.url }, 'worker listening')
    // Also when stopping: a primary that is stopping answers by asking again.
    reportReady(server.url)
    return
  }
  log.info({ url: server.url, sessions: settings.sessionStore.kind }, 'app server listening')
  process.stdout.write(`App server listening on ${server.url} (public URL ${settings.publicURL.href})\n`)
}
