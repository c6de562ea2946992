import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAppDatabase } from '../../app-server/src/db/open-app-database.js'
import { createPasswordHasher } from '../../app-server/src/users/password-hasher.js'
import { UserRepository, type User } from '../../app-server/src/users/user-repository.js'
import { runCLI } from '../../cli/src/program.js'
import { tempDir, testContext } from './support/cli-context.js'

let dir: string
beforeEach(() => {
  dir = tempDir()
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

async function add(args: string[], stdin: string): Promise<{ status: number; stdout: string[]; stderr: string[] }> {
  const context = testContext({ cwd: dir, stdin })
  const status = await runCLI(['users', 'add', ...args, '--data-dir', 'data'], context)
  return { status, stdout: context.output.stdout, stderr: context.output.stderr }
}

function findUser(username: string): User | undefined {
  const db = openAppDatabase(path.join(dir, 'data', 'app.db'))
  try {
    return new UserRepository(db).findByUsername(username)
  } finally {
    db.close()
  }
}

describe('users add', () => {
  it('adds an account whose password (the first line of standard input) the app accepts', async () => {
    fs.mkdirSync(path.join(dir, 'data'))
    const result = await add(['alice'], 'correct horse battery\nignored second line\n')
    expect(result).toMatchObject({ status: 0, stdout: [expect.stringMatching(/^added user alice \(id \d+\)$/)] })
    const user = findUser('alice')
    expect(user?.role).toBe('user')
    const hasher = await createPasswordHasher()
    expect(await hasher.verify(user?.passwordHash ?? '', 'correct horse battery')).toBe(true)
    expect(await hasher.verify(user?.passwordHash ?? '', 'correct horse battery\nignored second line')).toBe(false)
  })

  it('makes an admin with --admin', async () => {
    fs.mkdirSync(path.join(dir, 'data'))
    expect((await add(['root-admin', '--admin'], 'admin password 1\n')).status).toBe(0)
    expect(findUser('root-admin')?.role).toBe('admin')
  })

  it('refuses an existing username and keeps its password', async () => {
    fs.mkdirSync(path.join(dir, 'data'))
    await add(['alice'], 'first password\n')
    const before = findUser('alice')?.passwordHash
    const again = await add(['alice'], 'second password\n')
    expect(again.status).toBe(1)
    expect(again.stderr).toEqual(['error: user alice exists already'])
    expect(findUser('alice')?.passwordHash).toBe(before)
  })

  it('refuses a data directory that does not exist, naming it, and creates nothing', async () => {
    const result = await add(['alice'], 'long enough password\n')
    expect(result.status).toBe(1)
    expect(result.stderr).toEqual([`error: --data-dir: ${path.join(dir, 'data')} does not exist (the app makes it on its first start)`])
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false)
  })

  it.each([
    ['a password under 8 characters', ['bob'], 'short\n', /password \(standard input\): must be 8/],
    ['a username the sign-in form would never match', ['bob smith'], 'long enough password\n', /<username>: must be/],
  ])('refuses %s with one error line', async (_what, args, stdin, pattern) => {
    fs.mkdirSync(path.join(dir, 'data'))
    const result = await add(args, stdin)
    expect(result.status).toBe(1)
    expect(result.stderr).toHaveLength(1)
    expect(result.stderr[0]).toMatch(pattern)
  })
})
