//! Apps on the real platform parts (SQLite metadata, the embedded time-series engine,
//! the in-process bus, the device hub's ingest path): the pump-efficiency app of
//! `apps/` triggered by device telemetry, calling a model, writing derived telemetry and
//! raising an alarm, its usage and logs kept; and the host API kept inside its tenant
//! and products.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_apps::{AppHost, AppsConfig, HostOp, HostServices, Platform, PlatformServices, Scope};
use ironloom_bus::Ingest;
use ironloom_core::app_install::{AppPackageInfo, InstallationSpec};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, DeviceCredentials, NewDevice, NewProduct, NewTenant};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::repo::MetaStore;
use ironloom_core::telemetry::{HistoryQuery, Order, Selection, TelemetryStore};
use ironloom_device::{DeviceHub, HubConfig};
use ironloom_meta::{SqlStore, SqlStoreOptions};
use ironloom_models::meter::Meter;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

fn actor() -> Actor {
    Actor::system("test")
}

async fn tenant(meta: &dyn MetaStore, code: &str) -> TenantId {
    let t = NewTenant {
        code: code.into(),
        name: code.into(),
        description: None,
        max_devices: None,
        max_model_calls: None,
    };
    meta.create_tenant(&actor(), t).await.unwrap().id
}

async fn device(meta: &dyn MetaStore, t: TenantId, key: &str, name: &str) -> DeviceId {
    let p = match meta.find_product_by_key(t, key).await.unwrap() {
        Some(p) => p,
        None => meta
            .create_product(
                &actor(),
                t,
                NewProduct {
                    name: key.into(),
                    product_key: key.into(),
                    description: None,
                    industry: None,
                    category: ironloom_core::industry::DeviceCategory::Operating,
                    kind: None,
                    protocol: ironloom_core::industry::Protocol::Mqtt,
                    thing_model: serde_json::from_value(json!({"properties": [
                        {"identifier": "flow", "name": "Flow", "data_type": {"type": "double", "unit": "L/s"}},
                        {"identifier": "head", "name": "Head", "data_type": {"type": "double", "unit": "m"}},
                        {"identifier": "power", "name": "Shaft power", "data_type": {"type": "double", "unit": "W"}},
                        {"identifier": "eff", "name": "Efficiency", "data_type": {"type": "double", "min": 0, "max": 1.5}},
                        {"identifier": "hydraulic_power", "name": "Hydraulic power", "data_type": {"type": "double", "unit": "W"}}
                    ]}))
                    .unwrap(),
                    tm_extensions: Default::default(),
                },
            )
            .await
            .unwrap(),
    };
    let creds = DeviceCredentials {
        access_token: format!("tok-{t}-{name}"),
        username: format!("u-{t}-{name}"),
        password: "p".repeat(12),
        secret: "s".repeat(20),
        x509_fingerprint: None,
    };
    let d = NewDevice {
        product_id: p.id,
        name: name.into(),
        label: None,
        description: None,
        tags: vec![],
        groups: vec![],
        attributes: Default::default(),
        credentials: creds,
    };
    meta.create_device(&actor(), t, d).await.unwrap().id
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pump-efficiency module built from its source with the C SDK; `None` (the test is
/// skipped) without clang for wasm32-wasi, unless IRONLOOM_REQUIRE_PEERS=1.
fn build_pump_module() -> Option<Vec<u8>> {
    let out = std::env::temp_dir().join(format!(
        "ironloom-pump-{}-{:?}.wasm",
        std::process::id(),
        std::thread::current().id()
    ));
    let ok = std::process::Command::new("clang-14")
        .args([
            "--target=wasm32-wasi",
            "-O2",
            "-mexec-model=reactor",
            "-Wall",
            "-I",
        ])
        .arg(root().join("sdk/c"))
        .arg(root().join("apps/pump-efficiency/src/main.c"))
        .arg("-o")
        .arg(&out)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but clang-14 cannot build wasm32-wasi"
        );
        println!("SKIPPED: no clang-14 for wasm32-wasi");
        return None;
    }
    let wasm = std::fs::read(&out).ok();
    let _ = std::fs::remove_file(&out);
    wasm
}

/// The pump-efficiency app of `apps/`, built and packed.
fn package() -> Option<Vec<u8>> {
    let app = root().join("apps/pump-efficiency");
    let mut files = BTreeMap::new();
    for f in ["manifest.json", "README.md", "icon.svg", "ui/index.html"] {
        files.insert(f.to_string(), std::fs::read(app.join(f)).unwrap());
    }
    files.insert("modules/main.wasm".into(), build_pump_module()?);
    Some(ironloom_apps::package::pack(&files).unwrap())
}

/// The demo installs the committed module: it must be what the source builds to.
#[test]
fn the_committed_pump_module_is_what_its_source_builds_to() {
    let Some(built) = build_pump_module() else {
        return;
    };
    let committed = std::fs::read(root().join("apps/pump-efficiency/modules/main.wasm")).unwrap();
    assert!(
        built == committed,
        "apps/pump-efficiency/modules/main.wasm is stale: rebuild it with clang-14 --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -I sdk/c apps/pump-efficiency/src/main.c -o apps/pump-efficiency/modules/main.wasm"
    );
}

/// The C SDK's unit tests (`sdk/c/test.sh`, built natively with clang-14): its JSON
/// readers read an object's own members, never a nested key of the same name, and
/// `il_json_float` writes floats with a decimal point. Skipped without clang-14, unless
/// IRONLOOM_REQUIRE_PEERS=1.
#[test]
fn the_c_sdk_unit_tests_pass() {
    let have = std::process::Command::new("clang-14")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but clang-14 is missing"
        );
        println!("SKIPPED: no clang-14");
        return;
    }
    let out = std::process::Command::new("bash")
        .arg(root().join("sdk/c/test.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sdk/c/test.sh: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pump_app_derives_efficiency_raises_an_alarm_and_is_metered() {
    let Some(bytes) = package() else { return };
    let w = world(AppsConfig::default()).await;
    let (meta, host, hub, platform, meter) = (&w.meta, &w.host, &w.hub, &w.platform, &w.meter);
    let (a, p1) = (w.a, w.p1);
    // Install with a grant of what it asks (checked as an installation is), for the pump product.
    let inst_id = install(
        &w,
        &bytes,
        "pumps",
        json!({"threshold": 0.7, "persist": 2, "flow_unit": "L/s", "power_unit": "W"}),
        None,
    )
    .await;

    // Two messages: 10 L/s at 20 m with 4 kW on the shaft, η = ρgQH/P = 0.4894.
    let t0 = 1_780_000_000_000_i64;
    for i in 0..2 {
        let values = [("flow", 10.0), ("head", 20.0), ("power", 4000.0)]
            .into_iter()
            .map(|(k, v)| Reported::new(k.into(), Some(t0 + i * 1000), json!(v)))
            .collect();
        let o = Ingest::ingest(&**hub, a, p1, Origin::Device, values)
            .await
            .unwrap();
        assert!(o.refused.is_empty());
    }
    let want = 998.0 * 9.80665 * 0.010 * 20.0 / 4000.0;
    let mut eff = vec![];
    for _ in 0..200 {
        let page = TelemetryStore::history(
            &*platform.store,
            a,
            HistoryQuery {
                selection: Selection {
                    devices: vec![p1],
                    properties: vec!["eff".into()],
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
        eff = page
            .points
            .iter()
            .map(|p| p.value.as_f64().unwrap())
            .collect();
        if eff.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        eff.len(),
        2,
        "derived efficiency written twice; stats {:?}, logs {:?}",
        host.stats(a, inst_id),
        meta.app_logs(a, "pumps", 20).await
    );
    assert!((eff[0] - want).abs() < 1e-6, "{} vs {want}", eff[0]);

    // The second low reading raised the alarm, with the app in its details.
    let alarms = meta
        .list_alarms(a, &Default::default(), &Default::default())
        .await
        .unwrap();
    let alarm = alarms
        .items
        .iter()
        .find(|x| x.alarm_type == "low_pump_efficiency")
        .expect("alarm");
    assert_eq!(alarm.details["installation"], json!("pumps"));
    // Logs and usage; the model call is metered as the app's.
    let logs = meta.app_logs(a, "pumps", 10).await.unwrap();
    assert!(
        logs.iter()
            .any(|l| l.message.starts_with("p1: efficiency 0.489")),
        "{logs:?}"
    );
    host.flush().await;
    let usage = meta.app_usage(a, "2000-01", "2999-12").await.unwrap();
    assert_eq!(usage[0].invocations, 2);
    assert_eq!(usage[0].errors, 0);
    assert!(usage[0].fuel > 0 && usage[0].host_calls >= 10, "{usage:?}");
    let stats = host.stats(a, inst_id);
    assert_eq!((stats.invocations, stats.errors), (2, 0));
    let calls: u64 = meter
        .take()
        .into_iter()
        .filter(|(t, _)| *t == a)
        .flat_map(|(_, r)| r)
        .filter(|r| r.model == "pump.hydraulic_power" && r.source.as_str() == "app")
        .map(|r| r.calls)
        .sum();
    assert_eq!(calls, 2);

    // The host API stays in the installation's tenant and products.
    let platform_b = platform.clone();
    let services = PlatformServices::new(
        platform.clone(),
        tokio::runtime::Handle::current(),
        &AppsConfig::default(),
    );
    let scope = Scope {
        tenant: a,
        installation: inst_id.to_string(),
        name: "pumps".into(),
        app: "pump.efficiency".into(),
        version: "1.0.0".into(),
        products: vec!["pump".into()],
        config: json!({}),
    };
    let call = |op: HostOp, req: Value| {
        let (s, scope) = (&services, scope.clone());
        std::thread::scope(|t| t.spawn(move || s.call(&scope, op, &req)).join().unwrap())
    };
    let latest = call(
        HostOp::Latest,
        json!({"device": "p1", "properties": ["eff"]}),
    )
    .unwrap();
    assert!((latest["values"]["eff"]["value"].as_f64().unwrap() - want).abs() < 1e-6);
    // The installation's devices: its products' only, never another tenant's.
    let devices = call(HostOp::Devices, json!({})).unwrap();
    assert_eq!(devices["total"], json!(1), "{devices}");
    assert_eq!(devices["devices"][0]["name"], json!("p1"));
    assert_eq!(devices["devices"][0]["product"], json!("pump"));
    let none = call(HostOp::Devices, json!({"product": "fan"})).unwrap();
    assert_eq!(none["devices"], json!([]));
    for (device, why) in [
        ("f1", "another product"),
        ("pb1", "another tenant"),
        ("nope", "no such device"),
    ] {
        let e = call(HostOp::Latest, json!({ "device": device })).unwrap_err();
        assert_eq!(e.code, "not_found", "{why}: {e:?}");
        let e = call(
            HostOp::Write,
            json!({"device": device, "values": {"eff": 1}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "not_found", "{why}");
    }
    // History and hourly aggregates of what the app wrote.
    let h = call(
        HostOp::History,
        json!({"device": "p1", "property": "eff", "from": 0, "to": t0 + 10_000}),
    )
    .unwrap();
    assert_eq!(h["points"].as_array().unwrap().len(), 2);
    let agg = call(HostOp::Aggregate, json!({"device": "p1", "property": "eff", "from": t0 - t0 % 3_600_000,
        "to": t0 - t0 % 3_600_000 + 3_600_000, "window": 3_600_000, "aggregations": ["count", "avg"]})).unwrap();
    assert_eq!(agg["windows"][0][1][0], json!(2));
    assert!(
        (agg["windows"][0][1][1].as_f64().unwrap() - want).abs() < 1e-6,
        "{agg}"
    );
    let e = call(
        HostOp::Aggregate,
        json!({"device": "p1", "property": "eff", "from": 0, "to": t0, "window": 1}),
    )
    .unwrap_err();
    assert_eq!(e.code, "bad_request");
    // A value the thing model refuses is refused, not stored.
    let w = call(HostOp::Write, json!({"device": "p1", "values": {"eff": 7}})).unwrap();
    assert_eq!(w["stored"], json!(0));
    assert_eq!(w["refused"][0]["property"], json!("eff"));
    let e = call(
        HostOp::Model,
        json!({"model": "pump.hydraulic_power", "inputs": {"Q": {"value": 1, "unit": "kg"}}}),
    )
    .unwrap_err();
    assert_eq!(e.code, "bad_request");

    // Outbound HTTP: only to hosts the tenant allows, and (by default) never to an
    // internal address; with private addresses allowed, the answer comes back as JSON.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for conn in server.incoming().take(1) {
            let mut conn = conn.unwrap();
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap();
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = format!("{{\"seen\": {:?}}}", head.lines().next().unwrap_or(""));
            write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    let url = format!("http://localhost:{port}/tariff?day=1");
    let e = call(HostOp::Http, json!({ "url": url })).unwrap_err();
    assert_eq!(e.code, "permission_denied");
    assert!(e.message.contains("does not allow"), "{e:?}");
    meta.set_app_http_hosts(&actor(), a, &["localhost".into()])
        .await
        .unwrap();
    let e = call(HostOp::Http, json!({ "url": url })).unwrap_err();
    assert!(e.message.contains("internal address"), "{e:?}");
    let open = PlatformServices::new(
        platform_b,
        tokio::runtime::Handle::current(),
        &AppsConfig {
            http_allow_private: true,
            ..AppsConfig::default()
        },
    );
    let r = std::thread::scope(|t| {
        t.spawn(|| open.call(&scope, HostOp::Http, &json!({ "url": url })))
            .join()
            .unwrap()
    })
    .unwrap();
    assert_eq!(r["status"], json!(200));
    assert_eq!(r["body"]["seen"], json!("GET /tariff?day=1 HTTP/1.1"));
    let e = call(HostOp::Http, json!({"url": "ftp://localhost/x"})).unwrap_err();
    assert_eq!(e.code, "bad_request");
}

/// A package `id` with `triggers` whose module runs `body` on each event (`$log` and the
/// event's `$ptr`/`$len` in scope; it must leave the status on the stack).
fn test_package(id: &str, triggers: Value, body: &str) -> Vec<u8> {
    let wasm = wat::parse_str(format!(
        r#"(module
          (import "ironloom" "log" (func $log (param i32 i32 i32)))
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 1024))
          (func (export "ironloom_alloc") (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $next))
            (global.set $next (i32.add (global.get $next) (local.get $n)))
            (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
              (then (drop (memory.grow (i32.const 1)))))
            (local.get $p))
          (func (export "ironloom_on_event") (param $ptr i32) (param $len i32) (result i32)
            {body}))"#
    ))
    .unwrap();
    let manifest = json!({
        "format": 1, "id": id, "version": "1.0.0",
        "name": {"en": "Test", "zh-CN": "测试"}, "description": {"en": "", "zh-CN": ""},
        "publisher": "test", "triggers": triggers,
        "modules": [{"name": "main", "path": "modules/main.wasm"}]
    });
    let files = BTreeMap::from([
        (
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        ),
        ("README.md".to_string(), b"# Test".to_vec()),
        ("icon.svg".to_string(), b"<svg/>".to_vec()),
        ("modules/main.wasm".to_string(), wasm),
    ]);
    ironloom_apps::package::pack(&files).unwrap()
}

/// Logs every event it receives.
const LOG_EVENT: &str = "(call $log (i32.const 1) (local.get $ptr) (local.get $len)) (i32.const 0)";

/// The platform's parts in a temporary directory, with the app runtime on them: tenant
/// `a` (products `pump` with p1 and `fan` with f1) and tenant `b` (`pump-b` with pb1).
struct World {
    _dir: tempfile::TempDir,
    meta: Arc<dyn MetaStore>,
    a: TenantId,
    b: TenantId,
    p1: DeviceId,
    f1: DeviceId,
    pb: DeviceId,
    hub: Arc<DeviceHub>,
    host: AppHost,
    platform: Platform,
    meter: Arc<Meter>,
    alarms: tokio::sync::broadcast::Sender<ironloom_core::alarm::AlarmEvent>,
    bus: Arc<dyn ironloom_bus::EventBus>,
    _stop: tokio_util::sync::DropGuard,
}

async fn world(config: AppsConfig) -> World {
    let dir = tempfile::tempdir().unwrap();
    let meta: Arc<dyn MetaStore> = Arc::new(
        SqlStore::open(
            &SqlStore::sqlite_url(dir.path()),
            &SqlStoreOptions::default(),
        )
        .await
        .unwrap(),
    );
    let a = tenant(&*meta, "plant-a").await;
    let b = tenant(&*meta, "plant-b").await;
    let p1 = device(&*meta, a, "pump", "p1").await;
    let f1 = device(&*meta, a, "fan", "f1").await;
    let pb = device(&*meta, b, "pump-b", "pb1").await;
    let tdir = dir.path().join("tsdb");
    let tsdb = tokio::task::spawn_blocking(move || {
        ironloom_tsdb::Engine::open(&tdir, ironloom_tsdb::Options::default())
    })
    .await
    .unwrap()
    .unwrap();
    let bus = ironloom_bus::LocalBus::new();
    let hub = DeviceHub::new(
        meta.clone(),
        Arc::new(tsdb.clone()),
        bus.clone(),
        HubConfig::default(),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(hub.clone().run(stop.clone()));
    let (alarms, _) = tokio::sync::broadcast::channel(64);
    let meter = Arc::new(Meter::new());
    let platform = Platform {
        meta: meta.clone(),
        store: Arc::new(tsdb.clone()),
        ingest: hub.clone(),
        link: None,
        meter: meter.clone(),
        alarms: Some(alarms.clone()),
    };
    let host = AppHost::start(platform.clone(), bus.clone(), config)
        .await
        .unwrap();
    World {
        _dir: dir,
        meta,
        a,
        b,
        p1,
        f1,
        pb,
        hub,
        host,
        platform,
        meter,
        alarms,
        bus,
        _stop: stop.drop_guard(),
    }
}

/// Uploads a package to tenant `a` and installs it on product `pump` as `name`, with
/// `config` and `grant` (by default what the app asks for), checked as an installation is.
async fn install(
    w: &World,
    bytes: &[u8],
    name: &str,
    config: Value,
    grant: Option<Vec<ironloom_core::app::Permission>>,
) -> ironloom_core::ids::InstallationId {
    let pkg = w.host.check_package(bytes).unwrap();
    let info = AppPackageInfo {
        tenant_id: w.a,
        app_id: pkg.manifest.id.clone(),
        version: pkg.manifest.version.clone(),
        digest: pkg.digest.clone(),
        size: bytes.len() as u64,
        manifest: pkg.manifest.clone(),
        uploaded_by: "test".into(),
        uploaded_at: chrono::Utc::now(),
    };
    w.meta
        .put_app_package(&actor(), &info, bytes)
        .await
        .unwrap();
    let spec = InstallationSpec {
        name: name.into(),
        app_id: pkg.manifest.id.clone(),
        version: pkg.manifest.version.clone(),
        config,
        grant: grant.unwrap_or_else(|| pkg.manifest.permissions.clone()),
        products: vec!["pump".into()],
        enabled: true,
        edge: None,
    };
    assert_eq!(spec.check(&pkg.manifest), vec![]);
    let inst = w
        .meta
        .create_installation(&actor(), w.a, spec)
        .await
        .unwrap();
    w.host.reload(w.a, inst.id).await.unwrap();
    inst.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_of_the_installations_devices_trigger_it_but_not_those_apps_raise() {
    use ironloom_core::alarm::{AlarmChange, AlarmEvent, NewAlarm};
    let w = world(AppsConfig::default()).await;
    let (meta, alarms, host) = (&w.meta, &w.alarms, &w.host);
    let (a, b, p1, f1, pb) = (w.a, w.b, w.p1, w.f1, w.pb);
    let id = install(
        &w,
        &test_package("t.alarms", json!([{"kind": "alarm"}]), LOG_EVENT),
        "watch",
        json!({}),
        None,
    )
    .await;

    // As the rule engine does: store the alarm, then tell live listeners.
    let raise = |t: TenantId, d: DeviceId, kind: &str, details: Value| {
        let meta = meta.clone();
        let alarms = alarms.clone();
        let kind = kind.to_string();
        async move {
            let (alarm, _) = meta
                .raise_alarm(
                    t,
                    NewAlarm {
                        device_id: d,
                        alarm_type: kind,
                        severity: ironloom_core::rule::Severity::Major,
                        details,
                        rule_id: None,
                        at: chrono::Utc::now(),
                        source: None,
                    },
                )
                .await
                .unwrap()
                .unwrap();
            alarms
                .send(AlarmEvent {
                    change: AlarmChange::Raised,
                    alarm,
                })
                .unwrap();
        }
    };
    raise(a, p1, "overheat", json!({"temp": 93.5})).await;
    // Not its products, not its tenant, or raised by an app: no run.
    raise(a, f1, "overheat", json!({})).await;
    raise(b, pb, "overheat", json!({})).await;
    raise(
        a,
        p1,
        "low_pump_efficiency",
        json!({"app": "pump.efficiency"}),
    )
    .await;
    let mut logs = vec![];
    for _ in 0..100 {
        logs = meta.app_logs(a, "watch", 10).await.unwrap();
        if !logs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = meta.app_logs(a, "watch", 10).await.unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let event: Value = serde_json::from_str(&logs[0].message).unwrap();
    assert_eq!(event["kind"], json!("alarm"));
    assert_eq!(event["change"], json!("raised"));
    assert_eq!(event["device"], json!("p1"));
    assert_eq!(event["product"], json!("pump"));
    assert_eq!(event["alarm"]["type"], json!("overheat"));
    assert_eq!(event["alarm"]["details"]["temp"], json!(93.5));
    assert_eq!(host.stats(a, id).invocations, 1);
}

/// An app that loops on every message is stopped each time; after three stops in a row
/// its triggered events are skipped, with back-off, so it cannot keep the workers busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_app_is_paused_after_three_stops_in_a_row() {
    let w = world(AppsConfig::default()).await;
    let looping = "(loop $l (br $l)) (i32.const 0)";
    let id = install(
        &w,
        &test_package("t.loop", json!([{"kind": "telemetry"}]), looping),
        "spin",
        json!({}),
        None,
    )
    .await;
    for i in 0..20 {
        let values = vec![Reported::new(
            "flow".into(),
            Some(1_780_000_000_000 + i),
            json!(1.5),
        )];
        Ingest::ingest(&*w.hub, w.a, w.p1, Origin::Device, values)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut st = w.host.stats(w.a, id);
    for _ in 0..200 {
        st = w.host.stats(w.a, id);
        if st.invocations + st.skipped >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(st.invocations >= 3 && st.invocations < 8, "{st:?}");
    assert!(st.skipped > 0 && st.paused_until.is_some(), "{st:?}");
    assert!(st.stops_in_a_row >= 3, "{st:?}");
    let logs = w.meta.app_logs(w.a, "spin", 50).await.unwrap();
    assert!(
        logs.iter().any(|l| l.message.contains("used all its fuel")),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.message.contains("triggered events are skipped")),
        "{logs:?}"
    );
}

/// A rule's `app` action (the flow editor's app node) runs an installation that takes
/// calls from rules on the message that made the rule fire, as a telemetry event naming
/// the rule; an installation without the `rule` trigger, a device of another product and
/// another tenant's installation are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_calls_an_app_on_the_messages_that_make_it_fire() {
    use ironloom_core::app_install::AppCaller;
    let w = world(AppsConfig::default()).await;
    let called = install(
        &w,
        &test_package("t.rule", json!([{"kind": "rule"}]), LOG_EVENT),
        "on-rule",
        json!({}),
        None,
    )
    .await;
    let deaf = install(
        &w,
        &test_package("t.deaf", json!([{"kind": "manual"}]), LOG_EVENT),
        "deaf",
        json!({}),
        None,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (alarms, _) = tokio::sync::broadcast::channel(16);
    let rules = ironloom_rules::runtime::start(
        ironloom_rules::runtime::Deps {
            meta: w.meta.clone(),
            bus: w.bus.clone(),
            ingest: w.hub.clone(),
            link: None,
            republish: None,
            alarms,
            models: None,
            apps: Some(Arc::new(w.host.clone())),
        },
        ironloom_rules::config::RuntimeConfig {
            state_dir: dir.path().to_path_buf(),
            ..Default::default()
        },
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let doc: ironloom_core::rule::RuleDoc = serde_json::from_value(json!({
        "name": "high-flow",
        "source": {"products": ["pump"]},
        "condition": {"expr": "flow > 2"},
        "actions": [{"type": "app", "installation": called.to_string()}]
    }))
    .unwrap();
    assert_eq!(doc.check(None), vec![]);
    w.meta.create_rule(&actor(), w.a, doc).await.unwrap();
    ironloom_core::rule::RuleService::reload(&rules.runtime)
        .await
        .unwrap();
    for (i, flow) in [1.5, 2.5, 1.0].into_iter().enumerate() {
        let values = vec![Reported::new(
            "flow".into(),
            Some(1_780_000_000_000 + i as i64),
            json!(flow),
        )];
        Ingest::ingest(&*w.hub, w.a, w.p1, Origin::Device, values)
            .await
            .unwrap();
    }
    let mut logs = vec![];
    for _ in 0..200 {
        logs = w.meta.app_logs(w.a, "on-rule", 10).await.unwrap();
        if !logs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = w.meta.app_logs(w.a, "on-rule", 10).await.unwrap();
    assert_eq!(logs.len(), 1, "only the message with flow > 2: {logs:?}");
    let event: Value = serde_json::from_str(&logs[0].message).unwrap();
    assert_eq!(event["kind"], json!("telemetry"));
    assert_eq!(event["device"], json!("p1"));
    assert_eq!(event["product"], json!("pump"));
    assert_eq!(event["rule"]["name"], json!("high-flow"));
    assert_eq!(event["points"][0]["property"], json!("flow"));
    assert_eq!(event["points"][0]["value"], json!(2.5));
    assert_eq!(event["points"][0]["ts"], json!(1_780_000_000_001i64));

    // Refusals, each with its reason.
    let message = |product: &str| {
        json!({"rule": "r", "rule_id": null, "device": "x",
        "product": product, "ts": 0, "values": {"flow": 3.0}})
    };
    let e = w
        .host
        .call_from_rule(w.a, deaf, true, message("pump"))
        .await
        .unwrap_err();
    assert!(e.contains("no `rule` trigger"), "{e}");
    let e = w
        .host
        .call_from_rule(w.a, called, true, message("fan"))
        .await
        .unwrap_err();
    assert!(e.contains("not one of"), "{e}");
    let e = w
        .host
        .call_from_rule(w.b, called, true, message("pump"))
        .await
        .unwrap_err();
    assert!(e.contains("no such installation"), "{e}");
}

/// A rule's calls never wait behind a slow app: once the installation's queue is full
/// (1024 events), further calls are dropped with a clear error for the rule to note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_call_to_a_full_queue_is_dropped_not_waited_for() {
    use ironloom_core::app_install::AppCaller;
    let w = world(AppsConfig::default()).await;
    // Each event runs until its fuel is spent (tens of milliseconds).
    let id = install(
        &w,
        &test_package(
            "t.slow",
            json!([{"kind": "rule"}]),
            "(loop $l (br $l)) (i32.const 0)",
        ),
        "slow",
        json!({}),
        None,
    )
    .await;
    let message = json!({"rule": "r", "rule_id": null, "device": "p1", "product": "pump",
        "ts": 0, "values": {"flow": 3.0}});
    let started = std::time::Instant::now();
    let mut dropped = Vec::new();
    for _ in 0..1500 {
        if let Err(e) = w.host.call_from_rule(w.a, id, true, message.clone()).await {
            dropped.push(e);
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "calls waited: {:?}",
        started.elapsed()
    );
    assert!(!dropped.is_empty(), "no call was dropped");
    assert!(
        dropped.iter().all(|e| e.contains("queue is full")),
        "{dropped:?}"
    );
}

/// A node that may have missed notices of changes (a cluster node whose NATS connection
/// came back) reads every installation again: one created and one deleted behind its
/// back are followed, and one left alone keeps running with its counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_every_installation_again_follows_changes_it_was_not_told_of() {
    let w = world(AppsConfig::default()).await;
    let pkg = test_package("t.again", json!([{"kind": "telemetry"}]), LOG_EVENT);
    let kept = install(&w, &pkg, "kept", json!({}), None).await;
    let base = w.meta.get_installation(w.a, kept).await.unwrap().spec;
    let spec = |name: &str| InstallationSpec {
        name: name.into(),
        ..base.clone()
    };
    let dropped = w
        .meta
        .create_installation(&actor(), w.a, spec("dropped"))
        .await
        .unwrap()
        .id;
    w.host.reload(w.a, dropped).await.unwrap();
    let values = vec![Reported::new(
        "flow".into(),
        Some(1_780_000_000_000),
        json!(1.5),
    )];
    Ingest::ingest(&*w.hub, w.a, w.p1, Origin::Device, values)
        .await
        .unwrap();
    let mut ran = 0;
    for _ in 0..200 {
        ran = w.host.stats(w.a, kept).invocations;
        if ran >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ran, 1);
    // Behind the host's back: one installation created, one deleted.
    let added = w
        .meta
        .create_installation(&actor(), w.a, spec("added"))
        .await
        .unwrap()
        .id;
    w.meta
        .delete_installation(&actor(), w.a, dropped, false)
        .await
        .unwrap();
    assert!(!w.host.stats(w.a, added).loaded);
    assert!(w.host.stats(w.a, dropped).loaded);
    w.host.reload_all().await.unwrap();
    assert!(w.host.stats(w.a, added).loaded);
    assert!(!w.host.stats(w.a, dropped).loaded);
    let st = w.host.stats(w.a, kept);
    assert!(st.loaded && st.invocations == 1, "kept its state: {st:?}");
}
