import { describe, expect, it } from 'vitest'
import { addSeconds, compareInstants, instantOf, parseRFC3339 } from '../../shared/src/index.js'

const iso = (text: string): string | undefined => parseRFC3339(text)?.date.toISOString()

describe('parseRFC3339', () => {
  it('accepts Z, numeric offsets and fractions of any length', () => {
    expect(iso('2030-05-01T12:00:00Z')).toBe('2030-05-01T12:00:00.000Z')
    expect(iso('2030-05-01T14:30:00+02:30')).toBe('2030-05-01T12:00:00.000Z')
    expect(iso('2030-05-01T07:00:00-05:00')).toBe('2030-05-01T12:00:00.000Z')
    expect(iso('2030-05-01T12:00:00-00:00')).toBe('2030-05-01T12:00:00.000Z')
    expect(iso('2030-05-01T12:00:00.1Z')).toBe('2030-05-01T12:00:00.100Z')
    expect(iso('2030-05-01T12:00:00.123456789Z')).toBe('2030-05-01T12:00:00.123Z')
    expect(iso('2030-05-01T00:30:00+23:59')).toBe('2030-04-30T00:31:00.000Z')
    expect(iso('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z')
    expect(iso('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00.000Z')
    expect(iso('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z')
    expect(iso('0050-06-01T00:00:00Z')).toBe('0050-06-01T00:00:00.000Z')
  })

  it('refuses everything else', () => {
    for (const text of [
      '', '2030-05-01', '2030-05-01T12:00Z', '2030-05-01T12:00:00', '2030-05-01 12:00:00Z', '2030-05-01T12:00:00z',
      '2030-05-01t12:00:00Z', '2030-05-01T12:00:00+0200', '2030-05-01T12:00:00+02', '2030-05-01T12:00:00.Z',
      '2030-05-01T12:00:00,5Z', '30-05-01T12:00:00Z', '+2030-05-01T12:00:00Z', '2030-5-1T12:00:00Z',
      '2030-13-01T00:00:00Z', '2030-00-01T00:00:00Z', '2030-04-31T00:00:00Z', '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z',
      '2030-05-01T24:00:00Z', '2030-05-01T12:60:00Z', '2030-05-01T23:59:60Z', '2030-05-01T12:00:00+24:00',
      '2030-05-01T12:00:00+02:60', '２０３０-05-01T12:00:00Z', ' 2030-05-01T12:00:00Z', '2030-05-01T12:00:00Z ',
      '1904558400', 'Wed, 01 May 2030 12:00:00 GMT',
    ]) {
      expect(parseRFC3339(text), text).toBeUndefined()
    }
  })
})

describe('instants', () => {
  const at = (text: string) => parseRFC3339(text)!

  it('compare exactly below the millisecond', () => {
    expect(compareInstants(at('2030-05-01T12:00:00.0000001Z'), at('2030-05-01T12:00:00Z'))).toBeGreaterThan(0)
    expect(compareInstants(at('2030-05-01T12:00:00.5Z'), at('2030-05-01T14:00:00.500000+02:00'))).toBe(0)
    expect(compareInstants(at('2030-05-01T12:00:00.09Z'), at('2030-05-01T12:00:00.1Z'))).toBeLessThan(0)
    expect(compareInstants(at('2030-05-01T11:59:59.999999Z'), at('2030-05-01T12:00:00Z'))).toBeLessThan(0)
  })

  it('addSeconds keeps long fractions and carries into the next second', () => {
    expect(compareInstants(addSeconds(at('2030-05-01T12:00:00.5000001Z'), 300), at('2030-05-01T12:05:00.5000001Z'))).toBe(0)
    expect(compareInstants(addSeconds(at('2030-05-01T12:00:00.9995Z'), 0.001), at('2030-05-01T12:00:01.0005Z'))).toBe(0)
    expect(compareInstants(addSeconds(at('2030-05-01T12:00:00.0005Z'), -0.001), at('2030-05-01T11:59:59.9995Z'))).toBe(0)
    expect(compareInstants(addSeconds(at('2030-05-01T12:00:00Z'), -30), at('2030-05-01T11:59:30Z'))).toBe(0)
  })

  it('instantOf matches the Date to the millisecond', () => {
    const date = new Date('2030-05-01T12:00:00.007Z')
    expect(compareInstants(instantOf(date), at('2030-05-01T12:00:00.007Z'))).toBe(0)
    expect(instantOf(new Date('1969-12-31T23:59:59.999Z')).date.toISOString()).toBe('1969-12-31T23:59:59.999Z')
  })
})
