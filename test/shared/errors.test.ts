import { describe, expect, it } from 'vitest'
import { ContractError, TokenError } from '../../shared/src/index.js'

describe('ContractError', () => {
  it('keeps its code, name and cause but captures no stack frames (refusals are answers, not bugs)', () => {
    const cause = new Error('store went away')
    const error = new TokenError('TOKEN_EXPIRED', 'token has expired', { cause })
    expect(error).toBeInstanceOf(ContractError)
    expect(error).toMatchObject({ code: 'TOKEN_EXPIRED', name: 'TokenError', message: 'token has expired', cause })
    expect(error.stack).not.toMatch(/\n\s+at /)
    // The cause, an unexpected error, keeps its frames, and the limit is restored for everyone else.
    expect(cause.stack).toMatch(/\n\s+at /)
    expect(new Error('later').stack).toMatch(/\n\s+at /)
  })
})
