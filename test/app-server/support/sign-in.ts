import { expect } from 'vitest'
import type { Harness } from './app-harness.js'
import type { CookieClient } from './cookie-client.js'

/** A new client of `h`, signed in as `username`: the login must answer 303 (into the app). */
export async function signIn(h: Harness, username: string, password: string): Promise<CookieClient> {
  const c = h.client()
  expect((await c.login(username, password)).status).toBe(303)
  return c
}
