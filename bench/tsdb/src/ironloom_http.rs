//! Ironloom as a server, end to end over its REST API, as the peers are measured.
//!
//! - Server: the `ironloom` binary (`--ironloom-bin` or `IRONLOOM_BIN`, or next to
//!   `tsdb-bench` in the same target directory: `cargo build --release -p ironloom -p
//!   ironloom-bench-tsdb`), started with `serve --demo` on a private data directory with
//!   HTTP, MQTT and CoAP on free loopback ports; default
//!   settings (WAL `fsync = always`, group commit). The demo tenant admin creates a product
//!   and the dataset's devices (`POST /api/v1/devices/import`, CSV).
//! - Ingest, by [`Wire`]: `ironloom-http` sends `POST /api/v1/telemetry` (JSON, many
//!   devices per request, `ts` in ms), [`ROWS_PER_BATCH`] rows (10 points each, about 3 MB)
//!   per request as the peers get 5000 lines, so the server runs with `http.body_limit =
//!   8MiB` (default 1 MiB); `ironloom-line` sends the same rows as InfluxDB line protocol
//!   (`POST /write?precision=ms`, the lines InfluxDB and VictoriaMetrics get, about 0.75 MB
//!   per request) with an API key. `writers` concurrent requests (default
//!   [`DEFAULT_WRITERS`]). The answer comes when the points are in the write-ahead log.
//! - Settle: restart the server (a stop flushes the memtable; after a start every partition
//!   counts as cold) and wait until maintenance has compacted each partition to one
//!   segment and the size on disk is stable. Size: `du` of the time-series directory
//!   (segments, log, latest-value snapshot), not the metadata database.
//! - Queries: (a) `POST /api/v1/telemetry/latest/columns`, (b) `GET
//!   /api/v1/devices/{id}/telemetry/aggregate?interval=5m&agg=avg`, (c) `POST
//!   /api/v1/telemetry/aggregate` with `interval=1d`, `aggregations=[max]`, (d) `GET
//!   /api/v1/devices/{id}/telemetry?properties=…&limit=10000&layout=columns` (arrays of
//!   timestamps and values, as VictoriaMetrics' export and InfluxDB answer); JSON parsed
//!   into samples.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use ironloom_bench_common::http::send_ok;
use ironloom_bench_common::ironloom::{IronloomServer, Session, lift_demo_quota, serve_command};
use ironloom_bench_common::process::Proc;
use serde::Deserialize;
use serde_json::json;

use crate::dataset::{Dataset, METRIC_SPECS, METRICS, MS_PER_DAY, Order, Row};
use crate::peers::{metric_index, wait_disk_stable};
use crate::server::{disk_usage, http_client};
use crate::target::{IngestMode, IngestReport, Sample, Target, TargetContext};

const ROWS_PER_BATCH: usize = 5000;

/// How the target sends its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `POST /api/v1/telemetry`, JSON.
    Json,
    /// `POST /write`, InfluxDB line protocol.
    Line,
}
const DEFAULT_WRITERS: usize = 4;
const PASSWORD: &str = "ironloom-bench-1";

pub struct IronloomHttpTarget {
    ctx: TargetContext,
    bin: PathBuf,
    data_dir: PathBuf,
    server: Option<Proc>,
    /// The demo tenant's administrator on the running server.
    api: Session,
    /// Device uuid per dataset device index, and back.
    ids: Vec<String>,
    by_id: HashMap<uuid::Uuid, usize>,
    /// Queries ask for CBOR answers (`Accept: application/cbor`) instead of JSON.
    cbor: bool,
    writers: usize,
    wire: Wire,
    /// An API key of the demo tenant that may write telemetry (line protocol).
    key: String,
}

impl std::fmt::Debug for IronloomHttpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IronloomHttpTarget")
            .field("base", &self.api.base)
            .finish_non_exhaustive()
    }
}

impl IronloomHttpTarget {
    /// `bin`: the `ironloom` binary.
    /// `cbor`: read query answers as CBOR instead of JSON.
    pub async fn start(ctx: TargetContext, bin: PathBuf, wire: Wire, cbor: bool) -> Result<Self> {
        let data_dir = ctx.dir.join("data");
        std::fs::create_dir_all(&data_dir)?;
        let writers = ctx.writers.unwrap_or(DEFAULT_WRITERS);
        let mut t = Self {
            ctx,
            bin,
            data_dir,
            server: None,
            api: Session {
                base: String::new(),
                http: http_client()?,
                token: String::new(),
            },
            ids: Vec::new(),
            by_id: HashMap::new(),
            cbor,
            writers,
            wire,
            key: String::new(),
        };
        t.launch().await?;
        t.create_devices().await?;
        if wire == Wire::Line {
            let resp = send_ok(
                t.api.post("/api/v1/api-keys").json(&json!({
                    "name": "tsdb-bench", "scopes": ["telemetry:write"],
                })),
                "creating an API key",
            )
            .await?;
            let k: serde_json::Value = resp.json().await?;
            t.key = k["key"].as_str().context("API key")?.to_string();
        }
        Ok(t)
    }

    /// Starts the server (again, after a stop: same data, new ports) and logs in as the
    /// demo tenant's administrator.
    async fn launch(&mut self) -> Result<()> {
        let mut cmd = serve_command(&self.bin, &self.data_dir, "warn");
        cmd.arg("--demo")
            .env("IRONLOOM_DEMO_PASSWORD", PASSWORD)
            .env("IRONLOOM_ADMIN_PASSWORD", PASSWORD)
            // Requests of 5000 rows (50 000 points, ~3 MB of JSON), as the peers get 5000 lines.
            .env("IRONLOOM__HTTP__BODY_LIMIT", "8MiB");
        let log = self.ctx.dir.join("ironloom.log");
        let server = IronloomServer::start(self.name(), cmd, &log).await?;
        self.server = Some(server.proc);
        let demo = json!({"username": "demo", "password": PASSWORD, "tenant": "demo"});
        self.api = Session::login(&self.api.http, &server.http, demo).await?;
        Ok(())
    }

    async fn create_devices(&mut self) -> Result<()> {
        lift_demo_quota(&self.api.http, &self.api.base, PASSWORD).await?;
        let properties: Vec<serde_json::Value> = METRIC_SPECS
            .iter()
            .map(|m| json!({"identifier": m.name, "name": m.name, "data_type": {"type": "float"}}))
            .collect();
        let resp = send_ok(
            self.api.post("/api/v1/products").json(&json!({
                "name": "bench pump",
                "category": "operating",
                "industry": "C",
                "thing_model": {"properties": properties},
            })),
            "creating the product",
        )
        .await?;
        let product: serde_json::Value = resp.json().await?;
        let product = product["id"].as_str().context("product id")?.to_string();
        let n = self.ctx.dataset.devices();
        for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
            let mut csv = String::from("name,product\n");
            for d in chunk {
                let _ = writeln!(csv, "{},{product}", Dataset::device_name(*d));
            }
            send_ok(
                self.api
                    .post("/api/v1/devices/import?mode=atomic")
                    .header("content-type", "text/csv")
                    .body(csv),
                "importing devices",
            )
            .await?;
        }
        self.ids = vec![String::new(); n];
        let mut page = 1;
        loop {
            let resp = send_ok(
                self.api
                    .get(&format!("/api/v1/devices?page={page}&page_size=500")),
                "listing devices",
            )
            .await?;
            let body: serde_json::Value = resp.json().await?;
            let items = body["items"].as_array().context("device list")?;
            if items.is_empty() {
                break;
            }
            for it in items {
                if let (Some(name), Some(id)) = (it["name"].as_str(), it["id"].as_str())
                    && let Some(d) = Dataset::parse_device_name(name)
                    && d < n
                {
                    self.ids[d] = id.to_string();
                    self.by_id.insert(id.parse()?, d);
                }
            }
            page += 1;
        }
        if self.by_id.len() != n {
            bail!("created {} of {n} devices", self.by_id.len());
        }
        Ok(())
    }

    fn encode(&self, rows: &[Row]) -> Vec<u8> {
        if self.wire == Wire::Line {
            let mut out = Vec::with_capacity(rows.len() * 160);
            for r in rows {
                crate::encode::push_line(&mut out, r);
            }
            return out;
        }
        let mut s = String::with_capacity(rows.len() * 620 + 32);
        s.push_str("{\"devices\":[");
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{{\"device\":\"{}\",\"points\":[", self.ids[r.device]);
            for (m, (spec, v)) in METRIC_SPECS.iter().zip(&r.values).enumerate() {
                if m > 0 {
                    s.push(',');
                }
                // `{:?}` prints the shortest text that parses back to the same f64.
                let _ = write!(
                    s,
                    "{{\"property\":\"{}\",\"ts\":{},\"value\":{v:?}}}",
                    spec.name, r.ts_ms
                );
            }
            s.push_str("]}");
        }
        s.push_str("]}");
        s.into_bytes()
    }

    /// Sends a query and reads its answer in the encoding chosen.
    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T> {
        if !self.cbor {
            return Ok(send_ok(req, what).await?.json().await?);
        }
        let resp = send_ok(req.header("accept", "application/cbor"), what).await?;
        let bytes = resp.bytes().await?;
        ciborium::from_reader(&bytes[..]).map_err(|e| anyhow!("{what}: CBOR: {e}"))
    }

    fn sample(
        &self,
        device: &uuid::Uuid,
        property: &str,
        ts: Option<i64>,
        value: f64,
    ) -> Result<Sample> {
        let device = *self
            .by_id
            .get(device)
            .ok_or_else(|| anyhow!("unknown device {device}"))?;
        let metric =
            metric_index(property).ok_or_else(|| anyhow!("unknown property {property}"))?;
        Ok(Sample {
            device,
            metric,
            ts_ms: ts,
            value,
        })
    }

    fn segments(&self) -> usize {
        fn walk(p: &std::path::Path, n: &mut usize) {
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, n);
                    } else if p.extension().is_some_and(|x| x == "seg") {
                        *n += 1;
                    }
                }
            }
        }
        let mut n = 0;
        walk(&self.data_dir.join("tsdb/segments"), &mut n);
        n
    }
}

/// The one aggregate a window was asked for.
fn first(values: &[f64]) -> Result<f64> {
    values
        .first()
        .copied()
        .ok_or_else(|| anyhow!("a window without its value"))
}

/// `POST /telemetry/latest/columns`: per device, its properties' newest points side by side. Values are
/// read as numbers, as a client that knows its thing model does (and as the PostgreSQL
/// target reads `double precision` columns).
#[derive(Debug, Deserialize)]
struct LatestOut {
    series: Vec<LatestDeviceOut>,
}

#[derive(Debug, Deserialize)]
struct LatestDeviceOut {
    device: uuid::Uuid,
    properties: Vec<String>,
    ts: Vec<i64>,
    values: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct AggregateOut {
    series: Vec<SeriesOut>,
}

#[derive(Debug, Deserialize)]
struct SeriesOut {
    device: uuid::Uuid,
    property: String,
    windows: Vec<WindowOut>,
}

#[derive(Debug, Deserialize)]
struct WindowOut {
    ts: i64,
    values: Vec<f64>,
}

#[derive(Debug, Deserialize)]
struct HistoryOut {
    series: Vec<ColumnsOut>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ColumnsOut {
    ts: Vec<i64>,
    values: Vec<f64>,
}

#[async_trait]
impl Target for IronloomHttpTarget {
    fn name(&self) -> &str {
        match self.wire {
            Wire::Json => "ironloom-http",
            Wire::Line => "ironloom-line",
        }
    }

    fn describe(&self) -> String {
        let wire = match self.wire {
            Wire::Json => "POST /api/v1/telemetry JSON",
            Wire::Line => "POST /write line protocol (API key)",
        };
        format!(
            "ironloom {} serve (REST API, defaults: WAL fsync=always, group commit); {wire}, \
             {} writers × {ROWS_PER_BATCH} rows, http.body_limit=8MiB",
            env!("CARGO_PKG_VERSION"),
            self.writers
        )
    }

    async fn ingest(&mut self, ds: &Dataset) -> Result<IngestReport> {
        let (tx, rx) = tokio::sync::mpsc::channel::<(Vec<u8>, u64)>(match self.ctx.ingest_mode {
            IngestMode::Preencoded => (ds.rows() as usize).div_ceil(ROWS_PER_BATCH) + 1,
            IngestMode::Stream => 8,
        });
        let this = &*self;
        let produce = |tx: tokio::sync::mpsc::Sender<(Vec<u8>, u64)>| {
            let mut rows = Vec::with_capacity(ROWS_PER_BATCH);
            for row in ds.all_rows(Order::TimeMajor) {
                rows.push(row);
                if rows.len() == ROWS_PER_BATCH {
                    if tx
                        .blocking_send((this.encode(&rows), (rows.len() * METRICS) as u64))
                        .is_err()
                    {
                        return;
                    }
                    rows.clear();
                }
            }
            if !rows.is_empty() {
                let _ = tx.blocking_send((this.encode(&rows), (rows.len() * METRICS) as u64));
            }
        };
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        let send_all = || async {
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..self.writers.max(1) {
                let rx = rx.clone();
                let wire = self.wire;
                let req = match wire {
                    Wire::Json => self
                        .api
                        .post("/api/v1/telemetry")
                        .header("content-type", "application/json"),
                    Wire::Line => self
                        .api
                        .http
                        .post(format!("{}/write?db=bench&precision=ms", self.api.base))
                        .header("authorization", format!("Token {}", self.key)),
                };
                tasks.spawn(async move {
                    let mut points = 0u64;
                    loop {
                        let next = rx.lock().await.recv().await;
                        let Some((body, n)) = next else { break };
                        let r = req.try_clone().context("cloning the request")?.body(body);
                        let resp = send_ok(r, "writing telemetry").await?;
                        match wire {
                            Wire::Json => {
                                let out: serde_json::Value = resp.json().await?;
                                if out["accepted"].as_u64() != Some(n) {
                                    bail!("not every point accepted: {out}");
                                }
                            }
                            // 204: every line stored (a refusal is a 400).
                            Wire::Line if resp.status().as_u16() == 204 => {}
                            Wire::Line => bail!("line protocol write answered {}", resp.status()),
                        }
                        points += n;
                    }
                    Ok::<u64, anyhow::Error>(points)
                });
            }
            let mut points = 0;
            while let Some(r) = tasks.join_next().await {
                points += r.context("writer task failed")??;
            }
            Ok::<_, anyhow::Error>((points, started.elapsed().as_secs_f64()))
        };
        let (points, seconds) = match self.ctx.ingest_mode {
            IngestMode::Preencoded => {
                let t = Instant::now();
                std::thread::scope(|s| s.spawn(|| produce(tx)).join())
                    .map_err(|_| anyhow!("the encoder panicked"))?;
                eprintln!(
                    "[{}] encoded the batches in {:.1} s",
                    self.name(),
                    t.elapsed().as_secs_f64()
                );
                send_all().await?
            }
            IngestMode::Stream => {
                let (res, ()) = std::thread::scope(|s| {
                    let h = s.spawn(|| produce(tx));
                    let res = tokio::task::block_in_place(|| {
                        tokio::runtime::Handle::current().block_on(send_all())
                    });
                    let _ = h.join();
                    (res, ())
                });
                res?
            }
        };
        Ok(IngestReport { points, seconds })
    }

    async fn settle(&mut self) -> Result<()> {
        if let Some(mut s) = self.server.take() {
            s.stop(Duration::from_secs(300)).await?;
        }
        self.launch().await?;
        let days = (self.ctx.dataset.end_ms() - 1).div_euclid(MS_PER_DAY)
            - self.ctx.dataset.start_ms().div_euclid(MS_PER_DAY)
            + 1;
        let dir = self.data_dir.join("tsdb");
        let this = &*self;
        wait_disk_stable(
            self.name(),
            &[dir],
            Duration::from_secs(2),
            3,
            Duration::from_secs(1800),
            || async move { Ok(this.segments() as i64 <= days) },
        )
        .await?;
        Ok(())
    }

    async fn bytes_on_disk(&self) -> Result<u64> {
        disk_usage(&self.data_dir.join("tsdb"))
    }

    async fn q_latest_all(&self) -> Result<Vec<Sample>> {
        let out: LatestOut = self
            .read(
                self.api
                    .post("/api/v1/telemetry/latest/columns")
                    .json(&json!({})),
                "latest",
            )
            .await?;
        let mut v = Vec::new();
        for d in &out.series {
            if d.properties.len() != d.ts.len() || d.ts.len() != d.values.len() {
                bail!("latest: columns of different lengths");
            }
            for ((p, ts), value) in d.properties.iter().zip(&d.ts).zip(&d.values) {
                v.push(self.sample(&d.device, p, Some(*ts), *value)?);
            }
        }
        Ok(v)
    }

    async fn q_device_5m_avg(
        &self,
        device: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let out: AggregateOut = self
            .read(
                self.api.get(&format!(
                    "/api/v1/devices/{}/telemetry/aggregate?from={from_ms}&to={to_ms}&interval=5m&agg=avg",
                    self.ids[device]
                )),
                "5-minute averages",
            )
            .await?;
        let mut v = Vec::new();
        for s in &out.series {
            for w in &s.windows {
                v.push(self.sample(&s.device, &s.property, Some(w.ts), first(&w.values)?)?);
            }
        }
        Ok(v)
    }

    async fn q_daily_max_all(&self, day_start_ms: i64) -> Result<Vec<Sample>> {
        let out: AggregateOut = self
            .read(
                self.api.post("/api/v1/telemetry/aggregate").json(&json!({
                    "from": day_start_ms.to_string(),
                    "to": (day_start_ms + MS_PER_DAY).to_string(),
                    "interval": "1d",
                    "aggregations": ["max"],
                })),
                "daily maximum",
            )
            .await?;
        let mut v = Vec::new();
        for s in &out.series {
            for w in &s.windows {
                v.push(self.sample(&s.device, &s.property, None, first(&w.values)?)?);
            }
        }
        Ok(v)
    }

    async fn q_raw_series(
        &self,
        device: usize,
        metric: usize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let page: HistoryOut = self
                .read(
                    self.api.get(&format!(
                        "/api/v1/devices/{}/telemetry?properties={}&from={from_ms}&to={to_ms}&limit=10000&layout=columns{cursor}",
                        self.ids[device], METRIC_SPECS[metric].name
                    )),
                    "raw series",
                )
                .await?;
            for c in &page.series {
                if c.ts.len() != c.values.len() {
                    bail!("{} timestamps but {} values", c.ts.len(), c.values.len());
                }
                for (ts, value) in c.ts.iter().zip(&c.values) {
                    out.push(Sample {
                        device,
                        metric,
                        ts_ms: Some(*ts),
                        value: *value,
                    });
                }
            }
            match page.next_cursor {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        Ok(out)
    }

    async fn stop(&mut self) -> Result<()> {
        if let Some(mut s) = self.server.take() {
            s.stop(Duration::from_secs(120)).await?;
        }
        Ok(())
    }
}
