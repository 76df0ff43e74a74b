/* OEE per machine and shift.
 *
 * Every machine's telemetry is followed through the configured shifts:
 *   - run time   : time in the run state (run property above `run_above` and at most
 *                  `run_at_most`, e.g. spindle_speed > 0 or run_state == 1), the last
 *                  state held until the next reading but never longer than `max_gap_s`;
 *                  time without data counts as not running;
 *   - total count: the increments of the part counter (a counter that goes back is a
 *                  reset: its new value is what was made since the reset);
 *   - rejects    : the increments of the optional reject counter (none: good = total).
 * A shift is closed at its end, by the schedule trigger or by the first reading of a
 * later shift, whichever comes first. Planned production time is the observed part of
 * the shift (from its start, or the first reading ever) minus the configured planned
 * stops (pro rata when only part of the shift was observed). The library model
 * `oee.oee` (ISO 22400-2 §5; Nakajima) gives availability, performance, quality and
 * OEE, which are written as derived telemetry at the shift's end, kept in the last N
 * shifts of the machine for the panel, and compared with the target: an alarm
 * `low_oee` is raised below it and cleared by the next shift at or above it.
 *
 * Crash-only: everything that must survive lives in the installation's state:
 *   "m:<device>"  the shift in progress (times in ms since the epoch)
 *   "h:<device>"  the last N closed shifts, oldest first
 *   "devices"     {"next": earliest shift end, "d": [device…]} for the schedule
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define DAY_MS 86400000.0
#define MAX_STARTS 12
#define BIG 65536

/* ------------------------------------------------------------------ config */

/* A number among a model's outputs (the reply {"ok":{"outputs":{...},"units":{...}}}). */
static const char *model_output(const char *reply, const char *key, double *out) {
    return il_json_number(il_json_object(reply, "outputs"), key, out);
}

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
    char run_prop[72], count_prop[72], reject_prop[72];
    double run_above, run_at_most;
    double cycle_s, target, offset_h, stop_min, max_gap_ms;
    int keep, skip_idle;
    int nstarts;
    double starts[MAX_STARTS]; /* minutes into the local day, ascending */
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

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "shift_starts": ["08:00", "16:00", "00:00"] → sorted minutes; invalid entries are
 * logged and skipped; none valid → 00:00, 08:00, 16:00. */
static void parse_starts(const char *cfg, cfg_t *c) {
    c->nstarts = 0;
    const char *p = array_after(cfg, "shift_starts");
    if (p) {
        while (*p && *p != ']' && c->nstarts < MAX_STARTS) {
            if (*p == '"') {
                int h = -1, m = -1;
                const char *q = strchr(p + 1, '"');
                if (!q) break;
                if (sscanf(p + 1, "%d:%d", &h, &m) == 2 && h >= 0 && h < 24 && m >= 0 && m < 60) {
                    double v = h * 60 + m;
                    int dup = 0;
                    for (int i = 0; i < c->nstarts; i++) dup |= c->starts[i] == v;
                    if (!dup) c->starts[c->nstarts++] = v;
                } else {
                    il_warn("shift_starts: an entry is not HH:MM and is ignored");
                }
                p = q + 1;
            } else {
                p++;
            }
        }
    }
    if (c->nstarts == 0) {
        c->starts[0] = 0; c->starts[1] = 480; c->starts[2] = 960;
        c->nstarts = 3;
    }
    qsort(c->starts, (size_t)c->nstarts, sizeof(double), cmp_double);
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->run_prop, "spindle_speed");
    strcpy(c->count_prop, "part_count");
    c->run_above = 0; c->run_at_most = 1e12;
    c->cycle_s = 60; c->target = 0.6; c->offset_h = 8; c->stop_min = 0;
    double gap_s = 900, keep = 21;
    c->skip_idle = 1;
    char *cfg = il_call("config", "{}");
    if (cfg) {
        il_json_string(cfg, "run_property", c->run_prop, sizeof c->run_prop);
        il_json_string(cfg, "count_property", c->count_prop, sizeof c->count_prop);
        il_json_string(cfg, "reject_property", c->reject_prop, sizeof c->reject_prop);
        il_json_number(cfg, "run_above", &c->run_above);
        il_json_number(cfg, "run_at_most", &c->run_at_most);
        il_json_number(cfg, "ideal_cycle_s", &c->cycle_s);
        il_json_number(cfg, "oee_target", &c->target);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "planned_stop_min", &c->stop_min);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "keep_shifts", &keep);
        c->skip_idle = json_bool(cfg, "skip_idle", 1);
        parse_starts(cfg, c);
        free(cfg);
    } else {
        parse_starts("", c);
    }
    c->max_gap_ms = gap_s * 1000.0;
    c->keep = keep < 1 ? 1 : keep > 90 ? 90 : (int)keep;
}

/* ------------------------------------------------------------------ shifts */

/* The shift holding time t (ms UTC): start, end (ms UTC) and 0-based index. */
static void shift_of(const cfg_t *c, double t, double *start, double *end, int *idx) {
    double off = c->offset_h * 3600000.0;
    double local = t + off;
    double day = floor(local / DAY_MS);
    double min = (local - day * DAY_MS) / 60000.0;
    int k = -1;
    for (int j = 0; j < c->nstarts; j++)
        if (c->starts[j] <= min) k = j;
    if (k < 0) { k = c->nstarts - 1; day -= 1; }
    *start = day * DAY_MS + c->starts[k] * 60000.0 - off;
    *end = k + 1 < c->nstarts ? day * DAY_MS + c->starts[k + 1] * 60000.0 - off
                              : (day + 1) * DAY_MS + c->starts[0] * 60000.0 - off;
    *idx = k;
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

/* The local date a shift starts on, "YYYY-MM-DD". */
static void shift_date(const cfg_t *c, double start, char *out, size_t cap) {
    int y, m, d;
    civil((long)floor((start + c->offset_h * 3600000.0) / DAY_MS), &y, &m, &d);
    snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double ss, se;        /* shift start and end */
    int idx;              /* shift index (0-based, in order of the starts) */
    double first;         /* start of the observed part of the shift */
    double acc;           /* time accounted up to */
    double seen;          /* last reading */
    int run;              /* held state: -1 unknown, 0 stopped, 1 running */
    double run_ms, nodata_ms;
    int has_cnt, has_rej; /* counter baselines known */
    double cnt, rej;      /* last counter values */
    double total, rejects;/* increments in this shift */
    int alarm;            /* low_oee raised and not yet cleared */
} st_t;

static int load_state(const char *device, st_t *s) {
    char key[160];
    snprintf(key, sizeof key, "m:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    double v;
    memset(s, 0, sizeof *s);
#define RD(k, f) if (il_json_number(r, k, &v)) f = v
    RD("start", s->ss); RD("end", s->se); RD("shift", s->idx); s->idx -= 1;
    RD("first", s->first); RD("acc", s->acc); RD("seen", s->seen);
    s->run = -1; RD("run", s->run);
    RD("run_ms", s->run_ms); RD("nodata_ms", s->nodata_ms);
    RD("has_cnt", s->has_cnt); RD("has_rej", s->has_rej);
    RD("cnt", s->cnt); RD("rej", s->rej); RD("total", s->total); RD("rejects", s->rejects);
    RD("alarm", s->alarm);
#undef RD
    free(r);
    return s->se > s->ss;
}

static void save_state(const char *device, const st_t *s) {
    char req[1024];
    snprintf(req, sizeof req,
             "{\"key\":\"m:%s\",\"value\":{\"start\":%.0f,\"end\":%.0f,\"shift\":%d,"
             "\"first\":%.0f,\"acc\":%.0f,\"seen\":%.0f,\"run\":%d,\"run_ms\":%.0f,"
             "\"nodata_ms\":%.0f,\"has_cnt\":%d,\"cnt\":%.17g,\"has_rej\":%d,\"rej\":%.17g,"
             "\"total\":%.17g,\"rejects\":%.17g,\"alarm\":%d}}",
             device, s->ss, s->se, s->idx + 1, s->first, s->acc, s->seen, s->run, s->run_ms,
             s->nodata_ms, s->has_cnt, s->cnt, s->has_rej, s->rej, s->total, s->rejects,
             s->alarm);
    free(il_call("kv.set", req));
}

static void new_shift(const cfg_t *c, st_t *s, double t) {
    shift_of(c, t, &s->ss, &s->se, &s->idx);
    s->first = s->ss;
    s->acc = s->ss;
    s->run_ms = s->nodata_ms = s->total = s->rejects = 0;
}

/* Accounts [from, to) of the current shift with the held state. */
static void account(const cfg_t *c, st_t *s, double from, double to) {
    if (to <= from) return;
    double valid = fmin(to, fmax(from, s->seen + c->max_gap_ms));
    if (s->run == 1) s->run_ms += valid - from;
    else if (s->run < 0) s->nodata_ms += valid - from;
    s->nodata_ms += to - valid;
}

/* ------------------------------------------------------------------ closing */

/* Appends one record to "h:<device>", keeping the last `keep`. */
static void push_history(const cfg_t *c, const char *device, const char *rec) {
    char key[160];
    snprintf(key, sizeof key, "h:%s", device);
    il_kv_push(key, rec, c->keep);
}

/* Closes the shift in `s`: OEE by the library model, derived telemetry, history, alarm. */
static void close_shift(const cfg_t *c, const char *device, st_t *s) {
    double len = s->se - s->ss, span = s->se - s->first;
    double planned = span - c->stop_min * 60000.0 * span / len;
    char date[16];
    shift_date(c, s->ss, date, sizeof date);
    if (planned <= 0) {
        printf("%s: shift %s #%d has no planned time, not rated\n", device, date, s->idx + 1);
        return;
    }
    double run = fmin(s->run_ms, planned);
    double total = s->total, good = fmax(0, s->total - s->rejects);
    if (run <= 0 && total <= 0 && c->skip_idle) {
        printf("%s: shift %s #%d idle (no run time, no parts), not rated\n", device, date,
               s->idx + 1);
        return;
    }
    char req[1024];
    snprintf(req, sizeof req,
             "{\"model\":\"oee.oee\",\"inputs\":{\"planned\":%.17g,\"run\":%.17g,"
             "\"cycle\":%.17g,\"total\":%.17g,\"good\":%.17g}}",
             planned / 60000.0, run / 60000.0, c->cycle_s, total, good);
    char *r = il_call("model", req);
    double a = 0, p = 0, q = 0, oee = 0;
    if (!il_ok(r) || !model_output(r, "availability", &a) ||
        !model_output(r, "performance", &p) || !model_output(r, "quality", &q) ||
        !model_output(r, "oee", &oee)) {
        il_warn(r ? r : "no reply from the model oee.oee");
        free(r);
        return;
    }
    free(r);

    /* Floats with a decimal point (a quality of exactly 1 is "1.0"): a series is typed by
     * its first value. */
    char fa[32], fp[32], fq[32], fo[32];
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",\"ts\":%.0f,\"values\":{\"availability\":%s,"
             "\"performance\":%s,\"quality\":%s,\"oee\":%s}}",
             device, s->se, il_json_float(fa, sizeof fa, a, 12), il_json_float(fp, sizeof fp, p, 12),
             il_json_float(fq, sizeof fq, q, 12), il_json_float(fo, sizeof fo, oee, 12));
    r = il_call("write", req);
    if (!il_ok(r) || !strstr(r, "\"refused\":[]")) {
        /* e.g. the thing model does not declare availability, performance, quality, oee */
        char msg[768];
        snprintf(msg, sizeof msg, "%s: derived telemetry not (fully) stored: %.600s", device,
                 r ? r : "no reply");
        il_warn(msg);
    }
    free(r);

    char rec[640];
    snprintf(rec, sizeof rec,
             "{\"date\":\"%s\",\"shift\":%d,\"start\":%.0f,\"end\":%.0f,\"planned_min\":%.10g,"
             "\"run_min\":%.10g,\"nodata_min\":%.10g,\"total\":%.17g,\"good\":%.17g,"
             "\"availability\":%.10g,\"performance\":%.10g,\"quality\":%.10g,\"oee\":%.10g,"
             "\"target\":%g}",
             date, s->idx + 1, s->ss, s->se, planned / 60000.0, run / 60000.0,
             s->nodata_ms / 60000.0, total, good, a, p, q, oee, c->target);
    push_history(c, device, rec);

    if (oee < c->target) {
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"low_oee\",\"severity\":\"warning\","
                 "\"details\":{\"shift\":\"%s #%d\",\"oee\":%.4f,\"target\":%g,"
                 "\"availability\":%.4f,\"performance\":%.4f,\"quality\":%.4f}}",
                 device, date, s->idx + 1, oee, c->target, a, p, q);
        free(il_call("alarm.raise", req));
        s->alarm = 1;
    } else if (s->alarm) {
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"low_oee\"}", device);
        free(il_call("alarm.clear", req));
        s->alarm = 0;
    }
    printf("%s: shift %s #%d OEE %.3f (A %.3f, P %.3f, Q %.3f)\n", device, date, s->idx + 1,
           oee, a, p, q);
    if (p > 1.0 + 1e-9)
        printf("%s: performance above 100 %%: the ideal cycle time (%g s) is probably set too long\n",
               device, c->cycle_s);
}

/* Accounts time up to `to`, closing every shift that ends on the way. Shifts that would
 * see no data at all (the held state has expired before they start) are skipped. */
static void advance(const cfg_t *c, const char *device, st_t *s, double to) {
    while (s->acc < to) {
        double seg = fmin(to, s->se);
        account(c, s, s->acc, seg);
        s->acc = seg;
        if (s->acc < s->se) break;
        close_shift(c, device, s);
        double next = s->se;
        if (s->seen + c->max_gap_ms <= next && to > next) next = to;
        new_shift(c, s, next);
    }
}

/* ------------------------------------------------------------------ devices index */

/* Adds a device to "devices" and lowers its "next" shift end. */
static void index_add(const char *device, double end) {
    char *r = il_kv_get("devices");
    char *req = malloc(BIG);
    if (!req) { free(r); return; }
    double next = end;
    int w;
    if (r) {
        double n;
        if (il_json_number(r, "next", &n) && n < next) next = n;
        const char *d = array_after(r, "d");
        const char *e = d ? strchr(d, ']') : NULL;
        if (d && e && memchr(d, '"', (size_t)(e - d)))
            w = snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[%.*s,\"%s\"]}}",
                         next, (int)(e - d), d, device);
        else
            w = snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[\"%s\"]}}", next, device);
    } else {
        w = snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[\"%s\"]}}", next, device);
    }
    if (w < BIG) free(il_call("kv.set", req));
    free(req);
    free(r);
}

/* The schedule: closes the shifts that have ended by `at`. */
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
        if (at >= s.se) {
            advance(c, device, &s, at);
            save_state(device, &s);
        }
        if (s.se < new_next) new_next = s.se;
    }
    if (isfinite(new_next)) {
        const char *d = array_after(r, "d");
        const char *e = d ? strchr(d, ']') : NULL;
        if (d && e) {
            char *req = malloc(BIG);
            if (req) {
                snprintf(req, BIG, "{\"key\":\"devices\",\"value\":{\"next\":%.0f,\"d\":[%.*s]}}",
                         new_next, (int)(e - d), d);
                free(il_call("kv.set", req));
                free(req);
            }
        }
    }
    free(r);
    return 0;
}

/* ------------------------------------------------------------------ telemetry */

/* The value of `property` in the event's points (numbers, true/false) and its ts. */
static int point(const char *event, const char *property, double *value, double *ts) {
    if (!property[0]) return 0;
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
    if (strncmp(v, "true", 4) == 0) *value = 1;
    else if (strncmp(v, "false", 5) == 0) *value = 0;
    else {
        char *e;
        double x = strtod(v, &e);
        if (e == v || !isfinite(x)) return 0;
        *value = x;
    }
    *ts = 0;
    const char *t = il_json_number(p, "ts", ts);
    if (!t || (end && t > end + 1)) *ts = 0;
    return 1;
}

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    double runv = 0, cntv = 0, rejv = 0, t1 = 0, t2 = 0, t3 = 0;
    int has_run = point(event, c->run_prop, &runv, &t1);
    int has_cnt = point(event, c->count_prop, &cntv, &t2);
    int has_rej = point(event, c->reject_prop, &rejv, &t3);
    if (!has_run && !has_cnt && !has_rej) return 0; /* nothing this app uses */
    double ts = has_run ? t1 : has_cnt ? t2 : t3;
    if (ts <= 0) { il_warn("a reading without a time is ignored"); return 0; }

    st_t s;
    if (!load_state(device, &s)) {
        memset(&s, 0, sizeof s);
        new_shift(c, &s, ts);
        s.first = s.acc = s.seen = ts; /* planned time starts with the first reading */
        s.run = -1;
        index_add(device, s.se);
    }
    if (ts < s.seen) {
        printf("%s: reading at %.0f older than the last one (%.0f), ignored\n", device, ts, s.seen);
        return 0;
    }
    /* A late reading (before time already accounted by the schedule) takes effect now. */
    advance(c, device, &s, ts > s.acc ? ts : s.acc);

    if (has_run) s.run = runv > c->run_above && runv <= c->run_at_most;
    if (has_cnt && cntv >= 0) {
        if (s.has_cnt) {
            double d = cntv - s.cnt;
            if (d < 0) { printf("%s: part counter reset (%.17g → %.17g)\n", device, s.cnt, cntv); d = cntv; }
            s.total += d;
        }
        s.cnt = cntv; s.has_cnt = 1;
    }
    if (has_rej && rejv >= 0) {
        if (s.has_rej) {
            double d = rejv - s.rej;
            if (d < 0) { printf("%s: reject counter reset (%.17g → %.17g)\n", device, s.rej, rejv); d = rejv; }
            s.rejects += d;
        }
        s.rej = rejv; s.has_rej = 1;
    }
    s.seen = ts;
    save_state(device, &s);
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
