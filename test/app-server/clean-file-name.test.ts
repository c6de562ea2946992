import { describe, expect, it } from 'vitest'
import { cleanFileName } from '../../app-server/src/files/file-service.js'

describe('cleanFileName (an upload\'s name as metadata)', () => {
  it('keeps the last path segment without control characters', () => {
    expect(cleanFileName('C:\\Users\\me\\re\u0007port.pdf')).toBe('report.pdf')
    expect(cleanFileName('../../etc/passwd')).toBe('passwd')
    expect(cleanFileName('..')).toBe('file')
  })

  it('cuts a long name at 255 units without leaving half of a surrogate pair (a token name must be text)', () => {
    const name = cleanFileName(`${'a'.repeat(254)}😀.txt`)
    expect(name).toBe('a'.repeat(254))
    expect(/\p{Cs}/u.test(name)).toBe(false)
  })
})
