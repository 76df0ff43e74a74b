//! The hand-offs between the ingest path and everything that consumes device data.
//!
//! Producers (the device hub, for every transport and for data the platform derives) hand
//! data in through [`Ingest`] and announce what happened through an [`EventBus`].
//! Consumers come in two kinds:
//! - **reliable consumers** ([`EventBus::consume`]): the rule engine today, model bindings
//!   and apps later. Each has its own bounded queue and declares the tenants it wants
//!   ([`Interest`]); a producer that can wait ([`EventBus::publish_wait`]) waits for room
//!   (back-pressure reaches the device), one that cannot ([`EventBus::publish`]) drops
//!   the event for a full consumer and counts it.
//! - **live views** ([`EventBus::watch`]): the console's charts and streams. Lossy by
//!   design: a slow viewer learns how many events it missed.
//!
//! Layout: this file (the traits and the consumer handle), `local` (the in-process bus of
//! a single node), `log` (the durable hand-off of device data before its acknowledgement:
//! [`IngestLog`], a single node's [`LocalLog`]), `conformance` (the behaviour every implementation must show, run by
//! `tests/conformance.rs` against each one; the cluster's NATS JetStream bus will run it
//! too).
//!
//! Invariants: events of one device reach a consumer in the order they were published;
//! a consumer sees only the tenants (and, within a tenant, the products and devices) it
//! declared; producers skip building payloads nobody wants ([`EventBus::wants`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use ironloom_core::device::Reported;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::{IngestError, IngestOutcome, Origin};
use ironloom_core::sync::{read, write};
use tokio::sync::{broadcast, mpsc};

pub use ironloom_core::device::{DeviceEvent, DeviceEventKind};

pub mod conformance;
pub mod conformance_log;
mod local;
mod log;

pub use local::LocalBus;
pub use log::{Announce, IngestLog, LocalLog, LogItem};

/// Where device events go.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Whether anybody takes this device's events now: a reliable consumer whose
    /// [`Interest`] covers it, or any live view. Producers leave out values nobody reads.
    fn wants(&self, tenant: TenantId, product_key: &str, device_name: &str) -> bool;

    /// Announces an event from a place that cannot wait (connection changes, client RPCs,
    /// data derived by a consumer itself): a consumer whose queue is full misses it, and
    /// the miss is counted (`ironloom_bus_events_dropped_total{consumer}`).
    fn publish(&self, ev: DeviceEvent);

    /// Announces an event, waiting for room in every consumer that wants it.
    async fn publish_wait(&self, ev: DeviceEvent);

    /// A live view of every tenant's events (the caller filters). Lossy: a receiver that
    /// falls behind gets `Lagged` with the number it missed.
    fn watch(&self) -> broadcast::Receiver<DeviceEvent>;

    /// A live view for one device's events (the caller still filters what it receives).
    /// In a cluster, the device's events announced on another node reach this node while
    /// the view lives; a single node's bus gives [`watch`](Self::watch).
    fn watch_device(&self, tenant: TenantId, device: DeviceId) -> LiveView {
        let _ = (tenant, device);
        LiveView::new(self.watch(), None)
    }

    /// Registers a reliable consumer with a queue of `capacity` events. It receives
    /// nothing until its [`Interest`] names tenants; dropping its receiver unregisters it.
    fn consume(&self, name: &str, capacity: usize) -> Consumer;
}

/// A live view: the events, and what keeps other nodes sending them while it lives.
pub struct LiveView {
    pub events: broadcast::Receiver<DeviceEvent>,
    /// Dropped with the view: ends the interest the view declared.
    _watching: Option<Box<dyn Send + Sync>>,
}

impl std::fmt::Debug for LiveView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveView").finish_non_exhaustive()
    }
}

impl LiveView {
    /// A view of `events`; `watching` is dropped with it.
    pub fn new(
        events: broadcast::Receiver<DeviceEvent>,
        watching: Option<Box<dyn Send + Sync>>,
    ) -> LiveView {
        LiveView {
            events,
            _watching: watching,
        }
    }
}

/// A reliable consumer's end of the bus.
#[derive(Debug)]
pub struct Consumer {
    pub events: mpsc::Receiver<DeviceEvent>,
    pub interest: Interest,
}

/// The devices a consumer wants, by tenant, changed by the consumer as its work changes
/// (the rule engine wants the products and devices its enabled rules read, per tenant).
#[derive(Debug, Clone, Default)]
pub struct Interest(Arc<RwLock<Scope>>);

#[derive(Debug, Default)]
enum Scope {
    #[default]
    Nothing,
    Tenants(HashMap<TenantId, Sources>),
    All,
}

/// Which devices of one tenant a consumer wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sources {
    /// Every device of the tenant.
    #[default]
    All,
    /// The devices of these products (by product key) and these devices (by name).
    Only {
        products: HashSet<Arc<str>>,
        devices: HashSet<Arc<str>>,
    },
}

impl Sources {
    pub fn covers(&self, product_key: &str, device_name: &str) -> bool {
        match self {
            Sources::All => true,
            Sources::Only { products, devices } => {
                products.contains(product_key) || devices.contains(device_name)
            }
        }
    }

    /// Adds what `other` covers.
    pub fn merge(&mut self, other: Sources) {
        match (&mut *self, other) {
            (Sources::All, _) => {}
            (_, Sources::All) => *self = Sources::All,
            (
                Sources::Only { products, devices },
                Sources::Only {
                    products: p,
                    devices: d,
                },
            ) => {
                products.extend(p);
                devices.extend(d);
            }
        }
    }
}

impl Interest {
    /// Wants every device of exactly these tenants from now on.
    pub fn set_tenants(&self, tenants: impl IntoIterator<Item = TenantId>) {
        self.set_sources(tenants.into_iter().map(|t| (t, Sources::All)));
    }

    /// Wants exactly these devices from now on, per tenant (a tenant named twice gets
    /// both).
    pub fn set_sources(&self, sources: impl IntoIterator<Item = (TenantId, Sources)>) {
        let mut by_tenant: HashMap<TenantId, Sources> = HashMap::new();
        for (t, s) in sources {
            match by_tenant.entry(t) {
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(s),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(s);
                }
            }
        }
        *write(&self.0) = Scope::Tenants(by_tenant);
    }

    /// Wants every tenant (platform-wide consumers such as metering).
    pub fn set_all(&self) {
        *write(&self.0) = Scope::All;
    }

    /// Whether the consumer wants this device's events.
    pub fn covers(&self, tenant: TenantId, product_key: &str, device_name: &str) -> bool {
        match &*read(&self.0) {
            Scope::Nothing => false,
            Scope::Tenants(t) => t
                .get(&tenant)
                .is_some_and(|s| s.covers(product_key, device_name)),
            Scope::All => true,
        }
    }
}

/// The one way data enters the platform besides a device's own connection: data derived
/// by rules (later models, apps and imports) is written for a device through the same
/// path as what the device sends, so it is checked against the device's thing model,
/// kept under its product's retention, announced on the bus and counted.
#[async_trait::async_trait]
pub trait Ingest: Send + Sync + std::fmt::Debug {
    /// Stores `values` as `device`'s telemetry. Returns once the accepted values are
    /// durable; refusals are in the outcome and in the device's error log.
    async fn ingest(
        &self,
        tenant: TenantId,
        device: DeviceId,
        origin: Origin,
        values: Vec<Reported>,
    ) -> Result<IngestOutcome, IngestError>;

    /// Values of many devices of the tenant (a bulk write) in one durable write: an
    /// outcome, or the device's own failure, per device in order; `Err` when the write
    /// itself failed (nothing of it is acknowledged).
    async fn ingest_devices(
        &self,
        tenant: TenantId,
        origin: Origin,
        devices: Vec<(DeviceId, Vec<Reported>)>,
    ) -> Result<Vec<Result<IngestOutcome, IngestError>>, IngestError>;
}
