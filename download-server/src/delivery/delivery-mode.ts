import type { DownloadClaims } from '../../../shared/src/index.js'
import type { SendFileResult } from '../files/send-file.js'

/** A request for a file that passed every check that spends nothing (token, path, file, range). */
export interface DeliveryRequest {
  claims: DownloadClaims
  /** The file as it is now. */
  etag: string
  size: number
  /** The one range asked for (inclusive), already checked against `If-Range`; undefined: the whole file. */
  range: { start: number; end: number } | undefined
}

/** How the file-delivery middleware is to send the file, and what to tell when it is done. */
export interface DeliveryHooks {
  /** Aborted when the delivery lost the token (its lease): the response is cut. */
  signal?: AbortSignal
  idleTimeoutMs?: number
  /** Asked before the file's last byte goes out; false cuts the response without it. */
  beforeLastByte?: () => Promise<boolean>
  /** Called exactly once when the response is over, however it ended (also when it never started). Never rejects. */
  onFinished(result: SendFileResult): Promise<void>
}

export interface DeliveryPlan {
  /** What to send: the asked range, or (a resumption of a changed file) the whole file. */
  range: { start: number; end: number } | undefined
  hooks: DeliveryHooks
}

/**
 * What a token buys: one request (`DL_RESUME=off`, CONTRACT §1) or one complete delivery
 * (`DL_RESUME=on`, §5). Throws a `ContractError` for a refusal.
 */
export interface DeliveryMode {
  /** `HEAD`: refuses as a `GET` would be refused by the store now, without changing anything. */
  check(claims: DownloadClaims): Promise<void>
  /** `GET`: spends or claims the token, before any byte is sent. */
  begin(request: DeliveryRequest): Promise<DeliveryPlan>
}
