//! Parquet rows: the files our export writes, and other flat long-format files.
//!
//! Columns are found by name (as in CSV): `device` (string, integer or 16-byte UUID),
//! `property` (string or integer), `ts` (`TIMESTAMP` of any unit, legacy `INT96`, a plain
//! integer in the import's precision, a float in seconds, `DATE`, or text), and either one
//! `value` column (boolean, integer, decimal, float, or text typed by a `type` column or
//! inferred) or our `value_f64`/`value_i64`/`value_bool`/`value_str` columns; optional
//! `quality` (name or code).
//!
//! Row groups are read column by column in batches of rows, so memory does not depend on
//! the size of a row group. The decoder is third-party code: a panic inside it on a
//! damaged file is caught and reported as a damaged file.

use super::{Location, Problem, Row, RowSource, RowValue};
use crate::error::{IoError, Result};
use crate::format::{Precision, epoch_to_micros, parse_quality, parse_time, parse_value};
use ironloom_core::telemetry::{Micros, Quality, Value, ValueType};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType, FixedLenByteArray, Int96};
use parquet::file::reader::{ChunkReader, FileReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::schema::types::ColumnDescPtr;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Rows decoded at a time.
const BATCH: usize = 8192;
/// Largest column chunk (uncompressed) we agree to decode.
const MAX_COLUMN_CHUNK: i64 = 1 << 30;

#[derive(Debug, Clone, Copy)]
enum TsKind {
    Unit(TimeUnit),
    Int96,
    Days,
    /// A plain number in the import's precision.
    Epoch,
    /// Floating point seconds (or the import's precision).
    Float,
    Text,
}

#[derive(Debug, Clone, Copy)]
enum ValueKind {
    Bool,
    Int,
    /// An integer with a decimal scale.
    Decimal(i32),
    Float,
    /// Text typed by the `type` column, or inferred.
    Text,
}

#[derive(Debug, Clone, Copy)]
enum Values {
    Single(usize, ValueKind),
    /// Our export's columns; any may be absent.
    Split {
        f64: Option<usize>,
        i64: Option<usize>,
        bool: Option<usize>,
        str: Option<usize>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Roles {
    device: usize,
    property: usize,
    ts: (usize, TsKind),
    values: Values,
    ty: Option<usize>,
    quality: Option<usize>,
}

impl Roles {
    fn columns(&self) -> Vec<usize> {
        let mut c = vec![self.device, self.property, self.ts.0];
        match self.values {
            Values::Single(i, _) => c.push(i),
            Values::Split {
                f64,
                i64,
                bool,
                str,
            } => c.extend([f64, i64, bool, str].into_iter().flatten()),
        }
        c.extend(self.ty);
        c.extend(self.quality);
        c.sort_unstable();
        c.dedup();
        c
    }
}

/// One decoded column batch: one entry per row, `None` for null.
enum Cells {
    Bool(Vec<Option<bool>>),
    I32(Vec<Option<i32>>),
    I64(Vec<Option<i64>>),
    I96(Vec<Option<Int96>>),
    F32(Vec<Option<f32>>),
    F64(Vec<Option<f64>>),
    Bytes(Vec<Option<ByteArray>>),
    Fixed(Vec<Option<FixedLenByteArray>>),
}

impl Cells {
    fn len(&self) -> usize {
        match self {
            Cells::Bool(v) => v.len(),
            Cells::I32(v) => v.len(),
            Cells::I64(v) => v.len(),
            Cells::I96(v) => v.len(),
            Cells::F32(v) => v.len(),
            Cells::F64(v) => v.len(),
            Cells::Bytes(v) => v.len(),
            Cells::Fixed(v) => v.len(),
        }
    }

    fn is_null(&self, i: usize) -> bool {
        match self {
            Cells::Bool(v) => v[i].is_none(),
            Cells::I32(v) => v[i].is_none(),
            Cells::I64(v) => v[i].is_none(),
            Cells::I96(v) => v[i].is_none(),
            Cells::F32(v) => v[i].is_none(),
            Cells::F64(v) => v[i].is_none(),
            Cells::Bytes(v) => v[i].is_none(),
            Cells::Fixed(v) => v[i].is_none(),
        }
    }

    fn int(&self, i: usize) -> Option<i64> {
        match self {
            Cells::I32(v) => v[i].map(i64::from),
            Cells::I64(v) => v[i],
            _ => None,
        }
    }

    fn bytes(&self, i: usize) -> Option<&[u8]> {
        match self {
            Cells::Bytes(v) => v[i].as_ref().map(|b| b.data()),
            Cells::Fixed(v) => v[i].as_ref().map(|b| b.data()),
            _ => None,
        }
    }

    /// A name-like cell (device, property) as text.
    fn text(&self, i: usize, what: &'static str) -> std::result::Result<String, Problem> {
        if let Some(n) = self.int(i) {
            return Ok(n.to_string());
        }
        if let Cells::Fixed(v) = self
            && let Some(b) = &v[i]
            && let Ok(u) = uuid::Uuid::from_slice(b.data())
        {
            return Ok(u.to_string());
        }
        match self.bytes(i) {
            Some(b) => std::str::from_utf8(b)
                .map(str::to_string)
                .map_err(|_| Problem::InvalidUtf8(what)),
            None => Err(Problem::MissingField(what)),
        }
    }
}

fn read_opt<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    max_def: i16,
) -> parquet::errors::Result<Vec<Option<T::T>>> {
    let mut values: Vec<T::T> = Vec::with_capacity(n);
    let mut defs: Vec<i16> = Vec::with_capacity(n);
    let (records, _, levels) = r.read_records(n, Some(&mut defs), None, &mut values)?;
    if max_def == 0 {
        return Ok(values.into_iter().take(records).map(Some).collect());
    }
    let mut it = values.into_iter();
    Ok(defs
        .iter()
        .take(levels)
        .map(|d| if *d == max_def { it.next() } else { None })
        .collect())
}

fn read_cells(r: &mut ColumnReader, n: usize, max_def: i16) -> parquet::errors::Result<Cells> {
    Ok(match r {
        ColumnReader::BoolColumnReader(r) => Cells::Bool(read_opt(r, n, max_def)?),
        ColumnReader::Int32ColumnReader(r) => Cells::I32(read_opt(r, n, max_def)?),
        ColumnReader::Int64ColumnReader(r) => Cells::I64(read_opt(r, n, max_def)?),
        ColumnReader::Int96ColumnReader(r) => Cells::I96(read_opt(r, n, max_def)?),
        ColumnReader::FloatColumnReader(r) => Cells::F32(read_opt(r, n, max_def)?),
        ColumnReader::DoubleColumnReader(r) => Cells::F64(read_opt(r, n, max_def)?),
        ColumnReader::ByteArrayColumnReader(r) => Cells::Bytes(read_opt(r, n, max_def)?),
        ColumnReader::FixedLenByteArrayColumnReader(r) => Cells::Fixed(read_opt(r, n, max_def)?),
    })
}

pub(crate) struct ParquetRows<R: ChunkReader + 'static> {
    file: SerializedFileReader<R>,
    roles: Roles,
    /// (column index, max definition level) of the columns read.
    needed: Vec<(usize, i16)>,
    precision: Precision,
    next_group: usize,
    /// Column readers of the current row group, in `needed` order, and its rows left.
    group: Option<(Vec<ColumnReader>, u64)>,
    /// The current batch, by column index.
    cells: Vec<Option<Cells>>,
    batch_len: usize,
    pos: usize,
    /// Rows handed out so far.
    row: u64,
    total_rows: u64,
}

fn panicked(row: u64) -> IoError {
    IoError::ReadParquet {
        row,
        detail: "the Parquet decoder failed on damaged data".into(),
    }
}

impl<R: ChunkReader + 'static> ParquetRows<R> {
    pub(crate) fn open(input: R, precision: Precision) -> Result<Self> {
        let file = catch_unwind(AssertUnwindSafe(|| SerializedFileReader::new(input)))
            .map_err(|_| IoError::OpenParquet("the footer is damaged".into()))?
            .map_err(|e| {
                IoError::OpenParquet(format!(
                    "not a Parquet file, or its footer is damaged or truncated ({e})"
                ))
            })?;
        let schema = file.metadata().file_metadata().schema_descr_ptr();
        let cols: Vec<ColumnDescPtr> = schema.columns().to_vec();
        let mut precision = precision;
        let roles = roles(&cols, &mut precision)?;
        let needed = roles
            .columns()
            .into_iter()
            .map(|i| (i, cols[i].max_def_level()))
            .collect();
        let total_rows = file
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as u64)
            .sum();
        let ncols = cols.len();
        Ok(ParquetRows {
            file,
            roles,
            needed,
            precision,
            next_group: 0,
            group: None,
            cells: (0..ncols).map(|_| None).collect(),
            batch_len: 0,
            pos: 0,
            row: 0,
            total_rows,
        })
    }

    /// Decodes the next batch of rows; false at the end of the file.
    fn fill(&mut self) -> Result<bool> {
        loop {
            if self.group.as_ref().is_none_or(|(_, left)| *left == 0) {
                if self.next_group >= self.file.metadata().num_row_groups() {
                    return Ok(false);
                }
                let g = self.next_group;
                self.next_group += 1;
                let row = self.row + 1;
                let rg_meta = self.file.metadata().row_group(g);
                let rows = rg_meta.num_rows().max(0) as u64;
                for (i, _) in &self.needed {
                    let size = rg_meta.column(*i).uncompressed_size();
                    if !(0..=MAX_COLUMN_CHUNK).contains(&size) {
                        return Err(IoError::ReadParquet {
                            row,
                            detail: format!(
                                "a column chunk of {size} bytes (at most {MAX_COLUMN_CHUNK})"
                            ),
                        });
                    }
                }
                let rg = self
                    .file
                    .get_row_group(g)
                    .map_err(|e| IoError::ReadParquet {
                        row,
                        detail: e.to_string(),
                    })?;
                let readers = self
                    .needed
                    .iter()
                    .map(|(i, _)| rg.get_column_reader(*i))
                    .collect::<parquet::errors::Result<Vec<_>>>()
                    .map_err(|e| IoError::ReadParquet {
                        row,
                        detail: e.to_string(),
                    })?;
                self.group = Some((readers, rows));
                continue;
            }
            let Some((readers, left)) = self.group.as_mut() else {
                return Ok(false);
            };
            let n = (*left).min(BATCH as u64) as usize;
            let row = self.row + 1;
            let mut len = None;
            for ((i, max_def), r) in self.needed.iter().zip(readers.iter_mut()) {
                let cells = read_cells(r, n, *max_def).map_err(|e| IoError::ReadParquet {
                    row,
                    detail: e.to_string(),
                })?;
                let l = cells.len();
                if l == 0 || len.is_some_and(|x| x != l) {
                    return Err(IoError::ReadParquet {
                        row,
                        detail: "the columns of a row group have different lengths".into(),
                    });
                }
                len = Some(l);
                self.cells[*i] = Some(cells);
            }
            let len = len.unwrap_or(0);
            *left = left.saturating_sub(len as u64);
            self.batch_len = len;
            self.pos = 0;
            return Ok(true);
        }
    }

    fn cell(&self, col: usize) -> std::result::Result<&Cells, Problem> {
        self.cells[col]
            .as_ref()
            .ok_or(Problem::MissingField("column"))
    }

    fn row_at(&self, i: usize, loc: Location) -> std::result::Result<Row, Problem> {
        let r = &self.roles;
        let device = self.cell(r.device)?.text(i, "device")?;
        if device.trim().is_empty() {
            return Err(Problem::MissingField("device"));
        }
        let property = self.cell(r.property)?.text(i, "property")?;
        if property.is_empty() {
            return Err(Problem::MissingField("property"));
        }
        let ts = self.ts(i)?;
        let value = self.value(i)?;
        let quality = match r.quality {
            None => Quality::Good,
            Some(c) => {
                let c = self.cell(c)?;
                if c.is_null(i) {
                    Quality::Good
                } else if let Some(n) = c.int(i) {
                    u8::try_from(n)
                        .ok()
                        .and_then(Quality::from_code)
                        .ok_or_else(|| Problem::BadQuality(n.to_string()))?
                } else {
                    let t = c.text(i, "quality")?;
                    parse_quality(&t).ok_or(Problem::BadQuality(t))?
                }
            }
        };
        Ok(Row {
            loc,
            device: device.trim().to_string(),
            property,
            ts,
            value,
            quality,
        })
    }

    fn ts(&self, i: usize) -> std::result::Result<Micros, Problem> {
        let (col, kind) = self.roles.ts;
        let c = self.cell(col)?;
        if c.is_null(i) {
            return Err(Problem::MissingField("ts"));
        }
        let bad = |s: String| Problem::BadTimestamp(s);
        match (kind, c) {
            (TsKind::Int96, Cells::I96(v)) => {
                let x = v[i].as_ref().ok_or(Problem::MissingField("ts"))?;
                // Julian day and nanoseconds of the day; refuse what would wrap.
                let days = i64::from(x.data()[2]) - 2_440_588;
                let nanos = (u64::from(x.data()[1]) << 32) | u64::from(x.data()[0]);
                days.checked_mul(86_400_000_000)
                    .and_then(|d| d.checked_add((nanos / 1000) as i64))
                    .ok_or_else(|| bad(format!("INT96 day {}", x.data()[2])))
            }
            (TsKind::Float, Cells::F64(_) | Cells::F32(_)) => {
                let f = match c {
                    Cells::F64(v) => v[i].unwrap_or(f64::NAN),
                    Cells::F32(v) => v[i].map_or(f64::NAN, f64::from),
                    _ => f64::NAN,
                };
                let text = format!("{f:.6}");
                if !f.is_finite() {
                    return Err(bad(text));
                }
                parse_time(&text, self.precision).ok_or_else(|| bad(text))
            }
            (TsKind::Text, _) => {
                let t = c.text(i, "ts")?;
                parse_time(&t, self.precision).ok_or(bad(t))
            }
            (kind, c) => {
                let n = c.int(i).ok_or(Problem::MissingField("ts"))?;
                let us = match kind {
                    TsKind::Unit(TimeUnit::MILLIS) => n.checked_mul(1000),
                    TsKind::Unit(TimeUnit::MICROS) => Some(n),
                    TsKind::Unit(TimeUnit::NANOS) => Some(n.div_euclid(1000)),
                    TsKind::Days => n.checked_mul(86_400_000_000),
                    _ => epoch_to_micros(n, self.precision),
                };
                us.ok_or_else(|| bad(n.to_string()))
            }
        }
    }

    fn value(&self, i: usize) -> std::result::Result<RowValue, Problem> {
        match self.roles.values {
            Values::Single(col, kind) => {
                let c = self.cell(col)?;
                if c.is_null(i) {
                    return Err(Problem::MissingField("value"));
                }
                Ok(match (kind, c) {
                    (ValueKind::Bool, Cells::Bool(v)) => {
                        RowValue::Typed(Value::Bool(v[i].unwrap_or_default()))
                    }
                    (ValueKind::Float, Cells::F64(v)) => {
                        RowValue::Typed(Value::F64(v[i].unwrap_or_default()))
                    }
                    (ValueKind::Float, Cells::F32(v)) => {
                        RowValue::Typed(Value::F64(f64::from(v[i].unwrap_or_default())))
                    }
                    (ValueKind::Decimal(scale), c) => {
                        let n = c.int(i).ok_or(Problem::MissingField("value"))?;
                        RowValue::Typed(Value::F64(n as f64 / 10f64.powi(scale)))
                    }
                    (ValueKind::Int, c) => {
                        RowValue::Typed(Value::I64(c.int(i).ok_or(Problem::MissingField("value"))?))
                    }
                    (_, c) => {
                        let text = c.text(i, "value")?;
                        match self.declared_type(i)? {
                            Some(ty) => RowValue::Typed(
                                parse_value(&text, ty).ok_or(Problem::BadValue { text, ty })?,
                            ),
                            None => RowValue::Text(text),
                        }
                    }
                })
            }
            Values::Split {
                f64,
                i64,
                bool,
                str,
            } => {
                let mut found: Option<Value> = None;
                let mut put = |v: Value| {
                    if found.is_some() {
                        return Err(Problem::AmbiguousValue);
                    }
                    found = Some(v);
                    Ok(())
                };
                if let Some(col) = f64 {
                    match self.cell(col)? {
                        Cells::F64(v) => {
                            if let Some(x) = v[i] {
                                put(Value::F64(x))?;
                            }
                        }
                        Cells::F32(v) => {
                            if let Some(x) = v[i] {
                                put(Value::F64(f64::from(x)))?;
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(col) = i64
                    && let Some(x) = self.cell(col)?.int(i)
                {
                    put(Value::I64(x))?;
                }
                if let Some(col) = bool
                    && let Cells::Bool(v) = self.cell(col)?
                    && let Some(x) = v[i]
                {
                    put(Value::Bool(x))?;
                }
                if let Some(col) = str {
                    let c = self.cell(col)?;
                    if !c.is_null(i) {
                        put(Value::Str(c.text(i, "value_str")?))?;
                    }
                }
                found
                    .map(RowValue::Typed)
                    .ok_or(Problem::MissingField("value"))
            }
        }
    }

    fn declared_type(&self, i: usize) -> std::result::Result<Option<ValueType>, Problem> {
        let Some(col) = self.roles.ty else {
            return Ok(None);
        };
        let c = self.cell(col)?;
        if c.is_null(i) {
            return Ok(None);
        }
        let t = c.text(i, "type")?;
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        ValueType::parse(&t.to_ascii_lowercase())
            .map(Some)
            .ok_or_else(|| Problem::BadType(t.to_string()))
    }
}

impl<R: ChunkReader + 'static> RowSource for ParquetRows<R> {
    fn next_row(&mut self) -> Result<Option<std::result::Result<Row, (Location, Problem)>>> {
        if self.pos >= self.batch_len {
            let row = self.row + 1;
            match catch_unwind(AssertUnwindSafe(|| self.fill())) {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => return Ok(None),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(panicked(row)),
            }
        }
        let i = self.pos;
        self.pos += 1;
        self.row += 1;
        let loc = Location::Row(self.row);
        Ok(Some(self.row_at(i, loc).map_err(|p| (loc, p))))
    }

    fn fraction(&self) -> Option<f64> {
        (self.total_rows > 0).then(|| (self.row as f64 / self.total_rows as f64).min(1.0))
    }
}

fn roles(cols: &[ColumnDescPtr], precision: &mut Precision) -> Result<Roles> {
    let names: Vec<String> = cols
        .iter()
        .map(|c| c.path().parts().join(".").to_ascii_lowercase())
        .collect();
    let list = || {
        cols.iter()
            .map(|c| c.path().string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |aliases: &[&str]| -> Result<Option<usize>> {
        let hits: Vec<usize> = (0..cols.len())
            .filter(|i| aliases.contains(&names[*i].as_str()))
            .collect();
        match hits.as_slice() {
            [] => Ok(None),
            [i] => {
                if cols[*i].max_rep_level() > 0 {
                    return Err(IoError::OpenParquet(format!(
                        "column {} is repeated; only flat long-format files can be imported",
                        cols[*i].path().string()
                    )));
                }
                Ok(Some(*i))
            }
            _ => Err(IoError::OpenParquet(format!(
                "more than one of the columns {}",
                aliases.join(", ")
            ))),
        }
    };
    let required = |role: &str, aliases: &[&str]| -> Result<usize> {
        find(aliases)?.ok_or_else(|| {
            IoError::OpenParquet(format!(
                "no {role} column (expected one of: {}); the file has: {}",
                aliases.join(", "),
                list()
            ))
        })
    };
    let unsupported = |i: usize, role: &str| {
        IoError::OpenParquet(format!(
            "column {} has type {} which cannot be a {role}",
            cols[i].path().string(),
            cols[i].physical_type()
        ))
    };
    let name_like = |i: usize, role: &str| -> Result<usize> {
        match cols[i].physical_type() {
            Physical::BYTE_ARRAY | Physical::INT32 | Physical::INT64 => Ok(i),
            Physical::FIXED_LEN_BYTE_ARRAY if cols[i].type_length() == 16 => Ok(i),
            _ => Err(unsupported(i, role)),
        }
    };
    let device = name_like(
        required("device", &["device", "device_id", "device_name"])?,
        "device",
    )?;
    let property = name_like(
        required("property", &["property", "metric", "field", "_field"])?,
        "property",
    )?;
    let ts_col = required(
        "timestamp",
        &[
            "ts",
            "time",
            "timestamp",
            "_time",
            "ts_s",
            "ts_ms",
            "ts_us",
            "ts_ns",
            "time_s",
            "time_ms",
            "time_us",
            "time_ns",
        ],
    )?;
    let tc = &cols[ts_col];
    let ts_kind = match (
        tc.physical_type(),
        tc.logical_type_ref(),
        tc.converted_type(),
    ) {
        (Physical::INT64, Some(LogicalType::Timestamp(t)), _) => TsKind::Unit(t.unit),
        (Physical::INT64, _, ConvertedType::TIMESTAMP_MILLIS) => TsKind::Unit(TimeUnit::MILLIS),
        (Physical::INT64, _, ConvertedType::TIMESTAMP_MICROS) => TsKind::Unit(TimeUnit::MICROS),
        (Physical::INT32, Some(LogicalType::Date), _)
        | (Physical::INT32, _, ConvertedType::DATE) => TsKind::Days,
        (Physical::INT96, _, _) => TsKind::Int96,
        (Physical::INT32 | Physical::INT64, _, _) => TsKind::Epoch,
        (Physical::FLOAT | Physical::DOUBLE, _, _) => TsKind::Float,
        (Physical::BYTE_ARRAY, _, _) => TsKind::Text,
        _ => return Err(unsupported(ts_col, "timestamp")),
    };
    if *precision == Precision::Auto {
        if let Some(p) = Precision::from_column(&names[ts_col]) {
            *precision = p;
        } else if matches!(ts_kind, TsKind::Float) {
            *precision = Precision::S;
        }
    }
    let values = match find(&["value", "_value"])? {
        Some(i) => {
            let c = &cols[i];
            let kind = match (c.physical_type(), c.logical_type_ref(), c.converted_type()) {
                (Physical::BOOLEAN, _, _) => ValueKind::Bool,
                (Physical::INT32 | Physical::INT64, Some(LogicalType::Decimal(_)), _)
                | (Physical::INT32 | Physical::INT64, _, ConvertedType::DECIMAL) => {
                    ValueKind::Decimal(c.type_scale())
                }
                (Physical::INT32 | Physical::INT64, _, _) => ValueKind::Int,
                (Physical::FLOAT | Physical::DOUBLE, _, _) => ValueKind::Float,
                (Physical::BYTE_ARRAY, _, _) => ValueKind::Text,
                _ => return Err(unsupported(i, "value")),
            };
            Values::Single(i, kind)
        }
        None => {
            let typed = |name: &str, ok: &[Physical]| -> Result<Option<usize>> {
                match find(&[name])? {
                    Some(i) if ok.contains(&cols[i].physical_type()) => Ok(Some(i)),
                    Some(i) => Err(unsupported(i, "value")),
                    None => Ok(None),
                }
            };
            let v = Values::Split {
                f64: typed("value_f64", &[Physical::DOUBLE, Physical::FLOAT])?,
                i64: typed("value_i64", &[Physical::INT64, Physical::INT32])?,
                bool: typed("value_bool", &[Physical::BOOLEAN])?,
                str: typed("value_str", &[Physical::BYTE_ARRAY])?,
            };
            if matches!(
                v,
                Values::Split {
                    f64: None,
                    i64: None,
                    bool: None,
                    str: None
                }
            ) {
                return Err(IoError::OpenParquet(format!(
                    "no value column (value, or value_f64/value_i64/value_bool/value_str); \
                     the file has: {}",
                    list()
                )));
            }
            v
        }
    };
    let ty = match find(&["type", "value_type"])? {
        Some(i) if cols[i].physical_type() == Physical::BYTE_ARRAY => Some(i),
        Some(i) => return Err(unsupported(i, "type")),
        None => None,
    };
    let quality = match find(&["quality"])? {
        Some(i)
            if matches!(
                cols[i].physical_type(),
                Physical::BYTE_ARRAY | Physical::INT32 | Physical::INT64
            ) =>
        {
            Some(i)
        }
        Some(i) => return Err(unsupported(i, "quality")),
        None => None,
    };
    Ok(Roles {
        device,
        property,
        ts: (ts_col, ts_kind),
        values,
        ty,
        quality,
    })
}
