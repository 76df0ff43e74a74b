#!/usr/bin/env python3
"""Writes the fixtures of apps/mould-maintenance. Expected values are worked out here by hand
arithmetic (not taken from the app); the descriptions carry it."""
import json, os

MIN = 60000
H = 60 * MIN
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1780279200000  # 2026-06-01 10:00 local (UTC+8)


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev, "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}

# ---------------------------------------------------------------- 1. SPI classes

ev = [
    http("mould", {"mould": "M-101", "class": 101}),
    http("mould", {"mould": "M-102", "class": 102}),
    http("mould", {"mould": "M-103", "class": 103}),
    http("mould", {"mould": "M-104", "class": 104, "shots": 99990, "cavities": 8}),
    http("mould", {"mould": "P-105", "class": 105, "cavities": 2}),
    http("mount", {"machine": "imm-01", "mould": "P-105", "ts": T0}),
    tel("imm-01", T0, shot_count=0, cycle_time=20.0),
    tel("imm-01", T0 + H, shot_count=180, cycle_time=20.0),
    tel("imm-01", T0 + 2 * H, shot_count=360, cycle_time=20.0),
    tel("imm-01", T0 + 3 * H, shot_count=520, cycle_time=20.0),
    http("mount", {"machine": "imm-01", "mould": "M-104", "ts": T0 + 3 * H + 10 * MIN}),
    tel("imm-01", T0 + 4 * H, shot_count=540, cycle_time=20.0),
    http("status", {"mould": "M-104"}),
]
write("spi-mould-classes.json", {
    "description": (
        "The SPI mould classification (Society of the Plastics Industry, now the Plastics Industry Association, PLASTICS: classes for injection "
        "moulds for thermoplastics, as published by moulders, e.g. Kaysun 2019): Class 101 one million cycles or more, 102 not exceeding one "
        "million, 103 not exceeding 500 000, 104 not exceeding 100 000, 105 not exceeding 500 (prototype). Five moulds are registered with their "
        "classes: the replies carry the design lives 1 000 000, 1 000 000, 500 000, 100 000 and 500 shots (201 created). The prototype P-105 (2 "
        "cavities) is mounted on imm-01; the counter reads 0 (the starting point), 180, 360, 520 at 20-s cycles: 520 shots >= 500 -> "
        "mould_life_reached (major) on imm-01 at 104 % of its life, 1 040 parts. M-104 (8 cavities, 99 990 shots when registered) replaces it: "
        "P-105 comes off (its life alarm on imm-01 is cleared), M-104 goes on; 20 more shots (520 -> 540) make 100 010 >= 100 000 -> "
        "mould_life_reached for M-104 (100.01 %, 800 080 parts). Its status: cleaning 20 of 25 000 shots since registration (0.08 %), hours to "
        "the next cleaning at 20 s (180 shots/h): (25 000 - 20)/180 = 138.7778 h. Hand calculation."),
    "devices": {"imm-01": {"product": "imm"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [
            {"status": 201, "body": {"mould": "M-101", "class": 101, "life": 1000000}},
            {"status": 201, "body": {"mould": "M-102", "class": 102, "life": 1000000}},
            {"status": 201, "body": {"mould": "M-103", "class": 103, "life": 500000}},
            {"status": 201, "body": {"mould": "M-104", "class": 104, "life": 100000, "shots": 99990, "life_pct": 99.99}},
            {"status": 201, "body": {"mould": "P-105", "class": 105, "life": 500, "shots": 0}},
            {"status": 200, "body": {"mould": "P-105", "machine": "imm-01"}},
            {"status": 200, "body": {"mould": "M-104", "machine": "imm-01"}},
            {"status": 200, "body": {"mould": "M-104", "shots": 100010, "life_pct": 100.01, "parts": 800080, "since_clean": 20,
                                     "clean_pct": 0.08, "clean_status": "ok", "clean_due_h": (25000 - 20) / 180, "life_due_h": 0}},
        ],
        "alarms": [
            {"op": "raise", "device": "imm-01", "type": "mould_life_reached", "severity": "major",
             "details": {"mould": "P-105", "class": 105, "shots": 520, "life": 500, "life_pct": 104}},
            {"op": "clear", "device": "imm-01", "type": "mould_life_reached"},
            {"op": "raise", "device": "imm-01", "type": "mould_life_reached", "severity": "major",
             "details": {"mould": "M-104", "class": 104, "shots": 100010, "life": 100000}},
        ],
        "kv": {
            "mould:P-105": {"shots": 520, "life_pct": 104, "parts": 1040, "machine": ""},
            "mould:M-104": {"shots": 100010, "machine": "imm-01"},
            "moulds": ["M-101", "M-102", "M-103", "M-104", "P-105"],
            "r:P-105": [{"kind": "mount", "machine": "imm-01", "shots": 0}, {"kind": "dismount", "machine": "imm-01", "shots": 520}],
        },
    },
    "rel": 1e-9,
})

# ---------------------------------------------------------------- 2. the demo moulding machine

IMM_MODEL = {"properties": [
    {"identifier": "shot_count", "name": "模次计数 Shot count", "access": "r", "data_type": {"type": "int", "min": 0}},
    {"identifier": "cycle_time", "name": "周期时间 Cycle time", "access": "r", "data_type": {"type": "float", "unit": "s"}},
    {"identifier": "state", "name": "状态 State", "access": "r", "data_type": {"type": "int", "min": 0, "max": 9}},
]}
ev2 = [
    http("mould", {"mould": "M-2041", "class": 102, "cavities": 4, "shots": 480000, "since_clean": 24900, "since_inspect": 99000,
                   "since_service": 180000}),
    http("mount", {"machine": "imm-01", "mould": "M-2041", "ts": T0 - MIN}),
    tel("imm-01", T0, shot_count=1000, cycle_time=30.0, state=1),
    tel("imm-01", T0 + 30 * MIN, shot_count=1060, cycle_time=30.0, state=1),
    tel("imm-01", T0 + 60 * MIN, shot_count=1120, cycle_time=30.0, state=1),
    http("done", {"mould": "M-2041", "kind": "clean", "by": "Wang", "note": "vents and parting line cleaned", "ts": T0 + 70 * MIN}),
    tel("imm-01", T0 + 90 * MIN, shot_count=1180, cycle_time=30.0, state=1),
]
write("demo-moulding-machine.json", {
    "description": (
        "The demo's injection moulding machine (shot_count, cycle_time s, state) with the default configuration (cleaning every 25 000, inspection "
        "every 100 000, full service every 250 000 shots). M-2041, class 102 (design life 1 000 000), 4 cavities, 480 000 shots, 24 900 since its "
        "last cleaning, 99 000 since inspection, 180 000 since full service, is mounted on imm-01. The counter reads 1000 (start), 1060, 1120 "
        "every 30 min at 30-s cycles: after 1120, 120 shots: 24 900 + 120 = 25 020 >= 25 000 -> mould_cleaning_due (warning) raised; inspection "
        "99 120 < 100 000. The cleaning is recorded (by Wang) -> since_clean 0, alarm cleared. 1180: 60 more. Now: shots 480 180, parts "
        "480 180 x 4 = 1 920 720, life 48.018 %, since cleaning 60 (0.24 %), inspection 99 180 (99.18 %: due soon, >= 90 %), service 180 180 "
        "(72.072 %); at 30 s = 120 shots/h: cleaning due in (25 000 - 60)/120 = 207.8333 h, inspection in 820/120 = 6.8333 h. Hand calculation."),
    "thing_models": {"demo-imm": IMM_MODEL},
    "devices": {"imm-01": {"product": "demo-imm"}},
    "events": ev2,
    "expect": {
        "results": [0] * len(ev2),
        "replies": [
            {"status": 201, "body": {"mould": "M-2041", "class": 102, "life": 1000000, "cavities": 4, "shots": 480000, "since_clean": 24900}},
            {"status": 200, "body": {"mould": "M-2041", "machine": "imm-01", "clean_status": "soon"}},
            {"status": 200, "body": {"mould": "M-2041", "since_clean": 0, "since_inspect": 99120, "clean_status": "ok",
                                     "inspect_status": "soon", "last_clean": T0 + 70 * MIN}},
        ],
        "alarms": [
            {"op": "raise", "device": "imm-01", "type": "mould_cleaning_due", "severity": "warning",
             "details": {"mould": "M-2041", "class": 102, "maintenance": "clean", "shots_since": 25020, "interval": 25000, "shots": 480120}},
            {"op": "clear", "device": "imm-01", "type": "mould_cleaning_due"},
        ],
        "kv": {
            "mould:M-2041": {"shots": 480180, "parts": 1920720, "life_pct": 48.018, "since_clean": 60, "since_inspect": 99180,
                             "since_service": 180180, "clean_pct": 0.24, "inspect_pct": 99.18, "service_pct": 72.072,
                             "inspect_status": "soon", "clean_status": "ok", "service_status": "ok",
                             "clean_due_h": (25000 - 60) / 120, "inspect_due_h": 820 / 120, "machine": "imm-01"},
            "mach:imm-01": {"mould": "M-2041", "last_count": 1180, "alarm_clean": 0, "alarm_inspect": 0, "shots_per_hour": 120},
            "r:M-2041": [{"kind": "mount", "machine": "imm-01", "shots": 480000},
                         {"kind": "clean", "by": "Wang", "note": "vents and parting line cleaned", "shots": 480120,
                          "time": "2026-06-01 11:10"}],
        },
    },
    "rel": 1e-9,
})

# ---------------------------------------------------------------- 3. bad data

ev3 = [
    tel("imm-01", T0, shot_count=100, cycle_time=30.0),
    tel("imm-01", T0 + 10 * MIN, shot_count=160),
    http("mount", "imm-01"),
    http("mount", {"machine": "imm-99", "mould": "M-1"}),
    http("mount", {"machine": "imm-01", "mould": "M-1", "ts": T0 + 11 * MIN}),
    tel("imm-01", T0 + 20 * MIN, shot_count=180),
    tel("imm-01", T0 + 15 * MIN, shot_count=999),
    tel("imm-01", T0 + 30 * MIN, shot_count=15),
    tel("imm-01", T0 + 31 * MIN, shot_count=100015),
    tel("imm-01", T0 + 40 * MIN, shot_count=100030),
    tel("imm-03", T0 + 50 * MIN, shot_count=12.5),
    tel("imm-01", T0 + 60 * MIN, shot_count=-3),
    tel("imm-01", T0 + 70 * MIN, shot_count=100050),
    tel("imm-02", T0, shot_count="n/a"),
    http("done", {"mould": "M-1", "kind": "polish"}),
    http("done", {"mould": "M-9", "kind": "clean"}),
    http("mould", {"mould": "M-2", "class": 106}),
    http("mould", {"mould": "M-2", "shots": -5}),
    http("mould", {"mould": "bad{id}"}),
    http("status", {}),
]
write("bad-data.json", {
    "description": (
        "Bad data and bad requests, defaults (min_cycle_s 1). imm-01: counter 100 (start), 160 with no mould mounted (60 shots unassigned, logged); "
        "mount with a body that is no object (400) and on a machine that is not a device of the installation (404); M-1 mounted (registered with "
        "the default class 103, life 500 000). 180: +20 -> 20. A reading dated before the last (999) is ignored. 15: the counter went back, a "
        "reset: 15 shots since it -> 35. 100015 one minute later: +100 000 in 60 s is more than one shot a second: ignored (jump), counting from "
        "100015. 100030: +15 -> 50. -3 is no counter value: ignored (imm-03, a float series of its own product, reports 12.5: not an integer, ignored). 100050: +20 -> 70. imm-02 (its own product: "
        "a text series) reports 'n/a': not a number, logged. done with kind 'polish' (400) and for an unknown mould (404); class 106 (400); "
        "shots -5 (400); an id with braces (400). status lists M-1 with 70 shots. Nothing traps. Hand calculation."),
    "devices": {"imm-01": {"product": "imm"}, "imm-02": {"product": "imm-text"}, "imm-03": {"product": "imm-float"}},
    "events": ev3,
    "expect": {
        "results": [0] * len(ev3),
        "replies": [
            {"status": 400}, {"status": 404}, {"status": 200, "body": {"mould": "M-1", "class": 103, "life": 500000, "shots": 0}},
            {"status": 400}, {"status": 404}, {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 200, "body": {"moulds": [{"mould": "M-1", "shots": 70, "since_clean": 70, "machine": "imm-01"}]}},
        ],
        "alarms": [],
        "kv": {
            "mach:imm-01": {"mould": "M-1", "unassigned": 60, "resets": 1, "jumps": 1, "last_count": 100050},
            "mould:M-1": {"shots": 70, "class": 103, "life": 500000},
        },
        "logs": ["imm-01: no mould mounted: 60 shots not assigned", "imm-01: counter reading at", "counter went back from 180 to 15",
                 "counter jumped by 100000 in 60 s", "shot_count 12.5 is no counter value", "shot_count -3 is no counter value",
                 "imm-02: shot_count is not a number, ignored", "mould M-1 registered at its first mount"],
    },
    "rel": 1e-9,
})
