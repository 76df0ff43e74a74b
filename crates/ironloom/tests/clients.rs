//! The API clients in `clients/` (docs: clients/README.md): the committed generated code is
//! what `clients/generate.py` makes of this build's OpenAPI document, and the Python and
//! TypeScript clients each pass their test against a running `ironloom serve`: log-in,
//! a product and a device, telemetry over the HTTP device API read back, live events, an
//! alarm raised by a rule, pagination, errors with their codes, tenant isolation and API
//! keys.
//!
//! They need `python3` (3.11 or later, standard library only) and Node.js 18 or later with
//! `clients/typescript/node_modules` (`npm ci`, done by scripts/install-test-peers.sh); a
//! test whose tool is missing prints SKIPPED, unless IRONLOOM_REQUIRE_PEERS=1.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "Admin-pass-1";

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients")
}

fn require_peers() -> bool {
    std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() == Ok("1")
}

/// Prints SKIPPED (or fails under IRONLOOM_REQUIRE_PEERS=1).
fn skip(why: &str) {
    assert!(
        !require_peers(),
        "{why} (IRONLOOM_REQUIRE_PEERS=1): run scripts/install-test-peers.sh"
    );
    eprintln!("SKIPPED: {why}");
}

/// Whether a command runs and exits 0.
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python 3.11 or later (the client uses `typing.NotRequired`): `python3` on PATH, which
/// is the test peers' virtual environment when scripts/install-test-peers.sh was evaluated.
fn python() -> Option<&'static str> {
    let check = "import sys; assert sys.version_info >= (3, 11)";
    if succeeds(Command::new("python3").args(["-c", check])) {
        return Some("python3");
    }
    skip("no python3 of version 3.11 or later on PATH");
    None
}

/// Node.js 18 or later, with the TypeScript compiler installed by `npm ci`.
fn node_with_typescript() -> Option<PathBuf> {
    let check = "process.exit(Number(process.versions.node.split('.')[0]) >= 18 ? 0 : 1)";
    if !succeeds(Command::new("node").args(["-e", check])) {
        skip("no Node.js 18 or later on PATH");
        return None;
    }
    let tsc = clients_dir().join("typescript/node_modules/typescript/bin/tsc");
    if !tsc.exists() {
        skip("clients/typescript/node_modules is missing (npm ci in clients/typescript)");
        return None;
    }
    Some(tsc)
}

/// Runs a command to its end (at most `limit`), with its output captured.
fn run(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        out.read_to_end(&mut b).map(|_| b).unwrap_or_default()
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        err.read_to_end(&mut b).map(|_| b).unwrap_or_default()
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let (out, err) = (out_reader.join().unwrap(), err_reader.join().unwrap());
            panic!(
                "{cmd:?} did not finish within {limit:?}:\n--- stdout\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
}

/// `ironloom serve` on a fresh data directory, HTTP on a free port.
struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironloom"))
            .env("IRONLOOM_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "info")
            .env("IRONLOOM__MQTT__ADDR", "127.0.0.1:0")
            .env("IRONLOOM__COAP__ADDR", "127.0.0.1:0")
            .args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Reads to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(i) = line.find("listening on http://") {
                    let addr: String = line[i + 20..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not report its address");
        Server {
            child,
            base: format!("http://{addr}"),
            _data: data,
        }
    }

    /// The environment the client tests read.
    fn env<'a>(&'a self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("IRONLOOM_URL", &self.base)
            .env("IRONLOOM_ADMIN_PASSWORD", ADMIN_PASSWORD)
    }
}

#[test]
fn the_generated_clients_are_made_from_this_api() {
    let Some(python) = python() else { return };
    let doc = run(
        Command::new(env!("CARGO_BIN_EXE_ironloom")).args(["admin", "openapi"]),
        Duration::from_secs(60),
    );
    assert!(doc.status.success(), "ironloom admin openapi failed");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &doc.stdout).unwrap();
    let out = run(
        Command::new(python)
            .arg(clients_dir().join("generate.py"))
            .arg("--check")
            .arg("--openapi")
            .arg(&file),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "the generated clients differ from what this API makes: run python3 clients/generate.py\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_generator_passes_its_own_tests() {
    let Some(python) = python() else { return };
    let out = run(
        Command::new(python)
            .args(["-m", "unittest", "discover", "-s"])
            .arg(clients_dir().join("tests"))
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "clients/tests:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_python_client_works_against_a_running_server() {
    let Some(python) = python() else { return };
    let server = Server::start();
    let mut cmd = Command::new(python);
    cmd.arg(clients_dir().join("python/tests/live_test.py"));
    let out = run(server.env(&mut cmd), Duration::from_secs(180));
    assert_success("the Python client's test", &out);
}

#[test]
fn the_typescript_client_works_against_a_running_server() {
    let Some(tsc) = node_with_typescript() else {
        return;
    };
    let ts = clients_dir().join("typescript");
    // Compiled out of the tree, so parallel runs do not share a directory; Node reads
    // the output as ES modules, as the package declares.
    let out_dir = tempfile::tempdir().unwrap();
    let compiled = run(
        Command::new("node")
            .arg(&tsc)
            .arg("-p")
            .arg(ts.join("tsconfig.json"))
            .arg("--outDir")
            .arg(out_dir.path()),
        Duration::from_secs(180),
    );
    assert_success("tsc", &compiled);
    std::fs::write(out_dir.path().join("package.json"), r#"{"type":"module"}"#).unwrap();
    let server = Server::start();
    let mut cmd = Command::new("node");
    cmd.arg(out_dir.path().join("test/live.test.js"));
    let out = run(server.env(&mut cmd), Duration::from_secs(180));
    assert_success("the TypeScript client's test", &out);
}
