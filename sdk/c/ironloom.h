/* Ironloom app SDK for C (clang --target=wasm32-wasi -mexec-model=reactor).
 *
 * An app is a WebAssembly module that exports `ironloom_alloc` and
 * `ironloom_on_event`; this header provides the first and declares the host API
 * (docs/apps.md). Define the event handler with IRONLOOM_APP:
 *
 *     #include "ironloom.h"
 *     IRONLOOM_APP(const char *event, int len) {
 *         il_info("got an event");
 *         return 0;   // 0: handled; anything else is logged as a failure
 *     }
 *
 * Host replies are JSON: {"ok": ...} or {"error": {"code": ..., "message": ...}}.
 *
 * Requests are JSON the app writes, usually with snprintf. Floats and integers: the
 * platform types a new series by its first value, so a derived value first written as
 * `2` makes the series integer and every later fraction is refused. Write floats with
 * il_json_float ("2.0", never "2"; NaN and infinities as null), not "%g", which drops the
 * decimal point of a whole value; write integers (times in ms, counts, zones) with "%d",
 * "%lld" or "%.0f".
 */
#ifndef IRONLOOM_H
#define IRONLOOM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __wasm__
#define IL_IMPORT(name) __attribute__((import_module("ironloom"), import_name(name)))
#define IL_EXPORT(name) __attribute__((export_name(name)))
#else /* a native build, for unit tests of an app's or the SDK's code (sdk/c/test.sh) */
#define IL_IMPORT(name)
#define IL_EXPORT(name)
#endif

IL_IMPORT("log") void ironloom_log(int32_t level, const char *msg, int32_t len);
IL_IMPORT("call")
int64_t ironloom_call(const char *op, int32_t op_len, const char *req, int32_t req_len);

enum il_level { IL_DEBUG = 0, IL_INFO = 1, IL_WARN = 2, IL_ERROR = 3 };

/* The host writes replies and events into memory it asks the app for. */
IL_EXPORT("ironloom_alloc") void *ironloom_alloc(int32_t len) { return malloc(len > 0 ? len : 1); }

static inline void il_log(enum il_level level, const char *msg) {
    ironloom_log(level, msg, (int32_t)strlen(msg));
}
static inline void il_info(const char *msg) { il_log(IL_INFO, msg); }
static inline void il_warn(const char *msg) { il_log(IL_WARN, msg); }

/* Calls a host operation ("latest", "write", "model", "kv.get", ...) with a JSON
 * request. Returns the reply as a NUL-terminated string the caller frees. */
static inline char *il_call(const char *op, const char *request) {
    int64_t r = ironloom_call(op, (int32_t)strlen(op), request, (int32_t)strlen(request));
    char *ptr = (char *)(uintptr_t)(uint32_t)(r >> 32);
    int32_t len = (int32_t)(r & 0xffffffff);
    char *out = (char *)malloc((size_t)len + 1);
    if (out) {
        memcpy(out, ptr, (size_t)len);
        out[len] = 0;
    }
    free(ptr);
    return out;
}

/* Whether a reply is a success. */
static inline int il_ok(const char *reply) { return reply && strncmp(reply, "{\"ok\":", 6) == 0; }

/* Writes `v` into `buf` (`cap` >= 32) as a JSON number that reads back as a float, and
 * returns `buf`: `digits` significant digits ("%.*g"; 0: the fewest, 15 to 17, that read
 * back to the same double), with ".0" added to a whole value ("2.0", never "2": a series
 * whose first value is an integer refuses every later fraction). NaN and infinities (not
 * JSON) are written as null. For integers use "%d", "%lld" or "%.0f". */
static inline const char *il_json_float(char *buf, size_t cap, double v, int digits) {
    if (cap == 0) return buf;
    if (!__builtin_isfinite(v)) {
        snprintf(buf, cap, "null");
        return buf;
    }
    if (digits <= 0 || digits > 17) {
        for (digits = 15; digits < 17; digits++) {
            snprintf(buf, cap, "%.*g", digits, v);
            if (strtod(buf, NULL) == v) break;
        }
    }
    snprintf(buf, cap, "%.*g", digits, v);
    if (!strpbrk(buf, ".eE")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return buf;
}

/* Reading JSON: il_json_number, il_json_string and il_json_object read a member of ONE
 * object, never a key of the same name in an object or array nested in it (nor text inside
 * strings): in {"day":{"n":3},"n":5} the "n" is 5, and in {"day":{"n":3}} there is none.
 * `from` may point at
 *   - an object ('{'); a host reply {"ok":{...}} stands for its ok object, so
 *     il_json_number(reply, "n", &n) reads the reply's members;
 *   - a member whose value is an object ("flow":{"ts":..}): that object;
 *   - anywhere else inside an object (e.g. at "property":"flow" in a point): the object's
 *     members from there to its end.
 * A nested object is reached with il_json_object, e.g. a model's outputs:
 *   il_json_number(il_json_object(reply, "outputs"), "eta", &eta)
 * (Before, these readers took the first `"key":` anywhere after `from`, nested or not.) */

/* Past the JSON string starting at `p` (a '"'), escapes included; NULL when unterminated. */
static inline const char *il__json_skip_string(const char *p) {
    for (p++; *p; p++) {
        if (*p == '\\') {
            if (!*++p) return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static inline const char *il__json_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* Where the value of the member `key` starts (see above), or NULL when the object has no
 * such member. */
static inline const char *il_json_find(const char *from, const char *key) {
    if (!from || !key) return NULL;
    size_t klen = strlen(key);
    const char *p = il__json_ws(from);
    if (*p == '"') { /* a member whose value is an object: that object */
        const char *q = il__json_skip_string(p);
        if (q && *(q = il__json_ws(q)) == ':' && *(q = il__json_ws(q + 1)) == '{') p = q;
    }
    if (*p == '{') {
        p++;
        /* A host reply {"ok":{...}}: its ok object. */
        const char *q = il__json_ws(p);
        if (strncmp(q, "\"ok\"", 4) == 0 && strcmp(key, "ok") != 0) {
            q = il__json_ws(q + 4);
            if (*q == ':' && *(q = il__json_ws(q + 1)) == '{') p = q + 1;
        }
    }
    int depth = 0; /* of objects and arrays opened since p */
    while (*p) {
        char c = *p;
        if (c == '"') {
            const char *k = p + 1;
            const char *q = il__json_skip_string(p);
            if (!q) return NULL;
            p = q;
            if (depth > 0) continue;
            q = il__json_ws(q);
            if (*q != ':') continue; /* a value, not a key */
            if ((size_t)(p - 1 - k) == klen && memcmp(k, key, klen) == 0) return il__json_ws(q + 1);
            p = q + 1;
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return NULL; /* the end of the object */
            depth--;
            p++;
        } else {
            p++;
        }
    }
    return NULL;
}

/* The object (or array) that is the value of the member `key` (see above): a pointer to its
 * '{' (or '['), to read its members with il_json_number and il_json_string; NULL when there
 * is none. */
static inline const char *il_json_object(const char *from, const char *key) {
    const char *v = il_json_find(from, key);
    return v && (*v == '{' || *v == '[') ? v : NULL;
}

/* Reads the number of the member `key` (see above) into `out`. Returns a pointer past the
 * number, or NULL when the object has no such member or its value is not a number (`out`
 * is then left alone). */
static inline const char *il_json_number(const char *from, const char *key, double *out) {
    const char *p = il_json_find(from, key);
    if (!p) return NULL;
    char *end;
    double v = strtod(p, &end);
    if (end == p) return NULL;
    *out = v;
    return end;
}

/* The number `field` ("value" or "ts") of `property`'s point in a telemetry event's
 * "points"; 1 when found. */
static inline int il_point_field(const char *event, const char *property, const char *field,
                                 double *out) {
    char pat[96];
    int n = snprintf(pat, sizeof pat, "\"property\":\"%s\"", property);
    if (n <= 0 || n >= (int)sizeof pat) return 0;
    const char *p = strstr(event, pat);
    if (!p) return 0;
    const char *end = strchr(p, '}');
    const char *v = il_json_number(p, field, out);
    return v != NULL && (end == NULL || v <= end + 1);
}

/* The value of `property` in a telemetry event; 1 when found. */
static inline int il_point(const char *event, const char *property, double *out) {
    return il_point_field(event, property, "value", out);
}

/* The timestamp (ms) of `property`'s point in a telemetry event; 1 when found. */
static inline int il_point_ts(const char *event, const char *property, double *ts) {
    return il_point_field(event, property, "ts", ts);
}

/* The string value of the member `key` (see above) copied into `out` (at most `cap` - 1
 * bytes); 1 when found. Escapes are copied as they are (an escaped quote ends the copy). */
static inline int il_json_string(const char *json, const char *key, char *out, size_t cap) {
    if (cap == 0) return 0;
    const char *p = il_json_find(json, key);
    if (!p || *p != '"') return 0;
    p++;
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < cap) { out[i] = p[i]; i++; }
    out[i] = 0;
    return 1;
}

/* The installation's state under `key` as the host's reply text (`{"ok": value}`), or NULL
 * when the key has no value or the call failed; the caller frees it. */
static inline char *il_kv_get(const char *key) {
    char req[256];
    int n = snprintf(req, sizeof req, "{\"key\":\"%s\"}", key);
    if (n <= 0 || n >= (int)sizeof req) return NULL;
    char *r = il_call("kv.get", req);
    if (!il_ok(r) || strncmp(r, "{\"ok\":null", 10) == 0) {
        free(r);
        return NULL;
    }
    return r;
}

/* Appends the flat JSON object `record` (no nested objects) to the list kept in the
 * installation's state under `key`, keeping the newest `keep` records (at most 256, and
 * what fits in 64 KiB). */
static inline void il_kv_push(const char *key, const char *record, int keep) {
    enum { CAP = 65536, MAX_ITEMS = 256 };
    char *old = il_kv_get(key);
    const char *items[MAX_ITEMS];
    int lens[MAX_ITEMS], n = 0;
    if (old) {
        const char *p = strchr(old + 5, '[');
        while (p && *p && n < MAX_ITEMS) {
            const char *o = strchr(p, '{');
            if (!o) break;
            const char *e = strchr(o, '}');
            if (!e) break;
            items[n] = o;
            lens[n] = (int)(e - o + 1);
            n++;
            p = e + 1;
        }
    }
    char *req = (char *)malloc(CAP);
    if (!req) {
        free(old);
        return;
    }
    int w = snprintf(req, CAP, "{\"key\":\"%s\",\"value\":[", key);
    int from = n - (keep - 1);
    if (from < 0) from = 0;
    for (int i = from; i < n && w < CAP - 1024; i++)
        w += snprintf(req + w, CAP - w, "%.*s,", lens[i], items[i]);
    snprintf(req + w, CAP - w, "%s]}", record);
    free(il_call("kv.set", req));
    free(req);
    free(old);
}

/* The event handler; the event buffer is freed after it returns. */
#define IRONLOOM_APP(event, len)                                                   \
    static int il_on_event(event, len);                                            \
    IL_EXPORT("ironloom_on_event") int32_t ironloom_on_event(char *p, int32_t n) { \
        int32_t r = il_on_event(p, n);                                             \
        free(p);                                                                   \
        return r;                                                                  \
    }                                                                              \
    static int il_on_event(event, len)

#endif
