//! Checks every query answer against the generator, so a target that answers nothing (or
//! the wrong thing) fails instead of looking fast.

use anyhow::{Result, bail, ensure};

use crate::dataset::{Dataset, METRIC_SPECS, METRICS, MS_PER_DAY};
use crate::target::Sample;

/// What the whole-dataset queries must return, computed once from the generator.
#[derive(Debug)]
pub struct Expected {
    /// The last row of every device.
    pub latest: Vec<[f64; METRICS]>,
    pub latest_ts: i64,
    /// Per device and metric, the maximum over the first day (`[start, start + 1 d)`).
    pub daily_max: Vec<[f64; METRICS]>,
    pub day_start: i64,
}

impl Expected {
    /// Runs the generator over every device, on two threads.
    pub fn compute(ds: &Dataset) -> Self {
        let n = ds.devices();
        let day_start = ds.start_ms();
        let day_end = day_start + MS_PER_DAY;
        let per_device = |d: usize| {
            let mut max = [f64::NEG_INFINITY; METRICS];
            let mut last = [0.0; METRICS];
            for (ts, v) in ds.device_series(d) {
                if ts < day_end {
                    for (m, x) in max.iter_mut().zip(v) {
                        *m = m.max(x);
                    }
                }
                last = v;
            }
            (last, max)
        };
        let half = n / 2;
        let (a, b) = std::thread::scope(|s| {
            let first = s.spawn(|| (0..half).map(per_device).collect::<Vec<_>>());
            let second: Vec<_> = (half..n).map(per_device).collect();
            // A panic in the generator is a bug; re-raise it here.
            let first = first
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (first, second)
        });
        let (latest, daily_max) = a.into_iter().chain(b).unzip();
        Self {
            latest,
            latest_ts: ds.ts(ds.ticks() - 1),
            daily_max,
            day_start,
        }
    }
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

/// Arranges samples by (device, metric), failing on duplicates and out-of-range keys.
fn grid(samples: &[Sample], devices: usize, what: &str) -> Result<Vec<[Option<Sample>; METRICS]>> {
    let mut g = vec![[None; METRICS]; devices];
    for s in samples {
        ensure!(
            s.device < devices && s.metric < METRICS,
            "{what}: unexpected series {s:?}"
        );
        let slot = &mut g[s.device][s.metric];
        ensure!(
            slot.is_none(),
            "{what}: device {} {} returned twice",
            s.device,
            METRIC_SPECS[s.metric].name
        );
        *slot = Some(*s);
    }
    Ok(g)
}

/// (a): one sample per series, equal to the last generated row.
pub fn check_latest(ds: &Dataset, exp: &Expected, samples: &[Sample]) -> Result<()> {
    let want = ds.devices() * METRICS;
    ensure!(
        samples.len() == want,
        "(a) latest: {} samples, expected {want}",
        samples.len()
    );
    let g = grid(samples, ds.devices(), "(a) latest")?;
    for (d, row) in g.iter().enumerate() {
        for (m, s) in row.iter().enumerate() {
            let Some(s) = s else {
                bail!("(a) latest: device {d} {} missing", METRIC_SPECS[m].name)
            };
            ensure!(
                s.value == exp.latest[d][m],
                "(a) latest: device {d} {}: got {}, expected {}",
                METRIC_SPECS[m].name,
                s.value,
                exp.latest[d][m]
            );
            if let Some(ts) = s.ts_ms {
                ensure!(
                    ts == exp.latest_ts,
                    "(a) latest: device {d} at {ts}, expected {}",
                    exp.latest_ts
                );
            }
        }
    }
    Ok(())
}

/// (c): the maximum of every series over the first day.
pub fn check_daily_max(
    ds: &Dataset,
    exp: &Expected,
    day_start: i64,
    samples: &[Sample],
) -> Result<()> {
    ensure!(
        day_start == exp.day_start,
        "(c) only the first day is precomputed"
    );
    let want = ds.devices() * METRICS;
    ensure!(
        samples.len() == want,
        "(c) daily max: {} samples, expected {want}",
        samples.len()
    );
    let g = grid(samples, ds.devices(), "(c) daily max")?;
    for (d, row) in g.iter().enumerate() {
        for (m, s) in row.iter().enumerate() {
            let Some(s) = s else {
                bail!("(c) daily max: device {d} {} missing", METRIC_SPECS[m].name)
            };
            ensure!(
                s.value == exp.daily_max[d][m],
                "(c) daily max: device {d} {}: got {}, expected {}",
                METRIC_SPECS[m].name,
                s.value,
                exp.daily_max[d][m]
            );
        }
    }
    Ok(())
}

/// (b): one average per metric and 5-minute bucket of `[from, to)`.
pub fn check_5m_avg(
    ds: &Dataset,
    device: usize,
    from: i64,
    to: i64,
    samples: &[Sample],
) -> Result<()> {
    const BUCKET: i64 = 300_000;
    ensure!(
        from % BUCKET == 0 && to % BUCKET == 0,
        "(b) window must be aligned to 5 minutes"
    );
    let buckets = ((to - from) / BUCKET) as usize;
    let mut sum = vec![[0.0f64; METRICS]; buckets];
    let mut count = vec![0u32; buckets];
    for (ts, v) in ds.device_series(device) {
        if ts >= from && ts < to {
            let b = ((ts - from) / BUCKET) as usize;
            for (s, x) in sum[b].iter_mut().zip(v) {
                *s += x;
            }
            count[b] += 1;
        }
    }
    let filled = count.iter().filter(|&&c| c > 0).count();
    let want = filled * METRICS;
    ensure!(
        samples.len() == want,
        "(b) 5-min avg: {} samples, expected {want}",
        samples.len()
    );
    let mut seen = vec![[false; METRICS]; buckets];
    for s in samples {
        ensure!(
            s.device == device,
            "(b) 5-min avg: sample of device {}",
            s.device
        );
        let ts = s.ts_ms.unwrap_or(i64::MIN);
        ensure!(
            ts >= from && ts < to && (ts - from) % BUCKET == 0,
            "(b) 5-min avg: bucket at {ts} outside [{from}, {to})"
        );
        let b = ((ts - from) / BUCKET) as usize;
        ensure!(count[b] > 0, "(b) 5-min avg: bucket at {ts} has no data");
        ensure!(
            !seen[b][s.metric],
            "(b) 5-min avg: bucket at {ts} returned twice"
        );
        seen[b][s.metric] = true;
        let want = sum[b][s.metric] / f64::from(count[b]);
        ensure!(
            close(s.value, want),
            "(b) 5-min avg: {} at {ts}: got {}, expected {want}",
            METRIC_SPECS[s.metric].name,
            s.value
        );
    }
    Ok(())
}

/// (d): every raw value of the series in `[from, to)`, in order.
pub fn check_raw(
    ds: &Dataset,
    device: usize,
    metric: usize,
    from: i64,
    to: i64,
    samples: &[Sample],
) -> Result<()> {
    let want: Vec<(i64, f64)> = ds
        .device_series(device)
        .filter(|(ts, _)| *ts >= from && *ts < to)
        .map(|(ts, v)| (ts, v[metric]))
        .collect();
    ensure!(
        samples.len() == want.len(),
        "(d) raw: {} rows, expected {}",
        samples.len(),
        want.len()
    );
    for (s, (ts, v)) in samples.iter().zip(&want) {
        ensure!(
            s.device == device && s.metric == metric,
            "(d) raw: sample of device {} metric {}",
            s.device,
            s.metric
        );
        ensure!(
            s.ts_ms == Some(*ts),
            "(d) raw: got time {:?}, expected {ts}",
            s.ts_ms
        );
        ensure!(
            s.value == *v,
            "(d) raw: at {ts} got {}, expected {v}",
            s.value
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DatasetConfig;

    fn ds() -> Dataset {
        Dataset::new(DatasetConfig {
            devices: 3,
            duration_ms: 3_600_000,
            ..DatasetConfig::default()
        })
        .unwrap()
    }

    fn latest_samples(ds: &Dataset, exp: &Expected) -> Vec<Sample> {
        let mut out = Vec::new();
        for d in 0..ds.devices() {
            for m in 0..METRICS {
                out.push(Sample {
                    device: d,
                    metric: m,
                    ts_ms: Some(exp.latest_ts),
                    value: exp.latest[d][m],
                });
            }
        }
        out
    }

    #[test]
    fn accepts_correct_latest_and_rejects_wrong_or_missing() {
        let ds = ds();
        let exp = Expected::compute(&ds);
        let mut s = latest_samples(&ds, &exp);
        check_latest(&ds, &exp, &s).unwrap();
        s[4].value += 0.1;
        assert!(check_latest(&ds, &exp, &s).is_err());
        s.pop();
        assert!(check_latest(&ds, &exp, &s).is_err());
        assert!(check_latest(&ds, &exp, &[]).is_err());
    }

    #[test]
    fn expected_latest_is_the_last_row() {
        let ds = ds();
        let exp = Expected::compute(&ds);
        let last = ds.device_series(2).last().unwrap();
        assert_eq!(exp.latest[2], last.1);
        assert_eq!(exp.latest_ts, last.0);
    }

    #[test]
    fn checks_raw_series() {
        let ds = ds();
        let from = ds.start_ms() + 600_000;
        let to = from + 600_000;
        let good: Vec<Sample> = ds
            .device_series(1)
            .filter(|(ts, _)| *ts >= from && *ts < to)
            .map(|(ts, v)| Sample {
                device: 1,
                metric: 3,
                ts_ms: Some(ts),
                value: v[3],
            })
            .collect();
        assert_eq!(good.len(), 60);
        check_raw(&ds, 1, 3, from, to, &good).unwrap();
        assert!(check_raw(&ds, 1, 3, from, to, &good[1..]).is_err());
        assert!(check_raw(&ds, 1, 4, from, to, &good).is_err());
    }

    #[test]
    fn checks_averages() {
        let ds = ds();
        let from = ds.start_ms();
        let to = from + 900_000;
        let mut s = Vec::new();
        for b in 0..3 {
            let start = from + b * 300_000;
            let rows: Vec<_> = ds
                .device_series(0)
                .filter(|(ts, _)| *ts >= start && *ts < start + 300_000)
                .collect();
            for m in 0..METRICS {
                let avg = rows.iter().map(|(_, v)| v[m]).sum::<f64>() / rows.len() as f64;
                s.push(Sample {
                    device: 0,
                    metric: m,
                    ts_ms: Some(start),
                    value: avg,
                });
            }
        }
        check_5m_avg(&ds, 0, from, to, &s).unwrap();
        s[0].value += 0.001;
        assert!(check_5m_avg(&ds, 0, from, to, &s).is_err());
    }
}
