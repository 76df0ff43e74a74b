//! Parquet: one row per point, flat schema (see `docs/export-import.md`):
//!
//! ```text
//! message ironloom_points {
//!   required binary device (STRING);      -- dictionary encoded
//!   required binary property (STRING);    -- dictionary encoded
//!   required int64 ts (TIMESTAMP(MICROS,true));
//!   optional double value_f64;            -- exactly one value column is set per row
//!   optional int64 value_i64;
//!   optional boolean value_bool;
//!   optional binary value_str (STRING);
//!   required binary quality (STRING);     -- good | uncertain | bad, dictionary encoded
//! }
//! ```
//!
//! Rows are buffered per row group, column by column, and written when the group is full.

use super::{ExportScope, SeriesWriter};
use crate::error::{IoError, Result};
use ironloom_core::telemetry::{Quality, SeriesInfo, TimedValue, Value};
use parquet::basic::{Compression, Encoding};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use std::io::Write;
use std::sync::Arc;

pub const SCHEMA: &str = "message ironloom_points {
  required binary device (STRING);
  required binary property (STRING);
  required int64 ts (TIMESTAMP(MICROS,true));
  optional double value_f64;
  optional int64 value_i64;
  optional boolean value_bool;
  optional binary value_str (STRING);
  required binary quality (STRING);
}";

/// Key of the file metadata entry that marks our files (value: JSON with the format
/// version, tenant and range).
pub const METADATA_KEY: &str = "ironloom.export";

fn pq_err(e: parquet::errors::ParquetError) -> IoError {
    IoError::WriteParquet(e.to_string())
}

#[derive(Default)]
struct Buffers {
    device: Vec<ByteArray>,
    property: Vec<ByteArray>,
    ts: Vec<i64>,
    f64s: Vec<f64>,
    f64_def: Vec<i16>,
    i64s: Vec<i64>,
    i64_def: Vec<i16>,
    bools: Vec<bool>,
    bool_def: Vec<i16>,
    strs: Vec<ByteArray>,
    str_def: Vec<i16>,
    quality: Vec<ByteArray>,
}

impl Buffers {
    fn clear(&mut self) {
        *self = Buffers::default();
    }
}

pub(super) struct ParquetWriter<W: Write + Send> {
    w: SerializedFileWriter<W>,
    buf: Buffers,
    rows_per_group: usize,
    qualities: [ByteArray; 3],
    /// The current series' names, shared by its rows (cloning a `ByteArray` shares bytes).
    current: Option<(String, ByteArray, ByteArray)>,
}

impl<W: Write + Send> ParquetWriter<W> {
    pub(super) fn new(out: W, scope: ExportScope, rows_per_group: usize) -> Result<Self> {
        let schema = Arc::new(parse_message_type(SCHEMA).map_err(pq_err)?);
        let meta = serde_json::json!({
            "version": 1,
            "tenant": scope.tenant,
            "from_us": scope.from,
            "to_us": scope.to,
        });
        let col = |n: &str| ColumnPath::from(n);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_column_dictionary_enabled(col("device"), true)
            .set_column_dictionary_enabled(col("property"), true)
            .set_column_dictionary_enabled(col("quality"), true)
            .set_column_dictionary_enabled(col("value_str"), true)
            .set_column_encoding(col("ts"), Encoding::DELTA_BINARY_PACKED)
            .set_column_encoding(col("value_i64"), Encoding::DELTA_BINARY_PACKED)
            .set_created_by(format!("ironloom {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                METADATA_KEY.to_string(),
                meta.to_string(),
            )]))
            .build();
        let w = SerializedFileWriter::new(out, schema, Arc::new(props)).map_err(pq_err)?;
        Ok(ParquetWriter {
            w,
            buf: Buffers::default(),
            rows_per_group,
            qualities: [
                ByteArray::from(Quality::Good.as_str()),
                ByteArray::from(Quality::Uncertain.as_str()),
                ByteArray::from(Quality::Bad.as_str()),
            ],
            current: None,
        })
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.buf.ts.is_empty() {
            return Ok(());
        }
        let b = &self.buf;
        let mut rg = self.w.next_row_group().map_err(pq_err)?;
        let mut idx = 0;
        while let Some(mut c) = rg.next_column().map_err(pq_err)? {
            match idx {
                0 => c
                    .typed::<ByteArrayType>()
                    .write_batch(&b.device, None, None),
                1 => c
                    .typed::<ByteArrayType>()
                    .write_batch(&b.property, None, None),
                2 => c.typed::<Int64Type>().write_batch(&b.ts, None, None),
                3 => c
                    .typed::<DoubleType>()
                    .write_batch(&b.f64s, Some(&b.f64_def), None),
                4 => c
                    .typed::<Int64Type>()
                    .write_batch(&b.i64s, Some(&b.i64_def), None),
                5 => c
                    .typed::<BoolType>()
                    .write_batch(&b.bools, Some(&b.bool_def), None),
                6 => c
                    .typed::<ByteArrayType>()
                    .write_batch(&b.strs, Some(&b.str_def), None),
                _ => c
                    .typed::<ByteArrayType>()
                    .write_batch(&b.quality, None, None),
            }
            .map_err(pq_err)?;
            c.close().map_err(pq_err)?;
            idx += 1;
        }
        rg.close().map_err(pq_err)?;
        self.buf.clear();
        Ok(())
    }
}

impl<W: Write + Send> SeriesWriter for ParquetWriter<W> {
    fn write(&mut self, s: &SeriesInfo, device: &str, points: &[TimedValue]) -> Result<()> {
        let same = self
            .current
            .as_ref()
            .is_some_and(|(d, p, _)| d == device && p.data() == s.property.as_bytes());
        if !same {
            self.current = Some((
                device.to_string(),
                ByteArray::from(s.property.as_str()),
                ByteArray::from(device),
            ));
        }
        let Some((_, prop, dev)) = self.current.clone() else {
            return Ok(());
        };
        for p in points {
            let b = &mut self.buf;
            b.device.push(dev.clone());
            b.property.push(prop.clone());
            b.ts.push(p.ts);
            let (mut f, mut i, mut bo, mut st) = (0, 0, 0, 0);
            match &p.value {
                Value::F64(v) => {
                    b.f64s.push(*v);
                    f = 1;
                }
                Value::I64(v) => {
                    b.i64s.push(*v);
                    i = 1;
                }
                Value::Bool(v) => {
                    b.bools.push(*v);
                    bo = 1;
                }
                Value::Str(v) => {
                    b.strs.push(ByteArray::from(v.as_str()));
                    st = 1;
                }
            }
            b.f64_def.push(f);
            b.i64_def.push(i);
            b.bool_def.push(bo);
            b.str_def.push(st);
            b.quality
                .push(self.qualities[p.quality.code() as usize % 3].clone());
            if b.ts.len() >= self.rows_per_group {
                self.flush_group()?;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush_group()?;
        let mut w = self.w.into_inner().map_err(pq_err)?;
        w.flush().map_err(IoError::WriteOutput)
    }
}
