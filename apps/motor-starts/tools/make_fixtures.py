#!/usr/bin/env python3
"""Writes the fixtures of apps/motor-starts. Expected values: the published rows and example of
NEMA MG 10-2001 Table 2-3 as reproduced in the EASA Electrical Engineering Handbook ("Allowable
Starts and Starting Intervals"), or counts and times worked out here by hand from the event
timelines, never taken from the app. Run: python3 apps/motor-starts/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z = 08:00 at UTC+8
MIN = 60_000


def tel(device, product, minute, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": T0 + int(round(minute * MIN)), "value": v} for k, v in values.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


def per_hour(starts, t):
    return sum(1 for s in starts if t - 60 < s <= t)


# --- 1. The EASA handbook's example of NEMA MG 10 Table 2-3 ---------------------------------
A, B, C = 8.8, 122, 58            # 25 hp, 4 pole row
allowed = min(A, B / 50)          # 2.44 (printed)
assert abs(allowed - 2.44) < 1e-12
dev, P = "fan-1", "fan_motor"
# Minutes: first reading stopped at 0; runs 1–6, 21–26, 41–42, 42.5–50, 100–103.
tl = [(0, False), (1, True), (6, False), (21, True), (26, False), (41, True), (42, False), (42.5, True),
      (50, False), (100, True), (103, True)]
starts = [m for (m, on), (_, prev) in zip(tl[1:], tl[:-1]) if on and not prev]
assert starts == [1, 21, 41, 42.5, 100]
rests = [15 * 60, 15 * 60, 30, 50 * 60]      # s before the 2nd … 5th start
intervals = [20, 20, 1.5, 57.5]               # min between starts
ev = [http("limits", {"hp": 25, "poles": 4, "wk2_lbft2": 50})]
ev += [tel(dev, P, m, running=on) for m, on in tl]
ev += [http("limits", {"hp": 250, "poles": 2}), http("limits", {"inertia_kgm2": 2.107})]
wk2_j = 2.107 * 23.730360
write("nema-mg10-easa-example.json", {
    "description": (
        "NEMA MG 10-2001 Table 2-3, 'Allowable Number of Starts and Minimum Time Between Starts', Design A and B "
        "motors, as reproduced in the EASA Electrical Engineering Handbook ('Allowable Starts and Starting "
        "Intervals'), its example: '25 hp, 4 pole, load Wk² = 50. From Table, A = 8.8, B = 122. Starts per hour = "
        "122/50 = 2.44. Calculated value is less than A. Therefore allowable starts/hour = 2.44'; the same row's "
        "C (minimum rest or off time between starts) is 58 s. The limits path answers those numbers; the 250 hp "
        "2-pole row is A 1.8, B 210, C 1000; a load of J = 2.107 kg·m² on the configured 25 hp 4-pole motor is "
        f"Wk² = 2.107 × 23.7304 = {wk2_j:.3f} lb·ft², B/Wk² = {122 / wk2_j:.4f} < A. fan-1 (config 25 hp, 4 poles, "
        "Wk² 50 lb·ft², max_gap 120 min) runs from 1, 21, 41, 42.5 and 100 min (the first reading, stopped at 0, is no "
        "start): at 41 min three starts in 60 min > 2.44 raise motor_starts_exceeded (major); the start at 42.5 min "
        "after 30 s of rest (< 58 s) raises motor_start_rest_short; the start at 100 min after 50 min of rest clears "
        "it; at 103 min only one start is left in the last hour (≤ 2.44): cleared. Hand: 5 starts; run 5 + 5 + 1 + "
        "7.5 + 3 = 21.5 min; rests 900, 900, 30, 3000 s (mean 1207.5, least 30); start-to-start 20, 20, 1.5, 57.5 min "
        "(mean 24.75); most starts in 60 min: 4 (at 42.5 min)."),
    "config": {"nema_hp": 25, "poles": 4, "load_wk2_lbft2": 50, "running_property": "running",
               "max_gap_minutes": 120},
    "devices": {dev: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [
            {"status": 200, "body": {"hp": 25, "poles": 4, "A": 8.8, "B": 122, "C": 58, "load_wk2_lbft2": 50,
                                     "allowed_per_hour": 2.44, "wk2_over_b": False}},
            {"status": 200, "body": {"hp": 250, "poles": 2, "A": 1.8, "B": 210, "C": 1000, "allowed_per_hour": 1.8}},
            {"status": 200, "body": {"hp": 25, "poles": 4, "A": 8.8, "B": 122, "C": 58, "load_wk2_lbft2": wk2_j,
                                     "allowed_per_hour": 122 / wk2_j}},
        ],
        "alarms": [
            {"op": "raise", "device": dev, "type": "motor_starts_exceeded", "severity": "major",
             "details": {"starts_last_hour": 3, "allowed_per_hour": 2.44, "A": 8.8, "B": 122, "load_wk2_lbft2": 50}},
            {"op": "raise", "device": dev, "type": "motor_start_rest_short", "severity": "major",
             "details": {"rest_s": 30, "min_rest_s": 58}},
            {"op": "clear", "device": dev, "type": "motor_start_rest_short"},
            {"op": "clear", "device": dev, "type": "motor_starts_exceeded"},
        ],
        "writes": [],
        "kv": {"motor:" + dev: {"total": 5, "run_h": 21.5 / 60, "per_hour": 1, "over": False, "rest_alarm": False,
                                "last_rest_s": 3000, "last_interval_s": 57.5 * 60,
                                "today": {"date": "2026-03-02", "starts": 5, "run_h": 21.5 / 60,
                                          "mean_rest_s": sum(rests) / 4, "min_rest_s": 30,
                                          "mean_interval_min": sum(intervals) / 4, "short_rests": 1,
                                          "max_per_hour": 4},
                                "limits": {"per_hour": 2.44, "rest_s": 58, "source": "NEMA MG 10 Table 2-3"}}},
        "logs": ["limits 25 hp 4 poles: 2.44 starts/h, rest 58 s", "3 starts in the last hour (allowed 2.44)",
                 "started after 30 s of rest (minimum 58 s)"],
    },
    "rel": 1e-6,
})

# --- 2. The demo motor with the defaults ------------------------------------------------------
with open(os.path.join(HERE, "..", "..", "..", "crates", "ironloom", "demo", "products.json")) as f:
    DEMO = next(p for p in json.load(f) if p["product_key"] == "demo-motor")["thing_model"]
dev, P = "motor-01", "demo-motor"
# Defaults: the 75 hp 4-pole row (the demo's 55 kW motor: 55/0.7457 = 73.8 hp, next rating 75):
# A 5.8 starts/h, C 90 s.
on_at = [5, 15, 25, 35, 45, 55, 80, 85, 110]
off_at = [9, 19, 29, 39, 49, 59, 84, 95, 120]
events = [(0, {"enabled": False, "current": 0.0})]
events += [(m, {"enabled": True}) for m in on_at] + [(m, {"enabled": False}) for m in off_at]
events += [(m, {"current": 0.0}) for m in (70,)]
events.sort(key=lambda x: x[0])
ev = [tel(dev, P, m, **v) for m, v in events]
ev.append(tel(dev, P, 16 * 60 + 10, current=0.0))   # 00:10 the next local day, after a gap
mins = [m for m, _ in events]
assert all(b - a <= 15 for a, b in zip(mins, mins[1:]))
assert per_hour(on_at, 55) == 6 and all(per_hour(on_at, t) <= 5 for t in mins if t < 55)
clear_t = next(t for t in mins if t > 55 and per_hour(on_at, t) <= 5)   # 70 min: 15, 25, 35, 45, 55
assert clear_t == 70
run = sum(b - a for a, b in zip(on_at, off_at))     # 6 × 4 + 4 + 10 + 10 = 48
rest = [on - off for on, off in zip(on_at[1:], off_at[:-1])]   # 6,6,6,6,6,21,1,15 min
assert rest == [6, 6, 6, 6, 6, 21, 1, 15]
interval = [b - a for a, b in zip(on_at, on_at[1:])]
write("demo-motor-defaults.json", {
    "description": (
        "The demo motor (demo-motor, 55 kW; enabled a bool, current in A) with the app's defaults: running from "
        "enabled, the NEMA MG 10-2001 Table 2-3 row for 75 hp (55/0.7457 = 73.8 hp, the next rating up) and 4 poles "
        "(the simulator's 1485 r/min): A = 5.8 starts per hour, C = 90 s (EASA reproduction), no load Wk² given so A "
        "alone limits. From 08:00 local the motor starts at 5, 15, 25, 35, 45, 55 min (4 min runs): the sixth start in "
        "60 min (> 5.8) raises motor_starts_exceeded; at 70 min (a current reading) the last hour holds 15, 25, 35, 45, "
        "55 (5 ≤ 5.8): cleared. Stopped at 84 and restarted at 85 min after 60 s (< 90 s): motor_start_rest_short, cleared by the "
        "start at 110 min after 15 min of rest. The current reading at 70 min also keeps every interval within 15 min. A "
        "reading at 00:10 the next day (after a gap) closes 2026-03-02. Hand: 9 starts; run 6 × 4 + 4 + 10 + 10 = 48 "
        "min; rests 6, 6, 6, 6, 6, 21, 1, 15 min (mean 8.375 min = 502.5 s, least 60 s); start-to-start 10 × 5, 25, 5, "
        "25 min (mean 13.125 min); most starts in 60 min: 6; one short rest. write_telemetry is off: no writes."),
    "thing_models": {P: DEMO},
    "devices": {dev: {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": dev, "type": "motor_starts_exceeded", "severity": "major",
             "details": {"starts_last_hour": 6, "allowed_per_hour": 5.8, "hp": 75, "poles": 4}},
            {"op": "clear", "device": dev, "type": "motor_starts_exceeded"},
            {"op": "raise", "device": dev, "type": "motor_start_rest_short", "severity": "major",
             "details": {"rest_s": 60, "min_rest_s": 90}},
            {"op": "clear", "device": dev, "type": "motor_start_rest_short"},
        ],
        "writes": [],
        "kv": {"motor:" + dev: {"total": 9, "since_service": 9, "run_h": 48 / 60, "on": False, "per_hour": 0,
                                "days": [{"date": "2026-03-02", "starts": 9, "run_h": 0.8,
                                          "mean_rest_s": sum(rest) * 60 / 8, "min_rest_s": 60,
                                          "mean_interval_min": sum(interval) / 8, "short_rests": 1,
                                          "max_per_hour": 6}],
                                "limits": {"A": 5.8, "B": 338, "C": 90, "per_hour": 5.8, "rest_s": 90}}},
        "logs": ["6 starts in the last hour (allowed 5.8)", "starts back within the limit (5 in the last hour)",
                 "started after 60 s of rest (minimum 90 s)"],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data, current signal, maintenance --------------------------------------
P = "pump_motor"
cfg = {"signal": "current", "current_threshold_a": 10, "service_interval_starts": 3, "initial_starts": 1200,
       "nema_hp": 10, "poles": 2, "write_telemetry": True}
# 10 hp 2-pole: A 6.2, B 11, C 92 s.
ev = [
    tel("m-2", P, 0, voltage=400.0),                 # no current yet: not followed
    tel("m-2", P, 1, current=0.0),                   # first reading: stopped
    tel("m-2", P, 2, current=35.2),                  # start 1201 (rest unknown: stop not seen)
    tel("m-2", P, 1.5, current=0.0),                 # older than the last: ignored
    tel("m-2", P, 5, voltage=401.0),                 # other property: 3 min of running counted
    tel("m-2", P, 6, current=-5.0),                  # negative: warned, state kept (running)
    tel("m-2", P, 7, current=2.0),                   # stop (below 10 A)
    tel("m-2", P, 8, current=30.0),                  # start 1202 after 60 s (< 92 s): rest alarm
    tel("m-2", P, 40, current=0.0),                  # after a 32 min gap: not counted; stop
    tel("m-2", P, 45, current=31.0),                 # start 1203, 5 min after the stop seen at 40: rest
                                                     # alarm cleared; 3 since install → service due
    {"kind": "telemetry", "device": "m-2", "product": P, "points": []},
    tel("m-3", P, 0, current="n/a"),                 # text on its own device: warned, no state
    tel("m-3", P, 1, current="0"),                   # numeric text: stopped
    tel("m-3", P, 2, current="12.5"),                # start
    {"kind": "manual"},
    http("service", {"device": "m-2", "note": "contactor replaced"}),
    http("service", {"device": "m-9"}),
    http("service", {}),
    http("limits", {"hp": 74, "poles": 4}),
    http("limits", {"hp": 75, "poles": 8}),
]
write("bad-and-missing-data.json", {
    "description": (
        "Current as the running signal (above 10 A) on a product without a thing model, the 10 hp 2-pole row (A 6.2 "
        "starts/h, C 92 s), 1200 starts before installation, service every 3 starts, derived telemetry on. m-2: a "
        "voltage before any current is not followed; the first current (0 A) is no start; 35.2 A at 2 min is start "
        "1201 (rest unknown: the stop was not seen; writes 1.0 start in the last hour and 1201.0 in all); a reading "
        "older than the last is warned and ignored; a voltage message moves the clock (3 min running); −5 A is warned "
        "and changes nothing; 2 A stops it at 7 min; 30 A at 8 min is start 1202 after 60 s (< 92 s): "
        "motor_start_rest_short; the reading at 40 min follows a 32 min gap (warned: run time not counted, rest "
        "unknown), but it is a stop, so start 1203 at 45 min follows 5 min of rest (≥ 92 s): the rest alarm is "
        "cleared; it is the third start since installation (the 1200 before count in the total, not towards the "
        "service): motor_starts_service_due (warning). A message without points does nothing. m-3 reports text: 'n/a' "
        "(warned, not followed yet), '0', '12.5' (a start: 1201 in all). Run time by hand: m-2 2→7 min = 5 min, 8→40 "
        "not counted, 45 on: 5 min; m-3 none. Service over HTTP on m-2 after 3 starts (at its last message's time) "
        "clears the service alarm; an unknown device is 404, a body without a device 400; the limits path refuses "
        "74 hp (no row) and 8 poles (400)."),
    "config": cfg,
    "devices": {"m-2": {"product": P}, "m-3": {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [
            {"device": "m-2", "values": {"starts_per_hour": 1.0, "total_starts": 1201.0}},
            {"device": "m-2", "values": {"starts_per_hour": 2.0, "total_starts": 1202.0}},
            {"device": "m-2", "values": {"starts_per_hour": 3.0, "total_starts": 1203.0}},
            {"device": "m-3", "values": {"starts_per_hour": 1.0, "total_starts": 1201.0}},
        ],
        "alarms": [
            {"op": "raise", "device": "m-2", "type": "motor_start_rest_short", "severity": "major",
             "details": {"rest_s": 60, "min_rest_s": 92, "hp": 10, "poles": 2}},
            {"op": "clear", "device": "m-2", "type": "motor_start_rest_short"},
            {"op": "raise", "device": "m-2", "type": "motor_starts_service_due", "severity": "warning",
             "details": {"starts_since_service": 3, "interval_starts": 3, "total_starts": 1203}},
            {"op": "clear", "device": "m-2", "type": "motor_starts_service_due"},
        ],
        "replies": [
            {"status": 200, "body": {"device": "m-2", "total": 1203, "starts_before_service": 3,
                                     "since_service": 0, "service_ts": T0 + 45 * MIN}},
            {"status": 404, "body": {"error": "m-9: no starts recorded"}},
            {"status": 400, "body": {"error": "service: \"device\" is required"}},
            {"status": 400},
            {"status": 400},
        ],
        "kv": {"motor:m-2": {"total": 1203, "since_service": 0, "run_h": 5 / 60, "on": True, "rest_alarm": False,
                             "service_due": False, "per_hour": 3,
                             "services": [{"ts": T0 + 45 * MIN, "starts": 3, "total": 1203,
                                           "note": "contactor replaced"}]},
               "motor:m-3": {"total": 1201, "on": True}},
        "logs": ["is older than the last one", "current is not a current: -5", "no data for 32.0 min",
                 "current is not a current: \"n/a\"", "service recorded after 3 starts",
                 "no NEMA MG 10 Table 2-3 row for 74 hp and 4 poles"],
    },
    "rel": 1e-6,
})
print("fixtures written")
