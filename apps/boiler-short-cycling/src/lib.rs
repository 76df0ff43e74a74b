//! Boiler short cycling: burner cycles, cycles per hour, mean on and off times, and the
//! efficiency penalty of purge and radiation (cycling) losses by the method of the US DOE
//! Steam Tip Sheet #16 "Minimize Boiler Short Cycling Losses" (calc.rs).
//!
//! On every telemetry message of a boiler the app advances its clock to the message's time
//! (the burner state holds between readings, at most `max_gap_minutes`), adding the firing
//! and monitored time to the current hour and day; a burner reading that turns the burner on
//! is a start (a cycle): it counts, and its pre- and post-purge carry off heat at the boiler
//! temperature then. Cycles per hour over the rolling window raise `boiler_short_cycling`
//! above the configured limit (cleared at the limit less a margin). Each hour and day keeps
//! starts, firing time, the cycle efficiency E1, the continuous-firing efficiency E2, the
//! fractional fuel savings 1 − E1/E2, the fuel lost to cycling and its cost, for the panel.
//! The HTTP path `savings` applies the tip sheet's savings formula to given or measured
//! efficiencies. Crash-only: a boiler's state is the key `boiler:<device>`.

mod calc;

use calc::Boiler;
use ironloom::{obj, Error, Event, Json, Result, Severity};

const ALARM: &str = "boiler_short_cycling";
const H: i64 = 3_600_000;
const D: i64 = 86_400_000;
/// Starts and completed periods kept for the rolling window (a window holds fewer).
const WINDOW_CAP: usize = 500;
const HOURS_KEPT: usize = 24;

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
    fn boiler(&self) -> Boiler {
        Boiler {
            q_in_kw: self.num("firing_input_kw", 3300.0),
            eta_c: self.num("combustion_efficiency_pct", 88.0) / 100.0,
            r: self.num("radiation_loss_pct", 1.0) / 100.0,
        }
    }
    fn offset_ms(&self) -> i64 {
        (self.num("utc_offset_h", 8.0) * H as f64).round() as i64
    }
    fn window_ms(&self) -> i64 {
        (self.num("window_minutes", 60.0) * 60_000.0).round() as i64
    }
    fn price(&self) -> f64 {
        self.num("fuel_price", 0.35)
    }
}

fn on_event(event: &Event) -> Result<()> {
    let config = Config {
        json: ironloom::config()?,
    };
    match event.kind() {
        "telemetry" => on_telemetry(event, &config),
        "http" => on_http(event, &config),
        _ => Ok(()),
    }
}

/// On or off from a reading: a boolean, a number above `on_threshold` (a firing rate, a
/// flame signal, 0/1), or a text such as "on", "true", "1".
fn burner_of(v: &Json, threshold: f64) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(x) if x.is_finite() => Some(*x > threshold),
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "firing" | "running" => Some(true),
            "false" | "off" | "idle" | "stopped" => Some(false),
            t => t.parse::<f64>().ok().filter(|x| x.is_finite()).map(|x| x > threshold),
        },
        _ => None,
    }
}

fn add(obj: &mut Json, key: &str, x: f64) {
    let v = obj.number(key).unwrap_or(0.0) + x;
    obj.set(key, v);
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

fn on_telemetry(event: &Event, config: &Config) -> Result<()> {
    let device = match event.device() {
        Some(d) => d,
        None => return Ok(()),
    };
    let points = event.points();
    let ts = match points.iter().map(|(_, p)| p.ts).max() {
        Some(t) if t > 0 => t,
        _ => return Ok(()),
    };
    let burner_property = config.text("burner_property", "burner_on");
    let temp_property = config.text("temp_property", "water_temp");
    let key = format!("boiler:{}", device);
    let mut st = ironloom::kv_get(&key)?;
    let burner_point = event.point(burner_property);
    if !st.is_object() {
        if burner_point.is_none() {
            return Ok(()); // not (yet) a boiler this app follows
        }
        st = obj! {"on" => Json::Null, "since" => Json::Null, "starts" => Json::Array(Vec::new()),
        "periods" => Json::Array(Vec::new()), "hours" => Json::Array(Vec::new()),
        "days" => Json::Array(Vec::new())};
    }
    let last = st.number("ts").map(|t| t as i64);
    if let Some(l) = last {
        if ts < l {
            ironloom::warn(&format!(
                "{}: a message at {} is older than the last one ({}): ignored",
                device, ts, l
            ));
            return Ok(());
        }
    }
    let max_gap = (config.num("max_gap_minutes", 15.0) * 60_000.0) as i64;
    let on = st["on"].as_bool();
    let gap = last.map_or(false, |l| ts - l > max_gap);
    if gap {
        ironloom::warn(&format!(
            "{}: no data for {:.1} min (more than {} min): that time is not counted",
            device,
            (ts - last.unwrap_or(ts)) as f64 / 60_000.0,
            config.num("max_gap_minutes", 15.0)
        ));
        st.set("since", Json::Null);
    } else if let (Some(l), Some(on)) = (last, on) {
        advance(&mut st, config, l, ts, on);
    }
    roll(&mut st, config, ts);

    if let Some(p) = event.point(temp_property) {
        match p.number() {
            Some(t) if t.is_finite() => st.set("temp", t),
            _ => ironloom::warn(&format!("{}: {} is not a temperature: {}", device, temp_property, p.value)),
        }
    }

    let mut changed = false;
    if let Some(p) = burner_point {
        match burner_of(&p.value, config.num("on_threshold", 0.5)) {
            None => ironloom::warn(&format!("{}: {} is not an on/off value: {}", device, burner_property, p.value)),
            Some(now) => {
                if on != Some(now) {
                    changed = on.is_some();
                    transition(&mut st, config, device, ts, on, now);
                }
                st.set("on", now);
            }
        }
    }
    st.set("ts", ts);

    let cph = window(&mut st, config, ts);
    alarm(device, config, &mut st, cph)?;
    let today = day_summary(&st["day"], config);
    st.set("today", today);
    let hour = hour_summary(&st["hour"], config);
    st.set("this_hour", hour);
    if changed && config.json["write_telemetry"].as_bool() == Some(true) {
        write(device, config, &mut st, ts, cph)?;
    }
    ironloom::kv_set(&key, &st)
}

/// Adds the time from `from` to `to`, with the burner `on` or off, to the hour and day
/// buckets, split at their boundaries.
fn advance(st: &mut Json, config: &Config, from: i64, to: i64, on: bool) {
    let off = config.offset_ms();
    let mut cur = from;
    while cur < to {
        roll(st, config, cur);
        let hour_end = (cur + off).div_euclid(H) * H + H - off;
        let day_end = (cur + off).div_euclid(D) * D + D - off;
        let end = to.min(hour_end).min(day_end);
        let dt = (end - cur) as f64 / 1000.0;
        for bucket in ["hour", "day"] {
            let mut obj = st[bucket].clone();
            add(&mut obj, "hot_s", dt);
            if on {
                add(&mut obj, "on_s", dt);
            }
            st.set(bucket, obj);
        }
        cur = end;
    }
}

/// Closes the hour and day buckets that end at or before `t` and opens the ones holding `t`.
fn roll(st: &mut Json, config: &Config, t: i64) {
    let off = config.offset_ms();
    let hour_start = (t + off).div_euclid(H) * H - off;
    if st["hour"].number("t").map(|x| x as i64) != Some(hour_start) {
        if st["hour"].is_object() {
            let b = st["hour"].clone();
            if b.number("hot_s").unwrap_or(0.0) > 0.0 || b.number("starts").unwrap_or(0.0) > 0.0 {
                let s = hour_summary(&b, config);
                push_capped(st, "hours", s, HOURS_KEPT);
            }
        }
        st.set("hour", obj! {"t" => hour_start, "starts" => 0, "on_s" => 0, "hot_s" => 0, "purge_kwh" => 0});
    }
    let day = (t + off).div_euclid(D);
    if st["day"].number("day").map(|x| x as i64) != Some(day) {
        if st["day"].is_object() {
            let b = st["day"].clone();
            if b.number("hot_s").unwrap_or(0.0) > 0.0 || b.number("starts").unwrap_or(0.0) > 0.0 {
                let s = day_summary(&b, config);
                let kept = config.num("days_kept", 31.0).max(1.0) as usize;
                push_capped(st, "days", s, kept);
            }
        }
        st.set("day", obj! {"day" => day, "starts" => 0, "on_s" => 0, "hot_s" => 0, "purge_kwh" => 0,
        "on_n" => 0, "on_sum_s" => 0, "off_n" => 0, "off_sum_s" => 0, "max_cph" => 0});
    }
}

fn push_capped(st: &mut Json, key: &str, v: Json, cap: usize) {
    let mut list = st[key].as_array().cloned().unwrap_or_default();
    list.push(v);
    if list.len() > cap {
        let cut = list.len() - cap;
        list.drain(..cut);
    }
    st.set(key, Json::Array(list));
}

/// The burner went from `prev` (None: not known yet) to `now` at `ts`.
fn transition(st: &mut Json, config: &Config, device: &str, ts: i64, prev: Option<bool>, now: bool) {
    let since = st.number("since").map(|s| s as i64);
    // A completed period: its length is known when its start was seen.
    if let (Some(was), Some(s)) = (prev, since) {
        let dur = (ts - s) as f64 / 1000.0;
        push_capped(st, "periods", Json::Array(vec![ts.into(), (was as u8).into(), dur.into()]), WINDOW_CAP);
        let mut day = st["day"].clone();
        let (n, sum) = if was { ("on_n", "on_sum_s") } else { ("off_n", "off_sum_s") };
        add(&mut day, n, 1.0);
        add(&mut day, sum, dur);
        st.set("day", day);
    }
    st.set("since", if prev.is_some() { Json::from(ts) } else { Json::Null });
    if prev == Some(false) && now {
        // A start: one cycle, with its pre- and post-purge.
        let t_boiler = st.number("temp").unwrap_or_else(|| config.num("boiler_temp_c", 150.0));
        let purge_s = config.num("pre_purge_s", 60.0) + config.num("post_purge_s", 30.0);
        let kw = calc::purge_kw(config.num("purge_air_nm3h", 3270.0), t_boiler, config.num("air_temp_c", 20.0));
        let kwh = kw * purge_s / 3600.0;
        for bucket in ["hour", "day"] {
            let mut b = st[bucket].clone();
            add(&mut b, "starts", 1.0);
            add(&mut b, "purge_kwh", kwh);
            st.set(bucket, b);
        }
        push_capped(st, "starts", Json::from(ts), WINDOW_CAP);
        ironloom::debug(&format!("{}: burner start at {} (purge {:.3} kWh at {:.1} °C)", device, ts, kwh, t_boiler));
    }
}

/// Drops starts and periods older than the window; the cycles per hour, the mean on and off
/// times of the periods completed in the window.
fn window(st: &mut Json, config: &Config, ts: i64) -> f64 {
    let w = config.window_ms();
    let from = ts - w;
    let starts: Vec<Json> = st["starts"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().filter(|t| t.as_i64().map_or(false, |t| t > from)).cloned().collect());
    let periods: Vec<Json> = st["periods"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().filter(|p| p[0].as_i64().map_or(false, |t| t > from)).cloned().collect());
    let cph = starts.len() as f64 * H as f64 / w as f64;
    let mean = |kind: i64| -> Option<f64> {
        let d: Vec<f64> = periods
            .iter()
            .filter(|p| p[1].as_i64() == Some(kind))
            .filter_map(|p| p[2].as_f64())
            .collect();
        if d.is_empty() {
            None
        } else {
            Some(d.iter().sum::<f64>() / d.len() as f64 / 60.0)
        }
    };
    st.set("cph", cph);
    st.set("mean_on_min", mean(1));
    st.set("mean_off_min", mean(0));
    st.set("starts", Json::Array(starts));
    st.set("periods", Json::Array(periods));
    let mut day = st["day"].clone();
    if cph > day.number("max_cph").unwrap_or(0.0) {
        day.set("max_cph", cph);
        st.set("day", day);
    }
    cph
}

fn alarm(device: &str, config: &Config, st: &mut Json, cph: f64) -> Result<()> {
    let limit = config.num("max_cycles_per_hour", 6.0);
    let margin = config.num("clear_margin", 1.0);
    let raised = st["alarm"].as_bool().unwrap_or(false);
    if !raised && cph > limit {
        let today = day_summary(&st["day"], config);
        let details = obj! {
            "cycles_per_hour" => cph,
            "limit_per_hour" => limit,
            "window_minutes" => config.num("window_minutes", 60.0),
            "mean_on_min" => &st["mean_on_min"],
            "mean_off_min" => &st["mean_off_min"],
            "cycle_efficiency_today_pct" => &today["e1_pct"],
            "fuel_savings_today_pct" => &today["ffs_pct"],
        };
        ironloom::alarm_raise(device, ALARM, Severity::Minor, details)?;
        ironloom::info(&format!("{}: short cycling, {} cycles/h (limit {})", device, cph, limit));
        st.set("alarm", true);
    } else if raised && cph <= limit - margin {
        ironloom::alarm_clear(device, ALARM)?;
        ironloom::info(&format!("{}: short cycling over, {} cycles/h", device, cph));
        st.set("alarm", false);
    }
    Ok(())
}

/// The efficiencies and losses of a bucket's tallies, as percentages and kWh.
fn losses_json(b: &Json, config: &Config, out: &mut Json) {
    let on_s = b.number("on_s").unwrap_or(0.0);
    let hot_s = b.number("hot_s").unwrap_or(0.0);
    let purge = b.number("purge_kwh").unwrap_or(0.0);
    out.set("firing_pct", if hot_s > 0.0 { Some(round(on_s / hot_s * 100.0, 6)) } else { None });
    match calc::losses(&config.boiler(), on_s, hot_s, purge) {
        Some(l) => {
            out.set("fuel_kwh", round(l.fuel_kwh, 6));
            out.set("useful_kwh", round(l.useful_kwh, 6));
            out.set("rad_kwh", round(l.rad_kwh, 6));
            out.set("purge_kwh", round(l.purge_kwh, 6));
            out.set("rad_pct", round(l.rad_kwh / l.fuel_kwh * 100.0, 6));
            out.set("purge_pct", round(l.purge_kwh / l.fuel_kwh * 100.0, 6));
            out.set("e1_pct", round(l.e1 * 100.0, 6));
            out.set("e2_pct", round(l.e2 * 100.0, 6));
            out.set("ffs_pct", round(l.ffs * 100.0, 6));
            out.set("loss_kwh", round(l.loss_kwh, 6));
            out.set("cost", round(l.loss_kwh * config.price(), 6));
        }
        None => {
            out.set("fuel_kwh", 0.0);
            out.set("purge_kwh", round(purge, 6));
            out.set("e1_pct", Json::Null);
            out.set("loss_kwh", 0.0);
            out.set("cost", 0.0);
        }
    }
}

fn hour_summary(b: &Json, config: &Config) -> Json {
    let mut out = obj! {
        "t" => &b["t"],
        "starts" => b.number("starts").unwrap_or(0.0),
        "on_min" => round(b.number("on_s").unwrap_or(0.0) / 60.0, 6),
        "hot_min" => round(b.number("hot_s").unwrap_or(0.0) / 60.0, 6),
    };
    losses_json(b, config, &mut out);
    out
}

fn day_summary(b: &Json, config: &Config) -> Json {
    if !b.is_object() {
        return Json::Null;
    }
    let mean = |n: &str, s: &str| -> Option<f64> {
        let n = b.number(n).unwrap_or(0.0);
        if n > 0.0 {
            Some(round(b.number(s).unwrap_or(0.0) / n / 60.0, 6))
        } else {
            None
        }
    };
    let mut out = obj! {
        "date" => calc::date(b.number("day").unwrap_or(0.0) as i64),
        "starts" => b.number("starts").unwrap_or(0.0),
        "on_h" => round(b.number("on_s").unwrap_or(0.0) / 3600.0, 6),
        "hot_h" => round(b.number("hot_s").unwrap_or(0.0) / 3600.0, 6),
        "mean_on_min" => mean("on_n", "on_sum_s"),
        "mean_off_min" => mean("off_n", "off_sum_s"),
        "max_cph" => b.number("max_cph").unwrap_or(0.0),
    };
    losses_json(b, config, &mut out);
    out
}

/// Optional derived telemetry at a burner change: cycles per hour and today's cycle
/// efficiency, written with a decimal point (a series is typed by its first value).
fn write(device: &str, config: &Config, st: &mut Json, ts: i64, cph: f64) -> Result<()> {
    let mut values = vec![(config.text("cph_property", "cycles_per_hour").to_string(), cph)];
    if let Some(e1) = st["today"].number("e1_pct") {
        values.push((config.text("efficiency_property", "cycle_efficiency").to_string(), e1));
    }
    let body: Vec<String> = values
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| format!("{}:{:?}", Json::from(k.as_str()), v))
        .collect();
    let request = format!(
        "{{\"device\":{},\"values\":{{{}}},\"ts\":{}}}",
        Json::from(device),
        body.join(","),
        ts
    );
    let reply = Json::parse(&ironloom::call_raw("write", &request))
        .map_err(|e| Error::new("bad_reply", e.to_string()))?;
    if let Some(e) = reply.get("error") {
        ironloom::warn(&format!("{}: write: {}", device, e));
        return Ok(());
    }
    let refused: Vec<Json> = reply["ok"]["refused"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().map(|r| r["property"].clone()).collect());
    if Json::Array(refused.clone()) != st["refused"] && !(refused.is_empty() && st["refused"].is_null()) {
        for r in reply["ok"]["refused"].as_array().map_or(&[][..], |a| &a[..]) {
            ironloom::warn(&format!(
                "{}: {} refused ({}); declare it in the product's thing model",
                device,
                r.text("property").unwrap_or("?"),
                r.text("message").unwrap_or("")
            ));
        }
        st.set("refused", Json::Array(refused));
    }
    Ok(())
}

/// `savings`: the tip sheet's fractional fuel savings 1 − E1/E2 and their value, from the
/// efficiencies given, or from a boiler's measured days.
fn on_http(event: &Event, config: &Config) -> Result<()> {
    let path = event.path().unwrap_or("");
    if path != "savings" {
        return fail(404, format!("unknown path {:?} (savings)", path));
    }
    let body = event.body();
    if !body.is_object() {
        return fail(400, "the body must be a JSON object".to_string());
    }
    let positive = |k: &str| body.get(k).map(|v| v.as_f64().filter(|x| x.is_finite() && *x > 0.0));
    for k in ["e1_pct", "e2_pct", "annual_fuel", "fuel_price"] {
        if let Some(None) = positive(k) {
            return fail(400, format!("{} must be a positive number", k));
        }
    }
    let mut e1 = positive("e1_pct").flatten();
    let mut annual = positive("annual_fuel").flatten();
    let mut measured = Json::Null;
    if let Some(device) = body.text("device") {
        let st = ironloom::kv_get(&format!("boiler:{}", device))?;
        let mut days: Vec<Json> = st["days"].as_array().cloned().unwrap_or_default();
        if days.is_empty() && st["today"].is_object() {
            days.push(st["today"].clone());
        }
        let sum = |k: &str| days.iter().filter_map(|d| d.number(k)).sum::<f64>();
        let (fuel, useful, hot_h) = (sum("fuel_kwh"), sum("useful_kwh"), sum("hot_h"));
        if !(fuel > 0.0) {
            return fail(404, format!("{}: no firing measured yet", device));
        }
        if e1.is_none() {
            e1 = Some((useful / fuel).max(0.0) * 100.0);
        }
        if annual.is_none() && hot_h > 0.0 {
            annual = Some(fuel / hot_h * 8760.0);
        }
        measured = obj! {"device" => device, "days" => days.len(), "fuel_kwh" => round(fuel, 6),
        "useful_kwh" => round(useful, 6), "hours" => round(hot_h, 6)};
    }
    let e2 = positive("e2_pct")
        .flatten()
        .unwrap_or_else(|| (config.boiler().eta_c - config.boiler().r) * 100.0);
    let (e1, annual) = match (e1, annual) {
        (Some(e1), Some(a)) => (e1, a),
        _ => return fail(400, "give e1_pct and annual_fuel, or a device with measured days".to_string()),
    };
    if e2 <= 0.0 || e2 > 100.0 || e1 > 100.0 {
        return fail(400, "efficiencies are percentages between 0 and 100".to_string());
    }
    let price = positive("fuel_price").flatten().unwrap_or_else(|| config.price());
    let (ffs, fuel_saved, saved) = calc::savings(e1 / 100.0, e2 / 100.0, annual, price);
    let reply = obj! {
        "e1_pct" => e1,
        "e2_pct" => e2,
        "fractional_fuel_savings_pct" => ffs * 100.0,
        "annual_fuel" => annual,
        "fuel_saved" => fuel_saved,
        "fuel_price" => price,
        "annual_savings" => saved,
        "currency" => config.text("currency", "CNY"),
        "measured" => measured,
    };
    ironloom::info(&format!(
        "savings: 1 - {:.2}/{:.2} = {:.2} % of {} = {:.2}",
        e1, e2, ffs * 100.0, annual, saved
    ));
    ironloom::reply(200, reply)
}

fn fail(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("boiler-short-cycling: {}", e.message)))
}

ironloom::app!(handle);
