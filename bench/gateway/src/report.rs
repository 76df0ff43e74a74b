//! The results of a run, as JSON and as Markdown tables.

use std::fmt::Write as _;

use ironloom_bench_common::machine;
use ironloom_bench_common::run::{fmt_ms, fmt_rate};
use serde::Serialize;

use crate::latency::LatencyReport;
use crate::peer::PeerResult;

/// Neuron's published figure, quoted for scale (not measured here).
pub const NEURON: &str = "Neuron (EMQ) publishes 100 000 Modbus points/s at 30 % of 4 cores \
                          (about 83 000 points/s per core); not measured here";
/// The issue's target.
pub const TARGET_PER_CORE: f64 = 500_000.0;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub command: String,
    pub started: String,
    pub machine: Machine,
    pub settings: Settings,
    pub sizes: Vec<SizeResult>,
    pub neuron: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub ironloom: String,
    pub connections: usize,
    pub poll_ms: u64,
    pub points_per_device: usize,
    pub warmup_s: f64,
    pub window_s: f64,
    pub batch_points: usize,
    pub batch_delay_ms: u64,
    pub in_flight: usize,
    pub buffer_fsync: bool,
    pub buffer_max: String,
    pub platform_fsync: String,
    pub platform_max_packet: String,
    pub latency_samples: usize,
    pub latency_poll_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    #[serde(flatten)]
    pub facts: machine::Facts,
    pub clk_tck: u64,
    pub load_before: String,
    pub load_after: String,
}

impl Machine {
    pub fn detect(clk_tck: u64) -> Machine {
        Machine {
            facts: machine::Facts::detect(),
            clk_tck,
            load_before: machine::load_average(),
            load_after: String::new(),
        }
    }
}

/// One size (point count).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SizeResult {
    pub points: usize,
    pub devices: usize,
    pub connections: usize,
    pub bulk_units: u8,
    /// Read requests per poll cycle, all connections.
    pub requests_per_cycle: usize,
    /// points × 1000 / poll_ms.
    pub offered_points_per_second: f64,
    pub load_before: String,
    pub gateway: Option<GatewayRun>,
    pub latency: Option<LatencyReport>,
    pub peer: Option<PeerResult>,
    /// perf report of the gateway (top symbols), when asked for.
    pub perf: Option<String>,
    pub errors: Vec<String>,
}

/// The gateway under load, over the measured window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GatewayRun {
    /// Between the first and last health report inside the window (platform clock), and
    /// how many reports the rates are fitted to.
    pub counter_seconds: f64,
    pub counter_reports: usize,
    /// `points_read` of the health reports: samples the batcher took from the drivers.
    pub read_per_second: f64,
    /// Registers the drivers read (Modbus requests × registers per request); above
    /// `read_per_second` while the queue between drivers and batcher grows.
    pub driver_points_per_second: f64,
    pub forwarded_per_second: f64,
    pub acknowledged_per_second: f64,
    pub requests_per_second: f64,
    /// The CPU window (harness clock).
    pub cpu_seconds: f64,
    pub gateway_cores: f64,
    pub platform_cores: f64,
    pub simulator_cores: f64,
    pub machine_cores: f64,
    pub read_per_core: f64,
    pub forwarded_per_core: f64,
    pub acknowledged_per_core: f64,
    pub gateway_rss_kib: u64,
    pub gateway_hwm_kib: u64,
    pub platform_rss_kib: u64,
    pub buffer_pending_points_start: u64,
    pub buffer_pending_points_end: u64,
    pub dropped_points_end: u64,
    /// One point's stored values inside the window, by source timestamp, against one per
    /// poll.
    pub stored_check: Option<StoredCheck>,
    /// Warnings and errors in the logs during the whole run.
    pub gateway_log_warnings: usize,
    pub platform_log_warnings: usize,
    pub first_warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredCheck {
    pub device: String,
    pub property: String,
    pub stored: usize,
    pub expected: f64,
}

fn fmt_mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let st = &self.settings;
        let _ = writeln!(s, "Edge gateway (Modbus), started {}.", self.started);
        let _ = writeln!(
            s,
            "Machine: {}; load average {} before, {} after \
             (every process of the run, and anything else on the machine, shares these CPUs).",
            m.facts, m.load_before, m.load_after
        );
        let _ = writeln!(
            s,
            "Gateway: {}; {} Modbus TCP connection(s) to `ironloom sim modbus`, sub-devices of \
             {} `u16` holding registers, poll every {} ms, max_gap 0, no preprocessing; \
             [uplink] batch_points {}, batch_delay {} ms, in_flight {}, health every 1 s; \
             [buffer] fsync = {} (max {}). Platform: `ironloom serve`, [tsdb] fsync = \"{}\", \
             [mqtt] max_packet_size {}. {} s warm-up, {} s measured; latency: {} changes, \
             latest value polled every {} ms.\n",
            st.ironloom,
            st.connections,
            st.points_per_device,
            st.poll_ms,
            st.batch_points,
            st.batch_delay_ms,
            st.in_flight,
            st.buffer_fsync,
            st.buffer_max,
            st.platform_fsync,
            st.platform_max_packet,
            st.warmup_s,
            st.window_s,
            st.latency_samples,
            st.latency_poll_ms
        );
        let _ = writeln!(
            s,
            "| points | conns | poll ms | offered pts/s | driver pts/s | read pts/s | acked pts/s | gateway cores | **read pts/s per core** | acked pts/s per core | gateway RSS | platform cores | simulator cores | machine cores | latency p50 / p90 / max ms | pymodbus pts/s | pymodbus cores | pymodbus pts/s per core |"
        );
        let _ = writeln!(
            s,
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"
        );
        for z in &self.sizes {
            let mut row = format!(
                "| {} | {} | {} | {} ",
                z.points,
                z.connections,
                st.poll_ms,
                fmt_rate(z.offered_points_per_second)
            );
            match &z.gateway {
                Some(g) => {
                    let _ = write!(
                        row,
                        "| {} | {} | {} | {:.2} | **{}** | {} | {} | {:.2} | {:.2} | {:.2} ",
                        fmt_rate(g.driver_points_per_second),
                        fmt_rate(g.read_per_second),
                        fmt_rate(g.acknowledged_per_second),
                        g.gateway_cores,
                        fmt_rate(g.read_per_core),
                        fmt_rate(g.acknowledged_per_core),
                        fmt_mib(g.gateway_rss_kib),
                        g.platform_cores,
                        g.simulator_cores,
                        g.machine_cores
                    );
                }
                None => row.push_str("| failed | | | | | | | | | "),
            }
            match z.latency.as_ref().and_then(|l| l.total) {
                Some(l) => {
                    let _ = write!(
                        row,
                        "| {} / {} / {} ",
                        fmt_ms(l.p50),
                        fmt_ms(l.p90),
                        fmt_ms(l.max)
                    );
                }
                None => row.push_str("| – "),
            }
            match &z.peer {
                Some(p) => {
                    let _ = write!(
                        row,
                        "| {} | {:.2} | {} |",
                        fmt_rate(p.points_per_second),
                        p.cores,
                        fmt_rate(p.per_core())
                    );
                }
                None => row.push_str("| – | – | – |"),
            }
            let _ = writeln!(s, "{row}");
        }
        let _ = writeln!(
            s,
            "\nTarget: ≥ {} points/s per core. For scale: {}. pymodbus {} reads the same \
             registers from the same simulator, 125 per request, over the same number of \
             connections, as fast as it can, after the gateway stopped; it only reads \
             (nothing is decoded into points, buffered or forwarded).\n",
            fmt_rate(TARGET_PER_CORE),
            self.neuron,
            self.sizes
                .iter()
                .find_map(|z| z.peer.as_ref().map(|p| p.pymodbus.clone()))
                .unwrap_or_else(|| "(not run)".into())
        );
        for z in &self.sizes {
            let _ = writeln!(
                s,
                "{} points: {} sub-devices on {} bulk unit(s), {} requests per poll cycle; load average {} before.",
                z.points, z.devices, z.bulk_units, z.requests_per_cycle, z.load_before
            );
            if let Some(g) = &z.gateway {
                let _ = writeln!(
                    s,
                    "- gateway counters ({} health reports over {:.1} s, least-squares rates): \
                     {:.0} Modbus requests/s = {} points/s read by the drivers; {}/s taken by the \
                     batcher (`points_read`), forwarded into the buffer {}/s, \
                     acknowledged {}/s; per gateway core: read {}, \
                     forwarded {}, acknowledged {}; buffer pending {} points at the start, {} at \
                     the end; dropped {}",
                    g.counter_reports,
                    g.counter_seconds,
                    g.requests_per_second,
                    fmt_rate(g.driver_points_per_second),
                    fmt_rate(g.read_per_second),
                    fmt_rate(g.forwarded_per_second),
                    fmt_rate(g.acknowledged_per_second),
                    fmt_rate(g.read_per_core),
                    fmt_rate(g.forwarded_per_core),
                    fmt_rate(g.acknowledged_per_core),
                    g.buffer_pending_points_start,
                    g.buffer_pending_points_end,
                    g.dropped_points_end
                );
                let _ = writeln!(
                    s,
                    "- CPU over {:.1} s: gateway {:.2}, platform {:.2}, simulator {:.2}, machine {:.2} \
                     cores; gateway RSS {} (peak {}), platform RSS {}",
                    g.cpu_seconds,
                    g.gateway_cores,
                    g.platform_cores,
                    g.simulator_cores,
                    g.machine_cores,
                    fmt_mib(g.gateway_rss_kib),
                    fmt_mib(g.gateway_hwm_kib),
                    fmt_mib(g.platform_rss_kib)
                );
                if let Some(c) = &g.stored_check {
                    let _ = writeln!(
                        s,
                        "- stored: {} values of {}/{} with source timestamps in the window (one per poll would be {:.0})",
                        c.stored, c.device, c.property, c.expected
                    );
                }
                let _ = writeln!(
                    s,
                    "- log warnings/errors: gateway {}, platform {}{}",
                    g.gateway_log_warnings,
                    g.platform_log_warnings,
                    if g.first_warnings.is_empty() {
                        String::new()
                    } else {
                        format!("; first: `{}`", g.first_warnings.join("` · `"))
                    }
                );
            }
            if let Some(l) = &z.latency {
                let part = |x: &Option<crate::latency::Summary>| match x {
                    Some(x) => format!("{} / {} / {}", fmt_ms(x.p50), fmt_ms(x.p90), fmt_ms(x.max)),
                    None => "–".into(),
                };
                let _ = writeln!(
                    s,
                    "- latency p50 / p90 / max ms ({} samples, {} timed out): change → stored and \
                     visible {}; of which change → gateway read (source timestamp) {}, and read → \
                     visible through `GET …/telemetry/latest` {}",
                    l.total.map_or(0, |t| t.samples),
                    l.timeouts,
                    part(&l.total),
                    part(&l.to_read),
                    part(&l.read_to_visible)
                );
            }
            if let Some(p) = &z.peer {
                let _ = writeln!(
                    s,
                    "- pymodbus {} (Python {}): {} points/s over {:.1} s, {} requests, {} errors; \
                     its CPU {:.2} cores (harness: {}); simulator {} cores meanwhile",
                    p.pymodbus,
                    p.python,
                    fmt_rate(p.points_per_second),
                    p.seconds,
                    p.requests,
                    p.errors,
                    p.cores,
                    p.proc_cores.map_or("–".into(), |c| format!("{c:.2}")),
                    p.simulator_cores.map_or("–".into(), |c| format!("{c:.2}"))
                );
            }
            for e in &z.errors {
                let _ = writeln!(s, "- error: {e}");
            }
            if let Some(p) = &z.perf {
                let _ = writeln!(
                    s,
                    "- perf (gateway, top symbols by self time):\n\n```\n{p}\n```"
                );
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_failed_and_measured_sizes() {
        let r = Report {
            command: "gateway-bench".into(),
            started: "now".into(),
            machine: Machine::detect(100),
            settings: Settings {
                ironloom: "ironloom 0.1.0".into(),
                connections: 4,
                poll_ms: 100,
                points_per_device: 1000,
                warmup_s: 5.0,
                window_s: 20.0,
                batch_points: 10_000,
                batch_delay_ms: 50,
                in_flight: 32,
                buffer_fsync: true,
                buffer_max: "1GiB".into(),
                platform_fsync: "always".into(),
                platform_max_packet: "16MiB".into(),
                latency_samples: 20,
                latency_poll_ms: 5,
            },
            sizes: vec![
                SizeResult {
                    points: 10_000,
                    gateway: Some(GatewayRun {
                        read_per_second: 100_000.0,
                        gateway_cores: 0.5,
                        read_per_core: 200_000.0,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                SizeResult {
                    points: 100_000,
                    errors: vec!["boom".into()],
                    ..Default::default()
                },
            ],
            neuron: NEURON.into(),
        };
        let md = r.markdown();
        assert!(md.contains("| 10000 | 0 | 100 | 0 | 0 | 100.0 k |"), "{md}");
        assert!(md.contains("**200.0 k**"), "{md}");
        assert!(md.contains("| 100000 | 0 | 100 | 0 | failed |"), "{md}");
        assert!(md.contains("- error: boom"), "{md}");
        assert!(md.contains("83 000 points/s per core"), "{md}");
    }
}
