import cluster from 'node:cluster'

/**
 * For the baselines that run one process per core: in the primary, forks `workers` copies of
 * this script, passes SIGTERM on to them and returns true (the caller then does nothing more);
 * in a worker, or with one worker, returns false (the caller serves).
 */
export function forkWorkers(workers: number): boolean {
  if (!cluster.isPrimary || workers <= 1) return false
  for (let i = 0; i < workers; i += 1) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exit(0)
  })
  return true
}
