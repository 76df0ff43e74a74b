//! The store as exporters and importers see it: blocking calls, because formats are
//! written and parsed on a plain thread (a CLI's main thread, a blocking-pool thread in the
//! API).

use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::{
    DeviceBatch, ScanQuery, Selection, SeriesInfo, SeriesSlice, TelemetryStore, ValueType,
    WriteOutcome,
};
use std::sync::Arc;

/// Where exports read from.
pub trait Source {
    fn series(&self, tenant: TenantId, sel: &Selection) -> Result<Vec<SeriesInfo>, Error>;
    fn scan(&self, tenant: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error>;
}

/// Where imports write to.
pub trait Sink {
    fn write(&self, tenant: TenantId, batches: Vec<DeviceBatch>) -> Result<WriteOutcome, Error>;
    /// The series a device already has, with their types.
    fn properties(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<Vec<(String, ValueType)>, Error>;
}

/// A [`TelemetryStore`] driven from a thread outside the async runtime (never call it
/// from an async task: `block_on` would panic there).
#[derive(Debug, Clone)]
pub struct BlockingStore {
    pub store: Arc<dyn TelemetryStore>,
    pub runtime: tokio::runtime::Handle,
}

impl Source for BlockingStore {
    fn series(&self, tenant: TenantId, sel: &Selection) -> Result<Vec<SeriesInfo>, Error> {
        self.runtime
            .block_on(self.store.series(tenant, sel.clone()))
    }

    fn scan(&self, tenant: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error> {
        self.runtime.block_on(self.store.scan(tenant, q))
    }
}

impl Sink for BlockingStore {
    fn write(&self, tenant: TenantId, batches: Vec<DeviceBatch>) -> Result<WriteOutcome, Error> {
        self.runtime.block_on(self.store.write(tenant, batches))
    }

    fn properties(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<Vec<(String, ValueType)>, Error> {
        self.runtime.block_on(self.store.properties(tenant, device))
    }
}
