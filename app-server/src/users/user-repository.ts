import type { AppDatabase } from '../db/open-app-database.js'
import { StatementCache } from '../db/statement-cache.js'

export type Role = 'user' | 'admin'

export interface User {
  id: number
  username: string
  passwordHash: string
  role: Role
  createdAt: Date
  bannedAt: Date | null
  /** Sessions signed in before this instant are no longer valid. */
  passwordChangedAt: Date
}

interface UserRow {
  id: number
  username: string
  password_hash: string
  role: Role
  created_at: number
  banned_at: number | null
  password_changed_at: number
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role,
  createdAt: new Date(r.created_at),
  bannedAt: r.banned_at === null ? null : new Date(r.banned_at),
  passwordChangedAt: new Date(r.password_changed_at),
})

/** Users in app.db. Knows rows, not rules: hashing and bans live in the account service. */
export class UserRepository {
  private readonly sql: StatementCache

  constructor(private readonly db: AppDatabase) {
    this.sql = new StatementCache(db)
  }

  findById(id: number): User | undefined {
    const row = this.sql.get('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined
    return row && toUser(row)
  }

  findByUsername(username: string): User | undefined {
    const row = this.sql.get('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined
    return row && toUser(row)
  }

  list(): User[] {
    return (this.sql.get('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(toUser)
  }

  create(input: { username: string; passwordHash: string; role: Role; now: Date }): User {
    const t = input.now.getTime()
    const info = this.sql
      .get('INSERT INTO users (username, password_hash, role, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)')
      .run(input.username, input.passwordHash, input.role, t, t)
    return this.findById(Number(info.lastInsertRowid)) as User
  }

  setPassword(id: number, passwordHash: string, changedAt: Date): void {
    this.sql.get('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(passwordHash, changedAt.getTime(), id)
  }

  setBanned(id: number, bannedAt: Date | null): boolean {
    return this.sql.get('UPDATE users SET banned_at = ? WHERE id = ?').run(bannedAt?.getTime() ?? null, id).changes === 1
  }
}
