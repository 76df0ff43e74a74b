//! Queries from any node against a real 3-node NATS JetStream cluster: three in-process
//! cluster nodes split eight partitions, the same data goes into a plain single engine
//! and through the cluster, and every `TelemetryStore` call answers the same on every
//! node as on the single engine (orders, cursors, limits), with tenants kept apart.
//! Skipped with a SKIPPED line when nats-server is not on PATH, unless
//! IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_bus::LocalBus;
use ironloom_cluster::config::ByteSize;
use ironloom_cluster::node::{ClusterNode, Storage};
use ironloom_cluster::partition::partition_of;
use ironloom_cluster::{ClusterConfig, ClusterTelemetry};
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_testkit::peers::{NatsCluster, or_skip};
use tokio_util::sync::CancellationToken;

const PARTITIONS: u32 = 8;

struct Node {
    node: Arc<ClusterNode>,
    store: Arc<ClusterTelemetry>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn options() -> ironloom_tsdb::Options {
    ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    }
}

async fn start_node(nats: &NatsCluster, name: &str) -> Node {
    let config = ClusterConfig {
        node: name.into(),
        nats_urls: nats.urls(),
        partitions: PARTITIONS,
        stream_shards: 4,
        replicas: 3,
        stream_max_bytes: ByteSize(64 << 20),
        lease_ttl: ironloom_cluster::config::Duration(Duration::from_secs(3)),
        ..ClusterConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let policies = ironloom_tsdb::Engine::open(&dir.path().join("tsdb"), options()).unwrap();
    let cancel = CancellationToken::new();
    let parts = ClusterNode::start(
        &config,
        None,
        Storage {
            policies,
            options: options(),
            objects: None,
        },
        LocalBus::new(),
        &dir.path().join("cluster"),
        cancel.clone(),
    )
    .await
    .unwrap();
    parts.node.attach(None);
    let store = ClusterTelemetry::start(&parts, cancel.clone())
        .await
        .unwrap();
    Node {
        node: parts.node,
        store,
        cancel,
        _dir: dir,
    }
}

/// Waits until every partition has exactly one owner and every node has its share (so
/// nothing moves during the test).
async fn settled(nodes: &[Node]) {
    let share = PARTITIONS.div_ceil(nodes.len() as u32) as usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let owned: Vec<Vec<u32>> = nodes
            .iter()
            .map(|n| n.node.owned().iter().map(|s| s.partition).collect())
            .collect();
        let mut all: Vec<u32> = owned.iter().flatten().copied().collect();
        all.sort();
        if all == (0..PARTITIONS).collect::<Vec<_>>()
            && owned
                .iter()
                .all(|o| o.len() >= share - 1 && o.len() <= share)
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "partitions not settled: {owned:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Devices covering every partition.
fn devices(n: usize) -> Vec<DeviceId> {
    let mut out: Vec<DeviceId> = Vec::new();
    while out.len() < n
        || (0..PARTITIONS).any(|p| !out.iter().any(|d| partition_of(*d, PARTITIONS) == p))
    {
        out.push(DeviceId::new());
    }
    out
}

/// Points of every type; timestamps shared between devices (ties ordered by device and
/// property), values with rounding in the last bits.
fn batch(
    devices: &[DeviceId],
    base: Micros,
    round: i64,
    product: Option<ProductId>,
) -> Vec<DeviceBatch> {
    devices
        .iter()
        .enumerate()
        .map(|(d, device)| {
            let mut points = Vec::new();
            for i in 0..20i64 {
                let ts = base + i * 1_000_000 + (d as i64 % 3) * 250_000;
                let x = i as f64 * 0.1 + d as f64 / 3.0 + round as f64 * 1e-3;
                points.push(PointIn {
                    property: "temp".into(),
                    ts,
                    value: Value::F64(20.0 + x.sin() * 7.3),
                    quality: if i % 7 == 3 {
                        Quality::Uncertain
                    } else {
                        Quality::Good
                    },
                });
                points.push(PointIn {
                    property: "count".into(),
                    ts,
                    value: Value::I64(i * 10 + d as i64 + round),
                    quality: Quality::Good,
                });
                if d % 2 == 0 {
                    points.push(PointIn {
                        property: "on".into(),
                        ts,
                        value: Value::Bool((i + round) % 3 == 0),
                        quality: Quality::Good,
                    });
                }
                if d % 3 == 0 {
                    points.push(PointIn {
                        property: "state".into(),
                        ts: ts + 17,
                        value: Value::Str(format!("运行-{i}-{round}")),
                        quality: Quality::Bad,
                    });
                }
            }
            DeviceBatch {
                device: *device,
                product,
                points,
            }
        })
        .collect()
}

/// The engine's order for an empty selection is the order the devices' first series
/// appeared in; the cluster answers by device id. Sorted stably, the same.
fn by_device<T: Clone>(v: &[T], device: impl Fn(&T) -> DeviceId) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort_by_key(|i| device(i));
    v
}

/// Every page of a history query, following cursors.
async fn pages(store: &dyn TelemetryStore, tenant: TenantId, q: &HistoryQuery) -> Vec<HistoryPage> {
    let mut out = Vec::new();
    let mut q = q.clone();
    loop {
        let page = store.history(tenant, q.clone()).await.unwrap();
        let next = page.next_cursor.clone();
        out.push(page);
        match next {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
        assert!(out.len() < 10_000, "cursors loop");
    }
}

/// A series' points, slice by slice.
async fn scan_all(
    store: &dyn TelemetryStore,
    tenant: TenantId,
    device: DeviceId,
    property: &str,
    base: Micros,
) -> Vec<TimedValue> {
    let mut q = ScanQuery {
        device,
        property: property.into(),
        from: base,
        to: base + 60_000_000,
        max_points: 6,
    };
    let mut points = Vec::new();
    loop {
        let s = store.scan(tenant, q.clone()).await.unwrap();
        points.extend(s.points);
        match s.next_from {
            Some(f) => q.from = f,
            None => return points,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_node_answers_as_a_single_engine() {
    let test = "every_node_answers_as_a_single_engine";
    let Some(nats) = or_skip(test, NatsCluster::start(3)) else {
        return;
    };
    let nodes = vec![
        start_node(&nats, "q1").await,
        start_node(&nats, "q2").await,
        start_node(&nats, "q3").await,
    ];
    settled(&nodes).await;

    let single_dir = tempfile::tempdir().unwrap();
    let single = ironloom_tsdb::Engine::open(single_dir.path(), options()).unwrap();
    let single: &dyn TelemetryStore = &single;

    let (ta, tb, tc) = (TenantId::new(), TenantId::new(), TenantId::new());
    let da = devices(12);
    let db = devices(3);
    let base = chrono::Utc::now().timestamp_micros() - 600_000_000;
    // Written through different nodes, twice (the second round overwrites some points);
    // the cluster's writes are readable when they return.
    let product = Some(ProductId::new());
    let writes = [
        (ta, batch(&da, base, 0, product)),
        (tb, batch(&db, base, 5, None)),
        (ta, batch(&da[..5], base, 1, product)),
    ];
    for (i, (tenant, b)) in writes.iter().enumerate() {
        let a = single.write(*tenant, b.clone()).await.unwrap();
        let c = nodes[i % nodes.len()]
            .store
            .write(*tenant, b.clone())
            .await
            .unwrap();
        assert_eq!(a, c, "write outcome");
    }

    let all_props = Selection::default();
    let picked = Selection {
        devices: vec![da[7], da[2], db[0], da[2], DeviceId::new(), da[11], da[0]],
        properties: vec!["state".into(), "temp".into(), "missing".into()],
    };
    let picked_all_props = Selection {
        devices: picked.devices.clone(),
        properties: Vec::new(),
    };
    // The engine reads a repeated device's in-memory points only once in aggregates and
    // history (its first mention takes them), so those compare without repeats.
    let once = |s: &Selection| {
        let mut seen = std::collections::HashSet::new();
        Selection {
            devices: s
                .devices
                .iter()
                .copied()
                .filter(|d| seen.insert(*d))
                .collect(),
            properties: s.properties.clone(),
        }
    };
    let (picked_once, picked_all_props_once) = (once(&picked), once(&picked_all_props));
    for (n, node) in nodes.iter().enumerate() {
        let cluster: &dyn TelemetryStore = node.store.as_ref();
        let ctx = |what: &str| format!("node q{}: {what}", n + 1);
        for tenant in [ta, tb] {
            // latest and series: explicit selections keep their order (repeats too),
            // an empty one is every device.
            for sel in [&picked, &picked_all_props] {
                assert_eq!(
                    cluster.latest(tenant, sel.clone()).await.unwrap(),
                    single.latest(tenant, sel.clone()).await.unwrap(),
                    "{}",
                    ctx("latest, explicit")
                );
                assert_eq!(
                    cluster.series(tenant, sel.clone()).await.unwrap(),
                    single.series(tenant, sel.clone()).await.unwrap(),
                    "{}",
                    ctx("series, explicit")
                );
            }
            let want = single.latest(tenant, all_props.clone()).await.unwrap();
            assert!(!want.is_empty());
            assert_eq!(
                cluster.latest(tenant, all_props.clone()).await.unwrap(),
                by_device(&want, |l| l.device),
                "{}",
                ctx("latest, all")
            );
            let want = single.series(tenant, all_props.clone()).await.unwrap();
            assert_eq!(
                cluster.series(tenant, all_props.clone()).await.unwrap(),
                by_device(&want, |s| s.device),
                "{}",
                ctx("series, all")
            );

            // Aggregates, every function, windows cut by the range.
            let aggregations = vec![
                Aggregation::Min,
                Aggregation::Max,
                Aggregation::Avg,
                Aggregation::Sum,
                Aggregation::Count,
                Aggregation::First,
                Aggregation::Last,
                Aggregation::Stddev,
                Aggregation::Percentile(95.0),
            ];
            for sel in [&picked_once, &picked_all_props_once, &all_props] {
                let q = AggregateQuery {
                    selection: sel.clone(),
                    from: base + 1_500_000,
                    to: base + 17_300_000,
                    window: 4_000_000,
                    aggregations: aggregations.clone(),
                };
                let want = single.aggregate(tenant, q.clone()).await.unwrap();
                let want = if sel.devices.is_empty() {
                    by_device(&want, |a| a.device)
                } else {
                    want
                };
                assert_eq!(
                    cluster.aggregate(tenant, q).await.unwrap(),
                    want,
                    "{}",
                    ctx("aggregate")
                );
            }

            // History in both orders, page by page, cursors and all.
            for (sel, limit) in [
                (&all_props, 97),
                (&picked_once, 7),
                (&picked_all_props_once, 13),
            ] {
                for order in [Order::Asc, Order::Desc] {
                    let q = HistoryQuery {
                        selection: sel.clone(),
                        from: base + 2_000_000,
                        to: base + 40_000_000,
                        order,
                        limit,
                        cursor: None,
                    };
                    let want = pages(single, tenant, &q).await;
                    let got = pages(cluster, tenant, &q).await;
                    assert!(want.len() > 1, "several pages");
                    assert_eq!(got, want, "{}", ctx(&format!("history {order:?} {limit}")));
                    // A cursor of one continues on the other.
                    let q2 = HistoryQuery {
                        cursor: want[0].next_cursor.clone(),
                        ..q.clone()
                    };
                    assert_eq!(
                        cluster.history(tenant, q2.clone()).await.unwrap(),
                        want[1],
                        "{}",
                        ctx("engine cursor on the cluster")
                    );
                    let q3 = HistoryQuery {
                        cursor: got[0].next_cursor.clone(),
                        ..q
                    };
                    assert_eq!(
                        single.history(tenant, q3).await.unwrap(),
                        got[1],
                        "{}",
                        ctx("cluster cursor on the engine")
                    );
                }
            }

            // Properties, and every series scanned slice by slice.
            let devices = if tenant == ta { &da } else { &db };
            for d in devices {
                let props = single.properties(tenant, *d).await.unwrap();
                assert_eq!(
                    cluster.properties(tenant, *d).await.unwrap(),
                    props,
                    "{}",
                    ctx("properties")
                );
                for (property, _) in props {
                    let want = scan_all(single, tenant, *d, &property, base).await;
                    assert!(!want.is_empty());
                    assert_eq!(
                        scan_all(cluster, tenant, *d, &property, base).await,
                        want,
                        "{}",
                        ctx("scan")
                    );
                }
            }

            let (want, got) = (
                single.stats(tenant).await.unwrap(),
                cluster.stats(tenant).await.unwrap(),
            );
            assert_eq!(got.tenant, tenant);
            assert_eq!(got.series, want.series, "{}", ctx("stats series"));
            assert_eq!(
                got.points + got.unflushed_points,
                want.points + want.unflushed_points,
                "{}",
                ctx("stats points")
            );
        }

        // The queries' own checks come back as the engine's errors.
        let bad = HistoryQuery {
            selection: Selection::default(),
            from: base,
            to: base,
            order: Order::Asc,
            limit: 10,
            cursor: None,
        };
        let e = cluster.history(ta, bad.clone()).await.unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{e}");
        assert_eq!(
            e.to_string(),
            single.history(ta, bad).await.unwrap_err().to_string()
        );
        let e = cluster
            .history(
                ta,
                HistoryQuery {
                    selection: Selection::default(),
                    from: base,
                    to: base + 1,
                    order: Order::Asc,
                    limit: 10,
                    cursor: Some("zz".into()),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{e}");

        // Tenants are apart: another tenant sees nothing of them, even by device id.
        assert!(
            cluster
                .latest(tc, Selection::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(cluster.series(tc, picked.clone()).await.unwrap().is_empty());
        assert!(cluster.properties(tc, da[0]).await.unwrap().is_empty());
        let h = cluster
            .history(
                tc,
                HistoryQuery {
                    selection: picked_all_props.clone(),
                    from: base,
                    to: base + 60_000_000,
                    order: Order::Asc,
                    limit: 100,
                    cursor: None,
                },
            )
            .await
            .unwrap();
        assert!(h.points.is_empty() && h.next_cursor.is_none());
        assert_eq!(cluster.stats(tc).await.unwrap().series, 0);
        let only_b: Vec<DeviceId> = cluster
            .series(tb, Selection::default())
            .await
            .unwrap()
            .iter()
            .map(|s| s.device)
            .collect();
        assert!(only_b.iter().all(|d| db.contains(d)), "{}", ctx("tenant b"));
    }

    // A retention policy set on one node holds on every node.
    let policy = RetentionPolicy {
        tenant: ta,
        product,
        keep: Some(Duration::from_secs(30 * 86_400)),
    };
    nodes[0].store.set_retention(policy.clone()).await.unwrap();
    for node in &nodes {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if node.store.retention(ta).await.unwrap() == vec![policy.clone()] {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "retention everywhere"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_without_an_owner_is_overloaded() {
    let test = "a_partition_without_an_owner_is_overloaded";
    let Some(nats) = or_skip(test, NatsCluster::start(3)) else {
        return;
    };
    let node = start_node(&nats, "lonely").await;
    settled(std::slice::from_ref(&node)).await;
    // The node hands its partitions back and stops answering: nobody owns them now.
    node.cancel.cancel();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if node.node.owned().is_empty() {
            // Past a tick that was running when the node was stopped.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            if node.node.owned().is_empty() {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "partitions released"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = std::time::Instant::now();
    let e = node
        .store
        .latest(TenantId::new(), Selection::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "overloaded", "{e}");
    assert!(e.to_string().contains("has no owner yet"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // A query nobody accepts goes out again: an owner that appears during the wait (here
    // a stand-in on the partition's subject that lets the first request pass) answers it.
    let p = 3;
    let device = std::iter::repeat_with(DeviceId::new)
        .find(|d| partition_of(*d, PARTITIONS) == p)
        .unwrap();
    let client = async_nats::connect(nats.url(0)).await.unwrap();
    let mut requests = client
        .subscribe(ironloom_cluster::query::query_subject(p))
        .await
        .unwrap();
    client.flush().await.unwrap();
    // The subscription reaches the other servers of the cluster.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let owner = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(m) = futures_util::StreamExt::next(&mut requests).await {
            seen += 1;
            if seen < 2 {
                continue;
            }
            let reply = m.reply.unwrap();
            let answer =
                ironloom_cluster::query::Reply::Ok(ironloom_cluster::query::Answer::Latest {
                    items: Vec::new(),
                    more_after: None,
                });
            client
                .publish(reply.clone(), Vec::new().into())
                .await
                .unwrap();
            client
                .publish(reply, serde_json::to_vec(&answer).unwrap().into())
                .await
                .unwrap();
            client.flush().await.unwrap();
            return seen;
        }
        seen
    });
    let started = std::time::Instant::now();
    let sel = Selection {
        devices: vec![device],
        properties: Vec::new(),
    };
    let got = node.store.latest(TenantId::new(), sel).await;
    assert_eq!(got.unwrap(), Vec::new());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(owner.await.unwrap(), 2, "answered the second request");
}
