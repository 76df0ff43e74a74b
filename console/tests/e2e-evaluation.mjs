// The evaluation report (平台评价) and enterprise profiles (企业画像) in a real browser
// (Debian's Chromium driven by playwright-core) against a real `ironloom serve --demo`:
// a new tenant's administrator fills in the enterprise profile (a credit code with a wrong
// check character named by the server as it is typed, the size class derived live, the
// region chosen province, city, county) and saves it; the demo tenant sees its own
// figures, with its simulated devices counted as connected; the platform administrator
// sees every criterion per platform class, opens the devices behind the connected count,
// figures an industry of its choice, downloads the workbook, and reads the page in
// 简体中文; no browser errors.
// Run by scripts/console-test.sh; screenshots go to console/test-results/screenshots
// (evaluation-*).
import { expect, logIn, open, until } from './harness.mjs'
import { readFile } from 'node:fs/promises'

const ADMIN_PASSWORD = 'Admin-pass-1'
const WEAVER = { code: 'weaver', username: 'weaver-admin', password: 'Weaver-pass-1' }
const DEMO = { username: 'demo', password: 'ironloom-demo-1', tenant: 'demo' }

const h = await open({
  label: 'evaluation',
  what: 'evaluation',
  env: { IRONLOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, IRONLOOM_DEMO_STORE: 'off', IRONLOOM__DEVICES__ACTIVITY_FLUSH: '1s' },
})
const { newPage, step, still, call, apiGet } = h

// Chooses an option of the open drop-down list.
const option = (page, text) => page.locator('.el-select-dropdown:visible').getByText(text, { exact: true }).click()
// Types into a filterable select and picks the option.
async function choose(page, testId, typed, text) {
  await page.getByTestId(testId).click()
  await page.keyboard.type(typed)
  await option(page, text)
}

const admin = (await call(null, 'POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token
const weaver = await call(admin, 'POST', '/tenants', { code: WEAVER.code, name: 'Weaver Co' })
await call(admin, 'POST', '/users', { username: WEAVER.username, password: WEAVER.password, role: 'tenant_admin', tenant_id: weaver.id })

const page = await newPage()
h.current = page

await step('a tenant without a profile fills it in: the wrong check character named, the size derived, the region picked', async () => {
  await logIn(page, WEAVER.username, WEAVER.password, WEAVER.code)
  // Under the System menu, beside Tenants.
  await page.getByTestId('nav').getByText('System', { exact: true }).click()
  await page.getByTestId('nav').getByText('Enterprise profile', { exact: true }).click()
  await page.waitForURL(/\/enterprise$/)
  // The profile's 404 says there is none yet.
  h.allowHttpErrors = true
  await page.getByTestId('enterprise-missing').waitFor()
  h.allowHttpErrors = false
  await page.getByTestId('enterprise-legal-name').fill('杭州织造有限公司')
  await page.getByTestId('enterprise-credit-code').fill('9144030071526726XH')
  await page.getByTestId('enterprise-problems').getByText('the check character is wrong: G', { exact: false }).waitFor()
  await page.getByTestId('enterprise-credit-code').fill('9144030071526726XG')
  await choose(page, 'enterprise-division', 'C17', 'C17 Textiles')
  await page.getByTestId('enterprise-employees').locator('input').fill('350')
  await page.getByTestId('enterprise-revenue').locator('input').fill('8000')
  await choose(page, 'enterprise-province', '浙江', 'Zhejiang 浙江省')
  await choose(page, 'enterprise-city', '杭州', '杭州市')
  await choose(page, 'enterprise-county', '西湖', '西湖区')
  await page.getByTestId('enterprise-region-code').filter({ hasText: '330106' }).waitFor()
  await page.getByTestId('enterprise-size').filter({ hasText: 'Medium' }).waitFor()
  await page.getByTestId('enterprise-sme').filter({ hasText: 'SME' }).waitFor()
  await until(async () => (await page.getByTestId('enterprise-problems').count()) === 0, 'no problems left')
  await page.getByTestId('enterprise-save').click()
  await page.getByTestId('enterprise-updated').filter({ hasText: 'version 1' }).waitFor()
  await still(page, 'evaluation-profile')
  const token = (await call(null, 'POST', '/auth/login', { username: WEAVER.username, password: WEAVER.password, tenant: WEAVER.code })).token
  const p = await apiGet(token, '/enterprise-profile')
  expect(p.size_class === 'medium' && p.region === '330106' && p.industry === 'C17', `stored: ${JSON.stringify(p)}`)
})

await step('the demo tenant sees its own figures: its simulated devices are connected', async () => {
  const token = (await call(null, 'POST', '/auth/login', DEMO)).token
  await until(async () => (await apiGet(token, '/evaluation')).metrics.connected_devices > 0, 'the demo devices counted as connected', 60_000)
  const own = await apiGet(token, '/evaluation')
  expect(own.scope === 'tenant' && own.indicators.length === 0, 'a tenant sees no criteria')
  const demo = await newPage()
  h.current = demo
  await logIn(demo, DEMO.username, DEMO.password, DEMO.tenant)
  await demo.goto('/evaluation')
  await demo.getByRole('heading', { name: 'Evaluation report' }).waitFor()
  await demo.getByTestId('evaluation-connected').filter({ hasText: `${own.metrics.connected_devices} / ${own.metrics.registered_devices}` }).waitFor()
  expect((await demo.getByTestId('evaluation-classes').count()) === 0, 'no criteria for a tenant')
  await demo.getByTestId('evaluation-connected').click()
  await demo.getByTestId('evaluation-record-rows').locator('tbody tr').first().waitFor()
  const rows = await demo.getByTestId('evaluation-record-rows').locator('tbody tr').count()
  expect(rows === Math.min(20, own.metrics.connected_devices), `${rows} rows for ${own.metrics.connected_devices} connected`)
  await still(demo, 'evaluation-tenant-records')
  await demo.keyboard.press('Escape')
  await demo.context().close()
  h.current = page
})

await step('the platform administrator sees every criterion, the records behind a figure, an industry of its choice', async () => {
  const adminPage = await newPage()
  h.current = adminPage
  await logIn(adminPage, 'admin', ADMIN_PASSWORD)
  await adminPage.getByTestId('nav').getByText('Evaluation report', { exact: true }).click()
  await adminPage.waitForURL(/\/evaluation$/)
  const classes = adminPage.getByTestId('evaluation-classes')
  await classes.getByRole('tab', { name: /Cross-industry, cross-domain/ }).waitFor()
  const cross = adminPage.getByTestId('criteria-cross_industry')
  await cross.getByTestId('indicator-cross.mechanism_models').waitFor()
  const report = await apiGet(admin, '/evaluation')
  // The platform's transactions per second (the demo devices' messages at least).
  await adminPage.getByTestId('evaluation-tps').waitFor()
  await until(async () => (await apiGet(admin, '/evaluation?fresh=true')).metrics.load.device_messages > 0, 'the demo devices\' messages counted as transactions', 30_000)
  const models = report.indicators.find((i) => i.id === 'cross.mechanism_models')
  expect(models.pass && models.value >= 150, `mechanism models: ${JSON.stringify(models)}`)
  await cross.getByRole('row').filter({ has: adminPage.getByTestId('indicator-cross.mechanism_models') }).getByText('Met').waitFor()
  await cross.getByRole('row').filter({ has: adminPage.getByTestId('indicator-cross.connected_devices') }).getByText('Not met').waitFor()
  await still(adminPage, 'evaluation-criteria')
  // The figures are kept between visits; "Gather now" gathers them again, for everyone.
  const [gathered] = await Promise.all([
    adminPage.waitForResponse((r) => r.url().includes('/api/v1/evaluation?') && r.url().includes('fresh=true')),
    adminPage.getByTestId('evaluation-gather').click(),
  ])
  const fresh = await gathered.json()
  expect(fresh.computed_at > report.computed_at, `gathered again: ${fresh.computed_at} after ${report.computed_at}`)
  expect((await apiGet(admin, '/evaluation')).computed_at === fresh.computed_at, 'the new figures kept')
  // The devices behind the connected count: the demo's, with the tenant's code.
  await adminPage.getByTestId('evaluation-connected').click()
  await adminPage.getByTestId('evaluation-record-rows').getByText('demo', { exact: true }).first().waitFor()
  await still(adminPage, 'evaluation-records')
  await adminPage.keyboard.press('Escape')
  // The calls behind the average: per tenant, month, model and path, as the API lists them.
  const calls = await apiGet(admin, '/evaluation/tenant-records?list=model_calls')
  await adminPage.getByTestId('evaluation-calls').click()
  const callRows = adminPage.getByTestId('evaluation-tenant-record-rows')
  await callRows.waitFor()
  if (calls.total > 0) await callRows.getByText(calls.items[0].item, { exact: true }).first().waitFor()
  await still(adminPage, 'evaluation-calls')
  await adminPage.keyboard.press('Escape')
  // The industry classes for C17 (the weaver's): its enterprise, the library's textile models.
  await choose(adminPage, 'evaluation-industry', 'C17', 'C17 Textiles')
  await classes.getByRole('tab', { name: /^Industry/ }).first().click()
  await adminPage.getByText('C17 Textiles').first().waitFor()
  const c17 = await apiGet(admin, '/evaluation?industry=C17')
  expect(c17.industry === 'C17' && c17.industry_metrics.enterprises === 1, 'C17 figured for the weaver')
  await still(adminPage, 'evaluation-industry')
  // The workbook of what is shown.
  const [file] = await Promise.all([adminPage.waitForEvent('download'), adminPage.getByTestId('evaluation-export').click()])
  expect(/^ironloom-evaluation-\d{4}-\d{2}\.xlsx$/.test(file.suggestedFilename()), `downloaded ${file.suggestedFilename()}`)
  const [pdf] = await Promise.all([adminPage.waitForEvent('download'), adminPage.getByTestId('evaluation-export-pdf').click()])
  expect(/^ironloom-evaluation-\d{4}-\d{2}\.pdf$/.test(pdf.suggestedFilename()), `downloaded ${pdf.suggestedFilename()}`)
  const head = (await readFile(await pdf.path())).subarray(0, 5).toString()
  expect(head === '%PDF-', `a PDF: ${head}`)
  await adminPage.getByTestId('language').click()
  await adminPage.getByTestId('language-zh-CN').click()
  await adminPage.getByRole('heading', { name: '平台评价报告' }).waitFor()
  await classes.getByRole('tab', { name: /跨行业跨领域平台/ }).waitFor()
  await still(adminPage, 'evaluation-zh')
})

await h.finish()
