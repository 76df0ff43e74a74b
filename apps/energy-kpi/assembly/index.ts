// Energy performance indicators per production (ISO 50006:2014, Energy management systems —
// Measuring energy performance using energy baselines (EnB) and energy performance
// indicators (EnPI); ISO 50001): the ratio-type EnPI specific energy consumption
//
//   SEC = E / P        kWh per unit produced, per shift, local day and month
//
// for one EnPI boundary: the energy of its energy devices (power in kW held from reading to
// reading, or a cumulative kWh meter) and the production of its production devices (part
// counters). Each closed period is compared with a target SEC (configured, or the energy
// baseline EnB — the SEC of the first rated periods — less an improvement target); N
// consecutive periods above it raise `sec_above_target`, the first period at or below clears it.
// With a known fixed (base) load, SEC_var = (E − P_base·t)/P shows the part of SEC that does
// not come from producing less (ISO 50006's caution on ratio EnPIs with fixed energy).
//
// State (crash-only runtime): "acc" the open shift/day/month and the run of periods above
// target, "e:<device>" each energy device's last reading, "c:<device>" each production
// counter, "h:shift" / "h:day" / "h:month" the closed periods, "devices" the boundary.
import { Kind, Value, alarm, config, handle, kv, log, nowMs, parse, quote, readUtf8, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY: f64 = 86400000;
const H: f64 = 3600000;
const ALARM = "sec_above_target";
const TYPES: string[] = ["shift", "day", "month"];

class Settings {
  energyDevices: string[] = [];
  productionDevices: string[] = [];
  power: string = "power";
  energy: string = "";
  counter: string = "part_count";
  cumulative: bool = true;
  unit: string = "part";
  maxGapMs: f64 = 300000;
  starts: i32[] = [];
  offsetMs: f64 = 8 * H;
  period: string = "shift";
  target: f64 = NaN;
  baselinePeriods: i32 = 5;
  improvementPct: f64 = 0;
  tolerancePct: f64 = 0;
  consecutive: i32 = 3;
  minProduction: f64 = 1;
  minCoverage: f64 = 0.8;
  baseLoadKw: f64 = NaN;
  keepShifts: i32 = 42;
  keepDays: i32 = 62;
  keepMonths: i32 = 24;
  alarmDevice: string = "";
  severity: string = "warning";
  writeTelemetry: bool = false;
  secProperty: string = "sec";
  valid: bool = true;

  /** What the open periods depend on: a change starts them anew (history is kept). */
  signature(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.starts.length; i++) parts.push(this.starts[i].toString());
    return parts.join(",") + "|" + this.offsetMs.toString();
  }
}

function strList(c: Value, key: string): string[] {
  const out: string[] = [];
  const v = c.get(key);
  if (v == null || !v.isArr()) return out;
  for (let i = 0; i < v.length; i++) if (v.items[i].isStr() && v.items[i].s.length > 0) out.push(v.items[i].s);
  return out;
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

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.energyDevices = strList(c, "energy_devices");
  s.productionDevices = strList(c, "production_devices");
  s.power = c.str("power_property", "power");
  s.energy = c.str("energy_property", "");
  s.counter = c.str("counter_property", "part_count");
  s.cumulative = c.str("counter_mode", "cumulative") != "increment";
  s.unit = c.str("unit", "part");
  s.maxGapMs = c.num("max_gap_s", 300) * 1000;
  s.offsetMs = c.num("utc_offset_h", 8) * H;
  s.period = c.str("alarm_period", "shift");
  s.target = c.num("target_sec");
  s.baselinePeriods = <i32>c.num("baseline_periods", 5);
  s.improvementPct = c.num("target_improvement_pct", 0);
  s.tolerancePct = c.num("tolerance_pct", 0);
  s.consecutive = <i32>c.num("consecutive", 3);
  s.minProduction = c.num("min_production", 1);
  s.minCoverage = c.num("min_coverage_pct", 80) / 100;
  s.baseLoadKw = c.num("base_load_kw");
  s.keepShifts = <i32>c.num("keep_shifts", 42);
  s.keepDays = <i32>c.num("keep_days", 62);
  s.keepMonths = <i32>c.num("keep_months", 24);
  s.alarmDevice = c.str("alarm_device", "");
  s.severity = c.str("severity", "warning");
  s.writeTelemetry = c.bool("write_telemetry", false);
  s.secProperty = c.str("sec_property", "sec");
  const v = c.get("shift_starts");
  const starts: string[] = [];
  if (v != null && v.isArr()) {
    for (let i = 0; i < v.length; i++) if (v.items[i].isStr()) starts.push(v.items[i].s);
  } else {
    starts.push("08:00");
    starts.push("16:00");
    starts.push("00:00");
  }
  for (let i = 0; i < starts.length; i++) {
    const m = hhmm(starts[i]);
    if (m < 0) {
      log.error("configuration: shift start " + starts[i] + " is not HH:MM");
      s.valid = false;
    } else if (!s.starts.includes(m)) s.starts.push(m);
  }
  s.starts.sort((a: i32, b: i32): i32 => a - b);
  if (
    s.starts.length == 0 || (s.power.length == 0 && s.energy.length == 0) || s.counter.length == 0 || !(s.maxGapMs > 0) ||
    (!isNaN(s.target) && !(s.target > 0)) || s.baselinePeriods < 1 || s.consecutive < 1 || !isFinite(s.offsetMs) ||
    (s.period != "shift" && s.period != "day" && s.period != "month")
  ) {
    log.error("configuration: shift starts as HH:MM; a power or energy property; a counter property; max_gap_s > 0; target_sec > 0; baseline_periods ≥ 1; consecutive ≥ 1");
    s.valid = false;
  }
  return s;
}

// ---- helpers ----

function fmt(x: f64, digits: i32 = 4): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

function floatJson(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e15) return (<i64>x).toString() + ".0";
  return x.toString();
}

/** Derived telemetry as a float (the SDK writes integral numbers without a fraction). */
function writeFloat(device: string, name: string, value: f64, ts: f64): void {
  const req = '{"device":' + quote(device) + ',"ts":' + (<i64>ts).toString() + ',"values":{' + quote(name) + ":" + floatJson(value) + "}}";
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(req);
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const rep = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (rep == null) return;
  const ok = rep.get("ok");
  if (ok == null) {
    const e = rep.get("error");
    log.warn(device + ": " + name + " not written: " + (e == null ? "no reply" : e.str("message")));
    return;
  }
  const refused = ok.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": " + name + " refused: " + refused.toString());
}

function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

// ---- calendar ----

function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY);
}

function dayStart(day: f64, s: Settings): f64 {
  return day * DAY - s.offsetMs;
}

/** [year, month, day] of a day number (Howard Hinnant's civil_from_days). */
function civil(day: f64): i64[] {
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
  return [y, m, d];
}

/** The day number of a civil date (Hinnant's days_from_civil). */
function daysFrom(y0: i64, m: i64, d: i64): f64 {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yoe = y - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return <f64>(era * 146097 + doe - 719468);
}

function two(n: i64): string {
  return (n < 10 ? "0" : "") + n.toString();
}

function dateOf(day: f64): string {
  const c = civil(day);
  return c[0].toString() + "-" + two(c[1]) + "-" + two(c[2]);
}

function newAcc(type: string, ts: f64, s: Settings): Value {
  let start = 0.0, end = 0.0, label = "";
  if (type == "shift") {
    let day = localDay(ts, s);
    const tod = (ts + s.offsetMs - day * DAY) / 60000;
    let j = -1;
    for (let i = 0; i < s.starts.length; i++) if (<f64>s.starts[i] <= tod) j = i;
    if (j < 0) {
      j = s.starts.length - 1;
      day -= 1;
    }
    start = dayStart(day, s) + <f64>s.starts[j] * 60000;
    end = j + 1 < s.starts.length ? dayStart(day, s) + <f64>s.starts[j + 1] * 60000 : dayStart(day + 1, s) + <f64>s.starts[0] * 60000;
    label = dateOf(day) + " #" + (j + 1).toString();
  } else if (type == "day") {
    const day = localDay(ts, s);
    start = dayStart(day, s);
    end = dayStart(day + 1, s);
    label = dateOf(day);
  } else {
    const c = civil(localDay(ts, s));
    const first = daysFrom(c[0], c[1], 1);
    const next = c[1] == 12 ? daysFrom(c[0] + 1, 1, 1) : daysFrom(c[0], c[1] + 1, 1);
    start = dayStart(first, s);
    end = dayStart(next, s);
    label = c[0].toString() + "-" + two(c[1]);
  }
  return Value.obj().setStr("label", label).setNum("start", start).setNum("end", end)
    .setNum("e_kwh", 0).setNum("p", 0).setNum("covered_ms", 0);
}

// ---- the context of one event ----

class Ctx {
  s: Settings;
  acc: Value;
  devices: Value;
  devDirty: bool = false;
  records: Map<string, Value> = new Map();
  dirty: Set<string> = new Set();
  hist: Map<string, Value> = new Map();
  histDirty: Set<string> = new Set();
  constructor(s: Settings) {
    this.s = s;
    let a = kv.get("acc");
    if (a == null || !a.isObj() || a.str("sig") != s.signature()) {
      if (a != null && a.isObj()) log.info("the shift configuration changed: the open periods start anew (closed ones are kept)");
      const prev = a;
      a = Value.obj().setStr("sig", s.signature()).set("shift", Value.null()).set("day", Value.null()).set("month", Value.null())
        .setNum("run", 0).set("run_periods", Value.arr()).setBool("active", false).set("enb", Value.obj().setNum("n", 0).setNum("e", 0).setNum("p", 0));
      if (prev != null && prev.isObj()) {
        const enb = prev.get("enb");
        if (enb != null) a.set("enb", enb);
        if (prev.bool("active")) a.setBool("active", true);
      }
    }
    this.acc = a;
    let d = kv.get("devices");
    if (d == null || !d.isObj()) d = Value.obj().set("energy", Value.arr()).set("production", Value.arr());
    this.devices = d;
  }
  record(key: string): Value | null {
    if (this.records.has(key)) return this.records.get(key);
    const v = kv.get(key);
    if (v == null || !v.isObj()) return null;
    this.records.set(key, v);
    return v;
  }
  put(key: string, v: Value): void {
    this.records.set(key, v);
    this.dirty.add(key);
  }
  history(type: string): Value {
    if (this.hist.has(type)) return this.hist.get(type);
    let v = kv.get("h:" + type);
    if (v == null || !v.isArr()) v = Value.arr();
    this.hist.set(type, v);
    return v;
  }
  save(): i32 {
    let status = 0;
    const keys = this.dirty.values();
    for (let i = 0; i < keys.length; i++) {
      if (!kv.set(keys[i], this.records.get(keys[i]))) status = 1;
    }
    const hs = this.histDirty.values();
    for (let i = 0; i < hs.length; i++) if (!kv.set("h:" + hs[i], this.hist.get(hs[i]))) status = 1;
    if (this.devDirty && !kv.set("devices", this.devices)) status = 1;
    if (!kv.set("acc", this.acc)) status = 1;
    if (status != 0) log.error("the state could not be saved");
    return status;
  }
}

function inList(list: string[], name: string): bool {
  if (list.length == 0) return true;
  for (let i = 0; i < list.length; i++) if (list[i] == name) return true;
  return false;
}

function register(c: Ctx, kind: string, device: string): void {
  const l = c.devices.get(kind)!;
  for (let i = 0; i < l.length; i++) if (l.items[i].asStr() == device) return;
  l.push(Value.str(device));
  c.devDirty = true;
  log.info(device + ": " + (kind == "energy" ? "energy" : "production") + " device of the EnPI boundary");
}

/** Opens the periods that are not open yet at `ts`. */
function ensureOpen(c: Ctx, ts: f64): void {
  for (let k = 0; k < 3; k++) {
    const a = c.acc.get(TYPES[k]);
    if (a == null || !a.isObj()) c.acc.set(TYPES[k], newAcc(TYPES[k], ts, c.s));
  }
}

/**
 * Moves the clock to `t`: every period boundary up to `t` is closed in time order, each
 * energy device's last power held up to the boundary (at most max_gap_s after its reading).
 */
function advanceTo(c: Ctx, t: f64): void {
  if (c.acc.get("shift") == null || c.acc.get("shift")!.isNull()) return;
  for (let guard = 0; guard < 2000; guard++) {
    let next = Infinity;
    for (let k = 0; k < 3; k++) next = Math.min(next, c.acc.get(TYPES[k])!.num("end"));
    if (!(next <= t)) return;
    holdAll(c, next);
    for (let k = 0; k < 3; k++) {
      const a = c.acc.get(TYPES[k])!;
      if (a.num("end") == next) {
        closePeriod(c, TYPES[k], a);
        c.acc.set(TYPES[k], newAcc(TYPES[k], next, c.s));
      }
    }
  }
}

/**
 * Each energy device's energy up to the boundary `b`: a power held from its last reading for
 * at most max_gap_s; a meter's time counted as covered (its energy comes with its next reading).
 */
function holdAll(c: Ctx, b: f64): void {
  const l = c.devices.get("energy")!;
  for (let i = 0; i < l.length; i++) {
    const key = "e:" + l.items[i].asStr();
    const r = c.record(key);
    if (r == null) continue;
    const end = Math.min(b, r.num("reading_ts") + c.s.maxGapMs);
    const from = r.num("acc_ts");
    if (!(end > from)) continue;
    add(c, r.str("mode") == "power" ? (r.num("kw") * (end - from)) / H : 0, end - from);
    r.setNum("acc_ts", end);
    c.put(key, r);
  }
}

/** Adds energy (kWh) and covered device-time (ms) to the three open periods. */
function add(c: Ctx, kwh: f64, coveredMs: f64): void {
  for (let k = 0; k < 3; k++) {
    const a = c.acc.get(TYPES[k])!;
    a.setNum("e_kwh", a.num("e_kwh") + kwh).setNum("covered_ms", a.num("covered_ms") + coveredMs);
  }
}

function addProduction(c: Ctx, q: f64): void {
  for (let k = 0; k < 3; k++) {
    const a = c.acc.get(TYPES[k])!;
    a.setNum("p", a.num("p") + q);
  }
}

function keepOf(c: Ctx, type: string): i32 {
  return type == "shift" ? c.s.keepShifts : type == "day" ? c.s.keepDays : c.s.keepMonths;
}

/** The target SEC now: configured, or the EnB less the improvement target (NaN while the EnB is learnt). */
function target(c: Ctx): f64 {
  if (!isNaN(c.s.target)) return c.s.target;
  const enb = c.acc.get("enb")!;
  if (enb.num("n") < <f64>c.s.baselinePeriods || !(enb.num("p") > 0)) return NaN;
  return (enb.num("e") / enb.num("p")) * (1 - c.s.improvementPct / 100);
}

function closePeriod(c: Ctx, type: string, a: Value): void {
  const s = c.s;
  const len = a.num("end") - a.num("start");
  const n = c.devices.get("energy")!.length;
  const coverage = n > 0 && len > 0 ? a.num("covered_ms") / (len * <f64>n) : 0;
  const e = a.num("e_kwh"), p = a.num("p");
  const sec = p > 0 ? e / p : NaN;
  const rated = p >= s.minProduction && coverage >= s.minCoverage - 1e-9;
  const rec = Value.obj().setStr("label", a.str("label")).setNum("start", a.num("start")).setNum("end", a.num("end"))
    .setNum("e_kwh", e).setNum("p", p).setNum("sec", sec).setNum("coverage", coverage).setBool("rated", rated)
    .setNum("mean_kw", len > 0 ? e / (len / H) : NaN);
  if (!isNaN(s.baseLoadKw)) {
    const fixed = s.baseLoadKw * (len / H) * Math.min(1, coverage);
    rec.setNum("fixed_kwh", fixed).setNum("sec_var", p > 0 ? (e - fixed) / p : NaN);
  }
  const enb = c.acc.get("enb")!;
  let tgt = NaN;
  if (type == s.period) {
    tgt = target(c);
    // The energy baseline: the production-weighted SEC of the first rated periods (ISO 50006 EnB).
    if (rated && enb.num("n") < <f64>s.baselinePeriods) {
      enb.setNum("n", enb.num("n") + 1).setNum("e", enb.num("e") + e).setNum("p", enb.num("p") + p);
      if (enb.num("n") == <f64>s.baselinePeriods) {
        enb.setNum("sec", enb.num("e") / enb.num("p")).setStr("until", a.str("label"));
        log.info("energy baseline (EnB) from " + fmt(enb.num("n"), 0) + " " + type + "s: SEC = " + fmt(enb.num("e"), 3) + " kWh / " +
          fmt(enb.num("p"), 0) + " " + s.unit + " = " + fmt(enb.num("sec"), 4) + " kWh/" + s.unit);
      }
    }
    const base = enb.num("sec");
    if (!isNaN(base) && rated) rec.setNum("improvement", (base - sec) / base);
    rec.setNum("target", tgt);
    if (rated && !isNaN(tgt)) {
      const above = sec > tgt * (1 + s.tolerancePct / 100);
      rec.setBool("above", above);
      runRule(c, rec, above, tgt);
    }
    if (s.writeTelemetry && rated && isFinite(sec)) {
      const dev = alarmDevice(c);
      if (dev.length > 0) writeFloat(dev, s.secProperty, sec, a.num("end"));
    }
  }
  const h = c.history(type);
  h.push(rec);
  while (h.length > keepOf(c, type)) h.items.shift();
  c.histDirty.add(type);
  log.info(type + " " + a.str("label") + ": E = " + fmt(e, 3) + " kWh, P = " + fmt(p, 0) + " " + s.unit + ", SEC = " + fmt(sec, 4) +
    " kWh/" + s.unit + ", coverage " + fmt(coverage * 100, 1) + " %" + (rated ? "" : " (not rated)") +
    (!isNaN(tgt) && type == s.period ? ", target " + fmt(tgt, 4) : "") + (rec.has("sec_var") ? ", SEC_var " + fmt(rec.num("sec_var"), 4) : ""));
}

function alarmDevice(c: Ctx): string {
  if (c.s.alarmDevice.length > 0) return c.s.alarmDevice;
  const l = c.devices.get("production")!;
  let best = "";
  for (let i = 0; i < l.length; i++) {
    const n = l.items[i].asStr();
    if (best.length == 0 || n < best) best = n;
  }
  return best;
}

/** N consecutive rated periods above the target raise the alarm; one at or below clears it. */
function runRule(c: Ctx, rec: Value, above: bool, tgt: f64): void {
  const s = c.s;
  const a = c.acc;
  const periods = a.get("run_periods")!;
  if (!above) {
    a.setNum("run", 0).set("run_periods", Value.arr());
    if (a.bool("active")) {
      const dev = alarmDevice(c);
      if (dev.length > 0) alarm.clear(dev, ALARM);
      a.setBool("active", false);
      log.info(s.period + " " + rec.str("label") + ": SEC " + fmt(rec.num("sec"), 4) + " at or below the target " + fmt(tgt, 4) + ": alarm cleared");
    }
    return;
  }
  const run = a.num("run") + 1;
  a.setNum("run", run);
  periods.push(Value.obj().setStr("label", rec.str("label")).setNum("sec", rec.num("sec")).setNum("e_kwh", rec.num("e_kwh")).setNum("p", rec.num("p")));
  while (periods.length > s.consecutive) periods.items.shift();
  if (run >= <f64>s.consecutive && !a.bool("active")) {
    const dev = alarmDevice(c);
    const d = Value.obj().setStr("period", s.period).setNum("consecutive", run).setNum("target", tgt).setStr("unit", "kWh/" + s.unit)
      .set("periods", periods);
    const enb = a.get("enb")!;
    if (!isNaN(enb.num("sec"))) d.setNum("enb", enb.num("sec"));
    if (dev.length == 0 || alarm.raise(dev, ALARM, s.severity, d) == null) log.warn(ALARM + " not raised: no alarm device (set alarm_device)");
    a.setBool("active", true);
    log.warn(fmt(run, 0) + " " + s.period + "s in a row above the target SEC " + fmt(tgt, 4) + " kWh/" + s.unit + ": " + periods.toString());
  }
}

// ---- events ----

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) {
    if (kind == "http") reply(500, Value.obj().setStr("error", "the installation's configuration is not valid (see its log)"));
    return 1;
  }
  const c = new Ctx(s);
  if (kind == "telemetry") onTelemetry(c, event);
  else if (kind == "schedule") advanceTo(c, event.num("at", <f64>nowMs()));
  else if (kind == "http") onHttp(c, event);
  else if (kind == "manual") {
    log.info("manual run: closing ended periods");
    advanceTo(c, event.num("at", <f64>nowMs()));
  } else log.info("ignored a " + kind + " event");
  return c.save();
}

function onTelemetry(c: Ctx, event: Value): void {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return;
  const s = c.s;
  const isEnergy = inList(s.energyDevices, device);
  const isProd = inList(s.productionDevices, device);
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const prop = p.str("property");
    const ts = p.num("ts");
    if (isEnergy && s.energy.length > 0 && prop == s.energy) energyReading(c, device, "meter", numeric(p.get("value")), ts);
    else if (isEnergy && s.power.length > 0 && prop == s.power) {
      // A device with an energy meter is measured by the meter alone.
      const r = c.record("e:" + device);
      if (r != null && r.str("mode") == "meter") continue;
      energyReading(c, device, "power", numeric(p.get("value")), ts);
    } else if (isProd && prop == s.counter) counterReading(c, device, numeric(p.get("value")), ts);
  }
}

function energyReading(c: Ctx, device: string, mode: string, v: f64, ts: f64): void {
  const key = "e:" + device;
  if (!(v >= 0) || !isFinite(v) || isNaN(ts)) {
    log.warn(device + ": ignored a " + (mode == "power" ? c.s.power : c.s.energy) + " reading that is not a number ≥ 0");
    skip(c, key);
    return;
  }
  let r = c.record(key);
  if (r == null || r.str("mode") != mode) {
    if (r == null) register(c, "energy", device);
    else log.info(device + ": reports " + c.s.energy + ": measured by the meter from now on");
    ensureOpen(c, ts);
    advanceTo(c, ts);
    const skipped = r == null ? 0 : r.num("skipped");
    r = Value.obj().setStr("device", device).setStr("mode", mode).setNum("reading_ts", ts).setNum("acc_ts", ts)
      .setNum("skipped", skipped).setNum("gaps", 0).setNum(mode == "power" ? "kw" : "kwh", v);
    c.put(key, r);
    return;
  }
  const last = r.num("reading_ts");
  if (!(ts > last)) {
    if (ts < last) {
      log.warn(device + ": skipped a reading older than the last one");
      skip(c, key);
    }
    return;
  }
  advanceTo(c, ts);
  const from = r.num("acc_ts");
  const gap = ts - last > c.s.maxGapMs;
  if (mode == "power") {
    // The last power held from its reading, at most max_gap_s.
    const end = Math.min(ts, last + c.s.maxGapMs);
    if (end > from) add(c, (r.num("kw") * (end - from)) / H, end - from);
    if (gap) log.warn(device + ": no " + c.s.power + " for " + fmt((ts - last) / 60000, 1) + " min (more than max_gap_s): the gap is not integrated");
    r.setNum("kw", v);
  } else {
    let d = v - r.num("kwh");
    if (d < 0) {
      log.warn(device + ": " + c.s.energy + " went from " + fmt(r.num("kwh"), 3) + " to " + fmt(v, 3) + ": meter reset, counting " + fmt(v, 3) + " kWh since");
      d = v;
    }
    // A meter's energy is known; without a reading for longer than max_gap_s its time is not covered.
    add(c, d, gap ? 0 : Math.max(0, ts - from));
    if (gap) log.warn(device + ": no " + c.s.energy + " for " + fmt((ts - last) / 60000, 1) + " min (more than max_gap_s): its energy counts, the time is not covered");
    r.setNum("kwh", v);
  }
  if (gap) r.setNum("gaps", r.num("gaps") + 1);
  r.setNum("reading_ts", ts).setNum("acc_ts", Math.max(from, ts));
  c.put(key, r);
}

function skip(c: Ctx, key: string): void {
  const r = c.record(key);
  if (r == null) return;
  r.setNum("skipped", r.num("skipped") + 1);
  c.put(key, r);
}

function counterReading(c: Ctx, device: string, v: f64, ts: f64): void {
  const key = "c:" + device;
  let r = c.record(key);
  if (!(v >= 0) || !isFinite(v) || isNaN(ts)) {
    log.warn(device + ": ignored a " + c.s.counter + " reading that is not a number ≥ 0");
    if (r != null) {
      r.setNum("skipped", r.num("skipped") + 1);
      c.put(key, r);
    }
    return;
  }
  if (r == null) {
    register(c, "production", device);
    ensureOpen(c, ts);
    advanceTo(c, ts);
    r = Value.obj().setStr("device", device).setNum("ts", ts).setNum("skipped", 0);
    if (c.s.cumulative) {
      r.setNum("cum", v);
      log.info(device + ": first " + c.s.counter + " reading " + fmt(v, 0) + ", counting from here");
    } else addProduction(c, v);
    c.put(key, r);
    return;
  }
  if (!(ts > r.num("ts"))) {
    if (ts < r.num("ts")) {
      log.warn(device + ": skipped a " + c.s.counter + " reading older than the last one");
      r.setNum("skipped", r.num("skipped") + 1);
      c.put(key, r);
    }
    return;
  }
  advanceTo(c, ts);
  let q = v;
  if (c.s.cumulative) {
    const last = r.num("cum");
    if (v >= last) q = v - last;
    else log.warn(device + ": " + c.s.counter + " went from " + fmt(last, 0) + " to " + fmt(v, 0) + ": counter reset, counting " + fmt(v, 0) + " since");
    r.setNum("cum", v);
  }
  addProduction(c, q);
  r.setNum("ts", ts);
  c.put(key, r);
}

// ---- HTTP: the report ----

function onHttp(c: Ctx, event: Value): void {
  const path = event.str("path");
  if (path != "report") {
    reply(404, Value.obj().setStr("error", "unknown path " + path + " (report)"));
    return;
  }
  const body = event.get("body");
  if (body != null && body.isObj()) {
    const at = body.get("at");
    if (at != null) {
      if (!at.isNum() || !(at.n > 0)) {
        reply(400, Value.obj().setStr("error", "at must be a time in ms"));
        return;
      }
      advanceTo(c, at.n);
    }
  }
  const out = Value.obj().setStr("unit", "kWh/" + c.s.unit).setNum("target", target(c)).setStr("alarm_period", c.s.period)
    .setBool("above_target_alarm", c.acc.bool("active")).setNum("run", c.acc.num("run"));
  const enb = c.acc.get("enb")!;
  out.set("enb", Value.obj().setNum("sec", enb.num("sec")).setNum("periods", enb.num("n")).setNum("of", <f64>c.s.baselinePeriods));
  const open = Value.obj();
  for (let k = 0; k < 3; k++) {
    const a = c.acc.get(TYPES[k]);
    if (a == null || !a.isObj()) continue;
    open.set(TYPES[k], Value.obj().setStr("label", a.str("label")).setNum("e_kwh", a.num("e_kwh")).setNum("p", a.num("p"))
      .setNum("sec", a.num("p") > 0 ? a.num("e_kwh") / a.num("p") : NaN));
  }
  out.set("open", open);
  for (let k = 0; k < 3; k++) {
    const h = c.history(TYPES[k]);
    const lastN = Value.arr();
    for (let i = h.length > 10 ? h.length - 10 : 0; i < h.length; i++) lastN.push(h.items[i]);
    out.set(TYPES[k] + "s", lastN);
  }
  reply(200, out);
}
