"""Reference values for the model library from maintained open implementations.

Run by `tests/crosscheck.rs` with the interpreter of the models' reference environment
(`scripts/install-test-peers.sh` installs iapws, fluids and ht there, with numpy and
scipy). For each model with
an independent implementation it draws input rows at random (fixed seed) inside the
model's valid region, computes the outputs with the package, and prints
`{"packages": {...}, "rows": [{"model", "inputs", "expect", "rel"}]}`; the Rust test
evaluates Ironloom's model on the same inputs and compares. Inputs and outputs are in the
units the model's card declares.
"""

import json
import math
import random
import sys
from importlib.metadata import version

import fluids
import ht
from iapws import IAPWS97, iapws97

ROWS_PER_MODEL = 60
rng = random.Random(20261205)
rows = []


def uniform(lo, hi):
    return rng.uniform(lo, hi)


def log_uniform(lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def finite(v):
    if isinstance(v, list):
        return all(e is None or (isinstance(e, float) and math.isfinite(e)) for e in v)
    return isinstance(v, float) and math.isfinite(v)


def add(model, inputs, expect, rel):
    if all(finite(v) for v in expect.values()):
        rows.append({"model": model, "inputs": inputs, "expect": expect, "rel": rel})


def state(r):
    # iapws gives p [MPa], v, h; u = h - p v (kJ/kg with p in MPa: p·v·1000).
    return {
        "v": r["v"],
        "h": r["h"],
        "u": r["h"] - r["P"] * 1000.0 * r["v"],
        "s": r["s"],
        "cp": r["cp"],
        "cv": r["cv"],
        "w": r["w"],
    }


# IAPWS-IF97 region 1: compressed water, above the saturation pressure.
for _ in range(ROWS_PER_MODEL):
    t = uniform(275.0, 620.0)
    p = uniform(min(iapws97._PSat_T(t) * 1.05 + 0.01, 99.0), 100.0)
    add("steam.if97_region1_pt", {"p": p, "T": t}, state(iapws97._Region1(t, p)), 1e-9)

# Region 2: steam below saturation (T ≤ 623.15 K) or the B23 boundary.
for _ in range(ROWS_PER_MODEL):
    t = uniform(300.0, 1070.0)
    if t <= 623.15:
        limit = iapws97._PSat_T(t)
    elif t <= 863.15:
        limit = iapws97._P23_T(t)
    else:
        limit = 100.0
    p = log_uniform(1e-3, limit * 0.95)
    add("steam.if97_region2_pt", {"p": p, "T": t}, state(iapws97._Region2(t, p)), 1e-9)

for _ in range(ROWS_PER_MODEL):
    t = uniform(273.16, 647.0)
    add("steam.if97_psat_t", {"T": t}, {"p_s": iapws97._PSat_T(t)}, 1e-12)
    p = log_uniform(0.001, 22.0)
    add("steam.if97_tsat_p", {"p": p}, {"T_s": iapws97._TSat_P(p)}, 1e-12)

# Darcy-Weisbach with Colebrook's friction factor (fluids solves Colebrook exactly).
g = 9.80665
while sum(r["model"] == "pipe.darcy_weisbach_colebrook" for r in rows) < ROWS_PER_MODEL:
    q, d, length = log_uniform(1e-4, 1.0), log_uniform(0.02, 1.0), uniform(1.0, 5000.0)
    eps_mm, rho, mu = log_uniform(0.001, 1.0), uniform(700.0, 1100.0), log_uniform(3e-4, 5e-2)
    v = q / (math.pi * d * d / 4.0)
    re = rho * v * d / mu
    if re < 2300.0:
        continue
    f = fluids.friction.Colebrook(re, eps_mm / 1000.0 / d)
    dp = f * length / d * rho * v * v / 2.0
    add(
        "pipe.darcy_weisbach_colebrook",
        {"Q": q, "D": d, "L": length, "eps": eps_mm, "rho": rho, "mu": mu},
        {"v": v, "Re": re, "f": f, "dp": dp, "h_f": dp / (rho * g)},
        1e-9,
    )

# fluids writes the paper's 5.74/Re^0.9 as (6.97/Re)^0.9, i.e. 5.7403/Re^0.9: a few parts
# per million apart at most.
for _ in range(ROWS_PER_MODEL):
    re, ed = log_uniform(5e3, 1e8), log_uniform(1e-6, 1e-2)
    add("pipe.friction_swamee_jain", {"Re": re, "eD": ed}, {"f": fluids.friction.Swamee_Jain_1976(re, ed)}, 1e-5)

# NPSH available, with iapws's vapour pressure and density.
for _ in range(ROWS_PER_MODEL):
    t_c = uniform(1.0, 150.0)
    pv = IAPWS97(T=t_c + 273.15, x=0).P  # MPa
    p_kpa = uniform(pv * 1000.0 * 1.2, 1000.0)
    v, z, loss = uniform(0.0, 5.0), uniform(-5.0, 5.0), uniform(0.0, 3.0)
    rho = IAPWS97(P=p_kpa / 1000.0, T=t_c + 273.15).rho
    npsha = (p_kpa / 1000.0 - pv) * 1e6 / (rho * g) + v * v / (2 * g) + z - loss
    add(
        "pump.npsh_available",
        {"p_s": p_kpa, "T": t_c, "v_s": v, "z_s": z, "h_loss": loss},
        {"NPSHa": npsha, "p_v": pv * 1000.0, "rho": rho},
        1e-9,
    )

# Heat exchangers (ht).
while sum(r["model"] == "hx.lmtd" for r in rows) < ROWS_PER_MODEL:
    tci = uniform(0.0, 100.0)
    tco = tci + uniform(1.0, 80.0)
    thi = tco + uniform(1.0, 150.0)
    tho = uniform(tci + 1.0, thi - 0.5)
    flow = rng.choice([0, 1])
    if flow == 1 and tho - tco < 0.5:
        continue
    if flow == 0 and tho - tci < 0.5:
        continue
    add(
        "hx.lmtd",
        {"T_hi": thi, "T_ho": tho, "T_ci": tci, "T_co": tco, "flow": flow},
        {"dT_lm": ht.LMTD(thi, tho, tci, tco, counterflow=(flow == 0))},
        1e-9,
    )

tries = 0
while sum(r["model"] == "hx.lmtd_correction_factor" for r in rows) < ROWS_PER_MODEL and tries < 100000:
    tries += 1
    tci = uniform(0.0, 100.0)
    tco = tci + uniform(5.0, 80.0)
    thi = tco + uniform(5.0, 150.0)
    tho = uniform(tci + 5.0, thi - 5.0)
    shells = rng.choice([1, 2, 3])
    try:
        f = ht.F_LMTD_Fakheri(thi, tho, tci, tco, shells)
    except (ValueError, ZeroDivisionError):
        continue
    if isinstance(f, complex) or not math.isfinite(f) or not 0.5 < f <= 1.0:
        continue
    add(
        "hx.lmtd_correction_factor",
        {"T_hi": thi, "T_ho": tho, "T_ci": tci, "T_co": tco, "shells": float(shells)},
        {"F": f},
        1e-9,
    )

for _ in range(ROWS_PER_MODEL):
    ntu, cr = log_uniform(0.01, 10.0), uniform(0.0, 1.0)
    arrangement = rng.choice([0, 1, 2])
    subtype = ["counterflow", "parallel", "S&T"][arrangement]
    add(
        "hx.effectiveness_ntu",
        {"NTU": ntu, "Cr": cr, "arrangement": arrangement},
        {"eps": ht.effectiveness_from_NTU(ntu, cr, subtype)},
        1e-9,
    )

# Control-chart constants (scipy): d2 by quad and c4 by gammaln for every n, d3 by
# dblquad for three (slow: about three seconds each).
from scipy import integrate, special, stats

for n in range(2, 26):
    d2 = integrate.quad(lambda x: 1 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n, -12, 12, limit=200)[0]
    c4 = math.sqrt(2 / (n - 1)) * math.exp(special.gammaln(n / 2) - special.gammaln((n - 1) / 2))
    expect = {"d2": d2, "c4": c4}
    if n in (3, 8, 20):
        second = integrate.dblquad(
            lambda y, x: (y - x) ** 2 * n * (n - 1) * stats.norm.pdf(x) * stats.norm.pdf(y)
            * (stats.norm.cdf(y) - stats.norm.cdf(x)) ** (n - 2),
            -10, 10, lambda x: x, lambda x: 10,
        )[0]
        expect["d3"] = math.sqrt(second - d2 * d2)
    add("spc.control_chart_constants", {"n": float(n)}, expect, 1e-6)

for _ in range(ROWS_PER_MODEL):
    mu, sigma = uniform(-100.0, 100.0), log_uniform(0.01, 10.0)
    lsl = mu - sigma * uniform(0.5, 7.0)
    usl = mu + sigma * uniform(0.5, 7.0)
    add(
        "quality.normal_ppm_out_of_spec",
        {"usl": usl, "lsl": lsl, "mu": mu, "sigma": sigma},
        {"ppm_below": 1e6 * stats.norm.cdf((lsl - mu) / sigma), "ppm_above": 1e6 * stats.norm.sf((usl - mu) / sigma)},
        1e-9,
    )

# Safety stock and the newsvendor need the normal quantile (scipy's norm.ppf).
for _ in range(ROWS_PER_MODEL):
    level = uniform(0.5, 0.9999)
    d, sd, lead, sd_lead = uniform(0.0, 1000.0), uniform(0.0, 100.0), uniform(0.0, 30.0), uniform(0.0, 5.0)
    z = stats.norm.ppf(level)
    sigma = math.sqrt(lead * sd * sd + d * d * sd_lead * sd_lead)
    add(
        "inventory.safety_stock",
        {"service_level": level, "d": d, "sd": sd, "L": lead, "sd_L": sd_lead},
        {"z": z, "ss": z * sigma, "rop": d * lead + z * sigma},
        1e-11,
    )
    h, p, mu, s = log_uniform(0.01, 100.0), log_uniform(0.01, 100.0), uniform(0.0, 1000.0), uniform(1.0, 100.0)
    zn = stats.norm.ppf(p / (p + h))
    add(
        "inventory.newsvendor_normal",
        {"h": h, "p": p, "mu": mu, "sigma": s},
        {"S": mu + s * zn, "cost": (p + h) * s * stats.norm.pdf(zn)},
        1e-10,
    )

# Data algorithms on random series (numpy and scipy), gaps included where the algorithm
# takes them.
import numpy as np

nprng = np.random.default_rng(20261205)


def series(n, gaps=0.0):
    x = nprng.normal(nprng.uniform(-50, 50), nprng.uniform(0.1, 20), n)
    if nprng.uniform() < 0.3:
        x = x + nprng.standard_exponential(n) * nprng.uniform(0, 30)
    mask = nprng.uniform(size=n) < gaps
    return x, mask


def as_json(x, mask):
    return [None if m else float(v) for v, m in zip(x, mask)]


for _ in range(20):
    n = int(nprng.integers(5, 400))
    x, mask = series(n, gaps=0.1)
    v = x[~mask]
    if len(v) < 4:
        continue
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    add(
        "stats.describe",
        {"x": as_json(x, mask)},
        {"n": float(len(v)), "missing": float(mask.sum()), "mean": float(v.mean()), "std": float(v.std(ddof=1)),
         "min": float(v.min()), "q1": float(q1), "median": float(med), "q3": float(q3), "max": float(v.max())},
        1e-9,
    )
    add("stats.skew_kurtosis", {"x": as_json(x, mask)}, {"skewness": float(stats.skew(v)), "kurtosis": float(stats.kurtosis(v))}, 1e-8)
    k = float(nprng.uniform(1, 3))
    m, s = v.mean(), v.std(ddof=1)
    flags = [None if g else float(abs(a - m) > k * s) for a, g in zip(x, mask)]
    add("anomaly.k_sigma", {"x": as_json(x, mask), "k": k}, {"flags": flags, "lower": float(m - k * s), "upper": float(m + k * s)}, 1e-9)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    flags = [None if g else float(a < lo or a > hi) for a, g in zip(x, mask)]
    add("anomaly.iqr", {"x": as_json(x, mask)}, {"flags": flags, "lower": float(lo), "upper": float(hi)}, 1e-9)
    # EWMA without gaps: scipy's lfilter with the first value as the start.
    y, _ = series(n)
    alpha = float(nprng.uniform(0.05, 0.9))
    from scipy import signal
    smooth, _ = signal.lfilter([alpha], [1, alpha - 1], y, zi=[(1 - alpha) * y[0]])
    add("filter.ewma", {"x": [float(a) for a in y], "alpha": alpha}, {"y": [float(a) for a in smooth]}, 1e-9)
    # Paired series: correlations and the fitted line.
    a, _ = series(n)
    b = a * nprng.uniform(-3, 3) + nprng.normal(0, nprng.uniform(0.1, 10), n)
    r = stats.pearsonr(a, b)[0]
    rho = stats.spearmanr(a, b)[0]
    fit = stats.linregress(a, b)
    pa, pb = [float(t) for t in a], [float(t) for t in b]
    add("corr.pearson", {"x": pa, "y": pb}, {"r": float(r), "n": float(n)}, 1e-9)
    add("corr.spearman", {"x": pa, "y": pb}, {"rho": float(rho)}, 1e-9)
    add("regress.linear", {"x": pa, "y": pb},
        {"slope": float(fit.slope), "intercept": float(fit.intercept), "r2": float(fit.rvalue ** 2), "slope_se": float(fit.stderr)}, 1e-8)

# Weibull life functions (scipy.stats.weibull_min, scipy.special.gamma).
for _ in range(ROWS_PER_MODEL):
    b, eta, g = log_uniform(0.3, 8.0), log_uniform(10.0, 1e5), uniform(0.0, 100.0)
    t = g + eta * log_uniform(0.01, 3.0)
    pct = uniform(0.1, 90.0)
    w = stats.weibull_min(b, loc=g, scale=eta)
    add(
        "reliability.weibull",
        {"beta": b, "eta": eta, "gamma": g, "t": t, "p": pct},
        {"R": float(w.sf(t)), "f": float(w.pdf(t)), "mean": float(w.mean()), "B": float(w.ppf(pct / 100))},
        1e-9,
    )

# Spectra: numpy's rfft amplitude and scipy's welch (its defaults).
for _ in range(10):
    n = int(nprng.integers(16, 3000))
    fs = float(nprng.uniform(10, 10000))
    t = np.arange(n) / fs
    sig = sum(nprng.uniform(0.1, 5) * np.sin(2 * np.pi * nprng.uniform(0, fs / 2) * t + nprng.uniform(0, 6)) for _ in range(3))
    sig = sig + nprng.normal(0, nprng.uniform(0.01, 1), n)
    spec = np.abs(np.fft.rfft(sig)) / n
    spec[1:] *= 2
    if n % 2 == 0:
        spec[-1] /= 2
    add("freq.fft_amplitude", {"x": [float(v) for v in sig], "fs": fs},
        {"amplitude": [float(v) for v in spec], "freq": [float(v) for v in np.fft.rfftfreq(n, 1 / fs)]}, 1e-8)
    nper = int(nprng.choice([16, 64, 256]))
    if n >= nper:
        from scipy import signal as sg
        f, p = sg.welch(sig, fs=fs, nperseg=nper)
        add("freq.welch_psd", {"x": [float(v) for v in sig], "fs": fs, "nperseg": float(nper)},
            {"freq": [float(v) for v in f], "psd": [float(v) for v in p]}, 1e-8)

# k-out-of-n (scipy's binomial survival function).
for _ in range(ROWS_PER_MODEL):
    n = int(nprng.integers(1, 60))
    k = int(nprng.integers(1, n + 1))
    r = float(nprng.uniform(0, 1))
    add("reliability.k_out_of_n", {"k": float(k), "n": float(n), "R": r}, {"R_sys": float(stats.binom.sf(k - 1, n, r))}, 1e-9)

# The plant-energy, moist-air and solar models (PsychroLib, pvlib, fluids, iapws, scipy).
sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
import crosscheck_mech  # noqa: E402

crosscheck_mech.extend(add, uniform, log_uniform, rng, ROWS_PER_MODEL)

json.dump(
    {
        "packages": {p: version(p) for p in ["iapws", "fluids", "ht", "numpy", "scipy", *crosscheck_mech.PACKAGES]},
        "rows": rows,
    },
    sys.stdout,
)
