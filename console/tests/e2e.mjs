// The console in a real browser (Debian's Chromium driven by playwright-core) against a
// real `ironloom serve --demo`. Run by scripts/console-test.sh; screenshots go to
// console/test-results/screenshots. Every step must pass and the browser must log no
// error.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { chromium, selectors } from 'playwright-core'
import { startServer } from './server.mjs'

const bin = process.env.IRONLOOM_BIN
if (!bin) throw new Error('IRONLOOM_BIN: the ironloom binary to test')
const shots = process.env.SCREENSHOTS ?? 'test-results/screenshots'
rmSync(shots, { recursive: true, force: true })
mkdirSync(shots, { recursive: true })

selectors.setTestIdAttribute('data-test')
const server = await startServer({ bin, consoleDir: process.env.CONSOLE_DIR ?? 'dist' })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
})
const errors = []
let failures = 0
// Chromium logs every failed request as a console error; steps that provoke one (a wrong
// password) allow that, and only that.
let allowHttpErrors = false

async function newPage(viewport = { width: 1366, height: 768 }) {
  const context = await browser.newContext({ viewport, locale: 'en-US', baseURL: server.url })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    if (allowHttpErrors && /Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return
    errors.push(`${page.url()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e}`))
  return page
}

async function step(name, f) {
  const t = Date.now()
  try {
    await f()
    console.log(`ok   ${name} (${Date.now() - t} ms)`)
  } catch (e) {
    failures++
    console.log(`FAIL ${name}: ${e.stack ?? e}`)
    const file = `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`
    await page?.screenshot({ path: join(shots, `${file}.png`) }).catch(() => {})
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what)
}

// Waits until no dialog or message box is on screen (they fade out).
const noDialog = (page) =>
  page.waitForFunction(() =>
    [...document.querySelectorAll('.el-overlay')].every((e) => getComputedStyle(e).display === 'none'),
  )

// Headers of a session of the demo user, for setting up through the API.
async function demoAuth() {
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'demo', password: 'ironloom-demo-1', tenant: 'demo' }),
  }).then((r) => r.json())
  return { Authorization: `Bearer ${login.token}` }
}

const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`) })

async function logIn(page, password = 'ironloom-demo-1') {
  await page.goto('/')
  await page.waitForURL(/\/login/)
  await page.getByTestId('username').fill('demo')
  await page.getByTestId('password').fill(password)
  await page.getByTestId('tenant').fill('demo')
  await page.getByTestId('login-submit').click()
}

var page = await newPage()

await step('a wrong password is refused with the server message', async () => {
  allowHttpErrors = true
  await logIn(page, 'not-the-password')
  const msg = await page.getByTestId('login-error').textContent()
  expect(/password|credentials|log/i.test(msg ?? ''), `unexpected message: ${msg}`)
  await shot(page, 'login')
  allowHttpErrors = false
})

await step('log in and see the overview with the demo devices', async () => {
  await logIn(page)
  await page.waitForURL((u) => u.pathname === '/')
  await page.getByTestId('overview').waitFor()
  await page.locator('.el-statistic__number').first().waitFor()
  await page.waitForFunction(() => {
    const n = document.querySelector('.el-statistic__number')
    return n && Number((n.textContent ?? '0').replace(/[^0-9]/g, '')) > 0
  })
  await shot(page, 'overview')
})

await step('devices: list, search and paging', async () => {
  await page.getByTestId('nav').getByText('Devices', { exact: true }).click()
  await page.waitForURL(/\/devices/)
  const rows = page.getByTestId('device-table').locator('tbody tr')
  await rows.first().waitFor()
  const all = await rows.count()
  expect(all > 1, `only ${all} devices listed`)
  await page.getByTestId('device-search').fill('pump')
  await page.getByTestId('device-search').press('Enter')
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-test=device-table] tbody tr').length < n,
    all,
  )
  const names = await rows.locator('td:first-child').allTextContents()
  expect(names.length > 0 && names.every((n) => /pump/i.test(n)), `search gave ${names}`)
  await shot(page, 'devices')
})

await step('create a product, add a property to its thing model, create a device of it', async () => {
  await page.goto('/products')
  await page.getByTestId('new-product').click()
  await page.getByTestId('product-name').fill('Test meter')
  await page.getByTestId('product-key').fill('test-meter')
  await page.getByTestId('product-create').click()
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/)
  await page.getByTestId('add-property').click()
  await page.getByTestId('definition-identifier').fill('temp')
  await page.getByTestId('definition-name').fill('Temperature')
  await page.locator('[data-test=property-max] input').fill('200')
  await page.getByTestId('property-unit').fill('°C')
  await page.getByTestId('definition-save').click()
  await page.getByTestId('properties').getByText('Temperature').waitFor()
  await page.getByTestId('properties').getByText('°C').waitFor()
  await noDialog(page)
  // An event with a typed output, and a service with a typed input, from their forms.
  await page.getByRole('tab', { name: /^Events/ }).click()
  await page.getByTestId('add-event').click()
  await page.getByTestId('definition-identifier').fill('overheat')
  await page.getByTestId('definition-name').fill('Overheat')
  await page.getByTestId('event-level').getByText('Alert', { exact: true }).click()
  await page.getByTestId('output-add').click()
  await page.getByTestId('output-0-identifier').fill('temp')
  await page.getByTestId('output-0-name').fill('Temperature')
  await page.getByTestId('output-0-unit').fill('°C')
  await page.getByTestId('definition-save').click()
  await page.getByTestId('events').getByText('Overheat', { exact: true }).waitFor()
  await page.getByTestId('events').getByText('Alert', { exact: true }).waitFor()
  await noDialog(page)
  await page.getByRole('tab', { name: /^Services/ }).click()
  await page.getByTestId('add-service').click()
  await page.getByTestId('definition-identifier').fill('calibrate')
  await page.getByTestId('definition-name').fill('Calibrate')
  await page.getByTestId('service-call-type').getByText('Synchronous', { exact: true }).click()
  await page.getByTestId('input-add').click()
  await page.getByTestId('input-0-identifier').fill('offset')
  await page.getByTestId('input-0-name').fill('Offset')
  await page.getByTestId('input-0-type').click()
  await page.getByRole('option', { name: 'Integer' }).click()
  await page.waitForTimeout(400)
  await shot(page, 'product-service')
  await page.getByTestId('definition-save').click()
  await page.getByTestId('services').getByText('Offset (offset: Integer)').waitFor()
  await noDialog(page)
  await page.getByRole('tab', { name: /^Properties/ }).click()
  await shot(page, 'product')
  // Export as a W3C WoT Thing Model: a download with the new property in it.
  const downloaded = page.waitForEvent('download')
  await page.getByTestId('export').click()
  await page.getByRole('menuitem', { name: 'W3C WoT Thing Model' }).click()
  const file = await (await downloaded).path()
  const tm = JSON.parse(readFileSync(file, 'utf8'))
  expect(
    tm.properties?.temp?.maximum === 200 && tm.events?.overheat && tm.actions?.calibrate,
    `exported: ${JSON.stringify(tm).slice(0, 600)}`,
  )
  await page.goto('/devices')
  await page.getByTestId('new-device').click()
  await page.getByTestId('device-name').fill('meter-100')
  await page.getByTestId('device-product').click()
  await page.getByRole('option', { name: 'Test meter' }).click()
  await page.getByTestId('device-create').click()
  await page.waitForURL(/\/devices\/[0-9a-f-]{36}$/)
  await page.getByTestId('device').getByText('meter-100').first().waitFor()
})

await step('bulk CSV import: the report names the bad row; a partial import takes the rest', async () => {
  allowHttpErrors = true // the all-or-nothing import answers 422 with its report
  await page.goto('/devices')
  await page.getByTestId('import-devices').click()
  await page.getByTestId('import-csv').fill('name,product,label\nmeter-101,test-meter,Meter 101\nmeter-102,no-such-product,Meter 102\nmeter-103,test-meter,Meter 103\n')
  await page.getByTestId('import-run').click()
  await page.getByTestId('import-result').waitFor()
  expect(/0 of 3 rows imported, 1 failed/.test(await page.getByTestId('import-result').textContent()), 'atomic import should import nothing')
  // The second data row (meter-102) names a product that does not exist.
  const cells = await page.getByTestId('import-errors').locator('tbody tr td').allTextContents()
  expect(cells[0] === '2' && cells[1] === 'product' && /no such product/.test(cells[2]), `error report: ${cells}`)
  await shot(page, 'device-import')
  allowHttpErrors = false
  await page.getByTestId('import-partial').click()
  await page.getByTestId('import-run').click()
  await page.getByText('2 of 3 rows imported, 1 failed').waitFor()
  await page.keyboard.press('Escape')
  await page.getByTestId('device-search').fill('meter-10')
  await page.getByTestId('device-search').press('Enter')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=device-table] tbody tr').length === 3)
})

// A device on MQTT (paho, tests/device.py) as the demo's cnc-01: it publishes telemetry
// and prints the RPCs it receives.
await step('rules: an alarm rule built with the form (device, expression, alarm), the same as JSON', async () => {
  // It raises an alarm while cnc-01's feed override is above 110 %.
  await page.goto('/rules/new')
  await page.getByTestId('rule-name').fill('feed override high')
  await page.getByTestId('rule-devices').click()
  await page.keyboard.type('cnc-01')
  await page.getByRole('option', { name: /^cnc-01 · / }).click()
  await page.getByTestId('rule-name').click()
  await page.getByTestId('rule-expr').fill('feed_override > 110')
  await page.getByTestId('action-0-type').fill('feed_high')
  await shot(page, 'rule-form')
  await page.getByTestId('rule-save').click()
  await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}$/.test(u.pathname))
  await page.getByRole('tab', { name: 'JSON' }).click()
  const doc = JSON.parse(await page.getByTestId('rule-json').inputValue())
  expect(
    doc.source.devices?.[0] === 'cnc-01' &&
      doc.condition.expr === 'feed_override > 110' &&
      doc.actions[0].alarm_type === 'feed_high' &&
      doc.actions[0].severity === 'major',
    `saved: ${JSON.stringify(doc)}`,
  )
})

const rpcs = []
let device
await step('a simulated MQTT device connects as cnc-01', async () => {
  const auth = await demoAuth()
  const list = await fetch(`${server.url}/api/v1/devices?q=cnc-01`, { headers: auth }).then((r) => r.json())
  const cnc = list.items.find((d) => d.name === 'cnc-01')
  const creds = await fetch(`${server.url}/api/v1/devices/${cnc.id}/credentials`, { headers: auth }).then((r) => r.json())
  const [host, port] = server.mqtt.split(':')
  device = spawn(process.env.PYTHON ?? 'python3', ['tests/device.py', host, port, creds.access_token], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const connected = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the device did not connect in 15 s')), 15_000)
    createInterface({ input: device.stdout }).on('line', (line) => {
      const m = JSON.parse(line)
      if (m.connected) {
        clearTimeout(timer)
        ok()
      }
      if (m.error) fail(new Error(m.error))
      if (m.rpc) rpcs.push(m.rpc)
    })
  })
  await connected
})

await step('device page: live data arrives on the chart', async () => {
  await page.goto('/devices')
  await page.getByTestId('device-cnc-01').click()
  await page.getByTestId('device').waitFor()
  await page.getByRole('tab', { name: 'Live data' }).click()
  await page.getByTestId('live-state').waitFor()
  await page.waitForFunction(() => {
    const n = document.querySelector('[data-test=live-count]')?.textContent ?? ''
    return Number(n.replace(/[^0-9]/g, '')) >= 5
  })
  await page.locator('[data-test=live-chart] canvas').first().waitFor()
  // The latest values follow the stream too.
  await page.getByRole('tab', { name: 'Overview' }).click()
  await page.getByTestId('latest').getByText('spindle_speed').waitFor()
  await page.getByRole('tab', { name: 'Live data' }).click()
  await page.waitForTimeout(500)
  await shot(page, 'device-live')
})

await step('device page: history with aggregation', async () => {
  await page.getByRole('tab', { name: 'History' }).click()
  await page.locator('[data-test=history-chart] canvas').first().waitFor()
  await page.getByTestId('aggregation').click()
  await page.getByRole('option', { name: 'Average' }).click()
  await page.getByTestId('history-query').click()
  await page.locator('[data-test=history-chart] canvas').first().waitFor()
  await shot(page, 'device-history')
})

await step('device page: a parameter written from the form reaches the device', async () => {
  await page.getByRole('tab', { name: 'Control' }).click()
  const input = page.locator('[data-test=write-feed_override] input')
  await input.fill('120')
  await input.press('Tab')
  await page.getByTestId('write-feed_override-send').click()
  await page.getByText('Command succeeded').waitFor()
  expect(
    rpcs.some((r) => JSON.stringify(r).includes('"feed_override":120')),
    `the device got ${JSON.stringify(rpcs)}`,
  )
  await page.getByTestId('commands').getByText('succeeded').first().waitFor()
  await shot(page, 'device-control')
})

await step('the written parameter raises an alarm: badge, live list, acknowledge, clear, history', async () => {
  // The device applies feed override 120 %, so the rule raises its alarm.
  await page.getByTestId('alarm-badge').waitFor({ timeout: 20_000 })
  await page.getByTestId('nav').getByRole('menuitem', { name: /Alarms/ }).click()
  const row = page.getByTestId('active-alarms').locator('tbody tr', { hasText: 'feed_high' })
  await row.waitFor()
  await page.getByTestId('ack-feed_high').click()
  await page.locator('.el-message-box input').fill('operator checked the spindle')
  await page.locator('.el-message-box').getByRole('button', { name: 'Acknowledge' }).click()
  await row.getByText('Acknowledged').waitFor()
  await page.getByTestId('alarm-badge').waitFor({ state: 'detached' })
  await shot(page, 'alarms')
  await page.getByTestId('clear-feed_high').click()
  await page.locator('.el-message-box input').fill('override reset')
  await page.locator('.el-message-box').getByRole('button', { name: 'Clear' }).click()
  await page.getByText('Alarm cleared').waitFor()
  await page.getByRole('tab', { name: 'History' }).click()
  await page.getByTestId('alarm-history').getByText('override reset').waitFor()
})

await step('rules: an invalid expression is shown with its position; dry run step by step; save', async () => {
  await page.getByTestId('nav').getByRole('menuitem', { name: 'Rules' }).click()
  await page.getByTestId('rule-table').getByText('feed override high').waitFor()
  await page.getByTestId('new-rule').click()
  await page.waitForURL(/\/rules\/new/)
  await page.getByRole('tab', { name: 'JSON' }).click()
  const rule = {
    name: 'boiler water too hot',
    source: { products: ['demo-boiler'] },
    condition: { expr: 'water_temp >> 90', for_samples: 2 },
    actions: [{ type: 'alarm', alarm_type: 'water_temp_high', severity: 'major' }],
  }
  await page.getByTestId('rule-json').fill(JSON.stringify(rule, null, 2))
  await page.getByTestId('rule-check').click()
  const problems = page.getByTestId('rule-problems')
  await problems.waitFor()
  expect(/condition\.expr/.test(await problems.textContent()), 'no path in the problem')
  expect(/position \d+/.test(await problems.textContent()), 'no position in the problem')
  await shot(page, 'rule-problem')
  rule.condition.expr = 'water_temp > 90'
  await page.getByTestId('rule-json').fill(JSON.stringify(rule, null, 2))
  await page.getByTestId('rule-dry-run').click()
  const steps = page.getByTestId('rule-steps').locator('tbody tr')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=rule-steps] tbody tr').length === 4)
  expect((await steps.nth(2).textContent()).includes('✔'), 'the third sample should fire')
  expect(!(await steps.nth(1).textContent()).includes('✔'), 'one sample above 90 is not enough')
  await shot(page, 'rule-dry-run')
  await page.getByTestId('rule-save').click()
  await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}$/.test(u.pathname))
  await page.goto('/rules')
  await page.getByTestId('rule-table').getByText('boiler water too hot').waitFor()
})

await step('users, roles and API keys: a user with a generated password, the matrix, a key shown once', async () => {
  await page.goto('/users')
  await page.getByTestId('new-user').click()
  await page.getByTestId('user-username').fill('op-1')
  await page.getByTestId('user-create').click()
  const box = page.locator('.el-message-box')
  await box.waitFor()
  expect(/op-1.*: \S{8,}/.test(await box.textContent()), 'no generated password shown')
  await box.getByRole('button').last().click()
  await page.getByTestId('user-table').getByText('op-1').waitFor()
  await page.goto('/roles')
  await page.getByTestId('role-matrix').getByText('device:read').waitFor()
  await page.goto('/api-keys')
  await page.getByTestId('new-key').click()
  await page.getByTestId('key-name').fill('historian')
  await page.getByTestId('key-create').click()
  const key = (await page.getByTestId('created-key').textContent()).trim()
  expect(key.startsWith('ilk_'), `key: ${key}`)
  // The key works against the API.
  const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { 'X-API-Key': key } })
  expect(me.status === 200, `the new key: ${me.status}`)
  await page.keyboard.press('Escape')
  await page.getByTestId('key-table').getByText('historian').waitFor()
  await noDialog(page)
  await shot(page, 'api-keys')
})

await step('system health: the node, connected devices and an ingest rate from the running device', async () => {
  await page.goto('/health')
  await page.getByTestId('uptime').waitFor()
  // Two readings five seconds apart give the rate; the simulated device sends 5 a second.
  await page.waitForFunction(
    () => {
      const n = (sel) => Number((document.querySelector(sel)?.textContent ?? '').replace(/[^0-9.]/g, ''))
      return n('[data-test=connected] .el-statistic__number') >= 1 && n('[data-test=msg-rate] .el-statistic__number') > 0
    },
    undefined,
    { timeout: 20_000 },
  )
  await shot(page, 'health')
})

await step("dashboards: the demo's dashboard draws its chart, gauge, value card, table and site map", async () => {
  await page.goto('/dashboards')
  await page.getByTestId('dashboard-table').getByRole('link', { name: /Factory overview/ }).click()
  await page.getByTestId('dashboard').waitFor()
  for (const sel of [
    '[data-test=widget-flow] canvas',
    '[data-test=widget-bearing] [data-test=gauge] canvas',
    '[data-test=widget-site] [data-test=site-map] canvas',
  ]) {
    await page.locator(sel).first().waitFor()
  }
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-test=widget-current] [data-test=value]')?.textContent ?? ''))
  await page.getByTestId('widget-pumps').getByText('Make-up pump 3').waitFor()
  // Tall enough for the site map under the other widgets.
  await page.setViewportSize({ width: 1366, height: 1180 })
  await page.waitForTimeout(500)
  await shot(page, 'dashboard')
  await page.setViewportSize({ width: 1366, height: 768 })
})

let dashboardId
await step('dashboards: build one from a chart and a value card on the live device, drag a widget, save', async () => {
  await page.goto('/dashboards')
  await page.getByTestId('new-dashboard').click()
  await page.getByTestId('dashboard-name').fill('Machining cell')
  await page.getByTestId('dashboard-create').click()
  await page.waitForURL(/\/dashboards\/[0-9a-f-]{36}\?edit=1$/)
  dashboardId = new URL(page.url()).pathname.split('/').pop()
  const addWidget = async (kind, property) => {
    await page.getByTestId('add-widget').click()
    const dialog = page.locator('.el-dialog').filter({ hasText: 'Add widget' })
    await dialog.getByText(kind, { exact: true }).click()
    await page.getByTestId('widget-devices').click()
    await page.keyboard.type('cnc-01')
    await page.getByRole('option', { name: /^cnc-01/ }).click()
    await dialog.locator('.el-dialog__title').click()
    await page.getByTestId('widget-properties').click()
    await page.getByRole('option', { name: new RegExp(property) }).click()
    await dialog.locator('.el-dialog__title').click()
    await page.getByTestId('widget-ok').click()
    await noDialog(page)
  }
  await addWidget('Chart', 'spindle_speed')
  await addWidget('Value card', 'feed_override')
  // Drag the value card by its handle from under the chart to beside it (12 columns right,
  // 7 rows up); the grid shows where it lands and keeps it there.
  const { col, row } = await page.evaluate(() => {
    const g = document.querySelector('.grid')
    return { col: (g.clientWidth + 12) / 24, row: 36 + 12 }
  })
  const handle = page.locator('[data-test=widget-value-1] .handle')
  const box = await handle.boundingBox()
  const [x0, y0] = [box.x + box.width / 2, box.y + box.height / 2]
  await page.mouse.move(x0, y0)
  await page.mouse.down()
  await page.mouse.move(x0 + 6 * col, y0 - 3 * row, { steps: 5 })
  await page.mouse.move(x0 + 12 * col, y0 - 7 * row, { steps: 5 })
  await page.mouse.up()
  await page.getByTestId('dashboard-save').click()
  await page.getByText('Saved').first().waitFor()
  await page.locator('[data-test=widget-chart-1] canvas').first().waitFor()
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-test=widget-value-1] [data-test=value]')?.textContent ?? ''))
  const saved = await fetch(`${server.url}/api/v1/dashboards/${dashboardId}`, { headers: await demoAuth() }).then((r) => r.json())
  const card = saved.document.widgets.find((w) => w.id === 'value-1')
  expect(
    saved.version === 2 && card.x === 12 && card.y === 0 && card.properties[0] === 'feed_override',
    `saved: ${JSON.stringify(saved)}`,
  )
  await shot(page, 'dashboard-builder')
})

await step('dashboards: a read-only link opens without logging in; a new link retires the old one', async () => {
  await page.getByTestId('dashboard-share').click()
  await page.getByTestId('share-create').click()
  const link = await page.locator('[data-test=share-link] input, input[data-test=share-link]').first().inputValue()
  expect(new RegExp(`^${server.url}/shared/[A-Za-z0-9]{32}$`).test(link), `link: ${link}`)
  await shot(page, 'dashboard-share')
  // A browser that never logged in.
  const visitor = await newPage()
  await visitor.goto(link)
  await visitor.getByTestId('shared-title').getByText('Machining cell').waitFor()
  await visitor.locator('[data-test=widget-chart-1] canvas').first().waitFor()
  await visitor.waitForFunction(() => /\d/.test(document.querySelector('[data-test=widget-value-1] [data-test=value]')?.textContent ?? ''))
  expect((await visitor.getByTestId('dashboard-edit').count()) === 0, 'a shared dashboard offers editing')
  expect((await visitor.getByTestId('nav').count()) === 0, 'a shared dashboard shows the menu')
  expect(!(await visitor.evaluate(() => localStorage.getItem('ironloom.token'))), 'the visitor has a session')
  await shot(visitor, 'dashboard-shared')
  // A new link: the old one stops working at once (the open page's next refresh is a 404).
  allowHttpErrors = true
  await page.getByTestId('share-rotate').click()
  await page.locator('.el-message-box').getByRole('button', { name: 'New link' }).click()
  await page.waitForFunction((old) => {
    const i = document.querySelector('[data-test=share-link] input, input[data-test=share-link]')
    return i && i.value !== old && i.value.includes('/shared/')
  }, link)
  await visitor.reload()
  await visitor.getByTestId('shared-invalid').waitFor()
  await visitor.close()
  allowHttpErrors = false
  await page.keyboard.press('Escape')
  await noDialog(page)
})

await step('gateways: a point table checked by the server, then pushed to a gateway', async () => {
  // A second gateway of the demo's gateway product, so the running demo gateway keeps its tables.
  const auth = { ...(await demoAuth()), 'Content-Type': 'application/json' }
  const products = await fetch(`${server.url}/api/v1/products?q=demo-edge`, { headers: auth }).then((r) => r.json())
  const created = await fetch(`${server.url}/api/v1/devices`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'edge-02', label: 'Edge gateway 2', product_id: products.items[0].id }),
  })
  expect(created.status === 201, `gateway device: ${created.status}`)
  await page.goto('/gateways')
  await page.getByTestId('gateway-pick').click()
  await page.getByRole('option', { name: 'Edge gateway 2' }).click()
  await page.getByText('Add Modbus connection').click()
  await page.getByTestId('connection').getByText('Add device').click()
  await page.getByTestId('add-point').click()
  // A device without a name and a point without a property: refused with the reasons.
  allowHttpErrors = true
  await page.getByTestId('gateway-push').click()
  await page.locator('.el-message--error').waitFor()
  const refusal = await page.locator('.el-message--error').textContent()
  expect(/problem/.test(refusal), `refusal: ${refusal}`)
  allowHttpErrors = false
  await page.getByTestId('mb-device-name').fill('pump-09')
  await page.getByTestId('points').locator('tbody tr input').first().fill('flow')
  await page.getByTestId('gateway-push').click()
  await page.getByText('Pushed to the gateway').waitFor()
  // An OPC UA connection with a node, from its table: user log-in, polled, a deadband.
  await page.getByTestId('add-ua-connection').click()
  await page.getByTestId('ua-endpoint').fill('opc.tcp://10.0.0.7:4840/')
  await page.getByTestId('ua-connection').getByPlaceholder('User (empty: anonymous)').fill('reader')
  await page.getByTestId('ua-connection').getByPlaceholder('Password').fill('s3cret')
  await page.getByTestId('add-node').click()
  const node = page.getByTestId('nodes').locator('tbody tr').first()
  await node.locator('input').nth(0).fill('boiler-09')
  await node.locator('input').nth(1).fill('water_temp')
  await node.getByPlaceholder('ns=2;s=Pump1.Speed').fill('ns=2;s=Boiler9.Temperature')
  const pushed = page.waitForResponse((r) => r.url().includes('/gateway-config') && r.request().method() === 'PUT')
  await page.getByTestId('gateway-push').click()
  const answer = await pushed
  expect(answer.status() === 200, `push: ${answer.status()} ${await answer.text()}`)
  await page.getByRole('tab', { name: 'JSON' }).click()
  const doc = JSON.parse(await page.locator('textarea').inputValue())
  expect(
    doc.version === 2 &&
      doc.modbus[0].devices[0].points[0].name === 'flow' &&
      doc.opcua[0].endpoint === 'opc.tcp://10.0.0.7:4840/' &&
      doc.opcua[0].auth?.username === 'reader' &&
      doc.opcua[0].nodes[0].node_id === 'ns=2;s=Boiler9.Temperature',
    `stored: ${JSON.stringify(doc)}`,
  )
  await page.getByRole('tab', { name: 'Point tables' }).click()
  await page.waitForFunction(() => document.querySelectorAll('.el-message').length === 0, undefined, { timeout: 10_000 })
  await shot(page, 'gateway')
})

await step('device page: connection details with copyable examples', async () => {
  await page.goto('/devices')
  await page.getByTestId('device-cnc-01').click()
  await page.getByRole('tab', { name: 'Connection' }).click()
  await page.getByTestId('access-token').waitFor()
  expect(await page.getByText('mosquitto_pub -h').isVisible(), 'no MQTT example')
  await shot(page, 'device-connection')
})

await step('products are listed with their category', async () => {
  await page.goto('/products')
  await page.getByTestId('products').locator('tbody tr').first().waitFor()
  expect(await page.getByText('Operating equipment').first().isVisible(), 'no category label')
  await shot(page, 'products')
})

await step('switch to 简体中文: menu, labels and formats follow, and the choice is kept', async () => {
  await page.getByTestId('language').click()
  await page.getByTestId('language-zh-CN').click()
  await page.getByTestId('nav').getByText('设备', { exact: true }).waitFor()
  expect(await page.getByText('运行设备').first().isVisible(), 'category not translated')
  await page.reload()
  await page.getByTestId('nav').getByText('产品', { exact: true }).waitFor()
  expect((await page.locator('html').getAttribute('lang')) === 'zh-CN', 'html lang not zh-CN')
  await shot(page, 'products-zh')
})

await step('API errors arrive in the chosen language', async () => {
  await page.getByTestId('user-menu').click()
  await page.getByTestId('logout').click()
  await page.waitForURL(/\/login/)
  allowHttpErrors = true
  await logIn(page, 'wrong-password-again')
  const msg = (await page.getByTestId('login-error').textContent()) ?? ''
  expect(/[\u4e00-\u9fff]/.test(msg), `not Chinese: ${msg}`)
  await shot(page, 'login-zh')
  allowHttpErrors = false
})

await step('an unknown address shows the not-found page; /api/ keeps JSON 404s', async () => {
  await logIn(page)
  await page.waitForURL((u) => u.pathname === '/')
  await page.goto('/no/such/page')
  await page.getByText('页面不存在').waitFor()
  const r = await page.request.get('/api/v1/no-such-thing')
  expect(r.status() === 404 && (await r.json()).code === 'no_route', `API 404: ${r.status()}`)
})

await step('a tablet (768 × 1024) gets the folded menu and no sideways scrolling', async () => {
  const tablet = await newPage({ width: 768, height: 1024 })
  await logIn(tablet)
  await tablet.waitForURL((u) => u.pathname === '/')
  await tablet.getByTestId('overview').waitFor()
  const overflow = await tablet.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow <= 0, `page is ${overflow}px wider than the screen`)
  await shot(tablet, 'overview-tablet')
})

await step('the browser logged no errors', async () => {
  expect(errors.length === 0, errors.join('\n'))
})

await browser.close()
device?.kill()
await server.stop()
if (failures > 0) {
  console.log(`${failures} console test(s) failed`)
  process.exit(1)
}
console.log('all console tests passed')
