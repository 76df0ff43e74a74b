"""Reference values for the data algorithms from maintained open implementations.

Run by `tests/crosscheck.rs` with the interpreter of the models' reference environment
(`scripts/install-test-peers.sh` installs numpy, scipy, pandas, statsmodels, scikit-learn,
ruptures, PyWavelets, dtaidistance and pymannkendall there). It draws random series
(fixed seed), computes each algorithm with the package its card names, and prints
`{"packages": {...}, "rows": [{"model", "inputs", "expect", "rel", "abs"?}]}`; the Rust
test evaluates Ironloom's algorithm on the same inputs and compares.
"""

import json
import math
import os
import runpy
import sys
from importlib.metadata import version

import numpy as np
import pandas as pd
from scipy import ndimage, optimize, signal, stats

rng = np.random.default_rng(20261206)
rows = []


def clean(v):
    if isinstance(v, (list, tuple, np.ndarray, pd.Series)):
        return [None if (e is None or not math.isfinite(float(e))) else float(e) for e in list(v)]
    return float(v)


def add(model, inputs, expect, rel, abs_=0.0):
    expect = {k: clean(v) for k, v in expect.items()}
    inputs = {k: (v if isinstance(v, str) else clean(v)) for k, v in inputs.items()}
    for v in expect.values():
        if not isinstance(v, list) and not math.isfinite(v):
            return
    row = {"model": model, "inputs": inputs, "expect": expect, "rel": rel}
    if abs_:
        row["abs"] = abs_
    rows.append(row)


def series(n, gaps=0.0):
    x = rng.normal(rng.uniform(-50, 50), rng.uniform(0.1, 20), n)
    if rng.uniform() < 0.3:
        x = x + rng.standard_exponential(n) * rng.uniform(0, 30)
    if gaps:
        x[rng.uniform(size=n) < gaps] = np.nan
    return x


def walk(n):
    return np.cumsum(rng.normal(0, 1, n)) + rng.uniform(-20, 20)


# Repairing and reshaping (numpy, scipy, pandas, scikit-learn).
from sklearn.preprocessing import MinMaxScaler

for _ in range(15):
    n = int(rng.integers(5, 500))
    x = series(n, gaps=rng.uniform(0, 0.3))
    if np.isfinite(x).sum() < 3:
        continue
    idx = np.arange(n)
    ok = np.isfinite(x)
    add("repair.interpolate_linear", {"x": x}, {"y": np.interp(idx, idx[ok], x[ok]), "filled": n - ok.sum()}, 1e-12)
    s = pd.Series(x)
    ff = s.ffill()
    add("repair.forward_fill", {"x": x}, {"y": ff, "filled": ff.notna().sum() - ok.sum()}, 0.0)
    w = int(rng.integers(1, 30))
    add("filter.moving_average", {"x": x, "window": w}, {"y": s.rolling(w, min_periods=1).mean()}, 1e-9)
    w = int(rng.integers(2, 30))
    add("filter.rolling_std", {"x": x, "window": w}, {"y": s.rolling(w, min_periods=2).std()}, 1e-7, 1e-9)
    lag = int(rng.integers(1, 12))
    add("transform.difference", {"x": x, "lag": lag}, {"y": s.diff(lag)}, 1e-12, 1e-12)
    ddof = int(rng.integers(0, 2))
    add("transform.zscore", {"x": x, "ddof": ddof},
        {"y": stats.zscore(x, ddof=ddof, nan_policy="omit"), "mean": np.nanmean(x), "std": np.nanstd(x, ddof=ddof)}, 1e-9, 1e-12)
    add("transform.min_max", {"x": x}, {"y": MinMaxScaler().fit_transform(x.reshape(-1, 1))[:, 0]}, 1e-12, 1e-14)
    q = float(rng.uniform(0, 100))
    add("stats.percentile", {"x": x, "q": q}, {"value": np.nanpercentile(x, q)}, 1e-12)
    b = int(rng.integers(1, 40))
    counts, edges = np.histogram(x[ok], bins=b)
    add("stats.histogram", {"x": x, "bins": b}, {"counts": counts, "edges": edges}, 1e-12, 1e-12)
    # Without gaps: the median and Savitzky–Golay filters.
    y = series(n)
    w = 2 * int(rng.integers(0, 10)) + 1
    add("filter.median", {"x": y, "window": w}, {"y": ndimage.median_filter(y, size=w, mode="nearest")}, 0.0)
    w = 2 * int(rng.integers(1, 12)) + 1
    if n >= w:
        p = int(rng.integers(0, min(w, 7)))
        add("filter.savitzky_golay", {"x": y, "window": w, "order": p},
            {"y": signal.savgol_filter(y, w, p, mode="interp")}, 1e-8, 1e-9)
    # Irregular times resampled to a grid.
    t = np.sort(rng.uniform(0, rng.uniform(10, 1e4), n)) + rng.uniform(-1e3, 1e3)
    step = float(rng.uniform(0.5, 200))
    origin = math.floor(t.min() / step) * step
    k = math.floor((t.max() - origin) / step) + 1
    edges = origin + np.arange(k + 1) * step
    mean, _, _ = stats.binned_statistic(t[ok], x[ok], "mean", bins=edges)
    cnt, _, _ = stats.binned_statistic(t[ok], x[ok], "count", bins=edges)
    add("repair.resample_mean", {"t": t, "x": x, "step": step}, {"grid": edges[:-1], "mean": mean, "count": cnt}, 1e-9)


# Signal processing (scipy.signal, numpy.fft, PyWavelets).
import pywt


def tone(n, fs):
    t = np.arange(n) / fs
    x = sum(rng.uniform(0.1, 5) * np.sin(2 * np.pi * rng.uniform(0, fs / 2) * t + rng.uniform(0, 6)) for _ in range(3))
    return x + rng.normal(0, rng.uniform(0.01, 1), n) + rng.uniform(-10, 10)


for _ in range(12):
    n = int(rng.integers(100, 3000))
    fs = float(rng.uniform(10, 10000))
    x = tone(n, fs)
    scale = float(np.abs(x).max())
    order = int(rng.integers(1, 9))
    f1, f2 = sorted(rng.uniform(0.02, 0.48, 2) * fs)
    for model, btype, wn, ins in [
        ("filter.butterworth_lowpass", "lowpass", f1, {"f_low": f1}),
        ("filter.butterworth_highpass", "highpass", f1, {"f_low": f1}),
        ("filter.butterworth_bandpass", "bandpass", [f1, f2], {"f_low": f1, "f_high": f2}),
        ("filter.butterworth_bandstop", "bandstop", [f1, f2], {"f_low": f1, "f_high": f2}),
    ]:
        sos = signal.butter(order, wn, btype=btype, fs=fs, output="sos")
        if n > 3 * (2 * len(sos) + 1):
            y = signal.sosfiltfilt(sos, x)
            add(model, {"x": x, "fs": fs, "order": order, **ins}, {"y": y}, 1e-7, 1e-9 * scale)
    env = np.abs(signal.hilbert(x))
    amp = np.abs(np.fft.rfft(env - env.mean())) / n
    amp[1:] *= 2
    if n % 2 == 0:
        amp[-1] /= 2
    add("freq.envelope_spectrum", {"x": x, "fs": fs},
        {"envelope": env, "amplitude": amp, "freq": np.fft.rfftfreq(n, 1 / fs)}, 1e-9, 1e-10 * float(amp.max()))
    nper = int(rng.choice([16, 64, 256]))
    if n >= nper:
        f, p = signal.welch(x, fs=fs, nperseg=nper)
        df = f[1]
        band = p[(f >= f1) & (f <= f2)].sum() * df
        total = p.sum() * df
        add("freq.band_power", {"x": x, "fs": fs, "nperseg": nper, "f_low": f1, "f_high": f2},
            {"power": band, "total": total, "ratio": band / total}, 1e-8, 1e-12 * total)
    ceps = np.fft.irfft(np.log(np.abs(np.fft.rfft(x))), n)
    add("freq.cepstrum", {"x": x, "fs": fs}, {"cepstrum": ceps, "quefrency": np.arange(n) / fs}, 1e-8, 1e-10 * float(np.abs(ceps).max()))
    rms = np.sqrt(np.mean(x ** 2))
    peak = np.abs(x).max()
    add("vib.time_features", {"x": x},
        {"rms": rms, "peak": peak, "peak_to_peak": np.ptp(x), "crest": peak / rms,
         "kurtosis": stats.kurtosis(x, fisher=False), "skewness": stats.skew(x),
         "shape": rms / np.abs(x).mean(), "impulse": peak / np.abs(x).mean(),
         "clearance": peak / np.mean(np.sqrt(np.abs(x))) ** 2}, 1e-9)
    for i, name in enumerate(["haar", "db2", "db4", "sym4"]):
        m = int(rng.integers(8, 600))
        y = tone(m, fs)
        w = pywt.Wavelet(name)
        top = pywt.dwt_max_level(m, w.dec_len)
        if top < 1:
            continue
        level = int(rng.integers(1, top + 1))
        c = pywt.wavedec(y, w, mode="symmetric", level=level)
        add("wavelet.dwt", {"x": y, "wavelet": name, "level": level},
            {"coeffs": np.concatenate(c), "lengths": [len(v) for v in c], "energy": [float((v ** 2).sum()) for v in c]},
            1e-9, 1e-10 * float(np.abs(y).max()))


# Time series (statsmodels).
import warnings

from statsmodels.regression.linear_model import yule_walker
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.holtwinters import ExponentialSmoothing, Holt, SimpleExpSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf, pacf

warnings.simplefilter("ignore")
for _ in range(12):
    n = int(rng.integers(30, 600))
    x = walk(n) if rng.uniform() < 0.5 else series(n)
    lags = int(rng.integers(1, min(40, n // 2)))
    add("ts.acf", {"x": x, "lags": lags}, {"acf": acf(x, nlags=lags, fft=False)}, 1e-9, 1e-12)
    add("ts.pacf", {"x": x, "lags": lags}, {"pacf": pacf(x, nlags=lags, method="ywm")}, 1e-7, 1e-10)
    lb = acorr_ljungbox(x, lags=[lags])
    add("ts.ljung_box", {"x": x, "lags": lags}, {"q": lb["lb_stat"].iloc[0], "p": lb["lb_pvalue"].iloc[0]}, 1e-8, 1e-14)
    m = int(rng.integers(2, 25))
    t = np.arange(n)
    y = x + rng.uniform(1, 10) * np.sin(2 * np.pi * t / m + rng.uniform(0, 6))
    if n >= 2 * m:
        r = seasonal_decompose(y, model="additive", period=m)
        add("ts.seasonal_decompose", {"x": y, "period": m}, {"trend": r.trend, "seasonal": r.seasonal, "resid": r.resid}, 1e-9, 1e-10)
    a, b, g = rng.uniform(0.01, 0.99, 3)
    h = int(rng.integers(1, 30))
    r = SimpleExpSmoothing(x, initialization_method="known", initial_level=x[0]).fit(smoothing_level=a, optimized=False)
    add("forecast.ses", {"x": x, "alpha": a, "horizon": h}, {"fitted": r.fittedvalues, "forecast": r.forecast(h), "sse": r.sse}, 1e-9)
    r = Holt(x, initialization_method="known", initial_level=x[0], initial_trend=x[1] - x[0]).fit(
        smoothing_level=a, smoothing_trend=b, optimized=False)
    add("forecast.holt", {"x": x, "alpha": a, "beta": b, "horizon": h}, {"fitted": r.fittedvalues, "forecast": r.forecast(h), "sse": r.sse}, 1e-9)
    if n >= 2 * m:
        l0 = y[:m].mean()
        r = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=m, initialization_method="known",
                                 initial_level=l0, initial_trend=(y[m:2 * m].mean() - l0) / m, initial_seasonal=y[:m] - l0).fit(
            smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
        # statsmodels' forecast at k = m, 2m … takes the season before the latest: only
        # the first m − 1 steps are compared.
        add("forecast.holt_winters", {"x": y, "period": m, "alpha": a, "beta": b, "gamma": g, "horizon": m - 1},
            {"fitted": r.fittedvalues, "forecast": r.forecast(m - 1), "sse": r.sse}, 1e-9)
    p = int(rng.integers(1, 8))
    rho, sigma = yule_walker(x, order=p, method="mle")
    add("forecast.ar_yule_walker", {"x": x, "lags": p}, {"phi": rho, "sigma": sigma}, 1e-8, 1e-12)
    res = AutoReg(x, lags=p, trend="c").fit()
    add("forecast.autoreg", {"x": x, "lags": p, "horizon": h}, {"params": res.params, "sigma2": res.sigma2, "forecast": res.forecast(h)}, 1e-8, 1e-10)


# Anomaly detection (pandas, scipy.stats, scikit-learn).
from sklearn.neighbors import LocalOutlierFactor

MAD_NORMAL = 1 / stats.norm.ppf(0.75)


def spiky(n, gaps=0.0):
    x = series(n, gaps)
    hit = rng.uniform(size=n) < rng.uniform(0, 0.08)
    x[hit] += rng.choice([-1, 1], hit.sum()) * rng.uniform(5, 50, hit.sum()) * np.nanstd(x)
    return x


for _ in range(15):
    n = int(rng.integers(10, 400))
    x = spiky(n, gaps=rng.uniform(0, 0.1))
    s = pd.Series(x)
    h, k = int(rng.integers(1, 8)), float(rng.uniform(1, 4))
    med = s.rolling(2 * h + 1, center=True, min_periods=1).median()
    mad = s.rolling(2 * h + 1, center=True, min_periods=1).apply(lambda w: np.nanmedian(np.abs(w - np.nanmedian(w))), raw=True)
    out = (s - med).abs() > k * MAD_NORMAL * mad
    flags = np.where(s.isna(), np.nan, out.astype(float))
    add("anomaly.hampel", {"x": x, "half_window": h, "k": k},
        {"flags": flags, "count": np.nansum(flags), "y": np.where(out, med, x)}, 1e-12)
    mad = stats.median_abs_deviation(x, nan_policy="omit", scale="normal")
    if mad > 0:
        z = (x - np.nanmedian(x)) / mad
        add("anomaly.modified_zscore", {"x": x, "k": 3.5},
            {"z": z, "flags": np.where(np.isnan(z), np.nan, (np.abs(z) > 3.5).astype(float)),
             "median": np.nanmedian(x), "mad": stats.median_abs_deviation(x, nan_policy="omit")}, 1e-12)
    w = int(rng.integers(2, 40))
    z = (s - s.rolling(w).mean().shift(1)) / s.rolling(w).std().shift(1)
    add("anomaly.rolling_zscore", {"x": x, "window": w, "k": k},
        {"z": z, "flags": np.where(z.isna(), np.nan, (z.abs() > k).astype(float))}, 1e-7, 1e-9)
    v = x[np.isfinite(x)]
    alpha = float(rng.uniform(0.001, 0.1))
    G = np.abs(v - v.mean()).max() / v.std(ddof=1)
    t = stats.t.isf(alpha / (2 * len(v)), len(v) - 2)
    crit = (len(v) - 1) / np.sqrt(len(v)) * np.sqrt(t * t / (len(v) - 2 + t * t))
    add("anomaly.grubbs", {"x": x, "alpha": alpha}, {"g": G, "critical": crit, "outlier": float(G > crit)}, 1e-10)
    # Rosner's procedure, step by step as NIST §1.3.5.17.3 gives it.
    r = int(rng.integers(1, min(10, len(v) - 3) + 1))
    idx = list(np.flatnonzero(np.isfinite(x)))
    R, L, removed = [], [], []
    for i in range(1, r + 1):
        vals = x[idx]
        dev = np.abs(vals - vals.mean())
        j = int(np.argmax(dev))
        R.append(dev[j] / vals.std(ddof=1))
        nn = len(v)
        t = stats.t.ppf(1 - alpha / (2 * (nn - i + 1)), nn - i - 1)
        L.append((nn - i) * t / np.sqrt((nn - i - 1 + t * t) * (nn - i + 1)))
        removed.append(idx.pop(j))
    found = max([i + 1 for i in range(r) if R[i] > L[i]], default=0)
    flags = np.where(np.isfinite(x), 0.0, np.nan)
    flags[removed[:found]] = 1.0
    add("anomaly.generalized_esd", {"x": x, "max_outliers": r, "alpha": alpha},
        {"flags": flags, "count": found, "r": R, "lambda": L}, 1e-9)
    kk = int(rng.integers(1, 30))
    lof = LocalOutlierFactor(n_neighbors=kk).fit(v.reshape(-1, 1))
    score = np.full(n, np.nan)
    score[np.isfinite(x)] = -lof.negative_outlier_factor_
    add("anomaly.lof", {"x": x, "k": kk, "threshold": 1.5},
        {"lof": score, "flags": np.where(np.isnan(score), np.nan, (score > 1.5).astype(float))}, 1e-9)


# Regression (numpy, scipy.stats, scikit-learn).
from sklearn.isotonic import IsotonicRegression

for _ in range(15):
    n = int(rng.integers(5, 300))
    x = rng.uniform(-10, 10, n) * rng.uniform(0.1, 5)
    y = rng.normal(0, 1, n) * rng.uniform(0.1, 10) + np.polyval(rng.normal(0, 2, 4), x)
    y[rng.uniform(size=n) < 0.05] = np.nan
    ok = np.isfinite(y)
    deg = int(rng.integers(0, 5))
    if ok.sum() >= deg + 2:
        c = np.polyfit(x[ok], y[ok], deg)
        fit = np.polyval(c, x[ok])
        r2 = 1 - ((y[ok] - fit) ** 2).sum() / ((y[ok] - y[ok].mean()) ** 2).sum()
        add("regress.polynomial", {"x": x, "y": y, "degree": deg}, {"coefficients": c, "r2": r2}, 1e-7, 1e-9)
    xp = rng.uniform(0.1, 50, n)
    ye = rng.uniform(0.5, 20) * np.exp(rng.uniform(-0.2, 0.2) * xp) * np.exp(rng.normal(0, 0.1, n))
    c = np.polyfit(xp, np.log(ye), 1)
    add("regress.exponential", {"x": xp, "y": ye}, {"a": np.exp(c[1]), "b": c[0]}, 1e-9)
    yp = rng.uniform(0.5, 20) * xp ** rng.uniform(-2, 2) * np.exp(rng.normal(0, 0.1, n))
    c = np.polyfit(np.log(xp), np.log(yp), 1)
    add("regress.power", {"x": xp, "y": yp}, {"a": np.exp(c[1]), "b": c[0]}, 1e-9)
    yl = x * rng.uniform(-2, 2) + rng.normal(0, rng.uniform(0.1, 20), n)
    lr = stats.linregress(x, yl)
    conf = float(rng.uniform(0.8, 0.99))
    half = stats.t.isf((1 - conf) / 2, n - 2) * lr.stderr
    add("regress.linear_test", {"x": x, "y": yl, "confidence": conf},
        {"slope": lr.slope, "intercept": lr.intercept, "slope_se": lr.stderr, "intercept_se": lr.intercept_stderr,
         "t": lr.slope / lr.stderr, "p": lr.pvalue, "slope_low": lr.slope - half, "slope_high": lr.slope + half}, 1e-8, 1e-14)
    yo = yl.copy()
    hit = rng.uniform(size=n) < 0.1
    yo[hit] += rng.normal(0, 100, hit.sum())
    ts = stats.theilslopes(yo[ok], x[ok])
    add("regress.theil_sen", {"x": x, "y": np.where(ok, yo, np.nan)}, {"slope": ts.slope, "intercept": ts.intercept}, 1e-10, 1e-12)
    sg = stats.siegelslopes(yo, x)
    add("regress.siegel", {"x": x, "y": yo}, {"slope": sg.slope, "intercept": sg.intercept}, 1e-10, 1e-12)
    inc = bool(rng.uniform() < 0.5)
    xi = np.round(x, 0) if rng.uniform() < 0.5 else x
    iso = IsotonicRegression(increasing=inc).fit_transform(xi, yl)
    add("regress.isotonic", {"x": xi, "y": yl, "direction": "increasing" if inc else "decreasing"}, {"fitted": iso}, 1e-9, 1e-12)

# Association, matching and trend (scipy, numpy, dtaidistance, statsmodels, pymannkendall).
import pymannkendall as mk
from dtaidistance import dtw
from statsmodels.tsa.stattools import grangercausalitytests

for _ in range(15):
    n = int(rng.integers(5, 400))
    a = series(n)
    b = a * rng.uniform(-3, 3) + rng.normal(0, rng.uniform(0.1, 30), n)
    if rng.uniform() < 0.5:
        a, b = np.round(a, 0), np.round(b, 0)
    add("corr.kendall", {"x": a, "y": b}, {"tau": stats.kendalltau(a, b).statistic, "n": n}, 1e-12)
    L = int(rng.integers(0, n))
    full = np.correlate(a - a.mean(), b - b.mean(), "full") / np.sqrt(((a - a.mean()) ** 2).sum() * ((b - b.mean()) ** 2).sum())
    lags = np.arange(-(n - 1), n)
    keep = np.abs(lags) <= L
    add("corr.cross_correlation", {"x": a, "y": b, "max_lag": L}, {"lags": lags[keep], "r": full[keep]}, 1e-9, 1e-12)
    m = int(rng.integers(1, 300))
    c = series(m)
    add("distance.dtw", {"x": a, "y": c}, {"distance": dtw.distance(a, c)}, 1e-10)
    p = int(rng.integers(1, 6))
    if n >= 3 * p + 10:
        e = np.zeros(n)
        drive = rng.normal(0, 1, n)
        for t in range(1, n):
            e[t] = 0.5 * e[t - 1] + rng.uniform(0, 1) * drive[t - 1] + rng.normal()
        g = grangercausalitytests(np.column_stack([e, drive]), maxlag=[p])[p][0]["ssr_ftest"]
        add("causality.granger", {"y": e, "x": drive, "lag": p}, {"f": g[0], "p": g[1]}, 1e-8, 1e-15)
    w = walk(n) if rng.uniform() < 0.5 else series(n, gaps=0.05)
    if rng.uniform() < 0.3:
        w = np.round(w, 0)
    if np.isfinite(w).sum() >= 3:
        r = mk.original_test(w, 0.05)
        add("trend.mann_kendall", {"x": w, "alpha": 0.05},
            {"trend": {"increasing": 1, "decreasing": -1}.get(r.trend, 0), "s": r.s, "var_s": r.var_s, "z": r.z,
             "p": r.p, "tau": r.Tau, "slope": r.slope, "intercept": r.intercept}, 1e-9, 1e-12)


# Change points (ruptures) and clustering (scikit-learn, scipy).
import ruptures as rpt
from scipy.cluster.hierarchy import linkage
from sklearn.cluster import DBSCAN, KMeans


def steps(n):
    k = min(int(rng.integers(0, 6)), n - 1)
    cuts = np.sort(rng.choice(np.arange(1, n), size=k, replace=False))
    levels = rng.normal(0, rng.uniform(1, 10), k + 1)
    x = np.repeat(levels, np.diff(np.r_[0, cuts, n])) + rng.normal(0, rng.uniform(0.2, 3), n)
    return x + rng.uniform(-100, 100)


def fit_of(x, bkps):
    out, start = [], 0
    for end in bkps:
        out += [x[start:end].mean()] * (end - start)
        start = end
    return out


for _ in range(15):
    n = int(rng.integers(10, 300))
    x = steps(n)
    ms = int(rng.integers(1, 6))
    pen = float(rng.uniform(1, 50)) * np.var(np.diff(x)) / 2
    b = rpt.Pelt(model="l2", min_size=ms, jump=1).fit(x).predict(pen=pen)
    add("changepoint.pelt", {"x": x, "penalty": pen, "min_size": ms},
        {"breakpoints": b, "count": len(b) - 1, "fit": fit_of(x, b)}, 1e-12, 1e-9)
    k = int(rng.integers(0, 6))
    if k * ms + ms <= n:
        b = rpt.Binseg(model="l2", min_size=ms, jump=1).fit(x).predict(n_bkps=k)
        add("changepoint.binary_segmentation", {"x": x, "changes": k, "min_size": ms},
            {"breakpoints": b, "count": len(b) - 1, "fit": fit_of(x, b)}, 1e-12, 1e-9)
        if n <= 150:
            b = rpt.Dynp(model="l2", min_size=ms, jump=1).fit(x).predict(n_bkps=k)
            add("changepoint.optimal", {"x": x, "changes": k, "min_size": ms},
                {"breakpoints": b, "count": len(b) - 1, "fit": fit_of(x, b)}, 1e-12, 1e-9)
    # Values from a few operating levels, gaps included.
    y = steps(n)
    y[rng.uniform(size=n) < 0.05] = np.nan
    v = y[np.isfinite(y)]
    k = int(rng.integers(1, 7))
    if len(np.unique(v)) >= k:
        init = np.quantile(v, (np.arange(k) + 0.5) / k).reshape(-1, 1)
        km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(v.reshape(-1, 1))
        if np.bincount(km.labels_, minlength=k).min() > 0:
            labels = np.full(n, np.nan)
            labels[np.isfinite(y)] = km.labels_
            add("cluster.kmeans", {"x": y, "k": k}, {"labels": labels, "centres": km.cluster_centers_[:, 0], "inertia": km.inertia_}, 1e-9, 1e-9)
    eps = float(np.std(v) * rng.uniform(0.01, 0.3))
    mins = int(rng.integers(1, 10))
    db = DBSCAN(eps=eps, min_samples=mins).fit(v.reshape(-1, 1))
    labels = np.full(n, np.nan)
    labels[np.isfinite(y)] = db.labels_
    add("cluster.dbscan", {"x": y, "eps": eps, "min_samples": mins},
        {"labels": labels, "clusters": db.labels_.max() + 1, "noise": (db.labels_ < 0).sum()}, 1e-12, 1e-12)
    add("cluster.ward_heights", {"x": y}, {"heights": linkage(v.reshape(-1, 1), "ward")[:, 2]}, 1e-9, 1e-12)


# The other algorithms, in this namespace (shared helpers and random generator).
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "crosscheck_algorithms_more.py"), init_globals=globals())

packages = ["numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "ruptures", "PyWavelets", "dtaidistance", "pymannkendall"]
json.dump({"packages": {p: version(p) for p in packages}, "rows": rows}, sys.stdout)
