import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startService, type ServiceProcess } from './service-process.js'

/** Where nginx is, or undefined when it is not installed (the benchmark then skips its column). */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' })
      return candidate
    } catch {
      // not there, or not runnable
    }
  }
  return undefined
}

/**
 * nginx serving `root` with sendfile, in the foreground, one worker (a fair match for one
 * Node.js process), everything it writes kept under `dir`.
 */
export async function startNginx(options: { binary: string; root: string; dir: string; port: number }): Promise<ServiceProcess> {
  const prefix = path.join(options.dir, 'nginx')
  await mkdir(path.join(prefix, 'logs'), { recursive: true })
  // As root, workers would switch to `nobody`, who cannot read our private temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  const config = `${user}daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  default_type application/octet-stream;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${options.port};
    root ${options.root};
    location / { }
  }
}
`
  const configFile = path.join(prefix, 'nginx.conf')
  await writeFile(configFile, config)
  return await startService({
    name: 'nginx',
    command: options.binary,
    args: ['-p', prefix, '-c', configFile, '-e', path.join(prefix, 'logs', 'error.log')],
    logFile: path.join(options.dir, 'nginx.log'),
    readyUrl: `http://127.0.0.1:${options.port}/`,
    isReady: (status) => status > 0,
  })
}
