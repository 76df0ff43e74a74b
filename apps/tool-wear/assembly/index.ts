// Tool wear: tracks the cutting time of each tool of a CNC machine and how much of its
// life that time has used, by Taylor's tool-life equation v·Tⁿ = C (the model library's
// `machining.taylor_tool_life`), with the cutting speed from the spindle speed and the
// tool's diameter, v = π·D·N.
//
// Between two messages of a machine, the state of the earlier one holds (sample and hold):
// the tool in the spindle cuts when the spindle turns (speed > 0) and its load is above
// `load_threshold`. At varying speeds the life used adds up by the life-fraction rule
// (Σ tᵢ / T(vᵢ), Palmgren–Miner), so 2.5 min at a speed giving 5 min of life and 20.5 min
// at one giving 41 min use one whole tool. The app writes remaining_life_pct of the tool in
// the spindle as derived telemetry, raises a warning per tool when its remaining life
// falls to `warn_pct` and a major alarm at the end of its life, and resets a tool on a tool
// change: a manual run {"kind": "manual", "reset_tool": "T3"} or a message carrying the
// configured `reset_property`.
//
// Crash-only: each machine's tools live in kv under "cnc:<device>" (also what the panel shows).
import { Kind, Value, alarm, config, handle, kv, log, model, nowMs, write } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const MIN: f64 = 60000.0;
const LOW = "tool_life_low:";
const END = "tool_end_of_life:";
const RESETS_KEPT = 20;

/**
 * Representative Taylor constants (n, C in m/min) for turning steel and non-steel work,
 * after Groover, Fundamentals of Modern Manufacturing, table "Representative values of n
 * and C in the Taylor tool life equation" (Table 23.2 in the 4th ed., 22.2 in the 5th).
 * Starting points only: fit your own with machining.taylor_fit and configure `materials`.
 */
const BUILTIN_NAMES: string[] = [
  "hss_steel", "hss_nonsteel", "carbide_steel", "carbide_nonsteel", "cermet_steel", "coated_carbide_steel", "ceramic_steel",
];
const BUILTIN_N: f64[] = [0.125, 0.125, 0.25, 0.25, 0.25, 0.25, 0.6];
const BUILTIN_C: f64[] = [70, 120, 500, 900, 600, 700, 3000];

class Settings {
  speed: string = "spindle_speed";
  load: string = "spindle_load";
  loadThreshold: f64 = 5;
  tool: string = "tool";
  toolField: string = "number";
  reset: string = "";
  defaultTool: string = "";
  diameter: f64 = 10;
  material: string = "carbide_steel";
  warnPct: f64 = 20;
  maxGap: f64 = 300000;
  materials: Value = Value.arr();
  tools: Value = Value.arr();
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.speed = c.str("speed_property", "spindle_speed");
  s.load = c.str("load_property", "spindle_load");
  s.loadThreshold = c.num("load_threshold", 5);
  s.tool = c.str("tool_property", "tool");
  s.toolField = c.str("tool_field", "number");
  s.reset = c.str("reset_property", "");
  s.defaultTool = c.str("default_tool", "");
  s.diameter = c.num("default_diameter_mm", 10);
  s.material = c.str("default_material", "carbide_steel");
  s.warnPct = c.num("warn_pct", 20);
  s.maxGap = c.num("max_gap_s", 300) * 1000.0;
  const m = c.get("materials");
  if (m != null && m.isArr()) s.materials = m;
  const t = c.get("tools");
  if (t != null && t.isArr()) s.tools = t;
  return s;
}

/** A tool's setup: diameter (mm) and Taylor constants. */
class Setup {
  diameter: f64 = 10;
  material: string = "";
  n: f64 = NaN;
  c: f64 = NaN;
}

function setupOf(tool: string, s: Settings): Setup {
  const u = new Setup();
  u.diameter = s.diameter;
  u.material = s.material;
  for (let i = 0; i < s.tools.length; i++) {
    const t = s.tools.items[i];
    if (t.str("tool") != tool) continue;
    u.diameter = t.num("diameter_mm", s.diameter);
    u.material = t.str("material", s.material);
  }
  for (let i = 0; i < s.materials.length; i++) {
    const m = s.materials.items[i];
    if (m.str("name") == u.material) {
      u.n = m.num("n");
      u.c = m.num("C");
      return u;
    }
  }
  for (let i = 0; i < BUILTIN_NAMES.length; i++) {
    if (BUILTIN_NAMES[i] == u.material) {
      u.n = BUILTIN_N[i];
      u.c = BUILTIN_C[i];
    }
  }
  return u;
}

function fmt(x: f64, digits: i32 = 2): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, <f64>digits);
  const r = Math.round(Math.abs(x) * p);
  const whole = Math.floor(r / p);
  let frac = (<i64>(r - whole * p)).toString();
  while (frac.length < digits) frac = "0" + frac;
  return (x < 0 && r > 0 ? "-" : "") + (<i64>whole).toString() + (digits > 0 ? "." + frac : "");
}

/** "T3" from 3, "3", "T3" or {"number": 3}; "" when there is no usable tool number. */
function toolId(v: Value | null, field: string): string {
  if (v == null) return "";
  if (v.isObj()) return toolId(v.get(field), field);
  if (v.isNum()) {
    if (!isFinite(v.n) || v.n < 0 || v.n != Math.floor(v.n)) return "";
    return "T" + (<i64>v.n).toString();
  }
  if (v.isStr()) {
    const s = v.s.trim();
    if (s.length == 0) return "";
    const c = s.charCodeAt(0);
    return c >= 48 && c <= 57 ? "T" + s : s;
  }
  return "";
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  if (kind == "telemetry") return onTelemetry(event);
  if (kind == "manual") return onManual(event);
  log.info("ignored a " + kind + " event");
  return 0;
}

function newState(device: string): Value {
  return Value.obj()
    .setStr("device", device)
    .set("last", Value.null())
    .setStr("tool", "")
    .set("tools", Value.obj())
    .set("resets", Value.arr());
}

function newTool(since: f64): Value {
  return Value.obj().setNum("min", 0).setNum("used", 0).setNum("v", 0).setNum("T", 0).setNum("level", 0).setNum("since", since);
}

function remainingPct(t: Value): f64 {
  const r = 100.0 * (1.0 - t.num("used", 0));
  return r < 0 ? 0 : r;
}

/** Resets a tool (a new or reground one in its pocket): alarms cleared, the count kept in the history. */
function resetTool(device: string, st: Value, tool: string, at: f64, why: string): void {
  const tools = st.get("tools")!;
  const old = tools.get(tool);
  if (old != null) {
    const resets = st.get("resets")!;
    resets.push(Value.arr().push(Value.num(at)).push(Value.str(tool)).push(Value.num(old.num("min", 0))).push(Value.num(old.num("used", 0))));
    while (resets.length > RESETS_KEPT) resets.items.shift();
    log.info(device + ": " + tool + " reset (" + why + ") after " + fmt(old.num("min", 0)) + " min of cutting, " + fmt(100.0 * old.num("used", 0), 1) + " % of its life");
  } else {
    log.info(device + ": " + tool + " reset (" + why + "), no use recorded");
  }
  const level = old == null ? 0 : <i32>old.num("level", 0);
  if (level == 1) alarm.clear(device, LOW + tool);
  if (level == 2) alarm.clear(device, END + tool);
  tools.set(tool, newTool(at));
}

/** `{"kind": "manual", "reset_tool": "T3", "device"?: "cnc-01"}`: a tool change on one machine or on every machine that knows the tool. */
function onManual(event: Value): i32 {
  const tool = toolId(event.get("reset_tool"), "number");
  if (tool.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset_tool\": \"T3\", \"device\": \"<machine>\"} after changing a tool");
    return 0;
  }
  const device = event.str("device");
  let devices: string[] = [];
  if (device.length > 0) devices.push(device);
  else {
    const known = kv.get("machines");
    if (known != null) for (let i = 0; i < known.length; i++) devices.push(known.items[i].asStr());
  }
  let done = 0;
  let status = 0;
  for (let i = 0; i < devices.length; i++) {
    const key = "cnc:" + devices[i];
    let st = kv.get(key);
    if (st == null || !st.isObj()) {
      if (device.length == 0) continue;
      st = newState(devices[i]);
      remember(devices[i]);
    }
    if (device.length == 0 && st.get("tools")!.get(tool) == null) continue;
    resetTool(devices[i], st, tool, <f64>nowMs(), "manual");
    if (st.str("tool") == tool) writeRemaining(devices[i], 100.0, NaN);
    if (!kv.set(key, st)) status = 1;
    done++;
  }
  if (done == 0) log.warn("manual reset: no machine has tool " + tool);
  return status;
}

function writeRemaining(device: string, pct: f64, ts: f64): bool {
  const stored = write(device, Value.obj().setNum("remaining_life_pct", pct), ts);
  if (stored == null) {
    log.warn(device + ": remaining_life_pct not written");
    return false;
  }
  const refused = stored.get("refused");
  if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
  return true;
}

function truthy(v: Value): bool {
  if (v.isNum()) return v.n != 0;
  if (v.isStr()) return v.s.length > 0 && v.s != "0" && v.s != "false";
  return v.asBool(false);
}

function onTelemetry(event: Value): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const s = settings();

  // This message's values (the last of each property if repeated).
  let ts: f64 = NaN;
  let speed: f64 = NaN;
  let load: f64 = NaN;
  let tool = "";
  let toolSeen = false;
  let reset: Value | null = null;
  let relevant = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const prop = p.str("property");
    const v = p.get("value");
    if (v == null) continue;
    const isSpeed = prop == s.speed;
    const isLoad = prop == s.load;
    const isTool = prop == s.tool;
    const isReset = s.reset.length > 0 && prop == s.reset;
    if (!(isSpeed || isLoad || isTool || isReset)) continue;
    relevant = true;
    const pts = p.num("ts");
    if (isFinite(pts) && (isNaN(ts) || pts > ts)) ts = pts;
    if (isSpeed || isLoad) {
      if (!v.isNum() || !isFinite(v.n) || v.n < 0) {
        log.warn(device + ": ignored a bad " + prop + " reading");
        continue;
      }
      if (isSpeed) speed = v.n;
      else load = v.n;
    } else if (isTool) {
      tool = toolId(v, s.toolField);
      toolSeen = true;
      if (tool.length == 0) log.warn(device + ": " + prop + " carries no tool number");
    } else reset = v;
  }
  if (!relevant || isNaN(ts)) return 0;

  const key = "cnc:" + device;
  let st = kv.get(key);
  if (st == null || !st.isObj()) {
    st = newState(device);
    remember(device);
  }
  let status = 0;

  // 1. The interval since the previous message, in the previous state. Its remaining life
  //    is written unless another tool is now in the spindle (then that tool's is).
  const last = st.get("last")!;
  // A machine that never reports its tool (a lathe with one tool, a machine without the
  // signal) uses `default_tool`.
  if (st.str("tool").length == 0 && s.defaultTool.length > 0) st.setStr("tool", s.defaultTool);
  const prevTool = st.str("tool");
  const changed = toolSeen && tool.length > 0 && tool != prevTool;
  if (last.isArr()) {
    const t0 = last.items[0].n;
    const n0 = last.items[1].n;
    const l0 = last.items[2].n;
    const dt = ts - t0;
    if (dt <= 0) {
      log.debug(device + ": message not newer than the last one");
    } else if (n0 > 0 && (s.loadThreshold <= 0 || l0 > s.loadThreshold)) {
      if (dt > s.maxGap) {
        log.warn(device + ": " + fmt(dt / 1000.0, 0) + " s since the last message (more than max_gap_s): the interval is not counted");
      } else if (prevTool.length == 0) {
        log.warn(device + ": cutting with no known tool: " + fmt(dt / MIN) + " min not counted");
      } else {
        const r = cut(device, st, prevTool, n0, dt / MIN, s);
        if (r < 0) status = 2;
        else if (!changed && !writeRemaining(device, r, ts)) status = 2;
      }
    }
  }

  // 2. This message's state holds until the next one.
  const newer = !last.isArr() || ts > last.items[0].n;
  if (newer) {
    const n1 = isNaN(speed) ? (last.isArr() ? last.items[1].n : 0) : speed;
    const l1 = isNaN(load) ? (last.isArr() ? last.items[2].n : 0) : load;
    st.set("last", Value.nums([ts, n1, l1]));
    if (changed) {
      st.setStr("tool", tool);
      log.info(device + ": " + tool + " in the spindle" + (prevTool.length > 0 ? " (was " + prevTool + ")" : ""));
      const t = st.get("tools")!.get(tool);
      if (!writeRemaining(device, t == null ? 100.0 : remainingPct(t), ts)) status = 2;
    }
  }

  // 3. A tool change signalled by the machine: true for the tool in the spindle, or the
  //    number of the tool changed (0, false or empty: no change).
  if (reset != null && truthy(reset)) {
    const which = reset.kind == Kind.Bool ? st.str("tool") : toolId(reset, s.toolField);
    if (which.length > 0) {
      resetTool(device, st, which, ts, s.reset);
      if (which == st.str("tool") && !writeRemaining(device, 100.0, ts)) status = 2;
    } else log.warn(device + ": " + s.reset + " without a tool to reset");
  }

  if (!kv.set(key, st)) {
    log.error(device + ": the tool state could not be saved");
    return 1;
  }
  return status;
}

/** Keeps the list of machines (for a manual reset without a device). */
function remember(device: string): void {
  let known = kv.get("machines");
  if (known == null || !known.isArr()) known = Value.arr();
  for (let i = 0; i < known.length; i++) if (known.items[i].asStr() == device) return;
  known.push(Value.str(device));
  kv.set("machines", known);
}

/**
 * `minutes` of cutting by `tool` at `rpm`: adds the life fraction minutes / T(v) and checks
 * the thresholds. Returns the remaining life in %, or −1 when the life could not be computed.
 */
function cut(device: string, st: Value, tool: string, rpm: f64, minutes: f64, s: Settings): f64 {
  const u = setupOf(tool, s);
  if (isNaN(u.n) || isNaN(u.c)) {
    log.warn(device + ": " + tool + ": unknown tool material \"" + u.material + "\" (configure materials)");
    return -1;
  }
  // Cutting speed v = π·D·N (D in mm, N in r/min → m/min).
  const v = Math.PI * u.diameter * rpm / 1000.0;
  const out = model("machining.taylor_tool_life", Value.obj().setNum("v_c", v).setNum("n", u.n).setNum("C", u.c));
  if (out == null) {
    log.warn(device + ": " + tool + ": machining.taylor_tool_life refused (v = " + fmt(v, 1) + " m/min)");
    return -1;
  }
  const life = out.num("T");
  if (!(life > 0)) return -1;
  const tools = st.get("tools")!;
  let t = tools.get(tool);
  if (t == null) {
    t = newTool(NaN);
    tools.set(tool, t);
  }
  t.setNum("min", t.num("min", 0) + minutes);
  t.setNum("used", t.num("used", 0) + minutes / life);
  t.setNum("v", v);
  t.setNum("T", life);
  const remaining = remainingPct(t);

  // Warning at warn_pct, major at the end of life (the warning then gives way to it).
  const level = <i32>t.num("level", 0);
  const details = Value.obj()
    .setStr("tool", tool)
    .setNum("remaining_life_pct", remaining)
    .setNum("cutting_min", t.num("min"))
    .setNum("cutting_speed_m_min", v)
    .setNum("tool_life_min", life);
  if (remaining <= 0 && level < 2) {
    alarm.raise(device, END + tool, "major", details);
    if (level == 1) alarm.clear(device, LOW + tool);
    t.setNum("level", 2);
    log.info(device + ": " + tool + " at the end of its life after " + fmt(t.num("min")) + " min of cutting");
  } else if (remaining > 0 && remaining <= s.warnPct && level < 1) {
    alarm.raise(device, LOW + tool, "warning", details);
    t.setNum("level", 1);
    log.info(device + ": " + tool + " has " + fmt(remaining, 1) + " % of its life left");
  }
  return remaining;
}
