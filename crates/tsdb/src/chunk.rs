//! One chunk: up to a few thousand points of one series, compressed column by column,
//! with the statistics aggregates use without decoding it.

use crate::codec::varint::{Reader, put_block, put_u64};
use crate::codec::{self, CodecError, MAX_CHUNK_POINTS};
use crate::column::{Column, Values};
use ironloom_core::telemetry::{Micros, ValueType};

/// Summary of a chunk's points. `min`/`max`/`first`/`last` hold the series' native value
/// (f64 bits, i64, 0/1) and are meaningless for strings, like `sum` and `m2`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub count: u32,
    pub min_ts: Micros,
    pub max_ts: Micros,
    pub min: u64,
    pub max: u64,
    pub first: u64,
    pub last: u64,
    pub sum: f64,
    /// Sum of squared deviations from the mean (for the standard deviation).
    pub m2: f64,
}

/// Most decimal places of the exact sums (see [`exact_moments`]).
pub const EXACT_PLACES: u8 = 6;
/// Largest magnitude of a scaled value on the exact path (the squares of a million of them
/// stay far inside an `i128`).
const EXACT_LIMIT: i64 = 1 << 40;
const POW10: [f64; 13] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
];

/// The sum of values `i / 10^places` whose integers sum to `s1`, rounded once.
pub fn exact_sum(s1: i64, places: u8) -> f64 {
    s1 as f64 / POW10[places.min(EXACT_PLACES) as usize]
}

/// The squared deviations from the mean of `n` values `i / 10^places`, from the exact
/// integer `n·Σi² − (Σi)²`, rounded at the end only.
pub fn exact_m2(numerator: u64, n: u32, places: u8) -> f64 {
    numerator as f64 / f64::from(n.max(1)) / POW10[2 * places.min(EXACT_PLACES) as usize]
}

/// Sum and M2 of decimals (sensor values, integers, booleans) computed exactly in integers:
/// more accurate than summing floats, and what the segment index and rollups store as
/// small integers. `None` if a value is not a decimal of at most [`EXACT_PLACES`] places
/// or is too large; the places are the fewest that fit every value.
pub fn exact_moments(values: impl Iterator<Item = f64>) -> Option<(u8, i64, u64)> {
    let (mut e, mut n, mut s1, mut s2) = (0u8, 0i128, 0i128, 0i128);
    for x in values {
        let i = loop {
            match codec::float::scaled(x, e) {
                Some(i) if i.unsigned_abs() < EXACT_LIMIT as u64 => break i as i128,
                Some(_) => return None,
                None if e < EXACT_PLACES => {
                    e += 1;
                    s1 *= 10;
                    s2 *= 100;
                }
                None => return None,
            }
        };
        n += 1;
        s1 += i;
        s2 += i * i;
    }
    let num = n * s2 - s1 * s1;
    Some((e, i64::try_from(s1).ok()?, u64::try_from(num).ok()?))
}

/// [`exact_moments`] of integers: `Σi` and `n·Σi² − (Σi)²`.
fn exact_ints(values: impl Iterator<Item = i64>) -> Option<(i64, u64)> {
    let (mut n, mut s1, mut s2) = (0i128, 0i128, 0i128);
    for i in values {
        if i.unsigned_abs() >= EXACT_LIMIT as u64 {
            return None;
        }
        let i = i as i128;
        n += 1;
        s1 += i;
        s2 += i * i;
    }
    Some((
        i64::try_from(s1).ok()?,
        u64::try_from(n * s2 - s1 * s1).ok()?,
    ))
}

/// Native ordering of raw values of a type.
pub fn raw_less(t: ValueType, a: u64, b: u64) -> bool {
    match t {
        ValueType::F64 => f64::from_bits(a) < f64::from_bits(b),
        ValueType::I64 => (a as i64) < (b as i64),
        ValueType::Bool | ValueType::Str => a < b,
    }
}

impl Stats {
    /// Statistics of a sorted, non-empty column.
    pub fn of(c: &Column) -> Stats {
        Stats::of_range(c, 0, c.len())
    }

    /// Statistics of points `a..b` (non-empty) of a sorted column. One pass per type for
    /// the extremes and the sum, a second for the squared deviations from the mean (no
    /// division per point: flushes and compactions compute this for every chunk and
    /// rollup window, and a running mean's division per point was most of their cost).
    pub fn of_range(c: &Column, a: usize, b: usize) -> Stats {
        let mut s = Stats {
            count: (b - a) as u32,
            min_ts: c.ts[a],
            max_ts: c.ts[b - 1],
            ..Stats::default()
        };
        fn moments(xs: impl Iterator<Item = f64> + Clone, n: usize) -> (f64, f64) {
            let sum: f64 = xs.clone().fold(0.0, |acc, x| acc + x);
            let mean = sum / n as f64;
            let m2 = xs.fold(0.0, |acc, x| {
                let d = x - mean;
                acc + d * d
            });
            (sum, m2)
        }
        let n = b - a;
        match &c.values {
            Values::Str(_) => return s,
            Values::F64(v) => {
                let v = &v[a..b];
                let (mut lo, mut hi) = (v[0], v[0]);
                for &x in &v[1..] {
                    if x < lo {
                        lo = x;
                    }
                    if hi < x {
                        hi = x;
                    }
                }
                (s.min, s.max) = (lo.to_bits(), hi.to_bits());
                (s.first, s.last) = (v[0].to_bits(), v[n - 1].to_bits());
                (s.sum, s.m2) = match exact_moments(v.iter().copied()) {
                    Some((e, s1, num)) => (exact_sum(s1, e), exact_m2(num, n as u32, e)),
                    None => moments(v.iter().copied(), n),
                };
            }
            Values::I64(v) => {
                let v = &v[a..b];
                let (lo, hi) = v
                    .iter()
                    .fold((v[0], v[0]), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                (s.min, s.max) = (lo as u64, hi as u64);
                (s.first, s.last) = (v[0] as u64, v[n - 1] as u64);
                (s.sum, s.m2) = match exact_ints(v.iter().copied()) {
                    Some((s1, num)) => (exact_sum(s1, 0), exact_m2(num, n as u32, 0)),
                    None => moments(v.iter().map(|&x| x as f64), n),
                };
            }
            Values::Bool(v) => {
                let v = &v[a..b];
                let ones = v.iter().filter(|&&x| x).count();
                s.min = u64::from(ones == n);
                s.max = u64::from(ones > 0);
                (s.first, s.last) = (u64::from(v[0]), u64::from(v[n - 1]));
                let ones = ones as i128;
                let num = (n as i128 * ones - ones * ones) as u64;
                (s.sum, s.m2) = (exact_sum(ones as i64, 0), exact_m2(num, n as u32, 0));
            }
        }
        s
    }
}

/// Encodes a sorted, de-duplicated column.
pub fn encode(c: &Column, out: &mut Vec<u8>) {
    out.push(c.value_type().code());
    put_u64(out, c.len() as u64);
    let mut buf = Vec::with_capacity(c.len() / 4 + 16);
    codec::ts::encode(&c.ts, &mut buf);
    put_block(out, &buf);
    buf.clear();
    match &c.quality {
        Some(q) => codec::quality::encode(q, &mut buf),
        None => codec::quality::encode(&[], &mut buf),
    }
    put_block(out, &buf);
    match &c.values {
        Values::F64(v) => codec::float::encode(v, out),
        Values::I64(v) => {
            codec::int::encode(v, out);
        }
        Values::Bool(v) => codec::boolean::encode(v, out),
        Values::Str(v) => codec::string::encode(v, out),
    }
}

/// Decodes a chunk; `expect` is the type the index says it holds.
pub fn decode(data: &[u8], expect: ValueType) -> Result<Column, CodecError> {
    let mut r = Reader::new(data);
    let t = ValueType::from_code(r.u8()?).ok_or(CodecError::Invalid("unknown value type"))?;
    if t != expect {
        return Err(CodecError::Invalid("value type differs from the index"));
    }
    let n = r.len(MAX_CHUNK_POINTS)?;
    let mut ts = Vec::new();
    codec::ts::decode(r.block()?, n, &mut ts)?;
    let mut q = Vec::new();
    let quality = codec::quality::decode(r.block()?, n, &mut q)?.then_some(q);
    let rest = r.rest();
    let values = match t {
        ValueType::F64 => {
            let mut v = Vec::new();
            codec::float::decode(rest, n, &mut v)?;
            Values::F64(v)
        }
        ValueType::I64 => {
            let mut v = Vec::new();
            codec::int::decode(rest, n, &mut v)?;
            Values::I64(v)
        }
        ValueType::Bool => {
            let mut v = Vec::new();
            codec::boolean::decode(rest, n, &mut v)?;
            Values::Bool(v)
        }
        ValueType::Str => {
            let mut v = Vec::new();
            codec::string::decode(rest, n, &mut v)?;
            Values::Str(v)
        }
    };
    if ts.windows(2).any(|w| w[0] >= w[1]) {
        return Err(CodecError::Invalid("timestamps are not increasing"));
    }
    Ok(Column {
        ts,
        values,
        quality,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::telemetry::{Quality, Value};

    #[test]
    fn round_trip_each_type_with_stats() {
        let mut cols = vec![
            Column::new(ValueType::F64),
            Column::new(ValueType::I64),
            Column::new(ValueType::Bool),
            Column::new(ValueType::Str),
        ];
        for i in 0..500i64 {
            let ts = 1_700_000_000_000_000 + i * 1_000_000;
            let q = if i % 97 == 0 {
                Quality::Uncertain
            } else {
                Quality::Good
            };
            cols[0].push(ts, Value::F64((i % 17) as f64 / 4.0 - 2.0), q);
            cols[1].push(ts, Value::I64(i * 3 - 700), q);
            cols[2].push(ts, Value::Bool(i % 3 == 0), q);
            cols[3].push(ts, Value::Str(format!("state-{}", i % 4)), q);
        }
        for c in &cols {
            let mut out = Vec::new();
            encode(c, &mut out);
            let back = decode(&out, c.value_type()).unwrap();
            assert_eq!(&back, c);
        }
        let s = Stats::of(&cols[1]);
        assert_eq!((s.count, s.min as i64, s.max as i64), (500, -700, 797));
        assert_eq!(s.sum, (0..500).map(|i| (i * 3 - 700) as f64).sum::<f64>());
        let mean = s.sum / 500.0;
        let m2: f64 = (0..500)
            .map(|i| ((i * 3 - 700) as f64 - mean).powi(2))
            .sum();
        assert!((s.m2 - m2).abs() / m2 < 1e-12);
    }

    #[test]
    fn hostile_chunks_are_errors() {
        assert!(decode(&[], ValueType::F64).is_err());
        assert!(decode(&[9, 1], ValueType::F64).is_err());
        assert!(decode(&[0, 1], ValueType::I64).is_err());
        assert!(decode(&[0, 0xff, 0xff, 0xff, 0xff, 0x0f], ValueType::F64).is_err());
        let mut c = Column::new(ValueType::I64);
        c.push(5, Value::I64(1), Quality::Good);
        c.push(5, Value::I64(1), Quality::Good);
        let mut out = Vec::new();
        encode(&c, &mut out);
        assert!(decode(&out, ValueType::I64).is_err(), "repeated timestamps");
        for cut in 0..out.len() {
            let _ = decode(&out[..cut], ValueType::I64);
        }
    }
}
