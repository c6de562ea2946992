import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { caseSpecs } from '../../bench/cases/build-cases.js'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

interface Run { code: number | null; stdout: string; stderr: string }

function runQuickBench(): Promise<Run> {
  return new Promise((resolve) => {
    // Its own process group, so that a timeout stops the benchmark (which then stops its
    // servers), not only npm: killing npm alone leaves the servers running.
    const child = spawn('npm', ['run', 'bench', '--', '--quick'], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGTERM'), 170_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

// Keeps the benchmark from rotting: the quick mode must run end to end against the real
// servers. Speed is deliberately not asserted (this machine runs other tests meanwhile), and
// the time limit is generous: ~25 s alone, but the rest of the suite runs beside it.
// Without wrk the run exits non-zero, so this fails rather than skips: CI installs wrk.
describe('npm run bench -- --quick', () => {
  it('completes and prints a table row for every case', async () => {
    const run = await runQuickBench()
    const output = `${run.stdout}\n--- stderr ---\n${run.stderr.split('\n').slice(-40).join('\n')}`
    expect(run.code, output).toBe(0)
    for (const spec of caseSpecs(64)) {
      expect(run.stdout, `no row for ${spec.id}\n${output}`).toMatch(new RegExp(`^${spec.id}\\s+\\S`, 'm'))
    }
    expect(run.stdout).not.toMatch(/^cases with errors:/m)
  }, 180_000)
})
