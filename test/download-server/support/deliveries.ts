import { request } from 'undici'
import { expect, vi } from 'vitest'
import type { TestServer } from './test-server.js'

export interface PartialRead {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The bytes received before the client hung up. */
  received: Buffer
}

/** GETs `url`, reads at least `bytes` of the body, then hangs up (the connection is destroyed). */
export async function readThenHangUp(url: string, bytes: number, headers: Record<string, string> = {}): Promise<PartialRead> {
  const res = await request(url, { headers })
  const chunks: Buffer[] = []
  let received = 0
  for await (const chunk of res.body) {
    chunks.push(chunk as Buffer)
    received += (chunk as Buffer).length
    if (received >= bytes) break
  }
  return { status: res.statusCode, headers: res.headers, received: Buffer.concat(chunks) }
}

/** A GET whose body is read in full. */
export async function fetchAll(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; code?: string }> {
  const res = await request(url, { headers })
  const body = Buffer.from(await res.body.arrayBuffer())
  const problem = String(res.headers['content-type']).includes('problem+json')
  return { status: res.statusCode, headers: res.headers, body, code: problem ? (JSON.parse(body.toString()) as { code: string }).code : undefined }
}

export type AuditLine = { event: string; jti?: string; file?: string; bytesSent?: number; outcome: string; resumptions?: number }

/** The audit events logged so far for `jti`, in order. */
export function auditEvents(t: TestServer, jti: string): AuditLine[] {
  return t.logs.map((line) => JSON.parse(line) as AuditLine & { audit?: boolean }).filter((line) => line.audit === true && line.jti === jti)
}

/** Waits until the server has logged `event` for `jti` as many times as `count`. */
export async function waitForEvent(t: TestServer, jti: string, event: string, count = 1): Promise<AuditLine> {
  await vi.waitFor(() => expect(auditEvents(t, jti).filter((line) => line.event === event).length).toBeGreaterThanOrEqual(count), { timeout: 10_000 })
  return auditEvents(t, jti).filter((line) => line.event === event)[count - 1]!
}
