//! A cluster node: its share of the partitions, taken and kept through leases, each
//! applied by a materialiser from the position this node last applied (design §2.1,
//! §2.6).
//!
//! Every tick (a third of the lease time) the node renews its leases, writes its
//! heartbeat in `il_nodes`, and compares what it owns with its fair share (the partitions
//! divided by the live nodes, rounded up): under it, it takes free partitions, visiting
//! them in an order of its own (rendezvous hashing), so nodes starting together spread
//! out; over it, it hands one partition back per tick. A partition whose lease cannot be
//! renewed is given up at once: its materialiser stops before the lease's local deadline.
//!
//! Each owned partition has its own engine (`state_dir/p{n}/`, see [`Engines`]). What
//! each has applied is written to `state_dir/applied.json` every tick. With sealing (an
//! object store and a manifest), a node that takes a partition first restores its files
//! (its own when they agree with the manifest, else the bucket's) and replays the stream
//! after them ([`Sealer::restore`], `owned.rs`); without, it resumes after what it
//! applied before (replaying the whole stream when it never had the partition).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use ironloom_bus::LocalBus;
use ironloom_core::cluster::{ClusterStore, PartitionConsumers};
use ironloom_core::sync::lock;
use ironloom_tsdb::Engine;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::bus::ClusterBus;
use crate::config::ClusterConfig;
use crate::engines::Engines;
use crate::error::ClusterError;
use crate::lease::{Acquire, Holder, Lease, LeaseState, Leases};
use crate::log::JetStreamLog;
use crate::nats::Layout;
use crate::owned::Partition;
use crate::owner::Progress;
use crate::seal::{PartitionSeal, Sealer};

mod health;
mod sealing;

/// A partition this node owns.
struct Owned {
    lease: Lease,
    /// The ownership epoch recorded in the metadata store when the lease was taken (0
    /// without one): the fence of this node's durable writes for the partition.
    epoch: u64,
    /// The position last recorded in the metadata store with the rule state (the next
    /// owner announces what follows it).
    marked: u64,
    progress: Arc<Progress>,
    seal: Arc<PartitionSeal>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// Where a node keeps the partitions' data.
#[derive(Debug, Clone)]
pub struct Storage {
    /// The node's own engine (`data/tsdb`): it keeps the retention policies, which every
    /// partition engine gets.
    pub policies: Engine,
    /// The partition engines' settings (their memtable is `cluster.memtable_budget`'s
    /// share) and the ingest checks' limits.
    pub options: ironloom_tsdb::Options,
    /// Where sealed segments go; none: nothing is sealed, a new owner replays the stream
    /// (tests of the other parts; `[cluster.object_store]` is required in a deployment).
    pub objects: Option<Arc<dyn object_store::ObjectStore>>,
}

/// The node's heartbeat in `il_nodes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub name: String,
    pub version: String,
    pub started_at: String,
    pub owned: Vec<u32>,
    /// Being drained: other nodes leave it out of the fair share.
    #[serde(default)]
    pub draining: bool,
}

/// One partition as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionState {
    pub partition: u32,
    /// This node's ownership epoch of the partition.
    pub epoch: u64,
    /// The stream sequence this node has applied, when it owns the partition.
    pub applied: u64,
    pub undecodable: u64,
    pub refused: u64,
    /// Chunks not applied because the lease ran out first.
    pub fenced: u64,
    /// Records still to apply (lag).
    pub pending: u64,
}

/// What the rest of the platform uses of a started node.
#[derive(Debug, Clone)]
pub struct NodeParts {
    pub node: Arc<ClusterNode>,
    /// Where the hub appends device data.
    pub log: Arc<JetStreamLog>,
    /// The bus for the hub and the consumers.
    pub bus: Arc<ClusterBus>,
}

/// A running cluster node.
pub struct ClusterNode {
    name: String,
    holder: Holder,
    layout: Layout,
    leases: Leases,
    /// Records ownership epochs (PostgreSQL in a cluster); none in tests of leases alone.
    fences: Option<Arc<dyn ClusterStore>>,
    /// What a partition's materialiser applies with (its store is the partition's engine).
    js: async_nats::jetstream::Context,
    local: Arc<LocalBus>,
    engines: Arc<Engines>,
    /// Sealing into object storage, when there is an object store and a manifest.
    sealer: Option<Sealer>,
    state_file: PathBuf,
    started_at: String,
    owned: Mutex<BTreeMap<u32, Owned>>,
    /// Applied positions of partitions this node owned at some time.
    applied: Arc<Mutex<BTreeMap<u32, u64>>>,
    /// Since when this node has seen each partition without an owner.
    free_since: Mutex<BTreeMap<u32, std::time::Instant>>,
    /// The live nodes' names, as of the last tick.
    live: Mutex<Vec<String>>,
    /// Each node's heartbeat revision and when this node first saw it: a node whose
    /// heartbeat has not moved for a lease time counts as gone before its entry expires.
    heard: Mutex<BTreeMap<String, (u64, std::time::Instant)>>,
    /// The consumers whose state follows the partitions (the rule engine), once
    /// [`attach`](ClusterNode::attach)ed; the node takes no partition before.
    consumers: std::sync::OnceLock<Option<Arc<dyn PartitionConsumers>>>,
    attached: tokio::sync::watch::Sender<bool>,
    /// Being drained: it hands every partition back and takes none.
    draining: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ClusterNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterNode")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ClusterNode {
    /// Connects, checks the layout, and starts taking partitions; events of owned
    /// partitions are announced on `local`, their points written into `store`.
    pub async fn start(
        config: &ClusterConfig,
        fences: Option<Arc<dyn ClusterStore>>,
        storage: Storage,
        local: Arc<LocalBus>,
        state_dir: &Path,
        shutdown: CancellationToken,
    ) -> Result<NodeParts, ClusterError> {
        let layout = Layout::ensure(config).await?;
        let name = config.node_name();
        std::fs::create_dir_all(state_dir).map_err(|e| {
            ClusterError::InvalidConfig(format!("cannot create {}: {e}", state_dir.display()))
        })?;
        let state_file = state_dir.join("applied.json");
        let applied = read_applied(&state_file);
        let log = Arc::new(JetStreamLog::new(
            layout.client.clone(),
            layout.record.partitions,
            &name,
            storage.options.clone(),
        ));
        let bus = ClusterBus::start(local.clone(), log.clone());
        bus.set_relay(
            crate::live::LiveRelay::start(
                layout.client.clone(),
                &name,
                local.clone(),
                shutdown.clone(),
            )
            .await?,
        );
        let engines = Arc::new(Engines::new(
            state_dir,
            storage.options.clone(),
            config.memtable_budget.0,
            storage.policies.clone(),
        ));
        let sealer = match (&storage.objects, &fences) {
            (Some(objects), Some(fences)) => Some(Sealer {
                objects: objects.clone(),
                prefix: config.object_store.prefix.clone(),
                fences: fences.clone(),
                js: layout.jetstream.clone(),
                shards: layout.record.shards,
                interval: config.seal_interval.0,
            }),
            _ => None,
        };
        let node = Arc::new(ClusterNode {
            holder: Holder::new(name.clone()),
            leases: layout.leases(),
            fences,
            js: layout.jetstream.clone(),
            local,
            engines,
            sealer: sealer.clone(),
            layout,
            name,
            state_file,
            started_at: chrono::Utc::now().to_rfc3339(),
            owned: Mutex::new(BTreeMap::new()),
            applied: Arc::new(Mutex::new(applied)),
            free_since: Mutex::new(BTreeMap::new()),
            live: Mutex::new(Vec::new()),
            heard: Mutex::new(BTreeMap::new()),
            consumers: std::sync::OnceLock::new(),
            attached: tokio::sync::watch::Sender::new(false),
            draining: std::sync::atomic::AtomicBool::new(false),
        });
        if let Some(sealer) = sealer {
            tokio::spawn(node.clone().seal_loop(sealer, shutdown.clone()));
        }
        tokio::spawn(node.clone().run(shutdown));
        Ok(NodeParts { node, log, bus })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn partitions(&self) -> u32 {
        self.layout.record.partitions
    }

    /// The partitions this node owns now.
    pub fn owned(&self) -> Vec<PartitionState> {
        lock(&self.owned)
            .iter()
            .map(|(&partition, o)| PartitionState {
                partition,
                epoch: o.epoch,
                applied: o.progress.applied.load(Ordering::Relaxed),
                undecodable: o.progress.undecodable.load(Ordering::Relaxed),
                refused: o.progress.refused.load(Ordering::Relaxed),
                fenced: o.progress.fenced.load(Ordering::Relaxed),
                pending: o.progress.pending.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Whether this node owns partition `p` now (queries for it are answered here).
    pub fn owns(&self, p: u32) -> bool {
        lock(&self.owned).contains_key(&p)
    }

    /// The stream sequence applied of an owned partition (`None`: not owned).
    pub fn applied(&self, p: u32) -> Option<u64> {
        lock(&self.owned)
            .get(&p)
            .map(|o| o.progress.applied.load(Ordering::Relaxed))
    }

    /// Partition `p`'s engine, when this node owns `p` and has it ready.
    pub fn engine(&self, p: u32) -> Option<Engine> {
        if !self.owns(p) {
            return None;
        }
        self.engines.get(p)
    }

    /// The partitions' engines (retention policies).
    pub fn engines(&self) -> &Engines {
        &self.engines
    }

    /// The other live nodes' names, as of the last tick (a node that just joined is known
    /// one tick later).
    pub fn peers(&self) -> Vec<String> {
        lock(&self.live)
            .iter()
            .filter(|n| **n != self.name)
            .cloned()
            .collect()
    }

    /// The node's NATS connection (queries between nodes).
    pub fn client(&self) -> &async_nats::Client {
        &self.layout.client
    }

    /// The heartbeats of the live nodes.
    pub async fn nodes(&self) -> Vec<Heartbeat> {
        self.heartbeats()
            .await
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    }

    /// The heartbeats in the bucket, each with its revision.
    async fn heartbeats(&self) -> Vec<(Heartbeat, u64)> {
        let mut out = Vec::new();
        let Ok(mut keys) = self.layout.nodes.keys().await else {
            return out;
        };
        while let Some(Ok(key)) = keys.next().await {
            if let Ok(Some(entry)) = self.layout.nodes.entry(key).await
                && !crate::lease::is_marker(&entry)
                && let Ok(h) = serde_json::from_slice::<Heartbeat>(&entry.value)
            {
                out.push((h, entry.revision));
            }
        }
        out
    }

    /// The nodes that count for the fair share: the heartbeats in the bucket that moved
    /// within a lease time (by this node's clock, so no two clocks are compared). A
    /// killed node's entry stays `NODE_TTL` (10 s), longer than its leases; counted as
    /// live meanwhile, it kept the share at its old size, and the partitions the
    /// survivors took from it were handed back for it and sat released.
    async fn fresh_nodes(&self) -> Vec<Heartbeat> {
        let beats = self.heartbeats().await;
        let now = std::time::Instant::now();
        let mut heard = lock(&self.heard);
        heard.retain(|name, _| beats.iter().any(|(h, _)| &h.name == name));
        beats
            .into_iter()
            .filter(|(h, revision)| {
                let seen = heard.entry(h.name.clone()).or_insert((*revision, now));
                if seen.0 != *revision {
                    *seen = (*revision, now);
                }
                h.name == self.name || now.duration_since(seen.1) < self.leases.ttl()
            })
            .map(|(h, _)| h)
            .collect()
    }

    /// Lets the node take partitions, once the consumers of its bus are running (what
    /// a partition announces before would reach none of them). `consumers`: those whose
    /// state follows each partition to its next owner (none: nothing to hand on).
    pub fn attach(&self, consumers: Option<Arc<dyn PartitionConsumers>>) {
        if self.consumers.set(consumers).is_ok() {
            self.attached.send_replace(true);
        }
    }

    /// Drains the node for an upgrade: it hands every partition back (each with its
    /// rule state, for the next owner), takes none from now on, and says so in its
    /// heartbeat so the other nodes share the partitions among themselves. Queries keep
    /// working (they go to the new owners).
    pub async fn drain(&self) {
        if self.draining.swap(true, Ordering::Relaxed) {
            return;
        }
        tracing::info!(node = %self.name, "draining: handing every partition back");
        self.heartbeat().await;
        let owned: Vec<u32> = lock(&self.owned).keys().copied().collect();
        for p in owned {
            self.give_up(p, true).await;
        }
        self.heartbeat().await;
    }

    /// Whether the node is being drained.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    fn consumers(&self) -> Option<&Arc<dyn PartitionConsumers>> {
        self.consumers.get().and_then(Option::as_ref)
    }

    async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut attached = self.attached.subscribe();
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = attached.wait_for(|a| *a) => {}
        }
        let tick = self.leases.renew_interval();
        loop {
            self.tick().await;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(tick) => {}
            }
        }
        self.release_all().await;
    }

    async fn tick(&self) {
        self.renew().await;
        self.heartbeat().await;
        if self.draining() {
            // Whatever it still owns (a hand-back that failed) goes back now.
            let owned: Vec<u32> = lock(&self.owned).keys().copied().collect();
            for p in owned {
                self.give_up(p, true).await;
            }
            return;
        }
        let nodes = self.fresh_nodes().await;
        let live = nodes.iter().filter(|h| !h.draining).count().max(1) as u32;
        let partitions = self.partitions();
        let share = partitions.div_ceil(live);
        // A live node owning less than its share, by its last heartbeat: what this node
        // hands back is for it (with nobody to take it, a partition handed back stays
        // unowned until someone takes it as released, a lease time later).
        let someone_under = nodes
            .iter()
            .any(|h| h.name != self.name && !h.draining && (h.owned.len() as u32) < share);
        // None read (the bucket unreachable): keep the last list, which has this node.
        if !nodes.is_empty() {
            *lock(&self.live) = nodes.into_iter().map(|h| h.name).collect();
        }
        self.engines.set_share(share);
        let mut order: Vec<u32> = (0..partitions).collect();
        order.sort_by_key(|&p| rendezvous(&self.name, p));
        for p in order {
            if lock(&self.owned).contains_key(&p) {
                lock(&self.free_since).remove(&p);
                continue;
            }
            // Under its share a node takes any free partition. At or over it, it takes an
            // orphan at once (its owner stopped renewing: died, paused, cut off, perhaps
            // before its heartbeat expired), but leaves a partition handed back for
            // rebalancing to the node it was handed back for, unless it stays free for a
            // lease time.
            if lock(&self.owned).len() as u32 >= share {
                match self.leases.state(p).await {
                    Ok(LeaseState::Expired | LeaseState::Never) => {}
                    Ok(LeaseState::Released) => {
                        let since = *lock(&self.free_since)
                            .entry(p)
                            .or_insert_with(std::time::Instant::now);
                        if since.elapsed() < self.leases.ttl() {
                            continue;
                        }
                    }
                    _ => {
                        lock(&self.free_since).remove(&p);
                        continue;
                    }
                }
            }
            match self.leases.acquire(p, &self.holder).await {
                Ok(Acquire::Acquired(lease)) => {
                    lock(&self.free_since).remove(&p);
                    self.claim(lease).await
                }
                Ok(Acquire::Held) => {}
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "cannot take a partition lease")
                }
            }
        }
        if someone_under && lock(&self.owned).len() as u32 > share {
            // Hand back the partition this node is least suited for, one per tick.
            let p = lock(&self.owned)
                .keys()
                .copied()
                .max_by_key(|&p| rendezvous(&self.name, p));
            if let Some(p) = p {
                self.give_up(p, true).await;
            }
        }
        self.write_applied().await;
        self.mark_announced().await;
    }

    /// Records, fenced by epoch, each owned partition's rule state and the position it
    /// reflects, so a later owner restores it and announces only what follows. A
    /// refusal means a newer owner exists: the partition is given up.
    async fn mark_announced(&self) {
        let Some(fences) = &self.fences else {
            return;
        };
        let due: Vec<(u32, u64, u64)> = lock(&self.owned)
            .iter()
            .filter_map(|(&p, o)| {
                let applied = o.progress.applied.load(Ordering::Relaxed);
                (applied > o.marked).then_some((p, o.epoch, applied))
            })
            .collect();
        if due.is_empty() {
            return;
        }
        let partitions: Vec<u32> = due.iter().map(|d| d.0).collect();
        let Some(states) = self.rule_states(&partitions).await else {
            return;
        };
        for ((partition, epoch, applied), (_, handled, state)) in due.into_iter().zip(states) {
            let fence = ironloom_core::cluster::Fence { partition, epoch };
            let seq = applied.max(handled);
            match fences.save_rule_state(fence, seq, state).await {
                Ok(()) => {
                    if let Some(o) = lock(&self.owned).get_mut(&partition) {
                        o.marked = seq;
                    }
                }
                Err(ironloom_core::error::Error::Fenced { .. }) => {
                    tracing::warn!(
                        partition,
                        epoch,
                        "a newer owner is recorded; giving the partition up"
                    );
                    metrics::counter!("ironloom_cluster_fenced_total").increment(1);
                    self.give_up(partition, false).await;
                }
                Err(e) => {
                    tracing::warn!(partition, error = %e, "cannot record the partition's rule state")
                }
            }
        }
    }

    /// The consumers' state of `partitions`, in order: (partition, highest sequence
    /// handled, state); empty states without consumers. None when they cannot answer
    /// (nothing is recorded then: a later owner re-runs more, changing no alarm twice).
    async fn rule_states(&self, partitions: &[u32]) -> Option<Vec<(u32, u64, String)>> {
        let Some(c) = self.consumers() else {
            return Some(partitions.iter().map(|&p| (p, 0, String::new())).collect());
        };
        // Bounded: a rule engine slow to catch up must not hold the next lease renewal
        // back (its state is recorded at a later tick).
        match tokio::time::timeout(self.leases.renew_interval(), c.checkpoint(partitions)).await {
            Ok(Ok(states)) if states.len() == partitions.len() => Some(states),
            Ok(Ok(_)) => {
                tracing::error!("the rule engine answered for other partitions than asked");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot take the rule engine's partition state");
                None
            }
            Err(_) => {
                tracing::warn!("the rule engine did not give its partition state in time");
                None
            }
        }
    }

    /// Records the new ownership in the metadata store (a higher epoch fences the previous
    /// owner's writes there), then starts applying; a claim refused because a newer lease
    /// holder is recorded hands the lease back.
    async fn claim(&self, lease: Lease) {
        let p = lease.partition;
        let epoch = match &self.fences {
            None => 0,
            Some(f) => match f.claim_partition(p, &self.name, lease.revision).await {
                Ok(Some(epoch)) => epoch,
                Ok(None) => {
                    tracing::warn!(
                        partition = p,
                        "a newer owner is recorded; handing the lease back"
                    );
                    let _ = self.leases.release(lease).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "cannot record the partition's owner; handing the lease back");
                    let _ = self.leases.release(lease).await;
                    return;
                }
            },
        };
        // The earlier owner's rule state and how far it reflects the partition's events:
        // restored before anything after it is announced.
        let (announced, state) = match &self.fences {
            Some(f) => match f.rule_state(p).await {
                Ok(state) => state.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "cannot read the partition's rule state; handing the lease back");
                    let _ = self.leases.release(lease).await;
                    return;
                }
            },
            None => Default::default(),
        };
        if let Some(c) = self.consumers()
            && let Err(e) = tokio::time::timeout(self.leases.renew_interval(), c.restore(p, &state))
                .await
                .unwrap_or_else(|_| {
                    Err(ironloom_core::error::Error::storage(
                        "restore rule state",
                        "the rule engine did not answer in time",
                    ))
                })
        {
            tracing::warn!(partition = p, error = %e, "cannot restore the partition's rule state; handing the lease back");
            let _ = self.leases.release(lease).await;
            return;
        }
        self.take(lease, epoch, announced);
    }

    /// Starts a partition whose lease was just taken: restores its files (with sealing),
    /// opens its engine, then applies its stream from there (`owned.rs`). Queries for it
    /// answer 503 until its engine is open.
    fn take(&self, lease: Lease, epoch: u64, announced: u64) {
        let p = lease.partition;
        let before = lock(&self.applied).get(&p).copied().unwrap_or(0);
        let cancel = CancellationToken::new();
        let progress = Progress::new(Some(lease.deadline), announced);
        progress.applied.store(before, Ordering::Relaxed);
        let seal = Arc::new(PartitionSeal::default());
        let partition = Partition {
            p,
            before,
            announced,
            engines: self.engines.clone(),
            sealer: self.sealer.clone(),
            applied: self.applied.clone(),
            state_file: self.state_file.clone(),
            js: self.js.clone(),
            shards: self.layout.record.shards,
            log: self.layout.record.log_id(),
            bus: self.local.clone(),
        };
        let task = tokio::spawn(partition.run(progress.clone(), seal.clone(), cancel.clone()));
        tracing::info!(partition = p, before, epoch, announced, node = %self.name, "took a partition");
        metrics::counter!("ironloom_cluster_partitions_taken_total").increment(1);
        lock(&self.owned).insert(
            p,
            Owned {
                lease,
                epoch,
                marked: announced,
                progress,
                seal,
                cancel,
                task,
            },
        );
    }

    /// Stops applying `p`; with `release`, hands the lease back at once.
    async fn give_up(&self, p: u32, release: bool) {
        let Some(mut o) = lock(&self.owned).remove(&p) else {
            return;
        };
        o.cancel.cancel();
        let _ = (&mut o.task).await;
        let applied = o.progress.applied.load(Ordering::Relaxed);
        // Handing back: what was applied is sealed, so the next owner replays less.
        if release {
            self.last_seal(p, &o).await;
        }
        // Closing flushes the engine: what it applied is durable.
        self.engines.close(p).await;
        lock(&self.applied).insert(p, applied);
        self.write_applied().await;
        // Handing back: the next owner restores the rule state and announces what follows.
        if release
            && applied > o.marked
            && let Some(f) = &self.fences
            && let Some(mut states) = self.rule_states(&[p]).await
            && let Some((_, handled, state)) = states.pop()
        {
            let fence = ironloom_core::cluster::Fence {
                partition: p,
                epoch: o.epoch,
            };
            if let Err(e) = f.save_rule_state(fence, applied.max(handled), state).await {
                tracing::warn!(partition = p, error = %e, "cannot record the partition's rule state");
            }
        }
        if release && let Err(e) = self.leases.release(o.lease).await {
            tracing::warn!(partition = p, error = %e, "cannot release a partition lease");
        }
        tracing::info!(partition = p, node = %self.name, release, "gave up a partition");
    }

    async fn renew(&self) {
        // A materialiser that stopped on its own (its lease ran out while this node was
        // paused) hands its partition back; the partition is taken again like a free one.
        let stopped: Vec<u32> = lock(&self.owned)
            .iter()
            .filter(|(_, o)| o.task.is_finished())
            .map(|(&p, _)| p)
            .collect();
        for p in stopped {
            self.give_up(p, true).await;
        }
        let mut leases: Vec<Lease> = lock(&self.owned)
            .values()
            .map(|o| o.lease.clone())
            .collect();
        for lease in &mut leases {
            let p = lease.partition;
            let renewed = self.leases.renew(lease, &self.holder).await;
            match renewed {
                Ok(()) if lease.is_valid() => {
                    if let Some(o) = lock(&self.owned).get_mut(&p) {
                        o.lease = lease.clone();
                        *lock(&o.progress.valid_until) = Some(lease.deadline);
                    }
                }
                other => {
                    if let Err(e) = other {
                        tracing::warn!(partition = p, error = %e, "partition lease lost; stopping");
                    }
                    metrics::counter!("ironloom_cluster_fenced_total").increment(1);
                    self.give_up(p, false).await;
                }
            }
        }
    }

    async fn heartbeat(&self) {
        let h = Heartbeat {
            name: self.name.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            started_at: self.started_at.clone(),
            owned: lock(&self.owned).keys().copied().collect(),
            draining: self.draining(),
        };
        let value = serde_json::to_vec(&h).unwrap_or_default();
        if let Err(e) = self.layout.nodes.put(&self.name, value.into()).await {
            tracing::warn!(error = %e, "cannot write the node heartbeat");
        }
    }

    /// Hands every partition back (shutdown, drain) and removes the heartbeat.
    pub async fn release_all(&self) {
        let owned: Vec<u32> = lock(&self.owned).keys().copied().collect();
        for p in owned {
            self.give_up(p, true).await;
        }
        let _ = self.layout.nodes.delete(&self.name).await;
    }

    /// Records how far each partition is applied: in memory (where a partition taken
    /// again resumes), and in the state file once the store has made those writes
    /// durable (its own log is not synced per write in a cluster).
    async fn write_applied(&self) {
        let mut applied = lock(&self.applied).clone();
        let now: Vec<(u32, u64)> = self
            .owned()
            .iter()
            .map(|s| (s.partition, s.applied))
            .collect();
        let open = self.engines.all().len();
        if self.engines.sync_all().await.len() < open {
            tracing::warn!(
                "a partition's engine could not sync; the applied positions are not recorded"
            );
            return;
        }
        applied.extend(now);
        *lock(&self.applied) = applied.clone();
        save_applied(&self.state_file, &applied);
    }
}

/// Writes the applied positions to the state file.
pub(crate) fn save_applied(path: &Path, applied: &BTreeMap<u32, u64>) {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec(applied).unwrap_or_default();
    let r = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = r {
        tracing::warn!(file = %path.display(), error = %e, "cannot write the applied positions");
    }
}

fn read_applied(path: &Path) -> BTreeMap<u32, u64> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// A node's rank for a partition (lower first): FNV-1a of the name and the partition.
fn rendezvous(node: &str, partition: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node.bytes().chain(partition.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_prefer_different_partitions() {
        let first = |node: &str| (0..32u32).min_by_key(|&p| rendezvous(node, p));
        let firsts: std::collections::HashSet<_> =
            ["n1", "n2", "n3"].iter().map(|n| first(n)).collect();
        assert_eq!(firsts.len(), 3, "three nodes start at three partitions");
    }

    #[test]
    fn applied_positions_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("applied.json");
        assert!(read_applied(&path).is_empty());
        std::fs::write(&path, b"{\"3\":17,\"5\":2}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_applied(&path), BTreeMap::from([(3, 17), (5, 2)]));
        std::fs::write(&path, b"not json").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            read_applied(&path).is_empty(),
            "unreadable: replay from the start"
        );
    }
}
