import type { ServiceProcess } from '../lib/service-process.js'
import { signTokenBatch } from '../lib/token-files.js'
import type { WrkOptions } from '../lib/wrk-run.js'
import type { BenchContext } from './bench-context.js'
import { measureLoad, wrkProblems, type BenchCase, type LoadMeasurement, type Sample, type Target } from './bench-case.js'
import { ask, expectAnswer } from './preflight.js'

const GiB = 2 ** 30
/** Generous upper bound of loopback throughput here, to size the token batch. */
const MAX_BYTES_PER_SECOND = 8e9

function largeSample(round: number, load: LoadMeasurement): Sample {
  const { wrk, serverCpuS } = load
  return {
    round,
    value: wrk.bytes / wrk.durationS / 1e6,
    requests: wrk.requests,
    serverCpuS,
    serverCores: serverCpuS / wrk.durationS,
    cpuPerUnit: serverCpuS / (wrk.bytes / GiB),
    rssBeforeBytes: load.rssBeforeBytes,
    rssPeakBytes: load.rssPeakBytes,
    wrkCpuS: wrk.wrkCpuS,
    otherCores: load.otherCores,
    // A 256 MiB download may still be running when wrk stops; its bytes count all the same.
    problems: wrkProblems({ ...wrk, requests: Math.max(wrk.requests, 1) }, 'success'),
  }
}

interface LargeCaseBase { id: string; title: string; baseline?: string; target?: Target }

function wrkOptions(ctx: BenchContext, url: string, durationS: number): WrkOptions {
  return {
    url,
    connections: ctx.options.largeConnections,
    threads: Math.min(ctx.options.threads, ctx.options.largeConnections),
    durationS,
    timeoutS: 60,
    signal: ctx.signal,
  }
}

/** A plain static server (node:http or nginx) serving the large file at /<name>. */
export function staticLargeFileCase(ctx: BenchContext, base: LargeCaseBase, server: ServiceProcess & { url: string }): BenchCase {
  const url = `${server.url}/${ctx.files.large.name}`
  return {
    ...base,
    unit: 'MB/s',
    async prepare(): Promise<void> {
      expectAnswer(`${base.id}: the large file`, await ask(url), 200, ctx.files.large.size)
      if (ctx.options.warmupS > 0) await measureLoad(server.pid, wrkOptions(ctx, url, ctx.options.warmupS))
    },
    async run(round: number): Promise<Sample> {
      return largeSample(round, await measureLoad(server.pid, wrkOptions(ctx, url, ctx.options.durationS)))
    },
  }
}

/** The download server sending the large file, each download with its own fresh token. */
export function tokenLargeFileCase(ctx: BenchContext, base: LargeCaseBase, server: ServiceProcess & { url: string }): BenchCase {
  const { large } = ctx.files
  const load = async (round: number, durationS: number): Promise<Sample> => {
    const count = Math.ceil((MAX_BYTES_PER_SECOND / large.size) * durationS) + ctx.options.largeConnections * 2
    const batch = await signTokenBatch({
      signer: ctx.signer,
      claim: { file: large.name, name: large.name, size: large.size },
      count,
      threads: Math.min(ctx.options.threads, ctx.options.largeConnections),
      dir: ctx.tempDir,
      tag: `${base.id}-${round}`,
    })
    try {
      return largeSample(round, await measureLoad(server.pid, { ...wrkOptions(ctx, server.url, durationS), tokens: batch.prefix }))
    } finally {
      await batch.remove()
    }
  }
  return {
    ...base,
    unit: 'MB/s',
    async prepare(): Promise<void> {
      const signed = await ctx.signer.signDownload({ file: large.name, name: large.name, size: large.size })
      expectAnswer(`${base.id}: the large file`, await ask(`${server.url}/d/${signed.token}`), 200, large.size)
      if (ctx.options.warmupS > 0) await load(0, ctx.options.warmupS)
    },
    run: (round) => load(round, ctx.options.durationS),
  }
}
