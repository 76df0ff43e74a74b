//! Running the asyncua (Python) peers: found on PATH as `python` (scripts/
//! install-test-peers.sh puts its virtual environment there) or `python3`. Without asyncua
//! the peer tests skip with a SKIPPED line, unless IRONLOOM_REQUIRE_PEERS=1 makes its
//! absence a failure.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::WAIT;

/// The Python interpreter that has asyncua, if any.
pub fn python() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        ["python", "python3"].into_iter().find(|py| {
            std::process::Command::new(py)
                .args(["-c", "import asyncua"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    })
}

/// The interpreter, or `None` after printing why the test skips; panics when peers are
/// required.
pub fn python_or_skip(test: &str) -> Option<&'static str> {
    let py = python();
    if py.is_none() {
        if std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{test}: IRONLOOM_REQUIRE_PEERS=1 but no python with asyncua on PATH");
        }
        eprintln!(
            "SKIPPED: {test}: no python with asyncua on PATH (run scripts/install-test-peers.sh)"
        );
    }
    py
}

pub fn script(name: &str) -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("tests/peers")
        .join(name)
}

/// A port free right now (the asyncua server must be told its port up front).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The asyncua server of `tests/peers/asyncua_server.py`.
pub struct PyServer {
    pub child: Child,
    pub port: u16,
}

impl PyServer {
    pub async fn start(py: &str, port: u16, args: &[&str]) -> PyServer {
        let mut child = Command::new(py)
            .arg(script("asyncua_server.py"))
            .arg("--port")
            .arg(port.to_string())
            .args(args)
            .stdout(Stdio::piped())
            // Its log is noise unless a test is being debugged.
            .stderr(if std::env::var_os("IRONLOOM_PEER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(WAIT, async {
            while let Some(l) = lines.next_line().await.unwrap() {
                if l.trim() == "READY" {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "asyncua server did not start");
        PyServer { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("opc.tcp://127.0.0.1:{}/ironloom/peer/", self.port)
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap().to_string();
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    }

    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// Runs a Python script to completion and returns its stdout; panics with its output when
/// it fails.
pub async fn run_script(py: &str, name: &str, args: &[&str]) -> String {
    let out = tokio::time::timeout(
        WAIT * 2,
        Command::new(py)
            .arg(script(name))
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("script finished")
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
