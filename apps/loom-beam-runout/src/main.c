/* Warp beam run-out prediction for weaving looms.
 *
 * For each loom (its pick counter, speed and run state by telemetry) and the warp beam on it
 * (length, picks per cm, crimp or take-up; set over HTTP at each beam change, or assumed):
 *   fabric woven      L_f = picks since the beam change / (picks_per_cm x 100)            m
 *   warp used         L_w = L_f x (1 + crimp/100)  or  L_f / (1 - take_up/100)           m
 *     (yarn crimp is the yarn length's excess over the fabric length as a % of the fabric
 *      length, take-up the same excess as a % of the yarn length: ASTM D3883; Textile
 *      Institute, Textile Terms and Definitions)
 *   warp left         R = beam length (+ a measured correction) - L_w                    m
 *   picks to run-out  N = (R - end waste) / (1 + crimp/100) x picks_per_cm x 100
 *   rate              r = picks counted over the last rate_window_h hours / that time (picks/h,
 *                     stops included: the loom's current efficiency eta = r / (ppm x 60))
 *   time to run-out   N / r hours, the predicted run-out time; alarm `warp_beam_runout` when
 *                     it is within alarm_hours (or the warp is used up); cleared at the beam
 *                     change, which records the beam.
 *
 * State: "l:<loom>" (counter, beam, rate samples, results), "b:<loom>" the finished beams.
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

enum { P_PICKS, P_PPM, P_STATE, NPROP };
#define MAXPTS 600
#define NRING 48

typedef struct {
    char prop[NPROP][72];
    char basis[16];
    double beam_len, ppcm, allowance, waste, window_h, min_rate_min, alarm_h, max_ppm, offset_h, keep_beams, write_min;
    int take_up, write;
} cfg_t;

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_PICKS], "pick_count");
    strcpy(c->prop[P_PPM], "ppm");
    strcpy(c->prop[P_STATE], "state");
    strcpy(c->basis, "crimp");
    c->beam_len = 3000; c->ppcm = 20; c->allowance = 8; c->waste = 1; c->window_h = 4; c->min_rate_min = 30;
    c->alarm_h = 8; c->max_ppm = 1500; c->offset_h = 8; c->keep_beams = 50; c->write_min = 15;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "pick_property", c->prop[P_PICKS], sizeof c->prop[P_PICKS]);
        cfg_str(o, "ppm_property", c->prop[P_PPM], sizeof c->prop[P_PPM]);
        cfg_str(o, "state_property", c->prop[P_STATE], sizeof c->prop[P_STATE]);
        cfg_str(o, "allowance_basis", c->basis, sizeof c->basis);
        cfg_num(o, "beam_length_m", &c->beam_len);
        cfg_num(o, "picks_per_cm", &c->ppcm);
        cfg_num(o, "allowance_pct", &c->allowance);
        cfg_num(o, "end_waste_m", &c->waste);
        cfg_num(o, "rate_window_h", &c->window_h);
        cfg_num(o, "min_rate_min", &c->min_rate_min);
        cfg_num(o, "alarm_hours", &c->alarm_h);
        cfg_num(o, "max_ppm", &c->max_ppm);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_beams", &c->keep_beams);
        cfg_num(o, "write_every_min", &c->write_min);
        double w = 0;
        cfg_num(o, "write_telemetry", &w);
        c->write = w != 0;
    }
    free(r);
    c->take_up = strcmp(c->basis, "take_up") == 0;
    if (c->ppcm <= 0) c->ppcm = 20;
    if (c->allowance < 0 || c->allowance >= 60) c->allowance = 8;
    if (c->window_h <= 0) c->window_h = 4;
    if (c->max_ppm <= 0) c->max_ppm = 1500;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last_count, last_ts, total, resets, jumps;
    double ppm, ppm_ts, run, run_ts;
    double beam_len, beam_start_ts, beam_start_total, ppcm, allowance, take_up, waste, adjust, assumed, has_beam;
    double alarm, last_write;
    int nr;
    double r_ts[NRING], r_total[NRING];
    char beam[72];
} loom_t;

#define NLF 21
static int loom_fields(loom_t *l, fld_t *f) {
    fld_t t[NLF] = {{"last_count", &l->last_count}, {"last_ts", &l->last_ts}, {"total", &l->total},
                    {"resets", &l->resets}, {"jumps", &l->jumps}, {"ppm", &l->ppm}, {"ppm_ts", &l->ppm_ts},
                    {"run", &l->run}, {"run_ts", &l->run_ts}, {"beam_length_m", &l->beam_len},
                    {"beam_start_ts", &l->beam_start_ts}, {"beam_start_total", &l->beam_start_total},
                    {"picks_per_cm", &l->ppcm}, {"allowance_pct", &l->allowance}, {"take_up", &l->take_up},
                    {"end_waste_m", &l->waste}, {"adjust_m", &l->adjust}, {"assumed", &l->assumed},
                    {"has_beam", &l->has_beam}, {"alarm", &l->alarm}, {"last_write", &l->last_write}};
    memcpy(f, t, sizeof t);
    return NLF;
}

static void read_array(const char *arr, double *out, int cap, int *n) {
    *n = 0;
    if (!arr || *arr != '[') return;
    const char *p = arr + 1;
    while (*p && *n < cap) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        char *e;
        double v = parse_num(p, &e);
        if (e == p) { p = skip_value(p); continue; }
        out[(*n)++] = v;
        p = e;
    }
}

static int load_loom(const char *dev, loom_t *l) {
    memset(l, 0, sizeof *l);
    char key[96], *hold;
    snprintf(key, sizeof key, "l:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NLF];
    load_fields(o, f, loom_fields(l, f));
    member_str(o, "beam", l->beam, sizeof l->beam);
    int a = 0, b = 0;
    read_array(member(o, "ring_ts"), l->r_ts, NRING, &a);
    read_array(member(o, "ring_total"), l->r_total, NRING, &b);
    l->nr = a < b ? a : b;
    free(hold);
    return 1;
}

/* ------------------------------------------------------------------ method */

typedef struct {
    double picks, fabric, warp_used, remaining, picks_left, rate, eff, hours, runout_ts;
    int rate_known;
} res_t;

/* Warp length for a fabric length, by crimp (on the fabric length) or take-up (on the yarn's). */
static double warp_for_fabric(const loom_t *l, double fabric) {
    return l->take_up ? fabric / (1 - l->allowance / 100.0) : fabric * (1 + l->allowance / 100.0);
}

static void results(const cfg_t *c, const loom_t *l, double now, res_t *r) {
    memset(r, 0, sizeof *r);
    r->picks = l->total - l->beam_start_total;
    r->fabric = r->picks / (l->ppcm * 100.0);
    r->warp_used = warp_for_fabric(l, r->fabric);
    r->remaining = l->beam_len + l->adjust - r->warp_used;
    double usable = r->remaining - l->waste;
    r->picks_left = usable > 0 ? (l->take_up ? usable * (1 - l->allowance / 100.0) : usable / (1 + l->allowance / 100.0)) *
                                     l->ppcm * 100.0
                               : 0;
    /* The rate over the window: from the oldest sample within it to the last reading. */
    if (l->nr > 0 && l->last_ts > 0) {
        double span = l->last_ts - l->r_ts[0];
        if (span >= c->min_rate_min * 60000.0) {
            r->rate = (l->total - l->r_total[0]) / (span / HOUR_MS);
            r->rate_known = 1;
        }
    }
    r->eff = r->rate_known && l->ppm > 0 ? r->rate / (l->ppm * 60.0) : -1;
    r->hours = r->rate_known && r->rate > 0 ? r->picks_left / r->rate : -1;
    r->runout_ts = r->hours >= 0 ? now + r->hours * HOUR_MS : 0;
    (void)c;
}

static void save_loom(const cfg_t *c, const char *dev, loom_t *l, double now) {
    sb_t s;
    if (!sb_init(&s, 6144)) return;
    fld_t f[NLF];
    int n = loom_fields(l, f);
    sb_raw(&s, "{");
    sb_str(&s, "beam", l->beam);
    save_fields(&s, f, n);
    char t[40];
    sb_key(&s, "ring_ts");
    sb_raw(&s, "[");
    for (int i = 0; i < l->nr; i++) { fmt_int(t, l->r_ts[i]); if (i) sb_raw(&s, ","); sb_raw(&s, t); }
    sb_raw(&s, "]");
    sb_key(&s, "ring_total");
    sb_raw(&s, "[");
    for (int i = 0; i < l->nr; i++) { fmt_int(t, l->r_total[i]); if (i) sb_raw(&s, ","); sb_raw(&s, t); }
    sb_raw(&s, "]");
    if (l->has_beam) {
        res_t r;
        results(c, l, now, &r);
        sb_int(&s, "beam_picks", r.picks);
        sb_num(&s, "fabric_m", r.fabric);
        sb_num(&s, "warp_used_m", r.warp_used);
        sb_num(&s, "warp_remaining_m", r.remaining);
        sb_num(&s, "remaining_pct", l->beam_len > 0 ? 100.0 * r.remaining / (l->beam_len + l->adjust) : 0);
        sb_num(&s, "picks_left", r.picks_left);
        if (r.rate_known) sb_num(&s, "picks_per_hour", r.rate);
        if (r.eff >= 0) sb_num(&s, "efficiency_pct", 100.0 * r.eff);
        if (r.hours >= 0) {
            sb_num(&s, "hours_to_runout", r.hours);
            sb_int(&s, "runout_ts", r.runout_ts);
            local_text(r.runout_ts, c->offset_h, t, sizeof t);
            sb_str(&s, "runout_time", t);
        }
        local_text(l->beam_start_ts, c->offset_h, t, sizeof t);
        sb_str(&s, "beam_since", t);
    }
    sb_raw(&s, "}");
    char key[96];
    snprintf(key, sizeof key, "l:%s", dev);
    kv_put(key, s.b);
    free(s.b);
}

/* Adds a rate sample (at most one per window/24) and drops those older than the window. */
static void ring_add(const cfg_t *c, loom_t *l, double ts, double total) {
    double wms = c->window_h * HOUR_MS;
    if (l->nr == 0 || ts - l->r_ts[l->nr - 1] >= wms / 24.0) {
        if (l->nr == NRING) {
            memmove(l->r_ts, l->r_ts + 1, sizeof(double) * (NRING - 1));
            memmove(l->r_total, l->r_total + 1, sizeof(double) * (NRING - 1));
            l->nr--;
        }
        l->r_ts[l->nr] = ts;
        l->r_total[l->nr] = total;
        l->nr++;
    }
    int drop = 0;
    while (drop < l->nr - 1 && l->r_ts[drop] < ts - wms) drop++;
    if (drop) {
        memmove(l->r_ts, l->r_ts + drop, sizeof(double) * (size_t)(l->nr - drop));
        memmove(l->r_total, l->r_total + drop, sizeof(double) * (size_t)(l->nr - drop));
        l->nr -= drop;
    }
}

static void start_beam(const cfg_t *c, loom_t *l, const char *id, double len, double ts, int assumed) {
    snprintf(l->beam, sizeof l->beam, "%s", id);
    l->beam_len = len;
    l->beam_start_ts = ts;
    l->beam_start_total = l->total;
    l->ppcm = c->ppcm;
    l->allowance = c->allowance;
    l->take_up = c->take_up;
    l->waste = c->waste;
    l->adjust = 0;
    l->assumed = assumed;
    l->has_beam = 1;
}

static void update_alarm(const cfg_t *c, const char *dev, loom_t *l, double now) {
    if (!l->has_beam) return;
    res_t r;
    results(c, l, now, &r);
    int empty = r.remaining - l->waste <= 0;
    int want = empty || (r.hours >= 0 && r.hours <= c->alarm_h);
    if (want && !l->alarm) {
        sb_t s;
        if (!sb_init(&s, 1024)) return;
        char t[24];
        sb_raw(&s, "{");
        sb_str(&s, "beam", l->beam);
        sb_num(&s, "warp_remaining_m", r.remaining);
        sb_num(&s, "picks_left", r.picks_left);
        if (r.hours >= 0) {
            sb_num(&s, "hours_to_runout", r.hours);
            local_text(r.runout_ts, c->offset_h, t, sizeof t);
            sb_str(&s, "runout_time", t);
        }
        if (r.eff >= 0) sb_num(&s, "efficiency_pct", 100.0 * r.eff);
        sb_num(&s, "alarm_hours", c->alarm_h);
        sb_raw(&s, "}");
        alarm_op(dev, 1, "warp_beam_runout", empty ? "major" : "warning", s.b);
        free(s.b);
        l->alarm = 1;
        printf("%s: warp_beam_runout raised: %.1f m of warp left, %s\n", dev, r.remaining,
               empty ? "used up" : "run-out within the alarm time");
    } else if (!want && l->alarm && r.hours > c->alarm_h) {
        /* Only a longer estimate from more warp (a correction) clears it; a stopped loom does not. */
        alarm_op(dev, 0, "warp_beam_runout", NULL, NULL);
        l->alarm = 0;
        printf("%s: warp_beam_runout cleared\n", dev);
    }
}

/* ------------------------------------------------------------------ telemetry */

static int on_telemetry(const cfg_t *c, const char *event) {
    char dev[72];
    if (!member_str(event, "device", dev, sizeof dev) || !ident_ok(dev)) return 0;
    static pt_t pts[MAXPTS];
    int dropped = 0;
    int n = read_points(event, (char(*)[72])c->prop, NPROP, pts, MAXPTS, &dropped);
    if (dropped) printf("%s: %d points beyond the first %d of one message ignored\n", dev, dropped, MAXPTS);
    if (n == 0) return 0;
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);
    loom_t l;
    load_loom(dev, &l);
    int known = l.last_ts > 0, old_warned = 0, counted = 0;
    double now = 0;
    for (int i = 0; i < n; i++) {
        pt_t *p = &pts[i];
        if (!p->ok) {
            printf("%s: %s is not a number, ignored\n", dev, c->prop[p->prop]);
            continue;
        }
        if (p->ts > now) now = p->ts;
        if (p->prop == P_PPM) {
            if (p->v >= 0 && p->ts >= l.ppm_ts && p->v > 0) { l.ppm = p->v; l.ppm_ts = p->ts; }
            continue;
        }
        if (p->prop == P_STATE) {
            if (p->ts >= l.run_ts) { l.run = p->v; l.run_ts = p->ts; }
            continue;
        }
        double v = p->v;
        if (v < 0 || v != floor(v)) {
            printf("%s: %s %g is no counter value, ignored\n", dev, c->prop[P_PICKS], v);
            continue;
        }
        if (!known) {
            l.last_count = v;
            l.last_ts = p->ts;
            known = 1;
            if (!l.has_beam) {
                start_beam(c, &l, "assumed", c->beam_len, p->ts, 1);
                printf("%s: no beam recorded: a full beam of %.0f m assumed from now (POST beam to record the real one)\n", dev,
                       c->beam_len);
            }
            ring_add(c, &l, p->ts, l.total);
            counted = 1;
            continue;
        }
        if (p->ts <= l.last_ts) {
            if (p->ts < l.last_ts && !old_warned) {
                printf("%s: counter reading at %.0f older than the last one, ignored\n", dev, p->ts);
                old_warned = 1;
            }
            continue;
        }
        double d = v - l.last_count;
        if (d < 0) {
            printf("%s: pick counter went back from %.0f to %.0f: a reset, %.0f picks since it\n", dev, l.last_count, v, v);
            l.resets += 1;
            d = v;
        }
        double most = (p->ts - l.last_ts) / 60000.0 * c->max_ppm + 1;
        if (d > most) {
            printf("%s: pick counter jumped by %.0f in %.0f s (more than %g picks/min): ignored, counting from %.0f\n", dev, d,
                   (p->ts - l.last_ts) / 1000.0, c->max_ppm, v);
            l.jumps += 1;
            d = 0;
        }
        l.last_count = v;
        l.last_ts = p->ts;
        l.total += d;
        ring_add(c, &l, p->ts, l.total);
        counted = 1;
    }
    if (now <= 0) now = l.last_ts;
    if (counted) update_alarm(c, dev, &l, l.last_ts);
    if (c->write && counted && l.has_beam && l.last_ts - l.last_write >= c->write_min * 60000.0) {
        res_t r;
        results(c, &l, l.last_ts, &r);
        sb_t s;
        if (sb_init(&s, 512)) {
            sb_raw(&s, "{");
            sb_str(&s, "device", dev);
            sb_int(&s, "ts", l.last_ts);
            sb_raw(&s, ",\"values\":{");
            sb_num(&s, "warp_remaining_m", r.remaining);
            if (r.hours >= 0) sb_num(&s, "hours_to_runout", r.hours);
            sb_raw(&s, "}}");
            char *rep = il_call("write", s.b);
            if (!il_ok(rep) || !strstr(rep, "\"refused\":[]"))
                warnf("%s: derived telemetry not (fully) stored (declare warp_remaining_m, hours_to_runout as float, or set write_telemetry false): %.300s",
                      dev, rep ? rep : "no reply");
            free(rep);
            free(s.b);
        }
        l.last_write = l.last_ts;
    }
    save_loom(c, dev, &l, l.last_ts > 0 ? l.last_ts : now);
    return 0;
}

/* ------------------------------------------------------------------ HTTP */

static int device_exists(const char *dev) {
    for (int page = 1; page <= 20; page++) {
        char req[32];
        snprintf(req, sizeof req, "{\"page\":%d}", page);
        char *r = il_call("devices", req);
        const char *o = cfg_object(r);
        const char *arr = o ? member(o, "devices") : NULL;
        int found = 0, count = 0;
        if (arr && *arr == '[') {
            const char *p = arr + 1;
            while (*p) {
                p = ws(p);
                if (*p == ']' || !*p) break;
                if (*p == ',') { p++; continue; }
                if (*p == '{') {
                    char name[72];
                    count++;
                    if (member_str(p, "name", name, sizeof name) && strcmp(name, dev) == 0) found = 1;
                }
                p = skip_value(p);
            }
        }
        free(r);
        if (found) return 1;
        if (count < 500) return 0;
    }
    return 0;
}

static void status_json(const cfg_t *c, const char *dev, loom_t *l, sb_t *s) {
    res_t r;
    double now = l->last_ts > 0 ? l->last_ts : l->beam_start_ts;
    results(c, l, now, &r);
    sb_str(s, "loom", dev);
    sb_str(s, "beam", l->beam);
    sb_num(s, "beam_length_m", l->beam_len);
    sb_num(s, "picks_per_cm", l->ppcm);
    sb_num(s, l->take_up ? "take_up_pct" : "crimp_pct", l->allowance);
    sb_int(s, "assumed", l->assumed);
    sb_int(s, "beam_picks", r.picks);
    sb_num(s, "fabric_m", r.fabric);
    sb_num(s, "warp_used_m", r.warp_used);
    sb_num(s, "warp_remaining_m", r.remaining);
    sb_num(s, "picks_left", r.picks_left);
    if (r.rate_known) sb_num(s, "picks_per_hour", r.rate);
    if (r.eff >= 0) sb_num(s, "efficiency_pct", 100.0 * r.eff);
    if (r.hours >= 0) {
        char t[24];
        sb_num(s, "hours_to_runout", r.hours);
        local_text(r.runout_ts, c->offset_h, t, sizeof t);
        sb_str(s, "runout_time", t);
    }
    sb_int(s, "alarm", l->alarm);
}

static const char *loom_arg(const char *body, char *dev, size_t cap) {
    if (!body || *body != '{' || !member_str(body, "loom", dev, cap) || !ident_ok(dev)) return "body: {\"loom\": device, ...}";
    return NULL;
}

/* beam {"loom", "length_m", "beam"?, "picks_per_cm"?, "crimp_pct"? | "take_up_pct"?, "end_waste_m"?, "ts"?} */
static void http_beam(const cfg_t *c, const char *body, double now) {
    char dev[72], id[72] = "";
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    double len = 0, v;
    if (!member_num(body, "length_m", &len) || len <= 0 || len > 1e6) { reply_error(400, "length_m: the warp length on the beam (m, > 0)"); return; }
    if (member(body, "beam") && (!member_str(body, "beam", id, sizeof id) || (id[0] && !ident_ok(id)))) {
        reply_error(400, "beam: an id (letters, digits, - _ . : /)");
        return;
    }
    double ppcm = c->ppcm, allow = c->allowance, waste = c->waste;
    int take_up = c->take_up;
    if (member(body, "picks_per_cm") && (!member_num(body, "picks_per_cm", &ppcm) || ppcm <= 0 || ppcm > 500)) {
        reply_error(400, "picks_per_cm: > 0");
        return;
    }
    if (member(body, "crimp_pct")) {
        if (!member_num(body, "crimp_pct", &allow) || allow < 0 || allow >= 60) { reply_error(400, "crimp_pct: 0 to 60"); return; }
        take_up = 0;
    } else if (member(body, "take_up_pct")) {
        if (!member_num(body, "take_up_pct", &allow) || allow < 0 || allow >= 60) { reply_error(400, "take_up_pct: 0 to 60"); return; }
        take_up = 1;
    }
    if (member(body, "end_waste_m") && (!member_num(body, "end_waste_m", &waste) || waste < 0)) {
        reply_error(400, "end_waste_m: >= 0");
        return;
    }
    if (!device_exists(dev)) { reply_error(404, "no such loom among the installation's devices"); return; }
    double ts = now;
    if (member_num(body, "ts", &v) && v > 0) ts = v;
    loom_t l;
    load_loom(dev, &l);
    /* The beam that comes off: its record. */
    if (l.has_beam) {
        res_t r;
        results(c, &l, ts, &r);
        sb_t s;
        if (sb_init(&s, 1024)) {
            char t1[24], t2[24], key[96];
            local_text(l.beam_start_ts, c->offset_h, t1, sizeof t1);
            local_text(ts, c->offset_h, t2, sizeof t2);
            sb_raw(&s, "{");
            sb_str(&s, "beam", l.beam);
            sb_str(&s, "start", t1);
            sb_str(&s, "end", t2);
            sb_num(&s, "hours", (ts - l.beam_start_ts) / HOUR_MS);
            sb_num(&s, "length_m", l.beam_len);
            sb_int(&s, "picks", r.picks);
            sb_num(&s, "fabric_m", r.fabric);
            sb_num(&s, "warp_used_m", r.warp_used);
            sb_num(&s, "left_m", r.remaining);
            sb_num(&s, "picks_per_cm", l.ppcm);
            sb_num(&s, l.take_up ? "take_up_pct" : "crimp_pct", l.allowance);
            sb_int(&s, "assumed", l.assumed);
            sb_raw(&s, "}");
            snprintf(key, sizeof key, "b:%s", dev);
            il_kv_push(key, s.b, (int)c->keep_beams);
            free(s.b);
        }
        printf("%s: beam %s off after %.1f h: %.0f picks, %.2f m of fabric, %.2f m of warp used, %.2f m left\n", dev, l.beam,
               (ts - l.beam_start_ts) / HOUR_MS, r.picks, r.fabric, r.warp_used, r.remaining);
    }
    if (l.alarm) {
        alarm_op(dev, 0, "warp_beam_runout", NULL, NULL);
        printf("%s: warp_beam_runout cleared (beam change)\n", dev);
        l.alarm = 0;
    }
    if (!id[0]) snprintf(id, sizeof id, "beam-%.0f", ts / 1000);
    start_beam(c, &l, id, len, ts, 0);
    l.ppcm = ppcm;
    l.allowance = allow;
    l.take_up = take_up;
    l.waste = waste;
    printf("%s: beam %s on: %.1f m of warp, %g picks/cm, %s %g %%\n", dev, id, len, ppcm, take_up ? "take-up" : "crimp", allow);
    save_loom(c, dev, &l, ts);
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

/* remaining {"loom", "remaining_m"}: a measured warp length left (beam diameter or a count). */
static void http_remaining(const cfg_t *c, const char *body) {
    char dev[72];
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    double rem;
    if (!member_num(body, "remaining_m", &rem) || rem < 0 || rem > 1e6) { reply_error(400, "remaining_m: >= 0"); return; }
    loom_t l;
    if (!load_loom(dev, &l) || !l.has_beam) { reply_error(404, "no beam on this loom yet"); return; }
    res_t r;
    results(c, &l, l.last_ts, &r);
    l.adjust += rem - r.remaining;
    printf("%s: warp left measured %.2f m (computed %.2f m): correction %+.2f m\n", dev, rem, r.remaining, l.adjust);
    update_alarm(c, dev, &l, l.last_ts);
    save_loom(c, dev, &l, l.last_ts);
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

/* status {"loom"}: one loom's beam and prediction. */
static void http_status(const cfg_t *c, const char *body) {
    char dev[72];
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    loom_t l;
    if (!load_loom(dev, &l) || !l.has_beam) { reply_error(404, "no beam on this loom yet"); return; }
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    member_str(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "http") == 0) {
        char path[32] = "";
        member_str(event, "path", path, sizeof path);
        const char *body = member(event, "body");
        if (strcmp(path, "beam") == 0) http_beam(&c, body, now_ms());
        else if (strcmp(path, "remaining") == 0) http_remaining(&c, body);
        else if (strcmp(path, "status") == 0) http_status(&c, body);
        else reply_error(404, "unknown path");
        return 0;
    }
    if (strcmp(kind, "manual") == 0) {
        double per_m = c.ppcm * 100.0 / (c.take_up ? 1.0 / (1 - c.allowance / 100.0) : 1 + c.allowance / 100.0);
        printf("%g picks/cm, %s %g %%: %.1f picks per metre of warp; a %.0f m beam holds %.0f picks\n", c.ppcm,
               c.take_up ? "take-up" : "crimp", c.allowance, per_m, c.beam_len, (c.beam_len - c.waste) * per_m);
    }
    return 0;
}
