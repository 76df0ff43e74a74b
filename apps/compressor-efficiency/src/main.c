/* Compressed-air specific power, load/unload duty and pressure band of screw compressors.
 *
 * On every telemetry message of a compressor (state, input power, discharge pressure, free
 * air delivery, discharge temperature, running and load hours; every name configurable):
 *   - the time since the previous reading is credited to the state of that reading
 *     (off / unloaded / loaded; held at most max_gap_s, the rest is "no data"), with the
 *     energy of the held input power (kWh) and the air delivered (m³, from the measured FAD,
 *     or the rated FAD while loaded when the compressor reports none);
 *   - sums are kept per local clock hour, per local day and since installation;
 *   - at the end of each hour (the first reading after it):
 *       specific power, loaded   SP  = E_loaded / V × 60        kW/(m³/min)
 *       specific power, system   SPs = (E_loaded + E_unloaded) / V × 60
 *     (ISO 1217:2009 Annex C: package input power / actual volume flow rate, the quantity
 *     CAGI data sheets give as kW/100 cfm) is compared with the data-sheet value, moved to
 *     the hour's mean loaded pressure by pct_per_bar; above it by more than the margin
 *     (default: the ISO 1217 Annex C tolerance on specific energy for the compressor's
 *     size) for alarm_hours evaluated hours in a row -> `compressor_specific_power_high`;
 *   - the unloaded energy share E_unl / (E_unl + E_load) of an hour at or above
 *     unloaded_alarm_pct, or a continuous unloaded run of unloaded_max_min, raises
 *     `compressor_unloaded_waste`;
 *   - the pressure band (min/max while running, time-weighted mean while loaded) against
 *     the required pressure: energy share of the excess by pct_per_bar (US DOE/CAC rule
 *     of about 1 % per 2 psi) and by the adiabatic work formula.
 *
 * State (crash-only: everything is in the installation's key-value state):
 *   "c:<device>"  last values, the hour's, day's and total sums, alarm flags, last hour
 *   "h:<device>"  closed hours (keep_hours), "d:<device>" closed days (keep_days)
 */
#include "ironloom.h"
#include <math.h>

#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define M3MIN_PER_100CFM 2.8316846592 /* 100 ft³/min in m³/min */
#define MAXPTS 600

enum { S_OFF = 0, S_UNL = 1, S_LOAD = 2, S_ND = 3, NS = 4 };
static const char *STATE_NAME[] = {"off", "unloaded", "loaded", "no data"};
enum { P_STATE, P_POWER, P_PRESS, P_FAD, P_TEMP, P_RUNH, P_LOADH, NP };
static const char *PROP_KEY[NP] = {"state_property", "power_property", "pressure_property",
                                   "fad_property", "temp_property", "running_hours_property",
                                   "load_hours_property"};
static const char *PROP_DEFAULT[NP] = {"state", "power", "pressure", "fad", "discharge_temp",
                                       "running_hours", "load_hours"};
static const char *VAL_KEY[NP] = {"state", "power", "pressure", "fad", "temp", "runh", "loadh"};

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

/* ------------------------------------------------------------------ config */

typedef struct {
    char prop[NP][72];
    char currency[16];
    double st_off, st_unl, st_load, loaded_min_kw, running_min_kw;
    double power_k, press_k, fad_k;
    double ds_sp, ds_sp_raw, ds_press, rated_fad, margin, tol;
    int ds_cfm, correct_p, margin_auto;
    double req_p, pct_bar, stages, p_amb;
    double min_loaded_s, unl_pct, unl_max_ms;
    int alarm_hours;
    double tariff, hours_year, max_gap_ms, offset_h;
    int keep_hours, keep_days, write;
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

/* ISO 1217:2009 Annex C tolerance on specific energy requirement (%), by volume flow rate
 * at the specified conditions (m³/min), as reprinted on CAGI data sheets. */
static double iso1217_tolerance(double q) {
    if (q <= 0.5) return 8;
    if (q <= 1.5) return 7;
    if (q <= 15) return 6;
    return 5;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < NP; i++) strcpy(c->prop[i], PROP_DEFAULT[i]);
    strcpy(c->currency, "CNY");
    c->st_off = 0; c->st_unl = 1; c->st_load = 2;
    c->running_min_kw = 1;
    c->power_k = 1; c->press_k = 1; c->fad_k = 1;
    c->ds_press = 7; c->correct_p = 1;
    c->pct_bar = 7; c->stages = 1; c->p_amb = 1.01325;
    double min_loaded_min = 10, unl_max_min = 30, alarm_hours = 2, gap_s = 300;
    double keep_h = 48, keep_d = 31;
    char unit[32] = "kW/(m3/min)";
    c->unl_pct = 20; c->tariff = 0.7; c->hours_year = 8760; c->offset_h = 8;
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        for (int i = 0; i < NP; i++) il_json_string(cfg, PROP_KEY[i], c->prop[i], sizeof c->prop[i]);
        il_json_string(cfg, "currency", c->currency, sizeof c->currency);
        il_json_string(cfg, "datasheet_unit", unit, sizeof unit);
        cfg_num(cfg, "state_off", &c->st_off);
        cfg_num(cfg, "state_unloaded", &c->st_unl);
        cfg_num(cfg, "state_loaded", &c->st_load);
        cfg_num(cfg, "loaded_min_kw", &c->loaded_min_kw);
        cfg_num(cfg, "running_min_kw", &c->running_min_kw);
        cfg_num(cfg, "power_to_kw", &c->power_k);
        cfg_num(cfg, "pressure_to_bar", &c->press_k);
        cfg_num(cfg, "fad_to_m3min", &c->fad_k);
        cfg_num(cfg, "datasheet_specific_power", &c->ds_sp_raw);
        cfg_num(cfg, "datasheet_pressure_bar", &c->ds_press);
        cfg_num(cfg, "rated_fad_m3min", &c->rated_fad);
        cfg_num(cfg, "margin_pct", &c->margin);
        cfg_num(cfg, "required_pressure_bar", &c->req_p);
        cfg_num(cfg, "pct_per_bar", &c->pct_bar);
        cfg_num(cfg, "stages", &c->stages);
        cfg_num(cfg, "ambient_pressure_bar", &c->p_amb);
        cfg_num(cfg, "min_loaded_min", &min_loaded_min);
        cfg_num(cfg, "alarm_hours", &alarm_hours);
        cfg_num(cfg, "unloaded_alarm_pct", &c->unl_pct);
        cfg_num(cfg, "unloaded_max_min", &unl_max_min);
        cfg_num(cfg, "tariff", &c->tariff);
        cfg_num(cfg, "hours_per_year", &c->hours_year);
        cfg_num(cfg, "max_gap_s", &gap_s);
        cfg_num(cfg, "utc_offset_h", &c->offset_h);
        cfg_num(cfg, "keep_hours", &keep_h);
        cfg_num(cfg, "keep_days", &keep_d);
        c->correct_p = json_bool(cfg, "correct_for_pressure", 1);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->ds_cfm = strstr(unit, "cfm") != NULL;
    c->ds_sp = c->ds_cfm ? c->ds_sp_raw / M3MIN_PER_100CFM : c->ds_sp_raw;
    if (c->power_k <= 0) c->power_k = 1;
    if (c->press_k <= 0) c->press_k = 1;
    if (c->fad_k <= 0) c->fad_k = 1;
    if (c->stages < 1) c->stages = 1;
    if (c->p_amb <= 0) c->p_amb = 1.01325;
    c->margin_auto = c->margin <= 0;
    c->tol = c->rated_fad > 0 ? iso1217_tolerance(c->rated_fad) : 0;
    c->min_loaded_s = min_loaded_min * 60;
    c->unl_max_ms = unl_max_min * 60000.0;
    c->alarm_hours = alarm_hours < 1 ? 1 : (int)alarm_hours;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_hours = keep_h < 1 ? 1 : keep_h > 240 ? 240 : (int)keep_h;
    c->keep_days = keep_d < 1 ? 1 : keep_d > 366 ? 366 : (int)keep_d;
}

/* ------------------------------------------------------------------ event points */

typedef struct {
    int prop;     /* index into cfg.prop */
    double ts;
    double v;
    int ok;       /* 1 number, 0 not a number */
    int seq;
} pt_t;

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

/* Reads the event's points once (no search per point): the ones whose property is
 * configured, in time order. Returns how many; *bad counts points whose value is no number. */
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
                ts = strtod(p, &e);
                p = skip_value(e);
            } else if (kl == 5 && strncmp(k, "value", 5) == 0) {
                has_v = 1;
                if (strncmp(p, "true", 4) == 0) { v = 1; ok = 1; }
                else if (strncmp(p, "false", 5) == 0) { v = 0; ok = 1; }
                else if (*p == '-' || (*p >= '0' && *p <= '9')) {
                    char *e;
                    v = strtod(p, &e);
                    ok = e != p && isfinite(v);
                }
                p = skip_value(p);
            } else {
                p = skip_value(p);
            }
        }
        if (!prop[0] || !has_v || ts <= 0) continue;
        int idx = -1;
        for (int i = 0; i < NP; i++)
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

/* ------------------------------------------------------------------ sums */

typedef struct {
    double t[NS];        /* s per state */
    double e[3];         /* kWh per state (power known) */
    double tpw[3];       /* s per state with power known */
    double air;          /* m³ delivered (measured, or rated FAD while loaded) */
    double air_est;      /* of which estimated from the rated FAD */
    double esp, airsp, tsp; /* loaded, both power and flow known: kWh, m³, s */
    double pt, pts;      /* bar·s and s of pressure while loaded */
    double pmin, pmax;   /* pressure readings while running (0: none) */
    double tmax;         /* highest discharge temperature reading */
} acc_t;

#define NACC 20
static const char *ACC_NAME[NACC] = {"toff", "tunl", "tload", "tnd", "eoff", "eunl", "eload",
                                     "pwoff", "pwunl", "pwload", "air", "airest", "esp", "airsp",
                                     "tsp", "pt", "pts", "pmin", "pmax", "tmax"};
static double *acc_field(acc_t *a, int i) {
    double *f[NACC] = {&a->t[0], &a->t[1], &a->t[2], &a->t[3], &a->e[0], &a->e[1], &a->e[2],
                       &a->tpw[0], &a->tpw[1], &a->tpw[2], &a->air, &a->air_est, &a->esp,
                       &a->airsp, &a->tsp, &a->pt, &a->pts, &a->pmin, &a->pmax, &a->tmax};
    return f[i];
}

/* Results of a period. */
typedef struct {
    double sp, sp_sys, ref, dev, tol, duty, run_duty, unl_share, unl_power_share;
    double p_mean, band, excess_rule, excess_ad, save_rule_kwh, save_ad_kwh;
    double e_total, e_run, cost, cost_unl;
    int evaluated;
} res_t;

static double adiabatic(const cfg_t *c, double p_bar_g) {
    double m = 0.4 / 1.4; /* (k-1)/k for air, k = 1.4 */
    double r = (p_bar_g + c->p_amb) / c->p_amb;
    return c->stages * (pow(r, m / c->stages) - 1);
}

static void results(const cfg_t *c, const acc_t *a, res_t *r) {
    memset(r, 0, sizeof *r);
    r->sp = a->airsp > 0 ? a->esp / a->airsp * 60 : 0;
    r->sp_sys = a->airsp > 0 ? (a->esp + a->e[S_UNL]) / a->airsp * 60 : 0;
    double run = a->t[S_UNL] + a->t[S_LOAD];
    double obs = run + a->t[S_OFF];
    r->run_duty = run > 0 ? 100 * a->t[S_LOAD] / run : 0;
    r->duty = obs > 0 ? 100 * a->t[S_LOAD] / obs : 0;
    r->e_run = a->e[S_UNL] + a->e[S_LOAD];
    r->e_total = r->e_run + a->e[S_OFF];
    r->unl_share = r->e_run > 0 ? 100 * a->e[S_UNL] / r->e_run : 0;
    double pu = a->tpw[S_UNL] > 0 ? a->e[S_UNL] / a->tpw[S_UNL] : 0;
    double pl = a->tpw[S_LOAD] > 0 ? a->e[S_LOAD] / a->tpw[S_LOAD] : 0;
    r->unl_power_share = pl > 0 ? 100 * pu / pl : 0;
    r->p_mean = a->pts > 0 ? a->pt / a->pts : 0;
    r->band = a->pmax > 0 ? a->pmax - a->pmin : 0;
    r->cost = r->e_total * c->tariff;
    r->cost_unl = a->e[S_UNL] * c->tariff;
    if (c->req_p > 0 && a->pts > 0 && r->p_mean > c->req_p) {
        double dp = r->p_mean - c->req_p;
        r->excess_rule = c->pct_bar * dp;
        double wr = adiabatic(c, c->req_p);
        r->excess_ad = wr > 0 ? 100 * (adiabatic(c, r->p_mean) / wr - 1) : 0;
        r->save_rule_kwh = a->e[S_LOAD] * (1 - 1 / (1 + r->excess_rule / 100));
        r->save_ad_kwh = a->e[S_LOAD] * (1 - 1 / (1 + r->excess_ad / 100));
    }
    if (c->ds_sp > 0 && r->sp > 0) {
        double ref = c->ds_sp;
        if (c->correct_p && c->ds_press > 0 && a->pts > 0)
            ref *= 1 + c->pct_bar / 100 * (r->p_mean - c->ds_press);
        r->ref = ref;
        r->dev = ref > 0 ? 100 * (r->sp / ref - 1) : 0;
        double q = a->tsp > 0 ? a->airsp / (a->tsp / 60) : 0;
        r->tol = c->margin_auto ? (c->rated_fad > 0 ? c->tol : iso1217_tolerance(q)) : c->margin;
    }
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last, first;
    double v[NP], vts[NP];
    int state;                 /* state of the last reading (-1 none) */
    double unl_since;          /* continuous unloaded run since (0: not) */
    double hour, day;          /* local hour and day numbers of the sums */
    acc_t h, d, tot;
    double runh0, runh1, loadh0, loadh1; /* today's first and last counter readings */
    int sp_bad, sp_alarm, unl_alarm, unl_hour, refused;
    double lh_end, lh_sp, lh_sp_sys, lh_ref, lh_dev, lh_tol, lh_unl, lh_duty, lh_p; /* last hour */
    int lh_eval;
} st_t;

static void acc_reset(acc_t *a) { memset(a, 0, sizeof *a); }

typedef struct {
    char name[24];
    double *d;
    int *i;
} fld_t;

#define MAXF 160
/* The state's stored fields, by name. */
static int state_fields(st_t *s, fld_t *f) {
    int n = 0;
#define FD(k, p) (strcpy(f[n].name, k), f[n].d = &(p), f[n].i = NULL, n++)
#define FI(k, p) (strcpy(f[n].name, k), f[n].d = NULL, f[n].i = &(p), n++)
    FD("last", s->last); FD("first", s->first); FI("state", s->state);
    FD("unl_since", s->unl_since); FD("hour", s->hour); FD("day", s->day);
    FD("runh0", s->runh0); FD("runh1", s->runh1); FD("loadh0", s->loadh0); FD("loadh1", s->loadh1);
    FI("sp_bad", s->sp_bad); FI("sp_alarm", s->sp_alarm); FI("unl_alarm", s->unl_alarm);
    FI("unl_hour", s->unl_hour); FI("refused", s->refused);
    FD("lh_end", s->lh_end); FD("lh_sp", s->lh_sp); FD("lh_sp_sys", s->lh_sp_sys);
    FD("lh_ref", s->lh_ref); FD("lh_dev", s->lh_dev); FD("lh_tol", s->lh_tol);
    FD("lh_unl", s->lh_unl); FD("lh_duty", s->lh_duty); FD("lh_p", s->lh_p); FI("lh_eval", s->lh_eval);
    for (int i = 0; i < NP; i++) {
        snprintf(f[n].name, sizeof f[n].name, "v_%s", VAL_KEY[i]);
        f[n].d = &s->v[i]; f[n].i = NULL; n++;
        snprintf(f[n].name, sizeof f[n].name, "ts_%s", VAL_KEY[i]);
        f[n].d = &s->vts[i]; f[n].i = NULL; n++;
    }
    acc_t *accs[3] = {&s->h, &s->d, &s->tot};
    const char *pre[3] = {"h_", "d_", "t_"};
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < NACC; i++) {
            snprintf(f[n].name, sizeof f[n].name, "%s%s", pre[a], ACC_NAME[i]);
            f[n].d = acc_field(accs[a], i); f[n].i = NULL; n++;
        }
#undef FD
#undef FI
    return n;
}

/* Reads the state in one pass over its flat object (no search per field). */
static int load_state(const char *device, st_t *s) {
    memset(s, 0, sizeof *s);
    s->state = -1;
    char key[160];
    snprintf(key, sizeof key, "c:%s", device);
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

/* Appends ,"name":value to buf. */
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

static void save_state(const cfg_t *c, const char *device, const st_t *s) {
    enum { CAP = 16384 };
    char *buf = malloc(CAP);
    if (!buf) return;
    int w = snprintf(buf, CAP, "{\"key\":\"c:%s\",\"value\":{\"state_name\":\"%s\"", device,
                     s->state >= 0 && s->state < NS ? STATE_NAME[s->state] : "");
    char name[32];
#define W(k, v) w = put(buf, CAP, w, k, v)
    W("last", s->last); W("first", s->first); W("state", s->state);
    W("unl_since", s->unl_since); W("hour", s->hour); W("day", s->day);
    W("runh0", s->runh0); W("runh1", s->runh1); W("loadh0", s->loadh0); W("loadh1", s->loadh1);
    W("sp_bad", s->sp_bad); W("sp_alarm", s->sp_alarm); W("unl_alarm", s->unl_alarm);
    W("unl_hour", s->unl_hour); W("refused", s->refused);
    W("lh_end", s->lh_end); W("lh_sp", s->lh_sp); W("lh_sp_sys", s->lh_sp_sys);
    W("lh_ref", s->lh_ref); W("lh_dev", s->lh_dev); W("lh_tol", s->lh_tol);
    W("lh_unl", s->lh_unl); W("lh_duty", s->lh_duty); W("lh_p", s->lh_p); W("lh_eval", s->lh_eval);
    for (int i = 0; i < NP; i++) {
        snprintf(name, sizeof name, "v_%s", VAL_KEY[i]);
        W(name, s->v[i]);
        snprintf(name, sizeof name, "ts_%s", VAL_KEY[i]);
        W(name, s->vts[i]);
    }
    /* The sums, without their zeros (a missing field reads as 0): the state is read and
     * written on every message and its size is what that costs. */
    acc_t *accs[3] = {(acc_t *)&s->h, (acc_t *)&s->d, (acc_t *)&s->tot};
    const char *pre[3] = {"h_", "d_", "t_"};
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < NACC; i++) {
            double v = *acc_field(accs[a], i);
            if (v == 0) continue;
            snprintf(name, sizeof name, "%s%s", pre[a], ACC_NAME[i]);
            W(name, v);
        }
    /* What the panel shows: today's results and the annual figures. */
    res_t r;
    results(c, &s->d, &r);
    W("day_sp", r.sp); W("day_sp_sys", r.sp_sys); W("day_ref", r.ref); W("day_dev", r.dev);
    W("day_duty", r.run_duty); W("day_unl_share", r.unl_share); W("day_unl_power_share", r.unl_power_share);
    W("day_p_mean", r.p_mean); W("day_kwh", r.e_total); W("day_cost", r.cost);
    W("day_excess_rule", r.excess_rule); W("day_save_rule_kwh", r.save_rule_kwh);
    results(c, &s->tot, &r);
    W("tot_sp", r.sp); W("tot_sp_sys", r.sp_sys);
    double obs_h = (s->tot.t[S_OFF] + s->tot.t[S_UNL] + s->tot.t[S_LOAD]) / 3600;
    W("year_kwh", obs_h > 0 ? r.e_total / obs_h * c->hours_year : 0);
    W("year_cost", obs_h > 0 ? r.e_total / obs_h * c->hours_year * c->tariff : 0);
    W("year_unl_kwh", obs_h > 0 ? s->tot.e[S_UNL] / obs_h * c->hours_year : 0);
    W("year_unl_cost", obs_h > 0 ? s->tot.e[S_UNL] / obs_h * c->hours_year * c->tariff : 0);
#undef W
    snprintf(buf + w, CAP - w, "}}");
    free(il_call("kv.set", buf));
    free(buf);
}

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

static double local_hour(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / HOUR_MS); }
static double local_day(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / DAY_MS); }
static double hour_end(const cfg_t *c, double hour) { return (hour + 1) * HOUR_MS - c->offset_h * HOUR_MS; }

/* ------------------------------------------------------------------ alarms */

static void alarm(const char *device, const char *op, const char *type, const char *details) {
    char req[1200];
    if (strcmp(op, "raise") == 0)
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"warning\",\"details\":%s}",
                 device, type, details);
    else
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", device, type);
    char *r = il_call(strcmp(op, "raise") == 0 ? "alarm.raise" : "alarm.clear", req);
    if (!il_ok(r)) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s: alarm %s %s failed: %.200s", device, type, op, r ? r : "no reply");
        il_warn(msg);
    }
    free(r);
}

static void update_unl_alarm(const cfg_t *c, const char *device, st_t *s, double now) {
    int run = c->unl_max_ms > 0 && s->unl_since > 0 && now - s->unl_since >= c->unl_max_ms;
    int want = run || s->unl_hour;
    if (want && !s->unl_alarm) {
        char d[400];
        snprintf(d, sizeof d,
                 "{\"unloaded_energy_pct\":%.6g,\"limit_pct\":%g,\"unloaded_min\":%.6g,"
                 "\"limit_min\":%g,\"reason\":\"%s\"}",
                 s->lh_unl, c->unl_pct, s->unl_since > 0 ? (now - s->unl_since) / 60000.0 : 0,
                 c->unl_max_ms / 60000.0, run ? "continuous unloaded running" : "unloaded energy share of the hour");
        alarm(device, "raise", "compressor_unloaded_waste", d);
        printf("%s: compressor_unloaded_waste raised (%s)\n", device,
               run ? "continuous unloaded running" : "unloaded energy share");
        s->unl_alarm = 1;
    } else if (!want && s->unl_alarm) {
        alarm(device, "clear", "compressor_unloaded_waste", "");
        printf("%s: compressor_unloaded_waste cleared\n", device);
        s->unl_alarm = 0;
    }
}

/* ------------------------------------------------------------------ periods */

static void write_hour(const cfg_t *c, const char *device, st_t *s, double ts, const res_t *r) {
    char req[600], a[40], b[40], d[40], e[40];
    snprintf(a, sizeof a, "%.10g", r->sp); if (!strpbrk(a, ".eEn")) strcat(a, ".0");
    snprintf(b, sizeof b, "%.10g", r->sp_sys); if (!strpbrk(b, ".eEn")) strcat(b, ".0");
    snprintf(d, sizeof d, "%.10g", r->run_duty); if (!strpbrk(d, ".eEn")) strcat(d, ".0");
    snprintf(e, sizeof e, "%.10g", r->unl_share); if (!strpbrk(e, ".eEn")) strcat(e, ".0");
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"specific_power\":%s,"
             "\"specific_power_system\":%s,\"load_duty_pct\":%s,\"unloaded_energy_pct\":%s}}",
             device, ts, a, b, d, e);
    char *rep = il_call("write", req);
    if (!il_ok(rep) || !strstr(rep, "\"refused\":[]")) {
        if (!s->refused) {
            char msg[700];
            snprintf(msg, sizeof msg,
                     "%s: derived telemetry not (fully) stored (declare specific_power, "
                     "specific_power_system, load_duty_pct, unloaded_energy_pct as float in the "
                     "thing model, or set write_telemetry false): %.300s", device, rep ? rep : "no reply");
            il_warn(msg);
        }
        s->refused = 1;
    } else {
        s->refused = 0;
    }
    free(rep);
}

static void close_hour(const cfg_t *c, const char *device, st_t *s) {
    acc_t *h = &s->h;
    double seen = h->t[S_OFF] + h->t[S_UNL] + h->t[S_LOAD];
    double end = hour_end(c, s->hour);
    if (seen > 0) {
        res_t r;
        results(c, h, &r);
        long day = (long)floor(s->hour / 24);
        int y, m, dd;
        civil(day, &y, &m, &dd);
        int hh = (int)(s->hour - (double)day * 24);
        char rec[1400];
        snprintf(rec, sizeof rec,
                 "{\"hour\":\"%04d-%02d-%02d %02d:00\",\"end\":%.0f,\"off_s\":%.8g,\"unl_s\":%.8g,"
                 "\"load_s\":%.8g,\"nd_s\":%.8g,\"kwh_load\":%.8g,\"kwh_unl\":%.8g,\"kwh_off\":%.8g,"
                 "\"m3\":%.8g,\"m3_est\":%.8g,\"sp\":%.8g,\"sp_sys\":%.8g,\"ref\":%.8g,\"dev\":%.8g,"
                 "\"tol\":%g,\"duty\":%.8g,\"unl_share\":%.8g,\"p_mean\":%.8g,\"p_min\":%.8g,"
                 "\"p_max\":%.8g,\"excess_rule\":%.8g,\"excess_ad\":%.8g}",
                 y, m, dd, hh, end, h->t[S_OFF], h->t[S_UNL], h->t[S_LOAD], h->t[S_ND],
                 h->e[S_LOAD], h->e[S_UNL], h->e[S_OFF], h->air, h->air_est, r.sp, r.sp_sys, r.ref,
                 r.dev, r.tol, r.run_duty, r.unl_share, r.p_mean, h->pmin, h->pmax, r.excess_rule,
                 r.excess_ad);
        char key[160];
        snprintf(key, sizeof key, "h:%s", device);
        il_kv_push(key, rec, c->keep_hours);

        s->lh_end = end; s->lh_sp = r.sp; s->lh_sp_sys = r.sp_sys; s->lh_ref = r.ref;
        s->lh_dev = r.dev; s->lh_tol = r.tol; s->lh_unl = r.unl_share; s->lh_duty = r.run_duty;
        s->lh_p = r.p_mean;
        s->lh_eval = h->tsp >= c->min_loaded_s && r.sp > 0;

        /* Specific power against the data sheet. */
        if (s->lh_eval && c->ds_sp > 0) {
            if (r.dev > r.tol) s->sp_bad++;
            else s->sp_bad = 0;
            if (s->sp_bad >= c->alarm_hours && !s->sp_alarm) {
                char d[700];
                snprintf(d, sizeof d,
                         "{\"specific_power\":%.6g,\"reference\":%.6g,\"datasheet\":%.6g,"
                         "\"deviation_pct\":%.6g,\"margin_pct\":%g,\"mean_pressure_bar\":%.6g,"
                         "\"hours\":%d,\"unit\":\"kW/(m3/min)\",\"reference_method\":\"ISO 1217:2009 Annex C\"}",
                         r.sp, r.ref, c->ds_sp, r.dev, r.tol, r.p_mean, s->sp_bad);
                alarm(device, "raise", "compressor_specific_power_high", d);
                printf("%s: compressor_specific_power_high raised (%.3f vs %.3f kW/(m3/min), %+.1f %% > %g %%)\n",
                       device, r.sp, r.ref, r.dev, r.tol);
                s->sp_alarm = 1;
            } else if (s->sp_bad == 0 && s->sp_alarm) {
                alarm(device, "clear", "compressor_specific_power_high", "");
                printf("%s: compressor_specific_power_high cleared\n", device);
                s->sp_alarm = 0;
            }
        }
        /* Unloaded waste over the hour. */
        if (r.e_run > 0 && c->unl_pct > 0) s->unl_hour = r.unl_share >= c->unl_pct;
        else if (h->t[S_UNL] + h->t[S_LOAD] <= 0) s->unl_hour = 0;
        printf("%s: hour %02d:00 loaded %.1f min, unloaded %.1f min, specific power %.3f (system %.3f) "
               "kW/(m3/min), reference %.3f (%+.1f %%), unloaded energy %.1f %%, mean loaded pressure %.2f bar\n",
               device, hh, h->t[S_LOAD] / 60, h->t[S_UNL] / 60, r.sp, r.sp_sys, r.ref, r.dev,
               r.unl_share, r.p_mean);
        if (c->write && s->lh_eval) write_hour(c, device, s, end, &r);
    }
    acc_reset(h);
}

static void close_day(const cfg_t *c, const char *device, st_t *s) {
    acc_t *d = &s->d;
    double seen = d->t[S_OFF] + d->t[S_UNL] + d->t[S_LOAD];
    if (seen > 0) {
        res_t r;
        results(c, d, &r);
        int y, m, dd;
        civil((long)s->day, &y, &m, &dd);
        char rec[1400];
        snprintf(rec, sizeof rec,
                 "{\"date\":\"%04d-%02d-%02d\",\"off_h\":%.8g,\"unl_h\":%.8g,\"load_h\":%.8g,"
                 "\"nd_h\":%.8g,\"kwh\":%.8g,\"kwh_unl\":%.8g,\"m3\":%.8g,\"sp\":%.8g,\"sp_sys\":%.8g,"
                 "\"ref\":%.8g,\"dev\":%.8g,\"duty\":%.8g,\"unl_share\":%.8g,\"p_mean\":%.8g,"
                 "\"p_min\":%.8g,\"p_max\":%.8g,\"excess_rule\":%.8g,\"save_rule_kwh\":%.8g,"
                 "\"cost\":%.8g,\"cost_unl\":%.8g,\"counter_run_h\":%.8g,\"counter_load_h\":%.8g,"
                 "\"temp_max\":%.8g}",
                 y, m, dd, d->t[S_OFF] / 3600, d->t[S_UNL] / 3600, d->t[S_LOAD] / 3600,
                 d->t[S_ND] / 3600, r.e_total, d->e[S_UNL], d->air, r.sp, r.sp_sys, r.ref, r.dev,
                 r.run_duty, r.unl_share, r.p_mean, d->pmin, d->pmax, r.excess_rule,
                 r.save_rule_kwh, r.cost, r.cost_unl, s->runh1 - s->runh0, s->loadh1 - s->loadh0,
                 d->tmax);
        char key[160];
        snprintf(key, sizeof key, "d:%s", device);
        il_kv_push(key, rec, c->keep_days);
    }
    acc_reset(d);
    /* The next day's counter differences start from the last reading before midnight. */
    s->runh0 = s->runh1;
    s->loadh0 = s->loadh1;
}

/* Credits one piece [from, to) of one state and its held values to one sum. */
static void credit_acc(const cfg_t *c, acc_t *a, double dt, int st, double pw, int has_pw,
                       double q, int has_q, double p, int has_p) {
    a->t[st] += dt;
    if (st == S_ND) return;
    if (has_pw) { a->e[st] += pw * dt / 3600; a->tpw[st] += dt; }
    double flow = -1;
    int est = 0;
    if (has_q) flow = q;
    else if (st == S_LOAD && c->rated_fad > 0) { flow = c->rated_fad; est = 1; }
    else if (st != S_LOAD) flow = 0;
    if (flow > 0) {
        a->air += flow * dt / 60;
        if (est) a->air_est += flow * dt / 60;
    }
    if (st == S_LOAD && has_pw && flow > 0) {
        a->esp += pw * dt / 3600;
        a->airsp += flow * dt / 60;
        a->tsp += dt;
    }
    if (st == S_LOAD && has_p) { a->pt += p * dt; a->pts += dt; }
}

/* Credits [from, to) to the state and values held from the last reading, split at local hours
 * and days (closing them); time beyond max_gap after the reading is "no data". */
static void credit(const cfg_t *c, const char *device, st_t *s, double from, double to) {
    int st = s->state >= 0 ? s->state : S_ND;
    double held_to = from + c->max_gap_ms;
    double val[NP];
    int has[NP];
    for (int i = 0; i < NP; i++) {
        has[i] = s->vts[i] > 0 && from - s->vts[i] <= c->max_gap_ms;
        val[i] = s->v[i];
    }
    while (from < to) {
        double hr = local_hour(c, from);
        if (hr != s->hour) {
            close_hour(c, device, s);
            double day = local_day(c, from);
            if (day != s->day) { close_day(c, device, s); s->day = day; }
            s->hour = hr;
        }
        int piece_st = from < held_to ? st : S_ND;
        double seg_end = fmin(to, hour_end(c, hr));
        if (piece_st != S_ND) seg_end = fmin(seg_end, held_to);
        double dt = (seg_end - from) / 1000.0;
        if (piece_st == S_ND && seg_end < to) {
            /* A long gap: the rest of this hour is no data; the empty hours up to the hour of
             * `to` (or the day's end) are credited to the day and total at once, without records. */
            s->h.t[S_ND] += dt; s->d.t[S_ND] += dt; s->tot.t[S_ND] += dt;
            double next = hour_end(c, hr);
            double day_end = (local_day(c, from) + 1) * DAY_MS - c->offset_h * HOUR_MS;
            double jump_to = fmin(hour_end(c, local_hour(c, to)) - HOUR_MS, day_end);
            if (jump_to > next) {
                close_hour(c, device, s);
                double skipped = (jump_to - next) / 1000.0;
                s->d.t[S_ND] += skipped;
                s->tot.t[S_ND] += skipped;
            }
            from = fmax(next, jump_to);
            continue;
        }
        credit_acc(c, &s->h, dt, piece_st, val[P_POWER], has[P_POWER], val[P_FAD], has[P_FAD],
                   val[P_PRESS], has[P_PRESS]);
        credit_acc(c, &s->d, dt, piece_st, val[P_POWER], has[P_POWER], val[P_FAD], has[P_FAD],
                   val[P_PRESS], has[P_PRESS]);
        credit_acc(c, &s->tot, dt, piece_st, val[P_POWER], has[P_POWER], val[P_FAD], has[P_FAD],
                   val[P_PRESS], has[P_PRESS]);
        from = seg_end;
    }
}

/* Closes the hour (and day) when a reading falls at or after its end: the reading's values
 * belong to the new hour. */
static void roll(const cfg_t *c, const char *device, st_t *s, double ts) {
    double hr = local_hour(c, ts);
    if (hr == s->hour) return;
    close_hour(c, device, s);
    double day = local_day(c, ts);
    if (day != s->day) { close_day(c, device, s); s->day = day; }
    s->hour = hr;
}

/* The state from a reading's values (held within max_gap). */
static int derive_state(const cfg_t *c, const st_t *s, double ts, const char *device, int *warned) {
    if (s->vts[P_STATE] > 0 && ts - s->vts[P_STATE] <= c->max_gap_ms) {
        double v = s->v[P_STATE];
        if (fabs(v - c->st_load) < 0.5) return S_LOAD;
        if (fabs(v - c->st_unl) < 0.5) return S_UNL;
        if (fabs(v - c->st_off) < 0.5) return S_OFF;
        if (!*warned) {
            printf("%s: %s = %g is none of off %g, unloaded %g, loaded %g: no data\n", device,
                   c->prop[P_STATE], v, c->st_off, c->st_unl, c->st_load);
            *warned = 1;
        }
        return S_ND;
    }
    if (c->loaded_min_kw > 0 && s->vts[P_POWER] > 0 && ts - s->vts[P_POWER] <= c->max_gap_ms) {
        double p = s->v[P_POWER];
        if (p >= c->loaded_min_kw) return S_LOAD;
        if (p >= c->running_min_kw) return S_UNL;
        return S_OFF;
    }
    return S_ND;
}

/* ------------------------------------------------------------------ telemetry */

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    static pt_t pts[MAXPTS];
    int dropped = 0;
    int n = read_points(c, event, pts, MAXPTS, &dropped);
    if (dropped) printf("%s: %d points beyond the first %d of one message ignored\n", device, dropped, MAXPTS);
    if (n == 0) return 0; /* nothing this app uses */
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);

    st_t s;
    int known = load_state(device, &s);
    int changed = 0, old_warned = 0, state_warned = 0;
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
            s.first = ts;
            s.hour = local_hour(c, ts);
            s.day = local_day(c, ts);
            known = 1;
        } else if (ts > s.last) {
            credit(c, device, &s, s.last, ts);
            roll(c, device, &s, ts);
        } /* the same time as the last reading: its values are merged, no time passes */
        /* The reading's values. */
        for (int k = i; k < j; k++) {
            int p = pts[k].prop;
            if (!pts[k].ok) {
                printf("%s: %s is not a number, ignored\n", device, c->prop[p]);
                continue;
            }
            double v = pts[k].v;
            if (p == P_POWER) v *= c->power_k;
            else if (p == P_PRESS) v *= c->press_k;
            else if (p == P_FAD) v *= c->fad_k;
            if ((p == P_POWER || p == P_FAD) && v < 0) {
                printf("%s: negative %s %g taken as 0\n", device, c->prop[p], v);
                v = 0;
            }
            s.v[p] = v;
            s.vts[p] = ts;
            if (p == P_RUNH) { if (s.runh0 <= 0 || v < s.runh1) s.runh0 = v; s.runh1 = v; }
            if (p == P_LOADH) { if (s.loadh0 <= 0 || v < s.loadh1) s.loadh0 = v; s.loadh1 = v; }
        }
        int prev = s.state;
        int st = derive_state(c, &s, ts, device, &state_warned);
        s.state = st;
        /* Pressure band and temperature from readings. */
        if ((st == S_LOAD || st == S_UNL) && s.vts[P_PRESS] == ts) {
            double p = s.v[P_PRESS];
            acc_t *accs[3] = {&s.h, &s.d, &s.tot};
            for (int a = 0; a < 3; a++) {
                if (accs[a]->pmax <= 0 || p > accs[a]->pmax) accs[a]->pmax = p;
                if (accs[a]->pmin <= 0 || p < accs[a]->pmin) accs[a]->pmin = p;
            }
        }
        if (s.vts[P_TEMP] == ts) {
            acc_t *accs[3] = {&s.h, &s.d, &s.tot};
            for (int a = 0; a < 3; a++)
                if (s.v[P_TEMP] > accs[a]->tmax) accs[a]->tmax = s.v[P_TEMP];
        }
        /* Continuous unloaded running. */
        if (st == S_UNL) {
            if (prev != S_UNL || s.unl_since <= 0 || ts - s.last > c->max_gap_ms) s.unl_since = ts;
        } else {
            s.unl_since = 0;
        }
        s.last = ts;
        update_unl_alarm(c, device, &s, ts);
        changed = 1;
        i = j;
    }
    if (changed) {
        save_state(c, device, &s);
        printf("%s: %s", device, s.state >= 0 ? STATE_NAME[s.state] : "no data");
        if (s.vts[P_POWER] == s.last) printf(", %.2f kW", s.v[P_POWER]);
        if (s.vts[P_PRESS] == s.last) printf(", %.2f bar", s.v[P_PRESS]);
        if (s.vts[P_FAD] == s.last) printf(", %.3f m3/min", s.v[P_FAD]);
        printf("\n");
    }
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "manual") == 0) {
        if (c.ds_sp > 0)
            printf("data sheet %.4g %s = %.4f kW/(m3/min) at %g bar; margin %g %%%s; %g %% per bar\n",
                   c.ds_sp_raw, c.ds_cfm ? "kW/100 cfm" : "kW/(m3/min)", c.ds_sp, c.ds_press,
                   c.margin_auto ? c.tol : c.margin,
                   c.margin_auto ? " (ISO 1217:2009 Annex C tolerance by FAD)" : "", c.pct_bar);
        else
            printf("no data-sheet specific power configured: specific power is computed, not judged\n");
    }
    return 0;
}
