#!/usr/bin/env python3
"""Writes the fixtures of apps/maintenance-work-orders. Expected values are worked out by
hand in each description (the arithmetic is repeated below in plain Python), never taken
from the app. Run: python3 apps/maintenance-work-orders/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z
H = 3600000
M = 60000


def alarm(change, device, product, atype, severity, start, last=None, aid="a1", ack=False, active=True):
    return {"kind": "alarm", "change": change, "device": device, "product": product,
            "alarm": {"id": aid, "type": atype, "severity": severity, "active": active, "acknowledged": ack,
                      "count": 1, "start_ts": start, "last_ts": last if last is not None else start,
                      "details": {}, "rule_id": None}}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


# --- 1. A failure log by hand: MTTR, MTBF, availability, SLA ------------------------------
# WO-00001 critical (P1: 15 min / 4 h): report 1 h, assigned 1 h 10, started 1 h 30, closed 3 h.
# WO-00002 minor (P3: 240 min / 24 h): report 51 h, acknowledged 51 h 30, started 53 h, closed 57 h.
# WO-00003 critical (P1): report 129 h, assigned 129 h 20 (late), started 129 h 40, closed 134 h (late).
restoration = [3 - 1, 57 - 51, 134 - 129]            # h: 2, 6, 5
response = [10, 30, 20]                                # min
active = [3 - 1.5, 57 - 53, 134 - (129 + 40 / 60)]     # h: 1.5, 4, 4.333
uptime = [51 - 3, 129 - 57]                            # h: 48, 72
mttr = sum(restoration) / 3
mtbf = sum(uptime) / 2
avail = mtbf / (mtbf + mttr) * 100
dev = "pump-01"
write("failure-log-by-hand.json", {
    "description": "A failure log worked by hand (EN 13306:2017 terms; EN 15341:2019-style indicators). pump-01 (demo-pump) fails three times. WO-00001: bearing_overheat (critical → P1: respond within 15 min, restore within 4 h) reported at 01:00, assigned at 01:10 (response 10 min), started 01:30, closed 03:00: restoration 2 h, active repair 1.5 h, SLA met. WO-00002: vibration_zone_c (minor → P3: 240 min, 24 h) at 51:00, acknowledged (alarm event) 51:30 (response 30 min), started 53:00, closed 57:00: restoration 6 h, active 4 h, met. WO-00003: bearing_overheat at 129:00; the tick at 129:16 finds no response after 15 min: work_order_sla_breach raised (response); assigned 129:20 (20 min): no open order in breach, the alarm is cleared; started 129:40; the tick at 133:01 is past the 4 h restoration target: raised again (restoration); closed 134:00 (restoration 5 h, active 4 h 20 min = 4.333 h): cleared; SLA missed. MTTR = (2 + 6 + 5)/3 = 4.3333 h; operating times between failures 51 − 3 = 48 h and 129 − 57 = 72 h: MTBF = 60 h; availability = 60/(60 + 4.3333) = 93.264 %; mean response (10 + 30 + 20)/3 = 20 min; mean active repair (1.5 + 4 + 4.3333)/3 = 3.2778 h; SLA compliance 2 of 3 = 66.667 %. A cleared alarm (WO-00002's at 52:00) leaves the order open.",
    "devices": {dev: {"product": "demo-pump"}},
    "events": [
        tick(T0),
        alarm("raised", dev, "demo-pump", "bearing_overheat", "critical", T0 + 1 * H, aid="a1"),
        http("assign", {"id": "WO-00001", "assignee": "Li Wei", "ts": T0 + 1 * H + 10 * M}),
        http("start", {"id": "WO-00001", "ts": T0 + 1 * H + 30 * M}),
        http("close", {"id": "WO-00001", "ts": T0 + 3 * H, "cause": "lubrication", "remedy": "regreased"}),
        alarm("raised", dev, "demo-pump", "vibration_zone_c", "minor", T0 + 51 * H, aid="a2"),
        alarm("acknowledged", dev, "demo-pump", "vibration_zone_c", "minor", T0 + 51 * H, T0 + 51 * H + 30 * M, aid="a2", ack=True),
        alarm("cleared", dev, "demo-pump", "vibration_zone_c", "minor", T0 + 51 * H, T0 + 52 * H, aid="a2", ack=True, active=False),
        http("start", {"id": "WO-00002", "ts": T0 + 53 * H, "assignee": "Zhang Min"}),
        http("close", {"id": "WO-00002", "ts": T0 + 57 * H}),
        alarm("raised", dev, "demo-pump", "bearing_overheat", "critical", T0 + 129 * H, aid="a3"),
        tick(T0 + 129 * H + 16 * M),
        http("assign", {"id": "WO-00003", "assignee": "Li Wei", "ts": T0 + 129 * H + 20 * M}),
        http("start", {"id": "WO-00003", "ts": T0 + 129 * H + 40 * M}),
        tick(T0 + 133 * H + 1 * M),
        http("close", {"id": "WO-00003", "ts": T0 + 134 * H}),
    ],
    "expect": {
        "results": [0] * 16,
        "alarms": [
            {"op": "raise", "device": dev, "type": "work_order_sla_breach", "severity": "critical",
             "details": {"work_order": "WO-00003", "breach": ["response"]}},
            {"op": "clear", "device": dev, "type": "work_order_sla_breach"},
            {"op": "raise", "device": dev, "type": "work_order_sla_breach",
             "details": {"work_order": "WO-00003", "breach": ["response", "restoration"]}},
            {"op": "clear", "device": dev, "type": "work_order_sla_breach"},
        ],
        "replies": [
            {"status": 200, "body": {"id": "WO-00001", "status": "assigned", "assignee": "Li Wei"}},
            {"status": 200, "body": {"id": "WO-00001", "status": "in_progress"}},
            {"status": 200, "body": {"id": "WO-00001", "status": "closed", "restoration_h": 2, "response_min": 10,
                                     "active_repair_h": 1.5, "sla_met": True, "priority": 1}},
            {"status": 200, "body": {"id": "WO-00002", "status": "in_progress", "acknowledged_ts": T0 + 51 * H + 30 * M,
                                     "alarm_active": False, "priority": 3}},
            {"status": 200, "body": {"id": "WO-00002", "status": "closed", "restoration_h": 6, "response_min": 30, "sla_met": True}},
            {"status": 200, "body": {"id": "WO-00003", "status": "assigned"}},
            {"status": 200, "body": {"id": "WO-00003", "status": "in_progress"}},
            {"status": 200, "body": {"id": "WO-00003", "status": "closed", "restoration_h": 5, "response_min": 20,
                                     "active_repair_h": active[2], "sla_met": False, "breaches": ["response", "restoration"]}},
        ],
        "kv": {"open": [], "dev:pump-01": {"failures": 3, "orders": 3, "mttr_h": mttr, "mtbf_h": mtbf,
                                          "availability_pct": avail, "mean_response_min": 20,
                                          "mean_active_repair_h": sum(active) / 3, "sla_pct": 200 / 3},
               "wo:WO-00001": None},
        "logs": ["WO-00003: response target missed (pump-01)", "WO-00003: restoration target missed (pump-01)",
                 "WO-00002: alarm vibration_zone_c cleared on pump-01; the order stays open until closed"],
    },
    "rel": 1e-9,
})

# --- 2. The demo's alarms with the defaults ----------------------------------------------
write("demo-alarms-defaults.json", {
    "description": "The demo's alarm rules (crates/ironloom/demo/rules.json) with the defaults (work orders from minor up): pump-01's bearing_warm (warning) opens none; vibration_zone_c (minor → P3: 240 min, 24 h) opens WO-00001, due 4 h and 24 h after its start; raised again while open it is counted (alarm_count 2), not a new order; bearing_overheat (critical → P1: 15 min, 4 h) opens WO-00002; boiler-01's steam_overpressure (major → P2: 60 min, 8 h) opens WO-00003, and an update to critical escalates it to P1 with the P1 targets from its report (15 min, 4 h). Assignments without ts use the app's clock (the last schedule tick, 08:20). The tick at 08:30 finds WO-00002 (reported 08:10, P1) unanswered 20 min > 15: breach raised (critical) on pump-01; WO-00003 on boiler-01 was escalated at 08:12 with its 15-min response due 08:27 but assigned at 08:20: no breach. The 'list' answer has the three open orders. Backlog per device: pump-01 2, boiler-01 1.",
    "devices": {"pump-01": {"product": "demo-pump"}, "boiler-01": {"product": "demo-boiler"}},
    "events": [
        tick(T0 + 8 * H),
        alarm("raised", "pump-01", "demo-pump", "bearing_warm", "warning", T0 + 8 * H + 1 * M, aid="w1"),
        alarm("raised", "pump-01", "demo-pump", "vibration_zone_c", "minor", T0 + 8 * H + 2 * M, aid="v1"),
        alarm("raised", "pump-01", "demo-pump", "vibration_zone_c", "minor", T0 + 8 * H + 9 * M, aid="v2"),
        alarm("raised", "pump-01", "demo-pump", "bearing_overheat", "critical", T0 + 8 * H + 10 * M, aid="o1"),
        alarm("raised", "boiler-01", "demo-boiler", "steam_overpressure", "major", T0 + 8 * H + 11 * M, aid="s1"),
        alarm("updated", "boiler-01", "demo-boiler", "steam_overpressure", "critical", T0 + 8 * H + 11 * M, T0 + 8 * H + 12 * M, aid="s1"),
        tick(T0 + 8 * H + 20 * M),
        http("assign", {"id": "WO-00003", "assignee": "Wang Fang"}),
        tick(T0 + 8 * H + 30 * M),
        http("list", None),
    ],
    "expect": {
        "results": [0] * 11,
        "alarms": [{"op": "raise", "device": "pump-01", "type": "work_order_sla_breach", "severity": "critical",
                    "details": {"work_order": "WO-00002", "breach": ["response"]}}],
        "replies": [
            {"status": 200, "body": {"id": "WO-00003", "status": "assigned", "assigned_ts": T0 + 8 * H + 20 * M,
                                     "priority": 1, "severity": "critical", "response_due": T0 + 8 * H + 11 * M + 15 * M}},
            {"status": 200, "body": {"open": [
                {"id": "WO-00001", "device": "pump-01", "alarm_type": "vibration_zone_c", "priority": 3, "alarm_count": 2,
                 "response_due": T0 + 8 * H + 2 * M + 240 * M, "restore_due": T0 + 8 * H + 2 * M + 24 * H},
                {"id": "WO-00002", "device": "pump-01", "priority": 1, "breaches": ["response"], "status": "open"},
                {"id": "WO-00003", "device": "boiler-01", "priority": 1, "restore_due": T0 + 8 * H + 11 * M + 4 * H}]}},
        ],
        "kv": {"open": ["WO-00001", "WO-00002", "WO-00003"], "breach_devices": ["pump-01"], "seq": 3,
               "dev:pump-01": {"orders": 2}, "dev:boiler-01": {"orders": 1}},
    },
})

# --- 3. Bad and missing data -------------------------------------------------------------
write("bad-and-missing-data.json", {
    "description": "Bad and missing data: an HTTP request before the app has a clock and without ts is 400 (nothing to time it by); an alarm event without a device or without a type, an unknown change, and a cleared alarm without an order are ignored (warned or logged); a 'create' without a device 400, with an unknown severity 400, with priority 7 400, with ts as text 400; a body that is no object 400; an unknown order 404; a start before the report (out of order) 422 and the order unchanged; closing twice 409 (the first close counts: restoration 0.5 h); an unknown path 404; a schedule event without 'at' only checks with the clock it has. A manual order (create, priority 2 → major, P2: 60 min, 8 h) at 10:00 is WO-00001. Nothing traps.",
    "devices": {"cnc-01": {"product": "demo-cnc"}},
    "events": [
        http("assign", {"id": "WO-00001", "assignee": "x"}),
        {"kind": "alarm", "change": "raised", "alarm": {"type": "x", "severity": "major"}},
        {"kind": "alarm", "change": "raised", "device": "cnc-01", "product": "demo-cnc", "alarm": {"severity": "major", "start_ts": T0}},
        alarm("exploded", "cnc-01", "demo-cnc", "spindle_overload", "major", T0),
        alarm("cleared", "cnc-01", "demo-cnc", "spindle_overload", "major", T0, active=False),
        http("create", {"title": "no device", "ts": T0 + 10 * H}),
        http("create", {"device": "cnc-01", "severity": "apocalyptic", "ts": T0 + 10 * H}),
        http("create", {"device": "cnc-01", "priority": 7, "ts": T0 + 10 * H}),
        http("create", {"device": "cnc-01", "priority": 2, "ts": "ten o'clock"}),
        http("create", "spindle noise"),
        http("create", {"device": "cnc-01", "priority": 2, "title": "spindle noise", "ts": T0 + 10 * H}),
        http("start", {"id": "WO-00099", "ts": T0 + 10 * H}),
        http("start", {"id": "WO-00001", "ts": T0 + 9 * H}),
        http("close", {"id": "WO-00001", "ts": T0 + 10 * H + 30 * M}),
        http("close", {"id": "WO-00001", "ts": T0 + 11 * H}),
        http("report", {"id": "WO-00001"}),
        {"kind": "schedule", "cron": "* * * * *"},
    ],
    "expect": {
        "results": [0] * 17,
        "alarms": [],
        "replies": [
            {"status": 400},
            {"status": 400}, {"status": 400}, {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 201, "body": {"id": "WO-00001", "device": "cnc-01", "priority": 2, "severity": "major", "source": "manual",
                                     "response_due": T0 + 10 * H + 60 * M, "restore_due": T0 + 18 * H}},
            {"status": 404},
            {"status": 422},
            {"status": 200, "body": {"status": "closed", "restoration_h": 0.5, "sla_met": False}},
            {"status": 409},
            {"status": 404},
        ],
        "kv": {"open": [], "clock": T0 + 10 * H + 30 * M, "dev:cnc-01": {"failures": 1, "mttr_h": 0.5}},
        "logs": ["alarm event without a device", "alarm event without a type", "unknown alarm change \"exploded\"",
                 "no ts and no clock yet", "create: \"device\" is required", "severity \"apocalyptic\"",
                 "priority 7 is not 1 to 4", "is not a time in ms", "the body must be a JSON object",
                 "no work order WO-00099", "is before the report", "WO-00001 is closed"],
    },
})
print("fixtures written")
