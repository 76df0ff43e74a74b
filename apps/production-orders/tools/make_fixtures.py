#!/usr/bin/env python3
"""Writes the fixtures of apps/production-orders. Every expected number is worked by hand in
the fixture's description (ISO 22400-2:2014 element and KPI formulas); this script only
lays out the events and checks the arithmetic with asserts. Run from the app folder:
    python3 tools/make_fixtures.py
"""
import datetime
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(APP))
MIN = 60000


def local(h, m, day=7):
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


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


# ---- 1. One order worked by hand ----------------------------------------------------------
ev = [tel("press-01", "press", local(7, 55), part_count=1000, mode=0),
      http("orders", {"order_no": "A-100", "product": "bracket", "quantity": 100, "machine": "press-01",
                      "planned_start": local(8, 0), "planned_end": local(10, 0), "planned_cycle_s": 55}),
      http("start", {"order_no": "A-100", "ts": local(8, 10)}),
      tel("press-01", "press", local(8, 10), part_count=1000, mode=1)]
counts = {20: 1010, 30: 1020, 40: 1030, 50: 1030, 60: 1040, 70: 1050, 80: 1060, 90: 1070}
for mins, cnt in counts.items():
    ev.append(tel("press-01", "press", local(8, 0) + mins * MIN, part_count=cnt, mode=0 if mins == 40 else 1))
ev.append(http("report", {"order_no": "A-100", "scrap": 3, "rework": 2, "ts": local(9, 30)}))
ev.append(tel("press-01", "press", local(9, 40), part_count=1080, mode=1))
ev.append(tel("press-01", "press", local(9, 50), part_count=1090, mode=1))
ev.append({"kind": "schedule", "cron": "* * * * *", "at": local(9, 55)})
ev.append(tel("press-01", "press", local(10, 0), part_count=1100, mode=1))
ev.append({"kind": "schedule", "cron": "* * * * *", "at": local(10, 1)})
ev.append(tel("press-01", "press", local(10, 5), part_count=1105, mode=1))
ev.append(http("board", {}))
aoet = 115 * MIN
apt = 105 * MIN
assert aoet - apt == 10 * MIN
pq, sq, rq = 105, 3, 2
gq = pq - sq - rq
kpi = {"aoet_ms": aoet, "apt_ms": apt, "gap_ms": 0, "pq": pq, "gq": gq, "sq": sq, "rq": rq,
       "throughput_ph": pq / (aoet / 3600000), "production_process_ratio": apt / aoet, "effectiveness": 55 * 1000 * pq / apt,
       "quality_ratio": gq / pq, "scrap_ratio": sq / pq, "completion": gq / 100, "lateness_ms": 5 * MIN}
assert abs(kpi["throughput_ph"] - 54.7826087) < 1e-6 and abs(kpi["effectiveness"] - 0.9166667) < 1e-6
proj_955 = local(9, 55) + 15 * (105 * MIN / 85)
proj_1000 = local(10, 0) + 5 * (110 * MIN / 95)
desc = (
    "One order worked by hand with the ISO 22400-2:2014 elements and KPIs. Machine press-01 (no thing model) reports part_count (cumulative) "
    "and mode (1 = producing) every 10 min; max_gap_s = 900 so each state holds until the next reading. Order A-100: 100 brackets, planned "
    "08:00–10:00 (POET 120 min), planned cycle PRU = 55 s. The 07:55 reading (1000, idle) sets the counter. Started at 08:10 (start delay 10 min, "
    "within the 15 min grace). Readings: 08:10 mode 1; 08:20 1010; 08:30 1020; 08:40 1030 and mode 0 (waiting for material); 08:50 1030 and "
    "mode 1; 09:00 1040 … 09:30 1070; scrap 3 and rework 2 reported at 09:30; 09:40 1080; 09:50 1090; schedule 09:55; 10:00 1100; schedule 10:01; "
    "10:05 1105. APT counts every interval whose held state is 1: 08:10–08:40 and 08:50–10:05 = 30 + 75 = 105 min; the 10 min idle is not APT. "
    "Projection (remaining good quantity at AOET/GQ per good part, once GQ ≥ 10): at 08:40 AOET 30 min, GQ 30: 08:40 + 70 × 1 min = 09:50, on "
    "time; at 08:50, after the idle 10 min, AOET 40 min, GQ 30: 08:50 + 70 × 40/30 min = 10:23.3 > 10:00: order_at_risk raised (warning); it "
    "stays at risk (e.g. 09:55 schedule: AOET 105 min, GQ = 90 − 5 = 85, 09:55 + 15 × 105/85 min = 10:13.5; 10:00: GQ 95, 10:00 + 5 × 110/95 "
    "min = 10:05.8), without a new raise. At 10:01 the "
    "planned end has passed: order_late raised (major, reason overdue) and order_at_risk cleared. At 10:05 PQ = 105, GQ = 105 − 3 − 2 = 100 = "
    "POQ: completed automatically, order_late cleared. Final KPIs: AOET = 10:05 − 08:10 = 115 min; APT = 105 min; throughput rate PQ/AOET = "
    "105/(115/60 h) = 54.783 /h; production process ratio APT/AOET = 105/115 = 0.913043; effectiveness PRU × PQ/APT = 55 s × 105/6300 s = "
    "0.916667; quality ratio GQ/PQ = 100/105 = 0.952381; scrap ratio SQ/PQ = 3/105 = 0.028571; completion GQ/POQ = 1; lateness +5 min."
)
summary = dict(kpi)
summary.update({"order_no": "A-100", "status": "completed", "machine": "press-01", "start": local(8, 10), "end": local(10, 5), "late": "", "at_risk": False})
dump("iso22400-order-by-hand.json", {
    "description": desc,
    "config": {"max_gap_s": 900},
    "devices": {"press-01": {"product": "press"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "press-01", "type": "order_at_risk", "severity": "warning",
             "details": {"count": 1, "orders": [{"order_no": "A-100", "good": 30, "quantity": 100, "projected_end": local(8, 50) + 70 * 40 * MIN / 30}]}},
            {"op": "raise", "device": "press-01", "type": "order_late", "severity": "major",
             "details": {"count": 1, "orders": [{"order_no": "A-100", "reason": "overdue", "planned_end": local(10, 0)}]}},
            {"op": "clear", "device": "press-01", "type": "order_at_risk"},
            {"op": "clear", "device": "press-01", "type": "order_late"},
        ],
        "replies": [
            {"status": 200, "body": {"accepted": 1, "refused": [], "orders": ["A-100"]}},
            {"status": 200, "body": {"order_no": "A-100", "status": "running", "start": local(8, 10), "pq": 0}},
            {"status": 200, "body": {"order_no": "A-100", "status": "running", "pq": 70, "gq": 65, "sq": 3, "rq": 2, "apt_ms": 70 * MIN}},
            {"status": 200, "body": {"orders": [summary]}},
        ],
        "kv": {"o:A-100": summary, "m:press-01": {"active": "", "cum": 1105, "unassigned": 0, "late": [], "risk": []},
               "index": {"open": [], "done": ["A-100"]}},
        "logs": ["press-01: first part_count reading 1000", "A-100 started on press-01 (10 min after its planned start)",
                 "A-100: good quantity 100 reached the order quantity 100: completed", "A-100 on press-01: late (overdue)"],
    },
    "rel": 1e-6,
})


# ---- 2. The demo CNCs with the default configuration ------------------------------------------
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
cnc = next(p for p in products if p["product_key"] == "demo-cnc")["thing_model"]
ev = [tel("cnc-01", "demo-cnc", local(12, 58), part_count=500, mode=0, spindle_speed=0, program="O1001"),
      tel("cnc-02", "demo-cnc", local(12, 58), part_count=80, mode=0),
      http("orders", {"orders": [
          {"order_no": "W-2001", "product": "flange", "quantity": 30, "machine": "cnc-01", "planned_start": local(13, 0), "planned_end": local(14, 0), "planned_cycle_s": 90},
          {"order_no": "W-2002", "product": "shaft", "quantity": 40, "machine": "cnc-02", "planned_start": local(13, 0), "planned_end": local(15, 0), "planned_cycle_s": 120}]}),
      http("start", {"order_no": "W-2001", "ts": local(13, 2)}),
      tel("cnc-01", "demo-cnc", local(13, 2), part_count=500, mode=1, spindle_speed=8000),
      tel("cnc-01", "demo-cnc", local(13, 4), part_count=501, mode=1, spindle_speed=8000),
      http("start", {"order_no": "W-2002", "ts": local(13, 5)}),
      tel("cnc-02", "demo-cnc", local(13, 5), part_count=80, mode=1),
      tel("cnc-01", "demo-cnc", local(13, 6), part_count=502, mode=2, spindle_speed=0),
      tel("cnc-01", "demo-cnc", local(13, 8), part_count=502, mode=1, spindle_speed=8000),
      tel("cnc-01", "demo-cnc", local(13, 10), part_count=504, mode=1, spindle_speed=8000),
      tel("cnc-02", "demo-cnc", local(13, 10), part_count=83, mode=1),
      http("report", {"order_no": "W-2001", "scrap": 1, "ts": local(13, 10)}),
      {"kind": "schedule", "cron": "* * * * *", "at": local(13, 12)},
      http("board", {})]
w1 = {"order_no": "W-2001", "status": "running", "machine": "cnc-01", "aoet_ms": 10 * MIN, "apt_ms": 8 * MIN, "pq": 4, "sq": 1, "gq": 3,
      "throughput_ph": 24, "production_process_ratio": 0.8, "effectiveness": 0.75, "quality_ratio": 0.75, "scrap_ratio": 0.25,
      "completion": 0.1, "projected_end": local(13, 12) + 27 * 200000, "at_risk": True, "late": ""}
w2 = {"order_no": "W-2002", "status": "running", "machine": "cnc-02", "aoet_ms": 7 * MIN, "apt_ms": 7 * MIN, "pq": 3, "gq": 3,
      "throughput_ph": 3 / (7 / 60), "production_process_ratio": 1, "effectiveness": 120 * 3 / 420, "quality_ratio": 1,
      "completion": 0.075, "projected_end": local(13, 12) + 37 * 120000, "at_risk": False, "late": ""}
desc = (
    "The demo's two machining centres (demo-cnc thing model) with the default configuration: part_count cumulative, mode 1 (auto) is "
    "production, 2 (the simulator's tool change) and 0 (idle) are not, states held at most 300 s. Orders posted at 13:00 (UTC+8): W-2001, 30 "
    "flanges on cnc-01, 13:00–14:00, 90 s; W-2002, 40 shafts on cnc-02, 13:00–15:00, 120 s. The 12:58 readings set the counters (500, 80). "
    "cnc-01: started 13:02; 13:04 501 (mode 1), 13:06 502 (mode 2), 13:08 502 (mode 1), 13:10 504; the 2 min after 13:06 in tool change are "
    "not APT. At 13:10 W-2001 has AOET 8 min, APT 6 min, GQ 4 (≥ 3 = 10 % of 30): projected 13:10 + 26 × 8/4 min = 14:02 > 14:00, "
    "order_at_risk (warning) on cnc-01. Scrap 1 reported at 13:10. cnc-02: started 13:05; 13:05 80, 13:10 83 (mode 1 throughout). Schedule "
    "13:12 holds both machines' mode 1 for 2 more minutes. W-2001 at 13:12: AOET 10 min, APT 8 min, PQ 4, SQ 1, GQ 3; throughput 4/(10/60 h) = "
    "24 /h; production process ratio 8/10 = 0.8; effectiveness 90 s × 4/480 s = 0.75; quality ratio 3/4; scrap ratio 1/4; completion 3/30 = 0.1; "
    "projected 13:12 + 27 × 200 s = 14:42 (still at risk, no new raise). W-2002: AOET 7 min, APT 7 min, PQ = GQ = 3 (< 4 = 10 % of 40, so the "
    "projection uses the planned cycle): throughput 3/(7/60 h) = 25.714 /h, ratio 1, effectiveness 120 × 3/420 = 0.857143, completion 0.075, "
    "projected 13:12 + 37 × 120 s = 14:26 < 15:00: not at risk. The board lists both running orders."
)
dump("demo-cnc.json", {
    "description": desc,
    "thing_models": {"demo-cnc": cnc},
    "devices": {"cnc-01": {"product": "demo-cnc"}, "cnc-02": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [{"op": "raise", "device": "cnc-01", "type": "order_at_risk", "severity": "warning",
                    "details": {"count": 1, "orders": [{"order_no": "W-2001", "good": 4, "projected_end": local(14, 2)}]}}],
        "replies": [
            {"status": 200, "body": {"accepted": 2, "refused": [], "orders": ["W-2001", "W-2002"]}},
            {"status": 200, "body": {"order_no": "W-2001", "status": "running"}},
            {"status": 200, "body": {"order_no": "W-2002", "status": "running"}},
            {"status": 200, "body": {"order_no": "W-2001", "sq": 1, "gq": 3}},
            {"status": 200, "body": {"orders": [w1, w2]}},
        ],
        "kv": {"o:W-2001": w1, "o:W-2002": w2, "m:cnc-01": {"active": "W-2001", "cum": 504, "state": 1, "risk": ["W-2001"]},
               "m:cnc-02": {"active": "W-2002", "cum": 83, "risk": []}},
    },
    "rel": 1e-6,
})


# ---- 3. Life cycle, refusals and bad data (by hand) ---------------------------------------------
T = lambda h, m: local(h, m)
ev = [
    http("orders", {"orders": [
        {"order_no": "B-1", "product": "cover", "quantity": 10, "machine": "m-1", "planned_start": T(9, 0), "planned_end": T(10, 0)},
        {"order_no": "B-2", "product": "cover", "quantity": 5, "machine": "m-1", "planned_start": T(9, 30), "planned_end": T(11, 0), "planned_cycle_s": 60},
        {"product": "cover", "quantity": 10, "machine": "m-1", "planned_start": T(9, 0), "planned_end": T(10, 0)},
        {"order_no": "B-3", "quantity": 0, "machine": "m-1", "planned_start": T(9, 0), "planned_end": T(10, 0)},
        {"order_no": "B-4", "quantity": 5, "machine": "m-1", "planned_start": T(10, 0), "planned_end": T(9, 0)},
        {"order_no": "B-5", "quantity": 5, "planned_start": T(9, 0), "planned_end": T(10, 0)},
        {"order_no": "B-6", "quantity": 5, "machine": "m-1", "planned_start": T(9, 0), "planned_end": T(10, 0), "planned_cycle_s": "fast"},
        "B-7",
        {"order_no": "B-8", "product": 5, "quantity": 5, "machine": "m-1", "planned_start": T(9, 0), "planned_end": T(10, 0)}]}),
    http("orders", [1, 2]),
    http("elsewhere", {}),
    http("start", {"order_no": "Z-9", "ts": T(9, 0)}),
    http("report", {"order_no": "B-1", "scrap": 1, "ts": T(9, 0)}),
    tel("m-2", "line", T(9, 0), part_count="n/a", mode="auto"),
    {"kind": "schedule", "cron": "* * * * *", "at": T(9, 16)},
    tel("m-1", "line", T(9, 20), part_count=200, mode=1),
    http("start", {"order_no": "B-1", "ts": T(9, 20)}),
    http("start", {"order_no": "B-2", "ts": T(9, 21)}),
    tel("m-1", "line", T(9, 25), part_count=203, mode=1),
    tel("m-1", "line", T(9, 22), part_count=250),
    tel("m-1", "line", T(9, 40), part_count=5, mode=1),
    http("report", {"order_no": "B-1", "scrap": "two", "ts": T(9, 40)}),
    http("report", {"order_no": "B-1", "ts": T(9, 40)}),
    http("report", {"order_no": "B-1", "produced": 2, "ts": T(9, 41)}),
    http("complete", {"order_no": "B-1", "ts": T(9, 42)}),
    {"kind": "schedule", "cron": "* * * * *", "at": T(9, 46)},
    http("start", {"order_no": "B-2", "ts": "now"}),
    http("start", {"order_no": "B-2", "ts": T(9, 50)}),
    http("cancel", {"order_no": "B-2", "ts": T(10, 0)}),
    http("orders", {"order_no": "B-2", "product": "cover", "quantity": 6, "machine": "m-1", "planned_start": T(9, 30), "planned_end": T(11, 0)}),
    {"kind": "manual"},
    http("board", {}),
]
b1 = {"order_no": "B-1", "status": "completed", "aoet_ms": 21 * MIN, "apt_ms": 11 * MIN, "gap_ms": 10 * MIN, "pq": 10, "gq": 10,
      "throughput_ph": 10 / (21 / 60), "production_process_ratio": 11 / 21, "effectiveness": None, "quality_ratio": 1, "completion": 1,
      "lateness_ms": -19 * MIN}
desc = (
    "The order life cycle, refusals and bad data, by hand (products without a thing model; text readings only on m-2, whose series would "
    "otherwise be typed by the first value; keep_done = 1). Posted: B-1 (10 covers on m-1, 09:00–10:00, no planned cycle) and B-2 (5 on m-1, "
    "09:30–11:00, 60 s) are taken; refused: no order_no, quantity 0, end before start, no machine, a text planned cycle, a string, a numeric "
    "product (7 refused, status 200). A body that is no object: 400; an unknown path: 404; starting an unknown order: 404; a report on a "
    "planned order: 409. m-2's text part_count and mode are ignored with a warning (2 skipped). 09:16 schedule: B-1 is not started 15 min "
    "after its planned start: order_late (not_started) on m-1. 09:20: m-1's first counter reading (200, mode 1) sets the counter; B-1 starts "
    "at 09:20 (order_late cleared); starting B-2 at 09:21 is refused (409: m-1 is running B-1). 09:25: 203 → PQ 3, APT 5 min. A reading at "
    "09:22 arrives late: skipped. 09:40: 5 (< 203: a counter reset, 5 parts since) → PQ 8; the mode 1 of 09:25 holds only to 09:30 "
    "(max_gap_s 300): APT 10 min, 10 min data gap. Reports with a text scrap or no quantity: 400. 09:41: 2 produced by hand are reported: "
    "APT 11 min, PQ = GQ = 10 = POQ: B-1 completes at 09:41 (AOET 21 min, throughput 10/(21/60 h) = 28.571 /h, production process ratio "
    "11/21 = 0.5238, effectiveness none without PRU, quality ratio 1, lateness −19 min: early). Completing it again: 409. 09:46 schedule: B-2 "
    "not started by 09:45: order_late again; a start with a text ts: 400; started at 09:50 (cleared), cancelled at 10:00: with keep_done = 1 "
    "the finished B-1 leaves the board and its state. Reposting the cancelled B-2: refused (400). The manual run re-evaluates nothing open; "
    "the board lists B-2 (cancelled)."
)
dump("lifecycle-and-bad-data.json", {
    "description": desc,
    "config": {"keep_done": 1},
    "devices": {"m-1": {"product": "line"}, "m-2": {"product": "line"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "m-1", "type": "order_late", "details": {"count": 1, "orders": [{"order_no": "B-1", "reason": "not_started"}]}},
            {"op": "clear", "device": "m-1", "type": "order_late"},
            {"op": "raise", "device": "m-1", "type": "order_late", "details": {"count": 1, "orders": [{"order_no": "B-2", "reason": "not_started"}]}},
            {"op": "clear", "device": "m-1", "type": "order_late"},
        ],
        "replies": [
            {"status": 200, "body": {"accepted": 2, "orders": ["B-1", "B-2"], "refused": [
                {"index": 2, "reason": "order_no is required (1–64 characters)"}, {"index": 3, "reason": "quantity must be a number > 0"},
                {"index": 4, "reason": "planned_end must be a time in ms after planned_start"}, {"index": 5, "reason": "machine is required"},
                {"index": 6, "reason": "planned_cycle_s must be a number ≥ 0"}, {"index": 7, "reason": "not an object"},
                {"index": 8, "reason": "product must be text"}]}},
            {"status": 400}, {"status": 404}, {"status": 404, "body": {"error": "no order Z-9"}},
            {"status": 409},
            {"status": 200, "body": {"order_no": "B-1", "status": "running", "start": T(9, 20)}},
            {"status": 409, "body": {"error": "m-1 is running order B-1; complete or cancel it first"}},
            {"status": 400, "body": {"error": "scrap must be a number ≥ 0"}},
            {"status": 400, "body": {"error": "scrap, rework or produced is required"}},
            {"status": 200, "body": b1},
            {"status": 409},
            {"status": 400, "body": {"error": "ts must be a time in ms"}},
            {"status": 200, "body": {"order_no": "B-2", "status": "running", "start": T(9, 50)}},
            {"status": 200, "body": {"order_no": "B-2", "status": "cancelled", "end": T(10, 0)}},
            {"status": 400, "body": {"accepted": 0, "refused": [{"index": 0, "reason": "order is cancelled"}]}},
            {"status": 200, "body": {"orders": [{"order_no": "B-2", "status": "cancelled"}]}},
        ],
        "kv": {
            "o:B-1": None,
            "index": {"open": [], "done": ["B-2"]},
            "m:m-1": {"active": "", "cum": 5, "skipped": 1, "late": [], "unassigned": 0},
            "m:m-2": {"skipped": 2, "cum": None}},
        "logs": ["m-2: ignored 2 reading(s) that are not non-negative numbers", "m-1: skipped 1 reading(s) older than the last one",
                 "m-1: part_count went from 203 to 5: counter reset", "B-1 on m-1: late (not_started)", "orders: refused 7", "manual run"],
    },
    "rel": 1e-6,
})
