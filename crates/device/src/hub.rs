//! The transport-independent side of devices: log-in, thing-model validation, durable
//! ingest, the error and event logs, and live connection state.
//!
//! The error log and the event log are series of the device in the time-series store
//! (`$errors`, `$events`, JSON text per entry), so they are durable, paged and expire with
//! the device's data like everything else it sends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ironloom_core::command::AttributeScope;
use ironloom_core::device::{
    DeviceEvent, DeviceEventKind, Reported, ValueRejection, points_from_reported,
};
use ironloom_core::entity::{Actor, ActorKind};
use ironloom_core::entity::{Device, DeviceCredentials, DeviceStatus, DeviceStatusUpdate, Product};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{
    DeviceBatch, Micros, PointIn, PointRejection, Quality, TelemetryStore, Value,
};
use serde_json::{Value as Json, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::auth::{AlinkLogin, LoginGuard, constant_time_eq};

pub use ironloom_core::device::{ERRORS_SERIES, EVENTS_SERIES};

#[derive(Debug, Clone)]
pub struct HubConfig {
    /// How long a product's thing model is used before it is read again.
    pub product_ttl: Duration,
    /// How often changed connection state is written to the metadata store.
    pub status_flush: Duration,
    /// Failed log-ins within `login_window` that ban the address (or device) for `ban`.
    pub login_max_failures: u32,
    pub login_window: Duration,
    pub login_ban: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            product_ttl: Duration::from_secs(10),
            status_flush: Duration::from_secs(2),
            login_max_failures: 10,
            login_window: Duration::from_secs(60),
            login_ban: Duration::from_secs(300),
        }
    }
}

/// An authenticated device, as every transport carries it.
#[derive(Debug, Clone)]
pub struct DeviceCtx {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub product: ProductId,
    pub name: Arc<str>,
    pub product_key: Arc<str>,
}

/// How a device presents itself.
#[derive(Debug)]
pub enum Login<'a> {
    /// ThingsBoard access token.
    Token(&'a str),
    /// MQTT user name and password.
    Basic {
        username: &'a str,
        password: &'a str,
    },
    /// Alibaba Alink HMAC sign-in.
    Alink {
        login: AlinkLogin,
        password: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("unknown device or wrong credentials")]
    BadCredentials,
    #[error("too many failed log-ins; try again later")]
    Banned,
    #[error("the device store is unavailable")]
    Unavailable,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the device's product could not be read: {0}")]
    Product(ironloom_core::error::Error),
    #[error("the data could not be stored: {0}")]
    Store(ironloom_core::error::Error),
}

/// Why one value was not stored: by the thing model, or by the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    Model(ValueRejection),
    Store(PointRejection),
    /// The payload could not be read at all.
    Payload(String),
    /// The topic or path is not part of the device API.
    UnknownTopic,
    /// An event the thing model does not declare.
    UnknownEvent,
}

impl Rejection {
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Model(r) => r.code(),
            Rejection::Store(r) => r.code(),
            Rejection::Payload(_) => "invalid_payload",
            Rejection::UnknownTopic => "unknown_topic",
            Rejection::UnknownEvent => "unknown_event",
        }
    }

    pub fn alink_code(&self) -> u32 {
        match self {
            Rejection::Model(r) => r.alink_code(),
            Rejection::UnknownEvent => 6300,
            Rejection::UnknownTopic => 6203,
            Rejection::Store(_) | Rejection::Payload(_) => 460,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        match self {
            Rejection::Model(r) => r.message(locale),
            Rejection::Store(r) => r.message(locale),
            Rejection::Payload(e) => match locale {
                Locale::En => format!("the payload could not be read: {e}"),
                Locale::ZhCn => format!("无法解析消息内容：{e}"),
            },
            Rejection::UnknownTopic => locale
                .pick(
                    "this topic is not part of the device API",
                    "该主题不属于设备接口",
                )
                .into(),
            Rejection::UnknownEvent => locale
                .pick(
                    "the product's thing model has no such event",
                    "产品物模型中没有该事件",
                )
                .into(),
        }
    }
}

/// One refused value (or message, with an empty key).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub key: String,
    pub reason: Rejection,
}

/// What an ingest did. Stored values are durable when this is returned.
#[derive(Debug, Clone, Default)]
pub struct IngestOutcome {
    pub stored: u64,
    pub refused: Vec<Refused>,
}

impl IngestOutcome {
    /// Accepted under the documented rule: something was stored, or nothing was sent.
    pub fn accepted(&self) -> bool {
        self.stored > 0 || self.refused.is_empty()
    }

    /// One line for a reason string: the first refusals, counted.
    pub fn summary(&self, locale: Locale) -> Option<String> {
        let first = self.refused.first()?;
        let head = if first.key.is_empty() {
            first.reason.message(locale)
        } else {
            format!("{}: {}", first.key, first.reason.message(locale))
        };
        Some(match (self.refused.len(), locale) {
            (1, _) => head,
            (n, Locale::En) => format!("{head} (and {} more refused)", n - 1),
            (n, Locale::ZhCn) => format!("{head}（另有 {} 项被拒绝）", n - 1),
        })
    }
}

/// A consumer of device events that must not miss any (the rule engine). Telemetry waits
/// for room in it (back-pressure on the device); connection events, which come from
/// places that cannot wait, are dropped and counted when it is full.
#[derive(Debug, Clone)]
pub struct EventSink {
    pub tx: tokio::sync::mpsc::Sender<DeviceEvent>,
    /// The tenants whose events it wants (those with enabled rules); others cost nothing.
    pub tenants: Arc<std::sync::RwLock<std::collections::HashSet<TenantId>>>,
}

#[derive(Debug, Default)]
struct Live {
    tenant: Option<TenantId>,
    connections: u32,
    status: DeviceStatus,
    dirty: bool,
}

struct CachedProduct {
    product: Arc<Product>,
    at: Instant,
    /// A caller is reading it again since then; others keep using this copy meanwhile.
    refreshing: Option<Instant>,
}

pub struct DeviceHub {
    pub(crate) meta: Arc<dyn MetaStore>,
    telemetry: Arc<dyn TelemetryStore>,
    config: HubConfig,
    products: Mutex<HashMap<ProductId, CachedProduct>>,
    pub guard: LoginGuard,
    live: Mutex<HashMap<DeviceId, Live>>,
    /// Messages and values stored per tenant since start (system health).
    traffic: Mutex<HashMap<TenantId, (u64, u64)>>,
    /// Last timestamp used in each device's logs, so two entries never share one.
    log_clock: Mutex<HashMap<DeviceId, Micros>>,
    events: broadcast::Sender<DeviceEvent>,
    pub(crate) downlinks: crate::downlink::Downlinks,
    /// Serialises first reads of products.
    product_loads: tokio::sync::Mutex<()>,
    /// Serialises provisioning claims of pre-registered devices (check, then mark), so
    /// two simultaneous requests cannot both receive one device's credentials.
    pub(crate) provision_claims: tokio::sync::Mutex<()>,
    /// Merges concurrent devices' telemetry writes (started on first use).
    ingest: std::sync::OnceLock<crate::ingest::IngestQueue>,
    sink: std::sync::OnceLock<EventSink>,
}

impl std::fmt::Debug for DeviceHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The device as the actor of what it changes.
pub fn device_actor(ctx: &DeviceCtx) -> Actor {
    Actor {
        kind: ActorKind::Device,
        id: Some(ctx.device.to_string()),
        name: ctx.name.to_string(),
        tenant_id: Some(ctx.tenant),
        ip: None,
    }
}

pub(crate) fn ctx_of(d: &Device, product_key: &str) -> DeviceCtx {
    DeviceCtx {
        tenant: d.tenant_id,
        device: d.id,
        product: d.product_id,
        name: d.name.as_str().into(),
        product_key: product_key.into(),
    }
}

impl DeviceHub {
    pub fn new(
        meta: Arc<dyn MetaStore>,
        telemetry: Arc<dyn TelemetryStore>,
        config: HubConfig,
    ) -> Arc<DeviceHub> {
        let guard = LoginGuard::new(
            config.login_max_failures,
            config.login_window,
            config.login_ban,
        );
        Arc::new(DeviceHub {
            meta,
            telemetry,
            config,
            products: Mutex::new(HashMap::new()),
            guard,
            live: Mutex::new(HashMap::new()),
            traffic: Mutex::new(HashMap::new()),
            log_clock: Mutex::new(HashMap::new()),
            events: broadcast::channel(4096).0,
            downlinks: Default::default(),
            product_loads: tokio::sync::Mutex::new(()),
            provision_claims: tokio::sync::Mutex::new(()),
            ingest: std::sync::OnceLock::new(),
            sink: std::sync::OnceLock::new(),
        })
    }

    /// Sets the reliable consumer of device events (once; later calls are ignored).
    pub fn set_sink(&self, sink: EventSink) {
        let _ = self.sink.set(sink);
    }

    fn sink_for(&self, tenant: TenantId) -> Option<&EventSink> {
        let s = self.sink.get()?;
        let wanted = s
            .tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&tenant);
        wanted.then_some(s)
    }

    fn make_event(&self, ctx: &DeviceCtx, at: DateTime<Utc>, kind: DeviceEventKind) -> DeviceEvent {
        DeviceEvent {
            tenant: ctx.tenant,
            device: ctx.device,
            device_name: ctx.name.clone(),
            product_key: ctx.product_key.clone(),
            at,
            kind,
        }
    }

    /// Announces an event from a place that cannot wait: a full sink drops it (counted).
    fn emit(&self, ev: DeviceEvent) {
        let ev = self.broadcast(ev);
        if let Some(s) = self.sink_for(ev.tenant)
            && s.tx.try_send(ev).is_err()
        {
            metrics::counter!("ironloom_rule_events_dropped_total").increment(1);
        }
    }

    /// Announces an event, waiting for room in the sink.
    async fn emit_wait(&self, ev: DeviceEvent) {
        let ev = self.broadcast(ev);
        if let Some(s) = self.sink_for(ev.tenant) {
            let _ = s.tx.send(ev).await;
        }
    }

    fn broadcast(&self, ev: DeviceEvent) -> DeviceEvent {
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(ev.clone());
        }
        ev
    }

    pub fn meta(&self) -> &Arc<dyn MetaStore> {
        &self.meta
    }

    /// Live device events (connects, disconnects, stored telemetry, thing-model events).
    pub fn subscribe(&self) -> broadcast::Receiver<DeviceEvent> {
        self.events.subscribe()
    }

    /// The sender behind [`DeviceHub::subscribe`], for those who subscribe later (the
    /// API's live views). Telemetry events carry their values while anybody subscribes.
    pub fn events(&self) -> broadcast::Sender<DeviceEvent> {
        self.events.clone()
    }

    /// Checks credentials; counts failures per address and claimed device, and refuses
    /// banned ones before looking anything up.
    pub async fn login(&self, login: Login<'_>, peer: IpAddr) -> Result<DeviceCtx, LoginError> {
        let claimed = match &login {
            Login::Token(t) => format!("token:{t}"),
            Login::Basic { username, .. } => format!("user:{username}"),
            Login::Alink { login, .. } => format!("{}/{}", login.product_key, login.device_name),
        };
        if self.guard.banned(peer, Some(&claimed)) {
            metrics::counter!("ironloom_device_logins_total", "outcome" => "banned").increment(1);
            return Err(LoginError::Banned);
        }
        let unavailable = |e: ironloom_core::error::Error| {
            warn!(error = %e, "device log-in could not read the store");
            LoginError::Unavailable
        };
        let found: Option<(Device, Option<DeviceCredentials>)> = match &login {
            Login::Token(t) if !t.is_empty() => self
                .meta
                .find_device_by_token(t)
                .await
                .map_err(unavailable)?
                .map(|d| (d, None)),
            Login::Token(_) => None,
            Login::Basic { username, password } => self
                .meta
                .find_device_by_username(username)
                .await
                .map_err(unavailable)?
                .filter(|(_, c)| constant_time_eq(c.password.as_bytes(), password.as_bytes()))
                .map(|(d, c)| (d, Some(c))),
            Login::Alink { login, password } => self
                .meta
                .find_device_by_product_key(&login.product_key, &login.device_name)
                .await
                .map_err(unavailable)?
                .filter(|(_, c)| !c.secret.is_empty() && login.verify(&c.secret, password))
                .map(|(d, c)| (d, Some(c))),
        };
        let Some((device, _)) = found else {
            self.guard.failed(peer, Some(&claimed));
            metrics::counter!("ironloom_device_logins_total", "outcome" => "refused").increment(1);
            return Err(LoginError::BadCredentials);
        };
        let product = self
            .product(device.tenant_id, device.product_id)
            .await
            .map_err(|_| LoginError::Unavailable)?;
        metrics::counter!("ironloom_device_logins_total", "outcome" => "accepted").increment(1);
        Ok(ctx_of(&device, &product.product_key))
    }

    /// The device's product, from a short-lived cache. When an entry expires, one caller
    /// reads it again while the others keep using the old copy (thousands of devices of
    /// one product would otherwise all query the store at once); products never seen are
    /// read by one caller at a time.
    pub async fn product(
        &self,
        tenant: TenantId,
        id: ProductId,
    ) -> Result<Arc<Product>, ironloom_core::error::Error> {
        const REFRESH_GRACE: Duration = Duration::from_secs(5);
        let stale = {
            let mut cache = lock(&self.products);
            match cache.get_mut(&id) {
                Some(c) if c.at.elapsed() < self.config.product_ttl => {
                    return Ok(c.product.clone());
                }
                Some(c) if c.refreshing.is_some_and(|r| r.elapsed() < REFRESH_GRACE) => {
                    return Ok(c.product.clone());
                }
                Some(c) => {
                    c.refreshing = Some(Instant::now());
                    Some(c.product.clone())
                }
                None => None,
            }
        };
        let _first_read = match stale {
            Some(_) => None,
            None => {
                let guard = self.product_loads.lock().await;
                if let Some(c) = lock(&self.products).get(&id)
                    && c.at.elapsed() < self.config.product_ttl
                {
                    return Ok(c.product.clone());
                }
                Some(guard)
            }
        };
        match self.meta.get_product(tenant, id).await {
            Ok(p) => {
                let p = Arc::new(p);
                lock(&self.products).insert(
                    id,
                    CachedProduct {
                        product: p.clone(),
                        at: Instant::now(),
                        refreshing: None,
                    },
                );
                Ok(p)
            }
            Err(e) => match stale {
                // Keep serving the last copy; the next expiry tries again.
                Some(old) => {
                    if let Some(c) = lock(&self.products).get_mut(&id) {
                        c.refreshing = None;
                        c.at = Instant::now();
                    }
                    warn!(product = %id, error = %e, "could not re-read a product; using the cached copy");
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }

    /// Forgets a cached product (after it changed).
    pub fn forget_product(&self, id: ProductId) {
        lock(&self.products).remove(&id);
    }

    /// A timestamp for a log entry of the device, unique among its entries.
    fn log_ts(&self, device: DeviceId, at: Micros) -> Micros {
        // A time the device gave, ahead of ours: kept as given, and not allowed to move
        // the clock (which would make the arrival times after it collide).
        if at > Utc::now().timestamp_micros() + 1_000_000 {
            return at;
        }
        let mut clock = lock(&self.log_clock);
        let last = clock.entry(device).or_insert(0);
        if at > *last {
            *last = at;
            at
        } else if *last - at < 1_000_000 {
            // Entries within the same second keep their order one microsecond apart.
            *last += 1;
            *last
        } else {
            // An entry from the device's past, at its own timestamp: kept as given (two
            // events of one device in the same microsecond would share an entry).
            at
        }
    }

    fn error_points(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        refused: &[Refused],
        now: Micros,
    ) -> Vec<PointIn> {
        refused
            .iter()
            .map(|r| {
                let entry = json!({
                    "code": r.reason.code(),
                    "key": r.key,
                    "message": r.reason.message(Locale::En),
                    "message_zh": r.reason.message(Locale::ZhCn),
                    "source": source,
                });
                PointIn {
                    property: ERRORS_SERIES.into(),
                    ts: self.log_ts(ctx.device, now),
                    value: Value::Str(entry.to_string()),
                    quality: Quality::Good,
                }
            })
            .collect()
    }

    fn count_refused(ctx: &DeviceCtx, refused: &[Refused]) {
        for r in refused {
            metrics::counter!(
                "ironloom_device_rejected_values_total",
                "tenant" => ctx.tenant.to_string(),
                "code" => r.reason.code()
            )
            .increment(1);
        }
    }

    fn ingest_queue(&self) -> &crate::ingest::IngestQueue {
        self.ingest
            .get_or_init(|| crate::ingest::IngestQueue::start(self.telemetry.clone()))
    }

    /// Validates reported values against the product's thing model and stores the valid
    /// ones durably, with every refusal in the device's error log.
    pub async fn ingest(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        reported: Vec<Reported>,
    ) -> Result<IngestOutcome, IngestError> {
        let mut out = self.ingest_many(ctx, source, vec![reported]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Several messages of one device in one durable write; one outcome per message.
    pub async fn ingest_many(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        messages: Vec<Vec<Reported>>,
    ) -> Result<Vec<IngestOutcome>, IngestError> {
        let product = self
            .product(ctx.tenant, ctx.product)
            .await
            .map_err(IngestError::Product)?;
        let now = Utc::now().timestamp_micros();
        let mut all: Vec<PointIn> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        // For each message: where its points start in `all`, and its refusals.
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(messages.len());
        let mut outcomes: Vec<IngestOutcome> = Vec::with_capacity(messages.len());
        for reported in messages {
            // Values without their own timestamp get the arrival time, unique per message
            // of the device: two messages in one batch (or one microsecond) must not
            // overwrite each other.
            let at = self.log_ts(ctx.device, now);
            let (points, model_refused) = points_from_reported(&product.thing_model, reported, at);
            spans.push((all.len(), points.len()));
            keys.extend(points.iter().map(|p| p.property.clone()));
            all.extend(points);
            outcomes.push(IngestOutcome {
                stored: 0,
                refused: model_refused
                    .into_iter()
                    .map(|r| Refused {
                        key: r.key,
                        reason: Rejection::Model(r.reason),
                    })
                    .collect(),
            });
        }
        let sent = all.len();
        // The values for the rule engine, when it watches the tenant, and for live views.
        let watched = self.sink_for(ctx.tenant).is_some() || self.events.receiver_count() > 0;
        let mut watched_points = watched.then(|| all.clone());
        for o in &outcomes {
            all.extend(self.error_points(ctx, source, &o.refused, now));
        }
        let written = self
            .ingest_queue()
            .write(
                ctx.tenant,
                DeviceBatch {
                    device: ctx.device,
                    product: Some(ctx.product),
                    points: all,
                },
            )
            .await
            .map_err(IngestError::Store)?;
        // Store refusals among the device's values (the log entries are plain text and not
        // refused), given back to the message they came from.
        let mut store_refused: Vec<Refused> = Vec::new();
        if let Some(points) = &mut watched_points
            && !written.rejected.is_empty()
        {
            let refused: std::collections::HashSet<usize> =
                written.rejected.iter().map(|r| r.index).collect();
            let mut i = 0;
            points.retain(|_| {
                i += 1;
                !refused.contains(&(i - 1))
            });
        }
        for r in written.rejected.into_iter().filter(|r| r.index < sent) {
            let m = spans
                .partition_point(|&(start, _)| start <= r.index)
                .saturating_sub(1);
            let refused = Refused {
                key: keys.get(r.index).cloned().unwrap_or_default(),
                reason: Rejection::Store(r.reason),
            };
            store_refused.push(refused.clone());
            if let Some(o) = outcomes.get_mut(m) {
                o.refused.push(refused);
            }
        }
        let mut total = 0u64;
        for (o, &(_, len)) in outcomes.iter_mut().zip(&spans) {
            let refused_by_store = o
                .refused
                .iter()
                .filter(|r| matches!(r.reason, Rejection::Store(_)))
                .count();
            o.stored = (len - refused_by_store) as u64;
            total += o.stored;
            Self::count_refused(ctx, &o.refused);
        }
        if !store_refused.is_empty() {
            self.log_errors(ctx, source, &store_refused).await;
        }
        self.seen(ctx);
        if total > 0 {
            metrics::counter!("ironloom_device_values_stored_total", "tenant" => ctx.tenant.to_string())
                .increment(total);
            {
                let stored = outcomes.iter().filter(|o| o.stored > 0).count() as u64;
                let mut t = lock(&self.traffic);
                let e = t.entry(ctx.tenant).or_default();
                e.0 += stored;
                e.1 += total;
            }
            self.emit_wait(self.make_event(
                ctx,
                Utc::now(),
                DeviceEventKind::Telemetry {
                    stored: total,
                    points: watched_points.unwrap_or_default(),
                },
            ))
            .await;
        }
        Ok(outcomes)
    }

    /// Records refusals that did not come from an ingest (unreadable payloads, unknown
    /// topics) in the device's error log.
    pub async fn log_errors(&self, ctx: &DeviceCtx, source: &str, refused: &[Refused]) {
        if refused.is_empty() {
            return;
        }
        let now = Utc::now().timestamp_micros();
        let points = self.error_points(ctx, source, refused, now);
        let r = self
            .telemetry
            .write(
                ctx.tenant,
                vec![DeviceBatch {
                    device: ctx.device,
                    product: Some(ctx.product),
                    points,
                }],
            )
            .await;
        if let Err(e) = r {
            warn!(device = %ctx.device, error = %e, "could not write the device error log");
        }
    }

    /// A refusal of a whole message: logged, counted.
    pub async fn refuse(&self, ctx: &DeviceCtx, source: &str, reason: Rejection) -> IngestOutcome {
        let refused = vec![Refused {
            key: String::new(),
            reason,
        }];
        Self::count_refused(ctx, &refused);
        self.log_errors(ctx, source, &refused).await;
        IngestOutcome { stored: 0, refused }
    }

    /// Stores a thing-model event in the device's event log.
    pub async fn event(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        identifier: &str,
        ts_ms: Option<i64>,
        params: Json,
    ) -> Result<IngestOutcome, IngestError> {
        let product = self
            .product(ctx.tenant, ctx.product)
            .await
            .map_err(IngestError::Product)?;
        let model = &product.thing_model;
        let def = model.events.iter().find(|e| e.identifier == identifier);
        if def.is_none() && !model.events.is_empty() {
            return Ok(self.refuse(ctx, source, Rejection::UnknownEvent).await);
        }
        if let (Some(def), Json::Object(fields)) = (def, &params) {
            for (k, v) in fields {
                let checked = match def.output.iter().find(|f| &f.identifier == k) {
                    None => Err(ValueRejection::UnknownProperty),
                    Some(f) => f.data_type.check_value(v).map_err(ValueRejection::Invalid),
                };
                if let Err(reason) = checked {
                    return Ok(self.refuse(ctx, source, Rejection::Model(reason)).await);
                }
            }
        }
        let now = Utc::now().timestamp_micros();
        let at = match ts_ms {
            Some(ms) if (0..=253_402_300_799_999).contains(&ms) => ms * 1000,
            Some(_) => {
                return Ok(self
                    .refuse(ctx, source, Rejection::Model(ValueRejection::BadTimestamp))
                    .await);
            }
            None => now,
        };
        let entry = json!({
            "type": "event",
            "event": identifier,
            "level": def.map(|d| d.level.as_str()),
            "params": params,
        });
        self.write_log(ctx, EVENTS_SERIES, at, entry)
            .await
            .map_err(IngestError::Store)?;
        self.seen(ctx);
        self.emit_wait(self.make_event(
            ctx,
            Utc::now(),
            DeviceEventKind::Event {
                identifier: identifier.to_owned(),
                params,
            },
        ))
        .await;
        Ok(IngestOutcome {
            stored: 1,
            refused: Vec::new(),
        })
    }

    async fn write_log(
        &self,
        ctx: &DeviceCtx,
        series: &str,
        at: Micros,
        entry: Json,
    ) -> Result<(), ironloom_core::error::Error> {
        let ts = self.log_ts(ctx.device, at);
        self.telemetry
            .write(
                ctx.tenant,
                vec![DeviceBatch {
                    device: ctx.device,
                    product: Some(ctx.product),
                    points: vec![PointIn {
                        property: series.into(),
                        ts,
                        value: Value::Str(entry.to_string()),
                        quality: Quality::Good,
                    }],
                }],
            )
            .await
            .map(|_| ())
    }

    /// A connection of the device opened. The state changes at once; the event-log entry
    /// is written in the background.
    pub fn connected(self: &Arc<Self>, ctx: &DeviceCtx, transport: &str) {
        let now = Utc::now();
        {
            let mut live = lock(&self.live);
            let l = live.entry(ctx.device).or_default();
            l.tenant = Some(ctx.tenant);
            l.connections += 1;
            l.status.online = true;
            l.status.last_connected_at = Some(now);
            l.status.last_seen_at = Some(now);
            l.dirty = true;
        }
        self.emit(self.make_event(
            ctx,
            now,
            DeviceEventKind::Connected {
                transport: transport.to_owned(),
            },
        ));
        self.log_in_background(
            ctx,
            now,
            json!({"type": "connected", "transport": transport}),
        );
    }

    /// A connection of the device closed.
    pub fn disconnected(self: &Arc<Self>, ctx: &DeviceCtx, reason: &str) {
        let now = Utc::now();
        {
            let mut live = lock(&self.live);
            let l = live.entry(ctx.device).or_default();
            l.connections = l.connections.saturating_sub(1);
            l.status.online = l.connections > 0;
            l.status.last_disconnected_at = Some(now);
            l.dirty = true;
        }
        self.emit(self.make_event(
            ctx,
            now,
            DeviceEventKind::Disconnected {
                reason: reason.to_owned(),
            },
        ));
        self.log_in_background(ctx, now, json!({"type": "disconnected", "reason": reason}));
    }

    fn log_in_background(self: &Arc<Self>, ctx: &DeviceCtx, at: DateTime<Utc>, entry: Json) {
        let hub = self.clone();
        let ctx = ctx.clone();
        // The timestamp is taken now, so entries keep their order whenever they land.
        let ts = self.log_ts(ctx.device, at.timestamp_micros());
        tokio::spawn(async move {
            if let Err(e) = hub.write_log(&ctx, EVENTS_SERIES, ts, entry).await {
                warn!(device = %ctx.device, error = %e, "could not write the device event log");
            }
        });
    }

    /// The device was heard from (kept in memory, written in batches).
    pub fn seen(&self, ctx: &DeviceCtx) {
        let now = Utc::now();
        let mut live = lock(&self.live);
        let l = live.entry(ctx.device).or_default();
        l.status.last_seen_at = Some(now);
        l.dirty = true;
    }

    /// The live status of a device, if it was active since the server started.
    pub fn live_status(&self, device: DeviceId) -> Option<DeviceStatus> {
        lock(&self.live).get(&device).map(|l| l.status.clone())
    }

    /// Writes changed connection state to the metadata store, in one batch.
    pub async fn flush_status(&self) {
        let updates: Vec<DeviceStatusUpdate> = {
            let mut live = lock(&self.live);
            let updates = live
                .iter_mut()
                .filter(|(_, l)| l.dirty)
                .map(|(id, l)| {
                    l.dirty = false;
                    DeviceStatusUpdate {
                        device_id: *id,
                        status: l.status.clone(),
                    }
                })
                .collect();
            // Devices that went away are kept until written, then forgotten.
            live.retain(|_, l| l.connections > 0 || l.dirty);
            updates
        };
        if updates.is_empty() {
            return;
        }
        if let Err(e) = self.meta.update_device_status(&updates).await {
            warn!(error = %e, count = updates.len(), "could not write device status; will retry");
            let mut live = lock(&self.live);
            for u in updates {
                let l = live.entry(u.device_id).or_default();
                if !l.dirty {
                    l.status = u.status;
                    l.dirty = true;
                }
            }
        }
    }

    /// Flushes connection state every `status_flush`, ends overdue commands every second
    /// and expired queued ones every 15 s, until shutdown; then flushes once more.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.status_flush);
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        // Queue expiry is in the store; a few seconds late is fine, a query a second not.
        let mut expire = tokio::time::interval(Duration::from_secs(15));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => self.flush_status().await,
                _ = sweep.tick() => self.end_overdue_commands().await,
                _ = expire.tick() => self.expire_stored_commands().await,
            }
        }
        self.flush_status().await;
    }

    /// A device called the platform (client-side RPC): announced for rules.
    pub fn client_rpc(&self, ctx: &DeviceCtx, method: &str, params: Json) {
        self.seen(ctx);
        self.emit(self.make_event(
            ctx,
            Utc::now(),
            DeviceEventKind::ClientRpc {
                method: method.to_owned(),
                params,
            },
        ));
    }

    /// Stores attributes the device reports about itself (client scope).
    pub async fn client_attributes(
        &self,
        ctx: &DeviceCtx,
        values: serde_json::Map<String, Json>,
    ) -> Result<(), Rejection> {
        if values.is_empty() {
            return Ok(());
        }
        let actor = device_actor(ctx);
        self.meta
            .set_attributes(
                &actor,
                ctx.tenant,
                ctx.device,
                AttributeScope::Client,
                values,
            )
            .await
            .map_err(|e| match e {
                ironloom_core::error::Error::Invalid(f) => {
                    Rejection::Payload(f.message(Locale::En))
                }
                other => Rejection::Payload(format!("not stored: {other}")),
            })?;
        self.seen(ctx);
        Ok(())
    }

    /// Attributes a device asks for: `None` keys mean all of the scope.
    pub async fn requested_attributes(
        &self,
        ctx: &DeviceCtx,
        client_keys: Option<&[String]>,
        shared_keys: Option<&[String]>,
    ) -> Result<(Json, Json), ironloom_core::error::Error> {
        let get = |scope, keys| async move {
            let attrs = self
                .meta
                .get_attributes(ctx.tenant, ctx.device, scope, keys)
                .await?;
            Ok::<Json, ironloom_core::error::Error>(Json::Object(
                attrs.into_iter().map(|a| (a.key, a.value)).collect(),
            ))
        };
        let client = get(AttributeScope::Client, client_keys).await?;
        let shared = get(AttributeScope::Shared, shared_keys).await?;
        self.seen(ctx);
        Ok((client, shared))
    }
}

#[async_trait::async_trait]
impl ironloom_core::command::DeviceLink for DeviceHub {
    async fn send_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        req: ironloom_core::command::CommandRequest,
    ) -> ironloom_core::error::Result<ironloom_core::command::Command> {
        DeviceHub::send_command(self, actor, tenant, device, req).await
    }

    async fn set_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        values: serde_json::Map<String, Json>,
    ) -> ironloom_core::error::Result<Vec<ironloom_core::command::Attribute>> {
        let written = self
            .meta
            .set_attributes(
                actor,
                tenant,
                device,
                AttributeScope::Shared,
                values.clone(),
            )
            .await?;
        self.push_attributes(device, values, Vec::new());
        Ok(written)
    }

    async fn delete_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        keys: Vec<String>,
    ) -> ironloom_core::error::Result<Vec<String>> {
        let removed = self
            .meta
            .delete_attributes(actor, tenant, device, AttributeScope::Shared, &keys)
            .await?;
        if !removed.is_empty() {
            self.push_attributes(device, serde_json::Map::new(), removed.clone());
        }
        Ok(removed)
    }

    fn live_status(&self, device: DeviceId) -> Option<DeviceStatus> {
        DeviceHub::live_status(self, device)
    }

    fn reachable(&self, device: DeviceId) -> bool {
        DeviceHub::reachable(self, device)
    }

    fn traffic(&self, tenant: Option<TenantId>) -> ironloom_core::command::Traffic {
        let wanted = |t: &TenantId| tenant.is_none_or(|x| x == *t);
        let connected_devices = lock(&self.live)
            .values()
            .filter(|l| l.connections > 0 && l.tenant.as_ref().is_some_and(wanted))
            .count() as u64;
        let (messages, values) = lock(&self.traffic)
            .iter()
            .filter(|(t, _)| wanted(t))
            .fold((0, 0), |(m, v), (_, (m2, v2))| (m + m2, v + v2));
        ironloom_core::command::Traffic {
            connected_devices,
            messages,
            values,
        }
    }
}
