#!/usr/bin/env python3
"""Writes the fixtures of apps/cnc-utilisation. The timelines are short and every expected
number is worked by hand in each fixture's description; this script only turns local
times (UTC+8) into timestamps and lays out the JSON. Run from the app folder."""
import datetime as dt
import json
import os

APP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(APP))
TZ = dt.timezone(dt.timedelta(hours=8))


def t(day, hhmm):
    h, m = map(int, hhmm.split(":"))
    return int(dt.datetime(2026, 6, day, h, m, tzinfo=TZ).timestamp() * 1000)


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def dump(name, fx):
    with open(os.path.join(APP, "fixtures", name), "w", encoding="utf-8") as f:
        f.write("{\n")
        keys = list(fx)
        for j, k in enumerate(keys):
            v = fx[k]
            if k == "events":
                f.write(' "events": [\n' + ",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in v) + "\n ]")
            else:
                f.write(" " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False))
            f.write(",\n" if j < len(keys) - 1 else "\n")
        f.write("}\n")


def mins(**kw):
    out = {s: 0 for s in ["cutting", "active", "idle", "stopped", "manual", "alarm", "unavailable"]}
    out.update(kw)
    return out


# ---- 1. Two days worked by hand ----
D = "cnc-01"
P = "vmc"
ev = [
    tel(D, P, t(1, "08:00"), mode=1, spindle_speed=2400, spindle_load=35, program="O1001"),
    tel(D, P, t(1, "09:00"), spindle_load=35),
    tel(D, P, t(1, "09:30"), spindle_load=2),
    tel(D, P, t(1, "09:40"), spindle_speed=0, spindle_load=0),
    tel(D, P, t(1, "10:00"), mode=0),
    tel(D, P, t(1, "10:30"), mode=3),
    tel(D, P, t(1, "10:45"), mode=1, spindle_speed=3000, spindle_load=40, program="O2002"),
    tel(D, P, t(1, "11:00"), spindle_load=41),
    tel(D, P, t(1, "11:15"), spindle_load=41),
    tel(D, P, t(1, "11:30"), spindle_load=41),
    tel(D, P, t(1, "11:45"), spindle_load=41),
    tel(D, P, t(1, "12:00"), spindle_load=41),
    {"kind": "schedule", "cron": "*/5 * * * *", "at": t(1, "16:05")},
    {"kind": "schedule", "cron": "*/5 * * * *", "at": t(2, "00:05")},
    tel(D, P, t(2, "08:00"), mode=1, spindle_speed=2400, spindle_load=35, program="O1001"),
] + [tel(D, P, t(2, f"{h:02d}:00"), spindle_load=36) for h in range(9, 17)]
s1 = {"date": "2026-06-01", "shift": 2, "start": t(1, "08:00"), "end": t(1, "16:00"), "observed_min": 480,
      "minutes": mins(cutting=225, active=10, idle=20, manual=30, alarm=15, unavailable=180),
      "utilisation": 0.46875, "in_cycle": 235 / 480, "programs": [["O2002", 135, 135], ["O1001", 90, 100]]}
s2 = {"date": "2026-06-01", "shift": 3, "start": t(1, "16:00"), "end": t(2, "00:00"), "observed_min": 480,
      "minutes": mins(unavailable=480), "utilisation": 0, "in_cycle": 0, "programs": []}
s3 = {"date": "2026-06-02", "shift": 1, "start": t(2, "00:00"), "end": t(2, "08:00"), "observed_min": 480,
      "minutes": mins(unavailable=480), "utilisation": 0, "in_cycle": 0, "programs": []}
s4 = {"date": "2026-06-02", "shift": 2, "start": t(2, "08:00"), "end": t(2, "16:00"), "observed_min": 480,
      "minutes": mins(cutting=480), "utilisation": 1, "in_cycle": 1, "programs": [["O1001", 480, 480]]}
d1 = {"date": "2026-06-01", "shift": 0, "start": t(1, "00:00"), "end": t(2, "00:00"), "observed_min": 960,
      "minutes": mins(cutting=225, active=10, idle=20, manual=30, alarm=15, unavailable=660),
      "utilisation": 225 / 960, "in_cycle": 235 / 960, "programs": [["O2002", 135, 135], ["O1001", 90, 100]]}
dump("two-days-by-hand.json", {
    "description": ("Two days of a machining centre worked by hand (UTC+8, shifts 00:00/08:00/16:00 = #1/#2/#3, max_gap_s 3600, target 0.5). "
                    "Day 1, shift #2 (08:00–16:00): 08:00 auto, 2400 r/min, load 35 % ≥ 5 %, program O1001 → cutting (a reading at 09:00 keeps it within max_gap_s); 09:30 load 2 % → active; "
                    "09:40 spindle stopped → idle; 10:00 mode 0 → manual; 10:30 mode 3 (e-stop) → alarm; 10:45 auto, 3000 r/min, 40 %, O2002 → cutting, "
                    "readings every 15 min to 12:00, then none: the state is held 1 h (to 13:00), then unavailable. Minutes: cutting 90 + 75 + 60 = 225, "
                    "active 10, idle 20, manual 30, alarm 15, unavailable 180 (sum 480); utilisation 225/480 = 0.46875 < 0.5 → low_spindle_utilisation "
                    "raised, 46.875 % written at 16:00; in cycle (225 + 10)/480; programs O2002 135/135 min (cut/in cycle), O1001 90/100. "
                    "The schedule at 16:05 closes it; the one at 00:05 closes shift #3 (all 480 min unavailable: not rated, nothing written) and the day "
                    "(observed from 08:00, 960 min: cutting 225, unavailable 180 + 480 = 660; utilisation 225/960 = 0.234375). Day 2: the 08:00 reading "
                    "closes shift #1 (480 min unavailable, not rated); cutting O1001 with hourly readings; the 16:00 reading closes shift #2 with 480 "
                    "cutting minutes: utilisation 1 → 100 % written, the alarm cleared."),
    "config": {"max_gap_s": 3600, "utilisation_target": 0.5, "utilisation_property": "spindle_util"},
    "devices": {D: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": D, "ts": t(1, "16:00"), "values": {"spindle_util": 46.875}},
                   {"device": D, "ts": t(2, "16:00"), "values": {"spindle_util": 100}}],
        "alarms": [{"op": "raise", "device": D, "type": "low_spindle_utilisation", "severity": "warning",
                    "details": {"date": "2026-06-01", "shift": 2, "utilisation": 0.46875, "target": 0.5, "cutting_min": 225, "observed_min": 480}},
                   {"op": "clear", "device": D, "type": "low_spindle_utilisation"}],
        "kv": {"devices": [D], f"h:{D}": {"shifts": [s1, s2, s3, s4], "days": [d1]},
               f"m:{D}": {"state": "cutting", "low": False, "cursor": t(2, "16:00"), "shift": {"date": "2026-06-02", "shift": 3, "start": t(2, "16:00")},
                          "day": {"date": "2026-06-02", "s": {"cutting": 28800, "unavailable": 28800}}}},
        "logs": ["shift 2026-06-01 #2 closed: utilisation 46.9 %", "day 2026-06-01 closed: utilisation 23.4 %"],
    },
    "rel": 1e-9,
})

# ---- 2. The demo CNC, default configuration ----
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
cnc = next(p for p in products if p["product_key"] == "demo-cnc")
D, P = "cnc-01", "demo-cnc"
ev = [
    tel(D, P, t(3, "14:00"), mode=1, spindle_speed=8000, spindle_load=22.5, feed_rate=1200, program="O0100", part_count=10,
        axis_position=[120.5, 40.25, -12.0], tool={"number": 4, "wear": 0.05}),
    tel(D, P, t(3, "14:01"), spindle_load=3.0, feed_rate=8000),
    tel(D, P, t(3, "14:02"), spindle_speed=0, spindle_load=0.0, part_count=11),
    tel(D, P, t(3, "14:04"), mode=2),
    tel(D, P, t(3, "14:05"), mode=3),
    tel(D, P, t(3, "14:07"), mode=1, spindle_speed=8000, spindle_load=30.0, program="O0200"),
    tel(D, P, t(3, "14:10"), spindle_load=31.0, feed_override=100),
    tel(D, P, t(3, "14:11"), feed_rate=900),
]
dump("demo-cnc.json", {
    "description": ("The demo's machining centre (demo-cnc thing model: mode enum 0 manual, 1 auto, 2 MDI, 3 e-stop; spindle_speed int r/min; "
                    "spindle_load %; program text) with the default configuration, in shift #2 (08:00–16:00, UTC+8) of 2026-06-03. "
                    "14:00 auto, 8000 r/min, 22.5 % ≥ 5 %, O0100 → cutting; 14:01 load 3 % → active; 14:02 spindle stopped → idle; 14:04 mode 2 (MDI) → "
                    "manual; 14:05 mode 3 → alarm; 14:07 auto, 8000 r/min, 30 %, O0200 → cutting; 14:10 and 14:11 readings (a feed rate alone is "
                    "no machine signal: no time is attributed for it). Seconds so far: cutting 60 + 180 = 240, active 60, idle 120, manual 60, "
                    "alarm 120; programs O0100 60 s cutting / 120 s in cycle, O0200 180/180. Nothing written, no alarm (target off)."),
    "thing_models": {P: {"properties": cnc["thing_model"]["properties"]}},
    "devices": {D: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "kv": {"devices": [D],
               f"m:{D}": {"state": "cutting", "since": t(3, "14:07"), "program": "O0200", "cursor": t(3, "14:10"),
                          "vals": {"mode": "1", "speed": 8000, "load": 31, "program": "O0200"},
                          "shift": {"date": "2026-06-03", "shift": 2, "start": t(3, "08:00"), "end": t(3, "16:00"),
                                    "s": {"cutting": 240, "active": 60, "idle": 120, "stopped": 0, "manual": 60, "alarm": 120, "unavailable": 0},
                                    "programs": {"O0100": [60, 120], "O0200": [180, 180]}},
                          "day": {"date": "2026-06-03", "s": {"cutting": 240, "active": 60, "idle": 120, "manual": 60, "alarm": 120}}},
               f"h:{D}": {"shifts": [], "days": []}},
    },
})

# ---- 3. MTConnect EXECUTION signal, bad and missing data ----
D, P = "mill-01", "mill"
ev = [
    tel(D, P, t(4, "09:59"), coolant_temp=21.5),
    tel("mill-02", P, t(4, "10:00"), spindle_speed="n/a"),
    tel(D, P, t(4, "10:00"), mode="AUTOMATIC", execution="ACTIVE", spindle_speed=5000, program="P7"),
    tel(D, P, t(4, "10:10"), execution="FEED_HOLD"),
    tel(D, P, t(4, "10:05"), spindle_speed=5100),
    tel(D, P, t(4, "10:20"), execution="interrupted"),
    tel(D, P, t(4, "10:30"), execution="READY", spindle_speed=0),
    tel(D, P, t(4, "10:40"), mode="MANUAL_DATA_INPUT"),
    tel(D, P, t(4, "10:50"), mode=""),
    tel(D, P, t(4, "11:00"), mode="AUTOMATIC", execution="ACTIVE", spindle_speed=5000, spindle_load=2),
    tel(D, P, t(4, "11:30"), spindle_load=60),
    {"kind": "telemetry", "device": D, "product": P, "points": []},
    {"kind": "manual", "at": t(4, "11:40")},
]
dump("execution-and-bad-data.json", {
    "description": ("A machine reporting MTConnect-style strings (product without a thing model; shift #2 of 2026-06-04, UTC+8, max_gap_s 900), "
                    "with bad and missing data. A message with none of the machine's signals does nothing (no state). mill-02 reports a text "
                    "spindle speed: ignored with a warning, its state starts idle. mill-01: 10:00 CONTROLLER_MODE AUTOMATIC, EXECUTION ACTIVE, "
                    "5000 r/min and no load signal (the spindle turning counts as cutting) → cutting; 10:10 FEED_HOLD → stopped; a reading stamped "
                    "10:05 arrives after it → skipped (out of order); 10:20 'interrupted' (any case) → stopped; 10:30 READY, spindle stopped → idle; "
                    "10:40 MANUAL_DATA_INPUT → manual; 10:50 an empty mode → ignored, still manual (but the machine is reporting: the hold restarts); 11:00 AUTOMATIC, ACTIVE, 5000 r/min, load 2 % "
                    "< 5 % → active; no reading for 30 min: 15 min held, 15 min unavailable; 11:30 load 60 % → cutting. Seconds: cutting 600, "
                    "stopped 1200, idle 600, manual 1200, active 900, unavailable 900. An empty message and a manual run at 11:40 (no boundary "
                    "passed) change nothing."),
    "devices": {D: {"product": P}, "mill-02": {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "kv": {"devices": ["mill-02", D],
               f"m:{D}": {"state": "cutting", "since": t(4, "11:30"), "cursor": t(4, "11:30"), "last_data": t(4, "11:30"),
                          "vals": {"mode": "AUTOMATIC", "exec": "ACTIVE", "speed": 5000, "load": 60, "program": "P7"},
                          "shift": {"shift": 2, "s": {"cutting": 600, "active": 900, "idle": 600, "stopped": 1200, "manual": 1200, "alarm": 0, "unavailable": 900},
                                    "programs": {"P7": [600, 1500]}}},
               "m:mill-02": {"state": "idle", "vals": {}}},
        "logs": ["mill-02: ignored 1 reading(s) of the wrong type", "skipped 1 reading(s) older than the machine's clock",
                 "mill-01: ignored 1 reading(s) of the wrong type", "manual run"],
    },
})
