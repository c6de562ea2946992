// Entry point of the standalone download server: `npm run start:download`.
// The only file that reads process.env; it wires, listens, and shuts down on SIGTERM/SIGINT.
// With DL_WORKERS > 1 this same file runs as the cluster's primary (forks and supervises) and
// as each worker (a whole server on the shared port).
import cluster from 'node:cluster'
import { pino, type Logger } from 'pino'
import { startClusterPrimary } from './cluster/primary.js'
import { clusterMetricsSource } from './cluster/metrics.js'
import { onPrimaryShutdown, reportReady } from './cluster/worker.js'
import { ConfigError } from './config-error.js'
import { parseDownloadConfig, type DownloadConfig } from './config.js'
import { startDownloadServer, type RunningDownloadServer } from './server.js'

const SHUTDOWN_GRACE_MS = 30_000

function fail(lines: readonly string[]): never {
  process.stderr.write(lines.map((line) => `${line}\n`).join(''))
  process.exit(1)
}

let config: DownloadConfig
try {
  config = parseDownloadConfig(process.env)
} catch (error) {
  if (error instanceof ConfigError) fail(error.lines())
  throw error
}

const role = config.workers === 1 ? 'single' : cluster.isPrimary ? 'primary' : 'worker'

const logger = pino({
  level: config.logLevel,
  // In a cluster the pid tells processes apart (a worker's pid is what an operator would signal).
  base: {
    service: 'download-server',
    ...(role === 'single' ? {} : { pid: process.pid }),
    ...(role === 'worker' ? { worker: cluster.worker?.id } : {}),
  },
  redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.url', 'url'], censor: '[redacted]' },
})

if (role === 'primary') runPrimary(config, logger)
else await runServer(config, logger, role === 'worker')

function runPrimary(settings: DownloadConfig, log: Logger): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down: workers stop accepting and let running downloads finish')
    void primary.stop().then((clean) => {
      log.info('stopped')
      log.flush()
      process.exit(clean ? 0 : 1)
    })
  }
  // Before the first fork: a signal to the whole group must not find the primary without a handler.
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  const primary = startClusterPrimary({ workers: settings.workers, logger: log, shutdownGraceMs: SHUTDOWN_GRACE_MS })
  primary.ready.then(
    (url) => {
      if (!stopping) log.info({ address: url, workers: settings.workers }, `download server listening on ${url} (${settings.workers} workers)`)
    },
    () => {
      // The first worker could not start and has printed why (one line per bad setting).
      if (stopping) return
      log.flush()
      process.exit(1)
    },
  )
}

async function runServer(settings: DownloadConfig, log: Logger, isWorker: boolean): Promise<void> {
  let starting: Promise<RunningDownloadServer> | undefined = undefined // set once the handlers are in
  let stopping = false
  const stop = (reason: string): void => {
    // A signal sent to npm's process group reaches this process once per sender; act on the first.
    if (stopping) return
    stopping = true
    log.info({ signal: reason }, 'shutting down: no new connections, letting running downloads finish')
    // Still starting: stopped as soon as it listens.
    void Promise.resolve(starting).then((server) => server?.close()).then(
      () => {
        log.info('stopped')
        log.flush()
        process.exit(0)
      },
      (error: unknown) => {
        log.error({ err: error instanceof Error ? { type: error.name } : {} }, 'shutdown failed')
        log.flush()
        process.exit(1)
      },
    )
  }
  // Handlers go in before the server starts: a signal during start-up would otherwise take the
  // default action (killed, exit code null) instead of a clean stop.
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  if (isWorker) onPrimaryShutdown(() => stop('primary'))
  starting = startDownloadServer(settings, {
    logger: log,
    processMetrics: true,
    shutdownGraceMs: SHUTDOWN_GRACE_MS,
    metricsSource: isWorker ? (registry) => clusterMetricsSource(registry) : undefined,
  }).catch((error: unknown): never => {
    if (error instanceof ConfigError) fail(error.lines())
    const code = error instanceof Error && 'code' in error ? ` (${String(error.code)})` : ''
    fail([`download-server: could not start${code}`])
  })

  const server = await starting
  if (isWorker) {
    log.info('worker listening')
    reportReady(server.url)
  } else {
    log.info({ address: server.url }, `download server listening on ${server.url}`)
  }
}
