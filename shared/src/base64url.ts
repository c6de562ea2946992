// The PASETO and PASERK specs ask for canonical base64url: no padding, only the URL-safe
// alphabet, and the unused low bits of the last character zero. Buffer.from is lenient on all
// three, so the text is checked first: alphabet, a length that is not 1 more than a multiple of
// 4, and the spare bits of a last partial group (the low 4 bits of the last character after 2,
// the low 2 after 3). That is exactly what a decode-and-re-encode round trip would compare,
// without building the second string.

const ALPHABET = /^[A-Za-z0-9_-]*$/

/** The 6-bit value of a base64url character already known to be in the alphabet. */
function sextet(code: number): number {
  if (code >= 97) return code - 71 // a-z: 26-51
  if (code >= 65) return code <= 90 ? code - 65 : 63 // A-Z: 0-25; `_` (95): 63
  if (code >= 48) return code + 4 // 0-9: 52-61
  return 62 // `-`
}

/** Whether `text` is canonical unpadded base64url. */
export function isCanonicalBase64url(text: string): boolean {
  if (!ALPHABET.test(text)) return false
  const partial = text.length % 4
  if (partial === 0) return true
  if (partial === 1) return false
  const spareBits = partial === 2 ? 0x0f : 0x03
  return (sextet(text.charCodeAt(text.length - 1)) & spareBits) === 0
}

/** Decodes canonical unpadded base64url; `undefined` for anything else. */
export function decodeBase64url(text: string): Buffer | undefined {
  return isCanonicalBase64url(text) ? Buffer.from(text, 'base64url') : undefined
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}
