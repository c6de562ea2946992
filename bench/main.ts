// `npm run bench` (full: 3 interleaved rounds) and `npm run bench -- --quick` (smoke run).
// Starts every server as its own process on a free port in a temp dir, drives them with wrk
// over loopback, prints one table row per case, writes bench/results/*.json and, in full
// mode, docs/images/benchmarks.svg. See docs/benchmarks.md.
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTokenSigner, generateSecretKey } from '../shared/src/index.js'
import type { BenchCase, Sample } from './cases/bench-case.js'
import type { BenchContext } from './cases/bench-context.js'
import { buildCases, caseSpecs, selectedIds } from './cases/build-cases.js'
import { startServices } from './cases/start-services.js'
import { renderChart } from './lib/chart-svg.js'
import { machineInfo } from './lib/machine-info.js'
import { parseBenchOptions } from './lib/options.js'
import { deleteKeysWithPrefix } from './lib/redis-cleanup.js'
import { formatMarkdownTable, formatTable } from './lib/report-table.js'
import { summarize } from './lib/summarize.js'
import { signTokenBatch } from './lib/token-files.js'
import { createBenchFiles } from './lib/test-files.js'
import { measureVerifyRate, verifyInputsOf } from './lib/verify-rate.js'
import { assertWrkInstalled } from './lib/wrk-run.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const out = (line: string): void => void process.stdout.write(`${line}\n`)
const started = performance.now()
const log = (line: string): void =>
  void process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`)

function describeSample(benchCase: BenchCase, sample: Sample): string {
  const value = benchCase.unit === 'MB/s' ? `${sample.value.toFixed(0)} MB/s` : `${Math.round(sample.value)} ${benchCase.unit}`
  const latency = sample.p99Ms === undefined ? '' : ` p50 ${sample.p50Ms?.toFixed(2)} ms p99 ${sample.p99Ms.toFixed(2)} ms`
  const cores = sample.serverCores === undefined ? '' : ` cpu ${sample.serverCores.toFixed(2)} cores`
  const problems = sample.problems.length === 0 ? '' : ` PROBLEMS: ${sample.problems.join('; ')}`
  return `${value}${latency}${cores}${problems}`
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2))
  const wrkVersion = assertWrkInstalled()
  const machine = machineInfo()
  const startedAt = new Date()
  log(`${options.quick ? 'quick' : 'full'} run: ${options.rounds} round(s) × ${options.durationS} s, ${wrkVersion}, ${machine.cpus} CPUs, load ${machine.loadAverage.join(' ')}`)

  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'tdr-bench-'))
  const interrupted = new AbortController()
  const key = generateSecretKey()
  const issuer = 'bench-app'
  const audience = 'bench-download'
  const ctx: BenchContext = {
    options,
    repoRoot,
    tempDir,
    files: await createBenchFiles(tempDir, options.largeFileMiB),
    signer: createTokenSigner({ key, issuer, audience }),
    publicKey: key.publicKey.keyObject,
    publicPASERK: key.publicKey.paserk,
    redisKeyPrefix: `tdr:bench:${randomBytes(6).toString('hex')}:`,
    issuer,
    audience,
    cpuCount: machine.cpus,
    verifyRateHint: 0,
    signal: interrupted.signal,
    log,
  }
  // Real tokens for the verify baseline; also a first verify rate to size token batches.
  const verifyBatch = await signTokenBatch({ signer: ctx.signer, claim: { file: 'small.bin', name: 'small.bin', size: 1024 }, count: 2000, threads: 1, dir: tempDir, tag: 'verify' })
  const verifyInputs = verifyInputsOf(verifyBatch.tokens)
  ctx.verifyRateHint = measureVerifyRate(verifyInputs, ctx.publicKey, 300).verificationsPerSecond

  const selected = selectedIds(caseSpecs(options.largeFileMiB), options.only)
  log('files, key and verify baseline ready; starting the servers')
  const services = await startServices(ctx, (id) => selected.has(id))
  log(`${services.all.length} server processes ready`)
  let stopped = false
  const cleanUp = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await Promise.all(services.all.map((service) => service.stop()))
    try {
      const deleted = await deleteKeysWithPrefix(options.redisURL, ctx.redisKeyPrefix)
      log(`deleted ${deleted} Redis keys under ${ctx.redisKeyPrefix}`)
    } catch (error) {
      log(`could not delete the Redis keys under ${ctx.redisKeyPrefix}: ${(error as Error).message}`)
    }
    if (options.keepTemp) log(`kept ${tempDir}`)
    else await rm(tempDir, { recursive: true, force: true })
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping wrk and the servers`)
      interrupted.abort()
      void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    })
  }

  try {
    const { cases, errors } = buildCases(ctx, services, verifyInputs, selected)
    const samples = new Map<string, Sample[]>()
    const runnable = cases.filter((c) => c.unavailable === undefined && !errors.has(c.id))
    for (const benchCase of runnable) {
      try {
        await benchCase.prepare?.()
      } catch (error) {
        errors.set(benchCase.id, (error as Error).message)
        log(`${benchCase.id}: ${(error as Error).message}`)
      }
    }
    log('cases checked and warmed up')
    // Round-robin: every case once per round, so drift of the machine spreads over all cases;
    // each round starts one case later, so no case always follows the same neighbour.
    for (let round = 1; round <= options.rounds; round += 1) {
      const shift = (round - 1) % Math.max(1, runnable.length)
      const order = [...runnable.slice(shift), ...runnable.slice(0, shift)]
      for (const benchCase of order.filter((c) => !errors.has(c.id))) {
        if (interrupted.signal.aborted) break
        try {
          const result = await benchCase.run(round)
          samples.set(benchCase.id, [...(samples.get(benchCase.id) ?? []), result])
          log(`round ${round}/${options.rounds} ${benchCase.id}: ${describeSample(benchCase, result)}`)
        } catch (error) {
          errors.set(benchCase.id, (error as Error).message)
          log(`round ${round}/${options.rounds} ${benchCase.id}: ${(error as Error).message}`)
        }
      }
    }
    const results = summarize(cases, samples, errors)
    const finishedAt = new Date()
    out('')
    out(formatTable(results))
    out('')
    out(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}, ${machine.wrk}, ${machine.nginx}`)
    out(`load average at start ${machine.loadAverage.join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; "others" = cores used by other processes during the measurement`)
    out(`run: ${options.rounds} interleaved round(s) × ${options.durationS} s per case, ${options.connections} connections (large files: ${options.largeConnections}), wrk ${options.threads} threads`)

    const resultsDir = path.join(repoRoot, 'bench', 'results')
    await mkdir(resultsDir, { recursive: true })
    // latest.json and the chart are the full run's; a quick or partial run does not overwrite them.
    const partial = options.only !== undefined
    const json = path.join(resultsDir, options.quick ? 'quick.json' : partial ? 'partial.json' : 'latest.json')
    const loadAverageAtEnd = os.loadavg().map((load) => Math.round(load * 100) / 100)
    await writeFile(json, `${JSON.stringify({ startedAt, finishedAt, options, machine, loadAverageAtEnd, results }, null, 2)}\n`)
    await writeFile(json.replace(/\.json$/, '.md'), `${formatMarkdownTable(results)}\n`)
    out(`results: ${path.relative(process.cwd(), json)} (and the table as .md)`)
    if (options.chart && !partial) {
      const chart = path.join(repoRoot, 'docs', 'images', 'benchmarks.svg')
      await mkdir(path.dirname(chart), { recursive: true })
      const caption = `${finishedAt.toISOString().slice(0, 10)} · ${machine.cpus} × ${machine.cpuModel} · Node ${machine.node} · ${options.rounds} rounds × ${options.durationS} s · npm run bench`
      await writeFile(chart, renderChart(results, caption))
      out(`chart: ${path.relative(process.cwd(), chart)}`)
    }
    const failedCases = [...errors.keys()]
    if (failedCases.length > 0) out(`cases with errors: ${failedCases.join(', ')}`)
    return failedCases.length > 0 ? 1 : 0
  } finally {
    await cleanUp()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exitCode = 1
  },
)
