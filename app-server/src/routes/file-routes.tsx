import { Router } from 'express'
import type { Request } from 'express'
import { AppError } from '../errors.js'
import type { FileService } from '../files/file-service.js'
import { uploadMiddleware } from '../files/upload-middleware.js'
import type { LinkFates } from '../revocation/link-fates.js'
import type { CsrfProtection } from '../security/csrf-protection.js'
import { currentUser, requireUser, stillSignedIn } from '../sessions/current-user.js'
import { sessionHandle } from '../sessions/session-store.js'
import type { UserRepository } from '../users/user-repository.js'
import { FilesPage } from '../views/files-page.js'
import { pageContext, sendPage } from './page.js'

export interface FileRoutesDeps {
  files: FileService
  users: UserRepository
  csrf: CsrfProtection
  incomingDir: string
  uploadMaxBytes: number
  linkLifetimeSeconds: number
  /** The links of the last hour and their fate, shown under each file. */
  linkFates?: LinkFates
}

/** GET /files, POST /files (upload), GET /files/:id/download (→ 303 to the download server), POST /files/:id/delete. */
export function fileRoutes(deps: FileRoutesDeps): Router {
  const router = Router()

  router.get('/files', requireUser, async (req, res) => {
    const ctx = pageContext(req, res, deps.csrf)
    const user = currentUser(res)
    const links = deps.linkFates && { byFile: await deps.linkFates.forUser(user.id), reporting: deps.linkFates.reporting }
    await sendPage(
      res,
      200,
      <FilesPage
        ctx={ctx}
        files={deps.files.list(user)}
        uploadMaxBytes={deps.uploadMaxBytes}
        linkLifetimeSeconds={deps.linkLifetimeSeconds}
        {...(links ? { links } : {})}
      />,
    )
  })

  router.post(
    '/files',
    requireUser,
    uploadMiddleware({ incomingDir: deps.incomingDir, maxBytes: deps.uploadMaxBytes, isCsrfValid: (req: Request) => deps.csrf.isValid(req) }),
    async (req, res) => {
      const upload = res.locals.upload
      if (!upload) throw new AppError('UPLOAD_INVALID')
      const file = await deps.files.store(currentUser(res), upload)
      req.session.flash = { kind: 'ok', text: `Uploaded ${file.name}.` }
      res.redirect(303, '/files')
    },
  )

  // Express answers HEAD with the GET handler, which would mint and record a token: HEAD is
  // not allowed to change anything, so it is refused before that.
  router.head('/files/:id/download', (_req, res) => {
    res.status(405).set({ Allow: 'GET', 'Cache-Control': 'no-store' }).end()
  })
  router.get('/files/:id/download', requireUser, async (req, res) => {
    const user = currentUser(res)
    const location = await deps.files.downloadLink(user, String(req.params.id), { sessionHandle: sessionHandle(req.sessionID) })
    // A sign-out (password change, ban) that ran while the link was being made did not revoke
    // it: hand it out only if the session is still signed in now that the link is recorded.
    if (!(await stillSignedIn(req, deps.users, user.id))) {
      res.status(303).set({ Location: '/login', 'Cache-Control': 'no-store' }).end()
      return
    }
    // The token is in this Location header only: no body (Express's redirect() would repeat the
    // URL in one), never in a page, never in a log.
    res.status(303).set({ Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).end()
  })

  // The global CSRF check has run: a forged request never gets here.
  router.post('/files/:id/delete', requireUser, async (req, res) => {
    const file = await deps.files.delete(currentUser(res), String(req.params.id))
    req.session.flash = { kind: 'ok', text: `Deleted ${file.name}. Its unused download links no longer work.` }
    res.redirect(303, '/files')
  })

  return router
}
