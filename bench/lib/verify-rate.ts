import { verify, type KeyObject } from 'node:crypto'

// The reference the download server is held to: how many Ed25519 verifications one thread
// does per second with synchronous `crypto.verify` on a prepared KeyObject, over the very
// messages a v4.public token signs (its pre-authentication encoding), so that the message
// length and hashing work match what the server must do.

const HEADER = 'v4.public.'
const SIGNATURE_BYTES = 64

export interface VerifyInput { message: Buffer; signature: Buffer }

function le64(n: number): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64LE(BigInt(n))
  return out
}

/** PASETO pre-authentication encoding (PAE) of the pieces. */
export function pae(pieces: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [le64(pieces.length)]
  for (const piece of pieces) parts.push(le64(piece.length), piece)
  return Buffer.concat(parts)
}

/** Splits v4.public tokens (empty implicit assertion) into the signed message and its signature. */
export function verifyInputsOf(tokens: readonly string[]): VerifyInput[] {
  return tokens.map((token) => {
    if (!token.startsWith(HEADER)) throw new Error('not a v4.public token')
    const [body = '', footer = ''] = token.slice(HEADER.length).split('.')
    const decoded = Buffer.from(body, 'base64url')
    const payload = decoded.subarray(0, decoded.length - SIGNATURE_BYTES)
    const signature = decoded.subarray(decoded.length - SIGNATURE_BYTES)
    const message = pae([Buffer.from(HEADER), payload, Buffer.from(footer, 'base64url'), Buffer.alloc(0)])
    return { message, signature }
  })
}

export interface VerifyRate { verificationsPerSecond: number; count: number; cpuS: number }

/** Verifies in a tight loop on this thread for about `durationMs`. */
export function measureVerifyRate(inputs: readonly VerifyInput[], key: KeyObject, durationMs: number): VerifyRate {
  for (const input of inputs.slice(0, 200)) {
    if (!verify(null, input.message, key, input.signature)) throw new Error('a benchmark token does not verify')
  }
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(durationMs * 1e6))
  let count = 0
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 100; i += 1) {
      const input = inputs[(count + i) % inputs.length]!
      verify(null, input.message, key, input.signature)
    }
    count += 100
    now = process.hrtime.bigint()
  }
  const cpu = process.cpuUsage(cpuStart)
  const seconds = Number(now - start) / 1e9
  return { verificationsPerSecond: count / seconds, count, cpuS: (cpu.user + cpu.system) / 1e6 }
}
