"""ARIMA against statsmodels on simulated ARMA series (run by `tests/crosscheck.rs`).

The coefficients and the innovation variance are statsmodels' Hannan–Rissanen estimate
(`hannan_rissanen(…, demean=True, unbiased=False)`) of the differenced series. The
forecasts are statsmodels' state-space ARIMA(p, 0, q) filtered with exactly those
coefficients on the demeaned differenced series, plus the mean, summed back d times: the
library's forecasts start their innovations at zero where the Kalman filter starts from the
stationary distribution, a difference that dies out over the long series drawn here.
"""

import json
import sys
import warnings
from importlib.metadata import version

import numpy as np
from statsmodels.tsa.arima.estimators.hannan_rissanen import hannan_rissanen
from statsmodels.tsa.arima.model import ARIMA

warnings.simplefilter("ignore")
rng = np.random.default_rng(20261206)
rows = []


def clean(v):
    return [float(x) for x in np.asarray(v, dtype=float).ravel()]


made = 0
while made < 40:
    p = int(rng.integers(0, 4))
    q = int(rng.integers(0, 3))
    d = int(rng.integers(0, 2))
    n = int(rng.integers(300, 1500))
    ar = rng.uniform(-0.5, 0.5, p) / max(p, 1)
    ma = rng.uniform(-0.6, 0.6, q)
    e = rng.normal(0, rng.uniform(0.5, 5), n + 200)
    w = np.zeros(n + 200)
    for t in range(n + 200):
        w[t] = sum(ar[i] * w[t - 1 - i] for i in range(p) if t - 1 - i >= 0) + e[t] + sum(
            ma[j] * e[t - 1 - j] for j in range(q) if t - 1 - j >= 0)
    w = w[200:] + rng.uniform(-20, 20)
    x = np.cumsum(w) if d == 1 else w
    h = int(rng.integers(1, 30))
    wd = np.diff(x, n=d) if d else x
    r = hannan_rissanen(wd, ar_order=p, ma_order=q, demean=True, unbiased=False)[0]
    phi = np.asarray(r.ar_params, dtype=float)
    theta = np.asarray(r.ma_params, dtype=float)
    mu = wd.mean()
    if p + q > 0:
        # Only well-behaved fits: the Kalman filter's start must have died out.
        if np.any(np.abs(np.roots(np.r_[1, theta][::-1])) <= 1.25) if q else False:
            continue
        m = ARIMA(wd - mu, order=(p, 0, q), trend="n", enforce_stationarity=False, enforce_invertibility=False)
        f = m.filter(np.r_[phi, theta, r.sigma2]).forecast(h) + mu
    else:
        f = np.full(h, mu)
    if d:
        f = x[-1] + np.cumsum(f)
    rows.append({"model": "forecast.arima", "inputs": {"x": clean(x), "p": p, "d": d, "q": q, "horizon": h},
                 "expect": {"ar": clean(phi), "ma": clean(theta), "sigma2": float(r.sigma2), "mean": float(mu),
                            "forecast": clean(f)}, "rel": 1e-7, "abs": 1e-7 * float(np.std(x))})
    made += 1

json.dump({"packages": {"statsmodels": version("statsmodels")}, "rows": rows}, sys.stdout)
