//! Timestamps: the common divisor (s, ms or µs) is taken out, then the first value and the
//! first delta are varints and every further point is a delta-of-delta, either in a prefix
//! code (one bit for a point on a regular grid) or as runs (the number of points on the
//! grid, then the delta-of-delta that leaves it, as varints: a chunk of a device sampled
//! at a fixed interval costs a few bytes in all). The smaller one is written.

use super::bits::{BitReader, BitWriter};
use super::varint::{Reader, put_i64, put_u64, zigzag};
use super::{CodecError, MAX_CHUNK_POINTS};

const DIVISORS: [i64; 3] = [1_000_000, 1_000, 1];
/// Added to the divisor's code when the deltas-of-deltas are written as runs.
const RUNS: u8 = 3;

/// Encodes timestamps (microseconds) in order as given.
pub fn encode(ts: &[i64], out: &mut Vec<u8>) {
    // Each divisor a constant, so dividing is a multiplication (flushes and compactions
    // divide every timestamp).
    if multiples::<1_000_000>(ts) {
        encode_with::<1_000_000>(0, ts, out)
    } else if multiples::<1_000>(ts) {
        encode_with::<1_000>(1, ts, out)
    } else {
        encode_with::<1>(2, ts, out)
    }
}

fn multiples<const D: i64>(ts: &[i64]) -> bool {
    ts.iter().all(|t| t % D == 0)
}

fn encode_with<const DIV: i64>(div_code: u8, ts: &[i64], out: &mut Vec<u8>) {
    debug_assert_eq!(DIVISORS[div_code as usize], DIV);
    let mark = out.len();
    out.push(div_code);
    let Some(&first) = ts.first() else {
        return;
    };
    put_i64(out, first / DIV);
    if ts.len() < 2 {
        return;
    }
    let mut prev = first / DIV;
    let mut prev_delta = (ts[1] / DIV).wrapping_sub(prev);
    put_i64(out, prev_delta);
    prev = ts[1] / DIV;
    let head = out.len();
    let mut w = BitWriter::with_capacity(ts.len() / 8 + 8);
    // The same deltas-of-deltas as runs: (points on the grid, the one that leaves it).
    let mut runs: Vec<u8> = Vec::new();
    let mut run = 0u64;
    for &t in &ts[2..] {
        let t = t / DIV;
        let delta = t.wrapping_sub(prev);
        let dod = zigzag(delta.wrapping_sub(prev_delta));
        if dod == 0 {
            w.write(0, 1);
            run += 1;
        } else {
            put_u64(&mut runs, run);
            put_u64(&mut runs, dod);
            run = 0;
            if dod < 1 << 7 {
                w.write(0b10, 2);
                w.write(dod, 7);
            } else if dod < 1 << 9 {
                w.write(0b110, 3);
                w.write(dod, 9);
            } else if dod < 1 << 12 {
                w.write(0b1110, 4);
                w.write(dod, 12);
            } else if dod < 1 << 32 {
                w.write(0b11110, 5);
                w.write(dod, 32);
            } else {
                w.write(0b11111, 5);
                w.write(dod, 64);
            }
        }
        prev_delta = delta;
        prev = t;
    }
    if run > 0 {
        put_u64(&mut runs, run);
    }
    let bits = w.finish();
    if runs.len() < bits.len() {
        out[mark] = div_code + RUNS;
        debug_assert_eq!(out.len(), head);
        out.extend_from_slice(&runs);
    } else {
        out.extend_from_slice(&bits);
    }
}

/// Decodes `count` timestamps.
pub fn decode(data: &[u8], count: usize, out: &mut Vec<i64>) -> Result<(), CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    let code = r.u8()?;
    let runs = code >= RUNS;
    let div_code = (code % RUNS) as usize;
    if code >= 2 * RUNS {
        return Err(CodecError::UnknownEncoding(code));
    }
    let div = DIVISORS[div_code];
    out.reserve(count);
    if count == 0 {
        return Ok(());
    }
    let mut prev = r.i64()?;
    out.push(prev.wrapping_mul(div));
    if count == 1 {
        return Ok(());
    }
    let mut delta = r.i64()?;
    prev = prev.wrapping_add(delta);
    out.push(prev.wrapping_mul(div));
    if runs {
        // Runs of points on the grid, each (but a last one) followed by the one leaving it.
        let mut left = count - 2;
        while left > 0 {
            let run = r.len(left)?;
            for _ in 0..run {
                prev = prev.wrapping_add(delta);
                out.push(prev.wrapping_mul(div));
            }
            left -= run;
            if left == 0 {
                break;
            }
            let dod = r.u64()?;
            if dod == 0 {
                return Err(CodecError::Invalid("a run ends without leaving the grid"));
            }
            delta = delta.wrapping_add(super::varint::unzigzag(dod));
            prev = prev.wrapping_add(delta);
            out.push(prev.wrapping_mul(div));
            left -= 1;
        }
        return Ok(());
    }
    let mut bits = BitReader::new(r.rest());
    for _ in 2..count {
        let ones = bits.read_unary_ones(5)?;
        let dod = match ones {
            0 => 0,
            1 => bits.read(7)?,
            2 => bits.read(9)?,
            3 => bits.read(12)?,
            4 => bits.read(32)?,
            _ => bits.read(64)?,
        };
        delta = delta.wrapping_add(super::varint::unzigzag(dod));
        prev = prev.wrapping_add(delta);
        out.push(prev.wrapping_mul(div));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ts: &[i64]) -> usize {
        let mut out = Vec::new();
        encode(ts, &mut out);
        let mut back = Vec::new();
        decode(&out, ts.len(), &mut back).unwrap();
        assert_eq!(back, ts);
        out.len()
    }

    #[test]
    fn a_regular_grid_costs_a_few_bytes() {
        let ts: Vec<i64> = (0..8640)
            .map(|i| 1_767_225_600_000_000 + i * 10_000_000)
            .collect();
        let bytes = round_trip(&ts);
        assert!(bytes <= 12, "{bytes} bytes");
        // With a few gaps (a device offline now and then): a few bytes per gap.
        let gaps: Vec<i64> = ts
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 1000 > 2)
            .map(|(_, &t)| t)
            .collect();
        let bytes = round_trip(&gaps);
        assert!(bytes <= 12 + 9 * 6, "{bytes} bytes");
        // Jitter on every point: the prefix code, about a byte per point at most.
        let jitter: Vec<i64> = (0..1000i64)
            .map(|i| 1_767_225_600_000 + i * 1000 + (i * 37 % 11))
            .map(|ms| ms * 1000)
            .collect();
        let mut out = Vec::new();
        encode(&jitter, &mut out);
        assert_eq!(out[0], 1, "the bit-coded form, in milliseconds");
        assert!(round_trip(&jitter) < 1000 * 12 / 8 + 16);
    }

    #[test]
    fn irregular_and_extreme() {
        round_trip(&[]);
        round_trip(&[5]);
        round_trip(&[i64::MIN, i64::MAX]);
        round_trip(&[i64::MIN, 0, i64::MAX, -5, 3, 3, 3, 1 << 40]);
        let jitter: Vec<i64> = (0..1000).map(|i| i * 1_000_123 + (i * i % 977)).collect();
        round_trip(&jitter);
        let ms: Vec<i64> = (0..1000).map(|i| i * 1000 * (1 + i % 7)).collect();
        round_trip(&ms);
    }

    #[test]
    fn hostile_input_is_an_error() {
        let mut v = Vec::new();
        assert!(decode(&[], 1, &mut v).is_err());
        assert!(decode(&[9, 0], 1, &mut v).is_err());
        assert!(decode(&[6, 0], 1, &mut v).is_err());
        // Runs longer than the chunk, a run ending on the grid, a missing delta.
        assert!(decode(&[3, 2, 2, 50], 10, &mut v).is_err());
        assert!(decode(&[3, 2, 2, 1, 0, 1], 10, &mut v).is_err());
        assert!(decode(&[3, 2, 2, 1], 10, &mut v).is_err());
        assert!(decode(&[0, 2, 2, 0xff], 100, &mut v).is_err());
        assert!(decode(&[0, 2, 2], MAX_CHUNK_POINTS + 1, &mut v).is_err());
    }
}
