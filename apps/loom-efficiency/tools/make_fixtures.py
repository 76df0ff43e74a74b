#!/usr/bin/env python3
"""Writes the fixtures of apps/loom-efficiency. Run from the app folder.

The expected numbers are the published ones, or worked by hand in each description and
written here as literals or as the arithmetic shown there; nothing is taken from the app."""
import datetime, json

MIN = 60000


def local(h, m, s=0.0, day=7):
    """ms of 2026-12-<day> h:m:s at UTC+8 (the default utc_offset_h)."""
    t = datetime.datetime(2026, 12, day, h, m, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(t.timestamp() * 1000 + round(s * 1000))


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


LOOM_MODEL = {"properties": [
    {"identifier": "state", "name": "运行状态 Run state (0 stopped, 1 running)", "access": "r",
     "data_type": {"type": "int", "min": 0, "max": 1}},
    {"identifier": "stop_cause", "name": "停台原因 Stop cause (0 none, 1 warp, 2 weft, 3 other)", "access": "r",
     "data_type": {"type": "int", "min": 0, "max": 3}},
    {"identifier": "ppm", "name": "车速 Speed", "access": "r",
     "data_type": {"type": "float", "min": 0, "max": 2000, "unit": "picks/min", "unit_name": "纬/分"}},
    {"identifier": "pick_count", "name": "纬纱计数 Pick counter", "access": "r",
     "data_type": {"type": "int", "min": 0}},
]}

# ---------------------------------------------------------------------------------------------
# 1. Published worked examples (Islam 2015, two blog posts of "Textile Calculation").
# ---------------------------------------------------------------------------------------------
P = "loom"
ev = []
# L1: 180 picks/min; per 10^5 picks 20 warp, 15 weft and 6 other stops of 0.85, 0.30 and
# 0.12 min. 100 000 picks in 42 running stretches, the 41 stops spread between them.
causes = (["warp"] * 20 + ["weft"] * 15 + ["other"] * 6)
# interleave the causes so that they are not in blocks
order = []
w, f, o = 0, 0, 0
for i in range(41):
    if i % 7 == 6 and o < 6:
        order.append("other"); o += 1
    elif i % 2 == 0 and w < 20:
        order.append("warp"); w += 1
    elif f < 15:
        order.append("weft"); f += 1
    elif w < 20:
        order.append("warp"); w += 1
    else:
        order.append("other"); o += 1
assert order.count("warp") == 20 and order.count("weft") == 15 and order.count("other") == 6
CODE = {"warp": 1, "weft": 2, "other": 3}
DUR_MS = {"warp": 51000, "weft": 18000, "other": 7200}  # 0.85, 0.30, 0.12 min
segs = [2381] * 41 + [100000 - 2381 * 41]
t0 = local(7, 0)
picks = 0
stopped_ms = 0
ev.append(tel("L1", P, t0, state=1, stop_cause=0, ppm=180, pick_count=0))
for i in range(42):
    picks += segs[i]
    t = t0 + round(picks * 1000 / 3) + stopped_ms  # 180 picks/min = 3 picks/s
    if i < 41:
        c = order[i]
        ev.append(tel("L1", P, t, state=0, stop_cause=CODE[c], ppm=0, pick_count=picks))
        stopped_ms += DUR_MS[c]
        ev.append(tel("L1", P, t + DUR_MS[c], state=1, stop_cause=0, ppm=180, pick_count=picks))
    else:
        ev.append(tel("L1", P, t, state=1, stop_cause=0, ppm=180, pick_count=picks))
assert picks == 100000
# L2: 200 picks/min, 80 picks per inch, 9 hours at 78 % efficiency.
PPCM = 80 / 2.54
ev.append(http("style", {"device": "L2", "rated_ppm": 200, "picks_per_cm": PPCM, "style": "80 ppi"}))
c0 = 500000
ev += [
    tel("L2", P, local(8, 0), state=1, stop_cause=0, ppm=200, pick_count=c0),
    tel("L2", P, local(12, 0), state=0, stop_cause=2, ppm=0, pick_count=c0 + 48000),
    tel("L2", P, local(12, 18, 48), state=1, stop_cause=0, ppm=200, pick_count=c0 + 48000),
    tel("L2", P, local(15, 20), state=0, stop_cause=3, ppm=0, pick_count=c0 + 84240),
    tel("L2", P, local(17, 0), state=1, stop_cause=0, ppm=200, pick_count=c0 + 84240),
]
ev.append(http("report", {"date": "2026-12-07"}))

run_min = 100000 / 180            # 555.56 min
lost = 20 * 0.85 + 15 * 0.30 + 6 * 0.12  # 22.22 min
eff1 = run_min / (run_min + lost)
fx = {
    "description": (
        "Published worked examples. L1 reproduces 'Find out the loom efficiency from the following data' of M. Islam, "
        "'Calculation of Weaving Loom Efficiency', Textile Calculation (textilecalculation.blogspot.com/2015/03/calculation-of-weaving-loom-efficiency.html, March 2015; "
        "also textilecalculations.com/calculation-of-weaving-loom-efficiency): loom speed 180 picks/min; per 100 000 picks 20 warp, 15 weft and 6 other repairs "
        "of 0.85, 0.30 and 0.12 min on average. The loom reports state, stop_cause, ppm and pick_count at each change (max_gap_s 14400, rated_ppm 180, one "
        "shift from 06:00 so that everything falls in it): 100 000 picks in 42 running stretches (555.56 min) and the 41 stops in between. Published: running "
        "time 100 000/180 = 555.5 min, stopped time 20 × 0.85 = 17 + 15 × 0.30 = 4.5 + 6 × 0.12 = 0.72 = 22.22 min, efficiency 555.5/(555.5 + 22.22) = "
        "96.16 % (the page truncates 555.56 to 555.5); with 555.56 the same formula gives 0.961542, which the app's picks / (180 × elapsed minutes) must "
        "equal (the timestamps are rounded to the ms: rel 1e-6). Stops per 10^5 picks 20/15/6, mean stop times 0.85/0.30/0.12 min, time lost 17/4.5/0.72 "
        "min (Pareto cumulative 17/22.22 = 0.76508, 21.5/22.22 = 0.96760, 1), fabric 100 000 picks / (20 picks/cm × 100) = 50 m. 20 warp stops in the "
        "last 10^5 picks > the default limit 10: warp_break_rate raised (rate 20) at the reading that completes the 10^5 picks. "
        "L2 reproduces Example 02 of M. Islam, 'Calculation of Loom and Weaving Shed Efficiency in Weaving', same site (…/2015/03/calculation-of-loom-and-weaving-shed.html): "
        "200 picks/min, 80 picks per inch, 78 % efficiency, 9 hours: 200 × 60 × 9 × 78/(80 × 36 × 100) = 29.25 yd = 26.7462 m. Set over HTTP style "
        "(rated_ppm 200, picks_per_cm 80/2.54 = 31.496), the loom runs 08:00–12:00 (48 000 picks), a weft stop of 18.8 min, runs to 15:20 (36 240 "
        "picks), an other stop of 100 min, runs again at 17:00: 84 240 picks in 540 min, efficiency 84 240/(200 × 540) = 0.78, fabric 84 240/3149.6 = "
        "26.7462 m (29.25 yd × 0.9144); 84 240 picks < 10^5: no warp rate yet."
    ),
    "config": {"rated_ppm": 180, "shift_starts": ["06:00"], "max_gap_s": 14400},
    "thing_models": {P: LOOM_MODEL},
    "devices": {"L1": {"product": P}, "L2": {"product": P}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [{"op": "raise", "device": "L1", "type": "warp_break_rate",
                    "details": {"rate_per_1e5_picks": 20, "limit": 10, "warp_stops": 20, "window_picks": 100000}}],
        "replies": [
            {"status": 200, "body": {"device": "L2", "rated_ppm": 200, "picks_per_cm": PPCM}},
            {"status": 200, "body": {"date": "2026-12-07", "looms": {
                "L1": {"shifts": [{
                    "shift": "2026-12-07 06:00", "efficiency": eff1, "picks": 100000, "metres": 50,
                    "elapsed_min": run_min + lost, "running_min": run_min, "rated_ppm": 180, "stops": 41,
                    "lost_min": lost,
                    "causes": {
                        "warp": {"stops": 20, "per_1e5_picks": 20, "mean_min": 0.85, "lost_min": 17},
                        "weft": {"stops": 15, "per_1e5_picks": 15, "mean_min": 0.30, "lost_min": 4.5},
                        "other": {"stops": 6, "per_1e5_picks": 6, "mean_min": 0.12, "lost_min": 0.72},
                    },
                    "pareto": [
                        {"cause": "warp", "lost_min": 17, "cumulative": 17 / 22.22},
                        {"cause": "weft", "lost_min": 4.5, "cumulative": 21.5 / 22.22},
                        {"cause": "other", "lost_min": 0.72, "cumulative": 1},
                    ],
                }], "warp_rate": 20, "alarm": True},
                "L2": {"shifts": [{
                    "shift": "2026-12-07 06:00", "efficiency": 0.78, "picks": 84240, "metres": 29.25 * 0.9144,
                    "elapsed_min": 540, "running_min": 421.2, "rated_ppm": 200, "stops": 2, "lost_min": 118.8,
                    "causes": {"warp": {"stops": 0, "lost_min": 0}, "weft": {"stops": 1, "mean_min": 18.8, "lost_min": 18.8},
                               "other": {"stops": 1, "mean_min": 100, "lost_min": 100}},
                }], "warp_rate": None, "alarm": False},
            }}},
        ],
        "kv": {"l:L1": {"total": 100000, "warp_rate": 20, "alarm": True, "run": True, "stop": None},
               "l:L2": {"total": 84240, "style": {"rated_ppm": 200, "picks_per_cm": PPCM, "style": "80 ppi"}}},
    },
    "rel": 1e-6,
}
json.dump(fx, open("fixtures/published-examples.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 2. The demo's simulated weaving loom with the default configuration.
# ---------------------------------------------------------------------------------------------
D = "demo-loom"
c = 1000000
ev = [
    tel("loom-01", D, local(7, 50), state=1, stop_cause=0, ppm=600.0, pick_count=c),
    tel("loom-01", D, local(7, 55), state=1, stop_cause=0, ppm=600.0, pick_count=c + 3000),
    tel("loom-01", D, local(7, 58), state=0, stop_cause=1, ppm=0.0, pick_count=c + 4800),
    tel("loom-01", D, local(8, 2), state=1, stop_cause=0, ppm=600.0, pick_count=c + 4800),
    tel("loom-01", D, local(8, 6), state=1, stop_cause=0, ppm=600.0, pick_count=c + 7200),
    tel("loom-01", D, local(8, 10), state=0, stop_cause=2, ppm=0.0, pick_count=c + 9600),
    tel("loom-01", D, local(8, 11), state=1, stop_cause=0, ppm=600.0, pick_count=c + 9600),
    tel("loom-01", D, local(8, 15), state=1, stop_cause=0, ppm=600.0, pick_count=c + 12000),
    tel("loom-01", D, local(8, 20), state=0, stop_cause=3, ppm=0.0, pick_count=c + 15000),
    tel("loom-01", D, local(8, 25), state=1, stop_cause=0, ppm=600.0, pick_count=c + 15000),
    tel("loom-01", D, local(8, 30), state=1, stop_cause=0, ppm=600.0, pick_count=c + 18000),
    http("report", {"date": "2026-12-07", "device": "loom-01"}),
]
night = {"shift": "2026-12-07 00:00", "efficiency": 0.8, "picks": 4800, "metres": 2.4, "elapsed_min": 10, "running_min": 8,
         "rated_ppm": 600, "running_speed_ppm": 600, "stops": 1, "stops_per_1e5_picks": 1e5 / 4800, "lost_min": 2,
         "causes": {"warp": {"stops": 1, "per_1e5_picks": 1e5 / 4800, "mean_min": 4, "lost_min": 2},
                    "weft": {"stops": 0, "lost_min": 0}, "other": {"stops": 0, "lost_min": 0}}}
day = {"shift": "2026-12-07 08:00", "efficiency": 13200 / 18000, "picks": 13200, "metres": 6.6, "elapsed_min": 30, "running_min": 22,
       "rated_ppm": 600, "stops": 2, "stops_per_1e5_picks": 2e5 / 13200, "lost_min": 8,
       "causes": {"warp": {"stops": 0, "lost_min": 2},
                  "weft": {"stops": 1, "per_1e5_picks": 1e5 / 13200, "mean_min": 1, "lost_min": 1},
                  "other": {"stops": 1, "per_1e5_picks": 1e5 / 13200, "mean_min": 5, "lost_min": 5}},
       "pareto": [{"cause": "other", "lost_min": 5, "cumulative": 5 / 8}, {"cause": "warp", "lost_min": 2, "cumulative": 7 / 8},
                  {"cause": "weft", "lost_min": 1, "cumulative": 1}]}
fx = {
    "description": (
        "The demo's simulated weaving loom (product demo-loom with the default property names state 0/1, stop_cause 0 none/1 warp/2 weft/3 other, "
        "ppm, pick_count; thing model defined here) and the default configuration: shifts from 00:00, 08:00 and 16:00 local (UTC+8), rated_ppm 0 "
        "(the loom's mean running speed), 20 picks/cm, max_gap_s 300; readings at least every 5 min. By hand: running at 600 picks/min from 07:50, a warp stop 07:58–08:02 (4 min, "
        "2 min in each shift), a weft stop 08:10–08:11, an other stop 08:20–08:25, running to 08:30. Night shift (07:50–08:00): elapsed 10 min, running "
        "8, picks 3000 + 1800 = 4800 = 600 × 8, efficiency 4800/(600 × 10) = 0.8, 2.4 m, the warp stop counted there (began there) with its whole 4 min "
        "as duration and 2 min lost, 1/4800 × 10^5 = 20.83 warp stops per 10^5 picks. Day shift (08:00–08:30): elapsed 30 min, running 8 + 9 + 5 = 22, "
        "picks 2400 + 2400 + 2400 + 3000 + 3000 = 13 200, efficiency 13 200/18 000 = 0.7333, 6.6 m; lost: other 5, warp 2 (the stop's second half), weft 1 = 8 min "
        "(Pareto 5/8, 7/8, 1); weft and other 1/13 200 × 10^5 = 7.576 each. 18 000 picks < 10^5: no warp rate, no alarm; no derived telemetry by default."
    ),
    "thing_models": {D: LOOM_MODEL},
    "devices": {"loom-01": {"product": D}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "replies": [{"status": 200, "body": {"date": "2026-12-07", "looms": {"loom-01": {"shifts": [night, day], "running": True, "warp_rate": None, "alarm": False}}}}],
        "kv": {"looms": ["loom-01"], "l:loom-01": {"total": 18000, "cur": {"key": "2026-12-07 08:00", "picks": 13200, "el": 30 * MIN, "run": 22 * MIN}},
               "s:loom-01": {"2026-12-07 00:00": {"picks": 4800, "el": 10 * MIN, "run": 8 * MIN, "c": {"warp": [1, 4 * MIN, 2 * MIN]}}}},
        "logs": ["loom-01: shift 2026-12-07 00:00 closed: efficiency 80 %, 4800 picks, 2.4 m, stops warp/weft/other 1/0/0"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/demo-loom.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 3. The warp-break alarm raised and cleared on a short window; derived telemetry at shift end.
# ---------------------------------------------------------------------------------------------
model3 = {"properties": LOOM_MODEL["properties"] + [
    {"identifier": "loom_eff", "name": "班效率 Shift efficiency (app)", "access": "r", "data_type": {"type": "float", "min": 0, "max": 2}},
    {"identifier": "fabric_m", "name": "班产量 Shift fabric (app)", "access": "r", "data_type": {"type": "float", "min": 0, "unit": "m"}},
]}
dev = "loom-07"
ev = [
    tel(dev, D, local(19, 0), state=1, stop_cause=0, ppm=500.0, pick_count=0),
    tel(dev, D, local(19, 5), state=0, stop_cause=1, ppm=0.0, pick_count=2500),
    tel(dev, D, local(19, 6), state=1, stop_cause=0, ppm=500.0, pick_count=2500),
    tel(dev, D, local(19, 11), state=0, stop_cause=1, ppm=0.0, pick_count=5000),
    tel(dev, D, local(19, 12), state=1, stop_cause=0, ppm=500.0, pick_count=5000),
    tel(dev, D, local(19, 17), state=0, stop_cause=1, ppm=0.0, pick_count=7500),
    tel(dev, D, local(19, 18), state=1, stop_cause=0, ppm=500.0, pick_count=7500),
    tel(dev, D, local(19, 23), state=1, stop_cause=0, ppm=500.0, pick_count=10000),
    tel(dev, D, local(19, 28), state=1, stop_cause=0, ppm=500.0, pick_count=12500),
    tel(dev, D, local(19, 38), state=1, stop_cause=0, ppm=500.0, pick_count=17500),
    tel(dev, D, local(19, 48), state=1, stop_cause=0, ppm=500.0, pick_count=22500),
    tel(dev, D, local(19, 58), state=1, stop_cause=0, ppm=500.0, pick_count=27500),
    tel(dev, D, local(20, 3), state=1, stop_cause=0, ppm=500.0, pick_count=30000),
]
fx = {
    "description": (
        "The warp-break alarm on a short window and derived telemetry at a shift's end, worked by hand. Configuration: two shifts (08:00, 20:00), "
        "rated_ppm 500, 28.5 picks/cm, max_gap_s 600, alarm_window_picks 10 000, warp_break_limit 20 per 10^5 picks, efficiency_property loom_eff, "
        "metres_property fabric_m (declared as floats in the thing model). loom-07 runs at 500 picks/min (2500 picks per 5 min) from 19:00 with warp "
        "stops of 1 min at 19:05, 19:11 and 19:17 (after 2500, 5000 and 7500 picks). At 19:23 the loom has woven 10 000 picks: 3 warp stops in the last "
        "10 000 picks = 30 per 10^5 > 20: warp_break_rate raised (rate 30). At 19:28 (12 500 picks) the stop at 2500 picks has left the window: 2 stops = "
        "20, not above the limit: cleared. The 19:58–20:03 step (2500 picks, running) is split by running time: 2 min (1000 picks) to the 08:00 shift, "
        "3 min to the 20:00 shift. The 08:00 shift closes at the 20:03 reading: elapsed 60 min, running 57, picks 27 500 + 1000 = 28 500 = 500 × 57, "
        "efficiency 28 500/(500 × 60) = 0.95, fabric 28 500/(28.5 × 100) = 10 m (written as 10.0, a float), both written at 20:00 − 1 ms; 3 warp stops, "
        "3/28 500 × 10^5 = 10.53 per 10^5 picks, 3 min lost."
    ),
    "config": {"shift_starts": ["08:00", "20:00"], "rated_ppm": 500, "picks_per_cm": 28.5, "max_gap_s": 600, "alarm_window_picks": 10000,
               "warp_break_limit": 20, "efficiency_property": "loom_eff", "metres_property": "fabric_m"},
    "thing_models": {D: model3},
    "devices": {dev: {"product": D}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [{"device": dev, "ts": local(20, 0) - 1, "values": {"loom_eff": 0.95, "fabric_m": 10}}],
        "alarms": [
            {"op": "raise", "device": dev, "type": "warp_break_rate", "details": {"rate_per_1e5_picks": 30, "limit": 20, "warp_stops": 3, "window_picks": 10000}},
            {"op": "clear", "device": dev, "type": "warp_break_rate"},
        ],
        "kv": {"l:" + dev: {"total": 30000, "warp_rate": 0, "alarm": False, "warp": [],
                            "cur": {"key": "2026-12-07 20:00", "picks": 1500, "el": 3 * MIN, "run": 3 * MIN}},
               "s:" + dev: {"2026-12-07 08:00": {"picks": 28500, "m": 10, "el": 60 * MIN, "run": 57 * MIN, "eff": 0.95,
                                                 "c": {"warp": [3, 3 * MIN, 3 * MIN], "weft": [0, 0, 0], "other": [0, 0, 0]}}}},
        "logs": ["loom-07: shift 2026-12-07 08:00 closed: efficiency 95 %, 28500 picks, 10 m", "30 warp stops per 10⁵ picks over the last 10000 picks (limit 20)", "warp stop rate back to 20 per 10⁵ picks"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/warp-alarm-and-writes.json", "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------------------------------------
# 4. Bad and missing data.
# ---------------------------------------------------------------------------------------------
X = "loom-x"  # no thing model: each series is typed by its first value
ev = [
    tel("loom-a", X, local(10, 0), temperature=30.5),
    tel("loom-a", X, local(10, 0), state=1, stop_cause=0, ppm=600, pick_count=1000),
    {"kind": "telemetry", "device": "loom-a", "product": X, "points": [
        {"property": "pick_count", "ts": local(10, 5), "value": 4000},
        {"property": "state", "ts": local(10, 5), "value": 1},
        {"property": "pick_count", "ts": local(9, 59), "value": 2000}]},
    tel("loom-a", X, local(10, 4), state=1, pick_count=3900),
    tel("loom-a", X, local(10, 10), state=1, pick_count=200),
    tel("loom-a", X, local(10, 15), state=1, pick_count=99999999),
    tel("loom-a", X, local(10, 20), state=1, pick_count=100002999),
    tel("loom-a", X, local(10, 40), state=1, pick_count=100014999),
    tel("loom-a", X, local(10, 45), state=0, ppm=-5, pick_count=100017999),
    tel("loom-a", X, local(10, 47), state=1, pick_count=100017999),
    tel("loom-a", X, local(10, 50), state=1, pick_count=100019799),
    tel("loom-t", X, local(11, 0), state="RUN", ppm="n/a", stop_cause="NONE"),
    tel("loom-t", X, local(11, 2), state="STOP", stop_cause="WARP"),
    tel("loom-t", X, local(11, 3), state="RUN", stop_cause="NONE"),
    tel("loom-t", X, local(11, 5), state="RUN"),
    tel("loom-e", X, local(12, 0), state=1, ppm=550),
    tel("loom-e", X, local(12, 4), state=1, ppm=550),
    tel("loom-e", X, local(12, 6), state=0, stop_cause=2, ppm=0),
    tel("loom-e", X, local(12, 7), state=1, stop_cause=0, ppm=550),
    tel("loom-e", X, local(12, 10), state=1, ppm=550),
    http("style", {"rated_ppm": 500}),
    http("style", {"device": "loom-e", "picks_per_cm": -2}),
    http("style", {"device": "loom-e", "rated_ppm": "fast"}),
    http("style", ["loom-e"]),
    http("nowhere", {}),
    http("report", {"date": "2026-12-07", "device": "loom-z"}),
    http("report", {"date": "2026-12-07"}),
    {"kind": "manual"},
]
fx = {
    "description": (
        "Bad and missing data on a product without a thing model (config: rated_ppm 600, running_values 1 and RUN, warp_values 1 and WARP, none_values 0 "
        "and NONE; text readings on loom-t only, whose series are text from their first value). loom-a (default shifts, the 08:00 shift): a message without "
        "any loom property does nothing (no state); 10:00 running at 600 picks/min, counter 1000; a message with the 10:05 readings and an older 09:59 count: "
        "the old one skipped, +3000 picks; a whole message at 10:04 (older than 10:05): 2 readings skipped; 10:10 counter 200: a reset, counted from 0 "
        "(+200); 10:15 counter 99 999 999: +99 999 799 in 5 min is more than any loom weaves, not counted; 10:20 +3000; 10:40 after 20 min without data "
        "(max_gap_s 300): 5 min counted, and of the +12 000 picks only 5 min × 600 = 3000; 10:45 stop without a cause (other), ppm −5 unusable, +3000; "
        "10:47 running (a 2-min other stop), 10:50 +1800. Elapsed 5 + 5 + 5 + 5 + 5 + 5 + 2 + 3 = 35 min, running 33, picks 3000 + 200 + 3000 + 3000 + "
        "3000 + 1800 = 14 000, efficiency 14 000/(600 × 35) = 0.6667, 1 other stop = 7.143 per 10^5 picks; 4 readings skipped (3 old, 1 unusable). "
        "loom-t: text states, ppm 'n/a' (unusable) and no counter: 5 min elapsed without any source of picks, so no efficiency (null, unknown_min 5); the "
        "1-min stop 11:02–11:03 is a warp stop (WARP). loom-e: no counter, ppm 550: picks estimated 550 × (4 + 2 + 3) = 4950 in 10 min, efficiency 4950/"
        "(600 × 10) = 0.825, a 1-min weft stop. Refused HTTP requests: style without device (400), picks_per_cm −2 (400), rated_ppm text (400), a body that "
        "is no object (400), an unknown path (404), a report for an unknown loom (404). The day's report, and a manual run that only logs the usage."
    ),
    "config": {"rated_ppm": 600, "running_values": ["1", "RUN"], "warp_values": ["1", "WARP"], "none_values": ["0", "NONE"]},
    "devices": {"loom-a": {"product": X}, "loom-t": {"product": X}, "loom-e": {"product": X}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "replies": [
            {"status": 400, "body": {"error": "device is required"}},
            {"status": 400},
            {"status": 400},
            {"status": 400, "body": {"error": "the body must be a JSON object"}},
            {"status": 404},
            {"status": 404, "body": {"error": "no shifts of loom-z on 2026-12-07"}},
            {"status": 200, "body": {"date": "2026-12-07", "looms": {
                "loom-a": {"shifts": [{"shift": "2026-12-07 08:00", "efficiency": 14000 / 21000, "picks": 14000, "estimated_picks": 0,
                                       "elapsed_min": 35, "running_min": 33, "unknown_min": 0, "rated_ppm": 600, "stops": 1,
                                       "causes": {"other": {"stops": 1, "per_1e5_picks": 1e5 / 14000, "mean_min": 2, "lost_min": 2}}}]},
                "loom-t": {"shifts": [{"shift": "2026-12-07 08:00", "efficiency": None, "picks": 0, "elapsed_min": 5, "running_min": 4, "unknown_min": 5,
                                       "causes": {"warp": {"stops": 1, "mean_min": 1, "lost_min": 1}}}]},
                "loom-e": {"shifts": [{"shift": "2026-12-07 08:00", "efficiency": 0.825, "picks": 4950, "estimated_picks": 4950,
                                       "elapsed_min": 10, "running_min": 9, "running_speed_ppm": 550,
                                       "causes": {"weft": {"stops": 1, "mean_min": 1, "lost_min": 1}}}]},
            }}},
        ],
        "kv": {"looms": ["loom-a", "loom-t", "loom-e"], "l:loom-a": {"skipped": 4, "total": 14000, "count": 100019799},
               "l:loom-t": {"skipped": 1, "total": 0, "counter": False}, "l:loom-e": {"total": 4950, "counter": False}},
        "logs": ["loom-a: skipped 1 reading(s) older than the last one", "loom-a: skipped 2 reading(s) older than the last one",
                 "counter reset, counting from 0", "more than any loom weaves: not counted", "9000 picks over a gap in the data not counted",
                 "loom-a: ignored 1 reading(s) with an unusable value", "loom-t: ignored 1 reading(s) with an unusable value", "manual run"],
    },
    "rel": 1e-9,
}
json.dump(fx, open("fixtures/bad-data.json", "w"), ensure_ascii=False, indent=1)
print("ok")
