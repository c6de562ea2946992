import type { RequestHandler, Response } from 'express'
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
    const reason: SessionEndReason | undefined = !user
      ? 'account_gone'
      : user.bannedAt
        ? 'banned'
        : (session.authAt ?? 0) < user.passwordChangedAt.getTime()
          ? 'password_changed'
          : undefined
    if (reason) {
      deps.logger.info({ userId: session.userId, reason }, 'session refused')
      res.locals.sessionEnded = reason
      await regenerateSession(req)
      return next()
    }
    res.locals.user = user
    next()
  }
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
