#!/usr/bin/env python3
"""Writes the fixtures of apps/boiler-short-cycling. Expected values are the numbers printed in
US DOE Steam Tip Sheet #16 "Minimize Boiler Short Cycling Losses", or the README's formulas
evaluated here in plain Python by hand (cycle by cycle), never taken from the app.
Run: python3 apps/boiler-short-cycling/tools/make_fixtures.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1772409600000  # 2026-03-02T00:00:00Z = 08:00 at UTC+8 (a local hour boundary)
MIN = 60_000
RHO, CP = 1.293, 1.005  # kg/Nm³ (0 °C, 101.325 kPa), kJ/(kg·K)


def tel(device, product, minute, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": T0 + int(round(minute * MIN)), "value": v} for k, v in values.items()]}


def http(body):
    return {"kind": "http", "path": "savings", "body": body}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


def purge_kwh(air_nm3h, t_boiler, t_air, seconds):
    return air_nm3h / 3600 * RHO * CP * max(t_boiler - t_air, 0) * seconds / 3600


def losses(q, eta_c, r, on_min, hot_min, purge):
    """Tip sheet #16 cycle: fuel, radiation r·Q·t_hot, purge; E1 = useful/fuel, E2 = η_c − r."""
    fuel = q * on_min / 60
    rad = r * q * hot_min / 60
    useful = eta_c * fuel - rad - purge
    e1 = max(useful / fuel, 0)
    e2 = eta_c - r
    ffs = 1 - e1 / e2
    return dict(fuel=fuel, rad=rad, purge=purge, useful=useful, e1=e1, e2=e2, ffs=ffs, loss=fuel * ffs)


# --- 1. The tip sheet's example and its radiation figures ------------------------------------
e1, e2, fuel, price = 72.7, 78.8, 200000, 8.00
ffs = 1 - e1 / e2                       # 0.0774112 (printed rounded: 7.7 %)
assert round(ffs * 100, 1) == 7.7
saved = fuel * ffs * price              # 123 857.87 (printed: 200 000 × 0.077 × 8.00 = 123 200)
assert round(fuel * 0.077 * price) == 123200

cfg1 = {"firing_input_kw": 1000, "combustion_efficiency_pct": 85, "radiation_loss_pct": 1,
        "pre_purge_s": 0, "post_purge_s": 0, "max_gap_minutes": 60}
q, eta, r = 1000, 0.85, 0.01
# Hour 1 (08–09 local): on 0–30 min, off 30–60: firing half the hour. Hour 2: on 60–75, off
# 75–120: a quarter. Hour 3: on 120–180: full load.
hours = [(30, 60, 0), (15, 60, 1), (60, 60, 1)]  # on min, hot min, starts
exp_hours = []
for on, hot, starts in hours:
    l = losses(q, eta, r, on, hot, 0.0)
    exp_hours.append({"t": T0 + 60 * MIN * len(exp_hours), "starts": starts, "on_min": on, "hot_min": hot,
                      "firing_pct": on / hot * 100, "rad_pct": l["rad"] / l["fuel"] * 100, "purge_pct": 0,
                      "e1_pct": l["e1"] * 100, "e2_pct": l["e2"] * 100, "ffs_pct": l["ffs"] * 100,
                      "fuel_kwh": l["fuel"], "loss_kwh": l["loss"], "cost": l["loss"] * 0.35})
assert abs(exp_hours[0]["rad_pct"] - 2.0) < 1e-12 and abs(exp_hours[1]["rad_pct"] - 4.0) < 1e-12
assert abs(exp_hours[2]["rad_pct"] - 1.0) < 1e-12
# The whole run so far, for the device-based savings: on 105 of 180 min.
day = losses(q, eta, r, 105, 180, 0.0)
annual = day["fuel"] / 3 * 8760
dev_ffs = 1 - day["e1"] / day["e2"]
dev = "boiler-a"
write("doe-tip-sheet-16.json", {
    "description": (
        "US DOE Steam Tip Sheet #16 'Minimize Boiler Short Cycling Losses' (Industrial Technologies Program, "
        "BestPractices), its Example: 'A 1,500 horsepower (hp) (1 hp = 33,475 Btu/hr) boiler with a cycle efficiency "
        "of 72.7% (E1) is replaced with a 600 hp boiler with a cycle efficiency of 78.8% (E2)'; Fractional Fuel Savings "
        "= (1 – E1/E2) = (1 – 72.7/78.8) x 100 = 7.7% (printed; unrounded 7.7411 %); with 200,000 MMBtu of fuel a year "
        "at $8.00/MMBtu the printed Annual Savings = 200,000 MMBtu x 0.077 x $8.00/MMBtu = $123,200, which the app gives "
        "unrounded: 200 000 × 0.0774112 × 8 = 123 857.87 (fuel saved 15 482.23 MMBtu). The same sheet: 'if the radiation "
        "loss from the boiler enclosure is 1% of the total heat input at full-load, at half-load the losses increase to "
        "2%, while at one-quarter load the loss is 4%': boiler-a (1000 kW input, combustion efficiency 85 %, radiation "
        "1 %, purges 0 s so only radiation counts) fires 30 of the 60 min of 08:00–09:00 (half load: radiation 2.0 % of "
        "the input), 15 of the 60 min of 09:00–10:00 (a quarter: 4.0 %) and all of 10:00–11:00 (1.0 %). Hand: E1 = 85 − "
        "2 = 83 %, 81 %, 84 %; E2 = 85 − 1 = 84 %; 1 − E1/E2 = 1.1905 %, 3.5714 %, 0; fuel 500, 250, 1000 kWh; lost fuel "
        "5.9524, 8.9286, 0 kWh, at 0.35 a kWh. The first reading (on at 08:00) is no start (nothing known before it); "
        "starts at 09:00 and 10:00. Then the savings of boiler-a's measured run: on 105 of 180 min, E1 = 85 − 1 × "
        "180/105 = 83.2857 %, E2 = 84 %, 1 − E1/E2 = 0.85034 %, annual fuel 1750 kWh / 3 h × 8760 h = 5 110 000 kWh, "
        "saved 43 452.4 kWh × 0.35 = 15 208.3."),
    "config": cfg1,
    "devices": {dev: {"product": "gas_boiler"}},
    "events": [
        http({"e1_pct": 72.7, "e2_pct": 78.8, "annual_fuel": 200000, "fuel_price": 8.0}),
        tel(dev, "gas_boiler", 0, burner_on=True),
        tel(dev, "gas_boiler", 30, burner_on=False),
        tel(dev, "gas_boiler", 60, burner_on=True),
        tel(dev, "gas_boiler", 75, burner_on=False),
        tel(dev, "gas_boiler", 120, burner_on=True),
        tel(dev, "gas_boiler", 180, burner_on=True),
        http({"device": dev}),
    ],
    "expect": {
        "results": [0] * 8,
        "replies": [
            {"status": 200, "body": {"e1_pct": 72.7, "e2_pct": 78.8, "fractional_fuel_savings_pct": ffs * 100,
                                     "annual_fuel": 200000, "fuel_saved": fuel * ffs, "annual_savings": saved}},
            {"status": 200, "body": {"e1_pct": day["e1"] * 100, "e2_pct": 84, "fractional_fuel_savings_pct": dev_ffs * 100,
                                     "annual_fuel": annual, "fuel_saved": annual * dev_ffs,
                                     "annual_savings": annual * dev_ffs * 0.35, "currency": "CNY",
                                     "measured": {"device": dev, "days": 1, "fuel_kwh": 1750, "hours": 3}}},
        ],
        "alarms": [],
        "writes": [],
        "kv": {"boiler:" + dev: {"hours": exp_hours, "on": True}},
        "logs": ["savings: 1 - 72.70/78.80 = 7.74 % of 200000 = 123857.87"],
    },
    "rel": 1e-4,
})

# --- 2. The demo boiler, short cycling and a day closed -------------------------------------
with open(os.path.join(HERE, "..", "..", "..", "crates", "ironloom", "demo", "products.json")) as f:
    DEMO = next(p for p in json.load(f) if p["product_key"] == "demo-boiler")["thing_model"]
Q, ETA, R = 3300, 0.88, 0.01            # defaults
AIR, TAIR, PURGE_S = 3270, 20, 60 + 30
dev, prod = "boiler-01", "demo-boiler"
ev = [tel(dev, prod, 0, burner_on=False, water_temp=120.0)]
starts = [2 + 8 * k for k in range(10)] + [100, 150]
stops = [5 + 8 * k for k in range(10)] + [130, 170]
timeline = []  # (minute, event)
for s in starts:
    timeline.append((s, {"burner_on": True}))
for s in stops:
    timeline.append((s, {"burner_on": False}))
for m, t in [(87, 121.0), (110, 121.0), (120, 121.0), (140, 121.0), (160, 121.0), (180, 121.0)]:
    timeline.append((m, {"water_temp": t}))
timeline.sort(key=lambda x: x[0])
for m, vals in timeline:
    ev.append(tel(dev, prod, m, **vals))
ev.append(tel(dev, prod, 965, water_temp=118.5))  # 00:05 the next local day, after a 785 min gap

# By hand, minute by minute (every interval ≤ 15 min, so all 180 min count).
on_min = sum(b - a for a, b in zip(starts, stops))          # 10 × 3 + 30 + 20 = 80
assert on_min == 80
temp_at = lambda m: 120.0 if m < 87 else 121.0
purge = sum(purge_kwh(AIR, temp_at(s), TAIR, PURGE_S) for s in starts)
d = losses(Q, ETA, R, 80, 180, purge)
# Completed periods: on 12 (all), off: 5 min × 9 between the first ten, 77→100, 130→150
# (the first off period, 0→2, began before anything was known).
mean_on, mean_off = 80 / 12, (9 * 5 + 23 + 20) / 11
# Rolling 60-min cycles per hour at each event: the most is 8 (at 58, 66 and 74 min).
def cph(t):
    return sum(1 for s in starts if t - 60 < s <= t)
events_min = [0] + [m for m, _ in timeline]
assert max(cph(t) for t in events_min) == 8
raise_at = next(t for t in events_min if cph(t) > 6)        # 50 min: 7 starts
clear_at = next(t for t in events_min if t > raise_at and cph(t) <= 5)  # 110 min: 4
assert (raise_at, clear_at) == (50, 110)
# Hours 08, 09, 10: on 23, 27, 30 min; starts 8, 3, 1.
hour_on = [23, 27, 30]
hour_starts = [[s for s in starts if 60 * h <= s < 60 * (h + 1)] for h in range(3)]
assert [len(x) for x in hour_starts] == [8, 3, 1]
exp_hours = []
for h in range(3):
    p = sum(purge_kwh(AIR, temp_at(s), TAIR, PURGE_S) for s in hour_starts[h])
    l = losses(Q, ETA, R, hour_on[h], 60, p)
    exp_hours.append({"t": T0 + h * 60 * MIN, "starts": len(hour_starts[h]), "on_min": hour_on[h], "hot_min": 60,
                      "e1_pct": l["e1"] * 100, "ffs_pct": l["ffs"] * 100, "purge_kwh": p, "loss_kwh": l["loss"],
                      "cost": l["loss"] * 0.35})
exp_day = {"date": "2026-03-02", "starts": 12, "on_h": 80 / 60, "hot_h": 3, "mean_on_min": mean_on,
           "mean_off_min": mean_off, "max_cph": 8, "fuel_kwh": d["fuel"], "rad_kwh": d["rad"], "purge_kwh": purge,
           "rad_pct": d["rad"] / d["fuel"] * 100, "purge_pct": purge / d["fuel"] * 100,
           "e1_pct": d["e1"] * 100, "e2_pct": 87, "ffs_pct": d["ffs"] * 100, "loss_kwh": d["loss"],
           "cost": d["loss"] * 0.35}
p120 = purge_kwh(AIR, 120, TAIR, PURGE_S)
write("short-cycling-demo-boiler.json", {
    "description": (
        "The demo boiler (demo-boiler, burner_on a bool, water_temp °C) with the app's defaults: firing input 3300 kW, "
        "combustion efficiency 88 %, radiation 1 % at full fire, purges 60 + 30 s of 3270 Nm³/h air from 20 °C, fuel "
        "0.35 CNY/kWh, limit 6 cycles/h over 60 min. From 08:00 local (UTC+8) the burner fires 3 min in every 8 "
        "(starts at 2, 10 … 74 min): the 7th start within 60 min (50 min) raises boiler_short_cycling (minor, 7 "
        "cycles/h); then longer cycles (on 100–130, 150–170 min) and the rolling count falls to 4 at 110 min (≤ 6 − 1): "
        "cleared. Water readings every ≤ 13 min keep all 180 min counted; after 87 min the water is at 121 °C. A reading "
        "at 00:05 the next day comes after a 785 min gap (warned, not counted) and closes 2026-03-02. By hand: 12 starts; "
        "on 80 min (10 × 3 + 30 + 20); purge per start = 3270/3600 × 1.293 × 1.005 × (120 − 20) kW × 90 s = "
        f"{p120:.4f} kWh (ΔT 101 K for the last two), {purge:.4f} kWh in all; fuel 3300 × 80/60 = 4400 kWh; radiation "
        f"0.01 × 3300 × 3 h = 99 kWh (2.25 % of the fuel at 44.4 % firing); E1 = 88 − 2.25 − {purge / 4400 * 100:.4f} = "
        f"{d['e1'] * 100:.4f} %; E2 = 87 %; 1 − E1/E2 = {d['ffs'] * 100:.4f} %; fuel lost {d['loss']:.3f} kWh = "
        f"{d['loss'] * 0.35:.3f} CNY. Mean on 80/12 = 6.667 min, off (9 × 5 + 23 + 20)/11 = 8.0 min (the first off "
        "period began before the first reading); most cycles in a 60-min window: 8. Hours 08, 09, 10: on 23, 27, 30 min, "
        "starts 8, 3, 1. The thing model does not declare derived properties and write_telemetry is off: no writes."),
    "thing_models": {prod: DEMO},
    "devices": {dev: {"product": prod}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": dev, "type": "boiler_short_cycling", "severity": "minor",
             "details": {"cycles_per_hour": 7, "limit_per_hour": 6, "window_minutes": 60}},
            {"op": "clear", "device": dev, "type": "boiler_short_cycling"},
        ],
        "writes": [],
        "kv": {"boiler:" + dev: {"days": [exp_day], "hours": exp_hours, "alarm": False, "cph": 0,
                                 "on": False, "temp": 118.5}},
        "logs": ["short cycling, 7 cycles/h (limit 6)", "short cycling over, 4 cycles/h",
                 "no data for 785.0 min (more than 15 min)"],
    },
    "rel": 1e-4,
})

# --- 3. Bad and missing data ------------------------------------------------------------------
cfg3 = {"firing_input_kw": 1000, "combustion_efficiency_pct": 90, "radiation_loss_pct": 2,
        "pre_purge_s": 30, "post_purge_s": 0, "purge_air_nm3h": 1000, "boiler_temp_c": 150,
        "write_telemetry": True}
q, eta, r = 1000, 0.90, 0.02
pk = purge_kwh(1000, 150, 20, 30)     # the fallback 150 °C: no temperature known
def e1_of(on, hot, n):
    return losses(q, eta, r, on, hot, n * pk)["e1"] * 100
P = "gas_boiler"
ev3 = [
    tel("b-2", P, 0, water_temp=100.0),            # before any burner reading: not followed yet
    tel("b-2", P, 1, burner_on=False),             # first reading
    tel("b-2", P, 3, burner_on=True),              # start 1: write cph 1
    tel("b-2", P, 2, burner_on=False),             # older than the last: ignored
    tel("b-2", P, 5, steam_pressure=5.0),          # other property: the clock moves (on)
    tel("b-2", P, 45, burner_on=False),            # after a 40 min gap: not counted; write
    tel("b-2", P, 50, burner_on=True),             # start 2: write cph 2
    tel("b-2", P, 52, burner_on=False),            # write
    {"kind": "telemetry", "device": "b-2", "product": P, "points": []},
    tel("b-3", P, 0, burner_on="on"),              # text readings on their own device
    tel("b-3", P, 1, burner_on="maybe"),           # not on/off: warned; the clock moves (on)
    tel("b-3", P, 2, burner_on="off"),             # stop: write cph 0, E1 88 %
    tel("b-3", P, 3, water_temp="n/a"),            # not a temperature: warned
    tel("b-3", P, 4, burner_on="1"),               # start, purge at the fallback 150 °C
    {"kind": "manual"},
    http({"e1_pct": "high", "annual_fuel": 1000}),
    http({"annual_fuel": 1000}),
    http({"device": "b-9"}),
]
writes3 = [
    {"device": "b-2", "values": {"cycles_per_hour": 1.0}},
    {"device": "b-2", "values": {"cycles_per_hour": 1.0, "cycle_efficiency": e1_of(2, 4, 1)}},
    {"device": "b-2", "values": {"cycles_per_hour": 2.0, "cycle_efficiency": e1_of(2, 9, 2)}},
    {"device": "b-2", "values": {"cycles_per_hour": 2.0, "cycle_efficiency": e1_of(4, 11, 2)}},
    {"device": "b-3", "values": {"cycles_per_hour": 0.0, "cycle_efficiency": 88.0}},
    {"device": "b-3", "values": {"cycles_per_hour": 1.0, "cycle_efficiency": e1_of(2, 4, 1)}},
]
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data on a product without a thing model (1000 kW input, combustion efficiency 90 %, radiation "
        "2 %, pre-purge 30 s of 1000 Nm³/h, write_telemetry on). b-2: a water temperature before any burner reading is "
        "not followed (no state yet); the first burner reading is no start; a start at 3 min writes 1 cycle/h (no firing "
        "time yet, so no efficiency); a reading at 2 min, older than the last, is warned and ignored; a message of "
        "another property moves the clock (2 min firing); the next reading 40 min later is after a gap (warned, not "
        "counted, and the on period's length is unknown); start 2 at 50 min, stop at 52. A message without points does "
        "nothing. Hand, purge per start with no temperature known: 1000/3600 × 1.293 × 1.005 × (150 − 20) × 30/3600 = "
        f"{pk:.5f} kWh; E1 = 90 − 2 × hot/on − purge/fuel: at 45 min on 2 of 4 min, 1 start: {e1_of(2, 4, 1):.4f} %; at "
        f"50 min 2 of 9, 2 starts: {e1_of(2, 9, 2):.4f} %; at 52 min 4 of 11: {e1_of(4, 11, 2):.4f} %. b-3 reports text: "
        "'on' (first), 'maybe' (warned, not on/off), 'off' (a stop: 0 cycles/h, E1 = 90 − 2 = 88.0 % written as 88.0 and "
        "0.0, with a decimal point), water_temp 'n/a' (warned), '1' (on: a start, 1 cycle/h, E1 "
        f"{e1_of(2, 4, 1):.4f} %). A manual run does nothing; the HTTP path refuses a text efficiency (400), a body with "
        "neither e1_pct nor a device (400) and a device with no firing measured (404)."),
    "config": cfg3,
    "devices": {"b-2": {"product": P}, "b-3": {"product": P}},
    "events": ev3,
    "expect": {
        "results": [0] * len(ev3),
        "writes": writes3,
        "alarms": [],
        "replies": [
            {"status": 400, "body": {"error": "e1_pct must be a positive number"}},
            {"status": 400, "body": {"error": "give e1_pct and annual_fuel, or a device with measured days"}},
            {"status": 404, "body": {"error": "b-9: no firing measured yet"}},
        ],
        "kv": {"boiler:b-2": {"on": False, "today": {"starts": 2, "on_h": 4 / 60, "hot_h": 11 / 60,
                                                      "mean_on_min": 2, "mean_off_min": 5}},
               "boiler:b-3": {"on": True, "today": {"starts": 1, "on_h": 2 / 60, "hot_h": 4 / 60}}},
        "logs": ["is older than the last one", "no data for 40.0 min", "burner_on is not an on/off value: \"maybe\"",
                 "water_temp is not a temperature: \"n/a\""],
    },
    "rel": 1e-4,
})
print("fixtures written")
