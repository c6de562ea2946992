import path from 'node:path'
import { startService, type ServiceProcess } from './service-process.js'
import { findFreePort } from './free-port.js'
import { nodeArgs } from './node-args.js'

export interface DownloadServerProcess extends ServiceProcess { readonly url: string }

export interface StartDownloadServerOptions {
  name: string
  repoRoot: string
  logDir: string
  root: string
  publicKeys: string
  issuer: string
  audience: string
  store: string
  workers?: number
  cpuProfileDir?: string
  extraEnv?: Record<string, string>
}

/**
 * The real download server, started the way `npm run start:download` starts it
 * (node --import tsx download-server/src/main.ts, configured only by its environment).
 */
export async function startDownloadServerProcess(options: StartDownloadServerOptions): Promise<DownloadServerProcess> {
  const port = await findFreePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DL_HOST: '127.0.0.1',
    DL_PORT: String(port),
    DL_ROOT: options.root,
    DL_PUBLIC_KEYS: options.publicKeys,
    DL_ISSUER: options.issuer,
    DL_AUDIENCE: options.audience,
    DL_JTI_STORE: options.store,
    ...(options.workers === undefined ? {} : { DL_WORKERS: String(options.workers) }),
    ...options.extraEnv,
  }
  const url = `http://127.0.0.1:${port}`
  const service = await startService({
    name: options.name,
    command: process.execPath,
    args: nodeArgs(path.join('download-server', 'src', 'main.ts'), { name: options.name, cpuProfileDir: options.cpuProfileDir }),
    cwd: options.repoRoot,
    env,
    logFile: path.join(options.logDir, `${options.name}.log`),
    readyUrl: `${url}/healthz`,
    ...(options.workers !== undefined && options.workers > 1 ? { readyLogLine: new RegExp(`\\(${options.workers} workers\\)`) } : {}),
  })
  return Object.assign(service, { url })
}
