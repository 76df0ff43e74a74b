//! InfluxDB 1.x (Debian `influxdb` 1.6.7).
//!
//! - Started as `influxd run -config FILE` with a private configuration: data, WAL and
//!   meta directories under the work directory, HTTP and RPC on free loopback ports,
//!   reporting, the `_internal` monitor database, HTTP and query logging off. Durability
//!   as shipped: `wal-fsync-delay = 0s` (fsync on every write), TSM engine, `inmem`
//!   index (the default; fine for ≤ 40 000 series).
//! - Two settings are lowered so the benchmark does not have to wait hours for work the
//!   server would do anyway: `cache-snapshot-write-cold-duration` 10 m → 5 s (write the
//!   last in-memory data to TSM) and `compact-full-write-cold-duration` 4 h → 30 s (full
//!   compaction of a shard that no longer receives writes). They only apply once writes
//!   stop, so they do not change ingest.
//! - Ingest: line protocol on `/write?db=bench&precision=ms`, measurement `m`, tag
//!   `device`, 10 float fields, batches of 5000 lines, concurrent writers.
//! - Settle: wait until the cache is snapshotted, the WAL is empty, no compaction is
//!   active or queued (`SHOW STATS`), the full-compaction delay has passed, and the size
//!   of `data` + `wal` has stopped changing.
//! - Queries: InfluxQL on `/query?epoch=ms`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use ironloom_bench_common::http::send_ok;
use ironloom_bench_common::process::{Proc, free_port};
use serde::Deserialize;
use serde_json::Value;
use tokio::process::Command;

use crate::dataset::{Dataset, METRIC_SPECS, MS_PER_DAY};
use crate::encode::{Format, MEASUREMENT};
use crate::peers::{metric_index, wait_disk_stable};
use crate::server::{debian_package_version, disk_usage, http_client};
use crate::target::{Feed, IngestReport, Sample, Target, TargetContext, run_writers};

const BINARY: &str = "influxd";
const DB: &str = "bench";
const ROWS_PER_BATCH: usize = 5000;
const DEFAULT_WRITERS: usize = 2;
const FULL_COMPACTION_COLD: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct InfluxTarget {
    ctx: TargetContext,
    server: Proc,
    base: String,
    http: reqwest::Client,
    data_dir: PathBuf,
    wal_dir: PathBuf,
    version: String,
    writers: usize,
    last_write: Option<Instant>,
}

impl InfluxTarget {
    pub async fn start(ctx: TargetContext) -> Result<Self> {
        let data_dir = ctx.dir.join("data");
        let wal_dir = ctx.dir.join("wal");
        let meta_dir = ctx.dir.join("meta");
        let http_port = free_port()?;
        let rpc_port = free_port()?;
        let config = format!(
            r#"reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{meta}"

[data]
  dir = "{data}"
  wal-dir = "{wal}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "5s"
  compact-full-write-cold-duration = "{full_cold}s"

[monitor]
  store-enabled = false

[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false

[logging]
  level = "warn"
"#,
            meta = meta_dir.display(),
            data = data_dir.display(),
            wal = wal_dir.display(),
            full_cold = FULL_COMPACTION_COLD.as_secs(),
        );
        let config_path = ctx.dir.join("influxdb.conf");
        std::fs::write(&config_path, config).context("writing the InfluxDB config")?;
        let mut cmd = Command::new(BINARY);
        cmd.arg("run").arg("-config").arg(&config_path);
        let mut server = Proc::spawn("influx", cmd, &ctx.dir.join("influxd.log"))?;
        let base = format!("http://127.0.0.1:{http_port}");
        let http = http_client()?;
        server
            .wait_http_ok(&format!("{base}/ping"), Duration::from_secs(60))
            .await?;
        send_ok(
            http.post(format!("{base}/query"))
                .form(&[("q", format!("CREATE DATABASE {DB}"))]),
            "CREATE DATABASE",
        )
        .await?;
        let version = debian_package_version("influxdb");
        let writers = ctx.writers.unwrap_or(DEFAULT_WRITERS);
        Ok(Self {
            ctx,
            server,
            base,
            http,
            data_dir,
            wal_dir,
            version,
            writers,
            last_write: None,
        })
    }

    async fn query(&self, q: &str) -> Result<Vec<InfluxSeries>> {
        let resp = send_ok(
            self.http.get(format!("{}/query", self.base)).query(&[
                ("db", DB),
                ("epoch", "ms"),
                ("q", q),
            ]),
            "InfluxDB /query",
        )
        .await?;
        let body: InfluxResponse = resp.json().await.context("parsing the InfluxDB answer")?;
        if let Some(e) = body.error {
            bail!("InfluxDB: {e}");
        }
        let mut out = Vec::new();
        for r in body.results {
            if let Some(e) = r.error {
                bail!("InfluxDB: {e}");
            }
            out.extend(r.series);
        }
        Ok(out)
    }

    /// True when nothing is cached, in the WAL, or being compacted for our database.
    async fn engine_quiet(&self) -> Result<bool> {
        let resp = send_ok(
            self.http
                .get(format!("{}/query", self.base))
                .query(&[("q", "SHOW STATS")]),
            "SHOW STATS",
        )
        .await?;
        let body: InfluxResponse = resp.json().await.context("parsing SHOW STATS")?;
        let mut quiet = true;
        for r in body.results {
            for s in r.series {
                if s.tags.get("database").map(String::as_str) != Some(DB) {
                    continue;
                }
                let Some(row) = s.values.first() else {
                    continue;
                };
                for (col, v) in s.columns.iter().zip(row) {
                    let n = v.as_f64().unwrap_or(0.0);
                    let busy = match s.name.as_str() {
                        "tsm1_cache" => col == "memBytes" && n > 0.0,
                        "tsm1_wal" => col.ends_with("DiskBytes") && n > 0.0,
                        "tsm1_engine" => {
                            (col.ends_with("CompactionsActive") || col.ends_with("CompactionQueue"))
                                && n > 0.0
                        }
                        _ => false,
                    };
                    quiet &= !busy;
                }
            }
        }
        Ok(quiet)
    }
}

fn time_cond(from_ms: i64, to_ms: i64) -> String {
    format!("time >= {from_ms}ms AND time < {to_ms}ms")
}

/// The metric of a result column such as `max_temperature`.
fn column_metric(column: &str, prefix: &str) -> Option<usize> {
    column.strip_prefix(prefix).and_then(metric_index)
}

fn series_device(s: &InfluxSeries) -> Result<usize> {
    s.tags
        .get("device")
        .and_then(|d| Dataset::parse_device_name(d))
        .context("series without a device tag")
}

/// Samples from every metric column (`{prefix}{metric}`) of every row of `s`.
fn samples(s: &InfluxSeries, device: usize, prefix: &str, keep_time: bool) -> Result<Vec<Sample>> {
    let cols: Vec<(usize, usize)> = s
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| column_metric(c, prefix).map(|m| (i, m)))
        .collect();
    let time_col = s
        .columns
        .iter()
        .position(|c| c == "time")
        .context("no time column")?;
    let mut out = Vec::with_capacity(s.values.len() * cols.len());
    for row in &s.values {
        let ts = row.get(time_col).and_then(Value::as_i64);
        for &(i, metric) in &cols {
            let value = row
                .get(i)
                .and_then(Value::as_f64)
                .with_context(|| format!("null or missing {} in {row:?}", s.columns[i]))?;
            out.push(Sample {
                device,
                metric,
                ts_ms: if keep_time { ts } else { None },
                value,
            });
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct InfluxResponse {
    #[serde(default)]
    results: Vec<InfluxResult>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InfluxResult {
    #[serde(default)]
    series: Vec<InfluxSeries>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InfluxSeries {
    name: String,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
    columns: Vec<String>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

#[async_trait]
impl Target for InfluxTarget {
    fn name(&self) -> &str {
        "influx"
    }

    fn describe(&self) -> String {
        format!(
            "{}; TSM, inmem index, wal-fsync-delay=0s; line protocol /write, {} writers × {} lines",
            self.version, self.writers, ROWS_PER_BATCH
        )
    }

    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport> {
        let feed = Feed::new(
            "influx",
            ds,
            Format::LineProtocol,
            ROWS_PER_BATCH,
            self.ctx.ingest_mode,
        )
        .await?;
        let url = format!("{}/write?db={DB}&precision=ms", self.base);
        let started = Instant::now();
        run_writers(&feed.source, self.writers, |_, source| {
            let http = self.http.clone();
            let url = url.clone();
            async move {
                while let Some(batch) = source.next().await {
                    let rows = batch.rows;
                    send_ok(http.post(&url).body(batch.bytes), "InfluxDB /write").await?;
                    source.done(rows);
                }
                Ok(())
            }
        })
        .await?;
        let seconds = started.elapsed().as_secs_f64();
        self.last_write = Some(Instant::now());
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
        let last_write = self.last_write.unwrap_or_else(Instant::now);
        let paths = [self.data_dir.clone(), self.wal_dir.clone()];
        let this = &*self;
        wait_disk_stable(
            "influx",
            &paths,
            Duration::from_secs(2),
            3,
            Duration::from_secs(3600),
            || async move {
                let cold = last_write.elapsed() > FULL_COMPACTION_COLD + Duration::from_secs(5);
                Ok(cold && this.engine_quiet().await?)
            },
        )
        .await?;
        self.server.check_running()
    }

    async fn bytes_on_disk(&self) -> Result<u64> {
        Ok(disk_usage(&self.data_dir)? + disk_usage(&self.wal_dir)?)
    }

    async fn q_latest_all(&self) -> Result<Vec<Sample>> {
        let series = self
            .query(&format!(
                "SELECT last(*) FROM {MEASUREMENT} GROUP BY device"
            ))
            .await?;
        let mut out = Vec::new();
        for s in &series {
            // With several selectors in one query InfluxQL reports time 0, not the
            // samples' own time.
            out.extend(samples(s, series_device(s)?, "last_", false)?);
        }
        Ok(out)
    }

    async fn q_device_5m_avg(
        &self,
        device: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let q = format!(
            "SELECT mean(*) FROM {MEASUREMENT} WHERE device = '{}' AND {} GROUP BY time(5m)",
            Dataset::device_name(device),
            time_cond(from_ms, to_ms)
        );
        let mut out = Vec::new();
        for s in &self.query(&q).await? {
            out.extend(samples(s, device, "mean_", true)?);
        }
        Ok(out)
    }

    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>> {
        let q = format!(
            "SELECT max(*) FROM {MEASUREMENT} WHERE {} GROUP BY device",
            time_cond(day_start_ms, day_start_ms + MS_PER_DAY)
        );
        let mut out = Vec::new();
        for s in &self.query(&q).await? {
            out.extend(samples(s, series_device(s)?, "max_", false)?);
        }
        Ok(out)
    }

    async fn q_raw_series(
        &self,
        device: usize,
        metric: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let q = format!(
            "SELECT {} FROM {MEASUREMENT} WHERE device = '{}' AND {}",
            METRIC_SPECS[metric].name,
            Dataset::device_name(device),
            time_cond(from_ms, to_ms)
        );
        let mut out = Vec::new();
        for s in &self.query(&q).await? {
            out.extend(samples(s, device, "", true)?);
        }
        Ok(out)
    }

    async fn stop(&mut self) -> Result<()> {
        self.server.stop(Duration::from_secs(60)).await
    }
}
