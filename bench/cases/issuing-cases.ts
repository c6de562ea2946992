import type { ServiceProcess } from '../lib/service-process.js'
import type { BenchContext } from './bench-context.js'
import { measureLoad, requestSample, type BenchCase, type Sample, type Target } from './bench-case.js'
import { ask } from './preflight.js'

export interface SignedInSession {
  /** e.g. /files/1/download */
  path: string
  /** The Cookie header value of a signed-in user who owns the file. */
  cookie: string
}

/** A signed-in user's GET of a file's download route, answered 303 to /d/<fresh token>. */
export function issuingCase(
  ctx: BenchContext,
  base: { id: string; title: string; baseline?: string; target?: Target },
  server: ServiceProcess & { url: string },
  session: SignedInSession,
): BenchCase {
  const url = `${server.url}${session.path}`
  const wrkOptions = (durationS: number): Parameters<typeof measureLoad>[1] => ({
    url,
    connections: ctx.options.connections,
    threads: ctx.options.threads,
    durationS,
    timeoutS: 10,
    headers: [`Cookie: ${session.cookie}`],
    signal: ctx.signal,
  })
  // wrk counts only 4xx/5xx as errors: a redirect to the sign-in page would pass unnoticed,
  // so the answer is checked before and after every measurement.
  const check = async (): Promise<void> => {
    const answer = await ask(url, { cookie: session.cookie })
    if (answer.status !== 303 || !/\/d\/v4\.public\./.test(answer.location ?? '')) {
      throw new Error(`${base.id}: expected 303 to /d/v4.public.…, got ${answer.status} to ${answer.location ?? '(none)'}`)
    }
  }
  return {
    ...base,
    unit: 'req/s',
    async prepare(): Promise<void> {
      await check()
      if (ctx.options.warmupS > 0) await measureLoad(server.pid, wrkOptions(ctx.options.warmupS))
    },
    async run(round: number): Promise<Sample> {
      const sample = requestSample(round, await measureLoad(server.pid, wrkOptions(ctx.options.durationS)), 'success')
      await check()
      return sample
    },
  }
}
