/* Boiler efficiency tracker, direct (input–output) method.
 *
 * On every message that carries a boiler's steam flow, the app gathers steam pressure,
 * steam temperature (optional: without it the steam is taken as saturated, of the
 * configured dryness), feedwater temperature and fuel flow (from the message or, when
 * a property came in an earlier message, from the latest values if fresh enough), and
 * computes with the model library:
 *
 *   steam.wet_steam        T_s, h (saturated/wet steam at p), h_f = h − x·h_fg
 *   steam.if97_region2_pt  h of superheated steam at (p, T) when T > T_s + 0.5 K
 *   steam.if97_region1_pt  feedwater enthalpy at (p, T_fw)
 *   boiler.efficiency_direct
 *       η = [D(h_s − h_fw) + D_bd(h_bd − h_fw)] / (B·Q) × 100 %   (GB/T 10180-2017 正平衡法,
 *       ASME PTC 4 input–output method; BEE India guide book 4, ch. 1, direct method)
 *
 * It writes efficiency, heat_output and heat_input as derived telemetry, integrates
 * heat and fuel over time (each sample's rates held until the next one, intervals longer
 * than max_gap_s not counted, split at hour and day boundaries of the configured time
 * zone) into hourly values (written as efficiency_1h and fuel_used_1h at the hour's
 * start) and daily values (kept for the panel), compares every reading with the
 * baseline and raises boiler_efficiency_low after alarm_points readings in a row below
 * baseline − margin (cleared after as many readings at or above it), and estimates the
 * fuel burnt because of the shortfall: B·(1 − η/η_baseline) (the same heat at the
 * baseline efficiency would have needed B·η/η_baseline), priced at fuel_price.
 *
 * Crash-only: everything that must survive lives in kv:
 *   "b:<device>"    current sample, hour and day accumulators, alarm counters (flat object)
 *   "hist:<device>" daily records  [day, η %, heat kWh, fuel heat kWh, fuel, excess fuel, cost, firing h]
 *   "hrs:<device>"  hourly records [hour start ms, η %, fuel]  (last 48)
 *   "devices"       the devices seen, comma-separated (for the hourly schedule)
 */
#include <math.h>
#include "ironloom.h"

#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define KCAL_KJ 4.1868 /* International Table calorie, the one of fuel calorific values */

/* ---------- configuration ---------- */

typedef struct {
    char p_flow[65], p_pres[65], p_tsteam[65], p_tfw[65], p_fuel[65];
    char u_flow[16], u_pres[16], u_fuel[16], u_cv[16], currency[16], cv_basis[8];
    double cv, dryness, atm_kpa, blowdown_pct, baseline, margin, alarm_points, fuel_price;
    double max_age_s, max_gap_s, min_steam_flow, max_eff, utc_offset_min, history_days;
    int gauge;
    /* derived */
    double k_flow;    /* steam flow unit → kg/h */
    double k_pres;    /* pressure unit → MPa */
    double k_fuel;    /* fuel flow unit → kg/h or m³/h */
    double k_qty;     /* fuel flow value × hours → fuel quantity in the flow unit's numerator */
    double k_cv;      /* calorific value unit → kJ/kg or kJ/m³ */
    int fuel_volume, cv_volume;
    double off_ms;
} Config;

static int eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

static int load_config(Config *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->p_flow, "steam_flow");
    strcpy(c->p_pres, "steam_pressure");
    strcpy(c->p_tfw, "feedwater_temp");
    strcpy(c->p_fuel, "fuel_flow");
    strcpy(c->u_flow, "t/h");
    strcpy(c->u_pres, "bar");
    strcpy(c->u_fuel, "Nm³/h");
    strcpy(c->u_cv, "MJ/Nm³");
    strcpy(c->currency, "CNY");
    strcpy(c->cv_basis, "net");
    c->cv = 35.5;
    c->dryness = 1;
    c->atm_kpa = 101.325;
    c->baseline = 90;
    c->margin = 3;
    c->alarm_points = 5;
    c->max_age_s = 300;
    c->max_gap_s = 900;
    c->max_eff = 110;
    c->utc_offset_min = 480;
    c->history_days = 31;
    c->gauge = 1;
    char *cfg = il_call("config", "{}");
    if (cfg) {
        il_json_string(cfg, "steam_flow_property", c->p_flow, sizeof c->p_flow);
        il_json_string(cfg, "steam_pressure_property", c->p_pres, sizeof c->p_pres);
        il_json_string(cfg, "steam_temp_property", c->p_tsteam, sizeof c->p_tsteam);
        il_json_string(cfg, "feedwater_temp_property", c->p_tfw, sizeof c->p_tfw);
        il_json_string(cfg, "fuel_flow_property", c->p_fuel, sizeof c->p_fuel);
        il_json_string(cfg, "steam_flow_unit", c->u_flow, sizeof c->u_flow);
        il_json_string(cfg, "pressure_unit", c->u_pres, sizeof c->u_pres);
        il_json_string(cfg, "fuel_flow_unit", c->u_fuel, sizeof c->u_fuel);
        il_json_string(cfg, "calorific_value_unit", c->u_cv, sizeof c->u_cv);
        il_json_string(cfg, "calorific_basis", c->cv_basis, sizeof c->cv_basis);
        il_json_string(cfg, "currency", c->currency, sizeof c->currency);
        il_json_number(cfg, "calorific_value", &c->cv);
        il_json_number(cfg, "steam_dryness", &c->dryness);
        il_json_number(cfg, "atmospheric_pressure_kpa", &c->atm_kpa);
        il_json_number(cfg, "blowdown_pct", &c->blowdown_pct);
        il_json_number(cfg, "baseline_efficiency", &c->baseline);
        il_json_number(cfg, "alarm_margin", &c->margin);
        il_json_number(cfg, "alarm_points", &c->alarm_points);
        il_json_number(cfg, "fuel_price", &c->fuel_price);
        il_json_number(cfg, "max_age_s", &c->max_age_s);
        il_json_number(cfg, "max_gap_s", &c->max_gap_s);
        il_json_number(cfg, "min_steam_flow", &c->min_steam_flow);
        il_json_number(cfg, "max_efficiency", &c->max_eff);
        il_json_number(cfg, "utc_offset_min", &c->utc_offset_min);
        il_json_number(cfg, "history_days", &c->history_days);
        if (strstr(cfg, "\"pressure_gauge\":false")) c->gauge = 0;
        free(cfg);
    }
    /* Units: converted here rather than by the platform because fuel flows may be
     * volumes (Nm³/h) and calorific values per Nm³, and "kcal" of fuels is the
     * International Table one. */
    if (eq(c->u_flow, "t/h")) c->k_flow = 1000;
    else if (eq(c->u_flow, "kg/h")) c->k_flow = 1;
    else if (eq(c->u_flow, "kg/s")) c->k_flow = 3600;
    else if (eq(c->u_flow, "lb/h")) c->k_flow = 0.45359237;
    if (eq(c->u_pres, "bar")) c->k_pres = 0.1;
    else if (eq(c->u_pres, "MPa")) c->k_pres = 1;
    else if (eq(c->u_pres, "kPa")) c->k_pres = 0.001;
    else if (eq(c->u_pres, "kgf/cm²")) c->k_pres = 0.0980665;
    else if (eq(c->u_pres, "psi")) c->k_pres = 0.006894757293168;
    c->k_qty = 1;
    if (eq(c->u_fuel, "kg/h")) c->k_fuel = 1;
    else if (eq(c->u_fuel, "t/h")) c->k_fuel = 1000;
    else if (eq(c->u_fuel, "kg/s")) { c->k_fuel = 3600; c->k_qty = 3600; }
    else if (eq(c->u_fuel, "Nm³/h") || eq(c->u_fuel, "m³/h")) { c->k_fuel = 1; c->fuel_volume = 1; }
    if (eq(c->u_cv, "MJ/kg")) c->k_cv = 1000;
    else if (eq(c->u_cv, "kJ/kg")) c->k_cv = 1;
    else if (eq(c->u_cv, "kcal/kg")) c->k_cv = KCAL_KJ;
    else if (eq(c->u_cv, "MJ/Nm³") || eq(c->u_cv, "MJ/m³")) { c->k_cv = 1000; c->cv_volume = 1; }
    else if (eq(c->u_cv, "kJ/Nm³")) { c->k_cv = 1; c->cv_volume = 1; }
    else if (eq(c->u_cv, "kcal/Nm³")) { c->k_cv = KCAL_KJ; c->cv_volume = 1; }
    c->off_ms = c->utc_offset_min * 60000.0;
    if (c->k_flow <= 0 || c->k_pres <= 0 || c->k_fuel <= 0 || c->k_cv <= 0) {
        il_log(IL_ERROR, "unknown unit in the configuration");
        return 0;
    }
    if (c->fuel_volume != c->cv_volume) {
        il_log(IL_ERROR, "fuel_flow_unit and calorific_value_unit disagree: a mass flow needs a "
                         "calorific value per kg, a volume flow one per Nm³");
        return 0;
    }
    return 1;
}

/* ---------- state ---------- */

typedef struct {
    int found;
    double ts;               /* last sample (ms) */
    double qu, qf, fq, fx;   /* its rates: heat out kW, fuel heat kW, fuel /h, excess fuel /h */
    double hour, hu, hf, hq; /* local hour index and its integrals: kWh, kWh, fuel */
    double day, du, df, dq, dx, dh; /* local day index and its integrals (+ firing hours) */
    double low, okn, alarm;  /* readings in a row below / at or above the limit; alarm raised */
    /* last reading, for the panel */
    double eta, flow, p, ts_sat, t_steam, t_fw, h_s, h_fw, fuel;
} State;

static const char *ST_NUM[] = {"ts", "qu", "qf", "fq", "fx", "hour", "hu", "hf", "hq", "day", "du",
                               "df", "dq", "dx", "dh", "low", "okn", "alarm", "eta", "flow", "p",
                               "T_s", "T_steam", "T_fw", "h_s", "h_fw", "fuel"};
#define ST_N (sizeof ST_NUM / sizeof ST_NUM[0])

static double *st_field(State *s, size_t i) { return &s->ts + i; }

static void load_state(const char *dev, State *s) {
    char req[200];
    memset(s, 0, sizeof *s);
    snprintf(req, sizeof req, "{\"key\":\"b:%s\"}", dev);
    char *r = il_call("kv.get", req);
    if (r && il_ok(r) && strncmp(r, "{\"ok\":null", 10) != 0) {
        s->found = 1;
        for (size_t i = 0; i < ST_N; i++) il_json_number(r, ST_NUM[i], st_field(s, i));
    }
    free(r);
}

static void save_state(const char *dev, const State *s, const Config *c) {
    static char req[4096];
    int n = snprintf(req, sizeof req, "{\"key\":\"b:%s\",\"value\":{", dev);
    for (size_t i = 0; i < ST_N; i++)
        n += snprintf(req + n, sizeof req - n, "%s\"%s\":%.10g", i ? "," : "", ST_NUM[i],
                      *st_field((State *)s, i));
    /* What the panel also needs to label the numbers. */
    snprintf(req + n, sizeof req - n,
             ",\"baseline\":%g,\"limit\":%g,\"fuel_unit\":\"%s\",\"currency\":\"%s\","
             "\"cost\":%.10g}}",
             c->baseline, c->baseline - c->margin, c->u_fuel, c->currency, s->dx * c->fuel_price);
    free(il_call("kv.set", req));
}

/* Appends a record (a JSON array text) to the list kept under `key`, keeping the
 * newest `keep`. The list is stored as a JSON array of arrays of numbers. */
static void list_append(const char *key, const char *record, int keep) {
    char req[200];
    snprintf(req, sizeof req, "{\"key\":\"%s\"}", key);
    char *r = il_call("kv.get", req);
    const char *body = NULL;
    if (r && strncmp(r, "{\"ok\":[[", 8) == 0) body = r + 7; /* at the first record's '[' */
    /* Count the records and drop the oldest beyond keep − 1. */
    int count = 0;
    const char *p = body;
    while (p && (p = strchr(p, '[')) != NULL) { count++; p++; }
    while (body && count >= keep) {
        const char *next = strstr(body, "],[");
        if (!next) { body = NULL; break; }
        body = next + 2;
        count--;
    }
    size_t len = body ? strlen(body) : 0;
    /* body ends with "]]}" (the list's end, then the reply's) */
    size_t keeplen = len >= 3 ? len - 2 : 0; /* up to and including the last record's ']' */
    size_t cap = keeplen + strlen(record) + strlen(key) + 64;
    char *out = malloc(cap);
    if (!out) { free(r); return; }
    if (keeplen > 0)
        snprintf(out, cap, "{\"key\":\"%s\",\"value\":[%.*s,%s]}", key, (int)keeplen, body, record);
    else
        snprintf(out, cap, "{\"key\":\"%s\",\"value\":[%s]}", key, record);
    free(r);
    free(il_call("kv.set", out));
    free(out);
}

/* Remembers a device in the comma-separated index used by the schedule. */
static void index_device(const char *dev) {
    char *r = il_call("kv.get", "{\"key\":\"devices\"}");
    char list[4096] = "";
    if (r) il_json_string(r, "ok", list, sizeof list);
    free(r);
    char probe[200];
    snprintf(probe, sizeof probe, ",%s,", dev);
    char wrapped[4200];
    snprintf(wrapped, sizeof wrapped, ",%s,", list);
    if (strstr(wrapped, probe)) return;
    if (strlen(list) + strlen(dev) + 2 >= sizeof list) return;
    static char req[4400];
    snprintf(req, sizeof req, "{\"key\":\"devices\",\"value\":\"%s%s%s\"}", list, list[0] ? "," : "", dev);
    free(il_call("kv.set", req));
}

/* ---------- periods ---------- */

static double hour_of(const Config *c, double ts) { return floor((ts + c->off_ms) / HOUR_MS); }
static double day_of(const Config *c, double ts) { return floor((ts + c->off_ms) / DAY_MS); }

static void close_hour(const char *dev, State *s, const Config *c) {
    if (s->hf > 0) {
        double start = s->hour * HOUR_MS - c->off_ms;
        double eta = s->hu / s->hf * 100.0;
        char req[400], f1[32], f2[32];
        /* Floats with a decimal point: a series is typed by its first value. */
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"efficiency_1h\":%s,"
                 "\"fuel_used_1h\":%s}}",
                 dev, start, il_json_float(f1, sizeof f1, eta, 10), il_json_float(f2, sizeof f2, s->hq, 10));
        char *r = il_call("write", req);
        if (!il_ok(r)) il_warn(r ? r : "no reply to write");
        free(r);
        char rec[160], key[160];
        snprintf(rec, sizeof rec, "[%.0f,%.10g,%.10g]", start, eta, s->hq);
        snprintf(key, sizeof key, "hrs:%s", dev);
        list_append(key, rec, 48);
        printf("%s: hour %.0f efficiency %.2f %% fuel %.4g\n", dev, start, eta, s->hq);
    }
    s->hu = s->hf = s->hq = 0;
}

static void close_day(const char *dev, State *s, const Config *c) {
    if (s->df > 0) {
        char rec[320], key[160];
        snprintf(rec, sizeof rec, "[%.0f,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g]", s->day,
                 s->du / s->df * 100.0, s->du, s->df, s->dq, s->dx, s->dx * c->fuel_price, s->dh);
        snprintf(key, sizeof key, "hist:%s", dev);
        int keep = (int)c->history_days;
        list_append(key, rec, keep < 1 ? 1 : keep);
        printf("%s: day %.0f efficiency %.2f %% fuel %.6g excess %.6g\n", dev, s->day,
               s->du / s->df * 100.0, s->dq, s->dx);
    }
    s->du = s->df = s->dq = s->dx = s->dh = 0;
}

/* Moves the state's hour (and day) to the ones of `ts`, closing what ends. */
static void roll(const char *dev, State *s, const Config *c, double ts) {
    double h = hour_of(c, ts);
    if (h == s->hour) return;
    close_hour(dev, s, c);
    s->hour = h;
    double d = day_of(c, ts);
    if (d != s->day) {
        close_day(dev, s, c);
        s->day = d;
    }
}

/* Adds the held rates of the last sample from its time to `t1`, split at hour ends. */
static void integrate(const char *dev, State *s, const Config *c, double t1) {
    double t = s->ts;
    if (!(t1 > t) || t1 - t > c->max_gap_s * 1000.0) {
        roll(dev, s, c, t1);
        return;
    }
    while (t < t1) {
        double next = (hour_of(c, t) + 1) * HOUR_MS - c->off_ms;
        double end = next < t1 ? next : t1;
        double hrs = (end - t) / HOUR_MS;
        s->hu += s->qu * hrs;
        s->hf += s->qf * hrs;
        s->hq += s->fq * hrs;
        s->du += s->qu * hrs;
        s->df += s->qf * hrs;
        s->dq += s->fq * hrs;
        s->dx += s->fx * hrs;
        if (s->qf > 0) s->dh += hrs;
        t = end;
        if (t >= next) roll(dev, s, c, t);
    }
    roll(dev, s, c, t1);
}

/* ---------- inputs ---------- */

/* A property's value: from the event's points, else from the latest values when at most
 * max_age_s older than the event. 1 when found. */
static int input(const char *event, const char *latest, const char *prop, double ts,
                 const Config *c, double *out) {
    if (!prop[0]) return 0;
    if (il_point(event, prop, out)) return 1;
    if (!latest) return 0;
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":{", prop);
    const char *p = strstr(latest, pat);
    if (!p) return 0;
    const char *end = strchr(p, '}');
    double t = 0, v = 0;
    const char *a = il_json_number(p, "ts", &t);
    const char *b = il_json_number(p, "value", &v);
    if (!a || !b || a > end + 1 || b > end + 1) return 0;
    if (fabs(ts - t) > c->max_age_s * 1000.0) return 0;
    *out = v;
    return 1;
}

/* A number among a model's outputs (the reply {"ok":{"outputs":{...},"units":{...}}}). */
static const char *model_output(const char *reply, const char *key, double *out) {
    return il_json_number(il_json_object(reply, "outputs"), key, out);
}

static char *model(const char *req) {
    char *r = il_call("model", req);
    if (!il_ok(r)) {
        il_warn(r ? r : "no reply from the model");
        free(r);
        return NULL;
    }
    return r;
}

/* ---------- alarm ---------- */

static void judge(const char *dev, State *s, const Config *c, double eta) {
    double limit = c->baseline - c->margin;
    int points = (int)c->alarm_points;
    char req[512];
    if (eta < limit) {
        s->low += 1;
        s->okn = 0;
        if (s->low >= points && !s->alarm) {
            s->alarm = 1;
            snprintf(req, sizeof req,
                     "{\"device\":\"%s\",\"type\":\"boiler_efficiency_low\",\"severity\":\"major\","
                     "\"details\":{\"efficiency\":%.10g,\"baseline\":%g,\"limit\":%g,"
                     "\"readings\":%d,\"excess_fuel_per_h\":%.6g,\"loss_cost_per_h\":%.6g}}",
                     dev, eta, c->baseline, limit, (int)s->low, s->fx, s->fx * c->fuel_price);
            free(il_call("alarm.raise", req));
        }
    } else {
        s->okn += 1;
        s->low = 0;
        if (s->alarm && s->okn >= points) {
            s->alarm = 0;
            snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"boiler_efficiency_low\"}", dev);
            free(il_call("alarm.clear", req));
        }
    }
}

/* ---------- events ---------- */

static int on_telemetry(const char *event, const Config *c) {
    char dev[128];
    double flow, ts = 0;
    if (!il_json_string(event, "device", dev, sizeof dev)) return 0;
    if (!il_point(event, c->p_flow, &flow)) return 0; /* steam flow drives the calculation */
    if (!il_point_ts(event, c->p_flow, &ts) || ts <= 0) return 0;

    State s;
    load_state(dev, &s);
    if (s.found && ts <= s.ts) {
        il_log(IL_DEBUG, "reading not newer than the last one: ignored");
        return 0;
    }

    /* The other inputs, from this message or the latest values. */
    char *latest = NULL;
    double pres, tfw, fuel, tst = 0;
    int have_p = il_point(event, c->p_pres, &pres), have_fw = il_point(event, c->p_tfw, &tfw);
    int have_f = il_point(event, c->p_fuel, &fuel);
    int have_t = c->p_tsteam[0] && il_point(event, c->p_tsteam, &tst);
    if (!have_p || !have_fw || !have_f || (c->p_tsteam[0] && !have_t)) {
        char req[200];
        snprintf(req, sizeof req, "{\"device\":\"%s\"}", dev);
        latest = il_call("latest", req);
        if (!have_p) have_p = input(event, latest, c->p_pres, ts, c, &pres);
        if (!have_fw) have_fw = input(event, latest, c->p_tfw, ts, c, &tfw);
        if (!have_f) have_f = input(event, latest, c->p_fuel, ts, c, &fuel);
        if (c->p_tsteam[0] && !have_t) have_t = input(event, latest, c->p_tsteam, ts, c, &tst);
        free(latest);
    }
    if (!s.found) {
        index_device(dev);
        s.hour = hour_of(c, ts);
        s.day = day_of(c, ts);
    }

    /* Not firing (or no flow): the boiler takes no fuel and makes no steam from now on. */
    if (have_f && (fuel <= 0 || flow <= 0)) {
        if (s.found) integrate(dev, &s, c, ts);
        s.ts = ts;
        s.qu = s.qf = s.fq = s.fx = 0;
        s.flow = flow;
        s.fuel = fuel;
        save_state(dev, &s, c);
        printf("%s: not firing (steam %g, fuel %g)\n", dev, flow, fuel);
        return 0;
    }
    if (!have_p || !have_fw || !have_f) {
        printf("%s: missing %s%s%s: no efficiency\n", dev, have_p ? "" : c->p_pres,
               have_fw ? "" : " feedwater", have_f ? "" : " fuel");
        return 0;
    }
    double p_mpa = pres * c->k_pres + (c->gauge ? c->atm_kpa / 1000.0 : 0);
    if (!(p_mpa > 0.01 && p_mpa <= 16.5) || !(flow * c->k_flow <= 1e8) || !(fuel * c->k_fuel <= 1e8)) {
        il_warn("steam pressure or a flow out of range: reading skipped");
        return 0;
    }

    /* Steam: saturation at p, then wet or superheated. */
    char req[768];
    snprintf(req, sizeof req,
             "{\"model\":\"steam.wet_steam\",\"inputs\":{\"p\":%.9g,\"x\":%.9g}}", p_mpa, c->dryness);
    char *r = model(req);
    double T_s = 0, h_wet = 0, h_fg = 0, h_s, h_f;
    if (!r || !model_output(r, "T_s", &T_s) || !model_output(r, "h", &h_wet) ||
        !model_output(r, "h_fg", &h_fg)) {
        free(r);
        return 1;
    }
    free(r);
    h_f = h_wet - c->dryness * h_fg;
    h_s = h_wet;
    int superheated = have_t && tst + 273.15 > T_s + 0.5;
    if (superheated) {
        snprintf(req, sizeof req,
                 "{\"model\":\"steam.if97_region2_pt\",\"inputs\":{\"p\":%.9g,\"T\":%.9g}}",
                 p_mpa, tst + 273.15);
        r = model(req);
        if (!r || !model_output(r, "h", &h_s)) { free(r); return 1; }
        free(r);
    }
    /* Feedwater: compressed water at the boiler's pressure. */
    if (!(tfw > 0.01 && tfw + 273.15 < T_s)) {
        printf("%s: feedwater temperature %g °C not below saturation (%.2f °C): reading skipped\n",
               dev, tfw, T_s - 273.15);
        return 0;
    }
    snprintf(req, sizeof req,
             "{\"model\":\"steam.if97_region1_pt\",\"inputs\":{\"p\":%.9g,\"T\":%.9g}}", p_mpa,
             tfw + 273.15);
    double h_fw = 0;
    r = model(req);
    if (!r || !model_output(r, "h", &h_fw)) { free(r); return 1; }
    free(r);

    /* The direct method. A volume fuel flow (m³/h) goes in as B and its calorific value
     * per m³ as Q_net: the model multiplies them, so B·Q_net is the heat input either way. */
    double D = flow * c->k_flow, B = fuel * c->k_fuel, Q = c->cv * c->k_cv;
    double D_bd = D * c->blowdown_pct / 100.0;
    snprintf(req, sizeof req,
             "{\"model\":\"boiler.efficiency_direct\",\"inputs\":{\"D\":%.9g,\"h_s\":%.9g,"
             "\"h_fw\":%.9g,\"D_bd\":%.9g,\"h_bd\":%.9g,\"B\":%.9g,\"Q_net\":%.9g}}",
             D, h_s, h_fw, D_bd, h_f, B, Q);
    r = model(req);
    double eta, qu, qf;
    if (!r || !model_output(r, "eta", &eta) || !model_output(r, "Q_useful", &qu) ||
        !model_output(r, "Q_fuel", &qf)) {
        free(r);
        return 1;
    }
    free(r);
    if (!(eta > 0 && eta <= c->max_eff)) {
        printf("%s: efficiency %.2f %% is not plausible (meters or calorific value?): reading skipped\n",
               dev, eta);
        return 0;
    }

    char f1[32], f2[32], f3[32];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"efficiency\":%s,\"heat_output\":%s,"
             "\"heat_input\":%s}}",
             dev, ts, il_json_float(f1, sizeof f1, eta, 10), il_json_float(f2, sizeof f2, qu, 10),
             il_json_float(f3, sizeof f3, qf, 10));
    r = il_call("write", req);
    if (!il_ok(r)) il_warn(r ? r : "no reply to write");
    else if (strstr(r, "\"refused\":[{")) il_warn(r); /* e.g. the product's thing model lacks them */
    free(r);

    /* Integrate the previous sample up to now, then hold this one. */
    if (s.found) integrate(dev, &s, c, ts);
    s.ts = ts;
    s.qu = qu;
    s.qf = qf;
    s.fq = fuel * c->k_qty;
    s.fx = c->baseline > 0 && eta < c->baseline ? s.fq * (1.0 - eta / c->baseline) : 0;
    s.eta = eta;
    s.flow = flow;
    s.p = pres;
    s.ts_sat = T_s - 273.15;
    s.t_steam = superheated ? tst : T_s - 273.15;
    s.t_fw = tfw;
    s.h_s = h_s;
    s.h_fw = h_fw;
    s.fuel = fuel;
    if (flow >= c->min_steam_flow) judge(dev, &s, c, eta);
    save_state(dev, &s, c);
    printf("%s: efficiency %.3f %% (h_s %.1f, h_fw %.1f kJ/kg, heat %.1f kW of %.1f kW)\n", dev, eta,
           h_s, h_fw, qu, qf);
    return 0;
}

/* Hourly: closes the hour (and day) of devices that stopped reporting, so their last
 * hour and day are kept even when the boiler stays off. A device whose last sample is
 * within max_gap_s may still add to its hour, so it is left to its next message. */
static int on_schedule(const char *event, const Config *c) {
    double at = 0;
    if (!il_json_number(event, "at", &at) || at <= 0) return 0;
    char *r = il_call("kv.get", "{\"key\":\"devices\"}");
    char list[4096] = "";
    if (r) il_json_string(r, "ok", list, sizeof list);
    free(r);
    char *save = NULL;
    for (char *dev = strtok_r(list, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
        State s;
        load_state(dev, &s);
        if (!s.found || at - s.ts <= c->max_gap_s * 1000.0 || hour_of(c, at) == s.hour) continue;
        roll(dev, &s, c, at);
        s.qu = s.qf = s.fq = s.fx = 0;
        save_state(dev, &s, c);
    }
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    Config c;
    char kind[16] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (!eq(kind, "telemetry") && !eq(kind, "schedule")) return 0;
    if (!load_config(&c)) return 3;
    return eq(kind, "telemetry") ? on_telemetry(event, &c) : on_schedule(event, &c);
}
