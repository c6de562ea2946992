import { describe, expect, it } from 'vitest'
import { StrictJSONError, parseStrictJSON, parseStrictJSONObject } from '../../shared/src/index.js'

describe('parseStrictJSON', () => {
  it('reads the same values as JSON.parse for well-formed documents', () => {
    for (const text of [
      '{}',
      '[]',
      ' { "a" : [ 1 , -2.5e3 , 0 , true , false , null , "x\\n\\u00e9\\ud83d\\ude00\\/" ] , "b" : { "c" : {} } } ',
      '"\\"\\\\\\b\\f\\n\\r\\t"',
      '-0',
      '1E+2',
      '{"a":"é😀"}',
    ]) {
      expect(parseStrictJSON(text), text).toEqual(JSON.parse(text))
    }
  })

  it('refuses a key given twice, at any depth and however it is escaped', () => {
    for (const text of [
      '{"a":1,"a":2}',
      '{"jti":"x","j\\u0074i":"y"}',
      '{"\\u006a\\u0074\\u0069":"x","jti":"y"}',
      '{"x":{"b":1,"b":1}}',
      '[{"k":1,"\\u006b":2}]',
      '{"\\/":1,"/":2}',
    ]) {
      expect(() => parseStrictJSON(text), text).toThrow(StrictJSONError)
    }
  })

  it('keeps keys that only look alike apart', () => {
    expect(parseStrictJSON('{"a":1,"A":2,"a ":3,"\\u00e9":4,"e\\u0301":5}')).toEqual({ a: 1, A: 2, 'a ': 3, '\u00e9': 4, 'e\u0301': 5 })
  })

  it('refuses everything RFC 8259 does not allow', () => {
    for (const text of [
      '', ' ', '{', '}', '{"a":1,}', '[1,]', '{a:1}', "{'a':1}", '{"a" 1}', '{"a":1 "b":2}', 'tru', 'nul', 'True',
      '01', '1.', '.5', '+1', '1e', '0x10', 'NaN', 'Infinity', '"\\x41"', '"\\u12"', '"a\u0001"', '"a\nb"', '"open',
      '\ufeff{}', '{} {}', '{}x', '// c\n{}', '[1 2]', '{"a":1}\u00a0',
    ]) {
      expect(() => parseStrictJSON(text), JSON.stringify(text)).toThrow(StrictJSONError)
    }
  })

  it('keeps a "__proto__" key as a plain key, without touching the prototype', () => {
    const value = parseStrictJSONObject('{"__proto__":{"polluted":true},"a":1}')
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.keys(value)).toEqual(['__proto__', 'a'])
    expect((value as { polluted?: boolean }).polluted).toBeUndefined()
    expect(() => parseStrictJSONObject('{"__proto__":1,"__proto__":2}')).toThrow(StrictJSONError)
  })

  it('refuses nesting deeper than 32 levels instead of overflowing the stack', () => {
    expect(parseStrictJSON('['.repeat(32) + ']'.repeat(32))).toBeDefined()
    expect(() => parseStrictJSON('['.repeat(33) + ']'.repeat(33))).toThrow(StrictJSONError)
    expect(() => parseStrictJSON('{"a":'.repeat(100_000))).toThrow(StrictJSONError)
  })

  it('reads long strings and many keys', () => {
    const long = 'x'.repeat(300_000)
    expect(parseStrictJSON(JSON.stringify({ long }))).toEqual({ long })
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
    expect(parseStrictJSON(JSON.stringify(many))).toEqual(many)
  })

  it('parseStrictJSONObject refuses a top level that is not an object', () => {
    for (const text of ['[]', '"x"', '1', 'null', 'true']) {
      expect(() => parseStrictJSONObject(text)).toThrow(StrictJSONError)
    }
  })
})
