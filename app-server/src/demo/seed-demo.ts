import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import mime from 'mime-types'
import type { AppDatabase } from '../db/open-app-database.js'
import { FileRepository } from '../files/file-repository.js'
import { newFileId } from '../files/file-service.js'
import type { PasswordHasher } from '../users/password-hasher.js'
import type { Role, User } from '../users/user-repository.js'
import { UserRepository } from '../users/user-repository.js'

export interface SeedResult {
  demoUser: { username: string; created: boolean }
  admin: { username: string; created: boolean }
  filesAdded: number
}

const WELCOME = `Welcome to the "tokens done right" demo.

You are signed in with a server-side session: your browser holds only an opaque, HttpOnly
cookie. Every click on Download asks the app for a fresh PASETO v4.public token for one file;
the app answers 303 to the download server, which checks the signature with a public key,
consumes the token's jti and sends the file. Open the same link twice: the second time is 410.
`

/** Sample files for the demo user: text, a CSV, a non-ASCII name, and 1 MiB of random bytes. */
function sampleFiles(): Array<{ name: string; content: Buffer }> {
  const rows = ['quarter,region,revenue', 'Q1,north,1200', 'Q1,south,980', 'Q2,north,1350', 'Q2,south,1105']
  return [
    { name: 'welcome.txt', content: Buffer.from(WELCOME) },
    { name: 'quarterly-report.csv', content: Buffer.from(rows.join('\n') + '\n') },
    { name: 'Notizen – Entwurf (ü).md', content: Buffer.from('# Notizen\n\nEin Dateiname mit Umlauten und Leerzeichen.\n') },
    { name: 'random-1MiB.bin', content: randomBytes(1024 * 1024) },
  ]
}

async function ensureUser(
  users: UserRepository,
  hasher: PasswordHasher,
  input: { username: string; password: string; role: Role; now: Date },
): Promise<{ user: User; created: boolean }> {
  const existing = users.findByUsername(input.username)
  if (existing) return { user: existing, created: false }
  const passwordHash = await hasher.hash(input.password)
  return { user: users.create({ username: input.username, passwordHash, role: input.role, now: input.now }), created: true }
}

/**
 * Idempotent: creates the demo user (with sample files) and the admin only when missing, so a
 * second `npm start` keeps the data, and a password changed in the app stays changed.
 */
export async function seedDemo(deps: {
  db: AppDatabase
  hasher: PasswordHasher
  filesDir: string
  clock: () => Date
  demo: { user: string; password: string; adminUser: string; adminPassword: string }
}): Promise<SeedResult> {
  const users = new UserRepository(deps.db)
  const files = new FileRepository(deps.db)
  const now = deps.clock()
  const demo = await ensureUser(users, deps.hasher, { username: deps.demo.user, password: deps.demo.password, role: 'user', now })
  const admin = await ensureUser(users, deps.hasher, { username: deps.demo.adminUser, password: deps.demo.adminPassword, role: 'admin', now })
  let filesAdded = 0
  if (demo.created) {
    fs.mkdirSync(deps.filesDir, { recursive: true, mode: 0o700 })
    // A second apart, so that the files page lists them in a stable order, welcome.txt first.
    for (const [i, sample] of sampleFiles().entries()) {
      const id = newFileId()
      fs.writeFileSync(path.join(deps.filesDir, id), sample.content, { mode: 0o600 })
      files.insert({
        id,
        ownerId: demo.user.id,
        name: sample.name,
        size: sample.content.length,
        contentType: mime.lookup(sample.name) || 'application/octet-stream',
        uploadedAt: new Date(now.getTime() - i * 1000),
      })
      filesAdded++
    }
  }
  return {
    demoUser: { username: demo.user.username, created: demo.created },
    admin: { username: admin.user.username, created: admin.created },
    filesAdded,
  }
}
