//! Integers: zigzag deltas stored either as varints or bit-packed in frames of 128 with one
//! width per frame, whichever is smaller; a constant column costs one varint.

use super::varint::{Reader, put_i64, put_u64, unzigzag, zigzag};
use super::{CodecError, MAX_CHUNK_POINTS};

const CONSTANT: u8 = 0;
const VARINT: u8 = 1;
const PACKED: u8 = 2;
const FRAME: usize = 128;

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn width(v: u64) -> u32 {
    64 - v.leading_zeros()
}

pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    let Some(&first) = values.first() else {
        out.push(CONSTANT);
        put_i64(out, 0);
        return;
    };
    if values.iter().all(|&v| v == first) {
        out.push(CONSTANT);
        put_i64(out, first);
        return;
    }
    // Deltas, divided by their greatest common divisor (counters that step by 5, decimals
    // scaled by more places than they use).
    let mut raw = Vec::with_capacity(values.len() - 1);
    let mut prev = first;
    let mut g = 0u64;
    for &v in &values[1..] {
        let d = v.wrapping_sub(prev);
        // Once the divisor is 1 it stays 1 (most columns get there within a few deltas):
        // no more divisions.
        if g != 1 {
            g = gcd(g, d.unsigned_abs());
        }
        raw.push(d);
        prev = v;
    }
    if g == 0 || g > i64::MAX as u64 {
        g = 1;
    }
    let deltas: Vec<u64> = if g == 1 {
        raw.iter().map(|&d| zigzag(d)).collect()
    } else {
        raw.iter().map(|&d| zigzag(d / g as i64)).collect()
    };
    let varint_size: usize = deltas.iter().map(|&d| varint_len(d)).sum();
    let packed_size: usize = deltas
        .chunks(FRAME)
        .map(|f| {
            let (base, w) = frame_of_reference(f);
            varint_len(base) + 1 + (w as usize * f.len()).div_ceil(8)
        })
        .sum();
    if varint_size <= packed_size {
        out.push(VARINT);
        put_i64(out, first);
        put_u64(out, g);
        out.reserve(varint_size);
        for d in deltas {
            put_u64(out, d);
        }
    } else {
        out.push(PACKED);
        put_i64(out, first);
        put_u64(out, g);
        out.reserve(packed_size);
        let mut offsets = Vec::with_capacity(FRAME);
        for f in deltas.chunks(FRAME) {
            let (base, w) = frame_of_reference(f);
            put_u64(out, base);
            out.push(w as u8);
            let base = unzigzag(base);
            offsets.clear();
            offsets.extend(f.iter().map(|&d| unzigzag(d).wrapping_sub(base) as u64));
            pack(&offsets, w, out);
        }
    }
}

/// A frame's smallest delta (zigzagged) and the bit width of the offsets from it.
fn frame_of_reference(frame: &[u64]) -> (u64, u32) {
    let base = frame.iter().map(|&d| unzigzag(d)).min().unwrap_or(0);
    let w = frame
        .iter()
        .map(|&d| width(unzigzag(d).wrapping_sub(base) as u64))
        .max()
        .unwrap_or(0);
    (zigzag(base), w)
}

/// Bit-packs `values` at `w` bits each, LSB-first within a little-endian bit stream.
fn pack(values: &[u64], w: u32, out: &mut Vec<u8>) {
    if w == 0 {
        return;
    }
    let mut acc: u128 = 0;
    let mut n: u32 = 0;
    for &v in values {
        acc |= (v as u128) << n;
        n += w;
        while n >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            n -= 8;
        }
    }
    if n > 0 {
        out.push(acc as u8);
    }
}

fn unpack(r: &mut Reader<'_>, count: usize, w: u32, out: &mut Vec<u64>) -> Result<(), CodecError> {
    if w > 64 {
        return Err(CodecError::Invalid("bit width over 64"));
    }
    if w == 0 {
        out.extend(std::iter::repeat_n(0, count));
        return Ok(());
    }
    let bytes = r.bytes((count * w as usize).div_ceil(8))?;
    let mask: u128 = if w == 64 {
        u64::MAX as u128
    } else {
        (1u128 << w) - 1
    };
    let mut acc: u128 = 0;
    let mut n: u32 = 0;
    let mut it = bytes.iter();
    for _ in 0..count {
        while n < w {
            let b = *it.next().ok_or(CodecError::Truncated)?;
            acc |= (b as u128) << n;
            n += 8;
        }
        out.push((acc & mask) as u64);
        acc >>= w;
        n -= w;
    }
    Ok(())
}

pub fn decode(data: &[u8], count: usize, out: &mut Vec<i64>) -> Result<usize, CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    let mode = r.u8()?;
    let first = r.i64()?;
    out.reserve(count);
    match mode {
        CONSTANT => out.extend(std::iter::repeat_n(first, count)),
        VARINT => {
            let g = r.u64()? as i64;
            if count > 0 {
                let mut prev = first;
                out.push(prev);
                for _ in 1..count {
                    prev = prev.wrapping_add(unzigzag(r.u64()?).wrapping_mul(g));
                    out.push(prev);
                }
            }
        }
        PACKED => {
            let g = r.u64()? as i64;
            if count > 0 {
                out.push(first);
                let mut deltas = Vec::with_capacity(FRAME);
                let mut prev = first;
                let mut left = count - 1;
                while left > 0 {
                    let n = left.min(FRAME);
                    let base = unzigzag(r.u64()?);
                    let w = r.u8()? as u32;
                    deltas.clear();
                    unpack(&mut r, n, w, &mut deltas)?;
                    for &d in &deltas {
                        prev = prev.wrapping_add(base.wrapping_add(d as i64).wrapping_mul(g));
                        out.push(prev);
                    }
                    left -= n;
                }
            }
        }
        m => return Err(CodecError::UnknownEncoding(m)),
    }
    Ok(r.pos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &[i64]) -> usize {
        let mut out = Vec::new();
        encode(v, &mut out);
        let mut back = Vec::new();
        let used = decode(&out, v.len(), &mut back).unwrap();
        assert_eq!(used, out.len());
        assert_eq!(back, v);
        out.len()
    }

    #[test]
    fn modes() {
        round_trip(&[]);
        assert!(round_trip(&[7; 1000]) <= 3);
        let small: Vec<i64> = (0..1000).map(|i| 2000 + (i * 7919 % 13) - 6).collect();
        let size = round_trip(&small);
        assert!(size < 700, "{size}");
        round_trip(&[i64::MIN, i64::MAX, 0, -1, 1, i64::MIN]);
        let big: Vec<i64> = (0..300u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) as i64)
            .collect();
        round_trip(&big);
        let counter: Vec<i64> = (0..5000).map(|i| i * 3 + i % 2).collect();
        assert!(round_trip(&counter) < 5000 / 3);
        let steps: Vec<i64> = (0..5000).map(|i| (i * 7919 % 5) * 1000).collect();
        assert!(round_trip(&steps) < 5000 / 2);
    }

    #[test]
    fn hostile() {
        let mut v = Vec::new();
        assert!(decode(&[], 1, &mut v).is_err());
        assert!(decode(&[7, 0], 1, &mut v).is_err());
        assert!(decode(&[PACKED, 0, 1, 0, 65], 3, &mut v).is_err());
        assert!(decode(&[PACKED, 0, 1, 0, 8, 1], 3, &mut v).is_err());
        assert!(decode(&[VARINT, 0, 1, 1], 3, &mut v).is_err());
    }
}
