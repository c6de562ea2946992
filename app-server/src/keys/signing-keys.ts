import fs from 'node:fs'
import { generateSecretKey, parseSecretKey } from '../../../shared/src/index.js'
import type { SecretKey } from '../../../shared/src/index.js'
import { isReadableByOthers, readLines, readOrCreateSecretFile, writeFileAtomic } from './secret-file.js'

const SECRET_HEADER =
  '# PASERK k4.secret signing keys of the app server, one a line, newest LAST (it signs).\n' +
  '# Older lines stay trusted by the download server until you delete them. Keep this file 0600.\n'
const PUBLIC_HEADER =
  '# PASERK k4.public keys the download server trusts (DL_PUBLIC_KEYS_FILE), written by the app\n' +
  '# server from its signing keys file. Not secret.\n'

export interface SigningKeys {
  /** The newest key: every new token is signed with it. */
  current: SecretKey
  /** All keys, oldest first; their public halves are what the download server trusts. */
  all: SecretKey[]
  /** Set when the secret file can be read by group or others (worth a warning, not a refusal). */
  looseMode: boolean
}

/** A failure fit for one start-up line; never includes key material. */
export class SigningKeysError extends Error {
  readonly code = 'SIGNING_KEYS_INVALID'
}

/**
 * Loads the signing keys (creating the file with one fresh key on first run when allowed) and
 * (re)writes the public key file listing the public half of each. Rotation: append a new
 * k4.secret line, restart; delete the oldest line once its tokens (≤ 300 s) have expired.
 */
export function loadSigningKeys(options: { file: string; createIfMissing: boolean; publicKeysFile: string }): SigningKeys {
  const lines = readKeyLines(options)
  if (lines.length === 0) throw new SigningKeysError(`APP_SIGNING_KEYS_FILE: ${options.file} holds no k4.secret key`)
  const all = lines.map((line, i) => {
    try {
      return parseSecretKey(line)
    } catch {
      // Counted among the key lines (comments and blanks skipped); the line itself is never echoed.
      throw new SigningKeysError(`APP_SIGNING_KEYS_FILE: key ${i + 1} in ${options.file} is not a valid PASERK k4.secret`)
    }
  })
  const publicText = PUBLIC_HEADER + [...new Set(all.map((k) => k.publicKey.paserk))].join('\n') + '\n'
  const existing = fs.existsSync(options.publicKeysFile) ? fs.readFileSync(options.publicKeysFile, 'utf8') : undefined
  if (existing !== publicText) writeFileAtomic(options.publicKeysFile, publicText, 0o644)
  return { current: all[all.length - 1] as SecretKey, all, looseMode: isReadableByOthers(options.file) }
}

function readKeyLines(options: { file: string; createIfMissing: boolean }): string[] {
  if (!options.createIfMissing && !fs.existsSync(options.file)) throw new SigningKeysError(`APP_SIGNING_KEYS_FILE: ${options.file} does not exist`)
  try {
    return options.createIfMissing ? readOrCreateSecretFile(options.file, () => `${SECRET_HEADER}${generateSecretKey().paserk}\n`) : readLines(options.file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EISDIR') throw new SigningKeysError(`APP_SIGNING_KEYS_FILE: ${options.file} is a directory, not a file`)
    // A file that was set must be readable; making the default one is DATA_DIR's business.
    if (!options.createIfMissing) throw new SigningKeysError(`APP_SIGNING_KEYS_FILE: cannot read ${options.file} (${code ?? 'unknown error'})`)
    throw err
  }
}
