#!/usr/bin/env python3
"""Writes the fixtures of apps/cnc-cycle-time; the statistics are computed here with
Python's statistics module (sample standard deviation) and a plain type-7 percentile,
independently of the app. Run from the app folder."""
import json
import os
import statistics

APP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(APP))
T0 = 1780000000000


def dump(name, fx):
    with open(os.path.join(APP, "fixtures", name), "w", encoding="utf-8") as f:
        f.write("{\n")
        keys = list(fx)
        for j, k in enumerate(keys):
            v = fx[k]
            if k == "events":
                f.write(' "events": [\n' + ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in v) + "\n ]")
            else:
                f.write(" " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False))
            f.write(",\n" if j < len(keys) - 1 else "\n")
        f.write("}\n")


def pct(xs, q):
    s = sorted(xs)
    h = (len(s) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def stats(xs):
    m = sum(xs) / len(xs)
    return {"n": len(xs), "mean": m, "std": statistics.stdev(xs), "min": min(xs), "max": max(xs),
            "p50": pct(xs, 0.5), "p90": pct(xs, 0.9), "p95": pct(xs, 0.95), "throughput_h": 3600 / m}


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def run(dev, product, cycles, start_count=100, program=None, t=T0, extra=None):
    """Events: a baseline count, one first part (no cycle), then one part per cycle."""
    ev = []
    first = dict(part_count=start_count)
    if program is not None:
        first["program"] = program
    if extra:
        first.update(extra)
    ev.append(tel(dev, product, t, **first))
    t += 70000
    c = start_count + 1
    ev.append(tel(dev, product, t, part_count=c))
    stamps = []
    for x in cycles:
        t += int(round(x * 1000))
        c += 1
        ev.append(tel(dev, product, t, part_count=c))
        stamps.append(t)
    return ev, stamps, t, c


# ---- 1. Rother & Shook's takt time (Acme Stamping) ----
cyc = [61, 62, 63, 62, 62, 55, 54]
ev, stamps, _, _ = run("assy-01", "assembly-cell", cyc, program="ASSY-1")
st = stats(cyc)
m5 = sum(cyc[:5]) / 5
m6 = sum(cyc[:6]) / 6
m7 = sum(cyc) / 7
assert m5 > 60 and m6 > 60 and m7 <= 60
dump("learning-to-see-takt.json", {
    "description": ("Takt time as Rother & Shook define it (Learning to See, Lean Enterprise Institute, 1999; the Acme Stamping example): "
                    "available working time per shift = 8 h × 3600 s − two 10-min breaks = 28,800 − 1,200 = 27,600 s; customer demand "
                    "18,400 pieces a month over 20 days on two shifts = 920 a day = 460 per shift; takt = 27,600 s ÷ 460 = 60 s. An assembly "
                    "cell reports part_count: a baseline, a first part (no cycle: its start is unknown), then cycles of 61, 62, 63, 62, 62 s: "
                    "after the fifth (min_cycles) the mean is 310/5 = 62 s > 60 s → cycle_over_takt; 55 s gives 365/6 = 60.83 s, still over; "
                    "54 s gives 419/7 = 59.857 s ≤ 60 → cleared. Each cycle is written as cycle_s. Statistics of the 7 cycles (sorted 54 55 61 "
                    "62 62 62 63): mean 59.857, s = 3.532 (Python statistics.stdev), P50 62, P90 = 62 + 0.4·(63 − 62) = 62.4, P95 62.7, "
                    "throughput 3600/59.857 = 60.14 parts/h. No standard configured: from the sixth cycle on the median of the earlier cycles "
                    "(62 s, limit 74.4 s) is the reference; no cycle is slow."),
    "config": {"available_time_s": 27600, "demand_per_shift": 460, "cycle_time_property": "cycle_s"},
    "devices": {"assy-01": {"product": "assembly-cell"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": "assy-01", "ts": ts, "values": {"cycle_s": x}} for ts, x in zip(stamps, cyc)],
        "alarms": [{"op": "raise", "device": "assy-01", "type": "cycle_over_takt", "severity": "warning",
                    "details": {"program": "ASSY-1", "mean_cycle_s": 62, "takt_s": 60, "cycles": 5}},
                   {"op": "clear", "device": "assy-01", "type": "cycle_over_takt"}],
        "kv": {"c:assy-01": {"takt": 60, "parts": 8, "count": 108, "active": [],
                             "programs": {"ASSY-1": dict(st, total=7, takt=60, mean_over_takt=m7 / 60, standard=None, cycles=cyc)}}},
        "logs": ["mean cycle of ASSY-1 62 s is over the takt time 60 s"],
    },
})

# ---- 2. Statistics, a slow cycle against the standard, a changeover ----
cyc = [48, 50, 52, 49, 51, 65, 50]
ev, stamps, t, c = run("lathe-01", "lathe", cyc, program="P100")
# The program changes with the next part (made by P100: the count is read first) ...
t += 50000
c += 1
ev.append(tel("lathe-01", "lathe", t, part_count=c, program="P200"))
cyc.append(50)
# ... so the part after it is a changeover (not a cycle), then P200 runs at 40 s.
t += 300000
c += 1
ev.append(tel("lathe-01", "lathe", t, part_count=c))
t += 40000
c += 1
ev.append(tel("lathe-01", "lathe", t, part_count=c))
s5 = stats(cyc[:5])
st = stats(cyc)
dump("standard-and-slow-cycle.json", {
    "description": ("Cycle statistics and the slow-cycle alarm, by hand. Standard time of P100 50 s, tolerance 20 % → limit 60 s. Cycles 48, 50, 52, "
                    "49, 51 s: mean 250/5 = 50, s = √((4 + 0 + 4 + 1 + 1)/4) = √2.5 = 1.5811, P50 50, P90 = 51 + 0.6·1 = 51.6. Then 65 s > 60 → "
                    "slow_cycle raised; 50 s → cleared; the next part (50 s) arrives with program P200 in the same message: counted for P100, "
                    "which made it. Final P100 window (48 50 52 49 51 65 50 50, sorted 48 49 50 50 50 51 52 65): mean 415/8 = 51.875, "
                    "P50 50, P90 = 52 + 0.3·13 = 55.9, P95 = 52 + 0.65·13 = 60.45, s by statistics.stdev. The part after the program change "
                    "(300 s later) is a changeover, kept out of the statistics; P200's next part after 40 s is its first cycle."),
    "config": {"standards": [{"program": "P100", "seconds": 50}], "slow_tolerance": 0.2},
    "devices": {"lathe-01": {"product": "lathe"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [{"op": "raise", "device": "lathe-01", "type": "slow_cycle", "severity": "warning",
                    "details": {"program": "P100", "cycle_s": 65, "reference_s": 50, "reference": "standard", "limit_s": 60}},
                   {"op": "clear", "device": "lathe-01", "type": "slow_cycle"}],
        "kv": {"c:lathe-01": {"program": "P200", "active": [], "takt": None,
                              "programs": {"P100": dict(st, total=8, standard=50, cycles=cyc),
                                           "P200": {"n": 1, "mean": 40, "std": None, "p50": 40, "total": 1}},
                              "recent": [[ts, "P100", x, "", 1] for ts, x in zip(stamps, cyc[:7])] + [
                                  [stamps[-1] + 50000, "P100", 50, "", 1],
                                  [stamps[-1] + 350000, "P200", 300, "changeover", 1],
                                  [stamps[-1] + 390000, "P200", 40, "", 1]]}},
        "logs": ["slow cycle of P100: 65 s > 60 s (standard 50 s + 20 %)", "not a cycle for the statistics (changeover)"],
    },
})
assert abs(s5["std"] - 2.5 ** 0.5) < 1e-12 and abs(s5["p90"] - 51.6) < 1e-12
assert abs(st["p90"] - 55.9) < 1e-12 and abs(st["p95"] - 60.45) < 1e-12

# ---- 3. The demo CNC with the default configuration ----
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
cnc = next(p for p in products if p["product_key"] == "demo-cnc")
cyc = [95, 97, 96, 98, 94, 96, 130, 95]
ev, stamps, _, _ = run("cnc-01", "demo-cnc", cyc, start_count=1200, program="O0100",
                       extra={"mode": 1, "spindle_speed": 8000, "spindle_load": 24.5, "tool": {"number": 4, "wear": 0.05}})
st = stats(cyc)
med5 = statistics.median(cyc[:5])
med6 = statistics.median(cyc[:6])
dump("demo-cnc.json", {
    "description": ("The demo's machining centre (demo-cnc thing model: part_count int, program text) with the default configuration: no standard "
                    f"time, so from the sixth cycle on the reference is the median of the program's earlier cycles (≥ min_cycles 5). Cycles of O0100: "
                    f"95, 97, 96, 98, 94 s; the sixth (96 s) is judged against the median of the first five, {med5:g} s (limit {med5*1.2:g} s): fine; "
                    f"the seventh, 130 s, against the median of six, {med6:g} s (limit {med6*1.2:g} s) → slow_cycle; the eighth, 95 s, clears it. "
                    "No takt configured, nothing written. Statistics of the 8 cycles by Python's statistics module and a type-7 percentile."),
    "thing_models": {"demo-cnc": {"properties": cnc["thing_model"]["properties"]}},
    "devices": {"cnc-01": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [{"op": "raise", "device": "cnc-01", "type": "slow_cycle", "details": {"program": "O0100", "cycle_s": 130, "reference_s": med6, "reference": "median"}},
                   {"op": "clear", "device": "cnc-01", "type": "slow_cycle"}],
        "kv": {"c:cnc-01": {"count": 1209, "parts": 9, "programs": {"O0100": dict(st, total=8, standard=None)}}},
        "logs": ["cnc-01: counter baseline 1200", "slow cycle of O0100: 130 s > 115.2 s (median 96 s + 20 %)"],
    },
    "rel": 1e-9,
})
