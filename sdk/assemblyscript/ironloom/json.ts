// A small JSON reader and writer, enough for the platform's events, host replies and
// requests: null, booleans, numbers, strings with escapes, nested arrays and objects.
// Objects keep their keys in order (linear lookup: the platform's objects are small).

export enum Kind {
  Null = 0,
  Bool = 1,
  Num = 2,
  Str = 3,
  Arr = 4,
  Obj = 5,
}

/**
 * One JSON value. Build with the static constructors, read with the typed getters.
 *
 * A number (`Kind.Num`, its value in `n`) is a float or an integer (`integer`): the
 * platform types a new series by its first value, so a float is written so that it reads
 * back as a float (`2.0`, never `2`), and an integer without a decimal point (`2`).
 * `Value.num`/`setNum` make floats; `Value.int`/`setInt` integers (times, counts, zones);
 * the reader keeps what it read (`2` an integer, `2.0` and `2e0` floats).
 */
export class Value {
  kind: Kind = Kind.Null;
  b: bool = false;
  n: f64 = 0;
  /** A number that is an integer, written without a decimal point. */
  integer: bool = false;
  s: string = "";
  // Only arrays and objects have lists: numbers and strings, most of what is parsed,
  // allocate no more than themselves.
  private _items: Value[] | null = null;
  private _keys: string[] | null = null;

  /** Array items, or object values (in the order of `keys`); empty for other values. */
  get items(): Value[] {
    const a = this._items;
    return a == null ? [] : a;
  }
  /** Object keys; empty for other values. */
  get keys(): string[] {
    const k = this._keys;
    return k == null ? [] : k;
  }

  static null(): Value {
    return new Value();
  }
  static bool(b: bool): Value {
    const v = new Value();
    v.kind = Kind.Bool;
    v.b = b;
    return v;
  }
  /** A float: written with a decimal point when whole (`2.0`), so it reads back as a float. */
  static num(n: f64): Value {
    const v = new Value();
    v.kind = Kind.Num;
    v.n = n;
    return v;
  }
  /** An integer (a time in ms, a count, a zone): written without a decimal point (`2`). */
  static int(n: i64): Value {
    const v = new Value();
    v.kind = Kind.Num;
    v.n = <f64>n;
    v.integer = true;
    return v;
  }
  static str(s: string): Value {
    const v = new Value();
    v.kind = Kind.Str;
    v.s = s;
    return v;
  }
  static arr(): Value {
    const v = new Value();
    v.kind = Kind.Arr;
    v._items = [];
    return v;
  }
  static obj(): Value {
    const v = new Value();
    v.kind = Kind.Obj;
    v._items = [];
    v._keys = [];
    return v;
  }
  /** An array of numbers. */
  static nums(xs: f64[]): Value {
    const v = Value.arr();
    for (let i = 0; i < xs.length; i++) v.items.push(Value.num(xs[i]));
    return v;
  }
  /** An array of strings. */
  static strs(xs: string[]): Value {
    const v = Value.arr();
    for (let i = 0; i < xs.length; i++) v.items.push(Value.str(xs[i]));
    return v;
  }

  isNull(): bool {
    return this.kind == Kind.Null;
  }
  isNum(): bool {
    return this.kind == Kind.Num;
  }
  isStr(): bool {
    return this.kind == Kind.Str;
  }
  isArr(): bool {
    return this.kind == Kind.Arr;
  }
  isObj(): bool {
    return this.kind == Kind.Obj;
  }
  /** Items of an array, values of an object, 0 otherwise. */
  get length(): i32 {
    return this.kind == Kind.Arr || this.kind == Kind.Obj ? this.items.length : 0;
  }

  /** The member `key` of an object, or null. */
  get(key: string): Value | null {
    if (this.kind != Kind.Obj) return null;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }
  has(key: string): bool {
    return this.get(key) != null;
  }
  /** Item `i` of an array, or null. */
  at(i: i32): Value | null {
    if (this.kind != Kind.Arr || i < 0 || i >= this.items.length) return null;
    return this.items[i];
  }
  /** Follows a path of object keys, e.g. `v.path("outputs.A2")`. */
  path(dotted: string): Value | null {
    const parts = dotted.split(".");
    let cur: Value | null = this;
    for (let i = 0; i < parts.length && cur != null; i++) cur = cur.get(parts[i]);
    return cur;
  }

  /** This number, or `fallback` when it is not a finite number. */
  asNum(fallback: f64 = NaN): f64 {
    return this.kind == Kind.Num ? this.n : fallback;
  }
  asStr(fallback: string = ""): string {
    return this.kind == Kind.Str ? this.s : fallback;
  }
  asBool(fallback: bool = false): bool {
    return this.kind == Kind.Bool ? this.b : fallback;
  }
  /** The number member `key`, or `fallback`. */
  num(key: string, fallback: f64 = NaN): f64 {
    const v = this.get(key);
    return v == null ? fallback : v.asNum(fallback);
  }
  /** The string member `key`, or `fallback`. */
  str(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v == null ? fallback : v.asStr(fallback);
  }
  bool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v == null ? fallback : v.asBool(fallback);
  }
  /** The numbers of an array member (non-numbers become NaN); empty when absent. */
  numArray(key: string): f64[] {
    const out: f64[] = [];
    const v = this.get(key);
    if (v == null || v.kind != Kind.Arr) return out;
    for (let i = 0; i < v.items.length; i++) out.push(v.items[i].asNum());
    return out;
  }

  /** Sets (or replaces) member `key` of an object; returns this object. */
  set(key: string, value: Value): Value {
    if (this.kind != Kind.Obj) return this;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) {
        this.items[i] = value;
        return this;
      }
    }
    this.keys.push(key);
    this.items.push(value);
    return this;
  }
  /** Sets member `key` to a float (written `2.0` when whole). */
  setNum(key: string, n: f64): Value {
    return this.set(key, Value.num(n));
  }
  /** Sets member `key` to an integer (written `2`). */
  setInt(key: string, n: i64): Value {
    return this.set(key, Value.int(n));
  }
  setStr(key: string, s: string): Value {
    return this.set(key, Value.str(s));
  }
  setBool(key: string, b: bool): Value {
    return this.set(key, Value.bool(b));
  }
  /** Appends to an array; returns this array. */
  push(value: Value): Value {
    if (this.kind == Kind.Arr) this.items.push(value);
    return this;
  }

  toString(): string {
    const out: string[] = [];
    write(this, out);
    return concat(out);
  }
}

// ---- writer ----

/**
 * Joins strings in one allocation. (Array<string>.join concatenates pairwise, quadratic
 * in time and garbage, when the compiler optimizes for size.)
 */
export function concat(parts: string[]): string {
  let len: usize = 0;
  for (let i = 0; i < parts.length; i++) len += <usize>parts[i].length;
  const out = changetype<string>(__new(len << 1, idof<string>()));
  let at: usize = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const bytes = <usize>p.length << 1;
    memory.copy(changetype<usize>(out) + at, changetype<usize>(p), bytes);
    at += bytes;
  }
  return out;
}

/**
 * A float as JSON that reads back as a float: a whole value with a decimal point ("2.0",
 * from 1e21 with an exponent, "1e+21"), NaN and infinities as null. The platform types a
 * new series by its first value: "2" would make an integer series that refuses every
 * later fraction. For integers, see `formatInteger`.
 */
export function formatNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  // AssemblyScript's shortest round-trip form already writes "2.0" and "1e+21"; the check
  // keeps the promise whatever the compiler does.
  const s = n.toString();
  for (let i = 0, k = s.length; i < k; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2e || c == 0x65 || c == 0x45) return s;
  }
  return s + ".0";
}

/** An integer as JSON ("2"); NaN and infinities as null, a fraction dropped. */
export function formatInteger(n: f64): string {
  if (!isFinite(n)) return "null";
  if (Math.abs(n) >= 9223372036854775807.0) return formatNumber(n);
  return (<i64>n).toString();
}

const HEX = "0123456789abcdef";

/** A string as a JSON string literal, quotes included. */
export function quote(s: string): string {
  let plain = true;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = load<u16>(changetype<usize>(s) + (<usize>i << 1));
    if (c < 0x20 || c == 0x22 || c == 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return '"' + s + '"';
  const out: string[] = ['"'];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = '\\"';
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0c) esc = "\\f";
    else if (c < 0x20) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    if (esc != null) {
      if (i > start) out.push(s.substring(start, i));
      out.push(esc);
      start = i + 1;
    }
  }
  if (start < s.length) out.push(s.substring(start));
  out.push('"');
  return concat(out);
}

function write(v: Value, out: string[]): void {
  switch (v.kind) {
    case Kind.Null:
      out.push("null");
      break;
    case Kind.Bool:
      out.push(v.b ? "true" : "false");
      break;
    case Kind.Num:
      out.push(v.integer ? formatInteger(v.n) : formatNumber(v.n));
      break;
    case Kind.Str:
      out.push(quote(v.s));
      break;
    case Kind.Arr:
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        write(v.items[i], out);
      }
      out.push("]");
      break;
    default:
      out.push("{");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        out.push(quote(v.keys[i]));
        out.push(":");
        write(v.items[i], out);
      }
      out.push("}");
  }
}

export function stringify(v: Value): string {
  return v.toString();
}

// ---- reader ----

/** Nesting deeper than this is refused (a hostile event cannot exhaust the stack). */
const MAX_DEPTH = 64;

class Reader {
  pos: i32 = 0;
  failed: bool = false;
  len: i32;
  constructor(public text: string) {
    this.len = text.length;
  }

  /** The UTF-16 unit at `i` (in bounds: callers check against `len`). */
  @inline at(i: i32): i32 {
    return <i32>load<u16>(changetype<usize>(this.text) + (<usize>i << 1));
  }
  peek(): i32 {
    return this.pos < this.len ? this.at(this.pos) : -1;
  }
  skip(): void {
    while (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }
  fail(): Value {
    this.failed = true;
    return Value.null();
  }
  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): Value {
    if (depth > MAX_DEPTH) return this.fail();
    this.skip();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return this.failed ? Value.null() : Value.str(s);
    }
    if (c == 0x74) return this.literal("true") ? Value.bool(true) : this.fail();
    if (c == 0x66) return this.literal("false") ? Value.bool(false) : this.fail();
    if (c == 0x6e) return this.literal("null") ? Value.null() : this.fail();
    return this.number();
  }

  object(depth: i32): Value {
    const v = Value.obj();
    this.pos++;
    this.skip();
    if (this.peek() == 0x7d) {
      this.pos++;
      return v;
    }
    while (!this.failed) {
      this.skip();
      if (this.peek() != 0x22) return this.fail();
      const key = this.string();
      this.skip();
      if (this.peek() != 0x3a) return this.fail();
      this.pos++;
      const item = this.value(depth + 1);
      if (this.failed) break;
      // A repeated key keeps its last value, as most readers do.
      v.set(key, item);
      this.skip();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail();
    }
    return this.fail();
  }

  array(depth: i32): Value {
    const v = Value.arr();
    this.pos++;
    this.skip();
    if (this.peek() == 0x5d) {
      this.pos++;
      return v;
    }
    while (!this.failed) {
      const item = this.value(depth + 1);
      if (this.failed) break;
      v.items.push(item);
      this.skip();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail();
    }
    return this.fail();
  }

  hex4(): i32 {
    if (this.pos + 4 > this.len) return -1;
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.at(this.pos + i);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      n = (n << 4) | d;
    }
    this.pos += 4;
    return n;
  }

  string(): string {
    this.pos++; // the opening quote
    const parts: string[] = [];
    let start = this.pos;
    while (this.pos < this.len) {
      const c = this.at(this.pos);
      if (c == 0x22) {
        if (this.pos > start) parts.push(this.text.substring(start, this.pos));
        this.pos++;
        return concat(parts);
      }
      if (c < 0x20) break;
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      if (this.pos > start) parts.push(this.text.substring(start, this.pos));
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) parts.push('"');
      else if (e == 0x5c) parts.push("\\");
      else if (e == 0x2f) parts.push("/");
      else if (e == 0x62) parts.push("\b");
      else if (e == 0x66) parts.push("\f");
      else if (e == 0x6e) parts.push("\n");
      else if (e == 0x72) parts.push("\r");
      else if (e == 0x74) parts.push("\t");
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) break;
        // Surrogate pairs arrive as two escapes; UTF-16 strings keep them as they are.
        parts.push(String.fromCharCode(u));
      } else break;
      start = this.pos;
    }
    this.failed = true;
    return "";
  }

  number(): Value {
    const begin = this.pos;
    const t = this.text;
    const n = this.len;
    let whole = true;
    if (this.peek() == 0x2d) this.pos++;
    const digits0 = this.pos;
    while (this.pos < n && isDigit(this.at(this.pos))) this.pos++;
    if (this.pos == digits0) return this.fail();
    if (this.peek() == 0x2e) {
      whole = false;
      this.pos++;
      const f0 = this.pos;
      while (this.pos < n && isDigit(this.at(this.pos))) this.pos++;
      if (this.pos == f0) return this.fail();
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      whole = false;
      this.pos++;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) this.pos++;
      const e0 = this.pos;
      while (this.pos < n && isDigit(this.at(this.pos))) this.pos++;
      if (this.pos == e0) return this.fail();
    }
    const v = Value.num(parseFloat(t.substring(begin, this.pos)));
    // Written without a fraction or an exponent, and exact as an f64 (below 2^53): an
    // integer, written back as one.
    v.integer = whole && Math.abs(v.n) < 9007199254740992.0;
    return v;
  }
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

/** Parses a JSON text; null when it is not valid JSON. */
export function parse(text: string): Value | null {
  const r = new Reader(text);
  const v = r.value(0);
  r.skip();
  if (r.failed || r.pos != text.length) return null;
  return v;
}
