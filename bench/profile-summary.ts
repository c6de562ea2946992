// Summarizes V8 .cpuprofile files (from `npm run bench -- --cpu-prof <dir>`): where the
// server's time went, by function (self time) and by package or source area.
// Usage: node --import tsx bench/profile-summary.ts <file-or-dir>... [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CPUProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

function files(args: readonly string[]): string[] {
  return args.flatMap((arg) =>
    statSync(arg).isDirectory()
      ? readdirSync(arg, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(arg, f))
      : [arg],
  )
}

/** A readable place for a script URL: the npm package, or the repository path. */
function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native/builtin)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]!
  if (url.startsWith('node:')) return url
  const repo = /\/(download-server|app-server|shared|bench)\/(.*)$/.exec(url)
  return repo === null ? url : `${repo[1]}/${repo[2]}`
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us)
}

function summarize(profileFiles: readonly string[], top: number): string {
  const byFunction = new Map<string, number>()
  const byArea = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const file of profileFiles) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CPUProfile
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
    const parents = new Map<number, number>()
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
    const label = (node: ProfileNode): string => {
      const { functionName, url, lineNumber } = node.callFrame
      return `${functionName || '(anonymous)'}  ${area(url, functionName)}${url === '' ? '' : `:${lineNumber + 1}`}`
    }
    profile.samples.forEach((id, index) => {
      const us = profile.timeDeltas[index] ?? 0
      const node = nodes.get(id)!
      const { functionName, url, lineNumber } = node.callFrame
      // Idle is the event loop waiting (also before and after the load): left out of the shares.
      if (functionName === '(idle)') {
        idle += us
        return
      }
      total += us
      const place = area(url, functionName)
      add(byArea, place, us)
      add(byFunction, label(node), us)
      // Inclusive time: each function on the sampled stack once (synchronous stacks only: the
      // part of an async function after an await is charged to whatever resumed it).
      const onStack = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) onStack.add(label(nodes.get(at)!))
      for (const key of onStack) add(inclusive, key, us)
      void lineNumber
    })
  }
  const lines = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`)
  return [
    `${profileFiles.length} profile(s): ${(total / 1e6).toFixed(2)} s busy (the shares below), ${(idle / 1e6).toFixed(2)} s idle`,
    '',
    'self time by area:',
    ...lines(byArea),
    '',
    'self time by function:',
    ...lines(byFunction),
    '',
    'total time by function (self + what it called synchronously), our code and frameworks:',
    ...lines(new Map([...inclusive].filter(([key]) => /(download-server|app-server|shared)\/|hono|paseto|pino|prom-client|better-sqlite3|redis/.test(key)))),
  ].join('\n')
}

const args = process.argv.slice(2)
const topIndex = args.indexOf('--top')
const top = topIndex === -1 ? 25 : Number(args.splice(topIndex, 2)[1])
if (args.length === 0) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file-or-dir>... [--top 25]\n')
  process.exit(2)
}
process.stdout.write(`${summarize(files(args), top)}\n`)
