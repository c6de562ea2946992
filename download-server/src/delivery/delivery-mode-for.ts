import type { Logger } from 'pino'
import type { DownloadConfig } from '../config.js'
import type { UsedTokenStore } from '../stores/used-token-store.js'
import type { Audit } from './audit.js'
import type { DeliveryMode } from './delivery-mode.js'
import { resumableMode } from './resumable-mode.js'
import { singleUseMode } from './single-use-mode.js'

/** The delivery mode `DL_RESUME` chooses: strict single use (off) or resumable single use (on). */
export function deliveryModeFor(deps: {
  config: Pick<DownloadConfig, 'clockToleranceSeconds' | 'resume'>
  store: UsedTokenStore
  audit: Audit
  logger: Logger
  /** A response whose client takes nothing for this long is cut; each mode's default otherwise. */
  idleTimeoutMs?: number
}): DeliveryMode {
  const { config, store, audit, logger } = deps
  const idle = deps.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: deps.idleTimeoutMs }
  // A spent id is remembered past exp + tolerance (and a second more than Date's millisecond
  // cut): until then the verifier could still accept the token.
  const rememberPastExpiryMs = config.clockToleranceSeconds * 1000 + 1000
  if (!config.resume.enabled) return singleUseMode({ store, audit, logger, rememberPastExpiryMs, ...idle })
  return resumableMode({
    store,
    audit,
    logger,
    rememberPastExpiryMs,
    maxResumptions: config.resume.maxResumptions,
    leaseMs: config.resume.leaseMs,
    ...idle,
  })
}
