//! ARIMA(p, d, q): differences, then the Hannan–Rissanen estimate of the ARMA(p, q)
//! coefficients (a long autoregression by Yule–Walker for the innovations, then least
//! squares on past values and past innovations), then forecasts by the ARMA recursion
//! and the sums that undo the differences. Estimation follows statsmodels'
//! `hannan_rissanen(…, demean=True, unbiased=False)`, which the test run compares it with;
//! the forecasts are checked against statsmodels' state-space ARIMA with those
//! coefficients.

use crate::algorithms::{X, algo, mean};
use crate::numeric::{lstsq, no_gaps, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// Biased autocovariances γ₀ … γ_m of a series (demeaned again, as statsmodels'
/// `yule_walker` does) and the Yule–Walker AR(m) coefficients.
fn yule_walker(x: &[f64], m: usize) -> Option<Vec<f64>> {
    let mu = mean(x);
    let c: Vec<f64> = x.iter().map(|v| v - mu).collect();
    let n = c.len();
    let r: Vec<f64> = (0..=m)
        .map(|k| {
            c[..n - k]
                .iter()
                .zip(&c[k..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / n as f64
        })
        .collect();
    let rows: Vec<Vec<f64>> = (0..m)
        .map(|i| (0..m).map(|j| r[i.abs_diff(j)]).collect())
        .collect();
    crate::numeric::solve(rows, r[1..].to_vec())
}

/// Column `lag` (1-based) of the lags of `x` for the rows `from..x.len()`.
fn lagged(x: &[f64], lag: usize, from: usize) -> Vec<f64> {
    (from..x.len()).map(|t| x[t - lag]).collect()
}

/// Least squares of `y` on `cols`: coefficients and the residual variance (SSR / (n − k)).
fn ols(cols: &[Vec<f64>], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    let beta = lstsq(cols, y)?;
    let ssr: f64 = (0..y.len())
        .map(|t| {
            let fit: f64 = cols.iter().zip(&beta).map(|(c, b)| c[t] * b).sum();
            (y[t] - fit).powi(2)
        })
        .sum();
    Some((beta, ssr / (y.len() - cols.len()) as f64))
}

fn difference(x: &[f64]) -> Vec<f64> {
    x.windows(2).map(|w| w[1] - w[0]).collect()
}

fn singular() -> Refusal {
    Refusal::new(
        "the regression is singular for these data: try lower orders",
        "此数据下回归矩阵奇异：请降低阶数",
    )
}

fn arima(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (p, dd, q, h) = (
        whole(d[1].scalar()),
        whole(d[2].scalar()),
        whole(d[3].scalar()),
        whole(d[4].scalar()),
    );
    no_gaps(x, "ARIMA", 10)?;
    let mut w = x.to_vec();
    for _ in 0..dd {
        w = difference(&w);
    }
    let mu = mean(&w);
    let w: Vec<f64> = w.iter().map(|v| v - mu).collect();
    let n = w.len();
    let long = ((n as f64).ln().powi(2).floor() as usize).max(2 * p.max(q));
    let need = if q == 0 { 2 * p + 2 } else { long + q + p + 2 };
    if n < need.max(10) {
        return Err(Refusal::new(
            format!(
                "ARIMA({p},{dd},{q}) needs at least {} values after differencing",
                need.max(10)
            ),
            format!("ARIMA({p},{dd},{q}) 差分后至少需要 {} 个值", need.max(10)),
        ));
    }
    let (ar, ma, sigma2) = if p == 0 && q == 0 {
        (
            vec![],
            vec![],
            w.iter().map(|v| v * v).sum::<f64>() / n as f64,
        )
    } else if q == 0 {
        let cols: Vec<Vec<f64>> = (1..=p).map(|l| lagged(&w, l, p)).collect();
        let (beta, s2) = ols(&cols, &w[p..]).ok_or_else(singular)?;
        (beta, vec![], s2)
    } else {
        // Innovations from a long autoregression …
        let phi = yule_walker(&w, long).ok_or_else(singular)?;
        let resid: Vec<f64> = (long..n)
            .map(|t| w[t] - (1..=long).map(|l| phi[l - 1] * w[t - l]).sum::<f64>())
            .collect();
        // … then y_t on y_{t−1…t−p} and e_{t−1…t−q}, from t = long + q.
        let start = long + q;
        let mut cols: Vec<Vec<f64>> = (1..=p).map(|l| lagged(&w, l, start)).collect();
        for l in 1..=q {
            cols.push((start..n).map(|t| resid[t - long - l]).collect());
        }
        let (beta, s2) = ols(&cols, &w[start..]).ok_or_else(singular)?;
        (beta[..p].to_vec(), beta[p..].to_vec(), s2)
    };
    // Innovations of the fitted model through the data (zero before the first), then the
    // forecasts with future innovations zero.
    let mut e = vec![0.0; n];
    for t in 0..n {
        let fit: f64 = (1..=p.min(t)).map(|i| ar[i - 1] * w[t - i]).sum::<f64>()
            + (1..=q.min(t)).map(|j| ma[j - 1] * e[t - j]).sum::<f64>();
        e[t] = w[t] - fit;
    }
    let mut path = w.clone();
    for k in 0..h {
        let t = n + k;
        let f: f64 = (1..=p).map(|i| ar[i - 1] * path[t - i]).sum::<f64>()
            + (1..=q)
                .filter(|j| t - j < n)
                .map(|j| ma[j - 1] * e[t - j])
                .sum::<f64>();
        path.push(f);
    }
    let mut forecast: Vec<f64> = path[n..].iter().map(|v| v + mu).collect();
    // Undo the differences: each level's last value carries the forecast up.
    for level in (0..dd).rev() {
        let mut base = x.to_vec();
        for _ in 0..level {
            base = difference(&base);
        }
        let mut last = *base.last().unwrap_or(&0.0);
        for f in forecast.iter_mut() {
            last += *f;
            *f = last;
        }
    }
    Ok(vec![
        Datum::Series(ar),
        Datum::Series(ma),
        Datum::Scalar(sigma2),
        Datum::Scalar(mu),
        Datum::Series(forecast),
    ])
}

pub(crate) const MODELS: &[Model] = &[Model {
    card: algo(
        "forecast.arima",
        Text::new(
            "ARIMA forecast (Hannan–Rissanen)",
            "ARIMA 预测（Hannan–Rissanen 估计）",
        ),
        Text::new(
            "Fits an ARIMA(p, d, q) model by the Hannan–Rissanen regressions and forecasts it: demand, energy use, slowly drifting process values.",
            "以 Hannan–Rissanen 回归拟合 ARIMA(p, d, q) 模型并预测：需求、能耗、缓慢漂移的过程值。",
        ),
        &[
            X,
            Port::new("p", "AR order p", "自回归阶数 p", "", 0.0, 10.0).default(1.0),
            Port::new("d", "Differences d", "差分阶数 d", "", 0.0, 2.0).default(0.0),
            Port::new("q", "MA order q", "滑动平均阶数 q", "", 0.0, 5.0).default(1.0),
            Port::new("horizon", "Steps ahead", "预测步数", "", 0.0, 10_000.0).default(10.0),
        ],
        &[
            Port::series("ar", "AR coefficients φ₁ … φ_p", "自回归系数 φ₁ … φ_p", ""),
            Port::series(
                "ma",
                "MA coefficients θ₁ … θ_q",
                "滑动平均系数 θ₁ … θ_q",
                "",
            ),
            Port::out("sigma2", "Innovation variance", "新息方差", ""),
            Port::out(
                "mean",
                "Mean of the differenced series",
                "差分后序列的均值",
                "",
            ),
            Port::series("forecast", "Forecast", "预测值", ""),
        ],
        Text::new(
            "w = Δᵈx − mean; m = max(⌊ln² n⌋, 2 max(p, q)); ê from the Yule–Walker AR(m) of w; (φ, θ) = least squares of w_t on w_{t−1…t−p}, ê_{t−1…t−q}; σ² = SSR/(n − p − q); forecasts ŵ_{n+k} = Σφᵢŵ_{n+k−i} + Σθⱼe_{n+k−j} (future e = 0), plus the mean, summed d times.",
            "w = Δᵈx − 均值；m = max(⌊ln² n⌋, 2 max(p, q))；由 w 的 Yule–Walker AR(m) 得 ê；(φ, θ) 为 w_t 对 w_{t−1…t−p} 与 ê_{t−1…t−q} 的最小二乘解；σ² = SSR/(n − p − q)；预测 ŵ_{n+k} = Σφᵢŵ_{n+k−i} + Σθⱼe_{n+k−j}（未来 e = 0），加均值后累加 d 次。",
        ),
        &[
            Reference {
                source: "Brockwell, P. J., Davis, R. A., Introduction to Time Series and Forecasting, 3rd ed., Springer, 2016",
                locator: "§5.1.4, the Hannan–Rissanen algorithm (steps 1–2); §6.4, forecasting ARIMA processes",
            },
            Reference {
                source: "statsmodels 0.15, statsmodels.tsa.arima.estimators.hannan_rissanen",
                locator: "demean=True, unbiased=False; initial AR order max(⌊ln² n⌋, 2 max(p, q)) after Gómez & Maravall (2001)",
            },
        ],
    ),
    eval: Eval::Data(arima),
}];
