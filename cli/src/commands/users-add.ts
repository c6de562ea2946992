import fs from 'node:fs'
import { openAppDatabase } from '../../../app-server/src/db/open-app-database.js'
import { dataPaths } from '../../../app-server/src/server.js'
import { createPasswordHasher, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../../app-server/src/users/password-hasher.js'
import { UserRepository, type Role } from '../../../app-server/src/users/user-repository.js'
import { CLIError, errnoOf } from '../cli-error.js'
import type { Output } from '../output.js'

export interface UsersAddInput {
  /** The app's DATA_DIR: its database is DATA_DIR/app.db. */
  dataDir: string
  username: string
  /** Read from standard input by the caller: never an argument, which `ps` and shell history show. */
  password: string
  role: Role
  now: Date
}

// The app's sign-in accepts exactly these names (app-server/src/users/account-service.ts).
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/

/**
 * `users add`: an account in the app's database, through the app's own repository and password
 * hasher (argon2id), so that `npm run start:app` and docker-compose deployments, which seed no
 * demo users, can be signed in to.
 */
export async function usersAdd(input: UsersAddInput, out: Output): Promise<{ id: number }> {
  if (!USERNAME.test(input.username)) throw new CLIError('USAGE', '<username>: must be 1-64 letters, digits, dot, dash or underscore')
  if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
    throw new CLIError('USAGE', `password (standard input): must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`)
  }
  // SQLite would refuse a missing folder with an error that has no code: say what is wrong.
  if (!fs.existsSync(input.dataDir)) throw new CLIError('IO', `--data-dir: ${input.dataDir} does not exist (the app makes it on its first start)`)
  let db: ReturnType<typeof openAppDatabase>
  try {
    db = openAppDatabase(dataPaths(input.dataDir).database)
  } catch (error) {
    throw new CLIError('IO', `--data-dir: cannot open the app database under ${input.dataDir} (${errnoOf(error)})`, { cause: error })
  }
  try {
    const users = new UserRepository(db)
    if (users.findByUsername(input.username) !== undefined) throw new CLIError('FILE_EXISTS', `user ${input.username} exists already`)
    const passwordHash = await (await createPasswordHasher()).hash(input.password)
    const user = users.create({ username: input.username, passwordHash, role: input.role, now: input.now })
    out.out(`added ${input.role} ${user.username} (id ${user.id})`)
    return { id: user.id }
  } finally {
    db.close()
  }
}
