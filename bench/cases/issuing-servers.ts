import path from 'node:path'
import { request } from 'undici'
import { findFreePort } from '../lib/free-port.js'
import { nodeArgs } from '../lib/node-args.js'
import { startService, type ServiceProcess } from '../lib/service-process.js'
import type { BenchContext } from './bench-context.js'
import type { SignedInSession } from './issuing-cases.js'
import { startAppServer } from './app-server-session.js'

export interface IssuingServer { server: ServiceProcess & { url: string }; session: SignedInSession }
export interface IssuingServers { baseline: IssuingServer | Error; ceiling: IssuingServer | Error; app: IssuingServer | Error; app2: IssuingServer | Error }

/** The `name=value` pairs of Set-Cookie headers, as one Cookie header value. */
export function cookieHeader(setCookie: string | string[] | undefined): string {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]
  return list.map((line) => line.split(';')[0]!.trim()).join('; ')
}

async function startBaseline(ctx: BenchContext, logDir: string, keep: (s: ServiceProcess) => void): Promise<IssuingServer> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  const service = await startService({
    name: 'issue-baseline',
    command: process.execPath,
    args: nodeArgs(path.join('bench', 'baselines', 'memory-session-issuer.ts'), { name: 'issue-baseline', cpuProfileDir: ctx.options.cpuProfileDir }),
    cwd: ctx.repoRoot,
    env: { ...process.env, NODE_ENV: 'production', ISSUER_PORT: String(port), ISSUER_USER: 'bench' },
    logFile: path.join(logDir, 'issue-baseline.log'),
    readyUrl: `${url}/files/1/download`,
    isReady: (status) => status === 401,
  })
  keep(service)
  const login = await request(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=bench',
  })
  await login.body.dump()
  const cookie = cookieHeader(login.headers['set-cookie'])
  if (login.statusCode !== 204 || cookie === '') throw new Error(`baseline sign-in answered ${login.statusCode}`)
  return { server: Object.assign(service, { url }), session: { path: '/files/1/download', cookie } }
}

/** bench/baselines/bare-express-issuer.ts, one process per core; it takes any cookie. */
async function startCeiling(ctx: BenchContext, logDir: string, keep: (s: ServiceProcess) => void): Promise<IssuingServer> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  const service = await startService({
    name: 'issue-ceiling',
    command: process.execPath,
    args: nodeArgs(path.join('bench', 'baselines', 'bare-express-issuer.ts'), { name: 'issue-ceiling', cpuProfileDir: ctx.options.cpuProfileDir }),
    cwd: ctx.repoRoot,
    env: { ...process.env, NODE_ENV: 'production', ISSUER_PORT: String(port), ISSUER_WORKERS: String(ctx.cpuCount) },
    logFile: path.join(logDir, 'issue-ceiling.log'),
    readyUrl: `${url}/files/1/download`,
    isReady: (status) => status === 303,
  })
  keep(service)
  return { server: Object.assign(service, { url }), session: { path: '/files/1/download', cookie: 'none=1' } }
}

async function settle<T>(promise: Promise<T>): Promise<T | Error> {
  try {
    return await promise
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

export async function startIssuingServers(ctx: BenchContext, logDir: string, keep: (s: ServiceProcess) => void): Promise<IssuingServers> {
  const [baseline, ceiling, app, app2] = await Promise.all([
    settle(startBaseline(ctx, logDir, keep)),
    settle(startCeiling(ctx, logDir, keep)),
    settle(startAppServer(ctx, logDir, keep, { name: 'issue-app', workers: 1 })),
    settle(startAppServer(ctx, logDir, keep, { name: 'issue-app-2w', workers: 2 })),
  ])
  return { baseline, ceiling, app, app2 }
}
