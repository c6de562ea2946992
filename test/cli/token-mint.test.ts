import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCLI } from '../../cli/src/program.js'
import { createKeySet, createTokenVerifier, generateSecretKey, parseRFC3339, type SecretKey } from '../../shared/src/index.js'
import { tempDir, testContext } from './support/cli-context.js'

const ISS = 'https://app.example'
const AUD = 'https://dl.example'
const NOW = new Date('2025-06-01T12:00:00Z')

let dir: string
let key: SecretKey
beforeEach(() => {
  dir = tempDir()
  key = generateSecretKey()
  fs.writeFileSync(path.join(dir, 'signing.k4.secret'), `${key.paserk}\n`, { mode: 0o600 })
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

function verifierFor(keys: SecretKey[]): ReturnType<typeof createTokenVerifier> {
  return createTokenVerifier({ keys: createKeySet(keys.map((k) => k.publicKey)), issuer: ISS, audience: AUD, clockToleranceSeconds: 0 })
}

async function mint(args: string[], stdin?: string): Promise<{ status: number; stdout: string[]; stderr: string[] }> {
  const context = testContext({ cwd: dir, now: NOW, ...(stdin === undefined ? {} : { stdin }) })
  const status = await runCLI(['token', 'mint', ...args], context)
  return { status, stdout: context.output.stdout, stderr: context.output.stderr }
}

const BASE = ['--key', '@signing.k4.secret', '--file', 'reports/q2.pdf', '--iss', ISS, '--aud', AUD]

describe('token mint', () => {
  it('prints a download token the shared verifier accepts, with the given claims', async () => {
    const { status, stdout } = await mint([...BASE, '--name', 'Q2 report.pdf', '--size', '1234', '--lifetime', '120'])
    expect(status).toBe(0)
    expect(stdout).toHaveLength(1)
    const { claims, kid } = await verifierFor([key]).verifyDownload(stdout[0] ?? '', { now: NOW })
    expect(kid).toBe(key.kid)
    expect(claims).toMatchObject({ iss: ISS, aud: AUD, file: 'reports/q2.pdf', name: 'Q2 report.pdf', size: 1234 })
    expect(claims.exp.getTime() - claims.iat.getTime()).toBe(120_000)
    expect(claims.iat.getTime()).toBe(NOW.getTime())
  })

  it('gives tokens the full 300 s when no lifetime is asked for', async () => {
    const { stdout } = await mint(BASE)
    const payload = JSON.parse(Buffer.from((stdout[0] ?? '').split('.')[2] ?? '', 'base64url').subarray(0, -64).toString('utf8')) as { iat: string; exp: string }
    const seconds = ((parseRFC3339(payload.exp)?.date.getTime() ?? 0) - (parseRFC3339(payload.iat)?.date.getTime() ?? 0)) / 1000
    expect(seconds).toBe(300)
  })

  it('prints a download link under --url, without a doubled slash', async () => {
    const { status, stdout } = await mint([...BASE, '--url', 'https://dl.example/'])
    expect(status).toBe(0)
    expect(stdout[0]).toMatch(/^https:\/\/dl\.example\/d\/v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  })

  it('signs with the newest (last) key of a signing-keys file', async () => {
    const newer = generateSecretKey()
    fs.writeFileSync(path.join(dir, 'signing-keys.txt'), `# newest last\n${key.paserk}\n${newer.paserk}\n`, { mode: 0o600 })
    const { stdout } = await mint(['--key', '@signing-keys.txt', '--file', 'a.txt', '--iss', ISS, '--aud', AUD])
    const { kid } = await verifierFor([key, newer]).verifyDownload(stdout[0] ?? '', { now: NOW })
    expect(kid).toBe(newer.kid)
  })

  it('reads the key from standard input with --key -', async () => {
    const { status, stdout } = await mint(['--key', '-', '--file', 'a.txt', '--iss', ISS, '--aud', AUD], `${key.paserk}\n`)
    expect(status).toBe(0)
    await expect(verifierFor([key]).verifyDownload(stdout[0] ?? '', { now: NOW })).resolves.toMatchObject({ kid: key.kid })
  })

  it.each([
    ['a lifetime over 300 s', ['--lifetime', '301'], /--lifetime/],
    ['a negative size', ['--size', '-1'], /--size/],
    ['a file claim that climbs out of the root', ['--file', '../etc/passwd'], /--file/],
    ['an absolute file claim', ['--file', '/etc/passwd'], /--file/],
    ['a URL that is not http(s)', ['--url', 'ftp://dl.example'], /--url/],
  ])('refuses %s with status 1 and one error line', async (_what, extra, pattern) => {
    const { status, stdout, stderr } = await mint([...BASE, ...extra])
    expect(status).toBe(1)
    expect(stdout).toEqual([])
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^error: /)
    expect(stderr[0]).toMatch(pattern)
  })

  it('refuses a public key given as the signing key, without echoing it', async () => {
    const { status, stderr } = await mint(['--key', key.publicKey.paserk, '--file', 'a.txt', '--iss', ISS, '--aud', AUD])
    expect(status).toBe(1)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^error: --key: .*k4\.secret/)
    expect(stderr[0]).not.toContain(key.publicKey.paserk)
  })

  it('names a missing key file in its one error line', async () => {
    const { status, stderr } = await mint(['--key', '@nope.k4.secret', '--file', 'a.txt', '--iss', ISS, '--aud', AUD])
    expect(status).toBe(1)
    expect(stderr).toEqual(['error: --key: cannot read nope.k4.secret (ENOENT)'])
  })

  it('requires --iss and --aud', async () => {
    const { status, stderr } = await mint(['--key', '@signing.k4.secret', '--file', 'a.txt', '--aud', AUD])
    expect(status).toBe(1)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/--iss/)
  })
})
