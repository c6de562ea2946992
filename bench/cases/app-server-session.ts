import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { request } from 'undici'
import { findFreePort } from '../lib/free-port.js'
import { nodeArgs } from '../lib/node-args.js'
import { startService, type ServiceProcess } from '../lib/service-process.js'
import type { BenchContext } from './bench-context.js'
import type { IssuingServer } from './issuing-servers.js'

const USER = 'bench'
const PASSWORD = 'bench-password-not-secret'

/** Cookies by name, updated from each answer's Set-Cookie, sent back as one header. */
class CookieJar {
  readonly #cookies = new Map<string, string>()
  take(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      if (at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

/** The demo user (with its sample files) and an admin, through the app's own seeding code. */
async function seed(dataDir: string): Promise<void> {
  const { dataPaths } = await import('../../app-server/src/server.js')
  const { openAppDatabase } = await import('../../app-server/src/db/open-app-database.js')
  const { seedDemo } = await import('../../app-server/src/demo/seed-demo.js')
  const { createPasswordHasher } = await import('../../app-server/src/users/password-hasher.js')
  const paths = dataPaths(dataDir)
  await mkdir(paths.filesDir, { recursive: true, mode: 0o700 })
  const db = openAppDatabase(paths.database)
  try {
    await seedDemo({
      db,
      hasher: await createPasswordHasher(),
      filesDir: paths.filesDir,
      clock: () => new Date(),
      demo: { user: USER, password: PASSWORD, adminUser: 'bench-admin', adminPassword: `${PASSWORD}-admin` },
    })
  } finally {
    db.close()
  }
}

async function signIn(url: string): Promise<{ cookie: string; downloadPath: string }> {
  const jar = new CookieJar()
  const get = async (pathname: string): Promise<{ status: number; body: string }> => {
    const response = await request(`${url}${pathname}`, { headers: { cookie: jar.header() } })
    jar.take(response.headers['set-cookie'])
    return { status: response.statusCode, body: await response.body.text() }
  }
  const page = await get('/login')
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const form = new URLSearchParams({ username: USER, password: PASSWORD, _csrf: csrf })
  const login = await request(`${url}/login`, {
    method: 'POST',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  jar.take(login.headers['set-cookie'])
  await login.body.dump()
  if (login.statusCode !== 303) throw new Error(`app sign-in answered ${login.statusCode} (csrf field ${csrf === '' ? 'missing' : 'found'})`)
  const files = await get('/files')
  // The first listed file is the demo's small welcome.txt.
  const downloadPath = /href="(\/files\/[^"/]+\/download)"/.exec(files.body)?.[1]
  if (files.status !== 200 || downloadPath === undefined) throw new Error(`the files page (${files.status}) lists no download link`)
  return { cookie: jar.header(), downloadPath }
}

/**
 * The real app server (`npm run start:app`: node --import tsx app-server/src/main.ts) on a
 * fresh DATA_DIR with its default SQLite session store, `options.workers` processes
 * (`APP_WORKERS`), and a signed-in user who owns files.
 */
export async function startAppServer(
  ctx: BenchContext,
  logDir: string,
  keep: (s: ServiceProcess) => void,
  options: { name: string; workers: number },
): Promise<IssuingServer> {
  const { name } = options
  const dataDir = path.join(ctx.tempDir, name)
  await seed(dataDir)
  const [port, downloadPort] = [await findFreePort(), await findFreePort()]
  const url = `http://127.0.0.1:${port}`
  const service = await startService({
    name,
    command: process.execPath,
    args: nodeArgs(path.join('app-server', 'src', 'main.ts'), { name, cpuProfileDir: ctx.options.cpuProfileDir }),
    cwd: ctx.repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      APP_HOST: '127.0.0.1',
      APP_PORT: String(port),
      APP_WORKERS: String(options.workers),
      // Only the base of the 303's Location: nothing listens there during this case.
      DL_PORT: String(downloadPort),
    },
    logFile: path.join(logDir, `${name}.log`),
    readyUrl: `${url}/login`,
    ...(options.workers > 1 ? { readyLogLine: new RegExp(`with ${options.workers} workers`) } : {}),
  })
  keep(service)
  const session = await signIn(url)
  return { server: Object.assign(service, { url }), session: { path: session.downloadPath, cookie: session.cookie } }
}
