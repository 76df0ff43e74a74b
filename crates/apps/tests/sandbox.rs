//! The sandbox on real WebAssembly: guests written in the text format here, and C guests
//! compiled by clang (`guests/*.c`, see `c_guest`). Limits stop runaway apps, a trap
//! ends only the instance, every host call is checked against the grant.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_apps::{
    AppEngine, AppError, AppsConfig, HostError, HostOp, HostServices, RunError, Scope,
};
use ironloom_core::app::{Limits, Permission};
use ironloom_core::ids::TenantId;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Records each call and keeps key–value state per installation, as the platform's
/// services do (the runtime's side is what is tested here).
#[derive(Debug, Default)]
struct Recorder {
    calls: Mutex<Vec<(String, HostOp, Value)>>,
    kv: Mutex<BTreeMap<(String, String), Value>>,
}

impl HostServices for Recorder {
    fn call(&self, scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        self.calls
            .lock()
            .unwrap()
            .push((scope.installation.clone(), op, req.clone()));
        let key = || {
            req.get("key")
                .and_then(Value::as_str)
                .map(|k| (scope.installation.clone(), k.to_string()))
                .ok_or_else(|| HostError::new("bad_request", "key is required"))
        };
        match op {
            HostOp::KvSet => {
                let v = req.get("value").cloned().unwrap_or(Value::Null);
                self.kv.lock().unwrap().insert(key()?, v);
                Ok(Value::Null)
            }
            HostOp::KvGet => Ok(self
                .kv
                .lock()
                .unwrap()
                .get(&key()?)
                .cloned()
                .unwrap_or(Value::Null)),
            _ => Ok(json!({"op": op.as_str()})),
        }
    }
}

fn scope(installation: &str) -> Scope {
    Scope {
        tenant: TenantId::new(),
        installation: installation.into(),
        name: installation.into(),
        app: "test.app".into(),
        version: "1.0.0".into(),
        products: vec![],
        config: json!({}),
    }
}

/// A guest with a bump allocator; `body` is the body of `ironloom_on_event(ptr, len)`.
fn guest(imports: &str, body: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "ironloom" "log" (func $log (param i32 i32 i32)))
          (import "ironloom" "call" (func $call (param i32 i32 i32 i32) (result i64)))
          {imports}
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 4096))
          (data (i32.const 16) "kv.set")
          (data (i32.const 32) "{{\"key\":\"n\",\"value\":7}}")
          (data (i32.const 64) "write")
          (data (i32.const 80) "{{}}")
          (func (export "ironloom_alloc") (param $n i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $next))
            (global.set $next (i32.add (global.get $next) (local.get $n)))
            (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
              (then (drop (memory.grow (i32.const 1)))))
            (local.get $p))
          (func (export "ironloom_on_event") (param $ptr i32) (param $len i32) (result i32)
            (local $r i64)
            {body}))"#
    ))
    .expect("valid text format")
}

fn engine() -> AppEngine {
    AppEngine::new(&AppsConfig {
        max_instances: 16,
        ..AppsConfig::default()
    })
    .expect("engine")
}

/// The reply a `call` returned, read back from the guest's log of it.
const LOG_REPLY: &str = r#"
    (local.set $r (call $call (i32.const 16) (i32.const 6) (i32.const 32) (i32.const 21)))
    (call $log (i32.const 1) (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32))) (i32.wrap_i64 (local.get $r)))
    (local.set $r (call $call (i32.const 64) (i32.const 5) (i32.const 80) (i32.const 2)))
    (call $log (i32.const 2) (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 32))) (i32.wrap_i64 (local.get $r)))
    (call $log (i32.const 1) (local.get $ptr) (local.get $len))
    (i32.const 0)"#;

#[test]
fn an_app_logs_calls_the_host_and_is_refused_what_it_was_not_granted() {
    let engine = engine();
    let module = engine.compile(&guest("", LOG_REPLY)).expect("compiles");
    let rec = Arc::new(Recorder::default());
    let mut inst = engine.install(&module, scope("i1"), vec![], Limits::default(), rec.clone());
    let out = inst.invoke(br#"{"kind":"manual"}"#);
    assert_eq!(out.result, Ok(0), "{out:?}");
    assert!(out.cold);
    let msgs: Vec<&str> = out.logs.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs[0], r#"{"ok":null}"#);
    assert!(
        msgs[1].contains("permission_denied") && msgs[1].contains("write_telemetry"),
        "{msgs:?}"
    );
    assert_eq!(msgs[2], r#"{"kind":"manual"}"#);
    assert_eq!(out.host_calls, 2);
    assert!(out.fuel > 0);
    // The refused call never reached the platform.
    let calls = rec.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].1, HostOp::KvSet);
    // Warm the second time, state kept by the platform.
    let again = inst.invoke(b"{}");
    assert!(!again.cold && again.result == Ok(0));
    assert_eq!(
        rec.kv.lock().unwrap().get(&("i1".into(), "n".into())),
        Some(&json!(7))
    );

    // Granted, the write reaches the platform with the installation's scope.
    let mut granted = engine.install(
        &module,
        scope("i2"),
        vec![Permission::WriteTelemetry],
        Limits::default(),
        rec.clone(),
    );
    let out = granted.invoke(b"{}");
    assert_eq!(out.logs[1].message, r#"{"ok":{"op":"write"}}"#);
    assert!(
        rec.calls
            .lock()
            .unwrap()
            .iter()
            .any(|(i, op, _)| i == "i2" && *op == HostOp::Write)
    );
}

#[test]
fn an_endless_loop_is_stopped_by_fuel_and_by_the_deadline() {
    let engine = engine();
    let module = engine
        .compile(&guest("", "(loop $l (br $l)) (i32.const 0)"))
        .expect("compiles");
    let rec = Arc::new(Recorder::default());
    let limits = Limits {
        fuel: 2_000_000,
        ..Limits::default()
    };
    let mut inst = engine.install(&module, scope("loop"), vec![], limits, rec.clone());
    let out = inst.invoke(b"{}");
    assert_eq!(out.result, Err(RunError::OutOfFuel { fuel: 2_000_000 }));
    assert!(!inst.is_running(), "a stopped app loses its instance");

    // With fuel to spare, the wall-time deadline stops it.
    let limits = Limits {
        fuel: ironloom_core::app::MAX_FUEL,
        timeout_ms: 50,
        ..Limits::default()
    };
    let mut inst = engine.install(&module, scope("loop2"), vec![], limits, rec);
    let out = inst.invoke(b"{}");
    assert_eq!(out.result, Err(RunError::Timeout { ms: 50 }));
    assert!(out.elapsed.as_millis() < 1000, "{:?}", out.elapsed);
}

#[test]
fn a_memory_bomb_is_stopped_at_its_cap() {
    let engine = engine();
    let bomb =
        "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) (i32.const 0)";
    let module = engine.compile(&guest("", bomb)).expect("compiles");
    let limits = Limits {
        memory_mib: 4,
        ..Limits::default()
    };
    let mut inst = engine.install(
        &module,
        scope("bomb"),
        vec![],
        limits,
        Arc::new(Recorder::default()),
    );
    let out = inst.invoke(b"{}");
    assert_eq!(out.result, Err(RunError::MemoryLimit { mib: 4 }));
}

#[test]
fn a_trap_ends_the_instance_and_the_next_event_starts_a_fresh_one() {
    let engine = engine();
    // Traps when the event starts with 'b'.
    let body = "(if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 98)) (then unreachable)) (i32.const 0)";
    let module = engine.compile(&guest("", body)).expect("compiles");
    let mut inst = engine.install(
        &module,
        scope("t"),
        vec![],
        Limits::default(),
        Arc::new(Recorder::default()),
    );
    assert_eq!(inst.invoke(b"ok").result, Ok(0));
    let out = inst.invoke(b"boom");
    assert!(
        matches!(&out.result, Err(RunError::Trap { message }) if message.contains("unreachable")),
        "{out:?}"
    );
    let next = inst.invoke(b"ok");
    assert!(next.cold && next.result == Ok(0));
}

#[test]
fn modules_are_checked_when_they_are_loaded() {
    let engine = engine();
    let bad_import = guest(
        r#"(import "env" "system" (func (param i32)))"#,
        "(i32.const 0)",
    );
    assert!(matches!(
        engine.compile(&bad_import),
        Err(AppError::UnknownImport { module, name }) if module == "env" && name == "system"
    ));
    let no_alloc = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "ironloom_on_event") (param i32 i32) (result i32) (i32.const 0)))"#).unwrap();
    assert!(matches!(
        engine.compile(&no_alloc),
        Err(AppError::MissingExport("ironloom_alloc"))
    ));
    assert!(matches!(
        engine.compile(b"\0asm\x01\0\0\0garbage"),
        Err(AppError::CompileModule(_))
    ));
    assert!(matches!(
        engine.compile(b"not wasm at all"),
        Err(AppError::CompileModule(_))
    ));
    let small = AppEngine::new(&AppsConfig {
        max_module_bytes: 1024,
        ..AppsConfig::default()
    })
    .unwrap();
    assert!(matches!(
        small.compile(&vec![0u8; 2048]),
        Err(AppError::ModuleTooLarge { .. })
    ));
}

#[test]
fn a_malicious_pointer_is_a_trap_not_a_host_crash() {
    let engine = engine();
    // Logs from far outside its memory, then asks for a reply into a huge request.
    let body = "(call $log (i32.const 1) (i32.const -16) (i32.const 64)) (i32.const 0)";
    let module = engine.compile(&guest("", body)).expect("compiles");
    let mut inst = engine.install(
        &module,
        scope("p"),
        vec![],
        Limits::default(),
        Arc::new(Recorder::default()),
    );
    let out = inst.invoke(b"{}");
    assert!(
        matches!(&out.result, Err(RunError::Trap { message }) if message.contains("out of bounds")),
        "{out:?}"
    );
    let body = "(drop (call $call (i32.const 16) (i32.const 6) (i32.const 0) (i32.const 2147483647))) (i32.const 0)";
    let module = engine.compile(&guest("", body)).expect("compiles");
    let mut inst = engine.install(
        &module,
        scope("p2"),
        vec![],
        Limits::default(),
        Arc::new(Recorder::default()),
    );
    assert_eq!(
        inst.invoke(b"{}").result,
        Ok(0),
        "an oversized request gets a too_large reply"
    );
}

/// Compiles `guests/{name}.c` with the C SDK; `None` (the test is skipped) when clang
/// for wasm32-wasi is not installed, unless IRONLOOM_REQUIRE_PEERS=1.
fn c_guest(name: &str) -> Option<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out =
        std::env::temp_dir().join(format!("ironloom-guest-{name}-{}.wasm", std::process::id()));
    let built = ["clang-14", "clang"].iter().find_map(|cc| {
        std::process::Command::new(cc)
            .args(["--target=wasm32-wasi", "-O2", "-mexec-model=reactor", "-I"])
            .arg(root.join("../../sdk/c"))
            .arg("-o")
            .arg(&out)
            .arg(root.join(format!("tests/guests/{name}.c")))
            .status()
            .ok()
            .filter(|s| s.success())
    });
    if built.is_none() {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but clang cannot build wasm32-wasi (scripts/install-test-peers.sh installs clang-14, lld-14 and wasi-libc)"
        );
        println!("SKIPPED: no clang for wasm32-wasi");
        return None;
    }
    let wasm = std::fs::read(&out).ok();
    let _ = std::fs::remove_file(&out);
    wasm
}

#[test]
fn a_c_app_runs_on_libc_and_keeps_its_count_in_its_state() {
    let Some(wasm) = c_guest("counter") else {
        return;
    };
    let engine = engine();
    let module = engine.compile(&wasm).expect("the C app loads");
    let rec = Arc::new(Recorder::default());
    let limits = Limits {
        fuel: 50_000_000,
        ..Limits::default()
    };
    let mut inst = engine.install(&module, scope("c1"), vec![], limits, rec.clone());
    for i in 1..=3 {
        let out = inst.invoke(br#"{"kind":"manual"}"#);
        assert_eq!(out.result, Ok(0), "{out:?}");
        assert!(
            out.logs.iter().any(|l| l
                .message
                .starts_with(&format!("event {i} of 17 bytes at 1"))),
            "{:?}",
            out.logs
        );
    }
    assert_eq!(
        rec.kv.lock().unwrap().get(&("c1".into(), "count".into())),
        Some(&json!(3))
    );
    // A crash loses the instance, not the state: the count goes on from the store.
    let out = inst.invoke(b"spin");
    assert_eq!(out.result, Err(RunError::OutOfFuel { fuel: 50_000_000 }));
    let out = inst.invoke(b"{}");
    assert!(out.cold && out.result == Ok(0), "{out:?}");
    assert!(
        out.logs.iter().any(|l| l.message.starts_with("event 5 of")),
        "{:?}",
        out.logs
    );
}
