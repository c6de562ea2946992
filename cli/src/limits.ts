// The numbers the CLI's options are bounded by, from the one place the contract keeps them.
export { MAX_CLOCK_TOLERANCE_SECONDS, MAX_DOWNLOAD_LIFETIME_SECONDS } from '../../shared/src/index.js'

/** The download server's default (DL_CLOCK_TOLERANCE), so that `inspect` judges as it does. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30

