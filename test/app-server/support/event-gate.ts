import type { SecurityEvent } from '../../../app-server/src/security-events.js'

/**
 * Holds the next security event of one type at the sink until the test lets it go: the window
 * between what a request did before reporting it and what it does after, made wide.
 */
export class EventGate {
  #armed: { type: SecurityEvent['type']; reached: () => void; released: Promise<void> } | undefined

  /** Arms the gate; `reached` settles once a request waits at it, `release` lets that request go on. */
  holdNext(type: SecurityEvent['type']): { reached: Promise<void>; release: () => void } {
    let reached!: () => void
    let release!: () => void
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve))
    const released = new Promise<void>((resolve) => (release = resolve))
    this.#armed = { type, reached, released }
    return { reached: reachedPromise, release }
  }

  /** Called by a test sink with every event; waits there when the gate is armed for it. */
  async pass(event: SecurityEvent): Promise<void> {
    const armed = this.#armed
    if (armed === undefined || armed.type !== event.type) return
    this.#armed = undefined
    armed.reached()
    await armed.released
  }
}
