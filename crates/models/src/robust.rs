//! Robust estimation: Huber's M-estimator of a line by iteratively reweighted least
//! squares (statsmodels RLM) and winsorizing a series (scipy.stats.mstats.winsorize), so
//! a few wild readings do not steer a fit or a statistic.

use crate::algorithms::{X, algo, pairs};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// The normal consistency constant Φ⁻¹(3/4).
const GAUSSIAN_3_4: f64 = 0.674_489_750_196_081_7;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Weighted least-squares line: (intercept, slope, weighted SSR / (n − 2)).
fn wls(x: &[f64], y: &[f64], w: &[f64]) -> Option<(f64, f64, f64)> {
    let sw: f64 = w.iter().sum();
    let mx = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let my = y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let sxx: f64 = x.iter().zip(w).map(|(a, b)| b * (a - mx) * (a - mx)).sum();
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let sxy: f64 = x
        .iter()
        .zip(y)
        .zip(w)
        .map(|((a, c), b)| b * (a - mx) * (c - my))
        .sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ssr: f64 = x
        .iter()
        .zip(y)
        .zip(w)
        .map(|((a, c), b)| b * (c - intercept - slope * a).powi(2))
        .sum();
    Some((intercept, slope, ssr / (x.len() as f64 - 2.0)))
}

fn huber(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "Huber regression", 3)?;
    let t = d[2].scalar();
    let n = x.len();
    let singular = || {
        Refusal::new(
            "x does not vary: no line can be fitted",
            "x 没有变化：无法拟合直线",
        )
    };
    let resid =
        |a: f64, b: f64| -> Vec<f64> { x.iter().zip(&y).map(|(u, v)| v - a - b * u).collect() };
    let rho = |z: f64| {
        if z.abs() <= t {
            0.5 * z * z
        } else {
            z.abs() * t - 0.5 * t * t
        }
    };
    // Deviance as statsmodels tracks it: Σρ(r/s²) with s² the weighted fit's variance.
    let deviance = |r: &[f64], s2: f64| r.iter().map(|v| rho(v / s2)).sum::<f64>();
    let (mut a, mut b, mut s2) = wls(&x, &y, &vec![1.0; n]).ok_or_else(singular)?;
    let mut r = resid(a, b);
    let mad = |r: &[f64]| {
        let mut abs: Vec<f64> = r.iter().map(|v| v.abs()).collect();
        median(&mut abs) / GAUSSIAN_3_4
    };
    let mut scale = mad(&r);
    let mut dev = deviance(&r, s2);
    let mut iterations = 1;
    const MAX_ITER: usize = 50;
    const TOL: f64 = 1e-8;
    loop {
        if scale == 0.0 {
            break;
        }
        let w: Vec<f64> = r
            .iter()
            .map(|v| {
                let z = (v / scale).abs();
                if z <= t { 1.0 } else { t / z }
            })
            .collect();
        (a, b, s2) = wls(&x, &y, &w).ok_or_else(singular)?;
        r = resid(a, b);
        scale = mad(&r);
        let next = deviance(&r, s2);
        iterations += 1;
        let done = (next - dev).abs() <= TOL || iterations >= MAX_ITER;
        dev = next;
        if done {
            break;
        }
    }
    Ok(vec![
        Datum::Scalar(b),
        Datum::Scalar(a),
        Datum::Scalar(scale),
        Datum::Scalar(iterations as f64),
    ])
}

fn winsorize(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (lo, hi) = (d[1].scalar(), d[2].scalar());
    let mut idx: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_finite()).collect();
    let n = idx.len();
    if n == 0 {
        return Err(Refusal::new("no values are present", "没有有效值"));
    }
    idx.sort_by(|&a, &b| all[a].total_cmp(&all[b]));
    let low = (lo * n as f64) as usize;
    let up = n - ((hi * n as f64) as usize).min(n);
    if low >= up {
        return Err(Refusal::new(
            "the two limits together cut every value",
            "两侧截尾比例合计截去了全部数值",
        ));
    }
    let mut y = all.to_vec();
    let (floor, ceil) = (all[idx[low]], all[idx[up - 1]]);
    for &i in &idx[..low] {
        y[i] = floor;
    }
    for &i in &idx[up..] {
        y[i] = ceil;
    }
    Ok(vec![
        Datum::Series(y),
        Datum::Scalar(floor),
        Datum::Scalar(ceil),
    ])
}

fn trimmed_mean(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let mut x: Vec<f64> = d[0]
        .series()
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let cut = d[1].scalar();
    let n = x.len();
    // ⌊cut·n⌋ values off each end (scipy.stats.trim_mean).
    let k = (cut * n as f64) as usize;
    if n == 0 || 2 * k >= n {
        return Err(Refusal::new(
            "the cut leaves no values",
            "截尾后没有剩余数值",
        ));
    }
    x.sort_by(f64::total_cmp);
    let kept = &x[k..n - k];
    Ok(vec![
        Datum::Scalar(kept.iter().sum::<f64>() / kept.len() as f64),
        Datum::Scalar(kept.len() as f64),
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "regress.huber",
            Text::new("Huber robust regression", "Huber 稳健回归"),
            Text::new(
                "A straight line that gives outlying points less weight, so a few bad readings do not pull it.",
                "对离群点降低权重的直线拟合，使少数坏读数不会把直线拉偏。",
            ),
            &[
                X,
                Port::series("y", "Response", "因变量", ""),
                Port::new(
                    "t",
                    "Huber's tuning constant",
                    "Huber 调节常数",
                    "",
                    0.01,
                    100.0,
                )
                .default(1.345),
            ],
            &[
                Port::out("slope", "Slope", "斜率", ""),
                Port::out("intercept", "Intercept", "截距", ""),
                Port::out(
                    "scale",
                    "Robust scale (MAD of the residuals)",
                    "稳健尺度（残差的 MAD）",
                    "",
                ),
                Port::out("iterations", "Iterations", "迭代次数", ""),
            ],
            Text::new(
                "From least squares, repeat: s = median|r|/0.6745; weights 1 where |r/s| ≤ t, t/|r/s| beyond; weighted least squares; until the deviance Σρ changes by at most 10⁻⁸ or 50 iterations (statsmodels RLM(M=HuberT(t)), scale \"mad\", conv \"dev\").",
                "从最小二乘出发重复：s = median|r|/0.6745；|r/s| ≤ t 处权重 1，超出处为 t/|r/s|；加权最小二乘；直至偏差 Σρ 的变化不超过 10⁻⁸ 或迭代 50 次（statsmodels RLM(M=HuberT(t))，尺度 \"mad\"，收敛准则 \"dev\"）。",
            ),
            &[
                Reference {
                    source: "Huber, P. J., Ronchetti, E. M., Robust Statistics, 2nd ed., Wiley, 2009",
                    locator: "§7.8, iteratively reweighted least squares",
                },
                Reference {
                    source: "Seabold, S., Perktold, J. (2010), statsmodels: econometric and statistical modeling with Python, Proc. 9th Python in Science Conf.",
                    locator: "statsmodels.robust.robust_linear_model.RLM",
                },
            ],
        ),
        eval: Eval::Data(huber),
    },
    Model {
        card: algo(
            "transform.winsorize",
            Text::new("Winsorizing", "缩尾处理"),
            Text::new(
                "Replaces the lowest and highest shares of the values by the nearest value kept, limiting the pull of extremes without dropping data.",
                "以保留下来的最近值替换最低与最高的一定比例的数值，在不丢弃数据的前提下限制极端值的影响。",
            ),
            &[
                X,
                Port::new(
                    "lower",
                    "Share cut at the bottom",
                    "下端截尾比例",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.05),
                Port::new(
                    "upper",
                    "Share cut at the top",
                    "上端截尾比例",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.05),
            ],
            &[
                Port::series("y", "Winsorized series", "缩尾后序列", ""),
                Port::out("floor", "Lowest value kept", "保留的最低值", ""),
                Port::out("ceiling", "Highest value kept", "保留的最高值", ""),
            ],
            Text::new(
                "Of the n present values sorted, the ⌊l·n⌋ lowest become the next one up and the ⌊u·n⌋ highest the next one down; gaps stay gaps (scipy.stats.mstats.winsorize, inclusive limits).",
                "将 n 个有效值排序，最低的 ⌊l·n⌋ 个替换为其上的下一个值，最高的 ⌊u·n⌋ 个替换为其下的下一个值；缺失保持缺失（scipy.stats.mstats.winsorize，含端点）。",
            ),
            &[Reference {
                source: "Tukey, J. W. (1962), The future of data analysis, Annals of Mathematical Statistics 33(1):1–67",
                locator: "§14, winsorizing",
            }],
        ),
        eval: Eval::Data(winsorize),
    },
    Model {
        card: algo(
            "stats.trimmed_mean",
            Text::new("Trimmed mean", "截尾均值"),
            Text::new(
                "The mean after dropping a share of the lowest and of the highest values: a location that a few wild readings cannot move.",
                "去掉最低与最高一定比例数值后的均值：少数异常读数无法左右的位置估计。",
            ),
            &[
                X,
                Port::new(
                    "cut",
                    "Share cut from each end",
                    "每端截去比例",
                    "",
                    0.0,
                    0.5,
                )
                .default(0.1),
            ],
            &[
                Port::out("mean", "Trimmed mean", "截尾均值", ""),
                Port::out("kept", "Values kept", "保留的值个数", ""),
            ],
            Text::new(
                "Of the n present values sorted, ⌊cut·n⌋ are dropped at each end and the rest averaged (scipy.stats.trim_mean).",
                "将 n 个有效值排序，两端各去掉 ⌊cut·n⌋ 个后求平均（scipy.stats.trim_mean）。",
            ),
            &[Reference {
                source: "NIST/SEMATECH e-Handbook of Statistical Methods (2012)",
                locator: "§1.3.5.1, measures of location (trimmed mean)",
            }],
        ),
        eval: Eval::Data(trimmed_mean),
    },
];
