import fs from 'node:fs'

/** An open regular file: its descriptor (the caller closes it) and what `fstat` said of it. */
export interface OpenFile {
  fd: number
  size: number
  mtimeMs: number
}

export type OpenResult = ({ ok: true } & OpenFile) | { ok: false; code: 'FILE_NOT_FOUND' | 'PATH_FORBIDDEN' }

// O_NOFOLLOW: the confined real path has no symlink left, so a link that replaced the file since is refused.
// O_NONBLOCK: opening a FIFO someone left in the root must not wait for a writer.
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
// O_NOFOLLOW guards the last component only: a directory on the path may have been swapped for a
// link out of the root since the path was resolved. Linux names the file a descriptor holds in
// /proc/self/fd, so the open file is checked to be the one at the confined path.
const DESCRIPTOR_LINKS = fs.existsSync('/proc/self/fd') ? '/proc/self/fd/' : undefined

/**
 * Opens a confined path and stats the open descriptor, so the size checked against the token
 * and the bytes sent come from the same file even if the path is replaced meanwhile. Anything
 * but a regular file is "not found"; a descriptor that is not the file at `realPath` (a directory
 * on it was swapped for a link since it was resolved) is "forbidden".
 *
 * Synchronous, like `confinePath`: `open` and `fstat` of a local file are microseconds, and
 * two thread-pool round trips per download cost more than the calls themselves.
 */
export function openRegularFile(realPath: string): OpenResult {
  let fd: number
  try {
    fd = fs.openSync(realPath, FLAGS)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { ok: false, code: code === 'ENOENT' || code === 'ENOTDIR' ? 'FILE_NOT_FOUND' : 'PATH_FORBIDDEN' }
  }
  try {
    if (DESCRIPTOR_LINKS !== undefined && fs.readlinkSync(DESCRIPTOR_LINKS + fd) !== realPath) {
      fs.closeSync(fd)
      return { ok: false, code: 'PATH_FORBIDDEN' }
    }
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) {
      fs.closeSync(fd)
      return { ok: false, code: 'FILE_NOT_FOUND' }
    }
    return { ok: true, fd, size: stat.size, mtimeMs: stat.mtimeMs }
  } catch (error) {
    fs.closeSync(fd)
    throw error
  }
}
