/* Energy a variable-speed drive saves against throttling, for a centrifugal pump.
 *
 * On every telemetry message of a pump (flow, run state, head; names configurable) the time
 * since the previous reading is credited to the held flow: hours per flow band (and the mean
 * flow of each band) per local day and since installation: the measured duty. For each band's
 * mean flow Q the app compares, from the configured curves:
 *   pump curve at rated speed   H_p(Q) = a + b Q + c Q^2   (least squares through the points)
 *   efficiency at rated speed   eta(Q) = e0 + e1 Q + e2 Q^2
 *   system curve                H_s(Q) = H_static + k Q^2  (k from a design point, or fitted
 *                                                          to measured flow and head)
 *   throttled: full speed, the valve burns H_p(Q) - H_s(Q):
 *       P_t = rho g Q H_p(Q) / eta(Q) / eta_motor
 *   variable speed (affinity laws Q ~ n, H ~ n^2, similar points keep their efficiency):
 *       a r^2 + b Q r + c Q^2 = H_s(Q)  ->  speed ratio r (at least the minimum speed)
 *       P_v = rho g Q H_s(Q) / eta(Q/r) / (eta_motor eta_drive)
 * as in Europump and Hydraulic Institute, "Variable Speed Pumping - A Guide to Successful
 * Applications" (2004) and its US DOE Executive Summary. Savings = sum of hours x (P_t - P_v),
 * the cost at the configured price, extrapolated to a year, and the simple payback of the drive.
 *
 * State: "c:<device>" (readings, duty histograms, results), "d:<device>" closed days.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

#include "ironloom_util.h"


/* ------------------------------------------------------------------ configuration */

enum { P_FLOW, P_RUN, P_HEAD, NPROP };
#define MAXPTS 600
#define NB 40
#define MAXCURVE 12

typedef struct {
    char prop[NPROP][72];
    char currency[16];
    double flow_k, run_value, min_flow, rated_rpm;
    double cq[MAXCURVE], ch[MAXCURVE], eq[MAXCURVE], ee[MAXCURVE];
    int ncurve, neff;
    double hs, design_q, design_h, eta_m, eta_d, min_speed, rho, g;
    double band, price, drive_cost, annual_h;
    double max_gap_ms, offset_h, keep_days;
    int write;
} cfg_t;

/* Reads up to max numbers of a JSON array member into out; returns how many. */
static int cfg_array(const char *o, const char *key, double *out, int max) {
    const char *m = member(o, key);
    if (!m || *m != '[') return -1;
    const char *p = m + 1;
    int n = 0;
    while (*p) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        char *e;
        double v = parse_num(p, &e);
        if (e == p) { p = skip_value(p); continue; }
        if (n < max) out[n++] = v;
        p = e;
    }
    return n;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_FLOW], "flow");
    strcpy(c->prop[P_RUN], "run_state");
    strcpy(c->prop[P_HEAD], "head");
    strcpy(c->currency, "CNY");
    c->flow_k = 1; c->run_value = 1; c->min_flow = 0.5; c->rated_rpm = 1450;
    static const double dq[3] = {0, 42, 55}, dh[3] = {40, 32.7, 27}, de_q[3] = {21, 42, 55}, de[3] = {55, 72, 68};
    for (int i = 0; i < 3; i++) { c->cq[i] = dq[i]; c->ch[i] = dh[i]; c->eq[i] = de_q[i]; c->ee[i] = de[i]; }
    c->ncurve = c->neff = 3;
    c->hs = 0; c->design_q = 42; c->design_h = 32.7; c->eta_m = 92; c->eta_d = 97; c->min_speed = 30;
    c->rho = 998; c->g = 9.80665; c->band = 2; c->price = 0.75; c->drive_cost = 12000;
    c->offset_h = 8; c->keep_days = 62;
    double gap_s = 300, w = 0;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "flow_property", c->prop[P_FLOW], sizeof c->prop[P_FLOW]);
        cfg_str(o, "run_property", c->prop[P_RUN], sizeof c->prop[P_RUN]);
        cfg_str(o, "head_property", c->prop[P_HEAD], sizeof c->prop[P_HEAD]);
        cfg_str(o, "currency", c->currency, sizeof c->currency);
        cfg_num(o, "flow_to_m3h", &c->flow_k);
        cfg_num(o, "run_value", &c->run_value);
        cfg_num(o, "min_flow_m3h", &c->min_flow);
        cfg_num(o, "rated_speed_rpm", &c->rated_rpm);
        double q[MAXCURVE], h[MAXCURVE], eq[MAXCURVE], ee[MAXCURVE];
        int nq = cfg_array(o, "pump_curve_flow_m3h", q, MAXCURVE), nh = cfg_array(o, "pump_curve_head_m", h, MAXCURVE);
        if (nq >= 0 || nh >= 0) {
            c->ncurve = nq < nh ? nq : nh;
            if (nq != nh) printf("pump_curve_flow_m3h has %d points and pump_curve_head_m %d: the first %d pairs are used\n", nq, nh, c->ncurve);
            for (int i = 0; i < c->ncurve; i++) { c->cq[i] = q[i]; c->ch[i] = h[i]; }
        }
        nq = cfg_array(o, "efficiency_flow_m3h", eq, MAXCURVE);
        nh = cfg_array(o, "efficiency_pct", ee, MAXCURVE);
        if (nq >= 0 || nh >= 0) {
            c->neff = nq < nh ? nq : nh;
            if (nq != nh) printf("efficiency_flow_m3h has %d points and efficiency_pct %d: the first %d pairs are used\n", nq, nh, c->neff);
            for (int i = 0; i < c->neff; i++) { c->eq[i] = eq[i]; c->ee[i] = ee[i]; }
        }
        cfg_num(o, "static_head_m", &c->hs);
        cfg_num(o, "design_flow_m3h", &c->design_q);
        cfg_num(o, "design_head_m", &c->design_h);
        cfg_num(o, "motor_efficiency_pct", &c->eta_m);
        cfg_num(o, "drive_efficiency_pct", &c->eta_d);
        cfg_num(o, "min_speed_pct", &c->min_speed);
        cfg_num(o, "density_kg_m3", &c->rho);
        cfg_num(o, "band_m3h", &c->band);
        cfg_num(o, "price_per_kwh", &c->price);
        cfg_num(o, "drive_cost", &c->drive_cost);
        cfg_num(o, "annual_running_hours", &c->annual_h);
        cfg_num(o, "max_gap_s", &gap_s);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_days", &c->keep_days);
        cfg_num(o, "write_telemetry", &w);
    }
    free(r);
    c->write = w != 0;
    if (c->flow_k <= 0) c->flow_k = 1;
    if (c->band <= 0) c->band = 2;
    if (c->eta_m <= 0 || c->eta_m > 100) c->eta_m = 92;
    if (c->eta_d <= 0 || c->eta_d > 100) c->eta_d = 97;
    if (c->rho <= 0) c->rho = 998;
    c->max_gap_ms = gap_s * 1000.0;
}

/* ------------------------------------------------------------------ the pump model */

/* Least-squares quadratic y = p0 + p1 x + p2 x^2 through n >= 3 points; 1 when solvable. */
static int fit_quadratic(const double *x, const double *y, int n, double p[3]) {
    if (n < 3) return 0;
    double s[5] = {0}, t[3] = {0};
    for (int i = 0; i < n; i++) {
        double xp = 1;
        for (int k = 0; k < 5; k++) {
            s[k] += xp;
            if (k < 3) t[k] += y[i] * xp;
            xp *= x[i];
        }
    }
    double m[3][4] = {{s[0], s[1], s[2], t[0]}, {s[1], s[2], s[3], t[1]}, {s[2], s[3], s[4], t[2]}};
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(m[r][col]) > fabs(m[piv][col])) piv = r;
        if (fabs(m[piv][col]) < 1e-12 * (fabs(s[4]) + 1)) return 0;
        if (piv != col)
            for (int k = 0; k < 4; k++) { double tmp = m[col][k]; m[col][k] = m[piv][k]; m[piv][k] = tmp; }
        for (int r = 0; r < 3; r++) {
            if (r == col) continue;
            double f = m[r][col] / m[col][col];
            for (int k = col; k < 4; k++) m[r][k] -= f * m[col][k];
        }
    }
    for (int k = 0; k < 3; k++) p[k] = m[k][3] / m[k][k];
    return isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
}

typedef struct {
    int ok;
    double a, b, c;    /* head at rated speed, m */
    double e0, e1, e2; /* efficiency, fraction */
    double hs, k;      /* system curve */
    const char *k_src;
    const char *why;   /* when not ok */
} model_t;

static void make_model(const cfg_t *c, double k_fit, model_t *m) {
    memset(m, 0, sizeof *m);
    double p[3], e[3], ee[MAXCURVE];
    if (!fit_quadratic(c->cq, c->ch, c->ncurve, p)) { m->why = "the pump curve needs at least 3 distinct points"; return; }
    for (int i = 0; i < c->neff; i++) ee[i] = c->ee[i] / 100.0;
    if (!fit_quadratic(c->eq, ee, c->neff, e)) { m->why = "the efficiency curve needs at least 3 distinct points"; return; }
    m->a = p[0]; m->b = p[1]; m->c = p[2];
    m->e0 = e[0]; m->e1 = e[1]; m->e2 = e[2];
    if (m->a <= 0) { m->why = "the pump curve has no positive shut-off head"; return; }
    m->hs = c->hs;
    if (c->design_q > 0 && c->design_h > c->hs) {
        m->k = (c->design_h - c->hs) / (c->design_q * c->design_q);
        m->k_src = "design point";
    } else if (k_fit > 0) {
        m->k = k_fit;
        m->k_src = "measured";
    } else {
        m->why = "no system curve yet: set design_flow_m3h and design_head_m, or report the head to fit it";
        return;
    }
    m->ok = 1;
}

static double eff_at(const model_t *m, double q) {
    double e = m->e0 + m->e1 * q + m->e2 * q * q;
    return e < 0.05 ? 0.05 : (e > 0.95 ? 0.95 : e);
}

typedef struct {
    double r;      /* speed ratio with the drive */
    double h_t;    /* pump head throttled (full speed) */
    double h_v;    /* pump head with the drive */
    double eta_t, eta_v;
    double p_t, p_v; /* electrical input, kW */
    int full;      /* at or beyond the pump's full-speed capacity on this system */
} op_t;

/* The operating points of flow q (m3/h) throttled and with the drive. */
static void operate(const cfg_t *c, const model_t *m, double q, op_t *o) {
    memset(o, 0, sizeof *o);
    if (q <= 0) return;
    double k_hyd = c->rho * c->g / 3.6e6; /* kW per (m3/h x m) */
    double hp = m->a + m->b * q + m->c * q * q;
    double hsys = m->hs + m->k * q * q;
    double em = c->eta_m / 100.0, ed = c->eta_d / 100.0, rmin = c->min_speed / 100.0;
    o->eta_t = eff_at(m, q);
    if (hp <= hsys) {
        /* The pump cannot throttle here: at full speed with or without the drive. */
        o->full = 1;
        o->r = 1;
        o->h_t = o->h_v = hp > 0 ? hp : 0;
        o->eta_v = o->eta_t;
        o->p_t = k_hyd * q * o->h_t / o->eta_t / em;
        o->p_v = o->p_t / ed;
        return;
    }
    o->h_t = hp;
    o->p_t = k_hyd * q * hp / o->eta_t / em;
    double disc = m->b * m->b * q * q - 4.0 * m->a * (m->c * q * q - hsys);
    double r = disc > 0 ? (-m->b * q + sqrt(disc)) / (2.0 * m->a) : 1;
    if (!(r > 0) || r > 1) r = 1;
    o->h_v = hsys;
    if (r < rmin) {
        /* Held at the minimum speed, the rest throttled. */
        r = rmin;
        o->h_v = m->a * r * r + m->b * q * r + m->c * q * q;
        if (o->h_v < hsys) o->h_v = hsys;
    }
    o->r = r;
    o->eta_v = eff_at(m, q / r);
    o->p_v = k_hyd * q * o->h_v / o->eta_v / (em * ed);
}

/* ------------------------------------------------------------------ state */

enum { A_DAY, A_TOT, NA };
enum { T_RUN, T_STOP, T_ND, NT };

typedef struct {
    double t[NT];        /* seconds running / stopped / no data */
    double h[NB], qh[NB];/* hours per band and flow x hours */
} acc_t;

typedef struct {
    double first, last, day;
    double v_flow, ts_flow, v_run, ts_run, v_head, ts_head;
    double n_fit, s_q4, s_q2h, refused, warned_full;
    acc_t a[NA];
} st_t;

#define NBASE 15
static const char *ANAMES[NA][NT] = {{"d_run", "d_stop", "d_nd"}, {"t_run", "t_stop", "t_nd"}};
static const char *HNAMES[NA][2] = {{"d_h", "d_qh"}, {"t_h", "t_qh"}};

static int state_fields(st_t *s, fld_t *f) {
    const char *n[NBASE] = {"first", "last", "day", "v_flow", "ts_flow", "v_run", "ts_run", "v_head", "ts_head",
                            "n_fit", "s_q4", "s_q2h", "refused", "warned_full", "_"};
    static double dummy;
    double *v[NBASE] = {&s->first, &s->last, &s->day, &s->v_flow, &s->ts_flow, &s->v_run, &s->ts_run, &s->v_head,
                        &s->ts_head, &s->n_fit, &s->s_q4, &s->s_q2h, &s->refused, &s->warned_full, &dummy};
    int k = 0;
    for (int i = 0; i < NBASE - 1; i++, k++) { f[k].name = n[i]; f[k].v = v[i]; }
    for (int a = 0; a < NA; a++)
        for (int t = 0; t < NT; t++, k++) { f[k].name = ANAMES[a][t]; f[k].v = &s->a[a].t[t]; }
    return k;
}

static void load_array(const char *o, const char *key, double *out, int n) {
    const char *m = member(o, key);
    if (!m || *m != '[') return;
    const char *p = m + 1;
    int i = 0;
    while (*p && i < n) {
        p = ws(p);
        if (*p == ']' || !*p) break;
        if (*p == ',') { p++; continue; }
        char *e;
        double v = parse_num(p, &e);
        if (e == p) { p = skip_value(p); i++; continue; }
        out[i++] = v;
        p = e;
    }
}

static void save_array(sb_t *b, const char *key, const double *v, int n) {
    int last = n - 1;
    while (last >= 0 && v[last] == 0) last--;
    sb_key(b, key);
    sb_raw(b, "[");
    char t[40];
    for (int i = 0; i <= last; i++) {
        if (i) sb_raw(b, ",");
        if (v[i] == 0) sb_raw(b, "0");
        else { fmt_num(t, v[i]); sb_raw(b, t); }
    }
    sb_raw(b, "]");
}

static int load_state(const char *dev, st_t *s) {
    memset(s, 0, sizeof *s);
    char key[96], *hold;
    snprintf(key, sizeof key, "c:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NBASE + NA * NT];
    int nf = state_fields(s, f);
    load_fields(o, f, nf);
    for (int a = 0; a < NA; a++) {
        load_array(o, HNAMES[a][0], s->a[a].h, NB);
        load_array(o, HNAMES[a][1], s->a[a].qh, NB);
    }
    free(hold);
    return s->last > 0;
}

/* Results of a duty histogram. */
typedef struct {
    double run_h, kwh_t, kwh_v, save, full_h, mean_q;
} res_t;

static void results(const cfg_t *c, const model_t *m, const acc_t *a, res_t *r) {
    memset(r, 0, sizeof *r);
    double qh = 0;
    for (int i = 0; i < NB; i++) {
        if (a->h[i] <= 0) continue;
        r->run_h += a->h[i];
        qh += a->qh[i];
        if (!m->ok) continue;
        op_t o;
        operate(c, m, a->qh[i] / a->h[i], &o);
        r->kwh_t += a->h[i] * o.p_t;
        r->kwh_v += a->h[i] * o.p_v;
        if (o.full) r->full_h += a->h[i];
    }
    r->save = r->kwh_t - r->kwh_v;
    r->mean_q = r->run_h > 0 ? qh / r->run_h : 0;
}

static void res_json(const cfg_t *c, sb_t *b, const res_t *r, int ok) {
    sb_num(b, "run_h", r->run_h);
    sb_num(b, "mean_flow", r->mean_q);
    if (!ok) return;
    sb_num(b, "throttle_kwh", r->kwh_t);
    sb_num(b, "vfd_kwh", r->kwh_v);
    sb_num(b, "saving_kwh", r->save);
    sb_num(b, "saving_pct", r->kwh_t > 0 ? 100.0 * r->save / r->kwh_t : 0);
    sb_num(b, "saving_cost", r->save * c->price);
    sb_num(b, "full_speed_h", r->full_h);
}

static double k_fit_of(const st_t *s) { return s->n_fit >= 3 && s->s_q4 > 0 ? s->s_q2h / s->s_q4 : 0; }

static void save_state(const cfg_t *c, const char *dev, st_t *s) {
    model_t m;
    make_model(c, k_fit_of(s), &m);
    sb_t b;
    if (!sb_init(&b, 16384)) return;
    fld_t f[NBASE + NA * NT];
    int nf = state_fields(s, f);
    sb_raw(&b, "{");
    for (int i = 0; i < nf; i++)
        if (*f[i].v != 0 || i < 3) sb_num(&b, f[i].name, *f[i].v);
    for (int a = 0; a < NA; a++) {
        save_array(&b, HNAMES[a][0], s->a[a].h, NB);
        save_array(&b, HNAMES[a][1], s->a[a].qh, NB);
    }
    sb_num(&b, "band_m3h", c->band);
    if (!m.ok) sb_str(&b, "problem", m.why);
    sb_key(&b, "curves");
    sb_raw(&b, "{");
    sb_num(&b, "a", m.a);
    sb_num(&b, "b", m.b);
    sb_num(&b, "c", m.c);
    sb_num(&b, "e0", m.e0);
    sb_num(&b, "e1", m.e1);
    sb_num(&b, "e2", m.e2);
    sb_num(&b, "static_m", m.hs);
    sb_num(&b, "k", m.k);
    if (m.k_src) sb_str(&b, "k_source", m.k_src);
    if (k_fit_of(s) > 0) sb_num(&b, "k_measured", k_fit_of(s));
    sb_raw(&b, "}");
    res_t r;
    results(c, &m, &s->a[A_DAY], &r);
    sb_key(&b, "day");
    sb_raw(&b, "{");
    res_json(c, &b, &r, m.ok);
    sb_raw(&b, "}");
    results(c, &m, &s->a[A_TOT], &r);
    sb_key(&b, "total");
    sb_raw(&b, "{");
    res_json(c, &b, &r, m.ok);
    sb_num(&b, "obs_h", (s->a[A_TOT].t[T_RUN] + s->a[A_TOT].t[T_STOP]) / 3600.0);
    sb_raw(&b, "}");
    /* Per year: the total per running hour x the running hours of a year. */
    double obs = s->a[A_TOT].t[T_RUN] + s->a[A_TOT].t[T_STOP];
    double year_h = c->annual_h > 0 ? c->annual_h : (obs > 0 ? 8760.0 * s->a[A_TOT].t[T_RUN] / obs : 0);
    double k = r.run_h > 0 ? year_h / r.run_h : 0;
    sb_key(&b, "year");
    sb_raw(&b, "{");
    sb_num(&b, "run_h", year_h);
    if (m.ok) {
        sb_num(&b, "throttle_kwh", r.kwh_t * k);
        sb_num(&b, "vfd_kwh", r.kwh_v * k);
        sb_num(&b, "saving_kwh", r.save * k);
        sb_num(&b, "saving_cost", r.save * k * c->price);
        double sc = r.save * k * c->price;
        if (sc > 0 && c->drive_cost > 0) sb_num(&b, "payback_years", c->drive_cost / sc);
    }
    sb_raw(&b, "}");
    /* The duty with each band's operating points, for the panel. */
    sb_key(&b, "duty");
    sb_raw(&b, "[");
    for (int i = 0; i < NB; i++) {
        const acc_t *t = &s->a[A_TOT];
        if (t->h[i] <= 0) continue;
        double q = t->qh[i] / t->h[i];
        if (b.b[b.n - 1] != '[') sb_raw(&b, ",");
        sb_raw(&b, "{");
        sb_num(&b, "from", i * c->band);
        sb_num(&b, "q", q);
        sb_num(&b, "h", t->h[i]);
        if (m.ok) {
            op_t o;
            operate(c, &m, q, &o);
            sb_num(&b, "speed_pct", 100.0 * o.r);
            sb_num(&b, "rpm", o.r * c->rated_rpm);
            sb_num(&b, "head_t", o.h_t);
            sb_num(&b, "head_v", o.h_v);
            sb_num(&b, "kw_t", o.p_t);
            sb_num(&b, "kw_v", o.p_v);
            if (o.full) sb_int(&b, "full", 1);
        }
        sb_raw(&b, "}");
    }
    sb_raw(&b, "]}");
    char key[96];
    snprintf(key, sizeof key, "c:%s", dev);
    kv_put(key, b.b);
    free(b.b);
}

/* ------------------------------------------------------------------ periods */

static double local_day(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / DAY_MS); }
static double day_end(const cfg_t *c, double day) { return (day + 1) * DAY_MS - c->offset_h * HOUR_MS; }

static void write_day(const cfg_t *c, const char *dev, st_t *s, const res_t *r) {
    sb_t b;
    if (!sb_init(&b, 512)) return;
    sb_raw(&b, "{");
    sb_str(&b, "device", dev);
    sb_int(&b, "ts", day_end(c, s->day) - 1000);
    sb_raw(&b, ",\"values\":{");
    sb_num(&b, "throttle_kwh", r->kwh_t);
    sb_num(&b, "vfd_kwh", r->kwh_v);
    sb_num(&b, "vfd_saving_kwh", r->save);
    sb_raw(&b, "}}");
    char *rep = il_call("write", b.b);
    if (!il_ok(rep) || !strstr(rep, "\"refused\":[]")) {
        if (!s->refused)
            warnf("%s: derived telemetry not (fully) stored (declare throttle_kwh, vfd_kwh, vfd_saving_kwh as float, or set write_telemetry false): %.300s",
                  dev, rep ? rep : "no reply");
        s->refused = 1;
    } else {
        s->refused = 0;
    }
    free(rep);
    free(b.b);
}

static void close_day(const cfg_t *c, const char *dev, st_t *s) {
    acc_t *a = &s->a[A_DAY];
    if (a->t[T_RUN] + a->t[T_STOP] + a->t[T_ND] > 0) {
        model_t m;
        make_model(c, k_fit_of(s), &m);
        res_t r;
        results(c, &m, a, &r);
        char date[16], key[96];
        date_text(s->day, date, sizeof date);
        sb_t b;
        if (sb_init(&b, 1024)) {
            sb_raw(&b, "{");
            sb_str(&b, "date", date);
            res_json(c, &b, &r, m.ok);
            sb_num(&b, "stop_h", a->t[T_STOP] / 3600.0);
            sb_num(&b, "nd_h", a->t[T_ND] / 3600.0);
            sb_raw(&b, "}");
            snprintf(key, sizeof key, "d:%s", dev);
            il_kv_push(key, b.b, (int)c->keep_days);
            free(b.b);
        }
        if (m.ok) {
            printf("%s: day %s: %.2f h running at %.2f m3/h mean; throttled %.3f kWh, variable speed %.3f kWh, saving %.3f kWh (%.2f %s)\n",
                   dev, date, r.run_h, r.mean_q, r.kwh_t, r.kwh_v, r.save, r.save * c->price, c->currency);
            if (c->write) write_day(c, dev, s, &r);
        } else {
            printf("%s: day %s: %.2f h running at %.2f m3/h mean; no savings: %s\n", dev, date, r.run_h, r.mean_q, m.why);
        }
    }
    memset(a, 0, sizeof *a);
}

static void roll(const cfg_t *c, const char *dev, st_t *s, double t) {
    double day = local_day(c, t);
    if (day == s->day) return;
    if (s->day > 0) close_day(c, dev, s);
    s->day = day;
}

/* The state held at time t: running (flow), stopped or no data. */
static int held_state(const cfg_t *c, const st_t *s, double t, double *q) {
    int flow_ok = s->ts_flow > 0 && t - s->ts_flow <= c->max_gap_ms;
    *q = flow_ok ? s->v_flow : 0;
    if (c->prop[P_RUN][0] && s->ts_run > 0 && t - s->ts_run <= c->max_gap_ms) {
        if (fabs(s->v_run - c->run_value) >= 0.5) return T_STOP;
        return flow_ok ? T_RUN : T_ND;
    }
    if (!flow_ok) return T_ND;
    return *q > c->min_flow ? T_RUN : T_STOP;
}

static void credit(const cfg_t *c, const char *dev, st_t *s, double from, double to) {
    double q;
    int st = held_state(c, s, from, &q);
    double held_to = from + c->max_gap_ms;
    int band = (int)floor(q / c->band);
    if (band < 0) band = 0;
    if (band >= NB) band = NB - 1;
    while (from < to) {
        roll(c, dev, s, from);
        double end = fmin(to, day_end(c, s->day));
        int piece = st;
        if (from >= held_to) piece = T_ND;
        else end = fmin(end, held_to);
        double dt = (end - from) / 1000.0;
        for (int a = 0; a < NA; a++) {
            s->a[a].t[piece] += dt;
            if (piece == T_RUN) {
                s->a[a].h[band] += dt / 3600.0;
                s->a[a].qh[band] += q * dt / 3600.0;
            }
        }
        from = end;
    }
}

/* ------------------------------------------------------------------ events */

static int on_telemetry(cfg_t *c, const char *event) {
    char dev[72];
    if (!member_str(event, "device", dev, sizeof dev) || !ident_ok(dev)) return 0;
    static pt_t pts[MAXPTS];
    int dropped = 0;
    int n = read_points(event, c->prop, NPROP, pts, MAXPTS, &dropped);
    if (dropped) printf("%s: %d points beyond the first %d of one message ignored\n", dev, dropped, MAXPTS);
    if (n == 0) return 0;
    qsort(pts, (size_t)n, sizeof pts[0], cmp_pt);
    st_t s;
    int known = load_state(dev, &s);
    int changed = 0, old_warned = 0;
    for (int i = 0; i < n;) {
        double ts = pts[i].ts;
        int j = i;
        while (j < n && pts[j].ts == ts) j++;
        if (known && ts < s.last) {
            if (!old_warned) printf("%s: reading at %.0f older than the last one (%.0f), ignored\n", dev, ts, s.last);
            old_warned = 1;
            i = j;
            continue;
        }
        if (!known) {
            s.day = local_day(c, ts);
            s.first = ts;
            known = 1;
        } else if (ts > s.last) {
            credit(c, dev, &s, s.last, ts);
            roll(c, dev, &s, ts);
        }
        int got_flow = 0, got_head = 0;
        for (int k = i; k < j; k++) {
            int p = pts[k].prop;
            if (!pts[k].ok) {
                printf("%s: %s is not a number, ignored\n", dev, c->prop[p]);
                continue;
            }
            double v = pts[k].v;
            if (p == P_FLOW) {
                v *= c->flow_k;
                if (v < 0) { printf("%s: negative %s taken as 0\n", dev, c->prop[p]); v = 0; }
                s.v_flow = v; s.ts_flow = ts; got_flow = 1;
            } else if (p == P_RUN) {
                s.v_run = v; s.ts_run = ts;
            } else {
                s.v_head = v; s.ts_head = ts; got_head = 1;
            }
        }
        /* A measured point of the system curve: flow and head of the same reading, running. */
        double q;
        if (got_flow && got_head && held_state(c, &s, ts, &q) == T_RUN && q > c->min_flow && s.v_head > c->hs) {
            s.n_fit += 1;
            s.s_q4 += q * q * q * q;
            s.s_q2h += q * q * (s.v_head - c->hs);
        }
        s.last = ts;
        changed = 1;
        i = j;
    }
    if (changed) save_state(c, dev, &s);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    member_str(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "manual") == 0) {
        model_t m;
        make_model(&c, 0, &m);
        if (!m.ok) {
            printf("no model: %s\n", m.why);
            return 0;
        }
        printf("pump H = %.4f %+.6f Q %+.8f Q^2 m at %.0f r/min; eta = %.4f %+.6f Q %+.8f Q^2; system H = %.3f + %.8f Q^2 m\n",
               m.a, m.b, m.c, c.rated_rpm, m.e0, m.e1, m.e2, m.hs, m.k);
        for (int pct = 100; pct >= 30; pct -= 10) {
            double q = c.design_q > 0 ? c.design_q * pct / 100.0 : 0;
            if (q <= 0) break;
            op_t o;
            operate(&c, &m, q, &o);
            printf("%d %% of design flow (%.2f m3/h): throttled %.3f kW (head %.2f m, eta %.3f), variable speed %.3f kW at %.1f %% speed (head %.2f m, eta %.3f)\n",
                   pct, q, o.p_t, o.h_t, o.eta_t, o.p_v, 100 * o.r, o.h_v, o.eta_v);
        }
    }
    return 0;
}
