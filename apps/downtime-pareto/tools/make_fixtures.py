#!/usr/bin/env python3
"""Writes the fixtures. The expected numbers are worked out by hand in each description and
written here as literals (minutes and hours), not computed by the app. Run from the app folder."""
import datetime, json

def local(h, m, day=7):
    """ms of 2026-12-<day> h:m at UTC+8 (the default utc_offset_h)."""
    t = datetime.datetime(2026, 12, day, h, m, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(t.timestamp() * 1000)

MIN = 60000
A = "long_unexplained_stop"

def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product, "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}

def reason(dev, code, stop=None, note=None):
    b = {"device": dev, "reason": code}
    if stop is not None: b["stop"] = stop
    if note is not None: b["note"] = note
    return {"kind": "http", "path": "reason", "body": b}

# ---- 1: one day of a press, worked by hand ----
P = "press"
ev = [
    tel("press-01", P, local(6, 0), run_state=1),
    tel("press-01", P, local(8, 0), run_state=2),
    tel("press-01", P, local(8, 45), run_state=1),
    reason("press-01", "tooling", stop=local(8, 0), note="punch chipped"),
    tel("press-01", P, local(10, 0), run_state=0),
    tel("press-01", P, local(10, 30), run_state=1),
    reason("press-01", "material"),
    reason("press-01", "quality", stop=local(10, 0)),
    tel("press-01", P, local(12, 0), run_state=0),
    tel("press-01", P, local(12, 40), run_state=1),
    reason("press-01", "break"),
    tel("press-01", P, local(14, 0), run_state=2),
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(14, 25)},
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(14, 35)},
    reason("press-01", "breakdown"),
    tel("press-01", P, local(15, 30), run_state=1),
    tel("press-01", P, local(17, 0), run_state=0),
    tel("press-01", P, local(17, 20), run_state=1),
    reason("press-01", "changeover"),
    tel("press-01", P, local(20, 0), run_state=0),
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(20, 25)},
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(20, 30)},
    {"kind": "http", "path": "report", "body": {"day": "2026-12-07"}},
    {"kind": "http", "path": "report", "body": {"month": "2026-12"}},
]
pareto = [
    {"reason": "breakdown", "minutes": 90, "stops": 1, "planned": False, "cumulative": 0.4},
    {"reason": "tooling", "minutes": 45, "stops": 1, "planned": False, "cumulative": 0.6},
    {"reason": "break", "minutes": 40, "stops": 1, "planned": True, "cumulative": 175 / 225},
    {"reason": "quality", "minutes": 30, "stops": 1, "planned": False, "cumulative": 205 / 225},
    {"reason": "changeover", "minutes": 20, "stops": 1, "planned": False, "cumulative": 1},
]
summary = {"operating_h": 10.25, "downtime_min": 225, "failures": 2, "mtbf_h": 5.125, "mttr_min": 67.5, "pareto": pareto}
fx = {
    "description": (
        "One day of a press (product without a thing model, run_state 1 running, 0 stopped, 2 fault; default reasons; max_gap_s = 14400 so "
        "that readings on change suffice), worked by hand, local time UTC+8, 2026-12-07. Stops: A 08:00–08:45 fault (45 min), given "
        "'tooling' (a failure reason); B 10:00–10:30 (30 min), given 'material', then corrected to 'quality'; C 12:00–12:40 (40 min) "
        "'break' (planned); D 14:00–15:30 fault (90 min): the schedule at 14:25 finds it 25 min old (< 30, nothing), at 14:35 35 min "
        "without a reason: long_unexplained_stop raised (minutes 35); 'breakdown' is given while it is open: cleared; E 17:00–17:20 "
        "(20 min) 'changeover'; F from 20:00 still open: 25 min at 20:25 (nothing), 30 min at 20:30: raised. Operating time = "
        "120 + 75 + 90 + 80 + 90 + 160 = 615 min = 10.25 h (06:00–08:00, 08:45–10:00, 10:30–12:00, 12:40–14:00, 15:30–17:00, 17:20–20:00). "
        "Failures (IEC 60050-192): A (tooling) and D (breakdown) = 2; MTBF = 10.25 h / 2 = 5.125 h; MTTR = (45 + 90)/2 = 67.5 min. "
        "Pareto of the 225 closed minutes: breakdown 90 (40 %), tooling 45 (cumulative 135/225 = 60 %), break 40 (175/225 = 77.8 %), "
        "quality 30 (205/225 = 91.1 %), changeover 20 (100 %); material has nothing left after the correction. The day's and the month's reports agree."),
    "config": {"max_gap_s": 14400},
    "devices": {"press-01": {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": "press-01", "type": A, "severity": "minor", "details": {"start": local(14, 0), "minutes": 35, "fault": True, "threshold_min": 30}},
            {"op": "clear", "device": "press-01", "type": A},
            {"op": "raise", "device": "press-01", "type": A, "details": {"start": local(20, 0), "minutes": 30, "fault": False}},
        ],
        "replies": [
            {"status": 200, "body": {"device": "press-01", "open": False, "stop": {"start": local(8, 0), "end": local(8, 45), "reason": "tooling", "note": "punch chipped", "fault": True}}},
            {"status": 200, "body": {"open": False, "stop": {"start": local(10, 0), "reason": "material"}}},
            {"status": 200, "body": {"open": False, "stop": {"start": local(10, 0), "reason": "quality"}}},
            {"status": 200, "body": {"open": False, "stop": {"start": local(12, 0), "reason": "break"}}},
            {"status": 200, "body": {"open": True, "stop": {"start": local(14, 0), "reason": "breakdown", "alarmed": False}}},
            {"status": 200, "body": {"open": False, "stop": {"start": local(17, 0), "end": local(17, 20), "reason": "changeover"}}},
            {"status": 200, "body": {"day": "2026-12-07", "machines": {"press-01": summary}, "total": summary}},
            {"status": 200, "body": {"month": "2026-12", "machines": {"press-01": summary}, "total": summary}},
        ],
        "kv": {
            "devices": ["press-01"],
            "m:press-01": {"state": "0", "run": False, "stop": {"start": local(20, 0), "reason": "", "alarmed": True}},
            "p:press-01": {"days": {"2026-12-07": {"op": 615 * MIN, "f": 2, "ttr": 135 * MIN, "r": {"unassigned": [0, 0], "material": [0, 0], "breakdown": [90 * MIN, 1]}}},
                           "months": {"2026-12": {"op": 615 * MIN, "f": 2, "ttr": 135 * MIN}}},
        },
        "logs": ["press-01: stop at " + str(local(10, 0)) + " changed from material to quality", "press-01: stopped for 35 min without a reason"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/press-day-by-hand.json", "w"), ensure_ascii=False, indent=1)

# ---- 2: the demo pump, default configuration ----
products = json.load(open("../../crates/ironloom/demo/products.json"))
pump = next(p for p in products if p["product_key"] == "demo-pump")["thing_model"]
D = "demo-pump"
ev = [
    tel("pump-01", D, local(23, 0), flow=36.5),
    tel("pump-01", D, local(23, 0), run_state=1, flow=36.4),
    tel("pump-01", D, local(23, 10), run_state=1),
    tel("pump-01", D, local(23, 20), run_state=1),
    tel("pump-01", D, local(23, 30), run_state=1),
    tel("pump-01", D, local(23, 40), run_state=0, flow=0.0),
    tel("pump-01", D, local(23, 50), run_state=0),
    tel("pump-01", D, local(0, 0, 8), run_state=0),
    tel("pump-01", D, local(0, 10, 8), run_state=2),
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(0, 15, 8)},
    tel("pump-01", D, local(0, 25, 8), run_state=1),
    tel("pump-01", D, local(0, 35, 8), run_state=1),
    reason("pump-01", "breakdown", note="seal leak"),
    {"kind": "http", "path": "report", "body": {"month": "2026-12"}},
]
s2 = {"operating_h": 50 / 60, "downtime_min": 45, "failures": 1, "mtbf_h": 50 / 60, "mttr_min": 45,
      "pareto": [{"reason": "breakdown", "minutes": 45, "stops": 1, "planned": False, "cumulative": 1}]}
fx = {
    "description": (
        "The demo pump (demo-pump thing model, run_state enum 0 stopped / 1 running / 2 fault) with the default configuration (UTC+8, "
        "max_gap_s 900, alarm after 30 min). By hand: a message without run_state does nothing; running readings every 10 min from 23:00 "
        "give 40 min of operating time on 2026-12-07; the pump stops at 23:40, reports a fault at 00:10 on 12-08 (the stop becomes a "
        "failure) and is then 30 min old without a reason: long_unexplained_stop raised (minutes 30; the 00:15 schedule adds nothing), it runs again at 00:25 (alarm cleared): a 45-min "
        "stop, 20 min on 12-07 and 25 min on 12-08, counted once on 12-07; 10 more operating minutes to 00:35 (still pending in the machine's record: operating time goes into the day buckets at a stop, a new day or every 15 min; the report adds it). 'breakdown' is then given to "
        "the last stop. December: operating time 50 min = 0.8333 h, one failure, MTBF = 0.8333 h, MTTR = 45 min, Pareto breakdown 45 min (100 %)."),
    "thing_models": {D: pump},
    "devices": {"pump-01": {"product": D}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": "pump-01", "type": A, "severity": "minor", "details": {"start": local(23, 40), "minutes": 30, "state": "0", "fault": True}},
            {"op": "clear", "device": "pump-01", "type": A},
        ],
        "replies": [
            {"status": 200, "body": {"device": "pump-01", "open": False, "stop": {"start": local(23, 40), "end": local(0, 25, 8), "reason": "breakdown", "note": "seal leak", "fault": True}}},
            {"status": 200, "body": {"month": "2026-12", "machines": {"pump-01": s2}, "total": s2}},
        ],
        "kv": {
            "p:pump-01": {"days": {
                "2026-12-07": {"op": 40 * MIN, "f": 1, "ttr": 45 * MIN, "r": {"unassigned": [0, 0], "breakdown": [20 * MIN, 1]}},
                "2026-12-08": {"op": 0, "f": 0, "ttr": 0, "r": {"unassigned": [0, 0], "breakdown": [25 * MIN, 0]}}}},
            "stops:pump-01": [{"start": local(23, 40), "end": local(0, 25, 8), "state": "0", "fault": True, "reason": "breakdown"}],
            "m:pump-01": {"state": "1", "run": True, "stop": None, "last_ts": local(0, 35, 8), "pend": {"date": "2026-12-08", "ms": 10 * MIN}},
        },
        "logs": ["pump-01: stopped (run_state = 0)", "pump-01: running again after 45 min (unassigned, failure)"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/demo-pump.json", "w"), ensure_ascii=False, indent=1)

# ---- 3: bad and missing data ----
M = "machine"
ev = [
    {"kind": "schedule", "cron": "*/5 * * * *", "at": local(7, 0)},
    {"kind": "http", "path": "report", "body": {"month": "2026-12"}},
    tel("m-1", M, local(8, 0), temperature=40.5),
    tel("m-1", M, local(8, 0), run_state=1),
    tel("m-1", M, local(8, 10), run_state=1),
    {"kind": "telemetry", "device": "m-1", "product": M, "points": [
        {"property": "run_state", "ts": local(8, 10), "value": 0}, {"property": "run_state", "ts": local(8, 5), "value": 0}]},
    tel("m-1", M, local(9, 0), run_state=1),
    tel("m-1", M, local(9, 30), run_state=0),
    tel("m-2", M, local(9, 0), run_state="RUNNING"),
    tel("m-2", M, local(9, 5), run_state=""),
    tel("m-2", M, local(9, 10), run_state="STOPPED"),
    tel("m-2", M, local(9, 12), run_state="RUNNING"),
    reason("m-1", "jam"),
    {"kind": "http", "path": "reason", "body": {"reason": "breakdown"}},
    {"kind": "http", "path": "reason", "body": {"device": "m-1"}},
    reason("m-9", "breakdown"),
    reason("m-1", "breakdown", stop=local(1, 0)),
    {"kind": "http", "path": "reason", "body": {"device": "m-1", "reason": "breakdown", "stop": "09:30"}},
    {"kind": "http", "path": "reason", "body": ["m-1"]},
    {"kind": "http", "path": "nowhere", "body": {}},
    reason("m-2", "material"),
    reason("m-2", ""),
    {"kind": "manual"},
]
fx = {
    "description": (
        "Bad and missing data, a product without a thing model (m-2 reports text states, so its series is text; running_values also "
        "take \"RUNNING\"). A schedule and a report before any machine: nothing, an empty report. m-1: a message without run_state does "
        "nothing; running from 08:00, again at 08:10; a later message with 08:10 (same time) and 08:05 (older) readings: both skipped as "
        "not newer; the next reading at 09:00 is 50 min after the last (max_gap_s 900): 15 min counted as operating time, 35 min not, "
        "with a warning; at 09:30 it stops (still open), again 30 min after the last reading: 15 min counted, 15 not; operating time 10 + 15 + 15 = 40 min. m-2: running at "
        "09:00, an empty state ignored with a warning, stopped 09:10–09:12 (2 min, not a fault), operating 10 min. Refused reason "
        "requests: unknown code 'jam' (400, with the list), no device (400), no reason (400), unknown device (404), no stop at 01:00 "
        "(404), a stop given as text (400), a body that is no object (400), an unknown path (404). m-2's last stop gets 'material', then "
        "\"\" takes it back (unassigned again: 2 min, 1 stop). unexplained_stop_min = 0 turns the alarm off: the manual run raises nothing."),
    "config": {"running_values": ["1", "RUNNING"], "unexplained_stop_min": 0},
    "devices": {"m-1": {"product": M}, "m-2": {"product": M}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [],
        "replies": [
            {"status": 200, "body": {"month": "2026-12", "machines": {}}},
            {"status": 400, "body": {"error": "unknown reason jam", "reasons": ["breakdown", "tooling", "changeover", "material", "quality", "operator", "utilities", "planned_maintenance", "break", "no_orders", "other"]}},
            {"status": 400, "body": {"error": "device is required"}},
            {"status": 400},
            {"status": 404, "body": {"error": "no stops of m-9 yet"}},
            {"status": 404, "body": {"error": "no such stop of m-1"}},
            {"status": 400, "body": {"error": "stop must be the stop's start time in ms"}},
            {"status": 400},
            {"status": 404},
            {"status": 200, "body": {"stop": {"start": local(9, 10), "reason": "material"}}},
            {"status": 200, "body": {"stop": {"start": local(9, 10), "reason": ""}}},
        ],
        "kv": {
            "devices": ["m-1", "m-2"],
            "m:m-1": {"skipped": 2, "state": "0", "run": False, "stop": {"start": local(9, 30), "reason": ""}},
            "p:m-1": {"days": {"2026-12-07": {"op": 40 * MIN, "f": 0}}},
            "m:m-2": {"skipped": 1, "state": "RUNNING", "run": True, "stop": None},
            "p:m-2": {"days": {"2026-12-07": {"op": 10 * MIN, "f": 0, "r": {"unassigned": [2 * MIN, 1], "material": [0, 0]}}}},
        },
        "logs": ["m-1: skipped 2 run_state reading(s) not newer", "35 min not counted as operating time",
                 "m-2: ignored 1 run_state reading(s) without a usable value", "m-2: stop at " + str(local(9, 10)) + " changed from material to unassigned"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/bad-data.json", "w"), ensure_ascii=False, indent=1)
