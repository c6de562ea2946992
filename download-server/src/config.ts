import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { MAX_CLOCK_TOLERANCE_SECONDS, parsePublicKeyList, type PublicKey, type VerifyThread } from '../../shared/src/index.js'
import { ConfigError, type ConfigIssue } from './config-error.js'

export type JTIStoreConfig =
  | { kind: 'sqlite'; path: string; synchronous: 'NORMAL' | 'FULL' }
  | { kind: 'redis'; url: string; keyPrefix: string }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface DownloadConfig {
  host: string
  port: number
  /** The served directory, as its real path (symlinks resolved), so confinement compares like with like. */
  root: string
  publicKeys: readonly PublicKey[]
  issuer: string
  audience: string
  jtiStore: JTIStoreConfig
  clockToleranceSeconds: number
  /** CONTRACT §5. `leaseMs` (hidden `DL_RESUME_LEASE_MS`, for tests) is at most 30 s. */
  resume: { enabled: boolean; maxResumptions: number; leaseMs: number }
  /** Where refusal pages link back to (the app's files page), when set. */
  appURL: string | undefined
  logLevel: LogLevel
  /** Processes serving on the same port and store (`DL_WORKERS`); 1 runs no cluster at all. */
  workers: number
  /**
   * Where each process checks signatures (`DL_VERIFY_ON`): `auto` is libuv's thread pool while
   * there are fewer workers than CPUs (so one event loop can keep a spare core busy with
   * Ed25519), and the event loop's own thread otherwise (every core already runs a worker).
   */
  verifyOn: VerifyThread
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30
/** More workers than this only add memory and store connections, whatever the machine. */
export const MAX_WORKERS = 64
const DEFAULT_JTI_STORE = 'sqlite:./data/used-tokens.db'

const integer = (min: number, max: number): z.ZodType<number, string> =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`))

const required = (what: string): z.ZodString =>
  z.string({ error: `is required (${what})` }).max(2048, 'is longer than 2048 characters')

const httpURL = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}, 'must be an absolute http:// or https:// URL')

/**
 * A workers setting (`DL_WORKERS`, and the app's `APP_WORKERS`): `auto` or a whole number from 1
 * to MAX_WORKERS, 1 when unset.
 */
export function workersSetting(): z.ZodType<'auto' | number, string | undefined> {
  return z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.union([z.literal('auto'), integer(1, MAX_WORKERS)], { error: `must be auto or a whole number from 1 to ${MAX_WORKERS}` }))
    .default(1)
}

/** How many processes a workers setting means on a machine with `cpuCount` CPUs. */
export function workerCount(setting: 'auto' | number, cpuCount: number): number {
  return setting === 'auto' ? Math.max(1, Math.min(cpuCount, MAX_WORKERS)) : setting
}

const schema = z.object({
  DL_HOST: z.string().max(255, 'is longer than 255 characters').default('127.0.0.1'),
  DL_PORT: integer(0, 65535).default(3001),
  DL_ISSUER: required('the `iss` claim this server accepts'),
  DL_AUDIENCE: required('the `aud` claim this server accepts'),
  DL_CLOCK_TOLERANCE: integer(0, MAX_CLOCK_TOLERANCE_SECONDS).default(DEFAULT_CLOCK_TOLERANCE_SECONDS),
  DL_RESUME: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['on', 'off'], { error: 'must be on or off' }))
    .default('off'),
  DL_RESUME_MAX: integer(0, 1000).default(3),
  DL_RESUME_LEASE_MS: integer(100, 30_000).default(30_000),
  DL_APP_URL: httpURL.optional(),
  DL_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  DL_REDIS_KEY_PREFIX: z.string().max(200, 'is longer than 200 characters').default('tdr:dl:'),
  DL_SQLITE_SYNCHRONOUS: z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(['NORMAL', 'FULL'], { error: 'must be normal or full' }))
    .default('NORMAL'),
  DL_WORKERS: workersSetting(),
  DL_VERIFY_ON: z
    .string()
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(['auto', 'caller', 'threadpool'], { error: 'must be auto, caller or threadpool' }))
    .default('auto'),
})

/**
 * Reads the download server's settings (CONTRACT §2) from `env`, once. Throws a `ConfigError`
 * naming every bad setting; relative paths are taken from `cwd`, `DL_WORKERS=auto` is `cpuCount`.
 */
export function parseDownloadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: { cwd?: string; cpuCount?: number } = {},
): DownloadConfig {
  const cwd = options.cwd ?? process.cwd()
  const cpuCount = options.cpuCount ?? os.availableParallelism()
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim()
    return raw === undefined || raw === '' ? undefined : raw
  }
  const issues: ConfigIssue[] = []

  const parsed = schema.safeParse(Object.fromEntries(Object.keys(schema.shape).map((name) => [name, value(name)])))
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ variable: String(issue.path[0]), message: issue.message })
  }
  const root = parseRoot(value('DL_ROOT'), cwd, issues)
  const publicKeys = parseKeys(value('DL_PUBLIC_KEYS'), value('DL_PUBLIC_KEYS_FILE'), cwd, issues)
  const store = parseStore(value('DL_JTI_STORE') ?? DEFAULT_JTI_STORE, cwd, issues)

  if (!parsed.success || issues.length > 0 || root === undefined || store === undefined) {
    throw new ConfigError(issues)
  }
  const settings = parsed.data
  const workers = workerCount(settings.DL_WORKERS, cpuCount)
  return {
    host: settings.DL_HOST,
    port: settings.DL_PORT,
    root,
    publicKeys,
    issuer: settings.DL_ISSUER,
    audience: settings.DL_AUDIENCE,
    jtiStore:
      store.kind === 'redis'
        ? { ...store, keyPrefix: settings.DL_REDIS_KEY_PREFIX }
        : { ...store, synchronous: settings.DL_SQLITE_SYNCHRONOUS },
    clockToleranceSeconds: settings.DL_CLOCK_TOLERANCE,
    resume: { enabled: settings.DL_RESUME === 'on', maxResumptions: settings.DL_RESUME_MAX, leaseMs: settings.DL_RESUME_LEASE_MS },
    appURL: settings.DL_APP_URL,
    logLevel: settings.DL_LOG_LEVEL,
    workers,
    verifyOn: settings.DL_VERIFY_ON === 'auto' ? (workers < cpuCount ? 'threadpool' : 'caller') : settings.DL_VERIFY_ON,
  }
}

function parseRoot(raw: string | undefined, cwd: string, issues: ConfigIssue[]): string | undefined {
  const fail = (message: string): undefined => {
    issues.push({ variable: 'DL_ROOT', message })
    return undefined
  }
  if (raw === undefined) return fail('is required (the directory to serve)')
  let real: string
  try {
    real = fs.realpathSync(path.resolve(cwd, raw))
  } catch (error) {
    return fail(`cannot be resolved (${errorCode(error)})`)
  }
  if (!fs.statSync(real).isDirectory()) return fail('is not a directory')
  try {
    fs.accessSync(real, fs.constants.R_OK | fs.constants.X_OK)
  } catch (error) {
    return fail(`is not readable by this process (${errorCode(error)})`)
  }
  return real
}

function parseKeys(
  inline: string | undefined,
  file: string | undefined,
  cwd: string,
  issues: ConfigIssue[],
): PublicKey[] {
  if (inline === undefined && file === undefined) {
    issues.push({ variable: 'DL_PUBLIC_KEYS', message: 'is required (or DL_PUBLIC_KEYS_FILE): one or more k4.public keys' })
    return []
  }
  const keys: PublicKey[] = []
  const add = (variable: string, text: string): void => {
    try {
      const parsed = parsePublicKeyList(text)
      if (parsed.length === 0) issues.push({ variable, message: 'holds no k4.public key' })
      keys.push(...parsed)
    } catch (error) {
      // The shared parser's messages are written for this line and never echo the key.
      issues.push({ variable, message: error instanceof Error ? error.message : 'holds an invalid key' })
    }
  }
  if (inline !== undefined) add('DL_PUBLIC_KEYS', inline)
  if (file !== undefined) {
    let text: string | undefined
    try {
      text = fs.readFileSync(path.resolve(cwd, file), 'utf8')
    } catch (error) {
      issues.push({ variable: 'DL_PUBLIC_KEYS_FILE', message: `cannot be read (${errorCode(error)})` })
    }
    if (text !== undefined) add('DL_PUBLIC_KEYS_FILE', text)
  }
  const unique = new Map(keys.map((key) => [key.kid, key]))
  return [...unique.values()]
}

function parseStore(
  raw: string,
  cwd: string,
  issues: ConfigIssue[],
): { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string } | undefined {
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length)
    if (file === '' || file === ':memory:' || file.startsWith('file:')) {
      issues.push({ variable: 'DL_JTI_STORE', message: 'sqlite: needs a file path (an in-memory store would forget used tokens)' })
      return undefined
    }
    return { kind: 'sqlite', path: path.resolve(cwd, file) }
  }
  if (isRedisURL(raw)) return { kind: 'redis', url: raw }
  // Not echoed: a Redis URL may hold a password.
  issues.push({ variable: 'DL_JTI_STORE', message: 'must be sqlite:<path> or a redis:// or rediss:// URL (host, optional port and /<database number>)' })
  return undefined
}

/**
 * A URL node-redis can use. It refuses the rest only when connecting, with a bare "Invalid URL"
 * or "Invalid pathname" that names no setting: a database path that is not a number, a
 * username or password that is not valid percent-encoding. The app checks its Redis settings
 * with this too (APP_DOWNLOAD_OUTCOMES is this server's DL_JTI_STORE).
 */
export function isRedisURL(raw: string): boolean {
  try {
    const url = new URL(raw)
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname)
  } catch {
    return false
  }
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error'
}
