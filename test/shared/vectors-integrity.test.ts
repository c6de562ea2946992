import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { VECTORS_DIR } from './vectors.js'

// A vector file edited by hand (or by a formatter) would test the code against something other
// than the standard: each copy must still hash to what SOURCE.md recorded from upstream.
const source = fs.readFileSync(path.join(VECTORS_DIR, 'SOURCE.md'), 'utf8')
const recorded = [...source.matchAll(/^\| (\S+\.json) \|.*\| ([0-9a-f]{64}) \|$/gm)].map(([, file, sha256]) => [file!, sha256!] as const)

describe('the official test vectors in test/vectors', () => {
  it('lists every vector file of the folder in SOURCE.md', () => {
    const files = fs.readdirSync(VECTORS_DIR).filter((name) => name.endsWith('.json')).sort()
    expect(recorded.map(([file]) => file).sort()).toEqual(files)
    expect(files).toHaveLength(4)
  })

  it.each(recorded)('keeps %s byte-for-byte as upstream (sha256 in SOURCE.md)', (file, sha256) => {
    expect(createHash('sha256').update(fs.readFileSync(path.join(VECTORS_DIR, file))).digest('hex')).toBe(sha256)
  })
})
