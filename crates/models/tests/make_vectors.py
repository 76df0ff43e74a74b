"""Writes the test vectors of the data algorithms added for issue 19 (`vectors/<module>.json`).

Each case is computed by the open implementation its source names, on small inputs
written out here, so a reviewer can re-run this script (with the interpreter of
`scripts/install-test-peers.sh`'s models environment) and compare. Hand cases are worked
by hand and written as such. Run: `$IRONLOOM_MODELS_PYTHON crates/models/tests/make_vectors.py`.
"""

import json
import math
import os
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

# learn.rs
from sklearn.linear_model import LogisticRegression

m = "learn"
c8 = 2 * (math.log(7) + np.euler_gamma) - 2 * 7 / 8
c7 = 2 * (math.log(6) + np.euler_gamma) - 2 * 6 / 7
s1, s100 = 2 ** (-(1 + c7) / c8), 2 ** (-1 / c8)
case(m, "anomaly.isolation_forest", "hand: with ψ = n every tree holds all 8 values and its first split isolates 100: h = 1, against 1 + c(7) for the others",
     {"x": [1, 1, 1, 1, 1, 1, 1, 100]}, {"score": [s1] * 7 + [s100], "flags": [0] * 7 + [1], "count": 1}, 1e-12)
case(m, "anomaly.isolation_forest", "hand: two values are each isolated by the one split: h = 1 = c(2), s = 0.5",
     {"x": [0, 10], "seed": 7}, {"score": [0.5, 0.5], "count": 0}, 1e-12)
case(m, "anomaly.isolation_forest", "hand: equal values are never split: h = c(ψ), s = 0.5; a gap stays a gap",
     {"x": [5, 5, None, 5, 5]}, {"score": [0.5, 0.5, None, 0.5, 0.5]}, 1e-12)
LX = list(np.round(rng.normal(20, 4, 30), 2))
LY = [float(v > 20 + rng.normal(0, 2)) for v in LX]
for reg in (1.0, 100.0):
    lr = LogisticRegression(C=reg, tol=1e-12, max_iter=100000).fit(np.array(LX).reshape(-1, 1), LY)
    case(m, "classify.logistic", comp("scikit-learn", f"linear_model.LogisticRegression(C={reg}, tol=1e-12)"), {"x": LX, "y": LY, "c": reg},
         {"coef": lr.coef_[0, 0], "intercept": lr.intercept_[0], "probability": lr.predict_proba(np.array(LX).reshape(-1, 1))[:, 1]}, 1e-6)
case(m, "classify.logistic", "hand: data symmetric about 0 give intercept 0", {"x": [-2, -1, 1, 2], "y": [0, 1, 0, 1], "c": 1},
     {"intercept": 0}, 1e-12)
refusal(m, "classify.logistic", {"x": [1, 2, 3], "y": [0, 2, 1]})
refusal(m, "classify.logistic", {"x": [1, 2, 3], "y": [1, 1, 1]})

# inference.rs
from scipy import optimize

m = "inference"
G1 = [12.1, 11.8, 12.4, 12.0, 11.9, 12.6, 12.2, 11.7]
G2 = [12.9, 13.1, 12.4, 13.3, 12.8, 13.0]
G3 = [12.0, 12.3, 12.1, 11.6, 12.5]
for a, b in ((G1, G2), (B, C[:10])):
    w = stats.ttest_ind(a, b, equal_var=False)
    case(m, "stats.welch_t_test", comp("scipy", "stats.ttest_ind(equal_var=False)"), {"x": a, "y": b}, {"t": w.statistic, "df": w.df, "p": w.pvalue}, 1e-9)
    mw = stats.mannwhitneyu(a, b, method="asymptotic")
    case(m, "stats.mann_whitney", comp("scipy", "stats.mannwhitneyu(method='asymptotic')"), {"x": a, "y": b}, {"u": mw.statistic, "p": mw.pvalue}, 1e-9)
case(m, "stats.welch_t_test", "hand: 1, 3 against 5, 7: t = −4/√(2/2 + 2/2) = −2√2, ν = 2", {"x": [1, 3], "y": [5, 7]},
     {"t": -2 * math.sqrt(2), "df": 2}, 1e-12)
case(m, "stats.mann_whitney", "hand: 1, 2 all below 3, 4: U₁ = 0", {"x": [1, 2], "y": [3, 4]}, {"u": 0}, 1e-12)
vals = G1 + G2 + G3
labs = [1] * len(G1) + [2] * len(G2) + [3] * len(G3)
f = stats.f_oneway(G1, G2, G3)
case(m, "stats.anova_oneway", comp("scipy", "stats.f_oneway"), {"x": vals, "groups": labs}, {"f": f.statistic, "p": f.pvalue, "k": 3}, 1e-9)
f = stats.f_oneway(G1, G3)
case(m, "stats.anova_oneway", comp("scipy", "stats.f_oneway (two groups, labels in any order)"),
     {"x": G3 + G1, "groups": [7] * len(G3) + [2] * len(G1)}, {"f": f.statistic, "p": f.pvalue}, 1e-9)
case(m, "stats.anova_oneway", "hand: groups 1, 3 and 5, 7: SSB = 16, SSW = 4, F = 16/(4/2) = 8",
     {"x": [1, 3, 5, 7], "groups": [0, 0, 1, 1]}, {"f": 8, "k": 2}, 1e-12)
lv = stats.levene(G1, G2, G3, center="median")
case(m, "stats.levene", comp("scipy", "stats.levene(center='median')"), {"x": vals, "groups": labs}, {"w": lv.statistic, "p": lv.pvalue}, 1e-9)
lv = stats.levene(B, C[:12], center="median")
case(m, "stats.levene", comp("scipy", "stats.levene(center='median')"), {"x": B + C[:12], "groups": [0] * 12 + [1] * 12},
     {"w": lv.statistic, "p": lv.pvalue}, 1e-9)
case(m, "stats.levene", "hand: equal spreads about different medians give W = 0",
     {"x": [1, 2, 3, 11, 12, 13], "groups": [0, 0, 0, 1, 1, 1]}, {"w": 0, "p": 1}, 1e-12)
for arr in (B, C):
    jb = stats.jarque_bera(arr)
    case(m, "stats.jarque_bera", comp("scipy", "stats.jarque_bera"), {"x": arr}, {"jb": jb.statistic, "p": jb.pvalue}, 1e-9)
case(m, "stats.jarque_bera", "hand: ±1 alternating: S = 0, K = 1, so JB = 4/6 · 4/4", {"x": [1, -1, 1, -1]}, {"jb": 4 / 6}, 1e-12)
for arr in ([1.2, 3.4, 2.2, 8.9, 5.5, 1.1, 2.7, 14.2, 3.3, 4.0], list(np.round(np.exp(rng.normal(1, 0.8, 15)), 3))):
    lam = stats.boxcox_normmax(np.array(arr), method="mle", optimizer=lambda fn: optimize.minimize_scalar(fn, bracket=(-2, 2), tol=1e-14))
    case(m, "transform.boxcox", comp("scipy", "stats.boxcox_normmax(method='mle', tight optimizer), stats.boxcox"), {"x": arr},
         {"lambda": lam, "y": stats.boxcox(np.array(arr), lmbda=lam)}, 1e-6)
case(m, "transform.boxcox", "hand: 1, e, e², e³ are log-uniform: λ = 0 and y = ln x", {"x": [1, math.e, math.e ** 2, math.e ** 3]},
     {"lambda": 0, "y": [0, 1, 2, 3]}, 1e-6, 1e-5)
refusal(m, "transform.boxcox", {"x": [1, -2, 3]})
refusal(m, "stats.anova_oneway", {"x": [1, 2, 3], "groups": [0, 0, 0]})

# features.rs
from statsmodels.tsa.statespace.structural import UnobservedComponents

m = "features"
for h, dist, prom in ((10.5, 1, 0.0), (9.0, 10, 0.5)):
    pk, _ = signal.find_peaks(sig, height=h, distance=dist)
    pr = signal.peak_prominences(sig, pk)[0]
    keep = pr >= prom
    case(m, "signal.find_peaks", comp("scipy", f"signal.find_peaks(height={h}, distance={dist}) and peak_prominences ≥ {prom}"),
         {"x": sig, "min_height": h, "min_distance": dist, "min_prominence": prom},
         {"indices": pk[keep], "heights": sig[pk[keep]], "prominences": pr[keep], "count": keep.sum()}, 1e-12)
case(m, "signal.find_peaks", "hand: peaks 3 at 1 and 5 at 5 (a flat top 4–6 counts at its middle); 3 stands 2 above the valley",
     {"x": [0, 3, 1, 2, 5, 5, 5, 0]}, {"indices": [1, 5], "heights": [3, 5], "prominences": [2, 5], "count": 2}, 1e-12)
case(m, "signal.find_peaks", "hand: with spacing 5 only the higher peak stays",
     {"x": [0, 3, 1, 2, 5, 5, 5, 0], "min_distance": 5}, {"indices": [5], "count": 1}, 1e-12)
yv = 0.5 * sig + np.round(rng.normal(0, 0.3, len(sig)), 4)
for nper in (32, 64):
    f, c = signal.coherence(sig, yv, fs=fs, nperseg=nper)
    case(m, "freq.coherence", comp("scipy", f"signal.coherence(nperseg={nper})"), {"x": sig, "y": yv, "fs": fs, "nperseg": nper},
         {"freq": f, "coherence": c}, 1e-9, 1e-12)
case(m, "freq.coherence", "hand: a signal and a scaled copy are fully coherent", {"x": sig, "y": [2 * v for v in sig], "fs": fs, "nperseg": 64},
     {"coherence": [1.0] * 33}, 1e-9)
noisy = sig + np.round(rng.normal(0, 0.2, len(sig)), 4)
for name, level in (("db4", 3), ("sym4", 2)):
    c = pywt.wavedec(noisy, name, mode="symmetric", level=level)
    sigma = np.median(np.abs(c[-1])) / 0.6744897501960817
    lam = sigma * np.sqrt(2 * np.log(len(noisy)))
    c = [c[0]] + [pywt.threshold(v, lam, "soft") for v in c[1:]]
    case(m, "wavelet.denoise", comp("PyWavelets", f"wavedec/threshold('soft')/waverec('{name}', level={level}), universal threshold"),
         {"x": noisy, "wavelet": name, "level": level}, {"y": pywt.waverec(c, name, mode="symmetric")[:len(noisy)], "sigma": sigma, "threshold": lam}, 1e-9, 1e-12)
case(m, "wavelet.denoise", "hand: a constant has no details, so it comes back unchanged with σ = 0",
     {"x": [4.0] * 16, "wavelet": "haar", "level": 2}, {"y": [4.0] * 16, "sigma": 0, "threshold": 0}, 1e-12)
kz = np.array(W, dtype=float)
kz[7] = np.nan
for q, r in ((0.1, 1.0), (0.01, 0.5)):
    mod = UnobservedComponents(kz, level="llevel")
    mod.ssm.initialize_known(np.array([kz[0]]), np.array([[r]]))
    res = mod.smooth([r, q])
    case(m, "filter.kalman_local_level", comp("statsmodels", f"UnobservedComponents(level='llevel'), known initial state, σ² = ({r}, {q})"),
         {"x": kz, "q": q, "r": r}, {"filtered": res.filtered_state[0], "filtered_var": res.filtered_state_cov[0, 0],
                                     "smoothed": res.smoothed_state[0], "smoothed_var": res.smoothed_state_cov[0, 0]}, 1e-7)
case(m, "filter.kalman_local_level", "hand: q = 0, r = 1, p₀ = 1: the first update halves the variance, filtered mean of 2 and 4 is 3",
     {"x": [2, 4], "q": 0, "r": 1, "p0": 1}, {"filtered": [2, 2 + (4 - 2) / 3], "filtered_var": [0.5, 1 / 3]}, 1e-12)
refusal(m, "freq.coherence", {"x": [1.0] * 10, "y": [1.0] * 9, "fs": 1})

# stationarity.rs
from statsmodels.tsa.filters.hp_filter import hpfilter
from statsmodels.tsa.stattools import adfuller, kpss

m = "stationarity"
for arr, p in ((W, 1), (S, 2), (B, 0)):
    r = adfuller(arr, maxlag=p, autolag=None, regression="c")
    case(m, "ts.adf", comp("statsmodels", f"tsa.stattools.adfuller(maxlag={p}, autolag=None, regression='c')"), {"x": arr, "lags": p},
         {"statistic": r[0], "p": r[1], "nobs": r[3], "crit_1": r[4]["1%"], "crit_5": r[4]["5%"], "crit_10": r[4]["10%"]}, 1e-9)
for arr, lags in ((W, 4), (S, 3), (B, 0)):
    k = kpss(arr, regression="c", nlags=lags)
    case(m, "ts.kpss", comp("statsmodels", f"tsa.stattools.kpss(regression='c', nlags={lags})"), {"x": arr, "lags": lags},
         {"statistic": k[0], "p": k[1]}, 1e-9)
for arr, lam in ((W, 1600.0), (S, 10.0)):
    cyc, tr = hpfilter(arr, lamb=lam)
    case(m, "filter.hodrick_prescott", comp("statsmodels", f"tsa.filters.hp_filter.hpfilter(lamb={lam})"), {"x": arr, "lambda": lam},
         {"trend": tr, "cycle": cyc}, 1e-9, 1e-9)
case(m, "filter.hodrick_prescott", "hand: a straight line has no second differences, so it is its own trend",
     {"x": [1, 3, 5, 7, 9], "lambda": 100}, {"trend": [1, 3, 5, 7, 9], "cycle": [0, 0, 0, 0, 0]}, 1e-9, 1e-9)
refusal(m, "ts.kpss", {"x": [1, 2, 3], "lags": 3})

# inference.rs (Anderson–Darling) and learn.rs (Gaussian mixture, naive Bayes)
from sklearn.mixture import GaussianMixture
from sklearn.naive_bayes import GaussianNB
from statsmodels.stats.diagnostic import normal_ad

for arr in (B, C, W):
    a2, p = normal_ad(np.array(arr))
    ad = stats.anderson(np.array(arr), "norm")
    case("inference", "stats.anderson_darling", comp("statsmodels", "stats.diagnostic.normal_ad; scipy stats.anderson critical values"),
         {"x": arr}, {"a2": a2, "p": p, "crit_5": ad.critical_values[2], "crit_1": ad.critical_values[4]}, 1e-9)
refusal("inference", "stats.anderson_darling", {"x": [3, 3, 3, 3]})
for arr, k in ((K, 3), (K, 2), (B, 2)):
    v = np.array(arr)
    init = np.quantile(v, (np.arange(k) + 0.5) / k).reshape(-1, 1)
    var0 = np.var(v) + 1e-6
    gm = GaussianMixture(n_components=k, tol=1e-8, max_iter=500, weights_init=np.full(k, 1 / k), means_init=init,
                         precisions_init=np.full((k, 1, 1), 1 / var0)).fit(v.reshape(-1, 1))
    case("learn", "cluster.gaussian_mixture", comp("scikit-learn", f"mixture.GaussianMixture(n_components={k}, tol=1e-8, quantile means, overall variance, equal weights)"),
         {"x": arr, "k": k, "max_iter": 500, "tol": 1e-8},
         {"means": gm.means_[:, 0], "sds": np.sqrt(gm.covariances_[:, 0, 0]), "weights": gm.weights_, "labels": gm.predict(v.reshape(-1, 1)),
          "log_likelihood": gm.lower_bound_}, 1e-6, 1e-9)
NBX = [1.0, 1.2, 0.8, 1.1, 3.0, 3.3, 2.9, 3.1, 3.2]
NBY = [0, 0, 0, 0, 1, 1, 1, 1, 1]
NBQ = [0.5, 1.0, 2.0, 2.2, 3.0, 5.0]
nb = GaussianNB().fit(np.array(NBX).reshape(-1, 1), NBY)
case("learn", "classify.gaussian_nb", comp("scikit-learn", "naive_bayes.GaussianNB"), {"x": NBX, "y": NBY, "query": NBQ},
     {"class": nb.predict(np.array(NBQ).reshape(-1, 1)), "probability": nb.predict_proba(np.array(NBQ).reshape(-1, 1)).max(axis=1)}, 1e-9)
labels3 = [0] * 8 + [1] * 8 + [2] * 8
nb = GaussianNB().fit(np.array(K).reshape(-1, 1), labels3)
case("learn", "classify.gaussian_nb", comp("scikit-learn", "naive_bayes.GaussianNB, three classes"), {"x": K, "y": labels3, "query": C[:10]},
     {"class": nb.predict(np.array(C[:10]).reshape(-1, 1)), "probability": nb.predict_proba(np.array(C[:10]).reshape(-1, 1)).max(axis=1)}, 1e-9)
case("learn", "classify.gaussian_nb", "hand: classes 0 ± 1 and 10 ± 1 of equal size: 5 is halfway, 0 and 10 are their own",
     {"x": [-1, 1, 9, 11], "y": [0, 0, 1, 1], "query": [0, 10]}, {"class": [0, 1]}, 1e-12)

# comparison.rs and the periodogram (features.rs)
m = "comparison"
for a, b in ((B, C[:12]), (W[:20], W[20:40])):
    w = stats.wilcoxon(a, b, method="asymptotic")
    case(m, "stats.wilcoxon", comp("scipy", "stats.wilcoxon(method='asymptotic')"), {"x": a, "y": b},
         {"statistic": w.statistic, "z": w.zstatistic, "p": w.pvalue}, 1e-9)
case(m, "stats.wilcoxon", "hand: differences 1, 2, −3: W⁺ = 3, W⁻ = 3, so z = 0 and p = 1", {"x": [2, 4, 0], "y": [1, 2, 3]},
     {"statistic": 3, "z": 0, "p": 1}, 1e-12)
for grp in ((G1, G2, G3), (B[:6], B[6:], C[:5])):
    vals = [v for gr in grp for v in gr]
    labs = [i for i, gr in enumerate(grp) for _ in gr]
    kr = stats.kruskal(*grp)
    case(m, "stats.kruskal_wallis", comp("scipy", "stats.kruskal"), {"x": vals, "groups": labs}, {"h": kr.statistic, "p": kr.pvalue}, 1e-9)
    bt = stats.bartlett(*grp)
    case(m, "stats.bartlett", comp("scipy", "stats.bartlett"), {"x": vals, "groups": labs}, {"t": bt.statistic, "p": bt.pvalue}, 1e-9)
case(m, "stats.kruskal_wallis", "hand: 1, 2 against 3, 4: ranks sum 3 and 7, H = 12/20 · (9/2 + 49/2) − 15 = 2.4",
     {"x": [1, 2, 3, 4], "groups": [0, 0, 1, 1]}, {"h": 2.4}, 1e-12)
case(m, "stats.bartlett", "hand: equal variances give T = 0", {"x": [1, 2, 3, 11, 12, 13], "groups": [0, 0, 0, 1, 1, 1]}, {"t": 0, "p": 1}, 1e-12)
for obs, exp in (([18, 22, 31, 29], [1, 1, 1, 1]), ([102, 48, 30, 20], [0.5, 0.25, 0.15, 0.1])):
    cs = stats.chisquare(obs, np.array(exp) / np.sum(exp) * np.sum(obs))
    case(m, "stats.chi_square", comp("scipy", "stats.chisquare (expected scaled to the observed total)"), {"observed": obs, "expected": exp},
         {"chi2": cs.statistic, "p": cs.pvalue}, 1e-9)
case(m, "stats.chi_square", "hand: counts exactly as expected give χ² = 0", {"observed": [10, 20, 30], "expected": [1, 2, 3]},
     {"chi2": 0, "p": 1}, 1e-12)
refusal(m, "stats.chi_square", {"observed": [1, 2], "expected": [1, 0]})
refusal(m, "stats.bartlett", {"x": [1, 1, 2, 3], "groups": [0, 0, 1, 1]})
for arr, f_ in ((sig, fs), (C, 1.0)):
    f, pxx = signal.periodogram(np.array(arr), fs=f_)
    case("features", "freq.periodogram", comp("scipy", "signal.periodogram"), {"x": arr, "fs": f_}, {"freq": f, "psd": pxx}, 1e-9, 1e-12)
case("features", "freq.periodogram", "hand: a unit cosine at bin 1 of 4 samples (fs 4): P = 2·2²/(4·4) = 0.5 at 1 Hz",
     {"x": [1, 0, -1, 0], "fs": 4}, {"freq": [0, 1, 2], "psd": [0, 0.5, 0]}, 1e-12)

# timeseries.rs (damped, multiplicative), robust.rs, and the FIR low-pass (features.rs)
import statsmodels.api as sm
from scipy.stats import mstats

m = "timeseries"
for a, b, phi in ((0.3, 0.1, 0.9), (0.6, 0.3, 0.8)):
    r = Holt(W, damped_trend=True, initialization_method="known", initial_level=W[0], initial_trend=W[1] - W[0]).fit(
        smoothing_level=a, smoothing_trend=b, damping_trend=phi, optimized=False)
    case(m, "forecast.holt_damped", comp("statsmodels", f"Holt(damped_trend=True, known l₀, b₀).fit({a}, {b}, φ={phi})"),
         {"x": W, "alpha": a, "beta": b, "horizon": 4, "phi": phi}, {"fitted": r.fittedvalues, "forecast": r.forecast(4), "sse": r.sse}, 1e-9)
case(m, "forecast.holt_damped", "hand: α = β = 1 keep the last value and the last step (2); φ = ½ adds 1, then 1.5",
     {"x": [1, 3, 5, 7], "alpha": 1, "beta": 1, "horizon": 2, "phi": 0.5}, {"fitted": [2, 1, 4, 6], "forecast": [8, 8.5]}, 1e-12)
for period, (a, b, g) in ((6, (0.3, 0.1, 0.2)), (4, (0.5, 0.2, 0.3))):
    y = np.array(S)
    l0 = y[:period].mean()
    r = ExponentialSmoothing(y, trend="add", seasonal="mul", seasonal_periods=period, initialization_method="known",
                             initial_level=l0, initial_trend=(y[period:2 * period].mean() - l0) / period,
                             initial_seasonal=y[:period] / l0).fit(smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
    case(m, "forecast.holt_winters_multiplicative", comp("statsmodels", f"ExponentialSmoothing(add, mul, m={period}, known initial values).fit({a}, {b}, {g})"),
         {"x": S, "period": period, "alpha": a, "beta": b, "gamma": g, "horizon": period - 1},
         {"fitted": r.fittedvalues, "forecast": r.forecast(period - 1), "sse": r.sse}, 1e-9)
case(m, "forecast.holt_winters_multiplicative", "hand: a pure season 1, 3 repeats; l₀ = 2, b₀ = 0, s = ½, 3/2",
     {"x": [1, 3, 1, 3, 1, 3], "period": 2, "alpha": 0.5, "beta": 0.5, "gamma": 0.5, "horizon": 4},
     {"fitted": [1, 3, 1, 3, 1, 3], "forecast": [1, 3, 1, 3], "sse": 0}, 1e-12)
refusal(m, "forecast.holt_winters_multiplicative", {"x": [1, -3, 1, 3, 1, 3], "period": 2})
m = "robust"
for xs, ys, t in ((X1, Yo, 1.345), (list(range(12)), B, 1.0), (X1, Y1, 2.0)):
    res = sm.RLM(np.array(ys), sm.add_constant(np.array(xs, dtype=float)), M=sm.robust.norms.HuberT(t=t)).fit()
    case(m, "regress.huber", comp("statsmodels", f"RLM(M=HuberT(t={t})).fit()"), {"x": xs, "y": ys, "t": t},
         {"slope": res.params[1], "intercept": res.params[0], "scale": res.scale}, 1e-9)
for arr, lo, hi in ((B, 0.1, 0.1), (C, 0.05, 0.2)):
    case(m, "transform.winsorize", comp("scipy", f"stats.mstats.winsorize(limits=({lo}, {hi}))"), {"x": arr, "lower": lo, "upper": hi},
         {"y": np.asarray(mstats.winsorize(np.array(arr), limits=(lo, hi)), dtype=float)}, 1e-12)
case(m, "transform.winsorize", "hand: 10 % of ten values at each end; the gap stays", {"x": [5, 1, 3, None, 100, 2, 4, 6, 7, 8, 9], "lower": 0.1, "upper": 0.1},
     {"y": [5, 2, 3, None, 9, 2, 4, 6, 7, 8, 9], "floor": 2, "ceiling": 9}, 1e-12)
refusal(m, "transform.winsorize", {"x": [1, 2], "lower": 0.5, "upper": 0.5})
for taps, cut in ((21, 10.0), (51, 25.0)):
    hh = signal.firwin(taps, cut, fs=fs)
    case("features", "filter.fir_lowpass", comp("scipy", f"signal.firwin({taps}, {cut}, fs=100) + lfilter"),
         {"x": sig, "fs": fs, "taps": taps, "cutoff": cut}, {"y": signal.lfilter(hh, 1.0, sig), "coefficients": hh, "delay": (taps - 1) / 2 / fs}, 1e-9, 1e-12)
case("features", "filter.fir_lowpass", "hand: one tap is the identity, no delay", {"x": [1, 2, 3], "fs": 10, "taps": 1, "cutoff": 2},
     {"y": [1, 2, 3], "coefficients": [1], "delay": 0}, 1e-12)

# LOWESS (regression.rs)
from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess

for xs, ys, frac, it in ((X1, Yo, 0.6, 2), (list(range(24)), C, 0.3, 0), (list(range(12)), B, 0.5, 3)):
    case("regression", "regress.lowess", comp("statsmodels", f"nonparametric.lowess(frac={frac}, it={it}, delta=0)"),
         {"x": xs, "y": ys, "frac": frac, "iterations": it},
         {"fitted": sm_lowess(np.array(ys, dtype=float), np.array(xs, dtype=float), frac=frac, it=it, delta=0.0, return_sorted=False)}, 1e-9, 1e-12)
case("regression", "regress.lowess", "hand: points on a line are their own local lines", {"x": [0, 1, 2, 3, 4], "y": [1, 3, 5, 7, 9], "frac": 0.6},
     {"fitted": [1, 3, 5, 7, 9]}, 1e-9, 1e-12)

# metrics.rs, the seasonal residual (anomaly.rs) and detrending (repair.rs)
from sklearn import metrics as skm

m = "metrics"
for yv, pv in ((B, [v + 0.1 * (i % 3 - 1) for i, v in enumerate(B)]), (C[:10], C[10:20])):
    case(m, "forecast.accuracy", comp("scikit-learn", "metrics: MAE, RMSE, MAPE, R², max error"), {"actual": yv, "predicted": pv},
         {"mae": skm.mean_absolute_error(yv, pv), "rmse": skm.root_mean_squared_error(yv, pv),
          "mape": skm.mean_absolute_percentage_error(yv, pv), "r2": skm.r2_score(yv, pv), "max_error": skm.max_error(yv, pv)}, 1e-12)
case(m, "forecast.accuracy", "hand: errors 1 and −1 on 10 and 20: MAE 1, RMSE 1, MAPE (0.1 + 0.05)/2",
     {"actual": [10, 20], "predicted": [11, 19]}, {"mae": 1, "rmse": 1, "mape": 0.075, "max_error": 1}, 1e-12)
T1 = [0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0]
P1 = [0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0]
S1 = [0.1, 0.6, 0.8, 0.4, 0.2, 0.9, 0.3, 0.1, 0.7, 0.8, 0.5, 0.2]
for tv, pv in ((T1, P1), (P1, T1)):
    cm = skm.confusion_matrix(tv, pv, labels=[0, 1])
    case(m, "classify.metrics", comp("scikit-learn", "metrics accuracy, precision, recall, f1, confusion_matrix"), {"truth": tv, "predicted": pv},
         {"accuracy": skm.accuracy_score(tv, pv), "precision": skm.precision_score(tv, pv), "recall": skm.recall_score(tv, pv),
          "f1": skm.f1_score(tv, pv), "tp": cm[1, 1], "fp": cm[0, 1], "tn": cm[0, 0], "fn": cm[1, 0]}, 1e-12)
case(m, "classify.metrics", "hand: nothing predicted positive: precision 0 by convention", {"truth": [1, 0, 1], "predicted": [0, 0, 0]},
     {"accuracy": 1 / 3, "precision": 0, "recall": 0, "f1": 0, "tn": 1, "fn": 2}, 1e-12)
for tv, sv in ((T1, S1), (T1, P1)):
    case(m, "classify.roc_auc", comp("scikit-learn", "metrics roc_auc_score, average_precision_score"), {"truth": tv, "score": sv},
         {"auc": skm.roc_auc_score(tv, sv), "average_precision": skm.average_precision_score(tv, sv)}, 1e-12)
case(m, "classify.roc_auc", "hand: scores that separate the classes give AUC 1 and AP 1", {"truth": [0, 0, 1, 1], "score": [0.1, 0.2, 0.8, 0.9]},
     {"auc": 1, "average_precision": 1}, 1e-12)
labs3 = [0] * 8 + [1] * 8 + [2] * 8
for arr, lab in ((K, labs3), (B, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), (C, [int(v > 50) for v in C])):
    case(m, "cluster.silhouette", comp("scikit-learn", "metrics.silhouette_score"), {"x": arr, "labels": lab},
         {"silhouette": skm.silhouette_score(np.array(arr).reshape(-1, 1), lab)}, 1e-12)
refusal(m, "cluster.silhouette", {"x": [1, 2, 3], "labels": [0, 0, 0]})
refusal(m, "classify.roc_auc", {"truth": [1, 1], "score": [0.2, 0.3]})
r = seasonal_decompose(S, model="additive", period=6).resid
rr = r[np.isfinite(r)]
sc = (r - np.median(rr)) / stats.median_abs_deviation(rr, scale="normal")
case("anomaly", "anomaly.seasonal_residual", comp("statsmodels", "seasonal_decompose(period=6) residual, scipy median_abs_deviation"),
     {"x": S, "period": 6}, {"score": sc}, 1e-9, 1e-12)
Sx = list(S)
Sx[20] += 15
r = seasonal_decompose(Sx, model="additive", period=6).resid
rr = r[np.isfinite(r)]
sc = (r - np.median(rr)) / stats.median_abs_deviation(rr, scale="normal")
case("anomaly", "anomaly.seasonal_residual", comp("statsmodels", "seasonal_decompose(period=6), a spike of 15 at 20"),
     {"x": Sx, "period": 6}, {"score": sc, "flags": np.where(np.isnan(sc), np.nan, (np.abs(sc) > 3.5).astype(float))}, 1e-9, 1e-12)
r = seasonal_decompose(W, model="additive", period=5).resid
rr = r[np.isfinite(r)]
sc = (r - np.median(rr)) / stats.median_abs_deviation(rr, scale="normal")
case("anomaly", "anomaly.seasonal_residual", comp("statsmodels", "seasonal_decompose(period=5) residual, scipy median_abs_deviation, k = 2"),
     {"x": W, "period": 5, "k": 2}, {"score": sc, "flags": np.where(np.isnan(sc), np.nan, (np.abs(sc) > 2).astype(float))}, 1e-9, 1e-12)
refusal("anomaly", "anomaly.seasonal_residual", {"x": [1, 5, 1, 5, 1, 5, 1, 5], "period": 2})
for arr, kind in ((W, "linear"), (S, "constant")):
    case("repair", "transform.detrend", comp("scipy", f"signal.detrend(type='{kind}')"), {"x": arr, "kind": kind},
         {"y": signal.detrend(np.array(arr), type=kind)}, 1e-9, 1e-10)
case("repair", "transform.detrend", "hand: a line leaves zeros, slope 2 and intercept 1", {"x": [1, 3, 5, 7]},
     {"y": [0, 0, 0, 0], "slope": 2, "intercept": 1}, 1e-12, 1e-12)

# Fourier resampling (features.rs)
for arr, num in ((sig, 150), (C, 37)):
    case("features", "signal.resample_fft", comp("scipy", f"signal.resample(num={num})"), {"x": arr, "num": num},
         {"y": signal.resample(np.array(arr), num), "step_factor": len(arr) / num}, 1e-9, 1e-12)
case("features", "signal.resample_fft", "hand: a cosine over 4 samples doubled to 8 is the same cosine finer",
     {"x": [1, 0, -1, 0], "num": 8}, {"y": [math.cos(math.pi * i / 4) for i in range(8)], "step_factor": 0.5}, 1e-12, 1e-12)

# calculus.rs
from scipy import integrate

m = "calculus"
for w, p, step in ((7, 2, 1.0), (11, 3, 0.01)):
    case(m, "signal.savgol_derivative", comp("scipy", f"signal.savgol_filter({w}, {p}, deriv=1, delta={step}, mode='interp')"),
         {"x": C, "window": w, "order": p, "step": step}, {"dydt": signal.savgol_filter(np.array(C), w, p, deriv=1, delta=step, mode="interp")}, 1e-9, 1e-9)
case(m, "signal.savgol_derivative", "hand: the derivative of t² sampled at 0 … 6 is 2t", {"x": [v * v for v in range(7)], "window": 5, "order": 2},
     {"dydt": [2 * v for v in range(7)]}, 1e-9, 1e-9)
TT = [0.0, 0.5, 1.7, 2.0, 3.5, 4.1, 6.0, 6.2]
for tv, xv in ((TT, [1.0, 2.0, 1.5, 3.0, 2.5, 4.0, 3.0, 5.0]), (list(np.cumsum(np.round(rng.uniform(0.1, 2, 12), 2))), B)):
    case(m, "signal.gradient", comp("numpy", "gradient(x, t)"), {"t": tv, "x": xv}, {"rate": np.gradient(np.array(xv), np.array(tv))}, 1e-12)
    case(m, "signal.integrate_trapezoid", comp("scipy", "integrate.cumulative_trapezoid(initial=0)"), {"t": tv, "x": xv},
         {"integral": integrate.cumulative_trapezoid(xv, tv, initial=0), "total": integrate.trapezoid(xv, tv)}, 1e-12)
case(m, "signal.gradient", "hand: a line x = 3t over uneven times has rate 3 everywhere", {"t": [0, 1, 3, 3.5], "x": [0, 3, 9, 10.5]},
     {"rate": [3, 3, 3, 3]}, 1e-12)
case(m, "signal.integrate_trapezoid", "hand: 2 kW for an hour, then 4 kW for half an hour, in kW·s", {"t": [0, 3600, 3600.001, 5400], "x": [2, 2, 4, 4]},
     {"total": 2 * 3600 + 0.001 * 3 + 4 * (1800 - 0.001)}, 1e-12)
refusal(m, "signal.gradient", {"t": [0, 2, 1], "x": [1, 2, 3]})

only = sys.argv[1:]
for module, data in files.items():
    if only and module not in only:
        continue
    with open(os.path.join(HERE, f"{module}.json"), "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=None)
        f.write("\n")
