import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// The official PASETO/PASERK vectors live in ../shared/vectors beside the clone (CI puts the
// shared folder there too); they are read, never copied, so that they stay byte-for-byte upstream.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const VECTORS_DIR = path.resolve(repoRoot, '..', 'shared', 'vectors')

export interface VectorFile<T> {
  name: string
  tests: T[]
}

export function loadVectors<T>(file: string): VectorFile<T> {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, file), 'utf8')) as VectorFile<T>
}
