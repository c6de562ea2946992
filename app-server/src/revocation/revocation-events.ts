// The download server's group commit: nothing in it is about downloads.
import { SQLiteWriteQueue } from '../../../download-server/src/stores/sqlite-write-queue.js'
import { MAX_CLOCK_TOLERANCE_SECONDS } from '../../../shared/src/index.js'
import { withoutTrailingSlash } from '../config.js'
import { connectAppDatabase } from '../db/open-app-database.js'
import { createLoggingSecurityEvents } from '../security-events.js'
import type { SecurityEvent, SecurityEvents, SecurityEventsContext } from '../security-events.js'
import { IssuedTokenRepository } from './issued-token-repository.js'
import type { IssuedTokenRecord, RevocationReason, RevocationScope } from './issued-token-repository.js'
import { createRevocationClient } from './revocation-client.js'
import type { FetchLike } from './revocation-client.js'
import type { RevocationMetrics } from './revocation-metrics.js'
import { RevocationOutbox } from './revocation-outbox.js'
import { RevocationWorker } from './revocation-worker.js'
import type { RevocationTuning } from './revocation-worker.js'

/**
 * A download server accepts a token until `exp` plus its clock tolerance (at most 30 s, CONTRACT
 * §2): until then a revocation still matters, and is still sent.
 */
export const ACCEPTED_PAST_EXPIRY_MS = (MAX_CLOCK_TOLERANCE_SECONDS + 1) * 1000

/** How long recording a new link waits for another app process's write lock before the request fails (503). */
export const LINK_RECORD_MAX_WAIT_MS = 2000

/** A link recorded after its user's ban or its file's deletion: revoked as soon as it is recorded. */
interface LateRevocation {
  scope: RevocationScope
  reason: Extract<RevocationReason, 'user_banned' | 'file_deleted'>
}

export interface RevocationOptions {
  fetch: FetchLike
  random: () => number
  metrics: RevocationMetrics
  tuning: RevocationTuning
  /** How long the user's request waits for the first delivery attempt (then it goes on in the background). */
  firstAttemptMs: number
  /** Timeout of one POST /revoke. */
  requestTimeoutMs: number
}

/**
 * The app server's SecurityEvents sink (CONTRACT §4): an audit log line per event, every
 * issued token recorded, and on logout, password change, "sign out everywhere else" and a ban
 * all of the user's live tokens revoked (a stolen link cannot be told apart from the user's
 * own, and the user's own device just asks again); on ending one session that session's
 * links; on a deleted file that file's. Revoked ids go into the durable outbox in the same
 * transaction that marks them, then the request waits for the first delivery at most
 * `firstAttemptMs`; the worker retries in the background. A failure here never fails the
 * user's action: it is logged and counted.
 */
export function createRevocationEvents(ctx: SecurityEventsContext, options: RevocationOptions): SecurityEvents & { worker: RevocationWorker } {
  const { db, clock, logger } = ctx
  const log = logger.child({ component: 'revocation' })
  const audit = createLoggingSecurityEvents(logger)
  const issued = new IssuedTokenRepository(db)
  const outbox = new RevocationOutbox(db)
  const client = createRevocationClient({ baseURL: withoutTrailingSlash(ctx.config.downloadInternalURL), fetch: options.fetch, timeoutMs: options.requestTimeoutMs })
  const worker = new RevocationWorker({
    outbox,
    issued,
    signRevocation: (revoke, now) => ctx.signer.signRevocation({ revoke }, { now }),
    send: (token, signal) => client.send(token, signal),
    clock,
    random: options.random,
    logger,
    metrics: options.metrics,
    tuning: options.tuning,
  })

  // New links are recorded with group commit (the rows of one event-loop turn share a commit,
  // and each link is handed out only once its row has committed), on a connection of their own:
  // SQLiteWriteQueue sets its busy_timeout to 0, so that waiting for another app process's write
  // lock never blocks this event loop, while the app's other writes keep SQLite's busy handler.
  const linkDb = connectAppDatabase(db.name)
  const linkQueue = new SQLiteWriteQueue(linkDb, { maxWaitMs: LINK_RECORD_MAX_WAIT_MS })
  const linkRows = new IssuedTokenRepository(linkDb)
  const isBanned = linkDb.prepare<[number], { banned: number }>('SELECT banned_at IS NOT NULL AS banned FROM users WHERE id = ?')
  const fileExists = linkDb.prepare<[string], { n: number }>('SELECT count(*) AS n FROM files WHERE id = ?')
  // A request that loaded the user just before a ban (or the file just before its deletion) can
  // record its link after the ban's revocation ran. Read as the row is written, in its
  // transaction: a ban committed before the row is seen here, one committed after it finds the
  // row when it revokes. (A savepoint: the row and its checks stand or fall together.)
  const recordLink = linkDb.transaction((token: IssuedTokenRecord): LateRevocation | undefined => {
    linkRows.record(token)
    if (isBanned.get(token.userId)?.banned === 1) return { scope: { userId: token.userId }, reason: 'user_banned' }
    if (fileExists.get(token.fileId)?.n === 0) return { scope: { fileId: token.fileId }, reason: 'file_deleted' }
    return undefined
  })

  async function revoke(scope: RevocationScope, reason: RevocationReason): Promise<void> {
    const now = clock()
    let jtis: string[]
    try {
      jtis = db.transaction(() => {
        const tokens = issued.markRevoked(scope, reason, { now, acceptedAfter: new Date(now.getTime() - ACCEPTED_PAST_EXPIRY_MS) })
        outbox.enqueue(tokens.map((t) => ({ jti: t.jti, deliverUntil: new Date(t.expiresAt.getTime() + ACCEPTED_PAST_EXPIRY_MS) })), now)
        return tokens.map((t) => t.jti)
      })()
    } catch (err) {
      options.metrics.ids.inc({ outcome: 'lost' })
      log.error({ err, reason }, 'could not queue the revocation of download tokens')
      return
    }
    if (jtis.length === 0) return
    options.metrics.ids.inc({ outcome: 'queued' }, jtis.length)
    log.info({ reason, ids: jtis.length, jtis: jtis.slice(0, 100) }, 'download tokens revoked')
    await worker.flush(options.firstAttemptMs)
  }

  async function tokenIssued(event: Extract<SecurityEvent, { type: 'token_issued' }>): Promise<void> {
    const token: IssuedTokenRecord = { ...event, issuedAt: clock() }
    const late = await linkQueue.run(() => recordLink(token))
    if (late !== undefined) await revoke(late.scope, late.reason)
  }

  worker.start()
  return {
    worker,
    async record(event) {
      await audit.record(event)
      // Not caught: a link the app could not record could not be revoked, so it is not handed out.
      if (event.type === 'token_issued') return tokenIssued(event)
      switch (event.type) {
        case 'signed_out':
        case 'password_changed':
        case 'other_sessions_ended':
        case 'user_banned':
          return revoke({ userId: event.userId }, event.type)
        case 'session_revoked':
          return revoke({ userId: event.userId, sessionHandle: event.handle }, event.type)
        case 'file_deleted':
          return revoke({ fileId: event.fileId }, event.type)
        default:
          return
      }
    },
    async close() {
      await worker.close()
      linkQueue.close()
      linkDb.close()
    },
  }
}
