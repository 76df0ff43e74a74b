// The smallest useful Ironloom app: counts the telemetry events it sees per device in
// its state and logs each reading. Replace onEvent with what your app does.
import { Value, formatNumber, handle, kv, log } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

function onEvent(event: Value): i32 {
  if (event.str("kind") != "telemetry") {
    log.info("event " + event.str("kind"));
    return 0;
  }
  const device = event.str("device");
  const key = "count:" + device;
  const stored = kv.get(key);
  const count = (stored == null ? 0 : <i64>stored.asNum(0)) + 1;
  // A count is an integer: Value.int writes "2"; Value.num writes floats ("2.0", "2.5").
  kv.set(key, Value.int(count));
  const points = event.get("points");
  if (points != null) {
    for (let i = 0; i < points.length; i++) {
      const p = points.items[i];
      log.info(device + " " + p.str("property") + " = " + formatNumber(p.num("value")));
    }
  }
  return 0;
}
