import { createTokenSigner, isValidFileClaim, MAX_DOWNLOAD_LIFETIME_SECONDS, type SecretKey } from '../../../shared/src/index.js'
import { CLIError } from '../cli-error.js'
import type { Output } from '../output.js'

export interface TokenMintInput {
  key: SecretKey
  file: string
  issuer: string
  audience: string
  name?: string
  size?: number
  /** 1 to 300 seconds; default 300. */
  lifetimeSeconds?: number
  /** Download server base URL: print `<url>/d/<token>` instead of the bare token. */
  url?: string
  now: Date
}

export interface TokenMintResult {
  token: string
  jti: string
  expiresAt: Date
  printed: string
}

/** `token mint`: one download token, as the app would make it, for testing a deployment. */
export async function tokenMint(input: TokenMintInput, out: Output): Promise<TokenMintResult> {
  if (!isValidFileClaim(input.file)) {
    throw new CLIError('USAGE', '--file: must be a path relative to the served root, /-separated, without empty or .. segments, NUL or backslash')
  }
  if (input.issuer === '') throw new CLIError('USAGE', '--iss: must not be empty')
  if (input.audience === '') throw new CLIError('USAGE', '--aud: must not be empty')
  const lifetime = input.lifetimeSeconds ?? MAX_DOWNLOAD_LIFETIME_SECONDS
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > MAX_DOWNLOAD_LIFETIME_SECONDS) {
    throw new CLIError('USAGE', `--lifetime: must be a whole number of seconds from 1 to ${MAX_DOWNLOAD_LIFETIME_SECONDS}`)
  }
  if (input.size !== undefined && (!Number.isSafeInteger(input.size) || input.size < 0)) {
    throw new CLIError('USAGE', '--size: must be a whole number of bytes, 0 or more')
  }
  const base = input.url === undefined ? undefined : downloadBase(input.url)

  const signer = createTokenSigner({ key: input.key, issuer: input.issuer, audience: input.audience, lifetimeSeconds: lifetime })
  const signed = await signer.signDownload(
    { file: input.file, ...(input.name === undefined ? {} : { name: input.name }), ...(input.size === undefined ? {} : { size: input.size }) },
    { now: input.now },
  )
  const printed = base === undefined ? signed.token : `${base}/d/${signed.token}`
  out.out(printed)
  return { token: signed.token, jti: signed.jti, expiresAt: signed.expiresAt, printed }
}

function downloadBase(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CLIError('USAGE', '--url: must be an absolute http:// or https:// URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CLIError('USAGE', '--url: must be an absolute http:// or https:// URL')
  if (parsed.search !== '' || parsed.hash !== '') throw new CLIError('USAGE', '--url: must not have a query or fragment')
  return parsed.href.replace(/\/+$/, '')
}
