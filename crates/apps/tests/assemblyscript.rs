//! AssemblyScript apps (`sdk/assemblyscript`): the committed modules of the template and
//! of `apps/spc-xbar-r` are what `build.sh` makes of their sources, the runtime accepts
//! them (imports only from `ironloom` and nothing of `env`), and they run events against a
//! host with key–value state and the real model library.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_apps::{AppEngine, AppsConfig, HostError, HostOp, HostServices, Installation, Scope};
use ironloom_core::app::{Limits, Permission};
use ironloom_core::ids::TenantId;
use ironloom_models::Library;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Builds `app` (relative to the repository) with sdk/assemblyscript/build.sh from a copy
/// of its sources, so the committed module is left alone. `None` (the test is skipped)
/// without node and npm, unless IRONLOOM_REQUIRE_PEERS=1.
fn build(app: &str) -> Option<Vec<u8>> {
    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("node") || !have("npm") {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but node and npm are missing (scripts/install-test-peers.sh installs them)"
        );
        println!("SKIPPED: no node and npm for the AssemblyScript compiler");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join(app).join("assembly"),
        &dir.path().join("assembly"),
    );
    let out = std::process::Command::new("bash")
        .arg(root().join("sdk/assemblyscript/build.sh"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build.sh {app} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read(dir.path().join("modules/main.wasm")).unwrap())
}

#[test]
fn the_committed_assemblyscript_modules_are_what_their_sources_build_to() {
    for app in ["sdk/assemblyscript/template", "apps/spc-xbar-r"] {
        let Some(built) = build(app) else {
            return;
        };
        let committed = std::fs::read(root().join(app).join("modules/main.wasm")).unwrap();
        assert!(
            built == committed,
            "{app}/modules/main.wasm is stale: rebuild it with sdk/assemblyscript/build.sh {app}"
        );
    }
}

/// Serves what these apps ask: state, configuration, the model library; records the rest.
#[derive(Debug, Default)]
struct Host {
    config: Value,
    kv: Mutex<BTreeMap<String, Value>>,
    calls: Mutex<Vec<(HostOp, Value)>>,
}

impl Host {
    fn model(req: &Value) -> Result<Value, HostError> {
        let id = req["model"].as_str().unwrap_or_default();
        let model = Library::get()
            .model(id)
            .ok_or_else(|| HostError::new("not_found", id))?;
        let inputs: Vec<f64> = model
            .card
            .inputs
            .iter()
            .map(|p| req["inputs"][p.name].as_f64().unwrap_or(f64::NAN))
            .collect();
        let out = model
            .evaluate(&inputs)
            .map_err(|e| HostError::new("bad_request", e.to_string()))?;
        let outputs: serde_json::Map<String, Value> = model
            .card
            .outputs
            .iter()
            .zip(out)
            .map(|(p, v)| (p.name.to_string(), json!(v)))
            .collect();
        Ok(json!({"outputs": outputs, "units": {}}))
    }

    fn of(&self, op: HostOp) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

impl HostServices for Host {
    fn call(&self, _scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        self.calls.lock().unwrap().push((op, req.clone()));
        let key = || req["key"].as_str().unwrap_or_default().to_string();
        let mut kv = self.kv.lock().unwrap();
        match op {
            HostOp::KvGet => Ok(kv.get(&key()).cloned().unwrap_or(Value::Null)),
            HostOp::KvSet => {
                kv.insert(key(), req["value"].clone());
                Ok(Value::Null)
            }
            HostOp::KvDelete => {
                kv.remove(&key());
                Ok(Value::Null)
            }
            HostOp::Config => Ok(self.config.clone()),
            HostOp::Model => Host::model(req),
            HostOp::Write => Ok(json!({"stored": 1, "refused": []})),
            HostOp::AlarmRaise => Ok(json!({"id": "a-1", "new": true})),
            HostOp::AlarmClear => Ok(json!({"cleared": true})),
            _ => Err(HostError::new("unknown_op", op.as_str())),
        }
    }
}

/// The engine is returned too: it keeps the clock that enforces deadlines.
fn install(app: &str, config: Value) -> (AppEngine, Installation, Arc<Host>) {
    let wasm = std::fs::read(root().join(app).join("modules/main.wasm")).unwrap();
    install_module(app, &wasm, config)
}

fn install_module(app: &str, wasm: &[u8], config: Value) -> (AppEngine, Installation, Arc<Host>) {
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 4,
        ..AppsConfig::default()
    })
    .unwrap();
    let module = engine
        .compile(wasm)
        .unwrap_or_else(|e| panic!("{app}: the runtime refuses the module: {e}"));
    let host = Arc::new(Host {
        config,
        ..Host::default()
    });
    let scope = Scope {
        tenant: TenantId::new(),
        installation: "i-1".into(),
        name: "test".into(),
        app: "example.app".into(),
        version: "1.0.0".into(),
        products: vec!["p".into()],
        config: json!({}),
    };
    let grant = vec![
        Permission::ReadTelemetry,
        Permission::WriteTelemetry,
        Permission::Alarms,
        Permission::Models,
    ];
    let installation = engine.install(&module, scope, grant, Limits::default(), host.clone());
    (engine, installation, host)
}

fn telemetry(device: &str, property: &str, ts: i64, value: f64) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"kind": "telemetry", "device": device, "product": "p",
        "points": [{"property": property, "ts": ts, "value": value}]}),
    )
    .unwrap()
}

#[test]
fn the_template_counts_readings_in_its_state() {
    let (_engine, mut app, host) = install("sdk/assemblyscript/template", json!({}));
    for i in 0..3 {
        let run = app.invoke(&telemetry("pump-01", "flow", 1_700_000_000_000 + i, 12.5));
        assert_eq!(run.result, Ok(0), "{:?}", run.logs);
        assert!(
            run.logs
                .iter()
                .any(|l| l.message.contains("pump-01 flow = 12.5")),
            "{:?}",
            run.logs
        );
    }
    assert_eq!(host.kv.lock().unwrap()["count:pump-01"], json!(3));
    // Not JSON: refused by the SDK with a log line, no trap.
    let run = app.invoke(b"not json");
    assert_eq!(run.result, Ok(1));
    assert!(run.logs.iter().any(|l| l.message.contains("not a JSON")));
}

#[test]
fn the_spc_app_charts_subgroups_with_the_model_library_and_raises_the_rules() {
    // fixtures/rules-of-seven.json in short: n = 2, centre 10, R̄ = 1 fixed.
    let (_engine, mut app, host) = install(
        "apps/spc-xbar-r",
        json!({"property": "width", "n": 2, "centre": 10.0, "rbar": 1.0}),
    );
    let means = [9.5, 9.6, 9.7, 9.8, 9.9, 10.0, 10.1, 10.05, 12.5];
    let mut ts = 1_700_000_000_000;
    for m in means {
        for x in [m - 0.25, m + 0.25] {
            let run = app.invoke(&telemetry("mill-3", "width", ts, x));
            assert_eq!(run.result, Ok(0), "{:?}", run.logs);
            ts += 60_000;
        }
    }
    let writes = host.of(HostOp::Write);
    assert_eq!(writes.len(), means.len());
    assert!((writes[0]["values"]["xbar"].as_f64().unwrap() - 9.5).abs() < 1e-9);
    assert!((writes[0]["values"]["range"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    let raised: Vec<String> = host
        .of(HostOp::AlarmRaise)
        .iter()
        .map(|r| r["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(raised, ["spc_trend_of_seven", "spc_beyond_limits"]);
    let cleared = host.of(HostOp::AlarmClear);
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0]["type"], "spc_trend_of_seven");
    let chart = host.kv.lock().unwrap()["chart:mill-3"].clone();
    // A2 for n = 2 is 3/(d2·√2) with d2 = 2/√π.
    let a2 = 3.0 / (2.0 / std::f64::consts::PI.sqrt() * 2f64.sqrt());
    assert!((chart["limits"]["x_ucl"].as_f64().unwrap() - (10.0 + a2)).abs() < 1e-9);
    assert_eq!(chart["violations"], json!(["beyond_limits"]));
    assert_eq!(chart["count"], json!(9));
}

/// Whether `actual` has what `expected` lists: objects by their listed keys, lists
/// element by element, numbers within `rel` (absolute 1e-12 near zero).
fn matches(expected: &Value, actual: &Value, rel: f64, at: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            if (e - a).abs() > (rel * e.abs()).max(1e-12) {
                errors.push(format!("{at}: expected {e}, got {a}"));
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                matches(
                    v,
                    a.get(k).unwrap_or(&Value::Null),
                    rel,
                    &format!("{at}.{k}"),
                    errors,
                );
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                matches(e, a, rel, &format!("{at}[{i}]"), errors);
            }
        }
        (e, a) if e == a => {}
        (e, a) => errors.push(format!("{at}: expected {e}, got {a}")),
    }
}

/// The SPC app's fixtures, against the real model library (`ironloom app test` runs
/// them in the platform's fixture host; this keeps them checked from this crate too).
#[test]
fn the_spc_fixtures_hold_with_the_model_library() {
    let dir = root().join("apps/spc-xbar-r/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 4);
    for path in names {
        let fx: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let (_engine, mut app, host) = install("apps/spc-xbar-r", fx["config"].clone());
        if let Some(kv) = fx["kv"].as_object() {
            let mut state = host.kv.lock().unwrap();
            for (k, v) in kv {
                state.insert(k.clone(), v.clone());
            }
        }
        let mut results = Vec::new();
        let mut logs = Vec::new();
        for event in fx["events"].as_array().unwrap() {
            let run = app.invoke(&serde_json::to_vec(event).unwrap());
            results.push(run.result.map_or(json!("stopped"), |r| json!(r)));
            logs.extend(run.logs.into_iter().map(|l| l.message));
        }
        let alarms: Vec<Value> = host
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(op, r)| {
                let kind = match op {
                    HostOp::AlarmRaise => "raise",
                    HostOp::AlarmClear => "clear",
                    _ => return None,
                };
                let mut a = r.clone();
                a["op"] = json!(kind);
                Some(a)
            })
            .collect();
        let actual = json!({
            "results": results,
            "writes": host.of(HostOp::Write),
            "alarms": alarms,
            "kv": Value::Object(host.kv.lock().unwrap().clone().into_iter().collect()),
        });
        let rel = fx["rel"].as_f64().unwrap_or(1e-9);
        let mut errors = Vec::new();
        for key in ["results", "writes", "alarms", "kv"] {
            if let Some(e) = fx["expect"].get(key) {
                matches(e, &actual[key], rel, key, &mut errors);
            }
        }
        for want in fx["expect"]["logs"].as_array().into_iter().flatten() {
            let want = want.as_str().unwrap();
            if !logs.iter().any(|l| l.contains(want)) {
                errors.push(format!("no log line contains {want:?}: {logs:?}"));
            }
        }
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

/// Both apps pack into packages the platform accepts (manifest checked, module compiled).
#[test]
fn the_assemblyscript_apps_are_accepted_as_packages() {
    use ironloom_apps::package::{self, PackageLimits};
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 2,
        ..AppsConfig::default()
    })
    .unwrap();
    for app in ["sdk/assemblyscript/template", "apps/spc-xbar-r"] {
        let mut files = BTreeMap::new();
        for f in [
            "manifest.json",
            "README.md",
            "icon.svg",
            "ui/index.html",
            "modules/main.wasm",
        ] {
            files.insert(
                f.to_string(),
                std::fs::read(root().join(app).join(f)).unwrap(),
            );
        }
        let bytes = package::pack(&files).unwrap();
        if let Err(e) =
            ironloom_apps::AppPackage::read(&bytes, &PackageLimits::default(), Some(&engine))
        {
            panic!("{app}: {e:?}");
        }
    }
}

/// A full chart (100 subgroups kept, Cp/Cpk on) costs each event a small part of the fuel
/// the manifest allows, warm or cold.
#[test]
fn a_full_spc_chart_stays_well_within_its_fuel() {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root().join("apps/spc-xbar-r/manifest.json")).unwrap(),
    )
    .unwrap();
    let allowed = manifest["limits"]["fuel"].as_u64().unwrap();
    let (_engine, mut app, _host) = install(
        "apps/spc-xbar-r",
        json!({"property": "d", "n": 5, "baseline": 20, "window": 100, "lsl": 9.0, "usl": 11.0}),
    );
    let mut most = 0;
    for i in 0..550i64 {
        // A deterministic wobble around 10.
        let x = 10.0 + ((i * 37) % 11 - 5) as f64 * 0.02;
        let run = app.invoke(&telemetry("m-1", "d", 1_700_000_000_000 + i * 1000, x));
        assert_eq!(run.result, Ok(0), "{:?}", run.logs);
        most = most.max(run.fuel);
        if i % 97 == 0 {
            app.stop(); // a cold start now and then
        }
    }
    println!("most fuel for one event: {most} of {allowed}");
    assert!(most < allowed / 4, "{most} of {allowed}");
}

/// The SDK's JSON reader and writer: what a guest reads and writes back is what was sent
/// (escapes, non-ASCII and surrogate pairs, nesting, number forms), and what is not JSON
/// is refused.
#[test]
fn the_sdk_reads_and_writes_json_faithfully() {
    let Some(wasm) = build("crates/apps/tests/guests/as-json") else {
        return;
    };
    let (_engine, mut app, host) = install_module("as-json", &wasm, json!({}));
    let mut echo = |event: Value| -> String {
        let run = app.invoke(&serde_json::to_vec(&event).unwrap());
        assert_eq!(run.result, Ok(0), "{:?}", run.logs);
        run.logs[0].message.clone()
    };
    let values = [
        json!({"a": [1, -2.5, 1e-7, 1.7976931348623157e308, 5e-324, 0.1, 74.01430440804378, 1700000000000i64]}),
        json!({"s": "quote \" backslash \\ slash / tab \t nl \n cr \r ctl \u{1} é 中文 😀"}),
        json!({"deep": {"a": [{"b": [[], {}, [null, true, false]]}], "empty": ""}}),
        json!([{"k": 1, "k2": {"x": "y"}}, "two", 3]),
    ];
    for v in values {
        let back: Value = serde_json::from_str(&echo(json!({"value": v}))).unwrap();
        assert_eq!(back, v);
    }
    // Number forms serde_json writes differently: exponents, negative zero, big integers.
    // What was read as a float is written as one (`1000.0`: the platform types a new
    // series by its first value), an integer as an integer; an integer beyond 2^53 is not
    // exact, so a float.
    let text = r#"{"e": 1E+3, "f": -0.0, "g": 12.5e-1, "h": 9007199254740993, "u": "\ud83d\ude00\u00e9", "i": 2.0, "j": -7}"#;
    let written = echo(json!({"text": text}));
    assert_eq!(
        written,
        r#"{"e":1000.0,"f":0.0,"g":1.25,"h":9007199254740992.0,"u":"😀é","i":2.0,"j":-7}"#
    );
    let back: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        back,
        json!({"e": 1000.0, "f": 0.0, "g": 1.25, "h": 9007199254740992.0, "u": "😀é", "i": 2.0, "j": -7})
    );
    assert!(back["i"].is_f64() && back["j"].is_i64());
    // Built by an app: floats (`setNum`) with a decimal point, integers (`setInt`) without;
    // the write helper sends the time as an integer.
    assert_eq!(
        echo(json!({"build": true})),
        r#"{"f":2.0,"z":0.0,"neg":-3.0,"big":1e+21,"nan":null,"half":2.5,"i":2,"ts":1700000000000}"#
    );
    let written = host.of(HostOp::Write);
    assert_eq!(written.len(), 1);
    assert!(written[0]["values"]["v"].is_f64(), "{written:?}");
    assert!(written[0]["values"]["n"].is_i64(), "{written:?}");
    assert!(written[0]["ts"].is_i64(), "{written:?}");
    for bad in [
        "",
        "{",
        "[1,]",
        "{\"a\" 1}",
        "01x",
        "\"open",
        "tru",
        "[1] 2",
        "{\"a\":1,}",
    ] {
        assert_eq!(echo(json!({"text": bad})), "invalid", "{bad:?}");
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(echo(json!({"text": deep})), "invalid");
}
