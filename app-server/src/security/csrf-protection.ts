import type { Request, RequestHandler } from 'express'
import { csrfSync } from 'csrf-sync'
import { AppError } from '../errors.js'

export interface CsrfProtection {
  /** Refuses (403, CSRF_INVALID) every POST without the session's token in `_csrf`, before any route runs. */
  middleware: RequestHandler
  /** The session's token, made on first use; goes into every form's hidden `_csrf` field. */
  tokenFor(req: Request): string
  /** For a multipart upload, whose body is parsed later: checks the `_csrf` field read so far. */
  isValid(req: Request): boolean
}

const isMultipartUpload = (req: Request): boolean =>
  req.method === 'POST' && req.path === '/files' && typeof req.is('multipart/form-data') === 'string'

/** Synchronizer-token CSRF protection (csrf-sync): the token lives in the server-side session. */
export function createCsrfProtection(): CsrfProtection {
  const csrf = csrfSync({
    size: 32,
    getTokenFromRequest: (req) => {
      const value = (req.body as Record<string, unknown> | undefined)?._csrf
      return typeof value === 'string' ? value : undefined
    },
    // The upload route checks the token itself, field by field, before storing a byte.
    skipCsrfProtection: isMultipartUpload,
  })
  return {
    middleware: (req, res, next) => {
      csrf.csrfSynchronisedProtection(req, res, (err?: unknown) => next(err ? new AppError('CSRF_INVALID') : undefined))
    },
    tokenFor: (req) => csrf.generateToken(req),
    isValid: (req) => csrf.isRequestValid(req),
  }
}
