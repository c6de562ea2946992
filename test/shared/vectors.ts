import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// The official PASETO/PASERK vectors, byte-for-byte copies of upstream kept in test/vectors so
// that a clone tests on its own. vectors-integrity.test.ts holds them to the sha256 sums their
// SOURCE.md records; .ci/run also compares them with ../shared/vectors when that folder is there.
export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'vectors')

export interface VectorFile<T> {
  name: string
  tests: T[]
}

export function loadVectors<T>(file: string): VectorFile<T> {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, file), 'utf8')) as VectorFile<T>
}
