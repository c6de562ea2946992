import type { FC } from 'hono/jsx'
import type { User } from '../users/user-repository.js'
import { formatTime } from './format.js'
import { CsrfField, Layout } from './layout.js'
import type { PageContext } from './layout.js'

export const AdminUsersPage: FC<{ ctx: PageContext; users: User[] }> = ({ ctx, users }) => (
  <Layout title="Users" ctx={ctx}>
    <h1>Users</h1>
    <table class="users">
      <thead>
        <tr>
          <th scope="col">Username</th>
          <th scope="col">Role</th>
          <th scope="col">Status</th>
          <th scope="col"><span class="sr-only">Action</span></th>
        </tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr>
            <td>{u.username}</td>
            <td>{u.role}</td>
            <td>{u.bannedAt ? `banned since ${formatTime(u.bannedAt)}` : 'active'}</td>
            <td>
              {u.id !== ctx.user?.id && (
                <form method="post" action={`/admin/users/${u.id}/${u.bannedAt ? 'unban' : 'ban'}`} class="inline">
                  <CsrfField token={ctx.csrfToken} />
                  <button type="submit" class={u.bannedAt ? 'secondary' : 'danger'}>{u.bannedAt ? 'Unban' : 'Ban'}</button>
                </form>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <p class="muted">A ban ends the user's sessions at once, on every server; no new download link is made for them.</p>
  </Layout>
)
