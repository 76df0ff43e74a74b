// HACCP monitoring of a cold room as a critical control point (CCP), after the HACCP
// principles of Codex CXC 1-1969 (General Principles of Food Hygiene, rev. 2020):
//
//   Principle 3  critical limit      air temperature ≤ critical_limit_c (default 5 °C)
//   Principle 4  monitoring          every reading; an excursion above the limit is a
//                                    deviation unless it is a door-opening or defrost
//                                    excursion shorter than the plan's tolerance and below
//                                    max_excursion_c; alarm ccp_deviation
//   Principle 5  corrective actions  posted over HTTP (who, what, when, product disposition);
//                                    alarm ccp_corrective_action_overdue when a deviation
//                                    has none after corrective_action_due_min
//   Principle 6  verification        sign-off of a closed day's record over HTTP, refused
//                                    while a deviation of that day lacks a corrective action
//   Principle 7  records             a daily monitoring record per room: readings, min,
//                                    max, time-weighted mean, time above the limit,
//                                    excursions and deviations, door openings and door-open
//                                    time, defrost cycles and time, compressor duty, setpoint
//
// State per room (crash-only runtime): "r:<device>" the live record with the day in
// progress; "d:<device>" the closed days; "dev:<device>" the deviations; "rooms".
import { Kind, Value, alarm, config, handle, kv, log, nowMs, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY_MS: f64 = 86400000;
const MIN_MS: f64 = 60000;
const A_DEV = "ccp_deviation";
const A_OVERDUE = "ccp_corrective_action_overdue";
const A_SETPOINT = "setpoint_above_limit";
/** Readings outside this range are sensor faults, not temperatures. */
const SENSOR_MIN: f64 = -60;
const SENSOR_MAX: f64 = 60;

class Settings {
  tempProperty: string = "temperature";
  setpointProperty: string = "setpoint";
  compProperty: string = "compressor_on";
  doorProperty: string = "door_open";
  defrostProperty: string = "defrost";
  limit: f64 = 5;
  ceiling: f64 = 8;
  doorTolMs: f64 = 15 * MIN_MS;
  defrostTolMs: f64 = 30 * MIN_MS;
  attributionMs: f64 = 10 * MIN_MS;
  dueMs: f64 = 60 * MIN_MS;
  maxGapMs: f64 = 30 * MIN_MS;
  offsetMs: f64 = 8 * 3600000;
  keepDays: i32 = 31;
  keepDeviations: i32 = 100;
  severity: string = "critical";
  overdueSeverity: string = "major";
  valid: bool = true;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.tempProperty = c.str("temperature_property", "temperature");
  s.setpointProperty = c.str("setpoint_property", "setpoint");
  s.compProperty = c.str("compressor_property", "compressor_on");
  s.doorProperty = c.str("door_property", "door_open");
  s.defrostProperty = c.str("defrost_property", "defrost");
  s.limit = c.num("critical_limit_c", 5);
  s.ceiling = c.num("max_excursion_c", 8);
  s.doorTolMs = c.num("door_tolerance_min", 15) * MIN_MS;
  s.defrostTolMs = c.num("defrost_tolerance_min", 30) * MIN_MS;
  s.attributionMs = c.num("attribution_min", 10) * MIN_MS;
  s.dueMs = c.num("corrective_action_due_min", 60) * MIN_MS;
  s.maxGapMs = c.num("max_gap_min", 30) * MIN_MS;
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.keepDays = <i32>c.num("keep_days", 31);
  s.keepDeviations = <i32>c.num("keep_deviations", 100);
  s.severity = c.str("severity", "critical");
  s.overdueSeverity = c.str("overdue_severity", "major");
  if (
    s.tempProperty.length == 0 || !isFinite(s.limit) || !(s.ceiling >= s.limit) || !(s.doorTolMs >= 0) || !(s.defrostTolMs >= 0) ||
    !(s.attributionMs >= 0) || !(s.dueMs > 0) || !(s.maxGapMs > 0) || !isFinite(s.offsetMs) || s.keepDays < 1 || s.keepDeviations < 1
  ) {
    log.error("configuration: temperature_property is required; max_excursion_c ≥ critical_limit_c; tolerances ≥ 0; corrective_action_due_min, max_gap_min > 0");
    s.valid = false;
  }
  return s;
}

// ---- small helpers ----

function fmt(x: f64, digits: i32 = 2): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

function add(o: Value, key: string, x: f64): void {
  o.setNum(key, o.num(key, 0) + x);
}

/** A switch reading: booleans, numbers (≠ 0), or text such as on/off, open/closed, true/false, 1/0. -1 when unusable. */
function switchOf(v: Value | null): i32 {
  if (v == null) return -1;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  if (v.isNum()) return isFinite(v.n) ? (v.n != 0 ? 1 : 0) : -1;
  if (v.isStr()) {
    const t = v.s.toLowerCase();
    if (t == "true" || t == "on" || t == "open" || t == "1" || t == "yes") return 1;
    if (t == "false" || t == "off" || t == "closed" || t == "0" || t == "no") return 0;
  }
  return -1;
}

function pad2(n: i64): string {
  return (n < 10 ? "0" : "") + n.toString();
}

/** YYYY-MM-DD of a day number (Howard Hinnant's civil_from_days). */
function dateOf(day: f64): string {
  const z = <i64>day + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  return y.toString() + "-" + pad2(m) + "-" + pad2(d);
}

function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY_MS);
}

function isDate(t: string): bool {
  if (t.length != 10 || t.charAt(4) != "-" || t.charAt(7) != "-") return false;
  for (let i = 0; i < 10; i++) {
    if (i == 4 || i == 7) continue;
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// ---- per room ----

function newDay(date: string): Value {
  return Value.obj()
    .setStr("date", date)
    .setNum("n", 0)
    .set("min", Value.null())
    .set("max", Value.null())
    .setNum("sum", 0)
    .setNum("ms", 0)
    .setNum("above_ms", 0)
    .setNum("excursions", 0)
    .setNum("tolerated", 0)
    .setNum("deviations", 0)
    .setNum("door_n", 0)
    .setNum("door_ms", 0)
    .setNum("defrost_n", 0)
    .setNum("defrost_ms", 0)
    .setNum("comp_ms", 0)
    .setNum("comp_known_ms", 0)
    .set("sp_min", Value.null())
    .set("sp_max", Value.null())
    .set("verification", Value.null());
}

/** Derived fields of a day record: mean, coverage, compressor duty (ratios of the sums). */
function finishDay(d: Value): void {
  const ms = d.num("ms");
  d.set("mean", ms > 0 ? Value.num(d.num("sum") / ms) : Value.null());
  d.setNum("coverage", ms / DAY_MS);
  d.setNum("above_min", d.num("above_ms") / MIN_MS);
  d.setNum("door_min", d.num("door_ms") / MIN_MS);
  d.setNum("defrost_min", d.num("defrost_ms") / MIN_MS);
  const ck = d.num("comp_known_ms");
  d.set("compressor_duty", ck > 0 ? Value.num(d.num("comp_ms") / ck) : Value.null());
}

function minMax(d: Value, lo: string, hi: string, x: f64): void {
  const a = d.num(lo), b = d.num(hi);
  if (isNaN(a) || x < a) d.setNum(lo, x);
  if (isNaN(b) || x > b) d.setNum(hi, x);
}

class Room {
  device: string;
  r: Value;
  days: Value | null = null;
  daysDirty: bool = false;
  devs: Value | null = null;
  devsDirty: bool = false;
  status: i32 = 0;
  constructor(device: string, r: Value) {
    this.device = device;
    this.r = r;
  }
  closedDays(): Value {
    let x = this.days;
    if (x == null) {
      x = kv.get("d:" + this.device);
      if (x == null || !x.isObj()) x = Value.obj();
      this.days = x;
    }
    return x;
  }
  deviations(): Value {
    let x = this.devs;
    if (x == null) {
      x = kv.get("dev:" + this.device);
      if (x == null || !x.isArr()) x = Value.arr();
      this.devs = x;
    }
    return x;
  }
  /** The record of a date: the day in progress or a closed one (null when not kept). */
  dayRecord(date: string): Value | null {
    const cur = this.r.get("day")!;
    if (cur.isObj() && cur.str("date") == date) return cur;
    const d = this.closedDays().get(date);
    if (d != null) this.daysDirty = true;
    return d;
  }
}

function loadRoom(device: string, create: bool): Room | null {
  let r = kv.get("r:" + device);
  if (r == null || !r.isObj()) {
    if (!create) return null;
    r = Value.obj()
      .setStr("device", device)
      .set("last_ts", Value.null())
      .set("acc_ts", Value.null())
      .set("temp", Value.null())
      .set("temp_ts", Value.null())
      .set("door", Value.null())
      .set("door_end", Value.null())
      .set("defrost", Value.null())
      .set("defrost_end", Value.null())
      .set("comp", Value.null())
      .set("setpoint", Value.null())
      .set("day", Value.null())
      .set("exc", Value.null())
      .setBool("dev_alarm", false)
      .setBool("overdue_alarm", false)
      .setBool("sp_alarm", false)
      .setNum("skipped", 0);
    let list = kv.get("rooms");
    if (list == null || !list.isArr()) list = Value.arr();
    list.push(Value.str(device));
    kv.set("rooms", list);
  }
  return new Room(device, r);
}

function saveRoom(x: Room, s: Settings): i32 {
  const day = x.r.get("day")!;
  if (day.isObj()) finishDay(day);
  let ok = kv.set("r:" + x.device, x.r);
  const days = x.days;
  if (days != null && x.daysDirty) {
    // Keep the newest keep_days (dates sort by time).
    if (days.length > s.keepDays) {
      const keys = days.keys.slice();
      keys.sort();
      const out = Value.obj();
      for (let i = keys.length - s.keepDays; i < keys.length; i++) out.set(keys[i], days.get(keys[i])!);
      x.days = out;
    }
    ok = kv.set("d:" + x.device, x.days!) && ok;
  }
  const devs = x.devs;
  if (devs != null && x.devsDirty) {
    while (devs.length > s.keepDeviations) devs.items.shift();
    ok = kv.set("dev:" + x.device, devs) && ok;
  }
  if (!ok) {
    log.error(x.device + ": state could not be saved");
    return 1;
  }
  return x.status;
}

/** Makes `date` the day in progress; the day before is closed into the record. */
function enterDay(x: Room, s: Settings, date: string): Value {
  const cur = x.r.get("day")!;
  if (cur.isObj() && cur.str("date") == date) return cur;
  if (cur.isObj()) {
    finishDay(cur);
    x.closedDays().set(cur.str("date"), cur);
    x.daysDirty = true;
    log.info(
      x.device + ": daily record " + cur.str("date") + " closed: min " + fmt(cur.num("min"), 1) + ", max " + fmt(cur.num("max"), 1) +
        ", mean " + fmt(cur.num("mean"), 2) + " °C, " + fmt(cur.num("above_min"), 0) + " min above " + fmt(s.limit, 1) + " °C, " +
        fmt(cur.num("deviations"), 0) + " deviation(s), " + fmt(cur.num("door_n"), 0) + " door opening(s), " + fmt(cur.num("defrost_n"), 0) + " defrost cycle(s)",
    );
  }
  const d = newDay(date);
  // The reading held over midnight belongs to the new day's range too.
  const t = x.r.num("temp");
  if (!isNaN(t)) minMax(d, "min", "max", t);
  const sp = x.r.num("setpoint");
  if (!isNaN(sp)) minMax(d, "sp_min", "sp_max", sp);
  x.r.set("day", d);
  return d;
}

/**
 * Accounts the time from the last accounted instant to `to`, with the values held since
 * the last reading (at most max_gap after it), split at local midnights.
 */
function advance(x: Room, s: Settings, to: f64): void {
  const r = x.r;
  const last = r.num("last_ts");
  let a = r.num("acc_ts");
  if (isNaN(last) || isNaN(a)) return;
  const end = Math.min(to, last + s.maxGapMs);
  const t = r.num("temp");
  const door = r.get("door")!;
  const defrost = r.get("defrost")!;
  const comp = r.get("comp")!;
  while (a < end) {
    const day = localDay(a, s);
    const b = Math.min(end, (day + 1) * DAY_MS - s.offsetMs);
    const ms = b - a;
    const d = enterDay(x, s, dateOf(day));
    if (!isNaN(t)) {
      add(d, "ms", ms);
      add(d, "sum", t * ms);
      if (t > s.limit) add(d, "above_ms", ms);
    }
    if (door.kind == Kind.Bool && door.b) add(d, "door_ms", ms);
    if (defrost.kind == Kind.Bool && defrost.b) add(d, "defrost_ms", ms);
    if (comp.kind == Kind.Bool) {
      add(d, "comp_known_ms", ms);
      if (comp.b) add(d, "comp_ms", ms);
    }
    a = b;
  }
  if (to > r.num("acc_ts")) r.setNum("acc_ts", to);
  enterDay(x, s, dateOf(localDay(to, s)));
}

// ---- excursions and deviations ----

function causeOf(exc: Value): string {
  if (exc.bool("defrost")) return "defrost";
  if (exc.bool("door")) return "door";
  if (exc.bool("comp_off")) return "compressor_off";
  return "unexplained";
}

function toleranceMs(exc: Value, s: Settings): f64 {
  if (exc.bool("defrost")) return s.defrostTolMs;
  if (exc.bool("door")) return s.doorTolMs;
  return 0;
}

/** An excursion becomes a deviation when it has no door/defrost cause, outlasts its tolerance or passes max_excursion_c. */
function checkDeclare(x: Room, s: Settings, now: f64): void {
  const exc = x.r.get("exc")!;
  if (!exc.isObj() || exc.bool("deviation")) return;
  const tol = toleranceMs(exc, s);
  const start = exc.num("start");
  if (!(tol <= 0 || exc.num("peak") > s.ceiling || now - start > tol)) return;
  exc.setBool("deviation", true);
  const cause = causeOf(exc);
  const dev = Value.obj()
    .setNum("start", start)
    .setNum("declared", now)
    .set("end", Value.null())
    .setNum("peak", exc.num("peak"))
    .setNum("peak_ts", exc.num("peak_ts"))
    .setStr("cause", cause)
    .setNum("limit", s.limit)
    .setNum("tolerance_min", tol / MIN_MS)
    .setBool("overdue", false)
    .set("actions", Value.arr());
  x.deviations().push(dev);
  x.devsDirty = true;
  awaiting(x.r).push(Value.nums([start, now, 0]));
  const d = x.dayRecord(dateOf(localDay(start, s)));
  if (d != null) add(d, "deviations", 1);
  const why = tol <= 0 ? "no door opening or defrost explains it" : exc.num("peak") > s.ceiling ? "above " + fmt(s.ceiling, 1) + " °C" : "longer than " + fmt(tol / MIN_MS, 0) + " min";
  const details = Value.obj()
    .setNum("start", start)
    .setNum("temperature", x.r.num("temp"))
    .setNum("peak", exc.num("peak"))
    .setNum("limit", s.limit)
    .setStr("cause", cause)
    .setNum("minutes", (now - start) / MIN_MS);
  if (alarm.raise(x.device, A_DEV, s.severity, details) == null) {
    log.warn(x.device + ": alarm not raised");
    x.status = 2;
  }
  x.r.setBool("dev_alarm", true);
  log.warn(x.device + ": CCP deviation since " + fmt(start, 0) + ": " + fmt(exc.num("peak"), 1) + " °C above the critical limit " + fmt(s.limit, 1) + " °C (" + cause + "; " + why + ")");
}

function endExcursion(x: Room, s: Settings, ts: f64): void {
  const exc = x.r.get("exc")!;
  const start = exc.num("start");
  const minutes = (ts - start) / MIN_MS;
  if (exc.bool("deviation")) {
    const list = x.deviations();
    for (let i = list.length - 1; i >= 0; i--) {
      const d = list.items[i];
      if (d.num("start") == start) {
        d.setNum("end", ts).setNum("minutes", minutes).setNum("peak", exc.num("peak")).setNum("peak_ts", exc.num("peak_ts"));
        x.devsDirty = true;
        break;
      }
    }
    alarm.clear(x.device, A_DEV);
    x.r.setBool("dev_alarm", false);
    log.info(x.device + ": back within the critical limit after a " + fmt(minutes, 1) + "-min deviation (peak " + fmt(exc.num("peak"), 1) + " °C)");
  } else {
    const d = x.dayRecord(dateOf(localDay(start, s)));
    if (d != null) add(d, "tolerated", 1);
    log.info(x.device + ": " + causeOf(exc) + " excursion of " + fmt(minutes, 1) + " min (peak " + fmt(exc.num("peak"), 1) + " °C) within tolerance");
  }
  x.r.set("exc", Value.null());
}

/** Deviations still without a corrective action, [start, detected, overdue 0/1], kept small in the room's record. */
function awaiting(r: Value): Value {
  let a = r.get("awaiting");
  if (a == null || !a.isArr()) {
    a = Value.arr();
    r.set("awaiting", a);
  }
  return a;
}

function markOverdue(x: Room, start: f64): void {
  const list = x.deviations();
  for (let i = list.length - 1; i >= 0; i--) {
    if (list.items[i].num("start") == start) {
      list.items[i].setBool("overdue", true);
      x.devsDirty = true;
      return;
    }
  }
}

/** Deviations without a corrective action after corrective_action_due_min: one alarm per room. */
function checkOverdue(x: Room, s: Settings, now: f64): void {
  const aw = awaiting(x.r);
  let newest: Value | null = null;
  let count = 0;
  for (let i = 0; i < aw.length; i++) {
    const e = aw.items[i].items;
    if (!(now - e[1].n >= s.dueMs)) continue;
    count++;
    newest = aw.items[i];
    if (e[2].n == 0) {
      e[2].n = 1;
      markOverdue(x, e[0].n);
    }
  }
  if (count > 0 && !x.r.bool("overdue_alarm") && newest != null) {
    const details = Value.obj()
      .setNum("deviation_start", newest.items[0].n)
      .setNum("minutes_since_detection", (now - newest.items[1].n) / MIN_MS)
      .setNum("due_min", s.dueMs / MIN_MS)
      .setNum("deviations_without_action", <f64>count);
    if (alarm.raise(x.device, A_OVERDUE, s.overdueSeverity, details) == null) x.status = 2;
    x.r.setBool("overdue_alarm", true);
    log.warn(x.device + ": " + count.toString() + " deviation(s) without a corrective action after " + fmt(s.dueMs / MIN_MS, 0) + " min");
  }
}

// ---- events ----

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) return 1;
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "schedule") return onSchedule(event.num("at", <f64>nowMs()), s);
  if (kind == "http") return onHttp(event, s);
  if (kind == "manual") {
    log.info("manual run: checking open excursions, overdue corrective actions and day ends; POST …/http/corrective-action, …/http/verify, …/http/report");
    return onSchedule(event.num("at", <f64>nowMs()), s);
  }
  log.info("ignored a " + kind + " event");
  return 0;
}

function relevant(p: string, s: Settings): bool {
  return p == s.tempProperty || p == s.setpointProperty || p == s.compProperty || p == s.doorProperty || p == s.defrostProperty;
}

function onTelemetry(event: Value, s: Settings): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const pts: Value[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (relevant(p.str("property"), s) && !isNaN(p.num("ts"))) pts.push(p);
  }
  if (pts.length == 0) return 0;
  for (let i = 1; i < pts.length; i++) {
    const v = pts[i];
    let j = i - 1;
    while (j >= 0 && pts[j].num("ts") > v.num("ts")) {
      pts[j + 1] = pts[j];
      j--;
    }
    pts[j + 1] = v;
  }
  const x = loadRoom(device, true)!;
  const r = x.r;
  let late = 0, bad = 0;
  let i = 0;
  while (i < pts.length) {
    const ts = pts[i].num("ts");
    let j = i;
    while (j < pts.length && pts[j].num("ts") == ts) j++;
    const last = r.num("last_ts");
    if (!isNaN(last) && ts < last) {
      late += j - i;
    } else {
      bad += group(x, s, pts, i, j, ts);
    }
    i = j;
  }
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " reading(s) older than the last one");
  if (bad > 0) log.warn(device + ": ignored " + bad.toString() + " reading(s) with an unusable value (text, or a temperature outside " + fmt(SENSOR_MIN, 0) + "…" + fmt(SENSOR_MAX, 0) + " °C)");
  r.setNum("skipped", r.num("skipped") + <f64>(late + bad));
  checkOverdue(x, s, r.num("last_ts"));
  return saveRoom(x, s);
}

/** The readings pts[i..j) of one time; returns how many were unusable. */
function group(x: Room, s: Settings, pts: Value[], i: i32, j: i32, ts: f64): i32 {
  const r = x.r;
  if (isNaN(r.num("acc_ts"))) r.setNum("acc_ts", ts);
  advance(x, s, ts);
  const day = enterDay(x, s, dateOf(localDay(ts, s)));
  let bad = 0;
  let temp = NaN;
  // Switches and the setpoint first, so that an excursion seen at this time knows the door and defrost state.
  for (let k = i; k < j; k++) {
    const p = pts[k];
    const prop = p.str("property");
    const v = p.get("value");
    if (prop == s.tempProperty) {
      const t = v != null && v.isNum() ? v.n : NaN;
      if (isNaN(t) || !(t >= SENSOR_MIN && t <= SENSOR_MAX)) bad++;
      else temp = t;
      continue;
    }
    if (prop == s.setpointProperty) {
      const sp = v != null && v.isNum() ? v.n : NaN;
      if (isNaN(sp) || !(sp >= SENSOR_MIN && sp <= SENSOR_MAX)) bad++;
      else setpoint(x, s, sp, day);
      continue;
    }
    const sw = switchOf(v);
    if (sw < 0) {
      bad++;
      continue;
    }
    const on = sw == 1;
    if (prop == s.doorProperty) {
      const was = r.get("door")!;
      if (on && !(was.kind == Kind.Bool && was.b)) add(day, "door_n", 1);
      if (!on && was.kind == Kind.Bool && was.b) r.setNum("door_end", ts);
      r.setBool("door", on);
    } else if (prop == s.defrostProperty) {
      const was = r.get("defrost")!;
      if (on && !(was.kind == Kind.Bool && was.b)) add(day, "defrost_n", 1);
      if (!on && was.kind == Kind.Bool && was.b) r.setNum("defrost_end", ts);
      r.setBool("defrost", on);
    } else if (prop == s.compProperty) {
      r.setBool("comp", on);
    }
  }
  const exc = r.get("exc")!;
  if (exc.isObj()) {
    // Causes seen during the excursion count for it.
    if (r.bool("door")) exc.setBool("door", true);
    if (r.bool("defrost")) exc.setBool("defrost", true);
    const comp = r.get("comp")!;
    if (comp.kind == Kind.Bool && !comp.b) exc.setBool("comp_off", true);
  }
  if (!isNaN(temp)) {
    r.setNum("temp", temp).setNum("temp_ts", ts);
    add(day, "n", 1);
    minMax(day, "min", "max", temp);
    reading(x, s, temp, ts, day);
  } else if (exc.isObj()) {
    checkDeclare(x, s, ts);
  }
  // Only a usable reading renews what is held (a fault code does not).
  if (j - i > bad) r.setNum("last_ts", ts);
  return bad;
}

function recent(r: Value, key: string, ts: f64, window: f64): bool {
  const e = r.num(key);
  return !isNaN(e) && ts - e <= window;
}

function reading(x: Room, s: Settings, t: f64, ts: f64, day: Value): void {
  const r = x.r;
  let exc = r.get("exc")!;
  if (t > s.limit) {
    if (!exc.isObj()) {
      const comp = r.get("comp")!;
      exc = Value.obj()
        .setNum("start", ts)
        .setNum("peak", t)
        .setNum("peak_ts", ts)
        .setBool("door", r.bool("door") || recent(r, "door_end", ts, s.attributionMs))
        .setBool("defrost", r.bool("defrost") || recent(r, "defrost_end", ts, s.attributionMs))
        .setBool("comp_off", comp.kind == Kind.Bool && !comp.b)
        .setBool("deviation", false);
      r.set("exc", exc);
      add(day, "excursions", 1);
    } else if (t > exc.num("peak")) {
      exc.setNum("peak", t).setNum("peak_ts", ts);
    }
    checkDeclare(x, s, ts);
  } else if (exc.isObj()) {
    endExcursion(x, s, ts);
  }
}

function setpoint(x: Room, s: Settings, sp: f64, day: Value): void {
  const r = x.r;
  r.setNum("setpoint", sp);
  minMax(day, "sp_min", "sp_max", sp);
  if (sp > s.limit && !r.bool("sp_alarm")) {
    alarm.raise(x.device, A_SETPOINT, "warning", Value.obj().setNum("setpoint", sp).setNum("limit", s.limit));
    r.setBool("sp_alarm", true);
    log.warn(x.device + ": setpoint " + fmt(sp, 1) + " °C is above the critical limit " + fmt(s.limit, 1) + " °C");
  } else if (sp <= s.limit && r.bool("sp_alarm")) {
    alarm.clear(x.device, A_SETPOINT);
    r.setBool("sp_alarm", false);
  }
}

/** The schedule: tolerances that ran out, overdue corrective actions, days that ended. */
function onSchedule(at: f64, s: Settings): i32 {
  const list = kv.get("rooms");
  if (list == null || !list.isArr()) return 0;
  let status = 0;
  for (let i = 0; i < list.length; i++) {
    const x = loadRoom(list.items[i].asStr(), false);
    if (x == null) continue;
    const r = x.r;
    if (!(at >= r.num("acc_ts"))) continue;
    advance(x, s, at);
    checkDeclare(x, s, at);
    checkOverdue(x, s, at);
    status |= saveRoom(x, s);
  }
  return status;
}

// ---- HTTP: corrective actions, verification, report ----

function onHttp(event: Value, s: Settings): i32 {
  const path = event.str("path");
  let body = event.get("body");
  if (body == null || body.isNull()) body = Value.obj();
  if (!body.isObj()) {
    reply(400, Value.obj().setStr("error", "the body must be a JSON object"));
    return 0;
  }
  if (path == "corrective-action") return correctiveAction(body, s);
  if (path == "verify") return verify(body, s);
  if (path == "report") return report(body, s);
  reply(404, Value.obj().setStr("error", "unknown path " + path + " (corrective-action, verify, report)"));
  return 0;
}

function text(body: Value, key: string, max: i32): string {
  const v = body.get(key);
  if (v == null || !v.isStr()) return "";
  const t = v.s.trim();
  return t.length > max ? t.substring(0, max) : t;
}

/**
 * {"device", "by", "action", "deviation"?: start ms (default: the latest deviation without an
 * action, else the latest), "disposition"?, "at"?: ms (default now), "note"?}
 */
function correctiveAction(body: Value, s: Settings): i32 {
  const device = text(body, "device", 128);
  const by = text(body, "by", 64);
  const what = text(body, "action", 500);
  if (device.length == 0 || by.length == 0 || what.length == 0) {
    reply(400, Value.obj().setStr("error", "device, by (who) and action (what was done) are required"));
    return 0;
  }
  const which = body.get("deviation");
  const atV = body.get("at");
  if ((which != null && !which.isNum()) || (atV != null && !atV.isNum())) {
    reply(400, Value.obj().setStr("error", "deviation and at are times in ms"));
    return 0;
  }
  const x = loadRoom(device, false);
  if (x == null) {
    reply(404, Value.obj().setStr("error", "no records of " + device));
    return 0;
  }
  const list = x.deviations();
  let target: Value | null = null;
  if (which != null) {
    for (let i = 0; i < list.length; i++) if (list.items[i].num("start") == which.n) target = list.items[i];
  } else {
    for (let i = list.length - 1; i >= 0 && target == null; i--) if (list.items[i].get("actions")!.length == 0) target = list.items[i];
    if (target == null && list.length > 0) target = list.items[list.length - 1];
  }
  if (target == null) {
    reply(404, Value.obj().setStr("error", "no such deviation of " + device));
    return 0;
  }
  const at = atV != null ? atV.n : <f64>nowMs();
  const rec = Value.obj().setStr("by", by).setStr("action", what).setNum("at", at);
  const disp = text(body, "disposition", 64);
  if (disp.length > 0) rec.setStr("disposition", disp);
  const note = text(body, "note", 500);
  if (note.length > 0) rec.setStr("note", note);
  target.get("actions")!.push(rec);
  x.devsDirty = true;
  log.info(device + ": corrective action for the deviation of " + fmt(target.num("start"), 0) + " by " + by + ": " + what);
  // The overdue alarm goes when no deviation is left overdue without an action.
  const aw = awaiting(x.r);
  let left = 0;
  for (let i = aw.length - 1; i >= 0; i--) {
    if (aw.items[i].items[0].n == target.num("start")) aw.items.splice(i, 1);
    else if (aw.items[i].items[2].n != 0) left++;
  }
  if (x.r.bool("overdue_alarm")) {
    if (left == 0) {
      alarm.clear(device, A_OVERDUE);
      x.r.setBool("overdue_alarm", false);
    }
  }
  const status = saveRoom(x, s);
  reply(200, Value.obj().setStr("device", device).set("deviation", target));
  return status;
}

/** {"device", "date": "YYYY-MM-DD", "by", "note"?}: the verifier signs a closed day's monitoring record. */
function verify(body: Value, s: Settings): i32 {
  const device = text(body, "device", 128);
  const date = text(body, "date", 10);
  const by = text(body, "by", 64);
  if (device.length == 0 || by.length == 0 || !isDate(date)) {
    reply(400, Value.obj().setStr("error", "device, by (who verifies) and date (YYYY-MM-DD) are required"));
    return 0;
  }
  const x = loadRoom(device, false);
  if (x == null) {
    reply(404, Value.obj().setStr("error", "no records of " + device));
    return 0;
  }
  const cur = x.r.get("day")!;
  if (cur.isObj() && cur.str("date") == date) {
    reply(409, Value.obj().setStr("error", date + " is not closed yet"));
    return 0;
  }
  const d = x.closedDays().get(date);
  if (d == null) {
    reply(404, Value.obj().setStr("error", "no record of " + device + " on " + date));
    return 0;
  }
  const v = d.get("verification");
  if (v != null && v.isObj()) {
    reply(409, Value.obj().setStr("error", date + " was verified by " + v.str("by")).set("verification", v));
    return 0;
  }
  // Every deviation that began that day needs its corrective action first.
  const open = Value.arr();
  const list = x.deviations();
  for (let i = 0; i < list.length; i++) {
    const e = list.items[i];
    if (dateOf(localDay(e.num("start"), s)) == date && e.get("actions")!.length == 0) open.push(Value.num(e.num("start")));
  }
  if (open.length > 0) {
    reply(409, Value.obj().setStr("error", "deviation(s) without a corrective action").set("deviations", open));
    return 0;
  }
  const sig = Value.obj().setStr("by", by).setNum("at", <f64>nowMs());
  const note = text(body, "note", 500);
  if (note.length > 0) sig.setStr("note", note);
  d.set("verification", sig);
  x.daysDirty = true;
  log.info(device + ": " + date + " verified by " + by);
  const status = saveRoom(x, s);
  reply(200, Value.obj().setStr("device", device).setStr("date", date).set("verification", sig));
  return status;
}

/** {"date"?: "YYYY-MM-DD" (default today), "device"?}: per room the day's record, its deviations and the state now. */
function report(body: Value, s: Settings): i32 {
  const date = body.str("date", dateOf(localDay(<f64>nowMs(), s)));
  const only = body.str("device");
  const list = kv.get("rooms");
  const rooms = Value.obj();
  if (list != null && list.isArr()) {
    for (let i = 0; i < list.length; i++) {
      const dev = list.items[i].asStr();
      if (only.length > 0 && dev != only) continue;
      const x = loadRoom(dev, false);
      if (x == null) continue;
      const cur = x.r.get("day")!;
      let d: Value | null = null;
      let open = false;
      if (cur.isObj() && cur.str("date") == date) {
        d = cur;
        open = true;
      } else d = x.closedDays().get(date);
      if (d == null) continue;
      finishDay(d);
      const devs = Value.arr();
      const all = x.deviations();
      for (let k = 0; k < all.length; k++) if (dateOf(localDay(all.items[k].num("start"), s)) == date) devs.push(all.items[k]);
      rooms.set(
        dev,
        Value.obj()
          .set("record", d)
          .setBool("open", open)
          .set("deviations", devs)
          .set("temperature", x.r.get("temp")!)
          .set("excursion", x.r.get("exc")!)
          .setBool("deviation_alarm", x.r.bool("dev_alarm"))
          .setBool("overdue_alarm", x.r.bool("overdue_alarm")),
      );
    }
  }
  if (only.length > 0 && rooms.length == 0) {
    reply(404, Value.obj().setStr("error", "no record of " + only + " on " + date));
    return 0;
  }
  reply(200, Value.obj().setStr("date", date).setNum("critical_limit_c", s.limit).set("rooms", rooms));
  return 0;
}
