#!/usr/bin/env python3
"""Expected values of the steam-trap fixtures, worked out independently of the app.

Napier's rule is written out here (W = 24.24·p_abs[psia]·D²[in²] lb/h); the downstream-
temperature thresholds come from the `iapws` package (pip install iapws, an independent
IAPWS-IF97): T_s at the back pressure and the temperature of live steam throttled to it,
T(p_b, h_g(p_line)). The steam lost is each reading's rate held until the next, by hand.

  python3 apps/steam-trap-loss/tools/expected.py --write   # rewrites the generated fixtures
"""
import json, os, sys
from iapws import IAPWS97

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")
PSI = 6.894757293168  # kPa
LB = 0.45359237


def napier_kg_h(p_g_kpa, d_mm, atm=101.325):
    return 24.24 * ((p_g_kpa + atm) / PSI) * (d_mm / 25.4) ** 2 * LB


def r(v):
    return float(f"{v:.10g}")


def tm(extra=()):
    props = [("trap_status", "int"), ("downstream_temp", "double"), ("steam_loss", "double")] + list(extra)
    return {"properties": [{"identifier": i, "name": i, "data_type": {"type": t, **({"unit": "kg/h"} if i == "steam_loss" else {})}}
                           for i, t in props]}


def ev(dev, ts, **v):
    return {"kind": "telemetry", "device": dev, "points": [{"property": k, "ts": ts, "value": x} for k, x in v.items()]}


def status_fixture():
    atm = 14.7 * PSI
    full = napier_kg_h(100 * PSI, 3.175, atm)      # 24.24 × 114.7 × 0.125² lb/h = 43.4426 lb/h
    leak = 0.25 * full
    t0, m = 1780000000000, 600000                  # readings 10 min apart
    statuses = ["good", "unknown", "blow-through", "Blow-through", "leaking", "Leaking", "ok", "OK"]
    events = [ev("trap-01", t0 + i * m, trap_status=s) for i, s in enumerate(statuses)]
    # the confirmed status (2 readings in a row); "unknown" is skipped and writes nothing
    losses = {0: 0, 2: 0, 3: full, 4: full, 5: leak, 6: leak, 7: 0}
    lost_total = full * 20 / 60 + leak * 20 / 60   # full 20 min (readings 3→5), leak 20 min (5→7)
    w = [{"device": "trap-01", "ts": t0 + i * m, "values": {"steam_loss": r(x)}} for i, x in losses.items()]
    return {
        "description": ("A trap monitor's status words, confirmed after 2 readings in a row (10 min apart): good, an unknown word (skipped), blow-through ×2 "
                        "(raised, major), 'leaking' ×2 (a quarter of the loss, raised again as minor), ok ×2 (cleared). "
                        "Hand calculation (Napier): 100 psig + 14.7 psia atmosphere = 114.7 psia, 1/8 in orifice: "
                        "24.24 × 114.7 × 0.125² = 43.4426 lb/h = 19.7052 kg/h; 8760 h at 30 per tonne: 172.618 t and "
                        "5178.54 a year; steam lost = 19.7052 × 20/60 + 4.9263 × 20/60 = 8.2105 kg (tools/expected.py)."),
        "config": {"pressure_unit": "psi", "steam_pressure": 100, "atmospheric_pressure_kpa": r(atm), "orifice_mm": 3.175,
                   "hours_per_year": 8760, "steam_price": 30, "currency": "USD", "confirm_points": 2},
        "thing_models": {"trap-monitor": {"properties": [
            {"identifier": "trap_status", "name": "Trap status", "data_type": {"type": "text"}},
            {"identifier": "steam_loss", "name": "Steam loss", "data_type": {"type": "double", "unit": "kg/h"}}]}},
        "devices": {"trap-01": {"product": "trap-monitor"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": w,
            "alarms": [{"op": "raise", "device": "trap-01", "type": "steam_trap_steam_loss", "severity": "major",
                        "details": {"status": 2, "steam_loss_kg_h": r(full), "steam_t_year": r(full * 8.76),
                                    "cost_year": r(full * 8.76 * 30)}},
                       {"op": "raise", "device": "trap-01", "type": "steam_trap_steam_loss", "severity": "minor",
                        "details": {"status": 1, "steam_loss_kg_h": r(leak)}},
                       {"op": "clear", "device": "trap-01", "type": "steam_trap_steam_loss"}],
            "kv": {"trap:trap-01": {"status": 0, "loss": 0, "lost": 0, "lost_total": r(lost_total), "since": t0 + 7 * m}},
            "logs": ["unknown trap status: reading skipped"],
        },
        "rel": 1e-6,
    }


def temperature_fixture():
    atm = 101.325
    pl, pb = (700 + atm) / 1000, atm / 1000
    hg = IAPWS97(P=pl, x=1).h
    tsb = IAPWS97(P=pb, x=1).T - 273.15
    tthr = IAPWS97(P=pb, h=hg).T - 273.15
    tblow = tsb + 0.5 * (tthr - tsb)
    temps = [101.5, 145.5, 146.5, 35.5, 33.5]
    assert temps[0] < tblow < temps[1] and temps[3] < 60
    loss = napier_kg_h(700, 3.175)
    t0, m = 1780000000000, 300000
    events = [ev("trap-12", t0 + i * m, downstream_temp=t) for i, t in enumerate(temps)]
    losses = [0, 0, loss, loss, 0]
    return {
        "description": (f"Status from the downstream temperature of a trap on a 7 bar(g) line discharging to atmosphere: "
                        f"h_g(0.801 MPa) = {hg:.1f} kJ/kg throttled to 0.101 MPa is steam at {tthr:.1f} °C, saturation "
                        f"there is {tsb:.2f} °C, so blow-through from {tblow:.1f} °C (half-way, detect_fraction 0.5; iapws "
                        f"IF97 in tools/expected.py). Readings 5 min apart: {temps[0]} °C (ok), {temps[1]} and {temps[2]} "
                        f"(blow-through, confirmed on the second: raised), {temps[3]} and {temps[4]} (cold below 60 °C: "
                        f"steam-loss alarm cleared, cold alarm raised). Napier: 24.24 × (801.325/6.894757) psia × 0.125² "
                        f"lb/h = {loss:.4f} kg/h."),
        "config": {"status_property": "", "steam_pressure": 7, "confirm_points": 2, "steam_price": 200},
        "thing_models": {"trap-sensor": {"properties": [
            {"identifier": "downstream_temp", "name": "Downstream temperature", "data_type": {"type": "double", "unit": "°C"}},
            {"identifier": "steam_loss", "name": "Steam loss", "data_type": {"type": "double", "unit": "kg/h"}}]}},
        "devices": {"trap-12": {"product": "trap-sensor"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [{"device": "trap-12", "ts": t0 + i * m, "values": {"steam_loss": r(x)}} for i, x in enumerate(losses)],
            "alarms": [{"op": "raise", "device": "trap-12", "type": "steam_trap_steam_loss", "severity": "major",
                        "details": {"status": 2, "steam_loss_kg_h": r(loss), "steam_t_year": r(loss * 8), "cost_year": r(loss * 8 * 200)}},
                       {"op": "clear", "device": "trap-12", "type": "steam_trap_steam_loss"},
                       {"op": "raise", "device": "trap-12", "type": "steam_trap_cold", "severity": "minor"}],
            "kv": {"trap:trap-12": {"status": 3, "T_down": temps[4], "lost_total": r(loss * 10 / 60), "lost": 0}},
            "logs": [f"blow-through from {tblow:.1f} °C"],
        },
        "rel": 1e-6,
    }


def overrides_fixture():
    t0, m = 1780000000000, 60000
    a = napier_kg_h(700, 3.175)             # defaults: 7 bar(g), 1/8 in
    b = napier_kg_h(1000, 6.35)             # trap-B's own entry: 10 bar(g), 1/4 in
    events = [ev("trap-A", t0, trap_status=2), ev("trap-B", t0, trap_status=2),
              ev("trap-B", t0 + 30 * m, trap_status=2),        # 30 min held: b × 0.5 h lost
              ev("trap-B", t0 + 150 * m, trap_status=2)]       # 2 h later, beyond max_gap 1 h: not counted
    return {
        "description": ("First readings and per-trap settings, confirm_points 1: trap-A on the defaults (7 bar(g), 1/8 in: "
                        f"{a:.4f} kg/h), trap-B with its own entry (10 bar(g), 1/4 in: 24.24 × (1101.325/6.894757) × 0.25² "
                        f"lb/h = {b:.4f} kg/h). trap-B's next reading 30 min later adds {b/2:.4f} kg; the one after comes "
                        "2 h later, more than max_gap (1 h): not counted. A first reading has nothing to integrate. "
                        "Hand calculation (Napier) in tools/expected.py."),
        "config": {"confirm_points": 1, "traps": [{"device": "trap-B", "orifice_mm": 6.35, "steam_pressure": 10}]},
        "devices": {"trap-A": {"product": "trap-monitor"}, "trap-B": {"product": "trap-monitor"}},
        "events": events,
        "expect": {
            "results": [0] * 4,
            "writes": [{"device": "trap-A", "ts": t0, "values": {"steam_loss": r(a)}},
                       {"device": "trap-B", "ts": t0, "values": {"steam_loss": r(b)}},
                       {"device": "trap-B", "ts": t0 + 30 * m, "values": {"steam_loss": r(b)}},
                       {"device": "trap-B", "ts": t0 + 150 * m, "values": {"steam_loss": r(b)}}],
            "alarms": [{"op": "raise", "device": "trap-A", "type": "steam_trap_steam_loss", "severity": "major"},
                       {"op": "raise", "device": "trap-B", "type": "steam_trap_steam_loss", "severity": "major"}],
            "kv": {"trap:trap-A": {"status": 2, "lost": 0, "D": 3.175, "p_g": 7},
                   "trap:trap-B": {"status": 2, "lost": r(b / 2), "lost_total": r(b / 2), "D": 6.35, "p_g": 10, "since": t0}},
        },
        "rel": 1e-6,
    }


def bad_fixture():
    t0, m = 1780000000000, 60000
    loss = napier_kg_h(700, 3.175)
    events = [
        ev("trap-05", t0, battery=3.6),                                   # nothing about the trap
        ev("trap-05", t0 + m, trap_status=9),                              # unknown code, no temperature: skipped
        ev("trap-05", t0 + 2 * m, trap_status=7),                          # unknown code, no temperature: skipped
        ev("trap-05", t0 + 3 * m, trap_status=2, line_pressure=7.0),       # blow-through at 7 bar(g)
        ev("trap-05", t0 + 2 * m + 30000, trap_status=0),                  # older than the last reading used: ignored
        ev("trap-05", t0 + 4 * m, trap_status=2, line_pressure=0.0),       # line off/pressure 0: out of range, skipped
        ev("trap-05", t0 + 5 * m, trap_status=9, downstream_temp=30.5, line_pressure=7.0),  # temperature decides: cold
    ]
    return {
        "description": ("Bad and missing data, confirm_points 1, the line pressure from the trap's own property: a message "
                        "without trap data; two unknown status codes with no temperature (skipped); a "
                        f"blow-through at 7 bar(g) ({loss:.4f} kg/h, Napier by hand in tools/expected.py); a replayed older "
                        "reading (ignored); a zero line pressure (skipped); an unknown status code with a cold downstream "
                        "temperature (the temperature decides: cold, steam loss cleared). Lost: the blow-through held "
                        f"2 min until the cold reading = {loss*2/60:.5f} kg."),
        "config": {"confirm_points": 1, "pressure_property": "line_pressure"},
        "devices": {"trap-05": {"product": "trap-monitor"}},
        "events": events,
        "expect": {
            "results": [0] * len(events),
            "writes": [{"device": "trap-05", "ts": t0 + 3 * m, "values": {"steam_loss": r(loss)}},
                       {"device": "trap-05", "ts": t0 + 5 * m, "values": {"steam_loss": 0}}],
            "alarms": [{"op": "raise", "device": "trap-05", "type": "steam_trap_steam_loss", "severity": "major"},
                       {"op": "clear", "device": "trap-05", "type": "steam_trap_steam_loss"},
                       {"op": "raise", "device": "trap-05", "type": "steam_trap_cold", "severity": "minor"}],
            "kv": {"trap:trap-05": {"status": 3, "lost_total": r(loss * 2 / 60), "T_down": 30.5}},
            "logs": ["unknown trap status: reading skipped", "out of range", "the downstream temperature decides"],
        },
        "rel": 1e-6,
    }


if __name__ == "__main__":
    fx = {"status-raise-clear.json": status_fixture(), "downstream-temperature.json": temperature_fixture(),
          "per-trap-first-readings.json": overrides_fixture(), "bad-data.json": bad_fixture()}
    for name, f in fx.items():
        print(name, f["description"][:160])
        if "--write" in sys.argv:
            with open(os.path.join(FIX, name), "w") as out:
                json.dump(f, out, ensure_ascii=False, indent=1)
                out.write("\n")
