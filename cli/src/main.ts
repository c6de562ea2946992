// Entry point of the operator CLI (`tokens-done-right`, cli/bin.js): the only file that reads
// process.argv and the process's streams; everything else takes them as arguments.
import fs from 'node:fs'
import { text } from 'node:stream/consumers'
import { runCLI } from './program.js'

// A reader that stops early (`token inspect … | head -3`) closes the pipe: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

process.exitCode = await runCLI(process.argv.slice(2), {
  cwd: process.cwd(),
  readFile: (file) => fs.promises.readFile(file, 'utf8'),
  readStdin: () => text(process.stdin),
  now: () => new Date(),
  version,
  output: {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
})
