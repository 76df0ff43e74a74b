//! Chunk statistics as the segment index stores them.
//!
//! Version 1 wrote the value statistics as six raw 8-byte words. Version 2 writes the first
//! timestamp relative to the partition start and, when the statistics are decimals (sensor
//! values, integers, booleans: see [`chunk::exact_moments`]), the extremes, first and last
//! as small integers relative to the minimum, the sum as the integer `Σi` and M2 as the
//! integer `n·Σi² − (Σi)²`: about 20 bytes where the raw words take 48. Every compact entry
//! is checked to give back the very bits before it is chosen; anything else is written raw.

use crate::chunk::{self, EXACT_PLACES, Stats};
use crate::codec::CodecError;
use crate::codec::float;
use crate::codec::varint::{Reader, put_i64, put_u64};
use ironloom_core::telemetry::{Micros, ValueType};

const RAW: u8 = 0;
/// `DECIMAL + places`.
const DECIMAL: u8 = 1;

/// Writes `s` (version 2); `base` is the partition start.
pub fn put(out: &mut Vec<u8>, s: &Stats, t: ValueType, base: Micros) {
    put_u64(out, s.count as u64);
    put_i64(out, s.min_ts.wrapping_sub(base));
    put_u64(out, s.max_ts.wrapping_sub(s.min_ts) as u64);
    if t == ValueType::Str {
        return;
    }
    if let Some((places, ints, s1, num)) = compact(s, t) {
        out.push(DECIMAL + places);
        put_i64(out, ints[0]);
        for &i in &ints[1..] {
            put_u64(out, i.wrapping_sub(ints[0]) as u64);
        }
        put_i64(out, s1);
        put_u64(out, num);
        return;
    }
    out.push(RAW);
    put_raw(out, s);
}

/// Reads what [`put`] wrote (`version` 2) or the version 1 form.
pub fn get(
    r: &mut Reader<'_>,
    t: ValueType,
    base: Micros,
    version: u8,
) -> Result<Stats, CodecError> {
    let count = u32::try_from(r.u64()?).map_err(|_| CodecError::Invalid("count"))?;
    let min_ts = if version >= 2 {
        base.wrapping_add(r.i64()?)
    } else {
        r.i64()?
    };
    let max_ts = min_ts.wrapping_add(r.u64()? as i64);
    let mut s = Stats {
        count,
        min_ts,
        max_ts,
        ..Stats::default()
    };
    if t == ValueType::Str {
        return Ok(s);
    }
    let form = if version >= 2 { r.u8()? } else { RAW };
    if form == RAW {
        s.min = r.u64_le()?;
        s.max = r.u64_le()?;
        s.first = r.u64_le()?;
        s.last = r.u64_le()?;
        s.sum = r.f64_le()?;
        s.m2 = r.f64_le()?;
        return Ok(s);
    }
    let places = form - DECIMAL;
    if places > EXACT_PLACES || (places > 0 && t != ValueType::F64) {
        return Err(CodecError::Invalid("statistics form"));
    }
    let min = r.i64()?;
    let mut ints = [min; 4];
    for i in &mut ints[1..] {
        *i = min.wrapping_add(r.u64()? as i64);
    }
    let s1 = r.i64()?;
    let num = r.u64()?;
    fill(&mut s, t, places, ints, s1, num)?;
    Ok(s)
}

/// The version 1 form of the value statistics.
fn put_raw(out: &mut Vec<u8>, s: &Stats) {
    for v in [s.min, s.max, s.first, s.last] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&s.sum.to_bits().to_le_bytes());
    out.extend_from_slice(&s.m2.to_bits().to_le_bytes());
}

fn fill(
    s: &mut Stats,
    t: ValueType,
    places: u8,
    ints: [i64; 4],
    s1: i64,
    num: u64,
) -> Result<(), CodecError> {
    let raw = |i: i64| -> Result<u64, CodecError> {
        match t {
            ValueType::F64 => float::from_decimal(places, i)
                .map(f64::to_bits)
                .ok_or(CodecError::Invalid("statistics form")),
            _ => Ok(i as u64),
        }
    };
    s.min = raw(ints[0])?;
    s.max = raw(ints[1])?;
    s.first = raw(ints[2])?;
    s.last = raw(ints[3])?;
    s.sum = chunk::exact_sum(s1, places);
    s.m2 = chunk::exact_m2(num, s.count, places);
    Ok(())
}

/// The integer form of `s`, if one gives back its very bits.
fn compact(s: &Stats, t: ValueType) -> Option<(u8, [i64; 4], i64, u64)> {
    let raws = [s.min, s.max, s.first, s.last];
    let places_range = match t {
        ValueType::F64 => 0..=EXACT_PLACES,
        ValueType::I64 | ValueType::Bool => 0..=0,
        ValueType::Str => return None,
    };
    for places in places_range {
        let mut ints = [0i64; 4];
        let mut ok = true;
        for (i, &raw) in ints.iter_mut().zip(&raws) {
            match t {
                ValueType::F64 => match float::scaled(f64::from_bits(raw), places) {
                    Some(x) => *i = x,
                    None => ok = false,
                },
                _ => *i = raw as i64,
            }
        }
        if !ok {
            continue;
        }
        let scale = 10f64.powi(places as i32);
        let s1 = (s.sum * scale).round();
        let num = (s.m2 * f64::from(s.count) * scale * scale).round();
        if !(s1.abs() < 9.0e15 && (0.0..1.8e19).contains(&num)) {
            continue;
        }
        let (s1, num) = (s1 as i64, num as u64);
        let mut back = *s;
        if fill(&mut back, t, places, ints, s1, num).is_ok()
            && back.sum.to_bits() == s.sum.to_bits()
            && back.m2.to_bits() == s.m2.to_bits()
            && [back.min, back.max, back.first, back.last] == raws
        {
            return Some((places, ints, s1, num));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Column;
    use ironloom_core::telemetry::{Quality, Value};

    fn round_trip(c: &Column) -> usize {
        let s = Stats::of(c);
        let mut out = Vec::new();
        put(&mut out, &s, c.value_type(), 1_700_000_000_000_000);
        let back = get(
            &mut Reader::new(&out),
            c.value_type(),
            1_700_000_000_000_000,
            2,
        )
        .unwrap();
        assert_eq!(format!("{back:?}"), format!("{s:?}"));
        assert_eq!(back.sum.to_bits(), s.sum.to_bits());
        assert_eq!(back.m2.to_bits(), s.m2.to_bits());
        out.len()
    }

    fn column(t: ValueType, values: impl Iterator<Item = Value>) -> Column {
        let mut c = Column::new(t);
        for (i, v) in values.enumerate() {
            c.push(
                1_700_000_000_000_000 + i as i64 * 10_000_000,
                v,
                Quality::Good,
            );
        }
        c
    }

    #[test]
    fn decimals_are_compact_and_exact() {
        // Power in kW to 0.01, as a sensor reports it.
        let c = column(
            ValueType::F64,
            (0..1024).map(|i| Value::F64(((4500 + (i * 7919) % 300) as f64) / 100.0)),
        );
        assert!(round_trip(&c) < 30, "{}", round_trip(&c));
        let s = Stats::of(&c);
        let exact: i64 = (0..1024).map(|i| 4500 + (i * 7919) % 300).sum();
        assert_eq!(s.sum, exact as f64 / 100.0);
        let ints = column(ValueType::I64, (0..1000).map(|i| Value::I64(i * 3 - 700)));
        assert!(round_trip(&ints) < 32, "{}", round_trip(&ints));
        let bools = column(ValueType::Bool, (0..100).map(|i| Value::Bool(i % 3 == 0)));
        assert!(round_trip(&bools) < 20, "{}", round_trip(&bools));
    }

    #[test]
    fn other_values_are_raw_and_exact() {
        for c in [
            column(
                ValueType::F64,
                (0..100).map(|i| Value::F64((i as f64 / 7.0).sin())),
            ),
            column(
                ValueType::F64,
                [f64::NAN, 1.0, -0.0, f64::INFINITY]
                    .map(Value::F64)
                    .into_iter(),
            ),
            column(ValueType::F64, [1e300, 1.5].map(Value::F64).into_iter()),
            column(
                ValueType::I64,
                [i64::MIN, i64::MAX, 0].map(Value::I64).into_iter(),
            ),
        ] {
            assert!(round_trip(&c) > 48);
        }
        let strs = column(
            ValueType::Str,
            ["a", "b"].map(|s| Value::Str(s.into())).into_iter(),
        );
        round_trip(&strs);
    }

    #[test]
    fn hostile() {
        for bytes in [
            &[1, 0, 0, 7][..],
            &[1, 0, 0, DECIMAL + 9, 0, 0, 0, 0, 0, 0],
            &[1, 0, 0, DECIMAL + 2],
            &[1, 0, 0, RAW, 1, 2],
        ] {
            let _ = get(&mut Reader::new(bytes), ValueType::F64, 0, 2);
        }
        assert!(
            get(
                &mut Reader::new(&[1, 0, 0, DECIMAL + 1, 0, 0, 0, 0, 0, 0]),
                ValueType::I64,
                0,
                2
            )
            .is_err()
        );
        assert!(
            get(
                &mut Reader::new(&[1, 0, 0, DECIMAL + 9, 0, 0, 0, 0, 0, 0]),
                ValueType::F64,
                0,
                2
            )
            .is_err()
        );
    }
}
