/* Wire-to-water specific energy of pumping systems, against a baseline.
 *
 * Every minute (schedule "* * * * *") the app closes the minutes since its last run (at most
 * 60 a run, fewer with many pumps; a backlog is caught up run by run):
 *   - each pump's flow Q, head H and power are read back (`history`) and averaged per minute,
 *     time-weighted (each sample held until the next one, at most max_gap_s); the electrical
 *     input is the power itself, or a shaft power divided by the motor (and drive) efficiency;
 *   - a minute with both power and flow counts: E += P_el·Dt (kWh), V += Q·Dt (m³), and with a
 *     head also VH += Q·H·Dt (m³·m) with the energy of those minutes E_h;
 *   - per hour, local day, month and in total: specific energy Es = E / V (kWh/m³), per 100 m
 *     of head Es100 = 100·E_h / VH, wire-to-water efficiency η = ρ·g·VH / (3.6e6·E_h)
 *     (= ρ g Q H / P_el), mean head VH / V;
 *   - a baseline B (per m³ or per m³ and 100 m; configured, or learnt from the first days) and
 *     the savings against it: E_base − E, E_base = B·V or B·VH/100;
 *   - alarm `specific_energy_above_baseline` when a running pump's specific energy stays above
 *     B·(1 + alarm_pct/100) for alarm_min minutes; cleared at the first running minute back.
 *
 * State: "p:<pump>" (periods, baseline, alarm, last minute), "h:", "d:", "m:<pump>" (closed
 * hours, days, months), "system" (all pumps together).
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define MIN_MS 60000.0
#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define MAX_DEV 32
#define MAX_PTS 10000
#define MAX_CHUNK 60
#define G 9.80665

/* ------------------------------------------------------------------ config */

typedef struct {
    int ndev;
    char dev[MAX_DEV][72];
    char q_p[72], p_p[72], h_p[72];
    double q_scale, p_scale, eff, rho, min_flow, base, base_days, alarm_pct, alarm_min, price;
    double max_gap_ms, offset_h;
    int shaft, per100, write, keep_hours, keep_days, keep_months;
} cfg_t;

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

static const char *array_after(const char *json, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return *p == '[' ? p + 1 : NULL;
}

static int string_array(const char *p, char names[][72], int cap) {
    int n = 0;
    while (p && *p && *p != ']' && n < cap) {
        if (*p == '"') {
            const char *q = strchr(p + 1, '"');
            if (!q) break;
            if (q > p + 1 && q - p - 1 < 72) {
                snprintf(names[n], 72, "%.*s", (int)(q - p - 1), p + 1);
                n++;
            }
            p = q + 1;
        } else {
            p++;
        }
    }
    return n;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->q_p, "flow");
    strcpy(c->p_p, "power");
    strcpy(c->h_p, "head");
    c->q_scale = 1; c->p_scale = 1; c->eff = 90.4; c->rho = 998.2; c->min_flow = 0.5;
    c->base = 0; c->base_days = 7; c->alarm_pct = 15; c->alarm_min = 60; c->price = 0.6;
    c->offset_h = 8;
    double gap_s = 120, kh = 48, kd = 62, km = 24;
    char basis[24] = "shaft", bbasis[24] = "per_m3_100m";
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        c->ndev = string_array(array_after(cfg, "devices"), c->dev, MAX_DEV);
        il_json_string(cfg, "flow_property", c->q_p, sizeof c->q_p);
        il_json_string(cfg, "power_property", c->p_p, sizeof c->p_p);
        il_json_string(cfg, "head_property", c->h_p, sizeof c->h_p);
        il_json_string(cfg, "power_basis", basis, sizeof basis);
        il_json_string(cfg, "baseline_basis", bbasis, sizeof bbasis);
        il_json_number(cfg, "flow_to_m3h", &c->q_scale);
        il_json_number(cfg, "power_to_kw", &c->p_scale);
        il_json_number(cfg, "motor_drive_efficiency_pct", &c->eff);
        il_json_number(cfg, "density_kg_m3", &c->rho);
        il_json_number(cfg, "min_flow_m3h", &c->min_flow);
        il_json_number(cfg, "baseline", &c->base);
        il_json_number(cfg, "baseline_days", &c->base_days);
        il_json_number(cfg, "alarm_pct", &c->alarm_pct);
        il_json_number(cfg, "alarm_min", &c->alarm_min);
        il_json_number(cfg, "energy_price", &c->price);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_hours", &kh);
        il_json_number(cfg, "keep_days", &kd);
        il_json_number(cfg, "keep_months", &km);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->shaft = strcmp(basis, "shaft") == 0;
    c->per100 = strcmp(bbasis, "per_m3") != 0 && c->h_p[0];
    if (c->eff <= 0 || c->eff > 100) c->eff = 90.4;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_hours = kh < 1 ? 1 : kh > 240 ? 240 : (int)kh;
    c->keep_days = kd < 1 ? 1 : kd > 256 ? 256 : (int)kd;
    c->keep_months = km < 1 ? 1 : km > 120 ? 120 : (int)km;
}

static void discover_devices(cfg_t *c) {
    if (c->ndev > 0) return;
    char *r = il_call("devices", "{}");
    if (il_ok(r)) {
        const char *p = array_after(r, "devices");
        while (p && c->ndev < MAX_DEV) {
            const char *q = strstr(p, "\"name\":\"");
            if (!q) break;
            q += 8;
            const char *e = strchr(q, '"');
            if (!e) break;
            if (e > q && e - q < 72) {
                snprintf(c->dev[c->ndev], 72, "%.*s", (int)(e - q), q);
                c->ndev++;
            }
            p = e + 1;
        }
        double total = 0;
        if (il_json_number(r, "total", &total) && total > c->ndev)
            printf("%.0f devices, only the first %d are followed: list them in `devices`\n", total, c->ndev);
    } else {
        il_warn(r ? r : "no reply to devices");
    }
    free(r);
}

/* ------------------------------------------------------------------ time */

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

/* Local hour number, day number and month (YYYYMM) of the minute ending at t. */
static double hour_of_end(const cfg_t *c, double t) { return floor((t - 1 + c->offset_h * HOUR_MS) / HOUR_MS); }
static double day_of_end(const cfg_t *c, double t) { return floor((t - 1 + c->offset_h * HOUR_MS) / DAY_MS); }
static int month_of_day(double day) {
    int y, m, d;
    civil((long)day, &y, &m, &d);
    return y * 100 + m;
}
static void local_text(const cfg_t *c, double t, char *out, size_t cap) {
    double l = t + c->offset_h * HOUR_MS;
    double day = floor(l / DAY_MS);
    int y, m, d;
    civil((long)day, &y, &m, &d);
    int mins = (int)((l - day * DAY_MS) / MIN_MS);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, mins / 60, mins % 60);
}

/* ------------------------------------------------------------------ periods */

typedef struct { double e, v, eh, vh, eb, run, data; } agg_t;

enum { PH = 0, PD = 1, PM = 2, PT = 3, NP = 4 };
static const char *PFX[NP] = {"h", "d", "m", "t"};

typedef struct {
    double hour, day; int month;
    agg_t a[NP];
    double base, learn_e, learn_x, learn_until; int learned;
    double above_since; int alarm;
    double q, h, p_el, es, es100, eta, last_ts;
    int seen;
} pump_t;

static void add(agg_t *a, double e, double v, double eh, double vh, double eb, double run) {
    a->e += e; a->v += v; a->eh += eh; a->vh += vh; a->eb += eb; a->run += run; a->data += 1.0 / 60.0;
}

/* Derived figures of a period; -1 when not known. */
static double es_of(const agg_t *a) { return a->v > 0 ? a->e / a->v : -1; }
static double es100_of(const agg_t *a) { return a->vh > 0 ? 100.0 * a->eh / a->vh : -1; }
static double eta_of(const cfg_t *c, const agg_t *a) {
    return a->eh > 0 && a->vh > 0 ? c->rho * G * a->vh / 3.6e6 / a->eh : -1;
}
static double savings_of(const cfg_t *c, const agg_t *a) {
    return a->eb > 0 ? a->eb - (c->per100 ? a->eh : a->e) : 0;
}

static const char *fnum(char *buf, size_t cap, double v) {
    if (!isfinite(v) || v < 0) { snprintf(buf, cap, "null"); return buf; }
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return buf;
}

/* The derived figures of a period as JSON members (no braces). */
static int agg_json(const cfg_t *c, const agg_t *a, char *out, size_t cap) {
    char s1[32], s2[32], s3[32], s4[32];
    return snprintf(out, cap,
                    "\"kwh\":%.6f,\"m3\":%.6f,\"es\":%s,\"es100\":%s,\"eta\":%s,\"head\":%s,"
                    "\"baseline_kwh\":%.6f,\"savings_kwh\":%.6f,\"savings_cost\":%.4f,\"run_h\":%.6f,\"data_h\":%.6f",
                    a->e, a->v, fnum(s1, sizeof s1, es_of(a)), fnum(s2, sizeof s2, es100_of(a)),
                    fnum(s3, sizeof s3, eta_of(c, a)), fnum(s4, sizeof s4, a->v > 0 && a->vh > 0 ? a->vh / a->v : -1),
                    a->eb, savings_of(c, a), savings_of(c, a) * c->price, a->run, a->data);
}

static void close_period(const cfg_t *c, const char *dev, pump_t *p, int which) {
    agg_t *a = &p->a[which];
    if (a->data > 0) {
        char rec[700], label[24], key[96];
        int y, m, d;
        if (which == PH) {
            double day = floor(p->hour / 24.0);
            civil((long)day, &y, &m, &d);
            snprintf(label, sizeof label, "%04d-%02d-%02d %02d:00", y, m, d, (int)(p->hour - day * 24));
        } else if (which == PD) {
            civil((long)p->day, &y, &m, &d);
            snprintf(label, sizeof label, "%04d-%02d-%02d", y, m, d);
        } else {
            snprintf(label, sizeof label, "%04d-%02d", p->month / 100, p->month % 100);
        }
        int n = snprintf(rec, sizeof rec, "{\"%s\":\"%s\",", which == PH ? "hour" : which == PD ? "date" : "month", label);
        n += agg_json(c, a, rec + n, sizeof rec - n);
        snprintf(rec + n, sizeof rec - n, "}");
        snprintf(key, sizeof key, "%s:%s", PFX[which], dev);
        il_kv_push(key, rec, which == PH ? c->keep_hours : which == PD ? c->keep_days : c->keep_months);
        if (which != PH)
            printf("%s: %s %s closed: %.3f kWh, %.3f m3, %.4f kWh/m3, %.4f kWh/m3/100 m, savings %.3f kWh\n", dev,
                   which == PD ? "day" : "month", label, a->e, a->v, es_of(a), es100_of(a), savings_of(c, a));
    }
    memset(a, 0, sizeof *a);
}

/* Moves the pump's periods to those of the minute ending at t. */
static void roll(const cfg_t *c, const char *dev, pump_t *p, double t) {
    double hour = hour_of_end(c, t), day = day_of_end(c, t);
    int month = month_of_day(day);
    if (p->hour != hour) { if (p->hour > 0) close_period(c, dev, p, PH); p->hour = hour; }
    if (p->day != day) { if (p->day > 0) close_period(c, dev, p, PD); p->day = day; }
    if (p->month != month) { if (p->month > 0) close_period(c, dev, p, PM); p->month = month; }
}

/* ------------------------------------------------------------------ state */

static void load_pump(const char *dev, pump_t *p) {
    memset(p, 0, sizeof *p);
    char key[96];
    snprintf(key, sizeof key, "p:%s", dev);
    char *r = il_kv_get(key);
    if (!r) return;
    p->seen = 1;
    double v;
    char k[24];
#define RD(kk, f) if (il_json_number(r, kk, &v)) f = v
    RD("hour", p->hour); RD("day", p->day); RD("month", p->month);
    for (int i = 0; i < NP; i++) {
        snprintf(k, sizeof k, "%s_e", PFX[i]); RD(k, p->a[i].e);
        snprintf(k, sizeof k, "%s_v", PFX[i]); RD(k, p->a[i].v);
        snprintf(k, sizeof k, "%s_eh", PFX[i]); RD(k, p->a[i].eh);
        snprintf(k, sizeof k, "%s_vh", PFX[i]); RD(k, p->a[i].vh);
        snprintf(k, sizeof k, "%s_eb", PFX[i]); RD(k, p->a[i].eb);
        snprintf(k, sizeof k, "%s_run", PFX[i]); RD(k, p->a[i].run);
        snprintf(k, sizeof k, "%s_data", PFX[i]); RD(k, p->a[i].data);
    }
    RD("baseline", p->base); RD("learned", p->learned); RD("learn_e", p->learn_e);
    RD("learn_x", p->learn_x); RD("learn_until", p->learn_until);
    RD("above_since", p->above_since); RD("alarm", p->alarm); RD("last_ts", p->last_ts);
#undef RD
    free(r);
}

static void save_pump(const cfg_t *c, const char *dev, const pump_t *p) {
    char req[4096], f1[32], f2[32], f3[32], f4[32], f5[32], f6[32];
    int n = snprintf(req, sizeof req, "{\"key\":\"p:%s\",\"value\":{\"hour\":%.0f,\"day\":%.0f,\"month\":%d,",
                     dev, p->hour, p->day, p->month);
    for (int i = 0; i < NP; i++) {
        const agg_t *a = &p->a[i];
        n += snprintf(req + n, sizeof req - n,
                      "\"%s_e\":%.8g,\"%s_v\":%.8g,\"%s_eh\":%.8g,\"%s_vh\":%.8g,\"%s_eb\":%.8g,\"%s_run\":%.8g,"
                      "\"%s_data\":%.8g,\"%s_es\":%s,\"%s_es100\":%s,\"%s_eta\":%s,\"%s_savings\":%.6f,",
                      PFX[i], a->e, PFX[i], a->v, PFX[i], a->eh, PFX[i], a->vh, PFX[i], a->eb, PFX[i], a->run,
                      PFX[i], a->data, PFX[i], fnum(f1, sizeof f1, es_of(a)), PFX[i],
                      fnum(f2, sizeof f2, es100_of(a)), PFX[i], fnum(f3, sizeof f3, eta_of(c, a)), PFX[i],
                      savings_of(c, a));
    }
    snprintf(req + n, sizeof req - n,
             "\"baseline\":%s,\"baseline_basis\":\"%s\",\"learned\":%d,\"learn_e\":%.8g,\"learn_x\":%.8g,"
             "\"learn_until\":%.0f,\"above_since\":%.0f,\"alarm\":%d,\"alarm_pct\":%g,\"flow\":%s,\"head_m\":%s,"
             "\"power_el\":%s,\"last_es\":%s,\"last_es100\":%s,\"last_eta\":%.6g,\"last_ts\":%.0f}}",
             p->learned ? fnum(f1, sizeof f1, p->base) : "null", c->per100 ? "per_m3_100m" : "per_m3",
             p->learned, p->learn_e, p->learn_x, p->learn_until, p->above_since, p->alarm, c->alarm_pct,
             fnum(f2, sizeof f2, p->q), fnum(f3, sizeof f3, p->h), fnum(f4, sizeof f4, p->p_el),
             fnum(f5, sizeof f5, p->es), fnum(f6, sizeof f6, p->es100), p->eta, p->last_ts);
    free(il_call("kv.set", req));
}

/* ------------------------------------------------------------------ data */

typedef struct {
    int n, bad, truncated;
    double *ts, *v;
} series_t;

static void series_free(series_t *s) {
    free(s->ts);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* A JSON number at p (end set past it, or to p when there is none). Exact for the usual
 * telemetry (at most 15 significant digits and 22 decimals); anything else goes to strtod,
 * whose long-double arithmetic costs far more fuel in WebAssembly. */
static double num(const char *p, char **end) {
    const char *q = p;
    int neg = 0;
    if (*q == '-') { neg = 1; q++; }
    if (*q < '0' || *q > '9') { *end = (char *)p; return 0; }
    unsigned long long m = 0;
    int digits = 0, dec = 0;
    while (*q >= '0' && *q <= '9') { if (digits < 19) m = m * 10 + (unsigned)(*q - '0'); digits++; q++; }
    if (*q == '.') {
        q++;
        if (*q < '0' || *q > '9') return strtod(p, end);
        while (*q >= '0' && *q <= '9') { if (digits < 19) { m = m * 10 + (unsigned)(*q - '0'); dec++; } digits++; q++; }
    }
    if (*q == 'e' || *q == 'E' || digits > 15 || dec > 22) return strtod(p, end);
    static const double P10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    *end = (char *)q;
    double v = (double)m / P10[dec];
    return neg ? -v : v;
}

/* Reads `prop` of `dev` over [from, to) into s, scaled; 0 when the call failed (warned). */
static int read_series(const char *dev, const char *prop, double from, double to, double scale,
                       series_t *s) {
    memset(s, 0, sizeof *s);
    char req[320];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"property\":\"%s\",\"from\":%.0f,\"to\":%.0f,\"limit\":%d}",
             dev, prop, from, to, MAX_PTS);
    char *r = il_call("history", req);
    if (!il_ok(r)) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s: no history of %s: %.300s", dev, prop, r ? r : "no reply");
        il_warn(msg);
        free(r);
        return 0;
    }
    s->ts = (double *)malloc(sizeof(double) * MAX_PTS);
    s->v = (double *)malloc(sizeof(double) * MAX_PTS);
    if (!s->ts || !s->v) { free(r); series_free(s); return 0; }
    int seen = 0;
    const char *p = array_after(r, "points");
    const char *close = p ? strstr(p, "]}") : NULL;
    for (;;) {
        const char *o = p ? strchr(p, '[') : NULL;
        if (!o || (close && o > close)) break;
        char *e;
        double ts = num(o + 1, &e);
        const char *comma = strchr(e, ',');
        const char *cb = strchr(e, ']');
        if (!comma || !cb || comma > cb) break;
        const char *vp = comma + 1;
        while (*vp == ' ') vp++;
        char *ve;
        double v = num(vp, &ve);
        p = cb + 1;
        seen++;
        if (ve == vp || !isfinite(v) || ve > cb) { s->bad++; continue; }
        if (s->n > 0 && ts < s->ts[s->n - 1]) { s->bad++; continue; }
        if (s->n < MAX_PTS) { s->ts[s->n] = ts; s->v[s->n] = v * scale; s->n++; }
    }
    s->truncated = seen >= MAX_PTS;
    free(r);
    return 1;
}

/* Time-weighted means over k minutes from `from` (mean[i], have[i]). */
static void minute_means(const series_t *s, double from, int k, double gap_ms, double *mean, int *have) {
    double integ[MAX_CHUNK] = {0}, cov[MAX_CHUNK] = {0};
    for (int j = 0; j < s->n; j++) {
        double a = s->ts[j];
        double b = j + 1 < s->n ? fmin(s->ts[j + 1], a + gap_ms) : a + gap_ms;
        if (b <= from || a >= from + k * MIN_MS) continue;
        int i0 = (int)floor((a - from) / MIN_MS), i1 = (int)ceil((b - from) / MIN_MS);
        if (i0 < 0) i0 = 0;
        if (i1 > k) i1 = k;
        for (int i = i0; i < i1; i++) {
            double s0 = from + i * MIN_MS, s1 = s0 + MIN_MS;
            double lo = fmax(a, s0), hi = fmin(b, s1);
            if (hi > lo) { integ[i] += s->v[j] * (hi - lo); cov[i] += hi - lo; }
        }
    }
    for (int i = 0; i < k; i++) {
        have[i] = cov[i] > 0;
        mean[i] = have[i] ? integ[i] / cov[i] : 0;
    }
}

/* Reads and averages one property; returns 0 when no data (the call failed or no points). */
static int prop_minutes(const cfg_t *c, const char *dev, const char *prop, double from, int k,
                        double scale, double *mean, int *have) {
    for (int i = 0; i < k; i++) { mean[i] = 0; have[i] = 0; }
    if (!prop[0]) return 0;
    series_t s;
    if (!read_series(dev, prop, from - c->max_gap_ms, from + k * MIN_MS, scale, &s)) return 0;
    if (s.bad) printf("%s: %d %s values were not numbers (or out of order), skipped\n", dev, s.bad, prop);
    if (s.truncated) printf("%s: more than %d %s samples, the rest is not counted\n", dev, MAX_PTS, prop);
    minute_means(&s, from, k, c->max_gap_ms, mean, have);
    int n = s.n;
    series_free(&s);
    return n > 0;
}

/* ------------------------------------------------------------------ alarms */

static void alarm_set(const cfg_t *c, const char *dev, pump_t *p, int on, double es, double t) {
    char req[800], tl[24];
    if (on) {
        local_text(c, p->above_since, tl, sizeof tl);
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"specific_energy_above_baseline\",\"severity\":\"warning\","
                 "\"details\":{\"specific_energy\":%.5f,\"basis\":\"%s\",\"baseline\":%.5f,\"above_pct\":%.1f,"
                 "\"alarm_pct\":%g,\"since\":\"%s\",\"minutes\":%.0f,\"flow\":%.3f,\"head\":%.3f,\"power_el\":%.3f,"
                 "\"reference\":\"ISO/ASME 14414:2019\"}}",
                 dev, es, c->per100 ? "kWh/m3/100m" : "kWh/m3", p->base, 100.0 * (es / p->base - 1), c->alarm_pct,
                 tl, (t - p->above_since) / MIN_MS, p->q, p->h, p->p_el);
    } else {
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"specific_energy_above_baseline\"}", dev);
    }
    free(il_call(on ? "alarm.raise" : "alarm.clear", req));
    printf("%s: specific_energy_above_baseline %s (%.4f against %.4f)\n", dev, on ? "raised" : "cleared", es, p->base);
    p->alarm = on;
}

/* ------------------------------------------------------------------ a pump */

static void pump_chunk(const cfg_t *c, const char *dev, double from, int k) {
    double q[MAX_CHUNK], pw[MAX_CHUNK], h[MAX_CHUNK];
    int hq[MAX_CHUNK], hp[MAX_CHUNK], hh[MAX_CHUNK];
    double pscale = c->p_scale * (c->shaft ? 100.0 / c->eff : 1.0);
    int any_q = prop_minutes(c, dev, c->q_p, from, k, c->q_scale, q, hq);
    int any_p = prop_minutes(c, dev, c->p_p, from, k, pscale, pw, hp);
    int any_h = prop_minutes(c, dev, c->h_p, from, k, 1.0, h, hh);
    pump_t p;
    load_pump(dev, &p);
    if (!p.seen && !any_q && !any_p) return; /* a pump that never reported: nothing to keep */
    if (!p.learned && c->base > 0) { p.base = c->base; p.learned = 1; }
    if (c->per100 && c->h_p[0] && (any_q || any_p) && !any_h)
        printf("%s: no %s, the specific energy per 100 m and the efficiency are not known\n", dev, c->h_p);
    int counted = 0;
    for (int i = 0; i < k; i++) {
        double mend = from + (i + 1) * MIN_MS;
        roll(c, dev, &p, mend);
        if (!hq[i] || !hp[i]) continue; /* both flow and power are needed */
        double Q = q[i] < 0 ? 0 : q[i], P = pw[i] < 0 ? 0 : pw[i];
        double e = P / 60.0, v = Q / 60.0, eh = 0, vh = 0;
        int with_h = hh[i] != 0;
        if (with_h) { eh = e; vh = Q * h[i] / 60.0; }
        int running = Q > c->min_flow;
        /* The baseline: learnt over the first days with data, unless configured. */
        if (!p.learned) {
            if (p.learn_until <= 0) p.learn_until = mend - MIN_MS + c->base_days * DAY_MS;
            if (c->per100) { if (with_h) { p.learn_e += eh; p.learn_x += vh / 100.0; } }
            else { p.learn_e += e; p.learn_x += v; }
            if (mend >= p.learn_until && p.learn_x > 0) {
                p.base = p.learn_e / p.learn_x;
                p.learned = 1;
                printf("%s: baseline learnt over %g days: %.5f %s\n", dev, c->base_days, p.base,
                       c->per100 ? "kWh/m3 per 100 m" : "kWh/m3");
            }
        }
        double eb = 0;
        if (p.learned) eb = c->per100 ? (with_h ? p.base * vh / 100.0 : 0) : p.base * v;
        for (int j = 0; j < NP; j++) add(&p.a[j], e, v, eh, vh, eb, running ? 1.0 / 60.0 : 0);
        p.q = Q; p.p_el = P; p.h = with_h ? h[i] : -1;
        p.es = Q > 0 ? P / Q : -1;
        p.es100 = with_h && Q > 0 && h[i] > 0 ? 100.0 * P / (Q * h[i]) : -1;
        p.eta = with_h && P > 0 ? c->rho * G * (Q / 3600.0) * h[i] / 1000.0 / P : 0;
        p.last_ts = mend;
        counted++;
        /* The alarm: this minute's specific energy against the baseline, running minutes only. */
        double es = c->per100 ? p.es100 : p.es;
        if (p.learned && running && es >= 0) {
            double limit = p.base * (1 + c->alarm_pct / 100.0);
            if (es > limit) {
                if (p.above_since <= 0) p.above_since = mend - MIN_MS;
                if (!p.alarm && mend - p.above_since >= c->alarm_min * MIN_MS) alarm_set(c, dev, &p, 1, es, mend);
            } else {
                p.above_since = 0;
                if (p.alarm) alarm_set(c, dev, &p, 0, es, mend);
            }
        } else if (!running) {
            p.above_since = 0; /* a stop breaks the continuity (an alarm stays until a running minute) */
        }
    }
    save_pump(c, dev, &p);
    if (counted) {
        const agg_t *d = &p.a[PD];
        printf("%s: %d min, %.4g m3/h, %.4g kW: %.4f kWh/m3, %.4f kWh/m3/100 m, eta %.3f; today %.4f kWh/m3, %.4f kWh/m3/100 m, savings %.3f kWh\n",
               dev, counted, p.q, p.p_el, p.es, p.es100, p.eta, es_of(d), es100_of(d), savings_of(c, d));
        if (c->write) {
            char req[400], a[32], b[32];
            snprintf(req, sizeof req,
                     "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"specific_energy\":%s,\"wire_to_water_eff\":%s}}",
                     dev, p.last_ts, fnum(a, sizeof a, p.es), fnum(b, sizeof b, p.eta > 0 ? p.eta : -1));
            char *r = il_call("write", req);
            if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
                char msg[600];
                snprintf(msg, sizeof msg, "%s: derived values not stored (declare specific_energy, wire_to_water_eff in the thing model or set write_telemetry false): %.300s",
                         dev, r ? r : "no reply");
                il_warn(msg);
            }
            free(r);
        }
    } else if (any_q || any_p) {
        printf("%s: no minute with both %s and %s\n", dev, c->q_p, c->p_p);
    }
}

/* ------------------------------------------------------------------ a run */

static void save_system(const cfg_t *c, double end, int pumps, agg_t sys[NP], const char *period_ids) {
    char req[3000], tl[24];
    local_text(c, end, tl, sizeof tl);
    int n = snprintf(req, sizeof req, "{\"key\":\"system\",\"value\":{\"last_end\":%.0f,\"last_local\":\"%s\",\"pumps\":%d,%s",
                     end, tl, pumps, period_ids);
    static const char *NAME[NP] = {"hour", "day", "month", "total"};
    for (int i = 0; i < NP; i++) {
        n += snprintf(req + n, sizeof req - n, "\"%s\":{", NAME[i]);
        n += agg_json(c, &sys[i], req + n, sizeof req - n);
        n += snprintf(req + n, sizeof req - n, "},");
    }
    snprintf(req + n, sizeof req - n, "\"basis\":\"%s\",\"power_basis\":\"%s\",\"motor_drive_efficiency_pct\":%g,\"price\":%g}}",
             c->per100 ? "per_m3_100m" : "per_m3", c->shaft ? "shaft" : "electrical", c->eff, c->price);
    free(il_call("kv.set", req));
}

static int run(cfg_t *c, double at) {
    discover_devices(c);
    if (c->ndev == 0) { il_warn("no pumps: configure `devices`"); return 0; }
    double end = floor(at / MIN_MS) * MIN_MS;
    double last = 0;
    char *r = il_kv_get("system");
    if (r) { il_json_number(r, "last_end", &last); free(r); }
    char t1[24];
    agg_t sys[NP];
    memset(sys, 0, sizeof sys);
    if (last <= 0) {
        save_system(c, end, c->ndev, sys, "");
        local_text(c, end, t1, sizeof t1);
        printf("started at %s: %d pump(s), power as %s%s\n", t1, c->ndev, c->shaft ? "shaft power / " : "electrical input",
               c->shaft ? "motor and drive efficiency" : "");
        return 0;
    }
    if (end <= last) return 0; /* a late or repeated run */
    if (end - last > DAY_MS) {
        local_text(c, last, t1, sizeof t1);
        printf("no run since %s: more than 24 h are skipped\n", t1);
        last = end - MIN_MS;
    }
    int chunk = 120 / c->ndev;
    if (chunk < 2) chunk = 2;
    if (chunk > MAX_CHUNK) chunk = MAX_CHUNK;
    int k = (int)((end - last) / MIN_MS);
    if (k > chunk) { k = chunk; printf("catching up: %d minutes this run\n", k); }
    else if (k > 1) printf("%d minutes closed at once (missed runs)\n", k);
    for (int d = 0; d < c->ndev; d++) pump_chunk(c, c->dev[d], last, k);
    /* The system's periods: the sums of its pumps' current periods. */
    agg_t tot[NP];
    memset(tot, 0, sizeof tot);
    double hour = 0, day = 0; int month = 0;
    for (int d = 0; d < c->ndev; d++) {
        pump_t p;
        load_pump(c->dev[d], &p);
        if (!p.seen) continue;
        hour = p.hour; day = p.day; month = p.month;
        for (int j = 0; j < NP; j++) {
            tot[j].e += p.a[j].e; tot[j].v += p.a[j].v; tot[j].eh += p.a[j].eh; tot[j].vh += p.a[j].vh;
            tot[j].eb += p.a[j].eb; tot[j].run += p.a[j].run; tot[j].data += p.a[j].data;
        }
    }
    char ids[96];
    snprintf(ids, sizeof ids, "\"hour_id\":%.0f,\"day_id\":%.0f,\"month_id\":%d,", hour, day, month);
    save_system(c, last + k * MIN_MS, c->ndev, tot, ids);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    double at = 0;
    if (strcmp(kind, "schedule") == 0) {
        il_json_number(event, "at", &at);
    } else if (strcmp(kind, "manual") == 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        at = (double)now.tv_sec * 1000.0 + (double)(now.tv_nsec / 1000000);
    }
    return at > 0 ? run(&c, at) : 0;
}
