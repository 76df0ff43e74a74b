//! Where a database's bytes go: for each property name (over every device and tenant) and
//! value type, the bytes of its chunks' timestamps, qualities and values, the encodings
//! its chunks chose, and its rollups; then the segment indexes and the write-ahead log.
//! `ironloom tsdb space` prints it; it is what a change of codec is measured with.
//!
//! Segments are immutable, so this reads them beside a running server; a segment removed
//! by a compaction meanwhile is skipped (and counted).

use crate::codec::varint::Reader;
use crate::error::Result;
use crate::segment::Segment;
use ironloom_core::telemetry::ValueType;
use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The bytes of one property name and value type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertySpace {
    pub property: String,
    pub value_type: Option<ValueType>,
    pub chunks: u64,
    pub points: u64,
    /// Timestamps (delta-of-delta blocks).
    pub ts_bytes: u64,
    /// Quality blocks.
    pub quality_bytes: u64,
    /// Value blocks, their encoding tags included.
    pub value_bytes: u64,
    /// Each chunk's type, count and block lengths.
    pub header_bytes: u64,
    /// Rollup blocks.
    pub rollup_bytes: u64,
    /// Chunks per encoding chosen (e.g. `decimal/packed`, `gorilla`, `int/varint`).
    pub encodings: BTreeMap<String, u64>,
}

impl PropertySpace {
    /// Bytes in chunks and rollups (the index is counted for the whole database).
    pub fn bytes(&self) -> u64 {
        self.ts_bytes
            + self.quality_bytes
            + self.value_bytes
            + self.header_bytes
            + self.rollup_bytes
    }
}

/// The whole database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpaceReport {
    pub segments: u64,
    /// Segments that disappeared while being read (compacted meanwhile).
    pub skipped: u64,
    pub segment_bytes: u64,
    pub points: u64,
    /// Index, file header and footer of every segment.
    pub index_bytes: u64,
    pub wal_bytes: u64,
    /// By property name, largest first.
    pub properties: Vec<PropertySpace>,
}

/// Reads every segment under `dir` (a database directory: `segments/`, `wal/`).
pub fn space(dir: &Path) -> Result<SpaceReport> {
    let mut report = SpaceReport::default();
    let mut by: BTreeMap<(String, u8), PropertySpace> = BTreeMap::new();
    for path in crate::engine::list_files(&dir.join("segments"), "seg")? {
        let seg = match Segment::open(&path) {
            Ok(s) => s,
            Err(crate::TsdbError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        report.segments += 1;
        report.segment_bytes += seg.bytes;
        let mut in_blocks = 0u64;
        let file = std::fs::File::open(&path).map_err(|e| crate::TsdbError::Io {
            path: path.clone(),
            source: e,
        })?;
        for c in &seg.chunks {
            let Some(def) = seg.def(c.series) else {
                continue;
            };
            let e = by
                .entry((def.property.to_string(), c.vtype.code()))
                .or_insert_with(|| PropertySpace {
                    property: def.property.to_string(),
                    value_type: Some(c.vtype),
                    ..Default::default()
                });
            let mut buf = vec![0u8; c.len as usize];
            if file.read_exact_at(&mut buf, c.offset).is_err() {
                continue;
            }
            e.chunks += 1;
            e.points += c.stats.count as u64;
            report.points += c.stats.count as u64;
            in_blocks += c.len as u64;
            match chunk_parts(&buf, c.vtype) {
                Some(p) => {
                    e.ts_bytes += p.ts as u64;
                    e.quality_bytes += p.quality as u64;
                    e.value_bytes += p.values as u64;
                    e.header_bytes += (buf.len() - p.ts - p.quality - p.values) as u64;
                    *e.encodings.entry(p.encoding).or_default() += 1;
                }
                None => *e.encodings.entry("unreadable".into()).or_default() += 1,
            }
        }
        for r in &seg.rollups {
            in_blocks += r.len as u64;
            if let Some(def) = seg.def(r.series)
                && let Some(e) = by.get_mut(&(def.property.to_string(), def.vtype.code()))
            {
                e.rollup_bytes += r.len as u64;
            }
        }
        report.index_bytes += seg.bytes.saturating_sub(in_blocks);
    }
    for path in crate::engine::list_files(&dir.join("wal"), "wal")? {
        report.wal_bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    }
    let mut props: Vec<PropertySpace> = by.into_values().collect();
    props.sort_by(|a, b| b.bytes().cmp(&a.bytes()).then(a.property.cmp(&b.property)));
    report.properties = props;
    Ok(report)
}

struct Parts {
    ts: usize,
    quality: usize,
    values: usize,
    encoding: String,
}

/// The sizes of a chunk's blocks (see `chunk::encode`) and the encoding of its values.
fn chunk_parts(buf: &[u8], t: ValueType) -> Option<Parts> {
    let mut r = Reader::new(buf);
    r.u8().ok()?;
    r.len(crate::codec::MAX_CHUNK_POINTS).ok()?;
    let ts = r.block().ok()?.len();
    let quality = r.block().ok()?.len();
    let values = r.rest();
    let int_name = |tag: Option<&u8>| tag.map_or("?", |&t| crate::codec::int::mode_name(t));
    let encoding = match t {
        ValueType::F64 => match values.first() {
            Some(0) => "gorilla".to_string(),
            Some(m @ (1 | 2)) => {
                // Mode, places, exceptions (count, then index steps and 8-byte values),
                // then the integers with their own tag.
                let mut v = Reader::new(&values[1..]);
                let places = v.u8().ok()?;
                let n = v.len(crate::codec::MAX_CHUNK_POINTS).ok()?;
                for _ in 0..n {
                    v.len(crate::codec::MAX_CHUNK_POINTS).ok()?;
                    v.f64_le().ok()?;
                }
                let kind = if *m == 1 { "decimal" } else { "decimal*" };
                let exc = if n > 0 { "+exceptions" } else { "" };
                format!("{kind}{places}/{}{exc}", int_name(v.rest().first()))
            }
            _ => "?".to_string(),
        },
        ValueType::I64 => format!("int/{}", int_name(values.first())),
        ValueType::Bool => "bool".to_string(),
        ValueType::Str => "dictionary".to_string(),
    };
    Some(Parts {
        ts,
        quality,
        values: values.len(),
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Options};
    use ironloom_core::ids::{DeviceId, TenantId};
    use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Value};

    #[test]
    fn every_byte_of_the_segments_is_accounted_for() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(dir.path(), Options::default()).unwrap();
        let t = TenantId::new();
        let base = chrono::Utc::now().timestamp_micros() / 3_600_000_000 * 3_600_000_000
            - 6 * 3_600_000_000;
        for d in 0..3 {
            let points = (0..2000i64)
                .flat_map(|i| {
                    let ts = base + i * 10_000_000;
                    [
                        PointIn {
                            property: "temp".into(),
                            ts,
                            value: Value::F64((200 + (i * 7 + d) % 50) as f64 / 10.0),
                            quality: Quality::Good,
                        },
                        PointIn {
                            property: "count".into(),
                            ts,
                            value: Value::I64(i * 3),
                            quality: Quality::Good,
                        },
                    ]
                })
                .collect();
            e.write_blocking(
                t,
                vec![DeviceBatch {
                    device: DeviceId::new(),
                    product: None,
                    points,
                }],
            )
            .unwrap();
        }
        e.flush().unwrap();
        e.compact_all().unwrap();
        let r = space(dir.path()).unwrap();
        assert_eq!(r.points, 12_000);
        assert_eq!(r.properties.len(), 2);
        let total: u64 = r.properties.iter().map(PropertySpace::bytes).sum();
        assert_eq!(total + r.index_bytes, r.segment_bytes);
        let temp = r.properties.iter().find(|p| p.property == "temp").unwrap();
        assert_eq!(temp.points, 6000);
        assert!(
            temp.encodings.keys().all(|k| k.starts_with("decimal")),
            "{:?}",
            temp.encodings
        );
        let count = r.properties.iter().find(|p| p.property == "count").unwrap();
        // A counter stepping by 3: constant deltas, under a bit per point.
        assert!(count.value_bytes * 8 < count.points, "{count:?}");
        assert!(count.encodings.keys().all(|k| k.starts_with("int/")));
    }
}
