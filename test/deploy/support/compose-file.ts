import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface ServiceVolume {
  source: string
  target: string
  readOnly: boolean
}

export interface ComposeService {
  image?: string
  build?: unknown
  command?: string[]
  environment?: Record<string, string>
  ports?: { published: number; target: number }[]
  volumes?: string[]
  healthcheck?: { test?: string[]; disable?: boolean }
  depends_on?: Record<string, { condition: string }>
  init?: boolean
  stop_grace_period?: string
}

export interface ComposeConfig {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}

/**
 * docker-compose.yml as `docker-compose config` resolves it (validated, variables interpolated),
 * run with only the given environment so that the caller's shell cannot change the answer.
 * No Docker engine is needed. Without docker-compose this fails, loudly: CI installs it.
 */
export async function composeConfig(env: Record<string, string> = {}): Promise<ComposeConfig> {
  let stdout: string
  try {
    ;({ stdout } = await promisify(execFile)('docker-compose', ['--file', path.join(ROOT, 'docker-compose.yml'), 'config'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 30_000,
    }))
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new Error("docker-compose is not installed: this check validates docker-compose.yml with it (Debian: apt-get install docker-compose; CI's .ci/run installs it)")
    }
    throw new Error(`docker-compose config rejected docker-compose.yml:\n${e.stderr ?? e.message}`)
  }
  return parse(stdout) as ComposeConfig
}

/** `name:/target:rw` → its parts (docker-compose config writes volumes in this short form). */
export function volumesOf(service: ComposeService): ServiceVolume[] {
  return (service.volumes ?? []).map((spec) => {
    const [source = '', target = '', mode = 'rw'] = spec.split(':')
    return { source, target, readOnly: mode.split(',').includes('ro') }
  })
}

/** The volume a container path lies in, and the path inside that volume. */
export function locate(service: ComposeService, containerPath: string): { volume: ServiceVolume; rest: string } | undefined {
  const matches = volumesOf(service)
    .filter((v) => containerPath === v.target || containerPath.startsWith(`${v.target}/`))
    .sort((a, b) => b.target.length - a.target.length)
  const volume = matches[0]
  return volume === undefined ? undefined : { volume, rest: containerPath.slice(volume.target.length) }
}

/**
 * A container path mapped onto this machine: each named volume becomes `<dir>/<volume name>`,
 * so two services that share a volume share the directory, as in Docker.
 */
export function hostPath(service: ComposeService, containerPath: string, dir: string): string {
  const found = locate(service, containerPath)
  if (found === undefined) throw new Error(`${containerPath} is on no volume of the service: it would not survive a restart`)
  return path.join(dir, found.volume.source, found.rest)
}

/**
 * Every environment variable name a service's code reads, found in its config parser and entry
 * point: schema keys (`DL_PORT:`), quoted names (`'DL_ROOT'`) and `process.env.NAME`.
 */
export function settingsReadBy(files: readonly string[]): Set<string> {
  const names = new Set<string>()
  const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+'
  const patterns = [new RegExp(`^\\s*(${NAME})\\s*:`, 'gm'), new RegExp(`['"\`](${NAME})['"\`]`, 'g'), new RegExp(`process\\.env\\.(${NAME})\\b`, 'g')]
  for (const file of files) {
    // Comments may mention settings the code does not read; they do not count.
    const code = fs
      .readFileSync(path.join(ROOT, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:])\/\/.*$/gm, '$1')
    for (const pattern of patterns) for (const match of code.matchAll(pattern)) if (match[1] !== undefined) names.add(match[1])
  }
  return names
}
