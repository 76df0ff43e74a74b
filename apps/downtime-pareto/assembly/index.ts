// Downtime events from a machine's run state, reason codes assigned over HTTP, a Pareto of
// downtime by reason per day and month, and MTBF and MTTR per machine.
//
//   stop        from the first reading that is not running to the next running reading
//   Pareto      downtime (ms, shown in minutes) and stops per reason, sorted by minutes, with
//               the cumulative share (Montgomery, Introduction to Statistical Quality
//               Control, 6th ed., section 5.4); a stop's time is split at local midnights,
//               it counts once, on the day and month it began
//   failure     a stop whose reason is a failure reason (breakdown, tooling by default), or,
//               before a reason is given, one during which the machine reported a fault state
//   MTBF        IEC 60050-192:2015, 192-05-13 mean operating time between failures:
//               operating (running) time of the period / failures that began in it
//   MTTR        IEC 60050-192:2015, 192-07-23 mean time to restoration: Σ time to
//               restoration of those failures (stop start to running again) / failures
//
// State (crash-only runtime), per machine: "m:<device>" run state and the open stop,
// "stops:<device>" closed stops, "p:<device>" the day and month buckets; "devices".
import { Kind, Value, alarm, config, handle, kv, log, nowMs, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY_MS: f64 = 86400000;
const ALARM = "long_unexplained_stop";
const UNASSIGNED = "unassigned";
/** Operating time gathered before the buckets are rewritten. */
const FLUSH_MS: f64 = 900000;

class Reason {
  code: string = "";
  planned: bool = false;
  failure: bool = false;
}

class Settings {
  stateProperty: string = "run_state";
  running: string[] = ["1"];
  fault: string[] = ["2"];
  reasons: Reason[] = [];
  unexplainedMs: f64 = 30 * 60000;
  maxGapMs: f64 = 900000;
  offsetMs: f64 = 8 * 3600000;
  keepDays: i32 = 31;
  keepMonths: i32 = 12;
  keepStops: i32 = 200;
  severity: string = "minor";
  valid: bool = true;

  reason(code: string): Reason | null {
    for (let i = 0; i < this.reasons.length; i++) if (this.reasons[i].code == code) return this.reasons[i];
    return null;
  }
}

const DEFAULT_REASONS: string[] = [
  "breakdown:u:f", "tooling:u:f", "changeover:u:-", "material:u:-", "quality:u:-", "operator:u:-",
  "utilities:u:-", "planned_maintenance:p:-", "break:p:-", "no_orders:p:-", "other:u:-",
];

function strList(c: Value, key: string, dflt: string[]): string[] {
  const v = c.get(key);
  if (v == null || !v.isArr()) return dflt;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) out.push(asText(v.items[i]));
  return out;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.stateProperty = c.str("state_property", "run_state");
  s.running = strList(c, "running_values", ["1"]);
  s.fault = strList(c, "fault_values", ["2"]);
  s.unexplainedMs = c.num("unexplained_stop_min", 30) * 60000;
  s.maxGapMs = c.num("max_gap_s", 900) * 1000;
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.keepDays = <i32>c.num("keep_days", 31);
  s.keepMonths = <i32>c.num("keep_months", 12);
  s.keepStops = <i32>c.num("keep_stops", 200);
  s.severity = c.str("severity", "minor");
  const rs = c.get("reasons");
  if (rs != null && rs.isArr()) {
    for (let i = 0; i < rs.length; i++) {
      const r = rs.items[i];
      const x = new Reason();
      x.code = r.str("code");
      x.planned = r.bool("planned", false);
      x.failure = r.bool("failure", false);
      if (x.code.length == 0 || x.code == UNASSIGNED || s.reason(x.code) != null) {
        log.error("configuration: reasons[" + i.toString() + "]: the code must be given, distinct and not \"unassigned\"");
        s.valid = false;
      }
      s.reasons.push(x);
    }
  } else {
    for (let i = 0; i < DEFAULT_REASONS.length; i++) {
      const parts = DEFAULT_REASONS[i].split(":");
      const x = new Reason();
      x.code = parts[0];
      x.planned = parts[1] == "p";
      x.failure = parts[2] == "f";
      s.reasons.push(x);
    }
  }
  if (s.stateProperty.length == 0 || s.running.length == 0 || !(s.maxGapMs > 0) || !isFinite(s.offsetMs) || !(s.unexplainedMs >= 0)) {
    log.error("configuration: state_property and running_values are required; max_gap_s > 0");
    s.valid = false;
  }
  return s;
}

/** A value as text: integers without a fraction, strings as they are, booleans 1/0. */
function asText(v: Value | null): string {
  if (v == null) return "";
  if (v.isNum()) return v.n == Math.floor(v.n) && Math.abs(v.n) < 1e15 ? (<i64>v.n).toString() : v.n.toString();
  if (v.isStr()) return v.s;
  if (v.kind == Kind.Bool) return v.b ? "1" : "0";
  return "";
}

function fmt(x: f64, digits: i32 = 2): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

function inList(list: string[], v: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == v) return true;
  return false;
}

// ---- calendar ----

function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY_MS);
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

// ---- buckets: {"days": {date: B}, "months": {month: B}}, B = {op, f, ttr, r: {reason: [ms, count]}} ----

function bucket(map: Value, key: string, create: bool): Value | null {
  const b = map.get(key);
  if (b != null) return b;
  if (!create) return null;
  const nb = Value.obj().setNum("op", 0).setNum("f", 0).setNum("ttr", 0).set("r", Value.obj());
  map.set(key, nb);
  return nb;
}

function addReason(b: Value, code: string, ms: f64, n: f64): void {
  const r = b.get("r")!;
  let e = r.get(code);
  if (e == null) {
    e = Value.nums([0, 0]);
    r.set(code, e);
  }
  e.items[0].n += ms;
  e.items[1].n += n;
}

/** Calls back for each local-day slice of [from, to): (date, month, ms). */
function slices(from: f64, to: f64, s: Settings, p: Value, fn: (p: Value, date: string, ms: f64, ctx: SliceCtx) => void, ctx: SliceCtx): void {
  let a = from;
  while (a < to) {
    const day = localDay(a, s);
    const end = Math.min(to, (day + 1) * DAY_MS - s.offsetMs);
    fn(p, dateOf(day), end - a, ctx);
    a = end;
  }
}

class SliceCtx {
  code: string = "";
  sign: f64 = 1;
  create: bool = true;
}

function addOpSlice(p: Value, date: string, ms: f64, ctx: SliceCtx): void {
  const d = bucket(p.get("days")!, date, true)!;
  d.setNum("op", d.num("op") + ms);
  const m = bucket(p.get("months")!, date.substring(0, 7), true)!;
  m.setNum("op", m.num("op") + ms);
}

function addStopSlice(p: Value, date: string, ms: f64, ctx: SliceCtx): void {
  const d = bucket(p.get("days")!, date, ctx.create);
  if (d != null) addReason(d, ctx.code, ctx.sign * ms, 0);
  const m = bucket(p.get("months")!, date.substring(0, 7), ctx.create);
  if (m != null) addReason(m, ctx.code, ctx.sign * ms, 0);
}

function isFailure(stop: Value, s: Settings): bool {
  const code = stop.str("reason");
  if (code.length > 0) {
    const r = s.reason(code);
    return r != null && r.failure;
  }
  return stop.bool("fault");
}

/** Adds (sign 1) or removes (sign −1) a closed stop's downtime, count and failure. */
function applyStop(p: Value, stop: Value, sign: f64, s: Settings): void {
  const start = stop.num("start"), end = stop.num("end");
  const code = stop.str("reason").length > 0 ? stop.str("reason") : UNASSIGNED;
  const ctx = new SliceCtx();
  ctx.code = code;
  ctx.sign = sign;
  ctx.create = sign > 0;
  slices(start, end, s, p, addStopSlice, ctx);
  const date = dateOf(localDay(start, s));
  const fail = isFailure(stop, s);
  const d = bucket(p.get("days")!, date, sign > 0);
  const m = bucket(p.get("months")!, date.substring(0, 7), sign > 0);
  const targets: Value[] = [];
  if (d != null) targets.push(d);
  if (m != null) targets.push(m);
  for (let i = 0; i < targets.length; i++) {
    const b = targets[i];
    addReason(b, code, 0, sign);
    if (fail) b.setNum("f", b.num("f") + sign).setNum("ttr", b.num("ttr") + sign * (end - start));
  }
}

/** Keeps the newest n keys of an object whose keys sort by time. */
function prune(map: Value, n: i32): void {
  if (map.length <= n) return;
  const keys = map.keys.slice();
  keys.sort();
  const drop = keys.length - n;
  const out = Value.obj();
  for (let i = drop; i < keys.length; i++) out.set(keys[i], map.get(keys[i])!);
  map.keys.length = 0;
  map.items.length = 0;
  for (let i = 0; i < out.length; i++) {
    map.keys.push(out.keys[i]);
    map.items.push(out.items[i]);
  }
}

// ---- per machine ----

class Machine {
  device: string;
  m: Value;
  p: Value | null = null;
  stops: Value | null = null;
  pDirty: bool = false;
  stopsDirty: bool = false;
  status: i32 = 0;
  constructor(device: string, m: Value) {
    this.device = device;
    this.m = m;
  }
  buckets(): Value {
    let p = this.p;
    if (p == null) {
      p = kv.get("p:" + this.device);
      if (p == null || !p.isObj()) p = Value.obj().set("days", Value.obj()).set("months", Value.obj());
      this.p = p;
    }
    this.pDirty = true;
    return p;
  }
  stopList(): Value {
    let l = this.stops;
    if (l == null) {
      l = kv.get("stops:" + this.device);
      if (l == null || !l.isArr()) l = Value.arr();
      this.stops = l;
    }
    return l;
  }
}

function loadMachine(device: string, create: bool): Machine | null {
  let m = kv.get("m:" + device);
  if (m == null || !m.isObj()) {
    if (!create) return null;
    m = Value.obj().setStr("device", device).setStr("state", "").setBool("run", false).set("last_ts", Value.null()).set("stop", Value.null()).setNum("skipped", 0);
    let list = kv.get("devices");
    if (list == null || !list.isArr()) list = Value.arr();
    list.push(Value.str(device));
    kv.set("devices", list);
  }
  return new Machine(device, m);
}

function saveMachine(x: Machine, s: Settings): i32 {
  let ok = kv.set("m:" + x.device, x.m);
  const p = x.p;
  if (p != null && x.pDirty) {
    prune(p.get("days")!, s.keepDays);
    prune(p.get("months")!, s.keepMonths);
    ok = kv.set("p:" + x.device, p) && ok;
  }
  const l = x.stops;
  if (l != null && x.stopsDirty) ok = kv.set("stops:" + x.device, l) && ok;
  if (!ok) {
    log.error(x.device + ": state could not be saved");
    return 1;
  }
  return x.status;
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) return 1;
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "schedule") return onSchedule(event.num("at", <f64>nowMs()), s);
  if (kind == "http") return onHttp(event, s);
  if (kind == "manual") {
    log.info("manual run: checking open stops for the unexplained-stop alarm");
    return onSchedule(event.num("at", <f64>nowMs()), s);
  }
  log.info("ignored a " + kind + " event");
  return 0;
}

function onTelemetry(event: Value, s: Settings): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  // The state readings of the message, oldest first.
  const pts: Value[] = [];
  for (let i = 0; i < points.length; i++) if (points.items[i].str("property") == s.stateProperty) pts.push(points.items[i]);
  if (pts.length == 0) return 0;
  // Insertion sort: stable, so readings with the same time keep the message's order.
  for (let i = 1; i < pts.length; i++) {
    const v = pts[i];
    let j = i - 1;
    while (j >= 0 && pts[j].num("ts") > v.num("ts")) {
      pts[j + 1] = pts[j];
      j--;
    }
    pts[j + 1] = v;
  }
  const x = loadMachine(device, true)!;
  const m = x.m;
  let bad = 0, late = 0;
  for (let i = 0; i < pts.length; i++) {
    const v = asText(pts[i].get("value"));
    const ts = pts[i].num("ts");
    if (v.length == 0 || isNaN(ts)) {
      bad++;
      continue;
    }
    const last = m.num("last_ts");
    if (!isNaN(last) && ts <= last) {
      late++;
      continue;
    }
    reading(x, s, v, ts);
  }
  if (bad > 0) log.warn(device + ": ignored " + bad.toString() + " " + s.stateProperty + " reading(s) without a usable value");
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " " + s.stateProperty + " reading(s) not newer than the last one");
  m.setNum("skipped", m.num("skipped", 0) + <f64>(bad + late));
  checkUnexplained(x, s, m.num("last_ts"));
  return saveMachine(x, s);
}

function reading(x: Machine, s: Settings, v: string, ts: f64): void {
  const m = x.m;
  const run = inList(s.running, v);
  const last = m.num("last_ts");
  const known = !isNaN(last);
  if (known && m.bool("run")) {
    // Running time up to this reading, at most max_gap after the last one.
    const to = Math.min(ts, last + s.maxGapMs);
    if (to > last) addPending(x, s, last, to);
    if (ts > to) log.warn(x.device + ": no " + s.stateProperty + " for " + fmt((ts - last) / 60000, 1) + " min while running; " + fmt((ts - to) / 60000, 1) + " min not counted as operating time");
  }
  const stop = m.get("stop")!;
  if (!run) {
    if (!stop.isObj()) {
      const st = Value.obj().setNum("start", ts).setStr("state", v).setBool("fault", inList(s.fault, v)).setStr("reason", "").setBool("alarmed", false);
      m.set("stop", st);
      flush(x);
      log.info(x.device + ": stopped (" + s.stateProperty + " = " + v + ")" + (known ? "" : " at the first reading"));
    } else if (inList(s.fault, v)) {
      stop.setBool("fault", true);
    }
  } else if (stop.isObj()) {
    closeStop(x, s, stop, ts);
    m.set("stop", Value.null());
  }
  m.setStr("state", v).setBool("run", run).setNum("last_ts", ts);
}

/**
 * Operating time waits in "pend" {date, ms} of the machine's small record and goes into the
 * day and month buckets when the day changes, a stop begins or ends, or 15 min have
 * gathered: the buckets are not rewritten at every reading of a running machine.
 */
function addPending(x: Machine, s: Settings, from: f64, to: f64): void {
  let pend = x.m.get("pend");
  if (pend == null || !pend.isObj()) {
    pend = Value.obj().setStr("date", "").setNum("ms", 0);
    x.m.set("pend", pend);
  }
  let a = from;
  while (a < to) {
    const day = localDay(a, s);
    const end = Math.min(to, (day + 1) * DAY_MS - s.offsetMs);
    const date = dateOf(day);
    if (pend.str("date") != date) {
      flush(x);
      pend.setStr("date", date);
    }
    pend.setNum("ms", pend.num("ms") + end - a);
    a = end;
  }
  if (pend.num("ms") >= FLUSH_MS) flush(x);
}

function flush(x: Machine): void {
  const pend = x.m.get("pend");
  if (pend == null || !pend.isObj() || !(pend.num("ms") > 0)) return;
  addOpSlice(x.buckets(), pend.str("date"), pend.num("ms"), new SliceCtx());
  pend.setNum("ms", 0);
}

function closeStop(x: Machine, s: Settings, stop: Value, ts: f64): void {
  const rec = Value.obj().setNum("start", stop.num("start")).setNum("end", ts).setStr("state", stop.str("state")).setBool("fault", stop.bool("fault")).setStr("reason", stop.str("reason"));
  if (stop.has("note")) rec.setStr("note", stop.str("note"));
  flush(x);
  const list = x.stopList();
  list.push(rec);
  while (list.length > s.keepStops) list.items.shift();
  x.stopsDirty = true;
  applyStop(x.buckets(), rec, 1, s);
  const reason = rec.str("reason");
  log.info(x.device + ": running again after " + fmt((ts - rec.num("start")) / 60000, 1) + " min (" + (reason.length > 0 ? reason : UNASSIGNED) + (isFailure(rec, s) ? ", failure" : "") + ")");
  if (stop.bool("alarmed")) {
    alarm.clear(x.device, ALARM);
  }
}

/** Raises the alarm for an open stop without a reason that has lasted unexplained_stop_min. */
function checkUnexplained(x: Machine, s: Settings, at: f64): bool {
  const stop = x.m.get("stop")!;
  if (!stop.isObj() || stop.str("reason").length > 0 || stop.bool("alarmed") || s.unexplainedMs <= 0 || isNaN(at)) return false;
  const dur = at - stop.num("start");
  if (dur < s.unexplainedMs) return false;
  const details = Value.obj()
    .setNum("start", stop.num("start"))
    .setNum("minutes", Math.round(dur / 600) / 100)
    .setStr("state", stop.str("state"))
    .setBool("fault", stop.bool("fault"))
    .setNum("threshold_min", s.unexplainedMs / 60000);
  if (alarm.raise(x.device, ALARM, s.severity, details) == null) log.warn(x.device + ": alarm not raised");
  stop.setBool("alarmed", true);
  log.warn(x.device + ": stopped for " + fmt(dur / 60000, 1) + " min without a reason");
  return true;
}

function onSchedule(at: f64, s: Settings): i32 {
  const list = kv.get("devices");
  if (list == null || !list.isArr()) return 0;
  let status = 0;
  for (let i = 0; i < list.length; i++) {
    const x = loadMachine(list.items[i].asStr(), false);
    if (x == null) continue;
    if (checkUnexplained(x, s, at)) status |= saveMachine(x, s);
  }
  return status;
}

// ---- HTTP: reason assignment and report ----

function onHttp(event: Value, s: Settings): i32 {
  const path = event.str("path");
  let body = event.get("body");
  if (body == null || !body.isObj()) {
    if (path == "report" && (body == null || body.isNull())) body = Value.obj();
    else {
      reply(400, Value.obj().setStr("error", "the body must be a JSON object"));
      return 0;
    }
  }
  if (path == "reason") return assign(body, s);
  if (path == "report") return report(body, s);
  reply(404, Value.obj().setStr("error", "unknown path " + path + " (reason, report)"));
  return 0;
}

function codes(s: Settings): Value {
  const out = Value.arr();
  for (let i = 0; i < s.reasons.length; i++) out.push(Value.str(s.reasons[i].code));
  return out;
}

/** {"device", "reason", "stop"?: start ms (default: the open stop, else the last one), "note"?} */
function assign(body: Value, s: Settings): i32 {
  const device = body.str("device");
  const code = body.str("reason");
  if (device.length == 0) {
    reply(400, Value.obj().setStr("error", "device is required"));
    return 0;
  }
  if (code.length > 0 && s.reason(code) == null) {
    reply(400, Value.obj().setStr("error", "unknown reason " + code).set("reasons", codes(s)));
    return 0;
  }
  if (code.length == 0 && !(body.get("reason") != null && body.get("reason")!.isStr())) {
    reply(400, Value.obj().setStr("error", "reason is required (\"\" takes a reason back)").set("reasons", codes(s)));
    return 0;
  }
  const x = loadMachine(device, false);
  if (x == null) {
    reply(404, Value.obj().setStr("error", "no stops of " + device + " yet"));
    return 0;
  }
  const which = body.get("stop");
  const open = x.m.get("stop")!;
  const note = body.get("note");
  let target: Value | null = null;
  let closed = false;
  if (which != null && !which.isNum()) {
    reply(400, Value.obj().setStr("error", "stop must be the stop's start time in ms"));
    return 0;
  }
  if (open.isObj() && (which == null || which.n == open.num("start"))) {
    target = open;
  } else {
    const list = x.stopList();
    for (let i = list.length - 1; i >= 0; i--) {
      if (which == null || list.items[i].num("start") == which.n) {
        target = list.items[i];
        closed = true;
        break;
      }
    }
  }
  if (target == null) {
    reply(404, Value.obj().setStr("error", "no such stop of " + device));
    return 0;
  }
  const before = target.str("reason");
  if (closed) applyStop(x.buckets(), target, -1, s);
  target.setStr("reason", code);
  if (note != null && note.isStr()) target.setStr("note", note.s.length > 200 ? note.s.substring(0, 200) : note.s);
  if (closed) {
    applyStop(x.buckets(), target, 1, s);
    x.stopsDirty = true;
  } else if (target.bool("alarmed") && code.length > 0) {
    alarm.clear(device, ALARM);
    target.setBool("alarmed", false);
  }
  log.info(device + ": stop at " + fmt(target.num("start"), 0) + " " + (before.length > 0 ? "changed from " + before + " to " : "assigned ") + (code.length > 0 ? code : UNASSIGNED));
  const status = saveMachine(x, s);
  reply(200, Value.obj().setStr("device", device).set("stop", target).setBool("open", !closed));
  return status;
}

/** {"month"?: "YYYY-MM", "day"?: "YYYY-MM-DD"}: per machine MTBF, MTTR and the Pareto; totals. */
function report(body: Value, s: Settings): i32 {
  const day = body.str("day");
  const month = day.length >= 7 ? day.substring(0, 7) : body.str("month", dateOf(localDay(<f64>nowMs(), s)).substring(0, 7));
  const key = day.length > 0 ? day : month;
  const list = kv.get("devices");
  const machines = Value.obj();
  const total = Value.obj().setNum("op", 0).setNum("f", 0).setNum("ttr", 0).set("r", Value.obj());
  if (list != null && list.isArr()) {
    for (let i = 0; i < list.length; i++) {
      const dev = list.items[i].asStr();
      const p = kv.get("p:" + dev);
      if (p == null) continue;
      let b = (day.length > 0 ? p.get("days") : p.get("months"))!.get(key);
      const pms = pendingFor(kv.get("m:" + dev), day, month);
      if (pms > 0) {
        if (b == null) b = Value.obj().setNum("op", 0).setNum("f", 0).setNum("ttr", 0).set("r", Value.obj());
        b.setNum("op", b.num("op") + pms);
      }
      if (b == null) continue;
      machines.set(dev, summary(b, s));
      total.setNum("op", total.num("op") + b.num("op")).setNum("f", total.num("f") + b.num("f")).setNum("ttr", total.num("ttr") + b.num("ttr"));
      const r = b.get("r")!;
      for (let k = 0; k < r.length; k++) addReason(total, r.keys[k], r.items[k].items[0].n, r.items[k].items[1].n);
    }
  }
  reply(200, Value.obj().setStr(day.length > 0 ? "day" : "month", key).set("machines", machines).set("total", summary(total, s)));
  return 0;
}

/** A machine's pending operating time (ms) if it belongs to the day (or, without a day, the month). */
function pendingFor(m: Value | null, day: string, month: string): f64 {
  if (m == null) return 0;
  const pend = m.get("pend");
  if (pend == null || !pend.isObj()) return 0;
  const date = pend.str("date");
  const ok = day.length > 0 ? date == day : date.length >= 7 && date.substring(0, 7) == month;
  return ok ? pend.num("ms") : 0;
}

function summary(b: Value, s: Settings): Value {
  const f = b.num("f");
  const rows: Value[] = [];
  const r = b.get("r")!;
  let down = 0.0;
  for (let k = 0; k < r.length; k++) {
    const ms = r.items[k].items[0].n, n = r.items[k].items[1].n;
    if (ms <= 0 && n <= 0) continue;
    down += ms;
    const rs = s.reason(r.keys[k]);
    rows.push(Value.obj().setStr("reason", r.keys[k]).setNum("minutes", ms / 60000).setNum("stops", n).setBool("planned", rs != null && rs.planned));
  }
  rows.sort((a: Value, b: Value): i32 => <i32>Math.sign(b.num("minutes") - a.num("minutes")));
  const pareto = Value.arr();
  let cum = 0.0;
  for (let k = 0; k < rows.length; k++) {
    cum += rows[k].num("minutes") * 60000;
    pareto.push(rows[k].setNum("cumulative", down > 0 ? cum / down : 0));
  }
  return Value.obj()
    .setNum("operating_h", b.num("op") / 3600000)
    .setNum("downtime_min", down / 60000)
    .setNum("failures", f)
    .setNum("mtbf_h", f > 0 ? b.num("op") / f / 3600000 : NaN)
    .setNum("mttr_min", f > 0 ? b.num("ttr") / f / 60000 : NaN)
    .set("pareto", pareto);
}
