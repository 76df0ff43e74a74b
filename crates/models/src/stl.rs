//! Seasonal-trend decomposition by LOESS (STL), a port of Cleveland et al.'s algorithm as
//! statsmodels runs it (its defaults: degree 1 everywhere, jumps of 1, five inner passes,
//! or two inner and fifteen robustness passes), so the test run can compare the trend,
//! season and residual on the same data.

use crate::algorithms::{X, algo};
use crate::numeric::{no_gaps, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// The LOESS estimate at position `xs` (1-based) from y[nleft − 1 .. nright], degree 0
/// or 1, tricube weights (times the robustness weights when given); `None` when every
/// weight is zero. `w` is scratch space as long as `y`.
#[allow(clippy::too_many_arguments)] // the parameters of the Fortran routine it ports
fn est(
    y: &[f64],
    len: usize,
    deg: usize,
    xs: f64,
    nleft: usize,
    nright: usize,
    w: &mut [f64],
    rw: Option<&[f64]>,
) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - nleft as f64).max(nright as f64 - xs);
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let (h9, h1) = (0.999 * h, 0.001 * h);
    let mut a = 0.0;
    for j in nleft - 1..nright {
        w[j] = 0.0;
        let r = (j as f64 + 1.0 - xs).abs();
        if r <= h9 {
            w[j] = if r <= h1 {
                1.0
            } else {
                let q = r / h;
                let c = 1.0 - q * q * q;
                c * c * c
            };
            if let Some(rw) = rw {
                w[j] *= rw[j];
            }
            a += w[j];
        }
    }
    if a <= 0.0 {
        return None;
    }
    for v in &mut w[nleft - 1..nright] {
        *v /= a;
    }
    if h > 0.0 && deg > 0 {
        let a: f64 = (nleft - 1..nright).map(|j| w[j] * (j as f64 + 1.0)).sum();
        let mut b = xs - a;
        let c: f64 = (nleft - 1..nright)
            .map(|j| w[j] * (j as f64 + 1.0 - a) * (j as f64 + 1.0 - a))
            .sum();
        if c.sqrt() > 0.001 * range {
            b /= c;
            for (j, v) in w.iter_mut().enumerate().take(nright).skip(nleft - 1) {
                *v *= b * (j as f64 + 1.0 - a) + 1.0;
            }
        }
    }
    Some((nleft - 1..nright).map(|j| w[j] * y[j]).sum())
}

/// LOESS smoothing of the whole of `y` with a window of `len` points (jump 1).
fn ess(y: &[f64], len: usize, deg: usize, rw: Option<&[f64]>, out: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    if n < 2 {
        out[0] = y[0];
        return;
    }
    if len >= n {
        for i in 0..n {
            out[i] = est(y, len, deg, i as f64 + 1.0, 1, n, w, rw).unwrap_or(y[i]);
        }
        return;
    }
    let nsh = (len + 2) / 2;
    let (mut nleft, mut nright) = (1, len);
    for i in 0..n {
        if i + 1 > nsh && nright != n {
            nleft += 1;
            nright += 1;
        }
        out[i] = est(y, len, deg, i as f64 + 1.0, nleft, nright, w, rw).unwrap_or(y[i]);
    }
}

/// Moving average of `len` values: `x.len() − len + 1` values.
fn moving_average(x: &[f64], len: usize) -> Vec<f64> {
    let mut v: f64 = x[..len].iter().sum();
    let mut out = Vec::with_capacity(x.len() - len + 1);
    out.push(v / len as f64);
    for j in len..x.len() {
        v += x[j] - x[j - len];
        out.push(v / len as f64);
    }
    out
}

struct Stl {
    period: usize,
    seasonal: usize,
    trend: usize,
    low_pass: usize,
}

impl Stl {
    /// One pass of the inner loop: the season from cycle-subseries smoothing less its
    /// low-pass trend, then the trend of the deseasonalised series.
    fn inner(&self, y: &[f64], trend: &mut [f64], season: &mut [f64], rw: Option<&[f64]>) {
        let n = y.len();
        let np = self.period;
        let detrended: Vec<f64> = y.iter().zip(trend.iter()).map(|(a, b)| a - b).collect();
        // Cycle-subseries smoothing, extended one period at each end.
        let mut cycle = vec![0.0; n + 2 * np];
        let mut w = vec![0.0; n + 2 * np];
        for j in 0..np {
            let k = (n - (j + 1)) / np + 1;
            let sub: Vec<f64> = (0..k).map(|i| detrended[i * np + j]).collect();
            let sub_rw: Option<Vec<f64>> = rw.map(|r| (0..k).map(|i| r[i * np + j]).collect());
            let srw = sub_rw.as_deref();
            let mut smooth = vec![0.0; k + 2];
            ess(&sub, self.seasonal, 1, srw, &mut smooth[1..=k], &mut w);
            let nright = self.seasonal.min(k);
            smooth[0] =
                est(&sub, self.seasonal, 1, 0.0, 1, nright, &mut w, srw).unwrap_or(smooth[1]);
            let nleft = (k + 1).saturating_sub(self.seasonal).max(1);
            smooth[k + 1] = est(
                &sub,
                self.seasonal,
                1,
                k as f64 + 1.0,
                nleft,
                k,
                &mut w,
                srw,
            )
            .unwrap_or(smooth[k]);
            for (m, v) in smooth.iter().enumerate() {
                cycle[m * np + j] = *v;
            }
        }
        // Low-pass filter: moving averages of np, np and 3, then LOESS.
        let a = moving_average(&cycle, np);
        let b = moving_average(&a, np);
        let c = moving_average(&b, 3);
        let mut low = vec![0.0; n];
        ess(&c, self.low_pass, 1, None, &mut low, &mut w);
        for i in 0..n {
            season[i] = cycle[np + i] - low[i];
        }
        let deseason: Vec<f64> = y.iter().zip(season.iter()).map(|(a, b)| a - b).collect();
        ess(&deseason, self.trend, 1, rw, trend, &mut w);
    }
}

/// Bisquare robustness weights of the residuals over six median absolute residuals.
fn robustness(y: &[f64], fit: &[f64]) -> Vec<f64> {
    let r: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mut s = r.clone();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let cmad = 3.0 * (s[n / 2] + s[n - n / 2 - 1]);
    if cmad == 0.0 {
        return vec![1.0; n];
    }
    r.iter()
        .map(|&v| {
            if v <= 0.001 * cmad {
                1.0
            } else if v <= 0.999 * cmad {
                let q = v / cmad;
                (1.0 - q * q) * (1.0 - q * q)
            } else {
                0.0
            }
        })
        .collect()
}

/// Trend, season and robustness weights of `y` by STL with statsmodels' defaults.
fn fit(y: &[f64], period: usize, seasonal: usize, robust: bool) -> Result<[Vec<f64>; 3], Refusal> {
    no_gaps(y, "STL", 2 * period)?;
    if seasonal < 3 || seasonal.is_multiple_of(2) {
        return Err(Refusal::new(
            "the seasonal smoother's length must be odd and at least 3",
            "季节平滑窗口长度须为奇数且至少为 3",
        ));
    }
    // statsmodels' defaults: the next odd numbers above 1.5 p/(1 − 1.5/s) and above p.
    let mut trend = (1.5 * period as f64 / (1.0 - 1.5 / seasonal as f64)).ceil() as usize;
    trend += usize::from(trend.is_multiple_of(2));
    let mut low_pass = period + 1;
    low_pass += usize::from(low_pass.is_multiple_of(2));
    let s = Stl {
        period,
        seasonal,
        trend,
        low_pass,
    };
    let (inner, outer) = if robust { (2, 15) } else { (5, 0) };
    let n = y.len();
    let mut tr = vec![0.0; n];
    let mut se = vec![0.0; n];
    let mut rw: Option<Vec<f64>> = None;
    for pass in 0..=outer {
        for _ in 0..inner {
            s.inner(y, &mut tr, &mut se, rw.as_deref());
        }
        if pass < outer {
            let fit: Vec<f64> = tr.iter().zip(&se).map(|(a, b)| a + b).collect();
            rw = Some(robustness(y, &fit));
        }
    }
    Ok([tr, se, rw.unwrap_or_else(|| vec![1.0; n])])
}

fn stl(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let y = d[0].series();
    let (period, seasonal, robust) = (
        whole(d[1].scalar()),
        whole(d[2].scalar()),
        d[3].scalar() == 1.0,
    );
    let [tr, se, rw] = fit(y, period, seasonal, robust)?;
    let resid = (0..y.len()).map(|i| y[i] - tr[i] - se[i]).collect();
    Ok(vec![
        Datum::Series(tr),
        Datum::Series(se),
        Datum::Series(resid),
        Datum::Series(rw),
    ])
}

fn mstl(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let y = d[0].series();
    let (mut p1, mut p2) = (whole(d[1].scalar()), whole(d[2].scalar()));
    if p1 > p2 {
        std::mem::swap(&mut p1, &mut p2);
    }
    if p1 == p2 || 2 * p2 >= y.len() {
        return Err(Refusal::new(
            "two different periods are needed, each shorter than half the series",
            "需要两个不同的周期，且都短于序列长度的一半",
        ));
    }
    // statsmodels' MSTL: windows 11 and 15, shortest period first, two rounds, each
    // season re-estimated from the series with the other removed.
    let periods = [(p1, 11), (p2, 15)];
    let n = y.len();
    let mut seasons = [vec![0.0; n], vec![0.0; n]];
    let mut deseason = y.to_vec();
    let mut trend = vec![0.0; n];
    for _ in 0..2 {
        for (i, &(p, w)) in periods.iter().enumerate() {
            for (v, s) in deseason.iter_mut().zip(&seasons[i]) {
                *v += s;
            }
            let [tr, se, _] = fit(&deseason, p, w, false)?;
            for (v, s) in deseason.iter_mut().zip(&se) {
                *v -= s;
            }
            seasons[i] = se;
            trend = tr;
        }
    }
    let resid = deseason.iter().zip(&trend).map(|(a, b)| a - b).collect();
    let [s1, s2] = seasons;
    Ok(vec![
        Datum::Series(trend),
        Datum::Series(s1),
        Datum::Series(s2),
        Datum::Series(resid),
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "ts.stl",
            Text::new(
                "STL decomposition (seasonal-trend by LOESS)",
                "STL 分解（基于 LOESS 的季节-趋势分解）",
            ),
            Text::new(
                "Splits a series into a trend, a season that may change slowly and a residual by local regressions; the robust variant keeps outliers out of trend and season.",
                "以局部回归将序列分解为趋势、可缓慢变化的季节项与残差；稳健模式使异常值不影响趋势与季节项。",
            ),
            &[
                X,
                Port::new("period", "Period", "周期", "", 2.0, 100_000.0).default(24.0),
                Port::new(
                    "window",
                    "Seasonal smoother length (odd)",
                    "季节平滑窗口（奇数）",
                    "",
                    3.0,
                    100_001.0,
                )
                .default(7.0),
                Port::choice("robust", "Robust", "稳健", &["no", "yes"]).default(0.0),
            ],
            &[
                Port::series("trend", "Trend", "趋势", ""),
                Port::series("seasonal", "Seasonal", "季节项", ""),
                Port::series("resid", "Residual", "残差", ""),
                Port::series("weights", "Robustness weights", "稳健权重", ""),
            ],
            Text::new(
                "Inner loop: LOESS of each cycle-subseries of the detrended series (window s), low-pass filtered (moving averages p, p, 3 and LOESS over the next odd number above p) and subtracted; LOESS of the deseasonalised series for the trend (window the next odd number above 1.5p/(1 − 1.5/s)); all of degree 1. Five inner passes, or two inner passes in each of sixteen with bisquare robustness weights (statsmodels.tsa.seasonal.STL).",
                "内循环：对去趋势序列的各周期子序列做 LOESS（窗口 s），经低通滤波（p、p、3 项滑动平均后再以大于 p 的下一个奇数为窗口做 LOESS）后相减得季节项；对去季节序列做 LOESS 得趋势（窗口为大于 1.5p/(1 − 1.5/s) 的下一个奇数）；均为一次局部回归。非稳健时内循环 5 次，稳健时 16 轮外循环各含 2 次内循环并使用双平方稳健权重（statsmodels.tsa.seasonal.STL）。",
            ),
            &[Reference {
                source: "Cleveland, R. B., Cleveland, W. S., McRae, J. E., Terpenning, I. (1990), STL: a seasonal-trend decomposition procedure based on loess, J. Official Statistics 6(1):3–73",
                locator: "§2–3",
            }],
        ),
        eval: Eval::Data(stl),
    },
    Model {
        card: algo(
            "ts.mstl",
            Text::new("MSTL decomposition (two seasons)", "MSTL 分解（双季节）"),
            Text::new(
                "Splits a series with two seasonal cycles (e.g. daily and weekly load) into trend, each season and a residual by repeated STL.",
                "以反复的 STL 将含两个季节周期（如日与周负荷）的序列分解为趋势、各季节项与残差。",
            ),
            &[
                X,
                Port::new("period_1", "First period", "第一周期", "", 2.0, 100_000.0).default(24.0),
                Port::new("period_2", "Second period", "第二周期", "", 2.0, 100_000.0)
                    .default(168.0),
            ],
            &[
                Port::series("trend", "Trend", "趋势", ""),
                Port::series(
                    "seasonal_short",
                    "Season of the shorter period",
                    "较短周期的季节项",
                    "",
                ),
                Port::series(
                    "seasonal_long",
                    "Season of the longer period",
                    "较长周期的季节项",
                    "",
                ),
                Port::series("resid", "Residual", "残差", ""),
            ],
            Text::new(
                "Two rounds over the periods, shortest first: add back that period's season, STL (as ts.stl, windows 11 and 15), take its season out; the trend of the last STL; residual = what is left less the trend (statsmodels.tsa.seasonal.MSTL defaults).",
                "对各周期（从短到长）迭代两轮：加回该周期季节项，做 STL（同 ts.stl，窗口 11 与 15），再减去其季节项；趋势取最后一次 STL 的趋势；残差 = 剩余部分减趋势（statsmodels.tsa.seasonal.MSTL 默认）。",
            ),
            &[Reference {
                source: "Bandara, K., Hyndman, R. J., Bergmeir, C. (2021), MSTL: a seasonal-trend decomposition algorithm for time series with multiple seasonal patterns, arXiv:2107.13462",
                locator: "Algorithm 1",
            }],
        ),
        eval: Eval::Data(mstl),
    },
];
