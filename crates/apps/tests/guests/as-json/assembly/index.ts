// A test guest of the AssemblyScript SDK's JSON (crates/apps/tests/assemblyscript.rs):
// logs what it read back as JSON, so the test can compare it with what it sent.
import { Value, handle, log, parse, stringify } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

function onEvent(event: Value): i32 {
  const text = event.get("text");
  if (text != null) {
    // A JSON text inside the event: parsed on its own, "invalid" when it is not JSON.
    const v = parse(text.asStr());
    log.info(v == null ? "invalid" : stringify(v));
    return 0;
  }
  const v = event.get("value");
  log.info(v == null ? "missing" : stringify(v));
  return 0;
}
