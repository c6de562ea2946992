import type { Logger } from 'pino'
import type { DownloadOutcomeReader } from './download-outcomes.js'
import type { IssuedTokenRepository } from './issued-token-repository.js'
import { linkFate } from './link-fate.js'
import type { LinkFate } from './link-fate.js'

export interface LinkFatesOptions {
  issued: IssuedTokenRepository
  /** Absent: the download server does not report back (no APP_DOWNLOAD_OUTCOMES). */
  outcomes: DownloadOutcomeReader | undefined
  clock: () => Date
  logger: Logger
  /** How far back the files page looks, and how long records are kept. */
  windowMs: number
  acceptedPastExpiryMs: number
  /** How often outcomes of live links are copied from the download server's store. */
  sweepMs: number
  purgeMs: number
  /** Links shown per file, newest first. */
  perFile: number
}

export const DEFAULT_LINK_FATES = { windowMs: 3600_000, sweepMs: 5_000, purgeMs: 60_000, perFile: 10 }

/**
 * The fates of the links the app issued, for the files page. The download server forgets a
 * token soon after its expiry, so what it says is copied into the app's own records while it
 * still knows: on every files page view (that user's links) and by a sweep every `sweepMs`
 * (everyone's live links). The same timer purges records past the window.
 */
export class LinkFates {
  readonly #o: LinkFatesOptions
  #timer: NodeJS.Timeout | undefined
  #lastPurge = 0
  #sweeping = false

  constructor(options: LinkFatesOptions) {
    this.#o = options
  }

  /** True when the download server's store is configured to be read. */
  get reporting(): boolean {
    return this.#o.outcomes !== undefined
  }

  start(): void {
    this.#timer = setInterval(() => void this.sweep(), Math.min(this.#o.sweepMs, this.#o.purgeMs))
    this.#timer.unref()
  }

  /** The user's links of the last `windowMs`, by file id, newest first. */
  async forUser(userId: number): Promise<Map<string, LinkFate[]>> {
    const now = this.#o.clock()
    await this.#observe(userId)
    const byFile = new Map<string, LinkFate[]>()
    for (const token of this.#o.issued.recentByUser(userId, new Date(now.getTime() - this.#o.windowMs), 1000)) {
      const list = byFile.get(token.fileId) ?? []
      if (list.length >= this.#o.perFile) continue
      list.push(linkFate(token, { now, reporting: this.reporting, acceptedPastExpiryMs: this.#o.acceptedPastExpiryMs }))
      byFile.set(token.fileId, list)
    }
    return byFile
  }

  /** Copies outcomes of every live link and purges old records (the timer calls this). */
  async sweep(): Promise<void> {
    if (this.#sweeping) return
    this.#sweeping = true
    try {
      await this.#observe(undefined)
      const now = this.#o.clock().getTime()
      if (now - this.#lastPurge >= this.#o.purgeMs) {
        this.#lastPurge = now
        const purged = this.#o.issued.purge({ issuedBefore: new Date(now - this.#o.windowMs), expiredBefore: new Date(now - this.#o.acceptedPastExpiryMs) })
        if (purged > 0) this.#o.logger.debug({ purged }, 'old issued-token records purged')
      }
    } catch (err) {
      this.#o.logger.warn({ err }, 'link fate sweep failed')
    } finally {
      this.#sweeping = false
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#o.outcomes?.close()
  }

  async #observe(userId: number | undefined): Promise<void> {
    const reader = this.#o.outcomes
    if (!reader) return
    const now = this.#o.clock()
    const jtis = this.#o.issued.observable({
      expiresAfter: new Date(now.getTime() - this.#o.acceptedPastExpiryMs),
      limit: 5000,
      ...(userId === undefined ? {} : { userId }),
    })
    if (jtis.length === 0) return
    const found = await reader.read(jtis)
    if (found) this.#o.issued.saveObservations(jtis, found, now)
  }
}
