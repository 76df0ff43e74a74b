#!/usr/bin/env python3
"""Writes the fixtures of apps/cusum-ewma with expectations computed here, independently of
the app: a plain re-implementation of Montgomery's tabular CUSUM and EWMA (Introduction to
Statistical Quality Control, 6th ed., sections 9.1.2 and 9.2.1). Run from the app folder:
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


def reference(xs, mu0, sigma, k=0.5, h=5.0, lam=0.1, L=2.7):
    """Yields, per reading, the chart's statistics and the alarm changes (raise/clear)."""
    K, H = k * sigma, h * sigma
    cp = cm = 0.0
    np_ = nm = 0
    z = mu0
    active = []
    since_c = since_e = 0
    rows, alarms, signals = [], [], []
    for i, x in enumerate(xs, 1):
        cp = max(0.0, x - (mu0 + K) + cp)
        cm = max(0.0, mu0 - K - x + cm)
        np_ = np_ + 1 if cp > 0 else 0
        nm = nm + 1 if cm > 0 else 0
        z = lam * x + (1 - lam) * z
        w = L * sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))
        ucl, lcl = mu0 + w, mu0 - w
        since_c += 1
        since_e += 1
        was = list(active)
        now = []
        for typ, on, rl, n, est, stat, lim in (
            ("cusum_upper", cp > H, since_c, np_, mu0 + K + (cp / np_ if np_ else 0), cp, H),
            ("cusum_lower", cm > H, since_c, nm, mu0 - K - (cm / nm if nm else 0), cm, H),
            ("ewma_limits", z > ucl or z < lcl, since_e, None, None, z, ucl if z > ucl else lcl),
        ):
            if on:
                now.append(typ)
                if typ not in was:
                    d = {"reading": i, "value": x, "statistic": stat, "limit": lim, "run_length": rl}
                    rec = {"type": typ, "reading": i, "run_length": rl, "statistic": stat}
                    if n is not None:
                        d["periods_since_zero"] = n
                        d["mean_estimate"] = est
                        rec["n"] = n
                        rec["mean_estimate"] = est
                    alarms.append({"op": "raise", "type": typ, "details": d})
                    signals.append(rec)
            elif typ in was:
                alarms.append({"op": "clear", "type": typ})
        if any(t in was for t in ("cusum_upper", "cusum_lower")) and not any(t in now for t in ("cusum_upper", "cusum_lower")):
            since_c = 0
        if "ewma_limits" in was and "ewma_limits" not in now:
            since_e = 0
        active = now
        rows.append({"i": i, "x": x, "cp": cp, "cm": cm, "np": np_, "nm": nm, "z": z, "ucl": ucl, "lcl": lcl})
    return rows, alarms, signals, active


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


def r(x, d=10):
    return round(x, d)


# ---- 1. Montgomery, Examples 9.1 (tabular CUSUM) and 9.2 (EWMA) ----
MONT = [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34, 9.03, 11.47, 10.51, 9.40, 10.08,
        9.37, 10.62, 10.31, 8.52, 10.84, 10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52]
rows, alarms, signals, active = reference(MONT, 10.0, 1.0)
events = [{"kind": "telemetry", "device": "proc-01", "product": "process",
           "points": [{"property": "x", "ts": T0 + i * 60000, "value": x}]} for i, x in enumerate(MONT)]
for a in alarms:
    a["device"] = "proc-01"
writes = [{"device": "proc-01", "ts": T0 + i * 60000,
           "values": {"c_plus": r(w["cp"]), "c_minus": r(w["cm"]), "ewma": r(w["z"])}} for i, w in enumerate(rows)]
last = rows[-1]
dump("montgomery-examples.json", {
    "description": "Montgomery, Introduction to Statistical Quality Control, 6th ed.: Example 9.1 (tabular CUSUM, Tables 9.1 and 9.2) and Example 9.2 (EWMA) on the same 30 observations (first 20 from N(10, 1), last 10 from N(11, 1); the data are also IMSL's EWMA example citing Montgomery). μ₀ = 10, σ = 1, k = 1/2 (K = 0.5), h = 5 (H = 5), λ = 0.10, L = 2.7. Published values reproduced: C⁺₁…₃ = 0, C⁺₄ = 1.16, C⁺₅ = 2.82, C⁻₁ = 0.05, C⁻₂ = 1.56, C⁻₃ = 1.77; the CUSUM signals at period 29 with C⁺₂₉ = 5.28 and N⁺ = 7, so the shift began after period 22 and μ̂ = 10 + 0.5 + 5.28/7 = 11.25; EWMA z₁ = 0.1·9.45 + 0.9·10 = 9.945, z₂ = 9.7495, limits 10 ± 0.27 at period 1 (10.27/9.73), 10.36/9.64 at period 2, steady state 10 ± 2.7·√(0.1/1.9) = 10.62/9.38; z₂₉ = 10.6468 > UCL₂₉ = 10.6187, so the EWMA signals at 29 as well. Run length 29 for both. Every C⁺, C⁻ and z is written as derived telemetry; the 30 rows are computed by tools/make_fixtures.py (plain Python, the book's formulas).",
    "config": {"property": "x", "target": 10, "sigma": 1, "k": 0.5, "h": 5, "lambda": 0.1, "L": 2.7, "gate_property": "",
               "cusum_upper_property": "c_plus", "cusum_lower_property": "c_minus", "ewma_property": "ewma"},
    "devices": {"proc-01": {"product": "process"}},
    "events": events,
    "expect": {
        "results": [0] * len(MONT),
        "writes": writes,
        "alarms": alarms,
        "kv": {"chart:proc-01": {
            "phase": "monitor", "source": "configuration", "mu0": 10, "sigma": 1, "K": 0.5, "H": 5, "i": 30,
            "cp": r(last["cp"]), "cm": r(last["cm"]), "np": last["np"], "nm": last["nm"], "z": r(last["z"]),
            "ucl": r(last["ucl"]), "lcl": r(last["lcl"]),
            "ewma_ucl_ss": r(10 + 2.7 * math.sqrt(0.1 / 1.9)), "ewma_lcl_ss": r(10 - 2.7 * math.sqrt(0.1 / 1.9)),
            "active": active, "signals": [{k: (r(v) if isinstance(v, float) else v) for k, v in s.items()} for s in signals],
            "points": [[T0 + i * 60000, w["x"], r(w["cp"]), r(w["cm"]), r(w["z"]), r(w["ucl"]), r(w["lcl"])] for i, w in enumerate(rows)],
        }},
        "logs": ["cusum_upper signal at reading 29 (run length 29)", "C = 5.28 > H = 5, N = 7, estimated mean 11.2543",
                 "ewma_limits signal at reading 29 (run length 29)"],
    },
    "rel": 1e-8,
})
# sanity: the book's printed numbers
assert [round(w["cp"], 2) for w in rows[:5]] == [0, 0, 0, 1.16, 2.82]
assert [round(w["cm"], 2) for w in rows[:3]] == [0.05, 1.56, 1.77]
assert round(rows[28]["cp"], 2) == 5.28 and rows[28]["np"] == 7
assert round(rows[0]["ucl"], 2) == 10.27 and round(rows[1]["ucl"], 2) == 10.36
assert abs(rows[1]["z"] - 9.7495) < 1e-9

# ---- 2. The demo pump, default configuration ----
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
pump = next(p for p in products if p["product_key"] == "demo-pump")
rng = random.Random(7)
# The simulator's outlet pressure at the nominal speed: 0.32 MPa with noise.
base = [round(0.32 + rng.gauss(0, 0.002), 4) for _ in range(30)]
n = len(base)
mean = sum(base) / n
mrbar = sum(abs(base[i] - base[i - 1]) for i in range(1, n)) / (n - 1)
sigma = mrbar / 1.128
inctl = [round(0.32 + rng.gauss(0, 0.002), 4) for _ in range(10)]
# A worn impeller: the pressure falls by about 1.5 σ.
shift = [round(0.32 - 0.003 + rng.gauss(0, 0.002), 4) for _ in range(5)]
after = [round(0.3215 + rng.gauss(0, 0.0005), 4) for _ in range(4)] + [round(0.3201 + rng.gauss(0, 0.0005), 4) for _ in range(6)]
charted = inctl + shift + after
rows, alarms, signals, active = reference(charted, mean, sigma)
for a in alarms:
    a["device"] = "pump-01"
ev = []
t = T0


def msg(points):
    global t
    t += 1000
    return {"kind": "telemetry", "device": "pump-01", "product": "demo-pump",
            "points": [{"property": p, "ts": t, "value": v} for p, v in points]}


ev.append(msg([("run_state", 1), ("flow", 42.1), ("outlet_pressure", base[0]), ("head", 32.6), ("power", 5.2)]))
for x in base[1:] + inctl + shift[:3]:
    ev.append(msg([("outlet_pressure", x), ("flow", round(42 + rng.gauss(0, 0.3), 2))]))
# The pump stops: zero pressure while stopped is not a process shift.
ev.append(msg([("run_state", 0), ("outlet_pressure", 0.0), ("flow", 0.0)]))
ev.append(msg([("outlet_pressure", 0.0), ("flow", 0.0)]))
ev.append(msg([("run_state", 2), ("outlet_pressure", 0.0)]))
ev.append(msg([("run_state", 1), ("outlet_pressure", shift[3])]))
for x in shift[4:] + after:
    ev.append(msg([("outlet_pressure", x)]))
last = rows[-1]
assert any(a["op"] == "raise" for a in alarms) and any(a["op"] == "clear" for a in alarms), alarms
dump("demo-pump.json", {
    "description": ("The demo's pump (demo-pump thing model from crates/ironloom/demo/products.json) with the default configuration: "
                    "outlet_pressure charted while run_state = 1, μ₀ and σ from a baseline of 30 readings, k = 0.5, h = 5, λ = 0.1, L = 2.7, no derived telemetry. "
                    f"Baseline (30 readings around the simulator's 0.32 MPa): x̄ = {mean:.6f} MPa, MR̄ = {mrbar:.6f}, σ̂ = MR̄/1.128 = {sigma:.6f}, so K = {0.5*sigma:.6f} and H = {5*sigma:.6f}. "
                    "Then 10 readings in control, 5 about 0.003 MPa (≈2σ) low with a stop in between (run_state 0, then 2 = fault, with zero pressure: "
                    "not charted), then 4 readings about 0.0015 MPa (≈1σ) high and 6 on target. The lower CUSUM signals during the low stretch and clears when C⁻ falls back to H or below; "
                    "expected alarms, run lengths and the final C⁺/C⁻/z by tools/make_fixtures.py (plain Python, Montgomery's formulas)."),
    "thing_models": {"demo-pump": {"properties": pump["thing_model"]["properties"]}},
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": alarms,
        "kv": {"chart:pump-01": {
            "phase": "monitor", "source": "baseline", "baseline_n": 30, "baseline_mean": r(mean), "baseline_mrbar": r(mrbar),
            "mu0": r(mean), "sigma": r(sigma), "i": len(charted), "gate": 1,
            "cp": r(last["cp"]), "cm": r(last["cm"]), "np": last["np"], "nm": last["nm"], "z": r(last["z"]),
            "active": active, "signals": [{k: (r(v) if isinstance(v, float) else v) for k, v in s.items()} for s in signals],
        }},
        "logs": ["pump-01: baseline of 30 readings", "cusum_lower signal at reading"],
    },
    "rel": 1e-7,
})
for w in rows: print(w["i"], w["x"], round(w["cp"],5), round(w["cm"],5), round(w["z"],5))
print("demo-pump alarms:", [(a["op"], a["type"], a.get("details", {}).get("reading")) for a in alarms])
