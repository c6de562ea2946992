import net from 'node:net'
import path from 'node:path'
import { request } from 'undici'
import { parseDownloadConfig } from '../../../download-server/src/config.js'
import { startDownloadServer } from '../../../download-server/src/server.js'
import type { RunningDownloadServer } from '../../../download-server/src/server.js'
import { createLogger } from '../../../app-server/src/logging/create-logger.js'
import { AUDIENCE, ISSUER } from './app-harness.js'
import type { LogCollector } from './app-harness.js'

/**
 * A real download server serving a harness's DATA_DIR/files with its keys, on `port` (0: any),
 * with extra DL_* settings (e.g. a Redis store). For tests that start, stop and restart the
 * download server themselves (the harness's own is started with `downloadServer: false` off).
 */
export async function startDownload(options: { dataDir: string; logs: LogCollector; port?: number; env?: Record<string, string> }): Promise<RunningDownloadServer> {
  return startDownloadServer(
    parseDownloadConfig({
      DL_PORT: String(options.port ?? 0),
      DL_ROOT: path.join(options.dataDir, 'files'),
      DL_PUBLIC_KEYS_FILE: path.join(options.dataDir, 'keys', 'public-keys.txt'),
      DL_ISSUER: ISSUER,
      DL_AUDIENCE: AUDIENCE,
      DL_JTI_STORE: `sqlite:${path.join(options.dataDir, 'used-tokens.db')}`,
      ...options.env,
    }),
    { logger: createLogger({ level: 'debug', destination: options.logs, extraRedactPaths: ['req.url', 'url'] }), shutdownGraceMs: 500 },
  )
}

/** A loopback port that was free a moment ago (for a server started later on it). */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** GET a download link; the status and the problem code (on a refusal). */
export async function fetchLink(url: string): Promise<{ status: number; code: string | undefined; bytes: number }> {
  const res = await request(url, { headers: { accept: 'application/json' } })
  const body = Buffer.from(await res.body.arrayBuffer())
  let code: string | undefined
  if (res.statusCode >= 400) code = (JSON.parse(body.toString('utf8')) as { code?: string }).code
  return { status: res.statusCode, code, bytes: body.length }
}

/** Polls `check` every 25 ms until it holds, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
