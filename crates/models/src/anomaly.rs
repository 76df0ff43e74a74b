//! Anomaly detection over series (gaps as NaN): the Hampel filter, the robust (modified)
//! z-score, a rolling z-score, Grubbs' test, Rosner's generalized ESD and the local
//! outlier factor, each with the convention of the implementation the test run compares
//! it with (named on its card).

use crate::algorithms::{X, algo, mean, present, too_few, variance};
use crate::numeric::{t_isf, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// The consistency constant of the MAD for normal data, 1/Φ⁻¹(3/4).
const MAD_NORMAL: f64 = 1.482_602_218_505_602;

fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return hi;
    }
    let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo + hi) / 2.0
}

fn hampel(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (h, k) = (whole(d[1].scalar()), d[2].scalar());
    let n = x.len();
    let mut flags = Vec::with_capacity(n);
    let mut cleaned = Vec::with_capacity(n);
    let mut count = 0usize;
    let mut buf = Vec::with_capacity(2 * h + 1);
    for i in 0..n {
        if !x[i].is_finite() {
            flags.push(f64::NAN);
            cleaned.push(f64::NAN);
            continue;
        }
        buf.clear();
        buf.extend(
            x[i.saturating_sub(h)..(i + h + 1).min(n)]
                .iter()
                .copied()
                .filter(|v| v.is_finite()),
        );
        let med = median_in_place(&mut buf);
        for v in &mut buf {
            *v = (*v - med).abs();
        }
        let mad = median_in_place(&mut buf);
        if (x[i] - med).abs() > k * MAD_NORMAL * mad {
            count += 1;
            flags.push(1.0);
            cleaned.push(med);
        } else {
            flags.push(0.0);
            cleaned.push(x[i]);
        }
    }
    Ok(vec![
        Datum::Series(flags),
        Datum::Scalar(count as f64),
        Datum::Series(cleaned),
    ])
}

fn modified_z(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let k = d[1].scalar();
    let mut x = present(all);
    if x.len() < 3 {
        return Err(too_few("the modified z-score", 3));
    }
    let med = median_in_place(&mut x);
    for v in &mut x {
        *v = (*v - med).abs();
    }
    let mad = median_in_place(&mut x);
    if mad == 0.0 {
        return Err(Refusal::new(
            "more than half the values are equal: the MAD is 0 and the score undefined",
            "超过一半的值相同：MAD 为 0，分数无定义",
        ));
    }
    let z: Vec<f64> = all.iter().map(|v| (v - med) / (MAD_NORMAL * mad)).collect();
    let flags: Vec<f64> = z
        .iter()
        .map(|v| {
            if v.is_finite() {
                f64::from(u8::from(v.abs() > k))
            } else {
                f64::NAN
            }
        })
        .collect();
    let count = flags.iter().filter(|v| **v == 1.0).count();
    Ok(vec![
        Datum::Series(z),
        Datum::Series(flags),
        Datum::Scalar(count as f64),
        Datum::Scalar(med),
        Datum::Scalar(mad),
    ])
}

fn rolling_z(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (w, k) = (whole(d[1].scalar()), d[2].scalar());
    let n = x.len();
    // Welford's mean and squared deviations over the w values before each point.
    let (mut cnt, mut m, mut ss, mut gaps) = (0usize, 0.0f64, 0.0f64, 0usize);
    let mut z = Vec::with_capacity(n);
    for i in 0..n {
        let ready = i >= w && gaps == 0 && cnt >= 2;
        let zi = if ready && x[i].is_finite() {
            let s = (ss.max(0.0) / (cnt - 1) as f64).sqrt();
            (x[i] - m) / s
        } else {
            f64::NAN
        };
        z.push(zi);
        // x[i] enters the window of the next point; x[i − w] leaves it.
        if x[i].is_finite() {
            cnt += 1;
            let delta = x[i] - m;
            m += delta / cnt as f64;
            ss += delta * (x[i] - m);
        } else {
            gaps += 1;
        }
        if i >= w {
            let v = x[i - w];
            if v.is_finite() {
                cnt -= 1;
                if cnt == 0 {
                    (m, ss) = (0.0, 0.0);
                } else {
                    let delta = v - m;
                    m -= delta / cnt as f64;
                    ss -= delta * (v - m);
                }
            } else {
                gaps -= 1;
            }
        }
    }
    let flags: Vec<f64> = z
        .iter()
        .map(|v| {
            if v.is_finite() {
                f64::from(u8::from(v.abs() > k))
            } else {
                f64::NAN
            }
        })
        .collect();
    let count = flags.iter().filter(|v| **v == 1.0).count();
    Ok(vec![
        Datum::Series(z),
        Datum::Series(flags),
        Datum::Scalar(count as f64),
    ])
}

/// The two-sided Grubbs critical value for n values at level α.
fn grubbs_critical(n: f64, alpha: f64) -> f64 {
    let t = t_isf(alpha / (2.0 * n), n - 2.0);
    (n - 1.0) / n.sqrt() * (t * t / (n - 2.0 + t * t)).sqrt()
}

fn grubbs(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let alpha = d[1].scalar();
    let x = present(all);
    if x.len() < 3 {
        return Err(too_few("Grubbs' test", 3));
    }
    let (m, s) = (mean(&x), variance(&x, 1.0).sqrt());
    if s == 0.0 {
        return Err(Refusal::new(
            "all values are equal: there is no outlier to test",
            "所有值相同：没有可检验的异常值",
        ));
    }
    let (idx, dev) = all
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| (i, (v - m).abs()))
        .fold((0, -1.0), |b, c| if c.1 > b.1 { c } else { b });
    let g = dev / s;
    let crit = grubbs_critical(x.len() as f64, alpha);
    Ok(vec![
        Datum::Scalar(g),
        Datum::Scalar(crit),
        Datum::Scalar(idx as f64),
        Datum::Scalar(f64::from(u8::from(g > crit))),
    ])
}

fn generalized_esd(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (r, alpha) = (whole(d[1].scalar()), d[2].scalar());
    let mut idx: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_finite()).collect();
    let n = idx.len();
    if r == 0 || n < r + 3 {
        return Err(Refusal::new(
            format!(
                "testing for {r} outliers needs at least {} values present",
                r + 3
            ),
            format!("检验 {r} 个异常值至少需要 {} 个有效值", r + 3),
        ));
    }
    let (mut stat, mut crit, mut removed) = (
        Vec::with_capacity(r),
        Vec::with_capacity(r),
        Vec::with_capacity(r),
    );
    for i in 1..=r {
        let vals: Vec<f64> = idx.iter().map(|&j| all[j]).collect();
        let (m, s) = (mean(&vals), variance(&vals, 1.0).sqrt());
        let (pos, dev) = vals
            .iter()
            .enumerate()
            .map(|(p, v)| (p, (v - m).abs()))
            .fold((0, -1.0), |b, c| if c.1 > b.1 { c } else { b });
        stat.push(if s > 0.0 { dev / s } else { 0.0 });
        let nf = n as f64;
        let i = i as f64;
        let t = t_isf(alpha / (2.0 * (nf - i + 1.0)), nf - i - 1.0);
        crit.push((nf - i) * t / ((nf - i - 1.0 + t * t) * (nf - i + 1.0)).sqrt());
        removed.push(idx.remove(pos));
    }
    let outliers = (0..r)
        .rev()
        .find(|&i| stat[i] > crit[i])
        .map_or(0, |i| i + 1);
    let mut flags: Vec<f64> = all
        .iter()
        .map(|v| if v.is_finite() { 0.0 } else { f64::NAN })
        .collect();
    for &j in &removed[..outliers] {
        flags[j] = 1.0;
    }
    Ok(vec![
        Datum::Series(flags),
        Datum::Scalar(outliers as f64),
        Datum::Series(stat),
        Datum::Series(crit),
    ])
}

fn lof(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (k, threshold) = (whole(d[1].scalar()), d[2].scalar());
    let pos: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_finite()).collect();
    let n = pos.len();
    if n < 3 {
        return Err(too_few("the local outlier factor", 3));
    }
    let k = k.min(n - 1);
    // In one dimension the k nearest neighbours of a point lie within k places of it in
    // sorted order: two pointers collect them.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| all[pos[a]].total_cmp(&all[pos[b]]));
    let v: Vec<f64> = order.iter().map(|&o| all[pos[o]]).collect();
    let mut neigh = vec![0usize; n * k];
    let mut dist = vec![0.0f64; n * k];
    for i in 0..n {
        let (mut lo, mut hi) = (i, i + 1);
        for j in 0..k {
            let left = if lo > 0 {
                v[i] - v[lo - 1]
            } else {
                f64::INFINITY
            };
            let right = if hi < n { v[hi] - v[i] } else { f64::INFINITY };
            let (nb, dd) = if left <= right {
                lo -= 1;
                (lo, left)
            } else {
                hi += 1;
                (hi - 1, right)
            };
            neigh[i * k + j] = nb;
            dist[i * k + j] = dd;
        }
    }
    let kdist = |i: usize| dist[i * k + k - 1];
    let lrd: Vec<f64> = (0..n)
        .map(|i| {
            let reach: f64 = (0..k)
                .map(|j| dist[i * k + j].max(kdist(neigh[i * k + j])))
                .sum();
            1.0 / (reach / k as f64 + 1e-10)
        })
        .collect();
    let mut score = vec![f64::NAN; all.len()];
    let mut flags: Vec<f64> = all
        .iter()
        .map(|v| if v.is_finite() { 0.0 } else { f64::NAN })
        .collect();
    let mut count = 0usize;
    for i in 0..n {
        let s = (0..k).map(|j| lrd[neigh[i * k + j]]).sum::<f64>() / k as f64 / lrd[i];
        let at = pos[order[i]];
        score[at] = s;
        if s > threshold {
            flags[at] = 1.0;
            count += 1;
        }
    }
    Ok(vec![
        Datum::Series(score),
        Datum::Series(flags),
        Datum::Scalar(count as f64),
    ])
}

fn seasonal_residual(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (m, k) = (whole(d[1].scalar()), d[2].scalar());
    let (_, _, resid) = crate::timeseries::classical(x, m)?;
    let mut r: Vec<f64> = resid.iter().copied().filter(|v| v.is_finite()).collect();
    let med = median_in_place(&mut r);
    for v in &mut r {
        *v = (*v - med).abs();
    }
    let mad = median_in_place(&mut r) * MAD_NORMAL;
    if mad == 0.0 {
        return Err(Refusal::new(
            "the residuals do not vary: the robust score is undefined",
            "残差没有变化：稳健分数无定义",
        ));
    }
    let z: Vec<f64> = resid.iter().map(|v| (v - med) / mad).collect();
    let flags: Vec<f64> = z
        .iter()
        .map(|v| {
            if v.is_finite() {
                f64::from(u8::from(v.abs() > k))
            } else {
                f64::NAN
            }
        })
        .collect();
    let count = flags.iter().filter(|v| **v == 1.0).count();
    Ok(vec![
        Datum::Series(z),
        Datum::Series(flags),
        Datum::Scalar(count as f64),
    ])
}

const FLAGS: Port = Port::series("flags", "Outlier (1) or not (0)", "是否异常（1/0）", "");
const COUNT: Port = Port::out("count", "Outliers", "异常个数", "");
const ALPHA: Port = Port::new(
    "alpha",
    "Significance level α",
    "显著性水平 α",
    "",
    1e-6,
    0.5,
)
.default(0.05);
const NIST: &str = "NIST/SEMATECH e-Handbook of Statistical Methods (2012)";
const HAMPEL_REF: &str = "Pearson, R. K., Neuvo, Y., Astola, J., Gabbouj, M. (2016), Generalized Hampel filters, EURASIP J. Advances in Signal Processing 2016:87";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "anomaly.hampel",
            Text::new("Hampel filter", "Hampel 滤波"),
            Text::new(
                "Flags values far from the median of their centred window, measured in robust standard deviations (MAD), and replaces them by that median.",
                "标记偏离其中心窗口中位数过远（以 MAD 稳健标准差计）的值，并以该中位数替换。",
            ),
            &[
                X,
                Port::new(
                    "half_window",
                    "Half window h",
                    "半窗口 h",
                    "",
                    1.0,
                    10_000.0,
                )
                .default(3.0),
                Port::new("k", "Threshold k", "阈值 k", "", 0.0, 100.0).default(3.0),
            ],
            &[
                FLAGS,
                COUNT,
                Port::series("y", "Cleaned series", "清洗后序列", ""),
            ],
            Text::new(
                "m = median of the present x_{i−h} … x_{i+h} (cut at the ends), MAD = median|x − m| there; outlier when |xᵢ − m| > k · 1.4826 · MAD (pandas rolling(2h + 1, center=True, min_periods=1) median and MAD).",
                "m 为 x_{i−h} … x_{i+h} 中有效值的中位数（两端截断），MAD 为其中 |x − m| 的中位数；|xᵢ − m| > k · 1.4826 · MAD 时为异常（pandas rolling(2h + 1, center=True, min_periods=1) 的中位数与 MAD）。",
            ),
            &[
                Reference {
                    source: HAMPEL_REF,
                    locator: "§2, Eq. 4–6",
                },
                Reference {
                    source: "Hampel, F. R. (1974), The influence curve and its role in robust estimation, JASA 69(346):383–393",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(hampel),
    },
    Model {
        card: algo(
            "anomaly.modified_zscore",
            Text::new(
                "Modified z-score (median and MAD)",
                "修正 z 分数（中位数与 MAD）",
            ),
            Text::new(
                "A z-score from the median and the median absolute deviation, which outliers themselves cannot mask.",
                "以中位数与中位数绝对偏差计算的 z 分数，不会被异常值本身掩盖。",
            ),
            &[
                X,
                Port::new("k", "Threshold", "阈值", "", 0.0, 100.0).default(3.5),
            ],
            &[
                Port::series("z", "Modified z-score", "修正 z 分数", ""),
                FLAGS,
                COUNT,
                Port::out("median", "Median", "中位数", ""),
                Port::out("mad", "Median absolute deviation", "中位数绝对偏差", ""),
            ],
            Text::new(
                "Mᵢ = (xᵢ − x̃)/(1.4826 MAD), MAD = median|x − x̃| (scipy.stats.median_abs_deviation, scale=\"normal\"); outlier when |Mᵢ| > k.",
                "Mᵢ = (xᵢ − x̃)/(1.4826 MAD)，MAD = median|x − x̃|（scipy.stats.median_abs_deviation，scale=\"normal\"）；|Mᵢ| > k 时为异常。",
            ),
            &[Reference {
                source: "Iglewicz, B., Hoaglin, D. C., How to Detect and Handle Outliers, ASQC Quality Press, 1993",
                locator: "§3.1, modified z-scores",
            }],
        ),
        eval: Eval::Data(modified_z),
    },
    Model {
        card: algo(
            "anomaly.rolling_zscore",
            Text::new("Rolling z-score", "滚动 z 分数"),
            Text::new(
                "Scores each value against the mean and standard deviation of the w values before it, so a slowly moving baseline is followed.",
                "以各值之前 w 个值的均值与标准差为其打分，从而跟随缓慢变化的基线。",
            ),
            &[
                X,
                Port::new("window", "Window length", "窗口长度", "", 2.0, 100_000.0).default(30.0),
                Port::new("k", "Threshold", "阈值", "", 0.0, 100.0).default(3.0),
            ],
            &[Port::series("z", "z-score", "z 分数", ""), FLAGS, COUNT],
            Text::new(
                "zᵢ = (xᵢ − mean(x_{i−w} … x_{i−1}))/std(x_{i−w} … x_{i−1}) (n − 1), a gap while the window has one (pandas rolling(w).mean()/.std() shifted by one); outlier when |zᵢ| > k.",
                "zᵢ = (xᵢ − mean(x_{i−w} … x_{i−1}))/std(x_{i−w} … x_{i−1})（n − 1），窗口含缺失时为缺失（pandas rolling(w).mean()/.std() 后移一位）；|zᵢ| > k 时为异常。",
            ),
            &[Reference {
                source: NIST,
                locator: "§6.3.2.4, moving-window control statistics",
            }],
        ),
        eval: Eval::Data(rolling_z),
    },
    Model {
        card: algo(
            "anomaly.grubbs",
            Text::new("Grubbs' test", "Grubbs 检验"),
            Text::new(
                "Tests whether the value farthest from the mean of normally distributed data is an outlier (two-sided).",
                "检验正态数据中离均值最远的值是否为异常值（双侧）。",
            ),
            &[X, ALPHA],
            &[
                Port::out("g", "Statistic G", "统计量 G", ""),
                Port::out("critical", "Critical value", "临界值", ""),
                Port::out("index", "Index of the suspect value", "可疑值位置", ""),
                Port::out("outlier", "Outlier (1) or not (0)", "是否异常（1/0）", ""),
            ],
            Text::new(
                "G = max|xᵢ − x̄|/s; G_crit = (n − 1)/√n · √(t²/(n − 2 + t²)), t the upper α/(2n) point of Student's t with n − 2 d.o.f.",
                "G = max|xᵢ − x̄|/s；G_crit = (n − 1)/√n · √(t²/(n − 2 + t²))，t 为自由度 n − 2 的 t 分布上 α/(2n) 分位点。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§1.3.5.17.1, Grubbs' test for outliers",
                },
                Reference {
                    source: "Grubbs, F. E. (1969), Procedures for detecting outlying observations in samples, Technometrics 11(1):1–21",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(grubbs),
    },
    Model {
        card: algo(
            "anomaly.generalized_esd",
            Text::new("Generalized ESD test (Rosner)", "广义 ESD 检验（Rosner）"),
            Text::new(
                "Finds up to r outliers in normally distributed data, one at a time, without the masking of a single Grubbs test.",
                "在正态数据中逐个找出至多 r 个异常值，避免单次 Grubbs 检验的掩盖效应。",
            ),
            &[
                X,
                Port::new(
                    "max_outliers",
                    "Most outliers r",
                    "最多异常数 r",
                    "",
                    1.0,
                    10_000.0,
                )
                .default(10.0),
                ALPHA,
            ],
            &[
                FLAGS,
                COUNT,
                Port::series("r", "Statistics R₁ … R_r", "统计量 R₁ … R_r", ""),
                Port::series("lambda", "Critical values λ₁ … λ_r", "临界值 λ₁ … λ_r", ""),
            ],
            Text::new(
                "Rᵢ = max|x − x̄|/s over the values left after removing the i − 1 most extreme; λᵢ = (n − i) t_{p,n−i−1}/√((n − i − 1 + t²)(n − i + 1)), p = 1 − α/(2(n − i + 1)); outliers: the i most extreme for the largest i with Rᵢ > λᵢ.",
                "Rᵢ = 去掉 i − 1 个最极端值后的 max|x − x̄|/s；λᵢ = (n − i) t_{p,n−i−1}/√((n − i − 1 + t²)(n − i + 1))，p = 1 − α/(2(n − i + 1))；异常值为满足 Rᵢ > λᵢ 的最大 i 对应的 i 个最极端值。",
            ),
            &[
                Reference {
                    source: NIST,
                    locator: "§1.3.5.17.3, generalized ESD test",
                },
                Reference {
                    source: "Rosner, B. (1983), Percentage points for a generalized ESD many-outlier procedure, Technometrics 25(2):165–172",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(generalized_esd),
    },
    Model {
        card: algo(
            "anomaly.lof",
            Text::new("Local outlier factor", "局部离群因子"),
            Text::new(
                "Density-based outlier score of each value against its k nearest neighbours: about 1 inside a cluster, larger for isolated values.",
                "各值相对其 k 个最近邻的基于密度的离群得分：簇内约为 1，孤立值更大。",
            ),
            &[
                X,
                Port::new("k", "Neighbours k", "近邻数 k", "", 1.0, 1000.0).default(20.0),
                Port::new("threshold", "Threshold", "阈值", "", 0.0, f64::INFINITY).default(1.5),
            ],
            &[
                Port::series("lof", "Local outlier factor", "局部离群因子", ""),
                FLAGS,
                COUNT,
            ],
            Text::new(
                "reach(a, b) = max(d(a, b), k-distance(b)); lrd(a) = 1/(mean reach(a, ·) over its k neighbours + 10⁻¹⁰); LOF(a) = mean lrd(neighbours)/lrd(a) (sklearn.neighbors.LocalOutlierFactor, −negative_outlier_factor_); outlier when LOF > threshold.",
                "reach(a, b) = max(d(a, b), b 的 k 距离)；lrd(a) = 1/(a 的 k 个近邻上 reach 的均值 + 10⁻¹⁰)；LOF(a) = 近邻 lrd 均值/lrd(a)（sklearn.neighbors.LocalOutlierFactor 的 −negative_outlier_factor_）；LOF > 阈值时为异常。",
            ),
            &[Reference {
                source: "Breunig, M. M., Kriegel, H.-P., Ng, R. T., Sander, J. (2000), LOF: identifying density-based local outliers, Proc. ACM SIGMOD, 93–104",
                locator: "Definitions 3–7",
            }],
        ),
        eval: Eval::Data(lof),
    },
    Model {
        card: algo(
            "anomaly.seasonal_residual",
            Text::new("Seasonal residual outliers", "季节残差异常检测"),
            Text::new(
                "Flags values that break a daily or weekly pattern: the residual after removing trend and season, scored robustly.",
                "标记打破日、周规律的值：去除趋势与季节项后的残差，以稳健方式打分。",
            ),
            &[
                X,
                Port::new("period", "Period", "周期", "", 2.0, 100_000.0).default(24.0),
                Port::new("k", "Threshold", "阈值", "", 0.0, 100.0).default(3.5),
            ],
            &[
                Port::series("score", "Robust z of the residual", "残差的稳健 z 分数", ""),
                FLAGS,
                COUNT,
            ],
            Text::new(
                "r = x − trend − seasonal of the classical additive decomposition (as ts.seasonal_decompose; gaps at the ends); z = (r − median r)/(1.4826 MAD r); outlier when |z| > k (statsmodels seasonal_decompose, scipy.stats.median_abs_deviation).",
                "r = 经典加法分解（同 ts.seasonal_decompose，两端为缺失）的 x − 趋势 − 季节项；z = (r − median r)/(1.4826 MAD r)；|z| > k 时为异常（statsmodels seasonal_decompose，scipy.stats.median_abs_deviation）。",
            ),
            &[
                Reference {
                    source: "Hyndman, R. J., Athanasopoulos, G., Forecasting: Principles and Practice, 3rd ed., OTexts, 2021",
                    locator: "§3.4, classical decomposition; §5.3, residual diagnostics",
                },
                Reference {
                    source: "Iglewicz, B., Hoaglin, D. C., How to Detect and Handle Outliers, ASQC Quality Press, 1993",
                    locator: "§3.1",
                },
            ],
        ),
        eval: Eval::Data(seasonal_residual),
    },
];
