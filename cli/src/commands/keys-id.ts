import type { PublicKey } from '../../../shared/src/index.js'
import type { Output } from '../output.js'

/** `keys id`: the k4.pid (the `kid` tokens name in their footer) of each key, one a line. */
export function keysId(input: { keys: readonly PublicKey[] }, out: Output): string[] {
  const kids = input.keys.map((key) => key.kid)
  for (const kid of kids) out.out(kid)
  return kids
}
