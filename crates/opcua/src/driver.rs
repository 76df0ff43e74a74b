//! The client driver: one session to one server, subscriptions for `subscribe` nodes and
//! cyclic Reads for `poll` nodes, writes with the value before and after, and our own
//! reconnection with exponential back-off.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ironloom_drivers::model::Value;
use ironloom_drivers::{DriverError, DriverIo, DriverStats, Sample, WriteDone, WriteRequest};
use opcua::client::{Client, MonitoredItemMap, OnSubscriptionNotificationCore, Session};
use opcua::types::{
    AttributeId, DataChangeFilter, DataChangeNotification, DataChangeTrigger, DataValue,
    DeadbandType, ExtensionObject, MonitoredItemCreateRequest, MonitoringMode,
    MonitoringParameters, NodeId, NotificationMessage, ReadValueId, StatusChangeNotification,
    TimestampsToReturn, Variant, WriteValue,
};
use tokio::sync::mpsc;
use tokio::time::sleep_until;
use tracing::{debug, info, warn};

use crate::config::{Deadband, Mode, NodeConfig, OpcUaConfig, parse_node_id};
use crate::convert::{
    builtin_type, now_ms, sample_from, status_name, value_to_variant, variant_to_value,
};
use crate::error::OpcUaError;
use crate::session::{Connected, LoopEvent, build_client, classify, connect};

/// Runs one OPC UA connection until `io.cancel` fires (or nobody takes its samples any
/// more). Fails only when the configuration is invalid or the client cannot be set up;
/// everything that goes wrong with the server is reported through samples, write answers
/// and `io.stats`, and retried.
pub async fn run(config: OpcUaConfig, io: DriverIo) -> Result<(), OpcUaError> {
    config.validate().map_err(OpcUaError::InvalidConfig)?;
    let client = build_client(&config)?;
    let points = config
        .nodes
        .iter()
        .map(Point::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(OpcUaError::InvalidConfig)?;
    let by_name = points
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.device.clone(), p.point.clone()), i))
        .collect();
    let DriverIo {
        samples,
        writes,
        stats,
        cancel,
    } = io;
    let mut driver = Driver {
        timeout: Duration::from_millis(config.timeout_ms),
        cfg: config,
        client,
        points: Arc::new(points),
        by_name,
        samples,
        writes: Some(writes),
        stats,
        cancel,
    };
    driver.run().await;
    Ok(())
}

#[derive(Debug)]
struct Point {
    device: Arc<str>,
    point: Arc<str>,
    node_id: NodeId,
    cfg: NodeConfig,
}

impl Point {
    fn new(n: &NodeConfig) -> Result<Point, String> {
        Ok(Point {
            device: n.device.as_str().into(),
            point: n.point.as_str().into(),
            node_id: parse_node_id(&n.node_id)?,
            cfg: n.clone(),
        })
    }
}

struct Driver {
    cfg: OpcUaConfig,
    timeout: Duration,
    client: Client,
    points: Arc<Vec<Point>>,
    by_name: HashMap<(Arc<str>, Arc<str>), usize>,
    samples: mpsc::Sender<Vec<Sample>>,
    /// `None` once the sender side is gone: then no write can come any more.
    writes: Option<mpsc::Receiver<WriteRequest>>,
    stats: Arc<DriverStats>,
    cancel: tokio_util::sync::CancellationToken,
}

/// How a connected period ended.
enum Ended {
    /// Cancelled, or nobody takes samples any more: stop.
    Stop,
    /// The connection or session was lost: why.
    Lost(String),
}

/// What the subscription callbacks hand to the driver loop.
enum Notice {
    Samples(Vec<Sample>),
    /// The server ended a subscription (StatusChangeNotification).
    SubscriptionEnded(String),
}

impl Driver {
    async fn run(&mut self) {
        let min = Duration::from_millis(self.cfg.reconnect.min_ms);
        let max = Duration::from_millis(self.cfg.reconnect.max_ms);
        let mut backoff = min;
        let mut down_reported = false;
        loop {
            let reason = match self.connect_answering_writes().await {
                None => return,
                Some(Ok(conn)) => {
                    self.stats.connects.fetch_add(1, Ordering::Relaxed);
                    info!(endpoint = %self.cfg.endpoint, "OPC UA session open");
                    backoff = min;
                    down_reported = false;
                    match self.serve(conn).await {
                        Ended::Stop => return,
                        Ended::Lost(why) => {
                            warn!(endpoint = %self.cfg.endpoint, error = %why, "OPC UA session lost");
                            why
                        }
                    }
                }
                Some(Err(e)) => {
                    self.stats.failed(&e);
                    debug!(endpoint = %self.cfg.endpoint, error = %e, "OPC UA connect failed");
                    e.to_string()
                }
            };
            if !down_reported {
                down_reported = true;
                let ts = now_ms();
                let why: Arc<str> = format!("not connected: {reason}").into();
                let batch = self
                    .points
                    .iter()
                    .map(|p| Sample::bad(&p.device, &p.point, ts, why.clone()))
                    .collect();
                if self.samples.send(batch).await.is_err() {
                    return;
                }
            }
            if !self.wait_answering_writes(backoff).await {
                return;
            }
            backoff = (backoff * 2).min(max);
        }
    }

    /// Connects, answering writes that arrive meanwhile with `NotConnected`. `None` when
    /// cancelled.
    async fn connect_answering_writes(&mut self) -> Option<Result<Connected, DriverError>> {
        let attempt = connect(&mut self.client, &self.cfg);
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return None,
                r = &mut attempt => return Some(r),
                w = recv_write(&mut self.writes) => refuse_not_connected(w, &mut self.writes),
            }
        }
    }

    /// Waits `d`, answering writes with `NotConnected`; `false` when cancelled.
    async fn wait_answering_writes(&mut self, d: Duration) -> bool {
        let until = tokio::time::Instant::now() + d;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => return false,
                _ = sleep_until(until) => return true,
                w = recv_write(&mut self.writes) => refuse_not_connected(w, &mut self.writes),
            }
        }
    }

    async fn serve(&mut self, mut conn: Connected) -> Ended {
        let session = conn.session.clone();
        let (tx, mut notices) = mpsc::unbounded_channel();
        // `tx` stays here so the channel stays open without any subscription.
        let failed_items = match self.subscribe(&session, &tx).await {
            Ok(bad) => bad,
            Err(e) => return Ended::Lost(format!("cannot subscribe: {e}")),
        };
        if !failed_items.is_empty() && self.samples.send(failed_items).await.is_err() {
            return Ended::Stop;
        }

        let mut polls = self.poll_groups();
        loop {
            let next_poll = polls.iter().map(|g| g.due).min();
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    conn.close(self.timeout).await;
                    return Ended::Stop;
                }
                ev = conn.events.recv() => match ev {
                    Some(LoopEvent::Up) => {}
                    Some(LoopEvent::Down(why)) => return Ended::Lost(why),
                    None => return Ended::Lost("session event loop ended".into()),
                },
                n = notices.recv() => match n {
                    Some(Notice::Samples(batch)) => {
                        let n = batch.iter().filter(|s| s.value.is_some()).count();
                        self.stats.points_read.fetch_add(n as u64, Ordering::Relaxed);
                        if self.samples.send(batch).await.is_err() {
                            return Ended::Stop;
                        }
                    }
                    Some(Notice::SubscriptionEnded(why)) => {
                        // The connection itself is fine: leave the session politely.
                        conn.close(self.timeout).await;
                        return Ended::Lost(why);
                    }
                    // The callbacks live as long as the session.
                    None => return Ended::Lost("subscription closed".into()),
                },
                w = recv_write(&mut self.writes) => match w {
                    Some(req) => {
                        let result = self.write(&session, &req).await;
                        if result.is_ok() {
                            self.stats.writes.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = req.reply.send(result);
                    }
                    None => self.writes = None,
                },
                _ = sleep_until(next_poll.unwrap_or_else(far_future)), if next_poll.is_some() => {
                    let now = tokio::time::Instant::now();
                    for g in polls.iter_mut().filter(|g| g.due <= now) {
                        g.due = (g.due + g.every).max(now);
                        let batch = self.poll(&session, &g.points).await;
                        if self.samples.send(batch).await.is_err() {
                            return Ended::Stop;
                        }
                    }
                }
            }
        }
    }

    /// One subscription per publishing interval with a monitored item per `subscribe`
    /// node; returns bad samples for the items the server refused.
    async fn subscribe(
        &self,
        session: &Session,
        tx: &mpsc::UnboundedSender<Notice>,
    ) -> Result<Vec<Sample>, DriverError> {
        let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, p) in self.points.iter().enumerate() {
            if p.cfg.mode == Mode::Subscribe {
                let every = p
                    .cfg
                    .publishing_interval_ms
                    .unwrap_or(self.cfg.publishing_interval_ms);
                groups.entry(every).or_default().push(i);
            }
        }
        let mut refused = Vec::new();
        for (every, idxs) in groups {
            let callback = Notifier {
                points: self.points.clone(),
                tx: tx.clone(),
            };
            let t0 = Instant::now();
            let id = self
                .timed(session.create_subscription(
                    Duration::from_millis(every),
                    30,
                    10,
                    0,
                    0,
                    true,
                    callback,
                ))
                .await?;
            self.stats.ok(t0.elapsed());
            let items = idxs
                .iter()
                .map(|&i| {
                    let p = &self.points[i];
                    MonitoredItemCreateRequest::new(
                        p.node_id.clone().into(),
                        MonitoringMode::Reporting,
                        MonitoringParameters {
                            // Handles are point indexes + 1 (0 asks the library to choose).
                            client_handle: i as u32 + 1,
                            sampling_interval: p.cfg.sampling_interval_ms as f64,
                            filter: deadband_filter(p.cfg.deadband),
                            queue_size: 10,
                            discard_oldest: true,
                        },
                    )
                })
                .collect();
            let t0 = Instant::now();
            let results = self
                .timed(session.create_monitored_items(id, TimestampsToReturn::Both, items))
                .await?;
            self.stats.ok(t0.elapsed());
            let ts = now_ms();
            for (r, &i) in results.iter().zip(&idxs) {
                let status = r.result.status_code;
                if status.is_bad() {
                    let p = &self.points[i];
                    warn!(node_id = %p.node_id, status = %status_name(status), "monitored item refused");
                    refused.push(Sample::bad(
                        &p.device,
                        &p.point,
                        ts,
                        status_name(status).into(),
                    ));
                }
            }
        }
        Ok(refused)
    }

    fn poll_groups(&self) -> Vec<PollGroup> {
        let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, p) in self.points.iter().enumerate() {
            if p.cfg.mode == Mode::Poll {
                groups
                    .entry(p.cfg.sampling_interval_ms)
                    .or_default()
                    .push(i);
            }
        }
        let now = tokio::time::Instant::now();
        groups
            .into_iter()
            .map(|(ms, points)| PollGroup {
                every: Duration::from_millis(ms),
                due: now,
                points,
            })
            .collect()
    }

    /// One Read of a poll group: a sample per point, bad ones with the reason when the
    /// whole request failed.
    async fn poll(&self, session: &Session, idxs: &[usize]) -> Vec<Sample> {
        let ids: Vec<ReadValueId> = idxs
            .iter()
            .map(|&i| self.points[i].node_id.clone().into())
            .collect();
        let t0 = Instant::now();
        let result = self
            .timed(session.read(&ids, TimestampsToReturn::Both, 0.0))
            .await;
        let now = now_ms();
        match result {
            Ok(values) if values.len() == idxs.len() => {
                self.stats.ok(t0.elapsed());
                let batch: Vec<Sample> = idxs
                    .iter()
                    .zip(&values)
                    .map(|(&i, dv)| {
                        let p = &self.points[i];
                        sample_from(&p.device, &p.point, dv, now)
                    })
                    .collect();
                let n = batch.iter().filter(|s| s.value.is_some()).count();
                self.stats
                    .points_read
                    .fetch_add(n as u64, Ordering::Relaxed);
                batch
            }
            other => {
                let e = match other {
                    Err(e) => e,
                    Ok(v) => DriverError::Malformed(format!(
                        "{} results for {} nodes",
                        v.len(),
                        idxs.len()
                    )),
                };
                self.stats.failed(&e);
                let why: Arc<str> = e.to_string().into();
                idxs.iter()
                    .map(|&i| {
                        let p = &self.points[i];
                        Sample::bad(&p.device, &p.point, now, why.clone())
                    })
                    .collect()
            }
        }
    }

    /// Reads the old value and the data type, writes the value converted to that type,
    /// reads back the new value.
    async fn write(&self, session: &Session, req: &WriteRequest) -> Result<WriteDone, DriverError> {
        let Some(&i) = self.by_name.get(&(req.device.clone(), req.point.clone())) else {
            return Err(DriverError::Invalid(format!(
                "no OPC UA node is configured for {}/{}",
                req.device, req.point
            )));
        };
        let p = &self.points[i];
        if !p.cfg.writable {
            return Err(DriverError::Invalid(format!(
                "{}/{} is not writable",
                req.device, req.point
            )));
        }
        ironloom_drivers::model::check_range(&req.value, p.cfg.min, p.cfg.max)?;
        let before = self
            .read(
                session,
                vec![
                    p.node_id.clone().into(),
                    attribute(&p.node_id, AttributeId::DataType),
                ],
            )
            .await?;
        let (old_dv, type_dv) = match before.as_slice() {
            [a, b] => (a, b),
            _ => {
                return Err(DriverError::Malformed(
                    "read answered the wrong count".into(),
                ));
            }
        };
        if type_dv.status().is_bad() {
            return Err(DriverError::Refused(status_name(type_dv.status())));
        }
        let old = readable(old_dv);
        let declared = match &type_dv.value {
            Some(Variant::NodeId(id)) => builtin_type(id),
            _ => None,
        };
        // A subtype we do not know (an enumeration, a server's own alias): write what the
        // node holds now.
        let target = declared
            .or_else(|| old_dv.value.as_ref().and_then(Variant::scalar_type_id))
            .ok_or_else(|| {
                DriverError::Invalid(format!(
                    "cannot tell the data type of {} to write it",
                    p.node_id
                ))
            })?;
        let variant = value_to_variant(&req.value, target).map_err(DriverError::Invalid)?;
        let written = variant_to_value(&variant).unwrap_or_else(|_| req.value.clone());
        let wv = WriteValue {
            node_id: p.node_id.clone(),
            attribute_id: AttributeId::Value as u32,
            index_range: Default::default(),
            value: DataValue::value_only(variant),
        };
        let t0 = Instant::now();
        let statuses = match self.timed(session.write(&[wv])).await {
            Ok(s) => s,
            Err(e) => {
                self.stats.failed(&e);
                return Err(e);
            }
        };
        let status = statuses.first().copied().unwrap_or_default();
        if status.is_bad() {
            let e = DriverError::Refused(status_name(status));
            self.stats.failed(&e);
            return Err(e);
        }
        self.stats.ok(t0.elapsed());
        let after = self.read(session, vec![p.node_id.clone().into()]).await;
        let new = after
            .ok()
            .and_then(|v| v.first().and_then(readable))
            .unwrap_or(written);
        info!(device = %req.device, point = %req.point, node_id = %p.node_id, "OPC UA write done");
        Ok(WriteDone { old, new })
    }

    async fn read(
        &self,
        session: &Session,
        ids: Vec<ReadValueId>,
    ) -> Result<Vec<DataValue>, DriverError> {
        let t0 = Instant::now();
        match self
            .timed(session.read(&ids, TimestampsToReturn::Both, 0.0))
            .await
        {
            Ok(v) => {
                self.stats.ok(t0.elapsed());
                Ok(v)
            }
            Err(e) => {
                self.stats.failed(&e);
                Err(e)
            }
        }
    }

    /// A request bounded by the configured timeout, its failure classified.
    async fn timed<T>(
        &self,
        fut: impl Future<Output = Result<T, opcua::types::Error>>,
    ) -> Result<T, DriverError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(DriverError::Timeout(self.timeout)),
            Ok(Err(e)) => Err(classify(e.status(), &e.to_string(), self.timeout)),
            Ok(Ok(v)) => Ok(v),
        }
    }
}

struct PollGroup {
    every: Duration,
    due: tokio::time::Instant,
    points: Vec<usize>,
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}

/// The next write request; pending forever once the senders are gone.
async fn recv_write(writes: &mut Option<mpsc::Receiver<WriteRequest>>) -> Option<WriteRequest> {
    match writes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn refuse_not_connected(
    w: Option<WriteRequest>,
    writes: &mut Option<mpsc::Receiver<WriteRequest>>,
) {
    match w {
        Some(req) => {
            let _ = req.reply.send(Err(DriverError::NotConnected));
        }
        None => *writes = None,
    }
}

fn attribute(node_id: &NodeId, a: AttributeId) -> ReadValueId {
    ReadValueId {
        node_id: node_id.clone(),
        attribute_id: a as u32,
        index_range: Default::default(),
        data_encoding: Default::default(),
    }
}

/// The value of a DataValue that is not bad and of a type we convert.
fn readable(dv: &DataValue) -> Option<Value> {
    if dv.status().is_bad() {
        return None;
    }
    dv.value.as_ref().and_then(|v| variant_to_value(v).ok())
}

fn deadband_filter(d: Option<Deadband>) -> ExtensionObject {
    let (deadband_type, deadband_value) = match d {
        None => return ExtensionObject::null(),
        Some(Deadband::Absolute(v)) => (DeadbandType::Absolute, v),
        Some(Deadband::Percent(v)) => (DeadbandType::Percent, v),
    };
    ExtensionObject::from_message(DataChangeFilter {
        trigger: DataChangeTrigger::StatusValue,
        deadband_type: deadband_type as u32,
        deadband_value,
    })
}

/// Turns a subscription's notifications into sample batches for the driver loop (the
/// library calls it synchronously, so it only converts and hands over).
struct Notifier {
    points: Arc<Vec<Point>>,
    tx: mpsc::UnboundedSender<Notice>,
}

impl OnSubscriptionNotificationCore for Notifier {
    fn on_subscription_notification(
        &mut self,
        notification: NotificationMessage,
        _items: MonitoredItemMap<'_>,
    ) {
        let now = now_ms();
        let mut batch = Vec::new();
        for obj in notification.notification_data.into_iter().flatten() {
            if let Some(change) = obj.inner_as::<DataChangeNotification>() {
                for n in change.monitored_items.iter().flatten() {
                    let Some(p) = (n.client_handle as usize)
                        .checked_sub(1)
                        .and_then(|i| self.points.get(i))
                    else {
                        continue;
                    };
                    batch.push(sample_from(&p.device, &p.point, &n.value, now));
                }
            } else if let Some(s) = obj.inner_as::<StatusChangeNotification>() {
                let _ = self.tx.send(Notice::SubscriptionEnded(format!(
                    "subscription ended: {}",
                    status_name(s.status)
                )));
            }
        }
        if !batch.is_empty() {
            let _ = self.tx.send(Notice::Samples(batch));
        }
    }
}
