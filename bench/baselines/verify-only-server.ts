// The ceiling for the accepted-download cases: what this machine does per second when a server
// does nothing per request but check the token and answer the 1 KiB file from memory. No
// framework, no store, no file system call, no log line; one node:http process per core
// (node:cluster), like `DL_WORKERS=2`. It is NOT a download server: a token works any number of
// times. Two checks (CEILING_CHECK):
//   crypto   the one unavoidable piece of work, an Ed25519 check with synchronous node:crypto
//            (`dl-ceiling`);
//   package  the download server's own verifier (shared/src/verify.ts: the paseto package with
//            our node:crypto factory, strict JSON, claim rules), as the contract requires
//            (`dl-ceiling-paseto`).
// Their ratios to `verify` show how much of the target the machine, and then the token check
// alone, leave for everything else. Started by the benchmark: CEILING_PORT, CEILING_PUBLIC_KEY
// (k4.public), CEILING_ISSUER, CEILING_AUDIENCE, CEILING_FILE, CEILING_WORKERS, CEILING_CHECK.
import { verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { availableParallelism } from 'node:os'
import { createKeySet, createTokenVerifier, parsePublicKey } from '../../shared/src/index.js'
import { forkWorkers } from './fork-workers.js'

const HEADER = Buffer.from('v4.public.')
const SIGNATURE_BYTES = 64
const EMPTY = Buffer.alloc(0)

function le64(n: number): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64LE(BigInt(n))
  return out
}

/** PASETO pre-authentication encoding. */
function pae(pieces: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [le64(pieces.length)]
  for (const piece of pieces) parts.push(le64(piece.length), piece)
  return Buffer.concat(parts)
}

const workers = Number(process.env.CEILING_WORKERS ?? availableParallelism())

if (!forkWorkers(workers)) {
  const port = Number(process.env.CEILING_PORT ?? '0')
  const publicKey = parsePublicKey(process.env.CEILING_PUBLIC_KEY ?? '')
  const verifier = createTokenVerifier({
    keys: createKeySet([publicKey]),
    issuer: process.env.CEILING_ISSUER ?? '',
    audience: process.env.CEILING_AUDIENCE ?? '',
    clockToleranceSeconds: 30,
    verifyOn: 'caller',
  })
  const body = readFileSync(process.env.CEILING_FILE ?? '')
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }
  const answer = (res: ServerResponse, valid: boolean): void => {
    if (valid) res.writeHead(200, headers).end(body)
    else res.writeHead(401, { 'content-length': '0' }).end()
  }
  const viaPackage = process.env.CEILING_CHECK === 'package'
  const server = createServer((req, res) => {
    const url = req.url ?? ''
    if (url === '/healthz') return void res.writeHead(200, { 'content-length': '0' }).end()
    const token = url.slice('/d/'.length)
    if (viaPackage) {
      verifier.verifyDownload(token).then(() => answer(res, true), () => answer(res, false))
      return
    }
    const [version, purpose, payloadText = '', footerText = ''] = token.split('.')
    const payload = Buffer.from(payloadText, 'base64url')
    answer(
      res,
      url.startsWith('/d/') && version === 'v4' && purpose === 'public' && payload.length > SIGNATURE_BYTES &&
        verify(null, pae([HEADER, payload.subarray(0, -SIGNATURE_BYTES), Buffer.from(footerText, 'base64url'), EMPTY]), publicKey.keyObject, payload.subarray(-SIGNATURE_BYTES)),
    )
  })
  server.listen(port, '127.0.0.1')
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
