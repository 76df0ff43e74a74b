//! The arithmetic of the leak test, free of host calls so that it can be unit-tested natively.
//!
//! A property's samples are read as a step function: each value holds from its time stamp
//! until the next sample, but never longer than `max_gap` (a longer silence is a gap, not
//! a measurement) and never past the end of the window.

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 86_400_000;

/// A value held over `[start, end)`, in ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub start: i64,
    pub end: i64,
    pub value: f64,
}

/// The step function of `samples` (time-ordered `(ts, value)`) clipped to `[from, to)`.
/// A sample before `from` contributes from `from` (if still within `max_gap`).
pub fn segments(samples: &[(i64, f64)], from: i64, to: i64, max_gap: i64) -> Vec<Segment> {
    let mut out = Vec::new();
    for (i, &(ts, value)) in samples.iter().enumerate() {
        if ts >= to {
            break;
        }
        let next = samples.get(i + 1).map_or(to, |s| s.0);
        let end = next.min(ts + max_gap).min(to);
        let start = ts.max(from);
        if end > start {
            out.push(Segment { start, end, value });
        }
    }
    out
}

/// The parts of `[from, to)` that are not production according to a production signal
/// (non-zero = production). Where the signal is unknown (before its first sample, or in a
/// gap) the time is not counted as non-production: a leak test needs a known idle plant.
pub fn idle_from_signal(signal: &[Segment]) -> Vec<(i64, i64)> {
    signal
        .iter()
        .filter(|s| s.value == 0.0)
        .map(|s| (s.start, s.end))
        .collect()
}

/// The length of the overlap of `[a0, a1)` with a set of disjoint intervals.
fn overlap(a0: i64, a1: i64, idle: &[(i64, i64)]) -> i64 {
    idle.iter()
        .map(|&(b0, b1)| (a1.min(b1) - a0.max(b0)).max(0))
        .sum()
}

/// What one window measured during non-production time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    /// On-load (or running, for start/stop control) time, minutes: DOE's T.
    pub on_min: f64,
    /// Off-load or stopped time, minutes: DOE's t.
    pub off_min: f64,
    /// Integral of the flow over the idle time, m³ (free air).
    pub flow_m3: f64,
    /// Minutes of idle time with a flow reading.
    pub flow_min: f64,
}

/// On/off-load minutes from load-state segments (`loaded(value)` says which) and the flow
/// integral from flow segments (m³/min), both within the idle intervals.
pub fn measure(
    load: &[Segment],
    loaded: impl Fn(f64) -> bool,
    flow: &[Segment],
    idle: &[(i64, i64)],
) -> Measured {
    let mut m = Measured::default();
    for s in load {
        let ms = overlap(s.start, s.end, idle) as f64 / MINUTE as f64;
        if loaded(s.value) {
            m.on_min += ms;
        } else {
            m.off_min += ms;
        }
    }
    for s in flow {
        let min = overlap(s.start, s.end, idle) as f64 / MINUTE as f64;
        m.flow_min += min;
        m.flow_m3 += s.value * min;
    }
    m
}

impl Measured {
    pub fn add(&mut self, o: &Measured) {
        self.on_min += o.on_min;
        self.off_min += o.off_min;
        self.flow_m3 += o.flow_m3;
        self.flow_min += o.flow_min;
    }
}

/// The plant's parameters that turn a measurement into a leak rate, energy and cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plant {
    /// Full-load free air delivery of the compressor(s), m³/min (0: unknown).
    pub fad: f64,
    /// Input power at full load, kW (0: unknown).
    pub full_load_kw: f64,
    /// Specific power, kW per m³/min (0: full_load_kw / fad).
    pub specific_power: f64,
    /// Hours per year the system is kept under pressure.
    pub hours_per_year: f64,
    /// Energy price per kWh.
    pub tariff: f64,
}

/// A leak estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// "timed" (load/unload times) or "flow".
    pub method: &'static str,
    /// Leakage as a share of the full-load capacity, %.
    pub pct: Option<f64>,
    /// Leak flow, m³/min free air.
    pub leak_m3min: Option<f64>,
    /// Compressor power the leaks take, kW.
    pub leak_kw: Option<f64>,
    pub kwh_year: Option<f64>,
    pub cost_year: Option<f64>,
}

/// The estimate of a measurement. `method` is "timed", "flow" or "auto" (flow when the
/// window has flow readings, else timed).
///
/// Timed (US DOE/CAC sourcebook, fact sheet "Compressed air system leaks"): leakage % =
/// T·100/(T + t), T on-load and t off-load time, with no demand but the leaks; the leak
/// flow is that share of the full-load FAD. Flow: the mean flow while nothing but the
/// leaks draws air is the leak flow, its share of the FAD the leakage %. Energy per year
/// = leak flow × specific power × hours; without a FAD, leak power = leakage % × full-load
/// power (the same when the specific power is full-load kW / FAD).
pub fn estimate(m: &Measured, plant: &Plant, method: &str) -> Option<Estimate> {
    let timed_ok = m.on_min + m.off_min > 0.0;
    let flow_ok = m.flow_min > 0.0;
    let use_flow = match method {
        "flow" => flow_ok,
        "timed" => false,
        _ => flow_ok,
    };
    let positive = |x: f64| if x > 0.0 { Some(x) } else { None };
    let fad = positive(plant.fad);
    let sp = positive(plant.specific_power)
        .or_else(|| Some(plant.full_load_kw / fad?).filter(|x| *x > 0.0));
    let (method, pct, leak) = if use_flow {
        let leak = m.flow_m3 / m.flow_min;
        ("flow", fad.map(|f| leak / f * 100.0), Some(leak))
    } else if timed_ok && method != "flow" {
        let pct = m.on_min * 100.0 / (m.on_min + m.off_min);
        ("timed", Some(pct), fad.map(|f| pct / 100.0 * f))
    } else {
        return None;
    };
    let leak_kw = match (leak, sp) {
        (Some(q), Some(sp)) => Some(q * sp),
        _ => pct
            .zip(positive(plant.full_load_kw))
            .map(|(p, kw)| p / 100.0 * kw),
    };
    let kwh_year = leak_kw.map(|kw| kw * plant.hours_per_year);
    Some(Estimate {
        method,
        pct,
        leak_m3min: leak,
        leak_kw,
        kwh_year,
        cost_year: kwh_year.map(|e| e * plant.tariff),
    })
}

/// Local calendar of a UTC time at a fixed UTC offset (hours).
pub struct Local {
    /// Hour of the day, 0–23.
    pub hour: u32,
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// Start of the local ISO week (Monday 00:00 local), as UTC ms.
    pub week_start: i64,
}

pub fn local(ts: i64, offset_hours: f64) -> Local {
    let offset = (offset_hours * HOUR as f64).round() as i64;
    let t = ts + offset;
    let days = t.div_euclid(DAY);
    let weekday = ((days + 3).rem_euclid(7) + 1) as u32; // 1970-01-01 was a Thursday
    Local {
        hour: (t.rem_euclid(DAY) / HOUR) as u32,
        weekday,
        week_start: (days - i64::from(weekday - 1)) * DAY - offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_method_bee_example() {
        // 1.5 min on load, 10.5 min unloaded: 12.5 %, of 35 m³/min: 4.375 m³/min.
        let m = Measured {
            on_min: 1.5,
            off_min: 10.5,
            ..Default::default()
        };
        let plant = Plant {
            fad: 35.0,
            full_load_kw: 188.0,
            specific_power: 0.0,
            hours_per_year: 24.0,
            tariff: 1.0,
        };
        let e = estimate(&m, &plant, "auto").unwrap();
        assert_eq!(e.method, "timed");
        assert!((e.pct.unwrap() - 12.5).abs() < 1e-12);
        assert!((e.leak_m3min.unwrap() - 4.375).abs() < 1e-12);
        assert!((e.kwh_year.unwrap() - 4.375 * 188.0 / 35.0 * 24.0).abs() < 1e-9);
    }

    #[test]
    fn segments_hold_and_gap() {
        let s = segments(&[(0, 1.0), (10, 2.0), (100, 3.0)], 5, 120, 30);
        assert_eq!(
            s,
            vec![
                Segment { start: 5, end: 10, value: 1.0 },
                Segment { start: 10, end: 40, value: 2.0 },
                Segment { start: 100, end: 120, value: 3.0 },
            ]
        );
    }

    #[test]
    fn local_calendar() {
        // 2023-11-14 22:13:20 UTC is a Tuesday; at UTC+8 it is Wednesday 06:13.
        let l = local(1_700_000_000_000, 8.0);
        assert_eq!((l.hour, l.weekday), (6, 3));
        // Monday 2023-11-13 00:00 at UTC+8 = 2023-11-12 16:00 UTC.
        assert_eq!(l.week_start, 1_699_804_800_000);
    }
}
