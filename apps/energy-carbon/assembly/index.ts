// Energy and carbon: turns the cumulative meters of a site (active energy in kWh, and
// optionally natural gas in Nm³ and purchased steam in t) into consumption per hour and
// per day, computes the CO₂ of each hour with the model library
// (`carbon.purchased_electricity_heat` for electricity and steam, `carbon.fuel_combustion`
// for natural gas), writes energy_kwh_h and co2_kg_h back as derived telemetry (one value
// per closed hour, stamped with the hour's start), keeps daily totals per meter for the
// panel, and raises an alarm when an hour's or a day's electricity passes its budget.
//
// Meters without an energy counter (a motor or pump that reports only its power in kW)
// are integrated instead: the trapezoid rule between readings no further apart than
// `power_gap_min`.
//
// Counters are read as the meter reports them: each delta between two readings is spread
// linearly over the hours it covers (the best estimate of when the energy was used; and if
// the average over a gap passes the hourly budget, some hour of it did too). A negative
// delta (counter reset, meter exchange, rollover) is refused with a log line and the new
// reading becomes the baseline; so is a delta across a gap longer than `max_gap_h`.
//
// An hour is closed by the first reading of a later hour. Crash-only: each meter's state
// lives in kv under "meter:<device>" (also what the panel shows).
import { Value, alarm, config, handle, kv, log, model, write } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

const HOUR: f64 = 3600000.0;
const DAY: f64 = 86400000.0;
/** Enthalpy of the feed water the steam heat is counted from (20 °C), kJ/kg (GB/T 32151 guides). */
const FEED_WATER_ENTHALPY: f64 = 83.74;
const HOUR_ALARM = "energy_hour_budget";
const DAY_ALARM = "energy_day_budget";

/** Quantities: electricity (kWh), natural gas (Nm³), steam (t). */
const E = 0;
const G = 1;
const S = 2;
const QTY_KEYS: string[] = ["e", "g", "s"];

class Settings {
  energy: string = "energy";
  power: string = "power";
  gas: string = "";
  steam: string = "";
  gridEf: f64 = 0.5306;
  heatEf: f64 = 0.11;
  steamEnthalpy: f64 = 2777.1;
  gasNcv: f64 = 389.31;
  gasCc: f64 = 0.01532;
  gasOf: f64 = 0.99;
  hourBudget: f64 = 0;
  dayBudget: f64 = 0;
  offset: f64 = 480.0 * 60000.0;
  days: i32 = 31;
  maxGap: f64 = 24.0 * HOUR;
  powerGap: f64 = 15.0 * 60000.0;
}

function settings(): Settings {
  const c = config();
  const s = new Settings();
  s.energy = c.str("energy_property", "energy");
  s.power = c.str("power_property", "power");
  s.gas = c.str("gas_property", "");
  s.steam = c.str("steam_property", "");
  s.gridEf = c.num("grid_ef", 0.5306);
  s.heatEf = c.num("heat_ef", 0.11);
  s.steamEnthalpy = c.num("steam_enthalpy", 2777.1);
  s.gasNcv = c.num("gas_ncv", 389.31);
  s.gasCc = c.num("gas_cc", 0.01532);
  s.gasOf = c.num("gas_of", 0.99);
  s.hourBudget = c.num("hour_budget_kwh", 0);
  s.dayBudget = c.num("day_budget_kwh", 0);
  s.offset = c.num("utc_offset_min", 480) * 60000.0;
  s.days = <i32>c.num("days", 31);
  s.maxGap = c.num("max_gap_h", 24) * HOUR;
  s.powerGap = c.num("power_gap_min", 15) * 60000.0;
  return s;
}

/** Start (ms) of the local hour / day holding `ts`, local time being UTC + offset. */
function hourOf(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offset) / HOUR) * HOUR - s.offset;
}
function dayOf(ts: f64, s: Settings): f64 {
  return Math.floor((ts + s.offset) / DAY) * DAY - s.offset;
}

function fmt(x: f64, digits: i32 = 3): string {
  if (!isFinite(x)) return "—";
  const p = Math.pow(10, <f64>digits);
  const r = Math.round(Math.abs(x) * p);
  const whole = Math.floor(r / p);
  let frac = (<i64>(r - whole * p)).toString();
  while (frac.length < digits) frac = "0" + frac;
  return (x < 0 && r > 0 ? "-" : "") + (<i64>whole).toString() + (digits > 0 ? "." + frac : "");
}

/** Consumption allocated to hours during one event: hour start → amounts per quantity. */
class Buckets {
  hours: f64[] = [];
  amounts: f64[][] = [];

  slot(hour: f64): f64[] {
    for (let i = 0; i < this.hours.length; i++) if (this.hours[i] == hour) return this.amounts[i];
    this.hours.push(hour);
    const a: f64[] = [0, 0, 0];
    this.amounts.push(a);
    return a;
  }
}

function onEvent(event: Value): i32 {
  const kind = event.str("kind");
  if (kind == "telemetry") return onTelemetry(event);
  if (kind == "manual") return onManual(event);
  log.info("ignored a " + kind + " event");
  return 0;
}

/** `{"kind": "manual", "reset": "<device>"}` forgets a meter's state (after re-commissioning it). */
function onManual(event: Value): i32 {
  const device = event.str("reset");
  if (device.length == 0) {
    log.info("manual run: send {\"kind\": \"manual\", \"reset\": \"<device>\"} to forget a meter's readings and totals");
    return 0;
  }
  alarm.clear(device, HOUR_ALARM);
  alarm.clear(device, DAY_ALARM);
  kv.remove("meter:" + device);
  log.info(device + ": meter state reset");
  return 0;
}

function quantityOf(property: string, s: Settings): i32 {
  if (property == s.energy) return E;
  if (s.gas.length > 0 && property == s.gas) return G;
  if (s.steam.length > 0 && property == s.steam) return S;
  if (property == s.power) return 3;
  return -1;
}

function onTelemetry(event: Value): i32 {
  const device = event.str("device");
  const points = event.get("points");
  if (device.length == 0 || points == null || !points.isArr()) return 0;
  const s = settings();

  // The readings of this message that the app reads.
  const qs: i32[] = [];
  const tss: f64[] = [];
  const vals: f64[] = [];
  let hasCounter = false;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const prop = p.str("property");
    const q = quantityOf(prop, s);
    if (q < 0) continue;
    const v = p.get("value");
    const ts = p.num("ts");
    if (v == null || !v.isNum() || !isFinite(v.n) || !isFinite(ts)) {
      log.warn(device + ": ignored a non-numeric " + prop + " reading");
      continue;
    }
    qs.push(q);
    tss.push(ts);
    vals.push(v.n);
    if (q != 3) hasCounter = true;
  }
  if (qs.length == 0) return 0;

  const key = "meter:" + device;
  let st = kv.get(key);
  if (st == null || !st.isObj()) st = newState(device);
  const last = st.get("c")!;
  // A meter with an energy counter is read from it; power only integrates without one.
  const counterMeter = hasCounter || last.get("e") != null;

  const b = new Buckets();
  let newest: f64 = -Infinity;
  for (let i = 0; i < qs.length; i++) {
    const q = qs[i];
    if (q == 3 && counterMeter) continue;
    if (tss[i] > newest) newest = tss[i];
    if (q == 3) integratePower(device, st, last, tss[i], vals[i], s, b);
    else readCounter(device, st, last, q, tss[i], vals[i], s, b);
  }
  if (newest == -Infinity) return 0;

  const status = settle(device, st, hourOf(newest, s), s, b);
  checkOpenDay(device, st, s);
  if (!kv.set(key, st)) {
    log.error(device + ": the meter state could not be saved");
    return 1;
  }
  return status;
}

function newState(device: string): Value {
  return Value.obj()
    .setStr("device", device)
    .set("c", Value.obj())
    .set("h", Value.null())
    .set("open", Value.nums([0, 0, 0]))
    .set("last_hour", Value.null())
    .set("days", Value.arr())
    .setNum("refused", 0)
    .set("alarms", Value.obj().setBool("hour", false).set("day", Value.null()));
}

function refuse(st: Value): void {
  st.setNum("refused", st.num("refused", 0) + 1);
}

/** A cumulative counter reading: the delta since the previous one, spread over its hours. */
function readCounter(device: string, st: Value, last: Value, q: i32, ts: f64, v: f64, s: Settings, b: Buckets): void {
  const k = QTY_KEYS[q];
  const prev = last.get(k);
  last.set(k, Value.nums([ts, v]));
  if (prev == null) {
    log.info(device + ": first " + k + " reading " + fmt(v) + ", the baseline");
    return;
  }
  const t0 = prev.items[0].n;
  const v0 = prev.items[1].n;
  if (ts <= t0) {
    // A repeated or out-of-order reading: keep the newer baseline.
    last.set(k, prev);
    log.debug(device + ": " + k + " reading not newer than the last one, ignored");
    return;
  }
  const delta = v - v0;
  if (delta < 0) {
    refuse(st);
    log.warn(device + ": negative " + k + " delta " + fmt(delta) + " (" + fmt(v0) + " → " + fmt(v) + ") refused: counter reset or meter exchange; " + fmt(v) + " is the new baseline");
    return;
  }
  if (ts - t0 > s.maxGap) {
    refuse(st);
    log.warn(device + ": gap of " + fmt((ts - t0) / HOUR, 1) + " h longer than max_gap_h: " + k + " delta " + fmt(delta) + " not allocated; new baseline");
    return;
  }
  spread(b, q, t0, ts, delta, delta, s);
}

/** A power reading (kW): the trapezoid since the previous reading, exact per hour for linear power. */
function integratePower(device: string, st: Value, last: Value, ts: f64, p: f64, s: Settings, b: Buckets): void {
  const prev = last.get("p");
  if (p < 0) {
    refuse(st);
    log.warn(device + ": negative power " + fmt(p) + " kW refused");
    return;
  }
  last.set("p", Value.nums([ts, p]));
  if (prev == null) {
    log.info(device + ": first power reading " + fmt(p) + " kW, integration starts");
    return;
  }
  const t0 = prev.items[0].n;
  const p0 = prev.items[1].n;
  if (ts <= t0) {
    last.set("p", prev);
    return;
  }
  if (ts - t0 > s.powerGap) {
    log.warn(device + ": power readings " + fmt((ts - t0) / 60000.0, 1) + " min apart (more than power_gap_min): interval not integrated");
    return;
  }
  // Power is linear in time between readings: kWh over [a, b] = (p(a) + p(b))/2 · (b − a)/h.
  spread(b, E, t0, ts, p0, p, s, true);
}

/**
 * Allocates to hours. Counters (`power` false): `x0` is the delta, spread in proportion to
 * time. Power: `x0`, `x1` the kW at both ends, integrated exactly over each hour's part.
 */
function spread(b: Buckets, q: i32, t0: f64, t1: f64, x0: f64, x1: f64, s: Settings, power: bool = false): void {
  let a = t0;
  while (a < t1) {
    const h = hourOf(a, s);
    const e = Math.min(h + HOUR, t1);
    let amount: f64;
    if (power) {
      const pa = x0 + (x1 - x0) * (a - t0) / (t1 - t0);
      const pb = x0 + (x1 - x0) * (e - t0) / (t1 - t0);
      amount = (pa + pb) / 2.0 * (e - a) / HOUR;
    } else {
      amount = x0 * (e - a) / (t1 - t0);
    }
    const slot = b.slot(h);
    slot[q] += amount;
    a = e;
  }
}

/**
 * Adds this event's hours to the open hour and closes every hour before `msgHour`
 * (writing it, its emissions, the day totals and the hourly budget check).
 */
function settle(device: string, st: Value, msgHour: f64, s: Settings, b: Buckets): i32 {
  const hv = st.get("h")!;
  let open: f64 = hv.isNum() ? hv.n : msgHour;
  if (msgHour < open) msgHour = open;
  const openAmounts = st.get("open")!;
  // The open hour's amounts so far, then this event's (parts before the open hour, from a
  // meter lagging behind another, count in the open hour: that hour is already written).
  const cur = b.slot(open);
  for (let q = 0; q < 3; q++) cur[q] += openAmounts.items[q].n;
  for (let i = 0; i < b.hours.length; i++) {
    if (b.hours[i] < open) {
      for (let q = 0; q < 3; q++) cur[q] += b.amounts[i][q];
      b.amounts[i][0] = 0;
      b.amounts[i][1] = 0;
      b.amounts[i][2] = 0;
      b.hours[i] = -Infinity;
    }
  }
  // Close the hours before the message's hour, oldest first (hours without data are skipped).
  let status = 0;
  while (true) {
    let next: f64 = Infinity;
    let idx = -1;
    for (let i = 0; i < b.hours.length; i++) {
      const h = b.hours[i];
      if (h >= open && h < msgHour && h < next) {
        next = h;
        idx = i;
      }
    }
    if (idx < 0) break;
    status |= closeHour(device, st, next, b.amounts[idx], s);
    b.hours[idx] = -Infinity;
    open = next + HOUR;
  }
  const now = b.slot(msgHour);
  st.setNum("h", msgHour);
  st.set("open", Value.nums([now[0], now[1], now[2]]));
  return status;
}

/** CO₂ (kg) of an hour's electricity, steam and gas, with the model library. NaN when a model call failed. */
function emissions(device: string, amounts: f64[], s: Settings): f64 {
  let t = 0.0;
  const kwh = amounts[E];
  const steamT = amounts[S];
  if (kwh > 0 || steamT > 0) {
    // Steam heat (GJ) = mass (t) × (steam enthalpy − 83.74 kJ/kg) / 1000.
    const heat = steamT * (s.steamEnthalpy - FEED_WATER_ENTHALPY) / 1000.0;
    const out = model(
      "carbon.purchased_electricity_heat",
      Value.obj().setNum("E", kwh / 1000.0).setNum("EF_e", s.gridEf).setNum("H", heat).setNum("EF_h", s.heatEf),
    );
    if (out == null) {
      log.warn(device + ": carbon.purchased_electricity_heat refused");
      return NaN;
    }
    t += out.num("E_total");
  }
  const gas = amounts[G];
  if (gas > 0) {
    // Natural gas: AD in 10⁴ Nm³, NCV in GJ per 10⁴ Nm³.
    const out = model(
      "carbon.fuel_combustion",
      Value.obj().setNum("AD", gas / 10000.0).setNum("NCV", s.gasNcv).setNum("CC", s.gasCc).setNum("OF", s.gasOf),
    );
    if (out == null) {
      log.warn(device + ": carbon.fuel_combustion refused");
      return NaN;
    }
    t += out.num("E_CO2");
  }
  return t * 1000.0;
}

function closeHour(device: string, st: Value, hour: f64, amounts: f64[], s: Settings): i32 {
  let status = 0;
  const co2 = emissions(device, amounts, s);
  if (isNaN(co2)) status = 2;
  const out = Value.obj().setNum("energy_kwh_h", amounts[E]);
  if (!isNaN(co2)) out.setNum("co2_kg_h", co2);
  if (s.gas.length > 0) out.setNum("gas_m3_h", amounts[G]);
  if (s.steam.length > 0) out.setNum("steam_t_h", amounts[S]);
  const stored = write(device, out, hour);
  if (stored == null) {
    log.warn(device + ": hourly values not written");
    status = 2;
  } else {
    const refused = stored.get("refused");
    if (refused != null && refused.length > 0) log.warn(device + ": refused " + refused.toString());
  }
  st.set("last_hour", Value.nums([hour, amounts[E], amounts[G], amounts[S], isNaN(co2) ? 0 : co2]));

  // Daily totals: [day start, kWh, Nm³, t steam, t CO₂], oldest first.
  const day = dayOf(hour, s);
  const days = st.get("days")!;
  let row: Value | null = days.length > 0 ? days.items[days.length - 1] : null;
  if (row == null || row.items[0].n < day) {
    row = Value.nums([day, 0, 0, 0, 0]);
    days.push(row);
    while (days.length > s.days) days.items.shift();
  }
  if (row.items[0].n == day) {
    row.items[1].n += amounts[E];
    row.items[2].n += amounts[G];
    row.items[3].n += amounts[S];
    if (!isNaN(co2)) row.items[4].n += co2 / 1000.0;
  }

  // Hourly budget: raised while closed hours pass it, cleared by the first hour within it.
  if (s.hourBudget > 0) {
    const al = st.get("alarms")!;
    const active = al.bool("hour");
    if (amounts[E] > s.hourBudget) {
      if (!active) {
        alarm.raise(
          device,
          HOUR_ALARM,
          "minor",
          Value.obj().setNum("hour", hour).setNum("energy_kwh", amounts[E]).setNum("budget_kwh", s.hourBudget),
        );
        log.info(device + ": hour consumption " + fmt(amounts[E]) + " kWh over the budget of " + fmt(s.hourBudget) + " kWh");
      }
      al.setBool("hour", true);
    } else if (active) {
      alarm.clear(device, HOUR_ALARM);
      al.setBool("hour", false);
      log.info(device + ": hour consumption " + fmt(amounts[E]) + " kWh back within the budget");
    }
  }
  if (row.items[0].n == day) checkDay(device, st, day, row.items[1].n, true, s);
  return status;
}

/**
 * The daily budget. `total` is the electricity of `day` so far; `closing` tells that an hour
 * of that day was just closed. Raised once a day passes the budget (from the running total,
 * so within the hour); cleared when the first hour of a later day closes within it.
 */
function checkDay(device: string, st: Value, day: f64, total: f64, closing: bool, s: Settings): void {
  if (!(s.dayBudget > 0)) return;
  const al = st.get("alarms")!;
  const activeDay = al.num("day"); // the day the alarm was raised for, or NaN
  if (total > s.dayBudget) {
    if (isNaN(activeDay) || day > activeDay) {
      alarm.raise(
        device,
        DAY_ALARM,
        "major",
        Value.obj().setNum("day", day).setNum("energy_kwh", total).setNum("budget_kwh", s.dayBudget),
      );
      log.info(device + ": day consumption " + fmt(total) + " kWh over the budget of " + fmt(s.dayBudget) + " kWh");
      al.setNum("day", day);
    }
  } else if (closing && !isNaN(activeDay) && day > activeDay) {
    alarm.clear(device, DAY_ALARM);
    al.set("day", Value.null());
    log.info(device + ": a new day within the budget, day alarm cleared");
  }
}

/** The running total of the open hour's day (closed hours of that day + the open hour). */
function checkOpenDay(device: string, st: Value, s: Settings): void {
  const day = dayOf(st.num("h"), s);
  let total = st.get("open")!.items[E].n;
  const days = st.get("days")!;
  if (days.length > 0) {
    const row = days.items[days.length - 1];
    if (row.items[0].n == day) total += row.items[1].n;
  }
  checkDay(device, st, day, total, false, s);
}
