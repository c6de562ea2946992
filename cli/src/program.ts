import path from 'node:path'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS, MAX_DOWNLOAD_LIFETIME_SECONDS } from './limits.js'
import { CLIError } from './cli-error.js'
import { keysGenerate } from './commands/keys-generate.js'
import { keysId } from './commands/keys-id.js'
import { tokenInspect } from './commands/token-inspect.js'
import { tokenMint } from './commands/token-mint.js'
import { readArgument, readPublicKeys, readSecretKey, type InputSource } from './inputs.js'
import type { Output } from './output.js'
import { EXAMPLES } from './help-examples.js'

/** Everything the CLI touches outside its arguments; main.ts passes the real ones, tests fakes. */
export interface CLIContext extends InputSource {
  output: Output
  now(): Date
  version: string
}

function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`)
    return n
  }
}

function buildProgram(context: CLIContext, setExitCode: (code: number) => void): Command {
  const { output } = context
  const program = new Command('tokens-done-right')
    .description('Operator tools for tokens-done-right: signing keys (PASERK k4) and download tokens (PASETO v4.public).')
    .version(context.version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
    })
    .showSuggestionAfterError(true)

  const keys = program.command('keys').description('make signing keys and show key ids')
  keys
    .command('generate')
    .description('write a new key pair: <name>.k4.secret (mode 0600) and <name>.k4.public; never overwrites')
    .option('--out-dir <dir>', 'directory for the two files (made, mode 0700, when missing)', '.')
    .option('--name <name>', 'base name of the files', 'signing-key')
    .addHelpText('after', EXAMPLES.generate)
    .action((options: { outDir: string; name: string }) => {
      keysGenerate({ outDir: path.resolve(context.cwd, options.outDir), name: options.name }, output)
    })
  keys
    .command('id')
    .description('print the k4.pid (the kid a token footer names) of k4.public keys')
    .argument('<key>', 'a k4.public key (or several, comma-separated), @file, or - for standard input')
    .addHelpText('after', EXAMPLES.id)
    .action(async (key: string) => {
      keysId({ keys: await readPublicKeys(key, '<key>', context) }, output)
    })

  const token = program.command('token').description('make and examine download tokens')
  token
    .command('mint')
    .description('print a download token (or a download link with --url) for testing a deployment')
    .requiredOption('--key <k4.secret>', 'signing key: @file (recommended), - for standard input, or the key itself')
    .requiredOption('--file <path>', 'file claim: path relative to the download server root')
    .requiredOption('--iss <issuer>', "issuer claim (the download server's DL_ISSUER)")
    .requiredOption('--aud <audience>', "audience claim (the download server's DL_AUDIENCE)")
    .option('--name <name>', 'file name offered to the browser')
    .option('--size <bytes>', 'size claim: the server refuses (409) if the file size differs', wholeNumber(0, Number.MAX_SAFE_INTEGER))
    .option('--lifetime <seconds>', `seconds until it expires, at most ${MAX_DOWNLOAD_LIFETIME_SECONDS}`, wholeNumber(1, MAX_DOWNLOAD_LIFETIME_SECONDS), MAX_DOWNLOAD_LIFETIME_SECONDS)
    .option('--url <base>', 'download server base URL: print <base>/d/<token>')
    .addHelpText('after', EXAMPLES.mint)
    .action(async (options: { key: string; file: string; iss: string; aud: string; name?: string; size?: number; lifetime: number; url?: string }) => {
      await tokenMint(
        {
          key: await readSecretKey(options.key, '--key', context),
          file: options.file,
          issuer: options.iss,
          audience: options.aud,
          lifetimeSeconds: options.lifetime,
          now: context.now(),
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.size === undefined ? {} : { size: options.size }),
          ...(options.url === undefined ? {} : { url: options.url }),
        },
        output,
      )
    })
  token
    .command('inspect')
    .description("show a token's footer, claims and expiry; with --keys, whether the download server would accept it")
    .argument('<token>', 'a token, a download link …/d/<token>, @file, or - for standard input')
    .option('--keys <k4.public>', 'trusted keys: comma- or space-separated, @file (one a line), or -')
    .option('--iss <issuer>', 'the issuer to require (DL_ISSUER)')
    .option('--aud <audience>', 'the audience to require (DL_AUDIENCE)')
    .option('--clock-tolerance <seconds>', 'clock skew allowed, as DL_CLOCK_TOLERANCE', wholeNumber(0, MAX_CLOCK_TOLERANCE_SECONDS), DEFAULT_CLOCK_TOLERANCE_SECONDS)
    .addHelpText('after', EXAMPLES.inspect)
    .action(async (tokenArgument: string, options: { keys?: string; iss?: string; aud?: string; clockTolerance: number }) => {
      if (tokenArgument === '-' && options.keys === '-') throw new CLIError('USAGE', 'only one of <token> and --keys can be read from standard input')
      const result = await tokenInspect(
        {
          token: await readArgument(tokenArgument, '<token>', context),
          clockToleranceSeconds: options.clockTolerance,
          now: context.now(),
          ...(options.keys === undefined ? {} : { keys: await readPublicKeys(options.keys, '--keys', context) }),
          ...(options.iss === undefined ? {} : { issuer: options.iss }),
          ...(options.aud === undefined ? {} : { audience: options.aud }),
        },
        output,
      )
      setExitCode(result.exitCode)
    })
  program
    .command('users')
    .description('manage app accounts (start:app and docker-compose seed no demo users)')
    .command('add')
    .description('add an account to the app database; the password is read from standard input (first line)')
    .argument('<username>', '1-64 letters, digits, dot, dash or underscore')
    .option('--admin', 'make it an admin (may ban users)')
    .option('--data-dir <dir>', "the app's DATA_DIR", './data')
    .addHelpText('after', EXAMPLES.usersAdd)
    .action(async (username: string, options: { admin?: true; dataDir: string }) => {
      // Loaded on use: it pulls in the app server's database code, which other commands never need.
      const { usersAdd } = await import('./commands/users-add.js')
      const password = (await context.readStdin()).split(/\r?\n/)[0] ?? ''
      await usersAdd({ dataDir: path.resolve(context.cwd, options.dataDir), username, password, role: options.admin === true ? 'admin' : 'user', now: context.now() }, output)
    })
  return program
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns the exit status.
 * Every failure is one `error: …` line on stderr and status 1; never a stack trace.
 */
export async function runCLI(argv: readonly string[], context: CLIContext): Promise<number> {
  let exitCode = 0
  const program = buildProgram(context, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    // Commander has already printed its one line (or the help or version asked for).
    if (error instanceof CommanderError) return error.exitCode
    if (error instanceof CLIError) {
      context.output.err(`error: ${error.message}`)
      return 1
    }
    context.output.err(`error: unexpected failure: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}
