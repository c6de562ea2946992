import {
  createKeySet,
  createTokenVerifier,
  jsonObjectOf,
  MAX_REVOCATION_TOKEN_LENGTH,
  parseRFC3339,
  problemCode,
  PROBLEMS,
  splitToken,
  TokenError,
  type PublicKey,
} from '../../../shared/src/index.js'
import { CLIError } from '../cli-error.js'
import { terminalSafe, type Output } from '../output.js'

export interface TokenInspectInput {
  /** A token, or a download link `…/d/<token>`. */
  token: string
  /** Trusted keys; without them nothing is verified and the report says so. */
  keys?: readonly PublicKey[]
  issuer?: string
  audience?: string
  clockToleranceSeconds: number
  now: Date
}

export type InspectVerdict =
  | { status: 'unverified' }
  | { status: 'valid'; kid: string; issuerChecked: boolean; audienceChecked: boolean }
  | { status: 'invalid'; code: string; title: string }

export interface TokenInspectResult {
  verdict: InspectVerdict
  kind: 'download' | 'revocation' | undefined
  footer: Record<string, unknown> | undefined
  claims: Record<string, unknown> | undefined
  /** 0: valid, or not checked (no keys); 2: the token would be refused. */
  exitCode: 0 | 2
}

// Stand-in for an issuer or audience the operator did not give: the token's own value is used
// instead (so that check passes trivially, and the report says it was not checked).
const UNSET = '(not given)'

function tokenOf(text: string): string {
  const trimmed = text.trim()
  if (!/^https?:\/\//i.test(trimmed)) return trimmed
  const at = trimmed.lastIndexOf('/d/')
  if (at === -1) throw new CLIError('USAGE', '<token>: a URL must be a download link ending in /d/<token>')
  return trimmed.slice(at + 3).replace(/[?#].*$/s, '')
}

function invalid(error: TokenError): InspectVerdict {
  return { status: 'invalid', code: problemCode(error.code), title: PROBLEMS[error.code].title }
}

/**
 * `token inspect`: what a token says, and, only when keys are given, whether the download server
 * would accept it. Before verification, every byte of it is the holder's word: the report labels
 * it UNVERIFIED and prints it escaped, never acting on it.
 */
export async function tokenInspect(input: TokenInspectInput, out: Output): Promise<TokenInspectResult> {
  if (input.keys === undefined && (input.issuer !== undefined || input.audience !== undefined)) {
    throw new CLIError('USAGE', '--iss and --aud check nothing without --keys')
  }
  const token = tokenOf(input.token)

  let footer: Record<string, unknown> | undefined
  let claims: Record<string, unknown> | undefined
  let verdict: InspectVerdict = { status: 'unverified' }
  let readable = false
  try {
    const parts = splitToken(token, MAX_REVOCATION_TOKEN_LENGTH)
    footer = parts.footer
    readable = true
    claims = jsonObjectOf(parts.message, 'payload')
  } catch (error) {
    if (!(error instanceof TokenError)) throw error
    verdict = invalid(error)
  }
  const kind = claims === undefined ? undefined : Object.hasOwn(claims, 'revoke') ? 'revocation' : 'download'

  // The verifier decides, in the server's order (a key it does not know outranks a bad payload).
  if (input.keys !== undefined && readable) {
    verdict = await verify(token, kind, claims, input)
  }
  report({ verdict, kind, footer, claims, now: input.now }, out)
  return { verdict, kind, footer, claims, exitCode: verdict.status === 'invalid' ? 2 : 0 }
}

async function verify(
  token: string,
  kind: TokenInspectResult['kind'],
  claims: Record<string, unknown> | undefined,
  input: TokenInspectInput,
): Promise<InspectVerdict> {
  const claimed = (name: 'iss' | 'aud'): string => {
    const value = claims?.[name]
    return typeof value === 'string' && value !== '' ? value : UNSET
  }
  const verifier = createTokenVerifier({
    keys: createKeySet(input.keys ?? []),
    issuer: input.issuer ?? claimed('iss'),
    audience: input.audience ?? claimed('aud'),
    clockToleranceSeconds: input.clockToleranceSeconds,
  })
  try {
    const options = { now: input.now }
    const { kid } = kind === 'revocation' ? await verifier.verifyRevocation(token, options) : await verifier.verifyDownload(token, options)
    return { status: 'valid', kid, issuerChecked: input.issuer !== undefined, audienceChecked: input.audience !== undefined }
  } catch (error) {
    if (error instanceof TokenError) return invalid(error)
    throw error
  }
}

function statusLine(verdict: InspectVerdict): string {
  switch (verdict.status) {
    case 'unverified':
      return 'UNVERIFIED: no --keys given, so nothing below is checked or trusted (anyone can write a token that reads like this)'
    case 'invalid':
      return `invalid: ${verdict.code} (${verdict.title})`
    case 'valid': {
      const unchecked = [verdict.issuerChecked ? [] : ['issuer (--iss)'], verdict.audienceChecked ? [] : ['audience (--aud)']].flat()
      const note = unchecked.length === 0 ? 'issuer and audience match' : `NOT checked: ${unchecked.join(', ')}`
      return `valid (signed by trusted key ${verdict.kid}; lifetime and times hold; ${note})`
    }
  }
}

function report(
  parts: { verdict: InspectVerdict; kind: TokenInspectResult['kind']; footer?: Record<string, unknown>; claims?: Record<string, unknown>; now: Date },
  out: Output,
): void {
  const trust = parts.verdict.status === 'valid' ? 'verified' : 'UNVERIFIED'
  out.out(`status:  ${statusLine(parts.verdict)}`)
  if (parts.kind !== undefined) {
    out.out(`kind:    ${parts.kind === 'revocation' ? 'revocation token (implicit assertion "revoke")' : 'download token'} (${trust})`)
  }
  if (parts.footer !== undefined || parts.claims !== undefined) {
    out.out(`footer:  ${parts.footer === undefined ? '(none)' : terminalSafe(JSON.stringify(parts.footer))} (${trust})`)
  }
  if (parts.claims === undefined) return
  out.out(`claims (${trust}):`)
  for (const line of terminalSafe(JSON.stringify(parts.claims, null, 2)).split('\n')) out.out(`  ${line}`)
  out.out(`expires: ${expiry(parts.claims.exp, parts.now)} (${trust})`)
}

function expiry(exp: unknown, now: Date): string {
  const instant = typeof exp === 'string' ? parseRFC3339(exp) : undefined
  if (instant === undefined) return 'missing or not an RFC 3339 time'
  const seconds = Math.round((instant.date.getTime() - now.getTime()) / 1000)
  const when = instant.date.toISOString()
  return seconds >= 0 ? `${when} (in ${duration(seconds)})` : `${when} (expired ${duration(-seconds)} ago)`
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`
  return `${Math.floor(seconds / 86_400)} days`
}
