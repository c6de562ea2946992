import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCLI } from '../../cli/src/program.js'
import { tempDir, testContext } from './support/cli-context.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const packageJSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
const BIN = path.join(ROOT, packageJSON.bin['tokens-done-right'] ?? 'missing')

interface Run {
  status: number
  stdout: string
  stderr: string
}

/** The installed binary, run from a directory outside the repository (as an operator would). */
async function run(args: string[], cwd: string): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(BIN, args, { cwd, timeout: 20_000 })
    return { status: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { status: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

let dir: string
beforeAll(() => {
  dir = tempDir()
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('the tokens-done-right binary', () => {
  it('is the package bin: an executable node script', () => {
    expect(fs.readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    expect(fs.statSync(BIN).mode & 0o111).toBe(0o111)
  })

  it('makes keys, mints a token with them and verifies it, end to end', async () => {
    const generated = await run(['keys', 'generate', '--out-dir', 'keys', '--name', 'k1'], dir)
    expect(generated.status).toBe(0)
    const kid = /^kid: +(k4\.pid\.\S+)$/m.exec(generated.stdout)?.[1]
    expect(kid).toBeDefined()
    expect(fs.statSync(path.join(dir, 'keys', 'k1.k4.secret')).mode & 0o777).toBe(0o600)

    const id = await run(['keys', 'id', '@keys/k1.k4.public'], dir)
    expect(id.stdout).toBe(`${kid}\n`)

    const minted = await run(['token', 'mint', '--key', '@keys/k1.k4.secret', '--file', 'f.txt', '--iss', 'http://app', '--aud', 'http://dl', '--url', 'http://dl'], dir)
    expect(minted.status).toBe(0)
    const link = minted.stdout.trim()
    expect(link).toMatch(/^http:\/\/dl\/d\/v4\.public\./)

    const inspected = await run(['token', 'inspect', link, '--keys', '@keys/k1.k4.public', '--iss', 'http://app', '--aud', 'http://dl'], dir)
    expect(inspected.status).toBe(0)
    expect(inspected.stdout).toMatch(new RegExp(`^status: +valid \\(signed by trusted key ${kid?.replace(/[.]/g, '\\.')};`))
  })

  it('reports a bad key as one line on stderr with status 1, no stack trace', async () => {
    const result = await run(['token', 'mint', '--key', 'k4.secret.nonsense', '--file', 'f', '--iss', 'i', '--aud', 'a'], dir)
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^error: --key: /)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits quietly with status 0 when the reader of its output goes away (`… | head -1`)', async () => {
    const child = spawn(BIN, ['--help'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    // Closed before the CLI has started, so its first write finds a broken pipe (EPIPE).
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' })
  })

  it('reports an unknown command as one line with status 1', async () => {
    const result = await run(['keys', 'rotate'], dir)
    expect(result.status).toBe(1)
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^error: unknown command 'rotate'/)
  })
})

describe('--help', () => {
  it.each([[[]], [['keys']], [['keys', 'generate']], [['keys', 'id']], [['token']], [['token', 'mint']], [['token', 'inspect']], [['users']], [['users', 'add']]])(
    'is available on %j and exits 0',
    async (command) => {
      const context = testContext({ cwd: dir })
      expect(await runCLI([...command, '--help'], context)).toBe(0)
      const help = context.output.stdout.join('\n')
      expect(help).toMatch(new RegExp(`^Usage: tokens-done-right${command.map((c) => ` ${c}`).join('')} `))
      expect(help).toContain('--help')
    },
  )
})
