//! The apps of every tenant, running: installations loaded from the metadata store,
//! their triggers (device telemetry from the bus, alarms, cron schedules, HTTP requests,
//! manual runs), their logs and their usage.
//!
//! Invocations run on blocking threads, at most `workers` at once; one installation runs
//! one event at a time, in arrival order. Telemetry triggers take what devices, bindings
//! and jobs write, never what rules or apps write, so apps cannot trigger each other in a
//! loop.

mod rule_call;
pub use rule_call::rule_event;

use crate::config::AppsConfig;
use crate::engine::{AppEngine, AppModule, Installation, Invocation};
use crate::host::{HostServices, Scope};
use crate::package::{AppPackage, PackageError, PackageLimits};
use crate::platform::Platform;
use ironloom_bus::{DeviceEvent, DeviceEventKind, EventBus, Interest, Sources};
use ironloom_core::alarm::AlarmEvent;
use ironloom_core::app::{AppManifest, Trigger, cron_matches};
use ironloom_core::app_install::{
    AppInstallation, AppLogEntry, AppPackageInfo, AppUsageRow, with_defaults,
};
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{InstallationId, TenantId};
use ironloom_core::ingest::Origin;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;

mod edge;

/// How often usage counts are written to the store.
const FLUSH: Duration = Duration::from_secs(5);

/// What the console shows of a running installation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InstallationStats {
    pub loaded: bool,
    pub running: bool,
    pub invocations: u64,
    pub errors: u64,
    pub last_error: Option<String>,
    pub last_run: Option<chrono::DateTime<chrono::Utc>>,
    /// Invocations in a row the sandbox stopped (fuel, time, memory, trap).
    pub stops_in_a_row: u32,
    /// After [`PAUSE_AFTER`] stops in a row, triggered events are skipped until then
    /// ([`FIRST_PAUSE`], doubling with each further stop, at most [`MAX_PAUSE`]); manual and HTTP runs
    /// still run, and the first that completes ends the pause.
    pub paused_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Triggered events skipped while paused.
    pub skipped: u64,
}

/// Stops in a row after which an installation's triggered events are paused.
pub const PAUSE_AFTER: u32 = 3;
/// The first pause (as a crash-looping container's first back-off), doubled with each
/// further stop.
pub const FIRST_PAUSE: Duration = Duration::from_secs(10);
/// The longest pause.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);

impl InstallationStats {
    /// Whether triggered events are skipped now (and counts the skip).
    pub fn skip(&mut self, now: chrono::DateTime<chrono::Utc>) -> bool {
        match self.paused_until {
            Some(until) if now < until => {
                self.skipped += 1;
                true
            }
            _ => false,
        }
    }
}

struct Slot {
    record: AppInstallation,
    manifest: AppManifest,
    inst: Arc<tokio::sync::Mutex<Installation>>,
    stats: Mutex<InstallationStats>,
    /// Telemetry events waiting for the installation, in arrival order.
    queue: Mutex<SlotQueue>,
    /// Room in that queue ([`SLOT_QUEUE`] events).
    room: Arc<Semaphore>,
}

#[derive(Default)]
struct SlotQueue {
    events: std::collections::VecDeque<(Value, tokio::sync::OwnedSemaphorePermit)>,
    /// Whether a drainer runs for it.
    draining: bool,
}

/// Telemetry events queued per installation before the bus consumer waits.
const SLOT_QUEUE: usize = 1024;
/// Events one worker runs for an installation in one blocking task.
const BATCH: usize = 64;

struct Inner {
    engine: AppEngine,
    platform: Platform,
    services: Arc<dyn HostServices>,
    modules: Mutex<HashMap<String, AppModule>>,
    /// Why installations that could not be loaded were not.
    failed: Mutex<HashMap<InstallationId, String>>,
    slots: RwLock<HashMap<InstallationId, Arc<Slot>>>,
    /// Installations that run on edge gateways (`runner/edge.rs`).
    edge: Mutex<HashMap<InstallationId, AppInstallation>>,
    usage: Mutex<HashMap<(TenantId, String, String), AppUsageRow>>,
    permits: Arc<Semaphore>,
    interest: Interest,
    limits: PackageLimits,
}

/// The app runtime of one node.
#[derive(Clone)]
pub struct AppHost {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHost").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unavailable(detail: impl std::fmt::Display) -> Error {
    Error::Storage {
        action: "run app",
        detail: detail.to_string(),
    }
}

/// Whether a message carrying `properties` triggers an app (one of its telemetry
/// triggers names one of them, or names none).
pub fn wants_telemetry<'a>(
    manifest: &AppManifest,
    properties: impl Iterator<Item = &'a str> + Clone,
) -> bool {
    manifest.triggers.iter().any(|t| match t {
        Trigger::Telemetry { properties: wanted } => {
            wanted.is_empty() || properties.clone().any(|p| wanted.iter().any(|w| w == p))
        }
        _ => false,
    })
}

/// Notes an invocation in the installation's stats; after [`PAUSE_AFTER`] stops in a row,
/// pauses its triggered events (the pause is returned for the log).
fn note(slot: &Slot, out: &Invocation) -> Option<Duration> {
    lock(&slot.stats).note(out)
}

impl InstallationStats {
    /// Counts an invocation; after [`PAUSE_AFTER`] stops in a row, pauses triggered
    /// events (the pause is returned for the log).
    pub fn note(&mut self, out: &Invocation) -> Option<Duration> {
        let st = self;
        st.invocations += 1;
        st.last_run = Some(chrono::Utc::now());
        if !matches!(out.result, Ok(0)) {
            st.errors += 1;
            st.last_error = Some(match &out.result {
                Ok(code) => format!("returned {code}"),
                Err(e) => e.to_string(),
            });
        }
        // Crash-only with back-off: an app the sandbox keeps stopping (an endless loop, a
        // memory bomb) gets fewer and fewer events, so it cannot take the workers' CPU
        // from the platform.
        if out.result.is_err() {
            st.stops_in_a_row = st.stops_in_a_row.saturating_add(1);
            if st.stops_in_a_row >= PAUSE_AFTER {
                let doublings = (st.stops_in_a_row - PAUSE_AFTER).min(16);
                let pause = FIRST_PAUSE.saturating_mul(1 << doublings).min(MAX_PAUSE);
                st.paused_until = chrono::Duration::from_std(pause)
                    .ok()
                    .map(|d| chrono::Utc::now() + d);
                return Some(pause);
            }
        } else {
            st.stops_in_a_row = 0;
            st.paused_until = None;
        }
        None
    }
}

/// The event an alarm-triggered app receives.
pub fn alarm_event(ev: &AlarmEvent, device: &str, product: &str) -> Value {
    let a = &ev.alarm;
    json!({"kind": "alarm", "change": ev.change, "device": device, "product": product,
        "alarm": {"id": a.id, "type": a.alarm_type, "severity": a.severity, "active": a.active,
            "acknowledged": a.acknowledged, "count": a.count,
            "start_ts": a.start_ts.timestamp_millis(), "last_ts": a.last_ts.timestamp_millis(),
            "details": a.details, "rule_id": a.rule_id}})
}

/// The event a telemetry-triggered app receives; `points` as from [`telemetry_point`].
pub fn telemetry_event(device: &str, product: &str, points: Vec<Value>) -> Value {
    json!({"kind": "telemetry", "device": device, "product": product, "points": points})
}

/// One point of a telemetry event (`ts` in milliseconds).
pub fn telemetry_point(property: &str, ts: i64, value: &impl Serialize) -> Value {
    json!({"property": property, "ts": ts, "value": value})
}

impl AppHost {
    /// Starts the engine, loads every enabled installation, and starts the telemetry
    /// consumer, the scheduler and the usage flusher.
    pub async fn start(
        platform: Platform,
        bus: Arc<dyn EventBus>,
        config: AppsConfig,
    ) -> Result<AppHost> {
        let engine = AppEngine::new(&config).map_err(unavailable)?;
        let services: Arc<dyn HostServices> = Arc::new(crate::platform::PlatformServices::new(
            platform.clone(),
            tokio::runtime::Handle::current(),
            &config,
        ));
        let consumer = bus.consume("apps", config.queue);
        let host = AppHost {
            inner: Arc::new(Inner {
                engine,
                platform,
                services,
                modules: Mutex::new(HashMap::new()),
                failed: Mutex::new(HashMap::new()),
                slots: RwLock::new(HashMap::new()),
                edge: Mutex::new(HashMap::new()),
                usage: Mutex::new(HashMap::new()),
                permits: Arc::new(Semaphore::new(config.workers)),
                interest: consumer.interest.clone(),
                limits: PackageLimits::default(),
            }),
        };
        for rec in host.inner.platform.meta.enabled_installations().await? {
            host.load_or_keep_error(rec).await;
        }
        host.update_interest();
        let h = host.clone();
        let mut events = consumer.events;
        tokio::spawn(async move {
            // The consumer's interest lives as long as this loop holds its receiver.
            while let Some(ev) = events.recv().await {
                h.on_event(ev).await;
            }
        });
        if let Some(tx) = &host.inner.platform.alarms {
            let mut rx = tx.subscribe();
            let h = host.clone();
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(ev) => h.on_alarm(ev).await,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(
                                missed = n,
                                "apps: alarm events missed (too many at once)"
                            );
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        }
        let h = host.clone();
        tokio::spawn(async move { h.schedule().await });
        let h = host.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FLUSH).await;
                h.flush().await;
            }
        });
        Ok(host)
    }

    /// The engine apps are compiled and run with.
    pub fn engine(&self) -> &AppEngine {
        &self.inner.engine
    }

    /// What a package may be.
    pub fn limits(&self) -> PackageLimits {
        self.inner.limits
    }

    /// Reads and checks an uploaded package, compiling its modules.
    pub fn check_package(&self, bytes: &[u8]) -> std::result::Result<AppPackage, PackageError> {
        AppPackage::read(bytes, &self.inner.limits, Some(&self.inner.engine))
    }

    /// The compiled module of a package version; its bytes are read only when no
    /// installation of the same digest has compiled it yet.
    async fn module(&self, info: &AppPackageInfo) -> Result<AppModule> {
        if let Some(m) = lock(&self.inner.modules).get(&info.digest) {
            return Ok(m.clone());
        }
        let (app, version) = (&info.app_id, &info.version);
        let (_, bytes) = self
            .inner
            .platform
            .meta
            .get_app_package(info.tenant_id, app, version)
            .await?;
        let package = AppPackage::read(&bytes, &self.inner.limits, None)
            .map_err(|e| unavailable(format!("{app} {version}: {e}")))?;
        let wasm = package
            .module("main")
            .ok_or_else(|| unavailable(format!("{app} {version} has no main module")))?;
        let module = self
            .inner
            .engine
            .compile(wasm)
            .map_err(|e| unavailable(format!("{app} {version}: {e}")))?;
        lock(&self.inner.modules).insert(info.digest.clone(), module.clone());
        Ok(module)
    }

    async fn load(&self, rec: AppInstallation) -> Result<()> {
        let spec = &rec.spec;
        let info = self
            .inner
            .platform
            .meta
            .get_app_package_info(rec.tenant_id, &spec.app_id, &spec.version)
            .await?;
        let module = self.module(&info).await?;
        let manifest = info.manifest;
        let scope = Scope {
            tenant: rec.tenant_id,
            installation: rec.id.to_string(),
            name: spec.name.clone(),
            app: spec.app_id.clone(),
            version: spec.version.clone(),
            products: spec.products.clone(),
            config: with_defaults(&spec.config, &manifest.config_schema),
        };
        let inst = self.inner.engine.install(
            &module,
            scope,
            spec.grant.clone(),
            manifest.limits,
            self.inner.services.clone(),
        );
        let slot = Arc::new(Slot {
            record: rec.clone(),
            manifest,
            inst: Arc::new(tokio::sync::Mutex::new(inst)),
            stats: Mutex::new(InstallationStats {
                loaded: true,
                ..InstallationStats::default()
            }),
            queue: Mutex::new(SlotQueue::default()),
            room: Arc::new(Semaphore::new(SLOT_QUEUE)),
        });
        let mut slots = self.inner.slots.write().unwrap_or_else(|e| e.into_inner());
        slots.insert(rec.id, slot);
        Ok(())
    }

    /// Loads an installation; one that cannot be loaded stays stored and shows why in
    /// its stats (and its log), so a change already saved is never reported as failed.
    async fn load_or_keep_error(&self, rec: AppInstallation) {
        let (tenant, id, name) = (rec.tenant_id, rec.id, rec.spec.name.clone());
        lock(&self.inner.failed).remove(&id);
        if self.keep_edge(&rec) {
            return;
        }
        if let Err(e) = self.load(rec).await {
            tracing::warn!(tenant = %tenant, installation = %id, error = %e, "app not loaded");
            let line = AppLogEntry {
                ts: chrono::Utc::now(),
                level: "error".into(),
                message: format!("not loaded: {e}"),
            };
            let _ = self
                .inner
                .platform
                .meta
                .add_app_logs(tenant, &name, &[line])
                .await;
            lock(&self.inner.failed).insert(id, e.to_string());
        }
    }

    /// Re-reads one installation after the API changed it (or removed it).
    pub async fn reload(&self, tenant: TenantId, id: InstallationId) -> Result<()> {
        let rec = match self.inner.platform.meta.get_installation(tenant, id).await {
            Ok(r) => Some(r),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.slots_mut().remove(&id);
        self.forget_edge(id);
        lock(&self.inner.failed).remove(&id);
        if let Some(r) = rec.filter(|r| r.spec.enabled) {
            self.load_or_keep_error(r).await;
        }
        self.update_interest();
        Ok(())
    }

    /// Reads every installation again, as at start: what is new or changed since it was
    /// loaded is loaded again (one that failed to load is tried again), what was removed
    /// or disabled stops; an unchanged installation keeps running with its state. A
    /// cluster node whose NATS connection came back calls it: it may have missed the
    /// notices of changes made through other nodes.
    pub async fn reload_all(&self) -> Result<()> {
        let stored = self.inner.platform.meta.enabled_installations().await?;
        let ids: HashSet<InstallationId> = stored.iter().map(|r| r.id).collect();
        self.slots_mut().retain(|id, _| ids.contains(id));
        lock(&self.inner.edge).retain(|id, _| ids.contains(id));
        lock(&self.inner.failed).retain(|id, _| ids.contains(id));
        for rec in stored {
            let running = {
                let slots = self.inner.slots.read().unwrap_or_else(|e| e.into_inner());
                slots.get(&rec.id).is_some_and(|s| s.record == rec)
            } || lock(&self.inner.edge).get(&rec.id) == Some(&rec);
            if running {
                continue;
            }
            self.slots_mut().remove(&rec.id);
            self.forget_edge(rec.id);
            self.load_or_keep_error(rec).await;
        }
        self.update_interest();
        Ok(())
    }

    fn slots_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<InstallationId, Arc<Slot>>> {
        self.inner.slots.write().unwrap_or_else(|e| e.into_inner())
    }

    fn slots(&self) -> Vec<Arc<Slot>> {
        let slots = self.inner.slots.read().unwrap_or_else(|e| e.into_inner());
        slots.values().cloned().collect()
    }

    fn slot(&self, tenant: TenantId, id: InstallationId) -> Option<Arc<Slot>> {
        let slots = self.inner.slots.read().unwrap_or_else(|e| e.into_inner());
        slots
            .get(&id)
            .filter(|s| s.record.tenant_id == tenant)
            .cloned()
    }

    /// The products each tenant's telemetry-triggered installations watch, and the
    /// gateways whose edge installations may forward alarms.
    fn update_interest(&self) {
        type Wanted = (HashSet<Arc<str>>, HashSet<Arc<str>>);
        let mut by_tenant: HashMap<TenantId, Wanted> = HashMap::new();
        for s in self.slots() {
            if s.manifest
                .triggers
                .iter()
                .any(|t| matches!(t, Trigger::Telemetry { .. }))
            {
                by_tenant
                    .entry(s.record.tenant_id)
                    .or_default()
                    .0
                    .extend(s.record.spec.products.iter().map(|p| Arc::from(p.as_str())));
            }
        }
        for (tenant, gateway) in self.edge_gateways() {
            by_tenant.entry(tenant).or_default().1.insert(gateway);
        }
        self.inner.interest.set_sources(
            by_tenant
                .into_iter()
                .map(|(t, (products, devices))| (t, Sources::Only { products, devices })),
        );
    }

    /// What the console shows of an installation.
    pub fn stats(&self, tenant: TenantId, id: InstallationId) -> InstallationStats {
        match self.slot(tenant, id) {
            Some(s) => {
                let mut st = lock(&s.stats).clone();
                st.running = s.inst.try_lock().map(|i| i.is_running()).unwrap_or(true);
                st
            }
            // Only reached for the caller's own installation (the API checked the tenant).
            None => InstallationStats {
                last_error: lock(&self.inner.failed).get(&id).cloned(),
                ..InstallationStats::default()
            },
        }
    }

    /// Runs an installation on one event now (a manual run, an HTTP request).
    pub async fn run(
        &self,
        tenant: TenantId,
        id: InstallationId,
        event: Value,
    ) -> Result<Invocation> {
        if let Some(gateway) = self.edge_gateway_of(tenant, id) {
            return self.run_at_edge(tenant, id, &gateway, event).await;
        }
        let slot = self.slot(tenant, id).ok_or_else(|| {
            Error::invalid(
                "installation",
                ironloom_core::error::FieldErrorKind::Other {
                    en: "is not enabled or could not be loaded (see its logs)".into(),
                    zh: "未启用或无法加载（请查看日志）".into(),
                },
            )
        })?;
        self.invoke(slot, event, None).await
    }

    /// Runs a triggered event unless the installation was paused while it waited for a
    /// worker or for the installation's previous event (then it is counted as skipped).
    async fn invoke_triggered(
        &self,
        slot: Arc<Slot>,
        event: Value,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<()> {
        self.run_event(slot, event, permit, true).await.map(|_| ())
    }

    /// Runs one event on a worker (`permit`, or the next free one).
    async fn invoke(
        &self,
        slot: Arc<Slot>,
        event: Value,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<Invocation> {
        self.run_event(slot, event, permit, false)
            .await?
            .ok_or_else(|| unavailable("skipped"))
    }

    /// Takes a worker and the installation (in arrival order), then runs the event; a
    /// triggered event of a paused installation is skipped (`None`).
    async fn run_event(
        &self,
        slot: Arc<Slot>,
        event: Value,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        triggered: bool,
    ) -> Result<Option<Invocation>> {
        let permit = match permit {
            Some(p) => p,
            None => self
                .inner
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(unavailable)?,
        };
        let bytes = serde_json::to_vec(&event).map_err(unavailable)?;
        let mut guard = slot.inst.clone().lock_owned().await;
        if triggered && lock(&slot.stats).skip(chrono::Utc::now()) {
            return Ok(None);
        }
        let out = tokio::task::spawn_blocking(move || {
            let out = guard.invoke(&bytes);
            drop(guard);
            drop(permit);
            out
        })
        .await
        .map_err(unavailable)?;
        self.account(&slot, &out).await;
        Ok(Some(out))
    }

    /// Counts, logs and remembers what an invocation did.
    async fn account(&self, slot: &Slot, out: &Invocation) {
        let pause = note(slot, out);
        let lines = self.usage_and_lines(slot, out, pause);
        self.keep_logs(slot, &lines).await;
    }

    /// Counts an invocation's usage; its log lines (with why it failed or was paused).
    fn usage_and_lines(
        &self,
        slot: &Slot,
        out: &Invocation,
        pause: Option<Duration>,
    ) -> Vec<AppLogEntry> {
        let rec = &slot.record;
        let failed = !matches!(out.result, Ok(0));
        self.count(
            rec.tenant_id,
            &AppUsageRow {
                month: ironloom_models::meter::this_month(),
                app_id: rec.spec.app_id.clone(),
                invocations: 1,
                errors: u64::from(failed),
                fuel: out.fuel,
                wall_us: u64::try_from(out.elapsed.as_micros()).unwrap_or(u64::MAX),
                host_calls: out.host_calls,
            },
        );
        let now = chrono::Utc::now();
        let mut lines: Vec<AppLogEntry> = out
            .logs
            .iter()
            .map(|l| AppLogEntry {
                ts: now,
                level: serde_json::to_value(l.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "info".into()),
                message: l.message.clone(),
            })
            .collect();
        match &out.result {
            Err(e) => lines.push(AppLogEntry {
                ts: now,
                level: "error".into(),
                message: e.to_string(),
            }),
            Ok(code) if *code != 0 => lines.push(AppLogEntry {
                ts: now,
                level: "error".into(),
                message: format!("the app returned {code}"),
            }),
            Ok(_) => {}
        }
        if let Some(p) = pause {
            lines.push(AppLogEntry {
                ts: now,
                level: "warn".into(),
                message: format!(
                    "stopped {PAUSE_AFTER} or more times in a row: triggered events are skipped for {} s",
                    p.as_secs()
                ),
            });
        }
        lines
    }

    async fn keep_logs(&self, slot: &Slot, lines: &[AppLogEntry]) {
        let rec = &slot.record;
        if let Err(e) = self
            .inner
            .platform
            .meta
            .add_app_logs(rec.tenant_id, &rec.spec.name, lines)
            .await
        {
            tracing::warn!(tenant = %rec.tenant_id, installation = %rec.id, error = %e, "app logs not kept");
        }
    }

    /// Queues a telemetry event for its installation (waiting while its queue is full,
    /// which slows the bus consumer: back-pressure, never unbounded memory), and starts
    /// the installation's drainer if it is not running.
    async fn enqueue(&self, slot: Arc<Slot>, event: Value) {
        let Ok(room) = slot.room.clone().acquire_owned().await else {
            return;
        };
        self.queue(slot, event, room);
    }

    /// [`enqueue`](Self::enqueue) without waiting: false (the event dropped) when the
    /// installation's queue is full. For callers that serve many tenants, such as the rule
    /// engine's effects, which must not wait behind one tenant's slow app.
    fn try_enqueue(&self, slot: Arc<Slot>, event: Value) -> bool {
        match slot.room.clone().try_acquire_owned() {
            Ok(room) => {
                self.queue(slot, event, room);
                true
            }
            Err(_) => false,
        }
    }

    fn queue(&self, slot: Arc<Slot>, event: Value, room: tokio::sync::OwnedSemaphorePermit) {
        let start = {
            let mut q = lock(&slot.queue);
            q.events.push_back((event, room));
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            let h = self.clone();
            tokio::spawn(async move { h.drain(slot).await });
        }
    }

    /// Runs an installation's queued events in arrival order, up to [`BATCH`] in one
    /// blocking task on one worker, until the queue is empty. Each event is checked
    /// against the pause first, and a stop counts at once, so a runaway app is paused in
    /// the middle of a batch; logs of a batch are kept in one write.
    async fn drain(&self, slot: Arc<Slot>) {
        loop {
            let Ok(worker) = self.inner.permits.clone().acquire_owned().await else {
                return;
            };
            let guard = slot.inst.clone().lock_owned().await;
            let batch: Vec<(Value, tokio::sync::OwnedSemaphorePermit)> = {
                let mut q = lock(&slot.queue);
                if q.events.is_empty() {
                    q.draining = false;
                    return;
                }
                let n = q.events.len().min(BATCH);
                q.events.drain(..n).collect()
            };
            let s = slot.clone();
            let done = tokio::task::spawn_blocking(move || {
                let mut guard = guard;
                let mut outs = Vec::with_capacity(batch.len());
                for (event, room) in batch {
                    if !lock(&s.stats).skip(chrono::Utc::now())
                        && let Ok(bytes) = serde_json::to_vec(&event)
                    {
                        let out = guard.invoke(&bytes);
                        let pause = note(&s, &out);
                        outs.push((out, pause));
                    }
                    drop(room);
                }
                drop(guard);
                drop(worker);
                outs
            })
            .await;
            match done {
                Ok(outs) => {
                    let mut lines = Vec::new();
                    for (out, pause) in &outs {
                        lines.extend(self.usage_and_lines(&slot, out, *pause));
                    }
                    if !lines.is_empty() {
                        self.keep_logs(&slot, &lines).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "telemetry-triggered app runs failed"),
            }
        }
    }

    async fn on_event(&self, ev: DeviceEvent) {
        if let DeviceEventKind::ClientRpc { method, params } = &ev.kind {
            self.on_gateway_rpc(&ev, method, params).await;
            return;
        }
        let DeviceEventKind::Telemetry { points, origin, .. } = &ev.kind else {
            return;
        };
        if matches!(origin, Origin::Rule { .. } | Origin::App { .. }) || points.is_empty() {
            return;
        }
        for slot in self.slots() {
            let rec = &slot.record;
            if rec.tenant_id != ev.tenant
                || !rec.spec.products.iter().any(|p| **p == *ev.product_key)
            {
                continue;
            }
            if !wants_telemetry(&slot.manifest, points.iter().map(|p| p.property.as_str()))
                || lock(&slot.stats).skip(chrono::Utc::now())
            {
                continue;
            }
            let points = points
                .iter()
                .map(|p| telemetry_point(&p.property, p.ts / 1000, &p.value))
                .collect();
            let event = telemetry_event(&ev.device_name, &ev.product_key, points);
            self.enqueue(slot, event).await;
        }
    }

    /// Runs the installations with an alarm trigger on an alarm of one of their
    /// products' devices. Alarms that apps raise or clear trigger no app, so apps cannot
    /// trigger each other in a loop.
    async fn on_alarm(&self, ev: AlarmEvent) {
        let alarm = &ev.alarm;
        if alarm.details.get("app").is_some() {
            return;
        }
        let wanted: Vec<Arc<Slot>> = self
            .slots()
            .into_iter()
            .filter(|s| {
                s.record.tenant_id == alarm.tenant_id
                    && s.manifest
                        .triggers
                        .iter()
                        .any(|t| matches!(t, Trigger::Alarm))
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        let meta = &self.inner.platform.meta;
        let Ok(device) = meta.get_device(alarm.tenant_id, alarm.device_id).await else {
            return;
        };
        let Ok(product) = meta.get_product(alarm.tenant_id, device.product_id).await else {
            return;
        };
        let event = alarm_event(&ev, &device.name, &product.product_key);
        for slot in wanted {
            if !slot.record.spec.products.contains(&product.product_key)
                || lock(&slot.stats).skip(chrono::Utc::now())
            {
                continue;
            }
            let h = self.clone();
            let event = event.clone();
            tokio::spawn(async move {
                if let Err(e) = h.invoke_triggered(slot, event, None).await {
                    tracing::warn!(error = %e, "alarm-triggered app run failed");
                }
            });
        }
    }

    async fn schedule(&self) {
        loop {
            let now = chrono::Utc::now();
            let next_minute = 60 - u64::from(chrono::Timelike::second(&now));
            tokio::time::sleep(Duration::from_secs(next_minute.max(1))).await;
            let at = chrono::Utc::now();
            for slot in self.slots() {
                for t in &slot.manifest.triggers {
                    if let Trigger::Schedule { cron } = t
                        && cron_matches(cron, &at)
                        && !lock(&slot.stats).skip(at)
                    {
                        let event = json!({"kind": "schedule", "cron": cron,
                            "at": at.timestamp_millis()});
                        let h = self.clone();
                        let slot = slot.clone();
                        tokio::spawn(async move {
                            if let Err(e) = h.invoke_triggered(slot, event, None).await {
                                tracing::warn!(error = %e, "scheduled app run failed");
                            }
                        });
                    }
                }
            }
        }
    }

    /// Writes the usage counted so far (also at shutdown).
    pub async fn flush(&self) {
        let rows: Vec<((TenantId, String, String), AppUsageRow)> =
            lock(&self.inner.usage).drain().collect();
        let mut by_tenant: HashMap<TenantId, Vec<AppUsageRow>> = HashMap::new();
        for ((t, _, _), r) in rows {
            by_tenant.entry(t).or_default().push(r);
        }
        for (t, rows) in by_tenant {
            if let Err(e) = self.inner.platform.meta.add_app_usage(t, &rows).await {
                tracing::warn!(tenant = %t, error = %e, "app usage not recorded; kept for the next flush");
                for r in &rows {
                    self.count(t, r);
                }
            }
        }
    }

    /// Adds counts to the tenant's row of the app and month, until the next flush.
    fn count(&self, tenant: TenantId, row: &AppUsageRow) {
        lock(&self.inner.usage)
            .entry((tenant, row.month.clone(), row.app_id.clone()))
            .or_insert_with(|| AppUsageRow {
                month: row.month.clone(),
                app_id: row.app_id.clone(),
                ..AppUsageRow::default()
            })
            .add(row);
    }
}
