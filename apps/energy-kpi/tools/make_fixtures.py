#!/usr/bin/env python3
"""Writes the fixtures of apps/energy-kpi. Every expected number is worked by hand in the
fixture's description (SEC = E/P, ISO 50006:2014 ratio EnPI); this script lays out the
events and checks the arithmetic with asserts. Run from the app folder:
    python3 tools/make_fixtures.py
"""
import datetime
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(APP))
MIN = 60000
H = 3600000


def local(day, h, m=0):
    """ms of 2026-05-<day> h:m at UTC+8 (in the past of the test clock, as ingest requires)."""
    t = datetime.datetime(2026, 5, day, h, m, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    return int(t.timestamp() * 1000)


def dump(name, fx):
    with open(os.path.join(APP, "fixtures", name), "w", encoding="utf-8") as f:
        f.write("{\n")
        keys = list(fx)
        for j, k in enumerate(keys):
            v = fx[k]
            if k == "events":
                f.write(' "events": [\n')
                f.write(",\n".join("  " + json.dumps(e, ensure_ascii=False) for e in v))
                f.write("\n ]")
            else:
                f.write(" " + json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False))
            f.write(",\n" if j < len(keys) - 1 else "\n")
        f.write("}\n")


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product, "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


# ---- 1. Three shifts by hand ---------------------------------------------------------------
ev = [tel("line-meter", "meter", local(20, 8), power=40.0), tel("press-1", "press", local(20, 8), part_count=0)]
for h, kw in [(10, 40.0), (12, 60.0), (14, 60.0)]:
    ev.append(tel("line-meter", "meter", local(20, h), power=kw))
    if h == 12:
        ev.append(tel("press-1", "press", local(20, 12), part_count=500))
ev.append(tel("press-1", "press", local(20, 15, 59), part_count=1000))
for h in (16, 18, 20, 22):
    ev.append(tel("line-meter", "meter", local(20, h), power=40.0))
ev.append(tel("press-1", "press", local(20, 23, 59), part_count=1500))
for h in (0, 2, 4, 6):
    ev.append(tel("line-meter", "meter", local(21, h), power=30.0))
ev.append(tel("press-1", "press", local(21, 7, 59), part_count=1900))
for h in (8, 10, 12, 14):
    ev.append(tel("line-meter", "meter", local(21, h), power=40.0))
ev.append(tel("press-1", "press", local(21, 15, 59), part_count=2900))
ev.append({"kind": "schedule", "cron": "*/5 * * * *", "at": local(21, 16, 0)})
ev.append({"kind": "http", "path": "report", "body": {}})
E = [40 * 2 + 40 * 2 + 60 * 2 + 60 * 2, 40 * 8, 30 * 8, 40 * 8]
P = [1000, 500, 400, 1000]
assert E == [400, 320, 240, 320]
sec = [e / p for e, p in zip(E, P)]
assert sec == [0.4, 0.64, 0.6, 0.32]
enb = (400 + 320) / 1500
assert abs(enb - 0.48) < 1e-12
var = [(e - 160) / p for e, p in zip(E, P)]
labels = ["2026-05-20 #2", "2026-05-20 #3", "2026-05-21 #1", "2026-05-21 #2"]
shifts = [
    {"label": labels[0], "e_kwh": 400, "p": 1000, "sec": 0.4, "coverage": 1, "rated": True, "target": 0.5, "above": False, "fixed_kwh": 160, "sec_var": 0.24},
    {"label": labels[1], "e_kwh": 320, "p": 500, "sec": 0.64, "coverage": 1, "rated": True, "target": 0.5, "above": True, "sec_var": 0.32, "improvement": (0.48 - 0.64) / 0.48},
    {"label": labels[2], "e_kwh": 240, "p": 400, "sec": 0.6, "rated": True, "above": True, "sec_var": 0.2, "improvement": (0.48 - 0.6) / 0.48},
    {"label": labels[3], "e_kwh": 320, "p": 1000, "sec": 0.32, "rated": True, "above": False, "sec_var": 0.16, "improvement": (0.48 - 0.32) / 0.48},
]
desc = (
    "Specific energy consumption SEC = E/P (ISO 50006:2014 ratio EnPI) per shift, worked by hand. Boundary: the line's power meter line-meter "
    "(kW, readings every 2 h, held up to max_gap_s = 7200) and the press press-1 (part_count). Shifts 00:00/08:00/16:00 at UTC+8 (numbered "
    "#1, #2, #3 by start within the day); target 0.5 kWh/part, 2 consecutive shifts above it raise the alarm; base load 20 kW for SEC_var; the "
    "EnB from the first 2 rated shifts. 05-20 #2 (08–16): 40 kW 08–12, 60 kW 12–16: E = 80 + 80 + 120 + 120 = 400 kWh (the 14:00 reading "
    "held to the 16:00 boundary), P = 1000 (counter 0 → 1000 by 15:59; a reading at 16:00 would count in the next shift), SEC = 0.4 ≤ 0.5; "
    "SEC_var = (400 − 20 × 8)/1000 = 0.24. #3 (16–24): 40 kW × 8 h = 320 kWh, P = 500, SEC = 0.64 > 0.5 (1 above); SEC_var = (320 − 160)/500 = "
    "0.32; the EnB is now (400 + 320)/(1000 + 500) = 0.48 kWh/part, improvement (0.48 − 0.64)/0.48 = −33.3 %. The day 05-20 closes at 00:00 with "
    "E = 720, P = 1500, SEC 0.48 but coverage 16 h/24 h = 66.7 % < 80 %: not rated. 05-21 #1 (00–08): 30 kW × 8 h = 240 kWh, P = 400, SEC = "
    "0.6 > 0.5: the second shift above: sec_above_target (warning) on press-1 (the first production device), with both shifts; SEC_var = "
    "(240 − 160)/400 = 0.2 — the high SEC comes from low output with a fixed load, not from the process. #2 (08–16, closed by the 16:00 "
    "schedule): 40 kW × 8 h = 320 kWh, P = 1000, SEC = 0.32 ≤ 0.5: cleared; improvement (0.48 − 0.32)/0.48 = 33.3 %. The report lists the "
    "four shifts and the closed day; the open day 05-21 has E = 560, P = 1400 so far."
)
dump("sec-by-hand.json", {
    "description": desc,
    "config": {"energy_devices": ["line-meter"], "production_devices": ["press-1"], "max_gap_s": 7200, "target_sec": 0.5, "consecutive": 2,
               "base_load_kw": 20, "baseline_periods": 2},
    "devices": {"line-meter": {"product": "meter"}, "press-1": {"product": "press"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "press-1", "type": "sec_above_target", "severity": "warning",
             "details": {"period": "shift", "consecutive": 2, "target": 0.5, "enb": 0.48, "unit": "kWh/part",
                         "periods": [{"label": labels[1], "sec": 0.64, "e_kwh": 320, "p": 500}, {"label": labels[2], "sec": 0.6, "e_kwh": 240, "p": 400}]}},
            {"op": "clear", "device": "press-1", "type": "sec_above_target"},
        ],
        "replies": [{"status": 200, "body": {
            "unit": "kWh/part", "target": 0.5, "enb": {"sec": 0.48, "periods": 2, "of": 2}, "above_target_alarm": False, "run": 0,
            "shifts": shifts,
            "days": [{"label": "2026-05-20", "e_kwh": 720, "p": 1500, "sec": 0.48, "coverage": 16 / 24, "rated": False}],
            "open": {"day": {"label": "2026-05-21", "e_kwh": 560, "p": 1400}, "month": {"label": "2026-05", "e_kwh": 1280, "p": 2900}}}}],
        "kv": {"acc": {"active": False, "run": 0, "enb": {"sec": 0.48, "n": 2}}},
        "logs": ["energy baseline (EnB) from 2 shifts: SEC = 720 kWh / 1500 part = 0.48 kWh/part", "2 shifts in a row above the target SEC 0.5 kWh/part",
                 "shift 2026-05-20 #2: E = 400 kWh, P = 1000 part, SEC = 0.4 kWh/part, coverage 100 %, target 0.5, SEC_var 0.24"],
    },
    "rel": 1e-9,
})


# ---- 2. The demo motor and CNC with the default configuration -------------------------------
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
motor = next(p for p in products if p["product_key"] == "demo-motor")["thing_model"]
cnc = next(p for p in products if p["product_key"] == "demo-cnc")["thing_model"]
ev = []
t = local(20, 7, 55)
cnt = 1200
k = 0
while t <= local(20, 16, 0):
    kw = 30.0 if t < local(20, 12) else 36.0
    ev.append(tel("motor-01", "demo-motor", t, power=kw, current=round(kw * 1.9, 1), voltage=380.0))
    if (t - local(20, 7, 55)) % (10 * MIN) == 0 and t < local(20, 16):
        if t > local(20, 7, 55):
            cnt += 7
        ev.append(tel("cnc-01", "demo-cnc", t + 30000, part_count=cnt, mode=1, spindle_speed=8000.0))
    t += 5 * MIN
ev.append({"kind": "schedule", "cron": "*/5 * * * *", "at": local(20, 16, 5)})
ev.append({"kind": "http", "path": "report", "body": {}})
parts = cnt - 1200
assert parts == 48 * 7 == 336, parts
e2 = 30 * 4 + 36 * 4
assert e2 == 264
desc = (
    "The demo's fan motor motor-01 (demo-motor thing model: power in kW) and machining centre cnc-01 (demo-cnc: part_count) with the default "
    "configuration: every device reporting power is an energy device and every device reporting part_count a production device, readings "
    "every 5 min held up to max_gap_s = 300, shifts 08/16/00 at UTC+8, no target yet (the EnB is learnt from the first 5 rated shifts), so no "
    "alarm. Power 30.0 kW from 07:55, 36.0 kW from 12:00; cnc-01 reports every 10 min (30 s after the motor) 7 more parts each time after "
    "1200 at 07:55:30. Shift 2026-05-20 #1 (00–08) closes at 08:00 with the motor's 5 min: E = 30 × 5/60 = 2.5 kWh, P = 0, coverage 5/480 min: "
    "not rated. #2 (08–16, closed by the 16:00 reading and its hold): E = 30 × 4 + 36 × 4 = 264 kWh; P = 48 readings × 7 = 336 parts (08:05:30 … "
    "15:55:30); SEC = 264/336 = 0.785714 kWh/part, coverage 100 %: rated, EnB 1 of 5. The report at 16:05 lists both shifts."
)
dump("demo-motor-cnc.json", {
    "description": desc,
    "thing_models": {"demo-motor": motor, "demo-cnc": cnc},
    "devices": {"motor-01": {"product": "demo-motor"}, "cnc-01": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [],
        "replies": [{"status": 200, "body": {"unit": "kWh/part", "target": None, "enb": {"sec": None, "periods": 1, "of": 5}, "shifts": [
            {"label": "2026-05-20 #1", "e_kwh": 2.5, "p": 0, "sec": None, "rated": False},
            {"label": "2026-05-20 #2", "e_kwh": 264, "p": 336, "sec": 264 / 336, "coverage": 1, "rated": True, "target": None}]}}],
        "kv": {"devices": {"energy": ["motor-01"], "production": ["cnc-01"]}},
        "logs": ["motor-01: energy device of the EnPI boundary", "cnc-01: production device of the EnPI boundary",
                 "shift 2026-05-20 #2: E = 264 kWh, P = 336 part, SEC = 0.7857 kWh/part, coverage 100 %"],
    },
    "rel": 1e-9,
})


# ---- 3. A kWh meter, daily SEC against an EnB-based target, derived telemetry ------------------
deltas = {20: 3000, 21: 2750, 22: 2875, 23: 2700, 24: 2500}
ev = [tel("main-meter", "meter", local(19, 23, 59), energy_kwh=50000.0), tel("kiln-1", "kiln", local(19, 23, 59), output_t=0.0)]
meter = 50000.0
for d in range(20, 25):
    for h in (5, 11, 17, 23):
        if d == 23 and h == 11:
            before_reset = meter
            meter = 2700.0  # the meter was replaced and restarted from zero
        else:
            meter += deltas[d]
        ev.append(tel("main-meter", "meter", local(d, h, 59), energy_kwh=meter))
        ev.append(tel("kiln-1", "kiln", local(d, h, 59), output_t=25.0))
ev.append({"kind": "schedule", "cron": "*/5 * * * *", "at": local(25, 0, 5)})
days = {d: 4 * q / 100 for d, q in deltas.items()}
assert days == {20: 120, 21: 110, 22: 115, 23: 108, 24: 100}
enb3 = (12000 + 11000) / 200
tgt = enb3 * 0.9
assert enb3 == 115 and abs(tgt - 103.5) < 1e-12
writes = [{"device": "kiln-1", "ts": local(d + 1, 0), "values": {"sec_kwh_t": v}} for d, v in days.items()]
desc = (
    "A cumulative kWh meter and a kiln's output in tonnes (increments per message), daily SEC in kWh/t against a target from the energy "
    "baseline, worked by hand (alarm_period day, 2 consecutive days, EnB from the first 2 rated days, improvement target 10 %, max_gap_s 6 h, "
    "SEC written as derived telemetry sec_kwh_t on kiln-1). Readings at 05:59, 11:59, 17:59 and 23:59 each day; each day gets the meter's "
    "increase from 23:59 the day before to 23:59 (the increase of a reading counts where the reading falls) and 4 × 25 t. 05-19 (from the "
    "first reading at 23:59): 1 min of coverage, not rated. 05-20: 4 × 3000 = 12000 kWh / 100 t = 120; 05-21: 4 × 2750 = 11000 / 100 = 110; "
    "the EnB is then (12000 + 11000)/200 = 115 kWh/t and the target 115 × 0.9 = 103.5. 05-22: 11500/100 = 115 > 103.5 (1); 05-23: the meter "
    "is replaced at 11:59 and reads 2700 (a reset: 2700 counted), 4 × 2700 = 10800/100 = 108 > 103.5 (2): sec_above_target on kiln-1; "
    "05-24: 10000/100 = 100 ≤ 103.5: cleared (the 00:05 schedule closes it). SEC is written at each rated day's end: 120, 110, 115, 108, 100 "
    "(improvement against the EnB on 05-24: (115 − 100)/115 = 13 %)."
)
dump("meter-days-enb.json", {
    "description": desc,
    "config": {"energy_property": "energy_kwh", "power_property": "", "counter_property": "output_t", "counter_mode": "increment", "unit": "t",
               "alarm_period": "day", "consecutive": 2, "baseline_periods": 2, "target_improvement_pct": 10, "max_gap_s": 21600,
               "write_telemetry": True, "sec_property": "sec_kwh_t", "alarm_device": "kiln-1"},
    "devices": {"main-meter": {"product": "meter"}, "kiln-1": {"product": "kiln"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": writes,
        "alarms": [
            {"op": "raise", "device": "kiln-1", "type": "sec_above_target",
             "details": {"period": "day", "consecutive": 2, "target": 103.5, "enb": 115, "unit": "kWh/t",
                         "periods": [{"label": "2026-05-22", "sec": 115}, {"label": "2026-05-23", "sec": 108}]}},
            {"op": "clear", "device": "kiln-1", "type": "sec_above_target"},
        ],
        "kv": {"h:day": [
            {"label": "2026-05-19", "rated": False},
            {"label": "2026-05-20", "e_kwh": 12000, "p": 100, "sec": 120, "coverage": 1, "rated": True},
            {"label": "2026-05-21", "e_kwh": 11000, "sec": 110, "rated": True},
            {"label": "2026-05-22", "e_kwh": 11500, "sec": 115, "target": 103.5, "above": True, "improvement": 0},
            {"label": "2026-05-23", "e_kwh": 10800, "sec": 108, "target": 103.5, "above": True},
            {"label": "2026-05-24", "e_kwh": 10000, "sec": 100, "target": 103.5, "above": False, "improvement": 15 / 115}],
            "acc": {"active": False, "enb": {"sec": 115, "n": 2, "until": "2026-05-21"}}},
        "logs": ["main-meter: energy_kwh went from %d to 2700: meter reset" % before_reset, "energy baseline (EnB) from 2 days: SEC = 23000 kWh / 200 t = 115 kWh/t"],
    },
    "rel": 1e-9,
})


# ---- 4. Bad and missing data (by hand) -----------------------------------------------------
ev = [tel("m-2", "line", local(20, 6), power="n/a", part_count="x"),
      tel("m-1", "line", local(20, 6), power=10.0), tel("p-1", "line", local(20, 6), part_count=100)]
for h in (7, 8):
    ev.append(tel("m-1", "line", local(20, h), power=10.0))
ev.append(tel("m-1", "line", local(20, 8, 30), power=-5.0))
ev.append(tel("p-1", "line", local(20, 12), part_count=40))
ev.append(tel("p-1", "line", local(20, 11), part_count=500))
for h in range(13, 18):
    ev.append(tel("m-1", "line", local(20, h), power=10.0))
ev.append(tel("m-1", "line", local(20, 16, 30), power=99.0))
ev.append(tel("p-1", "line", local(20, 17), part_count=100))
ev.append(tel("m-1", "line", local(20, 17, 30), temperature=30.5))
for h in list(range(18, 24)) + [0, 1, 2, 3, 4, 5]:
    ev.append(tel("m-1", "line", local(20 if h >= 18 else 21, h), power=20.0))
ev.append(tel("p-1", "line", local(21, 5), part_count=220))
ev.append(tel("m-1", "line", local(21, 6), power=20.0))
ev += [{"kind": "http", "path": "report", "body": {"at": "yesterday"}},
       {"kind": "http", "path": "trend", "body": {}},
       {"kind": "manual", "at": local(21, 6, 1)},
       {"kind": "http", "path": "report", "body": {"at": local(21, 6, 2)}}]
e1 = 10 * 3 + 10 * 5
assert e1 == 80
desc = (
    "Bad and missing data, by hand (products without a thing model; the text readings only on m-2, which therefore never joins the "
    "boundary). Shifts 06:00/18:00 (UTC+8, #1 and #2), max_gap_s 3600, target 1.0 kWh/part, 1 shift above raises the alarm. m-2's \"n/a\" "
    "power and \"x\" part_count are ignored with warnings. Shift 2026-05-20 #1 (06–18): m-1 10 kW hourly 06:00–08:00, a negative power at 08:30 "
    "ignored, then nothing until 13:00 (5 h > max_gap_s: the 08:00 reading is held to 09:00, 09:00–13:00 is not integrated), hourly 10 kW "
    "13:00–17:00, a reading at 16:30 older than the 17:00 one skipped; 17:00 held to the 18:00 boundary: E = 30 + 50 = 80 kWh over 8 h of "
    "12 (coverage 66.7 % < 80 %). p-1: 100 at 06:00 sets the counter; 40 at 12:00 is a reset (40 parts); 500 at 11:00 arrives late: skipped; "
    "100 at 17:00: +60: P = 100, SEC = 0.8 but not rated (no target comparison). A message without power or part_count does nothing. Shift #2 "
    "(18–06): 20 kW hourly, E = 12 × 20 = 240 kWh, coverage 100 %; p-1 220 at 05:00: P = 120; SEC = 2.0 > 1.0: sec_above_target on p-1 at the "
    "06:00 reading that closes it. A report with a text `at`: 400; an unknown path: 404; a manual run and a report at 06:01–06:02 change "
    "nothing (the alarm stays: no rated shift at or below the target yet)."
)
dump("bad-data.json", {
    "description": desc,
    "config": {"shift_starts": ["06:00", "18:00"], "max_gap_s": 3600, "target_sec": 1.0, "consecutive": 1},
    "devices": {"m-1": {"product": "line"}, "m-2": {"product": "line"}, "p-1": {"product": "line"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [{"op": "raise", "device": "p-1", "type": "sec_above_target",
                    "details": {"period": "shift", "consecutive": 1, "target": 1.0, "periods": [{"label": "2026-05-20 #2", "sec": 2.0, "e_kwh": 240, "p": 120}]}}],
        "replies": [{"status": 400, "body": {"error": "at must be a time in ms"}}, {"status": 404},
                    {"status": 200, "body": {"above_target_alarm": True, "run": 1, "shifts": [
                        {"label": "2026-05-20 #1", "e_kwh": 80, "p": 100, "sec": 0.8, "coverage": 8 / 12, "rated": False},
                        {"label": "2026-05-20 #2", "e_kwh": 240, "p": 120, "sec": 2.0, "coverage": 1, "rated": True, "above": True}]}}],
        "kv": {"devices": {"energy": ["m-1"], "production": ["p-1"]}, "e:m-1": {"skipped": 2, "gaps": 1}, "c:p-1": {"skipped": 1, "cum": 220}},
        "logs": ["m-2: ignored a power reading", "m-2: ignored a part_count reading", "m-1: ignored a power reading that is not a number ≥ 0",
                 "m-1: no power for 300 min (more than max_gap_s)", "p-1: part_count went from 100 to 40: counter reset",
                 "p-1: skipped a part_count reading older than the last one", "(not rated)", "manual run"],
    },
    "rel": 1e-9,
})
