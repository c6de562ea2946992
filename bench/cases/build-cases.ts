import type { VerifyInput } from '../lib/verify-rate.js'
import type { BenchContext } from './bench-context.js'
import { unavailableCase, type BenchCase, type Target, type Unit } from './bench-case.js'
import { acceptedDownloadCase, usedTokenCase } from './download-cases.js'
import { issuingCase } from './issuing-cases.js'
import { staticLargeFileCase, tokenLargeFileCase } from './large-file-cases.js'
import type { Outcome, Services } from './start-services.js'
import { verifyCase } from './verify-case.js'

const DOWNLOAD_TARGET: Target = { minRatio: 0.8, maxP99Ms: 25, text: '≥0.8× (aim 1.0), p99<25ms' }
const LARGE_TARGET: Target = { minRatio: 0.6, maxCpuPerGiB: 0.6, text: '≥0.6× nginx, ≤0.6 CPU-s/GiB' }
const ISSUING_TARGET: Target = { minRatio: 2, text: '≥2×' }

interface CaseSpec { id: string; title: string; unit: Unit; baseline?: string; target?: Target }

/** Every case, in table (and round) order. */
export function caseSpecs(largeFileMiB: number): CaseSpec[] {
  const large = `${largeFileMiB} MiB`
  const download = (store: string, workers: number): CaseSpec => ({
    id: `dl-${store.toLowerCase()}-${workers}w`,
    title: `download 1 KiB, fresh token, ${store}, ${workers} worker${workers > 1 ? 's' : ''}`,
    unit: 'req/s',
    baseline: 'verify',
    target: DOWNLOAD_TARGET,
  })
  return [
    { id: 'verify', title: 'Ed25519 crypto.verify, 1 thread (baseline)', unit: 'verify/s' },
    { id: 'dl-ceiling', title: 'ceiling: node:http + crypto.verify only, 1 KiB from memory, 1 process per core', unit: 'req/s', baseline: 'verify' },
    { id: 'dl-ceiling-paseto', title: 'ceiling with our verifier (paseto package + claim rules), otherwise the same', unit: 'req/s', baseline: 'verify' },
    download('SQLite', 1),
    download('SQLite', 2),
    download('Redis', 1),
    download('Redis', 2),
    { id: 'dl-used', title: 'used token refused (410), SQLite, 1 worker', unit: 'req/s', baseline: 'verify' },
    { id: 'large-nginx', title: `${large} file, nginx sendfile (baseline)`, unit: 'MB/s' },
    { id: 'large-node', title: `${large} file, node:http + createReadStream`, unit: 'MB/s', baseline: 'large-nginx' },
    { id: 'large-dl', title: `${large} file, download server, fresh token`, unit: 'MB/s', baseline: 'large-nginx', target: LARGE_TARGET },
    { id: 'issue-baseline', title: 'issue token: Express + MemoryStore + paseto default (baseline)', unit: 'req/s' },
    { id: 'issue-ceiling', title: 'ceiling: bare Express 5 route answering 303, no session or signing, 1 process per core', unit: 'req/s', baseline: 'issue-baseline' },
    { id: 'issue-app', title: 'issue token: app server, signed-in user → 303', unit: 'req/s', baseline: 'issue-baseline', target: ISSUING_TARGET },
    { id: 'issue-app-2w', title: 'issue token: app server, 2 workers (APP_WORKERS=2)', unit: 'req/s', baseline: 'issue-baseline', target: ISSUING_TARGET },
  ]
}

/** The ids to run for `--only a,b`: those named (by prefix) and the baselines they divide by. */
export function selectedIds(specs: readonly CaseSpec[], only: readonly string[] | undefined): Set<string> {
  const named = specs.filter((spec) => only === undefined || only.some((prefix) => spec.id.startsWith(prefix)))
  return new Set([...named.map((spec) => spec.id), ...named.flatMap((spec) => (spec.baseline === undefined ? [] : [spec.baseline]))])
}

function failed(spec: CaseSpec, error: Error, errors: Map<string, string>): BenchCase {
  errors.set(spec.id, error.message)
  return { ...spec, run: () => Promise.reject(error) }
}

/** Turns started services into cases; a service that failed to start makes its case an error. */
export function buildCases(
  ctx: BenchContext,
  services: Services,
  verifyInputs: readonly VerifyInput[],
  selected: ReadonlySet<string>,
): { cases: BenchCase[]; errors: Map<string, string> } {
  const errors = new Map<string, string>()
  const specs = caseSpecs(ctx.options.largeFileMiB)
  const spec = (id: string): CaseSpec => specs.find((candidate) => candidate.id === id)!
  const from = <T>(id: string, outcome: Outcome<T>, build: (value: T, s: CaseSpec) => BenchCase, notHere: string): BenchCase => {
    const s = spec(id)
    if (outcome instanceof Error) return failed(s, outcome, errors)
    if (outcome === undefined) return unavailableCase(s, notHere)
    return build(outcome, s)
  }
  const workersNA = services.workersSupported ? 'not started' : 'DL_WORKERS not implemented'
  const accepted = (id: string, outcome: Services['sqlite1'], notHere = 'not started'): BenchCase =>
    from(id, outcome, (server, s) => acceptedDownloadCase(ctx, { id, title: s.title, server, target: s.target }), notHere)
  const nginxAbsent = services.nginxInstalled ? 'not started' : 'nginx not installed; large-file ratios are to large-node'
  if (!services.nginxInstalled) {
    spec('large-node').baseline = undefined
    spec('large-dl').baseline = 'large-node'
  }
  const issuing = services.issuing
  const all: BenchCase[] = [
    verifyCase(ctx, verifyInputs),
    from('dl-ceiling', services.ceiling, (server, s) => acceptedDownloadCase(ctx, { id: s.id, title: s.title, server, check: 'signature' }), 'not started'),
    from('dl-ceiling-paseto', services.ceilingPaseto, (server, s) => acceptedDownloadCase(ctx, { id: s.id, title: s.title, server, check: 'signature' }), 'not started'),
    accepted('dl-sqlite-1w', services.sqlite1),
    accepted('dl-sqlite-2w', services.sqlite2, workersNA),
    accepted('dl-redis-1w', services.redis1),
    accepted('dl-redis-2w', services.redis2, workersNA),
    from('dl-used', services.sqlite1, (server, s) => usedTokenCase(ctx, { id: s.id, title: s.title, server }, ctx.options.quick ? 300 : 2000), 'not started'),
    from('large-nginx', services.nginx, (server, s) => staticLargeFileCase(ctx, s, server), nginxAbsent),
    from('large-node', services.nodeStatic, (server, s) => staticLargeFileCase(ctx, s, server), 'not started'),
    from('large-dl', services.sqlite1, (server, s) => tokenLargeFileCase(ctx, s, server), 'not started'),
    from('issue-baseline', issuing instanceof Error || issuing === undefined ? issuing : issuing.baseline,
      (it, s) => issuingCase(ctx, s, it.server, it.session), 'not started'),
    from('issue-ceiling', issuing instanceof Error || issuing === undefined ? issuing : issuing.ceiling,
      (it, s) => issuingCase(ctx, s, it.server, it.session), 'not started'),
    from('issue-app', issuing instanceof Error || issuing === undefined ? issuing : issuing.app,
      (it, s) => issuingCase(ctx, s, it.server, it.session), 'not started'),
    from('issue-app-2w', issuing instanceof Error || issuing === undefined ? issuing : issuing.app2,
      (it, s) => issuingCase(ctx, s, it.server, it.session), 'not started'),
  ]
  return { cases: all.filter((c) => selected.has(c.id)), errors }
}
