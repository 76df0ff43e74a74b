#!/usr/bin/env python3
"""Writes the fixtures of apps/kanban-sizing. Every expected number is worked by hand in the
fixture's description with Toyota's formula N = D·L·(1 + α)/C; this script lays out the
events and checks the arithmetic with asserts. Run from the app folder:
    python3 tools/make_fixtures.py
"""
import datetime
import json
import math
import os

D7 = 20580  # the day number of 2026-05-07
HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(APP))


def local(day, h, m=0):
    """ms of 2026-05-<day> h:m at UTC+8 (the default utc_offset_h); in the past of the test clock, as ingest requires."""
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


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def tel(dev, product, ts, **vals):
    return {"kind": "telemetry", "device": dev, "product": product, "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


# ---- 1. Russell & Taylor's bottles, and a constant withdrawal cycle ----------------------------
n_bottle = 150 * 0.5 * 1.1 / 25
assert abs(n_bottle - 3.3) < 1e-12 and math.ceil(n_bottle) == 4
n_bracket = 480 * (12 / 16) * 1.1 / 40
assert abs(n_bracket - 9.9) < 1e-12 and math.ceil(n_bracket) == 10
ev = [
    http("parts", {"parts": [
        {"part": "bottle", "demand_per_hour": 150, "lead_time_h": 0.5, "alpha": 0.1, "container": 25, "cards": 3},
        {"part": "bracket-S", "demand_per_day": 480, "lead_time_h": 4, "order_interval_h": 8, "container": 40, "cards": 10}]}),
    http("cards", {"part": "bottle", "cards": 4}),
    http("list", {}),
]
bottle = {"part": "bottle", "status": "too_few", "demand_from": "planned", "demand_used": 2400, "lead_days": 0.5 / 16, "alpha_used": 0.1,
          "n_exact": 3.3, "n": 4, "cards": 3, "shortfall": 1, "max_inventory": 75, "coverage_h": 0.5}
bracket = {"part": "bracket-S", "status": "ok", "demand_from": "planned", "demand_used": 480, "lead_days": 0.75, "alpha_used": 0.1,
           "n_exact": 9.9, "n": 10, "cards": 10, "shortfall": 0, "max_inventory": 400, "coverage_h": 400 / 30}
bottle4 = dict(bottle, status="ok", cards=4, shortfall=0, max_inventory=100, coverage_h=100 / 150)
desc = (
    "Russell & Taylor, Operations and Supply Chain Management (Wiley), chapter on lean systems, 'Determining the number of kanbans' example: "
    "d = 150 bottles per hour, L = 30 min = 0.5 h, safety stock S = 10 % of the demand during the lead time, C = 25 bottles a container: "
    "N = (dL + S)/C = (150 × 0.5 + 7.5)/25 = 3.3, rounded up to 4 (or down to 3 to force improvement). That is Toyota's N = D·L·(1 + α)/C with "
    "α = 0.1: posted as demand_per_hour 150 (× 16 working hours = 2400 a day), lead_time_h 0.5 (0.5/16 = 0.03125 day): 2400 × 0.03125 × 1.1/25 = "
    "3.3 → 4 cards (rounding up, the default). With 3 cards in circulation: too few (shortfall 1), inventory ceiling 3 × 25 = 75 bottles = "
    "0.5 h of demand; kanban_too_few_cards on the configured alarm_device store-01 (the part has no machine). A constant withdrawal cycle "
    "(Monden: order interval + lead time), worked by hand: bracket-S, planned 480 a day, supplier lead time 4 h, deliveries every 8 h, α 0.1 "
    "(the default), C = 40: L = 12 h = 0.75 working day, N = 480 × 0.75 × 1.1/40 = 9.9 → 10 = the 10 cards in circulation: ok, ceiling 400 = "
    "13.33 h of demand (30 an hour). Raising the bottles' cards to 4 clears the alarm; the list shows both."
)
dump("russell-taylor-bottles.json", {
    "description": desc,
    "config": {"alarm_device": "store-01"},
    "devices": {"store-01": {"product": "store"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "store-01", "type": "kanban_too_few_cards", "severity": "major",
             "details": {"count": 1, "parts": [{"part": "bottle", "recommended": 4, "in_circulation": 3, "n_exact": 3.3, "shortfall": 1}]}},
            {"op": "clear", "device": "store-01", "type": "kanban_too_few_cards"},
        ],
        "replies": [
            {"status": 200, "body": {"accepted": 2, "refused": [], "parts": [bottle, bracket]}},
            {"status": 200, "body": bottle4},
            {"status": 200, "body": {"parts": [bottle4, bracket]}},
        ],
        "kv": {"p:bottle": bottle4, "p:bracket-S": bracket, "alarm:store-01": None},
        "logs": ["bottle: D = 2400/day (planned), L = 0.5 h = 0.0313 day, α = 0.1, C = 25: N = 3.3 → 4 card(s); in circulation 3 (too_few)"],
    },
    "rel": 1e-9,
})


# ---- 2. The demo CNC: demand learnt from part_count ------------------------------------------
products = json.load(open(os.path.join(ROOT, "crates/ironloom/demo/products.json"), encoding="utf-8"))
cnc = next(p for p in products if p["product_key"] == "demo-cnc")["thing_model"]
D = (180 + 200 + 220) / 3
assert D == 200
n_blank = D * (4 / 16) * 1.1 / 20
n_insert = D * 0.1 * (48 / 16) * 1.1 / 10
assert abs(n_blank - 2.75) < 1e-12 and abs(n_insert - 6.6) < 1e-12
ev = [
    http("parts", {"parts": [
        {"part": "blank-45", "machine": "cnc-01", "usage_per_unit": 1, "container": 20, "lead_time_h": 4, "cards": 3},
        {"part": "insert-CT", "machine": "cnc-01", "usage_per_unit": 0.1, "container": 10, "lead_time_h": 48, "cards": 2}]}),
    tel("cnc-01", "demo-cnc", local(7, 8), part_count=1000, mode=1, spindle_speed=8000),
    tel("cnc-01", "demo-cnc", local(7, 20), part_count=1180, mode=0, spindle_speed=0),
    tel("cnc-01", "demo-cnc", local(8, 8), part_count=1180, mode=1),
    tel("cnc-01", "demo-cnc", local(8, 20), part_count=1380, mode=0),
    tel("cnc-01", "demo-cnc", local(9, 8), part_count=1380, mode=1),
    tel("cnc-01", "demo-cnc", local(9, 14), part_count=1500),
    tel("cnc-01", "demo-cnc", local(9, 20), part_count=1600, mode=0),
    {"kind": "schedule", "cron": "*/10 * * * *", "at": local(10, 0, 10)},
    http("cards", {"part": "insert-CT", "cards": 7}),
]
blank = {"part": "blank-45", "status": "ok", "demand_from": "counter", "demand_used": 200, "demand_days_used": 3, "lead_days": 0.25,
         "n_exact": 2.75, "n": 3, "cards": 3, "max_inventory": 60, "coverage_h": 60 / 12.5}
insert = {"part": "insert-CT", "status": "too_few", "demand_from": "counter", "demand_used": 20, "demand_days_used": 3, "lead_days": 3,
          "n_exact": 6.6, "n": 7, "cards": 2, "shortfall": 5}
desc = (
    "The demo's machining centre cnc-01 (demo-cnc thing model, default configuration: part_count cumulative, 16 working hours a day, α 0.1, "
    "demand over the last 10 working days once 3 are known, UTC+8 days) consumes two parts posted without a planned demand: blank-45, one per "
    "part made, 20 a container, replenished in 4 h, 3 cards; insert-CT, one per 10 parts (usage 0.1), 10 a box, 48 h from the supplier, 2 "
    "cards. Both start without demand (no_demand). part_count: 05-07 08:00 1000 (the first reading sets the counter), 20:00 1180; 05-08 "
    "08:00 1180 closes 05-07 with 180 parts; 20:00 1380; 05-09 08:00 closes 05-08 with 200; 14:00 1500, 20:00 1600; the schedule at 05-10 "
    "00:10 closes 05-09 with 220. Three working days: D = (180 + 200 + 220)/3 = 200 parts a day. blank-45: N = 200 × (4/16) × 1.1/20 = 2.75 "
    "→ 3 = cards: ok (ceiling 60 blanks = 4.8 h at 12.5 an hour). insert-CT: D = 200 × 0.1 = 20 a day, N = 20 × (48/16) × 1.1/10 = 6.6 → 7, "
    "2 in circulation: too few by 5, kanban_too_few_cards on cnc-01. Posting 7 cards clears it."
)
dump("demo-cnc.json", {
    "description": desc,
    "thing_models": {"demo-cnc": cnc},
    "devices": {"cnc-01": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "cnc-01", "type": "kanban_too_few_cards",
             "details": {"count": 1, "parts": [{"part": "insert-CT", "recommended": 7, "in_circulation": 2, "n_exact": 6.6, "shortfall": 5}]}},
            {"op": "clear", "device": "cnc-01", "type": "kanban_too_few_cards"},
        ],
        "replies": [
            {"status": 200, "body": {"accepted": 2, "refused": [], "parts": [{"part": "blank-45", "status": "no_demand", "n": None},
                                                                             {"part": "insert-CT", "status": "no_demand", "n": None}]}},
            {"status": 200, "body": dict(insert, status="ok", cards=7, shortfall=0)},
        ],
        "kv": {"p:blank-45": blank, "p:insert-CT": dict(insert, status="ok", cards=7, shortfall=0),
               "m:cnc-01": {"cum": 1600, "today": 0, "days": [[D7, 180], [D7 + 1, 200], [D7 + 2, 220]]}},
        "logs": ["cnc-01: first part_count reading 1000", "cnc-01: day 2026-05-07 closed with 180 part(s)", "cnc-01: day 2026-05-09 closed with 220 part(s)",
                 "insert-CT: D = 20/day (counter, 3 day(s)), L = 48 h = 3 day, α = 0.1, C = 10: N = 6.6 → 7 card(s); in circulation 2 (too_few)"],
    },
    "rel": 1e-9,
})
assert (local(7, 0) + 8 * 3600000) // 86400000 == D7


# ---- 3. Posted consumption, refusals and bad data ---------------------------------------------
ev = [
    http("parts", {"parts": [
        {"part": "glove", "container": 50, "lead_time_h": 24, "alpha": 0, "cards": 3},
        {"part": "x1", "container": 0, "lead_time_h": 4},
        {"part": "x2", "container": 10},
        {"part": "x3", "container": 10, "lead_time_h": 4, "alpha": 6},
        {"part": "x4", "container": 10, "lead_time_h": 4, "cards": 2.5},
        {"part": "x5", "container": 10, "lead_time_h": 4, "usage_per_unit": 0},
        {"part": "x6", "container": 10, "lead_time_h": 4, "demand_source": "magic"},
        {"part": "x7", "container": 10, "lead_time_h": 4, "machine": 5},
        {"container": 10, "lead_time_h": 4},
        "x9"]}),
    http("parts", ["not", "an", "object"]),
    http("nowhere", {}),
    http("cards", {"part": "nothing", "cards": 2}),
    http("cards", {"part": "glove", "cards": -1}),
    http("consumption", {"records": [
        {"part": "glove", "quantity": 60, "ts": local(7, 9)},
        {"part": "glove", "quantity": 40, "ts": local(7, 15)},
        {"part": "nothing", "quantity": 5},
        {"part": "glove", "quantity": "ten"},
        {"part": "glove", "quantity": 5, "ts": "today"},
        7]}),
    http("consumption", {"part": "glove", "quantity": 140, "ts": local(8, 10)}),
    tel("m-2", "line", local(8, 11), part_count="n/a"),
    tel("m-1", "line", local(8, 12), part_count=100),
    tel("m-1", "line", local(8, 13), part_count=90),
    tel("m-1", "line", local(8, 12, 30), part_count=95),
    tel("m-1", "line", local(8, 14), temperature=21.5),
    {"kind": "schedule", "cron": "*/10 * * * *", "at": local(9, 0, 10)},
    http("delete", {"part": "glove"}),
    {"kind": "manual", "at": local(9, 0, 20)},
    http("list", {}),
]
n_glove = 140 * (24 / 16) * 1.0 / 50
assert abs(n_glove - 4.2) < 1e-12
desc = (
    "Parts without a machine learn their demand from consumption posted to `consumption`; refusals and bad data, by hand (products without "
    "a thing model; the text counter only on m-2). Configuration: min_days 2, demand_basis max (the highest working day of the window), "
    "alarm_device store-01. Posted parts: glove (50 a box, 24 h lead time, α 0, 3 cards) is taken; refused: container 0, no lead time, "
    "α 6 > 5, 2.5 cards, usage 0, an unknown demand source, a numeric machine, no part name, a string (9 refused, status 200). A body that is "
    "no object: 400; an unknown path: 404; cards for an unknown part: 404; −1 cards: 400. Consumption on 05-07: 60 + 40 = 100 taken; refused: "
    "an unknown part, a text quantity, a text ts, a number (status 200). 140 on 05-08 closes 05-07 (100; one working day, min_days 2: still no "
    "demand). m-2's text counter is ignored; m-1: 100 sets the counter, 90 is a reset (90 counted), 95 at an earlier time is skipped, a message "
    "without part_count does nothing. The 05-09 00:10 schedule closes 05-08 for glove (140) and m-1 (90). glove: D = max(100, 140) = 140 a "
    "day, L = 24/16 = 1.5 working days, N = 140 × 1.5 × 1/50 = 4.2 → 5 > 3 cards: kanban_too_few_cards on store-01 (shortfall 2). Deleting "
    "glove clears it; the manual run recomputes nothing else; the list is empty."
)
dump("consumption-and-bad-data.json", {
    "description": desc,
    "config": {"min_days": 2, "demand_basis": "max", "alarm_device": "store-01"},
    "devices": {"store-01": {"product": "store"}, "m-1": {"product": "line"}, "m-2": {"product": "line"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "store-01", "type": "kanban_too_few_cards",
             "details": {"count": 1, "parts": [{"part": "glove", "recommended": 5, "in_circulation": 3, "n_exact": 4.2, "shortfall": 2}]}},
            {"op": "clear", "device": "store-01", "type": "kanban_too_few_cards"},
        ],
        "replies": [
            {"status": 200, "body": {"accepted": 1, "parts": [{"part": "glove", "status": "no_demand"}], "refused": [
                {"index": 1, "reason": "container must be a number > 0 (parts per card)"}, {"index": 2, "reason": "lead_time_h must be a number > 0"},
                {"index": 3, "reason": "alpha must be at most 5"}, {"index": 4, "reason": "cards must be a whole number ≥ 0"},
                {"index": 5, "reason": "usage_per_unit must be a number > 0"}, {"index": 6, "reason": "demand_source must be auto, counter, consumption or planned"},
                {"index": 7, "reason": "machine must be text"}, {"index": 8, "reason": "part is required (1–64 characters)"}, {"index": 9, "reason": "not an object"}]}},
            {"status": 400}, {"status": 404}, {"status": 404, "body": {"error": "no part nothing"}},
            {"status": 400, "body": {"error": "cards must be a whole number ≥ 0"}},
            {"status": 200, "body": {"accepted": 2, "refused": [{"index": 2, "reason": "no part nothing"}, {"index": 3, "reason": "quantity must be a number ≥ 0"},
                                                                 {"index": 4, "reason": "ts must be a time in ms"}, {"index": 5, "reason": "not an object"}]}},
            {"status": 200, "body": {"accepted": 1, "refused": []}},
            {"status": 200, "body": {"deleted": "glove"}},
            {"status": 200, "body": {"parts": []}},
        ],
        "kv": {"p:glove": None, "index": [], "alarm:store-01": None,
               "m:m-1": {"cum": 90, "skipped": 1, "days": [[D7 + 1, 90]], "today": 0},
               "m:m-2": {"skipped": 1}},
        "logs": ["m-2: ignored 1 counter reading(s)", "m-1: part_count went from 100 to 90: counter reset", "m-1: skipped 1 counter reading(s) not newer",
                 "glove: no demand yet (0 of 2 working days learnt", "glove: D = 140/day (consumption, 2 day(s)), L = 24 h = 1.5 day, α = 0, C = 50: N = 4.2 → 5 card(s); in circulation 3 (too_few)",
                 "parts: refused 9", "consumption: refused 4", "manual run"],
    },
    "rel": 1e-9,
})
