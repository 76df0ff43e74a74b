//! Sealed segments in object storage, with real parts: a 3-server NATS JetStream cluster,
//! SeaweedFS's S3 gateway and PostgreSQL (the manifest and the fences). An owner seals
//! its partitions into the bucket and the streams forget what is sealed; a second node
//! takes the partitions from the bucket and the streams' tail and answers every point
//! written; object storage stopped for a while loses nothing; an owner whose epoch was
//! taken records no seal.
//!
//! Needs nats-server and weed on PATH and `IRONLOOM_TEST_PG_URL`; skipped otherwise
//! unless IRONLOOM_REQUIRE_PEERS=1 / IRONLOOM_REQUIRE_PG=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use ironloom_bus::{IngestLog, LocalBus, LogItem};
use ironloom_cluster::config::ByteSize;
use ironloom_cluster::node::{ClusterNode, NodeParts, Storage};
use ironloom_cluster::seal::{PartitionSeal, SealError, SealJob, Sealer};
use ironloom_cluster::{ClusterConfig, ClusterTelemetry, ObjectStoreConfig};
use ironloom_core::cluster::{ClusterStore, ClusterView};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_testkit::peers::{NatsCluster, SeaweedS3, or_skip};
use object_store::ObjectStoreExt;
use tokio_util::sync::CancellationToken;

const PARTITIONS: u32 = 2;

/// A fresh database on the test PostgreSQL server, or None (skipped).
async fn database(test: &str) -> Option<Arc<dyn ClusterStore>> {
    let Ok(url) = std::env::var("IRONLOOM_TEST_PG_URL") else {
        assert!(
            !std::env::var("IRONLOOM_REQUIRE_PG").is_ok_and(|v| v == "1"),
            "{test}: IRONLOOM_REQUIRE_PG=1 but IRONLOOM_TEST_PG_URL is not set"
        );
        eprintln!("SKIPPED {test}: IRONLOOM_TEST_PG_URL not set");
        return None;
    };
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let db = format!("ironloom_seg_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let store = ironloom_meta::SqlStore::open(&format!("{base}/{db}"), &Default::default())
        .await
        .unwrap();
    Some(Arc::new(store))
}

/// The peers of one test.
struct Peers {
    nats: NatsCluster,
    s3: SeaweedS3,
    meta: Arc<dyn ClusterStore>,
    objects: Arc<dyn object_store::ObjectStore>,
}

async fn peers(test: &str) -> Option<Peers> {
    let nats = or_skip(test, NatsCluster::start(3))?;
    let s3 = or_skip(test, SeaweedS3::start())?;
    let meta = database(test).await?;
    let config = ObjectStoreConfig {
        endpoint: s3.endpoint(),
        bucket: s3.bucket().into(),
        region: s3.region().into(),
        access_key_id: s3.access_key().into(),
        allow_http: true,
        ..ObjectStoreConfig::default()
    };
    let objects =
        Arc::new(ironloom_cluster::store::open_with_secret(&config, s3.secret_key()).unwrap());
    Some(Peers {
        nats,
        s3,
        meta,
        objects,
    })
}

struct Node {
    parts: NodeParts,
    store: Arc<ClusterTelemetry>,
    cancel: CancellationToken,
    dir: Arc<tempfile::TempDir>,
}

impl Node {
    /// Stops the node as on SIGTERM: its partitions sealed and handed back (its NATS
    /// connection stays, to append to the streams).
    async fn stop(&self) {
        self.cancel.cancel();
        self.parts.node.release_all().await;
    }
}

async fn node(p: &Peers, name: &str) -> Node {
    node_in(p, name, Arc::new(tempfile::tempdir().unwrap())).await
}

/// A node on the data directory `dir` (a node started again keeps its files).
async fn node_in(p: &Peers, name: &str, dir: Arc<tempfile::TempDir>) -> Node {
    let config = ClusterConfig {
        nats_urls: p.nats.urls(),
        node: name.into(),
        partitions: PARTITIONS,
        stream_shards: 1,
        replicas: 3,
        stream_max_bytes: ByteSize(64 << 20),
        lease_ttl: ironloom_cluster::config::Duration(Duration::from_secs(3)),
        seal_interval: ironloom_cluster::config::Duration(Duration::from_secs(1)),
        memtable_budget: ByteSize(8 << 20),
        object_store: ObjectStoreConfig {
            prefix: "seg-test".into(),
            ..ObjectStoreConfig::default()
        },
        ..ClusterConfig::default()
    };
    let options = ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    };
    // The node engine of an earlier run on this directory may still be open.
    let policies = ironloom_tsdb::Engine::open(
        &dir.path()
            .join(format!("tsdb-{}", uuid::Uuid::new_v4().simple())),
        options.clone(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let parts = ClusterNode::start(
        &config,
        Some(p.meta.clone()),
        Storage {
            policies,
            options,
            objects: Some(p.objects.clone()),
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
        parts,
        store,
        cancel,
        dir,
    }
}

async fn within<T, F: std::future::Future<Output = Option<T>>>(
    secs: u64,
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not in time: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn owns_all(n: &Node) {
    within(20, "the node owns every partition", || async {
        (n.parts.node.owned().len() == PARTITIONS as usize
            && (0..PARTITIONS).all(|p| n.parts.node.engine(p).is_some()))
        .then_some(())
    })
    .await;
}

/// What was written: per device, its points of `t` (f64) and `s` (string) by time.
type Written = BTreeMap<DeviceId, Vec<(Micros, Value)>>;

/// `n` more points of every device (after those in `w`, a millisecond apart, from an
/// hour ago), recorded in `w`.
fn batches(devices: &[DeviceId], n: i64, w: &mut Written) -> Vec<DeviceBatch> {
    static BASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(|| chrono::Utc::now().timestamp_micros() - 3_600_000_000);
    devices
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let start = w.get(d).map_or(0, Vec::len) as i64;
            let points: Vec<PointIn> = (start..start + n)
                .map(|i| {
                    let value = if k % 2 == 0 {
                        Value::F64(i as f64 * 1.25 + k as f64)
                    } else {
                        Value::Str(format!("v{i}-{k}"))
                    };
                    PointIn {
                        property: if k % 2 == 0 { "t" } else { "s" }.into(),
                        ts: base + i * 1000 + k as i64,
                        value,
                        quality: Quality::Good,
                    }
                })
                .collect();
            let e = w.entry(*d).or_default();
            e.extend(points.iter().map(|p| (p.ts, p.value.clone())));
            DeviceBatch {
                device: *d,
                product: None,
                points,
            }
        })
        .collect()
}

/// Every point of every device through `store`, compared with what was written.
async fn check_all(store: &ClusterTelemetry, tenant: TenantId, w: &Written) {
    for (d, want) in w {
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .history(
                    tenant,
                    HistoryQuery {
                        selection: Selection {
                            devices: vec![*d],
                            properties: Vec::new(),
                        },
                        from: 0,
                        to: i64::MAX,
                        limit: 10_000,
                        order: Order::Asc,
                        cursor: cursor.clone(),
                    },
                )
                .await
                .unwrap();
            got.extend(page.points.iter().map(|p| (p.ts, p.value.clone())));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(got.len(), want.len(), "device {d}: count");
        if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
            panic!(
                "device {d}: point {i} is {:?}, written {:?}",
                got[i], want[i]
            );
        }
    }
}

/// Records of partition `p` still in its stream.
async fn in_stream(n: &Node, p: u32) -> usize {
    let js = async_nats::jetstream::new(n.parts.node.client().clone());
    let stream = js
        .get_stream(ironloom_cluster::nats::stream_name(0))
        .await
        .unwrap();
    let mut info = stream
        .info_with_subjects(format!("il.in.{p}.*"))
        .await
        .unwrap();
    let mut count = 0;
    while let Some((_, c)) = info.try_next().await.unwrap() {
        count += c;
    }
    count
}

/// Waits until partition `p`'s stream holds nothing (trimmed up to what is sealed and
/// in the rule checkpoint, recorded every tick).
async fn trimmed(n: &Node, p: u32) {
    within(10, &format!("p{p}'s stream trimmed"), || async {
        (in_stream(n, p).await == 0).then_some(())
    })
    .await;
}

/// Waits until every owned partition is sealed up to what it applied, with no error.
async fn sealed_up(n: &Node) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all = n.parts.node.owned();
        let states: Vec<_> = all
            .iter()
            .map(|s| (s.applied, n.parts.node.sealed(s.partition)))
            .collect();
        if states.iter().all(|(applied, sealed)| {
            sealed
                .as_ref()
                .is_some_and(|(seq, _, err, _)| seq == applied && *applied > 0 && err.is_none())
        }) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not in time: every partition sealed up to what it applied: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn append(n: &Node, tenant: TenantId, batch: Vec<DeviceBatch>) {
    let items = batch
        .into_iter()
        .map(|batch| LogItem {
            batch,
            announce: None,
        })
        .collect();
    let log: Arc<dyn IngestLog> = n.parts.log.clone();
    let (_, durable) = log.append(tenant, items).await.unwrap();
    durable.await.unwrap();
}

fn devices() -> Vec<DeviceId> {
    // Both partitions get devices.
    let mut out = Vec::new();
    let mut per = [0; PARTITIONS as usize];
    while per.iter().any(|c| *c < 3) {
        let d = DeviceId::new();
        let p = ironloom_cluster::partition_of(d, PARTITIONS) as usize;
        if per[p] < 3 {
            per[p] += 1;
            out.push(d);
        }
    }
    out
}

/// A started test: its peers, node `a` owning every partition with 100 points of each
/// device written and sealed.
struct Start {
    peers: Peers,
    tenant: TenantId,
    devices: Vec<DeviceId>,
    written: Written,
    a: Node,
}

async fn start(test: &str) -> Option<Start> {
    let peers = peers(test).await?;
    let tenant = TenantId::new();
    let devices = devices();
    let mut written = Written::new();
    let a = node(&peers, "a").await;
    owns_all(&a).await;
    a.store
        .write(tenant, batches(&devices, 100, &mut written))
        .await
        .unwrap();
    sealed_up(&a).await;
    Some(Start {
        peers,
        tenant,
        devices,
        written,
        a,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_reads_the_sealed_segments_and_the_streams_tail() {
    let Some(Start {
        peers,
        tenant,
        devices,
        mut written,
        a,
    }) = start("a_new_owner_reads_the_sealed_segments_and_the_streams_tail").await
    else {
        return;
    };
    // More, in several seals (larger ones, measured).
    for _ in 0..2 {
        a.store
            .write(tenant, batches(&devices, 2000, &mut written))
            .await
            .unwrap();
        sealed_up(&a).await;
    }
    let points: usize = written.values().map(Vec::len).sum();
    let mut bucket = 0;
    for p in 0..PARTITIONS {
        bucket += peers
            .meta
            .segments(p)
            .await
            .unwrap()
            .iter()
            .map(|s| s.bytes)
            .sum::<u64>();
        let took = a.parts.node.seal_took(p);
        eprintln!("MEASURED p{p}: last seal (about 6000 points) took {took:?}");
    }
    eprintln!(
        "MEASURED {points} points ({} devices, f64 and strings): {bucket} bytes of live segments, {:.2} bytes a point",
        devices.len(),
        bucket as f64 / points as f64
    );

    // The manifest lists segments, each in the bucket with its size, and a latest-value
    // table; the streams no longer hold what is sealed.
    for p in 0..PARTITIONS {
        let row = peers.meta.partition(p).await.unwrap().unwrap();
        let applied = a.parts.node.applied(p).unwrap();
        assert!(row.sealed_seq >= applied && applied > 0, "p{p}: {row:?}");
        let segments = peers.meta.segments(p).await.unwrap();
        assert!(!segments.is_empty(), "p{p}: no segments recorded");
        for s in &segments {
            assert!(
                s.key.starts_with(&format!("seg-test/p{p}/{tenant}/")),
                "{}",
                s.key
            );
            let meta = peers
                .objects
                .head(&object_store::path::Path::from(s.key.as_str()))
                .await
                .unwrap();
            assert_eq!(meta.size, s.bytes, "{}", s.key);
        }
        let latest = row.latest_key.expect("a latest-value table is recorded");
        peers
            .objects
            .head(&object_store::path::Path::from(latest.as_str()))
            .await
            .unwrap();
        trimmed(&a, p).await;
    }
    let health = a.parts.node.health().await;
    assert_eq!(health.object_store.state, "ok");
    assert!(
        health
            .owners
            .iter()
            .all(|o| o.sealed_seq.is_some() && o.sealed_at.is_some())
    );

    // The owner hands the partitions back; more data arrives while nobody owns them.
    a.stop().await;
    assert!(a.parts.node.owned().is_empty());
    append(&a, tenant, batches(&devices, 50, &mut written)).await;
    for p in 0..PARTITIONS {
        assert!(
            in_stream(&a, p).await > 0,
            "p{p}: the tail is in the stream"
        );
    }

    // A second node takes the partitions: the bucket's segments and the streams' tail.
    let b = node(&peers, "b").await;
    owns_all(&b).await;
    within(20, "b applied the tail", || async {
        (0..PARTITIONS)
            .all(|p| {
                b.parts
                    .node
                    .owned()
                    .iter()
                    .any(|s| s.partition == p && s.pending == 0 && s.applied > 0)
            })
            .then_some(())
    })
    .await;
    check_all(&b.store, tenant, &written).await;
    let latest = b
        .store
        .latest(
            tenant,
            Selection {
                devices: devices.clone(),
                properties: Vec::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(latest.len(), devices.len(), "every device's latest value");
    b.stop().await;
}

/// How long object storage stays down: 8 s by default, which keeps the test short and
/// covers several failed, backed-off seal attempts; `IRONLOOM_TEST_S3_OUTAGE_SECS=60`
/// gives the minute.
fn outage() -> Duration {
    let secs = std::env::var("IRONLOOM_TEST_S3_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    Duration::from_secs(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_storage_down_loses_nothing_and_seals_later() {
    let Some(Start {
        mut peers,
        tenant,
        devices,
        mut written,
        a,
    }) = start("object_storage_down_loses_nothing_and_seals_later").await
    else {
        return;
    };
    let before: Vec<u64> = (0..PARTITIONS)
        .map(|p| a.parts.node.sealed(p).unwrap().0)
        .collect();

    // Object storage goes away: ingest is still acknowledged and applied, seals fail and
    // are retried, and the streams keep everything not sealed.
    peers.s3.kill();
    for _ in 0..3 {
        a.store
            .write(tenant, batches(&devices, 100, &mut written))
            .await
            .unwrap();
    }
    tokio::time::sleep(outage()).await;
    let health = a.parts.node.health().await;
    assert_eq!(health.object_store.state, "failing", "{health:?}");
    assert!(health.object_store.last_error.is_some());
    assert!(health.object_store.unsealed_records > 0, "{health:?}");
    for p in 0..PARTITIONS {
        let (sealed, _, error, unsealed) = a.parts.node.sealed(p).unwrap();
        assert_eq!(
            sealed, before[p as usize],
            "p{p}: sealed while the store was down"
        );
        assert!(error.is_some() && unsealed > 0, "p{p}");
        assert_eq!(
            peers.meta.partition(p).await.unwrap().unwrap().sealed_seq,
            before[p as usize]
        );
        assert!(
            in_stream(&a, p).await > 0,
            "p{p}: the stream kept the unsealed records"
        );
    }
    check_all(&a.store, tenant, &written).await;

    // Back: the segments upload, the streams are trimmed.
    peers.s3.restart().unwrap();
    sealed_up(&a).await;
    for p in 0..PARTITIONS {
        assert!(a.parts.node.sealed(p).unwrap().0 > before[p as usize]);
        trimmed(&a, p).await;
    }
    assert_eq!(a.parts.node.health().await.object_store.state, "ok");

    // Nothing lost: a new node reads it all from the bucket.
    a.stop().await;
    let b = node(&peers, "b").await;
    owns_all(&b).await;
    check_all(&b.store, tenant, &written).await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_whose_epoch_was_taken_records_no_seal() {
    let Some(Start {
        peers,
        tenant,
        devices,
        mut written,
        a,
    }) = start("an_owner_whose_epoch_was_taken_records_no_seal").await
    else {
        return;
    };
    let p = 0;
    let row = peers.meta.partition(p).await.unwrap().unwrap();
    let segments = peers.meta.segments(p).await.unwrap();

    // Another claim is recorded (as by a node that took the lease while `a` was cut
    // off): `a` still holds its lease and applies, but its seals are refused.
    let stolen = peers
        .meta
        .claim_partition(p, "thief", u64::MAX / 2)
        .await
        .unwrap()
        .expect("the claim is recorded");
    assert!(stolen > row.epoch);
    let more = batches(&devices, 100, &mut written);
    append(&a, tenant, more).await;
    within(20, "a gives the partition up", || async {
        (!a.parts.node.owns(p)).then_some(())
    })
    .await;
    let after = peers.meta.partition(p).await.unwrap().unwrap();
    assert_eq!(
        after.sealed_seq, row.sealed_seq,
        "a fenced seal moved the sealed sequence"
    );
    assert_eq!(after.latest_key, row.latest_key);
    assert_eq!(
        peers.meta.segments(p).await.unwrap(),
        segments,
        "a fenced seal recorded segments"
    );
    assert!(
        in_stream(&a, p).await > 0,
        "nothing trimmed for a fenced seal"
    );
    // The seal itself, with a stale epoch, on the partition `a` still owns: refused, and
    // the manifest is as it was.
    assert!(a.parts.node.owns(1));
    let row1 = peers.meta.partition(1).await.unwrap().unwrap();
    let segments1 = peers.meta.segments(1).await.unwrap();
    let sealer = Sealer {
        objects: peers.objects.clone(),
        prefix: "seg-test".into(),
        fences: peers.meta.clone(),
        js: async_nats::jetstream::new(a.parts.node.client().clone()),
        shards: 1,
        interval: Duration::from_secs(1),
    };
    let job = SealJob {
        partition: 1,
        epoch: row1.epoch - 1,
        engine: a.parts.node.engine(1).unwrap(),
        applied: row1.sealed_seq + 1_000,
        records: 0,
        trim_to: u64::MAX,
        seal: Arc::new(PartitionSeal::default()),
    };
    assert!(matches!(sealer.seal(&job).await, Err(SealError::Fenced)));
    // What the refused seal uploaded (keys of its stale epoch, in no manifest row) left
    // the bucket again.
    let stale = format!("/e{}-", row1.epoch - 1);
    let all: Vec<object_store::ObjectMeta> = peers
        .objects
        .list(Some(&object_store::path::Path::from("seg-test/p1")))
        .try_collect()
        .await
        .unwrap();
    let left: Vec<String> = all
        .into_iter()
        .map(|o| o.location.to_string())
        .filter(|k| k.contains(&stale) && !segments1.iter().any(|r| &r.key == k))
        .filter(|k| row1.latest_key.as_deref() != Some(k.as_str()))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "a fenced seal's uploads stayed");
    let after1 = peers.meta.partition(1).await.unwrap().unwrap();
    assert_eq!(
        (after1.sealed_seq, after1.latest_key),
        (row1.sealed_seq, row1.latest_key)
    );
    assert_eq!(peers.meta.segments(1).await.unwrap(), segments1);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returning_owner_keeps_its_files_only_while_they_are_as_new_as_the_manifest() {
    let Some(Start {
        peers,
        tenant,
        devices,
        mut written,
        a,
    }) =
        start("a_returning_owner_keeps_its_files_only_while_they_are_as_new_as_the_manifest").await
    else {
        return;
    };
    a.stop().await;

    // Started again on its files, with nobody having sealed since: it keeps them. (The
    // bucket's objects are away meanwhile, so it could not have read them from there.)
    let mut away = Vec::new();
    for p in 0..PARTITIONS {
        for s in peers.meta.segments(p).await.unwrap() {
            let path = object_store::path::Path::from(s.key.as_str());
            let body = peers
                .objects
                .get(&path)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            peers.objects.delete(&path).await.unwrap();
            away.push((path, body));
        }
    }
    let again = node_in(&peers, "a", a.dir.clone()).await;
    owns_all(&again).await;
    check_all(&again.store, tenant, &written).await;
    again.stop().await;
    for (path, body) in away {
        peers.objects.put(&path, body.into()).await.unwrap();
    }

    // Another node owns the partitions, writes and seals more (and the streams forget
    // it): the first node's files are behind the manifest now, so it reads the bucket.
    let b = node(&peers, "b").await;
    owns_all(&b).await;
    b.store
        .write(tenant, batches(&devices, 100, &mut written))
        .await
        .unwrap();
    sealed_up(&b).await;
    b.stop().await;
    for p in 0..PARTITIONS {
        trimmed(&b, p).await;
    }
    let back = node_in(&peers, "a", a.dir.clone()).await;
    owns_all(&back).await;
    check_all(&back.store, tenant, &written).await;
    back.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_replaced_by_compaction_leave_the_bucket_after_the_grace_period() {
    let Some(Start {
        peers,
        tenant,
        devices,
        mut written,
        a,
    }) = start("segments_replaced_by_compaction_leave_the_bucket_after_the_grace_period").await
    else {
        return;
    };
    // One small segment per seal and partition; at eight the engine compacts them.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        a.store
            .write(tenant, batches(&devices, 20, &mut written))
            .await
            .unwrap();
        sealed_up(&a).await;
        seen.extend(
            peers
                .meta
                .segments(0)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.key),
        );
    }
    let first: Vec<String> = seen.into_iter().collect();
    // Compacted, sealed (inputs marked replaced), and after ten seal intervals the
    // inputs are gone from the bucket and the manifest.
    let gone = within(60, "a replaced segment deleted", || async {
        let live: Vec<String> = peers
            .meta
            .segments(0)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.key)
            .collect();
        let replaced = peers
            .meta
            .replaced_segments(chrono::Utc::now())
            .await
            .unwrap();
        let mut gone = Vec::new();
        for k in first.iter().filter(|k| !live.contains(k)) {
            let in_bucket = peers
                .objects
                .head(&object_store::path::Path::from(k.as_str()))
                .await
                .is_ok();
            if !in_bucket && !replaced.iter().any(|r| &r.key == k) {
                gone.push(k.clone());
            }
        }
        (!gone.is_empty()).then_some(gone)
    })
    .await;
    assert!(!gone.is_empty());
    // Everything is still there, and a new owner reads it from the bucket.
    a.stop().await;
    let b = node(&peers, "b").await;
    owns_all(&b).await;
    check_all(&b.store, tenant, &written).await;
    b.stop().await;
}
