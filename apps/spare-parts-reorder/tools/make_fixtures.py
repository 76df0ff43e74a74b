#!/usr/bin/env python3
"""Writes the fixtures of apps/spare-parts-reorder. Every expected value is worked out here in
plain Python from the formulas (the arithmetic is also in each description), never taken from
the app. z values are the standard normal quantiles (z0.90 = 1.2815516, z0.95 = 1.6448536 in any
table); the loss function uses math.erf. Run: python3 apps/spare-parts-reorder/tools/make_fixtures.py"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z, day 20514 since the epoch
DAY = 86400000
H = 3600000
Z90 = 1.2815515655446004
Z95 = 1.6448536269514722


def phi(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def Phi(z):
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def G(z):  # unit normal loss
    return phi(z) - z * (1 - Phi(z))


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def tick(at):
    return {"kind": "schedule", "cron": "* * * * *", "at": at}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def ceil_to(x, pack=1):
    return math.ceil(x / pack - 1e-9) * pack


# --- 1. Textbook figures, worked by hand ---------------------------------------------------
# (a) EOQ with the figures of the bookstore-pencil illustration of Nahmias's EOQ section:
# 60 a week (52 weeks: 3120 a year), 2 cents each, 12 $ an order, 25 % a year.
D_p = 60 / 7 * 364
H_p = 0.25 * 0.02
eoq_p = math.sqrt(2 * D_p * 12 / H_p)
q_p = ceil_to(eoq_p)
cost_p = D_p / q_p * 12 + q_p / 2 * H_p
# (b) Safety stock for a 90 % cycle service level: weekly demand normal, mean 2500, sd 500,
# lead time 2 weeks (14 days), independent days: d = 2500/7, sigma_d = 500/sqrt(7).
d_l = 2500 / 7
sd_l = 500 / math.sqrt(7)
sigma_L = sd_l * math.sqrt(14)          # = 500*sqrt(2) = 707.107
ss_l = Z90 * sigma_L                    # 906.2
s_l = d_l * 14 + ss_l                   # 5906.2
D_l = d_l * 364                         # 130 000 a year
eoq_l = math.sqrt(2 * D_l * 200 / (0.2 * 20))  # sqrt(13 000 000) = 3605.55
q_l = ceil_to(eoq_l)                    # 3606
fill_l = 1 - sigma_L * G(Z90) / q_l
assert 6500 > s_l and 6500 - 700 <= s_l and 6500 - 700 + q_l > s_l
# (c) Fill rate given the policy: weekly demand N(250, 150^2), lead time 2 weeks, reorder point 600,
# Q = 1000 (the Hewlett-Packard printers at Sam's Club set-up of Chopra & Meindl's safety-inventory
# chapter). sigma_L = 150 sqrt(2) = 212.132; ss = 600 - 500 = 100; CSL = Phi(100/212.132) = 0.6813;
# ESC = -ss (1 - Phi(ss/sigma_L)) + sigma_L phi(ss/sigma_L) = 43.86; fill rate = 1 - 43.86/1000.
sig_hp = 150 * math.sqrt(2)
k_hp = 100 / sig_hp
csl_hp = Phi(k_hp)
esc_hp = -100 * (1 - Phi(k_hp)) + sig_hp * phi(k_hp)
assert abs(esc_hp - 43.86) < 0.005 and abs(csl_hp - 0.68) < 0.005
fill_hp = 1 - esc_hp / 1000
eoq_hp = math.sqrt(2 * (250 / 7 * 364) * 10 / (0.2 * 100))   # sqrt(13 000) = 114.0 < 1000
assert 5000 - 4950 <= 60 / 7 * 7  # the pencil's s = d*L = 60
write("textbook-eoq-and-safety-stock.json", {
    "description": "Worked by hand (the figures of three classic textbook illustrations, computed here, not quoted). "
    "(a) EOQ (Harris 1913, Wilson 1934) with the figures of Example 4.1 of Nahmias, Production and Operations Analysis (number 2 pencils at a campus bookstore; the edition was not checked here): "
    "60 pencils a week, 52 weeks (days_per_year 364 with demand_per_period 60 over demand_period_days 7: D = 60/7 x 364 = 3120 a year), unit cost 0.02 $, "
    "order cost S = 12 $, holding rate 25 %/year (H = 0.005 $/unit/year): Q* = sqrt(2 x 3120 x 12 / 0.005) = sqrt(14 976 000) = 3869.88, rounded up to 3870; "
    "annual cost at 3870 = 3120/3870 x 12 + 3870/2 x 0.005 = 9.6744 + 9.675 = 19.349 (= sqrt(2DSH) at Q*). No spread (sd 0) and a 7-day lead time: s = d L = 60. "
    "(b) Safety stock under continuous review (Silver, Pyke & Thomas 2017, ch. 6; the set-up of the safety-inventory chapter of Chopra & Meindl, Supply Chain Management): "
    "weekly demand normal with mean 2500 and sd 500, lead time 2 weeks, cycle service level 0.90 (z = 1.2815516): per day d = 2500/7, sd_d = 500/sqrt(7); "
    "sigma_L = 500/sqrt(7) x sqrt(14) = 500 sqrt(2) = 707.107; SS = 1.2815516 x 707.107 = 906.20; s = 5000 + 906.20 = 5906.20. With unit cost 20, holding 20 %/year (H = 4) "
    "and S = 200: D = 130 000/year, Q* = sqrt(2 x 130 000 x 200/4) = sqrt(13 000 000) = 3605.55 -> 3606; fill rate P2 = 1 - sigma_L G(z)/Q = "
    "1 - 707.107 x 0.0473422/3606 = 0.990717 (G(1.28155) = phi - z(1 - Phi) = 0.175498 - 0.128155). "
    "(c) Fill rate of a given policy (the set-up of the Hewlett-Packard printers at Sam's Club in the same chapter of Chopra & Meindl): weekly demand N(250, 150^2), lead time 2 weeks, "
    "reorder point 600 and Q = 1000 (min_order_qty 1000; the EOQ sqrt(2 x 13 000 x 10/20) = 114.0 is below): sigma_L = 150 sqrt(2) = 212.132, SS = 600 - 500 = 100, so CSL = Phi(100/212.132) = "
    "Phi(0.471405) = 0.68132 (posted as service_level; z = 0.471405 back); ESC = -100 (1 - 0.68132) + 212.132 x phi(0.471405) = -31.868 + 75.728 = 43.86; fill rate = 1 - 43.86/1000 = 0.95614. "
    "Then: 700 issued (on hand 5800 <= 5906.2): spare_parts_reorder raised (minor) on the store device stores-01 with LEGO-BOX, suggested 3606; an order without qty "
    "orders 3606 (position 9406 > s): cleared; the receipt moves it to stock; 4950 pencils issued (on hand 50 <= 60): raised again with PENCIL-2, suggested 3870.",
    "config": {"days_per_year": 364, "alarm_device": "stores-01"},
    "devices": {"stores-01": {"product": "store"}},
    "events": [
        tick(T0),
        http("part", {"part": "PENCIL-2", "description": "Pencil No. 2", "unit": "pcs", "unit_cost": 0.02, "ordering_cost": 12, "holding_rate": 0.25,
                      "demand_per_period": 60, "demand_sd_per_period": 0, "demand_period_days": 7, "lead_time_d": 7, "on_hand": 5000}),
        http("part", {"part": "LEGO-BOX", "unit": "box", "unit_cost": 20, "ordering_cost": 200, "holding_rate": 0.2,
                      "demand_per_period": 2500, "demand_sd_per_period": 500, "demand_period_days": 7, "lead_time_d": 14,
                      "service_level": 0.90, "on_hand": 6500, "ts": T0 + 60000}),
        http("part", {"part": "HP-PRINTER", "unit": "pcs", "unit_cost": 100, "ordering_cost": 10, "holding_rate": 0.2, "demand_per_period": 250,
                      "demand_sd_per_period": 150, "demand_period_days": 7, "lead_time_d": 14, "service_level": csl_hp, "min_order_qty": 1000,
                      "on_hand": 1500, "ts": T0 + 120000}),
        http("issue", {"part": "LEGO-BOX", "qty": 700, "ts": T0 + 1 * H}),
        http("order", {"part": "LEGO-BOX", "ts": T0 + 2 * H, "ref": "PO-1001"}),
        http("receipt", {"part": "LEGO-BOX", "qty": q_l, "ts": T0 + 30 * H, "ref": "PO-1001"}),
        http("issue", {"part": "PENCIL-2", "qty": 4950, "ts": T0 + 31 * H}),
    ],
    "expect": {
        "results": [0] * 8,
        "replies": [
            {"status": 201, "body": {"annual_demand": D_p, "eoq": eoq_p, "order_qty": q_p, "annual_cost": cost_p, "reorder_point": 60,
                                     "safety_stock": 0, "demand_source": "forecast", "status": "ok"}},
            {"status": 201, "body": {"z": Z90, "sigma_l": sigma_L, "safety_stock": ss_l, "reorder_point": s_l, "lead_time_demand": 5000,
                                     "annual_demand": D_l, "eoq": eoq_l, "order_qty": q_l, "fill_rate": fill_l, "status": "ok"}},
            {"status": 201, "body": {"sigma_l": sig_hp, "z": k_hp, "safety_stock": 100, "reorder_point": 600, "eoq": eoq_hp, "order_qty": 1000,
                                     "fill_rate": fill_hp, "status": "ok"}},
            {"status": 200, "body": {"on_hand": 5800, "position": 5800, "status": "reorder", "suggested_qty": q_l}},
            {"status": 200, "body": {"on_order": q_l, "position": 5800 + q_l, "status": "ok", "suggested_qty": None}},
            {"status": 200, "body": {"on_hand": 5800 + q_l, "on_order": 0, "status": "ok"}},
            {"status": 200, "body": {"on_hand": 50, "status": "reorder", "suggested_qty": q_p}},
        ],
        "alarms": [
            {"op": "raise", "device": "stores-01", "type": "spare_parts_reorder"},
            {"op": "clear", "device": "stores-01", "type": "spare_parts_reorder"},
            {"op": "raise", "device": "stores-01", "type": "spare_parts_reorder"},
        ],
        "kv": {"alarms": {"stores-01": ["PENCIL-2"]}, "index": {"LEGO-BOX": {"st": "ok"}, "PENCIL-2": {"st": "reorder"}, "HP-PRINTER": {"st": "ok"}}},
        "logs": ["stores-01: 1 spare part(s) to order: LEGO-BOX", "no spare part to order", "stores-01: 1 spare part(s) to order: PENCIL-2"],
    },
    "rel": 1e-6,
})

# --- 2. The demo pump's spare parts with the default configuration ------------------------
# Defaults: CSL 0.95, ordering cost 50, holding 25 %/year, 365 days, 91-day window,
# 14 days and 3 issue days of history. Mechanical seal for pump-01: bought at 120, lead
# time 10 days, 40 in stock at day 0. Issues (day offsets): 1: 2, 4: 1 (work-order usage),
# 6: 3, 9: 1, 12: 2 -> 9 in 14 complete days (days 0-13).
uses = {1: 2, 4: 1, 6: 3, 9: 1, 12: 2}
n = 14
x = [uses.get(i, 0) for i in range(n)]
m = sum(x) / n                                   # 0.642857
var = sum((v - m) ** 2 for v in x) / (n - 1)     # (19 - 14 m^2)/13 = 1.016484
sd = math.sqrt(var)
L = 10
sL = sd * math.sqrt(L)
ss = Z95 * sL
s = m * L + ss                                   # 11.673
D = m * 365
eoq = math.sqrt(2 * D * 50 / (0.25 * 120))
q = ceil_to(eoq)                                 # 28
book = 40 - 9
counted = 10
assert book > s and counted <= s and counted + q > s
# Ball bearing 6309 for the pump: slow mover, forecast 2 a year (sd 1), lead time 21 days.
d_b = 2 / 365
sd_b = 1 / math.sqrt(365)
s_b = d_b * 21 + Z95 * sd_b * math.sqrt(21)
eoq_b = math.sqrt(2 * 2 * 50 / (0.25 * 45))
# The seal's reorder point before 14 days of history (short history, n >= 2 days) must stay
# below its book stock, so that no alarm is raised before the count: checked here.
stock = 40
for day in range(1, 15):
    xs = [uses.get(i, 0) for i in range(day)]
    if day >= 2:
        mm = sum(xs) / day
        vv = sum((v - mm) ** 2 for v in xs) / (day - 1)
        assert stock - sum(uses.get(i, 0) for i in range(day, 15) if i < day) > mm * L + Z95 * math.sqrt(vv) * math.sqrt(L)
ev = [tick(T0),
      http("part", {"part": "SEAL-MS-45", "description": "Mechanical seal 45 mm", "unit": "pcs", "unit_cost": 120, "lead_time_d": 10,
                    "device": "pump-01", "on_hand": 40, "location": "A-01-03"}),
      http("part", {"part": "BRG-6309", "description": "Deep groove ball bearing 6309", "unit": "pcs", "unit_cost": 45, "lead_time_d": 21,
                    "device": "pump-01", "demand_per_period": 2, "demand_sd_per_period": 1, "demand_period_days": 365, "on_hand": 3})]
for day, qty in sorted(uses.items()):
    ts = T0 + day * DAY + 10 * H
    ev.append(tick(T0 + day * DAY))
    if day == 4:
        ev.append(http("usage", {"work_order": "WO-00007", "device": "pump-01", "parts": [{"part": "SEAL-MS-45", "qty": qty}], "ts": ts}))
    else:
        ev.append(http("issue", {"part": "SEAL-MS-45", "qty": qty, "ts": ts, "device": "pump-01"}))
ev.append(tick(T0 + 14 * DAY))
ev.append(http("count", {"part": "SEAL-MS-45", "qty": counted, "ts": T0 + 14 * DAY + 8 * H}))
replies = [{"status": 201, "body": {"status": "no_demand_data", "demand_source": "none"}},
           {"status": 201, "body": {"demand_source": "forecast", "d_per_day": d_b, "sd_per_day": sd_b, "reorder_point": s_b, "eoq": eoq_b, "order_qty": 5, "status": "ok"}}]
replies += [{"status": 200}] * len(uses)
replies.append({"status": 200, "body": {"on_hand": counted, "adjustments": counted - book, "demand_source": "history", "history_days": 14, "issue_days": 5,
                                        "d_per_day": m, "sd_per_day": sd, "safety_stock": ss, "reorder_point": s, "eoq": eoq, "order_qty": q,
                                        "status": "reorder", "suggested_qty": q}})
write("demo-pump-defaults.json", {
    "description": "The demo pump's spare parts with the default configuration (CSL 0.95: z = 1.6448536; S = 50; holding 25 %/year; 365 days; 14 days and 3 issue days of history). "
    "SEAL-MS-45 (mechanical seal for pump-01, 120 each, lead time 10 d, 40 in stock on 2 March) is issued on days 1 (2), 4 (1, as the usage of work order WO-00007), 6 (3), 9 (1), 12 (2). "
    "At the tick of day 14 the 14 complete days 0-13 give d = 9/14 = 0.642857/day and sample sd = sqrt((19 - 14 x 0.642857^2)/13) = sqrt(1.016484) = 1.008208; "
    "sigma_L = 1.008208 x sqrt(10) = 3.188256; SS = 1.6448536 x 3.188256 = 5.24421; s = 6.42857 + 5.24421 = 11.6728; D = 0.642857 x 365 = 234.64/year, H = 0.25 x 120 = 30: "
    "Q* = sqrt(2 x 234.64 x 50/30) = 27.967 -> 28. Book stock 40 - 9 = 31 > s (and above every short-history s before: checked in tools/make_fixtures.py), so no alarm until the count "
    "of day 14 finds 10 (adjustment -21, not demand): position 10 <= 11.67: spare_parts_reorder (minor) raised on pump-01 (the part's device), suggested 28. "
    "BRG-6309 (a slow mover) uses its forecast of 2 a year (sd 1): d = 2/365 = 0.0054795, sd_d = 1/sqrt(365) = 0.0523424, L = 21: s = 0.115068 + 1.6448536 x 0.0523424 x sqrt(21) = 0.50961; "
    "Q* = sqrt(2 x 2 x 50/11.25) = 4.2164 -> 5; 3 in stock: ok. The seal starts with no_demand_data (no history, no forecast).",
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": replies,
        "alarms": [{"op": "raise", "device": "pump-01", "type": "spare_parts_reorder", "severity": "minor"}],
        "kv": {"alarms": {"pump-01": ["SEAL-MS-45"]}, "index": {"SEAL-MS-45": {"st": "reorder", "dev": "pump-01"}, "BRG-6309": {"st": "ok", "dev": "pump-01"}}},
        "logs": ["usage of WO-00007: 1 lines booked", "adjustment -21", "pump-01: 1 spare part(s) to order: SEAL-MS-45"],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data ---------------------------------------------------------------
ev = [
    http("issue", {"part": "FILTER-10", "qty": 1}),                                  # no clock, no ts: 400
    http("part", "FILTER-10"),                                                        # not an object: 400
    http("part", {"description": "no number", "ts": T0}),                            # 400
    http("part", {"part": "FILTER-10", "service_level": 1.2, "ts": T0}),             # 400
    http("part", {"part": "FILTER-10", "unit_cost": "cheap", "ts": T0}),             # 400
    http("part", {"part": "FILTER-10", "lead_time_d": 0, "ts": T0}),                 # 400
    http("part", {"part": "FILTER-10", "ts": "today"}),                               # 400
    http("part", {"part": "FILTER-10", "description": "Oil filter", "lead_time_d": 7, "on_hand": 5, "ts": T0}),  # 201, no cost, no demand
    http("issue", {"part": "NOPE", "qty": 1, "ts": T0 + H}),                          # 404
    http("issue", {"part": "FILTER-10", "qty": "two", "ts": T0 + H}),                 # 400
    http("issue", {"part": "FILTER-10", "qty": -1, "ts": T0 + H}),                    # 400
    http("issue", {"part": "FILTER-10", "qty": 0, "ts": T0 + H}),                     # 400
    http("issue", {"part": "FILTER-10", "qty": 8, "ts": T0 + 2 * H}),                 # 200, on hand -3: out of stock
    http("count", {"part": "FILTER-10", "qty": 4, "ts": T0 + 1 * H}),                 # 422: older than the last movement
    http("usage", {"work_order": "WO-9", "parts": [{"part": "FILTER-10", "qty": 1}, {"part": "GHOST", "qty": 1}], "ts": T0 + 3 * H}),  # 404, nothing booked
    http("usage", {"work_order": "WO-9", "parts": "FILTER-10"}),                      # 400
    http("part", {"part": "FILTER-10", "on_hand": 100}),                              # 200, on_hand ignored with a warning (clock from before)
    http("stock", {"part": "FILTER-10"}),                                             # 404 unknown path
    {"kind": "schedule", "cron": "* * * * *"},                                          # no at: warned
    http("count", {"part": "FILTER-10", "qty": 4}),                                   # 200 at the clock (T0 + 2 h): on hand 4
    http("list", {}),
]
write("bad-and-missing-data.json", {
    "description": "Bad and missing data, nothing traps and nothing is booked by a refused request: a movement before the app has a clock and without ts is 400; a body that is not an object, "
    "a part without its number, service_level 1.2, unit_cost as text, lead_time_d 0 and ts as text are 400; the part FILTER-10 is then created (5 on hand, lead time 7 d, no cost: no EOQ, no forecast and no "
    "history: no_demand_data); an issue of an unknown part 404, qty as text, negative or 0 400; an issue of 8 with 5 on hand is booked with a warning (on hand -3: out_of_stock, no alarm: no device "
    "and no alarm_device, state only); a count older than the last movement 422; a work-order usage with an unknown part on its second line 404 and its first line not booked; parts not a list 400; "
    "on_hand on an existing part is ignored with a warning; an unknown path 404; a schedule event without 'at' is warned; a count without ts takes the clock (T0 + 2 h) and sets on hand to 4 "
    "(adjustment 4 - (-3) = 7): the status stays no_demand_data (one day of history, not yet complete); list answers the index.",
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "replies": [{"status": 400}] * 7 + [
            {"status": 201, "body": {"on_hand": 5, "eoq": None, "order_qty": None, "status": "no_demand_data", "demand_source": "none"}},
            {"status": 404}, {"status": 400}, {"status": 400}, {"status": 400},
            {"status": 200, "body": {"on_hand": -3, "status": "out_of_stock"}},
            {"status": 422}, {"status": 404}, {"status": 400},
            {"status": 200, "body": {"on_hand": -3}},
            {"status": 404},
            {"status": 200, "body": {"on_hand": 4, "adjustments": 7, "status": "no_demand_data", "last_move_ts": T0 + 2 * H}},
            {"status": 200, "body": {"clock": T0 + 2 * H, "parts": {"FILTER-10": {"st": "no_demand_data", "dev": None}}, "reorder": []}},
        ],
        "alarms": [],
        "kv": {"clock": T0 + 2 * H},
        "logs": ["no ts and no clock yet", "the body must be a JSON object", "\"part\" (its number) is required", "service_level 1.2 is outside",
                 "unit_cost \"cheap\" is not a number", "lead_time_d must be above 0", "ts \"today\" is not a number", "no part \"NOPE\"",
                 "qty \"two\" is not a number", "qty -1 is outside", "\"qty\" must be a number above 0", "on hand is now -3 (post a count)",
                 "older than the last movement", "no part \"GHOST\" (line 2); nothing booked", "\"parts\" must be a list",
                 "on_hand is set only when a part is created", "unknown path \"stock\"", "schedule event without \"at\""],
    },
})
print("fixtures written")
