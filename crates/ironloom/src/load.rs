//! The platform's transactions per second, sampled on this node (see
//! `ironloom_core::load`): every second the transactions counted since the last, into
//! per-minute rows with the busiest second, written every few seconds and at shutdown.

use ironloom_core::load::{LoadRow, Sampler};
use ironloom_core::repo::MetaStore;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the minute so far is written.
const WRITE_EVERY: u64 = 5;

/// Samples this node's transactions until `shutdown`, writing them as `node`'s.
pub fn spawn(
    store: Arc<dyn MetaStore>,
    node: String,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut sampler = Sampler::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pending: Vec<LoadRow> = Vec::new();
        for n in 1u64.. {
            let last = tokio::select! {
                _ = tick.tick() => false,
                () = shutdown.cancelled() => true,
            };
            if let Some(ended) = sampler.tick(chrono::Utc::now().timestamp()) {
                pending.push(ended);
            }
            if last || n % WRITE_EVERY == 0 {
                pending.extend(sampler.take_open());
                match store.add_load(&node, &pending).await {
                    Ok(()) => pending.clear(),
                    // Kept for the next write; a store down for long keeps the last 60 rows.
                    Err(e) => {
                        tracing::warn!(error = %e, "transaction counts not stored yet; retrying");
                        let keep = pending.len().saturating_sub(60);
                        pending.drain(..keep);
                    }
                }
            }
            if last {
                break;
            }
        }
    })
}
