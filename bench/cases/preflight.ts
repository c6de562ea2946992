import { request } from 'undici'

export interface Answer { status: number; bytes: number; location?: string }

/** One request whose answer a case checks before it is measured. */
export async function ask(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(url, { headers, headersTimeout: 10_000, bodyTimeout: 60_000 })
  let bytes = 0
  for await (const chunk of response.body) bytes += (chunk as Buffer).length
  const location = response.headers.location
  return { status: response.statusCode, bytes, location: typeof location === 'string' ? location : undefined }
}

export function expectAnswer(what: string, answer: Answer, status: number, bytes?: number): void {
  if (answer.status !== status || (bytes !== undefined && answer.bytes !== bytes)) {
    const size = bytes === undefined ? '' : ` with ${bytes} bytes`
    throw new Error(`${what}: expected ${status}${size}, got ${answer.status} with ${answer.bytes} bytes`)
  }
}

/** Sends each URL once, `concurrency` at a time; returns how many got `status`. */
export async function askAll(urls: readonly string[], status: number, concurrency: number): Promise<number> {
  let next = 0
  let matched = 0
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next]!
      next += 1
      if ((await ask(url)).status === status) matched += 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return matched
}
