//! Cluster mode's shared record of partition ownership: which node owns each partition
//! and under which epoch, how far its log has been sealed into segments, the segments'
//! manifest, and the rule engine's checkpoint per partition. The storage behind it is
//! [`ClusterStore`] (PostgreSQL in a cluster, implemented in `crates/meta`).
//!
//! Fencing: a node that wins a partition's lease claims it here and gets a new epoch.
//! Every durable write it makes for that partition carries a [`Fence`] with that epoch,
//! and the store refuses the write ([`Error::Fenced`]) once a newer claim has bumped the
//! epoch, so an owner that lost its lease without noticing (paused, partitioned) cannot
//! overwrite what its successor wrote.
//!
//! Rows are per partition, not per tenant: partitions are cluster-wide. Segment rows
//! carry their tenant so that deleting a tenant can find its objects.
//!
//! [`Error::Fenced`]: crate::error::Error::Fenced

use crate::error::Result;
use crate::ids::{ProductId, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The ownership a node holds over a partition: the epoch its claim was given. Durable
/// writes for the partition pass it, and are refused once the epoch has moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence {
    pub partition: u32,
    pub epoch: u64,
}

/// One partition's ownership and progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRow {
    pub partition: u32,
    /// Bumped by every successful claim; 0 before the first.
    pub epoch: u64,
    /// The node of the newest claim (kept after it stops renewing: ownership proper is
    /// the lease's, this is the last known holder).
    pub owner: Option<String>,
    /// The lease revision of the newest claim.
    pub lease_rev: u64,
    /// Every log record up to this sequence is in the recorded segments.
    pub sealed_seq: u64,
    /// The object holding the newest latest-value snapshot.
    pub latest_key: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One segment object in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    /// The object key; unique cluster-wide.
    pub key: String,
    pub partition: u32,
    pub tenant: TenantId,
    pub product: Option<ProductId>,
    pub part_start: i64,
    pub part_width: i64,
    pub level: u32,
    pub min_seq: u64,
    pub max_seq: u64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub bytes: u64,
    /// The epoch of the owner that recorded it.
    pub epoch: u64,
    /// When a compaction or retention replaced it (it is garbage after a grace period).
    pub replaced_at: Option<DateTime<Utc>>,
}

/// The cluster's partition ownership, segment manifest and rule checkpoints.
#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Records a claim of `partition` by `node`, which holds the partition's lease at
    /// revision `lease_rev` (creating the partition's row on first use). Returns the new
    /// epoch, or `None` when a claim with an equal or newer lease revision is already
    /// recorded (someone else holds a newer lease: back off).
    async fn claim_partition(
        &self,
        partition: u32,
        node: &str,
        lease_rev: u64,
    ) -> Result<Option<u64>>;

    /// Every partition claimed at least once, by number.
    async fn partitions(&self) -> Result<Vec<PartitionRow>>;

    async fn partition(&self, partition: u32) -> Result<Option<PartitionRow>>;

    /// Fenced, in one transaction: records `new_segments` (all of the fence's partition;
    /// a key already recorded is left as it is, so a seal retried after an unacknowledged
    /// commit does no harm), marks the partition's segments keyed in `replaced` as
    /// replaced now, raises the partition's sealed sequence to `sealed_seq` (never lowers
    /// it) and, when given, points `latest_key` at the new latest-value snapshot.
    /// [`Error::Fenced`](crate::error::Error::Fenced) and nothing written when the
    /// partition's epoch is not the fence's.
    async fn seal(
        &self,
        fence: Fence,
        new_segments: Vec<SegmentRow>,
        replaced: Vec<String>,
        sealed_seq: u64,
        latest_key: Option<String>,
    ) -> Result<()>;

    /// The partition's live segments (not replaced), by `min_seq`.
    async fn segments(&self, partition: u32) -> Result<Vec<SegmentRow>>;

    /// Segments replaced before `older_than`, oldest replacement first (garbage to delete
    /// from object storage, then to [`forget`](ClusterStore::forget_segments)).
    async fn replaced_segments(&self, older_than: DateTime<Utc>) -> Result<Vec<SegmentRow>>;

    /// Removes the segments keyed in `keys` from the manifest, live or replaced; returns
    /// how many were there.
    async fn forget_segments(&self, keys: Vec<String>) -> Result<u64>;

    /// Every segment of `tenant`, live or replaced, by partition and `min_seq` (to delete
    /// a tenant's objects).
    async fn segments_of_tenant(&self, tenant: TenantId) -> Result<Vec<SegmentRow>>;

    /// Fenced like [`seal`](ClusterStore::seal): replaces the partition's rule checkpoint
    /// with `states` (JSON text), valid up to log sequence `seq`.
    async fn save_rule_state(&self, fence: Fence, seq: u64, states: String) -> Result<()>;

    /// The partition's rule checkpoint: its sequence and states (JSON text).
    async fn rule_state(&self, partition: u32) -> Result<Option<(u64, String)>>;
}

/// The consumers whose state follows a partition's events: the rule engine (windows,
/// durations, which alarms it raised). A partition's owner saves that state with the log
/// position it reflects (fenced, in [`ClusterStore::save_rule_state`]); the next owner
/// restores it before it announces what follows, so rules continue where they were and,
/// with alarm writes keyed by log position, raise or clear no alarm twice.
#[async_trait]
pub trait PartitionConsumers: Send + Sync {
    /// Waits until every event announced on this node so far has been handled and the
    /// alarm writes it caused are done; then, for each of `partitions`, the state of its
    /// devices (text for [`restore`](PartitionConsumers::restore)) and the highest log
    /// sequence of the partition handled (0: none on this node).
    async fn checkpoint(&self, partitions: &[u32]) -> Result<Vec<(u32, u64, String)>>;

    /// Replaces the state of `partition`'s devices with a checkpoint's (empty text: none)
    /// and re-reads which of their alarms are active.
    async fn restore(&self, partition: u32, state: &str) -> Result<()>;
}

/// A cluster as one of its nodes sees it, for the health page: the live nodes, and who
/// owns each partition and how far it has applied.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterHealth {
    /// The node that answered.
    pub node: String,
    pub partitions: u32,
    pub nodes: Vec<NodeHealth>,
    pub owners: Vec<PartitionHealth>,
    /// Sealing to object storage on the answering node.
    pub object_store: ObjectStoreHealth,
}

/// Sealing to object storage on the answering node (its owned partitions).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ObjectStoreHealth {
    /// `ok` (every owned partition's last seal succeeded), `failing` (a seal failed and is
    /// retried; nothing is trimmed from the streams meanwhile) or `off` (no object store).
    pub state: String,
    /// Log records the node applied that are not in sealed segments yet.
    pub unsealed_records: u64,
    /// The newest seal error of an owned partition.
    pub last_error: Option<String>,
}

/// A live node (its heartbeat).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NodeHealth {
    pub name: String,
    pub version: String,
    pub started_at: String,
    /// The partitions it owns.
    pub owned: Vec<u32>,
    /// Being drained for an upgrade: it hands its partitions back and takes none.
    pub draining: bool,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PartitionHealth {
    pub partition: u32,
    /// The node holding its lease; none while it is free.
    pub owner: Option<String>,
    /// `held`, `expired` (its owner stopped renewing), `released` (handed back) or `never`.
    pub lease: String,
    /// For partitions the answering node owns: its ownership epoch, the log sequence it
    /// has applied, and the records still to apply (bus lag).
    pub epoch: Option<u64>,
    pub applied: Option<u64>,
    pub lag: Option<u64>,
    /// For partitions the answering node owns: every log record up to this sequence is
    /// in segments in object storage; when the last seal succeeded (RFC 3339); the error
    /// of the last seal when it failed; the records applied since the last seal.
    pub sealed_seq: Option<u64>,
    pub sealed_at: Option<String>,
    pub seal_error: Option<String>,
    pub unsealed_records: Option<u64>,
}

/// What the API asks a cluster node.
#[async_trait]
pub trait ClusterView: Send + Sync + std::fmt::Debug {
    async fn health(&self) -> ClusterHealth;
}

/// Draining this node for a rolling upgrade: devices are sent to other nodes and, in a
/// cluster, the node's partitions are handed to them; the node can then be stopped.
#[async_trait]
pub trait NodeDrain: Send + Sync + std::fmt::Debug {
    /// Starts draining (again: nothing more): new device connections are refused with
    /// "use another server", connected devices are told to reconnect elsewhere,
    /// `devices_per_second` a second, and the node's readiness check fails so load
    /// balancers send nothing new.
    async fn drain(&self, devices_per_second: u32) -> Result<()>;
    fn draining(&self) -> bool;
}
