//! Booleans: run lengths when values rarely change, otherwise one bit each.

use super::varint::{Reader, put_u64};
use super::{CodecError, MAX_CHUNK_POINTS};

const BITS: u8 = 0;
const RUNS: u8 = 1;

pub fn encode(values: &[bool], out: &mut Vec<u8>) {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && values[j] == values[i] {
            j += 1;
        }
        runs.push(j - i);
        i = j;
    }
    if runs.len() * 2 < values.len().div_ceil(8) {
        out.push(RUNS);
        out.push(values.first().copied().unwrap_or(false) as u8);
        put_u64(out, runs.len() as u64);
        for r in runs {
            put_u64(out, r as u64);
        }
    } else {
        out.push(BITS);
        for byte in values.chunks(8) {
            let mut b = 0u8;
            for (k, &v) in byte.iter().enumerate() {
                b |= (v as u8) << k;
            }
            out.push(b);
        }
    }
}

pub fn decode(data: &[u8], count: usize, out: &mut Vec<bool>) -> Result<(), CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    out.reserve(count);
    match r.u8()? {
        BITS => {
            let bytes = r.bytes(count.div_ceil(8))?;
            out.extend((0..count).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1));
        }
        RUNS => {
            let mut v = r.u8()? == 1;
            let n = r.len(count)?;
            let mut total = 0usize;
            for _ in 0..n {
                let run = r.len(count - total)?;
                total += run;
                out.extend(std::iter::repeat_n(v, run));
                v = !v;
            }
            if total != count {
                return Err(CodecError::Invalid("runs do not add up to the count"));
            }
        }
        m => return Err(CodecError::UnknownEncoding(m)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &[bool]) -> usize {
        let mut out = Vec::new();
        encode(v, &mut out);
        let mut back = Vec::new();
        decode(&out, v.len(), &mut back).unwrap();
        assert_eq!(back, v);
        out.len()
    }

    #[test]
    fn runs_and_bits() {
        round_trip(&[]);
        assert!(round_trip(&[true; 5000]) < 8);
        let alternating: Vec<bool> = (0..1001).map(|i| i % 2 == 0).collect();
        assert_eq!(round_trip(&alternating), 1 + 126);
        let rare: Vec<bool> = (0..5000).map(|i| (i / 700) % 2 == 0).collect();
        assert!(round_trip(&rare) < 30);
    }

    #[test]
    fn hostile() {
        let mut v = Vec::new();
        assert!(decode(&[BITS], 9, &mut v).is_err());
        assert!(decode(&[RUNS, 0, 1, 5], 4, &mut v).is_err());
        assert!(decode(&[RUNS, 0, 1, 3], 4, &mut v).is_err());
        assert!(decode(&[3], 1, &mut v).is_err());
    }
}
