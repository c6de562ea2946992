import type { Request, RequestHandler, Response } from 'express'
import type { SessionData } from 'express-session'
import type { Logger } from 'pino'
import { AppError } from '../errors.js'
import type { User, UserRepository } from '../users/user-repository.js'
import { regenerateSession } from './session-middleware.js'

export type SessionEndReason = 'account_gone' | 'banned' | 'password_changed'

declare module 'express-serve-static-core' {
  interface Locals {
    /** The signed-in user, checked against the database on this very request. */
    user?: User
    /** Set when this request's session was valid once but no longer is. */
    sessionEnded?: SessionEndReason
  }
}

/**
 * On every request, re-reads the session's user: a user deleted or banned, or a session that
 * signed in before the last password change, ends here, on whichever process serves the
 * request, at once, even if some other process has not yet deleted the session.
 */
export function loadCurrentUser(deps: { users: UserRepository; clock: () => Date; logger: Logger }): RequestHandler {
  return async (req, res, next) => {
    const session = req.session
    if (typeof session.userId !== 'number') return next()
    const user = deps.users.findById(session.userId)
    const reason = endReason(session, user)
    if (!user || reason) {
      deps.logger.info({ userId: session.userId, reason }, 'session refused')
      res.locals.sessionEnded = reason
      await regenerateSession(req)
      return next()
    }
    res.locals.user = user
    next()
  }
}

/** Why a signed-in session is no longer valid for `user`, or undefined while it is. */
function endReason(session: Partial<SessionData>, user: User | undefined): SessionEndReason | undefined {
  if (!user) return 'account_gone'
  if (user.bannedAt) return 'banned'
  if ((session.authAt ?? 0) < user.passwordChangedAt.getTime()) return 'password_changed'
  return undefined
}

/**
 * True when this request's session, read again from the store, is still signed in as `userId`
 * under the same rules as `loadCurrentUser`. A sign-out, password change or ban revokes the
 * download links recorded before it: a route that makes one calls this after recording it, so
 * that a request which loaded its session just before the session ended hands out nothing.
 */
export async function stillSignedIn(req: Request, users: UserRepository, userId: number): Promise<boolean> {
  const data = await new Promise<SessionData | null | undefined>((resolve, reject) => {
    req.sessionStore.get(req.sessionID, (err: unknown, session) => (err ? reject(err as Error) : resolve(session)))
  })
  return data?.userId === userId && endReason(data, users.findById(userId)) === undefined
}

/** Anonymous → to the sign-in page (saying why, when a session was just ended). */
export const requireUser: RequestHandler = (_req, res, next) => {
  if (res.locals.user) return next()
  res.redirect(303, res.locals.sessionEnded ? `/login?ended=${res.locals.sessionEnded}` : '/login')
}

/** Only admins; anyone else gets the same 404 as for a page that does not exist. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (!res.locals.user) return requireUser(_req, res, next)
  next(res.locals.user.role === 'admin' ? undefined : new AppError('NOT_FOUND'))
}

/** The user of a route behind `requireUser`. */
export function currentUser(res: Response): User {
  if (!res.locals.user) throw new AppError('INTERNAL', 'route reached without a signed-in user')
  return res.locals.user
}
