import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

/** A free TCP port on the loopback interface (free when asked; taken again at once by the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface OwnRedis {
  url: string
  port: number
  dir: string
  /** Starts redis-server (again) on the same port and directory; resolves once it answers PING. */
  start(): Promise<void>
  /** Ends the process the hard way (SIGKILL): no SHUTDOWN, no last save. */
  kill(): Promise<void>
}

/**
 * A redis-server of this test's own, on a free port with its data in `dir`, so that it can be
 * killed and restarted without touching the shared Redis. `aof-always` and `aof-everysec` are
 * the settings the docs allow for a used-token store (AOF, fsync before each reply or once a
 * second); `none` is a Redis that keeps nothing on disk.
 */
export type RedisPersistence = 'aof-always' | 'aof-everysec' | 'none'

export async function ownRedis(dir: string, persistence: RedisPersistence): Promise<OwnRedis> {
  fs.mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    ...(persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', persistence.slice('aof-'.length)]),
  ]
  let child: ChildProcess | undefined
  const self: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    start: async () => {
      const log = fs.openSync(path.join(dir, 'redis.log'), 'a')
      child = spawn('redis-server', args, { stdio: ['ignore', log, log] })
      fs.closeSync(log)
      const deadline = Date.now() + 10_000
      while (!(await answersPing(port))) {
        if (child.exitCode !== null || Date.now() > deadline) {
          // Not left running when it did not answer in time (the caller never gets it to kill).
          child.kill('SIGKILL')
          throw new Error(`redis-server did not start:\n${fs.readFileSync(path.join(dir, 'redis.log'), 'utf8')}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    kill: async () => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
  await self.start()
  return self
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
