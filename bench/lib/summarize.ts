import type { BenchCase, Sample, Target, Unit } from '../cases/bench-case.js'
import { median } from './stats.js'

export interface CaseResult {
  id: string
  title: string
  unit: Unit
  baseline?: string
  target?: Target
  /** "n/a (…)" cases and cases whose set-up failed have no samples. */
  unavailable?: string
  error?: string
  samples: Sample[]
  value?: number
  p50Ms?: number
  p99Ms?: number
  serverCores?: number
  cpuPerUnit?: number
  rssBeforeBytes?: number
  rssPeakBytes?: number
  otherCores?: number
  /** Median over rounds of (this case / its baseline in the same round). */
  ratio?: number
  ratios: number[]
  /** Problems seen in any round (a sample with problems is left out of the medians). */
  problems: string[]
  verdict?: string
}

function medianOf(samples: readonly Sample[], pick: (sample: Sample) => number | undefined): number | undefined {
  const values = samples.map(pick).filter((value): value is number => value !== undefined && Number.isFinite(value))
  return values.length === 0 ? undefined : median(values)
}

function verdictOf(result: CaseResult): string | undefined {
  const { target } = result
  if (target === undefined) return undefined
  if (result.value === undefined) return 'not measured'
  const missed: string[] = []
  if (target.minRatio !== undefined && (result.ratio ?? 0) < target.minRatio) missed.push(`ratio < ${target.minRatio}`)
  if (target.maxP99Ms !== undefined && (result.p99Ms ?? Infinity) > target.maxP99Ms) missed.push(`p99 > ${target.maxP99Ms} ms`)
  if (target.maxCpuPerGiB !== undefined && (result.cpuPerUnit ?? Infinity) > target.maxCpuPerGiB) {
    missed.push(`CPU > ${target.maxCpuPerGiB} s/GiB`)
  }
  return missed.length === 0 ? 'met' : `missed (${missed.join(', ')})`
}

export function summarize(
  cases: readonly BenchCase[],
  samples: ReadonlyMap<string, Sample[]>,
  errors: ReadonlyMap<string, string>,
): CaseResult[] {
  const results = cases.map((benchCase): CaseResult => {
    const all = samples.get(benchCase.id) ?? []
    const good = all.filter((sample) => sample.problems.length === 0)
    return {
      id: benchCase.id,
      title: benchCase.title,
      unit: benchCase.unit,
      baseline: benchCase.baseline,
      target: benchCase.target,
      unavailable: benchCase.unavailable,
      error: errors.get(benchCase.id),
      samples: all,
      value: medianOf(good, (s) => s.value),
      p50Ms: medianOf(good, (s) => s.p50Ms),
      p99Ms: medianOf(good, (s) => s.p99Ms),
      serverCores: medianOf(good, (s) => s.serverCores),
      cpuPerUnit: medianOf(good, (s) => s.cpuPerUnit),
      rssBeforeBytes: medianOf(good, (s) => s.rssBeforeBytes),
      rssPeakBytes: medianOf(good, (s) => s.rssPeakBytes),
      otherCores: medianOf(good, (s) => s.otherCores),
      ratios: [],
      problems: [...new Set(all.flatMap((sample) => sample.problems.map((p) => `round ${sample.round}: ${p}`)))],
    }
  })
  const byId = new Map(results.map((result) => [result.id, result]))
  for (const result of results) {
    const baseline = result.baseline === undefined ? undefined : byId.get(result.baseline)
    if (baseline === undefined) continue
    for (const sample of result.samples) {
      const pair = baseline.samples.find((candidate) => candidate.round === sample.round)
      if (pair === undefined || sample.problems.length > 0 || pair.problems.length > 0) continue
      result.ratios.push(sample.value / pair.value)
    }
    result.ratio = result.ratios.length === 0 ? undefined : median(result.ratios)
    result.verdict = verdictOf(result)
  }
  for (const result of results) if (result.baseline === undefined) result.verdict = verdictOf(result)
  return results
}
