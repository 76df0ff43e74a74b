#!/usr/bin/env python3
"""Writes the fixtures of apps/shift-handover. Every expected value is worked out here by hand
(plain Python arithmetic, also in each description), never taken from the app.
Run: python3 apps/shift-handover/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z = 08:00 China Standard Time
S = 1000
M = 60000
H = 3600000


def tel(device, product, ts, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in values.items()]}


def alarm(change, device, product, atype, severity, start, last=None, active=True):
    return {"kind": "alarm", "change": change, "device": device, "product": product,
            "alarm": {"id": device + atype, "type": atype, "severity": severity, "active": active, "acknowledged": False,
                      "count": 1, "start_ts": start, "last_ts": last if last is not None else start, "details": {}, "rule_id": None}}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def hm(h, m=0, s=0):
    return T0 + h * H + m * M + s * S


# --- 1. A shift worked by hand ---------------------------------------------------------------
# Shift B of 2026-03-02 (14:00-22:00 CST = 06:00-14:00 UTC), max_gap_s 14 400 (samples here are hours apart).
run1 = hm(10) - hm(6, 0, 30)            # mode 1 from 06:00:30 to 10:00
run2 = hm(14) - hm(10, 30)              # mode 1 from 10:30 to the end (last sample 13:00 + 4 h covers it)
run_h = (run1 + run2) / H               # 3.991667 + 3.5 = 7.491667 h
count = (1260 - 1200) + (1300 - 1260) + 5 + (45 - 5)   # 145, one reset (1300 -> 5)
note = {"author": "Wang Fang", "device": "cnc-01", "text": "Spindle overload at 16:10: chip jam cleared; watch tool T12 on the next batch."}
ev = [tick(hm(6)),
      tel("cnc-01", "demo-cnc", hm(6, 0, 30), mode=1, part_count=1200),
      tel("cnc-01", "demo-cnc", hm(8), part_count=1260),
      alarm("raised", "cnc-01", "demo-cnc", "spindle_overload", "major", hm(8, 10)),
      alarm("raised", "pump-01", "demo-pump", "bearing_warm", "warning", hm(8, 12)),
      alarm("cleared", "cnc-01", "demo-cnc", "spindle_overload", "major", hm(8, 10), hm(8, 40), active=False),
      alarm("updated", "boiler-01", "demo-boiler", "low_water_level", "major", T0 - 20 * H, hm(9)),
      tel("cnc-01", "demo-cnc", hm(10), mode=0, part_count=1300),
      tel("cnc-01", "demo-cnc", hm(10, 30), mode=1),
      tel("cnc-01", "demo-cnc", hm(11), part_count=5),
      http("note", dict(note, ts=hm(12))),
      tel("cnc-01", "demo-cnc", hm(13), part_count=45),
      tick(hm(14)),
      http("reports", {})]
report1 = {
    "id": "2026-03-02 B", "name": "B", "date": "2026-03-02", "start": hm(6), "end": hm(14), "observed_from": hm(6), "observed_to": hm(14), "partial": False, "seq": 1,
    "alarms": {"raised": 2, "cleared": 1, "open_at_end": 2, "stale": 1, "rate_per_10min": 2 / 48, "rate_per_hour": 2 / 8, "peak_10min": 2, "flood_windows": 0, "windows": 48,
               "raised_list": [{"device": "cnc-01", "type": "spindle_overload", "severity": "major", "ts": hm(8, 10)},
                               {"device": "pump-01", "type": "bearing_warm", "severity": "warning", "ts": hm(8, 12)}],
               "cleared_list": [{"device": "cnc-01", "type": "spindle_overload", "ts": hm(8, 40), "open_h": 0.5}],
               "open_list": [{"device": "boiler-01", "type": "low_water_level", "since": T0 - 20 * H, "open_h": 34, "stale": True},
                             {"device": "pump-01", "type": "bearing_warm", "since": hm(8, 12), "open_h": 5.8, "stale": False}]},
    "production": [{"device": "cnc-01", "count": count, "resets": 1}], "total_count": count,
    "running": [{"device": "cnc-01", "run_h": run_h, "run_pct": run_h / 8 * 100, "running_at_end": True}],
    "notes": [dict(note, ts=hm(12))],
}
write("shift-by-hand.json", {
    "description": "One shift worked by hand: shift B of 2026-03-02, 14:00-22:00 China Standard Time (utc_offset_min 480) = 06:00-14:00 UTC; max_gap_s 14 400 because the samples here are hours apart. "
    "cnc-01 (demo-cnc): mode 1 (Auto) from 06:00:30 to 10:00 (3 h 59 min 30 s = 3.991667 h) and from 10:30 to the end of the shift (its last sample at 13:00 is trusted for 4 h: 3.5 h): "
    "7.491667 h = 93.646 % of 8 h. part_count 1200 -> 1260 -> 1300 -> 5 (reset: counted from 0) -> 45: 60 + 40 + 5 + 40 = 145 parts, 1 reset. "
    "Alarms: spindle_overload raised 08:10 and cleared 08:40 (open 0.5 h); bearing_warm on pump-01 raised 08:12 and still open at 14:00 (5.8 h); low_water_level on boiler-01, active since "
    "2026-03-01 04:00 UTC (seen as 'updated': open, not raised in this shift), open 34 h at the end > 24 h: stale (ISA-18.2). Raised 2 in 48 ten-minute windows: 0.041667 per 10 min, 0.25 per hour; "
    "both in the window 08:10-08:20 (the 14th from 06:00): peak 2, no flood (> 10). An operator's note at 12:00. The tick at 14:00 closes the shift and writes the report; 'reports' answers it.",
    "config": {"max_gap_s": 14400},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "pump-01": {"product": "demo-pump"}, "boiler-01": {"product": "demo-boiler"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 201, "body": {"shift": "2026-03-02 B", "note": dict(note, ts=hm(12))}}, {"status": 200, "body": {"reports": [report1]}}],
        "alarms": [], "writes": [],
        "kv": {"r:0": report1, "shift": {"id": "2026-03-02 C", "start": hm(14), "end": hm(22), "partial": False}, "dev:cnc-01": {"count": 0, "run_ms": 0, "counter": 45}},
        "logs": ["shift 2026-03-02 B closed: 2 alarms raised, 1 cleared, 2 open (1 stale); 145 parts; 1 notes", "counter reset"],
    },
    "rel": 1e-6,
})

# --- 2. The demo's devices with the default configuration ----------------------------------
# Default shifts A 06:00, B 14:00, C 22:00 CST. The app starts at 05:50 UTC (13:50 CST) in shift A
# of 2026-03-02 (started 2026-03-01 22:00 UTC): observed from 05:50, partial.
ev = [tick(hm(5, 50)),
      tel("cnc-01", "demo-cnc", hm(5, 50), mode=1, part_count=500),
      tel("motor-01", "demo-motor", hm(5, 51), enabled=True, current=20.5),
      tel("pump-01", "demo-pump", hm(5, 52), run_state=1, flow=80.2),
      tel("cnc-01", "demo-cnc", hm(5, 55), part_count=503),
      tel("pump-01", "demo-pump", hm(5, 56), run_state=0, flow=0),
      alarm("raised", "pump-01", "demo-pump", "bearing_warm", "warning", hm(5, 58)),
      tick(hm(6)),
      tel("cnc-01", "demo-cnc", hm(6, 3), part_count=506),
      alarm("cleared", "pump-01", "demo-pump", "bearing_warm", "warning", hm(5, 58), hm(6, 2), active=False),
      http("report", {"ts": hm(6, 5)}),
      http("reports", {"n": 5})]
reportA = {
    "id": "2026-03-02 A", "start": hm(-2), "end": hm(6), "observed_from": hm(5, 50), "observed_to": hm(6), "partial": True, "seq": 1,
    "alarms": {"raised": 1, "cleared": 0, "open_at_end": 1, "stale": 0, "rate_per_10min": 1, "rate_per_hour": 6, "peak_10min": 1, "flood_windows": 0, "windows": 1,
               "raised_list": [{"device": "pump-01", "type": "bearing_warm", "severity": "warning", "ts": hm(5, 58)}], "cleared_list": [],
               "open_list": [{"device": "pump-01", "type": "bearing_warm", "since": hm(5, 58), "open_h": 2 / 60, "stale": False}]},
    "production": [{"device": "cnc-01", "count": 3, "resets": 0}], "total_count": 3,
    "running": [{"device": "cnc-01", "run_h": 10 / 60, "run_pct": 100, "running_at_end": True},
                {"device": "motor-01", "run_h": 9 / 60, "run_pct": 90, "running_at_end": True},
                {"device": "pump-01", "run_h": 4 / 60, "run_pct": 40, "running_at_end": False}],
    "notes": [],
}
preview = {
    "id": "2026-03-02 B", "start": hm(6), "end": hm(14), "observed_from": hm(6), "observed_to": hm(6, 5), "partial": False, "preview": True,
    "alarms": {"raised": 0, "cleared": 1, "open_at_end": 0, "stale": 0, "rate_per_10min": 0, "peak_10min": 0, "windows": 1,
               "cleared_list": [{"device": "pump-01", "type": "bearing_warm", "ts": hm(6, 2), "open_h": 4 / 60}], "open_list": []},
    "production": [{"device": "cnc-01", "count": 3, "resets": 0}], "total_count": 3,
    "running": [{"device": "cnc-01", "run_h": 5 / 60, "run_pct": 100},
                {"device": "motor-01", "run_h": 1 / 60, "run_pct": 20},
                {"device": "pump-01", "run_h": 0, "run_pct": 0}],
}
write("demo-defaults.json", {
    "description": "The demo's devices with the default configuration (shifts A 06:00, B 14:00, C 22:00 China Standard Time; running = pump run_state 1, CNC mode 1 (Auto), motor enabled; "
    "counter part_count; a running state is trusted for 600 s after the device's last sample). The app starts at 05:50 UTC (13:50 CST), in shift A of 2026-03-02 (from 2026-03-01 22:00 UTC): "
    "the report says partial, observed 05:50-06:00 (10 min). cnc-01 runs 05:50-06:00 (last sample 05:55, trusted to 06:05): 10 min = 100 %; part_count 500 -> 503: 3 parts. "
    "motor-01 enabled at 05:51: 9 min = 90 %. pump-01 run_state 1 at 05:52, 0 at 05:56: 4 min = 40 %. bearing_warm raised on pump-01 at 05:58, open at the end (2 min): 1 alarm in one "
    "10-minute window = 1 per 10 min (6 per hour). Shift B from 06:00: cnc-01 part_count 506 at 06:03 (3 parts), bearing_warm cleared at 06:02 (open 4 min). The preview at 06:05: cnc-01 5 min "
    "(100 %), motor-01 only to 06:01 (its last sample at 05:51 + 600 s): 1 min = 20 %, pump-01 stopped: 0.",
    "devices": {"cnc-01": {"product": "demo-cnc"}, "pump-01": {"product": "demo-pump"}, "motor-01": {"product": "demo-motor"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 200, "body": preview}, {"status": 200, "body": {"reports": [reportA]}}],
        "alarms": [], "writes": [],
        "kv": {"r:0": reportA, "seq": 1, "last_report": "r:0"},
        "logs": ["shift 2026-03-02 A started (observed from now", "shift 2026-03-02 A closed: 1 alarms raised, 0 cleared, 1 open (0 stale); 3 parts; 0 notes", "shift 2026-03-02 B started"],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data ------------------------------------------------------------------
long_text = "A" * 1500
ev = [http("note", {"text": "before any clock"}),
      http("note", "shift was quiet"),
      {"kind": "alarm", "change": "raised", "alarm": {"type": "x", "severity": "major", "start_ts": hm(7)}},
      {"kind": "alarm", "change": "raised", "device": "cnc-01", "product": "demo-cnc", "alarm": {"severity": "major", "start_ts": hm(7)}},
      tick(hm(7)),
      tel("cnc-02", "demo-cnc", hm(7, 1), part_count="many"),
      tel("cnc-02", "demo-cnc", hm(7, 2), mode="auto?"),
      tel("cnc-01", "demo-cnc", hm(7, 5), part_count=10, mode=1),
      tel("cnc-01", "demo-cnc", hm(7, 4), part_count=9),
      tel("cnc-01", "demo-cnc", hm(7, 10), part_count=7),
      alarm("exploded", "cnc-01", "demo-cnc", "spindle_overload", "major", hm(7, 11)),
      http("note", {"text": "   "}),
      http("note", {"text": "x", "ts": "noon"}),
      http("handover", {}),
      {"kind": "schedule", "cron": "* * * * *"},
      http("note", {"text": long_text, "author": "Li Na"}),
      tel("cnc-01", "demo-cnc", hm(7, 40), mode=1),
      tick(hm(18)),
      http("reports", {"n": 1})]
run = (20 - 5) + 10   # min: 07:05 -> 07:20 (last sample 07:10 + 10 min), then 07:40 -> 07:50
reportE = {
    "id": "2026-03-02 Early", "name": "Early", "start": hm(6), "end": hm(18), "observed_from": hm(7), "partial": True,
    "alarms": {"raised": 0, "cleared": 0, "open_at_end": 0},
    "production": [{"device": "cnc-01", "count": 7, "resets": 1}], "total_count": 7,
    "running": [{"device": "cnc-01", "run_h": run / 60, "run_pct": run / 60 / 11 * 100, "running_at_end": True}],
    "notes": [{"author": "Li Na", "text": "A" * 1000, "ts": hm(7, 10)}],
}
write("bad-and-missing-data.json", {
    "description": "Bad and missing data; nothing traps. Shifts Early 06:00 and Late 18:00 UTC (utc_offset_min 0) and a shift 'X' starting at 25:61, which is warned and ignored. "
    "A note before the app has a clock 409; a note that is not an object 400; alarm events without a device or a type are warned and ignored; the tick at 07:00 starts shift Early "
    "(partial, observed from 07:00). cnc-02 sends part_count 'many' and mode 'auto?': warned, neither counted. cnc-01: part_count 10 with mode 1 at 07:05; 9 at 07:04 is older than "
    "the last sample (warned, ignored); 7 at 07:10 is a reset (counted from 0: 7 parts); an unknown alarm change is warned; an empty note text 400, ts as text 400, an unknown path 404, "
    "a schedule event without 'at' is warned (the clock stays at 07:10); a 1500-character note is cut to 1000 characters and timed by the clock (07:10). Running: mode 1 from 07:05, "
    "trusted to 07:20 (last sample 07:10 + 600 s): 15 min; the sample at 07:40 (mode 1) counts from 07:40 to 07:50: 10 min; 25 min = 0.416667 h = 3.788 % of the 11 h observed. "
    "The tick at 18:00 closes Early.",
    "config": {"shifts": [{"name": "Early", "start": "06:00"}, {"name": "Late", "start": "18:00"}, {"name": "X", "start": "25:61"}], "utc_offset_min": 0},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "cnc-02": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 409}, {"status": 400}, {"status": 400}, {"status": 400}, {"status": 404},
                    {"status": 201, "body": {"shift": "2026-03-02 Early", "note": {"text": "A" * 1000, "ts": hm(7, 10)}}},
                    {"status": 200, "body": {"reports": [reportE]}}],
        "alarms": [], "writes": [],
        "logs": ["shift X: start \"25:61\" is not HH:MM: ignored", "no shift yet", "the body must be a JSON object", "alarm event without a device", "alarm event without a type",
                 "part_count = \"many\" is not a count", "mode = \"auto?\" is not a running state", "1 value(s) older than the last sample", "counter reset",
                 "unknown alarm change \"exploded\"", "note: \"text\" is required", "ts \"noon\" is not a time", "unknown path \"handover\"", "schedule event without \"at\""],
    },
    "rel": 1e-6,
})
print("fixtures written")
