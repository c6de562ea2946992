import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { keysGenerate } from '../../cli/src/commands/keys-generate.js'
import { CLIError } from '../../cli/src/cli-error.js'
import { runCLI } from '../../cli/src/program.js'
import { keyIdOf, parsePublicKey, parseSecretKey } from '../../shared/src/index.js'
import { captureOutput, tempDir, testContext } from './support/cli-context.js'

const dirs: string[] = []
function freshDir(): string {
  const dir = tempDir()
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe('keys generate', () => {
  it('writes a matching k4.secret/k4.public pair and prints the public key and its k4.pid', () => {
    const dir = freshDir()
    const output = captureOutput()
    const result = keysGenerate({ outDir: dir, name: 'k1' }, output)

    const secret = parseSecretKey(fs.readFileSync(path.join(dir, 'k1.k4.secret'), 'utf8').trim())
    const publicKey = parsePublicKey(fs.readFileSync(path.join(dir, 'k1.k4.public'), 'utf8').trim())
    expect(secret.publicKey.paserk).toBe(publicKey.paserk)
    expect(result.kid).toBe(keyIdOf(publicKey.paserk))
    expect(output.stdout).toEqual([`public: ${publicKey.paserk}`, `kid:    ${result.kid}`])
    // The secret never reaches the terminal.
    expect([...output.stdout, ...output.stderr].join('\n')).not.toContain(secret.paserk)
  })

  it('makes the secret file readable by its owner only (mode 0600), even under a lax umask', () => {
    const dir = freshDir()
    const previous = process.umask(0o000)
    try {
      keysGenerate({ outDir: dir, name: 'k1' }, captureOutput())
    } finally {
      process.umask(previous)
    }
    expect(fs.statSync(path.join(dir, 'k1.k4.secret')).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.join(dir, 'k1.k4.public')).mode & 0o777).toBe(0o644)
  })

  it('creates a missing output directory with mode 0700', () => {
    const dir = path.join(freshDir(), 'keys', 'nested')
    keysGenerate({ outDir: dir, name: 'k1' }, captureOutput())
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
  })

  it('refuses to overwrite an existing key and leaves it untouched', () => {
    const dir = freshDir()
    keysGenerate({ outDir: dir, name: 'k1' }, captureOutput())
    const before = fs.readFileSync(path.join(dir, 'k1.k4.secret'), 'utf8')

    expect(() => keysGenerate({ outDir: dir, name: 'k1' }, captureOutput())).toThrow(expect.objectContaining({ code: 'FILE_EXISTS' }))
    expect(fs.readFileSync(path.join(dir, 'k1.k4.secret'), 'utf8')).toBe(before)
  })

  it('refuses when only the public file of that name exists, writing no secret', () => {
    const dir = freshDir()
    fs.writeFileSync(path.join(dir, 'k1.k4.public'), 'someone else\n')
    expect(() => keysGenerate({ outDir: dir, name: 'k1' }, captureOutput())).toThrow(CLIError)
    expect(fs.existsSync(path.join(dir, 'k1.k4.secret'))).toBe(false)
    expect(fs.readFileSync(path.join(dir, 'k1.k4.public'), 'utf8')).toBe('someone else\n')
  })

  it('refuses a name that would leave the output directory', () => {
    const dir = freshDir()
    expect(() => keysGenerate({ outDir: dir, name: '../escape' }, captureOutput())).toThrow(expect.objectContaining({ code: 'USAGE' }))
    expect(fs.readdirSync(path.dirname(dir)).some((f) => f.startsWith('escape'))).toBe(false)
  })

  it('ends with status 1 and one error line when the key exists', async () => {
    const dir = freshDir()
    const first = testContext({ cwd: dir })
    expect(await runCLI(['keys', 'generate', '--name', 'k'], first)).toBe(0)
    expect(fs.existsSync(path.join(dir, 'k.k4.secret'))).toBe(true)

    const second = testContext({ cwd: dir })
    expect(await runCLI(['keys', 'generate', '--name', 'k', '--out-dir', dir], second)).toBe(1)
    expect(second.output.stderr).toHaveLength(1)
    expect(second.output.stderr[0]).toMatch(/^error: .*k\.k4\.secret exists; refusing to overwrite/)
  })
})
