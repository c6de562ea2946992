import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const REPO = path.resolve(import.meta.dirname, '../../..')

export interface SpawnedServer {
  child: ChildProcess
  output(): string
  /** Resolves with the address the server printed, or rejects if it exits first. */
  listening(timeoutMs?: number): Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends a signal to the process itself, or to its whole process group. */
  signal(signal: NodeJS.Signals, target?: 'process' | 'group'): void
}

export interface SpawnOptions {
  via?: 'npm' | 'node'
}

/**
 * Starts the download server as operators do: `npm run start:download` (or, faster, node with
 * tsx directly), configured only from `env`, in its own process group.
 */
export function spawnDownloadServer(env: Record<string, string>, options: SpawnOptions = {}): SpawnedServer {
  const [command, args] =
    options.via === 'npm'
      ? ['npm', ['run', '--silent', 'start:download']]
      : [process.execPath, ['--import', 'tsx', 'download-server/src/main.ts']]
  const child = spawn(command, args as string[], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const chunks: Buffer[] = []
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk))
  const output = (): string => Buffer.concat(chunks).toString('utf8')
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return {
    child,
    output,
    exited,
    listening: (timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now()
        const poll = setInterval(() => {
          const match = /"address":"(http:\/\/[^"]+)"/.exec(output())
          if (match !== null) {
            clearInterval(poll)
            resolve(match[1]!)
          } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
            clearInterval(poll)
            reject(new Error(`server did not start:\n${output()}`))
          }
        }, 50)
      }),
    signal: (signal, target = 'process') => {
      try {
        process.kill(target === 'group' ? -child.pid! : child.pid!, signal)
      } catch {
        // already gone
      }
    },
  }
}

export interface SpawnedServers {
  /** Spawns a server and keeps it for `killAll`. */
  spawn(env: Record<string, string>, options?: SpawnOptions): SpawnedServer
  /** Spawns a server and waits for the address it listens on. */
  start(env: Record<string, string>, options?: SpawnOptions): Promise<{ server: SpawnedServer; url: string }>
  /** kill -9 of each kept server's process group (npm and the server under it); forgets them. */
  killAll(): void
}

/**
 * Keeps every server a test file spawns, so that one `afterEach(() => servers.killAll())` stops
 * whatever a test left running, even when it failed half-way.
 */
export function spawnedServers(): SpawnedServers {
  const running: SpawnedServer[] = []
  const spawn = (env: Record<string, string>, options?: SpawnOptions): SpawnedServer => {
    const server = spawnDownloadServer(env, options)
    running.push(server)
    return server
  }
  return {
    spawn,
    start: async (env, options) => {
      const server = spawn(env, options)
      return { server, url: await server.listening() }
    },
    killAll: () => {
      for (const server of running.splice(0)) server.signal('SIGKILL', 'group')
    },
  }
}

/**
 * Resolves once process `pid` has forked its first child: a cluster primary's first worker,
 * which then still loads its modules for a while. `output` is shown if it never does.
 */
export async function firstChildForked(pid: number, output: () => string): Promise<void> {
  const children = `/proc/${pid}/task/${pid}/children`
  const t0 = Date.now()
  while (fs.readFileSync(children, 'utf8').trim() === '') {
    if (Date.now() - t0 > 30_000) throw new Error(`no child forked; output:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
