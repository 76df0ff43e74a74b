"""Rows for the plant-energy, moist-air and solar models (imported by `crosscheck.py`):
random inputs inside each model's valid region, outputs by PsychroLib, pvlib, fluids,
iapws and scipy."""

import math

import fluids
import psychrolib
import pvlib
from iapws import IAPWS97
from scipy import stats

psychrolib.SetUnitSystem(psychrolib.SI)
# Dew points and wet bulbs to 1e-10 °C rather than the default 1e-3.
psychrolib.PSYCHROLIB_TOLERANCE = 1e-10

PACKAGES = ["psychrolib", "pvlib"]


def extend(add, uniform, log_uniform, rng, rows_per_model):
    n = rows_per_model

    for _ in range(n):
        t = uniform(-100.0, 200.0)
        if abs(t) < 0.02:  # the ice/water switch at the triple point
            continue
        add("psychro.sat_vapor_pressure", {"T": t}, {"p_ws": psychrolib.GetSatVapPres(t)}, 1e-12)

    for _ in range(n):
        t, rh, p = uniform(-30.0, 60.0), uniform(0.05, 1.0), uniform(60.0, 110.0)
        pw = psychrolib.GetVapPresFromRelHum(t, rh)
        w = psychrolib.GetHumRatioFromVapPres(pw, p * 1000.0)
        td = psychrolib.GetTDewPointFromVapPres(t, pw)
        expect = {"p_w": pw, "W": w, "h": psychrolib.GetMoistAirEnthalpy(t, w) / 1000.0,
                  "v": psychrolib.GetMoistAirVolume(t, w, p * 1000.0)}
        if abs(td) > 0.5:
            expect["T_dp"] = td
        add("psychro.moist_air_state", {"T": t, "RH": rh, "p": p}, expect, 1e-9)

    count = 0
    while count < n:
        t, p = uniform(-20.0, 50.0), uniform(70.0, 110.0)
        twb = t - uniform(0.0, 12.0)
        try:
            w = psychrolib.GetHumRatioFromTWetBulb(t, twb, p * 1000.0)
        except ValueError:
            continue
        if w <= 1e-5:
            continue
        pw = psychrolib.GetVapPresFromHumRatio(w, p * 1000.0)
        td = psychrolib.GetTDewPointFromVapPres(t, pw)
        expect = {"W": w, "RH": pw / psychrolib.GetSatVapPres(t),
                  "h": psychrolib.GetMoistAirEnthalpy(t, w) / 1000.0}
        if abs(td) > 0.5:
            expect["T_dp"] = td
        add("psychro.wet_bulb_state", {"T": t, "T_wb": twb, "p": p}, expect, 1e-9)
        count += 1

    for _ in range(n):
        z = uniform(-500.0, 11000.0)
        add("atmosphere.standard_pressure", {"Z": z},
            {"p": psychrolib.GetStandardAtmPressure(z) / 1000.0}, 1e-12)

    for _ in range(n):
        pw = log_uniform(1.0, 1.5e6)
        td = psychrolib.GetTDewPointFromVapPres(0.0, pw)
        if abs(td) > 0.5:
            add("psychro.dew_point", {"p_w": pw}, {"T_dp": td}, 1e-9)

    # Solar position by pvlib's Spencer series and analytical angles.
    for _ in range(n):
        lat, lon = uniform(-66.0, 66.0), uniform(-180.0, 180.0)
        doy, hour = float(rng.randint(1, 365)), uniform(0.0, 24.0)
        d = pvlib.solarposition.declination_spencer71(doy)
        e = pvlib.solarposition.equation_of_time_spencer71(doy)
        om = ((hour - 12.0) * 15.0 + lon + e / 4.0 + 180.0) % 360.0 - 180.0
        if abs(om) < 1e-6:
            continue
        z = pvlib.solarposition.solar_zenith_analytical(math.radians(lat), math.radians(om), d)
        a = pvlib.solarposition.solar_azimuth_analytical(math.radians(lat), math.radians(om), d, z)
        add("solar.position", {"lat": lat, "lon": lon, "doy": doy, "hour": hour},
            {"decl": math.degrees(d), "eot": float(e), "zenith": math.degrees(float(z)),
             "azimuth": math.degrees(float(a))}, 1e-9)

    for _ in range(n):
        doy, gsc = float(rng.randint(1, 366)), uniform(1300.0, 1400.0)
        g = float(pvlib.irradiance.get_extra_radiation(doy, solar_constant=gsc, method="spencer"))
        add("solar.extraterrestrial_irradiance", {"doy": doy, "G_sc": gsc}, {"G_on": g}, 1e-12)

    for _ in range(n):
        zen, p = uniform(0.0, 89.9), uniform(50.0, 105.0)
        am = float(pvlib.atmosphere.get_relative_airmass(zen, "kastenyoung1989"))
        add("solar.air_mass", {"zenith": zen, "p": p},
            {"AM": am, "AM_abs": float(pvlib.atmosphere.get_absolute_airmass(am, p * 1000.0))}, 1e-12)

    for _ in range(n):
        g, ta, ws = uniform(0.0, 1300.0), uniform(-30.0, 50.0), uniform(0.0, 20.0)
        u0, u1 = uniform(15.0, 40.0), uniform(0.0, 10.0)
        add("pv.module_temperature_faiman", {"G": g, "T_a": ta, "ws": ws, "U0": u0, "U1": u1},
            {"T_m": float(pvlib.temperature.faiman(g, ta, ws, u0, u1))}, 1e-12)

    for _ in range(n):
        g, tc, p0, gm = uniform(0.0, 1300.0), uniform(-20.0, 80.0), log_uniform(1.0, 1e5), uniform(-0.006, -0.002)
        add("pv.pvwatts_dc", {"G": g, "T_c": tc, "P_dc0": p0, "gamma": gm},
            {"P_dc": float(pvlib.pvsystem.pvwatts_dc(g, tc, p0, gm))}, 1e-12)

    for _ in range(n):
        p0 = log_uniform(1.0, 1e4)
        pdc = p0 * uniform(0.02, 1.3)
        en, er = uniform(0.9, 0.99), uniform(0.9, 0.99)
        pac = float(pvlib.inverter.pvwatts(pdc, p0, en, er))
        add("pv.pvwatts_inverter", {"P_dc": pdc, "P_dc0": p0, "eta_nom": en, "eta_ref": er},
            {"P_ac": pac, "eta": pac / pdc}, 1e-12)

    # Compressor power: fluids' isentropic work per mole times the molar flow p₁Q₁/(RT₁).
    for _ in range(n):
        q, p1 = log_uniform(0.1, 1000.0), uniform(50.0, 500.0)
        p2, k = p1 * uniform(1.05, 15.0), uniform(1.1, 1.67)
        ei, em = uniform(0.5, 1.0), uniform(0.8, 1.0)
        t1 = 293.15
        w = fluids.compressible.isentropic_work_compression(T1=t1, k=k, Z=1.0, P1=p1 * 1e3, P2=p2 * 1e3, eta=ei)
        shaft = w * p1 * 1e3 * q / 60.0 / (8.314462618 * t1) / 1000.0
        add("compressor.isentropic_power", {"Q1": q, "p1": p1, "p2": p2, "k": k, "eta_is": ei, "eta_motor": em},
            {"P_shaft": shaft, "P_in": shaft / em}, 1e-9)

    # Flash steam with iapws's saturation enthalpies.
    for _ in range(n):
        p_lo = log_uniform(0.002, 5.0)
        p_hi = min(p_lo * log_uniform(1.05, 100.0), 16.0)
        if p_hi <= p_lo:
            continue
        a, b, c = IAPWS97(P=p_hi, x=0), IAPWS97(P=p_lo, x=0), IAPWS97(P=p_lo, x=1)
        add("steam.flash_fraction", {"p_hi": p_hi, "p_lo": p_lo},
            {"x": (a.h - b.h) / (c.h - b.h), "h_f_hi": a.h, "h_fg_lo": c.h - b.h}, 1e-8)

    from scipy import integrate, optimize, special  # noqa: F401

    for _ in range(n):
        t, r, c = log_uniform(10.0, 1e7), float(rng.randint(0, 60)), uniform(0.05, 0.999)
        ft = rng.choice([0, 1]) if r >= 1 else 0
        chi = stats.chi2.ppf(c, 2 * r if ft else 2 * r + 2)
        add("reliability.mtbf_confidence", {"T": t, "r": r, "C": c, "test": float(ft)},
            {"lambda_upper": chi / (2 * t), "MTBF_lower": 2 * t / chi}, 1e-9)

    for _ in range(n):
        lam, units, t, p = log_uniform(0.01, 10.0), float(rng.randint(1, 200)), uniform(0.05, 2.0), uniform(0.5, 0.999)
        m = lam * units * t
        if m > 500:
            continue
        s = int(stats.poisson.ppf(p, m))
        add("maintenance.spare_parts_poisson", {"lambda": lam, "N": units, "t": t, "P": p},
            {"mean": m, "s": float(s), "P_achieved": float(stats.poisson.cdf(s, m))}, 1e-9)

    for _ in range(n):
        b, e = uniform(1.3, 6.0), log_uniform(10.0, 1e5)
        cp = log_uniform(1.0, 1000.0)
        cf = cp * log_uniform(2.0, 50.0)

        def up(big_t):
            return e / b * special.gamma(1 / b) * special.gammainc(1 / b, (big_t / e) ** b)

        def gap(big_t):
            rel = math.exp(-((big_t / e) ** b))
            return b / e * (big_t / e) ** (b - 1) * up(big_t) - (1 - rel) - cp / (cf - cp)

        if gap(50 * e) < 0:
            continue
        big_t = optimize.brentq(gap, 1e-9 * e, 50 * e, xtol=1e-14 * e, rtol=1e-15)
        rel = math.exp(-((big_t / e) ** b))
        add("maintenance.age_replacement_weibull", {"beta": b, "eta": e, "C_p": cp, "C_f": cf},
            {"T_opt": big_t, "cost_rate": (cp * rel + cf * (1 - rel)) / up(big_t),
             "cost_rate_rtf": cf / (e * special.gamma(1 + 1 / b))}, 1e-6)

    for _ in range(n):
        d, sd, l, sl, csl = uniform(0.0, 1e4), uniform(0.0, 1e3), uniform(0.0, 50.0), uniform(0.0, 5.0), uniform(0.5, 0.9999)
        z = stats.norm.ppf(csl)
        sigma = math.sqrt(l * sd * sd + d * d * sl * sl)
        add("inventory.reorder_point", {"d": d, "sigma_d": sd, "L": l, "sigma_L": sl, "CSL": csl},
            {"z": z, "ROP": d * l + z * sigma}, 1e-9)

    for _ in range(n):
        q, s, k = log_uniform(1.0, 1e5), log_uniform(0.1, 1e4), uniform(-2.0, 4.0)
        g = stats.norm.pdf(k) - k * stats.norm.sf(k)
        add("inventory.fill_rate_normal", {"Q": q, "sigma_L": s, "k": k},
            {"G_k": g, "ESC": s * g, "CSL": stats.norm.cdf(k)}, 1e-8)

    # NPV and IRR of a conventional project (one outlay, then positive flows).
    for _ in range(n):
        flows = [-log_uniform(100.0, 1e6)]
        flows += [abs(flows[0]) * uniform(0.05, 0.6) for _ in range(rng.randint(2, 15))]
        r = uniform(0.0, 0.3)

        def npv(rate, flows=flows):
            return sum(c / (1 + rate) ** t for t, c in enumerate(flows))

        irr = optimize.brentq(npv, -0.99, 10.0, xtol=1e-15)
        add("finance.npv_irr_payback", {"cash_flows": flows, "rate": r}, {"NPV": npv(r), "IRR": irr}, 1e-9)

    import ht

    for _ in range(n):
        re, pr, cool = log_uniform(1e4, 1e7), uniform(0.6, 160.0), rng.choice([0, 1])
        add("conv.dittus_boelter", {"Re": re, "Pr": pr, "fluid": float(cool)},
            {"Nu": ht.conv_internal.turbulent_Dittus_Boelter(re, pr, heating=(cool == 0))}, 1e-12)
        re, pr = log_uniform(3000.0, 5e6), log_uniform(0.5, 2000.0)
        fd = (0.790 * math.log(re) - 1.64) ** -2
        add("conv.gnielinski", {"Re": re, "Pr": pr}, {"Nu": ht.conv_internal.turbulent_Gnielinski(re, pr, fd)}, 1e-12)
        ra, pr = log_uniform(1e-3, 1e12), log_uniform(0.01, 1e4)
        add("conv.horizontal_cylinder_free", {"Ra": ra, "Pr": pr},
            {"Nu": ht.conv_free_immersed.Nu_horizontal_cylinder_Churchill_Chu(pr, ra / pr)}, 1e-12)

    for _ in range(n):
        d, dl, k = uniform(10.0, 1000.0), uniform(1.0, 300.0), uniform(0.02, 0.2)
        ti, ta, h = uniform(50.0, 600.0), uniform(-20.0, 40.0), uniform(2.0, 50.0)
        r1, r2 = d / 2000.0, d / 2000.0 + dl / 1000.0
        q = (ti - ta) / (ht.conduction.R_cylinder(2 * r1, 2 * r2, k, 1.0) + 1.0 / (h * 2 * math.pi * r2))
        add("insulation.pipe_heat_loss", {"D": d, "delta": dl, "k": k, "T_pipe": ti, "T_amb": ta, "h": h},
            {"q": q}, 1e-12)

    for _ in range(n):
        m, co, cu = uniform(0.1, 300.0), log_uniform(0.01, 100.0), log_uniform(0.01, 100.0)
        ratio = cu / (cu + co)
        s = int(stats.poisson.ppf(ratio, m))
        add("inventory.newsvendor_poisson", {"mean": m, "c_o": co, "c_u": cu},
            {"S": float(s), "P_in_stock": float(stats.poisson.cdf(s, m))}, 1e-9)
        b, eta, w = uniform(0.3, 6.0), log_uniform(100.0, 1e7), log_uniform(1.0, 1e6)
        add("reliability.warranty_returns_weibull", {"beta": b, "eta": eta, "w": w, "units": 1.0},
            {"F_w": float(stats.weibull_min.cdf(w, b, scale=eta))}, 1e-9)

    # Transportation problems against scipy's HiGHS linear programme (the total cost; the
    # plan itself need not be unique).
    import numpy as np
    from scipy.optimize import linprog

    for _ in range(n // 2):
        m, k = rng.randint(1, 6), rng.randint(1, 6)
        demand = [uniform(1.0, 100.0) for _ in range(k)]
        supply = [uniform(1.0, 100.0) for _ in range(m)]
        scale = sum(demand) / sum(supply) * uniform(1.0, 1.5)
        supply = [s * scale for s in supply]
        cost = [float(rng.randint(1, 20)) for _ in range(m * k)]
        a_ub = np.zeros((m, m * k))
        for i in range(m):
            a_ub[i, i * k:(i + 1) * k] = 1
        a_eq = np.zeros((k, m * k))
        for j in range(k):
            a_eq[j, j::k] = 1
        res = linprog(cost, A_ub=a_ub, b_ub=supply, A_eq=a_eq, b_eq=demand, method="highs")
        if res.status == 0:
            add("logistics.transportation_problem", {"supply": supply, "demand": demand, "cost": cost},
                {"total_cost": float(res.fun)}, 1e-7)

    from fluids.atmosphere import ATMOSPHERE_1976
    from fluids.pump import specific_speed

    for _ in range(n):
        z = uniform(-5000.0, 80000.0)
        a = ATMOSPHERE_1976(z)
        add("atmosphere.us_standard_1976", {"Z": z},
            {"T": a.T, "p": a.P / 1000.0, "rho": a.rho, "a": a.v_sonic, "g": a.g, "mu": a.mu}, 1e-6)
        p1, k = log_uniform(10.0, 1e5), uniform(1.05, 1.67)
        p2 = p1 * uniform(0.0, 1.0)
        ps = fluids.compressible.P_critical_flow(p1 * 1e3, k) / 1e3
        add("gas.critical_flow", {"p1": p1, "p2": p2, "k": k},
            {"p_star": ps, "choked": 1.0 if fluids.compressible.is_critical_flow(p1 * 1e3, p2 * 1e3, k) else 0.0},
            1e-12)
        p1, k, eta_p, t1 = log_uniform(10.0, 1e4), uniform(1.05, 1.67), uniform(0.5, 0.95), uniform(200.0, 500.0)
        p2 = p1 * uniform(1.05, 30.0)
        eta_s = fluids.compressible.isentropic_efficiency(p1 * 1e3, p2 * 1e3, k, eta_p=eta_p)
        add("compressor.polytropic_efficiency", {"p1": p1, "p2": p2, "k": k, "eta_p": eta_p, "T1": t1},
            {"eta_s": eta_s, "n": fluids.compressible.polytropic_exponent(k, eta_p=eta_p),
             "T2": fluids.compressible.isentropic_T_rise_compression(t1, p1 * 1e3, p2 * 1e3, k, eta=eta_s)}, 1e-9)
        q, h, rpm = log_uniform(1e-4, 10.0), log_uniform(1.0, 2000.0), uniform(500.0, 6000.0)
        add("pump.specific_speed", {"Q": q, "H": h, "n": rpm}, {"n_s": specific_speed(q, h, rpm)}, 1e-12)

    import fluids.control_valve as control_valve
    import fluids.safety_valve as safety_valve
    from ht.radiation import q_rad

    for _ in range(n):
        w, t, z, mw, k = log_uniform(10.0, 1e5), uniform(250.0, 800.0), uniform(0.7, 1.0), uniform(2.0, 120.0), uniform(1.05, 1.67)
        p1 = log_uniform(150.0, 2e4)
        p2 = p1 * rng.choice([uniform(0.0, 0.5), uniform(0.6, 0.95)])
        area = safety_valve.API520_A_g(m=w / 3600.0, T=t, Z=z, MW=mw, k=k, P1=p1 * 1e3, P2=p2 * 1e3) * 1e6
        if area > 26.0 * 645.16:
            continue
        add("relief.api520_gas_area", {"W": w, "T": t, "Z": z, "M": mw, "k": k, "P1": p1, "P2": p2},
            {"A": area, "critical": 1.0 if safety_valve.is_critical_flow(p1 * 1e3, p2 * 1e3, k) else 0.0}, 1e-9)

    for _ in range(n):
        rho, pv, p1 = uniform(600.0, 1500.0), uniform(0.5, 200.0), uniform(300.0, 5000.0)
        p2, fl, q = p1 * uniform(0.05, 0.95), uniform(0.5, 0.98), log_uniform(1.0, 2000.0)
        if pv >= p1:
            continue
        r = control_valve.size_control_valve_l(rho=rho, Psat=pv * 1e3, Pc=22064e3, mu=1e-5, P1=p1 * 1e3,
                                               P2=p2 * 1e3, Q=q / 3600.0, FL=fl, Fd=1, full_output=True)
        if r["laminar"] or r["FR"] not in (None, 1.0):
            continue
        add("valve.iec60534_liquid_kv", {"Q": q, "p1": p1, "p2": p2, "rho": rho, "p_v": pv, "F_L": fl},
            {"F_F": r["FF"], "choked": 1.0 if r["choked"] else 0.0, "Kv": r["Kv"]}, 1e-5)

    for _ in range(n):
        ts, ta, eps = uniform(30.0, 1200.0), uniform(-20.0, 40.0), uniform(0.05, 1.0)
        add("surface.bare_heat_loss", {"T_s": ts, "T_amb": ta, "eps": eps, "h": 0.0},
            {"q_rad": q_rad(eps, ts + 273.15, ta + 273.15)}, 1e-5)

    for _ in range(n):
        t, rh, p = uniform(-20.0, 50.0), uniform(0.05, 1.0), uniform(70.0, 110.0)
        twb = psychrolib.GetTWetBulbFromRelHum(t, rh, p * 1000.0)
        if abs(twb) > 0.5:  # relative comparison; away from 0 °C
            add("psychro.wet_bulb_from_rh", {"T": t, "RH": rh, "p": p}, {"T_wb": twb}, 1e-6)
        p_mpa, q = log_uniform(0.001, 16.0), uniform(0.0, 1.0)
        st, f, g = IAPWS97(P=p_mpa, x=q), IAPWS97(P=p_mpa, x=0), IAPWS97(P=p_mpa, x=1)
        add("steam.wet_steam", {"p": p_mpa, "x": q},
            {"T_s": st.T, "v": st.v, "h": st.h, "s": st.s, "h_fg": g.h - f.h}, 1e-8)

    import numpy as np

    for _ in range(n):
        ghi, zen, doy = uniform(0.0, 1100.0), uniform(0.0, 89.0), float(rng.randint(1, 365))
        e = pvlib.irradiance.erbs(np.array([ghi]), np.array([zen]), doy)
        add("solar.erbs_decomposition", {"GHI": ghi, "zenith": zen, "doy": doy, "G_sc": 1366.1},
            {"kt": float(e["kt"][0]), "DNI": float(e["dni"][0]), "DHI": float(e["dhi"][0])}, 1e-9)
        tilt, saz, zen, az = uniform(0.0, 90.0), uniform(0.0, 360.0), uniform(0.0, 89.0), uniform(0.0, 360.0)
        dni, dhi, alb = uniform(0.0, 1000.0), uniform(0.0, 300.0), uniform(0.0, 0.9)
        ghi = dhi + dni * math.cos(math.radians(zen))
        r = pvlib.irradiance.get_total_irradiance(tilt, saz, zen, az, dni, ghi, dhi, albedo=alb, model="isotropic")
        add("solar.poa_isotropic", {"tilt": tilt, "surface_azimuth": saz, "zenith": zen, "solar_azimuth": az,
                                    "DNI": dni, "GHI": ghi, "DHI": dhi, "albedo": alb},
            {"aoi": float(pvlib.irradiance.aoi(tilt, saz, zen, az)), "poa_global": float(r["poa_global"])}, 1e-9)

    import fluids.flow_meter as flow_meter

    count = 0
    while count < n:
        d_pipe = uniform(50.0, 1000.0)
        beta = uniform(0.1, 0.75)
        if beta * d_pipe < 12.5:
            continue
        p1, rho, mu = uniform(100.0, 5000.0), log_uniform(0.5, 1500.0), log_uniform(0.01, 50.0)
        dp = min(uniform(0.5, 250.0), 0.25 * p1)
        tap = rng.randint(0, 2)
        m = flow_meter.differential_pressure_meter_solver(
            D=d_pipe / 1000.0, rho=rho, mu=mu / 1000.0, k=1.4, D2=beta * d_pipe / 1000.0, P1=p1 * 1e3,
            P2=(p1 - dp) * 1e3, meter_type="ISO 5167 orifice", taps=["corner", "flange", "D"][tap])
        re = 4.0 * m / (math.pi * mu / 1000.0 * d_pipe / 1000.0)
        re_min = max(5000.0, 170000.0 * beta * beta * d_pipe / 1000.0) if tap == 1 else (
            16000.0 * beta * beta if beta > 0.56 else 5000.0)
        if re < re_min * 1.01:
            continue
        add("flow.iso5167_orifice", {"D": d_pipe, "d": beta * d_pipe, "dp": dp, "p1": p1, "rho": rho,
                                     "mu": mu, "kappa": 1.4, "taps": float(tap)}, {"q_m": m}, 1e-8)
        count += 1

    for _ in range(n):
        re, pr = log_uniform(1.0, 1e7), log_uniform(0.5, 1000.0)
        add("conv.cylinder_crossflow", {"Re": re, "Pr": pr},
            {"Nu": ht.conv_external.Nu_cylinder_Churchill_Bernstein(re, pr)}, 1e-12)
        g, ta, ws = uniform(0.0, 1300.0), uniform(-30.0, 50.0), uniform(0.0, 20.0)
        a_, b_, dt = uniform(-4.0, -2.5), uniform(-0.12, -0.02), uniform(0.0, 5.0)
        add("pv.cell_temperature_sapm", {"G": g, "T_a": ta, "ws": ws, "a": a_, "b": b_, "dT": dt},
            {"T_cell": float(pvlib.temperature.sapm_cell(g, ta, ws, a_, b_, dt))}, 1e-12)

    from fluids import friction, open_flow
    import numpy
    import pandas as pd

    for _ in range(n):
        p1 = uniform(200.0, 1e4)
        p2, length, dia = p1 * uniform(0.1, 0.99), uniform(0.1, 500.0), uniform(0.05, 1.5)
        sg, temp, z_avg, eff = uniform(0.55, 0.9), uniform(250.0, 330.0), uniform(0.8, 1.0), uniform(0.8, 1.0)
        q = fluids.compressible.Weymouth(SG=sg, Tavg=temp, L=length * 1000.0, D=dia, P1=p1 * 1e3, P2=p2 * 1e3,
                                         Zavg=z_avg, E=eff)
        add("gas.pipeline_weymouth", {"p1": p1, "p2": p2, "L": length, "D": dia, "SG": sg, "T": temp,
                                      "Z": z_avg, "E": eff}, {"Q": q}, 1e-12)
        re, ed = log_uniform(10.0, 1e8), rng.choice([0.0, log_uniform(1e-6, 0.05)])
        add("pipe.friction_churchill", {"Re": re, "eD": ed}, {"f": friction.Churchill_1977(re, ed)}, 1e-12)
        # The two weirs are not checked against fluids: its Q_weir_rectangular_Kindsvater_Carter is
        # Blevins's contracted-notch (b/B ~ 0.2) equation, and its Q_weir_V_Shen drops the
        # (8/15)·sqrt(2) of Kindsvater-Shen (Shen's C is the Ce of Q = Ce·8/15·sqrt(2g)·tan(θ/2)·
        # (h + k)^2.5), so it reads 33 % high. Both are computed here from ISO 1438:2008 / USBR
        # Water Measurement Manual ch. 7 as written (fluids' Q_weir_rectangular_full_Kindsvater_Carter
        # takes k_b = -0.001 m where this model takes -0.0009 m for b/B = 1); only Shen's coefficient
        # table is taken from fluids.
        hh, pp, bb = uniform(0.05, 1.0), uniform(0.5, 5.0), uniform(0.9, 10.0)
        q_kc = ((0.602 + 0.075 * hh / pp) * (2.0 / 3.0) * math.sqrt(2.0 * 9.80665)
                * (bb - 0.0009) * (hh + 0.001) ** 1.5)
        add("weir.rectangular_full_width", {"h": hh, "P": pp, "b": bb}, {"Q": q_kc}, 1e-12)
        hv, ang = uniform(0.05, 0.6), uniform(20.0, 100.0)
        ce = float(numpy.interp(ang, open_flow.angles_Shen, open_flow.Cs_Shen))
        kh = float(numpy.interp(ang, open_flow.angles_Shen, open_flow.k_Shen))
        q_ks = ce * (8.0 / 15.0) * math.sqrt(2.0 * 9.80665) * math.tan(math.radians(ang) / 2.0) \
            * (hv + kh) ** 2.5
        add("weir.v_notch", {"h": hv, "angle": ang}, {"Q": q_ks, "C": ce, "k": kh}, 1e-12)

    for _ in range(n):
        tsat = uniform(300.0, 550.0)
        tw = tsat - uniform(1.0, 60.0)
        rho_g, rho_l, k_l = uniform(0.05, 30.0), uniform(500.0, 1200.0), uniform(0.05, 0.7)
        mu_l, hfg, length, ang = uniform(0.05, 1.0), uniform(200.0, 2500.0), uniform(0.01, 5.0), uniform(5.0, 90.0)
        hh = ht.condensation.Nusselt_laminar(tsat, tw, rho_g, rho_l, k_l, mu_l / 1000.0, hfg * 1000.0, length, ang)
        add("condensation.nusselt_film", {"T_sat": tsat, "T_w": tw, "rho_g": rho_g, "rho_l": rho_l, "k_l": k_l,
                                          "mu_l": mu_l, "h_fg": hfg, "L": length, "angle": ang}, {"h": hh}, 1e-12)
        ra, pr = log_uniform(0.1, 1e14), log_uniform(0.01, 1000.0)
        add("conv.vertical_plate_free", {"Ra": ra, "Pr": pr},
            {"Nu": ht.conv_free_immersed.Nu_vertical_plate_Churchill(pr, ra / pr)}, 1e-12)
        arr = rng.randint(0, 2)
        cr = uniform(0.05, 0.95)
        ntu = log_uniform(0.05, 5.0)
        sub = ["counterflow", "parallel", "S&T"][arr]
        eps = ht.hx.effectiveness_from_NTU(ntu, cr, sub)
        back = ht.hx.NTU_from_effectiveness(eps, cr, sub, n_shell_tube=1) if arr == 2 else \
            ht.hx.NTU_from_effectiveness(eps, cr, sub)
        add("hx.ntu_from_effectiveness", {"eps": eps, "Cr": cr, "arrangement": float(arr)}, {"NTU": back}, 1e-7)
        temp, lam = log_uniform(200.0, 6000.0), log_uniform(0.3, 30.0)
        rad = ht.radiation.blackbody_spectral_radiance(temp, lam * 1e-6)
        if rad > 1e-200:
            add("radiation.planck_spectral_radiance", {"T": temp, "lambda": lam}, {"L": rad * 1e-6}, 1e-6)
        zen = uniform(0.0, 89.0)
        add("solar.clear_sky_haurwitz", {"zenith": zen},
            {"GHI_clear": float(pvlib.clearsky.haurwitz(pd.Series([zen]))["ghi"].iloc[0])}, 1e-12)

    for _ in range(n):
        m1, m2 = uniform(0.1, 10.0), uniform(0.1, 10.0)
        t1, t2 = uniform(-10.0, 45.0), uniform(-10.0, 45.0)
        w1 = psychrolib.GetHumRatioFromRelHum(t1, uniform(0.1, 0.9), 101325.0)
        w2 = psychrolib.GetHumRatioFromRelHum(t2, uniform(0.1, 0.9), 101325.0)
        w = (m1 * w1 + m2 * w2) / (m1 + m2)
        hmix = (m1 * psychrolib.GetMoistAirEnthalpy(t1, w1) + m2 * psychrolib.GetMoistAirEnthalpy(t2, w2)) / (m1 + m2)
        tm = psychrolib.GetTDryBulbFromEnthalpyAndHumRatio(hmix, w)
        if abs(tm) > 0.5:
            add("psychro.adiabatic_mixing", {"m1": m1, "T1": t1, "W1": w1, "m2": m2, "T2": t2, "W2": w2},
                {"T": tm, "W": w, "h": hmix / 1000.0}, 1e-9)

    for _ in range(n):
        d, length = uniform(0.5, 5.0), uniform(1.0, 20.0)
        h = d * uniform(0.0, 1.0)
        tank = fluids.geometry.TANK(D=d, L=length, horizontal=True)
        add("tank.horizontal_cylinder_volume", {"D": d, "L": length, "h": h},
            {"V": tank.V_from_h(h), "V_total": tank.V_total}, 1e-9)
        dp, eps, vs = log_uniform(0.1, 50.0), uniform(0.3, 0.6), log_uniform(1e-3, 3.0)
        rho, mu, bed = log_uniform(0.5, 1500.0), log_uniform(0.01, 100.0), uniform(0.1, 5.0)
        add("packed_bed.ergun", {"d_p": dp, "voidage": eps, "v_s": vs, "rho": rho, "mu": mu, "L": bed},
            {"dp": fluids.packed_bed.Ergun(dp / 1000.0, eps, vs, rho, mu / 1000.0, bed) / 1000.0}, 1e-9)
        re, pr = uniform(10.0, 2300.0), log_uniform(0.7, 1000.0)
        tube, dia, ratio, k = uniform(0.1, 10.0), uniform(0.005, 0.1), uniform(0.1, 5.0), uniform(0.05, 1.0)
        nu = ht.conv_internal.laminar_entry_Seider_Tate(re, pr, tube, dia, mu=ratio, mu_w=1.0)
        add("conv.laminar_entry_seider_tate", {"Re": re, "Pr": pr, "L": tube, "D": dia, "mu_ratio": ratio, "k": k},
            {"Nu": nu, "h": nu * k / dia}, 1e-9)
        temp, rh = uniform(-40.0, 50.0), uniform(1.0, 100.0)
        add("atmosphere.precipitable_water", {"T": temp, "RH": rh},
            {"pw": float(pvlib.atmosphere.gueymard94_pw(temp, rh))}, 1e-9)
        size = rng.randint(1, 300)
        acc = rng.randint(0, min(size, 10))
        frac, lot = uniform(0.0, 0.2), size + rng.randint(0, 20000)
        pa = float(stats.binom.cdf(acc, size, frac))
        add("quality.oc_single_sampling", {"n": float(size), "c": float(acc), "p": frac, "N": float(lot)},
            {"Pa": pa, "AOQ": pa * frac * (lot - size) / lot, "ATI": size + (1.0 - pa) * (lot - size)}, 1e-8)

    # IF97 regions 3 and 5, the backward equations, viscosity and surface tension (iapws).
    from iapws import _iapws, iapws97

    count = 0
    while count < n:
        t, rho = uniform(623.15, 863.15), uniform(100.0, 750.0)
        st = iapws97._Region3(rho, t)
        if not iapws97._P23_T(t) <= st["P"] <= 100.0:
            continue
        add("steam.if97_region3_rho_t", {"rho": rho, "T": t},
            {"p": st["P"], "h": st["h"], "s": st["s"], "cv": st["cv"]}, 1e-9)
        count += 1
    for _ in range(n):
        p, t = uniform(0.01, 50.0), uniform(1073.15, 2273.15)
        st = iapws97._Region5(t, p)
        add("steam.if97_region5_pt", {"p": p, "T": t},
            {"v": st["v"], "h": st["h"], "s": st["s"], "cp": st["cp"], "w": st["w"]}, 1e-9)
    for _ in range(n):
        p, t = uniform(1.0, 100.0), uniform(280.0, 450.0)
        st = iapws97._Region1(t, p)
        add("steam.if97_t_ph_region1", {"p": p, "h": st["h"]},
            {"T": iapws97._Backward1_T_Ph(p, st["h"])}, 1e-9)
        add("steam.if97_t_ps_region1", {"p": p, "s": st["s"]},
            {"T": iapws97._Backward1_T_Ps(p, st["s"])}, 1e-9)
        add("steam.if97_p_hs_region1", {"h": st["h"], "s": st["s"]},
            {"p": iapws97._Backward1_P_hs(st["h"], st["s"])}, 1e-9)
    count = 0
    while count < n:
        p, t = uniform(0.01, 80.0), uniform(400.0, 1073.0)
        limit = iapws97._PSat_T(t) if t <= 623.15 else (iapws97._P23_T(t) if t <= 863.15 else 100.0)
        if p >= limit * 0.98:
            continue
        h = iapws97._Region2(t, p)["h"]
        add("steam.if97_t_ph_region2", {"p": p, "h": h}, {"T": iapws97._Backward2_T_Ph(p, h)}, 1e-9)
        count += 1
    for _ in range(n):
        t, rho = uniform(273.16, 1173.15), uniform(0.0, 1200.0)
        add("water.viscosity_iapws2008", {"rho": rho, "T": t}, {"mu": _iapws._Viscosity(rho, t) * 1000.0}, 1e-9)
        ts = uniform(248.15, 647.0)
        add("water.surface_tension_iapws", {"T": ts}, {"sigma": _iapws._Tension(ts) * 1000.0}, 1e-12)
    count = 0
    while count < n:
        p, t = uniform(0.01, 80.0), uniform(400.0, 1073.0)
        limit = iapws97._PSat_T(t) if t <= 623.15 else (iapws97._P23_T(t) if t <= 863.15 else 100.0)
        if p >= limit * 0.98:
            continue
        s = iapws97._Region2(t, p)["s"]
        add("steam.if97_t_ps_region2", {"p": p, "s": s}, {"T": iapws97._Backward2_T_Ps(p, s)}, 1e-9)
        count += 1
    for _ in range(n):
        p = uniform(25.0, 100.0)
        h = iapws97._Region1(623.15, p)["h"] + uniform(0.0, 1.0) * (
            iapws97._Region2(iapws97._t_P(p), p)["h"] - iapws97._Region1(623.15, p)["h"])
        add("steam.if97_t_ph_region3", {"p": p, "h": h}, {"T": iapws97._Backward3_T_Ph(p, h)}, 1e-9)
    for _ in range(n):
        t, rho = uniform(273.16, 1173.15), uniform(0.0, 1200.0)
        add("water.thermal_conductivity_iapws2011", {"rho": rho, "T": t},
            {"k": _iapws._ThCond(rho, t)}, 1e-9)

    # Open channels, gas pipelines, separators and pool boiling (fluids, ht).
    for _ in range(n):
        area, slope, rough = log_uniform(0.01, 100.0), log_uniform(1e-5, 0.05), uniform(0.01, 0.05)
        perim = area * uniform(0.5, 20.0)
        v = fluids.V_Manning(area / perim, slope, rough)
        add("channel.manning", {"A": area, "P_w": perim, "S": slope, "n": rough},
            {"v": v, "Q": v * area}, 1e-12)
        p1 = uniform(200.0, 10000.0)
        p2 = p1 * uniform(0.1, 0.99)
        length, dia, sg, temp = uniform(1.0, 500.0), uniform(0.05, 1.5), uniform(0.55, 0.9), uniform(260.0, 330.0)
        q = fluids.Panhandle_A(SG=sg, Tavg=temp, L=length * 1000.0, D=dia, P1=p1 * 1000.0, P2=p2 * 1000.0)
        add("gas.pipeline_panhandle_a", {"p1": p1, "p2": p2, "L": length, "D": dia, "SG": sg, "T": temp},
            {"Q": q}, 1e-12)
        k, rho_l, rho_g = uniform(0.03, 0.2), uniform(500.0, 1200.0), uniform(0.5, 100.0)
        add("separator.souders_brown", {"K": k, "rho_l": rho_l, "rho_g": rho_g, "Q_g": uniform(1.0, 1e4)},
            {"v_max": fluids.v_Sounders_Brown(k, rho_l, rho_g)}, 1e-12)
        rl, rv, mu, kl = uniform(500.0, 1500.0), uniform(0.1, 50.0), uniform(0.1, 1.0), uniform(0.05, 0.7)
        cp, hfg, sig, te = uniform(1.0, 4.5), uniform(100.0, 2500.0), uniform(5.0, 75.0), uniform(1.0, 30.0)
        csf, expo = uniform(0.002, 0.03), uniform(1.0, 1.7)
        h = ht.Rohsenow(rhol=rl, rhog=rv, mul=mu / 1000.0, kl=kl, Cpl=cp * 1000.0, Hvap=hfg * 1000.0,
                        sigma=sig / 1000.0, Te=te, Csf=csf, n=expo)
        add("boiling.rohsenow", {"rho_l": rl, "rho_v": rv, "mu_l": mu, "k_l": kl, "cp_l": cp, "h_fg": hfg,
                                 "sigma": sig, "dT_e": te, "C_sf": csf, "n": expo}, {"h": h}, 1e-9)
        pc = uniform(2000.0, 25000.0)
        pr, mw, rp = uniform(0.001, 0.9), uniform(2.0, 200.0), log_uniform(0.05, 10.0)
        h = ht.Cooper(P=pr * pc, Pc=pc, MW=mw, Te=te, Rp=rp * 1e-6)
        add("boiling.cooper", {"p": pr * pc, "p_c": pc, "M": mw, "dT_e": te, "R_p": rp}, {"h": h}, 1e-9)
    count = 0
    while count < n:
        rho, fd = uniform(0.5, 50.0), uniform(0.005, 0.05)
        p1 = uniform(100.0, 5000.0)
        p2 = p1 * uniform(0.3, 0.99)
        length, dia = uniform(1.0, 5000.0), uniform(0.01, 1.0)
        try:
            m = fluids.isothermal_gas(rho=rho, fd=fd, P1=p1 * 1000.0, P2=p2 * 1000.0, L=length, D=dia)
        except ValueError:
            continue
        # Keep clear of the choking limit, where the two choke tests may disagree by rounding.
        u2 = m / (math.pi / 4.0 * dia * dia * rho * p2 / p1)
        if u2 > 0.99 * math.sqrt(p1 * 1000.0 / rho):
            continue
        add("gas.isothermal_pipe_flow", {"rho": rho, "f_d": fd, "p1": p1, "p2": p2, "L": length, "D": dia},
            {"m": m}, 1e-12)
        count += 1

    for _ in range(n):
        p1 = uniform(100.0, 10000.0)
        p2 = p1 * uniform(0.05, 0.98)
        t, mw, z, gam, xt = uniform(200.0, 800.0), uniform(2.0, 100.0), uniform(0.8, 1.05), uniform(1.05, 1.67), uniform(0.2, 0.9)
        q = log_uniform(1.0, 1e5)
        r = control_valve.size_control_valve_g(T=t, MW=mw, mu=1e-5, gamma=gam, Z=z, P1=p1 * 1e3, P2=p2 * 1e3,
                                               Q=q / 3600.0, xT=xt, full_output=True)
        add("valve.iec60534_gas_kv", {"Q": q, "p1": p1, "p2": p2, "T": t, "M": mw, "Z": z, "gamma": gam, "x_T": xt},
            {"Y": r["Y"], "choked": 1.0 if r["choked"] else 0.0, "Kv": r["Kv"]}, 1e-9)

    for _ in range(n):
        tilt, saz, zen, az = uniform(0.0, 90.0), uniform(0.0, 360.0), uniform(0.0, 89.0), uniform(0.0, 360.0)
        ghi = uniform(0.0, 1100.0)
        dhi = ghi * uniform(0.05, 1.0)
        dni, ext = uniform(0.0, 1000.0), uniform(1320.0, 1415.0)
        sky = pvlib.irradiance.haydavies(tilt, saz, dhi, dni, ext, zen, az, return_components=True)
        direct = max(dni * float(pvlib.irradiance.aoi_projection(tilt, saz, zen, az)), 0.0)
        ground = float(pvlib.irradiance.get_ground_diffuse(tilt, ghi, albedo=0.25))
        add("solar.poa_hay_davies", {"tilt": tilt, "surface_azimuth": saz, "zenith": zen, "solar_azimuth": az,
                                     "DNI": dni, "GHI": ghi, "DHI": dhi, "DNI_extra": ext, "albedo": 0.25},
            {"aoi": float(pvlib.irradiance.aoi(tilt, saz, zen, az)),
             "poa_sky": float(sky["poa_sky_diffuse"]), "poa_global": direct + float(sky["poa_sky_diffuse"]) + ground},
            1e-9)
        aoi, b = uniform(-95.0, 95.0), uniform(0.0, 0.3)
        add("pv.iam_ashrae", {"aoi": aoi, "b0": b}, {"iam": float(pvlib.iam.ashrae(np.array([aoi]), b)[0])}, 1e-12)
        g, ta, ws = uniform(0.0, 1300.0), uniform(-30.0, 50.0), uniform(0.0, 15.0)
        uc, uv, eta, alpha = uniform(10.0, 40.0), uniform(0.0, 3.0), uniform(0.05, 0.25), uniform(0.7, 1.0)
        add("pv.cell_temperature_pvsyst", {"G": g, "T_a": ta, "ws": ws, "U_c": uc, "U_v": uv, "eta_m": eta, "alpha": alpha},
            {"T_c": float(pvlib.temperature.pvsyst_cell(g, ta, ws, uc, uv, eta, alpha))}, 1e-12)

    # NREL SPA (pvlib's numpy implementation of the same report).
    import datetime as _dt
    from pvlib import spa as _spa

    for _ in range(n):
        year, month, day = rng.randint(1900, 2100), rng.randint(1, 12), rng.randint(1, 28)
        hour = uniform(0.0, 24.0)
        lat, lon, elev = uniform(-89.0, 89.0), uniform(-180.0, 180.0), uniform(0.0, 4000.0)
        pres, temp, dtt = uniform(600.0, 1050.0), uniform(-20.0, 35.0), uniform(30.0, 100.0)
        stamp = _dt.datetime(year, month, day, tzinfo=_dt.timezone.utc) + _dt.timedelta(hours=hour)
        out = _spa.solar_position_numpy(np.array([stamp.timestamp()]), lat, lon, elev, pres, temp, dtt, 0.5667,
                                        0, sst=False, esd=False)
        add("solar.position_spa", {"year": float(year), "month": float(month), "day": float(day), "hour": hour,
                                   "lat": lat, "lon": lon, "elevation": elev, "p": pres, "T": temp, "delta_t": dtt},
            {"zenith": float(out[0][0]), "azimuth": float(out[4][0]), "eot": float(out[5][0])}, 1e-8)

    for _ in range(n):
        d, rp = log_uniform(0.1, 5000.0), uniform(1100.0, 8000.0)
        rho, mu = (uniform(0.5, 2.0), uniform(0.015, 0.025)) if rng.random() < 0.5 else (uniform(800.0, 1050.0), uniform(0.5, 5.0))
        try:
            v = fluids.drag.v_terminal(D=d * 1e-6, rhop=rp, rho=rho, mu=mu * 1e-3, Method="Morrison")
        except Exception:
            continue
        add("particle.terminal_velocity", {"d_p": d, "rho_p": rp, "rho": rho, "mu": mu}, {"v_t": v}, 1e-8)

    for _ in range(n):
        # ht's Baehr laminar form is Incropera's below Pr = 10 (0.678 above).
        re, pr = log_uniform(10.0, 5e5), uniform(0.6, 9.9)
        k, length = uniform(0.02, 0.7), uniform(0.1, 5.0)
        add("conv.flat_plate_forced", {"Re": re, "Pr": pr, "k": k, "L": length},
            {"Nu": ht.conv_external.Nu_horizontal_plate_laminar_Baehr(re, pr)}, 1e-12)
        dia = uniform(0.02, 1.0)
        depth = dia * uniform(0.55, 20.0)
        length = uniform(1.0, 1000.0)
        add("conduction.buried_pipe_loss", {"D": dia, "z": depth, "L": length, "k": 1.5, "T_pipe": 80.0, "T_surface": 5.0},
            {"S": ht.conduction.S_isothermal_pipe_to_plane(dia, depth, length)}, 1e-12)

    for _ in range(n):
        zen, az = uniform(0.0, 89.5), uniform(0.0, 360.0)
        at, aa, mx = uniform(0.0, 20.0), uniform(0.0, 360.0), uniform(30.0, 90.0)
        bt, gcr, ct = rng.randint(0, 1), uniform(0.1, 0.8), uniform(-10.0, 10.0)
        r = pvlib.tracking.singleaxis(zen, az, axis_tilt=at, axis_azimuth=aa, max_angle=mx, backtrack=bool(bt),
                                      gcr=gcr, cross_axis_tilt=ct)
        out = {k: float(np.asarray(r[k]).ravel()[0]) for k in ("tracker_theta", "aoi", "surface_tilt", "surface_azimuth")}
        if any(math.isnan(v) for v in out.values()) or out["surface_tilt"] < 1e-6:
            continue
        add("pv.single_axis_tracker", {"zenith": zen, "solar_azimuth": az, "axis_tilt": at, "axis_azimuth": aa,
                                       "max_angle": mx, "backtrack": float(bt), "gcr": gcr, "cross_axis_tilt": ct},
            {"theta": out["tracker_theta"], "aoi": out["aoi"], "surface_tilt": out["surface_tilt"],
             "surface_azimuth": out["surface_azimuth"]}, 1e-8)
        losses = [uniform(0.0, 10.0) for _ in range(10)]
        names = ["soiling", "shading", "snow", "mismatch", "wiring", "connections", "lid", "nameplate", "age",
                 "availability"]
        add("pv.pvwatts_losses", dict(zip(names, losses)),
            {"total": float(pvlib.pvsystem.pvwatts_losses(*losses))}, 1e-12)

    for _ in range(n):
        ms, ss, ml, sl = uniform(50.0, 500.0), uniform(1.0, 60.0), uniform(20.0, 400.0), uniform(1.0, 60.0)
        z = (ms - ml) / math.hypot(ss, sl)
        add("reliability.stress_strength", {"mu_S": ms, "sigma_S": ss, "mu_s": ml, "sigma_s": sl},
            {"R": float(stats.norm.cdf(z)), "F": float(stats.norm.sf(z))}, 1e-9)
        lam, t, units = log_uniform(1e-6, 1e-2), uniform(1.0, 10000.0), rng.randint(1, 8)
        add("reliability.cold_standby", {"lambda": lam, "t": t, "n": float(units)},
            {"R": float(stats.poisson.cdf(units - 1, lam * t))}, 1e-9)

    for _ in range(n):
        m, x, dia = log_uniform(1e-3, 0.5), uniform(0.0, 0.99), uniform(0.004, 0.05)
        rl, mu, k, cp = uniform(500.0, 1400.0), uniform(0.1, 1.0), uniform(0.05, 0.7), uniform(1.0, 4.5)
        pc = uniform(3000.0, 22000.0)
        p = pc * uniform(0.02, 0.9)
        h = ht.condensation.Shah(m=m, x=x, D=dia, rhol=rl, mul=mu * 1e-3, kl=k, Cpl=cp * 1e3, P=p, Pc=pc)
        add("condensation.shah_in_tube", {"m": m, "x": x, "D": dia, "mu_l": mu, "k_l": k, "cp_l": cp, "p": p, "p_c": pc},
            {"h": h}, 1e-9)

    for _ in range(n):
        d1, d2 = uniform(0.01, 1.0), uniform(0.01, 1.0)
        k = fluids.fittings.diffuser_sharp(d1, d2) if d2 >= d1 else fluids.fittings.contraction_sharp(d1, d2)
        add("pipe.sudden_area_change", {"D1": d1, "D2": d2, "v": 2.0, "rho": 1000.0}, {"K": k}, 1e-12)
