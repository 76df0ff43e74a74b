// The marketplace's trading in a real browser (Debian's Chromium driven by playwright-core)
// against a real `ironloom serve --demo`, one browser session per person. Set up through
// the API (tests/e2e-market.mjs drives those pages): a developer registered and verified,
// its package (apps/pump-efficiency under a new id, packed by the server binary) checked
// and approved. Then in the browser: the developer offers a monthly plan (¥99.00) and a
// yearly one with a trial on its portal; the demo tenant's administrator is refused the
// install of the paid app with the server's message pointing to the plans, subscribes to
// the monthly plan and finds the order waiting for its bank transfer, with the transfer's
// reference, on the Orders & invoices page; the platform administrator confirms the
// payment on the finance desk, whose ledger balances (tenant 0, developer -79.20, fees
// -19.80, bank 99.00 with the platform's 20 % fee); the tenant reads the invoice and
// installs the app through the consent screen; the subscription's period ends (moved in
// the SQLite metadata) and the administrator runs the expiry: the tenant sees the
// subscription expired and the installation paused with the reason on the Apps page;
// it renews, the payment is confirmed and the installation runs again; the
// administrator refunds the renewal with a note, which the tenant reads; the tenant
// cancels an unpaid order; billing last month's per-call usage finds nothing; the developer
// sees the orders of its app and what the platform owes it; the Orders page and the
// finance desk in 简体中文. Run by scripts/console-test.sh; screenshots go to
// console/test-results/screenshots (trade-*).
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { confirmBox, expect, logIn, messageBox, navLabels, noDialog, open, until } from './harness.mjs'

const ADMIN_PASSWORD = 'Admin-pass-1'
const DEV = { username: 'pumpco-dev', password: 'Pumpco-dev-pass-1', name: 'PumpCo Apps', email: 'dev@pumpco.example', organisation: 'PumpCo Industrial Software Ltd.' }
const TENANT = { username: 'demo', password: 'ironloom-demo-1', tenant: 'demo', name: '演示工厂 Demo Factory' }
const APP_ID = 'pumpco.pump-efficiency'
const APP_EN = 'Pump efficiency (paid)'
const APP_ZH = '水泵能效（付费版）'
const INSTALLATION = 'pump-paid'

const h = await open({ label: 'trade', what: 'marketplace trading', env: { IRONLOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, IRONLOOM_DEMO_STORE: 'off' } })
const { bin, server, newPage, step, shot, still, call, apiGet, tokenOf } = h

// A real package: apps/pump-efficiency under a new id and name, packed by the binary under test.
const work = mkdtempSync(join(tmpdir(), 'ironloom-trade-test-'))
function pack(version) {
  const dir = join(work, `app-${version}`)
  rmSync(dir, { recursive: true, force: true })
  cpSync(resolve('../apps/pump-efficiency'), dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
  Object.assign(manifest, { id: APP_ID, version, name: { en: APP_EN, 'zh-CN': APP_ZH }, publisher: DEV.name })
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  const out = join(work, `${APP_ID}-${version}.ilapp`)
  execFileSync(bin, ['app', 'pack', dir, '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] })
  return out
}

/** Runs SQL on the server's SQLite metadata (to move time: a period that ended). */
function sql(text) {
  execFileSync('python3', ['-c', 'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30)\nc.execute(sys.argv[2])\nc.commit()', join(server.dataDir, 'meta.db'), text])
}

// The ledger's balances by kind of account, in fen.
async function balances() {
  const b = await apiGet(adminToken, '/market/finance/balances')
  const sum = (prefix) => b.accounts.filter((a) => a.account.startsWith(prefix)).reduce((s, a) => s + a.amount, 0)
  return { balanced: b.balanced, total: b.total, tenant: sum('tenant:'), developer: sum('developer:'), fees: sum('platform:fees'), bank: sum('platform:bank') }
}

const admin = await newPage()
const dev = await newPage()
const tenant = await newPage()
let adminToken
let devToken
let demoToken
const references = []

await step('setup through the API: a verified developer, its package checked and approved', async () => {
  adminToken = await tokenOf('admin', ADMIN_PASSWORD)
  const d = await call(null, 'POST', '/market/register', { ...DEV })
  await call(adminToken, 'POST', `/market/review/developers/${d.id}`, { status: 'verified', comment: 'Checked' })
  devToken = await tokenOf(DEV.username, DEV.password)
  const file = pack('1.0.0')
  let sub = await call(devToken, 'POST', '/market/submissions?channel=stable', undefined, readFileSync(file))
  sub = await until(async () => {
    const s = await apiGet(devToken, `/market/submissions/${sub.id}`)
    return s.status === 'checking' ? null : s
  }, 'the checks finish', 240_000)
  expect(sub.status === 'in_review', `checks: ${JSON.stringify(sub.report)}`)
  await call(adminToken, 'POST', `/market/review/submissions/${sub.id}/approve`, {})
  demoToken = await tokenOf(TENANT.username, TENANT.password, TENANT.tenant)
})

await step('developer portal: a monthly plan of ¥99.00 and a yearly one with a trial; the form checks, the server’s field errors shown', async () => {
  h.current = dev
  await logIn(dev, DEV.username, DEV.password)
  await dev.waitForURL(/\/market\/developer$/)
  const app = dev.getByTestId(`plans-of-${APP_ID}`)
  await app.getByText('No plans: the app is free.').waitFor()
  await app.getByTestId('plan-new').click()
  const dialog = dev.getByTestId('plan-dialog')
  // Nothing filled in: said at the fields before anything is sent.
  await dialog.getByTestId('plan-create').click()
  await dialog.getByText('Enter a name').first().waitFor()
  await dialog.getByText('Enter a price in yuan above zero').waitFor()
  await dialog.getByTestId('plan-name-en').fill('Monthly')
  await dialog.getByTestId('plan-name-zh').fill('包月')
  await dialog.getByTestId('plan-price').fill('12.345')
  await dialog.getByTestId('plan-create').click()
  await dialog.getByText('Enter a price in yuan above zero').waitFor()
  // More than the server takes (100 million yuan): its field error, at the price.
  h.allowHttpErrors = true
  await dialog.getByTestId('plan-price').fill('200000000')
  await dialog.getByTestId('plan-create').click()
  await dialog.locator('.el-form-item__error').filter({ hasText: 'must be between 0 and' }).waitFor()
  await dialog.getByTestId('plan-price').fill('99')
  await still(dev, 'trade-developer-plan-form')
  await dialog.getByTestId('plan-create').click()
  await noDialog(dev)
  await app.getByTestId('dev-plan-price').filter({ hasText: '¥99.00 a month' }).waitFor()
  await app.getByTestId('plan-new').click()
  await dialog.getByTestId('plan-name-en').fill('Yearly')
  await dialog.getByTestId('plan-name-zh').fill('包年')
  await dialog.getByTestId('plan-kind-yearly').click()
  await dialog.getByTestId('plan-price').fill('999.00')
  await dialog.getByTestId('plan-trial').locator('input').fill('14')
  await dialog.getByTestId('plan-trial').locator('input').press('Tab')
  await dialog.getByTestId('plan-create').click()
  await noDialog(dev)
  await app.getByTestId('dev-plan-price').filter({ hasText: '¥999.00 a year' }).waitFor()
  const plans = await apiGet(devToken, `/market/apps/${APP_ID}/plans`)
  const monthly = plans.find((p) => p.kind === 'monthly')
  const yearly = plans.find((p) => p.kind === 'yearly')
  expect(monthly?.price === 9900 && monthly.trial_days === 0 && monthly.name['zh-CN'] === '包月', `monthly: ${JSON.stringify(monthly)}`)
  expect(yearly?.price === 99900 && yearly.trial_days === 14 && yearly.active, `yearly: ${JSON.stringify(yearly)}`)
  await app.scrollIntoViewIfNeeded()
  await still(dev, 'trade-developer-plans')
})

await step('tenant: the listing shows the plans; installing the paid app is refused with the server’s message, pointing to the plans', async () => {
  h.current = tenant
  await logIn(tenant, TENANT.username, TENANT.password, TENANT.tenant)
  const nav = await navLabels(tenant)
  expect(nav.includes('Orders & invoices') && !nav.includes('Finance desk'), `tenant menu: ${nav}`)
  await tenant.goto(`/market/apps/${APP_ID}`)
  const plans = tenant.getByTestId('app-plans')
  await plans.getByTestId('plan-monthly').getByTestId('plan-price').filter({ hasText: '¥99.00 a month' }).waitFor()
  await plans.getByTestId('plan-yearly').getByText('14-day free trial').waitFor()
  await tenant.getByTestId('app-price').filter({ hasText: 'Paid' }).waitFor()
  await tenant.getByTestId('market-install').click()
  const dialog = tenant.getByTestId('market-install-dialog')
  await dialog.getByTestId('consent-alarms').waitFor()
  for (const k of ['read_telemetry', 'write_telemetry', 'alarms', 'models']) await dialog.getByTestId(`consent-${k}`).locator('.el-checkbox').click()
  await dialog.getByTestId('install-name').fill(INSTALLATION)
  h.allowHttpErrors = true
  await dialog.getByTestId('install-confirm').click()
  const refused = tenant.getByTestId('install-refused')
  await refused.filter({ hasText: `${APP_ID} is a paid app: subscribe to one of its plans first` }).waitFor()
  await noDialog(tenant)
  await refused.getByTestId('install-refused-plans').waitFor()
  expect((await apiGet(demoToken, '/app-installations')).every((i) => i.app_id !== APP_ID), 'nothing installed')
  await still(tenant, 'trade-listing-refused')
})

await step('tenant: subscribes to the monthly plan after a confirmation stating the price; the order waits for its bank transfer', async () => {
  await tenant.getByTestId('plan-monthly').getByTestId('plan-subscribe').click()
  await messageBox(tenant).filter({ hasText: '¥99.00 a month' }).waitFor()
  await confirmBox(tenant, 'Subscribe')
  const done = tenant.getByTestId('subscribed-dialog')
  await done.getByTestId('subscribed-status').filter({ hasText: 'Waiting for payment' }).waitFor()
  expect((await done.getByTestId('subscribed-amount').textContent()).trim() === '¥99.00', 'the amount')
  const reference = (await done.getByTestId('subscribed-reference').textContent()).trim()
  expect(/^IL[A-Z0-9]{10}$/.test(reference), `reference: ${reference}`)
  references.push(reference)
  await done.getByTestId('subscribed-instructions').filter({ hasText: `quoting the reference ${reference}` }).waitFor()
  await still(tenant, 'trade-subscribed')
  await done.getByTestId('subscribed-orders').click()
  await tenant.waitForURL(/\/market\/orders$/)
  const row = tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: reference })
  await row.getByTestId('order-status').filter({ hasText: 'Waiting for payment' }).waitFor()
  expect((await row.getByTestId('order-amount').textContent()).trim() === '¥99.00', 'the amount in the list')
  await tenant.getByTestId('subscriptions').locator('tbody tr').filter({ hasText: APP_ID }).getByTestId('subscription-status').filter({ hasText: 'Waiting for payment' }).waitFor()
  await row.getByTestId('order-detail').click()
  const drawer = tenant.getByTestId('order-drawer')
  await drawer.getByTestId('detail-reference').filter({ hasText: reference }).waitFor()
  await drawer.getByTestId('detail-instructions').filter({ hasText: 'Transfer CNY 99.00' }).waitFor()
  await still(tenant, 'trade-orders-pending')
  await tenant.keyboard.press('Escape')
})

await step('platform administrator: confirms the payment on the finance desk; the ledger balances', async () => {
  h.current = admin
  await logIn(admin, 'admin', ADMIN_PASSWORD)
  const nav = await navLabels(admin)
  expect(nav.includes('Finance desk') && !nav.includes('Orders & invoices'), `admin menu: ${nav}`)
  await admin.getByTestId('nav').getByText('Finance desk', { exact: true }).click()
  await admin.waitForURL(/\/market\/finance$/)
  const first = admin.getByTestId('finance-orders').locator('tbody tr').first()
  await first.getByTestId('finance-reference').filter({ hasText: references[0] }).waitFor()
  expect((await first.textContent()).includes(TENANT.name), 'the tenant is named')
  await still(admin, 'trade-finance-pending')
  await first.getByTestId('finance-confirm').click()
  await messageBox(admin).filter({ hasText: references[0] }).waitFor()
  await confirmBox(admin, 'Confirm payment')
  await admin.getByText('Payment confirmed').first().waitFor()
  await first.getByTestId('finance-order-status').filter({ hasText: 'Paid' }).waitFor()
  await admin.getByRole('tab', { name: 'Ledger' }).click()
  const bal = admin.getByTestId('finance-balances')
  await bal.getByTestId('ledger-balanced').filter({ hasText: 'Balanced' }).waitFor()
  const amountOf = async (kind) => (await bal.locator('tbody tr').filter({ has: admin.getByTestId(`balance-${kind}`) }).getByTestId('balance-amount').allTextContents()).map((s) => s.trim())
  await until(async () => (await amountOf('developer')).join() === '-¥79.20', 'the developer is owed 79.20')
  expect((await amountOf('tenant')).join() === '¥0.00', `tenant: ${await amountOf('tenant')}`)
  expect((await bal.locator('tbody tr').filter({ hasText: 'platform:fees' }).getByTestId('balance-amount').textContent()).trim() === '-¥19.80', 'fees')
  expect((await bal.locator('tbody tr').filter({ hasText: 'platform:bank' }).getByTestId('balance-amount').textContent()).trim() === '¥99.00', 'bank')
  expect((await bal.getByTestId('balances-total').textContent()).includes('¥0.00'), 'the sum is zero')
  const b = await balances()
  expect(b.balanced && b.tenant === 0 && b.developer === -7920 && b.fees === -1980 && b.bank === 9900, `balances: ${JSON.stringify(b)}`)
  await admin.getByTestId('ledger').locator('tbody tr').first().waitFor()
  await still(admin, 'trade-finance-ledger')
  await admin.getByRole('tab', { name: /^Orders/ }).click()
})

await step('tenant: the order paid with its invoice; installs the app through the consent screen', async () => {
  h.current = tenant
  await tenant.getByRole('button', { name: 'Refresh' }).click()
  const row = tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: references[0] })
  await row.getByTestId('order-status').filter({ hasText: 'Paid' }).waitFor()
  const month = new Date().toISOString().slice(0, 7).replace('-', '')
  const invoiceNo = (await row.getByTestId('order-invoice-no').textContent()).trim()
  expect(new RegExp(`^INV-${month}-\\d{6}$`).test(invoiceNo), `invoice no.: ${invoiceNo}`)
  await tenant.getByTestId('subscriptions').locator('tbody tr').filter({ hasText: APP_ID }).getByTestId('subscription-status').filter({ hasText: 'Active' }).waitFor()
  await row.getByTestId('order-invoice').click()
  const invoice = tenant.getByTestId('invoice')
  await invoice.getByTestId('invoice-no').filter({ hasText: invoiceNo }).waitFor()
  expect((await invoice.getByTestId('invoice-seller').textContent()).trim() === DEV.organisation, 'the seller is the developer')
  expect((await invoice.getByTestId('invoice-buyer').textContent()).trim() === TENANT.name, 'the buyer is the tenant')
  expect((await invoice.getByTestId('invoice-total').textContent()).trim() === '¥99.00', 'the total')
  expect(!(await invoice.textContent()).includes('19.80'), 'the platform fee is not on the invoice')
  await still(tenant, 'trade-invoice')
  await tenant.keyboard.press('Escape')
  await noDialog(tenant)
  await tenant.goto(`/market/apps/${APP_ID}`)
  await tenant.getByTestId('app-subscription-status').filter({ hasText: 'Active' }).waitFor()
  await tenant.getByTestId('app-subscription-end').filter({ hasText: 'paid until' }).waitFor()
  await tenant.getByTestId('market-install').click()
  const dialog = tenant.getByTestId('market-install-dialog')
  await dialog.getByTestId('consent-alarms').waitFor()
  for (const k of ['read_telemetry', 'write_telemetry', 'alarms', 'models']) await dialog.getByTestId(`consent-${k}`).locator('.el-checkbox').click()
  await dialog.getByText('Granting 4 of 4').waitFor()
  await dialog.getByTestId('install-name').fill(INSTALLATION)
  await dialog.getByTestId('install-products').click()
  await tenant.locator('.el-select-dropdown:visible').getByText('(demo-pump)').click()
  // The multiple choice stays open: closed first, so that nothing moves under the click.
  await dialog.getByTestId('install-name').click()
  await until(async () => (await tenant.locator('.el-select-dropdown:visible').count()) === 0, 'the product list closes')
  await dialog.getByTestId('install-confirm').click()
  // Taking the release into the tenant compiles its module: slow on a debug build.
  await tenant.locator('.el-message').first().waitFor({ timeout: 120_000 })
  const said = await tenant.locator('.el-message').first().textContent()
  expect(said.includes(`Installed ${INSTALLATION}`), `install: ${said}`)
  await noDialog(tenant)
  await tenant.getByTestId('app-installations-here').getByTestId('installation-version').filter({ hasText: '1.0.0' }).waitFor()
  const i = (await apiGet(demoToken, '/app-installations')).find((x) => x.name === INSTALLATION)
  expect(i?.enabled && i.app_id === APP_ID && i.grant.length === 4, `installation: ${JSON.stringify(i)}`)
  await still(tenant, 'trade-listing-subscribed')
})

await step('the period ends: the administrator runs the expiry; the tenant sees the subscription expired and the installation paused with the reason', async () => {
  sql('UPDATE market_subscriptions SET period_end = 1000')
  h.current = admin
  await admin.getByRole('tab', { name: 'Usage billing and expiry' }).click()
  await admin.getByTestId('expiry-run').click()
  await confirmBox(admin, 'Run expiry now')
  await admin.getByTestId('expiry-result').filter({ hasText: '1 subscription(s) expired' }).waitFor()
  await still(admin, 'trade-finance-expiry')
  h.current = tenant
  await tenant.goto('/market/orders')
  const sub = tenant.getByTestId('subscriptions').locator('tbody tr').filter({ hasText: APP_ID })
  await sub.getByTestId('subscription-status').filter({ hasText: 'Expired' }).waitFor()
  await sub.getByTestId('subscription-why').filter({ hasText: 'your installations of the app are paused (1)' }).waitFor()
  await sub.getByTestId('subscription-renew').waitFor()
  await still(tenant, 'trade-orders-expired')
  await tenant.goto('/apps')
  const row = tenant.getByTestId('app-installations').locator('tbody tr').filter({ hasText: INSTALLATION })
  await row.getByText('Disabled', { exact: true }).waitFor()
  await row.getByTestId('app-logs').click()
  const logs = tenant.getByTestId('app-logs-drawer')
  await logs.getByText(`paused: the subscription to ${APP_ID} ended`, { exact: false }).waitFor()
  await still(tenant, 'trade-apps-paused')
  await tenant.keyboard.press('Escape')
  const i = (await apiGet(demoToken, '/app-installations')).find((x) => x.name === INSTALLATION)
  expect(i.enabled === false, `paused: ${JSON.stringify(i)}`)
})

await step('renewal: the tenant subscribes again, the administrator confirms the payment, the installation runs again', async () => {
  h.current = tenant
  await tenant.goto(`/market/apps/${APP_ID}`)
  await tenant.getByTestId('app-subscription-why').filter({ hasText: 'paused (1)' }).waitFor()
  await tenant.getByTestId('plan-monthly').getByTestId('plan-subscribe').click()
  await messageBox(tenant).filter({ hasText: '¥99.00' }).waitFor()
  await confirmBox(tenant, 'Subscribe')
  const done = tenant.getByTestId('subscribed-dialog')
  const reference = (await done.getByTestId('subscribed-reference').textContent()).trim()
  expect(reference !== references[0], 'a new reference')
  references.push(reference)
  await done.getByTestId('subscribed-close').click()
  await noDialog(tenant)
  await tenant.getByTestId('app-pending-order').filter({ hasText: reference }).waitFor()
  h.current = admin
  await admin.getByRole('tab', { name: /^Orders/ }).click()
  await admin.getByRole('button', { name: 'Refresh' }).click()
  const row = admin.getByTestId('finance-orders').locator('tbody tr').filter({ hasText: reference })
  await row.getByTestId('finance-confirm').click()
  await confirmBox(admin, 'Confirm payment')
  await row.getByTestId('finance-order-status').filter({ hasText: 'Paid' }).waitFor()
  h.current = tenant
  await until(async () => (await apiGet(demoToken, '/app-installations')).find((x) => x.name === INSTALLATION)?.enabled, 'the installation started again')
  await tenant.goto('/apps')
  const inst = tenant.getByTestId('app-installations').locator('tbody tr').filter({ hasText: INSTALLATION })
  await inst.waitFor()
  expect(!(await inst.textContent()).includes('Disabled'), `the installation runs: ${await inst.textContent()}`)
  await inst.getByTestId('app-logs').click()
  await tenant.getByTestId('app-logs-drawer').getByText(`started again: the subscription to ${APP_ID} runs`, { exact: false }).waitFor()
  await tenant.keyboard.press('Escape')
})

await step('refund: the administrator refunds the renewal with a note (required); the tenant sees it refunded, the ledger still balances', async () => {
  h.current = admin
  const row = admin.getByTestId('finance-orders').locator('tbody tr').filter({ hasText: references[1] })
  await row.getByTestId('finance-refund').click()
  const dialog = admin.getByTestId('refund-dialog')
  await dialog.getByTestId('refund-confirm').click()
  await dialog.getByText('Say why the order is refunded').waitFor()
  await dialog.getByTestId('refund-note').fill('Renewed twice by mistake')
  await dialog.getByTestId('refund-confirm').click()
  await admin.getByText('Order refunded').first().waitFor()
  await noDialog(admin)
  await row.getByTestId('finance-order-status').filter({ hasText: 'Refunded' }).waitFor()
  await admin.getByTestId('finance-status').getByText('Refunded', { exact: true }).click()
  await until(async () => (await admin.getByTestId('finance-orders').locator('tbody tr').count()) === 1, 'the filter shows the refunded order alone')
  await still(admin, 'trade-finance-refunded')
  await admin.getByTestId('finance-status').getByText('All, waiting first').click()
  const b = await balances()
  expect(b.balanced && b.tenant === 0 && b.developer === -7920 && b.fees === -1980 && b.bank === 9900, `after the refund: ${JSON.stringify(b)}`)
  h.current = tenant
  await tenant.goto('/market/orders')
  const mine = tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: references[1] })
  await mine.getByTestId('order-status').filter({ hasText: 'Refunded' }).waitFor()
  await mine.getByTestId('order-detail').click()
  await tenant.getByTestId('order-drawer').getByTestId('detail-note').filter({ hasText: 'Renewed twice by mistake' }).waitFor()
  await still(tenant, 'trade-orders-refunded')
  await tenant.keyboard.press('Escape')
})

await step('the tenant orders the yearly plan and cancels the unpaid order after confirming', async () => {
  h.current = tenant
  await tenant.goto(`/market/apps/${APP_ID}`)
  await tenant.getByTestId('plan-yearly').getByTestId('plan-subscribe').click()
  await messageBox(tenant).filter({ hasText: '¥999.00 a year' }).waitFor()
  await confirmBox(tenant, 'Subscribe')
  const done = tenant.getByTestId('subscribed-dialog')
  const reference = (await done.getByTestId('subscribed-reference').textContent()).trim()
  await done.getByTestId('subscribed-orders').click()
  await tenant.waitForURL(/\/market\/orders$/)
  const row = tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: reference })
  await row.getByTestId('order-cancel').click()
  await messageBox(tenant).filter({ hasText: '¥999.00' }).waitFor()
  await confirmBox(tenant, 'Cancel order')
  await row.getByTestId('order-status').filter({ hasText: 'Cancelled' }).waitFor()
  expect((await row.getByTestId('order-cancel').count()) === 0, 'a cancelled order cannot be cancelled again')
  const b = await balances()
  expect(b.balanced && b.tenant === 0, `after the cancellation: ${JSON.stringify(b)}`)
})

await step('finance desk: billing last month\'s per-call usage finds nothing to bill (no per-call plan)', async () => {
  h.current = admin
  await admin.getByRole('tab', { name: 'Usage billing and expiry' }).click()
  const d = new Date()
  d.setDate(1)
  d.setMonth(d.getMonth() - 1)
  const month = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`
  expect((await admin.getByTestId('billing-month').locator('input').inputValue()) === month, 'last month is proposed')
  await admin.getByTestId('billing-run').click()
  await confirmBox(admin, 'Bill the month')
  await admin.getByTestId('billing-result').filter({ hasText: `${month}: 0 order(s) made; 0 subscription(s) stayed within their included calls.` }).waitFor()
  await admin.getByRole('tab', { name: /^Orders/ }).click()
})

await step('developer portal: the orders of its app and what the platform owes it', async () => {
  h.current = dev
  await dev.reload()
  const orders = dev.getByTestId('developer-orders')
  await orders.getByTestId('developer-balance').filter({ hasText: '¥79.20' }).waitFor()
  const rows = orders.getByTestId('developer-order-list').locator('tbody tr')
  await until(async () => (await rows.count()) === 3, 'three orders')
  const states = (await orders.getByTestId('developer-order-status').allTextContents()).map((s) => s.trim()).sort()
  expect(states.join() === 'Cancelled,Paid,Refunded', `states: ${states}`)
  const paidRow = orders.getByTestId('developer-order-list').locator('tbody tr').filter({ hasText: 'Paid' })
  expect((await paidRow.getByTestId('developer-order-share').textContent()).trim() === '¥79.20', 'its share is 80 %')
  const api = await apiGet(devToken, '/market/developer/orders')
  expect(api.total === 3 && api.balance === 7920, `developer orders: ${JSON.stringify(api)}`)
  await orders.scrollIntoViewIfNeeded()
  await still(dev, 'trade-developer-orders')
})

await step('简体中文: the Orders & invoices page and the finance desk', async () => {
  const toChinese = async (page) => {
    await page.getByTestId('language').click()
    await page.getByTestId('language-zh-CN').click()
    await page.getByTestId('nav').getByText('应用商店', { exact: true }).waitFor()
  }
  h.current = tenant
  await tenant.goto('/market/orders')
  await toChinese(tenant)
  await tenant.getByTestId('nav').getByText('订单与发票', { exact: true }).waitFor()
  await tenant.getByRole('heading', { name: '订单与发票' }).waitFor()
  await tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: references[1] }).getByTestId('order-status').filter({ hasText: '已退款' }).waitFor()
  await tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: references[0] }).getByTestId('order-status').filter({ hasText: '已支付' }).waitFor()
  await tenant.getByTestId('subscriptions').getByTestId('subscription-status').filter({ hasText: '已到期' }).waitFor()
  await still(tenant, 'trade-orders-zh')
  await tenant.getByTestId('orders').locator('tbody tr').filter({ hasText: references[0] }).getByTestId('order-invoice').click()
  await tenant.getByTestId('invoice').getByText('销售方').waitFor()
  await still(tenant, 'trade-invoice-zh')
  await tenant.keyboard.press('Escape')
  h.current = admin
  await toChinese(admin)
  await admin.getByTestId('nav').getByText('财务', { exact: true }).waitFor()
  await admin.getByRole('tab', { name: /^订单/ }).waitFor()
  await admin.getByTestId('finance-orders').getByText('已退款').first().waitFor()
  await still(admin, 'trade-finance-zh')
  await admin.getByRole('tab', { name: '账簿' }).click()
  await admin.getByTestId('ledger-balanced').filter({ hasText: '已平衡' }).waitFor()
  await still(admin, 'trade-finance-ledger-zh')
  h.current = tenant
  await tenant.goto(`/market/apps/${APP_ID}`)
  await tenant.getByTestId('app-plans').getByText('¥99.00 / 月').waitFor()
  await still(tenant, 'trade-listing-zh')
})

await h.finish(() => rmSync(work, { recursive: true, force: true }))
