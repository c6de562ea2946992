import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'

const skipped = (url: string): boolean => url === '/healthz' || url.startsWith('/static/')

/**
 * One log line per request, written when the response has finished (or the connection closed
 * first). The request and response are logged through an allowlist (method, path, address,
 * user agent; status), so the Cookie, Set-Cookie, Authorization and Location headers (the last
 * holds a token on a download redirect) never appear, whatever else a header might carry.
 *
 * Written by hand rather than with pino-http, which made two child loggers per request (each
 * serialising and redacting its bindings) before the line itself: about 7 % of the CPU of the
 * token-issuing route. The line keeps pino-http's shape (`req`, `res`, `responseTime`,
 * `userId`, "request completed").
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const url = req.originalUrl
    if (skipped(url)) return next()
    const startedAt = Date.now()
    let logged = false
    const done = (): void => {
      if (logged) return
      logged = true
      res.off('finish', done)
      res.off('close', done)
      writeLine(logger, req, res, url, Date.now() - startedAt)
    }
    res.on('finish', done)
    res.on('close', done)
    next()
  }
}

function writeLine(logger: Logger, req: Request, res: Response, url: string, responseTime: number): void {
  const line = {
    req: {
      method: req.method,
      url: url.slice(0, 200),
      remoteAddress: req.socket.remoteAddress,
      userAgent: (req.headers['user-agent'] ?? '').slice(0, 200),
    },
    ...(res.locals.user === undefined ? {} : { userId: res.locals.user.id }),
    res: { statusCode: res.statusCode },
    responseTime,
    ...(res.writableFinished ? {} : { aborted: true }),
  }
  if (res.statusCode >= 500) logger.error(line, 'request errored')
  else logger.info(line, 'request completed')
}
