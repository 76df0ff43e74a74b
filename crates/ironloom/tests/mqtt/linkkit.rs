//! Alibaba's Link SDK for Python (PyPI `aliyun-iot-linkkit`, `tests/peers/linkkit_device.py`)
//! as the device: it never subscribes by itself and signs in with `_ss=1` in its client id,
//! so the server subscribes it to its `/sys/…` topics at log-in. It posts properties and
//! gets its `post_reply`, and receives a property set from the REST API and answers it.

use serde_json::{Value, json};

use crate::support::{Api, PeerProcess, Server, now_ms, peer_python, within};

fn model() -> Value {
    json!({"properties": [
        {"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}},
        {"identifier": "speed", "name": "Speed", "access": "rw",
         "data_type": {"type": "int", "min": 0, "max": 3000}},
    ]})
}

#[tokio::test]
async fn link_sdk_is_subscribed_by_the_server_with_ss_1() {
    let test = "link_sdk_is_subscribed_by_the_server_with_ss_1";
    let Some(python) = peer_python("IRONLOOM_LINKKIT_PYTHON", "linkkit.linkkit", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("lkPump", model()).await;
    let device = api.device(&product, "lk-pump-1").await;
    let mut sdk = PeerProcess::spawn(
        &python,
        "linkkit_device.py",
        &[
            server.mqtt.ip().to_string(),
            server.mqtt.port().to_string(),
            "lkPump".into(),
            device.name.clone(),
            device.secret.clone(),
        ],
    );
    let log = |sdk: &PeerProcess| {
        format!(
            "{}\nserver log:\n{}",
            sdk.output(),
            server.log.lock().unwrap()
        )
    };
    sdk.expect("connected", 30).await;
    // The post_reply came back on a topic the SDK never subscribed to.
    let posted = sdk.line(30).await;
    assert_eq!(posted, "posted", "{}", log(&sdk));
    let a = &api;
    let id = &device.id;
    within(15, "temp stored", String::new, || async move {
        let h = a
            .history(id, "temp", now_ms() - 60_000, now_ms() + 1000)
            .await;
        h.iter().any(|p| p.2.as_f64() == Some(21.5)).then_some(())
    })
    .await;
    // A property set reaches it on its (server-made) subscription; the SDK answers 200.
    let (code, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{id}/commands"),
            Some(json!({"properties": {"speed": 1200}, "timeout_ms": 15000})),
        )
        .await;
    assert_eq!(code, 200, "{c}\n{}", log(&sdk));
    assert_eq!(c["status"], "succeeded", "{c}");
    let set: Value = serde_json::from_str(&sdk.expect("set ", 15).await).unwrap();
    assert_eq!(set, json!({"speed": 1200}));
    sdk.expect("all ok", 15).await;
}
