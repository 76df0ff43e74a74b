//! The brokers under test as private child processes: Ironloom (`ironloom serve` on a
//! temporary data directory) and mosquitto (a generated configuration), each on free
//! loopback ports. A [`Broker`] kills its process when dropped, so an error or Ctrl-C
//! never leaves one running. Memory and file-descriptor figures come from `/proc`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// A free TCP port on 127.0.0.1 (bound and released; the broker binds it right after).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// Which broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Ironloom,
    Mosquitto,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ironloom => "ironloom",
            Kind::Mosquitto => "mosquitto",
        }
    }
}

/// How Ironloom is started.
#[derive(Debug, Clone)]
pub struct IronloomSettings {
    pub bin: PathBuf,
    pub data_dir: PathBuf,
    /// `[tsdb] fsync`: `always`, `never` or an interval.
    pub fsync: String,
    pub max_connections: usize,
    /// `[mqtt] rate_limit` / `rate_burst` (messages per second per device).
    pub rate_limit: u32,
    pub password: String,
}

/// A running broker, killed on drop.
#[derive(Debug)]
pub struct Broker {
    pub kind: Kind,
    child: Child,
    log: PathBuf,
    pub mqtt: SocketAddr,
    /// Ironloom's HTTP base URL.
    pub http: Option<String>,
}

impl Broker {
    pub async fn start_ironloom(s: &IronloomSettings, logs: &Path) -> Result<Broker> {
        std::fs::create_dir_all(&s.data_dir)?;
        let (http_port, mqtt_port) = (free_port()?, free_port()?);
        let cmd = ironloom_command(s, http_port, mqtt_port);
        let log = logs.join(format!("ironloom-{mqtt_port}.log"));
        let mut b = Broker::spawn(Kind::Ironloom, cmd, &log, mqtt_port)?;
        b.http = Some(format!("http://127.0.0.1:{http_port}"));
        let client = reqwest::Client::new();
        let ready = format!("http://127.0.0.1:{http_port}/readyz");
        b.wait_until("ironloom /readyz", Duration::from_secs(120), || {
            let (client, ready) = (client.clone(), ready.clone());
            async move {
                client
                    .get(&ready)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await?;
        b.wait_mqtt().await?;
        Ok(b)
    }

    pub async fn start_mosquitto(bin: &Path, dir: &Path) -> Result<Broker> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let conf = dir.join(format!("mosquitto-{port}.conf"));
        std::fs::write(&conf, mosquitto_config(port))
            .with_context(|| format!("writing {}", conf.display()))?;
        let mut cmd = Command::new(bin);
        cmd.arg("-c").arg(&conf);
        let log = dir.join(format!("mosquitto-{port}.log"));
        let mut b = Broker::spawn(Kind::Mosquitto, cmd, &log, port)?;
        b.wait_mqtt().await?;
        Ok(b)
    }

    fn spawn(kind: Kind, mut cmd: Command, log: &Path, mqtt_port: u16) -> Result<Broker> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", kind.name()))?;
        Ok(Broker {
            kind,
            child,
            log: log.to_path_buf(),
            mqtt: SocketAddr::from(([127, 0, 0, 1], mqtt_port)),
            http: None,
        })
    }

    async fn wait_until<F, Fut>(&mut self, what: &str, timeout: Duration, mut ok: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        loop {
            self.check_running()?;
            if ok().await {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!(
                    "timed out after {timeout:?} waiting for {what}; log:\n{}",
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_mqtt(&mut self) -> Result<()> {
        let addr = self.mqtt;
        self.wait_until("the MQTT port", Duration::from_secs(60), || async move {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await
    }

    pub fn pid(&self) -> Result<u32> {
        self.child.id().context("the broker has exited")
    }

    /// Fails, with the end of the log, if the process has exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); log:\n{}",
                self.kind.name(),
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

    pub fn rss_kib(&self) -> Result<u64> {
        proc_status_kib(self.pid()?, "VmRSS")
    }

    pub fn open_files(&self) -> Result<usize> {
        let dir = format!("/proc/{}/fd", self.pid()?);
        Ok(std::fs::read_dir(&dir)
            .with_context(|| dir.clone())?
            .count())
    }

    pub fn nofile_limit(&self) -> Result<u64> {
        nofile_limit(&format!("/proc/{}/limits", self.pid()?))
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(&mut self, grace: Duration) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            eprintln!(
                "[{}] did not stop within {grace:?}; killing it",
                self.kind.name()
            );
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// mosquitto as a broker that stores nothing: no persistence, anonymous clients, no
/// connection limit of its own, only errors and warnings logged (a line per connect
/// would cost it time the other broker does not spend).
pub fn mosquitto_config(port: u16) -> String {
    format!(
        "# Generated by mqtt-bench.\n\
         listener {port} 127.0.0.1\n\
         allow_anonymous true\n\
         max_connections -1\n\
         persistence false\n\
         set_tcp_nodelay true\n\
         log_dest stderr\n\
         log_type error\n\
         log_type warning\n"
    )
}

/// A `kB` field of `/proc/PID/status`, in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    parse_status_kib(&text, field).with_context(|| format!("no {field} in {path}"))
}

fn parse_status_kib(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The soft "Max open files" of a `/proc/…/limits` file.
pub fn nofile_limit(path: &str) -> Result<u64> {
    let text = std::fs::read_to_string(path).with_context(|| path.to_string())?;
    parse_nofile(&text).with_context(|| format!("no open-files limit in {path}"))
}

fn parse_nofile(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

/// `ironloom serve` as the benchmarks run it: every listener on loopback and a port of its
/// own (HTTP and MQTT on the free ports given, CoAP on one the server picks), so that a
/// platform already running on the default ports (1883, 5683) is no obstacle.
fn ironloom_command(s: &IronloomSettings, http_port: u16, mqtt_port: u16) -> Command {
    let mut cmd = Command::new(&s.bin);
    cmd.arg("serve")
        .arg("--demo")
        .arg("--data-dir")
        .arg(&s.data_dir)
        .arg("--http")
        .arg(format!("127.0.0.1:{http_port}"))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{mqtt_port}"))
        .arg("--coap")
        .arg("127.0.0.1:0")
        .env("IRONLOOM_DEMO_PASSWORD", &s.password)
        .env("IRONLOOM_ADMIN_PASSWORD", &s.password)
        // The demo tenant without its simulated equipment: only the benchmark's load.
        .env("IRONLOOM_DEMO_EQUIPMENT", "off")
        .env("IRONLOOM__LOG__LEVEL", "warn")
        .env("IRONLOOM__TSDB__FSYNC", &s.fsync)
        .env(
            "IRONLOOM__MQTT__MAX_CONNECTIONS",
            s.max_connections.to_string(),
        )
        .env("IRONLOOM__MQTT__RATE_LIMIT", s.rate_limit.to_string())
        .env(
            "IRONLOOM__MQTT__RATE_BURST",
            s.rate_limit.saturating_mul(2).to_string(),
        );
    cmd
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_proc_fields() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1234 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(1234));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95000                95000                processes \n\
                      Max open files            20000                20000                files     \n";
        assert_eq!(parse_nofile(limits), Some(20000));
        assert!(proc_status_kib(std::process::id(), "VmRSS").unwrap() > 0);
        assert!(nofile_limit("/proc/self/limits").unwrap() > 0);
    }

    #[test]
    fn mosquitto_config_stores_nothing() {
        let c = mosquitto_config(1888);
        assert!(c.contains("listener 1888 127.0.0.1\n"));
        assert!(c.contains("persistence false\n"));
        assert!(c.contains("max_connections -1\n"));
    }

    #[test]
    fn ironloom_listens_on_private_ports() {
        let s = IronloomSettings {
            bin: "ironloom".into(),
            data_dir: "data".into(),
            fsync: "always".into(),
            max_connections: 10,
            rate_limit: 100,
            password: "p".into(),
        };
        let cmd = ironloom_command(&s, 18080, 11883);
        let args: Vec<&std::ffi::OsStr> = cmd.as_std().get_args().collect();
        for pair in [
            ["--http", "127.0.0.1:18080"],
            ["--mqtt", "127.0.0.1:11883"],
            ["--coap", "127.0.0.1:0"],
        ] {
            assert!(args.windows(2).any(|w| w == pair), "{pair:?} in {args:?}");
        }
    }
}
