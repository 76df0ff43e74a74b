// What every app module needs from the SDK: the imports of module `ironloom`, the
// allocator the host writes into, the event loop around a handler, and replacements for
// AssemblyScript's `abort`, `trace` and `seed` (build.sh points the compiler at them
// with `--use`), so the module imports nothing the runtime refuses.

import { Value, parse } from "./json";

// @ts-ignore: decorator
@external("ironloom", "log")
declare function ironloom_log(level: i32, ptr: usize, len: i32): void;

// @ts-ignore: decorator
@external("ironloom", "call")
export declare function ironloom_call(op: usize, opLen: i32, req: usize, reqLen: i32): i64;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, out: usize): u16;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;

/** Log levels of the host's `log`. */
export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/** Writes one log line of the installation. */
export function logAt(level: Level, message: string): void {
  const buf = String.UTF8.encode(message);
  ironloom_log(<i32>level, changetype<usize>(buf), buf.byteLength);
}

/**
 * Memory for the host to write an event or a reply into. Each app re-exports it:
 * `export { ironloom_alloc } from "ironloom";`. The buffer is a managed object that
 * nothing references, so the collection after the event frees it.
 */
export function ironloom_alloc(len: i32): usize {
  return changetype<usize>(new ArrayBuffer(len > 0 ? len : 1));
}

/** Reads `len` bytes of UTF-8 at `ptr` as a string. */
export function readUtf8(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/**
 * Runs `handler` on the event the host wrote at `ptr`, then frees everything the event
 * allocated. Apps export:
 *
 *     export function ironloom_on_event(ptr: usize, len: i32): i32 {
 *       return handle(ptr, len, onEvent);
 *     }
 *
 * An event that is not a JSON object is logged and answered with 1.
 */
export function handle(ptr: usize, len: i32, handler: (event: Value) => i32): i32 {
  const r = dispatch(ptr, len, handler);
  // No reference into the heap is live here: what is not reachable from a global goes.
  __collect();
  return r;
}

function dispatch(ptr: usize, len: i32, handler: (event: Value) => i32): i32 {
  const event = parse(readUtf8(ptr, len));
  if (event == null || !event.isObj()) {
    logAt(Level.Error, "the event is not a JSON object");
    return 1;
  }
  return handler(event);
}

/** Milliseconds since the epoch, from the WASI realtime clock. */
export function nowMs(): i64 {
  const out = memory.data(8);
  if (clock_time_get(0, 1000000, out) != 0) return 0;
  return <i64>(load<u64>(out) / 1000000);
}

// ---- replacements for the compiler's env.abort / env.trace / env.seed ----

/** A fixed buffer: reporting an abort must not allocate (it may come from the allocator). */
const SCRATCH_LEN: i32 = 512;

function putAscii(buf: usize, at: i32, s: string | null): i32 {
  if (s == null) return at;
  const n = s.length;
  for (let i = 0; i < n && at < SCRATCH_LEN; i++) {
    const c = load<u16>(changetype<usize>(s) + (<usize>i << 1));
    // Characters beyond ASCII become '?': the message stays valid UTF-8 without a heap.
    store<u8>(buf + <usize>at, c < 0x80 ? <u8>c : 0x3f);
    at++;
  }
  return at;
}

function putInt(buf: usize, at: i32, v: u32): i32 {
  const digits = memory.data(10);
  let n = 0;
  do {
    store<u8>(digits + <usize>n, <u8>(0x30 + v % 10));
    v /= 10;
    n++;
  } while (v > 0);
  while (n > 0 && at < SCRATCH_LEN) {
    n--;
    store<u8>(buf + <usize>at, load<u8>(digits + <usize>n));
    at++;
  }
  return at;
}

/** `abort`: logs the message and where it happened at error level, then traps. */
export function ironloomAbort(
  message: string | null = null,
  fileName: string | null = null,
  line: u32 = 0,
  column: u32 = 0,
): void {
  const buf = memory.data(SCRATCH_LEN);
  let at = putAscii(buf, 0, "abort: ");
  at = putAscii(buf, at, message);
  if (fileName != null) {
    at = putAscii(buf, at, " at ");
    at = putAscii(buf, at, fileName);
    at = putAscii(buf, at, ":");
    at = putInt(buf, at, line);
    at = putAscii(buf, at, ":");
    at = putInt(buf, at, column);
  }
  ironloom_log(<i32>Level.Error, buf, at);
  unreachable();
}

/** `trace`: a debug log line with the numbers. */
export function ironloomTrace(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  let line = "trace: " + message;
  const args: f64[] = [a0, a1, a2, a3, a4];
  for (let i = 0; i < n && i < 5; i++) line += " " + args[i].toString();
  logAt(Level.Debug, line);
}

/** `seed` (for Math.random): 8 bytes of the host's randomness. */
export function ironloomSeed(): f64 {
  const buf = memory.data(8);
  random_get(buf, 8);
  return <f64>load<u64>(buf);
}
