// What the console's story tests share (e2e-market, e2e-market-trade, e2e-identifiers):
// a real `ironloom serve --demo` and Debian's Chromium driven by playwright-core; pages
// that record every browser error (a step that provokes a 4xx may allow exactly that);
// steps that log, count failures and keep a screenshot of the failing page; waiting
// helpers; and the API as someone, for setting up what the console does not and checking
// what it did.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, selectors } from 'playwright-core'
import { startServer } from './server.mjs'

export function expect(cond, what) {
  if (!cond) throw new Error(what)
}

// Polls `f` every 300 ms until it returns something truthy (which it returns), or fails.
export async function until(f, what, ms = 15_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

// Waits until no dialog or message box is on screen (they fade out).
export const noDialog = (page) =>
  page.waitForFunction(() =>
    [...document.querySelectorAll('.el-overlay')].every((e) => getComputedStyle(e).display === 'none'),
  )

// The open confirmation box, and pressing one of its buttons.
export const messageBox = (page) => page.locator('.el-message-box')
export const confirmBox = (page, name) => messageBox(page).getByRole('button', { name }).click()

export async function logIn(page, username, password, tenant) {
  await page.goto('/login')
  await page.getByTestId('username').fill(username)
  await page.getByTestId('password').fill(password)
  if (tenant) await page.getByTestId('tenant').fill(tenant)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
}

export async function navLabels(page) {
  await page.getByTestId('nav').waitFor()
  return (await page.getByTestId('nav').locator('.el-menu-item, .el-sub-menu__title').allTextContents()).map((s) => s.trim())
}

/**
 * Starts the server (with `env`) and the browser. `label` names the failure screenshots
 * (`FAILED-{label}-…`) and the closing line. Set `h.current` to the page a step works in
 * (its screenshot is kept when the step fails) and `h.allowHttpErrors` in a step that
 * provokes a 4xx on purpose.
 */
export async function open({ label, what, env = {} }) {
  const bin = process.env.IRONLOOM_BIN
  if (!bin) throw new Error('IRONLOOM_BIN: the ironloom binary to test')
  const shots = process.env.SCREENSHOTS ?? 'test-results/screenshots'
  mkdirSync(shots, { recursive: true })
  selectors.setTestIdAttribute('data-test')
  const server = await startServer({ bin, consoleDir: process.env.CONSOLE_DIR ?? 'dist', env })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  })
  const h = { bin, shots, server, browser, errors: [], failures: 0, current: undefined, allowHttpErrors: false }

  h.newPage = async (viewport = { width: 1366, height: 900 }) => {
    const context = await browser.newContext({ viewport, locale: 'en-US', baseURL: server.url, acceptDownloads: true })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    page.on('console', (m) => {
      if (m.type() !== 'error') return
      // Chromium logs every failed request as a console error; steps that provoke one
      // allow that, and only that.
      if (h.allowHttpErrors && /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return
      h.errors.push(`${page.url()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => h.errors.push(`${page.url()}: ${e}`))
    return page
  }

  h.step = async (name, f) => {
    const t = Date.now()
    try {
      await f()
      console.log(`ok   ${name} (${Date.now() - t} ms)`)
    } catch (e) {
      h.failures++
      console.log(`FAIL ${name}: ${e.stack ?? e}`)
      const file = `FAILED-${label}-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`
      await h.current?.screenshot({ path: join(shots, `${file}.png`) }).catch(() => {})
    } finally {
      h.allowHttpErrors = false
    }
  }

  h.shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`) })

  // A screenshot once messages have faded and dialogs and drawers opened or closed all the way.
  h.still = async (page, name) => {
    await page.waitForFunction(() => document.querySelectorAll('.el-message').length === 0, undefined, { timeout: 10_000 })
    await page.waitForTimeout(600)
    await h.shot(page, name)
  }

  h.call = async (token, method, path, body, raw) => {
    const headers = {}
    if (token) headers.Authorization = `Bearer ${token}`
    if (raw) headers['Content-Type'] = 'application/octet-stream'
    else if (body !== undefined) headers['Content-Type'] = 'application/json'
    const r = await fetch(`${server.url}/api/v1${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) })
    const text = await r.text()
    expect(r.ok, `${method} ${path}: ${r.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  h.apiGet = (token, path) => h.call(token, 'GET', path)
  h.tokenOf = async (username, password, tenant) => (await h.call(null, 'POST', '/auth/login', { username, password, tenant })).token

  // The last step (no browser errors in the whole story), then everything stopped; exits
  // 1 when a step failed.
  h.finish = async (cleanup = () => {}) => {
    await h.step('the browser logged no errors', async () => {
      expect(h.errors.length === 0, h.errors.join('\n'))
    })
    await browser.close()
    await server.stop()
    cleanup()
    if (h.failures > 0) {
      console.log(`${h.failures} ${what} console test(s) failed`)
      process.exit(1)
    }
    console.log(`all ${what} console tests passed`)
  }
  return h
}
