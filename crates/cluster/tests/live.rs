//! Live views across nodes (`ironloom_cluster::live`) on a real NATS server: a node's
//! relay takes nothing from its bus and publishes nothing while no other node watches; a
//! view on one node receives the watched device's events announced on another, and only
//! those; once the view is gone, the other node stops taking them again. Skipped with a
//! SKIPPED line when nats-server is not on PATH, unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use ironloom_bus::{DeviceEvent, DeviceEventKind, EventBus, LocalBus};
use ironloom_cluster::live::LiveRelay;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{PointIn, Quality, Value};
use ironloom_testkit::peers::{NatsCluster, or_skip};
use tokio_util::sync::CancellationToken;

fn telemetry(tenant: TenantId, device: DeviceId, v: i64) -> DeviceEvent {
    DeviceEvent {
        tenant,
        device,
        device_name: "d".into(),
        product_key: "p".into(),
        at: Utc::now(),
        kind: DeviceEventKind::Telemetry {
            stored: 1,
            points: vec![PointIn {
                property: "n".into(),
                ts: v,
                value: Value::I64(v),
                quality: Quality::Good,
            }],
            origin: Origin::Device,
        },
        pos: None,
    }
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_only_where_a_view_watches_and_only_while_it_does() {
    let Some(nats) = or_skip(
        "events_go_only_where_a_view_watches_and_only_while_it_does",
        NatsCluster::start(1),
    ) else {
        return;
    };
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    let bus_a = LocalBus::new();
    let bus_b = LocalBus::new();
    let relay_a = LiveRelay::start(
        async_nats::connect(nats.url(0)).await.unwrap(),
        "a",
        bus_a.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    let _relay_b = LiveRelay::start(
        async_nats::connect(nats.url(0)).await.unwrap(),
        "b",
        bus_b.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    // Everything relayed between nodes, as NATS carries it.
    let wire = async_nats::connect(nats.url(0)).await.unwrap();
    let mut relayed_sub = wire.subscribe("il.lv.>").await.unwrap();
    let relayed: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = relayed.clone();
    tokio::spawn(async move {
        while let Some(m) = relayed_sub.next().await {
            seen.lock().unwrap().push(m.subject.to_string());
        }
    });
    wire.flush().await.unwrap();

    let tenant = TenantId::new();
    let (watched, other) = (DeviceId::new(), DeviceId::new());
    // Nobody watches: node b's bus has nobody for the tenant (the ingest path builds no
    // event for the relay), and what b announces goes nowhere.
    assert!(!bus_b.wants(tenant, "p", "d"));
    bus_b.publish_wait(telemetry(tenant, watched, 1)).await;

    // A view on node a: node b starts taking the tenant's events and relays the watched
    // device's, not the other device's.
    let mut rules_a = bus_a.consume("rules", 16);
    rules_a.interest.set_tenants([tenant]);
    let mut view = relay_a.watch(tenant, watched);
    until("node b takes the watched tenant's events", || {
        bus_b.wants(tenant, "p", "d")
    })
    .await;
    assert!(!bus_b.wants(TenantId::new(), "p", "d"));
    bus_b.publish_wait(telemetry(tenant, other, 2)).await;
    bus_b.publish_wait(telemetry(tenant, watched, 3)).await;
    let ev = tokio::time::timeout(Duration::from_secs(10), view.events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.device, watched);
    match &ev.kind {
        DeviceEventKind::Telemetry { points, .. } => assert_eq!(points[0].value, Value::I64(3)),
        k => panic!("{k:?}"),
    }
    // Node a's own consumers (its rules) never take it: only its live views do.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rules_a.events.try_recv().is_err());
    assert_eq!(
        *relayed.lock().unwrap(),
        [format!("il.lv.{tenant}.{watched}")],
        "only the watched device's event after the view opened"
    );

    // The view closes: node b stops taking the tenant's events.
    drop(view);
    until("node b lets the tenant go", || {
        !bus_b.wants(tenant, "p", "d")
    })
    .await;
    bus_b.publish_wait(telemetry(tenant, watched, 4)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(relayed.lock().unwrap().len(), 1);
}
