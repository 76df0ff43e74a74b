//! The in-process bus of a single node: a broadcast channel for live views and a bounded
//! queue per reliable consumer.

use std::sync::{Arc, RwLock};

use ironloom_core::ids::TenantId;
use ironloom_core::sync::{read, write};
use tokio::sync::{broadcast, mpsc};

use crate::{Consumer, DeviceEvent, EventBus, Interest};

/// Events a live view may fall behind before it misses some.
const LIVE_CAPACITY: usize = 4096;

#[derive(Debug)]
struct Registered {
    name: Arc<str>,
    tx: mpsc::Sender<DeviceEvent>,
    interest: Interest,
}

/// The bus of one node.
#[derive(Debug)]
pub struct LocalBus {
    live: broadcast::Sender<DeviceEvent>,
    consumers: RwLock<Vec<Registered>>,
}

impl Default for LocalBus {
    fn default() -> Self {
        LocalBus {
            live: broadcast::channel(LIVE_CAPACITY).0,
            consumers: RwLock::new(Vec::new()),
        }
    }
}

impl LocalBus {
    pub fn new() -> Arc<LocalBus> {
        Arc::new(LocalBus::default())
    }

    /// The queues of the consumers that want the event's device, forgetting those that
    /// went away.
    fn wanting(&self, ev: &DeviceEvent) -> Vec<(Arc<str>, mpsc::Sender<DeviceEvent>)> {
        let mut gone = false;
        let out = read(&self.consumers)
            .iter()
            .filter(|c| {
                gone |= c.tx.is_closed();
                !c.tx.is_closed()
                    && c.interest
                        .covers(ev.tenant, &ev.product_key, &ev.device_name)
            })
            .map(|c| (c.name.clone(), c.tx.clone()))
            .collect();
        if gone {
            write(&self.consumers).retain(|c| !c.tx.is_closed());
        }
        out
    }

    fn to_live(&self, ev: &DeviceEvent) {
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(ev.clone());
        }
    }

    /// Shows an event to the live views only (in a cluster: an event another node
    /// announced, which this node's consumers must not take again).
    pub fn publish_live(&self, ev: DeviceEvent) {
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(ev);
        }
    }
}

fn dropped(consumer: &str) {
    metrics::counter!("ironloom_bus_events_dropped_total", "consumer" => consumer.to_owned())
        .increment(1);
}

#[async_trait::async_trait]
impl EventBus for LocalBus {
    fn wants(&self, tenant: TenantId, product_key: &str, device_name: &str) -> bool {
        self.live.receiver_count() > 0
            || read(&self.consumers)
                .iter()
                .any(|c| !c.tx.is_closed() && c.interest.covers(tenant, product_key, device_name))
    }

    fn publish(&self, ev: DeviceEvent) {
        self.to_live(&ev);
        for (name, tx) in self.wanting(&ev) {
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(ev.clone()) {
                dropped(&name);
            }
        }
    }

    async fn publish_wait(&self, ev: DeviceEvent) {
        self.to_live(&ev);
        let mut wanting = self.wanting(&ev);
        // The last consumer takes the event itself: one clone fewer on the common path
        // (one consumer, the rule engine).
        let last = wanting.pop();
        for (_, tx) in wanting {
            let _ = tx.send(ev.clone()).await;
        }
        if let Some((_, tx)) = last {
            let _ = tx.send(ev).await;
        }
    }

    fn watch(&self) -> broadcast::Receiver<DeviceEvent> {
        self.live.subscribe()
    }

    fn consume(&self, name: &str, capacity: usize) -> Consumer {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let interest = Interest::default();
        write(&self.consumers).push(Registered {
            name: name.into(),
            tx,
            interest: interest.clone(),
        });
        Consumer {
            events: rx,
            interest,
        }
    }
}
