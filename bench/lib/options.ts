import { Command, InvalidArgumentError } from 'commander'
import type { BenchOptions } from '../cases/bench-context.js'

function positive(value: string): number {
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('must be a positive number')
  return number
}

function wholePositive(value: string): number {
  const number = positive(value)
  if (!Number.isInteger(number)) throw new InvalidArgumentError('must be a whole number')
  return number
}

function setting(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value)
  if (match === null) throw new InvalidArgumentError('must be NAME=value')
  return { ...(previous ?? {}), [match[1]!]: match[2]! }
}

function wholeOrZero(value: string): number {
  return value === '0' ? 0 : wholePositive(value)
}

/** `npm run bench -- [options]`; `--quick` changes the defaults, explicit options still win. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command()
    .name('npm run bench --')
    .description('Benchmark the download server and the app server against baselines measured in the same run.')
    .option('--quick', 'smoke run: 1 round of 1 s per case, 64 MiB large file, no chart (< 30 s)', false)
    .option('--rounds <n>', 'interleaved rounds per case (default 3; quick 1)', wholePositive)
    .option('--duration <s>', 'whole seconds of load per case and round (default 5; quick 1)', wholePositive)
    .option('--warmup <s>', 'whole seconds of unmeasured load per case before round 1, 0 for none (default 2; quick 0)', wholeOrZero)
    .option('--connections <n>', 'wrk connections for the request-rate cases', wholePositive, 64)
    .option('--threads <n>', 'wrk threads', wholePositive, 2)
    .option('--large-mib <n>', 'size of the large file in MiB (default 256; quick 64)', wholePositive)
    .option('--large-connections <n>', 'wrk connections for the large-file cases', wholePositive, 4)
    .option('--redis <url>', 'Redis for the Redis cases (keys under a unique prefix, deleted at the end)', 'redis://127.0.0.1:6379')
    .option('--only <ids>', 'comma-separated case ids or prefixes (their baselines run too), e.g. dl-sqlite,issue; results go to partial.json, no chart')
    .option('--dl-env <NAME=value>', 'extra setting for every download server, repeatable (e.g. DL_LOG_LEVEL=warn)', setting)
    .option('--cpu-prof <dir>', 'run every Node.js server under --cpu-prof, profiles in <dir>/<server>/ when they stop')
    .option('--no-chart', 'do not write docs/images/benchmarks.svg')
    .option('--keep-temp', 'keep the temporary directory (server logs, databases)', false)
  program.parse(argv, { from: 'user' })
  const raw = program.opts<{
    quick: boolean
    rounds?: number
    duration?: number
    warmup?: number
    connections: number
    threads: number
    largeMib?: number
    largeConnections: number
    redis: string
    only?: string
    dlEnv?: Record<string, string>
    cpuProf?: string
    chart: boolean
    keepTemp: boolean
  }>()
  return {
    quick: raw.quick,
    rounds: raw.rounds ?? (raw.quick ? 1 : 3),
    durationS: raw.duration ?? (raw.quick ? 1 : 5),
    warmupS: raw.warmup ?? (raw.quick ? 0 : 2),
    connections: raw.connections,
    threads: raw.threads,
    largeFileMiB: raw.largeMib ?? (raw.quick ? 64 : 256),
    largeConnections: raw.largeConnections,
    redisURL: raw.redis,
    only: raw.only?.split(',').map((id) => id.trim()).filter((id) => id !== ''),
    downloadServerEnv: raw.dlEnv ?? {},
    cpuProfileDir: raw.cpuProf,
    chart: raw.chart && !raw.quick,
    keepTemp: raw.keepTemp,
  }
}
