import type { FC } from 'hono/jsx'
import type { LinkFate } from '../revocation/link-fate.js'
import { formatBytes } from './format.js'

const REASONS: Record<string, string> = {
  signed_out: 'you signed out',
  password_changed: 'the password was changed',
  other_sessions_ended: 'you signed out everywhere else',
  session_revoked: 'the session that made it was ended',
  user_banned: 'the account was suspended',
  file_deleted: 'the file was deleted',
}

const NOT_REPORTED = 'the download server does not report back'

/** "14:05:09 UTC": links live minutes, so seconds matter. */
const clock = (d: Date): string => `${d.toISOString().slice(11, 19)} UTC`

/** What became of one link, in words; the `data-fate` attribute carries the kind for tests and styling. */
export function describeFate(fate: LinkFate, reporting: boolean): string {
  const sent = fate.bytes !== null && fate.bytes > 0 ? ` (${formatBytes(fate.bytes)} sent)` : ''
  switch (fate.kind) {
    case 'completed':
      return `Used: download completed${sent}`
    case 'interrupted':
      return `Used: download interrupted${sent}`
    case 'downloading':
      return 'Downloading now'
    case 'used':
      return 'Used (how the download ended was not reported)'
    case 'revoked': {
      const why = REASONS[fate.revocation?.reason ?? ''] ?? ''
      const pending = fate.revocation?.pending ? '; the download server has not confirmed it yet' : ''
      return `Revoked${why ? `: ${why}` : ''}${pending}`
    }
    case 'expired_unused':
      return 'Expired unused'
    case 'unused':
      return `Not used yet; valid until ${clock(fate.expiresAt)}`
    case 'unknown': {
      const why = reporting ? 'not known right now' : NOT_REPORTED
      return fate.expired ? `Expired; whether it was used is unknown (${why})` : `Valid until ${clock(fate.expiresAt)}; use unknown (${why})`
    }
  }
}

/** The links made for one file in the last hour and their fate. Names a link by the start of its jti, never by its token. */
export const LinkFates: FC<{ fates: LinkFate[]; reporting: boolean }> = ({ fates, reporting }) => (
  <details class="links">
    <summary>
      {fates.length === 1 ? '1 link' : `${fates.length} links`} in the last hour
    </summary>
    <ul class="links">
      {fates.map((f) => (
        <li data-fate={f.kind} data-jti={f.jti}>
          <time datetime={f.issuedAt.toISOString()}>{clock(f.issuedAt)}</time> <code title={f.jti}>{f.jti.slice(0, 8)}</code>{' '}
          {describeFate(f, reporting)}
        </li>
      ))}
    </ul>
  </details>
)
