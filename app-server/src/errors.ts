/** Stable codes of everything the app refuses; `APP_ERRORS` maps each to a status and a page. */
export type AppErrorCode =
  | 'NOT_FOUND'
  | 'CSRF_INVALID'
  | 'FORBIDDEN'
  | 'LOGIN_FAILED'
  | 'ACCOUNT_BANNED'
  | 'RATE_LIMITED'
  | 'PASSWORD_CHECKS_LIMITED'
  | 'UPLOAD_TOO_LARGE'
  | 'UPLOAD_INVALID'
  | 'BAD_REQUEST'
  | 'FORM_TOO_LARGE'
  | 'PASSWORD_INVALID'
  | 'CURRENT_PASSWORD_WRONG'
  | 'SESSION_STORE_UNAVAILABLE'
  | 'DATABASE_BUSY'
  | 'INTERNAL'

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? code, options)
    this.name = 'AppError'
  }
}

export interface AppErrorSpec {
  status: number
  title: string
  /** What a person should do next; shown on the error page. */
  hint: string
}

export const APP_ERRORS: Record<AppErrorCode, AppErrorSpec> = {
  NOT_FOUND: { status: 404, title: 'Not found', hint: 'There is nothing here, or it is not yours.' },
  CSRF_INVALID: {
    status: 403,
    title: 'This form has expired',
    hint: 'Nothing was changed. The form was too old, or was not sent from this site. Go back, reload the page and try again.',
  },
  FORBIDDEN: { status: 403, title: 'Not allowed', hint: 'Your account cannot do this.' },
  LOGIN_FAILED: { status: 401, title: 'Wrong username or password', hint: 'Check both and try again.' },
  ACCOUNT_BANNED: { status: 403, title: 'This account is suspended', hint: 'Contact the administrator of this site.' },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many sign-in attempts',
    hint: 'Sign-in is paused for this account or address. Wait a few minutes, then try again.',
  },
  PASSWORD_CHECKS_LIMITED: {
    status: 429,
    title: 'Too many wrong passwords',
    hint: 'Nothing was changed. Password changes are paused for this account; wait a few minutes, then try again.',
  },
  UPLOAD_TOO_LARGE: { status: 413, title: 'That file is too large', hint: 'Nothing was stored. Choose a smaller file.' },
  UPLOAD_INVALID: { status: 400, title: 'No file received', hint: 'Choose one file and press Upload.' },
  BAD_REQUEST: { status: 400, title: 'Bad request', hint: 'Go back and try again.' },
  FORM_TOO_LARGE: { status: 413, title: 'That form was too large', hint: 'Nothing was changed. Go back and try again.' },
  PASSWORD_INVALID: { status: 400, title: 'Choose another password', hint: 'Use 8 to 1024 characters.' },
  CURRENT_PASSWORD_WRONG: { status: 400, title: 'Your current password is wrong', hint: 'Nothing was changed.' },
  SESSION_STORE_UNAVAILABLE: { status: 503, title: 'Temporarily unavailable', hint: 'Please try again in a moment.' },
  DATABASE_BUSY: { status: 503, title: 'Temporarily unavailable', hint: 'Nothing was changed. Please try again in a moment.' },
  INTERNAL: { status: 500, title: 'Something went wrong', hint: 'Please try again. If it keeps happening, tell the administrator.' },
}
