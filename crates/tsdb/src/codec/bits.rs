//! Bit-level writer and reader (most significant bit first), the substrate of the
//! timestamp and Gorilla encoders and of bit-packed integers.

use super::CodecError;

/// Appends bits to a byte vector.
#[derive(Debug, Default)]
pub struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    /// Number of valid bits in `acc` (always < 8 between calls).
    n: u32,
}

impl BitWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            out: Vec::with_capacity(bytes),
            acc: 0,
            n: 0,
        }
    }

    /// Writes the low `bits` bits of `value` (`bits` ≤ 64).
    #[inline]
    pub fn write(&mut self, value: u64, bits: u32) {
        debug_assert!(bits <= 64);
        if bits == 0 {
            return;
        }
        if bits > 56 {
            // Split so the accumulator never overflows.
            self.write(value >> 32, bits - 32);
            self.write(value & 0xffff_ffff, 32);
            return;
        }
        let v = if bits == 64 {
            value
        } else {
            value & ((1u64 << bits) - 1)
        };
        self.acc = (self.acc << bits) | v;
        self.n += bits;
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
        self.acc &= (1u64 << self.n) - 1;
    }

    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.write(bit as u64, 1);
    }

    /// Pads to a byte boundary with zero bits and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }

    /// Bits written so far.
    pub fn bit_len(&self) -> usize {
        self.out.len() * 8 + self.n as usize
    }
}

/// Reads bits written by [`BitWriter`]. Reading past the end is an error, never a panic.
#[derive(Debug)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Next bit position.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    #[inline]
    pub fn read(&mut self, bits: u32) -> Result<u64, CodecError> {
        debug_assert!(bits <= 64);
        if bits == 0 {
            return Ok(0);
        }
        if self.pos + bits as usize > self.data.len() * 8 {
            return Err(CodecError::Truncated);
        }
        let byte = self.pos / 8;
        let offset = (self.pos % 8) as u32;
        if bits <= 56 && byte + 8 <= self.data.len() {
            // Fast path: one unaligned 64-bit load covers offset + bits ≤ 63 bits.
            let mut word = [0u8; 8];
            word.copy_from_slice(&self.data[byte..byte + 8]);
            let w = u64::from_be_bytes(word) << offset;
            self.pos += bits as usize;
            return Ok(w >> (64 - bits));
        }
        let mut remaining = bits;
        let mut out: u64 = 0;
        while remaining > 0 {
            let byte = self.data[self.pos / 8];
            let offset = (self.pos % 8) as u32;
            let avail = 8 - offset;
            let take = avail.min(remaining);
            let chunk = ((byte as u32) >> (avail - take)) & ((1u32 << take) - 1);
            out = (out << take) | chunk as u64;
            remaining -= take;
            self.pos += take as usize;
        }
        Ok(out)
    }

    #[inline]
    pub fn read_bit(&mut self) -> Result<bool, CodecError> {
        if self.pos >= self.data.len() * 8 {
            return Err(CodecError::Truncated);
        }
        let byte = self.data[self.pos / 8];
        let bit = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Ok(bit == 1)
    }

    /// Counts leading one bits, up to `max` (used by prefix codes).
    #[inline]
    pub fn read_unary_ones(&mut self, max: u32) -> Result<u32, CodecError> {
        let mut n = 0;
        while n < max && self.read_bit()? {
            n += 1;
        }
        Ok(n)
    }

    /// Bytes consumed, rounding a partial byte up.
    pub fn byte_pos(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_mixed_widths() {
        let mut w = BitWriter::default();
        let items: Vec<(u64, u32)> = (0..2000u64)
            .map(|i| {
                let bits = (i % 64 + 1) as u32;
                let v = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let v = if bits == 64 { v } else { v & ((1 << bits) - 1) };
                (v, bits)
            })
            .collect();
        for &(v, b) in &items {
            w.write(v, b);
        }
        let total = w.bit_len();
        let bytes = w.finish();
        assert_eq!(bytes.len(), total.div_ceil(8));
        let mut r = BitReader::new(&bytes);
        for &(v, b) in &items {
            assert_eq!(r.read(b).unwrap(), v, "width {b}");
        }
    }

    #[test]
    fn reading_past_end_is_an_error() {
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.read(8).unwrap(), 0xff);
        assert!(r.read(1).is_err());
        assert!(r.read_bit().is_err());
    }
}
