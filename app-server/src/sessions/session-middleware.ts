import { randomBytes } from 'node:crypto'
import type { CookieOptions, Request, RequestHandler, Response } from 'express'
import session from 'express-session'
import { SESSION_ACTIVITY_RESOLUTION_MS } from './session-store.js'
import type { SessionStore } from './session-store.js'

/** A session that has not signed in (it holds only a CSRF token) lives this long. */
export const ANONYMOUS_SESSION_MS = 60 * 60_000

export interface SessionCookie {
  name: string
  options: CookieOptions
}

/** `__Host-sid` (Secure, Path=/, no Domain) over HTTPS; plain `sid` on http://127.0.0.1 for the demo. */
export function sessionCookie(options: { secure: boolean }): SessionCookie {
  return {
    name: options.secure ? '__Host-sid' : 'sid',
    options: { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' },
  }
}

/**
 * express-session over our store: the cookie carries only an opaque 256-bit random id (signed
 * with the cookie secret); everything else stays on the server. Nothing is stored for a
 * visitor until a page needs a CSRF token. Expiry slides with use, but not on every request
 * (`rolling: false`): `trackSessionActivity` changes a session at most once a minute, and only
 * then is it rewritten with a new expiry and its cookie sent again.
 */
export function sessionMiddleware(options: { store: SessionStore; secrets: string[]; cookie: SessionCookie }): RequestHandler {
  return session({
    name: options.cookie.name,
    secret: options.secrets,
    store: options.store,
    genid: () => randomBytes(32).toString('base64url'),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    cookie: { ...options.cookie.options, maxAge: ANONYMOUS_SESSION_MS },
  })
}

/**
 * Slides the expiry of a stored session: on the first request more than
 * SESSION_ACTIVITY_RESOLUTION_MS after `lastSeenAt`, sets `lastSeenAt`, which makes
 * express-session save the session (new expiry) and send its cookie again (new Expires). In
 * between, the store's `touch` writes nothing. A session made on this request holds no data
 * yet and is left alone, so that nothing is stored for a visitor who needs nothing.
 */
export function trackSessionActivity(options: { clock: () => Date }): RequestHandler {
  return (req, _res, next) => {
    const session = req.session
    const now = options.clock().getTime()
    if (holdsData(session) && now - (session.lastSeenAt ?? 0) >= SESSION_ACTIVITY_RESOLUTION_MS) session.lastSeenAt = now
    next()
  }
}

/** True for a session loaded from the store: express-session stores only sessions that hold something besides their cookie. */
function holdsData(session: Request['session']): boolean {
  for (const key in session) if (key !== 'cookie') return true
  return false
}

const promisify = (fn: (cb: (err?: unknown) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(err as Error) : resolve())))

/** New id, old one destroyed in the store: sign-in and password change call this. */
export function regenerateSession(req: Request): Promise<void> {
  return promisify((cb) => req.session.regenerate(cb))
}

export function saveSession(req: Request): Promise<void> {
  return promisify((cb) => req.session.save(cb))
}

/** Destroys the session on the server and tells the browser to drop the cookie. */
export async function endSession(req: Request, res: Response, cookie: SessionCookie): Promise<void> {
  await promisify((cb) => req.session.destroy(cb))
  res.clearCookie(cookie.name, cookie.options)
}
