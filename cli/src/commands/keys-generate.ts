import fs from 'node:fs'
import path from 'node:path'
import { generateSecretKey, type SecretKey } from '../../../shared/src/index.js'
import { CLIError, errnoOf } from '../cli-error.js'
import type { Output } from '../output.js'

export interface KeysGenerateInput {
  /** Directory for the two files; made (mode 0700) when missing. */
  outDir: string
  /** Base name: `<name>.k4.secret` and `<name>.k4.public`. */
  name: string
}

export interface KeysGenerateResult {
  secretFile: string
  publicFile: string
  publicKey: string
  kid: string
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function writeNew(file: string, content: string, mode: number): void {
  const fd = fs.openSync(file, 'wx', mode)
  try {
    // The umask may have taken bits away, never added: set exactly the mode promised.
    fs.fchmodSync(fd, mode)
    fs.writeFileSync(fd, content)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * `keys generate`: a new Ed25519 pair as PASERK, the secret in a file only its owner can read.
 * Never overwrites: an existing key may be the only copy of the one tokens are signed with.
 */
export function keysGenerate(input: KeysGenerateInput, out: Output, options: { generate?: () => SecretKey } = {}): KeysGenerateResult {
  if (!NAME.test(input.name)) {
    throw new CLIError('USAGE', '--name: must be 1-64 letters, digits, dot, dash or underscore, starting with a letter or digit')
  }
  const secretFile = path.join(input.outDir, `${input.name}.k4.secret`)
  const publicFile = path.join(input.outDir, `${input.name}.k4.public`)
  try {
    fs.mkdirSync(input.outDir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new CLIError('IO', `--out-dir: cannot create ${input.outDir} (${errnoOf(error)})`, { cause: error })
  }
  for (const file of [secretFile, publicFile]) {
    if (fs.existsSync(file)) throw new CLIError('FILE_EXISTS', `${file} exists; refusing to overwrite a key (choose another --name or --out-dir)`)
  }

  const key = (options.generate ?? generateSecretKey)()
  try {
    writeNew(secretFile, `${key.paserk}\n`, 0o600)
  } catch (error) {
    throw new CLIError(errnoOf(error) === 'EEXIST' ? 'FILE_EXISTS' : 'IO', `cannot write ${secretFile} (${errnoOf(error)})`, { cause: error })
  }
  try {
    writeNew(publicFile, `${key.publicKey.paserk}\n`, 0o644)
  } catch (error) {
    // Half a pair is worse than none: the secret without its public file would be orphaned.
    fs.rmSync(secretFile, { force: true })
    throw new CLIError(errnoOf(error) === 'EEXIST' ? 'FILE_EXISTS' : 'IO', `cannot write ${publicFile} (${errnoOf(error)})`, { cause: error })
  }

  out.out(`public: ${key.publicKey.paserk}`)
  out.out(`kid:    ${key.kid}`)
  out.err(`wrote ${secretFile} (mode 0600; keep it on the issuing app only)`)
  out.err(`wrote ${publicFile} (give it to the download servers)`)
  return { secretFile, publicFile, publicKey: key.publicKey.paserk, kid: key.kid }
}
