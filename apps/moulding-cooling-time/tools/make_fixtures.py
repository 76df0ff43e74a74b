#!/usr/bin/env python3
"""Writes the fixtures of apps/moulding-cooling-time. Every expected value is worked out here
in plain Python from the formula and the cited table values (the arithmetic is repeated in
each fixture's description), never taken from the app's output.
Run: python3 apps/moulding-cooling-time/tools/make_fixtures.py"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
OUT = os.path.join(HERE, "..", "fixtures")
T0 = 1780000000000
PI2 = math.pi ** 2


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


def tel(device, product, ts, **values):
    return {"kind": "telemetry", "device": device, "product": product,
            "points": [{"property": k, "ts": ts, "value": v} for k, v in values.items()]}


def tc(s, a, tm, tw, te):
    return s * s / (PI2 * a) * math.log(8 / PI2 * (tm - tw) / (te - tw))


def per_day(hours, cycle, saving):
    shots = hours * 3600 / cycle
    return shots, shots * saving / 3600, hours * 3600 / (cycle - saving) - shots, saving / (cycle - saving) * 100


# --- 1. Worked example by hand: ABS, 2.5 mm -------------------------------------------------
s, a, tm, tw, te = 2.5, 0.17, 240.0, 60.0, 98.0
t1 = tc(s, a, tm, tw, te)
k = s * s / (PI2 * a)
arg = 8 / PI2 * (tm - tw) / (te - tw)
sav = 6.5 - t1
shots, h_day, extra, gain = per_day(16, 20.0, sav)
desc = (
    "Hand arithmetic of the plate formula t_c = s²/(π²·α)·ln((8/π²)(T_M − T_W)/(T_E − T_W)) "
    "(Osswald, Turng & Gramann, Injection Molding Handbook, 2nd ed.) for an ABS part, wall 2.5 mm, "
    "with the built-in ABS values α = 0.17 mm²/s (Crawford, Plastics Engineering, 3rd ed., Table 1.8: "
    "1.7×10⁻⁷ m²/s) and T_E = 98 °C (HDT at 0.45 MPa), melt 240 °C, mould 60 °C: "
    f"s²/(π²α) = 6.25/(9.869604 × 0.17) = {k:.6f} s; (8/π²)(240 − 60)/(98 − 60) = 0.810569 × 4.736842 = {arg:.6f}; "
    f"ln = {math.log(arg):.6f}; t_c = {t1:.6f} s. Set cooling 4.0 s < t_c: cooling_time_too_short raised "
    f"(short by {t1 - 4:.4f} s), saving 0. Then the set cooling goes to 6.5 s (the other values from the latest "
    f"stored ones): 6.5 ≥ t_c + 0.3 s hysteresis, cleared; saving per shot 6.5 − {t1:.6f} = {sav:.6f} s; at the "
    f"measured 20 s cycle over 16 production hours: 16 × 3600/20 = {shots:.0f} shots a day, {shots:.0f} × {sav:.6f}/3600 = "
    f"{h_day:.6f} h a day saved, 57600/(20 − {sav:.6f}) − 2880 = {extra:.4f} extra shots a day, "
    f"{sav:.6f}/(20 − {sav:.6f}) = {gain:.4f} % more output. Derived telemetry on (write_telemetry)."
)
write("abs-worked-example-by-hand.json", {
    "description": desc,
    "config": {"material": "ABS", "wall_thickness_mm": 2.5, "hours_per_day": 16, "write_telemetry": True},
    "devices": {"imm-a": {"product": "imm"}},
    "events": [
        tel("imm-a", "imm", T0, melt_temp=240.0, mould_temp=60.0, cooling_time=4.0, cycle_time=20.0, state=1),
        tel("imm-a", "imm", T0 + 60000, cooling_time=6.5),
    ],
    "expect": {
        "results": [0, 0],
        "writes": [
            {"device": "imm-a", "ts": T0, "values": {"cooling_time_min": t1, "cooling_saving_s": 0.0}},
            {"device": "imm-a", "ts": T0 + 60000, "values": {"cooling_time_min": t1, "cooling_saving_s": sav}},
        ],
        "alarms": [
            {"op": "raise", "device": "imm-a", "type": "cooling_time_too_short",
             "details": {"t_c_s": t1, "set_cooling_s": 4.0, "short_by_s": t1 - 4.0, "material": "ABS"}},
            {"op": "clear", "device": "imm-a", "type": "cooling_time_too_short"},
        ],
        "kv": {"imm:imm-a": {"ts": T0 + 60000, "t_c": t1, "required": t1, "saving_s": sav, "deficit": 0.0,
                             "shots_day": shots, "saved_h_day": h_day, "extra_shots_day": extra,
                             "gain_pct": gain, "status": "excess", "alarm": False, "alpha": 0.17, "t_eject": 98.0}},
        "logs": ["imm-a: t_c 5.01 s (ABS 2.5 mm"],
    },
    "rel": 1e-6,
})

# --- 2. The demo's moulding machine with the defaults (PP, 3 mm) -----------------------------
products = json.load(open(os.path.join(ROOT, "crates", "ironloom", "demo", "products.json")))
imm = next(p for p in products if p["product_key"] == "demo-imm")
s, a, te = 3.0, 0.065, 100.0
t2 = tc(s, a, 230.4, 46.2, te)
k2 = s * s / (PI2 * a)
arg2 = 8 / PI2 * (230.4 - 46.2) / (te - 46.2)
sav2 = 18.0 - t2
shots2, h2, extra2, gain2 = per_day(24, 30.12, sav2)
sav4 = 15.0 - t2
shots4, h4, extra4, gain4 = per_day(24, 30.12, sav4)
desc = (
    "The demo's 250 t machine (demo-imm, its thing model) with the defaults: PP, 3 mm, α = 0.065 mm²/s "
    "(Crawford Table 1.8: 0.65×10⁻⁷ m²/s), T_E = 100 °C. The set cooling 18 s and the cycle 30.12 s are stored "
    "before; the first message carries melt 230.4 and mould 46.2 °C only (the others from the latest values): "
    f"s²/(π²α) = 9/(9.869604 × 0.065) = {k2:.6f} s; (8/π²)(230.4 − 46.2)/(100 − 46.2) = {arg2:.6f}; "
    f"t_c = {k2:.6f} × ln {arg2:.6f} = {t2:.6f} s; saving 18 − t_c = {sav2:.6f} s a shot; 86400/30.12 = {shots2:.4f} "
    f"shots a day, {h2:.6f} h a day, {extra2:.4f} extra shots, {gain2:.4f} % more output; no alarm. "
    "A phase/reject_count message is not for the app. The set cooling goes to 12 s (< t_c): raised; to 14.5 s "
    f"(≥ t_c = {t2:.4f} but < t_c + 0.3 s hysteresis = {t2 + 0.3:.4f}): stays raised; to 15 s: cleared, saving "
    f"15 − t_c = {sav4:.6f} s ({h4:.6f} h a day). No telemetry written (write_telemetry off by default)."
)
write("demo-imm-defaults.json", {
    "description": desc,
    "thing_models": {"demo-imm": imm["thing_model"]},
    "devices": {"imm-01": {"product": "demo-imm", "latest": {
        "cooling_time": {"ts": T0 - 600000, "value": 18.0},
        "cycle_time": {"ts": T0 - 30000, "value": 30.12},
        "state": {"ts": T0 - 600000, "value": 1}}}},
    "events": [
        tel("imm-01", "demo-imm", T0, melt_temp=230.4, mould_temp=46.2),
        tel("imm-01", "demo-imm", T0 + 5000, phase=4, reject_count=1913),
        tel("imm-01", "demo-imm", T0 + 60000, cooling_time=12.0),
        tel("imm-01", "demo-imm", T0 + 120000, cooling_time=14.5),
        tel("imm-01", "demo-imm", T0 + 180000, cooling_time=15.0),
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0],
        "writes": [],
        "alarms": [
            {"op": "raise", "device": "imm-01", "type": "cooling_time_too_short",
             "details": {"t_c_s": t2, "set_cooling_s": 12.0, "material": "PP", "wall_thickness_mm": 3.0}},
            {"op": "clear", "device": "imm-01", "type": "cooling_time_too_short"},
        ],
        "kv": {"imm:imm-01": {"ts": T0 + 180000, "t_c": t2, "set_cooling": 15.0, "cycle": 30.12,
                              "saving_s": sav4, "shots_day": shots4, "saved_h_day": h4, "gain_pct": gain4,
                              "status": "excess", "alarm": False, "machine_state": 1, "melt": 230.4, "mould": 46.2}},
        "logs": ["imm-01: t_c 14.32 s (PP 3 mm"],
    },
    "rel": 1e-6,
})

# --- 3. Bad and missing data -------------------------------------------------------------
t3 = tc(3.0, 0.065, 230.0, 50.0, 100.0)
sav3 = 20.0 - t3
desc = (
    "Bad and missing data, defaults (PP, 3 mm). imm-txt's melt temperature is text ('err', its own device: a "
    "series is typed by its first value): warned, no cooling time (status no_data), never a trap. imm-02: a first "
    "message without a mould temperature (none stored either): warned, nothing computed; then the mould "
    f"temperature arrives: t_c = 9/(π² × 0.065) × ln((8/π²)(230 − 50)/(100 − 50)) = {t3:.6f} s, set 20 s, saving "
    f"{sav3:.6f} s; the cycle time is negative (-5): ignored, no savings per day. A message older than the last "
    "(out of order, set cooling 5 s that would raise the alarm) is skipped: no alarm. A mould at 105 °C, above "
    "PP's ejection temperature 100 °C: warned ('not below the ejection temperature'), status invalid, t_c null."
)
write("bad-and-missing-data.json", {
    "description": desc,
    "devices": {"imm-txt": {"product": "imm"}, "imm-02": {"product": "imm"}},
    "events": [
        tel("imm-txt", "imm", T0, melt_temp="err", mould_temp=45.0, cooling_time=18.0),
        tel("imm-02", "imm", T0, melt_temp=230.0, cooling_time=20.0, cycle_time=-5.0),
        tel("imm-02", "imm", T0 + 60000, mould_temp=50.0),
        tel("imm-02", "imm", T0 + 30000, cooling_time=5.0),
        tel("imm-02", "imm", T0 + 120000, mould_temp=105.0),
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0],
        "writes": [],
        "alarms": [],
        "kv": {
            "imm:imm-txt": {"status": "no_data", "melt": None, "mould": 45.0},
            "imm:imm-02": {"ts": T0 + 120000, "status": "invalid", "t_c": None, "mould": 105.0,
                           "saving_s": sav3, "shots_day": None, "cycle": None},
        },
        "logs": ["melt_temp is not a number", "melt or mould temperature unknown",
                 "mould temperature 105 °C is not below the ejection temperature 100 °C",
                 "is older than the last"],
    },
    "rel": 1e-6,
})
print("ok", t1, t2, t3)
