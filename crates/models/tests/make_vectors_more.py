"""The second half of the data algorithms' test vectors (learn, inference, features,
stationarity, comparison, robust, metrics, calculus and the later additions to the first
half's modules).

Not run on its own: `make_vectors.py` runs it in its own namespace, so the cases share its
helpers (`case`, `refusal`, `comp`) and its inputs (A, B, C, W, S, sig …) and land in the
same files.
"""
# The names below come from make_vectors.py (runpy.run_path with its globals).
# ruff: noqa: F821
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

# Instantaneous frequency (calculus.rs) and the trimmed mean (robust.rs)
for arr, f_ in ((sig, fs), (am, 400.0)):
    z = signal.hilbert(np.array(arr))
    ph = np.unwrap(np.angle(z))
    case("calculus", "signal.instantaneous_frequency", comp("scipy", "signal.hilbert; numpy unwrap, diff"), {"x": arr, "fs": f_},
         {"amplitude": np.abs(z), "phase": ph, "frequency": np.diff(ph) / (2 * np.pi) * f_}, 1e-9, 1e-12)
tone8 = [math.cos(2 * math.pi * i / 8) for i in range(32)]
case("calculus", "signal.instantaneous_frequency", "hand: a cosine of 1/8 of the sampling rate (8 Hz at 64 Hz) has amplitude 1 and frequency 8 Hz",
     {"x": tone8, "fs": 64}, {"amplitude": [1.0] * 32, "frequency": [8.0] * 31}, 1e-9)
for arr, cut in ((B, 0.1), (C, 0.25)):
    case("robust", "stats.trimmed_mean", comp("scipy", f"stats.trim_mean({cut})"), {"x": arr, "cut": cut}, {"mean": stats.trim_mean(arr, cut)}, 1e-12)
case("robust", "stats.trimmed_mean", "hand: 10 % off each end of 1 … 9, 100 leaves 2 … 9, mean 5.5", {"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 100], "cut": 0.1},
     {"mean": 5.5, "kept": 8}, 1e-12)

# STL (stl.rs)
from statsmodels.tsa.seasonal import STL

for arr, period, seasonal, robust in ((S, 6, 7, False), (S, 6, 5, True), (W, 4, 7, False)):
    r = STL(np.array(arr), period=period, seasonal=seasonal, robust=robust).fit()
    case("stl", "ts.stl", comp("statsmodels", f"tsa.seasonal.STL(period={period}, seasonal={seasonal}, robust={robust})"),
         {"x": arr, "period": period, "window": seasonal, "robust": "yes" if robust else "no"},
         {"trend": r.trend, "seasonal": r.seasonal, "resid": r.resid, "weights": r.weights}, 1e-9, 1e-12)
refusal("stl", "ts.stl", {"x": [1, 2, 3, 4, 5], "period": 3})
refusal("stl", "ts.stl", {"x": S, "period": 6, "window": 6})

# MSTL (stl.rs)
from statsmodels.tsa.seasonal import MSTL

M2 = list(np.round(np.array(S) + 3 * np.cos(2 * np.pi * np.arange(36) / 4), 3))
for arr, p1, p2 in ((M2, 4, 6), (S, 3, 6), (W, 4, 7)):
    r = MSTL(np.array(arr), periods=(p1, p2)).fit()
    case("stl", "ts.mstl", comp("statsmodels", f"tsa.seasonal.MSTL(periods=({p1}, {p2}))"), {"x": arr, "period_1": p1, "period_2": p2},
         {"trend": r.trend, "seasonal_short": r.seasonal[:, 0], "seasonal_long": r.seasonal[:, 1], "resid": r.resid}, 1e-9, 1e-12)
refusal("stl", "ts.mstl", {"x": S, "period_1": 6, "period_2": 6})
refusal("stl", "ts.mstl", {"x": S, "period_1": 4, "period_2": 18})

