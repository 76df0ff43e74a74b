// The marketplace in a real browser (Debian's Chromium driven by playwright-core) against
// a real `ironloom serve --demo`, the whole story with one browser session per person:
// a developer registers itself on the registration page; the platform administrator
// verifies it in the review queue and makes a reviewer; the developer submits a package
// (a real app of apps/, packed by the server binary under a new id) and sees its check
// report pass; the reviewer reads it, downloads the package, approves it and rotates and
// revokes signing keys; the demo tenant's administrator finds it in the store by a
// Chinese search, installs it through the consent screen on the demo pump and sees it
// run, upgrades it to a 1.0.1 the developer submitted and the reviewer approved, rolls
// it back, and rates it; the developer sees its app's installations and rating. Run by
// scripts/console-test.sh; screenshots go to console/test-results/screenshots (market-*).
//
// The demo's own store (every app of apps/ published by the first-party developer) is
// off here (IRONLOOM_DEMO_STORE=off): on a debug build it checks 31 packages with their
// fixtures for several minutes on every core, which would slow this story's own checks
// and make its timing depend on the machine; the store then holds this story's app
// beside the model library's models and algorithms.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { confirmBox, expect, logIn, navLabels, noDialog, open, until } from './harness.mjs'

const ADMIN_PASSWORD = 'Admin-pass-1'
const DEV = { username: 'acme-dev', password: 'Acme-dev-pass-1', name: 'Acme Industrial Apps', email: 'dev@acme.example', organisation: 'Acme Industrial Software', website: 'https://acme.example' }
const REVIEWER = { username: 'market-reviewer', password: 'Review-pass-1' }
const APP_ID = 'acme.pump-room'
const APP_EN = 'Pump room efficiency check'
const APP_ZH = '泵房能效巡检'

const h = await open({ label: 'market', what: 'marketplace', env: { IRONLOOM_ADMIN_PASSWORD: ADMIN_PASSWORD, IRONLOOM_DEMO_STORE: 'off' } })
const { bin, server, newPage, step, shot, still, call, apiGet, tokenOf } = h

// The README: Markdown the listing page renders (headings, a table, a list, code) and
// markup it must show as text, never run.
const README = `# ${APP_EN} / ${APP_ZH}

Hydraulic power and **efficiency** of each pump from \`flow\`, \`head\` and \`power\`
(ISO 9906: P_h = ρ g Q H, η = P_h / P_shaft), and the alarm \`low_pump_efficiency\`.

计算泵房每台水泵的有效功率和效率，效率偏低时告警。

| setting | default |
|---|---|
| \`threshold\` | 0.5 |
| \`persist\` | 3 |

- works on any pump product reporting the three values
- [the method](https://www.iso.org/standard/69405.html)

<script>window.readmeRan = true</script><img src=x onerror="window.readmeRan = true">
`

// A real package: apps/pump-efficiency under a new id and name, with a changelog and a
// screenshot, packed by the binary under test (`ironloom app pack`, checked as an upload).
const work = mkdtempSync(join(tmpdir(), 'ironloom-market-test-'))
let screenshotPng
function pack(version, changelog) {
  const dir = join(work, `app-${version}`)
  rmSync(dir, { recursive: true, force: true })
  cpSync(resolve('../apps/pump-efficiency'), dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
  Object.assign(manifest, {
    id: APP_ID,
    version,
    name: { en: APP_EN, 'zh-CN': APP_ZH },
    description: {
      en: 'Hydraulic power and efficiency of each pump of the pump room, with a low-efficiency alarm.',
      'zh-CN': '计算泵房每台水泵的有效功率和效率，效率偏低时告警。',
    },
    publisher: DEV.name,
  })
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  writeFileSync(join(dir, 'CHANGELOG.md'), `# ${version}\n\n${changelog}\n`)
  writeFileSync(join(dir, 'README.md'), README)
  if (screenshotPng) {
    mkdirSync(join(dir, 'screenshots'), { recursive: true })
    writeFileSync(join(dir, 'screenshots', 'overview.png'), screenshotPng)
  }
  const out = join(work, `${APP_ID}-${version}.ilapp`)
  execFileSync(bin, ['app', 'pack', dir, '--out', out], { stdio: ['ignore', 'pipe', 'inherit'] })
  return out
}

const visitor = await newPage()
const admin = await newPage()
const dev = await newPage()
const reviewer = await newPage()
const tenant = await newPage()
let adminToken
let demoToken

await step('registration: a visitor registers as a developer from the log-in page, and is told to log in without a tenant', async () => {
  h.current = visitor
  await visitor.goto('/login')
  await visitor.getByTestId('register-developer').click()
  await visitor.waitForURL(/\/market\/register$/)
  await visitor.getByTestId('register-username').fill(DEV.username)
  await visitor.getByTestId('register-name').fill(DEV.name)
  await visitor.getByTestId('register-password').fill(DEV.password)
  await visitor.getByTestId('register-repeat').fill('something-else-1')
  await visitor.getByTestId('register-email').fill(DEV.email)
  await visitor.getByTestId('register-organisation').fill(DEV.organisation)
  await visitor.getByTestId('register-website').fill(DEV.website)
  // The two passwords differ: said before anything is sent.
  await visitor.getByTestId('register-submit').click()
  await visitor.getByTestId('register-error').filter({ hasText: 'differ' }).waitFor()
  await visitor.getByTestId('register-repeat').fill(DEV.password)
  await shot(visitor, 'market-register')
  await visitor.getByTestId('register-submit').click()
  const done = visitor.getByTestId('register-done')
  await done.waitFor()
  expect((await done.textContent()).includes(`Log in as ${DEV.username} without a tenant code`), `done: ${await done.textContent()}`)
  await visitor.getByTestId('register-login').click()
  await visitor.waitForURL(/\/login\?user=acme-dev/)
  expect((await visitor.getByTestId('username').inputValue()) === DEV.username, 'the user name is kept for the log-in')
  adminToken = await tokenOf('admin', ADMIN_PASSWORD)
  const pending = await apiGet(adminToken, '/market/review/developers?status=pending')
  expect(pending.items.some((d) => d.name === DEV.name && d.status === 'pending'), `pending: ${JSON.stringify(pending)}`)
})

await step('developer before verification: lands on its portal, pending, no tenant pages in the menu', async () => {
  h.current = dev
  await logIn(dev, DEV.username, DEV.password)
  await dev.waitForURL(/\/market\/developer$/)
  await dev.getByTestId('developer-status').filter({ hasText: 'Waiting for verification' }).waitFor()
  await dev.getByTestId('submit-card').getByText('once your account is verified').waitFor()
  const nav = await navLabels(dev)
  for (const hidden of ['Overview', 'Devices', 'Apps', 'Review queue', 'System health']) expect(!nav.includes(hidden), `a developer sees ${hidden}: ${nav}`)
  for (const shown of ['App store', 'Developer portal']) expect(nav.includes(shown), `a developer misses ${shown}: ${nav}`)
  // The overview is not its home: the address / leads to the portal.
  await dev.goto('/')
  await dev.waitForURL(/\/market\/developer$/)
})

await step('platform administrator: the review queue in the menu; rejecting needs a comment; the developer verified', async () => {
  h.current = admin
  await logIn(admin, 'admin', ADMIN_PASSWORD)
  const nav = await navLabels(admin)
  expect(nav.includes('Review queue') && nav.includes('App store') && !nav.includes('Developer portal'), `admin menu: ${nav}`)
  await admin.getByTestId('nav').getByText('Review queue', { exact: true }).click()
  await admin.waitForURL(/\/market\/review$/)
  await admin.getByRole('tab', { name: /^Developers/ }).click()
  const row = admin.getByTestId('review-developers').locator('tbody tr').filter({ hasText: DEV.name })
  await row.waitFor()
  expect((await row.textContent()).includes(DEV.email), 'the developer\'s e-mail is shown')
  await still(admin, 'market-review-developers')
  // Rejecting without a comment is refused before anything is sent.
  await row.getByTestId('review-dev-reject').click()
  await admin.getByTestId('decision-confirm').click()
  await admin.getByTestId('decision-dialog').getByText('Say why').waitFor()
  await admin.getByTestId('decision-dialog').getByRole('button', { name: 'Cancel' }).click()
  await noDialog(admin)
  await row.getByTestId('review-verify').click()
  await admin.getByTestId('decision-comment').fill('Company and website checked')
  await admin.getByTestId('decision-confirm').click()
  await admin.getByText('Developer verified').first().waitFor()
  // It leaves the pending list.
  await until(async () => (await admin.getByTestId('review-developers').locator('tbody tr').filter({ hasText: DEV.name }).count()) === 0, 'the developer leaves the pending list')
  const all = await apiGet(adminToken, '/market/review/developers?status=verified')
  const d = all.items.find((x) => x.name === DEV.name)
  expect(d?.review_comment === 'Company and website checked' && d.reviewed_by === 'admin', `verified: ${JSON.stringify(d)}`)
})

await step('platform administrator: makes a marketplace reviewer (no tenant) on the users page', async () => {
  await admin.goto('/users')
  await admin.getByTestId('new-user').click()
  await admin.getByTestId('user-username').fill(REVIEWER.username)
  await admin.getByTestId('user-role').click()
  await admin.locator('.el-select-dropdown:visible').getByText('Marketplace reviewer', { exact: true }).click()
  expect((await admin.getByTestId('user-tenant').count()) === 0, 'a reviewer is asked for a tenant')
  await admin.getByTestId('user-password').fill(REVIEWER.password)
  await admin.getByTestId('user-create').click()
  await admin.getByTestId('user-table').getByText(REVIEWER.username, { exact: true }).waitFor()
  const users = await apiGet(adminToken, `/users?q=${REVIEWER.username}`)
  const u = users.items.find((x) => x.username === REVIEWER.username)
  expect(u?.role === 'reviewer' && u.tenant_id === null, `reviewer: ${JSON.stringify(u)}`)
})

let report100
await step('developer: verified, submits a package built for the test; its check report passes, every check in colour', async () => {
  h.current = dev
  // A screenshot of the store for the package's listing (screenshots/overview.png).
  await dev.goto('/market?kind=')
  await dev.getByTestId('market-cards').locator('.el-card').first().waitFor()
  screenshotPng = await dev.screenshot({ clip: { x: 208, y: 56, width: 900, height: 500 } })
  const file = pack('1.0.0', 'First release: pump efficiency per pump of the pump room.')
  await dev.goto('/market/developer')
  await dev.getByTestId('developer-status').filter({ hasText: 'Verified' }).waitFor()
  await dev.getByTestId('developer-status-text').getByText('Company and website checked').waitFor()
  await dev.getByTestId('developer-docs').getByText('ironloom app new').waitFor()
  await dev.getByTestId('submit-file').setInputFiles(file)
  await dev.getByTestId('submit-file-name').filter({ hasText: '.ilapp' }).waitFor()
  await dev.getByTestId('submit-changelog').fill('First release: pump efficiency per pump of the pump room.')
  await dev.getByTestId('submit-package').click()
  await dev.getByText('Submitted: the automated checks are running').first().waitFor()
  const row = dev.getByTestId('submissions').locator('tbody tr').filter({ hasText: APP_ID })
  await row.waitFor()
  await until(async () => (await row.getByTestId('submission-status').textContent()).includes('In review'), 'the checks pass and the submission waits for review', 240_000)
  await row.getByTestId('submission-report').click()
  const drawer = dev.getByTestId('report-drawer')
  await drawer.getByTestId('report-verdict').filter({ hasText: 'Every check passed' }).waitFor()
  for (const id of ['package', 'manifest', 'modules', 'permissions', 'limits', 'network', 'fixtures']) {
    const outcome = (await drawer.getByTestId(`outcome-${id}`).textContent()).trim()
    expect(outcome === 'Passed' || outcome === 'Warning', `check ${id}: ${outcome}`)
  }
  expect((await drawer.getByTestId('outcome-fixtures').textContent()).trim() === 'Passed', 'the fixtures pass')
  await drawer.getByText('Fixture tests pass in the sandbox').waitFor()
  // The outcome is coloured: a passed check is green.
  const colour = await drawer.getByTestId('check-fixtures').evaluate((e) => getComputedStyle(e).borderLeftColor)
  expect(colour === 'rgb(103, 194, 58)', `passed colour: ${colour}`)
  report100 = await apiGet(await tokenOf(DEV.username, DEV.password), '/market/submissions?app_id=' + APP_ID)
  expect(report100.items[0].report.passed, 'the stored report passed')
  await still(dev, 'market-developer-report')
  await dev.keyboard.press('Escape')
})

await step('reviewer: lands on the review queue with nothing but the marketplace; reads the report, downloads the package, approves', async () => {
  h.current = reviewer
  await logIn(reviewer, REVIEWER.username, REVIEWER.password)
  await reviewer.waitForURL(/\/market\/review$/)
  const nav = await navLabels(reviewer)
  expect(nav.join('|') === 'App store|Review queue', `reviewer menu: ${nav}`)
  const row = reviewer.getByTestId('review-submissions').locator('tbody tr').filter({ hasText: APP_ID })
  await row.waitFor()
  expect((await row.textContent()).includes(DEV.name), 'the developer is named')
  await row.getByTestId('review-view').click()
  const drawer = reviewer.getByTestId('review-drawer')
  await drawer.getByTestId('report-verdict').filter({ hasText: 'Every check passed' }).waitFor()
  await drawer.getByText('First release: pump efficiency').first().waitFor()
  await drawer.getByText('Raise and clear alarms').waitFor()
  await still(reviewer, 'market-review')
  const download = reviewer.waitForEvent('download')
  await drawer.getByTestId('drawer-download').click()
  const d = await download
  expect(d.suggestedFilename() === `${APP_ID}-1.0.0.ilapp`, `file: ${d.suggestedFilename()}`)
  const bytes = readFileSync(await d.path())
  expect(bytes[0] === 0x1f && bytes[1] === 0x8b, 'the package is a gzip file')
  await drawer.getByTestId('drawer-approve').click()
  await reviewer.getByTestId('decision-comment').fill('Checked the report and the fixtures')
  await reviewer.getByTestId('decision-confirm').click()
  await reviewer.getByText('Approved: signed and released').first().waitFor()
  await noDialog(reviewer)
  await until(async () => (await reviewer.getByTestId('review-submissions').locator('tbody tr').filter({ hasText: APP_ID }).count()) === 0, 'the queue is empty')
})

await step('reviewer: signing keys rotated and one revoked, each after confirming', async () => {
  await reviewer.getByRole('tab', { name: 'Signing keys' }).click()
  const rows = reviewer.getByTestId('signing-keys').locator('tbody tr')
  await until(async () => (await rows.count()) === 1, 'the first approval made a key')
  const first = (await apiGet(adminToken, '/market/signing-keys')).keys[0]
  for (let i = 0; i < 2; i++) {
    await reviewer.getByTestId('key-rotate').click()
    await confirmBox(reviewer, 'Rotate the signing key')
    await until(async () => (await rows.count()) === 2 + i, `rotation ${i + 1}`)
    await noDialog(reviewer)
  }
  const keys = (await apiGet(adminToken, '/market/signing-keys')).keys
  expect(keys.filter((k) => k.state === 'active').length === 1 && keys.filter((k) => k.state === 'retired').length === 2, `keys: ${JSON.stringify(keys)}`)
  // The middle key signed nothing: revoke it (the first one signed 1.0.0, which stays installable).
  const middle = keys.find((k) => k.state === 'retired' && k.key_id !== first.key_id)
  // The confirmation says what a key signed: the first one, 1.0.0 (not revoked here).
  await rows.filter({ hasText: first.key_id }).getByTestId('key-revoke').click()
  await reviewer.locator('.el-message-box').getByText(`It signed 1 release(s): ${APP_ID} 1.0.0.`).waitFor()
  await confirmBox(reviewer, 'Cancel')
  await noDialog(reviewer)
  await rows.filter({ hasText: middle.key_id }).getByTestId('key-revoke').click()
  await reviewer.locator('.el-message-box').getByText('It signed no release.').waitFor()
  await confirmBox(reviewer, 'Revoke')
  await rows.filter({ hasText: middle.key_id }).getByTestId('key-state').filter({ hasText: 'Revoked' }).waitFor()
  await noDialog(reviewer)
  await still(reviewer, 'market-review-keys')
  await reviewer.getByRole('tab', { name: /^Submissions/ }).click()
})

await step('tenant administrator: finds the app in the store by a Chinese search', async () => {
  h.current = tenant
  await logIn(tenant, 'demo', 'ironloom-demo-1', 'demo')
  demoToken = await tokenOf('demo', 'ironloom-demo-1', 'demo')
  const nav = await navLabels(tenant)
  expect(nav.includes('Overview') && nav.includes('App store') && nav.includes('Developer portal') && !nav.includes('Review queue'), `tenant menu: ${nav}`)
  await tenant.getByTestId('nav').getByText('App store', { exact: true }).click()
  await tenant.waitForURL(/\/market/)
  await tenant.getByTestId('market-search').fill('泵房能效')
  await tenant.getByTestId('market-search').press('Enter')
  const card = tenant.getByTestId(`listing-${APP_ID}`)
  await card.waitFor()
  expect((await card.getByTestId('listing-name').textContent()).trim() === APP_EN, 'the card names the app')
  expect((await card.textContent()).includes(DEV.name) && (await card.getByTestId('first-party').count()) === 0, 'a third-party publisher, no official badge')
  // Every kind: the model library's models and algorithms are in the store too.
  await tenant.goto('/market?kind=&q=IF97')
  await until(async () => (await tenant.getByTestId('market-cards').textContent()).includes('IAPWS'), 'models found by an English search')
  expect((await tenant.getByTestId('market-cards').getByTestId('first-party').count()) > 0, 'the library is first-party')
  await tenant.goto('/market')
  await tenant.getByTestId('market-search').fill('泵房能效')
  await tenant.getByTestId('market-search').press('Enter')
  await card.waitFor()
  await still(tenant, 'market-store')
  await card.click()
  await tenant.waitForURL(new RegExp(`/market/apps/${APP_ID.replace('.', '\\.')}$`))
})

await step('listing page: icon, publisher, industries, README rendered as text, screenshot, versions, permissions', async () => {
  await tenant.getByTestId('app-name').filter({ hasText: APP_EN }).waitFor()
  expect((await tenant.getByTestId('app-publisher').textContent()).trim() === DEV.name, 'publisher')
  await until(() => tenant.getByTestId('app-icon').evaluate((e) => e.tagName === 'IMG' && e.complete && e.naturalWidth > 0), 'the icon shows')
  // The README: headings and code as elements, never as HTML from the package.
  await tenant.getByTestId('app-readme').locator('h3').filter({ hasText: APP_ZH }).waitFor()
  expect((await tenant.getByTestId('app-readme').locator('code').count()) >= 5, 'inline code rendered')
  const readme = tenant.getByTestId('app-readme')
  expect((await readme.locator('table td').count()) === 4 && (await readme.locator('li').count()) === 2, 'the table and the list rendered')
  expect((await readme.locator('a').getAttribute('rel')).includes('noopener'), 'links open without the opener')
  expect((await readme.locator('script, iframe, img').count()) === 0, 'nothing active in the README')
  await readme.getByText('<script>window.readmeRan = true</script>', { exact: false }).waitFor()
  expect(!(await tenant.evaluate(() => window.readmeRan)), 'the README ran')
  await until(() => tenant.getByTestId('app-screenshots').locator('img').first().evaluate((e) => e.complete && e.naturalWidth > 0), 'the screenshot shows')
  await tenant.getByRole('tab', { name: 'Versions' }).click()
  const v = tenant.getByTestId('app-versions').locator('tbody tr')
  await v.first().waitFor()
  expect((await v.count()) === 1 && (await v.first().textContent()).includes('First release') && (await v.first().textContent()).includes('Stable'), `versions: ${await v.allTextContents()}`)
  await tenant.getByRole('tab', { name: 'Permissions' }).click()
  await tenant.getByTestId('app-permissions').getByText('Raises and clears alarms on those devices').waitFor()
  await tenant.getByRole('tab', { name: 'Overview' }).click()
  await still(tenant, 'market-listing')
})

await step('install with the consent screen: nothing granted until ticked, on the demo pump; the installation runs', async () => {
  await tenant.getByTestId('market-install').click()
  const dialog = tenant.getByTestId('market-install-dialog')
  await dialog.getByTestId('consent-alarms').waitFor()
  // Every permission the app asks for, with its meaning, none ticked.
  const asked = ['read_telemetry', 'write_telemetry', 'alarms', 'models']
  for (const k of asked) {
    const item = dialog.getByTestId(`consent-${k}`)
    expect(!(await item.locator('input[type=checkbox]').isChecked()), `${k} is granted before consent`)
    expect(((await item.textContent()) ?? '').length > 40, `${k} has no meaning`)
  }
  await dialog.getByText('Granting 0 of 4').waitFor()
  for (const k of asked) await dialog.getByTestId(`consent-${k}`).locator('.el-checkbox').click()
  await dialog.getByText('Granting 4 of 4').waitFor()
  await dialog.getByTestId('install-name').fill('pump-room')
  await dialog.getByTestId('install-products').click()
  await tenant.locator('.el-select-dropdown:visible').getByText('(demo-pump)').click()
  // The multiple choice stays open, and the click that closes it is lost: closed first.
  await dialog.getByTestId('install-name').click()
  await until(async () => (await tenant.locator('.el-select-dropdown:visible').count()) === 0, 'the product list closes')
  expect(JSON.parse(await dialog.getByTestId('install-config').inputValue()).threshold === 0.5, 'the configuration starts from the defaults')
  await still(tenant, 'market-install')
  await dialog.getByTestId('install-confirm').click()
  await tenant.getByText('Installed pump-room').first().waitFor()
  await noDialog(tenant)
  await tenant.getByTestId('app-installations-here').getByTestId('installation-version').filter({ hasText: '1.0.0' }).waitFor()
  await tenant.getByTestId('app-held').waitFor()
  const list = await apiGet(demoToken, '/app-installations')
  const i = list.find((x) => x.name === 'pump-room')
  expect(i && i.app_id === APP_ID && i.version === '1.0.0' && i.products.join() === 'demo-pump', `installation: ${JSON.stringify(i)}`)
  expect(i.grant.map((g) => g.kind).sort().join() === [...asked].sort().join(), `grant: ${JSON.stringify(i.grant)}`)
})

await step('the store app runs on the demo pump\'s messages: its runs rise on the Apps page', async () => {
  await until(async () => {
    const i = (await apiGet(demoToken, '/app-installations')).find((x) => x.name === 'pump-room')
    return i.stats.invocations > 0
  }, 'the installation runs on telemetry', 60_000)
  await tenant.goto('/apps')
  const row = tenant.getByTestId('app-installations').locator('tbody tr').filter({ hasText: 'pump-room' })
  await row.waitFor()
  const first = await until(async () => {
    const m = /([\d,]+) \/ ([\d,]+)/.exec(await row.textContent())
    return m && Number(m[1].replace(/,/g, '')) > 0 ? Number(m[1].replace(/,/g, '')) : 0
  }, 'runs shown')
  expect((await row.textContent()).includes('Active'), 'the app is active')
  await until(async () => {
    await tenant.getByRole('button', { name: 'Refresh' }).click()
    await tenant.waitForTimeout(500)
    const m = /([\d,]+) \/ ([\d,]+)/.exec(await row.textContent())
    return m && Number(m[1].replace(/,/g, '')) > first
  }, 'the runs rise', 60_000)
})

await step('a 1.0.1 on the beta channel: submitted, checked, approved; the tenant upgrades to it with its consent and rolls back', async () => {
  h.current = dev
  const file = pack('1.0.1', 'Beta: steadier efficiency readings.')
  await dev.goto('/market/developer')
  await dev.getByTestId('submit-file').setInputFiles(file)
  await dev.getByTestId('submit-channel').getByText('Beta').click()
  await dev.getByTestId('submit-changelog').fill('Beta: steadier efficiency readings.')
  await dev.getByTestId('submit-package').click()
  const row = dev.getByTestId('submissions').locator('tbody tr').filter({ hasText: '1.0.1' })
  await until(async () => (await row.count()) > 0 && (await row.getByTestId('submission-status').textContent()).includes('In review'), '1.0.1 passes its checks', 240_000)
  h.current = reviewer
  await reviewer.getByRole('button', { name: 'Refresh' }).click()
  const queued = reviewer.getByTestId('review-submissions').locator('tbody tr').filter({ hasText: '1.0.1' })
  await queued.waitFor()
  await queued.getByTestId('review-approve').click()
  await reviewer.getByTestId('decision-confirm').click()
  await reviewer.getByText('Approved: signed and released').first().waitFor()
  h.current = tenant
  await tenant.goto(`/market/apps/${APP_ID}`)
  const inst = tenant.getByTestId('app-installations-here')
  await inst.getByTestId('installation-upgrade').filter({ hasText: 'Upgrade to 1.0.1' }).click()
  const dialog = tenant.getByTestId('market-upgrade-dialog')
  await dialog.getByText('Beta: steadier efficiency readings.').waitFor()
  // What was granted before stays ticked; nothing new is asked.
  const ticked = await dialog.getByTestId('upgrade-consent').locator('input[type=checkbox]:checked').count()
  expect(ticked === 4, `ticked for the upgrade: ${ticked}`)
  await dialog.getByTestId('upgrade-confirm').click()
  await tenant.getByText('Upgraded to 1.0.1').first().waitFor()
  await noDialog(tenant)
  await inst.getByTestId('installation-version').filter({ hasText: '1.0.1' }).waitFor()
  let i = (await apiGet(demoToken, '/app-installations')).find((x) => x.name === 'pump-room')
  expect(i.version === '1.0.1' && i.previous_version === '1.0.0' && i.grant.length === 4, `upgraded: ${JSON.stringify(i)}`)
  await inst.getByTestId('installation-rollback').click()
  await confirmBox(tenant, 'Roll back to 1.0.0')
  await tenant.getByText('Rolled back').first().waitFor()
  await inst.getByTestId('installation-version').filter({ hasText: /^1\.0\.0$/ }).waitFor()
  i = (await apiGet(demoToken, '/app-installations')).find((x) => x.name === 'pump-room')
  expect(i.version === '1.0.0', `rolled back: ${JSON.stringify(i)}`)
  // Both versions on the listing page, the beta marked as such.
  await tenant.getByRole('tab', { name: 'Versions' }).click()
  await until(async () => (await tenant.getByTestId('app-versions').locator('tbody tr').count()) === 2, 'two versions')
  expect((await tenant.getByTestId('app-versions').locator('tbody tr').first().textContent()).includes('Beta'), 'the newest is the beta')
  await tenant.getByRole('tab', { name: 'Overview' }).click()
})

await step('ratings and reviews: the tenant that holds the app rates it, edits and deletes its review; the store shows the rating', async () => {
  await tenant.getByRole('tab', { name: /^Ratings and reviews/ }).click()
  const mine = tenant.getByTestId('my-review')
  await mine.getByTestId('review-write').click()
  await tenant.getByTestId('review-rating').locator('.el-rate__item').nth(3).click()
  await tenant.getByTestId('review-title').fill('Works on our pump room')
  await tenant.getByTestId('review-body').fill('Efficiency per pump from the first day; the alarm caught a worn impeller.')
  await tenant.getByTestId('review-save').click()
  await tenant.getByText('Review saved').first().waitFor()
  await mine.getByText('Works on our pump room').waitFor()
  let reviews = await apiGet(demoToken, `/market/apps/${APP_ID}/reviews`)
  expect(reviews.total === 1 && reviews.items[0].rating === 4 && reviews.items[0].author === 'demo', `reviews: ${JSON.stringify(reviews)}`)
  // Edited: five stars.
  await mine.getByTestId('review-edit').click()
  await tenant.getByTestId('review-rating').locator('.el-rate__item').nth(4).click()
  await tenant.getByTestId('review-save').click()
  await until(async () => (await apiGet(demoToken, `/market/apps/${APP_ID}/reviews`)).items[0]?.rating === 5, 'the review edited')
  // Deleted, then written again.
  await mine.getByTestId('review-delete').click()
  await confirmBox(tenant, 'Delete')
  await mine.getByTestId('review-write').waitFor()
  reviews = await apiGet(demoToken, `/market/apps/${APP_ID}/reviews`)
  expect(reviews.total === 0, `after deleting: ${JSON.stringify(reviews)}`)
  await mine.getByTestId('review-write').click()
  await tenant.getByTestId('review-rating').locator('.el-rate__item').nth(4).click()
  await tenant.getByTestId('review-title').fill('Works on our pump room')
  await tenant.getByTestId('review-save').click()
  await mine.getByText('Works on our pump room').waitFor()
  await tenant.getByTestId('review').first().waitFor()
  await tenant.getByTestId('app-rating').filter({ hasText: '5' }).waitFor()
  await still(tenant, 'market-listing-reviews')
  // The store's card: the rating and the installation.
  await tenant.goto('/market?q=泵房能效')
  const card = tenant.getByTestId(`listing-${APP_ID}`)
  await until(async () => (await card.textContent()).includes('5 (1)') && (await card.getByTestId('listing-installs').textContent()).includes('1 installed'), 'the card shows the rating and the installation')
})

await step('developer portal: the app with its two releases, its installation and rating', async () => {
  h.current = dev
  await dev.goto('/market/developer')
  const row = dev.getByTestId('my-apps').locator('tbody tr').filter({ hasText: APP_ID })
  await row.waitFor()
  await until(async () => {
    const text = await row.textContent()
    return text.includes('1.0.0') && text.includes('1.0.1') && text.includes('★ 5') && (await row.getByTestId('my-app-installs').textContent()).trim() === '1'
  }, 'releases, installations and rating')
  await dev.getByTestId('my-apps').scrollIntoViewIfNeeded()
  await still(dev, 'market-developer')
  // Its analytics: the demo tenant took the app from the store and runs one installation.
  const analytics = dev.getByTestId('developer-analytics')
  const figure = async (id) => (await analytics.getByTestId(id).locator('.el-statistic__number').textContent()).trim()
  await until(async () => (await figure('an-tenants')) === '1' && (await figure('an-installations')) === '1' && (await figure('an-active')) === '1', 'the analytics count the installation')
  await analytics.getByTestId('analytics-apps').getByText(APP_ID).waitFor()
  await analytics.getByTestId('month-bars').locator('canvas').waitFor()
  await analytics.scrollIntoViewIfNeeded()
  await still(dev, 'market-developer-analytics')
})

await step('reviewer: the statistics tab counts developers, SDK use and the store\'s subscribing tenants as the API does', async () => {
  h.current = reviewer
  await reviewer.goto('/market/review')
  await reviewer.getByRole('tab', { name: 'Statistics' }).click()
  const box = reviewer.getByTestId('market-statistics')
  await box.getByTestId('statistics-months-table').waitFor()
  const st = await apiGet(await tokenOf(REVIEWER.username, REVIEWER.password), '/market/statistics')
  const now = st.developers.months.at(-1)
  expect(now.third_party >= 1 && now.active >= 1 && now.sdk_developers >= 1 && now.api_calls > 0, `counts: ${JSON.stringify(now)}`)
  expect(st.store.subscribing_tenants === 1 && st.store.installations === 1 && st.store.apps === 1, `store: ${JSON.stringify(st.store)}`)
  const figure = async (id) => (await box.getByTestId(id).locator('.el-statistic__number').textContent()).trim()
  for (const [id, v] of [['st-registered', now.registered], ['st-active', now.active], ['st-sdk-developers', now.sdk_developers], ['st-tenants', 1], ['st-installations', 1], ['st-apps', 1]]) {
    expect((await figure(id)) === String(v), `${id}: ${await figure(id)} ≠ ${v}`)
  }
  await box.getByTestId('st-third-party').getByText(String(now.third_party), { exact: true }).waitFor()
  await still(reviewer, 'market-statistics')
  await reviewer.getByRole('tab', { name: /^Submissions/ }).click()
})

await step('a submission withdrawn by the developer; another rejected by the reviewer with a comment the developer reads', async () => {
  h.current = dev
  const submit = async (version) => {
    await dev.getByTestId('submit-file').setInputFiles(pack(version, `Try ${version}.`))
    await dev.getByTestId('submit-package').click()
    const row = dev.getByTestId('submissions').locator('tbody tr').filter({ hasText: version })
    await row.waitFor()
    return row
  }
  const withdrawn = await submit('1.0.2')
  await withdrawn.getByTestId('submission-withdraw').click()
  await confirmBox(dev, 'Withdraw')
  await withdrawn.getByTestId('submission-status').filter({ hasText: 'Withdrawn' }).waitFor()
  const rejected = await submit('1.0.3')
  await until(async () => (await rejected.getByTestId('submission-status').textContent()).includes('In review'), '1.0.3 passes its checks', 240_000)
  h.current = reviewer
  await reviewer.getByRole('button', { name: 'Refresh' }).click()
  const queued = reviewer.getByTestId('review-submissions').locator('tbody tr').filter({ hasText: '1.0.3' })
  await queued.getByTestId('review-reject').click()
  await reviewer.getByTestId('decision-confirm').click()
  await reviewer.getByTestId('decision-dialog').getByText('Say why').waitFor()
  await reviewer.getByTestId('decision-comment').fill('The alarm threshold must be configurable per pump')
  await reviewer.getByTestId('decision-confirm').click()
  await reviewer.getByText('Submission rejected').first().waitFor()
  await noDialog(reviewer)
  h.current = dev
  await dev.getByRole('button', { name: 'Refresh' }).click()
  await rejected.getByTestId('submission-status').filter({ hasText: 'Rejected' }).waitFor()
  await rejected.getByText('The alarm threshold must be configurable per pump').waitFor()
  // Neither reached the store.
  const versions = (await apiGet(demoToken, `/market/releases?app_id=${APP_ID}`)).items.map((r) => r.version).sort()
  expect(versions.join() === '1.0.0,1.0.1', `released: ${versions}`)
})

await step('developer: an API key for CI, made on the API keys page, lists its submissions', async () => {
  h.current = dev
  await dev.getByTestId('nav').getByText('System', { exact: true }).click()
  await dev.getByTestId('nav').getByText('API keys', { exact: true }).click()
  await dev.waitForURL(/\/api-keys$/)
  await dev.getByTestId('new-key').click()
  await dev.getByTestId('key-name').fill('ci')
  await dev.getByTestId('key-create').click()
  const key = (await dev.getByTestId('created-key').textContent()).trim()
  expect(key.length > 20, `key: ${key}`)
  await dev.keyboard.press('Escape')
  await dev.getByTestId('key-table').getByText('ci', { exact: true }).waitFor()
  const r = await fetch(`${server.url}/api/v1/market/submissions`, { headers: { 'X-Api-Key': key } })
  expect(r.ok, `the key lists the submissions: ${r.status} ${await r.clone().text()}`)
  expect((await r.json()).total === 4, 'its four submissions')
})

await step('a tenant user opens a developer account from the portal', async () => {
  h.current = tenant
  // The portal asks the server for the account first: 403 not_a_developer, logged by Chromium.
  h.allowHttpErrors = true
  await tenant.goto('/market/developer')
  await tenant.getByTestId('developer-open').waitFor()
  await tenant.getByTestId('developer-name').fill('Demo plant engineering')
  await tenant.getByTestId('developer-email').fill('apps@demo.example')
  await tenant.getByTestId('developer-open-submit').click()
  await tenant.getByTestId('developer-status').filter({ hasText: 'Waiting for verification' }).waitFor()
  const me = await apiGet(demoToken, '/market/developer')
  expect(me.name === 'Demo plant engineering' && me.status === 'pending', `account: ${JSON.stringify(me)}`)
})

await step('简体中文: the store, the listing page, the portal with its check report and the review queue', async () => {
  const toChinese = async (page) => {
    await page.getByTestId('language').click()
    await page.getByTestId('language-zh-CN').click()
    await page.getByTestId('nav').getByText('应用商店', { exact: true }).waitFor()
  }
  h.current = tenant
  await tenant.goto('/market?q=泵房能效')
  await toChinese(tenant)
  const card = tenant.getByTestId(`listing-${APP_ID}`)
  await card.getByTestId('listing-name').filter({ hasText: APP_ZH }).waitFor()
  await still(tenant, 'market-store-zh')
  await card.click()
  await tenant.getByTestId('app-name').filter({ hasText: APP_ZH }).waitFor()
  await tenant.getByRole('tab', { name: '权限' }).click()
  await tenant.getByTestId('app-permissions').getByText('在这些设备上产生和清除告警').waitFor()
  await tenant.getByRole('tab', { name: '概览' }).click()
  await still(tenant, 'market-listing-zh')
  h.current = dev
  await dev.goto('/market/developer')
  await toChinese(dev)
  await dev.getByTestId('submissions').locator('tbody tr').filter({ hasText: '1.0.0' }).getByTestId('submission-report').click()
  const drawer = dev.getByTestId('report-drawer')
  await drawer.getByText('沙箱中夹具测试通过').waitFor()
  await drawer.getByTestId('outcome-fixtures').filter({ hasText: '通过' }).waitFor()
  await still(dev, 'market-developer-report-zh')
  await dev.keyboard.press('Escape')
  h.current = reviewer
  await toChinese(reviewer)
  await reviewer.getByRole('button', { name: '刷新' }).click()
  await reviewer.getByRole('tab', { name: /^开发者/ }).click()
  await reviewer.getByTestId('review-developers').getByText('Demo plant engineering').waitFor()
  await still(reviewer, 'market-review-zh')
})

await h.finish(() => rmSync(work, { recursive: true, force: true }))
