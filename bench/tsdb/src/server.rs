//! Starting and stopping the peer servers: private directories, free ports, readiness,
//! disk usage. A [`ServerProcess`] kills its process when dropped, so an error or Ctrl-C
//! never leaves a database running.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// A free TCP port on 127.0.0.1 (bound and released; the server binds it right after).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// The uid and gid of a system user, from /etc/passwd.
pub fn system_user(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == name {
            return Ok((f[2].parse()?, f[3].parse()?));
        }
    }
    bail!("no system user {name}")
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Signal used for a graceful stop.
#[derive(Debug, Clone, Copy)]
pub enum StopSignal {
    /// SIGTERM.
    Term,
    /// SIGINT (PostgreSQL: fast shutdown).
    Int,
}

/// A running server, killed on drop.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    stop_signal: StopSignal,
}

impl ServerProcess {
    /// Spawns `cmd` with its stdout and stderr appended to `log`.
    pub fn spawn(
        name: &str,
        mut cmd: Command,
        log: &Path,
        stop_signal: StopSignal,
    ) -> Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Self {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
            stop_signal,
        })
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

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Asks the server to stop, waits up to `grace`, then kills it.
    pub async fn stop(&mut self, grace: Duration) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        if let Some(pid) = self.child.id() {
            let sig = match self.stop_signal {
                StopSignal::Term => "-TERM",
                StopSignal::Int => "-INT",
            };
            let _ = std::process::Command::new("kill")
                .arg(sig)
                .arg(pid.to_string())
                .status();
        }
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                eprintln!("[{}] did not stop within {grace:?}; killing it", self.name);
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// Polls `check` every `every` until it returns `Some`, the server exits, or `timeout`.
pub async fn wait_for<T, F, Fut>(
    server: &mut ServerProcess,
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        server.check_running()?;
        if let Some(v) = check().await {
            return Ok(v);
        }
        if started.elapsed() > timeout {
            bail!(
                "timed out after {timeout:?} waiting for {what}; log:\n{}",
                server.log_tail(30)
            );
        }
        tokio::time::sleep(every).await;
    }
}

/// Bytes allocated on disk under `path` (like `du -s --block-size=1`).
pub fn disk_usage(path: &Path) -> Result<u64> {
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("stat {}", path.display()))?;
    let mut total = meta.blocks() * 512;
    if meta.is_dir() {
        for entry in
            std::fs::read_dir(path).with_context(|| format!("listing {}", path.display()))?
        {
            let entry = entry?;
            match disk_usage(&entry.path()) {
                Ok(n) => total += n,
                // Files come and go while a server compacts.
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(total)
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    })
}

/// The first line a command prints (for versions), or a note that it failed.
pub fn command_line_output(program: &str, args: &[&str]) -> String {
    match std::process::Command::new(program).args(args).output() {
        Ok(o) => {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Err(e) => format!("{program}: {e}"),
    }
}

/// `NAME VERSION` of an installed Debian package (some peer builds print no version).
pub fn debian_package_version(package: &str) -> String {
    let v = command_line_output("dpkg-query", &["-W", "-f", "${Version}", package]);
    format!("{package} {v} (Debian)")
}

/// An HTTP client for talking to a peer on loopback.
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .timeout(Duration::from_secs(1800))
        .build()
        .context("building the HTTP client")
}

/// Sends `req` and fails with the body when the status is not a success.
pub async fn send_ok(req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
    let resp = req
        .send()
        .await
        .with_context(|| format!("{what}: request failed"))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        bail!(
            "{what}: HTTP {status}: {}",
            body.chars().take(500).collect::<String>()
        );
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_disk_usage() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), vec![1u8; 100_000]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), vec![1u8; 50_000]).unwrap();
        let n = disk_usage(dir.path()).unwrap();
        assert!(n >= 150_000, "{n}");
        assert!(n < 200_000, "{n}");
    }

    #[test]
    fn finds_free_ports() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
