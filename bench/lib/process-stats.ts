import { readdirSync, readFileSync } from 'node:fs'

// Server CPU and memory are read from /proc so that they cover every process of a server
// (cluster workers, nginx workers) and nothing of the load generator.
const CLOCK_TICKS_PER_SECOND = 100

interface ProcStat { pid: number; ppid: number; cpuTicks: number }

function readStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined // the process ended between listing and reading
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) }
}

/** The pid and all its living descendants. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat === undefined) continue
    const list = children.get(stat.ppid) ?? []
    list.push(stat.pid)
    children.set(stat.ppid, list)
  }
  const tree: number[] = []
  const queue = [rootPid]
  while (queue.length > 0) {
    const pid = queue.shift()!
    tree.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return tree
}

/** User + system CPU seconds used so far by the given processes (all their threads). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) ticks += readStat(pid)?.cpuTicks ?? 0
  return ticks / CLOCK_TICKS_PER_SECOND
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? 0 : Number(match[1]) * 1024
  } catch {
    return 0
  }
}

/** Resident memory now, summed over the processes, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0)
}

export interface RssSampler { stop(): number }

/** Samples resident memory every `intervalMs`; `stop()` returns the highest sum seen. */
export function sampleRss(pids: readonly number[], intervalMs: number): RssSampler {
  let peak = rssBytes(pids)
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pids))
  }, intervalMs)
  return {
    stop(): number {
      clearInterval(timer)
      return Math.max(peak, rssBytes(pids))
    },
  }
}

/**
 * CPU seconds all processes of the machine have spent, user and system, all cores. Interrupt
 * time is left out: loopback traffic is handled there, and it belongs to no process.
 */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0] = fields
  return (user + nice + system) / CLOCK_TICKS_PER_SECOND
}
