import type { FC } from 'hono/jsx'
import type { StoredFile } from '../files/file-repository.js'
import type { LinkFate } from '../revocation/link-fate.js'
import { formatBytes, formatDuration, formatTime } from './format.js'
import { CsrfField, Layout } from './layout.js'
import type { PageContext } from './layout.js'
import { LinkFates } from './link-fates.js'

/** Links issued per file in the last hour and whether the download server reports their use. */
export interface FilesPageLinks {
  byFile: Map<string, LinkFate[]>
  reporting: boolean
}

// Each Download link points at the app, never at a token: a token is minted only when the
// link is followed, so link scanners and prefetchers cannot burn one by reading the page.
export const FilesPage: FC<{ ctx: PageContext; files: StoredFile[]; uploadMaxBytes: number; linkLifetimeSeconds: number; links?: FilesPageLinks }> = ({
  ctx,
  files,
  uploadMaxBytes,
  linkLifetimeSeconds,
  links,
}) => (
  <Layout title="My files" ctx={ctx}>
    <h1>My files</h1>
    {files.length === 0 ? (
      <p class="muted">No files yet. Upload one below.</p>
    ) : (
      <table class="files">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">Uploaded</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => {
            const fates = links?.byFile.get(f.id) ?? []
            return (
              <>
                <tr>
                  <td class="name">
                    {f.name}
                    {fates.length > 0 && <LinkFates fates={fates} reporting={links?.reporting ?? false} />}
                  </td>
                  <td class="num">{formatBytes(f.size)}</td>
                  <td><time datetime={f.uploadedAt.toISOString()}>{formatTime(f.uploadedAt)}</time></td>
                  <td class="actions">
                    <a class="button" href={`/files/${f.id}/download`} rel="nofollow">Download</a>
                    {/* No script on our pages: <details> is the "are you sure?" step. */}
                    <details class="confirm">
                      <summary>Delete</summary>
                      <form method="post" action={`/files/${f.id}/delete`} class="inline">
                        <CsrfField token={ctx.csrfToken} />
                        <button type="submit" class="danger">Delete for good</button>
                      </form>
                    </details>
                  </td>
                </tr>
              </>
            )
          })}
        </tbody>
      </table>
    )}
    <section class="card">
      <h2>Upload a file</h2>
      {/* _csrf comes before the file, so it is checked before a single byte is stored. */}
      <form method="post" action="/files" enctype="multipart/form-data" class="row">
        <CsrfField token={ctx.csrfToken} />
        <input type="file" name="file" required />
        <button type="submit">Upload</button>
      </form>
      <p class="muted">Up to {formatBytes(uploadMaxBytes)}. Each click on Download makes a new link that works once, for {formatDuration(linkLifetimeSeconds)} at most.
        Signing out, changing the password or deleting the file ends the unused ones at once.</p>
    </section>
  </Layout>
)
