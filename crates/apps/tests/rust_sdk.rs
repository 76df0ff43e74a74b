//! Apps in Rust (`sdk/rust`): the SDK's unit tests (run natively with Debian's rustc);
//! `apps/vibration-pdm` rebuilt with `sdk/rust/build.sh` from its sources to the committed
//! bytes, the template (which commits no module) built alike, the same bytes from two
//! directories; both modules run in the sandbox on a host that serves models from the real
//! library. What needs `/usr/bin/rustc` and its wasm32 standard library
//! (scripts/install-test-peers.sh installs them) is skipped without them, unless
//! IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_apps::{AppEngine, AppsConfig, HostError, HostOp, HostServices, Scope};
use ironloom_core::app::{Limits, Permission};
use ironloom_core::ids::TenantId;
use ironloom_core::model::{self, Catalogue, Given, OutputData};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const RUSTC: &str = "/usr/bin/rustc";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether Debian's rustc is here (`wasm`: with the wasm32-unknown-unknown standard
/// library); a skip is printed, and is a failure with IRONLOOM_REQUIRE_PEERS=1.
fn have_rustc(wasm: bool) -> bool {
    let std_ok = || {
        let out = Command::new(RUSTC)
            .args([
                "--print",
                "target-libdir",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .output();
        out.ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|dir| std::fs::read_dir(dir.trim()).ok())
            .is_some_and(|mut d| {
                d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
            })
    };
    let ok = Path::new(RUSTC).exists() && (!wasm || std_ok());
    if !ok {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but {RUSTC} (with libstd-rust-dev-wasm32) is missing: run scripts/install-test-peers.sh"
        );
        println!(
            "SKIPPED: no {RUSTC} for wasm32-unknown-unknown (Debian rustc, libstd-rust-dev-wasm32)"
        );
    }
    ok
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The module `sdk/rust/build.sh` builds from a copy of the app's sources elsewhere (so
/// this also checks that the build directory does not reach the bytes).
fn build(app: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("some/other/place");
    copy_dir(&root().join(app).join("src"), &copy.join("src"));
    let out = Command::new("bash")
        .arg(root().join("sdk/rust/build.sh"))
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sdk/rust/build.sh {app}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(copy.join("modules/main.wasm")).unwrap()
}

fn committed(app: &str) -> Vec<u8> {
    std::fs::read(root().join(app).join("modules/main.wasm")).unwrap()
}

/// Compiles with `/usr/bin/rustc --edition 2021` and `args` into `dir`, runs the tests.
fn native_tests(dir: &Path, name: &str, args: &[&std::ffi::OsStr]) {
    let bin = dir.join(name);
    let built = Command::new(RUSTC)
        .args(["--edition", "2021"])
        .args(args)
        .arg("-o")
        .arg(&bin)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let run = Command::new(&bin).output().unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{name}: {text}");
    assert!(text.contains("test result: ok"), "{name}: {text}");
}

/// The SDK's unit tests (JSON, host operations on the mock host, events), and the
/// vibration app's own, compiled natively against the SDK as an rlib.
#[test]
fn the_sdk_and_app_unit_tests_pass() {
    if !have_rustc(false) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sdk = root().join("sdk/rust/ironloom.rs");
    native_tests(
        dir.path(),
        "sdk-tests",
        &["--test".as_ref(), sdk.as_os_str()],
    );
    let rlib = dir.path().join("libironloom.rlib");
    let built = Command::new(RUSTC)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "rlib",
            "--crate-name",
            "ironloom",
        ])
        .arg(&sdk)
        .arg("-o")
        .arg(&rlib)
        .status()
        .unwrap();
    assert!(built.success());
    let extern_arg = format!("ironloom={}", rlib.display());
    let app = root().join("apps/vibration-pdm/src/lib.rs");
    native_tests(
        dir.path(),
        "vibration-tests",
        &[
            "--test".as_ref(),
            "--extern".as_ref(),
            extern_arg.as_ref(),
            app.as_os_str(),
        ],
    );
}

#[test]
fn the_committed_rust_modules_are_what_their_sources_build_to() {
    if !have_rustc(true) {
        return;
    }
    let app = "apps/vibration-pdm";
    assert!(
        build(app) == committed(app),
        "{app}/modules/main.wasm is stale: rebuild it with sdk/rust/build.sh {app}"
    );
    // Built twice in two other directories, the template gives the same bytes.
    let template = "sdk/rust/template";
    assert!(
        build(template) == build(template),
        "{template} builds differently"
    );
}

/// Serves configuration, state and the model library as the platform does, and records
/// every other call with a plain answer.
#[derive(Debug, Default)]
struct Host {
    calls: Mutex<Vec<(HostOp, Value)>>,
    kv: Mutex<BTreeMap<String, Value>>,
}

fn run_model(req: &Value) -> Result<Value, HostError> {
    let bad = |e: String| HostError::new("bad_request", e);
    let lib = ironloom_models::Library::get();
    let id = req["model"].as_str().unwrap_or("");
    let card = lib
        .card(id)
        .ok_or_else(|| HostError::new("not_found", id))?;
    let inputs: BTreeMap<String, Given> =
        serde_json::from_value(req["inputs"].clone()).map_err(|e| bad(e.to_string()))?;
    let out = model::prepare_data(card, &inputs)
        .and_then(|x| lib.evaluate_data(card.id, x))
        .and_then(|y| model::present_data(card, y, &BTreeMap::new()))
        .map_err(|e| bad(e.to_string()))?;
    let mut outputs = serde_json::Map::new();
    for (name, o) in out {
        if let OutputData::Value(v) = o {
            outputs.insert(name.into(), json!(v.value));
        }
    }
    Ok(json!({ "outputs": outputs, "units": {} }))
}

impl HostServices for Host {
    fn call(&self, scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        self.calls.lock().unwrap().push((op, req.clone()));
        let key = req["key"].as_str().unwrap_or("").to_string();
        match op {
            HostOp::Config => Ok(scope.config.clone()),
            HostOp::KvGet => Ok(self
                .kv
                .lock()
                .unwrap()
                .get(&key)
                .cloned()
                .unwrap_or(Value::Null)),
            HostOp::KvSet => {
                self.kv.lock().unwrap().insert(key, req["value"].clone());
                Ok(Value::Null)
            }
            HostOp::Model => run_model(req),
            HostOp::Latest => Ok(json!({"values": {}})),
            HostOp::Write => Ok(json!({"stored": 1, "refused": []})),
            HostOp::AlarmRaise => Ok(json!({"id": "a1", "new": true})),
            HostOp::AlarmClear => Ok(json!({"cleared": true})),
            _ => Ok(Value::Null),
        }
    }
}

impl Host {
    fn requests(&self, op: HostOp) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.0 == op)
            .map(|c| c.1.clone())
            .collect()
    }
}

fn scope(config: Value) -> Scope {
    Scope {
        tenant: TenantId::new(),
        installation: "i1".into(),
        name: "i1".into(),
        app: "test.app".into(),
        version: "1.0.0".into(),
        products: vec![],
        config,
    }
}

/// Loads a module into the engine (which refuses imports other than the host API and the
/// WASI subset) and checks that it imports nothing but `ironloom`.
fn load(engine: &AppEngine, app: &str, wasm: &[u8]) -> ironloom_apps::AppModule {
    let module = wasmtime::Module::new(&wasmtime::Engine::default(), wasm).unwrap();
    let mut imports: Vec<String> = module
        .imports()
        .map(|i| format!("{}.{}", i.module(), i.name()))
        .collect();
    imports.sort();
    assert_eq!(imports, ["ironloom.call", "ironloom.log"], "{app}");
    engine.compile(wasm).expect("the module loads")
}

#[test]
fn the_rust_template_runs_in_the_sandbox() {
    if !have_rustc(true) {
        return;
    }
    let wasm = build("sdk/rust/template");
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 4,
        ..AppsConfig::default()
    })
    .unwrap();
    let module = load(&engine, "sdk/rust/template", &wasm);
    let host = std::sync::Arc::new(Host::default());
    let config = json!({"property": "temperature", "limit": 80});
    let grant = vec![Permission::Alarms];
    let mut inst = engine.install(
        &module,
        scope(config),
        grant,
        Limits::default(),
        host.clone(),
    );
    let event = json!({"kind": "telemetry", "device": "oven-1", "product": "oven",
        "points": [{"property": "temperature", "ts": 1_700_000_000_000_i64, "value": 92.5}]});
    let out = inst.invoke(event.to_string().as_bytes());
    assert_eq!(out.result, Ok(0), "{out:?}");
    let raised = host.requests(HostOp::AlarmRaise);
    assert_eq!(raised[0]["type"], "high_value");
    assert_eq!(raised[0]["details"]["value"], 92.5);
    assert_eq!(
        host.kv.lock().unwrap()["summary"],
        json!({"oven-1": {"value": 92.5, "ts": 1_700_000_000_000_i64, "high": true}})
    );
    // Not JSON: logged, status 1, the instance lives on.
    let out = inst.invoke(b"{oops");
    assert_eq!(out.result, Ok(1));
    assert!(out.logs[0].message.contains("not JSON"), "{:?}", out.logs);
    // The SDK reads 128 levels of nesting within the module's 256 KiB stack, and refuses
    // deeper ones without recursing further.
    let nested = |depth: usize| {
        let inner = "[".repeat(depth - 1) + &"]".repeat(depth - 1);
        format!(r#"{{"kind":"manual","x":{inner}}}"#)
    };
    assert_eq!(inst.invoke(nested(128).as_bytes()).result, Ok(0));
    assert_eq!(inst.invoke(nested(129).as_bytes()).result, Ok(1));
    assert_eq!(inst.invoke(nested(100_000).as_bytes()).result, Ok(1));
    assert!(!inst.invoke(nested(5).as_bytes()).cold, "no trap so far");
}

#[test]
fn the_vibration_app_runs_in_the_sandbox() {
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 4,
        ..AppsConfig::default()
    })
    .unwrap();
    let module = load(
        &engine,
        "apps/vibration-pdm",
        &committed("apps/vibration-pdm"),
    );
    let host = std::sync::Arc::new(Host::default());
    // Group 2 on a rigid foundation (ISO 10816-3 Table A.2: C/D at 4.5 mm/s); the SKF 6205
    // of the Case Western Reserve bearing data (BPFO = 3.5848 × shaft frequency).
    let config = json!({"velocity_property": "velocity_rms", "group": "group_2",
        "foundation": "rigid", "speed_property": "speed",
        "bearing": {"z": 9, "d": 7.94004, "pitch": 39.0398, "angle": 0},
        "peaks": [{"frequency": "peak1_hz", "amplitude": "peak1_amp"}]});
    let grant = vec![
        Permission::ReadTelemetry,
        Permission::WriteTelemetry,
        Permission::Alarms,
        Permission::Models,
    ];
    let mut inst = engine.install(
        &module,
        scope(config),
        grant,
        Limits::default(),
        host.clone(),
    );
    let ts = 1_700_000_000_000_i64;
    let event = json!({"kind": "telemetry", "device": "fan-01", "product": "fan", "points": [
        {"property": "velocity_rms", "ts": ts, "value": 5.0},
        {"property": "speed", "ts": ts, "value": 1797},
        {"property": "peak1_hz", "ts": ts, "value": 107.5},
        {"property": "peak1_amp", "ts": ts, "value": 0.8}]});
    let out = inst.invoke(event.to_string().as_bytes());
    assert_eq!(out.result, Ok(0), "{out:?}");
    let writes = host.requests(HostOp::Write);
    assert_eq!(writes[0]["values"]["vibration_zone"], 3.0);
    assert_eq!(writes[0]["ts"], ts);
    let raised = host.requests(HostOp::AlarmRaise);
    assert_eq!(raised[0]["severity"], "critical");
    assert_eq!(raised[0]["details"]["zone"], "D");
    assert_eq!(raised[0]["details"]["likely_defect"], "outer_race");
    let bpfo = raised[0]["details"]["defect_frequency_hz"]
        .as_f64()
        .unwrap();
    assert!(
        (bpfo / (3.5848 * 1797.0 / 60.0) - 1.0).abs() < 1e-4,
        "{bpfo}"
    );
    let state = host.kv.lock().unwrap()["vib:fan-01"].clone();
    assert_eq!(state["alarm"], "critical");
    assert_eq!(state["trend"]["bucket"]["n"], 1.0);
}
