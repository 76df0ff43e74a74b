//! The processes under test (`ironloom sim modbus`, `ironloom serve`, `ironloom gateway`)
//! as private children on loopback, each logging to its own file and killed when
//! dropped; and what `/proc` says about them: CPU time (`utime + stime` of
//! `/proc/PID/stat`, in clock ticks) and resident memory (`VmRSS`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// A running child process, killed on drop.
#[derive(Debug)]
pub struct Proc {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr into `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<Proc> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
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

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Waits until the log holds `marker` and returns the word right after it (an
    /// address, for `listening on mqtt://`).
    pub async fn wait_for_word(&mut self, marker: &str, timeout: Duration) -> Result<String> {
        self.wait_for(marker, timeout, |t| word_after(t, marker))
            .await
    }

    /// Waits until the log holds `text`.
    pub async fn wait_for_text(&mut self, text: &str, timeout: Duration) -> Result<()> {
        self.wait_for(text, timeout, |t| t.contains(text).then_some(()))
            .await
    }

    async fn wait_for<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        found: impl Fn(&str) -> Option<T>,
    ) -> Result<T> {
        let started = Instant::now();
        loop {
            if let Some(v) = found(&self.log_text()) {
                return Ok(v);
            }
            self.check_running()?;
            if started.elapsed() > timeout {
                bail!(
                    "{} did not log `{what}` within {timeout:?}; log:\n{}",
                    self.name,
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// CPU time used so far (all threads), in clock ticks.
    pub fn cpu_ticks(&self) -> Result<u64> {
        cpu_ticks(self.pid()?)
    }

    pub fn rss_kib(&self) -> Result<u64> {
        status_kib(self.pid()?, "VmRSS")
    }

    pub fn hwm_kib(&self) -> Result<u64> {
        status_kib(self.pid()?, "VmHWM")
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
            eprintln!("[{}] did not stop within {grace:?}; killing it", self.name);
            self.child.kill().await?;
        }
        Ok(())
    }
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

/// `utime + stime` (fields 14 and 15) of a `/proc/PID/stat` line. The command name
/// (field 2) is in parentheses and may hold spaces and parentheses itself, so the fields
/// are counted from the last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): field n is f[n - 3].
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

pub fn cpu_ticks(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    parse_stat_ticks(&text).with_context(|| format!("unreadable {path}"))
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in KiB.
pub fn parse_status_kib(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

pub fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    parse_status_kib(&text, field).with_context(|| format!("no {field} in {path}"))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on when
/// `getconf` is missing).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// Total CPU time of the whole machine (every CPU, every state but idle and iowait),
/// from the first line of `/proc/stat`, in clock ticks.
pub fn parse_machine_busy_ticks(proc_stat: &str) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest, guest_nice are in user).
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7)?;
    Some(busy)
}

pub fn machine_busy_ticks() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/stat").context("/proc/stat")?;
    parse_machine_busy_ticks(&text).context("unreadable /proc/stat")
}

/// CPU readings of several processes at one instant.
#[derive(Debug, Clone)]
pub struct CpuMark {
    pub at: Instant,
    pub ticks: Vec<u64>,
    pub machine: u64,
}

impl CpuMark {
    pub fn take(pids: &[u32]) -> Result<CpuMark> {
        let ticks = pids.iter().map(|&p| cpu_ticks(p)).collect::<Result<_>>()?;
        Ok(CpuMark {
            at: Instant::now(),
            ticks,
            machine: machine_busy_ticks()?,
        })
    }

    /// Cores used by each process between `self` and `later`, and by the machine.
    pub fn cores_until(&self, later: &CpuMark, clk_tck: u64) -> (Vec<f64>, f64) {
        let secs = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / clk_tck as f64 / secs;
        (
            self.ticks
                .iter()
                .zip(&later.ticks)
                .map(|(&a, &b)| cores(a, b))
                .collect(),
            cores(self.machine, later.machine),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_cpu_ticks_from_a_stat_line() {
        // Fields 14 (utime) = 1500 and 15 (stime) = 250; a command name with ") (" in it.
        let line = "4242 (tokio) (x y) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1500 250 0 0 20 0 9 0 \
                    1234 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 17 0 0 0 0 0 0";
        assert_eq!(parse_stat_ticks(line), Some(1750));
        assert_eq!(parse_stat_ticks("1 (x) S 1 2"), None);
        // This process: a real file parses.
        assert!(cpu_ticks(std::process::id()).is_ok());
    }

    #[test]
    fn reads_memory_from_status() {
        let status = "Name:\tironloom\nVmHWM:\t  204800 kB\nVmRSS:\t   51200 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(51200));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(204800));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
        assert!(status_kib(std::process::id(), "VmRSS").unwrap() > 0);
    }

    #[test]
    fn reads_machine_busy_time() {
        let stat = "cpu  100 5 50 1000 7 3 2 1 0 0\ncpu0 50 2 25 500 3 1 1 0 0 0\n";
        assert_eq!(
            parse_machine_busy_ticks(stat),
            Some(100 + 5 + 50 + 3 + 2 + 1)
        );
        assert!(machine_busy_ticks().unwrap() > 0);
        assert!(clock_ticks() >= 1);
    }

    #[test]
    fn finds_the_address_after_a_marker() {
        let log = "2026 INFO MQTT server listening on mqtt://127.0.0.1:40123\n\
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
}
