#!/usr/bin/env python3
"""Writes the fixtures of apps/coldroom-door-load. Expected values are computed here from the
published formulas (an implementation independent of src/main.c); each description carries the
hand arithmetic."""
import json, math, os

SEC = 1000
MIN = 60 * SEC
H = 60 * MIN
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
ROOT = os.path.join(HERE, "..", "..", "..")
D0 = 1780243200000  # 2026-06-01 00:00 local (UTC+8)
P = 101.325


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def pws(t):
    """Saturation pressure, kPa: Hyland-Wexler (ASHRAE Fundamentals ch. 1), over ice below 0 C."""
    T = t + 273.15
    if t < 0:
        c = (-5.6745359e3, 6.3925247, -9.6778430e-3, 6.2215701e-7, 2.0747825e-9, -9.4840240e-13, 4.1635019)
        ln = c[0] / T + c[1] + c[2] * T + c[3] * T ** 2 + c[4] * T ** 3 + c[5] * T ** 4 + c[6] * math.log(T)
    else:
        c = (-5.8002206e3, 1.3914993, -4.8640239e-2, 4.1764768e-5, -1.4452093e-8, 6.5459673)
        ln = c[0] / T + c[1] + c[2] * T + c[3] * T ** 2 + c[4] * T ** 3 + c[5] * math.log(T)
    return math.exp(ln) / 1000


def air(t, rh):
    pw = rh / 100 * pws(t)
    W = 0.621945 * pw / (P - pw)
    h = 1.006 * t + W * (2501 + 1.86 * t)
    v = 0.287042 * (t + 273.15) * (1 + 1.607858 * W) / P
    return {"pw": pw, "W": W, "h": h, "v": v, "rho": 1 / v}


def gosney(tr, rhr, ti, rhi, A, Hd):
    r, i = air(tr, rhr), air(ti, rhi)
    fm = (2 / (1 + (r["rho"] / i["rho"]) ** (1 / 3))) ** 1.5
    q = 0.221 * A * (i["h"] - r["h"]) * r["rho"] * math.sqrt(1 - i["rho"] / r["rho"]) * math.sqrt(9.81 * Hd) * fm
    return q, fm, r, i


def f(x, n=4):
    return f"{x:.{n}f}"

# ------------------------------------------------------------ 1. the equation by hand

A, HD = 2.0 * 2.5, 2.5
q, fm, r, i = gosney(-20, 90, 25, 60, A, HD)
DF, COP, PRICE, EC = 0.8, 2.0, 1.0, 0.9
opens = [(9 * H, 60), (10 * H, 120), (12 * H, 300)]
open_s = sum(s for _, s in opens)
loads = [q * DF * s / 3600 for _, s in opens]
load = sum(loads)
kwh = load / COP
save = q * DF * EC * open_s / 3600 / COP
events = []
marks = {}
for t0, s in opens:
    marks[t0] = True
    marks[t0 + s * SEC] = False
grid = {D0 + k * 5 * MIN: False for k in range(0, 24 * 12 + 1)}
state = False
times = sorted(set(grid) | {D0 + t for t in marks})
for t in times:
    if t - D0 in marks:
        state = marks[t - D0]
    events.append(tel("cr-1", t, door_open=state))
write("gosney-olama-by-hand.json", {
    "description": (
        "Gosney and Olama (1975) door infiltration as given in the ASHRAE Handbook - Refrigeration, chapter 'Refrigerated-Facility Loads' "
        "(infiltration by air exchange; chapter 13 of the 2006 edition as cited by the EnergyPlus Engineering Reference, "
        "'Refrigeration Door Mixing'): q = 0.221 A (hi - hr) rho_r (1 - rho_i/rho_r)^0.5 (g H)^0.5 Fm, Fm = [2/(1 + (rho_r/rho_i)^(1/3))]^1.5, "
        "qt = q Dt Df (1 - E). Worked by hand for a 2.0 m x 2.5 m door (A = 5 m2, H = 2.5 m) of a -20 C freezer at 90 % RH opening onto a 25 C, "
        "60 % RH dock, at 101.325 kPa. Psychrometrics (ASHRAE Handbook - Fundamentals, ch. 1; saturation pressures as its table: 0.10326 kPa "
        "over ice at -20 C, 3.1693 kPa at 25 C): room pw = 0.9 x 0.10326 = " + f(r['pw'], 5) + " kPa, W = 0.621945 pw/(101.325 - pw) = "
        + f(r['W'], 7) + ", h = 1.006 x (-20) + W (2501 + 1.86 x (-20)) = " + f(r['h']) + " kJ/kg, v = 0.287042 x 253.15 x (1 + 1.607858 W)/101.325 = "
        + f(r['v'], 5) + " m3/kg, rho_r = 1/v = " + f(r['rho']) + "; dock pw = 0.6 x 3.1693 = " + f(i['pw'], 5) + " kPa, W = " + f(i['W'], 6)
        + ", h = 1.006 x 25 + W (2501 + 1.86 x 25) = " + f(i['h']) + " kJ/kg, v = " + f(i['v'], 5) + ", rho_i = " + f(i['rho'])
        + ". Fm = [2/(1 + (" + f(r['rho']) + "/" + f(i['rho']) + ")^(1/3))]^1.5 = " + f(fm) + "; q = 0.221 x 5 x (" + f(i['h']) + " + "
        + f(-r['h']) + ") x " + f(r['rho']) + " x (1 - " + f(i['rho']) + "/" + f(r['rho']) + ")^0.5 x (9.81 x 2.5)^0.5 x " + f(fm) + " = "
        + f(q, 3) + " kW. dT = 45 K > 11 K: Df = 0.8; no protection (E = 0). Door signal every 5 min through 2026-06-01 with openings "
        "09:00 for 60 s, 10:00 for 120 s, 12:00 for 300 s: open 480 s of 86 400 s observed (Dt = 0.005556); load = " + f(q, 3)
        + " x 0.8 x 480/3600 = " + f(load) + " kWh; COP 2.0: " + f(kwh) + " kWh of electricity, at 1.0 per kWh " + f(kwh, 2)
        + "; a strip curtain (E = 0.90) would save " + f(q, 3) + " x 0.8 x 0.90 x 480/3600/2.0 = " + f(save) + " kWh. The next day's first reading "
        "closes the day and writes door_load_kwh, door_energy_kwh, door_cost at 23:59:59. Per year (1 observed day) x 365. Hand calculation."),
    "config": {"door_width_m": 2.0, "door_height_m": 2.5, "room_temp_c": -20, "room_rh_pct": 90, "outside_temp_c": 25,
               "outside_rh_pct": 60, "cop": 2.0, "price_per_kwh": 1.0, "currency": "USD", "power_property": "",
               "max_open_s": 600, "write_telemetry": True},
    "devices": {"cr-1": {"product": "freezer"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [{"device": "cr-1", "ts": D0 + 24 * H - 1000,
                    "values": {"door_load_kwh": load, "door_energy_kwh": kwh, "door_cost": kwh * PRICE}}],
        "alarms": [],
        "kv": {
            "d:cr-1": [{"date": "2026-06-01", "openings": 3, "open_s": 480.0, "max_s": 300.0, "dt": 480 / 86400,
                        "obs_h": 24.0, "load_kwh": load, "kwh": kwh, "cost": kwh * PRICE, "curtain_save_kwh": save,
                        "curtain_save_cost": save * PRICE}],
            "o:cr-1": [{"start": "2026-06-01 09:00", "s": 60.0, "load_kwh": loads[0], "kwh": loads[0] / COP},
                       {"start": "2026-06-01 10:00", "s": 120.0, "load_kwh": loads[1], "kwh": loads[1] / COP},
                       {"start": "2026-06-01 12:00", "s": 300.0, "load_kwh": loads[2], "kwh": loads[2] / COP}],
            "c:cr-1": {"door_state": "closed", "q_full_kw": q, "density_factor": fm, "flow_factor": 0.8, "cop": 2.0,
                       "cop_source": "configured",
                       "year": {"openings": 3 * 365.0, "kwh": kwh * 365, "cost": kwh * 365, "curtain_save_kwh": save * 365},
                       "total": {"openings": 3, "open_s": 480.0, "load_kwh": load}},
        },
        "logs": ["day 2026-06-01: 3 door openings, 480 s open (longest 300 s"],
    },
    "rel": 1e-9,
})

# ------------------------------------------------------------ 2. the demo cold room, defaults

products = json.load(open(os.path.join(ROOT, "crates", "ironloom", "demo", "products.json")))
tm = next(p["thing_model"] for p in products if p["product_key"] == "demo-coldroom")
A2, H2 = 1.2 * 2.0, 2.0
q18, fm18, r18, i25 = gosney(-18, 90, 25, 60, A2, H2)
q17, fm17, r17, _ = gosney(-17, 90, 25, 60, A2, H2)
T9 = D0 + 9 * H
opens = [(30 * MIN, 45), (60 * MIN, 240), (100 * MIN, 30)]
marks = {}
for t0, s in opens:
    marks[t0] = True
    marks[t0 + s * SEC] = False
grid = set(T9 + k * 30 * SEC for k in range(0, 4 * 60 + 1))
times = sorted(grid | {T9 + t for t in marks})
events = []
state = False
for t in times:
    if t - T9 in marks:
        state = marks[t - T9]
    room = -18.0 if t < T9 + 90 * MIN else -17.0
    if t in grid:
        events.append(tel("coldroom-01", t, room_temp=room, compressor_power=3.0, door_open=state))
    else:
        events.append(tel("coldroom-01", t, door_open=state))
cop = 6.0 / 3.0
l1, l2, l3 = q18 * 0.8 * 45 / 3600, q18 * 0.8 * 240 / 3600, q17 * 0.8 * 30 / 3600
load = l1 + l2 + l3
save = (q18 * 0.8 * 0.9 * 285 + q17 * 0.8 * 0.9 * 30) / 3600 / cop
write("demo-coldroom.json", {
    "description": (
        "The demo's cold room (product demo-coldroom, its thing model) with the defaults: door 1.2 m x 2.0 m, room RH 90 %, outside 25 C "
        "60 % RH, Df auto, no protection, strip curtain E = 0.90, COP estimated from the rated capacity 6.0 kW over the measured mean "
        "running power (compressor_power 3.0 kW all along: COP = 6.0/3.0 = 2.0), price 0.75 CNY/kWh, alarm above 180 s. Readings every "
        "30 s 09:00-11:00 on 2026-06-01. room_temp -18.0 C: room h = " + f(r18['h']) + " kJ/kg, rho_r = " + f(r18['rho']) + "; outside h = "
        + f(i25['h']) + ", rho_i = " + f(i25['rho']) + "; Fm = " + f(fm18) + "; q = 0.221 x 2.4 x (" + f(i25['h']) + " + " + f(-r18['h'])
        + ") x " + f(r18['rho']) + " x (1 - " + f(i25['rho']) + "/" + f(r18['rho']) + ")^0.5 x (9.81 x 2.0)^0.5 x " + f(fm18) + " = "
        + f(q18, 3) + " kW; from 10:30 room_temp -17.0 C: h = " + f(r17['h']) + ", rho_r = " + f(r17['rho']) + ", q = " + f(q17, 3)
        + " kW. Openings 09:30:00 for 45 s, 10:00:00 for 240 s (alarm door_open_too_long raised at the 10:03:30 reading, 210 s > 180 s, "
        "cleared at the close at 10:04:00), 10:40:00 for 30 s (q at -17 C). Load = 0.8 x (" + f(q18, 3) + " x 285 + " + f(q17, 3)
        + " x 30)/3600 = " + f(load) + " kWh, electricity / 2.0 = " + f(load / cop) + " kWh, " + f(load / cop * 0.75, 3) + " CNY; a strip "
        "curtain saves 0.90 of it: " + f(save) + " kWh. Hand calculation."),
    "config": {},
    "thing_models": {"demo-coldroom": {"properties": tm["properties"]}},
    "devices": {"coldroom-01": {"product": "demo-coldroom"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [{"op": "raise", "device": "coldroom-01", "type": "door_open_too_long"},
                   {"op": "clear", "device": "coldroom-01", "type": "door_open_too_long"}],
        "kv": {
            "c:coldroom-01": {"door_state": "closed", "cop": 2.0, "cop_source": "estimated", "room_c": -17.0, "q_full_kw": q17,
                              "day": {"openings": 3, "open_s": 315.0, "max_s": 240.0, "obs_h": 2.0, "load_kwh": load,
                                      "kwh": load / cop, "cost": load / cop * 0.75, "curtain_save_kwh": save,
                                      "long_openings": 1}},
            "o:coldroom-01": [{"start": "2026-06-01 09:30", "s": 45.0, "load_kwh": l1},
                              {"start": "2026-06-01 10:00", "s": 240.0, "load_kwh": l2},
                              {"start": "2026-06-01 10:40", "s": 30.0, "load_kwh": l3}],
        },
        "logs": ["door open for 210 s"],
    },
    "rel": 1e-9,
})

# ------------------------------------------------------------ 3. bad and missing data

qb, _, _, _ = gosney(-18, 90, 25, 60, A2, H2)
T10 = D0 + 10 * H
events = [
    tel("cr-a", T10, door_open=False, compressor_power=-1.0),
    tel("cr-a", T10 + 5 * MIN, door_open=True),
    tel("cr-a", T10 + 3 * MIN, door_open=False),
    tel("cr-a", T10 + 6 * MIN, door_open=True),
    tel("cr-a", T10 + 30 * MIN, door_open=True),
    tel("cr-a", T10 + 31 * MIN, door_open=False),
    tel("cr-b", T10, door_open="open", room_temp="cold"),
]
lb = qb * 0.8 * 60 / 3600
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data (defaults but cop 2.5, price 1.0). cr-a reports no room_temp (the configured -18 C is used: q = " + f(qb, 3)
        + " kW for the default 1.2 m x 2.0 m door, as in demo-coldroom.json) and compressor_power -1 (taken as 0, logged). 10:00 closed; "
        "10:05 open; a reading dated 10:03 arrives after it (older: ignored, logged); 10:06 open; the next reading comes at 10:30 (a 24-min "
        "gap beyond max_gap_s 600: the opening is counted until the last reading, 10:06, 60 s, ended 'data gap', logged; the gap is not "
        "observed time); 10:30 open starts a new opening, closed at 10:31 (60 s). Openings 2, open 120 s, observed 300 + 60 + 60 = 420 s, "
        "load 2 x " + f(qb, 3) + " x 0.8 x 60/3600 = " + f(2 * lb) + " kWh, / 2.5 = " + f(2 * lb / 2.5) + " kWh. cr-b (its own product: "
        "text series) sends text door_open and room_temp: logged 'not a number', nothing counted. Nothing traps. Hand calculation."),
    "config": {"cop": 2.5, "price_per_kwh": 1.0},
    "devices": {"cr-a": {"product": "coldroom"}, "cr-b": {"product": "coldroom-text"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [],
        "kv": {
            "c:cr-a": {"door_state": "closed", "room_c": -18.0,
                       "total": {"openings": 2, "open_s": 120.0, "max_s": 60.0, "obs_h": 420 / 3600, "load_kwh": 2 * lb,
                                 "kwh": 2 * lb / 2.5, "cost": 2 * lb / 2.5}},
            "o:cr-a": [{"start": "2026-06-01 10:05", "s": 60.0, "load_kwh": lb, "end": "data gap"},
                       {"start": "2026-06-01 10:30", "s": 60.0, "load_kwh": lb}],
            "c:cr-b": {"door_state": "unknown", "total": {"openings": 0}},
        },
        "logs": ["older than the last one", "no data for 1440 s while the door was open",
                 "door_open is not a number or boolean", "room_temp is not a number or boolean",
                 "negative compressor_power taken as 0"],
    },
    "rel": 1e-9,
})
print("fixtures written")
