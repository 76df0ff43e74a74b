#!/usr/bin/env python3
"""Writes fixtures/*.json of apps/moulding-process-monitor.

Expected values are worked out here from the published data and the formulas of the README
(mean, moving ranges, subgroup ranges, d2 from Montgomery's table), step by step; nothing is
taken from the app's output.
    python3 apps/moulding-process-monitor/tools/make_fixtures.py
"""
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1780002000000          # 2026-05-28 21:00:00 UTC = 2026-05-29 05:00 local (UTC+8)

# Montgomery, Introduction to Statistical Quality Control, 6th ed., Example 6.1, table 6.3:
# inside diameters (mm) of forged piston rings, 25 samples of 5 (R package qcc: pistonrings).
PISTON = [
    (74.030, 74.002, 74.019, 73.992, 74.008), (73.995, 73.992, 74.001, 74.011, 74.004),
    (73.988, 74.024, 74.021, 74.005, 74.002), (74.002, 73.996, 73.993, 74.015, 74.009),
    (73.992, 74.007, 74.015, 73.989, 74.014), (74.009, 73.994, 73.997, 73.985, 73.993),
    (73.995, 74.006, 73.994, 74.000, 74.005), (73.985, 74.003, 73.993, 74.015, 73.988),
    (74.008, 73.995, 74.009, 74.005, 74.004), (73.998, 74.000, 73.990, 74.007, 73.995),
    (73.994, 73.998, 73.994, 73.995, 73.990), (74.004, 74.000, 74.007, 74.000, 73.996),
    (73.983, 74.002, 73.998, 73.997, 74.012), (74.006, 73.967, 73.994, 74.000, 73.984),
    (74.012, 74.014, 73.998, 73.999, 74.007), (74.000, 73.984, 74.005, 73.998, 73.996),
    (73.994, 74.012, 73.986, 74.005, 74.007), (74.006, 74.010, 74.018, 74.003, 74.000),
    (73.984, 74.002, 74.003, 74.005, 73.997), (74.000, 74.010, 74.013, 74.020, 74.003),
    (73.988, 74.001, 74.009, 74.005, 73.996), (74.004, 73.999, 73.990, 74.006, 74.009),
    (74.010, 73.989, 73.990, 74.009, 74.014), (74.015, 74.008, 73.993, 74.000, 74.010),
    (73.982, 73.984, 73.995, 74.017, 74.013),
]
D2 = {2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326}   # Montgomery, Appendix table VI


def pt(prop, ts, v):
    return {"property": prop, "ts": ts, "value": v}


def ev(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev, "points": [pt(k, ts, v) for k, v in vals.items()]}


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, ensure_ascii=False, indent=1)
        f.write("\n")


def mean(x):
    return sum(x) / len(x)


def sd(x):
    m = mean(x)
    return math.sqrt(sum((v - m) ** 2 for v in x) / (len(x) - 1))


def cap(x, lsl, usl, g=1):
    """Cp, Cpk (within), Pp, Ppk (overall) by the textbook formulas."""
    if g == 1:
        mr = [abs(x[i] - x[i - 1]) for i in range(1, len(x))]
        sw = mean(mr) / D2[2]
    else:
        groups = [x[i:i + g] for i in range(0, len(x) - len(x) % g, g)]
        sw = mean([max(q) - min(q) for q in groups]) / D2[g]
    m, s = mean(x), sd(x)
    return dict(n=len(x), mean=m, s=s, sw=sw, cp=(usl - lsl) / (6 * sw),
                cpk=min(usl - m, m - lsl) / (3 * sw), pp=(usl - lsl) / (6 * s),
                ppk=min(usl - m, m - lsl) / (3 * s),
                out=sum(1 for v in x if v < lsl or v > usl))


def f(x):
    return float(x)


def thing_model(derived=False):
    def fl(ident, name, unit=None):
        dt = {"type": "float"}
        if unit:
            dt["unit"] = unit
        return {"identifier": ident, "name": name, "access": "r", "data_type": dt}
    props = [
        {"identifier": "shot_count", "name": "模次计数 Shot count", "access": "r", "data_type": {"type": "int", "min": 0}},
        fl("cycle_time", "周期时间 Cycle time", "s"),
        fl("injection_pressure", "注射峰值压力 Peak injection pressure", "bar"),
        fl("melt_temp", "熔体温度 Melt temperature", "°C"),
        fl("mould_temp", "模具温度 Mould temperature", "°C"),
        fl("cushion", "余料量 Cushion", "mm"),
        {"identifier": "reject", "name": "不良品 Reject (last shot)", "access": "r", "data_type": {"type": "bool"}},
        {"identifier": "state", "name": "状态 State", "access": "r", "data_type": {"type": "int", "min": 0, "max": 9}},
    ]
    if derived:
        props += [fl("shots_per_hour", "每小时模数 Shots per hour (app)"),
                  fl("good_parts_per_hour", "每小时良品数 Good parts per hour (app)"),
                  fl("scrap_pct", "废品率 Scrap ratio (app)", "%"),
                  fl("cycle_time_mean", "平均周期 Mean cycle time (app)", "s"),
                  fl("cpk_cushion", "余料量 Cpk (app)")]
    return {"properties": props}


# ---------------------------------------------------------------- 1. Montgomery piston rings
def piston():
    x = [v for g in PISTON for v in g]
    c = cap(x, 73.95, 74.05, g=5)
    rbar = c["sw"] * D2[5]
    events = [ev("IMM-P", T0, shot_count=0)]
    for i, v in enumerate(x):
        events.append(ev("IMM-P", T0 + (i + 1) * 30000, shot_count=i + 1, diameter=v))
    desc = (
        "Published data: Montgomery, Introduction to Statistical Quality Control, 6th ed., Example 6.1, "
        "table 6.3 (R qcc 'pistonrings'): 25 samples of 5 piston-ring inside diameters, specification 74.000 +- "
        "0.05 mm. The arithmetic of capability is the same for any measured parameter, so the 125 values are fed "
        "as one monitored parameter, shot by shot (cushion_property 'diameter', cushion_lsl 73.95, cushion_usl "
        "74.05, subgroup_size 5, capability_window 125, capability_min_shots 25; the first counter reading 0 is "
        "the starting point). By hand from the table: R-bar = sum of the 25 ranges / 25 = %.5f, sigma = R-bar/d2 "
        "= %.5f/2.326 = %.6f, mean %.6f; Cp = 0.10/(6 x %.6f) = %.4f, Cpk = (74.05 - %.5f)/(3 x %.6f) = %.4f "
        "(qcc process.capability prints Cp 1.70, Cpk 1.66; Montgomery, with the rounded R-bar 0.023 and sigma "
        "0.0099, Cp = 0.10/(6 x 0.0099) = 1.68); overall s = %.6f, Pp = %.4f, Ppk = %.4f. Every value is within "
        "the window (the specification): no alarm; Cpk above 1.0: no low-Cpk alarm."
        % (rbar, rbar, c["sw"], c["mean"], c["sw"], c["cp"], c["mean"], c["sw"], c["cpk"], c["s"], c["pp"], c["ppk"]))
    write("montgomery-piston-rings.json", {
        "description": desc,
        "config": {"cushion_property": "diameter", "cushion_lsl": 73.95, "cushion_usl": 74.05, "subgroup_size": 5,
                   "capability_window": 125, "capability_min_shots": 25},
        "devices": {"IMM-P": {"product": "rings"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [],
            "alarms": [],
            "kv": {"m:IMM-P": {"n_cushion": 125, "mean_cushion": c["mean"], "sw_cushion": c["sw"], "s_cushion": c["s"],
                               "cp_cushion": c["cp"], "cpk_cushion": c["cpk"], "pp_cushion": c["pp"],
                               "ppk_cushion": c["ppk"], "sh_shots": 125, "cnt": 125}},
            "logs": ["shot counter 0 taken as the starting point", "diameter Cp 1.703 Cpk 1.663 (n 125)"],
        },
        "rel": 1e-6,
    })


# ---------------------------------------------------------------- 2. demo moulding machine
def demo():
    dev = "imm-01"
    t_start = T0 + 2 * 3600000 + 45 * 60000      # 07:45 local
    events = [ev(dev, t_start, shot_count=1000, state=2)]
    shots = []
    for i in range(1, 33):
        ct = 31.0 if i % 2 else 30.0
        if i == 10:
            ct = 95.0
        p = 990.0 if i % 2 else 1010.0
        if i in (15, 16, 17):
            p = 1060.0
        cushion = 5.0 if i % 2 else 5.2
        melt = 229.0 if i % 2 else 231.0
        rej = i in (5, 6)
        shots.append(dict(i=i, ct=ct, p=p, cu=cushion, melt=melt, rej=rej))
        events.append(ev(dev, t_start + i * 30000, shot_count=1000 + i, cycle_time=ct, injection_pressure=p,
                         melt_temp=melt, mould_temp=45.0, cushion=cushion, reject=rej, state=2))
    events.append({"kind": "manual", "reset": dev})
    # closed shift 00:00-08:00: shots 1..29 (shot 30 is at 08:00:00)
    sh = [s for s in shots if s["i"] <= 29]
    cts = [s["ct"] for s in sh if s["ct"] <= 90]
    n_ct, ct_mean, ct_sd = len(cts), mean(cts), sd(cts)
    loss = sum(c - 30 for c in cts)
    good = (29 - 2) * 4
    # capability at shot 30 (first time n >= 30) and at 32
    cu30 = [s["cu"] for s in shots[:30]]
    c30 = cap(cu30, 4.6, 5.6)
    pr32 = [s["p"] for s in shots]
    cp32 = cap(pr32, 900, 1100)
    me32 = cap([s["melt"] for s in shots], 220, 240)
    desc = (
        "The demo's moulding machine (thing model per the simulator brief: shot_count, cycle_time s, "
        "injection_pressure bar, melt_temp, mould_temp, cushion mm, reject bool, state), default settings with "
        "the part's data: 4 cavities, standard cycle 30 s, cushion spec 4.6-5.6 mm, injection pressure spec "
        "900-1100 bar with a set window of 950-1050 bar, melt spec 220-240 C. Counter 1000 at 07:45 local (the "
        "starting point), then a shot every 30 s. Cycle 31 s (odd shots) / 30 s (even), shot 10 took 95 s > 3 x 30: "
        "an interruption, not in the statistics. Shots 5 and 6 rejected. Pressure 990/1010, shots 15-17 at 1060 > "
        "1050: moulding_out_of_window_pressure raised at shot 17 (window_shots 3), cleared at 18. Shot 30 at 08:00 "
        "closes the 00:00 shift: 29 shots, 2 rejects, scrap 2/29 = %.3f %%, good parts 27 x 4 = 108, 29/8 h = 3.625 "
        "shots/h; cycle n = %d (15 x 31 s + 13 x 30 s), mean 855/28 = %.4f s, sd %.5f, loss 15 x 1 s = 15 s = "
        "15/(28 x 30) = %.4f %%, 0.5 lost shots, performance 30 x 28/855 = %.3f %%. Cushion alternates 5.0/5.2: at "
        "shot 30 (n = 30 = capability_min_shots) MR-bar = 0.2, sigma_w = 0.2/1.128 = %.6f, mean 5.1, Cp = Cpk = "
        "1.0/(6 x %.6f) = %.4f < 1.0 -> moulding_low_cpk_cushion; overall s = sqrt(30 x 0.01/29) = %.6f, Pp = "
        "%.4f. Injection pressure after 32 shots: mean %.4f, MR-bar %.4f, Cpk %.4f; melt: MR-bar 2, sigma_w "
        "1.77305, Cp = Cpk = 20/(6 x 1.77305) = %.4f. A manual reset then drops the capability and clears the "
        "low-Cpk alarm. Hand calculation."
        % (100 * 2 / 29, n_ct, ct_mean, ct_sd, 100 * loss / (n_ct * 30), 100 * 30 * n_ct / sum(cts), c30["sw"],
           c30["sw"], c30["cp"], c30["s"], c30["pp"], cp32["mean"], cp32["sw"] * 1.128, cp32["cpk"], me32["cp"]))
    write("demo-moulding.json", {
        "description": desc,
        "config": {"cavities": 4, "standard_cycle_s": 30, "cushion_lsl": 4.6, "cushion_usl": 5.6,
                   "pressure_lsl": 900, "pressure_usl": 1100, "pressure_low": 950, "pressure_high": 1050,
                   "melt_lsl": 220, "melt_usl": 240},
        "products": ["demo-imm"],
        "thing_models": {"demo-imm": thing_model()},
        "devices": {dev: {"product": "demo-imm"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [],
            "alarms": [
                {"op": "raise", "device": dev, "type": "moulding_out_of_window_pressure", "severity": "major",
                 "details": {"property": "injection_pressure", "value": 1060, "low": 950, "high": 1050, "shots": 3,
                             "shot_count": 1017}},
                {"op": "clear", "device": dev, "type": "moulding_out_of_window_pressure"},
                {"op": "raise", "device": dev, "type": "moulding_low_cpk_cushion", "severity": "warning",
                 "details": {"property": "cushion", "cpk": c30["cpk"], "cp": c30["cp"], "mean": 5.1,
                             "sigma_within": c30["sw"], "shots": 30, "limit": 1}},
                {"op": "clear", "device": dev, "type": "moulding_low_cpk_cushion"},
            ],
            "kv": {
                "s:" + dev: [{"shift": "2026-05-29 00:00", "hours": 8, "shots": 29, "rejects": 2, "good_parts": good,
                              "scrap_pct": 100 * 2 / 29, "shots_h": 29 / 8, "good_h": good / 8, "ct_n": n_ct,
                              "ct_mean": ct_mean, "ct_sd": ct_sd, "ct_min": 30, "ct_max": 31, "ct_std": 30,
                              "loss_s": loss, "loss_pct": 100 * loss / (n_ct * 30), "lost_shots": loss / 30,
                              "perf_pct": 100 * 30 * n_ct / sum(cts), "long_n": 1, "long_s": 95}],
                "h:" + dev: [{"hour": "2026-05-29 07:00", "shots": 29, "rejects": 2, "good_parts": good,
                              "scrap_pct": 100 * 2 / 29, "ct_mean": ct_mean}],
                "m:" + dev: {"sh_shots": 3, "tot_shots": 32, "tot_rej": 2, "tot_good": 30 * 4, "cnt": 1032,
                             "sh_ctn": 3, "sh_loss": 1, "sh_ctsum": 91,
                             "v_cushion": 5.2, "v_mould": 45},
            },
            "logs": ["shift 2026-05-29 00:00 closed: 29 shots", "an interruption, not in the statistics",
                     "imm-01: capability reset",
                     "injection_pressure Cp %.3f Cpk %.3f (n 32)" % (cp32["cp"], cp32["cpk"]),
                     "melt_temp Cp %.3f Cpk %.3f (n 32)" % (me32["cp"], me32["cpk"])],
        },
        "rel": 1e-6,
    })


# ---------------------------------------------------------------- 3. bad data
def bad():
    events = [
        ev("M-1", T0, shot_count=500, state=2),
        ev("M-1", T0 + 20000, shot_count=501, cycle_time=20.5, cushion=3.0, reject=False, melt_temp=230.0),
        ev("M-1", T0 + 40000, cycle_time=20.0, cushion=3.1),
        ev("M-1", T0 + 60000, shot_count=503, cycle_time=21.0, cushion=3.2),
        ev("M-1", T0 + 50000, shot_count=502),
        ev("M-1", T0 + 80000, shot_count=504, state=1),
        ev("M-1", T0 + 100000, shot_count=5, state=2, cycle_time=-3.0, cushion=4.5),
        ev("M-1", T0 + 120000, shot_count=6, cushion=4.6, reject=True, cycle_time=20.0),
        ev("M-1", T0 + 140000, vibration=1.2),
        ev("M-1", T0 + 2000000, shot_count=7, cycle_time=20.0, cushion=3.0),
        ev("M-2", T0, shot_count=10, cushion="low"),
        ev("M-2", T0 + 20000, shot_count=11, cycle_time=25.0),
        ev("M-3", T0, shot_count="n/a", cycle_time=22.0),
        {"kind": "telemetry", "device": "M-1", "points": []},
    ]
    cu = [3.0, 3.2, 4.5, 4.6, 3.0]
    c = cap(cu, 2, 4)
    c3 = cap(cu[:3], 2, 4)
    desc = (
        "Bad and missing data, no thing model (each device's series typed by its first value, so text is on "
        "devices of its own). production_states [2], standard cycle 20 s, cushion spec 2-4 mm (the window), "
        "window_shots 2, capability_min_shots 3. M-1: counter 500 = starting point; 501: one shot (20.5 s, "
        "cushion 3.0, good); a message without counter: its values wait for the next shot; 503: two shots, the "
        "values (21.0 s, 3.2 mm; 3.1 was replaced) belong to the last; 502 at an earlier time: ignored; 504 in "
        "state 1: a set-up shot; 5 (counter reset): 5 shots, cycle -3 not positive (ignored), cushion 4.5 outside "
        "(1st); 6: rejected, 4.6 outside (2nd) -> moulding_out_of_window_cushion; vibration only: nothing; 7 after "
        "32 min: 3.0 inside -> cleared (the melt temperature of 33 min ago is too old to use). Shots 1+2+5+1+1 = "
        "10, set-up 1, rejects 1. Cycles 20.5, 21.0, 20.0, 20.0: n 4, mean 20.375, loss 0.5+1 = 1.5 s. Cushion "
        "3.0, 3.2, 4.5: mean 3.5667, MR-bar (0.2+1.3)/2 = 0.75, sigma_w 0.75/1.128 = 0.66489, Cpk = (4 - 3.5667)/"
        "(3 x 0.66489) = %.4f < 1 -> moulding_low_cpk_cushion at the 3rd value; with 4.6 and 3.0: mean 3.66, "
        "MR-bar 3.2/4 = 0.8, sigma_w 0.70922, Cp = 2/(6 x 0.70922) = %.4f, Cpk = 0.34/(3 x 0.70922) = %.4f, s = "
        "sqrt(2.672/4) = %.5f, Pp %.4f, Ppk %.4f, 2 values out of specification. M-2: cushion 'low' (text) warned "
        "and never used; its next shot has no cushion. M-3: counter 'n/a' warned, no starting point. Hand "
        "calculation." % (c3["cpk"], c["cp"], c["cpk"], c["s"], c["pp"], c["ppk"]))
    write("bad-data.json", {
        "description": desc,
        "config": {"production_states": [2], "standard_cycle_s": 20, "cushion_lsl": 2, "cushion_usl": 4,
                   "window_shots": 2, "capability_min_shots": 3},
        "devices": {"M-1": {"product": "imm"}, "M-2": {"product": "imm"}, "M-3": {"product": "imm"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [],
            "alarms": [
                {"op": "raise", "device": "M-1", "type": "moulding_low_cpk_cushion",
                 "details": {"cpk": c3["cpk"], "shots": 3}},
                {"op": "raise", "device": "M-1", "type": "moulding_out_of_window_cushion",
                 "details": {"value": 4.6, "low": 2, "high": 4, "shots": 2}},
                {"op": "clear", "device": "M-1", "type": "moulding_out_of_window_cushion"},
            ],
            "kv": {
                "m:M-1": {"sh_shots": 10, "sh_setup": 1, "sh_rej": 1, "sh_multi": 5, "sh_ctn": 4, "sh_ctsum": 81.5,
                          "sh_loss": 1.5, "cnt": 7, "n_cushion": 5, "mean_cushion": c["mean"], "sw_cushion": c["sw"],
                          "cp_cushion": c["cp"], "cpk_cushion": c["cpk"], "s_cushion": c["s"], "pp_cushion": c["pp"],
                          "ppk_cushion": c["ppk"], "out_cushion": 2, "cpk_alarm_cushion": 1, "tot_good": 9},
                "m:M-2": {"sh_shots": 1, "cnt": 11, "sh_ctn": 1},
                "m:M-3": {"last": T0},
            },
            "logs": ["M-1: 2 shots in one message", "older than the last one", "in state 1 (not production)",
                     "shot counter went back from 504 to 5 (reset): 5 shot(s) counted",
                     "cycle time -3 is not positive", "M-2: cushion is not a number", "M-3: shot_count is not a number"],
        },
        "rel": 1e-6,
    })


# ---------------------------------------------------------------- 4. hourly derived telemetry
def hourly():
    dev = "imm-02"
    t_start = T0 + 50 * 60000                    # 05:50 local
    events = [ev(dev, t_start, shot_count=0)]
    cus = [5.0, 5.1, 4.9] * 4
    for i in range(1, 11):
        ct = 60.0 if i % 2 else 59.0
        events.append(ev(dev, t_start + i * 60000, shot_count=i, cycle_time=ct, cushion=cus[i - 1], reject=(i == 3)))
    hour_cts = [60.0 if i % 2 else 59.0 for i in range(1, 10)]
    c9 = cap(cus[:9], 4, 6)
    desc = (
        "Derived telemetry each hour (write_telemetry true; the thing model declares shots_per_hour, "
        "good_parts_per_hour, scrap_pct, cycle_time_mean and cpk_cushion as float). 2 cavities, cushion spec 4-6 "
        "mm, capability from 5 shots. Counter 0 at 05:50 local, a shot a minute: shots 1-9 fall in the hour "
        "05:00-06:00, shot 10 at 06:00 closes it. Hour by hand: 9 shots, shot 3 rejected: scrap 1/9 = %.4f %%, "
        "good parts (9 - 1) x 2 = 16; cycles 5 x 60 + 4 x 59 = 536 s, mean %.4f s; cushion 5.0, 5.1, 4.9 repeated: "
        "mean 5.0, moving ranges 0.1, 0.2, 0.1, 0.1, 0.2, 0.1, 0.1, 0.2 -> MR-bar 1.1/8 = 0.1375, sigma_w = "
        "0.1375/1.128 = %.6f, Cp = Cpk = 2/(6 x %.6f) = %.4f. Written at the hour's end (06:00 local)."
        % (100 / 9, mean(hour_cts), c9["sw"], c9["sw"], c9["cpk"]))
    write("hourly-writes.json", {
        "description": desc,
        "config": {"cavities": 2, "cushion_lsl": 4, "cushion_usl": 6, "capability_min_shots": 5,
                   "write_telemetry": True},
        "products": ["imm"],
        "thing_models": {"imm": thing_model(derived=True)},
        "devices": {dev: {"product": "imm"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [{"device": dev, "ts": T0 + 3600000,
                        "values": {"shots_per_hour": 9, "good_parts_per_hour": 16, "scrap_pct": 100 / 9,
                                   "cycle_time_mean": mean(hour_cts), "cpk_cushion": c9["cpk"]}}],
            "alarms": [],
            "kv": {"h:" + dev: [{"hour": "2026-05-29 05:00", "shots": 9, "rejects": 1, "good_parts": 16,
                                 "scrap_pct": 100 / 9, "ct_mean": mean(hour_cts)}],
                   "m:" + dev: {"hr_shots": 1, "sh_shots": 10}},
        },
        "rel": 1e-6,
    })


piston()
demo()
bad()
hourly()
