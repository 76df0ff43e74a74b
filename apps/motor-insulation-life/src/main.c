/* Winding insulation thermal ageing (life consumed, remaining life, hot-spot alarm).
 *
 * On every message with the winding temperature θ (°C):
 *   - hot-spot estimate θ_hs = θ + hotspot_allowance_k (0 when the sensor sits at the hot
 *     spot, e.g. an embedded RTD between coil sides);
 *   - relative ageing rate V against the insulation's reference temperature θ_c (thermal
 *     class, IEC 60085) at which it lasts L_c hours (20 000 h, the IEC 60216 thermal-index
 *     endpoint):
 *       halving rule:  V = 2^((θ_hs − θ_c) / k), k = 10 K;
 *       Arrhenius:     V = exp(Ea/k_B · (1/T_c − 1/T_hs)) (Dakin 1948; IEC 60216-1);
 *   - the previous reading's rate is held until this one (at most max_gap_s) and the life
 *     consumed is ∫V dt / L_c; the remaining life at the present rate is
 *     (1 − used) · L_c / V;
 *   - alarms: `winding_hotspot` while θ_hs is at or above the limit (the class temperature
 *     by default), `insulation_life_low` when the remaining life falls below life_alarm_pct.
 *
 * State: "i:<device>" (totals, present rate, remaining life), "d:<device>" (days).
 */
#include "ironloom.h"
#include <math.h>

#define DAY_MS 86400000.0
#define HOUR_MS 3600000.0
#define KB_EV 8.617333262e-5

typedef struct {
    char prop[72], cls[4];
    double theta_c, life_h, k, ea, allowance, initial_used, limit_c, hyst, life_alarm, max_gap_ms, offset_h;
    int arrhenius, keep_days, write;
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

/* IEC 60085 thermal classes (°C). */
static double class_temp(const char *cls) {
    static const struct { const char *c; double t; } T[] = {
        {"Y", 90}, {"A", 105}, {"E", 120}, {"B", 130}, {"F", 155}, {"H", 180}, {"N", 200}, {"R", 220}};
    for (unsigned i = 0; i < sizeof T / sizeof T[0]; i++)
        if (strcmp(cls, T[i].c) == 0) return T[i].t;
    return 155;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop, "winding_temp");
    strcpy(c->cls, "F");
    c->life_h = 20000; c->k = 10; c->ea = 1.1; c->hyst = 5; c->life_alarm = 10;
    c->offset_h = 8;
    double gap_s = 300, keep = 62, class_c = 0;
    char model[16] = "halving";
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        il_json_string(cfg, "temp_property", c->prop, sizeof c->prop);
        il_json_string(cfg, "insulation_class", c->cls, sizeof c->cls);
        il_json_string(cfg, "model", model, sizeof model);
        il_json_number(cfg, "class_temp_c", &class_c);
        il_json_number(cfg, "life_hours", &c->life_h);
        il_json_number(cfg, "halving_k", &c->k);
        il_json_number(cfg, "activation_energy_ev", &c->ea);
        il_json_number(cfg, "hotspot_allowance_k", &c->allowance);
        il_json_number(cfg, "initial_used_pct", &c->initial_used);
        il_json_number(cfg, "hotspot_limit_c", &c->limit_c);
        il_json_number(cfg, "hotspot_hysteresis_k", &c->hyst);
        il_json_number(cfg, "life_alarm_pct", &c->life_alarm);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_days", &keep);
        c->write = json_bool(cfg, "write_telemetry", 0);
    }
    free(cfg);
    c->theta_c = class_c > 0 ? class_c : class_temp(c->cls);
    if (c->limit_c <= 0) c->limit_c = c->theta_c;
    if (c->k <= 0) c->k = 10;
    c->arrhenius = strcmp(model, "arrhenius") == 0;
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_days = keep < 1 ? 1 : keep > 366 ? 366 : (int)keep;
}

/* The relative ageing rate at hot-spot temperature t (°C). */
static double rate(const cfg_t *c, double t) {
    if (c->arrhenius)
        return exp(c->ea / KB_EV * (1.0 / (c->theta_c + 273.15) - 1.0 / (t + 273.15)));
    return pow(2.0, (t - c->theta_c) / c->k);
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last, temp;        /* last reading: time, hot-spot temperature */
    int has;
    double used_h;            /* equivalent hours at the reference temperature consumed */
    double hours, nodata_h;   /* hours accounted with data, without */
    double max_temp, max_at;
    double day, d_used_h, d_hours, d_max;
    int hot_alarm, life_alarm;
} st_t;

static int load_state(const cfg_t *c, const char *device, st_t *s) {
    memset(s, 0, sizeof *s);
    s->used_h = c->initial_used / 100.0 * c->life_h;
    char key[160];
    snprintf(key, sizeof key, "i:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    double v;
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("last", s->last); RD("hotspot_c", s->temp); RD("used_h", s->used_h); RD("hours", s->hours);
    RD("nodata_h", s->nodata_h); RD("max_c", s->max_temp); RD("max_at", s->max_at);
    RD("day", s->day); RD("d_used_h", s->d_used_h); RD("d_hours", s->d_hours); RD("d_max_c", s->d_max);
    RD("hot_alarm", s->hot_alarm); RD("life_alarm", s->life_alarm);
#undef RD
    free(r);
    s->has = s->last > 0;
    return s->has;
}

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

static void close_day(const cfg_t *c, const char *device, st_t *s, double day) {
    if (s->day > 0 && s->d_hours > 0) {
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        char rec[300], key[160];
        snprintf(rec, sizeof rec,
                 "{\"date\":\"%04d-%02d-%02d\",\"used_h\":%.9g,\"hours\":%.6f,\"mean_rate\":%.9g,\"max_c\":%.2f}",
                 y, m, d, s->d_used_h, s->d_hours, s->d_used_h / s->d_hours, s->d_max);
        snprintf(key, sizeof key, "d:%s", device);
        il_kv_push(key, rec, c->keep_days);
    }
    s->day = day;
    s->d_used_h = s->d_hours = 0;
    s->d_max = -1e9;
}

/* Credits [a, b) at the ageing rate of temperature t, split at local midnights. */
static void credit(const cfg_t *c, const char *device, st_t *s, double a, double b, double t) {
    double off = c->offset_h * 3600000.0, v = rate(c, t);
    while (a < b) {
        double day = floor((a + off) / DAY_MS);
        if (day != s->day) close_day(c, device, s, day);
        double e = fmin(b, (day + 1) * DAY_MS - off);
        double h = (e - a) / HOUR_MS;
        s->used_h += v * h;
        s->hours += h;
        s->d_used_h += v * h;
        s->d_hours += h;
        if (t > s->d_max) s->d_max = t;
        a = e;
    }
}

static void fnum(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.10g", v);
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", cap - strlen(buf) - 1);
}

static int event_value(const char *event, const char *prop, double *v, double *ts) {
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
    char *e;
    double x = strtod(q, &e);
    if (e == q || !isfinite(x)) return -1;
    *v = x;
    return 1;
}

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    double raw = 0, ts = 0;
    int h = event_value(event, c->prop, &raw, &ts);
    if (h == 0) return 0;
    if (h < 0) { printf("%s: %s is not a number, ignored\n", device, c->prop); return 0; }
    if (ts <= 0) { printf("%s: %s without a time, ignored\n", device, c->prop); return 0; }
    if (raw < -60 || raw > 400) {
        printf("%s: %s = %g °C is not a plausible winding temperature (sensor fault?), ignored\n",
               device, c->prop, raw);
        return 0;
    }
    double t = raw + c->allowance;
    st_t s;
    load_state(c, device, &s);
    if (s.has && ts <= s.last) {
        printf("%s: reading at %.0f not newer than the last one (%.0f), ignored\n", device, ts, s.last);
        return 0;
    }
    if (s.has) {
        double held = fmin(ts, s.last + c->max_gap_ms);
        credit(c, device, &s, s.last, held, s.temp);
        if (held < ts) {
            printf("%s: %.0f s without a temperature, not counted\n", device, (ts - held) / 1000.0);
            s.nodata_h += (ts - held) / HOUR_MS;
        }
    } else {
        s.day = floor((ts + c->offset_h * 3600000.0) / DAY_MS);
        s.d_max = -1e9;
    }
    s.last = ts;
    s.temp = t;
    if (t > s.max_temp || s.max_at <= 0) { s.max_temp = t; s.max_at = ts; }
    if (t > s.d_max) s.d_max = t;

    double v = rate(c, t);
    double used = s.used_h / c->life_h;
    double remaining_h = used < 1 ? (1 - used) * c->life_h / v : 0;
    double expected_h = c->life_h / v; /* total life if always at this temperature */
    double mean_rate = s.hours > 0 ? (s.used_h - c->initial_used / 100.0 * c->life_h) / s.hours : v;
    double remaining_mean_h = used < 1 && mean_rate > 0 ? (1 - used) * c->life_h / mean_rate : 0;

    char req[900];
    if (t >= c->limit_c && !s.hot_alarm) {
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"winding_hotspot\",\"severity\":\"major\",\"details\":{"
                 "\"hotspot_c\":%.1f,\"measured_c\":%.1f,\"limit_c\":%g,\"class\":\"%s\",\"class_temp_c\":%g,"
                 "\"ageing_rate\":%.3f,\"life_at_this_temp_h\":%.0f}}",
                 device, t, raw, c->limit_c, c->cls, c->theta_c, v, expected_h);
        free(il_call("alarm.raise", req));
        s.hot_alarm = 1;
        printf("%s: winding_hotspot raised (%.1f °C >= %g °C, ageing %.2fx)\n", device, t, c->limit_c, v);
    } else if (s.hot_alarm && t < c->limit_c - c->hyst) {
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"winding_hotspot\"}", device);
        free(il_call("alarm.clear", req));
        s.hot_alarm = 0;
        printf("%s: winding_hotspot cleared (%.1f °C)\n", device, t);
    }
    double left_pct = 100.0 * (1 - used);
    if (left_pct < c->life_alarm && !s.life_alarm) {
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"insulation_life_low\",\"severity\":\"warning\",\"details\":{"
                 "\"life_used_pct\":%.2f,\"remaining_pct\":%.2f,\"remaining_h_at_mean_rate\":%.0f,\"alarm_below_pct\":%g}}",
                 device, 100 * used, left_pct, remaining_mean_h, c->life_alarm);
        free(il_call("alarm.raise", req));
        s.life_alarm = 1;
        printf("%s: insulation_life_low raised (%.2f %% left)\n", device, left_pct);
    }

    if (c->write) {
        char a[32], b[32];
        fnum(a, sizeof a, v);
        fnum(b, sizeof b, 100 * used);
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"insulation_ageing_rate\":%s,\"insulation_life_used_pct\":%s}}",
                 device, ts, a, b);
        char *r = il_call("write", req);
        if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: derived telemetry not (fully) stored: %.400s", device, r ? r : "no reply");
            il_warn(msg);
        }
        free(r);
    }

    char big[1600];
    snprintf(big, sizeof big,
             "{\"key\":\"i:%s\",\"value\":{\"last\":%.0f,\"measured_c\":%.17g,\"hotspot_c\":%.17g,\"rate\":%.17g,"
             "\"used_h\":%.17g,\"used_pct\":%.17g,\"remaining_h\":%.10g,\"remaining_h_mean\":%.10g,"
             "\"expected_life_h\":%.10g,\"mean_rate\":%.17g,\"hours\":%.17g,\"nodata_h\":%.17g,\"max_c\":%.17g,"
             "\"max_at\":%.0f,\"day\":%.0f,\"d_used_h\":%.17g,\"d_hours\":%.17g,\"d_max_c\":%.17g,"
             "\"class\":\"%s\",\"class_temp_c\":%g,\"life_hours\":%g,\"model\":\"%s\",\"limit_c\":%g,"
             "\"hot_alarm\":%d,\"life_alarm\":%d}}",
             device, s.last, raw, t, v, s.used_h, 100 * used, remaining_h, remaining_mean_h, expected_h,
             mean_rate, s.hours, s.nodata_h, s.max_temp, s.max_at, s.day, s.d_used_h, s.d_hours, s.d_max,
             c->cls, c->theta_c, c->life_h, c->arrhenius ? "arrhenius" : "halving", c->limit_c,
             s.hot_alarm, s.life_alarm);
    free(il_call("kv.set", big));
    printf("%s: %.1f °C hot spot, ageing %.4gx, %.4g %% of life used, %.0f h left at this rate\n", device,
           t, v, 100 * used, remaining_h);
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
        printf("class %s (%g °C), %g h at that temperature, %s; life at 10 K below: %.0f h, 10 K above: %.0f h\n",
               c.cls, c.theta_c, c.life_h, c.arrhenius ? "Arrhenius" : "halving rule",
               c.life_h / rate(&c, c.theta_c - 10), c.life_h / rate(&c, c.theta_c + 10));
    return 0;
}
