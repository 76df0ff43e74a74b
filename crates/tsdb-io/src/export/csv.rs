//! CSV, long format: `device,property,ts,value,type,quality`, one row per point.

use super::SeriesWriter;
use crate::error::{IoError, Result};
use crate::format::{TimeFormat, format_f64};
use ironloom_core::telemetry::{SeriesInfo, TimedValue, Value};
use std::io::Write;

pub(super) struct CsvWriter<W: Write> {
    w: ::csv::Writer<W>,
    time: TimeFormat,
    ts: String,
    value: String,
}

fn csv_err(e: ::csv::Error) -> IoError {
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => IoError::WriteOutput(io),
        other => IoError::WriteOutput(std::io::Error::other(format!("{other:?}"))),
    }
}

impl<W: Write> CsvWriter<W> {
    pub(super) fn new(out: W, time: TimeFormat) -> Result<Self> {
        let mut w = ::csv::WriterBuilder::new()
            .buffer_capacity(64 << 10)
            .from_writer(out);
        w.write_record([
            "device",
            "property",
            time.header(),
            "value",
            "type",
            "quality",
        ])
        .map_err(csv_err)?;
        Ok(CsvWriter {
            w,
            time,
            ts: String::new(),
            value: String::new(),
        })
    }
}

impl<W: Write> SeriesWriter for CsvWriter<W> {
    fn write(&mut self, s: &SeriesInfo, device: &str, points: &[TimedValue]) -> Result<()> {
        for p in points {
            self.time.write(p.ts, &mut self.ts);
            let value: &str = match &p.value {
                Value::F64(v) => {
                    format_f64(*v, &mut self.value);
                    &self.value
                }
                Value::I64(v) => {
                    use std::fmt::Write;
                    self.value.clear();
                    let _ = write!(self.value, "{v}");
                    &self.value
                }
                Value::Bool(b) => {
                    if *b {
                        "true"
                    } else {
                        "false"
                    }
                }
                Value::Str(v) => v,
            };
            self.w
                .write_record([
                    device,
                    &s.property,
                    &self.ts,
                    value,
                    p.value.value_type().as_str(),
                    p.quality.as_str(),
                ])
                .map_err(csv_err)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let mut w = self.w;
        w.flush().map_err(IoError::WriteOutput)
    }
}
