//! The results: a Markdown table for people and JSON for tools.

use std::fmt::Write as _;

use ironloom_bench_common::machine;
use ironloom_bench_common::run::fmt_ms;
use ironloom_bench_common::stats::percentile;
use serde::Serialize;

use crate::dataset::DatasetConfig;
use crate::target::IngestReport;

#[derive(Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub machine: Machine,
    pub preset: String,
    pub dataset: DatasetConfig,
    pub points: u64,
    pub ingest_mode: String,
    pub runs: usize,
    pub targets: Vec<TargetResult>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub os: String,
}

impl Machine {
    pub fn detect() -> Self {
        Self {
            cpus: machine::cpus().max(1),
            cpu_model: machine::cpu_model().unwrap_or_else(|| "unknown".into()),
            memory_gib: machine::memory_gib().unwrap_or(0.0),
            kernel: machine::kernel(),
            os: machine::os(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TargetResult {
    pub name: String,
    pub description: String,
    pub ingest: Option<IngestReport>,
    pub points_per_second: Option<f64>,
    pub settle_seconds: Option<f64>,
    pub bytes_on_disk: Option<u64>,
    pub bytes_per_point: Option<f64>,
    pub queries: Vec<QueryResult>,
    /// Set when the target failed; what it got through before is kept.
    pub error: Option<String>,
}

impl TargetResult {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            description: String::new(),
            ingest: None,
            points_per_second: None,
            settle_seconds: None,
            bytes_on_disk: None,
            bytes_per_point: None,
            queries: Vec::new(),
            error: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct QueryResult {
    pub id: &'static str,
    pub title: &'static str,
    /// Rows/values the first run returned (all verified).
    pub values: usize,
    pub first_ms: f64,
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub all_ms: Vec<f64>,
}

/// `(median, p95)` by nearest rank.
pub fn median_p95(ms: &[f64]) -> (Option<f64>, Option<f64>) {
    if ms.is_empty() {
        return (None, None);
    }
    let mut v = ms.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (Some(median), percentile(&v, 95.0))
}

fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2} G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

fn bytes(x: u64) -> String {
    let x = x as f64;
    if x >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", x / (1024.0 * 1024.0 * 1024.0))
    } else {
        format!("{:.1} MiB", x / (1024.0 * 1024.0))
    }
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let d = &self.dataset;
        let ticks = d.duration_ms / d.interval_ms;
        let _ = writeln!(
            s,
            "Preset `{}`: {} devices × {} ticks ({} s interval) × 10 metrics = {} points, seed {}; ingest {}; {} timed runs per query.\n",
            self.preset,
            d.devices,
            ticks,
            d.interval_ms / 1000,
            si(self.points as f64),
            d.seed,
            self.ingest_mode,
            self.runs
        );
        let _ = writeln!(
            s,
            "| target | ingest time | points/s | settle | on disk | bytes/point |\n|---|---:|---:|---:|---:|---:|"
        );
        for t in &self.targets {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                t.name,
                t.ingest
                    .as_ref()
                    .map_or("–".into(), |i| format!("{:.1} s", i.seconds)),
                t.points_per_second.map_or("–".into(), si),
                t.settle_seconds.map_or("–".into(), |x| format!("{x:.1} s")),
                t.bytes_on_disk.map_or("–".into(), bytes),
                t.bytes_per_point.map_or("–".into(), |x| format!("{x:.2}")),
            );
        }
        let _ = writeln!(
            s,
            "\nQuery latency in ms, first run / median / p95 of the timed runs (every answer verified):\n"
        );
        let titles: Vec<&str> = self
            .targets
            .iter()
            .find(|t| !t.queries.is_empty())
            .map(|t| t.queries.iter().map(|q| q.title).collect())
            .unwrap_or_default();
        if !titles.is_empty() {
            let _ = writeln!(s, "| target | {} |", titles.join(" | "));
            let _ = writeln!(s, "|---|{}", "---:|".repeat(titles.len()));
            for t in &self.targets {
                let cells: Vec<String> = (0..titles.len())
                    .map(|i| {
                        t.queries.get(i).map_or("–".into(), |q| {
                            format!(
                                "{} / {} / {}",
                                fmt_ms(q.first_ms),
                                q.median_ms.map_or("–".into(), fmt_ms),
                                q.p95_ms.map_or("–".into(), fmt_ms)
                            )
                        })
                    })
                    .collect();
                let _ = writeln!(s, "| {} | {} |", t.name, cells.join(" | "));
            }
        }
        let failed: Vec<&TargetResult> =
            self.targets.iter().filter(|t| t.error.is_some()).collect();
        if !failed.is_empty() {
            let _ = writeln!(s, "\nFailures:\n");
            for t in failed {
                let _ = writeln!(s, "- {}: {}", t.name, t.error.as_deref().unwrap_or(""));
            }
        }
        let _ = writeln!(s, "\nTargets:\n");
        for t in &self.targets {
            let _ = writeln!(s, "- {}: {}", t.name, t.description);
        }
        let m = &self.machine;
        let _ = writeln!(
            s,
            "\nMachine: {} CPUs ({}), {:.1} GiB RAM, {}, Linux {}.\n\nCommand: `{}`",
            m.cpus, m.cpu_model, m.memory_gib, m.os, m.kernel, self.command
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_median_and_p95() {
        assert_eq!(median_p95(&[]), (None, None));
        assert_eq!(median_p95(&[3.0]), (Some(3.0), Some(3.0)));
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(median_p95(&v), (Some(10.5), Some(19.0)));
        let v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(median_p95(&v), (Some(5.5), Some(10.0)));
    }
}
