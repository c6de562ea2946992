import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { sessionHandle } from '../../app-server/src/sessions/session-store.js'
import type { CookieClient } from './support/cookie-client.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'

// A whole journey through both servers, then the logs of both are searched for what must
// never be logged: a session id (or cookie), a password, a token.

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  await h.close()
})

describe('logs', () => {
  it('hold no session id, cookie, password or token after a full journey, yet record it by ids and jti', async () => {
    const sessionIds = new Set<string>()
    const cookies = new Set<string>()
    const tokens: string[] = []
    const csrfTokens = new Set<string>()
    const remember = (c: CookieClient): void => {
      const s = c.session()
      if (s) {
        sessionIds.add(s.id)
        cookies.add(s.cookie)
      }
    }
    const newPassword = 'the new secret password 9'
    const c = h.client()
    await c.get('/login')
    remember(c)
    await c.login(h.demo.username, 'a wrong password tried once')
    const signIn = await c.login(h.demo.username, h.demo.password)
    expect(signIn.status).toBe(303)
    remember(c)
    const page = await c.get('/files')
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] as string
    csrfTokens.add(token)
    await c.postMultipart('/files', [
      { name: '_csrf', value: token },
      { name: 'file', filename: 'logged.txt', content: Buffer.from('hello logs') },
    ])
    const ids = [...(await c.get('/files')).body.matchAll(/\/files\/([A-Za-z0-9_-]{22})\/download/g)].map((m) => m[1])
    for (const id of ids.slice(0, 2)) {
      const link = await c.get(`/files/${id}/download`)
      const t = /\/d\/(v4\.public\.[^/]+)$/.exec(link.location)?.[1] as string
      tokens.push(t)
      for (let i = 0; i < 2; i++) {
        const r = await request(link.location, { headers: { accept: i === 0 ? '*/*' : 'text/html' } })
        await r.body.dump()
      }
    }
    await c.post('/account/password', { current_password: h.demo.password, new_password: newPassword, _csrf: await c.csrfFrom('/files') })
    remember(c)
    await c.post('/logout', { _csrf: await c.csrfFrom('/files') })

    const logs = h.logs.text
    expect(tokens).toHaveLength(2)
    // The journey is in the logs: requests, the sign-in, the tokens by jti.
    expect(logs).toContain('"url":"/files"')
    expect(logs).toContain('"type":"signed_in"')
    const jtis = [...logs.matchAll(/"jti":"([A-Za-z0-9_-]{22,64})"/g)].map((m) => m[1])
    expect(jtis.length).toBeGreaterThanOrEqual(2)

    for (const t of tokens) {
      expect(logs).not.toContain(t)
      // Not even the signed part alone.
      expect(logs).not.toContain(t.split('.')[2]?.slice(0, 40))
    }
    expect(logs).not.toContain('v4.public.')
    // The loops below check something: the ids before sign-in, after it and after the change.
    expect(sessionIds.size).toBeGreaterThanOrEqual(2)
    expect(cookies.size).toBe(sessionIds.size)
    for (const id of sessionIds) {
      expect(id.length).toBe(43)
      expect(logs).not.toContain(id)
      // A session's handle is not a credential, but it is not needed in logs either.
      expect(logs).not.toContain(sessionHandle(id))
    }
    for (const cookie of cookies) expect(logs).not.toContain(cookie)
    for (const p of [h.demo.password, 'a wrong password tried once', newPassword]) expect(logs).not.toContain(p)
    for (const t of csrfTokens) expect(logs).not.toContain(t)
  })

  it('write one line per request: method, path, status, user id and time, but not the Location header', async () => {
    const c = h.client()
    await c.login(h.other.username, h.other.password)
    await c.postMultipart('/files', [
      { name: '_csrf', value: await c.csrfFrom('/files') },
      { name: 'file', filename: 'line.txt', content: Buffer.from('one line') },
    ])
    const id = /\/files\/([A-Za-z0-9_-]{22})\/download/.exec((await c.get('/files')).body)?.[1] as string
    const link = await c.get(`/files/${id}/download`)
    expect(link.status).toBe(303)
    const linesFor = (): Record<string, unknown>[] =>
      h.logs.text
        .split('\n')
        .filter((l) => l.includes(`"url":"/files/${id}/download"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    // The line is written when the response has finished, which may be after the client has read
    // it: wait for it, then a moment for any second one.
    await vi.waitFor(() => expect(linesFor().length).toBeGreaterThan(0), { timeout: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const lines = linesFor()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ msg: 'request completed', userId: h.other.id, req: { method: 'GET' }, res: { statusCode: 303 } })
    expect(typeof lines[0]?.responseTime).toBe('number')
    expect(JSON.stringify(lines[0])).not.toContain('/d/')
  })
})
