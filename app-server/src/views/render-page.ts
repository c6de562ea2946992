import type { JSX } from 'hono/jsx/jsx-runtime'

/** hono/jsx element → a full HTML document; every interpolated value was escaped by JSX. */
export async function renderPage(element: JSX.Element): Promise<string> {
  return '<!doctype html>' + (await element.toString())
}
