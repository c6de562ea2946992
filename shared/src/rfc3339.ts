// RFC 3339 §5.6 `date-time`: full date, `T`, time with optional fraction of a second of any
// length, and `Z` or a numeric offset. Two forms the grammar also allows are refused: a
// lower-case `t`/`z`, and a leap second (`:60`). The paseto package's own claim validation
// (which every token passes through) refuses both, and no PASETO library emits them.

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/

/**
 * One instant, exact to any precision the text gave: whole seconds since the epoch plus the
 * fraction's digits. Needed because "at most 300 s" must hold exactly, below the millisecond.
 */
export interface Instant {
  /** Whole seconds since 1970-01-01T00:00:00Z (may be negative). */
  readonly epochSeconds: number
  /** Decimal digits of the fraction of a second, without trailing zeros ('' for none). */
  readonly fraction: string
  /** The same instant as a Date, truncated to the millisecond. */
  readonly date: Date
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Parses an RFC 3339 date-time; `undefined` for anything else (never a best guess). */
export function parseRFC3339(text: string): Instant | undefined {
  const match = DATE_TIME.exec(text)
  if (match === null) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const offsetSign = match[8]
  const offsetHours = Number(match[9] ?? 0)
  const offsetMinutes = Number(match[10] ?? 0)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const civil = new Date(0)
  civil.setUTCFullYear(year, month - 1, day)
  civil.setUTCHours(hour, minute, second, 0)
  const offsetSeconds = (offsetHours * 60 + offsetMinutes) * 60 * (offsetSign === '-' ? -1 : 1)
  const epochSeconds = civil.getTime() / 1000 - offsetSeconds
  const fraction = (match[7] ?? '').replace(/0+$/, '')
  return instant(epochSeconds, fraction)
}

function instant(epochSeconds: number, fraction: string): Instant {
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'))
  return { epochSeconds, fraction, date: new Date(epochSeconds * 1000 + millis) }
}

/** The instant of a Date (millisecond precision). */
export function instantOf(date: Date): Instant {
  const ms = date.getTime()
  const epochSeconds = Math.floor(ms / 1000)
  return instant(epochSeconds, String(ms - epochSeconds * 1000).padStart(3, '0').replace(/0+$/, ''))
}

/** `value` moved by a number of seconds, which may have a fraction (at most millisecond). */
export function addSeconds(value: Instant, seconds: number): Instant {
  const ms = Math.round(seconds * 1000)
  const whole = Math.floor(ms / 1000)
  const extra = ms - whole * 1000
  if (extra === 0) return instant(value.epochSeconds + whole, value.fraction)
  // Add the millisecond part digit-wise so that longer fractions keep their precision.
  const digits = Math.max(value.fraction.length, 3)
  const scaled = BigInt(value.fraction.padEnd(digits, '0')) + BigInt(extra) * 10n ** BigInt(digits - 3)
  const limit = 10n ** BigInt(digits)
  const carry = scaled >= limit ? 1 : 0
  const fraction = (scaled - (carry ? limit : 0n)).toString().padStart(digits, '0').replace(/0+$/, '')
  return instant(value.epochSeconds + whole + carry, fraction)
}

/** Negative when `a` is before `b`, 0 when equal, positive when after. */
export function compareInstants(a: Instant, b: Instant): number {
  if (a.epochSeconds !== b.epochSeconds) return a.epochSeconds - b.epochSeconds
  const digits = Math.max(a.fraction.length, b.fraction.length)
  const left = a.fraction.padEnd(digits, '0')
  const right = b.fraction.padEnd(digits, '0')
  return left < right ? -1 : left > right ? 1 : 0
}

/** RFC 3339 text of a Date in UTC, whole seconds (as tokens are issued). */
export function formatRFC3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
