#!/usr/bin/env python3
"""Writes the fixtures of apps/compressed-air-leaks: the recorded sample series (power
every 30 s, flow every minute, production state) and the expected values, which come
from the cited worked examples or the hand calculations written into each description,
never from the app. Run: python3 apps/compressed-air-leaks/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
S, MIN, H = 1000, 60_000, 3_600_000
CFM = 0.028316846592  # m³/min per ft³/min (exact: 0.3048³)

WED_0200_LOCAL = 1772560800000  # 2026-03-03T18:00Z = Wednesday 02:00 at UTC+8
SUN_0200_LOCAL = 1772906400000  # 2026-03-07T18:00Z = Sunday 02:00 at UTC+8
MON_0200_LOCAL = 1772992800000  # 2026-03-08T18:00Z = Monday 02:00 at UTC+8


def cycles(start, end, on_s, off_s, loaded, unloaded, step=30):
    """Power every `step` s over [start, end): `on_s` loaded then `off_s` unloaded."""
    out, t = [], start
    while t < end:
        phase = ((t - start) // S) % (on_s + off_s)
        out.append([t, loaded if phase < on_s else unloaded])
        t += step * S
    return out


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


# 1. The timed (load/unload) method on BEE's worked example.
frm = WED_0200_LOCAL
at = frm + H
power = [[frm - 30 * S, 54.0]] + cycles(frm, at, 90, 630, 188.0, 54.0)
last = power.pop()  # the last reading arrives as the event that registers the compressor
write("timed-method-bee-example.json", {
    "description": (
        "Timed (load/unload) method, US DOE/CAC sourcebook fact sheet 'Compressed air system leaks': "
        "leakage % = T·100/(T+t). Numbers of the worked example of the Bureau of Energy Efficiency (India), "
        "Guide Book 3 'Energy efficiency in electrical utilities', ch. 3 Compressed air system, leakage test: "
        "compressor 35 m³/min, 188 kW loaded, 54 kW unloaded, average load time 1.5 min and unload time 10.5 min; "
        "leakage quantity = 1.5/(1.5+10.5) × 35 = 4.375 m³/min (12.5 %). Recorded here as the power every 30 s over "
        "Wednesday 02:00–03:00 (UTC+8, an idle hour by default), five load/unload cycles: T = 7.5 min, t = 52.5 min. "
        "Energy (hand): specific power 188/35 = 5.3714 kW per m³/min (BEE: 188 kWh/(35×60 m³) = 0.0895 kWh/m³), "
        "leak power 4.375 × 188/35 = 23.5 kW, × 8760 h = 205 860 kWh/year (BEE prints 563.85 kWh/day with the "
        "rounded 0.0895; 23.5 × 24 = 564.0), × 0.7 CNY/kWh = 144 102 CNY/year. 12.5 % passes the 10 % rule of thumb "
        "set as the alarm share, after the 60 measured minutes the alarm needs: raised (warning). "
        "Series written by tools/make_fixtures.py."),
    "config": {"fad_m3min": 35, "full_load_kw": 188, "alarm_pct": 10, "line_pressure_kpa": 0},
    "devices": {"ac-01": {"product": "compressor", "history": {"power": power}}},
    "events": [
        {"kind": "telemetry", "device": "ac-01", "product": "compressor",
         "points": [{"property": "power", "ts": last[0], "value": last[1]}]},
        {"kind": "schedule", "cron": "0 * * * *", "at": at},
    ],
    "expect": {
        "results": [0, 0],
        "writes": [{"device": "ac-01", "ts": at, "values": {"leak_pct": 12.5, "leak_flow": 4.375}}],
        "alarms": [{"op": "raise", "device": "ac-01", "type": "compressed_air_leakage", "severity": "warning",
                    "details": {"method": "timed", "leak_pct": 12.5, "leak_m3min": 4.375, "leak_kw": 23.5,
                                "kwh_year": 205860, "cost_year": 144102, "threshold_pct": 10}}],
        "kv": {"devices": ["ac-01"],
               "air:ac-01": {"period": {"on_min": 7.5, "off_min": 52.5, "start": frm, "end": at},
                             "result": {"method": "timed", "leak_pct": 12.5, "leak_m3min": 4.375,
                                        "leak_kw": 23.5, "kwh_year": 205860, "cost_year": 144102,
                                        "minutes": 60},
                             "alarm": True}},
        "logs": ["ac-01: registered for the leak measurement"],
    },
})

# 2. The cost of leaks: DOE Compressed Air Tip Sheet #3 example, by the flow method.
frm = WED_0200_LOCAL
at = frm + H
flow = [[frm + i * MIN, 880.85 if i % 2 else 930.85] for i in range(60)]
last = flow.pop()
write("flow-method-doe-tip-sheet-cost.json", {
    "description": (
        "Flow method and the cost of leaks, US DOE Compressed Air Tip Sheet #3 'Minimize compressed air leaks' "
        "(also the sourcebook 'Improving Compressed Air System Performance', fact sheet 'Compressed air system "
        "leaks'), example: 100 leaks of 1/32 in at 90 psig, 50 of 1/16 in at 90 psig and 10 of 1/4 in at 100 psig, "
        "sharp-edged (× 0.61), 7000 h/year, 0.05 $/kWh, 18 kW per 100 cfm: $5,765 + $11,337 + $39,967 = $57,069 a "
        "year. The leaks flow 100×1.5×0.61 + 50×5.9×0.61 + 10×104×0.61 = 91.5 + 179.95 + 634.4 = 905.85 cfm, which a "
        "header flow meter (in cfm) reads here as 930.85/880.85 cfm alternating every minute (mean 905.85) over an "
        "idle hour. Expected (hand): leak flow 905.85 × 0.028316846592 = 25.6508 m³/min; specific power 0.18 kW/cfm = "
        "0.18/0.028316846592 = 6.356602 kW per m³/min; leak power 905.85 × 0.18 = 163.053 kW; 1 141 371 kWh/year; "
        "cost 57 068.55 $ (DOE: $57,069, rel 1e-5). With a 3000 cfm (84.950539776 m³/min) plant, leakage = "
        "905.85/3000 = 30.195 %: past the 20 % alarm share, raised."),
    "config": {"flow_unit": "cfm", "specific_power": 0.18 / CFM, "hours_per_year": 7000, "tariff": 0.05,
               "currency": "USD", "fad_m3min": 3000 * CFM, "line_pressure_kpa": 0},
    "devices": {"air-header": {"product": "air_meter", "history": {"flow": flow}}},
    "events": [
        {"kind": "telemetry", "device": "air-header", "product": "air_meter",
         "points": [{"property": "flow", "ts": last[0], "value": last[1]}]},
        {"kind": "schedule", "cron": "0 * * * *", "at": at},
    ],
    "expect": {
        "results": [0, 0],
        "writes": [{"device": "air-header", "ts": at, "values": {"leak_pct": 30.195, "leak_flow": 25.650838}}],
        "alarms": [{"op": "raise", "device": "air-header", "type": "compressed_air_leakage", "severity": "warning",
                    "details": {"method": "flow", "leak_pct": 30.195, "cost_year": 57069, "currency": "USD"}}],
        "kv": {"air:air-header": {"result": {"method": "flow", "leak_pct": 30.195, "leak_m3min": 905.85 * CFM,
                                             "leak_kw": 163.053, "kwh_year": 1141371, "cost_year": 57069,
                                             "minutes": 60}}},
    },
    "rel": 1e-5,
})

# 3. The equivalent hole: DOE leakage-rate table, through compressed_air.orifice_leak.
frm = WED_0200_LOCAL
at = frm + H
q = 10 * 104 * 0.61
flow = [[frm + i * MIN, q] for i in range(60)]
last = flow.pop()
write("equivalent-hole-doe-table.json", {
    "description": (
        "The equivalent hole, with the model compressed_air.orifice_leak. DOE Tip Sheet #3 / sourcebook fact sheet "
        "'Compressed air system leaks', table of leakage rates (cfm free air, coefficient of flow 1; × 0.61 for "
        "sharp-edged orifices): 1/4 in at 100 psig = 104 cfm. Ten sharp-edged 1/4 in leaks at 100 psig, "
        "10 × 104 × 0.61 = 634.4 cfm, read by a flow meter over an idle hour, are one hole with ten times the area: "
        "d = 0.25 in × √10 = 0.790569 in = 20.0805 mm at a line pressure of 100 psi = 689.4757 kPa, C_d 0.61, "
        "14.7 psia = 101.3529 kPa, 20 °C (the table's 68 °F). rel 4e-3: the table prints three figures (0.5 % on "
        "the flow, half that on the diameter). Leak flow 634.4 × 0.028316846592 = 17.96421 m³/min. No FAD is "
        "configured, so there is no leakage share: leak_flow alone is written and no alarm is judged."),
    "config": {"flow_unit": "cfm", "line_pressure_kpa": 689.4757293, "discharge_coefficient": 0.61,
               "ambient_pressure_kpa": 101.35293, "ambient_temp_c": 20},
    "devices": {"air-header": {"product": "air_meter", "history": {"flow": flow}}},
    "events": [
        {"kind": "telemetry", "device": "air-header", "product": "air_meter",
         "points": [{"property": "flow", "ts": last[0], "value": last[1]}]},
        {"kind": "schedule", "cron": "0 * * * *", "at": at},
    ],
    "expect": {
        "results": [0, 0],
        "writes": [{"device": "air-header", "ts": at, "values": {"leak_flow": 17.96421}}],
        "alarms": [],
        "kv": {"air:air-header": {"result": {"method": "flow", "leak_pct": None, "leak_m3min": 17.96421,
                                             "hole_mm": 20.0805}}},
    },
    "rel": 4e-3,
})

# 4. Raise and clear over two nights, in two weeks.
n1, n2 = SUN_0200_LOCAL, MON_0200_LOCAL
prod = SUN_0200_LOCAL + 3 * H  # Sunday 05:00–06:00 local: not an idle hour
power = ([[n1 - 30 * S, 25.3]] + cycles(n1, n1 + 2 * H, 180, 540, 88.6, 25.3)
         + [[prod + i * MIN, 88.6] for i in range(60)]
         + [[n2 - 30 * S, 25.3]] + cycles(n2, n2 + H, 90, 810, 88.6, 25.3))
last = power.pop()
W1 = 1772380800000  # Monday 2026-03-02 00:00 at UTC+8 = 2026-03-01T16:00Z
W2 = W1 + 7 * 24 * H
write("alarm-raise-clear-weeks.json", {
    "description": (
        "The alarm's path, periods and weeks, timed method on the power of a 90 kW load/unload screw compressor "
        "(15 m³/min FAD, loaded ≥ 0.7 × 90 = 63 kW; readings 88.6 kW loaded, 25.3 kW unloaded, every 30 s). "
        "Sunday 02:00–04:00 local (UTC+8): 3 min loaded / 9 min unloaded, five cycles an hour, "
        "T·100/(T+t) = 15·100/60 = 25 % (hand) > 20 %: raised after the first hour (60 measured minutes), not again "
        "after the second (period 30/120 min, still 25 %). Sunday 05:00–06:00 is production (fully loaded, not an "
        "idle hour): not measured, the period ends. Monday 02:00–03:00, after repairs: 1.5 min / 13.5 min, "
        "6·100/60 = 10 % < 20 %: cleared. Leak flow 25 % × 15 = 3.75 m³/min, 10 % × 15 = 1.5 m³/min; "
        "specific power 90/15 = 6 kW per m³/min: 22.5 kW → 197 100 kWh → 137 970 CNY/year (0.7 CNY/kWh) in the "
        "week of Monday 2 March (its Sunday night), 9 kW → 78 840 kWh → 55 188 CNY/year in the week of Monday 9 "
        "March (the boundary: Monday 00:00 local = Sunday 16:00 UTC)."),
    "config": {"fad_m3min": 15, "full_load_kw": 90},
    "devices": {"ac-02": {"product": "compressor", "history": {"power": power}}},
    "events": [
        {"kind": "telemetry", "device": "ac-02", "product": "compressor",
         "points": [{"property": "power", "ts": last[0], "value": last[1]}]},
        {"kind": "schedule", "cron": "0 * * * *", "at": n1 + H},
        {"kind": "schedule", "cron": "0 * * * *", "at": n1 + 2 * H},
        {"kind": "schedule", "cron": "0 * * * *", "at": prod + H},
        {"kind": "schedule", "cron": "0 * * * *", "at": n2 + H},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0],
        "writes": [
            {"device": "ac-02", "ts": n1 + H, "values": {"leak_pct": 25, "leak_flow": 3.75}},
            {"device": "ac-02", "ts": n1 + 2 * H, "values": {"leak_pct": 25, "leak_flow": 3.75}},
            {"device": "ac-02", "ts": n2 + H, "values": {"leak_pct": 10, "leak_flow": 1.5}},
        ],
        "alarms": [
            {"op": "raise", "device": "ac-02", "type": "compressed_air_leakage", "severity": "warning",
             "details": {"leak_pct": 25, "threshold_pct": 20}},
            {"op": "clear", "device": "ac-02", "type": "compressed_air_leakage"},
        ],
        "kv": {"air:ac-02": {
            "period": {"on_min": 6, "off_min": 54, "start": n2, "end": n2 + H},
            "alarm": False,
            "weeks": [
                {"week": W1, "on_min": 30, "off_min": 90, "leak_pct": 25, "leak_m3min": 3.75, "leak_kw": 22.5,
                 "kwh_year": 197100, "cost_year": 137970},
                {"week": W2, "on_min": 6, "off_min": 54, "leak_pct": 10, "leak_m3min": 1.5, "leak_kw": 9,
                 "kwh_year": 78840, "cost_year": 55188},
            ]}},
    },
})

# 5. A production-state signal, the first reading before the window, bad and missing data.
frm = WED_0200_LOCAL + 8 * H  # 10:00 local: not an idle hour, the signal decides
at = frm + H
idle_from = frm + 20 * MIN
prod5 = [[frm - MIN, 1.0]] + [[frm + i * 5 * MIN, 1.0] for i in range(1, 4)] + \
        [[idle_from + i * 5 * MIN, 0.0] for i in range(8)]
power5 = [[frm - 30 * S, 88.6]] + [[frm + i * 30 * S, 88.6] for i in range(40)] + \
         cycles(idle_from, at, 60, 420, 88.6, 25.3)
# one unloaded reading replaced by a negative value: the reading before it holds instead
i_bad = next(i for i, p in enumerate(power5) if p[0] == idle_from + 3 * MIN)
power5[i_bad] = [power5[i_bad][0], -5.0]
last = power5.pop()
prod6 = [[frm - MIN, 0.0]] + [[frm + i * 10 * MIN, 0.0] for i in range(1, 6)]
write("production-signal-bad-data.json", {
    "description": (
        "A production-state property instead of idle hours (10:00–11:00 local, not an idle hour): production (1) "
        "until 10:20, fully loaded, not measured; idle (0) from 10:20, 1 min loaded / 7 min unloaded, five cycles: "
        "T = 5, t = 35 min, 5·100/40 = 12.5 % (hand), leak 12.5 % × 15 = 1.875 m³/min; the signal's and the "
        "power's first readings lie before the window and hold into it. 40 measured minutes are fewer than the 60 "
        "the alarm needs: no alarm is judged. Bad and missing data: one unloaded reading is -5 kW (left out, the "
        "reading before holds, so T and t do not change; warned), ac-06 reports power as text ('n/a', a product "
        "without a thing model takes it): idle by its signal but nothing to measure (logged, nothing written); "
        "ac-07 has no readings at all: silently skipped; ac-04, registered earlier, is no longer a device of the installation (not_found): warned, dropped from the list, the others still measured; a second message of ac-05 does not register it twice; a "
        "manual run does nothing."),
    "config": {"fad_m3min": 15, "full_load_kw": 90, "production_property": "production"},
    "kv": {"devices": ["ac-04"]},
    "devices": {
        "ac-05": {"product": "compressor", "history": {"power": power5, "production": prod5}},
        "ac-06": {"product": "compressor_b", "history": {"production": prod6}},
        "ac-07": {"product": "compressor"},
    },
    "events": [
        {"kind": "telemetry", "device": "ac-05", "product": "compressor",
         "points": [{"property": "power", "ts": last[0], "value": last[1]}]},
        {"kind": "telemetry", "device": "ac-06", "product": "compressor_b",
         "points": [{"property": "power", "ts": frm + 30 * MIN, "value": "n/a"}]},
        {"kind": "telemetry", "device": "ac-07", "product": "compressor",
         "points": [{"property": "temperature", "ts": frm + 30 * MIN, "value": 35.5}]},
        {"kind": "telemetry", "device": "ac-05", "product": "compressor",
         "points": [{"property": "power", "ts": last[0] + 10 * S, "value": last[1]}]},
        {"kind": "manual"},
        {"kind": "schedule", "cron": "0 * * * *", "at": at},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0, 0],
        "writes": [{"device": "ac-05", "ts": at, "values": {"leak_pct": 12.5, "leak_flow": 1.875}}],
        "alarms": [],
        "kv": {"devices": ["ac-05", "ac-06", "ac-07"],
               "air:ac-05": {"period": {"on_min": 5, "off_min": 35, "start": frm, "end": at},
                             "result": {"method": "timed", "leak_pct": 12.5, "leak_m3min": 1.875, "minutes": 40}}},
        "logs": [
            "ac-05: registered for the leak measurement",
            "ac-06: registered for the leak measurement",
            "ac-07: registered for the leak measurement",
            "ac-05: 1 reading(s) that are not non-negative numbers left out",
            "ac-06: 1 reading(s) that are not non-negative numbers left out",
            "ac-06: 60 idle minute(s) but too little data (0.0 min load state, 0.0 min flow)",
            "ac-04: no longer found, not measured any more",
        ],
    },
})
print("fixtures written to", os.path.normpath(OUT))
