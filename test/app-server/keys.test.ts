import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generateSecretKey, parsePublicKeyList } from '../../shared/src/index.js'
import { loadSessionSecrets } from '../../app-server/src/keys/session-secrets.js'
import { loadSigningKeys, SigningKeysError } from '../../app-server/src/keys/signing-keys.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'app-keys-'))
  dirs.push(d)
  return d
}
const mode = (file: string): number => fs.statSync(file).mode & 0o777

describe('signing keys', () => {
  it('are made on first run in a 0600 file, and the same key is loaded on the next run', () => {
    const d = tempDir()
    const options = { file: path.join(d, 'keys', 'signing-keys.txt'), createIfMissing: true, publicKeysFile: path.join(d, 'keys', 'public-keys.txt') }
    const first = loadSigningKeys(options)
    expect(mode(options.file)).toBe(0o600)
    expect(mode(path.dirname(options.file))).toBe(0o700)
    expect(first.looseMode).toBe(false)
    const second = loadSigningKeys(options)
    expect(second.current.kid).toBe(first.current.kid)
    const published = parsePublicKeyList(fs.readFileSync(options.publicKeysFile, 'utf8'))
    expect(published.map((k) => k.kid)).toEqual([first.current.kid])
    expect(fs.readFileSync(options.publicKeysFile, 'utf8')).not.toContain('k4.secret.')
  })

  it('sign with the newest (last) key and publish the public half of every key, for rotation', () => {
    const d = tempDir()
    const options = { file: path.join(d, 'signing-keys.txt'), createIfMissing: true, publicKeysFile: path.join(d, 'public-keys.txt') }
    const old = loadSigningKeys(options).current
    const fresh = generateSecretKey()
    fs.appendFileSync(options.file, `${fresh.paserk}\n`)
    const keys = loadSigningKeys(options)
    expect(keys.current.kid).toBe(fresh.kid)
    expect(keys.all.map((k) => k.kid)).toEqual([old.kid, fresh.kid])
    expect(parsePublicKeyList(fs.readFileSync(options.publicKeysFile, 'utf8')).map((k) => k.kid)).toEqual([old.kid, fresh.kid])
  })

  it('refuse a configured file that is missing, or holds something that is not a k4.secret, without echoing it', () => {
    const d = tempDir()
    const publicKeysFile = path.join(d, 'public-keys.txt')
    expect(() => loadSigningKeys({ file: path.join(d, 'nope.txt'), createIfMissing: false, publicKeysFile })).toThrow(/APP_SIGNING_KEYS_FILE: .* does not exist/)
    const bad = path.join(d, 'bad.txt')
    fs.writeFileSync(bad, 'k4.secret.not-really-a-key-but-secret-looking\n', { mode: 0o600 })
    let message = ''
    try {
      loadSigningKeys({ file: bad, createIfMissing: false, publicKeysFile })
    } catch (err) {
      expect(err).toBeInstanceOf(SigningKeysError)
      message = (err as Error).message
    }
    expect(message).toBe(`APP_SIGNING_KEYS_FILE: key 1 in ${bad} is not a valid PASERK k4.secret`)
    expect(message).not.toContain('not-really-a-key')
  })

  it('refuse a keys file with no key in it, naming APP_SIGNING_KEYS_FILE', () => {
    const d = tempDir()
    const empty = path.join(d, 'empty.txt')
    fs.writeFileSync(empty, '# only a comment\n\n', { mode: 0o600 })
    expect(() => loadSigningKeys({ file: empty, createIfMissing: false, publicKeysFile: path.join(d, 'public-keys.txt') })).toThrow(
      new SigningKeysError(`APP_SIGNING_KEYS_FILE: ${empty} holds no k4.secret key`),
    )
  })

  it('refuse a keys file that is a directory, set or default, with one line naming APP_SIGNING_KEYS_FILE', () => {
    const d = tempDir()
    const publicKeysFile = path.join(d, 'public-keys.txt')
    fs.mkdirSync(path.join(d, 'signing-keys.txt'))
    for (const createIfMissing of [false, true]) {
      const load = (): unknown => loadSigningKeys({ file: path.join(d, 'signing-keys.txt'), createIfMissing, publicKeysFile })
      expect(load).toThrow(SigningKeysError)
      expect(load).toThrow(`APP_SIGNING_KEYS_FILE: ${path.join(d, 'signing-keys.txt')} is a directory, not a file`)
    }
  })

  it('flag a key file that others can read', () => {
    const d = tempDir()
    const file = path.join(d, 'signing-keys.txt')
    fs.writeFileSync(file, `${generateSecretKey().paserk}\n`, { mode: 0o644 })
    fs.chmodSync(file, 0o644)
    expect(loadSigningKeys({ file, createIfMissing: false, publicKeysFile: path.join(d, 'p.txt') }).looseMode).toBe(true)
  })
})

describe('session cookie secrets', () => {
  it('are made on first run (0600, at least 256 bits) and reused, newest first for express-session', () => {
    const d = tempDir()
    const file = path.join(d, 'keys', 'session-secret.txt')
    const [first] = loadSessionSecrets({ kind: 'file', path: file })
    expect(first?.length).toBeGreaterThanOrEqual(43)
    expect(mode(file)).toBe(0o600)
    expect(loadSessionSecrets({ kind: 'file', path: file })).toEqual([first])
    fs.appendFileSync(file, `${'n'.repeat(40)}\n`)
    expect(loadSessionSecrets({ kind: 'file', path: file })).toEqual(['n'.repeat(40), first])
  })
})
