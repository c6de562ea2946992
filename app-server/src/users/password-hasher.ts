import { randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/**
 * argon2id (the library's default algorithm) at OWASP's recommended minimum cost:
 * 19 MiB of memory, 2 passes, 1 lane. About 60 ms a hash on our machine.
 */
export const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

/** Longer inputs are refused before hashing, so a huge "password" cannot buy a long hash. */
export const MAX_PASSWORD_LENGTH = 1024
export const MIN_PASSWORD_LENGTH = 8

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(passwordHash: string, password: string): Promise<boolean>
  /**
   * Spends the same time as a real check, for a username that does not exist, so that an
   * unknown user and a wrong password cannot be told apart by timing.
   */
  verifyNobody(password: string): Promise<false>
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const dummyHash = await hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS)
  const check = async (passwordHash: string, password: string): Promise<boolean> => {
    // Never stored that long, so it cannot match; still spend the usual time on it.
    const tooLong = password.length > MAX_PASSWORD_LENGTH
    try {
      const ok = await verify(tooLong ? dummyHash : passwordHash, tooLong ? password.slice(0, MAX_PASSWORD_LENGTH) : password)
      return ok && !tooLong
    } catch {
      return false
    }
  }
  return {
    hash: (password) => hash(password, ARGON2_OPTIONS),
    verify: check,
    async verifyNobody(password) {
      await check(dummyHash, password)
      return false
    },
  }
}
