import type { ErrorRequestHandler, RequestHandler } from 'express'
import { isBusy } from '../../../download-server/src/stores/sqlite-write-queue.js'
import type { Logger } from 'pino'
import { APP_ERRORS, AppError } from '../errors.js'
import type { AppErrorCode } from '../errors.js'
import type { CsrfProtection } from '../security/csrf-protection.js'
import { ErrorPage } from '../views/error-page.js'
import { pageContext, sendPage } from './page.js'

/** Errors from libraries, by their own markers, onto our codes; anything else is INTERNAL. */
function codeOf(err: unknown): AppErrorCode {
  if (err instanceof AppError) return err.code
  const e = err as { type?: unknown; status?: unknown }
  if (e?.type === 'entity.too.large') return 'FORM_TOO_LARGE'
  // SQLite's lock held by another process for longer than the write would wait: try again.
  if (isBusy(err)) return 'DATABASE_BUSY'
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return 'BAD_REQUEST'
  return 'INTERNAL'
}

export const notFound: RequestHandler = (_req, _res, next) => next(new AppError('NOT_FOUND'))

/**
 * The one place an error becomes a response: the status and page from APP_ERRORS. A person
 * never sees an unexpected error's message or stack; the log gets it.
 */
export function errorHandler(deps: { csrf: CsrfProtection; logger: Logger }): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const code = codeOf(err)
    const spec = APP_ERRORS[code]
    if (spec.status >= 500) deps.logger.error({ err, code }, 'request failed')
    if (res.headersSent) return next(err)
    let ctx
    try {
      ctx = pageContext(req, res, deps.csrf)
    } catch {
      ctx = { csrfToken: '' }
    }
    sendPage(res, spec.status, <ErrorPage ctx={ctx} spec={spec} />).catch(next)
  }
}
