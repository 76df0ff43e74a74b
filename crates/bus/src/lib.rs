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
//! a single node), `conformance` (the behaviour every implementation must show, run by
//! `tests/conformance.rs` against each one; the cluster's NATS JetStream bus will run it
//! too).
//!
//! Invariants: events of one device reach a consumer in the order they were published;
//! a consumer sees only the tenants it declared; producers skip building payloads nobody
//! wants ([`EventBus::wants`]).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use ironloom_core::device::Reported;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::{IngestError, IngestOutcome, Origin};
use ironloom_core::sync::{read, write};
use tokio::sync::{broadcast, mpsc};

pub use ironloom_core::device::{DeviceEvent, DeviceEventKind};

pub mod conformance;
mod local;

pub use local::LocalBus;

/// Where device events go.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Whether anybody takes the tenant's events now: a reliable consumer that wants the
    /// tenant, or any live view. Producers leave out values nobody reads.
    fn wants(&self, tenant: TenantId) -> bool;

    /// Announces an event from a place that cannot wait (connection changes, client RPCs,
    /// data derived by a consumer itself): a consumer whose queue is full misses it, and
    /// the miss is counted (`ironloom_bus_events_dropped_total{consumer}`).
    fn publish(&self, ev: DeviceEvent);

    /// Announces an event, waiting for room in every consumer that wants it.
    async fn publish_wait(&self, ev: DeviceEvent);

    /// A live view of every tenant's events (the caller filters). Lossy: a receiver that
    /// falls behind gets `Lagged` with the number it missed.
    fn watch(&self) -> broadcast::Receiver<DeviceEvent>;

    /// Registers a reliable consumer with a queue of `capacity` events. It receives
    /// nothing until its [`Interest`] names tenants; dropping its receiver unregisters it.
    fn consume(&self, name: &str, capacity: usize) -> Consumer;
}

/// A reliable consumer's end of the bus.
#[derive(Debug)]
pub struct Consumer {
    pub events: mpsc::Receiver<DeviceEvent>,
    pub interest: Interest,
}

/// The tenants a consumer wants, changed by the consumer as its work changes (the rule
/// engine wants the tenants that have enabled rules).
#[derive(Debug, Clone, Default)]
pub struct Interest(Arc<RwLock<Scope>>);

#[derive(Debug, Default)]
enum Scope {
    #[default]
    Nothing,
    Tenants(HashSet<TenantId>),
    All,
}

impl Interest {
    /// Wants exactly these tenants from now on.
    pub fn set_tenants(&self, tenants: impl IntoIterator<Item = TenantId>) {
        *write(&self.0) = Scope::Tenants(tenants.into_iter().collect());
    }

    /// Wants every tenant (platform-wide consumers such as metering).
    pub fn set_all(&self) {
        *write(&self.0) = Scope::All;
    }

    pub fn contains(&self, tenant: TenantId) -> bool {
        match &*read(&self.0) {
            Scope::Nothing => false,
            Scope::Tenants(t) => t.contains(&tenant),
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
}
