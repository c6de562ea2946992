import type { Context } from 'hono'
import { accepts } from 'hono/accepts'
import { PROBLEMS, problemCode, type ContractErrorCode } from '../../../shared/src/index.js'
import { RefusalPage } from '../views/refusal-page.js'

export interface ProblemResponseOptions {
  appURL: string | undefined
  headers?: Readonly<Record<string, string>>
}

const NEGOTIATED = ['application/problem+json', 'application/json', 'text/html']

/**
 * The answer to a refused request: an RFC 9457 problem document with the stable `code`, or,
 * for a browser that prefers HTML, a short page saying what happened and what to do.
 */
export function problemResponse(c: Context, code: ContractErrorCode, options: ProblemResponseOptions): Response {
  const spec = PROBLEMS[code]
  const wire = problemCode(code)
  const headers = { 'cache-control': 'no-store', ...options.headers }
  const preferred = accepts(c, { header: 'Accept', supports: NEGOTIATED, default: NEGOTIATED[0]! })
  if (preferred === 'text/html') {
    const page = RefusalPage({ status: spec.status, title: spec.title, hint: spec.hint, code: wire, appURL: options.appURL })
    return c.html(`<!doctype html>${String(page)}`, spec.status as 400, headers)
  }
  const body = { type: spec.type, title: spec.title, status: spec.status, code: wire }
  return c.body(JSON.stringify(body), spec.status as 400, { ...headers, 'content-type': 'application/problem+json' })
}

/** The answer to an unexpected failure: nothing about it but that it happened. */
export function internalErrorResponse(c: Context): Response {
  const body = { type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal_error' }
  return c.body(JSON.stringify(body), 500, { 'cache-control': 'no-store', 'content-type': 'application/problem+json' })
}
