//! Floats: Gorilla XOR (Pelkonen et al., VLDB 2015) or, when the values are decimals of a
//! fixed number of places — what sensors and JSON payloads produce — exact scaled integers
//! with a list of exceptions. Both are lossless bit for bit; the smaller one is kept.

use super::bits::{BitReader, BitWriter};
use super::varint::{Reader, put_u64};
use super::{CodecError, MAX_CHUNK_POINTS, int};

const GORILLA: u8 = 0;
/// value = int / 10^e (what parsing a decimal string gives).
const DECIMAL_DIV: u8 = 1;
/// value = int * 10^-e (what `round(x / r) * r` gives).
const DECIMAL_MUL: u8 = 2;
const MAX_PLACES: u8 = 9;
const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const INV10: [f64; 10] = [1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9];

pub fn encode(values: &[f64], out: &mut Vec<u8>) {
    let dec = decimal_encode(values);
    // Under 24 bits per value, Gorilla is not worth trying: it pays 1 bit for a repeated
    // value and, for decimals that differ, 2 control bits plus the XOR's meaningful bits,
    // which are 30 to 50 for decimals of a few places; the scaled integers' deltas are
    // smaller in both cases. Skipping it halves the encoding work of flushes and compactions
    // on sensor data (random one-place decimals take about 16 bits per value).
    if let Some(dec) = &dec
        && dec.len() * 8 < values.len() * 24
    {
        out.extend_from_slice(dec);
        return;
    }
    let mut gorilla = Vec::new();
    gorilla_encode(values, &mut gorilla);
    if let Some(dec) = dec
        && dec.len() < gorilla.len()
    {
        out.extend_from_slice(&dec);
        return;
    }
    out.push(GORILLA);
    out.extend_from_slice(&gorilla);
}

pub fn decode(data: &[u8], count: usize, out: &mut Vec<f64>) -> Result<(), CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    match r.u8()? {
        GORILLA => gorilla_decode(r.rest(), count, out),
        mode @ (DECIMAL_DIV | DECIMAL_MUL) => {
            let e = r.u8()?;
            if e > MAX_PLACES {
                return Err(CodecError::Invalid("decimal places out of range"));
            }
            let n_exc = r.len(count)?;
            let mut exceptions = Vec::with_capacity(n_exc);
            let mut idx = 0usize;
            for i in 0..n_exc {
                let step = r.len(count)?;
                idx = if i == 0 { step } else { idx + step + 1 };
                if idx >= count {
                    return Err(CodecError::Invalid("exception index out of range"));
                }
                exceptions.push((idx, r.f64_le()?));
            }
            let mut ints = Vec::with_capacity(count);
            int::decode(r.rest(), count, &mut ints)?;
            out.reserve(count);
            let e = e as usize;
            if mode == DECIMAL_DIV {
                out.extend(ints.iter().map(|&i| i as f64 / POW10[e]));
            } else {
                out.extend(ints.iter().map(|&i| i as f64 * INV10[e]));
            }
            let base = out.len() - count;
            for (i, v) in exceptions {
                out[base + i] = v;
            }
            Ok(())
        }
        m => Err(CodecError::UnknownEncoding(m)),
    }
}

/// `v` as `int / 10^places`, with the fewest places up to `max_places` that give back
/// the very same bits (a decimal as parsed from text: 21.5, -0.25, 1200), if any.
pub fn as_decimal(v: f64, max_places: u8) -> Option<(u8, i64)> {
    (0..=max_places.min(MAX_PLACES)).find_map(|e| decimal_of(v, e as usize, false).map(|i| (e, i)))
}

/// The value [`as_decimal`] took apart; None for more places than it ever gives.
pub fn from_decimal(places: u8, int: i64) -> Option<f64> {
    (places <= MAX_PLACES).then(|| int as f64 / POW10[places as usize])
}

/// `v` as the integer `i` with `i / 10^places` giving back its very bits, if any.
#[inline]
pub fn scaled(v: f64, places: u8) -> Option<i64> {
    if places > MAX_PLACES {
        return None;
    }
    decimal_of(v, places as usize, false)
}

#[inline]
fn decimal_of(v: f64, e: usize, mul: bool) -> Option<i64> {
    let scaled = v * POW10[e];
    if scaled.is_nan() || scaled.abs() >= 9.0e15 {
        return None;
    }
    // Rounded half away from zero by a truncating conversion: `f64::round` is a library
    // call on the baseline x86-64 target (2.7 % of a profile of the embedded ingest, from
    // flushes and compactions). Whatever the rounding, the check below keeps only integers
    // that give back the very bits.
    let i = (scaled + 0.5f64.copysign(scaled)) as i64;
    let back = if mul {
        i as f64 * INV10[e]
    } else {
        i as f64 / POW10[e]
    };
    (back.to_bits() == v.to_bits()).then_some(i)
}

/// The scaled-integer form, if some number of places fits (almost) every value.
fn decimal_encode(values: &[f64]) -> Option<Vec<u8>> {
    if values.is_empty() {
        return None;
    }
    // Candidates: place counts (and rounding forms) that fit a sample exactly; take the
    // first that fits everything, else the one with the fewest exceptions.
    let sample = &values[..values.len().min(64)];
    let mut best: Option<(usize, bool, usize)> = None;
    for (e, mul) in (0..=MAX_PLACES as usize).flat_map(|e| [(e, false), (e, true)]) {
        if !sample.iter().all(|&v| decimal_of(v, e, mul).is_some()) {
            continue;
        }
        let misses = values
            .iter()
            .filter(|&&v| decimal_of(v, e, mul).is_none())
            .count();
        if best.is_none_or(|(_, _, m)| misses < m) {
            best = Some((e, mul, misses));
        }
        if misses == 0 {
            break;
        }
    }
    let (e, mul, misses) = best?;
    if misses > values.len() / 8 + 1 {
        return None;
    }
    let mut ints = Vec::with_capacity(values.len());
    let mut exceptions = Vec::new();
    let mut prev = 0i64;
    for (i, &v) in values.iter().enumerate() {
        match decimal_of(v, e, mul) {
            Some(x) => {
                ints.push(x);
                prev = x;
            }
            None => {
                exceptions.push(i);
                ints.push(prev);
            }
        }
    }
    let mut out = Vec::with_capacity(values.len() + 16);
    out.push(if mul { DECIMAL_MUL } else { DECIMAL_DIV });
    out.push(e as u8);
    put_u64(&mut out, exceptions.len() as u64);
    let mut last = 0usize;
    for (k, &i) in exceptions.iter().enumerate() {
        put_u64(&mut out, if k == 0 { i } else { i - last - 1 } as u64);
        out.extend_from_slice(&values[i].to_bits().to_le_bytes());
        last = i;
    }
    int::encode(&ints, &mut out);
    Some(out)
}

fn gorilla_encode(values: &[f64], out: &mut Vec<u8>) {
    let Some(&first) = values.first() else {
        return;
    };
    let mut w = BitWriter::with_capacity(values.len() * 2 + 8);
    let mut prev = first.to_bits();
    w.write(prev, 64);
    let mut lead = u32::MAX;
    let mut trail = 0u32;
    for &v in &values[1..] {
        let bits = v.to_bits();
        let x = bits ^ prev;
        prev = bits;
        if x == 0 {
            w.write(0, 1);
            continue;
        }
        let l = x.leading_zeros().min(31);
        let t = x.trailing_zeros();
        if lead != u32::MAX && l >= lead && t >= trail {
            w.write(0b10, 2);
            let len = 64 - lead - trail;
            w.write(x >> trail, len);
        } else {
            lead = l;
            trail = t;
            let len = 64 - l - t;
            w.write(0b11, 2);
            w.write(l as u64, 5);
            // A length of 64 is written as 0.
            w.write((len & 63) as u64, 6);
            w.write(x >> t, len);
        }
    }
    out.extend_from_slice(&w.finish());
}

fn gorilla_decode(data: &[u8], count: usize, out: &mut Vec<f64>) -> Result<(), CodecError> {
    if count == 0 {
        return Ok(());
    }
    out.reserve(count);
    let mut r = BitReader::new(data);
    let mut prev = r.read(64)?;
    out.push(f64::from_bits(prev));
    let mut lead = 0u32;
    let mut trail = 0u32;
    let mut have_window = false;
    for _ in 1..count {
        if !r.read_bit()? {
            out.push(f64::from_bits(prev));
            continue;
        }
        if r.read_bit()? {
            lead = r.read(5)? as u32;
            let mut len = r.read(6)? as u32;
            if len == 0 {
                len = 64;
            }
            if lead + len > 64 {
                return Err(CodecError::Invalid("XOR window exceeds 64 bits"));
            }
            trail = 64 - lead - len;
            have_window = true;
        } else if !have_window {
            return Err(CodecError::Invalid("XOR window used before it is set"));
        }
        let len = 64 - lead - trail;
        let x = r.read(len)? << trail;
        prev ^= x;
        out.push(f64::from_bits(prev));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &[f64]) -> usize {
        let mut out = Vec::new();
        encode(v, &mut out);
        let mut back = Vec::new();
        decode(&out, v.len(), &mut back).unwrap();
        assert_eq!(back.len(), v.len());
        for (a, b) in v.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
        }
        out.len()
    }

    #[test]
    fn single_decimals_come_back_bit_for_bit() {
        for (v, want) in [
            (21.5, Some((1, 215))),
            (-0.25, Some((2, -25))),
            (1200.0, Some((0, 1200))),
            (0.0, Some((0, 0))),
            (0.1 + 0.2, None),
            (-0.0, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (1e300, None),
        ] {
            assert_eq!(as_decimal(v, 6), want, "{v}");
        }
        assert_eq!(as_decimal(1.234_567, 6), Some((6, 1_234_567)));
        assert_eq!(as_decimal(1.234_567, 5), None);
        assert_eq!(from_decimal(10, 1), None);
        // Every one-place decimal in a range, as parsed from text, round trips exactly.
        for tenths in -20_000i64..20_000 {
            let sign = if tenths < 0 { "-" } else { "" };
            let text = format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10);
            let v: f64 = text.parse().unwrap();
            let (e, i) = as_decimal(v, 6).unwrap();
            assert_eq!(from_decimal(e, i).unwrap().to_bits(), v.to_bits(), "{v}");
        }
    }

    #[test]
    fn special_values_survive() {
        round_trip(&[]);
        round_trip(&[
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1e-300,
            5e-324,
        ]);
        round_trip(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0]);
        round_trip(&[1.5; 100]);
    }

    #[test]
    fn sensor_decimals_compress_well() {
        // Parsed decimals (as from JSON "23.4") and computed ones (round(x/r)*r).
        let mut walk = 2000i64;
        let parsed: Vec<f64> = (0..1000)
            .map(|i: i64| {
                walk += (i * 7919 % 7) - 3;
                walk as f64 / 10.0
            })
            .collect();
        let size = round_trip(&parsed);
        assert!(size < 500, "parsed decimals: {size} bytes for 1000");
        let computed: Vec<f64> = parsed.iter().map(|v| (v / 0.01).round() * 0.01).collect();
        let size = round_trip(&computed);
        assert!(size < 600, "computed decimals: {size} bytes for 1000");
    }

    #[test]
    fn random_doubles_use_gorilla() {
        let v: Vec<f64> = (0..500u64)
            .map(|i| f64::from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 2))
            .collect();
        round_trip(&v);
        let sine: Vec<f64> = (0..1000).map(|i| (i as f64 / 10.0).sin() * 100.0).collect();
        round_trip(&sine);
    }

    #[test]
    fn hostile() {
        let mut v = Vec::new();
        assert!(decode(&[], 1, &mut v).is_err());
        assert!(decode(&[GORILLA, 1, 2], 2, &mut v).is_err());
        assert!(decode(&[DECIMAL_DIV, 10], 2, &mut v).is_err());
        assert!(decode(&[DECIMAL_DIV, 1, 5], 2, &mut v).is_err());
        assert!(decode(&[DECIMAL_DIV, 1, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0], 2, &mut v).is_err());
        assert!(decode(&[9], 1, &mut v).is_err());
        let mut w = vec![GORILLA];
        w.extend_from_slice(&[0; 8]);
        w.push(0b1000_0000);
        assert!(decode(&w, 2, &mut v).is_err());
    }
}
