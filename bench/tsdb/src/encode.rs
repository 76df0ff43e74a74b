//! Text encodings the peers ingest: InfluxDB line protocol (InfluxDB and VictoriaMetrics)
//! and PostgreSQL `COPY … FROM STDIN` text format.
//!
//! Values are written as their shortest decimal (`61.3`, `1480`), as a real exporter
//! would, using the metric's resolution so no general float formatting is needed.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::dataset::{Dataset, METRIC_SPECS, METRICS, Row};

/// Measurement name in line protocol. VictoriaMetrics turns field `f` of measurement `m`
/// into the metric `m_f`.
pub const MEASUREMENT: &str = "m";

/// Appends `n` in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends `v`, a value quantised to `decimals` places, as its shortest decimal.
pub fn push_value(out: &mut Vec<u8>, v: f64, decimals: u32) {
    let scale = 10u64.pow(decimals);
    let k = (v * scale as f64).round();
    if k < 0.0 {
        out.push(b'-');
    }
    let k = k.abs() as u64;
    push_u64(out, k / scale);
    let mut frac = k % scale;
    if frac == 0 {
        return;
    }
    let mut places = decimals;
    while frac.is_multiple_of(10) {
        frac /= 10;
        places -= 1;
    }
    out.push(b'.');
    let digits_start = out.len();
    push_u64(out, frac);
    let written = (out.len() - digits_start) as u32;
    // Leading zeros of the fraction (0.05 → "05").
    for _ in written..places {
        out.insert(digits_start, b'0');
    }
}

/// Appends one line-protocol line:
/// `m,device=dev-00042 temperature=61.3,…,state=1 1767225600000`.
pub fn push_line(out: &mut Vec<u8>, row: &Row) {
    out.extend_from_slice(MEASUREMENT.as_bytes());
    out.extend_from_slice(b",device=dev-");
    push_padded(out, row.device as u64, 5);
    out.push(b' ');
    for (i, (v, spec)) in row.values.iter().zip(METRIC_SPECS.iter()).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(spec.name.as_bytes());
        out.push(b'=');
        push_value(out, *v, spec.decimals);
    }
    out.push(b' ');
    push_i64(out, row.ts_ms);
    out.push(b'\n');
}

fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let start = out.len();
    push_u64(out, n);
    let written = out.len() - start;
    for _ in written..width {
        out.insert(start, b'0');
    }
}

/// `COPY m (ts, device, temperature, …) FROM STDIN` text rows. Caches the timestamp text,
/// which is the same for every device of a tick.
#[derive(Debug, Default)]
pub struct PgTextEncoder {
    cached_ts: Option<i64>,
    ts_text: Vec<u8>,
}

impl PgTextEncoder {
    pub fn push_row(&mut self, out: &mut Vec<u8>, row: &Row) {
        if self.cached_ts != Some(row.ts_ms) {
            self.ts_text.clear();
            push_pg_timestamp(&mut self.ts_text, row.ts_ms);
            self.cached_ts = Some(row.ts_ms);
        }
        out.extend_from_slice(&self.ts_text);
        out.push(b'\t');
        push_u64(out, row.device as u64);
        for (v, spec) in row.values.iter().zip(METRIC_SPECS.iter()) {
            out.push(b'\t');
            push_value(out, *v, spec.decimals);
        }
        out.push(b'\n');
    }
}

/// `2026-01-01 00:00:10.5+00` (ISO 8601 as PostgreSQL prints it).
pub fn push_pg_timestamp(out: &mut Vec<u8>, ts_ms: i64) {
    let t = DateTime::<Utc>::from_timestamp_millis(ts_ms).unwrap_or_default();
    push_padded(out, t.year() as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(t.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(t.day()), 2);
    out.push(b' ');
    push_padded(out, u64::from(t.hour()), 2);
    out.push(b':');
    push_padded(out, u64::from(t.minute()), 2);
    out.push(b':');
    push_padded(out, u64::from(t.second()), 2);
    let ms = ts_ms.rem_euclid(1000) as u64;
    if ms != 0 {
        out.push(b'.');
        push_padded(out, ms, 3);
    }
    out.extend_from_slice(b"+00");
}

/// The column list for the wide PostgreSQL table, in row order.
pub fn pg_columns() -> String {
    let mut s = String::from("ts, device");
    for spec in METRIC_SPECS.iter() {
        s.push_str(", ");
        s.push_str(spec.name);
    }
    s
}

/// Which text format a batch is encoded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    LineProtocol,
    PgText,
}

/// Encodes the rows of `dataset` in time-major order into batches of `rows_per_batch`
/// rows and hands each batch and its row count to `sink`; stops early when `sink` returns
/// false.
pub fn encode_batches(
    dataset: &Dataset,
    format: Format,
    rows_per_batch: usize,
    mut sink: impl FnMut(Vec<u8>, u64) -> bool,
) {
    let cap = rows_per_batch * 16 * (METRICS + 2);
    let mut buf = Vec::with_capacity(cap);
    let mut n = 0;
    let mut pg = PgTextEncoder::default();
    for row in dataset.all_rows(crate::dataset::Order::TimeMajor) {
        match format {
            Format::LineProtocol => push_line(&mut buf, &row),
            Format::PgText => pg.push_row(&mut buf, &row),
        }
        n += 1;
        if n == rows_per_batch {
            if !sink(
                std::mem::replace(&mut buf, Vec::with_capacity(cap)),
                n as u64,
            ) {
                return;
            }
            n = 0;
        }
    }
    if n > 0 {
        sink(buf, n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DatasetConfig, Order, quantize};

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn writes_shortest_decimals() {
        assert_eq!(s(|o| push_value(o, 61.3, 1)), "61.3");
        assert_eq!(s(|o| push_value(o, 61.0, 1)), "61");
        assert_eq!(s(|o| push_value(o, 0.05, 2)), "0.05");
        assert_eq!(s(|o| push_value(o, 0.5, 2)), "0.5");
        assert_eq!(s(|o| push_value(o, 5.07, 2)), "5.07");
        assert_eq!(s(|o| push_value(o, -1.25, 2)), "-1.25");
        assert_eq!(s(|o| push_value(o, 1480.0, 0)), "1480");
        assert_eq!(s(|o| push_value(o, 0.0, 2)), "0");
        assert_eq!(s(|o| push_i64(o, -17)), "-17");
    }

    #[test]
    fn decimal_text_parses_back_to_the_same_value() {
        let ds = Dataset::new(DatasetConfig {
            devices: 10,
            duration_ms: 3_600_000,
            ..DatasetConfig::default()
        })
        .unwrap();
        for r in ds.all_rows(Order::TimeMajor) {
            for (v, spec) in r.values.iter().zip(METRIC_SPECS.iter()) {
                let text = s(|o| push_value(o, *v, spec.decimals));
                assert_eq!(text.parse::<f64>().unwrap(), *v, "{text}");
                assert_eq!(text, format!("{v}"));
            }
        }
        // Values that need a leading zero in the fraction.
        for k in 0..1000 {
            let v = quantize(k as f64 / 100.0, 2);
            let text = s(|o| push_value(o, v, 2));
            assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
        }
    }

    #[test]
    fn writes_line_protocol() {
        let row = Row {
            ts_ms: 1_767_225_600_000,
            device: 42,
            values: [
                61.3, 5.07, 120.0, 0.05, 95.2, 381.2, 1478.0, 55.21, 123456.0, 1.0,
            ],
        };
        assert_eq!(
            s(|o| push_line(o, &row)),
            "m,device=dev-00042 temperature=61.3,pressure=5.07,flow=120,vibration=0.05,\
             current=95.2,voltage=381.2,rpm=1478,power=55.21,produced_count=123456,state=1 \
             1767225600000\n"
        );
    }

    #[test]
    fn writes_pg_text_rows() {
        let row = Row {
            ts_ms: 1_767_225_610_000,
            device: 7,
            values: [1.5; METRICS],
        };
        let mut enc = PgTextEncoder::default();
        let text = s(|o| enc.push_row(o, &row));
        assert!(
            text.starts_with("2026-01-01 00:00:10+00\t7\t1.5\t"),
            "{text}"
        );
        assert_eq!(text.matches('\t').count(), 11);
        assert_eq!(
            s(|o| push_pg_timestamp(o, 1_767_225_600_250)),
            "2026-01-01 00:00:00.250+00"
        );
    }

    #[test]
    fn batches_cover_every_row() {
        let ds = Dataset::new(DatasetConfig {
            devices: 7,
            duration_ms: 600_000,
            ..DatasetConfig::default()
        })
        .unwrap();
        let mut lines = 0;
        let mut batches = 0;
        encode_batches(&ds, Format::LineProtocol, 10, |b, n| {
            assert_eq!(b.iter().filter(|&&c| c == b'\n').count() as u64, n);
            lines += n as usize;
            batches += 1;
            true
        });
        assert_eq!(lines as u64, ds.rows());
        assert_eq!(batches, (ds.rows() as usize).div_ceil(10));
    }
}
