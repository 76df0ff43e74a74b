#!/usr/bin/env python3
"""Writes apps/peak-demand/fixtures/hour-of-1s-samples.json: a meter that reports its power
every second, read back in one run over a 60-minute window (3 721 points), which must stay
well within the app's fuel (manifest limits.fuel). The expected values come from the hand
calculation in the description, never from the app.
Run: python3 apps/peak-demand/tools/make_long_history.py"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "hour-of-1s-samples.json")
S, MIN = 1000, 60_000

T0 = 1780000020000  # a minute boundary: 2026-05-28 20:27 UTC, 2026-05-29 04:27 at UTC+8
END = T0 + 60 * MIN  # the run closes the 60 minutes [T0, END)
GAP_S = 120  # max_gap_s (the default): the run reads from T0 - 120 s


def power(t):
    """kW at time t (ms): 90 and 110 in turn every second for 30 minutes (minute means 100),
    then 190 and 210 in turn (minute means 200); 100 before T0, 200 at END."""
    if t < T0:
        return 100.0
    if t >= END:
        return 200.0
    s = (t - T0) // S
    base = 100.0 if t < T0 + 30 * MIN else 200.0
    return base - 10.0 if s % 2 == 0 else base + 10.0


points = [[t, power(t)] for t in range(T0 - GAP_S * S, END + S, S)]  # every second, END included
minutes = [100.0] * 30 + [200.0] * 30
demand = sum(minutes) / 60  # 150
forecast = (sum(minutes[5:]) + 5 * 200.0) / 60  # the last 55 minutes and 5 at the present 200 kW

fixture = {
    "description": (
        "A meter reporting its power every second, read back in one run: the installation "
        "last ran two hours before (state seeded), so the run at 05:27 local (UTC+8) restarts "
        "the window and closes all 60 minutes of window_min 60 at once, from a history of "
        f"{len(points)} points (1 s apart, from 120 s = max_gap_s before the window to its end). "
        "By hand: 04:27-04:57 alternates 90 and 110 kW every second (each held 1 s: minute "
        "means 100), 04:57-05:27 alternates 190 and 210 (minute means 200); demand = "
        "(30 x 100 + 30 x 200)/60 = 150 kW, the month's maximum; present power 200 kW (the "
        "sample at 05:27); forecast of the window ending 5 min ahead (forecast_min 5) = "
        "(25 x 100 + 30 x 200 + 5 x 200)/60 = 158.333 kW >= 95 % of the 160 kW contract "
        "(152 kW): demand_forecast_high raised; 150 <= 105 % of 160 (168 kW): no "
        "demand_over_contract, 160 kW billed, 160 x 40 = 6 400. The history is read in one "
        "pass (each point once), so the run stays well within the app's fuel. Written by "
        "tools/make_long_history.py."
    ),
    "config": {"devices": ["main-meter"], "window_min": 60, "forecast_min": 5, "contract_kw": 160},
    "devices": {"main-meter": {"product": "meter", "history": {"power": points}}},
    "kv": {"site": {"last_end": T0 - 120 * MIN, "minutes": []}},
    "events": [{"kind": "schedule", "cron": "* * * * *", "at": END + 5 * S}],
    "expect": {
        "results": [0],
        "writes": [],
        "alarms": [{"op": "raise", "device": "main-meter", "type": "demand_forecast_high"}],
        "kv": {
            "site": {
                "last_end": END,
                "minutes": minutes,
                "demand_kw": demand,
                "demand_at": END,
                "max_kw": demand,
                "max_at": END,
                "forecast_kw": forecast,
                "present_kw": 200,
                "billed_kw": 160,
                "charge": 6400,
                "coverage": 1,
                "warn_alarm": 1,
                "over_alarm": 0,
            }
        },
        "logs": ["the window restarts", "minute 200.000 kW, demand 150.000 kW, forecast 158.333 kW"],
    },
    "rel": 1e-6,
}

with open(OUT, "w") as f:
    json.dump(fixture, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
print(f"wrote {OUT}: {len(points)} points")
