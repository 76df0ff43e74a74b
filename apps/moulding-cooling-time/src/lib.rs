//! Minimum cooling time of an injection moulded part, compared with the machine's set
//! cooling time and measured cycle time.
//!
//! The part is taken as a plate of wall thickness s cooled from both faces by a mould at
//! T_W; the first term of the series solution of one-dimensional transient conduction gives
//! the time for the part's *mean* temperature to fall from the melt temperature T_M to the
//! ejection temperature T_E (Osswald, Turng & Gramann, Injection Molding Handbook, 2nd ed.,
//! Hanser 2008; Menges, Michaeli & Mohren, How to Make Injection Molds, 3rd ed., Hanser 2001):
//!
//!   t_c = s² / (π²·α) · ln( (8/π²) · (T_M − T_W) / (T_E − T_W) )
//!
//! with α the polymer's thermal diffusivity. On each telemetry message of a machine the app
//! reads the melt and mould temperatures, the set cooling time and the last cycle time (the
//! message's values, else the latest stored ones), computes t_c for the configured part, the
//! cooling time the machine could be set to (t_c less the hold time counted as cooling, not
//! below the machine's shortest cooling), the time that could be saved per shot and per day
//! at the current output, and raises `cooling_time_too_short` when the set cooling (plus the
//! counted hold time) is below t_c: the part is ejected too hot (warpage, sink marks,
//! ejector pin marks). Results go to the state `imm:<device>` for the panel; telemetry
//! writes are optional. Crash-only: everything lives in the state.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const ALARM: &str = "cooling_time_too_short";
const PI2: f64 = std::f64::consts::PI * std::f64::consts::PI;

/// Thermal diffusivity (mm²/s) and ejection temperature (°C) of the built-in materials; the
/// sources of each value are in the README ("Material data").
const MATERIALS: [(&str, f64, f64); 4] = [
    ("PP", 0.065, 100.0),
    ("ABS", 0.17, 98.0),
    ("PA6", 0.125, 80.0),
    ("PC", 0.147, 140.0),
];

struct Config {
    json: Json,
}

impl Config {
    fn text<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.json.text(key).unwrap_or(default)
    }
    fn number(&self, key: &str, default: f64) -> f64 {
        self.json.number(key).filter(|v| v.is_finite()).unwrap_or(default)
    }
    fn flag(&self, key: &str, default: bool) -> bool {
        self.json[key].as_bool().unwrap_or(default)
    }
}

/// The part and material as configured.
struct Part {
    material: String,
    s: f64,
    alpha: f64,
    t_eject: f64,
}

fn part(config: &Config) -> std::result::Result<Part, String> {
    let material = config.text("material", "PP").to_string();
    let table = MATERIALS.iter().find(|m| m.0 == material);
    let alpha = match config.number("diffusivity_mm2_s", 0.0) {
        a if a > 0.0 => a,
        _ => match table {
            Some(m) => m.1,
            None => return Err(format!("material {} has no table values: set diffusivity_mm2_s", material)),
        },
    };
    let t_eject = match config.number("eject_temp", 0.0) {
        t if t > 0.0 => t,
        _ => match table {
            Some(m) => m.2,
            None => return Err(format!("material {} has no table values: set eject_temp", material)),
        },
    };
    Ok(Part {
        material,
        s: config.number("wall_thickness_mm", 3.0),
        alpha,
        t_eject,
    })
}

/// Minimum cooling time (s) of a plate of thickness `s` (mm), diffusivity `alpha` (mm²/s),
/// from melt `tm` to a mean temperature `te` in a mould at `tw` (°C). `Err` when the
/// temperatures are not in the order T_M > T_E > T_W. Zero when the one-term solution's
/// logarithm is not positive (the mean temperature is below T_E at once).
pub fn cooling_time(s: f64, alpha: f64, tm: f64, tw: f64, te: f64) -> std::result::Result<f64, String> {
    if !(te > tw) {
        return Err(format!("mould temperature {} °C is not below the ejection temperature {} °C", tw, te));
    }
    if !(tm > te) {
        return Err(format!("melt temperature {} °C is not above the ejection temperature {} °C", tm, te));
    }
    let arg = 8.0 / PI2 * (tm - tw) / (te - tw);
    Ok((s * s / (PI2 * alpha) * arg.ln()).max(0.0))
}

/// What the machine reported, from the message or else the latest stored values.
#[derive(Default)]
struct Reading {
    ts: i64,
    melt: Option<f64>,
    mould: Option<f64>,
    cooling: Option<f64>,
    cycle: Option<f64>,
    state: Option<f64>,
}

const PROPS: [(&str, &str); 5] = [
    ("melt_property", "melt_temp"),
    ("mould_property", "mould_temp"),
    ("cooling_property", "cooling_time"),
    ("cycle_property", "cycle_time"),
    ("state_property", "state"),
];

fn read(device: &str, event: &Event, config: &Config, problems: &mut Vec<String>) -> Result<Option<Reading>> {
    let names: Vec<&str> = PROPS.iter().map(|(k, d)| config.text(k, d)).collect();
    let mut ts = 0i64;
    let mut any = false;
    for name in names.iter().filter(|n| !n.is_empty()) {
        if let Some(p) = event.point(name) {
            any = true;
            ts = ts.max(p.ts);
        }
    }
    if !any {
        return Ok(None);
    }
    // Properties missing from this message: the latest stored values.
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !n.is_empty() && event.point(n).is_none())
        .collect();
    let latest = if missing.is_empty() {
        ironloom::Latest::default()
    } else {
        match ironloom::latest(device, &missing) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("latest values not read: {}", e));
                ironloom::Latest::default()
            }
        }
    };
    let mut value = |name: &str| -> Option<f64> {
        if name.is_empty() {
            return None;
        }
        let point = event.point(name).or_else(|| latest.get(name).cloned());
        let p = point?;
        match p.number() {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                problems.push(format!("{} is not a number: {}", name, p.value));
                None
            }
        }
    };
    let r = Reading {
        ts,
        melt: value(names[0]),
        mould: value(names[1]),
        cooling: value(names[2]).filter(|v| *v >= 0.0),
        cycle: value(names[3]).filter(|v| *v > 0.0),
        state: value(names[4]),
    };
    Ok(Some(r))
}

fn on_event(event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) if event.kind() == "telemetry" => d,
        _ => return Ok(()),
    };
    let config = Config {
        json: ironloom::config()?,
    };
    let mut problems = Vec::new();
    let reading = match read(device, event, &config, &mut problems)? {
        Some(r) => r,
        None => return Ok(()),
    };
    let key = format!("imm:{}", device);
    let mut state = ironloom::kv_get(&key)?;
    if !state.is_object() {
        state = Json::object();
    }
    if let Some(last) = state.number("ts") {
        if (reading.ts as f64) < last {
            ironloom::debug(&format!("{}: reading at {} is older than the last ({}): skipped", device, reading.ts, last));
            return Ok(());
        }
    }
    let ts = if reading.ts > 0 {
        reading.ts
    } else {
        state.number("ts").map_or(0, |t| t as i64)
    };
    state.set("ts", ts);

    let part = match part(&config) {
        Ok(p) => p,
        Err(e) => {
            problems.push(e);
            return finish(device, &key, state, problems);
        }
    };
    state.set("material", part.material.as_str());
    state.set("s_mm", part.s);
    state.set("alpha", part.alpha);
    state.set("t_eject", part.t_eject);
    state.set("melt", reading.melt);
    state.set("mould", reading.mould);
    state.set("set_cooling", reading.cooling);
    state.set("cycle", reading.cycle);
    state.set("machine_state", reading.state.map(|s| s as i64));

    let (tm, tw) = match (reading.melt, reading.mould) {
        (Some(m), Some(w)) => (m, w),
        _ => {
            problems.push("melt or mould temperature unknown: no cooling time".to_string());
            state.set("status", "no_data");
            return finish(device, &key, state, problems);
        }
    };
    let tc = match cooling_time(part.s, part.alpha, tm, tw, part.t_eject) {
        Ok(t) => t,
        Err(e) => {
            problems.push(e);
            state.set("status", "invalid");
            state.set("t_c", Json::Null);
            return finish(device, &key, state, problems);
        }
    };
    let hold = config.number("hold_time_s", 0.0);
    let min_cooling = config.number("min_cooling_s", 0.0);
    let required = (tc - hold).max(min_cooling).max(0.0);
    state.set("t_c", tc);
    state.set("hold", hold);
    state.set("required", required);

    let mut written = Json::object();
    written.set(config.text("tc_property", "cooling_time_min"), tc);
    match reading.cooling {
        Some(set) => {
            let effective = set + hold;
            let short = tc - effective; // > 0: ejected before the part is cool enough
            let saving = (set - required).max(0.0);
            state.set("deficit", short.max(0.0));
            state.set("saving_s", saving);
            written.set(config.text("saving_property", "cooling_saving_s"), saving);
            let status = if short > 0.0 {
                "too_short"
            } else if saving > 0.0 {
                "excess"
            } else {
                "ok"
            };
            state.set("status", status);
            output(&config, &mut state, reading.cycle, saving);
            alarm(device, &config, &mut state, &part, tc, set, hold, tm, tw)?;
        }
        None => {
            problems.push("set cooling time unknown: minimum only".to_string());
            state.set("status", "no_setting");
            for k in ["deficit", "saving_s", "shots_day", "saved_h_day", "extra_shots_day", "gain_pct"] {
                state.set(k, Json::Null);
            }
        }
    }
    if config.flag("write_telemetry", false) {
        let at = if ts > 0 { Some(ts) } else { None };
        let w = ironloom::write(device, written, at)?;
        for r in &w.refused {
            problems.push(format!("{} refused ({}): declare it in the product's thing model", r.property, r.code));
        }
    }
    ironloom::info(&format!(
        "{}: t_c {:.2} s ({} {} mm, melt {:.1}, mould {:.1}, eject {:.0} °C), set {}, saving {} s/shot",
        device,
        tc,
        part.material,
        part.s,
        tm,
        tw,
        part.t_eject,
        reading.cooling.map_or("–".to_string(), |c| format!("{:.2} s", c)),
        state.number("saving_s").map_or("–".to_string(), |c| format!("{:.2}", c)),
    ));
    finish(device, &key, state, problems)
}

/// Savings per day at the current output: shots a day at the measured cycle time over the
/// configured production hours, the cooling time saved on them, and the extra shots the
/// shorter cycle gives in the same hours.
fn output(config: &Config, state: &mut Json, cycle: Option<f64>, saving: f64) {
    let hours = config.number("hours_per_day", 24.0);
    match cycle {
        Some(c) if c > saving => {
            let shots = hours * 3600.0 / c;
            state.set("shots_day", shots);
            state.set("saved_h_day", shots * saving / 3600.0);
            state.set("extra_shots_day", hours * 3600.0 / (c - saving) - shots);
            state.set("gain_pct", saving / (c - saving) * 100.0);
        }
        _ => {
            for k in ["shots_day", "saved_h_day", "extra_shots_day", "gain_pct"] {
                state.set(k, Json::Null);
            }
        }
    }
}

/// Raised when the set cooling plus the counted hold time is more than `margin_s` below t_c;
/// cleared once it is no longer below t_c − margin + `hysteresis_s`.
#[allow(clippy::too_many_arguments)]
fn alarm(device: &str, config: &Config, state: &mut Json, part: &Part, tc: f64, set: f64, hold: f64, tm: f64, tw: f64) -> Result<()> {
    let margin = config.number("margin_s", 0.0);
    let hysteresis = config.number("hysteresis_s", 0.3);
    let raised = state["alarm"].as_bool().unwrap_or(false);
    let effective = set + hold;
    if !raised && effective < tc - margin {
        if config.flag("raise_alarms", true) {
            let details = obj! {
                "t_c_s" => tc,
                "set_cooling_s" => set,
                "hold_counted_s" => hold,
                "short_by_s" => tc - effective,
                "melt_temp" => tm,
                "mould_temp" => tw,
                "eject_temp" => part.t_eject,
                "material" => part.material.as_str(),
                "wall_thickness_mm" => part.s,
                "diffusivity_mm2_s" => part.alpha,
            };
            ironloom::alarm_raise(device, ALARM, Severity::Major, details)?;
        }
        state.set("alarm", true);
    } else if raised && effective >= tc - margin + hysteresis {
        if config.flag("raise_alarms", true) {
            ironloom::alarm_clear(device, ALARM)?;
        }
        state.set("alarm", false);
    }
    Ok(())
}

/// Warns about problems when they differ from the last message's (not at every message),
/// keeps them for the panel and stores the state.
fn finish(device: &str, key: &str, mut state: Json, problems: Vec<String>) -> Result<()> {
    let now: Vec<Json> = problems.iter().map(|p| Json::from(p.as_str())).collect();
    let before = state["problems"].as_array().cloned().unwrap_or_default();
    if now != before {
        for p in &problems {
            ironloom::warn(&format!("{}: {}", device, p));
        }
    }
    state.set("problems", Json::Array(now));
    ironloom::kv_set(key, &state)
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("moulding-cooling-time: {}", e.message)))
}

ironloom::app!(handle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_example_abs() {
        // ABS, 2.5 mm, α 0.17 mm²/s, melt 240, mould 60, eject 98 °C (README worked example).
        let t = cooling_time(2.5, 0.17, 240.0, 60.0, 98.0).unwrap();
        assert!((t - 5.01150).abs() < 1e-4, "{}", t);
    }

    #[test]
    fn refuses_wrong_order() {
        assert!(cooling_time(2.0, 0.1, 240.0, 100.0, 98.0).is_err());
        assert!(cooling_time(2.0, 0.1, 90.0, 40.0, 98.0).is_err());
        assert_eq!(cooling_time(2.0, 0.1, 100.0, 40.0, 98.0).unwrap(), 0.0);
    }
}
