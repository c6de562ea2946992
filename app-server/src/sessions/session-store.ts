import { createHash } from 'node:crypto'
import session from 'express-session'
import type { SessionData } from 'express-session'
import { AppError } from '../errors.js'

declare module 'express-session' {
  interface SessionData {
    /** Set only by sign-in, on a freshly regenerated session. */
    userId: number
    /** When this session signed in (ms); a password changed after it ends the session. */
    authAt: number
    lastSeenAt: number
    userAgent: string
    flash: { kind: 'ok' | 'error'; text: string }
  }
}

/**
 * How stale a session's stored expiry may get. A session is rewritten (new expiry, cookie sent
 * again) on the first request after this much time since `lastSeenAt`, not on every request:
 * an idle session therefore ends between its TTL minus this and its TTL after its last
 * request, never later.
 */
export const SESSION_ACTIVITY_RESOLUTION_MS = 60_000

/** One of a user's sessions as the sessions page shows it; never the session id itself. */
export interface SessionSummary {
  handle: string
  signedInAt: Date
  lastSeenAt: Date
  userAgent: string
  expiresAt: Date
}

export interface SessionStoreOptions {
  /** Lifetime when a session's cookie carries no expiry; also how long a destroyed id stays dead. */
  ttlSeconds: number
  clock: () => Date
}

/**
 * sha256 of the session id, base64url. Storage, pages and revoke URLs name a session by this
 * handle, so a leaked table, log line or page holds nothing that works as a cookie.
 */
export function sessionHandle(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url')
}

/**
 * express-session's Store contract (get/set/touch/destroy) plus what sessions done right
 * need: every session of one user can be listed and ended at once, and a destroyed session
 * id can never be brought back by a request that was still in flight when it was destroyed.
 * Subclasses implement the storage primitives; this class maps them onto express-session's
 * callbacks and turns storage failures into SESSION_STORE_UNAVAILABLE (503).
 */
export abstract class SessionStore extends session.Store {
  protected readonly ttlMs: number
  protected readonly clock: () => Date

  constructor(options: SessionStoreOptions) {
    super()
    this.ttlMs = options.ttlSeconds * 1000
    this.clock = options.clock
  }

  /** The data of a live session, or undefined when it is unknown, expired or destroyed. */
  protected abstract read(handle: string): Promise<SessionData | undefined>
  /** Upsert (or, with `onlyIfExists`, update) a session; a no-op for a destroyed one. */
  protected abstract write(handle: string, data: SessionData, expiresAt: Date, options: { onlyIfExists: boolean }): Promise<void>
  /** Destroy a session and keep its id dead until the TTL has passed. */
  protected abstract remove(handle: string): Promise<void>

  /** The live sessions of a user, newest sign-in first. */
  abstract listByUser(userId: number): Promise<SessionSummary[]>
  /** Ends every session of a user (but `except`, a session id) at once; returns how many ended. */
  abstract destroyByUser(userId: number, options?: { except?: string }): Promise<number>
  /** Ends one session by its handle, only when it belongs to `userId`. */
  abstract destroyHandle(userId: number, handle: string): Promise<boolean>
  /** Deletes expired sessions and dead ids; returns how many rows went (0 when the store expires keys itself). */
  abstract purgeExpired(): Promise<number>

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.read(sessionHandle(sid)).then(
      (data) => callback(null, data ?? null),
      (err: unknown) => callback(unavailable(err)),
    )
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.save(sid, data, false).then(() => callback?.(), (err: unknown) => callback?.(unavailable(err)))
  }

  /**
   * express-session calls this after every request that left the session unchanged. A session
   * whose `lastSeenAt` is recent was written less than SESSION_ACTIVITY_RESOLUTION_MS ago, so
   * its stored expiry is at most that stale: nothing to write (connect-mongo's `touchAfter`).
   * Once it is older, `trackSessionActivity` changes the session and `set` writes it instead.
   */
  override touch(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    const lastSeenAt = data.lastSeenAt
    if (typeof lastSeenAt === 'number' && this.clock().getTime() - lastSeenAt < SESSION_ACTIVITY_RESOLUTION_MS) {
      callback?.()
      return
    }
    this.save(sid, data, true).then(() => callback?.(), (err: unknown) => callback?.(unavailable(err)))
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.remove(sessionHandle(sid)).then(() => callback?.(), (err: unknown) => callback?.(unavailable(err)))
  }

  private async save(sid: string, data: SessionData, onlyIfExists: boolean): Promise<void> {
    const expiresAt = this.expiryOf(data)
    if (expiresAt.getTime() <= this.clock().getTime()) return this.remove(sessionHandle(sid))
    return this.write(sessionHandle(sid), data, expiresAt, { onlyIfExists })
  }

  private expiryOf(data: SessionData): Date {
    const expires = data.cookie?.expires
    if (expires) return new Date(expires)
    return new Date(this.clock().getTime() + this.ttlMs)
  }
}

export function summarize(handle: string, data: SessionData, expiresAt: Date): SessionSummary {
  return {
    handle,
    signedInAt: new Date(data.authAt ?? 0),
    lastSeenAt: new Date(data.lastSeenAt ?? data.authAt ?? 0),
    userAgent: typeof data.userAgent === 'string' ? data.userAgent : '',
    expiresAt,
  }
}

function unavailable(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError('SESSION_STORE_UNAVAILABLE', 'session store failed', { cause: err })
}
