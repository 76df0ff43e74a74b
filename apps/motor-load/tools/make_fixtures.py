#!/usr/bin/env python3
"""Writes the fixtures of apps/motor-load. Expected values: the published or independently
computed numbers cited in each description, or the hand formulas below (the DOE fact sheet's
equations and the part-load loss model documented in the README), evaluated here in plain
Python, never taken from the app. Run: python3 apps/motor-load/tools/make_fixtures.py"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772560800000  # 2026-03-03T18:00:00Z
MIN = 60_000
HP = 0.7457  # kW per hp (DOE's factor)


def eff_curve(x, eta, k=0.35):
    """Part-load efficiency of the two-part loss model (README): x·P_r/(x·P_r + L(k+(1−k)x²))."""
    loss = 1 / eta - 1
    return x / (x + loss * (k + (1 - k) * x * x))


# The demo product's thing model (crates/ironloom/demo/products.json) with the app's two
# derived properties declared, as an installer would add them.
with open(os.path.join(HERE, "..", "..", "..", "crates", "ironloom", "demo", "products.json")) as f:
    DEMO_MOTOR = next(p for p in json.load(f) if p["product_key"] == "demo-motor")["thing_model"]
DEMO_MOTOR["properties"] += [
    {"identifier": "load_pct", "name": "负载率 Load", "access": "r",
     "data_type": {"type": "float", "min": 0, "max": 1000, "unit": "%"}},
    {"identifier": "est_efficiency", "name": "估算效率 Estimated efficiency", "access": "r",
     "data_type": {"type": "float", "min": 0, "max": 100, "unit": "%"}},
]


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


# 1. DOE input-power example: 469.7 V, 37 A, PF 0.763.
p_in = math.sqrt(3) * 469.7 * 37 * 0.763 / 1000          # 22.9672 kW
load = p_in / (40 * HP / 0.93)                             # 0.716078
eff = eff_curve(load, 0.93)
write("doe-input-power-example.json", {
    "description": (
        "Input-power method, US DOE Motor Challenge fact sheet 'Determining Electric Motor Load and Efficiency' "
        "(DOE/GO-10097-517), input-power example: a 40 hp, 1800 r/min motor measured at 469.7 V (mean of the line "
        "voltages), 37 A (mean of the phases), PF 0.763: P_i = √3 × 469.7 × 37 × 0.763 / 1000 = 22.9 kW as printed "
        "(22.9672 kW). With the 93 % full-load efficiency of the open implementation petrobras/ccp "
        "(ccp/tests/test_drivers.py, test_input_power_method: 40 hp = 29 828 W, efficiency 0.93, load 0.71608, "
        "output 22 967.1681 × 0.93 W), P_ir = 29.828/0.93 = 32.073 kW and load = 22.9672/32.073 = 71.608 %. The "
        "power factor is a reported property (pf), so the library model motor.load_from_input_power is used. No "
        "speed: the efficiency comes from the part-load loss model (README; hand: L = 1/0.93 − 1, k = 0.35, "
        "η(0.71608) = 0.71608/(0.71608 + L(0.35 + 0.65 × 0.71608²)) = 93.30 %, just above full-load efficiency, near "
        "the 75 % load where DOE puts the peak). 71.6 % is within 40–115 %: no alarm. The product's thing model "
        "does not declare load_pct and est_efficiency: the platform refuses them, the app warns once and keeps "
        "what was refused (it warns again only when that changes). rel 1e-4 (ccp's tolerance)."),
    "config": {"rated_kw": 40 * HP, "rated_voltage": 460, "rated_current": 46, "rated_efficiency": 93,
               "frequency_hz": 60, "full_load_speed": 1775, "pf_property": "pf"},
    "thing_models": {"motor": {"properties": [
        {"identifier": p, "name": p, "access": "r", "data_type": {"type": "float"}}
        for p in ("voltage", "current", "pf")]}},
    "devices": {"m-40hp": {"product": "motor"}},
    "events": [
        {"kind": "telemetry", "device": "m-40hp", "product": "motor", "points": [
            {"property": "voltage", "ts": T0, "value": 469.7},
            {"property": "current", "ts": T0, "value": 37.0},
            {"property": "pf", "ts": T0, "value": 0.763}]},
    ],
    "expect": {
        "results": [0],
        "writes": [{"device": "m-40hp", "ts": T0, "values": {"load_pct": 71.608, "est_efficiency": eff * 100}}],
        "alarms": [],
        "kv": {"motor:m-40hp": {"method": "input_power", "load": 71.608, "p_in": 22.9672, "running": True,
                                "refused": ["est_efficiency", "load_pct"],
                                "hours": [0, 0, 0, 0, 0, 0, 0]}},
        "logs": ["m-40hp: load 71.6 % (input_power), efficiency 93.3 % (part-load curve)",
                 "m-40hp: load_pct refused (unknown_property", "m-40hp: est_efficiency refused (unknown_property"],
    },
    "rel": 1e-4,
})

# 2. DOE slip example, with voltage compensation, and slip output over measured input.
p_r = 25 * HP
l_comp = 30 / (50 * (460 / 437) ** 2)
p_in3 = 12.5
load3 = p_in3 * 0.91 / p_r
eff3 = 0.6 * p_r / p_in3
write("doe-slip-example.json", {
    "description": (
        "Slip method, US DOE fact sheet 'Determining Electric Motor Load and Efficiency', slip example: 25 hp, "
        "synchronous speed 1800 r/min (4 poles, 60 Hz), nameplate full-load speed 1750 r/min, measured 1770 r/min: "
        "slip 30 r/min, load = 30/(1800 − 1750) = 60 %, output 0.6 × 25 = 15 hp (printed; also "
        "petrobras/ccp test_slip_method_doe_example). Second reading at 437 V (rated 460 V): the fact sheet's "
        "voltage-compensated form load = slip/((n_s − n_r)(V_r/V)²) = 30/(50 × (460/437)²) = 54.150 % (hand). "
        "Third reading adds a measured input power of 12.5 kW at 1770 r/min and 460 V: the load is then the "
        "input-power method's, 12.5 × 0.91/(25 × 0.7457) = 61.016 % (hand, η_fl 91 %), and the efficiency the slip "
        "output over the input, 0.6 × 18.6425/12.5 = 89.484 % (hand; DOE's combination of the two methods). The first "
        "two readings have no power: their efficiency is the part-load curve's. A 60 s gap is counted in the 50–75 % "
        "band each time (60 % then 54.15 %): 2 min = 0.0333 h."),
    "config": {"rated_kw": p_r, "rated_voltage": 460, "rated_current": 30, "rated_efficiency": 91,
               "frequency_hz": 60, "poles": 4, "full_load_speed": 1750},
    "devices": {"m-25hp": {"product": "motor"}},
    "events": [
        {"kind": "telemetry", "device": "m-25hp", "product": "motor", "points": [
            {"property": "speed", "ts": T0, "value": 1770.0}, {"property": "voltage", "ts": T0, "value": 460.0}]},
        {"kind": "telemetry", "device": "m-25hp", "product": "motor", "points": [
            {"property": "speed", "ts": T0 + MIN, "value": 1770.0}, {"property": "voltage", "ts": T0 + MIN, "value": 437.0}]},
        {"kind": "telemetry", "device": "m-25hp", "product": "motor", "points": [
            {"property": "speed", "ts": T0 + 2 * MIN, "value": 1770.0},
            {"property": "voltage", "ts": T0 + 2 * MIN, "value": 460.0},
            {"property": "power", "ts": T0 + 2 * MIN, "value": 12.5}]},
    ],
    "expect": {
        "results": [0, 0, 0],
        "writes": [
            {"device": "m-25hp", "ts": T0, "values": {"load_pct": 60, "est_efficiency": eff_curve(0.6, 0.91) * 100}},
            {"device": "m-25hp", "ts": T0 + MIN, "values": {"load_pct": l_comp * 100,
                                                           "est_efficiency": eff_curve(l_comp, 0.91) * 100}},
            {"device": "m-25hp", "ts": T0 + 2 * MIN, "values": {"load_pct": load3 * 100, "est_efficiency": eff3 * 100}},
        ],
        "alarms": [],
        "kv": {"motor:m-25hp": {"method": "input_power", "load": load3 * 100, "load_slip": 60, "p_in": 12.5,
                                "eff": eff3 * 100, "hours": [0, 0, 0, 2 / 60, 0, 0, 0], "run_h": 2 / 60,
                                "load_h": (60 + l_comp * 100) / 60}},
        "logs": ["m-25hp: load 60.0 % (slip)", "m-25hp: load 54.2 % (slip)",
                 "m-25hp: load 61.0 % (input_power), efficiency 89.5 % (slip output / input)"],
    },
    "rel": 1e-9,
})

# 3. Under- and overload on the demo motor (400 V, 30 kW, η 93 %), power every 10 min.
seq = [(0, 18.6), (10, 8.0), (20, 8.0), (30, 8.0), (40, 8.0), (50, 8.0), (60, 8.0), (70, 8.0),
       (80, 18.6), (90, 37.5), (95, 37.5), (100, 30.0), (110, 0.0), (120, 0.0)]
loads = [p * 0.93 / 30 * 100 for _, p in seq]
edges = [0, 25, 40, 50, 75, 100, 115]
band = lambda l: max(i for i, e in enumerate(edges) if l >= e)
hours = [0.0] * 7
run_h = stop_h = kwh = load_h = 0.0
for (t, p), (t1, _), l in zip(seq, seq[1:], loads):
    h = (t1 - t) / 60
    if l >= 5:
        hours[band(l)] += h; run_h += h; load_h += l * h
    else:
        stop_h += h
    kwh += p * h
writes = []
for (t, p), l in zip(seq, loads):
    v = {"load_pct": l}
    if l >= 5:
        v["est_efficiency"] = eff_curve(l / 100, 0.93) * 100
    writes.append({"device": "motor-01", "ts": T0 + t * MIN, "values": v})
write("underload-overload-demo-motor.json", {
    "description": (
        "The demo motor's defaults (demo-motor: 400 V, 30 kW, full-load efficiency 93 %; power in kW), input-power "
        "method load = P × 0.93/30 (DOE, hand). 18.6 kW = 57.66 %; from 00:10 8.0 kW = 24.8 % < 40 %: "
        "underloaded, raised (minor) at 01:10 when it has lasted the 60 configured minutes, cleared at 01:20 back at "
        "57.66 %; 37.5 kW = 116.25 % > 115 % from 01:30, overload raised (major) at 01:35 after 5 minutes, cleared at "
        "01:40 at 30 kW = 93 %; 0 kW from 01:50: stopped (< 5 %), no efficiency written, no underload. Hours per band "
        "(each reading held until the next, hand): <25 %: 70 min, 50–75 %: 20 min, 75–100 %: 10 min, ≥115 %: 10 min; "
        "running 110 min, stopped 10 min; energy Σ P·Δt = 18.6 × 20/60 + 8 × 70/60 + 37.5 × 10/60 + 30 × 10/60 = "
        "26.7833 kWh; Σ load·h for the mean load; maximum 116.25 %. Efficiency: the part-load curve (README)."),
    "config": {},
    "thing_models": {"demo-motor": DEMO_MOTOR},
    "devices": {"motor-01": {"product": "demo-motor"}},
    "events": [{"kind": "telemetry", "device": "motor-01", "product": "demo-motor",
                "points": [{"property": "power", "ts": T0 + t * MIN, "value": p}]} for t, p in seq],
    "expect": {
        "results": [0] * len(seq),
        "writes": writes,
        "alarms": [
            {"op": "raise", "device": "motor-01", "type": "motor_underloaded", "severity": "minor",
             "details": {"load_pct": 24.8, "limit_pct": 40, "minutes": 60}},
            {"op": "clear", "device": "motor-01", "type": "motor_underloaded"},
            {"op": "raise", "device": "motor-01", "type": "motor_overload", "severity": "major",
             "details": {"load_pct": 116.25, "limit_pct": 115, "minutes": 5}},
            {"op": "clear", "device": "motor-01", "type": "motor_overload"},
        ],
        "kv": {"motor:motor-01": {"hours": hours, "run_h": run_h, "stop_h": stop_h, "kwh": kwh, "load_h": load_h,
                                  "max_load": 116.25, "running": False, "load": 0, "under": False, "over": False}},
    },
    "rel": 1e-9,
})

# 4. Line current, voltage × current × PF, bad and missing data, out-of-order readings.
l_cur = 40.5 / 54 * 396 / 400
p_vi = math.sqrt(3) * 396 * 40.5 * 0.86 / 1000
l_vi = p_vi * 0.93 / 30
write("current-method-bad-data.json", {
    "description": (
        "Line-current method, DOE fact sheet, load = (I/I_r)(V/V_r): 40.5 A at 396 V on a 54 A, 400 V nameplate = "
        "40.5/54 × 396/400 = 74.25 % (hand; no power factor configured). pump-m2 reports its power factor (pf 0.86): "
        "P_i = √3 × 396 × 40.5 × 0.86 / 1000 = 23.889 kW, load = 23.889 × 0.93/30 = 74.057 % (hand) through "
        "motor.load_from_input_power. Bad and missing data: a message of other properties (winding_temp) is not for "
        "the app; current as text (pump-m3's first value 'err': a product without a thing model takes it) and a negative power (-3) are warned and "
        "left out (the negative power's message still has a current, so the current method is used); a message with "
        "only a voltage gives no load; a reading older than the last (out of order) is written but adds no time and "
        "does not move the clock back; the first reading adds no time (nothing before it); 5 min later at 74.25 % "
        "adds 5 min to the 50–75 % band. Speed only (pump-m4, 50 Hz 4-pole, 1470 r/min nameplate): 0 r/min is standing still (slip load 0, stopped); 600 r/min is 30 times the rated slip, no steady point of a line-fed motor (warned, nothing written; the clock stays at the stop); 1485 r/min: (1500 − 1485)/(1500 − 1470) = 50 % (hand, DOE slip method at rated voltage); the 2 min since the stop are stopped time (0.0333 h)."),
    "config": {"pf_property": "pf"},
    "devices": {"pump-m1": {"product": "motor_b"}, "pump-m2": {"product": "motor_b"},
                "pump-m3": {"product": "motor_b"}, "pump-m4": {"product": "motor_b"}},
    "events": [
        {"kind": "telemetry", "device": "pump-m1", "product": "motor_b",
         "points": [{"property": "winding_temp", "ts": T0, "value": 61.5}]},
        {"kind": "telemetry", "device": "pump-m1", "product": "motor_b",
         "points": [{"property": "current", "ts": T0, "value": 40.5}, {"property": "voltage", "ts": T0, "value": 396.0}]},
        {"kind": "telemetry", "device": "pump-m3", "product": "motor_b",
         "points": [{"property": "current", "ts": T0 + MIN, "value": "err"}]},
        {"kind": "telemetry", "device": "pump-m1", "product": "motor_b",
         "points": [{"property": "voltage", "ts": T0 + 2 * MIN, "value": 398.5}]},
        {"kind": "telemetry", "device": "pump-m1", "product": "motor_b",
         "points": [{"property": "power", "ts": T0 + 5 * MIN, "value": -3.0},
                    {"property": "current", "ts": T0 + 5 * MIN, "value": 40.5},
                    {"property": "voltage", "ts": T0 + 5 * MIN, "value": 396.0}]},
        {"kind": "telemetry", "device": "pump-m1", "product": "motor_b",
         "points": [{"property": "current", "ts": T0 + 3 * MIN, "value": 40.5},
                    {"property": "voltage", "ts": T0 + 3 * MIN, "value": 396.0}]},
        {"kind": "telemetry", "device": "pump-m2", "product": "motor_b",
         "points": [{"property": "current", "ts": T0, "value": 40.5}, {"property": "voltage", "ts": T0, "value": 396.0},
                    {"property": "pf", "ts": T0, "value": 0.86}]},
        {"kind": "telemetry", "device": "pump-m2", "product": "motor_b",
         "points": [{"property": "current", "ts": T0 + 10 * MIN, "value": 0.0},
                    {"property": "voltage", "ts": T0 + 10 * MIN, "value": 0.0},
                    {"property": "pf", "ts": T0 + 10 * MIN, "value": 0.86}]},
        {"kind": "telemetry", "device": "pump-m4", "product": "motor_b",
         "points": [{"property": "speed", "ts": T0, "value": 0.0}]},
        {"kind": "telemetry", "device": "pump-m4", "product": "motor_b",
         "points": [{"property": "speed", "ts": T0 + MIN, "value": 600.0}]},
        {"kind": "telemetry", "device": "pump-m4", "product": "motor_b",
         "points": [{"property": "speed", "ts": T0 + 2 * MIN, "value": 1485.0}]},
        {"kind": "manual"},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "writes": [
            {"device": "pump-m1", "ts": T0, "values": {"load_pct": l_cur * 100}},
            {"device": "pump-m1", "ts": T0 + 5 * MIN, "values": {"load_pct": l_cur * 100}},
            {"device": "pump-m1", "ts": T0 + 3 * MIN, "values": {"load_pct": l_cur * 100}},
            {"device": "pump-m2", "ts": T0, "values": {"load_pct": l_vi * 100}},
            {"device": "pump-m2", "ts": T0 + 10 * MIN, "values": {"load_pct": 0}},
            {"device": "pump-m4", "ts": T0, "values": {"load_pct": 0}},
            {"device": "pump-m4", "ts": T0 + 2 * MIN, "values": {"load_pct": 50, "est_efficiency": eff_curve(0.5, 0.93) * 100}},
        ],
        "alarms": [],
        "kv": {"motor:pump-m1": {"method": "current", "ts": T0 + 5 * MIN, "hours": [0, 0, 0, 5 / 60, 0, 0, 0],
                                 "run_h": 5 / 60},
               "motor:pump-m2": {"method": "input_power", "p_in": 0, "load": 0, "running": False,
                                 "hours": [0, 0, 0, 10 / 60, 0, 0, 0], "kwh": p_vi * 10 / 60},
               "motor:pump-m4": {"method": "slip", "load": 50, "load_slip": 50, "running": True, "ts": T0 + 2 * MIN,
                                 "stop_h": 2 / 60, "hours": [0, 0, 0, 0, 0, 0, 0]}},
        "logs": ["pump-m3: current is not a non-negative number: \"err\"",
                 "pump-m1: power is not a non-negative number: -3",
                 "pump-m4: 600 r/min is far below the synchronous 1500 r/min: no slip estimate (starting, or a drive?)"],
    },
    "rel": 1e-9,
})
print("fixtures written to", os.path.normpath(OUT))
