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
import { flowSteps } from './e2e-flow.mjs'

const bin = process.env.IRONLOOM_BIN
if (!bin) throw new Error('IRONLOOM_BIN: the ironloom binary to test')
const shots = process.env.SCREENSHOTS ?? 'test-results/screenshots'
rmSync(shots, { recursive: true, force: true })
mkdirSync(shots, { recursive: true })

selectors.setTestIdAttribute('data-test')
// Without the demo's store (the apps of apps/ published and twenty more installations,
// minutes of checks on a debug build): the steps below count the demo's own apps, and
// tests/e2e-market.mjs covers the store.
const server = await startServer({ bin, consoleDir: process.env.CONSOLE_DIR ?? 'dist', env: { IRONLOOM_DEMO_STORE: 'off' } })
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

// A screenshot for the docs: once messages have faded and dialogs and drawers opened or
// closed all the way.
async function still(page, name) {
  await page.waitForFunction(() => document.querySelectorAll('.el-message').length === 0, undefined, { timeout: 10_000 })
  await page.waitForTimeout(600)
  await shot(page, name)
}

// Polls `f` every 300 ms until it returns something truthy (which it returns), or fails.
async function until(f, what, ms = 15_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

// The API as the demo user (for checking what the console did, and for setting up).
async function apiGet(path) {
  return fetch(`${server.url}/api/v1${path}`, { headers: await demoAuth() }).then((r) => r.json())
}

// The text of the file the page downloads while `action` runs.
async function downloadText(page, action) {
  const download = page.waitForEvent('download')
  await action()
  return readFileSync(await (await download).path(), 'utf8')
}

// Presses a button of the open confirmation box.
const confirmBox = (page, name) => page.locator('.el-message-box').getByRole('button', { name }).click()

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
  // Trends of values stored, alarms and devices online, and the site plan.
  for (const t of ['trend-stored', 'trend-alarms', 'trend-online', 'site-plan']) {
    await page.locator(`[data-test=${t}] canvas`).first().waitFor()
  }
})

await step('devices: the list exported as CSV in the columns the import reads', async () => {
  await page.goto('/devices')
  await page.getByTestId('device-table').locator('tbody tr').first().waitFor()
  const csv = await downloadText(page, () => page.getByTestId('export-devices').click())
  const [header, ...lines] = csv.trim().split(/\r?\n/)
  expect(header.startsWith('name,product,label,description,tags,groups,attr:install_year'), `header: ${header}`)
  const pump = lines.find((l) => l.startsWith('pump-01,'))
  expect(lines.length === 13 && pump?.includes(',demo-pump,') && pump.includes('water;critical') && pump.includes(',2019,'), `csv: ${csv}`)
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
  // Status tags fit their column ("Never connected" was cut off).
  const clipped = await page.evaluate(() =>
    [...document.querySelectorAll('[data-test=device-table] td .cell')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent),
  )
  expect(clipped.length === 0, `cut off: ${clipped}`)
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
  const tm = JSON.parse(
    await downloadText(page, async () => {
      await page.getByTestId('export').click()
      await page.getByRole('menuitem', { name: 'W3C WoT Thing Model' }).click()
    }),
  )
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

await step('products: edit, provisioning on with a new key, off; a product without devices deleted', async () => {
  await page.goto('/products')
  await page.getByRole('link', { name: 'Test meter' }).click()
  await page.getByTestId('product-edit').click()
  await page.getByTestId('product-description').fill('Bench meters of the test lab')
  await page.getByTestId('product-create').click()
  await page.getByTestId('product').getByText('Bench meters of the test lab').waitFor()
  await noDialog(page)
  await page.getByRole('tab', { name: 'Device provisioning' }).click()
  await page.getByTestId('provisioning-on').click()
  const key = (await page.getByTestId('provision-key').textContent()).trim()
  expect(/^pv\w{10,}$/.test(key), `key: ${key}`)
  await page.getByTestId('provisioning-renew').click()
  await confirmBox(page, 'New key and secret')
  await until(async () => (await page.getByTestId('provision-key').textContent()).trim() !== key, 'a new provision key')
  // A device provisions itself with the new key over HTTP.
  const now = (await page.getByTestId('provision-key').textContent()).trim()
  const secret = (await page.getByTestId('provision-secret').textContent()).trim()
  const r = await fetch(`${server.url}/api/v1/provision`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ deviceName: 'meter-200', provisionDeviceKey: now, provisionDeviceSecret: secret }),
  }).then((x) => x.json())
  expect(r.status === 'SUCCESS' && r.credentialsValue, `provision: ${JSON.stringify(r)}`)
  await noDialog(page)
  await still(page, 'product-provisioning')
  await page.getByTestId('provisioning-off').click()
  await confirmBox(page, 'Turn off')
  await page.getByTestId('provisioning-on').waitFor()
  await noDialog(page)
  // A product no device uses can go.
  await page.goto('/products')
  await page.getByTestId('new-product').click()
  await page.getByTestId('product-name').fill('Spare product')
  await page.getByTestId('product-create').click()
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/)
  await page.getByTestId('product-delete').click()
  await confirmBox(page, 'Delete')
  await page.waitForURL(/\/products$/)
  await page.getByTestId('products').locator('tbody tr').first().waitFor()
  expect(!(await page.getByTestId('products').getByText('Spare product').count()), 'the deleted product is still listed')
})

await step('device groups and editing a device: label, description, tags and group', async () => {
  await page.goto('/groups')
  await page.getByTestId('new-group').click()
  await page.getByTestId('group-name').fill('Test bench')
  await page.getByTestId('group-save').click()
  await page.getByTestId('group-table').getByText('Test bench').waitFor()
  await noDialog(page)
  await page.getByTestId('edit-group-Test bench').click()
  await page.getByTestId('group-description').fill('Meters on the bench')
  await page.getByTestId('group-save').click()
  await page.getByTestId('group-table').getByText('Meters on the bench').waitFor()
  await noDialog(page)
  await still(page, 'groups')
  // meter-100: a label, a description, a tag and the group.
  await page.goto('/devices')
  await page.getByTestId('device-search').fill('meter-100')
  await page.getByTestId('device-search').press('Enter')
  await page.getByTestId('device-meter-100').click()
  await page.getByTestId('device-edit').click()
  await page.getByTestId('device-label').fill('Bench meter 100')
  await page.getByTestId('device-description').fill('Calibrated weekly')
  const dialog = page.locator('.el-dialog').filter({ hasText: 'Edit device' })
  await page.getByTestId('device-tags').click()
  await page.keyboard.type('lab')
  await page.keyboard.press('Enter')
  await dialog.locator('.el-dialog__title').click()
  await page.getByTestId('device-groups').click()
  await page.getByRole('option', { name: 'Test bench' }).click()
  await dialog.locator('.el-dialog__title').click()
  await page.getByTestId('device-create').click()
  await page.getByTestId('device-title').getByText('Bench meter 100').waitFor()
  await page.getByTestId('device-tag').getByText('lab').waitFor()
  await page.getByTestId('device').getByText('Calibrated weekly').waitFor()
  await noDialog(page)
  // The group now lists it, from the group's count.
  await page.goto('/groups')
  await until(async () => (await page.getByTestId('group-devices-Test bench').textContent()).trim() === '1', 'one device in the group')
  await page.getByTestId('group-devices-Test bench').click()
  await page.waitForURL(/\/devices\?group_id=/)
  await until(async () => (await page.getByTestId('device-table').locator('tbody tr td:first-child').allTextContents()).join() === 'meter-100', 'the group filter')
  // A group goes (its devices stay).
  await page.goto('/groups')
  await page.getByTestId('delete-group-Test bench').click()
  await confirmBox(page, 'Delete')
  await page.getByText('Deleted').first().waitFor()
  await until(async () => (await page.getByTestId('group-table').getByText('Test bench').count()) === 0, 'the group is gone')
})

await step('device attributes: a server attribute added, changed and removed; a shared one set', async () => {
  await page.goto('/devices')
  await page.getByTestId('device-search').fill('meter-100')
  await page.getByTestId('device-search').press('Enter')
  await page.getByTestId('device-meter-100').click()
  await page.getByRole('tab', { name: 'Attributes' }).click()
  const server = page.getByTestId('attributes-server')
  await page.getByTestId('add-attribute-server').click()
  await page.getByTestId('attribute-key').fill('install_year')
  await page.getByTestId('attribute-value').fill('2024')
  await page.getByTestId('attribute-save').click()
  await server.getByText('install_year').waitFor()
  await noDialog(page)
  await server.locator('tbody tr', { hasText: 'install_year' }).getByRole('button', { name: 'Edit' }).click()
  await page.getByTestId('attribute-value').fill('2025')
  await page.getByTestId('attribute-save').click()
  await server.getByText('2025', { exact: true }).waitFor()
  await noDialog(page)
  // A year is a year, not 2,025, in the overview too.
  await page.getByRole('tab', { name: 'Overview' }).click()
  await page.getByTestId('attributes-summary').getByText('2025', { exact: true }).waitFor()
  await page.getByRole('tab', { name: 'Attributes' }).click()
  // Shared attributes are pushed to the device, and listed again when the tab opens.
  await page.getByTestId('add-attribute-shared').click()
  await page.getByTestId('attribute-key').fill('report_interval_s')
  await page.getByTestId('attribute-value').fill('30')
  await page.getByTestId('attribute-save').click()
  await page.getByTestId('attributes-shared').getByText('report_interval_s').waitFor()
  await noDialog(page)
  await page.reload()
  await page.getByTestId('attributes-shared').getByText('report_interval_s').waitFor()
  await still(page, 'device-attributes')
  await server.locator('tbody tr', { hasText: 'install_year' }).getByRole('button', { name: 'Delete' }).click()
  await confirmBox(page, 'Delete')
  await until(async () => (await server.getByText('install_year').count()) === 0, 'the attribute is gone')
  const d = await apiGet(`/devices/${new URL(page.url()).pathname.split('/').pop()}`)
  expect(!('install_year' in d.attributes), `attributes: ${JSON.stringify(d.attributes)}`)
})

await step('device credentials rotated: new ones shown, the old token refused, the new one accepted', async () => {
  await page.getByRole('tab', { name: 'Connection' }).click()
  const old = (await page.getByTestId('access-token').textContent()).trim()
  await page.getByTestId('rotate-credentials').click()
  await confirmBox(page, 'Rotate credentials')
  const token = await until(async () => {
    const v = (await page.getByTestId('access-token').textContent()).trim()
    return v !== old && v
  }, 'a new access token')
  const send = (tk) =>
    fetch(`${server.url}/api/v1/${tk}/telemetry`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"temp": 21.5}' })
  expect((await send(token)).status === 200, 'the new token is refused')
  expect((await send(old)).status === 401, 'the old token still works')
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

await step('a device deleted from its page, after confirming', async () => {
  await page.getByTestId('device-meter-103').click()
  await page.getByTestId('device-delete').click()
  await page.locator('.el-message-box').getByText('Delete the device meter-103?').waitFor()
  await confirmBox(page, 'Delete')
  await page.waitForURL(/\/devices$/)
  await page.getByTestId('device-search').fill('meter-10')
  await page.getByTestId('device-search').press('Enter')
  await page.waitForFunction(() => document.querySelectorAll('[data-test=device-table] tbody tr').length === 2)
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

await step("the demo's rules raise and clear alarms on the simulated pump; the overview shows them", async () => {
  // The pump's bearing passes 56 °C about 40 s after start and falls back after about
  // three minutes (demo/rules.json): the warning is active, or already cleared by its rule.
  const found = await until(async () => {
    const active = await apiGet('/alarms?active=true&alarm_type=bearing_warm')
    const past = await apiGet('/alarms?active=false&alarm_type=bearing_warm')
    return active.items[0] ?? past.items[0]
  }, 'the bearing warning of the demo rule', 90_000)
  if (found.active) {
    await page.goto('/')
    const row = page.getByTestId('recent-alarms').locator('tbody tr', { hasText: 'bearing_warm' })
    await row.getByText('Pump bearing running warm').waitFor()
    await row.getByText('Warning').waitFor()
    await until(async () => /[1-9]/.test(await page.getByTestId('figure-alarms').locator('.el-statistic__number').textContent()), 'active alarms counted')
    // Tall enough for the site plan under the trends.
    await page.setViewportSize({ width: 1366, height: 1000 })
    await still(page, 'overview')
    await page.setViewportSize({ width: 1366, height: 768 })
  } else {
    await page.goto('/alarms')
    await page.getByRole('tab', { name: 'History' }).click()
    const row = page.getByTestId('alarm-history').locator('tbody tr', { hasText: 'bearing_warm' }).first()
    await row.getByText('Pump bearing running warm').waitFor()
    await row.getByText('its rule').waitFor()
  }
  expect(found.rule_id && found.details.bearing_temp > 56, `alarm: ${JSON.stringify(found)}`)
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

await step("device page: latest values with their labels, no platform series; the pump's live chart", async () => {
  await page.goto('/devices')
  await page.getByTestId('device-pump-01').click()
  const latest = page.getByTestId('latest')
  await latest.getByText('run_state').waitFor()
  const run = (await latest.locator('tbody tr', { hasText: 'run_state' }).textContent()) ?? ''
  expect(run.includes('Running'), `run_state shows ${run}`)
  expect((await latest.getByText('$events').count()) === 0, 'the $events series is listed')
  await page.getByTestId('attributes-summary').getByText('2019', { exact: true }).waitFor()
  // Five units, five axes; or only the chosen properties.
  await page.getByRole('tab', { name: 'Live data' }).click()
  await page.locator('[data-test=live-chart] canvas').first().waitFor()
  await page.getByTestId('chart-properties').click()
  await page.getByRole('option', { name: /Bearing temperature/ }).click()
  await page.getByRole('option', { name: /Vibration velocity/ }).click()
  await page.keyboard.press('Escape')
  await page.waitForTimeout(1500)
  await shot(page, 'device-live-axes')
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

await step('device page: history with aggregation, exported as CSV', async () => {
  await page.getByRole('tab', { name: 'History' }).click()
  await page.locator('[data-test=history-chart] canvas').first().waitFor()
  const picked = await page.getByTestId('aggregation').textContent()
  expect(/Raw values/.test(picked ?? ''), `the aggregation picker shows ${picked}`)
  const csv = await downloadText(page, async () => {
    await page.getByTestId('history-export').click()
    await page.getByTestId('export-csv').click()
  })
  const [header, ...lines] = csv.trim().split(/\r?\n/)
  expect(header === 'device,property,ts,value,type,quality', `header: ${header}`)
  const id = new URL(page.url()).pathname.split('/').pop()
  expect(lines.some((l) => l.startsWith(`${id},spindle_speed,`)), `csv: ${csv.slice(0, 300)}`)
  // Parquet too: a file that starts and ends with its magic number.
  const download = page.waitForEvent('download')
  await page.getByTestId('history-export').click()
  await page.getByTestId('export-parquet').click()
  const parquet = readFileSync(await (await download).path())
  expect(parquet.subarray(0, 4).toString() === 'PAR1' && parquet.subarray(-4).toString() === 'PAR1', `parquet: ${parquet.length} bytes`)
  await page.getByTestId('aggregation').click()
  await page.getByRole('option', { name: 'Average' }).click()
  await page.getByTestId('history-query').click()
  await page.locator('[data-test=history-chart] canvas').first().waitFor()
  await shot(page, 'device-history')
})

await step('device page: a parameter written from the form reaches the device', async () => {
  await page.getByRole('tab', { name: 'Control' }).click()
  const input = page.locator('[data-test=write-feed_override] input')
  // The field starts at what the device reports (100 %), not the type's minimum.
  await until(async () => (await input.inputValue()) === '100', 'the field at the current value')
  await page.getByTestId('write-feed_override-change').getByText('Now: 100 %').waitFor()
  await input.fill('120')
  await input.press('Tab')
  await page.getByTestId('write-feed_override-change').getByText('120 %').waitFor()
  // Cancelled, nothing is sent.
  await page.getByTestId('write-feed_override-send').click()
  const box = page.locator('.el-message-box')
  await box.getByText('100 % → 120 %').waitFor()
  await confirmBox(page, 'Cancel')
  await noDialog(page)
  expect(rpcs.length === 0, `sent without confirmation: ${JSON.stringify(rpcs)}`)
  await page.getByTestId('write-feed_override-send').click()
  await box.getByText('100 % → 120 %').waitFor()
  await still(page, 'device-control-confirm')
  await confirmBox(page, 'Write')
  await page.getByText('Command succeeded').waitFor()
  expect(
    rpcs.some((r) => JSON.stringify(r).includes('"feed_override":120')),
    `the device got ${JSON.stringify(rpcs)}`,
  )
  await page.getByTestId('commands').getByText('succeeded').first().waitFor()
  await shot(page, 'device-control')
})

await step('the written parameter raises an alarm: badge, live list, acknowledge, clear, history', async () => {
  // The device applies feed override 120 %, so the rule raises its alarm. The badge counts
  // the alarms not acknowledged (the demo's own rules may have raised some too).
  const badge = async () => Number((await page.getByTestId('alarm-badge').textContent({ timeout: 1000 }).catch(() => '0')).replace(/\D/g, '') || 0)
  const unacknowledged = async () => (await apiGet('/alarms/counts')).unacknowledged
  await page.getByTestId('alarm-badge').waitFor({ timeout: 20_000 })
  await page.getByTestId('nav').getByRole('menuitem', { name: /Alarms/ }).click()
  const row = page.getByTestId('active-alarms').locator('tbody tr', { hasText: 'feed_high' })
  await row.waitFor()
  // Named after the rule that raised it, with its type.
  await row.getByText('feed override high').waitFor()
  await until(async () => (await badge()) === (await unacknowledged()), 'the badge counts the unacknowledged alarms')
  const before = await unacknowledged()
  await page.getByTestId('ack-feed_high').click()
  await page.locator('.el-message-box').getByText('feed override high').waitFor()
  await page.locator('.el-message-box input').fill('operator checked the spindle')
  await page.locator('.el-message-box').getByRole('button', { name: 'Acknowledge' }).click()
  await row.getByText('Acknowledged').waitFor()
  await until(async () => (await unacknowledged()) === before - 1 && (await badge()) === before - 1, 'one alarm fewer on the badge')
  await still(page, 'alarms')
  await page.getByTestId('clear-feed_high').click()
  await page.locator('.el-message-box input').fill('override reset')
  await page.locator('.el-message-box').getByRole('button', { name: 'Clear' }).click()
  await page.getByText('Alarm cleared').waitFor()
  await page.getByRole('tab', { name: 'History' }).click()
  // Both comments: the acknowledgement's and the clearing's.
  const past = page.getByTestId('alarm-history').locator('tbody tr', { hasText: 'feed_high' }).first()
  await past.getByText('override reset').waitFor()
  await past.getByText('operator checked the spindle').waitFor()
  await still(page, 'alarm-history')
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
  // Effects in words, not JSON.
  const effect = await steps.nth(2).getByTestId('rule-effect').textContent()
  expect(effect === 'Raise alarm water_temp_high (Major)', `effect: ${effect}`)
  await shot(page, 'rule-dry-run')
  await page.getByTestId('rule-save').click()
  await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}$/.test(u.pathname))
  await page.goto('/rules')
  await page.getByTestId('rule-table').getByText('boiler water too hot').waitFor()
})

await step('rules: version history; an earlier version restored becomes the next one', async () => {
  await page.getByTestId('rule-table').getByRole('link', { name: 'boiler water too hot' }).click()
  await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}$/.test(u.pathname))
  const id = new URL(page.url()).pathname.split('/').pop()
  await page.getByTestId('rule-expr').fill('water_temp > 95')
  await page.getByTestId('rule-save').click()
  await page.getByText('Version 2').waitFor()
  await page.getByTestId('rule-history').click()
  const table = page.getByTestId('rule-version-table')
  await table.getByText('water_temp > 95').waitFor()
  await table.getByText('water_temp > 90').waitFor()
  expect((await table.locator('tbody tr').count()) === 2, 'two versions')
  await still(page, 'rule-versions')
  await page.getByTestId('restore-1').click()
  await until(async () => (await page.getByTestId('rule-expr').inputValue()) === 'water_temp > 90', 'version 1 in the editor')
  await page.getByTestId('rule-save').click()
  await page.getByText('Version 3').waitFor()
  const saved = await apiGet(`/rules/${id}`)
  expect(saved.version === 3 && saved.document.condition.expr === 'water_temp > 90', `saved: ${JSON.stringify(saved)}`)
})

// The flow editor (tests/e2e-flow.mjs), on a wide page of its own.
await flowSteps({ newPage, logIn, step, expect, until, shot, still, apiGet })

await step('users, roles and API keys: a user with a generated password, the matrix, a key shown once', async () => {
  await page.goto('/users')
  await page.getByTestId('new-user').click()
  await page.getByTestId('user-username').fill('op-1')
  await page.getByTestId('user-create').click()
  const box = page.locator('.el-message-box')
  await box.waitFor()
  expect(/op-1.*: \S{8,}/.test(await box.textContent()), 'no generated password shown')
  const generated = /op-1.*: (\S{8,})/.exec(await box.locator('.el-message-box__message').textContent())[1]
  await box.getByRole('button').last().click()
  await page.getByTestId('user-table').getByText('op-1').waitFor()
  // op-1 changes the generated password, and logs in again with the new one.
  const op = await newPage()
  await op.goto('/login')
  await op.getByTestId('username').fill('op-1')
  await op.getByTestId('password').fill(generated)
  await op.getByTestId('tenant').fill('demo')
  await op.getByTestId('login-submit').click()
  await op.waitForURL((u) => u.pathname === '/')
  await op.getByTestId('user-menu').click()
  await op.getByTestId('change-password').click()
  allowHttpErrors = true // a wrong current password first: refused, and the session stays
  await op.getByTestId('password-current').fill('not-my-password-1')
  await op.getByTestId('password-new').fill('Op-1-new-pass')
  await op.getByTestId('password-again').fill('Op-1-new-pass')
  await op.getByTestId('password-save').click()
  await op.getByTestId('password-error').waitFor()
  allowHttpErrors = false
  expect(new URL(op.url()).pathname === '/', 'a wrong current password ended the session')
  await op.getByTestId('password-current').fill(generated)
  await op.getByTestId('password-new').fill('Op-1-new-pass')
  await op.getByTestId('password-again').fill('Op-1-new-pass')
  await op.getByTestId('password-save').click()
  await op.waitForURL(/\/login/)
  expect((await op.getByTestId('username').inputValue()) === 'op-1', 'the user name is not kept')
  await op.getByTestId('password').fill('Op-1-new-pass')
  await op.getByTestId('tenant').fill('demo')
  await op.getByTestId('login-submit').click()
  await op.waitForURL((u) => u.pathname === '/')
  await op.getByTestId('overview').waitFor()
  await op.close()
  await page.goto('/roles')
  await page.getByTestId('role-matrix').getByText('device:read').waitFor()
  await page.goto('/api-keys')
  await page.getByTestId('new-key').click()
  // Every label of the form fits its place (a long one once ran into the next field).
  await page.getByTestId('key-name').waitFor()
  const overflowing = await page.evaluate(() =>
    [...document.querySelectorAll('.el-dialog .el-form-item__label')]
      .filter((l) => l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1)
      .map((l) => l.textContent),
  )
  expect(overflowing.length === 0, `labels cut off: ${overflowing}`)
  await page.getByTestId('key-scopes').click()
  await page.getByRole('option', { name: /Read telemetry/ }).click()
  await page.getByTestId('key-name').click()
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
  // The tenant holds data, so it takes room on disk (in the write-ahead log before segments).
  const disk = await page.getByTestId('on-disk').textContent()
  expect(!/^0 B$/.test(disk.trim()), `on disk: ${disk}`)
  await shot(page, 'health')
})

await step('audit log: the credential rotation, filtered by object and action', async () => {
  await page.goto('/audit')
  await page.getByTestId('audit-table').locator('tbody tr').first().waitFor()
  await page.getByTestId('audit-resource').click()
  await page.getByRole('option', { name: 'Device', exact: true }).click()
  await page.getByTestId('audit-action').click()
  await page.getByRole('option', { name: 'Credentials rotated' }).click()
  await until(async () => {
    const rows = await page.getByTestId('audit-table').locator('tbody tr').allTextContents()
    return rows.length === 1 && rows[0].includes('Credentials rotated') && rows[0].includes('demo')
  }, 'one rotation in the audit log')
  await still(page, 'audit')
})

await step('data retention: the tenant keeps 30 days, the CNC product 7', async () => {
  await page.goto('/retention')
  await page.locator('[data-test=retention-tenant] input').fill('30')
  await page.locator('[data-test=retention-tenant] input').press('Tab')
  await page.getByTestId('retention-tenant-save').click()
  await page.getByTestId('retention-tenant-effective').getByText('Now: 30 days').waitFor()
  await page.getByTestId('retention-demo-pump-effective').getByText('30 days').waitFor()
  await page.locator('[data-test=retention-demo-cnc] input').fill('7')
  await page.locator('[data-test=retention-demo-cnc] input').press('Tab')
  await page.getByTestId('retention-demo-cnc-save').click()
  await page.getByTestId('retention-demo-cnc-effective').getByText('7 days').waitFor()
  const policies = await apiGet('/telemetry/retention')
  const cnc = (await apiGet('/products?q=demo-cnc')).items[0].id
  expect(
    policies.some((p) => p.product_id === null && p.keep_days === 30) && policies.some((p) => p.product_id === cnc && p.keep_days === 7),
    `policies: ${JSON.stringify(policies)}`,
  )
  await still(page, 'retention')
})

await step("device page: the event log shows the simulated device's connection", async () => {
  await page.goto('/devices')
  await page.getByTestId('device-cnc-01').click()
  await page.getByRole('tab', { name: 'Events' }).click()
  const row = page.getByTestId('events').locator('tbody tr', { hasText: 'Connected' }).first()
  await row.getByText(/mqtt/).waitFor()
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

await step('model library: search, open a model, evaluate it with inputs in other units', async () => {
  await page.goto('/models')
  await page.getByTestId('models-table').locator('tbody tr').first().waitFor()
  await page.getByTestId('models-search').fill('IF97 region 1')
  await page.getByTestId('models-search').press('Enter')
  await page.getByTestId('model-steam.if97_region1_pt').click()
  await page.getByTestId('model-formula').waitFor()
  // IAPWS R7-97 table 5: 3 MPa and 300 K give h = 115.331273 kJ/kg; asked as 30 bar, 26.85 °C.
  await page.getByTestId('input-p').fill('30')
  await page.getByTestId('unit-p').fill('bar')
  await page.getByTestId('input-T').fill('26.85')
  await page.getByTestId('unit-T').fill('°C')
  await page.getByTestId('model-run').click()
  await until(async () => (await page.getByTestId('output-h').textContent()).startsWith('115.33127'), 'h = 115.331273 kJ/kg')
  // A value out of range is refused with the input named (a 422 the browser logs).
  allowHttpErrors = true
  await page.getByTestId('input-T').fill('900')
  await page.getByTestId('model-run').click()
  await until(async () => (await page.getByTestId('model-error').textContent()).includes('"T"'), 'the refusal names T')
  allowHttpErrors = false
  await still(page, 'models')
  // An algorithm over a series typed into the form.
  await page.keyboard.press('Escape')
  await page.getByTestId('models-search').fill('k-sigma')
  await page.getByTestId('models-search').press('Enter')
  await page.getByTestId('model-anomaly.k_sigma').click()
  await page.getByTestId('input-x').fill('1, 1, 1, 1, 10')
  await page.getByTestId('input-k').fill('1')
  await page.getByTestId('model-run').click()
  await until(async () => (await page.getByTestId('output-count').textContent()).trim() === '1', 'one outlier')
  await until(async () => (await page.getByTestId('output-flags').textContent()).startsWith('0, 0, 0, 0, 1'), 'the flags')
  // Text analysis of maintenance records, one a line, in both languages.
  await page.keyboard.press('Escape')
  await page.getByTestId('models-search').fill('TF-IDF')
  await page.getByTestId('models-search').press('Enter')
  await page.getByTestId('model-text.tfidf_keywords').click()
  await page.getByTestId('input-docs').fill('1号泵轴承温度高，更换轴承\n2号泵轴承振动大\nmotor bearing noise, replace bearing')
  await page.getByTestId('input-k').fill('3')
  await page.getByTestId('model-run').click()
  await until(async () => (await page.getByTestId('output-keywords').textContent()).includes('「bearing」'), 'keywords')
  await until(async () => (await page.getByTestId('output-keywords').textContent()).includes('「轴承」'), 'a Chinese keyword')
  // Both calls are counted on the usage page (the refused one as refused).
  await page.goto('/usage')
  await until(async () => {
    const rows = await page.getByTestId('usage-rows').locator('tbody tr').allTextContents()
    return rows.some((r) => r.includes('steam.if97_region1_pt') && r.includes('API') && /2\s*1$/.test(r.trim()))
  }, 'two calls of region 1, one refused, on the usage page')
  await still(page, 'usage')
})

await step("model bindings: the demo boiler's saturation temperature (IAPWS-IF97) computed on every message", async () => {
  const products = await apiGet('/products?page_size=100')
  const boiler = products.items.find((p) => p.product_key === 'demo-boiler')
  await page.goto(`/products/${boiler.id}`)
  await page.getByRole('tab', { name: 'Model bindings' }).click()
  const row = page.getByTestId('bindings-table').locator('tbody tr').first()
  await until(async () => (await row.textContent()).includes('Running'), 'the binding runs')
  // The simulated boiler reports its steam pressure every second; each report is evaluated.
  await until(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click()
    return /[1-9][0-9]* evaluations/.test(await row.textContent())
  }, 'evaluations counted', 30_000)
  // The derived property is stored beside the device's own.
  const devices = await apiGet('/devices?q=boiler-01')
  const latest = await apiGet(`/devices/${devices.items[0].id}/telemetry/latest`)
  const sat = latest.find((l) => l.property === 'sat_temp')
  expect(sat && sat.value > 0 && sat.value < 374, `sat_temp: ${JSON.stringify(sat)}`)
  // A binding added with the form: a pressure where a temperature belongs is refused,
  // naming the input.
  await page.getByTestId('add-binding').click()
  await page.getByTestId('binding-name').fill('kelvin check')
  await page.getByTestId('binding-model').click()
  await page.keyboard.type('steam.if97_psat_t')
  await page.locator('.el-select-dropdown:visible').getByText('(steam.if97_psat_t)').click()
  await page.getByTestId('binding-input-T').click()
  await page.locator('.el-select-dropdown:visible').getByText('(steam_pressure, bar)').click()
  allowHttpErrors = true
  await page.getByTestId('binding-save').click()
  await page.locator('.el-message--error').filter({ hasText: '"T"' }).waitFor()
  allowHttpErrors = false
  await page.keyboard.press('Escape')
  await shot(page, 'product-bindings')
})

await step('history analysis: an algorithm per window over the pump\'s flow, charted beside its input', async () => {
  await page.goto('/model-jobs')
  await page.getByTestId('job-model').click()
  await page.keyboard.type('stats.describe')
  await page.locator('.el-select-dropdown:visible').getByText('(stats.describe)').click()
  await page.getByTestId('job-device-x').click()
  await page.locator('.el-select-dropdown:visible').getByText('pump-01', { exact: false }).first().click()
  await page.getByTestId('job-property-x').click()
  await page.locator('.el-select-dropdown:visible').getByText('flow', { exact: true }).click()
  await page.getByTestId('job-window').fill('60')
  await page.getByTestId('job-run').click()
  await until(async () => (await page.getByTestId('job-status').textContent()).includes('Succeeded'), 'the job succeeds', 30_000)
  await page.getByTestId('job-chart').locator('canvas').first().waitFor()
  const jobs = await apiGet('/model-jobs')
  const job = jobs.items[0]
  expect(job.status === 'succeeded' && job.rows > 0, `job: ${JSON.stringify(job).slice(0, 300)}`)
  expect(job.result.outputs.mean.ts_ms.length === job.rows, 'one mean per window')
  await still(page, 'model-jobs')
})

await step('apps: the demo\'s five apps run on live messages, the pump app also on the demo gateway; the pump app derives pump-01\'s efficiency, shows it in its panel and runs on demand; the install dialog lists what an app asks for', async () => {
  await page.goto('/apps')
  const row = page.getByTestId('app-installations').locator('tbody tr').filter({ hasText: 'pumps' })
  await row.waitFor()
  expect((await row.textContent()).includes('Active'), 'the pump app is active')
  // The pumps' messages trigger it: pump-01 (over the demo gateway) reports flow, head and
  // shaft power, and the app writes its efficiency back as a property of the pump.
  await until(async () => {
    const list = await apiGet('/app-installations')
    // Five on the platform, and the pump app once more on the demo gateway, which reports
    // its runs (an app at the edge).
    const edge = list.filter((i) => i.edge)
    return list.length === 6 && list.filter((i) => !i.edge).every((i) => i.stats.invocations > 0) &&
      edge.length === 1 && edge[0].edge_status?.reported?.invocations > 0
  }, 'telemetry-triggered runs counted, on the platform and at the edge', 30_000)
  const edgeRow = page.getByTestId('app-installations').locator('tbody tr').filter({ hasText: 'pump-efficiency-edge' })
  await until(async () => (await edgeRow.getByTestId('app-edge').textContent()).includes('On gateway edge-01'), 'the edge app shows its gateway', 20_000)
  const pumps = await apiGet('/devices?q=pump-01')
  const eff = await until(async () => {
    const latest = await apiGet(`/devices/${pumps.items[0].id}/telemetry/latest`)
    return latest.find((l) => l.property === 'eff')
  }, 'the app wrote pump-01\'s efficiency', 30_000)
  expect(eff.value > 0.2 && eff.value < 0.9, `efficiency: ${JSON.stringify(eff)}`)
  await row.getByTestId('app-run').click()
  await page.getByTestId('app-run-result').filter({ hasText: 'Completed' }).waitFor()
  await row.getByTestId('app-logs').click()
  await page.getByTestId('app-logs-drawer').locator('.el-drawer__body').waitFor()
  await page.keyboard.press('Escape')
  // Its panel: the app's own page in a sandboxed frame, fed with the state it keeps.
  await row.getByTestId('app-panels').click()
  const panel = page.frameLocator('[data-test=app-panel-frame]')
  await panel.locator('tr', { hasText: 'pump-01' }).waitFor({ timeout: 20_000 })
  expect((await page.getByTestId('app-panel-frame').getAttribute('sandbox')) === 'allow-scripts', 'the panel is sandboxed')
  await shot(page, 'apps-panel')
  await page.keyboard.press('Escape')
  await page.getByTestId('app-install').click()
  const dialog = page.getByTestId('app-install-dialog')
  // The dialog opens on the first package and lists every permission it asks for.
  const labels = { read_telemetry: 'Read telemetry', write_telemetry: 'Write derived telemetry', alarms: 'Raise and clear alarms', commands: 'Send commands and parameter writes', models: 'Call models and algorithms', http: 'Outbound HTTP' }
  const first = (await apiGet('/app-packages'))[0]
  expect(first.manifest.permissions.length > 0, 'the first demo app asks for permissions')
  for (const p of first.manifest.permissions) {
    await dialog.getByText(labels[p.kind], { exact: true }).waitFor()
  }
  await shot(page, 'apps-install')
  await page.keyboard.press('Escape')
  const usage = await apiGet('/app-usage')
  expect(Array.isArray(usage), 'app usage answers')
  // The hosts the tenant's apps may reach over HTTP.
  await page.getByRole('tab', { name: 'Settings' }).click()
  await page.getByTestId('app-http-hosts').fill('erp.example.com')
  await page.getByTestId('app-settings-save').click()
  await until(async () => (await apiGet('/app-settings')).http_hosts[0] === 'erp.example.com', 'the host list saved')
  await page.getByRole('tab', { name: 'Installed' }).click()
  await still(page, 'apps')
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
  // Permissions are named in Chinese, their code beside.
  await page.goto('/roles')
  await page.getByTestId('role-matrix').getByText('查看设备').first().waitFor()
  await page.goBack()
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
