// `npm run start:app`: the app server alone, from the same settings as the demo, no seeding.
import { parseAppConfig } from './config.js'
import { createLogger } from './logging/create-logger.js'
import { startAppServer } from './server.js'
import { describeStartupError } from './startup-error.js'
import { stopOnSignals } from './stop-on-signals.js'

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

// Before anything starts, so a signal during start-up stops the server once it is up.
let starting: Promise<{ close(): Promise<void> }> | undefined
stopOnSignals(logger, 'stopping', async () => (await starting)?.close())

const server = await (starting = startAppServer(config, { logger }).catch(fail))
logger.info({ url: server.url, sessions: config.sessionStore.kind }, 'app server listening')
process.stdout.write(`App server listening on ${server.url} (public URL ${config.publicURL.href})\n`)
