import path from 'node:path'
import contentDisposition from 'content-disposition'
import mime from 'mime-types'

export interface FileValidators {
  /** Strong: size and modification time in microseconds, so a rewritten file gets a new tag. */
  etag: string
  lastModified: string
}

export function fileValidators(stat: { size: number; mtimeMs: number }): FileValidators {
  const micros = Math.round(stat.mtimeMs * 1000)
  return {
    etag: `"${stat.size.toString(36)}-${micros.toString(36)}"`,
    lastModified: new Date(Math.floor(stat.mtimeMs)).toUTCString(),
  }
}

export interface FileHeadersInput {
  /** The `file` claim (its base name is offered when there is no `name`). */
  file: string
  /** The `name` claim. */
  name: string | undefined
  size: number
  validators: FileValidators
  /** Inclusive byte range of a 206, or undefined for the whole file. */
  range: { start: number; end: number } | undefined
}

// A file is data to save, never a page: no script, no plugin, no framing, even if a browser renders it.
const FIXED_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
  'accept-ranges': 'bytes',
})

/** The headers of a served file (CONTRACT §2), for `GET` and `HEAD` alike. */
export function fileHeaders(input: FileHeadersInput): Record<string, string> {
  const offered = (input.name !== undefined && path.posix.basename(input.name)) || path.posix.basename(input.file)
  const headers: Record<string, string> = {
    ...FIXED_HEADERS,
    'content-type': contentTypeOf(offered, input.file),
    'content-disposition': attachment(offered),
    etag: input.validators.etag,
    'last-modified': input.validators.lastModified,
  }
  if (input.range === undefined) {
    headers['content-length'] = String(input.size)
  } else {
    headers['content-length'] = String(input.range.end - input.range.start + 1)
    headers['content-range'] = `bytes ${input.range.start}-${input.range.end}/${input.size}`
  }
  return headers
}

function contentTypeOf(offered: string, file: string): string {
  // Stored files may lack an extension (an upload kept under an id); the offered name has one.
  return mime.contentType(path.extname(offered)) || mime.contentType(path.extname(file)) || 'application/octet-stream'
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>` (RFC 6266). The library
 * leaves out `filename*` when the name is plain ASCII; CONTRACT §2 asks for it always, so it is
 * added in the library's own encoding then.
 */
export function attachment(name: string): string {
  const base = path.posix.basename(name)
  const value = contentDisposition(base, { type: 'attachment', fallback: asciiFallback(base) })
  return value.includes('filename*=') ? value : `${value}; filename*=UTF-8''${encodeRFC8187(base)}`
}

function asciiFallback(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Compatibility forms decompose to separators too (U+FF0F to "/", U+FF3C to "\\"): a
    // fallback must stay one name, never become a path.
    .replace(/[^\x20-\x7e]|[/\\]/g, '_')
}

function encodeRFC8187(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
