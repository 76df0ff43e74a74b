//! Frames of small unsigned integers in one little-endian bit stream, each either bit-packed
//! at a fixed width or Rice-coded (Rice, "Some practical universal noiseless coding
//! techniques", JPL 79-22, 1979): a value `v` with parameter `k` is the quotient `v >> k` in
//! unary (that many 0 bits, then a 1) followed by the low `k` bits. Rice codes approach the
//! entropy of the geometric-like distributions that sensor deltas follow, where bit-packing
//! pays the width of the largest value for every value. A quotient of [`LIMIT`] or more is an
//! escape: [`LIMIT`] zeros, the value's width in 7 bits, the value (an outlier such as a
//! motor starting costs tens of bits, never hundreds).

use super::CodecError;

/// Longest unary quotient; larger ones are escaped.
pub const LIMIT: u32 = 24;
/// Largest Rice parameter.
pub const MAX_K: u32 = 56;

fn width(v: u64) -> u32 {
    64 - v.leading_zeros()
}

/// Bits of `values` Rice-coded with parameter `k`.
pub fn rice_bits(values: &[u64], k: u32) -> u64 {
    values
        .iter()
        .map(|&v| {
            let q = v >> k;
            if q < LIMIT as u64 {
                q + 1 + k as u64
            } else {
                (LIMIT + 7 + width(v)) as u64
            }
        })
        .sum()
}

/// The Rice parameter for `values` and the bits it takes: the one near the mean's
/// logarithm (the optimum for a geometric distribution is within one of it) that costs
/// least.
pub fn best_k(values: &[u64]) -> (u32, u64) {
    let n = values.len().max(1) as u128;
    let sum: u128 = values.iter().map(|&v| v as u128).sum();
    let mean = (sum / n) as u64;
    let guess = width(mean).min(MAX_K);
    let mut best = (guess, rice_bits(values, guess));
    for k in [guess.saturating_sub(1), (guess + 1).min(MAX_K)] {
        let bits = rice_bits(values, k);
        if bits < best.1 {
            best = (k, bits);
        }
    }
    best
}

/// Appends bits, least significant first.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
    acc: u64,
    /// Valid bits in `acc`, always < 8 between calls.
    n: u32,
}

impl Writer {
    pub fn new(out: Vec<u8>) -> Self {
        Writer { out, acc: 0, n: 0 }
    }

    /// Writes the low `bits` bits of `v` (`bits` ≤ 64).
    #[inline]
    pub fn put(&mut self, v: u64, bits: u32) {
        if bits > 32 {
            self.put(v & 0xffff_ffff, 32);
            self.put(v >> 32, bits - 32);
            return;
        }
        if bits == 0 {
            return;
        }
        let v = v & ((1u64 << bits) - 1);
        self.acc |= v << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    #[inline]
    pub fn rice(&mut self, v: u64, k: u32) {
        let q = v >> k;
        if q < LIMIT as u64 {
            // q zeros, then a one.
            self.put(1u64 << q, q as u32 + 1);
            self.put(v, k);
        } else {
            self.put(0, LIMIT);
            let w = width(v);
            self.put(w as u64, 7);
            self.put(v, w);
        }
    }

    /// Pads the last byte with zeros and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Reads what [`Writer`] wrote. Reading past the end is an error, never a panic.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    /// Next byte to load into `acc`.
    pos: usize,
    acc: u64,
    /// Valid bits in `acc`.
    n: u32,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    /// Loads bytes until at least 57 bits are valid or the data ends.
    #[inline]
    fn refill(&mut self) {
        if self.n > 56 {
            return;
        }
        if let Some(word) = self.data.get(self.pos..self.pos + 8) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            // Whole bytes that fit; the bits of a partly loaded byte are loaded again (the
            // same bits at the same place) by the next refill.
            let take = (63 - self.n) / 8;
            self.acc |= w << self.n;
            self.pos += take as usize;
            self.n += take * 8;
        } else {
            while self.n <= 56 {
                let Some(&b) = self.data.get(self.pos) else {
                    return;
                };
                self.acc |= (b as u64) << self.n;
                self.pos += 1;
                self.n += 8;
            }
        }
    }

    /// Reads `bits` ≤ 32 bits.
    #[inline(always)]
    fn take(&mut self, bits: u32) -> Result<u64, CodecError> {
        if self.n < bits {
            self.refill();
            if self.n < bits {
                return Err(CodecError::Truncated);
            }
        }
        let v = self.acc & ((1u64 << bits) - 1);
        self.acc = self.acc.checked_shr(bits).unwrap_or(0);
        self.n -= bits;
        Ok(v)
    }

    /// Reads `bits` ≤ 64 bits.
    #[inline]
    pub fn get(&mut self, bits: u32) -> Result<u64, CodecError> {
        if bits > 32 {
            let lo = self.take(32)?;
            let hi = self.take(bits - 32)?;
            return Ok(lo | hi << 32);
        }
        self.take(bits)
    }

    #[inline(always)]
    pub fn rice(&mut self, k: u32) -> Result<u64, CodecError> {
        self.refill();
        let zeros = self.acc.trailing_zeros();
        let used = zeros + 1 + k;
        if zeros < LIMIT && used <= self.n && k < 32 {
            // The quotient, its stop bit and the low bits are all loaded: one shift.
            let low = (self.acc >> (zeros + 1)) & ((1u64 << k) - 1);
            self.acc = self.acc.checked_shr(used).unwrap_or(0);
            self.n -= used;
            return Ok((zeros as u64) << k | low);
        }
        self.rice_slow(k, zeros)
    }

    #[cold]
    fn rice_slow(&mut self, k: u32, zeros: u32) -> Result<u64, CodecError> {
        if zeros >= LIMIT {
            if self.n < LIMIT {
                return Err(CodecError::Truncated);
            }
            self.acc >>= LIMIT;
            self.n -= LIMIT;
            let w = self.take(7)? as u32;
            if w > 64 {
                return Err(CodecError::Invalid("escaped value wider than 64 bits"));
            }
            return self.get(w);
        }
        if zeros >= self.n {
            return Err(CodecError::Truncated);
        }
        self.acc >>= zeros + 1;
        self.n -= zeros + 1;
        let low = self.get(k)?;
        Ok((zeros as u64) << k | low)
    }

    /// Bytes consumed, counting a partly read byte.
    pub fn bytes_used(&self) -> usize {
        self.pos - (self.n / 8) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let values: Vec<u64> = (0..5000u64)
            .map(|i| match i % 7 {
                0 => i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                1 => u64::MAX,
                _ => i % 13,
            })
            .collect();
        for k in [0, 1, 3, 17, 40, MAX_K] {
            let mut w = Writer::default();
            for &v in &values {
                w.rice(v, k);
                w.put(v, 64);
                w.put(v, (v % 65) as u32);
            }
            let bytes = w.finish();
            let mut r = Reader::new(&bytes);
            for &v in &values {
                assert_eq!(r.rice(k).unwrap(), v, "k {k}");
                assert_eq!(r.get(64).unwrap(), v);
                let bits = (v % 65) as u32;
                let want = if bits == 64 {
                    v
                } else {
                    v & ((1u64 << bits) - 1)
                };
                assert_eq!(r.get(bits).unwrap(), want);
            }
            assert_eq!(r.bytes_used(), bytes.len());
            assert!(r.rice(k).is_err() || r.bytes_used() == bytes.len());
        }
    }

    #[test]
    fn cost_matches_what_is_written() {
        let values: Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 300).collect();
        let (k, bits) = best_k(&values);
        let mut w = Writer::default();
        for &v in &values {
            w.rice(v, k);
        }
        assert_eq!(w.finish().len() as u64, bits.div_ceil(8));
        assert!(rice_bits(&values, k) <= rice_bits(&values, 0));
    }

    #[test]
    fn hostile() {
        // All zeros: an escape whose width is 0 → value 0 … until the data ends.
        let zeros = [0u8; 4];
        let mut r = Reader::new(&zeros);
        assert_eq!(r.rice(3).unwrap(), 0);
        assert!(r.rice(3).is_err());
        // An escape announcing 127 bits.
        let mut w = Writer::default();
        w.put(0, LIMIT);
        w.put(127, 7);
        w.put(u64::MAX, 64);
        let bytes = w.finish();
        assert!(Reader::new(&bytes).rice(0).is_err());
        assert!(Reader::new(&[]).rice(0).is_err());
        assert!(Reader::new(&[0xff]).get(9).is_err());
    }
}
