// The console's health page in cluster mode, in a real browser: `ironloom serve --demo`
// as a cluster node on a real NATS JetStream server, PostgreSQL and SeaweedFS's S3
// gateway (where the node seals its partitions). The platform
// administrator sees the node, every partition's owner and lease, and drains the node:
// the page says so, the partitions are handed back, and /readyz fails. Run by
// scripts/console-test.sh, which gives the NATS server and weed binaries on PATH and a fresh
// database in CLUSTER_META_URL. Screenshots: health-cluster*.png.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, selectors } from 'playwright-core'
import { startServer } from './server.mjs'

const bin = process.env.IRONLOOM_BIN
const meta = process.env.CLUSTER_META_URL
if (!bin || !meta) throw new Error('IRONLOOM_BIN and CLUSTER_META_URL are needed')
const shots = process.env.SCREENSHOTS ?? 'test-results/screenshots'
const password = 'Admin-pass-1'

const freePort = () =>
  new Promise((ok) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })

// One JetStream server (the streams with one replica).
const natsDir = mkdtempSync(join(tmpdir(), 'ironloom-console-nats-'))
const natsPort = await freePort()
const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', natsDir], {
  stdio: ['ignore', 'ignore', 'pipe'],
})
await new Promise((ok, fail) => {
  let log = ''
  const timer = setTimeout(() => fail(new Error(`nats-server did not start:\n${log}`)), 20_000)
  nats.stderr.on('data', (c) => {
    log += c
    if (log.includes('Server is ready')) {
      clearTimeout(timer)
      ok()
    }
  })
  nats.on('exit', (code) => fail(new Error(`nats-server exited (${code}):\n${log}`)))
})

// SeaweedFS (master, volume, filer and S3 gateway in one process) with one identity whose
// keys are made here; every port given (its default gRPC ports collide).
const weedDir = mkdtempSync(join(tmpdir(), 'ironloom-console-weed-'))
const accessKey = `IL${randomBytes(9).toString('hex').toUpperCase()}`
const secretKey = randomBytes(20).toString('hex')
writeFileSync(join(weedDir, 'secret'), secretKey)
writeFileSync(
  join(weedDir, 's3.json'),
  JSON.stringify({
    identities: [
      {
        name: 'ironloom',
        credentials: [{ accessKey, secretKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  }),
)
mkdirSync(join(weedDir, 'data'))
const wp = []
for (let i = 0; i < 8; i++) wp.push(await freePort())
const weed = spawn(
  'weed',
  [
    'server',
    `-dir=${join(weedDir, 'data')}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${wp[0]}`,
    `-master.port.grpc=${wp[1]}`,
    `-volume.port=${wp[2]}`,
    `-volume.port.grpc=${wp[3]}`,
    '-filer',
    `-filer.port=${wp[4]}`,
    `-filer.port.grpc=${wp[5]}`,
    '-s3',
    `-s3.port=${wp[6]}`,
    `-s3.port.grpc=${wp[7]}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.config=${join(weedDir, 's3.json')}`,
    '-master.volumeSizeLimitMB=64',
    '-volume.max=16',
  ],
  { stdio: 'ignore' },
)
// Any HTTP answer (an anonymous request gets 403) means the S3 gateway is up.
for (let waited = 0; ; waited += 500) {
  if (weed.exitCode !== null) throw new Error(`weed server exited (${weed.exitCode})`)
  const up = await fetch(`http://127.0.0.1:${wp[6]}/`).then(
    () => true,
    () => false,
  )
  if (up) break
  if (waited > 60_000) throw new Error('the S3 gateway of weed server did not answer within 60 s')
  await new Promise((ok) => setTimeout(ok, 500))
}

const server = await startServer({
  bin,
  consoleDir: process.env.CONSOLE_DIR ?? 'dist',
  env: {
    IRONLOOM_ADMIN_PASSWORD: password,
    IRONLOOM__META__URL: meta,
    IRONLOOM__CLUSTER__ENABLED: 'true',
    IRONLOOM__CLUSTER__NODE: 'console-node',
    IRONLOOM__CLUSTER__NATS_URLS: `["nats://127.0.0.1:${natsPort}"]`,
    IRONLOOM__CLUSTER__REPLICAS: '1',
    IRONLOOM__CLUSTER__PARTITIONS: '4',
    IRONLOOM__CLUSTER__STREAM_SHARDS: '1',
    IRONLOOM__CLUSTER__STREAM_MAX_BYTES: '"64MiB"',
    IRONLOOM__CLUSTER__LEASE_TTL: '"3s"',
    IRONLOOM__CLUSTER__OBJECT_STORE__ENDPOINT: `http://127.0.0.1:${wp[6]}`,
    IRONLOOM__CLUSTER__OBJECT_STORE__BUCKET: 'ironloom-console',
    IRONLOOM__CLUSTER__OBJECT_STORE__ALLOW_HTTP: 'true',
    IRONLOOM__CLUSTER__OBJECT_STORE__ACCESS_KEY_ID: accessKey,
    IRONLOOM__CLUSTER__OBJECT_STORE__SECRET_ACCESS_KEY_FILE: join(weedDir, 'secret'),
  },
})
selectors.setTestIdAttribute('data-test')
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
})
const errors = []
let failures = 0
const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', baseURL: server.url })
const page = await context.newPage()
page.setDefaultTimeout(20_000)
page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`))
page.on('pageerror', (e) => errors.push(`${page.url()}: ${e}`))

async function step(name, f) {
  const t = Date.now()
  try {
    await f()
    console.log(`ok   ${name} (${Date.now() - t} ms)`)
  } catch (e) {
    failures++
    console.log(`FAIL ${name}: ${e.stack ?? e}`)
    await page.screenshot({ path: join(shots, `FAILED-cluster-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}.png`) }).catch(() => {})
  }
}

function expect(cond, what) {
  if (!cond) throw new Error(what)
}

const rows = (table) => page.getByTestId(table).locator('.el-table__body tr')

await step('cluster health: the node and every partition, owned by it', async () => {
  await page.goto('/')
  await page.waitForURL(/\/login/)
  await page.getByTestId('username').fill('admin')
  await page.getByTestId('password').fill(password)
  await page.getByTestId('login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await page.goto('/health')
  await page.getByTestId('cluster').waitFor()
  expect((await page.getByTestId('node-name').textContent()) === 'console-node', 'the node name')
  // The node takes its four partitions within a lease time; the page polls every 5 s.
  await page.waitForFunction(
    () => {
      const cells = [...document.querySelectorAll('[data-test=cluster-partitions] .el-table__body tr')]
      return cells.length === 4 && cells.every((r) => r.textContent.includes('console-node') && r.textContent.includes('Held'))
    },
    undefined,
    { timeout: 30_000 },
  )
  expect((await rows('cluster-nodes').count()) === 1, 'one node')
  expect((await rows('cluster-nodes').first().textContent()).includes('Active'), 'the node is active')
  await page.screenshot({ path: join(shots, 'health-cluster.png'), fullPage: true })
})

await step('draining the node: confirmed, shown, partitions handed back, /readyz fails', async () => {
  expect((await fetch(`${server.url}/readyz`)).status === 200, 'ready before')
  await page.getByTestId('drain').click()
  await page.locator('.el-message-box').getByRole('button', { name: 'Drain this node' }).click()
  await page.getByTestId('draining').waitFor()
  await page.waitForFunction(
    () => {
      const cells = [...document.querySelectorAll('[data-test=cluster-partitions] .el-table__body tr')]
      const nodes = document.querySelector('[data-test=cluster-nodes]')?.textContent ?? ''
      const free = (r) => r.textContent.includes('Handed back') || r.textContent.includes('Expired')
      return cells.length === 4 && cells.every(free) && nodes.includes('Draining')
    },
    undefined,
    { timeout: 30_000 },
  )
  expect((await page.getByTestId('drain').count()) === 0, 'no second drain button')
  expect((await fetch(`${server.url}/readyz`)).status === 503, '/readyz fails while draining')
  // Once the confirmation box and the message are gone, and the page shows it again.
  await page.waitForFunction(
    () =>
      document.querySelectorAll('.el-message, .el-message-box').length === 0 &&
      (document.querySelector('[data-test=cluster-nodes]')?.textContent ?? '').includes('Draining'),
    undefined,
    { timeout: 20_000 },
  )
  await page.screenshot({ path: join(shots, 'health-cluster-draining.png'), fullPage: true })
})

await step('the page in 简体中文', async () => {
  await page.evaluate(() => localStorage.setItem('ironloom.locale', 'zh-CN'))
  await page.reload()
  await page.getByTestId('cluster').waitFor()
  const text = await page.getByTestId('cluster').textContent()
  // A handed-back lease reads as expired once its marker's time is up: free either way.
  expect(
    text.includes('集群') && text.includes('排空中') && /已交还|已过期/.test(text),
    `Chinese labels: ${text.slice(0, 200)}`,
  )
  await page.waitForTimeout(800) // menus and tags finish appearing
  await page.screenshot({ path: join(shots, 'health-cluster-zh.png'), fullPage: true })
})

await browser.close()
await server.stop()
// SIGKILL: weed server takes its time over SIGTERM, and node would wait for it.
nats.kill('SIGKILL')
weed.kill('SIGKILL')
await new Promise((ok) => (weed.exitCode !== null || weed.signalCode !== null ? ok() : weed.on('exit', ok)))
rmSync(natsDir, { recursive: true, force: true })
rmSync(weedDir, { recursive: true, force: true })
if (errors.length) {
  console.log(`FAIL the browser logged errors:\n${errors.join('\n')}`)
  failures++
}
if (failures) {
  console.log(server.log().slice(-4000))
  process.exit(1)
}
console.log('ok   cluster console')
process.exit(0)
