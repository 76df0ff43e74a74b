//! Segments written before format version 2 (statistics as integers, rollup M2 as
//! integers) are still read: `fixtures/v1.seg` was written by the engine at `0b7d8bf`
//! from [`data`], and must read back as the same points, statistics and rollups.
//!
//! To write it again with a version-1 engine: `IRONLOOM_WRITE_V1_FIXTURE=DIR cargo test -p
//! ironloom-tsdb --test segment_v1` (it writes the segment into `DIR`).

use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::{Quality, Value, ValueType};
use ironloom_tsdb::chunk::Stats;
use ironloom_tsdb::column::Column;
use ironloom_tsdb::record::SeriesDef;
use ironloom_tsdb::rollup;
use ironloom_tsdb::segment::{Header, Segment, Writer};
use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

const PART: i64 = 1_767_225_600_000_000;

fn header() -> Header {
    Header {
        id: 7,
        tenant: TenantId(Uuid::from_u128(0x1111)),
        product: None,
        part_start: PART,
        part_width: 86_400_000_000,
        min_seq: 1,
        max_seq: 3,
        level: 1,
        replaces: vec![],
    }
}

/// Five series of 5000 points at 10 s: decimals, doubles, integers, booleans, strings.
fn data() -> Vec<(SeriesDef, Column)> {
    let h = header();
    let types = [
        ValueType::F64,
        ValueType::F64,
        ValueType::I64,
        ValueType::Bool,
        ValueType::Str,
    ];
    types
        .iter()
        .enumerate()
        .map(|(id, &vtype)| {
            let def = SeriesDef {
                id: id as u32,
                tenant: h.tenant,
                product: None,
                device: DeviceId(Uuid::from_u128(0x2222 + id as u128)),
                property: Arc::from(format!("p{id}").as_str()),
                vtype,
            };
            let mut c = Column::new(vtype);
            for i in 0..5000i64 {
                let v = match id {
                    0 => Value::F64(((i * 7919) % 611) as f64 / 10.0 - 20.0),
                    1 => Value::F64((i as f64 / 17.0).sin() * 1e3),
                    2 => Value::I64(i * i % 1000 - 300),
                    3 => Value::Bool(i % 7 < 3),
                    _ => Value::Str(format!("state-{}", i % 5)),
                };
                let q = if i % 101 == 0 {
                    Quality::Uncertain
                } else {
                    Quality::Good
                };
                c.push(PART + i * 10_000_000, v, q);
            }
            (def, c)
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn version_1_segments_read_back() {
    if let Ok(dir) = std::env::var("IRONLOOM_WRITE_V1_FIXTURE") {
        let mut w = Writer::create(Path::new(&dir), header(), 1024).unwrap();
        for (def, col) in &data() {
            w.add(def, col).unwrap();
        }
        println!("wrote {}", w.finish().unwrap().path.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.seg");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1.seg"),
        &path,
    )
    .unwrap();
    // `ironloom tsdb check` finds nothing wrong with it.
    let db = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(db.path().join("segments")).unwrap();
    std::fs::copy(&path, db.path().join("segments/v1.seg")).unwrap();
    let report = ironloom_tsdb::check::check(db.path(), |_| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.segments, report.chunks), (1, 25));
    let seg = Segment::open(&path).unwrap();
    assert_eq!(seg.version, 1);
    assert_eq!(seg.header, header());
    let data = data();
    assert_eq!(seg.series.len(), data.len());
    for (def, col) in &data {
        assert_eq!(seg.def(def.id), Some(def));
        let metas = seg.chunks_of(def.id);
        assert_eq!(metas.len(), 5);
        let mut parts = Vec::new();
        for m in metas {
            let c = seg.read_chunk(m).unwrap();
            // The statistics the index holds are those of the points (sums and M2 to the
            // rounding of the engine that wrote them).
            let s = Stats::of(&c);
            assert_eq!(
                (m.stats.count, m.stats.min_ts, m.stats.max_ts),
                (s.count, s.min_ts, s.max_ts)
            );
            if def.vtype != ValueType::Str {
                assert_eq!(
                    (m.stats.min, m.stats.max, m.stats.first, m.stats.last),
                    (s.min, s.max, s.first, s.last)
                );
                assert!(close(m.stats.sum, s.sum), "{} vs {}", m.stats.sum, s.sum);
                assert!(close(m.stats.m2, s.m2), "{} vs {}", m.stats.m2, s.m2);
            }
            parts.push(c);
        }
        assert_eq!(&Column::merge(parts).unwrap(), col);
        if !rollup::supported(def.vtype) {
            continue;
        }
        let hourly = seg
            .rollups
            .iter()
            .find(|r| r.series == def.id && r.width == rollup::WIDTHS[1])
            .expect("an hourly rollup");
        let read = seg.read_rollup(hourly, def.vtype).unwrap();
        let want = rollup::compute(col, rollup::WIDTHS[1]).unwrap();
        assert_eq!(read.len(), want.len());
        for (a, b) in read.iter().zip(&want) {
            assert_eq!(
                (a.count, a.min_ts, a.max_ts, a.min, a.max, a.first, a.last),
                (b.count, b.min_ts, b.max_ts, b.min, b.max, b.first, b.last)
            );
            assert!(close(a.sum, b.sum) && close(a.m2, b.m2), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn version_2_keeps_statistics_and_rollups_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::create(dir.path(), header(), 1024).unwrap();
    let data = data();
    for (def, col) in &data {
        w.add(def, col).unwrap();
    }
    let seg = Segment::open(&w.finish().unwrap().path).unwrap();
    assert_eq!(seg.version, 2);
    for (def, col) in &data {
        for m in seg.chunks_of(def.id) {
            let s = Stats::of(&seg.read_chunk(m).unwrap());
            assert_eq!(format!("{:?}", m.stats), format!("{s:?}"));
            assert_eq!(
                (m.stats.sum.to_bits(), m.stats.m2.to_bits()),
                (s.sum.to_bits(), s.m2.to_bits())
            );
        }
        for r in seg.rollups.iter().filter(|r| r.series == def.id) {
            let read = seg.read_rollup(r, def.vtype).unwrap();
            let want = rollup::compute(col, r.width).unwrap();
            assert_eq!(format!("{read:?}"), format!("{want:?}"));
        }
    }
    // Decimal statistics take a fraction of the version 1 index.
    let v1 = std::fs::metadata(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1.seg"))
        .unwrap()
        .len();
    assert!(seg.bytes < v1, "{} vs {v1}", seg.bytes);
}
