//! Shift handover report.
//!
//! * Shifts are configured by name and local start time (`shifts`, `utc_offset_min`); a shift
//!   ends when the next one starts. Every event moves the app's clock (schedule `at`,
//!   telemetry and alarm times, an HTTP `ts`); when the clock passes the end of the current
//!   shift, the shift is closed and its report written (the schedule trigger ticks every
//!   minute, so reports are written on time even when no device reports).
//! * **Alarm trigger:** alarms raised and cleared during the shift, the alarms still open at
//!   its end (with how long, and whether *stale*: active longer than `stale_alarm_h`, 24 h
//!   as in ANSI/ISA-18.2), the alarm rate per 10 minutes, the peak 10-minute count and the
//!   10-minute windows in flood (more than 10 alarms), the performance measures of
//!   ANSI/ISA-18.2-2016 / IEC 62682:2014.
//! * **Telemetry trigger:** the production count from a counter property (a counter that goes
//!   down was reset: counted from 0), and the running time of each device from its running
//!   property (true or 1 = running; held for at most `max_gap_s` after the last sample).
//! * **HTTP trigger:** `note` (an operator's note for the current shift), `report` (the
//!   current shift so far), `reports` (the last reports).

use ironloom::{obj, Error, Event, Json, Result};

const MIN: f64 = 60_000.0;
const DAY: f64 = 86_400_000.0;
const WINDOW: f64 = 600_000.0; // 10 min
const FLOOD: f64 = 10.0; // more than 10 alarms in 10 min
const LIST_MAX: usize = 50;
const NOTES_MAX: usize = 50;
const NOTE_CHARS: usize = 1000;
const OPEN_MAX: usize = 300;
const DEVICES_MAX: usize = 200;

struct Shift {
    name: String,
    start_min: i64, // local minutes after midnight
}

struct Ctx {
    config: Json,
    shifts: Vec<Shift>,
    offset_ms: f64,
}

fn parse_hhmm(s: &str) -> Option<i64> {
    let mut it = s.trim().split(':');
    let h: i64 = it.next()?.trim().parse().ok()?;
    let m: i64 = it.next()?.trim().parse().ok()?;
    if it.next().is_some() || !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(h * 60 + m)
}

impl Ctx {
    /// The configuration; `warn` logs configuration problems (on schedule and HTTP events
    /// only, not on every telemetry message).
    fn new(warn: bool) -> Result<Ctx> {
        let config = ironloom::config()?;
        let warn_if = |m: String| {
            if warn {
                ironloom::warn(&m)
            }
        };
        let mut shifts = Vec::new();
        if let Some(list) = config["shifts"].as_array() {
            for (i, s) in list.iter().enumerate() {
                let name = s.text("name").map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or_else(|| format!("{}", i + 1));
                match s.text("start").and_then(parse_hhmm) {
                    Some(m) if !shifts.iter().any(|x: &Shift| x.start_min == m) => shifts.push(Shift { name, start_min: m }),
                    Some(_) => warn_if(format!("shift {}: another shift starts at the same time: ignored", name)),
                    None => warn_if(format!("shift {}: start {} is not HH:MM: ignored", name, s["start"])),
                }
            }
        }
        if shifts.is_empty() {
            warn_if("no valid shift configured: one 24-hour shift from 00:00".into());
            shifts.push(Shift { name: "Day".into(), start_min: 0 });
        }
        shifts.sort_by_key(|s| s.start_min);
        let offset_ms = config.number("utc_offset_min").unwrap_or(480.0) * MIN;
        Ok(Ctx { config, shifts, offset_ms })
    }
    fn num(&self, key: &str, default: f64) -> f64 {
        self.config.number(key).unwrap_or(default)
    }
    /// The shift containing `t` (ms UTC): (name, local date of its start, start, end).
    fn shift_at(&self, t: f64) -> (String, String, f64, f64) {
        let local = t + self.offset_ms;
        let day = (local / DAY).floor();
        let minute = ((local - day * DAY) / MIN).floor() as i64;
        let n = self.shifts.len();
        let (i, d) = match self.shifts.iter().rposition(|s| s.start_min <= minute) {
            Some(i) => (i, day),
            None => (n - 1, day - 1.0),
        };
        let start = d * DAY + self.shifts[i].start_min as f64 * MIN - self.offset_ms;
        let end = if i + 1 < n {
            d * DAY + self.shifts[i + 1].start_min as f64 * MIN - self.offset_ms
        } else {
            (d + 1.0) * DAY + self.shifts[0].start_min as f64 * MIN - self.offset_ms
        };
        (self.shifts[i].name.clone(), civil(d as i64), start, end)
    }
}

/// YYYY-MM-DD of a day number since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

fn on_event(event: &Event) -> Result<()> {
    let ctx = Ctx::new(matches!(event.kind(), "schedule" | "http"))?;
    match event.kind() {
        "schedule" => {
            let t = match event.at() {
                Some(t) => t as f64,
                None => {
                    ironloom::warn("schedule event without \"at\": the clock stays");
                    return Ok(());
                }
            };
            advance(&ctx, t).map(|_| ())
        }
        "telemetry" => on_telemetry(event, &ctx),
        "alarm" => on_alarm(event, &ctx),
        "http" => on_http(event, &ctx),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// The clock and the shifts.

/// Moves the clock to `t` (never back), closing the current shift when `t` is past its end.
/// Returns the clock.
fn advance(ctx: &Ctx, t: f64) -> Result<f64> {
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    let now = if t > clock { t } else { clock };
    if now > clock {
        ironloom::kv_set("clock", &Json::from(now))?;
    }
    if now <= 0.0 {
        return Ok(now);
    }
    let mut shift = ironloom::kv_get("shift")?;
    if !shift.is_object() {
        start_shift(ctx, now, true)?;
        return Ok(now);
    }
    let end = shift.number("end").unwrap_or(0.0);
    if now >= end {
        let report = close_shift(ctx, &mut shift, end)?;
        save_report(ctx, report)?;
        let (_, _, start, _) = ctx.shift_at(now);
        if start > end {
            ironloom::warn(&format!(
                "no event from {} to {}: the shifts in between have no report",
                end, start
            ));
        }
        start_shift(ctx, now, start > end)?;
    }
    Ok(now)
}

fn start_shift(ctx: &Ctx, now: f64, may_be_partial: bool) -> Result<()> {
    let (name, date, start, end) = ctx.shift_at(now);
    let partial = may_be_partial && now - start > MIN;
    let s = obj! {
        "id" => format!("{} {}", date, name),
        "name" => name.as_str(),
        "date" => date.as_str(),
        "start" => start,
        "end" => end,
        "observed_from" => if partial { now } else { start },
        "partial" => partial,
        "raised" => 0,
        "cleared" => 0,
        "raised_list" => Json::Array(Vec::new()),
        "cleared_list" => Json::Array(Vec::new()),
        "windows" => Json::Array(Vec::new()),
        "notes" => Json::Array(Vec::new()),
    };
    ironloom::kv_set("shift", &s)?;
    ironloom::info(&format!(
        "shift {} {} started{}",
        date,
        name,
        if partial { " (observed from now: the app started during it)" } else { "" }
    ));
    Ok(())
}

fn devices() -> Result<Vec<String>> {
    Ok(ironloom::kv_get("devices")?
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default())
}

fn dev_key(d: &str) -> String {
    format!("dev:{}", d)
}

/// Running time of a device counted up to `t`: the last running state is trusted for
/// `max_gap_s` after its last sample.
fn account(ctx: &Ctx, d: &mut Json, t: f64) {
    let acc = match d.number("acc_ts") {
        Some(a) => a,
        None => return,
    };
    if t <= acc {
        return;
    }
    let trusted = d.number("sample_ts").unwrap_or(acc) + ctx.num("max_gap_s", 600.0) * 1000.0;
    let upto = t.min(trusted);
    if d["running"].as_bool() == Some(true) && upto > acc {
        let r = d.number("run_ms").unwrap_or(0.0) + (upto - acc);
        d.set("run_ms", r);
    }
    d.set("acc_ts", t);
}

/// The report of the shift up to `end`; with `close`, the devices' shift counters are reset.
fn build_report(ctx: &Ctx, shift: &Json, end: f64, close: bool) -> Result<Json> {
    let from = shift.number("observed_from").unwrap_or(end);
    let span = (end - from).max(0.0);
    let mut production = Vec::new();
    let mut running = Vec::new();
    let mut total = 0.0;
    for name in devices()? {
        let key = dev_key(&name);
        let mut d = ironloom::kv_get(&key)?;
        if !d.is_object() {
            continue;
        }
        if close {
            account(ctx, &mut d, end);
        } else {
            let mut tmp = d.clone();
            account(ctx, &mut tmp, end);
            d = tmp;
        }
        if let Some(c) = d.number("count") {
            total += c;
            production.push(obj! {"device" => name.as_str(), "count" => c, "resets" => d.number("resets").unwrap_or(0.0)});
        }
        if d.number("acc_ts").is_some() {
            let ms = d.number("run_ms").unwrap_or(0.0);
            running.push(obj! {
                "device" => name.as_str(),
                "run_h" => ms / 3_600_000.0,
                "run_pct" => if span > 0.0 { Some(ms / span * 100.0) } else { None },
                "running_at_end" => d["running"].clone(),
            });
        }
        if close {
            let mut n = d.clone();
            if n.number("count").is_some() {
                n.set("count", 0.0);
            }
            n.set("resets", 0.0);
            n.set("run_ms", 0.0);
            ironloom::kv_set(&key, &n)?;
        }
    }
    // Open alarms at the end.
    let open = ironloom::kv_get("open")?;
    let stale_ms = ctx.num("stale_alarm_h", 24.0) * 3_600_000.0;
    let mut open_list: Vec<Json> = Vec::new();
    let mut stale = 0;
    if let Some(o) = open.as_object() {
        for (_, a) in o {
            let since = a.number("since").unwrap_or(end);
            let is_stale = end - since > stale_ms;
            if is_stale {
                stale += 1;
            }
            let mut e = a.clone();
            e.set("open_h", (end - since).max(0.0) / 3_600_000.0);
            e.set("stale", is_stale);
            open_list.push(e);
        }
    }
    open_list.sort_by(|a, b| {
        a.number("since")
            .unwrap_or(0.0)
            .partial_cmp(&b.number("since").unwrap_or(0.0))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let open_n = open_list.len();
    open_list.truncate(LIST_MAX);
    // Rates per 10 minutes.
    let raised = shift.number("raised").unwrap_or(0.0);
    let windows = (span / WINDOW).ceil().max(1.0);
    let mut peak = 0.0;
    let mut floods = 0;
    if let Some(w) = shift["windows"].as_array() {
        for x in w {
            let n = x.at(1).and_then(|v| v.as_f64()).unwrap_or(0.0);
            if n > peak {
                peak = n;
            }
            if n > FLOOD {
                floods += 1;
            }
        }
    }
    let mut report = obj! {
        "id" => shift["id"].clone(),
        "name" => shift["name"].clone(),
        "date" => shift["date"].clone(),
        "start" => shift["start"].clone(),
        "end" => shift["end"].clone(),
        "observed_from" => from,
        "observed_to" => end,
        "partial" => shift["partial"].clone(),
        "alarms" => obj! {
            "raised" => raised,
            "cleared" => shift.number("cleared").unwrap_or(0.0),
            "open_at_end" => open_n,
            "stale" => stale,
            "rate_per_10min" => if span > 0.0 { Some(raised / (span / WINDOW)) } else { None },
            "rate_per_hour" => if span > 0.0 { Some(raised / (span / 3_600_000.0)) } else { None },
            "peak_10min" => peak,
            "flood_windows" => floods,
            "windows" => windows,
            "raised_list" => shift["raised_list"].clone(),
            "cleared_list" => shift["cleared_list"].clone(),
            "open_list" => open_list,
        },
        "production" => production,
        "total_count" => total,
        "running" => running,
        "notes" => shift["notes"].clone(),
    };
    if !close {
        report.set("preview", true);
    }
    Ok(report)
}

fn close_shift(ctx: &Ctx, shift: &mut Json, end: f64) -> Result<Json> {
    let report = build_report(ctx, shift, end, true)?;
    let a = &report["alarms"];
    ironloom::info(&format!(
        "shift {} closed: {} alarms raised, {} cleared, {} open ({} stale); {} parts; {} notes",
        report.text("id").unwrap_or(""),
        a.number("raised").unwrap_or(0.0),
        a.number("cleared").unwrap_or(0.0),
        a.number("open_at_end").unwrap_or(0.0),
        a.number("stale").unwrap_or(0.0),
        report.number("total_count").unwrap_or(0.0),
        report["notes"].as_array().map_or(0, |n| n.len())
    ));
    Ok(report)
}

fn save_report(ctx: &Ctx, report: Json) -> Result<()> {
    let kept = ctx.num("reports_kept", 21.0).max(1.0) as u64;
    let seq = ironloom::kv_get("seq")?.as_f64().unwrap_or(0.0) as u64;
    let slot = format!("r:{}", seq % kept);
    let mut r = report;
    r.set("seq", seq + 1);
    // Stay within the 64 KiB a state value may hold: shorten the lists if needed.
    let mut text = r.to_string();
    if text.len() > 60_000 {
        let mut a = r["alarms"].clone();
        for k in ["raised_list", "cleared_list", "open_list"] {
            let mut l = a[k].as_array().cloned().unwrap_or_default();
            l.truncate(10);
            a.set(k, Json::Array(l));
        }
        r.set("alarms", a);
        let mut n = r["notes"].as_array().cloned().unwrap_or_default();
        n.truncate(10);
        r.set("notes", Json::Array(n));
        r.set("truncated", true);
        text = r.to_string();
        if text.len() > 60_000 {
            r.set("notes", Json::Array(Vec::new()));
        }
        ironloom::warn("the report was too large for the state: lists shortened");
    }
    ironloom::kv_set(&slot, &r)?;
    ironloom::kv_set("seq", &Json::from(seq + 1))?;
    ironloom::kv_set("last_report", &Json::from(slot.as_str()))
}

// ---------------------------------------------------------------------------------------
// Events.

/// Running from a value: true, or a number equal to 1.
fn running_of(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(x) => Some(*x == 1.0),
        _ => None,
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
    let counter = ctx.config.text("counter_property").unwrap_or("part_count").to_string();
    let run_props: Vec<String> = ctx.config["running_properties"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_else(|| vec!["run_state".into(), "mode".into(), "enabled".into(), "burner_on".into()]);
    let mut points: Vec<(f64, String, Json)> = event
        .points()
        .into_iter()
        .filter(|(p, _)| *p == counter || run_props.iter().any(|r| r == p))
        .map(|(p, pt)| (pt.ts as f64, p.to_string(), pt.value))
        .collect();
    if points.is_empty() {
        // Still moves the clock (a shift may end).
        let t = event.points().iter().map(|(_, p)| p.ts as f64).fold(0.0, f64::max);
        if t > 0.0 {
            advance(ctx, t)?;
        }
        return Ok(());
    }
    points.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let latest = points.last().map(|p| p.0).unwrap_or(0.0);
    advance(ctx, latest)?;
    let key = dev_key(&device);
    let mut d = ironloom::kv_get(&key)?;
    if !d.is_object() {
        let mut list = devices()?;
        if list.len() >= DEVICES_MAX {
            ironloom::warn(&format!("{}: more than {} devices: not counted", device, DEVICES_MAX));
            return Ok(());
        }
        list.push(device.clone());
        ironloom::kv_set("devices", &Json::Array(list.iter().map(|s| Json::from(s.as_str())).collect()))?;
        d = Json::object();
    }
    // The running time and count belong to the current shift: samples older than its start
    // only update the state.
    let shift_start = ironloom::kv_get("shift")?.number("observed_from").unwrap_or(0.0);
    let mut stale = 0;
    for (t, prop, value) in points {
        if t <= 0.0 {
            ironloom::warn(&format!("{}: {} without a time: ignored", device, prop));
            continue;
        }
        let last = d.number("sample_ts").unwrap_or(0.0);
        if t < last {
            stale += 1;
            continue;
        }
        if prop == counter {
            match value.as_f64() {
                Some(v) if v.is_finite() && v >= 0.0 => {
                    if let Some(prev) = d.number("counter") {
                        let delta = if v >= prev {
                            v - prev
                        } else {
                            let r = d.number("resets").unwrap_or(0.0) + 1.0;
                            d.set("resets", r);
                            ironloom::info(&format!("{}: {} went from {} to {}: counter reset, counted from 0", device, counter, prev, v));
                            v
                        };
                        if t >= shift_start {
                            let c = d.number("count").unwrap_or(0.0) + delta;
                            d.set("count", c);
                        }
                    } else {
                        d.set("count", d.number("count").unwrap_or(0.0));
                    }
                    d.set("counter", v);
                }
                _ => ironloom::warn(&format!("{}: {} = {} is not a count: ignored", device, counter, value)),
            }
        } else {
            match running_of(&value) {
                Some(r) => {
                    if d.number("acc_ts").is_none() {
                        d.set("acc_ts", t.max(shift_start));
                    }
                    account(ctx, &mut d, t.max(shift_start));
                    d.set("running", r);
                    d.set("running_property", prop.as_str());
                }
                None => ironloom::warn(&format!("{}: {} = {} is not a running state (true or 1): ignored", device, prop, value)),
            }
        }
        d.set("sample_ts", t.max(last));
    }
    if stale > 0 {
        ironloom::warn(&format!("{}: {} value(s) older than the last sample: ignored", device, stale));
    }
    ironloom::kv_set(&key, &d)
}

fn on_alarm(event: &Event, ctx: &Ctx) -> Result<()> {
    let j = &event.json;
    let device = match event.device() {
        Some(d) => d.to_string(),
        None => {
            ironloom::warn("alarm event without a device: ignored");
            return Ok(());
        }
    };
    let a = &j["alarm"];
    let atype = match a.text("type") {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            ironloom::warn(&format!("{}: alarm event without a type: ignored", device));
            return Ok(());
        }
    };
    let change = j.text("change").unwrap_or("");
    let start = a.number("start_ts");
    let last = a.number("last_ts");
    let t = match change {
        "raised" => start.or(last),
        _ => last.or(start),
    }
    .unwrap_or(0.0);
    let now = advance(ctx, t)?;
    let when = if t > 0.0 { t } else { now };
    let key = format!("{}|{}", device, atype);
    let mut open = ironloom::kv_get("open")?;
    if !open.is_object() {
        open = Json::object();
    }
    let mut shift = ironloom::kv_get("shift")?;
    if !shift.is_object() {
        ironloom::warn(&format!("{}: {} {} before the app has a clock: not counted", device, atype, change));
        return Ok(());
    }
    let severity = a.text("severity").unwrap_or("indeterminate").to_string();
    let entry = obj! {"device" => device.as_str(), "type" => atype.as_str(), "severity" => severity.as_str(), "ts" => when};
    match change {
        "raised" => {
            let n = shift.number("raised").unwrap_or(0.0) + 1.0;
            shift.set("raised", n);
            push_bounded(&mut shift, "raised_list", entry);
            // The 10-minute window of the shift.
            let from = shift.number("observed_from").unwrap_or(when);
            let w = ((when.max(from) - from) / WINDOW).floor();
            let mut ws = shift["windows"].as_array().cloned().unwrap_or_default();
            match ws.iter_mut().find(|x| x.at(0).and_then(|v| v.as_f64()) == Some(w)) {
                Some(x) => {
                    let c = x.at(1).and_then(|v| v.as_f64()).unwrap_or(0.0) + 1.0;
                    *x = Json::Array(vec![Json::from(w), Json::from(c)]);
                }
                None => ws.push(Json::Array(vec![Json::from(w), Json::from(1.0)])),
            }
            shift.set("windows", Json::Array(ws));
            set_open(&mut open, &key, &device, &atype, &severity, start.unwrap_or(when));
        }
        "updated" | "acknowledged" => {
            if a["active"].as_bool() != Some(false) {
                if open.get(&key).is_none() {
                    set_open(&mut open, &key, &device, &atype, &severity, start.unwrap_or(when));
                } else {
                    let mut e = open[key.as_str()].clone();
                    e.set("severity", severity.as_str());
                    if change == "acknowledged" {
                        e.set("acknowledged", true);
                    }
                    open.set(&key, e);
                }
            }
        }
        "cleared" => {
            let n = shift.number("cleared").unwrap_or(0.0) + 1.0;
            shift.set("cleared", n);
            let mut e = entry;
            if let Some(s) = start {
                e.set("open_h", (when - s).max(0.0) / 3_600_000.0);
            }
            push_bounded(&mut shift, "cleared_list", e);
            open.remove(&key);
        }
        other => {
            ironloom::warn(&format!("{}: unknown alarm change {:?}: ignored", device, other));
            return Ok(());
        }
    }
    ironloom::kv_set("shift", &shift)?;
    ironloom::kv_set("open", &open)
}

fn set_open(open: &mut Json, key: &str, device: &str, atype: &str, severity: &str, since: f64) {
    if open.as_object().map_or(0, |o| o.len()) >= OPEN_MAX && open.get(key).is_none() {
        ironloom::warn(&format!("more than {} open alarms: {} not listed", OPEN_MAX, key));
        return;
    }
    open.set(key, obj! {"device" => device, "type" => atype, "severity" => severity, "since" => since});
}

fn push_bounded(shift: &mut Json, key: &str, entry: Json) {
    let mut l = shift[key].as_array().cloned().unwrap_or_default();
    if l.len() < LIST_MAX {
        l.push(entry);
        shift.set(key, Json::Array(l));
    }
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn on_http(event: &Event, ctx: &Ctx) -> Result<()> {
    let path = event.path().unwrap_or("");
    let body = event.body();
    if !["note", "report", "reports"].contains(&path) {
        return reply_err(404, format!("unknown path {:?} (note, report, reports)", path));
    }
    if !body.is_object() && !(body.is_null() && path != "note") {
        return reply_err(400, format!("{}: the body must be a JSON object", path));
    }
    let ts = match &body["ts"] {
        Json::Null => None,
        v => match v.as_f64() {
            Some(t) if t.is_finite() && t > 0.0 => Some(t),
            _ => return reply_err(400, format!("{}: ts {} is not a time in ms", path, v)),
        },
    };
    if path == "reports" {
        let kept = ctx.num("reports_kept", 21.0).max(1.0) as u64;
        let seq = ironloom::kv_get("seq")?.as_f64().unwrap_or(0.0) as u64;
        let n = body.number("n").unwrap_or(3.0).max(1.0).min(kept as f64) as u64;
        let mut out = Vec::new();
        for k in 0..n.min(seq) {
            let i = seq - 1 - k;
            out.push(ironloom::kv_get(&format!("r:{}", i % kept))?);
        }
        return ironloom::reply(200, obj! {"reports" => out});
    }
    // Check the note before anything moves.
    let note = if path == "note" {
        let text = match body.text("text") {
            Some(t) if !t.trim().is_empty() => t.trim().chars().take(NOTE_CHARS).collect::<String>(),
            _ => return reply_err(400, "note: \"text\" is required".into()),
        };
        Some(text)
    } else {
        None
    };
    let now = advance(ctx, ts.unwrap_or(0.0))?;
    let mut shift = ironloom::kv_get("shift")?;
    if !shift.is_object() || now <= 0.0 {
        return reply_err(409, format!("{}: no shift yet (no ts and no clock: the schedule trigger sets it every minute)", path));
    }
    if let Some(text) = note {
        let mut notes = shift["notes"].as_array().cloned().unwrap_or_default();
        if notes.len() >= NOTES_MAX {
            return reply_err(507, format!("note: at most {} notes a shift", NOTES_MAX));
        }
        let n = obj! {
            "ts" => ts.unwrap_or(now),
            "author" => body.text("author").map(|a| a.trim().chars().take(80).collect::<String>()).filter(|a| !a.is_empty()),
            "device" => body.text("device").map(|a| a.trim().chars().take(128).collect::<String>()).filter(|a| !a.is_empty()),
            "text" => text.as_str(),
        };
        notes.push(n.clone());
        shift.set("notes", Json::Array(notes));
        ironloom::kv_set("shift", &shift)?;
        ironloom::info(&format!("note for shift {}", shift.text("id").unwrap_or("")));
        return ironloom::reply(201, obj! {"shift" => shift["id"].clone(), "note" => n});
    }
    let report = build_report(ctx, &shift, now, false)?;
    ironloom::reply(200, report)
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("shift-handover: {}", e.message)))
}

ironloom::app!(handle);

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20514), "2026-03-02");
        assert_eq!(civil(-1), "1969-12-31");
        assert_eq!(civil(11016), "2000-02-29");
    }
}
