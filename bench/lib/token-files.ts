import { writeFile, rm } from 'node:fs/promises'
import path from 'node:path'
import type { TokenSigner } from '../../shared/src/index.js'

export interface TokenBatch {
  /** wrk reads `<prefix><thread>.txt`. */
  readonly prefix: string
  readonly tokens: readonly string[]
  readonly jtis: readonly string[]
  remove(): Promise<void>
}

export interface SignBatchOptions {
  signer: TokenSigner
  claim: { file: string; name?: string; size?: number }
  count: number
  /** One file per wrk thread; tokens are dealt round-robin so no two threads share one. */
  threads: number
  dir: string
  tag: string
}

/** Signs `count` download tokens (not measured) and writes them for the wrk driver. */
export async function signTokenBatch(options: SignBatchOptions): Promise<TokenBatch> {
  const tokens: string[] = []
  const jtis: string[] = []
  for (let i = 0; i < options.count; i += 1) {
    const signed = await options.signer.signDownload(options.claim)
    tokens.push(signed.token)
    jtis.push(signed.jti)
  }
  const prefix = path.join(options.dir, `${options.tag}-`)
  const files: string[] = []
  for (let thread = 0; thread < options.threads; thread += 1) {
    const mine = tokens.filter((_, index) => index % options.threads === thread)
    const file = `${prefix}${thread}.txt`
    files.push(file)
    await writeFile(file, `${mine.join('\n')}\n`)
  }
  return {
    prefix,
    tokens,
    jtis,
    async remove(): Promise<void> {
      await Promise.all(files.map((file) => rm(file, { force: true })))
    },
  }
}
