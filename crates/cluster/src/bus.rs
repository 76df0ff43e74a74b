//! The event bus of a cluster node (design §2.8). Consumers (rules, apps, bindings)
//! consume the node's in-process bus, which carries the events of the partitions this
//! node owns, announced by its materialisers. Device events raised at the edge
//! (connections, thing-model events, client RPCs) are appended to the device's partition
//! instead, so the partition's owner announces them in order with the device's data,
//! wherever the device is connected.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ironloom_bus::{Consumer, DeviceEvent, DeviceEventKind, EventBus, LiveView, LocalBus};
use ironloom_core::ids::{DeviceId, TenantId};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::live::LiveRelay;
use crate::log::JetStreamLog;
use crate::record::{EventItem, Item};

/// Edge events waiting to be appended at most; [`EventBus::publish`] drops beyond.
const QUEUE: usize = 8192;

type Done = oneshot::Sender<Result<(), ironloom_core::error::Error>>;

/// A cluster node's bus: consumers on the local bus, edge events to the log.
#[derive(Debug)]
pub struct ClusterBus {
    local: Arc<LocalBus>,
    /// Brings watched devices' events from the nodes that own them.
    relay: std::sync::OnceLock<Arc<LiveRelay>>,
    tx: mpsc::Sender<(DeviceEvent, Option<Done>)>,
    dropped: AtomicU64,
}

impl ClusterBus {
    /// Starts the appender on the current runtime; it stops when the bus is dropped.
    pub fn start(local: Arc<LocalBus>, log: Arc<JetStreamLog>) -> Arc<ClusterBus> {
        let (tx, mut rx) = mpsc::channel::<(DeviceEvent, Option<Done>)>(QUEUE);
        tokio::spawn(async move {
            // One event at a time, in order; the quorum waits overlap.
            while let Some((ev, done)) = rx.recv().await {
                let tenant = ev.tenant;
                let item = Item::Event(EventItem {
                    device: ev.device,
                    device_name: ev.device_name,
                    product_key: ev.product_key,
                    at: ev.at,
                    kind: ev.kind,
                });
                match log.publish_items(tenant, vec![item]).await {
                    Ok(durable) => {
                        tokio::spawn(async move {
                            let r = durable.await;
                            if let Err(e) = &r {
                                tracing::warn!(error = %e, "a device event was not stored in the cluster log");
                            }
                            if let Some(done) = done {
                                let _ = done.send(r);
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a device event could not be appended to the cluster log");
                        if let Some(done) = done {
                            let _ = done.send(Err(e));
                        }
                    }
                }
            }
        });
        Arc::new(ClusterBus {
            local,
            relay: std::sync::OnceLock::new(),
            tx,
            dropped: AtomicU64::new(0),
        })
    }

    /// Live views of a device then also see its events announced on other nodes.
    pub fn set_relay(&self, relay: Arc<LiveRelay>) {
        let _ = self.relay.set(relay);
    }

    /// Edge events dropped because the append queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Telemetry is appended by the ingest path, never as an event; one that reaches the
    /// bus (a consumer announcing its own derived values) stays on this node.
    fn is_local(ev: &DeviceEvent) -> bool {
        matches!(ev.kind, DeviceEventKind::Telemetry { .. })
    }
}

#[async_trait::async_trait]
impl EventBus for ClusterBus {
    /// The partition's owner decides who wants an event; the edge always hands it on.
    fn wants(&self, _tenant: TenantId, _p: &str, _d: &str) -> bool {
        true
    }

    fn publish(&self, ev: DeviceEvent) {
        if Self::is_local(&ev) {
            return self.local.publish(ev);
        }
        if self.tx.try_send((ev, None)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("ironloom_bus_events_dropped_total", "consumer" => "cluster-log")
                .increment(1);
        }
    }

    async fn publish_wait(&self, ev: DeviceEvent) {
        if Self::is_local(&ev) {
            return self.local.publish_wait(ev).await;
        }
        let (done, rx) = oneshot::channel();
        if self.tx.send((ev, Some(done))).await.is_ok() {
            let _ = rx.await;
        }
    }

    fn watch(&self) -> broadcast::Receiver<DeviceEvent> {
        self.local.watch()
    }

    fn watch_device(&self, tenant: TenantId, device: DeviceId) -> LiveView {
        match self.relay.get() {
            Some(r) => r.watch(tenant, device),
            None => LiveView::new(self.local.watch(), None),
        }
    }

    fn consume(&self, name: &str, capacity: usize) -> Consumer {
        self.local.consume(name, capacity)
    }
}
