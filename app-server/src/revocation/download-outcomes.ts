import type { ObservedOutcome } from './issued-token-repository.js'

export interface Observation {
  outcome: ObservedOutcome
  /** File bytes sent, over every delivery of the token. */
  bytes: number
}

/**
 * Reads the download server's per-jti records (its used-token store, shared with the app
 * through `APP_DOWNLOAD_OUTCOMES`). Read-only: the app never writes there.
 */
export interface DownloadOutcomeReader {
  /** `redis` or `sqlite`, for the page's wording and the logs. */
  readonly kind: string
  /**
   * What the store holds for each id; an id missing from the map has no record (unused, or
   * forgotten after its expiry). Undefined when the store cannot be read right now.
   */
  read(jtis: readonly string[]): Promise<Map<string, Observation> | undefined>
  close(): Promise<void>
}

/**
 * One stored record as the download server writes it (docs/operations.md,
 * download-server/src/delivery/token-state.ts): JSON `{"state": "used"|"revoked"|"delivering"|
 * "interrupted", …}`; `1` or NULL from servers before records, and anything unreadable, mean
 * "used". A delivery whose lease lapsed at `now` has ended: complete past its last byte,
 * revoked when it was revoked while running, otherwise interrupted.
 */
export function parseDownloadRecord(text: string | null, now: number): Observation {
  let record: Record<string, unknown> | undefined
  try {
    const value: unknown = text === null ? undefined : JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) record = value as Record<string, unknown>
  } catch {
    record = undefined
  }
  const bytes = typeof record?.bytes === 'number' && Number.isFinite(record.bytes) ? record.bytes : 0
  switch (record?.state) {
    case 'used':
      return { outcome: record.outcome === 'completed' ? 'completed' : record.outcome === 'interrupted' ? 'interrupted' : 'used', bytes }
    case 'revoked':
      return { outcome: 'revoked', bytes }
    case 'interrupted':
      return { outcome: 'interrupted', bytes }
    case 'delivering': {
      if (typeof record.lease === 'number' && record.lease > now) return { outcome: 'delivering', bytes }
      return { outcome: record.lastByte === true ? 'completed' : record.revoked === true ? 'revoked' : 'interrupted', bytes }
    }
    default:
      return { outcome: 'used', bytes: 0 }
  }
}
