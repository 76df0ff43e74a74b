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

#include "ironloom_util.h"

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
