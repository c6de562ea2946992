import type { FC } from 'hono/jsx'
import { CsrfField, Layout } from './layout.js'
import type { PageContext } from './layout.js'

export const LoginPage: FC<{ ctx: PageContext; username?: string }> = ({ ctx, username }) => (
  <Layout title="Sign in" ctx={ctx}>
    <section class="card narrow">
      <h1>Sign in</h1>
      <form method="post" action="/login" class="stack">
        <CsrfField token={ctx.csrfToken} />
        <label>
          Username
          <input name="username" autocomplete="username" required maxlength={64} value={username ?? ''} autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required maxlength={1024} />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </section>
  </Layout>
)
