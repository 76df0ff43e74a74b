//! The engine behind the platform's [`TelemetryStore`] trait: queries run on the blocking
//! pool, writes wait for the log without blocking the async runtime.

use crate::engine::Engine;
use async_trait::async_trait;
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;

async fn blocking<T: Send + 'static>(
    e: &Engine,
    f: impl FnOnce(&Engine) -> crate::Result<T> + Send + 'static,
) -> Result<T, Error> {
    let e = e.clone();
    tokio::task::spawn_blocking(move || f(&e))
        .await
        .map_err(|j| Error::storage("time-series query", j))?
        .map_err(Error::from)
}

#[async_trait]
impl TelemetryStore for Engine {
    async fn write(
        &self,
        tenant: TenantId,
        batch: Vec<DeviceBatch>,
    ) -> Result<WriteOutcome, Error> {
        // Admission may wait for room (back-pressure): off the async threads.
        let (outcome, pending) = blocking(self, move |e| e.write(tenant, batch)).await?;
        pending.wait_async().await.map_err(Error::from)?;
        Ok(outcome)
    }

    async fn history(&self, tenant: TenantId, q: HistoryQuery) -> Result<HistoryPage, Error> {
        blocking(self, move |e| e.history(tenant, &q)).await
    }

    async fn aggregate(
        &self,
        tenant: TenantId,
        q: AggregateQuery,
    ) -> Result<Vec<AggregateSeries>, Error> {
        blocking(self, move |e| e.aggregate(tenant, &q)).await
    }

    async fn series(&self, tenant: TenantId, sel: Selection) -> Result<Vec<SeriesInfo>, Error> {
        Ok(Engine::series(self, tenant, &sel))
    }

    async fn scan(&self, tenant: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error> {
        blocking(self, move |e| Engine::scan(e, tenant, &q)).await
    }

    async fn latest(&self, tenant: TenantId, sel: Selection) -> Result<Vec<LatestValue>, Error> {
        Ok(Engine::latest(self, tenant, &sel))
    }

    async fn properties(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<Vec<(String, ValueType)>, Error> {
        Ok(Engine::properties(self, tenant, device))
    }

    async fn stats(&self, tenant: TenantId) -> Result<StorageStats, Error> {
        blocking(self, move |e| Ok(e.stats(tenant))).await
    }

    async fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>, Error> {
        blocking(self, move |e| Engine::retention(e, tenant)).await
    }

    async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error> {
        blocking(self, move |e| Engine::set_retention(e, &policy)).await
    }
}
