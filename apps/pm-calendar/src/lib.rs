//! Preventive maintenance plans: predetermined maintenance after EN 13306:2017 (carried out
//! at established intervals of time or number of units of use, without previous condition
//! investigation), whichever interval comes first.
//!
//! * **Tasks** (configuration `tasks`, and tasks posted to `task`): per product or device, an
//!   interval in calendar days, running hours (from a running-hours meter such as the demo
//!   motor's `running_hours`, or from the time a run-state property says running) and/or a
//!   count (a counter such as the demo CNC's `part_count`, resets handled).
//! * **Telemetry trigger**: the meters of each device (cumulative, a counter reset counts from
//!   zero) and its running time (held between samples up to `max_gap_s`).
//! * **Schedule trigger** (every minute): the clock; each device × task is evaluated: used and
//!   remaining per interval, the projected due date of usage intervals from the device's mean
//!   rate, status ok / due soon / overdue / late (past the grace), `pm_overdue` raised on a
//!   device with an overdue task and cleared when none is left.
//! * **HTTP**: `complete` (who, when, notes, the reading at completion: a new baseline; on
//!   time when every interval used is within the grace), `task`, `plan`, `history`.
//! * **PM compliance** = PMs completed on time / PMs due (completed, or late and still open),
//!   per month and in total.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const DAY: f64 = 86_400_000.0;
const HOUR: f64 = 3_600_000.0;
const ALARM: &str = "pm_overdue";
const LOG_KEPT: usize = 200;
const MAX_TASKS: usize = 200;
const MAX_DEVICES: usize = 300;

struct Cfg {
    c: Json,
}

impl Cfg {
    fn num(&self, k: &str, d: f64) -> f64 {
        self.c.number(k).filter(|x| x.is_finite()).unwrap_or(d)
    }
    fn offset(&self) -> f64 {
        self.num("utc_offset_h", 8.0) * HOUR
    }
    fn grace(&self) -> f64 {
        self.num("grace_pct", 10.0).max(0.0) / 100.0
    }
}

/// Proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

fn month_of(cfg: &Cfg, t: f64) -> String {
    let (y, m, _) = civil(((t + cfg.offset()) / DAY).floor() as i64);
    format!("{:04}-{:02}", y, m)
}

fn dev_key(d: &str) -> String {
    format!("dev:{}", d)
}

fn text_of(v: &Json, k: &str) -> String {
    v.text(k).unwrap_or("").trim().to_string()
}

fn pos(v: &Json, k: &str) -> Option<f64> {
    v.number(k).filter(|x| x.is_finite() && *x > 0.0)
}

/// Running from a value: true, a number other than 0 that is 1 (run_state 1 = running), text.
fn running_of(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Number(x) => Some(*x == 1.0),
        Json::String(s) => match s.as_str() {
            "true" | "1" | "on" | "running" | "run" => Some(true),
            "false" | "0" | "off" | "stopped" | "stop" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A task as configured or posted, checked. None (with the reason) when it cannot be used.
fn check_task(t: &Json) -> std::result::Result<Json, String> {
    let id = text_of(t, "id");
    if id.is_empty() || id.chars().count() > 64 || id.contains('|') {
        return Err(format!("a task needs an id of 1 to 64 characters without '|' ({})", t));
    }
    let days = pos(t, "interval_days");
    let hours = pos(t, "interval_hours");
    let count = pos(t, "interval_count");
    if days.is_none() && hours.is_none() && count.is_none() {
        return Err(format!("task {}: no interval (interval_days, interval_hours or interval_count)", id));
    }
    if hours.is_some() && text_of(t, "hours_property").is_empty() && text_of(t, "running_property").is_empty() {
        return Err(format!("task {}: interval_hours needs hours_property (a running-hours meter) or running_property (a run state)", id));
    }
    if count.is_some() && text_of(t, "count_property").is_empty() {
        return Err(format!("task {}: interval_count needs count_property", id));
    }
    if text_of(t, "product").is_empty() && text_of(t, "device").is_empty() {
        return Err(format!("task {}: it needs a product or a device", id));
    }
    let mut out = obj! {"id" => id.as_str(), "title" => t.text("title").unwrap_or(&id).chars().take(120).collect::<String>()};
    for k in ["product", "device", "hours_property", "running_property", "count_property"] {
        let v = text_of(t, k);
        if !v.is_empty() {
            out.set(k, v);
        }
    }
    if let Some(x) = days {
        out.set("interval_days", x);
    }
    if let Some(x) = hours {
        out.set("interval_hours", x);
    }
    if let Some(x) = count {
        out.set("interval_count", x);
    }
    Ok(out)
}

/// The plan's tasks: configured ones, replaced or extended by posted ones (by id).
fn tasks(cfg: &Cfg) -> Result<Vec<Json>> {
    let mut out: Vec<Json> = Vec::new();
    let posted = ironloom::kv_get("tasks")?.as_array().cloned().unwrap_or_default();
    for t in cfg.c["tasks"].as_array().cloned().unwrap_or_default().iter().chain(posted.iter()) {
        match check_task(t) {
            Ok(t) => {
                let id = t.text("id").unwrap_or("").to_string();
                match out.iter().position(|x| x.text("id") == Some(id.as_str())) {
                    Some(i) => out[i] = t,
                    None => out.push(t),
                }
            }
            Err(e) => ironloom::warn(&e),
        }
    }
    out.truncate(MAX_TASKS);
    Ok(out)
}

fn applies(task: &Json, device: &str, product: &str) -> bool {
    match task.text("device") {
        Some(d) => d == device,
        None => task.text("product") == Some(product),
    }
}

fn on_event(event: &Event) -> Result<()> {
    let cfg = Cfg { c: ironloom::config()? };
    match event.kind() {
        "telemetry" => on_telemetry(&cfg, event),
        "schedule" => {
            let clock = match event.at() {
                Some(at) if at > 0 => advance_clock(at as f64)?,
                _ => {
                    ironloom::warn("schedule event without a time: evaluated at the clock");
                    ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0)
                }
            };
            // The clock ticks every minute; the plan is evaluated every 10 minutes (and on
            // every completion, task change and plan request).
            let minute = (clock / 60_000.0).round() as i64;
            if minute % 10 == 0 || ironloom::kv_get("plan")?.is_null() {
                evaluate(&cfg)?;
            }
            Ok(())
        }
        "http" => on_http(&cfg, event),
        _ => Ok(()),
    }
}

fn advance_clock(t: f64) -> Result<f64> {
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    if t > clock {
        ironloom::kv_set("clock", &Json::from(t))?;
        Ok(t)
    } else {
        Ok(clock)
    }
}

fn load_dev(device: &str, product: &str, t: f64) -> Result<(Json, bool)> {
    let d = ironloom::kv_get(&dev_key(device))?;
    if d.is_object() {
        return Ok((d, false));
    }
    let mut index: Vec<Json> = ironloom::kv_get("devices")?.as_array().cloned().unwrap_or_default();
    if index.len() >= MAX_DEVICES {
        ironloom::warn(&format!("more than {} devices: {} is not planned", MAX_DEVICES, device));
        return Ok((Json::Null, false));
    }
    index.push(Json::from(device));
    ironloom::kv_set("devices", &Json::Array(index))?;
    ironloom::info(&format!("{}: planned from {}", device, t));
    Ok((obj! {"device" => device, "product" => product, "first_ts" => t, "meters" => Json::object(), "run" => Json::object(), "tasks" => Json::object()}, true))
}

/// The properties a device's tasks read.
fn props_of(tasks: &[Json], device: &str, product: &str) -> (Vec<String>, Vec<String>) {
    let mut meters = Vec::new();
    let mut runs = Vec::new();
    for t in tasks.iter().filter(|t| applies(t, device, product)) {
        for k in ["hours_property", "count_property"] {
            if let Some(p) = t.text(k) {
                if !meters.iter().any(|m: &String| m == p) {
                    meters.push(p.to_string());
                }
            }
        }
        if let Some(p) = t.text("running_property") {
            if !runs.iter().any(|m: &String| m == p) {
                runs.push(p.to_string());
            }
        }
    }
    (meters, runs)
}

fn on_telemetry(cfg: &Cfg, event: &Event) -> Result<()> {
    let device = match event.device() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => {
            ironloom::warn("telemetry event without a device: ignored");
            return Ok(());
        }
    };
    let product = event.product().unwrap_or("").to_string();
    let tasks = tasks(cfg)?;
    let (meters, runs) = props_of(&tasks, &device, &product);
    if !tasks.iter().any(|t| applies(t, &device, &product)) {
        return Ok(());
    }
    let mut points: Vec<(i64, String, Json)> = event.points().into_iter().map(|(p, pt)| (pt.ts, p.to_string(), pt.value)).collect();
    points.sort_by_key(|p| p.0);
    let first_t = points.iter().map(|p| p.0).find(|t| *t > 0).unwrap_or(0) as f64;
    if first_t <= 0.0 {
        if !points.is_empty() {
            ironloom::warn(&format!("{}: telemetry without a time: ignored", device));
        }
        return Ok(());
    }
    let (mut d, _) = load_dev(&device, &product, first_t)?;
    if !d.is_object() {
        return Ok(());
    }
    let max_gap = cfg.num("max_gap_s", 900.0) * 1000.0;
    let mut mtr = d["meters"].clone();
    let mut run = d["run"].clone();
    let mut last_t = 0.0;
    for (ts, prop, value) in points {
        let t = ts as f64;
        if t <= 0.0 {
            continue;
        }
        last_t = t;
        if meters.contains(&prop) {
            let mut m = mtr[prop.as_str()].clone();
            match value.as_f64().filter(|v| v.is_finite()) {
                None => ironloom::warn(&format!("{}: {} = {} is not a number: ignored", device, prop, value)),
                Some(v) => {
                    match (m.number("raw"), m.number("ts")) {
                        (_, Some(prev_t)) if t < prev_t => {
                            ironloom::warn(&format!("{}: {} at {} is older than the last reading: ignored", device, prop, ts));
                            continue;
                        }
                        (Some(raw), _) => {
                            let cum = m.number("cum").unwrap_or(0.0);
                            if v >= raw {
                                m.set("cum", cum + (v - raw));
                            } else {
                                ironloom::info(&format!("{}: {} went from {} to {}: a reset, counted from 0", device, prop, raw, v));
                                m.set("cum", cum + v.max(0.0));
                            }
                        }
                        (None, _) => {
                            m.set("cum", 0.0);
                            m.set("first_ts", t);
                        }
                    }
                    m.set("raw", v);
                    m.set("ts", t);
                    mtr.set(&prop, m);
                }
            }
        }
        if runs.contains(&prop) {
            let mut r = run[prop.as_str()].clone();
            if !r.is_object() {
                r = obj! {"hours" => 0.0, "first_ts" => t};
            }
            if let Some(prev_t) = r.number("ts") {
                if t < prev_t {
                    ironloom::warn(&format!("{}: {} at {} is older than the last sample: ignored", device, prop, ts));
                    continue;
                }
                if r["running"].as_bool() == Some(true) {
                    let dt = t - prev_t;
                    if dt > max_gap {
                        ironloom::warn(&format!("{}: no {} for {:.0} s: {:.0} s counted", device, prop, dt / 1000.0, max_gap / 1000.0));
                    }
                    let h = r.number("hours").unwrap_or(0.0) + dt.min(max_gap) / HOUR;
                    r.set("hours", h);
                }
            }
            match running_of(&value) {
                Some(on) => r.set("running", on),
                None => ironloom::warn(&format!("{}: {} = {} is not a run state: taken as stopped", device, prop, value)),
            }
            if running_of(&value).is_none() {
                r.set("running", false);
            }
            r.set("ts", t);
            run.set(&prop, r);
        }
    }
    d.set("meters", mtr);
    d.set("run", run);
    if last_t > 0.0 {
        d.set("last_ts", last_t);
        advance_clock(last_t)?;
    }
    ironloom::kv_set(&dev_key(&device), &d)
}

/// The current value of a task's hours meter (cumulative h) and count meter of a device.
fn usage(task: &Json, d: &Json, clock: f64, cfg: &Cfg) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    // (hours now, hours per day, count now, count per day)
    let rate = |cum: f64, first: f64, base: f64| -> Option<f64> {
        let days = (clock - first) / DAY;
        if days >= 1.0 / 24.0 && cum - base > 0.0 {
            Some((cum - base) / days)
        } else {
            None
        }
    };
    let mut h = (None, None);
    if let Some(p) = task.text("hours_property") {
        let m = &d["meters"][p];
        if let Some(c) = m.number("cum") {
            h = (Some(c), rate(c, m.number("first_ts").unwrap_or(clock), 0.0));
        }
    } else if let Some(p) = task.text("running_property") {
        let r = &d["run"][p];
        if let Some(mut c) = r.number("hours") {
            // Running up to now, within the gap allowed.
            if r["running"].as_bool() == Some(true) {
                if let Some(t) = r.number("ts") {
                    c += (clock - t).max(0.0).min(cfg.num("max_gap_s", 900.0) * 1000.0) / HOUR;
                }
            }
            h = (Some(c), rate(c, r.number("first_ts").unwrap_or(clock), 0.0));
        }
    }
    let mut n = (None, None);
    if let Some(p) = task.text("count_property") {
        let m = &d["meters"][p];
        if let Some(c) = m.number("cum") {
            n = (Some(c), rate(c, m.number("first_ts").unwrap_or(clock), 0.0));
        }
    }
    (h.0, h.1, n.0, n.1)
}

/// The state of one device × task at `clock`.
fn assess(cfg: &Cfg, task: &Json, d: &Json, inst: &Json, clock: f64) -> Json {
    let (h_now, h_rate, c_now, c_rate) = usage(task, d, clock, cfg);
    let base_ts = inst.number("base_ts").unwrap_or(clock);
    let grace = cfg.grace();
    let soon_days = cfg.num("due_soon_days", 7.0);
    let soon_pct = cfg.num("due_soon_pct", 10.0) / 100.0;
    let mut row = obj! {
        "device" => d["device"].clone(),
        "task" => task["id"].clone(),
        "title" => task["title"].clone(),
        "last_done" => base_ts,
    };
    let mut fractions: Vec<f64> = Vec::new();
    let mut dates: Vec<f64> = Vec::new();
    let mut soon = false;
    if let Some(days) = task.number("interval_days") {
        let due = base_ts + days * DAY;
        let used = (clock - base_ts) / DAY;
        row.set("interval_days", days);
        row.set("used_days", used);
        row.set("due_ts", due);
        fractions.push(used / days);
        dates.push(due);
        if due - clock <= soon_days * DAY {
            soon = true;
        }
    }
    if let Some(ih) = task.number("interval_hours") {
        row.set("interval_hours", ih);
        match h_now {
            Some(h) => {
                let used = h - inst.number("base_h").unwrap_or(h);
                row.set("used_hours", used);
                fractions.push(used / ih);
                if used >= ih * (1.0 - soon_pct) {
                    soon = true;
                }
                if let Some(r) = h_rate {
                    let at = clock + ((ih - used) / r).max(0.0) * DAY;
                    row.set("hours_due_ts", at);
                    dates.push(at);
                }
            }
            None => {
                row.set("used_hours", Json::Null);
                row.set("note", "no running-hours reading yet");
            }
        }
    }
    if let Some(ic) = task.number("interval_count") {
        row.set("interval_count", ic);
        match c_now {
            Some(c) => {
                let used = c - inst.number("base_c").unwrap_or(c);
                row.set("used_count", used);
                fractions.push(used / ic);
                if used >= ic * (1.0 - soon_pct) {
                    soon = true;
                }
                if let Some(r) = c_rate {
                    let at = clock + ((ic - used) / r).max(0.0) * DAY;
                    row.set("count_due_ts", at);
                    dates.push(at);
                }
            }
            None => {
                row.set("used_count", Json::Null);
                row.set("note", "no count reading yet");
            }
        }
    }
    let worst = fractions.iter().cloned().fold(0.0, f64::max);
    let next = dates.iter().cloned().fold(f64::INFINITY, f64::min);
    if next.is_finite() {
        row.set("next_due_ts", next);
        if next - clock <= soon_days * DAY {
            soon = true;
        }
    }
    row.set("used_pct", worst * 100.0);
    let status = if worst > 1.0 + grace + 1e-12 {
        "late"
    } else if worst >= 1.0 {
        "overdue"
    } else if soon {
        "due_soon"
    } else {
        "ok"
    };
    row.set("status", status);
    row
}

/// Evaluates every device × task: statuses, alarms, the plan and compliance for the panel.
/// Returns every row and the next 30 days (the state keeps the most urgent 100 rows).
fn evaluate(cfg: &Cfg) -> Result<(Vec<Json>, Vec<Json>)> {
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    if clock <= 0.0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let tasks = tasks(cfg)?;
    let index: Vec<String> = ironloom::kv_get("devices")?.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default();
    let mut rows = Vec::new();
    let mut open_late: Vec<(String, f64)> = Vec::new();
    let raise = cfg.c["raise_alarms"].as_bool() != Some(false);
    for dev in &index {
        let mut d = ironloom::kv_get(&dev_key(dev))?;
        if !d.is_object() {
            continue;
        }
        let product = d.text("product").unwrap_or("").to_string();
        let mut insts = d["tasks"].clone();
        if !insts.is_object() {
            insts = Json::object();
        }
        let mut changed = false;
        let mut overdue: Vec<Json> = Vec::new();
        for task in tasks.iter().filter(|t| applies(t, dev, &product)) {
            let id = task.text("id").unwrap_or("").to_string();
            let mut inst = insts[id.as_str()].clone();
            if !inst.is_object() {
                // A new device: its tasks count from its first data (the meters from 0, their
                // first reading). A task added to a device seen for more than a day starts now.
                let first = d.number("first_ts").unwrap_or(clock).min(clock);
                if clock - first <= DAY {
                    inst = obj! {"base_ts" => first};
                    if task.get("interval_hours").is_some() {
                        inst.set("base_h", 0.0);
                    }
                    if task.get("interval_count").is_some() {
                        inst.set("base_c", 0.0);
                    }
                } else {
                    let (h, _, c, _) = usage(task, &d, clock, cfg);
                    inst = obj! {"base_ts" => clock};
                    if let Some(h) = h {
                        inst.set("base_h", h);
                    }
                    if let Some(c) = c {
                        inst.set("base_c", c);
                    }
                    ironloom::info(&format!("{}: task {} starts now", dev, id));
                }
                changed = true;
            } else {
                // A meter without a baseline (no reading when the task started) counts from
                // its first reading.
                let (h, _, c, _) = usage(task, &d, clock, cfg);
                if inst["base_h"].is_null() && h.is_some() && task.get("interval_hours").is_some() {
                    inst.set("base_h", 0.0);
                    changed = true;
                }
                if inst["base_c"].is_null() && c.is_some() && task.get("interval_count").is_some() {
                    inst.set("base_c", 0.0);
                    changed = true;
                }
            }
            let row = assess(cfg, task, &d, &inst, clock);
            let status = row.text("status").unwrap_or("ok").to_string();
            if (status == "overdue" || status == "late") && inst["overdue_since"].is_null() {
                inst.set("overdue_since", clock);
                ironloom::warn(&format!("{}: {} ({}) is overdue", dev, id, row.text("title").unwrap_or("")));
                changed = true;
            }
            if status == "late" {
                open_late.push((dev.clone(), inst.number("overdue_since").unwrap_or(clock)));
            }
            if status == "overdue" || status == "late" {
                overdue.push(obj! {"task" => id.as_str(), "title" => row["title"].clone(), "used_pct" => row["used_pct"].clone(), "since" => inst["overdue_since"].clone()});
            }
            insts.set(&id, inst);
            rows.push(row);
        }
        let was = d["alarm"].as_bool() == Some(true);
        if !overdue.is_empty() && (!was || d["alarm_tasks"].as_array().map_or(0, |a| a.len()) != overdue.len()) {
            if raise {
                ironloom::alarm_raise(dev, ALARM, Severity::Minor, obj! {"tasks" => overdue.clone()})?;
            }
            d.set("alarm", true);
            d.set("alarm_tasks", overdue.iter().map(|o| o["task"].clone()).collect::<Vec<Json>>());
            changed = true;
        } else if overdue.is_empty() && was {
            if raise {
                ironloom::alarm_clear(dev, ALARM)?;
            }
            d.set("alarm", false);
            d.set("alarm_tasks", Json::Array(vec![]));
            changed = true;
        }
        if changed {
            d.set("tasks", insts);
            ironloom::kv_set(&dev_key(dev), &d)?;
        }
    }
    // The plan for the panel, written at every evaluation (every 10 minutes, or on demand):
    // the most urgent rows first, bounded so that the state stays within 64 KiB.
    let horizon = clock + 30.0 * DAY;
    let mut next30: Vec<Json> = rows
        .iter()
        .filter(|r| r.number("next_due_ts").map_or(false, |t| t <= horizon) || matches!(r.text("status"), Some("overdue") | Some("late")))
        .map(|r| obj! {"device" => r["device"].clone(), "task" => r["task"].clone(), "title" => r["title"].clone(), "due_ts" => r["next_due_ts"].clone(), "status" => r["status"].clone()})
        .collect();
    next30.sort_by(|a, b| a.number("due_ts").unwrap_or(0.0).partial_cmp(&b.number("due_ts").unwrap_or(0.0)).unwrap_or(std::cmp::Ordering::Equal));
    let rank = |r: &Json| match r.text("status") {
        Some("late") => 0,
        Some("overdue") => 1,
        Some("due_soon") => 2,
        _ => 3,
    };
    let mut counts = obj! {"ok" => 0.0, "due_soon" => 0.0, "overdue" => 0.0, "late" => 0.0};
    for r in &rows {
        let k = r.text("status").unwrap_or("ok").to_string();
        let n = counts.number(&k).unwrap_or(0.0) + 1.0;
        counts.set(&k, n);
    }
    let mut kept: Vec<Json> = rows.clone();
    kept.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.number("next_due_ts").unwrap_or(f64::MAX).partial_cmp(&b.number("next_due_ts").unwrap_or(f64::MAX)).unwrap_or(std::cmp::Ordering::Equal)));
    kept.truncate(100);
    let next_kept: Vec<Json> = next30.iter().take(60).cloned().collect();
    ironloom::kv_set("plan", &obj! {"updated" => clock, "total" => rows.len() as f64, "counts" => counts, "rows" => kept, "next30" => next_kept})?;
    write_compliance(cfg, &open_late)?;
    Ok((rows, next30))
}

/// Compliance: completed on time / (completed + late and still open), per month and in total.
fn write_compliance(cfg: &Cfg, open_late: &[(String, f64)]) -> Result<()> {
    let mut c = ironloom::kv_get("compliance")?;
    if !c.is_object() {
        c = obj! {"months" => Json::object()};
    }
    let mut months = c["months"].clone();
    let (mut due, mut on_time) = (0.0, 0.0);
    if let Some(o) = months.as_object() {
        for (_, m) in o {
            due += m.number("completed").unwrap_or(0.0);
            on_time += m.number("on_time").unwrap_or(0.0);
        }
    }
    // Open late PMs count in the month they fell due.
    if let Json::Object(o) = &mut months {
        for (_, m) in o.iter_mut() {
            m.set("open_late", 0.0);
        }
    }
    for (_, since) in open_late {
        let key = month_of(cfg, *since);
        let mut m = months[key.as_str()].clone();
        if !m.is_object() {
            m = obj! {"completed" => 0.0, "on_time" => 0.0};
        }
        m.set("open_late", m.number("open_late").unwrap_or(0.0) + 1.0);
        months.set(&key, m);
    }
    if let Json::Object(o) = &mut months {
        for (_, m) in o.iter_mut() {
            let d = m.number("completed").unwrap_or(0.0) + m.number("open_late").unwrap_or(0.0);
            let v = if d > 0.0 { Json::from(m.number("on_time").unwrap_or(0.0) / d * 100.0) } else { Json::Null };
            m.set("compliance_pct", v);
        }
        o.sort_by(|a, b| a.0.cmp(&b.0));
        if o.len() > 24 {
            let cut = o.len() - 24;
            o.drain(..cut);
        }
    }
    let total_due = due + open_late.len() as f64;
    c.set("months", months);
    c.set("completed", due);
    c.set("on_time", on_time);
    c.set("open_late", open_late.len() as f64);
    c.set("compliance_pct", if total_due > 0.0 { Json::from(on_time / total_due * 100.0) } else { Json::Null });
    ironloom::kv_set("compliance", &c)
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn on_http(cfg: &Cfg, event: &Event) -> Result<()> {
    let path = event.path().unwrap_or("");
    let body = event.body();
    match path {
        "plan" => {
            let (rows, next30) = evaluate(cfg)?;
            let comp = ironloom::kv_get("compliance")?;
            ironloom::reply(200, obj! {"plan" => obj! {"rows" => rows, "next30" => next30}, "compliance" => comp})
        }
        "history" => {
            let log = ironloom::kv_get("log")?.as_array().cloned().unwrap_or_default();
            let dev = body.text("device");
            let task = body.text("task");
            let out: Vec<Json> = log
                .into_iter()
                .filter(|r| dev.map_or(true, |d| r.text("device") == Some(d)) && task.map_or(true, |t| r.text("task") == Some(t)))
                .collect();
            ironloom::reply(200, obj! {"completions" => out})
        }
        "task" => {
            if !body.is_object() {
                return reply_err(400, "task: the body must be a JSON object".into());
            }
            let mut posted = ironloom::kv_get("tasks")?.as_array().cloned().unwrap_or_default();
            let id = text_of(body, "id");
            if body["delete"].as_bool() == Some(true) {
                let before = posted.len();
                posted.retain(|t| t.text("id") != Some(id.as_str()));
                if posted.len() == before {
                    return reply_err(404, format!("task: no posted task {} (configured tasks are changed in the configuration)", id));
                }
                ironloom::kv_set("tasks", &Json::Array(posted))?;
                evaluate(cfg)?;
                return ironloom::reply(200, obj! {"deleted" => id.as_str()});
            }
            let t = match check_task(body) {
                Ok(t) => t,
                Err(e) => return reply_err(400, format!("task: {}", e)),
            };
            posted.retain(|x| x.text("id") != Some(id.as_str()));
            if posted.len() >= MAX_TASKS {
                return reply_err(409, format!("task: at most {} posted tasks", MAX_TASKS));
            }
            posted.push(t.clone());
            ironloom::kv_set("tasks", &Json::Array(posted))?;
            ironloom::info(&format!("task {} ({}) saved", id, t.text("title").unwrap_or("")));
            evaluate(cfg)?;
            ironloom::reply(200, obj! {"task" => t})
        }
        "complete" => complete(cfg, body),
        other => reply_err(404, format!("unknown path {}", other)),
    }
}

/// A completion record: who, when, notes, the reading; a new baseline; on time or late.
fn complete(cfg: &Cfg, body: &Json) -> Result<()> {
    if !body.is_object() {
        return reply_err(400, "complete: the body must be a JSON object".into());
    }
    let device = text_of(body, "device");
    let task_id = text_of(body, "task");
    let by = text_of(body, "by");
    if device.is_empty() || task_id.is_empty() {
        return reply_err(400, "complete: \"device\" and \"task\" are required".into());
    }
    if by.is_empty() {
        return reply_err(400, "complete: \"by\" (who did the work) is required".into());
    }
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    let ts = match &body["ts"] {
        Json::Null if clock > 0.0 => clock,
        Json::Null => return reply_err(400, "complete: no ts and no clock yet (the schedule trigger sets it every minute)".into()),
        v => match v.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => x,
            _ => return reply_err(400, format!("complete: ts must be a time in ms, not {}", v)),
        },
    };
    if clock > 0.0 && ts > clock + DAY {
        return reply_err(422, format!("complete: ts {} is more than a day after the clock {}", ts, clock));
    }
    let tasks = tasks(cfg)?;
    let mut d = ironloom::kv_get(&dev_key(&device))?;
    if !d.is_object() {
        return reply_err(404, format!("complete: no data from device {} yet", device));
    }
    let product = d.text("product").unwrap_or("").to_string();
    let task = match tasks.iter().find(|t| t.text("id") == Some(task_id.as_str()) && applies(t, &device, &product)) {
        Some(t) => t.clone(),
        None => return reply_err(404, format!("complete: no task {} for {}", task_id, device)),
    };
    let mut insts = d["tasks"].clone();
    if !insts.is_object() {
        insts = Json::object();
    }
    let inst = insts[task_id.as_str()].clone();
    if let Some(b) = inst.number("base_ts") {
        if ts < b && body["initial"].as_bool() != Some(true) {
            return reply_err(422, format!("complete: {} at {} is before the last completion or baseline at {}", task_id, ts, b));
        }
    }
    let now = clock.max(ts);
    let (h_now, _, c_now, _) = usage(&task, &d, now, cfg);
    // The reading at completion: a meter's own value, else the app's meters now.
    let reading = &body["reading"];
    if !reading.is_null() && !reading.is_object() {
        return reply_err(400, "complete: reading must be an object {\"hours\", \"count\"}".into());
    }
    let to_cum = |prop: Option<&str>, key: &str, now_cum: Option<f64>| -> std::result::Result<Option<f64>, String> {
        match &reading[key] {
            Json::Null => Ok(now_cum),
            v => {
                let r = v.as_f64().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| format!("complete: reading.{} must be a number ≥ 0, not {}", key, v))?;
                // A meter property: the reading is its raw value; the app keeps cumulative values.
                let raw = prop.and_then(|p| d["meters"][p].number("raw"));
                match (raw, now_cum) {
                    (Some(raw), Some(cum)) if r <= raw => Ok(Some(cum - (raw - r))),
                    (Some(raw), Some(_)) => Err(format!("complete: reading.{} {} is above the meter's last value {}", key, r, raw)),
                    _ => Ok(Some(r).filter(|_| now_cum.is_some()).or(now_cum)),
                }
            }
        }
    };
    let base_h = match to_cum(task.text("hours_property"), "hours", h_now) {
        Ok(v) => v,
        Err(e) => return reply_err(422, e),
    };
    let base_c = match to_cum(task.text("count_property"), "count", c_now) {
        Ok(v) => v,
        Err(e) => return reply_err(422, e),
    };
    // On time: every interval used within its interval plus the grace (at the completion).
    let grace = cfg.grace();
    let prev_ts = inst.number("base_ts");
    let mut used = Vec::new();
    if let (Some(days), Some(p)) = (task.number("interval_days"), prev_ts) {
        used.push((ts - p) / DAY / days);
    }
    if let (Some(ih), Some(b), Some(h)) = (task.number("interval_hours"), inst.number("base_h"), base_h) {
        used.push((h - b) / ih);
    }
    if let (Some(ic), Some(b), Some(c)) = (task.number("interval_count"), inst.number("base_c"), base_c) {
        used.push((c - b) / ic);
    }
    let worst = used.iter().cloned().fold(0.0, f64::max);
    let on_time = worst <= 1.0 + grace + 1e-12;
    let initial = body["initial"].as_bool() == Some(true) || prev_ts.is_none();
    let notes: String = body.text("notes").unwrap_or("").chars().take(1000).collect();
    let rec = obj! {
        "device" => device.as_str(),
        "task" => task_id.as_str(),
        "title" => task["title"].clone(),
        "by" => by.chars().take(80).collect::<String>(),
        "ts" => ts,
        "notes" => notes.as_str(),
        "reading" => obj! {"hours" => base_h, "count" => base_c},
        "used_pct" => worst * 100.0,
        "on_time" => if initial { Json::Null } else { Json::from(on_time) },
        "initial" => initial,
    };
    // Compliance: a completed PM falls in the month it became due (or was done, if earlier).
    if !initial {
        let month = month_of(cfg, inst.number("overdue_since").unwrap_or(ts).min(ts));
        let mut c = ironloom::kv_get("compliance")?;
        if !c.is_object() {
            c = obj! {"months" => Json::object()};
        }
        let mut months = c["months"].clone();
        if !months.is_object() {
            months = Json::object();
        }
        let mut m = months[month.as_str()].clone();
        if !m.is_object() {
            m = obj! {"completed" => 0.0, "on_time" => 0.0};
        }
        m.set("completed", m.number("completed").unwrap_or(0.0) + 1.0);
        if on_time {
            m.set("on_time", m.number("on_time").unwrap_or(0.0) + 1.0);
        }
        months.set(&month, m);
        c.set("months", months);
        ironloom::kv_set("compliance", &c)?;
    }
    let mut new_inst = obj! {"base_ts" => ts};
    if let Some(h) = base_h {
        new_inst.set("base_h", h);
    }
    if let Some(c) = base_c {
        new_inst.set("base_c", c);
    }
    insts.set(&task_id, new_inst);
    d.set("tasks", insts);
    ironloom::kv_set(&dev_key(&device), &d)?;
    let mut log = ironloom::kv_get("log")?.as_array().cloned().unwrap_or_default();
    log.insert(0, rec.clone());
    log.truncate(LOG_KEPT);
    // The state keeps at most 64 KiB a key: the oldest records go first.
    while log.len() > 1 && Json::Array(log.clone()).to_string().len() > 60_000 {
        log.pop();
    }
    ironloom::kv_set("log", &Json::Array(log))?;
    ironloom::info(&format!(
        "{}: {} completed by {}{}",
        device,
        task_id,
        by,
        if initial { " (baseline)".to_string() } else { format!(" at {:.1} % of its interval: {}", worst * 100.0, if on_time { "on time" } else { "late" }) }
    ));
    advance_clock(ts)?;
    let (rows, _) = evaluate(cfg)?;
    let next = rows
        .iter()
        .find(|r| r.text("device") == Some(device.as_str()) && r.text("task") == Some(task_id.as_str()))
        .cloned()
        .unwrap_or(Json::Null);
    ironloom::reply(200, obj! {"completion" => rec, "next" => next})
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("pm-calendar: {}", e.message)))
}

ironloom::app!(handle);
