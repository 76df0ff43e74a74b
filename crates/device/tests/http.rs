//! The HTTP device API against a real listener, driven by curl (a third-party client):
//! telemetry, attributes, events, command polling and answers, the /api/v1/devices/{token}
//! aliases, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Platform, new_device, platform};
use ironloom_core::command::{CommandKind, CommandRequest, CommandStatus, DeviceLink};
use ironloom_core::entity::Actor;
use ironloom_core::telemetry::Value;
use ironloom_device::hub::{ERRORS_SERIES, EVENTS_SERIES};
use serde_json::{Value as Json, json};

async fn serve(p: &Platform) -> SocketAddr {
    let app = ironloom_device::http::router(p.hub.clone(), 64 * 1024);
    let rewrite = tower::util::MapRequestLayer::new(|mut req: axum::extract::Request| {
        ironloom_device::http::rewrite_device_path(&mut req);
        req
    });
    let app = tower::Layer::layer(&rewrite, app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                SocketAddr,
            >(app),
        )
        .await
        .unwrap();
    });
    addr
}

/// Runs curl; returns (HTTP status, body as JSON or null).
async fn curl(args: Vec<String>) -> (u16, Json) {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
            .args(&args)
            .output()
            .expect("curl runs")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (
        code.trim().parse().unwrap(),
        serde_json::from_str(body).unwrap_or(Json::Null),
    )
}

fn post(url: String, body: &str) -> Vec<String> {
    vec![
        "-X".into(),
        "POST".into(),
        "-H".into(),
        "Content-Type: application/json".into(),
        "--data-binary".into(),
        body.into(),
        url,
    ]
}

#[tokio::test]
async fn curl_posts_telemetry_attributes_and_events() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: curl is not installed");
        return;
    }
    let p = platform().await;
    let a = serve(&p).await;
    let t = &p.creds.access_token;
    // ThingsBoard's path, answered only once stored.
    let (code, body) = curl(post(
        format!("http://{a}/api/v1/{t}/telemetry"),
        r#"{"ts":1700000000000,"values":{"temp":21.5}}"#,
    ))
    .await;
    assert_eq!((code, body), (200, json!({"stored": 1})));
    assert_eq!(
        p.series("temp").await,
        vec![(1_700_000_000_000_000, Value::F64(21.5))]
    );
    // The same under /api/v1/devices/{token}/, partly valid: stored in part, errors listed.
    let (code, body) = curl(post(
        format!("http://{a}/api/v1/devices/{t}/telemetry"),
        r#"{"temp":22,"rpm":99999}"#,
    ))
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["stored"], 1);
    assert_eq!(body["errors"][0]["code"], "out_of_range");
    assert_eq!(body["errors"][0]["key"], "rpm");
    // Nothing valid: 400 with the reasons.
    let (code, body) = curl(post(
        format!("http://{a}/api/v1/{t}/telemetry"),
        r#"{"colour":"red"}"#,
    ))
    .await;
    assert_eq!(code, 400);
    assert_eq!(body["errors"][0]["code"], "unknown_property");
    let (code, body) = curl(post(format!("http://{a}/api/v1/{t}/telemetry"), "not json")).await;
    assert_eq!(code, 400);
    assert_eq!(body["errors"][0]["code"], "invalid_payload");
    // Unknown token: 401; an unknown path: 404; too large: 413.
    let (code, body) = curl(post(
        format!("http://{a}/api/v1/nope/telemetry"),
        r#"{"temp":1}"#,
    ))
    .await;
    assert_eq!((code, body["code"].as_str()), (401, Some("invalid_token")));
    let (code, _) = curl(post(format!("http://{a}/api/v1/{t}/teleme"), "{}")).await;
    assert_eq!(code, 404);
    let big = format!(r#"{{"temp":1,"pad":"{}"}}"#, "x".repeat(70_000));
    let (code, _) = curl(post(format!("http://{a}/api/v1/{t}/telemetry"), &big)).await;
    assert_eq!(code, 413);

    // Client attributes, then read back with the shared ones.
    let (code, _) = curl(post(
        format!("http://{a}/api/v1/{t}/attributes"),
        r#"{"fw":"3.1"}"#,
    ))
    .await;
    assert_eq!(code, 200);
    let link: &dyn DeviceLink = &*p.hub;
    link.set_shared_attributes(
        &Actor::system("test"),
        p.tenant,
        p.device,
        json!({"interval": 10}).as_object().unwrap().clone(),
    )
    .await
    .unwrap();
    let (code, body) = curl(vec![format!(
        "http://{a}/api/v1/{t}/attributes?clientKeys=fw&sharedKeys=interval"
    )])
    .await;
    assert_eq!(
        (code, body),
        (
            200,
            json!({"client": {"fw": "3.1"}, "shared": {"interval": 10}})
        )
    );
    // Events: declared ones are logged; undeclared ones refused.
    let (code, _) = curl(post(
        format!("http://{a}/api/v1/devices/{t}/events/overheat?ts=1700000005000"),
        r#"{"temp":130.5}"#,
    ))
    .await;
    assert_eq!(code, 200);
    let (code, body) = curl(post(format!("http://{a}/api/v1/{t}/events/explode"), "{}")).await;
    assert_eq!(code, 400);
    assert_eq!(body["errors"][0]["code"], "unknown_event");
    let events = p.series(EVENTS_SERIES).await;
    assert!(events.iter().any(|(ts, v)| *ts == 1_700_000_005_000_000
        && matches!(v, Value::Str(s) if s.contains("overheat"))));
    assert!(p.series(ERRORS_SERIES).await.len() >= 4);
    p.stop.cancel();
}

#[tokio::test]
async fn curl_polls_commands_and_answers_them() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: curl is not installed");
        return;
    }
    let p = platform().await;
    let a = serve(&p).await;
    let t = p.creds.access_token.clone();
    let link: &dyn DeviceLink = &*p.hub;
    // Nothing waiting: the poll ends with 408.
    let (code, _) = curl(vec![format!("http://{a}/api/v1/{t}/rpc?timeout=300")]).await;
    assert_eq!(code, 408);
    // A queued command is handed to the next poll.
    let queued = link
        .send_command(
            &Actor::system("test"),
            p.tenant,
            p.device,
            CommandRequest {
                kind: CommandKind::SetProperties,
                method: String::new(),
                params: json!({"speed": 42}),
                one_way: false,
                timeout: Duration::from_secs(10),
                queue_for: Some(Duration::from_secs(60)),
                wait: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.status, CommandStatus::Queued);
    let (code, body) = curl(vec![format!(
        "http://{a}/api/v1/devices/{t}/commands?timeout=5000"
    )])
    .await;
    assert_eq!(code, 200);
    assert_eq!(body["method"], "setProperties");
    assert_eq!(body["params"], json!({"speed": 42}));
    let id = body["id"].as_u64().unwrap();
    let (code, _) = curl(post(
        format!("http://{a}/api/v1/{t}/rpc/{id}"),
        r#"{"speed":42}"#,
    ))
    .await;
    assert_eq!(code, 200);
    let c = p.hub.meta().get_command(p.tenant, queued.id).await.unwrap();
    assert_eq!(c.status, CommandStatus::Succeeded);
    // Answering again: nothing awaits it.
    let (code, body) = curl(post(format!("http://{a}/api/v1/{t}/rpc/{id}"), "{}")).await;
    assert_eq!(
        (code, body["code"].as_str()),
        (404, Some("no_such_request"))
    );

    // A two-way command while the device polls: the caller gets the answer.
    let hub = p.hub.clone();
    let (tenant, device) = (p.tenant, p.device);
    let caller = tokio::spawn(async move {
        let link: &dyn DeviceLink = &*hub;
        link.send_command(
            &Actor::system("test"),
            tenant,
            device,
            CommandRequest {
                kind: CommandKind::Call,
                method: "reboot".into(),
                params: json!({"delay": 3}),
                one_way: false,
                timeout: Duration::from_secs(10),
                queue_for: Some(Duration::from_secs(10)),
                wait: true,
            },
        )
        .await
        .unwrap()
    });
    let (code, body) = curl(vec![format!("http://{a}/api/v1/{t}/rpc?timeout=5000")]).await;
    assert_eq!(code, 200);
    assert_eq!(body["method"], "reboot");
    let id = body["id"].as_u64().unwrap();
    let (code, _) = curl(post(
        format!("http://{a}/api/v1/{t}/rpc/{id}"),
        r#"{"error":"door open"}"#,
    ))
    .await;
    assert_eq!(code, 200);
    let done = caller.await.unwrap();
    assert_eq!(done.status, CommandStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("door open"));

    // Shared-attribute updates reach a waiting poll.
    let hub = p.hub.clone();
    let pusher = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let link: &dyn DeviceLink = &*hub;
        link.set_shared_attributes(
            &Actor::system("test"),
            tenant,
            device,
            json!({"mode": "eco"}).as_object().unwrap().clone(),
        )
        .await
        .unwrap();
    });
    let (code, body) = curl(vec![format!(
        "http://{a}/api/v1/{t}/attributes/updates?timeout=5000"
    )])
    .await;
    pusher.await.unwrap();
    assert_eq!((code, body), (200, json!({"mode": "eco"})));
    // Client-side RPC.
    let (code, body) = curl(post(
        format!("http://{a}/api/v1/{t}/rpc"),
        r#"{"method":"getCurrentTime","params":{}}"#,
    ))
    .await;
    assert_eq!(code, 200);
    assert!(body["time"].as_i64().is_some());
    p.stop.cancel();
}

#[tokio::test]
async fn devices_provision_themselves_over_http_and_mqtt() {
    use ironloom_core::entity::NewProvisioning;
    use rumqttc::{Event, Incoming, MqttOptions, QoS};
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: curl is not installed");
        return;
    }
    let p = platform().await;
    let a = serve(&p).await;
    let meta = p.hub.meta().clone();
    let pump = meta.get_device(p.tenant, p.device).await.unwrap();
    meta.set_provisioning(
        &Actor::system("test"),
        p.tenant,
        pump.product_id,
        Some(NewProvisioning {
            provision_key: "pump-provision-key".into(),
            provision_secret: "pump-provision-secret".into(),
            allow_create: true,
        }),
    )
    .await
    .unwrap();
    let url = format!("http://{a}/api/v1/provision");
    let (code, body) = curl(post(
        url.clone(),
        r#"{"deviceName":"pump-9","provisionDeviceKey":"pump-provision-key","provisionDeviceSecret":"pump-provision-secret"}"#,
    ))
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["credentialsType"], "ACCESS_TOKEN");
    let token = body["credentialsValue"].as_str().unwrap().to_owned();
    // The new device sends with its new token.
    let (code, _) = curl(post(
        format!("http://{a}/api/v1/{token}/telemetry"),
        r#"{"temp":1.5}"#,
    ))
    .await;
    assert_eq!(code, 200);
    // The same name again, a wrong secret: refused.
    let (code, body) = curl(post(
        url.clone(),
        r#"{"deviceName":"pump-9","provisionDeviceKey":"pump-provision-key","provisionDeviceSecret":"pump-provision-secret"}"#,
    ))
    .await;
    assert_eq!((code, body["status"].as_str()), (400, Some("FAILURE")));
    let (code, body) = curl(post(
        url.clone(),
        r#"{"deviceName":"pump-10","provisionDeviceKey":"pump-provision-key","provisionDeviceSecret":"wrong"}"#,
    ))
    .await;
    assert_eq!((code, body["status"].as_str()), (401, Some("NOT_FOUND")));
    let (code, _) = curl(post(url.clone(), "junk")).await;
    assert_eq!(code, 400);

    // Pre-registered devices only: pump-1 gets its own token, once.
    meta.set_provisioning(
        &Actor::system("test"),
        p.tenant,
        pump.product_id,
        Some(NewProvisioning {
            provision_key: "pump-provision-key".into(),
            provision_secret: "pump-provision-secret".into(),
            allow_create: false,
        }),
    )
    .await
    .unwrap();
    let mut o = MqttOptions::new("prov", p.addr.ip().to_string(), p.addr.port());
    o.set_credentials("provision", "");
    let (client, mut ev) = rumqttc::AsyncClient::new(o, 10);
    client
        .subscribe("/provision/response", QoS::AtLeastOnce)
        .await
        .unwrap();
    let ask = |name: &str| {
        json!({"deviceName": name, "provisionDeviceKey": "pump-provision-key",
               "provisionDeviceSecret": "pump-provision-secret"})
        .to_string()
    };
    client
        .publish("/provision/request", QoS::AtLeastOnce, false, ask("pump-1"))
        .await
        .unwrap();
    client
        .publish("/provision/request", QoS::AtLeastOnce, false, ask("pump-1"))
        .await
        .unwrap();
    client
        .publish(
            "/provision/request",
            QoS::AtLeastOnce,
            false,
            ask("pump-77"),
        )
        .await
        .unwrap();
    let mut answers = Vec::new();
    while answers.len() < 3 {
        let e = tokio::time::timeout(Duration::from_secs(10), ev.poll())
            .await
            .unwrap()
            .unwrap();
        if let Event::Incoming(Incoming::Publish(m)) = e {
            answers.push(serde_json::from_slice::<Json>(&m.payload).unwrap());
        }
    }
    assert_eq!(answers[0]["status"], "SUCCESS", "{answers:?}");
    assert_eq!(
        answers[0]["credentialsValue"],
        p.creds.access_token.as_str()
    );
    assert_eq!(answers[1]["status"], "FAILURE");
    assert_eq!(answers[2]["status"], "NOT_FOUND");
    // Nothing else is open to a provisioning client: the connection is closed.
    client
        .publish("v1/devices/me/telemetry", QoS::AtLeastOnce, false, "{}")
        .await
        .unwrap();
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(10), ev.poll())
            .await
            .unwrap()
        {
            Err(_) => break true,
            Ok(Event::Incoming(Incoming::PubAck(_))) => break false,
            Ok(_) => {}
        }
    };
    assert!(closed);
    let d = meta.get_device(p.tenant, p.device).await.unwrap();
    assert_eq!(d.attributes["provisioned"], true);

    // Eight simultaneous claims of one pre-registered device: exactly one gets its token.
    let late = meta
        .create_device(
            &Actor::system("test"),
            p.tenant,
            new_device("pump-20", pump.product_id),
        )
        .await
        .unwrap();
    let late_token = meta
        .get_device_credentials(p.tenant, late.id)
        .await
        .unwrap()
        .access_token;
    let claims: Vec<_> = (0..8)
        .map(|_| tokio::spawn(curl(post(url.clone(), &ask("pump-20")))))
        .collect();
    let mut answers = Vec::new();
    for c in claims {
        answers.push(c.await.unwrap());
    }
    let won: Vec<_> = answers
        .iter()
        .filter(|(_, b)| b["status"] == "SUCCESS")
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert_eq!(won[0].1["credentialsValue"], late_token.as_str());
    assert!(
        answers
            .iter()
            .all(|(_, b)| b["status"] == "SUCCESS" || b["status"] == "FAILURE"),
        "{answers:?}"
    );
    p.stop.cancel();
}
