#!/usr/bin/env python3
"""Writes the fixtures of apps/water-night-flow. The expected values are computed here from the
method's formulas (not taken from the app), and the descriptions carry the hand arithmetic."""
import json, math, os

H = 3600000
D = 24 * H
DAY1 = 1777564800000  # 2026-05-01 00:00 local (UTC+8)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")


def series(day0, days, fn, step_min=15):
    """Samples at the start of every step (ms, value) for `days` days from day0."""
    pts = []
    n = days * 24 * 60 // step_min
    for i in range(n):
        t = day0 + i * step_min * 60000
        v = fn(t)
        if v is not None:
            pts.append([t, v])
    return pts


def hour_of(t):
    return ((t - DAY1) % D) / H


def percentile(v, p):
    s = sorted(v)
    r = p / 100 * (len(s) - 1)
    i = int(math.floor(r))
    if i >= len(s) - 1:
        return s[-1]
    return s[i] + (r - i) * (s[i + 1] - s[i])


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


PUMP_MODEL = {"properties": [
    {"identifier": "flow", "name": "流量 Flow", "access": "r", "data_type": {"type": "float", "min": 0, "max": 500, "unit": "m³/h"}},
    {"identifier": "outlet_pressure", "name": "出口压力 Outlet pressure", "access": "r", "data_type": {"type": "float", "min": 0, "max": 2.5, "unit": "MPa"}},
    {"identifier": "run_state", "name": "运行状态 Run state", "access": "r", "data_type": {"type": "enum", "values": {"0": "Stopped", "1": "Running", "2": "Fault"}}},
]}

# ---------------------------------------------------------------- 1. published FAVAD ratio

def flow1(t):
    h = hour_of(t)
    night = {0: 30.0, 1: 26.0, 2: 23.0, 3: 20.0, 4: 24.0, 5: 32.0}
    if h < 6:
        hh = int(h)
        q = (h - hh) * 4  # quarter within the hour
        if hh == 3:
            return [19.5, 20.5, 20.0, 20.0][int(q)]
        return night[hh]
    if h < 22:
        return 60.0
    return 40.0


def press1(t):
    return 0.5 if hour_of(t) < 12 else 0.4


flow_pts = series(DAY1, 1, flow1)
press_pts = series(DAY1, 1, press1)
lnu = (5000 * 0.06 * 10 + 20 * 50) / 1000  # 3.0 + 1.0
mnf = 20.0
nnf = mnf - lnu
hdf = 12 * 1.0 + 12 * 0.8 ** 1.0
leak = nnf * hdf
inflow = sum(v for _, v in flow_pts) / len(flow_pts) * 24
write("thornton-favad-hour-day-factor.json", {
    "description": (
        "Published pressure:leakage ratio and a night by hand. Thornton, Sturm & Kunkel, Water Loss Control, 2nd ed. (McGraw-Hill 2008), "
        "p. 142, eq. 10.4 L1/L0 = (P1/P0)^N1: a 20 % pressure reduction (P1/P0 = 0.8) with N1 = 1.0 gives L1/L0 = 0.80 (0.89 for N1 0.5, 0.72 for 1.5). "
        "Zone dma-1, N1 = 1.0, zone pressure 0.50 MPa 00:00-12:00 and 0.40 MPa (20 % lower) 12:00-24:00 on 2026-05-01: hour-day factor "
        "HDF = 12 h x 1 + 12 h x 0.80 = 21.6 h. Inflow in 15-min samples: night 30/26/23/20/24/32 m3/h per hour 00-05, the hour 03:00-04:00 as "
        "19.5, 20.5, 20.0, 20.0 (mean 20.0, the minimum rolling hour; 02:45-03:45 is (23 + 19.5 + 20.5 + 20)/4 = 20.75); 60 m3/h 06-22, 40 m3/h 22-24. "
        "Legitimate night use: 5000 residents x 6 % active x 10 L (Water Loss Control 5.2; SANFLOW default flush) = 3.0 m3/h + 20 non-households x 50 L/h "
        "(SANFLOW default) = 1.0 m3/h -> 4.0 m3/h. Net night flow 20.0 - 4.0 = 16.0 m3/h; daily leakage 16.0 x 21.6 = 345.6 m3/d; 1500 connections: "
        "345.6 x 1000 / 1500 = 230.4 L/conn/d; inflow (4 x (30+26+23+24+32) + 19.5+20.5+20+20 + 16 x 4 x 60 + 2 x 4 x 40)/96 x 24 = "
        f"{inflow:.4f} m3/d, leakage {100 * leak / inflow:.4f} %. The run at 00:10 on 2026-05-02 evaluates the complete day 2026-05-01 (backfill 1 day); "
        "the later run the same day before 06:00 has nothing new. write_telemetry on: night_flow_min 20.0, net_night_flow 16.0, daily_leakage 345.6 at 23:59:59. Hand calculation."),
    "config": {"devices": ["dma-1"], "pressure_property": "pressure", "n1": 1.0, "population": 5000, "non_households": 20,
               "connections": 1500, "cost_per_m3": 2.5, "write_telemetry": True},
    "devices": {"dma-1": {"product": "dma-meter", "history": {"flow": flow_pts, "pressure": press_pts}}},
    "events": [
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + D + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + D + H + 10 * 60000},
    ],
    "expect": {
        "results": [0, 0],
        "alarms": [],
        "writes": [{"device": "dma-1", "ts": DAY1 + D - 1000,
                    "values": {"night_flow_min": mnf, "net_night_flow": nnf, "daily_leakage": leak}}],
        "kv": {
            "n:dma-1": [{"date": "2026-05-01", "mnf": mnf, "mnf_time": "03:00", "lnu": lnu, "nnf": nnf, "p_mnf": 0.5,
                         "hdf": hdf, "hdf_measured": 1, "leak_m3d": leak, "l_conn_d": 230.4,
                         "inflow_m3d": inflow, "leak_pct": 100 * leak / inflow, "cost": leak * 2.5}],
            "z:dma-1": {"last_day": (DAY1 + 8 * H) // D, "d_leak": leak, "d_hdf": hdf, "nnf": nnf, "alarm": 0, "hist": [nnf]},
        },
        "logs": ["net night flow 16.000 m3/h x hour-day factor 21.600 h (from pressure) = leakage 345.60 m3/d"],
    },
    "rel": 1e-9,
})

# ---------------------------------------------------------------- 2. demo pump, rise and alarm

NNF2 = {1: 30.0, 2: 30.0, 3: 30.0, 4: 30.0, 5: 30.0, 6: 30.0, 7: 30.0, 8: 36.5, 9: 37.0, 10: 30.2}


def flow2(t):
    day = (t - DAY1) // D + 1
    h = hour_of(t)
    base = NNF2[day]
    if 2 <= h < 4:
        return base  # the night minimum: two hours at the base
    if h < 6:
        return base + 6.0
    return base + 45.0


def press2(t):
    h = hour_of(t)
    return 0.32 if h < 6 else 0.27


flow_pts2 = series(DAY1, 10, flow2)
press_pts2 = series(DAY1, 10, press2)
n1 = 1.15
r = 0.27 / 0.32
hdf2 = 6 + 18 * r ** n1
day_leak = {d: NNF2[d] * hdf2 for d in range(1, 9)}
inflow2 = {d: (8 * NNF2[d] + 16 * (NNF2[d] + 6) + 72 * (NNF2[d] + 45)) / 96 * 24 for d in range(1, 9)}
ref8 = percentile([30.0] * 7, 20)
ref9 = percentile([30.0] * 6 + [36.5], 20)
p20_9 = percentile([30.0] * 5 + [36.5, 37.0], 20)
write("demo-pump-rise.json", {
    "description": (
        "The demo pump as a zone's inflow meter (flow m3/h, outlet_pressure MPa), default configuration (N1 1.15, night 00:00-06:00, 15-min intervals, "
        "no legitimate night use configured, rise 20 % and 0.5 m3/h on 2 nights) with backfill_days 7. Each day the flow is the night level B for "
        "02:00-04:00, B + 6 for 00:00-02:00 and 04:00-06:00, B + 45 by day; pressure 0.32 MPa at night, 0.27 by day. B = 30.0 on 2026-05-01..07, "
        "36.5 on 05-08, 37.0 on 05-09, 30.2 on 05-10. Minimum rolling hour = B (two hours at B), net night flow = B. Hour-day factor "
        f"6 h x 1 + 18 h x (0.27/0.32)^1.15 = 6 + 18 x {r ** n1:.6f} = {hdf2:.6f} h; leakage 30.0 x {hdf2:.4f} = {30 * hdf2:.4f} m3/d; "
        f"inflow (8 B + 16 (B + 6) + 72 (B + 45))/96 x 24 = 24 B + 834 = {inflow2[1]:.1f} m3/d for B = 30. Run 1 (05-08 00:10) evaluates 05-01..07 (seven nights of 30.0); "
        "run 2 (05-08 06:10) the night of 05-08: reference = 20th percentile of the 7 previous nights = 30.0, threshold 36.0, 36.5 above (1 night); "
        "run 3 (05-09 00:10) closes 05-08's day; run 4 (05-09 06:10): reference = 20th percentile of 30,30,30,30,30,30,36.5 = 30.0 (rank 1.2 between "
        "two 30s), 37.0 > 36.0 for the 2nd night -> night_flow_leakage_rise raised (reference frozen at 30.0); run 5 (05-10 06:10, 05-09's day closed "
        "first) 30.2 <= 36.0 -> cleared. The rolling 7-night 20th percentile after 05-09: of 30 x 5, 36.5, 37.0 = 30.0. Hand calculation."),
    "config": {"backfill_days": 7},
    "thing_models": {"demo-pump": PUMP_MODEL},
    "devices": {"pump-01": {"product": "demo-pump", "history": {"flow": flow_pts2, "outlet_pressure": press_pts2}}},
    "events": [
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 7 * D + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 7 * D + 6 * H + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 8 * D + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 8 * D + 6 * H + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 9 * D + 6 * H + 10 * 60000},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0],
        "alarms": [
            {"op": "raise", "device": "pump-01", "type": "night_flow_leakage_rise", "severity": "warning",
             "details": {"net_night_flow_m3h": 37.0, "reference_m3h": 30.0, "nights": 2, "minimum_night_flow_m3h": 37.0,
                         "legitimate_night_use_m3h": 0.0, "minimum_hour": "2026-05-09 02:00"}},
            {"op": "clear", "device": "pump-01", "type": "night_flow_leakage_rise"},
        ],
        "writes": [],
        "kv": {
            "n:pump-01": [{"date": f"2026-05-0{d}", "mnf": NNF2[d], "nnf": NNF2[d], "hdf": hdf2, "leak_m3d": day_leak[d],
                           "inflow_m3d": inflow2[d], "leak_pct": 100 * day_leak[d] / inflow2[d], "p_mnf": 0.32,
                           "hdf_measured": 1} for d in range(1, 10) if d in day_leak]
                         + [{"date": "2026-05-09", "nnf": 37.0, "hdf": hdf2, "leak_m3d": 37.0 * hdf2, "ref": ref9, "alarm": 1}],
            "z:pump-01": {"night_day": (DAY1 + 8 * H) // D + 9, "nnf": 30.2, "alarm": 0, "above_run": 0, "ref": 30.0,
                          "d_leak": 37.0 * hdf2},
        },
        "logs": ["night_flow_leakage_rise raised", "night_flow_leakage_rise cleared"],
    },
    "rel": 1e-6,
})
print("ref8", ref8, "ref9", ref9, "p20_9", p20_9)

# ---------------------------------------------------------------- 3. bad and missing data

def flow3(t):
    h = hour_of(t)
    if 1 <= h < 5 and int(round((h - int(h)) * 4)) == 2:
        return None  # the :30 window of every hour 01:00-05:00 is missing
    if h < 1 or 5 <= h < 6:
        return 20.0
    if h < 6:
        return 12.0
    return 50.0


flow_a = series(DAY1, 1, flow3)
flow_a_shuffled = flow_a[::-1]  # stored out of order
flow_c = series(DAY1, 1, lambda t: 1.0 if hour_of(t) < 6 else 20.0)
inflow_a = (80 + 4 * 3 * 12 + 80 + 72 * 50) / 92 * 24
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data, 2026-05-01, run at 05-02 00:10 and a late run for 05-01 23:10 (nothing to do). dma-a: its flow history is stored in "
        "reverse order (the store sorts it) and misses the 15-min window at :30 of every hour 01:00-05:00; flow 20 m3/h 00-01 and 05-06, 12 m3/h "
        "01-05, 50 by day. Only rolling hours without a missing window count: from 00:00 (20), 00:15 (20,20,20,12: 18), 00:30 (20,20,12,12: 16), "
        "04:45 (12,20,20,20: 18), 05:00 (20) -> minimum 16.0 at 00:30. No pressure for dma-a -> hour-day factor 24 h assumed (logged). Night use "
        "2000 residents x 6 % x 10 L = 1.2 m3/h; net 14.8 m3/h; leakage 14.8 x 24 = 355.2 m3/d; inflow over 92 of 96 windows (>= 75 %): "
        f"(4 x 20 + 12 x 12 + 4 x 20 + 72 x 50)/92 x 24 = {inflow_a:.5f} m3/d. dma-c: night flow 1.0 m3/h below the night use 1.2: leakage taken as 0 "
        "(logged), constant pressure 0.3 -> HDF 24 measured. dma-b: its flow is text 'n/a' (its own product, so the series is text): no numeric "
        "average, warned, no night. ghost: no such device (warned). HTTP accept: a body that is no object (400), an unknown zone (404), dma-a "
        "(200, its reference becomes 14.8 and the night history is cleared). Nothing traps. Hand calculation."),
    "config": {"devices": ["dma-a", "dma-b", "dma-c", "ghost"], "pressure_property": "pressure", "population": 2000},
    "devices": {
        "dma-a": {"product": "dma-meter", "history": {"flow": flow_a_shuffled}},
        "dma-b": {"product": "dma-meter-text", "history": {"flow": [[DAY1 + i * 900000, "n/a"] for i in range(96)]}},
        "dma-c": {"product": "dma-meter", "history": {"flow": flow_c, "pressure": series(DAY1, 1, lambda t: 0.3)}},
    },
    "events": [
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + D + 10 * 60000},
        {"kind": "schedule", "cron": "10 * * * *", "at": DAY1 + 23 * H + 10 * 60000},
        {"kind": "http", "path": "accept", "body": "dma-a"},
        {"kind": "http", "path": "accept", "body": {"zone": "nowhere"}},
        {"kind": "http", "path": "accept", "body": {"zone": "dma-a"}},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0],
        "alarms": [],
        "replies": [{"status": 400}, {"status": 404}, {"status": 200, "body": {"zone": "dma-a", "reference_m3h": 14.8}}],
        "kv": {
            "n:dma-a": [{"date": "2026-05-01", "mnf": 16.0, "mnf_time": "00:30", "lnu": 1.2, "nnf": 14.8, "hdf": 24.0,
                         "hdf_measured": 0, "leak_m3d": 14.8 * 24, "inflow_m3d": inflow_a}],
            "n:dma-c": [{"date": "2026-05-01", "mnf": 1.0, "nnf": 0.0, "hdf": 24.0, "hdf_measured": 1, "leak_m3d": 0.0}],
            "z:dma-a": {"seed": 14.8, "hist": [], "alarm": 0},
        },
        "logs": ["dma-a: 2026-05-01: pressure covers 0 of 96 windows",
                 "legitimate night use 1.200 m3/h exceeds the minimum night flow 1.000",
                 "dma-b: night of 2026-05-01: no complete hour of flow",
                 "ghost: no flow data"],
    },
    "rel": 1e-9,
})
