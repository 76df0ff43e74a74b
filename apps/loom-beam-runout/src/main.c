/* Warp beam run-out prediction for weaving looms.
 *
 * For each loom (its pick counter, speed and run state by telemetry) and the warp beam on it
 * (length, picks per cm, crimp or take-up; set over HTTP at each beam change, or assumed):
 *   fabric woven      L_f = picks since the beam change / (picks_per_cm x 100)            m
 *   warp used         L_w = L_f x (1 + crimp/100)  or  L_f / (1 - take_up/100)           m
 *     (yarn crimp is the yarn length's excess over the fabric length as a % of the fabric
 *      length, take-up the same excess as a % of the yarn length: ASTM D3883; Textile
 *      Institute, Textile Terms and Definitions)
 *   warp left         R = beam length (+ a measured correction) - L_w                    m
 *   picks to run-out  N = (R - end waste) / (1 + crimp/100) x picks_per_cm x 100
 *   rate              r = picks counted over the last rate_window_h hours / that time (picks/h,
 *                     stops included: the loom's current efficiency eta = r / (ppm x 60))
 *   time to run-out   N / r hours, the predicted run-out time; alarm `warp_beam_runout` when
 *                     it is within alarm_hours (or the warp is used up); cleared at the beam
 *                     change, which records the beam.
 *
 * State: "l:<loom>" (counter, beam, rate samples, results), "b:<loom>" the finished beams.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

#include "ironloom_util.h"

/* ------------------------------------------------------------------ configuration */

enum { P_PICKS, P_PPM, P_STATE, NPROP };
#define MAXPTS 600
#define NRING 48

typedef struct {
    char prop[NPROP][72];
    char basis[16];
    double beam_len, ppcm, allowance, waste, window_h, min_rate_min, alarm_h, max_ppm, offset_h, keep_beams, write_min;
    int take_up, write;
} cfg_t;

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_PICKS], "pick_count");
    strcpy(c->prop[P_PPM], "ppm");
    strcpy(c->prop[P_STATE], "state");
    strcpy(c->basis, "crimp");
    c->beam_len = 3000; c->ppcm = 20; c->allowance = 8; c->waste = 1; c->window_h = 4; c->min_rate_min = 30;
    c->alarm_h = 8; c->max_ppm = 1500; c->offset_h = 8; c->keep_beams = 50; c->write_min = 15;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "pick_property", c->prop[P_PICKS], sizeof c->prop[P_PICKS]);
        cfg_str(o, "ppm_property", c->prop[P_PPM], sizeof c->prop[P_PPM]);
        cfg_str(o, "state_property", c->prop[P_STATE], sizeof c->prop[P_STATE]);
        cfg_str(o, "allowance_basis", c->basis, sizeof c->basis);
        cfg_num(o, "beam_length_m", &c->beam_len);
        cfg_num(o, "picks_per_cm", &c->ppcm);
        cfg_num(o, "allowance_pct", &c->allowance);
        cfg_num(o, "end_waste_m", &c->waste);
        cfg_num(o, "rate_window_h", &c->window_h);
        cfg_num(o, "min_rate_min", &c->min_rate_min);
        cfg_num(o, "alarm_hours", &c->alarm_h);
        cfg_num(o, "max_ppm", &c->max_ppm);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_beams", &c->keep_beams);
        cfg_num(o, "write_every_min", &c->write_min);
        double w = 0;
        cfg_num(o, "write_telemetry", &w);
        c->write = w != 0;
    }
    free(r);
    c->take_up = strcmp(c->basis, "take_up") == 0;
    if (c->ppcm <= 0) c->ppcm = 20;
    if (c->allowance < 0 || c->allowance >= 60) c->allowance = 8;
    if (c->window_h <= 0) c->window_h = 4;
    if (c->max_ppm <= 0) c->max_ppm = 1500;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double last_count, last_ts, total, resets, jumps;
    double ppm, ppm_ts, run, run_ts;
    double beam_len, beam_start_ts, beam_start_total, ppcm, allowance, take_up, waste, adjust, assumed, has_beam;
    double alarm, last_write;
    int nr;
    double r_ts[NRING], r_total[NRING];
    char beam[72];
} loom_t;

#define NLF 21
static int loom_fields(loom_t *l, fld_t *f) {
    fld_t t[NLF] = {{"last_count", &l->last_count}, {"last_ts", &l->last_ts}, {"total", &l->total},
                    {"resets", &l->resets}, {"jumps", &l->jumps}, {"ppm", &l->ppm}, {"ppm_ts", &l->ppm_ts},
                    {"run", &l->run}, {"run_ts", &l->run_ts}, {"beam_length_m", &l->beam_len},
                    {"beam_start_ts", &l->beam_start_ts}, {"beam_start_total", &l->beam_start_total},
                    {"picks_per_cm", &l->ppcm}, {"allowance_pct", &l->allowance}, {"take_up", &l->take_up},
                    {"end_waste_m", &l->waste}, {"adjust_m", &l->adjust}, {"assumed", &l->assumed},
                    {"has_beam", &l->has_beam}, {"alarm", &l->alarm}, {"last_write", &l->last_write}};
    memcpy(f, t, sizeof t);
    return NLF;
}

static void read_array(const char *arr, double *out, int cap, int *n) {
    *n = 0;
    if (!arr || *arr != '[') return;
    const char *p = arr + 1;
    while (*p && *n < cap) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        char *e;
        double v = parse_num(p, &e);
        if (e == p) { p = skip_value(p); continue; }
        out[(*n)++] = v;
        p = e;
    }
}

static int load_loom(const char *dev, loom_t *l) {
    memset(l, 0, sizeof *l);
    char key[96], *hold;
    snprintf(key, sizeof key, "l:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NLF];
    load_fields(o, f, loom_fields(l, f));
    member_str(o, "beam", l->beam, sizeof l->beam);
    int a = 0, b = 0;
    read_array(member(o, "ring_ts"), l->r_ts, NRING, &a);
    read_array(member(o, "ring_total"), l->r_total, NRING, &b);
    l->nr = a < b ? a : b;
    free(hold);
    return 1;
}

/* ------------------------------------------------------------------ method */

typedef struct {
    double picks, fabric, warp_used, remaining, picks_left, rate, eff, hours, runout_ts;
    int rate_known;
} res_t;

/* Warp length for a fabric length, by crimp (on the fabric length) or take-up (on the yarn's). */
static double warp_for_fabric(const loom_t *l, double fabric) {
    return l->take_up ? fabric / (1 - l->allowance / 100.0) : fabric * (1 + l->allowance / 100.0);
}

static void results(const cfg_t *c, const loom_t *l, double now, res_t *r) {
    memset(r, 0, sizeof *r);
    r->picks = l->total - l->beam_start_total;
    r->fabric = r->picks / (l->ppcm * 100.0);
    r->warp_used = warp_for_fabric(l, r->fabric);
    r->remaining = l->beam_len + l->adjust - r->warp_used;
    double usable = r->remaining - l->waste;
    r->picks_left = usable > 0 ? (l->take_up ? usable * (1 - l->allowance / 100.0) : usable / (1 + l->allowance / 100.0)) *
                                     l->ppcm * 100.0
                               : 0;
    /* The rate over the window: from the oldest sample within it to the last reading. */
    if (l->nr > 0 && l->last_ts > 0) {
        double span = l->last_ts - l->r_ts[0];
        if (span >= c->min_rate_min * 60000.0) {
            r->rate = (l->total - l->r_total[0]) / (span / HOUR_MS);
            r->rate_known = 1;
        }
    }
    r->eff = r->rate_known && l->ppm > 0 ? r->rate / (l->ppm * 60.0) : -1;
    r->hours = r->rate_known && r->rate > 0 ? r->picks_left / r->rate : -1;
    r->runout_ts = r->hours >= 0 ? now + r->hours * HOUR_MS : 0;
    (void)c;
}

static void save_loom(const cfg_t *c, const char *dev, loom_t *l, double now) {
    sb_t s;
    if (!sb_init(&s, 6144)) return;
    fld_t f[NLF];
    int n = loom_fields(l, f);
    sb_raw(&s, "{");
    sb_str(&s, "beam", l->beam);
    save_fields(&s, f, n);
    char t[40];
    sb_key(&s, "ring_ts");
    sb_raw(&s, "[");
    for (int i = 0; i < l->nr; i++) { fmt_int(t, l->r_ts[i]); if (i) sb_raw(&s, ","); sb_raw(&s, t); }
    sb_raw(&s, "]");
    sb_key(&s, "ring_total");
    sb_raw(&s, "[");
    for (int i = 0; i < l->nr; i++) { fmt_int(t, l->r_total[i]); if (i) sb_raw(&s, ","); sb_raw(&s, t); }
    sb_raw(&s, "]");
    if (l->has_beam) {
        res_t r;
        results(c, l, now, &r);
        sb_int(&s, "beam_picks", r.picks);
        sb_num(&s, "fabric_m", r.fabric);
        sb_num(&s, "warp_used_m", r.warp_used);
        sb_num(&s, "warp_remaining_m", r.remaining);
        sb_num(&s, "remaining_pct", l->beam_len > 0 ? 100.0 * r.remaining / (l->beam_len + l->adjust) : 0);
        sb_num(&s, "picks_left", r.picks_left);
        if (r.rate_known) sb_num(&s, "picks_per_hour", r.rate);
        if (r.eff >= 0) sb_num(&s, "efficiency_pct", 100.0 * r.eff);
        if (r.hours >= 0) {
            sb_num(&s, "hours_to_runout", r.hours);
            sb_int(&s, "runout_ts", r.runout_ts);
            local_text(r.runout_ts, c->offset_h, t, sizeof t);
            sb_str(&s, "runout_time", t);
        }
        local_text(l->beam_start_ts, c->offset_h, t, sizeof t);
        sb_str(&s, "beam_since", t);
    }
    sb_raw(&s, "}");
    char key[96];
    snprintf(key, sizeof key, "l:%s", dev);
    kv_put(key, s.b);
    free(s.b);
}

/* Adds a rate sample (at most one per window/24) and drops those older than the window. */
static void ring_add(const cfg_t *c, loom_t *l, double ts, double total) {
    double wms = c->window_h * HOUR_MS;
    if (l->nr == 0 || ts - l->r_ts[l->nr - 1] >= wms / 24.0) {
        if (l->nr == NRING) {
            memmove(l->r_ts, l->r_ts + 1, sizeof(double) * (NRING - 1));
            memmove(l->r_total, l->r_total + 1, sizeof(double) * (NRING - 1));
            l->nr--;
        }
        l->r_ts[l->nr] = ts;
        l->r_total[l->nr] = total;
        l->nr++;
    }
    int drop = 0;
    while (drop < l->nr - 1 && l->r_ts[drop] < ts - wms) drop++;
    if (drop) {
        memmove(l->r_ts, l->r_ts + drop, sizeof(double) * (size_t)(l->nr - drop));
        memmove(l->r_total, l->r_total + drop, sizeof(double) * (size_t)(l->nr - drop));
        l->nr -= drop;
    }
}

static void start_beam(const cfg_t *c, loom_t *l, const char *id, double len, double ts, int assumed) {
    snprintf(l->beam, sizeof l->beam, "%s", id);
    l->beam_len = len;
    l->beam_start_ts = ts;
    l->beam_start_total = l->total;
    l->ppcm = c->ppcm;
    l->allowance = c->allowance;
    l->take_up = c->take_up;
    l->waste = c->waste;
    l->adjust = 0;
    l->assumed = assumed;
    l->has_beam = 1;
}

static void update_alarm(const cfg_t *c, const char *dev, loom_t *l, double now) {
    if (!l->has_beam) return;
    res_t r;
    results(c, l, now, &r);
    int empty = r.remaining - l->waste <= 0;
    int want = empty || (r.hours >= 0 && r.hours <= c->alarm_h);
    if (want && !l->alarm) {
        sb_t s;
        if (!sb_init(&s, 1024)) return;
        char t[24];
        sb_raw(&s, "{");
        sb_str(&s, "beam", l->beam);
        sb_num(&s, "warp_remaining_m", r.remaining);
        sb_num(&s, "picks_left", r.picks_left);
        if (r.hours >= 0) {
            sb_num(&s, "hours_to_runout", r.hours);
            local_text(r.runout_ts, c->offset_h, t, sizeof t);
            sb_str(&s, "runout_time", t);
        }
        if (r.eff >= 0) sb_num(&s, "efficiency_pct", 100.0 * r.eff);
        sb_num(&s, "alarm_hours", c->alarm_h);
        sb_raw(&s, "}");
        alarm_op(dev, 1, "warp_beam_runout", empty ? "major" : "warning", s.b);
        free(s.b);
        l->alarm = 1;
        printf("%s: warp_beam_runout raised: %.1f m of warp left, %s\n", dev, r.remaining,
               empty ? "used up" : "run-out within the alarm time");
    } else if (!want && l->alarm && r.hours > c->alarm_h) {
        /* Only a longer estimate from more warp (a correction) clears it; a stopped loom does not. */
        alarm_op(dev, 0, "warp_beam_runout", NULL, NULL);
        l->alarm = 0;
        printf("%s: warp_beam_runout cleared\n", dev);
    }
}

/* ------------------------------------------------------------------ telemetry */

static int on_telemetry(const cfg_t *c, const char *event) {
    char dev[72];
    if (!member_str(event, "device", dev, sizeof dev) || !ident_ok(dev)) return 0;
    static pt_t pts[MAXPTS];
    int dropped = 0;
    int n = read_points(event, (char(*)[72])c->prop, NPROP, pts, MAXPTS, &dropped);
    if (dropped) printf("%s: %d points beyond the first %d of one message ignored\n", dev, dropped, MAXPTS);
    if (n == 0) return 0;
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);
    loom_t l;
    load_loom(dev, &l);
    int known = l.last_ts > 0, old_warned = 0, counted = 0;
    double now = 0;
    for (int i = 0; i < n; i++) {
        pt_t *p = &pts[i];
        if (!p->ok) {
            printf("%s: %s is not a number, ignored\n", dev, c->prop[p->prop]);
            continue;
        }
        if (p->ts > now) now = p->ts;
        if (p->prop == P_PPM) {
            if (p->v >= 0 && p->ts >= l.ppm_ts && p->v > 0) { l.ppm = p->v; l.ppm_ts = p->ts; }
            continue;
        }
        if (p->prop == P_STATE) {
            if (p->ts >= l.run_ts) { l.run = p->v; l.run_ts = p->ts; }
            continue;
        }
        double v = p->v;
        if (v < 0 || v != floor(v)) {
            printf("%s: %s %g is no counter value, ignored\n", dev, c->prop[P_PICKS], v);
            continue;
        }
        if (!known) {
            l.last_count = v;
            l.last_ts = p->ts;
            known = 1;
            if (!l.has_beam) {
                start_beam(c, &l, "assumed", c->beam_len, p->ts, 1);
                printf("%s: no beam recorded: a full beam of %.0f m assumed from now (POST beam to record the real one)\n", dev,
                       c->beam_len);
            }
            ring_add(c, &l, p->ts, l.total);
            counted = 1;
            continue;
        }
        if (p->ts <= l.last_ts) {
            if (p->ts < l.last_ts && !old_warned) {
                printf("%s: counter reading at %.0f older than the last one, ignored\n", dev, p->ts);
                old_warned = 1;
            }
            continue;
        }
        double d = v - l.last_count;
        if (d < 0) {
            printf("%s: pick counter went back from %.0f to %.0f: a reset, %.0f picks since it\n", dev, l.last_count, v, v);
            l.resets += 1;
            d = v;
        }
        double most = (p->ts - l.last_ts) / 60000.0 * c->max_ppm + 1;
        if (d > most) {
            printf("%s: pick counter jumped by %.0f in %.0f s (more than %g picks/min): ignored, counting from %.0f\n", dev, d,
                   (p->ts - l.last_ts) / 1000.0, c->max_ppm, v);
            l.jumps += 1;
            d = 0;
        }
        l.last_count = v;
        l.last_ts = p->ts;
        l.total += d;
        ring_add(c, &l, p->ts, l.total);
        counted = 1;
    }
    if (now <= 0) now = l.last_ts;
    if (counted) update_alarm(c, dev, &l, l.last_ts);
    if (c->write && counted && l.has_beam && l.last_ts - l.last_write >= c->write_min * 60000.0) {
        res_t r;
        results(c, &l, l.last_ts, &r);
        sb_t s;
        if (sb_init(&s, 512)) {
            sb_raw(&s, "{");
            sb_str(&s, "device", dev);
            sb_int(&s, "ts", l.last_ts);
            sb_raw(&s, ",\"values\":{");
            sb_num(&s, "warp_remaining_m", r.remaining);
            if (r.hours >= 0) sb_num(&s, "hours_to_runout", r.hours);
            sb_raw(&s, "}}");
            char *rep = il_call("write", s.b);
            if (!il_ok(rep) || !strstr(rep, "\"refused\":[]"))
                warnf("%s: derived telemetry not (fully) stored (declare warp_remaining_m, hours_to_runout as float, or set write_telemetry false): %.300s",
                      dev, rep ? rep : "no reply");
            free(rep);
            free(s.b);
        }
        l.last_write = l.last_ts;
    }
    save_loom(c, dev, &l, l.last_ts > 0 ? l.last_ts : now);
    return 0;
}

/* ------------------------------------------------------------------ HTTP */

static int device_exists(const char *dev) {
    for (int page = 1; page <= 20; page++) {
        char req[32];
        snprintf(req, sizeof req, "{\"page\":%d}", page);
        char *r = il_call("devices", req);
        const char *o = cfg_object(r);
        const char *arr = o ? member(o, "devices") : NULL;
        int found = 0, count = 0;
        if (arr && *arr == '[') {
            const char *p = arr + 1;
            while (*p) {
                p = ws(p);
                if (*p == ']' || !*p) break;
                if (*p == ',') { p++; continue; }
                if (*p == '{') {
                    char name[72];
                    count++;
                    if (member_str(p, "name", name, sizeof name) && strcmp(name, dev) == 0) found = 1;
                }
                p = skip_value(p);
            }
        }
        free(r);
        if (found) return 1;
        if (count < 500) return 0;
    }
    return 0;
}

static void status_json(const cfg_t *c, const char *dev, loom_t *l, sb_t *s) {
    res_t r;
    double now = l->last_ts > 0 ? l->last_ts : l->beam_start_ts;
    results(c, l, now, &r);
    sb_str(s, "loom", dev);
    sb_str(s, "beam", l->beam);
    sb_num(s, "beam_length_m", l->beam_len);
    sb_num(s, "picks_per_cm", l->ppcm);
    sb_num(s, l->take_up ? "take_up_pct" : "crimp_pct", l->allowance);
    sb_int(s, "assumed", l->assumed);
    sb_int(s, "beam_picks", r.picks);
    sb_num(s, "fabric_m", r.fabric);
    sb_num(s, "warp_used_m", r.warp_used);
    sb_num(s, "warp_remaining_m", r.remaining);
    sb_num(s, "picks_left", r.picks_left);
    if (r.rate_known) sb_num(s, "picks_per_hour", r.rate);
    if (r.eff >= 0) sb_num(s, "efficiency_pct", 100.0 * r.eff);
    if (r.hours >= 0) {
        char t[24];
        sb_num(s, "hours_to_runout", r.hours);
        local_text(r.runout_ts, c->offset_h, t, sizeof t);
        sb_str(s, "runout_time", t);
    }
    sb_int(s, "alarm", l->alarm);
}

static const char *loom_arg(const char *body, char *dev, size_t cap) {
    if (!body || *body != '{' || !member_str(body, "loom", dev, cap) || !ident_ok(dev)) return "body: {\"loom\": device, ...}";
    return NULL;
}

/* beam {"loom", "length_m", "beam"?, "picks_per_cm"?, "crimp_pct"? | "take_up_pct"?, "end_waste_m"?, "ts"?} */
static void http_beam(const cfg_t *c, const char *body, double now) {
    char dev[72], id[72] = "";
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    double len = 0, v;
    if (!member_num(body, "length_m", &len) || len <= 0 || len > 1e6) { reply_error(400, "length_m: the warp length on the beam (m, > 0)"); return; }
    if (member(body, "beam") && (!member_str(body, "beam", id, sizeof id) || (id[0] && !ident_ok(id)))) {
        reply_error(400, "beam: an id (letters, digits, - _ . : /)");
        return;
    }
    double ppcm = c->ppcm, allow = c->allowance, waste = c->waste;
    int take_up = c->take_up;
    if (member(body, "picks_per_cm") && (!member_num(body, "picks_per_cm", &ppcm) || ppcm <= 0 || ppcm > 500)) {
        reply_error(400, "picks_per_cm: > 0");
        return;
    }
    if (member(body, "crimp_pct")) {
        if (!member_num(body, "crimp_pct", &allow) || allow < 0 || allow >= 60) { reply_error(400, "crimp_pct: 0 to 60"); return; }
        take_up = 0;
    } else if (member(body, "take_up_pct")) {
        if (!member_num(body, "take_up_pct", &allow) || allow < 0 || allow >= 60) { reply_error(400, "take_up_pct: 0 to 60"); return; }
        take_up = 1;
    }
    if (member(body, "end_waste_m") && (!member_num(body, "end_waste_m", &waste) || waste < 0)) {
        reply_error(400, "end_waste_m: >= 0");
        return;
    }
    if (!device_exists(dev)) { reply_error(404, "no such loom among the installation's devices"); return; }
    double ts = now;
    if (member_num(body, "ts", &v) && v > 0) ts = v;
    loom_t l;
    load_loom(dev, &l);
    /* The beam that comes off: its record. */
    if (l.has_beam) {
        res_t r;
        results(c, &l, ts, &r);
        sb_t s;
        if (sb_init(&s, 1024)) {
            char t1[24], t2[24], key[96];
            local_text(l.beam_start_ts, c->offset_h, t1, sizeof t1);
            local_text(ts, c->offset_h, t2, sizeof t2);
            sb_raw(&s, "{");
            sb_str(&s, "beam", l.beam);
            sb_str(&s, "start", t1);
            sb_str(&s, "end", t2);
            sb_num(&s, "hours", (ts - l.beam_start_ts) / HOUR_MS);
            sb_num(&s, "length_m", l.beam_len);
            sb_int(&s, "picks", r.picks);
            sb_num(&s, "fabric_m", r.fabric);
            sb_num(&s, "warp_used_m", r.warp_used);
            sb_num(&s, "left_m", r.remaining);
            sb_num(&s, "picks_per_cm", l.ppcm);
            sb_num(&s, l.take_up ? "take_up_pct" : "crimp_pct", l.allowance);
            sb_int(&s, "assumed", l.assumed);
            sb_raw(&s, "}");
            snprintf(key, sizeof key, "b:%s", dev);
            il_kv_push(key, s.b, (int)c->keep_beams);
            free(s.b);
        }
        printf("%s: beam %s off after %.1f h: %.0f picks, %.2f m of fabric, %.2f m of warp used, %.2f m left\n", dev, l.beam,
               (ts - l.beam_start_ts) / HOUR_MS, r.picks, r.fabric, r.warp_used, r.remaining);
    }
    if (l.alarm) {
        alarm_op(dev, 0, "warp_beam_runout", NULL, NULL);
        printf("%s: warp_beam_runout cleared (beam change)\n", dev);
        l.alarm = 0;
    }
    if (!id[0]) snprintf(id, sizeof id, "beam-%.0f", ts / 1000);
    start_beam(c, &l, id, len, ts, 0);
    l.ppcm = ppcm;
    l.allowance = allow;
    l.take_up = take_up;
    l.waste = waste;
    printf("%s: beam %s on: %.1f m of warp, %g picks/cm, %s %g %%\n", dev, id, len, ppcm, take_up ? "take-up" : "crimp", allow);
    save_loom(c, dev, &l, ts);
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

/* remaining {"loom", "remaining_m"}: a measured warp length left (beam diameter or a count). */
static void http_remaining(const cfg_t *c, const char *body) {
    char dev[72];
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    double rem;
    if (!member_num(body, "remaining_m", &rem) || rem < 0 || rem > 1e6) { reply_error(400, "remaining_m: >= 0"); return; }
    loom_t l;
    if (!load_loom(dev, &l) || !l.has_beam) { reply_error(404, "no beam on this loom yet"); return; }
    res_t r;
    results(c, &l, l.last_ts, &r);
    l.adjust += rem - r.remaining;
    printf("%s: warp left measured %.2f m (computed %.2f m): correction %+.2f m\n", dev, rem, r.remaining, l.adjust);
    update_alarm(c, dev, &l, l.last_ts);
    save_loom(c, dev, &l, l.last_ts);
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

/* status {"loom"}: one loom's beam and prediction. */
static void http_status(const cfg_t *c, const char *body) {
    char dev[72];
    const char *err = loom_arg(body, dev, sizeof dev);
    if (err) { reply_error(400, err); return; }
    loom_t l;
    if (!load_loom(dev, &l) || !l.has_beam) { reply_error(404, "no beam on this loom yet"); return; }
    sb_t s;
    if (sb_init(&s, 2048)) {
        sb_raw(&s, "{");
        status_json(c, dev, &l, &s);
        sb_raw(&s, "}");
        reply_json(200, s.b);
        free(s.b);
    }
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    member_str(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "http") == 0) {
        char path[32] = "";
        member_str(event, "path", path, sizeof path);
        const char *body = member(event, "body");
        if (strcmp(path, "beam") == 0) http_beam(&c, body, now_ms());
        else if (strcmp(path, "remaining") == 0) http_remaining(&c, body);
        else if (strcmp(path, "status") == 0) http_status(&c, body);
        else reply_error(404, "unknown path");
        return 0;
    }
    if (strcmp(kind, "manual") == 0) {
        double per_m = c.ppcm * 100.0 / (c.take_up ? 1.0 / (1 - c.allowance / 100.0) : 1 + c.allowance / 100.0);
        printf("%g picks/cm, %s %g %%: %.1f picks per metre of warp; a %.0f m beam holds %.0f picks\n", c.ppcm,
               c.take_up ? "take-up" : "crimp", c.allowance, per_m, c.beam_len, (c.beam_len - c.waste) * per_m);
    }
    return 0;
}
