import type { Request, Response } from 'express'
import type { JSX } from 'hono/jsx/jsx-runtime'
import type { CsrfProtection } from '../security/csrf-protection.js'
import type { PageContext } from '../views/layout.js'
import { renderPage } from '../views/render-page.js'

/**
 * What every page needs: the user, the session's CSRF token (made only when the page has a
 * form, so a visitor reading an error page gets no session) and a one-time flash message.
 */
export function pageContext(req: Request, res: Response, csrf: CsrfProtection, options: { forms?: boolean } = {}): PageContext {
  // req.session is missing only when the session store failed on this request.
  const hasSession = req.session !== undefined
  const flash = hasSession ? req.session.flash : undefined
  if (flash) delete req.session.flash
  const forms = options.forms ?? res.locals.user !== undefined
  return {
    ...(res.locals.user ? { user: res.locals.user } : {}),
    csrfToken: forms && hasSession ? csrf.tokenFor(req) : '',
    ...(flash ? { flash } : {}),
  }
}

/** Pages hold a CSRF token and personal data: never cached, never stored by the browser. */
export async function sendPage(res: Response, status: number, element: JSX.Element): Promise<void> {
  const html = await renderPage(element)
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html)
}

/** A form field as a string ('' when missing or not a string: arrays from `a=1&a=2` included). */
export function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name]
  return typeof value === 'string' ? value : ''
}
