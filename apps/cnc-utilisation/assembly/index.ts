// CNC machine states and spindle utilisation per shift and day, and time per program.
//
// Each machine's time is split into states defined after the MTConnect Standard, Part 3
// (Streams / Observation Information Model), data items CONTROLLER_MODE, EXECUTION and
// EMERGENCY_STOP:
//
//   alarm        EMERGENCY_STOP = TRIGGERED (the mode reports the e-stop: demo mode 3)
//   manual       CONTROLLER_MODE = MANUAL, MANUAL_DATA_INPUT or EDIT (demo modes 0, 2)
//   stopped      EXECUTION = STOPPED, INTERRUPTED, FEED_HOLD, OPTIONAL_STOP, PROGRAM_STOPPED
//   idle         EXECUTION = READY, PROGRAM_COMPLETED or WAIT, or (without an EXECUTION
//                signal) AUTOMATIC with the spindle stopped
//   active       EXECUTION = ACTIVE (or AUTOMATIC with the spindle turning) below the
//                cutting load: positioning, air cuts, tool changes
//   cutting      ACTIVE with the spindle turning at or above the cutting load
//   unavailable  no data for longer than max_gap_s (AVAILABILITY = UNAVAILABLE)
//
// Each reading's state is held until the next reading (at most max_gap_s). Spindle
// utilisation = cutting time / observed time of the shift (or day); in-cycle ratio =
// (cutting + active) / observed time. Time per program: cutting and in-cycle time of the
// program in the controller while it ran.
//
// Crash-only runtime: each machine's open shift and day live in "m:<device>", closed ones
// in "h:<device>", the machines seen in "devices".
import { Kind, Value, alarm, config, handle, kv, latest, log, nowMs, parse, quote, readUtf8 } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const STATES: string[] = ["cutting", "active", "idle", "stopped", "manual", "alarm", "unavailable"];
const EXEC_STOPPED: string[] = ["STOPPED", "INTERRUPTED", "FEED_HOLD", "OPTIONAL_STOP", "PROGRAM_STOPPED"];
const EXEC_IDLE: string[] = ["READY", "PROGRAM_COMPLETED", "WAIT"];
const DAY_MS: f64 = 86400000;
/** Programs kept per open period (the rest go to "(other)"), and per closed record. */
const PROGRAMS_OPEN = 40;
const PROGRAMS_KEPT = 10;
const ALARM_TYPE = "low_spindle_utilisation";

class Settings {
  modeProperty: string = "mode";
  execProperty: string = "execution";
  speedProperty: string = "spindle_speed";
  loadProperty: string = "spindle_load";
  programProperty: string = "program";
  minSpeed: f64 = 0;
  cutLoad: f64 = 5;
  autoModes: string[] = [];
  manualModes: string[] = [];
  alarmModes: string[] = [];
  starts: i32[] = [];
  offsetMs: f64 = 8 * 3600000;
  maxGapMs: f64 = 900000;
  keepShifts: i32 = 21;
  keepDays: i32 = 14;
  target: f64 = 0;
  utilProperty: string = "";
  valid: bool = true;
}

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
  s.modeProperty = c.str("mode_property", "mode");
  s.execProperty = c.str("execution_property", "execution");
  s.speedProperty = c.str("speed_property", "spindle_speed");
  s.loadProperty = c.str("load_property", "spindle_load");
  s.programProperty = c.str("program_property", "program");
  s.minSpeed = c.num("min_speed", 0);
  s.cutLoad = c.num("cut_load_pct", 5);
  s.autoModes = strList(c, "auto_modes", ["1", "AUTOMATIC", "SEMI_AUTOMATIC"]);
  s.manualModes = strList(c, "manual_modes", ["0", "2", "MANUAL", "MANUAL_DATA_INPUT", "EDIT"]);
  s.alarmModes = strList(c, "alarm_modes", ["3", "TRIGGERED"]);
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.maxGapMs = c.num("max_gap_s", 900) * 1000;
  s.keepShifts = <i32>c.num("keep_shifts", 21);
  s.keepDays = <i32>c.num("keep_days", 14);
  s.target = c.num("utilisation_target", 0);
  s.utilProperty = c.str("utilisation_property");
  const starts = strList(c, "shift_starts", ["08:00", "16:00", "00:00"]);
  for (let i = 0; i < starts.length; i++) {
    const m = hhmm(starts[i]);
    if (m < 0) {
      log.error("configuration: shift start " + starts[i] + " is not HH:MM");
      s.valid = false;
    } else if (!s.starts.includes(m)) s.starts.push(m);
  }
  s.starts.sort((a: i32, b: i32): i32 => a - b);
  if (s.starts.length == 0 || !(s.maxGapMs > 0) || !isFinite(s.offsetMs)) {
    log.error("configuration: at least one shift start, max_gap_s > 0");
    s.valid = false;
  }
  return s;
}

/** "HH:MM" → minutes of the day, or −1. */
function hhmm(t: string): i32 {
  const parts = t.split(":");
  if (parts.length != 2 || parts[0].length < 1 || parts[0].length > 2 || parts[1].length != 2) return -1;
  for (let k = 0; k < 2; k++) for (let i = 0; i < parts[k].length; i++) {
    const ch = parts[k].charCodeAt(i);
    if (ch < 48 || ch > 57) return -1;
  }
  const h = I32.parseInt(parts[0]);
  const m = I32.parseInt(parts[1]);
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

/** A value as text: integers without a fraction, strings as they are, booleans 0/1. */
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

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) return 1;
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "schedule") return onSchedule(event, s);
  if (kind == "manual") {
    log.info("manual run: closing the shifts and days that have ended (by \"at\", ms, or now)");
    return onSchedule(event, s);
  }
  log.info("ignored a " + kind + " event");
  return 0;
}

// ---- calendar ----

/** Local day number (days since 1970-01-01 in local time) of a UTC timestamp. */
function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY_MS);
}

/** UTC ms of local midnight of a local day. */
function dayStart(day: f64, s: Settings): f64 {
  return day * DAY_MS - s.offsetMs;
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
  return y.toString() + "-" + (m < 10 ? "0" : "") + m.toString() + "-" + (d < 10 ? "0" : "") + d.toString();
}

function newPeriod(start: f64, end: f64, date: string, no: i32): Value {
  const st = Value.obj();
  for (let i = 0; i < STATES.length; i++) st.setNum(STATES[i], 0);
  return Value.obj()
    .setNum("start", start)
    .setNum("end", end)
    .setStr("date", date)
    .setNum("shift", <f64>no)
    .set("s", st)
    .set("programs", Value.obj());
}

/** The shift containing ts: numbered by its start within the day, dated on the day it begins. */
function shiftAt(ts: f64, s: Settings): Value {
  let day = localDay(ts, s);
  const tod = (ts + s.offsetMs - day * DAY_MS) / 60000;
  let j = -1;
  for (let i = 0; i < s.starts.length; i++) if (<f64>s.starts[i] <= tod) j = i;
  if (j < 0) {
    j = s.starts.length - 1;
    day -= 1;
  }
  const start = dayStart(day, s) + <f64>s.starts[j] * 60000;
  const end = j + 1 < s.starts.length ? dayStart(day, s) + <f64>s.starts[j + 1] * 60000 : dayStart(day + 1, s) + <f64>s.starts[0] * 60000;
  return newPeriod(start, end, dateOf(day), j + 1);
}

function dayAt(ts: f64, s: Settings): Value {
  const day = localDay(ts, s);
  return newPeriod(dayStart(day, s), dayStart(day + 1, s), dateOf(day), 0);
}

// ---- states ----

function inList(list: string[], v: string): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == v) return true;
  return false;
}

/** The state of a machine from its last known values (see the header). */
function classify(vals: Value, s: Settings): string {
  const mode = vals.str("mode");
  if (mode.length > 0) {
    if (inList(s.alarmModes, mode)) return "alarm";
    if (inList(s.manualModes, mode)) return "manual";
  }
  const speed = vals.num("speed");
  const load = vals.num("load");
  const turning = speed > s.minSpeed;
  const inCut = turning && (isNaN(load) || load >= s.cutLoad);
  const exec = vals.str("exec");
  if (exec.length > 0) {
    if (inList(EXEC_STOPPED, exec)) return "stopped";
    if (inList(EXEC_IDLE, exec)) return "idle";
    if (exec == "ACTIVE") return inCut ? "cutting" : "active";
  }
  if (!turning) return "idle";
  return inCut ? "cutting" : "active";
}

// ---- time accounting ----

class Ctx {
  status: i32 = 0;
  constructor(public device: string, public m: Value, public h: Value, public s: Settings) {}
}

/** Adds [from, to) in state `st` to the open shift and day, closing them at their ends. */
function attribute(c: Ctx, from: f64, to: f64, st: string): void {
  let t = from;
  while (t < to) {
    const shift = c.m.get("shift")!;
    const day = c.m.get("day")!;
    const b = Math.min(to, Math.min(shift.num("end"), day.num("end")));
    const secs = (b - t) / 1000;
    addTo(shift, st, secs, c.m.str("program"));
    addTo(day, st, secs, c.m.str("program"));
    t = b;
    if (t >= shift.num("end")) {
      closeShift(c, shift);
      c.m.set("shift", shiftAt(t, c.s));
    }
    if (t >= day.num("end")) {
      closeDay(c, day);
      c.m.set("day", dayAt(t, c.s));
    }
  }
}

function addTo(p: Value, st: string, secs: f64, program: string): void {
  const sv = p.get("s")!;
  sv.setNum(st, sv.num(st, 0) + secs);
  if (st != "cutting" && st != "active") return;
  const progs = p.get("programs")!;
  let name = program.length > 0 ? program : "(none)";
  let rec = progs.get(name);
  if (rec == null) {
    if (progs.length >= PROGRAMS_OPEN) name = "(other)";
    rec = progs.get(name);
    if (rec == null) {
      rec = Value.nums([0, 0]);
      progs.set(name, rec);
    }
  }
  if (st == "cutting") rec.items[0].n += secs;
  rec.items[1].n += secs;
}

/** Moves the machine's clock to `to`: the held state up to max_gap after the last data, then unavailable. */
function advance(c: Ctx, to: f64): void {
  const cursor = c.m.num("cursor");
  if (!(to > cursor)) return;
  const holdEnd = c.m.num("last_data") + c.s.maxGapMs;
  if (cursor < holdEnd) attribute(c, cursor, Math.min(to, holdEnd), c.m.str("state"));
  if (to > holdEnd) attribute(c, Math.max(cursor, holdEnd), to, "unavailable");
  c.m.setNum("cursor", to);
}

/** A closed period's record: minutes per state, utilisation, in-cycle ratio, top programs. */
function record(p: Value): Value {
  const sv = p.get("s")!;
  let observed = 0.0;
  const mins = Value.obj();
  for (let i = 0; i < STATES.length; i++) {
    const v = sv.num(STATES[i], 0);
    observed += v;
    mins.setNum(STATES[i], Math.round(v / 60 * 1000) / 1000);
  }
  const cut = sv.num("cutting", 0);
  const act = sv.num("active", 0);
  const rec = Value.obj()
    .setStr("date", p.str("date"))
    .setNum("shift", p.num("shift"))
    .setNum("start", p.num("start"))
    .setNum("end", p.num("end"))
    .setNum("observed_min", Math.round(observed / 60 * 1000) / 1000)
    .set("minutes", mins)
    .setNum("utilisation", observed > 0 ? cut / observed : 0)
    .setNum("in_cycle", observed > 0 ? (cut + act) / observed : 0);
  // Programs by in-cycle time, longest first.
  const progs = p.get("programs")!;
  const list: Value[] = [];
  for (let i = 0; i < progs.length; i++) {
    const r = progs.items[i];
    list.push(Value.arr().push(Value.str(progs.keys[i])).push(Value.num(Math.round(r.items[0].n / 60 * 1000) / 1000)).push(Value.num(Math.round(r.items[1].n / 60 * 1000) / 1000)));
  }
  list.sort((a: Value, b: Value): i32 => {
    const d = b.items[2].n - a.items[2].n;
    return d > 0 ? 1 : d < 0 ? -1 : 0;
  });
  const top = Value.arr();
  for (let i = 0; i < list.length && i < PROGRAMS_KEPT; i++) top.push(list[i]);
  rec.set("programs", top);
  return rec;
}

function keep(list: Value, rec: Value, n: i32): void {
  list.push(rec);
  while (list.length > n) list.items.shift();
}

function closeShift(c: Ctx, shift: Value): void {
  const rec = record(shift);
  const observed = rec.num("observed_min");
  const seen = observed - rec.get("minutes")!.num("unavailable");
  keep(c.h.get("shifts")!, rec, c.s.keepShifts);
  const label = c.device + ": shift " + rec.str("date") + " #" + fmt(rec.num("shift"), 0);
  log.info(label + " closed: utilisation " + fmt(rec.num("utilisation") * 100, 1) + " %, in cycle " + fmt(rec.num("in_cycle") * 100, 1) + " % of " + fmt(observed, 1) + " min");
  if (seen <= 0) return; // no data in the shift at all: not rated
  if (c.s.utilProperty.length > 0) {
    const ok = writeFloat(c.device, c.s.utilProperty, rec.num("utilisation") * 100, rec.num("end"));
    if (!ok) c.status = 2;
  }
  if (c.s.target > 0) {
    const low = rec.num("utilisation") < c.s.target;
    const was = c.m.bool("low");
    if (low) {
      const d = Value.obj()
        .setStr("date", rec.str("date"))
        .setNum("shift", rec.num("shift"))
        .setNum("utilisation", rec.num("utilisation"))
        .setNum("target", c.s.target)
        .setNum("cutting_min", rec.get("minutes")!.num("cutting"))
        .setNum("observed_min", observed);
      alarm.raise(c.device, ALARM_TYPE, "warning", d);
      if (!was) log.info(label + ": utilisation below the target " + fmt(c.s.target * 100, 1) + " %");
    } else if (was) {
      alarm.clear(c.device, ALARM_TYPE);
    }
    c.m.setBool("low", low);
  }
}

function closeDay(c: Ctx, day: Value): void {
  const rec = record(day);
  keep(c.h.get("days")!, rec, c.s.keepDays);
  log.info(c.device + ": day " + rec.str("date") + " closed: utilisation " + fmt(rec.num("utilisation") * 100, 1) + " %");
}

/** Writes one derived value as a JSON float (an integral value would type a new series as integers). */
function writeFloat(device: string, property: string, value: f64, ts: f64): bool {
  let num = value.toString();
  if (value == Math.floor(value) && Math.abs(value) < 1e15) num = (<i64>value).toString() + ".0";
  const req = '{"device":' + quote(device) + ',"ts":' + (<i64>ts).toString() + ',"values":{' + quote(property) + ":" + num + "}}";
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(req);
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const reply = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (reply == null || reply.get("ok") == null) {
    log.warn(device + ": " + property + " not written");
    return false;
  }
  const refused = reply.get("ok")!.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
  return true;
}

// ---- events ----

function load(device: string, s: Settings, ts: f64): Ctx {
  let m = kv.get("m:" + device);
  let h = kv.get("h:" + device);
  if (h == null || !h.isObj()) h = Value.obj().set("shifts", Value.arr()).set("days", Value.arr());
  if (m == null || !m.isObj()) {
    m = Value.obj()
      .setStr("device", device)
      .setNum("cursor", ts)
      .setNum("last_data", ts)
      .setNum("first_seen", ts)
      .set("vals", Value.obj())
      .setStr("state", "idle")
      .setNum("since", ts)
      .setStr("program", "")
      .set("shift", shiftAt(ts, s))
      .set("day", dayAt(ts, s));
  }
  return new Ctx(device, m, h, s);
}

function save(c: Ctx): i32 {
  if (!kv.set("m:" + c.device, c.m) || !kv.set("h:" + c.device, c.h)) {
    log.error(c.device + ": state could not be saved");
    return 1;
  }
  return c.status;
}

/** Which of the machine's values a property sets ("" for none). */
function slot(p: string, s: Settings): string {
  if (p == s.modeProperty) return "mode";
  if (s.execProperty.length > 0 && p == s.execProperty) return "exec";
  if (p == s.speedProperty) return "speed";
  if (p == s.loadProperty) return "load";
  if (p == s.programProperty) return "program";
  return "";
}

/** Applies one reading to the machine's values; false when it is unusable. */
function apply(c: Ctx, name: string, v: Value | null): bool {
  const vals = c.m.get("vals")!;
  if (v == null || v.isNull()) return false;
  if (name == "speed" || name == "load") {
    let x = NaN;
    if (v.isNum()) x = v.n;
    else if (v.kind == Kind.Bool) x = v.b ? 1 : 0;
    if (isNaN(x)) return false;
    vals.setNum(name, x);
    return true;
  }
  const t = asText(v);
  if (name == "mode" && t.length == 0) return false;
  vals.setStr(name, name == "exec" ? t.toUpperCase() : t);
  if (name == "program") c.m.setStr("program", t);
  return true;
}

function updateState(c: Ctx, ts: f64): void {
  const st = classify(c.m.get("vals")!, c.s);
  if (st != c.m.str("state")) {
    c.m.setStr("state", st).setNum("since", ts);
  }
}

function onTelemetry(event: Value, s: Settings): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  // Only messages with one of the machine's signals.
  let first = NaN;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (slot(p.str("property"), s).length > 0) {
      const ts = p.num("ts");
      if (!isNaN(ts) && (isNaN(first) || ts < first)) first = ts;
    }
  }
  if (isNaN(first)) return 0;

  const fresh = kv.get("m:" + device) == null;
  const c = load(device, s, first);
  if (fresh) {
    remember(device);
    // The other signals as last reported, so the first state is right.
    const props: string[] = [s.modeProperty, s.speedProperty, s.loadProperty, s.programProperty];
    if (s.execProperty.length > 0) props.push(s.execProperty);
    const values = latest(device, props);
    if (values != null) {
      for (let i = 0; i < values.length; i++) {
        const name = slot(values.keys[i], s);
        if (name.length > 0) apply(c, name, values.items[i].get("value"));
      }
    }
    updateState(c, first);
    c.m.setNum("since", first);
  }

  let late = 0;
  let bad = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const name = slot(p.str("property"), s);
    if (name.length == 0) continue;
    const ts = p.num("ts");
    if (isNaN(ts) || ts < c.m.num("cursor")) {
      late++;
      continue;
    }
    advance(c, ts);
    // Any reading shows the machine is reporting; a bad one leaves its state as it was.
    c.m.setNum("last_data", ts);
    if (!apply(c, name, p.get("value"))) {
      bad++;
      continue;
    }
    updateState(c, ts);
  }
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " reading(s) older than the machine's clock (out of order)");
  if (bad > 0) log.warn(device + ": ignored " + bad.toString() + " reading(s) of the wrong type");
  return save(c);
}

function remember(device: string): void {
  let list = kv.get("devices");
  if (list == null || !list.isArr()) list = Value.arr();
  for (let i = 0; i < list.length; i++) if (list.items[i].asStr() == device) return;
  list.push(Value.str(device));
  kv.set("devices", list);
}

/** Closes the shifts and days that have ended by `at` (the schedule's time; now for a manual run). */
function onSchedule(event: Value, s: Settings): i32 {
  let at = event.num("at");
  if (isNaN(at)) at = <f64>nowMs();
  const list = kv.get("devices");
  if (list == null) return 0;
  let status = 0;
  for (let i = 0; i < list.length; i++) {
    const device = list.items[i].asStr();
    const m = kv.get("m:" + device);
    if (m == null) continue;
    const c = load(device, s, at);
    // Only up to the last boundary that has passed: later readings may still arrive.
    let moved = false;
    for (;;) {
      const b = Math.min(c.m.get("shift")!.num("end"), c.m.get("day")!.num("end"));
      if (b > at || b <= c.m.num("cursor")) break;
      advance(c, b);
      moved = true;
    }
    if (moved) status |= save(c);
  }
  return status;
}
