//! The peer measured in the same run: pymodbus (`peer/pymodbus_reader.py`) reading the
//! same registers from the same simulator, 125 per request, as fast as it can. It reads
//! only; it forwards nothing.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use ironloom_bench_common::process::Proc;
use ironloom_bench_common::procfs::CpuMark;

use crate::gwconfig::DeviceRange;

/// The script, shipped inside the binary so the harness runs from anywhere.
pub const SCRIPT: &str = include_str!("../peer/pymodbus_reader.py");

/// What the script printed, plus what `/proc` said about it and the simulator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerResult {
    pub pymodbus: String,
    pub python: String,
    pub connections: usize,
    pub requests_per_cycle: usize,
    pub seconds: f64,
    pub points: u64,
    pub requests: u64,
    pub errors: u64,
    pub points_per_second: f64,
    /// Its own CPU (`time.process_time()`) over the window.
    pub cpu_seconds: f64,
    pub cores: f64,
    /// Cores of the peer (from `/proc`, warm-up included in neither) and the simulator
    /// while it ran, measured by the harness over the same window.
    #[serde(default)]
    pub proc_cores: Option<f64>,
    #[serde(default)]
    pub simulator_cores: Option<f64>,
    #[serde(default)]
    pub machine_cores: Option<f64>,
}

impl PeerResult {
    pub fn per_core(&self) -> f64 {
        self.points_per_second / self.cores.max(1e-9)
    }
}

/// `[[unit, first, count], …]` for the script.
pub fn ranges_json(devices: &[DeviceRange]) -> String {
    let v: Vec<[u32; 3]> = devices
        .iter()
        .map(|d| [u32::from(d.unit), u32::from(d.first), u32::from(d.count)])
        .collect();
    serde_json::to_string(&v).unwrap_or_default()
}

/// The JSON line the script printed last.
pub fn parse_output(stdout: &str) -> Result<PeerResult> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("the peer printed no result")?;
    serde_json::from_str(line).with_context(|| format!("unreadable peer result: {line}"))
}

/// Runs the peer against the simulator at `modbus` (pid `sim_pid`) and waits for it.
#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename them.
pub async fn run(
    python: &Path,
    dir: &Path,
    modbus: std::net::SocketAddr,
    devices: &[DeviceRange],
    connections: usize,
    warmup: f64,
    duration: f64,
    sim_pid: u32,
    clk_tck: u64,
) -> Result<PeerResult> {
    let script = dir.join("pymodbus_reader.py");
    std::fs::write(&script, SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(&script)
        .arg("--host")
        .arg(modbus.ip().to_string())
        .arg("--port")
        .arg(modbus.port().to_string())
        .arg("--connections")
        .arg(connections.to_string())
        .arg("--ranges")
        .arg(ranges_json(devices))
        .arg("--warmup")
        .arg(warmup.to_string())
        .arg("--duration")
        .arg(duration.to_string());
    let log = dir.join("pymodbus.log");
    let mut p = Proc::spawn("pymodbus", cmd, &log)?;
    let pid = p.pid()?;
    // The harness's own view over (nearly) the script's window.
    tokio::time::sleep(Duration::from_secs_f64(warmup + 0.1)).await;
    let a = CpuMark::take(&[pid, sim_pid]).ok();
    tokio::time::sleep(Duration::from_secs_f64((duration - 0.2).max(0.1))).await;
    let b = CpuMark::take(&[pid, sim_pid]).ok();
    let cores = match (a, b) {
        (Some(a), Some(b)) => Some(a.cores_until(&b, clk_tck)),
        _ => None,
    };
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(duration + 60.0);
    loop {
        let text = p.log_text();
        if text.contains("\"points_per_second\"") {
            let mut r = parse_output(&text)?;
            if let Some((cores, machine)) = &cores {
                r.proc_cores = cores.first().copied();
                r.simulator_cores = cores.get(1).copied();
                r.machine_cores = Some(*machine);
            }
            let _ = p.stop(Duration::from_secs(5)).await;
            return Ok(r);
        }
        if let Err(e) = p.check_running() {
            bail!("pymodbus: {e:#}");
        }
        if std::time::Instant::now() > deadline {
            bail!("pymodbus did not finish; log:\n{}", p.log_tail(20));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_the_result_line() {
        let out = "warning: something\n{\"pymodbus\": \"3.16.1\", \"python\": \"3.11.2\", \
                   \"connections\": 4, \"requests_per_cycle\": 80, \"seconds\": 20.0, \
                   \"points\": 2000000, \"requests\": 16000, \"errors\": 0, \
                   \"points_per_second\": 100000.0, \"cpu_seconds\": 19.0, \"cores\": 0.95}\n";
        let r = parse_output(out).unwrap();
        assert_eq!(r.points, 2_000_000);
        assert!((r.per_core() - 100_000.0 / 0.95).abs() < 1e-6);
        assert!(parse_output("Traceback …\n").is_err());
    }

    #[test]
    fn ranges_for_the_script() {
        let d = crate::gwconfig::layout(2_500, 1000, 2);
        assert_eq!(ranges_json(&d), "[[100,0,1000],[101,0,1000],[102,0,500]]");
    }
}
