//! Spare parts reorder: continuous review (s, Q) inventory control of a maintenance store.
//!
//! * **HTTP trigger** (each body with an optional `ts` in ms, else the app's clock):
//!   `part` (master data: costs, lead time, service level, forecast, order rules, the device
//!   the part is for), `receipt`, `issue`, `count` (a physical count), `order` (a purchase
//!   order placed), `usage` (the parts a work order used), `list`.
//! * **Demand** per part from its issues, in daily buckets over the last `history_days`
//!   complete days (days without issues count as zero): mean d and sample standard deviation
//!   σ_d per day; the planner's forecast from the master data while the history is short.
//! * **Reorder point** (continuous review, normally distributed lead-time demand, cycle
//!   service level P1): s = d·L + z·σ_d·√L, z = Φ⁻¹(P1) (Wichura's AS 241);
//!   **order quantity** by the EOQ of Harris (1913) and Wilson (1934): Q* = √(2·D·S/H),
//!   raised to the minimum order and rounded up to the pack; the fill rate this gives,
//!   P2 = 1 − σ_L·G(z)/Q with the unit normal loss G (Silver, Pyke & Thomas 2017, ch. 6).
//! * When the inventory position (on hand + on order) is at or below s the part needs an
//!   order: the alarm `spare_parts_reorder` is raised on the part's device, else on the
//!   configured `alarm_device`, listing the parts to order (major when one is out of stock);
//!   cleared when no part of that device needs an order. Without any device the reorder list
//!   is in the state and the panel only.
//! * **Schedule trigger** (every minute): the clock, and at a new day the demand windows move.

use ironloom::{obj, Error, Event, Json, Result, Severity};

const DAY: f64 = 86_400_000.0;
const ALARM: &str = "spare_parts_reorder";
const MAX_PARTS: usize = 500;
const PART_MOVES_KEPT: usize = 10;
const JOURNAL_KEPT: usize = 30;

// ---------------------------------------------------------------------------------------
// The normal distribution.

/// Φ⁻¹(p): Wichura, M. J. (1988), Algorithm AS 241, Applied Statistics 37(3), 477–484
/// (PPND16, about 16 digits).
pub fn inv_normal(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
            + 6.7265770927008700853e+4)
            * r
            + 4.5921953931549871457e+4)
            * r
            + 1.3731693765509461125e+4)
            * r
            + 1.9715909503065514427e+3)
            * r
            + 1.3314166789178437745e+2)
            * r
            + 3.3871328727963666080e+0)
            * q;
        let den = ((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
            + 3.9307895800092710610e+4)
            * r
            + 2.1213794301586595867e+4)
            * r
            + 5.3941960214247511077e+3)
            * r
            + 6.8718700749205790830e+2)
            * r
            + 4.2313330701600911252e+1)
            * r
            + 1.0;
        return num / den;
    }
    let r0 = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-r0.ln()).sqrt();
    let x = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
            + 2.41780725177450611770e-1)
            * r
            + 1.27045825245236838258e+0)
            * r
            + 3.64784832476320460504e+0)
            * r
            + 5.76949722146069140550e+0)
            * r
            + 4.63033784615654529590e+0)
            * r
            + 1.42343711074968357734e+0;
        let den = ((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
            + 1.51986665636164571966e-2)
            * r
            + 1.48103976427480074590e-1)
            * r
            + 6.89767334985100004550e-1)
            * r
            + 1.67638483018380384940e+0)
            * r
            + 2.05319162663775882187e+0)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
            + 1.24266094738807843860e-3)
            * r
            + 2.65321895265761230930e-2)
            * r
            + 2.96560571828504891230e-1)
            * r
            + 1.78482653991729133580e+0)
            * r
            + 5.46378491116411436990e+0)
            * r
            + 6.65790464350110377720e+0;
        let den = ((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
            + 1.84631831751005468180e-5)
            * r
            + 7.86869131145613259100e-4)
            * r
            + 1.48753612908506148525e-2)
            * r
            + 1.36929880922735805310e-1)
            * r
            + 5.99832206555887937690e-1)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 {
        -x
    } else {
        x
    }
}

/// φ(z), the standard normal density.
fn pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Φ(z) by Marsaglia's series (Journal of Statistical Software 11(4), 2004):
/// Φ(z) = ½ + φ(z)·(z + z³/3 + z⁵/(3·5) + …), to about 15 digits for |z| ≤ 8.
fn cdf(z: f64) -> f64 {
    if z < -8.0 {
        return 0.0;
    }
    if z > 8.0 {
        return 1.0;
    }
    let (mut s, mut t, z2) = (z, z, z * z);
    let mut i = 1.0;
    loop {
        i += 2.0;
        t *= z2 / i;
        let n = s + t;
        if n == s {
            break;
        }
        s = n;
    }
    0.5 + s * pdf(z)
}

/// G(z) = φ(z) − z·(1 − Φ(z)), the unit normal loss function: the expected shortage per
/// replenishment cycle in units of σ_L.
fn loss(z: f64) -> f64 {
    pdf(z) - z * (1.0 - cdf(z))
}

// ---------------------------------------------------------------------------------------
// Context: configuration and clock.

struct Ctx {
    config: Json,
}

impl Ctx {
    fn num(&self, key: &str, default: f64) -> f64 {
        self.config.number(key).unwrap_or(default)
    }
    fn alarm_device(&self) -> Option<String> {
        self.config
            .text("alarm_device")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

fn clock() -> Result<f64> {
    Ok(ironloom::kv_get("clock")?.as_f64().unwrap_or(0.0))
}

fn advance_clock(t: f64) -> Result<f64> {
    let c = clock()?;
    if t > c {
        ironloom::kv_set("clock", &Json::from(t))?;
        Ok(t)
    } else {
        Ok(c)
    }
}

fn day_of(ts: f64) -> f64 {
    (ts / DAY).floor()
}

fn part_key(id: &str) -> String {
    format!("p:{}", id)
}

// ---------------------------------------------------------------------------------------
// Events.

fn on_event(event: &Event) -> Result<()> {
    let ctx = Ctx {
        config: ironloom::config()?,
    };
    match event.kind() {
        "schedule" => match event.at() {
            Some(at) => on_tick(&ctx, at as f64),
            None => {
                ironloom::warn("schedule event without \"at\": nothing to do");
                Ok(())
            }
        },
        "http" => on_http(event, &ctx),
        "manual" => {
            let now = clock()?;
            if now > 0.0 {
                recompute_all(&ctx, now)
            } else {
                ironloom::warn("no clock yet (the schedule every minute or a request with ts sets it)");
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn on_tick(ctx: &Ctx, at: f64) -> Result<()> {
    let before = clock()?;
    let now = advance_clock(at)?;
    if before == 0.0 || day_of(now) != day_of(before) {
        recompute_all(ctx, now)?;
    }
    Ok(())
}

fn index() -> Result<Json> {
    let i = ironloom::kv_get("index")?;
    Ok(if i.is_object() { i } else { Json::object() })
}

fn recompute_all(ctx: &Ctx, now: f64) -> Result<()> {
    let idx = index()?;
    let ids: Vec<String> = idx
        .as_object()
        .map(|o| o.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut idx = idx;
    for id in &ids {
        let mut p = ironloom::kv_get(&part_key(id))?;
        if !p.is_object() {
            idx.remove(id);
            continue;
        }
        compute(ctx, &mut p, now);
        ironloom::kv_set(&part_key(id), &p)?;
        idx.set(id, index_entry(ctx, &p));
    }
    ironloom::kv_set("index", &idx)?;
    sync_alarms(ctx, &idx)?;
    ironloom::info(&format!("{} parts reviewed", ids.len()));
    Ok(())
}

fn reply_err(status: u16, message: String) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message})
}

/// A number field of a body: `Ok(None)` when absent or null, `Err(message)` when not a
/// finite number within [min, max].
fn field(body: &Json, key: &str, min: f64, max: f64) -> std::result::Result<Option<f64>, String> {
    match &body[key] {
        Json::Null => Ok(None),
        v => match v.as_f64() {
            Some(x) if x.is_finite() && x >= min && x <= max => Ok(Some(x)),
            Some(x) if x.is_finite() => Err(format!("{} {} is outside {} to {}", key, x, min, max)),
            _ => Err(format!("{} {} is not a number", key, v)),
        },
    }
}

fn text_field(body: &Json, key: &str, max: usize) -> Option<String> {
    body.text(key)
        .map(|s| s.trim().chars().take(max).collect::<String>())
        .filter(|s| !s.is_empty())
}

fn on_http(event: &Event, ctx: &Ctx) -> Result<()> {
    let path = event.path().unwrap_or("").to_string();
    let body = event.body().clone();
    let known = ["part", "receipt", "issue", "count", "order", "usage", "list"];
    if !known.contains(&path.as_str()) {
        return reply_err(404, format!("unknown path {:?} (part, receipt, issue, count, order, usage, list)", path));
    }
    if path == "list" {
        return list(&body);
    }
    if !body.is_object() {
        return reply_err(400, format!("{}: the body must be a JSON object", path));
    }
    let ts = match field(&body, "ts", 1.0, 1e15) {
        Ok(t) => t,
        Err(m) => return reply_err(400, format!("{}: {} (ms since the epoch)", path, m)),
    };
    let c = clock()?;
    let at = match ts {
        Some(t) => t,
        None if c > 0.0 => c,
        None => {
            return reply_err(
                400,
                format!("{}: no ts and no clock yet (the schedule sets it every minute)", path),
            )
        }
    };
    if path == "part" {
        return upsert_part(ctx, &body, at);
    }
    if path == "usage" {
        return usage(ctx, &body, at);
    }
    let id = match text_field(&body, "part", 64) {
        Some(p) => p,
        None => return reply_err(400, format!("{}: \"part\" is required", path)),
    };
    let mut p = ironloom::kv_get(&part_key(&id))?;
    if !p.is_object() {
        return reply_err(404, format!("{}: no part {:?} (post its master data to part first)", path, id));
    }
    let qty = match field(&body, "qty", 0.0, 1e12) {
        Ok(q) => q,
        Err(m) => return reply_err(400, format!("{} {}: {}", path, id, m)),
    };
    let reference = text_field(&body, "ref", 80);
    match path.as_str() {
        "receipt" | "issue" => {
            let q = match qty {
                Some(q) if q > 0.0 => q,
                _ => return reply_err(400, format!("{} {}: \"qty\" must be a number above 0", path, id)),
            };
            if path == "receipt" {
                receipt(&mut p, q);
            } else {
                let dev = text_field(&body, "device", 128);
                issue(&mut p, q, at);
                if let Some(d) = dev {
                    p.set("last_used_on", d);
                }
            }
            movement(&mut p, &path, q, at, reference)?;
        }
        "count" => {
            let q = match qty {
                Some(q) => q,
                None => return reply_err(400, format!("count {}: \"qty\" (the stock counted) is required", id)),
            };
            if let Some(last) = p.number("last_move_ts") {
                if at < last {
                    return reply_err(
                        422,
                        format!(
                            "count {}: the count at {} is older than the last movement at {}; post counts in order",
                            id, at, last
                        ),
                    );
                }
            }
            let before = p.number("on_hand").unwrap_or(0.0);
            let adj = q - before;
            p.set("on_hand", q);
            let a = p.number("adjustments").unwrap_or(0.0) + adj;
            p.set("adjustments", a);
            if adj != 0.0 {
                ironloom::info(&format!("count {}: {} counted, {} booked: adjustment {}", id, q, before, adj));
            }
            movement(&mut p, "count", q, at, reference)?;
        }
        "order" => {
            // Without qty: the suggested order.
            let mut tmp = p.clone();
            compute(ctx, &mut tmp, at.max(c));
            let q = match qty.or_else(|| tmp.number("suggested_qty")) {
                Some(q) if q > 0.0 => q,
                _ => {
                    return reply_err(
                        400,
                        format!("order {}: \"qty\" is required (no order is suggested now)", id),
                    )
                }
            };
            let o = p.number("on_order").unwrap_or(0.0) + q;
            p.set("on_order", o);
            movement(&mut p, "order", q, at, reference)?;
        }
        _ => unreachable!(),
    }
    let now = advance_clock(at)?;
    compute(ctx, &mut p, now);
    save(ctx, &id, &p)?;
    ironloom::reply(200, p)
}

fn receipt(p: &mut Json, q: f64) {
    let oh = p.number("on_hand").unwrap_or(0.0) + q;
    p.set("on_hand", oh);
    let oo = (p.number("on_order").unwrap_or(0.0) - q).max(0.0);
    p.set("on_order", oo);
}

/// An issue: stock out, and demand in the day's bucket.
fn issue(p: &mut Json, q: f64, at: f64) {
    let id = p.text("part").unwrap_or("").to_string();
    let oh = p.number("on_hand").unwrap_or(0.0) - q;
    if oh < 0.0 {
        ironloom::warn(&format!(
            "issue {}: {} issued with {} on hand; on hand is now {} (post a count)",
            id,
            q,
            oh + q,
            oh
        ));
    }
    p.set("on_hand", oh);
    let day = day_of(at);
    let mut days: Vec<(f64, f64)> = p["use"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x.at(0)?.as_f64()?, x.at(1)?.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    match days.iter_mut().find(|(d, _)| *d == day) {
        Some(e) => e.1 += q,
        None => days.push((day, q)),
    }
    days.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    p.set(
        "use",
        Json::Array(days.iter().map(|(d, q)| Json::Array(vec![Json::from(*d), Json::from(*q)])).collect()),
    );
    let since = p.number("since_day").unwrap_or(day);
    if day < since {
        p.set("since_day", day);
    }
}

fn movement(p: &mut Json, kind: &str, qty: f64, at: f64, reference: Option<String>) -> Result<()> {
    let id = p.text("part").unwrap_or("").to_string();
    let m = obj! {
        "ts" => at,
        "kind" => kind,
        "part" => id.as_str(),
        "qty" => qty,
        "on_hand" => p["on_hand"].clone(),
        "ref" => reference,
    };
    let mut moves = p["moves"].as_array().cloned().unwrap_or_default();
    moves.insert(0, m.clone());
    moves.truncate(PART_MOVES_KEPT);
    p.set("moves", Json::Array(moves));
    let last = p.number("last_move_ts").unwrap_or(0.0);
    if at > last {
        p.set("last_move_ts", at);
    }
    let mut journal = ironloom::kv_get("journal")?.as_array().cloned().unwrap_or_default();
    journal.insert(0, m);
    journal.truncate(JOURNAL_KEPT);
    ironloom::kv_set("journal", &Json::Array(journal))
}

fn usage(ctx: &Ctx, body: &Json, at: f64) -> Result<()> {
    let lines = match body["parts"].as_array() {
        Some(a) if !a.is_empty() => a.clone(),
        _ => return reply_err(400, "usage: \"parts\" must be a list of {part, qty}".into()),
    };
    let wo = text_field(body, "work_order", 64);
    let device = text_field(body, "device", 128);
    // Check every line first: a usage is booked whole or not at all.
    let mut checked: Vec<(String, f64)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let id = match text_field(l, "part", 64) {
            Some(p) => p,
            None => return reply_err(400, format!("usage: line {} has no \"part\"", i + 1)),
        };
        let q = match field(l, "qty", 0.0, 1e12) {
            Ok(Some(q)) if q > 0.0 => q,
            Ok(_) => return reply_err(400, format!("usage: line {} ({}): \"qty\" must be a number above 0", i + 1, id)),
            Err(m) => return reply_err(400, format!("usage: line {} ({}): {}", i + 1, id, m)),
        };
        if !ironloom::kv_get(&part_key(&id))?.is_object() {
            return reply_err(404, format!("usage: no part {:?} (line {}); nothing booked", id, i + 1));
        }
        checked.push((id, q));
    }
    let now = advance_clock(at)?;
    let reference = match (&wo, &device) {
        (Some(w), Some(d)) => Some(format!("{} {}", w, d)),
        (Some(w), None) => Some(w.clone()),
        (None, Some(d)) => Some(d.clone()),
        _ => None,
    };
    let mut booked = Vec::new();
    for (id, q) in checked {
        let mut p = ironloom::kv_get(&part_key(&id))?;
        issue(&mut p, q, at);
        if let Some(d) = &device {
            p.set("last_used_on", d.as_str());
        }
        movement(&mut p, "usage", q, at, reference.clone())?;
        compute(ctx, &mut p, now);
        save(ctx, &id, &p)?;
        booked.push(obj! {"part" => id.as_str(), "qty" => q, "on_hand" => p["on_hand"].clone(), "status" => p["status"].clone()});
    }
    ironloom::info(&format!(
        "usage{}: {} lines booked",
        wo.map(|w| format!(" of {}", w)).unwrap_or_default(),
        booked.len()
    ));
    ironloom::reply(200, obj! {"booked" => booked})
}

/// Master data: creates the part or changes the fields given (`null` removes a field).
fn upsert_part(ctx: &Ctx, body: &Json, at: f64) -> Result<()> {
    let id = match text_field(body, "part", 64) {
        Some(p) => p,
        None => return reply_err(400, "part: \"part\" (its number) is required".into()),
    };
    let mut p = ironloom::kv_get(&part_key(&id))?;
    let created = !p.is_object();
    if created {
        let n = index()?.as_object().map(|o| o.len()).unwrap_or(0);
        if n >= MAX_PARTS {
            return reply_err(507, format!("part {}: at most {} parts per installation", id, MAX_PARTS));
        }
        p = obj! {"part" => id.as_str(), "on_hand" => 0.0, "on_order" => 0.0, "since_day" => day_of(at)};
    }
    // Numbers with their ranges.
    let numbers: [(&str, f64, f64); 12] = [
        ("unit_cost", 0.0, 1e9),
        ("ordering_cost", 0.0, 1e9),
        ("holding_rate", 0.0, 10.0),
        ("holding_cost", 0.0, 1e9),
        ("lead_time_d", 0.0, 3650.0),
        ("service_level", 0.5, 0.9999),
        ("demand_per_period", 0.0, 1e12),
        ("demand_sd_per_period", 0.0, 1e12),
        ("demand_period_days", 1.0, 366.0),
        ("min_order_qty", 0.0, 1e12),
        ("pack_size", 0.0, 1e12),
        ("on_order", 0.0, 1e12),
    ];
    let mut changes = Vec::new();
    for (k, lo, hi) in numbers.iter() {
        if body.get(k).is_none() {
            continue;
        }
        if body[*k].is_null() {
            if *k != "on_order" {
                p.remove(k);
                changes.push(k.to_string());
            }
            continue;
        }
        match field(body, k, *lo, *hi) {
            Ok(Some(v)) => {
                p.set(k, v);
                changes.push(k.to_string());
            }
            Ok(None) => {}
            Err(m) => return reply_err(400, format!("part {}: {}", id, m)),
        }
    }
    if p.number("lead_time_d") == Some(0.0) {
        return reply_err(400, format!("part {}: lead_time_d must be above 0", id));
    }
    // The opening stock, only when the part is created (later: count).
    match field(body, "on_hand", -1e12, 1e12) {
        Ok(Some(v)) if created => {
            p.set("on_hand", v);
            changes.push("on_hand".into());
        }
        Ok(Some(_)) => {
            ironloom::warn(&format!("part {}: on_hand is set only when a part is created; post a count", id))
        }
        Ok(None) => {}
        Err(m) => return reply_err(400, format!("part {}: {}", id, m)),
    }
    for (k, n) in [("description", 200), ("unit", 16), ("device", 128), ("location", 64), ("supplier", 80)] {
        if body.get(k).is_none() {
            continue;
        }
        match text_field(body, k, n) {
            Some(t) => p.set(k, t),
            None => {
                p.remove(k);
            }
        }
        changes.push(k.to_string());
    }
    let now = advance_clock(at)?;
    compute(ctx, &mut p, now);
    save(ctx, &id, &p)?;
    ironloom::info(&format!(
        "part {} {} ({})",
        id,
        if created { "created" } else { "changed" },
        changes.join(", ")
    ));
    ironloom::reply(if created { 201 } else { 200 }, p)
}

fn list(body: &Json) -> Result<()> {
    if let Some(id) = body.text("part") {
        let p = ironloom::kv_get(&part_key(id))?;
        if !p.is_object() {
            return reply_err(404, format!("list: no part {:?}", id));
        }
        return ironloom::reply(200, p);
    }
    let idx = index()?;
    let reorder: Vec<Json> = idx
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, e)| matches!(e.text("st"), Some("reorder") | Some("out_of_stock")))
                .map(|(k, _)| Json::from(k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    ironloom::reply(200, obj! {"clock" => clock()?, "parts" => idx, "reorder" => reorder})
}

// ---------------------------------------------------------------------------------------
// The computation.

/// Demand, reorder point, EOQ and status of a part at time `now` (ms).
fn compute(ctx: &Ctx, p: &mut Json, now: f64) {
    let today = day_of(now);
    let window = ctx.num("history_days", 91.0).max(1.0).floor();
    let min_days = ctx.num("min_history_days", 14.0).max(2.0).floor();
    let since = p.number("since_day").unwrap_or(today);
    // Complete days [start, today − 1].
    let start = since.max(today - window);
    let n = (today - start).max(0.0);
    // Keep only the buckets of the window (and today's, not yet complete).
    let days: Vec<(f64, f64)> = p["use"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x.at(0)?.as_f64()?, x.at(1)?.as_f64()?)))
                .filter(|(d, _)| *d >= today - window)
                .collect()
        })
        .unwrap_or_default();
    p.set(
        "use",
        Json::Array(days.iter().map(|(d, q)| Json::Array(vec![Json::from(*d), Json::from(*q)])).collect()),
    );
    let in_window: Vec<f64> = days.iter().filter(|(d, _)| *d >= start && *d < today).map(|(_, q)| *q).collect();
    let (mut mean_h, mut sd_h) = (None, None);
    if n >= 2.0 {
        let sum: f64 = in_window.iter().sum();
        let m = sum / n;
        let ss: f64 = in_window.iter().map(|q| (q - m) * (q - m)).sum::<f64>() + (n - in_window.len() as f64) * m * m;
        mean_h = Some(m);
        sd_h = Some((ss / (n - 1.0)).max(0.0).sqrt());
    }
    let period = p.number("demand_period_days").unwrap_or(1.0).max(1.0);
    let master = p
        .number("demand_per_period")
        .map(|d| (d / period, p.number("demand_sd_per_period").unwrap_or(0.0) / period.sqrt()));
    // Slow movers: a window with fewer than `min_issue_days` days of use says little about
    // the rate; the planner's forecast is used then, when there is one.
    let issue_days = in_window.iter().filter(|q| **q > 0.0).count() as f64;
    let min_issue_days = ctx.num("min_issue_days", 3.0).max(1.0);
    p.set("issue_days", issue_days);
    let (d, sd, source) = match (mean_h, sd_h, master) {
        (Some(m), Some(s), _) if n >= min_days && issue_days >= min_issue_days => (Some(m), Some(s), "history"),
        (_, _, Some((m, s))) => (Some(m), Some(s), "forecast"),
        (Some(m), Some(s), None) => (Some(m), Some(s), if n >= min_days { "sparse_history" } else { "short_history" }),
        _ => (None, None, "none"),
    };
    p.set("history_days", n);
    p.set("demand_source", source);
    p.set("d_per_day", d);
    p.set("sd_per_day", sd);
    let lead = p.number("lead_time_d").unwrap_or_else(|| ctx.num("lead_time_d", 14.0)).max(0.0);
    let csl = p.number("service_level").unwrap_or_else(|| ctx.num("service_level", 0.95)).max(0.5).min(0.9999);
    let z = inv_normal(csl);
    p.set("lead_time_used_d", lead);
    p.set("service_level_used", csl);
    p.set("z", z);
    let on_hand = p.number("on_hand").unwrap_or(0.0);
    let on_order = p.number("on_order").unwrap_or(0.0);
    let position = on_hand + on_order;
    p.set("position", position);

    // EOQ: Q* = √(2·D·S/H).
    let unit_cost = p.number("unit_cost");
    let s_cost = p.number("ordering_cost").unwrap_or_else(|| ctx.num("ordering_cost", 50.0));
    let h = p
        .number("holding_cost")
        .or_else(|| unit_cost.map(|c| c * p.number("holding_rate").unwrap_or_else(|| ctx.num("holding_rate", 0.25))));
    let per_year = ctx.num("days_per_year", 365.0);
    let annual = d.map(|d| d * per_year);
    let eoq = match (annual, h) {
        (Some(a), Some(h)) if a > 0.0 && h > 0.0 && s_cost > 0.0 => Some((2.0 * a * s_cost / h).sqrt()),
        _ => None,
    };
    p.set("annual_demand", annual);
    p.set("holding_cost_used", h);
    p.set("ordering_cost_used", s_cost);
    p.set("eoq", eoq);
    let min_q = p.number("min_order_qty").unwrap_or(0.0);
    let pack = p.number("pack_size").filter(|x| *x > 0.0).unwrap_or(1.0);
    let base = eoq.unwrap_or(0.0).max(min_q);
    let q = if base > 0.0 { Some((base / pack - 1e-9).ceil() * pack) } else { None };
    p.set("order_qty", q);
    if let (Some(a), Some(h), Some(q)) = (annual, h, q) {
        if a > 0.0 {
            // Ordering plus cycle-stock holding cost per year at Q (safety stock excluded).
            p.set("annual_cost", a / q * s_cost + q / 2.0 * h);
        }
    }

    let (status, rop) = match (d, sd) {
        (Some(d), Some(sd)) => {
            let sigma_l = sd * lead.sqrt();
            let ss = z * sigma_l;
            let rop = d * lead + ss;
            p.set("lead_time_demand", d * lead);
            p.set("sigma_l", sigma_l);
            p.set("safety_stock", ss);
            p.set("reorder_point", rop);
            p.set("days_of_stock", if d > 0.0 { Some(on_hand / d) } else { None });
            // Fill rate P2 = 1 − σ_L·G(z)/Q.
            let fill = match q {
                Some(q) if sigma_l > 0.0 => Some((1.0 - sigma_l * loss(z) / q).max(0.0)),
                Some(_) => Some(1.0),
                None => None,
            };
            p.set("fill_rate", fill);
            let st = if on_hand <= 0.0 && position <= rop {
                "out_of_stock"
            } else if position <= rop && (rop > 0.0 || d > 0.0) {
                "reorder"
            } else {
                "ok"
            };
            (st, Some(rop))
        }
        _ => {
            for k in ["lead_time_demand", "sigma_l", "safety_stock", "reorder_point", "fill_rate", "days_of_stock"] {
                p.remove(k);
            }
            (if on_hand <= 0.0 { "out_of_stock" } else { "no_demand_data" }, None)
        }
    };
    p.set("status", status);
    // The suggested order: the smallest multiple of Q that lifts the position above s.
    let suggested = match (rop, q) {
        (Some(r), Some(q)) if position <= r => Some(((r - position) / q).floor().max(0.0) * q + q),
        (None, Some(q)) if status == "out_of_stock" => Some(q),
        _ => None,
    };
    p.set("suggested_qty", suggested);
    p.set("computed_ts", now);
}

fn index_entry(ctx: &Ctx, p: &Json) -> Json {
    let dev = p.text("device").map(String::from).or_else(|| ctx.alarm_device());
    obj! {"st" => p["status"].clone(), "dev" => dev}
}

fn save(ctx: &Ctx, id: &str, p: &Json) -> Result<()> {
    ironloom::kv_set(&part_key(id), p)?;
    let mut idx = index()?;
    let before = idx[id].clone();
    let entry = index_entry(ctx, p);
    if before != entry {
        let was = before.text("st").unwrap_or("");
        let now = entry.text("st").unwrap_or("");
        if was != now {
            let lvl = if now == "reorder" || now == "out_of_stock" { ": needs an order" } else { "" };
            ironloom::info(&format!("part {}: {} → {}{}", id, if was.is_empty() { "new" } else { was }, now, lvl));
        }
        idx.set(id, entry);
        ironloom::kv_set("index", &idx)?;
        sync_alarms(ctx, &idx)?;
    }
    Ok(())
}

/// One `spare_parts_reorder` alarm per device listing its parts to order; raised again
/// when the list changes, cleared when it is empty.
fn sync_alarms(_ctx: &Ctx, idx: &Json) -> Result<()> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(o) = idx.as_object() {
        for (id, e) in o {
            if !matches!(e.text("st"), Some("reorder") | Some("out_of_stock")) {
                continue;
            }
            let dev = match e.text("dev") {
                Some(d) => d.to_string(),
                None => continue,
            };
            match groups.iter_mut().find(|(d, _)| *d == dev) {
                Some(g) => g.1.push(id.clone()),
                None => groups.push((dev, vec![id.clone()])),
            }
        }
    }
    let before = ironloom::kv_get("alarms")?;
    let mut after = Json::object();
    // Devices that had an alarm and have no part to order now: clear.
    if let Some(o) = before.as_object() {
        for (dev, _) in o {
            if !groups.iter().any(|(d, _)| d == dev) {
                match ironloom::alarm_clear(dev, ALARM) {
                    Ok(_) => ironloom::info(&format!("{}: no spare part to order: {} cleared", dev, ALARM)),
                    Err(e) => ironloom::warn(&format!("{}: {} not cleared: {}", dev, ALARM, e.message)),
                }
            }
        }
    }
    for (dev, mut parts) in groups {
        parts.sort();
        let list = Json::Array(parts.iter().map(|p| Json::from(p.as_str())).collect());
        if before[dev.as_str()] != list {
            let mut lines = Vec::new();
            let mut out = false;
            for id in parts.iter().take(20) {
                let p = ironloom::kv_get(&part_key(id))?;
                out |= p.text("status") == Some("out_of_stock");
                lines.push(obj! {
                    "part" => id.as_str(),
                    "description" => p["description"].clone(),
                    "on_hand" => p["on_hand"].clone(),
                    "on_order" => p["on_order"].clone(),
                    "reorder_point" => p["reorder_point"].clone(),
                    "order_qty" => p["suggested_qty"].clone(),
                    "status" => p["status"].clone(),
                });
            }
            let details = obj! {"parts" => lines, "count" => parts.len()};
            let sev = if out { Severity::Major } else { Severity::Minor };
            match ironloom::alarm_raise(&dev, ALARM, sev, details) {
                Ok(_) => ironloom::warn(&format!("{}: {} spare part(s) to order: {}", dev, parts.len(), parts.join(", "))),
                Err(e) => ironloom::warn(&format!(
                    "{}: {} not raised ({}: {}); the parts to order are in the panel",
                    dev, ALARM, e.code, e.message
                )),
            }
        }
        after.set(&dev, list);
    }
    if after != before && !(before.is_null() && after.as_object().map_or(true, |o| o.is_empty())) {
        ironloom::kv_set("alarms", &after)?;
    }
    Ok(())
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("spare-parts: {}", e.message)))
}

ironloom::app!(handle);

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn normal() {
        assert!((inv_normal(0.95) - 1.6448536269514722).abs() < 1e-12);
        assert!((inv_normal(0.90) - 1.2815515655446004).abs() < 1e-12);
        assert!((cdf(1.6448536269514722) - 0.95).abs() < 1e-13);
        // G(0) = φ(0)
        assert!((loss(0.0) - 0.3989422804014327).abs() < 1e-15);
    }
}
