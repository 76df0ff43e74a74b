"""Writes the test vectors of the data algorithms added for issue 19 (`vectors/<module>.json`).

Each case is computed by the open implementation its source names, on small inputs
written out here, so a reviewer can re-run this script (with the interpreter of
`scripts/install-test-peers.sh`'s models environment) and compare. Hand cases are worked
by hand and written as such. Run: `$IRONLOOM_MODELS_PYTHON crates/models/tests/make_vectors.py`.
"""

import json
import math
import os
import runpy
import sys
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd
from scipy import ndimage, signal, stats

warnings.simplefilter("ignore")
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors")
V = {p: version(p) for p in ["numpy", "scipy", "pandas", "statsmodels", "scikit-learn", "ruptures", "PyWavelets",
                              "dtaidistance", "pymannkendall"]}


def clean(v):
    if isinstance(v, (list, tuple, np.ndarray, pd.Series)):
        return [None if (e is None or not math.isfinite(float(e))) else float(e) for e in list(v)]
    if isinstance(v, str):
        return v
    return float(v)


files = {}


def case(module, model, source, inputs, expect, rel=1e-9, abs_=0.0):
    c = {"model": model, "source": source, "inputs": {k: clean(v) for k, v in inputs.items()},
         "expect": {k: clean(v) for k, v in expect.items()}, "rel": rel}
    if abs_:
        c["abs"] = abs_
    files.setdefault(module, {"cases": [], "refusals": []})["cases"].append(c)


def refusal(module, model, inputs, code="model_refused"):
    files.setdefault(module, {"cases": [], "refusals": []})["refusals"].append(
        {"model": model, "inputs": {k: clean(v) for k, v in inputs.items()}, "code": code})


def comp(pkg, what):
    return f"computed: {pkg} {V[pkg]} {what}"


rng = np.random.default_rng(19)
A = [2.0, 4.0, None, 7.0, None, None, 1.0, 3.0]
B = [12.1, 11.8, 12.4, 30.2, 12.0, 11.9, 12.6, 12.2, 11.7, 12.3, 12.5, 12.0]
C = list(np.round(rng.normal(50, 5, 24), 2))
nan = float("nan")
an = np.array([nan if v is None else v for v in A])

# repair.rs
m = "repair"
idx = np.arange(len(an))
ok = np.isfinite(an)
case(m, "repair.interpolate_linear", "hand: 4 and 7 two steps apart give 5.5 between; the ends held",
     {"x": [None, 4, None, 7, None]}, {"y": [4, 4, 5.5, 7, 7], "filled": 3}, 1e-12)
case(m, "repair.interpolate_linear", comp("numpy", "interp over the index"), {"x": A},
     {"y": np.interp(idx, idx[ok], an[ok]), "filled": 3}, 1e-12)
case(m, "repair.interpolate_linear", "hand: nothing to fill", {"x": [1, 2]}, {"y": [1, 2], "filled": 0}, 1e-12)
case(m, "repair.forward_fill", comp("pandas", "Series.ffill"), {"x": A}, {"y": pd.Series(an).ffill(), "filled": 3}, 1e-12)
case(m, "repair.forward_fill", "hand: a leading gap stays", {"x": [None, 1, None]}, {"y": [None, 1, 1], "filled": 1}, 1e-12)
case(m, "repair.forward_fill", "hand: nothing to fill", {"x": [3, 4]}, {"y": [3, 4], "filled": 0}, 1e-12)
case(m, "repair.resample_mean", "hand: step 2 over times 0 … 5", {"t": [0, 1, 2, 3, 4, 5], "x": [1, 3, 5, None, 9, 11], "step": 2},
     {"grid": [0, 2, 4], "mean": [2, 5, 10], "count": [2, 1, 2]}, 1e-12)
case(m, "repair.resample_mean", "hand: an empty interval is a gap", {"t": [0.5, 4.5], "x": [1, 2], "step": 2},
     {"grid": [0, 2, 4], "mean": [1, None, 2], "count": [1, 0, 1]}, 1e-12)
t = np.array([0.3, 1.7, 2.2, 2.9, 6.1, 7.4, 7.5, 9.9])
x = np.array([5.0, 6.0, 7.5, 8.0, 3.0, 2.0, 2.5, 4.0])
mean_, _, _ = stats.binned_statistic(t, x, "mean", bins=np.arange(0, 12.5, 2.5))
case(m, "repair.resample_mean", comp("scipy", "stats.binned_statistic"), {"t": t, "x": x, "step": 2.5},
     {"grid": [0, 2.5, 5, 7.5], "mean": mean_}, 1e-12)
s = pd.Series(an)
for w in (1, 3):
    case(m, "filter.moving_average", comp("pandas", f"rolling({w}, min_periods=1).mean()"), {"x": A, "window": w},
         {"y": s.rolling(w, min_periods=1).mean()}, 1e-12)
case(m, "filter.moving_average", "hand: the mean of 2 and 4", {"x": [2, 4], "window": 2}, {"y": [2, 3]}, 1e-12)
for w in (3, 5):
    case(m, "filter.rolling_std", comp("pandas", f"rolling({w}, min_periods=2).std()"), {"x": B, "window": w},
         {"y": pd.Series(B).rolling(w, min_periods=2).std()}, 1e-9)
case(m, "filter.rolling_std", "hand: 1, 3 have standard deviation √2", {"x": [1, 3], "window": 2}, {"y": [None, math.sqrt(2)]}, 1e-12)
for w in (3, 5):
    case(m, "filter.median", comp("scipy", f"ndimage.median_filter(size={w}, mode='nearest')"), {"x": B, "window": w},
         {"y": ndimage.median_filter(np.array(B), size=w, mode="nearest")}, 1e-12)
case(m, "filter.median", "hand: a spike removed", {"x": [1, 1, 9, 1, 1], "window": 3}, {"y": [1, 1, 1, 1, 1]}, 1e-12)
for w, p in ((5, 2), (7, 3)):
    case(m, "filter.savitzky_golay", comp("scipy", f"signal.savgol_filter({w}, {p}, mode='interp')"), {"x": C, "window": w, "order": p},
         {"y": signal.savgol_filter(np.array(C), w, p, mode="interp")}, 1e-9)
case(m, "filter.savitzky_golay", "hand: a quadratic passes unchanged", {"x": [v * v for v in range(7)], "window": 5, "order": 2},
     {"y": [v * v for v in range(7)]}, 1e-9, 1e-12)
case(m, "transform.difference", comp("pandas", "Series.diff(2)"), {"x": A, "lag": 2}, {"y": s.diff(2)}, 1e-12)
case(m, "transform.difference", "hand: lag 1", {"x": [1, 4, 9], "lag": 1}, {"y": [None, 3, 5]}, 1e-12)
case(m, "transform.difference", "hand: a season of 2 removed", {"x": [1, 5, 1, 5], "lag": 2}, {"y": [None, None, 0, 0]}, 1e-12)
case(m, "transform.zscore", comp("scipy", "stats.zscore(nan_policy='omit')"), {"x": A}, {"y": stats.zscore(an, nan_policy="omit")}, 1e-12)
case(m, "transform.zscore", comp("scipy", "stats.zscore(ddof=1)"), {"x": B, "ddof": 1}, {"y": stats.zscore(B, ddof=1), "std": np.std(B, ddof=1)}, 1e-12)
case(m, "transform.zscore", "hand: 1 and 3 are one standard deviation either side of 2", {"x": [1, 3]}, {"y": [-1, 1], "mean": 2, "std": 1}, 1e-12)
from sklearn.preprocessing import MinMaxScaler

case(m, "transform.min_max", comp("scikit-learn", "preprocessing.MinMaxScaler"), {"x": A},
     {"y": MinMaxScaler().fit_transform(an.reshape(-1, 1))[:, 0], "min": 1, "max": 7}, 1e-12)
case(m, "transform.min_max", "hand: 0 … 10 onto 0 … 1", {"x": [0, 5, 10]}, {"y": [0, 0.5, 1]}, 1e-12)
case(m, "transform.min_max", "hand: a constant maps to 0", {"x": [4, 4]}, {"y": [0, 0]}, 1e-12)
case(m, "stats.percentile", comp("numpy", "nanpercentile(95)"), {"x": A}, {"value": np.nanpercentile(an, 95)}, 1e-12)
case(m, "stats.percentile", comp("numpy", "percentile(37.5)"), {"x": B, "q": 37.5}, {"value": np.percentile(B, 37.5)}, 1e-12)
case(m, "stats.percentile", "hand: the median of 1 … 4", {"x": [4, 1, 3, 2], "q": 50}, {"value": 2.5}, 1e-12)
cnt, edges = np.histogram(B, bins=4)
case(m, "stats.histogram", comp("numpy", "histogram(bins=4)"), {"x": B, "bins": 4}, {"counts": cnt, "edges": edges}, 1e-12)
cnt, edges = np.histogram(an[ok], bins=3)
case(m, "stats.histogram", comp("numpy", "histogram(bins=3)"), {"x": A, "bins": 3}, {"counts": cnt, "edges": edges}, 1e-12)
case(m, "stats.histogram", "hand: a constant spans ±0.5", {"x": [2, 2], "bins": 2}, {"counts": [0, 2], "edges": [1.5, 2, 2.5]}, 1e-12)
refusal(m, "filter.median", {"x": [1, 2, 3], "window": 2})
refusal(m, "filter.savitzky_golay", {"x": [1, 2, 3], "window": 5, "order": 2})
refusal(m, "repair.interpolate_linear", {"x": [None, None]})
refusal(m, "repair.resample_mean", {"t": [0, 1], "x": [1], "step": 1})

# signal.rs
m = "signal"
fs = 100.0
tt = np.arange(200) / fs
sig = 10 + np.sin(2 * np.pi * 2 * tt) + 0.5 * np.sin(2 * np.pi * 30 * tt) + 0.2 * np.cos(2 * np.pi * 45 * tt)
sig = np.round(sig, 6)
for model, btype, wn, ins in [
    ("filter.butterworth_lowpass", "lowpass", 10.0, {"f_low": 10.0}),
    ("filter.butterworth_highpass", "highpass", 10.0, {"f_low": 10.0}),
    ("filter.butterworth_bandpass", "bandpass", [20.0, 40.0], {"f_low": 20.0, "f_high": 40.0}),
    ("filter.butterworth_bandstop", "bandstop", [20.0, 40.0], {"f_low": 20.0, "f_high": 40.0}),
]:
    for order in (2, 5):
        sos = signal.butter(order, wn, btype=btype, fs=fs, output="sos")
        case(m, model, comp("scipy", f"signal.butter({order}, {wn}, '{btype}', fs=100, output='sos') + sosfiltfilt"),
             {"x": sig, "fs": fs, "order": order, **ins}, {"y": signal.sosfiltfilt(sos, sig)}, 1e-8, 1e-9)
const = [3.0] * 40
case(m, "filter.butterworth_lowpass", "hand: a constant passes a low-pass unchanged", {"x": const, "fs": 10, "order": 4, "f_low": 1}, {"y": const}, 1e-9)
case(m, "filter.butterworth_highpass", "hand: a high-pass removes a constant", {"x": const, "fs": 10, "order": 4, "f_low": 1}, {"y": [0.0] * 40}, 1e-9, 1e-9)
case(m, "filter.butterworth_bandpass", "hand: a band-pass removes a constant", {"x": const, "fs": 10, "order": 2, "f_low": 1, "f_high": 2}, {"y": [0.0] * 40}, 1e-9, 1e-9)
case(m, "filter.butterworth_bandstop", "hand: a constant passes a band-stop unchanged", {"x": const, "fs": 10, "order": 2, "f_low": 1, "f_high": 2}, {"y": const}, 1e-9)
refusal(m, "filter.butterworth_lowpass", {"x": const, "fs": 10, "order": 4, "f_low": 6})
refusal(m, "filter.butterworth_bandpass", {"x": const, "fs": 10, "order": 2, "f_low": 3, "f_high": 2})
refusal(m, "filter.butterworth_lowpass", {"x": [1.0] * 10, "fs": 10, "order": 4, "f_low": 1})
# An amplitude-modulated carrier: 1 + 0.5 cos(2π 5 t) times a 40 Hz tone, 1 s at 400 Hz.
t4 = np.arange(400) / 400
am = (1 + 0.5 * np.cos(2 * np.pi * 5 * t4)) * np.sin(2 * np.pi * 40 * t4)
case(m, "freq.envelope_spectrum", "hand: the envelope of (1 + 0.5 cos 2π5t) sin 2π40t is 1 + 0.5 cos 2π5t: 0.5 at 5 Hz",
     {"x": am, "fs": 400}, {"peak_freq": 5, "envelope": 1 + 0.5 * np.cos(2 * np.pi * 5 * t4)}, 1e-9)
env = np.abs(signal.hilbert(sig))
amp = np.abs(np.fft.rfft(env - env.mean())) / len(env)
amp[1:] *= 2
amp[-1] /= 2
case(m, "freq.envelope_spectrum", comp("scipy", "signal.hilbert, numpy.fft.rfft"), {"x": sig, "fs": fs},
     {"envelope": env, "amplitude": amp}, 1e-9, 1e-12)
env = np.abs(signal.hilbert(am[:101]))
case(m, "freq.envelope_spectrum", comp("scipy", "signal.hilbert (odd length)"), {"x": am[:101], "fs": 400}, {"envelope": env}, 1e-9, 1e-12)
for nper, f1, f2 in ((64, 20, 40), (128, 0, 5)):
    f, p = signal.welch(sig, fs=fs, nperseg=nper)
    band = p[(f >= f1) & (f <= f2)].sum() * f[1]
    case(m, "freq.band_power", comp("scipy", f"signal.welch(nperseg={nper}), bins {f1}…{f2} Hz summed × Δf"),
         {"x": sig, "fs": fs, "nperseg": nper, "f_low": f1, "f_high": f2}, {"power": band, "total": p.sum() * f[1]}, 1e-9)
case(m, "freq.band_power", "hand: the band 0 … 8 Hz (up to Nyquist) holds all the power",
     {"x": np.sin(2 * np.pi * 2 * np.arange(256) / 16), "fs": 16, "nperseg": 64, "f_low": 0, "f_high": 8}, {"ratio": 1}, 1e-12)
for arr in (np.array(C), np.array(B)):
    case(m, "freq.cepstrum", comp("numpy", "fft.irfft(log|fft.rfft(x)|)"), {"x": arr, "fs": fs},
         {"cepstrum": np.fft.irfft(np.log(np.abs(np.fft.rfft(arr))), len(arr))}, 1e-9, 1e-12)
case(m, "freq.cepstrum", "hand: a unit impulse has a flat spectrum, so a zero cepstrum",
     {"x": [1, 0, 0, 0], "fs": 4}, {"cepstrum": [0, 0, 0, 0], "quefrency": [0, 0.25, 0.5, 0.75]}, 1e-12)
for arr in (sig, np.array(B)):
    rms = np.sqrt(np.mean(arr ** 2))
    pk = np.abs(arr).max()
    case(m, "vib.time_features", comp("scipy", "stats.kurtosis(fisher=False), stats.skew; numpy"), {"x": arr},
         {"rms": rms, "peak": pk, "peak_to_peak": np.ptp(arr), "crest": pk / rms, "kurtosis": stats.kurtosis(arr, fisher=False),
          "skewness": stats.skew(arr), "shape": rms / np.abs(arr).mean(), "impulse": pk / np.abs(arr).mean(),
          "clearance": pk / np.mean(np.sqrt(np.abs(arr))) ** 2}, 1e-9)
case(m, "vib.time_features", "hand: a square wave ±1 has RMS 1, crest 1, kurtosis 1",
     {"x": [1, -1, 1, -1]}, {"rms": 1, "peak": 1, "peak_to_peak": 2, "crest": 1, "kurtosis": 1, "shape": 1}, 1e-12)
import pywt

for name, level in (("db4", 3), ("haar", 2), ("sym4", 2)):
    c = pywt.wavedec(sig, name, mode="symmetric", level=level)
    case(m, "wavelet.dwt", comp("PyWavelets", f"wavedec('{name}', mode='symmetric', level={level})"),
         {"x": sig, "wavelet": name, "level": level},
         {"coeffs": np.concatenate(c), "lengths": [len(v) for v in c]}, 1e-9, 1e-12)
case(m, "wavelet.dwt", "hand: Haar of 1, 1, 3, 3: approximations √2·(1, 3), details 0",
     {"x": [1, 1, 3, 3], "wavelet": "haar", "level": 1}, {"coeffs": [math.sqrt(2), 3 * math.sqrt(2), 0, 0], "energy": [20, 0]}, 1e-12)
refusal(m, "wavelet.dwt", {"x": [1, 2, 3, 4], "wavelet": "db4", "level": 1})

# timeseries.rs
from statsmodels.regression.linear_model import yule_walker
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.holtwinters import ExponentialSmoothing, Holt, SimpleExpSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf, pacf

m = "timeseries"
W = list(np.round(np.cumsum(rng.normal(0, 1, 40)) + 20, 3))
S = list(np.round(20 + 5 * np.sin(2 * np.pi * np.arange(36) / 6) + rng.normal(0, 1, 36) + 0.1 * np.arange(36), 3))
for arr, lags in ((W, 8), (S, 12)):
    case(m, "ts.acf", comp("statsmodels", f"tsa.stattools.acf(nlags={lags}, fft=False)"), {"x": arr, "lags": lags}, {"acf": acf(arr, nlags=lags, fft=False)}, 1e-9, 1e-12)
    case(m, "ts.pacf", comp("statsmodels", f"tsa.stattools.pacf(nlags={lags}, method='ywm')"), {"x": arr, "lags": lags},
         {"pacf": pacf(arr, nlags=lags, method="ywm")}, 1e-9, 1e-12)
    lb = acorr_ljungbox(arr, lags=[lags])
    case(m, "ts.ljung_box", comp("statsmodels", f"stats.diagnostic.acorr_ljungbox(lags=[{lags}])"), {"x": arr, "lags": lags},
         {"q": lb["lb_stat"].iloc[0], "p": lb["lb_pvalue"].iloc[0]}, 1e-9)
case(m, "ts.acf", "hand: 1, 2, 3: r₁ = (−1·0 + 0·1)/2 = 0, r₂ = −1/2", {"x": [1, 2, 3], "lags": 2}, {"acf": [1, 0, -0.5]}, 1e-12)
case(m, "ts.pacf", "hand: 1, 2, 3: φ₁₁ = r₁ = 0, φ₂₂ = r₂ = −1/2", {"x": [1, 2, 3], "lags": 2}, {"pacf": [1, 0, -0.5]}, 1e-12)
case(m, "ts.ljung_box", "hand: 1, 2, 3 at lag 1: r₁ = 0 so Q = 0 and p = 1", {"x": [1, 2, 3], "lags": 1}, {"q": 0, "p": 1}, 1e-12)
for arr, period in ((S, 6), (W, 4), (S, 5)):
    r = seasonal_decompose(arr, model="additive", period=period)
    case(m, "ts.seasonal_decompose", comp("statsmodels", f"tsa.seasonal.seasonal_decompose(period={period})"), {"x": arr, "period": period},
         {"trend": r.trend, "seasonal": r.seasonal, "resid": r.resid}, 1e-9, 1e-12)
for a in (0.2, 0.7):
    r = SimpleExpSmoothing(W, initialization_method="known", initial_level=W[0]).fit(smoothing_level=a, optimized=False)
    case(m, "forecast.ses", comp("statsmodels", f"SimpleExpSmoothing(known initial level x₀).fit({a})"),
         {"x": W, "alpha": a, "horizon": 3}, {"fitted": r.fittedvalues, "forecast": r.forecast(3), "sse": r.sse}, 1e-9)
case(m, "forecast.ses", "hand: α = 0.5 over 2, 4: fit 2, 2; level 3", {"x": [2, 4], "alpha": 0.5, "horizon": 2},
     {"fitted": [2, 2], "forecast": [3, 3], "sse": 4}, 1e-12)
for a, b in ((0.3, 0.1), (0.8, 0.5)):
    r = Holt(W, initialization_method="known", initial_level=W[0], initial_trend=W[1] - W[0]).fit(smoothing_level=a, smoothing_trend=b, optimized=False)
    case(m, "forecast.holt", comp("statsmodels", f"Holt(known l₀ = x₀, b₀ = x₁ − x₀).fit({a}, {b})"),
         {"x": W, "alpha": a, "beta": b, "horizon": 4}, {"fitted": r.fittedvalues, "forecast": r.forecast(4), "sse": r.sse}, 1e-9)
r = Holt(S, initialization_method="known", initial_level=S[0], initial_trend=S[1] - S[0]).fit(smoothing_level=0.5, smoothing_trend=0.5, optimized=False)
case(m, "forecast.holt", comp("statsmodels", "Holt(known l₀ = x₀, b₀ = x₁ − x₀).fit(0.5, 0.5)"),
     {"x": S, "alpha": 0.5, "beta": 0.5, "horizon": 2}, {"fitted": r.fittedvalues, "forecast": r.forecast(2)}, 1e-9)
for period, (a, b, g) in ((6, (0.3, 0.1, 0.2)), (4, (0.6, 0.2, 0.5))):
    y = np.array(S)
    l0 = y[:period].mean()
    r = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=period, initialization_method="known",
                             initial_level=l0, initial_trend=(y[period:2 * period].mean() - l0) / period,
                             initial_seasonal=y[:period] - l0).fit(smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
    case(m, "forecast.holt_winters", comp("statsmodels", f"ExponentialSmoothing(add, add, m={period}, known initial values).fit({a}, {b}, {g})"),
         {"x": S, "period": period, "alpha": a, "beta": b, "gamma": g, "horizon": period - 1},
         {"fitted": r.fittedvalues, "forecast": r.forecast(period - 1), "sse": r.sse}, 1e-9)
case(m, "forecast.holt_winters", "hand: a pure season of 2 repeats; l₀ = 1, b₀ = 0, s = −1, 1",
     {"x": [0, 2, 0, 2, 0, 2], "period": 2, "alpha": 0.5, "beta": 0.5, "gamma": 0.5, "horizon": 4},
     {"fitted": [0, 2, 0, 2, 0, 2], "forecast": [0, 2, 0, 2], "sse": 0}, 1e-12)
for arr, p in ((W, 2), (S, 4)):
    rho, sigma = yule_walker(arr, order=p, method="mle")
    case(m, "forecast.ar_yule_walker", comp("statsmodels", f"regression.linear_model.yule_walker(order={p}, method='mle')"),
         {"x": arr, "lags": p}, {"phi": rho, "sigma": sigma}, 1e-9)
    res = AutoReg(np.array(arr), lags=p, trend="c").fit()
    case(m, "forecast.autoreg", comp("statsmodels", f"tsa.ar_model.AutoReg(lags={p}, trend='c')"),
         {"x": arr, "lags": p, "horizon": 5}, {"params": res.params, "sigma2": res.sigma2, "forecast": res.forecast(5)}, 1e-9)
case(m, "forecast.ar_yule_walker", "hand: 1, 2, 3: r₁ = 0 so φ₁ = 0; σ² = γ₀ = 2/3", {"x": [1, 2, 3], "lags": 1},
     {"phi": [0], "sigma": math.sqrt(2 / 3)}, 1e-12)
case(m, "forecast.autoreg", "hand: xₜ = 1 + 0.5 xₜ₋₁ exactly from 0", {"x": [0, 1, 1.5, 1.75, 1.875, 1.9375], "lags": 1, "horizon": 1},
     {"params": [1, 0.5], "forecast": [1.96875]}, 1e-9, 1e-12)
refusal(m, "ts.seasonal_decompose", {"x": [1, 2, 3, 4, 5], "period": 3})
refusal(m, "ts.acf", {"x": [2, 2, 2], "lags": 1})

# anomaly.rs
from sklearn.neighbors import LocalOutlierFactor

m = "anomaly"
MADN = 1 / stats.norm.ppf(0.75)
Bn = np.array(B)
for h in (2, 3):
    sr = pd.Series(Bn)
    med = sr.rolling(2 * h + 1, center=True, min_periods=1).median()
    mad = sr.rolling(2 * h + 1, center=True, min_periods=1).apply(lambda w: np.median(np.abs(w - np.median(w))), raw=True)
    out = (sr - med).abs() > 3 * MADN * mad
    case(m, "anomaly.hampel", comp("pandas", f"rolling({2 * h + 1}, center=True, min_periods=1) median and MAD, k = 3"),
         {"x": B, "half_window": h, "k": 3}, {"flags": out.astype(float), "count": out.sum(), "y": np.where(out, med, Bn)}, 1e-12)
case(m, "anomaly.hampel", "hand: a spike among equal values; a gap stays a gap", {"x": [1, 1, 9, 1, None, 1], "half_window": 2, "k": 3},
     {"flags": [0, 0, 1, 0, None, 0], "count": 1, "y": [1, 1, 1, 1, None, 1]}, 1e-12)
case(m, "anomaly.modified_zscore", comp("scipy", "stats.median_abs_deviation(scale='normal')"), {"x": B},
     {"z": (Bn - np.median(Bn)) / stats.median_abs_deviation(Bn, scale="normal"), "median": np.median(Bn), "mad": stats.median_abs_deviation(Bn)}, 1e-12)
case(m, "anomaly.modified_zscore", comp("scipy", "stats.median_abs_deviation(scale='normal', nan_policy='omit')"), {"x": A},
     {"z": (an - np.nanmedian(an)) / stats.median_abs_deviation(an, scale="normal", nan_policy="omit")}, 1e-12)
case(m, "anomaly.modified_zscore", "hand: 1, 2, 3, 3.5, 4, 5 have median 3.25 and MAD 1; none lies 3.5 · 1.4826 away",
     {"x": [1, 2, 3, 4, 5, 3.5]}, {"median": 3.25, "mad": 1, "count": 0}, 1e-12)
for w in (3, 5):
    sr = pd.Series(Bn)
    z = (sr - sr.rolling(w).mean().shift(1)) / sr.rolling(w).std().shift(1)
    case(m, "anomaly.rolling_zscore", comp("pandas", f"rolling({w}).mean()/.std() shifted by one"), {"x": B, "window": w, "k": 3},
         {"z": z, "flags": np.where(z.isna(), np.nan, (z.abs() > 3).astype(float))}, 1e-9)
case(m, "anomaly.rolling_zscore", "hand: 1, 3 have mean 2 and s = √2; 5 scores 3/√2", {"x": [1, 3, 5], "window": 2, "k": 2},
     {"z": [None, None, 3 / math.sqrt(2)], "flags": [None, None, 1], "count": 1}, 1e-12)
for arr, alpha in ((B, 0.05), (C, 0.01)):
    v = np.array(arr)
    G = np.abs(v - v.mean()).max() / v.std(ddof=1)
    tq = stats.t.isf(alpha / (2 * len(v)), len(v) - 2)
    crit = (len(v) - 1) / np.sqrt(len(v)) * np.sqrt(tq * tq / (len(v) - 2 + tq * tq))
    case(m, "anomaly.grubbs", comp("scipy", f"stats.t.isf for the NIST critical value, α = {alpha}"), {"x": arr, "alpha": alpha},
         {"g": G, "critical": crit, "index": int(np.argmax(np.abs(v - v.mean()))), "outlier": float(G > crit)}, 1e-10)
case(m, "anomaly.grubbs", "hand: 0, 0, 3 have mean 1 and s = √3, so G = 2/√3 at the third value",
     {"x": [0, 0, 3], "alpha": 0.05}, {"g": 2 / math.sqrt(3), "index": 2}, 1e-12)


def gesd(x, r, alpha):
    x = np.asarray(x, dtype=float)
    idx = list(np.flatnonzero(np.isfinite(x)))
    nn = len(idx)
    R, L, removed = [], [], []
    for i in range(1, r + 1):
        vals = x[idx]
        dev = np.abs(vals - vals.mean())
        j = int(np.argmax(dev))
        R.append(dev[j] / vals.std(ddof=1))
        tq = stats.t.ppf(1 - alpha / (2 * (nn - i + 1)), nn - i - 1)
        L.append((nn - i) * tq / np.sqrt((nn - i - 1 + tq * tq) * (nn - i + 1)))
        removed.append(idx.pop(j))
    found = max([i + 1 for i in range(r) if R[i] > L[i]], default=0)
    flags = np.where(np.isfinite(x), 0.0, np.nan)
    flags[removed[:found]] = 1.0
    return flags, found, R, L


for arr, r in ((B, 3), (list(Bn[:6]) + [40.0, -20.0] + list(Bn[6:]), 4), (C, 2)):
    flags, found, R, L = gesd(arr, r, 0.05)
    case(m, "anomaly.generalized_esd", comp("scipy", "stats.t.ppf in Rosner's procedure (NIST §1.3.5.17.3), α = 0.05"),
         {"x": arr, "max_outliers": r, "alpha": 0.05}, {"flags": flags, "count": found, "r": R, "lambda": L}, 1e-9)
for arr, k in ((B, 3), (C, 5)):
    v = np.array(arr)
    sc = -LocalOutlierFactor(n_neighbors=k).fit(v.reshape(-1, 1)).negative_outlier_factor_
    case(m, "anomaly.lof", comp("scikit-learn", f"neighbors.LocalOutlierFactor(n_neighbors={k}).negative_outlier_factor_"),
         {"x": arr, "k": k}, {"lof": sc}, 1e-9)
case(m, "anomaly.lof", "hand: 0, 1, 2, 10 with k = 1: lrd 1, 1, 1, 1/8, so LOF(10) = 8",
     {"x": [0, 1, 2, 10], "k": 1}, {"lof": [1, 1, 1, 8], "flags": [0, 0, 0, 1], "count": 1}, 1e-8)
refusal(m, "anomaly.generalized_esd", {"x": [1, 2, 3, 4], "max_outliers": 3})
refusal(m, "anomaly.grubbs", {"x": [5, 5, 5, 5]})

# regression.rs
from sklearn.isotonic import IsotonicRegression

m = "regression"
X1 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
Y1 = [2.3, 4.1, 7.9, 13.2, 21.8, 30.1, 41.5, 52.9]
for deg in (1, 2, 3):
    c = np.polyfit(X1, Y1, deg)
    fit = np.polyval(c, X1)
    r2 = 1 - ((np.array(Y1) - fit) ** 2).sum() / ((np.array(Y1) - np.mean(Y1)) ** 2).sum()
    case(m, "regress.polynomial", comp("numpy", f"polyfit(deg={deg})"), {"x": X1, "y": Y1, "degree": deg}, {"coefficients": c, "r2": r2}, 1e-9)
case(m, "regress.polynomial", "hand: y = 1 + x² exactly", {"x": [0, 1, 2, 3], "y": [1, 2, 5, 10], "degree": 2},
     {"coefficients": [1, 0, 1], "r2": 1}, 1e-9, 1e-12)
c = np.polyfit(X1, np.log(Y1), 1)
case(m, "regress.exponential", comp("numpy", "polyfit(x, ln y, 1)"), {"x": X1, "y": Y1}, {"a": np.exp(c[1]), "b": c[0]}, 1e-9)
case(m, "regress.exponential", "hand: y = 2 e^(0.5x) exactly", {"x": [0, 2, 4], "y": [2, 2 * math.e, 2 * math.e ** 2]}, {"a": 2, "b": 0.5, "r2": 1}, 1e-12)
case(m, "regress.exponential", "hand: halving each step, b = −ln 2", {"x": [0, 1, 2, 3], "y": [8, 4, 2, 1]}, {"a": 8, "b": -math.log(2)}, 1e-12)
c = np.polyfit(np.log(X1), np.log(Y1), 1)
case(m, "regress.power", comp("numpy", "polyfit(ln x, ln y, 1)"), {"x": X1, "y": Y1}, {"a": np.exp(c[1]), "b": c[0]}, 1e-9)
case(m, "regress.power", "hand: y = 3 x² exactly", {"x": [1, 2, 4], "y": [3, 12, 48]}, {"a": 3, "b": 2, "r2": 1}, 1e-12)
case(m, "regress.power", "hand: y = 1/x", {"x": [1, 2, 4], "y": [1, 0.5, 0.25]}, {"a": 1, "b": -1}, 1e-12)
for xs, ys in ((X1, Y1), (list(range(12)), B)):
    lr = stats.linregress(xs, ys)
    half = stats.t.isf(0.025, len(xs) - 2) * lr.stderr
    case(m, "regress.linear_test", comp("scipy", "stats.linregress, stats.t.isf"), {"x": xs, "y": ys},
         {"slope": lr.slope, "intercept": lr.intercept, "slope_se": lr.stderr, "intercept_se": lr.intercept_stderr,
          "p": lr.pvalue, "slope_low": lr.slope - half, "slope_high": lr.slope + half}, 1e-9)
case(m, "regress.linear_test", "hand: 0, 1, 2 against 0, 2, 1: b = 0.5, s² = 1.5, Sxx = 2, t = 0.5/√0.75",
     {"x": [0, 1, 2], "y": [0, 2, 1]}, {"slope": 0.5, "intercept": 0.5, "slope_se": math.sqrt(0.75), "t": 0.5 / math.sqrt(0.75)}, 1e-12)
Yo = list(Y1)
Yo[3] = 80.0
for xs, ys in ((X1, Yo), (list(range(12)), B)):
    ts = stats.theilslopes(ys, xs)
    case(m, "regress.theil_sen", comp("scipy", "stats.theilslopes"), {"x": xs, "y": ys}, {"slope": ts.slope, "intercept": ts.intercept}, 1e-12)
    sg = stats.siegelslopes(ys, xs)
    case(m, "regress.siegel", comp("scipy", "stats.siegelslopes"), {"x": xs, "y": ys}, {"slope": sg.slope, "intercept": sg.intercept}, 1e-12)
case(m, "regress.theil_sen", "hand: one outlier does not move the line y = 2x + 1", {"x": [0, 1, 2, 3, 4], "y": [1, 3, 5, 100, 9]},
     {"slope": 2, "intercept": 1}, 1e-12)
case(m, "regress.siegel", "hand: one outlier does not move the line y = 2x + 1", {"x": [0, 1, 2, 3, 4], "y": [1, 3, 5, 100, 9]},
     {"slope": 2, "intercept": 1}, 1e-12)
for xs, ys, inc in ((X1, [1, 3, 2, 4, 3, 5, 7, 6], True), (list(range(12)), B, False)):
    case(m, "regress.isotonic", comp("scikit-learn", f"isotonic.IsotonicRegression(increasing={inc})"),
         {"x": xs, "y": ys, "direction": "increasing" if inc else "decreasing"},
         {"fitted": IsotonicRegression(increasing=inc).fit_transform(xs, ys)}, 1e-12)
case(m, "regress.isotonic", "hand: 3 then 1 pool into 2, 2", {"x": [0, 1, 2], "y": [3, 1, 5]}, {"fitted": [2, 2, 5]}, 1e-12)
refusal(m, "regress.exponential", {"x": [1, 2, 3], "y": [1, -1, 2]})
refusal(m, "regress.polynomial", {"x": [1, 1, 1, 1], "y": [1, 2, 3, 4], "degree": 1})

# correlation.rs
import pymannkendall as mk
from dtaidistance import dtw
from statsmodels.tsa.stattools import grangercausalitytests

m = "correlation"
for xs, ys in ((X1, Yo), (B, list(np.round(C[:12], 0))), ([1, 2, 2, 3, 3, 3], [1, 1, 2, 2, 3, 1])):
    case(m, "corr.kendall", comp("scipy", "stats.kendalltau (τ-b)"), {"x": xs, "y": ys}, {"tau": stats.kendalltau(xs, ys).statistic}, 1e-12)
case(m, "corr.kendall", "hand: a reversed order has τ = −1", {"x": [1, 2, 3, 4], "y": [9, 7, 5, 1]}, {"tau": -1, "n": 4}, 1e-12)
for xs, ys, L in ((B, C[:12], 3), (C[:20], C[4:24], 6)):
    xa, ya = np.array(xs), np.array(ys)
    full = np.correlate(xa - xa.mean(), ya - ya.mean(), "full") / np.sqrt(((xa - xa.mean()) ** 2).sum() * ((ya - ya.mean()) ** 2).sum())
    lags = np.arange(-(len(xa) - 1), len(xa))
    keep = np.abs(lags) <= L
    case(m, "corr.cross_correlation", comp("numpy", "correlate(x − x̄, y − ȳ, 'full') normalised"), {"x": xs, "y": ys, "max_lag": L},
         {"lags": lags[keep], "r": full[keep]}, 1e-9, 1e-12)
case(m, "corr.cross_correlation", "hand: x is y two steps later, so the best lag is 2",
     {"x": [0, 0, 0, 1, 0, 0, 0, 0], "y": [0, 1, 0, 0, 0, 0, 0, 0], "max_lag": 3}, {"best_lag": 2}, 1e-12)
for xs, ys in ((B, C[:15]), (X1, Yo), ([0, 1, 2], [0, 0, 1, 1, 2, 2])):
    case(m, "distance.dtw", comp("dtaidistance", "dtw.distance"), {"x": xs, "y": ys}, {"distance": dtw.distance(np.array(xs, dtype=float), np.array(ys, dtype=float))}, 1e-12)
case(m, "distance.dtw", "hand: a series stretched in time is at distance 0", {"x": [1, 2, 3], "y": [1, 1, 2, 3, 3]}, {"distance": 0}, 1e-12)
gy = np.zeros(40)
gx = np.round(rng.normal(0, 1, 40), 3)
for t_ in range(1, 40):
    gy[t_] = round(0.5 * gy[t_ - 1] + 0.8 * gx[t_ - 1] + rng.normal(0, 0.3), 3)
for lag in (1, 2, 3):
    g = grangercausalitytests(np.column_stack([gy, gx]), maxlag=[lag])[lag][0]["ssr_ftest"]
    case(m, "causality.granger", comp("statsmodels", f"tsa.stattools.grangercausalitytests(maxlag=[{lag}]) ssr_ftest"),
         {"y": gy, "x": gx, "lag": lag}, {"f": g[0], "p": g[1]}, 1e-9, 1e-15)
for arr in (W, B, A):
    r = mk.original_test(np.array([nan if v is None else v for v in arr], dtype=float), 0.05)
    case(m, "trend.mann_kendall", comp("pymannkendall", "original_test(alpha=0.05)"), {"x": arr},
         {"trend": {"increasing": 1, "decreasing": -1}.get(r.trend, 0), "s": r.s, "var_s": r.var_s, "z": r.z, "p": r.p,
          "tau": r.Tau, "slope": r.slope, "intercept": r.intercept}, 1e-9)
case(m, "trend.mann_kendall", "hand: 1 … 5 rising: S = 10, Var S = 5·4·15/18, τ = 1, slope 1",
     {"x": [1, 2, 3, 4, 5]}, {"s": 10, "var_s": 50 / 3, "tau": 1, "slope": 1, "intercept": 1}, 1e-12)
refusal(m, "corr.kendall", {"x": [1, 1, 1], "y": [1, 2, 3]})
refusal(m, "causality.granger", {"y": [1, 2, 3, 4], "x": [1, 2, 3, 4], "lag": 2})

# changepoint.rs
import ruptures as rpt

m = "changepoint"
P = list(np.round(np.r_[rng.normal(10, 0.5, 15), rng.normal(14, 0.5, 10), rng.normal(11, 0.5, 12)], 2))
Pa = np.array(P)
for pen, ms in ((5.0, 2), (20.0, 5)):
    b = rpt.Pelt(model="l2", min_size=ms, jump=1).fit(Pa).predict(pen=pen)
    case(m, "changepoint.pelt", comp("ruptures", f"Pelt(model='l2', min_size={ms}, jump=1).predict(pen={pen})"),
         {"x": P, "penalty": pen, "min_size": ms}, {"breakpoints": b, "count": len(b) - 1}, 1e-12)
case(m, "changepoint.pelt", "hand: one step of height 10 costs far more than a penalty of 1; segment means 0 and 10",
     {"x": [0, 0, 0, 0, 10, 10, 10, 10], "penalty": 1}, {"breakpoints": [4, 8], "count": 1, "fit": [0, 0, 0, 0, 10, 10, 10, 10], "cost": 0}, 1e-12)
for k, ms in ((1, 2), (2, 3)):
    b = rpt.Binseg(model="l2", min_size=ms, jump=1).fit(Pa).predict(n_bkps=k)
    case(m, "changepoint.binary_segmentation", comp("ruptures", f"Binseg(model='l2', min_size={ms}, jump=1).predict(n_bkps={k})"),
         {"x": P, "changes": k, "min_size": ms}, {"breakpoints": b, "count": len(b) - 1}, 1e-12)
    b = rpt.Dynp(model="l2", min_size=ms, jump=1).fit(Pa).predict(n_bkps=k)
    case(m, "changepoint.optimal", comp("ruptures", f"Dynp(model='l2', min_size={ms}, jump=1).predict(n_bkps={k})"),
         {"x": P, "changes": k, "min_size": ms}, {"breakpoints": b, "count": len(b) - 1}, 1e-12)
case(m, "changepoint.binary_segmentation", "hand: the step at 3, then nothing left to gain",
     {"x": [1, 1, 1, 5, 5, 5], "changes": 1}, {"breakpoints": [3, 6], "cost": 0}, 1e-12)
case(m, "changepoint.optimal", "hand: levels 0, 4, 0 in blocks of three",
     {"x": [0, 0, 0, 4, 4, 4, 0, 0, 0], "changes": 2}, {"breakpoints": [3, 6, 9], "fit": [0, 0, 0, 4, 4, 4, 0, 0, 0]}, 1e-12)
refusal(m, "changepoint.optimal", {"x": [1, 2, 3, 4], "changes": 2, "min_size": 2})
refusal(m, "changepoint.pelt", {"x": [1, None, 3, 4]})

# cluster.rs
from scipy.cluster.hierarchy import linkage
from sklearn.cluster import DBSCAN, KMeans

m = "cluster"
K = list(np.round(np.r_[rng.normal(5, 0.3, 8), rng.normal(20, 0.5, 8), rng.normal(50, 1, 8)], 2))
Ka = np.array(K)
for k in (2, 3):
    init = np.quantile(Ka, (np.arange(k) + 0.5) / k).reshape(-1, 1)
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=0.0).fit(Ka.reshape(-1, 1))
    case(m, "cluster.kmeans", comp("scikit-learn", f"cluster.KMeans(n_clusters={k}, init=quantile centres, n_init=1, tol=0)"),
         {"x": K, "k": k}, {"labels": km.labels_, "centres": km.cluster_centers_[:, 0], "inertia": km.inertia_}, 1e-9)
case(m, "cluster.kmeans", "hand: two pairs, centres 1 and 11; a gap stays a gap",
     {"x": [0, 2, None, 10, 12], "k": 2}, {"labels": [0, 0, None, 1, 1], "centres": [1, 11], "inertia": 4}, 1e-12)
for eps, mins in ((1.5, 3), (0.4, 2)):
    db = DBSCAN(eps=eps, min_samples=mins).fit(Ka.reshape(-1, 1))
    case(m, "cluster.dbscan", comp("scikit-learn", f"cluster.DBSCAN(eps={eps}, min_samples={mins})"),
         {"x": K, "eps": eps, "min_samples": mins}, {"labels": db.labels_, "clusters": db.labels_.max() + 1}, 1e-12)
case(m, "cluster.dbscan", "hand: 0, 1, 2 form a cluster, 10 is noise (ε 1.5, 2 values)",
     {"x": [10, 0, 1, 2], "eps": 1.5, "min_samples": 2}, {"labels": [-1, 0, 0, 0], "clusters": 1, "noise": 1}, 1e-12)
for arr in (K, B):
    case(m, "cluster.ward_heights", comp("scipy", "cluster.hierarchy.linkage(method='ward')[:, 2]"), {"x": arr},
         {"heights": linkage(np.array(arr).reshape(-1, 1), "ward")[:, 2]}, 1e-9)
case(m, "cluster.ward_heights", "hand: 0, 1 merge at 1; then 10 joins at √((2·100 + 2·81 − 1)/3) = √(361/3)",
     {"x": [0, 1, 10]}, {"heights": [1, math.sqrt(361 / 3)]}, 1e-12)
refusal(m, "cluster.kmeans", {"x": [1, 1, 1], "k": 2})

# The other modules, in this namespace (shared helpers and inputs).
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_vectors_more.py"), init_globals=globals())

only = sys.argv[1:]
for module, data in files.items():
    if only and module not in only:
        continue
    with open(os.path.join(HERE, f"{module}.json"), "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=None)
        f.write("\n")
