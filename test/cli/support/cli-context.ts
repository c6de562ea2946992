import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CLIContext } from '../../../cli/src/program.js'
import type { Output } from '../../../cli/src/output.js'

export interface CapturedOutput extends Output {
  stdout: string[]
  stderr: string[]
}

/** An Output that keeps every line, for assertions. */
export function captureOutput(): CapturedOutput {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) }
}

/** A CLI context on a temporary directory, with a fixed clock and a given standard input. */
export function testContext(options: { cwd: string; now?: Date; stdin?: string }): CLIContext & { output: CapturedOutput } {
  return {
    cwd: options.cwd,
    readFile: (file) => fs.promises.readFile(file, 'utf8'),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    now: () => options.now ?? new Date(),
    version: '0.0.0-test',
    output: captureOutput(),
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tdr-cli-'))
}
