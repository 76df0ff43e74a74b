#!/usr/bin/env python3
"""Writes the fixtures of apps/spc-imr whose expectations need more than a few lines of
hand arithmetic, with a plain re-implementation of the textbook formulas (Montgomery,
Introduction to Statistical Quality Control, 6th ed., section 6.4; Western Electric rules,
section 5.3.6; Nelson 1984), independent of the app. Run from the app folder:
    python3 tools/make_fixtures.py
"""
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(APP))
T0 = 1780000000000
D2, D4 = 1.128, 3.267

WE = ["beyond_3_sigma", "2_of_3_beyond_2_sigma", "4_of_5_beyond_1_sigma", "8_on_one_side"]
NELSON = ["beyond_3_sigma", "9_on_one_side", "6_trending", "14_alternating", "2_of_3_beyond_2_sigma",
          "4_of_5_beyond_1_sigma", "15_within_1_sigma", "8_beyond_1_sigma"]
ORDER = ["beyond_3_sigma", "9_on_one_side", "6_trending", "14_alternating", "2_of_3_beyond_2_sigma",
         "4_of_5_beyond_1_sigma", "15_within_1_sigma", "8_beyond_1_sigma", "8_on_one_side"]
NELSON_NO = {"beyond_3_sigma": 1, "9_on_one_side": 2, "6_trending": 3, "14_alternating": 4,
             "2_of_3_beyond_2_sigma": 5, "4_of_5_beyond_1_sigma": 6, "15_within_1_sigma": 7, "8_beyond_1_sigma": 8}


def rules_at(zs, xs, enabled):
    """Rules broken at the last point (the point that completes each pattern)."""
    z = zs[-1]
    out = set()
    if abs(z) > 3:
        out.add("beyond_3_sigma")
    s = 1 if z > 0 else -1 if z < 0 else 0
    if s:
        if s * z > 2 and sum(1 for v in zs[-3:] if s * v > 2) >= 2:
            out.add("2_of_3_beyond_2_sigma")
        if s * z > 1 and sum(1 for v in zs[-5:] if s * v > 1) >= 4:
            out.add("4_of_5_beyond_1_sigma")
        if len(zs) >= 8 and all(s * v > 0 for v in zs[-8:]):
            out.add("8_on_one_side")
        if len(zs) >= 9 and all(s * v > 0 for v in zs[-9:]):
            out.add("9_on_one_side")
    if len(xs) >= 6:
        d = [xs[k] - xs[k - 1] for k in range(len(xs) - 5, len(xs))]
        if all(v > 0 for v in d) or all(v < 0 for v in d):
            out.add("6_trending")
    if len(xs) >= 14:
        d = [xs[k] - xs[k - 1] for k in range(len(xs) - 13, len(xs))]
        if all(d[k] * d[k + 1] < 0 for k in range(12)):
            out.add("14_alternating")
    if len(zs) >= 15 and all(abs(v) < 1 for v in zs[-15:]):
        out.add("15_within_1_sigma")
    if len(zs) >= 8 and all(abs(v) > 1 for v in zs[-8:]):
        out.add("8_beyond_1_sigma")
    return [r for r in ORDER if r in out and r in enabled]


class Chart:
    """One device's I-MR chart as the book describes it."""

    def __init__(self, baseline, revise=True, centre=None, mr_bar=None, rules=WE, mr_chart=True, device="d"):
        self.baseline, self.revise, self.rules, self.mr_chart = baseline, revise, rules, mr_chart
        self.cfg_centre, self.cfg_mr = centre, mr_bar
        self.device = device
        self.base, self.prev, self.i, self.zs, self.xs = [], None, 0, [], []
        self.active_i, self.active_bits, self.active_mr = False, set(), False
        self.alarms, self.records, self.mrs = [], [], []
        self.phase = "baseline"
        self.trial = None
        if centre is not None and mr_bar is not None:
            self.start(centre, mr_bar)

    def start(self, centre, mrb):
        self.phase = "monitor"
        self.centre, self.mr_bar, self.sigma = centre, mrb, mrb / D2
        self.ucl, self.lcl, self.ucl_mr = centre + 3 * self.sigma, centre - 3 * self.sigma, D4 * mrb

    def add(self, x):
        mr = None if self.prev is None else abs(x - self.prev)
        self.prev = x
        if mr is not None:
            self.mrs.append(mr)
        if self.phase == "baseline":
            self.base.append(x)
            if len(self.base) >= self.baseline:
                self.finish()
            return None
        self.i += 1
        z = (x - self.centre) / self.sigma
        self.zs = (self.zs + [z])[-15:]
        self.xs = (self.xs + [x])[-15:]
        broken = rules_at(self.zs, self.xs, self.rules)
        mr_out = self.mr_chart and mr is not None and mr > self.ucl_mr
        if broken:
            if not self.active_i or set(broken) - self.active_bits:
                self.alarms.append({"op": "raise", "device": self.device, "type": "imr_out_of_control",
                                    "details": {"point": self.i, "value": x, "z": z, "rules": broken,
                                                "nelson_tests": [NELSON_NO[r] for r in broken if r in NELSON_NO],
                                                "direction": "up" if z > 0 else "down" if z < 0 else "none"}})
            self.active_i = True
            self.active_bits |= set(broken)
        elif self.active_i:
            self.alarms.append({"op": "clear", "device": self.device, "type": "imr_out_of_control"})
            self.active_i, self.active_bits = False, set()
        if mr_out:
            if not self.active_mr:
                self.alarms.append({"op": "raise", "device": self.device, "type": "imr_moving_range",
                                    "details": {"point": self.i, "mr": mr, "ucl_mr": self.ucl_mr}})
            self.active_mr = True
        elif self.active_mr and mr is not None:
            self.alarms.append({"op": "clear", "device": self.device, "type": "imr_moving_range"})
            self.active_mr = False
        rec = {"point": self.i, "x": x, "mr": mr, "z": z, "rules": broken, "mr_out": mr_out}
        self.records.append(rec)
        return rec

    def finish(self):
        xs = self.base
        n = len(xs)
        mean = sum(xs) / n
        mrs = [abs(xs[k] - xs[k - 1]) for k in range(1, n)]
        mrb = sum(mrs) / (n - 1)
        c0 = mean if self.cfg_centre is None else self.cfg_centre
        m0 = mrb if self.cfg_mr is None else self.cfg_mr
        s0 = m0 / D2
        out_x = [x > c0 + 3 * s0 or x < c0 - 3 * s0 for x in xs]
        out_mr = [False] + [mrs[k - 1] > D4 * m0 for k in range(1, n)]
        self.trial = {"n": n, "mean": mean, "mr_bar": mrb, "ucl": c0 + 3 * s0, "lcl": c0 - 3 * s0, "ucl_mr": D4 * m0,
                      "beyond": [k + 1 for k in range(n) if out_x[k]], "beyond_mr": [k + 1 for k in range(n) if out_mr[k]]}
        c, m = c0, m0
        self.excluded = []
        if self.revise and (any(out_x) or any(out_mr)):
            kept = [xs[k] for k in range(n) if not out_x[k]]
            self.excluded = [k + 1 for k in range(n) if out_x[k]]
            kmr = [mrs[k - 1] for k in range(1, n) if not (out_x[k] or out_x[k - 1] or out_mr[k])]
            if self.cfg_centre is None and kept:
                c = sum(kept) / len(kept)
            if self.cfg_mr is None and kmr and sum(kmr) > 0:
                m = sum(kmr) / len(kmr)
        self.start(c, m)


def dump(name, fx):
    with open(os.path.join(APP, "fixtures", name), "w", encoding="utf-8") as f:
        f.write("{\n")
        keys = list(fx)
        for j, k in enumerate(keys):
            v = fx[k]
            if k == "events":
                f.write(' "events": [\n')
                f.write(",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in v))
                f.write("\n ]")
            else:
                f.write(" " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False))
            f.write(",\n" if j < len(keys) - 1 else "\n")
        f.write("}\n")


def strip(rec):
    return {k: v for k, v in rec.items() if v is not None}


# ---- 1. Montgomery's loan-processing costs (section 6.4) ----------------------------------
LOAN = [310, 288, 297, 298, 307, 303, 294, 297, 308, 306, 294, 299, 297, 299, 314, 295, 293, 306, 301, 304]
assert sum(LOAN) == 6010
mrs = [abs(LOAN[k] - LOAN[k - 1]) for k in range(1, 20)]
assert sum(mrs) == 148
xbar, mrbar = 300.5, 148 / 19
ucl, lcl, ucl_mr = xbar + 3 * mrbar / D2, xbar - 3 * mrbar / D2, D4 * mrbar
assert round(ucl, 2) == 321.22 and round(lcl, 2) == 279.78 and round(ucl_mr, 2) == 25.45, (ucl, lcl, ucl_mr)
sig = mrbar / D2
# Phase II, weeks 21-35: made up to break each Western Electric rule once (z = (x − 300.5)/6.905562).
P2 = [305, 316, 309, 317, 300, 322, 290, 292, 293, 292, 296, 297, 298, 299, 305]
ch = Chart(20, device="loan-office")
replies = []
events = [{"kind": "http", "path": "measurements", "body": {"records": [
    {"device": "loan-office", "value": x, "ts": T0 + k * 7 * 86400000} for k, x in enumerate(LOAN)]}}]
for x in LOAN:
    ch.add(x)
replies.append({"status": 200, "body": {"accepted": 20, "refused": [], "charted": []}})
lines = []
for k, x in enumerate(P2):
    rec = ch.add(x)
    events.append({"kind": "http", "path": "measurements", "body": {"device": "loan-office", "value": x, "ts": T0 + (20 + k) * 7 * 86400000}})
    replies.append({"status": 200, "body": {"accepted": 1, "refused": [], "charted": [
        {"device": "loan-office", "point": rec["point"], "x": x, "z": rec["z"], "rules": rec["rules"], "mr_out": rec["mr_out"]}]}})
    lines.append("week %d x=%d z=%.3f MR=%d%s%s" % (21 + k, x, rec["z"], rec["mr"], (" → " + ", ".join(rec["rules"])) if rec["rules"] else "",
                                                    " → MR > UCL_MR" if rec["mr_out"] else ""))
print("\n".join(lines))
desc = (
    "Montgomery, Introduction to Statistical Quality Control, 6th ed. (Wiley 2009), section 6.4, the individuals and moving-range chart "
    "of the mortgage loan processing costs (20 weekly values, the section's example and table): 310, 288, 297, 298, 307, 303, 294, 297, 308, 306, "
    "294, 299, 297, 299, 314, 295, 293, 306, 301, 304, posted to `measurements` with weekly times (baseline = 20). By hand: Σx = 6010, x̄ = 300.5; "
    "the 19 moving ranges 22, 9, 1, 9, 4, 9, 3, 11, 2, 12, 5, 2, 2, 15, 19, 2, 13, 5, 3 sum to 148, MR̄ = 148/19 = 7.789; the book's limits "
    "UCL = 300.5 + 3(7.79/1.128) = 321.22, LCL = 279.78, UCL_MR = 3.267 × 7.79 = 25.45; all 20 points and moving ranges inside, nothing "
    "left out. Phase II, weeks 21–35, made up to break each Western Electric rule once, σ̂ = 7.789/1.128 = 6.9056, "
    "z = (x − 300.5)/6.9056, 1σ/2σ/3σ lines 307.41/314.31/321.22: " + "; ".join(lines) +
    ". Alarms: " + "; ".join(
        ("week %d raise %s (%s)" % (20 + a["details"]["point"], a["type"], ", ".join(a["details"].get("rules", ["MR %.0f > %.2f" % (a["details"].get("mr", 0), ucl_mr)])))
         if a["op"] == "raise" else "clear %s" % a["type"]) for a in ch.alarms) +
    ". Each clear is the next point that breaks no rule (weeks 25, 27, 31, 35; the MR alarm at week 28, MR = 2)."
)
fx = {
    "description": desc,
    "config": {"property": "cost", "gate_property": "", "baseline": 20},
    "devices": {"loan-office": {"product": "back-office"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": ch.alarms,
        "replies": replies,
        "kv": {"chart:loan-office": {"phase": "monitor", "source": "baseline", "baseline_n": 20, "centre": 300.5, "mr_bar": mrbar,
                                     "ucl": ucl, "lcl": lcl, "ucl_mr": ucl_mr, "excluded": [], "i": len(P2),
                                     "trial": {"mean": 300.5, "mr_bar": mrbar, "beyond": [], "beyond_mr": []}}},
        "logs": ["x̄ = 300.5, MR̄ = 7.789474", "all within the trial limits", "I chart CL = 300.5, UCL = 321.216685, LCL = 279.783315", "MR chart CL = 7.789474, UCL = 25.448211"],
    },
    "rel": 1e-6,
}
dump("montgomery-loan-costs.json", fx)


# ---- 2. Nelson's eight tests, by hand (σ̂ = 1, so z = x) -----------------------------------
NX = [0.2, 0.4, -0.3, -0.1, 0.5, 0.6, -0.2, 0.1, 0.3, -0.4, -0.5, 0.2, 0.4, -0.1, 0.3,   # 1-15: test 7 at 15
      -0.2,                                                                                 # 16: test 7 again
      1.2,                                                                                  # 17: clear
      -0.5, -0.2, 0.1, 0.4, 0.8, 1.1,                                                       # 18-23: test 3 at 23
      0.6, 0.3, 0.7, 0.2, 0.5, 0.4,                                                         # 24 clear; 28: test 2 (20-28)
      -1.5, -1.2, 1.3, 1.6, -1.1, -1.4, 1.2, 1.5,                                           # 30 clear; 37: test 8 (30-37)
      0.3, 0.2, 0.5, -0.2, 0.4, -0.3, 0.2, -0.5, 0.1, -0.4, 0.6, -0.1, 0.3, -0.6,           # 38 clear; 51: test 4 (38-51)
      -4.5, -1.0]                                                                           # 52: test 1 and MR; 53 clears both
ch = Chart(25, centre=0.0, mr_bar=1.128, rules=NELSON, device="mixer-01")
events, fired = [], []
for k, x in enumerate(NX):
    events.append({"kind": "telemetry", "device": "mixer-01", "product": "mixer", "points": [{"property": "x", "ts": T0 + k * 60000, "value": x}]})
    rec = ch.add(x)
    if rec["rules"] or rec["mr_out"]:
        fired.append("%d: %s%s" % (k + 1, ", ".join("test %d" % NELSON_NO[r] for r in rec["rules"]), " and MR %.1f > 3.685" % rec["mr"] if rec["mr_out"] else ""))
print("nelson:", fired)
assert ch.alarms[-1]["op"] == "clear" and ch.alarms[-2]["op"] == "clear"
desc = (
    "Nelson's eight tests (L. S. Nelson, The Shewhart control chart — tests for special causes, Journal of Quality Technology 16(4), 1984, "
    "237–239) worked by hand with standards given: centre 0 and MR̄ = 1.128, so σ̂ = MR̄/d₂ = 1 and z = x; limits ±3, UCL_MR = 3.267 × 1.128 = "
    "3.685; no baseline is collected. 53 values, one a minute: " + ", ".join(str(x) for x in NX) + ". Tests at: " + "; ".join(fired) +
    ". Test 7 (15 in a row within ±1) at 15 and 16 (one alarm: the second point adds no rule, so no new raise); 17 (1.2) clears; 18–23 rise "
    "five times in a row: test 3 at 23; 24 clears; 20–28 are nine positive values: test 2 at 28 and 29; 30 clears; 30–37 are eight values "
    "beyond ±1 with none inside: test 8 at 37; 38 clears; 38–51 alternate down and up (13 alternating differences from 38 → 39 on): test 4 "
    "at 51; 52 = −4.5 is beyond −3 (test 1; it falls again, so the alternation ends) and its moving range |−4.5 − (−0.6)| = 3.9 > 3.685 raises "
    "imr_moving_range; 53 = −1.0 (not beyond −1) clears both (MR 3.5). "
    "Tests 5 and 6 are exercised in montgomery-loan-costs.json."
)
fx = {
    "description": desc,
    "config": {"property": "x", "gate_property": "", "centre": 0, "mr_bar": 1.128, "rules": "nelson"},
    "devices": {"mixer-01": {"product": "mixer"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": ch.alarms,
        "kv": {"chart:mixer-01": {"phase": "monitor", "source": "configuration", "centre": 0, "mr_bar": 1.128, "sigma": 1, "ucl": 3, "lcl": -3,
                                  "ucl_mr": 3.685176, "i": len(NX), "active_i": False, "active_mr": False}},
    },
    "rel": 1e-6,
}
dump("nelson-tests.json", fx)


# ---- 3. The demo pump, default configuration --------------------------------------------------
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
pump = next(p for p in products if p["product_key"] == "demo-pump")
rng = random.Random(11)
base = [round(0.32 + rng.gauss(0, 0.0015), 4) for _ in range(25)]
inctl = [round(0.32 + rng.gauss(0, 0.0015), 4) for _ in range(8)]
# A partly blocked suction strainer: the pressure drops by about 2.5 σ for a while.
low = [0.3178, 0.3170, 0.3175, 0.3168]
after = [round(0.32 + rng.gauss(0, 0.001), 4) for _ in range(5)]
ch = Chart(25, device="pump-01")
for x in base + inctl + low + after:
    ch.add(x)
t = T0
ev = []


def msg(points):
    global t
    t += 2000
    return {"kind": "telemetry", "device": "pump-01", "product": "demo-pump",
            "points": [{"property": p, "ts": t, "value": v} for p, v in points]}


ev.append(msg([("run_state", 1), ("flow", 42.1), ("outlet_pressure", base[0]), ("power", 5.2)]))
for x in base[1:] + inctl + low[:2]:
    ev.append(msg([("outlet_pressure", x), ("flow", round(42 + rng.gauss(0, 0.3), 2))]))
# The pump stops: zero pressure while stopped is no point of the chart.
ev.append(msg([("run_state", 0), ("outlet_pressure", 0.0), ("flow", 0.0)]))
ev.append(msg([("outlet_pressure", 0.0)]))
ev.append(msg([("run_state", 1), ("outlet_pressure", low[2])]))
for x in low[3:] + after:
    ev.append(msg([("outlet_pressure", x), ("flow", round(42 + rng.gauss(0, 0.3), 2))]))
ev.append(msg([("flow", 42.0), ("power", 5.1)]))
mean = sum(base) / 25
mrb = sum(abs(base[k] - base[k - 1]) for k in range(1, 25)) / 24
assert ch.trial["beyond"] == [] and ch.trial["beyond_mr"] == [], ch.trial
zs = ["%.2f" % r["z"] for r in ch.records]
rr = ["%d: %s" % (r["point"], ", ".join(r["rules"])) for r in ch.records if r["rules"]]
print("demo:", zs, rr, ch.alarms)
assert any(a["op"] == "raise" for a in ch.alarms) and ch.alarms[-1]["op"] == "clear"
desc = (
    "The demo's pump (demo-pump thing model from crates/ironloom/demo/products.json) with the default configuration: outlet_pressure "
    "charted while run_state = 1, every reading, a baseline of 25, the Western Electric rules. Baseline: 25 readings around the simulator's "
    "0.32 MPa: x̄ = %.6f MPa, MR̄ = %.6f, σ̂ = MR̄/1.128 = %.6f; limits %.6f … %.6f, UCL_MR = %.6f; no baseline point beyond. Then 8 readings "
    "in control and four low ones (0.3178, 0.3170, 0.3175, 0.3168 MPa, z = %s) with a stop between the second and third (run_state 0 and "
    "zero pressure: not charted; the zero is no moving range either), then 5 on target. Rules broken: %s; the alarm is cleared at the "
    "first point that breaks none. A message without outlet_pressure does nothing. Expected values by tools/make_fixtures.py (plain "
    "Python, the book's formulas)."
) % (mean, mrb, mrb / D2, mean - 3 * mrb / D2, mean + 3 * mrb / D2, D4 * mrb, ", ".join(zs[8:12]), "; ".join(rr))
dump("demo-pump.json", {
    "description": desc,
    "thing_models": {"demo-pump": pump["thing_model"]},
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": ch.alarms,
        "kv": {"chart:pump-01": {"phase": "monitor", "source": "baseline", "baseline_n": 25, "centre": mean, "mr_bar": mrb,
                                 "ucl": mean + 3 * mrb / D2, "lcl": mean - 3 * mrb / D2, "ucl_mr": D4 * mrb, "i": 17, "gate": 1}},
        "logs": ["pump-01: baseline of 25 readings", "monitoring with western_electric rules"],
    },
    "rel": 1e-6,
})


# ---- 4. Phase I revision, capability, spot samples and the MR as derived telemetry (by hand) ----
H0 = 1779998400000  # 2026-05-28 20:00:00 UTC, on the hour
BASE = [12.0, 12.4, 11.8, 12.2, 19.5, 12.1, 11.9, 12.3]
PH2 = [12.5, 13.3, 11.6, 12.0]
ev = []
for k, x in enumerate(BASE + PH2):
    ev.append({"kind": "telemetry", "device": "reactor-01", "product": "reactor",
               "points": [{"property": "viscosity", "ts": H0 + k * 3600000 + 30000, "value": x}]})
    if k == 2:
        # A second reading in the same hour: only the first of each hour is charted.
        ev.append({"kind": "telemetry", "device": "reactor-01", "product": "reactor",
                   "points": [{"property": "viscosity", "ts": H0 + k * 3600000 + 1200000, "value": 30.0}]})
mrs = [abs(b - a) for a, b in zip(BASE + PH2, (BASE + PH2)[1:])]
writes = [{"device": "reactor-01", "values": {"mr": m}} for m in mrs]
sig = 0.4 / D2
desc = (
    "Phase I with an outlier, worked by hand (viscosity of a reactor's product, one laboratory-style spot sample an hour: sample_minutes = 60, "
    "baseline = 8, lsl 11, usl 13.5, MR written as derived telemetry `mr`). Baseline 12.0, 12.4, 11.8, 12.2, 19.5, 12.1, 11.9, 12.3 (a second "
    "reading 30.0 in the third hour is not charted). Trial: Σx = 104.2, x̄ = 13.025; moving ranges 0.4, 0.6, 0.4, 7.3, 7.4, 0.2, 0.4 (Σ 16.7), "
    "MR̄ = 2.385714, σ̂ = 2.115, limits 13.025 ± 6.344985 = 6.680015 … 19.369985, UCL_MR = 3.267 × 2.385714 = 7.794129: point 5 (19.5) is beyond, "
    "no moving range is. Revised without point 5 and the two moving ranges that touch it: x̄ = 84.7/7 = 12.1, MR̄ = (0.4 + 0.6 + 0.4 + 0.2 + 0.4)/5 "
    "= 0.4, σ̂ = 0.4/1.128 = 0.354610, limits 12.1 ± 1.063830 = 11.036170 … 13.163830, UCL_MR = 1.3068; Cp = (13.5 − 11)/(6 × 0.354610) = 1.175, "
    "Cpk = min(13.5 − 12.1, 12.1 − 11)/(3 × 0.354610) = 1.1/1.063830 = 1.034. Phase II: 12.5 (z = 1.128, MR 0.2); 13.3 (z = 3.384 > 3: "
    "imr_out_of_control, MR 0.8); 11.6 (z = −1.410, clears it; MR 1.7 > 1.3068: imr_moving_range); 12.0 (MR 0.4: cleared). Eleven MRs written "
    "as floats: 0.4, 0.6, 0.4, 7.3, 7.4, 0.2, 0.4, 0.2, 0.8, 1.7, 0.4."
)
dump("phase-one-revision.json", {
    "description": desc,
    "config": {"property": "viscosity", "gate_property": "", "sample_minutes": 60, "baseline": 8, "lsl": 11, "usl": 13.5, "mr_property": "mr"},
    "devices": {"reactor-01": {"product": "reactor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": writes,
        "alarms": [
            {"op": "raise", "device": "reactor-01", "type": "imr_out_of_control", "details": {"point": 2, "value": 13.3, "z": 1.2 / sig, "rules": ["beyond_3_sigma"], "direction": "up"}},
            {"op": "clear", "device": "reactor-01", "type": "imr_out_of_control"},
            {"op": "raise", "device": "reactor-01", "type": "imr_moving_range", "details": {"point": 3, "mr": 1.7, "ucl_mr": 1.3068}},
            {"op": "clear", "device": "reactor-01", "type": "imr_moving_range"},
        ],
        "kv": {"chart:reactor-01": {"phase": "monitor", "source": "baseline", "centre": 12.1, "mr_bar": 0.4, "sigma": sig, "ucl": 12.1 + 3 * sig,
                                    "lcl": 12.1 - 3 * sig, "ucl_mr": 1.3068, "excluded": [5], "i": 4,
                                    "trial": {"mean": 13.025, "mr_bar": 2.385714, "ucl": 19.369985, "lcl": 6.680015, "ucl_mr": 7.794129, "beyond": [5], "beyond_mr": []},
                                    "capability": {"cp": 1.175, "cpk": 1.034}}},
        "logs": ["revised limits without points [5]", "Cp = 1.175, Cpk = 1.034"],
    },
    "rel": 1e-3,
})


# ---- 5. Bad and missing data (by hand) --------------------------------------------------------
ev = [
    {"kind": "telemetry", "device": "st-1", "product": "line", "points": [{"property": "temperature", "ts": T0, "value": 41.5}]},
    {"kind": "telemetry", "device": "st-2", "product": "line", "points": [{"property": "density", "ts": T0 + 10000, "value": "n/a"}, {"property": "density", "ts": T0 + 20000, "value": ""}]},
    {"kind": "telemetry", "device": "st-1", "product": "line", "points": [{"property": "density", "ts": T0 + 60000, "value": 51}]},
    {"kind": "telemetry", "device": "st-1", "product": "line", "points": [{"property": "density", "ts": T0, "value": 99}, {"property": "density", "ts": T0 + 60000, "value": 99}]},
    {"kind": "telemetry", "device": "st-1", "product": "line", "points": [{"property": "run_state", "ts": T0 + 3660000, "value": "running"}, {"property": "density", "ts": T0 + 3660000, "value": 49}]},
    {"kind": "telemetry", "device": "st-1", "product": "line", "points": []},
    {"kind": "http", "path": "measurements", "body": {"records": [
        {"device": "st-1", "value": 50, "ts": T0 + 3600000},
        {"value": 50},
        {"device": "st-1", "value": "fifty"},
        {"device": "st-1", "value": 50, "ts": "yesterday"},
        "text",
        {"device": "st-1", "value": 53, "ts": T0 + 3720000}]}},
    {"kind": "http", "path": "measurements", "body": [1, 2]},
    {"kind": "http", "path": "elsewhere", "body": {}},
    {"kind": "schedule", "cron": "0 * * * *", "at": T0 + 3600000},
    {"kind": "manual"},
]
desc = (
    "Bad and missing data on a product without a thing model (text reaches the app; text readings only on st-2, whose series would "
    "otherwise be typed by its first value). Standards given: centre 50, MR̄ = 2.256 (σ̂ = 2, limits 44 … 56, UCL_MR = 7.370352); the default "
    "gate run_state is never reported as a number, so the one lookup finds nothing and every reading is charted. A message without density "
    "does nothing; st-2's \"n/a\" and \"\" are ignored with a warning (its chart has no point, 2 skipped). st-1: 51 at 00:01 is point 1 (z = 0.5); "
    "99 at 00:00 and 99 at 00:01 are not newer: skipped; after an hour's gap 49 is point 2 (z = −0.5, MR 2); a text run_state is ignored with "
    "a warning (the gate stays open). Posted: 50 at 01:00 (older than point 2): refused; no device; text value; text ts; a string; 53 at "
    "01:02 is taken: point 3 (z = 1.5, MR 4): 5 refused, 1 accepted, status 200. A body that is no object: 400; an unknown path: 404. A "
    "schedule event and a manual run without a device change nothing. No alarm."
)
dump("bad-data.json", {
    "description": desc,
    "config": {"property": "density", "centre": 50, "mr_bar": 2.256},
    "devices": {"st-1": {"product": "line"}, "st-2": {"product": "line"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "replies": [
            {"status": 200, "body": {"accepted": 1, "refused": [
                {"index": 0, "reason": "not newer than the last charted value"}, {"index": 1, "reason": "device is required"},
                {"index": 2, "reason": "value must be a number"}, {"index": 3, "reason": "ts must be a time in ms"},
                {"index": 4, "reason": "not an object"}],
                "charted": [{"device": "st-1", "point": 3, "x": 53, "mr": 4, "z": 1.5, "rules": [], "mr_out": False}]}},
            {"status": 400},
            {"status": 404},
        ],
        "kv": {"chart:st-1": {"i": 3, "prev": 53, "skipped": 2, "ucl_mr": 7.370352, "active_i": False},
               "chart:st-2": {"i": 0, "skipped": 2, "points": []}},
        "logs": ["st-2: ignored 2 density reading(s) that are not numbers", "st-1: skipped 2 density reading(s) not newer",
                 "run_state is not a number", "refused 5 record(s)", "ignored a schedule event", "manual run"],
    },
    "rel": 1e-6,
})
