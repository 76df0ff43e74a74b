//! Scoring models and detectors: forecast and regression accuracy, binary classification
//! counts and scores, ROC-AUC and average precision, and the silhouette of a clustering,
//! with scikit-learn's definitions (named on each card) so the test run can compare them.

use crate::algorithms::{algo, pairs, ranks};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

fn accuracy(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (y, p) = pairs(d, "accuracy measures", 1)?;
    let n = y.len() as f64;
    let mae = y.iter().zip(&p).map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
    let mse = y
        .iter()
        .zip(&p)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / n;
    let mape = y
        .iter()
        .zip(&p)
        .map(|(a, b)| (a - b).abs() / a.abs().max(f64::EPSILON))
        .sum::<f64>()
        / n;
    let my = y.iter().sum::<f64>() / n;
    let ss_tot: f64 = y.iter().map(|a| (a - my) * (a - my)).sum();
    let ss_res = mse * n;
    // scikit-learn's finite convention for a constant truth: 1 when exact, else 0.
    let r2 = if ss_tot == 0.0 {
        if ss_res == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - ss_res / ss_tot
    };
    let max_error = y
        .iter()
        .zip(&p)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    Ok([mae, mse.sqrt(), mape, r2, max_error]
        .into_iter()
        .map(Datum::Scalar)
        .collect())
}

fn binary(v: &[f64]) -> Result<(), Refusal> {
    if v.iter().any(|&x| x != 0.0 && x != 1.0) {
        return Err(Refusal::new("labels must be 0 or 1", "标签必须为 0 或 1"));
    }
    Ok(())
}

fn classification(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (t, p) = pairs(d, "classification measures", 1)?;
    binary(&t)?;
    binary(&p)?;
    let (mut tp, mut fp, mut tn, mut fneg) = (0.0, 0.0, 0.0, 0.0);
    for (a, b) in t.iter().zip(&p) {
        match (*a == 1.0, *b == 1.0) {
            (true, true) => tp += 1.0,
            (false, true) => fp += 1.0,
            (false, false) => tn += 1.0,
            (true, false) => fneg += 1.0,
        }
    }
    // A ratio with nothing to count is 0 (scikit-learn's zero_division=0).
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let f1 = ratio(2.0 * tp, 2.0 * tp + fp + fneg);
    let acc = (tp + tn) / t.len() as f64;
    Ok([acc, precision, recall, f1, tp, fp, tn, fneg]
        .into_iter()
        .map(Datum::Scalar)
        .collect())
}

fn ranking(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (t, s) = pairs(d, "ROC-AUC", 2)?;
    binary(&t)?;
    let pos = t.iter().filter(|&&v| v == 1.0).count() as f64;
    let neg = t.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return Err(Refusal::new(
            "both classes must occur",
            "两个类别都必须出现",
        ));
    }
    // ROC-AUC: the Mann–Whitney statistic (ties count half).
    let r = ranks(&s);
    let rank_sum: f64 = r
        .iter()
        .zip(&t)
        .filter(|(_, l)| **l == 1.0)
        .map(|(v, _)| v)
        .sum();
    let auc = (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg);
    // Average precision: Σ (Rₖ − Rₖ₋₁) Pₖ over the distinct scores, highest first.
    let mut order: Vec<usize> = (0..s.len()).collect();
    order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
    let (mut tp, mut seen, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && s[order[j]] == s[order[i]] {
            tp += t[order[j]];
            seen += 1.0;
            j += 1;
        }
        let recall = tp / pos;
        ap += (recall - last_recall) * (tp / seen);
        last_recall = recall;
        i = j;
    }
    Ok(vec![Datum::Scalar(auc), Datum::Scalar(ap)])
}

fn silhouette(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, l) = pairs(d, "the silhouette", 2)?;
    let mut labels: Vec<f64> = l.clone();
    labels.sort_by(f64::total_cmp);
    labels.dedup();
    let k = labels.len();
    if k < 2 || k >= x.len() {
        return Err(Refusal::new(
            "the silhouette needs between 2 and n − 1 clusters",
            "轮廓系数需要 2 到 n − 1 个簇",
        ));
    }
    // Per cluster: its sorted values and their prefix sums, so the total distance from
    // any value to a cluster takes one binary search (O(n k log n) in all).
    let groups: Vec<(Vec<f64>, Vec<f64>)> = labels
        .iter()
        .map(|c| {
            let mut v: Vec<f64> = x
                .iter()
                .zip(&l)
                .filter(|(_, b)| *b == c)
                .map(|(a, _)| *a)
                .collect();
            v.sort_by(f64::total_cmp);
            let mut pre = Vec::with_capacity(v.len() + 1);
            pre.push(0.0);
            for a in &v {
                pre.push(pre[pre.len() - 1] + a);
            }
            (v, pre)
        })
        .collect();
    let total = |g: &(Vec<f64>, Vec<f64>), v: f64| {
        let (vals, pre) = g;
        let m = vals.partition_point(|a| *a < v);
        let below = m as f64 * v - pre[m];
        let above = (pre[vals.len()] - pre[m]) - (vals.len() - m) as f64 * v;
        below + above
    };
    let mut sum = 0.0;
    for (v, c) in x.iter().zip(&l) {
        let own = labels.partition_point(|a| a < c);
        let size = groups[own].0.len();
        if size == 1 {
            continue;
        }
        let a = total(&groups[own], *v) / (size - 1) as f64;
        let b = (0..k)
            .filter(|&j| j != own)
            .map(|j| total(&groups[j], *v) / groups[j].0.len() as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            sum += (b - a) / m;
        }
    }
    Ok(vec![Datum::Scalar(sum / x.len() as f64)])
}

const SKLEARN: &str =
    "Pedregosa, F. et al. (2011), Scikit-learn: machine learning in Python, JMLR 12:2825–2830";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "forecast.accuracy",
            Text::new("Forecast and regression accuracy", "预测与回归精度"),
            Text::new(
                "How far predictions are from what happened: mean absolute error, root mean square error, mean absolute percentage error, R² and the largest error.",
                "预测与实际的偏差：平均绝对误差、均方根误差、平均绝对百分比误差、R² 与最大误差。",
            ),
            &[
                Port::series("actual", "Actual values", "实际值", ""),
                Port::series("predicted", "Predicted values", "预测值", ""),
            ],
            &[
                Port::out("mae", "MAE", "MAE", ""),
                Port::out("rmse", "RMSE", "RMSE", ""),
                Port::out("mape", "MAPE (a fraction)", "MAPE（比例）", ""),
                Port::out("r2", "R²", "R²", ""),
                Port::out("max_error", "Largest absolute error", "最大绝对误差", ""),
            ],
            Text::new(
                "MAE = Σ|y − ŷ|/n; RMSE = √(Σ(y − ŷ)²/n); MAPE = Σ|y − ŷ|/max(|y|, ε)/n; R² = 1 − Σ(y − ŷ)²/Σ(y − ȳ)² (sklearn.metrics mean_absolute_error, root_mean_squared_error, mean_absolute_percentage_error, r2_score, max_error).",
                "MAE = Σ|y − ŷ|/n；RMSE = √(Σ(y − ŷ)²/n)；MAPE = Σ|y − ŷ|/max(|y|, ε)/n；R² = 1 − Σ(y − ŷ)²/Σ(y − ȳ)²（sklearn.metrics 的 mean_absolute_error、root_mean_squared_error、mean_absolute_percentage_error、r2_score、max_error）。",
            ),
            &[
                Reference {
                    source: "Hyndman, R. J., Koehler, A. B. (2006), Another look at measures of forecast accuracy, International J. Forecasting 22(4):679–688",
                    locator: "",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.metrics (regression metrics)",
                },
            ],
        ),
        eval: Eval::Data(accuracy),
    },
    Model {
        card: algo(
            "classify.metrics",
            Text::new("Binary classification measures", "二分类评价指标"),
            Text::new(
                "How well alarms or a classifier match the truth: accuracy, precision, recall, F1 and the confusion counts.",
                "报警或分类器与真实情况的吻合程度：准确率、精确率、召回率、F1 与混淆矩阵计数。",
            ),
            &[
                Port::series("truth", "True class (0/1)", "真实类别（0/1）", ""),
                Port::series("predicted", "Predicted class (0/1)", "预测类别（0/1）", ""),
            ],
            &[
                Port::out("accuracy", "Accuracy", "准确率", ""),
                Port::out("precision", "Precision", "精确率", ""),
                Port::out("recall", "Recall", "召回率", ""),
                Port::out("f1", "F1", "F1", ""),
                Port::out("tp", "True positives", "真阳性", ""),
                Port::out("fp", "False positives", "假阳性", ""),
                Port::out("tn", "True negatives", "真阴性", ""),
                Port::out("fn", "False negatives", "假阴性", ""),
            ],
            Text::new(
                "precision = TP/(TP + FP), recall = TP/(TP + FN), F1 = 2TP/(2TP + FP + FN), accuracy = (TP + TN)/n; 0 where nothing is counted (sklearn.metrics, zero_division=0).",
                "精确率 = TP/(TP + FP)，召回率 = TP/(TP + FN)，F1 = 2TP/(2TP + FP + FN)，准确率 = (TP + TN)/n；无可计数时为 0（sklearn.metrics，zero_division=0）。",
            ),
            &[
                Reference {
                    source: "Fawcett, T. (2006), An introduction to ROC analysis, Pattern Recognition Letters 27(8):861–874",
                    locator: "§2",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.metrics (classification metrics)",
                },
            ],
        ),
        eval: Eval::Data(classification),
    },
    Model {
        card: algo(
            "classify.roc_auc",
            Text::new("ROC-AUC and average precision", "ROC-AUC 与平均精确率"),
            Text::new(
                "How well a score (an anomaly score, a failure probability) ranks the true positives above the negatives, at every threshold at once.",
                "得分（异常得分、失效概率）在所有阈值下将真阳性排在阴性之前的能力。",
            ),
            &[
                Port::series("truth", "True class (0/1)", "真实类别（0/1）", ""),
                Port::series(
                    "score",
                    "Score (higher: more likely 1)",
                    "得分（越高越可能为 1）",
                    "",
                ),
            ],
            &[
                Port::out("auc", "Area under the ROC curve", "ROC 曲线下面积", ""),
                Port::out("average_precision", "Average precision", "平均精确率", ""),
            ],
            Text::new(
                "AUC = (R₊ − n₊(n₊ + 1)/2)/(n₊n₋), R₊ the positives' rank sum with mid-ranks (sklearn.metrics.roc_auc_score); AP = Σ (Rₖ − Rₖ₋₁) Pₖ over the distinct scores (sklearn.metrics.average_precision_score).",
                "AUC = (R₊ − n₊(n₊ + 1)/2)/(n₊n₋)，R₊ 为正例的秩和（平均秩）（sklearn.metrics.roc_auc_score）；AP = Σ (Rₖ − Rₖ₋₁) Pₖ，按不同得分求和（sklearn.metrics.average_precision_score）。",
            ),
            &[
                Reference {
                    source: "Fawcett, T. (2006), An introduction to ROC analysis, Pattern Recognition Letters 27(8):861–874",
                    locator: "§7, area under the ROC curve",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.metrics.roc_auc_score, average_precision_score",
                },
            ],
        ),
        eval: Eval::Data(ranking),
    },
    Model {
        card: algo(
            "cluster.silhouette",
            Text::new("Silhouette of a clustering", "聚类轮廓系数"),
            Text::new(
                "How well values sit in their clusters (near 1) rather than between them (near 0 or below), to compare clusterings or choose their number.",
                "各值归属其簇的程度（接近 1）或位于簇间（接近 0 或为负），用于比较聚类或选择簇数。",
            ),
            &[
                Port::series("x", "Values", "数据", ""),
                Port::series("labels", "Cluster labels", "簇标签", ""),
            ],
            &[Port::out(
                "silhouette",
                "Mean silhouette",
                "平均轮廓系数",
                "",
            )],
            Text::new(
                "s = (b − a)/max(a, b), a the mean distance to the rest of its cluster, b the least mean distance to another cluster; 0 for a cluster of one; averaged (sklearn.metrics.silhouette_score), by sorted prefix sums in O(n k log n).",
                "s = (b − a)/max(a, b)，a 为到本簇其余值的平均距离，b 为到其他簇平均距离的最小值；单元素簇为 0；取平均（sklearn.metrics.silhouette_score），以排序前缀和在 O(n k log n) 内求得。",
            ),
            &[
                Reference {
                    source: "Rousseeuw, P. J. (1987), Silhouettes: a graphical aid to the interpretation and validation of cluster analysis, J. Computational and Applied Mathematics 20:53–65",
                    locator: "",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.metrics.silhouette_score",
                },
            ],
        ),
        eval: Eval::Data(silhouette),
    },
];
