//! Devices over MQTT end to end: the embedded server, the hub, SQLite metadata and the
//! time-series engine, driven by rumqttc and by mosquitto_pub (a real third-party client).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ironloom_core::entity::Actor;
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, TelemetryStore, Value};
use ironloom_device::auth::{AlinkLogin, SignMethod, sign};
use ironloom_device::hub::{ERRORS_SERIES, EVENTS_SERIES};
use rumqttc::v5::mqttbytes::QoS as Q5;
use rumqttc::v5::mqttbytes::v5::{Packet as P5, PubAckReason};
use rumqttc::{Event, Incoming, MqttOptions, QoS};
use serde_json::json;

mod common;
use common::{Platform, new_device, platform};

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
async fn messages_without_timestamps_sent_together_are_all_kept() {
    // Found by the benchmark: messages of one read batch shared one arrival time, so all
    // but the last value of each key were overwritten after being acknowledged.
    let p = platform().await;
    let mut o = MqttOptions::new("pump", p.addr.ip().to_string(), p.addr.port());
    o.set_credentials(p.creds.access_token.clone(), "");
    o.set_inflight(100);
    let (client, mut ev) = rumqttc::AsyncClient::new(o, 200);
    for i in 0..100 {
        client
            .publish(
                "v1/devices/me/telemetry",
                QoS::AtLeastOnce,
                false,
                format!(r#"{{"rpm":{i}}}"#),
            )
            .await
            .unwrap();
    }
    let mut acks = 0;
    while acks < 100 {
        if let Event::Incoming(Incoming::PubAck(_)) = ev.poll().await.unwrap() {
            acks += 1;
        }
    }
    let stored = p.series("rpm").await;
    assert_eq!(stored.len(), 100, "{stored:?}");
    // In the order sent.
    let values: Vec<i64> = stored
        .iter()
        .map(|(_, v)| match v {
            Value::I64(n) => *n,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(values, (0..100).collect::<Vec<_>>());
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

// ---------------------------------------------------------------------------------------
// Downlinks: commands, attributes, the gateway API.

use ironloom_core::command::{
    AttributeScope, CommandFilter, CommandKind, CommandRequest, CommandStatus, DeviceLink,
};
use ironloom_core::error::Error;

/// A v3.1.1 client whose incoming publishes arrive on a channel (topic, JSON payload).
async fn listening_client(
    p: &Platform,
    client_id: &str,
    user: &str,
    pass: &str,
    subscriptions: &[&str],
) -> (
    rumqttc::AsyncClient,
    tokio::sync::mpsc::UnboundedReceiver<(String, serde_json::Value)>,
) {
    let mut o = MqttOptions::new(client_id, p.addr.ip().to_string(), p.addr.port());
    o.set_credentials(user, pass);
    let (client, mut ev) = rumqttc::AsyncClient::new(o, 100);
    for s in subscriptions {
        client.subscribe(*s, QoS::AtLeastOnce).await.unwrap();
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    let want = subscriptions.len();
    let mut subacks = 0;
    tokio::spawn(async move {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Incoming::SubAck(_))) => {
                    subacks += 1;
                    if subacks == want {
                        let _ = ready_tx.take().map(|t| t.send(()));
                    }
                }
                Ok(Event::Incoming(Incoming::Publish(m))) => {
                    let v = serde_json::from_slice(&m.payload).unwrap_or(serde_json::Value::Null);
                    if tx.send((m.topic.clone(), v)).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("SUBACKs within 10 s")
        .expect("the client is running");
    (client, rx)
}

async fn next(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, serde_json::Value)>,
) -> (String, serde_json::Value) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a publish within 10 s")
        .expect("the client is running")
}

fn request(kind: CommandKind, method: &str, params: serde_json::Value) -> CommandRequest {
    CommandRequest {
        kind,
        method: method.into(),
        params,
        one_way: false,
        timeout: Duration::from_secs(5),
        queue_for: None,
        wait: true,
    }
}

fn user() -> Actor {
    Actor::system("operator")
}

#[tokio::test]
async fn thingsboard_rpc_is_sent_answered_queued_and_timed_out() {
    let p = platform().await;
    let hub: &dyn DeviceLink = &*p.hub;
    // Offline, no queue: a clear error, and the attempt is recorded as failed.
    let e = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::SetProperties, "", json!({"speed": 100})),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DeviceOffline), "{e:?}");
    // Offline with a queue: kept.
    let queued = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            CommandRequest {
                queue_for: Some(Duration::from_secs(60)),
                wait: false,
                ..request(CommandKind::SetProperties, "", json!({"speed": 100}))
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.status, CommandStatus::Queued);
    // Thing-model checks come first.
    let e = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::SetProperties, "", json!({"temp": 1})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_writable");
    let e = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::Call, "selfDestruct", json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_service");

    // The device connects and subscribes: the queued command arrives.
    let (client, mut rx) = listening_client(
        &p,
        "pump",
        &p.creds.access_token,
        "",
        &["v1/devices/me/rpc/request/+"],
    )
    .await;
    let (topic, body) = next(&mut rx).await;
    assert!(topic.starts_with("v1/devices/me/rpc/request/"), "{topic}");
    assert_eq!(
        body,
        json!({"method": "setProperties", "params": {"speed": 100}})
    );
    let id = topic.rsplit('/').next().unwrap().to_owned();
    client
        .publish(
            format!("v1/devices/me/rpc/response/{id}"),
            QoS::AtLeastOnce,
            false,
            r#"{"speed":100}"#,
        )
        .await
        .unwrap();
    let mut done = None;
    for _ in 0..100 {
        let c = p.hub.meta().get_command(p.tenant, queued.id).await.unwrap();
        if c.status.is_final() {
            done = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = done.expect("the queued command ended");
    assert_eq!(done.status, CommandStatus::Succeeded);
    assert_eq!(done.response, Some(json!({"speed": 100})));

    // Two-way while online: the caller waits for the answer.
    let answering = tokio::spawn({
        let client = client.clone();
        async move {
            // Answers reboot with delay 1; stays silent on delay 2; says error on delay 3.
            loop {
                let (topic, body) = next(&mut rx).await;
                let id = topic.rsplit('/').next().unwrap().to_owned();
                let answer = match body["params"]["delay"].as_i64() {
                    Some(1) => json!({"rebooting": true}),
                    Some(3) => json!({"error": "interlock active"}),
                    _ => continue,
                };
                client
                    .publish(
                        format!("v1/devices/me/rpc/response/{id}"),
                        QoS::AtLeastOnce,
                        false,
                        answer.to_string(),
                    )
                    .await
                    .unwrap();
            }
        }
    });
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::Call, "reboot", json!({"delay": 1})),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Succeeded, "{c:?}");
    assert_eq!(c.response, Some(json!({"rebooting": true})));
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::Call, "reboot", json!({"delay": 3})),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Failed);
    assert_eq!(c.error.as_deref(), Some("interlock active"));
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            CommandRequest {
                timeout: Duration::from_millis(300),
                ..request(CommandKind::Call, "reboot", json!({"delay": 2}))
            },
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::TimedOut);
    // One-way: done when delivered.
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            CommandRequest {
                one_way: true,
                ..request(CommandKind::Call, "reboot", json!({"delay": 2}))
            },
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Succeeded);
    assert!(c.sent_at.is_some());
    answering.abort();
    // Every command is on record with its result.
    let all = p
        .hub
        .meta()
        .list_commands(p.tenant, &CommandFilter::default(), &Default::default())
        .await
        .unwrap();
    let mut statuses: Vec<&str> = all.items.iter().map(|c| c.status.as_str()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![
            "failed",
            "failed",
            "succeeded",
            "succeeded",
            "succeeded",
            "timed_out"
        ]
    );
    p.stop.cancel();
}

#[tokio::test]
async fn thingsboard_attributes_are_reported_requested_and_pushed() {
    let p = platform().await;
    let (client, mut rx) = listening_client(
        &p,
        "pump",
        &p.creds.access_token,
        "",
        &[
            "v1/devices/me/attributes",
            "v1/devices/me/attributes/response/+",
            "v1/devices/me/rpc/response/+",
            "v1/devices/me/errors",
        ],
    )
    .await;
    client
        .publish(
            "v1/devices/me/attributes",
            QoS::AtLeastOnce,
            false,
            r#"{"fw":"1.0.3","model":"P-200"}"#,
        )
        .await
        .unwrap();
    let hub: &dyn DeviceLink = &*p.hub;
    hub.set_shared_attributes(
        &user(),
        p.tenant,
        p.device,
        json!({"interval": 5}).as_object().unwrap().clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        next(&mut rx).await,
        ("v1/devices/me/attributes".into(), json!({"interval": 5}))
    );
    client
        .publish(
            "v1/devices/me/attributes/request/7",
            QoS::AtLeastOnce,
            false,
            r#"{"clientKeys":"fw,nope","sharedKeys":"interval"}"#,
        )
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        (
            "v1/devices/me/attributes/response/7".into(),
            json!({"client": {"fw": "1.0.3"}, "shared": {"interval": 5}})
        )
    );
    hub.delete_shared_attributes(&user(), p.tenant, p.device, vec!["interval".into()])
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        (
            "v1/devices/me/attributes".into(),
            json!({"deleted": ["interval"]})
        )
    );
    let client_attrs = p
        .hub
        .meta()
        .get_attributes(p.tenant, p.device, AttributeScope::Client, None)
        .await
        .unwrap();
    assert_eq!(client_attrs.len(), 2);
    // Client-side RPC: the platform's own method answers; others get an error.
    client
        .publish(
            "v1/devices/me/rpc/request/1",
            QoS::AtLeastOnce,
            false,
            r#"{"method":"getCurrentTime","params":{}}"#,
        )
        .await
        .unwrap();
    let (topic, body) = next(&mut rx).await;
    assert_eq!(topic, "v1/devices/me/rpc/response/1");
    let t = body["time"].as_i64().unwrap();
    assert!((t - chrono::Utc::now().timestamp_millis()).abs() < 60_000);
    client
        .publish(
            "v1/devices/me/rpc/request/2",
            QoS::AtLeastOnce,
            false,
            r#"{"method":"launch","params":{}}"#,
        )
        .await
        .unwrap();
    let (_, body) = next(&mut rx).await;
    assert!(body["error"].as_str().unwrap().contains("launch"));
    // Attributes that are not an object are refused.
    client
        .publish("v1/devices/me/attributes", QoS::AtLeastOnce, false, "[1]")
        .await
        .unwrap();
    let (topic, body) = next(&mut rx).await;
    assert_eq!(topic, "v1/devices/me/errors");
    assert_eq!(body["errors"][0]["code"], "invalid_payload");
    // So are unknown topics and bad single values, also for 3.1.1 clients.
    client
        .publish("v1/devices/me/nowhere", QoS::AtLeastOnce, false, "{}")
        .await
        .unwrap();
    let (_, body) = next(&mut rx).await;
    assert_eq!(body["topic"], "v1/devices/me/nowhere");
    assert_eq!(body["errors"][0]["code"], "unknown_topic");
    client
        .publish("v1/devices/me/telemetry/rpm", QoS::AtLeastOnce, false, "-5")
        .await
        .unwrap();
    let (_, body) = next(&mut rx).await;
    assert_eq!(body["errors"][0]["code"], "out_of_range");
    let errors = p.series(ERRORS_SERIES).await;
    assert_eq!(errors.len(), 3, "{errors:?}");
    p.stop.cancel();
}

#[tokio::test]
async fn alink_property_set_and_service_calls_get_replies() {
    let p = platform().await;
    let client_id = "SN9|securemode=3,signmethod=hmacsha1,timestamp=1700000000000|";
    let user_name = format!("pump-1&{}", p.product_key);
    let login = AlinkLogin::parse(client_id, &user_name).unwrap();
    let password = sign(
        SignMethod::HmacSha1,
        p.creds.secret.as_bytes(),
        login.content().as_bytes(),
    );
    let sys = format!("/sys/{}/pump-1", p.product_key);
    let (client, mut rx) = listening_client(
        &p,
        client_id,
        &user_name,
        &password,
        &[
            &format!("{sys}/thing/service/property/set"),
            &format!("{sys}/thing/service/+"),
        ],
    )
    .await;
    let answering = tokio::spawn({
        let sys = sys.clone();
        async move {
            loop {
                let (topic, body) = next(&mut rx).await;
                let code = if topic.ends_with("/property/set") {
                    200
                } else {
                    460
                };
                let reply =
                    json!({"id": body["id"], "code": code, "data": {}, "message": "bad delay"});
                assert!(topic.starts_with(&sys), "{topic}");
                client
                    .publish(
                        format!("{topic}_reply"),
                        QoS::AtLeastOnce,
                        false,
                        reply.to_string(),
                    )
                    .await
                    .unwrap();
                assert!(
                    body["method"]
                        .as_str()
                        .unwrap()
                        .starts_with("thing.service.")
                );
            }
        }
    });
    let hub: &dyn DeviceLink = &*p.hub;
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::SetProperties, "", json!({"speed": 1500})),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Succeeded, "{c:?}");
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            p.device,
            request(CommandKind::Call, "reboot", json!({"delay": 0})),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Failed);
    assert_eq!(c.error.as_deref(), Some("code 460: bad delay"));
    answering.abort();
    p.stop.cancel();
}

#[tokio::test]
async fn a_gateway_carries_its_sub_devices() {
    let p = platform().await;
    let (client, mut rx) = listening_client(
        &p,
        "gw",
        &p.creds.access_token,
        "",
        &[
            "v1/gateway/rpc",
            "v1/gateway/attributes",
            "v1/gateway/attributes/response",
            "v1/devices/me/errors",
        ],
    )
    .await;
    let meta = p.hub.meta().clone();
    let pump = meta.get_device(p.tenant, p.device).await.unwrap();
    let pump2 = meta
        .create_device(&user(), p.tenant, new_device("pump-2", pump.product_id))
        .await
        .unwrap();
    // A new sub-device, created with the product it names.
    client
        .publish(
            "v1/gateway/connect",
            QoS::AtLeastOnce,
            false,
            r#"{"device":"meter-1","type":"a1MeterKey"}"#,
        )
        .await
        .unwrap();
    client
        .publish(
            "v1/gateway/telemetry",
            QoS::AtLeastOnce,
            false,
            r#"{"meter-1":[{"ts":1700000000000,"values":{"kwh":1.5}},{"ts":1700000001000,"values":{"kwh":1.6}}]}"#,
        )
        .await
        .unwrap();
    client
        .publish(
            "v1/gateway/attributes",
            QoS::AtLeastOnce,
            false,
            r#"{"meter-1":{"fw":"2.1"}}"#,
        )
        .await
        .unwrap();
    // Devices that connect by themselves cannot be spoken for; unknown ones without a
    // product are refused.
    client
        .publish(
            "v1/gateway/telemetry",
            QoS::AtLeastOnce,
            false,
            r#"{"pump-2":{"temp":99},"ghost":{"kwh":1}}"#,
        )
        .await
        .unwrap();
    let (topic, body) = next(&mut rx).await;
    assert_eq!(topic, "v1/devices/me/errors");
    let errs = body["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 2, "{body}");
    assert!(errs.iter().any(|e| {
        e["device"] == "pump-2"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("connects by itself")
    }));
    assert!(errs.iter().any(|e| e["device"] == "ghost"));
    assert!(
        TelemetryStore::latest(
            &p.tsdb,
            p.tenant,
            Selection {
                devices: vec![pump2.id],
                properties: vec!["temp".into()],
            }
        )
        .await
        .unwrap()
        .is_empty()
    );

    let meter = meta
        .find_device_by_name(p.tenant, "meter-1")
        .await
        .unwrap()
        .expect("created by the gateway");
    let page = TelemetryStore::history(
        &p.tsdb,
        p.tenant,
        HistoryQuery {
            selection: Selection {
                devices: vec![meter.id],
                properties: vec!["kwh".into()],
            },
            from: 0,
            to: i64::MAX,
            order: Order::Asc,
            limit: 10,
            cursor: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(page.points.len(), 2);
    assert!(p.hub.live_status(meter.id).unwrap().online);

    // Attribute request for the sub-device.
    client
        .publish(
            "v1/gateway/attributes/request",
            QoS::AtLeastOnce,
            false,
            r#"{"id":3,"device":"meter-1","client":true,"key":"fw"}"#,
        )
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        (
            "v1/gateway/attributes/response".into(),
            json!({"id": 3, "device": "meter-1", "value": "2.1"})
        )
    );
    // Shared attribute pushed through the gateway.
    let hub: &dyn DeviceLink = &*p.hub;
    hub.set_shared_attributes(
        &user(),
        p.tenant,
        meter.id,
        json!({"tariff": "peak"}).as_object().unwrap().clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        next(&mut rx).await,
        (
            "v1/gateway/attributes".into(),
            json!({"device": "meter-1", "data": {"tariff": "peak"}})
        )
    );
    // A command to the sub-device goes through the gateway and its answer comes back.
    let answering = tokio::spawn({
        let client = client.clone();
        async move {
            let (topic, body) = next(&mut rx).await;
            assert_eq!(topic, "v1/gateway/rpc");
            assert_eq!(body["device"], "meter-1");
            assert_eq!(body["data"]["method"], "reset");
            let reply =
                json!({"device": "meter-1", "id": body["data"]["id"], "data": {"done": true}});
            client
                .publish("v1/gateway/rpc", QoS::AtLeastOnce, false, reply.to_string())
                .await
                .unwrap();
            rx
        }
    });
    let c = hub
        .send_command(
            &user(),
            p.tenant,
            meter.id,
            request(CommandKind::Call, "reset", json!({})),
        )
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Succeeded, "{c:?}");
    assert_eq!(c.response, Some(json!({"done": true})));
    let _rx = answering.await.unwrap();
    // Disconnecting the sub-device makes it offline, and commands to it fail.
    client
        .publish(
            "v1/gateway/disconnect",
            QoS::AtLeastOnce,
            false,
            r#"{"device":"meter-1"}"#,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!p.hub.live_status(meter.id).unwrap().online);
    let e = hub
        .send_command(
            &user(),
            p.tenant,
            meter.id,
            request(CommandKind::Call, "reset", json!({})),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DeviceOffline));
    p.stop.cancel();
}

/// A value the store refuses (here: a series already holding integers) is named in the
/// outcome with the store's reason, and only the stored values are counted as traffic.
#[tokio::test]
async fn a_value_the_store_refuses_is_named_and_the_rest_counted() {
    use ironloom_core::command::DeviceLink;
    use ironloom_core::device::Reported;
    use ironloom_core::ingest::Rejection;
    use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality};

    let p = common::platform().await;
    let now = chrono::Utc::now().timestamp_micros();
    TelemetryStore::write(
        &p.tsdb,
        p.tenant,
        vec![DeviceBatch {
            device: p.device,
            product: None,
            points: vec![PointIn {
                property: "temp".into(),
                ts: now - 1_000_000,
                value: Value::I64(20),
                quality: Quality::Good,
            }],
        }],
    )
    .await
    .unwrap();
    let ctx = p.hub.device_ctx(p.tenant, p.device).await.unwrap();
    let before = p.hub.traffic(Some(p.tenant));
    let out = p
        .hub
        .ingest(
            &ctx,
            "test",
            vec![
                Reported::new("temp".into(), None, json!(21.5)),
                Reported::new("rpm".into(), None, json!(1200)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(out.stored, 1);
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.refused[0].key, "temp");
    assert!(matches!(out.refused[0].reason, Rejection::Store(_)));
    let after = p.hub.traffic(Some(p.tenant));
    assert_eq!(after.messages, before.messages + 1);
    assert_eq!(after.values, before.values + 1);
    assert_eq!(p.series("rpm").await.len(), 1);
    p.stop.cancel();
}
