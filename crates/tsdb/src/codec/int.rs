//! Integers: deltas divided by their greatest common divisor, stored either as zigzag
//! varints or in frames of 128, each frame bit-packed at one width from its smallest delta
//! or Rice-coded (see `rice.rs`), whichever is smallest; a constant column costs one varint.
//!
//! Frames layout: the frame headers (a tag byte, then a base where the tag says so), then
//! one bit stream with every frame's values. Tag `w` ≤ 64: packed at `w` bits above the
//! base; `RICE_ZIGZAG | k`: zigzag deltas, Rice parameter `k`; `RICE_ABOVE | k`: deltas
//! above the base (the frame's smallest), Rice parameter `k`. Chunks written before frames
//! existed hold mode `PACKED` (bit-packed only, headers inline); it is still read.

use super::rice;
use super::varint::{Reader, put_i64, put_u64, unzigzag, zigzag};
use super::{CodecError, MAX_CHUNK_POINTS};

const CONSTANT: u8 = 0;
const VARINT: u8 = 1;
const PACKED: u8 = 2;
const FRAMES: u8 = 3;
const FRAME: usize = 128;
const RICE_ZIGZAG: u8 = 0x80;
const RICE_ABOVE: u8 = 0xC0;

/// The name of an encoding tag (the first byte of an encoded column), for reports.
pub fn mode_name(tag: u8) -> &'static str {
    match tag {
        CONSTANT => "constant",
        VARINT => "varint",
        PACKED => "packed",
        FRAMES => "frames",
        _ => "?",
    }
}

/// How one frame is coded.
#[derive(Clone, Copy)]
enum Frame {
    Packed { base: i64, w: u32 },
    RiceZigzag { k: u32 },
    RiceAbove { base: i64, k: u32 },
}

impl Frame {
    /// The cheapest coding of `deltas` (zigzagged) and its size in bits, header included.
    fn choose(deltas: &[u64], scratch: &mut Vec<u64>) -> (Frame, u64) {
        let (zbase, w) = frame_of_reference(deltas);
        let base = unzigzag(zbase);
        let base_bits = 8 * varint_len(zbase) as u64;
        let mut best = (
            Frame::Packed { base, w },
            8 + base_bits + w as u64 * deltas.len() as u64,
        );
        if w <= 1 {
            return best;
        }
        let (k, bits) = rice::best_k(deltas);
        if 8 + bits < best.1 {
            best = (Frame::RiceZigzag { k }, 8 + bits);
        }
        if base > 0 {
            scratch.clear();
            scratch.extend(
                deltas
                    .iter()
                    .map(|&d| unzigzag(d).wrapping_sub(base) as u64),
            );
            let (k, bits) = rice::best_k(scratch);
            if 8 + base_bits + bits < best.1 {
                best = (Frame::RiceAbove { base, k }, 8 + base_bits + bits);
            }
        }
        best
    }
}

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
    let mut scratch = Vec::with_capacity(FRAME);
    let frames: Vec<(Frame, u64)> = deltas
        .chunks(FRAME)
        .map(|f| Frame::choose(f, &mut scratch))
        .collect();
    let frames_size = frames.iter().map(|(_, bits)| bits).sum::<u64>().div_ceil(8) as usize;
    out.push(if varint_size <= frames_size {
        VARINT
    } else {
        FRAMES
    });
    put_i64(out, first);
    put_u64(out, g);
    if varint_size <= frames_size {
        out.reserve(varint_size);
        for d in deltas {
            put_u64(out, d);
        }
        return;
    }
    out.reserve(frames_size + 8);
    for (f, _) in &frames {
        match *f {
            Frame::Packed { base, w } => {
                out.push(w as u8);
                put_i64(out, base);
            }
            Frame::RiceZigzag { k } => out.push(RICE_ZIGZAG | k as u8),
            Frame::RiceAbove { base, k } => {
                out.push(RICE_ABOVE | k as u8);
                put_i64(out, base);
            }
        }
    }
    let mut w = rice::Writer::new(std::mem::take(out));
    for ((f, _), d) in frames.iter().zip(deltas.chunks(FRAME)) {
        match *f {
            Frame::Packed { base, w: width } => {
                for &x in d {
                    w.put(unzigzag(x).wrapping_sub(base) as u64, width);
                }
            }
            Frame::RiceZigzag { k } => {
                for &x in d {
                    w.rice(x, k);
                }
            }
            Frame::RiceAbove { base, k } => {
                for &x in d {
                    w.rice(unzigzag(x).wrapping_sub(base) as u64, k);
                }
            }
        }
    }
    *out = w.finish();
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
        FRAMES => {
            let g = r.u64()? as i64;
            if count > 0 {
                let n_frames = (count - 1).div_ceil(FRAME);
                let mut frames = Vec::with_capacity(n_frames);
                for _ in 0..n_frames {
                    let tag = r.u8()?;
                    frames.push(match tag {
                        0..=64 => Frame::Packed {
                            base: r.i64()?,
                            w: tag as u32,
                        },
                        _ if tag & 0xC0 == RICE_ZIGZAG && (tag & 0x3F) as u32 <= rice::MAX_K => {
                            Frame::RiceZigzag {
                                k: (tag & 0x3F) as u32,
                            }
                        }
                        _ if tag & 0xC0 == RICE_ABOVE && (tag & 0x3F) as u32 <= rice::MAX_K => {
                            Frame::RiceAbove {
                                base: r.i64()?,
                                k: (tag & 0x3F) as u32,
                            }
                        }
                        _ => return Err(CodecError::Invalid("frame tag")),
                    });
                }
                let start = r.pos();
                let mut bits = rice::Reader::new(r.rest());
                let mut prev = first;
                // The output is sized once and written through a slice.
                let at = out.len();
                out.resize(at + count, 0);
                out[at] = first;
                let mut dst = &mut out[at + 1..];
                let mut buf = [0u64; FRAME];
                for f in frames {
                    let n = dst.len().min(FRAME);
                    let buf = &mut buf[..n];
                    // Values first, then the running sum: two short loops the compiler
                    // keeps tight.
                    let read = match f {
                        Frame::Packed { w, .. } => buf.iter_mut().try_for_each(|x| {
                            *x = bits.get(w)?;
                            Ok(())
                        }),
                        Frame::RiceZigzag { k } | Frame::RiceAbove { k, .. } => {
                            buf.iter_mut().try_for_each(|x| {
                                *x = bits.rice(k)?;
                                Ok(())
                            })
                        }
                    };
                    if let Err(e) = read {
                        out.truncate(at);
                        return Err(e);
                    }
                    let (head, rest) = std::mem::take(&mut dst).split_at_mut(n);
                    dst = rest;
                    match f {
                        Frame::RiceZigzag { .. } => {
                            for (o, &x) in head.iter_mut().zip(buf.iter()) {
                                prev = prev.wrapping_add(unzigzag(x).wrapping_mul(g));
                                *o = prev;
                            }
                        }
                        Frame::Packed { base, .. } | Frame::RiceAbove { base, .. } => {
                            for (o, &x) in head.iter_mut().zip(buf.iter()) {
                                prev =
                                    prev.wrapping_add(base.wrapping_add(x as i64).wrapping_mul(g));
                                *o = prev;
                            }
                        }
                    }
                }
                return Ok(start + bits.bytes_used());
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
    fn frames_choose_rice_for_noise_and_survive_outliers() {
        // Gaussian-like noise around a slow walk, with a jump (a motor starting) and a
        // counter whose deltas are all positive.
        let mut x = 1000i64;
        let mut seed = 7u64;
        let noisy: Vec<i64> = (0..4096)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = ((seed >> 33) % 61) as i64 + ((seed >> 13) % 61) as i64 - 60;
                if i == 2000 {
                    x += 1 << 40;
                }
                x += noise / 8;
                x + noise
            })
            .collect();
        let mut out = Vec::new();
        encode(&noisy, &mut out);
        assert_eq!(out[0], FRAMES);
        // What frames of reference alone would take.
        let deltas: Vec<u64> = noisy.windows(2).map(|w| zigzag(w[1] - w[0])).collect();
        let packed: usize = deltas
            .chunks(FRAME)
            .map(|f| 2 + (frame_of_reference(f).1 as usize * f.len()).div_ceil(8))
            .sum();
        assert!(out.len() * 100 < packed * 95, "{} vs {packed}", out.len());
        round_trip(&noisy);
        let counter: Vec<i64> = (0..3000)
            .scan(5i64, |c, i| {
                *c += 3 + (i * 7919 % 4);
                Some(*c)
            })
            .collect();
        round_trip(&counter);
        for n in [2, 3, 128, 129, 130, 257] {
            round_trip(&noisy[..n]);
        }
    }

    #[test]
    fn hostile() {
        assert!(decode(&[FRAMES, 0, 1, 0x7f], 3, &mut Vec::new()).is_err());
        assert!(decode(&[FRAMES, 0, 1, RICE_ZIGZAG | 60], 3, &mut Vec::new()).is_err());
        assert!(decode(&[FRAMES, 0, 1, RICE_ZIGZAG | 3], 3, &mut Vec::new()).is_err());
        assert!(decode(&[FRAMES, 0, 1, RICE_ABOVE | 3], 3, &mut Vec::new()).is_err());
        assert!(decode(&[FRAMES, 0, 1, 64, 0], 3, &mut Vec::new()).is_err());
        let mut v = Vec::new();
        assert!(decode(&[], 1, &mut v).is_err());
        assert!(decode(&[7, 0], 1, &mut v).is_err());
        assert!(decode(&[PACKED, 0, 1, 0, 65], 3, &mut v).is_err());
        assert!(decode(&[PACKED, 0, 1, 0, 8, 1], 3, &mut v).is_err());
        assert!(decode(&[VARINT, 0, 1, 1], 3, &mut v).is_err());
    }
}
