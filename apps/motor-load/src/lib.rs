//! Motor load and efficiency monitoring (US DOE Motor Challenge fact sheet "Determining
//! Electric Motor Load and Efficiency", DOE/GO-10097-517).
//!
//! On each telemetry message of a motor the app estimates its load, as a share of the rated
//! output on the nameplate (configuration), by the best method the message allows:
//!
//! * **input power** — measured active power P_i (kW), or P_i = √3·V·I·PF with the library
//!   model `motor.load_from_input_power`: load = P_i / (P_r / η_fl);
//! * **line current** — load = (I / I_r)·(V / V_r) when only current (and voltage) is known;
//! * **slip** — the library model `motor.load_from_slip`: load = (n_s − n) / ((n_s − n_r)·(V_r/V)²).
//!
//! With a speed and an input power it also estimates the efficiency as the slip method's
//! output over the measured input (DOE); otherwise from a two-part loss model fitted to the
//! nameplate efficiency (`calc::efficiency_at`). It writes `load_pct` and `est_efficiency`
//! (%) as derived telemetry, keeps per-motor statistics (hours per load band, running and
//! stopped hours, energy, mean and maximum load) for the panel, and raises
//! `motor_underloaded` (below the configured load for the configured time: oversized, an
//! energy-saving opportunity) and `motor_overload` (above 115 % for the configured time),
//! each cleared when the load is back. Crash-only: everything lives in `motor:<device>`.

mod calc;

use ironloom::{obj, Error, Event, Json, Result, Severity};

const UNDER: &str = "motor_underloaded";
const OVER: &str = "motor_overload";
const HOUR_MS: f64 = 3_600_000.0;

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

/// What one message says about a motor (numbers that are not non-negative are dropped).
#[derive(Default)]
struct Reading {
    ts: i64,
    power: Option<f64>,
    current: Option<f64>,
    voltage: Option<f64>,
    speed: Option<f64>,
    pf: Option<f64>,
}

/// The load estimate of one reading.
struct Estimate {
    method: &'static str,
    /// Load in % of rated output.
    load: f64,
    /// Input power, kW, when known.
    p_in: Option<f64>,
    /// Load by the slip method, %, when a speed was read.
    load_slip: Option<f64>,
    /// Efficiency, %, when the motor runs.
    eff: Option<f64>,
    eff_source: &'static str,
}

fn on_event(event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) if event.kind() == "telemetry" => d,
        _ => return Ok(()),
    };
    let config = Config {
        json: ironloom::config()?,
    };
    let reading = match read(device, event, &config) {
        Some(r) => r,
        None => return Ok(()), // no property the app uses
    };
    let est = match estimate(device, &config, &reading)? {
        Some(e) => e,
        None => return Ok(()),
    };
    let key = format!("motor:{}", device);
    let mut state = ironloom::kv_get(&key)?;
    if !state.is_object() {
        state = Json::object();
    }
    let running = est.load >= config.number("running_min_pct", 5.0);
    let max_gap = config.number("max_gap_minutes", 15.0) * 60_000.0;
    let gap = state
        .number("ts")
        .map_or(true, |last| reading.ts as f64 - last > max_gap);
    account(&mut state, &config, reading.ts, running, &est);
    alarms(device, &config, &mut state, reading.ts, gap, running, &est)?;

    // Derived telemetry.
    let mut values = obj! {config.text("load_property", "load_pct") => est.load};
    if let Some(e) = est.eff {
        values.set(config.text("efficiency_property", "est_efficiency"), e);
    }
    let at = if reading.ts > 0 { Some(reading.ts) } else { None };
    let written = ironloom::write(device, values, at)?;
    warn_refused(device, &mut state, &written);
    ironloom::info(&format!(
        "{}: load {:.1} % ({}){}{}",
        device,
        est.load,
        est.method,
        est.eff.map_or(String::new(), |e| format!(", efficiency {:.1} % ({})", e, est.eff_source)),
        if running { "" } else { ", stopped" }
    ));
    ironloom::kv_set(&key, &state)
}

/// The message's values of the configured properties; `None` when it has none of them.
fn read(device: &str, event: &Event, config: &Config) -> Option<Reading> {
    let mut r = Reading::default();
    let mut any = false;
    let mut ts = 0i64;
    let mut get = |key: &str, default: &str| -> Option<f64> {
        let property = config.text(key, default);
        if property.is_empty() {
            return None;
        }
        let p = event.point(property)?;
        any = true;
        ts = ts.max(p.ts);
        match p.number() {
            Some(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                ironloom::warn(&format!(
                    "{}: {} is not a non-negative number: {}",
                    device, property, p.value
                ));
                None
            }
        }
    };
    r.power = get("power_property", "power");
    r.current = get("current_property", "current");
    r.voltage = get("voltage_property", "voltage");
    r.speed = get("speed_property", "speed");
    r.pf = get("pf_property", "");
    r.ts = ts;
    if any {
        Some(r)
    } else {
        None
    }
}

/// The load by the configured (or best available) method, the slip load and the efficiency.
fn estimate(device: &str, config: &Config, r: &Reading) -> Result<Option<Estimate>> {
    let p_rated = config.number("rated_kw", 30.0);
    let eta_fl = config.number("rated_efficiency", 93.0) / 100.0;
    let v_rated = config.number("rated_voltage", 400.0);
    let i_rated = config.number("rated_current", 54.0);
    let pf = r.pf.filter(|p| *p > 0.0 && *p <= 1.0).or_else(|| {
        Some(config.number("power_factor", 0.0)).filter(|p| *p > 0.0 && *p <= 1.0)
    });
    let method = config.text("method", "auto");

    // Slip method, whenever a speed is read (it also gives the output for the efficiency).
    let mut load_slip = None;
    let f = config.number("frequency_hz", 50.0);
    let n_s = 120.0 * f / config.number("poles", 4.0);
    let rated_slip = n_s - config.number("full_load_speed", 1470.0);
    if let Some(n) = r.speed {
        if n <= 0.0 || n >= n_s {
            // Standing still, or at (or above) synchronous speed: no load to estimate.
            load_slip = Some(0.0);
        } else if rated_slip <= 0.0 || n_s - n > 3.0 * rated_slip {
            // More than three times the rated slip is no steady operating point of a
            // line-fed motor (starting, stalling, or a variable-speed drive).
            ironloom::warn(&format!(
                "{}: {} r/min is far below the synchronous {} r/min: no slip estimate (starting, or a drive?)",
                device, n, n_s
            ));
        } else {
            load_slip = slip_load(config, r, n, v_rated, p_rated, device)?;
        }
    }

    let by_vi = |v: f64, i: f64, pf: f64| -> Result<(f64, f64)> {
        if v <= 0.0 || i <= 0.0 {
            return Ok((0.0, 0.0)); // switched off: no input, no load (and no model call)
        }
        let out = ironloom::model(
            "motor.load_from_input_power",
            obj! {"V" => v, "I" => i, "PF" => pf, "P_rated" => p_rated, "eta_rated" => eta_fl},
        )?;
        Ok((out.number("load")? * 100.0, out.number("P_in")?))
    };
    let want = |m: &str| method == "auto" || method == m;
    let (method, load, p_in) = if let (true, Some(p)) = (want("input_power"), r.power) {
        ("input_power", calc::load_from_power(p, p_rated, eta_fl) * 100.0, Some(p))
    } else if let (true, Some(v), Some(i), Some(pf)) = (want("input_power"), r.voltage, r.current, pf) {
        let (load, p) = by_vi(v, i, pf)?;
        ("input_power", load, Some(p))
    } else if let (true, Some(i)) = (want("current"), r.current) {
        let load = calc::load_from_current(i, i_rated, r.voltage, v_rated) * 100.0;
        ("current", load, None)
    } else if let (true, Some(l)) = (want("slip"), load_slip) {
        ("slip", l, None)
    } else {
        return Ok(None);
    };

    // Efficiency: output by slip over the measured input, when both are known and
    // plausible; else the loss model at this load.
    let running = load >= config.number("running_min_pct", 5.0);
    let curve = || calc::efficiency_at(load / 100.0, eta_fl, config.number("fixed_loss_share", 0.35));
    let (eff, eff_source) = match (running, p_in, load_slip) {
        (false, _, _) => (None, ""),
        (true, Some(p), Some(ls)) if p > 0.0 && ls > 0.0 && ls / 100.0 * p_rated < p => {
            (Some(ls / 100.0 * p_rated / p), "slip output / input")
        }
        _ => (curve(), "part-load curve"),
    };
    Ok(Some(Estimate {
        method,
        load,
        p_in,
        load_slip,
        eff: eff.map(|e| e * 100.0),
        eff_source,
    }))
}

/// The slip method's load (%) by the library model `motor.load_from_slip`.
fn slip_load(config: &Config, r: &Reading, n: f64, v_rated: f64, p_rated: f64, device: &str) -> Result<Option<f64>> {
    let inputs = obj! {
        "f" => config.number("frequency_hz", 50.0),
        "poles" => config.number("poles", 4.0),
        "n_rated" => config.number("full_load_speed", 1470.0),
        "n" => n,
        "V_rated" => v_rated,
        "V" => r.voltage.filter(|v| *v > 0.0).unwrap_or(v_rated),
        "P_rated" => p_rated,
    };
    match ironloom::model("motor.load_from_slip", inputs) {
        Ok(out) => Ok(Some(out.number("load")? * 100.0)),
        Err(e) => {
            ironloom::warn(&format!("{}: motor.load_from_slip: {}", device, e));
            Ok(None)
        }
    }
}

/// Adds the time since the previous reading to the previous reading's band (a reading
/// holds until the next, at most `max_gap_minutes`) and keeps this one.
fn account(state: &mut Json, config: &Config, ts: i64, running: bool, est: &Estimate) {
    let max_gap = config.number("max_gap_minutes", 15.0) * 60_000.0;
    let last_ts = state.number("ts");
    if let Some(last_ts) = last_ts {
        let dt = ts as f64 - last_ts;
        if dt > 0.0 && dt <= max_gap {
            let h = dt / HOUR_MS;
            let was_running = state["running"].as_bool().unwrap_or(false);
            let last_load = state.number("load").unwrap_or(0.0);
            if was_running {
                let mut hist: Vec<f64> = state["hours"]
                    .as_array()
                    .map_or(Vec::new(), |a| a.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect());
                hist.resize(calc::BANDS.len(), 0.0);
                hist[calc::band(last_load)] += h;
                state.set("hours", hist);
                add(state, "run_h", h);
                add(state, "load_h", last_load * h);
            } else {
                add(state, "stop_h", h);
            }
            if let Some(p) = state.number("p_in") {
                add(state, "kwh", p * h);
            }
        }
    }
    if last_ts.map_or(false, |l| (ts as f64) < l) {
        return; // an older reading than the last: counted already, do not move back
    }
    state.set("ts", ts);
    state.set("load", est.load);
    state.set("running", running);
    state.set("method", est.method);
    state.set("p_in", est.p_in);
    state.set("load_slip", est.load_slip);
    state.set("eff", est.eff);
    if running && est.load > state.number("max_load").unwrap_or(f64::MIN) {
        state.set("max_load", est.load);
    }
    if state["hours"].is_null() {
        state.set("hours", vec![0.0; calc::BANDS.len()]);
    }
}

fn add(state: &mut Json, key: &str, x: f64) {
    let v = state.number(key).unwrap_or(0.0) + x;
    state.set(key, v);
}

/// Under- and overload: raised once the condition has lasted the configured time, cleared
/// when the load is back (a stopped motor neither starts nor clears an underload).
/// After a gap in the data (or at the first reading) a condition is timed from this reading.
fn alarms(
    device: &str,
    config: &Config,
    state: &mut Json,
    ts: i64,
    gap: bool,
    running: bool,
    est: &Estimate,
) -> Result<()> {
    let low = config.number("low_load_pct", 40.0);
    let high = config.number("overload_pct", 115.0);
    let checks = [
        (UNDER, "under", running && est.load < low, running && est.load >= low,
         config.number("low_minutes", 60.0), Severity::Minor, low),
        (OVER, "over", est.load > high, est.load <= high,
         config.number("overload_minutes", 5.0), Severity::Major, high),
    ];
    for (alarm, name, bad, good, minutes, severity, limit) in checks {
        let since_key = format!("{}_since", name);
        let raised = state[name].as_bool().unwrap_or(false);
        if bad {
            let since = match state.number(&since_key) {
                Some(s) if !gap => s as i64,
                _ => ts,
            };
            state.set(&since_key, since);
            let lasted = (ts - since) as f64 / 60_000.0;
            if !raised && lasted >= minutes {
                let details = obj! {
                    "load_pct" => est.load,
                    "limit_pct" => limit,
                    "minutes" => lasted,
                    "method" => est.method,
                    "rated_kw" => config.number("rated_kw", 30.0),
                    "est_efficiency" => est.eff,
                };
                ironloom::alarm_raise(device, alarm, severity, details)?;
                state.set(name, true);
            }
        } else {
            if !state[since_key.as_str()].is_null() {
                state.set(&since_key, Json::Null);
            }
            if good && raised {
                ironloom::alarm_clear(device, alarm)?;
                state.set(name, false);
            }
        }
    }
    Ok(())
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
    on_event(event).map_err(|e| Error::new(&e.code, format!("motor-load: {}", e.message)))
}

ironloom::app!(handle);
