//! Eclipse Paho (paho-mqtt 2.x, Python) as the device: MQTT 5 reason codes, properties,
//! persistent sessions and wills over TCP (`tests/peers/paho_device.py mqtt5`), and
//! MQTT 5 and 3.1.1 over WebSocket (`… websocket`). The values are read back through the
//! REST API.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::Command;

use crate::support::{Api, PeerProcess, Server, now_ms, peer_missing, within};

/// A Python interpreter on PATH that has paho-mqtt (the one of the virtual environment
/// `scripts/install-test-peers.sh` makes), or None after saying the test is skipped.
/// With IRONLOOM_REQUIRE_PEERS set a missing paho fails the test instead.
pub(crate) fn python_with_paho(test: &str) -> Option<&'static str> {
    let found = ["python", "python3"].into_iter().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import paho.mqtt"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        peer_missing(test, "no python on PATH imports paho.mqtt");
    }
    found
}

/// Runs the peer script to completion; it prints "all ok" when every check passed.
pub(crate) async fn run_script(python: &str, args: &[String], server: &Server) {
    let script = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("tests/peers/paho_device.py");
    let child = Command::new(python)
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the paho script did not finish in 120 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("all ok"),
        "paho script: {}\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        server.log.lock().unwrap()
    );
}

pub(crate) fn pump_model() -> Value {
    json!({"properties": [
        {"identifier": "temp", "name": "Temp", "data_type": {"type": "double", "min": -40.0, "max": 125.0}},
        {"identifier": "rpm", "name": "RPM", "data_type": {"type": "int", "min": 0, "max": 3000}}
    ]})
}

fn points(h: &[(String, i64, Value)], property: &str) -> Vec<(i64, f64)> {
    h.iter()
        .filter(|(p, _, _)| p == property)
        .map(|(_, ts, v)| (*ts, v.as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn paho_mqtt5_reason_codes_properties_sessions_and_wills() {
    let Some(python) = python_with_paho("paho_mqtt5_reason_codes_properties_sessions_and_wills")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("pahoPump", pump_model()).await;
    let device = api.device(&product, "pump-1").await;
    let base = now_ms() - 60_000;
    let args: Vec<String> = vec![
        "mqtt5".into(),
        server.mqtt.ip().to_string(),
        server.mqtt.port().to_string(),
        device.access_token.clone(),
        "pahoPump".into(),
        device.name.clone(),
        base.to_string(),
    ];
    run_script(python, &args, &server).await;

    // The will of the dropped connection is stored like telemetry, once the server has
    // noticed the connection is gone.
    let deadline = Instant::now() + Duration::from_secs(20);
    let history = loop {
        let h = api
            .history(&device.id, "temp,rpm", base - 1, base + 10_000)
            .await;
        if points(&h, "temp").iter().any(|&(ts, _)| ts == base + 5000) {
            break h;
        }
        assert!(
            Instant::now() < deadline,
            "the telemetry will was not stored: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        points(&history, "temp"),
        vec![
            (base, 21.5),
            (base + 1000, 20.0),
            (base + 3000, 22.5),
            (base + 5000, -5.0)
        ]
    );
    // 99999 and -1 were refused; only the valid rpm is stored.
    assert_eq!(points(&history, "rpm"), vec![(base, 1200.0)]);
    // Each refusal is in the device's error log.
    let errors = api
        .history(&device.id, "$errors", base - 1, now_ms() + 1000)
        .await;
    let codes: Vec<String> = errors
        .iter()
        .map(|(_, _, v)| {
            let e: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
            e["code"].as_str().unwrap().to_string()
        })
        .collect();
    for code in ["out_of_range", "invalid_payload", "unknown_topic"] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
}

#[tokio::test]
async fn paho_over_websocket_telemetry_is_readable_through_the_api() {
    let Some(python) =
        python_with_paho("paho_over_websocket_telemetry_is_readable_through_the_api")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("wsPump", pump_model()).await;
    let device = api.device(&product, "ws-pump").await;
    let base = now_ms() - 60_000;
    let args: Vec<String> = vec![
        "websocket".into(),
        server.http.ip().to_string(),
        server.http.port().to_string(),
        device.access_token.clone(),
        base.to_string(),
    ];
    run_script(python, &args, &server).await;
    // The PUBACKs came after the values were stored: readable at once.
    let latest = api
        .get(&format!("/api/v1/devices/{}/telemetry/latest", device.id))
        .await;
    let mut got: Vec<(String, i64, Value)> = latest
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["device"], device.id.as_str());
            (
                l["property"].as_str().unwrap().to_string(),
                l["ts"].as_i64().unwrap(),
                l["value"].clone(),
            )
        })
        .filter(|(p, _, _)| !p.starts_with('$'))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("rpm".to_string(), base + 1000, json!(900)),
            ("temp".to_string(), base, json!(31.5)),
        ]
    );
}

/// A device that comes back to its persistent session (MQTT 5 `clean_start=0`, 3.1.1
/// `clean_session=0`, CONNACK with session present) gets the commands queued while it was
/// away without subscribing again, oldest first, and before a command sent after it came
/// back (`tests/peers/paho_device.py resume`).
#[tokio::test]
async fn paho_resumed_sessions_get_queued_commands_oldest_first() {
    let Some(python) = python_with_paho("paho_resumed_sessions_get_queued_commands_oldest_first")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("resumePump", pump_model()).await;
    for version in ["5", "311"] {
        let device = api.device(&product, &format!("resume-{version}")).await;
        let args: Vec<String> = vec![
            "resume".into(),
            version.into(),
            server.mqtt.ip().to_string(),
            server.mqtt.port().to_string(),
            device.access_token.clone(),
            server.base.clone(),
            api.token().to_string(),
            device.id.clone(),
        ];
        run_script(python, &args, &server).await;
        // Each command was answered once, in order.
        let listed = api
            .get(&format!(
                "/api/v1/devices/{}/commands?page_size=100",
                device.id
            ))
            .await;
        let mut done: Vec<(String, String)> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["method"].as_str().unwrap().to_string(),
                    c["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        done.reverse();
        let want: Vec<(String, String)> = (0..40)
            .map(|i| format!("queued-{i}"))
            .chain(["newer".to_string()])
            .map(|m| (m, "succeeded".to_string()))
            .collect();
        assert_eq!(done, want, "MQTT {version}: {listed}");
    }
}

#[tokio::test]
async fn a_connected_device_not_subscribed_to_commands_is_not_listening_not_offline() {
    let test = "a_connected_device_not_subscribed_to_commands_is_not_listening_not_offline";
    let Some(python) = python_with_paho(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let api = Api::new_tenant(&server).await;
    let product = api.product("listenPump", pump_model()).await;
    let device = api.device(&product, "listen-pump").await;
    let commands = format!("/api/v1/devices/{}/commands", device.id);
    // A command that fails rather than waits: the refusal's status and code.
    let refused = || async {
        let (code, e) = api
            .call(
                "POST",
                &commands,
                Some(json!({"method": "reboot", "params": {}})),
            )
            .await;
        (code, e["code"].as_str().unwrap_or_default().to_owned())
    };
    // Not connected at all: offline.
    assert_eq!(refused().await, (409, "device_offline".to_owned()));

    let mut paho = PeerProcess::spawn(
        python,
        "paho_device.py",
        &[
            "listen".into(),
            server.mqtt.ip().to_string(),
            server.mqtt.port().to_string(),
            device.access_token.clone(),
        ],
    );
    paho.expect("connected", 30).await;
    // Connected, but not subscribed to its command topic.
    assert_eq!(
        refused().await,
        (409, "device_not_listening".to_owned()),
        "{}",
        paho.output()
    );
    // Queued instead, it goes out once the device subscribes.
    let (code, queued) = api
        .call(
            "POST",
            &commands,
            Some(json!({"method": "reboot", "params": {"delay": 5}, "offline": "queue", "wait": false})),
        )
        .await;
    assert_eq!(code, 202, "{queued}");
    assert_eq!(queued["status"], "queued", "{queued}");
    paho.send("subscribe").await;
    paho.expect("subscribed", 30).await;
    let rpc: Value = serde_json::from_str(&paho.expect("rpc ", 30).await).unwrap();
    assert_eq!(rpc, json!({"method": "reboot", "params": {"delay": 5}}));
    let a = &api;
    let path = format!("/api/v1/commands/{}", queued["id"].as_str().unwrap());
    let p = &path;
    let done = within(
        15,
        "the queued command answered",
        || paho.output(),
        || async move {
            let c = a.get(p).await;
            (c["status"] == "succeeded").then_some(c)
        },
    )
    .await;
    assert_eq!(done["response"], json!({"done": true}), "{done}");
}
