import net from 'node:net'
import { request } from 'undici'

/** The status of a GET, after reading its body (so the server sees a finished response). */
export async function statusOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { headers })
  await res.body.arrayBuffer()
  return res.statusCode
}

/** Whether a new TCP connection to the server's port is accepted (the listening socket is open). */
export function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
