// Individuals and moving-range (I-MR) control chart for processes with one measurement at
// a time, by Montgomery, Introduction to Statistical Quality Control, 6th ed. (Wiley 2009),
// section 6.4 (control charts for individual measurements):
//
//   moving range           MRᵢ = |xᵢ − xᵢ₋₁|
//   phase I (baseline)     x̄ = Σxᵢ/n,  MR̄ = ΣMRᵢ/(n − 1),  σ̂ = MR̄/d₂, d₂ = 1.128
//   individuals chart      UCL/LCL = x̄ ± 3·MR̄/d₂ = x̄ ± 2.660·MR̄   (E₂ = 3/d₂)
//   moving-range chart     UCL = D₄·MR̄ = 3.267·MR̄, CL = MR̄, LCL = 0 (D₃ = 0)
//
// Points of the individuals chart are also tested with run rules on z = (x − x̄)/σ̂:
// the Western Electric rules (Western Electric Statistical Quality Control Handbook, 1956;
// Montgomery section 5.3.6) or the eight tests of Nelson (Journal of Quality Technology
// 16(4), 1984, 237–239). The MR chart is tested only against its upper limit (its points
// are correlated, so run rules do not apply to it: Montgomery section 6.4).
//
// Readings come from telemetry (one numeric property per device, while the device runs,
// optionally one spot sample per period) or are posted to the HTTP trigger `measurements`
// (laboratory results with their time). Each device's chart lives in the key–value state
// under "chart:<device>" (the runtime is crash-only); the panel draws it.
import { Kind, Value, alarm, config, handle, kv, latest, log, nowMs, parse, quote, readUtf8, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

/** d₂ and D₄ for moving ranges of two (Montgomery, Appendix VI, n = 2). */
const D2: f64 = 1.128;
const D4: f64 = 3.267;
const ALARM_I = "imr_out_of_control";
const ALARM_MR = "imr_moving_range";
const SIGNALS_KEPT = 30;
/** Records one HTTP request may carry. */
const MAX_RECORDS = 500;
/** The longest run any rule looks back on (Nelson's test 7). */
const HISTORY = 15;

// Rules, as bits. Names and Nelson's test numbers go into alarms and the panel.
const R_3SIGMA: i32 = 1; //        WE 1, Nelson 1: one point beyond 3σ
const R_9SIDE: i32 = 2; //         Nelson 2: nine in a row on one side
const R_6TREND: i32 = 4; //        Nelson 3: six in a row steadily increasing or decreasing
const R_14ALT: i32 = 8; //         Nelson 4: fourteen in a row alternating up and down
const R_2OF3: i32 = 16; //         WE 2, Nelson 5: two of three beyond 2σ, same side
const R_4OF5: i32 = 32; //         WE 3, Nelson 6: four of five beyond 1σ, same side
const R_15IN1: i32 = 64; //        Nelson 7: fifteen in a row within 1σ
const R_8OUT1: i32 = 128; //       Nelson 8: eight in a row beyond 1σ, either side
const R_8SIDE: i32 = 256; //       WE 4: eight in a row on one side
const RULE_NAMES: string[] = [
  "beyond_3_sigma", "9_on_one_side", "6_trending", "14_alternating", "2_of_3_beyond_2_sigma",
  "4_of_5_beyond_1_sigma", "15_within_1_sigma", "8_beyond_1_sigma", "8_on_one_side",
];
const SET_WE: i32 = R_3SIGMA | R_2OF3 | R_4OF5 | R_8SIDE;
const SET_NELSON: i32 = R_3SIGMA | R_9SIDE | R_6TREND | R_14ALT | R_2OF3 | R_4OF5 | R_15IN1 | R_8OUT1;
/** Flag of a phase-I point left out of the revised limits (panel only). */
const F_EXCLUDED: i32 = 1024;

class Settings {
  property: string = "outlet_pressure";
  gateProperty: string = "run_state";
  gateValue: f64 = 1;
  sampleMs: f64 = 0;
  baseline: i32 = 25;
  revise: bool = true;
  centre: f64 = NaN;
  mrBar: f64 = NaN;
  rules: i32 = SET_WE;
  rulesName: string = "western_electric";
  mrChart: bool = true;
  lsl: f64 = NaN;
  usl: f64 = NaN;
  window: i32 = 100;
  mrProperty: string = "";
  severity: string = "major";
  valid: bool = true;

  /** What the limits depend on: a change starts the chart anew. */
  signature(): string {
    return this.property + "|" + this.baseline.toString() + "|" + (this.revise ? "r" : "-") + "|" +
      this.centre.toString() + "|" + this.mrBar.toString();
  }
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.property = c.str("property", "outlet_pressure");
  s.gateProperty = c.str("gate_property", "run_state");
  s.gateValue = c.num("gate_value", 1);
  s.sampleMs = c.num("sample_minutes", 0) * 60000;
  s.baseline = <i32>c.num("baseline", 25);
  s.revise = c.bool("revise_baseline", true);
  s.centre = c.num("centre");
  s.mrBar = c.num("mr_bar");
  s.rulesName = c.str("rules", "western_electric");
  s.rules = s.rulesName == "nelson" ? SET_NELSON : s.rulesName == "limits_only" ? R_3SIGMA : SET_WE;
  s.mrChart = c.bool("mr_chart", true);
  s.lsl = c.num("lsl");
  s.usl = c.num("usl");
  s.window = <i32>c.num("window", 100);
  s.mrProperty = c.str("mr_property", "");
  s.severity = c.str("severity", "major");
  if (
    s.property.length == 0 || s.baseline < 2 || !(s.sampleMs >= 0) || s.window < 10 ||
    (!isNaN(s.mrBar) && !(s.mrBar > 0)) || (!isNaN(s.lsl) && !isNaN(s.usl) && !(s.usl > s.lsl))
  ) {
    log.error("configuration: property is required; baseline ≥ 2; sample_minutes ≥ 0; window ≥ 10; mr_bar > 0; usl > lsl");
    s.valid = false;
  }
  return s;
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  const s = settings();
  if (!s.valid) {
    if (kind == "http") reply(500, Value.obj().setStr("error", "the installation's configuration is not valid (see its log)"));
    return 1;
  }
  if (kind == "telemetry") return onTelemetry(event, s);
  if (kind == "http") return onHttp(event, s);
  if (kind == "manual") return onManual(event);
  log.info("ignored a " + kind + " event");
  return 0;
}

// ---- helpers ----

function fmt(x: f64, digits: i32 = 4): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

/** A finite number as a JSON number that always reads as a float ("2.0", not "2"). */
function floatJson(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e15) return (<i64>x).toString() + ".0";
  return x.toString();
}

/**
 * Writes one derived value as a float. The SDK's writer prints an integral number without
 * a fraction and a new series is typed by its first value: an MR of exactly 0 would make an
 * integer series that refuses later fractions. So the request is written here.
 */
function writeFloat(device: string, name: string, value: f64, ts: f64): void {
  let req = '{"device":' + quote(device);
  if (!isNaN(ts)) req += ',"ts":' + (<i64>ts).toString();
  req += ',"values":{' + quote(name) + ":" + floatJson(value) + "}}";
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

/** A reading as a number: numbers, booleans as 0/1; NaN for anything else. */
function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

function ruleList(bits: i32): Value {
  const out = Value.arr();
  for (let k = 0; k < RULE_NAMES.length; k++) if (bits & (1 << k)) out.push(Value.str(RULE_NAMES[k]));
  return out;
}

/** Nelson's test numbers of a set of rules (WE 4, eight on one side, has none). */
function nelsonTests(bits: i32): Value {
  const out = Value.arr();
  const tests: i32[] = [1, 2, 3, 4, 5, 6, 7, 8];
  for (let k = 0; k < 8; k++) if (bits & (1 << k)) out.push(Value.num(<f64>tests[k]));
  return out;
}

// ---- the chart ----

function newChart(device: string, s: Settings): Value {
  const c = Value.obj()
    .setStr("device", device)
    .setStr("property", s.property)
    .setStr("signature", s.signature())
    .setStr("phase", "baseline")
    .set("base", Value.arr())
    .setNum("n", 0)
    .setNum("i", 0)
    .set("prev", Value.null())
    .set("z", Value.arr())
    .set("x", Value.arr())
    .set("points", Value.arr())
    .set("signals", Value.arr())
    .setBool("active_i", false)
    .setNum("active_bits", 0)
    .setBool("active_mr", false)
    .setNum("skipped", 0);
  // Both standards given: no baseline is needed (Montgomery's "standard given" case).
  if (!isNaN(s.centre) && !isNaN(s.mrBar)) startMonitor(c, device, s, s.centre, s.mrBar, "configuration");
  return c;
}

/** The device's chart, started anew when the limits' configuration changed. */
function loadChart(device: string, s: Settings): Value {
  const key = "chart:" + device;
  let chart = kv.get(key);
  if (chart == null || !chart.isObj() || chart.str("signature") != s.signature()) {
    if (chart != null && chart.isObj()) {
      log.info(device + ": the chart's configuration changed, it starts anew");
      clearActive(device, chart);
    }
    chart = newChart(device, s);
  }
  return chart;
}

function saveChart(device: string, chart: Value): i32 {
  if (!kv.set("chart:" + device, chart)) {
    log.error(device + ": the chart could not be saved");
    return 1;
  }
  return 0;
}

function clearActive(device: string, chart: Value): void {
  if (chart.bool("active_i")) alarm.clear(device, ALARM_I);
  if (chart.bool("active_mr")) alarm.clear(device, ALARM_MR);
}

function keep(list: Value, item: Value, max: i32): void {
  list.push(item);
  while (list.length > max) list.items.shift();
}

/**
 * One individual value on the chart (phase I or II). Returns a record of what was charted
 * (for HTTP replies) or null while the baseline is collected.
 */
function chartPoint(c: Value, device: string, s: Settings, x: f64, ts: f64): Value | null {
  c.setNum("last_ts", ts);
  c.setNum("n", c.num("n") + 1);
  const prevV = c.get("prev");
  const prev = prevV != null && prevV.isNum() ? prevV.n : NaN;
  const mr = isNaN(prev) ? NaN : Math.abs(x - prev);
  c.setNum("prev", x);
  if (s.mrProperty.length > 0 && !isNaN(mr)) writeFloat(device, s.mrProperty, mr, ts);

  if (c.str("phase") == "baseline") {
    const base = c.get("base")!;
    base.push(Value.nums([ts, x]));
    if (base.length >= s.baseline) finishBaseline(c, device, s);
    return null;
  }

  const centre = c.num("centre");
  const sigma = c.num("sigma");
  const i = c.num("i") + 1;
  c.setNum("i", i);
  const z = (x - centre) / sigma;
  const zs = c.get("z")!;
  const xs = c.get("x")!;
  keep(zs, Value.num(z), HISTORY);
  keep(xs, Value.num(x), HISTORY);
  const bits = runRules(zs, xs) & s.rules;
  const mrOut = s.mrChart && !isNaN(mr) && mr > c.num("ucl_mr");
  keep(c.get("points")!, Value.nums([ts, x, mr, <f64>bits, mrOut ? 1 : 0]), s.window);

  // The individuals chart's alarm: raised when a point breaks a rule (again when it breaks
  // one that was not active yet), cleared at the first point that breaks none.
  if (bits != 0) {
    const was = c.bool("active_i");
    const activeBits = <i32>c.num("active_bits");
    if (!was || (bits & ~activeBits) != 0) {
      const d = Value.obj()
        .setStr("property", s.property).setNum("point", i).setNum("ts", ts).setNum("value", x).setNum("z", z)
        .setNum("centre", centre).setNum("ucl", c.num("ucl")).setNum("lcl", c.num("lcl")).setNum("sigma", sigma)
        .set("rules", ruleList(bits)).set("nelson_tests", nelsonTests(bits)).setStr("rule_set", s.rulesName)
        .setStr("direction", z > 0 ? "up" : z < 0 ? "down" : "none");
      if (alarm.raise(device, ALARM_I, s.severity, d) == null) log.warn(device + ": alarm not raised (is it a device of the installation's products?)");
    }
    c.setBool("active_i", true).setNum("active_bits", <f64>(activeBits | bits));
    signal(c, ts, i, "I", x, bits);
    log.warn(device + ": point " + fmt(i, 0) + " x = " + fmt(x, 6) + " (z = " + fmt(z, 3) + ") breaks " + ruleList(bits).toString() +
      "; CL = " + fmt(centre, 6) + ", UCL = " + fmt(c.num("ucl"), 6) + ", LCL = " + fmt(c.num("lcl"), 6));
  } else if (c.bool("active_i")) {
    alarm.clear(device, ALARM_I);
    c.setBool("active_i", false).setNum("active_bits", 0);
    log.info(device + ": point " + fmt(i, 0) + " back in control on the individuals chart");
  }

  if (mrOut) {
    if (!c.bool("active_mr")) {
      const d = Value.obj()
        .setStr("property", s.property).setNum("point", i).setNum("ts", ts).setNum("value", x).setNum("previous", prev)
        .setNum("mr", mr).setNum("mr_bar", c.num("mr_bar")).setNum("ucl_mr", c.num("ucl_mr"));
      if (alarm.raise(device, ALARM_MR, s.severity, d) == null) log.warn(device + ": alarm not raised (is it a device of the installation's products?)");
    }
    c.setBool("active_mr", true);
    signal(c, ts, i, "MR", mr, 0);
    log.warn(device + ": point " + fmt(i, 0) + " moving range " + fmt(mr, 6) + " above UCL_MR = " + fmt(c.num("ucl_mr"), 6));
  } else if (c.bool("active_mr") && !isNaN(mr)) {
    alarm.clear(device, ALARM_MR);
    c.setBool("active_mr", false);
    log.info(device + ": point " + fmt(i, 0) + " back in control on the moving-range chart");
  }

  const rec = Value.obj().setStr("device", device).setNum("point", i).setNum("x", x).setNum("mr", mr).setNum("z", z)
    .set("rules", ruleList(bits)).setBool("mr_out", mrOut);
  return rec;
}

function signal(c: Value, ts: f64, i: f64, chart: string, value: f64, bits: i32): void {
  const rec = Value.obj().setNum("ts", ts).setNum("point", i).setStr("chart", chart).setNum("value", value);
  if (chart == "I") rec.set("rules", ruleList(bits));
  keep(c.get("signals")!, rec, SIGNALS_KEPT);
}

/**
 * The run rules at the newest point (the last of `zs`; `xs` the same points' values),
 * as bits (R_*). Each rule fires at the point that completes its pattern.
 */
function runRules(zs: Value, xs: Value): i32 {
  const m = zs.length;
  const z = zs.items[m - 1].n;
  let r = 0;
  if (Math.abs(z) > 3) r |= R_3SIGMA;
  const sgn: f64 = z > 0 ? 1 : z < 0 ? -1 : 0;
  if (sgn != 0) {
    if (sgn * z > 2 && countBeyond(zs, 3, 2, sgn) >= 2) r |= R_2OF3;
    if (sgn * z > 1 && countBeyond(zs, 5, 1, sgn) >= 4) r |= R_4OF5;
    if (m >= 8 && sameSide(zs, 8, sgn)) r |= R_8SIDE;
    if (m >= 9 && sameSide(zs, 9, sgn)) r |= R_9SIDE;
  }
  // Six in a row steadily increasing (or decreasing): five rises (falls) in a row.
  if (m >= 6) {
    let up = true, down = true;
    for (let k = m - 5; k < m; k++) {
      const d = xs.items[k].n - xs.items[k - 1].n;
      if (!(d > 0)) up = false;
      if (!(d < 0)) down = false;
    }
    if (up || down) r |= R_6TREND;
  }
  // Fourteen in a row alternating: thirteen differences of alternating sign.
  if (m >= 14) {
    let alt = true;
    for (let k = m - 12; k < m; k++) {
      const d1 = xs.items[k - 1].n - xs.items[k - 2].n;
      const d2 = xs.items[k].n - xs.items[k - 1].n;
      if (!(d1 * d2 < 0)) alt = false;
    }
    if (alt) r |= R_14ALT;
  }
  if (m >= 15) {
    let all = true;
    for (let k = m - 15; k < m; k++) if (!(Math.abs(zs.items[k].n) < 1)) all = false;
    if (all) r |= R_15IN1;
  }
  if (m >= 8) {
    let all = true;
    for (let k = m - 8; k < m; k++) if (!(Math.abs(zs.items[k].n) > 1)) all = false;
    if (all) r |= R_8OUT1;
  }
  return r;
}

function countBeyond(zs: Value, last: i32, limit: f64, sgn: f64): i32 {
  let n = 0;
  const m = zs.length;
  for (let k = m - last; k < m; k++) if (k >= 0 && sgn * zs.items[k].n > limit) n++;
  return n;
}

function sameSide(zs: Value, run: i32, sgn: f64): bool {
  const m = zs.length;
  for (let k = m - run; k < m; k++) if (!(sgn * zs.items[k].n > 0)) return false;
  return true;
}

/**
 * Phase I: trial limits from the baseline; points beyond them (and moving ranges above
 * UCL_MR or touching such a point) left out once and the limits revised (Montgomery's
 * phase I practice), unless `revise_baseline` is off. Configured centre or MR̄ are
 * standards given: they are used as they are.
 */
function finishBaseline(c: Value, device: string, s: Settings): void {
  const base = c.get("base")!;
  const n = base.length;
  const xs: f64[] = [];
  const tss: f64[] = [];
  for (let k = 0; k < n; k++) {
    tss.push(base.items[k].items[0].n);
    xs.push(base.items[k].items[1].n);
  }
  let sum = 0.0, mrSum = 0.0;
  for (let k = 0; k < n; k++) sum += xs[k];
  for (let k = 1; k < n; k++) mrSum += Math.abs(xs[k] - xs[k - 1]);
  const mean0 = sum / <f64>n;
  const mrBar0 = mrSum / <f64>(n - 1);
  const centre0 = isNaN(s.centre) ? mean0 : s.centre;
  const mrb0 = isNaN(s.mrBar) ? mrBar0 : s.mrBar;
  if (!(mrb0 > 0)) {
    log.warn(device + ": the baseline of " + n.toString() + " readings shows no variation (MR̄ = 0); the limits cannot be set — collecting a new baseline (or configure mr_bar)");
    c.set("base", Value.arr());
    return;
  }
  const sig0 = mrb0 / D2;
  const ucl0 = centre0 + 3 * sig0, lcl0 = centre0 - 3 * sig0, uclMr0 = D4 * mrb0;
  const outX: bool[] = [];
  const outMr: bool[] = [];
  const beyond = Value.arr();
  const beyondMr = Value.arr();
  for (let k = 0; k < n; k++) {
    const o = xs[k] > ucl0 || xs[k] < lcl0;
    outX.push(o);
    if (o) beyond.push(Value.int(<i64>(k + 1)));
  }
  outMr.push(false);
  for (let k = 1; k < n; k++) {
    const o = Math.abs(xs[k] - xs[k - 1]) > uclMr0;
    outMr.push(o);
    if (o) beyondMr.push(Value.int(<i64>(k + 1)));
  }
  c.set("trial", Value.obj().setNum("n", <f64>n).setNum("mean", mean0).setNum("mr_bar", mrBar0).setNum("centre", centre0)
    .setNum("ucl", ucl0).setNum("lcl", lcl0).setNum("ucl_mr", uclMr0).set("beyond", beyond).set("beyond_mr", beyondMr));
  log.info(device + ": baseline of " + n.toString() + " readings: x̄ = " + fmt(mean0, 6) + ", MR̄ = " + fmt(mrBar0, 6) +
    "; trial limits I: " + fmt(lcl0, 6) + " … " + fmt(ucl0, 6) + ", MR: UCL = " + fmt(uclMr0, 6) +
    (beyond.length + beyondMr.length > 0 ? "; beyond: I " + beyond.toString() + ", MR " + beyondMr.toString() : "; all within the trial limits"));

  let centre = centre0, mrb = mrb0;
  const excluded = Value.arr();
  if (s.revise && beyond.length + beyondMr.length > 0) {
    let ks = 0.0, kn = 0;
    for (let k = 0; k < n; k++) {
      if (outX[k]) {
        excluded.push(Value.int(<i64>(k + 1)));
        continue;
      }
      ks += xs[k];
      kn++;
    }
    let ms = 0.0, mn = 0;
    for (let k = 1; k < n; k++) {
      if (outX[k] || outX[k - 1] || outMr[k]) continue;
      ms += Math.abs(xs[k] - xs[k - 1]);
      mn++;
    }
    if (isNaN(s.centre) && kn > 0) centre = ks / <f64>kn;
    if (isNaN(s.mrBar) && mn > 0 && ms > 0) mrb = ms / <f64>mn;
    log.info(device + ": revised limits without points " + excluded.toString() + " and moving ranges " + beyondMr.toString() +
      ": CL = " + fmt(centre, 6) + ", MR̄ = " + fmt(mrb, 6) + " (" + mn.toString() + " moving ranges)");
  }
  startMonitor(c, device, s, centre, mrb, isNaN(s.centre) && isNaN(s.mrBar) ? "baseline" : "baseline_and_configuration");
  c.setNum("baseline_n", <f64>n).setNum("baseline_end", tss[n - 1]).set("excluded", excluded);
  const sigma = c.num("sigma"), ucl = c.num("ucl"), lcl = c.num("lcl"), uclMr = c.num("ucl_mr");
  // The baseline on the final limits, for the panel.
  const pts = c.get("points")!;
  for (let k = 0; k < n; k++) {
    const mr = k > 0 ? Math.abs(xs[k] - xs[k - 1]) : NaN;
    let f = outX[k] && s.revise ? F_EXCLUDED : 0;
    if (xs[k] > ucl || xs[k] < lcl) f |= R_3SIGMA;
    keep(pts, Value.nums([tss[k], xs[k], mr, <f64>f, !isNaN(mr) && mr > uclMr ? 1 : 0]), s.window);
  }
  c.set("base", Value.arr());
}

/** Sets the limits and starts phase II (monitoring); Cp/Cpk when specification limits are set. */
function startMonitor(c: Value, device: string, s: Settings, centre: f64, mrb: f64, source: string): void {
  const sigma = mrb / D2;
  const ucl = centre + 3 * sigma, lcl = centre - 3 * sigma, uclMr = D4 * mrb;
  c.setStr("phase", "monitor").setStr("source", source)
    .setNum("centre", centre).setNum("mr_bar", mrb).setNum("sigma", sigma)
    .setNum("ucl", ucl).setNum("lcl", lcl).setNum("ucl_mr", uclMr);
  if (!isNaN(s.lsl) || !isNaN(s.usl)) {
    const cpu = isNaN(s.usl) ? NaN : (s.usl - centre) / (3 * sigma);
    const cpl = isNaN(s.lsl) ? NaN : (centre - s.lsl) / (3 * sigma);
    const cp = !isNaN(s.usl) && !isNaN(s.lsl) ? (s.usl - s.lsl) / (6 * sigma) : NaN;
    const cpk = isNaN(cpu) ? cpl : isNaN(cpl) ? cpu : Math.min(cpu, cpl);
    c.set("capability", Value.obj().setNum("lsl", s.lsl).setNum("usl", s.usl).setNum("cp", cp).setNum("cpk", cpk).setNum("cpu", cpu).setNum("cpl", cpl));
    log.info(device + ": capability with σ̂ = MR̄/d₂ = " + fmt(sigma, 6) + ": Cp = " + fmt(cp, 3) + ", Cpk = " + fmt(cpk, 3));
  }
  log.info(device + ": I chart CL = " + fmt(centre, 6) + ", UCL = " + fmt(ucl, 6) + ", LCL = " + fmt(lcl, 6) +
    " (σ̂ = MR̄/1.128 = " + fmt(sigma, 6) + "); MR chart CL = " + fmt(mrb, 6) + ", UCL = " + fmt(uclMr, 6) + "; monitoring with " + s.rulesName + " rules");
}

// ---- telemetry ----

function onTelemetry(event: Value, s: Settings): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  let relevant = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i].str("property");
    if (p == s.property || (s.gateProperty.length > 0 && p == s.gateProperty)) relevant = true;
  }
  if (!relevant) return 0;
  const chart = loadChart(device, s);

  // The gate first: a message that stops the machine also carries its last readings.
  if (s.gateProperty.length > 0) {
    let seen = false;
    for (let i = 0; i < points.length; i++) {
      const p = points.items[i];
      if (p.str("property") != s.gateProperty) continue;
      const g = numeric(p.get("value"));
      if (isNaN(g)) {
        log.warn(device + ": " + s.gateProperty + " is not a number; the gate keeps its last state");
        continue;
      }
      chart.setNum("gate", g);
      seen = true;
    }
    if (!seen && !chart.bool("gate_checked")) {
      // Not known yet: one lookup of the latest value; none means the device has no gate.
      const values = latest(device, [s.gateProperty]);
      if (values != null) {
        const gv = values.get(s.gateProperty);
        if (gv != null) {
          const g = numeric(gv.get("value"));
          if (!isNaN(g)) chart.setNum("gate", g);
        }
      }
    }
    chart.setBool("gate_checked", true);
  }
  const gate = chart.num("gate");
  const open = s.gateProperty.length == 0 || isNaN(gate) || gate == s.gateValue;

  let ignored = 0, late = 0, gated = 0, thinned = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (p.str("property") != s.property) continue;
    const x = numeric(p.get("value"));
    if (!isFinite(x)) {
      ignored++;
      continue;
    }
    const ts = p.num("ts");
    if (isNaN(ts)) {
      ignored++;
      continue;
    }
    const lastTs = chart.num("last_ts");
    if (!isNaN(lastTs) && ts <= lastTs) {
      late++;
      continue;
    }
    if (!open) {
      gated++;
      continue;
    }
    // One spot sample per period: the first reading of each period is charted.
    if (s.sampleMs > 0 && !isNaN(lastTs) && Math.floor(ts / s.sampleMs) == Math.floor(lastTs / s.sampleMs)) {
      thinned++;
      continue;
    }
    chartPoint(chart, device, s, x, ts);
  }
  if (ignored > 0) log.warn(device + ": ignored " + ignored.toString() + " " + s.property + " reading(s) that are not numbers");
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " " + s.property + " reading(s) not newer than the last charted one");
  if (gated > 0) log.debug(device + ": " + gated.toString() + " reading(s) while " + s.gateProperty + " ≠ " + fmt(s.gateValue));
  if (thinned > 0) log.debug(device + ": " + thinned.toString() + " reading(s) between spot samples");
  chart.setNum("skipped", chart.num("skipped") + <f64>(ignored + late));
  return saveChart(device, chart);
}

// ---- HTTP: posted measurements ----

function onHttp(event: Value, s: Settings): i32 {
  const path = event.str("path");
  const body = event.get("body");
  if (path != "measurements") {
    reply(404, Value.obj().setStr("error", "unknown path " + path + " (POST measurements)"));
    return 0;
  }
  if (body == null || !body.isObj()) {
    reply(400, Value.obj().setStr("error", "the body must be a JSON object: {\"device\", \"value\", \"ts\"?} or {\"records\": [...]}"));
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
  const now = <f64>nowMs();
  let device = "";
  let chart: Value | null = null;
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    let why = "";
    if (!r.isObj()) why = "not an object";
    else if (r.str("device").length == 0) why = "device is required";
    else {
      const v = r.get("value");
      if (v == null || !v.isNum() || !isFinite(v.n)) why = "value must be a number";
      else {
        const t = r.get("ts");
        if (t != null && (!t.isNum() || !(t.n > 0))) why = "ts must be a time in ms";
      }
    }
    if (why.length == 0) {
      const d = r.str("device");
      if (chart == null || d != device) {
        if (chart != null) status |= saveChart(device, chart);
        device = d;
        chart = loadChart(d, s);
      }
      const ts = r.num("ts", now);
      const lastTs = chart.num("last_ts");
      if (!isNaN(lastTs) && ts <= lastTs) why = "not newer than the last charted value";
      else {
        const rec = chartPoint(chart, device, s, r.num("value"), ts);
        if (rec != null) charted.push(rec);
        accepted++;
      }
    }
    if (why.length > 0) refused.push(Value.obj().setNum("index", <f64>i).setStr("reason", why));
  }
  if (chart != null) status |= saveChart(device, chart);
  if (refused.length > 0) log.warn("measurements: refused " + refused.length.toString() + " record(s): " + refused.toString());
  reply(refused.length > 0 && accepted == 0 ? 400 : 200, Value.obj().setNum("accepted", <f64>accepted).set("refused", refused).set("charted", charted));
  return status;
}

// ---- manual ----

/** `{"kind": "manual", "reset": "<device>"}` starts a device's chart anew (a new baseline). */
function onManual(event: Value): i32 {
  const device = event.str("reset");
  if (device.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset\": \"<device>\"} to restart a device's chart with a new baseline after the process changed");
    return 0;
  }
  const chart = kv.get("chart:" + device);
  if (chart != null && chart.isObj()) clearActive(device, chart);
  kv.remove("chart:" + device);
  log.info(device + ": chart reset; a new baseline is collected");
  return 0;
}
