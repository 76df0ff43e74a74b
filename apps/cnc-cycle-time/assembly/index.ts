// Cycle time per part from a machine's part counter, per program, against a standard time
// and the takt time.
//
// Definitions (Rother & Shook, Learning to See, Lean Enterprise Institute, 1999):
//   cycle time (C/T)  how often a part is actually completed by a process, as timed by
//                     observation: here the time between two increments of part_count;
//   takt time         available working time per shift ÷ customer demand per shift
//                     (their Acme Stamping example: 27,600 s ÷ 460 pieces = 60 s).
//
// Per program over the last `window` cycles: count, mean, sample standard deviation,
// minimum, maximum and the 50th/90th/95th percentiles (linear interpolation between
// order statistics, Hyndman & Fan type 7 — Excel's PERCENTILE.INC); throughput at the
// mean cycle = 3600/mean parts per hour; the ratio of the mean to the takt time.
// Cycles are left out of the distribution when the program changed since the previous
// part (changeover), when they are longer than max_cycle_s (the machine stood), or when
// one reading counted several parts (only their average is known).
//
// Alarms: slow_cycle when a cycle exceeds the program's standard time (configured, or
// the median of its recent cycles) by more than slow_tolerance; cycle_over_takt when the
// program's mean cycle exceeds the takt time. Crash-only runtime: state in "c:<device>".
import { Value, alarm, config, handle, kv, log, parse, quote, readUtf8 } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const RECENT_KEPT = 50;
const PROGRAMS_KEPT = 30;

class Settings {
  countProperty: string = "part_count";
  programProperty: string = "program";
  standards: Value = Value.obj();
  defaultStandard: f64 = 0;
  slowTolerance: f64 = 0.2;
  minCycles: i32 = 5;
  window: i32 = 100;
  maxCycle: f64 = 3600;
  takt: f64 = 0;
  cycleProperty: string = "";
  valid: bool = true;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.countProperty = c.str("count_property", "part_count");
  s.programProperty = c.str("program_property", "program");
  const list = c.get("standards");
  if (list != null && list.isArr()) {
    for (let i = 0; i < list.length; i++) {
      const e = list.items[i];
      const p = e.str("program");
      const sec = e.num("seconds");
      if (p.length > 0 && sec > 0) s.standards.setNum(p, sec);
    }
  }
  s.defaultStandard = c.num("default_standard_s", 0);
  s.slowTolerance = c.num("slow_tolerance", 0.2);
  s.minCycles = <i32>c.num("min_cycles", 5);
  s.window = <i32>c.num("window", 100);
  s.maxCycle = c.num("max_cycle_s", 3600);
  const taktS = c.num("takt_s", 0);
  const avail = c.num("available_time_s", 0);
  const demand = c.num("demand_per_shift", 0);
  s.takt = taktS > 0 ? taktS : avail > 0 && demand > 0 ? avail / demand : 0;
  s.cycleProperty = c.str("cycle_time_property");
  if (s.countProperty.length == 0 || s.window < 2 || s.minCycles < 1 || !(s.maxCycle > 0) || !(s.slowTolerance >= 0)) {
    log.error("configuration: count_property is required; window ≥ 2, min_cycles ≥ 1, max_cycle_s > 0, slow_tolerance ≥ 0");
    s.valid = false;
  }
  return s;
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
  if (kind == "telemetry") return onTelemetry(event);
  if (kind == "manual") return onManual(event);
  log.info("ignored a " + kind + " event");
  return 0;
}

/** `{"kind": "manual", "reset": "<device>"}` forgets a device's cycles (after a process change). */
function onManual(event: Value): i32 {
  const device = event.str("reset");
  if (device.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset\": \"<device>\"} to start a device's statistics anew");
    return 0;
  }
  alarm.clear(device, "slow_cycle");
  alarm.clear(device, "cycle_over_takt");
  kv.remove("c:" + device);
  log.info(device + ": cycle statistics reset");
  return 0;
}

function newState(device: string): Value {
  return Value.obj()
    .setStr("device", device)
    .set("count", Value.null())
    .set("count_ts", Value.null())
    .set("last_ts", Value.null())
    .setStr("program", "")
    .setStr("done_program", "")
    .setNum("parts", 0)
    .set("programs", Value.obj())
    .set("recent", Value.arr())
    .set("active", Value.arr())
    .setNum("skipped", 0);
}

function onTelemetry(event: Value): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const s = settings();
  if (!s.valid) return 1;
  let relevant = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i].str("property");
    if (p == s.countProperty || p == s.programProperty) relevant = true;
  }
  if (!relevant) return 0;

  const key = "c:" + device;
  let st = kv.get(key);
  if (st == null || !st.isObj()) st = newState(device);
  let status = 0;
  // Counts first: a part reported with a new program was made by the old one.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < points.length; i++) {
      const p = points.items[i];
      const prop = p.str("property");
      if (pass == 0 && prop == s.countProperty) status |= onCount(st, device, s, p);
      if (pass == 1 && prop == s.programProperty) {
        const v = p.get("value");
        if (v != null && v.isStr()) st.setStr("program", v.s);
        else if (v != null && v.isNum()) st.setStr("program", fmt(v.n, 6));
        else {
          log.warn(device + ": " + s.programProperty + " is not text, ignored");
          st.setNum("skipped", st.num("skipped") + 1);
        }
      }
    }
  }
  if (!kv.set(key, st)) {
    log.error(device + ": state could not be saved");
    return 1;
  }
  return status;
}

function onCount(st: Value, device: string, s: Settings, p: Value): i32 {
  const v = p.get("value");
  const ts = p.num("ts");
  if (v == null || !v.isNum() || v.n < 0 || v.n != Math.floor(v.n)) {
    log.warn(device + ": " + s.countProperty + " reading is not a whole number, ignored");
    st.setNum("skipped", st.num("skipped") + 1);
    return 0;
  }
  const lastTs = st.num("last_ts");
  if (isNaN(ts) || (!isNaN(lastTs) && ts <= lastTs)) {
    log.warn(device + ": " + s.countProperty + " reading not newer than the last one, skipped");
    st.setNum("skipped", st.num("skipped") + 1);
    return 0;
  }
  st.setNum("last_ts", ts);
  const count = st.num("count");
  if (isNaN(count)) {
    // The first reading: a baseline; when the last part was made is not known.
    st.setNum("count", v.n).set("count_ts", Value.null()).setStr("done_program", st.str("program"));
    log.info(device + ": counter baseline " + fmt(v.n, 0));
    return 0;
  }
  if (v.n < count) {
    st.setNum("count", v.n).set("count_ts", Value.null()).setStr("done_program", st.str("program"));
    log.info(device + ": counter reset from " + fmt(count, 0) + " to " + fmt(v.n, 0) + "; the next part starts a new cycle");
    return 0;
  }
  if (v.n == count) return 0;
  const n = v.n - count;
  const prevTs = st.num("count_ts");
  const program = st.str("program");
  const prevProgram = st.str("done_program");
  st.setNum("count", v.n).setNum("count_ts", ts).setStr("done_program", program).setNum("parts", st.num("parts") + n);
  if (isNaN(prevTs)) return 0; // the first part after a baseline or reset: no start time
  const cycle = (ts - prevTs) / 1000 / n;
  let flag = "";
  if (program != prevProgram) flag = "changeover";
  else if (cycle > s.maxCycle) flag = "gap";
  else if (n > 1) flag = "averaged";
  const recent = st.get("recent")!;
  recent.push(Value.arr().push(Value.num(ts)).push(Value.str(program)).push(Value.num(cycle)).push(Value.str(flag)).push(Value.num(n)));
  while (recent.length > RECENT_KEPT) recent.items.shift();
  let status = 0;
  if (s.cycleProperty.length > 0) status |= writeFloat(device, s.cycleProperty, cycle, ts);
  if (flag.length > 0) {
    log.info(device + ": " + fmt(n, 0) + " part(s) of " + name(program) + " after " + fmt(cycle, 1) + " s each, not a cycle for the statistics (" + flag + ")");
    return status;
  }
  judge(st, device, s, program, cycle, ts);
  return status;
}

function name(program: string): string {
  return program.length > 0 ? program : "(none)";
}

/** Sorted copy → percentile by linear interpolation between order statistics (type 7). */
function percentile(sorted: f64[], q: f64): f64 {
  const n = sorted.length;
  if (n == 0) return NaN;
  const h = <f64>(n - 1) * q;
  const lo = <i32>Math.floor(h);
  const hi = lo + 1 < n ? lo + 1 : lo;
  return sorted[lo] + (h - <f64>lo) * (sorted[hi] - sorted[lo]);
}

/** Adds a cycle to its program's window, recomputes the statistics and judges it. */
function judge(st: Value, device: string, s: Settings, program: string, cycle: f64, ts: f64): void {
  const progs = st.get("programs")!;
  const key = name(program);
  let pr = progs.get(key);
  if (pr == null) {
    if (progs.length >= PROGRAMS_KEPT) {
      // The program not seen for the longest time makes room.
      let oldest = 0;
      for (let i = 1; i < progs.length; i++) if (progs.items[i].num("last_ts") < progs.items[oldest].num("last_ts")) oldest = i;
      progs.keys.splice(oldest, 1);
      progs.items.splice(oldest, 1);
    }
    pr = Value.obj().set("cycles", Value.arr()).setNum("total", 0);
    progs.set(key, pr);
  }
  // The reference before this cycle joins the window: the standard, or the median so far.
  const cycles = pr.get("cycles")!;
  let standard = s.standards.num(key, 0);
  if (!(standard > 0)) standard = s.defaultStandard;
  let reference = standard;
  let source = "standard";
  if (!(reference > 0)) {
    source = "median";
    reference = cycles.length >= s.minCycles ? pr.num("p50") : NaN;
  }

  cycles.push(Value.num(cycle));
  while (cycles.length > s.window) cycles.items.shift();
  pr.setNum("total", pr.num("total") + 1).setNum("last", cycle).setNum("last_ts", ts);
  const xs: f64[] = [];
  let sum = 0.0;
  for (let i = 0; i < cycles.length; i++) {
    xs.push(cycles.items[i].n);
    sum += cycles.items[i].n;
  }
  const k = xs.length;
  const mean = sum / <f64>k;
  let ss = 0.0;
  for (let i = 0; i < k; i++) ss += (xs[i] - mean) * (xs[i] - mean);
  xs.sort((a: f64, b: f64): i32 => (a < b ? -1 : a > b ? 1 : 0));
  pr.setNum("n", <f64>k)
    .setNum("mean", mean)
    .set("std", k > 1 ? Value.num(Math.sqrt(ss / <f64>(k - 1))) : Value.null())
    .setNum("min", xs[0])
    .setNum("max", xs[k - 1])
    .setNum("p50", percentile(xs, 0.5))
    .setNum("p90", percentile(xs, 0.9))
    .setNum("p95", percentile(xs, 0.95))
    .setNum("throughput_h", 3600 / mean)
    .set("standard", standard > 0 ? Value.num(standard) : Value.null());
  if (s.takt > 0) pr.setNum("takt", s.takt).setNum("mean_over_takt", mean / s.takt);
  st.set("takt", s.takt > 0 ? Value.num(s.takt) : Value.null());

  const active = st.get("active")!;
  // Slow cycle: against the standard, or the program's recent median.
  if (reference > 0) {
    const limit = reference * (1 + s.slowTolerance);
    const slow = cycle > limit;
    if (slow) {
      const d = Value.obj().setStr("program", key).setNum("cycle_s", cycle).setNum("reference_s", reference)
        .setStr("reference", source).setNum("limit_s", limit);
      alarm.raise(device, "slow_cycle", "warning", d);
      log.info(device + ": slow cycle of " + key + ": " + fmt(cycle, 1) + " s > " + fmt(limit, 1) + " s (" + source + " " + fmt(reference, 1) + " s + " + fmt(s.slowTolerance * 100, 0) + " %)");
      setActive(active, "slow_cycle", true);
    } else if (has(active, "slow_cycle")) {
      alarm.clear(device, "slow_cycle");
      setActive(active, "slow_cycle", false);
    }
  }
  // Mean cycle against the takt time, once the program has enough cycles.
  if (s.takt > 0 && k >= s.minCycles) {
    const over = mean > s.takt;
    const was = has(active, "cycle_over_takt");
    if (over && !was) {
      const d = Value.obj().setStr("program", key).setNum("mean_cycle_s", mean).setNum("takt_s", s.takt).setNum("cycles", <f64>k);
      alarm.raise(device, "cycle_over_takt", "warning", d);
      log.info(device + ": mean cycle of " + key + " " + fmt(mean, 2) + " s is over the takt time " + fmt(s.takt, 2) + " s");
      setActive(active, "cycle_over_takt", true);
    } else if (!over && was) {
      alarm.clear(device, "cycle_over_takt");
      setActive(active, "cycle_over_takt", false);
    }
  }
}

function has(list: Value, v: string): bool {
  for (let i = 0; i < list.length; i++) if (list.items[i].asStr() == v) return true;
  return false;
}

function setActive(list: Value, v: string, on: bool): void {
  for (let i = 0; i < list.length; i++) {
    if (list.items[i].asStr() == v) {
      if (!on) list.items.splice(i, 1);
      return;
    }
  }
  if (on) list.push(Value.str(v));
}

/** Writes one derived value as a JSON float (an integral value would type a new series as integers). */
function writeFloat(device: string, property: string, value: f64, ts: f64): i32 {
  let num = value.toString();
  if (value == Math.floor(value) && Math.abs(value) < 1e15) num = (<i64>value).toString() + ".0";
  const req = '{"device":' + quote(device) + ',"ts":' + (<i64>ts).toString() + ',"values":{' + quote(property) + ":" + num + "}}";
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(req);
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const reply = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (reply == null || reply.get("ok") == null) {
    log.warn(device + ": " + property + " not written");
    return 2;
  }
  const refused = reply.get("ok")!.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
  return 0;
}
