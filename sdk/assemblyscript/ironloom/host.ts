// Typed helpers for every host operation of docs/apps.md. Each builds the JSON request,
// calls `ironloom.call` and reads the reply `{"ok": …}` or `{"error": {code, message}}`.
// The helpers return the `ok` part (or null / false when the call failed); `lastError`
// tells why the last call failed.

import { Value, parse } from "./json";
import { ironloom_call, logAt, Level, readUtf8 } from "./rt";

/** A host reply. */
export class Reply {
  ok: bool = false;
  /** The `ok` payload (JSON null when the operation answers null). */
  value: Value = Value.null();
  /** `permission_denied`, `bad_request`, `not_found`, `quota_exhausted`, `unavailable`, `unknown_op`, `too_large`, or `bad_reply`. */
  code: string = "";
  message: string = "";
}

let last: Reply = new Reply();

/** The reply of the last host call that failed (its `code` is empty when none did). */
export function lastError(): Reply {
  return last;
}

/** Calls host operation `op` with a JSON request. */
export function call(op: string, request: Value): Reply {
  const o = String.UTF8.encode(op);
  const q = String.UTF8.encode(request.toString());
  const r = ironloom_call(changetype<usize>(o), o.byteLength, changetype<usize>(q), q.byteLength);
  const text = readUtf8(<usize>(<u64>r >> 32), <i32>(r & 0xffffffff));
  const reply = new Reply();
  const v = parse(text);
  if (v == null || !v.isObj()) {
    reply.code = "bad_reply";
    reply.message = "the host's reply is not a JSON object";
  } else {
    const ok = v.get("ok");
    if (ok != null) {
      reply.ok = true;
      reply.value = ok;
    } else {
      const e = v.get("error");
      reply.code = e == null ? "bad_reply" : e.str("code", "bad_reply");
      reply.message = e == null ? text : e.str("message");
    }
  }
  if (!reply.ok) last = reply;
  return reply;
}

/** The `ok` payload, or null (the failure kept for `lastError`). */
function okOrNull(r: Reply): Value | null {
  return r.ok ? r.value : null;
}

function deviceRequest(device: string): Value {
  return Value.obj().setStr("device", device);
}

/** A time in ms as the integer the host expects (one that is not a whole number as it is: the host refuses it, naming the field). */
function ms(t: f64): Value {
  return isFinite(t) && t == Math.floor(t) && Math.abs(t) <= 9007199254740992.0 ? Value.int(<i64>t) : Value.num(t);
}

// ---- logs ----

export namespace log {
  export function debug(message: string): void {
    logAt(Level.Debug, message);
  }
  export function info(message: string): void {
    logAt(Level.Info, message);
  }
  export function warn(message: string): void {
    logAt(Level.Warn, message);
  }
  export function error(message: string): void {
    logAt(Level.Error, message);
  }
}

// ---- telemetry ----

/** One stored value of a property. */
export class Point {
  constructor(
    public ts: f64,
    public value: f64,
  ) {}
}

/** Latest values of a device: `{prop: {"ts", "value"}}`, or null. All properties when `properties` is empty. */
export function latest(device: string, properties: string[] = []): Value | null {
  const req = deviceRequest(device);
  if (properties.length > 0) req.set("properties", Value.strs(properties));
  const ok = okOrNull(call("latest", req));
  return ok == null ? null : ok.get("values");
}

/** The latest numeric value of one property, or NaN. */
export function latestValue(device: string, property: string): f64 {
  const values = latest(device, [property]);
  if (values == null) return NaN;
  const p = values.get(property);
  return p == null ? NaN : p.num("value");
}

/** Raw values of a property in [from, to] (ms); `limit` 0 leaves it to the host (at most 10 000). */
export function history(device: string, property: string, from: f64, to: f64, limit: i32 = 0): Point[] {
  const req = deviceRequest(device).setStr("property", property).set("from", ms(from)).set("to", ms(to));
  if (limit > 0) req.setInt("limit", limit);
  const out: Point[] = [];
  const ok = okOrNull(call("history", req));
  if (ok == null) return out;
  const points = ok.get("points");
  if (points == null) return out;
  for (let i = 0; i < points.length; i++) {
    const p = points.items[i];
    const v = p.at(1);
    out.push(new Point(p.at(0) == null ? NaN : p.items[0].asNum(), v == null ? NaN : v.asNum()));
  }
  return out;
}

/**
 * Aggregates over windows (`window` e.g. "1m", "1h"; `aggregations` e.g. ["avg", "max"],
 * avg when empty). The `ok` reply: `{"aggregations", "windows": [[ts, [value…]]…]}`, or null.
 */
export function aggregate(
  device: string,
  property: string,
  from: f64,
  to: f64,
  window: string,
  aggregations: string[] = [],
): Value | null {
  const req = deviceRequest(device)
    .setStr("property", property)
    .set("from", ms(from))
    .set("to", ms(to))
    .setStr("window", window);
  if (aggregations.length > 0) req.set("aggregations", Value.strs(aggregations));
  return okOrNull(call("aggregate", req));
}

/**
 * Writes derived telemetry `{prop: value}` at `ts` (ms; now when NaN) through the
 * ingest path. The `ok` reply `{"stored", "refused": [...]}`, or null. A new series is
 * typed by its first value: `setNum` values are written as floats (`2.0`), `setInt`
 * values as integers (`2`).
 */
export function write(device: string, values: Value, ts: f64 = NaN): Value | null {
  const req = deviceRequest(device).set("values", values);
  if (!isNaN(ts)) req.set("ts", ms(ts));
  return okOrNull(call("write", req));
}

// ---- alarms, commands, models ----

export namespace alarm {
  /** Raises (or keeps) an alarm; severity e.g. "critical", "major", "minor", "warning"; "" leaves the default. */
  export function raise(device: string, type: string, severity: string = "", details: Value | null = null): Value | null {
    const req = deviceRequest(device).setStr("type", type);
    if (severity.length > 0) req.setStr("severity", severity);
    if (details != null) req.set("details", details);
    return okOrNull(call("alarm.raise", req));
  }
  /** Clears an alarm; true when the host answered. */
  export function clear(device: string, type: string): bool {
    return call("alarm.clear", deviceRequest(device).setStr("type", type)).ok;
  }
}

/** Invokes a service of a device (`{"id", "status"}` or null). */
export function command(device: string, method: string, params: Value | null = null): Value | null {
  const req = deviceRequest(device).setStr("method", method);
  if (params != null) req.set("params", params);
  return okOrNull(call("command", req));
}

/** Writes device parameters `{prop: value}` within the thing model's ranges. */
export function setProperties(device: string, properties: Value): Value | null {
  return okOrNull(call("command", deviceRequest(device).set("properties", properties)));
}

/**
 * Runs a model of the library: `model("spc.control_chart_constants", inputs)` with inputs
 * as the model API takes them (numbers, or `{"value", "unit"}`). Returns the `outputs`
 * object `{name: number}`, or null.
 */
export function model(name: string, inputs: Value): Value | null {
  const ok = okOrNull(call("model", Value.obj().setStr("model", name).set("inputs", inputs)));
  return ok == null ? null : ok.get("outputs");
}

// ---- state, configuration, HTTP replies ----

export namespace kv {
  /** The stored value, or null when absent (or when the call failed). */
  export function get(key: string): Value | null {
    const ok = okOrNull(call("kv.get", Value.obj().setStr("key", key)));
    return ok == null || ok.isNull() ? null : ok;
  }
  /** Stores a value (at most 64 KiB); true when stored. */
  export function set(key: string, value: Value): bool {
    return call("kv.set", Value.obj().setStr("key", key).set("value", value)).ok;
  }
  /** Deletes a key; true when the host answered. */
  export function remove(key: string): bool {
    return call("kv.delete", Value.obj().setStr("key", key)).ok;
  }
}

/** The installation's configuration with the schema's defaults (an empty object when unavailable). */
export function config(): Value {
  const ok = okOrNull(call("config", Value.obj()));
  return ok == null || !ok.isObj() ? Value.obj() : ok;
}

/** The answer to an HTTP-triggered event. */
export function reply(status: i32, body: Value): bool {
  return call("reply", Value.obj().setInt("status", status).set("body", body)).ok;
}
