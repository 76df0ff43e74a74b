//! What every [`EventBus`] implementation must do, as checks each test suite runs
//! against its implementation (`tests/conformance.rs` for the in-process bus, the cluster
//! crate's `tests/bus.rs` for a cluster node's bus). A check panics with what went wrong.
//!
//! Every bus delivers each event to the consumers whose interest covers it, a device's
//! events in the order they were published, never an event twice, and to live views. Order
//! between devices is not promised (a cluster spreads devices over partitions). How a full
//! consumer is handled differs: the in-process bus makes a waiting producer wait and drops
//! for one that cannot wait, and says whom a tenant's events matter to
//! ([`EventBus::wants`]); a cluster node's bus appends everything to the durable log, whose
//! reader waits for the consumer (lag grows; nothing is dropped). Those checks are in
//! [`local`].

// Checks report failures by panicking, as assertions do.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_core::ids::{DeviceId, TenantId};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::timeout;

use crate::{DeviceEvent, DeviceEventKind, EventBus, Sources};

/// Long enough for an implementation to deliver; short enough to notice a hang.
const PATIENCE: Duration = Duration::from_secs(5);
/// How long something that must not happen is given to happen.
const BRIEFLY: Duration = Duration::from_millis(200);

/// An event numbered `seq` (carried as the transport name, which every implementation
/// must keep).
pub fn numbered(tenant: TenantId, device: DeviceId, seq: u64) -> DeviceEvent {
    DeviceEvent {
        tenant,
        device,
        device_name: "d".into(),
        product_key: "p".into(),
        at: chrono::Utc::now(),
        kind: DeviceEventKind::Connected {
            transport: seq.to_string(),
        },
        pos: None,
    }
}

fn seq_of(ev: &DeviceEvent) -> u64 {
    match &ev.kind {
        DeviceEventKind::Connected { transport } => transport.parse().unwrap_or(u64::MAX),
        _ => u64::MAX,
    }
}

async fn next(c: &mut crate::Consumer) -> DeviceEvent {
    match timeout(PATIENCE, c.events.recv()).await {
        Ok(Some(ev)) => ev,
        Ok(None) => panic!("the consumer's queue closed"),
        Err(_) => panic!("no event within {PATIENCE:?}"),
    }
}

async fn nothing_more(c: &mut crate::Consumer) {
    if let Ok(Some(ev)) = timeout(BRIEFLY, c.events.recv()).await {
        panic!("unexpected event {:?} of tenant {}", ev.kind, ev.tenant);
    }
}

/// A consumer receives the tenants it wants and never another's.
pub async fn consumer_sees_only_its_tenants(bus: Arc<dyn EventBus>) {
    let (a, b) = (TenantId::new(), TenantId::new());
    let mut c = bus.consume("check", 64);
    c.interest.set_tenants([a]);
    let d = DeviceId::new();
    for seq in 0..10 {
        bus.publish_wait(numbered(b, DeviceId::new(), seq)).await;
        bus.publish(numbered(b, DeviceId::new(), seq));
        bus.publish_wait(numbered(a, d, seq)).await;
    }
    for seq in 0..10 {
        let ev = next(&mut c).await;
        assert_eq!(
            (ev.tenant, seq_of(&ev)),
            (a, seq),
            "tenant A's events, in order"
        );
    }
    nothing_more(&mut c).await;
}

/// Within a tenant, a consumer that names products and devices receives theirs only.
pub async fn consumer_sees_only_its_sources(bus: Arc<dyn EventBus>) {
    let t = TenantId::new();
    let mut c = bus.consume("check", 64);
    c.interest.set_sources(sources(t));
    let from = |product: &str, device: &str, seq| DeviceEvent {
        product_key: product.into(),
        device_name: device.into(),
        ..numbered(t, DeviceId::new(), seq)
    };
    bus.publish_wait(from("boiler", "boiler-2", 1)).await;
    bus.publish(from("boiler", "boiler-2", 2));
    bus.publish_wait(from("pump", "pump-7", 3)).await;
    bus.publish(from("boiler", "boiler-1", 4));
    bus.publish_wait(from("fan", "fan-1", 5)).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(seq_of(&next(&mut c).await));
    }
    got.sort();
    assert_eq!(got, [3, 4, 5], "the product, the device, the second entry");
    nothing_more(&mut c).await;
}

/// Two entries for one tenant: products `pump` and `fan`, device `boiler-1`.
fn sources(t: TenantId) -> [(TenantId, Sources); 2] {
    [
        (
            t,
            Sources::Only {
                products: ["pump".into()].into(),
                devices: ["boiler-1".into()].into(),
            },
        ),
        // A tenant named twice gets both.
        (
            t,
            Sources::Only {
                products: ["fan".into()].into(),
                devices: Default::default(),
            },
        ),
    ]
}

/// Without interest a consumer receives nothing.
pub async fn no_interest_no_events(bus: Arc<dyn EventBus>) {
    let a = TenantId::new();
    let mut c = bus.consume("check", 8);
    bus.publish(numbered(a, DeviceId::new(), 1));
    bus.publish_wait(numbered(a, DeviceId::new(), 2)).await;
    nothing_more(&mut c).await;
}

/// Events of one device arrive in the order they were published, whichever way.
pub async fn order_is_kept(bus: Arc<dyn EventBus>) {
    let (t, d) = (TenantId::new(), DeviceId::new());
    let mut c = bus.consume("check", 4096);
    c.interest.set_tenants([t]);
    for seq in 0..2000 {
        if seq % 3 == 0 {
            bus.publish(numbered(t, d, seq));
        } else {
            bus.publish_wait(numbered(t, d, seq)).await;
        }
    }
    for seq in 0..2000 {
        assert_eq!(seq_of(&next(&mut c).await), seq);
    }
}

/// A producer that can wait loses nothing to a small consumer queue: every event
/// arrives, in order, and the producer finishes once the consumer has read.
pub async fn publish_wait_loses_nothing(bus: Arc<dyn EventBus>) {
    let (t, d) = (TenantId::new(), DeviceId::new());
    let mut c = bus.consume("check", 2);
    c.interest.set_tenants([t]);
    let producer = {
        let bus = bus.clone();
        tokio::spawn(async move {
            for seq in 0..50 {
                bus.publish_wait(numbered(t, d, seq)).await;
            }
        })
    };
    tokio::time::sleep(BRIEFLY).await;
    for seq in 0..50 {
        assert_eq!(seq_of(&next(&mut c).await), seq);
    }
    timeout(PATIENCE, producer)
        .await
        .expect("the producer finishes once the consumer read")
        .expect("the producer did not panic");
}

/// A producer that cannot wait never blocks; what a full consumer receives is in order
/// and never twice.
pub async fn publish_never_blocks(bus: Arc<dyn EventBus>) {
    let (t, d) = (TenantId::new(), DeviceId::new());
    let mut c = bus.consume("check", 2);
    c.interest.set_tenants([t]);
    timeout(PATIENCE, async {
        for seq in 0..100 {
            bus.publish(numbered(t, d, seq));
        }
    })
    .await
    .expect("publish returns at once");
    let mut last = None;
    while let Ok(Some(ev)) = timeout(Duration::from_secs(1), c.events.recv()).await {
        let seq = seq_of(&ev);
        assert!(last.is_none_or(|l| seq > l), "{seq} after {last:?}");
        last = Some(seq);
    }
    assert!(last.is_some(), "at least the first events arrive");
}

/// Every consumer that wants a tenant gets each of its events.
pub async fn every_consumer_gets_everything(bus: Arc<dyn EventBus>) {
    let (t, d) = (TenantId::new(), DeviceId::new());
    let mut one = bus.consume("one", 64);
    let mut two = bus.consume("two", 64);
    one.interest.set_tenants([t]);
    two.interest.set_all();
    for seq in 0..20 {
        bus.publish_wait(numbered(t, d, seq)).await;
    }
    for seq in 0..20 {
        assert_eq!(seq_of(&next(&mut one).await), seq);
        assert_eq!(seq_of(&next(&mut two).await), seq);
    }
}

/// A consumer that went away is forgotten: producers do not wait for it.
pub async fn a_dropped_consumer_is_forgotten(bus: Arc<dyn EventBus>) {
    let t = TenantId::new();
    let c = bus.consume("gone", 1);
    c.interest.set_tenants([t]);
    drop(c);
    timeout(PATIENCE, async {
        for seq in 0..10 {
            bus.publish_wait(numbered(t, DeviceId::new(), seq)).await;
        }
    })
    .await
    .expect("nobody to wait for");
}

/// Live views see every tenant's events.
pub async fn live_views_see_all(bus: Arc<dyn EventBus>) {
    let (a, b) = (TenantId::new(), TenantId::new());
    let mut live = bus.watch();
    bus.publish(numbered(a, DeviceId::new(), 1));
    bus.publish_wait(numbered(b, DeviceId::new(), 2)).await;
    let mut got = Vec::new();
    for _ in 0..2 {
        let ev = timeout(PATIENCE, live.recv())
            .await
            .expect("in time")
            .expect("no lag");
        got.push((ev.tenant, seq_of(&ev)));
    }
    got.sort_by_key(|g| g.1);
    assert_eq!(got, [(a, 1), (b, 2)]);
}

/// The in-process bus's handling of full consumers and its answer to
/// [`EventBus::wants`].
pub mod local {
    use super::*;

    /// Whom a tenant's events matter to follows the consumers' interest and live views.
    pub async fn wants_follows_interest(bus: Arc<dyn EventBus>) {
        let (a, t) = (TenantId::new(), TenantId::new());
        let c = bus.consume("check", 8);
        assert!(!bus.wants(a, "p", "d"), "nobody wants tenant A yet");
        c.interest.set_tenants([a]);
        assert!(bus.wants(a, "p", "d"), "the consumer wants tenant A now");
        c.interest.set_tenants([]);
        assert!(!bus.wants(a, "p", "d"), "and no longer");
        c.interest.set_sources(sources(t));
        assert!(bus.wants(t, "pump", "pump-7"), "a product it names");
        assert!(bus.wants(t, "boiler", "boiler-1"), "a device it names");
        assert!(
            bus.wants(t, "fan", "fan-1"),
            "the second entry of the tenant"
        );
        assert!(!bus.wants(t, "boiler", "boiler-2"), "neither");
        assert!(!bus.wants(a, "pump", "pump-7"), "another tenant's pump");
        c.interest.set_tenants([t]);
        assert!(bus.wants(t, "boiler", "boiler-2"), "all of the tenant now");
        c.interest.set_all();
        assert!(
            bus.wants(TenantId::new(), "p", "d"),
            "a consumer of all tenants wants any"
        );
        drop(c);
        assert!(!bus.wants(t, "p", "d"), "a dropped consumer is forgotten");
        let live = bus.watch();
        assert!(bus.wants(a, "p", "d"), "a live view wants every tenant");
        drop(live);
        assert!(!bus.wants(a, "p", "d"), "nobody watches any more");
    }

    /// A producer that can wait waits for room in a full consumer's queue.
    pub async fn publish_wait_waits_for_room(bus: Arc<dyn EventBus>) {
        let (t, d) = (TenantId::new(), DeviceId::new());
        let mut c = bus.consume("check", 2);
        c.interest.set_tenants([t]);
        let producer = {
            let bus = bus.clone();
            tokio::spawn(async move {
                for seq in 0..50 {
                    bus.publish_wait(numbered(t, d, seq)).await;
                }
            })
        };
        tokio::time::sleep(BRIEFLY).await;
        assert!(
            !producer.is_finished(),
            "50 events cannot fit a queue of 2 before the consumer reads"
        );
        for seq in 0..50 {
            assert_eq!(seq_of(&next(&mut c).await), seq);
        }
        timeout(PATIENCE, producer)
            .await
            .expect("the producer finishes once the consumer read")
            .expect("the producer did not panic");
    }

    /// A full consumer misses what does not fit when the producer cannot wait.
    pub async fn publish_drops_for_a_full_consumer(bus: Arc<dyn EventBus>) {
        let (t, d) = (TenantId::new(), DeviceId::new());
        let mut c = bus.consume("check", 2);
        c.interest.set_tenants([t]);
        for seq in 0..100 {
            bus.publish(numbered(t, d, seq));
        }
        assert_eq!(seq_of(&next(&mut c).await), 0);
        assert_eq!(seq_of(&next(&mut c).await), 1);
        nothing_more(&mut c).await;
    }

    /// A live view that falls behind learns how many it missed and goes on with the
    /// newest.
    pub async fn live_views_lag(bus: Arc<dyn EventBus>) {
        let a = TenantId::new();
        let mut live = bus.watch();
        for seq in 0..100_000 {
            bus.publish(numbered(a, DeviceId::new(), seq));
        }
        match live.recv().await {
            Err(RecvError::Lagged(n)) => assert!(n > 0),
            other => panic!("expected a lag report, got {other:?}"),
        }
    }
}
