import { measureVerifyRate, type VerifyInput } from '../lib/verify-rate.js'
import type { BenchContext } from './bench-context.js'
import type { BenchCase, Sample } from './bench-case.js'

/** The baseline of the download cases: synchronous crypto.verify on one thread, nothing else running. */
export function verifyCase(ctx: BenchContext, inputs: readonly VerifyInput[]): BenchCase {
  return {
    id: 'verify',
    title: 'Ed25519 crypto.verify, 1 thread (baseline)',
    unit: 'verify/s',
    run(round: number): Promise<Sample> {
      const rate = measureVerifyRate(inputs, ctx.publicKey, Math.min(ctx.options.durationS, 3) * 1000)
      ctx.verifyRateHint = Math.max(ctx.verifyRateHint, rate.verificationsPerSecond)
      return Promise.resolve({
        round,
        value: rate.verificationsPerSecond,
        requests: rate.count,
        serverCpuS: rate.cpuS,
        serverCores: rate.cpuS / (rate.count / rate.verificationsPerSecond),
        cpuPerUnit: (rate.cpuS / rate.count) * 1e6,
        problems: [],
      })
    },
  }
}
