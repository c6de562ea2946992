import { describe, expect, it } from 'vitest'
import { cleanFileName } from '../../app-server/src/files/file-service.js'

describe('cleanFileName (an upload\'s name as metadata)', () => {
  it('keeps the last path segment without control characters', () => {
    expect(cleanFileName('C:\\Users\\me\\re\u0007port.pdf')).toBe('report.pdf')
    expect(cleanFileName('../../etc/passwd')).toBe('passwd')
    expect(cleanFileName('..')).toBe('file')
  })

  it('cuts a long name at 255 units without leaving half of a surrogate pair (a token name must be text)', () => {
    const name = cleanFileName(`${'a'.repeat(254)}😀${'b'.repeat(5)}`)
    expect(name).toBe('a'.repeat(254))
    expect(/\p{Cs}/u.test(name)).toBe(false)
  })

  it('drops half of a surrogate pair anywhere in a short name, and keeps whole pairs', () => {
    expect(cleanFileName('a\uD800b.txt')).toBe('ab.txt')
    expect(cleanFileName('\uDE00x\uD83D.txt')).toBe('x.txt')
    expect(cleanFileName('😀.txt')).toBe('😀.txt')
  })

  it('keeps the extension of a name it cuts', () => {
    expect(cleanFileName(`${'a'.repeat(300)}.pdf`)).toBe(`${'a'.repeat(251)}.pdf`)
    expect(cleanFileName(`${'a'.repeat(250)}😀${'a'.repeat(10)}.tar`)).toBe(`${'a'.repeat(250)}.tar`)
    expect(cleanFileName('a'.repeat(255) + '.txt')).toHaveLength(255)
  })

  it('drops C1 controls and the bidirectional controls that make a name display as another', () => {
    expect(cleanFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe')
    expect(cleanFileName('a\u2066b\u2069c\u200F\u061C.txt')).toBe('abc.txt')
    expect(cleanFileName('re\u0085port\u009b.pdf')).toBe('report.pdf')
    expect(cleanFileName('naïve résumé 😀.txt')).toBe('naïve résumé 😀.txt')
  })
})
