/* Cold-chain temperature compliance for cold rooms, refrigerators and reefers.
 *
 * For every sensor (device) the app follows the temperature against the configured
 * range (e.g. 2–8 °C, GSP for medicines):
 *   - an excursion starts with the first reading out of range and ends with the first
 *     reading back in range; the alarm `temperature_excursion` is raised when it lasts
 *     longer than `allowed_excursion_min` (checked on every reading and by the schedule,
 *     so a sensor that reports only on change is caught too) and cleared when the
 *     temperature is back in range;
 *   - per local day (midnight at `utc_offset_h`): readings, minimum, maximum,
 *     time-weighted mean, time out of range, excursions, alarms, the longest excursion,
 *     the data coverage and the mean kinetic temperature
 *         MKT = (ΔH/R) / −ln( Σ tᵢ·exp(−ΔH/(R·Tᵢ)) / Σ tᵢ )
 *     (USP <1079>, WHO TRS 961 Annex 9 glossary; ΔH = 83.144 kJ/mol, R = 8.3144
 *     J/(mol·K); Tᵢ in K, tᵢ the time each reading holds — equal intervals give the
 *     usual arithmetic form);
 *   - the day passes when no excursion needed an alarm that day (none was active
 *     either) and the MKT lies within the range (for frozen ranges, high <= 0 °C, the
 *     MKT does not apply, USP <1079.2>, and is left out).
 * Each reading holds until the next one, but never longer than `max_gap_min`: time
 * without data is counted as such (coverage) and not in the MKT.
 *
 * Crash-only: state in the installation's key–value store:
 *   "c:<device>"  the day in progress and the excursion state
 *   "d:<device>"  the last N daily compliance records, oldest first
 *   "devices"     {"next": earliest time the schedule has work, "d": [device…]}
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define DAY_MS 86400000.0
#define BIG 65536
#define R_GAS 8.3144 /* J/(mol·K), as USP <1079> and WHO TRS 961 Annex 9 */

/* ------------------------------------------------------------------ config */

/* The text just after the '[' of `"key": [` (whitespace allowed), or NULL. */
static const char *array_after(const char *json, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return *p == '[' ? p + 1 : NULL;
}

typedef struct {
    char prop[72];
    double low, high, allowed_ms, offset_h, max_gap_ms, dh; /* dh: ΔH in J/mol */
    int keep;
} cfg_t;

static void load_config(cfg_t *c) {
    strcpy(c->prop, "temperature");
    c->low = 2; c->high = 8; c->offset_h = 8;
    double allowed = 30, gap = 30, keep = 31, dh_kj = 83.144;
    char *cfg = il_call("config", "{}");
    if (cfg) {
        il_json_string(cfg, "temperature_property", c->prop, sizeof c->prop);
        il_json_number(cfg, "low", &c->low);
        il_json_number(cfg, "high", &c->high);
        il_json_number(cfg, "allowed_excursion_min", &allowed);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "max_gap_min", &gap);
        il_json_number(cfg, "keep_days", &keep);
        il_json_number(cfg, "activation_energy_kj", &dh_kj);
        free(cfg);
    }
    c->allowed_ms = allowed * 60000.0;
    c->max_gap_ms = gap * 60000.0;
    c->keep = keep < 1 ? 1 : keep > 180 ? 180 : (int)keep;
    c->dh = dh_kj * 1000.0;
}

static int out_of_range(const cfg_t *c, double t) { return t < c->low || t > c->high; }

/* ------------------------------------------------------------------ days */

/* The local day holding t: its start and end in ms UTC. */
static void day_of(const cfg_t *c, double t, double *start, double *end) {
    double off = c->offset_h * 3600000.0;
    double day = floor((t + off) / DAY_MS);
    *start = day * DAY_MS - off;
    *end = *start + DAY_MS;
}

/* Days since 1970-01-01 → civil date (H. Hinnant's algorithm). */
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

static void day_date(const cfg_t *c, double start, char *out, size_t cap) {
    int y, m, d;
    civil((long)floor((start + c->offset_h * 3600000.0) / DAY_MS + 0.5), &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double ds, de;          /* the local day in progress */
    double acc, seen;       /* accounted up to; last reading */
    int has_t;              /* a temperature is held */
    double t;               /* the last reading (°C) */
    int exc, alarm;         /* in an excursion; its alarm raised */
    double exc_start;       /* first reading out of range */
    /* the day so far */
    double n, tmin, tmax;   /* readings; min and max include the value held at midnight */
    int mm;                 /* tmin/tmax known */
    double sw, se, st;      /* Σ t, Σ t·exp(−ΔH/RT), Σ t·T (t in ms) */
    double out_ms, nodata_ms, long_ms;
    double excs, alarms;    /* excursions in the day; alarms active in the day */
} st_t;

static int load_state(const char *device, st_t *s) {
    char key[160];
    snprintf(key, sizeof key, "c:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    double v;
    memset(s, 0, sizeof *s);
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("day_start", s->ds); RD("day_end", s->de); RD("acc", s->acc); RD("seen", s->seen);
    RD("has_t", s->has_t); RD("t", s->t); RD("exc", s->exc); RD("alarm", s->alarm);
    RD("exc_start", s->exc_start); RD("n", s->n); RD("mm", s->mm); RD("min", s->tmin); RD("max", s->tmax);
    RD("sw", s->sw); RD("se", s->se); RD("st", s->st); RD("out_ms", s->out_ms);
    RD("nodata_ms", s->nodata_ms); RD("long_ms", s->long_ms); RD("excursions", s->excs);
    RD("alarms", s->alarms);
#undef RD
    free(r);
    return s->de > s->ds;
}

static void save_state(const char *device, const st_t *s) {
    char req[1024];
    snprintf(req, sizeof req,
             "{\"key\":\"c:%s\",\"value\":{\"day_start\":%.0f,\"day_end\":%.0f,\"acc\":%.0f,"
             "\"seen\":%.0f,\"has_t\":%d,\"t\":%.17g,\"exc\":%d,\"alarm\":%d,\"exc_start\":%.0f,"
             "\"n\":%.0f,\"mm\":%d,\"min\":%.17g,\"max\":%.17g,\"sw\":%.17g,\"se\":%.17g,\"st\":%.17g,"
             "\"out_ms\":%.0f,\"nodata_ms\":%.0f,\"long_ms\":%.0f,\"excursions\":%.0f,"
             "\"alarms\":%.0f}}",
             device, s->ds, s->de, s->acc, s->seen, s->has_t, s->t, s->exc, s->alarm,
             s->exc_start, s->n, s->mm, s->tmin, s->tmax, s->sw, s->se, s->st, s->out_ms,
             s->nodata_ms, s->long_ms, s->excs, s->alarms);
    free(il_call("kv.set", req));
}

/* Starts the day holding t; an excursion or alarm in progress carries over. */
static void new_day(const cfg_t *c, st_t *s, double t) {
    day_of(c, t, &s->ds, &s->de);
    s->acc = s->ds;
    s->n = s->sw = s->se = s->st = s->out_ms = s->nodata_ms = s->long_ms = 0;
    /* the reading held over midnight is the day's first temperature */
    s->mm = s->has_t && s->seen + c->max_gap_ms > s->ds;
    s->tmin = s->tmax = s->mm ? s->t : 0;
    s->excs = s->exc ? 1 : 0;
    s->alarms = s->alarm ? 1 : 0;
}

/* Accounts [from, to) of the day with the held reading. */
static void account(const cfg_t *c, st_t *s, double from, double to) {
    if (to <= from) return;
    double valid = s->has_t ? fmin(to, fmax(from, s->seen + c->max_gap_ms)) : from;
    double w = valid - from;
    if (w > 0) {
        s->sw += w;
        s->se += w * exp(-c->dh / (R_GAS * (s->t + 273.15)));
        s->st += w * s->t;
        if (out_of_range(c, s->t)) s->out_ms += w;
    }
    s->nodata_ms += to - valid;
}

/* ------------------------------------------------------------------ closing a day */

static void push_record(const cfg_t *c, const char *device, const char *rec) {
    char key[160];
    snprintf(key, sizeof key, "d:%s", device);
    il_kv_push(key, rec, c->keep);
}

static void close_day(const cfg_t *c, const char *device, st_t *s) {
    char date[16];
    day_date(c, s->ds, date, sizeof date);
    if (s->n == 0 && s->sw <= 0) {
        printf("%s: %s without readings, no record\n", device, date);
        return;
    }
    if (s->exc && s->de - s->exc_start > s->long_ms) s->long_ms = s->de - s->exc_start;
    char mkt[32] = "null", mean[32] = "null";
    int pass = s->alarms == 0;
    if (s->sw > 0) {
        snprintf(mean, sizeof mean, "%.10g", s->st / s->sw);
        /* USP <1079.2>: the MKT does not apply to frozen products (a range at or below
         * 0 °C): not computed, not part of the verdict. */
        if (c->high > 0) {
            double tk = (c->dh / R_GAS) / -log(s->se / s->sw);
            snprintf(mkt, sizeof mkt, "%.10g", tk - 273.15);
            if (out_of_range(c, tk - 273.15)) pass = 0;
        }
    } else {
        pass = 0; /* readings but no time with data (a single reading at 23:59:59.999…) */
    }
    char rec[640];
    snprintf(rec, sizeof rec,
             "{\"date\":\"%s\",\"n\":%.0f,\"min\":%.10g,\"max\":%.10g,\"mean\":%s,\"mkt\":%s,"
             "\"out_min\":%.10g,\"excursions\":%.0f,\"alarms\":%.0f,\"longest_min\":%.10g,"
             "\"coverage\":%.10g,\"low\":%g,\"high\":%g,\"pass\":%s}",
             date, s->n, s->tmin, s->tmax, mean, mkt, s->out_ms / 60000.0, s->excs, s->alarms,
             s->long_ms / 60000.0, s->sw / (s->de - s->ds), c->low, c->high,
             pass ? "true" : "false");
    push_record(c, device, rec);
    printf("%s: %s MKT %s °C, min %.2f, max %.2f, %.0f min out of range, %s\n", device, date,
           mkt, s->tmin, s->tmax, s->out_ms / 60000.0, pass ? "pass" : "FAIL");
}

/* Accounts up to `to`, closing every day that ends on the way; days that would see no
 * data at all are skipped. */
static void advance(const cfg_t *c, const char *device, st_t *s, double to) {
    while (s->acc < to) {
        double seg = fmin(to, s->de);
        account(c, s, s->acc, seg);
        s->acc = seg;
        if (s->acc < s->de) break;
        close_day(c, device, s);
        double next = s->de;
        if (s->seen + c->max_gap_ms <= next && to > next) next = to;
        new_day(c, s, next);
    }
}

/* ------------------------------------------------------------------ alarms */

static void check_alarm(const cfg_t *c, const char *device, st_t *s, double now) {
    if (!s->exc) return;
    double dur = now - s->exc_start;
    if (dur > s->long_ms) s->long_ms = dur;
    if (s->alarm || (dur <= c->allowed_ms && c->allowed_ms > 0)) return; /* 0: at once */
    char req[512];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"type\":\"temperature_excursion\",\"severity\":\"major\","
             "\"details\":{\"temperature\":%.10g,\"low\":%g,\"high\":%g,\"since\":%.0f,"
             "\"minutes\":%.1f,\"allowed_min\":%g}}",
             device, s->t, c->low, c->high, s->exc_start, dur / 60000.0, c->allowed_ms / 60000.0);
    free(il_call("alarm.raise", req));
    s->alarm = 1;
    s->alarms += 1;
    printf("%s: excursion for %.1f min (%.2f °C), alarm raised\n", device, dur / 60000.0, s->t);
}

/* When the schedule next has work for this sensor: its day end, or the moment its
 * excursion becomes longer than allowed. */
static double due(const cfg_t *c, const st_t *s) {
    double t = s->de;
    if (s->exc && !s->alarm && s->exc_start + c->allowed_ms + 1 < t) t = s->exc_start + c->allowed_ms + 1;
    return t;
}

/* ------------------------------------------------------------------ devices index */

/* Adds a device (when new) to "devices" and lowers "next" to `t`. */
static void index_note(const char *device, double t, int is_new) {
    char *r = il_kv_get("devices");
    double next = INFINITY;
    if (r) il_json_number(r, "next", &next);
    if (!is_new && r && next <= t) { free(r); return; }
    if (t < next) next = t;
    char *req = malloc(BIG);
    if (!req) { free(r); return; }
    const char *d = array_after(r, "d");
    const char *e = d ? strchr(d, ']') : NULL;
    int w;
    if (d && e && memchr(d, '"', (size_t)(e - d)))
        w = snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[%.*s%s%s%s]}}",
                     next, (int)(e - d), d, is_new ? ",\"" : "", is_new ? device : "",
                     is_new ? "\"" : "");
    else
        w = snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[\"%s\"]}}", next, device);
    if (w < BIG) free(il_call("kv.set", req));
    free(req);
    free(r);
}

/* The schedule: closes the days that have ended and raises the alarms of excursions
 * that have become too long without a new reading. */
static int on_schedule(const cfg_t *c, double at) {
    char *r = il_kv_get("devices");
    if (!r) return 0;
    double next = 0;
    il_json_number(r, "next", &next);
    if (at < next) { free(r); return 0; }
    const char *p = array_after(r, "d");
    double new_next = INFINITY;
    while (p && *p && *p != ']') {
        if (*p != '"') { p++; continue; }
        const char *q = strchr(p + 1, '"');
        if (!q) break;
        char device[128];
        snprintf(device, sizeof device, "%.*s", (int)(q - p - 1), p + 1);
        p = q + 1;
        st_t s;
        if (!load_state(device, &s)) continue;
        if (at >= due(c, &s)) {
            if (at > s.acc) advance(c, device, &s, at);
            check_alarm(c, device, &s, at);
            save_state(device, &s);
        }
        double t = due(c, &s);
        if (t < new_next) new_next = t;
    }
    if (isfinite(new_next)) {
        const char *d = array_after(r, "d");
        const char *e = d ? strchr(d, ']') : NULL;
        char *req = malloc(BIG);
        if (req && d && e) {
            snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[%.*s]}}",
                     new_next, (int)(e - d), d);
            free(il_call("kv.set", req));
        }
        free(req);
    }
    free(r);
    return 0;
}

/* ------------------------------------------------------------------ telemetry */

static int point(const char *event, const char *property, double *value, double *ts) {
    char pat[96];
    int n = snprintf(pat, sizeof pat, "\"property\":\"%s\"", property);
    if (n <= 0 || n >= (int)sizeof pat) return 0;
    const char *p = strstr(event, pat);
    if (!p) return 0;
    const char *end = strchr(p, '}');
    const char *v = strstr(p, "\"value\":");
    if (!v || (end && v > end)) return 0;
    v += 8;
    while (*v == ' ') v++;
    char *e;
    double x = strtod(v, &e);
    if (e == v || !isfinite(x)) return 0;
    *value = x;
    *ts = 0;
    const char *t = il_json_number(p, "ts", ts);
    if (!t || (end && t > end + 1)) *ts = 0;
    return 1;
}

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    double v, ts;
    if (!point(event, c->prop, &v, &ts)) return 0; /* no (numeric) temperature */
    if (ts <= 0) { il_warn("a reading without a time is ignored"); return 0; }
    if (v < -100 || v > 200) {
        /* sensor fault codes (-999, 850 …) are not temperatures */
        printf("%s: implausible temperature %.10g °C ignored\n", device, v);
        return 0;
    }
    st_t s;
    int is_new = 0;
    if (!load_state(device, &s)) {
        memset(&s, 0, sizeof s);
        new_day(c, &s, ts);
        s.acc = s.seen = ts; /* the first day starts with the first reading */
        is_new = 1;
    }
    if (ts < s.seen) {
        printf("%s: reading at %.0f older than the last one (%.0f), ignored\n", device, ts, s.seen);
        return 0;
    }
    advance(c, device, &s, ts > s.acc ? ts : s.acc);

    s.t = v;
    s.has_t = 1;
    s.seen = ts;
    if (!s.mm || v < s.tmin) s.tmin = v;
    if (!s.mm || v > s.tmax) s.tmax = v;
    s.mm = 1;
    s.n += 1;
    int was_exc = s.exc;
    if (out_of_range(c, v)) {
        if (!s.exc) { s.exc = 1; s.exc_start = ts; s.excs += 1; }
        check_alarm(c, device, &s, ts);
    } else if (s.exc) {
        double dur = ts - s.exc_start;
        if (dur > s.long_ms) s.long_ms = dur;
        printf("%s: back in range after %.1f min (%.2f °C)\n", device, dur / 60000.0, v);
        if (s.alarm) {
            char req[256];
            snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"temperature_excursion\"}", device);
            free(il_call("alarm.clear", req));
        }
        s.exc = 0;
        s.alarm = 0;
    }
    save_state(device, &s);
    if (is_new) index_note(device, due(c, &s), 1);
    else if (s.exc && !was_exc && !s.alarm) index_note(device, due(c, &s), 0);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    double at = 0;
    if (strcmp(kind, "schedule") == 0) {
        il_json_number(event, "at", &at);
    } else if (strcmp(kind, "manual") == 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        at = (double)now.tv_sec * 1000.0 + (double)(now.tv_nsec / 1000000);
    }
    return at > 0 ? on_schedule(&c, at) : 0;
}
