import { existsSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { startDownloadServerProcess, type DownloadServerProcess } from '../lib/download-server-process.js'
import { findFreePort } from '../lib/free-port.js'
import { nodeArgs } from '../lib/node-args.js'
import { findNginx, startNginx } from '../lib/nginx-server.js'
import { startService, type ServiceProcess } from '../lib/service-process.js'
import type { BenchContext } from './bench-context.js'
import { startIssuingServers, type IssuingServers } from './issuing-servers.js'

export type HTTPService = ServiceProcess & { readonly url: string }
/** A started service, the error that kept it from starting, or undefined when not wanted. */
export type Outcome<T> = T | Error | undefined

export interface Services {
  sqlite1: Outcome<DownloadServerProcess>
  sqlite2: Outcome<DownloadServerProcess>
  redis1: Outcome<DownloadServerProcess>
  redis2: Outcome<DownloadServerProcess>
  nodeStatic: Outcome<HTTPService>
  ceiling: Outcome<HTTPService>
  ceilingPaseto: Outcome<HTTPService>
  nginx: Outcome<HTTPService>
  issuing: Outcome<IssuingServers>
  workersSupported: boolean
  nginxInstalled: boolean
  all: ServiceProcess[]
}

/** The download server reads DL_WORKERS only once someone implements it; until then, n/a. */
function workersSupported(repoRoot: string): boolean {
  const config = path.join(repoRoot, 'download-server', 'src', 'config.ts')
  return existsSync(config) && readFileSync(config, 'utf8').includes('DL_WORKERS')
}

async function outcome<T>(wanted: boolean, start: () => Promise<T>): Promise<Outcome<T>> {
  if (!wanted) return undefined
  try {
    return await start()
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/** Starts, in parallel, every server the wanted cases need, each in its own process. */
export async function startServices(ctx: BenchContext, wanted: (caseId: string) => boolean): Promise<Services> {
  const { options, files, tempDir, repoRoot } = ctx
  const logDir = path.join(tempDir, 'logs')
  await mkdir(logDir, { recursive: true })
  const all: ServiceProcess[] = []
  const keep = <T extends ServiceProcess>(service: T): T => {
    all.push(service)
    return service
  }
  const download = async (name: string, store: 'sqlite' | 'redis', workers: number): Promise<DownloadServerProcess> => {
    const dir = path.join(tempDir, name)
    await mkdir(dir, { recursive: true })
    return keep(
      await startDownloadServerProcess({
        name,
        repoRoot,
        logDir,
        root: files.root,
        publicKeys: ctx.publicPASERK,
        issuer: ctx.issuer,
        audience: ctx.audience,
        store: store === 'sqlite' ? `sqlite:${path.join(dir, 'used-tokens.db')}` : options.redisURL,
        workers: workers === 1 ? undefined : workers,
        cpuProfileDir: options.cpuProfileDir,
        extraEnv: {
          ...options.downloadServerEnv,
          ...(store === 'redis' ? { DL_REDIS_KEY_PREFIX: `${ctx.redisKeyPrefix}${name}:` } : {}),
        },
      }),
    )
  }
  const staticNode = async (): Promise<HTTPService> => {
    const port = await findFreePort()
    const url = `http://127.0.0.1:${port}`
    const service = await startService({
      name: 'static-node',
      command: process.execPath,
      args: nodeArgs(path.join('bench', 'baselines', 'static-file-server.ts'), { name: 'static-node', cpuProfileDir: ctx.options.cpuProfileDir }),
      cwd: repoRoot,
      env: { ...process.env, STATIC_ROOT: files.root, STATIC_PORT: String(port) },
      logFile: path.join(logDir, 'static-node.log'),
      readyUrl: `${url}/${files.small.name}`,
    })
    return Object.assign(keep(service), { url })
  }
  const ceiling = async (name: string, check: 'crypto' | 'package'): Promise<HTTPService> => {
    const port = await findFreePort()
    const url = `http://127.0.0.1:${port}`
    const service = await startService({
      name,
      command: process.execPath,
      args: nodeArgs(path.join('bench', 'baselines', 'verify-only-server.ts'), { name, cpuProfileDir: ctx.options.cpuProfileDir }),
      cwd: repoRoot,
      env: {
        ...process.env,
        CEILING_PORT: String(port),
        CEILING_CHECK: check,
        CEILING_PUBLIC_KEY: ctx.publicPASERK,
        CEILING_ISSUER: ctx.issuer,
        CEILING_AUDIENCE: ctx.audience,
        CEILING_FILE: path.join(files.root, files.small.name),
        CEILING_WORKERS: String(ctx.cpuCount),
      },
      logFile: path.join(logDir, `${name}.log`),
      readyUrl: `${url}/healthz`,
    })
    return Object.assign(keep(service), { url })
  }
  const nginxBinary = findNginx()
  const nginx = async (): Promise<HTTPService> => {
    const port = await findFreePort()
    const service = await startNginx({ binary: nginxBinary!, root: files.root, dir: tempDir, port })
    return Object.assign(keep(service), { url: `http://127.0.0.1:${port}` })
  }
  const hasWorkers = workersSupported(repoRoot)
  const needsSQLite1 = wanted('dl-sqlite-1w') || wanted('dl-used') || wanted('large-dl')
  const [sqlite1, sqlite2, redis1, redis2, nodeStatic, nginxService, issuing, ceilingService, ceilingPasetoService] = await Promise.all([
    outcome(needsSQLite1, () => download('dl-sqlite-1w', 'sqlite', 1)),
    outcome(hasWorkers && wanted('dl-sqlite-2w'), () => download('dl-sqlite-2w', 'sqlite', 2)),
    outcome(wanted('dl-redis-1w'), () => download('dl-redis-1w', 'redis', 1)),
    outcome(hasWorkers && wanted('dl-redis-2w'), () => download('dl-redis-2w', 'redis', 2)),
    outcome(wanted('large-node'), staticNode),
    outcome(nginxBinary !== undefined && wanted('large-nginx'), nginx),
    outcome(wanted('issue-baseline') || wanted('issue-app'), () => startIssuingServers(ctx, logDir, keep)),
    outcome(wanted('dl-ceiling'), () => ceiling('dl-ceiling', 'crypto')),
    outcome(wanted('dl-ceiling-paseto'), () => ceiling('dl-ceiling-paseto', 'package')),
  ])
  return {
    sqlite1,
    sqlite2,
    redis1,
    redis2,
    nodeStatic,
    ceiling: ceilingService,
    ceilingPaseto: ceilingPasetoService,
    nginx: nginxService,
    issuing,
    workersSupported: hasWorkers,
    nginxInstalled: nginxBinary !== undefined,
    all,
  }
}
