//! The bus conformance checks against the in-process bus.

#![allow(clippy::expect_used)]

use std::sync::Arc;

use ironloom_bus::{EventBus, LocalBus, conformance};

fn local() -> Arc<dyn EventBus> {
    LocalBus::new()
}

macro_rules! checks {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            conformance::$name(local()).await;
        }
    )*};
    (local: $($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            conformance::local::$name(local()).await;
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

checks!(
    local: wants_follows_interest,
    publish_wait_waits_for_room,
    publish_drops_for_a_full_consumer,
    live_views_lag,
);

/// The ingest-log checks against a single node's log: its time-series engine.
mod ingest_log {
    use std::sync::Arc;

    use ironloom_bus::{IngestLog, LocalLog, conformance_log};
    use ironloom_core::telemetry::TelemetryStore;

    fn local(dir: &std::path::Path) -> (Arc<dyn IngestLog>, Arc<dyn TelemetryStore>) {
        let engine =
            ironloom_tsdb::Engine::open(dir, ironloom_tsdb::Options::default()).expect("engine");
        let store: Arc<dyn TelemetryStore> = Arc::new(engine);
        (Arc::new(LocalLog::new(store.clone())), store)
    }

    macro_rules! checks {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test]
            async fn $name() {
                let dir = tempfile::tempdir().expect("temp dir");
                let (log, store) = local(dir.path());
                conformance_log::$name(log, store).await;
            }
        )*};
    }

    checks!(
        appended_points_are_durable_and_readable,
        appends_of_one_device_keep_their_order,
    );
}
