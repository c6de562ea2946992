import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateSecretKey } from '../../shared/src/index.js'
import { ConfigError } from '../../download-server/src/config-error.js'
import { parseDownloadConfig } from '../../download-server/src/config.js'

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-config-resume-')))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const env = (over: Record<string, string>): Record<string, string> => ({
  DL_ROOT: dir,
  DL_PUBLIC_KEYS: generateSecretKey().publicKey.paserk,
  DL_ISSUER: 'https://app.example',
  DL_AUDIENCE: 'https://dl.example',
  ...over,
})

describe('DL_RESUME settings', () => {
  it('is off with 3 resumptions and a 30 s lease unless set', () => {
    expect(parseDownloadConfig(env({})).resume).toEqual({ enabled: false, maxResumptions: 3, leaseMs: 30_000 })
    expect(parseDownloadConfig(env({ DL_RESUME: 'ON', DL_RESUME_MAX: '0', DL_RESUME_LEASE_MS: '100' })).resume).toEqual({
      enabled: true,
      maxResumptions: 0,
      leaseMs: 100,
    })
  })

  it('never takes a lease over the contract’s 30 s, and says so in one line naming the variable', () => {
    try {
      parseDownloadConfig(env({ DL_RESUME_LEASE_MS: '30001' }))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).lines()).toEqual([expect.stringMatching(/^DL_RESUME_LEASE_MS: /)])
    }
  })
})
