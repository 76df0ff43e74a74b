/* Ironloom C SDK: helpers for apps that keep larger state, beside ironloom.h.
 *
 * Number formatting and parsing written by hand (printf's %g and strtod go through
 * software long double on wasm32 and cost about 20 000 fuel a number), a small JSON
 * reader for one object's members, a string builder, configuration and key-value state
 * helpers, dates in local time, alarms and HTTP replies, and the reading of a telemetry
 * event's points. Everything is `static` and unused functions cost nothing: include it
 * after ironloom.h (`#include "ironloom_util.h"`); sdk/c/build.sh finds it beside
 * ironloom.h.
 */
#ifndef IRONLOOM_UTIL_H
#define IRONLOOM_UTIL_H

#include "ironloom.h"
#include <math.h>
#include <time.h>

#ifndef IL_UNUSED
#define IL_UNUSED __attribute__((unused))
#endif

/* ------------------------------------------------------------------ JSON helpers
 * Hand-written number formatting and parsing: printf's %g and strtod go through software
 * long double on wasm32 and cost ~20 000 fuel a number. */

#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0

/* A double as JSON text with 12 significant digits, always with a decimal point ("98.0"):
 * the time-series engine types a series by its first value. */
static IL_UNUSED int fmt_num(char *out, double v) {
    char *o = out;
    if (!isfinite(v)) { strcpy(out, "0.0"); return 3; }
    if (v < 0) { *o++ = '-'; v = -v; }
    if (v != 0 && (v >= 1e15 || v < 1e-6)) return (int)(o - out) + snprintf(o, 32, "%.12g", v);
    int ip_digits = 1;
    double t = 1;
    while (t * 10 <= v && ip_digits < 16) { t *= 10; ip_digits++; }
    int frac = 12 - ip_digits;
    if (v < 1) {
        frac = 12;
        double x = v;
        while (x < 0.1 && x > 0 && frac < 18) { x *= 10; frac++; }
    }
    if (frac < 1) frac = 1;
    if (frac > 17) frac = 17;
    double scale = 1;
    for (int i = 0; i < frac; i++) scale *= 10;
    double ipart = floor(v);
    double f = floor((v - ipart) * scale + 0.5);
    if (f >= scale) { ipart += 1; f -= scale; }
    unsigned long long ip = (unsigned long long)ipart, fp = (unsigned long long)f;
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + ip % 10); ip /= 10; } while (ip);
    while (n) *o++ = tmp[--n];
    *o++ = '.';
    char fr[24];
    for (int i = frac - 1; i >= 0; i--) { fr[i] = (char)('0' + fp % 10); fp /= 10; }
    int last = frac - 1;
    while (last > 0 && fr[last] == '0') last--;
    for (int i = 0; i <= last; i++) *o++ = fr[i];
    *o = 0;
    return (int)(o - out);
}

/* An integer-valued double (timestamps, counters) as JSON text without a fraction. */
static IL_UNUSED int fmt_int(char *out, double v) {
    char *o = out;
    if (!isfinite(v)) { strcpy(out, "0"); return 1; }
    if (v < 0) { *o++ = '-'; v = -v; }
    unsigned long long x = (unsigned long long)floor(v + 0.5);
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + x % 10); x /= 10; } while (x);
    while (n) *o++ = tmp[--n];
    *o = 0;
    return (int)(o - out);
}

/* Reads a JSON number without strtod's long double work (strtod only for exponents). */
static IL_UNUSED double parse_num(const char *p, char **end) {
    const char *q = p;
    int neg = 0;
    if (*q == '-') { neg = 1; q++; }
    double v = 0;
    int digits = 0;
    while (*q >= '0' && *q <= '9') { v = v * 10 + (*q - '0'); q++; digits++; }
    if (*q == '.') {
        q++;
        double scale = 1;
        unsigned long long fr = 0;
        int nf = 0;
        while (*q >= '0' && *q <= '9') {
            if (nf < 18) { fr = fr * 10 + (unsigned long long)(*q - '0'); scale *= 10; nf++; }
            q++;
            digits++;
        }
        v += (double)fr / scale;
    }
    if (!digits) { *end = (char *)p; return 0; }
    if (*q == 'e' || *q == 'E') return strtod(p, end);
    *end = (char *)q;
    return neg ? -v : v;
}

static IL_UNUSED const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return p;
}

/* Past a JSON string starting at '"'. */
static IL_UNUSED const char *skip_string(const char *p) {
    p++;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        p++;
    }
    return *p ? p + 1 : p;
}

/* Past any JSON value. */
static IL_UNUSED const char *skip_value(const char *p) {
    p = ws(p);
    if (*p == '"') return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') { p = skip_string(p); continue; }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') {
                depth--;
                if (depth == 0) return p + 1;
            }
            p++;
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

/* The value of member `key` of the object starting at `obj` ('{'), top level only; NULL when
 * absent. */
static IL_UNUSED const char *member(const char *obj, const char *key) {
    if (!obj) return NULL;
    obj = ws(obj);
    if (*obj != '{') return NULL;
    size_t want = strlen(key);
    const char *p = obj + 1;
    while (*p) {
        p = ws(p);
        if (*p == '}' || !*p) return NULL;
        if (*p == ',') { p++; continue; }
        if (*p != '"') { p = skip_value(p); continue; }
        const char *k = p + 1;
        const char *ke = skip_string(p);
        size_t kl = (size_t)(ke - 1 - k);
        p = ws(ke);
        if (*p == ':') p = ws(p + 1);
        if (kl == want && strncmp(k, key, kl) == 0) return p;
        p = skip_value(p);
    }
    return NULL;
}

/* A member's number (true/false as 1/0); 1 when it is one. */
static IL_UNUSED int member_num(const char *obj, const char *key, double *out) {
    const char *v = member(obj, key);
    if (!v) return 0;
    if (strncmp(v, "true", 4) == 0) { *out = 1; return 1; }
    if (strncmp(v, "false", 5) == 0) { *out = 0; return 1; }
    char *e;
    double x = parse_num(v, &e);
    if (e == v || !isfinite(x)) return 0;
    *out = x;
    return 1;
}

/* A member's string, unescaped (\" \\ \/ and \uXXXX below 0x80 only) into out; 1 when it is
 * a string that fits. */
static IL_UNUSED int member_str(const char *obj, const char *key, char *out, size_t cap) {
    const char *v = member(obj, key);
    if (!v || *v != '"' || cap == 0) return 0;
    size_t n = 0;
    const char *p = v + 1;
    while (*p && *p != '"') {
        char c = *p;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                unsigned x = 0;
                for (int i = 1; i <= 4 && p[i]; i++) {
                    char h = p[i];
                    x = x * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
                }
                c = x < 0x80 ? (char)x : '?';
                p += 4;
            } else if (*p == 'n' || *p == 't' || *p == 'r') {
                c = ' ';
            } else {
                c = *p;
            }
        }
        if (n + 1 >= cap) return 0;
        out[n++] = c;
        if (*p) p++;
    }
    out[n] = 0;
    return 1;
}

/* ------------------------------------------------------------------ text builder */

typedef struct {
    char *b;
    int n, cap;
} sb_t;

static IL_UNUSED int sb_init(sb_t *s, int cap) {
    s->b = (char *)malloc((size_t)cap);
    s->n = 0;
    s->cap = s->b ? cap : 0;
    if (s->b) s->b[0] = 0;
    return s->b != NULL;
}

static IL_UNUSED void sb_raw(sb_t *s, const char *t) {
    size_t l = strlen(t);
    if (s->n + (int)l + 1 >= s->cap) return;
    memcpy(s->b + s->n, t, l);
    s->n += (int)l;
    s->b[s->n] = 0;
}

/* A JSON string with quotes and escapes. */
static IL_UNUSED void sb_qstr(sb_t *s, const char *t) {
    if (s->n + 2 * (int)strlen(t) + 3 >= s->cap) return;
    s->b[s->n++] = '"';
    for (; *t; t++) {
        unsigned char c = (unsigned char)*t;
        if (c == '"' || c == '\\') { s->b[s->n++] = '\\'; s->b[s->n++] = (char)c; }
        else if (c < 0x20) s->b[s->n++] = ' ';
        else s->b[s->n++] = (char)c;
    }
    s->b[s->n++] = '"';
    s->b[s->n] = 0;
}

/* ,"name": prefix (no comma when the builder ends with { or [). */
static IL_UNUSED void sb_key(sb_t *s, const char *name) {
    if (s->n > 0 && s->b[s->n - 1] != '{' && s->b[s->n - 1] != '[') sb_raw(s, ",");
    sb_qstr(s, name);
    sb_raw(s, ":");
}

static IL_UNUSED void sb_num(sb_t *s, const char *name, double v) {
    char t[40];
    fmt_num(t, v);
    sb_key(s, name);
    sb_raw(s, t);
}

static IL_UNUSED void sb_int(sb_t *s, const char *name, double v) {
    char t[40];
    fmt_int(t, v);
    sb_key(s, name);
    sb_raw(s, t);
}

static IL_UNUSED void sb_str(sb_t *s, const char *name, const char *v) {
    sb_key(s, name);
    sb_qstr(s, v);
}

/* ------------------------------------------------------------------ config */

static IL_UNUSED void cfg_num(const char *cfg, const char *key, double *out) {
    double v;
    if (member_num(cfg, key, &v)) *out = v;
}

static IL_UNUSED void cfg_str(const char *cfg, const char *key, char *out, size_t cap) {
    char tmp[256];
    if (member_str(cfg, key, tmp, sizeof tmp) && strlen(tmp) < cap) strcpy(out, tmp);
}

/* The configuration object inside the host's reply ({"ok":{...}}). */
static IL_UNUSED const char *cfg_object(const char *reply) {
    return reply && il_ok(reply) ? ws(reply + 6) : NULL;
}

/* ------------------------------------------------------------------ time */

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static IL_UNUSED void civil(long z, int *y, int *m, int *d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static IL_UNUSED void date_text(double day, char *out, size_t cap) {
    int y, m, d;
    civil((long)day, &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

/* "YYYY-MM-DD HH:MM" of a time (ms) in local time. */
static IL_UNUSED void local_text(double t, double offset_h, char *out, size_t cap) {
    double l = t + offset_h * HOUR_MS;
    double day = floor(l / DAY_MS);
    int y, m, d;
    civil((long)day, &y, &m, &d);
    int mins = (int)((l - day * DAY_MS) / 60000.0);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, mins / 60, mins % 60);
}

static IL_UNUSED double now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec * 1000.0 + (double)(now.tv_nsec / 1000000);
}

/* ------------------------------------------------------------------ host */

static IL_UNUSED void warnf(const char *fmt, const char *a, const char *b) {
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b);
    il_warn(msg);
}

static IL_UNUSED void alarm_op(const char *device, int raise, const char *type, const char *severity,
                     const char *details) {
    sb_t s;
    if (!sb_init(&s, 4096)) return;
    sb_raw(&s, "{");
    sb_str(&s, "device", device);
    sb_str(&s, "type", type);
    if (raise) {
        sb_str(&s, "severity", severity);
        sb_key(&s, "details");
        sb_raw(&s, details && details[0] ? details : "{}");
    }
    sb_raw(&s, "}");
    char *r = il_call(raise ? "alarm.raise" : "alarm.clear", s.b);
    if (!il_ok(r)) {
        char msg[500];
        snprintf(msg, sizeof msg, "%s: alarm %s %s failed: %.300s", device, type, raise ? "raise" : "clear",
                 r ? r : "no reply");
        il_warn(msg);
    }
    free(r);
    free(s.b);
}

/* The HTTP trigger's answer. */
static IL_UNUSED void reply_json(int status, const char *body) {
    sb_t s;
    if (!sb_init(&s, (int)strlen(body) + 64)) return;
    char t[16];
    snprintf(t, sizeof t, "%d", status);
    sb_raw(&s, "{\"status\":");
    sb_raw(&s, t);
    sb_raw(&s, ",\"body\":");
    sb_raw(&s, body);
    sb_raw(&s, "}");
    free(il_call("reply", s.b));
    free(s.b);
}

static IL_UNUSED void reply_error(int status, const char *msg) {
    sb_t s;
    if (!sb_init(&s, (int)strlen(msg) * 2 + 32)) return;
    sb_raw(&s, "{");
    sb_str(&s, "error", msg);
    sb_raw(&s, "}");
    reply_json(status, s.b);
    free(s.b);
}

/* Whether a name is a safe identifier for state keys (letters, digits, - _ . : / and space). */
static IL_UNUSED int ident_ok(const char *s) {
    if (!s[0] || strlen(s) > 64) return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':' || c == '/' || c == ' '))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ flat state objects */

typedef struct {
    const char *name;
    double *v;
} fld_t;

/* Reads the numeric members of a flat object into the fields named, in one pass. */
static IL_UNUSED void load_fields(const char *obj, const fld_t *f, int nf) {
    obj = obj ? ws(obj) : NULL;
    if (!obj || *obj != '{') return;
    const char *p = obj + 1;
    while (*p) {
        p = ws(p);
        if (*p == '}' || !*p) break;
        if (*p == ',') { p++; continue; }
        if (*p != '"') { p = skip_value(p); continue; }
        const char *k = p + 1;
        const char *ke = skip_string(p);
        size_t kl = (size_t)(ke - 1 - k);
        p = ws(ke);
        if (*p == ':') p = ws(p + 1);
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
            char *e;
            double v = parse_num(p, &e);
            for (int i = 0; i < nf; i++)
                if (strncmp(f[i].name, k, kl) == 0 && f[i].name[kl] == 0) { *f[i].v = v; break; }
            p = e;
        } else {
            p = skip_value(p);
        }
    }
}

static IL_UNUSED void save_fields(sb_t *s, const fld_t *f, int nf) {
    for (int i = 0; i < nf; i++) sb_num(s, f[i].name, *f[i].v);
}

/* The state under key as the value's text inside the reply (caller frees *hold), or NULL. */
static IL_UNUSED const char *kv_value(const char *key, char **hold) {
    sb_t s;
    *hold = NULL;
    if (!sb_init(&s, 256)) return NULL;
    sb_raw(&s, "{");
    sb_str(&s, "key", key);
    sb_raw(&s, "}");
    char *r = il_call("kv.get", s.b);
    free(s.b);
    if (!il_ok(r) || strncmp(r, "{\"ok\":null", 10) == 0) { free(r); return NULL; }
    *hold = r;
    return ws(r + 6);
}

static IL_UNUSED void kv_put(const char *key, const char *value_json) {
    sb_t s;
    if (!sb_init(&s, (int)strlen(value_json) + 200)) return;
    sb_raw(&s, "{");
    sb_str(&s, "key", key);
    sb_raw(&s, ",\"value\":");
    sb_raw(&s, value_json);
    sb_raw(&s, "}");
    char *r = il_call("kv.set", s.b);
    if (!il_ok(r)) {
        char msg[400];
        snprintf(msg, sizeof msg, "state %.60s not stored: %.300s", key, r ? r : "no reply");
        il_warn(msg);
    }
    free(r);
    free(s.b);
}

/* ------------------------------------------------------------------ telemetry points */

typedef struct {
    int prop;  /* index into the configured names */
    double ts;
    double v;
    int ok;    /* 1 number (or boolean), 0 not a number */
    int seq;
} pt_t;

/* Reads a telemetry event's points once (no search per point): those whose property is one of
 * names[0..np) (empty names are skipped). Returns how many; *dropped counts those beyond cap. */
static IL_UNUSED int read_points(const char *event, char names[][72], int np, pt_t *pts, int cap, int *dropped) {
    int n = 0;
    *dropped = 0;
    const char *p = member(event, "points");
    if (!p || *p != '[') return 0;
    p++;
    while (*p) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        if (*p != '{') { p = skip_value(p); continue; }
        p++;
        char prop[72] = "";
        double ts = 0, v = 0;
        int has_v = 0, ok = 0;
        while (*p) {
            p = ws(p);
            if (*p == '}') { p++; break; }
            if (*p == ',') { p++; continue; }
            if (*p != '"') { p = skip_value(p); continue; }
            const char *k = p + 1;
            const char *ke = skip_string(p);
            size_t kl = (size_t)(ke - 1 - k);
            p = ws(ke);
            if (*p == ':') p = ws(p + 1);
            if (kl == 8 && strncmp(k, "property", 8) == 0 && *p == '"') {
                const char *e = skip_string(p);
                size_t l = (size_t)(e - 1 - (p + 1));
                if (l >= sizeof prop) l = sizeof prop - 1;
                memcpy(prop, p + 1, l);
                prop[l] = 0;
                p = e;
            } else if (kl == 2 && strncmp(k, "ts", 2) == 0) {
                char *e;
                ts = parse_num(p, &e);
                p = skip_value(e);
            } else if (kl == 5 && strncmp(k, "value", 5) == 0) {
                has_v = 1;
                if (strncmp(p, "true", 4) == 0) { v = 1; ok = 1; }
                else if (strncmp(p, "false", 5) == 0) { v = 0; ok = 1; }
                else if (*p == '-' || (*p >= '0' && *p <= '9')) {
                    char *e;
                    v = parse_num(p, &e);
                    ok = e != p && isfinite(v);
                }
                p = skip_value(p);
            } else {
                p = skip_value(p);
            }
        }
        if (!prop[0] || !has_v || ts <= 0) continue;
        int idx = -1;
        for (int i = 0; i < np; i++)
            if (names[i][0] && strcmp(prop, names[i]) == 0) { idx = i; break; }
        if (idx < 0) continue;
        if (n >= cap) { (*dropped)++; continue; }
        pts[n].prop = idx; pts[n].ts = ts; pts[n].v = v; pts[n].ok = ok; pts[n].seq = n;
        n++;
    }
    return n;
}

static IL_UNUSED int cmp_pt(const void *a, const void *b) {
    const pt_t *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->seq - y->seq;
}

#endif /* IRONLOOM_UTIL_H */
