import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecurityEvents } from '../../app-server/src/security-events.js'
import { deleteKeys } from '../download-server/support/redis.js'
import { startHarness } from './support/app-harness.js'
import type { Harness } from './support/app-harness.js'
import { EventGate } from './support/event-gate.js'

// A sign-in checks the password it read, then makes the session. A password change that commits
// in between (the owner locking out someone who knows the old password, while that someone keeps
// signing in) must not leave a session signed in with the old password. The sink below holds the
// next `signed_in` event, which a sign-in reports after checking the password and before making
// the session: that window, made wide.

const gate = new EventGate()
const heldEvents = (): SecurityEvents => ({ record: (event) => gate.pass(event) })

const stores = [
  { store: 'SQLite', env: {} as Record<string, string> },
  { store: 'Redis', env: { APP_SESSION_STORE: 'redis://127.0.0.1:6379' } },
]

describe.each(stores)('a sign-in in flight during a password change ($store sessions)', ({ env }) => {
  let h: Harness
  const prefix = `test:app:signin:${randomBytes(6).toString('hex')}:`
  let n = 0
  beforeAll(async () => {
    h = await startHarness({ env, redisKeyPrefix: prefix, downloadServer: false, events: heldEvents })
  })
  afterAll(async () => {
    await h.close()
    if (env.APP_SESSION_STORE) await deleteKeys(prefix)
  })

  it('leaves no session signed in with the old password when the password changes while it is checked', async () => {
    n += 1
    const u = await h.createUser(`signin-race-${n}`, `old password ${n}`)
    const owner = h.client()
    expect((await owner.login(u.username, u.password)).status).toBe(303)
    const intruder = h.client()
    const csrf = await intruder.csrfFrom('/login')

    const held = gate.holdNext('signed_in')
    const signingIn = intruder.post('/login', { username: u.username, password: u.password, _csrf: csrf })
    await held.reached
    const change = await owner.post('/account/password', { current_password: u.password, new_password: `new password ${n}`, _csrf: await owner.csrfFrom('/files') })
    expect(change.status).toBe(303)
    held.release()
    await signingIn

    // Sent to sign in (not merely "not 200": an error page must not pass for a refusal).
    expect(await intruder.get('/files')).toMatchObject({ status: 303, location: '/login' })
    expect((await owner.get('/files')).status).toBe(200)
  })

  it('still signs in when nothing changed meanwhile', async () => {
    n += 1
    const u = await h.createUser(`signin-race-${n}`, `old password ${n}`)
    const c = h.client()
    const csrf = await c.csrfFrom('/login')
    const held = gate.holdNext('signed_in')
    const signingIn = c.post('/login', { username: u.username, password: u.password, _csrf: csrf })
    await held.reached
    held.release()
    expect((await signingIn).status).toBe(303)
    expect((await c.get('/files')).status).toBe(200)
  })
})
