//! Reading a whole series over a long range in bounded slices (exports).
//!
//! `read` materialises everything in the range it is given, so a slice's end is chosen
//! from the chunk statistics in the segment index: the slice ends at the first chunk
//! start that would take it past `max_points`. Points still in memtables are not indexed;
//! they are bounded by the memtable size.

use crate::engine::{Engine, rd};
use crate::error::{Result, TsdbError};
use crate::record::SeriesDef;
use ironloom_core::ids::TenantId;
use ironloom_core::telemetry::{Micros, ScanQuery, Selection, SeriesInfo, SeriesSlice, TimedValue};

/// The largest slice a caller may ask for.
pub const MAX_SCAN_POINTS: usize = 1 << 20;

impl Engine {
    /// The series a selection names, with their types (see [`Engine::resolve`]).
    pub fn series(&self, tenant: TenantId, sel: &Selection) -> Vec<SeriesInfo> {
        self.resolve(tenant, sel)
            .iter()
            .map(|d| SeriesInfo {
                device: d.device,
                property: d.property.to_string(),
                value_type: d.vtype,
            })
            .collect()
    }

    /// One slice of a series over [from, to): about `max_points` points from `from` on.
    pub fn scan(&self, tenant: TenantId, q: &ScanQuery) -> Result<SeriesSlice> {
        if q.from >= q.to {
            return Err(TsdbError::Invalid("`from` must be before `to`".into()));
        }
        let max = q.max_points.clamp(1, MAX_SCAN_POINTS);
        let def = {
            let cat = rd(&self.inner.catalog);
            cat.lookup(tenant, q.device, &q.property)
                .and_then(|id| cat.get(id).cloned())
        };
        let Some(def) = def else {
            return Ok(SeriesSlice::default());
        };
        let end = self.slice_end(&def, q.from, q.to, max);
        let points = match self.read(&def, q.from, end)? {
            Some(col) => (0..col.len())
                .map(|i| TimedValue {
                    ts: col.ts[i],
                    value: col.values.get(i),
                    quality: col.quality(i),
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(SeriesSlice {
            points,
            next_from: (end < q.to).then_some(end),
        })
    }

    /// Where a slice from `from` ends so that it holds about `max` stored points.
    fn slice_end(&self, def: &SeriesDef, from: Micros, to: Micros, max: usize) -> Micros {
        let v = self.version();
        let mut starts: Vec<(Micros, u64)> = Vec::new();
        for seg in v.segments(def.tenant, def.product, from, to) {
            for m in seg.chunks_of(def.id) {
                if m.stats.max_ts >= from && m.stats.min_ts < to {
                    starts.push((m.stats.min_ts, u64::from(m.stats.count)));
                }
            }
        }
        starts.sort_unstable();
        let mut sum = 0u64;
        for (start, count) in starts {
            // Chunks that begin at or before `from` belong to this slice whatever their
            // size, so every slice makes progress.
            if start > from && sum > 0 && sum + count > max as u64 {
                return start.min(to);
            }
            sum += count;
        }
        to
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Options};
    use ironloom_core::ids::{DeviceId, TenantId};
    use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, ScanQuery, Value};

    #[test]
    fn scans_a_long_series_in_bounded_slices_without_losing_points() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            chunk_points: 100,
            background: false,
            ..Options::default()
        };
        let e = Engine::open(dir.path(), opts).unwrap();
        let t = TenantId::new();
        let d = DeviceId::new();
        let base = crate::engine::now_micros() - 10_000_000_000;
        let points: Vec<PointIn> = (0..10_000)
            .map(|i| PointIn {
                property: "p".into(),
                ts: base + i * 1000,
                value: Value::I64(i),
                quality: Quality::Good,
            })
            .collect();
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
        let mut from = base;
        let mut seen = Vec::new();
        let mut slices = 0;
        loop {
            let s = e
                .scan(
                    t,
                    &ScanQuery {
                        device: d,
                        property: "p".into(),
                        from,
                        to: base + 10_000_000,
                        max_points: 1000,
                    },
                )
                .unwrap();
            assert!(s.points.len() <= 1100, "slice of {}", s.points.len());
            seen.extend(s.points.iter().map(|p| p.value.clone()));
            slices += 1;
            match s.next_from {
                Some(n) => from = n,
                None => break,
            }
        }
        assert!(slices >= 10, "{slices} slices");
        assert_eq!(seen, (0..10_000).map(Value::I64).collect::<Vec<_>>());
        e.close().unwrap();
    }
}
