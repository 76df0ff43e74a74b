#!/usr/bin/env python3
"""Writes the fixtures of apps/loom-beam-runout. Expected values follow from the weaving
arithmetic below (not from the app); the descriptions show it."""
import json, os

MIN = 60000
H = 60 * MIN
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1780272000000  # 2026-06-01 08:00 local (UTC+8)


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev, "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def picks_left(remaining, waste=1.0, ppcm=20, crimp=8.0):
    return max(0.0, remaining - waste) / (1 + crimp / 100) * ppcm * 100


def local(ts):
    import datetime as dt
    t = dt.datetime.fromtimestamp(ts / 1000, dt.timezone(dt.timedelta(hours=8)))
    return t.strftime("%Y-%m-%d %H:%M")

# ---------------------------------------------------------------- 1. by hand

RATE = 600 * 60 * 0.85  # 30 600 picks/h
ev = [
    http("beam", {"loom": "L1", "beam": "WB-101", "length_m": 3000, "picks_per_cm": 20, "crimp_pct": 8, "ts": T0}),
    http("beam", {"loom": "L2", "beam": "WB-201", "length_m": 3000, "picks_per_cm": 20, "take_up_pct": 800 / 108, "ts": T0}),
]
for h in range(5):
    for loom in ("L1", "L2"):
        ev.append(tel(loom, T0 + h * H, pick_count=1000000 + int(h * RATE), ppm=600.0, state=1))
p4 = 4 * RATE
fab4 = p4 / 2000
warp4 = fab4 * 1.08
rem4 = 3000 - warp4
left4 = picks_left(rem4)
ev.append(http("remaining", {"loom": "L1", "remaining_m": 150}))
adj = 150 - rem4
for h in (5, 6):
    ev.append(tel("L1", T0 + h * H, pick_count=1000000 + int(h * RATE), ppm=600.0, state=1))
rem5 = 3000 + adj - 5 * RATE / 2000 * 1.08
rem6 = 3000 + adj - 6 * RATE / 2000 * 1.08
h5 = picks_left(rem5) / RATE
h6 = picks_left(rem6) / RATE
t_change = T0 + 6 * H + 10 * MIN
ev.append(http("beam", {"loom": "L1", "beam": "WB-102", "length_m": 2800, "ts": t_change}))
ev.append(http("status", {"loom": "L2"}))
write("weaving-arithmetic-by-hand.json", {
    "description": (
        "Weaving arithmetic by hand. Loom L1: beam WB-101, 3000 m of warp, 20 picks/cm, warp crimp 8 % (yarn length = fabric length x 1.08; "
        "ASTM D3883 crimp on the fabric length), 1 m end waste: it holds (3000 - 1)/1.08 x 20 x 100 = 5 553 703.7 picks = 2776.85 m of fabric. "
        "Loom L2: the same beam with the allowance given as take-up 7.4074 % (= 8/108: take-up on the yarn length, yarn = fabric / (1 - 0.074074) "
        "= fabric x 1.08): the same results. Both run at 600 picks/min and 85 % efficiency = 30 600 picks/h (counter 1 000 000 at 08:00, read "
        "hourly). After 4 h: 122 400 picks, fabric 122 400 / 2000 = 61.2 m, warp used 61.2 x 1.08 = 66.096 m, left 2933.904 m, picks left "
        f"2932.904 / 1.08 x 2000 = {left4:.2f}, rate 122 400 / 4 h = 30 600/h, efficiency 30 600 / (600 x 60) = 85 %, run-out in {left4 / RATE:.4f} h. "
        "On L1 the warp left is then measured at 150 m (correction -2783.904 m): picks left 149 / 1.08 x 2000 = 275 925.9, 9.0172 h. At 13:00 "
        f"(+30 600 picks = 16.524 m of warp): {rem5:.3f} m left, {h5:.4f} h > 8 h; at 14:00 {rem6:.3f} m left, {h6:.4f} h <= 8 -> warp_beam_runout "
        "(warning), run-out at 14:00 + 7.0172 h = 21:01. At 14:10 beam WB-102 (2800 m) goes on: WB-101's record (6.1667 h, 183 600 picks, 91.8 m "
        "of fabric, 99.144 m of warp used, 116.952 m left after the correction) and the alarm cleared. Hand calculation."),
    "devices": {"L1": {"product": "loom"}, "L2": {"product": "loom"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [
            {"status": 200, "body": {"loom": "L1", "beam": "WB-101", "warp_remaining_m": 3000.0, "picks_left": picks_left(3000), "crimp_pct": 8}},
            {"status": 200, "body": {"loom": "L2", "beam": "WB-201", "picks_left": picks_left(3000)}},
            {"status": 200, "body": {"loom": "L1", "warp_remaining_m": 150.0, "picks_left": picks_left(150), "hours_to_runout": picks_left(150) / RATE}},
            {"status": 200, "body": {"loom": "L1", "beam": "WB-102", "warp_remaining_m": 2800.0, "beam_picks": 0, "alarm": 0}},
            {"status": 200, "body": {"loom": "L2", "beam_picks": p4, "fabric_m": fab4, "warp_used_m": warp4, "warp_remaining_m": rem4,
                                     "picks_left": left4, "picks_per_hour": RATE, "efficiency_pct": 85.0, "hours_to_runout": left4 / RATE,
                                     "runout_time": local(T0 + 4 * H + left4 / RATE * H)}},
        ],
        "alarms": [
            {"op": "raise", "device": "L1", "type": "warp_beam_runout", "severity": "warning",
             "details": {"beam": "WB-101", "warp_remaining_m": rem6, "picks_left": picks_left(rem6), "hours_to_runout": h6,
                         "runout_time": local(T0 + 6 * H + h6 * H), "efficiency_pct": 85.0}},
            {"op": "clear", "device": "L1", "type": "warp_beam_runout"},
        ],
        "kv": {
            "b:L1": [{"beam": "WB-101", "start": "2026-06-01 08:00", "end": "2026-06-01 14:10", "hours": 6 + 10 / 60, "length_m": 3000.0,
                      "picks": 6 * RATE, "fabric_m": 6 * RATE / 2000, "warp_used_m": 6 * RATE / 2000 * 1.08, "left_m": rem6}],
            "l:L2": {"beam": "WB-201", "warp_remaining_m": rem4, "picks_left": left4, "efficiency_pct": 85.0},
        },
        "logs": ["L1: warp_beam_runout raised", "L1: beam WB-101 off after 6.2 h: 183600 picks, 91.80 m of fabric, 99.14 m of warp used"],
    },
    "rel": 1e-9,
})

# ---------------------------------------------------------------- 2. the demo loom

LOOM_MODEL = {"properties": [
    {"identifier": "state", "name": "运行状态 Run state (0 stopped, 1 running)", "access": "r", "data_type": {"type": "int", "min": 0, "max": 1}},
    {"identifier": "stop_cause", "name": "停台原因 Stop cause", "access": "r", "data_type": {"type": "int", "min": 0, "max": 3}},
    {"identifier": "ppm", "name": "车速 Speed", "access": "r", "data_type": {"type": "float", "min": 0, "max": 2000, "unit": "picks/min"}},
    {"identifier": "pick_count", "name": "纬纱计数 Pick counter", "access": "r", "data_type": {"type": "int", "min": 0}},
]}
ev2 = []
count = 500000
for i in range(13):
    t = T0 + i * 5 * MIN
    if i > 0 and not (i in (5, 6)):
        count += 3000
    stopped = i in (5, 6)  # readings 08:25 and 08:30: stopped since 08:20
    ev2.append(tel("loom-01", t, state=0 if stopped else 1, stop_cause=1 if stopped else 0, ppm=0.0 if stopped else 600.0,
                   pick_count=count))
picks2 = count - 500000
rem2 = 3000 - picks2 / 2000 * 1.08
left2 = picks_left(rem2)
rate2 = picks2 / 1.0
write("demo-loom.json", {
    "description": (
        "The demo's loom (state 0/1, stop_cause, ppm, pick_count) with the default configuration: no beam recorded, so a full 3000 m beam is "
        "assumed from the first reading (08:00, counter 500 000), 20 picks/cm, crimp 8 %, end waste 1 m, rate window 4 h. Readings every 5 min: "
        "running at 600 picks/min (+3000 a reading) except a warp stop 08:20-08:30 (ppm 0 while stopped; the speed kept is 600). At 09:00: 50 min "
        "running = 30 000 picks, fabric 30 000 / 2000 = 15 m, warp used 16.2 m, left 2983.8 m, picks left 2982.8 / 1.08 x 2000 = "
        f"{left2:.1f}; rate 30 000 picks in 1 h, efficiency 30 000 / 36 000 = 83.33 %; run-out in {left2 / rate2:.4f} h. No alarm. Hand calculation."),
    "thing_models": {"demo-loom": LOOM_MODEL},
    "devices": {"loom-01": {"product": "demo-loom"}},
    "events": ev2,
    "expect": {
        "results": [0] * len(ev2),
        "alarms": [],
        "writes": [],
        "kv": {
            "l:loom-01": {"beam": "assumed", "assumed": 1, "beam_picks": picks2, "fabric_m": 15.0, "warp_used_m": 16.2,
                          "warp_remaining_m": rem2, "picks_left": left2, "picks_per_hour": rate2, "efficiency_pct": 100 * rate2 / 36000,
                          "hours_to_runout": left2 / rate2, "runout_time": local(T0 + H + left2 / rate2 * H), "ppm": 600.0, "run": 1},
        },
        "logs": ["loom-01: no beam recorded: a full beam of 3000 m assumed"],
    },
    "rel": 1e-9,
})

# ---------------------------------------------------------------- 3. bad data

ev3 = [
    http("beam", "loom-a"),
    http("beam", {"loom": "loom-a", "length_m": -5}),
    http("beam", {"loom": "loom-a", "length_m": 2500, "crimp_pct": 70}),
    http("beam", {"loom": "loom-z", "length_m": 2500}),
    http("remaining", {"loom": "loom-c", "remaining_m": 100}),
    tel("loom-a", T0, pick_count=100, ppm=600.0, state=1),
    tel("loom-a", T0 + 10 * MIN, pick_count=6100),
    tel("loom-a", T0 + 5 * MIN, pick_count=3100),
    tel("loom-a", T0 + 20 * MIN, pick_count=50),
    tel("loom-a", T0 + 21 * MIN, pick_count=90050),
    tel("loom-a", T0 + 30 * MIN, pick_count=95050),
    tel("loom-a", T0 + 35 * MIN, pick_count=-1),
    tel("loom-a", T0 + 40 * MIN, pick_count=100050),
    tel("loom-a", T0 + 45 * MIN, ppm=0.0, state=0),
    tel("loom-a", T0 + 50 * MIN, pick_count=100050),
    tel("loom-a", T0 + H, pick_count=100050),
    tel("loom-b", T0, pick_count="n/a"),
    http("status", {"loom": "loom-a"}),
]
tot30 = 6000 + 50 + 5000
rem30 = 3000 - tot30 / 2000 * 1.08
rate30 = tot30 / 0.5
tot = tot30 + 5000
rem = 3000 - tot / 2000 * 1.08
rate = tot / 1.0
write("bad-data-and-writes.json", {
    "description": (
        "Bad data and requests, defaults (max_ppm 1500) with write_telemetry on every 30 min. Beam requests: a body that is no object, a negative "
        "length, crimp 70 % (400 each), an unknown loom (404); remaining before any beam (404). loom-a: counter 100 at 08:00 (a 3000 m beam assumed; "
        "written: 3000 m left, no rate yet); 6100 at 08:10 (+6000); a reading dated 08:05 arrives late (ignored); 50 at 08:20: the counter went back, "
        "a reset, +50; 90 050 a minute later: +90 000 in 60 s is more than 1500 picks/min, a jump (ignored, counting from 90 050); 95 050 at 08:30 "
        f"(+5000): 11 050 picks, {rem30:.5f} m left, rate 11 050 in 30 min = 22 100/h, written; -1 is no counter value (ignored); 100 050 at 08:40 "
        "(+5000); a message with only speed 0 and state 0 changes nothing; 08:50 and 09:00 unchanged (stopped). At 09:00: 16 050 picks, fabric "
        f"8.025 m, warp 8.667 m, left {rem:.3f} m, rate 16 050/h over the hour (efficiency 16 050 / 36 000 = 44.58 %), run-out in "
        f"{picks_left(rem) / rate:.3f} h; written. loom-b (its own product: text) sends 'n/a': not a number. Nothing traps. Hand calculation."),
    "config": {"write_telemetry": True, "write_every_min": 30},
    "devices": {"loom-a": {"product": "loom"}, "loom-b": {"product": "loom-text"}, "loom-c": {"product": "loom"}},
    "events": ev3,
    "expect": {
        "results": [0] * len(ev3),
        "replies": [{"status": 400}, {"status": 400}, {"status": 400}, {"status": 404}, {"status": 404},
                    {"status": 200, "body": {"loom": "loom-a", "beam_picks": tot, "warp_remaining_m": rem, "picks_per_hour": rate,
                                             "efficiency_pct": 100 * rate / 36000, "hours_to_runout": picks_left(rem) / rate}}],
        "alarms": [],
        "writes": [
            {"device": "loom-a", "ts": T0, "values": {"warp_remaining_m": 3000.0}},
            {"device": "loom-a", "ts": T0 + 30 * MIN, "values": {"warp_remaining_m": rem30, "hours_to_runout": picks_left(rem30) / rate30}},
            {"device": "loom-a", "ts": T0 + H, "values": {"warp_remaining_m": rem, "hours_to_runout": picks_left(rem) / rate}},
        ],
        "kv": {"l:loom-a": {"resets": 1, "jumps": 1, "last_count": 100050, "total": tot, "run": 0}},
        "logs": ["loom-a: counter reading at", "pick counter went back from 6100 to 50", "pick counter jumped by 90000 in 60 s",
                 "pick_count -1 is no counter value", "loom-b: pick_count is not a number, ignored"],
    },
    "rel": 1e-9,
})
