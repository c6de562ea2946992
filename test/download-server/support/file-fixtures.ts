import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A file of `size` zero bytes that takes no disk space: large on paper, quick to create and read. */
export function writeSparseFile(file: string, size: number): void {
  fs.closeSync(fs.openSync(file, 'w'))
  fs.truncateSync(file, size)
}

/** How many descriptors this process holds open on `file` (Linux: /proc/self/fd), to catch leaks. */
export function openDescriptorsOf(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file
    } catch {
      return false
    }
  }).length
}

export interface SendFileFixtures {
  dir: string
  bigFile: string
  smallFile: string
}

/**
 * A fresh temporary directory holding what the sendFile tests serve: `big.bin`, sparse, of
 * `bigSize` bytes (more than sockets buffer, so a delivery can be caught half-way), and
 * `small.txt`, the ten digits (so each byte's place is visible).
 */
export function writeSendFileFixtures(prefix: string, bigSize: number): SendFileFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const bigFile = path.join(dir, 'big.bin')
  const smallFile = path.join(dir, 'small.txt')
  writeSparseFile(bigFile, bigSize)
  fs.writeFileSync(smallFile, '0123456789')
  return { dir, bigFile, smallFile }
}
