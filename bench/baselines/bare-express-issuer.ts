// The ceiling for the issuing cases: an Express 5 route that answers a download link's
// `GET /files/:id/download` with a 303 and does nothing else: no session, no user or file
// lookup, no signing (one token signed at start-up is the Location of every answer), no log
// line; one process per core (node:cluster). It is NOT an issuer. Its ratio to
// `issue-baseline` is what the framework and the machine leave for everything an issuer must
// do, on the same two cores as the load generator. Started by the benchmark: ISSUER_PORT,
// ISSUER_DOWNLOAD_URL, ISSUER_WORKERS.
import { availableParallelism } from 'node:os'
import express from 'express'
import { PublicProtocol } from 'paseto'
import { ExportPublicKeyFactory, GenerateKeyPairFactory, SignFactory } from 'paseto/v4/public'
import { forkWorkers } from './fork-workers.js'

const workers = Number(process.env.ISSUER_WORKERS ?? availableParallelism())

if (!forkWorkers(workers)) {
  const port = Number(process.env.ISSUER_PORT ?? '0')
  const downloadURL = process.env.ISSUER_DOWNLOAD_URL ?? 'http://127.0.0.1:3001'
  const v4 = new PublicProtocol(GenerateKeyPairFactory, SignFactory, ExportPublicKeyFactory)
  const { secretKey } = await v4.GenerateKeyPair()
  // A token of the usual claims and length, so that the answer is as long as a real one.
  const token = await v4.Sign(
    secretKey,
    { iss: 'bench-app', aud: 'bench-download', jti: 'x'.repeat(22), file: 'x'.repeat(22), name: 'welcome.txt', size: 1024 },
    { expiresIn: 300, footer: new TextEncoder().encode(JSON.stringify({ kid: `k4.pid.${'x'.repeat(44)}` })) },
  )
  const location = `${downloadURL}/d/${token}`
  const app = express()
  app.get('/files/:id/download', (_req, res) => res.redirect(303, location))
  const server = app.listen(port, '127.0.0.1')
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
}
