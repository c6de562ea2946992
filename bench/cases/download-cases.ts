import type { DownloadServerProcess } from '../lib/download-server-process.js'
import { signTokenBatch, type TokenBatch } from '../lib/token-files.js'
import type { BenchContext } from './bench-context.js'
import { measureLoad, requestSample, type BenchCase, type Sample, type Target } from './bench-case.js'
import { ask, askAll, expectAnswer } from './preflight.js'

export interface DownloadCaseSpec {
  id: string
  title: string
  server: DownloadServerProcess
  target?: Target
  /**
   * What the check before measuring asks: `single-use` (a download server: 200, then 410 for
   * the same token) or `signature` (the verify-only ceiling: 200, and 401 for a tampered token).
   */
  check?: 'single-use' | 'signature'
}

async function signFor(ctx: BenchContext, spec: DownloadCaseSpec, count: number, tag: string): Promise<TokenBatch> {
  const { small } = ctx.files
  const batch = await signTokenBatch({
    signer: ctx.signer,
    claim: { file: small.name, name: small.name, size: small.size },
    count,
    threads: ctx.options.threads,
    dir: ctx.tempDir,
    tag: `${spec.id}-${tag}`,
  })
  return batch
}

/**
 * Enough tokens that wrk cannot run out: no server here verifies faster than all cores can.
 * The quick mode signs for one core's verify rate only (signing is slower than verifying); a
 * faster server there runs out and its sample says so, which a smoke run can live with.
 */
function tokenBudget(ctx: BenchContext, durationS: number, lastRate: number | undefined): number {
  const ceiling = ctx.verifyRateHint * (ctx.options.quick ? 1 : ctx.cpuCount * 1.3)
  // Rates jump when the machine is shared: room for 2.5× the fastest rate seen so far.
  const expected = lastRate === undefined ? ceiling : Math.min(ceiling, Math.max(lastRate * 2.5, ctx.verifyRateHint * 0.5))
  return Math.ceil(expected * durationS) + ctx.options.connections * 4
}

async function checkAnswers(ctx: BenchContext, spec: DownloadCaseSpec): Promise<void> {
  const batch = await signFor(ctx, spec, 1, 'check')
  const token = batch.tokens[0]!
  const url = `${spec.server.url}/d/${token}`
  expectAnswer(`${spec.id}: first use of a fresh token`, await ask(url), 200, ctx.files.small.size)
  if (spec.check === 'signature') {
    // One character inside the signature changed (not the last, whose low bits may be padding).
    const at = token.lastIndexOf('.') - 10
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
    expectAnswer(`${spec.id}: a tampered token`, await ask(`${spec.server.url}/d/${tampered}`), 401)
  } else {
    expectAnswer(`${spec.id}: second use of the token`, await ask(url), 410)
  }
  await batch.remove()
}

/** Accepted downloads of the 1 KiB file, each request with its own fresh token. */
export function acceptedDownloadCase(ctx: BenchContext, spec: DownloadCaseSpec): BenchCase {
  const { options } = ctx
  let lastRate: number | undefined
  const load = async (durationS: number): Promise<{ sample: Sample; exhausted: boolean }> => {
    const batch = await signFor(ctx, spec, tokenBudget(ctx, durationS, lastRate), 'run')
    try {
      const measured = await measureLoad(spec.server.pid, {
        url: spec.server.url,
        connections: options.connections,
        threads: options.threads,
        durationS,
        timeoutS: 10,
        tokens: batch.prefix,
        signal: ctx.signal,
      })
      const sample = requestSample(0, measured, 'success')
      lastRate = Math.max(lastRate ?? 0, sample.value)
      return { sample, exhausted: measured.wrk.exhausted > 0 }
    } finally {
      await batch.remove()
    }
  }
  return {
    id: spec.id,
    title: spec.title,
    unit: 'req/s',
    baseline: 'verify',
    target: spec.target,
    async prepare(): Promise<void> {
      await checkAnswers(ctx, spec)
      if (options.warmupS > 0) await load(options.warmupS)
    },
    async run(round: number): Promise<Sample> {
      let result = await load(options.durationS)
      // The budget follows the last rate; one retry with the raised budget if it fell short.
      if (result.exhausted && !options.quick) result = await load(options.durationS)
      return { ...result.sample, round }
    },
  }
}

/** Requests with tokens that are all used already: every answer must be 410, no file read. */
export function usedTokenCase(ctx: BenchContext, spec: DownloadCaseSpec, usedCount: number): BenchCase {
  const { options } = ctx
  // Tokens expire after 300 s and would then be refused as expired, not as used: each round
  // makes a new set and uses every token of it once (not measured) before the measurement.
  const usedBatch = async (): Promise<TokenBatch> => {
    const batch = await signFor(ctx, spec, usedCount, 'used')
    const urls = batch.tokens.map((token) => `${spec.server.url}/d/${token}`)
    const served = await askAll(urls, 200, 16)
    if (served !== urls.length) throw new Error(`${spec.id}: only ${served} of ${urls.length} first uses were served`)
    expectAnswer(`${spec.id}: a used token`, await ask(urls[0]!), 410)
    return batch
  }
  const load = async (round: number, durationS: number): Promise<Sample> => {
    const batch = await usedBatch()
    try {
      const measured = await measureLoad(spec.server.pid, {
        url: spec.server.url,
        connections: options.connections,
        threads: options.threads,
        durationS,
        timeoutS: 10,
        tokens: batch.prefix,
        tokensMode: 'cycle',
        signal: ctx.signal,
      })
      return requestSample(round, measured, 'refusals')
    } finally {
      await batch.remove()
    }
  }
  return {
    id: spec.id,
    title: spec.title,
    unit: 'req/s',
    baseline: 'verify',
    target: spec.target,
    async prepare(): Promise<void> {
      // Makes and checks a used set even without a warm-up, so a broken case fails here.
      if (options.warmupS > 0) await load(0, options.warmupS)
      else await (await usedBatch()).remove()
    },
    run: (round) => load(round, options.durationS),
  }
}
