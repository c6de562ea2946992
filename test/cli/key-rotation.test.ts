import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDownloadConfig } from '../../download-server/src/config.js'
import { startDownloadServer, type RunningDownloadServer } from '../../download-server/src/server.js'
import { runCLI } from '../../cli/src/program.js'
import { tempDir, testContext } from './support/cli-context.js'

// Key rotation as docs/deploy.md tells an operator to do it, with the CLI and a real download
// server over loopback: add the new public key, restart; sign with the new key; once the old
// key's tokens have expired, remove it and restart.

const ISS = 'https://app.example'
const AUD = 'https://dl.example'
const FILE_CONTENT = 'rotation test file\n'

let dir: string
let server: RunningDownloadServer | undefined

async function cli(args: string[]): Promise<string> {
  const context = testContext({ cwd: dir })
  const status = await runCLI(args, context)
  expect(status, context.output.stderr.join('\n')).toBe(0)
  return context.output.stdout.join('\n')
}

const mint = (keyName: string): Promise<string> =>
  cli(['token', 'mint', '--key', `@keys/${keyName}.k4.secret`, '--file', 'hello.txt', '--iss', ISS, '--aud', AUD, '--lifetime', '60'])

function trust(...keyNames: string[]): void {
  const lines = keyNames.map((name) => fs.readFileSync(path.join(dir, 'keys', `${name}.k4.public`), 'utf8').trim())
  fs.writeFileSync(path.join(dir, 'public-keys.txt'), `# trusted keys\n${lines.join('\n')}\n`)
}

/** (Re)starts the download server: it reads DL_PUBLIC_KEYS_FILE when it starts. */
async function restart(): Promise<RunningDownloadServer> {
  await server?.close()
  const config = parseDownloadConfig({
    DL_HOST: '127.0.0.1',
    DL_PORT: '0',
    DL_ROOT: path.join(dir, 'root'),
    DL_PUBLIC_KEYS_FILE: path.join(dir, 'public-keys.txt'),
    DL_ISSUER: ISS,
    DL_AUDIENCE: AUD,
    DL_JTI_STORE: `sqlite:${path.join(dir, 'used-tokens.db')}`,
  })
  server = await startDownloadServer(config, { logger: pino({ level: 'silent' }), shutdownGraceMs: 1000 })
  return server
}

async function download(token: string): Promise<{ status: number; body: string; code?: string }> {
  const response = await request(`${server?.url}/d/${token}`, { headers: { accept: 'application/json' } })
  const body = await response.body.text()
  const isProblem = String(response.headers['content-type']).startsWith('application/problem+json')
  return { status: response.statusCode, body, ...(isProblem ? { code: (JSON.parse(body) as { code: string }).code } : {}) }
}

beforeAll(async () => {
  dir = tempDir()
  fs.mkdirSync(path.join(dir, 'root'))
  fs.writeFileSync(path.join(dir, 'root', 'hello.txt'), FILE_CONTENT)
  await cli(['keys', 'generate', '--out-dir', 'keys', '--name', 'old'])
  trust('old')
  await restart()
})

afterAll(async () => {
  await server?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('key rotation, end to end', () => {
  let oldTokenMintedBeforeRemoval = ''

  it('serves a token signed with the only key', async () => {
    expect(await download(await mint('old'))).toMatchObject({ status: 200, body: FILE_CONTENT })
  })

  it('refuses a token of a key not yet trusted with key_unknown', async () => {
    await cli(['keys', 'generate', '--out-dir', 'keys', '--name', 'new'])
    expect(await download(await mint('new'))).toMatchObject({ status: 401, code: 'key_unknown' })
  })

  it('serves tokens of both the old and the new key while it trusts both', async () => {
    trust('old', 'new')
    await restart()
    const ids = await cli(['keys', 'id', '@public-keys.txt'])
    expect(ids.split('\n')).toHaveLength(2)

    const oldToken = await mint('old')
    const newToken = await mint('new')
    oldTokenMintedBeforeRemoval = await mint('old')
    expect(await download(oldToken)).toMatchObject({ status: 200, body: FILE_CONTENT })
    expect(await download(newToken)).toMatchObject({ status: 200, body: FILE_CONTENT })
    // Single use holds across keys and restarts alike.
    expect(await download(oldToken)).toMatchObject({ status: 410, code: 'token_used' })
  })

  it('refuses tokens of the removed old key with key_unknown, and still serves the new key', async () => {
    trust('new')
    await restart()
    expect(await download(oldTokenMintedBeforeRemoval)).toMatchObject({ status: 401, code: 'key_unknown' })
    expect(await download(await mint('old'))).toMatchObject({ status: 401, code: 'key_unknown' })
    expect(await download(await mint('new'))).toMatchObject({ status: 200, body: FILE_CONTENT })
  })

  it('agrees with token inspect, which names the same code for the old key', async () => {
    const context = testContext({ cwd: dir })
    const status = await runCLI(['token', 'inspect', await mint('old'), '--keys', '@public-keys.txt', '--iss', ISS, '--aud', AUD], context)
    expect(status).toBe(2)
    expect(context.output.stdout[0]).toMatch(/^status: +invalid: key_unknown/)
  })
})
