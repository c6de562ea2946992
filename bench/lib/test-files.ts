import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BenchFiles } from '../cases/bench-context.js'

async function readThrough(file: string): Promise<void> {
  for await (const _chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    // reading it once puts it in the page cache: the large-file cases measure serving, not the disk
  }
}

/** The served root: a 1 KiB file and a large one, both page-cached. */
export async function createBenchFiles(dir: string, largeFileMiB: number): Promise<BenchFiles> {
  const root = path.join(dir, 'root')
  await mkdir(root, { recursive: true })
  const small = { name: 'small.bin', size: 1024 }
  await writeFile(path.join(root, small.name), randomBytes(small.size))
  const large = { name: 'large.bin', size: largeFileMiB * 2 ** 20 }
  const chunk = randomBytes(2 ** 20)
  const handle = await open(path.join(root, large.name), 'w')
  try {
    for (let i = 0; i < largeFileMiB; i += 1) await handle.write(chunk)
  } finally {
    await handle.close()
  }
  await readThrough(path.join(root, large.name))
  return { root, small, large }
}
