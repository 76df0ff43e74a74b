#!/usr/bin/env python3
"""Writes the fixtures of apps/pm-calendar. Expected values are worked out by hand in each
description (the arithmetic is repeated below in plain Python), never taken from the app.
Run: python3 apps/pm-calendar/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
D = 86400000
H = 3600000
M = 60000


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(device, product, ts, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in values.items()]}


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


# --- 1. A PM plan worked by hand ------------------------------------------------------------
T0 = 1772323200000  # 2026-03-01T00:00:00Z
tasks = [
    {"id": "lube", "title": "Way lube and filters", "device": "cnc-01", "interval_count": 1000, "count_property": "part_count", "interval_days": 90},
    {"id": "regrease", "title": "Regrease bearings", "product": "demo-motor", "interval_hours": 500, "hours_property": "running_hours", "interval_days": 90},
    {"id": "seal", "title": "Inspect seal", "product": "demo-pump", "interval_hours": 100, "running_property": "run_state", "interval_days": 60},
]
e = [
    tel("cnc-01", "demo-cnc", T0, part_count=200),
    tel("motor-01", "demo-motor", T0, running_hours=1000),
    tel("pump-01", "demo-pump", T0, run_state=1),
    tick(T0),
    tel("pump-01", "demo-pump", T0 + 24 * H, run_state=1),
    tel("pump-01", "demo-pump", T0 + 48 * H, run_state=1),
    tel("pump-01", "demo-pump", T0 + 60 * H, run_state=0),
    tel("cnc-01", "demo-cnc", T0 + 5 * D, part_count=700),
    tick(T0 + 5 * D),
    tel("cnc-01", "demo-cnc", T0 + 10 * D, part_count=1150),
    tick(T0 + 10 * D),
    tel("cnc-01", "demo-cnc", T0 + 12 * D, part_count=1260),
    tick(T0 + 12 * D),
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang Fang", "ts": T0 + 12 * D + 2 * H, "notes": "filters changed", "reading": {"count": 1260}}),
    tel("motor-01", "demo-motor", T0 + 20 * D, running_hours=1480),
    tick(T0 + 20 * D),
    tel("motor-01", "demo-motor", T0 + 30 * D, running_hours=1560),
    tick(T0 + 30 * D),
    tel("motor-01", "demo-motor", T0 + 31 * D, running_hours=1575),
    http("complete", {"device": "motor-01", "task": "regrease", "by": "Li Wei", "reading": {"hours": 1570}}),
    tick(T0 + 61 * D),
    tick(T0 + 67 * D),
    http("plan", {}),
    http("history", {"device": "cnc-01"}),
    http("task", {"id": "coolant", "title": "Coolant concentration", "device": "cnc-01", "interval_days": 14}),
]
# arithmetic
lube_used = (1260 - 200) / 1000          # 1.06 at completion: <= 1.10 on time
reg_used = (570 - 0) / 500               # reading 1570 = cum 575 - (1575 - 1570) = 570 -> 1.14: late
seal_days = 67 / 60                      # 1.1167 at 67 d: late
motor_rate = 575 / 67                    # h/day since the first reading
motor_next = T0 + 67 * D + (500 - 5) / motor_rate * D
write("pm-plan-by-hand.json", {
    "description": (
        "A plan worked by hand (UTC, grace 10 %, due soon 7 days or 10 %). Tasks: lube on cnc-01 every 1000 parts (part_count) or 90 days; regrease on demo-motor "
        "every 500 running hours (running_hours meter) or 90 days; seal on demo-pump every 100 running hours (run_state) or 60 days; baselines from the first data "
        "at 2026-03-01 00:00. cnc-01: part_count 200 -> 700 (day 5, 50 %) -> 1150 (day 10, 95 %: due soon) -> 1260 (day 12: 1060/1000 = 106 %, overdue: pm_overdue raised "
        "on cnc-01); completed by Wang Fang on day 12 02:00 with the reading 1260: 106 % <= 110 %: on time; the alarm clears. motor-01: running_hours 1000 -> 1480 (day 20, "
        "96 %) -> 1560 (day 30, 112 % > 110 %: late at once; pm_overdue raised) -> 1575 (day 31); completed by Li Wei at the clock (day 31) with the reading 1570: the app's "
        "count 575 - (1575 - 1570) = 570 h since the baseline = 114 %: late; cleared. pump-01 runs from 00:00 to 60:00 (samples every 24 h within max_gap_s 86400): 60 h of "
        "100; its 60 days run out on day 60: overdue at the day-61 tick (pm_overdue raised), late at day 67 (67/60 = 111.7 %). PM compliance: completed 2 (1 on time) + "
        "1 late and open = 1/3 = 33.333 %; by the month the PM fell due: 2026-03 lube and regrease 1/2 = 50 %, 2026-05 seal 0/1 = 0 %. At day 67: regrease used 36 of 90 days "
        f"and 575 - 570 = 5 h of 500; its rate 575 h / 67 days = {motor_rate:.4f} h/day projects the hours due {495 / motor_rate:.2f} days on, after the calendar due "
        "(day 31 + 90 = day 121): next due day 121; only the late seal is in the next 30 days. A task posted on day 67 for cnc-01 (seen for 67 days) starts then, not at its first data."),
    "config": {"tasks": tasks, "utc_offset_h": 0, "max_gap_s": 86400},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "motor-01": {"product": "demo-motor"}, "pump-01": {"product": "demo-pump"}},
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [
            {"op": "raise", "device": "cnc-01", "type": "pm_overdue", "severity": "minor", "details": {"tasks": [{"task": "lube", "since": T0 + 12 * D}]}},
            {"op": "clear", "device": "cnc-01", "type": "pm_overdue"},
            {"op": "raise", "device": "motor-01", "type": "pm_overdue", "severity": "minor", "details": {"tasks": [{"task": "regrease", "used_pct": 112}]}},
            {"op": "clear", "device": "motor-01", "type": "pm_overdue"},
            {"op": "raise", "device": "pump-01", "type": "pm_overdue", "severity": "minor", "details": {"tasks": [{"task": "seal", "since": T0 + 61 * D}]}},
        ],
        "replies": [
            {"status": 200, "body": {"completion": {"device": "cnc-01", "task": "lube", "by": "Wang Fang", "on_time": True, "used_pct": lube_used * 100,
                                                    "reading": {"count": 1060}, "notes": "filters changed"},
                                     "next": {"status": "ok", "used_count": 0, "due_ts": T0 + 12 * D + 2 * H + 90 * D}}},
            {"status": 200, "body": {"completion": {"device": "motor-01", "task": "regrease", "by": "Li Wei", "ts": T0 + 31 * D, "on_time": False,
                                                    "used_pct": reg_used * 100, "reading": {"hours": 570}}}},
            {"status": 200, "body": {
                "plan": {"rows": [
                    {"device": "cnc-01", "task": "lube", "status": "ok", "used_count": 0},
                    {"device": "motor-01", "task": "regrease", "status": "ok", "used_days": 36, "used_hours": 5, "due_ts": T0 + 121 * D, "next_due_ts": T0 + 121 * D,
                     "hours_due_ts": motor_next},
                    {"device": "pump-01", "task": "seal", "status": "late", "used_days": 67, "used_hours": 60, "used_pct": seal_days * 100, "due_ts": T0 + 60 * D}],
                    "next30": [{"device": "pump-01", "task": "seal", "status": "late"}]},
                "compliance": {"completed": 2, "on_time": 1, "open_late": 1, "compliance_pct": 100 / 3,
                               "months": {"2026-03": {"completed": 2, "on_time": 1, "compliance_pct": 50},
                                          "2026-05": {"completed": 0, "on_time": 0, "open_late": 1, "compliance_pct": 0}}}}},
            {"status": 200, "body": {"completions": [{"device": "cnc-01", "task": "lube", "by": "Wang Fang", "ts": T0 + 12 * D + 2 * H}]}},
            {"status": 200, "body": {"task": {"id": "coolant", "device": "cnc-01", "interval_days": 14}}},
        ],
        "logs": ["cnc-01: lube (Way lube and filters) is overdue", "cnc-01: lube completed by Wang Fang at 106.0 % of its interval: on time",
                 "motor-01: regrease completed by Li Wei at 114.0 % of its interval: late", "cnc-01: task coolant starts now"],
    },
    "rel": 1e-6,
})

# --- 2. The demo's products with the default plan -------------------------------------------
T0 = 1772409600000  # 2026-03-02T00:00:00Z (08:00 in UTC+8)
e = [
    tel("motor-01", "demo-motor", T0, running_hours=12000, enabled=True),
    tel("pump-01", "demo-pump", T0, run_state=1, flow=35.2),
    tel("cnc-01", "demo-cnc", T0, part_count=3000, spindle_speed=8000.0),
    tel("boiler-01", "demo-boiler", T0, burner_on=True, water_temp=120.5),
    tick(T0),
    http("complete", {"device": "motor-01", "task": "motor-regrease", "by": "Li Wei", "ts": T0 - 150 * D, "reading": {"hours": 10200}, "initial": True,
                      "notes": "last regrease from the paper log"}),
    http("complete", {"device": "cnc-01", "task": "cnc-lube", "by": "Zhao Lei", "ts": T0 - 28 * D, "reading": {"count": 3000}, "initial": True}),
    tel("pump-01", "demo-pump", T0 + 10 * M, run_state=1),
    tel("pump-01", "demo-pump", T0 + 20 * M, run_state=1),
    tel("pump-01", "demo-pump", T0 + 30 * M, run_state=0),
    tel("motor-01", "demo-motor", T0 + D, running_hours=12024),
    tel("cnc-01", "demo-cnc", T0 + D, part_count=3400),
    tick(T0 + 2 * D + H),
    http("complete", {"device": "cnc-01", "task": "cnc-lube", "by": "Zhao Lei", "notes": "way oil topped up, coolant filter changed"}),
    http("plan", {}),
]
clock = T0 + 2 * D + H
motor_used = 24 + 1800                 # 12024 - 10200 h since the regrease
motor_rate = 24 / ((clock - T0) / D)   # 24 h over 2.0417 days = 11.755 h/day
motor_hours_due = clock + (2000 - motor_used) / motor_rate * D
cnc_rate = 400 / ((clock - T0) / D)
cnc_count_due = clock + 5000 / cnc_rate * D
rows = [
    {"device": "motor-01", "task": "motor-regrease", "status": "due_soon", "used_hours": motor_used, "used_days": 152 + 1 / 24,
     "due_ts": T0 + 30 * D, "hours_due_ts": motor_hours_due, "next_due_ts": motor_hours_due},
    {"device": "motor-01", "task": "motor-insulation", "status": "ok", "due_ts": T0 + 365 * D},
    {"device": "pump-01", "task": "pump-seal", "status": "ok", "used_hours": 0.5, "due_ts": T0 + 90 * D},
    {"device": "cnc-01", "task": "cnc-lube", "status": "ok", "used_count": 0, "due_ts": clock + 30 * D, "count_due_ts": cnc_count_due, "next_due_ts": cnc_count_due},
    {"device": "boiler-01", "task": "boiler-safety", "status": "ok", "due_ts": T0 + 30 * D},
]
write("demo-defaults.json", {
    "description": (
        "The demo's products with the default plan (UTC+8, grace 10 %, due soon 7 days or 10 %). First data 2026-03-02 08:00: motor-01 running_hours 12000, pump-01 running, "
        "cnc-01 part_count 3000, boiler-01 firing. The paper log is entered as baselines (initial: not counted in compliance): motor-01 regreased 150 days before at 10200 h "
        "(the app's hours then: 0 - (12000 - 10200) = -1800), cnc-01 lubed 28 days before at 3000 parts. pump-01 runs 30 min (samples every 10 min). A day later motor-01 reads "
        "12024 h and cnc-01 3400 parts. Tick at day 2 + 1 h: cnc-lube's 30 days since day -28 ran out at day 2: overdue, pm_overdue raised on cnc-01; completed by Zhao Lei at "
        "the clock: 30.04/30 days = 100.1 % <= 110 %: on time, cleared; its next due: 30 days on, or 5000 parts at 400 parts / 2.0417 days = 195.9 a day = 25.5 days on (first). "
        f"motor-regrease: 1824 h of 2000 = 91.2 % (>= 90 %: due soon), 152.04 of 180 days; 24 h in 2.0417 days = {motor_rate:.3f} h/day projects the 176 h left "
        f"{176 / motor_rate:.2f} days on, before the calendar due (day 30). motor-insulation due in 365 days, pump-seal 0.5 h of 4000 and due in 90 days, boiler-safety in 30 days. "
        "PM compliance 1/1 = 100 %. Next 30 days: motor-regrease, cnc-lube, boiler-safety (motor-insulation and pump-seal are later)."),
    "devices": {"motor-01": {"product": "demo-motor"}, "pump-01": {"product": "demo-pump"}, "cnc-01": {"product": "demo-cnc"}, "boiler-01": {"product": "demo-boiler"}},
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [
            {"op": "raise", "device": "cnc-01", "type": "pm_overdue", "severity": "minor", "details": {"tasks": [{"task": "cnc-lube"}]}},
            {"op": "clear", "device": "cnc-01", "type": "pm_overdue"},
        ],
        "replies": [
            {"status": 200, "body": {"completion": {"initial": True, "on_time": None, "reading": {"hours": -1800}}}},
            {"status": 200, "body": {"completion": {"initial": True, "reading": {"count": 0}}}},
            {"status": 200, "body": {"completion": {"task": "cnc-lube", "by": "Zhao Lei", "ts": clock, "on_time": True, "initial": False,
                                                    "used_pct": (30 * D + H) / D / 30 * 100}}},
            {"status": 200, "body": {"plan": {"rows": rows,
                                              "next30": [{"device": "motor-01", "task": "motor-regrease", "status": "due_soon"},
                                                         {"device": "cnc-01", "task": "cnc-lube"},
                                                         {"device": "boiler-01", "task": "boiler-safety"}]},
                                     "compliance": {"completed": 1, "on_time": 1, "open_late": 0, "compliance_pct": 100,
                                                    "months": {"2026-03": {"completed": 1, "on_time": 1}}}}},
        ],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data ----------------------------------------------------------------
T0 = 1772409600000
tasks = [
    {"id": "lube", "title": "Lube", "product": "demo-cnc", "interval_count": 1000, "count_property": "part_count", "interval_days": 30},
    {"id": "broken", "product": "demo-cnc"},                                   # no interval: warned, skipped
    {"id": "seal", "product": "demo-pump", "interval_hours": 100, "running_property": "run_state"},
]
e = [
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang"}),                       # 400 no clock
    tel("cnc-01", "demo-cnc", T0, part_count=100),
    tel("cnc-02", "demo-cnc", T0 + 10 * M, part_count="many"),                                 # text (another device: a series is typed by its first value)
    tel("cnc-01", "demo-cnc", T0 - 5 * M, part_count=90),                                      # older than the last
    tel("cnc-01", "demo-cnc", T0 + 20 * M, part_count=400),                                    # +300
    tel("cnc-01", "demo-cnc", T0 + 30 * M, part_count=50),                                     # reset: +50
    tel("pump-02", "demo-pump", T0, run_state="maybe"),                                        # not a run state
    {"kind": "schedule", "cron": "* * * * *"},                                                  # no at
    tick(T0 + H),
    http("complete", "done"),                                                                  # 400
    http("complete", {"device": "cnc-01", "task": "lube"}),                                    # 400 no by
    http("complete", {"task": "lube", "by": "Wang"}),                                          # 400 no device
    http("complete", {"device": "cnc-99", "task": "lube", "by": "Wang"}),                      # 404
    http("complete", {"device": "cnc-01", "task": "seal", "by": "Wang"}),                      # 404 task not for cnc
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "ts": "noon"}),        # 400
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "ts": T0 + 9 * D}),    # 422 future
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "ts": T0 - D}),        # 422 before baseline
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "reading": 7}),        # 400
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "reading": {"count": "x"}}),  # 422
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "reading": {"count": 80}}),   # 422 above the meter (50)
    http("task", {"id": "oil", "product": "demo-cnc"}),                                        # 400 no interval
    http("task", {"id": "oil", "product": "demo-cnc", "interval_hours": 50}),                  # 400 no property
    http("task", {"id": "oil", "interval_days": 7}),                                           # 400 no product
    http("task", {"id": "nothing", "delete": True}),                                          # 404
    http("task", {"id": "oil", "title": "Check oil level", "device": "cnc-01", "interval_days": 7}),  # 200
    http("task", {"id": "oil", "delete": True}),                                              # 200
    http("complete", {"device": "cnc-01", "task": "lube", "by": "Wang", "reading": {"count": 50}}),   # 200 on time
    http("export", {}),                                                                        # 404
]
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data (UTC); nothing traps. A configured task without an interval is warned and skipped. A completion before the app has a clock is 400; telemetry "
        "with part_count 'many' (text, on cnc-02), or with an older reading is warned and ignored; run_state 'maybe' (pump-02) is taken as stopped. cnc-01's "
        "part_count 100 -> 400 (+300) -> 50 (a reset: +50): 350 parts counted. A schedule event without 'at' is evaluated at the clock. 'complete' with a body that is not an "
        "object, without 'by' or 'device', with ts as text: 400; an unknown device or a task not planned for it: 404; a ts 9 days after the clock, or before the baseline: 422; "
        "a reading that is not an object 400, with a count as text or above the meter's last value (80 > 50): 422. 'task' without an interval, with interval_hours and no "
        "property, without product or device: 400; deleting an unknown task 404; a posted task is saved (200) and deleted (200). The completion with the reading 50 (the "
        "meter now): 350 parts of 1000 and 0.04 of 30 days: on time (35 %). An unknown path 404."),
    "config": {"tasks": tasks, "utc_offset_h": 0},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "cnc-02": {"product": "demo-cnc"}, "pump-01": {"product": "demo-pump"}, "pump-02": {"product": "demo-pump"}},
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [],
        "replies": [
            {"status": 400},
            {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 404}, {"status": 404},
            {"status": 400},
            {"status": 422}, {"status": 422},
            {"status": 400}, {"status": 422}, {"status": 422},
            {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 404},
            {"status": 200, "body": {"task": {"id": "oil", "device": "cnc-01", "interval_days": 7}}},
            {"status": 200, "body": {"deleted": "oil"}},
            {"status": 200, "body": {"completion": {"on_time": True, "used_pct": 35, "reading": {"count": 350}}}},
            {"status": 404},
        ],
        "logs": ["task broken: no interval", "no ts and no clock yet", "part_count = \"many\" is not a number",
                 "older than the last reading", "went from 400 to 50: a reset", "run_state = \"maybe\" is not a run state",
                 "schedule event without a time", "the body must be a JSON object", "\"by\" (who did the work) is required", "\"device\" and \"task\" are required",
                 "no data from device cnc-99", "no task seal for cnc-01", "ts must be a time in ms", "more than a day after the clock", "before the last completion or baseline",
                 "reading must be an object", "reading.count must be a number", "above the meter's last value", "interval_hours needs hours_property",
                 "it needs a product or a device", "no posted task nothing", "unknown path export"],
    },
    "rel": 1e-6,
})
print("written")
