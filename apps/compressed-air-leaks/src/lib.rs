//! Compressed-air leak detection (US DOE / Compressed Air Challenge leak test, run every
//! night by the data itself).
//!
//! When no production draws air, whatever the compressor still delivers goes to leaks.
//! Every hour (schedule trigger) the app reads the last window of each compressor's
//! telemetry from the history: its load state (from the input power, or a load-state
//! property) and, when metered, its flow; it keeps only the time that was non-production
//! (a production-state property, or configured idle hours in local time) and measures
//!
//! * the timed (load/unload) method: leakage % = T·100/(T + t), T on-load and t off-load
//!   time (DOE/CAC sourcebook, fact sheet "Compressed air system leaks"); and/or
//! * the flow method: the mean idle flow is the leak flow, its share of the FAD the leakage.
//!
//! Consecutive idle windows make one measurement period (a night, a weekend). Its estimate
//! gives the leak flow, the power and energy it takes (specific power × hours per year)
//! and its cost (tariff); an equivalent hole is sized with the library model
//! `compressed_air.orifice_leak`. The alarm `compressed_air_leakage` is raised when the
//! period's leakage passes the configured share and cleared by a later period below it.
//! Each week's idle measurements are summed for the panel. Telemetry events only register
//! the device (the schedule then knows whom to measure). State: `devices` (the list) and
//! `air:<device>` (period, last estimate, weeks, alarm).

mod calc;

use calc::{Estimate, Measured, Plant, Segment, MINUTE};
use ironloom::{obj, Error, Event, Json, Result, Severity};

const ALARM: &str = "compressed_air_leakage";
const DEVICES: &str = "devices";
const MAX_DEVICES: usize = 64;

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
    /// m³/min per unit of the flow property.
    fn flow_factor(&self) -> f64 {
        match self.text("flow_unit", "m3/min") {
            "m3/h" => 1.0 / 60.0,
            "L/s" => 0.06,
            "cfm" => 0.028_316_846_592,
            _ => 1.0,
        }
    }
    fn plant(&self) -> Plant {
        Plant {
            fad: self.number("fad_m3min", 0.0),
            full_load_kw: self.number("full_load_kw", 0.0),
            specific_power: self.number("specific_power", 0.0),
            hours_per_year: self.number("hours_per_year", 8760.0),
            tariff: self.number("tariff", 0.0),
        }
    }
    fn numbers(&self, key: &str) -> Vec<f64> {
        self.json[key]
            .as_array()
            .map_or(Vec::new(), |a| a.iter().filter_map(Json::as_f64).collect())
    }
}

fn on_event(event: &Event) -> Result<()> {
    match event.kind() {
        "telemetry" => register(event),
        "schedule" => {
            let at = match event.at() {
                Some(at) => at,
                None => return Ok(()),
            };
            let config = Config {
                json: ironloom::config()?,
            };
            let devices = ironloom::kv_get(DEVICES)?;
            let mut gone = Vec::new();
            for device in devices.as_array().map_or(&[][..], |a| &a[..]) {
                let device = match device.as_str() {
                    Some(d) => d,
                    None => continue,
                };
                // One compressor's failure does not stop the others' measurement.
                match window(device, &config, at) {
                    Ok(()) => {}
                    Err(e) if e.code == "not_found" => {
                        ironloom::warn(&format!("{}: no longer found, not measured any more", device));
                        gone.push(device.to_string());
                    }
                    Err(e) => ironloom::error(&format!("{}: not measured: {}", device, e)),
                }
            }
            if !gone.is_empty() {
                let kept: Vec<Json> = devices
                    .as_array()
                    .map_or(&[][..], |a| &a[..])
                    .iter()
                    .filter(|d| !gone.iter().any(|g| d.as_str() == Some(g.as_str())))
                    .cloned()
                    .collect();
                ironloom::kv_set(DEVICES, &Json::Array(kept))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Adds a reporting device to the list the schedule measures.
fn register(event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) => d,
        None => return Ok(()),
    };
    let mut list = ironloom::kv_get(DEVICES)?;
    if !list.is_array() {
        list = Json::Array(Vec::new());
    }
    if list
        .as_array()
        .map_or(false, |a| a.iter().any(|d| d.as_str() == Some(device)))
    {
        return Ok(());
    }
    if list.as_array().map_or(0, Vec::len) >= MAX_DEVICES {
        ironloom::warn(&format!(
            "{}: not measured, the app measures at most {} compressors",
            device, MAX_DEVICES
        ));
        return Ok(());
    }
    list.push(device);
    ironloom::info(&format!("{}: registered for the leak measurement", device));
    ironloom::kv_set(DEVICES, &list)
}

/// The numeric samples of a property over `[from - max_gap, to]`; text or negative values
/// are left out (and counted in `bad`).
fn samples(device: &str, property: &str, from: i64, to: i64, bad: &mut usize) -> Result<Vec<(i64, f64)>> {
    if property.is_empty() {
        return Ok(Vec::new());
    }
    let points = ironloom::history(device, property, from, to, Some(10_000))?;
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        match p.value.as_f64().or_else(|| p.value.as_bool().map(|b| if b { 1.0 } else { 0.0 })) {
            Some(v) if v.is_finite() && v >= 0.0 => out.push((p.ts, v)),
            _ => *bad += 1,
        }
    }
    Ok(out)
}

/// Measures the window `[at - window, at)` of one compressor and updates its state.
fn window(device: &str, config: &Config, at: i64) -> Result<()> {
    let win = (config.number("window_minutes", 60.0) * MINUTE as f64) as i64;
    let max_gap = (config.number("max_gap_minutes", 15.0) * MINUTE as f64) as i64;
    let from = at - win;
    let key = format!("air:{}", device);
    let mut state = ironloom::kv_get(&key)?;
    if !state.is_object() {
        state = Json::object();
    }

    // Idle (non-production) time of the window: from the signal, or the configured hours.
    let mut bad = 0usize;
    let production = config.text("production_property", "");
    let offset = config.number("utc_offset_hours", 8.0);
    let idle: Vec<(i64, i64)> = if !production.is_empty() {
        let s = samples(device, production, from - max_gap, at, &mut bad)?;
        calc::idle_from_signal(&calc::segments(&s, from, at, max_gap))
    } else {
        let l = calc::local(from, offset);
        let hours = config.numbers("idle_hours");
        let days = config.numbers("idle_weekdays");
        let idle_hour = hours.iter().any(|h| *h as u32 == l.hour)
            || days.iter().any(|d| *d as u32 == l.weekday);
        if idle_hour {
            vec![(from, at)]
        } else {
            Vec::new()
        }
    };
    let idle_min = idle.iter().map(|(a, b)| b - a).sum::<i64>() as f64 / MINUTE as f64;

    // Load state: a load-state property (non-zero = loaded), or the input power against a
    // share of the full-load power (none without a full-load power).
    let load_property = config.text("load_property", "");
    let power_property = config.text("power_property", "power");
    let threshold = config.number("loaded_share", 0.7) * config.number("full_load_kw", 0.0);
    let (load_prop, by_power) = if load_property.is_empty() {
        (if threshold > 0.0 { power_property } else { "" }, true)
    } else {
        (load_property, false)
    };
    let mut m = Measured::default();
    if idle_min > 0.0 {
        let load = calc::segments(
            &samples(device, load_prop, from - max_gap, at, &mut bad)?,
            from,
            at,
            max_gap,
        );
        let factor = config.flow_factor();
        let flow: Vec<Segment> = calc::segments(
            &samples(device, config.text("flow_property", "flow"), from - max_gap, at, &mut bad)?,
            from,
            at,
            max_gap,
        )
        .into_iter()
        .map(|s| Segment {
            value: s.value * factor,
            ..s
        })
        .collect();
        m = calc::measure(
            &load,
            |v| if by_power { v >= threshold } else { v != 0.0 },
            &flow,
            &idle,
        );
    }
    if bad > 0 {
        ironloom::warn(&format!(
            "{}: {} reading(s) that are not non-negative numbers left out",
            device, bad
        ));
    }

    let min_window = config.number("min_window_minutes", 15.0);
    let measured = m.on_min + m.off_min >= min_window || m.flow_min >= min_window;
    if !measured {
        if idle_min > 0.0 {
            ironloom::info(&format!(
                "{}: {:.0} idle minute(s) but too little data ({:.1} min load state, {:.1} min flow){}",
                device,
                idle_min,
                m.on_min + m.off_min,
                m.flow_min,
                if load_prop.is_empty() {
                    "; set full_load_kw or load_property for the timed method"
                } else {
                    ""
                }
            ));
        }
        if !state["period"].is_null() {
            state.set("period", Json::Null); // the idle period is over
        }
        return ironloom::kv_set(&key, &state);
    }

    // The measurement period (consecutive measured windows) and the week.
    let mut period = read_measured(&state["period"]);
    period.add(&m);
    let start = state["period"].number("start").map_or(from, |s| s as i64);
    let method = config.text("method", "auto");
    let plant = config.plant();
    let hole = hole_factor(config, device);
    let est = calc::estimate(&period, &plant, method);
    state.set("period", measured_json(&period).with("start", start).with("end", at));
    let week_start = calc::local(from, offset).week_start;
    add_week(&mut state, week_start, &m, &plant, method, hole, config);

    let est = match est {
        Some(e) => e,
        None => {
            ironloom::info(&format!("{}: no estimate ({} method needs its data)", device, method));
            return ironloom::kv_set(&key, &state);
        }
    };
    let minutes = if est.method == "flow" {
        period.flow_min
    } else {
        period.on_min + period.off_min
    };
    let result = estimate_json(&est, hole)
        .with("start", start)
        .with("at", at)
        .with("minutes", round(minutes, 4));
    state.set("result", result);

    // Derived telemetry: the period's running estimate.
    let mut values = Json::object();
    if let Some(p) = est.pct {
        values.set(config.text("leak_pct_property", "leak_pct"), round(p, 4));
    }
    if let Some(q) = est.leak_m3min {
        values.set(config.text("leak_flow_property", "leak_flow"), round(q, 6));
    }
    if !values.as_object().map_or(true, Vec::is_empty) {
        let written = ironloom::write(device, values, Some(at))?;
        warn_refused(device, &mut state, &written);
    }
    ironloom::info(&format!(
        "{}: leakage {} ({} method, {:.0} min measured), leak {} m³/min, {} kWh/year",
        device,
        est.pct.map_or("?".to_string(), |p| format!("{:.1} %", p)),
        est.method,
        minutes,
        est.leak_m3min.map_or("?".to_string(), |q| format!("{:.3}", q)),
        est.kwh_year.map_or("?".to_string(), |e| format!("{:.0}", e)),
    ));

    // The alarm, once the period is long enough to judge.
    if let Some(p) = est.pct {
        if minutes >= config.number("min_period_minutes", 60.0) {
            alarm(device, config, &mut state, &est, p, hole)?;
        }
    }
    ironloom::kv_set(&key, &state)
}

/// Raises the leakage alarm above the threshold, clears it below.
fn alarm(device: &str, config: &Config, state: &mut Json, est: &Estimate, pct: f64, hole: Option<f64>) -> Result<()> {
    let threshold = config.number("alarm_pct", 20.0);
    let raised = state["alarm"].as_bool().unwrap_or(false);
    if pct > threshold && !raised {
        let mut details = estimate_json(est, hole);
        details.set("threshold_pct", threshold);
        details.set("currency", config.text("currency", "CNY"));
        ironloom::alarm_raise(device, ALARM, Severity::Warning, details)?;
        state.set("alarm", true);
    } else if pct < threshold && raised {
        ironloom::alarm_clear(device, ALARM)?;
        state.set("alarm", false);
    }
    Ok(())
}

/// Free-air leak flow of a 1 mm hole at the line pressure (m³/min), from the library model
/// `compressed_air.orifice_leak`: in choked flow (line pressure above about 90 kPa g) the
/// flow grows with the hole's area, so a leak flow Q is one hole of d = √(Q/q₁) mm.
fn hole_factor(config: &Config, device: &str) -> Option<f64> {
    let p = config.number("line_pressure_kpa", 0.0);
    if p <= 0.0 {
        return None;
    }
    let inputs = obj! {
        "p_g" => obj! {"value" => p, "unit" => "kPa"},
        "p_a" => obj! {"value" => config.number("ambient_pressure_kpa", 101.325), "unit" => "kPa"},
        "T" => obj! {"value" => config.number("ambient_temp_c", 20.0), "unit" => "degC"},
        "d" => obj! {"value" => 1.0, "unit" => "mm"},
        "Cd" => config.number("discharge_coefficient", 0.61),
    };
    match ironloom::model("compressed_air.orifice_leak", inputs) {
        Ok(out) if out.number("choked").ok() == Some(1.0) => out.number("Q_free").ok(),
        Ok(_) => None, // subsonic: the flow is not proportional to the area
        Err(e) => {
            ironloom::warn(&format!("{}: compressed_air.orifice_leak: {}", device, e));
            None
        }
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn read_measured(j: &Json) -> Measured {
    Measured {
        on_min: j.number("on_min").unwrap_or(0.0),
        off_min: j.number("off_min").unwrap_or(0.0),
        flow_m3: j.number("flow_m3").unwrap_or(0.0),
        flow_min: j.number("flow_min").unwrap_or(0.0),
    }
}

fn measured_json(m: &Measured) -> Json {
    obj! {
        "on_min" => round(m.on_min, 4),
        "off_min" => round(m.off_min, 4),
        "flow_m3" => round(m.flow_m3, 4),
        "flow_min" => round(m.flow_min, 4),
    }
}

/// An estimate as kept in the state and in the alarm details (a hole when sized).
fn estimate_json(e: &Estimate, hole: Option<f64>) -> Json {
    let mut j = obj! {
        "method" => e.method,
        "leak_pct" => e.pct,
        "leak_m3min" => e.leak_m3min,
        "leak_kw" => e.leak_kw,
        "kwh_year" => e.kwh_year,
        "cost_year" => e.cost_year,
    };
    if let (Some(q1), Some(q)) = (hole, e.leak_m3min) {
        j.set("hole_mm", (q / q1).sqrt());
    }
    j
}

/// Adds a window to its week's sums and estimate; keeps the newest `weeks_kept` weeks.
fn add_week(state: &mut Json, week: i64, m: &Measured, plant: &Plant, method: &str, hole: Option<f64>, config: &Config) {
    let mut weeks: Vec<Json> = state["weeks"].as_array().cloned().unwrap_or_default();
    let i = match weeks.iter().position(|w| w.number("week") == Some(week as f64)) {
        Some(i) => i,
        None => {
            weeks.push(obj! {"week" => week});
            weeks.len() - 1
        }
    };
    let mut sum = read_measured(&weeks[i]);
    sum.add(m);
    let mut row = measured_json(&sum).with("week", week);
    if let Some(e) = calc::estimate(&sum, plant, method) {
        if let Json::Object(fields) = estimate_json(&e, hole) {
            for (k, v) in fields {
                row.set(&k, v);
            }
        }
    }
    weeks[i] = row;
    weeks.sort_by_key(|w| w.number("week").unwrap_or(0.0) as i64);
    let keep = config.number("weeks_kept", 12.0).max(1.0) as usize;
    if weeks.len() > keep {
        weeks.drain(..weeks.len() - keep);
    }
    state.set("weeks", Json::Array(weeks));
}

/// Warns about derived properties the platform refused, once per change of what is refused
/// (not at every message: the thing model is the installer's to fix).
fn warn_refused(device: &str, state: &mut Json, written: &ironloom::Written) {
    let now: Vec<Json> = written
        .refused
        .iter()
        .map(|r| Json::from(r.property.as_str()))
        .collect();
    let before = state["refused"].as_array().cloned().unwrap_or_default();
    if now == before {
        return;
    }
    for r in &written.refused {
        ironloom::warn(&format!(
            "{}: {} refused ({}: {}); declare it in the product's thing model",
            device, r.property, r.code, r.message
        ));
    }
    state.set("refused", Json::Array(now));
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("compressed-air-leaks: {}", e.message)))
}

ironloom::app!(handle);
