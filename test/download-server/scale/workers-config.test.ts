import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSecretKey } from '../../../shared/src/index.js'
import { ConfigError } from '../../../download-server/src/config-error.js'
import { MAX_WORKERS, parseDownloadConfig } from '../../../download-server/src/config.js'

let dir: string
const key = generateSecretKey().publicKey
const env = (workers: string | undefined, extra: Record<string, string> = {}): Record<string, string | undefined> => ({
  DL_ROOT: dir,
  DL_PUBLIC_KEYS: key.paserk,
  DL_ISSUER: 'https://app.example',
  DL_AUDIENCE: 'https://dl.example',
  DL_WORKERS: workers,
  ...extra,
})
const workersOf = (value: string | undefined, cpuCount = 6): number => parseDownloadConfig(env(value), { cwd: dir, cpuCount }).workers

function issuesOf(value: string, extra: Record<string, string> = {}): string[] {
  try {
    parseDownloadConfig(env(value, extra), { cwd: dir, cpuCount: 6 })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).lines()
  }
  throw new Error('expected a ConfigError')
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-workers-config-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('DL_WORKERS', () => {
  it('is 1 (no cluster) unless set', () => {
    expect(workersOf(undefined)).toBe(1)
    expect(workersOf('')).toBe(1)
  })

  it('takes a whole number of workers', () => {
    expect(workersOf('2')).toBe(2)
    expect(workersOf(String(MAX_WORKERS))).toBe(MAX_WORKERS)
  })

  it('is the number of CPUs for auto (any case), at most the maximum', () => {
    expect(workersOf('auto', 6)).toBe(6)
    expect(workersOf('AUTO', 2)).toBe(2)
    expect(workersOf('auto', MAX_WORKERS * 4)).toBe(MAX_WORKERS)
  })

  it('refuses zero, too many, fractions and words, in one line naming DL_WORKERS', () => {
    for (const value of ['0', String(MAX_WORKERS + 1), '1.5', 'many', '-2']) {
      const lines = issuesOf(value)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^DL_WORKERS: must be /)
    }
  })
})

describe('DL_VERIFY_ON', () => {
  const verifyOnOf = (workers: string | undefined, cpuCount: number, verifyOn?: string): string =>
    parseDownloadConfig(env(workers, verifyOn === undefined ? {} : { DL_VERIFY_ON: verifyOn }), { cwd: dir, cpuCount }).verifyOn

  it('is auto: the thread pool while there are fewer workers than CPUs, the event loop otherwise', () => {
    expect(verifyOnOf(undefined, 2)).toBe('threadpool')
    expect(verifyOnOf('3', 4)).toBe('threadpool')
    expect(verifyOnOf('2', 2)).toBe('caller')
    expect(verifyOnOf('auto', 8)).toBe('caller')
    expect(verifyOnOf(undefined, 1)).toBe('caller')
  })

  it('takes caller or threadpool as given, whatever the worker count', () => {
    expect(verifyOnOf('2', 2, 'threadpool')).toBe('threadpool')
    expect(verifyOnOf('1', 8, 'CALLER')).toBe('caller')
  })

  it('refuses anything else in one line naming DL_VERIFY_ON', () => {
    expect(issuesOf('1', { DL_VERIFY_ON: 'gpu' })).toEqual(['DL_VERIFY_ON: must be auto, caller or threadpool'])
  })
})
