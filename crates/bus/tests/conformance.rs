//! The bus conformance checks against the in-process bus.

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
}

checks!(
    consumer_sees_only_its_tenants,
    consumer_sees_only_its_sources,
    no_interest_no_events,
    order_is_kept,
    publish_wait_waits_for_room,
    publish_never_blocks,
    every_consumer_gets_everything,
    a_dropped_consumer_is_forgotten,
    live_views_see_all_and_lag,
);
