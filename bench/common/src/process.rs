//! The processes a harness starts (servers under test, peers, load tools) as private
//! children: each logs to a file of its own and is killed when its [`Proc`] is dropped, so
//! an error or Ctrl-C never leaves one running.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::procfs;

/// A free TCP port on 127.0.0.1 (bound and released; the server binds it right after).
/// For servers that cannot be given port 0 and report the port they bound.
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// The signal that asks a process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGTERM.
    Term,
    /// SIGINT (PostgreSQL: fast shutdown).
    Int,
    /// SIGKILL (a crash, for fail-over rounds).
    Kill,
}

/// A running child process, killed on drop.
#[derive(Debug)]
pub struct Proc {
    pub name: String,
    child: Child,
    pub log: PathBuf,
    /// Where this process's output starts in `log` (a restarted server appends to the
    /// log of the one before).
    log_start: u64,
}

impl Proc {
    /// Starts `cmd` with stdin closed and stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Proc> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let log_start = out.metadata()?.len();
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Proc {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
            log_start,
        })
    }

    pub fn pid(&self) -> Result<u32> {
        self.child
            .id()
            .with_context(|| format!("{} has exited", self.name))
    }

    /// Fails, with the end of the log, if the process has exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); log:\n{}",
                self.name,
                self.log_tail(30)
            );
        }
        Ok(())
    }

    /// What this process has logged so far.
    pub fn log_text(&self) -> String {
        read_from(&self.log, self.log_start)
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Polls `check` every `every` until it returns `Some`, failing when the process exits
    /// or `timeout` passes.
    pub async fn wait_until<T, F, Fut>(
        &mut self,
        what: &str,
        timeout: Duration,
        every: Duration,
        mut check: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(v) = check().await {
                return Ok(v);
            }
            self.check_running()?;
            if started.elapsed() > timeout {
                bail!(
                    "timed out after {timeout:?} waiting for {what} of {}; log:\n{}",
                    self.name,
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Waits until the log holds `marker` and returns the word right after it (an
    /// address, for `listening on mqtt://`).
    pub async fn wait_for_word(&mut self, marker: &str, timeout: Duration) -> Result<String> {
        let (log, start) = (self.log.clone(), self.log_start);
        let what = format!("`{marker}` in the log");
        self.wait_until(&what, timeout, Duration::from_millis(50), || {
            let found = word_after(&read_from(&log, start), marker);
            async move { found }
        })
        .await
    }

    /// Waits until the log holds `text`.
    pub async fn wait_for_text(&mut self, text: &str, timeout: Duration) -> Result<()> {
        let (log, start) = (self.log.clone(), self.log_start);
        let what = format!("`{text}` in the log");
        self.wait_until(&what, timeout, Duration::from_millis(50), || {
            let found = read_from(&log, start).contains(text).then_some(());
            async move { found }
        })
        .await
    }

    /// Waits until `url` answers GET with a success status.
    pub async fn wait_http_ok(&mut self, url: &str, timeout: Duration) -> Result<()> {
        let client = reqwest::Client::new();
        self.wait_until(url, timeout, Duration::from_millis(100), || {
            let request = client.get(url).send();
            async move {
                let ok = request.await.is_ok_and(|r| r.status().is_success());
                ok.then_some(())
            }
        })
        .await
    }

    /// Waits until `addr` accepts TCP connections.
    pub async fn wait_tcp(&mut self, addr: SocketAddr, timeout: Duration) -> Result<()> {
        let what = format!("TCP {addr}");
        self.wait_until(&what, timeout, Duration::from_millis(100), || async move {
            tokio::net::TcpStream::connect(addr).await.ok().map(drop)
        })
        .await
    }

    /// CPU time used so far (all threads), in clock ticks.
    pub fn cpu_ticks(&self) -> Result<u64> {
        procfs::cpu_ticks(self.pid()?)
    }

    pub fn rss_kib(&self) -> Result<u64> {
        procfs::status_kib(self.pid()?, "VmRSS")
    }

    /// The most resident memory it has had.
    pub fn hwm_kib(&self) -> Result<u64> {
        procfs::status_kib(self.pid()?, "VmHWM")
    }

    pub fn open_files(&self) -> Result<usize> {
        procfs::open_files(self.pid()?)
    }

    /// Its soft limit of open files.
    pub fn nofile_limit(&self) -> Result<u64> {
        procfs::nofile_limit(&format!("/proc/{}/limits", self.pid()?))
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(&mut self, grace: Duration) -> Result<()> {
        self.stop_with(StopSignal::Term, grace).await
    }

    /// `signal`, then SIGKILL after `grace`.
    pub async fn stop_with(&mut self, signal: StopSignal, grace: Duration) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        if let Some(pid) = self.child.id() {
            let sig = match signal {
                StopSignal::Term => "-TERM",
                StopSignal::Int => "-INT",
                StopSignal::Kill => "-KILL",
            };
            let _ = std::process::Command::new("kill")
                .arg(sig)
                .arg(pid.to_string())
                .status();
        }
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                eprintln!("[{}] did not stop within {grace:?}; killing it", self.name);
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// The text of `path` from byte `start` on (nothing if it cannot be read).
fn read_from(path: &Path, start: u64) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// The whitespace-delimited word after the first `marker` in `text`.
pub fn word_after(text: &str, marker: &str) -> Option<String> {
    let i = text.find(marker)?;
    let w: String = text[i + marker.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    (!w.is_empty()).then_some(w)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finds_the_address_after_a_marker() {
        let log = "2026 INFO MQTT server listening on mqtt://127.0.0.1:40123 addr=127.0.0.1:40123\n\
                   2026 INFO HTTP server listening on http://127.0.0.1:40999 (API docs: …)\n";
        assert_eq!(
            word_after(log, "listening on mqtt://").as_deref(),
            Some("127.0.0.1:40123")
        );
        assert_eq!(
            word_after(log, "listening on http://").as_deref(),
            Some("127.0.0.1:40999")
        );
        assert_eq!(word_after(log, "listening on coap://"), None);
    }

    #[test]
    fn finds_free_ports() {
        assert_ne!(free_port().unwrap(), 0);
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[tokio::test]
    async fn a_restarted_process_is_read_from_its_own_output() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let mut first = Proc::spawn("first", sh("echo listening on :1111"), &log).unwrap();
        let second_wait = Duration::from_secs(10);
        assert_eq!(
            first
                .wait_for_word("listening on :", second_wait)
                .await
                .unwrap(),
            "1111"
        );
        first.stop(Duration::from_secs(5)).await.unwrap();
        let mut second =
            Proc::spawn("second", sh("echo listening on :2222; sleep 30"), &log).unwrap();
        assert_eq!(
            second
                .wait_for_word("listening on :", second_wait)
                .await
                .unwrap(),
            "2222"
        );
        assert!(std::fs::read_to_string(&log).unwrap().contains("1111"));
        assert!(!second.log_text().contains("1111"));
        assert!(second.rss_kib().unwrap() > 0);
        second.stop(Duration::from_secs(5)).await.unwrap();
        assert!(second.check_running().is_err());
    }

    #[tokio::test]
    async fn waiting_fails_with_the_log_when_the_process_exits() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("broken.log");
        let mut p = Proc::spawn("broken", sh("echo address in use; exit 3"), &log).unwrap();
        let e = p
            .wait_for_text("ready", Duration::from_secs(10))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("broken exited") && e.contains("address in use"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn waits_for_a_tcp_port() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Proc::spawn("sleeper", sh("sleep 30"), &dir.path().join("s.log")).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        p.wait_tcp(addr, Duration::from_secs(5)).await.unwrap();
        // A port bound but not listening refuses connections and, unlike a port just
        // closed, cannot be taken meanwhile by another test of the run.
        let closed = tokio::net::TcpSocket::new_v4().unwrap();
        closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let e = p
            .wait_tcp(closed.local_addr().unwrap(), Duration::from_millis(300))
            .await;
        assert!(e.is_err());
    }
}
