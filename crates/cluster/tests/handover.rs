//! A partition handed from one owner to another: the new owner rebuilds its store from
//! the stream but does not announce again what the earlier owner's rules already saw
//! (that would raise their alarms a second time); what arrives after is announced. Real
//! 3-server NATS; the ownership records in SQLite (the same store code as PostgreSQL,
//! whose conformance is tested in ironloom-meta). Skipped with a SKIPPED line when
//! nats-server is not on PATH, unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_bus::{Announce, Consumer, EventBus, IngestLog, LocalBus, LogItem};
use ironloom_cluster::config::ByteSize;
use ironloom_cluster::node::{ClusterNode, NodeParts, Storage};
use ironloom_cluster::{ClusterConfig, ClusterTelemetry};
use ironloom_core::cluster::ClusterStore;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Selection, TelemetryStore, Value};
use ironloom_testkit::peers::{NatsCluster, or_skip};
use tokio_util::sync::CancellationToken;

struct Node {
    parts: NodeParts,
    store: Arc<dyn TelemetryStore>,
    events: Consumer,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn node(
    nats: &NatsCluster,
    name: &str,
    fences: Arc<dyn ClusterStore>,
    tenant: TenantId,
) -> Node {
    let config = ClusterConfig {
        nats_urls: nats.urls(),
        node: name.into(),
        partitions: 4,
        stream_shards: 2,
        replicas: 3,
        stream_max_bytes: ByteSize(64 << 20),
        lease_ttl: ironloom_cluster::config::Duration(Duration::from_secs(3)),
        ..ClusterConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let opts = ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    };
    let policies = ironloom_tsdb::Engine::open(&dir.path().join("tsdb"), opts.clone()).unwrap();
    let local = LocalBus::new();
    let events = local.consume("rules", 64);
    events.interest.set_tenants([tenant]);
    let cancel = CancellationToken::new();
    let parts = ClusterNode::start(
        &config,
        Some(fences),
        Storage {
            policies,
            options: opts,
            objects: None,
        },
        local,
        &dir.path().join("cluster"),
        cancel.clone(),
    )
    .await
    .unwrap();
    parts.node.attach(None);
    // Reads through the cluster's store: the node answers its partitions from their
    // engines.
    let store: Arc<dyn TelemetryStore> = ClusterTelemetry::start(&parts, cancel.clone())
        .await
        .unwrap();
    Node {
        parts,
        store,
        events,
        cancel,
        _dir: dir,
    }
}

async fn owns_all(n: &Node) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while n.parts.node.owned().len() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no ownership in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn send(n: &Node, tenant: TenantId, device: DeviceId, v: i64) {
    let item = LogItem {
        batch: DeviceBatch {
            device,
            product: None,
            points: vec![PointIn {
                property: "t".into(),
                ts: chrono::Utc::now().timestamp_micros(),
                value: Value::I64(v),
                quality: Quality::Good,
            }],
        },
        announce: Some(Announce {
            origin: Origin::Device,
            arrived: chrono::Utc::now().timestamp_micros(),
            device_name: format!("d{v}").into(),
            product_key: "p".into(),
            values: 1,
        }),
    };
    let log: Arc<dyn IngestLog> = n.parts.log.clone();
    let (_, durable) = log.append(tenant, vec![item]).await.unwrap();
    durable.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_does_not_announce_again_what_the_last_one_announced() {
    let test = "a_new_owner_does_not_announce_again_what_the_last_one_announced";
    let Some(nats) = or_skip(test, NatsCluster::start(3)) else {
        return;
    };
    let meta_dir = tempfile::tempdir().unwrap();
    let meta = ironloom_meta::SqlStore::open(
        &ironloom_meta::SqlStore::sqlite_url(meta_dir.path()),
        &Default::default(),
    )
    .await
    .unwrap();
    let fences: Arc<dyn ClusterStore> = Arc::new(meta);
    let tenant = TenantId::new();
    let devices: Vec<DeviceId> = (0..6).map(|_| DeviceId::new()).collect();

    let mut first = node(&nats, "n1", fences.clone(), tenant).await;
    owns_all(&first).await;
    for (i, d) in devices.iter().enumerate().take(5) {
        send(&first, tenant, *d, i as i64).await;
    }
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(10), first.events.events.recv())
            .await
            .expect("the first owner announces")
            .unwrap();
    }
    // The first owner hands everything back (as on SIGTERM) and stops.
    first.cancel.cancel();
    first.parts.node.release_all().await;

    let mut second = node(&nats, "n2", fences, tenant).await;
    owns_all(&second).await;
    // It rebuilt its store from the streams...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let sel = Selection {
            devices: devices[..5].to_vec(),
            properties: Vec::new(),
        };
        let got = second.store.latest(tenant, sel).await.unwrap();
        if got.len() == 5 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "replayed: {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ...without announcing any of it again.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), second.events.events.recv())
            .await
            .is_err(),
        "an event the first owner announced was announced again"
    );
    // What arrives now is announced.
    send(&second, tenant, devices[5], 5).await;
    let ev = tokio::time::timeout(Duration::from_secs(10), second.events.events.recv())
        .await
        .expect("new data is announced")
        .unwrap();
    assert_eq!(ev.device, devices[5]);
    second.cancel.cancel();
    drop(first);
}
