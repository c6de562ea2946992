import { describe, expect, it } from 'vitest'
import { attachment, fileHeaders, fileValidators } from '../../../download-server/src/files/file-headers.js'

const validators = fileValidators({ size: 1234, mtimeMs: 1_900_000_000_123.456 })

describe('fileHeaders', () => {
  it('describes the whole file with the contract headers', () => {
    expect(fileHeaders({ file: 'docs/report.pdf', name: undefined, size: 1234, validators, range: undefined })).toMatchObject({
      'content-length': '1234',
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
      etag: validators.etag,
      'last-modified': validators.lastModified,
    })
  })

  it('describes a range with its own length and Content-Range', () => {
    const headers = fileHeaders({ file: 'a.bin', name: undefined, size: 1234, validators, range: { start: 10, end: 19 } })
    expect(headers['content-length']).toBe('10')
    expect(headers['content-range']).toBe('bytes 10-19/1234')
  })

  it('types by the offered name first (stored files may have no extension), then by the file, else octet-stream', () => {
    const type = (file: string, name?: string) => fileHeaders({ file, name, size: 1, validators, range: undefined })['content-type']
    expect(type('uploads/3f9a', 'photo.png')).toBe('image/png')
    expect(type('notes.txt')).toBe('text/plain; charset=utf-8')
    expect(type('blob')).toBe('application/octet-stream')
  })
})

describe('attachment', () => {
  it('always offers filename*=UTF-8 with an ASCII fallback (RFC 6266)', () => {
    expect(attachment('ünïcode näme.txt')).toBe(`attachment; filename="unicode name.txt"; filename*=UTF-8''%C3%BCn%C3%AFcode%20n%C3%A4me.txt`)
    expect(attachment('日本.pdf')).toBe(`attachment; filename="__.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf`)
    expect(attachment("it's (1).txt")).toBe(`attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`)
  })

  it('cannot be used to inject a header or a path', () => {
    const value = attachment('evil\r\nSet-Cookie: a=b/../x".txt')
    expect(value).not.toMatch(/[\r\n]/)
    expect(value.startsWith('attachment; ')).toBe(true)
  })
})

describe('the ASCII fallback of attachment', () => {
  it('holds no path separator, even one a compatibility form decomposes to (／ to /, ＼ to \\)', () => {
    expect(attachment('a／b.txt')).toBe(`attachment; filename="a_b.txt"; filename*=UTF-8''a%EF%BC%8Fb.txt`)
    expect(attachment('..＼..＼evil.exe')).toBe(`attachment; filename=".._.._evil.exe"; filename*=UTF-8''..%EF%BC%BC..%EF%BC%BCevil.exe`)
    expect(attachment('a\\b.txt')).toBe(`attachment; filename="a_b.txt"; filename*=UTF-8''a%5Cb.txt`)
    expect(attachment('／')).toBe(`attachment; filename="_"; filename*=UTF-8''%EF%BC%8F`)
  })
})

describe('fileValidators', () => {
  it('changes the strong ETag when the size or the modification time changes', () => {
    const base = fileValidators({ size: 10, mtimeMs: 1000.5 })
    expect(base.etag).toMatch(/^"[^"]+"$/)
    expect(fileValidators({ size: 11, mtimeMs: 1000.5 }).etag).not.toBe(base.etag)
    expect(fileValidators({ size: 10, mtimeMs: 1000.501 }).etag).not.toBe(base.etag)
  })
})
