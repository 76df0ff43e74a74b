// Kanban card count per part by Toyota's formula (Sugimori, Kusunoki, Cho & Uchikawa,
// "Toyota production system and Kanban system — materialization of just-in-time and
// respect-for-human system", International Journal of Production Research 15(6), 1977,
// 553–564; Monden, Toyota Production System, chapter on the number of kanbans):
//
//   N = D · L · (1 + α) / C        rounded up (or down, to force improvement)
//
//   D  average demand per working day (learnt from the consuming machine's part counter
//      × the part's usage per unit, from posted consumption, or the planned demand)
//   L  replenishment lead time (waiting + processing + conveyance; plus the withdrawal
//      interval for a constant-cycle system), in working days: hours / working hours a day
//   α  safety coefficient (policy variable), C  container capacity (parts per card)
//
// Recommended cards are compared with the cards in circulation; too few raise
// `kanban_too_few_cards` on the consuming machine (or a configured device) listing the parts.
//
// State (crash-only runtime): "p:<part>" each part with its demand and recommendation,
// "m:<machine>" each machine's counter and daily counts, "index" the parts with their
// status, "alarm:<device>" the parts short on each alarm device.
import { Kind, Value, alarm, config, handle, kv, log, nowMs, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const DAY: f64 = 86400000;
const ALARM = "kanban_too_few_cards";
const DAYS_KEPT = 60;
const MAX_PARTS = 500;
const MAX_RECORDS = 500;

class Settings {
  counter: string = "part_count";
  cumulative: bool = true;
  offsetMs: f64 = 8 * 3600000;
  hoursPerDay: f64 = 16;
  alpha: f64 = 0.1;
  demandDays: i32 = 10;
  minDays: i32 = 3;
  useMax: bool = false;
  roundDown: bool = false;
  alarmDevice: string = "";
  severity: string = "major";
  valid: bool = true;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.counter = c.str("counter_property", "part_count");
  s.cumulative = c.str("counter_mode", "cumulative") != "increment";
  s.offsetMs = c.num("utc_offset_h", 8) * 3600000;
  s.hoursPerDay = c.num("working_hours_per_day", 16);
  s.alpha = c.num("alpha", 0.1);
  s.demandDays = <i32>c.num("demand_days", 10);
  s.minDays = <i32>c.num("min_days", 3);
  s.useMax = c.str("demand_basis", "mean") == "max";
  s.roundDown = c.str("rounding", "up") == "down";
  s.alarmDevice = c.str("alarm_device", "");
  s.severity = c.str("severity", "major");
  if (!(s.hoursPerDay > 0 && s.hoursPerDay <= 24) || !(s.alpha >= 0) || s.demandDays < 1 || s.minDays < 1 || !isFinite(s.offsetMs)) {
    log.error("configuration: 0 < working_hours_per_day ≤ 24; alpha ≥ 0; demand_days ≥ 1; min_days ≥ 1");
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
  const c = new Ctx(s);
  if (kind == "telemetry") onTelemetry(c, event);
  else if (kind == "http") onHttp(c, event);
  else if (kind == "schedule") onSchedule(c, event.num("at", <f64>nowMs()));
  else if (kind == "manual") {
    log.info("manual run: closing ended days and recomputing every part");
    onSchedule(c, event.num("at", <f64>nowMs()));
    const ix = c.idx();
    for (let i = 0; i < ix.length; i++) {
      const p = c.part(ix.items[i].items[0].asStr());
      if (p != null) recompute(c, p);
    }
  } else log.info("ignored a " + kind + " event");
  alarms(c);
  return c.save();
}

// ---- helpers ----

function fmt(x: f64, digits: i32 = 3): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

function localDay(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offsetMs) / DAY);
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

/** Records loaded in one event, written back once at its end. */
class Ctx {
  s: Settings;
  parts: Map<string, Value> = new Map();
  machines: Map<string, Value> = new Map();
  dirty: Set<string> = new Set();
  removed: Set<string> = new Set();
  index: Value | null = null;
  indexDirty: bool = false;
  /** Alarm devices whose list may have changed. */
  devices: Set<string> = new Set();
  constructor(s: Settings) {
    this.s = s;
  }
  part(name: string): Value | null {
    if (this.parts.has(name)) return this.parts.get(name);
    const v = kv.get("p:" + name);
    if (v == null || !v.isObj()) return null;
    this.parts.set(name, v);
    return v;
  }
  touchPart(p: Value): void {
    const name = p.str("part");
    this.parts.set(name, p);
    this.dirty.add("p:" + name);
  }
  machine(name: string): Value {
    if (this.machines.has(name)) return this.machines.get(name);
    let v = kv.get("m:" + name);
    if (v == null || !v.isObj()) {
      v = Value.obj().setStr("machine", name).set("cum", Value.null()).setNum("cum_ts", NaN).setNum("day", NaN).setNum("today", 0)
        .set("days", Value.arr()).setNum("skipped", 0);
    }
    this.machines.set(name, v);
    return v;
  }
  touchMachine(m: Value): void {
    this.dirty.add("m:" + m.str("machine"));
  }
  /** The parts: [[part, machine, alarm device, status, N, cards, N exact]]. */
  idx(): Value {
    let v = this.index;
    if (v != null) return v;
    v = kv.get("index");
    if (v == null || !v.isArr()) v = Value.arr();
    this.index = v;
    return v;
  }
  machineList(): Value {
    let v = kv.get("machines");
    if (v == null || !v.isArr()) v = Value.arr();
    return v;
  }
  save(): i32 {
    let status = 0;
    const keys = this.dirty.values();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const name = k.substring(2);
      if (this.removed.has(k)) continue;
      const v = k.startsWith("p:") ? this.parts.get(name) : this.machines.get(name);
      if (!kv.set(k, v)) {
        log.error("state " + k + " could not be saved");
        status = 1;
      }
    }
    const ix = this.index;
    if (this.indexDirty && ix != null && !kv.set("index", ix)) {
      log.error("the part index could not be saved");
      status = 1;
    }
    return status;
  }
}

// ---- daily demand ----

/** Adds `q` consumed at `ts` to a record with daily buckets (machine or part); closes ended days. */
function addDaily(rec: Value, q: f64, ts: f64, s: Settings): bool {
  const day = localDay(ts, s);
  const cur = rec.num("day");
  let closed = false;
  if (isNaN(cur)) rec.setNum("day", day).setNum("today", 0);
  else if (day > cur) closed = closeDays(rec, day, s);
  else if (day < cur) {
    // A late record of a closed day: added to that day's total when it is still kept.
    const days = rec.get("days")!;
    for (let i = 0; i < days.length; i++) {
      if (days.items[i].items[0].n == day) {
        days.items[i].items[1].n += q;
        return true;
      }
    }
    return false;
  }
  rec.setNum("today", rec.num("today") + q);
  return closed;
}

/** Closes the record's current day when `day` is later; true when one was closed. */
function closeDays(rec: Value, day: f64, s: Settings): bool {
  const cur = rec.num("day");
  if (isNaN(cur) || !(day > cur)) return false;
  const days = rec.get("days")!;
  const q = rec.num("today");
  days.push(Value.nums([cur, q]));
  while (days.length > DAYS_KEPT) days.items.shift();
  rec.setNum("day", day).setNum("today", 0);
  return true;
}

class Demand {
  perDay: f64 = NaN;
  days: i32 = 0;
  source: string = "";
}

/** Average (or maximum) of the last demand_days working days (days with consumption) of a record. */
function learnt(rec: Value | null, usage: f64, s: Settings): Demand {
  const out = new Demand();
  if (rec == null) return out;
  const days = rec.get("days");
  if (days == null) return out;
  let n = 0;
  let sum = 0.0, max = 0.0;
  for (let i = days.length - 1; i >= 0 && n < s.demandDays; i--) {
    const q = days.items[i].items[1].n;
    if (!(q > 0)) continue;
    n++;
    sum += q;
    if (q > max) max = q;
  }
  out.days = n;
  if (n >= s.minDays) out.perDay = (s.useMax ? max : sum / <f64>n) * usage;
  return out;
}

/** Recomputes a part's demand, recommended cards and status. */
function recompute(c: Ctx, p: Value): void {
  const s = c.s;
  const src = p.str("demand_source", "auto");
  const usage = p.num("usage_per_unit", 1);
  const machine = p.str("machine");
  let d = new Demand();
  if ((src == "auto" || src == "counter") && machine.length > 0) {
    const m = c.machines.has(machine) ? c.machines.get(machine) : kv.get("m:" + machine);
    d = learnt(m, usage, s);
    d.source = "counter";
  }
  if (isNaN(d.perDay) && (src == "auto" || src == "consumption")) {
    const e = learnt(p, 1, s);
    if (!isNaN(e.perDay) || src == "consumption") {
      d = e;
      d.source = "consumption";
    }
  }
  if (isNaN(d.perDay) && (src == "auto" || src == "planned")) {
    const planned = p.num("demand_per_day");
    if (planned >= 0) {
      d.perDay = planned;
      d.source = "planned";
    }
  }
  const C = p.num("container");
  const L = p.num("lead_time_h") + p.num("order_interval_h", 0);
  const alpha = isNaN(p.num("alpha")) ? s.alpha : p.num("alpha");
  const cards = p.num("cards");
  let exact = NaN, n = NaN;
  let status = "no_demand";
  if (!isNaN(d.perDay)) {
    exact = (d.perDay * (L / s.hoursPerDay) * (1 + alpha)) / C;
    // Rounded up (slack) or down (to force improvement); at least one card while there is demand.
    n = s.roundDown ? Math.floor(exact + 1e-9) : Math.ceil(exact - 1e-9);
    if (d.perDay > 0 && n < 1) n = 1;
    if (isNaN(cards)) status = "no_cards";
    else status = cards < n ? "too_few" : cards > n ? "excess" : "ok";
  }
  const before = p.str("status");
  p.setNum("demand_used", d.perDay).setStr("demand_from", d.source)
    .setNum("demand_days_used", <f64>d.days).setNum("lead_days", L / s.hoursPerDay).setNum("alpha_used", alpha)
    .setNum("n_exact", exact).setNum("n", n).setStr("status", status)
    .setNum("shortfall", status == "too_few" ? n - cards : 0)
    .setNum("max_inventory", isNaN(cards) ? NaN : cards * C)
    .setNum("coverage_h", !isNaN(cards) && d.perDay > 0 ? (cards * C) / (d.perDay / s.hoursPerDay) : NaN);
  c.touchPart(p);
  const nLogged = p.num("n_logged");
  if (status != before || !(nLogged == n || (isNaN(nLogged) && isNaN(n)))) {
    p.setNum("n_logged", n);
    if (!isNaN(n)) {
      log.info(p.str("part") + ": D = " + fmt(d.perDay, 2) + "/day (" + d.source + (d.source == "planned" ? "" : ", " + d.days.toString() + " day(s)") +
        "), L = " + fmt(L, 2) + " h = " + fmt(L / s.hoursPerDay, 4) + " day, α = " + fmt(alpha, 3) + ", C = " + fmt(C) +
        ": N = " + fmt(exact, 4) + " → " + fmt(n, 0) + " card(s); in circulation " + (isNaN(cards) ? "unknown" : fmt(cards, 0)) + " (" + status + ")");
    } else log.info(p.str("part") + ": no demand yet (" + d.days.toString() + " of " + s.minDays.toString() + " working days learnt, no planned demand)");
  }
  // The index entry, which the alarm evaluation reads.
  const ix = c.idx();
  const dev = alarmDevice(p, s);
  const entry = Value.arr().push(Value.str(p.str("part"))).push(Value.str(machine)).push(Value.str(dev)).push(Value.str(status))
    .push(Value.num(n)).push(Value.num(cards)).push(Value.num(exact));
  let found = false;
  for (let i = 0; i < ix.length; i++) {
    if (ix.items[i].items[0].asStr() == p.str("part")) {
      const old = ix.items[i].items[2].asStr();
      if (old != dev && old.length > 0) c.devices.add(old);
      ix.items[i] = entry;
      found = true;
      break;
    }
  }
  if (!found) ix.push(entry);
  c.indexDirty = true;
  if (dev.length > 0) c.devices.add(dev);
}

function alarmDevice(p: Value, s: Settings): string {
  const m = p.str("machine");
  return m.length > 0 ? m : s.alarmDevice;
}

/** Raises, updates or clears the too-few-cards alarm of each device whose parts changed. */
function alarms(c: Ctx): void {
  const devs = c.devices.values();
  if (devs.length == 0) return;
  const ix = c.idx();
  for (let k = 0; k < devs.length; k++) {
    const dev = devs[k];
    const list = Value.arr();
    const keys: string[] = [];
    for (let i = 0; i < ix.length; i++) {
      const e = ix.items[i];
      if (e.items[2].asStr() != dev || e.items[3].asStr() != "too_few") continue;
      list.push(Value.obj().setStr("part", e.items[0].asStr()).setNum("recommended", e.items[4].n).setNum("in_circulation", e.items[5].n)
        .setNum("n_exact", e.items[6].n).setNum("shortfall", e.items[4].n - e.items[5].n));
      keys.push(e.items[0].asStr() + ":" + fmt(e.items[4].n, 0) + ":" + fmt(e.items[5].n, 0));
    }
    const key = "alarm:" + dev;
    const was = kv.get(key);
    let same = was != null && was.isArr() && was.length == keys.length;
    for (let i = 0; same && i < keys.length; i++) if (was!.items[i].asStr() != keys[i]) same = false;
    if (same || (was == null && keys.length == 0)) continue;
    if (keys.length > 0) {
      if (alarm.raise(dev, ALARM, c.s.severity, Value.obj().setNum("count", <f64>keys.length).set("parts", list)) == null) {
        log.warn(dev + ": " + ALARM + " not raised (is it a device of the installation's products?)");
      } else log.warn(dev + ": too few kanban cards for " + list.toString());
      kv.set(key, Value.strs(keys));
    } else {
      alarm.clear(dev, ALARM);
      kv.remove(key);
      log.info(dev + ": enough kanban cards in circulation again");
    }
  }
}

// ---- telemetry: the consuming machines' counters ----

function onTelemetry(c: Ctx, event: Value): void {
  const machine = event.str("device");
  const points = event.get("points");
  if (machine.length == 0 || points == null || !points.isArr()) return;
  const s = c.s;
  let any = false;
  for (let i = 0; i < points.length; i++) if (points.items[i].str("property") == s.counter) any = true;
  if (!any) return;
  const m = c.machine(machine);
  c.touchMachine(m);
  if (isNaN(m.num("day"))) registerMachine(machine);
  let closed = false, late = 0, ignored = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    if (p.str("property") != s.counter) continue;
    const v = numeric(p.get("value"));
    const ts = p.num("ts");
    if (!(v >= 0) || !isFinite(v) || isNaN(ts)) {
      ignored++;
      continue;
    }
    let q = 0.0;
    if (s.cumulative) {
      const last = m.get("cum");
      const lastTs = m.num("cum_ts");
      if (!isNaN(lastTs) && ts <= lastTs) {
        late++;
        continue;
      }
      if (last == null || !last.isNum()) log.info(machine + ": first " + s.counter + " reading " + fmt(v) + ", counting from here");
      else if (v >= last.n) q = v - last.n;
      else {
        log.warn(machine + ": " + s.counter + " went from " + fmt(last.n) + " to " + fmt(v) + ": counter reset, counting " + fmt(v) + " since the reset");
        q = v;
      }
      m.setNum("cum", v).setNum("cum_ts", ts);
    } else q = v;
    if (addDaily(m, q, ts, s)) closed = true;
  }
  if (late > 0) log.warn(machine + ": skipped " + late.toString() + " counter reading(s) not newer than the last one");
  if (ignored > 0) log.warn(machine + ": ignored " + ignored.toString() + " counter reading(s) that are not non-negative numbers");
  m.setNum("skipped", m.num("skipped") + <f64>(late + ignored));
  if (closed) machineDayClosed(c, m);
}

function registerMachine(machine: string): void {
  const list = kv.get("machines");
  const l = list != null && list.isArr() ? list : Value.arr();
  for (let i = 0; i < l.length; i++) if (l.items[i].asStr() == machine) return;
  l.push(Value.str(machine));
  kv.set("machines", l);
}

function machineDayClosed(c: Ctx, m: Value): void {
  const days = m.get("days")!;
  const last = days.items[days.length - 1];
  log.info(m.str("machine") + ": day " + dateOf(last.items[0].n) + " closed with " + fmt(last.items[1].n) + " part(s)");
  const ix = c.idx();
  for (let i = 0; i < ix.length; i++) {
    if (ix.items[i].items[1].asStr() != m.str("machine")) continue;
    const p = c.part(ix.items[i].items[0].asStr());
    if (p != null) recompute(c, p);
  }
}

// ---- schedule: close ended days ----

function onSchedule(c: Ctx, at: f64): void {
  const day = localDay(at, c.s);
  const list = c.machineList();
  for (let i = 0; i < list.length; i++) {
    const m = c.machine(list.items[i].asStr());
    if (closeDays(m, day, c.s)) {
      c.touchMachine(m);
      machineDayClosed(c, m);
    }
  }
  const ix = c.idx();
  for (let i = 0; i < ix.length; i++) {
    const p = c.part(ix.items[i].items[0].asStr());
    if (p == null) continue;
    if (closeDays(p, day, c.s)) recompute(c, p);
  }
}

// ---- HTTP ----

function bad(status: i32, message: string): void {
  reply(status, Value.obj().setStr("error", message));
}

function onHttp(c: Ctx, event: Value): void {
  const path = event.str("path");
  const body = event.get("body");
  if (path == "list") {
    list(c);
    return;
  }
  if (path != "parts" && path != "cards" && path != "consumption" && path != "delete") {
    bad(404, "unknown path " + path + " (parts, cards, consumption, delete, list)");
    return;
  }
  if (body == null || !body.isObj()) {
    bad(400, "the body must be a JSON object");
    return;
  }
  if (path == "parts") postParts(c, body);
  else if (path == "consumption") postConsumption(c, body);
  else {
    const name = body.str("part");
    const p = name.length > 0 ? c.part(name) : null;
    if (p == null) {
      bad(404, "no part " + name);
      return;
    }
    if (path == "delete") {
      const ix = c.idx();
      for (let i = 0; i < ix.length; i++) {
        if (ix.items[i].items[0].asStr() == name) {
          const dev = ix.items[i].items[2].asStr();
          if (dev.length > 0) c.devices.add(dev);
          ix.items.splice(i, 1);
          break;
        }
      }
      c.indexDirty = true;
      kv.remove("p:" + name);
      c.removed.add("p:" + name);
      log.info(name + ": deleted");
      reply(200, Value.obj().setStr("deleted", name));
      return;
    }
    const v = body.get("cards");
    if (v == null || !v.isNum() || !(v.n >= 0) || v.n != Math.floor(v.n)) {
      bad(400, "cards must be a whole number ≥ 0");
      return;
    }
    p.setNum("cards", v.n);
    recompute(c, p);
    reply(200, partView(p));
  }
}

/** Why a posted part cannot be taken ("" when it can). */
function checkPart(r: Value): string {
  if (!r.isObj()) return "not an object";
  const name = r.str("part");
  if (name.length == 0 || name.length > 64) return "part is required (1–64 characters)";
  const C = r.get("container");
  if (C == null || !C.isNum() || !(C.n > 0) || !isFinite(C.n)) return "container must be a number > 0 (parts per card)";
  const L = r.get("lead_time_h");
  if (L == null || !L.isNum() || !(L.n > 0) || !isFinite(L.n)) return "lead_time_h must be a number > 0";
  const pos = ["order_interval_h", "alpha", "demand_per_day", "demand_per_hour"];
  for (let k = 0; k < pos.length; k++) {
    const v = r.get(pos[k]);
    if (v != null && !v.isNull() && (!v.isNum() || !(v.n >= 0) || !isFinite(v.n))) return pos[k] + " must be a number ≥ 0";
  }
  const a = r.get("alpha");
  if (a != null && a.isNum() && a.n > 5) return "alpha must be at most 5";
  const u = r.get("usage_per_unit");
  if (u != null && !u.isNull() && (!u.isNum() || !(u.n > 0) || !isFinite(u.n))) return "usage_per_unit must be a number > 0";
  const k = r.get("cards");
  if (k != null && !k.isNull() && (!k.isNum() || !(k.n >= 0) || k.n != Math.floor(k.n))) return "cards must be a whole number ≥ 0";
  const m = r.get("machine");
  if (m != null && !m.isNull() && !m.isStr()) return "machine must be text";
  const src = r.str("demand_source", "auto");
  if (src != "auto" && src != "counter" && src != "consumption" && src != "planned") return "demand_source must be auto, counter, consumption or planned";
  return "";
}

function postParts(c: Ctx, body: Value): void {
  const list: Value[] = [];
  const arr = body.get("parts");
  if (arr != null && arr.isArr()) {
    for (let i = 0; i < arr.length; i++) list.push(arr.items[i]);
  } else list.push(body);
  if (list.length > MAX_PARTS) {
    bad(400, "at most " + MAX_PARTS.toString() + " parts a request");
    return;
  }
  const refused = Value.arr();
  const taken = Value.arr();
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    let why = checkPart(r);
    let p: Value | null = null;
    if (why.length == 0) {
      p = c.part(r.str("part"));
      if (p == null && c.idx().length >= MAX_PARTS) why = "too many parts (" + MAX_PARTS.toString() + ")";
    }
    if (why.length > 0) {
      refused.push(Value.obj().setNum("index", <f64>i).setStr("reason", why));
      continue;
    }
    if (p == null) {
      p = Value.obj().setStr("part", r.str("part")).setNum("day", NaN).setNum("today", 0).set("days", Value.arr()).setStr("status", "");
    }
    p.setStr("machine", r.str("machine")).setNum("usage_per_unit", r.num("usage_per_unit", 1))
      .setNum("container", r.num("container")).setNum("lead_time_h", r.num("lead_time_h")).setNum("order_interval_h", r.num("order_interval_h", 0))
      .setNum("alpha", r.num("alpha", NaN)).setStr("demand_source", r.str("demand_source", "auto"));
    const perHour = r.num("demand_per_hour");
    p.setNum("demand_per_day", !isNaN(perHour) ? perHour * c.s.hoursPerDay : r.num("demand_per_day"));
    const cards = r.get("cards");
    if (cards != null && cards.isNum()) p.setNum("cards", cards.n);
    else if (p.get("cards") == null) p.setNum("cards", NaN);
    if (p.str("machine").length > 0) {
      const m = c.machine(p.str("machine"));
      if (isNaN(m.num("day"))) log.info(p.str("part") + ": its machine " + p.str("machine") + " has reported no " + c.s.counter + " yet");
    }
    recompute(c, p);
    taken.push(partView(p));
  }
  if (refused.length > 0) log.warn("parts: refused " + refused.length.toString() + ": " + refused.toString());
  reply(refused.length > 0 && taken.length == 0 ? 400 : 200, Value.obj().setNum("accepted", <f64>taken.length).set("refused", refused).set("parts", taken));
}

function postConsumption(c: Ctx, body: Value): void {
  const list: Value[] = [];
  const arr = body.get("records");
  if (arr != null && arr.isArr()) {
    for (let i = 0; i < arr.length; i++) list.push(arr.items[i]);
  } else list.push(body);
  if (list.length > MAX_RECORDS) {
    bad(400, "at most " + MAX_RECORDS.toString() + " records a request");
    return;
  }
  const refused = Value.arr();
  let accepted = 0;
  const now = <f64>nowMs();
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    let why = "";
    let p: Value | null = null;
    if (!r.isObj()) why = "not an object";
    else {
      p = c.part(r.str("part"));
      const q = r.get("quantity");
      const t = r.get("ts");
      if (p == null) why = "no part " + r.str("part");
      else if (q == null || !q.isNum() || !(q.n >= 0) || !isFinite(q.n)) why = "quantity must be a number ≥ 0";
      else if (t != null && (!t.isNum() || !(t.n > 0))) why = "ts must be a time in ms";
    }
    if (why.length > 0 || p == null) {
      refused.push(Value.obj().setNum("index", <f64>i).setStr("reason", why));
      continue;
    }
    if (addDaily(p, r.num("quantity"), r.num("ts", now), c.s)) recompute(c, p);
    else c.touchPart(p);
    accepted++;
  }
  if (refused.length > 0) log.warn("consumption: refused " + refused.length.toString() + ": " + refused.toString());
  reply(refused.length > 0 && accepted == 0 ? 400 : 200, Value.obj().setNum("accepted", <f64>accepted).set("refused", refused));
}

function partView(p: Value): Value {
  const out = Value.obj().setStr("part", p.str("part")).setStr("machine", p.str("machine")).setStr("status", p.str("status")).setStr("demand_from", p.str("demand_from"));
  const nums = ["demand_used", "demand_days_used", "lead_time_h", "order_interval_h", "lead_days", "alpha_used", "container", "n_exact", "n", "cards", "shortfall", "max_inventory", "coverage_h"];
  for (let i = 0; i < nums.length; i++) {
    const v = p.get(nums[i]);
    out.set(nums[i], v == null ? Value.null() : v);
  }
  return out;
}

function list(c: Ctx): void {
  const ix = c.idx();
  const out = Value.arr();
  for (let i = 0; i < ix.length; i++) {
    const p = c.part(ix.items[i].items[0].asStr());
    if (p != null) out.push(partView(p));
  }
  reply(200, Value.obj().set("parts", out));
}
