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
    /// Rounds of the throughput runs (the brokers alternate, each round afresh).
    pub rounds: u32,
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
    /// The round of the throughput runs (from 1).
    pub round: u32,
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

/// Ironloom's throughput runs beside mosquitto's of the same round and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct RatioRow {
    pub payload: String,
    /// Per round that has both.
    pub ratios: Vec<f64>,
    pub ironloom_us: Vec<f64>,
    pub mosquitto_us: Vec<f64>,
}

/// Per payload, in the order run: each round's ratio of acknowledged msgs/s and both
/// brokers' CPU µs per message. Empty unless both brokers ran.
pub fn ratio_rows(brokers: &[BrokerResult]) -> Vec<RatioRow> {
    let payload = |l: &LoadReport| format!("{:?}", l.payload).to_lowercase();
    let us = |l: &LoadReport| l.cpu.broker / l.msgs_per_second.max(1e-9) * 1e6;
    let mut rows: Vec<RatioRow> = Vec::new();
    for i in brokers.iter().filter(|b| b.broker == "ironloom") {
        let Some(m) = brokers
            .iter()
            .find(|m| m.broker == "mosquitto" && m.round == i.round)
        else {
            continue;
        };
        for run in &i.runs {
            let p = payload(&run.load);
            let Some(other) = m.runs.iter().find(|r| payload(&r.load) == p) else {
                continue;
            };
            let (a, b) = (&run.load, &other.load);
            if b.msgs_per_second <= 0.0 {
                continue;
            }
            let k = match rows.iter().position(|r| r.payload == p) {
                Some(k) => k,
                None => {
                    rows.push(RatioRow {
                        payload: p,
                        ratios: Vec::new(),
                        ironloom_us: Vec::new(),
                        mosquitto_us: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[k];
            row.ratios.push(a.msgs_per_second / b.msgs_per_second);
            row.ironloom_us.push(us(a));
            row.mosquitto_us.push(us(b));
        }
    }
    rows
}

/// The middle value (the mean of the two middle ones for an even count); 0 for none.
pub fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Microseconds as ms with three significant digits.
fn fmt_us(us: u64) -> String {
    fmt_ms(us as f64 / 1000.0)
}

impl Report {
    /// The broker's name, with its round when there are several.
    fn label(&self, b: &BrokerResult) -> String {
        if self.settings.rounds > 1 {
            format!("{} #{}", b.broker, b.round)
        } else {
            b.broker.clone()
        }
    }

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
            "| broker | payload | connected | msgs/s acked | points/s | p50 ms | p99 ms | p99.9 ms | max ms | unacked | errors | CPU cores: broker / generator / machine (of it stolen by the host) | distinct points stored (Ironloom) |"
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
                    "| {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} / {:.2} / {:.2} ({:.2}) | {} |",
                    self.label(b),
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
                    l.cpu.steal,
                    stored
                );
            }
        }
        let ratios = ratio_rows(&self.brokers);
        if !ratios.is_empty() {
            let _ = writeln!(
                s,
                "\nIronloom ÷ mosquitto: acknowledged msgs/s of the same payload in the same round; \
                 CPU µs per message = the broker's cores ÷ its msgs/s:\n"
            );
            let _ = writeln!(
                s,
                "| payload | ratio per round | **median ratio** | Ironloom µs/msg per round | median | mosquitto µs/msg per round | median |"
            );
            let _ = writeln!(s, "|---|---|---:|---|---:|---|---:|");
            let list = |v: &[f64], digits: usize| {
                v.iter()
                    .map(|x| format!("{x:.digits$}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            for r in &ratios {
                let _ = writeln!(
                    s,
                    "| {} | {} | **{:.2}** | {} | {:.1} | {} | {:.1} |",
                    r.payload,
                    list(&r.ratios, 2),
                    median(&r.ratios),
                    list(&r.ironloom_us, 1),
                    median(&r.ironloom_us),
                    list(&r.mosquitto_us, 1),
                    median(&r.mosquitto_us),
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
                        self.label(b),
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
            let _ = writeln!(s, "- {}: {}; {}", self.label(b), b.version, b.settings);
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

    fn load(payload: crate::load::PayloadKind, msgs: f64, cores: f64) -> LoadRun {
        LoadRun {
            load: LoadReport {
                connections: 1,
                connected: 1,
                connect_errors: ErrorCounts::default(),
                connect_seconds: 0.0,
                window: 1,
                payload,
                payload_bytes: 0,
                measured_seconds: 1.0,
                acked_measured: msgs as u64,
                msgs_per_second: msgs,
                points_per_second: msgs * 10.0,
                latency: Default::default(),
                sent_total: 0,
                acked_total: 0,
                unacked: 0,
                errors: ErrorCounts::default(),
                last_ts_ms: 0,
                cpu: crate::load::CpuShare {
                    broker: cores,
                    ..Default::default()
                },
            },
            stored: None,
        }
    }

    #[test]
    fn ratios_pair_the_brokers_of_a_round_by_payload() {
        use crate::load::PayloadKind::{Plain, Ts};
        let broker = |name: &str, round, runs| BrokerResult {
            broker: name.into(),
            round,
            runs,
            ..Default::default()
        };
        let brokers = vec![
            broker(
                "ironloom",
                1,
                vec![load(Plain, 60_000.0, 1.2), load(Ts, 50_000.0, 1.0)],
            ),
            broker(
                "mosquitto",
                1,
                vec![load(Plain, 100_000.0, 1.0), load(Ts, 125_000.0, 1.0)],
            ),
            // Round 2: mosquitto ran only `ts`; a round without mosquitto adds nothing.
            broker(
                "ironloom",
                2,
                vec![load(Plain, 70_000.0, 1.4), load(Ts, 66_000.0, 1.32)],
            ),
            broker("mosquitto", 2, vec![load(Ts, 110_000.0, 0.99)]),
            broker("ironloom", 3, vec![load(Ts, 1.0, 1.0)]),
        ];
        let rows = ratio_rows(&brokers);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].payload, "plain");
        assert_eq!(rows[0].ratios, vec![0.6]);
        assert!((rows[0].ironloom_us[0] - 20.0).abs() < 1e-9);
        assert!((rows[0].mosquitto_us[0] - 10.0).abs() < 1e-9);
        assert_eq!(rows[1].payload, "ts");
        assert_eq!(rows[1].ratios, vec![0.4, 0.6]);
        assert!((rows[1].ironloom_us[1] - 20.0).abs() < 1e-9);
        assert!((rows[1].mosquitto_us[1] - 9.0).abs() < 1e-9);
        assert_eq!(median(&rows[1].ratios), 0.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
        assert!(ratio_rows(&brokers[..1]).is_empty());
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
                rounds: 1,
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
