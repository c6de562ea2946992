import fs from 'node:fs'
import path from 'node:path'

export type ConfinementResult =
  | { ok: true; path: string }
  | { ok: false; code: 'PATH_FORBIDDEN' | 'FILE_NOT_FOUND' }

/**
 * Maps a token's `file` claim to a real path inside `root` (itself a real path), or says why not.
 *
 * The claim rules are checked again here, not only by the verifier, so that this function is
 * safe on its own; then symlinks are resolved and the result must still lie inside the root.
 *
 * Synchronous on purpose: `realpath(3)` of a path in the page-cached dentry cache takes a few
 * microseconds, while the promise version costs a thread-pool round trip per call (measured in
 * docs/benchmarks.md). A root on a slow network file system would want the async version back.
 */
export function confinePath(root: string, file: string): ConfinementResult {
  if (!isSafeRelativePath(file)) return { ok: false, code: 'PATH_FORBIDDEN' }
  const joined = path.join(root, ...file.split('/'))
  if (!isInside(root, joined)) return { ok: false, code: 'PATH_FORBIDDEN' }
  let real: string
  try {
    real = fs.realpathSync.native(joined)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // ENOENT: nothing there (or a dangling link); ENOTDIR: a file used as a directory.
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, code: 'FILE_NOT_FOUND' }
    return { ok: false, code: 'PATH_FORBIDDEN' }
  }
  if (!isInside(root, real)) return { ok: false, code: 'PATH_FORBIDDEN' }
  return { ok: true, path: real }
}

/** CONTRACT §1: relative, `/`-separated, no `..` (nor empty) segment, no NUL, no backslash. */
export function isSafeRelativePath(file: string): boolean {
  if (file.length === 0 || file.length > 4096) return false
  if (file.includes('\0') || file.includes('\\')) return false
  return file.split('/').every((segment) => segment !== '' && segment !== '..')
}

function isInside(root: string, candidate: string): boolean {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep
  return candidate.startsWith(prefix)
}
