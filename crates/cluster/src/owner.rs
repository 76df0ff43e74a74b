//! The partition owner's materialiser (design §2.5): reads a partition's records in
//! stream order, writes their points into the owner's store, and announces them on the
//! owner's in-process bus, so rules, apps and bindings run where the data is.
//!
//! The node (`node.rs`) starts one per owned partition, writing into the partition's
//! engine from the position restored for it, under the partition's lease. Applying is
//! idempotent (points are keyed by series and time), so a record applied twice (after a
//! restart, or beyond a seal) leaves the store as it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use ironloom_bus::EventBus;
use ironloom_core::device::{DeviceEvent, DeviceEventKind, LogPos};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, TelemetryStore};
use tokio_util::sync::CancellationToken;

use crate::nats::stream_name;
use crate::partition::shard_of;
use crate::record::{self, Item, Record};

/// Records applied in one store write at most.
const BATCH: usize = 256;

/// What a partition's materialiser has done, for health and tests.
#[derive(Debug, Default)]
pub struct Progress {
    /// The stream sequence of the last record applied (0: none yet).
    pub applied: AtomicU64,
    /// Records that could not be decoded (skipped, logged).
    pub undecodable: AtomicU64,
    /// Points the store refused on the owner (type conflicts with stored series).
    pub refused: AtomicU64,
    /// Until when the partition's lease lets this node apply (the lease's local deadline;
    /// none: no lease, as in tests of the materialiser alone). Checked before every
    /// write: a node that was paused past it applies nothing more, whatever it had
    /// fetched, before its lease loop notices and stops the materialiser.
    pub valid_until: std::sync::Mutex<Option<std::time::Instant>>,
    /// Chunks not applied because the lease's deadline had passed.
    pub fenced: AtomicU64,
    /// Records of the partition still to apply after the last one applied (lag).
    pub pending: AtomicU64,
    /// Records up to this sequence were announced by an earlier owner: they are applied
    /// to the store (a new owner rebuilds it) but not announced again, so rules do not
    /// raise an alarm twice for what an earlier owner's rules already saw.
    pub announced_before: AtomicU64,
    /// Records taken from the stream (applied or skipped), for the unsealed count.
    pub records: AtomicU64,
}

impl Progress {
    /// A materialiser's progress before it starts: under a lease until `deadline`, quiet
    /// up to `announced_before`.
    pub fn new(deadline: Option<std::time::Instant>, announced_before: u64) -> Arc<Progress> {
        Arc::new(Progress {
            valid_until: std::sync::Mutex::new(deadline),
            announced_before: AtomicU64::new(announced_before),
            ..Progress::default()
        })
    }

    fn may_apply(&self) -> bool {
        match *ironloom_core::sync::lock(&self.valid_until) {
            Some(deadline) => std::time::Instant::now() < deadline,
            None => true,
        }
    }
}

/// After this long without a record, the materialiser asks whether its consumer still
/// has records to deliver.
const IDLE_CHECK: Duration = Duration::from_secs(5);
/// How long that question may take.
const CHECK_WAIT: Duration = Duration::from_secs(2);

/// Applies one partition's records until `cancel` fires.
#[derive(Debug, Clone)]
pub struct Materializer {
    pub js: jetstream::Context,
    pub shards: u32,
    /// The cluster's log identity ([`ClusterRecord::log_id`](crate::nats::ClusterRecord::log_id)),
    /// carried in every announced position.
    pub log: u64,
    pub store: Arc<dyn TelemetryStore>,
    pub bus: Arc<dyn EventBus>,
}

impl Materializer {
    /// Starts applying partition `p` from stream sequence `from` (1: the beginning), on
    /// the current runtime. The task re-creates its consumer after errors.
    pub fn start(
        &self,
        p: u32,
        from: u64,
        cancel: CancellationToken,
    ) -> (Arc<Progress>, tokio::task::JoinHandle<()>) {
        self.start_until(p, from, None, 0, cancel)
    }

    /// [`start`](Self::start) under a lease: nothing is applied after `deadline` (moved on
    /// through [`Progress::valid_until`] as the lease is renewed), and records up to
    /// `announced_before` are applied without being announced.
    pub fn start_until(
        &self,
        p: u32,
        from: u64,
        deadline: Option<std::time::Instant>,
        announced_before: u64,
        cancel: CancellationToken,
    ) -> (Arc<Progress>, tokio::task::JoinHandle<()>) {
        let progress = Progress::new(deadline, announced_before);
        progress
            .applied
            .store(from.saturating_sub(1), Ordering::Relaxed);
        let this = self.clone();
        let pr = progress.clone();
        let task = tokio::spawn(async move { this.apply_until(p, &pr, &cancel).await });
        (progress, task)
    }

    /// Applies partition `p` after `progress.applied` until `cancel` fires (or the
    /// lease's deadline passes), re-creating the consumer after errors.
    pub async fn apply_until(&self, p: u32, progress: &Progress, cancel: &CancellationToken) {
        while !cancel.is_cancelled() {
            let next = progress.applied.load(Ordering::Relaxed) + 1;
            match self.run(p, next, progress, cancel).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(partition = p, error = %e, "partition consumer failed; starting again");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
            }
        }
    }

    async fn run(
        &self,
        p: u32,
        from: u64,
        progress: &Progress,
        cancel: &CancellationToken,
    ) -> Result<(), async_nats::Error> {
        let stream = self
            .js
            .get_stream(stream_name(shard_of(p, self.shards)))
            .await?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: format!("il.in.{p}.*"),
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: from.max(1),
                },
                max_batch: BATCH as i64,
                ..Default::default()
            })
            .await?;
        let name = consumer.cached_info().name.clone();
        let mut messages = consumer.messages().await?.ready_chunks(BATCH);
        loop {
            let chunk = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                c = tokio::time::timeout(IDLE_CHECK, messages.next()) => match c {
                    Ok(Some(c)) => c,
                    Ok(None) => return Err("the partition's consumer ended".into()),
                    // Quiet for a while: fine when nothing is pending. A consumer whose
                    // server went away delivers nothing and the client notices only after
                    // two missed heartbeats of 15 s, and then not always: it is made again.
                    Err(_) => match tokio::time::timeout(
                        CHECK_WAIT,
                        stream.consumer_info(&name),
                    )
                    .await
                    {
                        Ok(Ok(info)) if info.num_pending == 0 => continue,
                        Ok(Ok(info)) => {
                            return Err(format!(
                                "{} records pending, none delivered for {IDLE_CHECK:?}",
                                info.num_pending
                            )
                            .into());
                        }
                        Ok(Err(e)) => return Err(format!("the consumer is gone: {e}").into()),
                        Err(_) => return Err("the consumer's server does not answer".into()),
                    },
                },
            };
            let mut records = Vec::with_capacity(chunk.len());
            let mut last = None;
            let mut pending = 0;
            for m in chunk {
                let m = m?;
                let info = m.info()?;
                let seq = info.stream_sequence;
                pending = info.pending;
                match record::decode(&m.payload) {
                    Ok(r) => records.push((seq, r)),
                    Err(e) => {
                        progress.undecodable.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(partition = p, seq, error = %e, "an ingest record cannot be decoded; it is skipped");
                    }
                }
                last = Some(seq);
            }
            if !progress.may_apply() {
                progress.fenced.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    partition = p,
                    "the partition's lease ran out before this was applied; stopping"
                );
                return Ok(());
            }
            let taken = records.len() as u64;
            self.apply(p, records, progress).await?;
            // Applied means written to the store (durable there) and announced.
            progress.records.fetch_add(taken, Ordering::Relaxed);
            if let Some(seq) = last {
                progress.applied.store(seq, Ordering::Relaxed);
                progress.pending.store(pending, Ordering::Relaxed);
            }
        }
    }

    /// Writes the records' points (one store write per tenant) and announces them.
    async fn apply(
        &self,
        p: u32,
        records: Vec<(u64, Record)>,
        progress: &Progress,
    ) -> Result<(), async_nats::Error> {
        // One write per run of records of one tenant, so announcements keep stream order.
        let mut i = 0;
        while i < records.len() {
            let tenant = records[i].1.tenant;
            let mut j = i;
            while j < records.len() && records[j].1.tenant == tenant {
                j += 1;
            }
            // The run's points, copied for the store (the records keep them for the
            // announcements); copied again only when the store asks to wait and retry.
            let batches = || -> Vec<DeviceBatch> {
                records[i..j]
                    .iter()
                    .flat_map(|(_, r)| &r.items)
                    .filter_map(|item| match item {
                        Item::Batch(b) => Some(b.batch.clone()),
                        Item::Event(_) => None,
                    })
                    .collect()
            };
            let mut batch = batches();
            let outcome = if batch.is_empty() {
                Default::default()
            } else {
                // Retried while the store is catching up: nothing is skipped.
                loop {
                    match self.store.write(tenant, batch).await {
                        Ok(o) => break o,
                        Err(ironloom_core::error::Error::Overloaded(_)) => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            batch = batches();
                        }
                        Err(e) => return Err(e.to_string().into()),
                    }
                }
            };
            if !outcome.rejected.is_empty() {
                progress
                    .refused
                    .fetch_add(outcome.rejected.len() as u64, Ordering::Relaxed);
            }
            // Ascending indexes of the refused points; `next` the first not yet passed.
            let refused: Vec<usize> = outcome.rejected.iter().map(|r| r.index).collect();
            let mut next = 0usize;
            let mut base = 0usize;
            let quiet = progress.announced_before.load(Ordering::Relaxed);
            for (seq, record) in &records[i..j] {
                let announce = *seq > quiet;
                let pos = LogPos {
                    log: self.log,
                    partition: p,
                    seq: *seq,
                };
                for item in &record.items {
                    match item {
                        Item::Batch(b) => {
                            let n = b.batch.points.len();
                            // Nobody on this node wants it: no copy of its points.
                            let wanted = announce
                                && b.announce.as_ref().is_some_and(|a| {
                                    self.bus.wants(tenant, &a.product_key, &a.device_name)
                                });
                            let values = if wanted {
                                b.announce.as_ref().map_or(0, |a| a.values)
                            } else {
                                0
                            };
                            let mut kept = Vec::new();
                            for (k, point) in b.batch.points.iter().enumerate() {
                                if refused.get(next) == Some(&(base + k)) {
                                    next += 1;
                                } else if k < values {
                                    kept.push(point.clone());
                                }
                            }
                            base += n;
                            if let Some(a) = &b.announce
                                && wanted
                                && !kept.is_empty()
                            {
                                self.announce(
                                    DeviceEvent {
                                        tenant,
                                        device: b.batch.device,
                                        device_name: a.device_name.clone(),
                                        product_key: a.product_key.clone(),
                                        at: DateTime::<Utc>::from_timestamp_micros(a.arrived)
                                            .unwrap_or_default(),
                                        kind: DeviceEventKind::Telemetry {
                                            stored: kept.len() as u64,
                                            points: kept,
                                            origin: a.origin,
                                        },
                                        pos: Some(pos),
                                    },
                                    a.origin,
                                )
                                .await;
                            }
                        }
                        Item::Event(e) if announce => {
                            self.announce(
                                DeviceEvent {
                                    tenant,
                                    device: e.device,
                                    device_name: e.device_name.clone(),
                                    product_key: e.product_key.clone(),
                                    at: e.at,
                                    kind: e.kind.clone(),
                                    pos: Some(pos),
                                },
                                Origin::Device,
                            )
                            .await;
                        }
                        Item::Event(_) => {}
                    }
                }
            }
            i = j;
        }
        Ok(())
    }

    async fn announce(&self, ev: DeviceEvent, origin: Origin) {
        if !self.bus.wants(ev.tenant, &ev.product_key, &ev.device_name) {
            return;
        }
        match origin {
            // Back-pressure: a slow consumer stops the pull (lag grows, nothing is lost).
            Origin::Device | Origin::Job { .. } => self.bus.publish_wait(ev).await,
            // Derived data never waits for its own consumer's queue (as on a single node).
            Origin::Rule { .. } | Origin::Binding { .. } | Origin::App { .. } => {
                self.bus.publish(ev)
            }
        }
    }
}
