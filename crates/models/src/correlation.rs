//! Association, matching and trend between series: Kendall's τ-b, the normalised
//! cross-correlation over lags, dynamic time warping, Granger causality and the
//! Mann–Kendall trend test with Sen's slope, with the conventions of scipy, numpy,
//! dtaidistance, statsmodels and pymannkendall (named on each card).

use crate::algorithms::{X, algo, mean, pairs, too_few};
use crate::numeric::{f_sf, lstsq, no_gaps, whole};
use crate::stats::{normal_quantile, normal_sf};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// Pairs of equal values in sorted runs: Σ t(t − 1)/2 over runs of length t.
fn tied_pairs<T: PartialEq>(sorted: impl Iterator<Item = T>) -> u64 {
    let mut total = 0u64;
    let mut run = 0u64;
    let mut last: Option<T> = None;
    for v in sorted {
        if last.as_ref() == Some(&v) {
            run += 1;
        } else {
            total += run * (run + 1) / 2;
            run = 0;
        }
        last = Some(v);
    }
    total + run * (run + 1) / 2
}

/// Sorts `v` by merge sort, counting the swaps (discordant pairs) it takes.
fn merge_count(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = merge_count(&mut v[..mid], &mut buf[..mid]);
    swaps += merge_count(&mut v[mid..], &mut buf[mid..]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j] < v[i] {
            buf[k] = v[j];
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            buf[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    buf[k..k + mid - i].copy_from_slice(&v[i..mid]);
    let k = k + mid - i;
    buf[k..k + n - j].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buf[..n]);
    swaps
}

fn kendall(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "Kendall's tau", 2)?;
    // −0 and +0 are one value: adding +0 makes every zero positive before the bitwise
    // comparisons below.
    let x: Vec<f64> = x.iter().map(|v| v + 0.0).collect();
    let y: Vec<f64> = y.iter().map(|v| v + 0.0).collect();
    let n = x.len();
    // Knight's O(n log n) algorithm: sort by (x, y), count ties, then count the
    // inversions of y by merge sort.
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(y[a].total_cmp(&y[b])));
    let n0 = (n * (n - 1) / 2) as u64;
    let t_x = tied_pairs(idx.iter().map(|&i| x[i].to_bits()));
    let t_xy = tied_pairs(idx.iter().map(|&i| (x[i].to_bits(), y[i].to_bits())));
    let mut ys: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
    let mut buf = vec![0.0; n];
    let swaps = merge_count(&mut ys, &mut buf);
    let t_y = tied_pairs(ys.iter().map(|v| v.to_bits()));
    let denom = ((n0 - t_x) as f64 * (n0 - t_y) as f64).sqrt();
    if denom == 0.0 {
        return Err(Refusal::new(
            "one of the series is constant: Kendall's tau is undefined",
            "其中一个序列为常数：Kendall τ 无定义",
        ));
    }
    let con_minus_dis = n0 as f64 - t_x as f64 - t_y as f64 + t_xy as f64 - 2.0 * swaps as f64;
    Ok(vec![
        Datum::Scalar(con_minus_dis / denom),
        Datum::Scalar(n as f64),
    ])
}

fn cross_correlation(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = (d[0].series(), d[1].series());
    no_gaps(x, "cross-correlation", 2)?;
    no_gaps(y, "cross-correlation", 2)?;
    if x.len() != y.len() {
        return Err(Refusal::new(
            "the two series must be as long as each other",
            "两个序列长度必须相同",
        ));
    }
    let n = x.len();
    let max_lag = whole(d[2].scalar()).min(n - 1) as isize;
    let (mx, my) = (mean(x), mean(y));
    let xc: Vec<f64> = x.iter().map(|v| v - mx).collect();
    let yc: Vec<f64> = y.iter().map(|v| v - my).collect();
    let norm =
        (xc.iter().map(|v| v * v).sum::<f64>() * yc.iter().map(|v| v * v).sum::<f64>()).sqrt();
    if norm == 0.0 {
        return Err(Refusal::new(
            "one of the series is constant: its correlation is undefined",
            "其中一个序列为常数：相关无定义",
        ));
    }
    let mut lags = Vec::with_capacity(2 * max_lag as usize + 1);
    let mut r = Vec::with_capacity(lags.capacity());
    for lag in -max_lag..=max_lag {
        // r(lag) = Σ_t x[t + lag] y[t]
        let (xs, ys) = if lag >= 0 {
            (&xc[lag as usize..], &yc[..n - lag as usize])
        } else {
            (&xc[..n - (-lag) as usize], &yc[(-lag) as usize..])
        };
        lags.push(lag as f64);
        r.push(xs.iter().zip(ys).map(|(a, b)| a * b).sum::<f64>() / norm);
    }
    let best = (0..r.len()).fold(0, |b, i| if r[i].abs() > r[b].abs() { i } else { b });
    Ok(vec![
        Datum::Series(lags.clone()),
        Datum::Series(r.clone()),
        Datum::Scalar(lags[best]),
        Datum::Scalar(r[best]),
    ])
}

fn dtw(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (a, b) = (d[0].series(), d[1].series());
    no_gaps(a, "dynamic time warping", 1)?;
    no_gaps(b, "dynamic time warping", 1)?;
    if (a.len() as f64) * (b.len() as f64) > 1e8 {
        return Err(Refusal::new(
            "dynamic time warping takes at most 10⁸ cells (length × length)",
            "动态时间规整最多处理 10⁸ 个单元（长度 × 长度）",
        ));
    }
    let m = b.len();
    // Two rows of the cumulative cost: O(m) memory.
    let mut prev = vec![f64::INFINITY; m + 1];
    let mut cur = vec![f64::INFINITY; m + 1];
    prev[0] = 0.0;
    for &ai in a {
        cur[0] = f64::INFINITY;
        for j in 1..=m {
            let c = (ai - b[j - 1]) * (ai - b[j - 1]);
            cur[j] = c + prev[j - 1].min(prev[j]).min(cur[j - 1]);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(vec![Datum::Scalar(prev[m].sqrt())])
}

/// Residual sum of squares of y on the given columns.
fn rss(cols: &[Vec<f64>], y: &[f64]) -> Result<f64, Refusal> {
    let beta = lstsq(cols, y).ok_or_else(|| {
        Refusal::new(
            "the lagged values are collinear: the test cannot be made",
            "滞后值共线：无法进行检验",
        )
    })?;
    Ok((0..y.len())
        .map(|i| {
            let f: f64 = cols.iter().zip(&beta).map(|(c, b)| c[i] * b).sum();
            (y[i] - f).powi(2)
        })
        .sum())
}

fn granger(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (y, x) = (d[0].series(), d[1].series());
    let p = whole(d[2].scalar());
    no_gaps(y, "the Granger test", 1)?;
    no_gaps(x, "the Granger test", 1)?;
    let n = y.len();
    if x.len() != n || n < 3 * p + 2 {
        return Err(Refusal::new(
            format!(
                "the Granger test at lag {p} needs two series of the same length, at least {}",
                3 * p + 2
            ),
            format!(
                "滞后 {p} 的 Granger 检验需要两个等长序列，长度至少 {}",
                3 * p + 2
            ),
        ));
    }
    let rows = n - p;
    let lagged = |s: &[f64], k: usize| s[p - k..n - k].to_vec();
    let mut cols: Vec<Vec<f64>> = (1..=p).map(|k| lagged(y, k)).collect();
    cols.push(vec![1.0; rows]);
    let target = &y[p..];
    let restricted = rss(&cols, target)?;
    cols.extend((1..=p).map(|k| lagged(x, k)));
    let full = rss(&cols, target)?;
    let df = (rows - 2 * p - 1) as f64;
    let f = (restricted - full) / full / p as f64 * df;
    Ok(vec![Datum::Scalar(f), Datum::Scalar(f_sf(f, p as f64, df))])
}

fn mann_kendall(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let alpha = d[1].scalar();
    let x: Vec<f64> = all.iter().copied().filter(|v| v.is_finite()).collect();
    let n = x.len();
    if n < 3 {
        return Err(too_few("the Mann–Kendall test", 3));
    }
    // O(n²) time, and Sen's slope keeps all n(n − 1)/2 slopes (100 MB at 5000).
    if n > 5_000 {
        return Err(Refusal::new(
            "the Mann–Kendall test takes at most 5000 values",
            "Mann–Kendall 检验最多处理 5000 个值",
        ));
    }
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += i64::from(x[j] > x[i]) - i64::from(x[j] < x[i]);
        }
    }
    let mut sorted = x.clone();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j + 1;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let sf = s as f64;
    let z = match s.signum() {
        1 => (sf - 1.0) / var.sqrt(),
        -1 => (sf + 1.0) / var.sqrt(),
        _ => 0.0,
    };
    let p = 2.0 * normal_sf(z.abs());
    let trend = if z.abs() > normal_quantile(1.0 - alpha / 2.0) {
        z.signum()
    } else {
        0.0
    };
    // Sen's slope over the original positions, so gaps keep their spacing.
    let pos: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_finite()).collect();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for (a, &i) in pos.iter().enumerate() {
        for &j in &pos[a + 1..] {
            slopes.push((all[j] - all[i]) / (j - i) as f64);
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let k = v.len();
        if k % 2 == 1 {
            v[k / 2]
        } else {
            (v[k / 2 - 1] + v[k / 2]) / 2.0
        }
    };
    let slope = med(&mut slopes);
    let mut vals = x;
    let mut idx: Vec<f64> = pos.iter().map(|&i| i as f64).collect();
    let intercept = med(&mut vals) - med(&mut idx) * slope;
    Ok([
        trend,
        sf,
        var,
        z,
        p,
        sf / (0.5 * nf * (nf - 1.0)),
        slope,
        intercept,
    ]
    .into_iter()
    .map(Datum::Scalar)
    .collect())
}

const Y: Port = Port::series("y", "Second series", "第二序列", "");

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "corr.kendall",
            Text::new("Kendall rank correlation τ-b", "Kendall 等级相关 τ-b"),
            Text::new(
                "Monotonic association of two paired series from concordant and discordant pairs, corrected for ties.",
                "由一致与不一致的配对得出的两个配对序列的单调相关，含结修正。",
            ),
            &[X, Y],
            &[
                Port::out("tau", "τ-b", "τ-b", ""),
                Port::out("n", "Pairs used", "有效配对数", ""),
            ],
            Text::new(
                "τ_b = (C − D)/√((n₀ − n₁)(n₀ − n₂)), n₀ = n(n − 1)/2, n₁, n₂ the pairs tied in x, in y; by Knight's O(n log n) merge sort (scipy.stats.kendalltau).",
                "τ_b = (C − D)/√((n₀ − n₁)(n₀ − n₂))，n₀ = n(n − 1)/2，n₁、n₂ 为 x、y 中相等的配对数；按 Knight 的 O(n log n) 归并排序计算（scipy.stats.kendalltau）。",
            ),
            &[
                Reference {
                    source: "Kendall, M. G. (1945), The treatment of ties in ranking problems, Biometrika 33(3):239–251",
                    locator: "",
                },
                Reference {
                    source: "Knight, W. R. (1966), A computer method for calculating Kendall's tau with ungrouped data, JASA 61(314):436–439",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(kendall),
    },
    Model {
        card: algo(
            "corr.cross_correlation",
            Text::new("Cross-correlation over lags", "互相关（含滞后）"),
            Text::new(
                "Normalised correlation of two equally sampled series at every lag up to L, and the lag where it is strongest: the delay between cause and effect, e.g. a valve and a downstream temperature.",
                "两个等间隔序列在 L 以内各滞后下的归一化相关及最强的滞后：因果之间的时延，例如阀门与下游温度。",
            ),
            &[
                X,
                Y,
                Port::new("max_lag", "Largest lag L", "最大滞后 L", "", 0.0, 100_000.0)
                    .default(50.0),
            ],
            &[
                Port::series(
                    "lags",
                    "Lag (x later than y when positive)",
                    "滞后（为正时 x 晚于 y）",
                    "",
                ),
                Port::series("r", "Correlation", "相关系数", ""),
                Port::out("best_lag", "Lag of the largest |r|", "|r| 最大处的滞后", ""),
                Port::out("best_r", "Its correlation", "其相关系数", ""),
            ],
            Text::new(
                "r(k) = Σₜ (xₜ₊ₖ − x̄)(yₜ − ȳ)/√(Σ(x − x̄)² Σ(y − ȳ)²), k = −L … L (numpy.correlate(x − x̄, y − ȳ, \"full\") normalised).",
                "r(k) = Σₜ (xₜ₊ₖ − x̄)(yₜ − ȳ)/√(Σ(x − x̄)² Σ(y − ȳ)²)，k = −L … L（numpy.correlate(x − x̄, y − ȳ, \"full\") 归一化）。",
            ),
            &[Reference {
                source: "Box, G. E. P., Jenkins, G. M., Reinsel, G. C., Ljung, G. M., Time Series Analysis: Forecasting and Control, 5th ed., Wiley, 2015",
                locator: "§12.1.2, the cross-correlation function",
            }],
        ),
        eval: Eval::Data(cross_correlation),
    },
    Model {
        card: algo(
            "distance.dtw",
            Text::new("Dynamic time warping distance", "动态时间规整距离"),
            Text::new(
                "Distance between two sequences allowed to stretch in time, e.g. a batch's profile against a golden batch.",
                "允许时间伸缩的两序列间距离，例如批次曲线与标准批次的比较。",
            ),
            &[X, Y],
            &[Port::out("distance", "DTW distance", "DTW 距离", "")],
            Text::new(
                "D(i, j) = (aᵢ − bⱼ)² + min(D(i−1, j−1), D(i−1, j), D(i, j−1)); distance √D(n, m) (dtaidistance.dtw.distance, no window).",
                "D(i, j) = (aᵢ − bⱼ)² + min(D(i−1, j−1), D(i−1, j), D(i, j−1))；距离 √D(n, m)（dtaidistance.dtw.distance，无窗口）。",
            ),
            &[Reference {
                source: "Sakoe, H., Chiba, S. (1978), Dynamic programming algorithm optimization for spoken word recognition, IEEE Trans. ASSP 26(1):43–49",
                locator: "",
            }],
        ),
        eval: Eval::Data(dtw),
    },
    Model {
        card: algo(
            "causality.granger",
            Text::new("Granger causality F-test", "Granger 因果 F 检验"),
            Text::new(
                "Whether the past of x improves the prediction of y beyond y's own past, at lag p.",
                "在滞后 p 下，x 的历史是否能在 y 自身历史之外改进对 y 的预测。",
            ),
            &[
                Port::series("y", "Effect y", "结果 y", ""),
                Port::series("x", "Candidate cause x", "候选原因 x", ""),
                Port::new("lag", "Lag p", "滞后 p", "", 1.0, 1000.0).default(2.0),
            ],
            &[
                Port::out("f", "F statistic", "F 统计量", ""),
                Port::out("p", "p-value", "p 值", ""),
            ],
            Text::new(
                "F = ((RSS_r − RSS_u)/p)/(RSS_u/(n − p − 2p − 1)), r: y on a constant and p lags of y, u: also p lags of x; p-value from F(p, n − 3p − 1) (statsmodels grangercausalitytests, ssr_ftest).",
                "F = ((RSS_r − RSS_u)/p)/(RSS_u/(n − p − 2p − 1))，r：y 对常数与 y 的 p 个滞后回归，u：再加 x 的 p 个滞后；p 值由 F(p, n − 3p − 1) 得出（statsmodels grangercausalitytests，ssr_ftest）。",
            ),
            &[Reference {
                source: "Granger, C. W. J. (1969), Investigating causal relations by econometric models and cross-spectral methods, Econometrica 37(3):424–438",
                locator: "",
            }],
        ),
        eval: Eval::Data(granger),
    },
    Model {
        card: algo(
            "trend.mann_kendall",
            Text::new(
                "Mann–Kendall trend test and Sen's slope",
                "Mann–Kendall 趋势检验与 Sen 斜率",
            ),
            Text::new(
                "Whether a series rises or falls monotonically, without assuming normality, and how fast (Sen's slope per step).",
                "不假设正态分布地检验序列是否单调上升或下降，以及其速度（每步的 Sen 斜率）。",
            ),
            &[
                X,
                Port::new(
                    "alpha",
                    "Significance level α",
                    "显著性水平 α",
                    "",
                    1e-6,
                    0.5,
                )
                .default(0.05),
            ],
            &[
                Port::out(
                    "trend",
                    "Trend: 1 up, −1 down, 0 none",
                    "趋势：1 上升，−1 下降，0 无",
                    "",
                ),
                Port::out("s", "Statistic S", "统计量 S", ""),
                Port::out("var_s", "Variance of S", "S 的方差", ""),
                Port::out("z", "z", "z", ""),
                Port::out("p", "Two-sided p-value", "双侧 p 值", ""),
                Port::out("tau", "Kendall's τ", "Kendall τ", ""),
                Port::out("slope", "Sen's slope (per step)", "Sen 斜率（每步）", ""),
                Port::out("intercept", "Intercept", "截距", ""),
            ],
            Text::new(
                "S = Σ_{i<j} sgn(xⱼ − xᵢ); Var S = (n(n − 1)(2n + 5) − Σ t(t − 1)(2t + 5))/18; z = (S ∓ 1)/√Var S; p = 2(1 − Φ(|z|)); slope = median (xⱼ − xᵢ)/(j − i); intercept = median x − median j · slope (pymannkendall.original_test).",
                "S = Σ_{i<j} sgn(xⱼ − xᵢ)；Var S = (n(n − 1)(2n + 5) − Σ t(t − 1)(2t + 5))/18；z = (S ∓ 1)/√Var S；p = 2(1 − Φ(|z|))；斜率 = median (xⱼ − xᵢ)/(j − i)；截距 = median x − median j · 斜率（pymannkendall.original_test）。",
            ),
            &[
                Reference {
                    source: "Mann, H. B. (1945), Nonparametric tests against trend, Econometrica 13(3):245–259; Kendall, M. G., Rank Correlation Methods, Griffin, 1975",
                    locator: "",
                },
                Reference {
                    source: "Sen, P. K. (1968), Estimates of the regression coefficient based on Kendall's tau, JASA 63(324):1379–1389",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(mann_kendall),
    },
];
