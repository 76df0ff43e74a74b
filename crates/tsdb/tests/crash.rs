#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Crash safety: a child process ingests as fast as it can (small memtable, so flushes and
//! compactions run all the time) and reports each acknowledged batch; the parent kills it
//! with SIGKILL at a random moment, reopens the database and checks that every
//! acknowledged batch is there, intact, and that no batch is there in part.
//!
//! The child is this test binary itself, run with `IRONLOOM_CRASH_CHILD=<dir>`.

use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_tsdb::{Engine, FsyncPolicy, Options};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const POINTS_PER_BATCH: i64 = 200;
const DEVICES: u64 = 16;

fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(1))
}

fn device(k: u64) -> DeviceId {
    DeviceId(Uuid::from_u128(1000 + (k % DEVICES) as u128))
}

fn base() -> i64 {
    // A fixed hour in the accepted window, shared by parent and child.
    (ironloom_tsdb::engine::now_micros() / 3_600_000_000 - 24) * 3_600_000_000
}

fn value(k: u64, i: i64) -> f64 {
    ((k as i64 * 31 + i * 7) % 10_000) as f64 / 10.0
}

fn opts() -> Options {
    Options {
        fsync: FsyncPolicy::Always,
        memtable_bytes: 256 << 10,
        compact_trigger: 3,
        partition: 3_600_000_000,
        ..Options::default()
    }
}

/// Batch `k`: device k % 16, points at distinct timestamps of that device.
fn batch(k: u64, base: i64) -> Vec<DeviceBatch> {
    let slot = (k / DEVICES) as i64 * POINTS_PER_BATCH;
    let points = (0..POINTS_PER_BATCH)
        .map(|i| PointIn {
            property: "v".into(),
            ts: base + (slot + i) * 1000,
            value: Value::F64(value(k, i)),
            quality: Quality::Good,
        })
        .collect();
    vec![DeviceBatch {
        device: device(k),
        product: None,
        points,
    }]
}

#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("IRONLOOM_CRASH_CHILD") else {
        return;
    };
    let start: u64 = std::env::var("IRONLOOM_CRASH_START")
        .unwrap()
        .parse()
        .unwrap();
    let base: i64 = std::env::var("IRONLOOM_CRASH_BASE")
        .unwrap()
        .parse()
        .unwrap();
    let e = Engine::open(std::path::Path::new(&dir), opts()).unwrap();
    let out = std::io::stdout();
    std::thread::scope(|s| {
        for w in 0..4u64 {
            let e = e.clone();
            let out = &out;
            s.spawn(move || {
                let mut k = start + w;
                loop {
                    e.write_blocking(tenant(), batch(k, base)).unwrap();
                    writeln!(out.lock(), "ack {k}").unwrap();
                    k += 4;
                }
            });
        }
    });
}

fn run_once(dir: &std::path::Path, start: u64, base: i64, kill_after: Duration) -> Vec<u64> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("IRONLOOM_CRASH_CHILD", dir)
        .env("IRONLOOM_CRASH_START", start.to_string())
        .env("IRONLOOM_CRASH_BASE", base.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(k) = line.strip_prefix("ack ") {
                acked.push(k.parse::<u64>().unwrap());
            }
        }
        acked
    });
    let t0 = Instant::now();
    while t0.elapsed() < kill_after {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

fn verify(dir: &std::path::Path, acked: &std::collections::BTreeSet<u64>, upto: u64, base: i64) {
    let e = Engine::open(
        dir,
        Options {
            background: false,
            ..opts()
        },
    )
    .unwrap();
    assert!(e.damaged().is_empty(), "{:?}", e.damaged());
    for k in 0..upto {
        let slot = (k / DEVICES) as i64 * POINTS_PER_BATCH;
        let from = base + slot * 1000;
        let to = from + POINTS_PER_BATCH * 1000;
        let def = e.resolve(
            tenant(),
            &Selection {
                devices: vec![device(k)],
                properties: vec!["v".into()],
            },
        );
        let col = def.first().and_then(|d| e.read(d, from, to).unwrap());
        let n = col.as_ref().map_or(0, |c| c.len());
        if acked.contains(&k) {
            assert_eq!(
                n as i64, POINTS_PER_BATCH,
                "acknowledged batch {k} incomplete"
            );
        } else {
            assert!(
                n == 0 || n as i64 == POINTS_PER_BATCH,
                "batch {k} present in part ({n})"
            );
        }
        if let Some(c) = col {
            for i in 0..c.len() {
                let idx = (c.ts[i] - from) / 1000;
                assert_eq!(
                    c.values.num(i).unwrap(),
                    value(k, idx),
                    "batch {k} point {idx}"
                );
            }
        }
    }
    e.close().unwrap();
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var("IRONLOOM_CRASH_CHILD").is_ok() {
        return;
    }
    let iterations: u64 = std::env::var("IRONLOOM_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let base = base();
    let mut acked = std::collections::BTreeSet::new();
    let mut start = 0u64;
    let mut rng = ironloom_testkit::Rng::new(0x2545_f491_4f6c_dd1d);
    for it in 0..iterations {
        let kill_after = Duration::from_millis(300 + rng.below(1200) as u64);
        let got = run_once(dir.path(), start, base, kill_after);
        assert!(
            !got.is_empty(),
            "iteration {it}: the child acknowledged nothing"
        );
        let max = *got.iter().max().unwrap();
        acked.extend(got);
        verify(dir.path(), &acked, max + 8, base);
        // And every block on disk reads back clean.
        let report = ironloom_tsdb::check::check(dir.path(), |_| {}).unwrap();
        assert!(
            report.problems.is_empty(),
            "iteration {it}: {:?}",
            report.problems
        );
        // The next run writes new batches (unacknowledged ones may exist or not).
        start = (max / 4 + 4) * 4;
        eprintln!(
            "iteration {it}: killed after {kill_after:?}, {} batches acknowledged so far",
            acked.len()
        );
    }
}
