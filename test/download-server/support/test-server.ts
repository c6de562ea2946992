import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { parseDownloadConfig } from '../../../download-server/src/config.js'
import { startDownloadServer, type RunningDownloadServer } from '../../../download-server/src/server.js'
import { createIssuer, type TestIssuer } from './issuer.js'
import { REDIS_URL, deleteKeys, newRedisPrefix } from './redis.js'
import { serverEnv } from './server-env.js'

export interface TestServerOptions {
  store?: 'sqlite' | 'redis' | { redisURL: string }
  clock?: () => Date
  env?: Record<string, string>
  shutdownGraceMs?: number
  /** How long a client may take nothing before its response is cut (the server's default otherwise). */
  idleTimeoutMs?: number
}

export interface TestServer {
  url: string
  /** The served directory. */
  root: string
  /** The temporary directory holding root, store and a secret file outside the root. */
  dir: string
  issuer: TestIssuer
  /** Contents of root/report.bin. */
  content: Buffer
  /** Every log line written so far. */
  logs: string[]
  server: RunningDownloadServer
  close(): Promise<void>
}

/**
 * A download server in this process on a free port, over a fresh temporary root:
 * `report.bin` (256 KiB + 17 random bytes), `sub/ünïcode näme.txt`, `empty.txt`, a directory
 * `sub`, and `escape.txt`, a symlink to `secret.txt` outside the root.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-test-'))
  const root = path.join(dir, 'root')
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true })
  const content = randomBytes(256 * 1024 + 17)
  fs.writeFileSync(path.join(root, 'report.bin'), content)
  fs.writeFileSync(path.join(root, 'sub', 'ünïcode näme.txt'), 'hello unicode\n')
  fs.writeFileSync(path.join(root, 'empty.txt'), '')
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'TOP-SECRET-OUTSIDE-ROOT\n')
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'escape.txt'))

  const issuer = createIssuer()
  const logs: string[] = []
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString('utf8'))
        callback()
      },
    }),
  )
  const redisPrefix = newRedisPrefix()
  const store = options.store ?? 'sqlite'
  const jtiStore =
    store === 'sqlite' ? `sqlite:${path.join(dir, 'used.db')}` : store === 'redis' ? REDIS_URL : store.redisURL
  const config = parseDownloadConfig({
    ...serverEnv(root, issuer),
    DL_JTI_STORE: jtiStore,
    DL_REDIS_KEY_PREFIX: redisPrefix,
    ...options.env,
  })
  const server = await startDownloadServer(config, {
    logger,
    clock: options.clock,
    shutdownGraceMs: options.shutdownGraceMs ?? 2000,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  })
  return {
    url: server.url,
    root,
    dir,
    issuer,
    content,
    logs,
    server,
    close: async () => {
      await server.close()
      // Any Redis store here is the local one, reached directly or through a test's relay.
      if (store !== 'sqlite') await deleteKeys(redisPrefix)
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
