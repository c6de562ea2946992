// Baseline for token issuing: the same route done the way most tutorials do it, Express 5 +
// express-session with its default MemoryStore + the paseto library's default (WebCrypto)
// v4.public signer. The real app server must beat it by 2x (issue 6).
// Started by the benchmark as its own process. Settings: ISSUER_PORT, ISSUER_HOST,
// ISSUER_DOWNLOAD_URL (base of the 303), ISSUER_USER (who owns file 1).
import { randomBytes } from 'node:crypto'
import express from 'express'
import session from 'express-session'
import { PublicProtocol } from 'paseto'
import { ExportPublicKeyFactory, GenerateKeyPairFactory, SignFactory } from 'paseto/v4/public'
import { keyIdOf } from '../../shared/src/index.js'

const port = Number(process.env.ISSUER_PORT ?? '0')
const host = process.env.ISSUER_HOST ?? '127.0.0.1'
const downloadURL = process.env.ISSUER_DOWNLOAD_URL ?? 'http://127.0.0.1:3001'
const owner = process.env.ISSUER_USER ?? 'bench'

const v4 = new PublicProtocol(GenerateKeyPairFactory, SignFactory, ExportPublicKeyFactory)
const { secretKey, publicKey } = await v4.GenerateKeyPair()
const kid = keyIdOf(await v4.ExportPublicKey(publicKey))
const footer = new TextEncoder().encode(JSON.stringify({ kid }))
const files = new Map([['1', { owner, path: 'small.bin', name: 'small.bin', size: 1024 }]])

const app = express()
app.use(
  session({
    secret: randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 8 * 3600 * 1000 },
  }),
)

// Sign-in is not what is measured: it only gives the load generator a session cookie.
app.post('/login', express.urlencoded({ extended: false }), (req, res, next) => {
  req.session.regenerate((error) => {
    if (error) return next(error)
    ;(req.session as unknown as { user: string }).user = String(req.body?.username ?? '')
    res.status(204).end()
  })
})

app.get('/files/:id/download', async (req, res) => {
  const user = (req.session as unknown as { user?: string }).user
  if (user === undefined) return void res.status(401).end()
  const file = files.get(req.params.id)
  if (file === undefined || file.owner !== user) return void res.status(404).end()
  const token = await v4.Sign(
    secretKey,
    {
      iss: 'bench-app',
      aud: 'bench-download',
      jti: randomBytes(16).toString('base64url'),
      file: file.path,
      name: file.name,
      size: file.size,
    },
    { expiresIn: 300, footer },
  )
  res.redirect(303, `${downloadURL}/d/${token}`)
})

const server = app.listen(port, host, () => {
  process.stdout.write(`memory-session issuer baseline listening on http://${host}:${port}\n`)
})
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
