/** The part of `fetch` the client uses; global `fetch` fits, tests may pass another. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>

export type RevocationAnswer =
  /** `200 {"revoked": n}`: n of the listed ids were not already used or revoked. */
  | { kind: 'delivered'; revoked: number }
  /** A `4xx` problem: the server does not accept this revocation (keys, issuer, audience...). */
  | { kind: 'refused'; status: number; code: string }
  /** No answer, a `5xx`, or something that is not the contract's answer: try again later. */
  | { kind: 'unavailable'; status?: number; reason: string }

/**
 * `POST <DL_INTERNAL_URL>/revoke` with one revocation token as the body (CONTRACT §4). Never
 * throws; gives up after `timeoutMs` or when `signal` aborts (shutdown).
 */
export function createRevocationClient(options: { baseURL: string; fetch: FetchLike; timeoutMs: number }): {
  send(token: string, signal: AbortSignal): Promise<RevocationAnswer>
} {
  const url = `${options.baseURL.replace(/\/+$/, '')}/revoke`
  return {
    async send(token, signal) {
      try {
        const res = await options.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'application/json' },
          body: token,
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        })
        const text = (await res.text()).slice(0, 4096)
        const json = parseObject(text)
        if (res.status === 200 && typeof json?.revoked === 'number') return { kind: 'delivered', revoked: json.revoked }
        if (res.status >= 400 && res.status < 500) {
          return { kind: 'refused', status: res.status, code: typeof json?.code === 'string' ? json.code.slice(0, 64) : 'unknown' }
        }
        return { kind: 'unavailable', status: res.status, reason: res.status === 200 ? 'unexpected answer' : `status ${res.status}` }
      } catch (err) {
        // The error's name and cause code only: a message could quote the request.
        const e = err as { name?: string; cause?: { code?: unknown } }
        const cause = typeof e?.cause?.code === 'string' ? ` (${e.cause.code})` : ''
        return { kind: 'unavailable', reason: `${e?.name ?? 'Error'}${cause}` }
      }
    },
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
