// The `Range` and `If-Range` request headers (RFC 9110 §14), for one representation of `size` bytes.

export type RangeDecision =
  /** Send the whole file: no Range, one we ignore (malformed, another unit, several ranges), or a stale If-Range. */
  | { kind: 'full' }
  /** Send bytes `start` to `end`, both inclusive. */
  | { kind: 'partial'; start: number; end: number }
  /** 416: the one range asked for lies wholly past the end. */
  | { kind: 'unsatisfiable' }

const MAX_HEADER_LENGTH = 1024
const SPEC = /^(\d*)-(\d*)$/

/**
 * Decides what a `GET` with this `Range` header gets. Only a single `bytes=` range is honoured;
 * a request for several ranges gets the whole file (RFC 9110 lets a server ignore Range), which
 * every client must handle and which avoids multipart/byteranges bodies.
 */
export function parseRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return { kind: 'full' }
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (match === null) return { kind: 'full' }
  const specs = match[1]!.split(',').map((spec) => spec.trim())
  if (specs.length !== 1) return { kind: 'full' }
  const parts = SPEC.exec(specs[0]!)
  if (parts === null) return { kind: 'full' }
  const [, first, last] = parts as unknown as [string, string, string]
  if (first === '' && last === '') return { kind: 'full' }

  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last)
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 }
  }
  const start = Number(first)
  if (last !== '' && Number(last) < start) return { kind: 'full' }
  if (start >= size) return { kind: 'unsatisfiable' }
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  return { kind: 'partial', start, end }
}

/**
 * Whether a `Range` may be honoured given the request's `If-Range` (absent: yes). An entity tag
 * must match ours exactly and strongly; a date must equal our `Last-Modified` exactly.
 */
export function ifRangeAllows(
  ifRange: string | undefined,
  current: { etag: string; lastModified: string },
): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) return value === current.etag
  const date = Date.parse(value)
  return !Number.isNaN(date) && date === Date.parse(current.lastModified)
}
