import { createHash } from 'node:crypto'
import type { FC } from 'hono/jsx'

export interface RefusalPageProps {
  status: number
  title: string
  hint: string
  code: string
  /** The app's files page, when the operator configured one (`DL_APP_URL`). */
  appURL: string | undefined
}

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
  main { max-width: 32rem; padding: 2rem; border: 1px solid #8884; border-radius: 0.75rem; }
  h1 { font-size: 1.4rem; margin: 0 0 0.75rem; }
  p { line-height: 1.5; }
  a { font-weight: 600; }
  .code { color: GrayText; font-size: 0.85rem; }
`

/** The page's Content-Security-Policy allows exactly this inline style and nothing else. */
export const REFUSAL_PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`

/** What a browser shows instead of a problem document: what happened, and what to do now. */
export const RefusalPage: FC<RefusalPageProps> = ({ status, title, hint, code, appURL }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{title}</title>
      <style dangerouslySetInnerHTML={{ __html: STYLE }} />
    </head>
    <body>
      <main>
        <h1>{title}</h1>
        <p>{hint}</p>
        {appURL === undefined ? (
          <p>Return to the app you came from to get a new link.</p>
        ) : (
          <p>
            <a href={appURL}>Back to your files</a>
          </p>
        )}
        <p class="code">
          {status} · {code}
        </p>
      </main>
    </body>
  </html>
)
