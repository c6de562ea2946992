// JSON.parse keeps the last of two equal keys; the PASETO spec asks verifiers to refuse such a
// payload, so that two parsers can never read two different claim sets out of one signed token.
// This scanner follows RFC 8259 exactly, compares keys after decoding their escapes (so `"jti"`
// and `"j\u0074i"` are the same key) and leaves value decoding to JSON.parse on each lexeme.

/** A document that is not strict JSON (syntax, duplicate key, nesting deeper than the limit). */
export class StrictJSONError extends SyntaxError {
  constructor(message: string) {
    super(message)
    this.name = 'StrictJSONError'
  }
}

const MAX_DEPTH = 32
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
// Raw control characters are exactly what RFC 8259 forbids inside a string.
// eslint-disable-next-line no-control-regex
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y
const LITERALS: ReadonlyArray<readonly [string, unknown]> = [['true', true], ['false', false], ['null', null]]

class Scanner {
  private at = 0

  constructor(private readonly text: string) {}

  document(): unknown {
    const value = this.value(0)
    this.skipWhitespace()
    if (this.at !== this.text.length) this.fail('unexpected data after the JSON value')
    return value
  }

  private value(depth: number): unknown {
    this.skipWhitespace()
    const char = this.text[this.at]
    if (char === '{') return this.object(depth + 1)
    if (char === '[') return this.array(depth + 1)
    if (char === '"') return this.string()
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number()
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length
        return literal
      }
    }
    return this.fail('expected a JSON value')
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail('nested too deeply')
    this.at += 1
    const entries: Array<[string, unknown]> = []
    const seen = new Set<string>()
    this.skipWhitespace()
    if (this.text[this.at] === '}') {
      this.at += 1
      return {}
    }
    for (;;) {
      this.skipWhitespace()
      if (this.text[this.at] !== '"') this.fail('expected an object key')
      const key = this.string()
      if (seen.has(key)) this.fail('duplicate object key')
      seen.add(key)
      this.skipWhitespace()
      this.expect(':')
      entries.push([key, this.value(depth)])
      this.skipWhitespace()
      if (this.text[this.at] === '}') {
        this.at += 1
        // fromEntries defines own properties, so a `__proto__` key stays a plain key.
        return Object.fromEntries(entries) as Record<string, unknown>
      }
      this.expect(',')
    }
  }

  private array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail('nested too deeply')
    this.at += 1
    const items: unknown[] = []
    this.skipWhitespace()
    if (this.text[this.at] === ']') {
      this.at += 1
      return items
    }
    for (;;) {
      items.push(this.value(depth))
      this.skipWhitespace()
      if (this.text[this.at] === ']') {
        this.at += 1
        return items
      }
      this.expect(',')
    }
  }

  private string(): string {
    const start = this.at
    STRING_BODY.lastIndex = start + 1
    if (!STRING_BODY.test(this.text)) this.fail('invalid string')
    this.at = STRING_BODY.lastIndex
    const lexeme = this.text.slice(start, this.at)
    // Without a backslash the lexeme is its own value; escapes are left to JSON.parse.
    return lexeme.includes('\\') ? (JSON.parse(lexeme) as string) : lexeme.slice(1, -1)
  }

  private number(): number {
    NUMBER.lastIndex = this.at
    const match = NUMBER.exec(this.text)
    if (match === null) this.fail('invalid number')
    this.at = NUMBER.lastIndex
    return JSON.parse(match[0]) as number
  }

  private expect(char: string): void {
    if (this.text[this.at] !== char) this.fail(`expected '${char}'`)
    this.at += 1
  }

  private skipWhitespace(): void {
    for (;;) {
      const char = this.text[this.at]
      if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return
      this.at += 1
    }
  }

  private fail(reason: string): never {
    throw new StrictJSONError(`${reason} at offset ${this.at}`)
  }
}

/** Parses strict JSON (RFC 8259, no duplicate keys at any depth). */
export function parseStrictJSON(text: string): unknown {
  return new Scanner(text).document()
}

/** Parses strict JSON whose top level must be an object. */
export function parseStrictJSONObject(text: string): Record<string, unknown> {
  const value = parseStrictJSON(text)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StrictJSONError('not a JSON object')
  }
  return value as Record<string, unknown>
}
