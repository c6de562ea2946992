import { AppError } from '../errors.js'
import type { SecurityEvents } from '../security-events.js'
import type { SessionStore } from '../sessions/session-store.js'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-hasher.js'
import type { PasswordHasher } from './password-hasher.js'
import type { User, UserRepository } from './user-repository.js'

export type SignInResult = { ok: true; user: User } | { ok: false; code: 'LOGIN_FAILED' | 'ACCOUNT_BANNED' }

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Accounts and their sessions: sign-in, password change, ending sessions, bans. Every event
 * that must also end a user's outstanding download links goes through `events` (the seam for
 * token revocation). Knows nothing of HTTP: routes handle cookies and session regeneration.
 */
export class AccountService {
  constructor(
    private readonly deps: {
      users: UserRepository
      sessions: SessionStore
      hasher: PasswordHasher
      events: SecurityEvents
      clock: () => Date
    },
  ) {}

  /**
   * The same answer, after the same argon2 work, for an unknown user and a wrong password.
   * A ban is told only to someone who knows the password.
   */
  async signIn(username: string, password: string): Promise<SignInResult> {
    const user = USERNAME.test(username) ? this.deps.users.findByUsername(username) : undefined
    const ok = user ? await this.deps.hasher.verify(user.passwordHash, password) : await this.deps.hasher.verifyNobody(password)
    if (!user || !ok || user.bannedAt) {
      const code = !user || !ok ? 'LOGIN_FAILED' : 'ACCOUNT_BANNED'
      await this.deps.events.record({ type: 'sign_in_refused', reason: code, ...(user ? { userId: user.id } : {}) })
      return { ok: false, code }
    }
    await this.deps.events.record({ type: 'signed_in', userId: user.id })
    return { ok: true, user }
  }

  /**
   * True while the user `signIn` returned still stands as it was read: same password, not
   * banned. A sign-in asks once its session is stored, because a password change or ban that
   * committed while the password was being checked ended the sessions it could see, not this one.
   */
  isUnchanged(user: User): boolean {
    const current = this.deps.users.findById(user.id)
    return current !== undefined && current.passwordHash === user.passwordHash && current.bannedAt === null
  }

  async signedOut(userId: number): Promise<void> {
    await this.deps.events.record({ type: 'signed_out', userId })
  }

  /** Checks the current password and the new one; returns the hash to store and the instant of the change. */
  async preparePasswordChange(user: User, current: string, next: string): Promise<{ passwordHash: string; changedAt: Date }> {
    if (!(await this.deps.hasher.verify(user.passwordHash, current))) throw new AppError('CURRENT_PASSWORD_WRONG')
    if (next.length < MIN_PASSWORD_LENGTH || next.length > MAX_PASSWORD_LENGTH) throw new AppError('PASSWORD_INVALID')
    return { passwordHash: await this.deps.hasher.hash(next), changedAt: this.deps.clock() }
  }

  /**
   * Stores the new password and ends every other session. The change instant goes into the
   * database first, so every app process refuses older sessions on their next request even
   * before the store has deleted them; the caller's session, regenerated and stamped with
   * `changedAt` beforehand, is kept.
   */
  async commitPasswordChange(userId: number, change: { passwordHash: string; changedAt: Date }, keepSid: string): Promise<number> {
    this.deps.users.setPassword(userId, change.passwordHash, change.changedAt)
    const sessionsEnded = await this.deps.sessions.destroyByUser(userId, { except: keepSid })
    await this.deps.events.record({ type: 'password_changed', userId, sessionsEnded })
    return sessionsEnded
  }

  async endOtherSessions(userId: number, keepSid: string): Promise<number> {
    const sessionsEnded = await this.deps.sessions.destroyByUser(userId, { except: keepSid })
    await this.deps.events.record({ type: 'other_sessions_ended', userId, sessionsEnded })
    return sessionsEnded
  }

  /** Ends one of the user's own sessions, named by its handle; false when it is not theirs or gone. */
  async endSession(userId: number, handle: string): Promise<boolean> {
    const ended = await this.deps.sessions.destroyHandle(userId, handle)
    if (ended) await this.deps.events.record({ type: 'session_revoked', userId, handle })
    return ended
  }

  /** Bans a user and ends all their sessions; an admin cannot ban themselves. */
  async ban(admin: User, targetId: number): Promise<void> {
    if (admin.id === targetId) throw new AppError('BAD_REQUEST', 'an admin cannot ban themselves')
    if (!this.deps.users.setBanned(targetId, this.deps.clock())) throw new AppError('NOT_FOUND')
    const sessionsEnded = await this.deps.sessions.destroyByUser(targetId)
    await this.deps.events.record({ type: 'user_banned', userId: targetId, byUserId: admin.id, sessionsEnded })
  }

  async unban(admin: User, targetId: number): Promise<void> {
    if (!this.deps.users.setBanned(targetId, null)) throw new AppError('NOT_FOUND')
    await this.deps.events.record({ type: 'user_unbanned', userId: targetId, byUserId: admin.id })
  }
}
