//! Downsampling rollups: per-window statistics of a series (count, min, max, first, last,
//! sum, M2 and the first and last timestamp in the window) at fixed widths, stored in the
//! segment next to the series' chunks and written whenever the segment is (flush and
//! compaction). A rollup is kept only where it saves work: when a window holds at least
//! [`MIN_POINTS_PER_WINDOW`] points on average. Aggregate queries whose window is a
//! multiple of a rollup width read the rollup instead of decoding the points (see
//! `query.rs`); windows cut by the query range are computed from the points.
//!
//! Block layout (each part a length-prefixed codec block): first timestamps (delta of
//! delta), last-minus-first timestamp (integers), counts (integers), min, max, first, last
//! (floats for f64 series, integers for i64 and bool), sums (floats), then M2: in segments of
//! version 2 a form byte and either floats or, where every window's M2 came from exact
//! integers, their decimal places and numerators `n·Σi² − (Σi)²` (integers); in version 1
//! floats.

use crate::chunk::Stats;
use crate::codec::varint::{Reader, put_block};
use crate::codec::{self, CodecError};
use crate::column::Column;
use ironloom_core::telemetry::{Micros, ValueType};

/// Rollup widths, ascending: 1 minute and 1 hour.
pub const WIDTHS: [Micros; 2] = [60_000_000, 3_600_000_000];

/// A rollup is written only if its windows hold at least this many points on average.
pub const MIN_POINTS_PER_WINDOW: usize = 10;

/// Most windows one rollup block may hold (a corrupt count cannot make a reader allocate
/// without bound).
pub const MAX_WINDOWS: usize = 1 << 20;

/// Where a rollup block of one series is in a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollupMeta {
    pub series: u32,
    pub width: Micros,
    pub windows: u32,
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
}

/// Whether a value type has rollups (strings have nothing to aggregate but a count).
pub fn supported(t: ValueType) -> bool {
    t != ValueType::Str
}

/// The windows of a sorted, de-duplicated column at `width`, or `None` when the type has
/// no rollups or the windows would hold too few points to be worth it.
pub fn compute(col: &Column, width: Micros) -> Option<Vec<Stats>> {
    let n = col.len();
    if n == 0 || !supported(col.value_type()) || width <= 0 {
        return None;
    }
    // The window ends, found by comparing with the next boundary rather than dividing
    // every timestamp (the column is sorted). Counted first: cheap, and most short series
    // stop here.
    // A window whose end is past the largest timestamp has none (`None`).
    let end_of = |t: Micros| {
        t.div_euclid(width)
            .checked_add(1)
            .and_then(|w| w.checked_mul(width))
    };
    let inside = |t: Micros, end: Option<Micros>| end.is_none_or(|e| t < e);
    let mut windows = 1usize;
    let mut end = end_of(col.ts[0]);
    for &t in &col.ts[1..] {
        if !inside(t, end) {
            windows += 1;
            end = end_of(t);
        }
    }
    if n < windows * MIN_POINTS_PER_WINDOW || windows > MAX_WINDOWS {
        return None;
    }
    let mut out = Vec::with_capacity(windows);
    let mut a = 0;
    while a < n {
        let end = end_of(col.ts[a]);
        let b = a + col.ts[a..].partition_point(|&t| inside(t, end));
        out.push(Stats::of_range(col, a, b));
        a = b;
    }
    Some(out)
}

fn raw_block(t: ValueType, raw: impl Iterator<Item = u64>, out: &mut Vec<u8>) {
    let mut buf = Vec::new();
    if t == ValueType::F64 {
        let v: Vec<f64> = raw.map(f64::from_bits).collect();
        codec::float::encode(&v, &mut buf);
    } else {
        let v: Vec<i64> = raw.map(|r| r as i64).collect();
        codec::int::encode(&v, &mut buf);
    }
    put_block(out, &buf);
}

/// Encodes windows (ascending, of a numeric series).
pub fn encode(t: ValueType, ws: &[Stats], out: &mut Vec<u8>) {
    let mut buf = Vec::new();
    let firsts: Vec<i64> = ws.iter().map(|s| s.min_ts).collect();
    codec::ts::encode(&firsts, &mut buf);
    put_block(out, &buf);
    for ints in [
        ws.iter()
            .map(|s| s.max_ts.wrapping_sub(s.min_ts))
            .collect::<Vec<i64>>(),
        ws.iter().map(|s| s.count as i64).collect(),
    ] {
        buf.clear();
        codec::int::encode(&ints, &mut buf);
        put_block(out, &buf);
    }
    raw_block(t, ws.iter().map(|s| s.min), out);
    raw_block(t, ws.iter().map(|s| s.max), out);
    raw_block(t, ws.iter().map(|s| s.first), out);
    raw_block(t, ws.iter().map(|s| s.last), out);
    buf.clear();
    codec::float::encode(&ws.iter().map(|s| s.sum).collect::<Vec<f64>>(), &mut buf);
    put_block(out, &buf);
    // M2 as the exact integers it came from (see `chunk::exact_moments`), else as floats.
    let exact: Option<(Vec<i64>, Vec<i64>)> = ws.iter().map(exact_m2_of).collect();
    match exact {
        Some((places, nums)) => {
            out.push(M2_EXACT);
            for ints in [places, nums] {
                buf.clear();
                codec::int::encode(&ints, &mut buf);
                put_block(out, &buf);
            }
        }
        None => {
            out.push(M2_FLOAT);
            buf.clear();
            codec::float::encode(&ws.iter().map(|s| s.m2).collect::<Vec<f64>>(), &mut buf);
            put_block(out, &buf);
        }
    }
}

const M2_FLOAT: u8 = 0;
const M2_EXACT: u8 = 1;

/// The places and integer numerator that give back a window's M2 bit for bit.
fn exact_m2_of(s: &Stats) -> Option<(i64, i64)> {
    let from = codec::float::as_decimal(s.sum, crate::chunk::EXACT_PLACES)?.0;
    (from..=crate::chunk::EXACT_PLACES).find_map(|p| {
        let scale = 10f64.powi(p as i32);
        let num = (s.m2 * f64::from(s.count) * scale * scale).round();
        ((0.0..9.0e15).contains(&num)
            && crate::chunk::exact_m2(num as u64, s.count, p).to_bits() == s.m2.to_bits())
        .then_some((p as i64, num as i64))
    })
}

fn read_raw(r: &mut Reader<'_>, t: ValueType, n: usize) -> Result<Vec<u64>, CodecError> {
    let data = r.block()?;
    if t == ValueType::F64 {
        let mut v = Vec::with_capacity(n);
        codec::float::decode(data, n, &mut v)?;
        Ok(v.into_iter().map(f64::to_bits).collect())
    } else {
        let mut v = Vec::with_capacity(n);
        codec::int::decode(data, n, &mut v)?;
        Ok(v.into_iter().map(|x| x as u64).collect())
    }
}

/// Decodes `n` windows of a rollup block of a series of type `t` and checks that they are
/// consistent (ascending, non-empty windows inside one `width`).
pub fn decode(
    data: &[u8],
    t: ValueType,
    n: usize,
    width: Micros,
    version: u8,
) -> Result<Vec<Stats>, CodecError> {
    use CodecError::Invalid;
    if n == 0 || n > MAX_WINDOWS || !supported(t) || width <= 0 {
        return Err(Invalid("rollup window count or type"));
    }
    let mut r = Reader::new(data);
    let mut firsts = Vec::with_capacity(n);
    codec::ts::decode(r.block()?, n, &mut firsts)?;
    let mut spans = Vec::with_capacity(n);
    codec::int::decode(r.block()?, n, &mut spans)?;
    let mut counts = Vec::with_capacity(n);
    codec::int::decode(r.block()?, n, &mut counts)?;
    let min = read_raw(&mut r, t, n)?;
    let max = read_raw(&mut r, t, n)?;
    let first = read_raw(&mut r, t, n)?;
    let last = read_raw(&mut r, t, n)?;
    let mut sums = Vec::with_capacity(n);
    codec::float::decode(r.block()?, n, &mut sums)?;
    let mut m2 = Vec::with_capacity(n);
    // Segments of version 1 hold M2 as floats without a form byte.
    let form = if version >= 2 { r.u8()? } else { M2_FLOAT };
    match form {
        M2_FLOAT => codec::float::decode(r.block()?, n, &mut m2)?,
        M2_EXACT => {
            let (mut places, mut nums) = (Vec::with_capacity(n), Vec::with_capacity(n));
            codec::int::decode(r.block()?, n, &mut places)?;
            codec::int::decode(r.block()?, n, &mut nums)?;
            for ((&p, &num), &count) in places.iter().zip(&nums).zip(&counts) {
                let p = u8::try_from(p)
                    .ok()
                    .filter(|&p| p <= crate::chunk::EXACT_PLACES)
                    .ok_or(Invalid("rollup M2 places"))?;
                let count = u32::try_from(count).map_err(|_| Invalid("rollup count"))?;
                m2.push(crate::chunk::exact_m2(num as u64, count, p));
            }
        }
        _ => return Err(Invalid("rollup M2 form")),
    }
    let mut out = Vec::with_capacity(n);
    let mut prev_window = None;
    for i in 0..n {
        let count = u32::try_from(counts[i]).map_err(|_| Invalid("rollup count"))?;
        let max_ts = firsts[i]
            .checked_add(spans[i])
            .ok_or(Invalid("rollup span"))?;
        let window = firsts[i].div_euclid(width);
        if count == 0
            || spans[i] < 0
            || max_ts.div_euclid(width) != window
            || prev_window.is_some_and(|p| p >= window)
        {
            return Err(Invalid("rollup windows inconsistent"));
        }
        prev_window = Some(window);
        out.push(Stats {
            count,
            min_ts: firsts[i],
            max_ts,
            min: min[i],
            max: max[i],
            first: first[i],
            last: last[i],
            sum: sums[i],
            m2: m2[i],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::telemetry::{Quality, Value};

    fn column(t: ValueType, points: &[(Micros, Value)]) -> Column {
        let mut c = Column::new(t);
        for (ts, v) in points {
            assert!(c.push(*ts, v.clone(), Quality::Good));
        }
        c
    }

    #[test]
    fn windows_match_their_points_and_round_trip() {
        // 10 s data over 3 hours, starting mid-hour: 1-minute windows hold 6 points (too
        // few), 1-hour windows up to 360.
        let start = 1_767_225_600_000_000 + 1_800_000_000;
        let pts: Vec<(Micros, Value)> = (0..1080)
            .map(|i| (start + i * 10_000_000, Value::F64((i % 97) as f64 * 0.1)))
            .collect();
        let c = column(ValueType::F64, &pts);
        assert!(compute(&c, WIDTHS[0]).is_none());
        let ws = compute(&c, WIDTHS[1]).unwrap();
        assert_eq!(ws.len(), 4);
        assert_eq!(ws.iter().map(|s| s.count).sum::<u32>(), 1080);
        assert_eq!(ws[0].count, 180);
        for w in &ws {
            let a = c.ts.iter().position(|&t| t == w.min_ts).unwrap();
            assert_eq!(*w, Stats::of_range(&c, a, a + w.count as usize));
        }
        let mut buf = Vec::new();
        encode(ValueType::F64, &ws, &mut buf);
        assert_eq!(
            decode(&buf, ValueType::F64, ws.len(), WIDTHS[1], 2).unwrap(),
            ws
        );
        assert!(buf.len() < 4 * 40, "{} bytes for 4 windows", buf.len());
    }

    #[test]
    fn integer_and_bool_series_round_trip_and_strings_have_none() {
        let pts: Vec<(Micros, Value)> = (0..600)
            .map(|i| (i * 1_000_000, Value::I64(i * i - 7)))
            .collect();
        let c = column(ValueType::I64, &pts);
        let ws = compute(&c, WIDTHS[0]).unwrap();
        let mut buf = Vec::new();
        encode(ValueType::I64, &ws, &mut buf);
        assert_eq!(
            decode(&buf, ValueType::I64, ws.len(), WIDTHS[0], 2).unwrap(),
            ws
        );
        let pts: Vec<(Micros, Value)> = (0..600)
            .map(|i| (i * 1_000_000, Value::Bool(i % 3 == 0)))
            .collect();
        let c = column(ValueType::Bool, &pts);
        let ws = compute(&c, WIDTHS[0]).unwrap();
        assert_eq!(ws[0].sum, 20.0);
        let pts: Vec<(Micros, Value)> = (0..600)
            .map(|i| (i * 1_000_000, Value::Str("x".into())))
            .collect();
        assert!(compute(&column(ValueType::Str, &pts), WIDTHS[0]).is_none());
    }

    #[test]
    fn hostile_blocks_are_errors() {
        let pts: Vec<(Micros, Value)> = (0..600)
            .map(|i| (i * 1_000_000, Value::F64(i as f64)))
            .collect();
        let ws = compute(&column(ValueType::F64, &pts), WIDTHS[0]).unwrap();
        let mut buf = Vec::new();
        encode(ValueType::F64, &ws, &mut buf);
        // Wrong counts, widths, truncations and flipped bytes never panic.
        assert!(decode(&buf, ValueType::F64, 0, WIDTHS[0], 2).is_err());
        assert!(decode(&buf, ValueType::F64, MAX_WINDOWS + 1, WIDTHS[0], 2).is_err());
        assert!(decode(&buf, ValueType::Str, ws.len(), WIDTHS[0], 2).is_err());
        assert!(decode(&buf, ValueType::F64, ws.len(), 1_000_000, 2).is_err());
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut], ValueType::F64, ws.len(), WIDTHS[0], 2).is_err());
        }
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut b = buf.clone();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % b.len();
            b[i] ^= 1 << ((seed >> 20) % 8);
            let _ = decode(&b, ValueType::F64, ws.len(), WIDTHS[0], 2);
            let _ = decode(&b, ValueType::I64, ws.len(), WIDTHS[1], 2);
        }
    }
}
