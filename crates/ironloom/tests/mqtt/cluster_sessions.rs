//! Devices' sessions across the nodes of a cluster (two real `ironloom serve` nodes, one
//! PostgreSQL, a 3-server NATS cluster): a command or an attribute write made through one
//! node reaches a device connected to the other, and the device's answer comes back; a
//! live stream opened on one node, and an application connected to it, see data that
//! another node's partition owner announces and its rules republish; a device connecting to the other node under the same client id ends its old
//! session; a device deleted or with new credentials on one node is cut off and refused on
//! the other at once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Value, json};

use crate::cluster::{Cluster, health, two_nodes};
use crate::support::{Api, Server, sse, within};

/// What a test device saw.
#[derive(Default)]
struct Seen {
    rpcs: Vec<Value>,
    attributes: Vec<Value>,
    /// Why the connection ended (a DISCONNECT from the server or an error), if it did.
    ended: Option<String>,
    /// The CONNACK's code.
    connack: Option<String>,
}

/// A ThingsBoard device on MQTT that answers RPCs with `{"ok": <method>}` and records the
/// shared attributes pushed to it.
struct TestDevice {
    client: AsyncClient,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestDevice {
    /// Connects; does not wait for the CONNACK (a refusal is in `seen`).
    fn start(server: &Server, client_id: &str, token: &str) -> TestDevice {
        let mut o = MqttOptions::new(client_id, server.mqtt.ip().to_string(), server.mqtt.port());
        o.set_credentials(token, "");
        o.set_keep_alive(Duration::from_secs(30));
        let (client, mut ev) = AsyncClient::new(o, 64);
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let out = seen.clone();
        let c = client.clone();
        let task = tokio::spawn(async move {
            loop {
                match ev.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(a))) => {
                        out.lock().unwrap().connack = Some(format!("{:?}", a.code));
                    }
                    Ok(Event::Incoming(Incoming::Disconnect)) => {
                        out.lock().unwrap().ended = Some("disconnect".into());
                        return;
                    }
                    Ok(Event::Incoming(Incoming::Publish(m))) => {
                        let body: Value = serde_json::from_slice(&m.payload).unwrap_or_default();
                        if m.topic == "v1/devices/me/attributes" {
                            out.lock().unwrap().attributes.push(body);
                            continue;
                        }
                        out.lock().unwrap().rpcs.push(body.clone());
                        let id = m.topic.rsplit('/').next().unwrap().to_owned();
                        let c = c.clone();
                        tokio::spawn(async move {
                            let _ = c
                                .publish(
                                    format!("v1/devices/me/rpc/response/{id}"),
                                    QoS::AtLeastOnce,
                                    false,
                                    json!({"ok": body["method"]}).to_string(),
                                )
                                .await;
                        });
                    }
                    Ok(_) => {}
                    Err(e) => {
                        out.lock().unwrap().ended = Some(e.to_string());
                        return;
                    }
                }
            }
        });
        TestDevice { client, seen, task }
    }

    /// Connects and subscribes to RPC requests and shared attributes.
    async fn connect(server: &Server, client_id: &str, token: &str) -> TestDevice {
        let d = TestDevice::start(server, client_id, token);
        for topic in ["v1/devices/me/rpc/request/+", "v1/devices/me/attributes"] {
            d.client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
        }
        within(10, "the device is connected", String::new, || async {
            let s = d.seen.lock().unwrap();
            s.connack
                .as_deref()
                .filter(|c| c.contains("Success"))
                .map(|_| ())
        })
        .await;
        // The subscriptions are in place when a publish round-trips (PUBACK).
        d.client
            .publish("v1/devices/me/telemetry", QoS::AtLeastOnce, false, "{}")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        d
    }

    fn ended(&self) -> Option<String> {
        self.seen.lock().unwrap().ended.clone()
    }
}

impl Drop for TestDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn logs(c: &Cluster) -> String {
    format!(
        "a:\n{}\nb:\n{}",
        c.a.log.lock().unwrap(),
        c.b.log.lock().unwrap()
    )
}

/// Sends telemetry as the device, and gives the nodes a moment to pass it on.
async fn send(client: &AsyncClient, values: Value) {
    client
        .publish(
            "v1/devices/me/telemetry",
            QoS::AtLeastOnce,
            false,
            values.to_string(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Waits (3 s at most: at once, not after a cache's lifetime) for the server to end the
/// device's connection.
async fn cut_off(c: &Cluster, dev: &TestDevice, what: &str) {
    within(3, what, || logs(c), || async { dev.ended().map(|_| ()) }).await;
}

fn thing_model() -> Value {
    json!({
        "properties": [
            {"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}},
            {"identifier": "speed", "name": "Speed", "access": "rw", "data_type": {"type": "int"}}
        ],
        "services": [{"identifier": "reboot", "name": "Reboot"}]
    })
}

/// A new device whose partition node `owner` owns (so its data is announced there).
async fn device_owned_by(c: &Cluster, product: &str, owner: &str) -> crate::support::Device {
    let h = within(20, "every partition owned", String::new, || async {
        let h = health(&c.a).await;
        let owned = h["cluster"]["owners"]
            .as_array()?
            .iter()
            .filter(|o| o["owner"].is_string())
            .count();
        (owned == 8).then_some(h)
    })
    .await;
    let owners = h["cluster"]["owners"].as_array().unwrap().clone();
    for i in 0..64 {
        let d = c.api.device(product, &format!("dev-{owner}-{i}")).await;
        let p = ironloom_cluster::partition_of(d.id.parse().unwrap(), 8);
        if owners
            .iter()
            .any(|o| o["partition"] == p && o["owner"] == owner)
        {
            return d;
        }
    }
    panic!("no device of a partition of {owner}: {h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_attribute_writes_and_live_data_cross_nodes() {
    let Some(c) = two_nodes("commands_attribute_writes_and_live_data_cross_nodes").await else {
        return;
    };
    let product = c.api.product("pump", thing_model()).await;
    // The device's data is announced by node b, it is connected to node b, and everything
    // below goes through node a.
    let d = device_owned_by(&c, &product, "b").await;
    let offline = c.api.device(&product, "pump-offline").await;
    let dev = TestDevice::connect(&c.b, "pump-1", &d.access_token).await;

    // A parameter write through node a: the device on node b answers, the caller on
    // node a gets the answer.
    let path = format!("/api/v1/devices/{}/commands", d.id);
    let asked = std::time::Instant::now();
    let (code, cmd) = within(
        10,
        "a command through node a",
        || logs(&c),
        || async {
            let (code, cmd) = c
                .api
                .call("POST", &path, Some(json!({"properties": {"speed": 1200}})))
                .await;
            // Node a learns of node b within a heartbeat; until then the device is offline.
            (code != 409).then_some((code, cmd))
        },
    )
    .await;
    assert_eq!(code, 200, "{cmd}\n{}", logs(&c));
    assert_eq!(cmd["status"], "succeeded", "{cmd}");
    assert_eq!(cmd["response"], json!({"ok": "setProperties"}));
    assert_eq!(dev.seen.lock().unwrap().rpcs.len(), 1);
    // The answer came back when the device gave it, not when the caller's wait ran out.
    let took = asked.elapsed();
    eprintln!("a command through node a to a device on node b, answered: {took:?}");
    assert!(took < Duration::from_secs(5), "the answer took {took:?}");
    // A one-way service call: done once delivered.
    let (code, cmd) = c
        .api
        .call(
            "POST",
            &path,
            Some(json!({"method": "reboot", "one_way": true})),
        )
        .await;
    assert_eq!(
        (code, cmd["status"].as_str()),
        (200, Some("succeeded")),
        "{cmd}"
    );
    // As on one node: a device connected nowhere is offline, or its command is queued and
    // goes out when it connects (here: to node b), its result readable on node a.
    let off = format!("/api/v1/devices/{}/commands", offline.id);
    let (code, e) = c
        .api
        .call("POST", &off, Some(json!({"method": "reboot"})))
        .await;
    assert_eq!(
        (code, e["code"].as_str()),
        (409, Some("device_offline")),
        "{e}"
    );
    // A caller on node a waits for a queued command; the device connects to node b, gets
    // it there, and its answer reaches the caller on node a.
    let waiting = c.api.call(
        "POST",
        &off,
        Some(json!({"method": "reboot", "offline": "queue", "queue_ttl_s": 600, "timeout_ms": 20000})),
    );
    let connecting = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        TestDevice::connect(&c.b, "pump-2", &offline.access_token).await
    };
    let asked = std::time::Instant::now();
    let ((code, done), late) = tokio::join!(waiting, connecting);
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(10), "the answer took {took:?}");
    assert_eq!(
        (code, done["status"].as_str()),
        (200, Some("succeeded")),
        "{done}\n{}",
        logs(&c)
    );
    assert_eq!(done["response"], json!({"ok": "reboot"}));
    assert_eq!(late.seen.lock().unwrap().rpcs.len(), 1);

    // A shared-attribute write through node a reaches the device on node b.
    let (code, body) = c
        .api
        .call(
            "PATCH",
            &format!("/api/v1/devices/{}/attributes/shared", d.id),
            Some(json!({"set": {"setpoint": 42}})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    within(
        5,
        "the attribute pushed to the device",
        || logs(&c),
        || async {
            let s = dev.seen.lock().unwrap();
            s.attributes
                .iter()
                .any(|a| a["setpoint"] == 42)
                .then_some(())
        },
    )
    .await;

    // An application connected to node a hears what a rule running on node b (the
    // partition's owner) republishes.
    let (code, key) = c
        .api
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "dashboard", "scopes": ["rule:read"]})),
        )
        .await;
    assert_eq!(code, 201, "{key}");
    let mut o = MqttOptions::new("app-1", c.a.mqtt.ip().to_string(), c.a.mqtt.port());
    o.set_credentials("apikey", key["key"].as_str().unwrap());
    let (app, mut app_events) = AsyncClient::new(o, 16);
    app.subscribe("rules/#", QoS::AtLeastOnce).await.unwrap();
    let heard: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let subscribed = Arc::new(tokio::sync::Notify::new());
    let app_task = tokio::spawn({
        let (heard, subscribed) = (heard.clone(), subscribed.clone());
        async move {
            while let Ok(e) = app_events.poll().await {
                match e {
                    Event::Incoming(Incoming::SubAck(_)) => subscribed.notify_one(),
                    Event::Incoming(Incoming::Publish(p)) => heard.lock().unwrap().push((
                        p.topic.clone(),
                        serde_json::from_slice(&p.payload).unwrap_or_default(),
                    )),
                    _ => {}
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed.notified())
        .await
        .expect("SUBACK");
    let rule = json!({"name": "fast", "source": {"devices": [d.name]},
        "condition": {"expr": "speed > 2000"},
        "actions": [{"type": "republish", "topic": "pump/fast"}]});
    let (code, body) = c.api.call("POST", "/api/v1/rules", Some(rule)).await;
    assert_eq!(code, 201, "{body}");
    within(
        15,
        "the rule's message on node a",
        || logs(&c),
        || {
            let (client, heard, id) = (dev.client.clone(), heard.clone(), d.id.clone());
            async move {
                send(&client, json!({"speed": 2500})).await;
                let h = heard.lock().unwrap();
                h.iter()
                    .find(|(t, _)| t == "rules/pump/fast")
                    .map(|(_, v)| assert_eq!(v["device_id"], id.as_str(), "{v}"))
            }
        },
    )
    .await;
    app_task.abort();

    // A live stream opened on node a shows what the device sends to node b (announced by
    // node b, the owner of its partition).
    let stream = sse(
        &c.a,
        c.api.token(),
        &format!("/api/v1/devices/{}/telemetry/stream", d.id),
    )
    .await;
    let mut temp = 0.0;
    within(
        15,
        "telemetry sent on node b in node a's stream",
        || logs(&c),
        || {
            temp += 1.0;
            let (client, stream) = (dev.client.clone(), stream.clone());
            async move {
                send(&client, json!({"temp": temp})).await;
                let seen = stream.lock().unwrap();
                seen.iter()
                    .any(|(n, v)| n == "telemetry" && v["values"]["temp"].is_number())
                    .then_some(())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeovers_and_credential_changes_cross_nodes() {
    let Some(c) = two_nodes("takeovers_and_credential_changes_cross_nodes").await else {
        return;
    };
    let product = c.api.product("pump", thing_model()).await;
    let d = c.api.device(&product, "pump-1").await;

    // The same client id connecting to node b ends its session on node a.
    let first = TestDevice::connect(&c.a, "pump-1", &d.access_token).await;
    let second = TestDevice::connect(&c.b, "pump-1", &d.access_token).await;
    within(
        5,
        "the old session on node a ends",
        || logs(&c),
        || async { first.ended().map(|_| ()) },
    )
    .await;
    assert!(second.ended().is_none(), "{:?}", second.ended());

    // New credentials through node a: the connection on node b ends at once, and the old
    // token is refused there.
    let api_b = Api::existing_tenant(&c.b).await;
    let (code, body) = c
        .api
        .call(
            "POST",
            &format!("/api/v1/devices/{}/credentials/rotate", d.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    cut_off(&c, &second, "the device's connection on node b ends").await;
    let again = TestDevice::start(&c.b, "pump-1", &d.access_token);
    within(
        5,
        "the old token refused on node b",
        || logs(&c),
        || async {
            let s = again.seen.lock().unwrap();
            match (&s.connack, &s.ended) {
                (Some(code), _) if !code.contains("Success") => Some(()),
                (None, Some(_)) => Some(()),
                _ => None,
            }
        },
    )
    .await;

    // A device deleted through node a: its connection on node b ends, and node b, which
    // had just written for it (its ownership cached), refuses to write for it.
    let other = c.api.device(&product, "pump-2").await;
    let third = TestDevice::connect(&c.b, "pump-2", &other.access_token).await;
    let write =
        json!({"devices": [{"device": other.id, "points": [{"property": "temp", "value": 1.5}]}]});
    let (code, body) = api_b
        .call("POST", "/api/v1/telemetry", Some(write.clone()))
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = c
        .api
        .call("DELETE", &format!("/api/v1/devices/{}", other.id), None)
        .await;
    assert_eq!(code, 204, "{body}");
    cut_off(&c, &third, "the deleted device's connection on node b ends").await;
    let (code, body) = api_b.call("POST", "/api/v1/telemetry", Some(write)).await;
    assert_eq!(code, 404, "a write for a deleted device on node b: {body}");
}
