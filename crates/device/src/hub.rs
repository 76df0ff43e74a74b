//! The transport-independent side of devices: log-in, thing-model validation, durable
//! ingest, the error and event logs, live connection state and the downlink.
//!
//! Layout: `login` (credentials and the failed-log-in guard), `products` (the product and
//! device caches), `ingest` (the one ingest path: validation, the merged durable write of
//! `queue`, the error and event logs, announcing on the bus), `live` (connection state,
//! traffic counts), `attributes` (client and shared attributes, the platform's
//! [`DeviceLink`](ironloom_core::command::DeviceLink)), `downlink` (commands and attribute
//! pushes), `peers` (the other nodes of a cluster: downlinks to sessions they hold,
//! takeovers, cache invalidation), `provision` (ThingsBoard device provisioning).
//!
//! The error log and the event log are series of the device in the time-series store
//! (`$errors`, `$events`, JSON text per entry), so they are durable, paged and expire with
//! the device's data like everything else it sends. They are written through the same
//! ingest queue as the device's data.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ironloom_bus::{EventBus, IngestLog, LocalLog};
use ironloom_core::device::{DeviceEvent, DeviceEventKind};
use ironloom_core::entity::{Actor, ActorKind, Device};
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{Micros, TelemetryStore};
use tokio_util::sync::CancellationToken;

use crate::auth::LoginGuard;

mod activity;
mod attributes;
pub mod downlink;
mod ingest;
mod live;
mod login;
mod peers;
mod products;
pub mod provision;
mod queue;

pub use crate::config::HubConfig;
pub use ironloom_core::device::{ERRORS_SERIES, EVENTS_SERIES};
pub use ironloom_core::ingest::{IngestError, IngestOutcome, Origin, Refused, Rejection};
pub use login::{Login, LoginError};
pub use peers::{Close, Closer};

/// An authenticated device, as every transport carries it.
#[derive(Debug, Clone)]
pub struct DeviceCtx {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub product: ProductId,
    pub name: Arc<str>,
    pub product_key: Arc<str>,
}

/// Maps keyed by ids the platform made (never by client input), read for every message:
/// a fast hash instead of SipHash.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub struct DeviceHub {
    pub(crate) meta: Arc<dyn MetaStore>,
    /// Where accepted data becomes durable before its acknowledgement.
    log: Arc<dyn IngestLog>,
    bus: Arc<dyn EventBus>,
    config: HubConfig,
    products: Mutex<FastMap<ProductId, products::CachedProduct>>,
    /// Devices written for by the platform (derived data), by id.
    contexts: Mutex<FastMap<DeviceId, products::CachedCtx>>,
    pub guard: LoginGuard,
    live: Mutex<FastMap<DeviceId, live::Live>>,
    /// What each device delivered this month, not yet written.
    activity: Mutex<activity::Activity>,
    /// Messages and values stored per tenant since start (system health), with the
    /// tenant's counter of stored values (its label formatted once, not per message).
    traffic: Mutex<FastMap<TenantId, live::TenantTraffic>>,
    /// Last timestamp used in each device's logs, so two entries never share one.
    log_clock: Mutex<FastMap<DeviceId, Micros>>,
    pub(crate) downlinks: downlink::Downlinks,
    /// Serialises first reads of products.
    product_loads: tokio::sync::Mutex<()>,
    /// Serialises provisioning claims of pre-registered devices (check, then mark), so
    /// two simultaneous requests cannot both receive one device's credentials.
    pub(crate) provision_claims: tokio::sync::Mutex<()>,
    /// Merges concurrent devices' telemetry writes (started on first use).
    ingest: std::sync::OnceLock<queue::IngestQueue>,
    /// The other nodes of a cluster (none on a single node).
    peers: std::sync::OnceLock<Arc<dyn ironloom_core::peers::Peers>>,
    /// How the transports end a device's connections (deleted device, takeover).
    closers: Mutex<Vec<Closer>>,
}

impl std::fmt::Debug for DeviceHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
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
    /// A hub storing into `telemetry` and announcing on `bus`.
    /// A single node's hub: data is durable in `telemetry`'s own log.
    pub fn new(
        meta: Arc<dyn MetaStore>,
        telemetry: Arc<dyn TelemetryStore>,
        bus: Arc<dyn EventBus>,
        config: HubConfig,
    ) -> Arc<DeviceHub> {
        DeviceHub::with_log(meta, Arc::new(LocalLog::new(telemetry)), bus, config)
    }

    /// A hub whose accepted data becomes durable in `log` (a cluster's replicated stream).
    pub fn with_log(
        meta: Arc<dyn MetaStore>,
        log: Arc<dyn IngestLog>,
        bus: Arc<dyn EventBus>,
        config: HubConfig,
    ) -> Arc<DeviceHub> {
        let guard = LoginGuard::new(
            config.login_max_failures,
            config.login_window.0,
            config.login_ban.0,
        );
        Arc::new(DeviceHub {
            meta,
            log,
            bus,
            config,
            products: Mutex::new(FastMap::default()),
            contexts: Mutex::new(FastMap::default()),
            guard,
            live: Mutex::new(FastMap::default()),
            activity: Mutex::new(activity::Activity::default()),
            traffic: Mutex::new(FastMap::default()),
            log_clock: Mutex::new(FastMap::default()),
            downlinks: Default::default(),
            product_loads: tokio::sync::Mutex::new(()),
            provision_claims: tokio::sync::Mutex::new(()),
            ingest: std::sync::OnceLock::new(),
            peers: std::sync::OnceLock::new(),
            closers: Mutex::new(Vec::new()),
        })
    }

    pub fn meta(&self) -> &Arc<dyn MetaStore> {
        &self.meta
    }

    /// Where the hub announces device events (live views subscribe here).
    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    fn make_event(&self, ctx: &DeviceCtx, at: DateTime<Utc>, kind: DeviceEventKind) -> DeviceEvent {
        DeviceEvent {
            tenant: ctx.tenant,
            device: ctx.device,
            device_name: ctx.name.clone(),
            product_key: ctx.product_key.clone(),
            at,
            kind,
            pos: None,
        }
    }

    /// Flushes connection state every `status_flush` and devices' monthly activity every
    /// `activity_flush`, ends overdue commands every second and expired queued ones every
    /// 15 s, until shutdown; then flushes once more.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.status_flush.0);
        let mut activity = tokio::time::interval(self.config.activity_flush.0);
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        // Queue expiry is in the store; a few seconds late is fine, a query a second not.
        let mut expire = tokio::time::interval(Duration::from_secs(15));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => self.flush_status().await,
                _ = activity.tick() => self.flush_activity().await,
                _ = sweep.tick() => self.end_overdue_commands().await,
                _ = expire.tick() => self.expire_stored_commands().await,
            }
        }
        self.flush_status().await;
        self.flush_activity().await;
    }
}
