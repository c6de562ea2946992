import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import mime from 'mime-types'
import { AppError } from '../errors.js'
import type { SecurityEvents } from '../security-events.js'
import type { User } from '../users/user-repository.js'
import type { FileRepository, StoredFile } from './file-repository.js'

/** The part of shared's TokenSigner the app uses. */
export interface DownloadTokenSigner {
  signDownload(input: { file: string; name?: string; size?: number }): Promise<{ token: string; jti: string; expiresAt: Date }>
}

/** An upload multer has finished writing under the incoming directory. */
export interface ReceivedUpload {
  /** Opaque id chosen when the upload started; also the temporary file's name. */
  id: string
  tempPath: string
  originalName: string
  size: number
  declaredType: string
}

const FILE_ID = /^[A-Za-z0-9_-]{22}$/

/** 128 random bits, base64url: a file's id, its name on disk and its token's `file` claim. */
export function newFileId(): string {
  return randomBytes(16).toString('base64url')
}

/** Longest name kept, in UTF-16 units. */
const MAX_NAME = 255
/** An extension kept through a cut: a dot and up to 16 letters or digits. */
const EXTENSION = /\.[\p{L}\p{N}]{1,16}$/u
/**
 * Control characters (C0, DEL, C1) and the bidirectional controls that make a name display
 * other than it is ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf").
 */
/** Half of a surrogate pair, alone (with the u flag a whole pair is one code point, not Cs). */
const LONE_SURROGATE = /\p{Cs}/gu
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * A name fit to show and to offer in Content-Disposition: the last path segment a browser
 * sent, without control or bidirectional-override characters, at most 255 UTF-16 units with
 * its extension kept through the cut, never holding half a surrogate pair (a download token's
 * `name` must be text). Metadata only, never a path.
 */
export function cleanFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? ''
  const clean = cut(last.replace(INVISIBLE, '').replace(LONE_SURROGATE, '').trim())
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean
}

function cut(name: string): string {
  if (name.length <= MAX_NAME) return name
  const extension = EXTENSION.exec(name)?.[0] ?? ''
  return (name.slice(0, MAX_NAME - extension.length) + extension).replace(LONE_SURROGATE, '')
}

/**
 * Files of a user, stored flat as `<filesDir>/<id>` (the download server's root), and the
 * one place download tokens are minted: only for the file's owner, only for an id that exists.
 */
export class FileService {
  constructor(
    private readonly deps: {
      files: FileRepository
      filesDir: string
      signer: DownloadTokenSigner
      /** Where the browser reaches the download server: the base of the 303. */
      downloadBaseURL: string
      events: SecurityEvents
      clock: () => Date
    },
  ) {}

  list(user: User): StoredFile[] {
    return this.deps.files.listByOwner(user.id)
  }

  /** Moves a finished upload into the served directory and records it; the temporary file is gone either way. */
  async store(user: User, upload: ReceivedUpload): Promise<StoredFile> {
    const name = cleanFileName(upload.originalName)
    const file: StoredFile = {
      id: upload.id,
      ownerId: user.id,
      name,
      size: upload.size,
      contentType: mime.lookup(name) || (/^[\w.+-]+\/[\w.+-]+$/.test(upload.declaredType) ? upload.declaredType : 'application/octet-stream'),
      uploadedAt: this.deps.clock(),
    }
    const finalPath = path.join(this.deps.filesDir, file.id)
    try {
      await fs.rename(upload.tempPath, finalPath)
      this.deps.files.insert(file)
    } catch (err) {
      await fs.rm(upload.tempPath, { force: true })
      await fs.rm(finalPath, { force: true })
      throw err
    }
    await this.deps.events.record({ type: 'file_uploaded', userId: user.id, fileId: file.id, size: file.size })
    return file
  }

  /**
   * A fresh single-use link for one of the user's files: a new token (new jti) every call.
   * Someone else's file id answers exactly like a missing one.
   */
  async downloadLink(user: User, fileId: string, options: { sessionHandle?: string } = {}): Promise<string> {
    const file = FILE_ID.test(fileId) ? this.deps.files.findOwned(fileId, user.id) : undefined
    if (!file) throw new AppError('NOT_FOUND')
    const { token, jti, expiresAt } = await this.deps.signer.signDownload({ file: file.id, name: file.name, size: file.size })
    await this.deps.events.record({
      type: 'token_issued',
      userId: user.id,
      fileId: file.id,
      jti,
      expiresAt,
      ...(options.sessionHandle === undefined ? {} : { sessionHandle: options.sessionHandle }),
    })
    return `${this.deps.downloadBaseURL}/d/${token}`
  }

  /**
   * Deletes one of the user's files: the row first (no new link can be made), then its live
   * links are revoked (`file_deleted`), then the bytes. Someone else's id answers like a missing one.
   */
  async delete(user: User, fileId: string): Promise<StoredFile> {
    const file = FILE_ID.test(fileId) ? this.deps.files.findOwned(fileId, user.id) : undefined
    if (!file || !this.deps.files.deleteOwned(file.id, user.id)) throw new AppError('NOT_FOUND')
    await this.deps.events.record({ type: 'file_deleted', userId: user.id, fileId: file.id })
    await fs.rm(path.join(this.deps.filesDir, file.id), { force: true })
    return file
  }
}
