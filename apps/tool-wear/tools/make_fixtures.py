"""Writes fixtures/*.json for apps/tool-wear with expected values worked out here,
independently of the app: Taylor's equation by hand (v·T^n = C, T = (C/v)^(1/n)),
v = π·D·N/1000 (m/min from mm and r/min), and the life-fraction rule Σ t_i/T(v_i).

Published examples:
- Groover, Fundamentals of Modern Manufacturing, Example "Taylor tool life equation"
  (Example 23.1 in the 4th ed., 22.1 in the 5th): points v = 160 m/min → T = 5 min and
  v = 100 m/min → T = 41 min give n = 0.223, C = 229.
- GATE Mechanical Engineering tool-life question (as in the model library's vectors,
  m.interviewmania.com discussion 90081): n = 0.5, C = 540: 60 m/min → 81 min.

Run: python3 apps/tool-wear/tools/make_fixtures.py
"""
import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures"
MIN = 60_000
T0 = 1_772_420_400_000  # 2026-03-02 03:00 UTC (11:00 China Standard Time)


def rpm_for(v, d):
    """Spindle speed (r/min) giving cutting speed v (m/min) on diameter d (mm)."""
    return v * 1000 / (math.pi * d)


def life(v, n, c):
    return (c / v) ** (1 / n)


def tel(device, minute, **props):
    return {"kind": "telemetry", "device": device,
            "points": [{"property": k, "ts": T0 + round(minute * MIN), "value": v} for k, v in props.items()]}


def ts(minute):
    return T0 + round(minute * MIN)


CNC_TM = {"properties": [
    {"identifier": "spindle_speed", "name": "spindle speed", "data_type": {"type": "double", "unit": "r/min"}},
    {"identifier": "spindle_load", "name": "spindle load", "data_type": {"type": "double", "unit": "%"}},
    {"identifier": "tool", "name": "tool", "data_type": {"type": "int"}},
    {"identifier": "tool_changed", "name": "tool changed", "data_type": {"type": "bool"}},
    {"identifier": "remaining_life_pct", "name": "remaining tool life", "data_type": {"type": "double", "unit": "%"}},
]}


def dump(name, fx):
    (OUT / name).write_text(json.dumps(fx, ensure_ascii=False, indent=1) + "\n")


def groover():
    d = 50.0
    n160, n100 = rpm_for(160, d), rpm_for(100, d)
    ev = [tel("vmc-01", 0, spindle_speed=n160, spindle_load=40.5, tool=1)]
    ev.append(tel("vmc-01", 2.5, spindle_speed=n100, spindle_load=35.5))
    for k in range(1, 8):
        ev.append(tel("vmc-01", 2.5 + 3 * k, spindle_speed=n100, spindle_load=35.5))
    # Published lives: 5 min at 160 m/min, 41 min at 100 m/min.
    writes = [{"device": "vmc-01", "ts": ts(0), "values": {"remaining_life_pct": 100}}]
    used = 2.5 / 5
    writes.append({"device": "vmc-01", "ts": ts(2.5), "values": {"remaining_life_pct": 100 * (1 - used)}})
    for k in range(1, 8):
        used = 2.5 / 5 + 3 * k / 41
        writes.append({"device": "vmc-01", "ts": ts(2.5 + 3 * k), "values": {"remaining_life_pct": max(0.0, 100 * (1 - used))}})
    # Check that the rounding of the printed n and C stays within the tolerance used below.
    for k in range(1, 7):
        printed = 100 * (1 - 2.5 / 5 - 3 * k / 41)
        exact = 100 * (1 - 2.5 / life(160, 0.223, 229) - 3 * k / life(100, 0.223, 229))
        assert abs(exact / printed - 1) < 2.5e-3, (k, printed, exact)
    return {
        "description": (
            "Published check: Groover, Fundamentals of Modern Manufacturing, Example 'Taylor tool life equation' "
            "(Example 23.1 in the 4th ed., 22.1 in the 5th): 160 m/min → 5 min and 100 m/min → 41 min give "
            "v·T^0.223 = 229. Tool T1, Ø50 mm, material with n = 0.223, C = 229: 2.5 min at 160 m/min "
            "(1018.59 r/min) use half its life (remaining 50 %), then 3 min steps at 100 m/min (636.62 r/min) use "
            "3/41 each: 42.68, 35.37, 28.05, 20.73, 13.41 % (warning at ≤ 20 %), 6.10 %, and after 21 min at "
            "100 m/min 0.5 + 21/41 > 1: end of life (major; the warning gives way). Remaining life by hand with the "
            "printed lives 5 and 41 min; the model computes T from the printed n and C (4.992 and 41.08 min), "
            "hence rel 2.5e-3 (tools/make_fixtures.py checks this bound)."),
        "config": {"materials": [{"name": "groover_ex", "n": 0.223, "C": 229}],
                   "tools": [{"tool": "T1", "diameter_mm": d, "material": "groover_ex"}]},
        "thing_models": {"cnc": CNC_TM},
        "devices": {"vmc-01": {"product": "cnc"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [
                {"op": "raise", "device": "vmc-01", "type": "tool_life_low:T1", "severity": "warning"},
                {"op": "raise", "device": "vmc-01", "type": "tool_end_of_life:T1", "severity": "major"},
                {"op": "clear", "device": "vmc-01", "type": "tool_life_low:T1"},
            ],
            "kv": {"cnc:vmc-01": {"tool": "T1", "tools": {"T1": {"min": 23.5, "T": 41, "v": 100, "level": 2}}}},
        },
        "rel": 2.5e-3,
    }


def gate():
    d = 20.0
    n60 = rpm_for(60, d)
    seed = {"cnc:vmc-02": {"device": "vmc-02", "last": None, "tool": "T2",
                           "tools": {"T2": {"min": 60, "used": 60 / 81, "v": 60, "T": 81, "level": 0, "since": T0 - 120 * MIN}},
                           "resets": []},
            "machines": ["vmc-02"]}
    ev = [tel("vmc-02", 0, spindle_speed=n60, spindle_load=50.5, tool=2)]
    for m in (3, 6, 9, 12, 15, 18):
        ev.append(tel("vmc-02", m, spindle_speed=n60, spindle_load=50.5))
    ev.append(tel("vmc-02", 22, spindle_speed=0.0, spindle_load=0.0))       # 82/81: end of life, spindle stops
    ev.append(tel("vmc-02", 23, tool_changed=True))                          # operator changes T2
    ev.append(tel("vmc-02", 25, spindle_speed=n60, spindle_load=50.5))
    ev.append(tel("vmc-02", 28, spindle_speed=n60, spindle_load=50.5))
    writes = [{"device": "vmc-02", "ts": ts(m), "values": {"remaining_life_pct": 100 * (1 - (60 + m) / 81)}}
              for m in (3, 6, 9, 12, 15, 18)]
    writes.append({"device": "vmc-02", "ts": ts(22), "values": {"remaining_life_pct": 0}})
    writes.append({"device": "vmc-02", "ts": ts(23), "values": {"remaining_life_pct": 100}})
    writes.append({"device": "vmc-02", "ts": ts(28), "values": {"remaining_life_pct": 100 * (1 - 3 / 81)}})
    return {
        "description": (
            "Alarm raise and clear, with the GATE tool-life example (n = 0.5, C = 540 m/min: 60 m/min → 81 min, as in "
            "the model library's vectors). Tool T2 (Ø20 mm at 954.93 r/min = 60 m/min) has already cut 60 min (kv "
            "seed). By hand, remaining = 100·(1 − t/81): 22.22 % at 63 min, 18.52 % at 66 min (≤ 20: warning "
            "tool_life_low:T2), …, 0 after 82 min (end of life: major tool_end_of_life:T2, the warning cleared); the "
            "spindle stops; the machine's tool_changed = true resets T2 (alarm cleared, 100 % written); the new T2 "
            "cuts 3 min: 100·(1 − 3/81) = 96.30 %. The interval 22 → 25 min is idle (spindle stopped)."),
        "config": {"reset_property": "tool_changed", "materials": [{"name": "gate", "n": 0.5, "C": 540}],
                   "tools": [{"tool": "T2", "diameter_mm": d, "material": "gate"}]},
        "thing_models": {"cnc": CNC_TM},
        "devices": {"vmc-02": {"product": "cnc"}},
        "kv": seed,
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [
                {"op": "raise", "device": "vmc-02", "type": "tool_life_low:T2", "severity": "warning"},
                {"op": "raise", "device": "vmc-02", "type": "tool_end_of_life:T2", "severity": "major"},
                {"op": "clear", "device": "vmc-02", "type": "tool_life_low:T2"},
                {"op": "clear", "device": "vmc-02", "type": "tool_end_of_life:T2"},
            ],
            "kv": {"cnc:vmc-02": {"tool": "T2", "tools": {"T2": {"min": 3, "used": 3 / 81, "T": 81, "level": 0}},
                                  "resets": [[ts(23), "T2", 82, 82 / 81]]}},
            "logs": ["T2 has 18.5 % of its life left", "T2 at the end of its life after 82.00 min",
                     "T2 reset (tool_changed) after 82.00 min of cutting, 101.2 % of its life"],
        },
        "rel": 1e-9,
    }


def boundaries():
    # Defaults: carbide_steel n = 0.25, C = 500 m/min; Ø10 mm. 3000 r/min → v = 30π m/min.
    v = math.pi * 10 * 3000 / 1000
    T = (500 / v) ** 4
    ev = [
        tel("vmc-03", 0, spindle_speed=3000.0, spindle_load=30.5, tool=3),   # first message: T3 in the spindle
        tel("vmc-03", 1, spindle_speed=3000.0, spindle_load=30.5),           # 1 min cut
        tel("vmc-03", 2, spindle_speed=3000.0, spindle_load=2.5),            # 1 min cut, now idle (load ≤ 5 %)
        tel("vmc-03", 3, spindle_speed=3000.0, spindle_load=30.5),           # idle minute: not counted
        tel("vmc-03", 4, spindle_speed=3000.0, spindle_load=30.5, tool=5),   # 1 min by T3, then T5 in the spindle
        tel("vmc-03", 5, spindle_speed=3000.0, spindle_load=30.5),           # 1 min by T5
        tel("vmc-03", 15, spindle_speed=3000.0, spindle_load=30.5),          # 10 min gap > 300 s: not counted
        {"kind": "manual", "reset_tool": "T3", "device": "vmc-03"},         # T3 replaced in the magazine
    ]
    writes = [
        {"device": "vmc-03", "ts": ts(0), "values": {"remaining_life_pct": 100}},
        {"device": "vmc-03", "ts": ts(1), "values": {"remaining_life_pct": 100 * (1 - 1 / T)}},
        {"device": "vmc-03", "ts": ts(2), "values": {"remaining_life_pct": 100 * (1 - 2 / T)}},
        {"device": "vmc-03", "ts": ts(4), "values": {"remaining_life_pct": 100}},
        {"device": "vmc-03", "ts": ts(5), "values": {"remaining_life_pct": 100 * (1 - 1 / T)}},
    ]
    return {
        "description": (
            "Boundaries with the default configuration (carbide on steel, n = 0.25, C = 500 m/min after Groover's "
            "table; Ø10 mm). 3000 r/min → v = π·10·3000/1000 = 94.248 m/min → T = (500/94.248)⁴ = 792.13 min. The "
            "first message only puts T3 in the spindle (100 % written); each minute cut uses 1/792.13 "
            "(99.8738 %, 99.7475 %); a message with the load at 2.5 % (≤ 5 %) makes the next minute idle; the minute "
            "before the tool change to T5 counts for T3 (3 min in all), and T5 enters with 100 %; T5 cuts 1 min; a "
            "10-minute gap (> max_gap_s 300) is not counted; a manual reset of T3 keeps its 3 min in the history."),
        "thing_models": {"cnc": CNC_TM},
        "devices": {"vmc-03": {"product": "cnc"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [],
            "kv": {"cnc:vmc-03": {"tool": "T5", "tools": {"T3": {"min": 0, "used": 0},
                                                           "T5": {"min": 1, "used": 1 / T, "v": v, "T": T}}},
                   "machines": ["vmc-03"]},
            "logs": ["T3 in the spindle", "T5 in the spindle (was T3)", "600 s since the last message",
                     "T3 reset (manual) after 3.00 min of cutting"],
        },
        "rel": 1e-9,
    }


def bad_data():
    ev = [
        tel("vmc-04", 0, coolant_temp=21.5),                                  # nothing the app reads
        tel("vmc-06", 1, spindle_speed="n/a", spindle_load=-3.0, tool=7),   # text speed, negative load: ignored
        tel("vmc-04", 2, spindle_speed=2000.0, spindle_load=40.5, tool=7),   # T7 in vmc-04's spindle
        tel("vmc-04", 3, spindle_speed=2000.0, spindle_load=40.5),            # T7 cuts, material unknown: not counted
        tel("vmc-05", 0, spindle_speed=2000.0, spindle_load=40.5, tool=""),  # no tool number
        tel("vmc-05", 1, spindle_speed=2000.0, spindle_load=40.5),            # cutting with no known tool
        {"kind": "manual"},
        {"kind": "manual", "reset_tool": "T99"},
        {"kind": "telemetry", "device": "vmc-04", "points": []},
    ]
    return {
        "description": (
            "Bad and missing data: a message without the machine's properties does nothing; a text spindle speed "
            "(vmc-06, a legacy product without a thing model whose series holds text) and a negative load are "
            "ignored with a warning (the spindle counts as stopped until a good reading; the platform itself refuses numbers in that text series afterwards); on vmc-04, T7 is configured with a "
            "material that has no Taylor constants: its cutting is not counted and the event reports a failed "
            "computation (status 2) with a log line; a tool property without a number leaves the tool unknown and "
            "that cutting is not counted; a manual run without a tool logs a hint; a manual reset of a tool no "
            "machine has logs a warning; an empty message does nothing."),
        "config": {"tools": [{"tool": "T7", "diameter_mm": 12, "material": "unobtainium"}]},
        "devices": {"vmc-04": {"product": "cnc"}, "vmc-05": {"product": "cnc"}, "vmc-06": {"product": "cnc-legacy"}},
        "events": ev,
        "expect": {
            "results": [0, 0, 0, 2, 0, 0, 0, 0, 0],
            "writes": [{"device": "vmc-06", "ts": ts(1), "values": {"remaining_life_pct": 100}},
                       {"device": "vmc-04", "ts": ts(2), "values": {"remaining_life_pct": 100}}],
            "alarms": [],
            "logs": ["vmc-06: ignored a bad spindle_speed reading", "vmc-06: ignored a bad spindle_load reading",
                     "unknown tool material \"unobtainium\"", "vmc-05: tool carries no tool number",
                     "cutting with no known tool", "manual run: send", "no machine has tool T99"],
        },
    }


def demo_cnc():
    products = json.loads((Path(__file__).resolve().parents[3] / "crates/ironloom/demo/products.json").read_text())
    tm = next(p["thing_model"] for p in products if p["product_key"] == "demo-cnc")
    tm = {"properties": tm["properties"] + [
        {"identifier": "remaining_life_pct", "name": "Remaining tool life (app)", "data_type": {"type": "double", "unit": "%"}}]}
    v = math.pi * 10 * 2400 / 1000
    T = (500 / v) ** 4
    ev = [tel("cnc-01", m, spindle_speed=2400, spindle_load=35.5, tool={"number": 4, "wear": 0.05},
              feed_rate=480.0, program="O1001")
          for m in (0, 0.5, 1, 1.5, 2)]
    return {
        "description": (
            "The demo's machining centre (demo-cnc thing model: spindle_speed int r/min, spindle_load %, tool a struct "
            "{number, wear}) with the default configuration: tool 4 read from tool.number, carbide on steel "
            "(n = 0.25, C = 500), Ø10 mm. 2400 r/min → v = π·10·2400/1000 = 75.398 m/min → T = (500/75.398)⁴ = "
            "1934.0 min; messages every 30 s at 35.5 % load: remaining = 100·(1 − t/1934.0) after t = 0.5, 1, 1.5, 2 min."),
        "thing_models": {"demo-cnc": tm},
        "devices": {"cnc-01": {"product": "demo-cnc"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": [{"device": "cnc-01", "ts": ts(0), "values": {"remaining_life_pct": 100}}] + [
                {"device": "cnc-01", "ts": ts(m), "values": {"remaining_life_pct": 100 * (1 - m / T)}}
                for m in (0.5, 1, 1.5, 2)],
            "kv": {"cnc:cnc-01": {"tool": "T4", "tools": {"T4": {"min": 2, "T": T, "v": v}}}},
        },
        "rel": 1e-9,
    }


def change_signals():
    # Defaults (carbide on steel, Ø10 mm); 3000 r/min → T = (500/(30π))⁴ min.
    v = math.pi * 10 * 3000 / 1000
    T = (500 / v) ** 4
    ev = [
        tel("hmc-01", 0, spindle_speed=3000.0, spindle_load=30.5, tool=3),
        tel("hmc-02", 0, spindle_speed=3000.0, spindle_load=30.5, tool=5),
        tel("hmc-01", 2, spindle_speed=3000.0, spindle_load=30.5, tool=5),   # T3 cut 2 min, T5 in hmc-01's spindle
        tel("hmc-02", 2, spindle_speed=3000.0, spindle_load=30.5, tool=3),   # T5 cut 2 min, T3 in hmc-02's spindle
        tel("hmc-02", 3, spindle_speed=0.0, spindle_load=0.0),               # T3 cut 1 min on hmc-02
        {"kind": "manual", "reset_tool": 3},                                 # T3 changed on every machine that has it
        tel("hmc-02", 4, tool_changed=5),                                    # hmc-02 reports T5 changed (in the magazine)
        tel("hmc-01", 4, tool_changed=False),                                # false: no change
    ]
    writes = [
        {"device": "hmc-01", "ts": ts(0), "values": {"remaining_life_pct": 100}},
        {"device": "hmc-02", "ts": ts(0), "values": {"remaining_life_pct": 100}},
        {"device": "hmc-01", "ts": ts(2), "values": {"remaining_life_pct": 100}},
        {"device": "hmc-02", "ts": ts(2), "values": {"remaining_life_pct": 100}},
        {"device": "hmc-02", "ts": ts(3), "values": {"remaining_life_pct": 100 * (1 - 1 / T)}},
        {"device": "hmc-02", "values": {"remaining_life_pct": 100}},          # T3 is in hmc-02's spindle: reset written now
        {"device": "hmc-01", "ts": ts(4), "values": {"remaining_life_pct": 100 * (1 - 2 / T)}},  # T5 cut 2 → 4 min
    ]
    return {
        "description": (
            "Tool-change signals on two machines (defaults: carbide on steel, Ø10 mm, 3000 r/min → T = "
            "(500/94.248)⁴ = 792.13 min). Each tool entering a spindle is written with its remaining life (100 % "
            "for tools without use); hmc-02's T3 cuts 1 min (99.8738 %). A manual run {\"reset_tool\": 3} without a "
            "device resets T3 on both machines (hmc-01's after 2 min, hmc-02's after 1 min; 100 % written for "
            "hmc-02, whose spindle holds it); hmc-02's reset_property tool_changed = 5 resets T5 in its magazine "
            "(2 min, no write: T5 is not in the spindle); tool_changed = false changes nothing, while that message closes "
            "hmc-01's interval 2 → 4 min in which T5 cut (99.7475 %). Expected by hand; the manual resets carry the "
            "wall-clock time, so their history entries are not compared."),
        "config": {"reset_property": "tool_changed"},
        "thing_models": {"cnc": {"properties": [p for p in CNC_TM["properties"] if p["identifier"] != "tool_changed"] + [
            {"identifier": "tool_changed", "name": "tool changed", "data_type": {"type": "double"}}]},
                         "cnc2": CNC_TM},
        "devices": {"hmc-01": {"product": "cnc2"}, "hmc-02": {"product": "cnc"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": writes,
            "alarms": [],
            "kv": {"cnc:hmc-01": {"tool": "T5", "tools": {"T3": {"min": 0, "used": 0}, "T5": {"min": 2, "used": 2 / T}}},
                   "cnc:hmc-02": {"tool": "T3", "tools": {"T3": {"min": 0}, "T5": {"min": 0, "used": 0}}},
                   "machines": ["hmc-01", "hmc-02"]},
            "logs": ["hmc-01: T3 reset (manual) after 2.00 min", "hmc-02: T3 reset (manual) after 1.00 min",
                     "hmc-02: T5 reset (tool_changed) after 2.00 min"],
        },
        "rel": 1e-9,
    }


def speed_only():
    # A machine reporting only its spindle speed (like the Modbus simulator's CNC): load_threshold 0, default_tool T1.
    v = math.pi * 10 * 8000 / 1000
    T = (500 / v) ** 4
    speeds = [(0, 8000.0), (10, 8000.0), (20, 8000.0), (30, 0.0), (40, 8000.0), (50, 8000.0)]
    ev = [tel("cnc-sim", sec / 60, spindle_speed=rpm) for sec, rpm in speeds]
    cut = [(10, 1), (20, 2), (30, 3), (50, 4)]  # (time s, 10-s intervals cut so far)
    return {
        "description": (
            "A machine that reports only its spindle speed (as the Modbus simulator's CNC does): load_threshold 0 "
            "makes a turning spindle count as cutting, default_tool T1 stands for the unreported tool. Defaults "
            "otherwise (carbide on steel, Ø10 mm). By hand: 8000 r/min → v = π·10·8000/1000 = 251.33 m/min → "
            "T = (500/251.33)⁴ = 15.664 min; each 10 s of cutting uses (1/6)/15.664 of the life; the interval after "
            "the spindle stops (30 → 40 s) is not counted: remaining 100·(1 − k/6/15.664) for k = 1, 2, 3, 4."),
        "config": {"load_threshold": 0, "default_tool": "T1"},
        "thing_models": {"cnc": CNC_TM},
        "devices": {"cnc-sim": {"product": "cnc"}},
        "events": ev,
        "expect": {
            "results": [0] * len(ev),
            "writes": [{"device": "cnc-sim", "ts": ts(t / 60), "values": {"remaining_life_pct": 100 * (1 - k / 6 / T)}}
                       for t, k in cut],
            "kv": {"cnc:cnc-sim": {"tool": "T1", "tools": {"T1": {"min": 4 / 6, "T": T, "v": v}}}},
        },
        "rel": 1e-9,
    }


if __name__ == "__main__":
    dump("speed-only.json", speed_only())
    dump("change-signals.json", change_signals())
    dump("groover-example.json", groover())
    dump("gate-alarms.json", gate())
    dump("boundaries.json", boundaries())
    dump("bad-data.json", bad_data())
    dump("demo-cnc.json", demo_cnc())
