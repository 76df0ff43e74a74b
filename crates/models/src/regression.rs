//! Regression over paired series (pairs with a gap left out): polynomial, exponential and
//! power fits by least squares, the slope's t-test, the robust Theil–Sen and Siegel
//! lines, and isotonic regression, with the conventions of numpy, scipy and scikit-learn
//! (named on each card) so the test run can compare them on the same data.

use crate::algorithms::{X, algo, mean, pairs};
use crate::numeric::{lstsq, t_isf, t_sf, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// The most pairs the robust lines take: Siegel's costs O(n²) time, Theil–Sen's also
/// O(n²) memory for the slopes (5000 pairs: 12.5 million slopes, 100 MB).
const MAX_PAIRS: usize = 20_000;
const MAX_THEIL_SEN: usize = 5_000;

fn median_of(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + hi) / 2.0
    }
}

fn r_squared(y: &[f64], fitted: impl Iterator<Item = f64>) -> f64 {
    let my = mean(y);
    let sst: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    let sse: f64 = y.iter().zip(fitted).map(|(v, f)| (v - f) * (v - f)).sum();
    1.0 - sse / sst
}

fn singular() -> Refusal {
    Refusal::new(
        "x does not vary enough for this fit",
        "x 的变化不足以进行此拟合",
    )
}

/// Least-squares polynomial coefficients, highest power first (numpy.polyfit's order).
fn polyfit_of(x: &[f64], y: &[f64], deg: usize) -> Result<Vec<f64>, Refusal> {
    let cols: Vec<Vec<f64>> = (0..=deg)
        .rev()
        .map(|k| x.iter().map(|v| v.powi(k as i32)).collect())
        .collect();
    lstsq(&cols, y).ok_or_else(singular)
}

fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().fold(0.0, |acc, k| acc * x + k)
}

fn polyfit(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let deg = whole(d[2].scalar());
    let (x, y) = pairs(d, "a polynomial fit", deg + 2)?;
    let c = polyfit_of(&x, &y, deg)?;
    let r2 = r_squared(&y, x.iter().map(|&v| horner(&c, v)));
    Ok(vec![Datum::Series(c), Datum::Scalar(r2)])
}

fn positive(v: &[f64], what: &str) -> Result<Vec<f64>, Refusal> {
    if v.iter().any(|&a| a <= 0.0) {
        return Err(Refusal::new(
            format!("{what} must be positive for a fit on logarithms"),
            format!("对数拟合要求 {what} 为正"),
        ));
    }
    Ok(v.iter().map(|a| a.ln()).collect())
}

fn exponential(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "an exponential fit", 3)?;
    let ly = positive(&y, "y")?;
    let c = polyfit_of(&x, &ly, 1)?;
    let r2 = r_squared(&ly, x.iter().map(|&v| c[1] + c[0] * v));
    Ok(vec![
        Datum::Scalar(c[1].exp()),
        Datum::Scalar(c[0]),
        Datum::Scalar(r2),
    ])
}

fn power(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "a power-law fit", 3)?;
    let (lx, ly) = (positive(&x, "x")?, positive(&y, "y")?);
    let c = polyfit_of(&lx, &ly, 1)?;
    let r2 = r_squared(&ly, lx.iter().map(|&v| c[1] + c[0] * v));
    Ok(vec![
        Datum::Scalar(c[1].exp()),
        Datum::Scalar(c[0]),
        Datum::Scalar(r2),
    ])
}

fn linear_test(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "the regression t-test", 3)?;
    let conf = d[2].scalar();
    let (mx, my) = (mean(&x), mean(&y));
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        return Err(singular());
    }
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let n = x.len() as f64;
    let sse: f64 = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let s2 = sse / (n - 2.0);
    let se = (s2 / sxx).sqrt();
    let se_int = (s2 * (1.0 / n + mx * mx / sxx)).sqrt();
    let t = slope / se;
    let p = if se == 0.0 {
        0.0
    } else {
        2.0 * t_sf(t.abs(), n - 2.0)
    };
    let half = t_isf((1.0 - conf) / 2.0, n - 2.0) * se;
    Ok([
        slope,
        intercept,
        se,
        se_int,
        t,
        p,
        slope - half,
        slope + half,
    ]
    .into_iter()
    .map(Datum::Scalar)
    .collect())
}

fn robust_pairs(d: &[Datum], what: &str, most: usize) -> Result<(Vec<f64>, Vec<f64>), Refusal> {
    let (x, y) = pairs(d, what, 2)?;
    if x.len() > most {
        return Err(Refusal::new(
            format!("{what} takes at most {most} pairs (its cost grows with their square)"),
            format!("{what}最多处理 {most} 对数据（计算量随其平方增长）"),
        ));
    }
    Ok((x, y))
}

fn theil_sen(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = robust_pairs(d, "the Theil–Sen line", MAX_THEIL_SEN)?;
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            if x[j] != x[i] {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    if slopes.is_empty() {
        return Err(singular());
    }
    let slope = median_of(&mut slopes);
    let (mut xs, mut ys) = (x, y);
    let intercept = median_of(&mut ys) - slope * median_of(&mut xs);
    Ok(vec![Datum::Scalar(slope), Datum::Scalar(intercept)])
}

fn siegel(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = robust_pairs(d, "the Siegel line", MAX_PAIRS)?;
    let n = x.len();
    let mut inner = Vec::with_capacity(n);
    let mut outer = Vec::with_capacity(n);
    for i in 0..n {
        inner.clear();
        inner.extend(
            (0..n)
                .filter(|&j| x[j] != x[i])
                .map(|j| (y[j] - y[i]) / (x[j] - x[i])),
        );
        if !inner.is_empty() {
            outer.push(median_of(&mut inner));
        }
    }
    if outer.is_empty() {
        return Err(singular());
    }
    let slope = median_of(&mut outer);
    let mut res: Vec<f64> = x.iter().zip(&y).map(|(a, b)| b - slope * a).collect();
    Ok(vec![
        Datum::Scalar(slope),
        Datum::Scalar(median_of(&mut res)),
    ])
}

fn isotonic(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (xa, ya) = (d[0].series(), d[1].series());
    let increasing = d[2].scalar() == 0.0;
    let (x, y) = pairs(d, "isotonic regression", 1)?;
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    // Equal x are first pooled into their mean (scikit-learn's handling of ties), then
    // the pool-adjacent-violators algorithm merges blocks until they are monotone.
    let sign = if increasing { 1.0 } else { -1.0 };
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new(); // (sum, weight, count of x values)
    let mut groups: Vec<usize> = Vec::new(); // pairs in each distinct x
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let mut sum = 0.0;
        while j < order.len() && x[order[j]] == x[order[i]] {
            sum += sign * y[order[j]];
            j += 1;
        }
        groups.push(j - i);
        blocks.push((sum, (j - i) as f64, 1));
        while blocks.len() > 1 {
            let (s2, w2, c2) = blocks[blocks.len() - 1];
            let (s1, w1, c1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (s1 + s2, w1 + w2, c1 + c2);
        }
        i = j;
    }
    let mut fitted_sorted = Vec::with_capacity(x.len());
    let mut g = groups.iter();
    for (s, w, c) in blocks {
        for _ in 0..c {
            let k = g.next().copied().unwrap_or(0);
            fitted_sorted.extend(std::iter::repeat_n(sign * s / w, k));
        }
    }
    let mut fitted_pairs = vec![0.0; x.len()];
    for (rank, &o) in order.iter().enumerate() {
        fitted_pairs[o] = fitted_sorted[rank];
    }
    let mut it = fitted_pairs.into_iter();
    let out = xa
        .iter()
        .zip(ya)
        .map(|(a, b)| {
            if a.is_finite() && b.is_finite() {
                it.next().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect();
    Ok(vec![Datum::Series(out)])
}

/// One LOWESS pass over x sorted ascending: the local linear fit at every point with
/// tricube weights on its k nearest neighbours, times the robustness weights.
fn lowess_pass(x: &[f64], y: &[f64], k: usize, robust: &[f64], fit: &mut [f64]) {
    let n = x.len();
    let (mut left, mut right) = (0usize, k);
    let mut w = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let xv = x[i];
        // Slide the window of k points while the point ahead is nearer than the first.
        while right < n && xv > (x[left] + x[right]) / 2.0 {
            left += 1;
            right += 1;
        }
        let radius = (xv - x[left]).max(x[right - 1] - xv);
        let mut sum = 0.0;
        let mut nonzero = 0;
        for j in left..right {
            let dist = (x[j] - xv).abs() / radius;
            let c = 1.0 - dist * dist * dist;
            w[j] = c * c * c * robust[j];
            sum += w[j];
            nonzero += usize::from(w[j] > 1e-12);
        }
        if nonzero < 2 {
            fit[i] = y[i];
        } else {
            let mut mx = 0.0;
            for j in left..right {
                w[j] /= sum;
                mx += w[j] * x[j];
            }
            let sxx = (left..right)
                .map(|j| w[j] * (x[j] - mx) * (x[j] - mx))
                .sum::<f64>()
                .max(1e-12);
            fit[i] = (left..right)
                .map(|j| w[j] * (1.0 + (xv - mx) * (x[j] - mx) / sxx) * y[j])
                .sum();
        }
        // Equal x share the fit.
        let mut next = i + 1;
        while next < n && x[next] == xv {
            fit[next] = fit[i];
            next += 1;
        }
        i = next;
    }
}

fn lowess(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (xa, ya) = (d[0].series(), d[1].series());
    let (frac, iterations) = (d[2].scalar(), whole(d[3].scalar()));
    let (x0, y0) = pairs(d, "LOWESS", 2)?;
    let n = x0.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x0[a].total_cmp(&x0[b]));
    let x: Vec<f64> = order.iter().map(|&i| x0[i]).collect();
    let y: Vec<f64> = order.iter().map(|&i| y0[i]).collect();
    let k = ((frac * n as f64 + 1e-10) as usize).clamp(2, n);
    // Each pass costs n·k: the local fits are not shortcut by interpolation.
    if (n as f64) * (k as f64) * (iterations as f64 + 1.0) > 2e9 {
        return Err(Refusal::new(
            "LOWESS over this many points costs too much: take a smaller share per fit or fewer points",
            "对如此多的点做 LOWESS 计算量过大：请减小每次拟合所用比例或点数",
        ));
    }
    let mut robust = vec![1.0; n];
    let mut fit = vec![0.0; n];
    for pass in 0..=iterations {
        lowess_pass(&x, &y, k, &robust, &mut fit);
        if pass == iterations {
            break;
        }
        // Bisquare weights of the residuals over six median absolute residuals.
        let mut abs: Vec<f64> = y.iter().zip(&fit).map(|(a, b)| (a - b).abs()).collect();
        let med = median_of(&mut abs.clone());
        for (r, a) in robust.iter_mut().zip(abs.iter_mut()) {
            let u = if med == 0.0 {
                f64::from(u8::from(*a > 0.0))
            } else {
                (*a / (6.0 * med)).min(1.0)
            };
            let c = 1.0 - u * u;
            *r = c * c;
        }
    }
    let mut sorted_fit = vec![0.0; n];
    for (rank, &o) in order.iter().enumerate() {
        sorted_fit[o] = fit[rank];
    }
    let mut it = sorted_fit.into_iter();
    let out = xa
        .iter()
        .zip(ya)
        .map(|(a, b)| {
            if a.is_finite() && b.is_finite() {
                it.next().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect();
    Ok(vec![Datum::Series(out)])
}

const Y: Port = Port::series("y", "Response", "因变量", "");
const NUMPY: &str = "Harris, C. R. et al. (2020), Array programming with NumPy, Nature 585:357–362";
const NIST: &str = "NIST/SEMATECH e-Handbook of Statistical Methods (2012)";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "regress.polynomial",
            Text::new("Polynomial regression", "多项式回归"),
            Text::new(
                "Least-squares polynomial of a given degree through paired series, e.g. a pump or fan curve, and its R².",
                "配对序列的给定次数最小二乘多项式（如泵、风机特性曲线）及其 R²。",
            ),
            &[
                X,
                Y,
                Port::new("degree", "Degree", "次数", "", 0.0, 10.0).default(2.0),
            ],
            &[
                Port::series(
                    "coefficients",
                    "Coefficients, highest power first",
                    "系数（从最高次起）",
                    "",
                ),
                Port::out("r2", "R²", "R²", ""),
            ],
            Text::new(
                "min Σ(yᵢ − Σ_k c_k xᵢᵏ)² by Householder QR (numpy.polyfit); R² = 1 − SSE/SST.",
                "以 Householder QR 求 min Σ(yᵢ − Σ_k c_k xᵢᵏ)²（numpy.polyfit）；R² = 1 − SSE/SST。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§4.1.4.1, linear least squares",
                },
                Reference {
                    source: NUMPY,
                    locator: "numpy.polyfit",
                },
            ],
        ),
        eval: Eval::Data(polyfit),
    },
    Model {
        card: algo(
            "regress.exponential",
            Text::new("Exponential fit", "指数拟合"),
            Text::new(
                "y = a e^(bx) by least squares on ln y, for growth and decay such as degradation or cooling.",
                "对 ln y 做最小二乘拟合 y = a e^(bx)，用于退化、冷却等增长与衰减。",
            ),
            &[X, Y],
            &[
                Port::out("a", "Coefficient a", "系数 a", ""),
                Port::out("b", "Rate b", "速率 b", ""),
                Port::out("r2", "R² of ln y", "ln y 的 R²", ""),
            ],
            Text::new(
                "ln y = ln a + b x by least squares (numpy.polyfit(x, ln y, 1)); y > 0.",
                "最小二乘拟合 ln y = ln a + b x（numpy.polyfit(x, ln y, 1)）；要求 y > 0。",
            ),
            &[Reference {
                source: NIST,
                locator: "§4.4.4.1, transformations to linearity",
            }],
        ),
        eval: Eval::Data(exponential),
    },
    Model {
        card: algo(
            "regress.power",
            Text::new("Power-law fit", "幂律拟合"),
            Text::new(
                "y = a x^b by least squares on logarithms, e.g. tool wear (Taylor) or a flow–pressure law.",
                "对数坐标下最小二乘拟合 y = a x^b，例如刀具磨损（Taylor）或流量–压力关系。",
            ),
            &[X, Y],
            &[
                Port::out("a", "Coefficient a", "系数 a", ""),
                Port::out("b", "Exponent b", "指数 b", ""),
                Port::out("r2", "R² of ln y", "ln y 的 R²", ""),
            ],
            Text::new(
                "ln y = ln a + b ln x by least squares (numpy.polyfit(ln x, ln y, 1)); x, y > 0.",
                "最小二乘拟合 ln y = ln a + b ln x（numpy.polyfit(ln x, ln y, 1)）；要求 x、y > 0。",
            ),
            &[Reference {
                source: NIST,
                locator: "§4.4.4.1, transformations to linearity",
            }],
        ),
        eval: Eval::Data(power),
    },
    Model {
        card: algo(
            "regress.linear_test",
            Text::new("Regression slope t-test", "回归斜率 t 检验"),
            Text::new(
                "Whether a fitted line's slope differs from zero: standard errors, t, p-value and the slope's confidence interval.",
                "拟合直线的斜率是否显著非零：标准误、t 值、p 值与斜率置信区间。",
            ),
            &[
                X,
                Y,
                Port::new(
                    "confidence",
                    "Confidence level",
                    "置信水平",
                    "",
                    0.5,
                    0.9999,
                )
                .default(0.95),
            ],
            &[
                Port::out("slope", "Slope", "斜率", ""),
                Port::out("intercept", "Intercept", "截距", ""),
                Port::out("slope_se", "Standard error of the slope", "斜率标准误", ""),
                Port::out(
                    "intercept_se",
                    "Standard error of the intercept",
                    "截距标准误",
                    "",
                ),
                Port::out("t", "t = slope/se", "t = 斜率/标准误", ""),
                Port::out("p", "Two-sided p-value", "双侧 p 值", ""),
                Port::out("slope_low", "Lower confidence limit", "置信下限", ""),
                Port::out("slope_high", "Upper confidence limit", "置信上限", ""),
            ],
            Text::new(
                "se(b) = √(s²/Sxx), se(a) = √(s²(1/n + x̄²/Sxx)), s² = SSE/(n − 2); t = b/se(b); p = 2P(T_{n−2} > |t|); b ± t_{(1−c)/2, n−2} se(b) (scipy.stats.linregress, scipy.stats.t).",
                "se(b) = √(s²/Sxx)，se(a) = √(s²(1/n + x̄²/Sxx))，s² = SSE/(n − 2)；t = b/se(b)；p = 2P(T_{n−2} > |t|)；b ± t_{(1−c)/2, n−2} se(b)（scipy.stats.linregress，scipy.stats.t）。",
            ),
            &[Reference {
                source: NIST,
                locator: "§4.4.5.1, §4.5.2.1, tests and intervals for the slope",
            }],
        ),
        eval: Eval::Data(linear_test),
    },
    Model {
        card: algo(
            "regress.theil_sen",
            Text::new("Theil–Sen line", "Theil–Sen 稳健直线"),
            Text::new(
                "A line robust to outliers: the median of the slopes between all pairs of points.",
                "对异常值稳健的直线：所有点对之间斜率的中位数。",
            ),
            &[X, Y],
            &[
                Port::out("slope", "Slope", "斜率", ""),
                Port::out("intercept", "Intercept", "截距", ""),
            ],
            Text::new(
                "b = median (yⱼ − yᵢ)/(xⱼ − xᵢ) over i < j with xᵢ ≠ xⱼ; a = median y − b median x (scipy.stats.theilslopes, method=\"separate\").",
                "b = 所有 i < j 且 xᵢ ≠ xⱼ 的 (yⱼ − yᵢ)/(xⱼ − xᵢ) 的中位数；a = median y − b median x（scipy.stats.theilslopes，method=\"separate\"）。",
            ),
            &[
                Reference {
                    source: "Sen, P. K. (1968), Estimates of the regression coefficient based on Kendall's tau, JASA 63(324):1379–1389",
                    locator: "",
                },
                Reference {
                    source: "Theil, H. (1950), A rank-invariant method of linear and polynomial regression analysis, Proc. KNAW 53",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(theil_sen),
    },
    Model {
        card: algo(
            "regress.siegel",
            Text::new("Siegel repeated-medians line", "Siegel 重复中位数直线"),
            Text::new(
                "A line that stays put with up to half the points outliers: the median over points of each point's median slope.",
                "最多一半点为异常值时仍然稳定的直线：各点中位斜率的中位数。",
            ),
            &[X, Y],
            &[
                Port::out("slope", "Slope", "斜率", ""),
                Port::out("intercept", "Intercept", "截距", ""),
            ],
            Text::new(
                "b = medianᵢ medianⱼ≠ᵢ (yⱼ − yᵢ)/(xⱼ − xᵢ); a = medianᵢ (yᵢ − b xᵢ) (scipy.stats.siegelslopes, method=\"hierarchical\").",
                "b = medianᵢ medianⱼ≠ᵢ (yⱼ − yᵢ)/(xⱼ − xᵢ)；a = medianᵢ (yᵢ − b xᵢ)（scipy.stats.siegelslopes，method=\"hierarchical\"）。",
            ),
            &[Reference {
                source: "Siegel, A. F. (1982), Robust regression using repeated medians, Biometrika 69(1):242–244",
                locator: "",
            }],
        ),
        eval: Eval::Data(siegel),
    },
    Model {
        card: algo(
            "regress.isotonic",
            Text::new("Isotonic regression", "保序回归"),
            Text::new(
                "The closest non-decreasing (or non-increasing) fit to y in x, e.g. a monotone calibration or wear curve.",
                "y 关于 x 最接近的单调不减（或不增）拟合，例如单调的标定或磨损曲线。",
            ),
            &[
                X,
                Y,
                Port::choice(
                    "direction",
                    "Direction",
                    "方向",
                    &["increasing", "decreasing"],
                )
                .default(0.0),
            ],
            &[Port::series("fitted", "Monotone fit", "单调拟合值", "")],
            Text::new(
                "min Σ(yᵢ − fᵢ)² subject to f monotone in x, by pooling adjacent violators; equal x pooled first (sklearn.isotonic.IsotonicRegression).",
                "在 f 关于 x 单调的约束下求 min Σ(yᵢ − fᵢ)²，采用相邻违例合并算法；相同 x 先合并（sklearn.isotonic.IsotonicRegression）。",
            ),
            &[Reference {
                source: "Barlow, R. E., Bartholomew, D. J., Bremner, J. M., Brunk, H. D., Statistical Inference under Order Restrictions, Wiley, 1972",
                locator: "§1.2, pool-adjacent-violators",
            }],
        ),
        eval: Eval::Data(isotonic),
    },
    Model {
        card: algo(
            "regress.lowess",
            Text::new("LOWESS smoothing", "LOWESS 局部加权回归平滑"),
            Text::new(
                "A smooth curve through a scatter of y against x by local weighted lines, made robust to outliers by reweighting; no model form assumed.",
                "以局部加权直线拟合 y 对 x 的散点得到平滑曲线，并通过重新加权对异常值稳健；不假设模型形式。",
            ),
            &[
                X,
                Y,
                Port::new(
                    "frac",
                    "Share of points in each fit",
                    "每次拟合所用点的比例",
                    "",
                    0.0,
                    1.0,
                )
                .default(2.0 / 3.0),
                Port::new(
                    "iterations",
                    "Robustness iterations",
                    "稳健迭代次数",
                    "",
                    0.0,
                    100.0,
                )
                .default(3.0),
            ],
            &[Port::series("fitted", "Smoothed y", "平滑后的 y", "")],
            Text::new(
                "At each xᵢ, the k = ⌊frac·n⌋ nearest points weighted (1 − (d/d_max)³)³ give a weighted line evaluated at xᵢ; then weights times (1 − (r/6 median|r|)²)², repeated (statsmodels.nonparametric.lowess, delta = 0).",
                "在每个 xᵢ 处，以 k = ⌊frac·n⌋ 个最近点、权重 (1 − (d/d_max)³)³ 拟合加权直线并在 xᵢ 处取值；再乘以 (1 − (r/6 median|r|)²)² 重新加权并重复（statsmodels.nonparametric.lowess，delta = 0）。",
            ),
            &[Reference {
                source: "Cleveland, W. S. (1979), Robust locally weighted regression and smoothing scatterplots, JASA 74(368):829–836",
                locator: "",
            }],
        ),
        eval: Eval::Data(lowess),
    },
];
