/* Heat recoverable from an air compressor, the hot water it could make and the fuel it saves.
 *
 * On every telemetry message of a compressor (load state and input power; names configurable)
 * the time since the previous reading is credited to the state of that reading (off /
 * unloaded / loaded; held at most max_gap_s, the rest is "no data"), with the energy of the
 * held input power (or, without a power reading, the rated power while loaded and a share of it
 * while unloaded). Per local day, month and since installation:
 *   recoverable heat     Q_rec  = recoverable_pct x E_in                       kWh (thermal)
 *     (US DOE / Compressed Air Challenge, Improving Compressed Air System Performance:
 *      A Sourcebook for Industry, fact sheet "Heat Recovery with Compressed Air Systems":
 *      80-93 % of the input becomes heat, energy savings = 0.80 x bhp x 2 545 Btu/bhp-h x hours)
 *   used heat            Q_use  = Q_rec x heat_use_pct, in the use months, at most max_use_kw
 *   hot water            m      = Q_use x 3 600 / (cp x dT) kg,  V = m / rho    m3
 *   fuel displaced       F      = Q_use / boiler efficiency (kWh), / LHV in fuel units
 *   savings              F x fuel price;  CO2 avoided F x emission factor (IPCC 2006)
 *   per year             the total per running hour x annual_running_hours (or the observed
 *                        running share x 8 760 h)
 *
 * State: "c:<device>" (last readings, the day's, month's and total sums and results),
 * "d:<device>" closed days, "m:<device>" closed months.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

#include "ironloom_util.h"

/* ------------------------------------------------------------------ configuration */

enum { S_OFF = 0, S_UNL = 1, S_LOAD = 2, S_ND = 3, NS = 4 };
static const char *STATE_NAME[NS] = {"off", "unloaded", "loaded", "no data"};
enum { P_STATE, P_POWER, NPROP };
#define MAXPTS 600

typedef struct {
    char prop[NPROP][72];
    char currency[16], fuel_unit[16];
    double st_off, st_unl, st_load, power_k, rated_kw, unl_pct, running_min_kw;
    double rec_pct, use_pct, max_use_kw, dt_k, cp, rho;
    double boiler_eff, lhv_mj, fuel_price, co2_kg_gj, annual_h;
    double max_gap_ms, offset_h, keep_days, keep_months;
    int months[13], all_months, write;
} cfg_t;

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_STATE], "state");
    strcpy(c->prop[P_POWER], "power");
    strcpy(c->currency, "CNY");
    strcpy(c->fuel_unit, "m3");
    c->st_off = 0; c->st_unl = 1; c->st_load = 2; c->power_k = 1; c->unl_pct = 25; c->running_min_kw = 1;
    c->rec_pct = 80; c->use_pct = 100; c->dt_k = 40; c->cp = 4.18; c->rho = 1000;
    c->boiler_eff = 90; c->lhv_mj = 35.6; c->fuel_price = 3.5; c->co2_kg_gj = 56.1;
    c->offset_h = 8; c->keep_days = 62; c->keep_months = 24;
    double gap_s = 300;
    c->all_months = 1;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "state_property", c->prop[P_STATE], sizeof c->prop[P_STATE]);
        cfg_str(o, "power_property", c->prop[P_POWER], sizeof c->prop[P_POWER]);
        cfg_str(o, "currency", c->currency, sizeof c->currency);
        cfg_str(o, "fuel_unit", c->fuel_unit, sizeof c->fuel_unit);
        cfg_num(o, "state_off", &c->st_off);
        cfg_num(o, "state_unloaded", &c->st_unl);
        cfg_num(o, "state_loaded", &c->st_load);
        cfg_num(o, "power_to_kw", &c->power_k);
        cfg_num(o, "rated_power_kw", &c->rated_kw);
        cfg_num(o, "unloaded_power_pct", &c->unl_pct);
        cfg_num(o, "running_min_kw", &c->running_min_kw);
        cfg_num(o, "recoverable_pct", &c->rec_pct);
        cfg_num(o, "heat_use_pct", &c->use_pct);
        cfg_num(o, "max_use_kw", &c->max_use_kw);
        cfg_num(o, "water_delta_t_k", &c->dt_k);
        cfg_num(o, "water_cp_kj_kgk", &c->cp);
        cfg_num(o, "water_density_kg_m3", &c->rho);
        cfg_num(o, "boiler_efficiency_pct", &c->boiler_eff);
        cfg_num(o, "fuel_lhv_mj", &c->lhv_mj);
        cfg_num(o, "fuel_price", &c->fuel_price);
        cfg_num(o, "co2_kg_per_gj", &c->co2_kg_gj);
        cfg_num(o, "annual_running_hours", &c->annual_h);
        cfg_num(o, "max_gap_s", &gap_s);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_days", &c->keep_days);
        cfg_num(o, "keep_months", &c->keep_months);
        double w = 0;
        cfg_num(o, "write_telemetry", &w);
        c->write = w != 0;
        const char *m = member(o, "use_months");
        if (m && *m == '[') {
            const char *p = m + 1;
            int any = 0;
            while (*p) {
                p = ws(p);
                if (*p == ']' || !*p) break;
                if (*p == ',') { p++; continue; }
                char *e;
                double v = parse_num(p, &e);
                if (e == p) { p = skip_value(p); continue; }
                if (v >= 1 && v <= 12) { c->months[(int)v] = 1; any = 1; }
                p = e;
            }
            if (any) c->all_months = 0;
        }
    }
    free(r);
    if (c->power_k <= 0) c->power_k = 1;
    if (c->boiler_eff <= 0 || c->boiler_eff > 120) c->boiler_eff = 90;
    if (c->lhv_mj <= 0) c->lhv_mj = 35.6;
    if (c->cp <= 0) c->cp = 4.18;
    if (c->rho <= 0) c->rho = 1000;
    if (c->dt_k <= 0) c->dt_k = 40;
    c->max_gap_ms = gap_s * 1000.0;
}

/* ------------------------------------------------------------------ sums */

typedef struct {
    double t[NS];     /* s per state */
    double e_in;      /* kWh input while running (measured or estimated) */
    double e_est;     /* of which estimated from the rating */
    double q_rec;     /* kWh recoverable heat */
    double q_use;     /* kWh heat put to use */
} acc_t;

enum { A_DAY, A_MONTH, A_TOT, NA };
static const char *APFX[NA] = {"d_", "m_", "t_"};

typedef struct {
    double last, state, v_state, ts_state, v_power, ts_power;
    double day, month, refused;
    acc_t a[NA];
} st_t;

#define NACCF 8
static void acc_fields(acc_t *a, const char *pfx, fld_t *f, char names[][24]) {
    const char *n[NACCF] = {"toff", "tunl", "tload", "tnd", "ein", "eest", "qrec", "quse"};
    double *v[NACCF] = {&a->t[0], &a->t[1], &a->t[2], &a->t[3], &a->e_in, &a->e_est, &a->q_rec, &a->q_use};
    for (int i = 0; i < NACCF; i++) {
        snprintf(names[i], 24, "%s%s", pfx, n[i]);
        f[i].name = names[i];
        f[i].v = v[i];
    }
}

#define NSF (9 + NA * NACCF)
static char FNAMES[NSF][24];
static int state_fields(st_t *s, fld_t *f) {
    const char *n[9] = {"last", "state", "v_state", "ts_state", "v_power", "ts_power", "day", "month", "refused"};
    double *v[9] = {&s->last, &s->state, &s->v_state, &s->ts_state, &s->v_power, &s->ts_power, &s->day, &s->month, &s->refused};
    for (int i = 0; i < 9; i++) { f[i].name = n[i]; f[i].v = v[i]; }
    for (int a = 0; a < NA; a++) acc_fields(&s->a[a], APFX[a], f + 9 + a * NACCF, FNAMES + 9 + a * NACCF);
    return NSF;
}

static int load_state(const char *dev, st_t *s) {
    memset(s, 0, sizeof *s);
    s->state = -1;
    char key[96], *hold;
    snprintf(key, sizeof key, "c:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NSF];
    int nf = state_fields(s, f);
    load_fields(o, f, nf);
    free(hold);
    return s->last > 0;
}

/* Results of a period. */
typedef struct {
    double run_h, load_h, unl_h, obs_h, e_in, q_rec, q_use, water_m3, fuel_kwh, fuel_units, cost, co2_kg, mean_kw;
} res_t;

static void results(const cfg_t *c, const acc_t *a, res_t *r) {
    memset(r, 0, sizeof *r);
    r->load_h = a->t[S_LOAD] / 3600;
    r->unl_h = a->t[S_UNL] / 3600;
    r->run_h = r->load_h + r->unl_h;
    r->obs_h = r->run_h + a->t[S_OFF] / 3600;
    r->e_in = a->e_in;
    r->q_rec = a->q_rec;
    r->q_use = a->q_use;
    r->water_m3 = a->q_use * 3600.0 / (c->cp * c->dt_k) / c->rho;
    r->fuel_kwh = a->q_use / (c->boiler_eff / 100.0);
    r->fuel_units = r->fuel_kwh * 3.6 / c->lhv_mj;
    r->cost = r->fuel_units * c->fuel_price;
    r->co2_kg = r->fuel_kwh * 0.0036 * c->co2_kg_gj;
    r->mean_kw = r->run_h > 0 ? a->q_rec / r->run_h : 0;
}

static void res_json(sb_t *s, const res_t *r) {
    sb_num(s, "run_h", r->run_h);
    sb_num(s, "load_h", r->load_h);
    sb_num(s, "unl_h", r->unl_h);
    sb_num(s, "kwh_in", r->e_in);
    sb_num(s, "heat_kwh", r->q_rec);
    sb_num(s, "used_kwh", r->q_use);
    sb_num(s, "water_m3", r->water_m3);
    sb_num(s, "fuel_kwh", r->fuel_kwh);
    sb_num(s, "fuel", r->fuel_units);
    sb_num(s, "saving", r->cost);
    sb_num(s, "co2_kg", r->co2_kg);
}

static void save_state(const cfg_t *c, const char *dev, st_t *s) {
    sb_t b;
    if (!sb_init(&b, 8192)) return;
    fld_t f[NSF];
    int nf = state_fields(s, f);
    sb_raw(&b, "{");
    int st = s->state >= 0 && s->state < NS ? (int)s->state : S_ND;
    sb_str(&b, "state_name", STATE_NAME[st]);
    for (int i = 0; i < nf; i++)
        if (*f[i].v != 0 || i < 9) sb_num(&b, f[i].name, *f[i].v);
    /* What the panel shows: today's, this month's and the annual figures. */
    res_t r;
    const char *pre[3] = {"day", "month", "total"};
    for (int a = 0; a < NA; a++) {
        results(c, &s->a[a], &r);
        sb_key(&b, pre[a]);
        sb_raw(&b, "{");
        res_json(&b, &r);
        sb_raw(&b, "}");
    }
    results(c, &s->a[A_TOT], &r);
    double year_run = c->annual_h > 0 ? c->annual_h : (r.obs_h > 0 ? 8760.0 * r.run_h / r.obs_h : 0);
    double k = r.run_h > 0 ? year_run / r.run_h : 0;
    sb_key(&b, "year");
    sb_raw(&b, "{");
    sb_num(&b, "run_h", year_run);
    sb_num(&b, "heat_kwh", r.q_rec * k);
    sb_num(&b, "used_kwh", r.q_use * k);
    sb_num(&b, "water_m3", r.water_m3 * k);
    sb_num(&b, "fuel", r.fuel_units * k);
    sb_num(&b, "saving", r.cost * k);
    sb_num(&b, "co2_kg", r.co2_kg * k);
    sb_raw(&b, "}");
    sb_num(&b, "heat_kw_mean", r.mean_kw);
    sb_raw(&b, "}");
    char key[96];
    snprintf(key, sizeof key, "c:%s", dev);
    kv_put(key, b.b);
    free(b.b);
}

/* ------------------------------------------------------------------ periods */

static double local_day(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / DAY_MS); }
static double day_end(const cfg_t *c, double day) { return (day + 1) * DAY_MS - c->offset_h * HOUR_MS; }
static int month_of(double day) {
    int y, m, d;
    civil((long)day, &y, &m, &d);
    return y * 100 + m;
}

static void write_day(const cfg_t *c, const char *dev, st_t *s, const res_t *r) {
    sb_t b;
    if (!sb_init(&b, 512)) return;
    sb_raw(&b, "{");
    sb_str(&b, "device", dev);
    sb_int(&b, "ts", day_end(c, s->day) - 1000);
    sb_raw(&b, ",\"values\":{");
    sb_num(&b, "recoverable_heat_kwh", r->q_rec);
    sb_num(&b, "hot_water_m3", r->water_m3);
    sb_num(&b, "fuel_saving", r->cost);
    sb_raw(&b, "}}");
    char *rep = il_call("write", b.b);
    if (!il_ok(rep) || !strstr(rep, "\"refused\":[]")) {
        if (!s->refused)
            warnf("%s: derived telemetry not (fully) stored (declare recoverable_heat_kwh, hot_water_m3, fuel_saving as float, or set write_telemetry false): %.300s",
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
    if (a->t[S_OFF] + a->t[S_UNL] + a->t[S_LOAD] + a->t[S_ND] > 0) {
        res_t r;
        results(c, a, &r);
        char date[16], key[96];
        date_text(s->day, date, sizeof date);
        sb_t b;
        if (sb_init(&b, 1024)) {
            sb_raw(&b, "{");
            sb_str(&b, "date", date);
            res_json(&b, &r);
            sb_num(&b, "nd_h", a->t[S_ND] / 3600);
            sb_num(&b, "kwh_est", a->e_est);
            sb_raw(&b, "}");
            snprintf(key, sizeof key, "d:%s", dev);
            il_kv_push(key, b.b, (int)c->keep_days);
            free(b.b);
        }
        printf("%s: day %s: %.2f h running (%.2f loaded), %.3f kWh in, recoverable heat %.3f kWh, used %.3f kWh, hot water %.3f m3 (+%g K), fuel %.4f %s, saving %.2f %s\n",
               dev, date, r.run_h, r.load_h, r.e_in, r.q_rec, r.q_use, r.water_m3, c->dt_k, r.fuel_units, c->fuel_unit,
               r.cost, c->currency);
        if (c->write) write_day(c, dev, s, &r);
    }
    memset(a, 0, sizeof *a);
}

static void close_month(const cfg_t *c, const char *dev, st_t *s) {
    acc_t *a = &s->a[A_MONTH];
    if (a->t[S_OFF] + a->t[S_UNL] + a->t[S_LOAD] + a->t[S_ND] > 0) {
        res_t r;
        results(c, a, &r);
        char label[16], key[96];
        int m = (int)s->month;
        snprintf(label, sizeof label, "%04d-%02d", m / 100, m % 100);
        sb_t b;
        if (sb_init(&b, 1024)) {
            sb_raw(&b, "{");
            sb_str(&b, "month", label);
            res_json(&b, &r);
            sb_raw(&b, "}");
            snprintf(key, sizeof key, "m:%s", dev);
            il_kv_push(key, b.b, (int)c->keep_months);
            free(b.b);
        }
    }
    memset(a, 0, sizeof *a);
}

/* Moves the sums to the day (and month) of time t, closing the finished ones. */
static void roll(const cfg_t *c, const char *dev, st_t *s, double t) {
    double day = local_day(c, t);
    if (day == s->day) return;
    if (s->day > 0) close_day(c, dev, s);
    double month = month_of(day);
    if (month != s->month) {
        if (s->month > 0) close_month(c, dev, s);
        s->month = month;
    }
    s->day = day;
}

/* Credits [from, to) to the state and power held from the last reading, split at local days;
 * time beyond max_gap after the reading is "no data". */
static void credit(const cfg_t *c, const char *dev, st_t *s, double from, double to) {
    int st = s->state >= 0 && s->state < NS ? (int)s->state : S_ND;
    double held_to = from + c->max_gap_ms;
    int has_pw = s->ts_power > 0 && from - s->ts_power <= c->max_gap_ms;
    double pw = s->v_power;
    while (from < to) {
        roll(c, dev, s, from);
        double seg_end = fmin(to, day_end(c, s->day));
        int piece = st;
        if (from >= held_to) piece = S_ND;
        else seg_end = fmin(seg_end, held_to);
        double dt = (seg_end - from) / 1000.0;
        double kw = -1;
        int est = 0;
        if (piece == S_LOAD || piece == S_UNL) {
            if (has_pw) kw = pw;
            else if (c->rated_kw > 0) { kw = c->rated_kw * (piece == S_LOAD ? 1.0 : c->unl_pct / 100.0); est = 1; }
        }
        double e = kw > 0 ? kw * dt / 3600.0 : 0;
        double qrec = e * c->rec_pct / 100.0;
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        double quse = 0;
        if (c->all_months || c->months[m]) {
            double rate = kw > 0 ? kw * c->rec_pct / 100.0 * c->use_pct / 100.0 : 0;
            if (c->max_use_kw > 0 && rate > c->max_use_kw) rate = c->max_use_kw;
            quse = rate * dt / 3600.0;
        }
        for (int a = 0; a < NA; a++) {
            s->a[a].t[piece] += dt;
            s->a[a].e_in += e;
            if (est) s->a[a].e_est += e;
            s->a[a].q_rec += qrec;
            s->a[a].q_use += quse;
        }
        from = seg_end;
    }
}

static int derive_state(const cfg_t *c, const st_t *s, double ts, const char *dev, int *warned) {
    if (s->ts_state > 0 && ts - s->ts_state <= c->max_gap_ms) {
        double v = s->v_state;
        if (fabs(v - c->st_load) < 0.5) return S_LOAD;
        if (fabs(v - c->st_unl) < 0.5) return S_UNL;
        if (fabs(v - c->st_off) < 0.5) return S_OFF;
        if (!*warned) {
            char a[32], b[160];
            snprintf(a, sizeof a, "%g", v);
            snprintf(b, sizeof b, "none of off %g, unloaded %g, loaded %g: no data", c->st_off, c->st_unl, c->st_load);
            printf("%s: %s = %s is %s\n", dev, c->prop[P_STATE], a, b);
            *warned = 1;
        }
        return S_ND;
    }
    /* Without a state reading the held power decides: running (counted as loaded) at or above
     * running_min_kw, else off. */
    if (s->ts_power > 0 && ts - s->ts_power <= c->max_gap_ms)
        return s->v_power >= c->running_min_kw ? S_LOAD : S_OFF;
    return S_ND;
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
    int changed = 0, old_warned = 0, st_warned = 0;
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
            s.month = month_of(s.day);
            known = 1;
        } else if (ts > s.last) {
            credit(c, dev, &s, s.last, ts);
            roll(c, dev, &s, ts);
        }
        for (int k = i; k < j; k++) {
            int p = pts[k].prop;
            if (!pts[k].ok) {
                printf("%s: %s is not a number, ignored\n", dev, c->prop[p]);
                continue;
            }
            double v = pts[k].v;
            if (p == P_POWER) {
                v *= c->power_k;
                if (v < 0) { printf("%s: negative %s taken as 0\n", dev, c->prop[p]); v = 0; }
                s.v_power = v;
                s.ts_power = ts;
            } else {
                s.v_state = v;
                s.ts_state = ts;
            }
        }
        s.state = derive_state(c, &s, ts, dev, &st_warned);
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
        double kj = c.cp * c.dt_k;
        printf("recoverable %g %% of the input (DOE/CAC: 0.80 x bhp), used %g %%%s; 1 kWh of heat = %.4f m3 of water heated by %g K; "
               "boiler %g %%, fuel %g MJ/%s at %g %s\n",
               c.rec_pct, c.use_pct, c.max_use_kw > 0 ? " (capped)" : "", 3600.0 / kj / c.rho, c.dt_k, c.boiler_eff,
               c.lhv_mj, c.fuel_unit, c.fuel_price, c.currency);
    }
    return 0;
}
