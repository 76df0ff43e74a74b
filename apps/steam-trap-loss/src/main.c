/* Steam-trap loss monitor: the steam blowing through failed-open and leaking steam traps,
 * from each trap's status (a trap monitor's code or word) or from its downstream
 * temperature, with Napier's rule (model library: steam.orifice_leak_napier), its cost
 * per year, alarms per trap, and a per-trap table for the panel.
 *
 * Each trap is a device. On every message carrying its status or downstream temperature:
 *
 *   status   0/ok/good/normal, 1/leaking, 2/blow-through/failed open, 3/cold/blocked
 *            (failed closed) — as wireless acoustic trap monitors report them;
 *   or from the downstream temperature T_d (traps discharging to a vented line at the
 *   back pressure p_b): live steam throttled from the line pressure p to p_b keeps its
 *   enthalpy h_g(p) and is superheated there, T_thr = T(p_b, h_g(p)) (IF97 region 2
 *   backward), while condensate flashing from a working trap stays at T_s(p_b). So
 *     T_d ≥ T_s(p_b) + f·(T_thr − T_s(p_b))   → blow-through   (f = detect_fraction)
 *     T_d < cold_temp                          → cold (not discharging: blocked or off)
 *     otherwise                                → ok.
 *
 * A status counts once it is seen in confirm_points readings in a row. The steam lost by a
 * blow-through trap is Napier's W = 24.24·p_abs[psia]·D²[in²] lb/h through the trap's
 * discharge orifice; a leaking trap loses leak_fraction of it. The loss is written as
 * derived telemetry (steam_loss, kg/h) and integrated over time (each reading's rate held
 * until the next, intervals longer than max_gap_s not counted); alarms
 * steam_trap_steam_loss (major for blow-through, minor for leaking) and steam_trap_cold
 * (minor) are raised and cleared as the confirmed status changes.
 *
 * Crash-only: "trap:<device>" holds each trap's confirmed and candidate status, its loss
 * and cost, the steam lost so far and the last reading (a flat object the panel reads).
 */
#include <math.h>
#include "ironloom.h"

#define HOUR_MS 3600000.0

typedef struct {
    char p_status[65], p_temp[65], p_pres[65], u_pres[16], currency[16];
    double pressure, back, atm, orifice, hours, price, leak_fraction, detect_fraction;
    double cold_temp, confirm, max_gap_s;
    double k_pres; /* pressure unit → kPa */
} Config;

static int eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* A number of a trap's entry in the config's "traps" list ({"device": ..., key: n}); 1 when set. */
static int trap_number(const char *cfg, const char *dev, const char *key, double *out) {
    char pat[200];
    snprintf(pat, sizeof pat, "\"device\":\"%s\"", dev);
    const char *traps = strstr(cfg, "\"traps\":[");
    if (!traps) return 0;
    const char *end = strchr(traps, ']');
    for (const char *p = strstr(traps, pat); p && (!end || p < end); p = strstr(p + 1, pat)) {
        /* the object around the match */
        const char *open = p;
        while (open > traps && *open != '{') open--;
        const char *close = strchr(p, '}');
        if (!close) return 0;
        size_t n = (size_t)(close - open) + 1;
        char obj[512];
        if (n >= sizeof obj) return 0;
        memcpy(obj, open, n);
        obj[n] = 0;
        if (strstr(obj, pat) != obj + (p - open)) continue;
        return il_json_number(obj, key, out) != NULL;
    }
    return 0;
}

static int load_config(Config *c, const char *dev) {
    memset(c, 0, sizeof *c);
    strcpy(c->p_status, "trap_status");
    strcpy(c->p_temp, "downstream_temp");
    strcpy(c->u_pres, "bar");
    strcpy(c->currency, "CNY");
    c->pressure = 7;
    c->atm = 101.325;
    c->orifice = 3.175;
    c->hours = 8000;
    c->price = 200;
    c->leak_fraction = 0.25;
    c->detect_fraction = 0.5;
    c->cold_temp = 60;
    c->confirm = 2;
    c->max_gap_s = 3600;
    char *cfg = il_call("config", "{}");
    char *top = cfg ? strdup(cfg) : NULL;
    if (top) { /* the top-level keys, read where the traps list cannot shadow them */
        char *traps = strstr(top, "\"traps\":[");
        char *end = traps ? strchr(traps, ']') : NULL;
        if (end) memset(traps, ' ', (size_t)(end - traps) + 1);
    }
    if (cfg && top) {
        char *all = cfg;
        cfg = top;
        il_json_string(cfg, "status_property", c->p_status, sizeof c->p_status);
        il_json_string(cfg, "downstream_temp_property", c->p_temp, sizeof c->p_temp);
        il_json_string(cfg, "pressure_property", c->p_pres, sizeof c->p_pres);
        il_json_string(cfg, "pressure_unit", c->u_pres, sizeof c->u_pres);
        il_json_string(cfg, "currency", c->currency, sizeof c->currency);
        il_json_number(cfg, "steam_pressure", &c->pressure);
        il_json_number(cfg, "back_pressure", &c->back);
        il_json_number(cfg, "atmospheric_pressure_kpa", &c->atm);
        il_json_number(cfg, "orifice_mm", &c->orifice);
        il_json_number(cfg, "hours_per_year", &c->hours);
        il_json_number(cfg, "steam_price", &c->price);
        il_json_number(cfg, "leak_fraction", &c->leak_fraction);
        il_json_number(cfg, "detect_fraction", &c->detect_fraction);
        il_json_number(cfg, "cold_temp", &c->cold_temp);
        il_json_number(cfg, "confirm_points", &c->confirm);
        il_json_number(cfg, "max_gap_s", &c->max_gap_s);
        cfg = all;
        /* the trap's own entry in "traps" overrides the defaults */
        if (dev) {
            trap_number(cfg, dev, "orifice_mm", &c->orifice);
            trap_number(cfg, dev, "steam_pressure", &c->pressure);
            trap_number(cfg, dev, "back_pressure", &c->back);
            trap_number(cfg, dev, "hours_per_year", &c->hours);
        }
    }
    free(cfg);
    free(top);
    if (eq(c->u_pres, "bar")) c->k_pres = 100;
    else if (eq(c->u_pres, "MPa")) c->k_pres = 1000;
    else if (eq(c->u_pres, "kPa")) c->k_pres = 1;
    else if (eq(c->u_pres, "kgf/cm²")) c->k_pres = 98.0665;
    else if (eq(c->u_pres, "psi")) c->k_pres = 6.894757293168;
    else {
        il_log(IL_ERROR, "unknown pressure unit");
        return 0;
    }
    return 1;
}

/* ---------- state ---------- */

typedef struct {
    int found;
    double ts, status, cand, count, loss, cost, m_year, lost, lost_total, since, t_down, p_g, d,
        choked;
} Trap;

static const char *TR_NUM[] = {"ts", "status", "cand", "count", "loss", "cost", "m_year", "lost",
                               "lost_total", "since", "T_down", "p_g", "D", "choked"};
#define TR_N (sizeof TR_NUM / sizeof TR_NUM[0])
static double *tr_field(Trap *t, size_t i) { return &t->ts + i; }

static void load_trap(const char *dev, Trap *t) {
    char req[200];
    memset(t, 0, sizeof *t);
    snprintf(req, sizeof req, "{\"key\":\"trap:%s\"}", dev);
    char *r = il_call("kv.get", req);
    if (r && il_ok(r) && strncmp(r, "{\"ok\":null", 10) != 0) {
        t->found = 1;
        for (size_t i = 0; i < TR_N; i++) il_json_number(r, TR_NUM[i], tr_field(t, i));
    }
    free(r);
}

static void save_trap(const char *dev, const Trap *t, const Config *c) {
    char req[1400];
    int n = snprintf(req, sizeof req, "{\"key\":\"trap:%s\",\"value\":{", dev);
    for (size_t i = 0; i < TR_N; i++)
        n += snprintf(req + n, sizeof req - n, "%s\"%s\":%.10g", i ? "," : "", TR_NUM[i],
                      *tr_field((Trap *)t, i));
    snprintf(req + n, sizeof req - n, ",\"unit\":\"%s\",\"currency\":\"%s\"}}", c->u_pres, c->currency);
    free(il_call("kv.set", req));
}

/* ---------- status ---------- */

/* The status in a telemetry event: a number (0–3) or a word; -1 when absent or unknown. */
static int event_status(const char *event, const char *prop) {
    if (!prop[0]) return -1;
    double v;
    if (il_point(event, prop, &v)) {
        int s = (int)v;
        return (v == s && s >= 0 && s <= 3) ? s : -2;
    }
    char pat[96];
    snprintf(pat, sizeof pat, "\"property\":\"%s\"", prop);
    const char *p = strstr(event, pat);
    if (!p) return -1;
    char word[32] = "";
    if (!il_json_string(p, "value", word, sizeof word)) return -2;
    for (char *w = word; *w; w++)
        if (*w >= 'A' && *w <= 'Z') *w += 32;
    if (eq(word, "ok") || eq(word, "good") || eq(word, "normal")) return 0;
    if (strncmp(word, "leak", 4) == 0) return 1;
    if (strncmp(word, "blow", 4) == 0 || eq(word, "failed_open") || eq(word, "fail_open") ||
        eq(word, "failed open"))
        return 2;
    if (eq(word, "cold") || eq(word, "blocked") || eq(word, "failed_closed") || eq(word, "plugged"))
        return 3;
    return -2;
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

/* A number among a model's outputs (the reply {"ok":{"outputs":{...},"units":{...}}}). */
static const char *model_output(const char *reply, const char *key, double *out) {
    return il_json_number(il_json_object(reply, "outputs"), key, out);
}

/* The downstream temperature at which live steam is taken to pass (see the top). */
static int blow_threshold(const Config *c, double p_line_kpa_g, double *t_sat_back, double *t_blow) {
    double pb = (c->back * c->k_pres + c->atm) / 1000.0, pl = (p_line_kpa_g + c->atm) / 1000.0;
    char req[256];
    snprintf(req, sizeof req, "{\"model\":\"steam.wet_steam\",\"inputs\":{\"p\":%.9g,\"x\":1}}", pl);
    char *r = model(req);
    double hg = 0, tsb = 0, tthr = 0;
    if (!r || !model_output(r, "h", &hg)) { free(r); return 0; }
    free(r);
    snprintf(req, sizeof req, "{\"model\":\"steam.if97_tsat_p\",\"inputs\":{\"p\":%.9g}}", pb);
    r = model(req);
    if (!r || !model_output(r, "T_s", &tsb)) { free(r); return 0; }
    free(r);
    snprintf(req, sizeof req, "{\"model\":\"steam.if97_t_ph_region2\",\"inputs\":{\"p\":%.9g,\"h\":%.9g}}", pb, hg);
    r = model(req);
    if (!r || !model_output(r, "T", &tthr)) { free(r); return 0; }
    free(r);
    *t_sat_back = tsb - 273.15;
    *t_blow = *t_sat_back + c->detect_fraction * (tthr - tsb);
    return 1;
}

static void alarm(const char *op, const char *dev, const char *type, const char *severity,
                  const Trap *t, const Config *c) {
    char req[600];
    if (eq(op, "alarm.raise"))
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"details\":{\"status\":%d,"
                 "\"steam_loss_kg_h\":%.10g,\"steam_t_year\":%.10g,\"cost_year\":%.10g,\"currency\":\"%s\","
                 "\"pressure\":%g,\"orifice_mm\":%g}}",
                 dev, type, severity, (int)t->status, t->loss, t->m_year, t->cost, c->currency,
                 c->pressure, c->orifice);
    else
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"%s\"}", dev, type);
    free(il_call(op, req));
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    char kind[16] = "", dev[128];
    il_json_string(event, "kind", kind, sizeof kind);
    if (!eq(kind, "telemetry") || !il_json_string(event, "device", dev, sizeof dev)) return 0;
    Config c;
    if (!load_config(&c, dev)) return 3;

    int status = event_status(event, c.p_status);
    double t_down = NAN, ts = 0, v;
    int have_t = c.p_temp[0] && il_point(event, c.p_temp, &t_down);
    if (status == -1 && !have_t) return 0; /* nothing about the trap in this message */
    if (status == -2) {
        printf("%s: unknown trap status%s\n", dev, have_t ? ": the downstream temperature decides" : ": reading skipped");
        if (!have_t) return 0;
    }
    const char *by = status >= 0 ? c.p_status : c.p_temp;
    if (!il_point_ts(event, by, &ts) || ts <= 0) return 0;
    /* line pressure: the trap's own pressure reading when configured and sent */
    double p_g = c.pressure;
    if (c.p_pres[0] && il_point(event, c.p_pres, &v)) p_g = v;
    double p_kpa_g = p_g * c.k_pres;
    if (!(p_kpa_g > 0 && p_kpa_g <= 30000)) {
        printf("%s: steam pressure %g %s out of range: reading skipped\n", dev, p_g, c.u_pres);
        return 0;
    }

    Trap t;
    load_trap(dev, &t);
    if (t.found && ts <= t.ts) {
        il_log(IL_DEBUG, "reading not newer than the last one: ignored");
        return 0;
    }
    double t_sat_back = NAN, t_blow = NAN;
    if (status < 0) { /* from the downstream temperature */
        if (!blow_threshold(&c, p_kpa_g, &t_sat_back, &t_blow)) return 1;
        status = t_down >= t_blow ? 2 : t_down < c.cold_temp ? 3 : 0;
        printf("%s: downstream %.1f °C (saturation at back pressure %.1f °C, blow-through from %.1f °C): status %d\n",
               dev, t_down, t_sat_back, t_blow, status);
    }

    /* the steam lost since the last reading, at the rate then confirmed */
    if (t.found && ts - t.ts <= c.max_gap_s * 1000.0) {
        double lost = t.loss * (ts - t.ts) / HOUR_MS;
        t.lost += lost;
        t.lost_total += lost;
    }
    if (!t.found) { t.status = 0; t.cand = -1; }
    /* debounce: a status counts after confirm_points readings in a row */
    if (status == (int)t.cand) t.count += 1;
    else { t.cand = status; t.count = 1; }
    int prev = (int)t.status;
    int changed = 0;
    if (status != prev && t.count >= c.confirm) {
        t.status = status;
        t.since = ts;
        changed = 1;
        if (status != 1 && status != 2) t.lost = 0;
    }
    /* Napier for the confirmed status */
    t.loss = t.cost = t.m_year = 0;
    t.choked = 1;
    if (t.status == 1 || t.status == 2) {
        char req[400];
        snprintf(req, sizeof req,
                 "{\"model\":\"steam.orifice_leak_napier\",\"inputs\":{\"p_g\":%.9g,\"p_atm\":%.9g,"
                 "\"D\":%.9g,\"hours\":%.9g,\"price\":%.9g}}",
                 p_kpa_g, c.atm, c.orifice, c.hours, c.price);
        char *r = model(req);
        double m = 0, my = 0, cost = 0;
        if (!r || !model_output(r, "m", &m) || !model_output(r, "m_year", &my) ||
            !model_output(r, "cost", &cost)) {
            free(r);
            return 1;
        }
        free(r);
        double f = t.status == 2 ? 1.0 : c.leak_fraction;
        t.loss = m * f;
        t.m_year = my * f;
        t.cost = cost * f;
        /* Napier is the choked-flow rule: upstream absolute ≥ 1.73 × downstream absolute */
        t.choked = p_kpa_g + c.atm >= 1.73 * (c.back * c.k_pres + c.atm);
    }
    t.ts = ts;
    t.t_down = have_t ? t_down : -1000; /* -1000: none, the panel shows a dash */
    t.p_g = p_g;
    t.d = c.orifice;

    /* A float with a decimal point (a working trap's 0 is "0.0"): a series is typed by its
     * first value. */
    char req[300], fl[32];
    snprintf(req, sizeof req, "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"steam_loss\":%s}}", dev, ts,
             il_json_float(fl, sizeof fl, t.loss, 10));
    char *r = il_call("write", req);
    if (!il_ok(r) || strstr(r, "\"refused\":[{")) il_warn(r ? r : "no reply to write");
    free(r);

    if (changed) {
        if (t.status == 1 || t.status == 2) {
            alarm("alarm.raise", dev, "steam_trap_steam_loss", t.status == 2 ? "major" : "minor", &t, &c);
        } else if (prev == 1 || prev == 2) {
            alarm("alarm.clear", dev, "steam_trap_steam_loss", NULL, &t, &c);
        }
        if (t.status == 3) alarm("alarm.raise", dev, "steam_trap_cold", "minor", &t, &c);
        else if (prev == 3) alarm("alarm.clear", dev, "steam_trap_cold", NULL, &t, &c);
    }
    save_trap(dev, &t, &c);
    printf("%s: status %d (seen %d of %d), loss %.3f kg/h, %.2f t/year, cost %.2f %s/year\n", dev,
           (int)t.status, (int)t.count, (int)c.confirm, t.loss, t.m_year, t.cost, c.currency);
    return 0;
}
