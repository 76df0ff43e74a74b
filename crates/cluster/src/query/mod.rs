//! Queries from any node (design §2.9): [`ClusterTelemetry`] is the platform's
//! [`TelemetryStore`] in cluster mode. Each node's store holds only the partitions it
//! owns, so a query is split by partition and each part is answered by the partition's
//! owner; the parts are merged into what a single node's engine would answer.
//!
//! Protocol, core NATS request/reply with serde JSON bodies:
//! - the asking node publishes a [`Request`] on `il.q.{p}` with a reply inbox of its own;
//! - every node's [`QueryServer`] listens on `il.q.*` and stays silent unless it owns `p`;
//!   the owner sends an empty message at once (accepted), then one [`Reply`];
//! - no acceptance: the request goes out again every [`ASK_AGAIN`] (a new owner answers as
//!   soon as it has the partition); none within [`ACCEPT_WAIT`]: the partition has no owner now
//!   (`Error::Overloaded`, 503); acceptance and no reply within [`ANSWER_WAIT`]: a storage
//!   failure;
//! - replies stay under [`REPLY_LIMIT`]: history pages and scan slices are shortened (the
//!   caller goes on by cursor), per-device answers (latest, series, aggregate) stop after a
//!   whole device and the caller asks again from the next device;
//! - a node that owns the partition answers itself, without NATS.
//!
//! Values travel bit-exact ([`WireValue`]): serde_json's default float parsing may be one
//! unit in the last place off, and results must be the engine's.
//!
//! Writes go through the cluster's ingest log, and return once the owners have applied
//! them (so a read right after a write sees it), at most [`APPLY_WAIT`] later.

//!
//! Layout: this file (the asking side, [`ClusterTelemetry`]), `wire` (the messages and
//! their size limits), `server` (the owner's side, [`QueryServer`]).

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::try_join_all;
use ironloom_bus::LogItem;
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_tsdb::query::{MAX_PAGE, encode_cursor};
use tokio_util::sync::CancellationToken;

use crate::error::ClusterError;
use crate::log::JetStreamLog;
use crate::node::{ClusterNode, NodeParts};
use crate::partition::partition_of;

mod server;
mod wire;

pub use server::QueryServer;
pub use wire::*;

/// Replies are kept under this size (the servers take messages up to 1 MiB).
pub const REPLY_LIMIT: usize = 900 << 10;
/// How long an owner has to accept a request before the partition counts as unowned.
pub const ACCEPT_WAIT: Duration = Duration::from_secs(2);
/// How often a request nobody accepted is sent again within [`ACCEPT_WAIT`].
pub const ASK_AGAIN: Duration = Duration::from_millis(500);
/// How long an accepted request may take.
pub const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// How long a write waits for the owners to apply it.
pub const APPLY_WAIT: Duration = Duration::from_secs(10);
/// Retention policies set on one node, applied by every node.
pub const RETENTION_SUBJECT: &str = "il.ctl.retention";
/// What the items of a reply may take (the rest is the envelope).
const ITEMS_LIMIT: usize = REPLY_LIMIT - (8 << 10);

/// The cluster's [`TelemetryStore`]: reads from the partitions' owners, writes through the
/// ingest log.
#[derive(Debug)]
pub struct ClusterTelemetry {
    client: async_nats::Client,
    node: Arc<ClusterNode>,
    log: Arc<JetStreamLog>,
    server: QueryServer,
    /// "partition p has no owner yet", one per partition (made once: the error holds a
    /// static text).
    no_owner: Vec<&'static str>,
}

/// A cluster query failed on the way (NATS), not in a store.
fn transport(e: impl std::fmt::Display) -> Error {
    Error::storage("a cluster query", e)
}

fn unexpected() -> Error {
    Error::storage(
        "a cluster query",
        "the owner's answer does not match the question",
    )
}

/// Heads of the owners' history pages in a k-way merge.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    ts: Micros,
    device: DeviceId,
    property: String,
    list: usize,
    desc: bool,
}

impl Ord for Head {
    fn cmp(&self, o: &Self) -> CmpOrdering {
        let c = (self.ts, self.device, &self.property).cmp(&(o.ts, o.device, &o.property));
        // A max-heap: the next point in the page's order is the greatest.
        if self.desc { c } else { c.reverse() }
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(o))
    }
}

/// Puts per-device results back in the engine's order: the devices in the order given
/// (repeated as given), or every device by id.
fn assemble<T: Clone>(
    given: &[DeviceId],
    parts: Vec<Vec<T>>,
    device_of: impl Fn(&T) -> DeviceId,
) -> Vec<T> {
    if given.is_empty() {
        let mut all: Vec<T> = parts.into_iter().flatten().collect();
        // Stable: each device's items keep the engine's property order.
        all.sort_by_key(|i| device_of(i));
        return all;
    }
    let mut by: HashMap<DeviceId, Vec<T>> = HashMap::new();
    for item in parts.into_iter().flatten() {
        by.entry(device_of(&item)).or_default().push(item);
    }
    given
        .iter()
        .flat_map(|d| by.get(d).cloned().unwrap_or_default())
        .collect()
}

impl ClusterTelemetry {
    /// Starts this node's query server (answering for its partitions from their engines)
    /// and returns the store the platform uses.
    pub async fn start(
        parts: &NodeParts,
        shutdown: CancellationToken,
    ) -> Result<Arc<ClusterTelemetry>, ClusterError> {
        let node = parts.node.clone();
        let client = node.client().clone();
        let subscribe = |subject: &'static str| {
            let client = client.clone();
            async move {
                client
                    .subscribe(subject)
                    .await
                    .map_err(|e| ClusterError::CreateLayout {
                        what: format!("the subscription to {subject}"),
                        source: e.into(),
                    })
            }
        };
        let queries = subscribe("il.q.*").await?;
        let control = subscribe(RETENTION_SUBJECT).await?;
        let server = QueryServer::new(node.clone());
        tokio::spawn(
            server
                .clone()
                .serve(client.clone(), queries, control, shutdown),
        );
        let no_owner = (0..node.partitions())
            .map(|p| &*Box::leak(format!("partition {p} has no owner yet").into_boxed_str()))
            .collect();
        Ok(Arc::new(ClusterTelemetry {
            client,
            node,
            log: parts.log.clone(),
            server,
            no_owner,
        }))
    }

    fn partitions(&self) -> u32 {
        self.node.partitions()
    }

    fn no_owner(&self, p: u32) -> Error {
        Error::Overloaded(
            self.no_owner
                .get(p as usize)
                .copied()
                .unwrap_or("a partition has no owner yet"),
        )
    }

    /// Asks partition `p`'s owner (this node itself when it is the owner).
    async fn ask(&self, tenant: TenantId, p: u32, op: Op) -> Result<Answer, Error> {
        if self.node.owns(p) {
            return self.server.answer(tenant, p, op).await;
        }
        let body = serde_json::to_vec(&Request {
            tenant,
            partition: p,
            op,
        })
        .map_err(transport)?;
        let inbox = self.client.new_inbox();
        let mut sub = self
            .client
            .subscribe(inbox.clone())
            .await
            .map_err(transport)?;
        let body = Bytes::from(body);
        // Servers that do not own the partition stay silent. While nobody accepts, the
        // request goes out again every ASK_AGAIN: a node taking the partition over (a
        // fail-over, a hand-back) answers as soon as it owns it, not the next request.
        let asked = tokio::time::Instant::now();
        let first = loop {
            self.client
                .publish_with_reply(query_subject(p), inbox.clone(), body.clone())
                .await
                .map_err(transport)?;
            let left = ACCEPT_WAIT.saturating_sub(asked.elapsed());
            match tokio::time::timeout(left.min(ASK_AGAIN), sub.next()).await {
                // No query server at all: the server says so at once.
                Ok(Some(m)) if m.status == Some(async_nats::StatusCode::NO_RESPONDERS) => {
                    return Err(self.no_owner(p));
                }
                Ok(Some(m)) => break m,
                Ok(None) => return Err(transport("the reply subscription ended")),
                Err(_) if asked.elapsed() >= ACCEPT_WAIT => return Err(self.no_owner(p)),
                Err(_) => {}
            }
        };
        let m = if first.payload.is_empty() {
            // The reply; an acceptance of a request sent again is skipped.
            let until = tokio::time::Instant::now() + ANSWER_WAIT;
            loop {
                match tokio::time::timeout_at(until, sub.next()).await {
                    Ok(Some(m)) if m.payload.is_empty() => {}
                    Ok(Some(m)) => break m,
                    Ok(None) => return Err(transport("the reply subscription ended")),
                    Err(_) => {
                        return Err(transport(format!("partition {p} did not answer in time")));
                    }
                }
            }
        } else {
            first
        };
        match serde_json::from_slice::<Reply>(&m.payload).map_err(transport)? {
            Reply::Ok(a) => Ok(a),
            Reply::Err(e) => Err(e.into()),
        }
    }

    /// The partitions a device list involves with their devices (once each), or every
    /// partition with an empty list (every device).
    fn by_partition(&self, devices: &[DeviceId]) -> Vec<(u32, Vec<DeviceId>)> {
        let n = self.partitions();
        if devices.is_empty() {
            return (0..n).map(|p| (p, Vec::new())).collect();
        }
        let mut seen = HashSet::new();
        let mut out: BTreeMap<u32, Vec<DeviceId>> = BTreeMap::new();
        for d in devices {
            if seen.insert(*d) {
                out.entry(partition_of(*d, n)).or_default().push(*d);
            }
        }
        out.into_iter().collect()
    }

    /// A per-device answer of one partition, asked again after the last device until
    /// complete.
    async fn paged<T>(
        &self,
        tenant: TenantId,
        p: u32,
        op: impl Fn(Option<DeviceId>) -> Op,
        take: impl Fn(Answer) -> Option<(Vec<T>, Option<DeviceId>)>,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let answer = self.ask(tenant, p, op(after)).await?;
            let (items, more) = take(answer).ok_or_else(unexpected)?;
            out.extend(items);
            match more {
                Some(d) if Some(d) != after => after = Some(d),
                _ => return Ok(out),
            }
        }
    }

    /// Waits until the owners have applied the given stream positions.
    async fn wait_applied(&self, tenant: TenantId, positions: Vec<(u32, u64)>) {
        let deadline = tokio::time::Instant::now() + APPLY_WAIT;
        let waits = positions.into_iter().map(|(p, seq)| async move {
            let mut pause = Duration::from_millis(2);
            loop {
                if let Ok(Answer::Applied { seq: Some(a) }) = self.ask(tenant, p, Op::Applied).await
                    && a >= seq
                {
                    return;
                }
                if tokio::time::Instant::now() + pause > deadline {
                    tracing::warn!(
                        partition = p,
                        seq,
                        "a write is durable but its partition's owner has not applied it yet"
                    );
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        });
        futures_util::future::join_all(waits).await;
    }
}

#[async_trait]
impl TelemetryStore for ClusterTelemetry {
    async fn write(
        &self,
        tenant: TenantId,
        batch: Vec<DeviceBatch>,
    ) -> Result<WriteOutcome, Error> {
        let items = batch
            .into_iter()
            .map(|batch| LogItem {
                batch,
                announce: None,
            })
            .collect();
        let (outcome, stored) = self.log.append_at(tenant, items).await?;
        let positions = stored.await?;
        self.wait_applied(tenant, positions).await;
        Ok(outcome)
    }

    async fn history(&self, tenant: TenantId, q: HistoryQuery) -> Result<HistoryPage, Error> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let desc = q.order == Order::Desc;
        let asks = self
            .by_partition(&q.selection.devices)
            .into_iter()
            .map(|(p, devices)| {
                let mut query = q.clone();
                query.selection.devices = devices;
                async move {
                    match self.ask(tenant, p, Op::History { query }).await? {
                        Answer::History { points, more } => Ok((points, more)),
                        _ => Err(unexpected()),
                    }
                }
            });
        let pages: Vec<(Vec<WirePoint>, bool)> = try_join_all(asks).await?;
        // Points past the end of a page that has more may be preceded by that owner's
        // next points: the merged page stops at the earliest such end.
        let mut bound: Option<(Micros, DeviceId, &str)> = None;
        for (points, more) in &pages {
            if *more && let Some(last) = points.last() {
                let k = last.key();
                bound = Some(match bound {
                    None => k,
                    Some(b) if (desc && k > b) || (!desc && k < b) => k,
                    Some(b) => b,
                });
            }
        }
        let mut heap = BinaryHeap::new();
        let mut next = vec![0usize; pages.len()];
        let head = |list: usize, pos: usize| {
            pages[list].0.get(pos).map(|pt| Head {
                ts: pt.ts,
                device: pt.device,
                property: pt.property.clone(),
                list,
                desc,
            })
        };
        for list in 0..pages.len() {
            heap.extend(head(list, 0));
        }
        let mut picked: Vec<&WirePoint> = Vec::with_capacity(limit);
        while picked.len() < limit {
            let Some(h) = heap.pop() else { break };
            let pt = &pages[h.list].0[next[h.list]];
            if let Some(b) = bound
                && ((desc && pt.key() < b) || (!desc && pt.key() > b))
            {
                heap.push(h);
                break;
            }
            picked.push(pt);
            next[h.list] += 1;
            heap.extend(head(h.list, next[h.list]));
        }
        let more = !heap.is_empty() || pages.iter().any(|(_, more)| *more);
        let next_cursor = match (more, picked.last()) {
            (true, Some(last)) => Some(encode_cursor(last.ts, &last.device, &last.property)),
            _ => None,
        };
        Ok(HistoryPage {
            points: picked
                .into_iter()
                .map(|p| HistoryPoint::from(p.clone()))
                .collect(),
            next_cursor,
        })
    }

    async fn aggregate(
        &self,
        tenant: TenantId,
        q: AggregateQuery,
    ) -> Result<Vec<AggregateSeries>, Error> {
        let asks = self
            .by_partition(&q.selection.devices)
            .into_iter()
            .map(|(p, devices)| {
                let mut query = q.clone();
                query.selection.devices = devices;
                self.paged(
                    tenant,
                    p,
                    move |after| Op::Aggregate {
                        query: query.clone(),
                        after,
                    },
                    |a| match a {
                        Answer::Aggregate { items, more_after } => Some((items, more_after)),
                        _ => None,
                    },
                )
            });
        let parts = try_join_all(asks).await?;
        let items = assemble(&q.selection.devices, parts, |i| i.device);
        Ok(items.into_iter().map(AggregateSeries::from).collect())
    }

    async fn series(&self, tenant: TenantId, sel: Selection) -> Result<Vec<SeriesInfo>, Error> {
        let asks = self
            .by_partition(&sel.devices)
            .into_iter()
            .map(|(p, devices)| {
                let selection = Selection {
                    devices,
                    properties: sel.properties.clone(),
                };
                self.paged(
                    tenant,
                    p,
                    move |after| Op::Series {
                        selection: selection.clone(),
                        after,
                    },
                    |a| match a {
                        Answer::Series { items, more_after } => Some((items, more_after)),
                        _ => None,
                    },
                )
            });
        let parts = try_join_all(asks).await?;
        Ok(assemble(&sel.devices, parts, |i| i.device))
    }

    async fn scan(&self, tenant: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error> {
        let p = partition_of(q.device, self.partitions());
        match self.ask(tenant, p, Op::Scan { query: q }).await? {
            Answer::Scan { points, next_from } => Ok(SeriesSlice {
                points: points
                    .into_iter()
                    .map(|(ts, value, quality)| TimedValue {
                        ts,
                        value: value.into(),
                        quality,
                    })
                    .collect(),
                next_from,
            }),
            _ => Err(unexpected()),
        }
    }

    async fn latest(&self, tenant: TenantId, sel: Selection) -> Result<Vec<LatestValue>, Error> {
        let asks = self
            .by_partition(&sel.devices)
            .into_iter()
            .map(|(p, devices)| {
                let selection = Selection {
                    devices,
                    properties: sel.properties.clone(),
                };
                self.paged(
                    tenant,
                    p,
                    move |after| Op::Latest {
                        selection: selection.clone(),
                        after,
                    },
                    |a| match a {
                        Answer::Latest { items, more_after } => Some((items, more_after)),
                        _ => None,
                    },
                )
            });
        let parts = try_join_all(asks).await?;
        let items = assemble(&sel.devices, parts, |i| i.device);
        Ok(items.into_iter().map(LatestValue::from).collect())
    }

    async fn properties(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<Vec<(String, ValueType)>, Error> {
        let p = partition_of(device, self.partitions());
        match self.ask(tenant, p, Op::Properties { device }).await? {
            Answer::Properties { items } => Ok(items),
            _ => Err(unexpected()),
        }
    }

    async fn stats(&self, tenant: TenantId) -> Result<StorageStats, Error> {
        let asks = (0..self.partitions()).map(|p| async move {
            match self.ask(tenant, p, Op::Stats).await? {
                Answer::Stats {
                    node,
                    series,
                    store,
                } => Ok((node, series, store)),
                _ => Err(unexpected()),
            }
        });
        let answers = try_join_all(asks).await?;
        let mut out = StorageStats {
            tenant,
            ..StorageStats::default()
        };
        // Each partition has its own engine: the answers add up.
        for (_node, series, store) in answers {
            out.series += series;
            out.points += store.points;
            out.bytes += store.bytes;
            out.unflushed_points += store.unflushed_points;
            out.wal_bytes += store.wal_bytes;
        }
        Ok(out)
    }

    async fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>, Error> {
        self.node.engines().retention(tenant).await
    }

    async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error> {
        self.node.engines().set_retention(policy.clone()).await?;
        let change = RetentionChange {
            origin: self.node.name().to_string(),
            policy,
        };
        let body = serde_json::to_vec(&change).map_err(transport)?;
        self.client
            .publish(RETENTION_SUBJECT, body.into())
            .await
            .map_err(transport)?;
        self.client.flush().await.map_err(transport)?;
        Ok(())
    }
}
