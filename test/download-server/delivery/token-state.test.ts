import { describe, expect, it } from 'vitest'
import {
  claim,
  consume,
  effectiveRecord,
  outcomeOf,
  parseTokenRecord,
  revoke,
  updateDelivery,
  type TokenRecord,
} from '../../../download-server/src/delivery/token-state.js'

// The pure core both stores run; the store contract suite runs it through real SQLite and Redis.
const NOW = 1_900_000_000_000
const request = { holder: 'h1', etag: '"e1"', leaseMs: 30_000, maxResumptions: 3, keepMs: 330_000 }
const delivering = (over: Partial<Extract<TokenRecord, { state: 'delivering' }>> = {}): TokenRecord => ({
  state: 'delivering',
  at: NOW,
  holder: 'h1',
  lease: NOW + 30_000,
  etag: '"e1"',
  resumptions: 0,
  bytes: 0,
  ...over,
})

describe('the token state machine', () => {
  it('ends a delivery whose lease lapsed as interrupted, completed (last byte marked) or revoked (revoked while running)', () => {
    const lapsed = { lease: NOW - 1 }
    expect(effectiveRecord(delivering(lapsed), NOW)).toMatchObject({ state: 'interrupted', etag: '"e1"' })
    expect(effectiveRecord(delivering({ ...lapsed, lastByte: true }), NOW)).toMatchObject({ state: 'used', outcome: 'completed' })
    expect(effectiveRecord(delivering({ ...lapsed, revoked: true }), NOW)).toMatchObject({ state: 'revoked' })
    expect(effectiveRecord(delivering({ lease: NOW + 1 }), NOW)).toMatchObject({ state: 'delivering' })
    // The lease ends at its deadline, not a millisecond later.
    expect(effectiveRecord(delivering({ lease: NOW }), NOW)?.state).toBe('interrupted')
  })

  it('keeps a claimed record at least as long as the token may be presented, and twice the lease', () => {
    expect(claim(undefined, request, NOW).keepMs).toBe(330_000)
    expect(claim(undefined, { ...request, keepMs: 1000 }, NOW).keepMs).toBe(60_000)
    expect(revoke(undefined, 331_000, NOW).keepMs).toBe(331_000)
  })

  it('never changes a record for a refused claim, consume or update', () => {
    expect(claim(delivering(), request, NOW).next).toBeUndefined()
    expect(consume({ state: 'revoked', at: NOW }, 1000, NOW)).toEqual({ next: undefined, keepMs: 0, result: 'revoked' })
    expect(updateDelivery(delivering(), 'someone-else', { kind: 'complete', bytes: 1 }, NOW).next).toBeUndefined()
    expect(revoke({ state: 'used' }, 1000, NOW).next).toBeUndefined()
  })

  it('does not grant a resumption with a budget of 0', () => {
    const interrupted: TokenRecord = { state: 'interrupted', at: NOW, etag: '"e1"', resumptions: 0, bytes: 10 }
    expect(claim(interrupted, { ...request, maxResumptions: 0 }, NOW).result).toEqual({ refused: 'resume_limit' })
  })

  it('reads a damaged or foreign record as used, so it can never reopen a token', () => {
    const incomplete = ['{"state":"delivering"}', '{"state":"interrupted","etag":"\\"e\\"","bytes":1}', '{"state":"delivering","holder":"h","etag":"e","resumptions":0,"bytes":0,"lease":"soon"}']
    for (const text of ['1', '', 'not json', '{"state":"fresh"}', '[]', 'null', '{"state":"delivering"', ...incomplete]) {
      expect(parseTokenRecord(text), text).toEqual({ state: 'used' })
      expect(claim(parseTokenRecord(text), request, NOW).result).toEqual({ refused: 'used' })
    }
  })

  it('reports fates for the app: spent strict tokens are not resumable', () => {
    expect(outcomeOf(undefined, NOW)).toBeUndefined()
    expect(outcomeOf({ state: 'used', outcome: 'interrupted', bytes: 5 }, NOW)).toMatchObject({ status: 'interrupted', resumable: false, bytes: 5 })
    expect(outcomeOf({ state: 'interrupted', at: NOW, etag: '"e"', resumptions: 2, bytes: 7 }, NOW)).toEqual({
      status: 'interrupted',
      resumable: true,
      bytes: 7,
      resumptions: 2,
      at: NOW,
    })
  })
})
