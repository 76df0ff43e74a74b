//! Quality flags (0 good, 1 uncertain, 2 bad): one byte when every point is good, else
//! run lengths.

use super::varint::{Reader, put_u64};
use super::{CodecError, MAX_CHUNK_POINTS};

const ALL_GOOD: u8 = 0;
const RUNS: u8 = 1;

pub fn encode(q: &[u8], out: &mut Vec<u8>) {
    if q.iter().all(|&x| x == 0) {
        out.push(ALL_GOOD);
        return;
    }
    out.push(RUNS);
    let mut runs = Vec::new();
    let mut i = 0;
    while i < q.len() {
        let mut j = i + 1;
        while j < q.len() && q[j] == q[i] {
            j += 1;
        }
        runs.push((q[i], j - i));
        i = j;
    }
    put_u64(out, runs.len() as u64);
    for (v, n) in runs {
        out.push(v);
        put_u64(out, n as u64);
    }
}

/// Decodes into `out`; returns `false` (and leaves `out` alone) when every point is good.
pub fn decode(data: &[u8], count: usize, out: &mut Vec<u8>) -> Result<bool, CodecError> {
    if count > MAX_CHUNK_POINTS {
        return Err(CodecError::Invalid("too many points"));
    }
    let mut r = Reader::new(data);
    match r.u8()? {
        ALL_GOOD => Ok(false),
        RUNS => {
            let n = r.len(count)?;
            let mut total = 0;
            out.reserve(count);
            for _ in 0..n {
                let v = r.u8()?;
                if v > 2 {
                    return Err(CodecError::Invalid("quality flag out of range"));
                }
                let run = r.len(count - total)?;
                total += run;
                out.extend(std::iter::repeat_n(v, run));
            }
            if total != count {
                return Err(CodecError::Invalid("runs do not add up to the count"));
            }
            Ok(true)
        }
        m => Err(CodecError::UnknownEncoding(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut out = Vec::new();
        encode(&[0; 100], &mut out);
        assert_eq!(out, [ALL_GOOD]);
        let mut q = Vec::new();
        assert!(!decode(&out, 100, &mut q).unwrap());
        let mixed: Vec<u8> = (0..300)
            .map(|i| if i / 50 % 3 == 1 { 2 } else { i as u8 % 2 })
            .collect();
        let mut out = Vec::new();
        encode(&mixed, &mut out);
        assert!(decode(&out, mixed.len(), &mut q).unwrap());
        assert_eq!(q, mixed);
        assert!(decode(&[RUNS, 1, 3, 5], 5, &mut Vec::new()).is_err());
        assert!(decode(&[RUNS, 1, 1, 4], 5, &mut Vec::new()).is_err());
    }
}
