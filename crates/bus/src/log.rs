//! The durable hand-off of device data: the one place an accepted device message becomes
//! durable before the device is acknowledged.
//!
//! A single node's log is its time-series store (the write-ahead log synced before the
//! acknowledgement, [`LocalLog`]); the data is announced on the bus by the node that took
//! it. In a cluster the log is a replicated stream: the node that took the message only
//! appends it, and the partition's owner writes it into its store and announces it, from
//! the [`Announce`] carried in the item.

use std::sync::Arc;

use ironloom_core::error::Error;
use ironloom_core::ids::TenantId;
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, Durable, Micros, TelemetryStore, WriteOutcome};

/// What the partition owner needs to announce stored values on its bus as the node that
/// took them would have.
#[derive(Debug, Clone, PartialEq)]
pub struct Announce {
    pub origin: Origin,
    /// Arrival time at the node that took the message (µs since the epoch).
    pub arrived: Micros,
    pub device_name: Arc<str>,
    pub product_key: Arc<str>,
    /// How many of the batch's points are the device's values; the rest are entries of
    /// its error log, which are stored but not announced.
    pub values: usize,
}

/// One device's points, as appended to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogItem {
    pub batch: DeviceBatch,
    /// Set when the log's reader announces the values (see [`IngestLog::announces_here`]).
    pub announce: Option<Announce>,
}

/// Where accepted device data becomes durable.
#[async_trait::async_trait]
pub trait IngestLog: Send + Sync + std::fmt::Debug {
    /// Appends several devices' points of one tenant. Returns once they are handed to the
    /// log, with the refusals known then (indexed over the items' points in order, as
    /// [`TelemetryStore::write`] does), and a future that completes when they are durable:
    /// only then may a device be acknowledged.
    async fn append(
        &self,
        tenant: TenantId,
        items: Vec<LogItem>,
    ) -> Result<(WriteOutcome, Durable), Error>;

    /// Whether the node that took the data announces it on its own bus (a single node), or
    /// the log's reader does from each item's [`Announce`] (a cluster's partition owner).
    fn announces_here(&self) -> bool;
}

/// A single node's log: its time-series store, durable when the store's write-ahead log is
/// synced.
#[derive(Debug, Clone)]
pub struct LocalLog(Arc<dyn TelemetryStore>);

impl LocalLog {
    pub fn new(store: Arc<dyn TelemetryStore>) -> LocalLog {
        LocalLog(store)
    }
}

#[async_trait::async_trait]
impl IngestLog for LocalLog {
    async fn append(
        &self,
        tenant: TenantId,
        items: Vec<LogItem>,
    ) -> Result<(WriteOutcome, Durable), Error> {
        let batches = items.into_iter().map(|i| i.batch).collect();
        self.0.write_staged(tenant, batches).await
    }

    fn announces_here(&self) -> bool {
        true
    }
}
