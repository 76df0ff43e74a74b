//! Data algorithms over series (gaps as NaN): descriptive statistics, data quality,
//! anomaly detection, smoothing, correlation, regression and cumulative sums. Each follows
//! the convention of the library the test run checks it against (numpy, scipy), named on
//! its card.

use crate::{Eval, Model};
use ironloom_core::model::{Datum, Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

const ALGO_INDUSTRIES: &[&str] = &["C34", "C38", "C26", "D44", "C39"];
const NIST_HANDBOOK: &str = "NIST/SEMATECH e-Handbook of Statistical Methods (2012)";

pub(crate) fn present(x: &[f64]) -> Vec<f64> {
    x.iter().copied().filter(|v| v.is_finite()).collect()
}

pub(crate) fn too_few(what: &str, need: usize) -> Refusal {
    Refusal::new(
        format!("{what} needs at least {need} values that are present"),
        format!("{what}至少需要 {need} 个有效值"),
    )
}

pub(crate) fn mean(x: &[f64]) -> f64 {
    // Two passes: the mean of the deviations corrects the first estimate's rounding.
    let m = x.iter().sum::<f64>() / x.len() as f64;
    m + x.iter().map(|v| v - m).sum::<f64>() / x.len() as f64
}

/// Variance with `ddof` degrees of freedom removed.
pub(crate) fn variance(x: &[f64], ddof: f64) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - ddof)
}

/// The q-quantile by linear interpolation between order statistics (numpy's default,
/// Hyndman & Fan type 7).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

pub(crate) fn sorted(x: &[f64]) -> Vec<f64> {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

fn describe(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let x = present(all);
    if x.len() < 2 {
        return Err(too_few("describe", 2));
    }
    let s = sorted(&x);
    let out = [
        x.len() as f64,
        (all.len() - x.len()) as f64,
        mean(&x),
        variance(&x, 1.0).sqrt(),
        s[0],
        quantile(&s, 0.25),
        quantile(&s, 0.5),
        quantile(&s, 0.75),
        s[s.len() - 1],
    ];
    Ok(out.into_iter().map(Datum::Scalar).collect())
}

fn shape(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = present(d[0].series());
    if x.len() < 3 {
        return Err(too_few("skewness and kurtosis", 3));
    }
    let m = mean(&x);
    let n = x.len() as f64;
    let m2 = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    let m3 = x.iter().map(|v| (v - m).powi(3)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n;
    if m2 == 0.0 {
        return Err(Refusal::new(
            "all values are equal: skewness and kurtosis are undefined",
            "所有值相同：偏度与峰度无定义",
        ));
    }
    Ok(vec![
        Datum::Scalar(m3 / m2.powf(1.5)),
        Datum::Scalar(m4 / (m2 * m2) - 3.0),
    ])
}

fn completeness(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let missing = x.iter().filter(|v| !v.is_finite()).count();
    let mut longest = 0usize;
    let mut run = 0usize;
    for v in x {
        if v.is_finite() {
            run = 0;
        } else {
            run += 1;
            longest = longest.max(run);
        }
    }
    Ok(vec![
        Datum::Scalar(1.0 - missing as f64 / x.len() as f64),
        Datum::Scalar(missing as f64),
        Datum::Scalar(longest as f64),
    ])
}

/// 1 where `flag` holds, 0 where not, a gap where the value is missing.
fn flags(x: &[f64], flag: impl Fn(f64) -> bool) -> (Vec<f64>, usize) {
    let mut n = 0;
    let f = x
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                f64::NAN
            } else if flag(v) {
                n += 1;
                1.0
            } else {
                0.0
            }
        })
        .collect();
    (f, n)
}

fn k_sigma(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let k = d[1].scalar();
    let x = present(all);
    if x.len() < 2 {
        return Err(too_few("k-sigma", 2));
    }
    let (m, s) = (mean(&x), variance(&x, 1.0).sqrt());
    let (f, n) = flags(all, |v| (v - m).abs() > k * s);
    Ok(vec![
        Datum::Series(f),
        Datum::Scalar(n as f64),
        Datum::Scalar(m - k * s),
        Datum::Scalar(m + k * s),
    ])
}

fn iqr(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let k = d[1].scalar();
    let x = present(all);
    if x.len() < 4 {
        return Err(too_few("the IQR rule", 4));
    }
    let s = sorted(&x);
    let (q1, q3) = (quantile(&s, 0.25), quantile(&s, 0.75));
    let (lo, hi) = (q1 - k * (q3 - q1), q3 + k * (q3 - q1));
    let (f, n) = flags(all, |v| v < lo || v > hi);
    Ok(vec![
        Datum::Series(f),
        Datum::Scalar(n as f64),
        Datum::Scalar(lo),
        Datum::Scalar(hi),
    ])
}

fn ewma(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let alpha = d[1].scalar();
    let mut y = Vec::with_capacity(x.len());
    let mut last: Option<f64> = None;
    for &v in x {
        if v.is_finite() {
            let z = match last {
                None => v,
                Some(p) => alpha * v + (1.0 - alpha) * p,
            };
            last = Some(z);
            y.push(z);
        } else {
            // A gap keeps the smoothed value (pandas `ewm(adjust=False, ignore_na=True)`).
            y.push(last.unwrap_or(f64::NAN));
        }
    }
    Ok(vec![Datum::Series(y)])
}

/// Pairs where both values are present.
pub(crate) fn pairs(d: &[Datum], what: &str, need: usize) -> Result<(Vec<f64>, Vec<f64>), Refusal> {
    let (x, y) = (d[0].series(), d[1].series());
    if x.len() != y.len() {
        return Err(Refusal::new(
            format!(
                "x has {} values and y {}: they must be paired",
                x.len(),
                y.len()
            ),
            format!("x 有 {} 个值而 y 有 {} 个：须一一对应", x.len(), y.len()),
        ));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    if xs.len() < need {
        return Err(too_few(what, need));
    }
    Ok((xs, ys))
}

pub(crate) fn pearson_of(x: &[f64], y: &[f64]) -> Result<f64, Refusal> {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    if sxx == 0.0 || syy == 0.0 {
        return Err(Refusal::new(
            "a constant series has no correlation",
            "常数序列没有相关系数",
        ));
    }
    Ok((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

fn pearson(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "Pearson correlation", 2)?;
    Ok(vec![
        Datum::Scalar(pearson_of(&x, &y)?),
        Datum::Scalar(x.len() as f64),
    ])
}

/// Ranks from 1, ties sharing their mean rank.
pub(crate) fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = rank;
        }
        i = j + 1;
    }
    r
}

fn spearman(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "Spearman correlation", 2)?;
    Ok(vec![
        Datum::Scalar(pearson_of(&ranks(&x), &ranks(&y))?),
        Datum::Scalar(x.len() as f64),
    ])
}

fn linear(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "linear regression", 3)?;
    let (mx, my) = (mean(&x), mean(&y));
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        return Err(Refusal::new(
            "x does not vary: no line can be fitted",
            "x 没有变化：无法拟合直线",
        ));
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let n = x.len() as f64;
    let r = pearson_of(&x, &y).unwrap_or(0.0);
    Ok(vec![
        Datum::Scalar(slope),
        Datum::Scalar(intercept),
        Datum::Scalar(r * r),
        Datum::Scalar((sse / (n - 2.0) / sxx).sqrt()),
    ])
}

fn cusum(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (target, k, h) = (d[1].scalar(), d[2].scalar(), d[3].scalar());
    let (mut hi, mut lo) = (0.0f64, 0.0f64);
    let mut first = -1.0;
    let (mut up, mut down) = (Vec::with_capacity(x.len()), Vec::with_capacity(x.len()));
    for (i, &v) in x.iter().enumerate() {
        if v.is_finite() {
            hi = (v - (target + k) + hi).max(0.0);
            lo = ((target - k) - v + lo).max(0.0);
            if first < 0.0 && (hi > h || lo > h) {
                first = i as f64;
            }
        }
        up.push(hi);
        down.push(lo);
    }
    Ok(vec![
        Datum::Series(up),
        Datum::Series(down),
        Datum::Scalar(first),
    ])
}

pub(crate) const X: Port = Port::series("x", "Values", "数据", "");

pub(crate) const fn algo(
    id: &'static str,
    name: Text,
    summary: Text,
    inputs: &'static [Port],
    outputs: &'static [Port],
    formula: Text,
    references: &'static [Reference],
) -> ModelCard {
    ModelCard {
        id,
        version: 1,
        name,
        summary,
        kind: ModelKind::Algorithm,
        industries: ALGO_INDUSTRIES,
        domains: &[Domain::Production, Domain::Operations, Domain::Service],
        inputs,
        outputs,
        formula,
        references,
    }
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "stats.describe",
            Text::new("Descriptive statistics", "描述性统计"),
            Text::new(
                "Count, gaps, mean, sample standard deviation, minimum, quartiles and maximum of a series.",
                "序列的个数、缺失数、均值、样本标准差、最小值、四分位数和最大值。",
            ),
            &[X],
            &[
                Port::out("n", "Values present", "有效值个数", ""),
                Port::out("missing", "Missing values", "缺失值个数", ""),
                Port::out("mean", "Mean", "均值", ""),
                Port::out(
                    "std",
                    "Sample standard deviation (n − 1)",
                    "样本标准差（n − 1）",
                    "",
                ),
                Port::out("min", "Minimum", "最小值", ""),
                Port::out("q1", "First quartile", "下四分位数", ""),
                Port::out("median", "Median", "中位数", ""),
                Port::out("q3", "Third quartile", "上四分位数", ""),
                Port::out("max", "Maximum", "最大值", ""),
            ],
            Text::new(
                "Gaps left out; s = √(Σ(x − x̄)²/(n − 1)); quantiles by linear interpolation between order statistics (Hyndman–Fan type 7, numpy's default).",
                "忽略缺失值；s = √(Σ(x − x̄)²/(n − 1))；分位数按次序统计量线性插值（Hyndman–Fan 第 7 类，numpy 默认）。",
            ),
            &[
                Reference {
                    source: NIST_HANDBOOK,
                    locator: "§1.3.5.1 (location), §1.3.5.6 (dispersion)",
                },
                Reference {
                    source: "Hyndman, R. J., Fan, Y. (1996), Sample quantiles in statistical packages, The American Statistician 50(4):361–365",
                    locator: "definition 7",
                },
            ],
        ),
        eval: Eval::Data(describe),
    },
    Model {
        card: algo(
            "stats.skew_kurtosis",
            Text::new("Skewness and kurtosis", "偏度与峰度"),
            Text::new(
                "Asymmetry and tail weight of a series' distribution (moment estimates).",
                "序列分布的不对称性与尾部厚度（矩估计）。",
            ),
            &[X],
            &[
                Port::out("skewness", "Skewness g₁", "偏度 g₁", ""),
                Port::out("kurtosis", "Excess kurtosis g₂", "超额峰度 g₂", ""),
            ],
            Text::new(
                "g₁ = m₃/m₂^(3/2), g₂ = m₄/m₂² − 3 with central moments m_k = Σ(x − x̄)^k/n (scipy.stats skew and kurtosis with bias).",
                "g₁ = m₃/m₂^(3/2)，g₂ = m₄/m₂² − 3，中心矩 m_k = Σ(x − x̄)^k/n（scipy.stats 的 skew 与 kurtosis，有偏）。",
            ),
            &[Reference {
                source: NIST_HANDBOOK,
                locator: "§1.3.5.11, measures of skewness and kurtosis",
            }],
        ),
        eval: Eval::Data(shape),
    },
    Model {
        card: algo(
            "dq.completeness",
            Text::new("Data completeness", "数据完整性"),
            Text::new(
                "Share of values present, missing values and the longest run of gaps in a series.",
                "序列中有效值比例、缺失值个数与最长连续缺失。",
            ),
            &[X],
            &[
                Port::out("completeness", "Share present", "完整率", ""),
                Port::out("missing", "Missing values", "缺失值个数", ""),
                Port::out("longest_gap", "Longest run of gaps", "最长连续缺失", ""),
            ],
            Text::new(
                "completeness = 1 − missing/n; the longest run of consecutive missing values.",
                "完整率 = 1 − 缺失数/n；最长连续缺失段长度。",
            ),
            &[Reference {
                source: "ISO/IEC 25012:2008, Software product Quality Requirements and Evaluation — Data quality model",
                locator: "§4.2.1, completeness",
            }],
        ),
        eval: Eval::Data(completeness),
    },
    Model {
        card: algo(
            "anomaly.k_sigma",
            Text::new("k-sigma outliers", "k-sigma 异常检测"),
            Text::new(
                "Flags values more than k sample standard deviations from the mean.",
                "标记偏离均值超过 k 倍样本标准差的值。",
            ),
            &[X, Port::new("k", "k", "k", "", 0.1, 100.0).default(3.0)],
            &[
                Port::series("flags", "Outlier (1) or not (0)", "是否异常（1/0）", ""),
                Port::out("count", "Outliers", "异常个数", ""),
                Port::out("lower", "Lower limit x̄ − ks", "下限 x̄ − ks", ""),
                Port::out("upper", "Upper limit x̄ + ks", "上限 x̄ + ks", ""),
            ],
            Text::new(
                "|x − x̄| > k s, s the sample standard deviation.",
                "|x − x̄| > k s，s 为样本标准差。",
            ),
            &[Reference {
                source: NIST_HANDBOOK,
                locator: "§1.3.5.17, detection of outliers",
            }],
        ),
        eval: Eval::Data(k_sigma),
    },
    Model {
        card: algo(
            "anomaly.iqr",
            Text::new(
                "Interquartile-range outliers (Tukey fences)",
                "四分位距异常检测（Tukey 栅栏）",
            ),
            Text::new(
                "Flags values outside Q1 − k·IQR and Q3 + k·IQR.",
                "标记位于 Q1 − k·IQR 与 Q3 + k·IQR 之外的值。",
            ),
            &[X, Port::new("k", "k", "k", "", 0.0, 100.0).default(1.5)],
            &[
                Port::series("flags", "Outlier (1) or not (0)", "是否异常（1/0）", ""),
                Port::out("count", "Outliers", "异常个数", ""),
                Port::out("lower", "Lower fence", "下栅栏", ""),
                Port::out("upper", "Upper fence", "上栅栏", ""),
            ],
            Text::new(
                "IQR = Q3 − Q1 (quartiles as in stats.describe); outlier when x < Q1 − k IQR or x > Q3 + k IQR.",
                "IQR = Q3 − Q1（四分位数同描述性统计）；x < Q1 − k IQR 或 x > Q3 + k IQR 时为异常。",
            ),
            &[Reference {
                source: "Tukey, J. W., Exploratory Data Analysis, Addison-Wesley, 1977",
                locator: "ch. 2, fences",
            }],
        ),
        eval: Eval::Data(iqr),
    },
    Model {
        card: algo(
            "filter.ewma",
            Text::new("Exponentially weighted moving average", "指数加权移动平均"),
            Text::new(
                "Smooths a series, each value weighted α and the previous smoothed value 1 − α; gaps keep the last value.",
                "平滑序列：当前值权重 α，前一平滑值权重 1 − α；缺失处保持上一值。",
            ),
            &[
                X,
                Port::new("alpha", "Smoothing factor α", "平滑系数 α", "", 1e-9, 1.0).default(0.2),
            ],
            &[Port::series("y", "Smoothed series", "平滑序列", "")],
            Text::new(
                "y₀ = x₀; yₜ = α xₜ + (1 − α) yₜ₋₁.",
                "y₀ = x₀；yₜ = α xₜ + (1 − α) yₜ₋₁。",
            ),
            &[
                Reference {
                    source: NIST_HANDBOOK,
                    locator: "§6.4.3.1, single exponential smoothing",
                },
                Reference {
                    source: "Roberts, S. W. (1959), Control chart tests based on geometric moving averages, Technometrics 1(3):239–250",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(ewma),
    },
    Model {
        card: algo(
            "corr.pearson",
            Text::new("Pearson correlation", "皮尔逊相关系数"),
            Text::new(
                "Linear correlation of two paired series (pairs with a gap left out).",
                "两个配对序列的线性相关系数（含缺失的配对不计）。",
            ),
            &[X, Port::series("y", "Second series", "第二序列", "")],
            &[
                Port::out("r", "Correlation r", "相关系数 r", ""),
                Port::out("n", "Pairs used", "有效配对数", ""),
            ],
            Text::new(
                "r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²).",
                "r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²)。",
            ),
            &[Reference {
                source: NIST_HANDBOOK,
                locator: "§1.3.3.26.10 (correlation), Dataplot CORRELATION",
            }],
        ),
        eval: Eval::Data(pearson),
    },
    Model {
        card: algo(
            "corr.spearman",
            Text::new("Spearman rank correlation", "斯皮尔曼等级相关系数"),
            Text::new(
                "Monotonic association of two paired series: Pearson's r of their ranks (ties share the mean rank).",
                "两个配对序列的单调相关：其秩的皮尔逊相关系数（相同值取平均秩）。",
            ),
            &[X, Port::series("y", "Second series", "第二序列", "")],
            &[
                Port::out("rho", "Rank correlation ρ", "等级相关系数 ρ", ""),
                Port::out("n", "Pairs used", "有效配对数", ""),
            ],
            Text::new(
                "ρ = r(rank x, rank y), mid-ranks for ties.",
                "ρ = r(rank x, rank y)，相同值取平均秩。",
            ),
            &[Reference {
                source: "Spearman, C. (1904), The proof and measurement of association between two things, American Journal of Psychology 15(1):72–101",
                locator: "",
            }],
        ),
        eval: Eval::Data(spearman),
    },
    Model {
        card: algo(
            "regress.linear",
            Text::new("Simple linear regression", "一元线性回归"),
            Text::new(
                "Least-squares line through paired series, its R² and the slope's standard error.",
                "配对序列的最小二乘直线、决定系数 R² 与斜率标准误。",
            ),
            &[X, Port::series("y", "Response", "因变量", "")],
            &[
                Port::out("slope", "Slope", "斜率", ""),
                Port::out("intercept", "Intercept", "截距", ""),
                Port::out("r2", "R²", "R²", ""),
                Port::out("slope_se", "Standard error of the slope", "斜率标准误", ""),
            ],
            Text::new(
                "b = Σ(x − x̄)(y − ȳ)/Σ(x − x̄)², a = ȳ − b x̄; R² = r²; se(b) = √(SSE/(n − 2)/Σ(x − x̄)²).",
                "b = Σ(x − x̄)(y − ȳ)/Σ(x − x̄)²，a = ȳ − b x̄；R² = r²；se(b) = √(SSE/(n − 2)/Σ(x − x̄)²)。",
            ),
            &[Reference {
                source: NIST_HANDBOOK,
                locator: "§4.1.4.1, linear least squares",
            }],
        ),
        eval: Eval::Data(linear),
    },
    Model {
        card: algo(
            "spc.cusum_series",
            Text::new("Tabular CUSUM over a series", "表格型 CUSUM（序列）"),
            Text::new(
                "Upper and lower cumulative sums of deviations from a target, and the first value where either exceeds the decision interval.",
                "相对目标值偏差的上、下累积和，以及任一超过决策区间的首个位置。",
            ),
            &[
                X,
                Port::new(
                    "target",
                    "Target μ₀",
                    "目标值 μ₀",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                ),
                Port::new("k", "Allowance K", "容许量 K", "", 0.0, f64::INFINITY),
                Port::new(
                    "h",
                    "Decision interval H",
                    "决策区间 H",
                    "",
                    0.0,
                    f64::INFINITY,
                ),
            ],
            &[
                Port::series("c_plus", "Upper CUSUM C⁺", "上累积和 C⁺", ""),
                Port::series("c_minus", "Lower CUSUM C⁻", "下累积和 C⁻", ""),
                Port::out(
                    "first_alarm",
                    "Index of the first alarm (−1: none)",
                    "首次报警位置（−1：无）",
                    "",
                ),
            ],
            Text::new(
                "C⁺ₜ = max(0, xₜ − (μ₀ + K) + C⁺ₜ₋₁), C⁻ₜ = max(0, (μ₀ − K) − xₜ + C⁻ₜ₋₁); alarm when either exceeds H (gaps carry the sums).",
                "C⁺ₜ = max(0, xₜ − (μ₀ + K) + C⁺ₜ₋₁)，C⁻ₜ = max(0, (μ₀ − K) − xₜ + C⁻ₜ₋₁)；任一超过 H 时报警（缺失处累积和不变）。",
            ),
            &[
                Reference {
                    source: "Montgomery, D. C., Introduction to Statistical Quality Control, 6th ed.",
                    locator: "§9.1.2, Eq. 9.2–9.3",
                },
                Reference {
                    source: "ISO 7870-4:2021, Control charts — Part 4: Cumulative sum charts",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(cusum),
    },
];
