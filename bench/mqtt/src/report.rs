//! The results of a run and their Markdown tables.

use std::fmt::Write as _;

use ironloom_bench_common::machine;
use ironloom_bench_common::run::{fmt_ms, fmt_rate};
use serde::Serialize;

use crate::conn::ErrorCounts;
use crate::ironloom::DevicesCreated;
use crate::load::LoadReport;
use crate::third_party::ToolRun;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub command: String,
    pub started: String,
    pub machine: Machine,
    pub settings: Settings,
    pub brokers: Vec<BrokerResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub connections: usize,
    pub window: usize,
    pub payloads: Vec<String>,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub sources: u8,
    pub idle: Vec<String>,
    pub ironloom_fsync: String,
    pub ironloom_rate_limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    #[serde(flatten)]
    pub facts: machine::Facts,
    pub load_before: String,
    pub load_after: String,
    /// The generator's soft and hard open-files limits.
    pub nofile: String,
    pub ip_local_port_range: String,
    pub nr_open: String,
    pub somaxconn: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let nofile = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                format!(
                    "{} soft / {} hard",
                    f.get(3).unwrap_or(&"?"),
                    f.get(4).unwrap_or(&"?")
                )
            })
            .unwrap_or_default();
        Machine {
            facts: machine::Facts::detect(),
            load_before: machine::load_average(),
            load_after: String::new(),
            nofile,
            ip_local_port_range: machine::read_trim("/proc/sys/net/ipv4/ip_local_port_range"),
            nr_open: machine::read_trim("/proc/sys/fs/nr_open"),
            somaxconn: machine::read_trim("/proc/sys/net/core/somaxconn"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct BrokerResult {
    pub broker: String,
    pub version: String,
    pub settings: String,
    pub devices: Option<DevicesCreated>,
    /// One throughput run per payload kind, in order, on the same broker process.
    pub runs: Vec<LoadRun>,
    /// The broker's resident memory after the throughput run, and its peak.
    pub rss_after_load_kib: Option<u64>,
    pub hwm_after_load_kib: Option<u64>,
    pub third_party: Vec<ToolRun>,
    pub idle: Vec<IdleResult>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadRun {
    pub load: LoadReport,
    pub stored: Option<StoredCheck>,
}

/// Ironloom only: what the engine holds after the run.
#[derive(Debug, Clone, Serialize)]
pub struct StoredCheck {
    /// Every acknowledged message × 10.
    pub acked_points: u64,
    /// `count` of `v0` … `v9` over the run, from the engine.
    pub stored_points: u64,
    pub series: usize,
    pub stats: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleResult {
    pub attempted: usize,
    pub connected: usize,
    /// Connections that answered a PINGREQ after the settle time.
    pub held: u64,
    pub lost: u64,
    pub connect_seconds: f64,
    pub connects_per_second: f64,
    pub connect_errors: ErrorCounts,
    pub broker_rss_before_kib: u64,
    pub broker_rss_after_kib: u64,
    pub kib_per_connection: f64,
    pub broker_open_files: usize,
    pub broker_nofile_limit: u64,
    pub generator_kib_per_connection: f64,
}

/// Microseconds as ms with three significant digits.
fn fmt_us(us: u64) -> String {
    fmt_ms(us as f64 / 1000.0)
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let st = &self.settings;
        let _ = writeln!(s, "MQTT ingest, started {}.", self.started);
        let _ = writeln!(
            s,
            "Machine: {}; load average {} before, {} after.",
            m.facts, m.load_before, m.load_after
        );
        let _ = writeln!(
            s,
            "Limits: open files {} (generator; the brokers inherit it), fs.nr_open {}, \
             ip_local_port_range {}, somaxconn {}.",
            m.nofile, m.nr_open, m.ip_local_port_range, m.somaxconn
        );
        let _ = writeln!(
            s,
            "Load: {} connections × window {} QoS 1 publishes on `v1/devices/me/telemetry`, {} s \
             warm-up + {} s measured per payload; source addresses 127.0.0.1–{}.\n",
            st.connections, st.window, st.warmup_s, st.duration_s, st.sources
        );

        let _ = writeln!(
            s,
            "| broker | payload | connected | msgs/s acked | points/s | p50 ms | p99 ms | p99.9 ms | max ms | unacked | errors | CPU cores: broker / generator / machine | distinct points stored (Ironloom) |"
        );
        let _ = writeln!(
            s,
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
        );
        for b in &self.brokers {
            if b.runs.is_empty() && !b.errors.is_empty() {
                let _ = writeln!(
                    s,
                    "| {} | | failed | | | | | | | | {} | |",
                    b.broker,
                    b.errors.join("; ")
                );
            }
            for run in &b.runs {
                let l = &run.load;
                let stored = match &run.stored {
                    Some(c) => format!(
                        "{} of {} points ({:.2} %)",
                        c.stored_points,
                        c.acked_points,
                        100.0 * c.stored_points as f64 / c.acked_points.max(1) as f64
                    ),
                    None => "–".into(),
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} / {:.2} / {:.2} | {} |",
                    b.broker,
                    format!("{:?}", l.payload).to_lowercase(),
                    l.connected,
                    l.connections,
                    fmt_rate(l.msgs_per_second),
                    fmt_rate(l.points_per_second),
                    fmt_us(l.latency.p50_us),
                    fmt_us(l.latency.p99_us),
                    fmt_us(l.latency.p999_us),
                    fmt_us(l.latency.max_us),
                    l.unacked,
                    l.errors.describe(),
                    l.cpu.broker,
                    l.cpu.generator,
                    l.cpu.machine,
                    stored
                );
            }
        }

        if self.brokers.iter().any(|b| !b.idle.is_empty()) {
            let _ = writeln!(
                s,
                "\nIdle connections (a fresh broker process for each row; RSS = VmRSS of the broker):\n"
            );
            let _ = writeln!(
                s,
                "| broker | attempted | connected | held (ping answered) | connects/s | RSS before | RSS after | KiB per connection | broker fds / limit | generator KiB/conn | connect errors |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
            for b in &self.brokers {
                for i in &b.idle {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {:.1} MiB | {:.1} MiB | {:.2} | {} / {} | {:.2} | {} |",
                        b.broker,
                        i.attempted,
                        i.connected,
                        i.held,
                        fmt_rate(i.connects_per_second),
                        i.broker_rss_before_kib as f64 / 1024.0,
                        i.broker_rss_after_kib as f64 / 1024.0,
                        i.kib_per_connection,
                        i.broker_open_files,
                        i.broker_nofile_limit,
                        i.generator_kib_per_connection,
                        i.connect_errors.describe()
                    );
                }
            }
        }

        for b in &self.brokers {
            for t in &b.third_party {
                let _ = writeln!(
                    s,
                    "\nThird-party tool against {} ({:.1} s, exit {:?}):\n\n```\n$ {}\n{}\n```",
                    b.broker, t.seconds, t.exit, t.command, t.output
                );
            }
        }

        let _ = writeln!(s, "\nBrokers:\n");
        for b in &self.brokers {
            let _ = writeln!(s, "- {}: {}; {}", b.broker, b.version, b.settings);
            if let Some(d) = &b.devices {
                let _ = writeln!(
                    s,
                    "  - devices created over REST: {} in {} import requests, {:.1} s ({:.0} devices/s)",
                    d.devices,
                    d.requests,
                    d.seconds,
                    d.devices as f64 / d.seconds.max(1e-9)
                );
            }
            for run in &b.runs {
                let l = &run.load;
                let _ = writeln!(
                    s,
                    "  - payload `{}` ({} bytes): {} connections opened in {:.1} s; {} publishes sent, {} acknowledged over the whole run",
                    format!("{:?}", l.payload).to_lowercase(),
                    l.payload_bytes,
                    l.connected,
                    l.connect_seconds,
                    l.sent_total,
                    l.acked_total
                );
                if let Some(c) = &run.stored {
                    let _ = writeln!(s, "    - storage stats after it: {}", c.stats);
                }
            }
            if let (Some(r), Some(h)) = (b.rss_after_load_kib, b.hwm_after_load_kib) {
                let _ = writeln!(
                    s,
                    "  - resident memory after the throughput run {:.1} MiB (peak {:.1} MiB)",
                    r as f64 / 1024.0,
                    h as f64 / 1024.0
                );
            }
            for e in &b.errors {
                let _ = writeln!(s, "  - error: {e}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_latencies_in_ms() {
        assert_eq!(fmt_us(1_234), "1.23");
        assert_eq!(fmt_us(12_345), "12.3");
        assert_eq!(fmt_us(123_456), "123");
    }

    #[test]
    fn renders_an_empty_report() {
        let r = Report {
            command: "mqtt-bench".into(),
            started: "now".into(),
            machine: Machine::detect(),
            settings: Settings {
                connections: 1,
                window: 1,
                payloads: vec!["plain".into()],
                warmup_s: 1.0,
                duration_s: 1.0,
                sources: 1,
                idle: vec![],
                ironloom_fsync: "always".into(),
                ironloom_rate_limit: 1000,
            },
            brokers: vec![BrokerResult {
                broker: "x".into(),
                errors: vec!["boom".into()],
                ..Default::default()
            }],
        };
        let md = r.markdown();
        assert!(md.contains("| x | | failed |"), "{md}");
        assert!(md.contains("error: boom"), "{md}");
    }
}
