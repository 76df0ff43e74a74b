//! Export and import throughput on the real engine:
//! `cargo run --release -p ironloom-tsdb-io --example throughput [points]`.
//! 10 devices × 2 series (f64 and i64, one point a second); prints points/s and sizes.

// A measuring tool: a failure is a panic with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Selection, Value};
use ironloom_tsdb::{Engine, Options};
use ironloom_tsdb_io::import::Input;
use ironloom_tsdb_io::{BlockingStore, ExportOptions, Format, ImportOptions, export, import};
use std::sync::Arc;
use std::time::Instant;

fn open(dir: &std::path::Path) -> Engine {
    Engine::open(
        dir,
        Options {
            background: false,
            ..Options::default()
        },
    )
    .unwrap()
}

fn main() {
    let total: i64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = TenantId::new();
    let devices: Vec<DeviceId> = (0..10).map(|_| DeviceId::new()).collect();
    let per_series = total / 20;
    let start_ts = chrono::Utc::now().timestamp_micros() - per_series * 1_000_000 - 60_000_000;

    let a = open(&tmp.path().join("a"));
    let t0 = Instant::now();
    for chunk in 0..(per_series / 10_000).max(1) {
        let batches = devices
            .iter()
            .map(|d| DeviceBatch {
                device: *d,
                product: None,
                points: (0..10_000.min(per_series))
                    .flat_map(|i| {
                        let k = chunk * 10_000 + i;
                        let ts = start_ts + k * 1_000_000;
                        [
                            PointIn {
                                property: "temp".into(),
                                ts,
                                value: Value::F64(20.0 + (k % 1000) as f64 * 0.01),
                                quality: Quality::Good,
                            },
                            PointIn {
                                property: "count".into(),
                                ts,
                                value: Value::I64(k),
                                quality: Quality::Good,
                            },
                        ]
                    })
                    .collect(),
            })
            .collect();
        a.write_blocking(t, batches).unwrap();
    }
    a.flush().unwrap();
    println!(
        "seeded {total} points in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let src = BlockingStore {
        store: Arc::new(a.clone()),
        runtime: rt.handle().clone(),
    };

    for format in [Format::Csv, Format::Parquet] {
        let path = tmp.path().join(format!("out.{}", format.extension()));
        let file =
            std::io::BufWriter::with_capacity(256 << 10, std::fs::File::create(&path).unwrap());
        let t0 = Instant::now();
        let s = export(
            &src,
            t,
            &Selection::default(),
            i64::MIN / 2,
            i64::MAX / 2,
            &ExportOptions {
                format,
                ..Default::default()
            },
            file,
            &mut |_| {},
        )
        .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "export {:7}: {} points in {secs:.2} s = {:.0} points/s, {:.1} MB ({:.1} bytes/point)",
            format.extension(),
            s.points,
            s.points as f64 / secs,
            s.bytes as f64 / 1e6,
            s.bytes as f64 / s.points as f64
        );

        let b = open(&tmp.path().join(format!("b-{}", format.extension())));
        let sink = BlockingStore {
            store: Arc::new(b.clone()),
            runtime: rt.handle().clone(),
        };
        let ids: Vec<String> = devices.iter().map(|d| d.to_string()).collect();
        let mut resolve = |k: &str| -> Result<Option<(DeviceId, Option<ProductId>)>, Error> {
            Ok(ids.iter().position(|x| x == k).map(|i| (devices[i], None)))
        };
        let input = match format {
            Format::Csv => Input::Csv {
                reader: Box::new(std::io::BufReader::with_capacity(
                    256 << 10,
                    std::fs::File::open(&path).unwrap(),
                )),
                len: None,
            },
            Format::Parquet => Input::ParquetFile(std::fs::File::open(&path).unwrap()),
        };
        let t0 = Instant::now();
        let r = import(
            input,
            t,
            &mut resolve,
            &sink,
            &ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        b.close().unwrap();
        println!(
            "import {:7}: {} rows in {secs:.2} s = {:.0} rows/s ({} rejected); close/flush {:.2} s",
            format.extension(),
            r.rows,
            r.rows as f64 / secs,
            r.rejected,
            t1.elapsed().as_secs_f64()
        );
        assert_eq!(r.accepted as i64, per_series * 20);
    }
    a.close().unwrap();
}
