import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { z } from 'zod'
// The same checks as the download server's DL_JTI_STORE (node-redis refuses the same URLs in
// both) and DL_WORKERS.
import { isRedisURL, workerCount, workersSetting } from '../../download-server/src/config.js'

/** Settings of the app server, parsed once from the environment by an entry point. */
export interface AppConfig {
  host: string
  port: number
  dataDir: string
  publicURL: URL
  downloadPort: number
  downloadPublicURL: URL
  downloadInternalURL: URL
  tokenIssuer: string
  tokenAudience: string
  tokenLifetimeSeconds: number
  sessionStore: { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string }
  sessionTTLSeconds: number
  /** k4.secret lines, newest last; `created` says whether the app may make the file on first run. */
  signingKeysFile: { path: string; createIfMissing: boolean }
  /** Always DATA_DIR/keys/public-keys.txt: what the download server is given. */
  publicKeysFile: string
  /** Secrets that sign the session cookie, newest last; from APP_SESSION_SECRET, else from a file under DATA_DIR/keys. */
  sessionSecrets: { kind: 'setting'; secrets: string[] } | { kind: 'file'; path: string }
  /** Express `trust proxy`: false, a hop count, or named addresses. */
  trustProxy: false | number | string
  /** True when the browser reaches the app over HTTPS: Secure cookie with a __Host- name. */
  secureCookies: boolean
  uploadMaxBytes: number
  /**
   * The download server's used-token store, read (never written) for the link fates on the
   * files page; undefined when the download server does not report back.
   */
  downloadOutcomes: { kind: 'redis'; url: string; keyPrefix: string } | { kind: 'sqlite'; path: string } | undefined
  /** APP_METRICS=on: Prometheus text at GET /metrics (revocation delivery counters). */
  metrics: boolean
  /** pino level for the app's logs (`LOG_LEVEL`). */
  logLevel: LogLevel
  /** App processes serving one port (`APP_WORKERS`, node:cluster); 1 runs no cluster at all. */
  workers: number
  demo: { user: string; password: string; adminUser: string; adminPassword: string }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export const DEFAULT_DEMO_USER = 'demo'
export const DEFAULT_DEMO_PASSWORD = 'demo-password-change-me'
export const DEFAULT_ADMIN_USER = 'admin'
export const DEFAULT_ADMIN_PASSWORD = 'admin-password-change-me'
export const MAX_TOKEN_LIFETIME_SECONDS = 300

/** Every bad setting, one line each (`NAME: what is wrong`); never echoes a secret's value. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID'
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/
// Decimal digits only, as in the download server's settings: z.coerce.number would read `0x10`
// as 16, `1e3` as 1000 and ' ' as 0.
const integer = (min: number, max: number): z.ZodType<number, string> =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`))
const port = integer(0, 65535)
const httpURL = z.string().refine((v) => {
  try {
    const u = new URL(v)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === ''
  } catch {
    return false
  }
}, 'must be an http:// or https:// URL without credentials, query or fragment')
const storeSetting = (message: string): z.ZodString => z.string().refine((v) => /^sqlite:.+/.test(v) || isRedisURL(v), message)
const username = z.string().regex(USERNAME, 'must be 1-64 letters, digits, dot, dash or underscore')
const password = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters')

const schema = z.object({
  APP_HOST: z.string().min(1).default('127.0.0.1'),
  APP_PORT: port.default(3000),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  APP_PUBLIC_URL: httpURL.optional(),
  DL_PORT: port.default(3001),
  DL_PUBLIC_URL: httpURL.optional(),
  DL_INTERNAL_URL: httpURL.optional(),
  TOKEN_ISSUER: z.string().min(1).max(512).optional(),
  TOKEN_AUDIENCE: z.string().min(1).max(512).optional(),
  TOKEN_LIFETIME_SECONDS: integer(1, MAX_TOKEN_LIFETIME_SECONDS).default(MAX_TOKEN_LIFETIME_SECONDS),
  APP_SESSION_STORE: storeSetting('must be sqlite:<path> or a redis:// URL').optional(),
  APP_SESSION_TTL_SECONDS: integer(1, 30 * 24 * 3600).default(8 * 3600),
  APP_SIGNING_KEYS_FILE: z.string().min(1).optional(),
  APP_SESSION_SECRET: z.string().optional().refine((v) => v === undefined || v.split(',').every((s) => s.trim().length >= 32), 'must be one or more comma-separated secrets of at least 32 characters'),
  APP_TRUST_PROXY: z.string().optional().refine((v) => v === undefined || parseTrustProxy(v) !== undefined, "must be 'false', a hop count, or comma-separated loopback, linklocal, uniquelocal, IP addresses and CIDRs (prefix 1-32, IPv6 1-128; 'true' would trust any X-Forwarded-For)"),
  APP_UPLOAD_MAX_BYTES: integer(1, Number.MAX_SAFE_INTEGER).default(100 * 1024 * 1024),
  APP_DOWNLOAD_OUTCOMES: storeSetting("must be sqlite:<path> or a redis:// URL (the download server's DL_JTI_STORE)").optional(),
  APP_DOWNLOAD_OUTCOMES_PREFIX: z.string().max(200, 'must be at most 200 characters').default('tdr:dl:'),
  APP_METRICS: z.enum(['on', 'off'], { error: "must be 'on' or 'off'" }).default('off'),
  APP_WORKERS: workersSetting(),
  // Parsed here, not handed raw to pino, so a typo is a one-line start-up error, not pino's stack trace.
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  DEMO_USER: username.default(DEFAULT_DEMO_USER),
  DEMO_PASSWORD: password.default(DEFAULT_DEMO_PASSWORD),
  ADMIN_USER: username.default(DEFAULT_ADMIN_USER),
  ADMIN_PASSWORD: password.default(DEFAULT_ADMIN_PASSWORD),
})

function parseTrustProxy(value: string): false | number | string | undefined {
  const v = value.trim()
  if (v === '' || v === 'false' || v === '0') return false
  if (/^\d{1,2}$/.test(v)) return Number(v)
  if (v === 'true') return undefined
  const parts = v.split(',').map((p) => p.trim())
  return parts.every(isTrustedProxy) ? parts.join(',') : undefined
}

/**
 * A name proxy-addr knows, an IP address, or an address/prefix. Checked here so that a typo is
 * refused by name instead of by Express's "invalid IP address". A /0 prefix is refused, as
 * proxy-addr does: it would trust everyone, like `true`.
 */
function isTrustedProxy(part: string): boolean {
  if (/^(loopback|linklocal|uniquelocal)$/.test(part)) return true
  const [address = '', prefix, ...rest] = part.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128)
}

/** `http://host:3000/` → `http://host:3000`, the form people write in settings. */
export function withoutTrailingSlash(url: URL): string {
  return url.href.replace(/\/+$/, '')
}

/** Parse the app server's settings; throws ConfigError naming every bad one. */
/** `APP_WORKERS=auto` is one worker per CPU (`cpuCount`, default `os.availableParallelism()`). */
export function parseAppConfig(env: Readonly<Record<string, string | undefined>>, options: { cpuCount?: number } = {}): AppConfig {
  // An empty (or blank) variable means "not set", as in most shells' `FOO= cmd` and as the
  // download server reads its own. Other values are kept as given: a password may hold spaces.
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''))
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'settings')}: ${i.message}`))
  }
  const s = parsed.data
  const problems: string[] = []
  const dataDir = path.resolve(s.DATA_DIR)
  const publicURL = new URL(s.APP_PUBLIC_URL ?? `http://127.0.0.1:${s.APP_PORT}`)
  const downloadPublicURL = new URL(s.DL_PUBLIC_URL ?? `http://127.0.0.1:${s.DL_PORT}`)
  const downloadInternalURL = new URL(s.DL_INTERNAL_URL ?? `http://127.0.0.1:${s.DL_PORT}`)
  const trustProxy = s.APP_TRUST_PROXY === undefined ? false : (parseTrustProxy(s.APP_TRUST_PROXY) ?? false)
  const secureCookies = publicURL.protocol === 'https:'
  if (secureCookies && trustProxy === false) {
    problems.push('APP_TRUST_PROXY: must name the TLS proxy when APP_PUBLIC_URL is https (the app itself speaks plain HTTP, so it cannot see HTTPS otherwise)')
  }
  if (s.DEMO_USER.toLowerCase() === s.ADMIN_USER.toLowerCase()) {
    problems.push('ADMIN_USER: must differ from DEMO_USER')
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const storeSetting = s.APP_SESSION_STORE ?? `sqlite:${path.join(dataDir, 'sessions.db')}`
  const sessionStore = storeSetting.startsWith('sqlite:')
    ? { kind: 'sqlite' as const, path: path.resolve(storeSetting.slice('sqlite:'.length)) }
    : { kind: 'redis' as const, url: storeSetting }
  const keysDir = path.join(dataDir, 'keys')
  return {
    host: s.APP_HOST,
    port: s.APP_PORT,
    dataDir,
    publicURL,
    downloadPort: s.DL_PORT,
    downloadPublicURL,
    downloadInternalURL,
    tokenIssuer: s.TOKEN_ISSUER ?? withoutTrailingSlash(publicURL),
    tokenAudience: s.TOKEN_AUDIENCE ?? withoutTrailingSlash(downloadPublicURL),
    tokenLifetimeSeconds: s.TOKEN_LIFETIME_SECONDS,
    sessionStore,
    sessionTTLSeconds: s.APP_SESSION_TTL_SECONDS,
    signingKeysFile: s.APP_SIGNING_KEYS_FILE === undefined
      ? { path: path.join(keysDir, 'signing-keys.txt'), createIfMissing: true }
      : { path: path.resolve(s.APP_SIGNING_KEYS_FILE), createIfMissing: false },
    publicKeysFile: path.join(keysDir, 'public-keys.txt'),
    sessionSecrets: s.APP_SESSION_SECRET === undefined
      ? { kind: 'file', path: path.join(keysDir, 'session-secret.txt') }
      : { kind: 'setting', secrets: s.APP_SESSION_SECRET.split(',').map((x) => x.trim()) },
    trustProxy,
    secureCookies,
    uploadMaxBytes: s.APP_UPLOAD_MAX_BYTES,
    downloadOutcomes: s.APP_DOWNLOAD_OUTCOMES === undefined
      ? undefined
      : s.APP_DOWNLOAD_OUTCOMES.startsWith('sqlite:')
        ? { kind: 'sqlite', path: path.resolve(s.APP_DOWNLOAD_OUTCOMES.slice('sqlite:'.length)) }
        : { kind: 'redis', url: s.APP_DOWNLOAD_OUTCOMES, keyPrefix: s.APP_DOWNLOAD_OUTCOMES_PREFIX },
    metrics: s.APP_METRICS === 'on',
    logLevel: s.LOG_LEVEL,
    workers: workerCount(s.APP_WORKERS, options.cpuCount ?? availableParallelism()),
    demo: { user: s.DEMO_USER, password: s.DEMO_PASSWORD, adminUser: s.ADMIN_USER, adminPassword: s.ADMIN_PASSWORD },
  }
}
