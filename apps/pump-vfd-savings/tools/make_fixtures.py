#!/usr/bin/env python3
"""Writes the fixtures of apps/pump-vfd-savings. Expected values are computed here from the
method (exact interpolation through the configured points, an implementation independent of
src/main.c's least squares); each description carries the hand arithmetic."""
import json, math, os

SEC = 1000
MIN = 60 * SEC
H = 60 * MIN
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")
ROOT = os.path.join(HERE, "..", "..", "..")
D0 = 1780243200000  # 2026-06-01 00:00 local (UTC+8)
G = 9.80665


def write(name, fx):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fx, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(dev, ts, **vals):
    return {"kind": "telemetry", "device": dev,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in vals.items()]}


def lagrange(xs, ys):
    """Coefficients (p0, p1, p2) of the parabola through three points."""
    (x0, x1, x2), (y0, y1, y2) = xs, ys
    p = [0.0, 0.0, 0.0]
    for xi, yi, xj, xk in ((x0, y0, x1, x2), (x1, y1, x0, x2), (x2, y2, x0, x1)):
        d = (xi - xj) * (xi - xk)
        p[0] += yi * xj * xk / d
        p[1] += -yi * (xj + xk) / d
        p[2] += yi / d
    return p


class Model:
    def __init__(s, qc, hc, qe, ee, hs, k, rho=998, em=0.92, ed=0.97, rmin=0.3):
        s.a, s.b, s.c = lagrange(qc, hc)
        s.e = lagrange(qe, [x / 100 for x in ee])
        s.hs, s.k, s.rho, s.em, s.ed, s.rmin = hs, k, rho, em, ed, rmin

    def eta(s, q):
        return min(0.95, max(0.05, s.e[0] + s.e[1] * q + s.e[2] * q * q))

    def op(s, q):
        kh = s.rho * G / 3.6e6
        hp = s.a + s.b * q + s.c * q * q
        hsys = s.hs + s.k * q * q
        if hp <= hsys:
            pt = kh * q * hp / s.eta(q) / s.em
            return {"r": 1.0, "pt": pt, "pv": pt / s.ed, "ht": hp, "hv": hp, "full": True}
        pt = kh * q * hp / s.eta(q) / s.em
        r = (-s.b * q + math.sqrt(s.b ** 2 * q * q - 4 * s.a * (s.c * q * q - hsys))) / (2 * s.a)
        hv = hsys
        if r < s.rmin:
            r = s.rmin
            hv = max(hsys, s.a * r * r + s.b * q * r + s.c * q * q)
        pv = kh * q * hv / s.eta(q / r) / (s.em * s.ed)
        return {"r": r, "pt": pt, "pv": pv, "ht": hp, "hv": hv, "full": False}


def f(x, n=3):
    return f"{x:.{n}f}"

# ------------------------------------------------------------ 1. the method by hand

m = Model([0, 100, 200], [50, 45, 30], [90, 180, 270], [60, 80, 60], 10, 20 / 200 ** 2, rho=1000, em=0.95, ed=0.97)
duty = [(200.0, 8), (150.0, 8), (100.0, 8)]
ops = {q: m.op(q) for q, _ in duty}
kwh_t = sum(ops[q]["pt"] * h for q, h in duty)
kwh_v = sum(ops[q]["pv"] * h for q, h in duty)
save = kwh_t - kwh_v
PRICE, DRIVE, YEAR_H = 0.10, 8000.0, 8000.0
year_save = save / 24 * YEAR_H
events = []
for i in range(0, 24 * 12 + 1):
    t = D0 + i * 5 * MIN
    q = 200.0 if t < D0 + 8 * H else (150.0 if t < D0 + 16 * H else 100.0)
    events.append(tel("p-1", t, flow=q, run_state=1))
kh = 1000 * G / 3.6e6
e = lambda q: 0.8 * (2 * q / 180 - q * q / 180 ** 2)
desc = (
    "The method of Europump and Hydraulic Institute, 'Variable Speed Pumping - A Guide to Successful Applications' (2004) and its US DOE "
    "Executive Summary: throttled, the pump runs at full speed on its curve and the valve burns the head the system does not need; with a "
    "drive, the affinity laws (Q ~ n, H ~ n^2, similar points at the same efficiency) slow it until its curve meets the system curve. "
    "Worked by hand. Pump curve at rated speed through (0, 50), (100, 45), (200, 30) m: H = 50 - 0.0005 Q^2. Efficiency through "
    "(90, 60 %), (180, 80 %), (270, 60 %): eta = 0.8 (2Q/180 - Q^2/180^2). System: static 10 m, design point (200 m3/h, 30 m): "
    "k = (30 - 10)/200^2 = 0.0005, H = 10 + 0.0005 Q^2. Water 1000 kg/m3, g 9.80665: rho g/3.6e6 = 0.00272407 kW per m3/h.m. Motor 95 %, "
    "drive 97 %. Duty: 8 h each at 200, 150 and 100 m3/h (readings every 5 min on 2026-06-01). "
    "Q = 200: the curves meet (H = 30 m, r = 1), eta = " + f(e(200) * 100, 3) + " %: throttled 0.00272407 x 200 x 30 / " + f(e(200), 5)
    + " / 0.95 = " + f(ops[200]['pt']) + " kW, with the drive only its losses: / 0.97 = " + f(ops[200]['pv']) + " kW. "
    "Q = 150: throttled H = 50 - 11.25 = 38.75 m, eta = " + f(e(150) * 100, 3) + " %: " + f(ops[150]['pt']) + " kW; drive: 50 r^2 - 11.25 = "
    "21.25 -> r^2 = 0.65, r = " + f(ops[150]['r'], 5) + " (" + f(ops[150]['r'] * 1480, 0) + " of 1480 r/min), similar point Q/r = "
    + f(150 / ops[150]['r'], 2) + ", eta = " + f(e(150 / ops[150]['r']) * 100, 3) + " %: 0.00272407 x 150 x 21.25 / " + f(e(150 / ops[150]['r']), 5)
    + " / (0.95 x 0.97) = " + f(ops[150]['pv']) + " kW. Q = 100: throttled H = 45 m, eta = " + f(e(100) * 100, 3) + " %: " + f(ops[100]['pt'])
    + " kW; drive: 50 r^2 - 5 = 15 -> r^2 = 0.4, r = " + f(ops[100]['r'], 5) + ", Q/r = " + f(100 / ops[100]['r'], 2) + ", eta = "
    + f(e(100 / ops[100]['r']) * 100, 3) + " %: " + f(ops[100]['pv']) + " kW. Day: throttled 8 x (" + " + ".join(f(ops[q]['pt']) for q, _ in duty)
    + ") = " + f(kwh_t) + " kWh, drive " + f(kwh_v) + " kWh, saving " + f(save) + " kWh (" + f(100 * save / kwh_t, 2) + " %). Per year at "
    "8 000 running hours: " + f(save, 3) + " / 24 x 8000 = " + f(year_save, 1) + " kWh, at $0.10/kWh $" + f(year_save * PRICE, 2)
    + "; a drive installed for $8 000 pays back in " + f(DRIVE / (year_save * PRICE), 3) + " years. Hand calculation.")
write("vsp-guide-method-by-hand.json", {
    "description": desc,
    "config": {"rated_speed_rpm": 1480, "pump_curve_flow_m3h": [0, 100, 200], "pump_curve_head_m": [50, 45, 30],
               "efficiency_flow_m3h": [90, 180, 270], "efficiency_pct": [60, 80, 60], "static_head_m": 10,
               "design_flow_m3h": 200, "design_head_m": 30, "motor_efficiency_pct": 95, "drive_efficiency_pct": 97,
               "density_kg_m3": 1000, "band_m3h": 10, "price_per_kwh": PRICE, "currency": "USD", "drive_cost": DRIVE,
               "annual_running_hours": YEAR_H, "head_property": "", "write_telemetry": True},
    "devices": {"p-1": {"product": "pump"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [{"device": "p-1", "ts": D0 + 24 * H - 1000,
                    "values": {"throttle_kwh": kwh_t, "vfd_kwh": kwh_v, "vfd_saving_kwh": save}}],
        "alarms": [],
        "kv": {
            "d:p-1": [{"date": "2026-06-01", "run_h": 24.0, "mean_flow": 150.0, "throttle_kwh": kwh_t, "vfd_kwh": kwh_v,
                       "saving_kwh": save, "saving_cost": save * PRICE, "full_speed_h": 8.0}],
            "c:p-1": {"curves": {"a": 50.0, "c": -0.0005, "static_m": 10.0, "k": 0.0005, "k_source": "design point"},
                      "total": {"run_h": 24.0, "throttle_kwh": kwh_t, "vfd_kwh": kwh_v, "saving_kwh": save},
                      "year": {"run_h": YEAR_H, "saving_kwh": year_save, "saving_cost": year_save * PRICE,
                               "payback_years": DRIVE / (year_save * PRICE)},
                      "duty": [{"from": 100.0, "q": 100.0, "h": 8.0, "speed_pct": 100 * ops[100]["r"], "rpm": 1480 * ops[100]["r"],
                                "kw_t": ops[100]["pt"], "kw_v": ops[100]["pv"]},
                               {"from": 150.0, "q": 150.0, "h": 8.0, "speed_pct": 100 * ops[150]["r"], "kw_t": ops[150]["pt"],
                                "kw_v": ops[150]["pv"]},
                               {"from": 200.0, "q": 200.0, "h": 8.0, "kw_t": ops[200]["pt"], "kw_v": ops[200]["pv"]}]},
        },
        "logs": ["day 2026-06-01: 24.00 h running at 150.00 m3/h mean; throttled " + f(kwh_t)],
    },
    "rel": 1e-7,
})

# ------------------------------------------------------------ 2. the demo pump, defaults

products = json.load(open(os.path.join(ROOT, "crates", "ironloom", "demo", "products.json")))
tm = next(p["thing_model"] for p in products if p["product_key"] == "demo-pump")
md = Model([0, 42, 55], [40, 32.7, 27], [21, 42, 55], [55, 72, 68], 0, 32.7 / 42 ** 2)
T8 = D0 + 8 * H
events = []
for i in range(0, 5 * 60 + 1):
    t = T8 + i * MIN
    if t < T8 + 2 * H:
        s = 1.0
    elif t < T8 + 4 * H:
        s = 0.75
    else:
        s = 0.0
    q = 42.0 * s
    head = 32.7 * s * s
    events.append(tel("pump-01", t, flow=q, head=head, run_state=1 if s > 0 else 0,
                      speed_setpoint=int(1450 * s)))
o42, o31 = md.op(42.0), md.op(31.5)
kt = 2 * o42["pt"] + 2 * o31["pt"]
kv = 2 * o42["pv"] + 2 * o31["pv"]
sv = kt - kv
year_h = 8760 * 4 / 5
ys = sv / 4 * year_h
write("demo-pump.json", {
    "description": (
        "The demo's pump (product demo-pump, its thing model) with the defaults: pump curve at 1450 r/min through (0, 40), (42, 32.7), "
        "(55, 27) m: H = " + f(md.a, 4) + f" {md.b:+.6f} Q {md.c:+.8f} Q^2; efficiency through (21, 55 %), (42, 72 %), "
        "(55, 68 %); the simulator's closed loop (static head 0) through its design point 42 m3/h, 32.7 m: k = 32.7/42^2 = " + f(md.k, 7)
        + "; motor 92 %, drive 97 %, water 998 kg/m3. Readings every minute 08:00-13:00 on 2026-06-01: 2 h at the nominal speed (42 m3/h, "
        "32.7 m), 2 h with the speed setpoint at 75 % (31.5 m3/h, 18.394 m: flow ~ speed, head ~ speed^2 as the simulator makes them), "
        "1 h stopped (run_state 0). At 42 m3/h the curves meet: " + f(o42['pt']) + " kW throttled, " + f(o42['pv']) + " kW with the drive "
        "(its losses only). At 31.5 m3/h throttled: H = " + f(o31['ht']) + " m, " + f(o31['pt']) + " kW; the drive at r = " + f(o31['r'], 5)
        + " (" + f(o31['r'] * 1450, 0) + " r/min), H = " + f(o31['hv']) + " m, similar point Q/r = " + f(31.5 / o31['r'], 3) + ": " + f(o31['pv'])
        + " kW. Throttled 2 x " + f(o42['pt']) + " + 2 x " + f(o31['pt']) + " = " + f(kt) + " kWh, drive " + f(kv) + " kWh, saving " + f(sv)
        + " kWh. Running 4 of 5 observed hours: 8760 x 0.8 = 7008 h/yr, saving " + f(ys, 1) + " kWh/yr, " + f(ys * 0.75, 1)
        + " CNY at 0.75, payback of 12 000 CNY " + f(12000 / (ys * 0.75), 3) + " years. The measured flow and head also fit the friction: "
        "k_measured = sum Q^2 H / sum Q^4 = " + f(md.k, 7) + " (the simulator's system). Hand calculation."),
    "config": {},
    "thing_models": {"demo-pump": {"properties": tm["properties"]}},
    "devices": {"pump-01": {"product": "demo-pump"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [],
        "kv": {
            "c:pump-01": {"curves": {"a": md.a, "b": md.b, "c": md.c, "k": md.k, "k_measured": md.k, "k_source": "design point"},
                          "total": {"run_h": 4.0, "mean_flow": 36.75, "obs_h": 5.0, "throttle_kwh": kt, "vfd_kwh": kv,
                                    "saving_kwh": sv, "saving_cost": sv * 0.75},
                          "year": {"run_h": year_h, "saving_kwh": ys, "saving_cost": ys * 0.75,
                                   "payback_years": 12000 / (ys * 0.75)},
                          "duty": [{"from": 30.0, "q": 31.5, "h": 2.0, "speed_pct": 100 * o31["r"], "kw_t": o31["pt"], "kw_v": o31["pv"]},
                                   {"from": 42.0, "q": 42.0, "h": 2.0, "kw_t": o42["pt"], "kw_v": o42["pv"]}]},
        },
    },
    "rel": 1e-7,
})

# ------------------------------------------------------------ 3. bad and missing data

T10 = D0 + 10 * H
events = [
    tel("p-a", T10, flow=40.0, run_state=1),
    tel("p-a", T10 + 10 * MIN, flow=30.0, run_state=1),
    tel("p-a", T10 + 5 * MIN, flow=99.0, run_state=1),
    tel("p-a", T10 + 20 * MIN, flow=-3.0, run_state=1),
    tel("p-a", T10 + 30 * MIN, flow=30.0),
    tel("p-a", T10 + 60 * MIN, flow=30.0, run_state=2),
    tel("p-a", T10 + 70 * MIN, flow=20.0, run_state=1),
    tel("p-b", T10, flow="high", run_state="on"),
]
o40, o30 = md.op(40.0), md.op(30.0)
kt = o40["pt"] * 5 / 60 + o30["pt"] * 10 / 60
kv = o40["pv"] * 5 / 60 + o30["pv"] * 10 / 60
write("bad-and-missing-data.json", {
    "description": (
        "Bad and missing data with the defaults (max_gap_s 300, the demo pump's curves as in demo-pump.json; no head reported). p-a on "
        "2026-06-01: 10:00 40 m3/h running; 10:10 30 (10:00-10:05 held at 40 = 5 min, 10:05-10:10 beyond max_gap: no data); a reading dated "
        "10:05 arrives after it (older: ignored, logged); 10:20 flow -3 (negative: taken as 0, logged; 10:10-10:15 at 30, 10:15-10:20 no "
        "data); 10:30 30 without a run state (10:20-10:25 running at 0 flow: the 0 band, no energy; the run state of 10:20 is held to "
        "10:25, then no data); 11:00 30 with run_state 2 (10:30-10:35 running at 30: the run state of 10:20 is too old, the flow decides; then no data); 11:10 20 running (11:00-11:05 stopped: 2 is a fault, not the run value 1; then no data). "
        "Running: 5 min at 40, 10 min at 30, 5 min at 0 (the run state said running) = 1200 s, run_h = 1/3; stopped 300 s; no data 5 + 5 + 5 + 25 + 5 min = 2700 s. Energy 5 min "
        "at 40 (" + f(o40['pt']) + " kW throttled, " + f(o40['pv']) + " with the drive) and 10 min at 30 (" + f(o30['pt']) + ", " + f(o30['pv'])
        + "): throttled " + f(kt, 4) + " kWh, drive " + f(kv, 4) + " kWh. p-b (its own product: text series) sends text flow and run "
        "state: logged 'not a number', nothing counted. Nothing traps. Hand calculation."),
    "config": {},
    "devices": {"p-a": {"product": "pump"}, "p-b": {"product": "pump-text"}},
    "events": events,
    "expect": {
        "results": [0] * len(events),
        "writes": [],
        "alarms": [],
        "kv": {
            "c:p-a": {"t_run": 1200.0, "t_stop": 300.0, "t_nd": 2700.0,
                      "total": {"run_h": 1 / 3, "throttle_kwh": kt, "vfd_kwh": kv, "saving_kwh": kt - kv}},
            "c:p-b": {"total": {"run_h": 0.0}},
        },
        "logs": ["older than the last one", "negative flow taken as 0", "flow is not a number", "run_state is not a number"],
    },
    "rel": 1e-7,
})
print("fixtures written")
