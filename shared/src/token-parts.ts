import { decodeBase64url, encodeBase64url } from './base64url.js'
import { TokenError } from './errors.js'
import { StrictJSONError, parseStrictJSONObject } from './strict-json.js'

// Reading a v4.public token into its parts before any key is chosen: the same strictness the
// PASETO spec asks for (canonical base64url, a footer that is one JSON object), with our codes.

const HEADER = 'v4.public.'
const SIGNATURE_BYTES = 64
const encoder = new TextEncoder()
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The base64url footer text of a `kidFooter`, as it appears in a token. */
export function kidFooterText(kid: string): string {
  return encodeBase64url(kidFooter(kid))
}

/** Download tokens have an empty implicit assertion; revocation tokens `revoke` (CONTRACT §4). */
export const DOWNLOAD_ASSERTION = new Uint8Array(0)
export const REVOCATION_ASSERTION = encoder.encode('revoke')

/** The footer a signer writes: exactly `{"kid":"k4.pid.…"}`. */
export function kidFooter(kid: string): Uint8Array {
  return encoder.encode(JSON.stringify({ kid }))
}

export interface TokenParts {
  /** The signed claims bytes (payload without the signature). */
  message: Uint8Array
  /** The footer parsed as a strict JSON object, or undefined when the token has none. */
  footer: Readonly<Record<string, unknown>> | undefined
}

function malformed(reason: string): TokenError {
  return new TokenError('TOKEN_MALFORMED', reason)
}

/** Strict JSON object from UTF-8 bytes; `what` names the part in the error. */
export function jsonObjectOf(bytes: Uint8Array, what: string): Record<string, unknown> {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw malformed(`${what} is not UTF-8`)
  }
  try {
    return parseStrictJSONObject(text)
  } catch (error) {
    if (error instanceof StrictJSONError) throw malformed(`${what} is not a JSON object without duplicate keys: ${error.message}`)
    throw error
  }
}

export interface SplitTokenOptions {
  /**
   * Footers already known, by their exact base64url text, with their parsed value: a verifier's
   * own `{"kid":"k4.pid.…"}` footers, which nearly every token carries. Equal text means equal
   * bytes, so the parse is the same; any other footer is decoded and parsed as usual.
   */
  knownFooters?: ReadonlyMap<string, Readonly<Record<string, unknown>>>
}

/** Splits and decodes a token; throws TOKEN_MALFORMED for anything but a well-formed v4.public. */
export function splitToken(token: unknown, maxLength: number, options: SplitTokenOptions = {}): TokenParts {
  if (typeof token !== 'string') throw malformed('not a string')
  if (token.length > maxLength) throw malformed(`longer than ${maxLength} characters`)
  if (!token.startsWith(HEADER)) throw malformed('not a v4.public token')
  const parts = token.slice(HEADER.length).split('.')
  if (parts.length > 2) throw malformed('too many parts')
  const [payloadText = '', footerText] = parts
  const payload = decodeBase64url(payloadText)
  if (payload === undefined) throw malformed('payload is not canonical base64url')
  if (payload.length <= SIGNATURE_BYTES) throw malformed('payload too short')
  let footer: Readonly<Record<string, unknown>> | undefined = footerText === undefined ? undefined : options.knownFooters?.get(footerText)
  if (footerText !== undefined && footer === undefined) {
    const footerBytes = decodeBase64url(footerText)
    if (footerBytes === undefined || footerBytes.length === 0) throw malformed('footer is not canonical base64url')
    footer = jsonObjectOf(footerBytes, 'footer')
  }
  return { message: payload.subarray(0, payload.length - SIGNATURE_BYTES), footer }
}
