import { Counter, Gauge, Registry } from 'prom-client'

export interface RevocationMetrics {
  registry: Registry
  /** Delivery attempts (one POST /revoke each) by `outcome`: delivered, refused, unavailable. */
  attempts: Counter<'outcome'>
  /** Ids by what became of them: queued, delivered, expired (dropped undelivered), lost (could not be queued). */
  ids: Counter<'outcome'>
  /** Ids waiting in this app.db's outbox, as of this process's last delivery round. */
  pending: Gauge
}

/** Built once per app server (no global registry), exposed at `/metrics` when APP_METRICS=on. */
export function createRevocationMetrics(registry: Registry = new Registry()): RevocationMetrics {
  return {
    registry,
    attempts: new Counter({
      name: 'app_revocation_attempts_total',
      help: 'POST /revoke attempts to the download server, by outcome (delivered, refused, unavailable)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    ids: new Counter({
      name: 'app_revocation_ids_total',
      help: 'Token ids by what became of their revocation: queued, delivered, expired (never delivered), lost (could not be queued)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'app_revocation_pending_ids',
      help: 'Token ids waiting in the revocation outbox (shared by every app process on one app.db)',
      registers: [registry],
    }),
  }
}
