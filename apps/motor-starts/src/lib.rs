//! Motor starts: starts per hour and per day, rest and time between starts against the NEMA
//! MG 10 limits (nema.rs), and the cumulative starts for maintenance.
//!
//! A motor runs when its running property says so (the demo motor's `enabled`: a boolean, a
//! number, or a text), or, with `signal` = `current`, when its current is above a threshold.
//! A change from stopped to running is a start. On every telemetry message of a motor the
//! app counts starts in the last 60 minutes against the allowable starts per hour of NEMA
//! MG 10 Table 2-3 (the lesser of A and B / load Wk², or a manufacturer's figure) and raises
//! `motor_starts_exceeded`; checks the rest (off) time before each start against column C and
//! raises `motor_start_rest_short`; keeps starts, run time, rest and start-to-start times per
//! local day, the total and the starts since the last service (alarm
//! `motor_starts_service_due` at a configured interval). HTTP: `service` records a service,
//! `limits` answers the table's limits for a rating. Crash-only: a motor's state is the key
//! `motor:<device>`.

mod nema;

use ironloom::{obj, Error, Event, Json, Result, Severity};

const OVER: &str = "motor_starts_exceeded";
const REST: &str = "motor_start_rest_short";
const SERVICE: &str = "motor_starts_service_due";
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
const RECENT_CAP: usize = 200;

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
    /// The load Wk² in lb·ft² from either configured unit (0: unknown).
    fn wk2(&self) -> Option<f64> {
        let w = self.num("load_wk2_lbft2", 0.0);
        let j = self.num("load_inertia_kgm2", 0.0);
        if w > 0.0 {
            Some(w)
        } else if j > 0.0 {
            Some(j * nema::LBFT2_PER_KGM2)
        } else {
            None
        }
    }
    /// The limits in force: the table's, or the manufacturer's where configured.
    fn limits(&self) -> Option<Limits> {
        let table = nema::limits(self.num("nema_hp", 75.0), self.num("poles", 4.0) as u32, self.wk2())?;
        let per_hour = Some(self.num("max_starts_per_hour", 0.0)).filter(|x| *x > 0.0);
        let rest = Some(self.num("min_rest_s", 0.0)).filter(|x| *x > 0.0);
        Some(Limits {
            per_hour: per_hour.unwrap_or(table.per_hour),
            rest_s: rest.unwrap_or(table.c),
            source: if per_hour.is_some() || rest.is_some() { "manufacturer" } else { "NEMA MG 10 Table 2-3" },
            table,
        })
    }
}

struct Limits {
    per_hour: f64,
    rest_s: f64,
    source: &'static str,
    table: nema::Limits,
}

fn limits_json(l: &nema::Limits) -> Json {
    obj! {"hp" => l.hp, "poles" => l.poles, "A" => l.a, "B" => l.b, "C" => l.c, "load_wk2_lbft2" => l.wk2,
    "allowed_per_hour" => l.per_hour, "wk2_over_b" => l.wk2_over_b}
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

/// Running from a running-state value: a boolean, a number (non-zero), or a text.
fn running_of(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(x) if x.is_finite() => Some(*x != 0.0),
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "running" | "run" | "started" => Some(true),
            "false" | "off" | "stopped" | "stop" => Some(false),
            t => t.parse::<f64>().ok().filter(|x| x.is_finite()).map(|x| x != 0.0),
        },
        _ => None,
    }
}

/// A current in A from a number or a numeric text; `None` (warned) otherwise.
fn current_of(v: &Json) -> Option<f64> {
    let x = match v {
        Json::Number(x) => Some(*x),
        Json::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    x.filter(|x| x.is_finite() && *x >= 0.0)
}

fn add(obj: &mut Json, key: &str, x: f64) {
    let v = obj.number(key).unwrap_or(0.0) + x;
    obj.set(key, v);
}

fn on_telemetry(event: &Event, config: &Config) -> Result<()> {
    let device = match event.device() {
        Some(d) => d,
        None => return Ok(()),
    };
    let ts = match event.points().iter().map(|(_, p)| p.ts).max() {
        Some(t) if t > 0 => t,
        _ => return Ok(()),
    };
    let by_current = config.text("signal", "property") == "current";
    let property = if by_current {
        config.text("current_property", "current")
    } else {
        config.text("running_property", "enabled")
    };
    let point = event.point(property);
    let key = format!("motor:{}", device);
    let mut st = ironloom::kv_get(&key)?;
    if !st.is_object() {
        if point.is_none() {
            return Ok(()); // not (yet) a motor this app follows
        }
        st = obj! {"on" => Json::Null, "total" => config.num("initial_starts", 0.0),
        "since_service" => 0.0, "run_h" => 0.0,
        "recent" => Json::Array(Vec::new()), "days" => Json::Array(Vec::new())};
    }
    let last = st.number("ts").map(|t| t as i64);
    if let Some(l) = last {
        if ts < l {
            ironloom::warn(&format!("{}: a message at {} is older than the last one ({}): ignored", device, ts, l));
            return Ok(());
        }
    }
    let max_gap = (config.num("max_gap_minutes", 15.0) * 60_000.0) as i64;
    let on = st["on"].as_bool();
    if last.map_or(false, |l| ts - l > max_gap) {
        ironloom::warn(&format!(
            "{}: no data for {:.1} min (more than {} min): run time not counted, the next rest and interval unknown",
            device,
            (ts - last.unwrap_or(ts)) as f64 / 60_000.0,
            config.num("max_gap_minutes", 15.0)
        ));
        st.set("last_stop", Json::Null);
        st.set("last_start", Json::Null);
    } else if let (Some(l), Some(true)) = (last, on) {
        run_time(&mut st, config, l, ts);
    }
    roll(&mut st, config, ts);

    let limits = config.limits();
    let mut started = false;
    if let Some(p) = point {
        let now = if by_current {
            current_of(&p.value).map(|i| i > config.num("current_threshold_a", 5.0))
        } else {
            running_of(&p.value)
        };
        match now {
            None => ironloom::warn(&format!(
                "{}: {} is not {}: {}",
                device,
                property,
                if by_current { "a current" } else { "a running state" },
                p.value
            )),
            Some(now) => {
                if on == Some(false) && now {
                    started = true;
                    start(&mut st, device, ts, limits.as_ref())?;
                } else if on == Some(true) && !now {
                    st.set("last_stop", ts);
                }
                st.set("on", now);
            }
        }
    }
    st.set("ts", ts);

    // Starts in the last 60 minutes.
    let recent: Vec<Json> = st["recent"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().filter(|t| t.as_i64().map_or(false, |t| t > ts - HOUR)).cloned().collect());
    let per_hour = recent.len() as f64;
    st.set("recent", Json::Array(recent));
    st.set("per_hour", per_hour);
    let mut day = st["day"].clone();
    if per_hour > day.number("max_per_hour").unwrap_or(0.0) {
        day.set("max_per_hour", per_hour);
        st.set("day", day);
    }
    match &limits {
        Some(l) => {
            over_alarm(device, &mut st, per_hour, l)?;
            st.set("limits", limits_json(&l.table).with("per_hour", l.per_hour).with("rest_s", l.rest_s).with("source", l.source));
        }
        None => ironloom::warn(&format!(
            "no NEMA MG 10 row for {} hp and {} poles",
            config.num("nema_hp", 75.0),
            config.num("poles", 4.0)
        )),
    }
    service_alarm(device, config, &mut st)?;
    let today = day_summary(&st["day"]);
    st.set("today", today);
    if started && config.json["write_telemetry"].as_bool() == Some(true) {
        let values = [
            (config.text("starts_property", "starts_per_hour"), per_hour),
            (config.text("total_property", "total_starts"), st.number("total").unwrap_or(0.0)),
        ];
        write_floats(device, &values, ts, &mut st)?;
    }
    ironloom::kv_set(&key, &st)
}

/// Adds the running time from `from` to `to` to the total and the days, split at midnight.
fn run_time(st: &mut Json, config: &Config, from: i64, to: i64) {
    let off = config.offset_ms();
    let mut cur = from;
    while cur < to {
        roll(st, config, cur);
        let end = to.min((cur + off).div_euclid(DAY) * DAY + DAY - off);
        let s = (end - cur) as f64 / 1000.0;
        let mut day = st["day"].clone();
        add(&mut day, "run_s", s);
        st.set("day", day);
        add(st, "run_h", s / 3600.0);
        cur = end;
    }
}

/// Closes the day that ended at or before `t` and opens the one holding it.
fn roll(st: &mut Json, config: &Config, t: i64) {
    let day = (t + config.offset_ms()).div_euclid(DAY);
    if st["day"].number("day").map(|x| x as i64) == Some(day) {
        return;
    }
    if st["day"].is_object() {
        let b = &st["day"];
        if b.number("starts").unwrap_or(0.0) > 0.0 || b.number("run_s").unwrap_or(0.0) > 0.0 {
            let s = day_summary(b);
            let mut days = st["days"].as_array().cloned().unwrap_or_default();
            days.push(s);
            let kept = config.num("days_kept", 31.0).max(1.0) as usize;
            if days.len() > kept {
                let cut = days.len() - kept;
                days.drain(..cut);
            }
            st.set("days", Json::Array(days));
        }
    }
    st.set("day", obj! {"day" => day, "starts" => 0, "run_s" => 0, "rest_n" => 0, "rest_sum_s" => 0,
    "min_rest_s" => Json::Null, "interval_n" => 0, "interval_sum_s" => 0, "short_rests" => 0,
    "max_per_hour" => 0});
}

/// A start at `ts`: counted, its rest and start-to-start time checked and kept.
fn start(st: &mut Json, device: &str, ts: i64, limits: Option<&Limits>) -> Result<()> {
    add(st, "total", 1.0);
    add(st, "since_service", 1.0);
    let mut recent = st["recent"].as_array().cloned().unwrap_or_default();
    recent.push(Json::from(ts));
    if recent.len() > RECENT_CAP {
        recent.remove(0);
    }
    st.set("recent", Json::Array(recent));
    let mut day = st["day"].clone();
    add(&mut day, "starts", 1.0);
    let rest = st.number("last_stop").map(|s| (ts as f64 - s) / 1000.0);
    let interval = st.number("last_start").map(|s| (ts as f64 - s) / 1000.0);
    if let Some(r) = rest {
        add(&mut day, "rest_n", 1.0);
        add(&mut day, "rest_sum_s", r);
        if day.number("min_rest_s").map_or(true, |m| r < m) {
            day.set("min_rest_s", r);
        }
    }
    if let Some(i) = interval {
        add(&mut day, "interval_n", 1.0);
        add(&mut day, "interval_sum_s", i);
    }
    st.set("last_rest_s", rest);
    st.set("last_interval_s", interval);
    st.set("last_start", ts);
    if let (Some(r), Some(l)) = (rest, limits) {
        let raised = st["rest_alarm"].as_bool().unwrap_or(false);
        if r < l.rest_s {
            add(&mut day, "short_rests", 1.0);
            let details = obj! {"rest_s" => r, "min_rest_s" => l.rest_s, "source" => l.source,
            "hp" => l.table.hp, "poles" => l.table.poles};
            ironloom::alarm_raise(device, REST, Severity::Major, details)?;
            ironloom::info(&format!("{}: started after {} s of rest (minimum {} s)", device, r, l.rest_s));
            st.set("rest_alarm", true);
        } else if raised {
            ironloom::alarm_clear(device, REST)?;
            st.set("rest_alarm", false);
        }
    }
    st.set("day", day);
    ironloom::debug(&format!("{}: start {} (rest {:?} s)", device, st.number("total").unwrap_or(0.0), rest));
    Ok(())
}

fn over_alarm(device: &str, st: &mut Json, per_hour: f64, l: &Limits) -> Result<()> {
    let raised = st["over"].as_bool().unwrap_or(false);
    if per_hour > l.per_hour && !raised {
        let details = obj! {"starts_last_hour" => per_hour, "allowed_per_hour" => l.per_hour, "source" => l.source,
        "A" => l.table.a, "B" => l.table.b, "load_wk2_lbft2" => l.table.wk2, "hp" => l.table.hp, "poles" => l.table.poles};
        ironloom::alarm_raise(device, OVER, Severity::Major, details)?;
        ironloom::info(&format!("{}: {} starts in the last hour (allowed {})", device, per_hour, l.per_hour));
        st.set("over", true);
    } else if per_hour <= l.per_hour && raised {
        ironloom::alarm_clear(device, OVER)?;
        ironloom::info(&format!("{}: starts back within the limit ({} in the last hour)", device, per_hour));
        st.set("over", false);
    }
    Ok(())
}

fn service_alarm(device: &str, config: &Config, st: &mut Json) -> Result<()> {
    let interval = config.num("service_interval_starts", 0.0);
    let n = st.number("since_service").unwrap_or(0.0);
    let due = interval > 0.0 && n >= interval;
    let raised = st["service_due"].as_bool().unwrap_or(false);
    if due && !raised {
        let details = obj! {"starts_since_service" => n, "interval_starts" => interval,
        "total_starts" => st.number("total").unwrap_or(0.0), "last_service_ts" => &st["service_ts"]};
        ironloom::alarm_raise(device, SERVICE, Severity::Warning, details)?;
        st.set("service_due", true);
    } else if !due && raised {
        ironloom::alarm_clear(device, SERVICE)?;
        st.set("service_due", false);
    }
    Ok(())
}

fn day_summary(b: &Json) -> Json {
    if !b.is_object() {
        return Json::Null;
    }
    let mean = |n: &str, s: &str| -> Option<f64> {
        let n = b.number(n).unwrap_or(0.0);
        if n > 0.0 {
            Some(b.number(s).unwrap_or(0.0) / n)
        } else {
            None
        }
    };
    let day = b.number("day").unwrap_or(0.0) as i64;
    obj! {
        "date" => date(day),
        "starts" => b.number("starts").unwrap_or(0.0),
        "run_h" => b.number("run_s").unwrap_or(0.0) / 3600.0,
        "mean_rest_s" => mean("rest_n", "rest_sum_s"),
        "min_rest_s" => &b["min_rest_s"],
        "mean_interval_min" => mean("interval_n", "interval_sum_s").map(|s| s / 60.0),
        "short_rests" => b.number("short_rests").unwrap_or(0.0),
        "max_per_hour" => b.number("max_per_hour").unwrap_or(0.0),
    }
}

/// "YYYY-MM-DD" of a day number since 1970-01-01 (H. Hinnant's civil-from-days).
fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{:04}-{:02}-{:02}", y, m, d)
}

/// Derived telemetry written with a decimal point (a series is typed by its first value).
fn write_floats(device: &str, values: &[(&str, f64)], ts: i64, st: &mut Json) -> Result<()> {
    let body: Vec<String> = values
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| format!("{}:{:?}", Json::from(*k), v))
        .collect();
    let request = format!("{{\"device\":{},\"values\":{{{}}},\"ts\":{}}}", Json::from(device), body.join(","), ts);
    let reply = Json::parse(&ironloom::call_raw("write", &request)).map_err(|e| Error::new("bad_reply", e.to_string()))?;
    if let Some(e) = reply.get("error") {
        ironloom::warn(&format!("{}: write: {}", device, e));
        return Ok(());
    }
    let refused: Vec<Json> = reply["ok"]["refused"]
        .as_array()
        .map_or(Vec::new(), |a| a.iter().map(|r| r["property"].clone()).collect());
    let before = st["refused"].as_array().cloned().unwrap_or_default();
    if refused != before {
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

fn on_http(event: &Event, config: &Config) -> Result<()> {
    let body = event.body();
    if !body.is_object() {
        return fail(400, "the body must be a JSON object".to_string());
    }
    match event.path().unwrap_or("") {
        "limits" => {
            let hp = body.number("hp").unwrap_or_else(|| config.num("nema_hp", 75.0));
            let poles = body.number("poles").unwrap_or_else(|| config.num("poles", 4.0));
            let wk2 = match (body.number("wk2_lbft2"), body.number("inertia_kgm2")) {
                (Some(w), _) => Some(w),
                (None, Some(j)) => Some(j * nema::LBFT2_PER_KGM2),
                (None, None) if body.get("hp").is_none() => config.wk2(),
                _ => None,
            };
            match nema::limits(hp, poles as u32, wk2) {
                Some(l) if poles.fract() == 0.0 => {
                    ironloom::info(&format!("limits {} hp {} poles: {} starts/h, rest {} s", hp, poles, l.per_hour, l.c));
                    ironloom::reply(200, limits_json(&l))
                }
                _ => fail(
                    400,
                    format!("no NEMA MG 10 Table 2-3 row for {} hp and {} poles (ratings 1–250 hp, 2, 4 or 6 poles)", hp, poles),
                ),
            }
        }
        "service" => {
            let device = match body.text("device") {
                Some(d) if !d.trim().is_empty() => d.trim().to_string(),
                _ => return fail(400, "service: \"device\" is required".to_string()),
            };
            let key = format!("motor:{}", device);
            let mut st = ironloom::kv_get(&key)?;
            if !st.is_object() {
                return fail(404, format!("{}: no starts recorded", device));
            }
            // HTTP events carry no time: the body's ts, else the motor's last message.
            let ts = body.number("ts").or_else(|| st.number("ts")).unwrap_or(0.0);
            let done = st.number("since_service").unwrap_or(0.0);
            let mut services = st["services"].as_array().cloned().unwrap_or_default();
            services.push(obj! {"ts" => ts, "starts" => done, "total" => st.number("total").unwrap_or(0.0),
            "note" => body.text("note").unwrap_or("")});
            if services.len() > 20 {
                services.remove(0);
            }
            st.set("services", Json::Array(services));
            st.set("since_service", 0.0);
            st.set("service_ts", ts);
            service_alarm(&device, config, &mut st)?;
            ironloom::kv_set(&key, &st)?;
            ironloom::info(&format!("{}: service recorded after {} starts", device, done));
            ironloom::reply(200, obj! {"device" => device.as_str(), "total" => &st["total"],
            "starts_before_service" => done, "since_service" => 0.0, "service_ts" => ts})
        }
        p => fail(404, format!("unknown path {:?} (limits, service)", p)),
    }
}

fn fail(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("motor-starts: {}", e.message)))
}

ironloom::app!(handle);
