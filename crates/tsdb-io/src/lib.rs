//! Telemetry in open formats: export any selection of series over a time range to CSV or
//! Parquet, import CSV and Parquet (migration from other systems), and read the InfluxDB
//! line protocol (`line`, for the API's InfluxDB-compatible writes).
//!
//! Kept out of `ironloom-tsdb` so that the engine's own builds do not compile Parquet,
//! and written against the [`TelemetryStore`](ironloom_core::telemetry::TelemetryStore)
//! trait so that the CLI (offline, on the data directory) and the REST API share it.
//!
//! Layout: `format` (columns, time and value notation shared by both directions),
//! `store` (the blocking view of the store the exporters and importers work on), `export`
//! (`export/csv`, `export/parquet`), `import` (`import/csv`, `import/parquet`: row
//! parsers, then batching, device resolution and the rejection report), `line`, `error`.
//!
//! Invariants: memory is bounded whatever the size of the range or the file (series are
//! read in slices, Parquet row groups and CSV records have size limits); parsers never
//! panic on any input (see [`fuzz_csv`], [`fuzz_parquet`],
//! [`line::fuzz_line_protocol`]); a row is either stored or
//! counted as rejected with its line or row number.

pub mod error;
pub mod export;
pub mod format;
pub mod import;
pub mod line;
pub mod store;

pub use error::{IoError, Result};
pub use export::{ExportOptions, ExportProgress, ExportSummary, export};
pub use format::{Format, Precision, TimeFormat};
pub use import::{
    DeviceResolver, ImportOptions, ImportProgress, ImportReport, Location, RejectedRow, import,
};
pub use store::{BlockingStore, Sink, Source};

/// Parses `data` as a CSV import file without storing anything (fuzzing entry point).
/// Returns the rows read; never panics.
pub fn fuzz_csv(data: &[u8]) -> u64 {
    import::parse_only(data, Format::Csv)
}

/// Parses `data` as a Parquet import file without storing anything (fuzzing entry
/// point). Returns the rows read; never panics.
pub fn fuzz_parquet(data: &[u8]) -> u64 {
    import::parse_only(data, Format::Parquet)
}

#[cfg(test)]
mod fuzz_tests {
    use super::*;
    use ironloom_core::error::Error;
    use ironloom_core::ids::{DeviceId, TenantId};
    use ironloom_core::telemetry::{
        Quality, ScanQuery, Selection, SeriesInfo, SeriesSlice, TimedValue, Value, ValueType,
    };
    use ironloom_testkit::{Mutator, Rng};

    /// A few series held in memory.
    struct Mem(Vec<(SeriesInfo, Vec<TimedValue>)>);

    impl Source for Mem {
        fn series(&self, _: TenantId, _: &Selection) -> Result<Vec<SeriesInfo>, Error> {
            Ok(self.0.iter().map(|(s, _)| s.clone()).collect())
        }

        fn scan(&self, _: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error> {
            let points = self
                .0
                .iter()
                .find(|(s, _)| s.device == q.device && s.property == q.property)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            Ok(SeriesSlice {
                points,
                next_from: None,
            })
        }
    }

    fn sample(format: Format) -> Vec<u8> {
        let d = DeviceId::new();
        let series = |property: &str, value_type, values: Vec<Value>| {
            (
                SeriesInfo {
                    device: d,
                    property: property.into(),
                    value_type,
                },
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, value)| TimedValue {
                        ts: 1_767_225_600_000_000 + i as i64 * 1000,
                        value,
                        quality: [Quality::Good, Quality::Bad][i % 2],
                    })
                    .collect(),
            )
        };
        let src = Mem(vec![
            series("f", ValueType::F64, vec![Value::F64(1.5), Value::F64(-0.0)]),
            series("i", ValueType::I64, vec![Value::I64(7), Value::I64(-9)]),
            series("b", ValueType::Bool, vec![Value::Bool(true)]),
            series("s", ValueType::Str, vec![Value::Str("a,\"b\"\nc".into())]),
        ]);
        let mut out = Vec::new();
        let opts = ExportOptions {
            format,
            row_group_rows: 3,
            ..Default::default()
        };
        let r = export(
            &src,
            TenantId::new(),
            &Selection::default(),
            0,
            i64::MAX,
            &opts,
            &mut out,
            &mut |_| {},
        );
        assert!(r.is_ok());
        out
    }

    #[test]
    fn the_samples_parse_completely() {
        assert_eq!(fuzz_csv(&sample(Format::Csv)), 6);
        assert_eq!(fuzz_parquet(&sample(Format::Parquet)), 6);
    }

    #[test]
    fn parsers_never_panic_on_mutated_or_random_input() {
        let mut rng = Rng::new(0x5eed_1234_abcd_0001);
        let mutator = Mutator::new().max_edits(8).dictionary(&[
            b"\"".as_slice(),
            b"\n",
            b"\r\n",
            b",",
            b"\xff\xfe",
            b"PAR1",
        ]);
        let csv = sample(Format::Csv);
        let pq = sample(Format::Parquet);
        for _ in 0..3000 {
            fuzz_csv(&mutator.mutate(&mut rng, &csv));
        }
        for _ in 0..1500 {
            fuzz_parquet(&mutator.mutate(&mut rng, &pq));
        }
        for _ in 0..500 {
            let n = rng.below(512);
            let junk = rng.bytes(n);
            fuzz_csv(&junk);
            fuzz_parquet(&junk);
        }
        // Parquet's magic at both ends around garbage.
        let mut framed = b"PAR1".to_vec();
        framed.extend(rng.bytes(200));
        framed.extend(100u32.to_le_bytes());
        framed.extend(b"PAR1");
        fuzz_parquet(&framed);
    }
}
