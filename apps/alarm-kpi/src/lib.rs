//! Alarm system performance (ANSI/ISA-18.2-2016 clause 16, monitoring and assessment;
//! IEC 62682:2014; EEMUA 191) from the alarm trigger.
//!
//! * **Annunciations**: every `raised` alarm of the installation's devices (a repeat of an
//!   active alarm arrives as `updated` and is not a new annunciation), at its `start_ts`,
//!   counted per 10-minute period of local time (`day:<date>` keeps 144 counts, −1 for a
//!   period the app did not observe), per source (device and alarm type) and per severity.
//! * **Clock**: the minute schedule (and alarm times). Periods between two ticks more than
//!   `max_gap_min` apart are not observed: they count neither as quiet nor as busy.
//! * **Rates per operator** (the counts divided by `operators`) per 10 minutes, hour and day
//!   over the closed observed periods of the last `analysis_days` days, against ISA-18.2's
//!   "very likely to be acceptable" (~1, ~6, ~150) and "maximum manageable" (~2, ~12, ~300)
//!   levels; the percentage of 10-minute periods with more than `flood_above` alarms, the
//!   percentage of hours with more than 30, the largest 10-minute count.
//! * **Floods**: a flood starts with a 10-minute period holding more than `flood_above`
//!   alarms (detected live, when the count passes it) and ends at the start of the first
//!   period with fewer than `flood_end_below`; kept with start, end, alarms and peak.
//! * **Chattering**: a source annunciated `chatter_count` times within `chatter_window_s`.
//! * **Stale**: an alarm still active more than `stale_hours` after it was raised.
//! * **Bad actors**: the 10 most frequent sources and their share of all annunciations.
//! * Optional alarms of its own (`alarm_flood`, `chattering_alarm`, `stale_alarm`,
//!   warnings), the summary `kpi` for the panel and the HTTP path `report`.

use ironloom::{obj, Error, Event, Json, Result, Severity};
use std::collections::BTreeMap;

const P10: i64 = 600_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
const PER_DAY: i64 = 144;
const MAX_ACTIVE: usize = 500;
const MAX_SOURCES_PER_DAY: usize = 200;
const FLOODS_KEPT: usize = 50;
const CHATTER_QUIET: i64 = HOUR;
const FLOOD: &str = "alarm_flood";
const CHATTER: &str = "chattering_alarm";
const STALE: &str = "stale_alarm";

struct Cfg {
    operators: f64,
    offset: i64,
    days: i64,
    flood_above: f64,
    flood_end_below: f64,
    chatter_count: usize,
    chatter_window: i64,
    stale: i64,
    max_gap: i64,
    raise: bool,
    targets: [(f64, f64); 3],
}

impl Cfg {
    fn read() -> Result<Cfg> {
        let c = ironloom::config()?;
        let n = |k: &str, d: f64| c.number(k).filter(|x| x.is_finite()).unwrap_or(d);
        let above = n("flood_above", 10.0).max(1.0);
        let mut below = n("flood_end_below", 5.0).max(1.0);
        if below > above + 1.0 {
            ironloom::warn(&format!("flood_end_below {} is above flood_above + 1: {} used", below, above + 1.0));
            below = above + 1.0;
        }
        Ok(Cfg {
            operators: n("operators", 1.0).max(1.0),
            offset: (n("utc_offset_h", 8.0) * HOUR as f64).round() as i64,
            days: n("analysis_days", 30.0).clamp(1.0, 62.0) as i64,
            flood_above: above,
            flood_end_below: below,
            chatter_count: n("chatter_count", 3.0).clamp(2.0, 100.0) as usize,
            chatter_window: (n("chatter_window_s", 60.0).max(1.0) * 1000.0) as i64,
            stale: (n("stale_hours", 24.0).max(0.1) * HOUR as f64) as i64,
            max_gap: (n("max_gap_min", 60.0).max(1.0) * MIN as f64) as i64,
            raise: c["raise_alarms"].as_bool().unwrap_or(true),
            targets: [
                (n("acceptable_per_10min", 1.0), n("manageable_per_10min", 2.0)),
                (n("acceptable_per_hour", 6.0), n("manageable_per_hour", 12.0)),
                (n("acceptable_per_day", 150.0), n("manageable_per_day", 300.0)),
            ],
        })
    }
    /// The 10-minute period (local time) holding `t`.
    fn pid(&self, t: i64) -> i64 {
        (t + self.offset).div_euclid(P10)
    }
    fn pid_start(&self, pid: i64) -> i64 {
        pid * P10 - self.offset
    }
}

/// Proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{:04}-{:02}-{:02}", y, m, d)
}

fn day_key(day: i64) -> String {
    format!("day:{}", civil(day))
}

fn src_key(device: &str, atype: &str) -> String {
    format!("{}|{}", device, atype)
}

fn split_src(s: &str) -> (String, String) {
    match s.rfind('|') {
        Some(i) => (s[..i].to_string(), s[i + 1..].to_string()),
        None => (s.to_string(), String::new()),
    }
}

fn add(j: &mut Json, key: &str, x: f64) {
    let v = j.number(key).unwrap_or(0.0) + x;
    j.set(key, v);
}

/// Adds `x` to `key` in a list of `[key, n]` pairs (large maps are kept as lists: reading a
/// JSON object checks every key against the ones before it). Returns false when the key is
/// new and the list already holds `cap` pairs.
fn pair_add(list: &mut Json, key: &str, x: f64, cap: usize) -> bool {
    if !list.is_array() {
        *list = Json::Array(Vec::new());
    }
    if let Json::Array(items) = list {
        for it in items.iter_mut() {
            if it.at(0).and_then(Json::as_str) == Some(key) {
                let n = it.at(1).and_then(Json::as_f64).unwrap_or(0.0) + x;
                *it = Json::Array(vec![Json::from(key), Json::from(n)]);
                return true;
            }
        }
        if items.len() >= cap {
            return false;
        }
        items.push(Json::Array(vec![Json::from(key), Json::from(x)]));
    }
    true
}

/// The tracked active alarms: a list of {key, device, type, severity, since, stale}.
fn active_list() -> Result<Vec<Json>> {
    Ok(ironloom::kv_get("active")?.as_array().cloned().unwrap_or_default())
}

/// The day records touched by one event, written back at its end.
struct Days {
    loaded: Vec<(i64, Json, bool)>,
}

fn new_day(day: i64) -> Json {
    obj! {
        "date" => civil(day),
        "p" => Json::Array(vec![Json::from(-1.0); PER_DAY as usize]),
        "n" => 0,
        "sev" => Json::object(),
        "src" => Json::Array(Vec::new()),
        "chatter" => Json::Array(Vec::new()),
        "stale_max" => 0,
        "flood_p" => 0,
    }
}

impl Days {
    fn slot(&mut self, day: i64) -> Result<usize> {
        if let Some(i) = self.loaded.iter().position(|(d, _, _)| *d == day) {
            return Ok(i);
        }
        let mut rec = ironloom::kv_get(&day_key(day))?;
        if !rec.is_object() {
            rec = new_day(day);
        }
        self.loaded.push((day, rec, false));
        Ok(self.loaded.len() - 1)
    }
    /// A day's record to read (a new, empty one when there is none).
    fn read(&mut self, day: i64) -> Result<&Json> {
        let i = self.slot(day)?;
        Ok(&self.loaded[i].1)
    }
    /// A day's record to change (written back by `save`).
    fn get(&mut self, day: i64) -> Result<&mut Json> {
        let i = self.slot(day)?;
        self.loaded[i].2 = true;
        Ok(&mut self.loaded[i].1)
    }
    /// The count of a 10-minute period; −1 when it was not observed.
    fn count(&mut self, pid: i64) -> Result<f64> {
        let d = self.read(pid.div_euclid(PER_DAY))?;
        Ok(d["p"].at(pid.rem_euclid(PER_DAY) as usize).and_then(Json::as_f64).unwrap_or(-1.0))
    }
    fn set_count(&mut self, pid: i64, c: f64) -> Result<()> {
        let d = self.get(pid.div_euclid(PER_DAY))?;
        let mut p = d["p"].as_array().cloned().unwrap_or_else(|| vec![Json::from(-1.0); PER_DAY as usize]);
        let i = pid.rem_euclid(PER_DAY) as usize;
        if i < p.len() {
            p[i] = Json::from(c);
        }
        d.set("p", Json::Array(p));
        Ok(())
    }
    /// Marks a period observed (a count of 0 where it was −1).
    fn observe(&mut self, pid: i64) -> Result<()> {
        if self.count(pid)? < 0.0 {
            self.set_count(pid, 0.0)?;
        }
        Ok(())
    }
    /// Writes the changed records, keeps the index `days` and drops days older than the window.
    fn save(&mut self, cfg: &Cfg, today: i64) -> Result<()> {
        let first = today - cfg.days + 1;
        let mut index: Vec<i64> = ironloom::kv_get("days")?
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_i64).collect())
            .unwrap_or_default();
        let before = index.clone();
        for (day, rec, dirty) in &self.loaded {
            if *dirty && *day >= first && *day <= today + 1 {
                ironloom::kv_set(&day_key(*day), rec)?;
                if !index.contains(day) {
                    index.push(*day);
                }
            }
        }
        index.sort_unstable();
        let mut kept = Vec::new();
        for d in index {
            if d < first {
                ironloom::kv_delete(&day_key(d))?;
            } else {
                kept.push(d);
            }
        }
        if kept != before {
            ironloom::kv_set("days", &Json::Array(kept.iter().map(|d| Json::from(*d as f64)).collect()))?;
        }
        Ok(())
    }
}

fn on_event(event: &Event) -> Result<()> {
    let cfg = Cfg::read()?;
    let mut st = ironloom::kv_get("st")?;
    if !st.is_object() {
        st = Json::object();
    }
    let mut days = Days { loaded: Vec::new() };
    let mut closed = false;
    match event.kind() {
        "schedule" => {
            match event.at() {
                Some(at) if at > 0 => closed |= advance(&cfg, &mut st, &mut days, at)?,
                _ => ironloom::warn("schedule event without a time: the clock stays where it is"),
            }
            periodic(&cfg, &mut st, &mut days)?;
        }
        "alarm" => closed |= on_alarm(&cfg, &mut st, &mut days, event)?,
        "http" => return on_http(&cfg, &mut st, &mut days, event),
        _ => {}
    }
    finish(&cfg, &mut st, &mut days, closed)
}

fn finish(cfg: &Cfg, st: &mut Json, days: &mut Days, closed: bool) -> Result<()> {
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    if clock > 0 {
        days.save(cfg, (clock + cfg.offset).div_euclid(DAY))?;
    }
    ironloom::kv_set("st", st)?;
    if closed {
        let k = kpi(cfg, st, days)?;
        ironloom::kv_set("kpi", &k)?;
    }
    Ok(())
}

/// Moves the clock to `t`: closes the 10-minute periods passed (floods), marks observed ones.
/// Returns whether a period closed.
fn advance(cfg: &Cfg, st: &mut Json, days: &mut Days, t: i64) -> Result<bool> {
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    let new_pid = cfg.pid(t);
    if clock <= 0 {
        st.set("clock", t as f64);
        st.set("pid", new_pid as f64);
        days.observe(new_pid)?;
        ironloom::info(&format!("observing alarms from {}", civil((t + cfg.offset).div_euclid(DAY))));
        return Ok(false);
    }
    if t <= clock {
        return Ok(false);
    }
    let mut pid = st.number("pid").unwrap_or(cfg.pid(clock) as f64) as i64;
    let gap = t - clock > cfg.max_gap;
    if gap {
        ironloom::warn(&format!(
            "no schedule tick or alarm for {:.0} min (more than max_gap_min): the periods in between are not counted",
            (t - clock) as f64 / MIN as f64
        ));
    }
    let mut closed = false;
    // At most the analysis window is walked through; older periods are gone anyway.
    let horizon = new_pid - cfg.days * PER_DAY;
    while pid < new_pid {
        close(cfg, st, days, pid)?;
        closed = true;
        pid += 1;
        if gap {
            if let Some(f) = st.get("flood").filter(|f| f.is_object()).cloned() {
                end_flood(cfg, st, f, cfg.pid_start(pid), "data gap")?;
            }
            pid = new_pid;
        } else if pid < horizon {
            pid = horizon;
        }
        if pid <= new_pid {
            days.observe(pid)?;
        }
    }
    st.set("clock", t as f64);
    st.set("pid", new_pid as f64);
    if closed {
        // A new period: the per-device counts (for the flood's device) start again.
        st.set("cur", Json::object());
    }
    Ok(closed)
}

/// Closes one 10-minute period: starts, continues or ends a flood.
fn close(cfg: &Cfg, st: &mut Json, days: &mut Days, pid: i64) -> Result<()> {
    let c = days.count(pid)?;
    if c < 0.0 {
        return Ok(());
    }
    let per_op = c / cfg.operators;
    let flood = st.get("flood").filter(|f| f.is_object()).cloned();
    match flood {
        Some(f) if per_op < cfg.flood_end_below && f.number("periods").unwrap_or(0.0) > 0.0 => {
            end_flood(cfg, st, f, cfg.pid_start(pid), "rate below the end level")?;
        }
        Some(mut f) => {
            add(&mut f, "count", c);
            add(&mut f, "periods", 1.0);
            if c > f.number("peak").unwrap_or(0.0) {
                f.set("peak", c);
            }
            st.set("flood", f);
            add(days.get(pid.div_euclid(PER_DAY))?, "flood_p", 1.0);
        }
        None if per_op > cfg.flood_above => {
            // Counted late (alarms that arrived after their period had begun to close).
            let device = busiest(st);
            start_flood(cfg, st, cfg.pid_start(pid), &device, c)?;
            let mut f = st["flood"].clone();
            f.set("count", c);
            f.set("periods", 1.0);
            f.set("peak", c);
            st.set("flood", f);
            add(days.get(pid.div_euclid(PER_DAY))?, "flood_p", 1.0);
        }
        None => {}
    }
    Ok(())
}

fn busiest(st: &Json) -> String {
    let mut best = (String::new(), -1.0);
    if let Some(o) = st["cur"].as_object() {
        for (d, n) in o {
            let n = n.as_f64().unwrap_or(0.0);
            if n > best.1 {
                best = (d.clone(), n);
            }
        }
    }
    best.0
}

fn start_flood(cfg: &Cfg, st: &mut Json, start: i64, device: &str, c: f64) -> Result<()> {
    let f = obj! {
        "start" => start as f64,
        "count" => 0,
        "periods" => 0,
        "peak" => 0,
        "device" => device,
    };
    st.set("flood", f);
    ironloom::warn(&format!("alarm flood: {} alarms in the 10 minutes from {} (more than {} per operator)", c, start, cfg.flood_above));
    if cfg.raise && !device.is_empty() {
        let details = obj! {
            "start" => start as f64,
            "alarms_in_10min" => c,
            "flood_above" => cfg.flood_above,
            "operators" => cfg.operators,
        };
        ironloom::alarm_raise(device, FLOOD, Severity::Warning, details)?;
    }
    Ok(())
}

fn end_flood(cfg: &Cfg, st: &mut Json, f: Json, end: i64, why: &str) -> Result<()> {
    let start = f.number("start").unwrap_or(end as f64);
    let rec = obj! {
        "start" => start,
        "end" => end as f64,
        "minutes" => (end as f64 - start) / MIN as f64,
        "count" => f.number("count").unwrap_or(0.0),
        "peak" => f.number("peak").unwrap_or(0.0),
        "device" => f["device"].clone(),
    };
    ironloom::info(&format!(
        "alarm flood ended ({}): {} alarms in {} min, peak {} in 10 min",
        why,
        rec.number("count").unwrap_or(0.0),
        rec.number("minutes").unwrap_or(0.0),
        rec.number("peak").unwrap_or(0.0)
    ));
    let mut floods = ironloom::kv_get("floods")?.as_array().cloned().unwrap_or_default();
    floods.insert(0, rec);
    floods.truncate(FLOODS_KEPT);
    ironloom::kv_set("floods", &Json::Array(floods))?;
    st.set("flood", Json::Null);
    if let Some(d) = f.text("device").filter(|d| !d.is_empty()) {
        if cfg.raise {
            ironloom::alarm_clear(d, FLOOD)?;
        }
    }
    Ok(())
}

fn on_alarm(cfg: &Cfg, st: &mut Json, days: &mut Days, event: &Event) -> Result<bool> {
    let j = &event.json;
    let device = match event.device() {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => {
            ironloom::warn("alarm event without a device: ignored");
            return Ok(false);
        }
    };
    let alarm = &j["alarm"];
    let atype = match alarm.text("type") {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            ironloom::warn(&format!("{}: alarm event without a type: ignored", device));
            return Ok(false);
        }
    };
    let change = j.text("change").unwrap_or("");
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    let time_of = |k: &str| alarm.get(k).and_then(Json::as_f64).filter(|t| t.is_finite() && *t > 0.0).map(|t| t as i64);
    let start = time_of("start_ts");
    let last = time_of("last_ts");
    // Device clocks can be wrong: a time far ahead of the app's clock is not trusted.
    let trusted = |t: i64| clock <= 0 || t <= clock + cfg.max_gap;
    let mut closed = false;
    let newest = [start, last].iter().flatten().cloned().filter(|t| trusted(*t)).max();
    if let Some(t) = newest {
        closed |= advance(cfg, st, days, t)?;
    }
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    let key = src_key(&device, &atype);
    let severity = alarm.text("severity").unwrap_or("indeterminate").to_string();
    match change {
        "raised" => {
            let t = match start {
                Some(t) if trusted(t) => t,
                Some(t) => {
                    ironloom::warn(&format!("{}: {} starts at {}, far ahead of the clock {}: counted now", device, atype, t, clock));
                    clock
                }
                None => {
                    if clock <= 0 {
                        ironloom::warn(&format!("{}: {} without a start time and no clock yet: not counted", device, atype));
                        return Ok(closed);
                    }
                    ironloom::warn(&format!("{}: {} without a start time: counted at the clock", device, atype));
                    clock
                }
            };
            if clock <= 0 {
                closed |= advance(cfg, st, days, t)?;
            }
            if count_annunciation(cfg, st, days, &device, &atype, &severity, t)? {
                track_active(st, &key, &device, &atype, &severity, t)?;
            }
        }
        "updated" | "acknowledged" => {
            // An alarm raised before the app was installed becomes known (for stale alarms).
            if alarm["active"].as_bool() != Some(false) {
                if let Some(s) = start {
                    track_active(st, &key, &device, &atype, &severity, s)?;
                }
            }
        }
        "cleared" => {
            let mut active = active_list()?;
            if let Some(i) = active.iter().position(|a| a.text("key") == Some(key.as_str())) {
                let a = active.remove(i);
                let since = a.number("since").unwrap_or(clock as f64);
                ironloom::debug(&format!("{}: {} cleared after {:.1} h", device, atype, (clock as f64 - since) / HOUR as f64));
                ironloom::kv_set("active", &Json::Array(active.clone()))?;
                if a["stale"].as_bool() == Some(true) && cfg.raise {
                    let still = active
                        .iter()
                        .any(|v| v.text("device") == Some(device.as_str()) && v["stale"].as_bool() == Some(true));
                    if !still {
                        ironloom::alarm_clear(&device, STALE)?;
                    }
                }
            }
        }
        other => {
            ironloom::warn(&format!("{}: unknown alarm change {:?}: ignored", device, other));
        }
    }
    periodic(cfg, st, days)?;
    Ok(closed)
}

fn track_active(_st: &mut Json, key: &str, device: &str, atype: &str, severity: &str, since: i64) -> Result<()> {
    let mut active = active_list()?;
    if active.iter().any(|a| a.text("key") == Some(key)) {
        return Ok(());
    }
    if active.len() >= MAX_ACTIVE {
        // The list is kept oldest first.
        let dropped = active.remove(0);
        ironloom::warn(&format!("more than {} active alarms tracked: {} is dropped", MAX_ACTIVE, dropped.text("key").unwrap_or("")));
    }
    let at = active.iter().position(|a| a.number("since").unwrap_or(0.0) > since as f64).unwrap_or(active.len());
    active.insert(at, obj! {"key" => key, "device" => device, "type" => atype, "severity" => severity, "since" => since as f64});
    ironloom::kv_set("active", &Json::Array(active))
}

/// Counts one annunciation; false when it is too old to count (not tracked either).
fn count_annunciation(cfg: &Cfg, st: &mut Json, days: &mut Days, device: &str, atype: &str, severity: &str, t: i64) -> Result<bool> {
    let pid = cfg.pid(t);
    let open = st.number("pid").unwrap_or(pid as f64) as i64;
    let clock = st.number("clock").unwrap_or(t as f64) as i64;
    let today = (clock + cfg.offset).div_euclid(DAY);
    let day = pid.div_euclid(PER_DAY);
    if day <= today - cfg.days {
        ironloom::warn(&format!("{}: {} at {} is older than the analysis window: not counted", device, atype, t));
        return Ok(false);
    }
    let before = days.count(pid)?;
    let c = before.max(0.0) + 1.0;
    if before >= 0.0 {
        days.set_count(pid, c)?;
    } else {
        ironloom::warn(&format!(
            "{}: {} at {} falls in a period the app did not observe: counted in the day, not in the rates",
            device, atype, t
        ));
    }
    {
        let d = days.get(day)?;
        add(d, "n", 1.0);
        let mut sev = d["sev"].clone();
        add(&mut sev, severity, 1.0);
        d.set("sev", sev);
        let key = src_key(device, atype);
        let mut src = d["src"].clone();
        if !pair_add(&mut src, &key, 1.0, MAX_SOURCES_PER_DAY) {
            pair_add(&mut src, "(other)|(other)", 1.0, MAX_SOURCES_PER_DAY + 1);
        }
        d.set("src", src);
    }
    if before < 0.0 {
        // Already warned.
    } else if pid < open {
        ironloom::warn(&format!(
            "{}: {} at {} arrived after its 10-minute period: counted there, floods are not re-evaluated",
            device, atype, t
        ));
    } else {
        let mut cur = st["cur"].clone();
        if !cur.is_object() {
            cur = Json::object();
        }
        add(&mut cur, device, 1.0);
        st.set("cur", cur);
        if st["flood"].is_null() && c / cfg.operators > cfg.flood_above {
            let dev = busiest(st);
            start_flood(cfg, st, cfg.pid_start(pid), &dev, c)?;
        }
    }
    chatter(cfg, st, days, device, atype, t)?;
    Ok(true)
}

/// A source annunciated `chatter_count` times within the window is chattering.
fn chatter(cfg: &Cfg, st: &mut Json, days: &mut Days, device: &str, atype: &str, t: i64) -> Result<()> {
    let key = src_key(device, atype);
    let mut recent = ironloom::kv_get("recent")?;
    if !recent.is_object() {
        recent = Json::object();
    }
    let mut times: Vec<i64> = recent[key.as_str()]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_i64).collect())
        .unwrap_or_default();
    times.push(t);
    times.sort_unstable();
    let newest = *times.last().unwrap_or(&t);
    times.retain(|x| *x > newest - cfg.chatter_window);
    let n = times.len();
    if times.len() > cfg.chatter_count {
        let cut = times.len() - cfg.chatter_count;
        times.drain(..cut);
    }
    recent.set(&key, Json::Array(times.iter().map(|x| Json::from(*x as f64)).collect()));
    // Forget sources quiet for longer than the window.
    if let Json::Object(o) = &mut recent {
        o.retain(|(_, v)| v.as_array().and_then(|a| a.last()).and_then(Json::as_f64).map_or(false, |x| x as i64 > newest - cfg.chatter_window));
    }
    ironloom::kv_set("recent", &recent)?;
    let mut ch = st["chattering"].clone();
    if !ch.is_object() {
        ch = Json::object();
    }
    if n >= cfg.chatter_count {
        if ch.get(&key).is_none() {
            ch.set(&key, obj! {"device" => device, "type" => atype, "since" => t as f64, "last" => t as f64});
            let d = days.get(cfg.pid(t).div_euclid(PER_DAY))?;
            let mut c = d["chatter"].clone();
            pair_add(&mut c, &key, 1.0, MAX_SOURCES_PER_DAY);
            d.set("chatter", c);
            ironloom::warn(&format!(
                "{}: {} is chattering ({} annunciations within {} s)",
                device,
                atype,
                n,
                cfg.chatter_window / 1000
            ));
            if cfg.raise {
                let details = obj! {
                    "alarm_type" => atype,
                    "annunciations" => n as f64,
                    "window_s" => (cfg.chatter_window / 1000) as f64,
                };
                ironloom::alarm_raise(device, CHATTER, Severity::Warning, details)?;
            }
        }
    }
    if let Some(e) = ch.get(&key).cloned() {
        let mut e = e;
        if t as f64 > e.number("last").unwrap_or(0.0) {
            e.set("last", t as f64);
        }
        ch.set(&key, e);
    }
    st.set("chattering", ch);
    Ok(())
}

/// With every event: stale alarms, the end of chattering, the day's stale count.
fn periodic(cfg: &Cfg, st: &mut Json, days: &mut Days) -> Result<()> {
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    if clock <= 0 {
        return Ok(());
    }
    // Stale alarms.
    let mut active = active_list()?;
    let mut changed = false;
    let mut stale_n = 0.0;
    {
        for a in active.iter_mut() {
            let since = a.number("since").unwrap_or(clock as f64) as i64;
            if clock - since > cfg.stale {
                stale_n += 1.0;
                if a["stale"].as_bool() != Some(true) {
                    a.set("stale", true);
                    changed = true;
                    let device = a.text("device").unwrap_or("").to_string();
                    let atype = a.text("type").unwrap_or("").to_string();
                    let hours = (clock - since) as f64 / HOUR as f64;
                    ironloom::warn(&format!("{}: {} has been active for {:.1} h: stale", device, atype, hours));
                    if cfg.raise && !device.is_empty() {
                        let details = obj! {"alarm_type" => atype.as_str(), "since" => since as f64, "stale_hours" => cfg.stale as f64 / HOUR as f64};
                        ironloom::alarm_raise(&device, STALE, Severity::Warning, details)?;
                    }
                }
            }
        }
    }
    if changed {
        ironloom::kv_set("active", &Json::Array(active))?;
    }
    let today = (clock + cfg.offset).div_euclid(DAY);
    if stale_n > days.read(today)?.number("stale_max").unwrap_or(0.0) {
        days.get(today)?.set("stale_max", stale_n);
    }
    // Chattering ends after an hour without an annunciation of the source.
    let mut ch = st["chattering"].clone();
    if let Json::Object(o) = &mut ch {
        let mut ended: Vec<String> = Vec::new();
        o.retain(|(_, e)| {
            let quiet = clock - e.number("last").unwrap_or(0.0) as i64 > CHATTER_QUIET;
            if quiet {
                ended.push(e.text("device").unwrap_or("").to_string());
            }
            !quiet
        });
        if !ended.is_empty() {
            for dev in ended {
                let still = o.iter().any(|(_, e)| e.text("device") == Some(dev.as_str()));
                if !still && cfg.raise && !dev.is_empty() {
                    ironloom::alarm_clear(&dev, CHATTER)?;
                    ironloom::info(&format!("{}: no chattering for an hour", dev));
                }
            }
            st.set("chattering", ch);
        }
    }
    Ok(())
}

fn status(v: f64, (ok, max): (f64, f64)) -> &'static str {
    if v <= ok {
        "acceptable"
    } else if v <= max {
        "manageable"
    } else {
        "over"
    }
}

fn round(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

/// The KPIs over the analysis window, for the panel and `report`.
fn kpi(cfg: &Cfg, st: &Json, days: &mut Days) -> Result<Json> {
    let clock = st.number("clock").unwrap_or(0.0) as i64;
    let open = st.number("pid").unwrap_or(0.0) as i64;
    let today = (clock + cfg.offset).div_euclid(DAY);
    let mut periods = 0.0;
    let mut closed_alarms = 0.0;
    let mut over = 0.0;
    let mut max10 = 0.0;
    let mut max10_at = 0i64;
    let mut hours = 0.0;
    let mut hours_over = 0.0;
    let mut flood_p = 0.0;
    let mut all = 0.0;
    let mut sev = Json::object();
    let mut src_m: BTreeMap<&str, f64> = BTreeMap::new();
    let mut chat_m: BTreeMap<&str, f64> = BTreeMap::new();
    let mut stale_max = 0.0;
    let mut daily = Vec::new();
    let window: Vec<i64> = ((today - cfg.days + 1)..=today).collect();
    for day in &window {
        days.slot(*day)?;
    }
    let loaded = &days.loaded;
    for day in window {
        let d = match loaded.iter().find(|(x, _, _)| *x == day) {
            Some(e) => &e.1,
            None => continue,
        };
        let p: Vec<f64> = d["p"].as_array().map(|a| a.iter().map(|v| v.as_f64().unwrap_or(-1.0)).collect()).unwrap_or_default();
        let n = d.number("n").unwrap_or(0.0);
        if n == 0.0 && p.iter().all(|c| *c < 0.0) {
            continue;
        }
        let mut d_periods = 0.0;
        let mut d_over = 0.0;
        let mut d_max = 0.0;
        for (i, c) in p.iter().enumerate() {
            let pid = day * PER_DAY + i as i64;
            if *c > d_max {
                d_max = *c;
            }
            if *c > max10 {
                max10 = *c;
                max10_at = cfg.pid_start(pid);
            }
            if *c < 0.0 || pid >= open {
                continue;
            }
            d_periods += 1.0;
            closed_alarms += c;
            if c / cfg.operators > cfg.flood_above {
                d_over += 1.0;
            }
        }
        // Hours: six periods each, counted when at least one is observed and closed.
        for h in 0..24 {
            let mut seen = false;
            let mut sum = 0.0;
            for i in h * 6..h * 6 + 6 {
                let pid = day * PER_DAY + i as i64;
                if let Some(c) = p.get(i).cloned() {
                    if c >= 0.0 && pid < open {
                        seen = true;
                        sum += c;
                    }
                }
            }
            if seen {
                hours += 1.0;
                if sum / cfg.operators > 30.0 {
                    hours_over += 1.0;
                }
            }
        }
        periods += d_periods;
        over += d_over;
        all += n;
        flood_p += d.number("flood_p").unwrap_or(0.0);
        if d.number("stale_max").unwrap_or(0.0) > stale_max {
            stale_max = d.number("stale_max").unwrap_or(0.0);
        }
        if let Some(o) = d["sev"].as_object() {
            for (k, v) in o {
                add(&mut sev, k, v.as_f64().unwrap_or(0.0));
            }
        }
        for (map, field) in [(&mut src_m, "src"), (&mut chat_m, "chatter")] {
            for it in d[field].as_array().map_or(&[][..], |a| &a[..]) {
                if let (Some(k), Some(v)) = (it.at(0).and_then(Json::as_str), it.at(1).and_then(Json::as_f64)) {
                    *map.entry(k).or_insert(0.0) += v;
                }
            }
        }
        let d_chat = d["chatter"].as_array().map_or(0, |a| a.len());
        daily.push(obj! {
            "date" => d["date"].clone(),
            "alarms" => n,
            "observed_h" => round(d_periods / 6.0, 3),
            "max_10min" => d_max,
            "pct_10min_over" => if d_periods > 0.0 { round(d_over / d_periods * 100.0, 3) } else { 0.0 },
            "flood_min" => d.number("flood_p").unwrap_or(0.0) * 10.0,
            "stale_max" => d.number("stale_max").unwrap_or(0.0),
            "chattering" => d_chat as f64,
        });
    }
    let mut src: Vec<(&str, f64)> = src_m.into_iter().collect();
    let mut chat: Vec<(&str, f64)> = chat_m.into_iter().collect();
    src.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    chat.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    let pct = |x: f64, of: f64| if of > 0.0 { round(x / of * 100.0, 3) } else { 0.0 };
    let top: Vec<Json> = src
        .iter()
        .take(10)
        .map(|(k, n)| {
            let (d, t) = split_src(k);
            obj! {"device" => d, "type" => t, "count" => *n, "share_pct" => pct(*n, all)}
        })
        .collect();
    let top_sum: f64 = src.iter().take(10).map(|x| x.1).sum();
    let per10 = if periods > 0.0 { closed_alarms / cfg.operators / periods } else { 0.0 };
    let rates = [per10, per10 * 6.0, per10 * 144.0];
    let names = ["10min", "hour", "day"];
    let mut rate_status = Json::object();
    for i in 0..3 {
        rate_status.set(names[i], status(round(rates[i], 6), cfg.targets[i]));
    }
    let stale_now: Vec<Json> = active_list()?
        .iter()
        .filter(|a| clock - a.number("since").unwrap_or(clock as f64) as i64 > cfg.stale)
        .take(100)
        .map(|a| {
            let since = a.number("since").unwrap_or(0.0);
            obj! {"device" => a["device"].clone(), "type" => a["type"].clone(), "since" => since, "hours" => round((clock as f64 - since) / HOUR as f64, 3)}
        })
        .collect();
    let floods = ironloom::kv_get("floods")?;
    let first = today - cfg.days + 1;
    let in_window = floods
        .as_array()
        .map(|a| a.iter().filter(|f| f.number("start").map_or(false, |s| (s as i64 + cfg.offset).div_euclid(DAY) >= first)).count())
        .unwrap_or(0);
    let high = sev.number("critical").unwrap_or(0.0);
    let medium = sev.number("major").unwrap_or(0.0);
    Ok(obj! {
        "updated" => clock as f64,
        "analysis_days" => cfg.days as f64,
        "days_with_data" => daily.len() as f64,
        "operators" => cfg.operators,
        "observed_h" => round(periods / 6.0, 3),
        "alarms" => all,
        "alarms_in_closed_periods" => closed_alarms,
        "per_10min" => round(rates[0], 6),
        "per_hour" => round(rates[1], 6),
        "per_day" => round(rates[2], 6),
        "rate_status" => rate_status,
        "targets" => obj! {
            "per_10min" => vec![cfg.targets[0].0, cfg.targets[0].1],
            "per_hour" => vec![cfg.targets[1].0, cfg.targets[1].1],
            "per_day" => vec![cfg.targets[2].0, cfg.targets[2].1],
        },
        "max_10min" => max10,
        "max_10min_at" => if max10 > 0.0 { Json::from(max10_at as f64) } else { Json::Null },
        "periods" => periods,
        "pct_10min_over" => pct(over, periods),
        "pct_hours_over_30" => pct(hours_over, hours),
        "pct_time_in_flood" => pct(flood_p, periods),
        "floods" => in_window as f64,
        "flood_active" => st["flood"].clone(),
        "top10" => top,
        "top10_share_pct" => pct(top_sum, all),
        "sources" => src.len() as f64,
        "chattering" => chat.iter().take(50).map(|(k, n)| { let (d, t) = split_src(k); obj! {"device" => d, "type" => t, "episodes" => *n} }).collect::<Vec<Json>>(),
        "stale_now" => stale_now,
        "stale_max_day" => stale_max,
        "priority_pct" => obj! {
            "high" => pct(high, all),
            "medium" => pct(medium, all),
            "low" => pct(all - high - medium, all),
        },
        "severity" => sev,
        "daily" => daily,
    })
}

fn on_http(cfg: &Cfg, st: &mut Json, days: &mut Days, event: &Event) -> Result<()> {
    match event.path().unwrap_or("") {
        "report" => {
            if st.number("clock").unwrap_or(0.0) <= 0.0 {
                let msg = "report: no alarm or schedule event seen yet";
                ironloom::warn(msg);
                return ironloom::reply(409, obj! {"error" => msg});
            }
            let k = kpi(cfg, st, days)?;
            ironloom::kv_set("kpi", &k)?;
            ironloom::reply(200, k)
        }
        other => {
            let msg = format!("unknown path {}", other);
            ironloom::warn(&msg);
            ironloom::reply(404, obj! {"error" => msg})
        }
    }
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("alarm-kpi: {}", e.message)))
}

ironloom::app!(handle);
