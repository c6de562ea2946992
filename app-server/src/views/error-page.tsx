import type { FC } from 'hono/jsx'
import type { AppErrorSpec } from '../errors.js'
import { Layout } from './layout.js'
import type { PageContext } from './layout.js'

export const ErrorPage: FC<{ ctx: PageContext; spec: AppErrorSpec; back?: string }> = ({ ctx, spec, back }) => (
  <Layout title={spec.title} ctx={ctx}>
    <section class="card narrow">
      <h1>{spec.title}</h1>
      <p>{spec.hint}</p>
      <p>
        <a href={back ?? (ctx.user ? '/files' : '/login')}>{back ? 'Go back' : ctx.user ? 'Back to my files' : 'Sign in'}</a>
      </p>
    </section>
  </Layout>
)
