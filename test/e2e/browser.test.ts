import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness } from '../app-server/support/app-harness.js'
import type { Harness } from '../app-server/support/app-harness.js'

// The whole journey in Debian's chromium: sign in, upload, Download twice (two tokens, two
// saved files), and the download server's refusal page for a link used before.

const SCREENSHOT = path.resolve(import.meta.dirname, '../../docs/images/files-page.png')
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

let h: Harness
let browser: Browser
let page: Page
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-'))
const content = Buffer.concat([Buffer.from('uploaded through chromium\n'), randomBytes(20_000)])

beforeAll(async () => {
  const port = await freePort()
  const appURL = `http://127.0.0.1:${port}`
  h = await startHarness({
    env: { APP_PORT: String(port), APP_PUBLIC_URL: appURL },
    demo: { username: 'demo', password: 'demo-password-change-me' },
    downloadAppURL: `${appURL}/files`,
    reportOutcomes: true,
  })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 640 } })
  page = await context.newPage()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await h?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('in a real browser', () => {
  const used: string[] = []

  it('signs in through the form and lands on the files page', async () => {
    await page.goto(`${h.appURL}/login`)
    await page.fill('input[name=username]', 'demo')
    await page.fill('input[name=password]', 'demo-password-change-me')
    await Promise.all([page.waitForURL('**/files'), page.click('button[type=submit]')])
    expect(await page.locator('h1').textContent()).toBe('My files')
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === 'sid')?.httpOnly).toBe(true)
    expect(await page.evaluate('document.cookie')).toBe('')
  })

  it('uploads a file through the form', async () => {
    await page.setInputFiles('input[name=file]', { name: 'e2e-upload.bin', mimeType: 'application/octet-stream', buffer: content })
    await Promise.all([page.waitForURL('**/files'), page.click('form[enctype="multipart/form-data"] button[type=submit]')])
    expect(await page.locator('.flash.ok').textContent()).toBe('Uploaded e2e-upload.bin.')
    expect(await page.content()).not.toContain('v4.public.')
  })

  for (const n of [1, 2]) {
    it(`saves the file on Download click ${n}, each time through a new single-use link`, async () => {
      await page.goto(`${h.appURL}/files`)
      const link = page.locator('tr', { hasText: 'e2e-upload.bin' }).getByRole('link', { name: 'Download' })
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), link.click()])
      expect(await download.failure()).toBeNull()
      expect(download.suggestedFilename()).toBe('e2e-upload.bin')
      const saved = path.join(tmp, `download-${n}.bin`)
      await download.saveAs(saved)
      expect(fs.readFileSync(saved)).toEqual(content)
      expect(download.url()).toMatch(new RegExp(`^${h.downloadURL}/d/v4\\.public\\.`))
      expect(used).not.toContain(download.url())
      used.push(download.url())
    })
  }

  it('shows the download server\'s refusal page for a used link, with a way back to the files', async () => {
    expect(used).toHaveLength(2)
    const response = await page.goto(used[0] as string)
    expect(response?.status()).toBe(410)
    expect(await page.locator('h1').textContent()).toBe('The download link has already been used')
    await Promise.all([page.waitForURL(`${h.appURL}/files`), page.click('text=Back to your files')])
    expect(await page.locator('h1').textContent()).toBe('My files')
  })

  it('shows both used links as completed downloads, and takes a screenshot of the files page (written to docs/images when missing or UPDATE_SCREENSHOTS=1)', async () => {
    await page.goto(`${h.appURL}/files`)
    // Open the links of the file downloaded above: what became of each is what the page is for.
    await page.locator('details.links summary').first().click()
    // Both links clicked above, as the download server reported them back.
    const links = await page.locator('details.links li').allTextContents()
    expect(links).toHaveLength(2)
    for (const link of links) expect(link).toContain('Used: download completed')
    const shot = await page.screenshot({ fullPage: true })
    expect(shot.subarray(1, 4).toString()).toBe('PNG')
    // A normal test run leaves the committed image alone, so `npm test` keeps the work tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1' || !fs.existsSync(SCREENSHOT)) fs.writeFileSync(SCREENSHOT, shot)
  })
})
