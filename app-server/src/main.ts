// `npm run start:app`: the app server alone, from the same settings as the demo, no seeding.
import { parseAppConfig } from './config.js'
import { createLogger } from './logging/create-logger.js'
import { startAppServer } from './server.js'
import { describeStartupError } from './startup-error.js'

function fail(err: unknown): never {
  for (const line of describeStartupError(err)) process.stderr.write(`app-server: ${line}\n`)
  process.exit(1)
}

let config
try {
  config = parseAppConfig(process.env)
} catch (err) {
  fail(err)
}
const logger = createLogger({ level: config.logLevel })

// Handled before anything starts: a signal during start-up stops the server as soon as it is up,
// instead of killing the process with the default action (no clean close, exit code null).
let starting: Promise<{ close(): Promise<void> }> | undefined
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'stopping')
    Promise.resolve(starting)
      .then((server) => server?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed')
          process.exit(1)
        },
      )
  })
}

const server = await (starting = startAppServer(config, { logger }).catch(fail))
logger.info({ url: server.url, sessions: config.sessionStore.kind }, 'app server listening')
process.stdout.write(`App server listening on ${server.url} (public URL ${config.publicURL.href})\n`)
