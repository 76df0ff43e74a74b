//! Export and import against the real engine: round trips through CSV and Parquet into a
//! fresh database, our Parquet files read by the parquet crate's own row reader, and
//! damaged inputs.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{
    DeviceBatch, Micros, PointIn, Quality, ScanQuery, Selection, Value,
};
use ironloom_tsdb::{Engine, Options};
use ironloom_tsdb_io::import::{ImportFailure, ImportMode, Input};
use ironloom_tsdb_io::{
    BlockingStore, ExportOptions, Format, ImportOptions, ImportReport, Location, Precision, Source,
    TimeFormat, export, import,
};
use parquet::file::reader::FileReader;
use std::collections::HashMap;
use std::sync::Arc;

struct Db {
    _dir: tempfile::TempDir,
    engine: Engine,
    store: BlockingStore,
}

fn db(rt: &tokio::runtime::Runtime) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(
        dir.path(),
        Options {
            background: false,
            chunk_points: 64,
            ..Options::default()
        },
    )
    .unwrap();
    let store = BlockingStore {
        store: Arc::new(engine.clone()),
        runtime: rt.handle().clone(),
    };
    Db {
        _dir: dir,
        engine,
        store,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The devices of a tenant as a meta store would resolve them: by id or by name.
#[derive(Clone)]
struct Devices(HashMap<String, (DeviceId, Option<ProductId>)>);

impl Devices {
    fn new(list: &[(DeviceId, &str, Option<ProductId>)]) -> Devices {
        let mut m = HashMap::new();
        for (id, name, product) in list {
            m.insert(id.to_string(), (*id, *product));
            m.insert(name.to_string(), (*id, *product));
        }
        Devices(m)
    }

    fn resolver(
        &self,
    ) -> impl FnMut(&str) -> Result<Option<(DeviceId, Option<ProductId>)>, Error> + '_ {
        |k| Ok(self.0.get(k).copied())
    }
}

fn base() -> Micros {
    // Ten days before the tests started, with microseconds, inside the engine's accepted
    // window; the same for every call.
    static BASE: std::sync::OnceLock<Micros> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        (chrono::Utc::now().timestamp_micros() - 10 * 86_400_000_000) / 1_000_000 * 1_000_000 + 123
    })
}

const QUALITIES: [Quality; 3] = [Quality::Good, Quality::Uncertain, Quality::Bad];

fn floats() -> Vec<f64> {
    vec![
        0.1,
        -0.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e300,
        -123.456,
        1.0 / 3.0,
        1e16,
        42.0,
    ]
}

/// Writes every value type with every quality to two devices.
fn seed(e: &Engine, t: TenantId, d1: DeviceId, d2: DeviceId, p1: ProductId) -> u64 {
    let b = base();
    let mut pts = Vec::new();
    for (i, f) in floats().into_iter().enumerate() {
        pts.push(point("temp", b + i as i64 * 1_000_001, Value::F64(f), i));
    }
    for (i, v) in [i64::MIN, i64::MAX, 0, -1, 7].into_iter().enumerate() {
        pts.push(point("count", b + i as i64 * 999, Value::I64(v), i));
    }
    for i in 0..4 {
        pts.push(point("on", b + i * 7, Value::Bool(i % 2 == 0), i as usize));
    }
    for (i, s) in [
        "",
        "plain",
        "a,b",
        "say \"hi\"",
        "two\nlines",
        "温度 °C",
        " padded ",
    ]
    .into_iter()
    .enumerate()
    {
        pts.push(point("state", b + i as i64, Value::Str(s.into()), i));
    }
    let n = pts.len() as u64;
    // Many points on the second device, to cross slices and row groups.
    let many: Vec<PointIn> = (0..5000)
        .map(|i| {
            point(
                "speed",
                b + i * 1000,
                Value::F64(i as f64 * 0.5),
                i as usize,
            )
        })
        .collect();
    let o = e
        .write_blocking(
            t,
            vec![
                DeviceBatch {
                    device: d1,
                    product: Some(p1),
                    points: pts,
                },
                DeviceBatch {
                    device: d2,
                    product: None,
                    points: many,
                },
            ],
        )
        .unwrap();
    assert!(o.rejected.is_empty(), "{:?}", o.rejected);
    e.flush().unwrap();
    n + 5000
}

fn point(p: &str, ts: Micros, value: Value, i: usize) -> PointIn {
    PointIn {
        property: p.into(),
        ts,
        value,
        quality: QUALITIES[i % 3],
    }
}

/// Every point of a tenant as comparable tuples (floats by their bits).
fn dump(src: &dyn Source, t: TenantId) -> Vec<(String, String, Micros, String, Quality)> {
    let mut out = Vec::new();
    for s in src.series(t, &Selection::default()).unwrap() {
        let mut from = Some(i64::MIN / 2);
        while let Some(f) = from {
            let slice = src
                .scan(
                    t,
                    ScanQuery {
                        device: s.device,
                        property: s.property.clone(),
                        from: f,
                        to: i64::MAX / 2,
                        max_points: 1000,
                    },
                )
                .unwrap();
            for p in slice.points {
                let v = match p.value {
                    Value::F64(x) => format!("f64:{:016x}", x.to_bits()),
                    other => format!("{other:?}"),
                };
                out.push((s.device.to_string(), s.property.clone(), p.ts, v, p.quality));
            }
            from = slice.next_from;
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    out
}

fn export_all(db: &Db, t: TenantId, opts: &ExportOptions) -> (Vec<u8>, u64) {
    let mut out = Vec::new();
    let mut calls = 0u64;
    let s = export(
        &db.store,
        t,
        &Selection::default(),
        i64::MIN / 2,
        i64::MAX / 2,
        opts,
        &mut out,
        &mut |_| calls += 1,
    )
    .unwrap();
    assert_eq!(s.bytes, out.len() as u64);
    assert!(calls > 2);
    (out, s.points)
}

fn import_into(
    db: &Db,
    t: TenantId,
    devices: &Devices,
    input: Input<'_>,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportFailure> {
    let mut r = devices.resolver();
    import(input, t, &mut r, &db.store, opts, &mut |_| {})
}

fn round_trip(format: Format, time: TimeFormat) {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1, d2, p1) = (
        TenantId::new(),
        DeviceId::new(),
        DeviceId::new(),
        ProductId::new(),
    );
    let n = seed(&a.engine, t, d1, d2, p1);
    let opts = ExportOptions {
        format,
        time,
        slice_points: 700,
        row_group_rows: 1000,
        ..Default::default()
    };
    let (file, points) = export_all(&a, t, &opts);
    assert_eq!(points, n);

    let b = db(&rt);
    let devices = Devices::new(&[(d1, "boiler", Some(p1)), (d2, "fan", None)]);
    let input = match format {
        Format::Csv => Input::Csv {
            reader: Box::new(&file[..]),
            len: Some(file.len() as u64),
        },
        Format::Parquet => Input::ParquetBytes(file.clone().into()),
    };
    let report = import_into(&b, t, &devices, input, &ImportOptions::default()).unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.examples);
    assert_eq!(report.rows, n);
    assert_eq!(report.accepted, n);
    assert_eq!(dump(&a.store, t), dump(&b.store, t));
    // The product comes from the device record.
    let series = b.engine.resolve(t, &Selection::default());
    assert!(
        series
            .iter()
            .any(|s| s.device == d1 && s.product == Some(p1))
    );
    assert!(series.iter().any(|s| s.device == d2 && s.product.is_none()));
    a.engine.close().unwrap();
    b.engine.close().unwrap();
}

#[test]
fn csv_round_trip_keeps_every_type_quality_and_float_bit() {
    round_trip(Format::Csv, TimeFormat::Rfc3339);
}

#[test]
fn csv_round_trip_with_epoch_timestamps_keeps_microseconds() {
    round_trip(Format::Csv, TimeFormat::EpochMs);
    round_trip(Format::Csv, TimeFormat::EpochUs);
}

#[test]
fn parquet_round_trip_keeps_every_type_quality_and_float_bit() {
    round_trip(Format::Parquet, TimeFormat::Rfc3339);
}

#[test]
fn exported_parquet_reads_with_the_parquet_row_reader_and_has_the_documented_schema() {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1, d2, p1) = (
        TenantId::new(),
        DeviceId::new(),
        DeviceId::new(),
        ProductId::new(),
    );
    let n = seed(&a.engine, t, d1, d2, p1);
    let opts = ExportOptions {
        format: Format::Parquet,
        row_group_rows: 2000,
        ..Default::default()
    };
    let (file, _) = export_all(&a, t, &opts);
    let r = parquet::file::serialized_reader::SerializedFileReader::new(bytes::Bytes::from(file))
        .unwrap();
    let meta = r.metadata();
    assert!(meta.num_row_groups() >= 3, "row groups are bounded");
    let schema = meta.file_metadata().schema_descr();
    let cols: Vec<(String, String)> = schema
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), format!("{}", c.physical_type())))
        .collect();
    let expect = [
        ("device", "BYTE_ARRAY"),
        ("property", "BYTE_ARRAY"),
        ("ts", "INT64"),
        ("value_f64", "DOUBLE"),
        ("value_i64", "INT64"),
        ("value_bool", "BOOLEAN"),
        ("value_str", "BYTE_ARRAY"),
        ("quality", "BYTE_ARRAY"),
    ];
    assert_eq!(
        cols,
        expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        schema.column(2).logical_type_ref(),
        Some(&parquet::basic::LogicalType::timestamp(
            true,
            parquet::basic::TimeUnit::MICROS
        ))
    );
    let dict = meta
        .row_group(0)
        .column(0)
        .encodings()
        .any(|e| e == parquet::basic::Encoding::RLE_DICTIONARY);
    assert!(dict, "device is dictionary encoded");
    assert!(
        meta.file_metadata()
            .key_value_metadata()
            .is_some_and(|kv| kv.iter().any(|k| k.key == "ironloom.export"))
    );

    use parquet::record::{Field, RowAccessor};
    let mut rows = 0u64;
    let mut found_state = false;
    for row in r.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        rows += 1;
        let set: Vec<&str> = row
            .get_column_iter()
            .filter(|(name, f)| name.starts_with("value_") && !matches!(f, Field::Null))
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(set.len(), 1, "exactly one value column per row");
        if row.get_string(1).unwrap() == "state"
            && row.get_string(6).is_ok_and(|s| s == "two\nlines")
        {
            found_state = true;
            assert_eq!(row.get_string(0).unwrap(), &d1.to_string());
            assert_eq!(row.get_timestamp_micros(2).unwrap(), base() + 4);
            assert_eq!(row.get_string(7).unwrap(), "uncertain");
        }
        if row.get_string(1).unwrap() == "count" && row.get_timestamp_micros(2).unwrap() == base() {
            assert_eq!(row.get_long(4).unwrap(), i64::MIN);
            assert_eq!(row.get_string(7).unwrap(), "good");
        }
    }
    assert_eq!(rows, n);
    assert!(found_state);
    a.engine.close().unwrap();
}

#[test]
fn malformed_csv_rows_are_counted_with_their_lines_and_valid_rows_are_stored() {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1) = (TenantId::new(), DeviceId::new());
    let devices = Devices::new(&[(d1, "pump-1", None)]);
    let ts = |i: i64| {
        chrono::DateTime::from_timestamp_micros(base() + i * 1000)
            .unwrap()
            .to_rfc3339()
    };
    let huge = "9".repeat(2 << 20);
    let data = format!(
        "device,property,ts,value,type,quality\n\
         {d1},temp,{},1.5,f64,good\n\
         {d1},temp,not-a-time,1.5,f64,good\n\
         {d1},count,{},12x,i64,good\n\
         nosuch,temp,{},1,f64,good\n\
         {d1},temp,{},NaN,f64,good\n\
         {d1},temp,2100-01-01T00:00:00Z,1,f64,good\n\
         {d1},temp,{},hello,str,good\n\
         {d1},temp,{},{huge},f64,good\n\
         {d1},temp,{},2.5,f64,weird\n\
         {d1},temp,{},3.5,f64\n\
         pump-1,temp,{},4.5,f64,bad\n\
         {d1},temp,{},5,,good\n",
        ts(1),
        ts(2),
        ts(3),
        ts(4),
        ts(5),
        ts(6),
        ts(7),
        ts(8),
        ts(9),
        ts(10)
    );
    let opts = ImportOptions {
        batch_points: 3,
        max_examples: 5,
        ..Default::default()
    };
    let r = import_into(
        &a,
        t,
        &devices,
        Input::Csv {
            reader: Box::new(data.as_bytes()),
            len: None,
        },
        &opts,
    )
    .unwrap();
    assert_eq!(r.rows, 12);
    assert_eq!(r.accepted, 3, "{r:#?}");
    assert_eq!(r.rejected, 9);
    let codes: Vec<(&str, u64)> = r
        .rejected_by_code
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("bad_quality", 1),
            ("bad_timestamp", 1),
            ("bad_value", 1),
            ("not_finite", 1),
            ("record_too_long", 1),
            ("timestamp_out_of_window", 1),
            ("type_mismatch", 1),
            ("unknown_device", 1),
            ("wrong_field_count", 1),
        ]
    );
    assert_eq!(r.examples.len(), 5);
    let first: Vec<(Location, &str)> = r
        .examples
        .iter()
        .map(|e| (e.location, e.code.as_str()))
        .collect();
    assert_eq!(
        first,
        vec![
            (Location::Line(3), "bad_timestamp"),
            (Location::Line(4), "bad_value"),
            (Location::Line(5), "unknown_device"),
            (Location::Line(6), "not_finite"),
            (Location::Line(7), "timestamp_out_of_window"),
        ]
    );
    assert!(r.examples[2].message.contains("nosuch"));
    let stored = dump(&a.store, t);
    let values: Vec<&str> = stored.iter().map(|p| p.3.as_str()).collect();
    assert_eq!(
        values,
        vec![
            &format!("f64:{:016x}", 1.5f64.to_bits()),
            &format!("f64:{:016x}", 4.5f64.to_bits()),
            // No type: "5" read against the existing float series.
            &format!("f64:{:016x}", 5f64.to_bits()),
        ]
    );
    assert_eq!(stored[1].4, Quality::Bad);
    a.engine.close().unwrap();
}

#[test]
fn dry_run_checks_without_storing() {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1) = (TenantId::new(), DeviceId::new());
    let devices = Devices::new(&[(d1, "pump-1", None)]);
    let now = chrono::Utc::now().timestamp();
    let data = format!(
        "device,property,ts_s,value\npump-1,temp,{now},1.5\npump-1,temp,{now},NaN\nx,temp,{now},1\n"
    );
    let opts = ImportOptions {
        mode: ImportMode::DryRun,
        ..Default::default()
    };
    let r = import_into(
        &a,
        t,
        &devices,
        Input::Csv {
            reader: Box::new(data.as_bytes()),
            len: None,
        },
        &opts,
    )
    .unwrap();
    assert!(r.dry_run);
    assert_eq!((r.rows, r.accepted, r.rejected), (3, 1, 2));
    assert!(dump(&a.store, t).is_empty());
    a.engine.close().unwrap();
}

#[test]
fn a_csv_without_the_required_columns_is_refused_before_anything_is_stored() {
    let rt = runtime();
    let a = db(&rt);
    let t = TenantId::new();
    let devices = Devices::new(&[]);
    let e = import_into(
        &a,
        t,
        &devices,
        Input::Csv {
            reader: Box::new(&b"name,when,reading\nx,1,2\n"[..]),
            len: None,
        },
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.error.code(), "bad_header");
    assert!(e.to_string().contains("no device column"), "{e}");
    assert_eq!(e.report.rows, 0);
    a.engine.close().unwrap();
}

fn parquet_of_seed() -> (Vec<u8>, TenantId, Devices) {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1, d2, p1) = (
        TenantId::new(),
        DeviceId::new(),
        DeviceId::new(),
        ProductId::new(),
    );
    seed(&a.engine, t, d1, d2, p1);
    let opts = ExportOptions {
        format: Format::Parquet,
        ..Default::default()
    };
    let (file, _) = export_all(&a, t, &opts);
    a.engine.close().unwrap();
    (
        file,
        t,
        Devices::new(&[(d1, "boiler", Some(p1)), (d2, "fan", None)]),
    )
}

#[test]
fn not_a_parquet_file_truncated_and_damaged_files_give_clear_errors() {
    let (file, t, devices) = parquet_of_seed();
    let rt = runtime();
    let b = db(&rt);
    let run = |bytes: Vec<u8>| {
        import_into(
            &b,
            t,
            &devices,
            Input::ParquetBytes(bytes.into()),
            &ImportOptions::default(),
        )
    };
    let e = run(b"device,property\n".to_vec()).unwrap_err();
    assert_eq!(e.error.code(), "not_parquet");
    assert!(e.to_string().contains("not a Parquet file"), "{e}");

    let e = run(file[..file.len() - 100].to_vec()).unwrap_err();
    assert_eq!(e.error.code(), "not_parquet", "{e}");

    // The first page header, right after the magic bytes.
    let mut damaged = file.clone();
    for b in &mut damaged[4..24] {
        *b = 0xff;
    }
    let e = run(damaged).unwrap_err();
    assert_eq!(e.error.code(), "damaged_parquet", "{e}");
    assert!(e.to_string().contains("row 1"), "{e}");
    assert_eq!(e.report.accepted, 0);
    b.engine.close().unwrap();
}

/// A long-format file as another system might write it.
fn foreign_parquet(
    schema: &str,
    write: impl FnOnce(&mut parquet::file::writer::SerializedRowGroupWriter<'_, &mut Vec<u8>>),
) -> Vec<u8> {
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    let schema = Arc::new(parquet::schema::parser::parse_message_type(schema).unwrap());
    let mut out = Vec::new();
    {
        let mut w = SerializedFileWriter::new(
            &mut out,
            schema,
            Arc::new(WriterProperties::builder().build()),
        )
        .unwrap();
        let mut rg = w.next_row_group().unwrap();
        write(&mut rg);
        rg.close().unwrap();
        w.close().unwrap();
    }
    out
}

#[test]
fn foreign_long_format_parquet_with_other_column_types_is_imported() {
    use parquet::data_type::{
        ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type, Int96, Int96Type,
    };
    let rt = runtime();
    let a = db(&rt);
    let (t, d1) = (TenantId::new(), DeviceId::new());
    let devices = Devices::new(&[(d1, "pump-1", None)]);
    let b = base() / 1000 * 1000;

    // Timestamps in milliseconds, one double `value` column with a null.
    let file = foreign_parquet(
        "message m { required binary device_name (STRING); required binary metric (STRING);
          required int64 time (TIMESTAMP(MILLIS,false)); optional double value; }",
        |rg| {
            let bytes = |v: &[&str]| v.iter().map(|s| ByteArray::from(*s)).collect::<Vec<_>>();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&["pump-1", "pump-1", "pump-1"]), None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&["flow", "flow", "flow"]), None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<Int64Type>()
                .write_batch(&[b / 1000, b / 1000 + 1, b / 1000 + 2], None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<DoubleType>()
                .write_batch(&[1.25, 2.5], Some(&[1, 0, 1]), None)
                .unwrap();
            c.close().unwrap();
        },
    );
    let r = import_into(
        &a,
        t,
        &devices,
        Input::ParquetBytes(file.into()),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((r.rows, r.accepted, r.rejected), (3, 2, 1), "{r:#?}");
    assert_eq!(r.examples[0].location, Location::Row(2));
    assert_eq!(r.examples[0].code, "missing_field");

    // Legacy INT96 timestamps, text values typed by a `type` column, integer qualities.
    let mut i96 = Int96::new();
    let days = (b.div_euclid(86_400_000_000) + 2_440_588) as u32;
    let nanos = (b.rem_euclid(86_400_000_000) * 1000) as u64;
    i96.set_data(nanos as u32, (nanos >> 32) as u32, days);
    let file = foreign_parquet(
        "message m { required binary device (STRING); required binary property (STRING);
          required int96 ts; required binary value (STRING); optional binary type (STRING);
          optional int32 quality; }",
        |rg| {
            let bytes = |v: &[&str]| v.iter().map(|s| ByteArray::from(*s)).collect::<Vec<_>>();
            let dev = d1.to_string();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&[&dev, &dev, &dev]), None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&["mode", "level", "alarm"]), None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<Int96Type>()
                .write_batch(&[i96, i96, i96], None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&["auto", "17", "true"]), None, None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>()
                .write_batch(&bytes(&["str", "i64"]), Some(&[1, 1, 0]), None)
                .unwrap();
            c.close().unwrap();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<Int32Type>()
                .write_batch(&[2, 1, 0], Some(&[1, 1, 1]), None)
                .unwrap();
            c.close().unwrap();
        },
    );
    let r = import_into(
        &a,
        t,
        &devices,
        Input::ParquetBytes(file.into()),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((r.rows, r.accepted, r.rejected), (3, 3, 0), "{r:#?}");
    let stored = dump(&a.store, t);
    let find = |p: &str| stored.iter().find(|s| s.1 == p).unwrap().clone();
    assert_eq!(find("mode").3, "Str(\"auto\")");
    assert_eq!(find("mode").4, Quality::Bad);
    assert_eq!(find("mode").2, b);
    assert_eq!(find("level").3, "I64(17)");
    assert_eq!(find("alarm").3, "Bool(true)");
    let flow: Vec<Micros> = stored
        .iter()
        .filter(|s| s.1 == "flow")
        .map(|s| s.2)
        .collect();
    assert_eq!(flow, vec![b, b + 2000]);
    a.engine.close().unwrap();
}

#[test]
fn numeric_csv_timestamps_follow_the_precision_option() {
    let rt = runtime();
    let a = db(&rt);
    let (t, d1) = (TenantId::new(), DeviceId::new());
    let devices = Devices::new(&[(d1, "pump-1", None)]);
    let s = base() / 1_000_000;
    let data = format!("device,property,ts,value\npump-1,p,{s},1\n");
    let opts = ImportOptions {
        precision: Precision::S,
        ..Default::default()
    };
    let r = import_into(
        &a,
        t,
        &devices,
        Input::Csv {
            reader: Box::new(data.as_bytes()),
            len: None,
        },
        &opts,
    )
    .unwrap();
    assert_eq!(r.accepted, 1);
    assert_eq!(dump(&a.store, t)[0].2, s * 1_000_000);
    a.engine.close().unwrap();
}
