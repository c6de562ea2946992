import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  node: string
  wrk: string
  nginx: string
  loadAverage: number[]
}

function firstLine(command: string, args: readonly string[]): string {
  // nginx -v prints on stderr; wrk -v prints its usage too and exits 1.
  const run = spawnSync(command, args, { encoding: 'utf8' })
  if (run.error !== undefined) return `${command} not installed`
  return `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n')[0]!.replace(/\s*\[epoll\].*$/, '').trim()
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown'
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (match !== null) cpuModel = match[1]!.trim()
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    wrk: firstLine('wrk', ['-v']),
    nginx: firstLine('nginx', ['-v']),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  }
}
