import type { FC } from 'hono/jsx'
import type { SessionSummary } from '../sessions/session-store.js'
import { describeDevice, formatTime } from './format.js'
import { CsrfField, Layout } from './layout.js'
import type { PageContext } from './layout.js'

export const SessionsPage: FC<{ ctx: PageContext; sessions: SessionSummary[]; currentHandle: string }> = ({ ctx, sessions, currentHandle }) => (
  <Layout title="Account" ctx={ctx}>
    <h1>Account</h1>
    <section class="card">
      <h2>Change password</h2>
      <form method="post" action="/account/password" class="stack narrow">
        <CsrfField token={ctx.csrfToken} />
        <input type="text" name="username" autocomplete="username" value={ctx.user?.username ?? ''} hidden />
        <label>
          Current password
          <input name="current_password" type="password" autocomplete="current-password" required maxlength={1024} />
        </label>
        <label>
          New password
          <input name="new_password" type="password" autocomplete="new-password" required minlength={8} maxlength={1024} />
        </label>
        <button type="submit">Change password</button>
        <p class="muted">Changing it signs out every other device at once.</p>
      </form>
    </section>
    <section class="card">
      <h2>Where you are signed in</h2>
      <table class="sessions">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last seen</th>
            <th scope="col"><span class="sr-only">Action</span></th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr>
              <td title={s.userAgent}>
                {describeDevice(s.userAgent)}
                {s.handle === currentHandle && <strong class="badge">this device</strong>}
              </td>
              <td><time datetime={s.signedInAt.toISOString()}>{formatTime(s.signedInAt)}</time></td>
              <td><time datetime={s.lastSeenAt.toISOString()}>{formatTime(s.lastSeenAt)}</time></td>
              <td>
                {s.handle !== currentHandle && (
                  <form method="post" action={`/account/sessions/${s.handle}/revoke`} class="inline">
                    <CsrfField token={ctx.csrfToken} />
                    <button type="submit" class="secondary">Sign out</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {sessions.length > 1 && (
        <form method="post" action="/account/sessions/revoke-others">
          <CsrfField token={ctx.csrfToken} />
          <button type="submit" class="danger">Sign out everywhere else</button>
        </form>
      )}
    </section>
  </Layout>
)
