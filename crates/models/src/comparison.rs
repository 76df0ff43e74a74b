//! More comparisons of samples: the Wilcoxon signed-rank test for paired data, the
//! Kruskal–Wallis and Bartlett tests across groups, and Pearson's χ² goodness of fit of
//! counts, with scipy.stats' conventions (named on each card) so the test run can compare
//! statistics and p-values on the same data.

use crate::algorithms::{X, algo, pairs, ranks, variance};
use crate::numeric::chi2_sf;
use crate::stats::normal_sf;
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// Σ(t³ − t) over the groups of equal values.
fn tie_sum(values: &[f64]) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let mut total = 0.0;
    let mut i = 0;
    while i < s.len() {
        let mut j = i;
        while j + 1 < s.len() && s[j + 1] == s[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        total += t * t * t - t;
        i = j + 1;
    }
    total
}

fn wilcoxon(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "the Wilcoxon signed-rank test", 1)?;
    // Zero differences are dropped (Wilcoxon's convention).
    let diff: Vec<f64> = x
        .iter()
        .zip(&y)
        .map(|(a, b)| a - b)
        .filter(|v| *v != 0.0)
        .collect();
    if diff.is_empty() {
        return Err(Refusal::new(
            "every pair is equal: there is nothing to test",
            "每对数值都相等：无可检验",
        ));
    }
    let abs: Vec<f64> = diff.iter().map(|v| v.abs()).collect();
    let r = ranks(&abs);
    let plus: f64 = diff
        .iter()
        .zip(&r)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let minus: f64 = diff
        .iter()
        .zip(&r)
        .filter(|(v, _)| **v < 0.0)
        .map(|(_, r)| r)
        .sum();
    let n = diff.len() as f64;
    let mn = n * (n + 1.0) / 4.0;
    let se = ((n * (n + 1.0) * (2.0 * n + 1.0) - tie_sum(&abs) / 2.0) / 24.0).sqrt();
    // The z of the smaller rank sum, so never positive (as scipy reports it).
    let z = -((plus - mn) / se).abs();
    Ok(vec![
        Datum::Scalar(plus.min(minus)),
        Datum::Scalar(z),
        Datum::Scalar((2.0 * normal_sf(-z)).min(1.0)),
    ])
}

/// The groups of `x` by the labels of `groups`, in ascending label order.
fn grouped(d: &[Datum], what: &str, least: usize) -> Result<Vec<Vec<f64>>, Refusal> {
    let (x, g) = (d[0].series(), d[1].series());
    if x.len() != g.len() {
        return Err(Refusal::new(
            "every value needs its group label",
            "每个值都需要其分组标签",
        ));
    }
    let mut p: Vec<(f64, f64)> = g
        .iter()
        .zip(x)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<f64>> = Vec::new();
    let mut last = f64::NAN;
    for (label, v) in p {
        if label != last {
            out.push(Vec::new());
            last = label;
        }
        if let Some(gr) = out.last_mut() {
            gr.push(v);
        }
    }
    if out.len() < 2 || out.iter().any(|gr| gr.len() < least) {
        return Err(Refusal::new(
            format!("{what} needs at least two groups of at least {least} values"),
            format!("{what}至少需要两个组，每组至少 {least} 个值"),
        ));
    }
    Ok(out)
}

fn kruskal(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let groups = grouped(d, "the Kruskal–Wallis test", 1)?;
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let r = ranks(&all);
    let n = all.len() as f64;
    let mut at = 0;
    let mut sum = 0.0;
    for gr in &groups {
        let rs: f64 = r[at..at + gr.len()].iter().sum();
        sum += rs * rs / gr.len() as f64;
        at += gr.len();
    }
    let ties = 1.0 - tie_sum(&all) / (n * n * n - n);
    if ties <= 0.0 {
        return Err(Refusal::new(
            "all values are equal: the test is undefined",
            "所有值相同：检验无定义",
        ));
    }
    let h = (12.0 / (n * (n + 1.0)) * sum - 3.0 * (n + 1.0)) / ties;
    let df = (groups.len() - 1) as f64;
    Ok(vec![Datum::Scalar(h), Datum::Scalar(chi2_sf(h, df))])
}

fn bartlett(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let groups = grouped(d, "Bartlett's test", 2)?;
    let k = groups.len() as f64;
    let n: f64 = groups.iter().map(|g| g.len() as f64).sum();
    let vars: Vec<f64> = groups.iter().map(|g| variance(g, 1.0)).collect();
    if vars.iter().any(|v| *v <= 0.0) {
        return Err(Refusal::new(
            "a group does not vary: Bartlett's test takes logarithms of the variances",
            "某组没有变化：Bartlett 检验需对方差取对数",
        ));
    }
    let pooled: f64 = groups
        .iter()
        .zip(&vars)
        .map(|(g, v)| (g.len() as f64 - 1.0) * v)
        .sum::<f64>()
        / (n - k);
    let num = (n - k) * pooled.ln()
        - groups
            .iter()
            .zip(&vars)
            .map(|(g, v)| (g.len() as f64 - 1.0) * v.ln())
            .sum::<f64>();
    let den = 1.0
        + (groups
            .iter()
            .map(|g| 1.0 / (g.len() as f64 - 1.0))
            .sum::<f64>()
            - 1.0 / (n - k))
            / (3.0 * (k - 1.0));
    let t = num / den;
    Ok(vec![Datum::Scalar(t), Datum::Scalar(chi2_sf(t, k - 1.0))])
}

fn chi_square(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (obs, exp) = (d[0].series(), d[1].series());
    let ddof = d[2].scalar();
    if obs.len() != exp.len() || obs.len() < 2 {
        return Err(Refusal::new(
            "observed and expected must give the same two or more categories",
            "观测与期望须给出相同的两个或更多类别",
        ));
    }
    if obs.iter().chain(exp).any(|v| !v.is_finite() || *v < 0.0) || exp.contains(&0.0) {
        return Err(Refusal::new(
            "counts must be present and not negative, expected ones positive",
            "计数须有效且非负，期望值须为正",
        ));
    }
    // The expected shares scaled to the observed total.
    let scale = obs.iter().sum::<f64>() / exp.iter().sum::<f64>();
    let stat: f64 = obs
        .iter()
        .zip(exp)
        .map(|(o, e)| {
            let e = e * scale;
            (o - e) * (o - e) / e
        })
        .sum();
    let df = obs.len() as f64 - 1.0 - ddof;
    if df < 1.0 {
        return Err(Refusal::new(
            "no degrees of freedom are left",
            "没有剩余的自由度",
        ));
    }
    Ok(vec![Datum::Scalar(stat), Datum::Scalar(chi2_sf(stat, df))])
}

const P: Port = Port::out("p", "p-value", "p 值", "");
const GROUPS: Port = Port::series("groups", "Group label of each value", "各值的分组标签", "");
const NIST: &str = "NIST/SEMATECH e-Handbook of Statistical Methods (2012)";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "stats.wilcoxon",
            Text::new(
                "Wilcoxon signed-rank test (paired)",
                "Wilcoxon 符号秩检验（配对）",
            ),
            Text::new(
                "Whether paired measurements differ (the same parts before and after, two gauges on the same parts), from the ranks of the differences.",
                "由差值的秩检验配对测量是否不同（同一批零件处理前后、两台量具测同一批零件）。",
            ),
            &[
                X,
                Port::series("y", "Paired second measurement", "配对的第二次测量", ""),
            ],
            &[
                Port::out("statistic", "min(W⁺, W⁻)", "min(W⁺, W⁻)", ""),
                Port::out(
                    "z",
                    "z of min(W⁺, W⁻) (≤ 0)",
                    "min(W⁺, W⁻) 的 z 值（≤ 0）",
                    "",
                ),
                P,
            ],
            Text::new(
                "d = x − y, zeros dropped; W⁺, W⁻ the rank sums of positive and negative d (mid-ranks of |d|); z = −|W⁺ − n(n + 1)/4|/√((n(n + 1)(2n + 1) − Σ(t³ − t)/2)/24); p = 2(1 − Φ(|z|)) (scipy.stats.wilcoxon, method=\"asymptotic\").",
                "d = x − y，去掉零差值；W⁺、W⁻ 为正、负差值的秩和（|d| 取平均秩）；z = −|W⁺ − n(n + 1)/4|/√((n(n + 1)(2n + 1) − Σ(t³ − t)/2)/24)；p = 2(1 − Φ(|z|))（scipy.stats.wilcoxon，method=\"asymptotic\"）。",
            ),
            &[Reference {
                source: "Wilcoxon, F. (1945), Individual comparisons by ranking methods, Biometrics Bulletin 1(6):80–83",
                locator: "",
            }],
        ),
        eval: Eval::Data(wilcoxon),
    },
    Model {
        card: algo(
            "stats.kruskal_wallis",
            Text::new("Kruskal–Wallis test", "Kruskal–Wallis 检验"),
            Text::new(
                "Whether several groups come from the same distribution, from ranks only (the rank analogue of one-way ANOVA).",
                "仅凭秩检验多个组是否来自同一分布（单因素方差分析的秩形式）。",
            ),
            &[X, GROUPS],
            &[Port::out("h", "H (tie-corrected)", "H（结校正）", ""), P],
            Text::new(
                "H = (12/(N(N + 1)) Σ Rᵢ²/nᵢ − 3(N + 1))/(1 − Σ(t³ − t)/(N³ − N)); p = P(χ²_{k−1} > H) (scipy.stats.kruskal).",
                "H = (12/(N(N + 1)) Σ Rᵢ²/nᵢ − 3(N + 1))/(1 − Σ(t³ − t)/(N³ − N))；p = P(χ²_{k−1} > H)（scipy.stats.kruskal）。",
            ),
            &[Reference {
                source: "Kruskal, W. H., Wallis, W. A. (1952), Use of ranks in one-criterion variance analysis, JASA 47(260):583–621",
                locator: "",
            }],
        ),
        eval: Eval::Data(kruskal),
    },
    Model {
        card: algo(
            "stats.bartlett",
            Text::new(
                "Bartlett's test for equal variances",
                "Bartlett 方差齐性检验",
            ),
            Text::new(
                "Whether several normally distributed groups have the same variance.",
                "检验多个正态分布的组是否方差相等。",
            ),
            &[X, GROUPS],
            &[Port::out("t", "T", "T", ""), P],
            Text::new(
                "T = ((N − k) ln s_p² − Σ(nᵢ − 1) ln sᵢ²)/(1 + (Σ 1/(nᵢ − 1) − 1/(N − k))/(3(k − 1))); p = P(χ²_{k−1} > T) (scipy.stats.bartlett).",
                "T = ((N − k) ln s_p² − Σ(nᵢ − 1) ln sᵢ²)/(1 + (Σ 1/(nᵢ − 1) − 1/(N − k))/(3(k − 1)))；p = P(χ²_{k−1} > T)（scipy.stats.bartlett）。",
            ),
            &[Reference {
                source: NIST,
                locator: "§1.3.5.7, Bartlett's test",
            }],
        ),
        eval: Eval::Data(bartlett),
    },
    Model {
        card: algo(
            "stats.chi_square",
            Text::new("Pearson's χ² goodness of fit", "Pearson χ² 拟合优度检验"),
            Text::new(
                "Whether observed counts by category (defect types, failure modes, shifts) follow the expected proportions.",
                "检验各类别（缺陷类型、失效模式、班次）的观测计数是否符合期望比例。",
            ),
            &[
                Port::series("observed", "Observed counts", "观测计数", ""),
                Port::series(
                    "expected",
                    "Expected counts or shares",
                    "期望计数或比例",
                    "",
                ),
                Port::new(
                    "ddof",
                    "Parameters estimated",
                    "已估计参数个数",
                    "",
                    0.0,
                    1000.0,
                )
                .default(0.0),
            ],
            &[Port::out("chi2", "χ²", "χ²", ""), P],
            Text::new(
                "χ² = Σ(oᵢ − eᵢ)²/eᵢ with the expected scaled to the observed total; p = P(χ²_{k−1−ddof} > χ²) (scipy.stats.chisquare).",
                "χ² = Σ(oᵢ − eᵢ)²/eᵢ，期望值按观测总数缩放；p = P(χ²_{k−1−ddof} > χ²)（scipy.stats.chisquare）。",
            ),
            &[Reference {
                source: NIST,
                locator: "§1.3.5.15, chi-square goodness-of-fit test",
            }],
        ),
        eval: Eval::Data(chi_square),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_counted_by_group() {
        // Groups of 2 and 3 equal values: (8 − 2) + (27 − 3).
        assert_eq!(tie_sum(&[1.0, 1.0, 2.0, 3.0, 3.0, 3.0]), 30.0);
    }
}
