//! Ironloom's own engine (`ironloom-tsdb`), embedded in the benchmark process and driven
//! through its Rust API, as `ironloom serve` drives it.
//!
//! - Settings: the engine's defaults as `ironloom serve` ships them, WAL on with
//!   `fsync = always` (every acknowledged write is on disk) and group commit.
//! - Ingest: time-major batches of [`ROWS_PER_BATCH`] rows (every metric of a device at a
//!   tick becomes 10 points of that device), `writers` threads (default
//!   [`DEFAULT_WRITERS`]); each writer waits until its batch is durable before taking the
//!   next, as a client waits for its HTTP answer. With `--ingest preencoded` the rows are
//!   generated before the clock starts; turning rows into the engine's batches
//!   (`DeviceBatch`, one `String` per point) is inside the timed part.
//! - Settle: flush the memtable and compact every partition; size: `du` of the whole
//!   engine directory (segments, log, catalog snapshot).
//! - Queries: the engine's query API (what the REST handlers call), answers converted to
//!   samples.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use async_trait::async_trait;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{
    AggregateQuery, Aggregation, DeviceBatch, HistoryQuery, Order as QueryOrder, PointIn, Quality,
    Selection, Value,
};
use ironloom_tsdb::{Engine, Options};
use uuid::Uuid;

use crate::dataset::{Dataset, METRIC_SPECS, METRICS, MS_PER_DAY, Order, Row};
use crate::server::disk_usage;
use crate::target::{IngestMode, IngestReport, Sample, Target, TargetContext};

const ROWS_PER_BATCH: usize = 5000;
const DEFAULT_WRITERS: usize = 4;
const TENANT: Uuid = Uuid::from_u128(0x1b0_0000_0000_0000_0000_0000_0000_0001);
const PRODUCT: Uuid = Uuid::from_u128(0x1b0_0000_0000_0000_0000_0000_0000_0002);

fn device_id(device: usize) -> DeviceId {
    DeviceId(Uuid::from_u128(
        0x1b0_0000_0000_0001_0000_0000_0000_0000 + device as u128,
    ))
}

#[derive(Debug)]
pub struct IronloomTarget {
    ctx: TargetContext,
    dir: PathBuf,
    engine: Engine,
    writers: usize,
    devices: HashMap<DeviceId, usize>,
}

impl IronloomTarget {
    pub async fn start(ctx: TargetContext) -> Result<Self> {
        let dir = ctx.dir.join("tsdb");
        let engine = Engine::open(&dir, Options::default())
            .with_context(|| format!("opening the engine in {}", dir.display()))?;
        let writers = ctx.writers.unwrap_or(DEFAULT_WRITERS);
        let devices = (0..ctx.dataset.devices())
            .map(|d| (device_id(d), d))
            .collect();
        Ok(Self {
            ctx,
            dir,
            engine,
            writers,
            devices,
        })
    }

    fn tenant() -> TenantId {
        TenantId(TENANT)
    }

    fn sample(&self, device: DeviceId, property: &str, ts: i64, v: &Value) -> Result<Sample> {
        let device = *self
            .devices
            .get(&device)
            .ok_or_else(|| anyhow!("unknown device {device}"))?;
        let metric = crate::peers::metric_index(property)
            .ok_or_else(|| anyhow!("unknown property {property}"))?;
        let value = match v {
            Value::F64(x) => *x,
            Value::I64(x) => *x as f64,
            other => return Err(anyhow!("unexpected value {other:?}")),
        };
        Ok(Sample {
            device,
            metric,
            ts_ms: Some(ts.div_euclid(1000)),
            value,
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Engine) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || f(engine)).await?
    }
}

/// One batch of rows turned into the engine's write call.
fn to_batches(rows: &[Row]) -> Vec<DeviceBatch> {
    rows.iter()
        .map(|r| DeviceBatch {
            device: device_id(r.device),
            product: Some(ProductId(PRODUCT)),
            points: (0..METRICS)
                .map(|m| PointIn {
                    property: METRIC_SPECS[m].name.to_string(),
                    ts: r.ts_ms * 1000,
                    value: Value::F64(r.values[m]),
                    quality: Quality::Good,
                })
                .collect(),
        })
        .collect()
}

#[async_trait]
impl Target for IronloomTarget {
    fn name(&self) -> &str {
        "ironloom"
    }

    fn describe(&self) -> String {
        let o = self.engine.options();
        format!(
            "ironloom-tsdb {} (embedded, Rust API); WAL fsync={:?}, group commit, memtable {} MiB, \
             partition {} h, chunk {} points; {} writers × {ROWS_PER_BATCH} rows, each waiting \
             for durability",
            env!("CARGO_PKG_VERSION"),
            o.fsync,
            o.memtable_bytes >> 20,
            o.partition / 3_600_000_000,
            o.chunk_points,
            self.writers
        )
    }

    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Row>>(match self.ctx.ingest_mode {
            IngestMode::Preencoded => (ds.rows() as usize).div_ceil(ROWS_PER_BATCH) + 1,
            IngestMode::Stream => 8,
        });
        let produce = {
            let ds = ds.clone();
            move || {
                let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
                for row in ds.all_rows(Order::TimeMajor) {
                    batch.push(row);
                    if batch.len() == ROWS_PER_BATCH {
                        let full =
                            std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_BATCH));
                        if tx.send(full).is_err() {
                            return;
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
            }
        };
        let producer = match self.ctx.ingest_mode {
            IngestMode::Preencoded => {
                let t = Instant::now();
                tokio::task::spawn_blocking(produce).await?;
                eprintln!(
                    "[ironloom] generated {} rows in {:.1} s",
                    ds.rows(),
                    t.elapsed().as_secs_f64()
                );
                None
            }
            IngestMode::Stream => Some(std::thread::spawn(produce)),
        };
        let rx = Arc::new(Mutex::new(rx));
        let started = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..self.writers.max(1) {
            let rx = rx.clone();
            let engine = self.engine.clone();
            handles.push(tokio::task::spawn_blocking(move || -> Result<u64> {
                let tenant = IronloomTarget::tenant();
                let mut points = 0u64;
                loop {
                    let next = rx.lock().map_err(|_| anyhow!("poisoned"))?.recv();
                    let Ok(rows) = next else { break };
                    let outcome = engine.write_blocking(tenant, to_batches(&rows))?;
                    if !outcome.rejected.is_empty() {
                        return Err(anyhow!(
                            "{} points rejected, first: {:?}",
                            outcome.rejected.len(),
                            outcome.rejected[0]
                        ));
                    }
                    points += outcome.accepted;
                }
                Ok(points)
            }));
        }
        let mut points = 0;
        for h in handles {
            points += h.await??;
        }
        let seconds = started.elapsed().as_secs_f64();
        if let Some(p) = producer {
            p.join().map_err(|_| anyhow!("the producer panicked"))?;
        }
        Ok(IngestReport { points, seconds })
    }

    async fn settle(&mut self) -> Result<()> {
        self.blocking(|e| {
            e.flush()?;
            e.compact_all()?;
            Ok(())
        })
        .await
    }

    async fn bytes_on_disk(&self) -> Result<u64> {
        disk_usage(&self.dir)
    }

    async fn q_latest_all(&self) -> Result<Vec<Sample>> {
        let values = self
            .blocking(|e| Ok(e.latest(IronloomTarget::tenant(), &Selection::default())))
            .await?;
        values
            .iter()
            .map(|v| self.sample(v.device, &v.property, v.ts, &v.value))
            .collect()
    }

    async fn q_device_5m_avg(
        &self,
        device: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let q = AggregateQuery {
            selection: Selection {
                devices: vec![device_id(device)],
                properties: Vec::new(),
            },
            from: from_ms * 1000,
            to: to_ms * 1000,
            window: 300_000_000,
            aggregations: vec![Aggregation::Avg],
        };
        let series = self
            .blocking(move |e| Ok(e.aggregate(IronloomTarget::tenant(), &q)?))
            .await?;
        let mut out = Vec::new();
        for s in &series {
            for w in &s.windows {
                if let Some(Some(v)) = w.values.first() {
                    out.push(self.sample(s.device, &s.property, w.ts, v)?);
                }
            }
        }
        Ok(out)
    }

    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>> {
        let q = AggregateQuery {
            selection: Selection::default(),
            from: day_start_ms * 1000,
            to: (day_start_ms + MS_PER_DAY) * 1000,
            window: MS_PER_DAY * 1000,
            aggregations: vec![Aggregation::Max],
        };
        let series = self
            .blocking(move |e| Ok(e.aggregate(IronloomTarget::tenant(), &q)?))
            .await?;
        let mut out = Vec::new();
        for s in &series {
            for w in &s.windows {
                if let Some(Some(v)) = w.values.first() {
                    let mut sample = self.sample(s.device, &s.property, w.ts, v)?;
                    sample.ts_ms = None;
                    out.push(sample);
                }
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
        let q = HistoryQuery {
            selection: Selection {
                devices: vec![device_id(device)],
                properties: vec![METRIC_SPECS[metric].name.to_string()],
            },
            from: from_ms * 1000,
            to: to_ms * 1000,
            order: QueryOrder::Asc,
            limit: 10_000,
            cursor: None,
        };
        let mut out = Vec::new();
        let mut q = q;
        loop {
            let qq = q.clone();
            let page = self
                .blocking(move |e| Ok(e.history(IronloomTarget::tenant(), &qq)?))
                .await?;
            for p in &page.points {
                out.push(self.sample(p.device, &p.property, p.ts, &p.value)?);
            }
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        Ok(out)
    }

    async fn stop(&mut self) -> Result<()> {
        self.blocking(|e| Ok(e.close()?)).await
    }
}
