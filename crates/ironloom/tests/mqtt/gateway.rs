//! The edge gateway against `ironloom serve`: the Modbus simulator polled by the gateway
//! agent, its sub-devices created on the platform, values with source timestamps and
//! quality stored, parameter writes from the REST API down to the PLC with old and new
//! value, and store-and-forward across a SIGKILL of the platform.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ironloom_drivers::sim::{self, SimOptions, Simulator};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::{Api, Server, now_ms, within};

fn pump_model() -> Value {
    json!({"properties": [
        {"identifier": "flow", "name": "Flow", "data_type": {"type": "float", "unit": "m3/h"}},
        {"identifier": "pressure", "name": "Pressure", "data_type": {"type": "float"}},
        {"identifier": "speed_set", "name": "Speed setpoint", "access": "rw", "data_type": {"type": "int", "min": 0, "max": 3000}},
        {"identifier": "current", "name": "Current", "access": "rw", "data_type": {"type": "double"}},
        {"identifier": "running", "name": "Running", "data_type": {"type": "bool"}},
        {"identifier": "bearing_temp", "name": "Bearing temperature", "data_type": {"type": "double"}},
        {"identifier": "ghost", "name": "Unmapped register", "data_type": {"type": "int"}},
        {"identifier": "hydraulic_power", "name": "Hydraulic power", "data_type": {"type": "double", "unit": "kW"}},
    ]})
}

fn boiler_model() -> Value {
    json!({"properties": [
        {"identifier": "temp", "name": "Water temperature", "data_type": {"type": "float"}},
        {"identifier": "setpoint", "name": "Setpoint", "access": "rw", "data_type": {"type": "float", "min": 20, "max": 95}},
        {"identifier": "burner", "name": "Burner", "data_type": {"type": "bool"}},
    ]})
}

pub(crate) async fn sim() -> (u16, CancellationToken) {
    let s = Simulator::new(&SimOptions::default());
    let cancel = CancellationToken::new();
    tokio::spawn(s.clone().run(Duration::from_millis(50), cancel.clone()));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(sim::serve_tcp(s, l, cancel.clone()));
    (port, cancel)
}

/// The platform, buffer and uplink of a test gateway, and its Modbus connection `line-1`
/// to the simulator (polled every 100 ms); the devices follow.
pub(crate) fn preamble(
    mqtt: std::net::SocketAddr,
    token: &str,
    modbus: u16,
    buffer: &std::path::Path,
) -> String {
    format!(
        r#"
[platform]
mqtt = "{mqtt}"
token = "{token}"

[buffer]
dir = "{buffer}"

[uplink]
batch_delay = "50ms"
health_interval = "1s"

[[modbus]]
name = "line-1"
transport = "tcp"
address = "127.0.0.1:{modbus}"
poll_interval_ms = 100
reconnect_min_ms = 100
"#,
        buffer = buffer.display()
    )
}

fn config(
    mqtt: std::net::SocketAddr,
    token: &str,
    modbus: u16,
    buffer: &std::path::Path,
    ghost: bool,
) -> String {
    let ghost = if ghost {
        "\n[[modbus.devices.points]]\nname = \"ghost\"\narea = \"holding\"\naddress = 400\n"
    } else {
        ""
    };
    let head = preamble(mqtt, token, modbus, buffer);
    format!(
        r#"{head}
[[modbus.devices]]
name = "pump-1"
product = "gwPump"
unit = 1

[[modbus.devices.points]]
name = "flow"
area = "holding"
address = 0
type = "f32"

[[modbus.devices.points]]
name = "pressure"
area = "holding"
address = 2
type = "f32"

[[modbus.devices.points]]
name = "speed_set"
area = "holding"
address = 4
writable = true
min = 0
max = 3000

[[modbus.devices.points]]
name = "current"
area = "holding"
address = 5
scale = 0.1

[[modbus.devices.points]]
name = "running"
area = "holding"
address = 6
type = "bit"
bit = 0

[[modbus.devices.points]]
name = "bearing_temp"
area = "input"
address = 0
type = "i16"
scale = 0.1
{ghost}
[[computed]]
device = "pump-1"
name = "hydraulic_power"
expr = "flow * pressure / 36"

[[modbus.devices]]
name = "boiler-1"
product = "gwBoiler"
unit = 3

[[modbus.devices.points]]
name = "temp"
area = "holding"
address = 0
type = "f32"

[[modbus.devices.points]]
name = "setpoint"
area = "holding"
address = 2
type = "f32"
writable = true
write_function = "read_write"

[[modbus.devices.points]]
name = "burner"
area = "discrete"
address = 0
"#,
    )
}

/// Polls `f` every 200 ms until it returns `Some`, for up to `secs` seconds.
pub(crate) async fn eventually<T, F, Fut>(secs: u64, what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    within(secs, what, String::new, f).await
}

pub(crate) async fn device_id(api: &Api, name: &str) -> Option<String> {
    let list = api.get(&format!("/api/v1/devices?q={name}")).await;
    list["items"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == name)
        .map(|d| d["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn gateway_forwards_modbus_values_and_carries_writes_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("platform"));
    let api = Api::new_tenant(&server).await;
    api.product_with("gwPump", "modbus_tcp", pump_model()).await;
    api.product_with("gwBoiler", "modbus_tcp", boiler_model())
        .await;
    let gw_product = api.product_with("gwEdge", "gateway", json!({})).await;
    let gw = api.device(&gw_product, "edge-1").await;
    let (modbus, _sim) = sim().await;
    let cfg = ironloom_gateway::config::parse(&config(
        server.mqtt,
        &gw.access_token,
        modbus,
        &dir.path().join("buffer"),
        true,
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(cfg, stop.clone()).unwrap();

    // The sub-devices appear with their products, and values arrive with quality.
    let a = &api;
    let pump = eventually(20, "pump-1 created", || device_id(a, "pump-1")).await;
    let boiler = eventually(20, "boiler-1 created", || device_id(a, "boiler-1")).await;
    let (p, gw_id) = (&pump, &gw.id);
    let since = now_ms() - 60_000;
    let flow = eventually(20, "flow values", || async move {
        let h = a.history(p, "flow", since, now_ms() + 1000).await;
        (h.len() >= 5).then_some(h)
    })
    .await;
    let v = flow.last().unwrap().2.as_f64().unwrap();
    assert!((0.0..60.0).contains(&v), "{flow:?}");
    let h = api.history(&boiler, "temp", since, now_ms() + 1000).await;
    assert!(!h.is_empty());
    // The computed point: flow × pressure / 36 at the edge, at the inputs' timestamp.
    let power = eventually(20, "hydraulic_power", || async move {
        let h = a
            .history(p, "hydraulic_power", since, now_ms() + 1000)
            .await;
        (!h.is_empty()).then_some(h)
    })
    .await;
    let inputs = api
        .history(&pump, "flow,pressure", since, now_ms() + 1000)
        .await;
    let (_, ts, v) = power.last().unwrap();
    let at = |prop: &str| {
        inputs
            .iter()
            .find(|i| i.0 == prop && i.1 == *ts)
            .unwrap_or_else(|| panic!("no {prop} at {ts}"))
            .2
            .as_f64()
            .unwrap()
    };
    let want = at("flow") * at("pressure") / 36.0;
    assert!(
        (v.as_f64().unwrap() - want).abs() < 1e-3,
        "{v} against {want}"
    );

    // The unmapped register: no value, the reason in the sub-device's error log.
    let errors = eventually(20, "the ghost point in the error log", || async move {
        let e = a.get(&format!("/api/v1/devices/{p}/errors")).await;
        let found = e["items"]
            .as_array()?
            .iter()
            .any(|x| x.to_string().contains("exception 0x02"));
        found.then_some(e)
    })
    .await;
    assert!(errors.to_string().contains("ghost"), "{errors}");

    // A parameter write from the REST API reaches the PLC; the answer holds old and new.
    let (code, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{pump}/commands"),
            Some(json!({"properties": {"speed_set": 2000}, "wait": true, "timeout_ms": 10000})),
        )
        .await;
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["status"], "succeeded", "{c}");
    assert_eq!(
        c["response"]["results"]["speed_set"],
        json!({"old": 1450, "new": 2000}),
        "{c}"
    );
    // The audit record of the result holds the old and the new value.
    let audit = api.get("/api/v1/audit?resource=command").await;
    let result = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "command_result" && e["resource_id"] == c["id"])
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(
        result["details"]["response"]["results"]["speed_set"],
        json!({"old": 1450, "new": 2000}),
        "{result}"
    );
    // FC 23 on the boiler; a value the simulator refuses fails with the exception.
    let (_, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{boiler}/commands"),
            Some(json!({"properties": {"setpoint": 90.0}, "wait": true})),
        )
        .await;
    assert_eq!(c["status"], "succeeded", "{c}");
    assert_eq!(c["response"]["results"]["setpoint"]["new"], 90.0, "{c}");
    // The thing model refuses out-of-range values before they leave the platform.
    let (code, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{boiler}/commands"),
            Some(json!({"properties": {"setpoint": 120.0}, "wait": true})),
        )
        .await;
    assert_eq!(code, 422, "{c}");
    // Writable in the thing model but not in the gateway's point table: the gateway
    // refuses, and says why.
    let (_, c) = api
        .call(
            "POST",
            &format!("/api/v1/devices/{pump}/commands"),
            Some(json!({"properties": {"current": 5.0}, "wait": true})),
        )
        .await;
    assert_eq!(c["status"], "failed", "{c}");
    assert!(
        c["error"].as_str().unwrap_or("").contains("not writable"),
        "{c}"
    );
    // The written setpoint shows in the polled values.
    eventually(20, "speed_set 2000 stored", || async move {
        let h = a
            .history(p, "speed_set", now_ms() - 5000, now_ms() + 1000)
            .await;
        h.iter().any(|p| p.2 == json!(2000)).then_some(())
    })
    .await;
    // The gateway's own health arrives as its telemetry.
    eventually(20, "gateway health", || async move {
        let h = a
            .history(gw_id, "line_1_requests", since, now_ms() + 1000)
            .await;
        h.last().and_then(|p| p.2.as_i64()).filter(|n| *n > 0)
    })
    .await;
    assert!(g.stats.points_acknowledged.load(Ordering::Relaxed) > 0);

    // A new driver document from the platform: checked first, then applied by the running
    // gateway without a restart (a motor added on unit 2).
    let cfg = ironloom_gateway::config::parse(&config(
        server.mqtt,
        &gw.access_token,
        modbus,
        &dir.path().join("unused"),
        false,
    ))
    .unwrap();
    let mut doc = serde_json::to_value(cfg.drivers()).unwrap();
    doc["modbus"][0]["devices"][0]["points"][0]["area"] = json!("coil");
    let path = format!("/api/v1/devices/{}/gateway-config", gw.id);
    let (code, e) = api.call("PUT", &path, Some(doc.clone())).await;
    assert_eq!(code, 422, "{e}");
    assert!(
        e.to_string().contains("modbus[0].devices[0].points[0]"),
        "{e}"
    );
    let (code, e) = api
        .call(
            "PUT",
            &format!("/api/v1/devices/{pump}/gateway-config"),
            Some(doc.clone()),
        )
        .await;
    assert_eq!(code, 422, "only gateways take driver documents: {e}");
    doc["modbus"][0]["devices"][0]["points"][0]["area"] = json!("holding");
    api.product_with("gwMotor", "modbus_tcp", json!({})).await;
    doc["modbus"][0]["devices"].as_array_mut().unwrap().push(
        json!({"name": "motor-1", "product": "gwMotor", "unit": 2, "points": [
            {"name": "voltage", "area": "holding", "address": 8, "scale": 0.1},
        ]}),
    );
    let (code, v) = api.call("PUT", &path, Some(doc)).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["document"]["version"], 1, "{v}");
    let motor = eventually(20, "motor-1 created by the pushed document", || {
        device_id(a, "motor-1")
    })
    .await;
    let m = &motor;
    eventually(20, "motor-1 voltage", || async move {
        let h = a
            .history(m, "voltage", now_ms() - 60_000, now_ms() + 1000)
            .await;
        h.last()
            .and_then(|p| p.2.as_f64())
            .filter(|v| (380.0..420.0).contains(v))
    })
    .await;
    let status = eventually(20, "the gateway reports version 1 applied", || async move {
        let v = a
            .get(&format!("/api/v1/devices/{gw_id}/gateway-config"))
            .await;
        (v["status"]["version"] == 1 && v["status"]["applied"] == true).then_some(v)
    })
    .await;
    assert!(status["document"]["modbus"].is_array(), "{status}");
    assert_eq!(g.stats.config_version.load(Ordering::Relaxed), 1);
    // Removed again: the gateway goes back to its file.
    let (code, v) = api.call("DELETE", &path, None).await;
    assert_eq!(code, 200, "{v}");
    assert!(v["document"].is_null(), "{v}");
    eventually(20, "the gateway reports its file", || async move {
        let v = a
            .get(&format!("/api/v1/devices/{gw_id}/gateway-config"))
            .await;
        (v["status"]["source"] == "file").then_some(())
    })
    .await;
}

#[tokio::test]
async fn store_and_forward_across_a_killed_platform_delivers_every_point_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("platform");
    let server = Server::start(&data);
    let mqtt = server.mqtt;
    let api = Api::new_tenant(&server).await;
    api.product_with("gwPump", "modbus_tcp", pump_model()).await;
    api.product_with("gwBoiler", "modbus_tcp", boiler_model())
        .await;
    let gw_product = api.product_with("gwEdge", "gateway", json!({})).await;
    let gw = api.device(&gw_product, "edge-1").await;
    let (modbus, _sim) = sim().await;
    let cfg = ironloom_gateway::config::parse(&config(
        mqtt,
        &gw.access_token,
        modbus,
        &dir.path().join("buffer"),
        false,
    ))
    .unwrap();
    let start = now_ms();
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(cfg, stop.clone()).unwrap();
    let gr = &g;
    eventually(20, "first values acknowledged", || async move {
        (gr.stats.points_acknowledged.load(Ordering::Relaxed) > 100).then_some(())
    })
    .await;

    // The platform dies under load; the gateway keeps reading into its buffer.
    server.kill();
    let acked_at_kill = g.stats.points_acknowledged.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pending = g.buffer_stats().pending_points;
    assert!(
        pending > 100,
        "the buffer holds the outage's points: {pending}"
    );
    assert!(!g.stats.connected.load(Ordering::Relaxed));

    // Back on the same port: the buffer drains in order.
    let server = Server::start_on(&data, &mqtt.to_string());
    let api = Api::existing_tenant(&server).await;
    eventually(60, "the buffer drained", || async move {
        let b = gr.buffer_stats();
        let acked = gr.stats.points_acknowledged.load(Ordering::Relaxed);
        (b.pending_points == 0 && acked > acked_at_kill + pending).then_some(())
    })
    .await;
    // Stop reading; the last batch goes out too.
    g.shutdown(Duration::from_secs(10)).await;
    assert_eq!(g.buffer_stats().pending_points, 0);
    let forwarded = g.stats.points_forwarded.load(Ordering::Relaxed);
    let end = now_ms() + 1000;

    // Every forwarded point is stored, once (the store keeps one value per timestamp; a
    // point sent twice would still count once, a lost one would be missing).
    let pump = device_id(&api, "pump-1").await.unwrap();
    let boiler = device_id(&api, "boiler-1").await.unwrap();
    let mut stored = 0usize;
    for (dev, props) in [
        (
            &pump,
            "flow,pressure,speed_set,current,running,bearing_temp,hydraulic_power",
        ),
        (&boiler, "temp,setpoint,burner"),
    ] {
        let h = api.history(dev, props, start - 1000, end).await;
        stored += h.len();
        // No gap wider than a few poll intervals in any series: the outage is covered.
        for prop in props.split(',') {
            let ts: Vec<i64> = h.iter().filter(|p| p.0 == prop).map(|p| p.1).collect();
            let widest = ts.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
            assert!(widest < 1000, "{prop}: a gap of {widest} ms");
        }
    }
    eprintln!(
        "store and forward: {pending} points buffered during the outage, {forwarded} forwarded, {stored} stored"
    );
    assert_eq!(
        stored as u64,
        forwarded,
        "every point the gateway read is stored once (dropped: {})",
        g.buffer_stats().dropped_points
    );
}

#[tokio::test]
async fn gateway_reaches_the_platform_over_tls_with_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let server = Server::start_with(
        &dir.path().join("platform"),
        "127.0.0.1:0",
        &[
            ("IRONLOOM__MQTT__TLS_ADDR", "127.0.0.1:0".into()),
            ("IRONLOOM__MQTT__TLS_CERT", cert.display().to_string()),
            ("IRONLOOM__MQTT__TLS_KEY", key.display().to_string()),
        ],
    );
    let api = Api::new_tenant(&server).await;
    api.product_with("gwPump", "modbus_tcp", pump_model()).await;
    api.product_with("gwBoiler", "modbus_tcp", boiler_model())
        .await;
    let gw_product = api.product_with("gwEdge", "gateway", json!({})).await;
    let gw = api.device(&gw_product, "edge-1").await;
    let (modbus, _sim) = sim().await;
    let tls = server.mqtts.unwrap();
    // The certificate names localhost: the gateway connects by that name.
    let text = config(
        tls,
        &gw.access_token,
        modbus,
        &dir.path().join("buffer"),
        false,
    )
    .replace(
        &format!("mqtt = \"{tls}\""),
        &format!(
            "mqtt = \"localhost:{}\"\ntls = true\nca_file = \"{}\"",
            tls.port(),
            cert.display()
        ),
    );
    assert!(text.contains("tls = true"), "{text}");
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(
        ironloom_gateway::config::parse(&text).unwrap(),
        stop.clone(),
    )
    .unwrap();
    let a = &api;
    let pump = eventually(20, "pump-1 over TLS", || device_id(a, "pump-1")).await;
    let p = &pump;
    eventually(20, "flow over TLS", || async move {
        let h = a
            .history(p, "flow", now_ms() - 60_000, now_ms() + 1000)
            .await;
        (!h.is_empty()).then_some(())
    })
    .await;
    assert!(g.stats.connected.load(Ordering::Relaxed));

    // Without the CA the gateway refuses the platform's certificate and sends nothing.
    let other = text.replace(
        &cert.display().to_string(),
        &dir.path().join("other.pem").display().to_string(),
    );
    let other_ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.path().join("other.pem"), other_ca.cert.pem()).unwrap();
    let other = other.replace(
        &dir.path().join("buffer").display().to_string(),
        &dir.path().join("buffer2").display().to_string(),
    );
    let stop2 = CancellationToken::new();
    let _guard2 = stop2.clone().drop_guard();
    let g2 = ironloom_gateway::start(
        ironloom_gateway::config::parse(&other).unwrap(),
        stop2.clone(),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!g2.stats.connected.load(Ordering::Relaxed));
    assert_eq!(g2.stats.points_acknowledged.load(Ordering::Relaxed), 0);
    assert!(
        g2.buffer_stats().pending_points > 0,
        "read and buffered meanwhile"
    );
}

#[tokio::test]
async fn a_hundred_sub_devices_and_cycles_larger_than_a_message_are_forwarded() {
    // 25 connections × 4 units: 100 sub-devices announced at once (more than the MQTT
    // client's request queue holds), and each poll cycle split over several messages.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("platform"));
    let api = Api::new_tenant(&server).await;
    api.product_with("gwAny", "modbus_tcp", json!({})).await;
    let gw_product = api.product_with("gwEdge", "gateway", json!({})).await;
    let gw = api.device(&gw_product, "edge-1").await;
    let (modbus, _sim) = sim().await;
    let mut text = format!(
        "[platform]\nmqtt = \"{}\"\ntoken = \"{}\"\n[buffer]\ndir = \"{}\"\n[uplink]\nbatch_points = 7\nbatch_delay = \"50ms\"\nin_flight = 4\n",
        server.mqtt,
        gw.access_token,
        dir.path().join("buffer").display()
    );
    for c in 0..25 {
        text.push_str(&format!(
            "[[modbus]]\nname = \"c{c}\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{modbus}\"\npoll_interval_ms = 200\n"
        ));
        for unit in 1..=4 {
            text.push_str(&format!(
                "[[modbus.devices]]\nname = \"m-{c}-{unit}\"\nproduct = \"gwAny\"\nunit = {unit}\n[[modbus.devices.points]]\nname = \"v\"\narea = \"holding\"\naddress = 0\ntype = \"f32\"\n"
            ));
        }
    }
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(
        ironloom_gateway::config::parse(&text).unwrap(),
        stop.clone(),
    )
    .unwrap();
    let a = &api;
    eventually(60, "all 100 sub-devices with values", || async move {
        let list = a.get("/api/v1/devices?q=m-&page_size=200").await;
        let items = list["items"].as_array()?;
        if items.len() < 100 {
            return None;
        }
        let last = items.last()?["id"].as_str()?.to_owned();
        let h = a
            .history(&last, "v", now_ms() - 60_000, now_ms() + 1000)
            .await;
        (!h.is_empty()).then_some(())
    })
    .await;
    // Two full poll cycles (100 points each) through, then every sub-device has values.
    let gr = &g;
    eventually(60, "two cycles acknowledged", || async move {
        (gr.stats.points_acknowledged.load(Ordering::Relaxed) >= 200).then_some(())
    })
    .await;
    let acked = g.stats.messages_sent.load(Ordering::Relaxed);
    let points = g.stats.points_acknowledged.load(Ordering::Relaxed);
    assert!(
        points <= acked * 7,
        "{points} points in {acked} messages of at most 7"
    );
    let list = api.get("/api/v1/devices?q=m-&page_size=200").await;
    for d in list["items"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        let h = api
            .history(id, "v", now_ms() - 60_000, now_ms() + 1000)
            .await;
        assert!(!h.is_empty(), "no values for {}", d["name"]);
    }
}
