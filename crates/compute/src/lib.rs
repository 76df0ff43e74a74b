//! Models running on device data (issue 19, capability M1–M3):
//! - **live bindings** (`live`): a bus consumer that evaluates the models bound to a
//!   product on every message of its devices that carries a bound property, and writes the
//!   outputs as the device's derived properties;
//! - **jobs** (`job`): a model or algorithm run over a range of stored history, with
//!   progress, cancellation and a bounded result, optionally writing its outputs back.
//!
//! Both write through the one ingest path ([`ironloom_bus::Ingest`]), so thing-model
//! checks, retention, live views and rules apply to what they produce, and both count
//! every evaluation in the meter and respect the tenant's monthly quota.
//!
//! Invariants: bindings compute only from what devices send (an output never triggers a
//! binding, so bindings cannot loop); a job reads a bounded slice at a time, whatever the
//! range; every job the platform accepted ends in a final state, or is marked
//! interrupted at the next start.

use ironloom_bus::{EventBus, Ingest};
use ironloom_core::error::Error;
use ironloom_core::ids::{BindingId, JobId, TenantId};
use ironloom_core::model_run::{BindingStats, Job, JobSpec, ModelRuns};
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::TelemetryStore;
use ironloom_models::meter::Meter;
use std::sync::Arc;

pub mod config;
mod job;
mod live;

pub use config::ComputeConfig;

/// What the runtimes use.
#[derive(Clone)]
pub struct Deps {
    pub meta: Arc<dyn MetaStore>,
    pub store: Arc<dyn TelemetryStore>,
    pub bus: Arc<dyn EventBus>,
    pub ingest: Arc<dyn Ingest>,
    pub meter: Arc<Meter>,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").finish_non_exhaustive()
    }
}

/// The running model runtime (the API holds it as [`ModelRuns`]).
#[derive(Debug, Clone)]
pub struct Compute {
    live: live::Handle,
    jobs: job::Jobs,
}

impl Compute {
    /// Marks jobs a stopped platform left unfinished as interrupted, loads the bindings
    /// and starts consuming device events.
    pub async fn start(deps: Deps, config: ComputeConfig) -> Result<Compute, Error> {
        let interrupted = deps.meta.interrupt_jobs().await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "model jobs left unfinished by the last run are marked interrupted"
            );
        }
        let live = live::start(deps.clone(), config.queue).await?;
        Ok(Compute {
            live,
            jobs: job::Jobs::new(deps, config),
        })
    }

    /// Waits for running jobs to save their state (at shutdown).
    pub async fn stop(&self) {
        self.jobs.stop().await;
    }
}

#[async_trait::async_trait]
impl ModelRuns for Compute {
    async fn reload_bindings(&self) -> Result<(), Error> {
        self.live.reload().await
    }

    fn binding_stats(&self, tenant: TenantId, id: BindingId) -> BindingStats {
        self.live.stats(tenant, id)
    }

    async fn submit(
        &self,
        actor: &ironloom_core::entity::Actor,
        tenant: TenantId,
        spec: JobSpec,
    ) -> Result<Job, Error> {
        self.jobs.submit(actor, tenant, spec).await
    }

    async fn cancel(&self, tenant: TenantId, id: JobId) -> Result<(), Error> {
        self.jobs.cancel(tenant, id).await
    }
}
