/* Refrigeration load and energy cost of a cold room's door openings (Gosney–Olama).
 *
 * On every telemetry message of a cold room (door signal, room temperature, compressor power;
 * names configurable) the time the door stands open is measured from the door signal. While it
 * is open, warm air exchanges with the cold room air at the rate of the Gosney and Olama (1975)
 * equation as given in the ASHRAE Handbook—Refrigeration, chapter "Refrigerated-Facility Loads"
 * (infiltration by air exchange):
 *   q  = 0.221 A (h_i - h_r) rho_r (1 - rho_i/rho_r)^0.5 (g H)^0.5 F_m           kW
 *   F_m = [2 / (1 + (rho_r/rho_i)^(1/3))]^1.5                                    density factor
 *   q_t = q D_t D_f (1 - E)       D_t: door-open time factor (here measured: open time / period),
 *                                  D_f: doorway flow factor (0.8 for dT > 11 K, 1.1 otherwise),
 *                                  E: effectiveness of the door protection (strip curtain ~0.9)
 * with the moist-air enthalpies and densities from temperature and relative humidity
 * (ASHRAE Handbook—Fundamentals, chapter 1 Psychrometrics: Hyland–Wexler saturation pressure,
 * W = 0.621945 p_w/(p - p_w), h = 1.006 t + W (2501 + 1.86 t), v = 0.287042 (t + 273.15)
 * (1 + 1.607858 W)/p, rho = 1/v). Electricity = load / COP (configured, or the rated capacity
 * over the measured mean running power); cost = kWh x price; a strip curtain's saving is the same
 * load with its effectiveness. An alarm is raised while the door stays open longer than
 * max_open_s and cleared when it closes.
 *
 * State: "c:<device>" (door, sums and results), "d:<device>" closed days, "o:<device>" the
 * latest openings.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

#include "ironloom_util.h"


/* ------------------------------------------------------------------ psychrometrics */

/* Saturation pressure (Pa) over ice below 0 °C and over water above: Hyland and Wexler, as in
 * ASHRAE Handbook—Fundamentals, chapter 1. */
static double p_ws(double t) {
    double T = t + 273.15;
    if (t < 0)
        return exp(-5.6745359e3 / T + 6.3925247 - 9.6778430e-3 * T + 6.2215701e-7 * T * T +
                   2.0747825e-9 * T * T * T - 9.4840240e-13 * T * T * T * T + 4.1635019 * log(T));
    return exp(-5.8002206e3 / T + 1.3914993 - 4.8640239e-2 * T + 4.1764768e-5 * T * T -
               1.4452093e-8 * T * T * T + 6.5459673 * log(T));
}

typedef struct {
    double w;   /* humidity ratio, kg/kg dry air */
    double h;   /* enthalpy, kJ/kg dry air */
    double rho; /* kg dry air per m3 (1/v) */
} air_t;

static void moist_air(double t, double rh_pct, double p_kpa, air_t *a) {
    double pw = rh_pct / 100.0 * p_ws(t) / 1000.0; /* kPa */
    if (pw >= p_kpa * 0.99) pw = p_kpa * 0.99;
    a->w = 0.621945 * pw / (p_kpa - pw);
    a->h = 1.006 * t + a->w * (2501.0 + 1.86 * t);
    double v = 0.287042 * (t + 273.15) * (1.0 + 1.607858 * a->w) / p_kpa;
    a->rho = 1.0 / v;
}

/* ------------------------------------------------------------------ configuration */

enum { P_DOOR, P_ROOM, P_POWER, P_OUT, NPROP };
#define MAXPTS 600
#define G 9.81

typedef struct {
    char prop[NPROP][72];
    char currency[16];
    int inverted, write;
    double room_c, room_rh, out_c, out_rh, width, height, df_cfg, prot_pct, curtain_pct;
    double cop, capacity_kw, p_kpa, price, power_k, running_min_kw;
    double max_open_ms, max_gap_ms, offset_h, keep_days, keep_openings;
} cfg_t;

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_DOOR], "door_open");
    strcpy(c->prop[P_ROOM], "room_temp");
    strcpy(c->prop[P_POWER], "compressor_power");
    strcpy(c->currency, "CNY");
    c->room_c = -18; c->room_rh = 90; c->out_c = 25; c->out_rh = 60;
    c->width = 1.2; c->height = 2.0; c->curtain_pct = 90;
    c->capacity_kw = 6.0; c->p_kpa = 101.325; c->price = 0.75; c->power_k = 1; c->running_min_kw = 0.2;
    c->offset_h = 8; c->keep_days = 62; c->keep_openings = 50;
    double max_open_s = 180, gap_s = 600, inv = 0, w = 0;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "door_property", c->prop[P_DOOR], sizeof c->prop[P_DOOR]);
        cfg_str(o, "room_temp_property", c->prop[P_ROOM], sizeof c->prop[P_ROOM]);
        cfg_str(o, "power_property", c->prop[P_POWER], sizeof c->prop[P_POWER]);
        cfg_str(o, "outside_temp_property", c->prop[P_OUT], sizeof c->prop[P_OUT]);
        cfg_str(o, "currency", c->currency, sizeof c->currency);
        cfg_num(o, "door_open_is_false", &inv);
        cfg_num(o, "room_temp_c", &c->room_c);
        cfg_num(o, "room_rh_pct", &c->room_rh);
        cfg_num(o, "outside_temp_c", &c->out_c);
        cfg_num(o, "outside_rh_pct", &c->out_rh);
        cfg_num(o, "door_width_m", &c->width);
        cfg_num(o, "door_height_m", &c->height);
        cfg_num(o, "flow_factor", &c->df_cfg);
        cfg_num(o, "protection_pct", &c->prot_pct);
        cfg_num(o, "curtain_pct", &c->curtain_pct);
        cfg_num(o, "cop", &c->cop);
        cfg_num(o, "rated_capacity_kw", &c->capacity_kw);
        cfg_num(o, "pressure_kpa", &c->p_kpa);
        cfg_num(o, "price_per_kwh", &c->price);
        cfg_num(o, "power_to_kw", &c->power_k);
        cfg_num(o, "running_min_kw", &c->running_min_kw);
        cfg_num(o, "max_open_s", &max_open_s);
        cfg_num(o, "max_gap_s", &gap_s);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_days", &c->keep_days);
        cfg_num(o, "keep_openings", &c->keep_openings);
        cfg_num(o, "write_telemetry", &w);
    }
    free(r);
    c->inverted = inv != 0;
    c->write = w != 0;
    if (c->p_kpa < 50) c->p_kpa = 101.325;
    if (c->power_k <= 0) c->power_k = 1;
    c->max_open_ms = max_open_s * 1000.0;
    c->max_gap_ms = gap_s * 1000.0;
}

/* Full-flow load q (kW, Gosney–Olama) and the doorway flow factor for a room at t_room. */
static double door_q(const cfg_t *c, double t_room, double t_out, double *df, double *fm) {
    air_t r, i;
    moist_air(t_room, c->room_rh, c->p_kpa, &r);
    moist_air(t_out, c->out_rh, c->p_kpa, &i);
    *df = c->df_cfg > 0 ? c->df_cfg : (t_out - t_room > 11.0 ? 0.8 : 1.1);
    *fm = 0;
    if (!(r.rho > i.rho) || !(i.h > r.h)) return 0; /* no cold, dense room air to fall out */
    *fm = pow(2.0 / (1.0 + cbrt(r.rho / i.rho)), 1.5);
    double A = c->width * c->height;
    return 0.221 * A * (i.h - r.h) * r.rho * sqrt(1.0 - i.rho / r.rho) * sqrt(G * c->height) * *fm;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    double n;       /* openings started */
    double open_s;  /* seconds open */
    double max_s;   /* longest opening */
    double obs_s;   /* seconds covered by readings */
    double load;    /* kWh refrigeration load of the openings (with the present protection) */
    double kwh;     /* kWh electricity for it */
    double save;    /* kWh electricity a strip curtain would save */
    double alarms;  /* openings longer than max_open_s */
} acc_t;

enum { A_DAY, A_TOT, NA };
static const char *APFX[NA] = {"d_", "t_"};

typedef struct {
    double first, last, day;
    double door, since, seg, alarmed, q, df;  /* door: 1 open, 0 closed, -1 unknown */
    double op_load, op_kwh;                    /* the current opening's sums */
    double v_room, ts_room, v_out, ts_out, v_pw, ts_pw;
    double run_s, run_kwh;                     /* compressor running time and energy */
    double refused;
    acc_t a[NA];
} st_t;

#define NBASE 20
#define NACCF 8
#define NSF (NBASE + NA * NACCF)
static char FNAMES[NSF][24];

static int state_fields(st_t *s, fld_t *f) {
    const char *n[NBASE] = {"first", "last", "day", "door", "since", "seg", "alarmed", "q", "df", "op_load",
                            "op_kwh", "v_room", "ts_room", "v_out", "ts_out", "v_pw", "ts_pw", "run_s", "run_kwh", "refused"};
    double *v[NBASE] = {&s->first, &s->last, &s->day, &s->door, &s->since, &s->seg, &s->alarmed, &s->q, &s->df,
                        &s->op_load, &s->op_kwh, &s->v_room, &s->ts_room, &s->v_out, &s->ts_out, &s->v_pw,
                        &s->ts_pw, &s->run_s, &s->run_kwh, &s->refused};
    for (int i = 0; i < NBASE; i++) { f[i].name = n[i]; f[i].v = v[i]; }
    const char *an[NACCF] = {"n", "open_s", "max_s", "obs_s", "load", "kwh", "save", "alarms"};
    for (int a = 0; a < NA; a++) {
        double *av[NACCF] = {&s->a[a].n, &s->a[a].open_s, &s->a[a].max_s, &s->a[a].obs_s, &s->a[a].load,
                             &s->a[a].kwh, &s->a[a].save, &s->a[a].alarms};
        for (int i = 0; i < NACCF; i++) {
            int k = NBASE + a * NACCF + i;
            snprintf(FNAMES[k], 24, "%s%s", APFX[a], an[i]);
            f[k].name = FNAMES[k];
            f[k].v = av[i];
        }
    }
    return NSF;
}

static int load_state(const char *dev, st_t *s) {
    memset(s, 0, sizeof *s);
    s->door = -1;
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

/* The COP used and where it comes from. */
static double cop_of(const cfg_t *c, const st_t *s, const char **src) {
    if (c->cop > 0) { *src = "configured"; return c->cop; }
    if (c->capacity_kw > 0 && s->run_s >= 600 && s->run_kwh > 0) {
        double p = s->run_kwh * 3600.0 / s->run_s;
        double cop = c->capacity_kw / p;
        if (cop < 0.5) cop = 0.5;
        if (cop > 15) cop = 15;
        *src = "estimated";
        return cop;
    }
    *src = "assumed";
    return 2.0;
}

static double room_temp(const cfg_t *c, const st_t *s, double ts) {
    if (c->prop[P_ROOM][0] && s->ts_room > 0 && ts - s->ts_room <= c->max_gap_ms) return s->v_room;
    return c->room_c;
}

static double out_temp(const cfg_t *c, const st_t *s, double ts) {
    if (c->prop[P_OUT][0] && s->ts_out > 0 && ts - s->ts_out <= c->max_gap_ms) return s->v_out;
    return c->out_c;
}

static void res_json(const cfg_t *c, sb_t *b, const acc_t *a) {
    sb_int(b, "openings", a->n);
    sb_num(b, "open_s", a->open_s);
    sb_num(b, "max_s", a->max_s);
    sb_num(b, "dt", a->obs_s > 0 ? a->open_s / a->obs_s : 0);
    sb_num(b, "obs_h", a->obs_s / 3600.0);
    sb_num(b, "load_kwh", a->load);
    sb_num(b, "kwh", a->kwh);
    sb_num(b, "cost", a->kwh * c->price);
    sb_num(b, "curtain_save_kwh", a->save);
    sb_num(b, "curtain_save_cost", a->save * c->price);
    sb_int(b, "long_openings", a->alarms);
}

static void save_state(const cfg_t *c, const char *dev, st_t *s) {
    sb_t b;
    if (!sb_init(&b, 8192)) return;
    fld_t f[NSF];
    int nf = state_fields(s, f);
    sb_raw(&b, "{");
    for (int i = 0; i < nf; i++)
        if (*f[i].v != 0 || i < NBASE) sb_num(&b, f[i].name, *f[i].v);
    const char *src;
    double cop = cop_of(c, s, &src);
    double df, fm, tr = room_temp(c, s, s->last), to = out_temp(c, s, s->last);
    double q = door_q(c, tr, to, &df, &fm);
    sb_str(&b, "door_state", s->door > 0.5 ? "open" : (s->door < -0.5 ? "unknown" : "closed"));
    sb_num(&b, "cop", cop);
    sb_str(&b, "cop_source", src);
    sb_num(&b, "room_c", tr);
    sb_num(&b, "outside_c", to);
    sb_num(&b, "q_full_kw", q);
    sb_num(&b, "flow_factor", df);
    sb_num(&b, "density_factor", fm);
    sb_num(&b, "q_open_kw", q * df * (1.0 - c->prot_pct / 100.0));
    sb_num(&b, "kw_open", q * df * (1.0 - c->prot_pct / 100.0) / cop);
    sb_key(&b, "day");
    sb_raw(&b, "{");
    res_json(c, &b, &s->a[A_DAY]);
    sb_raw(&b, "}");
    sb_key(&b, "total");
    sb_raw(&b, "{");
    res_json(c, &b, &s->a[A_TOT]);
    sb_raw(&b, "}");
    /* Per year: the totals per observed day x 365. */
    acc_t *t = &s->a[A_TOT];
    double k = t->obs_s > 0 ? 365.0 * 86400.0 / t->obs_s : 0;
    sb_key(&b, "year");
    sb_raw(&b, "{");
    sb_num(&b, "openings", t->n * k);
    sb_num(&b, "load_kwh", t->load * k);
    sb_num(&b, "kwh", t->kwh * k);
    sb_num(&b, "cost", t->kwh * k * c->price);
    sb_num(&b, "curtain_save_kwh", t->save * k);
    sb_num(&b, "curtain_save_cost", t->save * k * c->price);
    sb_num(&b, "obs_days", t->obs_s / 86400.0);
    sb_raw(&b, "}");
    sb_raw(&b, "}");
    char key[96];
    snprintf(key, sizeof key, "c:%s", dev);
    kv_put(key, b.b);
    free(b.b);
}

/* ------------------------------------------------------------------ periods */

static double local_day(const cfg_t *c, double t) { return floor((t + c->offset_h * HOUR_MS) / DAY_MS); }
static double day_end(const cfg_t *c, double day) { return (day + 1) * DAY_MS - c->offset_h * HOUR_MS; }

static void write_day(const cfg_t *c, const char *dev, st_t *s, const acc_t *a) {
    sb_t b;
    if (!sb_init(&b, 512)) return;
    sb_raw(&b, "{");
    sb_str(&b, "device", dev);
    sb_int(&b, "ts", day_end(c, s->day) - 1000);
    sb_raw(&b, ",\"values\":{");
    sb_num(&b, "door_load_kwh", a->load);
    sb_num(&b, "door_energy_kwh", a->kwh);
    sb_num(&b, "door_cost", a->kwh * c->price);
    sb_raw(&b, "}}");
    char *rep = il_call("write", b.b);
    if (!il_ok(rep) || !strstr(rep, "\"refused\":[]")) {
        if (!s->refused)
            warnf("%s: derived telemetry not (fully) stored (declare door_load_kwh, door_energy_kwh, door_cost as float, or set write_telemetry false): %.300s",
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
    if (a->obs_s > 0 || a->n > 0) {
        char date[16], key[96];
        date_text(s->day, date, sizeof date);
        sb_t b;
        if (sb_init(&b, 1024)) {
            sb_raw(&b, "{");
            sb_str(&b, "date", date);
            res_json(c, &b, a);
            sb_raw(&b, "}");
            snprintf(key, sizeof key, "d:%s", dev);
            il_kv_push(key, b.b, (int)c->keep_days);
            free(b.b);
        }
        printf("%s: day %s: %.0f door openings, %.0f s open (longest %.0f s, Dt %.5f), load %.4f kWh, electricity %.4f kWh, cost %.2f %s; a strip curtain would save %.4f kWh (%.2f %s)\n",
               dev, date, a->n, a->open_s, a->max_s, a->obs_s > 0 ? a->open_s / a->obs_s : 0, a->load, a->kwh,
               a->kwh * c->price, c->currency, a->save, a->save * c->price, c->currency);
        if (c->write) write_day(c, dev, s, a);
    }
    memset(a, 0, sizeof *a);
}

static void roll(const cfg_t *c, const char *dev, st_t *s, double t) {
    double day = local_day(c, t);
    if (day == s->day) return;
    if (s->day > 0) close_day(c, dev, s);
    s->day = day;
}

/* Credits [from, to) split at local days: observed time, compressor running energy and, while the
 * door is open, the opening's load. */
static void credit(const cfg_t *c, const char *dev, st_t *s, double from, double to) {
    const char *src;
    double cop = cop_of(c, s, &src);
    double e0 = c->prot_pct / 100.0, ec = c->curtain_pct / 100.0;
    int pw_ok = c->prop[P_POWER][0] && s->ts_pw > 0 && from - s->ts_pw <= c->max_gap_ms;
    while (from < to) {
        roll(c, dev, s, from);
        double end = fmin(to, day_end(c, s->day));
        double dt = (end - from) / 1000.0;
        for (int a = 0; a < NA; a++) s->a[a].obs_s += dt;
        if (pw_ok && s->v_pw >= c->running_min_kw) {
            s->run_s += dt;
            s->run_kwh += s->v_pw * dt / 3600.0;
        }
        if (s->door > 0.5) {
            double qd = s->q * s->df;
            double load = qd * (1.0 - e0) * dt / 3600.0;
            double save = ec > e0 ? qd * (ec - e0) * dt / 3600.0 / cop : 0;
            double dur = (end - s->since) / 1000.0;
            for (int a = 0; a < NA; a++) {
                s->a[a].open_s += dt;
                s->a[a].load += load;
                s->a[a].kwh += load / cop;
                s->a[a].save += save;
                if (dur > s->a[a].max_s) s->a[a].max_s = dur;
            }
            s->op_load += load;
            s->op_kwh += load / cop;
        }
        from = end;
    }
}

/* Ends the opening at time t (ms): its record and the alarm. */
static void end_opening(const cfg_t *c, const char *dev, st_t *s, double t, const char *why) {
    double dur = (t - s->since) / 1000.0;
    char start[24], key[96];
    local_text(s->since, c->offset_h, start, sizeof start);
    sb_t b;
    if (sb_init(&b, 512)) {
        sb_raw(&b, "{");
        sb_str(&b, "start", start);
        sb_num(&b, "s", dur);
        sb_num(&b, "load_kwh", s->op_load);
        sb_num(&b, "kwh", s->op_kwh);
        sb_num(&b, "cost", s->op_kwh * c->price);
        if (why) sb_str(&b, "end", why);
        sb_raw(&b, "}");
        snprintf(key, sizeof key, "o:%s", dev);
        il_kv_push(key, b.b, (int)c->keep_openings);
        free(b.b);
    }
    if (s->alarmed) {
        alarm_op(dev, 0, "door_open_too_long", NULL, NULL);
        s->alarmed = 0;
    }
    s->door = why ? -1 : 0;
    s->op_load = s->op_kwh = 0;
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
            if (ts - s.last > c->max_gap_ms) {
                /* A gap: nothing is known of it; an opening ends at the last reading. */
                if (s.door > 0.5) {
                    printf("%s: no data for %.0f s while the door was open: the opening is counted until the last reading\n",
                           dev, (ts - s.last) / 1000.0);
                    end_opening(c, dev, &s, s.last, "data gap");
                }
                roll(c, dev, &s, ts);
            } else {
                credit(c, dev, &s, s.last, ts);
                roll(c, dev, &s, ts);
            }
        }
        for (int k = i; k < j; k++) {
            int p = pts[k].prop;
            if (!pts[k].ok) {
                printf("%s: %s is not a number or boolean, ignored\n", dev, c->prop[p]);
                continue;
            }
            double v = pts[k].v;
            if (p == P_ROOM) { s.v_room = v; s.ts_room = ts; }
            else if (p == P_OUT) { s.v_out = v; s.ts_out = ts; }
            else if (p == P_POWER) {
                v *= c->power_k;
                if (v < 0) { printf("%s: negative %s taken as 0\n", dev, c->prop[p]); v = 0; }
                s.v_pw = v; s.ts_pw = ts;
            }
        }
        /* The door last, with the room temperature of the same reading. */
        for (int k = i; k < j; k++) {
            if (pts[k].prop != P_DOOR || !pts[k].ok) continue;
            int open = (pts[k].v >= 0.5) != c->inverted;
            if (open && s.door <= 0.5) {
                double fm;
                s.door = 1;
                s.since = ts;
                s.op_load = s.op_kwh = 0;
                s.q = door_q(c, room_temp(c, &s, ts), out_temp(c, &s, ts), &s.df, &fm);
                for (int a = 0; a < NA; a++) s.a[a].n += 1;
            } else if (!open && s.door > 0.5) {
                end_opening(c, dev, &s, ts, NULL);
            } else if (!open) {
                s.door = 0;
            }
        }
        if (s.door > 0.5 && !s.alarmed && ts - s.since > c->max_open_ms) {
            char since[24];
            local_text(s.since, c->offset_h, since, sizeof since);
            sb_t d;
            if (sb_init(&d, 512)) {
                sb_raw(&d, "{");
                sb_num(&d, "open_s", (ts - s.since) / 1000.0);
                sb_num(&d, "max_open_s", c->max_open_ms / 1000.0);
                sb_str(&d, "since", since);
                sb_num(&d, "load_kw", s.q * s.df * (1.0 - c->prot_pct / 100.0));
                sb_raw(&d, "}");
                alarm_op(dev, 1, "door_open_too_long", "warning", d.b);
                free(d.b);
            }
            printf("%s: door open for %.0f s (since %s), longer than %.0f s\n", dev, (ts - s.since) / 1000.0, since,
                   c->max_open_ms / 1000.0);
            s.alarmed = 1;
            for (int a = 0; a < NA; a++) s.a[a].alarms += 1;
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
        double df, fm;
        double q = door_q(&c, c.room_c, c.out_c, &df, &fm);
        air_t r, i;
        moist_air(c.room_c, c.room_rh, c.p_kpa, &r);
        moist_air(c.out_c, c.out_rh, c.p_kpa, &i);
        printf("door %.2f x %.2f m; room %.1f C %.0f %% RH: h %.3f kJ/kg, rho %.4f kg/m3; outside %.1f C %.0f %% RH: h %.3f kJ/kg, rho %.4f kg/m3; "
               "Fm %.4f, q %.3f kW fully open, Df %.2f, protection %.0f %%: %.3f kW while open\n",
               c.width, c.height, c.room_c, c.room_rh, r.h, r.rho, c.out_c, c.out_rh, i.h, i.rho, fm, q, df, c.prot_pct,
               q * df * (1 - c.prot_pct / 100.0));
    }
    return 0;
}
