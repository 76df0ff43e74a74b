/* Maximum demand (最大需量) of an electricity supply.
 *
 * Every minute (schedule "* * * * *") the app closes the minutes since its last run:
 *   - each configured device's power is read back (`history`) and averaged over the minute,
 *     time-weighted (each sample held until the next one, at most max_gap_s);
 *   - the site's minute mean is the sum over the devices (in kW);
 *   - the demand (需量) is the mean of the last `window_min` minute means (需量周期 15 min),
 *     evaluated every `slide_min` minutes (滑差时间 1 min): the sliding-window demand of
 *     DL/T 1490-2015 §2.2-2.5 (DL/T 614 multifunction meters measure it the same way);
 *   - the month's maximum demand (最大需量) and when it happened; a day's maximum too;
 *   - the forecast of the window ending `forecast_min` minutes ahead: the known minute
 *     means plus the present power for the minutes still to come (the "projected demand"
 *     of demand controllers, e.g. Tridium Niagara's ElectricalDemandLimit);
 *   - the demand charge (基本电费) of the month under the two-part tariff (两部制电价):
 *     contract demand C: price*C, plus twice the price for the part of the maximum demand
 *     above 105 % of C (发改办价格〔2016〕1583号); or actual maximum demand: price*max(D, min);
 *   - alarms: `demand_forecast_high` when the forecast reaches warn_pct % of C,
 *     `demand_over_contract` when a measured demand exceeds penalty_pct % of C.
 *
 * State: "site" (the last minute means, the month's and day's maxima, the forecast, the
 * charge, alarm flags), "months" and "days" (closed months and days, oldest first).
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define MIN_MS 60000.0
#define DAY_MS 86400000.0
#define MAX_DEV 64
#define MAX_WIN 60

/* ------------------------------------------------------------------ config */

typedef struct {
    int ndev;
    char dev[MAX_DEV][72];
    char prop[72], site[72];
    double scale, contract, warn_pct, penalty_pct, price, min_billed, max_gap_ms, offset_h;
    int window, slide, horizon, actual_billing, write, keep_months;
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

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return p;
}

/* Past one JSON value that is not a number (a string, escapes included; null, true,
 * false): at the ',' or ']' after it. */
static const char *skip_value(const char *p) {
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : p;
    }
    while (*p && *p != ',' && *p != ']') p++;
    return p;
}

/* Strings of a JSON array of strings (no escapes) into names; returns the count. */
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
    strcpy(c->prop, "power");
    c->scale = 1; c->contract = 30; c->warn_pct = 95; c->penalty_pct = 105; c->price = 40;
    c->min_billed = 0; c->offset_h = 8;
    double window = 15, slide = 1, horizon = 5, gap_s = 120, keep = 24;
    char billing[16] = "contract";
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        c->ndev = string_array(array_after(cfg, "devices"), c->dev, MAX_DEV);
        il_json_string(cfg, "power_property", c->prop, sizeof c->prop);
        il_json_string(cfg, "site_device", c->site, sizeof c->site);
        il_json_string(cfg, "billing", billing, sizeof billing);
        il_json_number(cfg, "power_to_kw", &c->scale);
        il_json_number(cfg, "contract_kw", &c->contract);
        il_json_number(cfg, "warn_pct", &c->warn_pct);
        il_json_number(cfg, "penalty_pct", &c->penalty_pct);
        il_json_number(cfg, "price_per_kw_month", &c->price);
        il_json_number(cfg, "min_billed_kw", &c->min_billed);
        il_json_number(cfg, "window_min", &window);
        il_json_number(cfg, "slide_min", &slide);
        il_json_number(cfg, "forecast_min", &horizon);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_months", &keep);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->window = window < 1 ? 1 : window > MAX_WIN ? MAX_WIN : (int)window;
    c->slide = slide < 1 ? 1 : slide > c->window ? c->window : (int)slide;
    c->horizon = horizon < 0 ? 0 : horizon > c->window - 1 ? c->window - 1 : (int)horizon;
    c->max_gap_ms = gap_s * 1000.0;
    c->actual_billing = strcmp(billing, "actual") == 0;
    c->keep_months = keep < 1 ? 1 : keep > 120 ? 120 : (int)keep;
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

/* The local day number and month key (YYYYMM) of the minute ending at t: a minute or
 * window belongs to the period its end falls in... minus 1 ms, so that 00:00 closes the
 * previous day. */
static double day_of(const cfg_t *c, double t) {
    return floor((t - 1 + c->offset_h * 3600000.0) / DAY_MS);
}
static int month_of(const cfg_t *c, double t) {
    int y, m, d;
    civil((long)day_of(c, t), &y, &m, &d);
    return y * 100 + m;
}
static void local_text(const cfg_t *c, double t, char *out, size_t cap) {
    double l = t + c->offset_h * 3600000.0;
    double day = floor(l / DAY_MS);
    int y, m, d;
    civil((long)day, &y, &m, &d);
    int mins = (int)((l - day * DAY_MS) / MIN_MS);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", y, m, d, mins / 60, mins % 60);
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last_end;          /* end of the last closed minute (ms), 0 none */
    int n;                    /* minute means known, contiguous, ending at last_end */
    double m[MAX_WIN];        /* oldest first */
    double demand, demand_at; /* last evaluated demand and its window end */
    double forecast, present; /* forecast of the window ending horizon minutes ahead; present power */
    int has_forecast;
    int month;                /* YYYYMM of the month's maximum */
    double max, max_at;
    double day, day_max, day_max_at;
    int warn_alarm, over_alarm;
    double charge, billed, coverage;
} st_t;

static void load_state(st_t *s) {
    memset(s, 0, sizeof *s);
    char *r = il_kv_get("site");
    if (!r) return;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("last_end", s->last_end); RD("demand_kw", s->demand); RD("demand_at", s->demand_at);
    RD("month", s->month); RD("max_kw", s->max); RD("max_at", s->max_at);
    RD("day", s->day); RD("day_max_kw", s->day_max); RD("day_max_at", s->day_max_at);
    RD("warn_alarm", s->warn_alarm); RD("over_alarm", s->over_alarm);
#undef RD
    const char *p = array_after(r, "minutes");
    while (p && *p && *p != ']' && s->n < MAX_WIN) {
        char *e;
        double x = strtod(p, &e);
        if (e == p) { p++; continue; }
        s->m[s->n++] = x;
        p = e;
    }
    free(r);
}

static void fnum(char *buf, size_t cap, double v) {
    if (!isfinite(v)) { snprintf(buf, cap, "null"); return; }
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
}

static void save_state(const cfg_t *c, const st_t *s) {
    char req[4096], a[32], b[32], f[32], mins[1600] = "";
    int w = 0;
    for (int i = 0; i < s->n && w < (int)sizeof mins - 40; i++)
        w += snprintf(mins + w, sizeof mins - w, "%s%.6f", i ? "," : "", s->m[i]);
    fnum(a, sizeof a, s->demand);
    fnum(f, sizeof f, s->forecast);
    if (s->demand_at <= 0) strcpy(a, "null");
    if (!s->has_forecast) strcpy(f, "null");
    fnum(b, sizeof b, s->present);
    char maxt[24] = "", dayt[24] = "";
    if (s->max_at > 0) local_text(c, s->max_at, maxt, sizeof maxt);
    if (s->day_max_at > 0) local_text(c, s->day_max_at, dayt, sizeof dayt);
    snprintf(req, sizeof req,
             "{\"key\":\"site\",\"value\":{\"last_end\":%.0f,\"minutes\":[%s],\"demand_kw\":%s,"
             "\"demand_at\":%.0f,\"forecast_kw\":%s,\"present_kw\":%s,\"month\":%d,\"max_kw\":%.6f,"
             "\"max_at\":%.0f,\"max_local\":\"%s\",\"day\":%.0f,\"day_max_kw\":%.6f,\"day_max_at\":%.0f,"
             "\"day_max_local\":\"%s\",\"contract_kw\":%g,\"warn_pct\":%g,\"penalty_pct\":%g,"
             "\"billing\":\"%s\",\"price\":%g,\"billed_kw\":%.6f,\"charge\":%.4f,\"window_min\":%d,"
             "\"slide_min\":%d,\"forecast_min\":%d,\"devices\":%d,\"coverage\":%.4f,"
             "\"warn_alarm\":%d,\"over_alarm\":%d}}",
             s->last_end, mins, a, s->demand_at, f, b, s->month, s->max, s->max_at, maxt, s->day,
             s->day_max, s->day_max_at, dayt, c->contract, c->warn_pct, c->penalty_pct,
             c->actual_billing ? "actual" : "contract", c->price, s->billed, s->charge, c->window,
             c->slide, c->horizon, c->ndev, s->coverage, s->warn_alarm, s->over_alarm);
    free(il_call("kv.set", req));
}

/* The month's demand charge (基本电费) for maximum demand `d`. */
static void charge_of(const cfg_t *c, double d, double *billed, double *charge) {
    if (c->actual_billing) {
        *billed = fmax(d, c->min_billed);
        *charge = c->price * *billed;
    } else {
        double limit = c->contract * c->penalty_pct / 100.0;
        double over = d > limit ? d - limit : 0;
        *billed = c->contract + 2 * over; /* the part above 105 % is charged twice */
        *charge = c->price * *billed;
    }
}

static void close_month(const cfg_t *c, st_t *s, int month) {
    if (s->month > 0 && s->max > 0) {
        double billed, charge;
        charge_of(c, s->max, &billed, &charge);
        char rec[400], t[24];
        local_text(c, s->max_at, t, sizeof t);
        snprintf(rec, sizeof rec,
                 "{\"month\":\"%04d-%02d\",\"max_kw\":%.6f,\"max_local\":\"%s\",\"contract_kw\":%g,"
                 "\"billed_kw\":%.6f,\"charge\":%.4f}",
                 s->month / 100, s->month % 100, s->max, t, c->contract, billed, charge);
        il_kv_push("months", rec, c->keep_months);
        printf("month %04d-%02d closed: maximum demand %.2f kW at %s, demand charge %.2f\n",
               s->month / 100, s->month % 100, s->max, t, charge);
    }
    s->month = month;
    s->max = s->max_at = 0;
}

static void close_day(const cfg_t *c, st_t *s, double day) {
    if (s->day > 0 && s->day_max > 0) {
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        char rec[200], t[24];
        local_text(c, s->day_max_at, t, sizeof t);
        snprintf(rec, sizeof rec, "{\"date\":\"%04d-%02d-%02d\",\"max_kw\":%.6f,\"max_local\":\"%s\"}",
                 y, m, d, s->day_max, t);
        il_kv_push("days", rec, 62);
    }
    s->day = day;
    s->day_max = s->day_max_at = 0;
}

/* ------------------------------------------------------------------ power */

/* Adds value v held over [a, b) to the minutes [from + i min, from + (i+1) min), i < k. */
static void hold(double from, int k, double a, double b, double v, double *integ, double *cov) {
    if (b <= a) return;
    int i0 = (int)floor((a - from) / MIN_MS), i1 = (int)ceil((b - from) / MIN_MS);
    if (i0 < 0) i0 = 0;
    if (i1 > k) i1 = k;
    for (int i = i0; i < i1; i++) {
        double s0 = from + i * MIN_MS, s1 = s0 + MIN_MS;
        double lo = fmax(a, s0), hi = fmin(b, s1);
        if (hi > lo) { integ[i] += v * (hi - lo); cov[i] += hi - lo; }
    }
}

/* Time-weighted means of one device's power over `k` minutes ending at `end`, from its
 * history; mean[i] < 0 when the minute has no data. `present` gets the last value at most
 * max_gap before `end` (or -1). Returns the number of values that were not numbers. */
static int device_minutes(const cfg_t *c, const char *dev, double end, int k, double *mean,
                          double *cover, double *present, int *has_present) {
    double from = end - k * MIN_MS;
    for (int i = 0; i < k; i++) { mean[i] = 0; cover[i] = 0; }
    *present = 0;
    *has_present = 0;
    char req[320];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"property\":\"%s\",\"from\":%.0f,\"to\":%.0f,\"limit\":10000}",
             dev, c->prop, from - c->max_gap_ms, end + 1);
    char *r = il_call("history", req);
    if (!il_ok(r)) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s: no history of %s: %.300s", dev, c->prop, r ? r : "no reply");
        il_warn(msg);
        free(r);
        return 0;
    }
    double integ[MAX_WIN + 1] = {0}, cov[MAX_WIN + 1] = {0};
    int bad = 0, have = 0;
    double pt = 0, pv = 0; /* the previous sample */
    /* One pass over [[ts, value], ...]: each point is read where the previous one ended, so
     * an hour of 1-second samples costs 3600 short steps (the end of the list is never
     * searched for again). A value that is not a number is skipped whole, even a string
     * holding brackets. */
    const char *p = array_after(r, "points");
    while (p) {
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
        if (*p != '[') break; /* ']': the end of the points */
        char *e;
        double ts = strtod(p + 1, &e);
        if (e == p + 1) break;
        const char *vp = ws(e);
        if (*vp != ',') break;
        vp = ws(vp + 1);
        char *ve;
        double v = strtod(vp, &ve);
        int ok = ve != vp && isfinite(v);
        const char *cb = ws(ok ? ve : skip_value(vp));
        if (*cb != ']') break;
        p = cb + 1;
        if (!ok) { bad++; continue; }
        v *= c->scale;
        if (have) {
            /* pv held over [pt, min(ts, pt + gap)) */
            double a = pt, b = fmin(ts, pt + c->max_gap_ms);
            hold(from, k, a, b, pv, integ, cov);
        }
        if (ts <= end) { pt = ts; pv = v; have = 1; }
    }
    if (have) {
        double a = pt, b = fmin(end, pt + c->max_gap_ms);
        hold(from, k, a, b, pv, integ, cov);
        if (end - pt <= c->max_gap_ms) { *present = pv; *has_present = 1; }
    }
    for (int i = 0; i < k; i++) {
        cover[i] = cov[i] / MIN_MS;
        if (cov[i] > 0) mean[i] = integ[i] / cov[i]; /* the uncovered part at the covered mean */
    }
    free(r);
    return bad;
}

/* ------------------------------------------------------------------ alarms */

static void alarm(const cfg_t *c, const char *dev, const char *type, int raise, const char *details) {
    char req[900];
    if (raise)
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"details\":%s}",
                 dev, type, strcmp(type, "demand_over_contract") == 0 ? "major" : "warning", details);
    else
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", dev, type);
    free(il_call(raise ? "alarm.raise" : "alarm.clear", req));
    printf("%s %s\n", type, raise ? "raised" : "cleared");
    (void)c;
}

/* ------------------------------------------------------------------ the minute */

static int run(cfg_t *c, double at) {
    discover_devices(c);
    if (c->ndev == 0) { il_warn("no devices to sum: configure `devices`"); return 0; }
    const char *site = c->site[0] ? c->site : c->dev[0];
    double end = floor(at / MIN_MS) * MIN_MS;
    st_t s;
    load_state(&s);
    if (s.last_end >= end) return 0; /* this minute is closed already */
    int k;
    if (s.last_end <= 0 || end - s.last_end > MAX_WIN * MIN_MS) {
        if (s.last_end > 0) {
            char t[24];
            local_text(c, s.last_end, t, sizeof t);
            printf("no run since %s: the window restarts\n", t);
        }
        k = s.last_end > 0 ? c->window : 1;
        if (s.last_end > 0) s.n = 0;
    } else {
        k = (int)((end - s.last_end) / MIN_MS);
        if (k > 1) printf("%d minutes closed at once (missed runs)\n", k);
    }

    double total[MAX_WIN], mean[MAX_WIN], cover[MAX_WIN], present = 0, covsum = 0;
    int with_data[MAX_WIN], with_present = 0;
    for (int i = 0; i < k; i++) { total[i] = 0; with_data[i] = 0; }
    for (int d = 0; d < c->ndev; d++) {
        double pres;
        int hp;
        int bad = device_minutes(c, c->dev[d], end, k, mean, cover, &pres, &hp);
        if (bad) printf("%s: %d %s values were not numbers, skipped\n", c->dev[d], bad, c->prop);
        for (int i = 0; i < k; i++)
            if (cover[i] > 0) { total[i] += mean[i]; with_data[i]++; }
        covsum += cover[k - 1];
        if (hp) { present += pres; with_present++; }
    }
    s.coverage = covsum / c->ndev;
    s.present = present;

    for (int i = 0; i < k; i++) {
        double mend = end - (k - 1 - i) * MIN_MS;
        if (with_data[i] == 0) {
            char t[24];
            local_text(c, mend, t, sizeof t);
            printf("minute ending %s: no power data from any device, the window restarts\n", t);
            s.n = 0;
            continue;
        }
        if (s.n == MAX_WIN) { memmove(s.m, s.m + 1, sizeof(double) * (MAX_WIN - 1)); s.n--; }
        s.m[s.n++] = total[i];
        /* Periods: a window belongs to the day and month its end falls in. */
        int month = month_of(c, mend);
        double day = day_of(c, mend);
        if (s.month != month) close_month(c, &s, month);
        if (s.day != day) close_day(c, &s, day);
        if (s.n >= c->window && ((long long)(mend / MIN_MS)) % c->slide == 0) {
            double sum = 0;
            for (int j = s.n - c->window; j < s.n; j++) sum += s.m[j];
            s.demand = sum / c->window;
            s.demand_at = mend;
            if (s.demand > s.max) { s.max = s.demand; s.max_at = mend; }
            if (s.demand > s.day_max) { s.day_max = s.demand; s.day_max_at = mend; }
        }
    }
    if (s.n > c->window) { memmove(s.m, s.m + s.n - c->window, sizeof(double) * c->window); s.n = c->window; }
    s.last_end = end;

    /* Forecast: the window ending `horizon` minutes from now = the last window - horizon
     * known minutes + the present power for the rest. */
    int known = c->window - c->horizon;
    s.has_forecast = 0;
    if (s.n >= known && with_present > 0) {
        double sum = 0;
        for (int j = s.n - known; j < s.n; j++) sum += s.m[j];
        s.forecast = (sum + c->horizon * present) / c->window;
        s.has_forecast = 1;
    }
    charge_of(c, s.max, &s.billed, &s.charge);

    /* Alarms. */
    char det[600], t[24];
    double warn = c->contract * c->warn_pct / 100.0, limit = c->contract * c->penalty_pct / 100.0;
    if (s.has_forecast && s.forecast >= warn && !s.warn_alarm) {
        local_text(c, end + c->horizon * MIN_MS, t, sizeof t);
        snprintf(det, sizeof det,
                 "{\"forecast_kw\":%.2f,\"window_end\":\"%s\",\"contract_kw\":%g,\"warn_kw\":%.2f,"
                 "\"present_kw\":%.2f,\"shed_kw\":%.2f}",
                 s.forecast, t, c->contract, warn, present,
                 c->horizon > 0 ? (s.forecast - warn) * c->window / c->horizon : 0.0);
        alarm(c, site, "demand_forecast_high", 1, det);
        s.warn_alarm = 1;
    } else if (s.warn_alarm && s.has_forecast && s.forecast < warn) {
        alarm(c, site, "demand_forecast_high", 0, NULL);
        s.warn_alarm = 0;
    }
    if (s.demand_at == end && s.demand > limit && !s.over_alarm) {
        local_text(c, end, t, sizeof t);
        snprintf(det, sizeof det,
                 "{\"demand_kw\":%.2f,\"window_end\":\"%s\",\"contract_kw\":%g,\"limit_kw\":%.2f,"
                 "\"month_max_kw\":%.2f,\"charge\":%.2f}",
                 s.demand, t, c->contract, limit, s.max, s.charge);
        alarm(c, site, "demand_over_contract", 1, det);
        s.over_alarm = 1;
    } else if (s.over_alarm && s.demand_at == end && s.demand <= c->contract) {
        alarm(c, site, "demand_over_contract", 0, NULL);
        s.over_alarm = 0;
    }

    if (c->write && s.demand_at == end) {
        char req[512], a[32], b[32], f[32];
        fnum(a, sizeof a, s.demand);
        fnum(b, sizeof b, s.max);
        fnum(f, sizeof f, s.forecast);
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"demand_kw\":%s,\"max_demand_kw\":%s%s%s}}",
                 site, end, a, b, s.has_forecast ? ",\"demand_forecast_kw\":" : "",
                 s.has_forecast ? f : "");
        char *r = il_call("write", req);
        if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: derived telemetry not (fully) stored: %.400s", site, r ? r : "no reply");
            il_warn(msg);
        }
        free(r);
    }
    save_state(c, &s);
    local_text(c, end, t, sizeof t);
    char dtxt[32] = "-", ftxt[32] = "-";
    if (s.demand_at == end) snprintf(dtxt, sizeof dtxt, "%.3f", s.demand);
    if (s.has_forecast) snprintf(ftxt, sizeof ftxt, "%.3f", s.forecast);
    printf("%s: minute %.3f kW, demand %s kW, forecast %s kW, month max %.3f kW, charge %.2f\n", t,
           s.n > 0 ? s.m[s.n - 1] : 0.0, dtxt, ftxt, s.max, s.charge);
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
