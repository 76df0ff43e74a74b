//! A device's live stream (`GET /api/v1/devices/{id}/telemetry/stream`), which the
//! console's live charts read: values as they are stored, one event per message, with the
//! connection events; another tenant cannot open it. System health counts the tenant's
//! traffic, and only its own.

use serde_json::json;

use crate::support::{Api, Dev, Server, now_ms, sse, until};

#[tokio::test]
async fn a_device_stream_carries_its_values_and_connections_and_stays_in_its_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api
        .product(
            "meter",
            json!({"properties": [
                {"identifier": "temp", "name": "Temp", "data_type": {"type": "double"}},
                {"identifier": "count", "name": "Count", "data_type": {"type": "int"}}
            ]}),
        )
        .await;
    let d = api.device(&product, "meter-1").await;
    let other = api.device(&product, "meter-2").await;
    let path = format!("/api/v1/devices/{}/telemetry/stream", d.id);
    let events = sse(&server, api.token(), &path).await;

    let mut dev = Dev::connect(&server, &d.access_token).await;
    let mut dev2 = Dev::connect(&server, &other.access_token).await;
    // A timestamp from the device (a minute ago), kept in the event.
    let ts = now_ms() - 60_000;
    dev.send(json!({"temp": 21.5, "count": 3}), Some(ts)).await;
    dev2.send(json!({"temp": 99.0}), None).await;
    dev.send(json!({"temp": 22.0}), None).await;
    let seen = until("two telemetry events", || async {
        let e = events.lock().unwrap();
        let t: Vec<_> = e
            .iter()
            .filter(|(n, _)| n == "telemetry")
            .cloned()
            .collect();
        (t.len() >= 2).then_some(t)
    })
    .await;
    assert_eq!(seen[0].1["type"], "telemetry");
    assert_eq!(seen[0].1["ts"], ts);
    assert_eq!(seen[0].1["values"], json!({"temp": 21.5, "count": 3}));
    assert_eq!(seen[1].1["values"], json!({"temp": 22.0}));
    // Nothing of the other device.
    assert!(
        !events
            .lock()
            .unwrap()
            .iter()
            .any(|(_, v)| v["values"]["temp"] == 99.0),
        "another device's values in the stream"
    );
    // System health counts the tenant's traffic: two devices connected, three messages
    // (two of meter-1, one of meter-2) with four values.
    let h = api.get("/api/v1/system/health").await;
    assert_eq!(h["traffic"]["connected_devices"], 2, "{h}");
    assert_eq!(h["traffic"]["messages"], 3, "{h}");
    assert_eq!(h["traffic"]["values"], 4, "{h}");
    assert_eq!(h["devices"], 2, "{h}");
    assert!(h["storage"]["points"].as_u64().is_some(), "{h}");
    assert!(h["uptime_s"].as_i64().unwrap() >= 0);
    // The connection event came first; a lost connection is announced.
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|(n, v)| n == "connected" && v["transport"].is_string())
    );
    dev.kill();
    until("the disconnected event", || async {
        events
            .lock()
            .unwrap()
            .iter()
            .any(|(n, _)| n == "disconnected")
            .then_some(())
    })
    .await;

    // Another tenant: the device does not exist for it.
    let stranger = Api::new_tenant_named(&server, "other", "tb").await;
    let (s, body) = stranger.call("GET", &path, None).await;
    assert_eq!(s, 404, "{body}");
    let h = stranger.get("/api/v1/system/health").await;
    assert_eq!(
        h["traffic"],
        json!({"connected_devices": 0, "messages": 0, "values": 0})
    );
    assert_eq!(h["devices"], 0);
    // Without the permission (no token): refused.
    let r = reqwest::get(format!("{}{path}", server.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
