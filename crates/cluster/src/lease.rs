//! Partition leases in KV `il_leases` (design §2.6). A lease is the key `p.{p}` holding
//! `{node, boot_id}`; the bucket's max age is the lease TTL, so a lease not renewed in
//! time is removed by the server, whose clock alone decides expiry, and leaves a marker.
//!
//! - acquire: `create` when the key is absent; `update` at the marker's revision when the
//!   last entry is a delete or purge marker (or empty); a live entry is someone's lease.
//!   Every write is a compare-and-set on the revision, so of two contenders one wins.
//! - renew: `update` at the revision of the last write; a wrong revision means the lease
//!   expired (and maybe another node took it).
//! - release: `delete_expect_revision`, which leaves a marker that contenders take over at
//!   once, without waiting out the TTL.
//!
//! The holder also keeps a local deadline, `sent + TTL − 1 s`, from an [`Instant`] taken
//! before the request: the server counts the TTL from when it stored the write, which is
//! after `sent`, so the holder stops acting as owner before the server can hand the lease
//! on. `Instant` keeps counting while the process is stopped (SIGSTOP), so a frozen
//! owner finds its deadline passed when it wakes up; PostgreSQL epochs fence what it
//! writes there (`core::cluster::Fence`).

use crate::error::{ClusterError, NatsError};
use async_nats::jetstream::kv::{self, Operation};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The local deadline ends this long before the server's TTL (clock rates, transit).
pub const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Who holds a lease: the node and this run of it, so that a restarted node does not
/// take its previous run's lease for its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub node: String,
    pub boot_id: String,
}

impl Holder {
    /// `node` in a new run (a fresh boot id).
    pub fn new(node: impl Into<String>) -> Holder {
        Holder {
            node: node.into(),
            boot_id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// A lease held by this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub partition: u32,
    /// The revision of the last write (acquire or renew); the next renewal expects it.
    pub revision: u64,
    /// Until when this process may act as the owner.
    pub deadline: Instant,
}

impl Lease {
    /// Whether the local deadline has not passed: checked before every durable effect.
    pub fn is_valid(&self) -> bool {
        Instant::now() < self.deadline
    }
}

/// The outcome of [`Leases::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    Acquired(Lease),
    /// Another holder has it (a live entry, or a contender won the race for a free one).
    Held,
}

/// The leases bucket with its TTL.
/// A lease as [`Leases::state`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseState {
    Held(Holder),
    /// Handed back by its holder (drain, rebalancing).
    Released,
    /// Its holder stopped renewing it (died, paused, cut off).
    Expired,
    /// Never taken.
    Never,
}

#[derive(Debug, Clone)]
pub struct Leases {
    kv: kv::Store,
    ttl: Duration,
}

/// The key of partition `p`'s lease.
pub fn lease_key(partition: u32) -> String {
    format!("p.{partition}")
}

impl Leases {
    pub fn new(kv: kv::Store, ttl: Duration) -> Leases {
        Leases { kv, ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How often a holder renews: three tries before the TTL runs out.
    pub fn renew_interval(&self) -> Duration {
        self.ttl / 3
    }

    /// The bucket, for watching and for tests.
    pub fn store(&self) -> &kv::Store {
        &self.kv
    }

    fn deadline(&self, sent: Instant) -> Instant {
        sent + self.ttl.saturating_sub(SAFETY_MARGIN)
    }

    /// Takes partition `partition`'s lease when it is free.
    pub async fn acquire(&self, partition: u32, holder: &Holder) -> Result<Acquire, ClusterError> {
        let key = lease_key(partition);
        let value = encode(holder);
        let failed = |action, source: NatsError| ClusterError::Lease {
            partition,
            action,
            source,
        };
        let entry = self.entry(partition).await.map_err(|e| failed("read", e))?;
        let sent = Instant::now();
        let written = match entry {
            None => match self.kv.create(&key, value.into()).await {
                Ok(revision) => Some(revision),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => None,
                Err(e) => return Err(failed("create", e.into())),
            },
            Some(e) if is_marker(&e) => {
                match self.kv.update(&key, value.into(), e.revision).await {
                    Ok(revision) => Some(revision),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => None,
                    Err(e) => return Err(failed("take over", e.into())),
                }
            }
            Some(_) => None,
        };
        Ok(match written {
            Some(revision) => Acquire::Acquired(Lease {
                partition,
                revision,
                deadline: self.deadline(sent),
            }),
            None => Acquire::Held,
        })
    }

    /// Renews `lease`, moving its revision and deadline on. [`ClusterError::LeaseLost`]
    /// when the server no longer has this holder's write as the last one (it expired, or
    /// another node took the lease); the caller then steps down.
    pub async fn renew(&self, lease: &mut Lease, holder: &Holder) -> Result<(), ClusterError> {
        let sent = Instant::now();
        match self
            .kv
            .update(
                lease_key(lease.partition),
                encode(holder).into(),
                lease.revision,
            )
            .await
        {
            Ok(revision) => {
                lease.revision = revision;
                lease.deadline = self.deadline(sent);
                Ok(())
            }
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                Err(ClusterError::LeaseLost {
                    partition: lease.partition,
                })
            }
            Err(e) => Err(ClusterError::Lease {
                partition: lease.partition,
                action: "renew",
                source: e.into(),
            }),
        }
    }

    /// Gives the lease up at once (drain, rebalance), leaving a delete marker that the
    /// next contender takes over. [`ClusterError::LeaseLost`] when it had already moved on.
    pub async fn release(&self, lease: Lease) -> Result<(), ClusterError> {
        match self
            .kv
            .delete_expect_revision(lease_key(lease.partition), Some(lease.revision))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                Err(ClusterError::LeaseLost {
                    partition: lease.partition,
                })
            }
            Err(e) => Err(ClusterError::Lease {
                partition: lease.partition,
                action: "release",
                source: e.into(),
            }),
        }
    }

    /// Who holds `partition`'s lease, or how it became free.
    pub async fn state(&self, partition: u32) -> Result<LeaseState, ClusterError> {
        let entry = self
            .entry(partition)
            .await
            .map_err(|source| ClusterError::Lease {
                partition,
                action: "read",
                source,
            })?;
        Ok(match entry {
            None => LeaseState::Never,
            Some(e) if e.operation == Operation::Delete => LeaseState::Released,
            Some(e) if is_marker(&e) => LeaseState::Expired,
            Some(e) => match serde_json::from_slice(&e.value) {
                Ok(h) => LeaseState::Held(h),
                Err(_) => LeaseState::Expired,
            },
        })
    }

    /// The last entry of `partition`'s lease, read from the bucket's stream leader. The
    /// client's `entry` asks any replica (direct get), and a follower may not have applied
    /// the last write yet: a lease released a moment ago would still read as held.
    async fn entry(&self, partition: u32) -> Result<Option<kv::Entry>, NatsError> {
        use async_nats::jetstream::stream::LastRawMessageErrorKind;
        let key = lease_key(partition);
        let subject = format!("{}{key}", self.kv.prefix);
        let message = match self
            .kv
            .stream
            .get_last_raw_message_by_subject(&subject)
            .await
        {
            Ok(m) => m,
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
        let operation = match (header("KV-Operation"), header("Nats-Marker-Reason")) {
            (Some(op), _) if op == "DEL" => Operation::Delete,
            (Some(op), _) if op == "PURGE" => Operation::Purge,
            (None, Some(reason)) if reason == "Remove" => Operation::Delete,
            (None, Some(_)) => Operation::Purge,
            _ => Operation::Put,
        };
        Ok(Some(kv::Entry {
            bucket: self.kv.name.clone(),
            key,
            value: message.payload,
            revision: message.sequence,
            created: message.time,
            delta: 0,
            operation,
            seen_current: false,
        }))
    }

    /// The current holder of `partition`'s lease, if any.
    pub async fn holder(&self, partition: u32) -> Result<Option<Holder>, ClusterError> {
        Ok(match self.state(partition).await? {
            LeaseState::Held(h) => Some(h),
            _ => None,
        })
    }
}

/// A delete or purge marker (the server's expiry marker included): the key is free. An
/// empty value counts too, in case a client labels a server marker as a put (nats-server
/// #6711); a lease value is never empty.
pub fn is_marker(entry: &kv::Entry) -> bool {
    matches!(entry.operation, Operation::Delete | Operation::Purge) || entry.value.is_empty()
}

fn encode(holder: &Holder) -> Vec<u8> {
    // A struct of two strings always serialises.
    serde_json::to_vec(holder).unwrap_or_default()
}
