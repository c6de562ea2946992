import type { IncomingHttpHeaders } from 'node:http'
import { FormData, parseCookie, request } from 'undici'
import type { Cookie } from 'undici'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
  location: string
  setCookies: Cookie[]
}

export type Part = { name: string; value: string } | { name: string; filename: string; content: Buffer; type?: string }

/** A browser as far as the app can tell: a cookie jar over real HTTP (undici), no redirects followed. */
export class CookieClient {
  readonly jar = new Map<string, string>()

  constructor(
    readonly base: string,
    private readonly defaults: { userAgent?: string; headers?: Record<string, string> } = {},
  ) {}

  async send(method: string, path: string, options: { body?: string | FormData; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = {
      'user-agent': this.defaults.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
      ...this.defaults.headers,
      ...options.headers,
    }
    if (this.jar.size > 0) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await request(path.startsWith('http') ? path : this.base + path, { method, headers, body: options.body ?? null })
    const body = await res.body.text()
    const raw = res.headers['set-cookie']
    const setCookies = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((c) => parseCookie(c)).filter((c): c is Cookie => c !== null)
    for (const c of setCookies) {
      const expired = c.value === '' || (c.expires !== undefined && new Date(c.expires).getTime() <= Date.now()) || c.maxAge === 0
      if (expired) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
    const location = res.headers.location
    return { status: res.statusCode, headers: res.headers, body, location: typeof location === 'string' ? location : '', setCookies }
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send('GET', path, { headers })
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send('POST', path, {
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    })
  }

  /** Parts are sent in the order given (what a browser does with the form's fields). */
  postMultipart(path: string, parts: Part[]): Promise<Answer> {
    const form = new FormData()
    for (const p of parts) {
      if ('value' in p) form.append(p.name, p.value)
      else form.append(p.name, new Blob([p.content], { type: p.type ?? 'application/octet-stream' }), p.filename)
    }
    return this.send('POST', path, { body: form })
  }

  /** The `_csrf` value of the first form in a page. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html)
    if (!m?.[1]) throw new Error('no _csrf field in the page')
    return m[1]
  }

  async csrfFrom(path: string): Promise<string> {
    return CookieClient.csrfOf((await this.get(path)).body)
  }

  async login(username: string, password: string): Promise<Answer> {
    const token = await this.csrfFrom('/login')
    return this.post('/login', { username, password, _csrf: token })
  }

  /** The raw session cookie value (`s:<id>.<signature>`, URL-encoded) and the id inside it. */
  session(name = 'sid'): { cookie: string; id: string } | undefined {
    const cookie = this.jar.get(name)
    if (cookie === undefined) return undefined
    const id = /^s:([^.]+)\./.exec(decodeURIComponent(cookie))?.[1] ?? ''
    return { cookie, id }
  }

  /** A copy with the same cookies: another tab, or a thief holding a copied cookie. */
  clone(): CookieClient {
    const c = new CookieClient(this.base, this.defaults)
    for (const [k, v] of this.jar) c.jar.set(k, v)
    return c
  }
}
