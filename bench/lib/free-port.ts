import { createServer } from 'node:net'

// The servers under test are separate processes given a port in their environment, so the
// port is found here first; the tiny race with other processes is acceptable for a benchmark.
export async function findFreePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the port of a probe socket'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
