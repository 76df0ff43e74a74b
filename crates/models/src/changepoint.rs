//! Change-point detection with the least-squares (L2) segment cost: PELT with a penalty,
//! binary segmentation and the exact dynamic programme for a given number of changes,
//! following ruptures' conventions (breakpoints as the end of each segment, the last one
//! the series' length; a minimum segment length) so the test run can compare the
//! breakpoints exactly.

use crate::algorithms::{X, algo};
use crate::numeric::{no_gaps, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

/// The cost Σ(x − x̄)² of any segment in O(1) from prefix sums (of the series less its
/// overall mean, which keeps the sums small).
struct L2 {
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl L2 {
    fn new(x: &[f64]) -> L2 {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let mut s1 = Vec::with_capacity(x.len() + 1);
        let mut s2 = Vec::with_capacity(x.len() + 1);
        let (mut a, mut b) = (0.0, 0.0);
        s1.push(0.0);
        s2.push(0.0);
        for v in x {
            let c = v - m;
            a += c;
            b += c * c;
            s1.push(a);
            s2.push(b);
        }
        L2 { s1, s2 }
    }

    fn cost(&self, start: usize, end: usize) -> f64 {
        let n = (end - start) as f64;
        let s = self.s1[end] - self.s1[start];
        (self.s2[end] - self.s2[start] - s * s / n).max(0.0)
    }
}

fn too_short(what: &str) -> Refusal {
    Refusal::new(
        format!("the series is too short for {what} with this minimum segment length"),
        format!("对{what}而言，序列相对最小段长过短"),
    )
}

/// Breakpoints, number of changes, the segment means laid over the series and the total
/// cost.
fn result(x: &[f64], cost: &L2, bkps: &[usize]) -> Vec<Datum> {
    let mut fit = Vec::with_capacity(x.len());
    let mut start = 0;
    let mut total = 0.0;
    for &end in bkps {
        let m = x[start..end].iter().sum::<f64>() / (end - start) as f64;
        fit.extend(std::iter::repeat_n(m, end - start));
        total += cost.cost(start, end);
        start = end;
    }
    vec![
        Datum::Series(bkps.iter().map(|&b| b as f64).collect()),
        Datum::Scalar((bkps.len() - 1) as f64),
        Datum::Series(fit),
        Datum::Scalar(total),
    ]
}

fn pelt(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (pen, min) = (d[1].scalar(), whole(d[2].scalar()).max(1));
    no_gaps(x, "change-point detection", 2)?;
    let n = x.len();
    if min > n {
        return Err(too_short("PELT"));
    }
    let cost = L2::new(x);
    // f[t]: the least penalised cost of x[0..t]; last[t]: where its last segment starts.
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = 0.0;
    let mut admissible: Vec<usize> = Vec::new();
    let ends = (min..n).chain(std::iter::once(n));
    for end in ends {
        admissible.push(end - min);
        let mut best = f64::INFINITY;
        let mut arg = 0;
        let mut cand: Vec<(usize, f64)> = Vec::with_capacity(admissible.len());
        for &t in &admissible {
            // Starts 1 … min − 1 have no partition of x[0..t] (as in ruptures).
            if t != 0 && t < min {
                continue;
            }
            let v = f[t] + (cost.cost(t, end) + pen);
            cand.push((t, v));
            if v < best {
                best = v;
                arg = t;
            }
        }
        f[end] = best;
        last[end] = arg;
        admissible = cand
            .into_iter()
            .filter(|&(_, v)| v <= best + pen)
            .map(|(t, _)| t)
            .collect();
    }
    let mut bkps = vec![n];
    let mut t = last[n];
    while t > 0 {
        bkps.push(t);
        t = last[t];
    }
    bkps.reverse();
    Ok(result(x, &cost, &bkps))
}

/// ruptures' sanity check: room for `k` changes of at least `min` values each.
fn room(n: usize, k: usize, min: usize) -> bool {
    k <= n && k * min + min <= n
}

fn binseg(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (k, min) = (whole(d[1].scalar()), whole(d[2].scalar()).max(1));
    no_gaps(x, "change-point detection", 2)?;
    let n = x.len();
    if !room(n, k, min) {
        return Err(too_short("binary segmentation"));
    }
    let cost = L2::new(x);
    // The best single split of each segment, kept until the segment is split.
    let split = |start: usize, end: usize| -> Option<(usize, f64)> {
        let whole = cost.cost(start, end);
        let mut best: Option<(usize, f64)> = None;
        for b in start + min..=end.saturating_sub(min) {
            let gain = whole - cost.cost(start, b) - cost.cost(b, end);
            // Ties go to the later breakpoint (ruptures takes the max of (gain, bkp)).
            if best.is_none_or(|(_, g)| gain >= g) {
                best = Some((b, gain));
            }
        }
        best
    };
    let mut bkps = vec![n];
    let mut cache: Vec<Option<(usize, f64)>> = vec![split(0, n)];
    while bkps.len() - 1 < k {
        // The segment whose split gains most (the first of equals).
        let mut pick: Option<(usize, usize, f64)> = None;
        for (i, c) in cache.iter().enumerate() {
            let gain = c.map_or(0.0, |(_, g)| g);
            if pick.is_none_or(|(_, _, g)| gain > g) {
                pick = Some((i, c.map_or(usize::MAX, |(b, _)| b), gain));
            }
        }
        let Some((i, b, _)) = pick.filter(|p| p.1 != usize::MAX) else {
            break;
        };
        let start = if i == 0 { 0 } else { bkps[i - 1] };
        let end = bkps[i];
        bkps.insert(i, b);
        cache[i] = split(b, end);
        cache.insert(i, split(start, b));
    }
    Ok(result(x, &cost, &bkps))
}

fn dynp(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (k, min) = (whole(d[1].scalar()), whole(d[2].scalar()).max(1));
    no_gaps(x, "change-point detection", 2)?;
    let n = x.len();
    if !room(n, k, min) {
        return Err(too_short("the exact segmentation"));
    }
    if (k as f64 + 1.0) * (n as f64) * (n as f64) > 4e9 {
        return Err(Refusal::new(
            "the exact segmentation costs (changes + 1) × n²: too many values for this number of changes",
            "精确分段的计算量为 (变点数 + 1) × n²：对此变点数而言数据过多",
        ));
    }
    let cost = L2::new(x);
    // f[j][t]: least cost of x[0..t] in j + 1 segments; arg[j][t]: the last start.
    let mut f = vec![vec![f64::INFINITY; n + 1]; k + 1];
    let mut arg = vec![vec![0usize; n + 1]; k + 1];
    for (t, v) in f[0].iter_mut().enumerate().skip(1) {
        *v = cost.cost(0, t);
    }
    for j in 1..=k {
        let (done, rest) = f.split_at_mut(j);
        let (prev, cur) = (&done[j - 1], &mut rest[0]);
        for t in (j + 1) * min..=n {
            let (mut best, mut at) = (f64::INFINITY, 0);
            for (b, fb) in prev.iter().enumerate().take(t - min + 1).skip(j * min) {
                let v = fb + cost.cost(b, t);
                if v < best {
                    best = v;
                    at = b;
                }
            }
            cur[t] = best;
            arg[j][t] = at;
        }
    }
    let mut bkps = vec![n];
    let mut t = n;
    for j in (1..=k).rev() {
        t = arg[j][t];
        bkps.push(t);
    }
    bkps.reverse();
    Ok(result(x, &cost, &bkps))
}

const MIN_SIZE: Port =
    Port::new("min_size", "Shortest segment", "最短段长", "", 1.0, 1e6).default(2.0);
const CHANGES: Port =
    Port::new("changes", "Number of changes", "变点数", "", 0.0, 1000.0).default(1.0);
const OUTPUTS: &[Port] = &[
    Port::series(
        "breakpoints",
        "End of each segment (the last is n)",
        "各段终点（最后一个为 n）",
        "",
    ),
    Port::out("count", "Changes found", "检出的变点数", ""),
    Port::series("fit", "Segment means", "分段均值", ""),
    Port::out(
        "cost",
        "Total Σ(x − segment mean)²",
        "总误差 Σ(x − 段均值)²",
        "",
    ),
];
const TRUONG: Reference = Reference {
    source: "Truong, C., Oudre, L., Vayatis, N. (2020), Selective review of offline change point detection methods, Signal Processing 167:107299",
    locator: "§4.1.1 (cost L2); ruptures",
};

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "changepoint.pelt",
            Text::new(
                "Change points by PELT (mean shifts)",
                "PELT 变点检测（均值突变）",
            ),
            Text::new(
                "Splits a series where its level shifts, e.g. after a setpoint change, a tool change or a sensor fault; the penalty sets how large a shift counts.",
                "在序列水平发生突变处（如设定值变化、换刀或传感器故障后）分段；惩罚项决定多大的突变计为变点。",
            ),
            &[
                X,
                Port::new(
                    "penalty",
                    "Penalty per change",
                    "每个变点的惩罚",
                    "",
                    0.0,
                    f64::INFINITY,
                )
                .default(10.0),
                MIN_SIZE,
            ],
            OUTPUTS,
            Text::new(
                "min Σ_segments Σ(x − x̄_seg)² + β·(changes) by pruned exact search: F(t) = min_s F(s) + C(s, t) + β, dropping s when F(s) + C(s, t) > F(t) (ruptures.Pelt(model=\"l2\", jump=1)).",
                "以剪枝精确搜索求 min Σ_段 Σ(x − 段均值)² + β·变点数：F(t) = min_s F(s) + C(s, t) + β，F(s) + C(s, t) > F(t) 时剪去 s（ruptures.Pelt(model=\"l2\", jump=1)）。",
            ),
            &[
                Reference {
                    source: "Killick, R., Fearnhead, P., Eckley, I. A. (2012), Optimal detection of changepoints with a linear computational cost, JASA 107(500):1590–1598",
                    locator: "Algorithm 2",
                },
                TRUONG,
            ],
        ),
        eval: Eval::Data(pelt),
    },
    Model {
        card: algo(
            "changepoint.binary_segmentation",
            Text::new("Change points by binary segmentation", "二分法变点检测"),
            Text::new(
                "Finds a given number of level shifts greedily: the best single split, then the best split of the resulting segments, and so on.",
                "贪心地找出给定个数的水平突变：先找最佳单一分割，再在所得各段中找最佳分割，依此类推。",
            ),
            &[X, CHANGES, MIN_SIZE],
            OUTPUTS,
            Text::new(
                "Repeatedly split the segment and point with the largest gain C(s, e) − C(s, b) − C(b, e), C the L2 cost (ruptures.Binseg(model=\"l2\", jump=1)).",
                "反复在增益 C(s, e) − C(s, b) − C(b, e) 最大的段与位置处分割，C 为 L2 代价（ruptures.Binseg(model=\"l2\", jump=1)）。",
            ),
            &[
                Reference {
                    source: "Scott, A. J., Knott, M. (1974), A cluster analysis method for grouping means in the analysis of variance, Biometrics 30(3):507–512",
                    locator: "",
                },
                TRUONG,
            ],
        ),
        eval: Eval::Data(binseg),
    },
    Model {
        card: algo(
            "changepoint.optimal",
            Text::new(
                "Optimal segmentation (dynamic programming)",
                "最优分段（动态规划）",
            ),
            Text::new(
                "The exact least-squares segmentation into a given number of constant-level segments.",
                "按给定段数求最小二乘意义下精确最优的分段常值拟合。",
            ),
            &[X, CHANGES, MIN_SIZE],
            OUTPUTS,
            Text::new(
                "F_j(t) = min_b F_{j−1}(b) + C(b, t) over segments of at least the minimum length, C the L2 cost (ruptures.Dynp(model=\"l2\", jump=1)).",
                "F_j(t) = min_b F_{j−1}(b) + C(b, t)，各段不短于最小长度，C 为 L2 代价（ruptures.Dynp(model=\"l2\", jump=1)）。",
            ),
            &[
                Reference {
                    source: "Bellman, R. (1961), On the approximation of curves by line segments using dynamic programming, Communications of the ACM 4(6):284",
                    locator: "",
                },
                TRUONG,
            ],
        ),
        eval: Eval::Data(dynp),
    },
];
