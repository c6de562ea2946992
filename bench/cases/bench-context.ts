import type { KeyObject } from 'node:crypto'
import type { TokenSigner } from '../../shared/src/index.js'

export interface BenchOptions {
  quick: boolean
  rounds: number
  durationS: number
  warmupS: number
  connections: number
  threads: number
  largeFileMiB: number
  largeConnections: number
  redisURL: string
  only?: readonly string[]
  /** Extra environment for every download server (levers to compare, e.g. DL_LOG_LEVEL). */
  downloadServerEnv: Readonly<Record<string, string>>
  cpuProfileDir?: string
  chart: boolean
  keepTemp: boolean
}

export interface BenchFiles {
  root: string
  small: { name: string; size: number }
  large: { name: string; size: number }
}

/** What every case shares: built once by main.ts and passed in. */
export interface BenchContext {
  readonly options: BenchOptions
  readonly repoRoot: string
  readonly tempDir: string
  readonly files: BenchFiles
  readonly signer: TokenSigner
  readonly publicKey: KeyObject
  /** The signer's k4.public, given to the download servers. */
  readonly publicPASERK: string
  /** Unique per run; every Redis key the servers write starts with it, so cleanup is exact. */
  readonly redisKeyPrefix: string
  readonly issuer: string
  readonly audience: string
  readonly cpuCount: number
  /** Single-thread verify rate measured at start-up, to size token batches. */
  verifyRateHint: number
  /** Aborted when the benchmark is interrupted: running load generators are killed. */
  readonly signal: AbortSignal
  log(line: string): void
}
