import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'
import { isClusterMessage } from './messages.js'
import { serveClusterMetrics } from './metrics.js'

export interface ClusterPrimaryOptions {
  /** How many workers to keep running. */
  workers: number
  logger: Logger
  /** How long a worker lets running downloads go on after shutdown before it cuts them. */
  shutdownGraceMs: number
  /** A worker still running this long after the grace period is killed. Default 5 s. */
  killAfterMs?: number
}

export interface ClusterPrimary {
  /**
   * Resolves with the URL once every first worker listens. Rejects when the first worker exits
   * before it listens (a bad setting: that worker has printed why), and nothing is restarted.
   */
  ready: Promise<string>
  /**
   * Tells every worker to stop accepting and finish its running downloads; resolves `true` once
   * all have exited by themselves, `false` if one had to be killed.
   */
  stop(): Promise<boolean>
}

const CRASH_WINDOW_MS = 60_000
const MAX_RESTART_DELAY_MS = 10_000

/**
 * Runs `DL_WORKERS` download-server processes with node:cluster on one port: each worker is a
 * whole server (its own store connection, verifier and event loop); the primary only forks,
 * hands out connections, restarts a worker that dies and passes shutdown on. The first worker
 * starts alone, so that a bad setting is reported once and a new SQLite file is set up once.
 */
export function startClusterPrimary(options: ClusterPrimaryOptions): ClusterPrimary {
  const { logger } = options
  const live = new Set<Worker>()
  const crashes: number[] = []
  const restartTimers = new Set<NodeJS.Timeout>()
  let started = false
  let stopping: Promise<boolean> | undefined

  serveClusterMetrics()

  const fork = (): Worker => {
    const worker = cluster.fork()
    live.add(worker)
    // A send to a worker that has just died (a late answer on the IPC channel, ours or a
    // library's) emits 'error' here; unheard, it would end the primary and every worker with it.
    worker.on('error', (error: Error) => logger.warn({ workerPid: worker.process.pid, err: { message: error.message } }, 'could not reach a worker'))
    // A worker still loading its modules when the stop began had no listener for it yet: tell it
    // again once it listens.
    worker.on('message', (message: unknown) => {
      if (stopping !== undefined && isClusterMessage(message, 'tdr:ready') && worker.isConnected()) {
        worker.send({ type: 'tdr:shutdown' }, undefined, {}, () => {})
      }
    })
    worker.on('exit', (code, signal) => {
      live.delete(worker)
      if (stopping !== undefined || !started) return
      logger.error({ workerPid: worker.process.pid, code, signal }, 'worker exited unexpectedly; starting another')
      restartLater()
    })
    return worker
  }

  const restartLater = (): void => {
    const now = Date.now()
    while (crashes.length > 0 && now - crashes[0]! > CRASH_WINDOW_MS) crashes.shift()
    crashes.push(now)
    // A worker that dies at once again (a store that stays broken) is retried ever more slowly.
    const delay = Math.min(100 * 2 ** (crashes.length - 1), MAX_RESTART_DELAY_MS)
    const timer = setTimeout(() => {
      restartTimers.delete(timer)
      if (stopping === undefined) fork()
    }, delay)
    restartTimers.add(timer)
  }

  const ready = (async () => {
    const url = await whenReady(fork())
    started = true
    if (stopping !== undefined) return url
    const others = Array.from({ length: options.workers - 1 }, () => fork())
    // One of these failing to start is handled like a crash (restarted); the first one has shown
    // that the settings work.
    await Promise.all(others.map((worker) => whenReady(worker).catch(() => undefined)))
    return url
  })()

  return {
    ready,
    stop: () => {
      stopping ??= stopAll(live, restartTimers, options)
      return stopping
    },
  }
}

function whenReady(worker: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isClusterMessage(message, 'tdr:ready')) return
      worker.off('exit', onExit)
      worker.off('message', onMessage)
      resolve(message.url)
    }
    const onExit = (code: number | null): void => {
      worker.off('message', onMessage)
      reject(new Error(`worker exited with code ${String(code)} before it listened`))
    }
    worker.on('message', onMessage)
    worker.once('exit', onExit)
  })
}

async function stopAll(live: Set<Worker>, restartTimers: Set<NodeJS.Timeout>, options: ClusterPrimaryOptions): Promise<boolean> {
  for (const timer of restartTimers) clearTimeout(timer)
  restartTimers.clear()
  const exits = [...live].map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))))
  for (const worker of live) {
    if (worker.isConnected()) worker.send({ type: 'tdr:shutdown' }, undefined, {}, () => {})
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(resolve, options.shutdownGraceMs + (options.killAfterMs ?? 5000), 'late')
  })
  const outcome = await Promise.race([Promise.all(exits).then(() => 'done' as const), deadline])
  clearTimeout(timer)
  if (outcome === 'done') return true
  for (const worker of live) {
    options.logger.error({ workerPid: worker.process.pid }, 'worker did not stop in time; killing it')
    worker.process.kill('SIGKILL')
  }
  await Promise.all(exits)
  return false
}
