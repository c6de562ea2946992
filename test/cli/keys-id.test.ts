import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCLI } from '../../cli/src/program.js'
import { formatPublicKey, generateSecretKey } from '../../shared/src/index.js'
import { tempDir, testContext } from './support/cli-context.js'

// PASERK's official k4.pid vector "k4.pid-2" (paserk-k4.pid.json in ../shared/vectors).
const VECTOR_PUBLIC = formatPublicKey(Buffer.from('707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f', 'hex'))
const VECTOR_PID = 'k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs'

let dir: string
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('keys id', () => {
  it('prints the official k4.pid of a k4.public key', async () => {
    dir = tempDir()
    const context = testContext({ cwd: dir })
    expect(await runCLI(['keys', 'id', VECTOR_PUBLIC], context)).toBe(0)
    expect(context.output.stdout).toEqual([VECTOR_PID])
  })

  it('reads the key from standard input with -', async () => {
    dir = tempDir()
    const context = testContext({ cwd: dir, stdin: `${VECTOR_PUBLIC}\n` })
    expect(await runCLI(['keys', 'id', '-'], context)).toBe(0)
    expect(context.output.stdout).toEqual([VECTOR_PID])
  })

  it('prints one k4.pid per key, in order, for a key file with comments', async () => {
    dir = tempDir()
    const other = generateSecretKey().publicKey
    fs.writeFileSync(path.join(dir, 'public-keys.txt'), `# trusted keys\n${VECTOR_PUBLIC}\n\n${other.paserk}\n`)
    const context = testContext({ cwd: dir })
    expect(await runCLI(['keys', 'id', '@public-keys.txt'], context)).toBe(0)
    expect(context.output.stdout).toEqual([VECTOR_PID, other.kid])
  })

  it('refuses a k4.secret with one error line that does not repeat the key', async () => {
    dir = tempDir()
    const secret = generateSecretKey().paserk
    const context = testContext({ cwd: dir })
    expect(await runCLI(['keys', 'id', secret], context)).toBe(1)
    expect(context.output.stdout).toEqual([])
    expect(context.output.stderr).toHaveLength(1)
    expect(context.output.stderr[0]).toMatch(/^error: <key>: .*k4\.secret/)
    expect(context.output.stderr[0]).not.toContain(secret.slice('k4.secret.'.length, 'k4.secret.'.length + 12))
  })

  it('refuses a key that is not canonical base64url', async () => {
    dir = tempDir()
    const context = testContext({ cwd: dir })
    // The last character of a 32-byte key carries 4 spare bits; setting one makes it non-canonical.
    const tampered = VECTOR_PUBLIC.slice(0, -1) + (VECTOR_PUBLIC.endsWith('8') ? '9' : '8')
    expect(await runCLI(['keys', 'id', tampered], context)).toBe(1)
    expect(context.output.stderr[0]).toMatch(/^error: <key>: .*(canonical|not a valid)/)
  })
})
