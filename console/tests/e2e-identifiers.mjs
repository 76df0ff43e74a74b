// Identifier resolution (标识解析) in a real browser (Debian's Chromium driven by
// playwright-core) against a real `ironloom serve --demo`, as the demo tenant's
// administrator: takes a prefix (a malformed one and another tenant's refused at the
// field first); registers an identifier with the machinery-part template through the
// form (a wrong date caught at its field in the browser, a reserved value type at its row
// by the server); registers three more from CSV with a fourth row the browser finds
// wrong, in a batch; imports a CSV file as a background job (its progress followed to
// the end, the refused row listed, the job deleted); finds them in the list and opens one: its values with the
// non-public one marked, its QR code and Data Matrix loaded; links it to another of ours
// and to a supplier's (another tenant's) motor, and removes a third link; the trace page
// draws the graph and lists the three, of the supplier's motor its public values only;
// label sheets appear and print with only the sheets visible; a PNG of the QR code (from
// the API) scanned in the browser leads to the public page; the public page without
// log-in shows the public values and hides the other, and says when an identifier does
// not exist; a prefix in use is not given up; readers granted values that are not public
// (the supplier's cost shown in our trace once it grants it, our grant made and taken
// back); a template of the tenant's own is made; an
// identifier edited and one deleted from the drawer; the main tab in 简体中文; no
// browser errors.
// Run by scripts/console-test.sh; screenshots go to console/test-results/screenshots
// (identifiers-*).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { confirmBox, expect, logIn, noDialog, open, until } from './harness.mjs'

const PREFIX = '88.900.1'
const ADMIN_PASSWORD = 'Admin-pass-1'
// A supplier: another tenant whose motor goes into the demo tenant's part.
const SUPPLIER = { code: 'supplier', username: 'supplier-admin', password: 'Supplier-pass-1', prefix: '86.1000.12', part: '86.1000.12/MOTOR-7' }
const TENANT = { username: 'demo', password: 'ironloom-demo-1', tenant: 'demo' }

const h = await open({ label: 'identifiers', what: 'identifier', env: { IRONLOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, IRONLOOM_DEMO_STORE: 'off' } })
const { bin, server, newPage, step, shot, still, call, apiGet, tokenOf } = h

// Chooses an option of the open drop-down list.
const option = (page, text) => page.locator('.el-select-dropdown:visible').getByText(text, { exact: true }).click()

// Whether an <img> in the page finished loading a picture.
const loaded = (locator) => locator.evaluate((img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0)

const work = mkdtempSync(join(tmpdir(), 'ironloom-identifiers-test-'))
const page = await newPage()
h.current = page
const token = (await call(null, 'POST', '/auth/login', TENANT)).token

// The supplier, set up through the API: its prefix and a motor with a public address and a
// cost only it may see.
{
  const admin = (await call(null, 'POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token
  const tenant = await call(admin, 'POST', '/tenants', { code: SUPPLIER.code, name: 'Supplier B' })
  await call(admin, 'POST', '/users', { username: SUPPLIER.username, password: SUPPLIER.password, role: 'tenant_admin', tenant_id: tenant.id })
  const supplier = (await call(null, 'POST', '/auth/login', { username: SUPPLIER.username, password: SUPPLIER.password, tenant: SUPPLIER.code })).token
  await call(supplier, 'POST', '/identifier-prefixes', { prefix: SUPPLIER.prefix, name: 'Supplier B' })
  await call(supplier, 'POST', '/identifiers', {
    handle: SUPPLIER.part,
    values: [
      { index: 1, type: 'URL', data: 'https://supplier.example/m7' },
      { index: 2, type: 'cost', data: '812.50', permissions: '1100' },
    ],
  })
}
const tab = (name) => page.getByTestId('identifier-tabs').getByRole('tab', { name, exact: true }).click()

await step('the menu shows Identifiers; a malformed prefix and another tenant’s are refused at the field, then 88.900.1 is taken', async () => {
  await logIn(page, TENANT.username, TENANT.password, TENANT.tenant)
  await page.getByTestId('nav').getByText('Identifiers', { exact: true }).click()
  await page.waitForURL(/\/identifiers$/)
  await page.getByRole('heading', { name: 'Identifiers' }).waitFor()
  await tab('Prefixes')
  const list = page.getByTestId('prefix-list')
  await list.getByTestId('prefixes-table').waitFor()
  h.allowHttpErrors = true
  await list.getByTestId('prefix-input').fill('88..1')
  await list.getByTestId('prefix-name').fill('Demo Factory')
  await list.getByTestId('prefix-take').click()
  await list.locator('.el-form-item__error').filter({ hasText: 'is empty or holds a character' }).waitFor()
  // The supplier's: another tenant holds it.
  await list.getByTestId('prefix-input').fill(SUPPLIER.prefix)
  await list.getByTestId('prefix-take').click()
  await list.locator('.el-form-item__error').filter({ hasText: `${SUPPLIER.prefix} is held by another tenant.` }).waitFor()
  await list.getByTestId('prefix-input').fill(PREFIX)
  await list.getByTestId('prefix-take').click()
  const ours = list.getByTestId('prefixes-table').locator('tr').filter({ has: page.getByTestId('prefix-value').getByText(PREFIX, { exact: true }) })
  expect((await ours.getByTestId('prefix-count').textContent()).trim() === '0', 'no identifiers yet')
  await still(page, 'identifiers-prefixes')
})

await step('register through the form: a wrong date at its field, a reserved type at its row, then registered', async () => {
  await tab('Identifiers')
  await page.getByTestId('identifier-register').click()
  const form = page.getByTestId('identifier-form')
  // The demo plant has a prefix of its own (88.118.8): ours is chosen.
  await form.getByTestId('id-form-prefix').click()
  await option(page, `${PREFIX} · Demo Factory`)
  await form.getByTestId('id-form-template').click()
  await option(page, 'Machinery part or assembly (machinery-part 1.0)')
  await form.getByTestId('id-field-model').waitFor()
  await form.getByTestId('id-form-suffix').fill('P-1')
  await form.getByTestId('id-field-model').fill('GB-6208 轴承座')
  await form.getByTestId('id-field-serial_no').fill('SN-0001')
  await form.getByTestId('id-field-made_on').fill('30.11.2026')
  await form.getByTestId('id-field-maker').fill('Demo Factory')
  await form.getByTestId('id-field-inspection').fill('passed, 3 checks')
  await form.getByTestId('id-form-submit').click()
  // Found here, before anything is sent.
  await form.getByTestId('id-field-item-made_on').locator('.el-form-item__error').filter({ hasText: 'Must be a date YYYY-MM-DD' }).waitFor()
  await still(page, 'identifiers-form-error')
  await form.getByTestId('id-field-made_on').fill('2026-11-30')
  // A value type the resolution system keeps for itself: the server's error at its row.
  await form.getByTestId('id-extra-add').click()
  await form.getByTestId('id-extra-type-0').fill('HS_ADMIN')
  await form.getByTestId('id-extra-value-0').fill('x')
  h.allowHttpErrors = true
  await form.getByTestId('id-form-submit').click()
  await form.getByTestId('id-extra-0').locator('.el-form-item__error').filter({ hasText: 'HS_ types are reserved' }).waitFor()
  await form.getByTestId('id-extra-type-0').fill('colour')
  await form.getByTestId('id-extra-value-0').fill('blue')
  await form.getByTestId('id-form-submit').click()
  await form.waitFor({ state: 'hidden' })
  const detail = page.getByTestId('identifier-detail')
  await detail.getByText(`${PREFIX}/P-1`).first().waitFor()
  const r = await apiGet(token, `/identifiers/${encodeURIComponent(`${PREFIX}/P-1`)}`)
  expect(r.template?.id === 'machinery-part' && r.values.length === 6, `registered: ${JSON.stringify(r)}`)
  expect(r.values.find((v) => v.type === 'inspection')?.permissions === '1100', 'the inspection is the owner’s only')
})

await step('the detail: values with the non-public one marked, the QR code and Data Matrix load', async () => {
  const detail = page.getByTestId('identifier-detail')
  const values = detail.getByTestId('detail-values')
  await values.getByText('passed, 3 checks').waitFor()
  const row = values.locator('tr').filter({ hasText: 'passed, 3 checks' })
  await row.getByTestId('value-private').waitFor()
  expect((await values.getByTestId('value-public').count()) === 5, 'five public values')
  await values.getByText('Date of manufacture').waitFor()
  const img = detail.getByTestId('detail-carrier')
  await until(() => loaded(img), 'the QR code loads')
  const qrSrc = await img.getAttribute('src')
  expect(qrSrc.startsWith('blob:'), `fetched with the token: ${qrSrc}`)
  await detail.getByTestId('detail-datamatrix').click()
  await until(async () => (await img.getAttribute('src')) !== qrSrc && (await loaded(img)), 'the Data Matrix loads')
  await detail.getByTestId('detail-symbology').getByText('QR code').click()
  await until(() => loaded(img), 'the QR code again')
  await still(page, 'identifiers-detail')
  await page.keyboard.press('Escape')
  await noDialog(page)
})

await step('batch registration from CSV: three rows registered, a fourth found wrong in the browser and reported', async () => {
  await tab('Batch registration')
  const batch = page.getByTestId('batch-import')
  const csv = [
    'handle,model,serial_no,made_on,maker,mass',
    `${PREFIX}/P-2,GB-6208,SN-0002,2026-11-30,Demo Factory,12.5`,
    `${PREFIX}/P-3,GB-6208,SN-0003,2026-12-01,Demo Factory,`,
    `${PREFIX}/P-4,"GB-6208, rev. B",SN-0004,2026-12-02,Demo Factory,12.7`,
    `${PREFIX}/P-5,GB-6208,SN-0005,30.11.2026,Demo Factory,heavy`,
  ].join('\n')
  await batch.getByTestId('batch-text').fill(csv)
  await batch.getByTestId('batch-preview').click()
  await batch.getByTestId('batch-count').filter({ hasText: '4 rows' }).waitFor()
  await batch.getByTestId('batch-problem-count').filter({ hasText: '1 with problems' }).waitFor()
  const problem = (await batch.getByTestId('batch-row-problem').textContent()).trim()
  expect(problem.includes('made_on: Must be a date') && problem.includes('mass: Must be a number'), `problem: ${problem}`)
  await still(page, 'identifiers-batch-preview')
  await batch.getByTestId('batch-send').filter({ hasText: 'Register 3 identifiers' }).click()
  await batch.getByTestId('batch-summary').filter({ hasText: '3 created, 0 existed already, 1 invalid' }).waitFor()
  const outcomes = (await batch.getByTestId('batch-outcome').allTextContents()).map((s) => s.trim()).sort()
  expect(outcomes.join() === 'Created,Created,Created,Invalid', `outcomes: ${outcomes}`)
  await batch.getByTestId('batch-results').locator('tr').filter({ hasText: `${PREFIX}/P-5` }).getByText('made_on').waitFor()
  const p4 = await apiGet(token, `/identifiers/${encodeURIComponent(`${PREFIX}/P-4`)}`)
  expect(p4.values.find((v) => v.type === 'model')?.data.value === 'GB-6208, rev. B', `a quoted cell: ${JSON.stringify(p4)}`)
  await still(page, 'identifiers-batch-result')
})

await step('an import job: a CSV file uploaded as it is, followed to its end, its refused row listed, then deleted', async () => {
  const jobs = page.getByTestId('import-jobs')
  const file = join(work, 'parts.csv')
  writeFileSync(
    file,
    [
      'handle,model,serial_no,made_on,maker',
      `${PREFIX}/J-1,GB-6208,SN-J1,2026-11-30,Demo Factory`,
      `${PREFIX}/J-2,GB-6208,SN-J2,2026-11-30,Demo Factory`,
      `${PREFIX}/J-3,GB-6208,SN-J3,30.11.2026,Demo Factory`,
      `${PREFIX}/P-2,GB-6208,SN-0002,2026-11-30,Demo Factory`,
    ].join('\n'),
  )
  await jobs.getByTestId('import-file').setInputFiles(file)
  await jobs.getByTestId('import-state').filter({ hasText: 'Done' }).waitFor()
  await jobs.getByTestId('import-counts').filter({ hasText: '4 rows read: 2 created, 1 existed already, 1 invalid' }).waitFor()
  const refused = jobs.getByTestId('import-errors').locator('tr').filter({ hasText: 'made_on' })
  expect((await refused.locator('td').first().textContent()).trim() === '4', 'the refused row is the file\'s row 4')
  const j1 = await apiGet(token, `/identifiers/${encodeURIComponent(`${PREFIX}/J-1`)}`)
  expect(j1.template?.id === 'machinery-part', `registered with the template: ${JSON.stringify(j1)}`)
  await jobs.getByTestId('import-current').scrollIntoViewIfNeeded()
  await still(page, 'identifiers-import-job')
  await jobs.getByTestId('import-list').getByTestId('import-delete').first().click()
  await confirmBox(page, 'Delete')
  await until(async () => (await jobs.getByTestId('import-list').count()) === 0, 'no import jobs left')
  const left = await apiGet(token, '/identifier-imports')
  expect(left.total === 0, `jobs: ${JSON.stringify(left)}`)
  // Delete the two so the list below counts the batch's.
  for (const h of ['J-1', 'J-2']) await call(token, 'DELETE', `/identifiers/${encodeURIComponent(`${PREFIX}/${h}`)}`)
})

await step('the list: four identifiers under our prefix, a search finds one', async () => {
  await tab('Identifiers')
  const table = page.getByTestId('identifiers-table')
  await page.getByTestId('identifier-prefix-filter').click()
  await option(page, `${PREFIX} · Demo Factory`)
  await until(async () => (await table.getByTestId('identifier-handle').count()) === 4, 'four identifiers')
  await page.getByTestId('identifier-search').fill('P-3')
  await page.getByTestId('identifier-search').press('Enter')
  await until(async () => (await table.getByTestId('identifier-handle').count()) === 1, 'one found')
  await table.getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-3` }).waitFor()
  await page.getByTestId('identifier-search').fill('')
  await page.getByTestId('identifier-search').press('Enter')
  await until(async () => (await table.getByTestId('identifier-handle').count()) === 4, 'all four again')
  await still(page, 'identifiers-list')
})

await step('links from the drawer: P-1 holds P-2 as a component; a link to P-3 added and removed', async () => {
  await page.getByTestId('identifiers-table').getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-1` }).click()
  const detail = page.getByTestId('identifier-detail')
  const links = detail.getByTestId('detail-links')
  await links.getByText('Not linked to other identifiers').waitFor()
  await detail.getByTestId('link-child').fill(`${PREFIX}/P-2`)
  await detail.getByTestId('link-add').click()
  await links.getByText(`${PREFIX}/P-2`).waitFor()
  await detail.getByTestId('link-child').fill(`${PREFIX}/P-3`)
  await detail.getByTestId('link-kind').click()
  await option(page, 'Batch')
  await detail.getByTestId('link-add').click()
  await links.getByText(`${PREFIX}/P-3`).waitFor()
  // Another tenant's: the supplier's motor built into the part.
  await detail.getByTestId('link-child').fill(SUPPLIER.part)
  await detail.getByTestId('link-kind').click()
  await option(page, 'Component')
  await detail.getByTestId('link-add').click()
  await links.getByText(SUPPLIER.part).waitFor()
  // An identifier that does not exist: the server's answer at the field.
  h.allowHttpErrors = true
  await detail.getByTestId('link-child').fill(`${PREFIX}/NOPE`)
  await detail.getByTestId('link-add').click()
  await detail.locator('.el-form-item__error').first().waitFor()
  await links.locator('tr').filter({ hasText: `${PREFIX}/P-3` }).getByTestId('link-remove').click()
  await confirmBox(page, 'Remove')
  await until(async () => (await links.getByText(`${PREFIX}/P-3`).count()) === 0, 'the link to P-3 is removed')
  const tr = await apiGet(token, `/identifiers/${encodeURIComponent(`${PREFIX}/P-1`)}/trace`)
  const edges = tr.edges.map((e) => `${e.child} ${e.kind}`).sort()
  expect(edges.join() === `${SUPPLIER.part} component,${PREFIX}/P-2 component`, `edges: ${JSON.stringify(tr.edges)}`)
  await still(page, 'identifiers-links')
})

await step('the trace: the graph draws on its canvas, the list shows the three, the supplier’s with its public values only', async () => {
  await page.getByTestId('identifier-detail').getByTestId('detail-trace').click()
  await page.waitForURL(/\/identifiers\/trace\//)
  expect(decodeURIComponent(new URL(page.url()).pathname) === `/identifiers/trace/${PREFIX}/P-1`, `url: ${page.url()}`)
  const graph = page.getByTestId('trace-graph')
  await graph.locator('canvas').waitFor()
  // Something other than the background was drawn.
  await until(
    () =>
      graph.locator('canvas').first().evaluate((c) => {
        const ctx = c.getContext('2d')
        const d = ctx.getImageData(0, 0, c.width, c.height).data
        let inked = 0
        for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) inked++
        return inked > 200
      }),
    'the graph is drawn',
  )
  await page.getByTestId('trace-node-values').getByText('GB-6208 轴承座').waitFor()
  await still(page, 'identifiers-trace-graph')
  await page.getByTestId('trace-list-tab').click()
  const nodes = (await page.getByTestId('trace-list').getByTestId('trace-node').allTextContents()).map((s) => s.trim())
  expect(nodes.join() === `${PREFIX}/P-1,${SUPPLIER.part},${PREFIX}/P-2`, `nodes: ${nodes}`)
  await page.getByTestId('trace-list').getByText(`→ ${PREFIX}/P-2 (Component)`).waitFor()
  const supplierRow = page.getByTestId('trace-list').locator('tr').filter({ has: page.getByTestId('trace-node').getByText(SUPPLIER.part, { exact: true }) })
  await supplierRow.getByText('Another tenant’s').waitFor()
  await supplierRow.getByTestId('trace-node').click()
  const side = page.getByTestId('trace-node-values')
  await side.getByText('Public values only').waitFor()
  await side.getByText('https://supplier.example/m7').waitFor()
  expect((await side.getByText('812.50').count()) === 0, 'the supplier’s cost stays its own')
  // Opened directly (a reload), the address with its encoded slash still works.
  await page.reload()
  await page.getByTestId('trace-graph').locator('canvas').waitFor()
  await still(page, 'identifiers-trace-list')
})

await step('label sheets: the SVG page appears, and printing shows only the sheets', async () => {
  await page.goto('/identifiers?tab=labels')
  const labels = page.getByTestId('label-sheets')
  // Those the search for our prefix finds.
  await labels.getByTestId('labels-choose').locator('input').fill(PREFIX)
  await page.locator('.el-select-dropdown:visible').getByText(`${PREFIX}/P-4`, { exact: true }).waitFor()
  await labels.getByTestId('labels-all').click()
  await labels.getByTestId('labels-make').filter({ hasText: '4 labels' }).waitFor()
  await labels.getByTestId('labels-line').fill('轴承座 bearing housing')
  await labels.getByTestId('labels-make').click()
  const sheet = labels.getByTestId('labels-page').first()
  await until(() => loaded(sheet), 'the sheet loads')
  expect((await labels.getByTestId('labels-page').count()) === 1, 'one page for four labels')
  await still(page, 'identifiers-labels')
  await page.evaluate(() => {
    window.printed = 0
    window.print = () => {
      window.printed++
    }
  })
  await labels.getByTestId('labels-print').click()
  expect((await page.evaluate(() => window.printed)) === 1, 'print was asked for')
  await page.emulateMedia({ media: 'print' })
  const app = await page.locator('#app').evaluate((e) => getComputedStyle(e).display)
  const printed = page.getByTestId('labels-print-pages').locator('img')
  expect(app === 'none' && (await printed.count()) === 1 && (await printed.isVisible()), `print: the app ${app}, the sheet ${await printed.isVisible()}`)
  await shot(page, 'identifiers-labels-print')
  await page.emulateMedia({ media: 'screen' })
})

await step('scan: a PNG of the QR code read in the browser opens the public page', async () => {
  const res = await fetch(`${server.url}/api/v1/identifiers/${encodeURIComponent(`${PREFIX}/P-1`)}/carrier?format=png&module_px=6`, { headers: { Authorization: `Bearer ${token}` } })
  expect(res.ok && res.headers.get('content-type') === 'image/png', `carrier: ${res.status}`)
  const file = join(work, 'p-1.png')
  writeFileSync(file, Buffer.from(await res.arrayBuffer()))
  await page.goto('/identifiers')
  await page.getByTestId('scan-open').click()
  const dialog = page.getByTestId('scan-dialog')
  await dialog.getByTestId('scan-file').setInputFiles(file)
  const result = dialog.getByTestId('scan-result')
  await result.waitFor({ timeout: 30_000 })
  expect((await result.getByTestId('scan-text').textContent()).trim() === `${server.url}/r/${PREFIX}/P-1`, `read: ${await result.textContent()}`)
  await result.getByTestId('scan-kind').filter({ hasText: 'Resolution address' }).waitFor()
  await still(page, 'identifiers-scan')
  await result.getByTestId('scan-open-public').click()
  await page.waitForURL(new RegExp(`/r/${PREFIX.replace(/\./g, '\\.')}/P-1$`))
  await page.getByTestId('resolve-values').getByText('GB-6208 轴承座').waitFor()
})

await step('the public page without log-in: the public values, not the others; an unknown identifier', async () => {
  const visitor = await newPage({ width: 420, height: 860 })
  h.current = visitor
  await visitor.goto(`/r/${PREFIX}/P-1`)
  const values = visitor.getByTestId('resolve-values')
  await values.getByText('GB-6208 轴承座').waitFor()
  // Labelled from the template the identifier names at index 1001.
  await values.getByTestId('resolve-type').getByText('Serial number', { exact: true }).waitFor()
  const types = (await values.getByTestId('resolve-type').allTextContents()).map((s) => s.trim())
  expect(types.join() === 'Template,Model,Serial number,Date of manufacture,Manufacturer,colour', `public labels: ${types}`)
  await values.getByText('Machinery part or assembly 1.0').waitFor()
  expect((await visitor.getByText('passed, 3 checks').count()) === 0, 'the inspection is not shown')
  expect(await visitor.evaluate(() => !localStorage.getItem('ironloom.token')), 'no session')
  await still(visitor, 'identifiers-public')
  await visitor.getByTestId('language').click()
  await visitor.getByTestId('language-zh-CN').click()
  await visitor.getByText('所有者公开的标识值：').waitFor()
  await still(visitor, 'identifiers-public-zh')
  h.allowHttpErrors = true
  await visitor.goto(`/r/${PREFIX}/NOPE`)
  await visitor.getByTestId('resolve-not-found').getByText('未找到').waitFor()
  await visitor.close()
  h.current = page
})

await step('a prefix in use is not given up: the reason explained', async () => {
  await page.goto('/identifiers?tab=prefixes')
  const list = page.getByTestId('prefix-list')
  const ours = list.getByTestId('prefixes-table').locator('tr').filter({ has: page.getByTestId('prefix-value').getByText(PREFIX, { exact: true }) })
  await ours.getByTestId('prefix-count').filter({ hasText: '4' }).waitFor()
  h.allowHttpErrors = true
  await ours.getByTestId('prefix-give-up').click()
  await confirmBox(page, 'Give up')
  await list.getByTestId('prefix-in-use').getByText(`Prefix ${PREFIX} still holds 4 identifiers`).waitFor()
})

await step('readers: the supplier granted its motor’s values to us, the trace shows its cost; we grant the supplier our prefix, a second time refused, then take it back', async () => {
  const supplier = (await call(null, 'POST', '/auth/login', { username: SUPPLIER.username, password: SUPPLIER.password, tenant: SUPPLIER.code })).token
  await call(supplier, 'POST', '/identifier-grants', { scope: SUPPLIER.part, reader: 'demo' })
  await page.goto(`/identifiers/trace/${encodeURIComponent(`${PREFIX}/P-1`)}`)
  await page.getByTestId('trace-list-tab').click()
  const supplierRow = page.getByTestId('trace-list').locator('tr').filter({ has: page.getByTestId('trace-node').getByText(SUPPLIER.part, { exact: true }) })
  await supplierRow.getByTestId('trace-granted').waitFor()
  await supplierRow.getByTestId('trace-node').click()
  const side = page.getByTestId('trace-node-values')
  await side.getByText('All values: its owner granted them to you.').waitFor()
  await side.getByText('812.50').waitFor()

  await page.goto('/identifiers?tab=readers')
  const grants = page.getByTestId('reader-grants')
  await grants.getByText('No readers yet').waitFor()
  await grants.getByTestId('grant-scope-input').click()
  await option(page, PREFIX)
  await grants.getByTestId('grant-reader-input').fill(SUPPLIER.code)
  await grants.getByTestId('grant-add').click()
  await grants.getByTestId('grants-table').getByTestId('grant-reader').getByText(SUPPLIER.code, { exact: true }).waitFor()
  expect((await grants.getByTestId('grant-scope').allTextContents()).map((x) => x.trim()).join() === PREFIX, 'the grant listed')
  h.allowHttpErrors = true
  await grants.getByTestId('grant-scope-input').click()
  await option(page, PREFIX)
  await grants.getByTestId('grant-reader-input').fill(SUPPLIER.code)
  await grants.getByTestId('grant-add').click()
  await grants.locator('.el-form-item__error').filter({ hasText: 'This reader has this grant already' }).waitFor()
  await still(page, 'identifiers-readers')
  await grants.getByTestId('grant-revoke').click()
  await confirmBox(page, 'Take back')
  await grants.getByText('No readers yet').waitFor()
  const left = await apiGet(token, '/identifier-grants')
  expect(Array.isArray(left) && left.length === 0, `grants left: ${JSON.stringify(left)}`)
})

await step('templates: the shipped ones listed with their fields; a template of our own made', async () => {
  await page.goto('/identifiers?tab=templates')
  const list = page.getByTestId('template-list')
  await list.getByTestId('template-view').filter({ hasText: 'Machinery part or assembly' }).click()
  await page.getByTestId('template-fields').getByText('Inspection result').waitFor()
  await page.keyboard.press('Escape')
  await noDialog(page)
  await list.getByTestId('template-create').click()
  const editor = page.getByTestId('template-editor')
  await editor.getByTestId('tpl-id').fill('pump-assembly')
  await editor.getByTestId('tpl-name-en').fill('Pump assembly')
  await editor.getByTestId('tpl-name-zh').fill('泵总成')
  await editor.getByTestId('tpl-field-name-0').fill('flow_rate')
  await editor.getByTestId('tpl-field-en-0').fill('Flow rate')
  await editor.getByTestId('tpl-field-zh-0').fill('流量')
  await editor.getByTestId('tpl-save').click()
  await noDialog(page)
  await list.getByTestId('template-view').filter({ hasText: 'Pump assembly' }).waitFor()
  const mine = (await apiGet(token, '/identifier-templates')).find((x) => x.id === 'pump-assembly')
  expect(mine && !mine.shipped && mine.fields[0].label['zh-CN'] === '流量', `template: ${JSON.stringify(mine)}`)
  await still(page, 'identifiers-templates')
})

await step('edit an identifier’s values from its drawer', async () => {
  await page.goto('/identifiers')
  await page.getByTestId('identifiers-table').getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-2` }).click()
  const detail = page.getByTestId('identifier-detail')
  await detail.getByTestId('detail-values').getByText('SN-0002', { exact: true }).waitFor()
  await detail.getByTestId('detail-edit').click()
  const form = page.getByTestId('identifier-form')
  expect((await form.getByTestId('id-field-serial_no').inputValue()) === 'SN-0002', 'the form holds the values')
  await form.getByTestId('id-field-serial_no').fill('SN-0002b')
  await form.getByTestId('id-form-submit').click()
  await form.waitFor({ state: 'hidden' })
  await detail.getByTestId('detail-values').getByText('SN-0002b', { exact: true }).waitFor()
  const r = await apiGet(token, `/identifiers/${encodeURIComponent(`${PREFIX}/P-2`)}`)
  expect(r.values.find((v) => v.type === 'serial_no')?.data.value === 'SN-0002b' && r.values.length === 5, `updated: ${JSON.stringify(r)}`)
  await page.keyboard.press('Escape')
  await noDialog(page)
})

await step('delete an identifier from its drawer', async () => {
  await page.goto('/identifiers')
  await page.getByTestId('identifiers-table').getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-4` }).click()
  await page.getByTestId('identifier-detail').getByTestId('detail-delete').click()
  await confirmBox(page, 'Delete')
  await until(async () => (await page.getByTestId('identifiers-table').getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-4` }).count()) === 0, 'P-4 is gone')
  expect((await apiGet(token, `/identifiers?prefix=${PREFIX}`)).total === 3, 'three left')
})

await step('简体中文: the identifiers tab', async () => {
  await page.getByTestId('language').click()
  await page.getByTestId('language-zh-CN').click()
  await page.getByTestId('nav').getByText('标识管理', { exact: true }).waitFor()
  await page.getByRole('heading', { name: '标识管理' }).waitFor()
  await page.getByTestId('identifier-tabs').getByRole('tab', { name: '批量注册' }).waitFor()
  await page.getByTestId('identifiers-table').getByText('机械零部件 1.0').first().waitFor()
  await still(page, 'identifiers-list-zh')
  await page.getByTestId('identifiers-table').getByTestId('identifier-handle').filter({ hasText: `${PREFIX}/P-1` }).click()
  await page.getByTestId('identifier-detail').getByText('生产日期').waitFor()
  await page.getByTestId('identifier-detail').getByTestId('value-private').filter({ hasText: '仅所有者' }).waitFor()
  await still(page, 'identifiers-detail-zh')
  await page.keyboard.press('Escape')
  await page.goto(`/identifiers/trace/${encodeURIComponent(`${PREFIX}/P-1`)}`)
  await page.getByText(`${PREFIX}/P-1 的追溯`).waitFor()
  await page.getByTestId('trace-graph').locator('canvas').waitFor()
  await still(page, 'identifiers-trace-zh')
})

await h.finish(() => rmSync(work, { recursive: true, force: true }))
