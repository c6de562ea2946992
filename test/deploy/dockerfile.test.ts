import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './support/compose-file.js'

interface Instruction {
  keyword: string
  args: string
}

/** Dockerfile instructions, continuation lines joined and comments dropped, split by stage. */
function stages(text: string): Instruction[][] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/)
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') }
    })
  const result: Instruction[][] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') result.push([])
    result.at(-1)?.push(instruction)
  }
  return result
}

const dockerfile = stages(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))
const runtime = dockerfile.at(-1) ?? []
const last = (keyword: string): string | undefined => runtime.filter((i) => i.keyword === keyword).at(-1)?.args
const packageJSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }

describe('Dockerfile', () => {
  it('builds every stage on node:20-bookworm-slim, in two stages', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2)
    for (const stage of dockerfile) expect(stage[0]?.args).toMatch(/^node:20-bookworm-slim( AS \w+)?$/i)
  })

  it('installs dependencies with npm ci from the lock file, with the tools better-sqlite3 compiles with', () => {
    const build = dockerfile[0] ?? []
    const copyLock = build.findIndex((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json'))
    const npmCI = build.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))
    expect(copyLock).toBeGreaterThan(-1)
    expect(npmCI).toBeGreaterThan(copyLock)
    expect(build.some((i) => i.keyword === 'RUN' && /\bnpm install\b/.test(i.args))).toBe(false)
    const apt = build.find((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'))?.args ?? ''
    for (const tool of ['python3', 'make', 'g++']) expect(apt.split(/\s+/)).toContain(tool)
  })

  it('runs as the non-root node user', () => {
    expect(last('USER')).toBe('node')
    const userAt = runtime.findLastIndex((i) => i.keyword === 'USER')
    expect(runtime.slice(userAt + 1).some((i) => i.keyword === 'RUN')).toBe(false)
  })

  it('has no compiler in the runtime stage: it copies the built node_modules', () => {
    expect(runtime.some((i) => i.keyword === 'RUN' && /apt-get install|npm (ci|install)/.test(i.args))).toBe(false)
    expect(runtime.some((i) => i.keyword === 'COPY' && /--from=\w+ \S*node_modules/.test(i.args))).toBe(true)
  })

  it('health-checks /healthz, stops on SIGTERM and starts the download server by default', () => {
    expect(last('HEALTHCHECK')).toContain('process.env.HEALTHCHECK_URL')
    expect(last('ENV')).toMatch(/HEALTHCHECK_URL=http:\/\/127\.0\.0\.1:3001\/healthz/)
    expect(last('STOPSIGNAL')).toBe('SIGTERM')
    expect((JSON.parse(last('CMD') ?? '[]') as string[]).join(' ')).toBe(packageJSON.scripts['start:download'])
  })

  it('copies every source tree the services and the CLI run from', () => {
    const copied = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args)
    for (const dir of ['shared', 'download-server', 'app-server', 'cli']) expect(copied).toContain(`${dir} ./${dir}`)
  })
})

describe('.dockerignore', () => {
  const rules = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))

  it('sends nothing by default, so local data, keys and node_modules never reach the image', () => {
    expect(rules[0]).toBe('*')
    for (const rule of rules.filter((r) => r.startsWith('!'))) expect(rule).not.toMatch(/^!(data|node_modules|\.git|\.env)/)
  })

  it('lets in what the runtime stage copies', () => {
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'shared/src/**', 'download-server/src/**', 'app-server/src/**', 'cli/src/**', 'cli/bin.js']) {
      expect(rules).toContain(`!${needed}`)
    }
  })
})
