#!/usr/bin/env python3
"""Writes the fixtures of apps/alarm-kpi. Expected values are worked out by hand in each
description (the arithmetic is repeated below in plain Python), never taken from the app.
Run: python3 apps/alarm-kpi/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z
S = 1000
M = 60000
H = 3600000

PRODUCTS = {"pump-01": "demo-pump", "pump-02": "demo-pump", "pump-03": "demo-pump",
            "boiler-01": "demo-boiler", "cnc-01": "demo-cnc"}


def alarm(change, device, atype, severity, start, last=None, aid=None, active=True):
    return {"kind": "alarm", "change": change, "device": device, "product": PRODUCTS.get(device, "demo-pump"),
            "alarm": {"id": aid or f"{device}-{atype}-{start}", "type": atype, "severity": severity,
                      "active": active, "acknowledged": False, "count": 1, "start_ts": start,
                      "last_ts": last if last is not None else start, "details": {}, "rule_id": None}}


def raised(device, atype, severity, t):
    return alarm("raised", device, atype, severity, t)


def cleared(device, atype, severity, start):
    return alarm("cleared", device, atype, severity, start, active=False)


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def http(path, body=None):
    return {"kind": "http", "path": path, "body": body if body is not None else {}}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def devices(names):
    return {n: {"product": PRODUCTS[n]} for n in names}


def pct(x, of):
    return round(x / of * 100, 3)


# --- 1. An alarm log worked by hand ---------------------------------------------------------
# UTC (utc_offset_h 0), one operator. Annunciations per 10-minute period:
#   P0 00:00-00:10: pump-01 bearing_warm 00:01, pump-02 vibration_zone_c 00:05 (never cleared) = 2
#   P1 00:10-00:20: pump-01 bearing_warm 00:11:00, 00:11:20, 00:11:40 (3 in 40 s: chattering),
#                   boiler-01 nine types 00:12:00 ... 00:19 = 12 (> 10: flood, detected at the 11th, 00:18)
#   P2 00:20-00:30: 6 (>= 5: the flood goes on)
#   P3 00:30-00:40: 2 (< 5: the flood ended at 00:30)
# Ticks 00:00, 00:10, 00:40, then hourly 01:00 ... 24:00 (60 min apart: not a gap) and 24:10.
e = []
c = lambda *a: e.append(cleared(*a))
r = lambda *a: e.append(raised(*a))
e.append(tick(T0))
r("pump-01", "bearing_warm", "warning", T0 + 1 * M); c("pump-01", "bearing_warm", "warning", T0 + 1 * M)
r("pump-02", "vibration_zone_c", "minor", T0 + 5 * M)
e.append(tick(T0 + 10 * M))
for k, t in enumerate([T0 + 11 * M, T0 + 11 * M + 20 * S, T0 + 11 * M + 40 * S]):
    r("pump-01", "bearing_warm", "warning", t)
    if k < 2:
        c("pump-01", "bearing_warm", "warning", t)
boiler = [("steam_overpressure", "major", 12 * M), ("drum_level_low", "critical", 12 * M + 30 * S),
          ("feedwater_flow_low", "major", 13 * M), ("flue_gas_temp_high", "minor", 14 * M),
          ("flame_unstable", "major", 15 * M), ("fuel_pressure_low", "major", 16 * M),
          ("air_flow_low", "minor", 17 * M), ("o2_low", "minor", 18 * M), ("burner_trip", "critical", 19 * M)]
for atype, sev, dt in boiler:
    r("boiler-01", atype, sev, T0 + dt)
for atype, sev, dt in boiler:
    c("boiler-01", atype, sev, T0 + dt)
c("pump-01", "bearing_warm", "warning", T0 + 11 * M + 40 * S)
# P2: 6
r("boiler-01", "steam_overpressure", "major", T0 + 21 * M); c("boiler-01", "steam_overpressure", "major", T0 + 21 * M)
r("boiler-01", "drum_level_low", "critical", T0 + 22 * M); c("boiler-01", "drum_level_low", "critical", T0 + 22 * M)
r("boiler-01", "feedwater_flow_low", "major", T0 + 23 * M); c("boiler-01", "feedwater_flow_low", "major", T0 + 23 * M)
r("boiler-01", "steam_overpressure", "major", T0 + 25 * M); c("boiler-01", "steam_overpressure", "major", T0 + 25 * M)
r("boiler-01", "flame_unstable", "major", T0 + 26 * M); c("boiler-01", "flame_unstable", "major", T0 + 26 * M)
r("pump-03", "dry_run", "major", T0 + 27 * M); c("pump-03", "dry_run", "major", T0 + 27 * M)
# P3: 2
r("boiler-01", "steam_overpressure", "major", T0 + 32 * M); c("boiler-01", "steam_overpressure", "major", T0 + 32 * M)
r("pump-01", "bearing_warm", "warning", T0 + 35 * M); c("pump-01", "bearing_warm", "warning", T0 + 35 * M)
e.append(tick(T0 + 40 * M))
for h in range(1, 25):
    e.append(tick(T0 + h * H))
e.append(tick(T0 + 24 * H + 10 * M))
e.append(http("report"))

N = 2 + 12 + 6 + 2                 # 22 annunciations
periods = 145                      # P0 ... P144 closed (24:10 opens P145)
per10 = N / periods                # 0.151724
top = [("pump-01", "bearing_warm", 5), ("boiler-01", "steam_overpressure", 4),
       ("boiler-01", "drum_level_low", 2), ("boiler-01", "feedwater_flow_low", 2),
       ("boiler-01", "flame_unstable", 2), ("boiler-01", "air_flow_low", 1),
       ("boiler-01", "burner_trip", 1), ("boiler-01", "flue_gas_temp_high", 1),
       ("boiler-01", "fuel_pressure_low", 1), ("boiler-01", "o2_low", 1)]
top_sum = sum(t[2] for t in top)   # 20
kpi = {
    "alarms": N, "alarms_in_closed_periods": N, "periods": periods, "observed_h": round(periods / 6, 3),
    "per_10min": round(per10, 6), "per_hour": round(per10 * 6, 6), "per_day": round(per10 * 144, 6),
    "rate_status": {"10min": "acceptable", "hour": "acceptable", "day": "acceptable"},
    "max_10min": 12, "max_10min_at": T0 + 10 * M,
    "pct_10min_over": pct(1, periods), "pct_hours_over_30": 0, "pct_time_in_flood": pct(2, periods),
    "floods": 1, "flood_active": None,
    "top10": [{"device": d, "type": t, "count": n, "share_pct": pct(n, N)} for d, t, n in top],
    "top10_share_pct": pct(top_sum, N), "sources": 12,
    "chattering": [{"device": "pump-01", "type": "bearing_warm", "episodes": 1}],
    "stale_now": [{"device": "pump-02", "type": "vibration_zone_c", "since": T0 + 5 * M, "hours": round((24 * H + 5 * M) / H, 3)}],
    "stale_max_day": 1,
    "priority_pct": {"high": pct(3, N), "medium": pct(10, N), "low": pct(9, N)},
    "severity": {"warning": 5, "minor": 4, "major": 10, "critical": 3},
    "daily": [
        {"date": "2026-03-02", "alarms": 22, "observed_h": 24, "max_10min": 12, "pct_10min_over": pct(1, 144),
         "flood_min": 20, "stale_max": 0, "chattering": 1},
        {"date": "2026-03-03", "alarms": 0, "observed_h": round(1 / 6, 3), "max_10min": 0, "pct_10min_over": 0,
         "flood_min": 0, "stale_max": 1, "chattering": 0},
    ],
}
write("alarm-log-by-hand.json", {
    "description": (
        "An alarm log worked by hand against the ANSI/ISA-18.2-2016 clause 16 metrics (one operator, UTC). "
        "Annunciations ('raised') per 10-minute period: 00:00-00:10 two (pump-01 bearing_warm 00:01; pump-02 vibration_zone_c 00:05, never cleared); "
        "00:10-00:20 twelve (pump-01 bearing_warm at 00:11:00, 00:11:20, 00:11:40 = 3 within 60 s: chattering, chattering_alarm raised on pump-01; "
        "then nine boiler-01 alarms 00:12-00:19: the 11th alarm of the period, at 00:18, passes 10: flood, alarm_flood raised on boiler-01, the device with most alarms in the period, 8 against 3); "
        "00:20-00:30 six (>= 5: the flood goes on); 00:30-00:40 two (< 5: the flood ended at 00:30, found by the tick at 00:40, alarm_flood cleared). "
        "Flood: 00:10-00:30, 20 min, 12 + 6 = 18 alarms, peak 12. Ticks every hour to 24:00 and at 24:10 (60 min apart is not a gap), so periods 00:00 ... 24:00-24:10 are observed and closed: "
        "145 periods (24 h 10 min = 24.167 h). Rates: 22/145 = 0.151724 per 10 min, x6 = 0.910345 per hour, x144 = 21.848276 per day: all 'very likely acceptable' (<= 1, 6, 150). "
        "Periods with more than 10: 1 of 145 = 0.690 %; time in flood 2 of 145 = 1.379 %; hours with more than 30: 0 of 25. Largest 10-minute count 12 at 00:10. "
        "Bad actors (22 annunciations, 12 sources): pump-01 bearing_warm 5 = 22.727 %, boiler-01 steam_overpressure 4 = 18.182 %, drum_level_low, feedwater_flow_low, flame_unstable 2 each = 9.091 %, "
        "then five of the seven single ones by name (air_flow_low, burner_trip, flue_gas_temp_high, fuel_pressure_low, o2_low) 4.545 % each: top 10 = 20/22 = 90.909 %. "
        "Chattering ends after an hour without an annunciation (the last at 00:35): cleared at the 02:00 tick. Stale: pump-02 vibration_zone_c, active since 00:05, is more than 24 h old at the 24:10 tick "
        "(24.083 h): stale_alarm raised on pump-02; 1 stale on 2026-03-03. Severities: critical 3 (high 13.636 %), major 10 (medium 45.455 %), minor 4 + warning 5 (low 40.909 %)."),
    "config": {"utc_offset_h": 0},
    "devices": devices(["pump-01", "pump-02", "pump-03", "boiler-01"]),
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [
            {"op": "raise", "device": "pump-01", "type": "chattering_alarm", "severity": "warning",
             "details": {"alarm_type": "bearing_warm", "annunciations": 3, "window_s": 60}},
            {"op": "raise", "device": "boiler-01", "type": "alarm_flood", "severity": "warning",
             "details": {"start": T0 + 10 * M, "alarms_in_10min": 11}},
            {"op": "clear", "device": "boiler-01", "type": "alarm_flood"},
            {"op": "clear", "device": "pump-01", "type": "chattering_alarm"},
            {"op": "raise", "device": "pump-02", "type": "stale_alarm", "severity": "warning",
             "details": {"alarm_type": "vibration_zone_c", "since": T0 + 5 * M}},
        ],
        "replies": [{"status": 200, "body": {"alarms": 22, "per_10min": round(per10, 6), "top10_share_pct": 90.909,
                                              "max_10min": 12, "pct_10min_over": pct(1, periods)}}],
        "kv": {
            "kpi": kpi,
            "floods": [{"start": T0 + 10 * M, "end": T0 + 30 * M, "minutes": 20, "count": 18, "peak": 12, "device": "boiler-01"}],
            "active": [{"key": "pump-02|vibration_zone_c", "since": T0 + 5 * M, "stale": True}],
        },
        "logs": ["alarm flood: 11 alarms", "bearing_warm is chattering (3 annunciations within 60 s)",
                 "alarm flood ended (rate below the end level): 18 alarms in 20 min, peak 12 in 10 min",
                 "vibration_zone_c has been active for 24.1 h: stale"],
    },
    "rel": 1e-4,
})

# --- 2. The demo's alarm rules with the defaults --------------------------------------------
# utc_offset_h 8 (default): 00:00Z is 08:00 local. bearing_warm (warning) of the demo rules comes
# for about two minutes every six: pump-01 at 00:01 + 6k min, pump-02 at 00:04 + 6k (k = 0..9),
# each cleared two minutes later; boiler-01 steam_overpressure (major) at 00:30, still active.
e = [tick(T0)]
ev = []
for k in range(10):
    ev.append((T0 + (1 + 6 * k) * M, "pump-01"))
    ev.append((T0 + (4 + 6 * k) * M, "pump-02"))
ev.append((T0 + 30 * M, "boiler-01"))
ticks = [T0 + m * M for m in range(10, 61, 10)]
timeline = [(t, 0, d) for t, d in ev] + [(t + 2 * M, 1, d) for t, d in ev if d != "boiler-01"] + [(t, 2, None) for t in ticks]
timeline.sort(key=lambda x: (x[0], x[1]))
for t, kind, d in timeline:
    if kind == 2:
        e.append(tick(t))
    elif d == "boiler-01":
        e.append(raised("boiler-01", "steam_overpressure", "major", t))
    elif kind == 0:
        e.append(raised(d, "bearing_warm", "warning", t))
    else:
        e.append(cleared(d, "bearing_warm", "warning", t - 2 * M))
# per period (00:00-00:10 ... 00:50-01:00 UTC): pump-01 2,2,1,2,2,1; pump-02 1,2,2,1,2,2; boiler 0,0,0,1,0,0
per_period = [3, 4, 3, 4, 4, 3]
N = sum(per_period)  # 21
write("demo-alarms-defaults.json", {
    "description": (
        "The demo's alarm rules (crates/ironloom/demo/rules.json) with the default configuration (one operator, UTC+8, flood above 10, chattering 3 in 60 s, stale 24 h). "
        "The simulated pump bearings warn (bearing_warm, warning) for about two minutes every six: pump-01 at 00:01, 00:07, ... 00:55 UTC and pump-02 at 00:04, 00:10, ... 00:58 "
        "(10 each), and boiler-01 raises steam_overpressure (major) at 00:30. Ticks every 10 minutes to 01:00 (09:00 local). Annunciations per 10-minute period: "
        "pump-01 2, 2, 1, 2, 2, 1; pump-02 1, 2, 2, 1, 2, 2; boiler-01 0, 0, 0, 1, 0, 0 -> 3, 4, 3, 4, 4, 3 = 21 in 6 closed periods. "
        "Rates: 21/6 = 3.5 per 10 min (over the maximum manageable 2), 21 per hour (over 12), 3.5 x 144 = 504 per day (over 300): the demo's one warning rule alone overloads a console, "
        "which is what the app is for (widen the rule's deadband or delay). No period above 10 (0 %), largest 4; no flood, no chattering (6 min apart), no stale alarm. "
        "Bad actors: pump-01 and pump-02 bearing_warm 10 each = 47.619 %, boiler-01 steam_overpressure 1 = 4.762 %; top 10 = 100 %. Priority: high 0 %, medium 1/21 = 4.762 %, low 20/21 = 95.238 %. "
        "Day 2026-03-02 (local): 1 h observed."),
    "devices": devices(["pump-01", "pump-02", "boiler-01"]),
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [],
        "kv": {
            "kpi": {
                "alarms": 21, "periods": 6, "observed_h": 1, "per_10min": 3.5, "per_hour": 21, "per_day": 504,
                "rate_status": {"10min": "over", "hour": "over", "day": "over"},
                "max_10min": 4, "pct_10min_over": 0, "pct_hours_over_30": 0, "pct_time_in_flood": 0, "floods": 0,
                "top10": [{"device": "pump-01", "type": "bearing_warm", "count": 10, "share_pct": 47.619},
                          {"device": "pump-02", "type": "bearing_warm", "count": 10, "share_pct": 47.619},
                          {"device": "boiler-01", "type": "steam_overpressure", "count": 1, "share_pct": 4.762}],
                "top10_share_pct": 100, "chattering": [], "stale_now": [],
                "priority_pct": {"high": 0, "medium": 4.762, "low": 95.238},
                "daily": [{"date": "2026-03-02", "alarms": 21, "observed_h": 1, "max_10min": 4, "pct_10min_over": 0, "flood_min": 0}],
            },
            "active": [{"key": "boiler-01|steam_overpressure", "since": T0 + 30 * M}],
        },
    },
    "rel": 1e-4,
})

# --- 3. Bad and missing data ----------------------------------------------------------------
e = [
    http("report"),                                                                 # 409: nothing seen yet
    {"kind": "alarm", "change": "raised", "alarm": {"type": "x", "severity": "major", "start_ts": T0}},  # no device
    {"kind": "alarm", "change": "raised", "device": "pump-01", "product": "demo-pump",
     "alarm": {"type": "bearing_warm", "severity": "warning"}},                      # no time, no clock
    {"kind": "schedule", "cron": "* * * * *"},                                       # no 'at'
    tick(T0),
    {"kind": "alarm", "change": "raised", "device": "pump-01", "product": "demo-pump", "alarm": "boom"},  # no type
    {"kind": "alarm", "change": "raised", "device": "pump-01", "product": "demo-pump",
     "alarm": {"type": "bearing_warm", "severity": "warning", "start_ts": "yesterday", "last_ts": None}},
    alarm("raised", "pump-02", "vibration_zone_c", "minor", T0 + 10 * 24 * H),      # far ahead of the clock
    alarm("exploded", "pump-01", "bearing_warm", "warning", T0),
    cleared("boiler-01", "steam_overpressure", "major", T0 - H),                    # never seen
    tick(T0 + 3 * H + 10 * M),                                                       # a 190-minute gap
    raised("boiler-01", "steam_overpressure", "major", T0 + 5 * M),                 # late, into 00:00-00:10
    raised("boiler-01", "drum_level_low", "critical", T0 + 1 * H),                  # inside the gap
    raised("cnc-01", "spindle_overload", "major", T0 - 40 * 24 * H),                # older than 30 days
    {"kind": "alarm", "change": "raised", "device": "pump-01", "product": "demo-pump",
     "alarm": {"type": "bearing_warm", "severity": 5, "start_ts": T0 + 3 * H + 12 * M, "last_ts": T0 + 3 * H + 12 * M}},
    http("purge"),
    tick(T0 + 3 * H + 20 * M),
    http("report"),
]
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data (UTC); nothing traps. A report before any event is 409; an alarm without a device, one without a time before the app has a clock, "
        "a schedule event without 'at', an alarm that is not an object (no type) and an unknown change are warned and ignored; a cleared alarm the app never saw changes nothing. "
        "The tick at 00:00 starts the clock. bearing_warm with start_ts 'yesterday' (text) is counted at the clock (00:00); vibration_zone_c starting 10 days ahead of the clock "
        "is not trusted and counted at the clock too: period 00:00-00:10 has 2. The next tick comes at 03:10, 190 min later (more than max_gap_min 60): periods 00:10 ... 03:00 are not observed. "
        "steam_overpressure starting 00:05 arrives late: counted in 00:00-00:10 (now 3), warned; drum_level_low at 01:00 falls in the unobserved gap: counted in the day (and bad actors), "
        "not in the rates; spindle_overload 40 days old is outside the 30-day window: not counted; bearing_warm at 03:12 with severity 5 (a number) counts as indeterminate. "
        "An unknown path is 404. After the 03:20 tick: closed observed periods 00:00-00:10 (3) and 03:10-03:20 (1): 4 alarms in 2 periods = 2.0 per 10 min, 12 per hour, 288 per day: "
        "'manageable' (<= 2, 12, 300, above 1, 6, 150). The day holds 5 annunciations: pump-01 bearing_warm 2 = 40 %, boiler-01 drum_level_low, boiler-01 steam_overpressure, "
        "pump-02 vibration_zone_c 1 each = 20 %; severities critical 1 (20 %), major 1 (20 %), warning, minor, indeterminate (60 %). Largest period 3 at 00:00; observed 2/6 = 0.333 h."),
    "config": {"utc_offset_h": 0},
    "devices": devices(["pump-01", "pump-02", "boiler-01", "cnc-01"]),
    "events": e,
    "expect": {
        "results": [0] * len(e),
        "alarms": [],
        "replies": [
            {"status": 409},
            {"status": 404},
            {"status": 200, "body": {
                "alarms": 5, "alarms_in_closed_periods": 4, "periods": 2, "observed_h": 0.333,
                "per_10min": 2, "per_hour": 12, "per_day": 288,
                "rate_status": {"10min": "manageable", "hour": "manageable", "day": "manageable"},
                "max_10min": 3, "max_10min_at": T0, "pct_10min_over": 0,
                "top10": [{"device": "pump-01", "type": "bearing_warm", "count": 2, "share_pct": 40},
                          {"device": "boiler-01", "type": "drum_level_low", "count": 1, "share_pct": 20},
                          {"device": "boiler-01", "type": "steam_overpressure", "count": 1, "share_pct": 20},
                          {"device": "pump-02", "type": "vibration_zone_c", "count": 1, "share_pct": 20}],
                "priority_pct": {"high": 20, "medium": 20, "low": 60},
                "severity": {"warning": 1, "minor": 1, "major": 1, "critical": 1, "indeterminate": 1},
            }},
        ],
        "logs": ["report: no alarm or schedule event seen yet", "alarm event without a device",
                 "without a start time and no clock yet", "schedule event without a time",
                 "alarm event without a type", "bearing_warm without a start time: counted at the clock",
                 "far ahead of the clock", "unknown alarm change \"exploded\"",
                 "no schedule tick or alarm for 190 min", "arrived after its 10-minute period",
                 "falls in a period the app did not observe", "older than the analysis window",
                 "unknown path purge"],
    },
    "rel": 1e-4,
})
print("written")
