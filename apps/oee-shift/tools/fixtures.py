#!/usr/bin/env python3
"""Writes apps/oee-shift/fixtures/*.json.

The expected numbers are NOT the app's output: each scenario states its planned time,
run time, counts and ideal cycle by hand (see the descriptions), and this script only
evaluates A = run/planned, P = cycle*total/run, Q = good/total, OEE = A*P*Q with exact
fractions (ISO 22400-2 §5; Nakajima). The first scenario is the published worked example
of oee.com (Vorne Industries, "OEE calculation", preferred calculation):
480 min shift, 60 min breaks, 47 min down time, 1.0 s ideal cycle, 19 271 total, 423
rejects -> A 88.81 %, P 86.11 %, Q 97.80 %, OEE 74.80 %.
Run: python3 apps/oee-shift/tools/fixtures.py
"""
import json
import os
from datetime import datetime, timezone
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
OFF_H = 8  # local time = UTC + 8 h


def ms(local):
    """Local 'YYYY-MM-DD HH:MM' at UTC+8 -> ms since the epoch."""
    t = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    return int(t.timestamp() * 1000) - OFF_H * 3600 * 1000


def tel(device, local, **values):
    t = ms(local)
    return {"kind": "telemetry", "device": device,
            "points": [{"property": k, "ts": t, "value": v} for k, v in values.items()]}


def sched(local):
    return {"kind": "schedule", "cron": "*/5 * * * *", "at": ms(local)}


def oee(planned_min, run_min, cycle_s, total, good):
    a = F(run_min) / F(planned_min)
    p = F(cycle_s) * total / (F(run_min) * 60) if run_min else F(0)
    q = F(good, total) if total else F(0)
    return {"availability": float(a), "performance": float(p), "quality": float(q),
            "oee": float(a * p * q)}


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


CNC_MODEL = {"properties": [
    {"identifier": "spindle_speed", "name": "Spindle speed", "access": "r", "data_type": {"type": "int", "min": 0, "max": 12000, "unit": "r/min"}},
    {"identifier": "spindle_load", "name": "Spindle load", "access": "r", "data_type": {"type": "float", "min": 0, "max": 150, "unit": "%"}},
    {"identifier": "part_count", "name": "Part count", "access": "r", "data_type": {"type": "int", "min": 0}},
    {"identifier": "availability", "name": "Availability (app)", "access": "r", "data_type": {"type": "double", "min": 0, "max": 1}},
    {"identifier": "performance", "name": "Performance (app)", "access": "r", "data_type": {"type": "double", "min": 0, "max": 5}},
    {"identifier": "quality", "name": "Quality (app)", "access": "r", "data_type": {"type": "double", "min": 0, "max": 1}},
    {"identifier": "oee", "name": "OEE (app)", "access": "r", "data_type": {"type": "double", "min": 0, "max": 5}},
]}

# 1. oee.com worked example ----------------------------------------------------------
d = "line-07"
day = "2026-03-02"
ev = [
    tel(d, f"{day} 08:00", run_state=1, part_count=1000, reject_count=50),
    tel(d, f"{day} 10:00", run_state=0, part_count=7200, reject_count=180),   # break 15 min
    tel(d, f"{day} 10:15", run_state=1),
    tel(d, f"{day} 12:00", run_state=0, part_count=12600, reject_count=290),  # meal 30 min
    tel(d, f"{day} 12:30", run_state=2),                                       # fault 47 min
    tel(d, f"{day} 13:17", run_state=1),
    tel(d, f"{day} 14:45", run_state=0, part_count=16900, reject_count=390),  # break 15 min
    tel(d, f"{day} 15:00", run_state=1),
    tel(d, f"{day} 15:59", run_state=1, part_count=20271, reject_count=473),
    sched(f"{day} 16:00"),
]
r = oee(420, 373, 1, 19271, 18848)
write("oee-com-example.json", {
    "description": "Published worked example, oee.com (Vorne) 'OEE calculation': shift 480 min, breaks 60 min, down time 47 min, ideal cycle 1.0 s, total 19 271, rejects 423 -> planned 420 min, run 373 min, good 18 848; A = 373/420 = 88.81 %, P = 19271/22380 = 86.11 %, Q = 18848/19271 = 97.80 %, OEE = 18848/25200 = 74.80 % (exact fractions by tools/fixtures.py). Replayed as a line reporting run_state (1 run, 0 stop, 2 fault) on change: runs 08:00-10:00, 10:15-12:00, 13:17-14:45, 15:00-16:00 = 373 min; part and reject counters increase by 19 271 and 423; the schedule at 16:00 (UTC+8) closes the shift. Target 0.6: no alarm.",
    "config": {"run_property": "run_state", "run_above": 0.5, "run_at_most": 1.5,
               "count_property": "part_count", "reject_property": "reject_count",
               "ideal_cycle_s": 1, "planned_stop_min": 60, "max_gap_s": 7200,
               "shift_starts": ["08:00", "16:00", "00:00"], "utc_offset_h": 8, "oee_target": 0.6},
    "devices": {d: {"product": "line"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": d, "ts": ms(f"{day} 16:00"), "values": r}],
        "alarms": [],
        "kv": {f"h:{d}": [dict({"date": day, "shift": 2, "planned_min": 420, "run_min": 373,
                                "total": 19271, "good": 18848}, **r)]},
    },
    "rel": 1e-9,
})

# 2. alarm raised and cleared ------------------------------------------------------------
d = "cnc-02"
ev = [
    tel(d, f"{day} 08:00", spindle_speed=1000, part_count=500),
    tel(d, f"{day} 11:20", spindle_speed=0, part_count=650),     # breakdown
    tel(d, f"{day} 14:40", spindle_speed=1000),
    tel(d, f"{day} 15:59", spindle_speed=1000, part_count=690),
    tel(d, f"{day} 16:02", spindle_speed=1000, part_count=692),  # first reading of the next shift
    tel(d, f"{day} 20:00", spindle_speed=0, part_count=892),     # meal
    tel(d, f"{day} 20:30", spindle_speed=1000),
    tel(d, f"{day} 23:59", spindle_speed=1000, part_count=1072),
    sched("2026-03-03 00:00"),
]
r1 = oee(450, 280, 60, 190, 190)
r2 = oee(450, 450, 60, 382, 382)
write("alarm-raise-clear.json", {
    "description": "Demo CNC defaults (spindle_speed > 0 runs, part_count, no reject counter so good = total), ideal cycle 60 s, 30 min planned stop per 8 h shift, target 0.6. Shift 08:00-16:00: runs 08:00-11:20 and 14:40-16:00 = 280 min of 450 planned, 150 + 40 = 190 parts: A = 280/450, P = 190/280, Q = 1, OEE = 190/450 = 0.4222 < 0.6, closed by the first reading of the next shift (16:02), alarm raised. Shift 16:00-24:00: runs 16:00-20:00 (the held run state covers 16:00-16:02) and 20:30-24:00 = 450 min, 2 + 200 + 180 = 382 parts: A = 1, P = 382/450 = 0.8489, OEE = 0.8489, closed by the schedule at 00:00, alarm cleared. Hand calculation.",
    "config": {"ideal_cycle_s": 60, "planned_stop_min": 30, "max_gap_s": 14400, "oee_target": 0.6},
    "devices": {d: {"product": "cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": d, "ts": ms(f"{day} 16:00"), "values": r1},
                   {"device": d, "ts": ms("2026-03-03 00:00"), "values": r2}],
        "alarms": [{"op": "raise", "device": d, "type": "low_oee", "severity": "warning"},
                   {"op": "clear", "device": d, "type": "low_oee"}],
        "kv": {f"h:{d}": [dict({"date": day, "shift": 2, "planned_min": 450, "run_min": 280, "total": 190, "good": 190}, **r1),
                          dict({"date": day, "shift": 3, "planned_min": 450, "run_min": 450, "total": 382, "good": 382}, **r2)]},
    },
    "rel": 1e-9,
})

# 3. boundaries: first reading mid-shift, a night shift over midnight, a counter reset --
d = "cnc-01"
ev = [
    tel(d, f"{day} 20:00", spindle_speed=800, part_count=9990),   # first reading ever
    tel(d, f"{day} 22:00", spindle_speed=820, part_count=10230),  # +240
    sched(f"{day} 22:30"),                                         # nothing ends yet
    tel(d, f"{day} 23:00", spindle_speed=820, part_count=15),     # reset: +15
    tel(d, "2026-03-03 02:00", spindle_speed=0, part_count=375),   # +360, tool change
    tel(d, "2026-03-03 03:00", spindle_speed=900),
    tel(d, "2026-03-03 05:50", spindle_speed=900, part_count=715), # +340
    tel(d, "2026-03-03 06:10", spindle_speed=900, part_count=755), # next shift: closes the night
]
r = oee(550, 540, 30, 955, 955)
write("boundaries.json", {
    "description": "Two 12 h shifts (06:00, 18:00 at UTC+8), 60 min planned stop per shift, ideal cycle 30 s, the demo-cnc thing model with the four derived properties. The first reading ever comes at 20:00, so the night shift 18:00-06:00 is planned from 20:00: 600 min observed - 60*600/720 = 550 min planned. It runs 20:00-02:00 and 03:00-06:00 = 540 min; the part counter goes 9990 -> 10230 (+240), is reset to 15 (+15: what was made since the reset), then 375 (+360) and 715 (+340) = 955 parts. A = 540/550, P = 30*955/(540*60) = 0.8843, Q = 1, OEE = 477.5/550 = 0.8682, dated on the day the shift starts (2026-03-02, shift 2), written at 06:00 when the first reading of the day shift arrives (06:10); the schedule at 22:30 does nothing. The day shift so far: 10 min run (06:00-06:10 held), 40 parts. Hand calculation.",
    "config": {"shift_starts": ["06:00", "18:00"], "utc_offset_h": 8, "ideal_cycle_s": 30,
               "planned_stop_min": 60, "max_gap_s": 14400},
    "thing_models": {"demo-cnc": CNC_MODEL},
    "devices": {d: {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": d, "ts": ms("2026-03-03 06:00"), "values": r}],
        "alarms": [],
        "kv": {f"h:{d}": [dict({"date": day, "shift": 2, "start": ms(f"{day} 18:00"), "end": ms("2026-03-03 06:00"),
                                "planned_min": 550, "run_min": 540, "total": 955, "good": 955}, **r)],
               f"m:{d}": {"start": ms("2026-03-03 06:00"), "end": ms("2026-03-03 18:00"), "shift": 1,
                          "run_ms": 600000, "total": 40, "cnt": 755}},
    },
    "rel": 1e-9,
})

# 4. bad and missing data ----------------------------------------------------------------
d = "cnc-09"
ev = [
    tel(d, f"{day} 08:00", spindle_speed=1000, part_count=100),
    tel(d, f"{day} 08:05", spindle_load=35.5),                     # not used by the app
    tel(d, f"{day} 09:00", spindle_speed=1000, part_count=160),
    tel(d, f"{day} 08:30", spindle_speed=0, part_count=130),      # older than the last: ignored
    tel(d, f"{day} 10:00", spindle_speed=1000, part_count=220),
    # no data 10:00-14:00 (the run state is held 1 h, to 11:00)
    tel(d, f"{day} 14:00", spindle_speed=1000, part_count=230),
    tel(d, f"{day} 15:00", spindle_speed=1000, part_count=290),
    sched(f"{day} 16:00"),
    sched("2026-03-03 00:00"),                                      # no data at all: idle
    tel(d, "2026-03-04 08:30", spindle_speed=0, part_count=290),   # back, two days later, idle
    tel(d, "2026-03-04 15:55", spindle_speed=0, part_count=290),
    sched("2026-03-04 16:00"),
]
r = oee(480, 300, 60, 190, 190)
write("missing-data.json", {
    "description": "Defaults (08:00/16:00/00:00 at UTC+8, no planned stop), ideal cycle 60 s, run state held at most 1 h. Shift 08:00-16:00: a reading without the app's properties (spindle_load) and one older than the last (08:30 after 09:00) are ignored; the data stop at 10:00 and the run state is held to 11:00, then 11:00-14:00 counts as not running; 14:00-16:00 runs. Run = 180 + 120 = 300 of 480 min, parts 290 - 100 = 190: A = 0.625, P = 190/300, OEE = 190/480 = 0.3958 < 0.6: alarm. The shifts after, without data or with the machine standing still and no parts, are not rated (skip_idle), so there is no other write and the alarm stays. Hand calculation.",
    "config": {"ideal_cycle_s": 60, "max_gap_s": 3600},
    "devices": {d: {"product": "cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": d, "ts": ms(f"{day} 16:00"), "values": r}],
        "alarms": [{"op": "raise", "device": d, "type": "low_oee"}],
        "kv": {f"h:{d}": [dict({"date": day, "shift": 2, "planned_min": 480, "run_min": 300, "nodata_min": 180,
                                "total": 190, "good": 190}, **r)]},
    },
    "rel": 1e-9,
})
print("written")

# 5. several machines in one installation, closed by one schedule -------------------------
ev = [
    tel("press-a", f"{day} 08:00", spindle_speed=900, part_count=0),
    tel("press-b", f"{day} 08:00", spindle_speed=900, part_count=50),
    tel("press-c", f"{day} 08:00", spindle_speed=0, part_count=7),
    tel("press-b", f"{day} 10:00", spindle_speed=0, part_count=150),
    tel("press-a", f"{day} 12:00", spindle_speed=900, part_count=200),
    tel("press-c", f"{day} 12:00", spindle_speed=0, part_count=7),
    tel("press-b", f"{day} 14:00", spindle_speed=0, part_count=150),
    tel("press-a", f"{day} 15:59", spindle_speed=900, part_count=432),
    sched(f"{day} 16:00"),
    sched(f"{day} 16:05"),  # nothing ends before 24:00: no work
]
ra = oee(480, 480, 60, 432, 432)
rb = oee(480, 120, 60, 100, 100)
write("several-machines.json", {
    "description": "Three presses in one installation, shift 08:00-16:00 (UTC+8), no planned stop, ideal cycle 60 s, a reject property configured that the presses never report (so every part is good), run state held up to 4 h. press-a runs the whole shift, 432 parts: A = 1, P = 432/480 = 0.9, OEE 0.9. press-b runs 08:00-10:00 then stands still, 100 parts: A = 120/480 = 0.25, P = 100/120, OEE = 100/480 = 0.2083 < 0.6: alarm. press-c stands still with no parts: idle, not rated. One schedule at 16:00 closes all three; the one at 16:05 finds nothing to do. Hand calculation.",
    "config": {"ideal_cycle_s": 60, "max_gap_s": 14400, "reject_property": "scrap_count"},
    "devices": {"press-a": {"product": "press"}, "press-b": {"product": "press"}, "press-c": {"product": "press"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": "press-a", "ts": ms(f"{day} 16:00"), "values": ra},
                   {"device": "press-b", "ts": ms(f"{day} 16:00"), "values": rb}],
        "alarms": [{"op": "raise", "device": "press-b", "type": "low_oee"}],
        "kv": {"devices": {"next": ms(f"{day} 23:59") + 60000, "d": ["press-a", "press-b", "press-c"]},
               "h:press-a": [dict({"date": day, "shift": 2, "run_min": 480, "total": 432}, **ra)],
               "h:press-b": [dict({"date": day, "shift": 2, "run_min": 120, "total": 100}, **rb)]},
    },
    "rel": 1e-9,
})
print("written")
