// Weaving efficiency per loom and shift, stops per 10⁵ picks by cause, mean stop duration
// and time lost per cause, fabric length, and a warp-break-rate alarm.
//
//   efficiency      η = picks inserted / (rated speed [picks/min] × elapsed minutes):
//                   the picks inserted as a share of those of continuous running at the
//                   rated speed (the weaving literature's loom efficiency, e.g. Adanur,
//                   Handbook of Weaving, 2001; Ormerod & Sondhelm, Weaving: Technology and
//                   Operations, 1995). With the loom at its rated speed it equals running
//                   time / (running time + stopped time).
//   stop rate       stops of a cause / picks × 10⁵
//   mean duration   Σ durations of the cause's stops / their number
//   time lost       stopped time of each cause within the shift (a Pareto)
//   fabric length   picks / (picks per cm × 100)  [m]
//   alarm           warp stops among the last W picks × 10⁵ / W > limit
//
// Elapsed time is the time between readings (at most max_gap_s after a reading), split at
// the configured shift starts (local time). Picks come from the loom's pick counter (a
// decrease is a reset); a loom without a counter has its picks estimated from ppm × running
// time. The rated speed is configured (for all looms, or per loom over HTTP `style`), or
// else the loom's time-weighted mean running speed in the shift.
//
// State, per loom (crash-only runtime): "l:<device>" the live record with the current
// shift; "s:<device>" the closed shifts; "looms" the list.
import { Kind, Value, alarm, config, handle, kv, log, nowMs, parse, quote, readUtf8, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY_MS: f64 = 86400000;
const MIN_MS: f64 = 60000;
const ALARM = "warp_break_rate";
const CAUSES: string[] = ["warp", "weft", "other"];
/** No loom inserts more picks than this per minute (fastest air-jet looms ≈ 2000). */
const MAX_PPM: f64 = 3000;
const RECENT_KEPT = 20;
const WARP_KEPT = 500;

class Settings {
  stateProperty: string = "state";
  running: string[] = ["1"];
  causeProperty: string = "stop_cause";
  warp: string[] = ["1"];
  weft: string[] = ["2"];
  none: string[] = ["0"];
  ppmProperty: string = "ppm";
  countProperty: string = "pick_count";
  ratedPpm: f64 = 0;
  picksPerCm: f64 = 20;
  starts: i32[] = [0, 480, 960];
  offsetMs: f64 = 8 * 3600000;
  maxGapMs: f64 = 300000;
  warpLimit: f64 = 10;
  window: f64 = 100000;
  keepShifts: i32 = 21;
  effProperty: string = "";
  metresProperty: string = "";
  severity: string = "minor";
  valid: bool = true;
}

function strList(c: Value, key: string, dflt: string[]): string[] {
  const v = c.get(key);
  if (v == null || !v.isArr()) return dflt;
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) out.push(asText(v.items[i]));
  return out;
}

/** "HH:MM" → minutes of the day, or -1. */
function hhmm(t: string): i32 {
  const parts = t.split(":");
  if (parts.length != 2 || parts[0].length < 1 || parts[0].length > 2 || parts[1].length != 2) return -1;
  for (let k = 0; k < 2; k++) {
    for (let j = 0; j < parts[k].length; j++) {
      const c = parts[k].charCodeAt(j);
      if (c < 48 || c > 57) return -1;
    }
  }
  const h = I32.parseInt(parts[0]);
  const m = I32.parseInt(parts[1]);
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.stateProperty = c.str("state_property", "state");
  s.running = strList(c, "running_values", ["1"]);
  s.causeProperty = c.str("cause_property", "stop_cause");
  s.warp = strList(c, "warp_values", ["1"]);
  s.weft = strList(c, "weft_values", ["2"]);
  s.none = strList(c, "none_values", ["0"]);
  s.ppmProperty = c.str("ppm_property", "ppm");
  s.countProperty = c.str("count_property", "pick_count");
  s.ratedPpm = c.num("rated_ppm", 0);
  s.picksPerCm = c.num("picks_per_cm", 20);
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.maxGapMs = c.num("max_gap_s", 300) * 1000;
  s.warpLimit = c.num("warp_break_limit", 10);
  s.window = c.num("alarm_window_picks", 100000);
  s.keepShifts = <i32>c.num("keep_shifts", 21);
  s.effProperty = c.str("efficiency_property");
  s.metresProperty = c.str("metres_property");
  s.severity = c.str("severity", "minor");
  const st = strList(c, "shift_starts", ["00:00", "08:00", "16:00"]);
  const starts: i32[] = [];
  for (let i = 0; i < st.length; i++) {
    const m = hhmm(st[i]);
    if (m < 0) {
      log.error("configuration: shift_starts[" + i.toString() + "] = \"" + st[i] + "\" is not HH:MM");
      s.valid = false;
      continue;
    }
    let dup = false;
    for (let j = 0; j < starts.length; j++) if (starts[j] == m) dup = true;
    if (!dup) starts.push(m);
  }
  starts.sort();
  s.starts = starts;
  if (
    s.stateProperty.length == 0 || s.running.length == 0 || starts.length == 0 || !(s.picksPerCm > 0) ||
    !(s.ratedPpm >= 0) || !(s.maxGapMs > 0) || !isFinite(s.offsetMs) || !(s.warpLimit >= 0) || !(s.window >= 1000) || s.keepShifts < 1
  ) {
    log.error("configuration: state_property, running_values and shift_starts are required; picks_per_cm > 0, rated_ppm ≥ 0, max_gap_s > 0, warp_break_limit ≥ 0, alarm_window_picks ≥ 1000");
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

/** A reading as a number: numbers only (a counter or a speed as text is not trusted). */
function numeric(v: Value | null): f64 {
  if (v == null || !v.isNum() || !isFinite(v.n)) return NaN;
  return v.n;
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

function causeOf(s: Settings, v: string): string {
  if (v.length == 0 || inList(s.none, v)) return "";
  if (inList(s.warp, v)) return "warp";
  if (inList(s.weft, v)) return "weft";
  return "other";
}

// ---- calendar and shifts ----

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

class Shift {
  key: string = "";
  start: f64 = 0;
  end: f64 = 0;
}

/** The shift containing ts: it starts at the last configured start at or before ts (local time). */
function shiftAt(ts: f64, s: Settings): Shift {
  const local = ts + s.offsetMs;
  let day = Math.floor(local / DAY_MS);
  const minute = (local - day * DAY_MS) / MIN_MS;
  const n = s.starts.length;
  let i = -1;
  for (let k = 0; k < n; k++) if (<f64>s.starts[k] <= minute) i = k;
  if (i < 0) {
    day -= 1;
    i = n - 1;
  }
  const sh = new Shift();
  sh.start = day * DAY_MS + <f64>s.starts[i] * MIN_MS - s.offsetMs;
  sh.end = i + 1 < n ? day * DAY_MS + <f64>s.starts[i + 1] * MIN_MS - s.offsetMs : (day + 1) * DAY_MS + <f64>s.starts[0] * MIN_MS - s.offsetMs;
  sh.key = dateOf(day) + " " + pad2(s.starts[i] / 60) + ":" + pad2(s.starts[i] % 60);
  return sh;
}

function newShift(sh: Shift): Value {
  const c = Value.obj();
  for (let i = 0; i < CAUSES.length; i++) c.set(CAUSES[i], Value.nums([0, 0, 0]));
  return Value.obj()
    .setStr("key", sh.key)
    .setNum("start", sh.start)
    .setNum("end", sh.end)
    .setNum("el", 0)
    .setNum("run", 0)
    .setNum("picks", 0)
    .setNum("est", 0)
    .setNum("exp", 0)
    .setNum("elnr", 0)
    .setNum("unk", 0)
    .setNum("spd", 0)
    .setNum("m", 0)
    .set("c", c);
}

function add(o: Value, key: string, x: f64): void {
  o.setNum(key, o.num(key, 0) + x);
}

function addCause(rec: Value, cause: string, idx: i32, x: f64): void {
  const c = rec.get("c")!.get(cause);
  if (c == null) return;
  c.items[idx].n += x;
}

/**
 * Efficiency of a shift record: picks / expected picks, the expected picks being the rated
 * speed × elapsed time (a configured rated speed accrues in `exp`; time without one, `elnr`,
 * takes the shift's mean running speed Σ ppm·t / running time).
 */
function finish(rec: Value): void {
  const run = rec.num("run");
  const mean = run > 0 && rec.num("spd") > 0 ? rec.num("spd") / run : NaN;
  let exp = rec.num("exp");
  const elnr = rec.num("elnr");
  if (elnr > 0) exp = isNaN(mean) ? NaN : exp + (mean * elnr) / MIN_MS;
  const el = rec.num("el") - rec.num("unk", 0);
  rec.setNum("expected", exp);
  rec.setNum("rated_ppm", el > 0 ? (exp * MIN_MS) / el : NaN);
  rec.setNum("eff", exp > 0 ? rec.num("picks") / exp : NaN);
  rec.setNum("run_speed", mean);
}

// ---- derived telemetry (always floats: "0.0", not "0") ----

function floatJson(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e15) return (<i64>x).toString() + ".0";
  return x.toString();
}

function writeFloats(device: string, names: string[], values: f64[], ts: f64): bool {
  const parts: string[] = ['{"device":', quote(device), ',"ts":', (<i64>ts).toString(), ',"values":{'];
  for (let i = 0; i < names.length; i++) {
    if (i > 0) parts.push(",");
    parts.push(quote(names[i]) + ":" + floatJson(values[i]));
  }
  parts.push("}}");
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(parts.join(""));
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const rep = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (rep == null) {
    log.warn(device + ": derived telemetry not written: no reply");
    return false;
  }
  const ok = rep.get("ok");
  if (ok == null) {
    const e = rep.get("error");
    log.warn(device + ": derived telemetry not written: " + (e == null ? "no reply" : e.str("message")));
    return false;
  }
  const refused = ok.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": derived telemetry refused: " + refused.toString());
  return true;
}

// ---- per loom ----

class Loom {
  device: string;
  l: Value;
  shifts: Value | null = null;
  shiftsDirty: bool = false;
  /** Shifts closed during the readings being processed, announced once those are in. */
  justClosed: string[] = [];
  status: i32 = 0;
  constructor(device: string, l: Value) {
    this.device = device;
    this.l = l;
  }
  closed(): Value {
    let x = this.shifts;
    if (x == null) {
      x = kv.get("s:" + this.device);
      if (x == null || !x.isObj()) x = Value.obj();
      this.shifts = x;
    }
    return x;
  }
  /** The record of shift `key`: the current one, or a closed one (null when no longer kept). */
  record(key: string): Value | null {
    const cur = this.l.get("cur")!;
    if (cur.isObj() && cur.str("key") == key) return cur;
    const r = this.closed().get(key);
    if (r != null) this.shiftsDirty = true;
    return r;
  }
}

function loadLoom(device: string, create: bool): Loom | null {
  let l = kv.get("l:" + device);
  if (l == null || !l.isObj()) {
    if (!create) return null;
    l = Value.obj()
      .setStr("device", device)
      .set("last_ts", Value.null())
      .set("run", Value.null())
      .set("ppm", Value.null())
      .set("count", Value.null())
      .set("count_ts", Value.null())
      .setBool("counter", false)
      .setStr("cause_v", "")
      .set("cause_ts", Value.null())
      .setNum("total", 0)
      .set("stop", Value.null())
      .set("cur", Value.null())
      .set("warp", Value.arr())
      .set("warp_rate", Value.null())
      .setBool("alarm", false)
      .set("recent", Value.arr())
      .set("style", Value.obj())
      .setNum("skipped", 0);
    let list = kv.get("looms");
    if (list == null || !list.isArr()) list = Value.arr();
    list.push(Value.str(device));
    kv.set("looms", list);
  }
  return new Loom(device, l);
}

function saveLoom(x: Loom, s: Settings): i32 {
  const cur = x.l.get("cur")!;
  if (cur.isObj()) finish(cur);
  let ok = kv.set("l:" + x.device, x.l);
  const sh = x.shifts;
  if (sh != null && x.shiftsDirty) {
    for (let i = 0; i < sh.length; i++) finish(sh.items[i]);
    ok = kv.set("s:" + x.device, sh) && ok;
  }
  if (!ok) {
    log.error(x.device + ": state could not be saved");
    return 1;
  }
  return x.status;
}

function ratedFor(x: Loom, s: Settings): f64 {
  const r = x.l.get("style")!.num("rated_ppm");
  if (r > 0) return r;
  return s.ratedPpm;
}

function ppcmFor(x: Loom, s: Settings): f64 {
  const r = x.l.get("style")!.num("picks_per_cm");
  if (r > 0) return r;
  return s.picksPerCm;
}

/** Makes `sh` the current shift, closing the one before. */
function enterShift(x: Loom, s: Settings, sh: Shift): Value {
  const cur = x.l.get("cur")!;
  if (cur.isObj() && cur.str("key") == sh.key) return cur;
  if (cur.isObj()) closeShift(x, s, cur);
  const n = newShift(sh);
  x.l.set("cur", n);
  return n;
}

function closeShift(x: Loom, s: Settings, cur: Value): void {
  finish(cur);
  const map = x.closed();
  map.set(cur.str("key"), cur);
  // Keep the newest keep_shifts (keys sort by time).
  if (map.length > s.keepShifts) {
    const keys = map.keys.slice();
    keys.sort();
    const out = Value.obj();
    for (let i = keys.length - s.keepShifts; i < keys.length; i++) out.set(keys[i], map.get(keys[i])!);
    x.shifts = out;
  }
  x.shiftsDirty = true;
  x.justClosed.push(cur.str("key"));
}

/**
 * Logs (and writes, when configured) the shifts closed by the readings of one time, after
 * those readings are in: picks of the step and a stop that ends at that time may still
 * belong to the closed shift.
 */
function announceClosed(x: Loom, s: Settings): void {
  for (let k = 0; k < x.justClosed.length; k++) {
    const cur = x.closed().get(x.justClosed[k]);
    if (cur != null) announce(x, s, cur);
  }
  x.justClosed.length = 0;
}

function announce(x: Loom, s: Settings, cur: Value): void {
  finish(cur);
  const lost = cur.get("c")!;
  log.info(
    x.device + ": shift " + cur.str("key") + " closed: efficiency " + fmt(cur.num("eff") * 100, 2) + " %, " + fmt(cur.num("picks"), 0) + " picks, " +
      fmt(cur.num("m"), 2) + " m, stops warp/weft/other " + fmt(lost.get("warp")!.items[0].n, 0) + "/" + fmt(lost.get("weft")!.items[0].n, 0) + "/" + fmt(lost.get("other")!.items[0].n, 0),
  );
  const names: string[] = [];
  const vals: f64[] = [];
  if (s.effProperty.length > 0 && isFinite(cur.num("eff"))) { names.push(s.effProperty); vals.push(cur.num("eff")); }
  if (s.metresProperty.length > 0) { names.push(s.metresProperty); vals.push(cur.num("m")); }
  if (names.length > 0 && !writeFloats(x.device, names, vals, cur.num("end") - 1)) x.status = 2;
}

/** Picks inserted: into the shift records in proportion to the running time of the step. */
function addPicks(x: Loom, s: Settings, picks: f64, runKeys: string[], runMs: f64[], estimated: bool): void {
  let total = 0.0;
  for (let i = 0; i < runMs.length; i++) total += runMs[i];
  const ppcm = ppcmFor(x, s);
  if (total <= 0) {
    const cur = x.l.get("cur")!;
    if (!cur.isObj()) return;
    add(cur, "picks", picks);
    if (estimated) add(cur, "est", picks);
    add(cur, "m", picks / (ppcm * 100));
  } else {
    for (let i = 0; i < runKeys.length; i++) {
      const rec = x.record(runKeys[i]);
      if (rec == null) continue;
      const p = (picks * runMs[i]) / total;
      add(rec, "picks", p);
      if (estimated) add(rec, "est", p);
      add(rec, "m", p / (ppcm * 100));
    }
  }
  x.l.setNum("total", x.l.num("total") + picks);
}

/**
 * Time from the last reading to ts, at most max_gap_s, goes to the shifts it falls in, as
 * running or stopped time by the state held. Returns whether part of it was not counted.
 */
function advance(x: Loom, s: Settings, ts: f64, runKeys: string[], runMs: f64[]): bool {
  const l = x.l;
  const last = l.num("last_ts");
  if (isNaN(last) || !(ts > last)) return false;
  const counted = Math.min(ts - last, s.maxGapMs);
  const runV = l.get("run")!;
  const known = runV.kind == Kind.Bool;
  const running = known && runV.b;
  const ppm = l.num("ppm");
  const rated = ratedFor(x, s);
  const source = l.bool("counter") || !isNaN(ppm);
  const stop = l.get("stop")!;
  let a = last;
  const to = last + counted;
  while (a < to) {
    const sh = shiftAt(a, s);
    const end = Math.min(to, sh.end);
    const ms = end - a;
    const rec = enterShift(x, s, sh);
    if (known) {
      add(rec, "el", ms);
      // Time without any source of picks (no counter, no speed yet) is left out of the efficiency.
      if (!source) add(rec, "unk", ms);
      else if (rated > 0) add(rec, "exp", (rated * ms) / MIN_MS);
      else add(rec, "elnr", ms);
      if (running) {
        add(rec, "run", ms);
        if (ppm >= 0) add(rec, "spd", ppm * ms);
        runKeys.push(sh.key);
        runMs.push(ms);
        // A loom without a pick counter: picks estimated from the speed.
        if (!l.bool("counter") && ppm > 0) addPicks(x, s, (ppm * ms) / MIN_MS, [sh.key], [ms], true);
      } else if (stop.isObj()) {
        stop.setNum("ms", stop.num("ms") + ms);
        const pieces = stop.get("pieces")!;
        pieces.setNum(sh.key, pieces.num(sh.key, 0) + ms);
      }
    }
    a = end;
  }
  // The shift of this reading (a gap may have skipped shifts).
  enterShift(x, s, shiftAt(ts, s));
  if (ts - last > s.maxGapMs) {
    log.warn(x.device + ": no reading for " + fmt((ts - last) / MIN_MS, 1) + " min; " + fmt((ts - last - counted) / MIN_MS, 1) + " min not counted");
    return true;
  }
  return false;
}

function openStop(x: Loom, s: Settings, ts: f64): void {
  const l = x.l;
  const cause = l.num("cause_ts") == ts ? causeOf(s, l.str("cause_v")) : "";
  const sh = shiftAt(ts, s);
  l.set(
    "stop",
    Value.obj().setNum("start", ts).setStr("shift", sh.key).setStr("cause", cause).setNum("ms", 0).setNum("picks_at", l.num("total")).set("pieces", Value.obj()),
  );
}

function closeStop(x: Loom, s: Settings, ts: f64): void {
  const l = x.l;
  const stop = l.get("stop")!;
  let cause = stop.str("cause");
  if (cause.length == 0) cause = "other";
  const pieces = stop.get("pieces")!;
  for (let i = 0; i < pieces.length; i++) {
    const rec = x.record(pieces.keys[i]);
    if (rec != null) addCause(rec, cause, 2, pieces.items[i].n);
  }
  const first = x.record(stop.str("shift"));
  if (first != null) {
    addCause(first, cause, 0, 1);
    addCause(first, cause, 1, stop.num("ms"));
  }
  const recent = l.get("recent")!;
  recent.push(Value.obj().setNum("start", stop.num("start")).setNum("end", ts).setStr("cause", cause).setNum("ms", stop.num("ms")));
  while (recent.length > RECENT_KEPT) recent.items.shift();
  if (cause == "warp") {
    const w = l.get("warp")!;
    w.push(Value.num(stop.num("picks_at")));
    while (w.length > WARP_KEPT) w.items.shift();
  }
  log.info(x.device + ": " + cause + " stop of " + fmt(stop.num("ms") / MIN_MS, 2) + " min ended");
  l.set("stop", Value.null());
}

/** Warp stops among the last `window` picks, per 10⁵ picks; the alarm follows the limit. */
function checkWarp(x: Loom, s: Settings): void {
  const l = x.l;
  const total = l.num("total");
  const w = l.get("warp")!;
  // Warp stops older than the window go.
  while (w.length > 0 && w.items[0].n <= total - s.window) w.items.shift();
  if (total < s.window) {
    l.set("warp_rate", Value.null());
    return;
  }
  const rate = (<f64>w.length * 100000) / s.window;
  l.setNum("warp_rate", rate);
  const active = l.bool("alarm");
  if (rate > s.warpLimit && !active) {
    const d = Value.obj().setNum("rate_per_1e5_picks", rate).setNum("limit", s.warpLimit).setNum("warp_stops", <f64>w.length).setNum("window_picks", s.window);
    if (alarm.raise(x.device, ALARM, s.severity, d) == null) {
      log.warn(x.device + ": alarm not raised");
      x.status = 2;
    }
    l.setBool("alarm", true);
    log.warn(x.device + ": " + fmt(rate, 2) + " warp stops per 10⁵ picks over the last " + fmt(s.window, 0) + " picks (limit " + fmt(s.warpLimit, 2) + ")");
  } else if (rate <= s.warpLimit && active) {
    alarm.clear(x.device, ALARM);
    l.setBool("alarm", false);
    log.info(x.device + ": warp stop rate back to " + fmt(rate, 2) + " per 10⁵ picks");
  }
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) return 1;
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "http") return onHttp(event, s);
  if (kind == "manual") {
    log.info("manual run: POST …/http/report {\"date\": \"YYYY-MM-DD\"} for a day's shifts, …/http/style {\"device\", \"rated_ppm\", \"picks_per_cm\", \"style\"} for a loom's article");
    return 0;
  }
  log.info("ignored a " + kind + " event");
  return 0;
}

function relevant(p: string, s: Settings): bool {
  return p == s.stateProperty || p == s.causeProperty || p == s.ppmProperty || p == s.countProperty;
}

function onTelemetry(event: Value, s: Settings): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const pts: Value[] = [];
  let untimed = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (!relevant(p.str("property"), s)) continue;
    if (isNaN(p.num("ts"))) {
      untimed++;
      continue;
    }
    pts.push(p);
  }
  if (pts.length == 0) return 0;
  // Oldest first; stable, so readings of the same time keep the message's order.
  for (let i = 1; i < pts.length; i++) {
    const v = pts[i];
    let j = i - 1;
    while (j >= 0 && pts[j].num("ts") > v.num("ts")) {
      pts[j + 1] = pts[j];
      j--;
    }
    pts[j + 1] = v;
  }
  const x = loadLoom(device, true)!;
  const l = x.l;
  let late = 0, bad = 0;
  let i = 0;
  while (i < pts.length) {
    const ts = pts[i].num("ts");
    let j = i;
    while (j < pts.length && pts[j].num("ts") == ts) j++;
    const last = l.num("last_ts");
    if (!isNaN(last) && ts < last) {
      late += j - i;
      i = j;
      continue;
    }
    bad += group(x, s, pts, i, j, ts);
    i = j;
  }
  if (untimed > 0) log.warn(device + ": ignored " + untimed.toString() + " reading(s) without a time");
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " reading(s) older than the last one");
  if (bad > 0) log.warn(device + ": ignored " + bad.toString() + " reading(s) with an unusable value");
  l.setNum("skipped", l.num("skipped") + <f64>(late + bad + untimed));
  checkWarp(x, s);
  return saveLoom(x, s);
}

/** The readings pts[i..j) of one time. Returns the number of unusable ones. */
function group(x: Loom, s: Settings, pts: Value[], i: i32, j: i32, ts: f64): i32 {
  const l = x.l;
  const runKeys: string[] = [];
  const runMs: f64[] = [];
  const gap = advance(x, s, ts, runKeys, runMs);
  if (!l.get("cur")!.isObj()) enterShift(x, s, shiftAt(ts, s));
  let bad = 0;
  let state = "";
  let hasState = false;
  for (let k = i; k < j; k++) {
    const p = pts[k];
    const prop = p.str("property");
    const v = p.get("value");
    if (prop == s.ppmProperty) {
      const n = numeric(v);
      if (isNaN(n) || n < 0 || n > MAX_PPM) bad++;
      else l.setNum("ppm", n);
    }
    if (prop == s.countProperty) {
      const n = numeric(v);
      if (isNaN(n) || n < 0) bad++;
      else count(x, s, n, ts, gap, runKeys, runMs);
    }
    if (prop == s.causeProperty) {
      const t = asText(v);
      if (t.length == 0) bad++;
      else {
        l.setStr("cause_v", t).setNum("cause_ts", ts);
        const stop = l.get("stop")!;
        if (stop.isObj() && stop.str("cause").length == 0) stop.setStr("cause", causeOf(s, t));
      }
    }
    if (prop == s.stateProperty) {
      const t = asText(v);
      if (t.length == 0) bad++;
      else {
        state = t;
        hasState = true;
      }
    }
  }
  if (hasState) {
    const run = inList(s.running, state);
    const stop = l.get("stop")!;
    if (!run && !stop.isObj()) openStop(x, s, ts);
    else if (run && stop.isObj()) closeStop(x, s, ts);
    l.setBool("run", run);
  }
  l.setNum("last_ts", ts);
  announceClosed(x, s);
  return bad;
}

/** A pick-counter reading. */
function count(x: Loom, s: Settings, n: f64, ts: f64, gap: bool, runKeys: string[], runMs: f64[]): void {
  const l = x.l;
  const prev = l.num("count");
  const prevTs = l.num("count_ts");
  if (!l.bool("counter")) log.info(x.device + ": pick counter " + s.countProperty + " found; picks are counted from it");
  l.setBool("counter", true).setNum("count", n).setNum("count_ts", ts);
  if (isNaN(prev)) return;
  let inc = n - prev;
  if (inc < 0) {
    log.warn(x.device + ": " + s.countProperty + " fell from " + fmt(prev, 0) + " to " + fmt(n, 0) + ": counter reset, counting from 0");
    inc = n;
  }
  if (gap) {
    // Only the counted running time's share: at most its time × the speed held (or rated).
    let run = 0.0;
    for (let i = 0; i < runMs.length; i++) run += runMs[i];
    const v = l.num("ppm") > 0 ? l.num("ppm") : ratedFor(x, s);
    const keep = Math.min(inc, v > 0 ? Math.round((v * run) / MIN_MS) : 0);
    if (inc > keep) log.warn(x.device + ": " + fmt(inc - keep, 0) + " picks over a gap in the data not counted");
    if (keep > 0) addPicks(x, s, keep, runKeys, runMs, false);
    return;
  }
  const dt = ts - prevTs;
  if (inc > (MAX_PPM * dt) / MIN_MS + 1) {
    log.warn(x.device + ": " + s.countProperty + " rose by " + fmt(inc, 0) + " in " + fmt(dt / 1000, 0) + " s, more than any loom weaves: not counted");
    return;
  }
  if (inc > 0) addPicks(x, s, inc, runKeys, runMs, false);
}

// ---- HTTP: report and per-loom style ----

function onHttp(event: Value, s: Settings): i32 {
  const path = event.str("path");
  let body = event.get("body");
  if (body == null || body.isNull()) body = Value.obj();
  if (!body.isObj()) {
    reply(400, Value.obj().setStr("error", "the body must be a JSON object"));
    return 0;
  }
  if (path == "report") return report(body, s);
  if (path == "style") return style(body, s);
  reply(404, Value.obj().setStr("error", "unknown path " + path + " (report, style)"));
  return 0;
}

/** {"device", "rated_ppm"?, "picks_per_cm"?, "style"?}: a loom's article (0 or null: back to the configuration). */
function style(body: Value, s: Settings): i32 {
  const device = body.str("device");
  if (device.length == 0) {
    reply(400, Value.obj().setStr("error", "device is required"));
    return 0;
  }
  const keys = ["rated_ppm", "picks_per_cm"];
  for (let i = 0; i < keys.length; i++) {
    const v = body.get(keys[i]);
    if (v != null && !v.isNull() && !(v.isNum() && v.n >= 0 && v.n <= (i == 0 ? MAX_PPM : 1000))) {
      reply(400, Value.obj().setStr("error", keys[i] + " must be a number from 0 to " + (i == 0 ? "3000" : "1000") + " (0 or null: the configuration's)"));
      return 0;
    }
  }
  const x = loadLoom(device, true)!;
  const st = x.l.get("style")!;
  for (let i = 0; i < keys.length; i++) {
    const v = body.get(keys[i]);
    if (v == null) continue;
    if (v.isNull() || v.n == 0) st.set(keys[i], Value.null());
    else st.setNum(keys[i], v.n);
  }
  const name = body.get("style");
  if (name != null && name.isStr()) st.setStr("style", name.s.length > 64 ? name.s.substring(0, 64) : name.s);
  log.info(device + ": style " + st.toString());
  const status = saveLoom(x, s);
  reply(200, Value.obj().setStr("device", device).set("style", st).setNum("rated_ppm", ratedFor(x, s)).setNum("picks_per_cm", ppcmFor(x, s)));
  return status;
}

/** A shift record as reported: efficiency, production, and per cause the stops, their rate, mean duration and time lost. */
function summary(rec: Value): Value {
  finish(rec);
  const picks = rec.num("picks");
  const c = rec.get("c")!;
  const causes = Value.obj();
  const order: string[] = [];
  const lostAll: f64[] = [];
  let totalLost = 0.0;
  let stops = 0.0;
  for (let i = 0; i < CAUSES.length; i++) {
    const e = c.get(CAUSES[i])!.items;
    const n = e[0].n;
    stops += n;
    totalLost += e[2].n;
    causes.set(
      CAUSES[i],
      Value.obj()
        .setNum("stops", n)
        .setNum("per_1e5_picks", picks > 0 ? (n * 100000) / picks : NaN)
        .setNum("mean_min", n > 0 ? e[1].n / n / MIN_MS : NaN)
        .setNum("lost_min", e[2].n / MIN_MS),
    );
    order.push(CAUSES[i]);
    lostAll.push(e[2].n);
  }
  // Pareto: causes by time lost, largest first, with the cumulative share.
  for (let i = 1; i < order.length; i++) {
    const k = order[i], v = lostAll[i];
    let j = i - 1;
    while (j >= 0 && lostAll[j] < v) {
      order[j + 1] = order[j];
      lostAll[j + 1] = lostAll[j];
      j--;
    }
    order[j + 1] = k;
    lostAll[j + 1] = v;
  }
  const pareto = Value.arr();
  let cum = 0.0;
  for (let i = 0; i < order.length; i++) {
    cum += lostAll[i];
    pareto.push(Value.obj().setStr("cause", order[i]).setNum("lost_min", lostAll[i] / MIN_MS).setNum("cumulative", totalLost > 0 ? cum / totalLost : NaN));
  }
  return Value.obj()
    .setStr("shift", rec.str("key"))
    .setNum("efficiency", rec.num("eff"))
    .setNum("picks", picks)
    .setNum("estimated_picks", rec.num("est"))
    .setNum("metres", rec.num("m"))
    .setNum("elapsed_min", rec.num("el") / MIN_MS)
    .setNum("unknown_min", rec.num("unk", 0) / MIN_MS)
    .setNum("running_min", rec.num("run") / MIN_MS)
    .setNum("rated_ppm", rec.num("rated_ppm"))
    .setNum("running_speed_ppm", rec.num("run_speed"))
    .setNum("stops", stops)
    .setNum("stops_per_1e5_picks", picks > 0 ? (stops * 100000) / picks : NaN)
    .setNum("lost_min", totalLost / MIN_MS)
    .set("causes", causes)
    .set("pareto", pareto);
}

/** {"date"?: "YYYY-MM-DD", "device"?}: the shifts that began on that local date (default today). */
function report(body: Value, s: Settings): i32 {
  const date = body.str("date", dateOf(Math.floor((<f64>nowMs() + s.offsetMs) / DAY_MS)));
  const only = body.str("device");
  const list = kv.get("looms");
  const looms = Value.obj();
  if (list != null && list.isArr()) {
    for (let i = 0; i < list.length; i++) {
      const dev = list.items[i].asStr();
      if (only.length > 0 && dev != only) continue;
      const x = loadLoom(dev, false);
      if (x == null) continue;
      const recs: Value[] = [];
      const closed = x.closed();
      for (let k = 0; k < closed.length; k++) if (closed.keys[k].startsWith(date)) recs.push(closed.items[k]);
      const cur = x.l.get("cur")!;
      if (cur.isObj() && cur.str("key").startsWith(date)) recs.push(cur);
      if (recs.length == 0) continue;
      const out = Value.arr();
      for (let k = 0; k < recs.length; k++) out.push(summary(recs[k]));
      const st = x.l.get("stop")!;
      looms.set(
        dev,
        Value.obj()
          .set("shifts", out)
          .setBool("running", x.l.bool("run"))
          .set("open_stop", st)
          .set("warp_rate", x.l.get("warp_rate")!)
          .setBool("alarm", x.l.bool("alarm")),
      );
    }
  }
  if (only.length > 0 && looms.length == 0) {
    reply(404, Value.obj().setStr("error", "no shifts of " + only + " on " + date));
    return 0;
  }
  reply(200, Value.obj().setStr("date", date).set("looms", looms));
  return 0;
}
