import fs from 'node:fs'
import type { Request, RequestHandler } from 'express'
import multer from 'multer'
import { AppError } from '../errors.js'
import { newFileId } from './file-service.js'
import type { ReceivedUpload } from './file-service.js'

declare module 'express-serve-static-core' {
  interface Locals {
    upload?: ReceivedUpload
  }
}

/**
 * multer for `POST /files`: one part named `file`, at most `maxBytes`, written under
 * `incomingDir` (outside the served directory, so a half-written upload is never served).
 * The CSRF token is checked in `fileFilter`, i.e. from the fields that came before the file,
 * before a single byte is written: the form puts `_csrf` first. Multer removes a partial file
 * when the size limit is hit.
 */
export function uploadMiddleware(options: { incomingDir: string; maxBytes: number; isCsrfValid: (req: Request) => boolean }): RequestHandler {
  fs.mkdirSync(options.incomingDir, { recursive: true, mode: 0o700 })
  const upload = multer({
    storage: multer.diskStorage({
      destination: options.incomingDir,
      filename: (_req, _file, cb) => cb(null, newFileId()),
    }),
    limits: { fileSize: options.maxBytes, files: 1, fields: 4, fieldSize: 1024, parts: 6, headerPairs: 50 },
    defParamCharset: 'utf8',
    fileFilter: (req, file, cb) => {
      if (!options.isCsrfValid(req)) return cb(new AppError('CSRF_INVALID'))
      if (file.fieldname !== 'file') return cb(new AppError('UPLOAD_INVALID'))
      cb(null, true)
    },
  }).single('file')

  return (req, res, next) => {
    upload(req, res, (err?: unknown) => {
      if (err instanceof AppError) return next(err)
      if (err instanceof multer.MulterError) {
        return next(new AppError(err.code === 'LIMIT_FILE_SIZE' ? 'UPLOAD_TOO_LARGE' : 'UPLOAD_INVALID', err.code))
      }
      // A system error (disk full, permissions) is ours: 500. Anything else is busboy finding
      // the request malformed: the client's, so 400.
      if (err) return next((err as NodeJS.ErrnoException).syscall ? err : new AppError('UPLOAD_INVALID', 'malformed multipart body', { cause: err }))
      // No file part at all: still refuse a forged request as such, before saying "no file".
      if (!options.isCsrfValid(req)) return next(new AppError('CSRF_INVALID'))
      const file = req.file
      if (!file) return next(new AppError('UPLOAD_INVALID'))
      res.locals.upload = {
        id: file.filename,
        tempPath: file.path,
        originalName: file.originalname,
        size: file.size,
        declaredType: file.mimetype,
      }
      next()
    })
  }
}
