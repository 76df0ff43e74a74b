//! Strings: a dictionary of the distinct values in order of first appearance, then one
//! bit-packed index per point (zero bits when the column is constant).

use super::bits::{BitReader, BitWriter};
use super::varint::{Reader, put_block, put_u64};
use super::{CodecError, MAX_CHUNK_POINTS};
use std::collections::HashMap;

pub fn encode<S: AsRef<str>>(values: &[S], out: &mut Vec<u8>) {
    let mut dict: HashMap<&str, u64> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut idx = Vec::with_capacity(values.len());
    for v in values {
        let s = v.as_ref();
        let next = order.len() as u64;
        let i = *dict.entry(s).or_insert_with(|| {
            order.push(s);
            next
        });
        idx.push(i);
    }
    put_u64(out, order.len() as u64);
    for s in &order {
        put_block(out, s.as_bytes());
    }
    let width = bit_width(order.len());
    let mut w = BitWriter::with_capacity(values.len() * width as usize / 8 + 1);
    for i in idx {
        w.write(i, width);
    }
    out.extend_from_slice(&w.finish());
}

fn bit_width(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

pub fn decode(data: &[u8], count: usize, out: &mut Vec<String>) -> Result<(), CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    let n = r.len(count.max(1))?;
    let mut dict = Vec::with_capacity(n);
    for _ in 0..n {
        let b = r.block()?;
        dict.push(std::str::from_utf8(b).map_err(|_| CodecError::Invalid("string is not UTF-8"))?);
    }
    if count > 0 && dict.is_empty() {
        return Err(CodecError::Invalid("empty dictionary"));
    }
    let width = bit_width(n);
    let mut bits = BitReader::new(r.rest());
    out.reserve(count);
    for _ in 0..count {
        let i = bits.read(width)? as usize;
        let s = dict
            .get(i)
            .ok_or(CodecError::Invalid("dictionary index out of range"))?;
        out.push((*s).to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &[&str]) -> usize {
        let mut out = Vec::new();
        encode(v, &mut out);
        let mut back = Vec::new();
        decode(&out, v.len(), &mut back).unwrap();
        assert_eq!(back, v);
        out.len()
    }

    #[test]
    fn dictionary() {
        round_trip(&[]);
        assert!(round_trip(&["running"; 1000]) < 12);
        let states = ["idle", "running", "fault", "运行中", ""];
        let v: Vec<&str> = (0..999).map(|i| states[i * 7 % 5]).collect();
        assert!(round_trip(&v) < 420);
    }

    #[test]
    fn hostile() {
        let mut v = Vec::new();
        assert!(decode(&[0], 1, &mut v).is_err());
        assert!(decode(&[1, 2, 0xff, 0xfe], 1, &mut v).is_err());
        assert!(decode(&[1, 5, b'a'], 1, &mut v).is_err());
        assert!(decode(&[3, 1, b'a', 1, b'b', 1, b'c', 0xff], 2, &mut v).is_err());
    }
}
