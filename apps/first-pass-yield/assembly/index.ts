// First-pass yield per station, rolled throughput yield of the line, per shift and day,
// and a p-chart of the fraction nonconforming with the Western Electric run rules.
//
//   first-pass yield (one station)   FPY = (n − D) / n       n inspected, D nonconforming
//   rolled throughput yield (line)   RTY = Π FPYₖ over the line's stations that inspected
//   p-chart (Montgomery, Introduction to Statistical Quality Control, 6th ed., 7.2.1, 7.2.2)
//     p̂ᵢ = Dᵢ / nᵢ,  p̄ = Σ Dᵢ / Σ nᵢ over the baseline (phase I)
//     UCLᵢ = p̄ + 3√(p̄(1 − p̄)/nᵢ),  LCLᵢ = max(0, p̄ − 3√(p̄(1 − p̄)/nᵢ))
//     baseline samples beyond their trial limits are dropped once and p̄ recomputed
//     (Example 7.1: samples 15 and 23 dropped, p̄ 0.2313 → 0.2150)
//   run rules on zᵢ = (p̂ᵢ − p̄)/σᵢ (Western Electric Handbook 1956; Montgomery 5.3.6):
//     1 one point beyond 3σ; 2 two of three beyond 2σ on one side; 3 four of five beyond
//     1σ on one side; 4 eight in a row on one side of the centre line
//
// Counts come from counter telemetry (cumulative by default, or increments) or from the
// HTTP trigger `counts`. A sample of the chart is either one sampling period (sample_minutes)
// of counted parts, or one posted inspection sample ("sample": true).
//
// State (crash-only runtime): "s:<station>" counts, open and closed shifts and days;
// "c:<station>" the chart; "stations" the stations seen; "line" RTY of closed periods.
import { Kind, Value, alarm, config, handle, kv, log, nowMs, parse, quote, readUtf8, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY_MS: f64 = 86400000;
const ALARM = "p_chart_out_of_control";
const RULE_NAMES: string[] = ["beyond_3_sigma", "2_of_3_beyond_2_sigma", "4_of_5_beyond_1_sigma", "8_on_one_side"];
/** Accumulator flags: which kinds of count were added. */
const HAS_N: i32 = 1;
const HAS_G: i32 = 2;
const HAS_F: i32 = 4;
/** Records one HTTP request may carry (about 0.2·10⁶ fuel each). */
const MAX_RECORDS: i32 = 1000;

class Settings {
  inspected: string = "part_count";
  passed: string = "";
  failed: string = "reject_count";
  cumulative: bool = true;
  sampleMs: f64 = 3600000;
  minSample: f64 = 1;
  pBar: f64 = NaN;
  baseline: i32 = 20;
  revise: bool = true;
  runRules: bool = true;
  starts: i32[] = [];
  offsetMs: f64 = 8 * 3600000;
  line: string[] = [];
  keepShifts: i32 = 21;
  keepDays: i32 = 31;
  window: i32 = 60;
  fpyProperty: string = "";
  severity: string = "major";
  valid: bool = true;

  signature(): string {
    return this.pBar.toString() + "|" + this.baseline.toString() + "|" + (this.revise ? "r" : "-");
  }
}

function strList(c: Value, key: string, dflt: string[]): string[] {
  const v = c.get(key);
  if (v == null || !v.isArr()) return dflt;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) if (v.items[i].isStr()) out.push(v.items[i].s);
  return out;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.inspected = c.str("inspected_property", "part_count");
  s.passed = c.str("passed_property", "");
  s.failed = c.str("failed_property", "reject_count");
  s.cumulative = c.str("counter_mode", "cumulative") != "increment";
  s.sampleMs = c.num("sample_minutes", 60) * 60000;
  s.minSample = c.num("min_sample", 1);
  s.pBar = c.num("p_bar");
  s.baseline = <i32>c.num("baseline_samples", 20);
  s.revise = c.bool("revise_baseline", true);
  s.runRules = c.bool("run_rules", true);
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.line = strList(c, "line_stations", []);
  s.keepShifts = <i32>c.num("keep_shifts", 21);
  s.keepDays = <i32>c.num("keep_days", 31);
  s.window = <i32>c.num("window", 60);
  s.fpyProperty = c.str("fpy_property", "");
  s.severity = c.str("severity", "major");
  const starts = strList(c, "shift_starts", ["08:00", "16:00", "00:00"]);
  for (let i = 0; i < starts.length; i++) {
    const m = hhmm(starts[i]);
    if (m < 0) {
      log.error("configuration: shift start " + starts[i] + " is not HH:MM");
      s.valid = false;
    } else if (!s.starts.includes(m)) s.starts.push(m);
  }
  s.starts.sort((a: i32, b: i32): i32 => a - b);
  if (
    s.starts.length == 0 || !isFinite(s.offsetMs) || !(s.sampleMs >= 0) || s.baseline < 2 ||
    (!isNaN(s.pBar) && !(s.pBar > 0 && s.pBar < 1)) || !(s.minSample >= 1)
  ) {
    log.error("configuration: at least one shift start; sample_minutes ≥ 0; baseline_samples ≥ 2; 0 < p_bar < 1; min_sample ≥ 1");
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

function fmt(x: f64, digits: i32 = 4): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

/** A finite number as a JSON number that always reads as a float ("1.0", not "1"). */
function floatJson(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e15) return (<i64>x).toString() + ".0";
  return x.toString();
}

/** Derived telemetry as floats (the SDK writes integral numbers without a fraction, see README). */
function writeFloat(device: string, name: string, value: f64, ts: f64): void {
  const req = '{"device":' + quote(device) + ',"ts":' + (<i64>ts).toString() + ',"values":{' + quote(name) + ":" + floatJson(value) + "}}";
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(req);
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const rep = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (rep == null) {
    log.warn(device + ": " + name + " not written: no reply");
    return;
  }
  const ok = rep.get("ok");
  if (ok == null) {
    const e = rep.get("error");
    log.warn(device + ": " + name + " not written: " + (e == null ? "no reply" : e.str("message")));
    return;
  }
  const refused = ok.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": " + name + " refused: " + refused.toString());
}

/** A reading as a number: numbers, booleans as 0/1, numeric text; NaN otherwise. */
function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

// ---- calendar ----

function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY_MS);
}

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

function acc(start: f64, end: f64): Value {
  return Value.obj().setNum("start", start).setNum("end", end).set("c", Value.nums([0, 0, 0, 0]));
}

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
  return acc(start, end).setStr("date", dateOf(day)).setNum("no", <f64>(j + 1));
}

function dayAt(ts: f64, s: Settings): Value {
  const day = localDay(ts, s);
  return acc(dayStart(day, s), dayStart(day + 1, s)).setStr("date", dateOf(day));
}

function periodAt(ts: f64, s: Settings): Value {
  const k = Math.floor((ts + s.offsetMs) / s.sampleMs);
  return acc(k * s.sampleMs - s.offsetMs, (k + 1) * s.sampleMs - s.offsetMs);
}

/** n and D of an accumulator [N, G, F, flags] (see HAS_*); D is clipped to [0, n]. */
class Counts {
  n: f64 = 0;
  d: f64 = 0;
  clipped: bool = false;
}

function countsOf(a: Value): Counts {
  const c = a.get("c")!;
  const N = c.items[0].n, G = c.items[1].n, F = c.items[2].n;
  const flags = <i32>c.items[3].n;
  const out = new Counts();
  if (flags & HAS_N) {
    out.n = N;
    out.d = flags & HAS_F ? F : flags & HAS_G ? N - G : 0;
  } else {
    out.n = G + F;
    out.d = F;
  }
  if (out.d < 0 || out.d > out.n) {
    out.clipped = true;
    out.d = Math.max(0, Math.min(out.n, out.d));
  }
  return out;
}

function addTo(a: Value, N: f64, G: f64, F: f64, flags: i32): void {
  const c = a.get("c")!;
  c.items[0].n += N;
  c.items[1].n += G;
  c.items[2].n += F;
  c.items[3].n = <f64>(<i32>c.items[3].n | flags);
}

// ---- events ----

class Ctx {
  s: Settings;
  station: string;
  st: Value;
  chart: Value | null = null;
  status: i32 = 0;
  /** Samples charted in this event, for the HTTP reply. */
  charted: Value = Value.arr();
  constructor(s: Settings, station: string, st: Value) {
    this.s = s;
    this.station = station;
    this.st = st;
  }
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) return 1;
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "schedule") return onSchedule(event.num("at", <f64>nowMs()), s);
  if (kind == "http") return onHttp(event, s);
  if (kind == "manual") return onManual(event, s);
  log.info("ignored a " + kind + " event");
  return 0;
}

function load(s: Settings, station: string, ts: f64, create: bool): Ctx | null {
  let st = kv.get("s:" + station);
  if (st == null || !st.isObj()) {
    if (!create) return null;
    st = Value.obj()
      .setStr("station", station)
      .set("cum", Value.obj())
      .set("period", Value.null())
      .set("shift", shiftAt(ts, s))
      .set("day", dayAt(ts, s))
      .set("shifts", Value.arr())
      .set("days", Value.arr())
      .setNum("skipped", 0);
    addStation(station);
  }
  return new Ctx(s, station, st);
}

function addStation(station: string): void {
  let list = kv.get("stations");
  if (list == null || !list.isArr()) list = Value.arr();
  for (let i = 0; i < list.length; i++) if (list.items[i].asStr() == station) return;
  list.push(Value.str(station));
  kv.set("stations", list);
}

function save(c: Ctx): i32 {
  if (!kv.set("s:" + c.station, c.st)) {
    log.error(c.station + ": state could not be saved");
    return 1;
  }
  const chart = c.chart;
  if (chart != null && !kv.set("c:" + c.station, chart)) {
    log.error(c.station + ": chart could not be saved");
    return 1;
  }
  return c.status;
}

function onTelemetry(event: Value, s: Settings): i32 {
  const station = event.str("device");
  const points = event.get("points");
  if (station.length == 0 || points == null || !points.isArr()) return 0;
  let relevant = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i].str("property");
    if (isCounter(p, s)) {
      relevant = true;
      break;
    }
  }
  if (!relevant) return 0;
  let first = NaN;
  for (let i = 0; i < points.length; i++) {
    const ts = points.items[i].num("ts");
    if (!isNaN(ts) && (isNaN(first) || ts < first)) first = ts;
  }
  if (isNaN(first)) first = <f64>nowMs();
  const c = load(s, station, first, true)!;
  const cum = c.st.get("cum")!;
  let ignored = 0;
  let late = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const prop = p.str("property");
    if (!isCounter(prop, s)) continue;
    const v = numeric(p.get("value"));
    const ts = p.num("ts");
    if (!isFinite(v) || v < 0 || isNaN(ts)) {
      ignored++;
      continue;
    }
    let delta = v;
    if (s.cumulative) {
      const last = cum.get(prop);
      if (last != null && last.isArr() && last.length == 2) {
        if (ts <= last.items[0].n) {
          late++;
          continue;
        }
        delta = v - last.items[1].n;
        if (delta < 0) {
          log.warn(station + ": " + prop + " went from " + fmt(last.items[1].n) + " to " + fmt(v) + ": counter reset, counting " + fmt(v) + " since the reset");
          delta = v;
        }
      } else {
        cum.set(prop, Value.nums([ts, v]));
        log.info(station + ": first " + prop + " reading " + fmt(v) + ", counting from here");
        continue;
      }
      cum.set(prop, Value.nums([ts, v]));
    }
    if (delta == 0) continue;
    advance(c, ts);
    let flags = 0;
    let N = 0.0, G = 0.0, F = 0.0;
    if (prop == s.inspected) { N = delta; flags = HAS_N; }
    else if (prop == s.passed) { G = delta; flags = HAS_G; }
    else { F = delta; flags = HAS_F; }
    count(c, ts, N, G, F, flags, false);
  }
  if (ignored > 0) log.warn(station + ": ignored " + ignored.toString() + " counter reading(s) that are not non-negative numbers");
  if (late > 0) log.warn(station + ": skipped " + late.toString() + " counter reading(s) not newer than the last one");
  c.st.setNum("skipped", c.st.num("skipped", 0) + <f64>(ignored + late));
  return save(c);
}

function isCounter(p: string, s: Settings): bool {
  return p.length > 0 && (p == s.inspected || p == s.passed || p == s.failed);
}

/** Adds counts at ts to the open period (unless a posted sample), shift and day. */
function count(c: Ctx, ts: f64, N: f64, G: f64, F: f64, flags: i32, sample: bool): void {
  if (!sample && c.s.sampleMs > 0) {
    let p = c.st.get("period")!;
    if (!p.isObj()) {
      p = periodAt(ts, c.s);
      c.st.set("period", p);
    }
    addTo(p, N, G, F, flags);
  }
  addTo(c.st.get("shift")!, N, G, F, flags);
  addTo(c.st.get("day")!, N, G, F, flags);
}

/** Closes the period, shift and day that ended by `at`. */
function advance(c: Ctx, at: f64): void {
  const p = c.st.get("period")!;
  if (p.isObj() && p.num("end") <= at) {
    const k = countsOf(p);
    c.st.set("period", Value.null());
    if (k.clipped) log.warn(c.station + ": more nonconforming than inspected in the sample ending " + fmt(p.num("end"), 0) + ", clipped");
    if (k.n >= c.s.minSample) chartSample(c, p.num("end"), k.n, k.d);
    else if (k.n > 0) log.info(c.station + ": sample of " + fmt(k.n, 0) + " below min_sample, not charted");
  }
  const sh = c.st.get("shift")!;
  if (sh.num("end") <= at) {
    closePeriod(c, sh, true);
    c.st.set("shift", shiftAt(at, c.s));
  }
  const d = c.st.get("day")!;
  if (d.num("end") <= at) {
    closePeriod(c, d, false);
    c.st.set("day", dayAt(at, c.s));
  }
}

function keep(list: Value, v: Value, n: i32): void {
  list.push(v);
  while (list.length > n) list.items.shift();
}

function closePeriod(c: Ctx, a: Value, isShift: bool): void {
  const k = countsOf(a);
  if (k.n <= 0) return; // nothing inspected: not rated
  const fpy = (k.n - k.d) / k.n;
  const rec = Value.obj().setStr("date", a.str("date")).setNum("start", a.num("start")).setNum("n", k.n).setNum("d", k.d).setNum("fpy", fpy);
  if (isShift) rec.setNum("no", a.num("no"));
  keep(c.st.get(isShift ? "shifts" : "days")!, rec, isShift ? c.s.keepShifts : c.s.keepDays);
  const label = isShift ? "shift " + a.str("date") + " #" + fmt(a.num("no"), 0) : "day " + a.str("date");
  log.info(c.station + ": " + label + ": " + fmt(k.n, 0) + " inspected, " + fmt(k.d, 0) + " nonconforming, FPY " + fmt(fpy * 100, 2) + " %");
  if (isShift && c.s.fpyProperty.length > 0) writeFloat(c.station, c.s.fpyProperty, fpy, a.num("end") - 1);
  lineRecord(c, isShift ? a.str("date") + "#" + fmt(a.num("no"), 0) : a.str("date"), isShift, k.n, k.d);
}

function inLine(s: Settings, station: string): bool {
  if (s.line.length == 0) return true;
  for (let i = 0; i < s.line.length; i++) if (s.line[i] == station) return true;
  return false;
}

/** Adds a station's closed shift (or day) to the line's record and recomputes its RTY. */
function lineRecord(c: Ctx, key: string, isShift: bool, n: f64, d: f64): void {
  if (!inLine(c.s, c.station)) return;
  let line = kv.get("line");
  if (line == null || !line.isObj()) line = Value.obj().set("shifts", Value.arr()).set("days", Value.arr());
  const list = line.get(isShift ? "shifts" : "days")!;
  let rec: Value | null = null;
  for (let i = 0; i < list.length; i++) if (list.items[i].str("key") == key) rec = list.items[i];
  if (rec == null) {
    rec = Value.obj().setStr("key", key).set("st", Value.obj());
    keep(list, rec, isShift ? c.s.keepShifts : c.s.keepDays);
  }
  const st = rec.get("st")!;
  st.set(c.station, Value.nums([n, d]));
  let rty = 1.0;
  for (let i = 0; i < st.length; i++) {
    const x = st.items[i];
    rty *= (x.items[0].n - x.items[1].n) / x.items[0].n;
  }
  rec.setNum("rty", rty).setNum("stations", <f64>st.length);
  log.info("line " + (isShift ? "shift " : "day ") + key + ": RTY " + fmt(rty * 100, 2) + " % over " + st.length.toString() + " station(s)");
  kv.set("line", line);
}

// ---- the p-chart ----

function loadChart(c: Ctx): Value {
  let ch = c.chart;
  if (ch != null) return ch;
  let v = kv.get("c:" + c.station);
  const sig = c.s.signature();
  if (v == null || !v.isObj() || v.str("signature") != sig) {
    if (v != null && v.bool("active")) alarm.clear(c.station, ALARM);
    v = Value.obj()
      .setStr("signature", sig)
      .setNum("i", 0)
      .set("base", Value.arr())
      .set("points", Value.arr())
      .set("z", Value.arr())
      .setBool("active", false);
    if (!isNaN(c.s.pBar)) v.setStr("phase", "monitor").setStr("source", "configuration").setNum("p_bar", c.s.pBar);
    else v.setStr("phase", "baseline");
  }
  c.chart = v;
  return v;
}

function sigmaP(pBar: f64, n: f64): f64 {
  return Math.sqrt((pBar * (1 - pBar)) / n);
}

function chartSample(c: Ctx, ts: f64, n: f64, d: f64): void {
  const ch = loadChart(c);
  const i = ch.num("i") + 1;
  ch.setNum("i", i);
  const p = d / n;
  if (ch.str("phase") == "baseline") {
    const base = ch.get("base")!;
    base.push(Value.nums([ts, n, d]));
    log.info(c.station + ": baseline sample " + fmt(i, 0) + ": " + fmt(d, 0) + "/" + fmt(n, 0) + " = " + fmt(p));
    c.charted.push(Value.obj().setStr("station", c.station).setNum("sample", i).setNum("p", p).setStr("phase", "baseline"));
    if (base.length >= c.s.baseline) finishBaseline(c, ch);
    return;
  }
  const pBar = ch.num("p_bar");
  const sg = sigmaP(pBar, n);
  const ucl = pBar + 3 * sg;
  const lcl = Math.max(0, pBar - 3 * sg);
  const z = (p - pBar) / sg;
  const zs = ch.get("z")!;
  zs.push(Value.num(z));
  while (zs.length > 8) zs.items.shift();
  const rules = c.s.runRules ? runRules(zs) : (Math.abs(z) > 3 ? 1 : 0);
  const pts = ch.get("points")!;
  keep(pts, Value.nums([ts, n, d, p, ucl, lcl, <f64>rules]), c.s.window);
  ch.setNum("n", n).setNum("ucl", ucl).setNum("lcl", lcl).setNum("p", p);
  const rec = Value.obj().setStr("station", c.station).setNum("sample", i).setNum("p", p).setNum("ucl", ucl).setNum("lcl", lcl).set("rules", ruleList(rules));
  c.charted.push(rec);
  if (rules != 0) {
    const dir = z > 0 ? "up" : "down";
    const details = Value.obj()
      .setNum("sample", i).setNum("n", n).setNum("nonconforming", d).setNum("p", p)
      .setNum("p_bar", pBar).setNum("ucl", ucl).setNum("lcl", lcl).setNum("z", z)
      .set("rules", ruleList(rules)).setStr("direction", dir);
    const r = alarm.raise(c.station, ALARM, dir == "up" ? c.s.severity : "warning", details);
    if (r == null) log.warn(c.station + ": alarm not raised (is the station a device of the installation's products?)");
    ch.setBool("active", true);
    log.warn(c.station + ": sample " + fmt(i, 0) + " p = " + fmt(p) + " (" + fmt(d, 0) + "/" + fmt(n, 0) + ") out of control: " + ruleList(rules).toString() +
      "; p̄ = " + fmt(pBar) + ", UCL = " + fmt(ucl) + ", LCL = " + fmt(lcl));
  } else {
    if (ch.bool("active")) {
      alarm.clear(c.station, ALARM);
      log.info(c.station + ": sample " + fmt(i, 0) + " back in control");
    }
    ch.setBool("active", false);
    log.debug(c.station + ": sample " + fmt(i, 0) + " p = " + fmt(p) + " in control");
  }
}

/** Bit k−1 set when Western Electric rule k fires at the newest z (the last of `zs`). */
function runRules(zs: Value): i32 {
  const m = zs.length;
  const z = zs.items[m - 1].n;
  let r = 0;
  if (Math.abs(z) > 3) r |= 1;
  const sgn: f64 = z > 0 ? 1 : z < 0 ? -1 : 0;
  if (sgn != 0) {
    // 2 of 3 beyond 2σ and 4 of 5 beyond 1σ, on the side of the newest point, which is one of them.
    if (sgn * z > 2 && m >= 2 && countBeyond(zs, 3, 2, sgn) >= 2) r |= 2;
    if (sgn * z > 1 && m >= 4 && countBeyond(zs, 5, 1, sgn) >= 4) r |= 4;
    if (m >= 8) {
      let all = true;
      for (let k = m - 8; k < m; k++) if (!(sgn * zs.items[k].n > 0)) all = false;
      if (all) r |= 8;
    }
  }
  return r;
}

function countBeyond(zs: Value, last: i32, limit: f64, sgn: f64): i32 {
  let n = 0;
  const m = zs.length;
  for (let k = m - last; k < m; k++) if (k >= 0 && sgn * zs.items[k].n > limit) n++;
  return n;
}

function ruleList(r: i32): Value {
  const out = Value.arr();
  for (let k = 0; k < 4; k++) if (r & (1 << k)) out.push(Value.str(RULE_NAMES[k]));
  return out;
}

/** Phase I: trial limits from the baseline, samples beyond them dropped once, p̄ revised. */
function finishBaseline(c: Ctx, ch: Value): void {
  const base = ch.get("base")!;
  let sn = 0.0, sd = 0.0;
  for (let k = 0; k < base.length; k++) {
    sn += base.items[k].items[1].n;
    sd += base.items[k].items[2].n;
  }
  const p0 = sd / sn;
  if (!(p0 > 0 && p0 < 1)) {
    log.warn(c.station + ": the baseline of " + base.length.toString() + " samples has p̄ = " + fmt(p0) +
      "; a p-chart needs 0 < p̄ < 1 — collecting a new baseline (or configure p_bar)");
    ch.set("base", Value.arr());
    return;
  }
  const out = Value.arr();
  let rn = sn, rd = sd;
  const flags: i32[] = [];
  for (let k = 0; k < base.length; k++) {
    const b = base.items[k];
    const n = b.items[1].n, d = b.items[2].n;
    const sg = sigmaP(p0, n);
    const p = d / n;
    const beyond = p > p0 + 3 * sg || p < p0 - 3 * sg;
    flags.push(beyond ? 1 : 0);
    if (beyond) {
      out.push(Value.int(k + 1));
      if (c.s.revise) {
        rn -= n;
        rd -= d;
      }
    }
  }
  let p1 = rn > 0 ? rd / rn : p0;
  if (!(p1 > 0 && p1 < 1)) p1 = p0;
  const n0 = base.items[0].items[1].n;
  ch.set("trial", Value.obj().setNum("p_bar", p0).setNum("ucl", p0 + 3 * sigmaP(p0, n0)).setNum("lcl", Math.max(0, p0 - 3 * sigmaP(p0, n0))).setNum("n", n0).set("beyond", out));
  log.info(c.station + ": baseline of " + base.length.toString() + " samples: p̄ = " + fmt(sd, 0) + "/" + fmt(sn, 0) + " = " + fmt(p0) +
    (out.length > 0 ? "; samples beyond the trial limits: " + out.toString() : "; all within the trial limits"));
  // The baseline samples against the final limits, for the panel (and flagged in the log).
  const pts = ch.get("points")!;
  const still = Value.arr();
  for (let k = 0; k < base.length; k++) {
    const b = base.items[k];
    const n = b.items[1].n, d = b.items[2].n;
    const sg = sigmaP(p1, n);
    const p = d / n;
    const ucl = p1 + 3 * sg, lcl = Math.max(0, p1 - 3 * sg);
    let f = flags[k] != 0 && c.s.revise ? 16 : 0;
    if (f == 0 && (p > ucl || p < p1 - 3 * sg)) {
      f = 1;
      still.push(Value.int(k + 1));
    }
    keep(pts, Value.nums([b.items[0].n, n, d, p, ucl, lcl, <f64>f]), c.s.window);
  }
  ch.setNum("n", n0).setNum("ucl", p1 + 3 * sigmaP(p1, n0)).setNum("lcl", Math.max(0, p1 - 3 * sigmaP(p1, n0)));
  ch.setStr("phase", "monitor").setStr("source", "baseline").setNum("p_bar", p1).setNum("baseline_n", <f64>base.length)
    .set("dropped", c.s.revise ? out : Value.arr()).set("retained_beyond", still).set("base", Value.arr());
  if (c.s.revise && out.length > 0) {
    log.info(c.station + ": revised p̄ = " + fmt(rd, 0) + "/" + fmt(rn, 0) + " = " + fmt(p1) + ", UCL = " + fmt(p1 + 3 * sigmaP(p1, n0)) +
      ", LCL = " + fmt(Math.max(0, p1 - 3 * sigmaP(p1, n0))) + " (n = " + fmt(n0, 0) + ")");
  }
  if (still.length > 0) log.warn(c.station + ": baseline samples " + still.toString() + " are beyond the revised limits; kept (investigate, or reset the chart once the cause is removed)");
}

// ---- schedule, HTTP, manual ----

function onSchedule(at: f64, s: Settings): i32 {
  const list = kv.get("stations");
  if (list == null || !list.isArr()) return 0;
  let status = 0;
  for (let i = 0; i < list.length; i++) {
    const station = list.items[i].asStr();
    const c = load(s, station, at, false);
    if (c == null) continue;
    const before = c.st.toString();
    advance(c, at);
    if (c.st.toString() != before || c.chart != null) status |= save(c);
  }
  return status;
}

function onHttp(event: Value, s: Settings): i32 {
  const path = event.str("path");
  const body = event.get("body");
  if (path == "report") return report(s);
  if (path != "counts") {
    reply(404, Value.obj().setStr("error", "unknown path " + path));
    return 0;
  }
  if (body == null || !body.isObj()) {
    reply(400, Value.obj().setStr("error", "the body must be a JSON object: {\"station\", \"inspected\", \"failed\" | \"passed\", \"ts\"?, \"sample\"?} or {\"records\": [...]}"));
    return 0;
  }
  const recs = body.get("records");
  const list: Value[] = [];
  if (recs != null && recs.isArr()) {
    for (let i = 0; i < recs.length; i++) list.push(recs.items[i]);
  } else list.push(body);
  if (list.length > MAX_RECORDS) {
    reply(400, Value.obj().setStr("error", "at most " + MAX_RECORDS.toString() + " records a request"));
    return 0;
  }
  const refused = Value.arr();
  const charted = Value.arr();
  let accepted = 0;
  let status = 0;
  let c: Ctx | null = null;
  const now = <f64>nowMs();
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    const why = checkRecord(r);
    if (why.length > 0) {
      refused.push(Value.obj().setNum("index", <f64>i).setStr("reason", why));
      continue;
    }
    const station = r.str("station");
    const ts = r.num("ts", now);
    if (c == null || c.station != station) {
      if (c != null) {
        status |= save(c);
        appendAll(charted, c.charted);
      }
      c = load(s, station, ts, true)!;
    }
    advance(c, ts);
    const hasN = r.get("inspected") != null, hasG = r.get("passed") != null, hasF = r.get("failed") != null;
    const N = r.num("inspected", 0), G = r.num("passed", 0), F = r.num("failed", 0);
    const flags = (hasN ? HAS_N : 0) | (hasG ? HAS_G : 0) | (hasF ? HAS_F : 0);
    const sample = r.bool("sample", false);
    count(c, ts, N, G, F, flags, sample);
    if (sample) {
      const a = acc(ts, ts);
      addTo(a, N, G, F, flags);
      const k = countsOf(a);
      chartSample(c, ts, k.n, k.d);
    }
    accepted++;
  }
  if (c != null) {
    status |= save(c);
    appendAll(charted, c.charted);
  }
  if (refused.length > 0) log.warn("counts: refused " + refused.length.toString() + " record(s): " + refused.toString());
  reply(refused.length > 0 && accepted == 0 ? 400 : 200, Value.obj().setNum("accepted", <f64>accepted).set("refused", refused).set("charted", charted));
  return status;
}

function appendAll(to: Value, from: Value): void {
  for (let i = 0; i < from.length; i++) to.push(from.items[i]);
}

/** Why a posted record cannot be taken ("" when it can). */
function checkRecord(r: Value): string {
  if (!r.isObj()) return "not an object";
  if (r.str("station").length == 0) return "station is required";
  const keys = ["inspected", "passed", "failed"];
  let any = 0;
  for (let k = 0; k < 3; k++) {
    const v = r.get(keys[k]);
    if (v == null) continue;
    if (!v.isNum() || !(v.n >= 0) || !isFinite(v.n)) return keys[k] + " must be a number ≥ 0";
    any++;
  }
  if (any == 0) return "inspected, passed or failed is required";
  const hasN = r.get("inspected") != null;
  const both = r.get("passed") != null && r.get("failed") != null;
  const n = hasN ? r.num("inspected") : r.num("passed", 0) + r.num("failed", 0);
  if (hasN && r.num("failed", 0) > n) return "failed exceeds inspected";
  if (hasN && r.num("passed", 0) > n) return "passed exceeds inspected";
  if (r.bool("sample", false)) {
    // A sample stands alone: its size must be known.
    if (!hasN && !both) return "a sample needs inspected (or both passed and failed)";
    if (!(n > 0)) return "a sample needs inspected > 0";
  }
  const ts = r.get("ts");
  if (ts != null && (!ts.isNum() || !(ts.n > 0))) return "ts must be a time in ms";
  return "";
}

function report(s: Settings): i32 {
  const list = kv.get("stations");
  const out = Value.obj();
  const stations = Value.obj();
  let rtyShift = 1.0, rtyDay = 1.0, used = 0;
  if (list != null && list.isArr()) {
    for (let i = 0; i < list.length; i++) {
      const station = list.items[i].asStr();
      const st = kv.get("s:" + station);
      if (st == null) continue;
      const sh = countsOf(st.get("shift")!), dy = countsOf(st.get("day")!);
      const o = Value.obj()
        .set("shift", Value.obj().setStr("date", st.get("shift")!.str("date")).setNum("no", st.get("shift")!.num("no")).setNum("n", sh.n).setNum("d", sh.d).setNum("fpy", sh.n > 0 ? (sh.n - sh.d) / sh.n : NaN))
        .set("day", Value.obj().setStr("date", st.get("day")!.str("date")).setNum("n", dy.n).setNum("d", dy.d).setNum("fpy", dy.n > 0 ? (dy.n - dy.d) / dy.n : NaN));
      const ch = kv.get("c:" + station);
      if (ch != null) o.set("chart", Value.obj().setStr("phase", ch.str("phase")).setNum("p_bar", ch.num("p_bar")).setNum("samples", ch.num("i")).setBool("out_of_control", ch.bool("active")));
      stations.set(station, o);
      if (inLine(s, station)) {
        if (sh.n > 0) rtyShift *= (sh.n - sh.d) / sh.n;
        if (dy.n > 0) rtyDay *= (dy.n - dy.d) / dy.n;
        used++;
      }
    }
  }
  out.set("stations", stations);
  out.set("rty", Value.obj().setNum("shift", used > 0 ? rtyShift : NaN).setNum("day", used > 0 ? rtyDay : NaN));
  reply(200, out);
  return 0;
}

/** `{"kind": "manual", "reset": "<station>"}` restarts a station's chart (new baseline). */
function onManual(event: Value, s: Settings): i32 {
  const station = event.str("reset");
  if (station.length == 0) {
    log.info("manual run: closing ended periods; send {\"kind\": \"manual\", \"reset\": \"<station>\"} to restart a station's p-chart after corrective action");
    return onSchedule(event.num("at", <f64>nowMs()), s);
  }
  const ch = kv.get("c:" + station);
  if (ch != null && ch.bool("active")) alarm.clear(station, ALARM);
  kv.remove("c:" + station);
  log.info(station + ": p-chart reset");
  return 0;
}
