//! Energy baseline by linear regression of daily energy on one driver (ISO 50006:2014,
//! IPMVP Option C), daily deviations and their CUSUM, with the ASHRAE Guideline 14-2014
//! goodness-of-fit statistics (fit.rs).
//!
//! Telemetry builds one day record per local day from two sources: the energy (a power in
//! kW integrated over time, or a cumulative kWh meter) of `energy_device`, and the driver of
//! `driver_device` (a production counter's increase, a sum, a mean, or heating or cooling
//! degree-days from a temperature). Increments between two readings are split across
//! midnight in proportion to time; a day closes when both sources have passed its end (or the
//! later one by `close_grace_minutes`). Days may also be posted over HTTP (`days`). Once
//! `baseline_days` complete days are there, E = a + b·x is fitted on them (or on the dates
//! posted to `baseline`); every later complete day gets its expected energy, its deviation
//! (expected − actual: savings, positive) and the running CUSUM, and the alarm
//! `energy_above_baseline` when the day's excess is above `alarm_sigma` × RMSE.
//! Crash-only: the whole state is the key `site`.

mod fit;

use ironloom::{obj, Error, Event, Json, Result, Severity};

const ALARM: &str = "energy_above_baseline";
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

struct Config {
    json: Json,
}

impl Config {
    fn text<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.json.text(key).unwrap_or(default)
    }
    fn num(&self, key: &str, default: f64) -> f64 {
        self.json.number(key).unwrap_or(default)
    }
    fn offset_ms(&self) -> i64 {
        (self.num("utc_offset_h", 8.0) * HOUR as f64).round() as i64
    }
    fn gap_ms(&self) -> i64 {
        (self.num("max_gap_minutes", 15.0) * 60_000.0) as i64
    }
}

fn on_event(event: &Event) -> Result<()> {
    let config = Config {
        json: ironloom::config()?,
    };
    let mut st = ironloom::kv_get("site")?;
    if !st.is_object() {
        st = obj! {"open" => Json::Array(Vec::new()), "model" => Json::Null};
    }
    let changed = match event.kind() {
        "telemetry" => on_telemetry(event, &config, &mut st)?,
        "http" => {
            load_days(&mut st)?;
            on_http(event, &config, &mut st)?
        }
        _ => false,
    };
    if changed {
        // The day records live in their own key (each key holds at most 64 KiB), read only
        // when a day closes or over HTTP.
        if let Some(days) = st.remove("days") {
            ironloom::kv_set("days", &days)?;
        }
        ironloom::kv_set("site", &st)?;
    }
    Ok(())
}

/// Reads the day records into `st["days"]` (once).
fn load_days(st: &mut Json) -> Result<()> {
    if st.get("days").is_none() {
        let days = ironloom::kv_get("days")?;
        st.set("days", if days.is_array() { days } else { Json::Array(Vec::new()) });
    }
    Ok(())
}

/// Rounds to 6 decimals (the day records stay small).
fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn add(obj: &mut Json, key: &str, x: f64) {
    let v = obj.number(key).unwrap_or(0.0) + x;
    obj.set(key, v);
}

fn on_telemetry(event: &Event, config: &Config, st: &mut Json) -> Result<bool> {
    let device = match event.device() {
        Some(d) => d,
        None => return Ok(false),
    };
    let mut changed = false;
    for (role, dev_key, prop_key, dev_default, prop_default) in [
        ("energy", "energy_device", "energy_property", "motor-01", "power"),
        ("driver", "driver_device", "driver_property", "cnc-01", "part_count"),
    ] {
        if device != config.text(dev_key, dev_default) {
            continue;
        }
        let property = config.text(prop_key, prop_default);
        let point = match event.point(property) {
            Some(p) => p,
            None => continue,
        };
        // A number, or a number sent as text (some gateways do).
        let v = match point.number().or_else(|| point.value.as_str().and_then(|t| t.trim().parse::<f64>().ok())) {
            Some(v) if v.is_finite() => v,
            _ => {
                ironloom::warn(&format!("{}: {} is not a number: {}", device, property, point.value));
                continue;
            }
        };
        if point.ts <= 0 {
            continue;
        }
        changed |= reading(st, config, role, device, point.ts, v);
    }
    if changed {
        close_days(st, config)?;
    }
    Ok(changed)
}

/// The open record of a day, created when missing; `None` when the day is closed already.
fn open_day(st: &mut Json, day: i64) -> Option<usize> {
    let mut open = st["open"].as_array().cloned().unwrap_or_default();
    if let Some(i) = open.iter().position(|r| r.number("d") == Some(day as f64)) {
        return Some(i);
    }
    if st.number("closed_to").map_or(false, |c| day as f64 <= c) {
        return None;
    }
    open.push(obj! {"d" => day, "e" => 0, "cov_s" => 0, "x_sum" => 0, "x_n" => 0, "gap" => false});
    open.sort_by(|a, b| a.number("d").partial_cmp(&b.number("d")).unwrap_or(std::cmp::Ordering::Equal));
    let i = open.iter().position(|r| r.number("d") == Some(day as f64));
    st.set("open", Json::Array(open));
    i
}

/// Adds `f(record)` to the open record of `day` (a late reading for a closed day is warned).
fn with_day(st: &mut Json, day: i64, f: impl FnOnce(&mut Json)) {
    match open_day(st, day) {
        Some(i) => {
            let mut open = st["open"].as_array().cloned().unwrap_or_default();
            f(&mut open[i]);
            st.set("open", Json::Array(open));
        }
        None => ironloom::warn(&format!("data for {} arrived after the day was closed: left out", fit::date(day))),
    }
}

/// Splits an amount over [from, to] across local days in proportion to time; `cover` also
/// adds the seconds as energy coverage.
fn spread(st: &mut Json, config: &Config, from: i64, to: i64, amount: f64, key: &str, cover: bool) {
    let off = config.offset_ms();
    let total = (to - from) as f64;
    let mut cur = from;
    while cur < to {
        let day = (cur + off).div_euclid(DAY);
        let end = to.min((day + 1) * DAY - off);
        let share = amount * (end - cur) as f64 / total;
        let secs = (end - cur) as f64 / 1000.0;
        with_day(st, day, |r| {
            add(r, key, share);
            if cover {
                add(r, "cov_s", secs);
            }
        });
        cur = end;
    }
}

/// One reading of a source; whether anything changed.
fn reading(st: &mut Json, config: &Config, role: &str, device: &str, ts: i64, v: f64) -> bool {
    let src = st[role].clone();
    let last_ts = src.number("ts").map(|t| t as i64);
    if let Some(l) = last_ts {
        if ts < l {
            ironloom::warn(&format!("{}: a reading at {} is older than the last one ({}): ignored", device, ts, l));
            return false;
        }
    }
    let off = config.offset_ms();
    let day = (ts + off).div_euclid(DAY);
    let gap = last_ts.map_or(false, |l| ts - l > config.gap_ms());
    let last_v = src.number("v");
    if gap {
        ironloom::warn(&format!(
            "{}: no {} reading for {:.1} min (more than {} min)",
            device,
            role,
            (ts - last_ts.unwrap_or(ts)) as f64 / 60_000.0,
            config.num("max_gap_minutes", 15.0)
        ));
    }
    let kind = if role == "energy" {
        config.text("energy_kind", "power_kw")
    } else {
        config.text("driver_kind", "counter")
    };
    let key = if role == "energy" { "e" } else { "x_sum" };
    match kind {
        "power_kw" => {
            if v < 0.0 {
                ironloom::warn(&format!("{}: negative power {} kW: taken as 0", device, v));
            }
            if let (Some(l), Some(p), false) = (last_ts, last_v, gap) {
                // The previous power holds until this reading.
                spread(st, config, l, ts, p.max(0.0) * (ts - l) as f64 / HOUR as f64, key, true);
            }
        }
        "counter" | "counter_kwh" => {
            if let (Some(l), Some(prev)) = (last_ts, last_v) {
                let mut inc = v - prev;
                if inc < 0.0 {
                    ironloom::warn(&format!("{}: counter went back from {} to {}: taken as a reset", device, prev, v));
                    inc = v.max(0.0);
                }
                if gap || ts == l {
                    with_day(st, day, |r| {
                        add(r, key, inc);
                        if gap {
                            r.set("gap", true);
                        }
                    });
                } else {
                    spread(st, config, l, ts, inc, key, role == "energy");
                }
            }
        }
        _ => {
            // sum, mean, hdd, cdd: the reading counts on its own day.
            with_day(st, day, |r| {
                add(r, "x_sum", v);
                add(r, "x_n", 1.0);
            });
        }
    }
    if gap && role == "energy" {
        with_day(st, day, |r| r.set("gap", true));
    }
    st.set(role, obj! {"ts" => ts, "v" => v});
    // Touch the day of this reading so that it exists (and closes) even without amounts.
    with_day(st, day, |_| {});
    true
}

/// Closes the open days both sources have passed (or the later one by the grace time).
fn close_days(st: &mut Json, config: &Config) -> Result<()> {
    let clocks: Vec<i64> = ["energy", "driver"]
        .iter()
        .filter_map(|r| st[*r].number("ts").map(|t| t as i64))
        .collect();
    if clocks.len() < 2 {
        return Ok(());
    }
    let lo = *clocks.iter().min().unwrap_or(&0);
    let hi = *clocks.iter().max().unwrap_or(&0);
    let grace = (config.num("close_grace_minutes", 60.0) * 60_000.0) as i64;
    let off = config.offset_ms();
    let open = st["open"].as_array().cloned().unwrap_or_default();
    let mut keep = Vec::new();
    let mut closed = Vec::new();
    for r in open {
        let d = r.number("d").unwrap_or(0.0) as i64;
        let end = (d + 1) * DAY - off;
        if end <= lo || end + grace <= hi {
            closed.push(r);
        } else {
            keep.push(r);
        }
    }
    st.set("open", Json::Array(keep));
    if !closed.is_empty() {
        load_days(st)?;
    }
    for r in closed {
        let rec = day_record(&r, config);
        let d = r.number("d").unwrap_or(0.0);
        if st.number("closed_to").map_or(true, |c| d > c) {
            st.set("closed_to", d);
        }
        ironloom::info(&format!(
            "{}: energy {} kWh, driver {}{}",
            rec.text("date").unwrap_or(""),
            rec.number("e").map_or("–".to_string(), |e| format!("{:.3}", e)),
            rec.number("x").map_or("–".to_string(), |x| format!("{:.3}", x)),
            if rec["ok"].as_bool() == Some(true) { "" } else { " (incomplete: not used)" }
        ));
        insert_day(st, rec, config);
        let d = d as i64;
        if st["model"].is_null() {
            auto_fit(st, config);
        }
        report(st, config);
        alarm_for(st, config, d)?;
    }
    Ok(())
}

/// The closed record of a day: energy, driver value, coverage and whether it is complete.
fn day_record(r: &Json, config: &Config) -> Json {
    let d = r.number("d").unwrap_or(0.0) as i64;
    let cov_h = r.number("cov_s").unwrap_or(0.0) / 3600.0;
    let n = r.number("x_n").unwrap_or(0.0);
    let sum = r.number("x_sum").unwrap_or(0.0);
    let base = config.num("base_temp_c", 18.0);
    let x = match config.text("driver_kind", "counter") {
        "counter" | "sum" => Some(sum),
        "mean" if n > 0.0 => Some(sum / n),
        "hdd" if n > 0.0 => Some((base - sum / n).max(0.0)),
        "cdd" if n > 0.0 => Some((sum / n - base).max(0.0)),
        _ => None,
    };
    let need_h = config.num("min_coverage_pct", 90.0) / 100.0 * 24.0;
    let ok = cov_h >= need_h && x.is_some() && r["gap"].as_bool() != Some(true);
    obj! {"date" => fit::date(d), "d" => d, "e" => r6(r.number("e").unwrap_or(0.0)), "x" => x.map(r6),
    "cov_h" => (cov_h * 1e4).round() / 1e4, "ok" => ok}
}

/// Inserts (or replaces) a day record, in date order, keeping `days_kept`.
fn insert_day(st: &mut Json, rec: Json, config: &Config) {
    insert_days(st, vec![rec], config);
}

/// Inserts (or replaces) day records (one sort for all), keeping the last `days_kept`.
fn insert_days(st: &mut Json, recs: Vec<Json>, config: &Config) {
    let mut new_days: Vec<i64> = recs.iter().filter_map(|r| r.number("d").map(|d| d as i64)).collect();
    new_days.sort_unstable();
    let mut days = match st.remove("days") {
        Some(Json::Array(a)) => a,
        _ => Vec::new(),
    };
    days.retain(|r| r.number("d").map_or(false, |d| new_days.binary_search(&(d as i64)).is_err()));
    // The last record of a repeated day wins.
    let mut recs = recs;
    recs.reverse();
    let mut seen = Vec::new();
    for r in recs {
        let d = r.number("d").unwrap_or(0.0) as i64;
        if !seen.contains(&d) {
            seen.push(d);
            days.push(r);
        }
    }
    days.sort_by(|a, b| a.number("d").partial_cmp(&b.number("d")).unwrap_or(std::cmp::Ordering::Equal));
    let kept = config.num("days_kept", 400.0).max(10.0) as usize;
    if days.len() > kept {
        let cut = days.len() - kept;
        days.drain(..cut);
    }
    st.set("days", Json::Array(days));
}

/// Fits the baseline on the first `baseline_days` complete days once there are enough.
fn auto_fit(st: &mut Json, config: &Config) {
    let want = config.num("baseline_days", 30.0).max(3.0) as usize;
    let ok: Vec<i64> = st["days"]
        .as_array()
        .map_or(Vec::new(), |a| {
            a.iter()
                .filter(|r| r["ok"].as_bool() == Some(true))
                .filter_map(|r| r.number("d").map(|d| d as i64))
                .collect()
        });
    if ok.len() < want {
        return;
    }
    if let Err(e) = fit_range(st, config, ok[0], ok[want - 1]) {
        ironloom::warn(&format!("baseline: {}", e));
    }
}

/// Fits E = a + b·x on the complete days from `from` to `to` (day numbers, inclusive).
fn fit_range(st: &mut Json, config: &Config, from: i64, to: i64) -> std::result::Result<(), String> {
    let days = st["days"].as_array().cloned().unwrap_or_default();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for r in &days {
        let d = r.number("d").unwrap_or(0.0) as i64;
        if d < from || d > to || r["ok"].as_bool() != Some(true) {
            continue;
        }
        if let (Some(xi), Some(yi)) = (r.number("x"), r.number("e")) {
            x.push(xi);
            y.push(yi);
        }
    }
    let f = fit::fit(&x, &y).ok_or_else(|| {
        format!(
            "{} complete days from {} to {}: a fit needs at least 3 with different driver values",
            x.len(),
            fit::date(from),
            fit::date(to)
        )
    })?;
    let cv_max = config.num("cvrmse_max_pct", 15.0);
    let nmbe_max = config.num("nmbe_max_pct", 5.0);
    let r2_min = config.num("r2_min", 0.75);
    let checks = obj! {
        "r2" => f.r2 >= r2_min,
        "cvrmse" => f.cvrmse * 100.0 <= cv_max,
        "nmbe" => f.nmbe.abs() * 100.0 <= nmbe_max,
    };
    let adequate = f.r2 >= r2_min && f.cvrmse * 100.0 <= cv_max && f.nmbe.abs() * 100.0 <= nmbe_max;
    let model = obj! {
        "from" => fit::date(from), "to" => fit::date(to), "from_d" => from, "to_d" => to,
        "n" => f.n, "intercept" => f.a, "slope" => f.b, "r2" => f.r2, "rmse" => f.rmse,
        "cvrmse_pct" => f.cvrmse * 100.0, "nmbe_pct" => f.nmbe * 100.0, "t_slope" => f.t_slope,
        "mean_energy" => f.mean_y, "mean_driver" => f.mean_x, "driver_min" => f.min_x, "driver_max" => f.max_x,
        "sse" => f.sse, "sst" => f.sst,
        "checks" => checks, "adequate" => adequate,
        "limits" => obj! {"r2_min" => r2_min, "cvrmse_max_pct" => cv_max, "nmbe_max_pct" => nmbe_max},
    };
    ironloom::info(&format!(
        "baseline {} to {}: E = {:.6} + {:.6}·x, n {}, R² {:.4}, CV(RMSE) {:.3} %, NMBE {:.3} %{}",
        fit::date(from),
        fit::date(to),
        f.a,
        f.b,
        f.n,
        f.r2,
        f.cvrmse * 100.0,
        f.nmbe * 100.0,
        if adequate { "" } else { ": outside the acceptance limits" }
    ));
    st.set("model", model);
    Ok(())
}

/// Expected energy, deviation (savings = expected − actual) and CUSUM of every complete day
/// after the baseline period.
fn report(st: &mut Json, config: &Config) {
    let m = st["model"].clone();
    let (a, b, to) = match (m.number("intercept"), m.number("slope"), m.number("to_d")) {
        (Some(a), Some(b), Some(t)) => (a, b, t),
        _ => return,
    };
    let (lo, hi) = (m.number("driver_min").unwrap_or(f64::MIN), m.number("driver_max").unwrap_or(f64::MAX));
    let mut cusum = 0.0;
    let mut n = 0;
    let mut days = st["days"].as_array().cloned().unwrap_or_default();
    for r in days.iter_mut() {
        let after = r.number("d").map_or(false, |d| d > to);
        match (after, r["ok"].as_bool() == Some(true), r.number("x"), r.number("e")) {
            (true, true, Some(x), Some(e)) => {
                let exp = a + b * x;
                cusum += exp - e;
                n += 1;
                r.set("exp", r6(exp));
                r.set("dev", r6(exp - e));
                r.set("cusum", r6(cusum));
                if x < lo || x > hi {
                    r.set("outside", true);
                } else {
                    r.remove("outside");
                }
            }
            _ => {
                for k in ["exp", "dev", "cusum", "outside"] {
                    r.remove(k);
                }
            }
        }
    }
    st.set("days", Json::Array(days));
    st.set("cusum", cusum);
    st.set("reported_days", n);
    let _ = config;
}

/// The alarm for a newly closed day `d`: excess over the baseline above `alarm_sigma` × RMSE.
fn alarm_for(st: &mut Json, config: &Config, d: i64) -> Result<()> {
    let sigma = config.num("alarm_sigma", 2.0);
    let rmse = match st["model"].number("rmse") {
        Some(r) if sigma > 0.0 => r,
        _ => return Ok(()),
    };
    let rec = match st["days"].as_array().and_then(|a| a.iter().find(|r| r.number("d") == Some(d as f64))) {
        Some(r) => r.clone(),
        None => return Ok(()),
    };
    let (exp, e) = match (rec.number("exp"), rec.number("e")) {
        (Some(x), Some(e)) => (x, e),
        _ => return Ok(()),
    };
    let device = config.text("energy_device", "motor-01").to_string();
    let raised = st["alarm"].as_bool().unwrap_or(false);
    let limit = sigma * rmse;
    if e - exp > limit {
        let details = obj! {"date" => &rec["date"], "energy_kwh" => e, "expected_kwh" => exp, "excess_kwh" => e - exp,
        "limit_kwh" => limit, "driver" => &rec["x"], "cusum_kwh" => &st["cusum"]};
        ironloom::alarm_raise(&device, ALARM, Severity::Warning, details)?;
        ironloom::info(&format!("{}: {:.3} kWh above the baseline (limit {:.3})", rec.text("date").unwrap_or(""), e - exp, limit));
        st.set("alarm", true);
    } else if raised {
        ironloom::alarm_clear(&device, ALARM)?;
        st.set("alarm", false);
    }
    if config.json["write_telemetry"].as_bool() == Some(true) {
        // At the end of the day (its last millisecond), with a decimal point.
        let ts = (d + 1) * DAY - config.offset_ms() - 1;
        let values = [
            (config.text("deviation_property", "energy_savings_kwh"), exp - e),
            (config.text("cusum_property", "energy_cusum_kwh"), st.number("cusum").unwrap_or(0.0)),
        ];
        write_floats(&device, &values, ts)?;
    }
    Ok(())
}

fn write_floats(device: &str, values: &[(&str, f64)], ts: i64) -> Result<()> {
    let body: Vec<String> = values
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| format!("{}:{:?}", Json::from(*k), v))
        .collect();
    let request = format!("{{\"device\":{},\"values\":{{{}}},\"ts\":{}}}", Json::from(device), body.join(","), ts);
    let reply = Json::parse(&ironloom::call_raw("write", &request)).map_err(|e| Error::new("bad_reply", e.to_string()))?;
    if let Some(e) = reply.get("error") {
        ironloom::warn(&format!("{}: write: {}", device, e));
    }
    for r in reply["ok"]["refused"].as_array().map_or(&[][..], |a| &a[..]) {
        ironloom::warn(&format!(
            "{}: {} refused ({}); declare it in the product's thing model",
            device,
            r.text("property").unwrap_or("?"),
            r.text("message").unwrap_or("")
        ));
    }
    Ok(())
}

fn on_http(event: &Event, config: &Config, st: &mut Json) -> Result<bool> {
    let body = event.body();
    if !body.is_object() {
        fail(400, "the body must be a JSON object".to_string())?;
        return Ok(false);
    }
    match event.path().unwrap_or("") {
        "days" => post_days(body, config, st),
        "baseline" => {
            if body["reset"].as_bool() == Some(true) {
                st.set("model", Json::Null);
                report(st, config);
                ironloom::reply(200, obj! {"model" => Json::Null})?;
                return Ok(true);
            }
            let (from, to) = match (body.text("from").and_then(fit::parse_date), body.text("to").and_then(fit::parse_date)) {
                (Some(f), Some(t)) if f <= t => (f, t),
                _ => {
                    fail(400, "baseline: \"from\" and \"to\" are dates YYYY-MM-DD, from ≤ to (or \"reset\": true)".to_string())?;
                    return Ok(false);
                }
            };
            match fit_range(st, config, from, to) {
                Ok(()) => {
                    report(st, config);
                    ironloom::reply(200, obj! {"model" => &st["model"], "cusum" => &st["cusum"]})?;
                    Ok(true)
                }
                Err(e) => {
                    fail(422, e)?;
                    Ok(false)
                }
            }
        }
        "report" => {
            let limit = body.number("days").unwrap_or(31.0).max(1.0) as usize;
            let days = st["days"].as_array().cloned().unwrap_or_default();
            let tail: Vec<Json> = days.iter().skip(days.len().saturating_sub(limit)).cloned().collect();
            ironloom::reply(200, obj! {"model" => &st["model"], "cusum" => &st["cusum"], "days" => Json::Array(tail)})?;
            Ok(false)
        }
        p => {
            fail(404, format!("unknown path {:?} (days, baseline, report)", p))?;
            Ok(false)
        }
    }
}

/// `days`: daily records posted by the user (meter readings, bills, production reports).
fn post_days(body: &Json, config: &Config, st: &mut Json) -> Result<bool> {
    let list = match body["days"].as_array() {
        Some(l) if !l.is_empty() => l.clone(),
        _ => {
            fail(400, "days: a non-empty list \"days\" of {\"date\", \"energy\", \"driver\"} is required".to_string())?;
            return Ok(false);
        }
    };
    let mut accepted = 0;
    let mut refused = Vec::new();
    let mut recs = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let d = r.text("date").and_then(fit::parse_date);
        let e = r.number("energy").filter(|e| e.is_finite() && *e >= 0.0);
        let x = r.number("driver").filter(|x| x.is_finite());
        match (d, e, x) {
            (Some(d), Some(e), Some(x)) => {
                recs.push(obj! {"date" => fit::date(d), "d" => d, "e" => e, "x" => x, "cov_h" => 24.0, "ok" => true,
                "posted" => true});
                accepted += 1;
            }
            _ => refused.push(obj! {"index" => i, "reason" => match (d, e, x) {
                (None, _, _) => "date is not YYYY-MM-DD",
                (_, None, _) => "energy is not a non-negative number",
                _ => "driver is not a number",
            }}),
        }
    }
    insert_days(st, recs, config);
    if st["model"].is_null() {
        auto_fit(st, config);
    }
    report(st, config);
    if !refused.is_empty() {
        ironloom::warn(&format!("days: {} refused", refused.len()));
    }
    ironloom::reply(200, obj! {"accepted" => accepted, "refused" => Json::Array(refused),
    "days" => st["days"].as_array().map_or(0, |a| a.len()), "model" => &st["model"]})?;
    Ok(accepted > 0)
}

fn fail(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("energy-baseline: {}", e.message)))
}

ironloom::app!(handle);
