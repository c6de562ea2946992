import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'

export interface ServiceProcess {
  readonly name: string
  readonly pid: number
  readonly logFile: string
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(options?: { graceMs?: number }): Promise<void>
  hasExited(): boolean
}

export interface StartServiceOptions {
  name: string
  command: string
  args: readonly string[]
  env?: NodeJS.ProcessEnv
  cwd?: string
  logFile: string
  /** Polled until it answers with a status accepted by `isReady`. */
  readyUrl: string
  isReady?: (status: number) => boolean
  /**
   * Also waited for in the log file once `readyUrl` answers: a cluster answers as soon as its
   * first worker listens, and says so when all of them do.
   */
  readyLogLine?: RegExp
  timeoutMs?: number
}

export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

async function exitOf(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return await Promise.race([
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))),
    // Unreferenced: once the process has exited, this timer must not keep the benchmark alive.
    sleep(timeoutMs, false, { ref: false }),
  ])
}

export async function startService(options: StartServiceOptions): Promise<ServiceProcess> {
  const log = openSync(options.logFile, 'a')
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  const spawned = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!))
    child.once('error', reject)
  })
  const service: ServiceProcess = {
    name: options.name,
    pid: spawned,
    logFile: options.logFile,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(stopOptions = {}): Promise<void> {
      if (service.hasExited()) return
      child.kill('SIGTERM')
      if (await exitOf(child, stopOptions.graceMs ?? 10_000)) return
      child.kill('SIGKILL')
      await exitOf(child, 5_000)
    },
  }
  const isReady = options.isReady ?? ((status: number): boolean => status === 200)
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let lastProblem = 'no answer yet'
  while (Date.now() < deadline) {
    if (service.hasExited()) {
      throw new Error(`${options.name} exited during start-up (code ${child.exitCode}):\n${logTail(options.logFile)}`)
    }
    try {
      const response = await request(options.readyUrl, { headersTimeout: 1_000, bodyTimeout: 1_000 })
      await response.body.dump()
      if (isReady(response.statusCode)) {
        if (options.readyLogLine === undefined || options.readyLogLine.test(logTail(options.logFile, 200))) return service
        lastProblem = `answers, but its log does not say ${String(options.readyLogLine)} yet`
      } else {
        lastProblem = `answered ${response.statusCode}`
      }
    } catch (error) {
      lastProblem = (error as Error).message
    }
    await sleep(100)
  }
  await service.stop({ graceMs: 2_000 })
  throw new Error(`${options.name} was not ready at ${options.readyUrl} in time (${lastProblem}):\n${logTail(options.logFile)}`)
}
