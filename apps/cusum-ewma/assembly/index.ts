// CUSUM and EWMA control charts for one numeric property of each device, by the methods
// of Montgomery, Introduction to Statistical Quality Control, 6th ed., chapter 9:
//
//   tabular CUSUM (section 9.1.2)   C⁺ᵢ = max(0, xᵢ − (μ₀ + K) + C⁺ᵢ₋₁)
//                                   C⁻ᵢ = max(0, (μ₀ − K) − xᵢ + C⁻ᵢ₋₁),  K = kσ, H = hσ
//                                   N⁺, N⁻: consecutive periods with C⁺ > 0 (C⁻ > 0);
//                                   after a signal μ̂ = μ₀ + K + C⁺/N⁺ (or μ₀ − K − C⁻/N⁻)
//   fast initial response (9.1)     C⁺₀ = C⁻₀ = headstart·H
//   EWMA (section 9.2.1)            zᵢ = λxᵢ + (1 − λ)zᵢ₋₁, z₀ = μ₀
//                                   limits μ₀ ± Lσ·√(λ/(2 − λ)·[1 − (1 − λ)²ⁱ])
//
// μ₀ and σ come from the configuration (target, sigma) or, when not given, from a phase-I
// baseline of readings: μ̂₀ = x̄, σ̂ = MR̄/d₂ with d₂ = 1.128 (the moving range of two).
// Readings are charted only while the device runs (a gate property, by default the demo
// pump's run_state = 1), so a stopped machine is not taken for a process shift.
//
// The runtime is crash-only: each device's chart lives in the key–value state under
// "chart:<device>" (also what the panel draws).
import { Kind, Value, alarm, config, handle, kv, latest, log, parse, quote, readUtf8 } from "ironloom";
export { ironloom_alloc } from "ironloom";

// The host's `call`, for the one request the SDK's writer cannot express (below).
// @ts-ignore: decorator
@external("ironloom", "call")
declare function host_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

/** d₂ for moving ranges of two consecutive readings (Montgomery, Appendix VI). */
const D2 = 1.128;
const UPPER = "cusum_upper";
const LOWER = "cusum_lower";
const EWMA = "ewma_limits";
/** Signals kept for the panel. */
const SIGNALS_KEPT = 20;

class Settings {
  property: string = "outlet_pressure";
  target: f64 = NaN;
  sigma: f64 = NaN;
  baseline: i32 = 30;
  k: f64 = 0.5;
  h: f64 = 5;
  headstart: f64 = 0;
  lambda: f64 = 0.1;
  L: f64 = 2.7;
  gateProperty: string = "run_state";
  gateValue: f64 = 1;
  window: i32 = 120;
  upperProperty: string = "";
  lowerProperty: string = "";
  ewmaProperty: string = "";
  severity: string = "major";
  valid: bool = true;

  /** What the chart depends on: a change starts the chart anew. */
  signature(): string {
    return (
      this.property + "|" + this.target.toString() + "|" + this.sigma.toString() + "|" +
      this.baseline.toString() + "|" + this.k.toString() + "|" + this.h.toString() + "|" +
      this.headstart.toString() + "|" + this.lambda.toString() + "|" + this.L.toString()
    );
  }
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.property = c.str("property", "outlet_pressure");
  s.target = c.num("target");
  s.sigma = c.num("sigma");
  s.baseline = <i32>c.num("baseline", 30);
  s.k = c.num("k", 0.5);
  s.h = c.num("h", 5);
  s.headstart = c.num("headstart", 0);
  s.lambda = c.num("lambda", 0.1);
  s.L = c.num("L", 2.7);
  s.gateProperty = c.str("gate_property", "run_state");
  s.gateValue = c.num("gate_value", 1);
  s.window = <i32>c.num("window", 120);
  s.upperProperty = c.str("cusum_upper_property");
  s.lowerProperty = c.str("cusum_lower_property");
  s.ewmaProperty = c.str("ewma_property");
  s.severity = c.str("severity", "major");
  if (
    s.property.length == 0 ||
    !(s.k >= 0) || !(s.h > 0) || !(s.lambda > 0 && s.lambda <= 1) || !(s.L > 0) ||
    !(s.headstart >= 0 && s.headstart <= 1) || s.baseline < 2 || s.window < 10 ||
    (!isNaN(s.sigma) && !(s.sigma > 0))
  ) {
    log.error("configuration: property is required; k ≥ 0, h > 0, 0 < lambda ≤ 1, L > 0, 0 ≤ headstart ≤ 1, baseline ≥ 2, window ≥ 10, sigma > 0");
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

function fmt(x: f64, digits: i32 = 4): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

/** A finite number as a JSON number that always reads as a float ("0.0", not "0"). */
function floatJson(x: f64): string {
  if (!isFinite(x)) return "null";
  if (x == Math.floor(x) && Math.abs(x) < 1e15) return (<i64>x).toString() + ".0";
  return x.toString();
}

/**
 * Writes derived telemetry whose values are always floats. The SDK's JSON writer prints
 * an integral number without a fraction, and the time-series store types a new series by
 * its first value: a C⁺ that starts at 0 would make an integer series that refuses every
 * later fraction (on products that do not declare the property as a float). So the
 * request is written here with "0.0". Returns the `ok` reply, or null.
 */
function writeFloats(device: string, names: string[], values: f64[], ts: f64): Value | null {
  const parts: string[] = ['{"device":', quote(device)];
  if (!isNaN(ts)) parts.push(',"ts":' + (<i64>ts).toString());
  parts.push(',"values":{');
  for (let i = 0; i < names.length; i++) {
    if (i > 0) parts.push(",");
    parts.push(quote(names[i]) + ":" + floatJson(values[i]));
  }
  parts.push("}}");
  const o = String.UTF8.encode("write");
  const q = String.UTF8.encode(parts.join(""));
  const r = host_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const reply = parse(readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff)));
  if (reply == null) return null;
  const ok = reply.get("ok");
  if (ok == null) {
    const e = reply.get("error");
    log.warn(device + ": write refused: " + (e == null ? "no reply" : e.str("message")));
  }
  return ok;
}

/** A reading as a number: numbers, booleans as 0/1; NaN for anything else. */
function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

function onTelemetry(event: Value): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const s = settings();
  if (!s.valid) return 1;

  // Is there anything for this app in the message?
  let relevant = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i].str("property");
    if (p == s.property || (s.gateProperty.length > 0 && p == s.gateProperty)) {
      relevant = true;
      break;
    }
  }
  if (!relevant) return 0;

  const key = "chart:" + device;
  let chart = kv.get(key);
  const sig = s.signature();
  if (chart == null || !chart.isObj() || chart.str("signature") != sig) {
    if (chart != null) {
      log.info(device + ": configuration changed, the chart starts anew");
      clearActive(device, chart);
    }
    chart = newChart(device, s);
  }

  // The gate first (a message that stops the machine also carries its last readings).
  if (s.gateProperty.length > 0) {
    let seen = false;
    for (let i = 0; i < points.length; i++) {
      const p = points.items[i];
      if (p.str("property") != s.gateProperty) continue;
      const g = numeric(p.get("value"));
      if (isNaN(g)) {
        log.warn(device + ": " + s.gateProperty + " is not a number, the gate keeps its last state");
        continue;
      }
      chart.setNum("gate", g);
      seen = true;
    }
    if (!seen && !chart.bool("gate_checked")) {
      // Not known yet: ask for the latest value once; none means the device has no gate.
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

  let status = 0;
  let ignored = 0;
  let late = 0;
  let gated = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (p.str("property") != s.property) continue;
    const x = numeric(p.get("value"));
    if (isNaN(x) || !isFinite(x)) {
      ignored++;
      continue;
    }
    const ts = p.num("ts");
    const lastTs = chart.num("last_ts");
    if (!isNaN(ts) && !isNaN(lastTs) && ts <= lastTs) {
      late++;
      continue;
    }
    if (!open) {
      gated++;
      continue;
    }
    if (!isNaN(ts)) chart.setNum("last_ts", ts);
    status |= chartReading(chart, device, s, x, ts);
  }
  if (ignored > 0) log.warn(device + ": ignored " + ignored.toString() + " non-numeric " + s.property + " reading(s)");
  if (late > 0) log.warn(device + ": skipped " + late.toString() + " " + s.property + " reading(s) not newer than the last charted one");
  if (gated > 0) log.debug(device + ": " + gated.toString() + " reading(s) while " + s.gateProperty + " ≠ " + fmt(s.gateValue));
  chart.setNum("skipped", chart.num("skipped", 0) + <f64>(ignored + late));
  if (!kv.set(key, chart)) {
    log.error(device + ": the chart could not be saved");
    return 1;
  }
  return status;
}

/** `{"kind": "manual", "reset": "<device>"}` starts a device's chart anew (after corrective action). */
function onManual(event: Value): i32 {
  const device = event.str("reset");
  if (device.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset\": \"<device>\"} to restart a device's chart after corrective action");
    return 0;
  }
  const chart = kv.get("chart:" + device);
  if (chart != null) clearActive(device, chart);
  kv.remove("chart:" + device);
  log.info(device + ": chart reset");
  return 0;
}

function clearActive(device: string, chart: Value): void {
  const active = chart.get("active");
  if (active == null) return;
  for (let i = 0; i < active.length; i++) alarm.clear(device, active.items[i].asStr());
}

function newChart(device: string, s: Settings): Value {
  const c = Value.obj()
    .setStr("device", device)
    .setStr("property", s.property)
    .setStr("signature", sig(s))
    .setNum("k", s.k)
    .setNum("h", s.h)
    .setNum("lambda", s.lambda)
    .setNum("L", s.L)
    .setNum("i", 0)
    .set("active", Value.arr())
    .set("points", Value.arr())
    .set("signals", Value.arr())
    .setNum("since_cusum", 0)
    .setNum("since_ewma", 0);
  if (!isNaN(s.target) && !isNaN(s.sigma)) {
    start(c, s, s.target, s.sigma, "configuration");
  } else {
    c.setStr("phase", "baseline").set("base", Value.obj().setNum("n", 0).setNum("sum", 0).setNum("mr_sum", 0).set("prev", Value.null()));
  }
  return c;
}

function sig(s: Settings): string {
  return s.signature();
}

/** Sets μ₀ and σ and starts the CUSUM (with its head start) and the EWMA. */
function start(c: Value, s: Settings, mu0: f64, sigma: f64, source: string): void {
  const K = s.k * sigma;
  const H = s.h * sigma;
  c.setStr("phase", "monitor")
    .setStr("source", source)
    .setNum("mu0", mu0)
    .setNum("sigma", sigma)
    .setNum("K", K)
    .setNum("H", H)
    .setNum("cp", s.headstart * H)
    .setNum("cm", s.headstart * H)
    .setNum("np", 0)
    .setNum("nm", 0)
    .setNum("z", mu0)
    .setNum("i", 0)
    .setNum("ewma_ucl_ss", mu0 + s.L * sigma * Math.sqrt(s.lambda / (2 - s.lambda)))
    .setNum("ewma_lcl_ss", mu0 - s.L * sigma * Math.sqrt(s.lambda / (2 - s.lambda)));
}

/** One reading on the chart: baseline or CUSUM and EWMA. Returns 0, or 2 when a host call failed. */
function chartReading(c: Value, device: string, s: Settings, x: f64, ts: f64): i32 {
  if (c.str("phase") == "baseline") {
    const b = c.get("base")!;
    const n = b.num("n") + 1;
    const prev = b.get("prev")!;
    if (prev.isNum()) b.setNum("mr_sum", b.num("mr_sum") + Math.abs(x - prev.n));
    b.setNum("n", n).setNum("sum", b.num("sum") + x).setNum("prev", x);
    if (n >= <f64>s.baseline) {
      const mean = b.num("sum") / n;
      const mrbar = b.num("mr_sum") / (n - 1);
      const sigma = isNaN(s.sigma) ? mrbar / D2 : s.sigma;
      const mu0 = isNaN(s.target) ? mean : s.target;
      if (!(sigma > 0)) {
        log.warn(device + ": the baseline of " + fmt(n, 0) + " readings shows no variation (MR̄ = 0); σ cannot be estimated, collecting a new baseline (or configure sigma)");
        c.set("base", Value.obj().setNum("n", 0).setNum("sum", 0).setNum("mr_sum", 0).set("prev", Value.null()));
        return 0;
      }
      start(c, s, mu0, sigma, "baseline");
      c.setNum("baseline_mean", mean).setNum("baseline_mrbar", mrbar).setNum("baseline_n", n);
      c.set("base", Value.null());
      log.info(device + ": baseline of " + fmt(n, 0) + " readings: x̄ = " + fmt(mean, 6) + ", MR̄ = " + fmt(mrbar, 6) +
        "; charting with μ₀ = " + fmt(mu0, 6) + ", σ = " + fmt(sigma, 6));
    }
    return 0;
  }

  const mu0 = c.num("mu0");
  const sigma = c.num("sigma");
  const K = c.num("K");
  const H = c.num("H");
  const i = c.num("i") + 1;
  const cp = Math.max(0, x - (mu0 + K) + c.num("cp"));
  const cm = Math.max(0, mu0 - K - x + c.num("cm"));
  const np = cp > 0 ? c.num("np") + 1 : 0;
  const nm = cm > 0 ? c.num("nm") + 1 : 0;
  const z = s.lambda * x + (1 - s.lambda) * c.num("z");
  const w = s.L * sigma * Math.sqrt((s.lambda / (2 - s.lambda)) * (1 - Math.pow(1 - s.lambda, 2 * i)));
  const ucl = mu0 + w;
  const lcl = mu0 - w;
  const sinceCusum = c.num("since_cusum") + 1;
  const sinceEwma = c.num("since_ewma") + 1;
  c.setNum("i", i).setNum("cp", cp).setNum("cm", cm).setNum("np", np).setNum("nm", nm).setNum("z", z)
    .setNum("ucl", ucl).setNum("lcl", lcl).setNum("x", x).setNum("since_cusum", sinceCusum).setNum("since_ewma", sinceEwma);

  const pts = c.get("points")!;
  pts.push(Value.nums([ts, x, cp, cm, z, ucl, lcl]));
  while (pts.length > s.window) pts.items.shift();

  let status = 0;
  const names: string[] = [];
  const vals: f64[] = [];
  if (s.upperProperty.length > 0) { names.push(s.upperProperty); vals.push(cp); }
  if (s.lowerProperty.length > 0) { names.push(s.lowerProperty); vals.push(cm); }
  if (s.ewmaProperty.length > 0) { names.push(s.ewmaProperty); vals.push(z); }
  if (names.length > 0) {
    const stored = writeFloats(device, names, vals, ts);
    if (stored == null) {
      log.warn(device + ": derived telemetry not written");
      status = 2;
    } else {
      const refused = stored.get("refused");
      if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
    }
  }

  // Signals: raised when a statistic crosses its limit, cleared when it is back inside.
  const was = c.get("active")!;
  const now = Value.arr();
  const up = cp > H;
  const down = cm > H;
  const ew = z > ucl || z < lcl;
  const cusumWas = has(was, UPPER) || has(was, LOWER);
  signal(c, device, s, UPPER, up, was, now, ts, x, sinceCusum, np, mu0 + K + (np > 0 ? cp / np : 0), cp, H);
  signal(c, device, s, LOWER, down, was, now, ts, x, sinceCusum, nm, mu0 - K - (nm > 0 ? cm / nm : 0), cm, H);
  signal(c, device, s, EWMA, ew, was, now, ts, x, sinceEwma, 0, z, z, z > ucl ? ucl : lcl);
  const cusumNow = has(now, UPPER) || has(now, LOWER);
  // Run lengths count from the start of the chart, or from the end of the previous signal.
  if (cusumWas && !cusumNow) c.setNum("since_cusum", 0);
  if (has(was, EWMA) && !has(now, EWMA)) c.setNum("since_ewma", 0);
  c.set("active", now);
  return status;
}

function has(list: Value, name: string): bool {
  for (let i = 0; i < list.length; i++) if (list.items[i].asStr() == name) return true;
  return false;
}

function signal(
  c: Value, device: string, s: Settings, type: string, active: bool, was: Value, now: Value,
  ts: f64, x: f64, runLength: f64, n: f64, estimate: f64, stat: f64, limit: f64,
): void {
  const before = has(was, type);
  if (!active) {
    if (before) {
      alarm.clear(device, type);
      log.info(device + ": " + type + " back in control at reading " + fmt(c.num("i"), 0));
    }
    return;
  }
  now.push(Value.str(type));
  if (before) return;
  const isEwma = type == EWMA;
  const d = Value.obj()
    .setStr("property", s.property)
    .setNum("reading", c.num("i"))
    .setNum("value", x)
    .setNum("statistic", stat)
    .setNum("limit", limit)
    .setNum("mu0", c.num("mu0"))
    .setNum("sigma", c.num("sigma"))
    .setNum("run_length", runLength);
  if (!isEwma) d.setNum("periods_since_zero", n).setNum("mean_estimate", estimate);
  alarm.raise(device, type, s.severity, d);
  const rec = Value.obj().setStr("type", type).setNum("ts", ts).setNum("reading", c.num("i")).setNum("run_length", runLength).setNum("statistic", stat);
  if (!isEwma) rec.setNum("n", n).setNum("mean_estimate", estimate);
  const list = c.get("signals")!;
  list.push(rec);
  while (list.length > SIGNALS_KEPT) list.items.shift();
  log.info(
    device + ": " + type + " signal at reading " + fmt(c.num("i"), 0) + " (run length " + fmt(runLength, 0) + ")" +
      (isEwma ? ", z = " + fmt(stat) + " beyond " + fmt(limit) : ", C = " + fmt(stat) + " > H = " + fmt(limit) + ", N = " + fmt(n, 0) + ", estimated mean " + fmt(estimate)),
  );
}
