import type { ContractErrorCode } from './errors.js'

/** The RFC 9457 fields of one refusal, plus what a person should do (for the HTML page). */
export interface ProblemSpec {
  status: number
  title: string
  type: string
  hint: string
}

const TYPE_BASE = 'https://tokens-done-right.dev/problems/'
const FRESH_LINK = 'Go back to the app and ask it for a fresh download link.'

function spec(code: ContractErrorCode, status: number, title: string, hint: string): ProblemSpec {
  return { status, title, type: TYPE_BASE + code.toLowerCase().replaceAll('_', '-'), hint }
}

/** THE one table from code to HTTP status and problem fields; every service maps through it. */
export const PROBLEMS: Readonly<Record<ContractErrorCode, ProblemSpec>> = Object.freeze({
  TOKEN_MALFORMED: spec('TOKEN_MALFORMED', 400, 'The download link is malformed', 'The link may have been cut or altered when it was copied. ' + FRESH_LINK),
  CLAIM_INVALID: spec('CLAIM_INVALID', 400, 'The download link carries an invalid claim', FRESH_LINK),
  KEY_UNKNOWN: spec('KEY_UNKNOWN', 401, 'The download link was signed with an unknown key', FRESH_LINK),
  TOKEN_BAD_SIGNATURE: spec('TOKEN_BAD_SIGNATURE', 401, 'The download link has an invalid signature', 'The link was altered after it was made. ' + FRESH_LINK),
  TOKEN_EXPIRED: spec('TOKEN_EXPIRED', 401, 'The download link has expired', 'Download links work for a few minutes only. ' + FRESH_LINK),
  TOKEN_NOT_YET_VALID: spec('TOKEN_NOT_YET_VALID', 401, 'The download link is not valid yet', 'Check that your clock is right, then try again in a moment.'),
  TOKEN_WRONG_ISSUER: spec('TOKEN_WRONG_ISSUER', 401, 'The download link was issued by someone this server does not serve', FRESH_LINK),
  TOKEN_WRONG_AUDIENCE: spec('TOKEN_WRONG_AUDIENCE', 401, 'The download link is meant for another server', FRESH_LINK),
  TOKEN_LIFETIME_TOO_LONG: spec('TOKEN_LIFETIME_TOO_LONG', 401, 'The download link claims a lifetime this server does not accept', FRESH_LINK),
  TOKEN_USED: spec('TOKEN_USED', 410, 'The download link has already been used', 'Each link works once. ' + FRESH_LINK),
  TOKEN_REVOKED: spec('TOKEN_REVOKED', 410, 'The download link has been withdrawn', 'The link was ended (sign-out, password change or a removed file). Sign in to the app again if you still need the file.'),
  TOKEN_IN_USE: spec('TOKEN_IN_USE', 409, 'The download link is in use', 'A download with this link is running. Wait for it to finish, or try again shortly.'),
  RESUME_LIMIT: spec('RESUME_LIMIT', 410, 'The download cannot be resumed again', 'This link has been resumed as often as allowed. ' + FRESH_LINK),
  FILE_CHANGED: spec('FILE_CHANGED', 409, 'The file changed since the link was made', FRESH_LINK),
  PATH_FORBIDDEN: spec('PATH_FORBIDDEN', 403, 'The link points outside the served files', FRESH_LINK),
  FILE_NOT_FOUND: spec('FILE_NOT_FOUND', 404, 'The file no longer exists', 'The file may have been deleted. Check the file list in the app.'),
  RANGE_NOT_SATISFIABLE: spec('RANGE_NOT_SATISFIABLE', 416, 'The requested range is not in the file', 'Restart the download from the beginning.'),
  PREFETCH_REFUSED: spec('PREFETCH_REFUSED', 503, 'Prefetching download links is not served', 'Open the link to download the file.'),
  STORE_UNAVAILABLE: spec('STORE_UNAVAILABLE', 503, 'The download service is briefly unavailable', 'Try again in a few seconds; your link has not been used.'),
  NOT_FOUND: spec('NOT_FOUND', 404, 'Not found', 'Download links look like /d/<token>. ' + FRESH_LINK),
  METHOD_NOT_ALLOWED: spec('METHOD_NOT_ALLOWED', 405, 'Method not allowed', 'Open the link in a browser or fetch it with GET.'),
  PAYLOAD_TOO_LARGE: spec('PAYLOAD_TOO_LARGE', 413, 'The request body is too large', 'Send fewer token ids in one request.'),
})

/** The wire `code` of a problem document: lower snake case, e.g. `token_revoked`. */
export function problemCode(code: ContractErrorCode): string {
  return code.toLowerCase()
}
