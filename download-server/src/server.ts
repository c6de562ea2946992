import { createAdaptorServer, type HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { createKeySet, createTokenVerifier } from '../../shared/src/index.js'
import { createApp } from './app.js'
import { ConfigError, isHostListenError } from './config-error.js'
import type { DownloadConfig } from './config.js'
import { createDownloadMetrics } from './metrics.js'
import type { MetricsSource } from './routes/metrics.js'
import { openUsedTokenStore } from './stores/open-used-token-store.js'
import { timedUsedTokenStore } from './stores/timed-used-token-store.js'

export interface DownloadServerOptions {
  logger: Logger
  /** Defaults to the system clock. */
  clock?: () => Date
  /** Also export Node's process metrics (CPU, memory, event loop) on /metrics. One server per process should. */
  processMetrics?: boolean
  /** How long `close()` lets running downloads go on before cutting them. Default 30 s (CONTRACT §2). */
  shutdownGraceMs?: number
  /** What `/metrics` shows, given this server's registry; defaults to the registry itself. */
  metricsSource?: (registry: Registry) => MetricsSource
  /** A response whose client takes nothing for this long is cut; default 30 s (tests shorten it). */
  idleTimeoutMs?: number
}

export interface RunningDownloadServer {
  /** `http://host:port`, with the port actually bound (useful with `DL_PORT=0`). */
  url: string
  port: number
  /**
   * Stops accepting connections at once, lets running downloads finish (up to the grace
   * period, then cuts them), then closes the used-token store.
   */
  close(): Promise<void>
}

/**
 * Builds the store, verifier, metrics and app from `config`, and listens. Installs no process
 * handlers (signals belong to `main.ts`, or to whoever embeds it, like the demo). Rejects with a
 * `ConfigError` when the store cannot be opened or the address cannot be bound.
 */
export async function startDownloadServer(
  config: DownloadConfig,
  options: DownloadServerOptions,
): Promise<RunningDownloadServer> {
  const { logger } = options
  const clock = options.clock ?? (() => new Date())
  const metrics = createDownloadMetrics({ processMetrics: options.processMetrics })
  const rawStore = await openUsedTokenStore(config.jtiStore, { logger, clock })
  const store = timedUsedTokenStore(rawStore, metrics.storeLatency)
  const verifier = createTokenVerifier({
    keys: createKeySet(config.publicKeys),
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSeconds: config.clockToleranceSeconds,
    verifyOn: config.verifyOn,
  })
  const metricsSource = options.metricsSource?.(metrics.registry)
  const app = createApp({ config, verifier, store, metrics, logger, clock, metricsSource, idleTimeoutMs: options.idleTimeoutMs })
  // HTTP/1 only (node:http's createServer), so the bindings are always HttpBindings.
  const fetch = fetchWithDirectWrites(app.fetch)
  const server = createAdaptorServer({ fetch: (request, env) => fetch(request, env as HttpBindings) }) as Server

  try {
    await listen(server, config.host, config.port)
  } catch (error) {
    await store.close()
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
    const variable = isHostListenError(code) ? 'DL_HOST' : 'DL_PORT'
    throw new ConfigError([{ variable, message: `cannot listen on ${config.host}:${config.port} (${code})` }])
  }
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host

  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => {
      closing ??= shutDown(server, options.shutdownGraceMs ?? 30_000).finally(() => store.close())
      return closing
    },
  }
}

type Fetch = (request: Request, env: HttpBindings) => Response | Promise<Response>

/**
 * The adapter's own light Request and Response (its default, `overrideGlobalObjects`) cost a
 * fraction of the platform's per request (measured: ~65 µs less per download here). A file,
 * though, is written straight to Node's response by the file-delivery middleware; Hono wraps
 * whatever a middleware puts in `c.res` into a new (light) Response, which the adapter would
 * try to send again. So the decision is taken here, after the app: once the headers are out,
 * the adapter gets its "already sent" marker itself, unwrapped, and leaves the response alone.
 */
function fetchWithDirectWrites(fetch: Fetch): Fetch {
  return async (request, env) => {
    const response = await fetch(request, env)
    return env.outgoing.headersSent ? RESPONSE_ALREADY_SENT : response
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

async function shutDown(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // close() drops idle keep-alive connections only once; ones that go idle later (a download
  // that just finished) are dropped by this sweep instead of lingering for the keep-alive timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 100)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs)
  })
  try {
    await Promise.race([closed, deadline])
    server.closeAllConnections()
    await closed
  } finally {
    clearInterval(sweep)
    clearTimeout(timer)
  }
}
