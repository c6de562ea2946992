import { describe, expect, it } from 'vitest'
import {
  ContractError,
  PROBLEMS,
  TokenError,
  isValidFileClaim,
  isValidJti,
  newJti,
  peekJti,
  problemCode,
  type ContractErrorCode,
} from '../../shared/src/index.js'

describe('PROBLEMS', () => {
  const expected: Record<ContractErrorCode, number> = {
    TOKEN_MALFORMED: 400, CLAIM_INVALID: 400,
    KEY_UNKNOWN: 401, TOKEN_BAD_SIGNATURE: 401, TOKEN_EXPIRED: 401, TOKEN_NOT_YET_VALID: 401,
    TOKEN_WRONG_ISSUER: 401, TOKEN_WRONG_AUDIENCE: 401, TOKEN_LIFETIME_TOO_LONG: 401,
    TOKEN_USED: 410, TOKEN_REVOKED: 410, RESUME_LIMIT: 410, TOKEN_IN_USE: 409, FILE_CHANGED: 409,
    PATH_FORBIDDEN: 403, FILE_NOT_FOUND: 404, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, PAYLOAD_TOO_LARGE: 413,
    RANGE_NOT_SATISFIABLE: 416, PREFETCH_REFUSED: 503, STORE_UNAVAILABLE: 503,
  }

  it('maps every code to the status the contract gives it', () => {
    expect(Object.fromEntries(Object.entries(PROBLEMS).map(([code, spec]) => [code, spec.status]))).toEqual(expected)
  })

  it('gives every code a distinct problem type, a title and a hint', () => {
    const types = Object.values(PROBLEMS).map((spec) => spec.type)
    expect(new Set(types).size).toBe(types.length)
    for (const spec of Object.values(PROBLEMS)) {
      expect(spec.type).toMatch(/^https:\/\/tokens-done-right\.dev\/problems\/[a-z-]+$/)
      expect(spec.title.length).toBeGreaterThan(5)
      expect(spec.hint.length).toBeGreaterThan(5)
    }
  })

  it('writes wire codes in lower snake case', () => {
    expect(problemCode('TOKEN_REVOKED')).toBe('token_revoked')
    expect(problemCode('TOKEN_IN_USE')).toBe('token_in_use')
    expect(problemCode('RESUME_LIMIT')).toBe('resume_limit')
  })

  it('TokenError is a ContractError with a stable code', () => {
    const error = new TokenError('TOKEN_EXPIRED')
    expect(error).toBeInstanceOf(ContractError)
    expect(error.code).toBe('TOKEN_EXPIRED')
    expect(error.name).toBe('TokenError')
  })
})

describe('claim rules', () => {
  it('newJti gives 22 base64url characters of fresh randomness', () => {
    const jti = newJti()
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(isValidJti(jti)).toBe(true)
    expect(newJti()).not.toBe(jti)
  })

  it('isValidJti allows 22 to 64 base64url characters only', () => {
    for (const good of ['A'.repeat(22), 'a-_9'.repeat(16)]) expect(isValidJti(good)).toBe(true)
    for (const bad of ['A'.repeat(21), 'A'.repeat(65), 'A'.repeat(21) + '=', 'A'.repeat(21) + '+', 'A'.repeat(21) + '\n', 22, null]) {
      expect(isValidJti(bad)).toBe(false)
    }
  })

  it('isValidFileClaim allows relative /-separated paths only', () => {
    for (const good of ['a', 'a/b/c.txt', '.hidden', 'a/.b', 'a b/ü.pdf', '...', '%2e%2e/x']) expect(isValidFileClaim(good), good).toBe(true)
    for (const bad of ['', '/', '/a', 'a/', 'a//b', '..', 'a/..', '../a', 'a/../b', 'a\\b', '..\\a', 'a\0b', 3, null]) {
      expect(isValidFileClaim(bad), String(bad)).toBe(false)
    }
  })
})

describe('peekJti', () => {
  it('reads the jti of a well-formed token without verifying it, and nothing otherwise', () => {
    const payload = Buffer.concat([Buffer.from('{"jti":"AAAAAAAAAAAAAAAAAAAAAA"}'), Buffer.alloc(64)]).toString('base64url')
    expect(peekJti(`v4.public.${payload}`)).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    const bad = Buffer.concat([Buffer.from('{"jti":"<script>"}'), Buffer.alloc(64)]).toString('base64url')
    expect(peekJti(`v4.public.${bad}`)).toBeUndefined()
    expect(peekJti('garbage')).toBeUndefined()
  })
})
