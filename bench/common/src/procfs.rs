//! What `/proc` says about a process and the machine: CPU time (`utime + stime` of
//! `/proc/PID/stat`, in clock ticks), memory (`VmRSS`, `VmHWM`), open files and their
//! limit, and the machine's busy CPU time.

use std::time::Instant;

use anyhow::{Context, Result};

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

/// CPU time a process has used (all threads), in clock ticks.
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

/// The file descriptors a process holds.
pub fn open_files(pid: u32) -> Result<usize> {
    let dir = format!("/proc/{pid}/fd");
    Ok(std::fs::read_dir(&dir)
        .with_context(|| dir.clone())?
        .count())
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

/// CPU time the hypervisor gave to something else while this (virtual) machine wanted to
/// run ("steal", the eighth field of the first line of `/proc/stat`), in clock ticks.
pub fn parse_steal_ticks(proc_stat: &str) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

/// CPU readings of several processes and of the machine at one instant.
#[derive(Debug, Clone)]
pub struct CpuMark {
    pub at: Instant,
    pub ticks: Vec<u64>,
    pub machine: u64,
    /// Of `machine`, the time stolen by the hypervisor.
    pub steal: u64,
}

impl CpuMark {
    pub fn take(pids: &[u32]) -> Result<CpuMark> {
        let ticks = pids.iter().map(|&p| cpu_ticks(p)).collect::<Result<_>>()?;
        let text = std::fs::read_to_string("/proc/stat").context("/proc/stat")?;
        Ok(CpuMark {
            at: Instant::now(),
            ticks,
            machine: parse_machine_busy_ticks(&text).context("unreadable /proc/stat")?,
            steal: parse_steal_ticks(&text).unwrap_or(0),
        })
    }

    /// Cores' worth of CPU time the hypervisor took from this machine between `self` and
    /// `later` (0 on a machine that is not virtual).
    pub fn steal_until(&self, later: &CpuMark, clk_tck: u64) -> f64 {
        let secs = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        later.steal.saturating_sub(self.steal) as f64 / clk_tck as f64 / secs
    }

    /// Cores (CPU seconds per second) used by each process between `self` and `later`,
    /// and by the whole machine.
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
    fn reads_memory_and_files() {
        let status = "Name:\tironloom\nVmHWM:\t  204800 kB\nVmRSS:\t   51200 kB\n";
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(51200));
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(204800));
        assert_eq!(parse_status_kib(status, "VmSwap"), None);
        assert!(status_kib(std::process::id(), "VmRSS").unwrap() > 0);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             95000                95000                processes \n\
                      Max open files            20000                20000                files     \n";
        assert_eq!(parse_nofile(limits), Some(20000));
        assert!(nofile_limit("/proc/self/limits").unwrap() > 0);
        assert!(open_files(std::process::id()).unwrap() >= 3);
    }

    #[test]
    fn reads_machine_busy_time() {
        let stat = "cpu  100 5 50 1000 7 3 2 1 0 0\ncpu0 50 2 25 500 3 1 1 0 0 0\n";
        assert_eq!(
            parse_machine_busy_ticks(stat),
            Some(100 + 5 + 50 + 3 + 2 + 1)
        );
        assert_eq!(parse_steal_ticks(stat), Some(1));
        assert_eq!(parse_steal_ticks("cpu  1 2 3\n"), None);
        assert!(machine_busy_ticks().unwrap() > 0);
        assert!(clock_ticks() >= 1);
    }

    #[test]
    fn a_busy_process_uses_cores() {
        let me = [std::process::id()];
        let a = CpuMark::take(&me).unwrap();
        let mut x = 0u64;
        while a.at.elapsed().as_millis() < 300 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
        }
        let b = CpuMark::take(&me).unwrap();
        let (cores, machine) = a.cores_until(&b, clock_ticks());
        // A shared machine gives the loop less than a core, never nothing; this process
        // (other tests run in it meanwhile) never uses more than the whole machine (give
        // or take a clock tick).
        assert!(cores[0] > 0.05, "{cores:?}");
        assert!(cores[0] <= machine + 0.2, "{cores:?} of {machine}");
    }
}
