//! Apps at the edge on their own: a package pushed in parts, verified and run on
//! schedules and samples, with the host API served from a real buffer on disk.

use super::host::EdgeServices;
use super::*;
use crate::buffer::{Buffer, DropPolicy};
use ironloom_apps::{HostError, HostOp, HostServices};
use std::sync::atomic::AtomicU64;

/// Sets `ran` in its state on every event (through the host API).
const WAT_APP: &str = r#"(module
  (import "ironloom" "call" (func $call (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (data (i32.const 0) "kv.set")
  (data (i32.const 16) "{\22key\22:\22ran\22,\22value\22:1}")
  (func (export "ironloom_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $len)))
    (local.get $p))
  (func (export "ironloom_on_event") (param i32 i32) (result i32)
    (global.set $next (i32.const 1024))
    (drop (call $call (i32.const 0) (i32.const 6) (i32.const 16) (i32.const 23)))
    (i32.const 0)))"#;

fn package() -> Vec<u8> {
    let manifest = json!({
        "format": 1, "id": "edge.tick", "version": "1.0.0",
        "name": {"en": "Tick", "zh-CN": "计时"}, "description": {"en": "Ticks.", "zh-CN": "计时。"},
        "publisher": "Ironloom", "industries": ["C34"], "domains": ["production"],
        "triggers": [{"kind": "schedule", "cron": "*/5 * * * *"}, {"kind": "telemetry", "properties": ["flow"]}],
        "modules": [{"name": "main", "path": "modules/main.wasm"}]
    });
    let mut files = BTreeMap::new();
    files.insert(
        "manifest.json".to_string(),
        serde_json::to_vec(&manifest).unwrap(),
    );
    files.insert("README.md".to_string(), b"# Tick\n".to_vec());
    files.insert("icon.svg".to_string(), b"<svg/>".to_vec());
    files.insert(
        "modules/main.wasm".to_string(),
        wat::parse_str(WAT_APP).unwrap(),
    );
    ironloom_apps::package::pack(&files).unwrap()
}

fn services(dir: &std::path::Path) -> Arc<EdgeServices> {
    let buffer = Buffer::open(&dir.join("buf"), 1 << 20, DropPolicy::DropOldest, false).unwrap();
    let mut routes = crate::agent::Routes::default();
    routes.products = [
        ("pump-1".to_string(), Some("pump".to_string())),
        ("motor-1".to_string(), Some("motor".to_string())),
    ]
    .into_iter()
    .collect();
    Arc::new(EdgeServices {
        routes: Arc::new(Mutex::new(routes)),
        buffer: Arc::new(Mutex::new(buffer)),
        appended: Arc::default(),
        recent: Arc::default(),
        kv_dir: dir.join("state"),
        kv: Mutex::default(),
        runtime: tokio::runtime::Handle::current(),
        stats: Arc::default(),
        rpc_ids: AtomicU64::new(0),
        cancel: CancellationToken::new(),
    })
}

fn scope() -> Scope {
    Scope {
        tenant: ironloom_core::ids::TenantId(uuid::Uuid::nil()),
        installation: "i1".into(),
        name: "tick".into(),
        app: "edge.tick".into(),
        version: "1.0.0".into(),
        products: vec!["pump".into()],
        config: json!({"k": 1}),
    }
}

fn call(s: &EdgeServices, op: HostOp, req: Value) -> Result<Value, HostError> {
    s.call(&scope(), op, &req)
}

fn pending(s: &EdgeServices) -> Vec<(u32, Vec<u8>)> {
    let mut b = lock(&s.buffer);
    let out = b.next_batch(100).unwrap();
    b.rewind();
    out.into_iter().map(|(_, p, body)| (p, body)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_api_answers_from_the_gateway_within_the_installations_products() {
    let dir = tempfile::tempdir().unwrap();
    let s = services(dir.path());
    let s2 = s.clone();
    tokio::task::spawn_blocking(move || {
        let s = &s2;
        lock(&s.recent).add("pump-1", "flow", 1000, json!(35.5));
        lock(&s.recent).add("pump-1", "flow", 2000, json!(36.0));
        let latest = call(s, HostOp::Latest, json!({"device": "pump-1"})).unwrap();
        assert_eq!(
            latest,
            json!({"values": {"flow": {"ts": 2000, "value": 36.0}}})
        );
        let h = call(
            s,
            HostOp::History,
            json!({"device": "pump-1", "property": "flow", "from": 0, "to": 1500}),
        )
        .unwrap();
        assert_eq!(h, json!({"points": [[1000, 35.5]]}));
        // Another product's device, or one the gateway does not serve: not found.
        for d in ["motor-1", "pump-9"] {
            let e = call(s, HostOp::Latest, json!({"device": d})).unwrap_err();
            assert_eq!(e.code, "not_found", "{d}");
        }
        // What cannot work here says so, naming the operation.
        for op in [HostOp::Aggregate, HostOp::Http] {
            let e = call(s, op, json!({})).unwrap_err();
            assert_eq!(e.code, "unavailable");
            assert_eq!(
                e.message,
                format!("{} is not available on the gateway", op.as_str())
            );
        }
        let e = call(
            s,
            HostOp::Command,
            json!({"device": "pump-1", "method": "reset"}),
        )
        .unwrap_err();
        assert!(e.message.contains("only property writes"), "{}", e.message);
        // Derived telemetry and alarms go into the buffer, in order.
        let w = call(
            s,
            HostOp::Write,
            json!({"device": "pump-1", "ts": 3000, "values": {"eff": 0.5, "bad": [1]}}),
        )
        .unwrap();
        assert_eq!(w["stored"], 1);
        assert_eq!(w["refused"][0]["property"], "bad");
        call(
            s,
            HostOp::AlarmRaise,
            json!({"device": "pump-1", "type": "low"}),
        )
        .unwrap();
        let recs = pending(s);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, 1);
        let telemetry: Value = serde_json::from_slice(&recs[0].1).unwrap();
        assert_eq!(
            telemetry,
            json!({"pump-1": [{"ts": 3000, "values": {"eff": 0.5}}]})
        );
        let (topic, body) = crate::buffer::message_of(recs[1].1.clone(), "telemetry");
        assert!(topic.starts_with("v1/devices/me/rpc/request/"), "{topic}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["method"], ironloom_core::edge_app::ALARM_METHOD);
        assert_eq!(body["params"]["installation"], "i1");
        assert_eq!(body["params"]["op"], "raise");
        // The written value is what `latest` sees next.
        let latest = call(
            s,
            HostOp::Latest,
            json!({"device": "pump-1", "properties": ["eff"]}),
        )
        .unwrap();
        assert_eq!(latest["values"]["eff"]["value"], 0.5);
        // State, config and devices.
        call(s, HostOp::KvSet, json!({"key": "a", "value": {"x": 1}})).unwrap();
        assert_eq!(call(s, HostOp::Config, json!({})).unwrap(), json!({"k": 1}));
        let d = call(s, HostOp::Devices, json!({})).unwrap();
        assert_eq!(d["total"], 1);
        assert_eq!(d["devices"][0]["name"], "pump-1");
        let m = call(s, HostOp::Model, json!({"model": "nope"})).unwrap_err();
        assert_eq!(m.code, "not_found");
    })
    .await
    .unwrap();
    // The state is in a file: another gateway process finds it.
    let again = services(dir.path());
    let v = tokio::task::spawn_blocking(move || call(&again, HostOp::KvGet, json!({"key": "a"})))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v, json!({"x": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_pushed_in_parts_runs_on_schedules_and_samples_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = package();
    let pkg = ironloom_apps::AppPackage::read(&bytes, &PackageLimits::default(), None).unwrap();
    let doc = EdgeApps {
        version: 4,
        installations: vec![EdgeInstallation {
            id: "i1".into(),
            name: "tick".into(),
            app_id: "edge.tick".into(),
            version: "1.0.0".into(),
            digest: pkg.digest.clone(),
            size: bytes.len() as u64,
            parts: ironloom_core::edge_app::parts_for(bytes.len() as u64),
            config: json!({}),
            grant: vec![],
            products: vec!["pump".into()],
            triggers: pkg.manifest.triggers.clone(),
        }],
    };
    let apps = Arc::new(EdgeRuntime::new(services(dir.path()), dir.path()));
    // The document first: the gateway asks for the parts it lacks.
    let mut shared = Map::new();
    shared.insert(APPS_ATTRIBUTE.into(), serde_json::to_value(&doc).unwrap());
    let a = apps.clone();
    let out = tokio::task::spawn_blocking(move || a.on_shared(&shared))
        .await
        .unwrap();
    assert!(out.status.is_none());
    assert_eq!(out.request, vec![part_key(&pkg.digest, 0)]);
    // The parts: verified, compiled, started.
    use base64::Engine;
    let mut shared = Map::new();
    shared.insert(
        part_key(&pkg.digest, 0),
        json!(base64::engine::general_purpose::STANDARD.encode(&bytes)),
    );
    let a = apps.clone();
    let out = tokio::task::spawn_blocking(move || a.on_shared(&shared))
        .await
        .unwrap();
    let status = out.status.unwrap();
    assert_eq!(status["applied"], true, "{status}");
    assert_eq!(status["installations"][0]["running"], true, "{status}");

    let invocations = |apps: &EdgeRuntime| {
        apps.status().unwrap()["installations"][0]["invocations"]
            .as_u64()
            .unwrap()
    };
    // A minute its cron matches runs it; one it does not match does not.
    use chrono::TimeZone;
    apps.due(chrono::Utc.with_ymd_and_hms(2026, 12, 6, 9, 11, 0).unwrap());
    apps.due(chrono::Utc.with_ymd_and_hms(2026, 12, 6, 9, 10, 0).unwrap());
    wait(|| invocations(&apps) == 1).await;
    // Time for an event wrongly handed over to have run too.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(invocations(&apps), 1);
    // Samples of its products' devices with a property it watches run it.
    let sample = |d: &str, p: &str| {
        ironloom_drivers::Sample::good(
            &Arc::from(d),
            &Arc::from(p),
            5000,
            ironloom_core::telemetry::Value::F64(1.0),
        )
    };
    apps.observe(&[sample("motor-1", "flow"), sample("pump-1", "pressure")]);
    apps.observe(&[sample("pump-1", "flow")]);
    wait(|| invocations(&apps) == 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(invocations(&apps), 2);

    // A restart: the kept document and package run again without the platform.
    drop(apps);
    let apps = Arc::new(EdgeRuntime::new(services(dir.path()), dir.path()));
    let a = apps.clone();
    tokio::task::spawn_blocking(move || a.load_saved())
        .await
        .unwrap();
    let status = apps.status().unwrap();
    assert_eq!(status["version"], 4, "{status}");
    assert_eq!(status["installations"][0]["running"], true, "{status}");
    // Removed by the platform: nothing runs, the package is gone from disk.
    let a = apps.clone();
    let out = tokio::task::spawn_blocking(move || a.on_deleted())
        .await
        .unwrap();
    assert_eq!(out.status.unwrap()["installations"], json!([]));
    assert_eq!(
        std::fs::read_dir(dir.path().join("apps/packages"))
            .unwrap()
            .count(),
        0
    );
}

async fn wait(mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("not within 5 s");
}
