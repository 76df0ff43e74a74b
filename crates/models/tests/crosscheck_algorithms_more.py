"""The second half of the data algorithms' cross-check rows (learning, tests, features,
stationarity, robust fits, scores, STL …).

Not run on its own: `crosscheck_algorithms.py` runs it in its own namespace, so the rows
share its helpers (`add`, `series`, `walk`, `tone`, `steps`), its random generator and its
imports, and land in the same output.
"""
# The names below come from crosscheck_algorithms.py (runpy.run_path with its globals).
# ruff: noqa: F821
# Learning: the isolation forest by ranking quality (it is randomised), logistic
# regression by its fitted values (scikit-learn).
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

AUC_ALLOWANCE = 0.02
for i in range(10):
    n = int(rng.integers(200, 2000))
    x = rng.normal(rng.uniform(-50, 50), rng.uniform(0.5, 10), n)
    if i % 2:
        x = x + rng.standard_exponential(n) * rng.uniform(0, 10)
    labels = (rng.uniform(size=n) < rng.uniform(0.01, 0.08)).astype(float)
    x[labels == 1] += rng.choice([-1, 1], int(labels.sum())) * rng.uniform(2, 6, int(labels.sum())) * x.std()
    ref = IsolationForest(n_estimators=100, max_samples=min(256, n), random_state=i).fit(x.reshape(-1, 1))
    sk = roc_auc_score(labels, -ref.score_samples(x.reshape(-1, 1)))
    rows.append({"model": "anomaly.isolation_forest", "inputs": {"x": clean(x), "seed": float(i)}, "expect": {}, "rel": 0.0,
                 "auc": {"output": "score", "labels": clean(labels), "at_least": sk - AUC_ALLOWANCE}})
    m = int(rng.integers(20, 500))
    f = rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 5), m)
    p_true = 1 / (1 + np.exp(-(rng.uniform(-3, 3) * (f - f.mean()) / f.std() + rng.uniform(-1, 1))))
    cls = (rng.uniform(size=m) < p_true).astype(float)
    if 0 < cls.sum() < m:
        C = float(10 ** rng.uniform(-2, 3))
        lr = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(f.reshape(-1, 1), cls)
        add("classify.logistic", {"x": f, "y": cls, "c": C},
            {"coef": lr.coef_[0, 0], "intercept": lr.intercept_[0], "probability": lr.predict_proba(f.reshape(-1, 1))[:, 1]}, 1e-6, 1e-9)


# Tests and the Box–Cox transformation (scipy.stats).
for _ in range(15):
    na, nb = int(rng.integers(3, 200)), int(rng.integers(3, 200))
    a, b = series(na, gaps=0.05), series(nb, gaps=0.05)
    if rng.uniform() < 0.4:
        a, b = np.round(a, 0), np.round(b, 0)
    av, bv = a[np.isfinite(a)], b[np.isfinite(b)]
    w = stats.ttest_ind(av, bv, equal_var=False)
    add("stats.welch_t_test", {"x": a, "y": b}, {"t": w.statistic, "df": w.df, "p": w.pvalue}, 1e-9, 1e-14)
    mw = stats.mannwhitneyu(av, bv, method="asymptotic")
    add("stats.mann_whitney", {"x": a, "y": b}, {"u": mw.statistic, "p": mw.pvalue}, 1e-9, 1e-14)
    k = int(rng.integers(2, 6))
    n = int(rng.integers(2 * k + 2, 300))
    g = rng.integers(0, k, n).astype(float) * rng.uniform(0.5, 3)
    x = rng.normal(0, 1, n) * rng.uniform(0.5, 5) + g * rng.uniform(0, 1) + rng.uniform(-10, 10)
    x[rng.uniform(size=n) < 0.05] = np.nan
    ok = np.isfinite(x)
    groups = [x[ok & (g == lab)] for lab in np.unique(g[ok])]
    if len(groups) >= 2 and all(len(v) >= 2 for v in groups):
        f = stats.f_oneway(*groups)
        add("stats.anova_oneway", {"x": x, "groups": g}, {"f": f.statistic, "p": f.pvalue, "k": len(groups)}, 1e-9, 1e-14)
        lv = stats.levene(*groups, center="median")
        add("stats.levene", {"x": x, "groups": g}, {"w": lv.statistic, "p": lv.pvalue}, 1e-9, 1e-14)
    jb = stats.jarque_bera(av)
    add("stats.jarque_bera", {"x": a}, {"jb": jb.statistic, "p": jb.pvalue}, 1e-9, 1e-14)
    pos = np.exp(rng.normal(rng.uniform(-2, 3), rng.uniform(0.1, 1), na)) + rng.uniform(0, 5)
    # scipy's own likelihood, maximised more tightly than its default Brent tolerance.
    lam = stats.boxcox_normmax(pos, method="mle", optimizer=lambda f: optimize.minimize_scalar(f, bracket=(-2, 2), tol=1e-14))
    # Where the data barely vary the likelihood is flat in λ and both optima agree to
    # about 1e-6 only.
    add("transform.boxcox", {"x": pos}, {"lambda": lam, "y": stats.boxcox(pos, lmbda=lam)}, 1e-5, 1e-10)


# Peaks, coherence, wavelet denoising (scipy.signal, PyWavelets) and the local-level
# Kalman filter (statsmodels).
from statsmodels.tsa.statespace.structural import UnobservedComponents

for _ in range(12):
    n = int(rng.integers(20, 2000))
    fs = float(rng.uniform(10, 1000))
    x = tone(n, fs)
    if rng.uniform() < 0.3:
        x = np.round(x, 1)
    h = float(np.quantile(x, rng.uniform(0, 0.9)))
    dist = float(rng.uniform(1, 30))
    prom = float(rng.uniform(0, 1) * np.std(x))
    pk, _ = signal.find_peaks(x, height=h, distance=dist)
    pr = signal.peak_prominences(x, pk)[0]
    keep = pr >= prom
    add("signal.find_peaks", {"x": x, "min_height": h, "min_distance": dist, "min_prominence": prom},
        {"indices": pk[keep], "heights": x[pk[keep]], "prominences": pr[keep], "count": keep.sum()}, 1e-12, 1e-12)
    y = 0.7 * x + rng.normal(0, rng.uniform(0.1, 3), n)
    nper = int(rng.choice([16, 64, 256]))
    if n >= nper:
        f, c = signal.coherence(x, y, fs=fs, nperseg=nper)
        add("freq.coherence", {"x": x, "y": y, "fs": fs, "nperseg": nper}, {"freq": f, "coherence": c}, 1e-8, 1e-10)
    for name in ["haar", "db2", "db4", "sym4"]:
        w = pywt.Wavelet(name)
        top = pywt.dwt_max_level(n, w.dec_len)
        if top < 1:
            continue
        level = int(rng.integers(1, top + 1))
        c = pywt.wavedec(x, w, mode="symmetric", level=level)
        sigma = np.median(np.abs(c[-1])) / 0.6744897501960817
        lam = sigma * np.sqrt(2 * np.log(n))
        c = [c[0]] + [pywt.threshold(v, lam, "soft") for v in c[1:]]
        add("wavelet.denoise", {"x": x, "wavelet": name, "level": level},
            {"y": pywt.waverec(c, w, mode="symmetric")[:n], "sigma": sigma, "threshold": lam}, 1e-8, 1e-10 * float(np.abs(x).max()))
    z = walk(n) + rng.normal(0, rng.uniform(0.1, 3), n)
    z[rng.uniform(size=n) < 0.05] = np.nan
    z[0] = 0.0 if np.isnan(z[0]) else z[0]
    q, r = float(10 ** rng.uniform(-3, 0)), float(10 ** rng.uniform(-1, 1))
    mod = UnobservedComponents(z, level="llevel")
    mod.ssm.initialize_known(np.array([z[0]]), np.array([[r]]))
    res = mod.smooth([r, q])
    add("filter.kalman_local_level", {"x": z, "q": q, "r": r},
        {"filtered": res.filtered_state[0], "filtered_var": res.filtered_state_cov[0, 0],
         "smoothed": res.smoothed_state[0], "smoothed_var": res.smoothed_state_cov[0, 0]}, 1e-7, 1e-8)


# Stationarity tests and the Hodrick–Prescott filter (statsmodels).
from statsmodels.tsa.filters.hp_filter import hpfilter
from statsmodels.tsa.stattools import adfuller, kpss

for _ in range(15):
    n = int(rng.integers(30, 800))
    x = walk(n) if rng.uniform() < 0.5 else series(n)
    p = int(rng.integers(0, 8))
    r = adfuller(x, maxlag=p, autolag=None, regression="c")
    add("ts.adf", {"x": x, "lags": p},
        {"statistic": r[0], "p": r[1], "nobs": r[3], "crit_1": r[4]["1%"], "crit_5": r[4]["5%"], "crit_10": r[4]["10%"]}, 1e-8, 1e-12)
    lags = int(rng.integers(0, 20))
    k = kpss(x, regression="c", nlags=lags)
    add("ts.kpss", {"x": x, "lags": lags}, {"statistic": k[0], "p": k[1]}, 1e-9)
    lam = float(10 ** rng.uniform(0, 6))
    cyc, tr = hpfilter(x, lamb=lam)
    add("filter.hodrick_prescott", {"x": x, "lambda": lam}, {"trend": tr, "cycle": cyc}, 1e-8, 1e-8 * float(np.abs(x).max()))


# Anderson–Darling (statsmodels, scipy), Gaussian mixture and naive Bayes (scikit-learn).
from sklearn.mixture import GaussianMixture
from sklearn.naive_bayes import GaussianNB
from statsmodels.stats.diagnostic import normal_ad

for _ in range(12):
    n = int(rng.integers(8, 500))
    x = series(n, gaps=0.05)
    v = x[np.isfinite(x)]
    a2, p = normal_ad(v)
    ad = stats.anderson(v, "norm")
    add("stats.anderson_darling", {"x": x}, {"a2": a2, "p": p, "crit_5": ad.critical_values[2], "crit_1": ad.critical_values[4]}, 1e-9, 1e-14)
    y = steps(n)
    y[rng.uniform(size=n) < 0.05] = np.nan
    v = y[np.isfinite(y)]
    k = int(rng.integers(1, 5))
    if len(v) >= 2 * k:
        init = np.quantile(v, (np.arange(k) + 0.5) / k).reshape(-1, 1)
        var0 = np.var(v) + 1e-6
        tol = float(10 ** rng.uniform(-10, -3))
        gm = GaussianMixture(n_components=k, tol=tol, max_iter=500, weights_init=np.full(k, 1 / k), means_init=init,
                             precisions_init=np.full((k, 1, 1), 1 / var0)).fit(v.reshape(-1, 1))
        labels = np.full(n, np.nan)
        labels[np.isfinite(y)] = gm.predict(v.reshape(-1, 1))
        add("cluster.gaussian_mixture", {"x": y, "k": k, "max_iter": 500, "tol": tol},
            {"means": gm.means_[:, 0], "sds": np.sqrt(gm.covariances_[:, 0, 0]), "weights": gm.weights_, "labels": labels,
             "log_likelihood": gm.lower_bound_, "iterations": gm.n_iter_}, 1e-6, 1e-9)
    classes = rng.integers(0, int(rng.integers(2, 5)), n).astype(float)
    f = rng.normal(0, 1, n) + classes * rng.uniform(0.5, 3) + rng.uniform(-10, 10)
    if len(np.unique(classes)) >= 2:
        nb = GaussianNB().fit(f.reshape(-1, 1), classes)
        q = rng.uniform(f.min() - 2, f.max() + 2, int(rng.integers(1, 100)))
        add("classify.gaussian_nb", {"x": f, "y": classes, "query": q},
            {"class": nb.predict(q.reshape(-1, 1)), "probability": nb.predict_proba(q.reshape(-1, 1)).max(axis=1)}, 1e-9, 1e-12)


# Wilcoxon, Kruskal–Wallis, Bartlett, χ² (scipy.stats) and the periodogram (scipy.signal).
for _ in range(12):
    n = int(rng.integers(5, 300))
    a = series(n)
    b = a + rng.normal(rng.uniform(-1, 1), rng.uniform(0.1, 3), n)
    if rng.uniform() < 0.4:
        a, b = np.round(a, 0), np.round(b, 0)
    if np.any(a != b):
        w = stats.wilcoxon(a, b, method="asymptotic")
        add("stats.wilcoxon", {"x": a, "y": b}, {"statistic": w.statistic, "z": w.zstatistic, "p": w.pvalue}, 1e-9, 1e-14)
    k = int(rng.integers(2, 6))
    m = int(rng.integers(3 * k, 300))
    g = rng.integers(0, k, m).astype(float)
    x = rng.normal(0, 1, m) * (1 + g * rng.uniform(0, 1)) + g * rng.uniform(0, 1)
    if rng.uniform() < 0.4:
        x = np.round(x, 0)
    groups = [x[g == lab] for lab in np.unique(g)]
    if len(groups) >= 2 and all(len(v) >= 2 for v in groups) and not np.all(x == x[0]):
        kr = stats.kruskal(*groups)
        add("stats.kruskal_wallis", {"x": x, "groups": g}, {"h": kr.statistic, "p": kr.pvalue}, 1e-9, 1e-14)
        if all(np.var(v) > 0 for v in groups):
            bt = stats.bartlett(*groups)
            add("stats.bartlett", {"x": x, "groups": g}, {"t": bt.statistic, "p": bt.pvalue}, 1e-9, 1e-14)
    cats = int(rng.integers(2, 12))
    shares = rng.uniform(0.2, 1, cats)
    obs = rng.multinomial(int(rng.integers(20, 5000)), shares / shares.sum()).astype(float)
    ddof = int(rng.integers(0, max(1, cats - 2)))
    cs = stats.chisquare(obs, shares / shares.sum() * obs.sum(), ddof=ddof)
    add("stats.chi_square", {"observed": obs, "expected": shares, "ddof": ddof}, {"chi2": cs.statistic, "p": cs.pvalue}, 1e-9, 1e-14)
    fs = float(rng.uniform(10, 5000))
    sig = tone(int(rng.integers(4, 3000)), fs)
    f, pxx = signal.periodogram(sig, fs=fs)
    add("freq.periodogram", {"x": sig, "fs": fs}, {"freq": f, "psd": pxx}, 1e-8, 1e-12 * float(pxx.max()))


# Damped and multiplicative exponential smoothing (statsmodels), Huber regression
# (statsmodels RLM), winsorizing (scipy.stats.mstats) and the FIR low-pass (scipy.signal).
import statsmodels.api as sm
from scipy.stats import mstats

for _ in range(12):
    n = int(rng.integers(30, 500))
    x = walk(n) + 200
    a, b, g = rng.uniform(0.01, 0.99, 3)
    phi = float(rng.uniform(0.7, 1.0))
    h = int(rng.integers(1, 30))
    r = Holt(x, damped_trend=True, initialization_method="known", initial_level=x[0], initial_trend=x[1] - x[0]).fit(
        smoothing_level=a, smoothing_trend=b, damping_trend=phi, optimized=False)
    add("forecast.holt_damped", {"x": x, "alpha": a, "beta": b, "horizon": h, "phi": phi},
        {"fitted": r.fittedvalues, "forecast": r.forecast(h), "sse": r.sse}, 1e-9)
    m = int(rng.integers(2, 25))
    if n >= 2 * m:
        y = x * (1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * np.arange(n) / m))
        l0 = y[:m].mean()
        # Large smoothing constants can make the multiplicative recursion unstable, where
        # rounding differences grow without bound: moderate ones here.
        a, b, g = rng.uniform(0.01, 0.5, 3)
        r = ExponentialSmoothing(y, trend="add", seasonal="mul", seasonal_periods=m, initialization_method="known",
                                 initial_level=l0, initial_trend=(y[m:2 * m].mean() - l0) / m, initial_seasonal=y[:m] / l0).fit(
            smoothing_level=a, smoothing_trend=b, smoothing_seasonal=g, optimized=False)
        add("forecast.holt_winters_multiplicative", {"x": y, "period": m, "alpha": a, "beta": b, "gamma": g, "horizon": m - 1},
            {"fitted": r.fittedvalues, "forecast": r.forecast(m - 1), "sse": r.sse}, 1e-9)
    xs = rng.uniform(-10, 10, n)
    ys = 2 + rng.uniform(-3, 3) * xs + rng.standard_t(2, n) * rng.uniform(0.1, 5)
    t = float(rng.uniform(0.5, 3))
    res = sm.RLM(ys, sm.add_constant(xs), M=sm.robust.norms.HuberT(t=t)).fit()
    add("regress.huber", {"x": xs, "y": ys, "t": t},
        {"slope": res.params[1], "intercept": res.params[0], "scale": res.scale, "iterations": res.fit_history["iteration"]}, 1e-9, 1e-12)
    # Without gaps: mstats.winsorize moves masked values into the upper tail.
    w = series(n)
    if rng.uniform() < 0.4:
        w = np.round(w, 0)
    lo, hi = rng.uniform(0, 0.3, 2)
    wz = mstats.winsorize(w, limits=(lo, hi))
    add("transform.winsorize", {"x": w, "lower": lo, "upper": hi}, {"y": np.asarray(wz, dtype=float)}, 0.0)
    fs = float(rng.uniform(10, 5000))
    sig = tone(n, fs)
    taps = int(rng.integers(1, 200))
    cut = float(rng.uniform(0.01, 0.49) * fs)
    hh = signal.firwin(taps, cut, fs=fs)
    add("filter.fir_lowpass", {"x": sig, "fs": fs, "taps": taps, "cutoff": cut},
        {"y": signal.lfilter(hh, 1.0, sig), "coefficients": hh, "delay": (taps - 1) / 2 / fs}, 1e-9, 1e-12 * float(np.abs(sig).max()))


# LOWESS (statsmodels).
from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess

for _ in range(12):
    n = int(rng.integers(5, 400))
    x = rng.uniform(-10, 10, n)
    y = np.sin(x * rng.uniform(0.1, 1)) * rng.uniform(1, 10) + rng.standard_t(3, n)
    y[rng.uniform(size=n) < 0.05] = np.nan
    frac = float(rng.uniform(0.1, 1))
    it = int(rng.integers(0, 5))
    ok = np.isfinite(y)
    fit = np.full(n, np.nan)
    fit[ok] = sm_lowess(y[ok], x[ok], frac=frac, it=it, delta=0.0, return_sorted=False)
    add("regress.lowess", {"x": x, "y": y, "frac": frac, "iterations": it}, {"fitted": fit}, 1e-9, 1e-10)


# Scores (scikit-learn metrics), the seasonal residual (statsmodels, scipy) and detrending
# (scipy.signal).
from sklearn import metrics as skm

for _ in range(12):
    n = int(rng.integers(5, 500))
    y = series(n, gaps=0.05)
    p = y + rng.normal(0, rng.uniform(0.1, 10), n)
    ok = np.isfinite(y)
    add("forecast.accuracy", {"actual": y, "predicted": p},
        {"mae": skm.mean_absolute_error(y[ok], p[ok]), "rmse": skm.root_mean_squared_error(y[ok], p[ok]),
         "mape": skm.mean_absolute_percentage_error(y[ok], p[ok]), "r2": skm.r2_score(y[ok], p[ok]),
         "max_error": skm.max_error(y[ok], p[ok])}, 1e-9, 1e-14)
    t = (rng.uniform(size=n) < rng.uniform(0.05, 0.5)).astype(float)
    pr = np.where(rng.uniform(size=n) < rng.uniform(0.5, 1), t, 1 - t)
    cm = skm.confusion_matrix(t, pr, labels=[0, 1])
    add("classify.metrics", {"truth": t, "predicted": pr},
        {"accuracy": skm.accuracy_score(t, pr), "precision": skm.precision_score(t, pr, zero_division=0),
         "recall": skm.recall_score(t, pr, zero_division=0), "f1": skm.f1_score(t, pr, zero_division=0),
         "tp": cm[1, 1], "fp": cm[0, 1], "tn": cm[0, 0], "fn": cm[1, 0]}, 1e-12, 1e-14)
    if 0 < t.sum() < n:
        sc = t * rng.uniform(0, 2) + rng.normal(0, 1, n)
        if rng.uniform() < 0.4:
            sc = np.round(sc, 0)
        add("classify.roc_auc", {"truth": t, "score": sc},
            {"auc": skm.roc_auc_score(t, sc), "average_precision": skm.average_precision_score(t, sc)}, 1e-12, 1e-14)
    v = steps(n)
    k = int(rng.integers(2, 6))
    lab = np.digitize(v, np.quantile(v, np.linspace(0, 1, k + 1)[1:-1])).astype(float)
    if rng.uniform() < 0.3:
        lab = rng.integers(0, k, n).astype(float)
    if 2 <= len(np.unique(lab)) <= n - 1:
        add("cluster.silhouette", {"x": v, "labels": lab}, {"silhouette": skm.silhouette_score(v.reshape(-1, 1), lab)}, 1e-9, 1e-12)
    m = int(rng.integers(2, 25))
    if n >= 2 * m:
        z = walk(n) + rng.uniform(1, 10) * np.sin(2 * np.pi * np.arange(n) / m)
        z[rng.integers(0, n, 3)] += rng.normal(0, 20, 3)
        r = seasonal_decompose(z, model="additive", period=m).resid
        rr = r[np.isfinite(r)]
        sc = (r - np.median(rr)) / stats.median_abs_deviation(rr, scale="normal")
        add("anomaly.seasonal_residual", {"x": z, "period": m, "k": 3.5},
            {"score": sc, "flags": np.where(np.isnan(sc), np.nan, (np.abs(sc) > 3.5).astype(float))}, 1e-9, 1e-10)
    kind = str(rng.choice(["constant", "linear"]))
    w = walk(n)
    add("transform.detrend", {"x": w, "kind": kind}, {"y": signal.detrend(w, type=kind)}, 1e-8, 1e-10)


# Fourier resampling (scipy.signal).
for _ in range(12):
    n = int(rng.integers(1, 500))
    num = int(rng.integers(1, 800))
    x = tone(n, 100.0) if n > 1 else np.array([rng.normal()])
    y = signal.resample(x, num)
    add("signal.resample_fft", {"x": x, "num": num}, {"y": y, "step_factor": n / num}, 1e-9, 1e-10 * float(np.abs(x).max()))


# Calculus: the Savitzky–Golay derivative (scipy.signal), the gradient (numpy) and the
# cumulative trapezoid (scipy.integrate).
from scipy import integrate

for _ in range(12):
    n = int(rng.integers(3, 500))
    y = series(n)
    w = 2 * int(rng.integers(1, 12)) + 1
    if n >= w:
        p = int(rng.integers(1, min(w, 7)))
        step = float(10 ** rng.uniform(-3, 2))
        add("signal.savgol_derivative", {"x": y, "window": w, "order": p, "step": step},
            {"dydt": signal.savgol_filter(y, w, p, deriv=1, delta=step, mode="interp")}, 1e-8, 1e-9 * float(np.abs(y).max()) / step)
    t = np.cumsum(rng.uniform(0.01, 10, n)) + rng.uniform(-1e3, 1e3)
    add("signal.gradient", {"t": t, "x": y}, {"rate": np.gradient(y, t)}, 1e-8, 1e-10)
    add("signal.integrate_trapezoid", {"t": t, "x": y},
        {"integral": integrate.cumulative_trapezoid(y, t, initial=0), "total": integrate.trapezoid(y, t)}, 1e-9, 1e-9)


# Instantaneous frequency (scipy.signal.hilbert, numpy.unwrap) and the trimmed mean
# (scipy.stats).
for _ in range(10):
    n = int(rng.integers(16, 2000))
    fs = float(rng.uniform(100, 10000))
    t = np.arange(n) / fs
    f0, f1 = rng.uniform(0.02, 0.2, 2) * fs
    x = rng.uniform(0.5, 5) * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * t[-1]))) + rng.normal(0, 0.01, n)
    z = signal.hilbert(x)
    ph = np.unwrap(np.angle(z))
    add("signal.instantaneous_frequency", {"x": x, "fs": fs},
        {"amplitude": np.abs(z), "phase": ph, "frequency": np.diff(ph) / (2 * np.pi) * fs}, 1e-8, 1e-9)
    y = series(int(rng.integers(1, 300)), gaps=0.05)
    cut = float(rng.uniform(0, 0.45))
    v = y[np.isfinite(y)]
    if len(v) > 2 * int(cut * len(v)):
        add("stats.trimmed_mean", {"x": y, "cut": cut}, {"mean": stats.trim_mean(v, cut)}, 1e-12)


# STL (statsmodels).
from statsmodels.tsa.seasonal import STL

for _ in range(10):
    m = int(rng.integers(2, 30))
    n = int(rng.integers(2 * m, 600))
    x = walk(n) + rng.uniform(1, 10) * np.sin(2 * np.pi * np.arange(n) / m)
    x[rng.integers(0, n, 3)] += rng.normal(0, 20, 3)
    seasonal = 2 * int(rng.integers(1, 12)) + 1
    robust = bool(rng.uniform() < 0.5)
    r = STL(x, period=m, seasonal=seasonal, robust=robust).fit()
    add("ts.stl", {"x": x, "period": m, "window": seasonal, "robust": "yes" if robust else "no"},
        {"trend": r.trend, "seasonal": r.seasonal, "resid": r.resid, "weights": r.weights}, 1e-8, 1e-9)

# MSTL (statsmodels).
from statsmodels.tsa.seasonal import MSTL

for _ in range(8):
    p1 = int(rng.integers(2, 12))
    p2 = int(rng.integers(p1 + 1, 40))
    n = int(rng.integers(2 * p2 + 1, 600))
    t = np.arange(n)
    x = walk(n) + rng.uniform(1, 5) * np.sin(2 * np.pi * t / p1) + rng.uniform(1, 5) * np.cos(2 * np.pi * t / p2)
    r = MSTL(x, periods=(p1, p2)).fit()
    add("ts.mstl", {"x": x, "period_1": p1, "period_2": p2},
        {"trend": r.trend, "seasonal_short": r.seasonal[:, 0], "seasonal_long": r.seasonal[:, 1], "resid": r.resid}, 1e-8, 1e-9)

