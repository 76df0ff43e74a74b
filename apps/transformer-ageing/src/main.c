/* Hot-spot temperature and insulation ageing of an oil-immersed distribution transformer
 * from its load and the ambient temperature, by the difference equations of
 * IEC 60076-7:2018 (loading guide, clause 8: temperatures under varying load and ambient).
 *
 * Every minute (schedule "* * * * *") the app steps the thermal model through the minutes
 * since its last run (at most 60 a run; a backlog is caught up run by run):
 *   - the load factor K of a minute = the time-weighted mean of the summed apparent power of
 *     the configured devices (each sample held until the next one, at most max_gap_s) / rated
 *     power; the ambient is the mean of a measured property or a fixed value;
 *   - top-oil temperature, Dt = 1 min:
 *       Dθo = Dt/(k11 τo) · [((1 + R K²)/(1 + R))^x · Δθor − (θo − θa)]
 *   - hot-spot to top-oil gradient:
 *       DΔθh1 = Dt/(k22 τw) · [k21 K^y Δθhr − Δθh1]
 *       DΔθh2 = Dt/(τo/k22) · [(k21 − 1) K^y Δθhr − Δθh2]
 *       θh = θo + Δθh1 − Δθh2
 *   - relative ageing rate V = 2^((θh − 98)/6) (non-thermally upgraded paper) or
 *     V = exp(15000/(110 + 273) − 15000/(θh + 273)) (thermally upgraded paper), and the loss of
 *     life L = Σ V·Dt (clause 6), per local day and in total;
 *   - alarms against the current and temperature limits for loading beyond nameplate rating
 *     (clause 7): hot-spot above 120 °C (normal cyclic loading) and 140 °C (long-time
 *     emergency loading), top-oil above 105 °C, load above 1.5 p.u.
 * The model starts (and restarts after a gap over 2 h) in the steady state of the first load,
 * as the standard advises, or from a given top-oil temperature.
 *
 * State: "xfmr" (the thermal state, today's and total ageing, alarms), "days" (closed days).
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define MIN_MS 60000.0
#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define MAX_DEV 64
#define MAX_PTS 10000
#define MAX_CHUNK 60
#define RESTART_MS (2 * HOUR_MS)

/* ------------------------------------------------------------------ config */

typedef struct {
    int ndev;
    char dev[MAX_DEV][72];
    char load_p[72], amb_dev[72], amb_p[72], site[72];
    double scale, pf, rated, amb_fixed, init_oil;
    double dor, dhr, R, x, y, k11, k21, k22, tau_o, tau_w;
    int upgraded;
    double lim_hs, lim_hs_em, lim_oil, lim_k, hyst;
    double max_gap_ms, offset_h;
    int write, keep_days;
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
    strcpy(c->load_p, "apparent_power");
    c->scale = 1; c->pf = 1; c->rated = 30; c->amb_fixed = 20; c->init_oil = 0;
    /* ONAN distribution transformer: x, y, k11, k21, k22, τo, τw of the standard's table of
     * thermal characteristics; Δθor, Δθhr and R are typical, to be taken from the test report. */
    c->dor = 55; c->dhr = 23; c->R = 5; c->x = 0.8; c->y = 1.6;
    c->k11 = 1.0; c->k21 = 1.0; c->k22 = 2.0; c->tau_o = 180; c->tau_w = 4;
    c->lim_hs = 120; c->lim_hs_em = 140; c->lim_oil = 105; c->lim_k = 1.5; c->hyst = 2;
    c->offset_h = 8;
    double gap_s = 120, keep = 62;
    char paper[24] = "non_upgraded";
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        c->ndev = string_array(array_after(cfg, "devices"), c->dev, MAX_DEV);
        il_json_string(cfg, "load_property", c->load_p, sizeof c->load_p);
        il_json_string(cfg, "ambient_device", c->amb_dev, sizeof c->amb_dev);
        il_json_string(cfg, "ambient_property", c->amb_p, sizeof c->amb_p);
        il_json_string(cfg, "transformer_device", c->site, sizeof c->site);
        il_json_string(cfg, "paper", paper, sizeof paper);
        il_json_number(cfg, "load_to_kva", &c->scale);
        il_json_number(cfg, "load_power_factor", &c->pf);
        il_json_number(cfg, "rated_kva", &c->rated);
        il_json_number(cfg, "ambient_c", &c->amb_fixed);
        il_json_number(cfg, "initial_top_oil_c", &c->init_oil);
        il_json_number(cfg, "top_oil_rise_k", &c->dor);
        il_json_number(cfg, "hot_spot_gradient_k", &c->dhr);
        il_json_number(cfg, "loss_ratio_r", &c->R);
        il_json_number(cfg, "oil_exponent_x", &c->x);
        il_json_number(cfg, "winding_exponent_y", &c->y);
        il_json_number(cfg, "k11", &c->k11);
        il_json_number(cfg, "k21", &c->k21);
        il_json_number(cfg, "k22", &c->k22);
        il_json_number(cfg, "oil_time_constant_min", &c->tau_o);
        il_json_number(cfg, "winding_time_constant_min", &c->tau_w);
        il_json_number(cfg, "hot_spot_limit_c", &c->lim_hs);
        il_json_number(cfg, "hot_spot_emergency_c", &c->lim_hs_em);
        il_json_number(cfg, "top_oil_limit_c", &c->lim_oil);
        il_json_number(cfg, "load_limit_pu", &c->lim_k);
        il_json_number(cfg, "hysteresis_k", &c->hyst);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_days", &keep);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->upgraded = strcmp(paper, "upgraded") == 0;
    if (c->pf <= 0 || c->pf > 1) c->pf = 1;
    if (c->rated <= 0) c->rated = 30;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_days = keep < 1 ? 1 : keep > 256 ? 256 : (int)keep;
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
            printf("%.0f devices, only the first %d are summed: list them in `devices`\n", total, c->ndev);
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

/* Local day of the minute ending at t (00:00 closes the day before). */
static double day_of_end(const cfg_t *c, double t) {
    return floor((t - 1 + c->offset_h * HOUR_MS) / DAY_MS);
}
static void local_text(const cfg_t *c, double t, char *out, size_t cap) {
    double l = t + c->offset_h * HOUR_MS;
    double day = floor(l / DAY_MS);
    int y, m, d;
    civil((long)day, &y, &m, &d);
    int mins = (int)((l - day * DAY_MS) / MIN_MS);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, mins / 60, mins % 60);
}

/* ------------------------------------------------------------------ the model */

typedef struct {
    double last_end;            /* end of the last minute stepped or skipped (ms) */
    int init;                   /* the thermal state is valid */
    double last_data;           /* end of the last minute with load data */
    double th_o, dh1, dh2, th_h, K, th_a, V;
    double day, d_lol, d_h, d_max_h, d_max_h_at, d_max_o, d_max_k, d_vsum;
    double t_lol, t_h;
    int a_hs, a_em, a_oil, a_k;
    int no_amb;                 /* ambient fell back to the fixed value */
} st_t;

/* Relative ageing rate (IEC 60076-7 clause 6). */
static double ageing_rate(const cfg_t *c, double th) {
    if (c->upgraded) return exp(15000.0 / (110.0 + 273.0) - 15000.0 / (th + 273.0));
    return pow(2.0, (th - 98.0) / 6.0);
}

static double oil_rise_ss(const cfg_t *c, double K) {
    return pow((1 + c->R * K * K) / (1 + c->R), c->x) * c->dor;
}

/* Steady state of load K and ambient θa; or, at the very first start when initial_top_oil_c
 * is set, that top-oil temperature with no gradient yet (a transformer starting from rest). */
static void init_state(const cfg_t *c, st_t *s, double K, double th_a) {
    if (c->init_oil > 0 && s->t_h <= 0) { /* only the very first start */
        s->th_o = c->init_oil;
        s->dh1 = s->dh2 = 0;
    } else {
        s->th_o = th_a + oil_rise_ss(c, K);
        s->dh1 = c->k21 * pow(K, c->y) * c->dhr;
        s->dh2 = (c->k21 - 1) * pow(K, c->y) * c->dhr;
    }
    s->th_h = s->th_o + s->dh1 - s->dh2;
    s->init = 1;
}

/* One step of Dt minutes (the difference equations). */
static void step(const cfg_t *c, st_t *s, double K, double th_a, double dt) {
    double Ky = pow(K, c->y);
    double d_o = dt / (c->k11 * c->tau_o) * (oil_rise_ss(c, K) - (s->th_o - th_a));
    double d_1 = dt / (c->k22 * c->tau_w) * (c->k21 * Ky * c->dhr - s->dh1);
    double d_2 = dt / (c->tau_o / c->k22) * ((c->k21 - 1) * Ky * c->dhr - s->dh2);
    s->th_o += d_o;
    s->dh1 += d_1;
    s->dh2 += d_2;
    s->th_h = s->th_o + s->dh1 - s->dh2;
}

/* ------------------------------------------------------------------ state */

/* One flat object (the host may return its keys in another order; il_json_number reads
 * the object's own members by name), hence the flat limit_* keys. */
static void load_state(st_t *s) {
    memset(s, 0, sizeof *s);
    char *r = il_kv_get("xfmr");
    if (!r) return;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("last_end", s->last_end); RD("init", s->init); RD("last_data", s->last_data);
    RD("top_oil_c", s->th_o); RD("dh1", s->dh1); RD("dh2", s->dh2); RD("hot_spot_c", s->th_h);
    RD("load_pu", s->K); RD("ambient_c", s->th_a); RD("ageing_rate", s->V);
    RD("day", s->day); RD("day_lol_h", s->d_lol); RD("day_hours", s->d_h);
    RD("day_max_hot_spot_c", s->d_max_h); RD("day_max_hot_spot_at", s->d_max_h_at);
    RD("day_max_top_oil_c", s->d_max_o); RD("day_max_load_pu", s->d_max_k); RD("day_v_sum", s->d_vsum);
    RD("total_lol_h", s->t_lol); RD("total_hours", s->t_h);
    RD("alarm_hot_spot", s->a_hs); RD("alarm_emergency", s->a_em); RD("alarm_top_oil", s->a_oil);
    RD("alarm_load", s->a_k);
#undef RD
    free(r);
}

static const char *fnum(char *buf, size_t cap, double v) {
    if (!isfinite(v)) { snprintf(buf, cap, "null"); return buf; }
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return buf;
}

static void save_state(const cfg_t *c, const st_t *s, const char *xdev) {
    char req[2600], tl[24] = "", tm[24] = "";
    if (s->last_end > 0) local_text(c, s->last_end, tl, sizeof tl);
    if (s->d_max_h_at > 0) local_text(c, s->d_max_h_at, tm, sizeof tm);
    snprintf(req, sizeof req,
             "{\"key\":\"xfmr\",\"value\":{\"last_end\":%.0f,\"last_local\":\"%s\",\"init\":%d,"
             "\"last_data\":%.0f,\"transformer_device\":\"%s\",\"devices\":%d,\"rated_kva\":%g,"
             "\"paper\":\"%s\",\"reference_c\":%g,\"top_oil_c\":%.6f,\"dh1\":%.6f,\"dh2\":%.6f,"
             "\"hot_spot_c\":%.6f,\"load_pu\":%.6f,\"load_kva\":%.4f,\"ambient_c\":%.4f,"
             "\"ambient_fixed\":%d,\"ageing_rate\":%.8g,\"day\":%.0f,\"day_lol_h\":%.8g,"
             "\"day_hours\":%.6f,\"day_max_hot_spot_c\":%.4f,\"day_max_hot_spot_at\":%.0f,"
             "\"day_max_hot_spot_local\":\"%s\",\"day_max_top_oil_c\":%.4f,\"day_max_load_pu\":%.5f,"
             "\"day_v_sum\":%.8g,\"total_lol_h\":%.8g,\"total_hours\":%.6f,"
             "\"limit_hot_spot_c\":%g,\"limit_hot_spot_emergency_c\":%g,\"limit_top_oil_c\":%g,\"limit_load_pu\":%g,"
             "\"alarm_hot_spot\":%d,\"alarm_emergency\":%d,\"alarm_top_oil\":%d,\"alarm_load\":%d}}",
             s->last_end, tl, s->init, s->last_data, xdev, c->ndev, c->rated,
             c->upgraded ? "upgraded" : "non_upgraded", c->upgraded ? 110.0 : 98.0, s->th_o, s->dh1,
             s->dh2, s->th_h, s->K, s->K * c->rated, s->th_a, s->no_amb, s->V, s->day, s->d_lol,
             s->d_h, s->d_max_h, s->d_max_h_at, tm, s->d_max_o, s->d_max_k, s->d_vsum, s->t_lol,
             s->t_h, c->lim_hs, c->lim_hs_em, c->lim_oil, c->lim_k, s->a_hs, s->a_em, s->a_oil, s->a_k);
    free(il_call("kv.set", req));
}

static void close_day(const cfg_t *c, st_t *s, double day) {
    if (s->day > 0 && s->d_h > 0) {
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        char rec[400], tm[24] = "";
        if (s->d_max_h_at > 0) local_text(c, s->d_max_h_at, tm, sizeof tm);
        snprintf(rec, sizeof rec,
                 "{\"date\":\"%04d-%02d-%02d\",\"lol_h\":%.6g,\"hours\":%.4f,\"mean_v\":%.6g,"
                 "\"max_hot_spot_c\":%.3f,\"max_hot_spot_local\":\"%s\",\"max_top_oil_c\":%.3f,"
                 "\"max_load_pu\":%.4f}",
                 y, m, d, s->d_lol, s->d_h, s->d_h > 0 ? s->d_vsum / (s->d_h * 60) : 0.0, s->d_max_h, tm,
                 s->d_max_o, s->d_max_k);
        il_kv_push("days", rec, c->keep_days);
        printf("day %04d-%02d-%02d closed: loss of life %.4g h in %.2f h of data, hot-spot max %.1f °C\n",
               y, m, d, s->d_lol, s->d_h, s->d_max_h);
    }
    s->day = day;
    s->d_lol = s->d_h = s->d_max_h = s->d_max_h_at = s->d_max_o = s->d_max_k = s->d_vsum = 0;
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

/* Time-weighted means of a series over k minutes from `from`: sum[i] += mean, have[i] = 1
 * when the minute has data (the uncovered part of a minute at the covered part's mean). */
static void minute_means(const series_t *s, double from, int k, double gap_ms, double *sum, int *have) {
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
    for (int i = 0; i < k; i++)
        if (cov[i] > 0) { sum[i] += integ[i] / cov[i]; have[i] = 1; }
}

/* ------------------------------------------------------------------ alarms */

static void alarm_set(const char *dev, const char *type, const char *severity, int *flag, int on,
                      const char *details) {
    if (on == *flag) return;
    char req[900];
    if (on)
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"details\":%s}",
                 dev, type, severity, details);
    else
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", dev, type);
    free(il_call(on ? "alarm.raise" : "alarm.clear", req));
    printf("%s %s\n", type, on ? "raised" : "cleared");
    *flag = on;
}

/* 1 raise, 0 clear, -1 keep: above the limit, or back below it by the hysteresis. */
static int judge(double v, double limit, double hyst, int flag) {
    if (v > limit) return 1;
    if (flag && v <= limit - hyst) return 0;
    return flag;
}

static void alarms(const cfg_t *c, st_t *s, const char *dev, double at) {
    char det[700], t[24];
    local_text(c, at, t, sizeof t);
    snprintf(det, sizeof det,
             "{\"hot_spot_c\":%.2f,\"top_oil_c\":%.2f,\"load_pu\":%.3f,\"ambient_c\":%.1f,"
             "\"ageing_rate\":%.3g,\"at\":\"%s\",\"limits\":{\"hot_spot_c\":%g,\"hot_spot_emergency_c\":%g,"
             "\"top_oil_c\":%g,\"load_pu\":%g},\"reference\":\"IEC 60076-7:2018\"}",
             s->th_h, s->th_o, s->K, s->th_a, s->V, t, c->lim_hs, c->lim_hs_em, c->lim_oil, c->lim_k);
    alarm_set(dev, "transformer_hot_spot_high", "warning", &s->a_hs,
              judge(s->th_h, c->lim_hs, c->hyst, s->a_hs), det);
    alarm_set(dev, "transformer_hot_spot_emergency", "major", &s->a_em,
              judge(s->th_h, c->lim_hs_em, c->hyst, s->a_em), det);
    alarm_set(dev, "transformer_top_oil_high", "warning", &s->a_oil,
              judge(s->th_o, c->lim_oil, c->hyst, s->a_oil), det);
    alarm_set(dev, "transformer_overload", "warning", &s->a_k,
              judge(s->K, c->lim_k, 0.05, s->a_k), det);
}

/* ------------------------------------------------------------------ a run */

static int run(cfg_t *c, double at) {
    discover_devices(c);
    if (c->ndev == 0) { il_warn("no load devices: configure `devices`"); return 0; }
    const char *xdev = c->site[0] ? c->site : c->dev[0];
    double end = floor(at / MIN_MS) * MIN_MS;
    st_t s;
    load_state(&s);
    char t1[24], t2[24];
    if (s.last_end <= 0) {
        s.last_end = end;
        s.day = day_of_end(c, end + MIN_MS);
        save_state(c, &s, xdev);
        local_text(c, end, t1, sizeof t1);
        printf("started at %s: the model steps every minute from now on (%d load device(s), %g kVA)\n",
               t1, c->ndev, c->rated);
        return 0;
    }
    if (end <= s.last_end) return 0; /* a late or repeated run */
    if (end - s.last_end > DAY_MS) {
        local_text(c, s.last_end, t1, sizeof t1);
        printf("no run since %s: more than 24 h are skipped, the model restarts\n", t1);
        s.last_end = end - MIN_MS;
        s.init = 0;
    }
    int chunk = c->ndev > 0 ? 120 / c->ndev : MAX_CHUNK;
    if (chunk < 2) chunk = 2;
    if (chunk > MAX_CHUNK) chunk = MAX_CHUNK;
    int k = (int)((end - s.last_end) / MIN_MS);
    if (k > chunk) {
        k = chunk;
        printf("catching up: %d minutes this run\n", k);
    } else if (k > 1) {
        printf("%d minutes closed at once (missed runs)\n", k);
    }
    double from = s.last_end;

    /* The load of each minute: the sum over the devices of their minute means. */
    double load[MAX_CHUNK] = {0}, amb[MAX_CHUNK] = {0};
    int have[MAX_CHUNK] = {0}, have_amb[MAX_CHUNK] = {0};
    double scale = c->scale / c->pf;
    for (int d = 0; d < c->ndev; d++) {
        series_t S;
        if (!read_series(c->dev[d], c->load_p, from - c->max_gap_ms, from + k * MIN_MS, scale, &S)) continue;
        if (S.bad) printf("%s: %d %s values were not numbers (or out of order), skipped\n", c->dev[d], S.bad, c->load_p);
        if (S.truncated) printf("%s: more than %d samples, the rest is not counted\n", c->dev[d], MAX_PTS);
        int h[MAX_CHUNK] = {0};
        minute_means(&S, from, k, c->max_gap_ms, load, h);
        for (int i = 0; i < k; i++) have[i] |= h[i];
        series_free(&S);
    }
    if (c->amb_dev[0] && c->amb_p[0]) {
        series_t A;
        if (read_series(c->amb_dev, c->amb_p, from - 30 * MIN_MS, from + k * MIN_MS, 1.0, &A)) {
            if (A.bad) printf("%s: %d %s values were not numbers, skipped\n", c->amb_dev, A.bad, c->amb_p);
            minute_means(&A, from, k, 30 * MIN_MS, amb, have_amb); /* ambient held up to 30 min */
            series_free(&A);
        }
    }

    int stepped = 0, fixed_amb = 0;
    for (int i = 0; i < k; i++) {
        double mend = from + (i + 1) * MIN_MS;
        double day = day_of_end(c, mend);
        if (s.day != day) close_day(c, &s, day);
        if (!have[i]) continue; /* no load data: the model waits */
        double K = load[i] / c->rated;
        if (K < 0) K = 0;
        double th_a = have_amb[i] ? amb[i] : c->amb_fixed;
        if (!have_amb[i]) fixed_amb++;
        if (!s.init || mend - s.last_data > RESTART_MS) {
            if (s.init) {
                local_text(c, s.last_data, t1, sizeof t1);
                printf("no load data since %s: the model restarts in steady state\n", t1);
            }
            init_state(c, &s, K, th_a);
        }
        step(c, &s, K, th_a, 1.0);
        s.K = K;
        s.th_a = th_a;
        s.V = ageing_rate(c, s.th_h);
        s.last_data = mend;
        s.d_lol += s.V / 60.0;      /* hours at the reference temperature */
        s.t_lol += s.V / 60.0;
        s.d_vsum += s.V;
        s.d_h += 1.0 / 60.0;
        s.t_h += 1.0 / 60.0;
        if (s.th_h > s.d_max_h) { s.d_max_h = s.th_h; s.d_max_h_at = mend; }
        if (s.th_o > s.d_max_o) s.d_max_o = s.th_o;
        if (s.K > s.d_max_k) s.d_max_k = s.K;
        alarms(c, &s, xdev, mend);
        stepped++;
        if (c->write) {
            char req[400], a[32], b[32], v[32];
            snprintf(req, sizeof req,
                     "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"hot_spot_temp\":%s,\"top_oil_temp\":%s,\"ageing_rate\":%s}}",
                     xdev, mend, fnum(a, sizeof a, s.th_h), fnum(b, sizeof b, s.th_o), fnum(v, sizeof v, s.V));
            char *r = il_call("write", req);
            if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
                char msg[600];
                snprintf(msg, sizeof msg, "%s: derived values not stored (declare hot_spot_temp, top_oil_temp, ageing_rate in the thing model or set write_telemetry false): %.300s",
                         xdev, r ? r : "no reply");
                il_warn(msg);
            }
            free(r);
        }
    }
    s.no_amb = c->amb_dev[0] && c->amb_p[0] && fixed_amb > 0;
    if (s.no_amb) printf("%d minute(s) without an ambient reading: %.1f °C assumed\n", fixed_amb, c->amb_fixed);
    s.last_end = from + k * MIN_MS;
    save_state(c, &s, xdev);
    local_text(c, from, t1, sizeof t1);
    local_text(c, s.last_end, t2, sizeof t2);
    if (stepped)
        printf("%s-%s: %d min, load %.3f p.u., ambient %.1f °C: top-oil %.1f °C, hot-spot %.1f °C, V %.4g; "
               "today %.4g h of life in %.2f h\n",
               t1, t2 + 11, stepped, s.K, s.th_a, s.th_o, s.th_h, s.V, s.d_lol, s.d_h);
    else
        printf("%s-%s: no load data, the model waits\n", t1, t2 + 11);
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
