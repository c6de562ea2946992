/** Where a command writes: stdout for results, stderr for notes. Tests pass string buffers. */
export interface Output {
  out(line: string): void
  err(line: string): void
}

/**
 * Text from an unverified token, made safe to print on a terminal: JSON.stringify already
 * escapes C0 controls; this also escapes DEL, C1 controls (a lone 0x9B starts an escape
 * sequence on some terminals) and bidirectional overrides that could reorder what is shown.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
