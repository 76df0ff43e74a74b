// SPC X̄–R chart: collects the readings of one configured property into subgroups of n,
// charts each subgroup's mean and range, establishes control limits from a baseline of
// subgroups (or takes a fixed centre and mean range from the configuration), writes
// xbar / range / cpk back as derived telemetry, and raises alarms for a point outside
// the limits and for the rules of seven (a run on one side of the centre line; a steady
// rise or fall), clearing them when the chart is back in control.
//
// The runtime is crash-only: nothing in memory survives between events, so every device's
// chart lives in the key–value state under "chart:<device>" (also what the panel shows).
import { Value, alarm, config, handle, kv, log, model, write } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

/** The alarm types and the rules they stand for. */
const BEYOND = "beyond_limits";
const RUN = "run_of_seven";
const TREND = "trend_of_seven";
const RUN_LENGTH = 7;

class Settings {
  property: string = "";
  n: i32 = 5;
  baseline: i32 = 25;
  window: i32 = 30;
  /** Fixed centre line and mean range (both, or the limits come from the baseline). */
  centre: f64 = NaN;
  rbar: f64 = NaN;
  lsl: f64 = NaN;
  usl: f64 = NaN;
  xbarProperty: string = "xbar";
  rangeProperty: string = "range";
  cpkProperty: string = "cpk";
  valid: bool = true;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.property = c.str("property");
  s.n = <i32>c.num("n", 5);
  s.baseline = <i32>c.num("baseline", 25);
  s.window = <i32>c.num("window", 30);
  s.centre = c.num("centre");
  s.rbar = c.num("rbar");
  s.lsl = c.num("lsl");
  s.usl = c.num("usl");
  s.xbarProperty = c.str("xbar_property", "xbar");
  s.rangeProperty = c.str("range_property", "range");
  s.cpkProperty = c.str("cpk_property", "cpk");
  if (s.property.length == 0 || s.n < 2 || s.n > 10 || s.baseline < 2 || s.window < RUN_LENGTH) {
    log.error("configuration: property is required, n must be 2–10, baseline at least 2, window at least 7");
    s.valid = false;
  }
  return s;
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  if (kind == "telemetry") return onTelemetry(event);
  if (kind == "manual") return onManual(event);
  log.info("ignored a " + kind + " event");
  return 0;
}

function onTelemetry(event: Value): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const s = settings();
  if (!s.valid) return 1;

  // The readings of the charted property in this message, in order.
  const values: f64[] = [];
  const stamps: f64[] = [];
  let ignored = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (p.str("property") != s.property) continue;
    const v = p.get("value");
    if (v == null || !v.isNum()) {
      ignored++;
      continue;
    }
    values.push(v.n);
    stamps.push(p.num("ts")); // NaN without one: the write then takes the time of arrival
  }
  if (ignored > 0) log.warn(device + ": ignored " + ignored.toString() + " non-numeric " + s.property + " reading(s)");
  if (values.length == 0) return 0;

  const key = "chart:" + device;
  let chart = kv.get(key);
  if (chart == null || !chart.isObj() || chart.str("property") != s.property || <i32>chart.num("n") != s.n) {
    if (chart != null) {
      log.info(device + ": property or subgroup size changed, the chart starts anew");
      clearRules(device, chart);
    }
    chart = newChart(device, s);
  }
  let status = 0;
  for (let i = 0; i < values.length; i++) {
    const pending = chart.get("pending")!;
    pending.push(Value.num(values[i]));
    if (pending.length >= s.n) {
      status |= closeSubgroup(chart, device, s, stamps[i]);
      chart.set("pending", Value.arr());
    }
  }
  if (!kv.set(key, chart)) {
    log.error(device + ": the chart could not be saved");
    return 1;
  }
  return status;
}

/** `{"kind": "manual", "reset": "<device>"}` starts a device's chart anew (after a process change). */
function onManual(event: Value): i32 {
  const device = event.str("reset");
  if (device.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset\": \"<device>\"} to start a device's chart anew");
    return 0;
  }
  const chart = kv.get("chart:" + device);
  if (chart != null) clearRules(device, chart);
  kv.remove("chart:" + device);
  log.info(device + ": chart reset");
  return 0;
}

/** Clears the alarms of the rules a chart shows as active. */
function clearRules(device: string, chart: Value): void {
  const active = chart.get("violations");
  if (active == null) return;
  for (let i = 0; i < active.length; i++) alarm.clear(device, "spc_" + active.items[i].asStr());
}

function newChart(device: string, s: Settings): Value {
  return Value.obj()
    .setStr("device", device)
    .setStr("property", s.property)
    .setInt("n", s.n)
    .set("pending", Value.arr())
    .setInt("count", 0)
    .set("base", Value.obj().setInt("k", 0).setNum("sum_x", 0).setNum("sum_r", 0))
    .set("limits", Value.null())
    .set("points", Value.arr())
    .set("cp", Value.null())
    .set("cpk", Value.null())
    .set("violations", Value.arr());
}

/** A2, D3, D4 and d2 for n, from the model library (kept in the chart: they depend on n only). */
function constants(chart: Value, n: i32): Value | null {
  const cached = chart.get("constants");
  if (cached != null && cached.isObj()) return cached;
  const out = model("spc.control_chart_constants", Value.obj().setInt("n", n));
  if (out == null) return null;
  const c = Value.obj()
    .setNum("A2", out.num("A2"))
    .setNum("D3", out.num("D3"))
    .setNum("D4", out.num("D4"))
    .setNum("d2", out.num("d2"));
  chart.set("constants", c);
  return c;
}

function limitsFrom(centre: f64, rbar: f64, c: Value, fixed: bool): Value {
  const a2 = c.num("A2");
  return Value.obj()
    .setNum("x_cl", centre)
    .setNum("x_ucl", centre + a2 * rbar)
    .setNum("x_lcl", centre - a2 * rbar)
    .setNum("r_cl", rbar)
    .setNum("r_ucl", c.num("D4") * rbar)
    .setNum("r_lcl", c.num("D3") * rbar)
    .setNum("sigma", rbar / c.num("d2"))
    .setBool("fixed", fixed);
}

/** Charts the full subgroup in "pending"; returns 0, or 2 when a host call failed. */
function closeSubgroup(chart: Value, device: string, s: Settings, ts: f64): i32 {
  const xs = chart.get("pending")!;
  let sum = 0.0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs.items[i].n;
    sum += x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const xbar = sum / <f64>xs.length;
  const r = hi - lo;
  chart.setInt("count", <i64>chart.num("count") + 1);
  const points = chart.get("points")!;
  points.push(Value.nums([ts, xbar, r]));
  while (points.length > s.window) points.items.shift();

  const c = constants(chart, s.n);
  if (c == null) {
    log.warn(device + ": control chart constants unavailable (model call refused)");
    return 2;
  }

  // Limits: fixed by the configuration, or from the first `baseline` subgroups, then frozen.
  let limits = chart.get("limits")!;
  if (!isNaN(s.centre) && !isNaN(s.rbar)) {
    limits = limitsFrom(s.centre, s.rbar, c, true);
    chart.set("limits", limits);
  } else if (!limits.isObj()) {
    const base = chart.get("base")!;
    const k = base.num("k") + 1;
    base.setInt("k", <i64>k).setNum("sum_x", base.num("sum_x") + xbar).setNum("sum_r", base.num("sum_r") + r);
    if (k >= <f64>s.baseline) {
      limits = limitsFrom(base.num("sum_x") / k, base.num("sum_r") / k, c, false);
      chart.set("limits", limits);
      log.info(device + ": control limits established from " + (<i64>k).toString() + " subgroups");
    }
  }

  const out = Value.obj().setNum(s.xbarProperty, xbar).setNum(s.rangeProperty, r);
  capability(chart, s, c, out);
  const stored = write(device, out, ts);
  let status = 0;
  if (stored == null) {
    log.warn(device + ": derived telemetry not written");
    status = 2;
  } else {
    const refused = stored.get("refused");
    if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
  }

  if (limits.isObj()) judge(chart, device, limits, xbar, r);
  return status;
}

/** Cp and Cpk over the subgroups kept (mean of the means, σ = mean range / d2), with both spec limits. */
function capability(chart: Value, s: Settings, c: Value, out: Value): void {
  const points = chart.get("points")!;
  if (isNaN(s.lsl) || isNaN(s.usl) || s.usl <= s.lsl || points.length < 2) return;
  let sx = 0.0;
  let sr = 0.0;
  for (let i = 0; i < points.length; i++) {
    sx += points.items[i].items[1].n;
    sr += points.items[i].items[2].n;
  }
  const k = <f64>points.length;
  const sigma = sr / k / c.num("d2");
  if (!(sigma > 0)) return;
  const inputs = Value.obj().setNum("usl", s.usl).setNum("lsl", s.lsl).setNum("mu", sx / k).setNum("sigma", sigma);
  const cap = model("quality.cp_cpk", inputs);
  if (cap == null) return;
  chart.setNum("cp", cap.num("cp"));
  chart.setNum("cpk", cap.num("cpk"));
  out.setNum(s.cpkProperty, cap.num("cpk"));
}

/** The rules on the newest subgroup; alarms raised and cleared on changes only. */
function judge(chart: Value, device: string, limits: Value, xbar: f64, r: f64): void {
  const beyond =
    xbar > limits.num("x_ucl") || xbar < limits.num("x_lcl") || r > limits.num("r_ucl") || r < limits.num("r_lcl");
  const points = chart.get("points")!;
  const cl = limits.num("x_cl");
  let run = false;
  let trend = false;
  const m = points.length;
  if (m >= RUN_LENGTH) {
    let above = 0;
    let below = 0;
    let up = 0;
    let down = 0;
    for (let i = m - RUN_LENGTH; i < m; i++) {
      const x = points.items[i].items[1].n;
      if (x > cl) above++;
      if (x < cl) below++;
      if (i > m - RUN_LENGTH) {
        const prev = points.items[i - 1].items[1].n;
        if (x > prev) up++;
        if (x < prev) down++;
      }
    }
    run = above == RUN_LENGTH || below == RUN_LENGTH;
    trend = up == RUN_LENGTH - 1 || down == RUN_LENGTH - 1;
  }
  const was = chart.get("violations")!;
  const now = Value.arr();
  const details = Value.obj()
    .setStr("property", chart.str("property"))
    .setInt("subgroup", <i64>chart.num("count"))
    .setNum("xbar", xbar)
    .setNum("range", r)
    .set("limits", limits);
  rule(device, BEYOND, beyond, "major", was, now, details);
  rule(device, RUN, run, "minor", was, now, details);
  rule(device, TREND, trend, "minor", was, now, details);
  chart.set("violations", now);
}

function contains(list: Value, name: string): bool {
  for (let i = 0; i < list.length; i++) if (list.items[i].asStr() == name) return true;
  return false;
}

function rule(device: string, name: string, active: bool, severity: string, was: Value, now: Value, details: Value): void {
  const before = contains(was, name);
  if (active) {
    now.push(Value.str(name));
    if (!before) {
      alarm.raise(device, "spc_" + name, severity, details);
      log.info(device + ": " + name + " at subgroup " + (<i64>details.num("subgroup")).toString());
    }
  } else if (before) {
    alarm.clear(device, "spc_" + name);
    log.info(device + ": " + name + " cleared");
  }
}
