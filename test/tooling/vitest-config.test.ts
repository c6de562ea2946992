import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

// vitest 4 runs on rolldown-vite, which transforms TypeScript and JSX with oxc: an `esbuild` block
// in vitest.config.ts is ignored (with a warning at every run), so the JSX runtime is set under `oxc`.

const ROOT = path.resolve(import.meta.dirname, '../..')

function runVitest(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Ended before the test's own 60 s limit, so a hung run does not outlive the test.
    timeout: 50_000,
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })))
}

describe('vitest.config.ts', () => {
  it('renders the hono/jsx views with no esbuild-vs-oxc warning', async () => {
    // One test whose 404 page is a .tsx view: it passes only if JSX compiles against hono/jsx.
    const { code, output } = await runVitest(['test/app-server/pages.test.ts', '-t', 'unknown path with a 404 page'])
    expect(output).toContain('vitest: 1 passed, 0 failed')
    expect(code).toBe(0)
    expect(output).not.toMatch(/esbuild/i)
  }, 60_000)
})
