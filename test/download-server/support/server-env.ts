import { AUDIENCE, ISSUER, type TestIssuer } from './issuer.js'

/**
 * The settings every download server in these tests has in common, spawned or in this process:
 * loopback on a port the kernel picks, serving `root`, trusting `issuer`'s tokens. Each test adds
 * its store and options on top.
 */
export function serverEnv(root: string, issuer: TestIssuer): Record<string, string> {
  return {
    DL_HOST: '127.0.0.1',
    DL_PORT: '0',
    DL_ROOT: root,
    DL_PUBLIC_KEYS: issuer.key.publicKey.paserk,
    DL_ISSUER: ISSUER,
    DL_AUDIENCE: AUDIENCE,
  }
}
