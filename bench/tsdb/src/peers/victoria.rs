//! VictoriaMetrics (single-node, Debian `victoria-metrics` 1.79.5).
//!
//! - Started with a private `-storageDataPath`, `-retentionPeriod=100y` (the dataset starts
//!   2026-01-01, outside the default one-month retention, and VictoriaMetrics drops
//!   samples outside retention on ingest), `-search.disableCache` (no rollup result cache,
//!   so repeated queries are computed, not served from cache) and a longer
//!   `-search.maxQueryDuration` for the large preset.
//! - Ingest: InfluxDB line protocol on `/write?precision=ms`, batches of 5000 lines (50 000
//!   points), concurrent writers. Field `f` of measurement `m` becomes metric `m_f` with
//!   label `device`.
//! - Settle: `/internal/force_flush` (makes buffered rows searchable), then poll a count
//!   query until it sees every point, then `/internal/force_merge` (asynchronous; we wait
//!   for its log line) and wait until the size on disk stops changing.
//! - Queries: MetricsQL. Rollup windows are `(t - d, t]`, so each is evaluated at
//!   `window end - 1 ms` to cover exactly `[start, end)`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use ironloom_bench_common::http::send_ok;
use ironloom_bench_common::process::{Proc, free_port};
use serde::Deserialize;
use tokio::process::Command;

use crate::dataset::{Dataset, METRIC_SPECS, MS_PER_DAY};
use crate::encode::{Format, MEASUREMENT};
use crate::peers::{metric_index, wait_disk_stable};
use crate::server::{debian_package_version, http_client};
use crate::target::{Feed, IngestReport, Sample, Target, TargetContext, run_writers};

const BINARY: &str = "victoria-metrics";
const ROWS_PER_BATCH: usize = 5000;
const DEFAULT_WRITERS: usize = 2;

#[derive(Debug)]
pub struct VictoriaTarget {
    ctx: TargetContext,
    server: Proc,
    base: String,
    http: reqwest::Client,
    data_dir: PathBuf,
    version: String,
    writers: usize,
}

impl VictoriaTarget {
    pub async fn start(ctx: TargetContext) -> Result<Self> {
        let data_dir = ctx.dir.join("data");
        std::fs::create_dir_all(&data_dir)?;
        let port = free_port()?;
        let mut cmd = Command::new(BINARY);
        cmd.arg(format!("-storageDataPath={}", data_dir.display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=100y")
            .arg("-search.disableCache")
            .arg("-search.maxQueryDuration=30m");
        let mut server = Proc::spawn("victoria", cmd, &ctx.dir.join("victoria-metrics.log"))?;
        let base = format!("http://127.0.0.1:{port}");
        let http = http_client()?;
        server
            .wait_http_ok(&format!("{base}/health"), Duration::from_secs(60))
            .await?;
        let version = debian_package_version("victoria-metrics");
        let writers = ctx.writers.unwrap_or(DEFAULT_WRITERS);
        Ok(Self {
            ctx,
            server,
            base,
            http,
            data_dir,
            version,
            writers,
        })
    }

    async fn instant(&self, query: &str, time_ms: i64) -> Result<Vec<PromSeries>> {
        let resp = send_ok(
            self.http
                .get(format!("{}/api/v1/query", self.base))
                .query(&[("query", query), ("time", &secs(time_ms)), ("nocache", "1")]),
            "VictoriaMetrics query",
        )
        .await?;
        let body: PromResponse = resp.json().await.context("parsing the query answer")?;
        body.into_result()
    }

    async fn count_points(&self) -> Result<u64> {
        let ds = &self.ctx.dataset;
        let window = ds.end_ms() - ds.start_ms();
        let q = format!("sum(count_over_time({{__name__=~\"{MEASUREMENT}_.*\"}}[{window}ms]))");
        let series = self.instant(&q, ds.end_ms() - 1).await?;
        Ok(series
            .first()
            .and_then(|s| s.value.as_ref())
            .map(|v| v.1.parse::<f64>())
            .transpose()?
            .unwrap_or(0.0) as u64)
    }

    fn forced_merges_finished(&self) -> usize {
        std::fs::read_to_string(self.ctx.dir.join("victoria-metrics.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.contains("forced merge for partition_prefix")
                    && l.contains("successfully finished")
            })
            .count()
    }
}

fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

fn metric_of(labels: &std::collections::HashMap<String, String>) -> Result<(usize, usize)> {
    let name = labels.get("__name__").context("series without __name__")?;
    let field = name
        .strip_prefix(MEASUREMENT)
        .and_then(|n| n.strip_prefix('_'))
        .with_context(|| format!("unexpected metric {name}"))?;
    let metric = metric_index(field).with_context(|| format!("unknown metric {name}"))?;
    let device = labels
        .get("device")
        .and_then(|d| Dataset::parse_device_name(d))
        .with_context(|| format!("series {name} without a device label"))?;
    Ok((device, metric))
}

#[derive(Debug, Deserialize)]
struct PromResponse {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<PromData>,
}

#[derive(Debug, Deserialize)]
struct PromData {
    result: Vec<PromSeries>,
}

#[derive(Debug, Deserialize)]
struct PromSeries {
    metric: std::collections::HashMap<String, String>,
    #[serde(default)]
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Option<Vec<(f64, String)>>,
}

impl PromResponse {
    fn into_result(self) -> Result<Vec<PromSeries>> {
        if self.status != "success" {
            bail!("query failed: {}", self.error.unwrap_or_default());
        }
        Ok(self.data.map(|d| d.result).unwrap_or_default())
    }
}

#[derive(Debug, Deserialize)]
struct ExportLine {
    values: Vec<f64>,
    timestamps: Vec<i64>,
}

#[async_trait]
impl Target for VictoriaTarget {
    fn name(&self) -> &str {
        "victoria"
    }

    fn describe(&self) -> String {
        format!(
            "{}; -retentionPeriod=100y -search.disableCache; Influx line protocol /write, {} writers × {} lines",
            self.version, self.writers, ROWS_PER_BATCH
        )
    }

    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport> {
        let feed = Feed::new(
            "victoria",
            ds,
            Format::LineProtocol,
            ROWS_PER_BATCH,
            self.ctx.ingest_mode,
        )
        .await?;
        let url = format!("{}/write?precision=ms", self.base);
        let started = std::time::Instant::now();
        run_writers(&feed.source, self.writers, |_, source| {
            let http = self.http.clone();
            let url = url.clone();
            async move {
                while let Some(batch) = source.next().await {
                    let rows = batch.rows;
                    send_ok(http.post(&url).body(batch.bytes), "VictoriaMetrics /write").await?;
                    source.done(rows);
                }
                Ok(())
            }
        })
        .await?;
        let seconds = started.elapsed().as_secs_f64();
        let sent = feed.sent_rows();
        feed.finish().await?;
        if sent != ds.rows() {
            bail!("sent {sent} rows of {}", ds.rows());
        }
        Ok(IngestReport {
            points: ds.points(),
            seconds,
        })
    }

    async fn settle(&mut self) -> Result<()> {
        send_ok(
            self.http.get(format!("{}/internal/force_flush", self.base)),
            "force_flush",
        )
        .await?;
        let want = self.ctx.dataset.points();
        let started = std::time::Instant::now();
        loop {
            self.server.check_running()?;
            let n = self.count_points().await?;
            if n == want {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                bail!("VictoriaMetrics shows {n} of {want} points after 10 minutes");
            }
            eprintln!("[victoria] {n} of {want} points visible; waiting");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        eprintln!(
            "[victoria] all points visible after {:.1} s; force merge",
            started.elapsed().as_secs_f64()
        );
        let merges_before = self.forced_merges_finished();
        send_ok(
            self.http.get(format!("{}/internal/force_merge", self.base)),
            "force_merge",
        )
        .await?;
        let merge_started = std::time::Instant::now();
        while self.forced_merges_finished() <= merges_before {
            self.server.check_running()?;
            if merge_started.elapsed() > Duration::from_secs(3600) {
                bail!("the forced merge did not finish within an hour");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        eprintln!(
            "[victoria] forced merge finished in {:.1} s",
            merge_started.elapsed().as_secs_f64()
        );
        // Index merges and old-part removal may still be under way.
        wait_disk_stable(
            "victoria",
            std::slice::from_ref(&self.data_dir),
            Duration::from_secs(2),
            3,
            Duration::from_secs(600),
            || async { Ok(true) },
        )
        .await?;
        Ok(())
    }

    async fn bytes_on_disk(&self) -> Result<u64> {
        crate::server::disk_usage(&self.data_dir)
    }

    async fn q_latest_all(&self) -> Result<Vec<Sample>> {
        let ds = &self.ctx.dataset;
        // A live system asks at "now" with a lookback window; the data set ends in the past,
        // so "now" is its end.
        let q = format!("last_over_time({{__name__=~\"{MEASUREMENT}_.*\"}}[1h]) keep_metric_names");
        let series = self.instant(&q, ds.end_ms() - 1).await?;
        series
            .iter()
            .map(|s| {
                let (device, metric) = metric_of(&s.metric)?;
                let v = s.value.as_ref().context("instant result without a value")?;
                Ok(Sample {
                    device,
                    metric,
                    ts_ms: None,
                    value: v.1.parse()?,
                })
            })
            .collect()
    }

    async fn q_device_5m_avg(
        &self,
        device: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        const STEP: i64 = 300_000;
        let q = format!(
            "avg_over_time({{__name__=~\"{MEASUREMENT}_.*\",device=\"{}\"}}[5m]) keep_metric_names",
            Dataset::device_name(device)
        );
        let resp = send_ok(
            self.http
                .get(format!("{}/api/v1/query_range", self.base))
                .query(&[
                    ("query", q.as_str()),
                    ("start", &secs(from_ms + STEP - 1)),
                    ("end", &secs(to_ms - 1)),
                    ("step", "300"),
                    ("nocache", "1"),
                ]),
            "VictoriaMetrics query_range",
        )
        .await?;
        let body: PromResponse = resp
            .json()
            .await
            .context("parsing the query_range answer")?;
        let mut out = Vec::new();
        for s in body.into_result()? {
            let (device, metric) = metric_of(&s.metric)?;
            for (t, v) in s.values.unwrap_or_default() {
                let end_ms = (t * 1000.0).round() as i64 + 1;
                out.push(Sample {
                    device,
                    metric,
                    ts_ms: Some(end_ms - STEP),
                    value: v.parse()?,
                });
            }
        }
        Ok(out)
    }

    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>> {
        let q = format!("max_over_time({{__name__=~\"{MEASUREMENT}_.*\"}}[1d]) keep_metric_names");
        let series = self.instant(&q, day_start_ms + MS_PER_DAY - 1).await?;
        series
            .iter()
            .map(|s| {
                let (device, metric) = metric_of(&s.metric)?;
                let v = s.value.as_ref().context("instant result without a value")?;
                Ok(Sample {
                    device,
                    metric,
                    ts_ms: None,
                    value: v.1.parse()?,
                })
            })
            .collect()
    }

    async fn q_raw_series(
        &self,
        device: usize,
        metric: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let selector = format!(
            "{MEASUREMENT}_{}{{device=\"{}\"}}",
            METRIC_SPECS[metric].name,
            Dataset::device_name(device)
        );
        let resp = send_ok(
            self.http
                .get(format!("{}/api/v1/export", self.base))
                .query(&[
                    ("match[]", selector.as_str()),
                    // Both ends are inclusive.
                    ("start", &secs(from_ms)),
                    ("end", &secs(to_ms - 1)),
                ]),
            "VictoriaMetrics export",
        )
        .await?;
        let body = resp.text().await?;
        let mut out = Vec::new();
        for line in body.lines().filter(|l| !l.is_empty()) {
            let e: ExportLine = serde_json::from_str(line).context("parsing an export line")?;
            if e.values.len() != e.timestamps.len() {
                bail!(
                    "export line with {} values and {} timestamps",
                    e.values.len(),
                    e.timestamps.len()
                );
            }
            for (v, t) in e.values.into_iter().zip(e.timestamps) {
                out.push(Sample {
                    device,
                    metric,
                    ts_ms: Some(t),
                    value: v,
                });
            }
        }
        // Export does not promise order across blocks.
        out.sort_by_key(|s| s.ts_ms);
        Ok(out)
    }

    async fn stop(&mut self) -> Result<()> {
        self.server.stop(Duration::from_secs(60)).await
    }
}
