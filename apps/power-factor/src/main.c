/* Power factor, its monthly average as the electricity bill computes it, the capacitor bank
 * that would reach a target, and China's power-factor adjustment of the bill (力调电费).
 *
 * Every minute (schedule "* * * * *") the app closes the time since its last run (at most
 * 60 minutes per run, so a backlog is caught up run by run; a gap over 24 h is skipped):
 *   - each device's active power P and apparent power S (or reactive power Q when
 *     `reactive_property` is set) are read back with `history` and integrated over time,
 *     each sample held until the next one (at most max_gap_s); Q = sqrt(S^2 - P^2);
 *   - the active and reactive energies kWh = ∫P dt and kvarh = ∫|Q| dt are summed per device
 *     and for the site, per local day and per calendar month;
 *   - the power factor of a period is the energy-weighted one the utility bills:
 *     PF = kWh / sqrt(kWh^2 + kvarh^2) (功率因数调整电费办法, 水利电力部/国家物价局
 *     (83)水电财字第215号: 按每月实用有功电量和无功电量计算月平均功率因数), rounded to two
 *     decimals (四舍五入) for the table;
 *   - the adjustment of the month's bill (基本电费 + 电度电费) for the standard 0.90, 0.85 or
 *     0.80 follows the rule of the 办法's table (see adjustment_pct);
 *   - the capacitor bank to reach `target_pf` at the month's mean load:
 *     Qc = P_avg (tan φ1 - tan φ2), rounded up to whole steps of `bank_step_kvar`;
 *   - alarm `power_factor_below_standard` when the month's PF (to date, rounded) is below
 *     the standard once the month has `alarm_min_kwh`; cleared when back at or above it, or
 *     when the month closes.
 *
 * State: "site" (day and month totals, PF, adjustment, capacitor, alarm), "dev:<device>"
 * (per device), "days" and "months" (closed periods, oldest first).
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define MIN_MS 60000.0
#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define MAX_DEV 64
#define MAX_PTS 10000

/* ------------------------------------------------------------------ config */

typedef struct {
    int ndev;
    char dev[MAX_DEV][72];
    char p_prop[72], s_prop[72], q_prop[72], site[72];
    double scale, standard, target, step, price, basic, min_kwh, max_gap_ms, offset_h;
    int write, keep_days, keep_months;
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

/* The text just after the '[' of `"key": [`, or NULL. */
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
    strcpy(c->p_prop, "power");
    strcpy(c->s_prop, "apparent_power");
    c->scale = 1; c->standard = 0.90; c->target = 0.95; c->step = 5; c->price = 0.6;
    c->basic = 0; c->min_kwh = 10; c->offset_h = 8;
    double gap_s = 120, keep_d = 62, keep_m = 24;
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        c->ndev = string_array(array_after(cfg, "devices"), c->dev, MAX_DEV);
        il_json_string(cfg, "active_property", c->p_prop, sizeof c->p_prop);
        il_json_string(cfg, "apparent_property", c->s_prop, sizeof c->s_prop);
        il_json_string(cfg, "reactive_property", c->q_prop, sizeof c->q_prop);
        il_json_string(cfg, "site_device", c->site, sizeof c->site);
        il_json_number(cfg, "power_to_kw", &c->scale);
        il_json_number(cfg, "standard_pf", &c->standard);
        il_json_number(cfg, "target_pf", &c->target);
        il_json_number(cfg, "bank_step_kvar", &c->step);
        il_json_number(cfg, "energy_price", &c->price);
        il_json_number(cfg, "basic_charge", &c->basic);
        il_json_number(cfg, "alarm_min_kwh", &c->min_kwh);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_days", &keep_d);
        il_json_number(cfg, "keep_months", &keep_m);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->max_gap_ms = gap_s * 1000.0;
    if (c->target <= 0 || c->target > 1) c->target = 0.95;
    if (c->step <= 0) c->step = 5;
    c->keep_days = keep_d < 1 ? 1 : keep_d > 256 ? 256 : (int)keep_d;
    c->keep_months = keep_m < 1 ? 1 : keep_m > 120 ? 120 : (int)keep_m;
}

/* No devices configured: every device of the installation's products (first page). */
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

/* Local day number of the instant t (ms). */
static double day_of(const cfg_t *c, double t) {
    return floor((t + c->offset_h * HOUR_MS) / DAY_MS);
}
/* The UTC instant of the local midnight ending day `day`. */
static double day_end(const cfg_t *c, double day) {
    return (day + 1) * DAY_MS - c->offset_h * HOUR_MS;
}
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

/* ------------------------------------------------------------------ the bill */

/* Power factor of energies (1 when there is no reactive energy, -1 when no energy). */
static double pf_of(double kwh, double kvarh) {
    if (kwh <= 0) return -1;
    return kwh / sqrt(kwh * kwh + kvarh * kvarh);
}

/* Two decimals, 四舍五入 (the tiny offset keeps 0.845 from rounding down in binary). */
static double round2(double pf) { return floor(pf * 100.0 + 0.5 + 1e-9) / 100.0; }

/* The adjustment of the bill in percent (+ more, - less) for the rounded power factor
 * `pf` and the standard 0.90, 0.85 or 0.80, by the rule of the table of the 功率因数调整电费
 * 办法 ((83)水电财字第215号):
 *   below the standard: +0.5 % per 0.01 down to 0.20 below it, +1 % per 0.01 for the next
 *   0.05, +2 % per 0.01 below that (standard 0.90: 0.70 +10 %, 0.65 +15 %, 0.64 +17 %);
 *   above the standard: 0.90: -0.15 % per 0.01 up to -0.75 % from 0.95;
 *   0.85: -0.1 % per 0.01 to 0.90 (-0.5 %), then -0.15 % per 0.01 up to -1.1 % from 0.94;
 *   0.80: -0.1 % per 0.01 to 0.90 (-1.0 %), then -0.15 % per 0.01 up to -1.3 % from 0.92. */
static double adjustment_pct(double standard, double pf) {
    int s = (int)floor(standard * 100.0 + 0.5), r = (int)floor(pf * 100.0 + 0.5 + 1e-9);
    if (r < s) {
        int d = s - r;
        if (d <= 20) return 0.5 * d;
        if (d <= 25) return 10.0 + (d - 20);
        return 15.0 + 2.0 * (d - 25);
    }
    int d = r - s;
    if (s >= 90) return -0.15 * (d > 5 ? 5 : d);
    if (s >= 85) return d <= 5 ? -0.1 * d : -(0.5 + 0.15 * (d - 5 > 4 ? 4 : d - 5));
    return d <= 10 ? -0.1 * d : -(1.0 + 0.15 * (d - 10 > 2 ? 2 : d - 10));
}

/* Capacitor bank for `target` at the mean active power of the period. */
static void capacitor(const cfg_t *c, double kwh, double kvarh, double hours, double *qc, double *bank) {
    *qc = 0;
    *bank = 0;
    if (kwh <= 0 || hours <= 0) return;
    double p = kwh / hours;
    double tan1 = kvarh / kwh, tan2 = sqrt(1 - c->target * c->target) / c->target;
    double q = p * (tan1 - tan2);
    if (q <= 0) return;
    *qc = q;
    *bank = ceil(q / c->step - 1e-9) * c->step;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last_end;           /* end of the time closed so far (ms), 0 none */
    double day;                /* local day number of the day totals */
    int month;                 /* YYYYMM of the month totals */
    double d_kwh, d_kvarh, d_h, m_kwh, m_kvarh, m_h;
    double l_kwh, l_kvarh;     /* the last closed interval */
    int alarm;
} site_t;

typedef struct {
    double day; int month;
    double d_kwh, d_kvarh, m_kwh, m_kvarh, l_kwh, l_kvarh, last_ts;
    double prev_day_pf;
} devst_t;

static void load_site(site_t *s) {
    memset(s, 0, sizeof *s);
    char *r = il_kv_get("site");
    if (!r) return;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("last_end", s->last_end); RD("day", s->day); RD("month", s->month);
    RD("day_kwh", s->d_kwh); RD("day_kvarh", s->d_kvarh); RD("day_hours", s->d_h);
    RD("month_kwh", s->m_kwh); RD("month_kvarh", s->m_kvarh); RD("month_hours", s->m_h);
    RD("last_kwh", s->l_kwh); RD("last_kvarh", s->l_kvarh); RD("alarm", s->alarm);
#undef RD
    free(r);
}

static void load_dev(const char *name, devst_t *d) {
    memset(d, 0, sizeof *d);
    d->prev_day_pf = -1;
    char key[96];
    snprintf(key, sizeof key, "dev:%s", name);
    char *r = il_kv_get(key);
    if (!r) return;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("day", d->day); RD("month", d->month);
    RD("day_kwh", d->d_kwh); RD("day_kvarh", d->d_kvarh);
    RD("month_kwh", d->m_kwh); RD("month_kvarh", d->m_kvarh);
    RD("last_kwh", d->l_kwh); RD("last_kvarh", d->l_kvarh); RD("last_ts", d->last_ts);
    RD("prev_day_pf", d->prev_day_pf);
#undef RD
    free(r);
}

/* A number as JSON that always reads as a float ("0.0", not "0"), or null. */
static const char *fnum(char *buf, size_t cap, double v) {
    if (!isfinite(v) || v < 0) { snprintf(buf, cap, "null"); return buf; }
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return buf;
}

static void save_dev(const char *name, const devst_t *d) {
    char req[900], a[32], b[32], e[32], f[32];
    snprintf(req, sizeof req,
             "{\"key\":\"dev:%s\",\"value\":{\"day\":%.0f,\"month\":%d,\"day_kwh\":%.6f,"
             "\"day_kvarh\":%.6f,\"day_pf\":%s,\"month_kwh\":%.6f,\"month_kvarh\":%.6f,"
             "\"month_pf\":%s,\"last_kwh\":%.6f,\"last_kvarh\":%.6f,\"last_pf\":%s,"
             "\"last_ts\":%.0f,\"prev_day_pf\":%s}}",
             name, d->day, d->month, d->d_kwh, d->d_kvarh, fnum(a, sizeof a, pf_of(d->d_kwh, d->d_kvarh)),
             d->m_kwh, d->m_kvarh, fnum(b, sizeof b, pf_of(d->m_kwh, d->m_kvarh)), d->l_kwh,
             d->l_kvarh, fnum(e, sizeof e, pf_of(d->l_kwh, d->l_kvarh)), d->last_ts,
             fnum(f, sizeof f, d->prev_day_pf));
    free(il_call("kv.set", req));
}

/* The month's bill figures. */
typedef struct { double pf, pf2, adj, energy_charge, adjustment, qc, bank; } bill_t;

static void bill_of(const cfg_t *c, double kwh, double kvarh, double hours, bill_t *b) {
    b->pf = pf_of(kwh, kvarh);
    b->pf2 = b->pf >= 0 ? round2(b->pf) : -1;
    b->adj = b->pf >= 0 ? adjustment_pct(c->standard, b->pf2) : 0;
    b->energy_charge = kwh * c->price;
    b->adjustment = b->pf >= 0 ? b->adj / 100.0 * (c->basic + b->energy_charge) : 0;
    capacitor(c, kwh, kvarh, hours, &b->qc, &b->bank);
}

static void save_site(const cfg_t *c, const site_t *s, const char *site_dev) {
    bill_t b;
    bill_of(c, s->m_kwh, s->m_kvarh, s->m_h, &b);
    char req[2048], p1[32], p2[32], p3[32], p4[32], tl[24] = "";
    if (s->last_end > 0) local_text(c, s->last_end, tl, sizeof tl);
    snprintf(req, sizeof req,
             "{\"key\":\"site\",\"value\":{\"last_end\":%.0f,\"last_local\":\"%s\",\"site_device\":\"%s\","
             "\"devices\":%d,\"day\":%.0f,\"month\":%d,\"day_kwh\":%.6f,\"day_kvarh\":%.6f,"
             "\"day_hours\":%.6f,\"day_pf\":%s,\"month_kwh\":%.6f,\"month_kvarh\":%.6f,"
             "\"month_hours\":%.6f,\"month_pf\":%s,\"month_pf_rounded\":%s,\"standard_pf\":%g,"
             "\"adjustment_pct\":%g,\"energy_charge\":%.4f,\"basic_charge\":%g,\"adjustment\":%.4f,"
             "\"target_pf\":%g,\"capacitor_kvar\":%.4f,\"bank_kvar\":%g,\"bank_steps\":%.0f,"
             "\"bank_step_kvar\":%g,\"last_kwh\":%.6f,\"last_kvarh\":%.6f,\"last_pf\":%s,\"alarm\":%d}}",
             s->last_end, tl, site_dev, c->ndev, s->day, s->month, s->d_kwh, s->d_kvarh, s->d_h,
             fnum(p1, sizeof p1, pf_of(s->d_kwh, s->d_kvarh)), s->m_kwh, s->m_kvarh, s->m_h,
             fnum(p2, sizeof p2, b.pf), fnum(p3, sizeof p3, b.pf2), c->standard, b.adj,
             b.energy_charge, c->basic, b.adjustment, c->target, b.qc, b.bank,
             b.bank / c->step, c->step, s->l_kwh, s->l_kvarh,
             fnum(p4, sizeof p4, pf_of(s->l_kwh, s->l_kvarh)), s->alarm);
    free(il_call("kv.set", req));
}

/* ------------------------------------------------------------------ alarms */

static void alarm_raise(const cfg_t *c, const char *dev, const site_t *s, const bill_t *b) {
    char req[900];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"type\":\"power_factor_below_standard\",\"severity\":\"warning\","
             "\"details\":{\"month\":\"%04d-%02d\",\"month_pf\":%.4f,\"month_pf_rounded\":%.2f,"
             "\"standard_pf\":%g,\"adjustment_pct\":%g,\"adjustment\":%.2f,\"month_kwh\":%.3f,"
             "\"month_kvarh\":%.3f,\"capacitor_kvar\":%.2f,\"bank_kvar\":%g,"
             "\"reference\":\"(83)水电财字第215号\"}}",
             dev, s->month / 100, s->month % 100, b->pf, b->pf2, c->standard, b->adj, b->adjustment,
             s->m_kwh, s->m_kvarh, b->qc, b->bank);
    free(il_call("alarm.raise", req));
    printf("power_factor_below_standard raised: month PF %.2f < %.2f, bill %+.2f %%\n", b->pf2,
           c->standard, b->adj);
}

static void alarm_clear(const char *dev) {
    char req[200];
    snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"power_factor_below_standard\"}", dev);
    free(il_call("alarm.clear", req));
    printf("power_factor_below_standard cleared\n");
}

/* ------------------------------------------------------------------ periods */

static void close_day(const cfg_t *c, site_t *s) {
    if (s->day > 0 && (s->d_kwh > 0 || s->d_kvarh > 0)) {
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        char rec[300], p[32];
        snprintf(rec, sizeof rec,
                 "{\"date\":\"%04d-%02d-%02d\",\"kwh\":%.4f,\"kvarh\":%.4f,\"hours\":%.4f,\"pf\":%s}",
                 y, m, d, s->d_kwh, s->d_kvarh, s->d_h, fnum(p, sizeof p, pf_of(s->d_kwh, s->d_kvarh)));
        il_kv_push("days", rec, c->keep_days);
        printf("day %04d-%02d-%02d closed: %.3f kWh, %.3f kvarh, PF %.4f\n", y, m, d, s->d_kwh,
               s->d_kvarh, pf_of(s->d_kwh, s->d_kvarh));
    }
    s->d_kwh = s->d_kvarh = s->d_h = 0;
}

static void close_month(const cfg_t *c, site_t *s, const char *site_dev) {
    if (s->month > 0 && (s->m_kwh > 0 || s->m_kvarh > 0)) {
        bill_t b;
        bill_of(c, s->m_kwh, s->m_kvarh, s->m_h, &b);
        char rec[600], p1[32], p2[32];
        snprintf(rec, sizeof rec,
                 "{\"month\":\"%04d-%02d\",\"kwh\":%.4f,\"kvarh\":%.4f,\"hours\":%.4f,\"pf\":%s,"
                 "\"pf_rounded\":%s,\"standard_pf\":%g,\"adjustment_pct\":%g,\"energy_charge\":%.4f,"
                 "\"adjustment\":%.4f,\"capacitor_kvar\":%.4f,\"bank_kvar\":%g}",
                 s->month / 100, s->month % 100, s->m_kwh, s->m_kvarh, s->m_h,
                 fnum(p1, sizeof p1, b.pf), fnum(p2, sizeof p2, b.pf2), c->standard, b.adj,
                 b.energy_charge, b.adjustment, b.qc, b.bank);
        il_kv_push("months", rec, c->keep_months);
        printf("month %04d-%02d closed: PF %.4f (%.2f), standard %.2f, bill %+.2f %% = %.2f, "
               "capacitor %.2f kvar (bank %g kvar)\n",
               s->month / 100, s->month % 100, b.pf, b.pf2, c->standard, b.adj, b.adjustment, b.qc, b.bank);
    }
    if (s->alarm) {
        alarm_clear(site_dev);
        s->alarm = 0;
    }
    s->m_kwh = s->m_kvarh = s->m_h = 0;
}

/* Moves the site's periods to local day `day` (closing the day and the month left). */
static void roll_site(const cfg_t *c, site_t *s, double day, const char *site_dev) {
    if (s->day == day) return;
    if (s->day > 0) close_day(c, s);
    int month = month_of_day(day);
    if (s->month != month) {
        if (s->month > 0) close_month(c, s, site_dev);
        s->month = month;
    }
    s->day = day;
}

static void roll_dev(devst_t *d, double day) {
    if (d->day == day) return;
    if (d->day > 0) d->prev_day_pf = pf_of(d->d_kwh, d->d_kvarh);
    d->d_kwh = d->d_kvarh = 0;
    int month = month_of_day(day);
    if (d->month != month) {
        d->m_kwh = d->m_kvarh = 0;
        d->month = month;
    }
    d->day = day;
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

/* Reads `prop` of `dev` over [from, to) (`to` excluded by the host) into s; 0 when the call
 * failed (warned). Values that are not numbers are skipped and counted in s->bad. */
static int read_series(const cfg_t *c, const char *dev, const char *prop, double from, double to,
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
    const char *close = p ? strstr(p, "]}") : NULL; /* the end of the points, found once */
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
        if (s->n > 0 && ts < s->ts[s->n - 1]) { s->bad++; continue; } /* out of order */
        if (s->n < MAX_PTS) { s->ts[s->n] = ts; s->v[s->n] = v * c->scale; s->n++; }
    }
    s->truncated = seen >= MAX_PTS;
    free(r);
    return 1;
}

/* Integrates P and S (or Q) held over [a, b): kWh, kvarh and the hours both are known. */
static void integrate(const cfg_t *c, const series_t *P, const series_t *X, int x_is_q, double a,
                      double b, double *kwh, double *kvarh, double *cov_h, int *clamped, double *last_ts) {
    *kwh = *kvarh = *cov_h = 0;
    int ip = -1, ix = -1;
    while (ip + 1 < P->n && P->ts[ip + 1] <= a) ip++;
    while (ix + 1 < X->n && X->ts[ix + 1] <= a) ix++;
    double t = a;
    int guard = 0;
    while (t < b && guard++ < 4 * MAX_PTS + 8) {
        int pv = ip >= 0 && t < P->ts[ip] + c->max_gap_ms;
        int xv = ix >= 0 && t < X->ts[ix] + c->max_gap_ms;
        double nt = b;
        if (ip + 1 < P->n && P->ts[ip + 1] < nt) nt = P->ts[ip + 1];
        if (pv && P->ts[ip] + c->max_gap_ms < nt) nt = P->ts[ip] + c->max_gap_ms;
        if (ix + 1 < X->n && X->ts[ix + 1] < nt) nt = X->ts[ix + 1];
        if (xv && X->ts[ix] + c->max_gap_ms < nt) nt = X->ts[ix] + c->max_gap_ms;
        if (nt <= t) nt = b;
        if (pv && xv) {
            double p = fabs(P->v[ip]), x = X->v[ix], q;
            if (x_is_q) q = fabs(x);
            else {
                double d = x * x - p * p;
                if (d < 0) { (*clamped)++; d = 0; }
                q = sqrt(d);
            }
            double h = (nt - t) / HOUR_MS;
            *kwh += p * h;
            *kvarh += q * h;
            *cov_h += h;
            double lt = fmax(P->ts[ip], X->ts[ix]);
            if (lt > *last_ts) *last_ts = lt;
        }
        t = nt;
        while (ip + 1 < P->n && P->ts[ip + 1] <= t) ip++;
        while (ix + 1 < X->n && X->ts[ix + 1] <= t) ix++;
    }
}

/* ------------------------------------------------------------------ a run */

static int run(cfg_t *c, double at) {
    discover_devices(c);
    if (c->ndev == 0) { il_warn("no devices: configure `devices`"); return 0; }
    const char *site_dev = c->site[0] ? c->site : c->dev[0];
    double end = floor(at / MIN_MS) * MIN_MS;
    site_t s;
    load_site(&s);
    char t1[24], t2[24];
    if (s.last_end <= 0) {
        s.last_end = end;
        s.day = day_of(c, end);
        s.month = month_of_day(s.day);
        save_site(c, &s, site_dev);
        local_text(c, end, t1, sizeof t1);
        printf("started at %s: integrating P and %s of %d device(s) from now on\n", t1,
               c->q_prop[0] ? c->q_prop : c->s_prop, c->ndev);
        return 0;
    }
    if (end <= s.last_end) return 0; /* closed already (a late or repeated run) */
    if (end - s.last_end > DAY_MS) {
        local_text(c, s.last_end, t1, sizeof t1);
        printf("no run since %s: more than 24 h are skipped, the last hour is closed\n", t1);
        s.last_end = end - HOUR_MS;
    }
    double a = s.last_end;
    /* At most an hour a run, less with many devices (fuel: about 1 M per device and hour of
     * 1-s samples); a backlog is caught up run by run. */
    int chunk_min = c->ndev > 0 ? 120 / c->ndev : 60;
    if (chunk_min < 2) chunk_min = 2;
    if (chunk_min > 60) chunk_min = 60;
    double b = fmin(end, a + chunk_min * MIN_MS);
    double dday = day_of(c, a);
    b = fmin(b, day_end(c, dday)); /* a chunk never crosses a local midnight */
    if (b - a > MIN_MS) printf("%.0f minutes closed at once (missed runs)\n", (b - a) / MIN_MS);
    if (b < end) {
        local_text(c, b, t1, sizeof t1);
        printf("catching up: closed up to %s this run\n", t1);
    }
    roll_site(c, &s, dday, site_dev);

    double skwh = 0, skvarh = 0, cov_max = 0;
    int x_is_q = c->q_prop[0] != 0;
    const char *xprop = x_is_q ? c->q_prop : c->s_prop;
    for (int i = 0; i < c->ndev; i++) {
        series_t P, X;
        if (!read_series(c, c->dev[i], c->p_prop, a - c->max_gap_ms, b, &P)) continue;
        if (!read_series(c, c->dev[i], xprop, a - c->max_gap_ms, b, &X)) { series_free(&P); continue; }
        if (P.bad) printf("%s: %d %s values were not numbers (or out of order), skipped\n", c->dev[i], P.bad, c->p_prop);
        if (X.bad) printf("%s: %d %s values were not numbers (or out of order), skipped\n", c->dev[i], X.bad, xprop);
        if (P.truncated || X.truncated)
            printf("%s: more than %d samples in the interval, the rest is not counted\n", c->dev[i], MAX_PTS);
        devst_t d;
        load_dev(c->dev[i], &d);
        roll_dev(&d, dday);
        double kwh, kvarh, cov;
        int clamped = 0;
        integrate(c, &P, &X, x_is_q, a, b, &kwh, &kvarh, &cov, &clamped, &d.last_ts);
        if (clamped) printf("%s: apparent power below active power %d time(s), reactive power taken as 0\n", c->dev[i], clamped);
        if (P.n == 0 && X.n == 0) {
            /* nothing reported: keep quiet unless the device was seen before */
        } else if (cov <= 0) {
            printf("%s: no interval with both %s and %s, nothing counted\n", c->dev[i], c->p_prop, xprop);
        }
        d.d_kwh += kwh; d.d_kvarh += kvarh; d.m_kwh += kwh; d.m_kvarh += kvarh;
        d.l_kwh = kwh; d.l_kvarh = kvarh;
        skwh += kwh; skvarh += kvarh;
        if (cov > cov_max) cov_max = cov;
        save_dev(c->dev[i], &d);
        if (c->write && kwh > 0) {
            char req[300], f[32];
            snprintf(req, sizeof req, "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"power_factor\":%s}}",
                     c->dev[i], b, fnum(f, sizeof f, pf_of(kwh, kvarh)));
            char *r = il_call("write", req);
            if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
                char msg[600];
                snprintf(msg, sizeof msg, "%s: power_factor not stored (declare it in the thing model or set write_telemetry false): %.400s",
                         c->dev[i], r ? r : "no reply");
                il_warn(msg);
            }
            free(r);
        }
        series_free(&P);
        series_free(&X);
    }
    s.d_kwh += skwh; s.d_kvarh += skvarh; s.m_kwh += skwh; s.m_kvarh += skvarh;
    s.d_h += cov_max; s.m_h += cov_max;
    s.l_kwh = skwh; s.l_kvarh = skvarh;
    s.last_end = b;

    /* The month's judgement, before a month that ends here is closed. */
    bill_t bl;
    bill_of(c, s.m_kwh, s.m_kvarh, s.m_h, &bl);
    if (s.m_kwh >= c->min_kwh && bl.pf >= 0) {
        if (bl.pf2 < c->standard - 1e-9 && !s.alarm) {
            alarm_raise(c, site_dev, &s, &bl);
            s.alarm = 1;
        } else if (bl.pf2 >= c->standard - 1e-9 && s.alarm) {
            alarm_clear(site_dev);
            s.alarm = 0;
        }
    }
    local_text(c, a, t1, sizeof t1);
    local_text(c, b, t2, sizeof t2);
    if (skwh > 0)
        printf("%s-%s: %.4f kWh, %.4f kvarh, PF %.4f; month PF %.4f (%.2f), bill %+.2f %%\n", t1, t2 + 11,
               skwh, skvarh, pf_of(skwh, skvarh), bl.pf, bl.pf2, bl.adj);
    else
        printf("%s-%s: no active energy\n", t1, t2 + 11);
    roll_site(c, &s, day_of(c, b), site_dev); /* reaching midnight closes the day (and month) */
    save_site(c, &s, site_dev);
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
