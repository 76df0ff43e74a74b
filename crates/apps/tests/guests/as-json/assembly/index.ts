// A test guest of the AssemblyScript SDK's JSON (crates/apps/tests/assemblyscript.rs):
// logs what it read back as JSON, so the test can compare it with what it sent.
import { Value, handle, log, parse, stringify, write } from "ironloom";
export { ironloom_alloc } from "ironloom";

export function ironloom_on_event(ptr: usize, len: i32): i32 {
  return handle(ptr, len, onEvent);
}

function onEvent(event: Value): i32 {
  if (event.has("build")) {
    // Floats (setNum) and integers (setInt) as built by an app, and a write of them.
    const v = Value.obj()
      .setNum("f", 2)
      .setNum("z", 0)
      .setNum("neg", -3)
      .setNum("big", 1e21)
      .setNum("nan", NaN)
      .setNum("half", 2.5)
      .setInt("i", 2)
      .setInt("ts", 1700000000000);
    log.info(stringify(v));
    write("d", Value.obj().setNum("v", 2).setInt("n", 3), 1700000000000);
    return 0;
  }
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
