import { ContractError } from '../../../shared/src/index.js'

/** Runs a store call; a store that cannot be reached (or fails) becomes `503 store_unavailable`. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (cause) {
    throw new ContractError('STORE_UNAVAILABLE', 'the token store did not answer', { cause })
  }
}
