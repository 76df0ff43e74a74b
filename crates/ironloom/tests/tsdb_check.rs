#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ironloom tsdb check` as a user runs it: a sound database, a damaged one, one in use.

use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Value};
use ironloom_tsdb::engine::now_micros;
use ironloom_tsdb::{Engine, FsyncPolicy, Options};
use std::process::Command;

fn run(data: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ironloom"))
        .args(["tsdb", "check", "--data-dir"])
        .arg(data)
        .env_remove("IRONLOOM_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_reports_sound_damaged_and_busy_databases() {
    let data = tempfile::tempdir().unwrap();
    let opts = Options {
        fsync: FsyncPolicy::Never,
        background: false,
        ..Options::default()
    };
    let e = Engine::open(&data.path().join("tsdb"), opts.clone()).unwrap();
    // Noon yesterday (UTC): the points stay in one daily partition whatever the time of
    // day the test runs (relative to "now" they crossed midnight shortly after it).
    const DAY: i64 = 86_400_000_000;
    let base = now_micros() / DAY * DAY - DAY / 2;
    let points = (0..2000)
        .map(|i| PointIn {
            property: "t".into(),
            ts: base + i * 1_000_000,
            value: Value::F64(i as f64),
            quality: Quality::Good,
        })
        .collect();
    e.write_blocking(
        TenantId::new(),
        vec![DeviceBatch {
            device: DeviceId::new(),
            product: None,
            points,
        }],
    )
    .unwrap();

    // In use.
    let (ok, _, err) = run(data.path());
    assert!(!ok);
    assert!(err.contains("in use by a running server"), "{err}");
    e.close().unwrap();

    let (ok, out, err) = run(data.path());
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("1 segments, 1 chunks, 2 rollups, 2000 points"),
        "{out}"
    );
    assert!(out.contains("0 problems"), "{out}");

    // Damaged: a byte of the first chunk.
    let seg = walk(&data.path().join("tsdb/segments"));
    let mut b = std::fs::read(&seg).unwrap();
    b[20] ^= 0xff;
    std::fs::write(&seg, b).unwrap();
    let (ok, out, err) = run(data.path());
    assert!(!ok);
    assert!(
        out.contains(&format!("DAMAGED: {}: chunk at byte 8", seg.display())),
        "{out}"
    );
    assert!(err.contains("1 damaged block(s)"), "{err}");
}

fn walk(dir: &std::path::Path) -> std::path::PathBuf {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            return walk(&p);
        }
        if p.extension().is_some_and(|x| x == "seg") {
            return p;
        }
    }
    panic!("no segment under {}", dir.display());
}
