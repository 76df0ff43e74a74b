//! Import: rows from a CSV or Parquet file, devices resolved by id or name, values typed
//! (declared, or inferred against the series' existing type), points written in batches
//! grouped by device. Every row ends up stored or counted as rejected with its line (CSV)
//! or row (Parquet) number; the first few rejections are kept as examples.

mod csv;
mod parquet;

use crate::error::{IoError, Result};
use crate::format::{Format, Precision, infer_value, parse_value};
use crate::store::Sink;
use ironloom_core::error::Error;
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{
    DeviceBatch, Micros, PointIn, PointRejection, Quality, Value, ValueType,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Unit of numeric timestamps.
    pub precision: Precision,
    pub mode: ImportMode,
    /// Points per write.
    pub batch_points: usize,
    /// Rejected rows kept as examples in the report.
    pub max_examples: usize,
    /// Longest CSV record accepted; longer ones are skipped (and reported) without being
    /// held in memory.
    pub max_record_bytes: usize,
    /// The engine's accepted timestamp window, for dry runs (a real import gets the
    /// engine's own verdict).
    pub accept_window: Option<(Micros, Micros)>,
    /// Language of the messages in the report.
    pub locale: Locale,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            precision: Precision::Auto,
            mode: ImportMode::Write,
            batch_points: 50_000,
            max_examples: 20,
            max_record_bytes: 1 << 20,
            accept_window: None,
            locale: Locale::En,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    #[default]
    Write,
    /// Parse, resolve and check everything, store nothing.
    DryRun,
}

/// An input file.
pub enum Input<'a> {
    /// CSV from any reader; `len` (bytes) lets progress show a percentage.
    Csv {
        reader: Box<dyn BufRead + 'a>,
        len: Option<u64>,
    },
    ParquetFile(std::fs::File),
    ParquetBytes(bytes::Bytes),
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Csv { len, .. } => write!(f, "Csv({len:?} bytes)"),
            Input::ParquetFile(_) => f.write_str("ParquetFile"),
            Input::ParquetBytes(b) => write!(f, "ParquetBytes({} bytes)", b.len()),
        }
    }
}

/// Finds the device a file names (by id or by name).
pub trait DeviceResolver {
    /// `None` when no device of the tenant has that id or name.
    fn resolve(&mut self, key: &str) -> Result<Option<(DeviceId, Option<ProductId>)>, Error>;
}

impl<F> DeviceResolver for F
where
    F: FnMut(&str) -> Result<Option<(DeviceId, Option<ProductId>)>, Error>,
{
    fn resolve(&mut self, key: &str) -> Result<Option<(DeviceId, Option<ProductId>)>, Error> {
        self(key)
    }
}

/// Where a row is in its file: CSV lines count from 1 (the header is line 1); Parquet
/// rows count from 1 over the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Line(u64),
    Row(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectedRow {
    pub location: Location,
    /// Stable code (see [`Problem::code`] and the engine's point rejections).
    pub code: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Data rows read (stored or not).
    pub rows: u64,
    /// Points stored (or, in a dry run, that passed every check).
    pub accepted: u64,
    pub rejected: u64,
    /// Rejected rows per code.
    pub rejected_by_code: BTreeMap<String, u64>,
    /// The first rejected rows.
    pub examples: Vec<RejectedRow>,
    pub dry_run: bool,
}

/// An import that stopped: why, and what it had done until then.
#[derive(Debug, thiserror::Error)]
#[error("{error} (import stopped after {} rows: {} stored, {} rejected)", report.rows, report.accepted, report.rejected)]
pub struct ImportFailure {
    #[source]
    pub error: IoError,
    pub report: Box<ImportReport>,
}

/// How far an import is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImportProgress {
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Share of the input read (0–1), when the input's size is known.
    pub fraction: Option<f64>,
}

/// A row as a file gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub loc: Location,
    pub device: String,
    pub property: String,
    pub ts: Micros,
    pub value: RowValue,
    pub quality: Quality,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowValue {
    /// The file says what type it is.
    Typed(Value),
    /// Text without a declared type.
    Text(String),
}

/// Why a row was not stored (besides the engine's own point rejections).
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    MissingField(&'static str),
    BadTimestamp(String),
    BadValue {
        text: String,
        ty: ValueType,
    },
    BadType(String),
    BadQuality(String),
    /// Several value columns set in one row (`value_f64`, `value_i64` …).
    AmbiguousValue,
    InvalidUtf8(&'static str),
    WrongFieldCount {
        expected: usize,
        got: usize,
    },
    RecordTooLong {
        max: usize,
    },
    UnknownDevice(String),
    Rejected(PointRejection),
}

fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::MissingField(_) => "missing_field",
            Problem::BadTimestamp(_) => "bad_timestamp",
            Problem::BadValue { .. } => "bad_value",
            Problem::BadType(_) => "bad_type",
            Problem::BadQuality(_) => "bad_quality",
            Problem::AmbiguousValue => "ambiguous_value",
            Problem::InvalidUtf8(_) => "invalid_utf8",
            Problem::WrongFieldCount { .. } => "wrong_field_count",
            Problem::RecordTooLong { .. } => "record_too_long",
            Problem::UnknownDevice(_) => "unknown_device",
            Problem::Rejected(r) => r.code(),
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let zh = locale == Locale::ZhCn;
        match self {
            Problem::MissingField(f) => {
                if zh {
                    format!("缺少字段 {f}")
                } else {
                    format!("{f} is missing")
                }
            }
            Problem::BadTimestamp(t) => {
                if zh {
                    format!("无法识别的时间戳 {:?}", clip(t))
                } else {
                    format!(
                        "{:?} is not a timestamp (RFC 3339 or a number since 1970)",
                        clip(t)
                    )
                }
            }
            Problem::BadValue { text, ty } => {
                if zh {
                    format!("{:?} 不是 {} 类型的值", clip(text), ty.as_str())
                } else {
                    format!("{:?} is not a valid {} value", clip(text), ty.as_str())
                }
            }
            Problem::BadType(t) => {
                if zh {
                    format!("未知类型 {:?}（应为 f64、i64、bool 或 str）", clip(t))
                } else {
                    format!("unknown type {:?} (f64, i64, bool or str)", clip(t))
                }
            }
            Problem::BadQuality(q) => {
                if zh {
                    format!("未知质量 {:?}（应为 good、uncertain、bad 或 0–2）", clip(q))
                } else {
                    format!(
                        "unknown quality {:?} (good, uncertain, bad or 0-2)",
                        clip(q)
                    )
                }
            }
            Problem::AmbiguousValue => locale
                .pick("more than one value column is set", "设置了多于一个值列")
                .into(),
            Problem::InvalidUtf8(f) => {
                if zh {
                    format!("{f} 不是有效的 UTF-8")
                } else {
                    format!("{f} is not valid UTF-8")
                }
            }
            Problem::WrongFieldCount { expected, got } => {
                if zh {
                    format!("应有 {expected} 个字段，实有 {got} 个")
                } else {
                    format!("{got} fields where the header has {expected}")
                }
            }
            Problem::RecordTooLong { max } => {
                if zh {
                    format!("记录超过 {max} 字节，已跳过")
                } else {
                    format!("the record is longer than {max} bytes; skipped")
                }
            }
            Problem::UnknownDevice(d) => {
                if zh {
                    format!("本租户没有 id 或名称为 {:?} 的设备", clip(d))
                } else {
                    format!("no device of the tenant has the id or name {:?}", clip(d))
                }
            }
            Problem::Rejected(r) => r.message(locale),
        }
    }
}

/// A source of rows.
pub(crate) trait RowSource {
    /// The next row or row-level problem; `None` at the end; an error stops the import.
    fn next_row(&mut self) -> Result<Option<std::result::Result<Row, (Location, Problem)>>>;
    fn fraction(&self) -> Option<f64>;
}

fn open<'a>(input: Input<'a>, opts: &ImportOptions) -> Result<Box<dyn RowSource + 'a>> {
    Ok(match input {
        Input::Csv { reader, len } => Box::new(csv::CsvRows::new(
            reader,
            len,
            opts.precision,
            opts.max_record_bytes,
        )?),
        Input::ParquetFile(f) => Box::new(parquet::ParquetRows::open(f, opts.precision)?),
        Input::ParquetBytes(b) => Box::new(parquet::ParquetRows::open(b, opts.precision)?),
    })
}

/// Reads every row of `data` and stores nothing; the number of rows read (fuzzing).
pub(crate) fn parse_only(data: &[u8], format: Format) -> u64 {
    let opts = ImportOptions::default();
    let input = match format {
        Format::Csv => Input::Csv {
            reader: Box::new(data),
            len: Some(data.len() as u64),
        },
        Format::Parquet => Input::ParquetBytes(bytes::Bytes::copy_from_slice(data)),
    };
    let Ok(mut rows) = open(input, &opts) else {
        return 0;
    };
    let mut n = 0;
    while let Ok(Some(_)) = rows.next_row() {
        n += 1;
    }
    n
}

/// Imports a file into `tenant`.
pub fn import(
    input: Input<'_>,
    tenant: TenantId,
    devices: &mut dyn DeviceResolver,
    sink: &dyn Sink,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(&ImportProgress),
) -> std::result::Result<ImportReport, ImportFailure> {
    let mut run = Run {
        tenant,
        sink,
        opts,
        report: ImportReport {
            dry_run: opts.mode == ImportMode::DryRun,
            ..Default::default()
        },
        devices: HashMap::new(),
        types: HashMap::new(),
        batch: Batch::default(),
    };
    let result = (|| -> Result<()> {
        let mut rows = open(input, opts)?;
        let mut n = 0u64;
        while let Some(r) = rows.next_row()? {
            run.report.rows += 1;
            match r {
                Ok(row) => run.add(row, devices)?,
                Err((loc, p)) => run.reject(loc, p),
            }
            if run.batch.points >= opts.batch_points.max(1) {
                run.flush()?;
            }
            n += 1;
            if n.is_multiple_of(4096) {
                progress(&run.progress(rows.fraction()));
            }
        }
        run.flush()?;
        progress(&run.progress(Some(1.0)));
        Ok(())
    })();
    match result {
        Ok(()) => Ok(run.report),
        Err(error) => Err(ImportFailure {
            error,
            report: Box::new(run.report),
        }),
    }
}

#[derive(Default)]
struct Batch {
    order: Vec<DeviceId>,
    by_device: HashMap<DeviceId, DevicePoints>,
    points: usize,
}

struct DevicePoints {
    product: Option<ProductId>,
    points: Vec<PointIn>,
    /// Where each point came from.
    locs: Vec<Location>,
}

/// Device names and ids seen, at most this many (a file naming more is still imported,
/// with more look-ups).
const DEVICE_CACHE: usize = 1 << 20;

struct Run<'a> {
    tenant: TenantId,
    sink: &'a dyn Sink,
    opts: &'a ImportOptions,
    report: ImportReport,
    devices: HashMap<String, Option<(DeviceId, Option<ProductId>)>>,
    /// Types of the series of each device seen: stored ones, then ones this import made.
    types: HashMap<DeviceId, HashMap<String, ValueType>>,
    batch: Batch,
}

impl Run<'_> {
    fn progress(&self, fraction: Option<f64>) -> ImportProgress {
        ImportProgress {
            rows: self.report.rows,
            accepted: self.report.accepted,
            rejected: self.report.rejected,
            fraction,
        }
    }

    fn reject(&mut self, location: Location, p: Problem) {
        let r = &mut self.report;
        r.rejected += 1;
        *r.rejected_by_code.entry(p.code().to_string()).or_default() += 1;
        if r.examples.len() < self.opts.max_examples {
            r.examples.push(RejectedRow {
                location,
                code: p.code().to_string(),
                message: p.message(self.opts.locale),
            });
        }
    }

    fn device(
        &mut self,
        key: &str,
        resolver: &mut dyn DeviceResolver,
    ) -> Result<Option<(DeviceId, Option<ProductId>)>> {
        if let Some(d) = self.devices.get(key) {
            return Ok(*d);
        }
        let d = resolver.resolve(key)?;
        if self.devices.len() < DEVICE_CACHE {
            self.devices.insert(key.to_string(), d);
        }
        Ok(d)
    }

    fn add(&mut self, row: Row, resolver: &mut dyn DeviceResolver) -> Result<()> {
        let Some((device, product)) = self.device(&row.device, resolver)? else {
            self.reject(row.loc, Problem::UnknownDevice(row.device));
            return Ok(());
        };
        if !self.types.contains_key(&device) {
            let known = self.sink.properties(self.tenant, device)?;
            self.types.insert(device, known.into_iter().collect());
        }
        let known = self
            .types
            .get(&device)
            .and_then(|t| t.get(&row.property))
            .copied();
        let value = match row.value {
            RowValue::Typed(v) => v,
            RowValue::Text(t) => known
                .and_then(|ty| parse_value(&t, ty))
                .unwrap_or_else(|| infer_value(&t)),
        };
        if self.opts.mode == ImportMode::DryRun
            && let Some(p) = self.dry_check(known, &value, row.ts)
        {
            self.reject(row.loc, Problem::Rejected(p));
            return Ok(());
        }
        if known.is_none() {
            self.types
                .entry(device)
                .or_default()
                .insert(row.property.clone(), value.value_type());
        }
        let entry = self.batch.by_device.entry(device).or_insert_with(|| {
            self.batch.order.push(device);
            DevicePoints {
                product,
                points: Vec::new(),
                locs: Vec::new(),
            }
        });
        entry.points.push(PointIn {
            property: row.property,
            ts: row.ts,
            value,
            quality: row.quality,
        });
        entry.locs.push(row.loc);
        self.batch.points += 1;
        Ok(())
    }

    /// The engine's checks that can be made without writing.
    fn dry_check(&self, known: Option<ValueType>, v: &Value, ts: Micros) -> Option<PointRejection> {
        if let Value::F64(f) = v
            && !f.is_finite()
        {
            return Some(PointRejection::NotFinite);
        }
        if let Some((min, max)) = self.opts.accept_window
            && !(min..=max).contains(&ts)
        {
            return Some(PointRejection::TimestampOutOfWindow { min, max });
        }
        let got = v.value_type();
        match known {
            Some(expected)
                if expected != got && !(expected == ValueType::F64 && got == ValueType::I64) =>
            {
                Some(PointRejection::TypeMismatch { expected, got })
            }
            _ => None,
        }
    }

    fn flush(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        if batch.points == 0 {
            return Ok(());
        }
        let mut by_device = batch.by_device;
        let mut batches = Vec::with_capacity(batch.order.len());
        let mut locs = Vec::with_capacity(batch.points);
        for d in batch.order {
            if let Some(p) = by_device.remove(&d) {
                locs.extend(p.locs);
                batches.push(DeviceBatch {
                    device: d,
                    product: p.product,
                    points: p.points,
                });
            }
        }
        if self.opts.mode == ImportMode::DryRun {
            self.report.accepted += locs.len() as u64;
            return Ok(());
        }
        // Keep (device, property) of each point to correct learned types on mismatches.
        let keys: Vec<(DeviceId, usize)> = batches
            .iter()
            .flat_map(|b| (0..b.points.len()).map(move |i| (b.device, i)))
            .collect();
        let outcome = self
            .sink
            .write(self.tenant, batches)
            .map_err(IoError::Store)?;
        self.report.accepted += outcome.accepted;
        for r in outcome.rejected {
            if let PointRejection::TypeMismatch { expected, .. } = r.reason
                && let Some((device, _)) = keys.get(r.index)
            {
                self.types
                    .entry(*device)
                    .or_default()
                    .insert(r.property.clone(), expected);
            }
            let loc = locs.get(r.index).copied().unwrap_or(Location::Row(0));
            self.reject(loc, Problem::Rejected(r.reason));
        }
        Ok(())
    }
}
