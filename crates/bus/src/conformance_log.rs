//! What every [`IngestLog`] must do, checked against the store its data is read back
//! from: a single node's [`LocalLog`](crate::LocalLog) with its own engine, a cluster's
//! log with the partition owners behind the cluster's query path. Reads are retried for a
//! few seconds, since a cluster's owner applies the log after the append is durable.

#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::{
    DeviceBatch, LatestValue, PointIn, PointRejection, Quality, Selection, TelemetryStore, Value,
};

use crate::{IngestLog, LogItem};

fn item(device: DeviceId, points: Vec<PointIn>) -> LogItem {
    LogItem {
        batch: DeviceBatch {
            device,
            product: None,
            points,
        },
        announce: None,
    }
}

fn point(property: &str, ts: i64, value: Value) -> PointIn {
    PointIn {
        property: property.into(),
        ts,
        value,
        quality: Quality::Good,
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The latest values of `device`, once `ready` holds for them (or what there is after
/// ten seconds).
async fn latest_when(
    store: &dyn TelemetryStore,
    tenant: TenantId,
    device: DeviceId,
    ready: impl Fn(&[LatestValue]) -> bool,
) -> Vec<LatestValue> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let sel = Selection {
            devices: vec![device],
            properties: Vec::new(),
        };
        let got = store.latest(tenant, sel).await.unwrap_or_default();
        if ready(&got) || tokio::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An append refuses what the stateless checks refuse, indexed over the items' points in
/// order; what it accepts is readable once it is durable, and nothing of another tenant
/// is.
pub async fn appended_points_are_durable_and_readable(
    log: Arc<dyn IngestLog>,
    store: Arc<dyn TelemetryStore>,
) {
    let (tenant, other) = (TenantId::new(), TenantId::new());
    let (a, b) = (DeviceId::new(), DeviceId::new());
    let ts = now();
    let (outcome, durable) = log
        .append(
            tenant,
            vec![
                item(a, vec![point("t", ts, Value::F64(20.5))]),
                item(
                    b,
                    vec![
                        point("t", ts, Value::F64(f64::NAN)),
                        point("n", ts, Value::I64(7)),
                    ],
                ),
            ],
        )
        .await
        .expect("append");
    durable.await.expect("durable");
    assert_eq!(outcome.rejected.len(), 1, "{outcome:?}");
    assert_eq!(outcome.rejected[0].index, 1);
    assert_eq!(outcome.rejected[0].reason, PointRejection::NotFinite);
    assert_eq!(outcome.accepted, 2);
    let got = latest_when(&*store, tenant, a, |v| !v.is_empty()).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].value, Value::F64(20.5));
    let got = latest_when(&*store, tenant, b, |v| !v.is_empty()).await;
    assert_eq!(got.len(), 1, "only the valid point: {got:?}");
    assert_eq!(
        (got[0].property.as_str(), &got[0].value),
        ("n", &Value::I64(7))
    );
    let sel = Selection {
        devices: vec![a, b],
        properties: Vec::new(),
    };
    assert!(
        store
            .latest(other, sel)
            .await
            .unwrap_or_default()
            .is_empty(),
        "another tenant sees nothing"
    );
}

/// Appends of one device are applied in the order they were made, even when the next
/// starts before the previous is durable: of twenty values at one timestamp, the last
/// made is the one kept.
pub async fn appends_of_one_device_keep_their_order(
    log: Arc<dyn IngestLog>,
    store: Arc<dyn TelemetryStore>,
) {
    let tenant = TenantId::new();
    let device = DeviceId::new();
    let ts = now();
    let mut pending = Vec::new();
    for i in 0..20i64 {
        let (outcome, durable) = log
            .append(
                tenant,
                vec![item(device, vec![point("v", ts, Value::I64(i))])],
            )
            .await
            .expect("append");
        assert_eq!(outcome.accepted, 1);
        pending.push(durable);
    }
    for d in pending {
        d.await.expect("durable");
    }
    let got = latest_when(&*store, tenant, device, |v| {
        v.first().is_some_and(|l| l.value == Value::I64(19))
    })
    .await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].value, Value::I64(19));
}
