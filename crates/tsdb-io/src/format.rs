//! What both directions agree on: file formats, column names, how timestamps, values and
//! qualities are written as text.

use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use ironloom_core::telemetry::{Micros, Quality, Value, ValueType};
use std::path::Path;

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The format of an input: Parquet when it starts with Parquet's magic bytes or the
    /// name ends in `.parquet`/`.pq`, CSV otherwise.
    pub fn detect(name: Option<&Path>, head: &[u8]) -> Format {
        if head.starts_with(PARQUET_MAGIC) {
            return Format::Parquet;
        }
        match name
            .and_then(|n| n.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet" | "pq") => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

pub const PARQUET_MAGIC: &[u8] = b"PAR1";

/// How exported CSV files write timestamps. The header names the notation (`ts`,
/// `ts_ms`, `ts_us`), so an import reads the file back without options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `2026-01-01T00:00:00.000000Z` (UTC, microseconds).
    #[default]
    Rfc3339,
    /// Milliseconds since 1970; a fraction keeps microseconds (`1767225600000.250`).
    EpochMs,
    EpochUs,
}

impl TimeFormat {
    pub fn parse(s: &str) -> Option<TimeFormat> {
        match s.to_ascii_lowercase().as_str() {
            "rfc3339" | "iso" | "iso8601" => Some(TimeFormat::Rfc3339),
            "ms" | "epoch-ms" => Some(TimeFormat::EpochMs),
            "us" | "epoch-us" => Some(TimeFormat::EpochUs),
            _ => None,
        }
    }

    pub fn header(self) -> &'static str {
        match self {
            TimeFormat::Rfc3339 => "ts",
            TimeFormat::EpochMs => "ts_ms",
            TimeFormat::EpochUs => "ts_us",
        }
    }

    pub fn write(self, ts: Micros, out: &mut String) {
        use std::fmt::Write;
        out.clear();
        match self {
            TimeFormat::Rfc3339 => match DateTime::from_timestamp_micros(ts) {
                Some(d) => out.push_str(&d.to_rfc3339_opts(SecondsFormat::Micros, true)),
                // Outside chrono's range (±262,000 years): the engine never stores one, but
                // the number is still exact.
                None => {
                    let _ = write!(out, "{ts}");
                }
            },
            TimeFormat::EpochMs => {
                // A decimal number: the fraction has the sign of the whole.
                let sign = if ts < 0 { "-" } else { "" };
                let a = ts.unsigned_abs();
                let (ms, us) = (a / 1000, a % 1000);
                if us == 0 {
                    let _ = write!(out, "{sign}{ms}");
                } else {
                    let _ = write!(out, "{sign}{ms}.{us:03}");
                }
            }
            TimeFormat::EpochUs => {
                let _ = write!(out, "{ts}");
            }
        }
    }
}

/// The unit of numeric timestamps in an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// From the column name (`ts_s`, `ts_ms`, `ts_us`, `ts_ns`), else from each value's
    /// magnitude: below 10¹¹ seconds, below 10¹⁴ milliseconds, below 10¹⁷ microseconds,
    /// nanoseconds above (right for any date from 1973 to 5138).
    #[default]
    Auto,
    S,
    Ms,
    Us,
    Ns,
}

impl Precision {
    pub fn parse(s: &str) -> Option<Precision> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Precision::Auto),
            "s" => Some(Precision::S),
            "ms" => Some(Precision::Ms),
            "us" => Some(Precision::Us),
            "ns" => Some(Precision::Ns),
            _ => None,
        }
    }

    /// The precision a column name implies (`ts_ms` …).
    pub fn from_column(name: &str) -> Option<Precision> {
        let (_, suffix) = name.rsplit_once('_')?;
        match suffix {
            "s" | "sec" => Some(Precision::S),
            "ms" => Some(Precision::Ms),
            "us" => Some(Precision::Us),
            "ns" => Some(Precision::Ns),
            _ => None,
        }
    }

    fn resolve(self, magnitude: u128) -> Precision {
        match self {
            Precision::Auto => {
                if magnitude < 100_000_000_000 {
                    Precision::S
                } else if magnitude < 100_000_000_000_000 {
                    Precision::Ms
                } else if magnitude < 100_000_000_000_000_000 {
                    Precision::Us
                } else {
                    Precision::Ns
                }
            }
            p => p,
        }
    }
}

/// An integer timestamp in the given unit, as microseconds.
pub fn epoch_to_micros(v: i64, p: Precision) -> Option<Micros> {
    let v = i128::from(v);
    let us = match p.resolve(v.unsigned_abs()) {
        Precision::S => v * 1_000_000,
        Precision::Ms => v * 1000,
        Precision::Us => v,
        Precision::Ns | Precision::Auto => v.div_euclid(1000),
    };
    i64::try_from(us).ok()
}

/// A decimal timestamp (`1767225600`, `1767225600.25`, `-5`) in the given unit, exactly,
/// as microseconds (digits below a microsecond are dropped).
fn decimal_epoch_to_micros(s: &str, p: Precision) -> Option<Micros> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    if (int.is_empty() && frac.is_empty() && !digits.starts_with('0'))
        || int.len() > 19
        || frac.len() > 9
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int_v: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_v: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let scale = 10i128.pow(frac.len() as u32);
    // The exact value is (int + frac / scale) units; the unit is 10^e microseconds.
    let e: u32 = match p.resolve(int_v.unsigned_abs()) {
        Precision::S => 6,
        Precision::Ms => 3,
        Precision::Us => 0,
        Precision::Ns | Precision::Auto => 0,
    };
    let mut num = (int_v * scale + frac_v) * 10i128.pow(e);
    let mut den = scale;
    if matches!(
        p.resolve(int_v.unsigned_abs()),
        Precision::Ns | Precision::Auto
    ) {
        den *= 1000;
    }
    if neg {
        num = -num;
    }
    i64::try_from(num.div_euclid(den)).ok()
}

/// A timestamp in text: a number in the given unit, RFC 3339, or `YYYY-MM-DD HH:MM:SS[.f]`
/// (no zone: UTC).
pub fn parse_time(s: &str, p: Precision) -> Option<Micros> {
    let s = s.trim();
    let first = *s.as_bytes().first()?;
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        && (first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.')
        && s.bytes().filter(|b| *b == b'-').count() <= 1;
    if numeric && !s[1..].contains(['-', '+']) {
        return decimal_epoch_to_micros(s, p);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_micros());
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc().timestamp_micros());
        }
    }
    None
}

/// A float as the shortest text that reads back to the same bits.
pub fn format_f64(v: f64, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        let _ = write!(out, "{v:e}");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// A value of a known type, from text.
pub fn parse_value(s: &str, t: ValueType) -> Option<Value> {
    Some(match t {
        ValueType::F64 => Value::F64(s.trim().parse().ok()?),
        ValueType::I64 => Value::I64(s.trim().parse().ok()?),
        ValueType::Bool => Value::Bool(parse_bool(s.trim())?),
        ValueType::Str => Value::Str(s.to_string()),
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

/// A value without a declared type: `true`/`false`, an integer, a number, else a string.
/// (`NaN` and `inf` are numbers here, and the engine refuses them.)
pub fn infer_value(s: &str) -> Value {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if t.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::I64(i);
    }
    if looks_numeric(t)
        && let Ok(f) = t.parse::<f64>()
    {
        return Value::F64(f);
    }
    Value::Str(s.to_string())
}

fn looks_numeric(t: &str) -> bool {
    let l = t.trim_start_matches(['-', '+']).to_ascii_lowercase();
    l == "nan"
        || l == "inf"
        || l == "infinity"
        || (!l.is_empty()
            && l.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'.')
            && l.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'-' | b'+')))
}

/// A quality in text: a name (`good`, `uncertain`, `bad`, any case) or its code (0–2).
pub fn parse_quality(s: &str) -> Option<Quality> {
    let t = s.trim();
    if t.is_empty() {
        return Some(Quality::Good);
    }
    Quality::parse(&t.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_numbers_are_exact_in_every_unit() {
        let p = |s, pr| parse_time(s, pr);
        assert_eq!(p("1767225600", Precision::S), Some(1_767_225_600_000_000));
        assert_eq!(
            p("1767225600.25", Precision::S),
            Some(1_767_225_600_250_000)
        );
        assert_eq!(
            p("1767225600000", Precision::Auto),
            Some(1_767_225_600_000_000)
        );
        assert_eq!(
            p("1767225600000.123", Precision::Ms),
            Some(1_767_225_600_000_123)
        );
        assert_eq!(
            p("1767225600000123", Precision::Auto),
            Some(1_767_225_600_000_123)
        );
        assert_eq!(
            p("1767225600000123456", Precision::Auto),
            Some(1_767_225_600_000_123)
        );
        assert_eq!(
            p("1767225600", Precision::Auto),
            Some(1_767_225_600_000_000)
        );
        assert_eq!(p("-1", Precision::Ms), Some(-1000));
        assert_eq!(p("-0.5", Precision::Ms), Some(-500));
        assert_eq!(p("-1.5", Precision::Us), Some(-2));
        assert_eq!(p("99999999999999999999999999", Precision::S), None);
        assert_eq!(p("1-2", Precision::S), None);
        assert_eq!(p("", Precision::S), None);
        assert_eq!(p(".", Precision::S), None);
    }

    #[test]
    fn text_timestamps_read_rfc3339_and_plain_dates_as_utc() {
        assert_eq!(
            parse_time("2026-01-01T00:00:00.000001Z", Precision::Auto),
            Some(1_767_225_600_000_001)
        );
        assert_eq!(
            parse_time("2026-01-01T08:00:00+08:00", Precision::Auto),
            Some(1_767_225_600_000_000)
        );
        assert_eq!(
            parse_time("2026-01-01 00:00:00.5", Precision::Auto),
            Some(1_767_225_600_500_000)
        );
        assert_eq!(parse_time("yesterday", Precision::Auto), None);
    }

    #[test]
    fn written_timestamps_read_back() {
        let mut s = String::new();
        for ts in [0, 1, -1, 1_767_225_600_123_456, -86_400_000_001] {
            for f in [
                TimeFormat::Rfc3339,
                TimeFormat::EpochMs,
                TimeFormat::EpochUs,
            ] {
                f.write(ts, &mut s);
                let p = Precision::from_column(f.header()).unwrap_or(Precision::Auto);
                assert_eq!(parse_time(&s, p), Some(ts), "{f:?} {s}");
            }
        }
    }

    #[test]
    fn floats_read_back_bit_exact() {
        let mut s = String::new();
        for v in [
            0.1,
            -0.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e16,
            123_456.789,
            -1e-7,
        ] {
            format_f64(v, &mut s);
            let back: f64 = s.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{s}");
        }
        format_f64(1e300, &mut s);
        assert_eq!(s, "1e300");
    }

    #[test]
    fn untyped_values_are_inferred() {
        assert_eq!(infer_value("true"), Value::Bool(true));
        assert_eq!(infer_value("42"), Value::I64(42));
        assert_eq!(infer_value("-4.5e3"), Value::F64(-4500.0));
        assert!(matches!(infer_value("NaN"), Value::F64(v) if v.is_nan()));
        assert_eq!(infer_value("e5"), Value::Str("e5".into()));
        assert_eq!(infer_value("running"), Value::Str("running".into()));
    }
}
