//! The JetStream layout and partition leases against a real 3-node NATS cluster
//! (nats-server from scripts/install-test-peers.sh). Skipped with a SKIPPED line when
//! nats-server is not on PATH, unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::stream::DiscardPolicy;
use ironloom_cluster::config::{ByteSize, Duration};
use ironloom_cluster::lease::{Acquire, Holder, Lease, lease_key};
use ironloom_cluster::nats::{CLUSTER_KEY, ClusterRecord};
use ironloom_cluster::{ClusterConfig, ClusterError, Layout};
use ironloom_testkit::peers::{NatsCluster, or_skip};
use std::time::Instant;

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

fn config(nats: &NatsCluster, partitions: u32) -> ClusterConfig {
    ClusterConfig {
        nats_urls: nats.urls(),
        partitions,
        stream_shards: 4,
        replicas: 3,
        // Four R3 streams must fit the test servers' 1 GB file store.
        stream_max_bytes: ByteSize(64 << 20),
        lease_ttl: Duration(std::time::Duration::from_secs(2)),
        ..ClusterConfig::default()
    }
}

/// Waits until `leases` (another client's view) reads `want` as `p`'s holder: replicas
/// answer direct reads and may lag a moment behind a write.
async fn seen(leases: &ironloom_cluster::Leases, p: u32, want: Option<Holder>) {
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let got = leases.holder(p).await.unwrap();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "holder of {p}: {got:?}, expected {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn acquired(a: Acquire) -> Lease {
    match a {
        Acquire::Acquired(lease) => lease,
        Acquire::Held => panic!("the lease was expected to be free"),
    }
}

#[tokio::test]
async fn layout_is_created_once_and_checked() {
    let Some(nats) = or_skip("layout_is_created_once_and_checked", NatsCluster::start(3)) else {
        return;
    };
    let first = Layout::ensure(&config(&nats, 8)).await.unwrap();
    assert_eq!((first.record.partitions, first.record.shards), (8, 4));
    assert_eq!(first.record.format, 1);

    // The streams: partitions spread over the shards, R3, file, discard new, dedup 2 min.
    let js = &first.jetstream;
    for shard in 0..4u32 {
        let mut stream = js.get_stream(format!("IL_IN_{shard}")).await.unwrap();
        let info = stream.info().await.unwrap();
        let c = &info.config;
        let mut subjects = c.subjects.clone();
        subjects.sort();
        assert_eq!(
            subjects,
            [format!("il.in.{shard}.*"), format!("il.in.{}.*", shard + 4)]
        );
        assert_eq!(c.num_replicas, 3);
        assert_eq!(c.discard, DiscardPolicy::New);
        assert_eq!(c.duplicate_window.as_secs(), 120);
        assert_eq!(c.max_message_size, 1 << 20);
        assert_eq!(c.max_bytes, 64 << 20);
        assert_eq!(c.max_age.as_secs(), 7 * 86_400);
        assert_eq!(info.cluster.as_ref().unwrap().replicas.len(), 2);
    }
    // The buckets.
    assert_eq!(
        first.leases.stream.cached_info().config.max_age.as_secs(),
        2
    );
    assert_eq!(
        first.nodes.stream.cached_info().config.max_age.as_secs(),
        10
    );
    assert_eq!(
        first.sessions.stream.cached_info().config.max_age.as_secs(),
        0
    );
    for store in [&first.leases, &first.nodes, &first.sessions] {
        assert_eq!(store.stream.cached_info().config.num_replicas, 3);
        assert_eq!(
            store.stream.cached_info().config.max_messages_per_subject,
            1
        );
    }

    // A second node with the same shape, through another server: the same record.
    let mut same = config(&nats, 8);
    same.nats_urls = vec![nats.url(2)];
    let second = Layout::ensure(&same).await.unwrap();
    assert_eq!(second.record, first.record);
    let cluster_kv = first.jetstream.get_key_value("il_cluster").await.unwrap();
    let stored: ClusterRecord =
        serde_json::from_slice(&cluster_kv.get(CLUSTER_KEY).await.unwrap().unwrap()).unwrap();
    assert_eq!(stored, first.record);
    let history = cluster_kv.entry(CLUSTER_KEY).await.unwrap().unwrap();
    assert_eq!(history.revision, 1, "the record is written once");

    // A node configured with another number of partitions (or shards) is refused.
    let err = Layout::ensure(&config(&nats, 16)).await.unwrap_err();
    assert_eq!(err.code(), "cluster_layout_mismatch");
    let text = err.to_string();
    assert!(
        text.contains("partitions = 8") && text.contains("partitions = 16"),
        "{text}"
    );
    let mut shards = config(&nats, 8);
    shards.stream_shards = 2;
    let err = Layout::ensure(&shards).await.unwrap_err();
    assert!(err.to_string().contains("stream_shards = 4"), "{err}");
    // So is one with another lease TTL: the leases bucket's max age is the TTL.
    let mut ttl = config(&nats, 8);
    ttl.lease_ttl = Duration(std::time::Duration::from_secs(5));
    let err = Layout::ensure(&ttl).await.unwrap_err();
    assert!(err.to_string().contains("lease_ttl"), "{err}");
}

/// The §2.6 sequence this design relies on, so that a server upgrade that changes it fails
/// here first.
#[tokio::test]
async fn lease_semantics_hold_on_this_server() {
    let Some(nats) = or_skip("lease_semantics_hold_on_this_server", NatsCluster::start(3)) else {
        return;
    };
    let cfg = config(&nats, 8);
    // Three nodes, each connected to a server of its own.
    let mut layouts = Vec::new();
    for i in 0..3 {
        let mut c = cfg.clone();
        c.nats_urls = vec![nats.url(i)];
        layouts.push(Layout::ensure(&c).await.unwrap());
    }
    let (la, lb, lc) = (
        layouts[0].leases(),
        layouts[1].leases(),
        layouts[2].leases(),
    );
    let (a, b, c) = (Holder::new("a"), Holder::new("b"), Holder::new("c"));
    let p = 3;

    // A takes the free lease; B's acquire and B's raw create fail while A holds it.
    let mut a_lease = acquired(la.acquire(p, &a).await.unwrap());
    assert!(a_lease.is_valid());
    assert_eq!(lb.acquire(p, &b).await.unwrap(), Acquire::Held);
    let raw = lb
        .store()
        .create(lease_key(p), "b".into())
        .await
        .unwrap_err();
    assert_eq!(raw.kind(), kv::CreateErrorKind::AlreadyExists);
    seen(&lb, p, Some(a.clone())).await;

    // A renews: a new revision, and the lease outlives its first TTL.
    let first_rev = a_lease.revision;
    let renew_until = Instant::now() + la.ttl() + la.renew_interval();
    while Instant::now() < renew_until {
        tokio::time::sleep(la.renew_interval()).await;
        la.renew(&mut a_lease, &a).await.unwrap();
        assert_eq!(lb.acquire(p, &b).await.unwrap(), Acquire::Held);
    }
    assert!(a_lease.revision > first_rev);
    let stale_rev = a_lease.revision;

    // A stops renewing: the server removes the entry after the TTL and leaves a marker.
    let stopped = Instant::now();
    let marker = loop {
        let entry = lb.store().entry(lease_key(p)).await.unwrap();
        if let Some(e) = entry.filter(ironloom_cluster::lease::is_marker) {
            break e;
        }
        assert!(stopped.elapsed() < TIMEOUT, "no expiry marker appeared");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        stopped.elapsed() >= la.ttl() / 2,
        "the lease expired {:?} after the last renewal",
        stopped.elapsed()
    );
    assert!(
        !a_lease.is_valid(),
        "A's local deadline ends before the server's TTL"
    );
    assert_eq!(marker.operation, Operation::Purge, "{marker:?}");

    // B takes it over at the marker's revision; C's attempt then fails, as does a raw
    // update at the same marker revision.
    let b_lease = acquired(lb.acquire(p, &b).await.unwrap());
    assert!(b_lease.revision > marker.revision);
    assert_eq!(lc.acquire(p, &c).await.unwrap(), Acquire::Held);
    let raw = lc
        .store()
        .update(lease_key(p), "c".into(), marker.revision)
        .await
        .unwrap_err();
    assert_eq!(raw.kind(), kv::UpdateErrorKind::WrongLastRevision);
    seen(&lc, p, Some(b.clone())).await;

    // A's stale renewal fails: the lease is lost.
    let mut stale = a_lease.clone();
    assert_eq!(stale.revision, stale_rev);
    let err = la.renew(&mut stale, &a).await.unwrap_err();
    assert!(
        matches!(err, ClusterError::LeaseLost { partition: 3 }),
        "{err}"
    );
    // And so is a release at the stale revision: it must not free B's lease.
    let err = la.release(a_lease).await.unwrap_err();
    assert!(matches!(err, ClusterError::LeaseLost { .. }), "{err}");
    seen(&lc, p, Some(b.clone())).await;

    // B releases gracefully; C takes it at once, without waiting out the TTL.
    lb.release(b_lease).await.unwrap();
    let released = Instant::now();
    let c_lease = acquired(lc.acquire(p, &c).await.unwrap());
    assert!(
        released.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        released.elapsed()
    );
    seen(&la, p, Some(c.clone())).await;
    // Other partitions were never touched.
    assert_eq!(la.holder(p + 1).await.unwrap(), None);
    lc.release(c_lease).await.unwrap();
    seen(&la, p, None).await;
}
