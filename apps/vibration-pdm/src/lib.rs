//! Vibration-based predictive maintenance (ISO 10816-3 zones, a trend towards zone C, and
//! rolling-bearing defect frequencies).
//!
//! On telemetry carrying the configured velocity r.m.s. (mm/s) the app classifies the
//! ISO 10816-3 evaluation zone with the model library's `vibration.iso10816_3_zone`,
//! writes it back as derived telemetry, keeps an hourly (configurable) trend of the
//! velocity per device in the key–value state, estimates the days left until the B/C
//! boundary from a least-squares line when its slope is significantly positive, and raises
//! the alarm `vibration_iso10816` in zone C (warning) and D (critical), cleared back in A/B.
//! With a bearing geometry and a shaft speed (a property, or the configuration) it
//! computes the defect frequencies with `bearing.defect_frequencies` and compares the
//! configured spectral peaks (frequency/amplitude properties from an edge FFT) with
//! BPFO, BPFI, BSF, 2×BSF and FTF and their harmonics, naming the likely defect in the
//! alarm details. The runtime is crash-only: everything the next event needs is in the
//! state key `vib:<device>`, which the panel also reads.

mod trend;

use ironloom::{obj, Error, Event, Json, Result, Severity};
use trend::{days_to_limit, Trend};

const ALARM: &str = "vibration_iso10816";
const ZONES: [&str; 4] = ["A", "B", "C", "D"];
/// (defect, model output, multiple of that output, tone): a damaged rolling element
/// strikes both races once a spin, so it shows at 2×BSF more often than at BSF (listed
/// first, it names a tone that both explain equally well).
const TONES: [(&str, &str, f64, &str); 5] = [
    ("outer_race", "bpfo", 1.0, "BPFO"),
    ("inner_race", "bpfi", 1.0, "BPFI"),
    ("rolling_element", "bsf", 2.0, "2×BSF"),
    ("rolling_element", "bsf", 1.0, "BSF"),
    ("cage", "ftf", 1.0, "FTF"),
];

/// The installation's configuration (the schema's defaults are filled in by the platform).
struct Config {
    json: Json,
}

impl Config {
    fn text<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.json.text(key).unwrap_or(default)
    }
    fn number(&self, key: &str, default: f64) -> f64 {
        self.json.number(key).unwrap_or(default)
    }
}

fn on_event(event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) if event.kind() == "telemetry" => d,
        _ => return Ok(()),
    };
    let config = Config {
        json: ironloom::config()?,
    };
    let velocity_property = config.text("velocity_property", "velocity_rms");
    let peaks = peak_properties(&config);
    let velocity = event.point(velocity_property);
    let has_peak =
        config.json["bearing"].is_object() && peaks.iter().any(|(f, _)| event.point(f).is_some());
    if velocity.is_none() && !has_peak {
        return Ok(()); // a message of other properties (or peaks, without a bearing)
    }
    let key = format!("vib:{}", device);
    let mut state = ironloom::kv_get(&key)?;
    if !state.is_object() {
        state = Json::object();
    }

    if let Some(point) = &velocity {
        match point.number() {
            Some(v) if v.is_finite() && v >= 0.0 => {
                classify(device, &config, v, point.ts, &mut state)?;
            }
            _ => ironloom::warn(&format!(
                "{}: {} is not a velocity in mm/s: {}",
                device, velocity_property, point.value
            )),
        }
    }
    let ts = velocity.as_ref().map_or(0, |p| p.ts);
    bearing(device, event, &config, &peaks, ts, &mut state)?;
    alarm(device, &config, &mut state)?;
    ironloom::kv_set(&key, &state)
}

/// The zone and its boundaries, the trend and the days to zone C; writes the derived values.
fn classify(device: &str, config: &Config, v: f64, ts: i64, state: &mut Json) -> Result<()> {
    let group = config.text("group", "group_2");
    let foundation = config.text("foundation", "rigid");
    let out = ironloom::model(
        "vibration.iso10816_3_zone",
        obj! {"v_rms" => v, "group" => group, "foundation" => foundation},
    )?;
    let zone = out.number("zone")?;
    let bc = out.number("BC")?;
    for (k, value) in [("v", v), ("zone", zone)] {
        state.set(k, value);
    }
    state.set("ts", ts);
    for b in ["AB", "BC", "CD"] {
        state.set(b, out.number(b)?);
    }

    let interval_h = config.number("trend_interval_hours", 1.0);
    let mut trend = Trend::read(&state["trend"]);
    trend.add(ts, v, (interval_h * 3_600_000.0) as i64);
    trend.keep(config.number("trend_points", 168.0) as usize);
    let days = if zone >= 2.0 {
        Some(0.0)
    } else {
        days_to_limit(
            &trend.points(),
            bc,
            config.number("min_trend_points", 6.0) as usize,
        )
        .filter(|d| *d <= config.number("horizon_days", 365.0))
    };
    state.set("trend", trend.to_json());
    state.set("days_to_c", days);

    // The zone is an integer (0 = A … 3 = D), written as one; the days are a float.
    let mut values = obj! {config.text("zone_property", "vibration_zone") => zone as i64};
    if let Some(d) = days {
        values.set(config.text("days_property", "days_to_zone_c"), d);
    }
    let at = if ts > 0 { Some(ts) } else { None };
    let written = ironloom::write(device, values, at)?;
    for r in written.refused {
        ironloom::warn(&format!(
            "{}: {} refused ({}: {}); declare it in the product's thing model",
            device, r.property, r.code, r.message
        ));
    }
    ironloom::info(&format!(
        "{}: {} mm/s, zone {} (B/C {} mm/s){}",
        device,
        v,
        ZONES[(zone as usize).min(3)],
        bc,
        days.map_or(String::new(), |d| format!(", {:.1} days to zone C", d))
    ));
    Ok(())
}

/// The configured (frequency property, amplitude property) pairs.
fn peak_properties(config: &Config) -> Vec<(String, Option<String>)> {
    let list = config.json["peaks"].as_array().map_or(&[][..], |a| &a[..]);
    list.iter()
        .filter_map(|p| {
            let f = p.text("frequency")?.to_string();
            Some((f, p.text("amplitude").map(String::from)))
        })
        .collect()
}

/// The defect frequencies at the current shaft speed and the peaks that match them.
fn bearing(
    device: &str,
    event: &Event,
    config: &Config,
    peaks: &[(String, Option<String>)],
    ts: i64,
    state: &mut Json,
) -> Result<()> {
    // Frequencies and matches are of this event's speed and peaks, or not there at all.
    state.set("bearing", Json::Null);
    state.set("defects", Json::Array(Vec::new()));
    let b = &config.json["bearing"];
    let (z, d, pitch) = match (b.number("z"), b.number("d"), b.number("pitch")) {
        (Some(z), Some(d), Some(p)) => (z, d, p),
        _ => return Ok(()), // no bearing configured
    };
    // What the message lacks is read from the latest values (one call), if recent enough.
    let speed_property = config.text("speed_property", "speed");
    let mut wanted: Vec<&str> = vec![speed_property];
    for (f, a) in peaks {
        wanted.push(f);
        wanted.extend(a.as_deref());
    }
    let now = if ts > 0 {
        ts
    } else {
        event.points().iter().map(|(_, p)| p.ts).max().unwrap_or(0)
    };
    let max_age = (config.number("max_age_minutes", 10.0) * 60_000.0) as i64;
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|p| event.point(p).is_none())
        .collect();
    let latest = if missing.is_empty() {
        ironloom::Latest::default()
    } else {
        ironloom::latest(device, &missing)?
    };
    let value = |p: &str| -> Option<f64> {
        match event.point(p) {
            Some(pt) => pt.number(),
            None => latest
                .get(p)
                .filter(|pt| (now - pt.ts).abs() <= max_age)
                .and_then(|pt| pt.number()),
        }
    };
    let speed = value(speed_property)
        .filter(|s| *s > 0.0)
        .or_else(|| Some(config.number("speed_rpm", 0.0)).filter(|s| *s > 0.0));
    let speed = match speed {
        Some(s) => s,
        None => {
            ironloom::info(&format!(
                "{}: no shaft speed ({} or speed_rpm): defect frequencies skipped",
                device, speed_property
            ));
            return Ok(());
        }
    };
    let inputs = obj! {"z" => z, "d" => d, "pitch" => pitch,
    "angle" => b.number("angle").unwrap_or(0.0), "speed" => speed};
    let f = match ironloom::model("bearing.defect_frequencies", inputs) {
        Ok(f) => f,
        Err(e) => {
            ironloom::warn(&format!("{}: bearing.defect_frequencies: {}", device, e));
            return Ok(());
        }
    };
    let mut freqs = obj! {"speed" => speed};
    for name in ["fr", "ftf", "bpfo", "bpfi", "bsf"] {
        freqs.set(name, f.number(name)?);
    }

    let tolerance = config.number("tolerance", 0.03);
    let harmonics = config.number("harmonics", 3.0).max(1.0) as u32;
    let min_amp = config.number("min_amplitude", 0.0);
    let mut found = Vec::new();
    for (fp, ap) in peaks {
        let hz = match value(fp) {
            Some(hz) if hz > 0.0 => hz,
            _ => continue,
        };
        let amp = ap.as_deref().and_then(value);
        if matches!(amp, Some(a) if a < min_amp) {
            continue;
        }
        if let Some(m) = match_peak(hz, &freqs, tolerance, harmonics) {
            found.push(m.with("amplitude", amp).with("property", fp.as_str()));
        }
    }
    state.set("bearing", freqs);
    state.set("defects", Json::Array(found));
    Ok(())
}

/// The tone (a multiple `k` ≤ `harmonics` of a defect frequency) nearest to a peak within
/// the relative `tolerance`; `None` when none is, or when the peak is as close to a
/// multiple of the shaft frequency (then it is synchronous: unbalance, misalignment,
/// looseness, not a bearing defect).
fn match_peak(hz: f64, freqs: &Json, tolerance: f64, harmonics: u32) -> Option<Json> {
    let fr = freqs.number("fr")?;
    let shaft = (hz / fr).round().max(1.0);
    let shaft_err = (hz - shaft * fr).abs() / (shaft * fr);
    let mut best: Option<(f64, &str, &str, f64, u32)> = None;
    for (defect, output, mult, tone) in TONES {
        let base = freqs.number(output)? * mult;
        for k in 1..=harmonics {
            let expected = base * f64::from(k);
            let err = (hz - expected).abs() / expected;
            if err <= tolerance && !matches!(best, Some(b) if b.0 <= err) {
                best = Some((err, defect, tone, expected, k));
            }
        }
    }
    let (err, defect, tone, expected, k) = best?;
    if shaft_err <= err {
        return None;
    }
    Some(obj! {"defect" => defect, "tone" => tone, "harmonic" => k,
    "expected" => expected, "peak" => hz})
}

/// Raises, updates or clears the zone alarm; its details name the likely defect.
fn alarm(device: &str, config: &Config, state: &mut Json) -> Result<()> {
    let zone = match state.number("zone") {
        Some(z) => z as usize,
        None => return Ok(()),
    };
    let raised = state.text("alarm").map(String::from);
    if zone < 2 {
        if raised.is_some() {
            ironloom::alarm_clear(device, ALARM)?;
            state.set("alarm", Json::Null);
            state.set("alarm_defect", Json::Null);
        }
        return Ok(());
    }
    let severity = if zone >= 3 {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let defect = state["defects"][0].clone();
    let defect_name = defect.text("defect").map(String::from);
    if raised.as_deref() == Some(severity.as_str())
        && state.text("alarm_defect").map(String::from) == defect_name
    {
        return Ok(()); // raised already with these details
    }
    let mut details = obj! {
        "zone" => ZONES[zone.min(3)],
        "v_rms" => &state["v"],
        "boundary_BC" => &state["BC"],
        "boundary_CD" => &state["CD"],
        "group" => config.text("group", "group_2"),
        "foundation" => config.text("foundation", "rigid"),
    };
    if let Some(name) = &defect_name {
        details.set("likely_defect", name.as_str());
        details.set("defect_tone", &defect["tone"]);
        details.set("defect_frequency_hz", &defect["expected"]);
        details.set("peak_hz", &defect["peak"]);
    }
    ironloom::alarm_raise(device, ALARM, severity, details)?;
    state.set("alarm", severity.as_str());
    state.set("alarm_defect", defect_name);
    Ok(())
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("vibration-pdm: {}", e.message)))
}

ironloom::app!(handle);
