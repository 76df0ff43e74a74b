//! The running gateway: drivers → preprocessing → batches → buffer → uplink, and
//! commands from the platform back down to the drivers.
//!
//! Tasks: one per driver connection; the batcher (preprocessing, batching, appends to the
//! buffer); the uplink (one MQTT session at a time: sends from the buffer with at most
//! `in_flight` messages unacknowledged, acknowledges the buffer on PUBACK, answers
//! commands, applies pushed configurations, reports health). A new driver document
//! replaces the running drivers without a restart; the buffer and the uplink carry on.

use ironloom_core::sync::lock;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironloom_core::device::GATEWAY_AGENT_ATTRIBUTE;
use ironloom_core::edge_app::{APPS_ATTRIBUTE, APPS_STATUS_ATTRIBUTE, PART_PREFIX, RUN_METHOD};
use ironloom_core::telemetry::{Quality, Value};
use ironloom_drivers::modbus::ModbusDriver;
use ironloom_drivers::preprocess::PointFilter;
use ironloom_drivers::{DriverIo, DriverStats, Sample, WriteRequest};
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, Outgoing, QoS};
use serde_json::{Map, Value as Json, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::apps::EdgeRuntime;
use crate::apps::host::EdgeServices;
use crate::buffer::{Appended, Buffer, BufferStats};
use crate::computed::Calculator;
use crate::config::{CONFIG_ATTRIBUTE, Drivers, GatewayConfig, STATUS_ATTRIBUTE};

const TELEMETRY_TOPIC: &str = "v1/gateway/telemetry";
const RPC_TOPIC: &str = "v1/gateway/rpc";
const CONNECT_TOPIC: &str = "v1/gateway/connect";
const ATTRIBUTES_TOPIC: &str = "v1/devices/me/attributes";
const ATTRIBUTE_REQUEST_TOPIC: &str = "v1/devices/me/attributes/request/1";
const ATTRIBUTE_RESPONSE_TOPIC: &str = "v1/devices/me/attributes/response/+";
const OWN_TELEMETRY_TOPIC: &str = "v1/devices/me/telemetry";
/// Commands to the gateway itself (manual runs of its apps), answered on
/// `v1/devices/me/rpc/response/{id}`.
const OWN_RPC_TOPIC: &str = "v1/devices/me/rpc/request/+";
/// The file in the buffer directory holding the last pushed driver document.
const PUSHED_FILE: &str = "pushed-drivers.json";

/// Counters of the whole gateway, for health reports and tests.
#[derive(Debug, Default)]
pub struct GatewayStats {
    pub samples_read: AtomicU64,
    pub points_forwarded: AtomicU64,
    pub points_acknowledged: AtomicU64,
    pub messages_sent: AtomicU64,
    pub connected: AtomicBool,
    pub connects: AtomicU64,
    pub config_version: AtomicU64,
    /// Values apps at the edge wrote (appended to the buffer).
    pub app_points: AtomicU64,
}

/// What the running drivers look like to the rest of the gateway.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    /// Sub-device → the writes channel of its connection.
    pub(crate) writes: HashMap<String, mpsc::Sender<WriteRequest>>,
    /// Sub-device → product (for `v1/gateway/connect`).
    pub(crate) products: BTreeMap<String, Option<String>>,
    /// Connection name → its statistics.
    stats: Vec<(String, Arc<DriverStats>)>,
}

/// A running gateway.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub stats: Arc<GatewayStats>,
    buffer: Arc<Mutex<Buffer>>,
    cancel: CancellationToken,
    reading: CancellationToken,
    batcher_done: Arc<Notify>,
    batcher_running: Arc<AtomicBool>,
    apps: Arc<EdgeRuntime>,
}

impl Gateway {
    /// What the apps deployed to this gateway do (`gateway_apps_status`); `None` before
    /// any apps document came.
    pub fn apps_status(&self) -> Option<Json> {
        self.apps.status()
    }

    pub fn buffer_stats(&self) -> BufferStats {
        lock(&self.buffer).stats()
    }

    /// Stops at once (what is buffered stays buffered for the next start).
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Stops reading, buffers the last batch, sends what the buffer holds (for up to
    /// `drain`), then stops.
    pub async fn shutdown(&self, drain: Duration) {
        self.reading.cancel();
        let done = self.batcher_done.notified();
        if self.batcher_running.load(Ordering::Acquire) {
            let _ = tokio::time::timeout(drain, done).await;
        }
        let deadline = tokio::time::Instant::now() + drain;
        while lock(&self.buffer).pending_records() > 0
            && tokio::time::Instant::now() < deadline
            && self.stats.connected.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.cancel.cancel();
    }
}

/// Starts the gateway; it runs until `cancel` fires.
pub fn start(cfg: GatewayConfig, cancel: CancellationToken) -> std::io::Result<Gateway> {
    let buffer = Buffer::open(
        &cfg.buffer.dir,
        cfg.buffer.max_size.0 as u64,
        cfg.buffer.policy,
        cfg.buffer.fsync,
    )?;
    let buffer = Arc::new(Mutex::new(buffer));
    let stats = Arc::new(GatewayStats::default());
    let pushed_path = cfg.buffer.dir.join(PUSHED_FILE);
    // The platform's last pushed document wins over the file's drivers, also offline.
    let initial = match std::fs::read(&pushed_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Drivers>(&b).ok())
    {
        Some(d) if d.check().is_empty() => {
            tracing::info!(version = ?d.version, "gateway: using the configuration the platform pushed last");
            d
        }
        _ => cfg.drivers(),
    };
    // Each message is one poll cycle (or notification) of one connection: a few of them
    // may wait; more hold the drivers back instead of piling up in memory.
    let (samples_tx, samples_rx) = mpsc::channel::<Vec<Sample>>(16);
    let routes = Arc::new(Mutex::new(Routes::default()));
    let filters = Arc::new(Mutex::new(FilterMap::default()));
    let (drivers_tx, drivers_rx) = watch::channel(initial);
    let appended = Arc::new(Notify::new());
    let routes_changed = Arc::new(Notify::new());
    let reading = cancel.child_token();
    let calculator = Arc::new(Mutex::new(Calculator::default()));
    let apps = Arc::new(EdgeRuntime::new(
        Arc::new(EdgeServices {
            routes: routes.clone(),
            buffer: buffer.clone(),
            appended: appended.clone(),
            recent: Arc::default(),
            kv_dir: cfg.buffer.dir.join("apps").join("state"),
            kv: Mutex::default(),
            runtime: tokio::runtime::Handle::current(),
            stats: stats.clone(),
            rpc_ids: AtomicU64::new(0),
            cancel: cancel.clone(),
        }),
        &cfg.buffer.dir,
    ));
    {
        let a = apps.clone();
        tokio::task::spawn_blocking(move || a.load_saved());
    }
    tokio::spawn(apps.clone().schedule(cancel.clone()));
    tokio::spawn(supervise(
        drivers_rx,
        samples_tx,
        routes.clone(),
        filters.clone(),
        calculator.clone(),
        routes_changed.clone(),
        reading.clone(),
    ));
    let batcher_done = Arc::new(Notify::new());
    let batcher_running = Arc::new(AtomicBool::new(true));
    {
        let (done, running) = (batcher_done.clone(), batcher_running.clone());
        let run = batcher(
            samples_rx,
            filters,
            calculator,
            apps.clone(),
            buffer.clone(),
            stats.clone(),
            appended.clone(),
            cfg.uplink.batch_points,
            cfg.uplink.batch_delay.0,
            cancel.clone(),
        );
        tokio::spawn(async move {
            run.await;
            running.store(false, Ordering::Release);
            done.notify_waiters();
        });
    }
    tokio::spawn(uplink(Uplink {
        cfg,
        buffer: buffer.clone(),
        stats: stats.clone(),
        routes,
        routes_changed,
        appended,
        drivers: drivers_tx,
        pushed_path,
        apps: apps.clone(),
        cancel: cancel.clone(),
    }));
    Ok(Gateway {
        stats,
        buffer,
        cancel,
        reading,
        batcher_done,
        batcher_running,
        apps,
    })
}

/// Preprocessing per (device, point); looked up for every reading, so a fast hash.
type FilterMap = HashMap<(Arc<str>, Arc<str>), PointFilter, foldhash::fast::RandomState>;
type Filters = Arc<Mutex<FilterMap>>;

/// Runs the drivers of the current document; replaces them when a new one arrives.
#[allow(clippy::too_many_arguments)]
async fn supervise(
    mut docs: watch::Receiver<Drivers>,
    samples: mpsc::Sender<Vec<Sample>>,
    routes: Arc<Mutex<Routes>>,
    filters: Filters,
    calculator: Arc<Mutex<Calculator>>,
    routes_changed: Arc<Notify>,
    cancel: CancellationToken,
) {
    loop {
        let doc = docs.borrow_and_update().clone();
        let running = cancel.child_token();
        let mut new_routes = Routes::default();
        let mut new_filters = FilterMap::default();
        for conn in doc.modbus {
            for d in &conn.devices {
                new_routes
                    .products
                    .insert(d.name.clone(), d.product.clone());
                for p in &d.points {
                    new_filters.insert(
                        (Arc::from(d.name.as_str()), Arc::from(p.name.as_str())),
                        PointFilter::new(&p.name, p.pre.clone()),
                    );
                }
            }
            let name = conn.name.clone();
            let devices: Vec<String> = conn.devices.iter().map(|d| d.name.clone()).collect();
            let driver = match ModbusDriver::new(conn) {
                Ok(d) => d,
                Err(errs) => {
                    // Checked before it got here; never start half a table.
                    tracing::error!(connection = %name, errors = ?errs, "gateway: connection not started");
                    continue;
                }
            };
            let (wtx, wrx) = mpsc::channel(16);
            let stats = Arc::new(DriverStats::default());
            for d in devices {
                new_routes.writes.insert(d, wtx.clone());
            }
            new_routes.stats.push((name, stats.clone()));
            tokio::spawn(driver.run(DriverIo {
                samples: samples.clone(),
                writes: wrx,
                stats,
                cancel: running.clone(),
            }));
        }
        for conn in doc.opcua {
            let (wtx, wrx) = mpsc::channel(16);
            for n in &conn.nodes {
                new_routes
                    .products
                    .entry(n.device.clone())
                    .or_insert_with(|| conn.products.get(&n.device).cloned());
                new_routes.writes.insert(n.device.clone(), wtx.clone());
                new_filters.insert(
                    (Arc::from(n.device.as_str()), Arc::from(n.point.as_str())),
                    PointFilter::new(&n.point, n.pre.clone()),
                );
            }
            let stats = Arc::new(DriverStats::default());
            new_routes.stats.push((conn.name.clone(), stats.clone()));
            let name = conn.name.clone();
            let io = DriverIo {
                samples: samples.clone(),
                writes: wrx,
                stats,
                cancel: running.clone(),
            };
            tokio::spawn(async move {
                if let Err(e) = ironloom_opcua::run(conn, io).await {
                    tracing::error!(connection = %name, error = %e, "gateway: OPC UA connection stopped");
                }
            });
        }
        for c in &doc.computed {
            new_filters.insert(
                (Arc::from(c.device.as_str()), Arc::from(c.name.as_str())),
                PointFilter::new(&c.name, c.pre.clone()),
            );
        }
        *lock(&calculator) = Calculator::new(&doc.computed);
        *lock(&filters) = new_filters;
        *lock(&routes) = new_routes;
        routes_changed.notify_one();
        tokio::select! {
            () = cancel.cancelled() => return,
            r = docs.changed() => {
                running.cancel();
                if r.is_err() {
                    return;
                }
            }
        }
    }
}

/// One device's readings of one instant, as the gateway telemetry carries them.
#[derive(Default)]
struct Entry {
    values: Map<String, Json>,
    quality: Map<String, Json>,
    errors: Map<String, Json>,
}

pub(crate) fn json_of(v: &Value) -> Json {
    match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::I64(i) => json!(i),
        Value::F64(f) => json!(f),
        Value::Str(s) => Json::String(s.clone()),
    }
}

/// Batches of forwarded samples, grouped by device and timestamp.
#[derive(Default)]
struct Batch {
    devices: BTreeMap<Arc<str>, BTreeMap<i64, Entry>>,
    points: usize,
    /// A generous estimate of the encoded size.
    bytes: usize,
}

/// Largest telemetry message the gateway sends (the platform's default packet limit is
/// 256 KiB; the estimate per value is generous).
const MAX_MESSAGE_BYTES: usize = 192 * 1024;

impl Batch {
    fn add(&mut self, s: Sample) {
        let entries = self.devices.entry(s.device.clone()).or_default();
        if !entries.contains_key(&s.ts_ms) {
            // `{"ts":…,"values":{…}},` and the device's name.
            self.bytes += 48 + s.device.len();
        }
        let e = entries.entry(s.ts_ms).or_default();
        let key = s.point.to_string();
        // `"key":value,` with room for the longest number.
        self.bytes += key.len()
            + 28
            + match &s.value {
                Some(Value::Str(t)) => t.len() + 8,
                _ => 0,
            }
            + s.reason.as_ref().map_or(0, |r| r.len() + key.len() + 16);
        match &s.value {
            Some(v) => {
                e.values.insert(key.clone(), json_of(v));
            }
            None => {
                e.errors.insert(
                    key.clone(),
                    Json::String(s.reason.as_deref().unwrap_or("no value").to_owned()),
                );
            }
        }
        if s.quality != Quality::Good {
            let q = match s.quality {
                Quality::Bad => "bad",
                Quality::Uncertain => "uncertain",
                Quality::Good => "good",
            };
            e.quality.insert(key.clone(), json!(q));
            if s.value.is_some()
                && let Some(r) = &s.reason
            {
                e.errors.insert(key, Json::String(r.to_string()));
            }
        }
        self.points += 1;
    }

    /// The gateway telemetry message: `{"device": [{"ts", "values", "quality"?, "errors"?}]}`.
    fn encode(&mut self) -> (u32, Vec<u8>) {
        let mut out = Map::new();
        for (device, entries) in std::mem::take(&mut self.devices) {
            let list: Vec<Json> = entries
                .into_iter()
                .map(|(ts, e)| {
                    let mut o = Map::new();
                    o.insert("ts".into(), json!(ts));
                    o.insert("values".into(), Json::Object(e.values));
                    if !e.quality.is_empty() {
                        o.insert("quality".into(), Json::Object(e.quality));
                    }
                    if !e.errors.is_empty() {
                        o.insert("errors".into(), Json::Object(e.errors));
                    }
                    Json::Object(o)
                })
                .collect();
            out.insert(device.to_string(), Json::Array(list));
        }
        self.bytes = 0;
        let points = u32::try_from(std::mem::take(&mut self.points)).unwrap_or(u32::MAX);
        (points, Json::Object(out).to_string().into_bytes())
    }
}

#[allow(clippy::too_many_arguments)]
async fn batcher(
    mut rx: mpsc::Receiver<Vec<Sample>>,
    filters: Filters,
    calculator: Arc<Mutex<Calculator>>,
    apps: Arc<EdgeRuntime>,
    buffer: Arc<Mutex<Buffer>>,
    stats: Arc<GatewayStats>,
    appended: Arc<Notify>,
    max_points: usize,
    max_delay: Duration,
    cancel: CancellationToken,
) {
    let mut batch = Batch::default();
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut forwarded = Vec::new();
    // Full messages waiting to be appended (a poll cycle can fill several).
    let mut full: Vec<(u32, Vec<u8>)> = Vec::new();
    loop {
        let flush_at =
            deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        let flush = tokio::select! {
            () = cancel.cancelled() => true,
            () = tokio::time::sleep_until(flush_at), if deadline.is_some() => true,
            got = rx.recv() => match got {
                None => true,
                Some(mut samples) => {
                    stats.samples_read.fetch_add(samples.len() as u64, Ordering::Relaxed);
                    lock(&calculator).apply(&mut samples);
                    {
                        let mut f = lock(&filters);
                        for s in samples {
                            match f.get_mut(&(s.device.clone(), s.point.clone())) {
                                Some(filter) => filter.apply(s, &mut forwarded),
                                None => forwarded.push(s),
                            }
                        }
                    }
                    apps.observe(&forwarded);
                    for s in forwarded.drain(..) {
                        batch.add(s);
                        // A message never holds more than `batch_points` points, nor
                        // more than MAX_MESSAGE_BYTES (the platform's packet limit).
                        if batch.points >= max_points || batch.bytes >= MAX_MESSAGE_BYTES {
                            full.push(batch.encode());
                        }
                    }
                    if batch.points > 0 && deadline.is_none() {
                        deadline = Some(tokio::time::Instant::now() + max_delay);
                    }
                    false
                }
            },
        };
        if flush && batch.points > 0 {
            deadline = None;
            full.push(batch.encode());
        }
        for (points, payload) in full.drain(..) {
            let b = buffer.clone();
            let r = tokio::task::spawn_blocking(move || lock(&b).append(points, &payload)).await;
            match r {
                Ok(Ok(Appended::Stored { .. })) => {
                    stats
                        .points_forwarded
                        .fetch_add(u64::from(points), Ordering::Relaxed);
                    appended.notify_one();
                }
                Ok(Ok(Appended::Refused)) => {
                    tracing::warn!(points, "gateway buffer full (drop_newest): points dropped");
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, points, "gateway buffer: append failed, points lost")
                }
                Err(e) => tracing::error!(error = %e, "gateway buffer: append task failed"),
            }
        }
        if batch.points == 0 {
            deadline = None;
        }
        if cancel.is_cancelled() || (rx.is_closed() && rx.is_empty()) {
            return;
        }
    }
}

struct Uplink {
    cfg: GatewayConfig,
    buffer: Arc<Mutex<Buffer>>,
    stats: Arc<GatewayStats>,
    routes: Arc<Mutex<Routes>>,
    routes_changed: Arc<Notify>,
    appended: Arc<Notify>,
    drivers: watch::Sender<Drivers>,
    pushed_path: PathBuf,
    apps: Arc<EdgeRuntime>,
    cancel: CancellationToken,
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What an outgoing publish was, in the order the client was asked.
enum Sent {
    Record { id: u64, points: u32 },
    Other,
}

fn options(cfg: &GatewayConfig) -> Result<MqttOptions, String> {
    let p = &cfg.platform;
    let (host, port) = p
        .mqtt
        .rsplit_once(':')
        .ok_or_else(|| format!("platform.mqtt `{}` is not host:port", p.mqtt))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("platform.mqtt `{}` has no valid port", p.mqtt))?;
    let id = p
        .client_id
        .clone()
        .unwrap_or_else(|| format!("ironloom-gateway-{}", std::process::id()));
    let mut o = MqttOptions::new(id, host, port);
    o.set_credentials(p.token.clone(), "");
    o.set_keep_alive(p.keep_alive.0.max(Duration::from_secs(5)));
    o.set_clean_session(true);
    o.set_max_packet_size(64 << 20, 64 << 20);
    o.set_inflight(u16::try_from(cfg.uplink.in_flight.clamp(1, 65_000) + 8).unwrap_or(u16::MAX));
    if p.tls {
        o.set_transport(rumqttc::Transport::tls_with_config(tls_config(p)?));
    }
    Ok(o)
}

fn tls_config(p: &crate::config::Platform) -> Result<rumqttc::TlsConfiguration, String> {
    let mut roots = rustls::RootCertStore::empty();
    let ca = p
        .ca_file
        .as_ref()
        .ok_or("platform.tls needs platform.ca_file (the CA of the platform's certificate)")?;
    let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", ca.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(rumqttc::TlsConfiguration::Rustls(Arc::new(cfg)))
}

/// Sanitises a name into a telemetry key part.
fn key_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Uplink {
    async fn run(self) {
        let mut backoff = Duration::from_millis(500);
        let opts = match options(&self.cfg) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error = %e, "gateway: cannot reach the platform");
                return;
            }
        };
        // Answers of finished writes, to publish.
        let (answers_tx, mut answers_rx) = mpsc::channel::<(String, Json)>(64);
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            let (client, eventloop) = AsyncClient::new(opts.clone(), 64);
            let started = tokio::time::Instant::now();
            self.session(&client, eventloop, &answers_tx, &mut answers_rx)
                .await;
            self.stats.connected.store(false, Ordering::Relaxed);
            if self.cancel.is_cancelled() {
                let _ = client.try_disconnect();
                return;
            }
            if started.elapsed() > Duration::from_secs(30) {
                backoff = Duration::from_millis(500);
            }
            tokio::select! {
                () = self.cancel.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }

    /// One MQTT session, until it fails or the gateway stops.
    async fn session(
        &self,
        client: &AsyncClient,
        mut eventloop: EventLoop,
        answers_tx: &mpsc::Sender<(String, Json)>,
        answers_rx: &mut mpsc::Receiver<(String, Json)>,
    ) {
        // The event loop runs on its own, so a publish waiting for room in the client's
        // request queue never waits on this loop (which would then never drain it). Its
        // events come here in order, through an unbounded channel for the same reason.
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let poller = tokio::spawn(async move {
            loop {
                let ev = eventloop.poll().await;
                let end = ev.is_err();
                if events_tx.send(ev).is_err() || end {
                    return;
                }
            }
        });
        let _stop_poller = AbortOnDrop(poller);
        let mut order: VecDeque<Sent> = VecDeque::new();
        let mut by_pkid: HashMap<u16, (u64, u32)> = HashMap::new();
        // Sent records not acknowledged yet, by id; acknowledged ones leave from the front.
        let mut outstanding: BTreeMap<u64, bool> = BTreeMap::new();
        let mut ready = false;
        let mut health = tokio::time::interval(self.cfg.uplink.health_interval.0);
        health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_save = tokio::time::Instant::now();
        loop {
            // Send what the window allows.
            if ready {
                let room = self.cfg.uplink.in_flight.saturating_sub(outstanding.len());
                if room > 0 {
                    let b = self.buffer.clone();
                    let next = tokio::task::spawn_blocking(move || lock(&b).next_batch(room)).await;
                    match next {
                        Ok(Ok(records)) => {
                            for (id, points, payload) in records {
                                let (topic, payload) =
                                    crate::buffer::message_of(payload, TELEMETRY_TOPIC);
                                if client
                                    .publish(topic, QoS::AtLeastOnce, false, payload)
                                    .await
                                    .is_err()
                                {
                                    return;
                                }
                                order.push_back(Sent::Record { id, points });
                                outstanding.insert(id, false);
                            }
                        }
                        Ok(Err(e)) => {
                            tracing::error!(error = %e, "gateway buffer: read failed");
                        }
                        Err(_) => return,
                    }
                }
            }
            tokio::select! {
                () = self.cancel.cancelled() => {
                    let _ = lock(&self.buffer).save_cursor();
                    return;
                }
                () = self.appended.notified(), if ready => {}
                () = self.routes_changed.notified(), if ready => {
                    self.announce(client, &mut order).await;
                }
                Some((topic, body)) = answers_rx.recv() => {
                    if client.publish(topic, QoS::AtLeastOnce, false, body.to_string()).await.is_err() {
                        return;
                    }
                    order.push_back(Sent::Other);
                }
                _ = health.tick(), if ready => {
                    let body = self.health();
                    if client.publish(OWN_TELEMETRY_TOPIC, QoS::AtMostOnce, false, body.to_string()).await.is_err() {
                        return;
                    }
                    order.push_back(Sent::Other);
                    if let Some(status) = self.apps.status() {
                        let body = json!({ APPS_STATUS_ATTRIBUTE: status }).to_string();
                        if client.publish(ATTRIBUTES_TOPIC, QoS::AtLeastOnce, false, body).await.is_err() {
                            return;
                        }
                        order.push_back(Sent::Other);
                    }
                }
                ev = events.recv() => match ev {
                    None => {
                        lock(&self.buffer).rewind();
                        return;
                    }
                    Some(Err(e)) => {
                        if ready {
                            tracing::warn!(error = %e, "gateway: platform connection lost");
                        } else {
                            tracing::warn!(error = %e, "gateway: cannot connect to the platform");
                        }
                        lock(&self.buffer).rewind();
                        return;
                    }
                    Some(Ok(Event::Incoming(Incoming::ConnAck(ack)))) => {
                        if ack.code != rumqttc::ConnectReturnCode::Success {
                            tracing::error!(code = ?ack.code, "gateway: the platform refused the connection");
                            return;
                        }
                        tracing::info!(platform = %self.cfg.platform.mqtt, "gateway: connected to the platform");
                        self.stats.connected.store(true, Ordering::Relaxed);
                        self.stats.connects.fetch_add(1, Ordering::Relaxed);
                        lock(&self.buffer).rewind();
                        for t in [RPC_TOPIC, OWN_RPC_TOPIC, ATTRIBUTES_TOPIC, ATTRIBUTE_RESPONSE_TOPIC] {
                            if client.subscribe(t, QoS::AtLeastOnce).await.is_err() {
                                return;
                            }
                        }
                        // Before any sub-device: the platform then sends parameter writes
                        // as setProperties RPCs (answered with per-point results), not as
                        // the shared-attribute updates ThingsBoard's gateway expects.
                        let me = json!({ GATEWAY_AGENT_ATTRIBUTE: concat!("ironloom ", env!("CARGO_PKG_VERSION")) });
                        if client.publish(ATTRIBUTES_TOPIC, QoS::AtLeastOnce, false, me.to_string()).await.is_err() {
                            return;
                        }
                        order.push_back(Sent::Other);
                        self.announce(client, &mut order).await;
                        let ask = json!({"sharedKeys": format!("{CONFIG_ATTRIBUTE},{APPS_ATTRIBUTE}")}).to_string();
                        if client.publish(ATTRIBUTE_REQUEST_TOPIC, QoS::AtLeastOnce, false, ask).await.is_err() {
                            return;
                        }
                        order.push_back(Sent::Other);
                        ready = true;
                    }
                    Some(Ok(Event::Outgoing(Outgoing::Publish(pkid)))) => {
                        if let Some(Sent::Record { id, points }) = order.pop_front() {
                            by_pkid.insert(pkid, (id, points));
                        }
                    }
                    Some(Ok(Event::Incoming(Incoming::PubAck(ack)))) => {
                        if let Some((id, points)) = by_pkid.remove(&ack.pkid) {
                            self.stats.points_acknowledged.fetch_add(u64::from(points), Ordering::Relaxed);
                            self.stats.messages_sent.fetch_add(1, Ordering::Relaxed);
                            outstanding.insert(id, true);
                            let mut upto = None;
                            while let Some((&first, &done)) = outstanding.iter().next() {
                                if !done {
                                    break;
                                }
                                outstanding.remove(&first);
                                upto = Some(first + 1);
                            }
                            if let Some(upto) = upto {
                                let mut b = lock(&self.buffer);
                                let _ = b.ack(upto);
                                if last_save.elapsed() > Duration::from_secs(1) {
                                    let _ = b.save_cursor();
                                    last_save = tokio::time::Instant::now();
                                }
                            }
                        }
                    }
                    Some(Ok(Event::Incoming(Incoming::Publish(p)))) => {
                        self.incoming(&p.topic, &p.payload, answers_tx).await;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Tells the platform which sub-devices this gateway speaks for (and their products).
    async fn announce(&self, client: &AsyncClient, order: &mut VecDeque<Sent>) {
        let products = lock(&self.routes).products.clone();
        for (device, product) in products {
            let mut body = json!({"device": device});
            if let Some(p) = product {
                body["type"] = json!(p);
            }
            if client
                .publish(CONNECT_TOPIC, QoS::AtLeastOnce, false, body.to_string())
                .await
                .is_ok()
            {
                order.push_back(Sent::Other);
            }
        }
    }

    fn health(&self) -> Json {
        let b = lock(&self.buffer).stats();
        let s = &self.stats;
        let mut o = json!({
            "buffer_bytes": b.bytes,
            "buffer_pending_points": b.pending_points,
            "dropped_points": b.dropped_points,
            "points_read": s.samples_read.load(Ordering::Relaxed),
            "points_forwarded": s.points_forwarded.load(Ordering::Relaxed),
            "points_acknowledged": s.points_acknowledged.load(Ordering::Relaxed),
            "uplink_connects": s.connects.load(Ordering::Relaxed),
        });
        for (name, st) in &lock(&self.routes).stats {
            let st = st.snapshot();
            let k = key_part(name);
            o[format!("{k}_requests")] = json!(st.requests);
            o[format!("{k}_errors")] = json!(st.errors);
            o[format!("{k}_timeouts")] = json!(st.timeouts);
            o[format!("{k}_latency_avg_us")] = json!(st.latency_avg_us);
            o[format!("{k}_connects")] = json!(st.connects);
        }
        o
    }

    async fn incoming(&self, topic: &str, payload: &[u8], answers: &mpsc::Sender<(String, Json)>) {
        let Ok(body) = serde_json::from_slice::<Json>(payload) else {
            tracing::warn!(topic, "gateway: unreadable message from the platform");
            return;
        };
        if let Some(id) = topic.strip_prefix("v1/devices/me/rpc/request/") {
            let (apps, answers) = (self.apps.clone(), answers.clone());
            let topic = format!("v1/devices/me/rpc/response/{id}");
            tokio::spawn(async move {
                let answer = if body.get("method").and_then(Json::as_str) == Some(RUN_METHOD) {
                    let params = body.get("params").cloned().unwrap_or_default();
                    let id = params
                        .get("installation")
                        .and_then(Json::as_str)
                        .unwrap_or("");
                    let event = params
                        .get("event")
                        .cloned()
                        .unwrap_or_else(|| json!({"kind": "manual"}));
                    apps.run_now(id, event).await
                } else {
                    json!({"error": "unknown method; the gateway itself carries ironloom.app_run"})
                };
                let _ = answers.send((topic, answer)).await;
            });
            return;
        }
        if topic == RPC_TOPIC {
            let routes = self.routes.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                if let Some(a) = crate::writes::command(&routes, body).await {
                    let _ = answers.send((RPC_TOPIC.into(), a)).await;
                }
            });
            return;
        }
        // Shared attributes: an update, or the answer to the request at connect.
        let shared = if topic == ATTRIBUTES_TOPIC {
            Some(&body)
        } else {
            body.get("shared")
        };
        let deleted_key = |key: &str| {
            body.get("deleted")
                .and_then(Json::as_array)
                .is_some_and(|d| d.iter().any(|k| k == key))
        };
        let deleted = deleted_key(CONFIG_ATTRIBUTE);
        if let Some(s) = shared.and_then(Json::as_object)
            && s.keys()
                .any(|k| k == APPS_ATTRIBUTE || k.starts_with(PART_PREFIX))
        {
            let (apps, s) = (self.apps.clone(), s.clone());
            if let Ok(out) = tokio::task::spawn_blocking(move || apps.on_shared(&s)).await {
                self.apps_outcome(out, answers).await;
            }
        } else if deleted_key(APPS_ATTRIBUTE) {
            let apps = self.apps.clone();
            if let Ok(out) = tokio::task::spawn_blocking(move || apps.on_deleted()).await {
                self.apps_outcome(out, answers).await;
            }
        }
        if let Some(doc) = shared.and_then(|s| s.get(CONFIG_ATTRIBUTE)) {
            let status = self.apply(doc.clone());
            let _ = answers
                .send((ATTRIBUTES_TOPIC.into(), json!({ STATUS_ATTRIBUTE: status })))
                .await;
        } else if deleted {
            let _ = std::fs::remove_file(&self.pushed_path);
            let _ = self.drivers.send(self.cfg.drivers());
            let _ = answers
                .send((
                    ATTRIBUTES_TOPIC.into(),
                    json!({ STATUS_ATTRIBUTE: {"applied": true, "source": "file"} }),
                ))
                .await;
        }
    }

    /// Reports what the apps do now, and asks for the package parts they wait for.
    async fn apps_outcome(
        &self,
        out: crate::apps::Outcome,
        answers: &mpsc::Sender<(String, Json)>,
    ) {
        if let Some(status) = out.status {
            let _ = answers
                .send((
                    ATTRIBUTES_TOPIC.into(),
                    json!({ APPS_STATUS_ATTRIBUTE: status }),
                ))
                .await;
        }
        // A few parts per request, so that no answer grows large.
        for keys in out.request.chunks(16) {
            let ask = json!({"sharedKeys": keys.join(",")});
            let _ = answers.send((ATTRIBUTE_REQUEST_TOPIC.into(), ask)).await;
        }
    }

    /// Checks and applies a pushed driver document; returns the status to report.
    fn apply(&self, doc: Json) -> Json {
        let drivers: Drivers = match serde_json::from_value(doc) {
            Ok(d) => d,
            Err(e) => return json!({"applied": false, "errors": [e.to_string()]}),
        };
        let problems = drivers.check();
        if !problems.is_empty() {
            tracing::warn!(
                count = problems.len(),
                "gateway: pushed configuration refused"
            );
            return json!({
                "applied": false,
                "version": drivers.version,
                "errors": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            });
        }
        if *self.drivers.borrow() == drivers {
            return json!({"applied": true, "version": drivers.version, "unchanged": true});
        }
        if let Ok(b) = serde_json::to_vec(&drivers) {
            let tmp = self.pushed_path.with_extension("tmp");
            if std::fs::write(&tmp, b).is_ok() {
                let _ = std::fs::rename(&tmp, &self.pushed_path);
            }
        }
        self.stats
            .config_version
            .store(drivers.version.unwrap_or(0), Ordering::Relaxed);
        tracing::info!(version = ?drivers.version, "gateway: applying the configuration the platform pushed");
        let version = drivers.version;
        let _ = self.drivers.send(drivers);
        json!({"applied": true, "version": version})
    }
}

async fn uplink(u: Uplink) {
    u.run().await;
}
