/* Time-of-use electricity cost (尖峰/峰/平/谷) per device, day and month.
 *
 * On every message carrying the device's power (kW) or its energy counter (kWh):
 *   - power: the previous reading is held until this one (at most max_gap_s) and its
 *     energy E = P * t is split over the tariff periods by local time (half-hour slots);
 *   - energy counter: the increase since the previous reading is spread evenly over the
 *     time between the two readings (a counter that goes back is a reset: not counted);
 *   - each period's price = fixed part + floating part * the period's ratio, the ratios and
 *     periods of a provincial notice (presets) or of the configuration;
 *   - the day's and month's kWh and cost per period, the peak share, the average price and
 *     the shifting opportunity: what moving the 尖峰 and 峰 energy to 谷 would save.
 *
 * State: "c:<device>" (the day and month so far), "d:<device>" (closed days),
 * "m:<device>" (closed months).
 */
#include "ironloom.h"
#include <math.h>

#define DAY_MS 86400000.0
#define SLOT_MS 1800000.0
enum { SHARP = 0, PEAK = 1, FLAT = 2, VALLEY = 3, NP = 4 };
static const char *PNAME[NP] = {"sharp", "peak", "flat", "valley"};
static const char PCODE[NP] = {'s', 'p', 'f', 'v'};

/* ------------------------------------------------------------------ tariffs */

typedef struct {
    char slot[12][48];   /* per month, per half hour from 00:00 local: period 0..3 */
    double ratio[12][NP];
    char name[64];
} tariff_t;

/* Sets [from_h, to_h) (hours, may wrap over midnight) of month m (1..12) to period p. */
static void set_hours(tariff_t *t, int m, double from_h, double to_h, int p) {
    int a = (int)lround(from_h * 2), b = (int)lround(to_h * 2);
    if (b <= a) b += 48;
    for (int i = a; i < b; i++) t->slot[m - 1][i % 48] = (char)p;
}

static void set_ratios(tariff_t *t, int m, double sharp, double peak, double valley) {
    t->ratio[m - 1][SHARP] = sharp;
    t->ratio[m - 1][PEAK] = peak;
    t->ratio[m - 1][FLAT] = 1;
    t->ratio[m - 1][VALLEY] = valley;
}

/* 苏发改价格发〔2025〕426号 (Jiangsu), two-part (两部制) users: summer and winter (6-8,
 * 12-2) peak 14-22, flat 6-11, 13-14, 22-24, valley 0-6, 11-13; spring and autumn (3-5,
 * 9-11) peak 15-22, flat 6-10, 14-15, 22-2, valley 2-6, 10-14; peak +80 %, valley -65 %. */
static void jiangsu_2025_426(tariff_t *t) {
    strcpy(t->name, "苏发改价格发〔2025〕426号 (two-part)");
    for (int m = 1; m <= 12; m++) {
        int sw = m >= 6 && m <= 8 ? 1 : (m == 12 || m <= 2);
        set_ratios(t, m, 1.8, 1.8, 0.35);
        if (sw) {
            set_hours(t, m, 0, 6, VALLEY);
            set_hours(t, m, 6, 11, FLAT);
            set_hours(t, m, 11, 13, VALLEY);
            set_hours(t, m, 13, 14, FLAT);
            set_hours(t, m, 14, 22, PEAK);
            set_hours(t, m, 22, 24, FLAT);
        } else {
            set_hours(t, m, 22, 2, FLAT);
            set_hours(t, m, 2, 6, VALLEY);
            set_hours(t, m, 6, 10, FLAT);
            set_hours(t, m, 10, 14, VALLEY);
            set_hours(t, m, 14, 15, FLAT);
            set_hours(t, m, 15, 22, PEAK);
        }
    }
}

/* 沪发改价管〔2022〕50号 (Shanghai), two-part users: July-September peak 8-15, 18-21, flat
 * 6-8, 15-18, 21-22, valley 22-6, sharp 12-14 in July and August; other months peak 8-11,
 * 18-21, flat 6-8, 11-18, 21-22, valley 22-6, sharp 19-21 in January and December.
 * July-September, January, December: peak +80 %, valley -60 %, sharp = peak +25 %;
 * other months peak +60 %, valley -50 %. */
static void shanghai_2022_50(tariff_t *t) {
    strcpy(t->name, "沪发改价管〔2022〕50号 (two-part)");
    for (int m = 1; m <= 12; m++) {
        int strong = (m >= 7 && m <= 9) || m == 1 || m == 12;
        if (strong) set_ratios(t, m, 1.8 * 1.25, 1.8, 0.4);
        else set_ratios(t, m, 1.6 * 1.25, 1.6, 0.5);
        set_hours(t, m, 22, 6, VALLEY);
        set_hours(t, m, 6, 8, FLAT);
        if (m >= 7 && m <= 9) {
            set_hours(t, m, 8, 15, PEAK);
            set_hours(t, m, 15, 18, FLAT);
            set_hours(t, m, 18, 21, PEAK);
            if (m <= 8) set_hours(t, m, 12, 14, SHARP);
        } else {
            set_hours(t, m, 8, 11, PEAK);
            set_hours(t, m, 11, 18, FLAT);
            set_hours(t, m, 18, 21, PEAK);
            if (m == 1 || m == 12) set_hours(t, m, 19, 21, SHARP);
        }
        set_hours(t, m, 21, 22, FLAT);
    }
}

/* ------------------------------------------------------------------ config */

typedef struct {
    char power_p[72], energy_p[72];
    double scale, base, fixed, max_gap_ms, offset_h;
    int keep_days, keep_months;
    tariff_t t;
} cfg_t;

static const char *array_after(const char *json, const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return *p == '[' ? p + 1 : NULL;
}

/* custom_months: 12 strings of 48 letters s/p/f/v (half hours from 00:00); 1 when valid. */
static int custom(tariff_t *t, const char *cfg) {
    const char *p = array_after(cfg, "custom_months");
    int m = 0;
    while (p && *p && *p != ']' && m < 12) {
        if (*p != '"') { p++; continue; }
        const char *q = strchr(p + 1, '"');
        if (!q) return 0;
        if (q - p - 1 != 48) return 0;
        for (int i = 0; i < 48; i++) {
            const char *c = strchr("spfv", p[1 + i]);
            if (!c || !p[1 + i]) return 0;
            t->slot[m][i] = (char)(c - "spfv");
        }
        m++;
        p = q + 1;
    }
    if (m != 12) return 0;
    double rs = 2.0, rp = 1.6, rv = 0.4;
    il_json_number(cfg, "custom_ratio_sharp", &rs);
    il_json_number(cfg, "custom_ratio_peak", &rp);
    il_json_number(cfg, "custom_ratio_valley", &rv);
    for (int i = 1; i <= 12; i++) set_ratios(t, i, rs, rp, rv);
    strcpy(t->name, "custom");
    return 1;
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->power_p, "power");
    c->scale = 1; c->base = 0.45; c->fixed = 0.20; c->offset_h = 8;
    double gap_s = 900, kd = 62, km = 24;
    char tariff[40] = "jiangsu-2025-426";
    char *cfg = il_call("config", "{}");
    if (cfg && il_ok(cfg)) {
        il_json_string(cfg, "power_property", c->power_p, sizeof c->power_p);
        il_json_string(cfg, "energy_property", c->energy_p, sizeof c->energy_p);
        il_json_string(cfg, "tariff", tariff, sizeof tariff);
        il_json_number(cfg, "power_to_kw", &c->scale);
        il_json_number(cfg, "base_price", &c->base);
        il_json_number(cfg, "fixed_price", &c->fixed);
        il_json_number(cfg, "max_gap_s", &gap_s);
        il_json_number(cfg, "utc_offset_h", &c->offset_h);
        il_json_number(cfg, "keep_days", &kd);
        il_json_number(cfg, "keep_months", &km);
    }
    if (strcmp(tariff, "shanghai-2022-50") == 0) shanghai_2022_50(&c->t);
    else if (strcmp(tariff, "custom") == 0) {
        if (!custom(&c->t, cfg)) {
            il_warn("tariff custom: custom_months must be 12 strings of 48 letters s/p/f/v; "
                    "using 苏发改价格发〔2025〕426号");
            jiangsu_2025_426(&c->t);
        }
    } else jiangsu_2025_426(&c->t);
    free(cfg);
    c->max_gap_ms = gap_s * 1000.0;
    c->keep_days = kd < 1 ? 1 : kd > 366 ? 366 : (int)kd;
    c->keep_months = km < 1 ? 1 : km > 120 ? 120 : (int)km;
}

static double price(const cfg_t *c, int month, int p) {
    return c->fixed + c->base * c->t.ratio[month - 1][p];
}

/* ------------------------------------------------------------------ time */

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

/* ------------------------------------------------------------------ state */

typedef struct {
    double last, value;   /* last reading: time, power (kW) or counter (kWh) */
    int has;
    double day;           /* local day number */
    int month;            /* YYYYMM */
    double dk[NP], dc[NP], mk[NP], mc[NP], nodata_h;
} st_t;

static void rd4(const char *r, const char *prefix, double *v) {
    char key[32];
    for (int i = 0; i < NP; i++) {
        snprintf(key, sizeof key, "%s_%s", prefix, PNAME[i]);
        il_json_number(r, key, &v[i]);
    }
}

static int load_state(const char *device, st_t *s) {
    memset(s, 0, sizeof *s);
    char key[160];
    snprintf(key, sizeof key, "c:%s", device);
    char *r = il_kv_get(key);
    if (!r) return 0;
    double v;
    if (il_json_number(r, "last", &v)) s->last = v;
    if (il_json_number(r, "value", &v)) s->value = v;
    if (il_json_number(r, "day", &v)) s->day = v;
    if (il_json_number(r, "month", &v)) s->month = (int)v;
    if (il_json_number(r, "nodata_h", &v)) s->nodata_h = v;
    rd4(r, "dk", s->dk); rd4(r, "dc", s->dc); rd4(r, "mk", s->mk); rd4(r, "mc", s->mc);
    free(r);
    s->has = s->last > 0;
    return s->has;
}

/* The JSON fields of four periods: "<prefix>_sharp":..,... */
static int w4(char *out, size_t cap, const char *prefix, const double *v) {
    return snprintf(out, cap, "\"%s_sharp\":%.6f,\"%s_peak\":%.6f,\"%s_flat\":%.6f,\"%s_valley\":%.6f",
                    prefix, v[0], prefix, v[1], prefix, v[2], prefix, v[3]);
}

/* Totals, peak share, average price, and the shifting opportunity of kWh k and cost c in
 * month `month`: moving all sharp and peak energy to the valley price. */
static int summary(const cfg_t *c, int month, const double *k, const double *cost, char *out, size_t cap) {
    double kwh = 0, yuan = 0, shift = 0;
    for (int i = 0; i < NP; i++) { kwh += k[i]; yuan += cost[i]; }
    if (month >= 1 && month <= 12)
        for (int i = SHARP; i <= PEAK; i++)
            shift += k[i] * (price(c, month, i) - price(c, month, VALLEY));
    return snprintf(out, cap,
                    "\"kwh\":%.6f,\"cost\":%.6f,\"avg_price\":%.6f,\"peak_share\":%.6f,"
                    "\"shift_all\":%.6f,\"shift_10pct\":%.6f",
                    kwh, yuan, kwh > 0 ? yuan / kwh : 0, kwh > 0 ? (k[SHARP] + k[PEAK]) / kwh : 0,
                    shift, shift / 10);
}

static void save_state(const cfg_t *c, const char *device, const st_t *s) {
    char req[2400];
    int w = snprintf(req, sizeof req,
                     "{\"key\":\"c:%s\",\"value\":{\"last\":%.0f,\"value\":%.10g,\"day\":%.0f,"
                     "\"month\":%d,\"nodata_h\":%.6f,\"tariff\":\"%s\",",
                     device, s->last, s->value, s->day, s->month, s->nodata_h, c->t.name);
    w += w4(req + w, sizeof req - w, "dk", s->dk); req[w++] = ',';
    w += w4(req + w, sizeof req - w, "dc", s->dc); req[w++] = ',';
    w += w4(req + w, sizeof req - w, "mk", s->mk); req[w++] = ',';
    w += w4(req + w, sizeof req - w, "mc", s->mc);
    w += snprintf(req + w, sizeof req - w, ",\"day_sum\":{");
    w += summary(c, s->month % 100, s->dk, s->dc, req + w, sizeof req - w);
    w += snprintf(req + w, sizeof req - w, "},\"month_sum\":{");
    w += summary(c, s->month % 100, s->mk, s->mc, req + w, sizeof req - w);
    int m = s->month % 100;
    if (m >= 1 && m <= 12) {
        char periods[49];
        for (int i = 0; i < 48; i++) periods[i] = PCODE[(int)c->t.slot[m - 1][i]];
        periods[48] = 0;
        w += snprintf(req + w, sizeof req - w,
                      "},\"prices\":{\"sharp\":%.6f,\"peak\":%.6f,\"flat\":%.6f,\"valley\":%.6f},"
                      "\"periods\":\"%s\"}}",
                      price(c, m, SHARP), price(c, m, PEAK), price(c, m, FLAT), price(c, m, VALLEY), periods);
    } else {
        w += snprintf(req + w, sizeof req - w, "}}}");
    }
    free(il_call("kv.set", req));
}

static void close_day(const cfg_t *c, const char *device, st_t *s) {
    double sum = 0;
    for (int i = 0; i < NP; i++) sum += s->dk[i];
    if (s->day > 0 && (sum > 0 || s->nodata_h > 0)) {
        int y, m, d;
        civil((long)s->day, &y, &m, &d);
        char rec[900], key[160];
        int w = snprintf(rec, sizeof rec, "{\"date\":\"%04d-%02d-%02d\",", y, m, d);
        w += w4(rec + w, sizeof rec - w, "kwh", s->dk); rec[w++] = ',';
        w += w4(rec + w, sizeof rec - w, "cost", s->dc); rec[w++] = ',';
        w += summary(c, m, s->dk, s->dc, rec + w, sizeof rec - w);
        snprintf(rec + w, sizeof rec - w, ",\"nodata_h\":%.4f}", s->nodata_h);
        snprintf(key, sizeof key, "d:%s", device);
        il_kv_push(key, rec, c->keep_days);
    }
    for (int i = 0; i < NP; i++) s->dk[i] = s->dc[i] = 0;
    s->nodata_h = 0;
}

static void close_month(const cfg_t *c, const char *device, st_t *s) {
    double sum = 0;
    for (int i = 0; i < NP; i++) sum += s->mk[i];
    if (s->month > 0 && sum > 0) {
        char rec[900], key[160];
        int w = snprintf(rec, sizeof rec, "{\"month\":\"%04d-%02d\",", s->month / 100, s->month % 100);
        w += w4(rec + w, sizeof rec - w, "kwh", s->mk); rec[w++] = ',';
        w += w4(rec + w, sizeof rec - w, "cost", s->mc); rec[w++] = ',';
        w += summary(c, s->month % 100, s->mk, s->mc, rec + w, sizeof rec - w);
        snprintf(rec + w, sizeof rec - w, "}");
        snprintf(key, sizeof key, "m:%s", device);
        il_kv_push(key, rec, c->keep_months);
        printf("%s: month %04d-%02d closed: %.3f kWh, cost %.2f\n", device, s->month / 100,
               s->month % 100, sum, s->mc[0] + s->mc[1] + s->mc[2] + s->mc[3]);
    }
    for (int i = 0; i < NP; i++) s->mk[i] = s->mc[i] = 0;
}

/* Credits `kw` over [a, b) to the periods, closing days and months on the way. */
static void credit(const cfg_t *c, const char *device, st_t *s, double a, double b, double kw) {
    double off = c->offset_h * 3600000.0;
    while (a < b) {
        double local = a + off;
        double day = floor(local / DAY_MS);
        int y, m, d;
        civil((long)day, &y, &m, &d);
        int month = y * 100 + m;
        if (day != s->day) {
            close_day(c, device, s);
            if (month != s->month) { close_month(c, device, s); s->month = month; }
            s->day = day;
        }
        int slot = (int)floor((local - day * DAY_MS) / SLOT_MS);
        if (slot > 47) slot = 47;
        double slot_end = day * DAY_MS + (slot + 1) * SLOT_MS - off;
        double e = fmin(b, slot_end);
        if (e <= a) e = fmin(b, a + 1); /* rounding guard */
        int p = c->t.slot[m - 1][slot];
        double kwh = kw * (e - a) / 3600000.0;
        s->dk[p] += kwh;
        s->mk[p] += kwh;
        s->dc[p] += kwh * price(c, m, p);
        s->mc[p] += kwh * price(c, m, p);
        a = e;
    }
}

/* Marks [a, b) as time without data (counted per day, for the panel). */
static void no_data(const cfg_t *c, const char *device, st_t *s, double a, double b) {
    double off = c->offset_h * 3600000.0;
    while (a < b) {
        double day = floor((a + off) / DAY_MS);
        if (day != s->day) {
            int y, m, d;
            civil((long)day, &y, &m, &d);
            close_day(c, device, s);
            if (y * 100 + m != s->month) { close_month(c, device, s); s->month = y * 100 + m; }
            s->day = day;
        }
        double e = fmin(b, (day + 1) * DAY_MS - off);
        s->nodata_h += (e - a) / 3600000.0;
        a = e;
    }
}

/* ------------------------------------------------------------------ telemetry */

/* The value of `prop` in the event: 1 number, 0 absent, -1 not a number. */
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
    char *e;
    double x = strtod(q, &e);
    if (e == q || !isfinite(x)) return -1;
    *v = x;
    return 1;
}

static int on_telemetry(const cfg_t *c, const char *event) {
    char device[128];
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    int counter = c->energy_p[0] != 0;
    const char *prop = counter ? c->energy_p : c->power_p;
    double v = 0, ts = 0;
    int h = event_value(event, prop, &v, &ts);
    if (h == 0) return 0;
    if (h < 0) { printf("%s: %s is not a number, ignored\n", device, prop); return 0; }
    if (ts <= 0) { printf("%s: %s without a time, ignored\n", device, prop); return 0; }
    if (!counter) {
        v *= c->scale;
        if (v < 0) { printf("%s: negative power %g kW (export) counted as 0\n", device, v); v = 0; }
    }
    st_t s;
    load_state(device, &s);
    if (s.has && ts <= s.last) {
        printf("%s: reading at %.0f not newer than the last one (%.0f), ignored\n", device, ts, s.last);
        return 0;
    }
    if (s.has) {
        double dt = ts - s.last;
        if (counter) {
            double de = v - s.value;
            if (de < 0) printf("%s: energy counter went back (%.10g -> %.10g): a reset, not counted\n",
                               device, s.value, v);
            else {
                /* Spread evenly over the interval, also over a long gap: the energy was used,
                 * only its timing is unsure. */
                if (dt > c->max_gap_ms)
                    printf("%s: %.0f kWh over %.0f s without readings, spread evenly\n", device, de, dt / 1000.0);
                credit(c, device, &s, s.last, ts, de / (dt / 3600000.0));
            }
        } else {
            double held = fmin(ts, s.last + c->max_gap_ms);
            credit(c, device, &s, s.last, held, s.value);
            if (held < ts) {
                printf("%s: %.0f s without data, not counted\n", device, (ts - held) / 1000.0);
                no_data(c, device, &s, held, ts);
            }
        }
    } else {
        /* First reading: open its day and month. */
        double local = ts + c->offset_h * 3600000.0;
        s.day = floor(local / DAY_MS);
        int y, m, d;
        civil((long)s.day, &y, &m, &d);
        s.month = y * 100 + m;
    }
    s.last = ts;
    s.value = v;
    save_state(c, device, &s);
    return 0;
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    cfg_t c;
    load_config(&c);
    char kind[24] = "";
    il_json_string(event, "kind", kind, sizeof kind);
    if (strcmp(kind, "telemetry") == 0) return on_telemetry(&c, event);
    if (strcmp(kind, "manual") == 0) {
        printf("tariff %s; prices for each month (sharp/peak/flat/valley):\n", c.t.name);
        for (int m = 1; m <= 12; m++) {
            char periods[49];
            for (int i = 0; i < 48; i++) periods[i] = PCODE[(int)c.t.slot[m - 1][i]];
            periods[48] = 0;
            printf("%02d: %.4f/%.4f/%.4f/%.4f %s\n", m, price(&c, m, SHARP), price(&c, m, PEAK),
                   price(&c, m, FLAT), price(&c, m, VALLEY), periods);
        }
    }
    return 0;
}
