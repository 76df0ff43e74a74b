//! Latency statistics: an HDR-style histogram for many samples and nearest-rank
//! percentiles for a few.

use serde::Serialize;

/// The nearest-rank percentile `p` (0 < p ≤ 100) of `sorted` (ascending).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

const SUB: u64 = 64;
/// Values up to 2^40 µs (about 12 days) have a bucket; larger ones land in the last.
const BUCKETS: usize = (2 * SUB + (40 - 6) * SUB) as usize;

/// A latency histogram in microseconds, HDR-style: exact below 128 µs, then 64 buckets per
/// power of two (every value within 1/64 ≈ 1.6 % of its bucket). Each connection keeps its
/// own and they are merged at the end, so recording is a shift and an increment.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    n: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("n", &self.n)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn index(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let msb = 63 - u64::from(v.leading_zeros());
    let shift = msb - 6;
    ((shift * SUB + (v >> shift)) as usize).min(BUCKETS - 1)
}

/// The largest value that lands in bucket `i`.
fn highest(i: usize) -> u64 {
    let i = i as u64;
    if i < 2 * SUB {
        return i;
    }
    let shift = i / SUB - 1;
    let m = i % SUB + SUB;
    ((m + 1) << shift) - 1
}

/// A summary in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            n: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    pub fn record(&mut self, us: u64) {
        self.counts[index(us)] += 1;
        self.n += 1;
        self.sum += u128::from(us);
        self.min = self.min.min(us);
        self.max = self.max.max(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.n += other.n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// The value at quantile `q` (0..=1): the highest value of the bucket holding it,
    /// never above the largest value recorded.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return highest(i).min(self.max);
            }
        }
        self.max
    }

    pub fn summary(&self) -> Summary {
        Summary {
            count: self.n,
            mean_us: if self.n == 0 {
                0.0
            } else {
                self.sum as f64 / self.n as f64
            },
            p50_us: self.quantile(0.50),
            p99_us: self.quantile(0.99),
            p999_us: self.quantile(0.999),
            max_us: if self.n == 0 { 0 } else { self.max },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(10.0));
        assert_eq!(percentile(&v, 90.0), Some(18.0));
        assert_eq!(percentile(&v, 95.0), Some(19.0));
        assert_eq!(percentile(&v, 100.0), Some(20.0));
        assert_eq!(percentile(&v, 0.1), Some(1.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn buckets_are_contiguous_and_tight() {
        let mut prev = 0;
        for v in 0..5_000_000u64 {
            let i = index(v);
            assert!(i == prev || i == prev + 1, "gap at {v}");
            prev = i;
            let hi = highest(i);
            assert!(hi >= v, "{v} above its bucket's highest {hi}");
            assert!((hi - v) as f64 <= v as f64 / 64.0 + 1.0, "{v}: {hi}");
        }
    }

    #[test]
    fn quantiles_of_a_uniform_sample() {
        let mut h = Histogram::new();
        for v in 1..=10_000 {
            h.record(v);
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        assert_eq!(s.max_us, 10_000);
        assert!((s.mean_us - 5000.5).abs() < 1e-9);
        for (q, want) in [(0.5, 5000.0), (0.99, 9900.0), (0.999, 9990.0)] {
            let got = h.quantile(q) as f64;
            assert!(got >= want && got <= want * 1.016, "q{q}: {got}");
        }
        assert_eq!(h.quantile(0.0), 1);
    }

    #[test]
    fn merging_adds_counts() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(1_000_000);
        b.record(20);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.quantile(0.5), 20);
        assert_eq!(a.summary().max_us, 1_000_000);
        assert_eq!(Histogram::new().summary(), Summary::default());
    }
}
