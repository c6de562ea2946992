import type { IssuedToken } from './issued-token-repository.js'

export type LinkFateKind =
  /** Downloaded to the last byte. */
  | 'completed'
  /** A download started and broke off (resumable until expiry when the server allows it). */
  | 'interrupted'
  | 'downloading'
  /** Used; how the download ended was not reported. */
  | 'used'
  | 'revoked'
  | 'expired_unused'
  /** Still valid and not used (as far as the store says). */
  | 'unused'
  /** The app cannot tell whether it was used: no store to read, or it was not readable in time. */
  | 'unknown'

export interface LinkFate {
  jti: string
  fileId: string
  issuedAt: Date
  expiresAt: Date
  kind: LinkFateKind
  expired: boolean
  /** File bytes the download server reports sent. */
  bytes: number | null
  /** For `revoked`: why, and whether the download server has been told. */
  revocation?: { reason: string; delivered: boolean; pending: boolean }
}

/**
 * A link's fate from the app's own record of it and what it last read in the download
 * server's store. What the store says wins (a link used before its revocation was used); the
 * app's own revocation record next; then expiry. "Expired unused" is claimed only when the
 * store was read after the expiry and held nothing: the store remembers a used id past its
 * expiry, so an empty read then means it was never used.
 */
export function linkFate(token: IssuedToken, options: { now: Date; reporting: boolean; acceptedPastExpiryMs: number }): LinkFate {
  const now = options.now.getTime()
  const expired = now >= token.expiresAt.getTime()
  const base = { jti: token.jti, fileId: token.fileId, issuedAt: token.issuedAt, expiresAt: token.expiresAt, expired, bytes: token.outcomeBytes }
  const revocation = token.revokedAt && {
    reason: token.revokedReason ?? 'revoked',
    delivered: token.revocationSentAt !== null || token.outcome === 'revoked',
    pending: token.revocationSentAt === null && token.outcome !== 'revoked' && now < token.expiresAt.getTime() + options.acceptedPastExpiryMs,
  }
  const withRevocation = revocation ? { revocation } : {}
  switch (token.outcome) {
    case 'completed':
    case 'interrupted':
    case 'used':
      return { ...base, kind: token.outcome, ...withRevocation }
    case 'delivering':
      return { ...base, kind: 'downloading', ...withRevocation }
    case 'revoked':
      return { ...base, kind: 'revoked', revocation: revocation || { reason: 'revoked', delivered: true, pending: false } }
    case null:
      break
  }
  if (revocation) return { ...base, kind: 'revoked', revocation }
  if (!options.reporting) return { ...base, kind: 'unknown' }
  const checkedAfterExpiry = token.outcomeCheckedAt !== null && token.outcomeCheckedAt.getTime() >= token.expiresAt.getTime()
  if (expired) return { ...base, kind: checkedAfterExpiry ? 'expired_unused' : 'unknown' }
  return { ...base, kind: token.outcomeCheckedAt === null ? 'unknown' : 'unused' }
}
