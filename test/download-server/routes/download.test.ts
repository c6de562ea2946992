import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { claimsJSON, signRaw, createIssuer } from '../support/issuer.js'
import { startTestServer, type TestServer } from '../support/test-server.js'

let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.close())

const get = (token: string, headers: Record<string, string> = {}) =>
  request(`${t.url}/d/${token}`, { headers })
const head = (token: string, headers: Record<string, string> = {}) =>
  request(`${t.url}/d/${token}`, { method: 'HEAD', headers })
const problem = async (res: Awaited<ReturnType<typeof get>>): Promise<{ status: number; code: string; type: string }> => {
  expect(res.headers['content-type']).toContain('application/problem+json')
  expect(res.headers['cache-control']).toBe('no-store')
  return (await res.body.json()) as { status: number; code: string; type: string }
}

describe('GET /d/:token', () => {
  it('answers 200 with the exact bytes and the contract headers', async () => {
    const res = await get(await t.issuer.token({ file: 'report.bin', name: 'Quarterly report.pdf' }))
    const body = Buffer.from(await res.body.arrayBuffer())
    expect(res.statusCode).toBe(200)
    expect(body.equals(t.content)).toBe(true)
    expect(res.headers['content-length']).toBe(String(t.content.length))
    expect(res.headers['content-type']).toBe('application/pdf')
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="Quarterly report.pdf"; filename*=UTF-8''Quarterly%20report.pdf`,
    )
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['accept-ranges']).toBe('bytes')
    expect(res.headers.etag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/)
    expect(new Date(String(res.headers['last-modified'])).getTime()).not.toBeNaN()
  })

  it('offers the file’s own name, typed by its extension, when the token has no name', async () => {
    const res = await get(await t.issuer.token({ file: 'sub/ünïcode näme.txt' }))
    expect(res.statusCode).toBe(200)
    expect(await res.body.text()).toBe('hello unicode\n')
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="unicode name.txt"; filename*=UTF-8''%C3%BCn%C3%AFcode%20n%C3%A4me.txt`,
    )
  })

  it('serves an empty file as 200 with Content-Length 0', async () => {
    const res = await get(await t.issuer.token({ file: 'empty.txt' }))
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-length']).toBe('0')
    expect((await res.body.arrayBuffer()).byteLength).toBe(0)
  })

  it('answers 410 to the second use of a token', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    await (await get(token)).body.arrayBuffer()
    const again = await get(token)
    expect(again.statusCode).toBe(410)
    expect((await problem(again)).code).toBe('token_used')
  })

  it('gives exactly one of 25 simultaneous requests with one token the file, and 410 to the rest', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const statuses = await Promise.all(
      Array.from({ length: 25 }, async () => {
        const res = await get(token)
        await res.body.arrayBuffer()
        return res.statusCode
      }),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 410)).toHaveLength(24)
  })

  it('answers 206 with the asked bytes and Content-Range for one range, and consumes the token', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const res = await get(token, { range: 'bytes=10-19' })
    expect(res.statusCode).toBe(206)
    expect(res.headers['content-range']).toBe(`bytes 10-19/${t.content.length}`)
    expect(res.headers['content-length']).toBe('10')
    expect(Buffer.from(await res.body.arrayBuffer()).equals(t.content.subarray(10, 20))).toBe(true)
    const again = await get(token)
    await again.body.arrayBuffer()
    expect(again.statusCode).toBe(410)
  })

  it('answers 206 to a suffix range with the last bytes', async () => {
    const res = await get(await t.issuer.token({ file: 'report.bin' }), { range: 'bytes=-5' })
    expect(res.statusCode).toBe(206)
    expect(Buffer.from(await res.body.arrayBuffer()).equals(t.content.subarray(-5))).toBe(true)
  })

  it('answers 416 with Content-Range bytes */size to a range past the end, without consuming the token', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const res = await get(token, { range: `bytes=${t.content.length}-` })
    expect(res.statusCode).toBe(416)
    expect(res.headers['content-range']).toBe(`bytes */${t.content.length}`)
    expect((await problem(res)).code).toBe('range_not_satisfiable')
    const after = await get(token)
    await after.body.arrayBuffer()
    expect(after.statusCode).toBe(200)
  })

  it('answers a request for several ranges with the whole file (200)', async () => {
    const res = await get(await t.issuer.token({ file: 'report.bin' }), { range: 'bytes=0-1,5-9' })
    expect(res.statusCode).toBe(200)
    expect(Buffer.from(await res.body.arrayBuffer()).equals(t.content)).toBe(true)
  })

  it('ignores Range when If-Range does not match the current ETag', async () => {
    const res = await get(await t.issuer.token({ file: 'report.bin' }), { range: 'bytes=0-9', 'if-range': '"stale"' })
    expect(res.statusCode).toBe(200)
    expect(Number(res.headers['content-length'])).toBe(t.content.length)
    await res.body.arrayBuffer()
  })

  it('answers 409 file_changed to a size claim that differs from the file, without consuming the token', async () => {
    const res = await get(await t.issuer.token({ file: 'report.bin', size: t.content.length + 1 }))
    expect(res.statusCode).toBe(409)
    expect((await problem(res)).code).toBe('file_changed')
    const matching = await get(await t.issuer.token({ file: 'report.bin', size: t.content.length }))
    await matching.body.arrayBuffer()
    expect(matching.statusCode).toBe(200)
  })

  it('answers 404 for a missing file and for a directory', async () => {
    for (const file of ['nope.bin', 'sub', 'report.bin/inside']) {
      const res = await get(await t.issuer.token({ file }))
      expect(res.statusCode, file).toBe(404)
      expect((await problem(res)).code).toBe('file_not_found')
    }
  })

  it('answers 403 to a symlink that leads out of the root, and sends nothing from outside it', async () => {
    const res = await get(await t.issuer.token({ file: 'escape.txt' }))
    expect(res.statusCode).toBe(403)
    const body = await res.body.text()
    expect(body).not.toContain('TOP-SECRET')
    expect(JSON.parse(body).code).toBe('path_forbidden')
  })

  it('answers 403 to a directory swapped for a link out of the root between the path check and the open, sending nothing from outside', async () => {
    fs.mkdirSync(path.join(t.root, 'swap'))
    fs.writeFileSync(path.join(t.root, 'swap', 'doc.txt'), 'inside\n')
    fs.mkdirSync(path.join(t.dir, 'outside'))
    fs.writeFileSync(path.join(t.dir, 'outside', 'doc.txt'), 'TOP-SECRET-OUTSIDE-ROOT\n')
    const checked = fs.realpathSync(path.join(t.root, 'swap', 'doc.txt'))
    const openSync = fs.openSync
    // The race, at its worst moment: the real path was resolved inside the root, then, before it
    // is opened, a directory on it becomes a link out of the root.
    const spy = vi.spyOn(fs, 'openSync').mockImplementation((...args: Parameters<typeof fs.openSync>) => {
      if (args[0] === checked) {
        fs.renameSync(path.join(t.root, 'swap'), path.join(t.root, 'swap-was'))
        fs.symlinkSync(path.join(t.dir, 'outside'), path.join(t.root, 'swap'))
      }
      return openSync(...args)
    })
    try {
      const res = await get(await t.issuer.token({ file: 'swap/doc.txt' }))
      const body = await res.body.text()
      expect(spy).toHaveBeenCalledWith(checked, expect.anything())
      expect(body).not.toContain('TOP-SECRET')
      expect(res.statusCode).toBe(403)
      expect((JSON.parse(body) as { code: string }).code).toBe('path_forbidden')
    } finally {
      spy.mockRestore()
    }
  })

  it('refuses signed hostile paths with a 4xx and sends nothing from outside the root', async () => {
    for (const file of ['../secret.txt', 'sub/../../secret.txt', '/etc/passwd', 'sub\\..\\..\\secret.txt', 'report.bin\u0000.txt', '%2e%2e/secret.txt', '..%2fsecret.txt', 'sub//report.bin', '']) {
      const token = signRaw(t.issuer.key, { payload: claimsJSON({ file, jti: randomBytes(16).toString('base64url') }) })
      const res = await get(token)
      const body = await res.body.text()
      expect(res.statusCode, JSON.stringify(file)).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, JSON.stringify(file)).toBeLessThan(500)
      expect(body).not.toContain('TOP-SECRET')
      expect(body).not.toContain('root:x:')
    }
  })
})

describe('HEAD /d/:token and prefetches', () => {
  it('answers HEAD with the headers GET would send, and does not consume the token', async () => {
    const token = await t.issuer.token({ file: 'report.bin', name: 'r.bin' })
    const h = await head(token)
    await h.body.arrayBuffer()
    expect(h.statusCode).toBe(200)
    expect(h.headers['content-length']).toBe(String(t.content.length))
    expect(h.headers['content-disposition']).toContain('attachment')
    const g = await get(token)
    await g.body.arrayBuffer()
    expect(g.statusCode).toBe(200)
    const comparable = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)))
    expect(comparable(h.headers)).toEqual(comparable(g.headers))
    expect(g.headers['x-frame-options']).toBe('DENY')
    expect(g.headers['content-security-policy']).toBe("default-src 'none'; sandbox")
  })

  it('writes each file response once: the HTTP adapter reports no error for GET or HEAD', async () => {
    const reported = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const token = await t.issuer.token({ file: 'report.bin' })
      await (await head(token)).body.arrayBuffer()
      await (await get(token)).body.arrayBuffer()
      await (await get(await t.issuer.token({ file: 'empty.txt' }))).body.arrayBuffer()
      expect(reported).not.toHaveBeenCalled()
    } finally {
      reported.mockRestore()
    }
  })

  it('answers HEAD with 410 once the token is used', async () => {
    const token = await t.issuer.token({ file: 'report.bin' })
    await (await get(token)).body.arrayBuffer()
    const h = await head(token)
    await h.body.arrayBuffer()
    expect(h.statusCode).toBe(410)
  })

  it.each([
    ['Sec-Purpose', 'prefetch'],
    ['Sec-Purpose', 'prefetch;prerender'],
    ['Purpose', 'prefetch'],
  ])('answers a prefetch (%s: %s) with 503 no-store and no file, and does not consume the token', async (name, value) => {
    const token = await t.issuer.token({ file: 'report.bin' })
    const p = await get(token, { [name]: value })
    const body = Buffer.from(await p.body.arrayBuffer())
    expect(p.statusCode).toBe(503)
    expect(p.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(body.toString()).code).toBe('prefetch_refused')
    expect(body.includes(t.content.subarray(0, 64))).toBe(false)
    const g = await get(token)
    await g.body.arrayBuffer()
    expect(g.statusCode).toBe(200)
  })
})

describe('refusals', () => {
  it('answers a browser (Accept: text/html) with a short page that says what happened, escaped, no script', async () => {
    const res = await get('not-a-token', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
    const html = await res.body.text()
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/)
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('The download link is malformed')
    expect(html).toContain('token_malformed')
    expect(html).not.toContain('<script')
  })

  it('keeps problem+json for clients that prefer JSON', async () => {
    const res = await get('not-a-token', { accept: 'application/json, text/html;q=0.5' })
    expect(res.statusCode).toBe(400)
    const body = await problem(res)
    expect(body).toMatchObject({ status: 400, code: 'token_malformed' })
    expect(body.type).toMatch(/^https:\/\//)
  })
})

describe('adversarial tokens', () => {
  const raw = (over: Record<string, unknown>, options: { footer?: string | null; now?: Date; implicitAssertion?: string } = {}) =>
    signRaw(t.issuer.key, { payload: claimsJSON({ jti: randomBytes(16).toString('base64url'), ...over }, options.now), footer: options.footer, implicitAssertion: options.implicitAssertion })

  const cases: Array<[string, () => Promise<string> | string, number, string]> = [
    ['a tampered signature', async () => flip(await t.issuer.token({ file: 'report.bin' }), 'signature'), 401, 'token_bad_signature'],
    ['a tampered payload', async () => flip(await t.issuer.token({ file: 'report.bin' }), 'payload'), 401, 'token_bad_signature'],
    ['a tampered footer', async () => (await t.issuer.token({ file: 'report.bin' })) + 'x', 400, 'token_malformed'],
    ['an expired token', () => raw({}, { now: new Date(Date.now() - 3600_000) }), 401, 'token_expired'],
    ['a not-yet-valid token', () => raw({ nbf: new Date(Date.now() + 120_000).toISOString() }), 401, 'token_not_yet_valid'],
    ['a lifetime over 300 s, validly signed', () => raw({ exp: new Date(Date.now() + 600_000).toISOString() }), 401, 'token_lifetime_too_long'],
    ['a wrong issuer', () => raw({ iss: 'https://evil.example' }), 401, 'token_wrong_issuer'],
    ['a wrong audience', () => raw({ aud: 'https://other.example' }), 401, 'token_wrong_audience'],
    ['an unknown key', async () => createIssuer().token({ file: 'report.bin' }), 401, 'key_unknown'],
    ['a stranger’s key claiming our kid', () => signRaw(createIssuer().key, { payload: claimsJSON(), footer: JSON.stringify({ kid: t.issuer.key.kid }) }), 401, 'token_bad_signature'],
    ['a missing footer', () => raw({}, { footer: null }), 401, 'key_unknown'],
    ['a footer that is not JSON', () => raw({}, { footer: 'kid' }), 400, 'token_malformed'],
    ['a footer with a duplicated key', () => raw({}, { footer: `{"kid":"${t.issuer.key.kid}","kid":"${t.issuer.key.kid}"}` }), 400, 'token_malformed'],
    ['a payload with a duplicated key', () => signRaw(t.issuer.key, { payload: claimsJSON().replace('{', '{"file":"escape.txt",') }), 400, 'token_malformed'],
    ['a payload with a duplicated key spelled with an escape', () => signRaw(t.issuer.key, { payload: claimsJSON().replace('{', '{"fil\\u0065":"escape.txt",') }), 400, 'token_malformed'],
    ['a claim of the wrong type', () => raw({ size: '12' }), 400, 'claim_invalid'],
    ['a name that is not text (a lone surrogate, no Content-Disposition for it)', () => raw({ name: 'report\ud800.pdf' }), 400, 'claim_invalid'],
    ['a revocation token (implicit assertion "revoke")', () => raw({}, { implicitAssertion: 'revoke' }), 401, 'token_bad_signature'],
    ['a v4.local token', () => 'v4.local.' + randomBytes(80).toString('base64url'), 400, 'token_malformed'],
    ['a v2.public token', () => 'v2.public.' + randomBytes(100).toString('base64url'), 400, 'token_malformed'],
    ['a v3.public token', () => 'v3.public.' + randomBytes(120).toString('base64url'), 400, 'token_malformed'],
    ['a JWT with alg none', () => 'eyJhbGciOiJub25lIn0.eyJmaWxlIjoicmVwb3J0LmJpbiJ9.', 400, 'token_malformed'],
    ['garbage', () => '%00%2e%2e', 400, 'token_malformed'],
    ['a 9 KiB token', () => 'v4.public.' + 'A'.repeat(9 * 1024), 400, 'token_malformed'],
  ]

  it.each(cases)('refuses %s without sending the file', async (_name, make, status, code) => {
    const res = await get(await make())
    const body = await problem(res)
    expect(res.statusCode).toBe(status)
    expect(body.code).toBe(code)
  })

  it('refuses a 64 KiB token with a 4xx and keeps serving', async () => {
    const status = await get('v4.public.' + 'A'.repeat(65536)).then(
      async (res) => {
        await res.body.arrayBuffer()
        return res.statusCode
      },
      () => 431,
    )
    expect(status).toBeGreaterThanOrEqual(400)
    expect(status).toBeLessThan(500)
    const health = await request(`${t.url}/healthz`)
    await health.body.arrayBuffer()
    expect(health.statusCode).toBe(200)
  })

  it('never answers a hostile token with a 5xx', async () => {
    const hostile = ['.', '..', 'v4.public.', 'v4.public..', 'v4.public.' + '_'.repeat(100), 'v4.public.AAAA.', 'v4.public.' + randomBytes(96).toString('base64url') + '.%ff', '%E2%80%AE', 'a'.repeat(8000)]
    for (const token of hostile) {
      const res = await get(encodeURIComponent(token))
      await res.body.arrayBuffer()
      expect(res.statusCode, token).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, token).toBeLessThan(500)
    }
  })
})

function flip(token: string, part: 'signature' | 'payload'): string {
  const [v, p, body, footer] = token.split('.') as [string, string, string, string]
  const bytes = Buffer.from(body, 'base64url')
  bytes[part === 'signature' ? bytes.length - 1 : 5]! ^= 0x01
  return [v, p, bytes.toString('base64url'), footer].join('.')
}

describe('an interrupted download', () => {
  it('stops reading when the client disconnects, closes the file, logs it as interrupted, and keeps the token used', async () => {
    const big = path.join(t.root, 'big.bin')
    fs.closeSync(fs.openSync(big, 'w'))
    fs.truncateSync(big, 64 * 1024 * 1024)
    const token = await t.issuer.token({ file: 'big.bin' })
    const res = await get(token)
    expect(res.statusCode).toBe(200)
    for await (const chunk of res.body) {
      expect(chunk.length).toBeGreaterThan(0)
      break
    }
    await vi.waitFor(() => expect(t.logs.some((line) => line.includes('"code":"interrupted"'))).toBe(true), { timeout: 10_000 })
    const line = JSON.parse(t.logs.find((l) => l.includes('"code":"interrupted"'))!) as { bytes: number; status: number }
    expect(line.status).toBe(200)
    expect(line.bytes).toBeLessThan(64 * 1024 * 1024)
    const open = fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === big
      } catch {
        return false
      }
    })
    expect(open).toHaveLength(0)
    const again = await get(token)
    await again.body.arrayBuffer()
    expect(again.statusCode).toBe(410)
  })
})

describe('request logs', () => {
  it('write one line per request with method, route name, status, outcome code, jti and duration', async () => {
    const signed = await t.issuer.signer.signDownload({ file: 'report.bin' })
    const before = t.logs.length
    await (await get(signed.token)).body.arrayBuffer()
    // Audit events (delivery.claimed, delivery.completed) are lines of their own.
    const requestLines = (): Record<string, unknown>[] =>
      t.logs
        .slice(before)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((line) => line.audit !== true)
    // The line is written once the response is over on the server's side, a moment after the
    // client has it: wait for it (an audit line alone does not count), then for any second one.
    await vi.waitFor(() => expect(requestLines().length).toBeGreaterThan(0), { timeout: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const lines = requestLines()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ method: 'GET', route: '/d/:token', status: 200, code: 'ok', jti: signed.jti, bytes: t.content.length })
    expect(typeof lines[0]!.durationMs).toBe('number')
  })

  it('never hold a token, nor a URL with one, across every request this file made', () => {
    const text = t.logs.join('')
    expect(t.logs.length).toBeGreaterThan(50)
    expect(text).not.toContain('v4.public')
    expect(text).not.toContain('v4.local')
    expect(text).not.toContain('/d/v')
    expect(text).not.toContain('eyJ')
  })
})

describe('the injected clock', () => {
  it('decides expiry by the clock the server was given, not by the system clock', async () => {
    let now = new Date()
    const clocked = await startTestServer({ clock: () => now })
    try {
      const token = await clocked.issuer.token({ file: 'report.bin' })
      now = new Date(Date.now() + 400_000)
      const late = await request(`${clocked.url}/d/${token}`)
      expect(((await late.body.json()) as { code: string }).code).toBe('token_expired')
      now = new Date()
      const onTime = await request(`${clocked.url}/d/${token}`)
      await onTime.body.arrayBuffer()
      expect(onTime.statusCode).toBe(200)
    } finally {
      await clocked.close()
    }
  })
})
