#!/usr/bin/env python3
"""Writes apps/cold-chain/fixtures/*.json.

Expected values are computed here independently of the app, with numpy, from the
temperatures each scenario lists and the time each one holds (stated by hand in the
descriptions):
    MKT = (ΔH/R) / -ln( Σ tᵢ exp(-ΔH/(R Tᵢ)) / Σ tᵢ ) - 273.15,  ΔH = 83.144 kJ/mol, R = 8.3144 J/(mol K)
(USP <1079>; WHO TRS 961 Annex 9, glossary). The published check is the usage example
of the open-source PostgreSQL aggregate zelti/mkt (README): 2, 2, 5, 8, 8, 8, 8 °C at equal
intervals -> MKT 6.25 °C (given to two decimals).
Run: python3 apps/cold-chain/tools/fixtures.py
"""
import json
import os
from datetime import datetime, timezone

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
DH, R = 83144.0, 8.3144


def mkt(temps, minutes):
    t = np.asarray(temps, float) + 273.15
    w = np.asarray(minutes, float)
    return float(DH / R / -np.log(np.sum(w * np.exp(-DH / (R * t))) / np.sum(w)) - 273.15)


def tmean(temps, minutes):
    return float(np.average(np.asarray(temps, float), weights=np.asarray(minutes, float)))


def ms(local, off):
    t = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    return int(t.timestamp() * 1000) - int(off * 3600 * 1000)


def tel(device, local, off, **values):
    t = ms(local, off)
    return {"kind": "telemetry", "device": device,
            "points": [{"property": k, "ts": t, "value": v} for k, v in values.items()]}


def sched(local, off):
    return {"kind": "schedule", "cron": "*/15 * * * *", "at": ms(local, off)}


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


SENSOR = {"properties": [
    {"identifier": "temperature", "name": "Temperature", "access": "r", "data_type": {"type": "double", "unit": "°C"}},
    {"identifier": "humidity", "name": "Relative humidity", "access": "r", "data_type": {"type": "double", "unit": "%"}},
]}

# 1. published example ------------------------------------------------------------------
off = 8
d = "coldroom-01"
temps = [2.0, 2.0, 5.0, 8.0, 8.0, 8.0, 8.0]
ev = [tel(d, f"2026-07-01 0{h}:00", off, temperature=temps[h]) for h in range(7)]
ev.append(sched("2026-07-02 00:00", off))
write("mkt-published-example.json", {
    "description": "Published check: the usage example of zelti/mkt (open-source MKT aggregate for PostgreSQL, README): readings 2, 2, 5, 8, 8, 8, 8 °C at equal intervals give MKT = 6.25 °C (two decimals; rel 8e-4 is that rounding). Replayed hourly from 00:00 (UTC+8), each reading held 60 min (max_gap_min 60), the day closed by the schedule at midnight: 7 readings, min 2, max 8, time-weighted mean 41/7 = 5.857 °C, 420 of 1440 min covered, nothing out of the 2-8 °C range, no excursion: pass.",
    "config": {"max_gap_min": 60},
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [],
        "kv": {f"d:{d}": [{"date": "2026-07-01", "n": 7, "min": 2, "max": 8, "mkt": 6.25, "mean": 41 / 7,
                           "out_min": 0, "excursions": 0, "alarms": 0, "coverage": 420 / 1440, "pass": True}]},
    },
    "rel": 8e-4,
})

# 2. excursion: alarm raised and cleared; a short one allowed -------------------------------
d = "coldroom-02"
day = "2026-07-01"
readings = [("00:00", 4.0), ("02:00", 4.5), ("04:00", 5.0), ("06:00", 5.5), ("08:00", 6.0), ("09:30", 7.0),
            ("10:00", 8.6), ("10:20", 9.4), ("10:40", 9.8), ("11:00", 7.6), ("12:00", 5.0), ("14:00", 8.4),
            ("14:20", 7.8), ("16:00", 5.0), ("18:00", 4.5), ("20:00", 4.0), ("22:00", 4.2)]


def minutes(hhmm):
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


held = [minutes(b[0]) - minutes(a[0]) for a, b in zip(readings, readings[1:])] + [24 * 60 - minutes(readings[-1][0])]
vals = [v for _, v in readings]
ev = []
for hhmm, v in readings:
    ev.append(tel(d, f"{day} {hhmm}", off, temperature=v))
    if hhmm == "10:20":
        ev.append(sched(f"{day} 10:30", off))  # 30 min: not longer than allowed yet
    if hhmm == "10:40":
        ev.append(sched(f"{day} 10:45", off))  # already raised: nothing more
ev.append(sched("2026-07-02 00:00", off))
write("excursion-alarm.json", {
    "description": "Cold room 2-8 °C, 30 min allowed, readings held up to 120 min (reported on change). A door left open: 8.6 °C at 10:00, 9.4 at 10:20 (the schedule at 10:30 sees 30 min: not longer than allowed), 9.8 at 10:40 (40 min > 30: alarm raised), 7.6 at 11:00 (back in range: alarm cleared; 60 min excursion). A short one, 8.4 at 14:00 and 7.8 at 14:20 (20 min), is counted but not alarmed. Day record at midnight: 17 readings, min 4.0, max 9.8, 60 + 20 = 80 min out of range, 2 excursions, 1 alarm, longest 60 min, full coverage; MKT and time-weighted mean by numpy from the readings and the minutes each holds (tools/fixtures.py); failed because of the alarm.",
    "config": {"low": 2, "high": 8, "allowed_excursion_min": 30, "max_gap_min": 120},
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [{"op": "raise", "device": d, "type": "temperature_excursion", "severity": "major"},
                   {"op": "clear", "device": d, "type": "temperature_excursion"}],
        "kv": {f"d:{d}": [{"date": day, "n": 17, "min": 4.0, "max": 9.8, "mkt": mkt(vals, held), "mean": tmean(vals, held),
                           "out_min": 80, "excursions": 2, "alarms": 1, "longest_min": 60, "coverage": 1, "pass": False}],
               f"c:{d}": {"exc": 0, "alarm": 0}},
    },
    "rel": 1e-9,
})

# 3. boundaries: a reefer on UTC-5, excursion over midnight, alarm raised by the schedule ----
off = -5
d = "reefer-07"
ev = [
    tel(d, "2026-07-01 18:00", off, temperature=5.0),  # first reading ever
    tel(d, "2026-07-01 21:00", off, temperature=6.5),
    tel(d, "2026-07-01 23:00", off, temperature=9.5),  # out of range, then silent (reports on change)
    sched("2026-07-02 00:00", off),                    # closes 07-01; 60 min: not longer than allowed
    sched("2026-07-02 00:15", off),                    # 75 min > 60: the schedule raises the alarm
    tel(d, "2026-07-02 01:30", off, temperature=7.5),  # back in range: cleared
    tel(d, "2026-07-02 03:00", off, temperature=4.0),  # then nothing: held to 07:00
    sched("2026-07-03 00:00", off),
]
d1 = ([5.0, 6.5, 9.5], [180, 120, 60])
d2 = ([9.5, 7.5, 4.0], [90, 90, 240])
write("boundaries.json", {
    "description": "Reefer with medicines, 2-8 °C, 60 min allowed, readings held up to 240 min, days at local midnight of UTC-5. Day 2026-07-01 starts with the first reading (18:00): 5.0 for 180 min, 6.5 for 120, 9.5 (out of range) for 60 until midnight; 3 readings, one excursion still open, no alarm yet (60 min is not longer than 60), MKT in range: pass. The schedule at 00:15 sees 75 min and raises the alarm without a new reading; 7.5 at 01:30 clears it (150 min excursion). Day 07-02: 9.5 held from midnight for 90 min (also the day's maximum), 7.5 for 90, 4.0 for 240 (to 07:00, then no data): 420 of 1440 min covered, 2 readings, 90 min out of range, 1 excursion (carried over), 1 alarm, longest 150 min: failed. MKT and means by numpy (tools/fixtures.py).",
    "config": {"low": 2, "high": 8, "allowed_excursion_min": 60, "max_gap_min": 240, "utc_offset_h": -5},
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [{"op": "raise", "device": d, "type": "temperature_excursion"},
                   {"op": "clear", "device": d, "type": "temperature_excursion"}],
        "kv": {f"d:{d}": [
            {"date": "2026-07-01", "n": 3, "min": 5.0, "max": 9.5, "mkt": mkt(*d1), "mean": tmean(*d1), "out_min": 60,
             "excursions": 1, "alarms": 0, "longest_min": 60, "coverage": 360 / 1440, "pass": True},
            {"date": "2026-07-02", "n": 2, "min": 4.0, "max": 9.5, "mkt": mkt(*d2), "mean": tmean(*d2), "out_min": 90,
             "excursions": 1, "alarms": 1, "longest_min": 150, "coverage": 420 / 1440, "pass": False}]},
    },
    "rel": 1e-9,
})

# 3b. frozen goods: no MKT (USP <1079.2>) ---------------------------------------------------
off = 8
d = "freezer-02"
ev = [
    tel(d, "2026-07-01 00:00", off, temperature=-20.0),
    tel(d, "2026-07-01 08:00", off, temperature=-14.0),  # defrost: out of range 40 min
    tel(d, "2026-07-01 08:40", off, temperature=-18.0),
    tel(d, "2026-07-01 16:00", off, temperature=-21.0),
    sched("2026-07-02 00:00", off),
]
f = ([-20.0, -14.0, -18.0, -21.0], [480, 40, 440, 480])
write("frozen.json", {
    "description": "Freezer, -25 to -15 °C, 60 min allowed, readings held up to 8 h. A 40 min defrost excursion (-14 °C, 08:00-08:40) is counted, not alarmed. USP <1079.2> does not apply the MKT to frozen products, so for a range at or below 0 °C the record has no MKT (null) and the day passes on its excursions: 4 readings, min -21, max -14, 40 min out of range, full coverage, time-weighted mean (-20*480 - 14*40 - 18*440 - 21*480)/1440 = -28160/1440 = -19.556 °C (hand calculation).",
    "config": {"low": -25, "high": -15, "allowed_excursion_min": 60, "max_gap_min": 480},
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [],
        "kv": {f"d:{d}": [{"date": "2026-07-01", "n": 4, "min": -21, "max": -14, "mkt": None, "mean": -28160 / 1440,
                           "out_min": 40, "excursions": 1, "alarms": 0, "longest_min": 40, "coverage": 1, "pass": True}]},
    },
    "rel": 1e-9,
})

# 4. bad and missing data ------------------------------------------------------------------
off = 8
d = "fridge-03"
day = "2026-07-01"
ev = [
    tel(d, f"{day} 00:00", off, temperature=5.0),
    tel(d, f"{day} 00:20", off, temperature=5.5, humidity=60.5),
    tel(d, f"{day} 00:30", off, humidity=61.0),             # no temperature: ignored
    tel(d, f"{day} 00:40", off, temperature=-999.0),        # sensor fault code: ignored
    tel(d, f"{day} 01:00", off, temperature=8.5),           # spike out of range
    tel(d, f"{day} 01:10", off, temperature=6.0),           # back after 10 min: no alarm
    tel(d, f"{day} 00:50", off, temperature=9.0),           # older than the last: ignored
    tel(d, f"{day} 01:20", off, temperature=6.0),
    # gateway down 01:20-05:00: 6.0 held 30 min, then no data
    tel(d, f"{day} 05:00", off, temperature=4.0),
    tel(d, f"{day} 05:30", off, temperature=4.0),
    sched("2026-07-02 00:00", off),
    sched("2026-07-03 00:00", off),                          # a day without data: no record
]
v4 = ([5.0, 5.5, 8.5, 6.0, 6.0, 4.0, 4.0], [20, 30, 10, 10, 30, 30, 30])
write("missing-data.json", {
    "description": "Defaults (2-8 °C, 30 min allowed, readings held 30 min, UTC+8). Ignored: a humidity-only message, the fault code -999, and a reading older than the last (00:50 after 01:10). 8.5 °C at 01:00 is a 10 min excursion (no alarm). The data stop at 01:20 (6.0 held to 01:50) and resume at 05:00; 4.0 at 05:30 is held to 06:00. 5.5 at 00:20 holds only to 00:50 (the ignored messages are not temperature readings), 00:50-01:00 has no data. Held minutes: 5.0 20, 5.5 30, 8.5 10, 6.0 10 + 30, 4.0 30 + 30 = 160 of 1440 (coverage 0.111); 7 readings, min 4.0, max 8.5, 10 min out of range, 1 excursion, no alarm: pass. The next day has no data and gets no record. MKT and mean by numpy (tools/fixtures.py).",
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [],
        "kv": {f"d:{d}": [{"date": day, "n": 7, "min": 4.0, "max": 8.5, "mkt": mkt(*v4), "mean": tmean(*v4),
                           "out_min": 10, "excursions": 1, "alarms": 0, "longest_min": 10,
                           "coverage": 160 / 1440, "pass": True}]},
    },
    "rel": 1e-9,
})
print("written")

# 5. two sensors in one installation -------------------------------------------------------
off = 8
ev = [
    tel("room-a", "2026-07-01 22:00", off, temperature=5.0),
    tel("room-b", "2026-07-01 22:00", off, temperature=5.0),
    tel("room-b", "2026-07-01 23:50", off, temperature=9.0),  # out of range, then silent
    sched("2026-07-02 00:00", off),   # closes both days; room-b 10 min out
    sched("2026-07-02 00:15", off),   # 25 min: not due yet
    sched("2026-07-02 00:30", off),   # 40 min > 30: alarm for room-b only
    tel("room-b", "2026-07-02 01:00", off, temperature=6.0),  # back: cleared
]
b = ([5.0, 9.0], [110, 10])
write("two-sensors.json", {
    "description": "Two rooms in one installation, 2-8 °C, 30 min allowed, readings held up to 180 min, UTC+8. Both start at 22:00 with 5.0 °C. room-a stays there: its first day (from 22:00) has MKT = mean = 5.0 °C exactly (a constant temperature is its own MKT), coverage 120/1440, pass. room-b reads 9.0 at 23:50 and then nothing: its day has 5.0 for 110 min and 9.0 for 10 min (MKT by numpy), 10 min out of range, one excursion, no alarm, MKT in range: pass. The schedule at 00:30 sees 40 min > 30 and raises the alarm for room-b only; 6.0 at 01:00 clears it.",
    "config": {"max_gap_min": 180},
    "thing_models": {"sensor": SENSOR},
    "devices": {"room-a": {"product": "sensor"}, "room-b": {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [{"op": "raise", "device": "room-b", "type": "temperature_excursion"},
                   {"op": "clear", "device": "room-b", "type": "temperature_excursion"}],
        "kv": {"devices": {"d": ["room-a", "room-b"]},
               "d:room-a": [{"date": "2026-07-01", "n": 1, "min": 5, "max": 5, "mkt": 5.0, "mean": 5.0, "out_min": 0,
                             "excursions": 0, "alarms": 0, "coverage": 120 / 1440, "pass": True}],
               "d:room-b": [{"date": "2026-07-01", "n": 2, "min": 5, "max": 9, "mkt": mkt(*b), "mean": tmean(*b), "out_min": 10,
                             "excursions": 1, "alarms": 0, "longest_min": 10, "coverage": 120 / 1440, "pass": True}]},
    },
    "rel": 1e-9,
})
print("written")

# 6. no tolerance: alarm on the first reading out of range ------------------------------------
off = 8
d = "vaccine-fridge-1"
ev = [
    tel(d, "2026-07-01 00:00", off, temperature=5.0),
    tel(d, "2026-07-01 01:00", off, temperature=8.2),
    tel(d, "2026-07-01 01:05", off, temperature=7.9),
]
write("no-tolerance.json", {
    "description": "A vaccine refrigerator configured with no tolerance (allowed_excursion_min 0): the first reading above 8 °C (8.2 at 01:00) raises the alarm at once, the next one in range (7.9 at 01:05) clears it. The day in progress shows one excursion and one alarm.",
    "config": {"allowed_excursion_min": 0, "max_gap_min": 120},
    "thing_models": {"sensor": SENSOR},
    "devices": {d: {"product": "sensor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [{"op": "raise", "device": d, "type": "temperature_excursion", "severity": "major"},
                   {"op": "clear", "device": d, "type": "temperature_excursion"}],
        "kv": {f"c:{d}": {"exc": 0, "alarm": 0, "excursions": 1, "alarms": 1, "n": 3, "min": 5.0, "max": 8.2,
                          "out_ms": 5 * 60000}},
    },
    "rel": 1e-9,
})
print("written")
