import { describe, expect, it } from 'vitest'
import { ifRangeAllows, parseRange } from '../../../download-server/src/files/range.js'

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=10-', { kind: 'partial', start: 10, end: 99 }],
    ['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=90-1000', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=99-99', { kind: 'partial', start: 99, end: 99 }],
    ['BYTES = 5-6', { kind: 'partial', start: 5, end: 6 }],
    ['bytes=0-99999999999999999999999', { kind: 'partial', start: 0, end: 99 }],
  ])('honours the single range %s of a 100-byte file', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected)
  })

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=99999999999999999999-'])('finds %s unsatisfiable for a 100-byte file', (header) => {
    expect(parseRange(header, 100)).toEqual({ kind: 'unsatisfiable' })
  })

  it('finds every range of an empty file unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' })
  })

  it.each([undefined, '', 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=a-b', 'bytes=1-2-3', 'items=0-5', 'bytes 0-5', 'bytes=0-1,5-9', 'bytes=0-1, 200-300', `bytes=${'1'.repeat(2000)}-`])(
    'ignores %j and sends the whole file',
    (header) => {
      expect(parseRange(header, 100)).toEqual({ kind: 'full' })
    },
  )
})

describe('ifRangeAllows', () => {
  const current = { etag: '"abc-123"', lastModified: 'Tue, 01 Jan 2030 00:00:00 GMT' }

  it('allows the range without If-Range, with the current strong ETag, or with the exact Last-Modified date', () => {
    expect(ifRangeAllows(undefined, current)).toBe(true)
    expect(ifRangeAllows('"abc-123"', current)).toBe(true)
    expect(ifRangeAllows('Tue, 01 Jan 2030 00:00:00 GMT', current)).toBe(true)
  })

  it('refuses the range for another ETag, a weak ETag, another date or garbage', () => {
    expect(ifRangeAllows('"abc-124"', current)).toBe(false)
    expect(ifRangeAllows('W/"abc-123"', current)).toBe(false)
    expect(ifRangeAllows('Wed, 02 Jan 2030 00:00:00 GMT', current)).toBe(false)
    expect(ifRangeAllows('soon', current)).toBe(false)
  })
})
