#!/usr/bin/env python3
"""Writes the fixtures of apps/haccp-cold-room. Run from the app folder.

The expected numbers are worked by hand from the tables below (held readings × minutes),
shown in each fixture's description; nothing is taken from the app."""
import datetime, json

MIN = 60000


def local(h, m, day=7):
    """ms of 2026-12-<day> h:m at UTC+8 (the default utc_offset_h)."""
    t = datetime.datetime(2026, 12, day, h, m, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(t.timestamp() * 1000)


def hm(t):
    h, m = t.split(":")
    return int(h), int(m)


def room(dev, product, ts, T, door, defrost, comp, sp=2.0):
    vals = {"temperature": T, "door_open": door, "defrost": defrost, "compressor_on": comp, "setpoint": sp}
    return {"kind": "telemetry", "device": dev, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def sched(ts):
    return {"kind": "schedule", "cron": "*/5 * * * *", "at": ts}


MODEL = {"properties": [
    {"identifier": "temperature", "name": "库温 Air temperature", "access": "r", "data_type": {"type": "float", "min": -40, "max": 50, "unit": "°C", "unit_name": "摄氏度"}},
    {"identifier": "setpoint", "name": "设定温度 Setpoint", "access": "rw", "data_type": {"type": "float", "min": -40, "max": 20, "unit": "°C", "unit_name": "摄氏度"}},
    {"identifier": "compressor_on", "name": "压缩机运行 Compressor on", "access": "r", "data_type": {"type": "bool"}},
    {"identifier": "door_open", "name": "库门打开 Door open", "access": "r", "data_type": {"type": "bool"}},
    {"identifier": "defrost", "name": "除霜 Defrost", "access": "r", "data_type": {"type": "bool"}},
]}

# ---------------------------------------------------------------------------------------------
# 1. A day of a cold room worked by hand.
# ---------------------------------------------------------------------------------------------
P, D = "cold-room", "cr-1"
# time, temperature, door, defrost, compressor (setpoint 2.0 throughout)
day = [
    ("00:00", 3.0, False, False, True),
    ("02:00", 3.5, False, True, False),
    ("02:20", 6.0, False, True, False),
    ("02:40", 4.0, False, False, True),
    ("06:00", 3.0, False, False, True),
    ("08:00", 3.2, True, False, True),
    ("08:05", 6.5, False, False, True),
    ("08:15", 4.5, False, False, True),
    ("10:00", 3.0, False, False, True),
    ("12:00", 3.0, True, False, True),
    ("12:10", 3.0, False, False, True),
    ("14:00", 5.5, False, False, False),
    ("14:30", 7.0, False, False, False),
    ("15:10", 6.0, False, False, True),
    ("15:30", 4.0, False, False, True),
    ("18:00", 3.0, False, True, False),
    ("18:25", 5.8, False, True, False),
    ("18:40", 6.1, False, True, False),
    ("19:00", 6.2, False, False, True),
    ("19:10", 4.9, False, False, True),
    ("22:00", 3.0, False, False, True),
]
# Hand arithmetic: each reading held until the next one (the last until midnight).
mins = []
for i, row in enumerate(day):
    h, m = hm(row[0])
    nh, nm = hm(day[i + 1][0]) if i + 1 < len(day) else (24, 0)
    mins.append((nh * 60 + nm) - (h * 60 + m))
assert sum(mins) == 1440 and max(mins) <= 240
deg_min = sum(r[1] * t for r, t in zip(day, mins))          # 5687.5 °C·min
above = sum(t for r, t in zip(day, mins) if r[1] > 5)         # 20 + 10 + 90 + 45 = 165 min
comp_on = sum(t for r, t in zip(day, mins) if r[4])           # 1440 − 40 − 70 − 60 = 1270 min
assert deg_min == 5687.5 and above == 165 and comp_on == 1270

ev = []
for row in day:
    h, m = hm(row[0])
    ts = local(h, m)
    ev.append(room(D, P, ts, row[1], row[2], row[3], row[4]))
    if row[0] == "14:30":
        ev.append(http("corrective-action", {"device": D, "by": "Li Wei", "action": "Compressor tripped: reset the overload and called the refrigeration contractor; product probed at 4.8 °C, held for assessment",
                                             "disposition": "held", "at": local(14, 50)}))
    if row[0] == "19:10":
        ev += [sched(local(19, 55)), sched(local(20, 0)),
               http("corrective-action", {"device": D, "by": "Zhang Min", "action": "Defrost termination sensor found loose and refitted; product probed at 4.2 °C, released",
                                          "disposition": "released", "at": local(20, 30)}),
               http("verify", {"device": D, "date": "2026-12-07", "by": "Wang Fang"})]
ev.append(room(D, P, local(0, 0, day=8), 3.0, False, False, True))
ev += [
    http("verify", {"device": D, "date": "2026-12-07", "by": "Wang Fang", "note": "records and both corrective actions reviewed"}),
    http("verify", {"device": D, "date": "2026-12-07", "by": "Someone Else"}),
    http("report", {"device": D, "date": "2026-12-07"}),
]
record = {"date": "2026-12-07", "n": 21, "min": 3.0, "max": 7.0, "mean": deg_min / 1440, "coverage": 1, "above_min": 165,
          "excursions": 4, "tolerated": 2, "deviations": 2, "door_n": 2, "door_min": 15, "defrost_n": 2, "defrost_min": 100,
          "compressor_duty": comp_on / 1440, "sp_min": 2.0, "sp_max": 2.0, "verification": {"by": "Wang Fang", "note": "records and both corrective actions reviewed"}}
dev1 = {"start": local(14, 0), "declared": local(14, 0), "end": local(15, 30), "minutes": 90, "peak": 7.0, "peak_ts": local(14, 30),
        "cause": "compressor_off", "tolerance_min": 0, "overdue": False,
        "actions": [{"by": "Li Wei", "disposition": "held", "at": local(14, 50)}]}
dev2 = {"start": local(18, 25), "declared": local(19, 0), "end": local(19, 10), "minutes": 45, "peak": 6.2, "peak_ts": local(19, 0),
        "cause": "defrost", "tolerance_min": 30, "overdue": True,
        "actions": [{"by": "Zhang Min", "disposition": "released", "at": local(20, 30)}]}
fx = {
    "description": (
        "One day of a cold room worked by hand (critical limit 5 °C, door tolerance 15 min, defrost tolerance 30 min, max_excursion_c 8, corrective "
        "action due after 60 min; max_gap_min 240 because the room reports on change; UTC+8, 2026-12-07). Readings (temperature held to the next "
        "reading): 00:00 3.0, 02:00 3.5 (defrost on, compressor off), 02:20 6.0, 02:40 4.0 (defrost off), 06:00 3.0, 08:00 3.2 (door open), 08:05 6.5 "
        "(door closed), 08:15 4.5, 10:00 3.0, 12:00–12:10 door open at 3.0, 14:00 5.5 (compressor off), 14:30 7.0, 15:10 6.0 (compressor on), 15:30 4.0, "
        "18:00 3.0 (defrost on, compressor off), 18:25 5.8, 18:40 6.1, 19:00 6.2 (defrost off), 19:10 4.9, 22:00 3.0. Excursions: 02:20–02:40 during "
        "defrost (20 min ≤ 30: tolerated); 08:05–08:15 right after the door closed (10 ≤ 15: tolerated); 14:00–15:30 with no door or defrost and the "
        "compressor off: a deviation at once (cause compressor_off, peak 7.0 at 14:30, 90 min), ccp_deviation raised at 14:00 and cleared at 15:30, its "
        "corrective action posted at 14:50 (50 min: in time); 18:25–19:10 during defrost, 35 min at 19:00 > 30: a deviation declared at 19:00 (cause "
        "defrost, peak 6.2, 45 min), raised at 19:00, cleared at 19:10; no action at the 19:55 schedule (55 min), overdue at 20:00 (60 min): "
        "ccp_corrective_action_overdue raised, cleared by the action posted at 20:30. Verification at 20:30 refused (day not closed); the 00:00 reading "
        "of 12-08 closes the day; verified by Wang Fang; a second sign-off refused. Daily record: 21 readings, min 3.0, max 7.0, time-weighted mean "
        "Σ T·t / 1440 = (3.0×120 + 3.5×20 + 6.0×20 + 4.0×200 + 3.0×120 + 3.2×5 + 6.5×10 + 4.5×105 + 3.0×240 + 5.5×30 + 7.0×40 + 6.0×20 + 4.0×150 + "
        "3.0×25 + 5.8×15 + 6.1×20 + 6.2×10 + 4.9×170 + 3.0×120)/1440 = 5687.5/1440 = 3.9497 °C, coverage 1, above the limit 20 + 10 + 90 + 45 = 165 min, "
        "4 excursions (2 tolerated, 2 deviations), 2 door openings 5 + 10 = 15 min, 2 defrost cycles 40 + 60 = 100 min, compressor on (1440 − 40 − 70 − "
        "60)/1440 = 0.88194, setpoint 2.0."
    ),
    "config": {"max_gap_min": 240},
    "thing_models": {P: MODEL},
    "devices": {D: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": D, "type": "ccp_deviation", "details": {"start": local(14, 0), "temperature": 5.5, "peak": 5.5, "limit": 5, "cause": "compressor_off", "minutes": 0}},
            {"op": "clear", "device": D, "type": "ccp_deviation"},
            {"op": "raise", "device": D, "type": "ccp_deviation", "details": {"start": local(18, 25), "temperature": 6.2, "peak": 6.2, "cause": "defrost", "minutes": 35}},
            {"op": "clear", "device": D, "type": "ccp_deviation"},
            {"op": "raise", "device": D, "type": "ccp_corrective_action_overdue", "details": {"deviation_start": local(18, 25), "minutes_since_detection": 60, "due_min": 60, "deviations_without_action": 1}},
            {"op": "clear", "device": D, "type": "ccp_corrective_action_overdue"},
        ],
        "replies": [
            {"status": 200, "body": {"device": D, "deviation": {"start": local(14, 0), "cause": "compressor_off", "actions": [{"by": "Li Wei", "at": local(14, 50)}]}}},
            {"status": 200, "body": {"device": D, "deviation": {"start": local(18, 25), "cause": "defrost", "overdue": True}}},
            {"status": 409, "body": {"error": "2026-12-07 is not closed yet"}},
            {"status": 200, "body": {"device": D, "date": "2026-12-07", "verification": {"by": "Wang Fang"}}},
            {"status": 409, "body": {"error": "2026-12-07 was verified by Wang Fang"}},
            {"status": 200, "body": {"date": "2026-12-07", "critical_limit_c": 5, "rooms": {D: {"open": False, "record": record, "deviations": [dev1, dev2],
                                                                                              "deviation_alarm": False, "overdue_alarm": False}}}},
        ],
        "kv": {"rooms": [D], "d:" + D: {"2026-12-07": record}, "dev:" + D: [dev1, dev2],
               "r:" + D: {"awaiting": [], "exc": None, "day": {"date": "2026-12-08", "n": 1}}},
        "logs": ["cr-1: daily record 2026-12-07 closed: min 3, max 7, mean 3.95 °C, 165 min above 5 °C, 2 deviation(s), 2 door opening(s), 2 defrost cycle(s)",
                 "defrost excursion of 20 min (peak 6 °C) within tolerance", "door excursion of 10 min (peak 6.5 °C) within tolerance"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/day-by-hand.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 2. The demo's simulated cold room, default configuration.
# ---------------------------------------------------------------------------------------------
P2, D2 = "demo-cold-room", "coldroom-01"
rows = [("10:00", 2.5, False), ("10:05", 3.0, True), ("10:10", 5.6, False), ("10:15", 4.8, False), ("10:20", 4.0, True),
        ("10:25", 6.0, True), ("10:30", 7.0, True), ("10:35", 7.5, True), ("10:40", 7.8, True), ("10:45", 7.9, False),
        ("10:50", 6.5, False), ("10:55", 5.0, False), ("11:00", 3.0, False)]
ev = [room(D2, P2, local(*hm(t)), T, door, False, True) for t, T, door in rows]
ev += [sched(local(11, 40)), sched(local(11, 45)),
       http("corrective-action", {"device": D2, "by": "Operator A", "action": "Door closed, strip curtain re-hung; product core temperatures 4.1–4.6 °C, released",
                                  "disposition": "released", "at": local(11, 50)}),
       http("report", {"device": D2, "date": "2026-12-07"})]
sum_t = sum(T for _, T, _ in rows[:-1]) * 5 + 3.0 * 30   # 12 readings held 5 min, 11:00 held 30 min (max_gap_min)
assert abs(sum_t - 428) < 1e-9
fx = {
    "description": (
        "The demo's simulated cold room (product demo-cold-room with the default property names temperature, setpoint, compressor_on, door_open, "
        "defrost; thing model defined here) and the default configuration (limit 5 °C, door tolerance 15 min, max_excursion_c 8, action due after 60 "
        "min, max_gap_min 30), readings every 5 min. By hand: door open 10:05–10:10, 5.6 °C at 10:10 just after it closed: a door excursion, back to 4.8 "
        "at 10:15 (5 min, tolerated); door open from 10:20, above the limit from 10:25 (6.0, 7.0, 7.5, 7.8 — 15 min at 10:40 is not more than 15), at "
        "10:45 (7.9, door closed) 20 min > 15: ccp_deviation raised (start 10:25, cause door, minutes 20); 5.0 at 10:55 is within the limit: cleared "
        "(a 30-min deviation, peak 7.9 < 8). The 11:40 schedule finds 55 min since detection, the 11:45 one 60: ccp_corrective_action_overdue raised; "
        "the action posted at 11:50 clears it. The day's open record at the report: 13 readings, min 2.5, max 7.9, held time 10:00–11:30 (the 11:00 "
        "reading held 30 min, max_gap_min) = 90 min, mean (5 × (2.5 + 3.0 + 5.6 + 4.8 + 4.0 + 6.0 + 7.0 + 7.5 + 7.8 + 7.9 + 6.5 + 5.0) + 30 × 3.0)/90 = "
        "428/90 = 4.7556 °C, coverage 90/1440 = 0.0625, above the limit 5 + 30 = 35 min, 2 door openings 5 + 25 = 30 min, 2 excursions (1 tolerated, "
        "1 deviation), compressor duty 1."
    ),
    "thing_models": {P2: MODEL},
    "devices": {D2: {"product": P2}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": D2, "type": "ccp_deviation", "details": {"start": local(10, 25), "temperature": 7.9, "peak": 7.9, "limit": 5, "cause": "door", "minutes": 20}},
            {"op": "clear", "device": D2, "type": "ccp_deviation"},
            {"op": "raise", "device": D2, "type": "ccp_corrective_action_overdue", "details": {"deviation_start": local(10, 25), "minutes_since_detection": 60}},
            {"op": "clear", "device": D2, "type": "ccp_corrective_action_overdue"},
        ],
        "replies": [
            {"status": 200, "body": {"deviation": {"start": local(10, 25), "end": local(10, 55), "minutes": 30, "peak": 7.9, "cause": "door", "tolerance_min": 15, "overdue": True}}},
            {"status": 200, "body": {"rooms": {D2: {"open": True, "record": {
                "n": 13, "min": 2.5, "max": 7.9, "mean": 428 / 90, "coverage": 0.0625, "above_min": 35, "door_n": 2, "door_min": 30,
                "excursions": 2, "tolerated": 1, "deviations": 1, "defrost_n": 0, "compressor_duty": 1, "verification": None}}}}},
        ],
        "kv": {"r:" + D2: {"dev_alarm": False, "overdue_alarm": False, "awaiting": [], "exc": None}},
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/demo-cold-room.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 3. Bad and missing data, refused requests.
# ---------------------------------------------------------------------------------------------
X = "room"  # no thing model
ev = [
    tel("room-a", X, local(9, 0), temperature=3.0),
    {"kind": "telemetry", "device": "room-a", "product": X, "points": [
        {"property": "temperature", "ts": local(9, 10), "value": 4.0},
        {"property": "temperature", "ts": local(8, 50), "value": 9.0}]},
    tel("room-a", X, local(9, 20), temperature=-999.0),
    tel("room-a", X, local(9, 30), temperature=6.0),
    tel("room-a", X, local(10, 30), temperature=4.0),
    http("verify", {"device": "room-a", "date": "2026-12-07", "by": "QA"}),
    http("corrective-action", {"device": "room-a", "action": "checked"}),
    tel("room-a", X, local(0, 10, day=8), temperature=3.0),
    http("verify", {"device": "room-a", "date": "2026-12-07", "by": "QA"}),
    http("corrective-action", {"device": "room-a", "by": "QA lead", "action": "Second probe read 5.8 °C: sensor confirmed; product assessed and released", "at": local(0, 20, day=8)}),
    http("verify", {"device": "room-a", "date": "2026-12-07", "by": "QA"}),
    tel("room-t", X, local(9, 0), temperature="ERR", door_open="open"),
    tel("room-t", X, local(9, 5), temperature="ERR", door_open="closed"),
    http("corrective-action", {"device": "room-z", "by": "QA", "action": "x"}),
    http("corrective-action", {"device": "room-t", "by": "QA", "action": "x"}),
    http("corrective-action", {"device": "room-a", "by": "QA", "action": "x", "deviation": "09:30"}),
    http("verify", {"device": "room-a", "date": "7/12/2026", "by": "QA"}),
    http("verify", {"device": "room-a", "date": "2026-12-01", "by": "QA"}),
    http("nowhere", {}),
    http("corrective-action", ["room-a"]),
    http("report", {"date": "2026-12-07"}),
    {"kind": "manual", "at": local(0, 30, day=8)},
]
rec_a = {"date": "2026-12-07", "n": 4, "min": 3.0, "max": 6.0, "mean": 410 / 90, "coverage": 90 / 1440, "above_min": 30, "excursions": 1,
         "tolerated": 0, "deviations": 1, "door_n": 0, "compressor_duty": None, "verification": {"by": "QA"}}
rec_t = {"date": "2026-12-07", "n": 0, "min": None, "mean": None, "coverage": 0, "door_n": 1, "door_min": 5}
fx = {
    "description": (
        "Bad and missing data on a product without a thing model (text readings on room-t only, whose series are text from their first value), "
        "default configuration (max_gap_min 30). room-a reports only a temperature (no door, defrost, compressor or setpoint): 09:00 3.0; a message with "
        "09:10 4.0 and an older 08:50 9.0 (skipped); 09:20 −999 (a sensor fault code: ignored, the 4.0 stays held); 09:30 6.0: above the limit with no "
        "known cause: a deviation at once (unexplained), ccp_deviation raised; 10:30 4.0 after an hour without data: 30 min counted at 6.0, cleared; "
        "the deviation, detected at 09:30, is then 60 min without an action: ccp_corrective_action_overdue raised. Verifying 12-07 before the day "
        "closed: 409; a corrective action without 'by': 400. The 00:10 reading of 12-08 closes 12-07; verifying then: 409 listing the deviation; the "
        "action (QA lead) clears the alarm; verified by QA. room-a's record by hand: 4 readings, min 3, max 6, held 3.0×10 + 4.0×20 + 6.0×30 + 4.0×30 = 410 °C·min over "
        "90 min: mean 4.5556, coverage 90/1440 = 0.0625, 30 min above, 1 excursion = 1 deviation, no compressor data (duty null); 2 readings skipped. "
        "room-t: temperatures 'ERR' (2 ignored), door 'open' 09:00–09:05 'closed' (text switches): 1 opening, 5 min, no temperature (mean null, coverage "
        "0). Refused: action for an unknown room (404), for a room without deviations (404), deviation given as text (400), a date not YYYY-MM-DD (400), "
        "a date without a record (404), an unknown path (404), a body that is no object (400). The report of 12-07, then a manual run at 12-08 00:30 "
        "that closes room-t's 12-07."
    ),
    "devices": {"room-a": {"product": X}, "room-t": {"product": X}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": "room-a", "type": "ccp_deviation", "details": {"start": local(9, 30), "cause": "unexplained", "peak": 6.0}},
            {"op": "clear", "device": "room-a", "type": "ccp_deviation"},
            {"op": "raise", "device": "room-a", "type": "ccp_corrective_action_overdue", "details": {"deviation_start": local(9, 30), "minutes_since_detection": 60}},
            {"op": "clear", "device": "room-a", "type": "ccp_corrective_action_overdue"},
        ],
        "replies": [
            {"status": 409, "body": {"error": "2026-12-07 is not closed yet"}},
            {"status": 400, "body": {"error": "device, by (who) and action (what was done) are required"}},
            {"status": 409, "body": {"error": "deviation(s) without a corrective action", "deviations": [local(9, 30)]}},
            {"status": 200, "body": {"deviation": {"start": local(9, 30), "cause": "unexplained", "overdue": True, "minutes": 60}}},
            {"status": 200, "body": {"verification": {"by": "QA"}}},
            {"status": 404, "body": {"error": "no records of room-z"}},
            {"status": 404, "body": {"error": "no such deviation of room-t"}},
            {"status": 400},
            {"status": 400},
            {"status": 404, "body": {"error": "no record of room-a on 2026-12-01"}},
            {"status": 404},
            {"status": 400, "body": {"error": "the body must be a JSON object"}},
            {"status": 200, "body": {"date": "2026-12-07", "rooms": {"room-a": {"open": False, "record": rec_a}, "room-t": {"open": True, "record": rec_t}}}},
        ],
        "kv": {"rooms": ["room-a", "room-t"], "r:room-a": {"skipped": 2, "overdue_alarm": False, "awaiting": []}, "r:room-t": {"skipped": 2, "temp": None},
               "d:room-a": {"2026-12-07": rec_a}, "d:room-t": {"2026-12-07": {"n": 0, "door_n": 1, "door_min": 5}}},
        "logs": ["room-a: skipped 1 reading(s) older than the last one", "room-a: ignored 1 reading(s) with an unusable value",
                 "room-t: ignored 1 reading(s) with an unusable value", "manual run"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/bad-data.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 4. Edges: a tolerance that runs out on the schedule across midnight, the max_excursion_c
#    ceiling, the setpoint alarm.
# ---------------------------------------------------------------------------------------------
D4 = "cr-2"
def r4(t, T, door, defrost, comp, sp=2.0, day=7):
    return room(D4, P, local(*hm(t), day=day), T, door, defrost, comp, sp)
ev = [
    r4("23:00", 3.0, False, False, True),
    r4("23:30", 3.0, False, True, False),
    r4("23:40", 5.5, False, True, False),
    sched(local(23, 55)),
    sched(local(0, 15, day=8)),
    r4("00:20", 4.0, False, False, True, day=8),
    r4("00:30", 3.0, True, False, True, day=8),
    r4("00:35", 8.5, True, False, True, day=8),
    r4("00:40", 4.0, False, False, True, day=8),
    r4("00:45", 3.5, False, False, True, sp=6.0, day=8),
    r4("00:50", 3.5, False, False, True, day=8),
    http("corrective-action", {"device": D4, "deviation": local(23, 40), "by": "Night shift", "action": "Defrost cycle overran: drain heater checked", "at": local(0, 52, day=8)}),
    http("corrective-action", {"device": D4, "deviation": local(0, 35, day=8), "by": "Night shift", "action": "Pallet truck held the door: product probed 3.9 °C", "at": local(0, 55, day=8)}),
    http("report", {"device": D4, "date": "2026-12-07"}),
    http("report", {"device": D4, "date": "2026-12-08"}),
]
rec7 = {"date": "2026-12-07", "n": 3, "min": 3.0, "max": 5.5, "mean": (3.0 * 30 + 3.0 * 10 + 5.5 * 20) / 60, "coverage": 60 / 1440, "above_min": 20,
        "excursions": 1, "tolerated": 0, "deviations": 1, "defrost_n": 1, "defrost_min": 30, "compressor_duty": 0.5}
rec8 = {"date": "2026-12-08", "n": 6, "min": 3.0, "max": 8.5, "mean": (5.5 * 20 + 4.0 * 10 + 3.0 * 5 + 8.5 * 5 + 4.0 * 5 + 3.5 * 5) / 50, "above_min": 25,
        "excursions": 1, "tolerated": 0, "deviations": 1, "door_n": 1, "door_min": 10, "defrost_n": 0, "defrost_min": 20, "sp_min": 2.0, "sp_max": 6.0}
fx = {
    "description": (
        "Edges, worked by hand (defaults but max_gap_min 60; cr-2 of the cold-room thing model). Defrost from 23:30 (compressor off), 5.5 °C at 23:40: a "
        "defrost excursion; no reading follows; the 23:55 schedule finds it 15 min old (tolerated), the 00:15 schedule on 12-08 35 min > 30: the "
        "schedule declares the deviation (start 23:40, cause defrost, minutes 35, temperature 5.5) and counts it in 12-07's record, which that "
        "schedule has just closed; 4.0 at 00:20 ends it (40 min). Door open from 00:30, 8.5 °C at 00:35: above max_excursion_c 8, so no door tolerance: "
        "a deviation at once (minutes 0), ended at 00:40. Setpoint 6.0 at 00:45 > 5: setpoint_above_limit raised, cleared by 2.0 at 00:50. Both "
        "deviations get their actions in time (no overdue alarm). 12-07: readings 23:00 3.0, 23:30 3.0, 23:40 5.5 held to midnight: mean (3.0×30 + 3.0×10 "
        "+ 5.5×20)/60 = 3.8333, coverage 60/1440, 20 min above, 1 excursion = 1 deviation, 1 defrost cycle 30 min, compressor on 30 of 60 min = 0.5. "
        "12-08 (open): the 5.5 held over midnight counts in its range; 6 readings, min 3.0, max 8.5, mean (5.5×20 + 4.0×10 + 3.0×5 + 8.5×5 + 4.0×5 + "
        "3.5×5)/50 = 245/50 = 4.9, 20 + 5 = 25 min above, 1 excursion (the defrost one began on 12-07) = 1 deviation, 1 door opening 10 min, defrost 20 "
        "min but no new cycle, setpoint 2.0–6.0."
    ),
    "config": {"max_gap_min": 60},
    "thing_models": {P: MODEL},
    "devices": {D4: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": D4, "type": "ccp_deviation", "details": {"start": local(23, 40), "temperature": 5.5, "peak": 5.5, "cause": "defrost", "minutes": 35}},
            {"op": "clear", "device": D4, "type": "ccp_deviation"},
            {"op": "raise", "device": D4, "type": "ccp_deviation", "details": {"start": local(0, 35, day=8), "temperature": 8.5, "peak": 8.5, "cause": "door", "minutes": 0}},
            {"op": "clear", "device": D4, "type": "ccp_deviation"},
            {"op": "raise", "device": D4, "type": "setpoint_above_limit", "details": {"setpoint": 6.0, "limit": 5}},
            {"op": "clear", "device": D4, "type": "setpoint_above_limit"},
        ],
        "replies": [
            {"status": 200, "body": {"deviation": {"start": local(23, 40), "declared": local(0, 15, day=8), "end": local(0, 20, day=8), "minutes": 40, "cause": "defrost"}}},
            {"status": 200, "body": {"deviation": {"start": local(0, 35, day=8), "declared": local(0, 35, day=8), "end": local(0, 40, day=8), "minutes": 5, "peak": 8.5, "cause": "door"}}},
            {"status": 200, "body": {"rooms": {D4: {"open": False, "record": rec7}}}},
            {"status": 200, "body": {"rooms": {D4: {"open": True, "record": rec8}}}},
        ],
        "kv": {"d:" + D4: {"2026-12-07": rec7}, "r:" + D4: {"sp_alarm": False, "dev_alarm": False, "overdue_alarm": False, "awaiting": []}},
        "logs": ["cr-2: CCP deviation since", "(defrost; longer than 30 min)", "(door; above 8 °C)"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/tolerance-edges.json", "w"), ensure_ascii=False, indent=1)
print("ok")
