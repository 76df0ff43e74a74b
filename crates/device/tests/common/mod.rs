//! The test platform: SQLite metadata, the time-series engine, the device hub and the MQTT
//! server on a free port, with one tenant, a pump product and device, and a meter product
//! reached through gateways.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::DeviceId;
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, TelemetryStore, Value};
use ironloom_device::{DeviceHub, HubConfig, MqttDevices};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use ironloom_mqtt::{MqttConfig, MqttServer};
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[allow(missing_debug_implementations)]
pub struct Platform {
    pub _dir: tempfile::TempDir,
    pub tsdb: ironloom_tsdb::Engine,
    pub hub: Arc<DeviceHub>,
    pub addr: std::net::SocketAddr,
    pub device: DeviceId,
    pub tenant: ironloom_core::ids::TenantId,
    pub product_key: String,
    pub creds: DeviceCredentials,
    pub stop: CancellationToken,
}

pub async fn platform() -> Platform {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(
        &SqlStore::sqlite_url(dir.path()),
        &SqlStoreOptions::default(),
    )
    .await
    .unwrap();
    let meta: Arc<dyn MetaStore> = Arc::new(store);
    let actor = Actor::system("test");
    let t = meta
        .create_tenant(
            &actor,
            NewTenant {
                code: "factory".into(),
                name: "Factory".into(),
                description: None,
                max_devices: None,
                max_model_calls: None,
            },
        )
        .await
        .unwrap();
    let p = meta
        .create_product(
            &actor,
            t.id,
            NewProduct {
                name: "Pump".into(),
                product_key: "a1PumpKey".into(),
                description: None,
                industry: None,
                category: ironloom_core::industry::DeviceCategory::Operating,
                kind: None,
                protocol: ironloom_core::industry::Protocol::Mqtt,
                thing_model: serde_json::from_value(json!({
                    "properties": [
                        {"identifier": "temp", "name": "Temp", "data_type": {"type": "double", "min": -40.0, "max": 125.0}},
                        {"identifier": "rpm", "name": "RPM", "data_type": {"type": "int", "min": 0, "max": 3000}},
                        {"identifier": "speed", "name": "Speed set-point", "access": "rw", "data_type": {"type": "int", "min": 0, "max": 3000}}
                    ],
                    "services": [{"identifier": "reboot", "name": "Reboot",
                                  "input": [{"identifier": "delay", "name": "Delay", "data_type": {"type": "int", "min": 0}}]}],
                    "events": [{"identifier": "overheat", "name": "Overheat", "level": "alert",
                                "output": [{"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}}]}]
                }))
                .unwrap(),
                tm_extensions: Default::default(),
            },
        )
        .await
        .unwrap();
    let creds = DeviceCredentials {
        access_token: "tok-pump-1".into(),
        username: "pump-1-user".into(),
        password: "pump-1-pass".into(),
        secret: "pump1secretpump1secret".into(),
        x509_fingerprint: None,
    };
    let d = meta
        .create_device(
            &actor,
            t.id,
            NewDevice {
                product_id: p.id,
                name: "pump-1".into(),
                label: None,
                description: None,
                tags: vec![],
                groups: vec![],
                attributes: Default::default(),
                credentials: creds.clone(),
            },
        )
        .await
        .unwrap();
    let tdir = dir.path().join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&tdir, ironloom_tsdb::Options::default())
    })
    .await
    .unwrap()
    .unwrap();
    let hub = DeviceHub::new(
        meta.clone(),
        Arc::new(tsdb.clone()),
        ironloom_bus::LocalBus::new(),
        HubConfig {
            login_max_failures: 3,
            ..HubConfig::default()
        },
    );
    // Sub-devices of gateways are of a product reached through a gateway.
    meta.create_product(
        &actor,
        t.id,
        NewProduct {
            name: "Meter".into(),
            product_key: "a1MeterKey".into(),
            description: None,
            industry: None,
            category: ironloom_core::industry::DeviceCategory::Other,
            kind: None,
            protocol: ironloom_core::industry::Protocol::Gateway,
            thing_model: serde_json::from_value(json!({
                "properties": [{"identifier": "kwh", "name": "Energy", "data_type": {"type": "double"}}]
            }))
            .unwrap(),
            tm_extensions: Default::default(),
        },
    )
    .await
    .unwrap();
    let hooks = MqttDevices::new(hub.clone());
    let server = MqttServer::bind(
        MqttConfig {
            addr: ironloom_core::units::ListenAddr::on("127.0.0.1:0".parse().unwrap()),
            ..MqttConfig::default()
        },
        hooks.clone(),
    )
    .await
    .unwrap();
    hooks.attach(server.clone());
    let addr = server.local_addr().unwrap();
    let stop = CancellationToken::new();
    let st = stop.clone();
    tokio::spawn(async move { server.run(st, Duration::from_secs(2)).await });
    tokio::spawn(hub.clone().run(stop.clone()));
    Platform {
        _dir: dir,
        tsdb,
        hub,
        addr,
        device: d.id,
        tenant: t.id,
        product_key: p.product_key,
        creds,
        stop,
    }
}

/// A device of `product` with generated credentials and nothing else set.
pub fn new_device(name: &str, product: ironloom_core::ids::ProductId) -> NewDevice {
    NewDevice {
        product_id: product,
        name: name.into(),
        label: None,
        description: None,
        tags: vec![],
        groups: vec![],
        attributes: Default::default(),
        credentials: DeviceCredentials::generate(),
    }
}

impl Platform {
    pub async fn series(&self, property: &str) -> Vec<(i64, Value)> {
        let page = TelemetryStore::history(
            &self.tsdb,
            self.tenant,
            HistoryQuery {
                selection: Selection {
                    devices: vec![self.device],
                    properties: vec![property.into()],
                },
                from: 0,
                to: i64::MAX,
                order: Order::Asc,
                limit: 1000,
                cursor: None,
            },
        )
        .await
        .unwrap();
        page.points.into_iter().map(|p| (p.ts, p.value)).collect()
    }
}
