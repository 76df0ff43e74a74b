/* Preventive maintenance of injection moulds by shot count.
 *
 * Moulds are registered over HTTP (`mould`: id, SPI/PLASTICS class 101-105, cavities, service
 * intervals in shots) and mounted on a moulding machine (`mount`); the machine's shot counter
 * (telemetry) then counts shots to the mounted mould: the counter's increase since the last
 * reading (a decrease is a counter reset, an implausible jump is ignored). Per mould:
 *   - total shots against the class's design life (SPI mould classification: Class 101
 *     1 000 000 cycles or more, 102 up to 1 000 000, 103 up to 500 000, 104 up to 100 000,
 *     105 up to 500 - prototype), or a life set for the mould;
 *   - shots since the last cleaning, inspection and full service against their intervals;
 *     due -> alarms `mould_cleaning_due`, `mould_inspection_due`, `mould_service_due` and
 *     `mould_life_reached` on the machine the mould is mounted on;
 *   - hours to each due point at the machine's current cycle time;
 *   - done maintenance recorded over HTTP (`done`: a full service also counts as an
 *     inspection and a cleaning, an inspection as a cleaning), which clears the alarms.
 *
 * State: "mould:<id>" per mould, "mach:<machine>" per machine, "r:<id>" the mould's records,
 * "moulds" the index of mould ids.
 */
#include "ironloom.h"
#include <math.h>
#include <time.h>

#define IL_UNUSED __attribute__((unused))

#include "ironloom_util.h"

/* ------------------------------------------------------------------ configuration */

enum { K_CLEAN, K_INSPECT, K_SERVICE, K_LIFE, NK };
static const char *KIND[NK] = {"clean", "inspect", "service", "life"};
static const char *ALARM[NK] = {"mould_cleaning_due", "mould_inspection_due", "mould_service_due", "mould_life_reached"};
enum { P_SHOTS, P_CYCLE, NPROP };
#define MAXPTS 600
#define MAX_MOULDS 200

typedef struct {
    char prop[NPROP][72];
    double def_class, interval[3], warn_pct, min_cycle_s, offset_h, keep_records;
    int auto_register;
} cfg_t;

/* SPI (now Plastics Industry Association) mould classes: design life in cycles. */
static double class_life(int cls) {
    switch (cls) {
    case 101: return 1000000; /* one million or more */
    case 102: return 1000000; /* not exceeding one million */
    case 103: return 500000;
    case 104: return 100000;
    case 105: return 500;     /* prototype */
    default: return 0;
    }
}

static void load_config(cfg_t *c) {
    memset(c, 0, sizeof *c);
    strcpy(c->prop[P_SHOTS], "shot_count");
    strcpy(c->prop[P_CYCLE], "cycle_time");
    c->def_class = 103;
    c->interval[K_CLEAN] = 25000; c->interval[K_INSPECT] = 100000; c->interval[K_SERVICE] = 250000;
    c->warn_pct = 90; c->min_cycle_s = 1; c->offset_h = 8; c->keep_records = 100;
    double ar = 1;
    char *r = il_call("config", "{}");
    const char *o = cfg_object(r);
    if (o) {
        cfg_str(o, "shot_property", c->prop[P_SHOTS], sizeof c->prop[P_SHOTS]);
        cfg_str(o, "cycle_property", c->prop[P_CYCLE], sizeof c->prop[P_CYCLE]);
        cfg_num(o, "default_class", &c->def_class);
        cfg_num(o, "clean_shots", &c->interval[K_CLEAN]);
        cfg_num(o, "inspect_shots", &c->interval[K_INSPECT]);
        cfg_num(o, "service_shots", &c->interval[K_SERVICE]);
        cfg_num(o, "warn_pct", &c->warn_pct);
        cfg_num(o, "min_cycle_s", &c->min_cycle_s);
        cfg_num(o, "utc_offset_h", &c->offset_h);
        cfg_num(o, "keep_records", &c->keep_records);
        cfg_num(o, "auto_register", &ar);
    }
    free(r);
    c->auto_register = ar != 0;
    if (class_life((int)c->def_class) <= 0) c->def_class = 103;
    if (c->min_cycle_s <= 0) c->min_cycle_s = 1;
}

/* ------------------------------------------------------------------ state */

typedef struct {
    char id[72], machine[72];
    double cls, life, cavities, shots, since[3], interval[3];
    double last_ts[3], created, mounted_ts, alarm_life_done;
} mould_t;

#define NMF 14
static int mould_fields(mould_t *m, fld_t *f) {
    fld_t t[NMF] = {{"class", &m->cls}, {"life", &m->life}, {"cavities", &m->cavities}, {"shots", &m->shots},
                    {"since_clean", &m->since[0]}, {"since_inspect", &m->since[1]}, {"since_service", &m->since[2]},
                    {"clean_shots", &m->interval[0]}, {"inspect_shots", &m->interval[1]},
                    {"service_shots", &m->interval[2]}, {"last_clean", &m->last_ts[0]},
                    {"last_inspect", &m->last_ts[1]}, {"last_service", &m->last_ts[2]}, {"mounted_ts", &m->mounted_ts}};
    memcpy(f, t, sizeof t);
    return NMF;
}

static int load_mould(const char *id, mould_t *m) {
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    char key[96], *hold;
    snprintf(key, sizeof key, "mould:%s", id);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NMF];
    load_fields(o, f, mould_fields(m, f));
    member_num(o, "created", &m->created);
    member_str(o, "machine", m->machine, sizeof m->machine);
    free(hold);
    return 1;
}

typedef struct {
    double last_count, last_ts, cycle_s, cycle_ts, unassigned, resets, jumps;
    double raised[NK];
    char mould[72];
} mach_t;

#define NCF (7 + NK)
static int mach_fields(mach_t *m, fld_t *f) {
    fld_t t[NCF] = {{"last_count", &m->last_count}, {"last_ts", &m->last_ts}, {"cycle_s", &m->cycle_s},
                    {"cycle_ts", &m->cycle_ts}, {"unassigned", &m->unassigned}, {"resets", &m->resets},
                    {"jumps", &m->jumps}, {"alarm_clean", &m->raised[0]}, {"alarm_inspect", &m->raised[1]},
                    {"alarm_service", &m->raised[2]}, {"alarm_life", &m->raised[3]}};
    memcpy(f, t, sizeof t);
    return NCF;
}

static int load_mach(const char *dev, mach_t *m) {
    memset(m, 0, sizeof *m);
    char key[96], *hold;
    snprintf(key, sizeof key, "mach:%s", dev);
    const char *o = kv_value(key, &hold);
    if (!o) return 0;
    fld_t f[NCF];
    load_fields(o, f, mach_fields(m, f));
    member_str(o, "mould", m->mould, sizeof m->mould);
    free(hold);
    return 1;
}

static void save_mach(const char *dev, mach_t *m) {
    sb_t s;
    if (!sb_init(&s, 2048)) return;
    fld_t f[NCF];
    int n = mach_fields(m, f);
    sb_raw(&s, "{");
    sb_str(&s, "mould", m->mould);
    save_fields(&s, f, n);
    sb_num(&s, "shots_per_hour", m->cycle_s > 0 ? 3600.0 / m->cycle_s : 0);
    sb_raw(&s, "}");
    char key[96];
    snprintf(key, sizeof key, "mach:%s", dev);
    kv_put(key, s.b);
    free(s.b);
}

/* A mould's status as JSON members: the stored fields plus what the panel and replies show. */
static void mould_json(const cfg_t *c, const mould_t *m, double sph, sb_t *s) {
    fld_t f[NMF];
    mould_t *mm = (mould_t *)m;
    int n = mould_fields(mm, f);
    sb_str(s, "mould", m->id);
    sb_str(s, "machine", m->machine);
    save_fields(s, f, n);
    sb_num(s, "created", m->created);
    sb_num(s, "parts", m->shots * (m->cavities > 0 ? m->cavities : 1));
    sb_num(s, "life_pct", m->life > 0 ? 100.0 * m->shots / m->life : 0);
    for (int k = 0; k < 3; k++) {
        char name[40];
        double iv = m->interval[k];
        snprintf(name, sizeof name, "%s_pct", KIND[k]);
        sb_num(s, name, iv > 0 ? 100.0 * m->since[k] / iv : 0);
        snprintf(name, sizeof name, "%s_status", KIND[k]);
        sb_str(s, name, iv <= 0 ? "off" : m->since[k] >= iv ? "due" : 100.0 * m->since[k] / iv >= c->warn_pct ? "soon" : "ok");
        snprintf(name, sizeof name, "%s_due_h", KIND[k]);
        if (iv > 0 && sph > 0 && m->machine[0]) sb_num(s, name, (iv > m->since[k] ? iv - m->since[k] : 0) / sph);
    }
    if (m->life > 0 && sph > 0 && m->machine[0]) sb_num(s, "life_due_h", (m->life > m->shots ? m->life - m->shots : 0) / sph);
}

static void save_mould(const cfg_t *c, const mould_t *m, double sph) {
    sb_t s;
    if (!sb_init(&s, 4096)) return;
    sb_raw(&s, "{");
    mould_json(c, m, sph, &s);
    sb_raw(&s, "}");
    char key[96];
    snprintf(key, sizeof key, "mould:%s", m->id);
    kv_put(key, s.b);
    free(s.b);
}

/* The index of mould ids. */
static int load_index(char ids[][72], int cap) {
    char *hold;
    const char *o = kv_value("moulds", &hold);
    int n = 0;
    if (o && *o == '[') {
        const char *p = o + 1;
        while (*p && n < cap) {
            p = ws(p);
            if (*p == ']' || !*p) break;
            if (*p == ',') { p++; continue; }
            if (*p == '"') {
                const char *e = skip_string(p);
                size_t l = (size_t)(e - p - 2);
                if (l > 0 && l < 72) { memcpy(ids[n], p + 1, l); ids[n][l] = 0; n++; }
                p = e;
            } else {
                p = skip_value(p);
            }
        }
    }
    free(hold);
    return n;
}

static int add_to_index(const char *id) {
    static char ids[MAX_MOULDS][72];
    int n = load_index(ids, MAX_MOULDS);
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return 1;
    if (n >= MAX_MOULDS) return 0;
    strcpy(ids[n++], id);
    sb_t s;
    if (!sb_init(&s, n * 80 + 16)) return 0;
    sb_raw(&s, "[");
    for (int i = 0; i < n; i++) {
        if (i) sb_raw(&s, ",");
        sb_qstr(&s, ids[i]);
    }
    sb_raw(&s, "]");
    kv_put("moulds", s.b);
    free(s.b);
    return 1;
}

/* A maintenance (or mount) record appended to "r:<id>"; free text is cleaned of the characters
 * the flat record list cannot hold. */
static void clean_text(char *t) {
    for (; *t; t++)
        if (*t == '{' || *t == '}' || *t == '[' || *t == ']' || *t == '"' || *t == '\\') *t = ' ';
}

static void add_record(const cfg_t *c, const mould_t *m, const char *kind, double ts, const char *by, const char *note,
                       const char *machine) {
    sb_t s;
    if (!sb_init(&s, 1024)) return;
    char t[24], b[72], nt[200], key[96];
    snprintf(b, sizeof b, "%s", by ? by : "");
    snprintf(nt, sizeof nt, "%s", note ? note : "");
    clean_text(b);
    clean_text(nt);
    local_text(ts, c->offset_h, t, sizeof t);
    sb_raw(&s, "{");
    sb_str(&s, "kind", kind);
    sb_int(&s, "ts", ts);
    sb_str(&s, "time", t);
    sb_int(&s, "shots", m->shots);
    if (machine && machine[0]) sb_str(&s, "machine", machine);
    if (b[0]) sb_str(&s, "by", b);
    if (nt[0]) sb_str(&s, "note", nt);
    sb_raw(&s, "}");
    snprintf(key, sizeof key, "r:%s", m->id);
    il_kv_push(key, s.b, (int)c->keep_records);
    free(s.b);
}

/* ------------------------------------------------------------------ alarms */

static int is_due(const mould_t *m, int k) {
    if (k == K_LIFE) return m->life > 0 && m->shots >= m->life;
    return m->interval[k] > 0 && m->since[k] >= m->interval[k];
}

/* Raises the due alarms of the mould on the machine, clears those no longer due (or all when
 * the mould is NULL: nothing mounted). */
static void sync_alarms(const char *dev, mach_t *mc, const mould_t *m) {
    for (int k = 0; k < NK; k++) {
        int want = m && is_due(m, k);
        if (want && !mc->raised[k]) {
            sb_t s;
            if (!sb_init(&s, 1024)) continue;
            sb_raw(&s, "{");
            sb_str(&s, "mould", m->id);
            sb_int(&s, "class", m->cls);
            sb_int(&s, "shots", m->shots);
            if (k == K_LIFE) {
                sb_int(&s, "life", m->life);
                sb_num(&s, "life_pct", 100.0 * m->shots / m->life);
            } else {
                sb_str(&s, "maintenance", KIND[k]);
                sb_int(&s, "shots_since", m->since[k]);
                sb_int(&s, "interval", m->interval[k]);
            }
            sb_raw(&s, "}");
            alarm_op(dev, 1, ALARM[k], k == K_LIFE ? "major" : "warning", s.b);
            free(s.b);
            printf("%s: %s raised for mould %s (%.0f shots)\n", dev, ALARM[k], m->id, k == K_LIFE ? m->shots : m->since[k]);
            mc->raised[k] = 1;
        } else if (!want && mc->raised[k]) {
            alarm_op(dev, 0, ALARM[k], NULL, NULL);
            printf("%s: %s cleared\n", dev, ALARM[k]);
            mc->raised[k] = 0;
        }
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
    mach_t mc;
    int known = load_mach(dev, &mc) && mc.last_ts > 0;
    mould_t m;
    int have_mould = mc.mould[0] && load_mould(mc.mould, &m);
    double added = 0;
    int old_warned = 0;
    for (int i = 0; i < n; i++) {
        pt_t *p = &pts[i];
        if (!p->ok) {
            printf("%s: %s is not a number, ignored\n", dev, c->prop[p->prop]);
            continue;
        }
        if (p->prop == P_CYCLE) {
            if (p->v > 0 && p->ts >= mc.cycle_ts) { mc.cycle_s = p->v; mc.cycle_ts = p->ts; }
            continue;
        }
        double v = p->v;
        if (v < 0 || v != floor(v)) {
            printf("%s: %s %g is no counter value, ignored\n", dev, c->prop[P_SHOTS], v);
            continue;
        }
        if (!known) {
            mc.last_count = v;
            mc.last_ts = p->ts;
            known = 1;
            printf("%s: first counter reading %.0f: shots are counted from here\n", dev, v);
            continue;
        }
        if (p->ts <= mc.last_ts) {
            if (p->ts < mc.last_ts && !old_warned) {
                printf("%s: counter reading at %.0f older than the last one, ignored\n", dev, p->ts);
                old_warned = 1;
            }
            continue;
        }
        double d = v - mc.last_count;
        if (d < 0) {
            printf("%s: counter went back from %.0f to %.0f: a reset, %.0f shots since it\n", dev, mc.last_count, v, v);
            mc.resets += 1;
            d = v;
        }
        double most = (p->ts - mc.last_ts) / 1000.0 / c->min_cycle_s + 1;
        if (d > most) {
            printf("%s: counter jumped by %.0f in %.0f s (more than one shot per %g s): ignored, counting from %.0f\n", dev, d,
                   (p->ts - mc.last_ts) / 1000.0, c->min_cycle_s, v);
            mc.jumps += 1;
            d = 0;
        }
        mc.last_count = v;
        mc.last_ts = p->ts;
        if (d <= 0) continue;
        if (have_mould) {
            m.shots += d;
            for (int k = 0; k < 3; k++) m.since[k] += d;
            added += d;
        } else {
            mc.unassigned += d;
        }
    }
    if (!have_mould && mc.unassigned > 0 && added == 0)
        printf("%s: no mould mounted: %.0f shots not assigned (POST mount)\n", dev, mc.unassigned);
    double sph = mc.cycle_s > 0 ? 3600.0 / mc.cycle_s : 0;
    if (have_mould) {
        sync_alarms(dev, &mc, &m);
        if (added > 0) save_mould(c, &m, sph);
    }
    save_mach(dev, &mc);
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

static void reply_mould(const cfg_t *c, int status, const mould_t *m, const char *extra_key, const char *extra) {
    double sph = 0;
    if (m->machine[0]) {
        mach_t mc;
        if (load_mach(m->machine, &mc) && mc.cycle_s > 0) sph = 3600.0 / mc.cycle_s;
    }
    sb_t s;
    if (!sb_init(&s, 4096)) return;
    sb_raw(&s, "{");
    mould_json(c, m, sph, &s);
    if (extra_key) sb_str(&s, extra_key, extra);
    sb_raw(&s, "}");
    reply_json(status, s.b);
    free(s.b);
}

/* mould {"mould", "class"?, "cavities"?, "life_shots"?, "clean_shots"?, "inspect_shots"?,
 * "service_shots"?, "shots"?, "since_clean"?, "since_inspect"?, "since_service"?} */
static void http_mould(const cfg_t *c, const char *body, double now) {
    char id[72];
    if (!body || *body != '{' || !member_str(body, "mould", id, sizeof id) || !ident_ok(id)) {
        reply_error(400, "body: {\"mould\": id (letters, digits, - _ . : /), \"class\": 101..105, ...}");
        return;
    }
    mould_t m;
    int exists = load_mould(id, &m);
    double v;
    if (!exists) {
        m.cls = c->def_class;
        m.cavities = 1;
        for (int k = 0; k < 3; k++) m.interval[k] = c->interval[k];
        m.created = now;
    }
    if (member_num(body, "class", &v)) {
        if (class_life((int)v) <= 0 || v != floor(v)) { reply_error(400, "class: 101, 102, 103, 104 or 105 (SPI)"); return; }
        m.cls = v;
    }
    if (!exists || member(body, "class")) m.life = class_life((int)m.cls);
    if (member_num(body, "life_shots", &v)) {
        if (v < 0) { reply_error(400, "life_shots: a number >= 0 (0: the class's life)"); return; }
        m.life = v > 0 ? v : class_life((int)m.cls);
    }
    const char *nums[] = {"cavities", "clean_shots", "inspect_shots", "service_shots", "shots", "since_clean", "since_inspect", "since_service"};
    double *dst[] = {&m.cavities, &m.interval[0], &m.interval[1], &m.interval[2], &m.shots, &m.since[0], &m.since[1], &m.since[2]};
    for (int i = 0; i < 8; i++) {
        const char *raw = member(body, nums[i]);
        if (!raw) continue;
        if (!member_num(body, nums[i], &v) || v < 0 || v > 1e12) {
            char msg[96];
            snprintf(msg, sizeof msg, "%s: a number >= 0", nums[i]);
            reply_error(400, msg);
            return;
        }
        *dst[i] = floor(v);
    }
    if (m.cavities < 1) m.cavities = 1;
    if (!exists && !add_to_index(id)) { reply_error(422, "too many moulds (200)"); return; }
    save_mould(c, &m, 0);
    printf("mould %s %s: class %.0f, life %.0f shots, %.0f shots so far\n", id, exists ? "updated" : "registered", m.cls, m.life,
           m.shots);
    reply_mould(c, exists ? 200 : 201, &m, NULL, NULL);
}

/* Takes the mould off its machine (clearing that machine's alarms). */
static void dismount(const cfg_t *c, mould_t *m, double ts) {
    if (!m->machine[0]) return;
    mach_t mc;
    if (load_mach(m->machine, &mc) && strcmp(mc.mould, m->id) == 0) {
        mc.mould[0] = 0;
        sync_alarms(m->machine, &mc, NULL);
        save_mach(m->machine, &mc);
    }
    add_record(c, m, "dismount", ts, NULL, NULL, m->machine);
    printf("mould %s taken off %s at %.0f shots\n", m->id, m->machine, m->shots);
    m->machine[0] = 0;
    m->mounted_ts = 0;
}

/* mount {"machine", "mould" (empty: take the mounted mould off), "ts"?} */
static void http_mount(const cfg_t *c, const char *body, double now) {
    char dev[72], id[72] = "";
    if (!body || *body != '{' || !member_str(body, "machine", dev, sizeof dev) || !ident_ok(dev) ||
        (member(body, "mould") && !member_str(body, "mould", id, sizeof id))) {
        reply_error(400, "body: {\"machine\": device, \"mould\": id or \"\"}");
        return;
    }
    if (id[0] && !ident_ok(id)) { reply_error(400, "mould: letters, digits, - _ . : /, at most 64"); return; }
    if (!device_exists(dev)) { reply_error(404, "no such machine among the installation's devices"); return; }
    double ts = now, v;
    if (member_num(body, "ts", &v) && v > 0) ts = v;
    mach_t mc;
    load_mach(dev, &mc);
    /* The mould on the machine now comes off. */
    if (mc.mould[0] && strcmp(mc.mould, id) != 0) {
        mould_t old;
        if (load_mould(mc.mould, &old)) {
            dismount(c, &old, ts);
            save_mould(c, &old, 0);
        }
        load_mach(dev, &mc);
    }
    if (!id[0]) {
        mc.mould[0] = 0;
        sync_alarms(dev, &mc, NULL);
        save_mach(dev, &mc);
        reply_json(200, "{\"mounted\":null}");
        return;
    }
    mould_t m;
    if (!load_mould(id, &m)) {
        if (!c->auto_register) { reply_error(404, "unknown mould: register it first (POST mould)"); return; }
        memset(&m, 0, sizeof m);
        snprintf(m.id, sizeof m.id, "%s", id);
        m.cls = c->def_class;
        m.life = class_life((int)m.cls);
        m.cavities = 1;
        for (int k = 0; k < 3; k++) m.interval[k] = c->interval[k];
        m.created = ts;
        if (!add_to_index(id)) { reply_error(422, "too many moulds (200)"); return; }
        printf("mould %s registered at its first mount: class %.0f (default)\n", id, m.cls);
    }
    if (strcmp(m.machine, dev) != 0) {
        if (m.machine[0]) dismount(c, &m, ts);
        snprintf(m.machine, sizeof m.machine, "%s", dev);
        m.mounted_ts = ts;
        add_record(c, &m, "mount", ts, NULL, NULL, dev);
        printf("mould %s mounted on %s at %.0f shots\n", id, dev, m.shots);
    }
    load_mach(dev, &mc);
    snprintf(mc.mould, sizeof mc.mould, "%s", id);
    sync_alarms(dev, &mc, &m);
    save_mach(dev, &mc);
    double sph = mc.cycle_s > 0 ? 3600.0 / mc.cycle_s : 0;
    save_mould(c, &m, sph);
    reply_mould(c, 200, &m, NULL, NULL);
}

/* done {"mould", "kind": "clean" | "inspect" | "service", "by"?, "note"?, "ts"?} */
static void http_done(const cfg_t *c, const char *body, double now) {
    char id[72], kind[16], by[72] = "", note[200] = "";
    if (!body || *body != '{' || !member_str(body, "mould", id, sizeof id) || !member_str(body, "kind", kind, sizeof kind)) {
        reply_error(400, "body: {\"mould\": id, \"kind\": \"clean\" | \"inspect\" | \"service\", \"by\"?, \"note\"?, \"ts\"?}");
        return;
    }
    int k = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(kind, KIND[i]) == 0) k = i;
    if (k < 0) { reply_error(400, "kind: clean, inspect or service"); return; }
    mould_t m;
    if (!ident_ok(id) || !load_mould(id, &m)) { reply_error(404, "unknown mould"); return; }
    member_str(body, "by", by, sizeof by);
    member_str(body, "note", note, sizeof note);
    double ts = now, v;
    if (member_num(body, "ts", &v) && v > 0) ts = v;
    /* A full service includes an inspection and a cleaning; an inspection a cleaning. */
    for (int i = 0; i <= k; i++) {
        m.since[i] = 0;
        m.last_ts[i] = ts;
    }
    add_record(c, &m, KIND[k], ts, by, note, m.machine);
    double sph = 0;
    if (m.machine[0]) {
        mach_t mc;
        load_mach(m.machine, &mc);
        if (strcmp(mc.mould, m.id) == 0) {
            sync_alarms(m.machine, &mc, &m);
            save_mach(m.machine, &mc);
        }
        if (mc.cycle_s > 0) sph = 3600.0 / mc.cycle_s;
    }
    save_mould(c, &m, sph);
    printf("mould %s: %s done at %.0f shots%s%s\n", id, KIND[k], m.shots, by[0] ? " by " : "", by);
    reply_mould(c, 200, &m, NULL, NULL);
}

/* status {"mould"?}: one mould, or all. */
static void http_status(const cfg_t *c, const char *body) {
    char id[72];
    if (body && *body == '{' && member_str(body, "mould", id, sizeof id)) {
        mould_t m;
        if (!ident_ok(id) || !load_mould(id, &m)) { reply_error(404, "unknown mould"); return; }
        reply_mould(c, 200, &m, NULL, NULL);
        return;
    }
    static char ids[MAX_MOULDS][72];
    int n = load_index(ids, MAX_MOULDS);
    sb_t s;
    if (!sb_init(&s, 1024 + n * 1400)) return;
    sb_raw(&s, "{\"moulds\":[");
    for (int i = 0; i < n; i++) {
        mould_t m;
        if (!load_mould(ids[i], &m)) continue;
        double sph = 0;
        mach_t mc;
        if (m.machine[0] && load_mach(m.machine, &mc) && mc.cycle_s > 0) sph = 3600.0 / mc.cycle_s;
        if (s.b[s.n - 1] != '[') sb_raw(&s, ",");
        sb_raw(&s, "{");
        mould_json(c, &m, sph, &s);
        sb_raw(&s, "}");
    }
    sb_raw(&s, "]}");
    reply_json(200, s.b);
    free(s.b);
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
        double now = now_ms();
        if (strcmp(path, "mould") == 0) http_mould(&c, body, now);
        else if (strcmp(path, "mount") == 0) http_mount(&c, body, now);
        else if (strcmp(path, "done") == 0) http_done(&c, body, now);
        else if (strcmp(path, "status") == 0) http_status(&c, body);
        else reply_error(404, "unknown path");
        return 0;
    }
    if (strcmp(kind, "manual") == 0)
        printf("default class %.0f (design life %.0f shots), intervals: clean %.0f, inspect %.0f, full service %.0f shots\n",
               c.def_class, class_life((int)c.def_class), c.interval[0], c.interval[1], c.interval[2]);
    return 0;
}
