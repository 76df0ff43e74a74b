// Starts `ironloom serve --demo` on free loopback ports with a fresh data directory, and
// reads the addresses it listens on from its log. The data directory is returned too
// (`<dataDir>/meta.db` is the SQLite metadata, for tests that move time), and removed
// when the server stops.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// `env`: more environment for the server (its configuration, e.g. cluster mode).
export async function startServer({ bin, consoleDir, env = {} }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ironloom-console-test-'))
  const child = spawn(
    bin,
    ['serve', '--demo', '--data-dir', dataDir, '--http', '127.0.0.1:0', '--mqtt', '127.0.0.1:0', '--coap', '127.0.0.1:0'],
    {
      env: {
        ...process.env,
        ...env,
        IRONLOOM__HTTP__CONSOLE_DIR: resolve(consoleDir),
        IRONLOOM__HANDLE__ADDR: '127.0.0.1:0',
        RUST_LOG: process.env.RUST_LOG ?? 'info',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let log = ''
  const found = {}
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`ironloom did not start in 60 s:\n${log}`)), 60_000)
    const scan = (chunk) => {
      log += chunk.toString()
      const http = log.match(/HTTP server listening on http:\/\/([0-9.:]+)/)
      const mqtt = log.match(/MQTT server listening on mqtt:\/\/([0-9.:]+)/)
      if (http) found.http = `http://${http[1]}`
      if (mqtt) found.mqtt = mqtt[1]
      if (found.http && found.mqtt) {
        clearTimeout(timer)
        ok()
      }
    }
    child.stdout.on('data', scan)
    child.stderr.on('data', scan)
    child.on('exit', (code) => fail(new Error(`ironloom exited (${code}):\n${log}`)))
  })
  await ready
  return {
    url: found.http,
    mqtt: found.mqtt,
    dataDir,
    log: () => log,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => {
        if (child.exitCode !== null) r()
        else child.on('exit', r)
      })
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
