"""Writes the expected values of fixtures/piston-rings-*.json independently of the app.

Data: Montgomery, Introduction to Statistical Quality Control (6th ed., Example 6.1,
tables 6.3 and 6.4): inside diameters (mm) of forged automotive piston rings, 25
preliminary samples of 5 (phase I) and 15 further samples (phase II), as distributed in
R's qcc package (`pistonrings`). Published: X̿ = 74.00118, R̄ = 0.02276 (qcc), X̄ chart
73.98805 … 74.0143 (qcc; Montgomery prints 73.988 … 74.014 from the rounded table A2 = 0.577).

The control chart constants are integrated here with scipy (d2 = ∫ 1 − Φⁿ − (1−Φ)ⁿ dx,
E[R²] = 2∬_{x<y} 1 − Φ(y)ⁿ − (1−Φ(x))ⁿ + (Φ(y)−Φ(x))ⁿ), not taken from the platform.
Run: python3 apps/spc-xbar-r/tools/make_fixtures.py (numpy, scipy)
"""
import json
import math
from pathlib import Path

import numpy as np
from scipy import integrate
from scipy.stats import norm

HERE = Path(__file__).resolve().parent.parent / "fixtures"

PHASE1 = [
    (74.030, 74.002, 74.019, 73.992, 74.008), (73.995, 73.992, 74.001, 74.011, 74.004),
    (73.988, 74.024, 74.021, 74.005, 74.002), (74.002, 73.996, 73.993, 74.015, 74.009),
    (73.992, 74.007, 74.015, 73.989, 74.014), (74.009, 73.994, 73.997, 73.985, 73.993),
    (73.995, 74.006, 73.994, 74.000, 74.005), (73.985, 74.003, 73.993, 74.015, 73.988),
    (74.008, 73.995, 74.009, 74.005, 74.004), (73.998, 74.000, 73.990, 74.007, 73.995),
    (73.994, 73.998, 73.994, 73.995, 73.990), (74.004, 74.000, 74.007, 74.000, 73.996),
    (73.983, 74.002, 73.998, 73.997, 74.012), (74.006, 73.967, 73.994, 74.000, 73.984),
    (74.012, 74.014, 73.998, 73.999, 74.007), (74.000, 73.984, 74.005, 73.998, 73.996),
    (73.994, 74.012, 73.986, 74.005, 74.007), (74.006, 74.010, 74.018, 74.003, 74.000),
    (73.984, 74.002, 74.003, 74.005, 73.997), (74.000, 74.010, 74.013, 74.020, 74.003),
    (73.988, 74.001, 74.009, 74.005, 73.996), (74.004, 73.999, 73.990, 74.006, 74.009),
    (74.010, 73.989, 73.990, 74.009, 74.014), (74.015, 74.008, 73.993, 74.000, 74.010),
    (73.982, 73.984, 73.995, 74.017, 74.013),
]
PHASE2 = [
    (74.012, 74.015, 74.030, 73.986, 74.000), (73.995, 74.010, 73.990, 74.015, 74.001),
    (73.987, 73.999, 73.985, 74.000, 73.990), (74.008, 74.010, 74.003, 73.991, 74.006),
    (74.003, 74.000, 74.001, 73.986, 73.997), (73.994, 74.003, 74.015, 74.020, 74.004),
    (74.008, 74.002, 74.018, 73.995, 74.005), (74.001, 74.004, 73.990, 73.996, 73.998),
    (74.015, 74.000, 74.016, 74.025, 74.000), (74.030, 74.005, 74.000, 74.016, 74.012),
    (74.001, 73.990, 73.995, 74.010, 74.024), (74.015, 74.020, 74.024, 74.005, 74.019),
    (74.035, 74.010, 74.012, 74.015, 74.026), (74.017, 74.013, 74.036, 74.025, 74.026),
    (74.010, 74.005, 74.029, 74.000, 74.020),
]
T0 = 1700000000000
# The ring press's thing model: the measured diameter and the derived chart values.
THING_MODEL = {"properties": [
    {"identifier": "diameter", "name": "Inside diameter", "data_type": {"type": "double", "unit": "mm"}},
    {"identifier": "xbar", "name": "Subgroup mean", "data_type": {"type": "double", "unit": "mm"}},
    {"identifier": "range", "name": "Subgroup range", "data_type": {"type": "double", "unit": "mm", "min": 0}},
    {"identifier": "cpk", "name": "Cpk", "data_type": {"type": "double"}},
]}
DEVICE = "ring-01"


def factors(n):
    d2 = integrate.quad(lambda x: 1 - norm.cdf(x) ** n - norm.sf(x) ** n, -12, 12, epsabs=1e-13, epsrel=1e-13, limit=400)[0]
    f = lambda y, x: 1 - norm.cdf(y) ** n - norm.sf(x) ** n + (norm.cdf(y) - norm.cdf(x)) ** n
    er2 = 2 * integrate.dblquad(f, -10, 10, lambda x: x, lambda x: 10, epsabs=1e-12, epsrel=1e-12)[0]
    d3 = math.sqrt(er2 - d2 ** 2)
    return {"d2": d2, "A2": 3 / (d2 * math.sqrt(n)), "D3": max(0.0, 1 - 3 * d3 / d2), "D4": 1 + 3 * d3 / d2}


def events(groups, start):
    out = []
    for g, xs in enumerate(groups):
        pts = [{"property": "diameter", "ts": T0 + 60000 * (5 * (start + g) + j), "value": x} for j, x in enumerate(xs)]
        out.append({"kind": "telemetry", "device": DEVICE, "product": "ring-press", "points": pts})
    return out


def rules(means, ranges, lim, k):
    """The rules on subgroup k (0-based) with limits lim: beyond, run of 7, trend of 7."""
    x, r = means[k], ranges[k]
    beyond = x > lim["x_ucl"] or x < lim["x_lcl"] or r > lim["r_ucl"] or r < lim["r_lcl"]
    last = means[max(0, k - 6): k + 1]
    run = len(last) == 7 and (all(m > lim["x_cl"] for m in last) or all(m < lim["x_cl"] for m in last))
    d = np.diff(last)
    trend = len(last) == 7 and (all(d > 0) or all(d < 0))
    return {"beyond_limits": beyond, "run_of_seven": run, "trend_of_seven": trend}


def limits(centre, rbar, c):
    return {"x_cl": centre, "x_ucl": centre + c["A2"] * rbar, "x_lcl": centre - c["A2"] * rbar,
            "r_cl": rbar, "r_ucl": c["D4"] * rbar, "r_lcl": c["D3"] * rbar}


def alarms_for(means, ranges, lim, first):
    """Raises and clears on changes, in the order beyond, run, trend."""
    out, active = [], set()
    for k in range(first, len(means)):
        now = rules(means, ranges, lim, k)
        for name in ("beyond_limits", "run_of_seven", "trend_of_seven"):
            if now[name] and name not in active:
                out.append({"op": "raise", "device": DEVICE, "type": "spc_" + name})
                active.add(name)
            elif not now[name] and name in active:
                out.append({"op": "clear", "device": DEVICE, "type": "spc_" + name})
                active.discard(name)
    return out, sorted(active)


def main():
    c = factors(5)
    lsl, usl = 73.95, 74.05
    x1 = np.array(PHASE1)
    means = list(x1.mean(axis=1))
    ranges = list(x1.max(axis=1) - x1.min(axis=1))
    xbb, rbar = float(np.mean(means)), float(np.mean(ranges))
    lim = limits(xbb, rbar, c)
    writes = []
    cp = cpk = None
    for k in range(25):
        v = {"xbar": means[k], "range": ranges[k]}
        if k >= 1:
            mu, sigma = np.mean(means[: k + 1]), np.mean(ranges[: k + 1]) / c["d2"]
            cp = (usl - lsl) / (6 * sigma)
            cpk = min(usl - mu, mu - lsl) / (3 * sigma)
            v["cpk"] = cpk
        writes.append({"device": DEVICE, "ts": T0 + 60000 * (5 * k + 4), "values": v})
    al, active = alarms_for(means, ranges, lim, 24)
    fx = {
        "description": "Phase I of Montgomery's piston-ring example (Introduction to Statistical Quality Control, 6th ed., Example 6.1, table 6.3; R qcc `pistonrings`): 25 subgroups of 5 inside diameters. The limits are set from them: X̿ = 74.00118, R̄ = 0.02276 as qcc prints, X̄ chart 73.98805 … 74.0143 (Montgomery, with the rounded A2 = 0.577: 73.988 … 74.014), R chart 0 … 0.0481. Cp/Cpk with LSL 73.95 and USL 74.05 over the subgroups so far (qcc: Cp 1.70, Cpk 1.66). Expected values from apps/spc-xbar-r/tools/make_fixtures.py (numpy; constants integrated with scipy).",
        "config": {"property": "diameter", "n": 5, "baseline": 25, "lsl": lsl, "usl": usl},
        "thing_models": {"ring-press": THING_MODEL},
        "devices": {DEVICE: {"product": "ring-press"}},
        "events": events(PHASE1, 0),
        "expect": {
            "results": [0] * 25,
            "writes": writes,
            "alarms": al,
            "kv": {"chart:" + DEVICE: {"count": 25, "limits": lim, "cp": cp, "cpk": cpk, "violations": active}},
        },
        "rel": 1e-6,
    }
    dump("piston-rings-phase1.json", fx)

    # Phase II against the published phase I centre and mean range, fixed in the configuration.
    centre, rb = 74.00118, 0.02276
    lim2 = limits(centre, rb, c)
    x2 = np.array(PHASE2)
    m2 = list(x2.mean(axis=1))
    r2 = list(x2.max(axis=1) - x2.min(axis=1))
    al2, active2 = alarms_for(m2, r2, lim2, 0)
    writes2 = [{"device": DEVICE, "ts": T0 + 60000 * (5 * (25 + k) + 4), "values": {"xbar": m2[k], "range": r2[k]}} for k in range(15)]
    fx2 = {
        "description": "Phase II of Montgomery's piston-ring example (table 6.4, samples 26–40; R qcc `pistonrings`) against the phase I centre X̿ = 74.00118 and R̄ = 0.02276 fixed in the configuration: the process mean shifts upwards, samples 37–39 fall above the X̄ chart's UCL 74.0143 as the book shows, and the later means stay above the centre line for seven subgroups (rule of seven). Expected values from apps/spc-xbar-r/tools/make_fixtures.py.",
        "config": {"property": "diameter", "n": 5, "centre": centre, "rbar": rb},
        "thing_models": {"ring-press": THING_MODEL},
        "devices": {DEVICE: {"product": "ring-press"}},
        "events": events(PHASE2, 25),
        "expect": {
            "results": [0] * 15,
            "writes": writes2,
            "alarms": al2,
            "kv": {"chart:" + DEVICE: {"count": 15, "limits": lim2, "violations": active2}},
        },
        "rel": 1e-6,
    }
    dump("piston-rings-phase2.json", fx2)
    print("phase I", xbb, rbar, lim, "cp", cp, "cpk", cpk)
    print("phase II means", [round(m, 4) for m in m2], al2)


def compact(fx):
    """A fixture as JSON with one event, write or alarm a line."""
    one = lambda v: json.dumps(v, ensure_ascii=False)
    lines = ["{"]
    keys = list(fx)
    for i, k in enumerate(keys):
        end = "," if i < len(keys) - 1 else ""
        v = fx[k]
        if k == "events":
            lines.append(' "events": [\n  ' + ",\n  ".join(one(e) for e in v) + "\n ]" + end)
        elif k == "expect":
            parts = []
            for ek, ev in v.items():
                if isinstance(ev, list) and ev and isinstance(ev[0], dict):
                    parts.append('  "%s": [\n   ' % ek + ",\n   ".join(one(e) for e in ev) + "\n  ]")
                else:
                    parts.append('  "%s": %s' % (ek, one(ev)))
            lines.append(' "expect": {\n' + ",\n".join(parts) + "\n }" + end)
        else:
            lines.append(" %s: %s%s" % (one(k), one(v), end))
    lines.append("}")
    return "\n".join(lines) + "\n"


def dump(name, fx):
    (HERE / name).write_text(compact(fx))


if __name__ == "__main__":
    main()
