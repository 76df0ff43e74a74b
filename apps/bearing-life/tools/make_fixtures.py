#!/usr/bin/env python3
"""Writes the fixtures of apps/bearing-life. Every expected value is worked out here in plain
Python from ISO 281's formulas (the arithmetic is also in each description), never taken from
the app. Run: python3 apps/bearing-life/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z
S = 1000
MIN = 60000
H = 3600000


def tel(device, product, ts, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in values.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


# --- 1. The SKF 6309 calculation data, by hand ----------------------------------------------
C, P, n = 55.3, 10.0, 3000
L = (C / P) ** 3                       # 169.1124 million revolutions
L10h = L * 1e6 / (60 * n)              # 939.51 h
revs_a = 3000 * 60 + 3000 * 60 + 1500 * 120   # 540 000 r in the first 4 h
D_a = revs_a / (L * 1e6)
miner = 1 / L10h + 1 / L10h + 2 / (L * 1e6 / (60 * 1500))
assert abs(miner - D_a) < 1e-15
mean_a = revs_a / (4 * 60)             # 2250 r/min
rem_mean_a = (1 - D_a) * L * 1e6 / (60 * mean_a)
# Then stopped 4 h -> 5 h, and at 3000 r/min from 5 h on.
t_alarm = 848                           # h
D_848 = D_a + (t_alarm - 5) / L10h
D_846 = D_a + (846 - 5) / L10h
assert D_846 < 0.9 <= D_848
D_950 = D_a + (950 - 5) / L10h
assert D_950 >= 1
cfg = {"designation": "6309", "c_kn": C, "p_kn": P, "speed_property": "speed", "running_property": "", "max_gap_s": 2000000}
dev, prod = "pump-x", "test-pump"
ev = [tel(dev, prod, T0, speed=3000), tel(dev, prod, T0 + 1 * H, speed=3000), tel(dev, prod, T0 + 2 * H, speed=1500),
      tel(dev, prod, T0 + 4 * H, speed=0), http("status", {"device": dev}),
      tel(dev, prod, T0 + 5 * H, speed=3000), tel(dev, prod, T0 + 400 * H, speed=3000), tel(dev, prod, T0 + 846 * H, speed=3000),
      tel(dev, prod, T0 + 848 * H, speed=3000), tel(dev, prod, T0 + 950 * H, speed=3000),
      http("replace", {"device": dev, "ts": T0 + 951 * H, "note": "6309 replaced"}), http("status", {"device": dev})]
write("skf-6309-by-hand.json", {
    "description": "Worked by hand with the data of SKF's classic calculation example (an SKF deep groove ball bearing 6309, C = 55.3 kN, constant radial load Fr = P = 10 kN, 3000 r/min; "
    "the figures below are computed here, not quoted). ISO 281:2007: L10 = (C/P)^3 = 5.53^3 = 169.112 million revolutions; L10h = 10^6/(60 x 3000) x 169.112 = 939.51 h. "
    "Speed samples held until the next (zero-order hold): 3000 r/min 0-1 h and 1-2 h, 1500 r/min 2-4 h, then 0. Palmgren-Miner: D = 1/939.51 + 1/939.51 + 2/1879.02 = 540 000 r / 169.112e6 r = 0.0031932; "
    "mean running speed 540 000/240 min = 2250 r/min, remaining at it (1 - D) x 169.112e6/(60 x 2250) = 1248.68 h; stopped: no remaining life at the current speed (null). "
    "From 5 h at 3000 r/min again: at 846 h D = 0.0031932 + 841/939.51 = 0.89834 (< 0.9), at 848 h 0.90047: bearing_replacement_due raised (major); at 950 h D = 1.00903 >= 1: raised again (critical). "
    "The replacement at 951 h clears it and starts from 0 (the last hour belongs to the old bearing and is not counted); the kept record has D = 1.00903. "
    "After it, at 3000 r/min: remaining 939.51 h.",
    "config": cfg,
    "devices": {dev: {"product": prod}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [
            {"status": 200, "body": {"life_mrev": L, "revolutions": revs_a, "run_h": 4, "fraction_used": D_a, "mean_speed": mean_a,
                                     "remaining_h_at_mean": rem_mean_a, "current_speed": 0, "remaining_h": None, "life_h_at_speed": None}},
            {"status": 200, "body": {"fraction_used": 0, "revolutions": 0, "current_speed": 3000, "life_h_at_speed": L10h, "remaining_h": L10h,
                                     "replacements": [{"fraction_used": D_950, "ts": T0 + 951 * H, "note": "6309 replaced"}]}},
            {"status": 200, "body": {"fraction_used": 0, "installed_ts": T0 + 951 * H}},
        ],
        "alarms": [
            {"op": "raise", "device": dev, "type": "bearing_replacement_due", "severity": "major"},
            {"op": "raise", "device": dev, "type": "bearing_replacement_due", "severity": "critical"},
            {"op": "clear", "device": dev, "type": "bearing_replacement_due"},
        ],
        "writes": [],
        "kv": {"dev:pump-x": {"fraction_used": 0, "initial_fraction": 0}},
        "logs": ["90.0 % of the bearing's rating life used", "bearing replaced"],
    },
    "rel": 1e-6,
})

# --- 2. A roller bearing at 99 % reliability on the demo motor (fixed speed) ----------------
a1 = 0.25                               # ISO 281:2007, 99 %
Lr = a1 * (100 / 20) ** (10 / 3)        # 0.25 x 213.747 = 53.4368 million revolutions
Lh = Lr * 1e6 / (60 * 1500)             # 593.74 h
D = [0, 0.5 / Lh, 1 / Lh, 1 / Lh, 2 / Lh]
dev, prod = "motor-01", "demo-motor"
ev = [tel(dev, prod, T0, enabled=True, current=20.1), tel(dev, prod, T0 + 30 * MIN, current=21.0), tel(dev, prod, T0 + 60 * MIN, enabled=False, current=0),
      tel(dev, prod, T0 + 120 * MIN, enabled=True), tel(dev, prod, T0 + 180 * MIN, current=20.4), http("status", {"device": dev})]
writes = []
for i, d in enumerate(D):
    v = {"bearing_life_used_pct": d * 100}
    if i != 2:
        v["bearing_remaining_h"] = (1 - d) * Lh
    writes.append({"device": dev, "values": v, "ts": T0 + [0, 30, 60, 120, 180][i] * MIN})
write("roller-a1-demo-motor.json", {
    "description": "A cylindrical roller bearing on the demo motor, which reports no speed: fixed_speed_rpm 1500 while 'enabled' is true. Worked by hand: C = 100 kN, P = 20 kN, p = 10/3, "
    "reliability 99 %: a1 = 0.25 (ISO 281:2007, life modification factor for reliability); L1 = 0.25 x 5^(10/3) = 0.25 x 213.747 = 53.437 million revolutions; at 1500 r/min L1h = 53.437e6/90 000 = 593.74 h. "
    "enabled at 0, current at 0:30 (0.5 h counted), disabled at 1:00 (1 h counted: D = 1/593.74 = 0.16842 %), enabled at 2:00 (the stop 1-2 h counts nothing), current at 3:00: D = 2/593.74 = 0.33685 %, "
    "remaining (1 - D) x 593.74 = 591.74 h. max_gap_s 7200 (the samples here are 30-60 min apart). write_telemetry: each event (>= 60 s apart) writes bearing_life_used_pct and, while running, bearing_remaining_h.",
    "config": {"designation": "NU 2210", "bearing_type": "roller", "c_kn": 100, "p_kn": 20, "reliability_pct": 99, "running_property": "enabled",
               "fixed_speed_rpm": 1500, "write_telemetry": True, "max_gap_s": 7200},
    "devices": {dev: {"product": prod}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": writes,
        "replies": [{"status": 200, "body": {"life_mrev": Lr, "life_h_at_speed": Lh, "fraction_used": D[-1], "run_h": 2, "remaining_h": (1 - D[-1]) * Lh,
                                             "revolutions": 2 * 60 * 1500, "counted_h": 3, "mean_speed": 1500}}],
        "alarms": [],
    },
    "rel": 1e-6,
})

# --- 3. The demo pump with the default configuration ----------------------------------------
Ld = (55.3 / 3.5) ** 3                  # 15.8^3 = 3944.312 million revolutions
L2900 = Ld * 1e6 / (60 * 2900)          # 22 668.5 h
revs = 2900 + 2900 + 1450               # r in the first three minutes
Dd = revs / (Ld * 1e6)
dev, prod = "pump-01", "demo-pump"
ev = [tel(dev, prod, T0, run_state=1, speed_setpoint=2900, flow=80.2), tel(dev, prod, T0 + 60 * S, speed_setpoint=2900, flow=80.1),
      tel(dev, prod, T0 + 120 * S, speed_setpoint=1450), tel(dev, prod, T0 + 180 * S, run_state=0, speed_setpoint=1450),
      tel(dev, prod, T0 + 240 * S, speed_setpoint=1450), tel(dev, prod, T0 + 900 * S, speed_setpoint=1450),
      tel(dev, prod, T0 + 960 * S, run_state=1, speed_setpoint=2900), http("status", {"device": dev})]
write("demo-pump-defaults.json", {
    "description": "The demo pump (speed_setpoint r/min, run_state 1 = running) with the default configuration: a 6309 ball bearing, C = 55.3 kN, P = 3.5 kN, 90 %: "
    "L10 = 15.8^3 = 3944.31 million revolutions; at 2900 r/min L10h = 3944.31e6/174 000 = 22 668.5 h. Samples held until the next: 2900 r/min 0-60 s and 60-120 s, "
    "1450 r/min 120-180 s (2900 + 2900 + 1450 = 7250 r), stopped 180-240 s; the 660 s gap to 900 s is more than max_gap_s 600: not counted (0.18333 h, warned); stopped 900-960 s; "
    "running at 2900 r/min from 960 s. D = 7250/3.94431e9 = 1.8381e-6; run 0.05 h, counted 300 s = 0.083333 h; mean running speed 7250 r/3 min = 2416.67 r/min; "
    "remaining at 2900 r/min (1 - D) x 22 668.5 h; no alarm, nothing written (write_telemetry off).",
    "devices": {dev: {"product": prod}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 200, "body": {"life_mrev": Ld, "revolutions": revs, "fraction_used": Dd, "run_h": 0.05, "counted_h": 300 / 3600,
                                             "gap_h": 660 / 3600, "mean_speed": revs / 3, "current_speed": 2900, "life_h_at_speed": L2900,
                                             "remaining_h": (1 - Dd) * L2900, "running": True, "speed": 2900}}],
        "alarms": [],
        "writes": [],
        "logs": ["pump-01: counting bearing life from now", "no data for 660 s"],
    },
    "rel": 1e-6,
})

# --- 4. Bad and missing data -----------------------------------------------------------------
revs = 2900 * 3
ev = [tel("pump-03", prod, T0, speed_setpoint="fast"),
      tel("pump-03", prod, T0 + 10 * S, run_state="maybe"),
      tel(dev, prod, T0, run_state=1),
      tel(dev, prod, T0 + 60 * S, speed_setpoint=2900),
      tel(dev, prod, T0 + 120 * S, speed_setpoint=-5),
      tel(dev, prod, T0 + 30 * S, speed_setpoint=100),
      tel(dev, prod, T0 + 180 * S, flow=79),
      tel(dev, prod, T0 + 240 * S, flow=80),
      {"kind": "telemetry", "device": dev, "product": prod, "points": []},
      http("replace", {"ts": T0}),
      http("replace", "pump-01"),
      http("replace", {"device": "pump-09"}),
      http("replace", {"device": dev, "ts": "now"}),
      http("replace", {"device": dev, "fraction_used": "half"}),
      http("replace", {"device": dev, "ts": T0 + 100 * S}),
      http("status", {"device": "pump-09"}),
      http("inspect", {"device": dev}),
      http("status", {"device": dev})]
write("bad-and-missing-data.json", {
    "description": "Bad and missing data on the demo pump, default configuration; nothing traps. speed_setpoint 'fast' and run_state 'maybe' on pump-03 are not a speed and a running state (warned). pump-01: running at 0 s with no speed known (0 r/min counted 0-60 s); "
    "2900 at 60 s; -5 at 120 s is refused (warned; 2900 held: 2900 r counted 60-120 s); a sample at 30 s is older than the last (warned, ignored); messages with only flow at 180 s and 240 s "
    "still move the time (2 x 2900 r counted 120-240 s); an empty message does nothing. "
    "Total 3 x 2900 = 8700 r: D = 8700/3.94431e9 = 2.2057e-6. HTTP: replace without a device 400, a body that is no object 400, a device never seen without ts 400, ts as text 400, "
    "fraction_used as text 400, a replacement before the last counted sample 422 (nothing changed); status of an unknown device 404; an unknown path 404.",
    "devices": {dev: {"product": prod}, "pump-03": {"product": prod}, "pump-09": {"product": prod}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 400}, {"status": 400}, {"status": 400}, {"status": 400}, {"status": 400}, {"status": 422}, {"status": 404}, {"status": 404},
                    {"status": 200, "body": {"revolutions": revs, "fraction_used": revs / (Ld * 1e6), "run_h": 3 / 60, "counted_h": 4 / 60, "speed": 2900}}],
        "alarms": [],
        "writes": [],
        "logs": ["speed_setpoint = \"fast\" is not a speed", "speed_setpoint = -5 is not a speed", "1 value(s) older than the last counted sample",
                 "run_state = \"maybe\" is not a running state", "replace: \"device\" is required", "the body must be a JSON object",
                 "no ts and no data from pump-09", "ts \"now\" is not a time", "fraction_used \"half\" is not a number", "is before the last counted sample",
                 "no speed data from pump-09", "unknown path \"inspect\""],
    },
    "rel": 1e-6,
})
print("fixtures written")
