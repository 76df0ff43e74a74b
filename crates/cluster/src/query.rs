//! Queries from any node (design §2.9): [`ClusterTelemetry`] is the platform's
//! [`TelemetryStore`] in cluster mode. Each node's store holds only the partitions it
//! owns, so a query is split by partition and each part is answered by the partition's
//! owner; the parts are merged into what a single node's engine would answer.
//!
//! Protocol, core NATS request/reply with serde JSON bodies:
//! - the asking node publishes a [`Request`] on `il.q.{p}` with a reply inbox of its own;
//! - every node's [`QueryServer`] listens on `il.q.*` and stays silent unless it owns `p`;
//!   the owner sends an empty message at once (accepted), then one [`Reply`];
//! - no acceptance within [`ACCEPT_WAIT`]: the partition has no owner now
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

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::try_join_all;
use ironloom_bus::LogItem;
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_tsdb::query::{MAX_PAGE, encode_cursor};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::ClusterError;
use crate::log::JetStreamLog;
use crate::node::{ClusterNode, NodeParts};
use crate::partition::partition_of;

/// Replies are kept under this size (the servers take messages up to 1 MiB).
pub const REPLY_LIMIT: usize = 900 << 10;
/// How long an owner has to accept a request before the partition counts as unowned.
pub const ACCEPT_WAIT: Duration = Duration::from_secs(2);
/// How long an accepted request may take.
pub const ANSWER_WAIT: Duration = Duration::from_secs(60);
/// How long a write waits for the owners to apply it.
pub const APPLY_WAIT: Duration = Duration::from_secs(10);
/// Retention policies set on one node, applied by every node.
pub const RETENTION_SUBJECT: &str = "il.ctl.retention";
/// What the items of a reply may take (the rest is the envelope).
const ITEMS_LIMIT: usize = REPLY_LIMIT - (8 << 10);

/// The subject of partition `p`'s queries.
pub fn query_subject(p: u32) -> String {
    format!("il.q.{p}")
}

/// A query for one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub tenant: TenantId,
    pub partition: u32,
    pub op: Op,
}

/// What is asked. A selection's device list holds devices of the partition; empty, it
/// means every device of the partition. `after` continues a shortened answer: the
/// devices after it (in the order given, or by id for every device).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Latest {
        selection: Selection,
        after: Option<DeviceId>,
    },
    Series {
        selection: Selection,
        after: Option<DeviceId>,
    },
    Aggregate {
        query: AggregateQuery,
        after: Option<DeviceId>,
    },
    History {
        query: HistoryQuery,
    },
    Scan {
        query: ScanQuery,
    },
    Properties {
        device: DeviceId,
    },
    Stats,
    /// The stream sequence the owner has applied of the partition.
    Applied,
}

/// A value, bit-exact in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WireValue {
    B(bool),
    I(i64),
    /// The f64's bits.
    F(u64),
    S(String),
}

impl From<Value> for WireValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Bool(b) => WireValue::B(b),
            Value::I64(i) => WireValue::I(i),
            Value::F64(f) => WireValue::F(f.to_bits()),
            Value::Str(s) => WireValue::S(s),
        }
    }
}

impl From<WireValue> for Value {
    fn from(v: WireValue) -> Self {
        match v {
            WireValue::B(b) => Value::Bool(b),
            WireValue::I(i) => Value::I64(i),
            WireValue::F(f) => Value::F64(f64::from_bits(f)),
            WireValue::S(s) => Value::Str(s),
        }
    }
}

/// A latest value or a history point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePoint {
    pub device: DeviceId,
    pub property: String,
    pub ts: Micros,
    pub value: WireValue,
    pub quality: Quality,
}

impl WirePoint {
    fn key(&self) -> (Micros, DeviceId, &str) {
        (self.ts, self.device, &self.property)
    }
}

impl From<LatestValue> for WirePoint {
    fn from(l: LatestValue) -> Self {
        WirePoint {
            device: l.device,
            property: l.property,
            ts: l.ts,
            value: l.value.into(),
            quality: l.quality,
        }
    }
}

impl From<WirePoint> for LatestValue {
    fn from(p: WirePoint) -> Self {
        LatestValue {
            device: p.device,
            property: p.property,
            ts: p.ts,
            value: p.value.into(),
            quality: p.quality,
        }
    }
}

impl From<HistoryPoint> for WirePoint {
    fn from(h: HistoryPoint) -> Self {
        WirePoint {
            device: h.device,
            property: h.property,
            ts: h.ts,
            value: h.value.into(),
            quality: h.quality,
        }
    }
}

impl From<WirePoint> for HistoryPoint {
    fn from(p: WirePoint) -> Self {
        HistoryPoint {
            device: p.device,
            property: p.property,
            ts: p.ts,
            value: p.value.into(),
            quality: p.quality,
        }
    }
}

/// An aggregated series: windows as (start, values).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireAggregate {
    pub device: DeviceId,
    pub property: String,
    pub windows: Vec<(Micros, Vec<Option<WireValue>>)>,
}

impl From<AggregateSeries> for WireAggregate {
    fn from(a: AggregateSeries) -> Self {
        WireAggregate {
            device: a.device,
            property: a.property,
            windows: a
                .windows
                .into_iter()
                .map(|w| {
                    (
                        w.ts,
                        w.values.into_iter().map(|v| v.map(Into::into)).collect(),
                    )
                })
                .collect(),
        }
    }
}

impl From<WireAggregate> for AggregateSeries {
    fn from(a: WireAggregate) -> Self {
        AggregateSeries {
            device: a.device,
            property: a.property,
            windows: a
                .windows
                .into_iter()
                .map(|(ts, values)| AggregateWindow {
                    ts,
                    values: values.into_iter().map(|v| v.map(Into::into)).collect(),
                })
                .collect(),
        }
    }
}

/// The answer to an [`Op`] of the same name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Latest {
        items: Vec<WirePoint>,
        more_after: Option<DeviceId>,
    },
    Series {
        items: Vec<SeriesInfo>,
        more_after: Option<DeviceId>,
    },
    Aggregate {
        items: Vec<WireAggregate>,
        more_after: Option<DeviceId>,
    },
    /// At most the query's limit of points after the cursor, in the query's order; `more`
    /// when the partition has further points.
    History {
        points: Vec<WirePoint>,
        more: bool,
    },
    Scan {
        points: Vec<(Micros, WireValue, Quality)>,
        next_from: Option<Micros>,
    },
    Properties {
        items: Vec<(String, ValueType)>,
    },
    /// `series`: the partition's series of the tenant; `store`: the figures of the node's
    /// whole store (counted once per node by the asking side).
    Stats {
        node: String,
        series: u64,
        store: StorageStats,
    },
    Applied {
        seq: Option<u64>,
    },
}

/// An error as it travels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WireError {
    Invalid {
        field: String,
        en: String,
        zh: String,
    },
    Overloaded {
        message: String,
    },
    Other {
        message: String,
    },
}

impl From<&Error> for WireError {
    fn from(e: &Error) -> Self {
        match e {
            Error::Invalid(f) => match &f.kind {
                FieldErrorKind::Other { en, zh } => WireError::Invalid {
                    field: f.field.clone(),
                    en: en.clone(),
                    zh: zh.clone(),
                },
                _ => WireError::Invalid {
                    field: f.field.clone(),
                    en: f.message(Locale::En),
                    zh: f.message(Locale::ZhCn),
                },
            },
            Error::Overloaded(m) => WireError::Overloaded {
                message: (*m).to_string(),
            },
            other => WireError::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Invalid { field, en, zh } => {
                Error::invalid(field, FieldErrorKind::Other { en, zh })
            }
            WireError::Overloaded { message } => {
                tracing::debug!(message, "a partition owner is overloaded");
                Error::Overloaded("a partition owner is overloaded; retry")
            }
            WireError::Other { message } => Error::storage("a partition owner's query", message),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Answer),
    Err(WireError),
}

/// A retention policy set on `origin`, for the other nodes.
#[derive(Debug, Serialize, Deserialize)]
struct RetentionChange {
    origin: String,
    policy: RetentionPolicy,
}

/// The serialized size of each item, and their sum.
fn sizes<T: Serialize>(items: &[T]) -> (Vec<usize>, usize) {
    let s: Vec<usize> = items
        .iter()
        .map(|i| serde_json::to_vec(i).map_or(0, |v| v.len()) + 1)
        .collect();
    let total = s.iter().sum();
    (s, total)
}

/// Shortens per-device items (grouped by device) to whole devices that fit in `limit`
/// (at least one device); returns the last device kept when some were left out.
fn cut_by_device<T: Serialize>(
    mut items: Vec<T>,
    device_of: impl Fn(&T) -> DeviceId,
    limit: usize,
) -> (Vec<T>, Option<DeviceId>) {
    let (sizes, total) = sizes(&items);
    if total <= limit {
        return (items, None);
    }
    let (mut used, mut keep, mut i) = (0usize, 0usize, 0usize);
    while i < items.len() {
        let d = device_of(&items[i]);
        let (mut j, mut s) = (i, 0usize);
        while j < items.len() && device_of(&items[j]) == d {
            s += sizes[j];
            j += 1;
        }
        if keep > 0 && used + s > limit {
            break;
        }
        used += s;
        keep = j;
        i = j;
    }
    if keep >= items.len() {
        return (items, None);
    }
    let last = device_of(&items[keep - 1]);
    items.truncate(keep);
    (items, Some(last))
}

/// How many leading items fit in `limit` (at least one).
fn fitting<T: Serialize>(items: &[T], limit: usize) -> usize {
    let (sizes, total) = sizes(items);
    if total <= limit {
        return items.len();
    }
    let mut used = 0usize;
    let mut n = 0usize;
    for s in sizes {
        if n > 0 && used + s > limit {
            break;
        }
        used += s;
        n += 1;
    }
    n
}

/// Answers queries for the partitions this node owns, from its local store.
#[derive(Debug, Clone)]
pub struct QueryServer {
    node: Arc<ClusterNode>,
    store: Arc<dyn TelemetryStore>,
}

/// Stands for "no device" in a query that must still check its parameters: no real
/// device has the nil id (ids are v7 UUIDs).
fn no_device() -> DeviceId {
    DeviceId(uuid::Uuid::nil())
}

impl QueryServer {
    pub fn new(node: Arc<ClusterNode>, store: Arc<dyn TelemetryStore>) -> QueryServer {
        QueryServer { node, store }
    }

    /// The devices of partition `p` a selection names, after `after`: the given ones of
    /// the partition in their order (once each), or every device of the partition the
    /// store has (it may also hold partitions it owned before) by id.
    async fn devices(
        &self,
        tenant: TenantId,
        p: u32,
        given: &[DeviceId],
        after: Option<DeviceId>,
    ) -> Result<Vec<DeviceId>, Error> {
        let partitions = self.node.partitions();
        let mut list: Vec<DeviceId> = if given.is_empty() {
            let all = self.store.series(tenant, Selection::default()).await?;
            let mut d: Vec<DeviceId> = all
                .iter()
                .map(|s| s.device)
                .filter(|d| partition_of(*d, partitions) == p)
                .collect();
            d.sort();
            d.dedup();
            d
        } else {
            let mut seen = HashSet::new();
            given
                .iter()
                .copied()
                .filter(|d| partition_of(*d, partitions) == p && seen.insert(*d))
                .collect()
        };
        if let Some(a) = after
            && let Some(i) = list.iter().position(|d| *d == a)
        {
            list.drain(..=i);
        }
        Ok(list)
    }

    /// Answers one request for partition `p` (the caller checked that this node owns it).
    pub async fn answer(&self, tenant: TenantId, p: u32, op: Op) -> Result<Answer, Error> {
        Ok(match op {
            Op::Latest { selection, after } => {
                let devices = self.devices(tenant, p, &selection.devices, after).await?;
                let items = if devices.is_empty() {
                    Vec::new()
                } else {
                    let sel = Selection {
                        devices,
                        properties: selection.properties,
                    };
                    let latest = self.store.latest(tenant, sel).await?;
                    latest.into_iter().map(WirePoint::from).collect()
                };
                let (items, more_after) = cut_by_device(items, |i| i.device, ITEMS_LIMIT);
                Answer::Latest { items, more_after }
            }
            Op::Series { selection, after } => {
                let devices = self.devices(tenant, p, &selection.devices, after).await?;
                let items = if devices.is_empty() {
                    Vec::new()
                } else {
                    let sel = Selection {
                        devices,
                        properties: selection.properties,
                    };
                    self.store.series(tenant, sel).await?
                };
                let (items, more_after) = cut_by_device(items, |i| i.device, ITEMS_LIMIT);
                Answer::Series { items, more_after }
            }
            Op::Aggregate { mut query, after } => {
                let mut devices = self
                    .devices(tenant, p, &query.selection.devices, after)
                    .await?;
                if devices.is_empty() {
                    // The engine still checks the query.
                    devices.push(no_device());
                }
                query.selection.devices = devices;
                let series = self.store.aggregate(tenant, query).await?;
                let items = series.into_iter().map(WireAggregate::from).collect();
                let (items, more_after) = cut_by_device(items, |i| i.device, ITEMS_LIMIT);
                Answer::Aggregate { items, more_after }
            }
            Op::History { mut query } => {
                let mut devices = self
                    .devices(tenant, p, &query.selection.devices, None)
                    .await?;
                if devices.is_empty() {
                    devices.push(no_device());
                }
                query.selection.devices = devices;
                let page = self.store.history(tenant, query).await?;
                let mut more = page.next_cursor.is_some();
                let mut points: Vec<WirePoint> =
                    page.points.into_iter().map(WirePoint::from).collect();
                let n = fitting(&points, ITEMS_LIMIT);
                if n < points.len() {
                    points.truncate(n);
                    more = true;
                }
                Answer::History { points, more }
            }
            Op::Scan { query } => {
                let slice = self.store.scan(tenant, query).await?;
                let mut next_from = slice.next_from;
                let mut points: Vec<(Micros, WireValue, Quality)> = slice
                    .points
                    .into_iter()
                    .map(|t| (t.ts, t.value.into(), t.quality))
                    .collect();
                let n = fitting(&points, ITEMS_LIMIT);
                if n < points.len() {
                    next_from = Some(points[n].0);
                    points.truncate(n);
                }
                Answer::Scan { points, next_from }
            }
            Op::Properties { device } => Answer::Properties {
                items: self.store.properties(tenant, device).await?,
            },
            Op::Stats => {
                let partitions = self.node.partitions();
                let all = self.store.series(tenant, Selection::default()).await?;
                let series = all
                    .iter()
                    .filter(|s| partition_of(s.device, partitions) == p)
                    .count() as u64;
                Answer::Stats {
                    node: self.node.name().to_string(),
                    series,
                    store: self.store.stats(tenant).await?,
                }
            }
            Op::Applied => Answer::Applied {
                seq: self.node.applied(p),
            },
        })
    }

    /// Serves `il.q.*` and `il.ctl.retention` until `shutdown`.
    async fn serve(
        self,
        client: async_nats::Client,
        mut queries: async_nats::Subscriber,
        mut control: async_nats::Subscriber,
        shutdown: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                m = queries.next() => match m {
                    Some(m) => self.on_query(&client, m),
                    None => break,
                },
                m = control.next() => match m {
                    Some(m) => self.on_control(m).await,
                    None => break,
                },
            }
        }
    }

    fn on_query(&self, client: &async_nats::Client, m: async_nats::Message) {
        let Some(p) = m
            .subject
            .as_str()
            .strip_prefix("il.q.")
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return;
        };
        // Only the owner answers; the others stay silent.
        if !self.node.owns(p) {
            return;
        }
        let Some(reply) = m.reply.clone() else {
            return;
        };
        let this = self.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let _ = client.publish(reply.clone(), Bytes::new()).await;
            let answer = match serde_json::from_slice::<Request>(&m.payload) {
                Ok(r) if r.partition == p => this.answer(r.tenant, p, r.op).await,
                Ok(_) => Err(Error::storage(
                    "a cluster query",
                    "partition and subject differ",
                )),
                Err(e) => Err(Error::storage("decode a cluster query", e)),
            };
            let reply_body = match answer {
                Ok(a) => Reply::Ok(a),
                Err(e) => Reply::Err(WireError::from(&e)),
            };
            match serde_json::to_vec(&reply_body) {
                Ok(body) => {
                    if let Err(e) = client.publish(reply, body.into()).await {
                        tracing::warn!(partition = p, error = %e, "cannot send a query reply");
                    }
                }
                Err(e) => tracing::error!(partition = p, error = %e, "cannot encode a query reply"),
            }
        });
    }

    async fn on_control(&self, m: async_nats::Message) {
        match serde_json::from_slice::<RetentionChange>(&m.payload) {
            Ok(c) if c.origin == self.node.name() => {}
            Ok(c) => {
                if let Err(e) = self.store.set_retention(c.policy).await {
                    tracing::warn!(error = %e, "cannot apply a retention policy set on another node");
                }
            }
            Err(e) => tracing::warn!(error = %e, "undecodable retention change"),
        }
    }
}

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
    /// Starts this node's query server (answering for its partitions) and returns the
    /// store the platform uses. `store` is the node's local store, the one its
    /// materialisers write into.
    pub async fn start(
        parts: &NodeParts,
        store: Arc<dyn TelemetryStore>,
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
        let server = QueryServer::new(node.clone(), store);
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
        self.client
            .publish_with_reply(query_subject(p), inbox, body.into())
            .await
            .map_err(transport)?;
        let first = match tokio::time::timeout(ACCEPT_WAIT, sub.next()).await {
            // No query server at all: the server says so at once.
            Ok(Some(m)) if m.status == Some(async_nats::StatusCode::NO_RESPONDERS) => {
                return Err(self.no_owner(p));
            }
            Ok(Some(m)) => m,
            // Servers that do not own the partition stay silent.
            Ok(None) | Err(_) => return Err(self.no_owner(p)),
        };
        let m = if first.payload.is_empty() {
            match tokio::time::timeout(ANSWER_WAIT, sub.next()).await {
                Ok(Some(m)) => m,
                Ok(None) => return Err(transport("the reply subscription ended")),
                Err(_) => return Err(transport(format!("partition {p} did not answer in time"))),
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

    async fn write_staged(
        &self,
        tenant: TenantId,
        batch: Vec<DeviceBatch>,
    ) -> Result<(WriteOutcome, Durable), Error> {
        let outcome = self.write(tenant, batch).await?;
        Ok((outcome, Box::pin(std::future::ready(Ok(())))))
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
        let mut nodes = HashSet::new();
        for (node, series, store) in answers {
            out.series += series;
            // A node's store is counted once, however many partitions it owns.
            if nodes.insert(node) {
                out.points += store.points;
                out.bytes += store.bytes;
                out.unflushed_points += store.unflushed_points;
                out.wal_bytes += store.wal_bytes;
            }
        }
        Ok(out)
    }

    async fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>, Error> {
        self.server.store.retention(tenant).await
    }

    async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error> {
        self.server.store.set_retention(policy.clone()).await?;
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
