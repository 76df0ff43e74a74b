//! `apps-bench`: the app sandbox's own costs, beside the same modules in Node.js (V8)
//! measured in the same run.
//!
//! - cold: installing and starting an instance (the first event of an installation);
//! - warm: one event on a running instance, with no host call (`noop`) and with one
//!   host call answered from memory (`hostcall`), p50 and p99;
//! - throughput: events per second over 100 installations on `--threads` threads;
//! - memory: resident bytes per idle installation (1000 started instances);
//! - runaway: the same throughput while another thread feeds an endless loop;
//! - ingest: device messages stored per second through the platform's parts, without apps
//!   and with an endless-loop and a memory-bomb app installed on the devices' product.

mod ingest;

use anyhow::{Context, Result};
use clap::Parser;
use ironloom_apps::{AppEngine, AppsConfig, HostError, HostOp, HostServices, Installation, Scope};
use ironloom_core::app::Limits;
use ironloom_core::ids::TenantId;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "App sandbox benchmark, beside Node.js running the same modules")]
struct Args {
    /// Warm invocations measured per module.
    #[arg(long, default_value_t = 200_000)]
    warm: usize,
    /// Installations started for the cold figure and for the memory figure.
    #[arg(long, default_value_t = 1000)]
    installations: usize,
    /// Worker threads for the throughput figures.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds per throughput run.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// The Node.js to run the peer with (skipped when absent).
    #[arg(long, default_value = "node")]
    node: String,
    /// Devices for the ingest figure (each with one message in flight).
    #[arg(long, default_value_t = 100)]
    devices: usize,
}

/// One guest: a bump allocator, and `ironloom_on_event` doing `body`.
fn guest(body: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
          (import "ironloom" "call" (func $call (param i32 i32 i32 i32) (result i64)))
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 1024))
          (data (i32.const 16) "kv.get")
          (data (i32.const 32) "{{\"key\":\"n\"}}")
          (func (export "ironloom_alloc") (param $n i32) (result i32)
            (local $p i32)
            ;; A ring of 32 KiB: events and replies are small and short-lived.
            (if (i32.gt_u (i32.add (global.get $next) (local.get $n)) (i32.const 33792))
              (then (global.set $next (i32.const 1024))))
            (local.set $p (global.get $next))
            (global.set $next (i32.add (global.get $next) (local.get $n)))
            (local.get $p))
          (func (export "ironloom_on_event") (param $ptr i32) (param $len i32) (result i32)
            {body}))"#
    );
    wat::parse_str(wat).unwrap_or_default()
}

const NOOP: &str = "(i32.const 0)";
const HOSTCALL: &str =
    "(drop (call $call (i32.const 16) (i32.const 6) (i32.const 32) (i32.const 11))) (i32.const 0)";
const LOOP: &str = "(loop $l (br $l)) (i32.const 0)";
/// Grows its memory a page at a time until the sandbox refuses.
const BOMB: &str =
    "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (unreachable)";

#[derive(Debug)]
struct Memory;

impl HostServices for Memory {
    fn call(&self, _scope: &Scope, _op: HostOp, _req: &Value) -> Result<Value, HostError> {
        Ok(json!(7))
    }
}

fn scope(i: usize) -> Scope {
    Scope {
        tenant: TenantId::new(),
        installation: format!("bench-{i}"),
        name: format!("bench-{i}"),
        app: "bench".into(),
        version: "1.0.0".into(),
        products: vec![],
        config: json!({}),
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

const EVENT: &[u8] = br#"{"kind":"telemetry","device":"p1","product":"pump","points":[{"property":"flow","ts":1780000000000,"value":12.5}]}"#;

fn warm(engine: &AppEngine, wasm: &[u8], n: usize) -> Result<(f64, f64, f64)> {
    let module = engine.compile(wasm)?;
    let mut inst = engine.install(
        &module,
        scope(0),
        vec![],
        Limits::default(),
        Arc::new(Memory),
    );
    inst.invoke(EVENT);
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let out = inst.invoke(EVENT);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(out.result == Ok(0), "invocation failed: {:?}", out.result);
    }
    let per_s = n as f64 / t0.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok((pct(&lat, 0.5), pct(&lat, 0.99), per_s))
}

fn throughput(
    installs: &[Arc<std::sync::Mutex<Installation>>],
    threads: usize,
    secs: u64,
    runaway: Option<&mut Installation>,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for t in 0..threads {
            let (stop, count) = (stop.clone(), count.clone());
            s.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    // One event at a time per installation, as the runtime runs them.
                    if let Ok(mut inst) = installs[i % installs.len()].try_lock() {
                        inst.invoke(EVENT);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    i += threads;
                }
            });
        }
        if let Some(r) = runaway {
            let stop = stop.clone();
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let out = r.invoke(EVENT);
                    debug_assert!(out.result.is_err());
                }
            });
        }
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
    });
    count.load(Ordering::Relaxed) as f64 / secs as f64
}

/// The same modules in Node.js: `ironloom_on_event` with the event copied in through
/// `ironloom_alloc`, the host call answered by a JS function writing its reply back.
fn node_peer(node: &str, n: usize) -> Option<Vec<(String, f64, f64)>> {
    let dir = std::env::temp_dir().join(format!("apps-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("noop.wasm"), guest(NOOP)).ok()?;
    std::fs::write(dir.join("hostcall.wasm"), guest(HOSTCALL)).ok()?;
    let script = format!(
        r#"
const fs = require('fs');
const event = Buffer.from({event:?});
for (const name of ['noop', 'hostcall']) {{
  let mem;
  const imports = {{ ironloom: {{ call: (op, opLen, req, reqLen) => {{
    JSON.parse(Buffer.from(mem.buffer, req, reqLen).toString());
    const reply = Buffer.from(JSON.stringify({{ ok: 7 }}));
    const p = inst.exports.ironloom_alloc(reply.length);
    new Uint8Array(mem.buffer, p, reply.length).set(reply);
    return (BigInt(p) << 32n) | BigInt(reply.length);
  }} }} }};
  const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync({dir:?} + '/' + name + '.wasm')), imports);
  mem = inst.exports.memory;
  const run = () => {{
    const p = inst.exports.ironloom_alloc(event.length);
    new Uint8Array(mem.buffer, p, event.length).set(event);
    return inst.exports.ironloom_on_event(p, event.length);
  }};
  for (let i = 0; i < 10000; i++) run();
  const lat = new Float64Array({n});
  for (let i = 0; i < {n}; i++) {{ const t = process.hrtime.bigint(); run(); lat[i] = Number(process.hrtime.bigint() - t) / 1000; }}
  lat.sort();
  console.log(name, lat[Math.round(({n} - 1) * 0.5)], lat[Math.round(({n} - 1) * 0.99)]);
}}
"#,
        event = String::from_utf8_lossy(EVENT),
        dir = dir.display().to_string(),
    );
    let out = std::process::Command::new(node)
        .arg("-e")
        .arg(script)
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        eprintln!("node peer failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                Some((
                    f.next()?.to_string(),
                    f.next()?.parse().ok()?,
                    f.next()?.parse().ok()?,
                ))
            })
            .collect(),
    )
}

fn main() -> Result<()> {
    let args = Args::parse();
    let engine = AppEngine::new(&AppsConfig {
        max_instances: (args.installations + 8) as u32,
        ..AppsConfig::default()
    })
    .context("engine")?;
    println!(
        "apps-bench: {} CPUs, wasmtime (Cranelift), pooled instances, fuel and epoch deadlines on",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Cold: install and start (compiled module shared, as for one app version).
    let noop = engine.compile(&guest(NOOP))?;
    let rss0 = rss_bytes();
    let mut cold = Vec::new();
    let mut idle = Vec::new();
    for i in 0..args.installations {
        let t = Instant::now();
        let mut inst = engine.install(&noop, scope(i), vec![], Limits::default(), Arc::new(Memory));
        let out = inst.invoke(EVENT);
        cold.push(t.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(out.cold && out.result == Ok(0), "cold start failed");
        idle.push(inst);
    }
    let per_idle = (rss_bytes().saturating_sub(rss0)) as f64 / args.installations as f64;
    cold.sort_by(f64::total_cmp);
    println!(
        "\ncold start (install + instantiate + first event), {} installations:",
        args.installations
    );
    println!(
        "  ironloom   p50 {:>8.1} µs   p99 {:>8.1} µs",
        pct(&cold, 0.5),
        pct(&cold, 0.99)
    );
    println!(
        "memory per idle installation (RSS growth / installations): {:.1} KiB",
        per_idle / 1024.0
    );
    drop(idle);

    println!("\nwarm invocation, {} events each (µs):", args.warm);
    let mut ours = Vec::new();
    for (name, body) in [("noop", NOOP), ("hostcall", HOSTCALL)] {
        let (p50, p99, per_s) = warm(&engine, &guest(body), args.warm)?;
        println!(
            "  ironloom   {name:<9} p50 {p50:>7.2}  p99 {p99:>7.2}  ({per_s:>10.0} /s on one thread)"
        );
        ours.push((name, p50, p99));
    }
    match node_peer(&args.node, args.warm) {
        Some(peer) => {
            for (name, p50, p99) in peer {
                println!(
                    "  node (V8)  {name:<9} p50 {p50:>7.2}  p99 {p99:>7.2}  (no fuel, no deadline, no sandbox limits)"
                );
            }
        }
        None => println!("  node (V8)  skipped: no {} on PATH", args.node),
    }

    let hostcall = engine.compile(&guest(HOSTCALL))?;
    let installs: Vec<_> = (0..100)
        .map(|i| {
            Arc::new(std::sync::Mutex::new(engine.install(
                &hostcall,
                scope(i),
                vec![],
                Limits::default(),
                Arc::new(Memory),
            )))
        })
        .collect();
    let base = throughput(&installs, args.threads, args.seconds, None);
    println!(
        "\nthroughput, 100 installations (one host call per event), {} threads: {base:>10.0} events/s",
        args.threads
    );
    let looping = engine.compile(&guest(LOOP))?;
    let mut runaway = engine.install(
        &looping,
        scope(9999),
        vec![],
        Limits {
            fuel: 10_000_000,
            ..Limits::default()
        },
        Arc::new(Memory),
    );
    let t = Instant::now();
    let out = runaway.invoke(EVENT);
    println!(
        "runaway app (endless loop, fuel 10 000 000): stopped after {:.1} ms with {:?}",
        t.elapsed().as_secs_f64() * 1e3,
        out.result
    );
    let with = throughput(&installs, args.threads, args.seconds, Some(&mut runaway));
    println!(
        "throughput while a third thread feeds the runaway app: {with:>10.0} events/s ({:+.1} %)",
        (with / base - 1.0) * 100.0
    );
    let _ = ours;

    // Device ingest through the platform's parts, with and without runaway apps.
    let f = ingest::run(
        args.devices,
        args.seconds as f64 * 2.0,
        guest(NOOP),
        guest(LOOP),
        guest(BOMB),
    )?;
    println!(
        "\ndevice ingest, {} devices with one message in flight each (SQLite metadata, embedded store):",
        args.devices
    );
    println!(
        "  no app                                          {:>10.0} msgs/s",
        f.no_apps
    );
    println!(
        "  a quiet app on every message                    {:>10.0} msgs/s ({:+.1} %; runs before and after the runaways differ by {:.1} %)",
        f.quiet_app,
        (f.quiet_app / f.no_apps - 1.0) * 100.0,
        f.quiet_spread * 100.0
    );
    println!(
        "  the quiet app beside an endless loop and a memory bomb {:>10.0} msgs/s ({:+.1} % against the quiet app alone; the runaways ran {} times, skipped {} events while paused)",
        f.runaways,
        (f.runaways / f.quiet_app - 1.0) * 100.0,
        f.runaway_runs,
        f.skipped
    );
    Ok(())
}
