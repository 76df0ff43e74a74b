//! CSV rows: RFC 4180 records read with `csv-core` into a buffer that grows up to the
//! record limit; a longer record is skipped (its bytes are read and dropped) and reported.
//!
//! Columns are found by name in the header, in any order (others are ignored):
//! `device` (`device_id`, `device_name`), `property` (`metric`, `field`), `ts` (`time`,
//! `timestamp`; `ts_s`/`ts_ms`/`ts_us`/`ts_ns` set the unit), `value`, optional `type`
//! and `quality`.

use super::{Location, Problem, Row, RowSource, RowValue};
use crate::error::{IoError, Result};
use crate::format::{Precision, parse_quality, parse_time, parse_value};
use csv_core::{ReadRecordResult, Reader};
use ironloom_core::telemetry::{Quality, ValueType};
use std::io::BufRead;

/// Most fields in a record.
const MAX_FIELDS: usize = 256;

#[derive(Debug, Clone, Copy)]
struct Columns {
    count: usize,
    device: usize,
    property: usize,
    ts: usize,
    value: usize,
    ty: Option<usize>,
    quality: Option<usize>,
}

enum Record {
    Fields,
    TooLong,
    TooManyFields,
}

pub(crate) struct CsvRows<R: BufRead> {
    input: R,
    rdr: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Valid bytes in `out` and entries in `ends` for the last record.
    nout: usize,
    nends: usize,
    max_record: usize,
    cols: Columns,
    precision: Precision,
    consumed: u64,
    total: Option<u64>,
    /// Newlines consumed so far.
    newlines: u64,
}

impl<R: BufRead> CsvRows<R> {
    pub(crate) fn new(
        input: R,
        total: Option<u64>,
        precision: Precision,
        max_record: usize,
    ) -> Result<Self> {
        let mut me = CsvRows {
            input,
            rdr: Reader::new(),
            out: vec![0; 4096.min(max_record.max(64))],
            ends: vec![0; 16],
            nout: 0,
            nends: 0,
            max_record: max_record.max(64),
            cols: Columns {
                count: 0,
                device: 0,
                property: 0,
                ts: 0,
                value: 0,
                ty: None,
                quality: None,
            },
            precision,
            consumed: 0,
            total,
            newlines: 0,
        };
        me.skip_bom()?;
        let header = match me.read_record()? {
            None => return Err(IoError::ReadHeader("the file is empty".into())),
            Some((_, Record::TooLong)) => {
                return Err(IoError::ReadHeader(format!(
                    "the first line is longer than {} bytes",
                    me.max_record
                )));
            }
            Some((_, Record::TooManyFields)) => {
                return Err(IoError::ReadHeader(format!(
                    "more than {MAX_FIELDS} columns"
                )));
            }
            Some((_, Record::Fields)) => me.fields_as_strings()?,
        };
        me.cols = columns(&header, &mut me.precision)?;
        Ok(me)
    }

    fn skip_bom(&mut self) -> Result<()> {
        let buf = self.input.fill_buf().map_err(IoError::ReadInput)?;
        if buf.starts_with(b"\xEF\xBB\xBF") {
            self.input.consume(3);
            self.consumed += 3;
        }
        Ok(())
    }

    fn fields_as_strings(&self) -> Result<Vec<String>> {
        (0..self.nends)
            .map(|i| {
                std::str::from_utf8(self.field(i))
                    .map(|s| s.trim().to_string())
                    .map_err(|_| IoError::ReadHeader("the header is not valid UTF-8".into()))
            })
            .collect()
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = self.ends[i].min(self.nout);
        self.out.get(start.min(end)..end).unwrap_or(&[])
    }

    /// Reads the next record: its first line and whether it fits. `None` at the end.
    fn read_record(&mut self) -> Result<Option<(u64, Record)>> {
        let mut outcome = Record::Fields;
        let (mut nout, mut nends) = (0usize, 0usize);
        let mut start_line: Option<u64> = None;
        loop {
            let input = self.input.fill_buf().map_err(IoError::ReadInput)?;
            let (res, nin, o, e) =
                self.rdr
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            let used = &input[..nin];
            if start_line.is_none() {
                // The record starts at its first byte that is not a line break (csv-core
                // skips empty lines).
                match used.iter().position(|b| *b != b'\n' && *b != b'\r') {
                    Some(p) => {
                        let nl = used[..p].iter().filter(|b| **b == b'\n').count() as u64;
                        start_line = Some(self.newlines + nl + 1);
                        self.newlines += nl;
                        self.newlines += used[p..].iter().filter(|b| **b == b'\n').count() as u64;
                    }
                    None => {
                        self.newlines += used.iter().filter(|b| **b == b'\n').count() as u64;
                    }
                }
            } else {
                self.newlines += used.iter().filter(|b| **b == b'\n').count() as u64;
            }
            self.input.consume(nin);
            self.consumed += nin as u64;
            if matches!(outcome, Record::Fields) {
                nout += o;
                nends += e;
            }
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= self.max_record {
                        // Keep reading into the same buffer, dropping what comes.
                        outcome = Record::TooLong;
                        nout = 0;
                        nends = 0;
                    } else {
                        let n = (self.out.len() * 2).min(self.max_record);
                        self.out.resize(n, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        if matches!(outcome, Record::Fields) {
                            outcome = Record::TooManyFields;
                        }
                        nout = 0;
                        nends = 0;
                    } else {
                        let n = (self.ends.len() * 2).min(MAX_FIELDS);
                        self.ends.resize(n, 0);
                    }
                }
                ReadRecordResult::Record => {
                    if !matches!(outcome, Record::Fields) {
                        // Ends written while dropping are past our buffer; forget them.
                        nout = 0;
                        nends = 0;
                    }
                    self.nout = nout;
                    self.nends = nends;
                    return Ok(Some((start_line.unwrap_or(self.newlines + 1), outcome)));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    fn parse_row(&self, loc: Location) -> std::result::Result<Row, Problem> {
        let c = &self.cols;
        if self.nends != c.count {
            return Err(Problem::WrongFieldCount {
                expected: c.count,
                got: self.nends,
            });
        }
        let text = |i: usize, name: &'static str| {
            std::str::from_utf8(self.field(i)).map_err(|_| Problem::InvalidUtf8(name))
        };
        let device = text(c.device, "device")?.trim();
        if device.is_empty() {
            return Err(Problem::MissingField("device"));
        }
        let property = text(c.property, "property")?;
        if property.is_empty() {
            return Err(Problem::MissingField("property"));
        }
        let ts_text = text(c.ts, "ts")?;
        if ts_text.trim().is_empty() {
            return Err(Problem::MissingField("ts"));
        }
        let ts = parse_time(ts_text, self.precision)
            .ok_or_else(|| Problem::BadTimestamp(ts_text.to_string()))?;
        let value_text = text(c.value, "value")?;
        let declared = match c.ty {
            Some(i) => {
                let t = text(i, "type")?.trim();
                if t.is_empty() {
                    None
                } else {
                    Some(
                        ValueType::parse(&t.to_ascii_lowercase())
                            .ok_or_else(|| Problem::BadType(t.to_string()))?,
                    )
                }
            }
            None => None,
        };
        let value =
            match declared {
                Some(ty) => RowValue::Typed(parse_value(value_text, ty).ok_or_else(|| {
                    Problem::BadValue {
                        text: value_text.to_string(),
                        ty,
                    }
                })?),
                None if value_text.is_empty() => return Err(Problem::MissingField("value")),
                None => RowValue::Text(value_text.to_string()),
            };
        let quality = match c.quality {
            Some(i) => {
                let q = text(i, "quality")?;
                parse_quality(q).ok_or_else(|| Problem::BadQuality(q.to_string()))?
            }
            None => Quality::Good,
        };
        Ok(Row {
            loc,
            device: device.to_string(),
            property: property.to_string(),
            ts,
            value,
            quality,
        })
    }
}

impl<R: BufRead> RowSource for CsvRows<R> {
    fn next_row(&mut self) -> Result<Option<std::result::Result<Row, (Location, Problem)>>> {
        let Some((line, rec)) = self.read_record()? else {
            return Ok(None);
        };
        let loc = Location::Line(line);
        Ok(Some(match rec {
            Record::TooLong => Err((
                loc,
                Problem::RecordTooLong {
                    max: self.max_record,
                },
            )),
            Record::TooManyFields => Err((
                loc,
                Problem::WrongFieldCount {
                    expected: self.cols.count,
                    got: MAX_FIELDS + 1,
                },
            )),
            Record::Fields => self.parse_row(loc).map_err(|p| (loc, p)),
        }))
    }

    fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|t| *t > 0)
            .map(|t| (self.consumed as f64 / t as f64).min(1.0))
    }
}

/// Finds the columns by name; sets the precision from the time column's name.
fn columns(header: &[String], precision: &mut Precision) -> Result<Columns> {
    let names: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    let find = |role: &str, aliases: &[&str]| -> Result<Option<usize>> {
        let hits: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| aliases.contains(&n.as_str()))
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [] => Ok(None),
            [i] => Ok(Some(*i)),
            _ => Err(IoError::ReadHeader(format!(
                "more than one {role} column ({})",
                hits.iter()
                    .map(|i| header[*i].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    };
    let required = |role: &str, aliases: &[&str]| -> Result<usize> {
        find(role, aliases)?.ok_or_else(|| {
            IoError::ReadHeader(format!(
                "no {role} column (expected one of: {}); the header is: {}",
                aliases.join(", "),
                header.join(",")
            ))
        })
    };
    let ts_names = [
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
    ];
    let cols = Columns {
        count: header.len(),
        device: required("device", &["device", "device_id", "device_name"])?,
        property: required("property", &["property", "metric", "field", "_field"])?,
        ts: required("timestamp", &ts_names)?,
        value: required("value", &["value", "_value"])?,
        ty: find("type", &["type", "value_type"])?,
        quality: find("quality", &["quality"])?,
    };
    if *precision == Precision::Auto
        && let Some(p) = Precision::from_column(&names[cols.ts])
    {
        *precision = p;
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &str, max: usize) -> Vec<std::result::Result<Row, (Location, Problem)>> {
        let mut r = CsvRows::new(data.as_bytes(), None, Precision::Auto, max).unwrap();
        let mut out = Vec::new();
        while let Some(x) = r.next_row().unwrap() {
            out.push(x);
        }
        out
    }

    #[test]
    fn reads_rows_with_their_line_numbers_across_quoted_newlines_and_blank_lines() {
        let data = "\u{feff}Device,property,ts_ms,value\n\
                    a,p,1767225600000,1.5\n\
                    \n\
                    b,p,1767225600001,\"two\nlines\"\n\
                    c,p,1767225600002,3\n";
        let r = rows(data, 1024);
        let lines: Vec<Location> = r.iter().map(|x| x.as_ref().unwrap().loc).collect();
        assert_eq!(
            lines,
            vec![Location::Line(2), Location::Line(4), Location::Line(6)]
        );
        let b = r[1].as_ref().unwrap();
        assert_eq!(b.value, RowValue::Text("two\nlines".into()));
        assert_eq!(b.ts, 1_767_225_600_001_000);
    }

    #[test]
    fn skips_an_oversized_record_and_reads_on() {
        let big = "x".repeat(10_000);
        let data = format!("device,property,ts,value\na,p,1,{big}\nb,p,2,3\n");
        let r = rows(&data, 256);
        assert_eq!(r.len(), 2);
        assert!(matches!(
            r[0],
            Err((Location::Line(2), Problem::RecordTooLong { max: 256 }))
        ));
        assert_eq!(r[1].as_ref().unwrap().device, "b");
    }

    #[test]
    fn a_header_without_a_value_column_is_refused_with_the_header_shown() {
        let e = CsvRows::new(&b"device,property,ts\n"[..], None, Precision::Auto, 1024)
            .err()
            .unwrap();
        let msg = e.to_string();
        assert!(
            msg.contains("no value column") && msg.contains("device,property,ts"),
            "{msg}"
        );
        assert!(CsvRows::new(&b""[..], None, Precision::Auto, 1024).is_err());
    }
}
