//! The engine behind the platform's [`TelemetryStore`] trait: queries run on the blocking
//! pool; writes with room run in place and wait for the log without blocking the async
//! runtime, writes that must wait for room wait on the blocking pool.

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
        let (outcome, durable) = self.write_staged(tenant, batch).await?;
        durable.await?;
        Ok(outcome)
    }

    async fn write_staged(
        &self,
        tenant: TenantId,
        batch: Vec<DeviceBatch>,
    ) -> Result<(WriteOutcome, Durable), Error> {
        // With room, a write is memory work only: done here, without a hop to a blocking
        // thread and back. Admission that must wait for room (back-pressure) waits off the
        // async threads.
        let (outcome, pending) = match self.try_write(tenant, batch) {
            Ok(written) => written.map_err(Error::from)?,
            Err(batch) => blocking(self, move |e| e.write(tenant, batch)).await?,
        };
        Ok((
            outcome,
            Box::pin(async move { pending.wait_async().await.map_err(Error::from) }),
        ))
    }

    async fn history(&self, tenant: TenantId, q: HistoryQuery) -> Result<HistoryPage, Error> {
        blocking(self, move |e| e.history(tenant, &q)).await
    }

    async fn history_columns(
        &self,
        tenant: TenantId,
        q: HistoryQuery,
    ) -> Result<HistoryColumns, Error> {
        blocking(self, move |e| e.history_columns(tenant, &q)).await
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

    async fn stats_many(&self, tenants: &[TenantId]) -> Result<Vec<StorageStats>, Error> {
        let tenants = tenants.to_vec();
        blocking(self, move |e| Ok(e.stats_many(&tenants))).await
    }

    async fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>, Error> {
        blocking(self, move |e| Engine::retention(e, tenant)).await
    }

    async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error> {
        blocking(self, move |e| Engine::set_retention(e, &policy)).await
    }

    async fn sync(&self) -> Result<(), Error> {
        let (ack, rx) = tokio::sync::oneshot::channel();
        self.send_wal(crate::wal::WalMsg::Sync(ack))
            .map_err(Error::from)?;
        crate::engine::Pending::from_receiver(rx)
            .wait_async()
            .await
            .map_err(Error::from)
    }
}
