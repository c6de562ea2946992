import fs from 'node:fs'
import path from 'node:path'

/**
 * Reads the non-empty, non-comment lines of a secret file, creating it first (mode 0600, in a
 * 0700 directory) with `initial()` when it does not exist. Creation is exclusive (`wx`), so
 * two processes starting on one DATA_DIR at once end up with the same file.
 */
export function readOrCreateSecretFile(file: string, initial: () => string): string[] {
  try {
    return readLines(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  try {
    fs.writeFileSync(file, initial(), { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return readLines(file)
}

export function readLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
}

/** True when group or others may read the file: worth a warning at start-up. */
export function isReadableByOthers(file: string): boolean {
  return (fs.statSync(file).mode & 0o077) !== 0
}

/** Replace a file's content in one step (write a temporary file, then rename it over). */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  fs.writeFileSync(tmp, content, { mode })
  fs.renameSync(tmp, file)
}
