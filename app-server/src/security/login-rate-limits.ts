import { createHmac, hkdfSync } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import { rateLimit } from 'express-rate-limit'
import type { Options as RateLimitOptions, Logger as RateLimitLogger, Store } from 'express-rate-limit'
import type { Logger } from 'pino'
import { AppError } from '../errors.js'

export interface LoginLimits {
  windowMs: number
  /** Failed sign-ins allowed per account (username) in the window. */
  perAccount: number
  /** Failed sign-ins allowed per client address in the window. */
  perAddress: number
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perAccount: 10, perAddress: 50 }

/**
 * Two express-rate-limit limiters on POST /login, counting failures only (a success is taken
 * back): one per address, one per account so that spreading a guess over many addresses does
 * not help. `store(name)` gives each its own store (Redis when sessions are on Redis, so that
 * every app process counts together).
 */
export function loginRateLimits(options: {
  limits: LoginLimits
  /**
   * A server-side secret (the newest cookie secret): the per-account key is an HMAC of the typed
   * name under a key derived from it, the same in every app process sharing the store.
   */
  secret: string
  store?: (name: string) => Store
  onLimited: RequestHandler
  logger: Logger
}): RequestHandler[] {
  const common = commonOptions(options)
  if (options.secret.length < 32) throw new TypeError('loginRateLimits: the secret must be at least 32 characters')
  const accountKey = Buffer.from(hkdfSync('sha256', options.secret, '', 'login-rate-limit account key', 32))
  const accountOf = (req: Request): string => {
    const name = (req.body as Record<string, unknown> | undefined)?.username
    return typeof name === 'string' ? name.trim().toLowerCase().slice(0, 64) : ''
  }
  return [
    rateLimit({ ...common, limit: options.limits.perAddress, ...(options.store ? { store: options.store('ip') } : {}) }),
    rateLimit({
      ...common,
      limit: options.limits.perAccount,
      // The typed name may be a password typed in the wrong field: it is counted by its keyed
      // hash, so it never stands in a key of the (possibly shared) store, and whoever reads the
      // store cannot test guesses against the keys without the secret, as they could a plain hash.
      keyGenerator: (req) => `account:${createHmac('sha256', accountKey).update(accountOf(req)).digest('base64url')}`,
      skip: (req) => accountOf(req) === '',
      ...(options.store ? { store: options.store('account') } : {}),
    }),
  ].map(storeFailure)
}

/**
 * The per-account budget for the current-password check of a signed-in user (POST
 * /account/password), failures only, keyed by the user's id: someone holding a copied cookie
 * must not be able to guess the password there at any rate when sign-in would stop them.
 */
export function passwordCheckRateLimit(options: {
  limits: LoginLimits
  store?: (name: string) => Store
  onLimited: RequestHandler
  logger: Logger
}): RequestHandler {
  return storeFailure(
    rateLimit({
      ...commonOptions(options),
      limit: options.limits.perAccount,
      keyGenerator: (_req, res) => `user:${String(res.locals.user?.id)}`,
      ...(options.store ? { store: options.store('password') } : {}),
    }),
  )
}

function commonOptions(options: { limits: LoginLimits; onLimited: RequestHandler; logger: Logger }): Partial<RateLimitOptions> {
  return {
    logger: rateLimitLogger(options.logger),
    windowMs: options.limits.windowMs,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    handler: options.onLimited,
  }
}

/** Fail closed when the shared store is down (no unlimited guessing), with a 503, not a 500. */
function storeFailure(limiter: RequestHandler): RequestHandler {
  return (req, res, next) =>
    limiter(req, res, (err?: unknown) => next(err ? new AppError('SESSION_STORE_UNAVAILABLE', 'rate limit store failed', { cause: err }) : undefined))
}

/**
 * express-rate-limit reports what it does not throw (a failed decrement after a sign-in, a
 * misconfiguration warning) to its `logger`, by default `console.error` with the whole error and
 * its stack. Ours: one warn line through pino, with the error's message and code only.
 */
function rateLimitLogger(logger: Logger): RateLimitLogger {
  const log = logger.child({ component: 'login-rate-limit' })
  const line = (error: unknown, message?: string): void => {
    const e = error as { message?: unknown; code?: unknown } | undefined
    // Not under `err`: pino's error serializer would add a `stack` field.
    const cause = { message: String(e?.message ?? error), ...(typeof e?.code === 'string' ? { code: e.code } : {}) }
    log.warn({ cause }, message ?? 'rate limiter problem')
  }
  return { error: line, warn: line }
}
