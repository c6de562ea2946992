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

/** One of the bench/baselines issuers on a free port, ready once `GET /files/1/download` answers `readyStatus`. */
async function startIssuerBaseline(
  ctx: BenchContext,
  logDir: string,
  keep: (s: ServiceProcess) => void,
  options: { name: string; script: string; env: Record<string, string>; readyStatus: number },
): Promise<ServiceProcess & { url: string }> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  const service = await startService({
    name: options.name,
    command: process.execPath,
    args: nodeArgs(path.join('bench', 'baselines', options.script), { name: options.name, cpuProfileDir: ctx.options.cpuProfileDir }),
    cwd: ctx.repoRoot,
    env: { ...process.env, NODE_ENV: 'production', ISSUER_PORT: String(port), ...options.env },
    logFile: path.join(logDir, `${options.name}.log`),
    readyUrl: `${url}/files/1/download`,
    isReady: (status) => status === options.readyStatus,
  })
  keep(service)
  return Object.assign(service, { url })
}

async function startBaseline(ctx: BenchContext, logDir: string, keep: (s: ServiceProcess) => void): Promise<IssuingServer> {
  const server = await startIssuerBaseline(ctx, logDir, keep, {
    name: 'issue-baseline',
    script: 'memory-session-issuer.ts',
    env: { ISSUER_USER: 'bench' },
    readyStatus: 401,
  })
  const login = await request(`${server.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=bench',
  })
  await login.body.dump()
  const cookie = cookieHeader(login.headers['set-cookie'])
  if (login.statusCode !== 204 || cookie === '') throw new Error(`baseline sign-in answered ${login.statusCode}`)
  return { server, session: { path: '/files/1/download', cookie } }
}

/** bench/baselines/bare-express-issuer.ts, one process per core; it takes any cookie. */
async function startCeiling(ctx: BenchContext, logDir: string, keep: (s: ServiceProcess) => void): Promise<IssuingServer> {
  const server = await startIssuerBaseline(ctx, logDir, keep, {
    name: 'issue-ceiling',
    script: 'bare-express-issuer.ts',
    env: { ISSUER_WORKERS: String(ctx.cpuCount) },
    readyStatus: 303,
  })
  return { server, session: { path: '/files/1/download', cookie: 'none=1' } }
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
