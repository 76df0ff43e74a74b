//! Draining a node for a rolling upgrade (`POST /api/v1/system/drain`): connected MQTT
//! devices are told to use another server (MQTT 5 reason 0x9C; 3.1.1 clients are
//! disconnected), new ones are refused the same way, `/readyz` fails so a load balancer
//! sends nothing new, and health says so. Only the platform administrator may drain;
//! a bad rate is refused. (Partitions moving off a drained cluster node: cluster.rs.)

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode, DisconnectReasonCode, Packet};
use rumqttc::v5::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, StateError};
use serde_json::json;

use crate::support::{Api, Server};

/// An MQTT 5 device session on `server`, or the code its CONNACK refused it with.
pub(crate) async fn connect_v5(
    server: &Server,
    token: &str,
) -> Result<(AsyncClient, EventLoop), ConnectReturnCode> {
    let mut o = MqttOptions::new(
        format!("v5-{token}"),
        server.mqtt.ip().to_string(),
        server.mqtt.port(),
    );
    o.set_credentials(token, "");
    let (client, mut ev) = AsyncClient::new(o, 16);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ev.poll())
            .await
            .expect("no CONNACK within 10 s")
        {
            Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok((client, ev)),
            Ok(_) => {}
            Err(ConnectionError::ConnectionRefused(code)) => return Err(code),
            Err(e) => panic!("connecting: {e}"),
        }
    }
}

/// Waits for the server's DISCONNECT and returns its reason.
pub(crate) async fn told_to_leave(ev: &mut EventLoop) -> DisconnectReasonCode {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ev.poll())
            .await
            .expect("not disconnected within 10 s")
        {
            Ok(Event::Incoming(Packet::Disconnect(d))) => return d.reason_code,
            Ok(_) => {}
            Err(ConnectionError::MqttState(StateError::ServerDisconnect {
                reason_code, ..
            })) => return reason_code,
            Err(e) => panic!("closed without DISCONNECT: {e}"),
        }
    }
}

async fn readyz(server: &Server) -> u16 {
    reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_drained_node_sends_its_devices_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api
        .product(
            "meter",
            json!({"properties": [{"identifier": "n", "name": "N", "data_type": {"type": "int"}}]}),
        )
        .await;
    let d = api.device(&product, "m-1").await;
    let (_client, mut ev) = connect_v5(&server, &d.access_token).await.unwrap();
    assert_eq!(readyz(&server).await, 200);
    // Only the platform administrator drains; the rate is checked.
    let (status, body) = api
        .call("POST", "/api/v1/system/drain", Some(json!({})))
        .await;
    assert_eq!(status, 403, "{body}");
    let admin = Api::platform_admin(&server).await;
    for bad in [
        json!({"devices_per_second": 0}),
        json!({"devices_per_second": 100_001}),
    ] {
        let (status, body) = admin.call("POST", "/api/v1/system/drain", Some(bad)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["code"], "invalid_input", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("devices_per_second"),
            "{body}"
        );
    }
    assert_eq!(readyz(&server).await, 200);
    let (status, body) = admin
        .call(
            "POST",
            "/api/v1/system/drain",
            Some(json!({"devices_per_second": 50})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, json!({"draining": true, "devices_per_second": 50}));
    assert_eq!(
        told_to_leave(&mut ev).await,
        DisconnectReasonCode::UseAnotherServer
    );
    assert_eq!(
        connect_v5(&server, &d.access_token).await.err(),
        Some(ConnectReturnCode::UseAnotherServer)
    );
    assert_eq!(readyz(&server).await, 503);
    let h = admin.get("/api/v1/system/health").await;
    assert_eq!(h["draining"], true, "{h}");
    // Asking again changes nothing.
    let (status, _) = admin
        .call("POST", "/api/v1/system/drain", Some(json!({})))
        .await;
    assert_eq!(status, 202);
}
