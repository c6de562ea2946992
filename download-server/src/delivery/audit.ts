import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'

export type AuditEvent = 'delivery.claimed' | 'delivery.completed' | 'delivery.interrupted' | 'token.refused' | 'token.revoked'

export interface AuditFields {
  /** The token's id, once its signature is verified (never the token itself). */
  jti?: string
  /** The `file` claim. */
  file?: string
  /** File bytes this response sent. */
  bytesSent?: number
  /**
   * A short, bounded word: `first`, `resumption`, `single_use` (claimed); `completed`;
   * `client_gone`, `lease_lost`, `idle`, `range_short`, `last_byte_refused` (interrupted);
   * a problem code (refused); `revoked`, `unchanged` (already used or revoked).
   */
  outcome: string
  /** Resumptions granted to the token so far (resumable deliveries). */
  resumptions?: number
  /** The revocation token's id (token.revoked). */
  by?: string
}

/** The audit trail: one structured log line and one counted metric per event. */
export interface Audit {
  record(event: AuditEvent, fields: AuditFields): void
}

/** Registers `download_audit_events_total` on `registry`; build one per server. */
export function createAudit(deps: { logger: Logger; registry: Registry }): Audit {
  const events = new Counter({
    name: 'download_audit_events_total',
    help: 'Audit events: claims, completions, interruptions, refusals and revocations, by outcome.',
    labelNames: ['event', 'outcome'] as const,
    registers: [deps.registry],
  })
  const logger = deps.logger.child({ audit: true })
  return {
    record(event, fields) {
      events.inc({ event, outcome: fields.outcome })
      logger.info({ event, ...fields }, event)
    },
  }
}
