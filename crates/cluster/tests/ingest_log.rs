//! The cluster's ingest log against a real 3-node NATS JetStream cluster: the ingest-log
//! conformance checks (the same ones a single node's log passes), announcements on the
//! owner's bus with their log positions, exactly-once storage of a retried record, and no
//! acknowledgement without a quorum. Skipped with a SKIPPED line when nats-server is not
//! on PATH, unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use ironloom_bus::{Announce, EventBus, IngestLog, LocalBus, LogItem, conformance_log};
use ironloom_cluster::config::ByteSize;
use ironloom_cluster::log::{JetStreamLog, subject};
use ironloom_cluster::owner::Materializer;
use ironloom_cluster::partition::partition_of;
use ironloom_cluster::{ClusterConfig, Layout};
use ironloom_core::device::DeviceEventKind;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, TelemetryStore, Value};
use ironloom_testkit::peers::{NatsCluster, or_skip};
use tokio_util::sync::CancellationToken;

const PARTITIONS: u32 = 8;

/// A node that owns every partition: its log, its store, its bus.
struct Node {
    layout: Layout,
    log: Arc<dyn IngestLog>,
    store: Arc<dyn TelemetryStore>,
    bus: Arc<LocalBus>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn node(nats: &NatsCluster) -> Node {
    let config = ClusterConfig {
        nats_urls: nats.urls(),
        partitions: PARTITIONS,
        stream_shards: 4,
        replicas: 3,
        stream_max_bytes: ByteSize(64 << 20),
        ..ClusterConfig::default()
    };
    let layout = Layout::ensure(&config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    };
    let engine = ironloom_tsdb::Engine::open(dir.path(), opts.clone()).unwrap();
    let store: Arc<dyn TelemetryStore> = Arc::new(engine);
    let bus = LocalBus::new();
    let log = Arc::new(JetStreamLog::new(
        layout.client.clone(),
        PARTITIONS,
        "n1",
        opts,
    ));
    let cancel = CancellationToken::new();
    let m = Materializer {
        js: layout.jetstream.clone(),
        shards: layout.record.shards,
        log: layout.record.log_id(),
        store: store.clone(),
        bus: bus.clone(),
    };
    for p in 0..PARTITIONS {
        m.start(p, 1, cancel.clone());
    }
    Node {
        layout,
        log,
        store,
        bus,
        cancel,
        _dir: dir,
    }
}

fn point(property: &str, value: Value) -> PointIn {
    PointIn {
        property: property.into(),
        ts: chrono::Utc::now().timestamp_micros(),
        value,
        quality: Quality::Good,
    }
}

#[tokio::test]
async fn the_ingest_log_checks_hold_on_jetstream() {
    let Some(nats) = or_skip(
        "the_ingest_log_checks_hold_on_jetstream",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let n = node(&nats).await;
    conformance_log::appended_points_are_durable_and_readable(n.log.clone(), n.store.clone()).await;
    conformance_log::appends_of_one_device_keep_their_order(n.log.clone(), n.store.clone()).await;

    // The owner announces what the device sent (not its error-log entries), with the
    // record's place in the log, and only to consumers that want the tenant.
    let tenant = TenantId::new();
    let mut consumer = n.bus.consume("rules", 16);
    consumer.interest.set_tenants([tenant]);
    let device = DeviceId::new();
    let item = LogItem {
        batch: DeviceBatch {
            device,
            product: None,
            points: vec![
                point("t", Value::F64(21.5)),
                point("$errors", Value::Str("{\"code\":\"x\"}".into())),
            ],
        },
        announce: Some(Announce {
            origin: Origin::Device,
            arrived: chrono::Utc::now().timestamp_micros(),
            device_name: "pump-1".into(),
            product_key: "pump".into(),
            values: 1,
        }),
    };
    let (outcome, durable) = n.log.append(tenant, vec![item]).await.unwrap();
    durable.await.unwrap();
    assert_eq!(outcome.accepted, 2);
    let ev = tokio::time::timeout(Duration::from_secs(10), consumer.events.recv())
        .await
        .expect("announced in time")
        .unwrap();
    assert_eq!((ev.tenant, ev.device), (tenant, device));
    assert_eq!(&*ev.device_name, "pump-1");
    let pos = ev.pos.expect("a cluster event has its log position");
    assert_eq!(pos.partition, partition_of(device, PARTITIONS));
    assert!(pos.seq >= 1);
    match ev.kind {
        DeviceEventKind::Telemetry { stored, points, .. } => {
            assert_eq!(stored, 1);
            assert_eq!(points.len(), 1);
            assert_eq!(points[0].value, Value::F64(21.5));
        }
        other => panic!("expected telemetry, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retried_record_is_stored_once_and_no_quorum_means_no_ack() {
    let Some(mut nats) = or_skip(
        "a_retried_record_is_stored_once_and_no_quorum_means_no_ack",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let n = node(&nats).await;
    // The same message id twice: the stream keeps one copy.
    let tenant = TenantId::new();
    let p = 3;
    let js = &n.layout.jetstream;
    let mut acks = Vec::new();
    for _ in 0..2 {
        let ack = js
            .send_publish(
                subject(p, tenant),
                PublishMessage::build()
                    .payload("x".into())
                    .message_id("n1.boot.42"),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        acks.push(ack);
    }
    assert!(!acks[0].duplicate);
    assert!(acks[1].duplicate, "the retry is recognised");
    assert_eq!(acks[0].sequence, acks[1].sequence);

    // Two of three servers down: no quorum, so the append is never durable.
    nats.stop(1);
    nats.stop(2);
    let device = DeviceId::new();
    let item = |v| LogItem {
        batch: DeviceBatch {
            device,
            product: None,
            points: vec![point("t", Value::I64(v))],
        },
        announce: None,
    };
    let started = std::time::Instant::now();
    let failed = match n.log.append(tenant, vec![item(1)]).await {
        Ok((_, durable)) => durable.await.is_err(),
        Err(_) => true,
    };
    assert!(failed, "acknowledged without a quorum");
    assert!(started.elapsed() >= Duration::from_secs(5));
    // One server back: a quorum again, and appends are durable.
    nats.restart(1).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((_, durable)) = n.log.append(tenant, vec![item(2)]).await
            && durable.await.is_ok()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no quorum after restart"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_records_and_keep_each_devices_order() {
    let Some(nats) = or_skip(
        "concurrent_appends_share_records_and_keep_each_devices_order",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let n = node(&nats).await;
    let tenant = TenantId::new();
    let mut consumer = n.bus.consume("rules", 4096);
    consumer.interest.set_tenants([tenant]);
    // Twenty devices of one partition, 25 appends each, four at most awaiting their
    // acknowledgement (as MQTT devices with a window of four).
    let devices: Vec<DeviceId> = std::iter::repeat_with(DeviceId::new)
        .filter(|d| partition_of(*d, PARTITIONS) == 5)
        .take(20)
        .collect();
    const EACH: i64 = 25;
    let mut tasks = tokio::task::JoinSet::new();
    for &device in &devices {
        let log = n.log.clone();
        tasks.spawn(async move {
            let mut window = std::collections::VecDeque::new();
            for k in 0..EACH {
                let item = LogItem {
                    batch: DeviceBatch {
                        device,
                        product: None,
                        points: vec![point("k", Value::I64(k))],
                    },
                    announce: Some(Announce {
                        origin: Origin::Device,
                        arrived: chrono::Utc::now().timestamp_micros(),
                        device_name: "d".into(),
                        product_key: "p".into(),
                        values: 1,
                    }),
                };
                let (_, durable) = log.append(tenant, vec![item]).await.unwrap();
                window.push_back(durable);
                if window.len() == 4 {
                    window.pop_front().unwrap().await.unwrap();
                }
            }
            for d in window {
                d.await.unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    // Fewer records than appends: appends made while a record awaited its
    // acknowledgement went out together.
    let info = n
        .layout
        .jetstream
        .get_stream(ironloom_cluster::nats::stream_name(
            ironloom_cluster::partition::shard_of(5, n.layout.record.shards),
        ))
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages;
    let appends = devices.len() as u64 * EACH as u64;
    eprintln!("{appends} appends in {info} records");
    assert!(info < appends, "{appends} appends made {info} records");
    // Each device's values are announced in the order it appended them.
    let mut seen: std::collections::HashMap<DeviceId, Vec<i64>> = Default::default();
    while seen.values().map(Vec::len).sum::<usize>() < appends as usize {
        let ev = tokio::time::timeout(Duration::from_secs(20), consumer.events.recv())
            .await
            .expect("announced in time")
            .unwrap();
        if let DeviceEventKind::Telemetry { points, .. } = ev.kind {
            for p in points {
                let Value::I64(k) = p.value else { panic!() };
                seen.entry(ev.device).or_default().push(k);
            }
        }
    }
    for d in &devices {
        assert_eq!(seen[d], (0..EACH).collect::<Vec<_>>(), "device {d}");
    }
}

/// A partition's consumer whose NATS server dies is made again within seconds (the client
/// on its own notices after two missed heartbeats of 15 s, and then not always), and the
/// partition's records go on being applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_whose_server_dies_is_made_again_in_seconds() {
    let Some(mut nats) = or_skip(
        "a_consumer_whose_server_dies_is_made_again_in_seconds",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let n = node(&nats).await;
    let tenant = TenantId::new();
    let p = 2;
    let device = std::iter::repeat_with(DeviceId::new)
        .find(|d| partition_of(*d, PARTITIONS) == p)
        .unwrap();
    let append = |k: i64| {
        let log = n.log.clone();
        async move {
            let item = LogItem {
                batch: DeviceBatch {
                    device,
                    product: None,
                    points: vec![point("k", Value::I64(k))],
                },
                announce: None,
            };
            let (_, durable) = log.append(tenant, vec![item]).await.unwrap();
            durable.await.unwrap();
        }
    };
    let applied = |k: i64| {
        let store = n.store.clone();
        async move {
            let sel = ironloom_core::telemetry::Selection {
                devices: vec![device],
                properties: vec!["k".into()],
            };
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                let latest = store.latest(tenant, sel.clone()).await.unwrap();
                if latest.first().is_some_and(|l| l.value == Value::I64(k)) {
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "{k} never applied");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    append(0).await;
    applied(0).await;
    // The server holding the partition's consumer dies.
    let stream = n
        .layout
        .jetstream
        .get_stream(ironloom_cluster::nats::stream_name(
            ironloom_cluster::partition::shard_of(p, n.layout.record.shards),
        ))
        .await
        .unwrap();
    let mut infos = stream.consumers();
    let mut host = None;
    while let Some(info) = futures_util::StreamExt::next(&mut infos).await {
        let info = info.unwrap();
        if info.config.filter_subject == format!("il.in.{p}.*") {
            host = info.cluster.and_then(|c| c.leader);
        }
    }
    let host = host.expect("the partition's consumer and its server");
    let i: usize = host.trim_start_matches('n').parse().unwrap();
    nats.kill(i);
    let killed = std::time::Instant::now();
    append(1).await;
    applied(1).await;
    let took = killed.elapsed();
    eprintln!("consumer's server {host} killed: the next record applied after {took:?}");
    assert!(
        took < Duration::from_secs(20),
        "applied only {took:?} after the consumer's server died"
    );
}
