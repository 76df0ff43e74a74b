//! The gateway's counters as its health telemetry stored them: rates over a window.
//!
//! The platform stamps each report when it ingests it, so a report that waited behind a
//! few data messages carries a later time than it was sent at. The rate is therefore the
//! least-squares slope over every report in the window (about one a second), which one
//! late report moves far less than it moves the difference of the first and the last.

use crate::api::Stored;

/// A counter's change over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    pub first: u64,
    pub last: u64,
    pub seconds: f64,
}

impl Delta {
    pub fn per_second(&self) -> f64 {
        self.last.saturating_sub(self.first) as f64 / self.seconds.max(1e-9)
    }
}

/// From the first report at or after `from_ms` to the last at or before `to_ms` (reports
/// sorted or not); `None` with fewer than two reports in the window.
pub fn delta(reports: &[Stored], from_ms: i64, to_ms: i64) -> Option<Delta> {
    let mut inside: Vec<(i64, u64)> = reports
        .iter()
        .filter(|s| s.ts_ms >= from_ms && s.ts_ms <= to_ms)
        .filter_map(|s| Some((s.ts_ms, value_u64(&s.value)?)))
        .collect();
    inside.sort_unstable();
    let (&(t0, v0), &(t1, v1)) = (inside.first()?, inside.last()?);
    (t1 > t0).then(|| Delta {
        first: v0,
        last: v1,
        seconds: (t1 - t0) as f64 / 1000.0,
    })
}

/// A counter's rate over a window, fitted to every report in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    /// From the first to the last report in the window.
    pub seconds: f64,
    pub reports: usize,
}

/// The least-squares slope of the counter over the reports in `[from_ms, to_ms]`; `None`
/// with fewer than two reports there.
pub fn rate(reports: &[Stored], from_ms: i64, to_ms: i64) -> Option<Rate> {
    let pts: Vec<(f64, f64)> = reports
        .iter()
        .filter(|s| s.ts_ms >= from_ms && s.ts_ms <= to_ms)
        .filter_map(|s| {
            Some((
                (s.ts_ms - from_ms) as f64 / 1000.0,
                value_u64(&s.value)? as f64,
            ))
        })
        .collect();
    let n = pts.len() as f64;
    let (x0, x1) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if pts.len() < 2 || x1 <= x0 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    Some(Rate {
        per_second: sxy / sxx,
        seconds: x1 - x0,
        reports: pts.len(),
    })
}

/// The value nearest to `at_ms`.
pub fn nearest(reports: &[Stored], at_ms: i64) -> Option<u64> {
    reports
        .iter()
        .filter_map(|s| Some(((s.ts_ms - at_ms).abs(), value_u64(&s.value)?)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn value_u64(v: &serde_json::Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn s(ts_ms: i64, v: u64) -> Stored {
        Stored {
            ts_ms,
            value: json!(v),
        }
    }

    #[test]
    fn rate_between_the_first_and_last_report_inside() {
        let r = vec![
            s(9_000, 50),
            s(12_000, 700),
            s(10_050, 100),
            s(11_050, 400),
            s(30_000, 9_999),
        ];
        let d = delta(&r, 10_000, 12_500).unwrap();
        assert_eq!((d.first, d.last), (100, 700));
        assert!((d.seconds - 1.95).abs() < 1e-9);
        assert!((d.per_second() - 600.0 / 1.95).abs() < 1e-9);
        assert!(delta(&r, 10_000, 10_500).is_none());
        assert_eq!(nearest(&r, 11_000), Some(400));
        // Stored as floats by a schemaless product: still counted.
        let f = vec![
            Stored {
                ts_ms: 1,
                value: json!(10.0),
            },
            Stored {
                ts_ms: 1001,
                value: json!(20.0),
            },
        ];
        assert_eq!(delta(&f, 0, 2000).unwrap().per_second(), 10.0);
    }

    #[test]
    fn fitted_rate_shrugs_off_one_late_report() {
        // 1000 per second, reported every second; one report stamped 400 ms late.
        let mut r: Vec<Stored> = (0..=20).map(|i| s(i * 1000, 1000 * i as u64)).collect();
        let exact = rate(&r, 0, 20_000).unwrap();
        assert!((exact.per_second - 1000.0).abs() < 1e-6);
        assert_eq!((exact.reports, exact.seconds), (21, 20.0));
        r[0].ts_ms = 400; // the first one late: first-to-last would say 1020.4/s
        r[0].value = json!(0);
        let fitted = rate(&r, 0, 20_000).unwrap();
        assert!((fitted.per_second - 1000.0).abs() < 10.0, "{fitted:?}");
        assert!(rate(&r[..1], 0, 20_000).is_none());
    }
}
