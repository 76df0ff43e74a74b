//! Time-series analysis and forecasting: autocorrelation, partial autocorrelation, the
//! Ljung–Box test, classical seasonal decomposition, exponential smoothing (simple, Holt,
//! Holt–Winters) and autoregressive models, with statsmodels' conventions (named on each
//! card) so the test run can compare them on the same data.

use crate::algorithms::{X, algo, mean};
use crate::numeric::{chi2_sf, lstsq, no_gaps, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// Biased autocovariances γ₀ … γ_L (divided by n) of the demeaned series.
fn autocov(x: &[f64], lags: usize) -> Vec<f64> {
    let m = mean(x);
    let n = x.len();
    let c: Vec<f64> = x.iter().map(|v| v - m).collect();
    (0..=lags.min(n - 1))
        .map(|k| {
            c[..n - k]
                .iter()
                .zip(&c[k..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / n as f64
        })
        .collect()
}

fn acf_of(x: &[f64], lags: usize) -> Result<Vec<f64>, Refusal> {
    let g = autocov(x, lags);
    if g[0] == 0.0 {
        return Err(Refusal::new(
            "the series does not vary: its autocorrelation is undefined",
            "序列没有变化：自相关无定义",
        ));
    }
    Ok(g.iter().map(|v| v / g[0]).collect())
}

fn lags_of(d: &Datum, n: usize) -> Result<usize, Refusal> {
    let l = whole(d.scalar());
    if l >= n {
        return Err(Refusal::new(
            format!("{l} lags need more than {l} values"),
            format!("{l} 个滞后需要多于 {l} 个值"),
        ));
    }
    Ok(l)
}

fn acf(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    no_gaps(x, "autocorrelation", 2)?;
    let r = acf_of(x, lags_of(&d[1], x.len())?)?;
    Ok(vec![Datum::Series(r)])
}

/// Levinson–Durbin on the autocorrelations: the AR coefficients of every order up to L,
/// returned as (last coefficient of each order, coefficients of order L, innovation
/// variance of order L relative to γ₀).
fn levinson(r: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let lags = r.len() - 1;
    let mut phi: Vec<f64> = Vec::with_capacity(lags);
    let mut pacf = Vec::with_capacity(lags);
    let mut err = r[0];
    for k in 1..=lags {
        let acc: f64 = phi.iter().enumerate().map(|(j, p)| p * r[k - 1 - j]).sum();
        let kappa = (r[k] - acc) / err;
        let prev = phi.clone();
        for (j, p) in phi.iter_mut().enumerate() {
            *p = prev[j] - kappa * prev[k - 2 - j];
        }
        phi.push(kappa);
        err *= 1.0 - kappa * kappa;
        pacf.push(kappa);
    }
    (pacf, phi, err)
}

fn pacf(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    no_gaps(x, "partial autocorrelation", 2)?;
    let r = acf_of(x, lags_of(&d[1], x.len())?)?;
    let (p, _, _) = levinson(&r);
    let mut out = vec![1.0];
    out.extend(p);
    Ok(vec![Datum::Series(out)])
}

fn ljung_box(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    no_gaps(x, "the Ljung–Box test", 3)?;
    let h = lags_of(&d[1], x.len())?;
    let r = acf_of(x, h)?;
    let n = x.len() as f64;
    let q = n * (n + 2.0) * (1..=h).map(|k| r[k] * r[k] / (n - k as f64)).sum::<f64>();
    Ok(vec![Datum::Scalar(q), Datum::Scalar(chi2_sf(q, h as f64))])
}

fn decompose(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (trend, seasonal, resid) = classical(d[0].series(), whole(d[1].scalar()))?;
    Ok(vec![
        Datum::Series(trend),
        Datum::Series(seasonal),
        Datum::Series(resid),
    ])
}

/// The additive classical decomposition: trend, seasonal and residual.
pub(crate) type Decomposition = (Vec<f64>, Vec<f64>, Vec<f64>);

pub(crate) fn classical(x: &[f64], m: usize) -> Result<Decomposition, Refusal> {
    no_gaps(x, "seasonal decomposition", 2 * m)?;
    let n = x.len();
    // The centred moving average: m terms for an odd period, 2 × m for an even one.
    let h = m / 2;
    let weights: Vec<f64> = if m.is_multiple_of(2) {
        (0..=m)
            .map(|j| if j == 0 || j == m { 0.5 } else { 1.0 } / m as f64)
            .collect()
    } else {
        vec![1.0 / m as f64; m]
    };
    let mut trend = vec![f64::NAN; n];
    for (i, t) in trend.iter_mut().enumerate().take(n - h).skip(h) {
        *t = weights.iter().zip(&x[i - h..]).map(|(w, v)| w * v).sum();
    }
    let detrended: Vec<f64> = x.iter().zip(&trend).map(|(a, b)| a - b).collect();
    let mut season: Vec<f64> = (0..m)
        .map(|i| {
            let vals: Vec<f64> = detrended[i..]
                .iter()
                .step_by(m)
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            vals.iter().sum::<f64>() / vals.len() as f64
        })
        .collect();
    let centre = season.iter().sum::<f64>() / m as f64;
    for s in &mut season {
        *s -= centre;
    }
    let seasonal: Vec<f64> = (0..n).map(|i| season[i % m]).collect();
    let resid = detrended
        .iter()
        .zip(&seasonal)
        .map(|(a, b)| a - b)
        .collect();
    Ok((trend, seasonal, resid))
}

fn sse(x: &[f64], fitted: &[f64]) -> f64 {
    x.iter().zip(fitted).map(|(a, b)| (a - b) * (a - b)).sum()
}

fn ses(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (alpha, h) = (d[1].scalar(), whole(d[2].scalar()));
    no_gaps(x, "exponential smoothing", 2)?;
    let mut level = x[0];
    let mut fitted = Vec::with_capacity(x.len());
    for &v in x {
        fitted.push(level);
        level = alpha * v + (1.0 - alpha) * level;
    }
    let e = sse(x, &fitted);
    Ok(vec![
        Datum::Series(fitted),
        Datum::Series(vec![level; h]),
        Datum::Scalar(e),
    ])
}

fn holt(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    holt_phi(d, 1.0)
}

fn holt_damped(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    holt_phi(d, d[4].scalar())
}

/// Holt's method with the trend damped by φ each step (φ = 1: undamped).
fn holt_phi(d: &[Datum], phi: f64) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (alpha, beta, h) = (d[1].scalar(), d[2].scalar(), whole(d[3].scalar()));
    no_gaps(x, "Holt's method", 3)?;
    let (mut level, mut trend) = (x[0], x[1] - x[0]);
    let mut fitted = Vec::with_capacity(x.len());
    for &v in x {
        fitted.push(level + phi * trend);
        let next = alpha * v + (1.0 - alpha) * (level + phi * trend);
        trend = beta * (next - level) + (1.0 - beta) * phi * trend;
        level = next;
    }
    let e = sse(x, &fitted);
    let mut damp = 0.0;
    let mut pw = 1.0;
    let forecast = (1..=h)
        .map(|_| {
            pw *= phi;
            damp += pw;
            level + damp * trend
        })
        .collect();
    Ok(vec![
        Datum::Series(fitted),
        Datum::Series(forecast),
        Datum::Scalar(e),
    ])
}

fn holt_winters(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    winters(d, false)
}

fn holt_winters_mul(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    winters(d, true)
}

/// Holt–Winters with an additive or multiplicative season.
fn winters(d: &[Datum], mul: bool) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let m = whole(d[1].scalar());
    let (alpha, beta, gamma) = (d[2].scalar(), d[3].scalar(), d[4].scalar());
    let h = whole(d[5].scalar());
    no_gaps(x, "the Holt–Winters method", 2 * m)?;
    if mul && x.iter().any(|&v| v <= 0.0) {
        return Err(Refusal::new(
            "a multiplicative season needs positive values",
            "乘法季节模型要求数值为正",
        ));
    }
    let n = x.len();
    let first = mean(&x[..m]);
    let (mut level, mut trend) = (first, (mean(&x[m..2 * m]) - first) / m as f64);
    // season[t] is the seasonal term used at time t; the update at t is used at t + m.
    let mut season: Vec<f64> = x[..m]
        .iter()
        .map(|v| if mul { v / first } else { v - first })
        .collect();
    season.reserve(n);
    let mut fitted = Vec::with_capacity(n);
    for (t, &v) in x.iter().enumerate() {
        let s = season[t];
        let base = level + trend;
        fitted.push(if mul { base * s } else { base + s });
        let next = if mul {
            alpha * (v / s) + (1.0 - alpha) * base
        } else {
            alpha * (v - s) + (1.0 - alpha) * base
        };
        season.push(if mul {
            gamma * (v / base) + (1.0 - gamma) * s
        } else {
            gamma * (v - base) + (1.0 - gamma) * s
        });
        trend = beta * (next - level) + (1.0 - beta) * trend;
        level = next;
    }
    let e = sse(x, &fitted);
    // ŷ_{n+k} = l_n + k b_n with the latest seasonal term of that season.
    let forecast = (1..=h)
        .map(|k| {
            let base = level + k as f64 * trend;
            let s = season[n + (k - 1) % m];
            if mul { base * s } else { base + s }
        })
        .collect();
    Ok(vec![
        Datum::Series(fitted),
        Datum::Series(forecast),
        Datum::Scalar(e),
    ])
}

fn yule_walker(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    no_gaps(x, "the Yule–Walker estimate", 3)?;
    let p = lags_of(&d[1], x.len())?;
    let g = autocov(x, p);
    if g[0] == 0.0 {
        return Err(Refusal::new(
            "the series does not vary: no autoregressive model can be fitted",
            "序列没有变化：无法拟合自回归模型",
        ));
    }
    let (_, phi, err) = levinson(&g);
    Ok(vec![Datum::Series(phi), Datum::Scalar(err.max(0.0).sqrt())])
}

fn autoreg(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let h = whole(d[2].scalar());
    no_gaps(x, "the autoregressive model", 3)?;
    let p = whole(d[1].scalar());
    let n = x.len();
    if n < 2 * p + 2 {
        return Err(Refusal::new(
            format!("an AR({p}) fit needs at least {} values", 2 * p + 2),
            format!("AR({p}) 拟合至少需要 {} 个值", 2 * p + 2),
        ));
    }
    let mut cols = vec![vec![1.0; n - p]];
    for j in 1..=p {
        cols.push(x[p - j..n - j].to_vec());
    }
    let y = &x[p..];
    let params = lstsq(&cols, y).ok_or_else(|| {
        Refusal::new(
            "the lagged values are collinear: the model cannot be fitted",
            "滞后值共线：无法拟合模型",
        )
    })?;
    let resid: f64 = (0..n - p)
        .map(|i| {
            let f: f64 = cols.iter().zip(&params).map(|(c, b)| c[i] * b).sum();
            (y[i] - f).powi(2)
        })
        .sum();
    let mut hist = x.to_vec();
    for _ in 0..h {
        let k = hist.len();
        let next = params[0] + (1..=p).map(|j| params[j] * hist[k - j]).sum::<f64>();
        hist.push(next);
    }
    Ok(vec![
        Datum::Series(params),
        Datum::Scalar(resid / (n - p) as f64),
        Datum::Series(hist[n..].to_vec()),
    ])
}

const LAGS: Port = Port::new("lags", "Lags", "滞后数", "", 1.0, 10_000.0).default(20.0);
const HORIZON: Port =
    Port::new("horizon", "Steps ahead", "预测步数", "", 0.0, 100_000.0).default(10.0);
const ALPHA: Port =
    Port::new("alpha", "Level smoothing α", "水平平滑系数 α", "", 0.0, 1.0).default(0.3);
const BETA: Port =
    Port::new("beta", "Trend smoothing β", "趋势平滑系数 β", "", 0.0, 1.0).default(0.1);
const FITTED: Port = Port::series("fitted", "One-step-ahead fit", "一步预测拟合值", "");
const FORECAST: Port = Port::series("forecast", "Forecast", "预测值", "");
const SSE: Port = Port::out("sse", "Sum of squared errors", "误差平方和", "");
const BOX: &str = "Box, G. E. P., Jenkins, G. M., Reinsel, G. C., Ljung, G. M., Time Series Analysis: Forecasting and Control, 5th ed., Wiley, 2015";
const FPP: &str = "Hyndman, R. J., Athanasopoulos, G., Forecasting: Principles and Practice, 3rd ed., OTexts, 2021";
const STATSMODELS: &str = "Seabold, S., Perktold, J. (2010), statsmodels: econometric and statistical modeling with Python, Proc. 9th Python in Science Conf.";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "ts.acf",
            Text::new("Autocorrelation function", "自相关函数"),
            Text::new(
                "Correlation of a series with itself shifted by 0 … L steps: reveals periods and memory.",
                "序列与自身平移 0 … L 步后的相关：揭示周期与记忆性。",
            ),
            &[X, LAGS],
            &[Port::series(
                "acf",
                "Autocorrelation r₀ … r_L",
                "自相关 r₀ … r_L",
                "",
            )],
            Text::new(
                "r_k = Σ(xₜ − x̄)(xₜ₊ₖ − x̄)/Σ(xₜ − x̄)² (statsmodels.tsa.stattools.acf, adjusted=False).",
                "r_k = Σ(xₜ − x̄)(xₜ₊ₖ − x̄)/Σ(xₜ − x̄)²（statsmodels.tsa.stattools.acf，adjusted=False）。",
            ),
            &[Reference {
                source: BOX,
                locator: "§2.1.4, Eq. 2.1.12",
            }],
        ),
        eval: Eval::Data(acf),
    },
    Model {
        card: algo(
            "ts.pacf",
            Text::new("Partial autocorrelation function", "偏自相关函数"),
            Text::new(
                "Correlation at each lag with the shorter lags accounted for: the order of an autoregressive model.",
                "扣除较短滞后影响后各滞后的相关：用于确定自回归模型阶数。",
            ),
            &[X, LAGS],
            &[Port::series(
                "pacf",
                "Partial autocorrelation φ₀₀ … φ_LL",
                "偏自相关 φ₀₀ … φ_LL",
                "",
            )],
            Text::new(
                "φ_kk by the Durbin–Levinson recursion on the autocorrelations r_k (statsmodels pacf, method=\"ywm\").",
                "φ_kk 由自相关 r_k 的 Durbin–Levinson 递推求得（statsmodels pacf，method=\"ywm\"）。",
            ),
            &[
                Reference {
                    source: BOX,
                    locator: "§3.2.5, Appendix A3.2",
                },
                Reference {
                    source: "Durbin, J. (1960), The fitting of time-series models, Review of the International Statistical Institute 28(3):233–244",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(pacf),
    },
    Model {
        card: algo(
            "ts.ljung_box",
            Text::new("Ljung–Box test", "Ljung–Box 检验"),
            Text::new(
                "Tests whether a series (e.g. a model's residuals) is white noise up to lag h.",
                "检验序列（如模型残差）在滞后 h 以内是否为白噪声。",
            ),
            &[X, LAGS.default(10.0)],
            &[
                Port::out("q", "Statistic Q", "统计量 Q", ""),
                Port::out("p", "p-value (χ², h d.o.f.)", "p 值（χ²，自由度 h）", ""),
            ],
            Text::new(
                "Q = n(n + 2) Σ_{k=1…h} r_k²/(n − k); p = P(χ²_h > Q) (statsmodels acorr_ljungbox).",
                "Q = n(n + 2) Σ_{k=1…h} r_k²/(n − k)；p = P(χ²_h > Q)（statsmodels acorr_ljungbox）。",
            ),
            &[Reference {
                source: "Ljung, G. M., Box, G. E. P. (1978), On a measure of lack of fit in time series models, Biometrika 65(2):297–303",
                locator: "",
            }],
        ),
        eval: Eval::Data(ljung_box),
    },
    Model {
        card: algo(
            "ts.seasonal_decompose",
            Text::new("Classical seasonal decomposition", "经典季节分解"),
            Text::new(
                "Splits a series into trend (centred moving average), a repeating seasonal pattern and the residual, for daily or weekly load and production cycles.",
                "将序列分解为趋势（中心化滑动平均）、重复的季节模式与残差，用于日、周负荷与产量周期。",
            ),
            &[
                X,
                Port::new("period", "Period", "周期", "", 2.0, 100_000.0).default(24.0),
            ],
            &[
                Port::series("trend", "Trend", "趋势", ""),
                Port::series("seasonal", "Seasonal", "季节项", ""),
                Port::series("resid", "Residual", "残差", ""),
            ],
            Text::new(
                "Trend: centred moving average of m terms (2 × m for even m); seasonal: the mean detrended value of each position in the period, centred to sum 0; residual = x − trend − seasonal (statsmodels seasonal_decompose, additive).",
                "趋势：m 项中心化滑动平均（m 为偶数时 2 × m）；季节项：去趋势值在周期内各位置的均值，中心化使其和为 0；残差 = x − 趋势 − 季节项（statsmodels seasonal_decompose，加法模型）。",
            ),
            &[Reference {
                source: FPP,
                locator: "§3.4, classical decomposition",
            }],
        ),
        eval: Eval::Data(decompose),
    },
    Model {
        card: algo(
            "forecast.ses",
            Text::new("Simple exponential smoothing", "简单指数平滑"),
            Text::new(
                "Level-only exponential smoothing with a given α, its one-step fit and a flat forecast.",
                "给定 α 的仅含水平项的指数平滑、一步预测拟合值与水平预测。",
            ),
            &[X, ALPHA, HORIZON],
            &[FITTED, FORECAST, SSE],
            Text::new(
                "l₀ = x₀; ŷₜ = lₜ₋₁; lₜ = α xₜ + (1 − α) lₜ₋₁; forecast l_n (statsmodels SimpleExpSmoothing, known initial level x₀).",
                "l₀ = x₀；ŷₜ = lₜ₋₁；lₜ = α xₜ + (1 − α) lₜ₋₁；预测 l_n（statsmodels SimpleExpSmoothing，已知初始水平 x₀）。",
            ),
            &[Reference {
                source: FPP,
                locator: "§8.1, simple exponential smoothing",
            }],
        ),
        eval: Eval::Data(ses),
    },
    Model {
        card: algo(
            "forecast.holt",
            Text::new("Holt's linear trend method", "Holt 线性趋势法"),
            Text::new(
                "Exponential smoothing of level and trend with given α and β, for drifting values such as wear or fouling.",
                "给定 α、β 对水平与趋势做指数平滑，适用于磨损、结垢等漂移量。",
            ),
            &[X, ALPHA, BETA, HORIZON],
            &[FITTED, FORECAST, SSE],
            Text::new(
                "l₀ = x₀, b₀ = x₁ − x₀; ŷₜ = lₜ₋₁ + bₜ₋₁; lₜ = α xₜ + (1 − α)(lₜ₋₁ + bₜ₋₁); bₜ = β(lₜ − lₜ₋₁) + (1 − β) bₜ₋₁; forecast l_n + k b_n (statsmodels Holt, known initial values).",
                "l₀ = x₀，b₀ = x₁ − x₀；ŷₜ = lₜ₋₁ + bₜ₋₁；lₜ = α xₜ + (1 − α)(lₜ₋₁ + bₜ₋₁)；bₜ = β(lₜ − lₜ₋₁) + (1 − β) bₜ₋₁；预测 l_n + k b_n（statsmodels Holt，已知初值）。",
            ),
            &[Reference {
                source: FPP,
                locator: "§8.2, methods with trend",
            }],
        ),
        eval: Eval::Data(holt),
    },
    Model {
        card: algo(
            "forecast.holt_winters",
            Text::new("Holt–Winters additive method", "Holt–Winters 加法模型"),
            Text::new(
                "Exponential smoothing of level, trend and an additive season of period m with given α, β, γ.",
                "给定 α、β、γ 对水平、趋势与周期为 m 的加法季节项做指数平滑。",
            ),
            &[
                X,
                Port::new("period", "Season length m", "季节长度 m", "", 2.0, 10_000.0)
                    .default(24.0),
                ALPHA,
                BETA,
                Port::new(
                    "gamma",
                    "Season smoothing γ",
                    "季节平滑系数 γ",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.1),
                HORIZON,
            ],
            &[FITTED, FORECAST, SSE],
            Text::new(
                "l₀ = mean of the first season, b₀ = (mean of the second − mean of the first)/m, s_i = x_i − l₀; ŷₜ = lₜ₋₁ + bₜ₋₁ + sₜ₋ₘ; lₜ = α(xₜ − sₜ₋ₘ) + (1 − α)(lₜ₋₁ + bₜ₋₁); bₜ = β(lₜ − lₜ₋₁) + (1 − β)bₜ₋₁; sₜ = γ(xₜ − lₜ₋₁ − bₜ₋₁) + (1 − γ)sₜ₋ₘ; forecast l_n + k b_n + the latest s of that season.",
                "l₀ = 第一个季节的均值，b₀ = (第二个季节均值 − 第一个季节均值)/m，s_i = x_i − l₀；ŷₜ = lₜ₋₁ + bₜ₋₁ + sₜ₋ₘ；lₜ = α(xₜ − sₜ₋ₘ) + (1 − α)(lₜ₋₁ + bₜ₋₁)；bₜ = β(lₜ − lₜ₋₁) + (1 − β)bₜ₋₁；sₜ = γ(xₜ − lₜ₋₁ − bₜ₋₁) + (1 − γ)sₜ₋ₘ；预测 l_n + k b_n + 该季节最新的 s。",
            ),
            &[
                Reference {
                    source: FPP,
                    locator: "§8.3, Holt–Winters' additive method",
                },
                Reference {
                    source: STATSMODELS,
                    locator: "ExponentialSmoothing(trend=\"add\", seasonal=\"add\"), fitted values; its forecast k = m, 2m … uses the season before the latest",
                },
            ],
        ),
        eval: Eval::Data(holt_winters),
    },
    Model {
        card: algo(
            "forecast.holt_damped",
            Text::new("Holt's damped trend method", "Holt 阻尼趋势法"),
            Text::new(
                "Holt's method with the trend fading by φ each step, for forecasts that should level off.",
                "趋势每步按 φ 衰减的 Holt 方法，用于应逐渐趋平的预测。",
            ),
            &[
                X,
                ALPHA,
                BETA,
                HORIZON,
                Port::new("phi", "Damping φ", "阻尼系数 φ", "", 0.0, 1.0).default(0.98),
            ],
            &[FITTED, FORECAST, SSE],
            Text::new(
                "ŷₜ = lₜ₋₁ + φbₜ₋₁; lₜ = α xₜ + (1 − α)(lₜ₋₁ + φbₜ₋₁); bₜ = β(lₜ − lₜ₋₁) + (1 − β)φbₜ₋₁; forecast l_n + (φ + … + φᵏ) b_n; l₀ = x₀, b₀ = x₁ − x₀ (statsmodels Holt(damped_trend=True), known initial values).",
                "ŷₜ = lₜ₋₁ + φbₜ₋₁；lₜ = α xₜ + (1 − α)(lₜ₋₁ + φbₜ₋₁)；bₜ = β(lₜ − lₜ₋₁) + (1 − β)φbₜ₋₁；预测 l_n + (φ + … + φᵏ) b_n；l₀ = x₀，b₀ = x₁ − x₀（statsmodels Holt(damped_trend=True)，已知初值）。",
            ),
            &[
                Reference {
                    source: FPP,
                    locator: "§8.2, damped trend methods",
                },
                Reference {
                    source: "Gardner, E. S., McKenzie, E. (1985), Forecasting trends in time series, Management Science 31(10):1237–1246",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(holt_damped),
    },
    Model {
        card: algo(
            "forecast.holt_winters_multiplicative",
            Text::new(
                "Holt–Winters multiplicative method",
                "Holt–Winters 乘法模型",
            ),
            Text::new(
                "Exponential smoothing of level, trend and a season that scales with the level (period m), with given α, β, γ.",
                "给定 α、β、γ 对水平、趋势与随水平成比例的季节项（周期 m）做指数平滑。",
            ),
            &[
                X,
                Port::new("period", "Season length m", "季节长度 m", "", 2.0, 10_000.0)
                    .default(24.0),
                ALPHA,
                BETA,
                Port::new(
                    "gamma",
                    "Season smoothing γ",
                    "季节平滑系数 γ",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.1),
                HORIZON,
            ],
            &[FITTED, FORECAST, SSE],
            Text::new(
                "As the additive method with sᵢ = xᵢ/l₀, ŷₜ = (lₜ₋₁ + bₜ₋₁)sₜ₋ₘ, lₜ = α xₜ/sₜ₋ₘ + (1 − α)(lₜ₋₁ + bₜ₋₁), sₜ = γ xₜ/(lₜ₋₁ + bₜ₋₁) + (1 − γ)sₜ₋ₘ (statsmodels ExponentialSmoothing(trend=\"add\", seasonal=\"mul\"), fitted values and the first m − 1 forecasts).",
                "同加法模型，但 sᵢ = xᵢ/l₀，ŷₜ = (lₜ₋₁ + bₜ₋₁)sₜ₋ₘ，lₜ = α xₜ/sₜ₋ₘ + (1 − α)(lₜ₋₁ + bₜ₋₁)，sₜ = γ xₜ/(lₜ₋₁ + bₜ₋₁) + (1 − γ)sₜ₋ₘ（statsmodels ExponentialSmoothing(trend=\"add\", seasonal=\"mul\")，拟合值与前 m − 1 步预测）。",
            ),
            &[Reference {
                source: FPP,
                locator: "§8.3, Holt–Winters' multiplicative method",
            }],
        ),
        eval: Eval::Data(holt_winters_mul),
    },
    Model {
        card: algo(
            "forecast.ar_yule_walker",
            Text::new(
                "Autoregressive model (Yule–Walker)",
                "自回归模型（Yule–Walker）",
            ),
            Text::new(
                "AR(p) coefficients and innovation standard deviation from the sample autocovariances.",
                "由样本自协方差求 AR(p) 系数与新息标准差。",
            ),
            &[X, LAGS.default(2.0)],
            &[
                Port::series("phi", "Coefficients φ₁ … φ_p", "系数 φ₁ … φ_p", ""),
                Port::out("sigma", "Innovation standard deviation", "新息标准差", ""),
            ],
            Text::new(
                "Solve Σ_j φ_j γ_{|k−j|} = γ_k, k = 1 … p (γ divided by n, demeaned) by Levinson–Durbin; σ² = γ₀ − Σ φ_k γ_k (statsmodels yule_walker, method=\"mle\").",
                "由 Levinson–Durbin 解 Σ_j φ_j γ_{|k−j|} = γ_k，k = 1 … p（γ 除以 n，已去均值）；σ² = γ₀ − Σ φ_k γ_k（statsmodels yule_walker，method=\"mle\"）。",
            ),
            &[Reference {
                source: BOX,
                locator: "§3.2.2, Yule–Walker equations",
            }],
        ),
        eval: Eval::Data(yule_walker),
    },
    Model {
        card: algo(
            "forecast.autoreg",
            Text::new(
                "Autoregressive model (least squares) and forecast",
                "自回归模型（最小二乘）与预测",
            ),
            Text::new(
                "AR(p) with a constant fitted by conditional least squares, and its forecast.",
                "以条件最小二乘拟合带常数项的 AR(p) 并预测。",
            ),
            &[X, LAGS.default(2.0), HORIZON],
            &[
                Port::series("params", "Constant c, φ₁ … φ_p", "常数 c、φ₁ … φ_p", ""),
                Port::out(
                    "sigma2",
                    "Residual variance (over n − p)",
                    "残差方差（除以 n − p）",
                    "",
                ),
                FORECAST,
            ],
            Text::new(
                "xₜ = c + Σ φ_j xₜ₋ⱼ + εₜ for t = p … n − 1 by least squares (QR); forecasts by the recursion (statsmodels AutoReg, trend=\"c\").",
                "对 t = p … n − 1 以最小二乘（QR）拟合 xₜ = c + Σ φ_j xₜ₋ⱼ + εₜ；按递推预测（statsmodels AutoReg，trend=\"c\"）。",
            ),
            &[
                Reference {
                    source: BOX,
                    locator: "§7.1, conditional least squares",
                },
                Reference {
                    source: STATSMODELS,
                    locator: "statsmodels.tsa.ar_model.AutoReg",
                },
            ],
        ),
        eval: Eval::Data(autoreg),
    },
];
