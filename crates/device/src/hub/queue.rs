//! Merges the telemetry writes of concurrent devices into fewer store writes.
//!
//! A device that waits for each acknowledgement sends one message per write; thousands of
//! such devices made thousands of small writes, each paying the store's fixed cost (the
//! series look-ups, the log record and thread, a wake-up back). Here each write joins a
//! queue; the writer takes everything waiting, per tenant, and makes one store write of
//! it, so under load one write (and one log sync) carries many devices' messages. Every caller
//! still returns only once its own points are durable, with its own refusals.

use std::collections::HashMap;
use std::sync::Arc;

use ironloom_bus::{IngestLog, LogItem};
use ironloom_core::ids::TenantId;
use ironloom_core::telemetry::{Durable, RejectedPoint, WriteOutcome};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A merged write takes no further requests once it holds this many device batches (a
/// bulk request of more is one write on its own).
const MAX_MERGE: usize = 512;
/// Merged writes being staged at once. One: the next merged write starts when the
/// previous one is in memory and handed to the log, so what arrives meanwhile goes into one
/// write; its log sync (0.15 ms at the median under load, over 1 ms at p99) overlaps the
/// next write's memory work instead of preceding it. With four writers staging at once,
/// most writes carried one or two devices' messages and paid the store's fixed cost each
/// (docs/performance.md, "CPU per message with one in flight").
const WRITERS: usize = 1;

type Reply = oneshot::Sender<Result<Vec<WriteOutcome>, ironloom_core::error::Error>>;

/// Device batches of one caller, answered together.
struct Request {
    tenant: TenantId,
    items: Vec<LogItem>,
    reply: Reply,
}

/// The queue's handle.
#[derive(Clone)]
pub(crate) struct IngestQueue {
    tx: mpsc::Sender<Request>,
}

impl IngestQueue {
    /// Starts the dispatcher on the current runtime.
    pub fn start(log: Arc<dyn IngestLog>) -> IngestQueue {
        let (tx, rx) = mpsc::channel(8192);
        tokio::spawn(dispatch(log, rx));
        IngestQueue { tx }
    }

    /// Writes one device's points; returns once they are durable, with the refusals
    /// indexed into `item.batch.points`.
    pub async fn write(
        &self,
        tenant: TenantId,
        item: LogItem,
    ) -> Result<WriteOutcome, ironloom_core::error::Error> {
        let mut out = self.write_many(tenant, vec![item]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Writes the points of several devices (of one caller: a bulk write); returns once
    /// they are durable, with an outcome per item, its refusals indexed into its points.
    pub async fn write_many(
        &self,
        tenant: TenantId,
        items: Vec<LogItem>,
    ) -> Result<Vec<WriteOutcome>, ironloom_core::error::Error> {
        let (reply, rx) = oneshot::channel();
        let gone = || ironloom_core::error::Error::storage("ingest", "the ingest queue stopped");
        let request = Request {
            tenant,
            items,
            reply,
        };
        // With room (the common case) without a send future: this future is part of every
        // message's, so it is kept small; a full queue waits on a boxed one.
        match self.tx.try_send(request) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(request)) => {
                Box::pin(self.tx.send(request)).await.map_err(|_| gone())?
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(gone()),
        }
        rx.await.map_err(|_| gone())?
    }
}

async fn dispatch(log: Arc<dyn IngestLog>, mut rx: mpsc::Receiver<Request>) {
    let writers = Arc::new(Semaphore::new(WRITERS));
    while let Some(first) = rx.recv().await {
        // Wait for a writer first: meanwhile more requests gather to merge.
        let Ok(permit) = writers.clone().acquire_owned().await else {
            return;
        };
        let mut batches = first.items.len();
        let mut taken = vec![first];
        while batches < MAX_MERGE {
            match rx.try_recv() {
                Ok(r) => {
                    batches += r.items.len();
                    taken.push(r);
                }
                Err(_) => break,
            }
        }
        let mut by_tenant: HashMap<TenantId, Vec<Request>> = HashMap::new();
        for r in taken {
            by_tenant.entry(r.tenant).or_default().push(r);
        }
        let log = log.clone();
        tokio::spawn(async move {
            let mut staged = Vec::with_capacity(by_tenant.len());
            for (tenant, requests) in by_tenant {
                staged.push(Staged::stage(&*log, tenant, requests).await);
            }
            drop(permit);
            for s in staged {
                s.finish().await;
            }
        });
    }
}

/// A merged write in memory, its callers waiting for it to be durable.
struct Staged {
    /// Each caller, with how many of the merged write's items are its.
    replies: Vec<(Reply, usize)>,
    /// Where each item's points start in the merged write, and how many it had.
    starts: Vec<usize>,
    lens: Vec<usize>,
    written: Result<(WriteOutcome, Durable), ironloom_core::error::Error>,
}

impl Staged {
    async fn stage(log: &dyn IngestLog, tenant: TenantId, requests: Vec<Request>) -> Staged {
        let n: usize = requests.iter().map(|r| r.items.len()).sum();
        let mut items = Vec::with_capacity(n);
        let mut replies = Vec::with_capacity(requests.len());
        let mut starts = Vec::with_capacity(n);
        let mut lens = Vec::with_capacity(n);
        let mut total = 0usize;
        for r in requests {
            replies.push((r.reply, r.items.len()));
            for item in r.items {
                let len = item.batch.points.len();
                starts.push(total);
                lens.push(len);
                total += len;
                items.push(item);
            }
        }
        let written = log.append(tenant, items).await;
        Staged {
            replies,
            starts,
            lens,
            written,
        }
    }

    /// Waits until durable, then answers every caller with its own refusals (or the error).
    async fn finish(self) {
        let Staged {
            replies,
            starts,
            lens,
            written,
        } = self;
        let outcome = match written {
            Ok((outcome, durable)) => durable.await.map(|()| outcome),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(outcome) => {
                let mut rejected: Vec<Vec<RejectedPoint>> = vec![Vec::new(); lens.len()];
                for mut r in outcome.rejected {
                    let i = starts.partition_point(|&s| s <= r.index).saturating_sub(1);
                    r.index -= starts[i];
                    rejected[i].push(r);
                }
                let mut outcomes =
                    rejected
                        .into_iter()
                        .zip(lens)
                        .map(|(rejected, len)| WriteOutcome {
                            accepted: (len - rejected.len()) as u64,
                            rejected,
                        });
                for (reply, n) in replies {
                    let _ = reply.send(Ok(outcomes.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                // Every caller learns the write failed (none of it is acknowledged).
                let text = e.to_string();
                let overloaded = matches!(e, ironloom_core::error::Error::Overloaded(_));
                for (reply, _) in replies {
                    let err = if overloaded {
                        ironloom_core::error::Error::Overloaded("the store is catching up")
                    } else {
                        ironloom_core::error::Error::storage("ingest", &text)
                    };
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_bus::LocalLog;
    use ironloom_core::ids::DeviceId;
    use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, TelemetryStore, Value};

    fn point(property: &str, ts: i64, value: Value) -> PointIn {
        // Recent times (far-past ones are outside the default retention); whole hours, so
        // the test's points never straddle a partition.
        let hour = 3_600_000_000;
        let base = (chrono::Utc::now().timestamp_micros() / hour - 1) * hour;
        PointIn {
            property: property.into(),
            ts: base + ts,
            value,
            quality: Quality::Good,
        }
    }

    #[tokio::test]
    async fn merged_writes_give_each_caller_its_own_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let engine =
            ironloom_tsdb::Engine::open(dir.path(), ironloom_tsdb::Options::default()).unwrap();
        let store: Arc<dyn TelemetryStore> = Arc::new(engine);
        let tenant = TenantId::new();
        let (a, b) = (DeviceId::new(), DeviceId::new());
        // `x` of device b becomes a float series.
        store
            .write(
                tenant,
                vec![DeviceBatch {
                    device: b,
                    product: None,
                    points: vec![point("x", 1, Value::F64(1.0))],
                }],
            )
            .await
            .unwrap();
        let (ta, ra) = oneshot::channel();
        let (tb, rb) = oneshot::channel();
        let requests = vec![
            Request {
                tenant,
                items: vec![LogItem {
                    batch: DeviceBatch {
                        device: a,
                        product: None,
                        points: vec![point("x", 2, Value::F64(2.0)), point("y", 2, Value::I64(3))],
                    },
                    announce: None,
                }],
                reply: ta,
            },
            Request {
                tenant,
                items: vec![
                    LogItem {
                        batch: DeviceBatch {
                            device: a,
                            product: None,
                            points: vec![point("w", 2, Value::Bool(true))],
                        },
                        announce: None,
                    },
                    LogItem {
                        batch: DeviceBatch {
                            device: b,
                            product: None,
                            points: vec![
                                point("y", 2, Value::I64(1)),
                                point("x", 2, Value::Str("text".into())),
                            ],
                        },
                        announce: None,
                    },
                ],
                reply: tb,
            },
        ];
        let log: Arc<dyn IngestLog> = Arc::new(LocalLog::new(store.clone()));
        Staged::stage(&*log, tenant, requests).await.finish().await;
        let a_out = ra.await.unwrap().unwrap();
        assert_eq!(a_out.len(), 1);
        let a_out = &a_out[0];
        // The second caller sent two devices' batches: an outcome each, in order.
        let b_outs = rb.await.unwrap().unwrap();
        assert_eq!(b_outs.len(), 2);
        assert_eq!(b_outs[0].accepted, 1);
        assert!(b_outs[0].rejected.is_empty());
        let b_out = &b_outs[1];
        assert_eq!(a_out.accepted, 2);
        assert!(a_out.rejected.is_empty());
        assert_eq!(b_out.accepted, 1);
        assert_eq!(b_out.rejected.len(), 1);
        assert_eq!(b_out.rejected[0].index, 1);
        assert_eq!(b_out.rejected[0].property, "x");
        // And through the queue, many concurrent callers.
        let q = IngestQueue::start(log.clone());
        let mut tasks = Vec::new();
        for i in 0..200i64 {
            let q = q.clone();
            tasks.push(tokio::spawn(async move {
                q.write(
                    tenant,
                    LogItem {
                        batch: DeviceBatch {
                            device: a,
                            product: None,
                            points: vec![point("z", 100 + i, Value::I64(i))],
                        },
                        announce: None,
                    },
                )
                .await
                .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().accepted, 1);
        }
    }
}
