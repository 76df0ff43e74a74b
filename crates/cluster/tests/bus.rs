//! The bus conformance checks against a cluster node's bus on a real 3-node NATS
//! JetStream cluster: events raised at the edge travel through the device's partition and
//! are announced by the partition's owner (here the same node, owning every partition).
//! Skipped with a SKIPPED line when nats-server is not on PATH, unless
//! IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ironloom_bus::{EventBus, LocalBus, conformance};
use ironloom_cluster::bus::ClusterBus;
use ironloom_cluster::config::ByteSize;
use ironloom_cluster::log::JetStreamLog;
use ironloom_cluster::owner::Materializer;
use ironloom_cluster::{ClusterConfig, Layout};
use ironloom_core::telemetry::TelemetryStore;
use ironloom_testkit::peers::NatsCluster;
use tokio_util::sync::CancellationToken;

const PARTITIONS: u32 = 4;

async fn cluster_bus(
    nats: &NatsCluster,
    dir: &std::path::Path,
) -> (Arc<dyn EventBus>, CancellationToken) {
    let config = ClusterConfig {
        nats_urls: nats.urls(),
        partitions: PARTITIONS,
        stream_shards: 2,
        replicas: 3,
        stream_max_bytes: ByteSize(64 << 20),
        ..ClusterConfig::default()
    };
    let layout = Layout::ensure(&config).await.unwrap();
    let opts = ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    };
    let store: Arc<dyn TelemetryStore> =
        Arc::new(ironloom_tsdb::Engine::open(dir, opts.clone()).unwrap());
    let local = LocalBus::new();
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
        store,
        bus: local.clone(),
    };
    for p in 0..PARTITIONS {
        m.start(p, 1, cancel.clone());
    }
    (ClusterBus::start(local, log), cancel)
}

/// Each check on its own streams (a fresh NATS cluster), as each runs on a fresh bus.
macro_rules! checks {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(nats) = ironloom_testkit::peers::or_skip(stringify!($name), NatsCluster::start(3)) else {
                return;
            };
            let dir = tempfile::tempdir().unwrap();
            let (bus, cancel) = cluster_bus(&nats, dir.path()).await;
            conformance::$name(bus).await;
            cancel.cancel();
        }
    )*};
}

checks!(
    consumer_sees_only_its_tenants,
    consumer_sees_only_its_sources,
    no_interest_no_events,
    order_is_kept,
    publish_wait_loses_nothing,
    publish_never_blocks,
    every_consumer_gets_everything,
    a_dropped_consumer_is_forgotten,
    live_views_see_all,
);
