import { randomBytes } from 'node:crypto'
import type { AppConfig } from '../config.js'
import { readOrCreateSecretFile } from './secret-file.js'

const HEADER = '# Secrets that sign the session cookie, one a line, newest LAST. Keep older lines while rotating.\n'

/**
 * The cookie-signing secrets, newest FIRST as express-session wants them (it signs with the
 * first and accepts all). From APP_SESSION_SECRET, or DATA_DIR/keys/session-secret.txt made
 * on first run. There is no built-in fallback: a secret in the code would be everyone's.
 */
export function loadSessionSecrets(setting: AppConfig['sessionSecrets']): string[] {
  const secrets = setting.kind === 'setting' ? setting.secrets : readOrCreateSecretFile(setting.path, () => HEADER + randomBytes(32).toString('base64url') + '\n')
  if (secrets.length === 0 || secrets.some((s) => s.length < 32)) {
    throw new Error(`${setting.kind === 'setting' ? 'APP_SESSION_SECRET' : setting.path}: needs one or more secrets of at least 32 characters`)
  }
  return [...secrets].reverse()
}
