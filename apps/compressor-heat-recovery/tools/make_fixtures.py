#!/usr/bin/env python3
"""Writes the fixtures of apps/compressor-heat-recovery. Expected values are computed here from
the formulas (not taken from the app); each description carries the hand arithmetic."""
import json, os

MIN = 60000
H = 60 * MIN
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
D0 = 1780243200000  # 2026-06-01 00:00 local (UTC+8)


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def derived(q_use, cp=4.18, dt=40, rho=1000, eff=0.90, lhv=35.6, price=3.5, co2=56.1):
    fuel_kwh = q_use / eff
    units = fuel_kwh * 3.6 / lhv
    return {"water_m3": q_use * 3600 / (cp * dt) / rho, "fuel_kwh": fuel_kwh, "fuel": units,
            "saving": units * price, "co2_kg": fuel_kwh * 0.0036 * co2}

# ------------------------------------------------------------ 1. the DOE/CAC formula by hand

P = 74.57  # 100 hp x 0.7457 kW/hp
day = D0 - 24 * H  # 2026-05-31
events = []
for i in range(0, 18 * 4 + 1):  # 06:00 .. 24:00 every 15 min
    t = day + 6 * H + i * 15 * MIN
    loaded = t < day + 22 * H
    events.append(tel("comp-100", t, state=2 if loaded else 0, power=P if loaded else 0.0))
e_in = P * 16
q = 0.8 * e_in
fuel_kwh = q / 0.85
therm_mj = 105.5056
therms = fuel_kwh * 3.6 / therm_mj
cost = therms * 0.60
k = 4160 / 16
btu_doe = 0.80 * 100 * 2545 * 4160
cost_doe = btu_doe / 100000 * 0.60 / 0.85
write("doe-fact-sheet-formula.json", {
    "description": (
        "US DOE / Compressed Air Challenge, Improving Compressed Air System Performance: A Sourcebook for Industry, fact sheet 'Heat Recovery with "
        "Compressed Air Systems': energy savings (Btu/yr) = 0.80 x compressor bhp x 2 545 Btu/bhp-h x hours of operation; cost savings = energy "
        "savings / (Btu per unit of fuel) x price per unit / primary heater efficiency. Worked by hand for a 100 hp compressor on two shifts, five "
        f"days a week (4 160 h/yr), gas at $0.60/therm (100 000 Btu) and an 85 % heater: 0.80 x 100 x 2 545 x 4 160 = {btu_doe:,.0f} Btu/yr "
        f"(847 million), {btu_doe:,.0f} / 100 000 x 0.60 / 0.85 = ${cost_doe:,.2f}/yr. The app's day: 100 hp = 74.57 kW input taken as loaded "
        "06:00-22:00 (16 h, readings every 15 min, max_gap_s 900) on 2026-05-31, off after; recoverable_pct 80, fuel in therms of 105.5056 MJ at 0.60 USD, "
        f"boiler 85 %, annual_running_hours 4 160. Day: E_in = 74.57 x 16 = {e_in:.2f} kWh, heat 0.80 x {e_in:.2f} = {q:.3f} kWh, fuel "
        f"{q:.3f} / 0.85 = {fuel_kwh:.4f} kWh = {therms:.5f} therm, ${cost:.4f}; hot water (+40 K, cp 4.18) {q:.3f} x 3600 / (4.18 x 40) / 1000 = "
        f"{q * 3600 / (4.18 * 40) / 1000:.5f} m3. Year: x 4160/16 = 260: heat {q * k:,.2f} kWh = {q * k * 3412.142:,.0f} Btu, ${cost * k:,.2f} "
        "(0.03 % below the bhp figure: 74.57 kW x 3 412.14 Btu/kWh = 254 443 Btu/h against 100 x 2 545 = 254 500). Hand calculation."),
    "config": {"recoverable_pct": 80, "boiler_efficiency_pct": 85, "fuel_lhv_mj": therm_mj, "fuel_unit": "therm", "fuel_price": 0.60,
               "currency": "USD", "annual_running_hours": 4160, "max_gap_s": 900},
    "devices": {"comp-100": {"product": "compressor"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "kv": {
            "d:comp-100": [{"date": "2026-05-31", "run_h": 16.0, "load_h": 16.0, "kwh_in": e_in, "heat_kwh": q, "used_kwh": q,
                            "fuel_kwh": fuel_kwh, "fuel": therms, "saving": cost, "water_m3": q * 3600 / (4.18 * 40) / 1000}],
            "m:comp-100": [{"month": "2026-05", "heat_kwh": q, "saving": cost}],
            "c:comp-100": {"state_name": "off", "year": {"run_h": 4160.0, "heat_kwh": q * k, "fuel": therms * k, "saving": cost * k},
                           "total": {"heat_kwh": q, "run_h": 16.0}},
        },
        "logs": ["day 2026-05-31: 16.00 h running (16.00 loaded), 1193.120 kWh in, recoverable heat 954.496 kWh"],
    },
    "rel": 1e-9,
})

# ------------------------------------------------------------ 2. the demo compressor

CMP_MODEL = {"properties": [
    {"identifier": "pressure", "name": "排气压力 Discharge pressure", "access": "r", "data_type": {"type": "float", "min": 0, "max": 16, "unit": "bar"}},
    {"identifier": "state", "name": "运行状态 State (0 off, 1 unloaded, 2 loaded)", "access": "r", "data_type": {"type": "enum", "values": {"0": "Off", "1": "Unloaded", "2": "Loaded"}}},
    {"identifier": "power", "name": "输入功率 Input power", "access": "r", "data_type": {"type": "float", "min": 0, "max": 500, "unit": "kW"}},
    {"identifier": "fad", "name": "排气量 Free air delivery", "access": "r", "data_type": {"type": "float", "min": 0, "max": 100, "unit": "m³/min"}},
    {"identifier": "discharge_temp", "name": "排气温度 Discharge temperature", "access": "r", "data_type": {"type": "float", "min": -20, "max": 150, "unit": "°C"}},
    {"identifier": "running_hours", "name": "累计运行时间 Running hours", "access": "r", "data_type": {"type": "float", "min": 0, "unit": "h"}},
    {"identifier": "load_hours", "name": "累计加载时间 Load hours", "access": "r", "data_type": {"type": "float", "min": 0, "unit": "h"}},
]}
events2 = []
t0 = D0 - H  # 2026-05-31 23:00
for i in range(25):  # 23:00 .. 01:00 every 5 min
    t = t0 + i * 5 * MIN
    m = i * 5
    if m < 40 or 60 <= m < 90:
        st, pw, fad = 2, 40.0, 6.2
    elif m < 60:
        st, pw, fad = 1, 12.0, 0.0
    else:
        st, pw, fad = 0, 0.0, 0.0
    events2.append(tel("compressor-01", t, state=st, power=pw, pressure=7.0, fad=fad, discharge_temp=82.0,
                       running_hours=1520.0 + i / 12, load_hours=1203.0 + i / 12))
e1 = 40 * 40 / 60 + 12 * 20 / 60
q1 = 0.8 * e1
d1 = derived(q1)
e2 = 40 * 30 / 60
q2 = 0.8 * e2
write("demo-compressor.json", {
    "description": (
        "The demo's screw compressor (thing model per the simulator brief: state 0 off / 1 unloaded / 2 loaded, power kW, pressure bar, fad m3/min, "
        "discharge_temp, running_hours, load_hours) and the default configuration (80 % recoverable, water +40 K with cp 4.18 kJ/(kg K), gas "
        "35.6 MJ/m3 at 3.5 CNY, boiler 90 %, CO2 56.1 kg/GJ). Readings every 5 min from 2026-05-31 23:00: loaded 40 kW to 23:40, unloaded 12 kW to "
        "00:00, loaded 40 kW to 00:30, off to 01:00. 05-31: E_in = 40 x 40/60 + 12 x 20/60 = 26.6667 + 4 = 30.6667 kWh, heat 0.8 x 30.6667 = "
        f"24.5333 kWh, hot water 24.5333 x 3600 / (4.18 x 40) / 1000 = {d1['water_m3']:.6f} m3, fuel 24.5333 / 0.9 = {d1['fuel_kwh']:.4f} kWh x 3.6 / 35.6 = "
        f"{d1['fuel']:.5f} m3, {d1['saving']:.4f} CNY, CO2 {d1['fuel_kwh']:.4f} x 0.0036 x 56.1 = {d1['co2_kg']:.4f} kg; the 00:00 reading closes the day "
        "and the month of May. 06-01 so far: loaded 30 min at 40 kW = 20 kWh, heat 16 kWh, off 30 min. Hand calculation."),
    "thing_models": {"demo-compressor": CMP_MODEL},
    "devices": {"compressor-01": {"product": "demo-compressor"}},
    "events": events2,
    "expect": {
        "results": [0] * len(events2),
        "writes": [],
        "kv": {
            "d:compressor-01": [dict({"date": "2026-05-31", "run_h": 1.0, "load_h": 40 / 60, "unl_h": 20 / 60, "kwh_in": e1,
                                      "heat_kwh": q1, "used_kwh": q1}, **d1)],
            "m:compressor-01": [dict({"month": "2026-05", "kwh_in": e1, "heat_kwh": q1}, **d1)],
            "c:compressor-01": {"state_name": "off", "d_tload": 1800, "d_toff": 1800, "d_ein": e2, "d_qrec": q2,
                                "day": dict({"heat_kwh": q2, "run_h": 0.5}, **derived(q2)),
                                "total": {"kwh_in": e1 + e2, "heat_kwh": q1 + q2}},
        },
    },
    "rel": 1e-9,
})

# ------------------------------------------------------------ 3. bad data, the demand cap

t0 = D0 + 10 * H
ev3 = [
    tel("comp-a", t0, state=2, power=50.0),
    tel("comp-a", t0 + 5 * MIN, state=2, power=50.0),
    tel("comp-a", t0 + 2 * MIN, state=2, power=80.0),
    tel("comp-a", t0 + 10 * MIN, state=7),
    tel("comp-a", t0 + 15 * MIN, state=2, power=-5.0),
    tel("comp-a", t0 + 20 * MIN, state=2, power=40.0),
    tel("comp-a", t0 + 45 * MIN, state=1),
    tel("comp-a", t0 + 50 * MIN, state=1),
    tel("comp-a", t0 + 55 * MIN, state=0, power=0.0),
    tel("comp-b", t0, state="loaded", power="n/a"),
    tel("comp-b", t0 + 5 * MIN, state="loaded", power="n/a"),
]
est = 55 * 0.25 * 5 / 60
e_a = 50 * 5 / 60 * 2 + 0 + 40 * 5 / 60 + 2 * est
q_a = 0.8 * e_a
use_a = 20 * 10 / 60 + 20 * 5 / 60 + 0.8 * 55 * 0.25 * 10 / 60
write("bad-data-and-cap.json", {
    "description": (
        "Bad data (max_gap_s 300 default), rated_power_kw 55 with unloaded 25 % for readings without power, heat demand capped at max_use_kw 20. "
        "comp-a on 2026-06-01: 10:00 loaded 50 kW; 10:05 loaded 50 (+5 min at 50 kW = 4.16667 kWh); a reading dated 10:02 arrives after it "
        "(older: ignored, logged); 10:10 state 7 is none of 0/1/2 (+5 min loaded at 50 = 4.16667, then no data, logged); 10:15 power -5 (the 5 min "
        "10:10-10:15 are no data; -5 taken as 0, logged); 10:20 loaded 40 (+5 min loaded at 0 kW); 10:45 unloaded without power after a 25-min gap "
        "(10:20-10:25 loaded at 40 kW = 3.33333 kWh, 10:25-10:45 no data); 10:50 unloaded (the power reading of 10:20 is older than 300 s: estimate "
        "55 x 25 % = 13.75 kW x 5 min = 1.14583 kWh); 10:55 off (another 1.14583 estimated). E_in = 4.16667 x 2 + 3.33333 + 1.14583 x 2 = 13.95833 kWh "
        "(2.29167 estimated); loaded 20 min, unloaded 10, no data 25; heat 0.8 x 13.95833 = 11.16667 kWh; used: 0.8 x 50 = 40 kW capped at 20 for "
        "10 min (3.33333), 0.8 x 40 = 32 capped at 20 for 5 min (1.66667), 0.8 x 13.75 = 11 kW for 10 min (1.83333) = 6.83333 kWh. comp-b (its own "
        "product: text series) sends text state and power: 'not a number' logged, nothing credited. Nothing traps. Hand calculation."),
    "config": {"rated_power_kw": 55, "max_use_kw": 20},
    "devices": {"comp-a": {"product": "compressor"}, "comp-b": {"product": "compressor-text"}},
    "events": ev3,
    "expect": {
        "results": [0] * len(ev3),
        "writes": [],
        "kv": {
            "c:comp-a": {"d_tload": 1200, "d_tunl": 600, "d_tnd": 1500, "d_ein": e_a, "d_eest": 2 * est, "d_qrec": q_a, "d_quse": use_a,
                         "state_name": "off"},
            "c:comp-b": {"state_name": "no data", "d_ein": None} if False else {"state_name": "no data"},
        },
        "logs": ["comp-a: reading at", "comp-a: state = 7 is none of off 0, unloaded 1, loaded 2: no data",
                 "comp-a: negative power taken as 0", "comp-b: state is not a number, ignored", "comp-b: power is not a number, ignored"],
    },
    "rel": 1e-6,
})

# ------------------------------------------------------------ 4. heating season and derived telemetry

t0 = D0 - 2 * H  # 2026-05-31 22:00
ev4 = [tel("comp-s", t0 + i * 5 * MIN, state=2, power=30.0) for i in range(12 * 4 + 1)]  # 22:00 .. 02:00
q_may = 0.8 * 30 * 2
write("heating-season-writes.json", {
    "description": (
        "Space heating only in the heating season: use_months [10, 11, 12, 1, 2, 3, 4, 5] (October to May), write_telemetry on. comp-s loaded at "
        "30 kW from 2026-05-31 22:00 to 06-01 02:00 (readings every 5 min). May 31: 2 h x 30 = 60 kWh in, heat 0.8 x 60 = 48 kWh, all used (May is "
        "a heating month): hot water 48 x 3600 / (4.18 x 40) / 1000 = 1.0334928 m3, fuel 48 / 0.9 = 53.3333 kWh x 3.6 / 35.6 = 5.393258 m3 gas, "
        "18.876404 CNY. June 1: 2 h, 48 kWh of heat, none used (June is outside the season): saving 0. At the 00:00 reading the day of May 31 is "
        "closed and written: recoverable_heat_kwh 48, hot_water_m3 1.0334928, fuel_saving 18.876404 at 23:59:59. Hand calculation."),
    "config": {"use_months": [10, 11, 12, 1, 2, 3, 4, 5], "write_telemetry": True},
    "devices": {"comp-s": {"product": "compressor"}},
    "events": ev4,
    "expect": {
        "results": [0] * len(ev4),
        "writes": [{"device": "comp-s", "ts": D0 - 1000,
                    "values": {"recoverable_heat_kwh": q_may, "hot_water_m3": q_may * 3600 / (4.18 * 40) / 1000,
                               "fuel_saving": q_may / 0.9 * 3.6 / 35.6 * 3.5}}],
        "kv": {
            "d:comp-s": [dict({"date": "2026-05-31", "heat_kwh": q_may, "used_kwh": q_may}, **derived(q_may))],
            "c:comp-s": {"day": {"heat_kwh": 48.0, "used_kwh": 0.0, "saving": 0.0}, "d_qrec": 48.0},
        },
    },
    "rel": 1e-6,
})
