//! Commands, shared attributes and device logs through the REST API, with a device on MQTT
//! answering: what an operator does from the console.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use serde_json::{Value, json};

use crate::support::{Api, Server};

fn thing_model() -> Value {
    json!({
        "properties": [
            {"identifier": "temp", "name": "Temp", "data_type": {"type": "double", "min": -40.0, "max": 200.0}},
            {"identifier": "speed", "name": "Speed", "access": "rw", "data_type": {"type": "int", "min": 0, "max": 3000}}
        ],
        "services": [{"identifier": "reboot", "name": "Reboot"}]
    })
}

/// A device that answers every RPC with `{"ok": <method>}`, after subscribing.
async fn answering_device(server: &Server, token: &str) -> AsyncClient {
    let mut o = MqttOptions::new("dev", server.mqtt.ip().to_string(), server.mqtt.port());
    o.set_credentials(token, "");
    let (client, mut ev) = AsyncClient::new(o, 50);
    client
        .subscribe("v1/devices/me/rpc/request/+", QoS::AtLeastOnce)
        .await
        .unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    let c = client.clone();
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            match e {
                Event::Incoming(Incoming::SubAck(_)) => {
                    if let Some(t) = ready_tx.take() {
                        let _ = t.send(());
                    }
                }
                Event::Incoming(Incoming::Publish(m)) => {
                    let req: Value = serde_json::from_slice(&m.payload).unwrap();
                    let id = m.topic.rsplit('/').next().unwrap().to_owned();
                    let c = c.clone();
                    tokio::spawn(async move {
                        c.publish(
                            format!("v1/devices/me/rpc/response/{id}"),
                            QoS::AtLeastOnce,
                            false,
                            json!({"ok": req["method"]}).to_string(),
                        )
                        .await
                        .unwrap();
                    });
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .unwrap()
        .unwrap();
    client
}

#[tokio::test]
async fn operators_send_commands_and_see_results_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("cmdPump", thing_model()).await;
    let online = api.device(&product, "pump-online").await;
    let offline = api.device(&product, "pump-offline").await;
    let client = answering_device(&server, &online.access_token).await;

    // Live status is visible at once (the stored one is written in batches).
    let d = api.get(&format!("/api/v1/devices/{}", online.id)).await;
    assert_eq!(d["status"]["online"], true, "{d}");

    // A parameter write: the device answers, the caller gets the result.
    let path = format!("/api/v1/devices/{}/commands", online.id);
    let (code, c) = api
        .call("POST", &path, Some(json!({"properties": {"speed": 1200}})))
        .await;
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["status"], "succeeded");
    assert_eq!(c["response"], json!({"ok": "setProperties"}));
    assert_eq!(c["created_by"]["name"], "ta");
    // A service call, one-way: done when delivered.
    let (code, c) = api
        .call(
            "POST",
            &path,
            Some(json!({"method": "reboot", "one_way": true})),
        )
        .await;
    assert_eq!((code, c["status"].as_str()), (200, Some("succeeded")));
    // Refused by the thing model, with the reason.
    let (code, e) = api
        .call("POST", &path, Some(json!({"properties": {"temp": 5}})))
        .await;
    assert_eq!((code, e["code"].as_str()), (422, Some("not_writable")));
    let (code, e) = api
        .call("POST", &path, Some(json!({"properties": {"speed": 99999}})))
        .await;
    assert_eq!((code, e["code"].as_str()), (422, Some("out_of_range")));
    let (code, e) = api
        .call("POST", &path, Some(json!({"method": "explode"})))
        .await;
    assert_eq!((code, e["code"].as_str()), (422, Some("unknown_service")));
    let (code, _) = api
        .call(
            "POST",
            &path,
            Some(json!({"method": "reboot", "timeout_ms": 0})),
        )
        .await;
    assert_eq!(code, 422);
    let (code, _) = api
        .call(
            "POST",
            &path,
            Some(json!({"method": "reboot", "properties": {}})),
        )
        .await;
    assert_eq!(code, 422);

    // Offline: an error by default, a queue when asked.
    let off = format!("/api/v1/devices/{}/commands", offline.id);
    let (code, e) = api
        .call("POST", &off, Some(json!({"method": "reboot"})))
        .await;
    assert_eq!((code, e["code"].as_str()), (409, Some("device_offline")));
    assert!(e["message"].as_str().unwrap().contains("offline"));
    let (code, q) = api
        .call(
            "POST",
            &off,
            Some(
                json!({"method": "reboot", "offline": "queue", "queue_ttl_s": 600, "wait": false}),
            ),
        )
        .await;
    assert_eq!((code, q["status"].as_str()), (202, Some("queued")));
    let listed = api.get(&format!("{off}?status=queued")).await;
    assert_eq!(listed["total"], 1);
    let all = api.get(&off).await;
    assert_eq!(all["total"], 2);
    let one = api
        .get(&format!("/api/v1/commands/{}", q["id"].as_str().unwrap()))
        .await;
    assert_eq!(one["status"], "queued");
    // The queued command goes out when the device connects and subscribes.
    let _late = answering_device(&server, &offline.access_token).await;
    let mut status = Value::Null;
    for _ in 0..100 {
        status = api
            .get(&format!("/api/v1/commands/{}", q["id"].as_str().unwrap()))
            .await["status"]
            .clone();
        if status == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "succeeded");

    // Shared attributes: written, listed by scope, client ones reported by the device.
    let (code, shared) = api
        .call(
            "PATCH",
            &format!("/api/v1/devices/{}/attributes/shared", online.id),
            Some(json!({"set": {"interval": 5}})),
        )
        .await;
    assert_eq!(code, 200, "{shared}");
    assert_eq!(shared[0]["key"], "interval");
    client
        .publish(
            "v1/devices/me/attributes",
            QoS::AtLeastOnce,
            false,
            r#"{"fw":"9.9"}"#,
        )
        .await
        .unwrap();
    // Errors and events: a bad value and a connect end up in the logs.
    client
        .publish(
            "v1/devices/me/telemetry",
            QoS::AtLeastOnce,
            false,
            r#"{"temp":900}"#,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let attrs = api
        .get(&format!("/api/v1/devices/{}/attributes/client", online.id))
        .await;
    assert_eq!(attrs[0]["value"], "9.9", "{attrs}");
    let (code, _) = api
        .call(
            "GET",
            &format!("/api/v1/devices/{}/attributes/bogus", online.id),
            None,
        )
        .await;
    assert_eq!(code, 400);
    let errors = api
        .get(&format!("/api/v1/devices/{}/errors", online.id))
        .await;
    assert_eq!(
        errors["items"][0]["entry"]["code"], "out_of_range",
        "{errors}"
    );
    assert!(errors["items"][0]["entry"]["message_zh"].is_string());
    let events = api
        .get(&format!("/api/v1/devices/{}/events", online.id))
        .await;
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entry"]["type"] == "connected"),
        "{events}"
    );
    // Commands are in the audit log with their results.
    let audit = api.get("/api/v1/audit?resource=command").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"command") && actions.contains(&"command_result"),
        "{actions:?}"
    );
}

/// A parameter write needs a property the thing model declares writable: a product with
/// no properties (schemaless telemetry) or only read-only ones refuses every write, and
/// nothing reaches the device or the command list.
#[tokio::test]
async fn writes_no_thing_model_allows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let schemaless = api.product("freeform", json!({})).await;
    let read_only = api
        .product(
            "sensorOnly",
            json!({"properties": [{"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}}]}),
        )
        .await;
    for (product, name) in [(schemaless, "free-1"), (read_only, "sensor-1")] {
        let d = api.device(&product, name).await;
        let _client = answering_device(&server, &d.access_token).await;
        let path = format!("/api/v1/devices/{}/commands", d.id);
        for properties in [json!({"temp": 5}), json!({"anything": 1})] {
            let (code, e) = api
                .call("POST", &path, Some(json!({"properties": properties})))
                .await;
            assert_eq!(
                (code, e["code"].as_str()),
                (422, Some("no_writable_property")),
                "{name}: {e}"
            );
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains("declares no writable property"),
                "{e}"
            );
        }
        // Plain RPC still goes: a model without services accepts any method.
        let (code, c) = api
            .call("POST", &path, Some(json!({"method": "ping"})))
            .await;
        assert_eq!(
            (code, c["status"].as_str()),
            (200, Some("succeeded")),
            "{c}"
        );
        let listed = api.get(&path).await;
        assert_eq!(listed["total"], 1, "{listed}");
    }
}
