//! Entry points for the fuzz targets in `fuzz/` (one per decoder of bytes that come from
//! disk), also run by the test suite over generated and mutated inputs. Each takes
//! arbitrary bytes and must neither panic nor allocate without bound; where the input
//! decodes, it is encoded again and must decode to the same thing.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use crate::chunk;
use crate::codec::varint::Reader;
use crate::column::Column;
use crate::record;
use crate::rollup;
use crate::segment::{self, Segment};
use crate::wal;
use ironloom_core::telemetry::ValueType;

fn vtype(b: u8) -> ValueType {
    match b % 4 {
        0 => ValueType::F64,
        1 => ValueType::I64,
        2 => ValueType::Bool,
        _ => ValueType::Str,
    }
}

/// Same points, values compared bit for bit (NaN payloads included).
fn same(a: &Column, b: &Column) -> bool {
    a.value_type() == b.value_type()
        && a.len() == b.len()
        && a.ts == b.ts
        && (0..a.len()).all(|i| {
            a.values.raw(i) == b.values.raw(i)
                && a.quality(i) == b.quality(i)
                && (a.value_type() != ValueType::Str || a.values.get(i) == b.values.get(i))
        })
}

/// A chunk body (what follows its index entry); the first byte picks the expected type.
pub fn chunk(data: &[u8]) {
    let Some((&t, rest)) = data.split_first() else {
        return;
    };
    if let Ok(col) = chunk::decode(rest, vtype(t)) {
        let mut again = Vec::new();
        chunk::encode(&col, &mut again);
        let back = chunk::decode(&again, col.value_type()).expect("re-encoded chunk decodes");
        assert!(same(&col, &back), "chunk round trip differs");
    }
}

/// One write-ahead-log record payload.
pub fn wal_record(data: &[u8]) {
    if let Ok(rec) = record::decode(data) {
        let groups: Vec<(u32, &Column)> = rec.groups.iter().map(|(id, c)| (*id, c)).collect();
        let mut again = Vec::new();
        record::encode(rec.seq, &rec.defs, &groups, &mut again);
        let back = record::decode(&again).expect("re-encoded record decodes");
        assert_eq!(back.seq, rec.seq);
        assert_eq!(back.defs, rec.defs);
        assert_eq!(back.groups.len(), rec.groups.len());
        for ((a_id, a), (b_id, b)) in rec.groups.iter().zip(&back.groups) {
            assert_eq!(a_id, b_id);
            assert!(same(a, b), "record round trip differs");
        }
    }
}

/// A whole write-ahead-log file (frames, checksums, torn tails).
pub fn wal_file(data: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("00000000000000000001.wal");
    if std::fs::write(&path, data).is_ok()
        && let Ok((records, good, _)) = wal::read_file(&path)
    {
        assert!(good as usize <= data.len());
        for r in records {
            wal_record(&r);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A segment index (after its checksum is verified); the first 8 bytes are the data
/// area's end.
pub fn segment_index(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let mut r = Reader::new(data);
    let Ok(end) = r.u64_le() else { return };
    let _ = segment::decode_index(&data[8..], end);
}

/// A whole segment file: open it, then read every chunk and rollup it lists.
pub fn segment_file(data: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("20260101T000000Z-0000000000000001.seg");
    if std::fs::write(&path, data).is_ok()
        && let Ok(seg) = Segment::open(&path)
    {
        for c in &seg.chunks {
            let _ = seg.read_chunk(c);
        }
        for r in &seg.rollups {
            if let Some(def) = seg.def(r.series) {
                let _ = seg.read_rollup(r, def.vtype);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rollup block; the first byte picks the type and width, the next two the window count.
pub fn rollup(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let t = vtype(data[0]);
    let width = rollup::WIDTHS[(data[0] as usize >> 2) % rollup::WIDTHS.len()];
    let n = u16::from_le_bytes([data[1], data[2]]) as usize;
    // Bit 3 of the first byte picks the segment version the block is read as.
    let version = 1 + (data[0] >> 3 & 1);
    let _ = rollup::decode(&data[3..], t, n, width, version);
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "ironloom-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    //! The fuzz entry points over seeds of valid encodings and thousands of mutations of
    //! them (deterministic), so every CI run exercises the same code the fuzzer does.

    use super::*;
    use crate::chunk::Stats;
    use crate::record::SeriesDef;
    use crate::segment::{Header, Writer};
    use ironloom_core::ids::{DeviceId, TenantId};
    use ironloom_core::telemetry::{Quality, Value};
    use ironloom_testkit::{Mutator, Rng};
    use std::sync::Arc;

    fn columns() -> Vec<Column> {
        let mut out = Vec::new();
        for (t, v) in [
            (ValueType::F64, Value::F64(21.5)),
            (ValueType::I64, Value::I64(-3)),
            (ValueType::Bool, Value::Bool(true)),
            (ValueType::Str, Value::Str("running".into())),
        ] {
            let mut c = Column::new(t);
            for i in 0..40i64 {
                let v = match &v {
                    Value::F64(x) => Value::F64(x + (i % 7) as f64 * 0.1),
                    Value::I64(x) => Value::I64(x * i),
                    Value::Bool(_) => Value::Bool(i % 3 == 0),
                    Value::Str(s) => Value::Str(format!("{s} {}", i % 3)),
                };
                let q = if i == 5 { Quality::Bad } else { Quality::Good };
                assert!(c.push(1_767_225_600_000_000 + i * 1_000_000, v, q));
            }
            out.push(c);
        }
        // Noisy decimals and integers with a jump: Rice-coded frames and an escape.
        let mut f = Column::new(ValueType::F64);
        let mut n = Column::new(ValueType::I64);
        let mut x = 7u64;
        for i in 0..300i64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let noise = (x >> 40) as i64 % 200 - 100;
            let jump = if i > 150 { 1 << 30 } else { 0 };
            let ts = 1_767_225_600_000_000 + i * 1_000_000;
            assert!(f.push(ts, Value::F64((5000 + noise) as f64 / 100.0), Quality::Good));
            assert!(n.push(ts, Value::I64(noise + jump), Quality::Good));
        }
        out.push(f);
        out.push(n);
        out
    }

    fn run(name: &str, target: fn(&[u8]), seeds: &[Vec<u8>], iterations: usize) {
        let mut rng = Rng::new(name.len() as u64);
        // Varint-looking runs of 0xff over the bytes.
        let mutator = Mutator::new().dictionary(&[[0xff; 2].as_slice(), &[0xff; 5], &[0xff; 9]]);
        for s in seeds {
            target(s);
        }
        for _ in 0..iterations {
            let seed = rng.pick(seeds).clone();
            target(&mutator.mutate(&mut rng, &seed));
        }
    }

    #[test]
    fn chunk_and_record_decoders_survive_mutations() {
        let cols = columns();
        let mut seeds = Vec::new();
        for c in &cols {
            let mut b = vec![c.value_type().code().wrapping_sub(1)];
            // The selector byte maps through `vtype`; find the one that matches.
            b[0] = (0..4u8).find(|&k| vtype(k) == c.value_type()).unwrap_or(0);
            chunk::encode(c, &mut b);
            seeds.push(b);
        }
        run("chunk", chunk, &seeds, 20_000);

        let t = TenantId::new();
        let defs: Vec<SeriesDef> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| SeriesDef {
                id: i as u32,
                tenant: t,
                product: None,
                device: DeviceId::new(),
                property: Arc::from(format!("p{i}").as_str()),
                vtype: c.value_type(),
            })
            .collect();
        let groups: Vec<(u32, &Column)> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u32, c))
            .collect();
        let mut rec = Vec::new();
        record::encode(7, &defs, &groups, &mut rec);
        run("record", wal_record, std::slice::from_ref(&rec), 20_000);

        let mut file = Vec::new();
        for _ in 0..2 {
            file.extend_from_slice(&(rec.len() as u32).to_le_bytes());
            file.extend_from_slice(&crc32fast::hash(&rec).to_le_bytes());
            file.extend_from_slice(&rec);
        }
        run("wal", wal_file, &[file], 500);
    }

    #[test]
    fn segment_and_rollup_decoders_survive_mutations() {
        let dir = tempfile_dir().unwrap();
        let t = TenantId::new();
        let header = Header {
            id: 1,
            tenant: t,
            product: None,
            part_start: 1_767_225_600_000_000,
            part_width: 86_400_000_000,
            min_seq: 1,
            max_seq: 2,
            level: 0,
            replaces: vec![],
        };
        let mut w = Writer::create(&dir, header, 16).unwrap();
        // Dense enough for minute rollups.
        let mut dense = Column::new(ValueType::F64);
        for i in 0..1200i64 {
            dense.push(
                1_767_225_600_000_000 + i * 1_000_000,
                Value::F64((i % 50) as f64 * 0.5),
                Quality::Good,
            );
        }
        let mut cols = columns();
        cols.push(dense);
        for (i, c) in cols.iter().enumerate() {
            let def = SeriesDef {
                id: i as u32,
                tenant: t,
                product: None,
                device: DeviceId::new(),
                property: Arc::from(format!("p{i}").as_str()),
                vtype: c.value_type(),
            };
            w.add(&def, c).unwrap();
        }
        let seg = w.finish().unwrap();
        assert!(!seg.rollups.is_empty());
        let bytes = std::fs::read(&seg.path).unwrap();
        run("segment", segment_file, std::slice::from_ref(&bytes), 300);

        // The index alone, past its checksum.
        let n = bytes.len();
        let off = u64::from_le_bytes(bytes[n - 24..n - 16].try_into().unwrap()) as usize;
        let mut index = (off as u64).to_le_bytes().to_vec();
        index.extend_from_slice(&bytes[off..n - 24]);
        run("index", segment_index, &[index], 20_000);

        let r = *seg
            .rollup_of(cols.len() as u32 - 1, rollup::WIDTHS[0])
            .unwrap();
        let windows = seg.read_rollup(&r, ValueType::F64).unwrap();
        assert_eq!(windows.iter().map(|s: &Stats| s.count).sum::<u32>(), 1200);
        // Type F64, minute width, read as version 2 (see `rollup`).
        let mut block = vec![8u8];
        block.extend_from_slice(&(r.windows as u16).to_le_bytes());
        block.extend_from_slice(&bytes[r.offset as usize..(r.offset + r.len as u64) as usize]);
        run("rollup", rollup, &[block], 20_000);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
