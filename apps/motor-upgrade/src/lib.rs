//! Savings and payback of replacing an induction motor by one of a higher efficiency class.
//!
//! For each motor the app follows its measured input power and running-hours counter, and
//! computes (US DOE Motor Challenge fact sheet "Buying an Energy-Efficient Electric Motor",
//! the standard comparison of a standard and a high-efficiency motor):
//!
//! * the mean input power while running P_in (∫P dt over the running time), the shaft output
//!   P_out = P_in·η_old and the load P_out / P_rated;
//! * the annual running hours h: from the running-hours counter (its rise over the wall-clock
//!   time since its first reading, once that spans `counter_min_days`), else from the share of
//!   time the measured power shows the motor running, times 8760 h; or configured;
//! * kW saved = P_out·(1/η_old − 1/η_new), kWh a year = kW saved · h, the cost and CO₂ a year
//!   (tariff, grid emission factor) and the simple payback = price / cost a year;
//!
//! with η_old and η_new the full-load efficiencies of the IEC 60034-30-1:2014 classes (50 Hz,
//! 4 poles; `table`) at the rated power, or nameplate values. Results per motor in the state
//! `motor:<device>` for the panel. Crash-only: everything lives in the state.

mod table;

use ironloom::{Error, Event, Json, Result};

const HOUR_MS: f64 = 3_600_000.0;
const YEAR_H: f64 = 8760.0;

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
}

/// A numeric reading of `key`'s property in the message: `None` when absent, `Some(Err)`
/// when it is not a non-negative number.
fn reading(event: &Event, property: &str) -> Option<std::result::Result<(i64, f64), String>> {
    if property.is_empty() {
        return None;
    }
    let p = event.point(property)?;
    Some(match p.number() {
        Some(v) if v.is_finite() && v >= 0.0 => Ok((p.ts, v)),
        _ => Err(format!("{} is not a non-negative number: {}", property, p.value)),
    })
}

/// The efficiency (%) of a class at the rated power, or the configured nameplate value.
fn efficiency(config: &Config, class_key: &str, default_class: &str, pct_key: &str, rated: f64) -> std::result::Result<(f64, String), String> {
    let class = config.text(class_key, default_class);
    let given = config.number(pct_key, 0.0);
    if class == "nameplate" || given > 0.0 {
        if given > 0.0 && given < 100.0 {
            return Ok((given, if class == "nameplate" { "nameplate".to_string() } else { format!("{} (given)", class) }));
        }
        return Err(format!("{} is nameplate but {} is not set", class_key, pct_key));
    }
    let n = match class {
        "IE1" => 1,
        "IE2" => 2,
        "IE3" => 3,
        "IE4" => 4,
        other => return Err(format!("unknown class {}", other)),
    };
    table::efficiency(n, rated)
        .map(|e| (e, class.to_string()))
        .ok_or_else(|| format!("IEC 60034-30-1 gives no 4-pole limit at {} kW (0.75–1000 kW): give {}", rated, pct_key))
}

fn on_event(event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) if event.kind() == "telemetry" => d,
        _ => return Ok(()),
    };
    let config = Config {
        json: ironloom::config()?,
    };
    let power = reading(event, config.text("power_property", "power"));
    let counter = reading(event, config.text("hours_property", "running_hours"));
    if power.is_none() && counter.is_none() {
        return Ok(()); // not a message for this app
    }
    let key = format!("motor:{}", device);
    let mut state = ironloom::kv_get(&key)?;
    if !state.is_object() {
        state = Json::object();
    }
    let mut problems: Vec<String> = Vec::new();
    let rated = config.number("rated_kw", 30.0);
    let running_kw = config.number("running_min_pct", 5.0) / 100.0 * rated;

    match power {
        Some(Ok((ts, p))) => account_power(&mut state, &config, ts, p, running_kw),
        Some(Err(e)) => problems.push(e),
        None => {}
    }
    match counter {
        Some(Ok((ts, h))) => account_counter(&mut state, ts, h, &mut problems),
        Some(Err(e)) => problems.push(e),
        None => {}
    }
    results(&mut state, &config, rated, &mut problems);

    // Problems are warned when they change, not at every message.
    let now: Vec<Json> = problems.iter().map(|p| Json::from(p.as_str())).collect();
    if state["problems"].as_array().map_or(true, |b| *b != now) {
        for p in &problems {
            ironloom::warn(&format!("{}: {}", device, p));
        }
    }
    state.set("problems", Json::Array(now));
    ironloom::info(&format!(
        "{}: P_in {} kW, load {} %, {} h/yr, saves {} kWh/yr, payback {} years",
        device,
        show(state.number("p_in_avg"), 2),
        show(state.number("load_pct"), 1),
        show(state.number("annual_h"), 0),
        show(state.number("kwh_saved"), 0),
        show(state.number("payback_years"), 2),
    ));
    ironloom::kv_set(&key, &state)
}

fn show(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".to_string(), |v| format!("{:.*}", digits, v))
}

/// Adds the time since the previous power reading (which holds until this one, at most
/// `max_gap_minutes`) to the observed time, and to the running time and energy when the
/// previous reading showed the motor running. An older reading than the last is ignored.
fn account_power(state: &mut Json, config: &Config, ts: i64, p: f64, running_kw: f64) {
    let max_gap = config.number("max_gap_minutes", 15.0) * 60_000.0;
    if let (Some(last_ts), Some(last_p)) = (state.number("p_ts"), state.number("p_in")) {
        let dt = ts as f64 - last_ts;
        if dt < 0.0 {
            ironloom::debug(&format!("power reading at {} older than the last ({}): ignored", ts, last_ts));
            return;
        }
        if dt > 0.0 && dt <= max_gap {
            let h = dt / HOUR_MS;
            add(state, "obs_h", h);
            if last_p >= running_kw {
                add(state, "run_h", h);
                add(state, "kwh_in", last_p * h);
            }
        }
    }
    state.set("p_ts", ts);
    state.set("p_in", p);
    state.set("running", p >= running_kw);
}

/// Keeps the counter's first reading (baseline) and its last; a counter that goes back
/// (reset, motor or meter replaced) starts a new baseline.
fn account_counter(state: &mut Json, ts: i64, h: f64, problems: &mut Vec<String>) {
    if let Some(last_ts) = state.number("h_ts") {
        if (ts as f64) < last_ts {
            ironloom::debug(&format!("running hours at {} older than the last ({}): ignored", ts, last_ts));
            return;
        }
    }
    let back = state.number("h_last").map_or(false, |last| h < last);
    if back {
        problems.push(format!("running hours went back to {}: counting from there", h));
    }
    if back || state.number("h0").is_none() {
        state.set("h0", h);
        state.set("h0_ts", ts);
    }
    state.set("h_last", h);
    state.set("h_ts", ts);
}

fn add(state: &mut Json, key: &str, x: f64) {
    let v = state.number(key).unwrap_or(0.0) + x;
    state.set(key, v);
}

/// The annual hours and where they come from.
fn annual_hours(state: &Json, config: &Config) -> (Option<f64>, &'static str) {
    let fixed = config.number("annual_hours", 0.0);
    if fixed > 0.0 {
        return (Some(fixed), "configured");
    }
    let min_span = config.number("counter_min_days", 1.0) * 24.0;
    if let (Some(h0), Some(t0), Some(h1), Some(t1)) = (state.number("h0"), state.number("h0_ts"), state.number("h_last"), state.number("h_ts")) {
        let wall = (t1 - t0) / HOUR_MS;
        if wall >= min_span && wall > 0.0 {
            return (Some(((h1 - h0) / wall).clamp(0.0, 1.0) * YEAR_H), "counter");
        }
    }
    match (state.number("run_h"), state.number("obs_h")) {
        (Some(run), Some(obs)) if obs > 0.0 => (Some(run / obs * YEAR_H), "power"),
        _ => (None, ""),
    }
}

fn results(state: &mut Json, config: &Config, rated: f64, problems: &mut Vec<String>) {
    for k in ["eta_old", "eta_new", "p_in_avg", "p_out", "load_pct", "kw_saved", "annual_h", "duty_pct", "kwh_saved", "cost_saved", "co2_t", "payback_years"] {
        state.set(k, Json::Null);
    }
    state.set("rated_kw", rated);
    state.set("classes", table::row(rated));
    let old = efficiency(config, "present_class", "IE2", "present_efficiency_pct", rated);
    let new = efficiency(config, "new_class", "IE4", "new_efficiency_pct", rated);
    let ((eta_old, old_class), (eta_new, new_class)) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            problems.extend(o.err());
            problems.extend(n.err());
            return;
        }
    };
    state.set("eta_old", eta_old);
    state.set("eta_new", eta_new);
    state.set("class_old", old_class.as_str());
    state.set("class_new", new_class.as_str());
    if eta_new <= eta_old {
        problems.push(format!("the new motor ({} %) is not more efficient than the present one ({} %)", eta_new, eta_old));
    }
    // Mean input power while running; before any running time is counted, the last reading.
    let p_in = match (state.number("kwh_in"), state.number("run_h")) {
        (Some(e), Some(h)) if h > 0.0 => Some(e / h),
        _ => state.number("p_in").filter(|_| state["running"].as_bool().unwrap_or(false)),
    };
    let p_in = match p_in {
        Some(p) => p,
        None => {
            problems.push("no input power of the running motor yet".to_string());
            return;
        }
    };
    let p_out = p_in * eta_old / 100.0;
    let kw_saved = p_out * (100.0 / eta_old - 100.0 / eta_new);
    state.set("p_in_avg", p_in);
    state.set("p_out", p_out);
    state.set("load_pct", p_out / rated * 100.0);
    state.set("kw_saved", kw_saved);
    let (hours, source) = annual_hours(state, config);
    state.set("hours_source", source);
    let hours = match hours {
        Some(h) => h,
        None => {
            problems.push("running hours not known yet".to_string());
            return;
        }
    };
    let kwh = kw_saved * hours;
    let cost = kwh * config.number("tariff", 0.7);
    state.set("annual_h", hours);
    state.set("duty_pct", hours / YEAR_H * 100.0);
    state.set("kwh_saved", kwh);
    state.set("cost_saved", cost);
    state.set("co2_t", kwh * config.number("grid_ef", 0.5306) / 1000.0);
    let price = config.number("price", 0.0);
    if price > 0.0 && cost > 0.0 {
        state.set("payback_years", price / cost);
    }
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("motor-upgrade: {}", e.message)))
}

ironloom::app!(handle);
