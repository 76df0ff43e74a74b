//! Machine-learning models over a series' values: the isolation forest (randomised; a
//! seed makes it repeatable, and the test run compares its ranking quality with
//! scikit-learn's rather than its scores) and L2-regularised logistic regression
//! (deterministic, compared with scikit-learn's fitted coefficients and probabilities).

use crate::algorithms::{X, algo, pairs, present, quantile, sorted, too_few, variance};
use crate::numeric::{solve, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// SplitMix64: a small, well-mixed generator, so the same seed gives the same forest on
/// every platform.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// c(n), the mean path length of an unsuccessful search in a binary search tree of n.
fn average_path(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

/// A node of an isolation tree: a split value with its children, or a leaf's size.
enum Node {
    Split(f64, usize, usize),
    Leaf(usize),
}

fn grow(
    values: &mut [f64],
    depth: usize,
    max_depth: usize,
    rng: &mut SplitMix,
    tree: &mut Vec<Node>,
) -> usize {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let at = tree.len();
    if depth >= max_depth || values.len() <= 1 || lo >= hi {
        tree.push(Node::Leaf(values.len()));
        return at;
    }
    let split = lo + rng.unit() * (hi - lo);
    tree.push(Node::Leaf(0));
    let mut k = 0;
    for i in 0..values.len() {
        if values[i] <= split {
            values.swap(i, k);
            k += 1;
        }
    }
    let (left, right) = values.split_at_mut(k);
    let l = grow(left, depth + 1, max_depth, rng, tree);
    let r = grow(right, depth + 1, max_depth, rng, tree);
    tree[at] = Node::Split(split, l, r);
    at
}

fn path(tree: &[Node], v: f64) -> f64 {
    let mut at = 0;
    let mut depth = 0.0;
    loop {
        match tree[at] {
            Node::Split(s, l, r) => {
                at = if v <= s { l } else { r };
                depth += 1.0;
            }
            Node::Leaf(n) => return depth + average_path(n),
        }
    }
}

fn isolation_forest(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (trees, psi, seed, threshold) = (
        whole(d[1].scalar()),
        whole(d[2].scalar()),
        d[3].scalar() as u64,
        d[4].scalar(),
    );
    let x = present(all);
    if x.len() < 2 {
        return Err(too_few("the isolation forest", 2));
    }
    let psi = psi.min(x.len());
    let max_depth = (psi.max(2) as f64).log2().ceil() as usize;
    let mut rng = SplitMix(seed);
    let mut sum = vec![0.0; all.len()];
    let mut sample: Vec<f64> = Vec::with_capacity(psi);
    let mut pool: Vec<usize> = (0..x.len()).collect();
    let mut tree = Vec::new();
    for _ in 0..trees {
        // ψ values drawn without replacement (a partial Fisher–Yates shuffle).
        sample.clear();
        for i in 0..psi {
            let j = i + rng.below(pool.len() - i);
            pool.swap(i, j);
            sample.push(x[pool[i]]);
        }
        tree.clear();
        grow(&mut sample, 0, max_depth, &mut rng, &mut tree);
        for (s, v) in sum.iter_mut().zip(all) {
            if v.is_finite() {
                *s += path(&tree, *v);
            }
        }
    }
    let c = average_path(psi);
    let mut count = 0usize;
    let mut flags = Vec::with_capacity(all.len());
    let score: Vec<f64> = sum
        .iter()
        .zip(all)
        .map(|(s, v)| {
            if !v.is_finite() {
                flags.push(f64::NAN);
                return f64::NAN;
            }
            let sc = 2f64.powf(-s / trees as f64 / c);
            let out = sc > threshold;
            count += usize::from(out);
            flags.push(f64::from(u8::from(out)));
            sc
        })
        .collect();
    Ok(vec![
        Datum::Series(score),
        Datum::Series(flags),
        Datum::Scalar(count as f64),
    ])
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// ½w² + C Σ [ln(1 + e^z) − y z], z = w x + b (the intercept not penalised).
fn objective(x: &[f64], y: &[f64], c: f64, w: f64, b: f64) -> f64 {
    let loss: f64 = x
        .iter()
        .zip(y)
        .map(|(xi, yi)| {
            let z = w * xi + b;
            // ln(1 + e^z) without overflow.
            z.max(0.0) + (-z.abs()).exp().ln_1p() - yi * z
        })
        .sum();
    0.5 * w * w + c * loss
}

fn logistic(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let c = d[2].scalar();
    let (x, y) = pairs(d, "logistic regression", 2)?;
    if y.iter().any(|&v| v != 0.0 && v != 1.0) {
        return Err(Refusal::new(
            "the classes y must be 0 or 1",
            "类别 y 必须为 0 或 1",
        ));
    }
    let ones = y.iter().filter(|&&v| v == 1.0).count();
    if ones == 0 || ones == y.len() {
        return Err(Refusal::new(
            "both classes must occur",
            "两个类别都必须出现",
        ));
    }
    // Newton's method with step halving: the objective is strictly convex in (w, b).
    let (mut w, mut b) = (0.0f64, 0.0f64);
    let mut f = objective(&x, &y, c, w, b);
    for _ in 0..200 {
        let (mut gw, mut gb, mut hww, mut hwb, mut hbb) = (w, 0.0, 1.0, 0.0, 0.0);
        for (xi, yi) in x.iter().zip(&y) {
            let p = sigmoid(w * xi + b);
            let r = c * (p - yi);
            let h = c * p * (1.0 - p);
            gw += r * xi;
            gb += r;
            hww += h * xi * xi;
            hwb += h * xi;
            hbb += h;
        }
        let Some(step) = solve(vec![vec![hww, hwb], vec![hwb, hbb]], vec![gw, gb]) else {
            break;
        };
        let mut t = 1.0;
        let mut next = objective(&x, &y, c, w - t * step[0], b - t * step[1]);
        while next > f && t > 1e-12 {
            t /= 2.0;
            next = objective(&x, &y, c, w - t * step[0], b - t * step[1]);
        }
        if next > f {
            break;
        }
        w -= t * step[0];
        b -= t * step[1];
        let done = (t * step[0]).abs() <= 1e-15 * w.abs().max(1.0)
            && (t * step[1]).abs() <= 1e-15 * b.abs().max(1.0);
        f = next;
        if done {
            break;
        }
    }
    let prob = d[0]
        .series()
        .iter()
        .map(|v| {
            if v.is_finite() {
                sigmoid(w * v + b)
            } else {
                f64::NAN
            }
        })
        .collect();
    Ok(vec![
        Datum::Scalar(w),
        Datum::Scalar(b),
        Datum::Series(prob),
    ])
}

/// ln Σ e^vᵢ without overflow.
fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

fn log_normal(x: f64, mean: f64, var: f64) -> f64 {
    -0.5 * ((2.0 * std::f64::consts::PI).ln() + var.ln() + (x - mean) * (x - mean) / var)
}

fn gaussian_mixture(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (k, max_iter, tol) = (whole(d[1].scalar()), whole(d[2].scalar()), d[3].scalar());
    const REG: f64 = 1e-6;
    let x = present(all);
    if x.len() < 2 * k {
        return Err(too_few("a Gaussian mixture", 2 * k));
    }
    let s = sorted(&x);
    // Start: means at the (i + ½)/k quantiles, the overall variance, equal weights.
    let mut means: Vec<f64> = (0..k)
        .map(|i| quantile(&s, (i as f64 + 0.5) / k as f64))
        .collect();
    let v0 = variance(&x, 0.0) + REG;
    let mut vars = vec![v0; k];
    let mut weights = vec![1.0 / k as f64; k];
    let n = x.len();
    let mut resp = vec![0.0; n * k];
    let mut row = vec![0.0; k];
    let mut lower = f64::NEG_INFINITY;
    let mut iterations = 0;
    let e_step =
        |means: &[f64], vars: &[f64], weights: &[f64], resp: &mut [f64], row: &mut [f64]| {
            let mut total = 0.0;
            for (i, &xi) in x.iter().enumerate() {
                for j in 0..k {
                    row[j] = weights[j].ln() + log_normal(xi, means[j], vars[j]);
                }
                let norm = log_sum_exp(row);
                total += norm;
                for j in 0..k {
                    resp[i * k + j] = (row[j] - norm).exp();
                }
            }
            total / n as f64
        };
    for _ in 0..max_iter.max(1) {
        iterations += 1;
        let prev = lower;
        lower = e_step(&means, &vars, &weights, &mut resp, &mut row);
        // M step (scikit-learn's: 10 ε added to each weight sum, reg_covar to variances).
        for j in 0..k {
            let nk: f64 = (0..n).map(|i| resp[i * k + j]).sum::<f64>() + 10.0 * f64::EPSILON;
            let m = (0..n).map(|i| resp[i * k + j] * x[i]).sum::<f64>() / nk;
            let v = (0..n)
                .map(|i| resp[i * k + j] * (x[i] - m) * (x[i] - m))
                .sum::<f64>()
                / nk
                + REG;
            means[j] = m;
            vars[j] = v;
            weights[j] = nk;
        }
        let wsum: f64 = weights.iter().sum();
        for w in &mut weights {
            *w /= wsum;
        }
        if (lower - prev).abs() < tol {
            break;
        }
    }
    // A last E step, so the labels agree with the parameters returned.
    e_step(&means, &vars, &weights, &mut resp, &mut row);
    let labels: Vec<f64> = (0..n)
        .map(|i| {
            (0..k).fold(0, |b, j| {
                if resp[i * k + j] > resp[i * k + b] {
                    j
                } else {
                    b
                }
            }) as f64
        })
        .collect();
    let mut it = labels.iter();
    let lab = all
        .iter()
        .map(|v| {
            if v.is_finite() {
                it.next().copied().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect();
    Ok(vec![
        Datum::Series(means),
        Datum::Series(vars.iter().map(|v| v.sqrt()).collect()),
        Datum::Series(weights),
        Datum::Series(lab),
        Datum::Scalar(lower),
        Datum::Scalar(iterations as f64),
    ])
}

fn gaussian_nb(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = pairs(d, "the naive Bayes classifier", 2)?;
    let query = d[2].series();
    let mut classes: Vec<f64> = y.clone();
    classes.sort_by(f64::total_cmp);
    classes.dedup();
    // Variances smoothed by 10⁻⁹ of the largest feature variance (scikit-learn's).
    let eps = 1e-9 * variance(&x, 0.0);
    let stats: Vec<(f64, f64, f64)> = classes
        .iter()
        .map(|c| {
            let v: Vec<f64> = x
                .iter()
                .zip(&y)
                .filter(|(_, b)| *b == c)
                .map(|(a, _)| *a)
                .collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / v.len() as f64 + eps;
            ((v.len() as f64 / x.len() as f64).ln(), m, var)
        })
        .collect();
    if stats.iter().any(|s| s.2.is_nan() || s.2 <= 0.0) {
        return Err(Refusal::new(
            "every class needs values that vary (or another class that does)",
            "每个类别的值都需要有变化（或其他类别有变化）",
        ));
    }
    let mut joint = vec![0.0; classes.len()];
    let (mut pred, mut prob) = (
        Vec::with_capacity(query.len()),
        Vec::with_capacity(query.len()),
    );
    for &q in query {
        if !q.is_finite() {
            pred.push(f64::NAN);
            prob.push(f64::NAN);
            continue;
        }
        for (j, &(lp, m, v)) in stats.iter().enumerate() {
            joint[j] = lp + log_normal(q, m, v);
        }
        let norm = log_sum_exp(&joint);
        let best = (0..classes.len()).fold(0, |b, j| if joint[j] > joint[b] { j } else { b });
        pred.push(classes[best]);
        prob.push((joint[best] - norm).exp());
    }
    Ok(vec![Datum::Series(pred), Datum::Series(prob)])
}

const SKLEARN: &str =
    "Pedregosa, F. et al. (2011), Scikit-learn: machine learning in Python, JMLR 12:2825–2830";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "anomaly.isolation_forest",
            Text::new("Isolation forest", "孤立森林"),
            Text::new(
                "Scores how easily each value is isolated by random splits: rare values are isolated in few steps. Randomised; the seed makes it repeatable.",
                "按随机划分孤立各值的难易程度打分：罕见值只需很少几步即被孤立。算法含随机性，给定种子可复现。",
            ),
            &[
                X,
                Port::new("trees", "Trees", "树的数量", "", 1.0, 10_000.0).default(100.0),
                Port::new(
                    "sample_size",
                    "Values per tree ψ",
                    "每棵树的样本数 ψ",
                    "",
                    2.0,
                    100_000.0,
                )
                .default(256.0),
                Port::new(
                    "seed",
                    "Random seed",
                    "随机种子",
                    "",
                    0.0,
                    9.007_199_254_740_991e15,
                )
                .default(0.0),
                Port::new("threshold", "Score threshold", "得分阈值", "", 0.0, 1.0).default(0.5),
            ],
            &[
                Port::series(
                    "score",
                    "Anomaly score s (0 … 1)",
                    "异常得分 s（0 … 1）",
                    "",
                ),
                Port::series("flags", "Outlier (1) or not (0)", "是否异常（1/0）", ""),
                Port::out("count", "Outliers", "异常个数", ""),
            ],
            Text::new(
                "Each tree: ψ values drawn without replacement, split at a uniform random point between the node's extremes down to depth ⌈log₂ ψ⌉; h(x) = depth + c(leaf size); s = 2^(−mean h / c(ψ)), c(n) = 2(ln(n − 1) + γ) − 2(n − 1)/n (as sklearn.ensemble.IsolationForest's score_samples, negated; the test run requires a ROC-AUC on labelled anomalies within 0.02 of scikit-learn's).",
                "每棵树：无放回抽取 ψ 个值，在节点极值之间均匀随机划分，直至深度 ⌈log₂ ψ⌉；h(x) = 深度 + c(叶节点样本数)；s = 2^(−平均 h / c(ψ))，c(n) = 2(ln(n − 1) + γ) − 2(n − 1)/n（同 sklearn.ensemble.IsolationForest 的 score_samples 取负；测试要求在带标签异常上的 ROC-AUC 不低于 scikit-learn 的 0.02 以上）。",
            ),
            &[
                Reference {
                    source: "Liu, F. T., Ting, K. M., Zhou, Z.-H. (2008), Isolation forest, Proc. IEEE ICDM, 413–422",
                    locator: "Algorithms 1–3, Eq. 2",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.ensemble.IsolationForest",
                },
            ],
        ),
        eval: Eval::Data(isolation_forest),
    },
    Model {
        card: algo(
            "classify.logistic",
            Text::new("Logistic regression (one feature)", "逻辑回归（单特征）"),
            Text::new(
                "Probability of a binary outcome (fail/pass, fault/no fault) from one measured value, with L2 regularisation.",
                "由一个测量值估计二元结果（不合格/合格、故障/正常）的概率，带 L2 正则化。",
            ),
            &[
                X,
                Port::series("y", "Class (0 or 1)", "类别（0 或 1）", ""),
                Port::new(
                    "c",
                    "Inverse regularisation C",
                    "正则化强度倒数 C",
                    "",
                    1e-6,
                    1e12,
                )
                .default(1.0),
            ],
            &[
                Port::out("coef", "Coefficient w", "系数 w", ""),
                Port::out("intercept", "Intercept b", "截距 b", ""),
                Port::series("probability", "P(y = 1 | x)", "P(y = 1 | x)", ""),
            ],
            Text::new(
                "min ½w² + C Σ[ln(1 + e^(wx + b)) − y(wx + b)] by Newton's method (the intercept not penalised); p = 1/(1 + e^−(wx + b)) (sklearn.linear_model.LogisticRegression, lbfgs, L2).",
                "以牛顿法求 min ½w² + C Σ[ln(1 + e^(wx + b)) − y(wx + b)]（截距不加惩罚）；p = 1/(1 + e^−(wx + b))（sklearn.linear_model.LogisticRegression，lbfgs，L2）。",
            ),
            &[
                Reference {
                    source: "Hastie, T., Tibshirani, R., Friedman, J., The Elements of Statistical Learning, 2nd ed., Springer, 2009",
                    locator: "§4.4, logistic regression",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.linear_model.LogisticRegression",
                },
            ],
        ),
        eval: Eval::Data(logistic),
    },
    Model {
        card: algo(
            "cluster.gaussian_mixture",
            Text::new(
                "Gaussian mixture of values (EM)",
                "数值的高斯混合模型（EM）",
            ),
            Text::new(
                "Models a series' values as k overlapping normal populations (operating modes, product grades): their means, spreads and shares, and each value's most likely one.",
                "将序列的值建模为 k 个相互重叠的正态总体（运行工况、产品等级）：各总体的均值、离散度与占比，以及各值最可能所属的总体。",
            ),
            &[
                X,
                Port::new("k", "Components k", "分量数 k", "", 1.0, 100.0).default(2.0),
                Port::new(
                    "max_iter",
                    "Most iterations",
                    "最大迭代次数",
                    "",
                    1.0,
                    100_000.0,
                )
                .default(100.0),
                Port::new(
                    "tol",
                    "Tolerance on the mean log-likelihood",
                    "平均对数似然的收敛容差",
                    "",
                    0.0,
                    1.0,
                )
                .default(1e-3),
            ],
            &[
                Port::series("means", "Means", "均值", ""),
                Port::series("sds", "Standard deviations", "标准差", ""),
                Port::series("weights", "Weights", "权重", ""),
                Port::series("labels", "Most likely component", "最可能的分量", ""),
                Port::out("log_likelihood", "Mean log-likelihood", "平均对数似然", ""),
                Port::out("iterations", "Iterations", "迭代次数", ""),
            ],
            Text::new(
                "EM from means at the (i + ½)/k quantiles, the overall variance and equal weights: E step rᵢⱼ ∝ wⱼ N(xᵢ | μⱼ, σⱼ²); M step nⱼ = Σrᵢⱼ + 10ε, μⱼ = Σrᵢⱼxᵢ/nⱼ, σⱼ² = Σrᵢⱼ(xᵢ − μⱼ)²/nⱼ + 10⁻⁶, wⱼ = nⱼ/Σn; until the mean log-likelihood changes by less than tol (sklearn.mixture.GaussianMixture with those initial values).",
                "EM 从 (i + ½)/k 分位数处的均值、总体方差与相等权重开始：E 步 rᵢⱼ ∝ wⱼ N(xᵢ | μⱼ, σⱼ²)；M 步 nⱼ = Σrᵢⱼ + 10ε，μⱼ = Σrᵢⱼxᵢ/nⱼ，σⱼ² = Σrᵢⱼ(xᵢ − μⱼ)²/nⱼ + 10⁻⁶，wⱼ = nⱼ/Σn；直至平均对数似然的变化小于 tol（sklearn.mixture.GaussianMixture，取上述初值）。",
            ),
            &[
                Reference {
                    source: "Dempster, A. P., Laird, N. M., Rubin, D. B. (1977), Maximum likelihood from incomplete data via the EM algorithm, JRSS B 39(1):1–38",
                    locator: "",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.mixture.GaussianMixture",
                },
            ],
        ),
        eval: Eval::Data(gaussian_mixture),
    },
    Model {
        card: algo(
            "classify.gaussian_nb",
            Text::new(
                "Gaussian naive Bayes classifier (one feature)",
                "高斯朴素贝叶斯分类（单特征）",
            ),
            Text::new(
                "Learns each class's normal distribution of a measured value from labelled examples and classifies new values (e.g. a good/worn tool from a vibration level).",
                "由带标签样本学习各类别下测量值的正态分布，并对新值分类（例如由振动水平判别刀具完好或磨损）。",
            ),
            &[
                X,
                Port::series("y", "Class of each example", "各样本的类别", ""),
                Port::series("query", "Values to classify", "待分类的值", ""),
            ],
            &[
                Port::series("class", "Predicted class", "预测类别", ""),
                Port::series("probability", "Its posterior probability", "其后验概率", ""),
            ],
            Text::new(
                "P(c | x) ∝ (n_c/n) N(x | x̄_c, s_c² + 10⁻⁹ max var) with s_c² over n_c; the class of largest posterior (sklearn.naive_bayes.GaussianNB).",
                "P(c | x) ∝ (n_c/n) N(x | x̄_c, s_c² + 10⁻⁹ max var)，s_c² 除以 n_c；取后验最大的类别（sklearn.naive_bayes.GaussianNB）。",
            ),
            &[
                Reference {
                    source: "Hastie, T., Tibshirani, R., Friedman, J., The Elements of Statistical Learning, 2nd ed., Springer, 2009",
                    locator: "§6.6.3, naive Bayes classifiers",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.naive_bayes.GaussianNB",
                },
            ],
        ),
        eval: Eval::Data(gaussian_nb),
    },
];
