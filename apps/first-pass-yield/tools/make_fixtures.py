#!/usr/bin/env python3
"""Writes the fixtures whose expected numbers follow from published data by the textbook
formulas (computed here in plain Python, not by the app). Run from the app folder."""
import json, math

T0 = 1780000000000  # 2026-05-28 20:26:40 UTC

def sigma(p, n):
    return math.sqrt(p * (1 - p) / n)

# Montgomery, Introduction to Statistical Quality Control, 6th ed., section 7.2.1,
# Example 7.1, Table 7.1: 30 samples of n = 50 orange-juice cans, D nonconforming.
D = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]
n = 50
assert sum(D) == 347
p0 = sum(D) / (n * len(D))
ucl0, lcl0 = p0 + 3 * sigma(p0, n), p0 - 3 * sigma(p0, n)
out = [i + 1 for i, d in enumerate(D) if d / n > ucl0 or d / n < lcl0]
assert out == [15, 23], out
keep = [d for i, d in enumerate(D) if i + 1 not in out]
p1 = sum(keep) / (n * len(keep))
ucl1, lcl1 = p1 + 3 * sigma(p1, n), p1 - 3 * sigma(p1, n)
still = [i + 1 for i, d in enumerate(D) if i + 1 not in out and (d / n > ucl1 or d / n < lcl1)]
assert still == [21], still
print("trial", p0, ucl0, lcl0, "revised", p1, ucl1, lcl1)

# Phase II: made-up samples 31-44 (n = 50) chosen to trip each run rule once.
P2 = [10, 17, 12, 18, 11, 21, 5, 7, 6, 9, 7, 9, 10, 10]
s1 = sigma(p1, n)
zs = []
rules_at = []
for d in P2:
    z = (d / n - p1) / s1
    zs.append(z)
    r = []
    if abs(z) > 3: r.append("beyond_3_sigma")
    sg = 1 if z > 0 else -1 if z < 0 else 0
    if sg and sg * z > 2 and sum(1 for x in zs[-3:] if sg * x > 2) >= 2: r.append("2_of_3_beyond_2_sigma")
    if sg and sg * z > 1 and len(zs) >= 4 and sum(1 for x in zs[-5:] if sg * x > 1) >= 4: r.append("4_of_5_beyond_1_sigma")
    if sg and len(zs) >= 8 and all(sg * x > 0 for x in zs[-8:]): r.append("8_on_one_side")
    rules_at.append(r)
for i, (d, z, r) in enumerate(zip(P2, zs, rules_at)):
    print(31 + i, d, round(d / n, 2), round(z, 4), r)

events = [{"kind": "http", "path": "counts", "body": {"records": [
    {"station": "filler-01", "inspected": n, "failed": d, "sample": True, "ts": T0 + i * 1800000} for i, d in enumerate(D)]}}]
for i, d in enumerate(P2):
    events.append({"kind": "http", "path": "counts", "body": {"station": "filler-01", "inspected": n, "failed": d, "sample": True, "ts": T0 + (30 + i) * 1800000}})
replies = [{"status": 200, "body": {"accepted": 30, "refused": []}}]
alarms = []
active = False
for i, (d, r) in enumerate(zip(P2, rules_at)):
    body = {"accepted": 1, "charted": [{"station": "filler-01", "sample": 31 + i, "p": d / n, "rules": r}]}
    replies.append({"status": 200, "body": body})
    if r:
        alarms.append({"op": "raise", "device": "filler-01", "type": "p_chart_out_of_control",
                       "severity": "major" if zs[i] > 0 else "warning",
                       "details": {"sample": 31 + i, "p": d / n, "rules": r, "direction": "up" if zs[i] > 0 else "down"}})
        active = True
    elif active:
        alarms.append({"op": "clear", "device": "filler-01", "type": "p_chart_out_of_control"})
        active = False

desc = (
    "Montgomery, Introduction to Statistical Quality Control, 6th ed. (Wiley 2009), section 7.2.1, Example 7.1, Table 7.1: "
    "30 samples of n = 50 frozen-orange-juice cans, 347 nonconforming in all, posted as inspection samples (baseline_samples = 30). "
    "Published: p̄ = 347/1500 = 0.2313, UCL = 0.2313 + 3√(0.2313·0.7687/50) = 0.2313 + 3(0.0596) = 0.4102, LCL = 0.0524; samples 15 (22/50 = 0.44) "
    "and 23 (24/50 = 0.48) are above the UCL and are dropped (assignable causes in the book); revised p̄ = 301/1400 = 0.2150, "
    "UCL = 0.2150 + 3√(0.215·0.785/50) = 0.2150 + 3(0.0581) = 0.3893, LCL = 0.0407; sample 21 (20/50 = 0.40) is beyond the revised UCL "
    "and is kept (no assignable cause found). Phase II (samples 31–44, n = 50, made up for the run rules; by hand with σ = √(0.215·0.785/50) = 0.058099, "
    "z = (p − 0.215)/0.058099): 31 D=10 z=−0.258; 32 D=17 z=2.152; 33 D=12 z=0.430; 34 D=18 z=2.496 → two of three beyond 2σ, alarm (major, up); "
    "35 D=11 z=0.086 → clear; 36 D=21 p=0.42 > UCL 0.3893, z=3.528 → beyond 3σ and, with 34, two of three beyond 2σ: alarm; 37 D=5 z=−1.979 → clear; "
    "38 D=7 z=−1.291; 39 D=6 z=−1.635; 40 D=9 z=−0.602; 41 D=7 z=−1.291 → four of 37–41 below −1σ: alarm (warning, down); 42 D=9 → clear; 43 D=10; "
    "44 D=10 z=−0.258 → samples 37–44 all below the centre line: eight on one side, alarm (warning)."
)
fx = {
    "description": desc,
    "config": {"baseline_samples": 30, "sample_minutes": 0},
    "devices": {"filler-01": {"product": "can-line"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": alarms,
        "replies": replies,
        "kv": {"c:filler-01": {"phase": "monitor", "source": "baseline", "p_bar": 0.2150, "n": 50, "ucl": ucl1, "lcl": lcl1, "i": 44,
                               "trial": {"p_bar": 0.2313, "ucl": 0.4102, "lcl": 0.0524, "beyond": [15, 23]},
                               "dropped": [15, 23], "retained_beyond": [21], "active": True}},
        "logs": ["p̄ = 347/1500 = 0.2313", "samples beyond the trial limits: [15,23]", "revised p̄ = 301/1400 = 0.215, UCL = 0.3893, LCL = 0.0407",
                 "baseline samples [21] are beyond the revised limits"],
    },
    "rel": 1e-3,
}
json.dump(fx, open("fixtures/montgomery-example-7-1.json", "w"), ensure_ascii=False, indent=1)

# ---- the demo CNCs (demo-cnc thing model, default configuration) ----
import datetime
def local(h, m, s=0, day=7):
    """ms of 2026-12-<day> h:m:s at UTC+8 (the default utc_offset_h)."""
    t = datetime.datetime(2026, 12, day, h, m, s, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(t.timestamp() * 1000)

products = json.load(open("../../crates/ironloom/demo/products.json"))
cnc_model = next(p for p in products if p["product_key"] == "demo-cnc")["thing_model"]

def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": "demo-cnc", "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}

events = [
    tel("cnc-01", local(15, 10), part_count=500, spindle_speed=8000),
    tel("cnc-02", local(15, 10), part_count=80),
    tel("cnc-01", local(15, 40), part_count=530),
    tel("cnc-02", local(15, 40), part_count=110),
    {"kind": "http", "path": "counts", "body": {"records": [{"station": "cnc-01", "failed": 3, "ts": local(15, 45)}, {"station": "cnc-02", "failed": 1, "ts": local(15, 45)}]}},
    tel("cnc-01", local(16, 5), part_count=545),
    tel("cnc-02", local(16, 6), part_count=125),
    tel("cnc-01", local(16, 7), spindle_speed=7900),
    {"kind": "http", "path": "report", "body": {}},
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(17, 0)},
]
fx = {
    "description": (
        "The demo's two CNC machining centres (demo-cnc thing model) as stations op10 (cnc-01) and op20 (cnc-02) of one line, with the default "
        "configuration: part_count is the cumulative inspected counter, rejects are posted to the HTTP trigger `counts`, hourly samples, shifts "
        "08:00/16:00/00:00 at UTC+8 (numbered by start time within the day: 00:00 #1, 08:00 #2, 16:00 #3). By hand: the first part_count of each machine only sets the counter (cnc-01 500, cnc-02 80); at 15:40 each "
        "made 30 parts; rejects posted: cnc-01 3, cnc-02 1 (at 15:45). At 16:05 cnc-01 reports 545: the 15:00–16:00 sample closes (n = 30, D = 3, "
        "p = 0.1, baseline sample 1 of 20) and shift 2026-12-07 #2 closes with FPY = (30 − 3)/30 = 0.9; the line's RTY for it is 0.9 so far; the 15 "
        "new parts count in shift #3. At 16:06 cnc-02 (125) closes its shift: FPY = 29/30 = 0.966667, line RTY = 0.9 × 0.966667 = 0.87. A message "
        "without part_count changes nothing. The report at 16:30: shift #3 so far 15/0 on each (FPY 1, RTY 1), day 2026-12-07: cnc-01 45 inspected, "
        "3 nonconforming, FPY 42/45 = 0.933333; cnc-02 44/45 = 0.977778; RTY = 0.933333 × 0.977778 = 0.912593. The 17:00 schedule closes "
        "the 16:00–17:00 samples (15 parts, none rejected: baseline sample 2, p = 0). No alarm: the chart is still collecting its baseline."),
    "thing_models": {"demo-cnc": cnc_model},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "cnc-02": {"product": "demo-cnc"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [],
        "replies": [
            {"status": 200, "body": {"accepted": 2, "refused": [], "charted": []}},
            {"status": 200, "body": {"stations": {
                "cnc-01": {"shift": {"date": "2026-12-07", "no": 3, "n": 15, "d": 0, "fpy": 1}, "day": {"date": "2026-12-07", "n": 45, "d": 3, "fpy": 0.9333333333},
                           "chart": {"phase": "baseline", "samples": 1}},
                "cnc-02": {"shift": {"date": "2026-12-07", "no": 3, "n": 15, "d": 0, "fpy": 1}, "day": {"date": "2026-12-07", "n": 45, "d": 1, "fpy": 0.9777777778},
                           "chart": {"phase": "baseline", "samples": 1}}},
                "rty": {"shift": 1, "day": 0.9125925926}}},
        ],
        "kv": {
            "stations": ["cnc-01", "cnc-02"],
            "line": {"shifts": [{"key": "2026-12-07#2", "rty": 0.87, "stations": 2, "st": {"cnc-01": [30, 3], "cnc-02": [30, 1]}}], "days": []},
            "s:cnc-01": {"shifts": [{"date": "2026-12-07", "no": 2, "n": 30, "d": 3, "fpy": 0.9}], "days": [], "period": None, "cum": {"part_count": [local(16, 5), 545]}},
            "s:cnc-02": {"shifts": [{"date": "2026-12-07", "no": 2, "n": 30, "d": 1, "fpy": 0.9666666667}], "period": None},
            "c:cnc-01": {"phase": "baseline", "i": 2, "base": [[local(16, 0), 30, 3], [local(17, 0), 15, 0]]},
            "c:cnc-02": {"phase": "baseline", "i": 2, "base": [[local(16, 0), 30, 1], [local(17, 0), 15, 0]]},
        },
        "logs": ["cnc-01: first part_count reading 500, counting from here", "cnc-01: shift 2026-12-07 #2: 30 inspected, 3 nonconforming, FPY 90 %",
                 "line shift 2026-12-07#2: RTY 87 % over 2 station(s)", "cnc-01: baseline sample 2: 0/15 = 0"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/demo-cnc.json", "w"), ensure_ascii=False, indent=1)

# ---- rolled throughput yield: Minitab's label example ----
def tel2(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": "label-line", "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}
events = [
    tel2("print", local(9, 0), inspected=1000, passed=950),
    tel2("laminate", local(10, 0), inspected=950, passed=800),
    tel2("cut", local(11, 0), inspected=800, passed=700),
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(16, 0)},
    {"kind": "http", "path": "report", "body": {}},
]
fx = {
    "description": (
        "Rolled throughput yield, the worked example of Minitab Support, 'What are throughput yield (YTP) and rolled throughput yield (YRT)?' "
        "(support.minitab.com, Minitab help, Six Sigma supporting concepts): 1000 labels printed, 950 acceptable (YTP 95 %); 950 laminated, 800 acceptable (84 %); "
        "800 cut, 700 acceptable (88 %); YRT = 0.95 × 0.84 × 0.88 = 0.70, i.e. 700 of 1000. Exactly: 950/1000 × 800/950 × 700/800 = 0.7; "
        "FPY(laminate) = 800/950 = 0.842105, FPY(cut) = 700/800 = 0.875. Counters as increments per message with inspected and passed "
        "(no failed counter: D = inspected − passed), line_stations print → laminate → cut, sampling off. The 16:00 schedule closes shift "
        "2026-12-07 #2 (08:00–16:00, UTC+8) of every station; the line record holds RTY 0.7 over 3 stations. The report afterwards: the "
        "day so far gives the same RTY 0.7, the new shift has nothing yet (no RTY: null)."),
    "config": {"inspected_property": "inspected", "passed_property": "passed", "failed_property": "", "counter_mode": "increment",
               "sample_minutes": 0, "line_stations": ["print", "laminate", "cut"]},
    "devices": {"print": {"product": "label-line"}, "laminate": {"product": "label-line"}, "cut": {"product": "label-line"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "alarms": [],
        "replies": [{"status": 200, "body": {"rty": {"day": 0.7},
                     "stations": {"laminate": {"day": {"n": 950, "d": 150, "fpy": 0.8421052632}}, "cut": {"day": {"n": 800, "d": 100, "fpy": 0.875}}}}}],
        "kv": {"line": {"shifts": [{"key": "2026-12-07#2", "rty": 0.7, "stations": 3}]},
               "s:print": {"shifts": [{"no": 2, "n": 1000, "d": 50, "fpy": 0.95}]},
               "s:laminate": {"shifts": [{"no": 2, "n": 950, "d": 150, "fpy": 0.8421052632}]}},
        "logs": ["line shift 2026-12-07#2: RTY 70 % over 3 station(s)"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/minitab-rolled-throughput-yield.json", "w"), ensure_ascii=False, indent=1)

# ---- bad and missing data ----
def tel3(dev, *pts):
    return {"kind": "telemetry", "device": dev, "product": "line", "points": [{"property": p, "ts": t, "value": v} for p, t, v in pts]}
events = [
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(9, 0)},
    tel3("st-a", ("temperature", local(9, 1), 21.5)),
    tel3("st-b", ("part_count", local(9, 2), "n/a"), ("reject_count", local(9, 2), "")),
    tel3("st-a", ("part_count", local(9, 3), 100)),
    tel3("st-a", ("part_count", local(9, 10), 110), ("part_count", local(9, 5), 104), ("part_count", local(9, 10), 111)),
    tel3("st-a", ("part_count", local(9, 20), 5)),
    tel3("st-a", ("part_count", local(9, 30), -4)),
    {"kind": "http", "path": "counts", "body": {"records": [
        {"station": "st-a", "failed": 20, "ts": local(9, 40)},
        {"inspected": 5, "failed": 1},
        {"station": "st-a", "inspected": "ten", "failed": 1},
        {"station": "st-a", "inspected": 5, "failed": 6},
        {"station": "st-a", "failed": 1, "sample": True},
        {"station": "st-a", "inspected": 0, "failed": 0, "sample": True},
        {"station": "st-a"},
        "text"]}},
    {"kind": "http", "path": "counts", "body": "not an object"},
    {"kind": "http", "path": "nowhere", "body": {}},
    tel3("st-a", ("part_count", local(10, 5), 12)),
    tel3("st-a", ("part_count", local(10, 6), 12)),
    {"kind": "manual"},
    {"kind": "manual", "reset": "st-a"},
]
fx = {
    "description": (
        "Bad and missing data on a product without a thing model (text reaches the app; text only on st-b, whose series would otherwise be "
        "typed by its first value). A schedule before any station exists and a message without counters do nothing; st-b's \"n/a\" and \"\" "
        "are ignored with a warning (its state counts 2 skipped). st-a: 100 at 09:03 sets the counter; in the next message 110 at 09:10 adds 10, "
        "104 at 09:05 and 111 at 09:10 (not newer) are skipped; 5 at 09:20 is a counter reset: 5 parts counted; −4 is ignored (3 skipped readings in all). Posted records: "
        "20 rejects at 09:40 are taken (more than the 15 inspected in the 09:00–10:00 sample); refused: no station, text inspected, failed 6 > "
        "inspected 5, a sample without inspected, a sample of 0, a record without counts, a string (6 refused, 1 accepted, status 200). A body "
        "that is no object: 400; an unknown path: 404. At 10:05 12 adds 7 and closes the 09:00–10:00 sample: D = 20 > n = 15 is clipped to 15 "
        "with a warning, p = 1 is baseline sample 1; the same counter at 10:06 adds nothing. The manual run without a station closes nothing "
        "(the shift ends at 16:00); the reset removes st-a's chart."),
    "devices": {"st-a": {"product": "line"}, "st-b": {"product": "line"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [],
        "replies": [
            {"status": 200, "body": {"accepted": 1, "refused": [
                {"index": 1, "reason": "station is required"},
                {"index": 2, "reason": "inspected must be a number ≥ 0"},
                {"index": 3, "reason": "failed exceeds inspected"},
                {"index": 4, "reason": "a sample needs inspected (or both passed and failed)"},
                {"index": 5, "reason": "a sample needs inspected > 0"},
                {"index": 6, "reason": "inspected, passed or failed is required"},
                {"index": 7, "reason": "not an object"}]}},
            {"status": 400},
            {"status": 404},
        ],
        "kv": {"stations": ["st-b", "st-a"],
               "s:st-a": {"skipped": 3, "cum": {"part_count": [local(10, 6), 12]}, "period": {"start": local(10, 0), "end": local(11, 0), "c": [7, 0, 0, 1]},
                          "shift": {"no": 2, "c": [22, 0, 20, 5]}, "shifts": []},
               "s:st-b": {"skipped": 2, "cum": {}},
               "c:st-a": None},
        "logs": ["st-b: ignored 2 counter reading(s)", "st-a: skipped 2 counter reading(s) not newer", "counter reset, counting 5 since the reset",
                 "st-a: ignored 1 counter reading(s)", "counts: refused 7 record(s)", "more nonconforming than inspected", "st-a: baseline sample 1: 15/15 = 1",
                 "st-a: p-chart reset"],
    },
}
json.dump(fx, open("fixtures/bad-data.json", "w"), ensure_ascii=False, indent=1)
