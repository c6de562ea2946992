import type { Child, FC } from 'hono/jsx'
import type { User } from '../users/user-repository.js'

export interface PageContext {
  /** The signed-in user, if any: shows the navigation and the sign-out button. */
  user?: User
  /** The session's CSRF token, for every form on the page. */
  csrfToken: string
  flash?: { kind: 'ok' | 'error'; text: string }
}

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />

export const Layout: FC<{ title: string; ctx: PageContext; children?: Child }> = ({ title, ctx, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{title} · Tokens done right</title>
      <link rel="stylesheet" href="/static/style.css" />
    </head>
    <body>
      <header class="top">
        <a class="brand" href={ctx.user ? '/files' : '/login'}>Tokens done right</a>
        {ctx.user && (
          <nav>
            <a href="/files">My files</a>
            <a href="/account/sessions">Account</a>
            {ctx.user.role === 'admin' && <a href="/admin/users">Users</a>}
            <span class="who">{ctx.user.username}</span>
            <form method="post" action="/logout" class="inline">
              <CsrfField token={ctx.csrfToken} />
              <button type="submit" class="link">Sign out</button>
            </form>
          </nav>
        )}
      </header>
      <main>
        {ctx.flash && (
          <p class={`flash ${ctx.flash.kind}`} role={ctx.flash.kind === 'error' ? 'alert' : 'status'}>
            {ctx.flash.text}
          </p>
        )}
        {children}
      </main>
    </body>
  </html>
)
