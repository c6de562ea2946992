import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const DRIVER = fileURLToPath(new URL('../wrk/driver.lua', import.meta.url))
const CLOCK_TICKS_PER_SECOND = 100

export interface WrkResult {
  requests: number
  durationS: number
  bytes: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number }
  /** Requests that found no unused token left (makes an accepted-token sample invalid). */
  exhausted: number
  /** CPU seconds wrk itself used, all threads. */
  wrkCpuS: number
}

export interface WrkOptions {
  url: string
  connections: number
  threads: number
  durationS: number
  timeoutS: number
  /** Walk the tokens in `<tokens><thread>.txt`, one per request. */
  tokens?: string
  tokensMode?: 'once' | 'cycle'
  pathPrefix?: string
  headers?: readonly string[]
  /** Aborting kills wrk (the benchmark was interrupted). */
  signal?: AbortSignal
}

/** Fails loudly: the benchmark (and its smoke test) must not pass without its load generator. */
export function assertWrkInstalled(): string {
  try {
    const version = execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    return version.split('\n')[0]!.replace(/\s*\[epoll\].*$/, '').trim()
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? ''
    // `wrk -v` prints its version and usage, then exits 1: that still proves it is installed.
    if (output.startsWith('wrk ')) return output.split('\n')[0]!.replace(/\s*\[epoll\].*$/, '').trim()
    throw new Error('wrk is not installed (Debian: apt-get install wrk); the benchmark needs it as its load generator')
  }
}

interface RawResult extends Omit<WrkResult, 'durationS' | 'latencyMs' | 'wrkCpuS'> {
  durationUs: number
  latencyUs: WrkResult['latencyMs']
  cpuTicks: number
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t', String(options.threads),
    '-c', String(options.connections),
    '-d', `${options.durationS}s`,
    '--timeout', `${options.timeoutS}s`,
    '-s', DRIVER,
  ]
  for (const header of options.headers ?? []) args.push('-H', header)
  args.push(options.url)
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.BENCH_TOKENS
  if (options.tokens !== undefined) {
    env.BENCH_TOKENS = options.tokens
    env.BENCH_TOKENS_MODE = options.tokensMode ?? 'once'
    env.BENCH_PATH_PREFIX = options.pathPrefix ?? '/d/'
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('wrk', args, { env, maxBuffer: 16 * 1024 * 1024, signal: options.signal }, (error, out, err) => {
      if (error !== null) reject(new Error(`wrk failed: ${error.message}\n${err}`))
      else resolve(out)
    })
  })
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('BENCH_JSON '))
  if (line === undefined) throw new Error(`wrk printed no result line:\n${stdout}`)
  const raw = JSON.parse(line.slice('BENCH_JSON '.length)) as RawResult
  const ms = (us: number): number => us / 1000
  return {
    requests: raw.requests,
    durationS: raw.durationUs / 1e6,
    bytes: raw.bytes,
    errors: raw.errors,
    latencyMs: {
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      max: ms(raw.latencyUs.max),
      mean: ms(raw.latencyUs.mean),
    },
    exhausted: raw.exhausted,
    wrkCpuS: raw.cpuTicks < 0 ? Number.NaN : raw.cpuTicks / CLOCK_TICKS_PER_SECOND,
  }
}
