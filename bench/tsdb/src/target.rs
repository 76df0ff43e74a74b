//! What every benchmarked database implements, and the batch feed its writers pull from.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc};

use crate::dataset::{Dataset, METRICS};
use crate::encode::{Format, encode_batches};

/// One value in a query answer. `ts_ms` is `None` when the database does not return the
/// sample's own time (InfluxQL returns epoch 0 for `last(*)` with several fields).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub device: usize,
    pub metric: usize,
    pub ts_ms: Option<i64>,
    pub value: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct IngestReport {
    pub points: u64,
    pub seconds: f64,
}

/// How ingest batches are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IngestMode {
    /// Encode every batch in memory before the clock starts: the database gets both cores
    /// and the figure is its own ingest rate.
    Preencoded,
    /// Generate and encode while sending (one producer thread): end-to-end, the client
    /// competes with the database for the cores.
    Stream,
}

/// What a target gets when it starts.
#[derive(Debug, Clone)]
pub struct TargetContext {
    /// A private directory for the target's data, logs and configuration.
    pub dir: PathBuf,
    pub dataset: Dataset,
    pub ingest_mode: IngestMode,
    /// Concurrent writers; `None` picks the target's default.
    pub writers: Option<usize>,
}

/// A database under test. Every query returns what it received, parsed, so the runner can
/// check it against the generator; nothing is verified inside the timed call.
#[async_trait]
pub trait Target: Send + Sync {
    fn name(&self) -> &str;
    /// Version and the settings that matter, for the report.
    fn describe(&self) -> String;
    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport>;
    /// Flush and compact so the size on disk is final and all data is queryable.
    async fn settle(&mut self) -> Result<()>;
    async fn bytes_on_disk(&self) -> Result<u64>;
    /// (a) The latest value of every series (10 × devices).
    async fn q_latest_all(&self) -> Result<Vec<Sample>>;
    /// (b) One device, all metrics, 5-minute averages over `[from_ms, to_ms)`; `ts_ms` is
    /// the bucket start.
    async fn q_device_5m_avg(&self, device: usize, from_ms: i64, to_ms: i64)
    -> Result<Vec<Sample>>;
    /// (c) The maximum of every metric of every device over `[day_start, day_start + 1 d)`.
    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>>;
    /// (d) Every raw value of one series in `[from_ms, to_ms)`, in time order.
    async fn q_raw_series(
        &self,
        device: usize,
        metric: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>>;
    /// Stop the server gracefully (the guard kills it otherwise).
    async fn stop(&mut self) -> Result<()>;
}

/// Batches shared by a target's concurrent writers.
#[derive(Debug, Clone)]
pub struct BatchSource {
    rx: Arc<Mutex<mpsc::Receiver<Batch>>>,
    sent_rows: Arc<AtomicU64>,
}

#[derive(Debug)]
pub struct Batch {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

impl BatchSource {
    pub async fn next(&self) -> Option<Batch> {
        self.rx.lock().await.recv().await
    }

    /// Record that a batch was accepted by the database (for progress lines).
    pub fn done(&self, rows: u64) {
        self.sent_rows.fetch_add(rows, Ordering::Relaxed);
    }
}

/// Produces the batches of a dataset in time-major order, in `format`.
#[derive(Debug)]
pub struct Feed {
    pub source: BatchSource,
    producer: Option<std::thread::JoinHandle<()>>,
    progress: tokio::task::JoinHandle<()>,
}

impl Feed {
    /// In [`IngestMode::Preencoded`] this returns after every batch is encoded.
    pub async fn new(
        label: &str,
        ds: &Dataset,
        format: Format,
        rows_per_batch: usize,
        mode: IngestMode,
    ) -> Result<Self> {
        let sent_rows = Arc::new(AtomicU64::new(0));
        let total_batches = (ds.rows() as usize).div_ceil(rows_per_batch).max(1);
        let (rx, producer) = match mode {
            IngestMode::Preencoded => {
                let started = Instant::now();
                let (tx, rx) = mpsc::channel(total_batches);
                let ds = ds.clone();
                tokio::task::spawn_blocking(move || {
                    encode_batches(&ds, format, rows_per_batch, |bytes, rows| {
                        tx.try_send(Batch { bytes, rows }).is_ok()
                    })
                })
                .await
                .context("encoding batches")?;
                eprintln!(
                    "[{label}] encoded {total_batches} batches in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                (rx, None)
            }
            IngestMode::Stream => {
                let (tx, rx) = mpsc::channel(8);
                let ds = ds.clone();
                let handle = std::thread::Builder::new()
                    .name("encode".into())
                    .spawn(move || {
                        encode_batches(&ds, format, rows_per_batch, |bytes, rows| {
                            tx.blocking_send(Batch { bytes, rows }).is_ok()
                        })
                    })
                    .context("starting the encoder thread")?;
                (rx, Some(handle))
            }
        };
        let progress = tokio::spawn(report_progress(
            label.to_string(),
            sent_rows.clone(),
            ds.rows(),
            METRICS as u64,
        ));
        Ok(Self {
            source: BatchSource {
                rx: Arc::new(Mutex::new(rx)),
                sent_rows,
            },
            producer,
            progress,
        })
    }

    pub fn sent_rows(&self) -> u64 {
        self.source.sent_rows.load(Ordering::Relaxed)
    }

    pub async fn finish(mut self) -> Result<()> {
        self.progress.abort();
        if let Some(p) = self.producer.take() {
            tokio::task::spawn_blocking(move || p.join())
                .await
                .context("joining the encoder")?
                .map_err(|_| anyhow::anyhow!("the encoder thread panicked"))?;
        }
        Ok(())
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.progress.abort();
    }
}

async fn report_progress(label: String, sent_rows: Arc<AtomicU64>, total_rows: u64, per_row: u64) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tick.tick().await;
        let rows = sent_rows.load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "[{label}] ingest {:.1}/{:.1} M points, {:.0} points/s",
            (rows * per_row) as f64 / 1e6,
            (total_rows * per_row) as f64 / 1e6,
            (rows * per_row) as f64 / secs
        );
    }
}

/// Runs `writers` copies of `writer` over `source` and waits for all; the first error
/// wins.
pub async fn run_writers<F, Fut>(source: &BatchSource, writers: usize, writer: F) -> Result<()>
where
    F: Fn(usize, BatchSource) -> Fut,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..writers.max(1) {
        set.spawn(writer(i, source.clone()));
    }
    let mut first_err = None;
    while let Some(r) = set.join_next().await {
        let r = r.context("writer task failed").and_then(|r| r);
        if let Err(e) = r
            && first_err.is_none()
        {
            first_err = Some(e);
            // No point in sending the rest; the remaining tasks end as cancelled.
            set.abort_all();
        }
    }
    first_err.map_or(Ok(()), Err)
}
