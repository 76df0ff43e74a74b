//! The owner's side: answers the queries of the partitions this node owns from their
//! engines.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use tokio_util::sync::CancellationToken;

use crate::node::ClusterNode;
use crate::partition::partition_of;

use super::*;

/// Answers queries for the partitions this node owns, from their engines.
#[derive(Debug, Clone)]
pub struct QueryServer {
    pub(crate) node: Arc<ClusterNode>,
    /// "partition p is being loaded", one per partition (the error holds a static text).
    loading: Arc<Vec<&'static str>>,
}

/// Stands for "no device" in a query that must still check its parameters: no real
/// device has the nil id (ids are v7 UUIDs).
fn no_device() -> DeviceId {
    DeviceId(uuid::Uuid::nil())
}

impl QueryServer {
    pub fn new(node: Arc<ClusterNode>) -> QueryServer {
        let loading = (0..node.partitions())
            .map(|p| &*Box::leak(format!("partition {p} is being loaded").into_boxed_str()))
            .collect();
        QueryServer {
            node,
            loading: Arc::new(loading),
        }
    }

    /// Partition `p`'s engine (503 while it is being restored).
    fn store(&self, p: u32) -> Result<Arc<dyn TelemetryStore>, Error> {
        let engine = self.node.engine(p).ok_or_else(|| {
            Error::Overloaded(
                self.loading
                    .get(p as usize)
                    .copied()
                    .unwrap_or("the partition is being loaded"),
            )
        })?;
        Ok(Arc::new(engine))
    }

    /// The devices of partition `p` a selection names, after `after`: the given ones of
    /// the partition in their order (once each), or every device of the partition's
    /// engine by id.
    pub(crate) async fn devices(
        &self,
        tenant: TenantId,
        p: u32,
        given: &[DeviceId],
        after: Option<DeviceId>,
    ) -> Result<Vec<DeviceId>, Error> {
        let partitions = self.node.partitions();
        let mut list: Vec<DeviceId> = if given.is_empty() {
            let all = self.store(p)?.series(tenant, Selection::default()).await?;
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
        let store = self.store(p)?;
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
                    let latest = store.latest(tenant, sel).await?;
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
                    store.series(tenant, sel).await?
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
                let series = store.aggregate(tenant, query).await?;
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
                let page = store.history(tenant, query).await?;
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
                let slice = store.scan(tenant, query).await?;
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
                items: store.properties(tenant, device).await?,
            },
            Op::Stats => {
                let partitions = self.node.partitions();
                let all = store.series(tenant, Selection::default()).await?;
                let series = all
                    .iter()
                    .filter(|s| partition_of(s.device, partitions) == p)
                    .count() as u64;
                Answer::Stats {
                    node: self.node.name().to_string(),
                    series,
                    store: store.stats(tenant).await?,
                }
            }
            Op::Applied => Answer::Applied {
                seq: self.node.applied(p),
            },
        })
    }

    /// Serves `il.q.*` and `il.ctl.retention` until `shutdown`.
    pub(crate) async fn serve(
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

    pub(crate) fn on_query(&self, client: &async_nats::Client, m: async_nats::Message) {
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

    pub(crate) async fn on_control(&self, m: async_nats::Message) {
        match serde_json::from_slice::<RetentionChange>(&m.payload) {
            Ok(c) if c.origin == self.node.name() => {}
            Ok(c) => {
                if let Err(e) = self.node.engines().set_retention(c.policy).await {
                    tracing::warn!(error = %e, "cannot apply a retention policy set on another node");
                }
            }
            Err(e) => tracing::warn!(error = %e, "undecodable retention change"),
        }
    }
}
