//! The cluster's ingest log: device data appended to the partitions' JetStream streams
//! (design §2.4). A device is acknowledged only once every record carrying its data is
//! stored on a quorum of the stream's replicas.
//!
//! An append runs the store's stateless checks first (so a device learns of those
//! refusals on any node), groups the items by partition, and hands them to the lane of
//! their partition and tenant. A lane publishes records on `il.in.{partition}.{tenant}`
//! (split above [`MAX_RECORD_BYTES`]) with message ids unique to this node's boot, at most
//! [`IN_FLIGHT`] awaiting their acknowledgement at a time: what arrives meanwhile waits
//! and goes out together in the next record. At low load a record leaves at once; under
//! load records grow, and the log's cost per message (NATS's and ours) falls, with no
//! timer. One sender per lane publishes in call order on one connection, so one device's
//! records keep their order in its partition. A record whose acknowledgement times out or
//! is refused is published again with the same id (the stream's duplicate window stores
//! it once) until [`RETRY_FOR`] has passed; then the append fails and no device is
//! acknowledged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage as Publish};
use bytes::Bytes;
use ironloom_bus::{IngestLog, LogItem};
use ironloom_core::error::Error;
use ironloom_core::ids::TenantId;
use ironloom_core::telemetry::{Durable, RejectedPoint, WriteOutcome};
use ironloom_tsdb::limits::PointCheck;

use crate::partition::partition_of;
use crate::record::{self, Item};

/// Records are split above this size (the streams take up to 1 MiB).
pub const MAX_RECORD_BYTES: usize = 512 << 10;
/// How long a record is published again before the append fails.
pub const RETRY_FOR: Duration = Duration::from_secs(10);
/// Records of one lane (partition and tenant) awaiting their acknowledgement at most.
pub const IN_FLIGHT: usize = 2;

/// The subject of a partition's records of one tenant.
pub fn subject(partition: u32, tenant: TenantId) -> String {
    format!("il.in.{partition}.{tenant}")
}

/// Appends device data to the partitions' streams.
#[derive(Debug)]
pub struct JetStreamLog {
    shared: Arc<Shared>,
    partitions: u32,
    /// The store's limits, for the checks made before appending.
    limits: ironloom_tsdb::Options,
}

#[derive(Debug)]
struct Shared {
    js: jetstream::Context,
    /// `{node}.{boot}.`: message ids are this and a counter.
    id_prefix: String,
    counter: AtomicU64,
    lanes: Mutex<HashMap<(u32, TenantId), Lane>>,
}

/// Where an append's items wait for their record, with who waits for its sequence.
type Waiter = tokio::sync::oneshot::Sender<Result<u64, Error>>;

/// Items of one partition and tenant not yet in a record.
#[derive(Debug)]
struct Lane {
    queued: Vec<Item>,
    waiters: Vec<Waiter>,
    /// [`IN_FLIGHT`] permits: one held by each record awaiting its acknowledgement.
    permits: Arc<tokio::sync::Semaphore>,
}

impl JetStreamLog {
    /// A log on `client` for a cluster of `partitions`; `node` names this node in message
    /// ids.
    pub fn new(
        client: async_nats::Client,
        partitions: u32,
        node: &str,
        limits: ironloom_tsdb::Options,
    ) -> JetStreamLog {
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .max_ack_inflight(4096)
            .backpressure_on_inflight(true)
            .build(client);
        JetStreamLog {
            shared: Arc::new(Shared {
                js,
                id_prefix: format!("{node}.{}.", uuid::Uuid::now_v7().simple()),
                counter: AtomicU64::new(0),
                lanes: Mutex::new(HashMap::new()),
            }),
            partitions,
            limits,
        }
    }
}

impl Shared {
    fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}{n}", self.id_prefix)
    }

    /// Queues `items` in their lane; starts the lane's sender unless one runs (a lane
    /// exists exactly while its sender runs).
    fn enqueue(self: &Arc<Self>, key: (u32, TenantId), items: Vec<Item>, waiter: Waiter) {
        let mut lanes = ironloom_core::sync::lock(&self.lanes);
        if let Some(lane) = lanes.get_mut(&key) {
            lane.queued.extend(items);
            lane.waiters.push(waiter);
            return;
        }
        lanes.insert(
            key,
            Lane {
                queued: items,
                waiters: vec![waiter],
                permits: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
            },
        );
        drop(lanes);
        tokio::spawn(self.clone().send_lane(key));
    }

    /// The lane's sender: once fewer than [`IN_FLIGHT`] of its records await
    /// acknowledgement, publishes everything queued as the next record(s) and leaves a
    /// task waiting for the acknowledgement; ends (and the lane with it) when nothing is
    /// queued.
    async fn send_lane(self: Arc<Self>, key: (u32, TenantId)) {
        let (p, tenant) = key;
        let subject = subject(p, tenant);
        loop {
            let Some(permits) = ironloom_core::sync::lock(&self.lanes)
                .get(&key)
                .map(|l| l.permits.clone())
            else {
                return;
            };
            let Ok(permit) = permits.acquire_owned().await else {
                return;
            };
            let (items, waiters) = {
                let mut lanes = ironloom_core::sync::lock(&self.lanes);
                let Some(lane) = lanes.get_mut(&key) else {
                    return;
                };
                if lane.queued.is_empty() {
                    lanes.remove(&key);
                    return;
                }
                (
                    std::mem::take(&mut lane.queued),
                    std::mem::take(&mut lane.waiters),
                )
            };
            let mut pending = Vec::new();
            let mut failed = None;
            for payload in records(tenant, items) {
                let id = self.next_id();
                let sent = self
                    .js
                    .send_publish(
                        subject.clone(),
                        Publish::build().payload(payload.clone()).message_id(&id),
                    )
                    .await;
                match sent {
                    Ok(ack) => pending.push(Pending {
                        subject: subject.clone(),
                        payload,
                        id,
                        ack,
                    }),
                    Err(e) => {
                        failed = Some(Error::storage("append to the cluster log", e));
                        break;
                    }
                }
            }
            let js = self.js.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let mut result: Result<u64, Error> = match failed {
                    Some(e) => Err(e),
                    None => Ok(0),
                };
                for p in pending {
                    if result.is_err() {
                        break;
                    }
                    let bytes = p.payload.len() as u64;
                    match p.stored(&js).await {
                        Ok(seq) => {
                            metrics::counter!("ironloom_cluster_records_appended_total")
                                .increment(1);
                            metrics::counter!("ironloom_cluster_record_bytes_appended_total")
                                .increment(bytes);
                            result = result.map(|s| s.max(seq));
                        }
                        Err(e) => result = Err(e),
                    }
                }
                for w in waiters {
                    let _ = w.send(result.as_ref().map(|s| *s).map_err(again));
                }
            });
        }
    }
}

/// Takes the points the store would refuse out of the items, recording them with their
/// index over all the items' points.
fn take_refused(items: &mut [LogItem], check: &PointCheck) -> Vec<RejectedPoint> {
    let mut rejected = Vec::new();
    let mut base = 0usize;
    for item in items {
        let n = item.batch.points.len();
        if item.batch.points.iter().any(|p| check.check(p).is_some()) {
            let mut values_refused = 0usize;
            let values = item.announce.as_ref().map_or(0, |a| a.values);
            let mut i = 0usize;
            item.batch.points.retain(|p| {
                let index = i;
                i += 1;
                match check.check(p) {
                    None => true,
                    Some(reason) => {
                        rejected.push(RejectedPoint {
                            index: base + index,
                            property: p.property.clone(),
                            reason,
                        });
                        if index < values {
                            values_refused += 1;
                        }
                        false
                    }
                }
            });
            if let Some(a) = &mut item.announce {
                a.values -= values_refused;
            }
        }
        base += n;
    }
    rejected
}

/// Encodes the items of one partition as records of at most about [`MAX_RECORD_BYTES`]
/// (an item is never split; one larger item makes a record of its own).
fn records(tenant: TenantId, items: Vec<Item>) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut part: Vec<Item> = Vec::new();
    let mut size = 0usize;
    for item in items {
        let estimate = match &item {
            Item::Batch(b) => {
                40 + b
                    .batch
                    .points
                    .iter()
                    .map(|p| {
                        16 + match &p.value {
                            ironloom_core::telemetry::Value::Str(s) => s.len(),
                            _ => 0,
                        }
                    })
                    .sum::<usize>()
            }
            Item::Event(_) => 256,
        };
        if !part.is_empty() && size + estimate > MAX_RECORD_BYTES {
            let mut buf = Vec::with_capacity(size + 64);
            record::encode(tenant, &part, &mut buf);
            out.push(Bytes::from(buf));
            part.clear();
            size = 0;
        }
        size += estimate;
        part.push(item);
    }
    if !part.is_empty() {
        let mut buf = Vec::with_capacity(size + 64);
        record::encode(tenant, &part, &mut buf);
        out.push(Bytes::from(buf));
    }
    out
}

/// Completes when appended records are stored on a quorum, with the stream sequence of
/// each partition's last record (see [`JetStreamLog::publish_items_at`]).
pub type Stored =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<(u32, u64)>, Error>> + Send>>;

impl JetStreamLog {
    /// Publishes `items` of one tenant, grouped by partition, in order; returns a future
    /// that completes when every record is stored on a quorum.
    pub async fn publish_items(
        &self,
        tenant: TenantId,
        items: Vec<Item>,
    ) -> Result<Durable, Error> {
        let stored = self.publish_items_at(tenant, items).await?;
        Ok(Box::pin(async move { stored.await.map(|_| ()) }))
    }

    /// [`publish_items`](Self::publish_items), whose future also gives, per partition
    /// written, the stream sequence of its last record: once the partition's owner has
    /// applied that sequence, the items are readable there.
    pub async fn publish_items_at(
        &self,
        tenant: TenantId,
        items: Vec<Item>,
    ) -> Result<Stored, Error> {
        let mut by_partition: Vec<(u32, Vec<Item>)> = Vec::new();
        for item in items {
            let device = match &item {
                Item::Batch(b) => b.batch.device,
                Item::Event(e) => e.device,
            };
            let p = partition_of(device, self.partitions);
            match by_partition.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(item),
                None => by_partition.push((p, vec![item])),
            }
        }
        let mut waiting = Vec::with_capacity(by_partition.len());
        for (p, items) in by_partition {
            let (tx, rx) = tokio::sync::oneshot::channel();
            self.shared.enqueue((p, tenant), items, tx);
            waiting.push((p, rx));
        }
        Ok(Box::pin(async move {
            let mut last = Vec::with_capacity(waiting.len());
            for (p, rx) in waiting {
                let seq = rx.await.map_err(|_| {
                    Error::storage("append to the cluster log", "the log's sender ended")
                })??;
                last.push((p, seq));
            }
            Ok(last)
        }))
    }

    /// [`IngestLog::append`] whose future gives the partitions' last sequences (see
    /// [`publish_items_at`](Self::publish_items_at)).
    pub async fn append_at(
        &self,
        tenant: TenantId,
        mut items: Vec<LogItem>,
    ) -> Result<(WriteOutcome, Stored), Error> {
        let now = chrono::Utc::now().timestamp_micros();
        let rejected = take_refused(&mut items, &PointCheck::at(&self.limits, now));
        let accepted = items.iter().map(|i| i.batch.points.len() as u64).sum();
        let items = items
            .into_iter()
            .filter(|i| !i.batch.points.is_empty())
            .map(Item::Batch)
            .collect();
        let stored = self.publish_items_at(tenant, items).await?;
        Ok((WriteOutcome { accepted, rejected }, stored))
    }
}

/// The same failure again, for each append waiting on one record.
fn again(e: &Error) -> Error {
    match e {
        Error::Overloaded(why) => Error::Overloaded(why),
        Error::Storage { action, detail } => Error::Storage {
            action,
            detail: detail.clone(),
        },
        other => Error::storage("append to the cluster log", other),
    }
}

/// A published record waiting for its acknowledgement.
struct Pending {
    subject: String,
    payload: Bytes,
    id: String,
    ack: jetstream::context::PublishAckFuture,
}

impl Pending {
    /// Waits for the acknowledgement, publishing again with the same id on a timeout or a
    /// refusal until [`RETRY_FOR`] has passed. Returns the record's stream sequence (the
    /// first one's, for a record the stream took as a duplicate).
    async fn stored(self, js: &jetstream::Context) -> Result<u64, Error> {
        let deadline = tokio::time::Instant::now() + RETRY_FOR;
        let mut last = match self.ack.await {
            Ok(a) => return Ok(a.sequence),
            Err(e) => e.to_string(),
        };
        let mut wait = Duration::from_millis(100);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
            let sent = js
                .send_publish(
                    self.subject.clone(),
                    Publish::build()
                        .payload(self.payload.clone())
                        .message_id(&self.id),
                )
                .await;
            match sent {
                Ok(ack) => match ack.await {
                    Ok(a) => return Ok(a.sequence),
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
        }
        tracing::warn!(subject = %self.subject, error = %last, "a record was not stored on a quorum in time");
        Err(Error::Overloaded(
            "the cluster log did not store the data in time; retry",
        ))
    }
}

#[async_trait::async_trait]
impl IngestLog for JetStreamLog {
    async fn append(
        &self,
        tenant: TenantId,
        items: Vec<LogItem>,
    ) -> Result<(WriteOutcome, Durable), Error> {
        let (outcome, stored) = self.append_at(tenant, items).await?;
        Ok((outcome, Box::pin(async move { stored.await.map(|_| ()) })))
    }

    fn announces_here(&self) -> bool {
        false
    }
}
