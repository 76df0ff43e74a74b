/* Injection moulding process monitor, shot by shot.
 *
 * On every telemetry message of a moulding machine (shot counter, last cycle time, peak
 * injection pressure, melt and mould temperature, cushion, reject flag of the last shot,
 * machine state; every name configurable):
 *   - a rise of the shot counter is a shot (or several: the message's values belong to the
 *     last one); without a counter property every message with a cycle time is one shot;
 *     shots in a machine state outside production_states count as set-up shots only;
 *   - cycle-time statistics per shift (n, mean, standard deviation, min, max) and the
 *     cycle-time loss against the standard cycle: sum of (t - t_std), as % of the standard
 *     time and as lost shots; cycles longer than long_cycle_factor x t_std are interruptions;
 *   - scrap ratio = rejected shots / shots and good parts = (shots - rejects) x cavities
 *     (ISO 22400-2:2014 scrap ratio and quality ratio), shots and good parts per hour and
 *     per shift;
 *   - each parameter against its set window: outside for window_shots shots in a row raises
 *     `moulding_out_of_window_<parameter>`, the next shot inside clears it;
 *   - process capability of the parameters with specification limits over the last
 *     capability_window shots: Cp = (USL - LSL) / 6 sigma_w, Cpk = min(USL - mean,
 *     mean - LSL) / 3 sigma_w with sigma_w = MR-bar / 1.128 (individuals) or R-bar / d2 of
 *     consecutive subgroups (Montgomery, Introduction to Statistical Quality Control, 6th
 *     ed., sections 6.2, 6.4 and 8.3), Pp/Ppk with the overall standard deviation (ISO
 *     22514-2 / AIAG SPC performance indices); Cpk below cpk_alarm raises
 *     `moulding_low_cpk_<parameter>`.
 *
 * State (crash-only: everything is in the installation's key-value state):
 *   "m:<device>"  counter, last values, the shift's and hour's sums, window counters,
 *                 alarm flags, capability results
 *   "b:<device>"  the last capability_window values of each parameter with limits
 *   "s:<device>"  closed shifts (keep_shifts), "h:<device>" closed hours (keep_hours)
 */
#include "ironloom.h"
#include <math.h>

#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define MAXPTS 600
#define MAXBUF 500
#define MAX_STARTS 12
#define MAX_STATES 16

/* Monitored parameters, then the other properties. */
enum { K_CYCLE, K_PRESS, K_MELT, K_MOULD, K_CUSHION, NK };
enum { X_SHOT = NK, X_REJECT, X_STATE, NPROP };
static const char *K_NAME[NK] = {"cycle", "pressure", "melt", "mould", "cushion"};
static const char *PROP_KEY[NPROP] = {"cycle_property", "pressure_property", "melt_property",
                                      "mould_property", "cushion_property", "shot_property",
                                      "reject_property", "state_property"};
static const char *PROP_DEFAULT[NPROP] = {"cycle_time", "injection_pressure", "melt_temp",
                                          "mould_temp", "cushion", "shot_count", "reject",
                                          "state"};
/* Per-shot values are used by one shot only; temperatures hold until the next reading. */
static const int PER_SHOT[NPROP] = {1, 1, 0, 0, 1, 0, 1, 0};
/* d2 for subgroups of 2..10 (Montgomery, Appendix Table VI). */
static const double D2[11] = {0, 0, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078};

/* A double as JSON text with 12 significant digits, always with a decimal point ("98.0"):
 * the time-series engine types a series by its first value. Written by hand because printf's
 * %g goes through software long double on wasm32 and costs ~20 000 fuel a number. */
static int fmt_num(char *out, double v) {
    char *o = out;
    if (!isfinite(v)) { strcpy(out, "0.0"); return 3; }
    if (v < 0) { *o++ = '-'; v = -v; }
    if (v != 0 && (v >= 1e15 || v < 1e-6)) return (int)(o - out) + snprintf(o, 32, "%.12g", v);
    /* integer and fraction, 12 significant digits */
    int ip_digits = 1;
    double t = 1;
    while (t * 10 <= v && ip_digits < 16) { t *= 10; ip_digits++; }
    int frac = 12 - ip_digits;
    if (v < 1) {
        frac = 12;
        double x = v;
        while (x < 0.1 && frac < 18) { x *= 10; frac++; }
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

/* Reads a JSON number (digits, fraction, exponent) without strtod's long double work. */
static double parse_num(const char *p, char **end) {
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
    if (*q == 'e' || *q == 'E') return strtod(p, end); /* rare: the library does it */
    if (!digits) { *end = (char *)p; return 0; }
    *end = (char *)q;
    return neg ? -v : v;
}

/* ------------------------------------------------------------------ JSON */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return p;
}

/* Past a JSON string starting at '"'. */
static const char *skip_string(const char *p) {
    p++;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) p++;
        p++;
    }
    return *p ? p + 1 : p;
}

/* Past any JSON value. */
static const char *skip_value(const char *p) {
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

/* ------------------------------------------------------------------ config */

typedef struct {
    char prop[NPROP][72];
    double lsl[NK], usl[NK], lo[NK], hi[NK]; /* NAN: not set */
    int has_spec[NK], has_win[NK];
    double std_ct, long_factor, cavities, cpk_alarm;
    int win_shots, cap_window, subgroup, min_shots;
    double states[MAX_STATES];
    int nstates;
    double starts[MAX_STARTS]; /* shift starts, local minutes of the day, sorted */
    int nstarts;
    double offset_h, max_gap_ms;
    int keep_shifts, keep_hours, write;
} cfg_t;

/* `"key": number` of the configuration (flat object) into *out when present. */
static void cfg_num(const char *json, const char *key, double *out) {
    char pat[96];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) return;
    p += n;
    while (*p == ' ') p++;
    char *e;
    double v = parse_num(p, &e);
    if (e != p) *out = v;
}

static int json_bool(const char *json, const char *key, int dflt) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) return dflt;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (strncmp(p, "true", 4) == 0) return 1;
    if (strncmp(p, "false", 5) == 0) return 0;
    return dflt;
}

/* The array after `"key":`, past its '['. */
static const char *array_after(const char *json, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return NULL;
    p = ws(p + strlen(pat));
    return *p == '[' ? p + 1 : NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NPROP; i++) strcpy(c->prop[i], PROP_DEFAULT[i]);
    for (int k = 0; k < NK; k++) c->lsl[k] = c->usl[k] = c->lo[k] = c->hi[k] = NAN;
    c->long_factor = 3; c->cavities = 1; c->cpk_alarm = 1.0;
    double win = 3, capw = 125, sub = 1, mins = 30, gap_s = 600, keep_s = 21, keep_h = 48;
    c->offset_h = 8;
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        for (int i = 0; i < NPROP; i++) il_json_string(cfg, PROP_KEY[i], c->prop[i], sizeof c->prop[i]);
        char key[48];
        for (int k = 0; k < NK; k++) {
            snprintf(key, sizeof key, "%s_lsl", K_NAME[k]); cfg_num(cfg, key, &c->lsl[k]);
            snprintf(key, sizeof key, "%s_usl", K_NAME[k]); cfg_num(cfg, key, &c->usl[k]);
            snprintf(key, sizeof key, "%s_low", K_NAME[k]); cfg_num(cfg, key, &c->lo[k]);
            snprintf(key, sizeof key, "%s_high", K_NAME[k]); cfg_num(cfg, key, &c->hi[k]);
        }
        cfg_num(cfg, "standard_cycle_s", &c->std_ct);
        cfg_num(cfg, "long_cycle_factor", &c->long_factor);
        cfg_num(cfg, "cavities", &c->cavities);
        cfg_num(cfg, "cpk_alarm", &c->cpk_alarm);
        cfg_num(cfg, "window_shots", &win);
        cfg_num(cfg, "capability_window", &capw);
        cfg_num(cfg, "subgroup_size", &sub);
        cfg_num(cfg, "capability_min_shots", &mins);
        cfg_num(cfg, "max_gap_s", &gap_s);
        cfg_num(cfg, "utc_offset_h", &c->offset_h);
        cfg_num(cfg, "keep_shifts", &keep_s);
        cfg_num(cfg, "keep_hours", &keep_h);
        c->write = json_bool(cfg, "write_telemetry", 0);
        const char *p = array_after(cfg, "production_states");
        while (p && *p && *p != ']' && c->nstates < MAX_STATES) {
            p = ws(p);
            if (*p == ',') { p++; continue; }
            char *e;
            double v = parse_num(p, &e);
            if (e == p) break;
            c->states[c->nstates++] = v;
            p = e;
        }
        p = array_after(cfg, "shift_starts");
        while (p && *p && *p != ']' && c->nstarts < MAX_STARTS) {
            if (*p == '"') {
                int h = -1, m = -1;
                const char *q = strchr(p + 1, '"');
                if (!q) break;
                if (sscanf(p + 1, "%d:%d", &h, &m) == 2 && h >= 0 && h < 24 && m >= 0 && m < 60) {
                    double v = h * 60 + m;
                    int dup = 0;
                    for (int i = 0; i < c->nstarts; i++) dup |= c->starts[i] == v;
                    if (!dup) c->starts[c->nstarts++] = v;
                } else {
                    il_warn("shift_starts: an entry is not HH:MM and is ignored");
                }
                p = q + 1;
            } else {
                p++;
            }
        }
    }
    free(cfg);
    if (c->nstarts == 0) {
        c->starts[0] = 0; c->starts[1] = 480; c->starts[2] = 960;
        c->nstarts = 3;
    }
    qsort(c->starts, (size_t)c->nstarts, sizeof(double), cmp_double);
    for (int k = 0; k < NK; k++) {
        c->has_spec[k] = !isnan(c->lsl[k]) || !isnan(c->usl[k]);
        if (!isnan(c->lsl[k]) && !isnan(c->usl[k]) && c->lsl[k] >= c->usl[k]) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s_lsl is not below %s_usl: no capability for %s", K_NAME[k], K_NAME[k], c->prop[k]);
            il_warn(msg);
            c->has_spec[k] = 0;
        }
        /* Without a set window the specification limits are the window. */
        if (isnan(c->lo[k]) && isnan(c->hi[k]) && c->has_spec[k]) {
            c->lo[k] = c->lsl[k];
            c->hi[k] = c->usl[k];
        }
        c->has_win[k] = !isnan(c->lo[k]) || !isnan(c->hi[k]);
    }
    if (c->cavities < 1) c->cavities = 1;
    c->win_shots = win < 1 ? 1 : (int)win;
    c->cap_window = capw < 2 ? 2 : capw > MAXBUF ? MAXBUF : (int)capw;
    c->subgroup = sub < 1 ? 1 : sub > 10 ? 10 : (int)sub;
    c->min_shots = mins < 2 ? 2 : (int)mins;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_shifts = keep_s < 1 ? 1 : keep_s > 200 ? 200 : (int)keep_s;
    c->keep_hours = keep_h < 1 ? 1 : keep_h > 240 ? 240 : (int)keep_h;
}

/* ------------------------------------------------------------------ event points */

typedef struct {
    int prop;
    double ts, v;
    int ok, seq;
} pt_t;

/* Reads the event's points once (no search per point): the ones whose property is
 * configured, in time order by the caller. */
static int read_points(const cfg_t *c, const char *event, pt_t *pts, int cap, int *dropped) {
    int n = 0;
    *dropped = 0;
    const char *p = strstr(event, "\"points\":");
    if (!p) return 0;
    p = ws(p + 9);
    if (*p != '[') return 0;
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
        for (int i = 0; i < NPROP; i++)
            if (c->prop[i][0] && strcmp(prop, c->prop[i]) == 0) { idx = i; break; }
        if (idx < 0) continue;
        if (n >= cap) { (*dropped)++; continue; }
        pts[n].prop = idx; pts[n].ts = ts; pts[n].v = v; pts[n].ok = ok; pts[n].seq = n;
        n++;
    }
    return n;
}

static int cmp_pt(const void *a, const void *b) {
    const pt_t *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->seq - y->seq;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double shots, setup, rej, ctn, ctsum, ctsq, ctmin, ctmax, loss, longn, longs, multi;
    double first, lastshot;
} sacc_t;

typedef struct {
    double last, cnt;
    int cnt_known;
    double v[NPROP], vts[NPROP];
    int used[NPROP];
    double shift, hour;          /* current shift start (ms), local hour number */
    sacc_t sh;                   /* the shift's sums */
    double hr_shots, hr_rej, hr_ctn, hr_ctsum, hr_setup;
    double tot_shots, tot_rej, tot_setup;
    int outc[NK], win_alarm[NK], cpk_al[NK];
    double cap_n[NK], cap_mean[NK], cap_s[NK], cap_sw[NK], cap_cp[NK], cap_cpk[NK];
    double cap_pp[NK], cap_ppk[NK], cap_out[NK];
    int refused;
} st_t;

typedef struct {
    char name[24];
    double *d;
    int *i;
} fld_t;

#define MAXF 200
static int state_fields(st_t *s, fld_t *f) {
    int n = 0;
#define FD(k, p) (snprintf(f[n].name, sizeof f[n].name, "%s", k), f[n].d = &(p), f[n].i = NULL, n++)
#define FI(k, p) (snprintf(f[n].name, sizeof f[n].name, "%s", k), f[n].d = NULL, f[n].i = &(p), n++)
    FD("last", s->last); FD("cnt", s->cnt); FI("cnt_known", s->cnt_known);
    FD("shift", s->shift); FD("hour", s->hour); FI("refused", s->refused);
    FD("sh_shots", s->sh.shots); FD("sh_setup", s->sh.setup); FD("sh_rej", s->sh.rej);
    FD("sh_ctn", s->sh.ctn); FD("sh_ctsum", s->sh.ctsum); FD("sh_ctsq", s->sh.ctsq);
    FD("sh_ctmin", s->sh.ctmin); FD("sh_ctmax", s->sh.ctmax); FD("sh_loss", s->sh.loss);
    FD("sh_longn", s->sh.longn); FD("sh_longs", s->sh.longs); FD("sh_multi", s->sh.multi);
    FD("sh_first", s->sh.first); FD("sh_lastshot", s->sh.lastshot);
    FD("hr_shots", s->hr_shots); FD("hr_rej", s->hr_rej); FD("hr_ctn", s->hr_ctn);
    FD("hr_ctsum", s->hr_ctsum); FD("hr_setup", s->hr_setup);
    FD("tot_shots", s->tot_shots); FD("tot_rej", s->tot_rej); FD("tot_setup", s->tot_setup);
    static const char *PN[NPROP] = {"cycle", "pressure", "melt", "mould", "cushion", "shot", "reject", "state"};
    for (int i = 0; i < NPROP; i++) {
        snprintf(f[n].name, sizeof f[n].name, "v_%s", PN[i]); f[n].d = &s->v[i]; f[n].i = NULL; n++;
        snprintf(f[n].name, sizeof f[n].name, "ts_%s", PN[i]); f[n].d = &s->vts[i]; f[n].i = NULL; n++;
        snprintf(f[n].name, sizeof f[n].name, "u_%s", PN[i]); f[n].d = NULL; f[n].i = &s->used[i]; n++;
    }
    for (int k = 0; k < NK; k++) {
        const char *kn = K_NAME[k];
#define KD(pre, arr) (snprintf(f[n].name, sizeof f[n].name, "%s_%s", pre, kn), f[n].d = &s->arr[k], f[n].i = NULL, n++)
#define KI(pre, arr) (snprintf(f[n].name, sizeof f[n].name, "%s_%s", pre, kn), f[n].d = NULL, f[n].i = &s->arr[k], n++)
        KI("outc", outc); KI("win_alarm", win_alarm); KI("cpk_alarm", cpk_al);
        KD("n", cap_n); KD("mean", cap_mean); KD("s", cap_s); KD("sw", cap_sw); KD("cp", cap_cp);
        KD("cpk", cap_cpk); KD("pp", cap_pp); KD("ppk", cap_ppk); KD("out", cap_out);
#undef KD
#undef KI
    }
#undef FD
#undef FI
    return n;
}

/* Reads the state in one pass over its flat object (no search per field). */
static int load_state(const char *device, st_t *s) {
    memset(s, 0, sizeof *s);
    char key[160];
    snprintf(key, sizeof key, "m:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    static fld_t f[MAXF];
    int nf = state_fields(s, f);
    const char *p = strchr(r + 1, '{');
    if (p) p++;
    while (p && *p) {
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
                if (strlen(f[i].name) == kl && strncmp(f[i].name, k, kl) == 0) {
                    if (f[i].d) *f[i].d = v;
                    else *f[i].i = (int)v;
                    break;
                }
            p = e;
        } else {
            p = skip_value(p);
        }
    }
    free(r);
    return s->last > 0;
}

static int put(char *buf, int cap, int w, const char *name, double v) {
    if (w + 80 >= cap) return w;
    buf[w++] = ',';
    buf[w++] = '"';
    size_t l = strlen(name);
    memcpy(buf + w, name, l);
    w += (int)l;
    buf[w++] = '"';
    buf[w++] = ':';
    w += fmt_num(buf + w, v);
    buf[w] = 0;
    return w;
}

/* Results of a shift's sums. */
typedef struct {
    double good, scrap, shots_h, good_h, ct_mean, ct_sd, loss_pct, lost_shots, perf;
} sres_t;

static void shift_results(const cfg_t *c, const sacc_t *a, double hours, sres_t *r) {
    memset(r, 0, sizeof *r);
    r->good = (a->shots - a->rej) * c->cavities;
    r->scrap = a->shots > 0 ? 100 * a->rej / a->shots : 0;
    r->shots_h = hours > 0 ? a->shots / hours : 0;
    r->good_h = hours > 0 ? r->good / hours : 0;
    if (a->ctn > 0) {
        r->ct_mean = a->ctsum / a->ctn;
        if (a->ctn > 1) {
            double var = (a->ctsq - a->ctsum * a->ctsum / a->ctn) / (a->ctn - 1);
            r->ct_sd = var > 0 ? sqrt(var) : 0;
        }
        if (c->std_ct > 0) {
            r->loss_pct = 100 * a->loss / (a->ctn * c->std_ct);
            r->lost_shots = a->loss / c->std_ct;
            r->perf = 100 * c->std_ct * a->ctn / a->ctsum;
        }
    }
}

static void save_state(const cfg_t *c, const char *device, const st_t *s) {
    enum { CAP = 16384 };
    char *buf = malloc(CAP);
    if (!buf) return;
    int w = snprintf(buf, CAP, "{\"key\":\"m:%s\",\"value\":{\"device\":\"%s\"", device, device);
    static fld_t f[MAXF];
    int nf = state_fields((st_t *)s, f);
    for (int i = 0; i < nf; i++) {
        double v = f[i].d ? *f[i].d : (double)*f[i].i;
        if (v == 0 && strcmp(f[i].name, "last") != 0) continue; /* a missing field reads as 0 */
        w = put(buf, CAP, w, f[i].name, v);
    }
    /* What the panel shows for the running shift. */
    sres_t r;
    double hours = s->shift > 0 && s->last > s->shift ? (s->last - s->shift) / HOUR_MS : 0;
    shift_results(c, &s->sh, hours, &r);
#define W(k, v) w = put(buf, CAP, w, k, v)
    W("sh_hours", hours); W("sh_good", r.good); W("sh_scrap_pct", r.scrap);
    W("sh_shots_h", r.shots_h); W("sh_good_h", r.good_h); W("sh_ct_mean", r.ct_mean);
    W("sh_ct_sd", r.ct_sd); W("sh_loss_pct", r.loss_pct); W("sh_lost_shots", r.lost_shots);
    W("sh_perf_pct", r.perf);
    W("tot_good", (s->tot_shots - s->tot_rej) * c->cavities);
    W("tot_scrap_pct", s->tot_shots > 0 ? 100 * s->tot_rej / s->tot_shots : 0);
#undef W
    snprintf(buf + w, CAP - w, "}}");
    free(il_call("kv.set", buf));
    free(buf);
}

/* ------------------------------------------------------------------ time */

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void civil(long z, int *y, int *m, int *d) {
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

/* "YYYY-MM-DD HH:MM" of a UTC time in local time. */
static void label(const cfg_t *c, double t, char *out, size_t cap) {
    double local = t + c->offset_h * HOUR_MS;
    double day = floor(local / DAY_MS);
    int y, m, d;
    civil((long)day, &y, &m, &d);
    int mins = (int)floor((local - day * DAY_MS) / 60000 + 0.5);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, mins / 60, mins % 60);
}

static double local_hour(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / HOUR_MS); }

/* Start (UTC ms) of the shift that holds t. */
static double shift_start(const cfg_t *c, double t) {
    double off = c->offset_h * HOUR_MS;
    double local = t + off;
    double day = floor(local / DAY_MS);
    double mins = (local - day * DAY_MS) / 60000;
    int idx = -1;
    for (int i = 0; i < c->nstarts; i++)
        if (c->starts[i] <= mins) idx = i;
    if (idx < 0) { day -= 1; idx = c->nstarts - 1; }
    return day * DAY_MS + c->starts[idx] * 60000 - off;
}

/* End (UTC ms) of the shift starting at `start`. */
static double shift_end(const cfg_t *c, double start) {
    double off = c->offset_h * HOUR_MS;
    double local = start + off;
    double day = floor(local / DAY_MS);
    double mins = (local - day * DAY_MS) / 60000;
    for (int i = 0; i < c->nstarts; i++)
        if (c->starts[i] > mins + 1e-6) return day * DAY_MS + c->starts[i] * 60000 - off;
    return (day + 1) * DAY_MS + c->starts[0] * 60000 - off;
}

/* ------------------------------------------------------------------ alarms, writes */

static void alarm(const char *device, int raise, const char *type, const char *severity, const char *details) {
    char req[1200];
    if (raise)
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"details\":%s}",
                 device, type, severity, details);
    else
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", device, type);
    char *r = il_call(raise ? "alarm.raise" : "alarm.clear", req);
    if (!il_ok(r)) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s: alarm %s %s failed: %.200s", device, type, raise ? "raise" : "clear",
                 r ? r : "no reply");
        il_warn(msg);
    }
    free(r);
}

static void write_values(const char *device, st_t *s, double ts, const char *names[], const double *vals, int n) {
    char req[1600];
    int w = snprintf(req, sizeof req, "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{", device, ts);
    for (int i = 0; i < n && w < (int)sizeof req - 120; i++) {
        w += snprintf(req + w, sizeof req - w, "%s\"%s\":", i ? "," : "", names[i]);
        w += fmt_num(req + w, vals[i]);
    }
    snprintf(req + w, sizeof req - w, "}}");
    char *rep = il_call("write", req);
    if (!il_ok(rep) || !strstr(rep, "\"refused\":[]")) {
        if (!s->refused) {
            char msg[700];
            snprintf(msg, sizeof msg,
                     "%s: derived telemetry not (fully) stored (declare shots_per_hour, good_parts_per_hour, "
                     "scrap_pct, cycle_time_mean and cpk_<property> as float in the thing model, or set "
                     "write_telemetry false): %.300s", device, rep ? rep : "no reply");
            il_warn(msg);
        }
        s->refused = 1;
    } else {
        s->refused = 0;
    }
    free(rep);
}

/* ------------------------------------------------------------------ periods */

static void close_hour(const cfg_t *c, const char *device, st_t *s) {
    if (s->hr_shots > 0 || s->hr_setup > 0) {
        double end = (s->hour + 1) * HOUR_MS - c->offset_h * HOUR_MS;
        char lab[24], rec[400];
        label(c, end - HOUR_MS, lab, sizeof lab);
        double good = (s->hr_shots - s->hr_rej) * c->cavities;
        double ctm = s->hr_ctn > 0 ? s->hr_ctsum / s->hr_ctn : 0;
        double scrap = s->hr_shots > 0 ? 100 * s->hr_rej / s->hr_shots : 0;
        char a[32], b[32], d[32];
        fmt_num(a, scrap); fmt_num(b, ctm); fmt_num(d, good);
        snprintf(rec, sizeof rec,
                 "{\"hour\":\"%s\",\"end\":%.0f,\"shots\":%.0f,\"setup\":%.0f,\"rejects\":%.0f,"
                 "\"good_parts\":%s,\"scrap_pct\":%s,\"ct_mean\":%s}",
                 lab, end, s->hr_shots, s->hr_setup, s->hr_rej, d, a, b);
        char key[160];
        snprintf(key, sizeof key, "h:%s", device);
        il_kv_push(key, rec, c->keep_hours);
        if (c->write && s->hr_shots > 0) {
            const char *names[4 + NK];
            double vals[4 + NK];
            char cpkn[NK][80];
            int n = 0;
            names[n] = "shots_per_hour"; vals[n++] = s->hr_shots;
            names[n] = "good_parts_per_hour"; vals[n++] = good;
            names[n] = "scrap_pct"; vals[n++] = scrap;
            if (s->hr_ctn > 0) { names[n] = "cycle_time_mean"; vals[n++] = ctm; }
            for (int k = 0; k < NK; k++)
                if (c->has_spec[k] && s->cap_n[k] > 0 && s->cap_cpk[k] != 0) {
                    snprintf(cpkn[k], sizeof cpkn[k], "cpk_%s", c->prop[k]);
                    names[n] = cpkn[k]; vals[n++] = s->cap_cpk[k];
                }
            write_values(device, s, end, names, vals, n);
        }
    }
    s->hr_shots = s->hr_rej = s->hr_ctn = s->hr_ctsum = s->hr_setup = 0;
}

static void close_shift(const cfg_t *c, const char *device, st_t *s) {
    sacc_t *a = &s->sh;
    if (a->shots > 0 || a->setup > 0) {
        double end = shift_end(c, s->shift);
        sres_t r;
        shift_results(c, a, (end - s->shift) / HOUR_MS, &r);
        char lab[24], rec[1200];
        label(c, s->shift, lab, sizeof lab);
        char v[16][32];
        fmt_num(v[0], r.good); fmt_num(v[1], r.scrap); fmt_num(v[2], r.shots_h); fmt_num(v[3], r.good_h);
        fmt_num(v[4], r.ct_mean); fmt_num(v[5], r.ct_sd); fmt_num(v[6], a->ctn > 0 ? a->ctmin : 0);
        fmt_num(v[7], a->ctmax); fmt_num(v[8], a->loss); fmt_num(v[9], r.loss_pct);
        fmt_num(v[10], r.lost_shots); fmt_num(v[11], r.perf); fmt_num(v[12], a->longs);
        fmt_num(v[13], (end - s->shift) / HOUR_MS);
        snprintf(rec, sizeof rec,
                 "{\"shift\":\"%s\",\"start\":%.0f,\"end\":%.0f,\"hours\":%s,\"shots\":%.0f,\"setup\":%.0f,"
                 "\"rejects\":%.0f,\"good_parts\":%s,\"scrap_pct\":%s,\"shots_h\":%s,\"good_h\":%s,"
                 "\"ct_n\":%.0f,\"ct_mean\":%s,\"ct_sd\":%s,\"ct_min\":%s,\"ct_max\":%s,\"ct_std\":%g,"
                 "\"loss_s\":%s,\"loss_pct\":%s,\"lost_shots\":%s,\"perf_pct\":%s,\"long_n\":%.0f,"
                 "\"long_s\":%s,\"no_data_shots\":%.0f}",
                 lab, s->shift, end, v[13], a->shots, a->setup, a->rej, v[0], v[1], v[2], v[3], a->ctn,
                 v[4], v[5], v[6], v[7], c->std_ct, v[8], v[9], v[10], v[11], a->longn, v[12], a->multi);
        char key[160];
        snprintf(key, sizeof key, "s:%s", device);
        il_kv_push(key, rec, c->keep_shifts);
        printf("%s: shift %s closed: %.0f shots, %.0f rejects (%.2f %%), %.1f shots/h, mean cycle %.2f s\n",
               device, lab, a->shots, a->rej, r.scrap, r.shots_h, r.ct_mean);
    }
    memset(a, 0, sizeof *a);
}

static void roll(const cfg_t *c, const char *device, st_t *s, double ts) {
    double sh = shift_start(c, ts);
    double hr = local_hour(c, ts);
    if (hr != s->hour) { close_hour(c, device, s); s->hour = hr; }
    if (sh != s->shift) { close_shift(c, device, s); s->shift = sh; }
}

/* ------------------------------------------------------------------ capability */

typedef struct {
    double x[NK][MAXBUF];
    int n[NK];
    int dirty;
} buf_t;

static void load_buf(const cfg_t *c, const char *device, buf_t *b) {
    memset(b->n, 0, sizeof b->n);
    b->dirty = 0;
    char key[160];
    snprintf(key, sizeof key, "b:%s", device);
    char *r = il_kv_get(key);
    if (!r) return;
    for (int k = 0; k < NK; k++) {
        if (!c->has_spec[k]) continue;
        const char *p = array_after(r, K_NAME[k]);
        int n = 0;
        static double tmp[4 * MAXBUF];
        while (p && *p && *p != ']' && n < 4 * MAXBUF) {
            p = ws(p);
            if (*p == ',') { p++; continue; }
            char *e;
            double v = parse_num(p, &e);
            if (e == p) break;
            tmp[n++] = v;
            p = e;
        }
        int from = n > c->cap_window ? n - c->cap_window : 0;
        for (int i = from; i < n; i++) b->x[k][b->n[k]++] = tmp[i];
        if (from > 0) b->dirty = 1;
    }
    free(r);
}

static void push_buf(const cfg_t *c, buf_t *b, int k, double v) {
    if (b->n[k] >= c->cap_window) {
        memmove(b->x[k], b->x[k] + 1, sizeof(double) * (size_t)(b->n[k] - 1));
        b->n[k]--;
    }
    b->x[k][b->n[k]++] = v;
    b->dirty = 1;
}

static void save_buf(const cfg_t *c, const char *device, const buf_t *b) {
    enum { CAP = 65000 };
    char *out = malloc(CAP);
    if (!out) return;
    int w = snprintf(out, CAP, "{\"key\":\"b:%s\",\"value\":{", device);
    int first = 1;
    for (int k = 0; k < NK; k++) {
        if (!c->has_spec[k]) continue;
        w += snprintf(out + w, CAP - w, "%s\"%s\":[", first ? "" : ",", K_NAME[k]);
        first = 0;
        for (int i = 0; i < b->n[k] && w < CAP - 64; i++) {
            if (i) out[w++] = ',';
            w += fmt_num(out + w, b->x[k][i]);
        }
        out[w++] = ']';
        out[w] = 0;
    }
    snprintf(out + w, CAP - w, "}}");
    free(il_call("kv.set", out));
    free(out);
}

/* Cp, Cpk (within: moving range or subgroup ranges), Pp, Ppk (overall) of parameter k. */
static void capability(const cfg_t *c, st_t *s, const buf_t *b, int k) {
    const double *x = b->x[k];
    int n = b->n[k];
    int g = c->subgroup;
    int used = g > 1 ? (n / g) * g : n; /* complete subgroups, from the oldest value */
    s->cap_n[k] = used;
    s->cap_mean[k] = s->cap_s[k] = s->cap_sw[k] = 0;
    s->cap_cp[k] = s->cap_cpk[k] = s->cap_pp[k] = s->cap_ppk[k] = s->cap_out[k] = 0;
    if (used < 2 || used < c->min_shots) return;
    double sum = 0;
    for (int i = 0; i < used; i++) sum += x[i];
    double mean = sum / used, ss = 0;
    for (int i = 0; i < used; i++) ss += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(ss / (used - 1));
    double sw;
    if (g == 1) {
        double mr = 0;
        for (int i = 1; i < used; i++) mr += fabs(x[i] - x[i - 1]);
        sw = mr / (used - 1) / D2[2];
    } else {
        double rs = 0;
        for (int j = 0; j < used / g; j++) {
            double lo = x[j * g], hi = x[j * g];
            for (int i = 1; i < g; i++) {
                double v = x[j * g + i];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            rs += hi - lo;
        }
        sw = rs / (used / g) / D2[g];
    }
    int out = 0;
    for (int i = 0; i < used; i++)
        if ((!isnan(c->lsl[k]) && x[i] < c->lsl[k]) || (!isnan(c->usl[k]) && x[i] > c->usl[k])) out++;
    s->cap_mean[k] = mean; s->cap_s[k] = sd; s->cap_sw[k] = sw; s->cap_out[k] = out;
    double lsl = c->lsl[k], usl = c->usl[k];
    if (sw > 0) {
        double cpu = !isnan(usl) ? (usl - mean) / (3 * sw) : INFINITY;
        double cpl = !isnan(lsl) ? (mean - lsl) / (3 * sw) : INFINITY;
        s->cap_cpk[k] = fmin(cpu, cpl);
        if (!isnan(usl) && !isnan(lsl)) s->cap_cp[k] = (usl - lsl) / (6 * sw);
    }
    if (sd > 0) {
        double ppu = !isnan(usl) ? (usl - mean) / (3 * sd) : INFINITY;
        double ppl = !isnan(lsl) ? (mean - lsl) / (3 * sd) : INFINITY;
        s->cap_ppk[k] = fmin(ppu, ppl);
        if (!isnan(usl) && !isnan(lsl)) s->cap_pp[k] = (usl - lsl) / (6 * sd);
    }
}

static void check_cpk(const cfg_t *c, const char *device, st_t *s, int k) {
    if (c->cpk_alarm <= 0) return;
    int judged = s->cap_n[k] >= c->min_shots && (s->cap_sw[k] > 0);
    int low = judged && s->cap_cpk[k] < c->cpk_alarm;
    char type[64];
    snprintf(type, sizeof type, "moulding_low_cpk_%s", K_NAME[k]);
    if (low && !s->cpk_al[k]) {
        char d[600], m[32], sd[32], cpk[32], cp[32];
        fmt_num(m, s->cap_mean[k]); fmt_num(sd, s->cap_sw[k]); fmt_num(cpk, s->cap_cpk[k]);
        fmt_num(cp, s->cap_cp[k]);
        snprintf(d, sizeof d,
                 "{\"property\":\"%s\",\"cpk\":%s,\"cp\":%s,\"mean\":%s,\"sigma_within\":%s,\"shots\":%.0f,"
                 "\"limit\":%g,\"method\":\"Montgomery ISQC 6th ed. 8.3\"}",
                 c->prop[k], cpk, cp, m, sd, s->cap_n[k], c->cpk_alarm);
        alarm(device, 1, type, "warning", d);
        printf("%s: %s raised (Cpk %.3f < %g over %.0f shots)\n", device, type, s->cap_cpk[k], c->cpk_alarm, s->cap_n[k]);
        s->cpk_al[k] = 1;
    } else if (judged && !low && s->cpk_al[k]) {
        alarm(device, 0, type, "", "");
        printf("%s: %s cleared (Cpk %.3f)\n", device, type, s->cap_cpk[k]);
        s->cpk_al[k] = 0;
    }
}

/* ------------------------------------------------------------------ shots */

static int fresh(const cfg_t *c, const st_t *s, int p, double ts) {
    if (!c->prop[p][0] || s->vts[p] <= 0 || ts - s->vts[p] > c->max_gap_ms || s->vts[p] > ts) return 0;
    return PER_SHOT[p] ? !s->used[p] : 1;
}

static void do_shot(const cfg_t *c, const char *device, st_t *s, buf_t *b, double ts, double n) {
    int prod = 1;
    if (c->nstates > 0 && c->prop[X_STATE][0] && s->vts[X_STATE] > 0 && ts - s->vts[X_STATE] <= c->max_gap_ms) {
        prod = 0;
        for (int i = 0; i < c->nstates; i++)
            if (fabs(s->v[X_STATE] - c->states[i]) < 0.5) prod = 1;
    }
    if (!prod) {
        s->sh.setup += n; s->hr_setup += n; s->tot_setup += n;
        for (int p = 0; p < NPROP; p++) if (PER_SHOT[p]) s->used[p] = 1;
        printf("%s: %.0f shot(s) in state %g (not production): set-up shots\n", device, n, s->v[X_STATE]);
        return;
    }
    s->sh.shots += n; s->hr_shots += n; s->tot_shots += n;
    if (n > 1) {
        s->sh.multi += n - 1;
        printf("%s: %.0f shots in one message: the values belong to the last one\n", device, n);
    }
    if (s->sh.first <= 0) s->sh.first = ts;
    s->sh.lastshot = ts;
    if (fresh(c, s, X_REJECT, ts)) {
        if (s->v[X_REJECT] != 0) { s->sh.rej += 1; s->hr_rej += 1; s->tot_rej += 1; }
        s->used[X_REJECT] = 1;
    }
    for (int k = 0; k < NK; k++) {
        if (!fresh(c, s, k, ts)) continue;
        double x = s->v[k];
        if (PER_SHOT[k]) s->used[k] = 1;
        if (k == K_CYCLE) {
            if (x <= 0) {
                printf("%s: cycle time %g is not positive, ignored\n", device, x);
                continue;
            }
            if (c->std_ct > 0 && c->long_factor > 0 && x > c->long_factor * c->std_ct) {
                s->sh.longn += 1; s->sh.longs += x;
                printf("%s: cycle %.2f s longer than %g x the standard: an interruption, not in the statistics\n",
                       device, x, c->long_factor);
            } else {
                s->sh.ctn += 1; s->sh.ctsum += x; s->sh.ctsq += x * x;
                if (s->sh.ctn == 1 || x < s->sh.ctmin) s->sh.ctmin = x;
                if (x > s->sh.ctmax) s->sh.ctmax = x;
                if (c->std_ct > 0) s->sh.loss += x - c->std_ct;
                s->hr_ctn += 1; s->hr_ctsum += x;
            }
        }
        if (c->has_win[k]) {
            int out = (!isnan(c->lo[k]) && x < c->lo[k]) || (!isnan(c->hi[k]) && x > c->hi[k]);
            char type[64];
            snprintf(type, sizeof type, "moulding_out_of_window_%s", K_NAME[k]);
            if (out) {
                s->outc[k]++;
                if (s->outc[k] >= c->win_shots && !s->win_alarm[k]) {
                    char d[500], xv[32], lo[32], hi[32];
                    fmt_num(xv, x);
                    if (isnan(c->lo[k])) strcpy(lo, "null"); else fmt_num(lo, c->lo[k]);
                    if (isnan(c->hi[k])) strcpy(hi, "null"); else fmt_num(hi, c->hi[k]);
                    snprintf(d, sizeof d,
                             "{\"property\":\"%s\",\"value\":%s,\"low\":%s,\"high\":%s,\"shots\":%d,"
                             "\"shot_count\":%.0f}",
                             c->prop[k], xv, lo, hi, s->outc[k], s->cnt);
                    alarm(device, 1, type, "major", d);
                    printf("%s: %s raised (%s %g outside %s..%s for %d shots)\n", device, type, c->prop[k], x, lo, hi,
                           s->outc[k]);
                    s->win_alarm[k] = 1;
                }
            } else {
                s->outc[k] = 0;
                if (s->win_alarm[k]) {
                    alarm(device, 0, type, "", "");
                    printf("%s: %s cleared (%s %g back inside)\n", device, type, c->prop[k], x);
                    s->win_alarm[k] = 0;
                }
            }
        }
        if (c->has_spec[k]) push_buf(c, b, k, x);
    }
}

/* ------------------------------------------------------------------ telemetry */

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    static pt_t pts[MAXPTS];
    int dropped = 0;
    int n = read_points(c, event, pts, MAXPTS, &dropped);
    if (dropped) printf("%s: %d points beyond the first %d of one message ignored\n", device, dropped, MAXPTS);
    if (n == 0) return 0;
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);

    st_t s;
    int known = load_state(device, &s);
    static buf_t b;
    int any_spec = 0;
    for (int k = 0; k < NK; k++) any_spec |= c->has_spec[k];
    if (any_spec) load_buf(c, device, &b);
    else memset(b.n, 0, sizeof b.n), b.dirty = 0;
    int changed = 0, old_warned = 0;
    for (int i = 0; i < n;) {
        double ts = pts[i].ts;
        int j = i;
        while (j < n && pts[j].ts == ts) j++;
        if (known && ts < s.last) {
            if (!old_warned)
                printf("%s: reading at %.0f older than the last one (%.0f), ignored\n", device, ts, s.last);
            old_warned = 1;
            i = j;
            continue;
        }
        if (!known) {
            s.shift = shift_start(c, ts);
            s.hour = local_hour(c, ts);
            known = 1;
        } else {
            roll(c, device, &s, ts);
        }
        double count = 0;
        int has_count = 0, has_cycle = 0;
        for (int q = i; q < j; q++) {
            int p = pts[q].prop;
            if (!pts[q].ok) {
                printf("%s: %s is not a number, ignored\n", device, c->prop[p]);
                continue;
            }
            if (p == X_SHOT) { count = pts[q].v; has_count = 1; continue; }
            s.v[p] = pts[q].v;
            s.vts[p] = ts;
            s.used[p] = 0;
            if (p == K_CYCLE) has_cycle = 1;
        }
        double shots = 0;
        if (c->prop[X_SHOT][0]) {
            if (has_count) {
                if (!s.cnt_known) {
                    printf("%s: shot counter %.0f taken as the starting point\n", device, count);
                    s.cnt_known = 1;
                } else if (count < s.cnt) {
                    shots = count > 0 ? floor(count) : 0;
                    printf("%s: shot counter went back from %.0f to %.0f (reset): %.0f shot(s) counted\n", device,
                           s.cnt, count, shots);
                } else {
                    shots = floor(count) - floor(s.cnt);
                }
                s.cnt = count;
                s.v[X_SHOT] = count;
                s.vts[X_SHOT] = ts;
            }
        } else if (has_cycle) {
            shots = 1;
        }
        if (shots > 0) do_shot(c, device, &s, &b, ts, shots);
        s.last = ts;
        changed = 1;
        i = j;
    }
    if (!changed) return 0;
    if (b.dirty) {
        for (int k = 0; k < NK; k++) {
            if (!c->has_spec[k]) continue;
            capability(c, &s, &b, k);
            check_cpk(c, device, &s, k);
        }
        save_buf(c, device, &b);
    }
    save_state(c, device, &s);
    printf("%s: shift %.0f shots, %.0f rejects, cycle %.2f s", device, s.sh.shots, s.sh.rej,
           s.sh.ctn > 0 ? s.sh.ctsum / s.sh.ctn : 0);
    for (int k = 0; k < NK; k++)
        if (c->has_spec[k] && s.cap_cpk[k] != 0)
            printf("; %s Cp %.3f Cpk %.3f (n %.0f)", c->prop[k], s.cap_cp[k], s.cap_cpk[k], s.cap_n[k]);
    printf("\n");
    return 0;
}

/* A manual run {"kind": "manual", "reset": "<device>"} starts the device's capability anew
 * (after a mould change or a new process setting) and clears its Cpk alarms. */
static int on_manual(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "reset", device, sizeof device) || !device[0]) {
        for (int k = 0; k < NK; k++)
            if (c->has_spec[k])
                printf("%s: specification %g..%g, window %g..%g\n", c->prop[k], c->lsl[k], c->usl[k], c->lo[k], c->hi[k]);
        printf("capability over the last %d shots, subgroups of %d, Cpk alarm below %g\n", c->cap_window,
               c->subgroup, c->cpk_alarm);
        return 0;
    }
    char req[256];
    snprintf(req, sizeof req, "{\"key\":\"b:%s\"}", device);
    free(il_call("kv.delete", req));
    st_t s;
    if (load_state(device, &s)) {
        for (int k = 0; k < NK; k++) {
            if (s.cpk_al[k]) {
                char type[64];
                snprintf(type, sizeof type, "moulding_low_cpk_%s", K_NAME[k]);
                alarm(device, 0, type, "", "");
                s.cpk_al[k] = 0;
            }
            s.cap_n[k] = s.cap_mean[k] = s.cap_s[k] = s.cap_sw[k] = s.cap_cp[k] = s.cap_cpk[k] = 0;
            s.cap_pp[k] = s.cap_ppk[k] = s.cap_out[k] = 0;
        }
        save_state(c, device, &s);
    }
    printf("%s: capability reset\n", device);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "manual") == 0) return on_manual(&c, event);
    return 0;
}
