//! PostgreSQL 15 (Debian `postgresql`), a private cluster.
//!
//! - `initdb` into the work directory (as the `postgres` user when we are root), then
//!   `postgres` on a free loopback port with trust authentication.
//! - Durable, as shipped: `fsync=on`, `synchronous_commit=on`, `full_page_writes=on`,
//!   `wal_level=replica`. Sized for the machine the way a user would for a bulk load:
//!   `shared_buffers=1GB`, `work_mem=64MB`, `maintenance_work_mem=512MB`,
//!   `max_wal_size=4GB` (fewer forced checkpoints during the load). JIT and parallel
//!   query stay at their defaults.
//! - Schema: one wide row per device and tick, `(ts timestamptz, device int, temperature
//!   … state double precision)`, and a b-tree on `(device, ts)`. Wide rows pay the tuple
//!   header (24 B) once per 10 values; a narrow `(ts, device, metric, value)` table is
//!   about 4× larger and slower to load.
//! - Ingest: `COPY … FROM STDIN` text format, streamed on [`DEFAULT_WRITERS`] connections
//!   at once. The index is built after the load by default (as in a bulk migration) and
//!   the time to build it is part of the ingest time; `--pg-index before` keeps it during
//!   the load instead.
//! - Settle: `VACUUM (ANALYZE)` (hint bits, visibility map for index-only scans,
//!   statistics) and `CHECKPOINT`. Size: `pg_total_relation_size('m')` (heap, index, FSM
//!   and VM; WAL is not counted: it is recycled, not data).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use ironloom_bench_common::process::{Proc, StopSignal, free_port};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool, Row as _};
use tokio::process::Command;

use crate::dataset::{Dataset, METRIC_SPECS, MS_PER_DAY};
use crate::encode::{Format, pg_columns};
use crate::server::{is_root, system_user};
use crate::target::{Feed, IngestReport, Sample, Target, TargetContext, run_writers};

const ROWS_PER_BATCH: usize = 10_000;
const DEFAULT_WRITERS: usize = 2;
const USER: &str = "bench";

/// When the `(device, ts)` index is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IndexTiming {
    /// After the COPY, as a bulk migration does (build time counted in ingest).
    After,
    /// Before the COPY, as a live system ingests.
    Before,
}

const SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", "127.0.0.1"),
    ("fsync", "on"),
    ("synchronous_commit", "on"),
    ("full_page_writes", "on"),
    ("shared_buffers", "1GB"),
    ("work_mem", "64MB"),
    ("maintenance_work_mem", "512MB"),
    ("max_wal_size", "4GB"),
    ("max_connections", "20"),
];

#[derive(Debug)]
pub struct PostgresTarget {
    ctx: TargetContext,
    server: Proc,
    pool: PgPool,
    version: String,
    writers: usize,
    index: IndexTiming,
}

fn bin_dir() -> Result<std::path::PathBuf> {
    let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (no /usr/lib/postgresql); run bench/peers/setup.sh")?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .context("no PostgreSQL server binaries under /usr/lib/postgresql")
}

/// A command that runs as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_owner(program: std::path::PathBuf, owner: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(program);
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

/// `$n` as a timestamptz from epoch milliseconds, exact (integer interval arithmetic).
fn ts_param(n: usize) -> String {
    format!("(TIMESTAMPTZ 'epoch' + ${n}::bigint * INTERVAL '1 millisecond')")
}

fn aggregate_columns(f: &str) -> String {
    METRIC_SPECS
        .iter()
        .map(|m| format!("{f}({})", m.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Marks SQL built here as audited: it contains only the constant metric names of
/// [`METRIC_SPECS`] and placeholders; every value is a bind parameter.
fn sql(q: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(q)
}

fn value_columns() -> String {
    METRIC_SPECS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl PostgresTarget {
    pub async fn start(ctx: TargetContext, index: IndexTiming) -> Result<Self> {
        let bin = bin_dir()?;
        let owner = if is_root() {
            Some(system_user("postgres")?)
        } else {
            None
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&ctx.dir, Some(uid), Some(gid))
                .context("handing the work directory to the postgres user")?;
        }
        let data = ctx.dir.join("data");
        let out = as_owner(bin.join("initdb"), owner)
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
            .output()
            .await
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let port = free_port()?;
        let mut cmd = as_owner(bin.join("postgres"), owner);
        cmd.arg("-D").arg(&data).arg("-p").arg(port.to_string());
        cmd.arg("-c")
            .arg(format!("unix_socket_directories={}", ctx.dir.display()));
        for (k, v) in SETTINGS {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        let mut server = Proc::spawn("postgres", cmd, &ctx.dir.join("postgres.log"))?;
        let opts = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(port)
            .username(USER)
            .database("postgres");
        server
            .wait_until(
                "PostgreSQL to accept connections",
                Duration::from_secs(60),
                Duration::from_millis(100),
                || async {
                    sqlx::PgConnection::connect_with(&opts)
                        .await
                        .ok()
                        .map(|_| ())
                },
            )
            .await?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .context("connecting to PostgreSQL")?;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&pool)
            .await?;
        let version = format!("PostgreSQL {version}");
        let writers = ctx.writers.unwrap_or(DEFAULT_WRITERS);
        Ok(Self {
            ctx,
            server,
            pool,
            version,
            writers,
            index,
        })
    }

    async fn create_index(&self) -> Result<()> {
        sqlx::query("CREATE INDEX m_device_ts ON m (device, ts)")
            .execute(&self.pool)
            .await
            .context("creating the (device, ts) index")?;
        Ok(())
    }
}

#[async_trait]
impl Target for PostgresTarget {
    fn name(&self) -> &str {
        "postgres"
    }

    fn describe(&self) -> String {
        let settings: Vec<String> = SETTINGS[1..]
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{}; {}; wide table + btree (device, ts) built {}; COPY text on {} connections",
            self.version,
            settings.join(" "),
            match self.index {
                IndexTiming::After => "after the load",
                IndexTiming::Before => "before the load",
            },
            self.writers
        )
    }

    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport> {
        let mut create =
            String::from("CREATE TABLE m (ts timestamptz NOT NULL, device integer NOT NULL");
        for m in METRIC_SPECS.iter() {
            create.push_str(&format!(", {} double precision NOT NULL", m.name));
        }
        create.push(')');
        sqlx::query(sql(create))
            .execute(&self.pool)
            .await
            .context("creating table m")?;

        let feed = Feed::new(
            "postgres",
            ds,
            Format::PgText,
            ROWS_PER_BATCH,
            self.ctx.ingest_mode,
        )
        .await?;
        let started = Instant::now();
        if self.index == IndexTiming::Before {
            self.create_index().await?;
        }
        let copy = format!("COPY m ({}) FROM STDIN", pg_columns());
        run_writers(&feed.source, self.writers, |_, source| {
            let pool = self.pool.clone();
            let copy = copy.clone();
            async move {
                let mut conn = pool.acquire().await?;
                let mut sink = conn.copy_in_raw(&copy).await.context("starting COPY")?;
                while let Some(batch) = source.next().await {
                    let rows = batch.rows;
                    sink.send(batch.bytes).await.context("sending COPY data")?;
                    source.done(rows);
                }
                sink.finish().await.context("finishing COPY")?;
                Ok(())
            }
        })
        .await?;
        let sent = feed.sent_rows();
        feed.finish().await?;
        if self.index == IndexTiming::After {
            eprintln!(
                "[postgres] COPY done in {:.1} s; building the index",
                started.elapsed().as_secs_f64()
            );
            self.create_index().await?;
        }
        let seconds = started.elapsed().as_secs_f64();
        if sent != ds.rows() {
            bail!("sent {sent} rows of {}", ds.rows());
        }
        Ok(IngestReport {
            points: ds.points(),
            seconds,
        })
    }

    async fn settle(&mut self) -> Result<()> {
        sqlx::query("VACUUM (ANALYZE) m")
            .execute(&self.pool)
            .await
            .context("VACUUM")?;
        sqlx::query("CHECKPOINT")
            .execute(&self.pool)
            .await
            .context("CHECKPOINT")?;
        self.server.check_running()
    }

    async fn bytes_on_disk(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('m')")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn q_latest_all(&self) -> Result<Vec<Sample>> {
        // The platform knows its devices, so a LATERAL top-1 per device walks the
        // (device, ts) index backwards: much faster than DISTINCT ON over the table.
        let devices: Vec<i32> = (0..self.ctx.dataset.devices() as i32).collect();
        let q = format!(
            "SELECT d.device, (extract(epoch FROM l.ts) * 1000)::bigint, {cols}
             FROM unnest($1::int4[]) AS d(device)
             CROSS JOIN LATERAL (
               SELECT ts, {cols} FROM m WHERE m.device = d.device ORDER BY ts DESC LIMIT 1
             ) l",
            cols = value_columns()
        );
        let rows = sqlx::query(sql(q))
            .bind(devices)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len() * METRIC_SPECS.len());
        for r in rows {
            let device: i32 = r.try_get(0)?;
            let ts: i64 = r.try_get(1)?;
            for metric in 0..METRIC_SPECS.len() {
                out.push(Sample {
                    device: device as usize,
                    metric,
                    ts_ms: Some(ts),
                    value: r.try_get(2 + metric)?,
                });
            }
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
            "SELECT (extract(epoch FROM date_bin('5 minutes', ts, TIMESTAMPTZ 'epoch')) * 1000)::bigint AS b, {}
             FROM m WHERE device = $1 AND ts >= {} AND ts < {}
             GROUP BY b ORDER BY b",
            aggregate_columns("avg"),
            ts_param(2),
            ts_param(3)
        );
        let rows = sqlx::query(sql(q))
            .bind(device as i32)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len() * METRIC_SPECS.len());
        for r in rows {
            let b: i64 = r.try_get(0)?;
            for metric in 0..METRIC_SPECS.len() {
                out.push(Sample {
                    device,
                    metric,
                    ts_ms: Some(b),
                    value: r.try_get(1 + metric)?,
                });
            }
        }
        Ok(out)
    }

    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>> {
        let q = format!(
            "SELECT device, {} FROM m WHERE ts >= {} AND ts < {} GROUP BY device",
            aggregate_columns("max"),
            ts_param(1),
            ts_param(2)
        );
        let rows = sqlx::query(sql(q))
            .bind(day_start_ms)
            .bind(day_start_ms + MS_PER_DAY)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len() * METRIC_SPECS.len());
        for r in rows {
            let device: i32 = r.try_get(0)?;
            for metric in 0..METRIC_SPECS.len() {
                out.push(Sample {
                    device: device as usize,
                    metric,
                    ts_ms: None,
                    value: r.try_get(1 + metric)?,
                });
            }
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
            "SELECT (extract(epoch FROM ts) * 1000)::bigint, {} FROM m
             WHERE device = $1 AND ts >= {} AND ts < {} ORDER BY ts",
            METRIC_SPECS[metric].name,
            ts_param(2),
            ts_param(3)
        );
        let rows = sqlx::query(sql(q))
            .bind(device as i32)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Sample {
                    device,
                    metric,
                    ts_ms: Some(r.try_get(0)?),
                    value: r.try_get(1)?,
                })
            })
            .collect()
    }

    async fn stop(&mut self) -> Result<()> {
        self.pool.close().await;
        // SIGINT: PostgreSQL's fast shutdown.
        self.server
            .stop_with(StopSignal::Int, Duration::from_secs(60))
            .await
    }
}
