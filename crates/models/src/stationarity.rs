//! Stationarity and trend extraction: the augmented Dickey–Fuller and KPSS tests and the
//! Hodrick–Prescott filter, following statsmodels (named on each card) so the test run can
//! compare statistics, p-values and trends on the same data.

use crate::algorithms::{X, algo, mean};
use crate::numeric::{no_gaps, solve, whole};
use crate::stats::normal_cdf;
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// MacKinnon (1994) response-surface coefficients for the p-value of τ with a constant
/// and one series (statsmodels.tsa.adfvalues: tau_c_smallp, tau_c_largep, tau_star_c,
/// tau_min_c, tau_max_c), lowest power first.
const TAU_SMALL: [f64; 3] = [2.1659, 1.4412, 3.8269e-2];
const TAU_LARGE: [f64; 4] = [1.7339, 9.3202e-1, -1.2745e-1, -1.0368e-2];
const TAU_STAR: f64 = -1.61;
const TAU_MIN: f64 = -18.83;
const TAU_MAX: f64 = 2.74;
/// MacKinnon (2010) critical values at 1 %, 5 %, 10 % with a constant: c₀ + c₁/T + c₂/T² + c₃/T³.
const TAU_CRIT: [[f64; 4]; 3] = [
    [-3.43035, -6.5393, -16.786, -79.433],
    [-2.86154, -2.8903, -4.234, -40.040],
    [-2.56677, -1.5384, -2.809, 0.0],
];

fn poly(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, k| acc * x + k)
}

fn adf_pvalue(t: f64) -> f64 {
    if t > TAU_MAX {
        1.0
    } else if t < TAU_MIN {
        0.0
    } else if t <= TAU_STAR {
        normal_cdf(poly(&TAU_SMALL, t))
    } else {
        normal_cdf(poly(&TAU_LARGE, t))
    }
}

fn adf(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let p = whole(d[1].scalar());
    no_gaps(x, "the Dickey–Fuller test", 2 * p + 6)?;
    let dx: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    // Δxₜ on xₜ₋₁, Δxₜ₋₁ … Δxₜ₋ₚ and a constant, for the rows with every lag present.
    let rows = dx.len() - p;
    let mut cols: Vec<Vec<f64>> = vec![x[p..p + rows].to_vec()];
    for k in 1..=p {
        cols.push(dx[p - k..p - k + rows].to_vec());
    }
    cols.push(vec![1.0; rows]);
    let y = &dx[p..];
    let kk = cols.len();
    let gram: Vec<Vec<f64>> = cols
        .iter()
        .map(|a| {
            cols.iter()
                .map(|b| a.iter().zip(b).map(|(u, v)| u * v).sum())
                .collect()
        })
        .collect();
    let singular = || {
        Refusal::new(
            "the regression of the test is singular (a constant or exactly trending series)",
            "检验的回归奇异（常数或严格线性序列）",
        )
    };
    let beta = crate::numeric::lstsq(&cols, y).ok_or_else(singular)?;
    let mut e0 = vec![0.0; kk];
    e0[0] = 1.0;
    let inv00 = solve(gram, e0).ok_or_else(singular)?[0];
    let rss: f64 = (0..rows)
        .map(|i| {
            let f: f64 = cols.iter().zip(&beta).map(|(c, b)| c[i] * b).sum();
            (y[i] - f).powi(2)
        })
        .sum();
    let s2 = rss / (rows - kk) as f64;
    let t = beta[0] / (s2 * inv00).sqrt();
    let n = rows as f64;
    let crit = TAU_CRIT.map(|c| c[0] + c[1] / n + c[2] / (n * n) + c[3] / (n * n * n));
    Ok(vec![
        Datum::Scalar(t),
        Datum::Scalar(adf_pvalue(t)),
        Datum::Scalar(n),
        Datum::Scalar(crit[0]),
        Datum::Scalar(crit[1]),
        Datum::Scalar(crit[2]),
    ])
}

fn kpss(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let lags = whole(d[1].scalar());
    no_gaps(x, "the KPSS test", 3)?;
    let n = x.len();
    if lags >= n {
        return Err(Refusal::new(
            format!("{lags} lags need more than {lags} values"),
            format!("{lags} 个滞后需要多于 {lags} 个值"),
        ));
    }
    let m = mean(x);
    let e: Vec<f64> = x.iter().map(|v| v - m).collect();
    let mut acc = 0.0;
    let eta = e
        .iter()
        .map(|v| {
            acc += v;
            acc * acc
        })
        .sum::<f64>()
        / (n * n) as f64;
    // Newey–West long-run variance with Bartlett weights.
    let mut s = e.iter().map(|v| v * v).sum::<f64>();
    for lag in 1..=lags {
        let g: f64 = e[lag..].iter().zip(&e[..n - lag]).map(|(a, b)| a * b).sum();
        s += 2.0 * (1.0 - lag as f64 / (lags as f64 + 1.0)) * g;
    }
    let s = s / n as f64;
    if s <= 0.0 {
        return Err(Refusal::new(
            "the series does not vary: the test is undefined",
            "序列没有变化：检验无定义",
        ));
    }
    let stat = eta / s;
    // Linear interpolation in the table of Kwiatkowski et al., held at its ends.
    const CRIT: [f64; 4] = [0.347, 0.463, 0.574, 0.739];
    const P: [f64; 4] = [0.10, 0.05, 0.025, 0.01];
    let p = if stat <= CRIT[0] {
        P[0]
    } else if stat >= CRIT[3] {
        P[3]
    } else {
        let i = (0..3).find(|&i| stat <= CRIT[i + 1]).unwrap_or(2);
        P[i] + (P[i + 1] - P[i]) * (stat - CRIT[i]) / (CRIT[i + 1] - CRIT[i])
    };
    Ok(vec![Datum::Scalar(stat), Datum::Scalar(p)])
}

fn hodrick_prescott(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let lambda = d[1].scalar();
    no_gaps(x, "the Hodrick–Prescott filter", 3)?;
    let n = x.len();
    // (I + λ DᵀD) τ = x, D the second difference: a symmetric five-band matrix, solved by
    // its LDLᵀ factorisation in O(n).
    let mut diag = vec![0.0; n];
    let mut off1 = vec![0.0; n];
    let mut off2 = vec![0.0; n];
    for r in 0..n - 2 {
        // Row r of D is (1, −2, 1) at columns r, r + 1, r + 2.
        let c = [1.0, -2.0, 1.0];
        for a in 0..3 {
            diag[r + a] += lambda * c[a] * c[a];
            if a < 2 {
                off1[r + a] += lambda * c[a] * c[a + 1];
            }
        }
        off2[r] += lambda * c[0] * c[2];
    }
    for v in &mut diag {
        *v += 1.0;
    }
    // L has unit diagonal and two sub-diagonals l1, l2; D = dd.
    let mut dd = vec![0.0; n];
    let mut l1 = vec![0.0; n];
    let mut l2 = vec![0.0; n];
    for i in 0..n {
        let mut v = diag[i];
        if i >= 1 {
            v -= l1[i - 1] * l1[i - 1] * dd[i - 1];
        }
        if i >= 2 {
            v -= l2[i - 2] * l2[i - 2] * dd[i - 2];
        }
        dd[i] = v;
        if i + 1 < n {
            let mut w = off1[i];
            if i >= 1 {
                w -= l1[i - 1] * l2[i - 1] * dd[i - 1];
            }
            l1[i] = w / v;
        }
        if i + 2 < n {
            l2[i] = off2[i] / v;
        }
    }
    let mut z = x.to_vec();
    for i in 0..n {
        if i >= 1 {
            z[i] -= l1[i - 1] * z[i - 1];
        }
        if i >= 2 {
            z[i] -= l2[i - 2] * z[i - 2];
        }
    }
    for i in 0..n {
        z[i] /= dd[i];
    }
    for i in (0..n).rev() {
        if i + 1 < n {
            z[i] -= l1[i] * z[i + 1];
        }
        if i + 2 < n {
            z[i] -= l2[i] * z[i + 2];
        }
    }
    let cycle = x.iter().zip(&z).map(|(a, b)| a - b).collect();
    Ok(vec![Datum::Series(z), Datum::Series(cycle)])
}

const LAGS: Port = Port::new("lags", "Lags", "滞后数", "", 0.0, 1000.0).default(1.0);
const STATSMODELS: &str = "Seabold, S., Perktold, J. (2010), statsmodels: econometric and statistical modeling with Python, Proc. 9th Python in Science Conf.";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "ts.adf",
            Text::new("Augmented Dickey–Fuller test", "增广 Dickey–Fuller 检验"),
            Text::new(
                "Tests for a unit root (a wandering, non-stationary level) against a stationary series, e.g. before modelling a sensor's drift.",
                "检验单位根（游走的非平稳水平）对平稳序列的假设，例如在为传感器漂移建模之前。",
            ),
            &[X, LAGS],
            &[
                Port::out("statistic", "τ = t of xₜ₋₁", "τ = xₜ₋₁ 系数的 t 值", ""),
                Port::out(
                    "p",
                    "p-value (MacKinnon 1994)",
                    "p 值（MacKinnon 1994）",
                    "",
                ),
                Port::out("nobs", "Observations used", "使用的观测数", ""),
                Port::out("crit_1", "1 % critical value", "1% 临界值", ""),
                Port::out("crit_5", "5 % critical value", "5% 临界值", ""),
                Port::out("crit_10", "10 % critical value", "10% 临界值", ""),
            ],
            Text::new(
                "Δxₜ = α + γ xₜ₋₁ + Σ_{k=1…p} δ_k Δxₜ₋ₖ + εₜ by least squares; τ = γ̂/se(γ̂); p from MacKinnon's response surface, critical values c₀ + c₁/T + c₂/T² + c₃/T³ (MacKinnon 2010) (statsmodels adfuller, regression=\"c\", autolag=None).",
                "最小二乘拟合 Δxₜ = α + γ xₜ₋₁ + Σ_{k=1…p} δ_k Δxₜ₋ₖ + εₜ；τ = γ̂/se(γ̂)；p 值由 MacKinnon 响应面求得，临界值 c₀ + c₁/T + c₂/T² + c₃/T³（MacKinnon 2010）（statsmodels adfuller，regression=\"c\"，autolag=None）。",
            ),
            &[
                Reference {
                    source: "MacKinnon, J. G. (1994), Approximate asymptotic distribution functions for unit-root and cointegration tests, J. Business & Economic Statistics 12(2):167–176",
                    locator: "Table 3 (p-values)",
                },
                Reference {
                    source: "MacKinnon, J. G. (2010), Critical values for cointegration tests, Queen's Economics Department Working Paper 1227",
                    locator: "Table 2",
                },
            ],
        ),
        eval: Eval::Data(adf),
    },
    Model {
        card: algo(
            "ts.kpss",
            Text::new("KPSS stationarity test", "KPSS 平稳性检验"),
            Text::new(
                "Tests stationarity around a constant level against a unit root (the reverse of the Dickey–Fuller test's hypotheses).",
                "检验围绕常数水平的平稳性，对立假设为单位根（与 Dickey–Fuller 检验的假设相反）。",
            ),
            &[X, LAGS.default(4.0)],
            &[
                Port::out("statistic", "KPSS statistic", "KPSS 统计量", ""),
                Port::out(
                    "p",
                    "p-value (table, 0.01 … 0.10)",
                    "p 值（查表，0.01 … 0.10）",
                    "",
                ),
            ],
            Text::new(
                "η = Σ Sₜ²/n² with Sₜ the partial sums of x − x̄; s² = (Σ e² + 2 Σ_{l=1…L} (1 − l/(L + 1)) Σ eₜeₜ₋ₗ)/n; KPSS = η/s²; p interpolated in (0.347, 0.463, 0.574, 0.739) ↔ (0.10, 0.05, 0.025, 0.01) (statsmodels kpss, regression=\"c\").",
                "η = Σ Sₜ²/n²，Sₜ 为 x − x̄ 的部分和；s² = (Σ e² + 2 Σ_{l=1…L} (1 − l/(L + 1)) Σ eₜeₜ₋ₗ)/n；KPSS = η/s²；p 值在 (0.347, 0.463, 0.574, 0.739) ↔ (0.10, 0.05, 0.025, 0.01) 间插值（statsmodels kpss，regression=\"c\"）。",
            ),
            &[Reference {
                source: "Kwiatkowski, D., Phillips, P. C. B., Schmidt, P., Shin, Y. (1992), Testing the null hypothesis of stationarity against the alternative of a unit root, J. Econometrics 54:159–178",
                locator: "Eq. 10–11, Table 1",
            }],
        ),
        eval: Eval::Data(kpss),
    },
    Model {
        card: algo(
            "filter.hodrick_prescott",
            Text::new("Hodrick–Prescott filter", "Hodrick–Prescott 滤波"),
            Text::new(
                "Splits a series into a smooth trend and the cycle around it; λ sets the smoothness.",
                "将序列分解为平滑趋势与围绕它的周期波动；λ 决定平滑程度。",
            ),
            &[
                X,
                Port::new("lambda", "Smoothing λ", "平滑参数 λ", "", 0.0, 1e15).default(1600.0),
            ],
            &[
                Port::series("trend", "Trend", "趋势", ""),
                Port::series("cycle", "Cycle x − trend", "周期项 x − 趋势", ""),
            ],
            Text::new(
                "τ = argmin Σ(xₜ − τₜ)² + λ Σ(Δ²τₜ)², i.e. (I + λ DᵀD) τ = x, solved by banded LDLᵀ (statsmodels hpfilter).",
                "τ = argmin Σ(xₜ − τₜ)² + λ Σ(Δ²τₜ)²，即 (I + λ DᵀD) τ = x，以带状 LDLᵀ 分解求解（statsmodels hpfilter）。",
            ),
            &[
                Reference {
                    source: "Hodrick, R. J., Prescott, E. C. (1997), Postwar U.S. business cycles: an empirical investigation, J. Money, Credit and Banking 29(1):1–16",
                    locator: "",
                },
                Reference {
                    source: STATSMODELS,
                    locator: "statsmodels.tsa.filters.hp_filter.hpfilter",
                },
            ],
        ),
        eval: Eval::Data(hodrick_prescott),
    },
];
