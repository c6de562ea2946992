// The one state machine of a token id (CONTRACT §1, §4, §5), as pure functions of the stored
// record and the store's current time. Both stores run these same functions inside one atomic
// step (a SQLite transaction; a compare-and-set script on Redis), so they cannot disagree.
//
//   fresh ──consume──▶ used                                   (strict single use, §1)
//   fresh ──claim──▶ delivering ──complete──▶ used (completed)
//                     │  ▲    └──interrupt / lease lapses──▶ interrupted ──claim (budget left)──┘
//                     │  └─renew, last-byte
//   fresh, interrupted ──revoke──▶ revoked; delivering ──revoke──▶ delivering (ends as revoked
//   unless it completes: a running delivery may finish)

/** What the store keeps per `jti`, as JSON. Times are Unix milliseconds by the store's clock. */
export type TokenRecord =
  /** Spent: strict single use consumed it, or a resumable delivery completed. */
  | { state: 'used'; at?: number; outcome?: 'completed' | 'interrupted'; bytes?: number; resumptions?: number }
  | { state: 'revoked'; at: number; bytes?: number; resumptions?: number }
  | {
      state: 'delivering'
      at: number
      /** Which running delivery holds the lease (a random id per response). */
      holder: string
      /** Lease deadline: past it, the delivery counts as interrupted (its server is gone or stuck). */
      lease: number
      /** ETag of the file as the first delivery sent it; a resumption sends 206 only for the same. */
      etag: string
      resumptions: number
      /** File bytes sent by earlier deliveries of this token. */
      bytes: number
      /** The last byte is being sent: if the lease lapses now, count the delivery as complete. */
      lastByte?: true
      /** Revoked while running: it may finish, but ends as revoked instead of resumable. */
      revoked?: true
    }
  | { state: 'interrupted'; at: number; etag: string; resumptions: number; bytes: number }

/** The outcome of one atomic step: the record to write (if any), how long to keep it, and the answer. */
export interface Transition<R> {
  /** Undefined: nothing changes. */
  next: TokenRecord | undefined
  /** Keep the record at least this long from now (a store never shortens what it already keeps). */
  keepMs: number
  result: R
}

export type ConsumeResult = 'consumed' | 'used' | 'revoked'

export type ClaimResult =
  | { granted: 'first' | 'resumption'; firstEtag: string; resumptions: number }
  | { refused: 'in_use' | 'used' | 'revoked' | 'resume_limit' }

export interface ClaimRequest {
  holder: string
  etag: string
  leaseMs: number
  maxResumptions: number
  keepMs: number
}

/** A change to a running delivery, made only by the delivery that holds its lease. */
export type DeliveryUpdate =
  | { kind: 'renew'; leaseMs: number }
  /** Before sending the file's last byte (renews the lease too). */
  | { kind: 'last-byte'; leaseMs: number }
  | { kind: 'complete'; bytes: number }
  | { kind: 'interrupt'; bytes: number }

/** A token's fate as the app may show it (the link-fate page), read from the record. */
export interface TokenOutcome {
  status: 'used' | 'delivering' | 'completed' | 'interrupted' | 'revoked'
  /** An interrupted resumable delivery: a later request may resume it (budget permitting). */
  resumable: boolean
  /** File bytes sent, over every delivery of the token. */
  bytes: number
  resumptions: number
  /** When the state last changed, Unix ms by the store's clock (absent for old records). */
  at: number | undefined
}

const unchanged = <R>(result: R): Transition<R> => ({ next: undefined, keepMs: 0, result })
const write = <R>(next: TokenRecord, keepMs: number, result: R): Transition<R> => ({ next, keepMs, result })

/** The record as it stands at `now`: a delivery whose lease lapsed has ended. */
export function effectiveRecord(record: TokenRecord | undefined, now: number): TokenRecord | undefined {
  if (record?.state !== 'delivering' || record.lease > now) return record
  const { resumptions, bytes } = record
  // Past the point of no return the client may hold every byte: count it as complete (§5's bound
  // of one complete copy matters more than one more resumption for a client that lost the end).
  if (record.lastByte === true) return { state: 'used', at: record.lease, outcome: 'completed', bytes, resumptions }
  if (record.revoked === true) return { state: 'revoked', at: record.lease, bytes, resumptions }
  return { state: 'interrupted', at: record.lease, etag: record.etag, resumptions, bytes }
}

/**
 * What a strict consume writes: always the same text, so that a store can record the outcome
 * later with one compare-and-set on it, without reading first (strict single use is the hot path).
 */
export const CONSUMED_RECORD: TokenRecord = Object.freeze({ state: 'used' })
export const CONSUMED_RECORD_TEXT = JSON.stringify(CONSUMED_RECORD)

/** Strict single use (§1): the first consume wins; a refusal says whether the id is used or revoked. */
export function consume(record: TokenRecord | undefined, keepMs: number, now: number): Transition<ConsumeResult> {
  const current = effectiveRecord(record, now)
  if (current === undefined) return write(CONSUMED_RECORD, keepMs, 'consumed')
  return unchanged(current.state === 'revoked' ? 'revoked' : 'used')
}

/** How a strict single-use response ended (for the outcome record); later calls change nothing. */
export function recordOutcome(
  record: TokenRecord | undefined,
  outcome: { completed: boolean; bytes: number },
  now: number,
): Transition<void> {
  if (record?.state !== 'used' || record.outcome !== undefined) return unchanged(undefined)
  return write({ ...record, at: now, outcome: outcome.completed ? 'completed' : 'interrupted', bytes: outcome.bytes }, 0, undefined)
}

/** Starts a delivery (§5): the first one, or a resumption of an interrupted one within the budget. */
export function claim(record: TokenRecord | undefined, request: ClaimRequest, now: number): Transition<ClaimResult> {
  const current = effectiveRecord(record, now)
  const keepMs = Math.max(request.keepMs, 2 * request.leaseMs)
  const delivering = { state: 'delivering' as const, at: now, holder: request.holder, lease: now + request.leaseMs }
  if (current === undefined) {
    const next = { ...delivering, etag: request.etag, resumptions: 0, bytes: 0 }
    return write(next, keepMs, { granted: 'first', firstEtag: request.etag, resumptions: 0 })
  }
  switch (current.state) {
    case 'used':
    case 'revoked':
      return unchanged({ refused: current.state })
    case 'delivering':
      return unchanged({ refused: 'in_use' })
    case 'interrupted': {
      if (current.resumptions >= request.maxResumptions) return unchanged({ refused: 'resume_limit' })
      const resumptions = current.resumptions + 1
      const next = { ...delivering, etag: current.etag, resumptions, bytes: current.bytes }
      return write(next, keepMs, { granted: 'resumption', firstEtag: current.etag, resumptions })
    }
  }
}

/**
 * A change by the delivery `holder`. Answers whether that delivery still holds the token; when
 * not (another took over after its lease lapsed), nothing changes and it must stop sending.
 * A lapsed lease that nobody took over is still the holder's.
 */
export function updateDelivery(
  record: TokenRecord | undefined,
  holder: string,
  update: DeliveryUpdate,
  now: number,
): Transition<boolean> {
  if (record?.state !== 'delivering' || record.holder !== holder) return unchanged(false)
  const { resumptions, bytes } = record
  switch (update.kind) {
    case 'renew':
      return write({ ...record, lease: now + update.leaseMs }, 2 * update.leaseMs, true)
    case 'last-byte':
      return write({ ...record, lease: now + update.leaseMs, lastByte: true }, 2 * update.leaseMs, true)
    case 'complete':
      return write({ state: 'used', at: now, outcome: 'completed', bytes: bytes + update.bytes, resumptions }, 0, true)
    case 'interrupt': {
      const sent = bytes + update.bytes
      if (record.revoked === true) return write({ state: 'revoked', at: now, bytes: sent, resumptions }, 0, true)
      return write({ state: 'interrupted', at: now, etag: record.etag, resumptions, bytes: sent }, 0, true)
    }
  }
}

/**
 * Revocation (§4): answers whether this call newly revoked the id (it was fresh, interrupted or
 * running, not already used or revoked). Every revoked id is kept at least `keepMs` from now.
 */
export function revoke(record: TokenRecord | undefined, keepMs: number, now: number): Transition<boolean> {
  const current = effectiveRecord(record, now)
  if (current === undefined) return write({ state: 'revoked', at: now }, keepMs, true)
  switch (current.state) {
    case 'used':
      return unchanged(false)
    case 'revoked':
      // Written again only to keep it longer; not counted.
      return write(current, keepMs, false)
    case 'delivering':
      return write({ ...current, revoked: true }, keepMs, current.revoked !== true)
    case 'interrupted':
      return write({ state: 'revoked', at: now, bytes: current.bytes, resumptions: current.resumptions }, keepMs, true)
  }
}

/** The fate of a token id, or undefined when the store holds nothing for it (unused or forgotten). */
export function outcomeOf(record: TokenRecord | undefined, now: number): TokenOutcome | undefined {
  const current = effectiveRecord(record, now)
  if (current === undefined) return undefined
  const base = { bytes: current.bytes ?? 0, resumptions: current.resumptions ?? 0, at: current.at }
  switch (current.state) {
    case 'used':
      return { ...base, status: current.outcome ?? 'used', resumable: false }
    case 'delivering':
      return { ...base, status: 'delivering', resumable: false }
    case 'interrupted':
      return { ...base, status: 'interrupted', resumable: true }
    case 'revoked':
      return { ...base, status: 'revoked', resumable: false }
  }
}

/**
 * Reads a stored record. `1` (what servers before records wrote) and anything unreadable or
 * incomplete count as used: a damaged record must never reopen a token.
 */
export function parseTokenRecord(text: string): TokenRecord {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { state: 'used' }
  }
  return isTokenRecord(value) ? value : { state: 'used' }
}

function isTokenRecord(value: unknown): value is TokenRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  const numbers = (...keys: string[]): boolean => keys.every((key) => typeof record[key] === 'number')
  switch (record.state) {
    case 'used':
    case 'revoked':
      return true
    case 'interrupted':
      return typeof record.etag === 'string' && numbers('resumptions', 'bytes')
    case 'delivering':
      return typeof record.etag === 'string' && typeof record.holder === 'string' && numbers('lease', 'resumptions', 'bytes')
    default:
      return false
  }
}

export function serializeTokenRecord(record: TokenRecord): string {
  return JSON.stringify(record)
}
