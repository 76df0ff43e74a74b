"""Writes fixtures/*.json for apps/energy-carbon with expected values worked out here,
independently of the app: plain arithmetic on the published formulas (no platform code).

  electricity:  E = AD(MWh) · EF_grid(tCO2/MWh)                        (GB/T 32150-2015)
  steam (heat): E = m(t) · (h − 83.74 kJ/kg)/1000 · EF_h(tCO2/GJ)       (GB/T 32151 guides; EF_h 0.11)
  natural gas:  E = AD(10^4 Nm3) · NCV(GJ/10^4 Nm3) · CC(tC/GJ) · OF · 44/12   (GB/T 32150-2015)
Default grid factor: 0.5306 tCO2/MWh, the 2023 national average electricity CO2 emission
factor published by the Ministry of Ecology and Environment and the National Bureau of
Statistics (关于发布2023年电力二氧化碳排放因子的公告).

Run: python3 apps/energy-carbon/tools/make_fixtures.py
"""
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures"
H = 3_600_000
MIN = 60_000
# Local midnight of 2 March 2026 in China Standard Time (UTC+8) = 2026-03-01T16:00Z.
D0 = 1_772_380_800_000
EF = 0.5306


def t(day, hh, mm=0):
    return D0 + day * 24 * H + hh * H + mm * MIN


def tel(device, ts, **props):
    return {"kind": "telemetry", "device": device,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in props.items()]}


def thing_model(props):
    return {"properties": [{"identifier": p, "name": p, "data_type": {"type": "double", "unit": u}}
                           for p, u in props]}


METER_TM = thing_model([("energy", "kWh"), ("energy_kwh_h", "kWh"), ("co2_kg_h", "kg")])


def dump(name, fx):
    (OUT / name).write_text(json.dumps(fx, ensure_ascii=False, indent=1) + "\n")


def normal():
    # m-01: 08:00 12000 (baseline), 08:20 12040, 08:40 12085, 09:00 12130 (hour 8 closed: 130 kWh),
    # 09:30 12190, 10:10 12270 (40 min for 80 kWh: 30 min = 60 kWh in hour 9, 10 min = 20 kWh in hour 10).
    e8 = 12130 - 12000
    e9 = (12190 - 12130) + 80 * 30 / 40
    e10 = 80 * 10 / 40
    co2_8, co2_9 = e8 * EF, e9 * EF
    return {
        "description": (
            "Normal operation of one electricity meter (cumulative kWh every 20–40 min) with the default grid factor "
            "0.5306 tCO₂/MWh (MEE/NBS, 2023 national average electricity CO₂ emission factor). By hand: hour 08:00–09:00 "
            "= 12130 − 12000 = 130 kWh → 130 × 0.5306 = 68.978 kg; hour 09:00–10:00 = 60 kWh + 30/40 of the 80 kWh "
            "read from 09:30 to 10:10 = 120 kWh → 63.672 kg; the other 20 kWh stay in the open hour 10:00. Each hour "
            "is written when the first reading of a later hour arrives, stamped with the hour's start (local time, "
            "UTC+8). The day's total: 250 kWh, 0.13265 t CO₂. Script: apps/energy-carbon/tools/make_fixtures.py."),
        "thing_models": {"meter": METER_TM},
        "devices": {"m-01": {"product": "meter"}},
        "events": [
            tel("m-01", t(0, 8), energy=12000.0),
            tel("m-01", t(0, 8, 20), energy=12040.0),
            tel("m-01", t(0, 8, 40), energy=12085.0),
            tel("m-01", t(0, 9), energy=12130.0),
            tel("m-01", t(0, 9, 30), energy=12190.0),
            tel("m-01", t(0, 10, 10), energy=12270.0),
        ],
        "expect": {
            "results": [0] * 6,
            "writes": [
                {"device": "m-01", "ts": t(0, 8), "values": {"energy_kwh_h": e8, "co2_kg_h": co2_8}},
                {"device": "m-01", "ts": t(0, 9), "values": {"energy_kwh_h": e9, "co2_kg_h": co2_9}},
            ],
            "alarms": [],
            "kv": {"meter:m-01": {"h": t(0, 10), "open": [e10, 0, 0],
                                  "days": [[t(0, 0), e8 + e9, 0, 0, (co2_8 + co2_9) / 1000]],
                                  "last_hour": [t(0, 9), e9, 0, 0, co2_9], "refused": 0}},
            "logs": ["first e reading 12000.000, the baseline"],
        },
        "rel": 1e-9,
    }


def published():
    # Varyense carbon calculator, Scope 2 carbon estimator primer: 2200 kWh at 0.430 kg CO2e/kWh = 946.0 kg.
    return {
        "description": (
            "Published check of the electricity emissions: Varyense carbon calculator, 'Scope 2 carbon estimator' "
            "primer, worked example (carboncalculator.varyense.com/scope-2-carbon-estimator): 2200 kWh at a grid "
            "factor of 0.430 kg CO₂e/kWh = 946.0 kg (the location-based method of the GHG Protocol Scope 2 Guidance). "
            "Here the 2200 kWh are read in one hour (counter 5000.0 at 08:00 → 7200.0 at 09:00) with grid_ef 0.43 "
            "tCO₂/MWh; the 09:00 reading closes hour 08:00."),
        "config": {"grid_ef": 0.43},
        "thing_models": {"meter": METER_TM},
        "devices": {"m-07": {"product": "meter"}},
        "events": [tel("m-07", t(0, 8), energy=5000.0), tel("m-07", t(0, 9), energy=7200.0)],
        "expect": {
            "results": [0, 0],
            "writes": [{"device": "m-07", "ts": t(0, 8), "values": {"energy_kwh_h": 2200, "co2_kg_h": 946.0}}],
            "alarms": [],
        },
        "rel": 1e-9,
    }


def gas_steam():
    # One hour: 400 kWh, 1000 Nm3 natural gas, 2.0 t steam (counters at 08:00 and 09:00).
    kwh, m3, steam = 400.0, 1000.0, 2.0
    e_el = kwh / 1000 * EF                                    # t
    heat = steam * (2777.1 - 83.74) / 1000                    # GJ
    e_st = heat * 0.11
    e_gas = m3 / 1e4 * 389.31 * 0.01532 * 0.99 * 44 / 12      # t
    total_kg = (e_el + e_st + e_gas) * 1000
    tm = thing_model([("energy", "kWh"), ("gas", "m3"), ("steam", "t"), ("energy_kwh_h", "kWh"), ("co2_kg_h", "kg"),
                      ("gas_m3_h", "m3"), ("steam_t_h", "t")])
    return {
        "description": (
            "Electricity, natural gas and purchased steam in one hour (GB/T 32150-2015 defaults). By hand: electricity "
            "400 kWh = 0.4 MWh × 0.5306 = 0.21224 t; steam 2.0 t of saturated steam at 1.0 MPa (h = 2777.1 kJ/kg, "
            "IAPWS-IF97) = 2.0 × (2777.1 − 83.74)/1000 = 5.38672 GJ × 0.11 tCO₂/GJ = 0.5925392 t; natural gas "
            "1000 Nm³ = 0.1 × 10⁴ Nm³ × 389.31 GJ/10⁴ Nm³ × 0.01532 tC/GJ × 0.99 × 44/12 = 2.1650152 t (2.165 kg "
            "CO₂/Nm³, the factor the Chinese accounting guides' defaults give). Total 2969.7944 kg CO₂ in the hour."),
        "config": {"gas_property": "gas", "steam_property": "steam"},
        "thing_models": {"site": tm},
        "devices": {"site-main": {"product": "site"}},
        "events": [
            tel("site-main", t(0, 8), energy=80000.0, gas=25000.0, steam=310.5),
            tel("site-main", t(0, 9), energy=80000.0 + kwh, gas=25000.0 + m3, steam=310.5 + steam),
        ],
        "expect": {
            "results": [0, 0],
            "writes": [{"device": "site-main", "ts": t(0, 8),
                        "values": {"energy_kwh_h": kwh, "co2_kg_h": total_kg, "gas_m3_h": m3, "steam_t_h": steam}}],
            "kv": {"meter:site-main": {"days": [[t(0, 0), kwh, m3, steam, total_kg / 1000]]}},
        },
        "rel": 1e-9,
    }


def budgets():
    # Hourly readings from 20:00; hour budget 100 kWh, day budget 300 kWh.
    cum = [10000.0, 10060.0, 10130.0, 10220.0]          # 20:00, 21:00, 22:00, 23:00 (hours 60, 70, 90)
    ev = [tel("p-02", t(0, 20 + i), energy=v) for i, v in enumerate(cum)]
    ev.append(tel("p-02", t(0, 23, 30), energy=10310.0))  # day so far 220 + 90 = 310 > 300: day alarm
    ev.append(tel("p-02", t(1, 0), energy=10370.0))       # hour 23 = 150 > 100: hour alarm
    ev.append(tel("p-02", t(1, 1), energy=10450.0))       # hour 0 of the next day = 80: both cleared
    hours = [60, 70, 90, 150, 80]
    writes = [{"device": "p-02", "ts": t(0, 20 + i), "values": {"energy_kwh_h": e, "co2_kg_h": e * EF}}
              for i, e in enumerate(hours)]
    return {
        "description": (
            "Budget alarms: hour budget 100 kWh, day budget 300 kWh. Hours 20, 21, 22 use 60, 70, 90 kWh (220 kWh). "
            "At 23:30 the counter shows 90 kWh more: the day's running total 310 kWh passes 300 → energy_day_budget "
            "(major) raised at once. The 00:00 reading closes hour 23 with 150 kWh > 100 → energy_hour_budget (minor). "
            "The 01:00 reading closes the new day's first hour with 80 kWh: the hour alarm clears, and the day alarm "
            "clears as the new day is within its budget. Day totals 370 kWh (0.196322 t) and 80 kWh (0.042448 t); "
            "each hour's CO₂ = kWh × 0.5306 kg."),
        "config": {"hour_budget_kwh": 100, "day_budget_kwh": 300},
        "thing_models": {"meter": METER_TM},
        "devices": {"p-02": {"product": "meter"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [
                {"op": "raise", "device": "p-02", "type": "energy_day_budget", "severity": "major"},
                {"op": "raise", "device": "p-02", "type": "energy_hour_budget", "severity": "minor"},
                {"op": "clear", "device": "p-02", "type": "energy_hour_budget"},
                {"op": "clear", "device": "p-02", "type": "energy_day_budget"},
            ],
            "kv": {"meter:p-02": {"days": [[t(0, 0), 370, 0, 0, 370 * EF / 1000], [t(1, 0), 80, 0, 0, 80 * EF / 1000]],
                                  "alarms": {"hour": False, "day": None}}},
            "logs": ["day consumption 310.000 kWh over the budget of 300.000 kWh",
                     "hour consumption 150.000 kWh over the budget of 100.000 kWh"],
        },
        "rel": 1e-9,
    }


def boundaries():
    # max_gap_h 6.
    ev = [
        tel("m-03", t(0, 8), energy=500.0),       # first reading: baseline only
        tel("m-03", t(0, 8, 45), energy=530.0),   # 30 kWh in hour 8
        tel("m-03", t(0, 8, 45), energy=530.0),   # repeated: ignored
        tel("m-03", t(0, 9, 15), energy=560.0),   # 30 kWh over 30 min: 15 in hour 8, 15 in hour 9 → hour 8 closed (45)
        tel("m-03", t(0, 9, 45), energy=12.0),    # counter reset: refused, baseline 12
        tel("m-03", t(0, 12, 15), energy=72.0),   # 60 kWh over 150 min: 6 / 24 / 24 / 6 in hours 9, 10, 11, 12
        tel("m-03", t(0, 20, 15), energy=100.0),  # 8 h gap > 6 h: refused, baseline 100; hour 12 closed
        tel("m-03", t(0, 20, 45), energy=103.0),  # 3 kWh in hour 20 (open)
    ]
    hours = [(8, 45.0), (9, 15.0 + 6.0), (10, 24.0), (11, 24.0), (12, 6.0)]
    writes = [{"device": "m-03", "ts": t(0, h), "values": {"energy_kwh_h": e, "co2_kg_h": e * EF}} for h, e in hours]
    total = sum(e for _, e in hours)
    return {
        "description": (
            "Boundaries, max_gap_h 6. The first reading only sets the baseline; a repeated reading (same time) is "
            "ignored; a delta across an hour boundary is split by time (30 kWh from 08:45 to 09:15: 15 + 15); a "
            "negative delta (560 → 12 at 09:45, a counter reset) is refused with a log line and 12 becomes the "
            "baseline; 60 kWh from 09:45 to 12:15 (150 min) are spread linearly: 6 kWh (15 min) in hour 9, 24 in hours "
            "10 and 11, 6 (15 min) in hour 12; the 8-hour gap to 20:15 is longer than max_gap_h and not allocated "
            "(baseline 100), and it closes hour 12; hours 13–19 have no data and are not written. Hours written: "
            "45, 21, 24, 24, 6 kWh (CO₂ = kWh × 0.5306 kg); day total 120 kWh, 0.063672 t; open hour 20: 3 kWh; "
            "two readings refused."),
        "config": {"max_gap_h": 6},
        "thing_models": {"meter": METER_TM},
        "devices": {"m-03": {"product": "meter"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [],
            "kv": {"meter:m-03": {"h": t(0, 20), "open": [3.0, 0, 0], "refused": 2,
                                  "days": [[t(0, 0), total, 0, 0, total * EF / 1000]]}},
            "logs": ["first e reading", "negative e delta -548.000 (560.000 → 12.000) refused",
                     "gap of 8.0 h longer than max_gap_h"],
        },
        "rel": 1e-9,
    }


def bad_data():
    ev = [
        tel("m-04", t(0, 8), temperature=21.5),                           # not a meter property: nothing read or stored
        tel("m-04", t(0, 8, 5), energy="E-OVERFLOW"),                     # text: ignored with a warning
        {"kind": "telemetry", "device": "m-04", "points": []},           # no points
        tel("m-05", t(0, 8, 10), energy=777.5),                           # m-05 first reading: its baseline
        {"kind": "manual"},                                               # no device to reset: a hint
        {"kind": "manual", "reset": "m-05"},                              # forgets m-05 (alarms cleared)
        tel("m-05", t(0, 8, 20), energy=780.0),                           # a baseline again, nothing written
    ]
    return {
        "description": (
            "Bad and missing data: a message without meter properties does nothing (no state read or written); a "
            "non-numeric energy value (text, stored by a product without a thing model) is ignored with a warning; a "
            "message without points does nothing; a manual run without a device only logs how to reset; a manual "
            "reset of m-05 forgets its readings and clears its alarms, so its next reading is a baseline again. "
            "Nothing is written and no alarm is raised."),
        "devices": {"m-04": {"product": "meter"}, "m-05": {"product": "meter"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": [],
            "alarms": [{"op": "clear", "device": "m-05", "type": "energy_hour_budget"},
                       {"op": "clear", "device": "m-05", "type": "energy_day_budget"}],
            "kv": {"meter:m-05": {"c": {"e": [t(0, 8, 20), 780.0]}, "h": t(0, 8), "open": [0, 0, 0], "days": []}},
            "logs": ["m-04: ignored a non-numeric energy reading", "manual run: send", "m-05: meter state reset",
                     "first e reading 780.000"],
        },
    }


def power():
    # demo-motor: power (kW) only, every 5 min; integrated with the trapezoid rule.
    pts = [(7, 50, 40.0), (7, 55, 44.0), (8, 0, 48.0), (8, 5, 48.0), (8, 10, 36.0), (8, 40, 30.0), (8, 45, 30.0),
           (9, 0, 30.0), (9, 5, 30.0)]
    ev = [tel("motor-01", t(0, h, m), power=p) for h, m, p in pts]
    # Hour 7: 07:50–08:00: (40+44)/2·5/60 + (44+48)/2·5/60 = 3.5 + 3.8333 = 7.3333 kWh.
    e7 = (40 + 44) / 2 * 5 / 60 + (44 + 48) / 2 * 5 / 60
    # Hour 8: 08:00–08:10: (48+48)/2·5/60 + (48+36)/2·5/60 = 4 + 3.5; 08:10–08:40 is 30 min apart (> 15): not
    # integrated; 08:40–09:00: 30 kW × 20 min = 10 kWh.
    e8 = (48 + 48) / 2 * 5 / 60 + (48 + 36) / 2 * 5 / 60 + 30 * 20 / 60
    e9 = 30 * 5 / 60
    return {
        "description": (
            "A meter without an energy counter (the demo's induction motor, which reports power in kW): the app "
            "integrates power with the trapezoid rule. By hand: hour 07:00 = (40+44)/2·5/60 + (44+48)/2·5/60 = "
            "7.3333 kWh (3.8911 kg CO₂); hour 08:00 = (48+48)/2·5/60 + (48+36)/2·5/60 + 30·20/60 = 17.5 kWh "
            "(9.2855 kg), the 30 minutes between 08:10 and 08:40 being longer than power_gap_min (15) and not "
            "integrated; hour 09:00 so far 2.5 kWh. Default configuration (power_property \"power\")."),
        "thing_models": {"demo-motor": thing_model([("power", "kW"), ("energy_kwh_h", "kWh"), ("co2_kg_h", "kg")])},
        "devices": {"motor-01": {"product": "demo-motor"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": [
                {"device": "motor-01", "ts": t(0, 7), "values": {"energy_kwh_h": e7, "co2_kg_h": e7 * EF}},
                {"device": "motor-01", "ts": t(0, 8), "values": {"energy_kwh_h": e8, "co2_kg_h": e8 * EF}},
            ],
            "kv": {"meter:motor-01": {"open": [e9, 0, 0], "days": [[t(0, 0), e7 + e8, 0, 0, (e7 + e8) * EF / 1000]]}},
            "logs": ["first power reading 40.000 kW", "30.0 min apart (more than power_gap_min)"],
        },
        "rel": 1e-9,
    }


def long_gap():
    # 120 kWh between 20:30 and 02:30 the next day (6 h): 20 kWh per hour, spread over both days.
    ev = [tel("m-06", t(0, 20, 30), energy=1000.0), tel("m-06", t(1, 2, 30), energy=1120.0)]
    hours = [(0, 20, 10.0), (0, 21, 20.0), (0, 22, 20.0), (0, 23, 20.0), (1, 0, 20.0), (1, 1, 20.0)]
    writes = [{"device": "m-06", "ts": t(d, h), "values": {"energy_kwh_h": e, "co2_kg_h": e * EF}} for d, h, e in hours]
    return {
        "description": (
            "A gap across midnight, spread linearly: no reading between 20:30 and 02:30 the next day (6 h, less than "
            "max_gap_h 24), 120 kWh → 20 kWh per hour. By hand: hour 20 gets its last 30 min = 10 kWh, hours 21, 22, "
            "23 of the first day and 00, 01 of the next 20 kWh each, the open hour 02 10 kWh. Day totals: first day "
            "10 + 3 × 20 = 70 kWh (0.037142 t CO₂), next day 40 kWh closed (0.021224 t) + 10 kWh open. Six hours "
            "are written by one event, oldest first."),
        "thing_models": {"meter": METER_TM},
        "devices": {"m-06": {"product": "meter"}},
        "events": ev,
        "expect": {
            "results": [0, 0],
            "writes": writes,
            "kv": {"meter:m-06": {"h": t(1, 2), "open": [10.0, 0, 0],
                                  "days": [[t(0, 0), 70, 0, 0, 70 * EF / 1000], [t(1, 0), 40, 0, 0, 40 * EF / 1000]]}},
        },
        "rel": 1e-9,
    }


if __name__ == "__main__":
    dump("long-gap.json", long_gap())
    dump("normal-hourly.json", normal())
    dump("published-scope2.json", published())
    dump("gas-steam.json", gas_steam())
    dump("budget-alarms.json", budgets())
    dump("boundaries.json", boundaries())
    dump("bad-data.json", bad_data())
    dump("power-integration.json", power())
