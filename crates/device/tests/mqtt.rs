//! Devices over MQTT end to end: the embedded server, the hub, SQLite metadata and the
//! time-series engine, driven by rumqttc and by mosquitto_pub (a real third-party client).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::DeviceId;
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, TelemetryStore, Value};
use ironloom_device::auth::{AlinkLogin, SignMethod, sign};
use ironloom_device::hub::{ERRORS_SERIES, EVENTS_SERIES};
use ironloom_device::{DeviceHub, HubConfig, MqttDevices};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use ironloom_mqtt::{MqttConfig, MqttServer};
use rumqttc::v5::mqttbytes::QoS as Q5;
use rumqttc::v5::mqttbytes::v5::{Packet as P5, PubAckReason};
use rumqttc::{Event, Incoming, MqttOptions, QoS};
use serde_json::json;
use tokio_util::sync::CancellationToken;

struct Platform {
    _dir: tempfile::TempDir,
    tsdb: ironloom_tsdb::Engine,
    hub: Arc<DeviceHub>,
    addr: std::net::SocketAddr,
    device: DeviceId,
    tenant: ironloom_core::ids::TenantId,
    product_key: String,
    creds: DeviceCredentials,
    stop: CancellationToken,
}

async fn platform() -> Platform {
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
                protocol: ironloom_core::industry::Protocol::Mqtt,
                thing_model: serde_json::from_value(json!({
                    "properties": [
                        {"identifier": "temp", "name": "Temp", "data_type": {"type": "double", "min": -40.0, "max": 125.0}},
                        {"identifier": "rpm", "name": "RPM", "data_type": {"type": "int", "min": 0, "max": 3000}}
                    ],
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
        HubConfig {
            login_max_failures: 3,
            ..HubConfig::default()
        },
    );
    let hooks = MqttDevices::new(hub.clone());
    let server = MqttServer::bind(
        MqttConfig {
            tcp: Some("127.0.0.1:0".parse().unwrap()),
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

impl Platform {
    async fn series(&self, property: &str) -> Vec<(i64, Value)> {
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

fn v5_options(p: &Platform, client_id: &str, user: &str, pass: &str) -> rumqttc::v5::MqttOptions {
    let mut o = rumqttc::v5::MqttOptions::new(client_id, p.addr.ip().to_string(), p.addr.port());
    o.set_credentials(user, pass);
    o.set_keep_alive(Duration::from_secs(30));
    o
}

#[tokio::test]
async fn thingsboard_token_telemetry_is_stored_before_the_puback() {
    let p = platform().await;
    let mut o = MqttOptions::new("pump", p.addr.ip().to_string(), p.addr.port());
    o.set_credentials(p.creds.access_token.clone(), "");
    let (client, mut ev) = rumqttc::AsyncClient::new(o, 10);
    client
        .publish(
            "v1/devices/me/telemetry",
            QoS::AtLeastOnce,
            false,
            r#"{"ts":1700000000000,"values":{"temp":21.5,"rpm":1200}}"#,
        )
        .await
        .unwrap();
    loop {
        if let Event::Incoming(Incoming::PubAck(_)) = ev.poll().await.unwrap() {
            break;
        }
    }
    // Stored by the time the PUBACK arrived.
    assert_eq!(
        p.series("temp").await,
        vec![(1_700_000_000_000_000, Value::F64(21.5))]
    );
    assert_eq!(
        p.series("rpm").await,
        vec![(1_700_000_000_000_000, Value::I64(1200))]
    );
    // Connected is recorded (in memory at once, in the event log shortly).
    assert!(p.hub.live_status(p.device).unwrap().online);
    p.stop.cancel();
}

#[tokio::test]
async fn invalid_values_get_reason_codes_and_land_in_the_error_log() {
    let p = platform().await;
    let o = v5_options(&p, "pump-v5", &p.creds.username, &p.creds.password);
    let (client, mut ev) = rumqttc::v5::AsyncClient::new(o, 10);
    // One valid, two invalid: stored in part, success with a reason string.
    client
        .publish(
            "v1/devices/me/telemetry",
            Q5::AtLeastOnce,
            false,
            r#"{"temp":20,"rpm":99999,"colour":"red"}"#,
        )
        .await
        .unwrap();
    // Nothing valid: refused with 0x99.
    client
        .publish(
            "v1/devices/me/telemetry",
            Q5::AtLeastOnce,
            false,
            r#"{"rpm":-1}"#,
        )
        .await
        .unwrap();
    // Not JSON at all.
    client
        .publish(
            "v1/devices/me/telemetry",
            Q5::AtLeastOnce,
            false,
            "not json",
        )
        .await
        .unwrap();
    // A topic outside the device API.
    client
        .publish("v1/devices/other/telemetry", Q5::AtLeastOnce, false, "{}")
        .await
        .unwrap();
    let mut acks = Vec::new();
    while acks.len() < 4 {
        if let rumqttc::v5::Event::Incoming(P5::PubAck(a)) = ev.poll().await.unwrap() {
            acks.push((a.reason, a.properties.and_then(|p| p.reason_string)));
        }
    }
    assert_eq!(acks[0].0, PubAckReason::Success);
    let text = acks[0].1.clone().unwrap();
    assert!(text.contains("1 more"), "{text}");
    assert_eq!(acks[1].0, PubAckReason::PayloadFormatInvalid);
    assert_eq!(acks[2].0, PubAckReason::PayloadFormatInvalid);
    assert_eq!(acks[3].0, PubAckReason::TopicNameInvalid);
    assert_eq!(p.series("temp").await.len(), 1);
    assert!(p.series("rpm").await.is_empty());
    let errors: Vec<serde_json::Value> = p
        .series(ERRORS_SERIES)
        .await
        .into_iter()
        .map(|(_, v)| match v {
            Value::Str(s) => serde_json::from_str(&s).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    // The order depends on how the server's reads split the four messages.
    let mut codes: Vec<&str> = errors.iter().map(|e| e["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        vec![
            "invalid_payload",
            "out_of_range",
            "out_of_range",
            "unknown_property",
            "unknown_topic"
        ]
    );
    let unknown = errors
        .iter()
        .find(|e| e["code"] == "unknown_property")
        .unwrap();
    assert_eq!(unknown["key"], "colour");
    assert!(unknown["message_zh"].as_str().unwrap().contains("物模型"));
    p.stop.cancel();
}

#[tokio::test]
async fn alink_devices_sign_in_post_properties_and_events_and_get_replies() {
    let p = platform().await;
    let login = AlinkLogin::parse(
        "SN001|securemode=3,signmethod=hmacsha256,timestamp=1700000000000|",
        &format!("pump-1&{}", p.product_key),
    )
    .unwrap();
    let password = sign(
        SignMethod::HmacSha256,
        p.creds.secret.as_bytes(),
        login.content().as_bytes(),
    );
    let o = v5_options(
        &p,
        "SN001|securemode=3,signmethod=hmacsha256,timestamp=1700000000000|",
        &format!("pump-1&{}", p.product_key),
        &password,
    );
    let (client, mut ev) = rumqttc::v5::AsyncClient::new(o, 10);
    let sys = format!("/sys/{}/pump-1", p.product_key);
    client
        .subscribe(format!("{sys}/thing/event/+/post_reply"), Q5::AtLeastOnce)
        .await
        .unwrap();
    // Another device's topics are refused.
    client
        .subscribe("/sys/otherKey/other/thing/#", Q5::AtLeastOnce)
        .await
        .unwrap();
    let mut subacks = Vec::new();
    while subacks.len() < 2 {
        if let rumqttc::v5::Event::Incoming(P5::SubAck(a)) = ev.poll().await.unwrap() {
            subacks.push(a.return_codes[0]);
        }
    }
    assert!(matches!(
        subacks[0],
        rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::Success(_)
    ));
    assert_eq!(
        subacks[1],
        rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::NotAuthorized
    );
    let post = json!({
        "id": "42", "version": "1.0", "method": "thing.event.property.post",
        "params": {"temp": {"value": "30.5", "time": 1700000001000u64}, "rpm": 800, "bogus": 1}
    });
    client
        .publish(
            format!("{sys}/thing/event/property/post"),
            Q5::AtLeastOnce,
            false,
            post.to_string(),
        )
        .await
        .unwrap();
    let event = json!({"id": "43", "version": "1.0", "params": {"value": {"temp": 99.0}, "time": 1700000002000u64}});
    client
        .publish(
            format!("{sys}/thing/event/overheat/post"),
            Q5::AtLeastOnce,
            false,
            event.to_string(),
        )
        .await
        .unwrap();
    let mut replies = Vec::new();
    while replies.len() < 2 {
        if let rumqttc::v5::Event::Incoming(P5::Publish(m)) = ev.poll().await.unwrap() {
            let body: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            replies.push((String::from_utf8(m.topic.to_vec()).unwrap(), body));
        }
    }
    replies.sort_by(|a, b| a.0.cmp(&b.0));
    let (topic, body) = &replies[0];
    assert_eq!(topic, &format!("{sys}/thing/event/overheat/post_reply"));
    assert_eq!(body["code"], 200);
    let (topic, body) = &replies[1];
    assert_eq!(topic, &format!("{sys}/thing/event/property/post_reply"));
    assert_eq!(body["id"], "42");
    assert_eq!(body["code"], 200);
    assert!(
        body["data"]["bogus"]
            .as_str()
            .unwrap()
            .contains("no such property")
    );
    assert_eq!(
        p.series("temp").await,
        vec![(1_700_000_001_000_000, Value::F64(30.5))]
    );
    let events = p.series(EVENTS_SERIES).await;
    assert!(
        events.iter().any(|(ts, v)| *ts == 1_700_000_002_000_000
            && matches!(v, Value::Str(s) if s.contains("overheat"))),
        "{events:?}"
    );
    p.stop.cancel();
}

#[tokio::test]
async fn bad_credentials_are_refused_and_repeated_failures_banned() {
    let p = platform().await;
    for attempt in 0..4 {
        let o = v5_options(&p, "x", "pump-1-user", "wrong");
        let (_c, mut ev) = rumqttc::v5::AsyncClient::new(o, 10);
        let err = ev.poll().await.unwrap_err().to_string();
        // Three failures ban the address: the fourth is refused as banned.
        let want = if attempt < 3 {
            "BadUserNamePassword"
        } else {
            "Banned"
        };
        assert!(err.contains(want), "attempt {attempt}: {err}");
    }
    // A correct log-in from the banned address is refused too, until the ban ends.
    let o = v5_options(&p, "x", &p.creds.username, &p.creds.password);
    let (_c, mut ev) = rumqttc::v5::AsyncClient::new(o, 10);
    assert!(ev.poll().await.unwrap_err().to_string().contains("Banned"));
    assert_eq!(p.hub.guard.failures_for_ip("127.0.0.1".parse().unwrap()), 3);
    p.stop.cancel();
}

#[tokio::test]
async fn mosquitto_pub_sends_telemetry_with_a_token() {
    if std::process::Command::new("mosquitto_pub")
        .arg("--help")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIPPED: mosquitto_pub is not installed (scripts/install-test-peers.sh installs it)"
        );
        return;
    }
    let p = platform().await;
    let addr = p.addr;
    let token = p.creds.access_token.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("mosquitto_pub")
            .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
            .args(["-V", "mqttv311", "-q", "1", "-u", &token])
            .args(["-t", "v1/devices/me/telemetry"])
            .args(["-m", r#"[{"ts":1700000000000,"values":{"temp":1.5}},{"ts":1700000001000,"values":{"temp":2.5}}]"#])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // mosquitto_pub exits after its PUBACK: the points are stored.
    assert_eq!(
        p.series("temp").await,
        vec![
            (1_700_000_000_000_000, Value::F64(1.5)),
            (1_700_000_001_000_000, Value::F64(2.5))
        ]
    );
    // A bad token: mosquitto_pub reports the refusal and fails. (Run off the test's
    // runtime thread, which also runs the server.)
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("mosquitto_pub")
            .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
            .args([
                "-u",
                "no-such-token",
                "-t",
                "v1/devices/me/telemetry",
                "-m",
                "{}",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    p.stop.cancel();
}
