//! A device's velocity trend, kept in the state: one point per interval (the mean of the
//! readings in it, at their mean time), and a least-squares line through it.

use ironloom::{obj, Json};

const DAY_MS: f64 = 86_400_000.0;

/// One-sided 95 % quantiles of Student's t for 1…30 degrees of freedom (the last one is
/// used beyond 30, which errs on the cautious side).
const T95: [f64; 30] = [
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771,
    1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706,
    1.703, 1.701, 1.699, 1.697,
];

/// The interval being filled: its start, the readings' count, the sum of their values and
/// of their times after the start.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    start: i64,
    n: f64,
    sum_v: f64,
    sum_dt: f64,
}

impl Bucket {
    fn mean(&self) -> (i64, f64) {
        (
            self.start + (self.sum_dt / self.n).round() as i64,
            self.sum_v / self.n,
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trend {
    /// Completed intervals, oldest first: (mean time in ms, mean value).
    done: Vec<(i64, f64)>,
    bucket: Option<Bucket>,
}

impl Trend {
    /// `{"points": [[ts, v]…], "bucket": {"start", "n", "sum_v", "sum_dt"}}`; anything
    /// unreadable starts afresh.
    pub fn read(json: &Json) -> Trend {
        let done = json["points"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p[0].as_i64()?, p[1].as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let b = &json["bucket"];
        let bucket = match (
            b["start"].as_i64(),
            b.number("n"),
            b.number("sum_v"),
            b.number("sum_dt"),
        ) {
            (Some(start), Some(n), Some(sum_v), Some(sum_dt)) if n >= 1.0 => Some(Bucket {
                start,
                n,
                sum_v,
                sum_dt,
            }),
            _ => None,
        };
        Trend { done, bucket }
    }

    pub fn to_json(&self) -> Json {
        let points: Vec<Json> = self
            .done
            .iter()
            .map(|&(t, v)| Json::from(vec![Json::from(t), Json::from(v)]))
            .collect();
        let bucket = self.bucket.map(|b| {
            obj! {"start" => b.start, "n" => b.n, "sum_v" => b.sum_v, "sum_dt" => b.sum_dt}
        });
        obj! {"points" => points, "bucket" => bucket}
    }

    /// Adds a reading at `ts` to the interval (of `interval_ms`) it falls in; a reading
    /// older than the interval being filled is left out (it arrived late).
    pub fn add(&mut self, ts: i64, v: f64, interval_ms: i64) {
        let interval = interval_ms.max(60_000);
        let start = ts.div_euclid(interval) * interval;
        match &mut self.bucket {
            Some(b) if b.start == start => {
                b.n += 1.0;
                b.sum_v += v;
                b.sum_dt += (ts - start) as f64;
                return;
            }
            Some(b) if b.start > start => return,
            Some(b) => self.done.push(b.mean()),
            None => {}
        }
        self.bucket = Some(Bucket {
            start,
            n: 1.0,
            sum_v: v,
            sum_dt: (ts - start) as f64,
        });
    }

    /// Keeps the newest `n` completed intervals.
    pub fn keep(&mut self, n: usize) {
        if self.done.len() > n {
            self.done.drain(..self.done.len() - n);
        }
    }

    /// The completed intervals and the one being filled.
    pub fn points(&self) -> Vec<(i64, f64)> {
        let mut p = self.done.clone();
        p.extend(self.bucket.map(|b| b.mean()));
        p
    }
}

/// Days until the least-squares line through `points` reaches `limit`, from the line's
/// value at the newest point: `None` with fewer than `min_points` (at least 3) points, or
/// unless the slope is positive at 95 % confidence (one-sided t test on the slope);
/// 0 when the line is at or above the limit already.
pub fn days_to_limit(points: &[(i64, f64)], limit: f64, min_points: usize) -> Option<f64> {
    let n = points.len();
    if n < min_points.max(3) {
        return None;
    }
    let t0 = points[0].0;
    let xs: Vec<f64> = points.iter().map(|p| (p.0 - t0) as f64 / DAY_MS).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let nf = n as f64;
    let (xm, ym) = (xs.iter().sum::<f64>() / nf, ys.iter().sum::<f64>() / nf);
    let sxx: f64 = xs.iter().map(|x| (x - xm) * (x - xm)).sum();
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - xm) * (y - ym)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = ym - slope * xm;
    if slope <= 0.0 {
        return None;
    }
    let sse: f64 = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (y - intercept - slope * x).powi(2))
        .sum();
    let se = (sse / (nf - 2.0) / sxx).sqrt();
    if se > 0.0 && slope / se < T95[(n - 2).min(T95.len()) - 1] {
        return None;
    }
    let now = intercept + slope * xs[n - 1];
    Some(((limit - now) / slope).max(0.0))
}

/// Native tests (`crates/apps/tests/rust_sdk.rs` runs them): `rustc --test` with the SDK
/// as an rlib, see sdk/rust/README.md.
#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn readings_are_averaged_per_interval_and_late_ones_left_out() {
        let mut t = Trend::default();
        t.add(10 * H + 600_000, 1.0, H);
        t.add(10 * H + 1_800_000, 2.0, H);
        assert_eq!(t.points(), vec![(10 * H + 1_200_000, 1.5)]);
        t.add(12 * H, 4.0, H);
        t.add(11 * H, 9.0, H); // older than the interval being filled
        assert_eq!(t.points(), vec![(10 * H + 1_200_000, 1.5), (12 * H, 4.0)]);
        let back = Trend::read(&t.to_json());
        assert_eq!(back, t);
        t.add(13 * H, 5.0, H);
        t.keep(1);
        assert_eq!(t.points(), vec![(12 * H, 4.0), (13 * H, 5.0)]);
        assert_eq!(Trend::read(&Json::from("junk")), Trend::default());
    }

    #[test]
    fn days_to_the_limit_only_from_a_significant_rise() {
        let day = DAY_MS as i64;
        let line: Vec<(i64, f64)> = (0..7).map(|d| (d * day, 1.0 + 0.1 * d as f64)).collect();
        let days = days_to_limit(&line, 2.8, 6).unwrap();
        assert!((days - 12.0).abs() < 1e-9, "{days}");
        assert_eq!(days_to_limit(&line, 1.2, 6), Some(0.0));
        assert_eq!(days_to_limit(&line[..5], 2.8, 6), None);
        let falling: Vec<(i64, f64)> = line.iter().map(|&(t, v)| (t, 3.0 - v)).collect();
        assert_eq!(days_to_limit(&falling, 2.8, 3), None);
        let flat: Vec<(i64, f64)> = line.iter().map(|&(t, _)| (t, 1.0)).collect();
        assert_eq!(days_to_limit(&flat, 2.8, 3), None);
        let same_time = vec![(0, 1.0), (0, 2.0), (0, 3.0)];
        assert_eq!(days_to_limit(&same_time, 2.8, 3), None);
    }
}
