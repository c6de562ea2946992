/**
 * Whether the browser marked this request as a speculative prefetch (`Sec-Purpose: prefetch`,
 * possibly with `;prerender`, or the older `Purpose: prefetch`). Serving one would spend a
 * single-use token on a page the person may never open.
 */
export function isPrefetch(header: (name: 'sec-purpose' | 'purpose') => string | undefined): boolean {
  return startsWithPrefetch(header('sec-purpose')) || startsWithPrefetch(header('purpose'))
}

function startsWithPrefetch(value: string | undefined): boolean {
  if (value === undefined || value.length > 256) return false
  return /^\s*prefetch\s*(?:;|,|$)/i.test(value)
}
