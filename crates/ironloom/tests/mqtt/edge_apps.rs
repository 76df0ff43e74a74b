//! Apps at the edge against `ironloom serve`: `apps/pump-efficiency` deployed to a gateway
//! agent that polls the Modbus simulator; its derived telemetry reaches the platform
//! through the store-and-forward buffer, also across a killed platform; its alarms come
//! back as the platform's alarms (only for installations deployed to that gateway); manual
//! runs from the platform run there; corrupt and oversized packages, malformed documents
//! and other tenants' gateways are refused.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::gateway::{device_id, eventually, sim};
use crate::support::{Api, Server, now_ms};

fn pump_model() -> Value {
    json!({"properties": [
        {"identifier": "flow", "name": "Flow", "data_type": {"type": "float", "unit": "m3/h"}},
        {"identifier": "head", "name": "Head", "data_type": {"type": "float", "unit": "m"}},
        {"identifier": "power", "name": "Shaft power", "data_type": {"type": "float", "unit": "kW"}},
        {"identifier": "eff", "name": "Efficiency", "data_type": {"type": "double"}},
        {"identifier": "hydraulic_power", "name": "Hydraulic power", "data_type": {"type": "double", "unit": "W"}},
    ]})
}

fn config(
    mqtt: std::net::SocketAddr,
    token: &str,
    modbus: u16,
    buffer: &std::path::Path,
) -> String {
    let head = crate::gateway::preamble(mqtt, token, modbus, buffer);
    format!(
        r#"{head}
[[modbus.devices]]
name = "pump-1"
product = "edgePump"
unit = 1

[[modbus.devices.points]]
name = "flow"
area = "holding"
address = 0
type = "f32"

[[modbus.devices.points]]
name = "head"
area = "holding"
address = 8
type = "f32"

[[modbus.devices.points]]
name = "power"
area = "holding"
address = 10
type = "f32"
"#
    )
}

/// The package of an app of `apps/`, as `ironloom app pack` makes it.
fn package(app: &str, extra: Option<(&str, Vec<u8>)>) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../apps")
        .join(app);
    let mut files = BTreeMap::new();
    for f in [
        "manifest.json",
        "README.md",
        "icon.svg",
        "ui/index.html",
        "modules/main.wasm",
    ] {
        files.insert(f.to_string(), std::fs::read(dir.join(f)).unwrap());
    }
    if let Some((path, bytes)) = extra {
        files.insert(path.to_string(), bytes);
    }
    ironloom_apps::package::pack(&files).unwrap()
}

/// Bytes that do not compress (xorshift).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn installation(gateway: &str, threshold: f64, product: &str) -> Value {
    json!({"name": "pumps-edge", "app_id": "pump.efficiency", "version": "1.0.0",
        "config": {"threshold": threshold},
        "grant": [{"kind": "read_telemetry"}, {"kind": "write_telemetry"}, {"kind": "alarms"}, {"kind": "models"}],
        "products": [product], "edge": {"gateway": gateway}})
}

/// A tenant with the pump product, a gateway device and the pump-efficiency package.
async fn tenant(api: &Api, gateway: &str, product: &str) -> crate::support::Device {
    api.product_with(product, "modbus_tcp", pump_model()).await;
    let gw_product = api
        .product_with(&format!("{product}Gw"), "gateway", json!({}))
        .await;
    let gw = api.device(&gw_product, gateway).await;
    // With 256 KiB that do not compress, the package takes some 40 parts: the gateway
    // asks for them in several requests.
    let (status, body) = api
        .post_bytes(
            "/api/v1/app-packages",
            package("pump-efficiency", Some(("ui/noise.bin", noise(256 << 10)))),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    gw
}

fn app_invocations(status: &Value) -> u64 {
    status["installations"][0]["invocations"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn an_app_deployed_to_a_gateway_runs_there_and_its_results_survive_an_outage() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("platform");
    let server = Server::start(&data);
    let mqtt = server.mqtt;
    let api = Api::new_tenant(&server).await;
    let gw = tenant(&api, "edge-1", "edgePump").await;
    let (modbus, _sim) = sim().await;
    let cfg = config(mqtt, &gw.access_token, modbus, &dir.path().join("buffer"));
    let cfg = ironloom_gateway::config::parse(&cfg).unwrap();
    let start = now_ms();

    // Deployed before the gateway is up: it finds the document when it connects and asks
    // for the package's parts. Efficiency is always below 1: after `persist` (3) readings
    // the app raises its alarm.
    let (status, inst) = api
        .call(
            "POST",
            "/api/v1/app-installations",
            Some(installation("edge-1", 1.0, "edgePump")),
        )
        .await;
    assert_eq!(status, 201, "{inst}");
    let id = inst["id"].as_str().unwrap().to_owned();
    assert_eq!(inst["edge"]["gateway"], "edge-1");
    assert!(inst["edge_status"]["reported"].is_null(), "{inst}");
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(cfg, stop.clone()).unwrap();
    let gr = &g;
    eventually(30, "the app runs on the gateway", || async move {
        let s = gr.apps_status()?;
        (s["applied"] == true && app_invocations(&s) > 5).then_some(())
    })
    .await;
    // A manual run from the platform runs it on the gateway and answers what it did. Its
    // reading is dated before the gateway started: the app writes at the reading's time,
    // and a time one of the gateway's polls also had would store one value over another
    // (the count below would be short by the pair).
    let at = start - 1;
    let (status, run) = api
        .call(
            "POST",
            &format!("/api/v1/app-installations/{id}/run"),
            Some(
                json!({"kind": "telemetry", "device": "pump-1", "product": "edgePump",
                "points": [{"property": "flow", "ts": at, "value": 36.0},
                           {"property": "head", "ts": at, "value": 30.0},
                           {"property": "power", "ts": at, "value": 5.0}]}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["result"], json!({"Ok": 0}), "{run}");
    assert!(run.to_string().contains("pump-1: efficiency"), "{run}");
    assert!(run["host_calls"].as_u64().unwrap() >= 4, "{run}");

    // The derived values arrive through the buffer, as the pump's telemetry.
    let pump = eventually(20, "pump-1 on the platform", || device_id(&api, "pump-1")).await;
    let (a, p) = (&api, &pump);
    eventually(30, "derived efficiency on the platform", || async move {
        let h = a
            .history(p, "eff,hydraulic_power", start, now_ms() + 1000)
            .await;
        (h.len() >= 4).then_some(())
    })
    .await;
    // The gateway's report shows with the installation.
    let a = &api;
    let path = format!("/api/v1/app-installations/{id}");
    let p = &path;
    eventually(
        20,
        "the gateway's report on the installation",
        || async move {
            let v = a.get(p).await;
            (v["edge_status"]["reported"]["running"] == true).then_some(v)
        },
    )
    .await;
    // The app's alarm, forwarded by the gateway, is an alarm of the platform.
    let alarm = eventually(30, "the app's alarm on the platform", || async move {
        let list = a.get("/api/v1/alarms?active=true").await;
        list["items"]
            .as_array()?
            .iter()
            .find(|x| x["alarm_type"] == "low_pump_efficiency")
            .cloned()
    })
    .await;
    assert_eq!(alarm["details"]["app"], "pump.efficiency", "{alarm}");
    assert_eq!(alarm["details"]["installation"], "pumps-edge", "{alarm}");

    // The uplink goes: the app keeps running, its results wait in the buffer.
    server.kill();
    let before = app_invocations(&g.apps_status().unwrap());
    let written_before = g.stats.app_points.load(Ordering::Relaxed);
    eventually(
        20,
        "the app runs while the platform is away",
        || async move {
            let s = gr.apps_status()?;
            (app_invocations(&s) > before + 10 && !gr.stats.connected.load(Ordering::Relaxed))
                .then_some(())
        },
    )
    .await;
    assert!(g.stats.app_points.load(Ordering::Relaxed) > written_before);
    assert!(g.buffer_stats().pending_records > 0);

    // The gateway restarts while the platform is still away: the apps of the document it
    // kept on disk run again, offline.
    g.stop();
    let written_first = g.stats.app_points.load(Ordering::Relaxed);
    drop(g);
    // Its tasks notice the stop and let go of the buffer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stop = CancellationToken::new();
    let _guard2 = stop.clone().drop_guard();
    let cfg = config(mqtt, &gw.access_token, modbus, &dir.path().join("buffer"));
    let g = ironloom_gateway::start(ironloom_gateway::config::parse(&cfg).unwrap(), stop.clone())
        .unwrap();
    let gr = &g;
    eventually(
        30,
        "the kept apps run after a restart, offline",
        || async move {
            let s = gr.apps_status()?;
            (app_invocations(&s) > 5 && !gr.stats.connected.load(Ordering::Relaxed)).then_some(())
        },
    )
    .await;

    // Back: every derived value the app wrote is stored, once.
    let server = Server::start_on(&data, &mqtt.to_string());
    let api = Api::existing_tenant(&server).await;
    eventually(60, "the buffer drained", || async move {
        (gr.buffer_stats().pending_records == 0 && gr.stats.connected.load(Ordering::Relaxed))
            .then_some(())
    })
    .await;
    g.shutdown(Duration::from_secs(10)).await;
    assert_eq!(g.buffer_stats().pending_records, 0);
    let written = written_first + g.stats.app_points.load(Ordering::Relaxed);
    let stored = api
        .history(&pump, "eff,hydraulic_power", start - 1000, now_ms() + 1000)
        .await
        .len() as u64;
    eprintln!(
        "edge app: {written} derived values written at the edge ({written_first} before the restart), {stored} stored"
    );
    assert_eq!(
        stored, written,
        "every value the app wrote at the edge is stored once"
    );
}

#[tokio::test]
async fn corrupt_packages_and_malformed_documents_are_refused_by_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("platform"));
    let api = Api::new_tenant(&server).await;
    let gw = tenant(&api, "edge-1", "edgePump").await;
    let (modbus, _sim) = sim().await;
    let cfg = config(
        server.mqtt,
        &gw.access_token,
        modbus,
        &dir.path().join("buffer"),
    );
    let stop = CancellationToken::new();
    let _guard = stop.clone().drop_guard();
    let g = ironloom_gateway::start(ironloom_gateway::config::parse(&cfg).unwrap(), stop.clone())
        .unwrap();
    let gr = &g;
    let attrs = format!("/api/v1/devices/{}/attributes/shared", gw.id);

    // Not an apps document at all: refused with the reason, the gateway carries on.
    let (status, body) = api
        .call(
            "PATCH",
            &attrs,
            Some(json!({"set": {"gateway_apps": {"installations": "all of them"}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let s = eventually(20, "the malformed document refused", || async move {
        gr.apps_status().filter(|s| s["applied"] == false)
    })
    .await;
    assert!(
        s["errors"][0]
            .as_str()
            .unwrap()
            .contains("not an apps document"),
        "{s}"
    );

    // Parts that are no package, and a real package under another digest.
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let real = package("pump-efficiency", None);
    let entry = |id: &str, name: &str, digest: String, size: usize| {
        json!({"id": id, "name": name, "app_id": "pump.efficiency", "version": "1.0.0",
            "digest": digest, "size": size, "parts": ironloom_core::edge_app::parts_for(size as u64),
            "config": {}, "grant": [], "products": ["edgePump"],
            "triggers": [{"kind": "telemetry", "properties": ["flow", "head", "power"]}, {"kind": "manual"}]})
    };
    let garbage = vec![0x5au8; 5000];
    let (d1, d2) = ("1".repeat(64), "2".repeat(64));
    let mut set = serde_json::Map::new();
    set.insert(format!("gateway_app_part_{d1}_0"), json!(b64(&garbage)));
    let real64 = b64(&real);
    for (n, chunk) in real64
        .as_bytes()
        .chunks(ironloom_core::edge_app::PART_CHARS)
        .enumerate()
    {
        set.insert(
            format!("gateway_app_part_{d2}_{n}"),
            json!(String::from_utf8(chunk.to_vec()).unwrap()),
        );
    }
    set.insert(
        "gateway_apps".into(),
        json!({"version": 7, "installations": [
            entry("i1", "corrupt", d1, garbage.len()),
            entry("i2", "mislabelled", d2, real.len()),
        ]}),
    );
    let (status, body) = api.call("PATCH", &attrs, Some(json!({ "set": set }))).await;
    assert_eq!(status, 200, "{body}");
    let s = eventually(30, "both packages refused", || async move {
        gr.apps_status().filter(|s| s["version"] == 7)
    })
    .await;
    assert_eq!(s["applied"], false, "{s}");
    let list = s["installations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|i| i["running"] == false), "{s}");
    let err0 = list[0]["error"].as_str().unwrap();
    let err1 = list[1]["error"].as_str().unwrap();
    assert!(err0.contains("the package was refused"), "{err0}");
    assert!(
        err1.contains("the package's digest is") && err1.contains(&"2".repeat(64)),
        "{err1}"
    );
    // The platform shows the gateway's report too.
    let (a, id) = (&api, gw.id.clone());
    let id = &id;
    eventually(20, "the report on the platform", || async move {
        let v = a.get(&format!("/api/v1/devices/{id}/gateway-apps")).await;
        (v["status"]["version"] == 7).then_some(())
    })
    .await;
    assert!(
        g.stats.connected.load(Ordering::Relaxed),
        "the gateway kept running"
    );
}

#[tokio::test]
async fn tenants_deploy_only_to_their_own_gateways_and_packages_that_fit_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("platform"));
    let a = Api::new_tenant(&server).await;
    let gw_a = tenant(&a, "edge-a", "edgePump").await;
    let b = Api::new_tenant_named(&server, "plant2", "tb").await;
    let gw_b_token = tenant(&b, "edge-b", "bPump").await.access_token;

    // Tenant B names A's gateway, by name and by id: no such gateway in B's tenant.
    for target in ["edge-a", gw_a.id.as_str()] {
        let (status, body) = b
            .call(
                "POST",
                "/api/v1/app-installations",
                Some(installation(target, 0.5, "bPump")),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("no gateway device"), "{body}");
    }
    // Nothing was pushed to A's gateway.
    let v = a
        .get(&format!("/api/v1/devices/{}/gateway-apps", gw_a.id))
        .await;
    assert!(v["document"].is_null(), "{v}");

    // A device that is not a gateway.
    let pump_product = b.get("/api/v1/products").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product_key"] == "bPump")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.device(&pump_product, "pump-9").await;
    let (status, body) = b
        .call(
            "POST",
            "/api/v1/app-installations",
            Some(installation("pump-9", 0.5, "bPump")),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("is not a gateway"), "{body}");

    // A package over the gateway's limit (2 MiB packed; random bytes do not compress).
    let noise = noise(3 << 20);
    let mut manifest: Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../apps/pump-efficiency/manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    manifest["version"] = json!("1.0.1");
    let mut big = BTreeMap::new();
    let dir_app =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../apps/pump-efficiency");
    for f in [
        "README.md",
        "icon.svg",
        "ui/index.html",
        "modules/main.wasm",
    ] {
        big.insert(f.to_string(), std::fs::read(dir_app.join(f)).unwrap());
    }
    big.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    );
    big.insert("ui/noise.bin".into(), noise);
    let (status, body) = b
        .post_bytes(
            "/api/v1/app-packages",
            ironloom_apps::package::pack(&big).unwrap(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut inst = installation("edge-b", 0.5, "bPump");
    inst["version"] = json!("1.0.1");
    let (status, body) = b
        .call("POST", "/api/v1/app-installations", Some(inst))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("a gateway takes packages of at most"),
        "{body}"
    );

    // The right gateway: the document is pushed, with the package in parts.
    let (status, body) = b
        .call(
            "POST",
            "/api/v1/app-installations",
            Some(installation("edge-b", 0.5, "bPump")),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let gw_b = crate::gateway::device_id(&b, "edge-b").await.unwrap();
    let v = b.get(&format!("/api/v1/devices/{gw_b}/gateway-apps")).await;
    let doc = &v["document"];
    assert_eq!(doc["installations"][0]["name"], "pumps-edge", "{v}");
    assert_eq!(
        doc["installations"][0]["config"]["persist"], 3,
        "defaults filled in: {v}"
    );
    let parts = doc["installations"][0]["parts"].as_u64().unwrap();
    assert!(
        parts > 16,
        "more parts than one request of the gateway asks for: {parts}"
    );
    let shared = b
        .get(&format!("/api/v1/devices/{gw_b}/attributes/shared"))
        .await;
    let keys = shared.to_string().matches("gateway_app_part_").count() as u64;
    assert_eq!(keys, parts, "{parts} parts pushed");
    // One gateway runs at most 16 installations (checked before anything is stored); a
    // disabled one does not count.
    for n in 0..17 {
        let mut spec = installation("edge-a", 0.5, "edgePump");
        spec["name"] = json!(format!("pumps-{n}"));
        let (status, body) = a
            .call("POST", "/api/v1/app-installations", Some(spec.clone()))
            .await;
        if n < 16 {
            assert_eq!(status, 201, "{n}: {body}");
            continue;
        }
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains("at most 16"), "{body}");
        spec["enabled"] = json!(false);
        let (status, body) = a
            .call("POST", "/api/v1/app-installations", Some(spec))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let v = a
        .get(&format!("/api/v1/devices/{}/gateway-apps", gw_a.id))
        .await;
    assert_eq!(v["document"]["installations"].as_array().unwrap().len(), 16);

    // Alarms forwarded by a gateway count only for installations deployed to it: A's
    // gateway claiming B's installation raises nothing; B's own gateway does.
    let id = body["id"].as_str().unwrap();
    let forward = |kind: &str| {
        json!({"method": "ironloom.app_alarm", "params": {"installation": id, "op": "raise",
            "request": {"device": "pump-9", "type": kind}}})
    };
    let mut dev_a = crate::support::Dev::connect(&server, &gw_a.access_token).await;
    dev_a
        .publish("v1/devices/me/rpc/request/1", forward("forged"))
        .await;
    let mut dev_b = crate::support::Dev::connect(&server, &gw_b_token).await;
    dev_b
        .publish("v1/devices/me/rpc/request/1", forward("forwarded"))
        .await;
    let bb = &b;
    let alarms = eventually(20, "the alarm B's gateway forwarded", || async move {
        let list = bb.get("/api/v1/alarms").await;
        let items = list["items"].as_array()?.clone();
        items
            .iter()
            .any(|x| x["alarm_type"] == "forwarded")
            .then_some(items)
    })
    .await;
    assert!(
        !alarms.iter().any(|x| x["alarm_type"] == "forged"),
        "{alarms:?}"
    );
    let list = a.get("/api/v1/alarms").await;
    assert_eq!(list["items"], json!([]), "{list}");

    // Disabled: left out of the gateway's document (the gateway stops it); enabled again:
    // back, under a new version each time.
    let mut spec = installation("edge-b", 0.5, "bPump");
    spec["enabled"] = json!(false);
    let (status, v) = b
        .call(
            "PUT",
            &format!("/api/v1/app-installations/{id}"),
            Some(spec.clone()),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let v = b.get(&format!("/api/v1/devices/{gw_b}/gateway-apps")).await;
    assert_eq!(v["document"]["installations"], json!([]), "{v}");
    let disabled_version = v["document"]["version"].as_u64().unwrap();
    spec["enabled"] = json!(true);
    spec["config"] = json!({"threshold": 0.7});
    let (status, v) = b
        .call(
            "PUT",
            &format!("/api/v1/app-installations/{id}"),
            Some(spec),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let v = b.get(&format!("/api/v1/devices/{gw_b}/gateway-apps")).await;
    assert_eq!(
        v["document"]["installations"][0]["config"]["threshold"], 0.7,
        "{v}"
    );
    assert_eq!(
        v["document"]["version"].as_u64().unwrap(),
        disabled_version + 1
    );

    // Uninstalled: an empty document, the parts removed.
    let (status, _) = b
        .call("DELETE", &format!("/api/v1/app-installations/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let v = b.get(&format!("/api/v1/devices/{gw_b}/gateway-apps")).await;
    assert_eq!(v["document"]["installations"], json!([]), "{v}");
    let shared = b
        .get(&format!("/api/v1/devices/{gw_b}/attributes/shared"))
        .await;
    assert!(
        !shared.to_string().contains("gateway_app_part_"),
        "{shared}"
    );
}
