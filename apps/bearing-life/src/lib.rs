//! Rolling bearing life consumed, from the measured speed (ISO 281:2007).
//!
//! * Basic rating life in millions of revolutions: L10 = (C/P)^p, p = 3 for ball bearings,
//!   10/3 for roller bearings (ISO 281:2007), times the life modification factor for
//!   reliability a1 of ISO 281:2007 (1 at 90 %): Lnm = a1·(C/P)^p. In hours at a
//!   constant speed n (r/min): L10h = 10⁶/(60·n)·L10.
//! * **Telemetry trigger**: the shaft speed (a speed property, or a fixed speed while a
//!   running property says running) is held between samples (zero-order hold) and the
//!   revolutions of each interval summed; by Palmgren–Miner the fraction of the rating life
//!   used is Σ tᵢ/Lh(nᵢ) = Σ revolutions / (L·10⁶), kept per speed band for the panel.
//!   Gaps longer than `max_gap_s` and samples older than the last are not counted (warned).
//! * Remaining life in hours at the current speed (1 − D)·L·10⁶/(60·n), and at the mean
//!   running speed; the alarm `bearing_replacement_due` at `alarm_fraction` used (major),
//!   critical when the whole rating life is used.
//! * **HTTP trigger**: `replace` (a new bearing: the sum starts again, the alarm is cleared)
//!   and `status`.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const ALARM: &str = "bearing_replacement_due";
const MAX_BANDS: usize = 40;
const REPLACEMENTS_KEPT: usize = 10;

/// a1 of ISO 281:2007 (life modification factor for reliability) for the reliabilities offered (90 … 99 %).
fn a1_of(reliability: f64) -> Option<f64> {
    let table = [(90.0, 1.0), (95.0, 0.64), (96.0, 0.55), (97.0, 0.47), (98.0, 0.37), (99.0, 0.25)];
    table.iter().find(|(r, _)| (*r - reliability).abs() < 1e-9).map(|(_, a)| *a)
}

struct Ctx {
    config: Json,
}

impl Ctx {
    fn num(&self, key: &str, default: f64) -> f64 {
        self.config.number(key).unwrap_or(default)
    }
    fn text(&self, key: &str, default: &str) -> String {
        self.config.text(key).unwrap_or(default).trim().to_string()
    }
    fn roller(&self) -> bool {
        self.config.text("bearing_type") == Some("roller")
    }
    /// The rating life in millions of revolutions, L = a1·(C/P)^p.
    fn life_mrev(&self) -> f64 {
        let c = self.num("c_kn", 55.3);
        let p = self.num("p_kn", 3.5);
        let exp = if self.roller() { 10.0 / 3.0 } else { 3.0 };
        self.a1() * (c / p).powf(exp)
    }
    fn a1(&self) -> f64 {
        let r = self.num("reliability_pct", 90.0);
        a1_of(r).unwrap_or_else(|| {
            ironloom::warn(&format!("reliability {} % is not one of the ISO 281 a1 values offered: a1 = 1 (90 %)", r));
            1.0
        })
    }
    /// Hours of rating life at n r/min.
    fn life_h(&self, n: f64) -> Option<f64> {
        if n > 0.0 {
            Some(self.life_mrev() * 1e6 / (60.0 * n))
        } else {
            None
        }
    }
}

fn dev_key(d: &str) -> String {
    format!("dev:{}", d)
}

fn on_event(event: &Event) -> Result<()> {
    let ctx = Ctx {
        config: ironloom::config()?,
    };
    match event.kind() {
        "telemetry" => on_telemetry(event, &ctx),
        "http" => on_http(event, &ctx),
        _ => Ok(()),
    }
}

/// Running from a value: true, or a number equal to 1 (run_state 1 = running).
fn running_of(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(x) => Some(*x == 1.0),
        Json::String(s) => match s.as_str() {
            "true" | "1" | "on" | "running" => Some(true),
            "false" | "0" | "off" | "stopped" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn new_state(ctx: &Ctx) -> Json {
    let init = ctx.num("initial_fraction_used", 0.0).max(0.0);
    obj! {
        "fraction_used" => init,
        "initial_fraction" => init,
        "revolutions" => 0.0,
        "run_h" => 0.0,
        "counted_h" => 0.0,
        "gap_h" => 0.0,
        "bands" => Json::Array(Vec::new()),
    }
}

fn on_telemetry(event: &Event, ctx: &Ctx) -> Result<()> {
    let device = match event.device() {
        Some(d) => d.to_string(),
        None => {
            ironloom::warn("telemetry event without a device: ignored");
            return Ok(());
        }
    };
    let speed_prop = ctx.text("speed_property", "speed_setpoint");
    let run_prop = ctx.text("running_property", "run_state");
    let fixed = ctx.num("fixed_speed_rpm", 0.0);
    let max_gap_ms = ctx.num("max_gap_s", 600.0) * 1000.0;
    let mut points: Vec<(i64, String, Json)> = event
        .points()
        .into_iter()
        .map(|(p, pt)| (pt.ts, p.to_string(), pt.value))
        .collect();
    points.sort_by_key(|p| p.0);
    if points.is_empty() {
        return Ok(());
    }
    let key = dev_key(&device);
    let mut st = ironloom::kv_get(&key)?;
    if !st.is_object() {
        st = new_state(ctx);
        ironloom::info(&format!(
            "{}: counting bearing life from now (L = {:.4} million revolutions; {:.1} % already used)",
            device,
            ctx.life_mrev(),
            st.number("fraction_used").unwrap_or(0.0) * 100.0
        ));
    }
    let life = ctx.life_mrev();
    let mut changed = false;
    let mut stale = 0;
    for (ts, prop, value) in points {
        let relevant = (!speed_prop.is_empty() && prop == speed_prop && fixed <= 0.0) || (!run_prop.is_empty() && prop == run_prop);
        if ts <= 0 {
            if relevant {
                ironloom::warn(&format!("{}: {} without a time: ignored", device, prop));
            }
            continue;
        }
        let t = ts as f64;
        // Advance the integration to t with the speed held since the last sample.
        match st.number("last_ts") {
            None => {
                st.set("last_ts", t);
                changed = true;
            }
            Some(last) if t < last => {
                stale += 1;
                continue;
            }
            Some(last) if t > last => {
                let dt = t - last;
                if dt > max_gap_ms {
                    ironloom::warn(&format!(
                        "{}: no data for {:.0} s (more than max_gap_s): {:.3} h not counted",
                        device,
                        dt / 1000.0,
                        dt / 3.6e6
                    ));
                    let g = st.number("gap_h").unwrap_or(0.0) + dt / 3.6e6;
                    st.set("gap_h", g);
                } else {
                    let n = effective_speed(&st, fixed);
                    integrate(&mut st, dt, n, life);
                }
                st.set("last_ts", t);
                changed = true;
            }
            _ => {}
        }
        if !relevant {
            continue;
        }
        if prop == run_prop {
            match running_of(&value) {
                Some(r) => st.set("running", r),
                None => ironloom::warn(&format!("{}: {} = {} is not a running state: ignored", device, prop, value)),
            }
        } else {
            match value.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 && n <= 1e6 => st.set("speed", n),
                _ => ironloom::warn(&format!("{}: {} = {} is not a speed in r/min: ignored", device, prop, value)),
            }
        }
        changed = true;
    }
    if stale > 0 {
        ironloom::warn(&format!("{}: {} value(s) older than the last counted sample: ignored", device, stale));
    }
    if !changed {
        return Ok(());
    }
    derive(ctx, &mut st, fixed);
    alarm(ctx, &device, &mut st)?;
    maybe_write(ctx, &device, &mut st)?;
    ironloom::kv_set(&key, &st)
}

/// The shaft speed now: the speed (or the fixed speed) while running, else 0.
fn effective_speed(st: &Json, fixed: f64) -> f64 {
    let running = st["running"].as_bool().unwrap_or(true);
    if !running {
        return 0.0;
    }
    if fixed > 0.0 {
        fixed
    } else {
        st.number("speed").unwrap_or(0.0)
    }
}

/// Adds dt ms at n r/min: revolutions, running hours, the Miner fraction and its band.
fn integrate(st: &mut Json, dt_ms: f64, n: f64, life_mrev: f64) {
    let h = dt_ms / 3.6e6;
    let c = st.number("counted_h").unwrap_or(0.0) + h;
    st.set("counted_h", c);
    if n <= 0.0 {
        return;
    }
    let revs = n * dt_ms / 60_000.0;
    let d = revs / (life_mrev * 1e6);
    let r = st.number("revolutions").unwrap_or(0.0) + revs;
    st.set("revolutions", r);
    let run = st.number("run_h").unwrap_or(0.0) + h;
    st.set("run_h", run);
    let f = st.number("fraction_used").unwrap_or(0.0) + d;
    st.set("fraction_used", f);
    // The Miner table: hours and fraction used per speed band of 100 r/min.
    let band = (n / 100.0).floor() * 100.0;
    let mut bands = st["bands"].as_array().cloned().unwrap_or_default();
    match bands.iter_mut().find(|b| b.number("from") == Some(band)) {
        Some(b) => {
            let bh = b.number("h").unwrap_or(0.0) + h;
            let bd = b.number("fraction").unwrap_or(0.0) + d;
            b.set("h", bh);
            b.set("fraction", bd);
        }
        None => {
            if bands.len() >= MAX_BANDS {
                // Merge into the nearest band (keeps the state bounded).
                let i = bands
                    .iter()
                    .enumerate()
                    .min_by(|a, b| {
                        let da = (a.1.number("from").unwrap_or(0.0) - band).abs();
                        let db = (b.1.number("from").unwrap_or(0.0) - band).abs();
                        da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                let bh = bands[i].number("h").unwrap_or(0.0) + h;
                let bd = bands[i].number("fraction").unwrap_or(0.0) + d;
                bands[i].set("h", bh);
                bands[i].set("fraction", bd);
            } else {
                bands.push(obj! {"from" => band, "h" => h, "fraction" => d});
                bands.sort_by(|a, b| {
                    a.number("from")
                        .unwrap_or(0.0)
                        .partial_cmp(&b.number("from").unwrap_or(0.0))
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
            }
        }
    }
    st.set("bands", Json::Array(bands));
}

/// Remaining life, mean speed and the rating life at the current speed.
fn derive(ctx: &Ctx, st: &mut Json, fixed: f64) {
    let life = ctx.life_mrev();
    let d = st.number("fraction_used").unwrap_or(0.0);
    let left = (1.0 - d).max(0.0);
    let n = effective_speed(st, fixed);
    st.set("life_mrev", life);
    st.set("current_speed", n);
    st.set("life_h_at_speed", ctx.life_h(n));
    st.set("remaining_h", ctx.life_h(n).map(|l| l * left));
    let run_h = st.number("run_h").unwrap_or(0.0);
    let mean = if run_h > 0.0 {
        Some(st.number("revolutions").unwrap_or(0.0) / (run_h * 60.0))
    } else {
        None
    };
    st.set("mean_speed", mean);
    st.set("remaining_h_at_mean", mean.and_then(|m| ctx.life_h(m)).map(|l| l * left));
    st.set("remaining_mrev", life * left);
}

fn alarm(ctx: &Ctx, device: &str, st: &mut Json) -> Result<()> {
    let d = st.number("fraction_used").unwrap_or(0.0);
    let limit = ctx.num("alarm_fraction", 0.9);
    let level = if d >= 1.0 {
        2.0
    } else if d >= limit {
        1.0
    } else {
        0.0
    };
    let was = st.number("alarm_level").unwrap_or(0.0);
    if level > was {
        let sev = if level >= 2.0 { Severity::Critical } else { Severity::Major };
        let details = obj! {
            "fraction_used" => d,
            "alarm_fraction" => limit,
            "remaining_h" => st["remaining_h"].clone(),
            "remaining_h_at_mean" => st["remaining_h_at_mean"].clone(),
            "life_mrev" => st["life_mrev"].clone(),
            "revolutions" => st["revolutions"].clone(),
            "designation" => ctx.config.text("designation").unwrap_or(""),
        };
        ironloom::alarm_raise(device, ALARM, sev, details)?;
        ironloom::warn(&format!(
            "{}: {:.1} % of the bearing's rating life used (alarm at {:.1} %): {} raised",
            device,
            d * 100.0,
            limit * 100.0,
            ALARM
        ));
        st.set("alarm_level", level);
    } else if level < was && level == 0.0 {
        // The limit was raised in the configuration.
        ironloom::alarm_clear(device, ALARM)?;
        st.set("alarm_level", 0.0);
    }
    Ok(())
}

fn maybe_write(ctx: &Ctx, device: &str, st: &mut Json) -> Result<()> {
    if ctx.config["write_telemetry"].as_bool() != Some(true) {
        return Ok(());
    }
    let t = st.number("last_ts").unwrap_or(0.0);
    let last = st.number("last_write_ts").unwrap_or(f64::MIN);
    if t - last < ctx.num("write_interval_s", 60.0) * 1000.0 {
        return Ok(());
    }
    let mut values = obj! {"bearing_life_used_pct" => st.number("fraction_used").unwrap_or(0.0) * 100.0};
    if let Some(r) = st.number("remaining_h") {
        values.set("bearing_remaining_h", r);
    }
    let w = ironloom::write(device, values, Some(t as i64))?;
    for r in &w.refused {
        ironloom::warn(&format!("{}: {} refused: {} ({})", device, r.property, r.message, r.code));
    }
    st.set("last_write_ts", t);
    Ok(())
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn on_http(event: &Event, ctx: &Ctx) -> Result<()> {
    let path = event.path().unwrap_or("");
    let body = event.body();
    if path != "replace" && path != "status" {
        return reply_err(404, format!("unknown path {:?} (replace, status)", path));
    }
    if !body.is_object() {
        return reply_err(400, format!("{}: the body must be a JSON object", path));
    }
    let device = match body.text("device") {
        Some(d) if !d.trim().is_empty() => d.trim().to_string(),
        _ => return reply_err(400, format!("{}: \"device\" is required", path)),
    };
    let key = dev_key(&device);
    let mut st = ironloom::kv_get(&key)?;
    if path == "status" {
        if !st.is_object() {
            return reply_err(404, format!("status: no speed data from {} yet", device));
        }
        return ironloom::reply(200, st);
    }
    let ts = match &body["ts"] {
        Json::Null => None,
        v => match v.as_f64() {
            Some(t) if t.is_finite() && t > 0.0 => Some(t),
            _ => return reply_err(400, format!("replace: ts {} is not a time in ms", v)),
        },
    };
    let used = match &body["fraction_used"] {
        Json::Null => 0.0,
        v => match v.as_f64() {
            Some(f) if (0.0..=10.0).contains(&f) => f,
            _ => return reply_err(400, format!("replace: fraction_used {} is not a number from 0 to 10", v)),
        },
    };
    if !st.is_object() {
        st = Json::object();
    }
    let at = ts.or_else(|| st.number("last_ts"));
    let at = match at {
        Some(t) => t,
        None => return reply_err(400, format!("replace: no ts and no data from {} yet", device)),
    };
    if let Some(last) = st.number("last_ts") {
        if at < last {
            return reply_err(
                422,
                format!("replace: {} at {} is before the last counted sample at {}", device, at, last),
            );
        }
    }
    let mut history = st["replacements"].as_array().cloned().unwrap_or_default();
    if st.number("revolutions").is_some() {
        history.insert(
            0,
            obj! {
                "ts" => at,
                "fraction_used" => st["fraction_used"].clone(),
                "revolutions" => st["revolutions"].clone(),
                "run_h" => st["run_h"].clone(),
                "note" => body.text("note").map(|n| n.chars().take(200).collect::<String>()),
            },
        );
        history.truncate(REPLACEMENTS_KEPT);
    }
    let had_alarm = st.number("alarm_level").unwrap_or(0.0) > 0.0;
    let mut fresh = new_state(ctx);
    fresh.set("fraction_used", used);
    fresh.set("initial_fraction", used);
    fresh.set("installed_ts", at);
    fresh.set("last_ts", at);
    for k in ["speed", "running"] {
        if !st[k].is_null() {
            fresh.set(k, st[k].clone());
        }
    }
    fresh.set("replacements", Json::Array(history));
    let fixed = ctx.num("fixed_speed_rpm", 0.0);
    derive(ctx, &mut fresh, fixed);
    if had_alarm {
        ironloom::alarm_clear(&device, ALARM)?;
    }
    alarm(ctx, &device, &mut fresh)?;
    ironloom::kv_set(&key, &fresh)?;
    ironloom::info(&format!("{}: bearing replaced; life counted from {:.1} % used", device, used * 100.0));
    ironloom::reply(200, fresh)
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("bearing-life: {}", e.message)))
}

ironloom::app!(handle);
