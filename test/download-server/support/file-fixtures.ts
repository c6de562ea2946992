import fs from 'node:fs'

/** A file of `size` zero bytes that takes no disk space: large on paper, quick to create and read. */
export function writeSparseFile(file: string, size: number): void {
  fs.closeSync(fs.openSync(file, 'w'))
  fs.truncateSync(file, size)
}

