// Ironloom app SDK for AssemblyScript (docs/apps.md). An app's assembly/index.ts:
//
//   import { Value, handle, log } from "ironloom";
//   export { ironloom_alloc } from "ironloom";
//
//   export function ironloom_on_event(ptr: usize, len: i32): i32 {
//     return handle(ptr, len, onEvent);
//   }
//
//   function onEvent(event: Value): i32 {
//     log.info("got a " + event.str("kind") + " event");
//     return 0; // 0: handled; anything else is logged as a failure
//   }
//
// Build with sdk/assemblyscript/build.sh <app-dir>.

export { Kind, Value, parse, stringify, quote, formatNumber, formatInteger, concat } from "./json";
export { Level, logAt, ironloom_alloc, handle, nowMs, readUtf8 } from "./rt";
export {
  Reply,
  Point,
  call,
  lastError,
  log,
  latest,
  latestValue,
  history,
  aggregate,
  write,
  alarm,
  command,
  setProperties,
  model,
  kv,
  config,
  reply,
} from "./host";
