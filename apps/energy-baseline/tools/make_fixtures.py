#!/usr/bin/env python3
"""Writes the fixtures of apps/energy-baseline. Expected values: the published results of
Montgomery & Runger's Example 11-1, or least squares, CV(RMSE), NMBE and CUSUM worked out here
in plain Python from the day totals of each timeline (the arithmetic is in each description),
never taken from the app. Run: python3 apps/energy-baseline/tools/make_fixtures.py"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
H = 3_600_000
D1 = 1772380800000  # 2026-03-01T16:00:00Z = 2026-03-02 00:00 at UTC+8


def tel(device, product, ts, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in values.items()]}


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


def ols(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    b = sxy / sxx
    a = my - b * mx
    res = [yi - (a + b * xi) for xi, yi in zip(x, y)]
    sse = sum(r * r for r in res)
    sst = sum((v - my) ** 2 for v in y)
    mse = sse / (n - 2)
    return dict(n=n, a=a, b=b, r2=1 - sse / sst, rmse=math.sqrt(mse), cv=math.sqrt(mse) / my * 100,
                nmbe=sum(res) / ((n - 2) * my) * 100, t=b / math.sqrt(mse / sxx), my=my, mx=mx, sse=sse, sst=sst)


def dates(start, n):
    import datetime
    d0 = datetime.date.fromisoformat(start)
    return [(d0 + datetime.timedelta(days=i)).isoformat() for i in range(n)]


# --- 1. Montgomery & Runger, Example 11-1 -------------------------------------------------------
X = [0.99, 1.02, 1.15, 1.29, 1.46, 1.36, 0.87, 1.23, 1.55, 1.40, 1.19, 1.15, 0.98, 1.01, 1.11, 1.20, 1.26, 1.32, 1.43, 0.95]
Y = [90.01, 89.05, 91.43, 93.74, 96.73, 94.45, 87.59, 91.77, 99.42, 93.65, 93.54, 92.52, 90.56, 89.54, 89.85, 90.39, 93.25,
     93.41, 94.98, 87.33]
m = ols(X, Y)
assert round(m["b"], 3) == 14.947 and round(m["a"], 3) == 74.283 and round(m["r2"], 3) == 0.877
assert round(m["rmse"] ** 2, 2) == 1.18 and round(m["sse"], 2) == 21.25 and round(m["sst"], 2) == 173.38
days = dates("2026-01-01", 22)
post1 = [{"date": d, "energy": y, "driver": x} for d, x, y in zip(days, X, Y)]
rep = [(1.30, 95.0), (1.00, 88.0)]
exp = [m["a"] + m["b"] * x for x, _ in rep]
dev = [e_ - y for e_, (_, y) in zip(exp, rep)]
model1 = {"from": "2026-01-01", "to": "2026-01-20", "n": 20, "intercept": m["a"], "slope": m["b"], "r2": m["r2"],
          "rmse": m["rmse"], "cvrmse_pct": m["cv"], "nmbe_pct": 0, "t_slope": m["t"], "mean_energy": m["my"],
          "mean_driver": m["mx"], "driver_min": 0.87, "driver_max": 1.55, "sse": m["sse"], "sst": m["sst"],
          "checks": {"r2": True, "cvrmse": True, "nmbe": True}, "adequate": True}
ev = [http("days", {"days": post1}),
      http("days", {"days": [{"date": days[20], "energy": 95.0, "driver": 1.30},
                             {"date": days[21], "energy": 88.0, "driver": 1.00}]}),
      http("baseline", {"from": "2026-01-01", "to": "2026-01-20"}),
      http("report", {"days": 2})]
write("montgomery-runger-example-11-1.json", {
    "description": (
        "The regression core on a published worked example: Montgomery & Runger, Applied Statistics and Probability for "
        "Engineers (Wiley), Chapter 11, Example 11-1 and Table 11-1 — 20 observations of oxygen purity y (%) against "
        "hydrocarbon level x (%), posted as 20 days (energy = y, driver = x, 2026-01-01 to 01-20, baseline_days 20). "
        "Printed: Sxx = 0.68088, Sxy = 10.17744, slope 14.947, intercept 74.283, SSE = 21.25, σ̂² = 1.18, SST = 173.38, "
        "R² = 0.877. By hand from those: RMSE = √(21.2498/18) = 1.08653, mean y = 1843.21/20 = 92.1605, CV(RMSE) = "
        f"1.08653/92.1605 = {m['cv']:.4f} % (ASHRAE Guideline 14 form, n − p = 18), NMBE = 0 (least squares), t of the slope "
        f"= 14.947/√(1.18054/0.68088) = {m['t']:.3f}; R² 0.877 ≥ 0.75, CV(RMSE) ≤ 15 %, |NMBE| ≤ 5 %: adequate. Two later "
        f"days: x = 1.30, y = 95.0: expected 74.28331 + 14.94748 × 1.30 = {exp[0]:.5f}, savings (expected − actual) = "
        f"{dev[0]:.5f}; x = 1.00, y = 88.0: expected {exp[1]:.5f}, savings {dev[1]:.5f}; CUSUM {dev[0] + dev[1]:.5f}. "
        "Fitting again over the same dates gives the same model; the report answers the last two days. rel 1e-5: day "
        "records keep 6 decimals."),
    "config": {"baseline_days": 20},
    "devices": {},
    "events": ev,
    "expect": {
        "results": [0, 0, 0, 0],
        "replies": [
            {"status": 200, "body": {"accepted": 20, "refused": [], "days": 20, "model": model1}},
            {"status": 200, "body": {"accepted": 2, "days": 22, "model": {"intercept": m["a"], "slope": m["b"]}}},
            {"status": 200, "body": {"model": model1, "cusum": dev[0] + dev[1]}},
            {"status": 200, "body": {"cusum": dev[0] + dev[1], "days": [
                {"date": "2026-01-21", "e": 95.0, "x": 1.3, "exp": exp[0], "dev": dev[0], "cusum": dev[0]},
                {"date": "2026-01-22", "e": 88.0, "x": 1.0, "exp": exp[1], "dev": dev[1], "cusum": dev[0] + dev[1],
                 }]}},
        ],
        "alarms": [],
        "writes": [],
        "kv": {"site": {"model": {"n": 20, "intercept": m["a"], "slope": m["b"], "r2": m["r2"]},
                        "cusum": dev[0] + dev[1], "reported_days": 2},
               "days": [{"date": d} for d in days]},
        "logs": ["baseline 2026-01-01 to 2026-01-20: E = 74.283314 + 14.947480·x, n 20, R² 0.8774"],
    },
    "rel": 1e-5,
})

# --- 2. The demo motor's energy against the demo CNC's part count --------------------------------
with open(os.path.join(HERE, "..", "..", "..", "crates", "ironloom", "demo", "products.json")) as f:
    prods = {p["product_key"]: p["thing_model"] for p in json.load(f)}
P = {  # kW in the 00–06, 06–12, 12–18, 18–24 h blocks of each local day
    1: [20.0, 25.0, 25.0, 10.0], 2: [30.0, 30.0, 30.0, 6.0], 3: [25.0, 30.0, 26.0, 8.0],
    4: [30.0, 30.0, 25.0, 7.0], 5: [30.0, 30.0, 25.0, 5.0], 6: [25.0, 28.0, 26.0, 8.0]}
PARTS = {1: [100, 100, 100, 100], 2: [150, 150, 150, 150], 3: [125, 125, 125, 125], 4: [140, 140, 135, 135],
         5: [110, 110, 115, 115], 6: [125, 125, 125, 125]}
E = {d: 6 * sum(p) for d, p in P.items()}
Xd = {d: sum(p) for d, p in PARTS.items()}
assert [E[d] for d in range(1, 7)] == [480, 576, 534, 552, 540, 522] and [Xd[d] for d in range(1, 7)] == [400, 600, 500, 550, 450, 500]
mb = ols([Xd[1], Xd[2], Xd[3]], [E[1], E[2], E[3]])
assert abs(mb["a"] - 290) < 1e-9 and abs(mb["b"] - 0.48) < 1e-12 and abs(mb["sse"] - 24) < 1e-9
ev = []
count = 10000
for d in range(1, 8):
    for k in range(4):
        ts = D1 + (d - 1) * 24 * H + k * 6 * H
        p = P.get(d, [20.0])[k] if d <= 6 else 20.0
        ev.append(tel("motor-01", "demo-motor", ts, power=p))
        ev.append(tel("cnc-01", "demo-cnc", ts, part_count=count))
        if d <= 6:
            count += PARTS[d][k]
        if d == 7:
            break
exp = {d: mb["a"] + mb["b"] * Xd[d] for d in (4, 5, 6)}
dev = {d: exp[d] - E[d] for d in (4, 5, 6)}
cus = {4: dev[4], 5: dev[4] + dev[5], 6: dev[4] + dev[5] + dev[6]}
limit = 2 * mb["rmse"]
assert E[5] - exp[5] > limit and E[4] - exp[4] <= limit and E[6] - exp[6] <= limit
day_dates = dates("2026-03-02", 6)
kv_days = []
for d in range(1, 7):
    r = {"date": day_dates[d - 1], "e": E[d], "x": Xd[d], "cov_h": 24, "ok": True}
    if d >= 4:
        r.update({"exp": exp[d], "dev": dev[d], "cusum": cus[d]})
    kv_days.append(r)
write("demo-motor-cnc-parts.json", {
    "description": (
        "The demo products: the energy is the demo motor-01's power (kW, integrated: each reading holds until the next), "
        "the driver the demo cnc-01's part_count (its daily increase), the defaults but baseline_days 3 (instead of 30, "
        "to keep the fixture short) and max_gap_minutes 360 (readings every 6 h here instead of every second live). "
        "Readings at 00, 06, 12, 18 h local (UTC+8) from 2026-03-02 to 03-08 00:00; a day closes when both devices have "
        "passed its end. By hand: energy = 6 h × the four powers: 480, 576, 534 kWh (03-02…03-04), parts 400, 600, 500; "
        "least squares: x̄ = 500, ȳ = 530, Sxx = 20000, Sxy = (−100)(−50) + (100)(46) + 0 = 9600, slope 0.48 kWh/part, "
        "intercept 530 − 240 = 290 kWh; residuals −2, −2, 4: SSE 24, RMSE √(24/1) = 4.89898, CV(RMSE) 0.9243 %, SST "
        "4632, R² 0.994819. Then 03-05: 550 parts, expected 554, actual 552: savings 2; 03-06: 450 parts, expected 506, "
        "actual 540: savings −34, 34 kWh above the baseline > 2 × RMSE = 9.798: energy_above_baseline (warning) on "
        "motor-01; 03-07: 500 parts, expected 530, actual 522: savings 8, cleared; CUSUM 2, −32, −24. write_telemetry "
        "is off: no writes."),
    "config": {"baseline_days": 3, "max_gap_minutes": 360},
    "thing_models": {"demo-motor": prods["demo-motor"], "demo-cnc": prods["demo-cnc"]},
    "devices": {"motor-01": {"product": "demo-motor"}, "cnc-01": {"product": "demo-cnc"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [
            {"op": "raise", "device": "motor-01", "type": "energy_above_baseline", "severity": "warning",
             "details": {"date": "2026-03-06", "energy_kwh": 540, "expected_kwh": 506, "excess_kwh": 34,
                         "limit_kwh": limit, "driver": 450}},
            {"op": "clear", "device": "motor-01", "type": "energy_above_baseline"},
        ],
        "writes": [],
        "kv": {"days": kv_days, "site": {"cusum": cus[6], "alarm": False,
                        "model": {"from": "2026-03-02", "to": "2026-03-04", "n": 3, "intercept": 290, "slope": 0.48,
                                  "rmse": mb["rmse"], "r2": mb["r2"], "cvrmse_pct": mb["cv"], "adequate": True}}},
        "logs": ["baseline 2026-03-02 to 2026-03-04: E = 290.000000 + 0.480000·x, n 3, R² 0.9948",
                 "2026-03-06: 34.000 kWh above the baseline (limit 9.798)"],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data: a kWh counter sent as text, degree-days -------------------------
cfg = {"energy_device": "meter-1", "energy_property": "energy_kwh", "energy_kind": "counter_kwh",
       "driver_device": "weather-1", "driver_property": "outdoor_temp", "driver_kind": "hdd", "base_temp_c": 18,
       "baseline_days": 3, "max_gap_minutes": 480, "write_telemetry": True}
# Meter readings (local hours → counter) and outdoor temperatures per day (02, 10, 18 h).
meter = {1: [(0, "1000.0"), (8, "1150.0"), (16, "1300.0")],
         2: [(0, "1460.0"), (8, "40.0"), (16, "160.0")],          # meter replaced before 08:00: reset
         3: [(0, "280.0")],                                       # then silent until 03-05 00:00
         4: [(0, "900.0"), (8, "1050.0"), (16, "1200.0")],
         5: [(0, "1350.0"), (8, "1530.0"), (16, "1710.0")],
         6: [(0, "1870.0"), (8, "2010.0"), (16, "2150.0")],
         7: [(0, "2230.0")]}
temps = {1: [3.0, 7.0, 5.0], 2: [8.0, 12.0, 10.0], 3: [6.0, 6.0, 6.0], 4: [4.0, 6.0, 5.0],
         5: [0.0, 4.0, 2.0], 6: [7.0, 9.0, 8.0], 7: [6.0]}    # 03-08 02:00: both sources past 03-07
ev = []
for d in range(1, 8):
    base = D1 + (d - 1) * 24 * H
    items = [(h, "m", v) for h, v in meter.get(d, [])] + [(h, "w", t) for h, t in zip((2, 10, 18), temps.get(d, []))]
    for h, kind, v in sorted(items, key=lambda i: i[0]):
        if kind == "m":
            ev.append(tel("meter-1", "meter", base + h * H, energy_kwh=v))
        else:
            ev.append(tel("weather-1", "weather", base + h * H, outdoor_temp=v))
        if d == 1 and h == 8 and kind == "m":
            ev.append(tel("meter-1", "meter", base + 7 * H, energy_kwh="1100.0"))   # out of order
        if d == 1 and h == 10 and kind == "w":
            ev.append(tel("meter-1", "meter", base + 10 * H + 60000, energy_kwh="err"))  # not a number
            ev.append(tel("weather-1", "weather", base + 10 * H + 60000, humidity=80.0))  # other property
            ev.append(tel("pump-9", "meter", base + 10 * H, energy_kwh="5.0"))       # not the configured device
# By hand. Energy of a day = the counter's increase from its 00:00 to the next 00:00 reading:
# 03-02: 1460 − 1000 = 460; 03-03: reset at 08:00 (1460 → 40: counted as 40 from zero) + 120 + 120 = 280;
# 03-04: 00:00 → 03-05 00:00 is 24 h > 480 min: a gap; 620 kWh goes to 03-05, both days incomplete;
# 03-05: 620 (gap) + 450 = incomplete; 03-06: 1870 − 1350 = 520; 03-07: 2230 − 1870 = 360.
E = {1: 460.0, 2: 280.0, 5: 520.0, 6: 360.0}
HDD = {d: max(18 - sum(t) / 3, 0) for d, t in temps.items()}
assert (HDD[1], HDD[2], HDD[5], HDD[6]) == (13.0, 8.0, 16.0, 10.0)
mb = ols([HDD[1], HDD[2], HDD[5]], [E[1], E[2], E[5]])
exp6 = mb["a"] + mb["b"] * HDD[6]
assert abs(mb["b"] - 1000 / (98 / 3)) < 1e-9 and abs(360 - exp6) <= 2 * mb["rmse"]
ev += [
    {"kind": "telemetry", "device": "weather-1", "product": "weather", "points": []},
    {"kind": "manual"},
    http("days", {"days": [{"date": "2026-02-30", "energy": 1.0, "driver": 1.0},
                           {"date": "2026-02-27", "energy": -5.0, "driver": 1.0},
                           {"date": "2026-02-27", "energy": 5.0, "driver": "cold"}]}),
    http("days", {}),
    http("baseline", {"from": "2026-03-07", "to": "2026-03-02"}),
    http("baseline", {"from": "2026-03-04", "to": "2026-03-05"}),
]
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data on products without a thing model: the energy is meter-1's cumulative energy_kwh sent as "
        "text ('1000.0' …, read as numbers), the driver heating degree-days (base 18 °C) from weather-1's outdoor_temp "
        "(the day's mean reading), baseline_days 3, max_gap 480 min, derived telemetry on. An out-of-order reading "
        "(07:00 after 08:00) and 'err' are warned and ignored; a humidity message, a message without points and a device "
        "that is not configured do nothing. On 03-03 the meter was replaced: 1460 → 40 is taken as a reset (40 from "
        "zero, warned). After 03-04 00:00 the meter is silent for 24 h (> 480 min): its 620 kWh go to 03-05 and both days "
        "are incomplete (not used). By hand: energy 03-02 1460 − 1000 = 460, 03-03 40 + 120 + 120 = 280, 03-06 "
        "1870 − 1350 = 520, 03-07 2230 − 1870 = 360 kWh; HDD 18 − mean(3, 7, 5) = 13, 18 − 10 = 8, 18 − 2 = 16, 18 − 8 = "
        f"10. Baseline on 03-02, 03-03, 03-06: x̄ = 37/3, ȳ = 420, Sxx = 32.6667, Sxy = 0.6667 × 40 + (−4.3333)(−140) + "
        f"3.6667 × 100 = 1000, slope {mb['b']:.6f}, intercept {mb['a']:.6f}, R² {mb['r2']:.6f}, CV(RMSE) {mb['cv']:.4f} %. "
        f"03-07: expected {exp6:.4f}, savings {exp6 - 360:.4f} (within 2 × RMSE = {2 * mb['rmse']:.3f}: no alarm), written as energy_savings_kwh and "
        "energy_cusum_kwh at the day's last millisecond (03-07 closes when the weather reading of 03-08 02:00 arrives). HTTP: a day with an impossible date, one with negative energy and "
        "one with a text driver are refused (reasons listed), a body without days is 400, a baseline from after to is "
        "400, one over 03-04…03-05 (no complete day) is 422."),
    "config": cfg,
    "devices": {"meter-1": {"product": "meter"}, "weather-1": {"product": "weather"}, "pump-9": {"product": "meter"}},
    "events": ev,
    "expect": {
        "results": [0] * len(ev),
        "alarms": [],
        "writes": [{"device": "meter-1", "values": {"energy_savings_kwh": exp6 - 360, "energy_cusum_kwh": exp6 - 360},
                    "ts": D1 + 6 * 24 * H - 1}],
        "replies": [
            {"status": 200, "body": {"accepted": 0, "refused": [
                {"index": 0, "reason": "date is not YYYY-MM-DD"},
                {"index": 1, "reason": "energy is not a non-negative number"},
                {"index": 2, "reason": "driver is not a number"}]}},
            {"status": 400},
            {"status": 400},
            {"status": 422},
        ],
        "kv": {"days": [
            {"date": "2026-03-02", "e": 460, "x": 13, "ok": True},
            {"date": "2026-03-03", "e": 280, "x": 8, "ok": True},
            {"date": "2026-03-04", "ok": False},
            {"date": "2026-03-05", "e": 620 + 450, "ok": False},
            {"date": "2026-03-06", "e": 520, "x": 16, "ok": True},
            {"date": "2026-03-07", "e": 360, "x": 10, "ok": True, "exp": exp6, "dev": exp6 - 360}],
            "site": {"model": {"n": 3, "intercept": mb["a"], "slope": mb["b"], "r2": mb["r2"], "cvrmse_pct": mb["cv"]}}},
        "logs": ["older than the last one", "energy_kwh is not a number: \"err\"", "counter went back from 1460 to 40",
                 "no energy reading for 1440.0 min", "(incomplete: not used)"],
    },
    "rel": 1e-6,
})
print("fixtures written")
