import path from 'node:path'
import { KeyFormatError, parsePublicKeyList, parseSecretKey, type PublicKey, type SecretKey } from '../../shared/src/index.js'
import { CLIError, errnoOf } from './cli-error.js'

/** How arguments of the form `@file` and `-` are read; main.ts wires the real ones. */
export interface InputSource {
  /** Directory relative `@file` paths start from. */
  cwd: string
  readFile(file: string): Promise<string>
  readStdin(): Promise<string>
}

// Enough for a revocation token (256 KiB) or a long key list; more is a mistake, not input.
const MAX_INPUT_CHARS = 1024 * 1024

/**
 * The text an argument stands for: `-` is standard input, `@path` a file's content, anything
 * else the argument itself. Keys belong in files: a key on the command line ends up in the
 * shell's history and in `ps`.
 */
export async function readArgument(value: string, option: string, source: InputSource): Promise<string> {
  let text: string
  if (value === '-') {
    text = await source.readStdin()
  } else if (value.startsWith('@')) {
    const file = path.resolve(source.cwd, value.slice(1))
    try {
      text = await source.readFile(file)
    } catch (error) {
      throw new CLIError('IO', `${option}: cannot read ${value.slice(1)} (${errnoOf(error)})`, { cause: error })
    }
  } else {
    return value
  }
  if (text.length > MAX_INPUT_CHARS) throw new CLIError('USAGE', `${option}: input is longer than ${MAX_INPUT_CHARS} characters`)
  return text
}

/** Lines that are neither blank nor `#` comments, trimmed: the format of our key files. */
export function keyLines(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/**
 * A k4.secret from `--key`: the argument, a file, or stdin. A file with several keys (the app's
 * signing-keys.txt, newest last) gives its last one, the key the app signs with.
 */
export async function readSecretKey(value: string, option: string, source: InputSource): Promise<SecretKey> {
  const lines = keyLines(await readArgument(value, option, source))
  const newest = lines.at(-1)
  if (newest === undefined) throw new CLIError('KEY_INVALID', `${option}: holds no k4.secret key`)
  try {
    return parseSecretKey(newest)
  } catch (error) {
    if (error instanceof KeyFormatError) throw new CLIError('KEY_INVALID', `${option}: ${error.message}`, { cause: error })
    throw error
  }
}

/** k4.public keys from a list (commas or white space), a file (`@path`, one a line) or stdin. */
export async function readPublicKeys(value: string, option: string, source: InputSource): Promise<PublicKey[]> {
  const text = await readArgument(value, option, source)
  try {
    return parsePublicKeyList(text)
  } catch (error) {
    if (error instanceof KeyFormatError) throw new CLIError('KEY_INVALID', `${option}: ${error.message}`, { cause: error })
    throw error
  }
}
