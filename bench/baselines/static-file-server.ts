// Baseline for large downloads: the plainest Node.js way to serve a file, node:http with
// fs.createReadStream piped into the response (default 64 KiB chunks). Started by the
// benchmark as its own process: STATIC_ROOT, STATIC_PORT, STATIC_HOST.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'

const root = process.env.STATIC_ROOT
if (root === undefined) throw new Error('STATIC_ROOT is required')
const port = Number(process.env.STATIC_PORT ?? '0')
const host = process.env.STATIC_HOST ?? '127.0.0.1'

const server = createServer((req, res) => {
  const name = path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
  const file = path.join(root, name)
  stat(file).then(
    (info) => {
      if (!info.isFile()) {
        res.writeHead(404, { 'content-length': 0 }).end()
        return
      }
      res.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' })
      createReadStream(file).pipe(res)
    },
    () => {
      res.writeHead(404, { 'content-length': 0 }).end()
    },
  )
})

server.listen(port, host, () => {
  process.stdout.write(`static baseline listening on http://${host}:${port}\n`)
})
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
