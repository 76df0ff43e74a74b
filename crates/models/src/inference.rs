//! Statistical tests for comparing samples (before and after a change, machine against
//! machine, shift against shift) and for normality, with the Box–Cox transformation, each
//! following scipy.stats' conventions (named on each card) so the test run can compare
//! statistics and p-values on the same data.

use crate::algorithms::{X, algo, mean, present, ranks, too_few, variance};
use crate::numeric::{chi2_sf, f_sf, t_sf};
use crate::stats::{normal_cdf, normal_sf};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

fn two_samples(d: &[Datum], what: &str, need: usize) -> Result<(Vec<f64>, Vec<f64>), Refusal> {
    let (a, b) = (present(d[0].series()), present(d[1].series()));
    if a.len() < need || b.len() < need {
        return Err(too_few(what, need));
    }
    Ok((a, b))
}

fn no_spread() -> Refusal {
    Refusal::new(
        "the samples do not vary: the test is undefined",
        "样本没有变化：检验无定义",
    )
}

fn welch(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (a, b) = two_samples(d, "Welch's t-test", 2)?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (va, vb) = (variance(&a, 1.0) / na, variance(&b, 1.0) / nb);
    if va + vb == 0.0 {
        return Err(no_spread());
    }
    let t = (mean(&a) - mean(&b)) / (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    Ok(vec![
        Datum::Scalar(t),
        Datum::Scalar(df),
        Datum::Scalar((2.0 * t_sf(t.abs(), df)).min(1.0)),
    ])
}

fn mann_whitney(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (a, b) = two_samples(d, "the Mann–Whitney test", 1)?;
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let mut all = a.clone();
    all.extend_from_slice(&b);
    let r = ranks(&all);
    let r1: f64 = r[..a.len()].iter().sum();
    let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    // The normal approximation with the tie correction and continuity correction.
    let n = n1 + n2;
    let mut s = all.clone();
    s.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < s.len() {
        let mut j = i;
        while j + 1 < s.len() && s[j + 1] == s[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    if sigma == 0.0 {
        return Err(no_spread());
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / sigma;
    Ok(vec![
        Datum::Scalar(u1),
        Datum::Scalar(z),
        Datum::Scalar((2.0 * normal_sf(z)).clamp(0.0, 1.0)),
    ])
}

/// The groups of `values` by the labels of `groups` (pairs with a gap left out), in
/// ascending label order.
fn grouped(d: &[Datum], what: &str) -> Result<Vec<Vec<f64>>, Refusal> {
    let (x, g) = (d[0].series(), d[1].series());
    if x.len() != g.len() {
        return Err(Refusal::new(
            "every value needs its group label",
            "每个值都需要其分组标签",
        ));
    }
    let mut pairs: Vec<(f64, f64)> = g
        .iter()
        .zip(x)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
    let mut groups: Vec<Vec<f64>> = Vec::new();
    let mut last = f64::NAN;
    for (label, v) in pairs {
        if label != last {
            groups.push(Vec::new());
            last = label;
        }
        if let Some(gr) = groups.last_mut() {
            gr.push(v);
        }
    }
    let n: usize = groups.iter().map(Vec::len).sum();
    if groups.len() < 2 || n <= groups.len() {
        return Err(Refusal::new(
            format!("{what} needs at least two groups and more values than groups"),
            format!("{what}至少需要两个组，且值的个数多于组数"),
        ));
    }
    Ok(groups)
}

/// One-way analysis of variance of the groups: F and its p-value.
fn anova_of(groups: &[Vec<f64>]) -> Result<(f64, f64), Refusal> {
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let grand = mean(&all);
    let (k, n) = (groups.len() as f64, all.len() as f64);
    let between: f64 = groups
        .iter()
        .map(|g| g.len() as f64 * (mean(g) - grand).powi(2))
        .sum();
    let within: f64 = groups
        .iter()
        .map(|g| {
            let m = mean(g);
            g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        })
        .sum();
    if within == 0.0 {
        return Err(no_spread());
    }
    let f = (between / (k - 1.0)) / (within / (n - k));
    Ok((f, f_sf(f, k - 1.0, n - k)))
}

fn anova(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let groups = grouped(d, "analysis of variance")?;
    let (f, p) = anova_of(&groups)?;
    Ok(vec![
        Datum::Scalar(f),
        Datum::Scalar(p),
        Datum::Scalar(groups.len() as f64),
    ])
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn levene(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let groups = grouped(d, "Levene's test")?;
    // Brown–Forsythe: the ANOVA of absolute deviations from each group's median.
    let dev: Vec<Vec<f64>> = groups
        .iter()
        .map(|g| {
            let m = median(g);
            g.iter().map(|v| (v - m).abs()).collect()
        })
        .collect();
    let (w, p) = anova_of(&dev)?;
    Ok(vec![Datum::Scalar(w), Datum::Scalar(p)])
}

fn jarque_bera(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = present(d[0].series());
    if x.len() < 3 {
        return Err(too_few("the Jarque–Bera test", 3));
    }
    let n = x.len() as f64;
    let m = mean(&x);
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in &x {
        let e = v - m;
        m2 += e * e;
        m3 += e * e * e;
        m4 += e * e * e * e;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    if m2 == 0.0 {
        return Err(no_spread());
    }
    let (s, k) = (m3 / m2.powf(1.5), m4 / (m2 * m2));
    let jb = n / 6.0 * (s * s + (k - 3.0).powi(2) / 4.0);
    Ok(vec![Datum::Scalar(jb), Datum::Scalar(chi2_sf(jb, 2.0))])
}

fn boxcox_at(x: &[f64], lambda: f64) -> Vec<f64> {
    x.iter()
        .map(|v| {
            if lambda == 0.0 {
                v.ln()
            } else {
                // expm1 keeps the digits that x^λ − 1 loses for small λ.
                (lambda * v.ln()).exp_m1() / lambda
            }
        })
        .collect()
}

/// The profile log-likelihood of λ: (λ − 1) Σ ln x − n/2 ln σ̂²(y_λ).
fn boxcox_llf(x: &[f64], sum_ln: f64, lambda: f64) -> f64 {
    let y = boxcox_at(x, lambda);
    let var = variance(&y, 0.0);
    (lambda - 1.0) * sum_ln - x.len() as f64 / 2.0 * var.ln()
}

fn boxcox(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let x = present(all);
    if x.len() < 2 {
        return Err(too_few("the Box–Cox transformation", 2));
    }
    if x.iter().any(|&v| v <= 0.0) {
        return Err(Refusal::new(
            "the Box–Cox transformation needs positive values",
            "Box–Cox 变换要求数值为正",
        ));
    }
    if x.iter().all(|&v| v == x[0]) {
        return Err(no_spread());
    }
    let sum_ln: f64 = x.iter().map(|v| v.ln()).sum();
    let f = |l: f64| boxcox_llf(&x, sum_ln, l);
    // The maximum bracketed from [−2, 2] outwards, then golden-section search.
    let (mut a, mut b) = (-2.0f64, 2.0f64);
    for _ in 0..60 {
        let (fa, fb, fm) = (f(a), f(b), f(0.5 * (a + b)));
        if fa > fm {
            a -= b - a;
        } else if fb > fm {
            b += b - a;
        } else {
            break;
        }
    }
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut e) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fe) = (f(c), f(e));
    for _ in 0..200 {
        if (b - a).abs() <= 1e-13 * (1.0 + c.abs()) {
            break;
        }
        if fc > fe {
            b = e;
            (e, fe) = (c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            (c, fc) = (e, fe);
            e = a + g * (b - a);
            fe = f(e);
        }
    }
    let lambda = 0.5 * (a + b);
    let y = all
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                f64::NAN
            } else if lambda == 0.0 {
                v.ln()
            } else {
                (lambda * v.ln()).exp_m1() / lambda
            }
        })
        .collect();
    Ok(vec![Datum::Series(y), Datum::Scalar(lambda)])
}

fn anderson_darling(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let mut x = present(d[0].series());
    if x.len() < 3 {
        return Err(too_few("the Anderson–Darling test", 3));
    }
    let (m, s) = (mean(&x), variance(&x, 1.0).sqrt());
    if s == 0.0 {
        return Err(no_spread());
    }
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let w: Vec<f64> = x.iter().map(|v| (v - m) / s).collect();
    let sum: f64 = (0..x.len())
        .map(|i| {
            let tail = w[x.len() - 1 - i];
            (2.0 * i as f64 + 1.0) / n * (normal_cdf(w[i]).ln() + normal_sf(tail).ln())
        })
        .sum();
    let a2 = -n - sum;
    // Stephens' small-sample adjustment and D'Agostino & Stephens' p-value curves.
    let a = a2 * (1.0 + 0.75 / n + 2.25 / (n * n));
    let p = if a < 0.2 {
        1.0 - (-13.436 + 101.14 * a - 223.73 * a * a).exp()
    } else if a < 0.34 {
        1.0 - (-8.318 + 42.796 * a - 59.938 * a * a).exp()
    } else if a < 0.6 {
        (0.9177 - 4.279 * a - 1.38 * a * a).exp()
    } else if a <= 13.0 {
        (1.2937 - 5.709 * a + 0.0186 * a * a).exp()
    } else {
        0.0
    };
    let crit = |c: f64| (c / (1.0 + 0.75 / n + 2.25 / (n * n)) * 1000.0).round() / 1000.0;
    Ok(vec![
        Datum::Scalar(a2),
        Datum::Scalar(p),
        Datum::Scalar(crit(0.752)),
        Datum::Scalar(crit(1.035)),
    ])
}

const Y: Port = Port::series("y", "Second sample", "第二样本", "");
const GROUPS: Port = Port::series("groups", "Group label of each value", "各值的分组标签", "");
const P: Port = Port::out("p", "p-value", "p 值", "");
const NIST: &str = "NIST/SEMATECH e-Handbook of Statistical Methods (2012)";
const SCIPY: &str = "Virtanen, P. et al. (2020), SciPy 1.0: fundamental algorithms for scientific computing in Python, Nature Methods 17:261–272";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "stats.welch_t_test",
            Text::new("Welch's two-sample t-test", "Welch 双样本 t 检验"),
            Text::new(
                "Whether two samples have different means, without assuming equal variances (e.g. a quality characteristic before and after a change).",
                "不假设方差相等地检验两个样本均值是否不同（例如变更前后的质量特性）。",
            ),
            &[X, Y],
            &[
                Port::out("t", "t", "t", ""),
                Port::out(
                    "df",
                    "Degrees of freedom (Welch–Satterthwaite)",
                    "自由度（Welch–Satterthwaite）",
                    "",
                ),
                P,
            ],
            Text::new(
                "t = (x̄ − ȳ)/√(s²ₓ/nₓ + s²ᵧ/nᵧ); ν = (s²ₓ/nₓ + s²ᵧ/nᵧ)²/((s²ₓ/nₓ)²/(nₓ − 1) + (s²ᵧ/nᵧ)²/(nᵧ − 1)); p = 2P(T_ν > |t|) (scipy.stats.ttest_ind, equal_var=False).",
                "t = (x̄ − ȳ)/√(s²ₓ/nₓ + s²ᵧ/nᵧ)；ν = (s²ₓ/nₓ + s²ᵧ/nᵧ)²/((s²ₓ/nₓ)²/(nₓ − 1) + (s²ᵧ/nᵧ)²/(nᵧ − 1))；p = 2P(T_ν > |t|)（scipy.stats.ttest_ind，equal_var=False）。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§1.3.5.3, two-sample t-test for equal means",
                },
                Reference {
                    source: "Welch, B. L. (1947), The generalization of Student's problem when several different population variances are involved, Biometrika 34:28–35",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(welch),
    },
    Model {
        card: algo(
            "stats.mann_whitney",
            Text::new("Mann–Whitney U test", "Mann–Whitney U 检验"),
            Text::new(
                "Whether one sample tends to be larger than another, from ranks only (no normality assumed).",
                "仅凭秩检验一个样本是否倾向于大于另一个（不假设正态）。",
            ),
            &[X, Y],
            &[
                Port::out("u", "U of the first sample", "第一样本的 U", ""),
                Port::out("z", "z (continuity corrected)", "z（连续性校正）", ""),
                P,
            ],
            Text::new(
                "U₁ = R₁ − n₁(n₁ + 1)/2 (mid-ranks for ties); z = (max(U₁, n₁n₂ − U₁) − n₁n₂/2 − ½)/σ, σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1))); p = 2(1 − Φ(z)) (scipy.stats.mannwhitneyu, method=\"asymptotic\").",
                "U₁ = R₁ − n₁(n₁ + 1)/2（相同值取平均秩）；z = (max(U₁, n₁n₂ − U₁) − n₁n₂/2 − ½)/σ，σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1)))；p = 2(1 − Φ(z))（scipy.stats.mannwhitneyu，method=\"asymptotic\"）。",
            ),
            &[Reference {
                source: "Mann, H. B., Whitney, D. R. (1947), On a test of whether one of two random variables is stochastically larger than the other, Annals of Mathematical Statistics 18(1):50–60",
                locator: "",
            }],
        ),
        eval: Eval::Data(mann_whitney),
    },
    Model {
        card: algo(
            "stats.anova_oneway",
            Text::new("One-way analysis of variance", "单因素方差分析"),
            Text::new(
                "Whether the means of several groups differ (machines, shifts, suppliers), the groups given by a label series.",
                "检验多个组（机台、班次、供应商）的均值是否不同，分组由标签序列给出。",
            ),
            &[X, GROUPS],
            &[
                Port::out("f", "F", "F", ""),
                P,
                Port::out("k", "Groups", "组数", ""),
            ],
            Text::new(
                "F = (Σ nᵢ(x̄ᵢ − x̄)²/(k − 1))/(ΣΣ(x − x̄ᵢ)²/(N − k)); p = P(F_{k−1, N−k} > F) (scipy.stats.f_oneway).",
                "F = (Σ nᵢ(x̄ᵢ − x̄)²/(k − 1))/(ΣΣ(x − x̄ᵢ)²/(N − k))；p = P(F_{k−1, N−k} > F)（scipy.stats.f_oneway）。",
            ),
            &[Reference {
                source: NIST,
                locator: "§7.4.3, one-way ANOVA",
            }],
        ),
        eval: Eval::Data(anova),
    },
    Model {
        card: algo(
            "stats.levene",
            Text::new(
                "Levene's test (Brown–Forsythe)",
                "Levene 检验（Brown–Forsythe）",
            ),
            Text::new(
                "Whether several groups have the same spread, robust to non-normal data.",
                "检验多个组的离散程度是否相同，对非正态数据稳健。",
            ),
            &[X, GROUPS],
            &[Port::out("w", "W", "W", ""), P],
            Text::new(
                "W = one-way ANOVA F of |x − median of its group|; p = P(F_{k−1, N−k} > W) (scipy.stats.levene, center=\"median\").",
                "W = |x − 组中位数| 的单因素方差分析 F 值；p = P(F_{k−1, N−k} > W)（scipy.stats.levene，center=\"median\"）。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§1.3.5.10, Levene test for equality of variances",
                },
                Reference {
                    source: "Brown, M. B., Forsythe, A. B. (1974), Robust tests for the equality of variances, JASA 69(346):364–367",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(levene),
    },
    Model {
        card: algo(
            "stats.jarque_bera",
            Text::new("Jarque–Bera normality test", "Jarque–Bera 正态性检验"),
            Text::new(
                "Whether a sample's skewness and kurtosis are those of a normal distribution (e.g. before a capability study).",
                "检验样本的偏度与峰度是否符合正态分布（例如过程能力分析之前）。",
            ),
            &[X],
            &[Port::out("jb", "JB", "JB", ""), P],
            Text::new(
                "JB = n/6 (S² + (K − 3)²/4), S and K the moment skewness and kurtosis; p = P(χ²₂ > JB) (scipy.stats.jarque_bera).",
                "JB = n/6 (S² + (K − 3)²/4)，S、K 为矩偏度与峰度；p = P(χ²₂ > JB)（scipy.stats.jarque_bera）。",
            ),
            &[Reference {
                source: "Jarque, C. M., Bera, A. K. (1987), A test for normality of observations and regression residuals, International Statistical Review 55(2):163–172",
                locator: "",
            }],
        ),
        eval: Eval::Data(jarque_bera),
    },
    Model {
        card: algo(
            "stats.anderson_darling",
            Text::new(
                "Anderson–Darling normality test",
                "Anderson–Darling 正态性检验",
            ),
            Text::new(
                "Whether a sample comes from a normal distribution, weighting the tails more than other tests.",
                "检验样本是否来自正态分布，比其他检验更重视尾部。",
            ),
            &[X],
            &[
                Port::out("a2", "A²", "A²", ""),
                P,
                Port::out("crit_5", "5 % critical value", "5% 临界值", ""),
                Port::out("crit_1", "1 % critical value", "1% 临界值", ""),
            ],
            Text::new(
                "A² = −n − Σ (2i − 1)/n [ln Φ(wᵢ) + ln(1 − Φ(w₍ₙ₊₁₋ᵢ₎))], w = (x₍ᵢ₎ − x̄)/s; p from A²(1 + 0.75/n + 2.25/n²) by D'Agostino & Stephens' curves (statsmodels normal_ad); critical values 0.752 and 1.035 (Stephens 1974) over the same factor, to three decimals (scipy.stats.anderson).",
                "A² = −n − Σ (2i − 1)/n [ln Φ(wᵢ) + ln(1 − Φ(w₍ₙ₊₁₋ᵢ₎))]，w = (x₍ᵢ₎ − x̄)/s；p 值由 A²(1 + 0.75/n + 2.25/n²) 按 D'Agostino 与 Stephens 的曲线求得（statsmodels normal_ad）；临界值为 0.752 与 1.035（Stephens 1974）除以同一因子，保留三位小数（scipy.stats.anderson）。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§1.3.5.14, Anderson–Darling test",
                },
                Reference {
                    source: "D'Agostino, R. B., Stephens, M. A., Goodness-of-Fit Techniques, Marcel Dekker, 1986",
                    locator: "Table 4.9",
                },
            ],
        ),
        eval: Eval::Data(anderson_darling),
    },
    Model {
        card: algo(
            "transform.boxcox",
            Text::new("Box–Cox transformation", "Box–Cox 变换"),
            Text::new(
                "The power transformation that makes positive, skewed data most nearly normal, and its λ (for capability studies and control charts on skewed data).",
                "使偏斜的正值数据最接近正态的幂变换及其 λ（用于偏斜数据的过程能力分析与控制图）。",
            ),
            &[X],
            &[
                Port::series("y", "Transformed series", "变换后序列", ""),
                Port::out("lambda", "λ", "λ", ""),
            ],
            Text::new(
                "y = (x^λ − 1)/λ (ln x at λ = 0), λ maximising (λ − 1)Σ ln x − n/2 ln σ̂²(y) (scipy.stats.boxcox, method \"mle\").",
                "y = (x^λ − 1)/λ（λ = 0 时为 ln x），λ 使 (λ − 1)Σ ln x − n/2 ln σ̂²(y) 最大（scipy.stats.boxcox，method \"mle\"）。",
            ),
            &[
                Reference {
                    source: "Box, G. E. P., Cox, D. R. (1964), An analysis of transformations, JRSS B 26(2):211–252",
                    locator: "",
                },
                Reference {
                    source: SCIPY,
                    locator: "scipy.stats.boxcox",
                },
            ],
        ),
        eval: Eval::Data(boxcox),
    },
];
