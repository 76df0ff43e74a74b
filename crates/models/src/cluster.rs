//! Clustering of a series' values (operating modes, load levels, product grades): k-means
//! from quantile starting centres, DBSCAN and Ward's hierarchical clustering, with
//! scikit-learn's and scipy's conventions (named on each card) so the test run can compare
//! labels and merge heights exactly.

use crate::algorithms::{X, algo, present, quantile, sorted, too_few};
use crate::numeric::whole;
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// Labels laid back over the series: gaps stay gaps.
fn spread(all: &[f64], labels: &[f64]) -> Vec<f64> {
    let mut it = labels.iter();
    all.iter()
        .map(|v| {
            if v.is_finite() {
                it.next().copied().unwrap_or(f64::NAN)
            } else {
                f64::NAN
            }
        })
        .collect()
}

fn kmeans(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (k, max_iter) = (whole(d[1].scalar()), whole(d[2].scalar()));
    let x = present(all);
    let s = sorted(&x);
    let distinct = 1 + s.windows(2).filter(|w| w[1] != w[0]).count();
    if x.is_empty() || distinct < k {
        return Err(Refusal::new(
            format!("{k} clusters need at least {k} distinct values"),
            format!("{k} 个簇至少需要 {k} 个不同的值"),
        ));
    }
    // Starting centres at the quantiles (i + ½)/k: deterministic and spread over the data.
    let mut centres: Vec<f64> = (0..k)
        .map(|i| quantile(&s, (i as f64 + 0.5) / k as f64))
        .collect();
    let mut labels = vec![usize::MAX; x.len()];
    let mut iterations = 0;
    for _ in 0..max_iter.max(1) {
        iterations += 1;
        // Nearest centre; equal distances go to the lower index.
        let mut changed = false;
        for (l, &v) in labels.iter_mut().zip(&x) {
            let mut best = 0;
            let mut bd = f64::INFINITY;
            for (j, c) in centres.iter().enumerate() {
                let dd = (v - c) * (v - c);
                if dd < bd {
                    bd = dd;
                    best = j;
                }
            }
            changed |= *l != best;
            *l = best;
        }
        let mut sum = vec![0.0; k];
        let mut count = vec![0usize; k];
        for (&l, &v) in labels.iter().zip(&x) {
            sum[l] += v;
            count[l] += 1;
        }
        if count.contains(&0) {
            return Err(Refusal::new(
                "a cluster lost all its values: try fewer clusters",
                "某个簇失去了全部值：请减少簇数",
            ));
        }
        let next: Vec<f64> = sum.iter().zip(&count).map(|(s, &c)| s / c as f64).collect();
        let moved = next != centres;
        centres = next;
        if !changed && !moved {
            break;
        }
    }
    let inertia: f64 = labels
        .iter()
        .zip(&x)
        .map(|(&l, v)| (v - centres[l]) * (v - centres[l]))
        .sum();
    let lab: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
    Ok(vec![
        Datum::Series(spread(all, &lab)),
        Datum::Series(centres),
        Datum::Scalar(inertia),
        Datum::Scalar(iterations as f64),
    ])
}

fn dbscan(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let (eps, min_samples) = (d[1].scalar(), whole(d[2].scalar()));
    let x = present(all);
    if x.is_empty() {
        return Err(too_few("DBSCAN", 1));
    }
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let v: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    // Neighbours within eps (the point itself included) form a run in sorted order.
    let mut core = vec![false; n];
    let (mut lo, mut hi) = (0usize, 0usize);
    for i in 0..n {
        while v[i] - v[lo] > eps {
            lo += 1;
        }
        while hi + 1 < n && v[hi + 1] - v[i] <= eps {
            hi += 1;
        }
        core[i] = hi + 1 - lo >= min_samples;
    }
    // In one dimension a cluster is a run of core points, each within eps of the next.
    let mut run = vec![usize::MAX; n];
    let mut runs = 0;
    let mut prev: Option<usize> = None;
    for i in (0..n).filter(|&i| core[i]) {
        if prev.is_none_or(|p| v[i] - v[p] > eps) {
            runs += 1;
        }
        run[i] = runs - 1;
        prev = Some(i);
    }
    // scikit-learn numbers clusters by their first core point in the input order.
    let mut first = vec![usize::MAX; runs];
    for (s, &o) in order.iter().enumerate() {
        if core[s] {
            first[run[s]] = first[run[s]].min(o);
        }
    }
    let mut by_first: Vec<usize> = (0..runs).collect();
    by_first.sort_by_key(|&r| first[r]);
    let mut number = vec![0usize; runs];
    for (label, &r) in by_first.iter().enumerate() {
        number[r] = label;
    }
    let mut labels = vec![-1.0; n];
    let mut left_core: Option<usize> = None;
    let mut right_core = vec![None; n];
    let mut next_core = None;
    for i in (0..n).rev() {
        if core[i] {
            next_core = Some(i);
        }
        right_core[i] = next_core;
    }
    for s in 0..n {
        if core[s] {
            left_core = Some(s);
            labels[order[s]] = number[run[s]] as f64;
            continue;
        }
        // A border point joins the first-numbered cluster with a core point within eps.
        let near = [left_core, right_core[s]]
            .into_iter()
            .flatten()
            .filter(|&c| (v[c] - v[s]).abs() <= eps)
            .map(|c| number[run[c]])
            .min();
        if let Some(label) = near {
            labels[order[s]] = label as f64;
        }
    }
    let noise = labels.iter().filter(|&&l| l < 0.0).count();
    Ok(vec![
        Datum::Series(spread(all, &labels)),
        Datum::Scalar(runs as f64),
        Datum::Scalar(noise as f64),
    ])
}

fn ward(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = present(d[0].series());
    let n = x.len();
    if n < 2 {
        return Err(too_few("hierarchical clustering", 2));
    }
    if n > 2000 {
        return Err(Refusal::new(
            "hierarchical clustering keeps all pairwise distances: at most 2000 values",
            "层次聚类需保存全部两两距离：最多 2000 个值",
        ));
    }
    // The nearest-neighbour chain with the Lance–Williams update for Ward's method on a
    // full distance matrix (scipy.cluster.hierarchy.linkage, method="ward").
    let mut dist: Vec<f64> = Vec::with_capacity(n * n);
    for a in &x {
        dist.extend(x.iter().map(|b| (a - b).abs()));
    }
    let mut size = vec![1.0f64; n];
    let mut alive = vec![true; n];
    let mut heights = Vec::with_capacity(n - 1);
    let mut chain: Vec<usize> = Vec::new();
    while heights.len() < n - 1 {
        if chain.is_empty() {
            chain.push((0..n).find(|&i| alive[i]).unwrap_or(0));
        }
        loop {
            let a = chain[chain.len() - 1];
            let prev = if chain.len() > 1 {
                Some(chain[chain.len() - 2])
            } else {
                None
            };
            // Nearest neighbour of a; the previous link wins ties so the chain ends.
            let mut best = prev.unwrap_or(usize::MAX);
            let mut bd = prev.map_or(f64::INFINITY, |p| dist[a * n + p]);
            for j in 0..n {
                if alive[j] && j != a && dist[a * n + j] < bd {
                    bd = dist[a * n + j];
                    best = j;
                }
            }
            if Some(best) == prev {
                break;
            }
            chain.push(best);
        }
        let a = chain.pop().unwrap_or(0);
        let b = chain.pop().unwrap_or(0);
        let dab = dist[a * n + b];
        heights.push(dab);
        let (na, nb) = (size[a], size[b]);
        for k in 0..n {
            if alive[k] && k != a && k != b {
                let nk = size[k];
                let v = (((nk + na) * dist[a * n + k].powi(2)
                    + (nk + nb) * dist[b * n + k].powi(2)
                    - nk * dab * dab)
                    / (nk + na + nb))
                    .max(0.0)
                    .sqrt();
                dist[b * n + k] = v;
                dist[k * n + b] = v;
            }
        }
        alive[a] = false;
        size[b] = na + nb;
    }
    heights.sort_by(f64::total_cmp);
    Ok(vec![Datum::Series(heights)])
}

const SKLEARN: &str =
    "Pedregosa, F. et al. (2011), Scikit-learn: machine learning in Python, JMLR 12:2825–2830";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "cluster.kmeans",
            Text::new("k-means clustering of values", "数值的 k 均值聚类"),
            Text::new(
                "Groups a series' values into k levels (e.g. idle, part load, full load) around their means.",
                "将序列的值按均值分为 k 个水平（如空载、部分负荷、满负荷）。",
            ),
            &[
                X,
                Port::new("k", "Clusters k", "簇数 k", "", 1.0, 1000.0).default(3.0),
                Port::new(
                    "max_iter",
                    "Most iterations",
                    "最大迭代次数",
                    "",
                    1.0,
                    10_000.0,
                )
                .default(300.0),
            ],
            &[
                Port::series(
                    "labels",
                    "Cluster 0 … k − 1 (by centre, lowest first)",
                    "簇号 0 … k − 1（按中心从小到大）",
                    "",
                ),
                Port::series("centres", "Cluster centres", "簇中心", ""),
                Port::out(
                    "inertia",
                    "Σ squared distance to the centre",
                    "到中心的距离平方和",
                    "",
                ),
                Port::out("iterations", "Iterations", "迭代次数", ""),
            ],
            Text::new(
                "Lloyd's iterations from centres at the (i + ½)/k quantiles: assign each value to the nearest centre, move each centre to its values' mean, until nothing changes (sklearn.cluster.KMeans(init=those centres, n_init=1, algorithm=\"lloyd\")).",
                "从 (i + ½)/k 分位数处的初始中心开始 Lloyd 迭代：各值归入最近中心，中心移至其值的均值，直至不再变化（sklearn.cluster.KMeans(init=上述中心, n_init=1, algorithm=\"lloyd\")）。",
            ),
            &[
                Reference {
                    source: "Lloyd, S. P. (1982), Least squares quantization in PCM, IEEE Trans. Information Theory 28(2):129–137",
                    locator: "",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.cluster.KMeans",
                },
            ],
        ),
        eval: Eval::Data(kmeans),
    },
    Model {
        card: algo(
            "cluster.dbscan",
            Text::new("DBSCAN clustering of values", "数值的 DBSCAN 聚类"),
            Text::new(
                "Density-based clusters of a series' values with noise left unlabelled (−1), without choosing the number of clusters.",
                "基于密度对序列的值聚类，噪声标为 −1，无需事先给定簇数。",
            ),
            &[
                X,
                Port::new(
                    "eps",
                    "Neighbourhood radius ε",
                    "邻域半径 ε",
                    "",
                    0.0,
                    f64::INFINITY,
                )
                .default(0.5),
                Port::new(
                    "min_samples",
                    "Values for a core point (itself included)",
                    "核心点所需值数（含自身）",
                    "",
                    1.0,
                    100_000.0,
                )
                .default(5.0),
            ],
            &[
                Port::series("labels", "Cluster (−1: noise)", "簇号（−1：噪声）", ""),
                Port::out("clusters", "Clusters", "簇数", ""),
                Port::out("noise", "Noise values", "噪声值个数", ""),
            ],
            Text::new(
                "Core: at least min_samples values within ε; clusters: core points linked within ε, with the non-core values within ε of them; a border value joins the cluster found first, clusters numbered in order of their first core value (sklearn.cluster.DBSCAN).",
                "核心点：ε 内至少有 min_samples 个值；簇：ε 内相连的核心点及其 ε 内的非核心值；边界值归入最先找到的簇，簇按其首个核心值的顺序编号（sklearn.cluster.DBSCAN）。",
            ),
            &[
                Reference {
                    source: "Ester, M., Kriegel, H.-P., Sander, J., Xu, X. (1996), A density-based algorithm for discovering clusters in large spatial databases with noise, Proc. KDD-96, 226–231",
                    locator: "",
                },
                Reference {
                    source: SKLEARN,
                    locator: "sklearn.cluster.DBSCAN",
                },
            ],
        ),
        eval: Eval::Data(dbscan),
    },
    Model {
        card: algo(
            "cluster.ward_heights",
            Text::new(
                "Hierarchical clustering (Ward) merge heights",
                "层次聚类（Ward）合并高度",
            ),
            Text::new(
                "The heights at which Ward's agglomerative clustering merges a series' values, lowest first; a large jump shows a natural number of groups.",
                "Ward 凝聚聚类合并序列各值时的高度（从低到高）；高度的大跳跃指示自然的分组数。",
            ),
            &[X],
            &[Port::series("heights", "Merge heights", "合并高度", "")],
            Text::new(
                "Merge the pair with the smallest d; d(k, i∪j) = √(((n_k + n_i)d²_ki + (n_k + n_j)d²_kj − n_k d²_ij)/(n_k + n_i + n_j)) (Lance–Williams; scipy.cluster.hierarchy.linkage, method=\"ward\", column 2).",
                "合并 d 最小的一对；d(k, i∪j) = √(((n_k + n_i)d²_ki + (n_k + n_j)d²_kj − n_k d²_ij)/(n_k + n_i + n_j))（Lance–Williams 公式；scipy.cluster.hierarchy.linkage，method=\"ward\"，第 3 列）。",
            ),
            &[
                Reference {
                    source: "Ward, J. H. (1963), Hierarchical grouping to optimize an objective function, JASA 58(301):236–244",
                    locator: "",
                },
                Reference {
                    source: "Müllner, D. (2011), Modern hierarchical, agglomerative clustering algorithms, arXiv:1109.2378",
                    locator: "nearest-neighbour chain",
                },
            ],
        ),
        eval: Eval::Data(ward),
    },
];
