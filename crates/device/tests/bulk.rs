//! A bulk write of many devices through the hub (`DeviceHub::ingest_devices`, the path of
//! the InfluxDB line-protocol route): one durable write, yet each device checked against its
//! own thing model, answered on its own, and kept to the caller's tenant.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{new_device, platform};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, NewTenant};
use ironloom_core::ids::DeviceId;
use ironloom_core::ingest::{IngestError, Origin};
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, TelemetryStore, Value};
use ironloom_device::hub::ERRORS_SERIES;
use serde_json::json;

fn values(pairs: &[(&str, i64, serde_json::Value)]) -> Vec<Reported> {
    pairs
        .iter()
        .map(|(k, ts, v)| Reported::new((*k).into(), Some(*ts), v.clone()))
        .collect()
}

#[tokio::test]
async fn a_bulk_write_answers_each_device_and_stays_in_the_tenant() {
    let p = platform().await;
    let meta = p.hub.meta().clone();
    let actor = Actor::system("test");
    let pump = meta.get_device(p.tenant, p.device).await.unwrap();
    let pump2 = meta
        .create_device(&actor, p.tenant, new_device("pump-2", pump.product_id))
        .await
        .unwrap();
    // A device of another tenant, of a product with the same model.
    let other = meta
        .create_tenant(
            &actor,
            NewTenant {
                code: "other".into(),
                name: "Other".into(),
                description: None,
                max_devices: None,
                max_model_calls: None,
            },
        )
        .await
        .unwrap();
    let product = meta.get_product(p.tenant, pump.product_id).await.unwrap();
    let other_product = meta
        .create_product(
            &actor,
            other.id,
            ironloom_core::entity::NewProduct {
                name: "Pump".into(),
                product_key: "b2PumpKey".into(),
                description: None,
                industry: None,
                category: ironloom_core::industry::DeviceCategory::Operating,
                kind: None,
                protocol: ironloom_core::industry::Protocol::Mqtt,
                thing_model: product.thing_model.clone(),
                tm_extensions: Default::default(),
            },
        )
        .await
        .unwrap();
    let foreign = meta
        .create_device(&actor, other.id, new_device("pump-1", other_product.id))
        .await
        .unwrap();

    let now_ms = chrono::Utc::now().timestamp_millis();
    let t0 = now_ms - 60_000;
    let out = p
        .hub
        .ingest_devices(
            p.tenant,
            Origin::Device,
            vec![
                // One good value, one out of the model's range (temp ≤ 125).
                (
                    p.device,
                    values(&[("temp", t0, json!(21.5)), ("temp", t0 + 1000, json!(500.0))]),
                ),
                (DeviceId::new(), values(&[("temp", t0, json!(1.0))])),
                (foreign.id, values(&[("temp", t0, json!(2.0))])),
                (
                    pump2.id,
                    values(&[("temp", t0, json!(30.0)), ("rpm", t0, json!(1500))]),
                ),
            ],
        )
        .await
        .unwrap();
    assert_eq!(out.len(), 4);
    let first = out[0].as_ref().unwrap();
    assert_eq!(first.stored, 1);
    assert_eq!(first.refused.len(), 1);
    assert_eq!(first.refused[0].key, "temp");
    // An unknown device, and another tenant's: refused on their own, the rest stored.
    assert!(
        matches!(out[1], Err(IngestError::Device(_))),
        "{:?}",
        out[1]
    );
    assert!(
        matches!(out[2], Err(IngestError::Device(_))),
        "{:?}",
        out[2]
    );
    let last = out[3].as_ref().unwrap();
    assert_eq!(last.stored, 2);
    assert!(last.refused.is_empty());

    assert_eq!(p.series("temp").await, vec![(t0 * 1000, Value::F64(21.5))]);
    // The refusal is in the device's error log, as for a message of the device itself.
    let errors = p.series(ERRORS_SERIES).await;
    assert_eq!(errors.len(), 1);
    assert!(format!("{:?}", errors[0].1).contains("temp"), "{errors:?}");
    let read = |tenant, device| {
        let tsdb = p.tsdb.clone();
        async move {
            TelemetryStore::history(
                &tsdb,
                tenant,
                HistoryQuery {
                    selection: Selection {
                        devices: vec![device],
                        properties: vec![],
                    },
                    from: 0,
                    to: i64::MAX,
                    order: Order::Asc,
                    limit: 100,
                    cursor: None,
                },
            )
            .await
            .unwrap()
            .points
        }
    };
    let pump2_points = read(p.tenant, pump2.id).await;
    assert_eq!(pump2_points.len(), 2);
    // Nothing reached the other tenant's device of the same name.
    assert!(read(other.id, foreign.id).await.is_empty());
    assert!(read(p.tenant, foreign.id).await.is_empty());

    // Nothing to write at all: an answer per device, no write.
    let out = p
        .hub
        .ingest_devices(p.tenant, Origin::Device, vec![(DeviceId::new(), vec![])])
        .await
        .unwrap();
    assert!(matches!(out[0], Err(IngestError::Device(_))));
    assert!(
        p.hub
            .ingest_devices(p.tenant, Origin::Device, vec![])
            .await
            .unwrap()
            .is_empty()
    );
    p.stop.cancel();
}
