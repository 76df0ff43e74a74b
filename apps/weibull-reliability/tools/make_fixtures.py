#!/usr/bin/env python3
"""Writes the fixtures of apps/weibull-reliability. The published numbers are quoted from
their source; every other expected value is computed here by plain, independent Python
(Johnson's adjusted ranks, Bernard's approximation, least squares, the censored likelihood
solved by bisection, the age-replacement cost integrated by Simpson's rule with a grid and
ternary search), never taken from the app.
Run: python3 apps/weibull-reliability/tools/make_fixtures.py"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1767225600000  # 2026-01-01T00:00:00Z
H = 3600000


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def alarm(change, device, atype, severity, start):
    return {"kind": "alarm", "change": change, "device": device, "product": "demo-pump",
            "alarm": {"id": f"{device}-{start}", "type": atype, "severity": severity, "active": change != "cleared",
                      "acknowledged": False, "count": 1, "start_ts": start, "last_ts": start, "details": {}, "rule_id": None}}


# ---- reference arithmetic ------------------------------------------------------------------
def johnson_bernard(fail, susp):
    items = sorted([(t, 1) for t in fail] + [(t, 0) for t in susp], key=lambda x: (x[0], -x[1]))
    n = len(items)
    prev = 0.0
    out = []
    for i, (t, f) in enumerate(items):
        if not f:
            continue
        rr = n - i
        adj = (rr * prev + n + 1) / (rr + 1)
        prev = adj
        out.append((t, adj, (adj - 0.3) / (n + 0.4)))
    return out


def rrx(pts):
    x = [math.log(t) for t, _, _ in pts]
    y = [math.log(-math.log(1 - F)) for _, _, F in pts]
    k = len(x)
    mx, my = sum(x) / k, sum(y) / k
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    syy = sum((b - my) ** 2 for b in y)
    sxx = sum((a - mx) ** 2 for a in x)
    d = sxy / syy
    return 1 / d, math.exp(mx - d * my), sxy * sxy / (sxx * syy)


def mle(fail, susp):
    allt = fail + susp
    r = len(fail)

    def h(b):
        s0 = sum(t ** b for t in allt)
        s1 = sum(t ** b * math.log(t) for t in allt)
        return s1 / s0 - 1 / b - sum(math.log(t) for t in fail) / r
    lo, hi = 0.05, 50.0
    for _ in range(300):
        m = (lo + hi) / 2
        if h(m) > 0:
            hi = m
        else:
            lo = m
    b = (lo + hi) / 2
    return b, (sum(t ** b for t in allt) / r) ** (1 / b)


def R(t, b, e):
    return math.exp(-(t / e) ** b)


def integ(T, b, e, n=4000):
    h = T / n
    s = R(0, b, e) + R(T, b, e)
    for i in range(1, n):
        s += (4 if i % 2 else 2) * R(i * h, b, e)
    return s * h / 3


def cost(T, b, e, cp, cf):
    return (cp * R(T, b, e) + cf * (1 - R(T, b, e))) / integ(T, b, e)


def best(b, e, cp, cf):
    grid = [e * k / 200 for k in range(1, 601)]
    c = [cost(T, b, e, cp, cf) for T in grid]
    k = min(range(len(c)), key=lambda i: c[i])
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    for _ in range(60):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if cost(m1, b, e, cp, cf) < cost(m2, b, e, cp, cf):
            hi = m2
        else:
            lo = m1
    T = (lo + hi) / 2
    return T, cost(T, b, e, cp, cf)


def summary(b, e, t_rel, cp, cf):
    mttf = e * math.gamma(1 + 1 / b)
    out = {"beta": b, "eta": e, "b10": e * (-math.log(0.9)) ** (1 / b), "mttf": mttf,
           "reliability_at": t_rel, "reliability": R(t_rel, b, e)}
    pm = None
    if b > 1 and cf > cp:
        T, c = best(b, e, cp, cf)
        run = cf / mttf
        pm = {"interval": T, "cost_rate": c, "run_to_failure_cost_rate": run, "saving_pct": (1 - c / run) * 100,
              "reliability_at_interval": R(T, b, e)}
    return out, pm


# ---- 1. The published example: Kececioglu's six units (ReliaWiki, Weibull chapter) ----------
# Exact median ranks, rank regression on Y: b = 1.4301 (published); eta from the published
# sums: a = -3.007/6 - 1.4301 x 23.9068/6 = -6.1993, eta = exp(6.1993/1.4301) = 76.32.
# MLE: beta = 1.933, eta = 73.526 (published).
sxy = -8.0699 - 23.9068 * (-3.007) / 6
sxx = 97.9909 - 23.9068 ** 2 / 6
b_pub = sxy / sxx
a_pub = -3.007 / 6 - b_pub * 23.9068 / 6
eta_pub = math.exp(-a_pub / b_pub)
mb, me = 1.933, 73.526
mttf = me * math.gamma(1 + 1 / mb)
b10 = me * (-math.log(0.9)) ** (1 / mb)
r15 = math.exp(-(15 / me) ** mb)
write("kececioglu-six-units-published.json", {
    "description": (
        "Published worked example: Kececioglu's six units tested to failure (16, 34, 53, 75, 93, 120 h), as solved in ReliaSoft's Life Data Analysis Reference "
        "(ReliaWiki, chapter 'The Weibull Distribution', examples '2P Weibull Distribution RRY' and 'Weibull MLE'). With exact median ranks (0.1091, 0.2645, 0.4214, 0.5786, "
        "0.7355, 0.8909) and rank regression on Y the published slope is b = 1.4301 = beta; from the published sums (sum ln t = 23.9068, sum y = -3.007, sum (ln t)^2 = 97.9909, "
        f"sum y ln t = -8.0699): b = ({sxy:.5f})/({sxx:.5f}) = {b_pub:.4f}, a = -3.007/6 - b x 23.9068/6 = {a_pub:.4f}, eta = exp(-a/b) = {eta_pub:.3f} h. "
        "Maximum likelihood (published): beta = 1.933, eta = 73.526 h. From those by hand: B10 = 73.526 x (-ln 0.9)^(1/1.933) = "
        f"{b10:.3f} h, MTTF = 73.526 x Gamma(1 + 1/1.933) = {mttf:.3f} h, R(15 h) = exp(-(15/73.526)^1.933) = {r15:.5f}. Costs Cp 1000, Cf 5000: "
        "beta > 1, so a replacement interval is recommended (its value is checked in the other fixtures). The request 'analyze' with t = 15 gives R(15)."),
    "config": {"ranks": "exact", "regression": "y_on_x", "method": "mle", "alarm_type": ""},
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": [
        http("data", {"class": "test units", "failures": [93, 34, 16, 120, 53, 75], "unit": "h"}),
        http("analyze", {"class": "test units", "t": 15}),
    ],
    "expect": {
        "results": [0, 0],
        "replies": [
            {"status": 200, "body": {"class": "test units", "result": {
                "status": "ok", "method": "mle", "failures": 6, "suspensions": 0,
                "mrr": {"beta": 1.4301, "eta": round(eta_pub, 3), "ranks": "exact", "regression": "y_on_x"},
                "mle": {"beta": 1.933, "eta": 73.526},
                "beta": 1.933, "eta": 73.526, "b10": round(b10, 3), "mttf": round(mttf, 3)}}},
            {"status": 200, "body": {"result": {"reliability_at": 15, "reliability": round(r15, 5), "mle": {"reliability": round(r15, 5)}}}},
        ],
        "kv": {"classes": ["test units"]},
        "logs": ["test units: β = 1.93"],
    },
    "rel": 5e-4,
})

# ---- 2. Suspensions, Johnson's adjusted ranks and Bernard's approximation by hand -----------
fail = [410, 620, 790, 950, 1130, 1380, 1620]
susp = [500, 1000, 1500]
pts = johnson_bernard(fail, susp)
b, e, r2 = rrx(pts)
mb2, me2 = mle(fail, susp)
s, pm = summary(b, e, 1000, 1000, 5000)
adj = ", ".join(f"{t} h: {a:.4f} -> {F:.4f}" for t, a, F in pts)
rnd = [5, 20, 60, 150, 400, 900]
rb, re_, _ = rrx(johnson_bernard(rnd, []))
write("suspensions-bernard-by-hand.json", {
    "description": (
        "Seven failures (410, 620, 790, 950, 1130, 1380, 1620 h) and three suspensions (500, 1000, 1500 h: units removed unfailed), defaults (Bernard, x on y, "
        "method mrr, Cp 1000, Cf 5000, R at 1000 h). Johnson's adjusted ranks (N = 10, reverse rank k, j = (k x previous j + N + 1)/(k + 1)): 410 k=10 j=1; 620 k=8 j=(8+11)/9=2.1111; "
        "790 k=7 j=(14.7778+11)/8=3.2222; 950 k=6 j=4.3333; 1130 k=4 j=5.6667; 1380 k=3 j=7; 1620 k=1 j=(7+11)/2=9. Bernard F = (j - 0.3)/10.4: "
        f"{adj}. Least squares of ln t on y = ln(-ln(1-F)): beta = {b:.4f}, eta = {e:.2f} h (r^2 = {r2:.4f}); B10 = {s['b10']:.2f} h, MTTF = eta Gamma(1+1/beta) = {s['mttf']:.2f} h, "
        f"R(1000) = {s['reliability']:.4f}. MLE with the suspensions (profile equation solved by bisection): beta = {mb2:.4f}, eta = {me2:.2f} h. "
        f"Age replacement (cost per hour C(T) = [1000 R(T) + 5000 F(T)] / integral of R from 0 to T, Simpson's rule, grid to 3 eta and ternary search): T* = {pm['interval']:.1f} h, "
        f"C(T*) = {pm['cost_rate']:.4f} per h against 5000/MTTF = {pm['run_to_failure_cost_rate']:.4f} per h running to failure: saving {pm['saving_pct']:.2f} %, R(T*) = {pm['reliability_at_interval']:.4f}. "
        f"A second class of early failures (5, 20, 60, 150, 400, 900 h; Bernard ranks (i - 0.3)/6.4) fits beta = {rb:.4f} < 1, eta = {re_:.1f} h: no replacement interval (replacing earlier prevents nothing)."),
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": [
        http("data", {"class": "seal kits", "failures": fail, "suspensions": susp, "unit": "h"}),
        http("data", {"class": "controller boards", "failures": rnd}),
        http("list", {}),
    ],
    "expect": {
        "results": [0, 0, 0],
        "replies": [
            {"status": 200, "body": {"result": {
                "status": "ok", "method": "mrr", "failures": 7, "suspensions": 3,
                "beta": b, "eta": e, "b10": s["b10"], "mttf": s["mttf"], "reliability": s["reliability"],
                "mrr": {"beta": b, "eta": e, "r2": r2, "ranks": "bernard", "regression": "x_on_y"},
                "mle": {"beta": mb2, "eta": me2},
                "pm": pm,
                "plot": [[t, round(F, 6)] for t, _, F in pts]}}},
            {"status": 200, "body": {"result": {"status": "ok", "beta": rb, "eta": re_, "pm": None, "pm_reason": "beta_le_1"}}},
            {"status": 200, "body": {"classes": [{"class": "seal kits", "beta": b, "eta": e, "pm_interval": pm["interval"]},
                                                 {"class": "controller boards", "beta": rb, "pm_interval": None}]}},
        ],
    },
    "rel": 1e-4,
})

# ---- 3. The demo pumps' bearing_overheat alarms with the defaults ---------------------------
# Failures (hours from T0): pump-01 0, 700, 1500, 2100; pump-02 100, 1000, 1650; pump-03 200, 950.
seq = [("pump-01", 0), ("pump-02", 100), ("pump-03", 200), ("pump-01", 700), ("pump-03", 950),
       ("pump-02", 1000), ("tick", 1200), ("pump-01", 1500), ("pump-02", 1650), ("tick", 2000),
       ("pump-01", 2100), ("tick", 2400)]
events = []
ops = []
when = []
last = {}
due = {}
failures = []
order = []


def update(now):
    ages = [(d, now - last[d]) for d in order if now - last[d] > 0]
    if len(failures) < 3:
        return None
    pts = johnson_bernard(failures, [a for _, a in ages])
    b, e, _ = rrx(pts)
    T = best(b, e, 1000, 5000)[0] if b > 1 else None
    for d, a in ages:
        is_due = T is not None and a > T
        if is_due and not due.get(d):
            when.append(f"{d} raised at {now} h (age {a} h > T* = {T:.1f} h from beta {b:.3f}, eta {e:.1f} h)")
            ops.append({"op": "raise", "device": d, "type": "preventive_replacement_due", "severity": "minor",
                        "details": {"class": "alarm:bearing_overheat", "age_h": a, "interval_h": T}})
        elif not is_due and due.get(d):
            when.append(f"{d} cleared at {now} h")
            ops.append({"op": "clear", "device": d, "type": "preventive_replacement_due"})
        due[d] = is_due
    return b, e, T


state = None
for dev, h in seq:
    if dev == "tick":
        events.append(tick(T0 + h * H))
        state = update(h)
        continue
    if h >= 1000 and dev == "pump-01" and h == 1500:
        # noise the app must ignore: a warning of another type and a repeat (updated)
        events.append(alarm("raised", dev, "bearing_warm", "warning", T0 + (h - 1) * H))
        events.append(alarm("updated", "pump-02", "bearing_overheat", "critical", T0 + 1000 * H))
    events.append(alarm("raised", dev, "bearing_overheat", "critical", T0 + h * H))
    if dev in last:
        failures.append(h - last[dev])
    else:
        order.append(dev)
    if due.get(dev):
        when.append(f"{dev} cleared at {h} h (it failed)")
        ops.append({"op": "clear", "device": dev, "type": "preventive_replacement_due"})
    due[dev] = False
    last[dev] = h
    state = update(h)
b, e, T = state
susp_end = [2400 - last[d] for d in order]
s, pm = summary(b, e, 1000, 1000, 5000)
write("demo-pump-alarms-defaults.json", {
    "description": (
        "The demo's pumps with the defaults: the alarm class alarm:bearing_overheat (the demo rule's critical bearing alarm) in hours, Bernard ranks, x on y, "
        "Cp 1000, Cf 5000. bearing_overheat raised on pump-01 at 0, 700, 1500, 2100 h, pump-02 at 100, 1000, 1650 h, pump-03 at 200, 950 h: a device's first "
        "alarm starts its life; times to failure 700, 750, 900, 800, 650, 600 h. A bearing_warm warning and an 'updated' repeat are ignored. After every alarm and "
        "at the hourly refresh (ticks 1200, 2000, 2400 h) the class is fitted with the ages since each device's last failure as suspensions, and a device older than "
        "the recommended interval gets preventive_replacement_due (minor), cleared when it fails. At 2400 h: suspensions "
        f"{', '.join(str(x) for x in susp_end)} h (pump-01, pump-02, pump-03); beta = {b:.4f}, eta = {e:.2f} h (wear-out), B10 = {s['b10']:.1f} h, "
        f"MTTF = {s['mttf']:.1f} h; interval T* = {pm['interval']:.1f} h (saving {pm['saving_pct']:.1f} % against running to failure). Alarms, worked out step by step "
        f"by the generator's plain arithmetic (tools/make_fixtures.py): {'; '.join(when)}."),
    "devices": {"pump-01": {"product": "demo-pump"}, "pump-02": {"product": "demo-pump"}, "pump-03": {"product": "demo-pump"}},
    "events": events + [http("analyze", {"class": "alarm:bearing_overheat", "t": 500})],
    "expect": {
        "results": [0] * (len(events) + 1),
        "alarms": ops,
        "replies": [{"status": 200, "body": {"result": {"failures": 6, "suspensions": 3, "beta": b, "eta": e,
                                                         "reliability_at": 500, "reliability": R(500, b, e),
                                                         "pm": {"interval": pm["interval"]}}}}],
        "kv": {"class:alarm:bearing_overheat": {
            "source": "alarms", "unit": "h", "failures": [700, 750, 900, 800, 650, 600],
            "result": {"status": "ok", "beta": b, "eta": e, "b10": s["b10"], "mttf": s["mttf"], "pm": {"interval": pm["interval"]}}}},
    },
    "rel": 1e-4,
})

# ---- 4. Bad and missing data -------------------------------------------------------------------
events = [
    http("data", "93, 34, 16"),                                                    # 400 not an object
    http("data", {"failures": [1, 2, 3]}),                                          # 400 no class
    http("data", {"class": "x", "failures": "many"}),                              # 400 not a list
    http("data", {"class": "gearboxes", "failures": [500, "n/a", -3, 0, None, 800], "suspensions": [900, "x"]}),
    http("data", {"class": "gearboxes", "failures": [1000, 1200], "append": True}),  # 4 failures now
    http("data", {"class": "fans", "failures": [300]}),                             # 422 too few
    http("data", {"class": "flat", "failures": [100, 100, 100]}),                   # 422 no spread
    http("data", {"class": "alarm:bearing_overheat", "failures": [1, 2, 3]}),       # 409
    http("data", {"class": "y", "failures": [1, 2, 3], "cost_failure": "lots"}),   # 400
    http("analyze", {"class": "nothing"}),                                          # 404
    http("analyze", {"class": "gearboxes", "t": "soon"}),                          # 400
    http("replaced", {"ts": T0}),                                                   # 400 no device
    http("replaced", {"device": "pump-01"}),                                        # 400 no ts, no clock
    {"kind": "schedule", "cron": "* * * * *"},                                      # no at
    {"kind": "alarm", "change": "raised", "alarm": {"type": "bearing_overheat", "start_ts": T0}},  # no device
    {"kind": "alarm", "change": "raised", "device": "pump-01", "product": "demo-pump",
     "alarm": {"type": "bearing_overheat", "severity": "critical", "start_ts": "yesterday"}},       # no start time
    alarm("raised", "pump-01", "bearing_overheat", "critical", T0 + 100 * H),
    alarm("raised", "pump-01", "bearing_overheat", "critical", T0 + 50 * H),       # out of order
    http("replaced", {"device": "pump-02", "ts": T0 + 120 * H}),                    # 404 no failure yet
    http("replaced", {"device": "pump-01", "ts": T0 + 90 * H}),                     # 422 before last
    http("replaced", {"device": "pump-01", "ts": T0 + 130 * H}),                    # 200: suspension 30 h
    http("delete", {"class": "nothing"}),                                           # 404
    http("delete", {"class": "fans"}),                                              # 200
    http("purge", {}),                                                              # 404
]
g_fail = [500, 800, 1200, 1000]
g_susp = [900]
pts = johnson_bernard(g_fail, g_susp)
gb, ge, _ = rrx(pts)
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data; nothing traps. 'data' with a body that is not an object, without a class, or with failures that are not a list: 400. "
        "gearboxes: failures [500, 'n/a', -3, 0, null, 800] and suspensions [900, 'x']: the text, negative, zero and null entries are skipped and "
        "reported (5 skipped), 2 failures and 1 suspension kept: 422 (too_few_failures, at least 3); appending 1000 and 1200 makes 4 failures: Bernard with Johnson's ranks (N = 5; 500 j=1, 800 j=2, "
        f"900 suspended, 1000 k=2 j=(2x2+6)/3=3.3333, 1200 k=1 j=(3.3333+6)/2=4.6667) gives beta = {gb:.4f}, eta = {ge:.2f}. fans with 1 failure: 422 "
        "(too_few_failures, at least 3); flat (three failures at 100): no spread, 422 (no_fit); a class named alarm:... is refused (409); a cost as text 400. "
        "analyze of an unknown class 404, with t as text 400. replaced without a device 400, without ts before any clock 400. A schedule event without 'at' "
        "and alarms without a device or a start time are warned and ignored; pump-01's first bearing_overheat at 100 h starts its life, one at 50 h (out of order) "
        "is ignored; replaced on pump-02 (no failure yet) 404, on pump-01 at 90 h (before its last failure) 422, at 130 h: a suspension of 30 h. delete of an "
        "unknown class 404, of fans 200; an unknown path 404."),
    "devices": {"pump-01": {"product": "demo-pump"}, "pump-02": {"product": "demo-pump"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "alarms": [],
        "replies": [
            {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 422, "body": {"class": "gearboxes", "result": {"status": "too_few_failures", "failures": 2, "suspensions": 1},
                                     "skipped": [{"list": "failures", "index": 1, "value": "n/a"}, {"list": "failures", "index": 2, "value": -3},
                                                 {"list": "failures", "index": 3, "value": 0}, {"list": "failures", "index": 4, "value": None},
                                                 {"list": "suspensions", "index": 1, "value": "x"}]}},
            {"status": 200, "body": {"result": {"status": "ok", "failures": 4, "suspensions": 1, "beta": gb, "eta": ge}}},
            {"status": 422, "body": {"result": {"status": "too_few_failures"}}},
            {"status": 422, "body": {"result": {"status": "no_fit"}}},
            {"status": 409},
            {"status": 400},
            {"status": 404},
            {"status": 400},
            {"status": 400},
            {"status": 400},
            {"status": 404},
            {"status": 422},
            {"status": 200, "body": {"device": "pump-01", "suspension_h": 30}},
            {"status": 404},
            {"status": 200, "body": {"deleted": "fans"}},
            {"status": 404},
        ],
        "kv": {"classes": ["gearboxes", "flat", "alarm:bearing_overheat"],
               "class:alarm:bearing_overheat": {"failures": [], "suspensions": [30]}},
        "logs": ["the body must be a JSON object", "\"class\" (the asset class) is required", "\"failures\" must be a list of times",
                 "5 entries are not positive times", "1 failures: at least 3 are needed", "no spread", "is derived from alarms",
                 "cost_failure must be a positive number", "no class nothing", "t must be a positive time", "\"device\" is required",
                 "no ts and no clock yet", "schedule event without a time", "alarm event without a device", "without a start time",
                 "is not after its last failure", "has no failure of alarm:bearing_overheat yet", "replaced at an age of 30.00 h", "unknown path purge"],
    },
    "rel": 1e-4,
})
print("written")
