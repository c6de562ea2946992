import path from 'node:path'

/**
 * Arguments to run a TypeScript entry point with node, as the npm scripts do; with a profile
 * directory, under `--cpu-prof` too (one subdirectory per server, written when it exits).
 */
export function nodeArgs(entry: string, options: { name: string; cpuProfileDir?: string }): string[] {
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfileDir, options.name)}`]
  return [...profile, '--import', 'tsx', entry]
}
