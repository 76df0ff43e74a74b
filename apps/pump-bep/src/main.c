/* Pump operating point against the best efficiency point (BEP).
 *
 * On every message carrying the pump's flow, head or speed (the others are taken from the
 * device's latest values when they are recent enough):
 *   - the BEP of the data sheet (Q_bep, H_bep at the rated speed n0) is moved to the
 *     running speed n by the affinity laws: Q_bep(n) = Q_bep * n/n0,
 *     H_bep(n) = H_bep * (n/n0)^2;
 *   - the flow ratio q = Q / Q_bep(n) places the pump in the preferred operating region
 *     (POR, ANSI/HI 9.6.3 §9.6.3.1: 70-120 % of BEP flow for most pumps, 80-120 % above
 *     a specific speed of 4500 US units), the manufacturer's allowable operating region
 *     (AOR), or outside it; a pump that is not running counts as stopped;
 *   - the time between readings is credited to the region of the earlier reading (never
 *     more than max_gap_s; the rest is "no data"), per local day and since installation;
 *   - an alarm `pump_outside_por` is raised after `por_alarm_min` of continuous running
 *     outside the POR and `pump_outside_aor` after `aor_alarm_min` outside the AOR;
 *     each is cleared when the pump is back inside (or stops).
 *
 * State (crash-only: everything lives in the installation's key-value state):
 *   "p:<device>"  the last operating point, region, timers and the day's and total times
 *   "d:<device>"  the last closed days (seconds per region), oldest first
 */
#include "ironloom.h"
#include <math.h>

#define DAY_MS 86400000.0

enum { STOPPED = 0, POR = 1, AOR = 2, OUT = 3, NODATA = 4, NB = 5 };
static const char *REGION_NAME[] = {"stopped", "POR", "AOR", "outside AOR", "no data"};

/* ------------------------------------------------------------------ config */

typedef struct {
    char flow_p[72], head_p[72], speed_p[72], run_p[72];
    double q_bep, h_bep, n0, stages;
    double por_low, por_high, aor_low, aor_high;
    double por_alarm_ms, aor_alarm_ms, max_gap_ms, min_speed, offset_h;
    double ns_us; /* specific speed at the BEP, US units (gpm, ft, r/min) */
    int por_auto, keep_days, write;
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

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->flow_p, "flow");
    strcpy(c->head_p, "head");
    strcpy(c->speed_p, "speed_setpoint");
    strcpy(c->run_p, "run_state");
    c->q_bep = 42; c->h_bep = 32.7; c->n0 = 1450; c->stages = 1;
    c->por_low = 0; c->por_high = 120; c->aor_low = 50; c->aor_high = 125;
    double por_min = 15, aor_min = 2, gap_s = 300, keep = 31;
    c->min_speed = 100; c->offset_h = 8; c->write = 1;
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        il_json_string(cfg, "flow_property", c->flow_p, sizeof c->flow_p);
        il_json_string(cfg, "head_property", c->head_p, sizeof c->head_p);
        il_json_string(cfg, "speed_property", c->speed_p, sizeof c->speed_p);
        il_json_string(cfg, "run_property", c->run_p, sizeof c->run_p);
        il_json_number(cfg, "bep_flow", &c->q_bep);
        il_json_number(cfg, "bep_head", &c->h_bep);
        il_json_number(cfg, "rated_speed", &c->n0);
        il_json_number(cfg, "stages", &c->stages);
        il_json_number(cfg, "por_low_pct", &c->por_low);
        il_json_number(cfg, "por_high_pct", &c->por_high);
        il_json_number(cfg, "aor_low_pct", &c->aor_low);
        il_json_number(cfg, "aor_high_pct", &c->aor_high);
        il_json_number(cfg, "por_alarm_min", &por_min);
        il_json_number(cfg, "aor_alarm_min", &aor_min);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "min_speed", &c->min_speed);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_days", &keep);
        c->write = json_bool(cfg, "write_telemetry", 1);
    }
    free(cfg);
    if (c->stages < 1) c->stages = 1;
    /* Specific speed at the BEP (rated speed, head per stage), US customary units. */
    c->ns_us = (c->q_bep > 0 && c->h_bep > 0)
                   ? c->n0 * sqrt(c->q_bep * 4.402867539) / pow(c->h_bep / c->stages * 3.280839895, 0.75)
                   : 0;
    /* por_low_pct 0: ANSI/HI 9.6.3 §9.6.3.1 by specific speed. */
    if (c->por_low <= 0) {
        c->por_auto = 1;
        c->por_low = c->ns_us > 4500 ? 80 : 70;
    }
    c->por_alarm_ms = por_min * 60000.0;
    c->aor_alarm_ms = aor_min * 60000.0;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_days = keep < 1 ? 1 : keep > 366 ? 366 : (int)keep;
}

/* ------------------------------------------------------------------ readings */

/* The value of `prop` in the event: 1 number, 0 absent, -1 present but not a number. */
static int event_value(const char *event, const char *prop, double *v, double *ts) {
    if (!prop[0]) return 0;
    char pat[96];
    int n = snprintf(pat, sizeof pat, "\"property\":\"%s\"", prop);
    if (n <= 0 || n >= (int)sizeof pat) return 0;
    const char *p = strstr(event, pat);
    if (!p) return 0;
    const char *end = strchr(p, '}');
    *ts = 0;
    const char *t = il_json_number(p, "ts", ts);
    if (!t || (end && t > end + 1)) *ts = 0;
    const char *q = strstr(p, "\"value\":");
    if (!q || (end && q > end)) return -1;
    q += 8;
    while (*q == ' ') q++;
    if (strncmp(q, "true", 4) == 0) { *v = 1; return 1; }
    if (strncmp(q, "false", 5) == 0) { *v = 0; return 1; }
    char *e;
    double x = strtod(q, &e);
    if (e == q || !isfinite(x)) return -1;
    *v = x;
    return 1;
}

/* `prop` in a `latest` reply ({"ok":{"values":{prop:{"ts":..,"value":..}}}}). */
static int latest_value(const char *reply, const char *prop, double *v, double *ts) {
    if (!reply || !prop[0]) return 0;
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":{", prop);
    const char *p = strstr(reply, pat);
    if (!p) return 0;
    const char *end = strchr(p, '}');
    const char *q = strstr(p, "\"value\":");
    if (!q || (end && q > end)) return 0;
    q += 8;
    while (*q == ' ') q++;
    if (strncmp(q, "true", 4) == 0) *v = 1;
    else if (strncmp(q, "false", 5) == 0) *v = 0;
    else {
        char *e;
        double x = strtod(q, &e);
        if (e == q || !isfinite(x)) return 0;
        *v = x;
    }
    *ts = 0;
    const char *t = il_json_number(p, "ts", ts);
    if (!t || (end && t > end + 1)) *ts = 0;
    return 1;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last;             /* time of the last reading used (ms) */
    int region;              /* region of the last reading, -1 none */
    double out_since;        /* running outside the POR since (0: not) */
    double aor_since;        /* running outside the AOR since (0: not) */
    int por_alarm, aor_alarm;
    double day;              /* local day number of the day's times */
    double d[NB], tot[NB];   /* seconds per region: today, since installation */
    double q, h, n, qn, hn, pct, hpct;
    int refused;             /* the thing model refused the derived values once */
} st_t;

static int load_state(const char *device, st_t *s) {
    memset(s, 0, sizeof *s);
    s->region = -1;
    char key[160];
    snprintf(key, sizeof key, "p:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("last", s->last); RD("region", s->region); RD("out_since", s->out_since);
    RD("aor_since", s->aor_since); RD("por_alarm", s->por_alarm); RD("aor_alarm", s->aor_alarm);
    RD("day", s->day); RD("refused", s->refused);
    RD("d_stopped", s->d[STOPPED]); RD("d_por", s->d[POR]); RD("d_aor", s->d[AOR]);
    RD("d_out", s->d[OUT]); RD("d_nodata", s->d[NODATA]);
    RD("t_stopped", s->tot[STOPPED]); RD("t_por", s->tot[POR]); RD("t_aor", s->tot[AOR]);
    RD("t_out", s->tot[OUT]); RD("t_nodata", s->tot[NODATA]);
#undef RD
    free(r);
    return s->last > 0;
}

static void save_state(const cfg_t *c, const char *device, const st_t *s) {
    char req[1600];
    snprintf(req, sizeof req,
             "{\"key\":\"p:%s\",\"value\":{\"last\":%.0f,\"region\":%d,\"region_name\":\"%s\","
             "\"flow\":%.10g,\"head\":%.10g,\"speed\":%.10g,\"bep_flow_n\":%.10g,"
             "\"bep_head_n\":%.10g,\"flow_pct\":%.10g,\"head_pct\":%.10g,"
             "\"por_low\":%g,\"por_high\":%g,\"aor_low\":%g,\"aor_high\":%g,\"ns_us\":%.1f,"
             "\"out_since\":%.0f,\"aor_since\":%.0f,\"por_alarm\":%d,\"aor_alarm\":%d,"
             "\"day\":%.0f,\"d_stopped\":%.3f,\"d_por\":%.3f,\"d_aor\":%.3f,\"d_out\":%.3f,"
             "\"d_nodata\":%.3f,\"t_stopped\":%.3f,\"t_por\":%.3f,\"t_aor\":%.3f,\"t_out\":%.3f,"
             "\"t_nodata\":%.3f,\"refused\":%d}}",
             device, s->last, s->region, s->region >= 0 ? REGION_NAME[s->region] : "",
             s->q, s->h, s->n, s->qn, s->hn, s->pct, s->hpct,
             c->por_low, c->por_high, c->aor_low, c->aor_high, c->ns_us,
             s->out_since, s->aor_since, s->por_alarm, s->aor_alarm, s->day,
             s->d[STOPPED], s->d[POR], s->d[AOR], s->d[OUT], s->d[NODATA],
             s->tot[STOPPED], s->tot[POR], s->tot[AOR], s->tot[OUT], s->tot[NODATA],
             s->refused);
    free(il_call("kv.set", req));
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

static double local_day(const cfg_t *c, double t) {
    return floor((t + c->offset_h * 3600000.0) / DAY_MS);
}

/* Closes the day in `s` (history record) and starts `day`. */
static void close_day(const cfg_t *c, const char *device, st_t *s, double day) {
    double sum = 0;
    for (int i = 0; i < NB; i++) sum += s->d[i];
    if (sum > 0) {
        int y, m, dd;
        civil((long)s->day, &y, &m, &dd);
        char rec[400], key[160];
        snprintf(rec, sizeof rec,
                 "{\"date\":\"%04d-%02d-%02d\",\"stopped_s\":%.3f,\"por_s\":%.3f,\"aor_s\":%.3f,"
                 "\"out_s\":%.3f,\"nodata_s\":%.3f}",
                 y, m, dd, s->d[STOPPED], s->d[POR], s->d[AOR], s->d[OUT], s->d[NODATA]);
        snprintf(key, sizeof key, "d:%s", device);
        il_kv_push(key, rec, c->keep_days);
    }
    for (int i = 0; i < NB; i++) s->d[i] = 0;
    s->day = day;
}

/* Credits [from, to) to `region` (split at local midnights). */
static void credit(const cfg_t *c, const char *device, st_t *s, double from, double to, int region) {
    while (from < to) {
        double day = local_day(c, from);
        if (day != s->day) close_day(c, device, s, day);
        double day_end = (day + 1) * DAY_MS - c->offset_h * 3600000.0;
        double seg = fmin(to, day_end);
        s->d[region] += (seg - from) / 1000.0;
        s->tot[region] += (seg - from) / 1000.0;
        from = seg;
    }
}

/* A number as JSON that always reads as a float ("98.0", not "98"): the time-series engine
 * types a series by its first value, and a later 33.3 would be refused from an i64 series. */
static const char *fnum(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
    return buf;
}

/* ------------------------------------------------------------------ alarms */

static void raise_alarm(const char *device, const char *type, const char *severity,
                        const cfg_t *c, const st_t *s, double since, double lo, double hi) {
    char req[768];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"details\":{"
             "\"flow\":%.4g,\"speed\":%.5g,\"bep_flow_at_speed\":%.4g,\"flow_pct_of_bep\":%.1f,"
             "\"limits_pct\":[%g,%g],\"outside_since\":%.0f,\"minutes\":%.1f,"
             "\"reference\":\"ANSI/HI 9.6.3\"}}",
             device, type, severity, s->q, s->n, s->qn, s->pct, lo, hi, since,
             (s->last - since) / 60000.0);
    (void)c;
    free(il_call("alarm.raise", req));
    printf("%s: %s raised (%.1f %% of BEP flow at %.0f r/min, for %.1f min)\n", device, type,
           s->pct, s->n, (s->last - since) / 60000.0);
}

static void clear_alarm(const char *device, const char *type) {
    char req[256];
    snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", device, type);
    free(il_call("alarm.clear", req));
    printf("%s: %s cleared\n", device, type);
}

/* ------------------------------------------------------------------ telemetry */

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    double q = 0, h = 0, n = 0, run = 1, tq = 0, th = 0, tn = 0, tr = 0;
    int hq = event_value(event, c->flow_p, &q, &tq);
    int hh = event_value(event, c->head_p, &h, &th);
    int hn = event_value(event, c->speed_p, &n, &tn);
    int hr = event_value(event, c->run_p, &run, &tr);
    if (hq == 0 && hh == 0 && hn == 0 && hr == 0) return 0; /* nothing this app uses */
    if (hq < 0) { printf("%s: %s is not a number, ignored\n", device, c->flow_p); }
    if (hh < 0) { printf("%s: %s is not a number, ignored\n", device, c->head_p); }
    if (hn < 0) { printf("%s: %s is not a number, ignored\n", device, c->speed_p); }
    if (hr < 0) { printf("%s: %s is not a number, ignored\n", device, c->run_p); }
    double ts = 0;
    if (hq > 0 && tq > ts) ts = tq;
    if (hh > 0 && th > ts) ts = th;
    if (hn > 0 && tn > ts) ts = tn;
    if (hr > 0 && tr > ts) ts = tr;
    if (ts <= 0) { printf("%s: no usable reading with a time, ignored\n", device); return 0; }

    st_t s;
    int known = load_state(device, &s);
    if (known && ts <= s.last) {
        printf("%s: reading at %.0f not newer than the last one (%.0f), ignored\n", device, ts,
               s.last);
        return 0;
    }

    /* What the message lacks, from the device's latest values if recent enough. */
    if (hq <= 0 || hh <= 0 || hn <= 0 || (c->run_p[0] && hr <= 0)) {
        char req[400];
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"properties\":[\"%s\",\"%s\",\"%s\"%s%s%s]}",
                 device, c->flow_p, c->head_p, c->speed_p, c->run_p[0] ? ",\"" : "", c->run_p,
                 c->run_p[0] ? "\"" : "");
        char *r = il_call("latest", req);
        double v, t;
        if (il_ok(r)) {
            if (hq <= 0 && latest_value(r, c->flow_p, &v, &t) && ts - t <= c->max_gap_ms && t <= ts) { q = v; hq = 1; }
            if (hh <= 0 && latest_value(r, c->head_p, &v, &t) && ts - t <= c->max_gap_ms && t <= ts) { h = v; hh = 1; }
            if (hn <= 0 && latest_value(r, c->speed_p, &v, &t) && ts - t <= c->max_gap_ms && t <= ts) { n = v; hn = 1; }
            if (c->run_p[0] && hr <= 0 && latest_value(r, c->run_p, &v, &t) && ts - t <= c->max_gap_ms && t <= ts) { run = v; hr = 1; }
        } else {
            il_warn(r ? r : "no reply to latest");
        }
        free(r);
    }
    if (hr <= 0) run = 1; /* no run state: running is judged from the speed alone */

    int stopped = (hn > 0 && n <= c->min_speed) || (c->run_p[0] && hr > 0 && fabs(run - 1) > 0.01);
    if (!stopped && (hq <= 0 || hn <= 0)) {
        printf("%s: no recent %s%s%s, operating point not known\n", device,
               hq <= 0 ? c->flow_p : "", hq <= 0 && hn <= 0 ? " and " : "", hn <= 0 ? c->speed_p : "");
        /* Time up to here is still credited to the last known region (within max_gap). */
        if (known) {
            double held = fmin(ts, s.last + c->max_gap_ms);
            if (s.region >= 0) credit(c, device, &s, s.last, held, s.region);
            credit(c, device, &s, held, ts, NODATA);
            s.last = ts;
            s.region = NODATA;
            save_state(c, device, &s);
        }
        return 0;
    }
    if (q < 0) { printf("%s: negative flow %g taken as 0\n", device, q); q = 0; }

    if (!known) s.day = local_day(c, ts);
    else {
        double held = fmin(ts, s.last + c->max_gap_ms);
        if (s.region >= 0) credit(c, device, &s, s.last, held, s.region);
        credit(c, device, &s, held, ts, NODATA);
        if (ts - s.last > c->max_gap_ms) s.out_since = s.aor_since = 0; /* continuity lost */
    }
    s.last = ts;

    int region;
    if (stopped) {
        region = STOPPED;
        s.q = hq > 0 ? q : 0; s.h = hh > 0 ? h : 0; s.n = hn > 0 ? n : 0;
        s.qn = s.hn = s.pct = s.hpct = 0;
    } else {
        double ratio = n / c->n0;
        s.q = q; s.n = n; s.h = hh > 0 ? h : 0;
        s.qn = c->q_bep * ratio;
        s.hn = c->h_bep * ratio * ratio;
        s.pct = s.qn > 0 ? 100.0 * q / s.qn : 0;
        s.hpct = hh > 0 && s.hn > 0 ? 100.0 * h / s.hn : 0;
        if (s.pct >= c->por_low && s.pct <= c->por_high) region = POR;
        else if (s.pct >= c->aor_low && s.pct <= c->aor_high) region = AOR;
        else region = OUT;
    }
    s.region = region;

    /* Alarms: continuous running outside the POR / AOR. */
    if (region == AOR || region == OUT) {
        if (s.out_since <= 0) s.out_since = ts;
    } else {
        s.out_since = 0;
    }
    if (region == OUT) {
        if (s.aor_since <= 0) s.aor_since = ts;
    } else {
        s.aor_since = 0;
    }
    if (s.out_since > 0 && ts - s.out_since >= c->por_alarm_ms && !s.por_alarm) {
        raise_alarm(device, "pump_outside_por", "warning", c, &s, s.out_since, c->por_low, c->por_high);
        s.por_alarm = 1;
    } else if (s.out_since <= 0 && s.por_alarm) {
        clear_alarm(device, "pump_outside_por");
        s.por_alarm = 0;
    }
    if (s.aor_since > 0 && ts - s.aor_since >= c->aor_alarm_ms && !s.aor_alarm) {
        raise_alarm(device, "pump_outside_aor", "major", c, &s, s.aor_since, c->aor_low, c->aor_high);
        s.aor_alarm = 1;
    } else if (s.aor_since <= 0 && s.aor_alarm) {
        clear_alarm(device, "pump_outside_aor");
        s.aor_alarm = 0;
    }

    /* Derived telemetry. */
    if (c->write) {
        char req[512];
        if (region == STOPPED)
            snprintf(req, sizeof req, "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"bep_region\":0}}",
                     device, ts);
        else {
            char a[32], b[32], d[32];
            snprintf(req, sizeof req,
                     "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"bep_region\":%d,"
                     "\"bep_flow_pct\":%s,\"bep_flow_at_speed\":%s,\"bep_head_at_speed\":%s}}",
                     device, ts, region, fnum(a, sizeof a, s.pct), fnum(b, sizeof b, s.qn),
                     fnum(d, sizeof d, s.hn));
        }
        char *r = il_call("write", req);
        if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
            if (!s.refused) {
                char msg[700];
                snprintf(msg, sizeof msg,
                         "%s: derived telemetry not (fully) stored (declare bep_region, bep_flow_pct, "
                         "bep_flow_at_speed, bep_head_at_speed in the thing model, or set "
                         "write_telemetry false): %.400s", device, r ? r : "no reply");
                il_warn(msg);
            }
            s.refused = 1;
        } else {
            s.refused = 0;
        }
        free(r);
    }
    save_state(c, device, &s);
    if (region == STOPPED)
        printf("%s: stopped\n", device);
    else
        printf("%s: %.4g m3/h at %.5g r/min = %.1f %% of BEP flow %.4g (head %.1f %% of %.4g) -> %s\n",
               device, s.q, s.n, s.pct, s.qn, s.hpct, s.hn, REGION_NAME[region]);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "manual") == 0)
        printf("BEP %.4g m3/h, %.4g m at %.5g r/min; specific speed %.0f (US units); POR %g-%g %%%s, "
               "AOR %g-%g %% of BEP flow\n",
               c.q_bep, c.h_bep, c.n0, c.ns_us, c.por_low, c.por_high,
               c.por_auto ? " (by specific speed, ANSI/HI 9.6.3)" : "", c.aor_low, c.aor_high);
    return 0;
}
