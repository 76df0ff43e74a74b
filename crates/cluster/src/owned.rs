//! What runs for one partition a node has taken: its files restored (with sealing), its
//! engine opened, then its stream applied into it from there until the partition is
//! given up. Failures to restore or open are retried with backoff (1 s doubling to
//! 30 s); queries for the partition answer 503 meanwhile.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironloom_bus::LocalBus;
use ironloom_core::sync::lock;
use tokio_util::sync::CancellationToken;

use crate::engines::Engines;
use crate::owner::{Materializer, Progress};
use crate::seal::{PartitionSeal, Sealer};

/// Everything a partition's task needs from its node.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub p: u32,
    /// What this node applied of the partition before (0: nothing).
    pub before: u64,
    /// How far earlier owners' rules saw the partition's events: a partition restored
    /// from the bucket replays its stream from there (the records up to its sealed
    /// sequence only for the rules; the engine already has them).
    pub announced: u64,
    pub engines: Arc<Engines>,
    pub sealer: Option<Sealer>,
    /// The node's applied positions and their file (emptied for a partition whose files
    /// are replaced).
    pub applied: Arc<Mutex<BTreeMap<u32, u64>>>,
    pub state_file: PathBuf,
    pub js: async_nats::jetstream::Context,
    pub shards: u32,
    pub log: u64,
    pub bus: Arc<LocalBus>,
}

impl Partition {
    /// Runs until `cancel`: restore, open, apply.
    pub async fn run(
        self,
        progress: Arc<Progress>,
        seal: Arc<PartitionSeal>,
        cancel: CancellationToken,
    ) {
        let p = self.p;
        let mut wait = Duration::from_secs(1);
        // Waits after a failure; false when cancelled meanwhile.
        let pause = |what: &str, e: String, wait: &mut Duration| {
            tracing::warn!(partition = p, error = %e, retry_in = ?*wait, "{what}");
            lock(&seal.state).error = Some(e);
            let w = *wait;
            *wait = (*wait * 2).min(Duration::from_secs(30));
            let cancel = cancel.clone();
            async move {
                tokio::select! {
                    _ = cancel.cancelled() => false,
                    _ = tokio::time::sleep(w) => true,
                }
            }
        };
        while let Some(sealer) = &self.sealer {
            let forget = || {
                progress.applied.store(0, Ordering::Relaxed);
                let mut map = lock(&self.applied);
                map.insert(p, 0);
                crate::node::save_applied(&self.state_file, &map);
            };
            match sealer
                .restore(p, &self.engines.dir_of(p), self.before, forget)
                .await
            {
                Ok(r) => {
                    // Fetched files hold everything up to the sealed sequence; the
                    // stream is replayed from what the rules saw, if that is earlier.
                    let from = if r.reused {
                        r.from
                    } else {
                        r.from.min(self.announced + 1)
                    };
                    progress.applied.store(from - 1, Ordering::Relaxed);
                    tracing::info!(partition = p, from, reused = r.reused, "partition restored");
                    *lock(&seal.state) = r.state;
                    break;
                }
                Err(e) => {
                    if !pause("cannot restore the partition; retrying", e, &mut wait).await {
                        return;
                    }
                }
            }
        }
        let engine = loop {
            match self.engines.open(p).await {
                Ok(e) => break e,
                Err(e) => {
                    let what = "cannot open the partition's engine; retrying";
                    if !pause(what, e.to_string(), &mut wait).await {
                        return;
                    }
                }
            }
        };
        let materializer = Materializer {
            js: self.js,
            shards: self.shards,
            log: self.log,
            store: Arc::new(engine),
            bus: self.bus,
        };
        materializer.apply_until(p, &progress, &cancel).await;
    }
}
