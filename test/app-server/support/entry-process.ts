import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'

// An entry point as an operator runs it: a real `node --import tsx <script>` process,
// configured only by its environment, its output collected.

const ROOT = path.resolve(import.meta.dirname, '../../..')

export interface EntryProcess {
  child: ChildProcess
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string
  exit: Promise<number | null>
  /** Settles once it has exited and all its output has been read. */
  closed: Promise<void>
}

/**
 * Starts `script` (relative to the repository) with PATH, HOME, `LOG_LEVEL=warn` and `env`.
 * Every process started is remembered until `stopAll`.
 */
export class EntryProcesses {
  readonly #running: EntryProcess[] = []

  /** `detached`: in a process group of its own (its pid is the group's id), to signal the whole group. */
  start(script: string, env: Record<string, string>, options: { detached?: boolean } = {}): EntryProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], {
      cwd: ROOT,
      detached: options.detached ?? false,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
    // Settles once its output has been read to the end too ('close'), so that a test reading the
    // output after `await exit` sees all of it; 2 s after 'exit' at most (a process it left
    // behind could hold the pipes open).
    const exit = new Promise<number | null>((resolve) => {
      child.once('close', (code) => resolve(code))
      child.once('exit', (code) => setTimeout(() => resolve(code), 2000).unref())
    })
    const started = { child, output: () => out, exit, closed }
    this.#running.push(started)
    return started
  }

  /**
   * For afterEach: a test that failed half-way leaves its process running. SIGTERM (so that the
   * demo stops its download server, a cluster its workers), SIGKILL if it has not exited in 5 s.
   */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.#running.splice(0).map(async (r) => {
        if (r.child.exitCode !== null || r.child.signalCode !== null) return
        r.child.kill('SIGTERM')
        const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000)
        await r.exit
        clearTimeout(timer)
      }),
    )
  }
}

/** Polls the output until `pattern` matches; fails with the output when it does not in time, or the process has ended without it. */
export async function waitForOutput(r: EntryProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const t0 = Date.now()
  let ended = false
  void r.closed.then(() => (ended = true))
  while (Date.now() - t0 < timeoutMs) {
    const endedBefore = ended
    const m = pattern.exec(r.output())
    if (m) return m
    if (endedBefore) break
    await new Promise((res) => setTimeout(res, 50))
  }
  throw new Error(`timed out waiting for ${pattern}; output:\n${r.output()}`)
}
