import { ContractError, type ContractErrorCode } from '../../../shared/src/index.js'

/**
 * A refusal decided by the download server itself (a used token, a path outside the root, …),
 * with any headers the answer needs (`Allow`, `Content-Range`). Thrown by routes; `app.onError`
 * turns it into a problem document or a page.
 */
export class Refusal extends ContractError {
  readonly headers: Readonly<Record<string, string>>

  constructor(code: ContractErrorCode, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(code, undefined, { cause: options.cause })
    this.headers = options.headers ?? {}
  }
}
