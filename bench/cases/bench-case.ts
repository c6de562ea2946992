import { cpuSeconds, machineBusySeconds, processTree, rssBytes, sampleRss } from '../lib/process-stats.js'
import { runWrk, type WrkOptions, type WrkResult } from '../lib/wrk-run.js'

export type Unit = 'req/s' | 'MB/s' | 'verify/s'

/** One measurement of one case in one round. */
export interface Sample {
  round: number
  value: number
  requests?: number
  p50Ms?: number
  p99Ms?: number
  /** CPU seconds the server's processes used during the measurement. */
  serverCpuS?: number
  /** serverCpuS / wall seconds: how many cores the server kept busy. */
  serverCores?: number
  /** Server CPU per request (µs), or per GiB sent (s) for MB/s cases. */
  cpuPerUnit?: number
  rssBeforeBytes?: number
  rssPeakBytes?: number
  wrkCpuS?: number
  /**
   * Cores kept busy by everything else on the machine during the measurement (other people's
   * tests, say): the machine's busy time minus the server's, wrk's and this process's.
   */
  otherCores?: number
  /** Why this sample does not measure what the case means (wrong answers, too few tokens). */
  problems: string[]
}

export interface Target {
  /** The ratio to the baseline that meets the target. */
  minRatio?: number
  maxP99Ms?: number
  maxCpuPerGiB?: number
  text: string
}

export interface BenchCase {
  readonly id: string
  readonly title: string
  readonly unit: Unit
  /** The case whose value, measured in the same round, this one is divided by. */
  readonly baseline?: string
  readonly target?: Target
  /** Set when the case cannot run here (printed as "n/a (<why>)"). */
  readonly unavailable?: string
  /** Checks the server answers as the case expects, and warms it up (once, not measured). */
  prepare?(): Promise<void>
  run(round: number): Promise<Sample>
}

export interface LoadMeasurement {
  wrk: WrkResult
  serverCpuS: number
  rssBeforeBytes: number
  rssPeakBytes: number
  otherCores: number
}

/** Runs wrk against a server process tree, reading its CPU and memory around the run. */
export async function measureLoad(serverPid: number, options: WrkOptions): Promise<LoadMeasurement> {
  const pids = processTree(serverPid)
  const rssBeforeBytes = rssBytes(pids)
  const sampler = sampleRss(pids, 50)
  try {
    const cpuBefore = cpuSeconds(pids)
    const machineBefore = machineBusySeconds()
    const ownBefore = process.cpuUsage()
    const wrk = await runWrk(options)
    const serverCpuS = cpuSeconds(pids) - cpuBefore
    const own = process.cpuUsage(ownBefore)
    const others = machineBusySeconds() - machineBefore - serverCpuS - wrk.wrkCpuS - (own.user + own.system) / 1e6
    return { wrk, serverCpuS, rssBeforeBytes, rssPeakBytes: sampler.stop(), otherCores: Math.max(0, others) / wrk.durationS }
  } finally {
    sampler.stop()
  }
}

/** What the wrk result says is wrong with a sample, given the answers the case expects. */
export function wrkProblems(wrk: WrkResult, expect: 'success' | 'refusals'): string[] {
  const problems: string[] = []
  const { connect, read, write, timeout, status } = wrk.errors
  if (connect + read + write + timeout > 0) {
    problems.push(`socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}`)
  }
  if (expect === 'success' && status > 0) problems.push(`${status} of ${wrk.requests} answers were 4xx/5xx`)
  if (expect === 'refusals' && status < wrk.requests) {
    problems.push(`${wrk.requests - status} of ${wrk.requests} answers were not refusals`)
  }
  if (wrk.exhausted > 0) problems.push(`ran out of fresh tokens (${wrk.exhausted} requests)`)
  if (wrk.requests === 0) problems.push('no request completed')
  return problems
}

export function requestSample(round: number, load: LoadMeasurement, expect: 'success' | 'refusals'): Sample {
  const { wrk, serverCpuS } = load
  return {
    round,
    value: wrk.requests / wrk.durationS,
    requests: wrk.requests,
    p50Ms: wrk.latencyMs.p50,
    p99Ms: wrk.latencyMs.p99,
    serverCpuS,
    serverCores: serverCpuS / wrk.durationS,
    cpuPerUnit: wrk.requests > 0 ? (serverCpuS / wrk.requests) * 1e6 : Number.NaN,
    rssBeforeBytes: load.rssBeforeBytes,
    rssPeakBytes: load.rssPeakBytes,
    wrkCpuS: wrk.wrkCpuS,
    otherCores: load.otherCores,
    problems: wrkProblems(wrk, expect),
  }
}

export function unavailableCase(base: Pick<BenchCase, 'id' | 'title' | 'unit' | 'baseline' | 'target'>, why: string): BenchCase {
  return {
    ...base,
    unavailable: why,
    run(): Promise<Sample> {
      return Promise.reject(new Error(why))
    },
  }
}
