import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tokenInspect } from '../../cli/src/commands/token-inspect.js'
import { runCLI } from '../../cli/src/program.js'
import { createTokenSigner, generateSecretKey, type SecretKey } from '../../shared/src/index.js'
import { captureOutput, tempDir, testContext } from './support/cli-context.js'

const ISS = 'https://app.example'
const AUD = 'https://dl.example'
const NOW = new Date('2025-06-01T12:00:00Z')

let dir: string
let key: SecretKey
let token: string
beforeEach(async () => {
  dir = tempDir()
  key = generateSecretKey()
  fs.writeFileSync(path.join(dir, 'public-keys.txt'), `${key.publicKey.paserk}\n`)
  token = (await signer(key).signDownload({ file: 'a/b.txt', name: 'b.txt', size: 3 }, { now: NOW })).token
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

function signer(k: SecretKey, lifetimeSeconds = 300): ReturnType<typeof createTokenSigner> {
  return createTokenSigner({ key: k, issuer: ISS, audience: AUD, lifetimeSeconds })
}

async function inspect(args: string[], options: { now?: Date; stdin?: string } = {}): Promise<{ status: number; stdout: string; stderr: string[] }> {
  const context = testContext({ cwd: dir, now: options.now ?? NOW, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) })
  const status = await runCLI(['token', 'inspect', ...args], context)
  return { status, stdout: context.output.stdout.join('\n'), stderr: context.output.stderr }
}

const CHECK = ['--keys', '@public-keys.txt', '--iss', ISS, '--aud', AUD]

describe('token inspect', () => {
  it('without keys, shows footer, claims and expiry, labelled UNVERIFIED', async () => {
    const { status, stdout } = await inspect([token])
    expect(status).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(/^status: +UNVERIFIED/)
    expect(stdout).toContain(`footer:  {"kid":"${key.kid}"} (UNVERIFIED)`)
    expect(stdout).toContain('"file": "a/b.txt"')
    expect(stdout).toContain('expires: 2025-06-01T12:05:00.000Z (in 5 min 0 s) (UNVERIFIED)')
    expect(stdout).not.toMatch(/\bvalid\b/)
  })

  it('says valid when the token verifies against the given keys, issuer and audience', async () => {
    const { status, stdout } = await inspect([token, ...CHECK])
    expect(status).toBe(0)
    expect(stdout.split('\n')[0]).toBe(`status:  valid (signed by trusted key ${key.kid}; lifetime and times hold; issuer and audience match)`)
    expect(stdout).toContain('claims (verified):')
  })

  it('says which checks it skipped when --iss and --aud are not given', async () => {
    const { status, stdout } = await inspect([token, '--keys', key.publicKey.paserk])
    expect(status).toBe(0)
    expect(stdout.split('\n')[0]).toMatch(/^status: +valid .*NOT checked: issuer \(--iss\), audience \(--aud\)/)
  })

  it('answers key_unknown (status 2) for a token signed by a key not in the list', async () => {
    const stranger = (await signer(generateSecretKey()).signDownload({ file: 'a.txt' }, { now: NOW })).token
    const { status, stdout } = await inspect([stranger, ...CHECK])
    expect(status).toBe(2)
    expect(stdout.split('\n')[0]).toMatch(/^status: +invalid: key_unknown \(/)
    expect(stdout).toContain('claims (UNVERIFIED):')
  })

  it('answers token_expired once the token is past its exp and the clock tolerance', async () => {
    const { status, stdout } = await inspect([token, ...CHECK, '--clock-tolerance', '0'], { now: new Date(NOW.getTime() + 301_000) })
    expect(status).toBe(2)
    expect(stdout.split('\n')[0]).toMatch(/invalid: token_expired/)
    expect(stdout).toContain('(expired 1 s ago)')
  })

  it('accepts a token just past exp within the clock tolerance, as the server would', async () => {
    const { status } = await inspect([token, ...CHECK, '--clock-tolerance', '30'], { now: new Date(NOW.getTime() + 310_000) })
    expect(status).toBe(0)
  })

  it('answers token_wrong_audience when the audience differs', async () => {
    const { status, stdout } = await inspect([token, '--keys', '@public-keys.txt', '--iss', ISS, '--aud', 'https://other.example'])
    expect(status).toBe(2)
    expect(stdout.split('\n')[0]).toMatch(/invalid: token_wrong_audience/)
  })

  it('answers token_bad_signature for a token whose payload was altered', async () => {
    const [v, purpose, payload = '', footer] = token.split('.')
    const i = 20
    const altered = payload.slice(0, i) + (payload[i] === 'A' ? 'B' : 'A') + payload.slice(i + 1)
    const { status, stdout } = await inspect([[v, purpose, altered, footer].join('.'), ...CHECK])
    expect(status).toBe(2)
    expect(stdout.split('\n')[0]).toMatch(/invalid: token_bad_signature/)
  })

  it('answers token_malformed for something that is not a v4.public token, even without keys', async () => {
    const { status, stdout } = await inspect(['v3.local.abc'])
    expect(status).toBe(2)
    expect(stdout).toMatch(/^status: +invalid: token_malformed/)
  })

  it('reads the token out of a download link', async () => {
    const { status, stdout } = await inspect([`https://dl.example/d/${token}`, ...CHECK])
    expect(status).toBe(0)
    expect(stdout).toMatch(/^status: +valid/)
  })

  it('reads the token from standard input', async () => {
    const { status, stdout } = await inspect(['-', ...CHECK], { stdin: `${token}\n` })
    expect(status).toBe(0)
    expect(stdout).toMatch(/^status: +valid/)
  })

  it('verifies a revocation token with the revocation rules', async () => {
    const revocation = (await signer(key).signRevocation({ revoke: ['a'.repeat(22)] }, { now: NOW })).token
    const { status, stdout } = await inspect([revocation, ...CHECK])
    expect(status).toBe(0)
    expect(stdout).toMatch(/^status: +valid/)
    expect(stdout).toContain('kind:    revocation token')
  })

  it('prints control and bidi characters from an unverified token escaped, never raw', async () => {
    const nasty = (await signer(key).signDownload({ file: 'a.txt', name: 'x\u001b[2J\u009b31m\u202etxt.exe' }, { now: NOW })).token
    const output = captureOutput()
    await tokenInspect({ token: nasty, clockToleranceSeconds: 30, now: NOW }, output)
    const text = output.stdout.join('\n')
    for (const raw of ['\u001b', '\u009b', '\u202e']) expect(text).not.toContain(raw)
    expect(text).toContain('\\u001b[2J\\u009b31m\\u202etxt.exe')
  })

  it('refuses --iss without --keys instead of pretending to check it', async () => {
    const { status, stdout, stderr } = await inspect([token, '--iss', ISS])
    expect(status).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toEqual(['error: --iss and --aud check nothing without --keys'])
  })
})
