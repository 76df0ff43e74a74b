#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `tsdb check`: a sound database passes with every block counted; damaged chunks,
//! rollups, segments and log records are reported by file; a torn log tail is a warning;
//! a database in use is refused.

use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_tsdb::check::check;
use ironloom_tsdb::engine::now_micros;
use ironloom_tsdb::segment::Segment;
use ironloom_tsdb::{Engine, FsyncPolicy, Options, TsdbError};
use std::io::Write;
use std::path::{Path, PathBuf};

fn opts() -> Options {
    Options {
        fsync: FsyncPolicy::Never,
        background: false,
        chunk_points: 300,
        ..Options::default()
    }
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn flip(path: &Path, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    b[at as usize] ^= 0x55;
    std::fs::write(path, b).unwrap();
}

/// Two tenants, each a partition of dense data (rollups) plus strings, in segments, and a
/// log with more.
fn build(dir: &Path) -> u64 {
    let e = Engine::open(dir, opts()).unwrap();
    let base = now_micros() / 86_400_000_000 * 86_400_000_000 - 2 * 86_400_000_000;
    let mut total = 0;
    for day in 0..2 {
        let t = TenantId::new();
        let d = DeviceId::new();
        let points: Vec<PointIn> = (0..3000)
            .flat_map(|i| {
                let ts = base + day * 86_400_000_000 + i * 1_000_000;
                [
                    PointIn {
                        property: "v".into(),
                        ts,
                        value: Value::F64(i as f64 * 0.5),
                        quality: Quality::Good,
                    },
                    PointIn {
                        property: "s".into(),
                        ts,
                        value: Value::Str(format!("state {}", i % 4)),
                        quality: Quality::Uncertain,
                    },
                ]
            })
            .collect();
        total += points.len() as u64;
        e.write_blocking(
            t,
            vec![DeviceBatch {
                device: d,
                product: None,
                points,
            }],
        )
        .unwrap();
        e.flush().unwrap();
    }
    // Unflushed: stays in the log.
    e.write_blocking(
        TenantId::new(),
        vec![DeviceBatch {
            device: DeviceId::new(),
            product: None,
            points: vec![PointIn {
                property: "w".into(),
                ts: now_micros(),
                value: Value::I64(1),
                quality: Quality::Good,
            }],
        }],
    )
    .unwrap();
    // Dropped without `close`, as in a crash: the unflushed point stays in the log. A
    // background thread may hold the engine a moment longer; wait for the lock.
    drop(e);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while matches!(check(dir, |_| {}), Err(TsdbError::Locked(_))) {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine was never released"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    total
}

#[test]
fn a_sound_database_passes_and_every_block_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let points = build(dir.path());
    let mut calls = 0;
    let r = check(dir.path(), |p| {
        calls += 1;
        assert!(p.done <= p.total);
    })
    .unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.segments, 2);
    assert_eq!(r.points, points);
    assert_eq!(r.chunks, 4 * 10);
    // 3000 s of 1 s data: minute rollups (50) and hour rollups for the float series.
    assert_eq!(r.rollups, 2 * 2);
    assert!(r.wal_records >= 1);
    assert!(calls >= 3);
}

#[test]
fn damage_is_reported_by_file_and_the_rest_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let segs = files(&dir.path().join("segments"), "seg");
    assert_eq!(segs.len(), 2);
    // A chunk's bytes in the first, a rollup's in the second; then a copy of the first
    // cut short.
    flip(&segs[0], 10);
    let rollup = Segment::open(&segs[1]).unwrap().rollups[0];
    flip(&segs[1], rollup.offset + 3);
    let cut = segs[1].with_file_name("20200101T000000Z-00000000000000ff.seg");
    let bytes = std::fs::read(&segs[0]).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    // A torn tail on the newest log file.
    let wals = files(&dir.path().join("wal"), "wal");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(wals.last().unwrap())
        .unwrap();
    f.write_all(&[9, 0, 0]).unwrap();

    let r = check(dir.path(), |_| {}).unwrap();
    let of = |p: &Path| {
        r.problems
            .iter()
            .filter(|f| f.path == p)
            .map(|f| f.what.clone())
            .collect::<Vec<_>>()
    };
    let first = of(&segs[0]);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].contains("chunk at byte 8: checksum mismatch"),
        "{first:?}"
    );
    let second = of(&segs[1]);
    assert_eq!(second.len(), 1, "{second:?}");
    assert!(
        second[0].contains(&format!("rollup at byte {}", rollup.offset)),
        "{second:?}"
    );
    let third = of(&cut);
    assert!(third[0].contains("footer missing"), "{third:?}");
    assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].what.contains("recovery trims it"));
    // Everything else was still read.
    assert_eq!(r.segments, 2);
    assert_eq!(r.chunks, 40);
}

#[test]
fn a_database_in_use_or_missing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path(), opts()).unwrap();
    assert!(matches!(
        check(dir.path(), |_| {}),
        Err(TsdbError::Locked(_))
    ));
    e.close().unwrap();
    assert!(check(dir.path(), |_| {}).unwrap().problems.is_empty());
    let empty = tempfile::tempdir().unwrap();
    let err = check(empty.path(), |_| {}).unwrap_err().to_string();
    assert!(
        err.contains("does not hold a time-series database"),
        "{err}"
    );
}
