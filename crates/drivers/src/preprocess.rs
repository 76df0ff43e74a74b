//! Edge preprocessing of one point's samples, before they leave the gateway: deadband
//! (absolute and percent), report-on-change with a heartbeat, range and rate-of-change
//! checks that mark quality bad, and moving min/max/avg windows.
//!
//! Order per reading: the checks first (a value outside `valid_min..=valid_max`, or moving
//! faster than `max_rate` per second since the previous good reading, keeps its value but
//! becomes `Bad` with the reason), then the window (good values only), then the decision
//! whether to forward: always the first reading, a change of quality or reason, a value
//! beyond the deadband from the last forwarded one (or any change with `on_change`), and
//! after `heartbeat_ms` without forwarding. With neither deadband nor `on_change` every
//! reading is forwarded, except that a failed read (no value) repeating the previous one
//! with the same reason is forwarded only with the heartbeat. Window aggregates go out with each forwarded reading as
//! `{point}_min`, `{point}_max`, `{point}_avg`.

use std::collections::VecDeque;
use std::sync::Arc;

pub use ironloom_core::driver_table::preprocess::{Preprocess, WindowFn};

use crate::model::{Quality, Sample, Value};

/// Longest window kept, in readings (a bound on memory whatever the poll rate).
pub const MAX_WINDOW_READINGS: usize = 100_000;

/// The running state of one point's preprocessing.
#[derive(Debug)]
pub struct PointFilter {
    cfg: Preprocess,
    names: Vec<(WindowFn, Arc<str>)>,
    last_good: Option<(i64, f64)>,
    sent: Option<Sent>,
    window: VecDeque<(i64, f64)>,
}

#[derive(Debug)]
struct Sent {
    ts_ms: i64,
    value: Option<Value>,
    quality: Quality,
    reason: Option<Arc<str>>,
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::F64(f) => Some(*f),
        Value::I64(i) => Some(*i as f64),
        Value::Bool(_) | Value::Str(_) => None,
    }
}

impl PointFilter {
    pub fn new(point: &str, cfg: Preprocess) -> PointFilter {
        let names = cfg
            .window
            .iter()
            .map(|f| (*f, Arc::from(format!("{point}{}", f.suffix()))))
            .collect();
        PointFilter {
            cfg,
            names,
            last_good: None,
            sent: None,
            window: VecDeque::new(),
        }
    }

    /// Runs one reading through; pushes what should be forwarded (the reading, and its
    /// window aggregates) onto `out`.
    pub fn apply(&mut self, mut s: Sample, out: &mut Vec<Sample>) {
        let x = s.value.as_ref().and_then(number);
        if let (Some(x), Quality::Good | Quality::Uncertain) = (x, s.quality) {
            let lo = self.cfg.valid_min.filter(|lo| x < *lo);
            let hi = self.cfg.valid_max.filter(|hi| x > *hi);
            if lo.is_some() || hi.is_some() {
                s.quality = Quality::Bad;
                s.reason = Some(
                    format!(
                        "{x} is outside the valid range {}..{}",
                        self.cfg.valid_min.map_or("".into(), |v| v.to_string()),
                        self.cfg.valid_max.map_or("".into(), |v| v.to_string())
                    )
                    .into(),
                );
            } else if let (Some(max), Some((t0, x0))) = (self.cfg.max_rate, self.last_good) {
                let dt = (s.ts_ms - t0) as f64 / 1000.0;
                if dt > 0.0 {
                    let rate = (x - x0).abs() / dt;
                    if rate > max {
                        s.quality = Quality::Bad;
                        s.reason = Some(
                            format!("changing {rate:.3}/s, faster than the plausible {max}/s")
                                .into(),
                        );
                    }
                }
            }
            if s.quality != Quality::Bad {
                self.last_good = Some((s.ts_ms, x));
                if let Some(ms) = self.cfg.window_ms {
                    self.window.push_back((s.ts_ms, x));
                    let since = s
                        .ts_ms
                        .saturating_sub(i64::try_from(ms).unwrap_or(i64::MAX));
                    while self.window.front().is_some_and(|(t, _)| *t <= since)
                        || self.window.len() > MAX_WINDOW_READINGS
                    {
                        self.window.pop_front();
                    }
                }
            }
        }
        if !self.forward(&s) {
            return;
        }
        self.sent = Some(Sent {
            ts_ms: s.ts_ms,
            value: s.value.clone(),
            quality: s.quality,
            reason: s.reason.clone(),
        });
        let aggregates = !self.window.is_empty() && s.quality != Quality::Bad;
        let (device, ts_ms) = (s.device.clone(), s.ts_ms);
        out.push(s);
        if aggregates {
            let n = self.window.len() as f64;
            let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
            for (_, v) in &self.window {
                lo = lo.min(*v);
                hi = hi.max(*v);
                sum += v;
            }
            for (f, name) in &self.names {
                let v = match f {
                    WindowFn::Min => lo,
                    WindowFn::Max => hi,
                    WindowFn::Avg => sum / n,
                };
                out.push(Sample::good(&device, name, ts_ms, Value::F64(v)));
            }
        }
    }

    fn forward(&self, s: &Sample) -> bool {
        let Some(last) = &self.sent else {
            return true;
        };
        if last.quality != s.quality || last.reason != s.reason {
            return true;
        }
        if let Some(hb) = self.cfg.heartbeat_ms
            && s.ts_ms.saturating_sub(last.ts_ms) >= i64::try_from(hb).unwrap_or(i64::MAX)
        {
            return true;
        }
        // A failed read repeated (no value, same reason): once is enough.
        if s.value.is_none() && last.value.is_none() {
            return false;
        }
        if !self.cfg.filters() {
            return true;
        }
        let (new, old) = (
            s.value.as_ref().and_then(number),
            last.value.as_ref().and_then(number),
        );
        match (new, old) {
            (Some(n), Some(o)) => {
                let d = (n - o).abs();
                let abs = self.cfg.deadband.is_some_and(|db| d > db);
                let pct = self
                    .cfg
                    .deadband_percent
                    .is_some_and(|p| d > o.abs() * p / 100.0);
                let changed = self.cfg.on_change && n != o;
                abs || pct || changed
            }
            // Text and true/false: any change.
            _ => s.value != last.value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: Preprocess, readings: &[(i64, f64)]) -> Vec<Sample> {
        let dev: Arc<str> = "d".into();
        let p: Arc<str> = "p".into();
        let mut f = PointFilter::new("p", cfg);
        let mut out = Vec::new();
        for (t, v) in readings {
            f.apply(Sample::good(&dev, &p, *t, Value::F64(*v)), &mut out);
        }
        out
    }

    fn values(out: &[Sample], point: &str) -> Vec<(i64, f64)> {
        out.iter()
            .filter(|s| &*s.point == point)
            .map(|s| match s.value {
                Some(Value::F64(v)) => (s.ts_ms, v),
                _ => panic!("{s:?}"),
            })
            .collect()
    }

    #[test]
    fn absolute_and_percent_deadbands_with_a_heartbeat() {
        let r = [
            (0, 10.0),
            (1, 10.4),
            (2, 10.6),
            (3, 10.2),
            (4, 11.2),
            (20, 11.3),
        ];
        let out = run(
            Preprocess {
                deadband: Some(0.5),
                heartbeat_ms: Some(10),
                ..Default::default()
            },
            &r,
        );
        // 10.6 − 10 = 0.6 > 0.5; 11.2 − 10.6 = 0.6; the heartbeat sends 11.3 at 20.
        assert_eq!(
            values(&out, "p"),
            [(0, 10.0), (2, 10.6), (4, 11.2), (20, 11.3)]
        );
        let out = run(
            Preprocess {
                deadband_percent: Some(5.0),
                ..Default::default()
            },
            &r,
        );
        // 5 % of 10 = 0.5, then 5 % of 10.6 = 0.53.
        assert_eq!(values(&out, "p"), [(0, 10.0), (2, 10.6), (4, 11.2)]);
        // Nothing configured: everything.
        assert_eq!(run(Preprocess::default(), &r).len(), r.len());
    }

    #[test]
    fn on_change_and_text_values() {
        let out = run(
            Preprocess {
                on_change: true,
                ..Default::default()
            },
            &[(0, 1.0), (1, 1.0), (2, 2.0), (3, 2.0)],
        );
        assert_eq!(values(&out, "p"), [(0, 1.0), (2, 2.0)]);
        let dev: Arc<str> = "d".into();
        let p: Arc<str> = "p".into();
        let mut f = PointFilter::new(
            "p",
            Preprocess {
                on_change: true,
                ..Default::default()
            },
        );
        let mut out = Vec::new();
        for (t, v) in [(0, "O1"), (1, "O1"), (2, "O2")] {
            f.apply(Sample::good(&dev, &p, t, Value::Str(v.into())), &mut out);
        }
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn range_and_rate_checks_mark_quality_bad_but_keep_the_value() {
        let out = run(
            Preprocess {
                valid_min: Some(0.0),
                valid_max: Some(100.0),
                max_rate: Some(10.0),
                ..Default::default()
            },
            &[
                (0, 50.0),
                (1000, 55.0),
                (2000, 150.0),
                (3000, 95.0),
                (4000, 60.0),
            ],
        );
        let q: Vec<_> = out.iter().map(|s| s.quality).collect();
        assert_eq!(
            q,
            [
                Quality::Good,
                Quality::Good,
                Quality::Bad,
                Quality::Bad,
                Quality::Good
            ]
        );
        assert!(
            out[2]
                .reason
                .as_deref()
                .unwrap()
                .contains("outside the valid range")
        );
        // 95 after the last good 55 two seconds earlier: 20/s.
        assert!(
            out[3].reason.as_deref().unwrap().contains("faster than"),
            "{:?}",
            out[3]
        );
        assert_eq!(out[2].value, Some(Value::F64(150.0)));
        // 60 is 5 in 3 s from the last good 55: plausible again.
        assert_eq!(out[4].reason, None);
    }

    #[test]
    fn moving_window_aggregates_go_out_with_the_reading() {
        let out = run(
            Preprocess {
                window_ms: Some(2500),
                window: vec![WindowFn::Min, WindowFn::Max, WindowFn::Avg],
                ..Default::default()
            },
            &[(0, 4.0), (1000, 8.0), (2000, 6.0), (3000, 2.0)],
        );
        assert_eq!(
            values(&out, "p_max"),
            [(0, 4.0), (1000, 8.0), (2000, 8.0), (3000, 8.0)]
        );
        // At 3000 the window holds 1000..3000: 8, 6, 2.
        assert_eq!(values(&out, "p_min").last(), Some(&(3000, 2.0)));
        assert_eq!(values(&out, "p_avg").last(), Some(&(3000, 16.0 / 3.0)));
    }

    #[test]
    fn a_bad_reading_is_forwarded_once_then_on_change_of_reason() {
        let dev: Arc<str> = "d".into();
        let p: Arc<str> = "p".into();
        let mut f = PointFilter::new(
            "p",
            Preprocess {
                deadband: Some(1.0),
                ..Default::default()
            },
        );
        let mut out = Vec::new();
        f.apply(Sample::good(&dev, &p, 0, Value::F64(1.0)), &mut out);
        for t in 1..4 {
            f.apply(Sample::bad(&dev, &p, t, "timeout".into()), &mut out);
        }
        f.apply(Sample::bad(&dev, &p, 5, "exception 0x02".into()), &mut out);
        f.apply(Sample::good(&dev, &p, 6, Value::F64(1.0)), &mut out);
        let q: Vec<_> = out.iter().map(|s| (s.ts_ms, s.quality)).collect();
        assert_eq!(
            q,
            [
                (0, Quality::Good),
                (1, Quality::Bad),
                (5, Quality::Bad),
                (6, Quality::Good)
            ]
        );
    }
}
