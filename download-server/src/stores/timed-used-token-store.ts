import type { Histogram } from 'prom-client'
import type { DeliveryUpdate, UsedTokenStore } from './used-token-store.js'

const UPDATE_OPERATIONS: Readonly<Record<DeliveryUpdate['kind'], string>> = {
  renew: 'renew_lease',
  'last-byte': 'mark_last_byte',
  complete: 'complete_delivery',
  interrupt: 'interrupt_delivery',
}

/** Wraps a store so that every call is observed in the store latency histogram. */
export function timedUsedTokenStore(store: UsedTokenStore, histogram: Histogram<'operation' | 'outcome'>): UsedTokenStore {
  const timed = <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    const end = histogram.startTimer({ operation })
    return call().then(
      (value) => {
        end({ outcome: 'ok' })
        return value
      },
      (error: unknown) => {
        end({ outcome: 'error' })
        throw error
      },
    )
  }
  return {
    consume: (jti, expiresAt) => timed('consume', () => store.consume(jti, expiresAt)),
    recordOutcome: (jti, outcome) => timed('record_outcome', () => store.recordOutcome(jti, outcome)),
    revoke: (jtis, options) => timed('revoke', () => store.revoke(jtis, options)),
    claimDelivery: (jti, options) => timed('claim_delivery', () => store.claimDelivery(jti, options)),
    updateDelivery: (jti, holder, update) => timed(UPDATE_OPERATIONS[update.kind], () => store.updateDelivery(jti, holder, update)),
    getOutcome: (jti) => timed('get_outcome', () => store.getOutcome(jti)),
    ping: () => timed('ping', () => store.ping()),
    close: () => store.close(),
  }
}
