import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createKeySet, createTokenVerifier, parsePublicKey } from '../../shared/src/index.js'

// docs/token-format.md shows an example token; this keeps it true.
const doc = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'token-format.md'), 'utf8')

describe('docs/token-format.md example', () => {
  const token = /^v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/m.exec(doc)?.[0]
  const paserk = /throwaway key \(`(k4\.public\.[A-Za-z0-9_-]+)`/.exec(doc)?.[1]
  const kid = /key id\s+`(k4\.pid\.[A-Za-z0-9_-]+)`/.exec(doc)?.[1]

  it('verifies with the key, issuer and audience the page names, and decodes to the payload and footer it shows', async () => {
    expect(token).toBeDefined()
    const key = parsePublicKey(paserk!)
    expect(key.kid).toBe(kid)
    const verifier = createTokenVerifier({ keys: createKeySet([key]), issuer: 'https://app.example.com', audience: 'https://files.example.com', clockToleranceSeconds: 0 })
    const { claims } = await verifier.verifyDownload(token!, { now: new Date('2030-01-15T09:30:00Z') })
    expect(claims.file).toBe('alice/reports/q3-2029.pdf')
    const [, , payload, footer] = token!.split('.')
    expect(doc).toContain('```json\n' + Buffer.from(payload!, 'base64url').subarray(0, -64).toString() + '\n```')
    expect(doc).toContain('```json\n' + Buffer.from(footer!, 'base64url').toString() + '\n```')
  })
})
