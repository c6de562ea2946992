import { describe, expect, it } from 'vitest'
import { decodeBase64url, isCanonicalBase64url } from '../../shared/src/index.js'

// The canonical check reads the text instead of decoding and re-encoding it; this compares it
// with that round trip (the definition) on every short shape and on random text.
const roundTrip = (text: string): boolean =>
  /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1 && Buffer.from(text, 'base64url').toString('base64url') === text

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const STRAYS = '=+/ .\n%'

describe('isCanonicalBase64url', () => {
  it('agrees with a decode-and-re-encode round trip for every last character of every partial group', () => {
    const disagreements: string[] = []
    for (const prefix of ['', 'QUJD', 'QU', 'QUJ']) {
      for (const a of ALPHABET + STRAYS) {
        for (const b of ALPHABET + STRAYS) {
          const text = prefix.length % 4 === 0 ? `${prefix}${a}${b}` : `${prefix.slice(0, 2)}${a}${b}`
          if (isCanonicalBase64url(text) !== roundTrip(text)) disagreements.push(text)
        }
      }
    }
    expect(disagreements).toEqual([])
  })

  it('agrees with the round trip on 20,000 random strings of 0 to 12 characters', () => {
    const characters = ALPHABET + STRAYS
    const disagreements: string[] = []
    for (let i = 0; i < 20_000; i += 1) {
      const length = i % 13
      let text = ''
      for (let j = 0; j < length; j += 1) text += characters[Math.floor(Math.random() * characters.length)]
      if (isCanonicalBase64url(text) !== roundTrip(text)) disagreements.push(text)
    }
    expect(disagreements).toEqual([])
  })

  it('refuses padding, the standard alphabet, a dangling character and set spare bits', () => {
    expect(isCanonicalBase64url('QQ')).toBe(true)
    expect(isCanonicalBase64url('QQ==')).toBe(false)
    expect(isCanonicalBase64url('a+/b')).toBe(false)
    expect(isCanonicalBase64url('QUJDR')).toBe(false)
    expect(isCanonicalBase64url('QR')).toBe(false) // 'R' sets one of the 4 spare bits after 2 characters
    expect(isCanonicalBase64url('QUI')).toBe(true)
    expect(isCanonicalBase64url('QUJ')).toBe(false) // 'J' sets one of the 2 spare bits after 3 characters
  })
})

describe('decodeBase64url', () => {
  it('decodes canonical text and returns undefined for anything else', () => {
    expect(decodeBase64url('SGVsbG8')?.toString()).toBe('Hello')
    expect(decodeBase64url('')?.length).toBe(0)
    expect(decodeBase64url('SGVsbG9')).toBeUndefined()
    expect(decodeBase64url('SGVsbG8=')).toBeUndefined()
  })
})
