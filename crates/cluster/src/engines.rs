//! The owned partitions' time-series engines (design §2.5): each partition has its own
//! engine on its owner, in `{state_dir}/p{n}/`, so its files are that partition's alone
//! (what is sealed into object storage, what a new owner fetches). An engine is opened
//! when the partition is taken and closed when it is given up; its directory stays, for a
//! node that takes the partition again.
//!
//! The memtable budget (`cluster.memtable_budget`) is shared: an engine opened while the
//! node's fair share is `n` partitions gets a memtable of budget ÷ n (at least 1 MiB).
//! Retention policies are kept by the node's own engine (`data/tsdb`, which holds no
//! partition's data in a cluster) and copied into every engine opened, and every policy
//! set reaches every open engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use ironloom_core::error::Error;
use ironloom_core::sync::lock;
use ironloom_core::telemetry::{RetentionPolicy, TelemetryStore};
use ironloom_tsdb::Engine;

/// The smallest memtable an engine gets, whatever the share.
const MIN_MEMTABLE: usize = 1 << 20;

/// The engines of the partitions a node owns.
#[derive(Debug)]
pub struct Engines {
    dir: PathBuf,
    options: ironloom_tsdb::Options,
    budget: usize,
    share: AtomicU32,
    policies: Engine,
    open: Mutex<BTreeMap<u32, Engine>>,
}

/// Runs engine work off the async threads.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> ironloom_tsdb::Result<T> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::storage(what, e))?
        .map_err(Error::from)
}

impl Engines {
    /// Engines under `dir` with `options` (their memtable size is the budget's share);
    /// `policies` keeps the retention policies.
    pub fn new(
        dir: &Path,
        options: ironloom_tsdb::Options,
        budget: usize,
        policies: Engine,
    ) -> Engines {
        Engines {
            dir: dir.to_path_buf(),
            options,
            budget,
            share: AtomicU32::new(1),
            policies,
            open: Mutex::new(BTreeMap::new()),
        }
    }

    /// Partition `p`'s directory.
    pub fn dir_of(&self, p: u32) -> PathBuf {
        self.dir.join(format!("p{p}"))
    }

    /// How many partitions the node expects to own (its fair share).
    pub fn set_share(&self, partitions: u32) {
        self.share.store(partitions.max(1), Ordering::Relaxed);
    }

    /// The settings an engine gets now.
    fn options_now(&self) -> ironloom_tsdb::Options {
        let share = self.share.load(Ordering::Relaxed).max(1) as usize;
        ironloom_tsdb::Options {
            memtable_bytes: (self.budget / share).max(MIN_MEMTABLE),
            ..self.options.clone()
        }
    }

    /// Opens partition `p`'s engine on what its directory holds, with the node's
    /// retention policies.
    pub async fn open(&self, p: u32) -> Result<Engine, Error> {
        if let Some(e) = self.get(p) {
            return Ok(e);
        }
        let dir = self.dir_of(p);
        let options = self.options_now();
        let policies = self.policies.clone();
        let engine = blocking("open a partition's engine", move || {
            let engine = Engine::open(&dir, options)?;
            for policy in policies.retention_all()? {
                engine.set_retention(&policy)?;
            }
            Ok(engine)
        })
        .await?;
        for (file, why) in engine.damaged() {
            tracing::error!(partition = p, file = %file.display(), problem = %why, "damaged time-series file of a partition left out");
        }
        lock(&self.open).insert(p, engine.clone());
        Ok(engine)
    }

    /// Partition `p`'s engine, when it is open.
    pub fn get(&self, p: u32) -> Option<Engine> {
        lock(&self.open).get(&p).cloned()
    }

    /// The open engines, by partition.
    pub fn all(&self) -> Vec<(u32, Engine)> {
        lock(&self.open)
            .iter()
            .map(|(p, e)| (*p, e.clone()))
            .collect()
    }

    /// Closes partition `p`'s engine (its memtable is flushed; the files stay).
    pub async fn close(&self, p: u32) {
        let Some(engine) = lock(&self.open).remove(&p) else {
            return;
        };
        if let Err(e) = blocking("close a partition's engine", move || engine.close()).await {
            tracing::warn!(partition = p, error = %e, "a partition's engine did not close cleanly");
        }
    }

    /// Closes every engine (shutdown).
    pub async fn close_all(&self) {
        let open: Vec<u32> = lock(&self.open).keys().copied().collect();
        for p in open {
            self.close(p).await;
        }
    }

    /// The node's retention policies of a tenant.
    pub async fn retention(
        &self,
        tenant: ironloom_core::ids::TenantId,
    ) -> Result<Vec<RetentionPolicy>, Error> {
        TelemetryStore::retention(&self.policies, tenant).await
    }

    /// Sets a retention policy in the node's policies and in every open engine.
    pub async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error> {
        TelemetryStore::set_retention(&self.policies, policy.clone()).await?;
        for (p, engine) in self.all() {
            if let Err(e) = TelemetryStore::set_retention(&engine, policy.clone()).await {
                // A closed engine (the partition was just given up) needs nothing.
                if !engine.is_closed() {
                    tracing::warn!(partition = p, error = %e, "cannot apply a retention policy to a partition");
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Syncs every open engine's log; the partitions whose engines are durable now.
    pub async fn sync_all(&self) -> Vec<u32> {
        let mut synced = Vec::new();
        for (p, engine) in self.all() {
            match TelemetryStore::sync(&engine).await {
                Ok(()) => synced.push(p),
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "a partition's engine could not sync")
                }
            }
        }
        synced
    }
}
