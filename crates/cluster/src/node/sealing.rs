//! The node's side of sealing (see `seal.rs`): which owned partitions are due, the seal
//! loop, the last seal of a partition handed back, and what the health page shows.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ironloom_core::sync::lock;
use tokio_util::sync::CancellationToken;

use super::{ClusterNode, Owned};
use crate::seal::{SealError, SealJob, Sealer};

/// How long a partition handed back may take for its last seal.
const LAST_SEAL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl ClusterNode {
    /// The sealing state of owned partition `p`: sealed sequence, when, last error, and
    /// records applied since.
    pub fn sealed(&self, p: u32) -> Option<(u64, Option<String>, Option<String>, u64)> {
        let owned = lock(&self.owned);
        let o = owned.get(&p)?;
        let st = lock(&o.seal.state);
        let records = o.progress.records.load(Ordering::Relaxed);
        Some((
            st.sealed_seq,
            st.sealed_at.map(|t| t.to_rfc3339()),
            st.error.clone(),
            records.saturating_sub(st.records_at_seal),
        ))
    }

    /// How long owned partition `p`'s last seal took.
    pub fn seal_took(&self, p: u32) -> Option<std::time::Duration> {
        let owned = lock(&self.owned);
        lock(&owned.get(&p)?.seal.state).took
    }

    /// The seal of owned partition `p` now, when its engine is open.
    fn seal_job(&self, p: u32, o: &Owned) -> Option<SealJob> {
        Some(SealJob {
            partition: p,
            epoch: o.epoch,
            engine: self.engines.get(p)?,
            applied: o.progress.applied.load(Ordering::Relaxed),
            records: o.progress.records.load(Ordering::Relaxed),
            trim_to: o.marked,
            seal: o.seal.clone(),
        })
    }

    /// Seals the owned partitions when due (see [`Sealer`]); a partition whose seal is
    /// refused for a newer owner is given up. Replaced segments are collected once per
    /// seal interval.
    pub(super) async fn seal_loop(self: Arc<Self>, sealer: Sealer, shutdown: CancellationToken) {
        let step = sealer.interval.min(std::time::Duration::from_secs(1));
        let mut collected = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(step) => {}
            }
            let jobs: Vec<SealJob> = lock(&self.owned)
                .iter()
                .filter(|(_, o)| o.seal.due())
                .filter_map(|(&p, o)| self.seal_job(p, o))
                .collect();
            for job in jobs {
                if let Err(SealError::Fenced) = sealer.run(&job).await {
                    tracing::warn!(
                        partition = job.partition,
                        epoch = job.epoch,
                        "a newer owner is recorded; giving the partition up"
                    );
                    metrics::counter!("ironloom_cluster_fenced_total").increment(1);
                    self.give_up(job.partition, false).await;
                }
            }
            if collected.elapsed() >= sealer.interval {
                collected = std::time::Instant::now();
                sealer.collect_garbage().await;
            }
        }
    }

    /// Seals partition `p` once more before it is handed back (bounded in time).
    pub(super) async fn last_seal(&self, p: u32, o: &Owned) {
        if let Some(sealer) = &self.sealer
            && let Some(job) = self.seal_job(p, o)
            && tokio::time::timeout(LAST_SEAL_WAIT, sealer.run(&job))
                .await
                .is_err()
        {
            tracing::warn!(
                partition = p,
                "the last seal of a partition handed back took too long"
            );
        }
    }
}
