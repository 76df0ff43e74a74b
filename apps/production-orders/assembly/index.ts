// Production order tracking with the KPIs of ISO 22400-2:2014 (Automation systems and
// integration — Key performance indicators for manufacturing operations management —
// Part 2: Definitions and descriptions), per order:
//
//   time elements   AOET actual order execution time = order end (or now) − order start
//                   APT  actual production time = time the work unit produced for the order
//                        (here: the machine's state was a production state)
//                   POET planned order execution time = planned end − planned start
//                   PRU  planned runtime per unit (the order's planned cycle)
//   quantities      POQ order quantity, PQ produced quantity (the machine's counter while
//                   the order is active, plus posted quantities), SQ scrap quantity,
//                   RQ rework quantity (posted), GQ good quantity = PQ − SQ − RQ
//   KPIs            throughput rate = PQ / AOET
//                   production process ratio = APT / AOET
//                   effectiveness = PRU × PQ / APT
//                   quality ratio = GQ / PQ,  scrap ratio = SQ / PQ
//
// Orders are posted to the HTTP trigger (`orders`, `start`, `complete`, `report`, `cancel`,
// `board`); the machines' part counter and state come from telemetry. A machine runs one
// order at a time. Late orders (not started by the planned start plus a grace, or not
// finished by the planned end) raise `order_late` on the machine; running orders whose
// projected end falls after the planned end raise `order_at_risk`.
//
// State (crash-only runtime): "o:<order>" each order, "m:<machine>" each machine (counter,
// state, the active order, alarms), "index" the open and recently finished orders.
import { Kind, Value, alarm, config, handle, kv, log, nowMs, reply } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const H: f64 = 3600000;
const LATE = "order_late";
const RISK = "order_at_risk";
/** Orders one request may carry. */
const MAX_ORDERS = 200;
/** Open orders kept (planned or running). */
const MAX_OPEN = 400;

class Settings {
  counter: string = "part_count";
  cumulative: bool = true;
  state: string = "mode";
  production: f64[] = [1];
  maxGapMs: f64 = 300000;
  autoComplete: bool = true;
  startGraceMs: f64 = 15 * 60000;
  lateGraceMs: f64 = 0;
  atRisk: bool = true;
  keepDone: i32 = 50;
  severity: string = "major";
  valid: bool = true;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.counter = c.str("counter_property", "part_count");
  s.cumulative = c.str("counter_mode", "cumulative") != "increment";
  s.state = c.str("state_property", "mode");
  const ps = c.get("production_states");
  if (ps != null && ps.isArr()) {
    s.production = [];
    for (let i = 0; i < ps.length; i++) if (ps.items[i].isNum()) s.production.push(ps.items[i].n);
  }
  s.maxGapMs = c.num("max_gap_s", 300) * 1000;
  s.autoComplete = c.bool("auto_complete", true);
  s.startGraceMs = c.num("start_grace_min", 15) * 60000;
  s.lateGraceMs = c.num("late_grace_min", 0) * 60000;
  s.atRisk = c.bool("at_risk", true);
  s.keepDone = <i32>c.num("keep_done", 50);
  s.severity = c.str("severity", "major");
  if (s.counter.length == 0 || !(s.maxGapMs > 0) || !(s.startGraceMs >= 0) || !(s.lateGraceMs >= 0) || s.keepDone < 1) {
    log.error("configuration: counter_property is required; max_gap_s > 0; grace times ≥ 0; keep_done ≥ 1");
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
  let status = 0;
  if (kind == "telemetry") status = onTelemetry(c, event);
  else if (kind == "http") status = onHttp(c, event);
  else if (kind == "schedule") status = onSchedule(c, event.num("at", <f64>nowMs()));
  else if (kind == "manual") {
    log.info("manual run: re-evaluating the open orders now");
    status = onSchedule(c, event.num("at", <f64>nowMs()));
  } else log.info("ignored a " + kind + " event");
  return status | c.save();
}

// ---- helpers ----

function fmt(x: f64, digits: i32 = 3): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, digits);
  const y = Math.round(x * p) / p;
  if (y == Math.floor(y) && Math.abs(y) < 1e15) return (<i64>y).toString();
  return y.toString();
}

function minutes(ms: f64): string {
  return fmt(ms / 60000, 1) + " min";
}

/** A reading as a number: numbers, booleans as 0/1; NaN for anything else. */
function numeric(v: Value | null): f64 {
  if (v == null) return NaN;
  if (v.isNum()) return v.n;
  if (v.kind == Kind.Bool) return v.b ? 1 : 0;
  return NaN;
}

/** Loaded records of one event, written back once at its end. */
class Ctx {
  s: Settings;
  orders: Map<string, Value> = new Map();
  machines: Map<string, Value> = new Map();
  dirty: Set<string> = new Set();
  index: Value | null = null;
  indexDirty: bool = false;
  constructor(s: Settings) {
    this.s = s;
  }

  order(no: string): Value | null {
    if (this.orders.has(no)) return this.orders.get(no);
    const v = kv.get("o:" + no);
    if (v == null || !v.isObj()) return null;
    this.orders.set(no, v);
    return v;
  }
  putOrder(o: Value): void {
    const no = o.str("order_no");
    this.orders.set(no, o);
    this.dirty.add("o:" + no);
  }
  touchOrder(o: Value): void {
    this.dirty.add("o:" + o.str("order_no"));
  }
  machine(name: string): Value {
    if (this.machines.has(name)) return this.machines.get(name);
    let v = kv.get("m:" + name);
    if (v == null || !v.isObj()) {
      v = Value.obj().setStr("machine", name).set("cum", Value.null()).setNum("cum_ts", NaN).setNum("state", NaN)
        .setNum("seen_ts", NaN).setStr("active", "").setNum("unassigned", 0).setNum("skipped", 0)
        .set("late", Value.arr()).set("risk", Value.arr());
    }
    this.machines.set(name, v);
    return v;
  }
  touchMachine(m: Value): void {
    this.dirty.add("m:" + m.str("machine"));
  }
  idx(): Value {
    let v = this.index;
    if (v != null) return v;
    v = kv.get("index");
    if (v == null || !v.isObj()) v = Value.obj().set("open", Value.arr()).set("done", Value.arr());
    this.index = v;
    return v;
  }
  save(): i32 {
    let status = 0;
    const keys = this.dirty.values();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const name = k.substring(2);
      const v = k.startsWith("o:") ? this.orders.get(name) : this.machines.get(name);
      if (!kv.set(k, v)) {
        log.error("state " + k + " could not be saved");
        status = 1;
      }
    }
    const ix = this.index;
    if (this.indexDirty && ix != null && !kv.set("index", ix)) {
      log.error("the order index could not be saved");
      status = 1;
    }
    return status;
  }
}

function production(c: Ctx, m: Value): bool {
  if (c.s.state.length == 0) return true;
  const st = m.num("state");
  if (isNaN(st)) return false;
  for (let i = 0; i < c.s.production.length; i++) if (c.s.production[i] == st) return true;
  return false;
}

/**
 * Accounts the time up to `t` to the machine's active order: actual production time while
 * the machine's last state (held at most max_gap_s after its last reading) is a
 * production state; time after the hold is a data gap.
 */
function advance(c: Ctx, m: Value, t: f64): void {
  const no = m.str("active");
  if (no.length == 0) return;
  const o = c.order(no);
  if (o == null || o.str("status") != "running") return;
  const from = o.num("acc_ts");
  if (!(t > from)) return;
  const seen = m.num("seen_ts");
  // The last state holds from its reading for at most max_gap_s; before any reading nothing is known.
  const holdEnd = isNaN(seen) ? from : seen + c.s.maxGapMs;
  const end = Math.min(t, holdEnd);
  if (end > from && production(c, m)) o.setNum("apt_ms", o.num("apt_ms") + (end - from));
  if (t > holdEnd) o.setNum("gap_ms", o.num("gap_ms") + (t - Math.max(holdEnd, from)));
  o.setNum("acc_ts", t);
  c.touchOrder(o);
}

// ---- KPIs ----

/** Recomputes an order's ISO 22400-2 KPIs at `now` (its end once completed). */
function kpis(c: Ctx, o: Value, now: f64): void {
  const st = o.str("status");
  if (st == "planned" || st == "cancelled") return;
  const end = st == "completed" ? o.num("end") : Math.max(now, o.num("acc_ts"));
  const aoet = Math.max(0, end - o.num("start"));
  const apt = o.num("apt_ms");
  const pq = o.num("counted") + o.num("posted");
  const sq = o.num("sq"), rq = o.num("rq");
  const gq = Math.max(0, pq - sq - rq);
  const pru = o.num("pru_s");
  o.setNum("aoet_ms", aoet).setNum("pq", pq).setNum("gq", gq)
    .setNum("throughput_ph", aoet > 0 ? pq / (aoet / H) : NaN)
    .setNum("production_process_ratio", aoet > 0 ? apt / aoet : NaN)
    .setNum("effectiveness", pru > 0 && apt > 0 ? (pru * 1000 * pq) / apt : NaN)
    .setNum("quality_ratio", pq > 0 ? gq / pq : NaN)
    .setNum("scrap_ratio", pq > 0 ? sq / pq : NaN)
    .setNum("completion", gq / o.num("quantity"))
    .setNum("start_delay_ms", o.num("start") - o.num("planned_start"));
  if (st == "completed") {
    o.setNum("lateness_ms", o.num("end") - o.num("planned_end")).setNum("projected_end", o.num("end"));
    return;
  }
  // Projected end: the remaining good quantity at the good rate so far (once a tenth of the
  // order, at least one part, is good), before that at the planned cycle.
  const remaining = Math.max(0, o.num("quantity") - gq);
  let proj = NaN;
  if (remaining == 0) proj = end;
  else if (gq > 0 && gq >= 0.1 * o.num("quantity") && aoet > 0) proj = end + remaining * (aoet / gq);
  else if (pru > 0) proj = end + remaining * pru * 1000;
  o.setNum("projected_end", proj);
}

/** Late and at-risk orders of a machine at `now`: raises, updates or clears its alarms. */
function evaluate(c: Ctx, machine: string, now: f64): void {
  const m = c.machine(machine);
  const open = c.idx().get("open")!;
  const late = Value.arr();
  const risk = Value.arr();
  const lateKeys: string[] = [];
  const riskKeys: string[] = [];
  for (let i = 0; i < open.length; i++) {
    const e = open.items[i];
    if (e.items[1].asStr() != machine) continue;
    const o = c.order(e.items[0].asStr());
    if (o == null) continue;
    const st = o.str("status");
    if (st == "running") kpis(c, o, now);
    let reason = "";
    if (now > o.num("planned_end") + c.s.lateGraceMs) reason = "overdue";
    else if (st == "planned" && now > o.num("planned_start") + c.s.startGraceMs) reason = "not_started";
    const wasLate = o.str("late");
    if (reason != wasLate) {
      o.setStr("late", reason);
      c.touchOrder(o);
      if (reason.length > 0) log.warn(o.str("order_no") + " on " + machine + ": late (" + reason + ")");
    }
    if (st == "running") c.touchOrder(o);
    const rec = Value.obj().setStr("order_no", o.str("order_no")).setStr("product", o.str("product"))
      .setNum("planned_start", o.num("planned_start")).setNum("planned_end", o.num("planned_end"))
      .setNum("good", o.num("gq")).setNum("quantity", o.num("quantity"));
    if (reason.length > 0) {
      late.push(rec.setStr("reason", reason));
      lateKeys.push(o.str("order_no") + ":" + reason);
    } else if (c.s.atRisk && st == "running") {
      const proj = o.num("projected_end");
      const atRisk = !isNaN(proj) && proj > o.num("planned_end") + c.s.lateGraceMs;
      if (atRisk != o.bool("at_risk")) {
        o.setBool("at_risk", atRisk);
        c.touchOrder(o);
        if (atRisk) log.warn(o.str("order_no") + " on " + machine + ": projected to end " + minutes(proj - o.num("planned_end")) + " after its planned end");
      }
      if (atRisk) {
        risk.push(rec.setNum("projected_end", proj));
        riskKeys.push(o.str("order_no"));
      }
    }
  }
  signal(c, m, LATE, "late", late, lateKeys, c.s.severity);
  signal(c, m, RISK, "risk", risk, riskKeys, "warning");
}

function signal(c: Ctx, m: Value, type: string, field: string, list: Value, keys: string[], severity: string): void {
  const was = m.get(field)!;
  let same = was.length == keys.length;
  for (let i = 0; same && i < keys.length; i++) if (was.items[i].asStr() != keys[i]) same = false;
  if (same) return;
  const machine = m.str("machine");
  if (keys.length > 0) {
    if (alarm.raise(machine, type, severity, Value.obj().setNum("count", <f64>keys.length).set("orders", list)) == null) {
      log.warn(machine + ": " + type + " not raised (is the machine a device of the installation's products?)");
    }
  } else alarm.clear(machine, type);
  m.set(field, Value.strs(keys));
  c.touchMachine(m);
}

// ---- telemetry ----

function onTelemetry(c: Ctx, event: Value): i32 {
  const machine = event.str("device");
  const points = event.get("points");
  if (machine.length == 0 || points == null || !points.isArr()) return 0;
  const s = c.s;
  // The machine's points of interest, oldest first.
  const idx: i32[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i].str("property");
    if (p == s.counter || (s.state.length > 0 && p == s.state)) idx.push(i);
  }
  if (idx.length == 0) return 0;
  for (let a = 1; a < idx.length; a++) {
    const k = idx[a];
    let b = a - 1;
    while (b >= 0 && points.items[idx[b]].num("ts") > points.items[k].num("ts")) {
      idx[b + 1] = idx[b];
      b--;
    }
    idx[b + 1] = k;
  }
  const m = c.machine(machine);
  c.touchMachine(m);
  let late = 0, ignored = 0;
  let now = NaN;
  for (let a = 0; a < idx.length; a++) {
    const p = points.items[idx[a]];
    const ts = p.num("ts");
    const seen = m.num("seen_ts");
    if (isNaN(ts) || (!isNaN(seen) && ts < seen)) {
      late++;
      continue;
    }
    advance(c, m, ts);
    m.setNum("seen_ts", ts);
    now = ts;
    const v = numeric(p.get("value"));
    if (p.str("property") == s.state && s.state.length > 0) {
      if (isNaN(v)) {
        ignored++;
        continue;
      }
      m.setNum("state", v);
      continue;
    }
    if (!(v >= 0) || !isFinite(v)) {
      ignored++;
      continue;
    }
    count(c, m, v, ts);
  }
  if (late > 0) log.warn(machine + ": skipped " + late.toString() + " reading(s) older than the last one");
  if (ignored > 0) log.warn(machine + ": ignored " + ignored.toString() + " reading(s) that are not non-negative numbers");
  m.setNum("skipped", m.num("skipped") + <f64>(late + ignored));
  if (!isNaN(now)) evaluate(c, machine, now);
  return 0;
}

/** A counter reading: the parts made since the last one go to the active order. */
function count(c: Ctx, m: Value, v: f64, ts: f64): void {
  const machine = m.str("machine");
  let delta = 0.0;
  if (c.s.cumulative) {
    const last = m.get("cum");
    const cumTs = m.num("cum_ts");
    if (last == null || !last.isNum()) {
      log.info(machine + ": first " + c.s.counter + " reading " + fmt(v) + ", counting from here");
    } else if (!isNaN(cumTs) && ts <= cumTs) {
      return;
    } else if (v >= last.n) {
      delta = v - last.n;
    } else {
      log.warn(machine + ": " + c.s.counter + " went from " + fmt(last.n) + " to " + fmt(v) + ": counter reset, counting " + fmt(v) + " since the reset");
      delta = v;
    }
    m.setNum("cum", v).setNum("cum_ts", ts);
  } else delta = v;
  if (delta <= 0) return;
  const no = m.str("active");
  const o = no.length > 0 ? c.order(no) : null;
  if (o == null || o.str("status") != "running") {
    m.setNum("unassigned", m.num("unassigned") + delta);
    return;
  }
  o.setNum("counted", o.num("counted") + delta);
  c.touchOrder(o);
  kpis(c, o, ts);
  if (c.s.autoComplete && o.num("gq") >= o.num("quantity")) {
    log.info(no + ": good quantity " + fmt(o.num("gq")) + " reached the order quantity " + fmt(o.num("quantity")) + ": completed");
    complete(c, o, ts);
  }
}

// ---- order life cycle ----

function complete(c: Ctx, o: Value, ts: f64): void {
  const m = c.machine(o.str("machine"));
  if (m.str("active") == o.str("order_no")) {
    advance(c, m, ts);
    m.setStr("active", "");
    c.touchMachine(m);
  }
  o.setStr("status", "completed").setNum("end", ts).setStr("late", "").setBool("at_risk", false);
  kpis(c, o, ts);
  c.touchOrder(o);
  finish(c, o);
  log.info(o.str("order_no") + " completed on " + o.str("machine") + ": PQ " + fmt(o.num("pq")) + ", GQ " + fmt(o.num("gq")) +
    " of " + fmt(o.num("quantity")) + ", AOET " + minutes(o.num("aoet_ms")) + ", APT " + minutes(o.num("apt_ms")) +
    ", throughput " + fmt(o.num("throughput_ph"), 2) + "/h, production process ratio " + fmt(o.num("production_process_ratio"), 3) +
    ", effectiveness " + fmt(o.num("effectiveness"), 3) + ", lateness " + minutes(o.num("lateness_ms")));
}

/** Moves a finished (completed or cancelled) order from the open list to the recent ones. */
function finish(c: Ctx, o: Value): void {
  const ix = c.idx();
  const open = ix.get("open")!;
  const no = o.str("order_no");
  for (let i = 0; i < open.length; i++) {
    if (open.items[i].items[0].asStr() == no) {
      open.items.splice(i, 1);
      break;
    }
  }
  const done = ix.get("done")!;
  done.push(Value.str(no));
  while (done.length > c.s.keepDone) {
    const old = done.items.shift().asStr();
    kv.remove("o:" + old);
    if (c.orders.has(old)) c.orders.delete(old);
    if (c.dirty.has("o:" + old)) c.dirty.delete("o:" + old);
  }
  c.indexDirty = true;
  evaluate(c, o.str("machine"), o.num("end"));
}

// ---- HTTP ----

function bad(status: i32, message: string): i32 {
  reply(status, Value.obj().setStr("error", message));
  return 0;
}

function onHttp(c: Ctx, event: Value): i32 {
  const path = event.str("path");
  const body = event.get("body");
  if (path == "board") return board(c);
  if (path != "orders" && path != "start" && path != "complete" && path != "report" && path != "cancel") {
    return bad(404, "unknown path " + path + " (orders, start, complete, report, cancel, board)");
  }
  if (body == null || !body.isObj()) return bad(400, "the body must be a JSON object");
  if (path == "orders") return postOrders(c, body);
  const no = body.str("order_no");
  if (no.length == 0) return bad(400, "order_no is required");
  const o = c.order(no);
  if (o == null) return bad(404, "no order " + no);
  const t = body.get("ts");
  if (t != null && (!t.isNum() || !(t.n > 0))) return bad(400, "ts must be a time in ms");
  const ts = body.num("ts", <f64>nowMs());
  const st = o.str("status");
  const machine = o.str("machine");
  if (path == "start") {
    if (st != "planned") return bad(409, no + " is " + st);
    const m = c.machine(machine);
    const busy = m.str("active");
    if (busy.length > 0) return bad(409, machine + " is running order " + busy + "; complete or cancel it first");
    advance(c, m, ts);
    o.setStr("status", "running").setNum("start", ts).setNum("acc_ts", ts);
    m.setStr("active", no);
    c.touchMachine(m);
    c.touchOrder(o);
    kpis(c, o, ts);
    log.info(no + " started on " + machine + " (" + minutes(ts - o.num("planned_start")) + " after its planned start)");
    evaluate(c, machine, ts);
    reply(200, summary(o));
    return 0;
  }
  if (path == "complete") {
    if (st != "running") return bad(409, no + " is " + st + "; only a running order can be completed");
    if (ts < o.num("start")) return bad(400, "ts is before the order's start");
    complete(c, o, ts);
    reply(200, summary(o));
    return 0;
  }
  if (path == "cancel") {
    if (st == "completed" || st == "cancelled") return bad(409, no + " is " + st);
    const m = c.machine(machine);
    if (m.str("active") == no) {
      advance(c, m, ts);
      m.setStr("active", "");
      c.touchMachine(m);
    }
    o.setStr("status", "cancelled").setNum("end", ts).setStr("late", "").setBool("at_risk", false);
    c.touchOrder(o);
    finish(c, o);
    log.info(no + " cancelled");
    reply(200, summary(o));
    return 0;
  }
  // report: scrap, rework, produced quantities (counted elsewhere, e.g. inspection)
  if (st != "running" && st != "completed") return bad(409, no + " is " + st + "; quantities are reported on running or completed orders");
  const keys = ["scrap", "rework", "produced"];
  let any = false;
  for (let k = 0; k < 3; k++) {
    const v = body.get(keys[k]);
    if (v == null) continue;
    if (!v.isNum() || !(v.n >= 0) || !isFinite(v.n)) return bad(400, keys[k] + " must be a number ≥ 0");
    any = true;
  }
  if (!any) return bad(400, "scrap, rework or produced is required");
  o.setNum("sq", o.num("sq") + body.num("scrap", 0)).setNum("rq", o.num("rq") + body.num("rework", 0)).setNum("posted", o.num("posted") + body.num("produced", 0));
  c.touchOrder(o);
  if (st == "running") {
    advance(c, c.machine(machine), ts);
    kpis(c, o, ts);
    if (c.s.autoComplete && o.num("gq") >= o.num("quantity")) complete(c, o, ts);
    else evaluate(c, machine, ts);
  } else kpis(c, o, ts);
  log.info(no + ": reported scrap " + fmt(body.num("scrap", 0)) + ", rework " + fmt(body.num("rework", 0)) + ", produced " + fmt(body.num("produced", 0)));
  reply(200, summary(o));
  return 0;
}

/** Why a posted order cannot be taken ("" when it can). */
function checkOrder(r: Value): string {
  if (!r.isObj()) return "not an object";
  const no = r.str("order_no");
  if (no.length == 0 || no.length > 64) return "order_no is required (1–64 characters)";
  const m = r.str("machine");
  if (m.length == 0 || m.length > 128) return "machine is required";
  const q = r.get("quantity");
  if (q == null || !q.isNum() || !(q.n > 0) || !isFinite(q.n)) return "quantity must be a number > 0";
  const a = r.get("planned_start"), b = r.get("planned_end");
  if (a == null || !a.isNum() || !(a.n > 0)) return "planned_start must be a time in ms";
  if (b == null || !b.isNum() || !(b.n > a.n)) return "planned_end must be a time in ms after planned_start";
  const p = r.get("planned_cycle_s");
  if (p != null && !p.isNull() && (!p.isNum() || !(p.n >= 0) || !isFinite(p.n))) return "planned_cycle_s must be a number ≥ 0";
  const pr = r.get("product");
  if (pr != null && !pr.isNull() && !pr.isStr()) return "product must be text";
  return "";
}

function postOrders(c: Ctx, body: Value): i32 {
  const list: Value[] = [];
  const arr = body.get("orders");
  if (arr != null && arr.isArr()) {
    for (let i = 0; i < arr.length; i++) list.push(arr.items[i]);
  } else list.push(body);
  if (list.length > MAX_ORDERS) return bad(400, "at most " + MAX_ORDERS.toString() + " orders a request");
  const refused = Value.arr();
  const taken = Value.arr();
  const now = <f64>nowMs();
  const machines = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    let why = checkOrder(r);
    let o: Value | null = null;
    if (why.length == 0) {
      o = c.order(r.str("order_no"));
      if (o != null) {
        const st = o.str("status");
        if (st == "completed" || st == "cancelled") why = "order is " + st;
        else if (st == "running" && r.str("machine") != o.str("machine")) why = "order is running on " + o.str("machine") + "; its machine cannot change";
      } else if (c.idx().get("open")!.length >= MAX_OPEN) why = "too many open orders (" + MAX_OPEN.toString() + ")";
    }
    if (why.length > 0) {
      refused.push(Value.obj().setNum("index", <f64>i).setStr("reason", why));
      continue;
    }
    const no = r.str("order_no");
    const pru = r.get("planned_cycle_s");
    if (o == null) {
      o = Value.obj().setStr("order_no", no).setStr("status", "planned").setNum("created", now)
        .setNum("start", NaN).setNum("end", NaN).setNum("acc_ts", NaN).setNum("apt_ms", 0).setNum("gap_ms", 0)
        .setNum("counted", 0).setNum("posted", 0).setNum("sq", 0).setNum("rq", 0).setNum("pq", 0).setNum("gq", 0)
        .setStr("late", "").setBool("at_risk", false);
      c.idx().get("open")!.push(Value.strs([no, r.str("machine")]));
      c.indexDirty = true;
    } else if (o.str("machine") != r.str("machine")) {
      // A planned order moved to another machine: its index entry follows.
      const open = c.idx().get("open")!;
      for (let k = 0; k < open.length; k++) if (open.items[k].items[0].asStr() == no) open.items[k] = Value.strs([no, r.str("machine")]);
      c.indexDirty = true;
      machines.add(o.str("machine"));
    }
    o.setStr("product", r.str("product")).setStr("machine", r.str("machine")).setNum("quantity", r.num("quantity"))
      .setNum("planned_start", r.num("planned_start")).setNum("planned_end", r.num("planned_end"))
      .setNum("pru_s", pru != null && pru.isNum() && pru.n > 0 ? pru.n : NaN)
      .setNum("poet_ms", r.num("planned_end") - r.num("planned_start"));
    c.putOrder(o);
    c.machine(r.str("machine"));
    c.touchMachine(c.machine(r.str("machine")));
    machines.add(r.str("machine"));
    taken.push(Value.str(no));
  }
  if (refused.length > 0) log.warn("orders: refused " + refused.length.toString() + ": " + refused.toString());
  if (taken.length > 0) log.info("orders: " + taken.length.toString() + " posted: " + taken.toString());
  reply(refused.length > 0 && taken.length == 0 ? 400 : 200, Value.obj().setNum("accepted", <f64>taken.length).set("refused", refused).set("orders", taken));
  return 0;
}

function summary(o: Value): Value {
  const out = Value.obj();
  const keys = ["order_no", "product", "machine", "status", "late"];
  for (let i = 0; i < keys.length; i++) out.setStr(keys[i], o.str(keys[i]));
  const nums = ["quantity", "planned_start", "planned_end", "start", "end", "aoet_ms", "apt_ms", "gap_ms", "pq", "gq", "sq", "rq",
    "throughput_ph", "production_process_ratio", "effectiveness", "quality_ratio", "scrap_ratio", "completion", "projected_end", "lateness_ms"];
  for (let i = 0; i < nums.length; i++) {
    const v = o.get(nums[i]);
    out.set(nums[i], v == null ? Value.null() : v);
  }
  return out.setBool("at_risk", o.bool("at_risk"));
}

function board(c: Ctx): i32 {
  const ix = c.idx();
  const open = ix.get("open")!;
  const done = ix.get("done")!;
  const list = Value.arr();
  for (let i = 0; i < open.length; i++) {
    const o = c.order(open.items[i].items[0].asStr());
    if (o != null) list.push(summary(o));
  }
  for (let i = done.length - 1; i >= 0; i--) {
    const o = c.order(done.items[i].asStr());
    if (o != null) list.push(summary(o));
  }
  reply(200, Value.obj().set("orders", list));
  return 0;
}

// ---- schedule ----

/** Accounts running orders' time up to `at` and re-evaluates late and at-risk orders. */
function onSchedule(c: Ctx, at: f64): i32 {
  const ix = c.idx();
  const open = ix.get("open")!;
  const machines: string[] = [];
  for (let i = 0; i < open.length; i++) {
    const name = open.items[i].items[1].asStr();
    if (!machines.includes(name)) machines.push(name);
  }
  for (let i = 0; i < machines.length; i++) {
    const m = c.machine(machines[i]);
    if (m.str("active").length > 0) {
      advance(c, m, at);
      c.touchMachine(m);
    }
    evaluate(c, machines[i], at);
  }
  return 0;
}
