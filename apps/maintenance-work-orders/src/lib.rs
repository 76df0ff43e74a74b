//! Maintenance work orders from alarms (terms of EN 13306:2017, indicators after
//! EN 15341:2019).
//!
//! * **Alarm trigger:** a raised alarm of a device (at or above `min_severity`) opens a
//!   corrective work order, its priority from the alarm's severity (critical P1, major P2,
//!   minor P3, warning/indeterminate P4), with a response and a restoration target per
//!   priority (configuration). A repeat of the same device and alarm type while its order is
//!   open is counted on that order; a severity raised later raises the priority; a cleared
//!   alarm is noted (the order stays open until maintenance closes it).
//! * **HTTP trigger:** `create` (a manual order), `assign`, `start`, `close`, `cancel`,
//!   `list` — each with an optional `ts` (ms), else the app's clock (the latest schedule
//!   tick or event time it has seen).
//! * **Schedule trigger** (every minute): the clock, and the SLA check: an order past its
//!   response target without a response (acknowledged, assigned or started), or past its
//!   restoration target while open, raises `work_order_sla_breach` on its device; the alarm
//!   is cleared when no order of the device is in breach and open.
//! * Per device: failures, MTTR (mean time to restoration, report → close), mean response
//!   and active repair times, MTBF (mean operating time between failures: from one
//!   restoration to the next failure), availability MTBF/(MTBF+MTTR), SLA compliance and the
//!   open backlog; kept for the panel with the queue and the last closed orders.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const BREACH: &str = "work_order_sla_breach";
const MIN: f64 = 60_000.0;
const HOUR: f64 = 3_600_000.0;
const CLOSED_KEPT: usize = 50;
const MAX_OPEN: usize = 500;

fn severity_rank(s: &str) -> Option<u8> {
    match s {
        "critical" => Some(4),
        "major" => Some(3),
        "minor" => Some(2),
        "warning" => Some(1),
        "indeterminate" => Some(0),
        _ => None,
    }
}

/// Priority 1 (most urgent) … 4 from a severity.
fn priority_of(severity: &str) -> u8 {
    match severity {
        "critical" => 1,
        "major" => 2,
        "minor" => 3,
        _ => 4,
    }
}

struct Ctx {
    config: Json,
}

impl Ctx {
    fn num(&self, key: &str, default: f64) -> f64 {
        self.config.number(key).unwrap_or(default)
    }
    /// Response and restoration targets of a priority, in ms.
    fn targets(&self, p: u8) -> (f64, f64) {
        let d = [(15.0, 4.0), (60.0, 8.0), (240.0, 24.0), (1440.0, 72.0)];
        let i = (p.clamp(1, 4) - 1) as usize;
        (
            self.num(&format!("p{}_response_min", p), d[i].0) * MIN,
            self.num(&format!("p{}_restore_h", p), d[i].1) * HOUR,
        )
    }
}

fn on_event(event: &Event) -> Result<()> {
    let ctx = Ctx {
        config: ironloom::config()?,
    };
    match event.kind() {
        "alarm" => on_alarm(event, &ctx),
        "schedule" => {
            let at = event.at().map(|t| t as f64);
            let now = advance_clock(at)?;
            check_sla(&ctx, now)
        }
        "http" => on_http(event, &ctx),
        _ => Ok(()),
    }
}

/// The app's clock: the latest time it has seen (schedule ticks, alarm times, posted `ts`).
fn advance_clock(t: Option<f64>) -> Result<f64> {
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    match t {
        Some(t) if t > clock => {
            ironloom::kv_set("clock", &Json::from(t))?;
            Ok(t)
        }
        _ => Ok(clock),
    }
}

fn list(key: &str) -> Result<Vec<Json>> {
    Ok(ironloom::kv_get(key)?.as_array().cloned().unwrap_or_default())
}

fn wo_key(id: &str) -> String {
    format!("wo:{}", id)
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
    let alarm = &j["alarm"];
    let change = j.text("change").unwrap_or("");
    let atype = match alarm.text("type") {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            ironloom::warn(&format!("{}: alarm event without a type: ignored", device));
            return Ok(());
        }
    };
    if atype == BREACH {
        return Ok(()); // our own alarm (never delivered to apps, but be safe)
    }
    let severity = alarm.text("severity").unwrap_or("indeterminate").to_string();
    let ts = [alarm.number("last_ts"), alarm.number("start_ts")]
        .iter()
        .flatten()
        .cloned()
        .fold(f64::NAN, f64::max);
    let ts = if ts.is_finite() { Some(ts) } else { None };
    let now = advance_clock(ts)?;
    let when = ts.unwrap_or(now);

    // The open order of this device and alarm type, if any.
    let open = list("open")?;
    let mut found: Option<Json> = None;
    for id in open.iter().filter_map(|v| v.as_str()) {
        let wo = ironloom::kv_get(&wo_key(id))?;
        if wo.text("device") == Some(device.as_str()) && wo.text("alarm_type") == Some(atype.as_str()) {
            found = Some(wo);
            break;
        }
    }
    match change {
        "raised" | "updated" => {
            if let Some(mut wo) = found {
                let id = wo.text("id").unwrap_or("").to_string();
                let p_old = wo.number("priority").unwrap_or(4.0) as u8;
                let p_new = priority_of(&severity).min(p_old);
                if change == "raised" {
                    let c = wo.number("alarm_count").unwrap_or(1.0) + 1.0;
                    wo.set("alarm_count", c);
                }
                wo.set("alarm_active", true);
                if p_new < p_old {
                    let (resp, rest) = ctx.targets(p_new);
                    let reported = wo.number("reported_ts").unwrap_or(when);
                    wo.set("priority", p_new);
                    wo.set("severity", severity.as_str());
                    wo.set("response_due", reported + resp);
                    wo.set("restore_due", reported + rest);
                    ironloom::info(&format!("{}: {} escalated to P{} ({})", id, device, p_new, severity));
                } else {
                    ironloom::debug(&format!("{}: {} {} again on {}", id, atype, change, device));
                }
                ironloom::kv_set(&wo_key(&id), &wo)?;
                return check_sla(ctx, now);
            }
            let min = ctx.config.text("min_severity").unwrap_or("minor");
            let rank = severity_rank(&severity).unwrap_or(0);
            if rank < severity_rank(min).unwrap_or(2) {
                ironloom::debug(&format!("{}: {} ({}) is below {}: no work order", device, atype, severity, min));
                return Ok(());
            }
            if change == "updated" && !alarm["active"].as_bool().unwrap_or(true) {
                return Ok(());
            }
            let start = alarm.number("start_ts").unwrap_or(when);
            let details = alarm["details"].clone();
            let mut wo = new_order(ctx, &device, &atype, &severity, start, "alarm")?;
            wo.set("alarm_id", alarm["id"].clone());
            wo.set("alarm_count", 1);
            wo.set("alarm_active", true);
            if !details.is_null() {
                wo.set("alarm_details", details);
            }
            if alarm["acknowledged"].as_bool() == Some(true) {
                wo.set("acknowledged_ts", when);
            }
            save_new(&wo)?;
            check_sla(ctx, now)
        }
        "acknowledged" => {
            if let Some(mut wo) = found {
                if wo["acknowledged_ts"].is_null() {
                    wo.set("acknowledged_ts", when);
                    let id = wo.text("id").unwrap_or("").to_string();
                    ironloom::kv_set(&wo_key(&id), &wo)?;
                }
            }
            check_sla(ctx, now)
        }
        "cleared" => {
            if let Some(mut wo) = found {
                wo.set("alarm_active", false);
                wo.set("alarm_cleared_ts", when);
                let id = wo.text("id").unwrap_or("").to_string();
                ironloom::kv_set(&wo_key(&id), &wo)?;
                ironloom::info(&format!("{}: alarm {} cleared on {}; the order stays open until closed", id, atype, device));
            }
            Ok(())
        }
        other => {
            ironloom::warn(&format!("{}: unknown alarm change {:?}: ignored", device, other));
            Ok(())
        }
    }
}

fn new_order(ctx: &Ctx, device: &str, title: &str, severity: &str, reported: f64, source: &str) -> Result<Json> {
    let n = ironloom::kv_get("seq")?.as_f64().unwrap_or(0.0) + 1.0;
    ironloom::kv_set("seq", &Json::from(n))?;
    let id = format!("WO-{:05}", n as u64);
    let p = priority_of(severity);
    let (resp, rest) = ctx.targets(p);
    Ok(obj! {
        "id" => id.as_str(),
        "device" => device,
        "alarm_type" => title,
        "source" => source,
        "severity" => severity,
        "priority" => p,
        "status" => "open",
        "reported_ts" => reported,
        "response_due" => reported + resp,
        "restore_due" => reported + rest,
    })
}

fn save_new(wo: &Json) -> Result<()> {
    let id = wo.text("id").unwrap_or("").to_string();
    let mut open = list("open")?;
    if open.len() >= MAX_OPEN {
        // Keep the state bounded (1000 keys): the oldest open order is dropped.
        let dropped = open.remove(0);
        if let Some(d) = dropped.as_str() {
            ironloom::kv_delete(&wo_key(d))?;
        }
        ironloom::warn(&format!("more than {} open work orders: the oldest, {}, is dropped", MAX_OPEN, dropped));
    }
    open.push(Json::from(id.as_str()));
    ironloom::kv_set(&wo_key(&id), wo)?;
    ironloom::kv_set("open", &Json::Array(open))?;
    ironloom::info(&format!(
        "{}: opened for {} ({}, {}, P{})",
        id,
        wo.text("device").unwrap_or(""),
        wo.text("alarm_type").unwrap_or(""),
        wo.text("severity").unwrap_or(""),
        wo.number("priority").unwrap_or(4.0)
    ));
    let dev = wo.text("device").unwrap_or("").to_string();
    update_device(&dev, |d| {
        add(d, "orders", 1.0);
    })
}

fn add(d: &mut Json, key: &str, x: f64) {
    let v = d.number(key).unwrap_or(0.0) + x;
    d.set(key, v);
}

fn update_device(device: &str, f: impl FnOnce(&mut Json)) -> Result<()> {
    let key = format!("dev:{}", device);
    let mut d = ironloom::kv_get(&key)?;
    if !d.is_object() {
        d = Json::object();
    }
    f(&mut d);
    ironloom::kv_set(&key, &d)
}

/// Response = the first of acknowledged, assigned, started.
fn responded_ts(wo: &Json) -> Option<f64> {
    ["acknowledged_ts", "assigned_ts", "started_ts"]
        .iter()
        .filter_map(|k| wo.number(k))
        .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.min(t))))
}

/// Raises `work_order_sla_breach` for orders past their targets and clears it on devices
/// where no open order is in breach any more.
fn check_sla(_ctx: &Ctx, now: f64) -> Result<()> {
    let open = list("open")?;
    let mut breached_devices: Vec<String> = Vec::new();
    let mut devices: Vec<String> = Vec::new();
    for id in open.iter().filter_map(|v| v.as_str()) {
        let mut wo = ironloom::kv_get(&wo_key(id))?;
        let device = wo.text("device").unwrap_or("").to_string();
        if !devices.contains(&device) {
            devices.push(device.clone());
        }
        let mut kinds = Vec::new();
        if responded_ts(&wo).is_none() && wo.number("response_due").map_or(false, |d| now > d) {
            kinds.push("response");
        }
        if wo.number("restore_due").map_or(false, |d| now > d) {
            kinds.push("restoration");
        }
        if kinds.is_empty() {
            continue;
        }
        if !breached_devices.contains(&device) {
            breached_devices.push(device.clone());
        }
        let mut known: Vec<String> = wo["breaches"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let fresh: Vec<&str> = kinds.iter().filter(|k| !known.iter().any(|x| x == *k)).cloned().collect();
        if fresh.is_empty() {
            continue;
        }
        for k in &fresh {
            known.push(k.to_string());
        }
        wo.set("breaches", known.clone());
        ironloom::kv_set(&wo_key(id), &wo)?;
        let p = wo.number("priority").unwrap_or(4.0);
        let severity = if p <= 1.0 { Severity::Critical } else if p <= 2.0 { Severity::Major } else { Severity::Minor };
        let details = obj! {
            "work_order" => id,
            "breach" => known,
            "priority" => p,
            "alarm_type" => wo["alarm_type"].clone(),
            "reported_ts" => wo["reported_ts"].clone(),
            "response_due" => wo["response_due"].clone(),
            "restore_due" => wo["restore_due"].clone(),
            "assignee" => wo["assignee"].clone(),
        };
        ironloom::alarm_raise(&device, BREACH, severity, details)?;
        ironloom::warn(&format!("{}: {} target missed ({})", id, fresh.join(" and "), device));
    }
    // Clear the breach alarm of devices that had one and have no breached open order now.
    let mut flagged = list("breach_devices")?;
    let before = flagged.clone();
    let mut keep = Vec::new();
    for d in flagged.drain(..) {
        let name = d.as_str().unwrap_or("").to_string();
        if breached_devices.contains(&name) {
            keep.push(d);
        } else {
            ironloom::alarm_clear(&name, BREACH)?;
        }
    }
    for d in &breached_devices {
        if !keep.iter().any(|k| k.as_str() == Some(d.as_str())) {
            keep.push(Json::from(d.as_str()));
        }
    }
    if keep != before {
        ironloom::kv_set("breach_devices", &Json::Array(keep))?;
    }
    Ok(())
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

fn on_http(event: &Event, ctx: &Ctx) -> Result<()> {
    let body = event.body();
    let path = event.path().unwrap_or("");
    if path == "list" {
        let mut orders = Vec::new();
        for id in list("open")?.iter().filter_map(|v| v.as_str()) {
            orders.push(ironloom::kv_get(&wo_key(id))?);
        }
        return ironloom::reply(200, obj! {"open" => orders});
    }
    if !["create", "assign", "start", "close", "cancel"].contains(&path) {
        return reply_err(404, format!("unknown path {}", path));
    }
    if !body.is_object() {
        return reply_err(400, format!("{}: the body must be a JSON object", path));
    }
    // The time: the body's `ts` (ms), else the app's clock.
    let clock = ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0);
    let ts = match &body["ts"] {
        Json::Null => None,
        v => match v.as_f64() {
            Some(t) if t.is_finite() && t > 0.0 => Some(t),
            _ => return reply_err(400, format!("{}: ts {} is not a time in ms", path, v)),
        },
    };
    // The clock moves only when the request is accepted (`commit_clock`).
    let now = match ts {
        Some(t) => t.max(clock),
        None if clock > 0.0 => clock,
        None => return reply_err(400, format!("{}: no ts and no clock yet (the schedule trigger sets it every minute)", path)),
    };
    let at = ts.unwrap_or(now);
    if path == "create" {
        let device = match body.text("device") {
            Some(d) if !d.is_empty() => d.to_string(),
            _ => return reply_err(400, "create: \"device\" is required".into()),
        };
        let severity = match body["severity"].as_str() {
            None => match body.number("priority") {
                Some(p) if (1.0..=4.0).contains(&p) => ["critical", "major", "minor", "warning"][(p as usize) - 1],
                Some(p) => return reply_err(400, format!("create: priority {} is not 1 to 4", p)),
                None => "minor",
            },
            Some(s) if severity_rank(s).is_some() => s,
            Some(s) => return reply_err(400, format!("create: severity {:?} is not critical, major, minor, warning or indeterminate", s)),
        };
        let title = body.text("title").unwrap_or("manual").chars().take(120).collect::<String>();
        let mut wo = new_order(ctx, &device, &title, severity, at, "manual")?;
        if let Some(n) = body.text("notes") {
            wo.set("notes", n.chars().take(1000).collect::<String>());
        }
        save_new(&wo)?;
        advance_clock(ts)?;
        check_sla(ctx, now)?;
        return ironloom::reply(201, wo);
    }
    let id = match body.text("id") {
        Some(i) => i.to_string(),
        None => return reply_err(400, format!("{}: \"id\" (the work order) is required", path)),
    };
    let mut wo = ironloom::kv_get(&wo_key(&id))?;
    if !wo.is_object() {
        let done = list("closed")?
            .into_iter()
            .find(|w| w.text("id") == Some(id.as_str()))
            .and_then(|w| w.text("status").map(String::from));
        return match done {
            Some(st) => reply_err(409, format!("{}: {} is {}", path, id, st)),
            None => reply_err(404, format!("{}: no work order {}", path, id)),
        };
    }
    let status = wo.text("status").unwrap_or("open").to_string();
    if status == "closed" || status == "cancelled" {
        return reply_err(409, format!("{}: {} is {}", path, id, status));
    }
    let reported = wo.number("reported_ts").unwrap_or(at);
    if at < reported {
        return reply_err(422, format!("{}: {} at {} is before the report at {}", path, id, at, reported));
    }
    let device = wo.text("device").unwrap_or("").to_string();
    match path {
        "assign" => {
            let who = match body.text("assignee") {
                Some(a) if !a.trim().is_empty() => a.trim().chars().take(80).collect::<String>(),
                _ => return reply_err(400, "assign: \"assignee\" is required".into()),
            };
            wo.set("assignee", who.as_str());
            if wo["assigned_ts"].is_null() {
                wo.set("assigned_ts", at);
            }
            if status == "open" {
                wo.set("status", "assigned");
            }
            ironloom::info(&format!("{}: assigned to {}", id, who));
        }
        "start" => {
            if wo["started_ts"].is_null() {
                wo.set("started_ts", at);
            }
            wo.set("status", "in_progress");
            if let Some(a) = body.text("assignee") {
                wo.set("assignee", a.chars().take(80).collect::<String>());
            }
            ironloom::info(&format!("{}: started", id));
        }
        "close" | "cancel" => {
            let cancel = path == "cancel";
            wo.set("status", if cancel { "cancelled" } else { "closed" });
            wo.set("closed_ts", at);
            for k in ["cause", "remedy", "notes", "reason"] {
                if let Some(t) = body.text(k) {
                    wo.set(k, t.chars().take(1000).collect::<String>());
                }
            }
            let restoration = at - reported;
            let response = responded_ts(&wo).map(|r| r - reported);
            let active = wo.number("started_ts").map(|s| at - s);
            let met = !cancel
                && response.map_or(false, |r| r <= wo.number("response_due").unwrap_or(f64::INFINITY) - reported)
                && at <= wo.number("restore_due").unwrap_or(f64::INFINITY);
            if !cancel {
                wo.set("restoration_h", restoration / HOUR);
                wo.set("response_min", response.map(|r| r / MIN));
                wo.set("active_repair_h", active.map(|a| a / HOUR));
                wo.set("sla_met", met);
            }
            let mut open = list("open")?;
            open.retain(|v| v.as_str() != Some(id.as_str()));
            ironloom::kv_set("open", &Json::Array(open))?;
            let mut closed = list("closed")?;
            closed.insert(0, wo.clone());
            closed.truncate(CLOSED_KEPT);
            ironloom::kv_set("closed", &Json::Array(closed))?;
            if !cancel {
                update_device(&device, |d| {
                    // MTBF: operating time from the previous restoration to this failure.
                    if let Some(prev) = d.number("last_restored_ts") {
                        if reported > prev {
                            add(d, "uptime_h", (reported - prev) / HOUR);
                            add(d, "uptime_n", 1.0);
                        }
                    }
                    let last = d.number("last_restored_ts").unwrap_or(f64::MIN);
                    d.set("last_restored_ts", at.max(last));
                    add(d, "failures", 1.0);
                    add(d, "restoration_h", restoration / HOUR);
                    if let Some(r) = response {
                        add(d, "response_min", r / MIN);
                        add(d, "responses", 1.0);
                    }
                    if let Some(a) = active {
                        add(d, "active_h", a / HOUR);
                        add(d, "actives", 1.0);
                    }
                    if met {
                        add(d, "sla_met", 1.0);
                    }
                    indicators(d);
                })?;
            } else {
                update_device(&device, |d| add(d, "cancelled", 1.0))?;
            }
            ironloom::info(&format!(
                "{}: {} on {} after {:.2} h{}",
                id,
                if cancel { "cancelled" } else { "closed" },
                device,
                restoration / HOUR,
                if cancel { String::new() } else { format!(", SLA {}", if met { "met" } else { "missed" }) }
            ));
        }
        other => return reply_err(404, format!("unknown path {}", other)),
    }
    if path == "close" || path == "cancel" {
        // The record now lives in the closed list (bounded state).
        ironloom::kv_delete(&wo_key(&id))?;
    } else {
        ironloom::kv_set(&wo_key(&id), &wo)?;
    }
    advance_clock(ts)?;
    check_sla(ctx, now)?;
    ironloom::reply(200, wo)
}

/// MTTR, MTBF, means and availability from the device's sums.
fn indicators(d: &mut Json) {
    let n = d.number("failures").unwrap_or(0.0);
    if n > 0.0 {
        let mttr = d.number("restoration_h").unwrap_or(0.0) / n;
        d.set("mttr_h", mttr);
        d.set("sla_pct", d.number("sla_met").unwrap_or(0.0) / n * 100.0);
        let up_n = d.number("uptime_n").unwrap_or(0.0);
        if up_n > 0.0 {
            let mtbf = d.number("uptime_h").unwrap_or(0.0) / up_n;
            d.set("mtbf_h", mtbf);
            if mtbf + mttr > 0.0 {
                d.set("availability_pct", mtbf / (mtbf + mttr) * 100.0);
            }
        }
    }
    if let Some(r) = d.number("responses").filter(|r| *r > 0.0) {
        let v = d.number("response_min").unwrap_or(0.0) / r;
        d.set("mean_response_min", v);
    }
    if let Some(a) = d.number("actives").filter(|a| *a > 0.0) {
        let v = d.number("active_h").unwrap_or(0.0) / a;
        d.set("mean_active_repair_h", v);
    }
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("work-orders: {}", e.message)))
}

ironloom::app!(handle);
