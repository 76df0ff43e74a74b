/* Leakage of a water supply zone by minimum night flow analysis.
 *
 * Each zone is a device that measures the zone's inflow (a district meter, or a pump that
 * feeds the zone) and, optionally, the zone's pressure (at the average zone point). Every
 * hour (schedule "10 * * * *") the app looks at each zone:
 *   - once the night window of a local day is over (default 00:00-06:00), the night:
 *       inflow averaged in `interval_min` windows (15 min), the minimum rolling hour
 *       MNF = min over the night of the mean of 60/interval consecutive windows
 *       (UKWIR 99/WM/08/21: "minimum rolling hour each night");
 *       legitimate night use LNU = population x active_pct x flush volume (WC flushes of the
 *       ~6 % of people active at night; Thornton, Sturm & Kunkel, Water Loss Control 2nd ed.
 *       5.2; SANFLOW defaults, McKenzie WRC TT 109/99) + non-households x L/h + exceptional use;
 *       net night flow NNF = MNF - LNU = night leakage rate (m3/h);
 *       its rolling 7-night 20th percentile (UKWIR 99/WM/08/21) and the alarm on a rise
 *       against the reference (configured, or that percentile of the previous nights);
 *   - once the day is over, the daily leakage: the hour-day (night-day) factor from the day's
 *       pressures by the FAVAD power law L1/L0 = (P1/P0)^N1 (May 1994; Thornton et al. eq. 10.4)
 *       HDF = sum over the day of (P(t) / P_mnf)^N1 dt (hours), daily leakage = NNF x HDF
 *       (m3/d), the day's inflow and the leakage share of it, per connection (L/conn/d).
 *
 * State: "z:<zone>" (progress, the last night and day, reference, alarm, recent NNF),
 * "n:<zone>" closed days (keep_nights), "m:<zone>" months.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

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

/* ------------------------------------------------------------------ configuration */

#define MAX_DEV 32
#define MAX_BINS 288 /* a day of 5-min windows */
#define MAX_HIST 31

typedef struct {
    int ndev;
    char dev[MAX_DEV][72];
    char flow_p[72], press_p[72], currency[16];
    double flow_k, night_start, night_end, interval_min;
    double population, active_pct, flush_l, nonhh, nonhh_lph, exceptional, lnu;
    double n1, default_hdf, min_cov, connections, baseline, base_nights, pctl;
    double rise_pct, rise_min, alarm_nights, backfill, offset_h, keep_nights, keep_months, cost;
    int write;
} cfg_t;

static int string_list(const char *arr, char names[][72], int cap) {
    int n = 0;
    if (!arr || *arr != '[') return 0;
    const char *p = arr + 1;
    while (*p && n < cap) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        if (*p == '"') {
            const char *e = skip_string(p);
            size_t l = (size_t)(e - p - 2);
            if (l > 0 && l < 72) {
                memcpy(names[n], p + 1, l);
                names[n][l] = 0;
                if (ident_ok(names[n])) n++;
            }
            p = e;
        } else {
            p = skip_value(p);
        }
    }
    return n;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->flow_p, "flow");
    strcpy(c->press_p, "outlet_pressure");
    strcpy(c->currency, "CNY");
    c->flow_k = 1; c->night_start = 0; c->night_end = 6; c->interval_min = 15;
    c->active_pct = 6; c->flush_l = 10; c->nonhh_lph = 50;
    c->n1 = 1.15; c->default_hdf = 24; c->min_cov = 75;
    c->base_nights = 7; c->pctl = 20; c->rise_pct = 20; c->rise_min = 0.5; c->alarm_nights = 2;
    c->backfill = 1; c->offset_h = 8; c->keep_nights = 62; c->keep_months = 24;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        c->ndev = string_list(member(o, "devices"), c->dev, MAX_DEV);
        cfg_str(o, "flow_property", c->flow_p, sizeof c->flow_p);
        cfg_str(o, "pressure_property", c->press_p, sizeof c->press_p);
        cfg_str(o, "currency", c->currency, sizeof c->currency);
        cfg_num(o, "flow_to_m3h", &c->flow_k);
        cfg_num(o, "night_start_h", &c->night_start);
        cfg_num(o, "night_end_h", &c->night_end);
        cfg_num(o, "interval_min", &c->interval_min);
        cfg_num(o, "population", &c->population);
        cfg_num(o, "active_pct", &c->active_pct);
        cfg_num(o, "flush_l", &c->flush_l);
        cfg_num(o, "non_households", &c->nonhh);
        cfg_num(o, "non_household_lph", &c->nonhh_lph);
        cfg_num(o, "exceptional_m3h", &c->exceptional);
        cfg_num(o, "n1", &c->n1);
        cfg_num(o, "default_hdf_h", &c->default_hdf);
        cfg_num(o, "min_coverage_pct", &c->min_cov);
        cfg_num(o, "connections", &c->connections);
        cfg_num(o, "reference_m3h", &c->baseline);
        cfg_num(o, "reference_nights", &c->base_nights);
        cfg_num(o, "percentile", &c->pctl);
        cfg_num(o, "rise_pct", &c->rise_pct);
        cfg_num(o, "rise_min_m3h", &c->rise_min);
        cfg_num(o, "alarm_nights", &c->alarm_nights);
        cfg_num(o, "backfill_days", &c->backfill);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_nights", &c->keep_nights);
        cfg_num(o, "keep_months", &c->keep_months);
        cfg_num(o, "cost_per_m3", &c->cost);
        double w = 0;
        cfg_num(o, "write_telemetry", &w);
        c->write = w != 0;
    }
    free(r);
    if (c->flow_k <= 0) c->flow_k = 1;
    int iv = (int)c->interval_min;
    if (iv != 5 && iv != 10 && iv != 15 && iv != 20 && iv != 30 && iv != 60) iv = 15;
    c->interval_min = iv;
    if (c->night_start < 0) c->night_start = 0;
    if (c->night_end > 24) c->night_end = 24;
    if (c->night_end - c->night_start < 1) { c->night_start = 0; c->night_end = 6; }
    if (c->base_nights < 3) c->base_nights = 3;
    if (c->base_nights > MAX_HIST - 1) c->base_nights = MAX_HIST - 1;
    if (c->alarm_nights < 1) c->alarm_nights = 1;
    if (c->backfill < 0) c->backfill = 0;
    if (c->backfill > 7) c->backfill = 7;
    /* Legitimate night use: one flush an hour by each active person, non-household night use,
     * exceptional users (m3/h). */
    c->lnu = (c->population * c->active_pct / 100.0 * c->flush_l + c->nonhh * c->nonhh_lph) / 1000.0 +
             c->exceptional;
}

static void discover_devices(cfg_t *c) {
    if (c->ndev > 0) return;
    char *r = il_call("devices", "{}");
    const char *o = cfg_object(r);
    const char *arr = o ? member(o, "devices") : NULL;
    if (arr && *arr == '[') {
        const char *p = arr + 1;
        while (*p && c->ndev < MAX_DEV) {
            p = ws(p);
            if (*p == ']' || !*p) break;
            if (*p == ',') { p++; continue; }
            if (*p == '{') {
                char name[72];
                if (member_str(p, "name", name, sizeof name) && ident_ok(name)) strcpy(c->dev[c->ndev++], name);
            }
            p = skip_value(p);
        }
        double total = 0;
        if (member_num(o, "total", &total) && total > c->ndev)
            printf("%.0f devices, only the first %d are zones: list them in `devices`\n", total, c->ndev);
    } else {
        il_warn(r ? r : "no reply to devices");
    }
    free(r);
}

/* ------------------------------------------------------------------ data */

/* Window averages of `prop` over [from, to) in windows of w ms: avg[i], have[i] for window
 * i = (ts - from) / w (< nb). Returns the windows with data, or -1 when the call failed. */
static int read_bins(const char *dev, const char *prop, double from, double to, double w, double scale,
                     double *avg, int *have, int nb) {
    for (int i = 0; i < nb; i++) { avg[i] = 0; have[i] = 0; }
    if (!prop[0]) return 0;
    sb_t s;
    if (!sb_init(&s, 512)) return -1;
    sb_raw(&s, "{");
    sb_str(&s, "device", dev);
    sb_str(&s, "property", prop);
    sb_int(&s, "from", from);
    sb_int(&s, "to", to);
    sb_int(&s, "window", w);
    sb_raw(&s, ",\"aggregations\":[\"avg\",\"count\"]}");
    char *r = il_call("aggregate", s.b);
    free(s.b);
    if (!il_ok(r)) {
        char msg[500];
        snprintf(msg, sizeof msg, "%s: no %s data: %.300s", dev, prop, r ? r : "no reply");
        il_warn(msg);
        free(r);
        return -1;
    }
    const char *arr = member(ws(r + 6), "windows");
    int n = 0, bad = 0;
    if (arr && *arr == '[') {
        const char *p = arr + 1;
        while (*p) {
            p = ws(p);
            if (*p == ']' || !*p) break;
            if (*p == ',') { p++; continue; }
            if (*p != '[') { p = skip_value(p); continue; }
            const char *end = skip_value(p);
            char *e;
            const char *q = ws(p + 1);
            double ts = parse_num(q, &e);
            q = ws(e);
            if (*q == ',') q = ws(q + 1);
            double v = 0, cnt = 0;
            int ok = 0;
            if (*q == '[') {
                q = ws(q + 1);
                v = parse_num(q, &e);
                ok = e != q && isfinite(v);
                q = ws(e);
                if (ok && *q == ',') {
                    q = ws(q + 1);
                    cnt = parse_num(q, &e);
                    if (e == q) cnt = 1;
                }
            }
            double idx = floor((ts - from) / w + 1e-9);
            if (ok && cnt > 0 && idx >= 0 && idx < nb) {
                avg[(int)idx] = v * scale;
                have[(int)idx] = 1;
                n++;
            } else if (!ok) {
                bad++;
            }
            p = end;
        }
    }
    if (bad) printf("%s: %d windows of %s without a numeric average (not numbers?), skipped\n", dev, bad, prop);
    free(r);
    return n;
}

/* ------------------------------------------------------------------ zone state */

typedef struct {
    double last_day, night_day;
    double have_night, mnf, mnf_ts, p_mnf, nnf, ref, p20, above_run, alarm, alarm_ref, seed;
    double d_day, d_hdf, d_hdf_meas, d_leak, d_inflow, d_pct, d_conn, d_cost;
    double month, m_leak, m_days, m_inflow, m_inflow_days;
    int nh;
    double hist[MAX_HIST];
} zone_t;

#define NZF 26
static void zone_fields(zone_t *z, fld_t *f) {
    fld_t t[NZF] = {{"last_day", &z->last_day}, {"night_day", &z->night_day}, {"have_night", &z->have_night},
                    {"mnf", &z->mnf}, {"mnf_ts", &z->mnf_ts}, {"p_mnf", &z->p_mnf}, {"nnf", &z->nnf},
                    {"ref", &z->ref}, {"p20", &z->p20}, {"above_run", &z->above_run}, {"alarm", &z->alarm},
                    {"alarm_ref", &z->alarm_ref}, {"seed", &z->seed}, {"d_day", &z->d_day},
                    {"d_hdf", &z->d_hdf}, {"d_hdf_measured", &z->d_hdf_meas}, {"d_leak", &z->d_leak},
                    {"d_inflow", &z->d_inflow}, {"d_pct", &z->d_pct}, {"d_conn", &z->d_conn},
                    {"d_cost", &z->d_cost}, {"month", &z->month}, {"m_leak", &z->m_leak},
                    {"m_days", &z->m_days}, {"m_inflow", &z->m_inflow}, {"m_inflow_days", &z->m_inflow_days}};
    memcpy(f, t, sizeof t);
}

static int load_zone(const char *dev, zone_t *z) {
    memset(z, 0, sizeof *z);
    char key[96], *hold;
    snprintf(key, sizeof key, "z:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NZF];
    zone_fields(z, f);
    load_fields(o, f, NZF);
    const char *h = member(o, "hist");
    if (h && *h == '[') {
        const char *p = h + 1;
        while (*p && z->nh < MAX_HIST) {
            p = ws(p);
            if (*p == ']' || !*p) break;
            if (*p == ',') { p++; continue; }
            char *e;
            double v = parse_num(p, &e);
            if (e == p) { p = skip_value(p); continue; }
            z->hist[z->nh++] = v;
            p = e;
        }
    }
    free(hold);
    return 1;
}

static void save_zone(const cfg_t *c, const char *dev, zone_t *z) {
    sb_t s;
    if (!sb_init(&s, 8192)) return;
    fld_t f[NZF];
    zone_fields(z, f);
    sb_raw(&s, "{");
    save_fields(&s, f, NZF);
    sb_num(&s, "lnu", c->lnu);
    sb_num(&s, "n1", c->n1);
    char t[48];
    if (z->night_day > 0) { date_text(z->night_day, t, sizeof t); sb_str(&s, "night_date", t); }
    if (z->have_night) { local_text(z->mnf_ts, c->offset_h, t, sizeof t); sb_str(&s, "mnf_time", t + 11); }
    if (z->d_day > 0) { date_text(z->d_day, t, sizeof t); sb_str(&s, "d_date", t); }
    sb_key(&s, "hist");
    sb_raw(&s, "[");
    for (int i = 0; i < z->nh; i++) {
        fmt_num(t, z->hist[i]);
        if (i) sb_raw(&s, ",");
        sb_raw(&s, t);
    }
    sb_raw(&s, "]}");
    char key[96];
    snprintf(key, sizeof key, "z:%s", dev);
    kv_put(key, s.b);
    free(s.b);
}

/* ------------------------------------------------------------------ method */

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile of v[0..n) by linear interpolation between order statistics
 * (rank p/100 x (n - 1), as spreadsheets' PERCENTILE). */
static double percentile(const double *v, int n, double p) {
    if (n <= 0) return 0;
    double s[MAX_HIST];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_d);
    double r = p / 100.0 * (n - 1);
    int i = (int)floor(r);
    if (i >= n - 1) return s[n - 1];
    return s[i] + (r - i) * (s[i + 1] - s[i]);
}

static double day_start(const cfg_t *c, double day) { return day * DAY_MS - c->offset_h * HOUR_MS; }
static double local_day(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / DAY_MS); }

static void push_hist(zone_t *z, double v) {
    if (z->nh == MAX_HIST) {
        memmove(z->hist, z->hist + 1, sizeof(double) * (MAX_HIST - 1));
        z->nh--;
    }
    z->hist[z->nh++] = v;
}

/* The reference net night flow for a night: configured, frozen while the alarm is on, or the
 * percentile of the previous reference_nights nights (at least 3), or the accepted seed. */
static double reference(const cfg_t *c, const zone_t *z) {
    if (c->baseline > 0) return c->baseline;
    if (z->alarm && z->alarm_ref > 0) return z->alarm_ref;
    int n = z->nh < (int)c->base_nights ? z->nh : (int)c->base_nights;
    if (n >= 3) return percentile(z->hist + z->nh - n, n, c->pctl);
    return z->seed;
}

static void night_stage(const cfg_t *c, const char *dev, zone_t *z, double d) {
    double w = c->interval_min * 60000.0;
    double from = day_start(c, d) + c->night_start * HOUR_MS, to = day_start(c, d) + c->night_end * HOUR_MS;
    int nb = (int)((to - from) / w);
    if (nb > MAX_BINS) nb = MAX_BINS;
    double avg[MAX_BINS];
    int have[MAX_BINS];
    char date[16];
    date_text(d, date, sizeof date);
    z->night_day = d;
    z->have_night = 0;
    int got = read_bins(dev, c->flow_p, from, to, w, c->flow_k, avg, have, nb);
    int k = (int)(60 / c->interval_min);
    double best = -1;
    int at = -1;
    for (int s = 0; s + k <= nb; s++) {
        double sum = 0;
        int ok = 1;
        for (int i = s; i < s + k; i++) {
            if (!have[i]) { ok = 0; break; }
            sum += avg[i];
        }
        if (ok && (at < 0 || sum / k < best)) { best = sum / k; at = s; }
    }
    if (at < 0) {
        if (got >= 0)
            printf("%s: night of %s: no complete hour of %s between %02.0f:00 and %02.0f:00 (%d of %d windows), not evaluated\n",
                   dev, date, c->flow_p, c->night_start, c->night_end, got, nb);
        return;
    }
    if (best < 0) { printf("%s: negative minimum night flow %.3f taken as 0\n", dev, best); best = 0; }
    z->have_night = 1;
    z->mnf = best;
    z->mnf_ts = from + at * w;
    /* Pressure over the minimum hour: the reference P0 of the hour-day factor. */
    z->p_mnf = 0;
    if (c->press_p[0]) {
        double pa[12];
        int ph[12];
        int n = read_bins(dev, c->press_p, z->mnf_ts, z->mnf_ts + HOUR_MS, w, 1.0, pa, ph, k);
        double sum = 0;
        int m = 0;
        for (int i = 0; n > 0 && i < k; i++)
            if (ph[i]) { sum += pa[i]; m++; }
        if (m) z->p_mnf = sum / m;
    }
    z->nnf = best - c->lnu;
    if (z->nnf < 0) {
        printf("%s: night of %s: legitimate night use %.3f m3/h exceeds the minimum night flow %.3f: leakage taken as 0\n",
               dev, date, c->lnu, best);
        z->nnf = 0;
    }
    /* The rise against the reference. */
    double ref = reference(c, z);
    z->ref = ref;
    int above = ref > 0 && z->nnf > ref * (1 + c->rise_pct / 100.0) && z->nnf - ref >= c->rise_min;
    z->above_run = above ? z->above_run + 1 : 0;
    char tt[24];
    local_text(z->mnf_ts, c->offset_h, tt, sizeof tt);
    if (above && !z->alarm && z->above_run >= c->alarm_nights) {
        sb_t s;
        if (sb_init(&s, 1024)) {
            sb_raw(&s, "{");
            sb_num(&s, "net_night_flow_m3h", z->nnf);
            sb_num(&s, "reference_m3h", ref);
            sb_num(&s, "rise_pct", 100.0 * (z->nnf / ref - 1));
            sb_num(&s, "limit_pct", c->rise_pct);
            sb_int(&s, "nights", z->above_run);
            sb_num(&s, "minimum_night_flow_m3h", z->mnf);
            sb_str(&s, "minimum_hour", tt);
            sb_num(&s, "legitimate_night_use_m3h", c->lnu);
            sb_str(&s, "method", "minimum night flow (UKWIR 99/WM/08/21), FAVAD N1");
            sb_raw(&s, "}");
            alarm_op(dev, 1, "night_flow_leakage_rise", "warning", s.b);
            free(s.b);
        }
        z->alarm = 1;
        z->alarm_ref = ref;
        printf("%s: night_flow_leakage_rise raised: net night flow %.3f m3/h against %.3f (+%.1f %%) for %.0f nights\n",
               dev, z->nnf, ref, 100.0 * (z->nnf / ref - 1), z->above_run);
    } else if (z->alarm && !above) {
        alarm_op(dev, 0, "night_flow_leakage_rise", NULL, NULL);
        z->alarm = 0;
        z->alarm_ref = 0;
        printf("%s: night_flow_leakage_rise cleared: net night flow %.3f m3/h against %.3f\n", dev, z->nnf, ref);
    }
    push_hist(z, z->nnf);
    int n = z->nh < (int)c->base_nights ? z->nh : (int)c->base_nights;
    z->p20 = percentile(z->hist + z->nh - n, n, c->pctl);
    printf("%s: night of %s: minimum rolling hour from %s, %.3f m3/h, night use %.3f, net night flow %.3f m3/h (reference %.3f, %g-percentile of %d nights %.3f)\n",
           dev, date, tt + 11, best, c->lnu, z->nnf, ref, c->pctl, n, z->p20);
}

static void close_month(const cfg_t *c, const char *dev, zone_t *z) {
    if (z->m_days > 0) {
        sb_t s;
        if (sb_init(&s, 1024)) {
            char t[16], key[96];
            int mm = (int)z->month;
            snprintf(t, sizeof t, "%04d-%02d", mm / 100, mm % 100);
            sb_raw(&s, "{");
            sb_str(&s, "month", t);
            sb_num(&s, "leak_m3", z->m_leak);
            sb_int(&s, "days", z->m_days);
            sb_num(&s, "mean_m3d", z->m_leak / z->m_days);
            if (z->m_inflow_days > 0) {
                sb_num(&s, "inflow_m3", z->m_inflow);
                sb_num(&s, "leak_pct", z->m_inflow > 0 ? 100.0 * (z->m_leak / z->m_days) / (z->m_inflow / z->m_inflow_days) : 0);
            }
            if (c->cost > 0) sb_num(&s, "cost", z->m_leak * c->cost);
            sb_raw(&s, "}");
            snprintf(key, sizeof key, "m:%s", dev);
            il_kv_push(key, s.b, (int)c->keep_months);
            free(s.b);
        }
    }
    z->m_leak = z->m_days = z->m_inflow = z->m_inflow_days = 0;
}

static void day_stage(const cfg_t *c, const char *dev, zone_t *z, double d) {
    if (z->night_day < d) night_stage(c, dev, z, d);
    double w = c->interval_min * 60000.0, from = day_start(c, d);
    int nb = (int)(DAY_MS / w);
    double avg[MAX_BINS];
    int have[MAX_BINS];
    char date[16];
    date_text(d, date, sizeof date);
    /* The day's inflow. */
    int nq = read_bins(dev, c->flow_p, from, from + DAY_MS, w, c->flow_k, avg, have, nb);
    double inflow = -1, sum = 0;
    if (nq > 0 && 100.0 * nq / nb >= c->min_cov) {
        for (int i = 0; i < nb; i++)
            if (have[i]) sum += avg[i];
        inflow = sum / nq * 24.0;
    }
    /* The hour-day factor from the day's pressure, relative to the pressure at the minimum hour. */
    double hdf = c->default_hdf;
    int measured = 0;
    if (z->have_night && c->press_p[0]) {
        int np = read_bins(dev, c->press_p, from, from + DAY_MS, w, 1.0, avg, have, nb);
        if (z->p_mnf > 0 && np > 0 && 100.0 * np / nb >= c->min_cov) {
            double f = 0;
            for (int i = 0; i < nb; i++)
                if (have[i]) f += avg[i] > 0 ? pow(avg[i] / z->p_mnf, c->n1) : 0;
            hdf = f / np * 24.0;
            measured = 1;
        } else if (np >= 0) {
            printf("%s: %s: %s covers %d of %d windows%s: hour-day factor %.2f h assumed\n", dev, date, c->press_p, np,
                   nb, z->p_mnf > 0 ? "" : " (none at the minimum hour)", c->default_hdf);
        }
    }
    double leak = z->have_night ? z->nnf * hdf : -1;
    z->d_day = d;
    z->d_hdf = z->have_night ? hdf : 0;
    z->d_hdf_meas = measured;
    z->d_leak = leak;
    z->d_inflow = inflow;
    z->d_pct = leak >= 0 && inflow > 0 ? 100.0 * leak / inflow : -1;
    z->d_conn = leak >= 0 && c->connections > 0 ? leak * 1000.0 / c->connections : -1;
    z->d_cost = leak >= 0 ? leak * c->cost : 0;
    /* The day's record. */
    sb_t s;
    if (sb_init(&s, 2048)) {
        char t[24], key[96];
        sb_raw(&s, "{");
        sb_str(&s, "date", date);
        if (z->have_night) {
            local_text(z->mnf_ts, c->offset_h, t, sizeof t);
            sb_num(&s, "mnf", z->mnf);
            sb_str(&s, "mnf_time", t + 11);
            sb_num(&s, "lnu", c->lnu);
            sb_num(&s, "nnf", z->nnf);
            sb_num(&s, "p_mnf", z->p_mnf);
            sb_num(&s, "hdf", hdf);
            sb_int(&s, "hdf_measured", measured);
            sb_num(&s, "leak_m3d", leak);
            sb_num(&s, "p20", z->p20);
            sb_num(&s, "ref", z->ref);
            sb_int(&s, "alarm", z->alarm);
        }
        if (inflow >= 0) sb_num(&s, "inflow_m3d", inflow);
        if (z->d_pct >= 0) sb_num(&s, "leak_pct", z->d_pct);
        if (z->d_conn >= 0) sb_num(&s, "l_conn_d", z->d_conn);
        if (leak >= 0 && c->cost > 0) sb_num(&s, "cost", z->d_cost);
        sb_raw(&s, "}");
        snprintf(key, sizeof key, "n:%s", dev);
        il_kv_push(key, s.b, (int)c->keep_nights);
        free(s.b);
    }
    /* The month. */
    int y, m, dd;
    civil((long)d, &y, &m, &dd);
    double month = y * 100 + m;
    if (z->month != month) {
        if (z->month > 0) close_month(c, dev, z);
        z->month = month;
    }
    if (leak >= 0) { z->m_leak += leak; z->m_days += 1; }
    if (leak >= 0 && inflow > 0) { z->m_inflow += inflow; z->m_inflow_days += 1; }
    if (leak >= 0)
        printf("%s: %s: net night flow %.3f m3/h x hour-day factor %.3f h (%s) = leakage %.2f m3/d; inflow %.2f m3/d\n", dev,
               date, z->nnf, hdf, measured ? "from pressure" : "assumed", leak, inflow);
    else
        printf("%s: %s: no night result, no leakage for the day\n", dev, date);
    if (c->write && leak >= 0) {
        sb_t r;
        if (sb_init(&r, 512)) {
            sb_raw(&r, "{");
            sb_str(&r, "device", dev);
            sb_int(&r, "ts", from + DAY_MS - 1000);
            sb_raw(&r, ",\"values\":{");
            sb_num(&r, "night_flow_min", z->mnf);
            sb_num(&r, "net_night_flow", z->nnf);
            sb_num(&r, "daily_leakage", leak);
            sb_raw(&r, "}}");
            char *rep = il_call("write", r.b);
            if (!il_ok(rep) || !strstr(rep, "\"refused\":[]"))
                warnf("%s: derived telemetry not (fully) stored (declare night_flow_min, net_night_flow, daily_leakage as float, or set write_telemetry false): %.300s",
                      dev, rep ? rep : "no reply");
            free(rep);
            free(r.b);
        }
    }
    z->last_day = d;
}

static void run_zone(const cfg_t *c, const char *dev, double at) {
    zone_t z;
    double today = local_day(c, at);
    if (!load_zone(dev, &z)) {
        z.last_day = today - 1 - c->backfill;
        z.night_day = z.last_day;
        printf("%s: first run: %.0f complete day(s) back\n", dev, c->backfill);
    }
    int done = 0;
    while (z.last_day + 1 < today && done < 8) {
        day_stage(c, dev, &z, z.last_day + 1);
        done++;
    }
    if (z.last_day + 1 < today) {
        printf("%s: %.0f more days to catch up, next run\n", dev, today - 1 - z.last_day);
    } else if (z.night_day < today && at >= day_start(c, today) + c->night_end * HOUR_MS) {
        night_stage(c, dev, &z, today);
    }
    save_zone(c, dev, &z);
}

/* ------------------------------------------------------------------ HTTP */

/* accept {"zone"}: the present level becomes the reference (after a repair campaign, or a
 * change of the zone); clears the alarm. */
static void http_accept(const cfg_t *c, const char *body) {
    char dev[72];
    if (!body || *body != '{' || !member_str(body, "zone", dev, sizeof dev) || !ident_ok(dev)) {
        reply_error(400, "body: {\"zone\": device name}");
        return;
    }
    int known = 0;
    for (int i = 0; i < c->ndev; i++)
        if (strcmp(c->dev[i], dev) == 0) known = 1;
    zone_t z;
    if (!known || !load_zone(dev, &z)) {
        reply_error(404, "no such zone with results");
        return;
    }
    if (!z.have_night && z.nh == 0) {
        reply_error(422, "no night evaluated yet");
        return;
    }
    double level = z.have_night ? z.nnf : z.hist[z.nh - 1];
    if (z.alarm) {
        alarm_op(dev, 0, "night_flow_leakage_rise", NULL, NULL);
        printf("%s: night_flow_leakage_rise cleared by accept\n", dev);
    }
    z.alarm = 0;
    z.alarm_ref = 0;
    z.above_run = 0;
    z.nh = 0;
    z.seed = level;
    z.ref = level;
    save_zone(c, dev, &z);
    sb_t s;
    if (sb_init(&s, 256)) {
        sb_raw(&s, "{");
        sb_str(&s, "zone", dev);
        sb_num(&s, "reference_m3h", level);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
    printf("%s: reference accepted: %.3f m3/h\n", dev, level);
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    member_str(event, "kind", kind, sizeof kind);
    discover_devices(&c);
    if (strcmp(kind, "http") == 0) {
        char path[32] = "";
        member_str(event, "path", path, sizeof path);
        if (strcmp(path, "accept") == 0) http_accept(&c, member(event, "body"));
        else reply_error(404, "unknown path");
        return 0;
    }
    double at = 0;
    if (strcmp(kind, "schedule") == 0) member_num(event, "at", &at);
    else if (strcmp(kind, "manual") == 0) at = now_ms();
    if (at <= 0) return 0;
    if (c.ndev == 0) { il_warn("no zones: configure `devices` or add devices to the installation's products"); return 0; }
    for (int i = 0; i < c.ndev; i++) run_zone(&c, c.dev[i], at);
    return 0;
}
