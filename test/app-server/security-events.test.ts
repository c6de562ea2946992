import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecurityEvent, SecurityEventsContext } from '../../app-server/src/security-events.js'
import { sessionHandle } from '../../app-server/src/sessions/session-store.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'

// The seam token revocation (CONTRACT §4) plugs into: every event that must end a user's
// outstanding links is reported, with what a revocation needs (ids, jti, expiry), at the moment
// it happens.

const seen: SecurityEvent[] = []
let context: SecurityEventsContext | undefined
let closed = false
let h: Harness
beforeAll(async () => {
  h = await startHarness({
    downloadServer: false,
    events: (ctx) => {
      context = ctx
      return {
        record: async (event) => void seen.push(event),
        close: async () => {
          closed = true
        },
      }
    },
  })
})
afterAll(async () => {
  await h.close()
  expect(closed).toBe(true)
})

const last = (type: SecurityEvent['type']): SecurityEvent | undefined => [...seen].reverse().find((e) => e.type === type)

describe('security events', () => {
  it('gives the sink what revocation needs: the database, the signer (signRevocation) and the settings', () => {
    expect(typeof context?.signer.signRevocation).toBe('function')
    expect(context?.config.downloadInternalURL.href).toBe('http://127.0.0.1:3001/')
    expect(typeof context?.db.prepare).toBe('function')
  })

  it('reports each issued token by jti, file and expiry, matching the token', async () => {
    const c = h.client()
    await c.login(h.demo.username, h.demo.password)
    expect(last('signed_in')).toEqual({ type: 'signed_in', userId: h.demo.id })
    const id = /\/files\/([A-Za-z0-9_-]{22})\/download/.exec((await c.get('/files')).body)?.[1] as string
    const location = (await c.get(`/files/${id}/download`)).location
    const body = Buffer.from(location.split('/d/')[1]?.split('.')[2] as string, 'base64url')
    const claims = JSON.parse(body.subarray(0, body.length - 64).toString()) as { jti: string; exp: string }
    const issued = last('token_issued')
    expect(issued).toEqual({
      type: 'token_issued',
      userId: h.demo.id,
      fileId: id,
      jti: claims.jti,
      expiresAt: new Date(claims.exp),
      sessionHandle: sessionHandle(c.session()?.id ?? ''),
    })
  })

  it('reports sign-out, password change, ending sessions and bans with the user and how many sessions ended', async () => {
    const u = await h.createUser('events-user', 'events password 1')
    const a = h.client()
    await a.login(u.username, u.password)
    const b = h.client()
    await b.login(u.username, u.password)
    const c = h.client()
    await c.login(u.username, u.password)

    await a.post(`/account/sessions/${sessionHandle(c.session()?.id ?? '')}/revoke`, { _csrf: await a.csrfFrom('/files') })
    expect(last('session_revoked')).toEqual({ type: 'session_revoked', userId: u.id, handle: sessionHandle(c.session()?.id ?? '') })
    await a.post('/account/sessions/revoke-others', { _csrf: await a.csrfFrom('/files') })
    expect(last('other_sessions_ended')).toEqual({ type: 'other_sessions_ended', userId: u.id, sessionsEnded: 1 })
    await a.post('/account/password', { current_password: u.password, new_password: 'events password 2', _csrf: await a.csrfFrom('/files') })
    expect(last('password_changed')).toEqual({ type: 'password_changed', userId: u.id, sessionsEnded: 0 })
    await a.post('/logout', { _csrf: await a.csrfFrom('/files') })
    expect(last('signed_out')).toEqual({ type: 'signed_out', userId: u.id })

    const again = h.client()
    await again.login(u.username, 'events password 2')
    const admin = h.client()
    await admin.login(h.admin.username, h.admin.password)
    await admin.post(`/admin/users/${u.id}/ban`, { _csrf: await admin.csrfFrom('/admin/users') })
    expect(last('user_banned')).toEqual({ type: 'user_banned', userId: u.id, byUserId: h.admin.id, sessionsEnded: 1 })
  })

  it('reports a refused sign-in without the typed username', async () => {
    await h.client().login('correct horse battery', 'x')
    expect(last('sign_in_refused')).toEqual({ type: 'sign_in_refused', reason: 'LOGIN_FAILED' })
    await h.client().login(h.other.username, 'wrong')
    expect(last('sign_in_refused')).toEqual({ type: 'sign_in_refused', reason: 'LOGIN_FAILED', userId: h.other.id })
  })
})
