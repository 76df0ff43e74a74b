//! Repairing and reshaping series: filling gaps, resampling to a grid, rolling windows,
//! smoothing filters, differencing, scaling, percentiles and histograms. Each follows the
//! convention of the library the test run compares it with (numpy, scipy, pandas,
//! scikit-learn), named on its card.

use crate::algorithms::{X, algo, mean, present, quantile, sorted, too_few, variance};
use crate::numeric::{no_gaps, solve, whole};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

fn scalar(v: f64) -> Datum {
    Datum::Scalar(v)
}

fn interpolate(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let known: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_finite()).collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return Err(too_few("interpolation", 1));
    };
    let mut y = x.to_vec();
    y[..first].fill(x[first]);
    y[last + 1..].fill(x[last]);
    for w in known.windows(2) {
        let (a, b) = (w[0], w[1]);
        let slope = (x[b] - x[a]) / (b - a) as f64;
        for (i, v) in y.iter_mut().enumerate().take(b).skip(a + 1) {
            *v = x[a] + slope * (i - a) as f64;
        }
    }
    let filled = x.len() - known.len();
    Ok(vec![Datum::Series(y), scalar(filled as f64)])
}

fn forward_fill(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let mut last = f64::NAN;
    let mut filled = 0usize;
    let y = x
        .iter()
        .map(|&v| {
            if v.is_finite() {
                last = v;
            } else if last.is_finite() {
                filled += 1;
            }
            last
        })
        .collect();
    Ok(vec![Datum::Series(y), scalar(filled as f64)])
}

fn resample(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (t, x, step) = (d[0].series(), d[1].series(), d[2].scalar());
    if t.len() != x.len() {
        return Err(Refusal::new(
            "the times and the values must be as many",
            "时间与数值的个数必须相同",
        ));
    }
    if t.iter().any(|v| !v.is_finite()) {
        return Err(Refusal::new(
            "every value needs its time",
            "每个值都需要时间",
        ));
    }
    let lo = t.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let origin = (lo / step).floor() * step;
    let bins = ((hi - origin) / step).floor() + 1.0;
    if bins > ironloom_core::model::MAX_SERIES as f64 {
        return Err(Refusal::new(
            "the step is too small for the time span: more than a million intervals",
            "步长相对时间跨度过小：超过一百万个区间",
        ));
    }
    let bins = bins as usize;
    let (mut sum, mut count) = (vec![0.0; bins], vec![0usize; bins]);
    for (&ti, &xi) in t.iter().zip(x) {
        if xi.is_finite() {
            let k = (((ti - origin) / step).floor() as usize).min(bins - 1);
            sum[k] += xi;
            count[k] += 1;
        }
    }
    let grid = (0..bins).map(|k| origin + k as f64 * step).collect();
    let means = sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect();
    let counts = count.iter().map(|&c| c as f64).collect();
    Ok(vec![
        Datum::Series(grid),
        Datum::Series(means),
        Datum::Series(counts),
    ])
}

/// A running sum with Kahan's compensation, so values leaving the window do not leave
/// their rounding behind.
#[derive(Default)]
struct Kahan {
    sum: f64,
    c: f64,
}

impl Kahan {
    fn add(&mut self, v: f64) {
        let y = v - self.c;
        let t = self.sum + y;
        self.c = (t - self.sum) - y;
        self.sum = t;
    }
}

fn moving_average(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let w = whole(d[1].scalar());
    let mut acc = Kahan::default();
    let mut n = 0usize;
    let mut y = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if x[i].is_finite() {
            acc.add(x[i]);
            n += 1;
        }
        if i >= w && x[i - w].is_finite() {
            acc.add(-x[i - w]);
            n -= 1;
        }
        y.push(if n > 0 { acc.sum / n as f64 } else { f64::NAN });
    }
    Ok(vec![Datum::Series(y)])
}

fn rolling_std(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let w = whole(d[1].scalar());
    // Welford's mean and sum of squared deviations, updated as values enter and leave.
    let (mut n, mut m, mut ss) = (0usize, 0.0f64, 0.0f64);
    let mut y = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if x[i].is_finite() {
            n += 1;
            let delta = x[i] - m;
            m += delta / n as f64;
            ss += delta * (x[i] - m);
        }
        if i >= w && x[i - w].is_finite() {
            let v = x[i - w];
            n -= 1;
            if n == 0 {
                (m, ss) = (0.0, 0.0);
            } else {
                let delta = v - m;
                m -= delta / n as f64;
                ss -= delta * (v - m);
            }
        }
        y.push(if n >= 2 {
            (ss.max(0.0) / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        });
    }
    Ok(vec![Datum::Series(y)])
}

fn median_filter(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let w = whole(d[1].scalar());
    no_gaps(x, "the median filter", 1)?;
    if w.is_multiple_of(2) {
        return Err(Refusal::new(
            "the window must be odd, centred on each value",
            "窗口长度须为奇数，以各值为中心",
        ));
    }
    let h = w / 2;
    let n = x.len();
    let at = |i: isize| x[i.clamp(0, n as isize - 1) as usize];
    // The window kept sorted: one binary-search removal and insertion per step.
    let mut win: Vec<f64> = (-(h as isize)..=h as isize).map(at).collect();
    win.sort_by(f64::total_cmp);
    let mut y = Vec::with_capacity(n);
    for i in 0..n as isize {
        y.push(win[h]);
        let (out, inn) = (at(i - h as isize), at(i + h as isize + 1));
        let pos = win.partition_point(|v| v.total_cmp(&out).is_lt());
        win.remove(pos);
        let pos = win.partition_point(|v| v.total_cmp(&inn).is_lt());
        win.insert(pos, inn);
    }
    Ok(vec![Datum::Series(y)])
}

/// Least-squares polynomial of order `p` through the points (uᵢ, yᵢ), as coefficients
/// of 1, u, u², …; `None` when singular.
pub(crate) fn poly_fit(u: &[f64], y: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut gram = vec![vec![0.0; p + 1]; p + 1];
    let mut rhs = vec![0.0; p + 1];
    for (&ui, &yi) in u.iter().zip(y) {
        let mut pw = vec![1.0; 2 * p + 1];
        for k in 1..pw.len() {
            pw[k] = pw[k - 1] * ui;
        }
        for (r, row) in gram.iter_mut().enumerate() {
            for (c, g) in row.iter_mut().enumerate() {
                *g += pw[r + c];
            }
            rhs[r] += pw[r] * yi;
        }
    }
    solve(gram, rhs)
}

fn savgol(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (w, p) = (whole(d[1].scalar()), whole(d[2].scalar()));
    no_gaps(x, "the Savitzky–Golay filter", w)?;
    if w.is_multiple_of(2) || p >= w {
        return Err(Refusal::new(
            "the window must be odd and longer than the polynomial order",
            "窗口长度须为奇数且大于多项式阶数",
        ));
    }
    let h = (w / 2) as f64;
    // Positions scaled to [−1, 1] keep the normal equations well conditioned; the fitted
    // value at the centre does not depend on the scale.
    let u: Vec<f64> = (0..w).map(|j| (j as f64 - h) / h.max(1.0)).collect();
    let singular = || {
        Refusal::new(
            "the polynomial cannot be fitted in this window",
            "该窗口内无法拟合多项式",
        )
    };
    // Weights: the value at u = 0 of the fit to each unit impulse, c = e₀ᵀ (UᵀU)⁻¹ Uᵀ.
    let mut gram = vec![vec![0.0; p + 1]; p + 1];
    for &ui in &u {
        for (r, row) in gram.iter_mut().enumerate() {
            for (c, g) in row.iter_mut().enumerate() {
                *g += ui.powi((r + c) as i32);
            }
        }
    }
    let mut e0 = vec![0.0; p + 1];
    e0[0] = 1.0;
    let z = solve(gram, e0).ok_or_else(singular)?;
    let coef: Vec<f64> = u
        .iter()
        .map(|&ui| z.iter().rev().fold(0.0, |acc, zk| acc * ui + zk))
        .collect();
    let n = x.len();
    let mut y = vec![0.0; n];
    let hw = w / 2;
    for i in hw..n - hw {
        y[i] = coef
            .iter()
            .zip(&x[i - hw..=i + hw])
            .map(|(c, v)| c * v)
            .sum();
    }
    // The first and last half-windows: the polynomial fitted to the first and last whole
    // window, evaluated there (scipy's mode "interp").
    for (start, range) in [(0, 0..hw), (n - w, n - hw..n)] {
        let coeffs = poly_fit(&u, &x[start..start + w], p).ok_or_else(singular)?;
        for i in range {
            let ui = u[i - start];
            y[i] = coeffs.iter().rev().fold(0.0, |acc, c| acc * ui + c);
        }
    }
    Ok(vec![Datum::Series(y)])
}

fn difference(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let lag = whole(d[1].scalar());
    let y = (0..x.len())
        .map(|i| {
            if i >= lag {
                x[i] - x[i - lag]
            } else {
                f64::NAN
            }
        })
        .collect();
    Ok(vec![Datum::Series(y)])
}

fn zscore(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let ddof = d[1].scalar();
    let x = present(all);
    if x.len() < 2 {
        return Err(too_few("the z-score", 2));
    }
    let (m, s) = (mean(&x), variance(&x, ddof).sqrt());
    if s == 0.0 {
        return Err(Refusal::new(
            "all values are equal: the z-score is undefined",
            "所有值相同：z 分数无定义",
        ));
    }
    let y = all.iter().map(|v| (v - m) / s).collect();
    Ok(vec![Datum::Series(y), scalar(m), scalar(s)])
}

fn min_max(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let all = d[0].series();
    let x = present(all);
    if x.is_empty() {
        return Err(too_few("min–max scaling", 1));
    }
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // A constant series maps to 0 (scikit-learn's scale of 1 for a zero range).
    let range = if hi > lo { hi - lo } else { 1.0 };
    let y = all.iter().map(|v| (v - lo) / range).collect();
    Ok(vec![Datum::Series(y), scalar(lo), scalar(hi)])
}

fn percentile(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = present(d[0].series());
    if x.is_empty() {
        return Err(too_few("a percentile", 1));
    }
    let s = sorted(&x);
    Ok(vec![scalar(quantile(&s, d[1].scalar() / 100.0))])
}

fn histogram(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = present(d[0].series());
    let bins = whole(d[1].scalar());
    if x.is_empty() {
        return Err(too_few("a histogram", 1));
    }
    let mut lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo == hi {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let edges: Vec<f64> = (0..=bins)
        .map(|k| {
            if k == bins {
                hi
            } else {
                lo + k as f64 * ((hi - lo) / bins as f64)
            }
        })
        .collect();
    let mut counts = vec![0.0; bins];
    let norm = bins as f64 / (hi - lo);
    for v in x {
        // numpy's rule: the computed bin, corrected against the edges themselves.
        let mut k = (((v - lo) * norm) as usize).min(bins - 1);
        if v < edges[k] {
            k -= 1;
        } else if k + 1 < bins && v >= edges[k + 1] {
            k += 1;
        }
        counts[k] += 1.0;
    }
    Ok(vec![Datum::Series(edges), Datum::Series(counts)])
}

fn detrend(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let linear = d[1].scalar() == 1.0;
    no_gaps(x, "detrending", 2)?;
    let n = x.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = mean(x);
    let (slope, intercept) = if linear {
        let sxy: f64 = x
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 - mx) * (v - my))
            .sum();
        let sxx = n * (n * n - 1.0) / 12.0;
        let b = sxy / sxx;
        (b, my - b * mx)
    } else {
        (0.0, my)
    };
    let y = x
        .iter()
        .enumerate()
        .map(|(i, v)| v - intercept - slope * i as f64)
        .collect();
    Ok(vec![
        Datum::Series(y),
        Datum::Scalar(slope),
        Datum::Scalar(intercept),
    ])
}

const WINDOW: Port = Port::new("window", "Window length", "窗口长度", "", 1.0, 100_000.0);
const Y: Port = Port::series("y", "Result", "结果", "");
const FILLED: Port = Port::out("filled", "Gaps filled", "填补的缺失数", "");
const PANDAS: &str = "pandas 3 (McKinney, W. (2010), Data structures for statistical computing in Python, Proc. 9th Python in Science Conf.)";
const NUMPY: &str = "Harris, C. R. et al. (2020), Array programming with NumPy, Nature 585:357–362";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "repair.interpolate_linear",
            Text::new("Linear gap filling", "线性插值补缺"),
            Text::new(
                "Fills each gap on the straight line between the values either side; gaps at the ends take the nearest value.",
                "以两侧有效值间的直线填补缺失；两端的缺失取最近的有效值。",
            ),
            &[X],
            &[Y, FILLED],
            Text::new(
                "yᵢ = x_a + (x_b − x_a)(i − a)/(b − a) between present values at a < i < b (numpy.interp over the index).",
                "yᵢ = x_a + (x_b − x_a)(i − a)/(b − a)，a < i < b 为两侧有效值的位置（按序号的 numpy.interp）。",
            ),
            &[Reference {
                source: NUMPY,
                locator: "numpy.interp (piecewise linear, ends held constant)",
            }],
        ),
        eval: Eval::Data(interpolate),
    },
    Model {
        card: algo(
            "repair.forward_fill",
            Text::new("Forward fill", "前向填充"),
            Text::new(
                "Carries the last present value into the gaps after it (sample-and-hold); leading gaps stay.",
                "以最近的前一有效值填补其后的缺失（采样保持）；开头的缺失保留。",
            ),
            &[X],
            &[Y, FILLED],
            Text::new(
                "yᵢ = x_j with j the last index ≤ i where x is present (pandas Series.ffill).",
                "yᵢ = x_j，j 为不大于 i 的最后一个有效值位置（pandas Series.ffill）。",
            ),
            &[Reference {
                source: PANDAS,
                locator: "Series.ffill",
            }],
        ),
        eval: Eval::Data(forward_fill),
    },
    Model {
        card: algo(
            "repair.resample_mean",
            Text::new("Resample to a grid (mean)", "按等间隔重采样（均值）"),
            Text::new(
                "Averages irregularly timed values over intervals of a fixed step aligned to multiples of the step; empty intervals are gaps.",
                "将不等间隔的数据按固定步长（对齐到步长整数倍）分区间求均值；空区间为缺失。",
            ),
            &[
                Port::series("t", "Time", "时间", "s"),
                X,
                Port::new("step", "Step", "步长", "s", 1e-9, f64::INFINITY),
            ],
            &[
                Port::series("grid", "Interval start", "区间起点", "s"),
                Port::series("mean", "Mean in the interval", "区间均值", ""),
                Port::series("count", "Values in the interval", "区间内值的个数", ""),
            ],
            Text::new(
                "Interval k = ⌊(t − t₀)/Δ⌋ with t₀ = ⌊min t/Δ⌋Δ; mean of the present values in each [t₀ + kΔ, t₀ + (k+1)Δ) (scipy.stats.binned_statistic).",
                "区间 k = ⌊(t − t₀)/Δ⌋，t₀ = ⌊min t/Δ⌋Δ；各区间 [t₀ + kΔ, t₀ + (k+1)Δ) 内有效值的均值（scipy.stats.binned_statistic）。",
            ),
            &[Reference {
                source: "Virtanen, P. et al. (2020), SciPy 1.0: fundamental algorithms for scientific computing in Python, Nature Methods 17:261–272",
                locator: "scipy.stats.binned_statistic (statistic=\"mean\")",
            }],
        ),
        eval: Eval::Data(resample),
    },
    Model {
        card: algo(
            "filter.moving_average",
            Text::new("Moving average (trailing)", "滑动平均（尾随窗口）"),
            Text::new(
                "Mean of the present values among the last w, at every point.",
                "每一点取最近 w 个值中有效值的均值。",
            ),
            &[X, WINDOW.default(5.0)],
            &[Y],
            Text::new(
                "yᵢ = mean of the present x_{i−w+1} … xᵢ; a gap when none is present (pandas rolling(w, min_periods=1).mean()).",
                "yᵢ = x_{i−w+1} … xᵢ 中有效值的均值；全部缺失时为缺失（pandas rolling(w, min_periods=1).mean()）。",
            ),
            &[
                Reference {
                    source: "NIST/SEMATECH e-Handbook of Statistical Methods (2012)",
                    locator: "§6.4.2.1, single moving average",
                },
                Reference {
                    source: PANDAS,
                    locator: "Series.rolling(window, min_periods=1).mean()",
                },
            ],
        ),
        eval: Eval::Data(moving_average),
    },
    Model {
        card: algo(
            "filter.rolling_std",
            Text::new("Rolling standard deviation", "滚动标准差"),
            Text::new(
                "Sample standard deviation of the present values among the last w, at every point, for watching a signal's spread.",
                "每一点取最近 w 个值中有效值的样本标准差，用于监视信号波动。",
            ),
            &[X, WINDOW.default(10.0)],
            &[Y],
            Text::new(
                "yᵢ = √(Σ(x − x̄)²/(m − 1)) over the m ≥ 2 present values of x_{i−w+1} … xᵢ, by Welford's updates (pandas rolling(w, min_periods=2).std()).",
                "yᵢ = √(Σ(x − x̄)²/(m − 1))，对 x_{i−w+1} … xᵢ 中 m ≥ 2 个有效值，按 Welford 递推（pandas rolling(w, min_periods=2).std()）。",
            ),
            &[
                Reference {
                    source: "Welford, B. P. (1962), Note on a method for calculating corrected sums of squares and products, Technometrics 4(3):419–420",
                    locator: "",
                },
                Reference {
                    source: PANDAS,
                    locator: "Series.rolling(window, min_periods=2).std()",
                },
            ],
        ),
        eval: Eval::Data(rolling_std),
    },
    Model {
        card: algo(
            "filter.median",
            Text::new("Median filter", "中值滤波"),
            Text::new(
                "Median of a centred odd window at every point; removes spikes and keeps steps. The ends repeat the first and last value.",
                "每一点取以其为中心的奇数窗口中位数；去除尖峰而保留阶跃。两端以首末值延拓。",
            ),
            &[X, WINDOW.default(5.0)],
            &[Y],
            Text::new(
                "yᵢ = median(x_{i−h} … x_{i+h}), w = 2h + 1, x extended by its end values (scipy.ndimage.median_filter, mode=\"nearest\").",
                "yᵢ = median(x_{i−h} … x_{i+h})，w = 2h + 1，两端按端值延拓（scipy.ndimage.median_filter，mode=\"nearest\"）。",
            ),
            &[Reference {
                source: "Tukey, J. W., Exploratory Data Analysis, Addison-Wesley, 1977",
                locator: "ch. 7, running medians",
            }],
        ),
        eval: Eval::Data(median_filter),
    },
    Model {
        card: algo(
            "filter.savitzky_golay",
            Text::new("Savitzky–Golay smoothing", "Savitzky–Golay 平滑"),
            Text::new(
                "Least-squares polynomial smoothing over a sliding odd window; keeps peak heights better than a moving average.",
                "在滑动奇数窗口内做最小二乘多项式平滑；比滑动平均更好地保留峰值。",
            ),
            &[
                X,
                WINDOW.default(11.0),
                Port::new("order", "Polynomial order", "多项式阶数", "", 0.0, 10.0).default(3.0),
            ],
            &[Y],
            Text::new(
                "yᵢ = value at the centre of the order-p least-squares polynomial through x_{i−h} … x_{i+h}; the first and last h points from the polynomial of the first and last window (scipy.signal.savgol_filter, mode=\"interp\").",
                "yᵢ = 过 x_{i−h} … x_{i+h} 的 p 阶最小二乘多项式在中心的值；首末 h 点取首末窗口多项式的值（scipy.signal.savgol_filter，mode=\"interp\"）。",
            ),
            &[Reference {
                source: "Savitzky, A., Golay, M. J. E. (1964), Smoothing and differentiation of data by simplified least squares procedures, Analytical Chemistry 36(8):1627–1639",
                locator: "",
            }],
        ),
        eval: Eval::Data(savgol),
    },
    Model {
        card: algo(
            "transform.difference",
            Text::new("Differencing", "差分"),
            Text::new(
                "Change over a lag: removes a trend (lag 1) or a season (lag = its period).",
                "相隔一定滞后的变化量：滞后 1 去趋势，滞后为周期时去季节性。",
            ),
            &[
                X,
                Port::new("lag", "Lag", "滞后", "", 1.0, 100_000.0).default(1.0),
            ],
            &[Y],
            Text::new(
                "yᵢ = xᵢ − x_{i−lag}; a gap for the first lag values and where either is missing (pandas Series.diff).",
                "yᵢ = xᵢ − x_{i−lag}；前 lag 个值及任一缺失处为缺失（pandas Series.diff）。",
            ),
            &[
                Reference {
                    source: "Box, G. E. P., Jenkins, G. M., Reinsel, G. C., Ljung, G. M., Time Series Analysis: Forecasting and Control, 5th ed., Wiley, 2015",
                    locator: "§4.1, differencing",
                },
                Reference {
                    source: PANDAS,
                    locator: "Series.diff(periods)",
                },
            ],
        ),
        eval: Eval::Data(difference),
    },
    Model {
        card: algo(
            "transform.zscore",
            Text::new("Z-score standardisation", "Z 分数标准化"),
            Text::new(
                "Centres a series on its mean and scales it by its standard deviation; gaps stay gaps.",
                "以均值居中并除以标准差；缺失保持缺失。",
            ),
            &[
                X,
                Port::new(
                    "ddof",
                    "Degrees of freedom removed",
                    "扣除的自由度",
                    "",
                    0.0,
                    1.0,
                )
                .default(0.0),
            ],
            &[
                Y,
                Port::out("mean", "Mean", "均值", ""),
                Port::out("std", "Standard deviation", "标准差", ""),
            ],
            Text::new(
                "zᵢ = (xᵢ − x̄)/s, s = √(Σ(x − x̄)²/(n − ddof)) over the present values (scipy.stats.zscore, nan_policy=\"omit\").",
                "zᵢ = (xᵢ − x̄)/s，s = √(Σ(x − x̄)²/(n − ddof))，只用有效值（scipy.stats.zscore，nan_policy=\"omit\"）。",
            ),
            &[Reference {
                source: "NIST/SEMATECH e-Handbook of Statistical Methods (2012)",
                locator: "§1.3.5.6, measures of scale",
            }],
        ),
        eval: Eval::Data(zscore),
    },
    Model {
        card: algo(
            "transform.min_max",
            Text::new("Min–max scaling", "最小–最大归一化"),
            Text::new(
                "Maps a series onto [0, 1] by its smallest and largest value; gaps stay gaps.",
                "按最小值与最大值将序列映射到 [0, 1]；缺失保持缺失。",
            ),
            &[X],
            &[
                Y,
                Port::out("min", "Minimum", "最小值", ""),
                Port::out("max", "Maximum", "最大值", ""),
            ],
            Text::new(
                "yᵢ = (xᵢ − min)/(max − min); 0 for a constant series (sklearn.preprocessing.MinMaxScaler).",
                "yᵢ = (xᵢ − min)/(max − min)；常数序列为 0（sklearn.preprocessing.MinMaxScaler）。",
            ),
            &[Reference {
                source: "Pedregosa, F. et al. (2011), Scikit-learn: machine learning in Python, JMLR 12:2825–2830",
                locator: "sklearn.preprocessing.MinMaxScaler",
            }],
        ),
        eval: Eval::Data(min_max),
    },
    Model {
        card: algo(
            "stats.percentile",
            Text::new("Percentile", "百分位数"),
            Text::new(
                "The q-th percentile of the values present, e.g. the P95 of a response time or a vibration level.",
                "有效值的第 q 百分位数，例如响应时间或振动水平的 P95。",
            ),
            &[
                X,
                Port::new("q", "Percentile", "百分位", "", 0.0, 100.0).default(95.0),
            ],
            &[Port::out("value", "Percentile value", "百分位数值", "")],
            Text::new(
                "h = (n − 1) q/100; x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) over the sorted values (numpy.nanpercentile, method=\"linear\").",
                "h = (n − 1) q/100；对排序后的值取 x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎)（numpy.nanpercentile，method=\"linear\"）。",
            ),
            &[Reference {
                source: "Hyndman, R. J., Fan, Y. (1996), Sample quantiles in statistical packages, The American Statistician 50(4):361–365",
                locator: "definition 7",
            }],
        ),
        eval: Eval::Data(percentile),
    },
    Model {
        card: algo(
            "stats.histogram",
            Text::new("Histogram", "直方图"),
            Text::new(
                "Counts of the values present in equal-width bins from the smallest to the largest.",
                "有效值在从最小值到最大值的等宽区间内的计数。",
            ),
            &[
                X,
                Port::new("bins", "Bins", "区间数", "", 1.0, 100_000.0).default(10.0),
            ],
            &[
                Port::series("edges", "Bin edges", "区间边界", ""),
                Port::series("counts", "Counts", "计数", ""),
            ],
            Text::new(
                "Edges min + k(max − min)/b, k = 0 … b; bins half-open but the last closed (numpy.histogram).",
                "边界 min + k(max − min)/b，k = 0 … b；区间左闭右开，最后一个为闭区间（numpy.histogram）。",
            ),
            &[Reference {
                source: NUMPY,
                locator: "numpy.histogram (bins=b)",
            }],
        ),
        eval: Eval::Data(histogram),
    },
    Model {
        card: algo(
            "transform.detrend",
            Text::new("Detrending", "去趋势"),
            Text::new(
                "Removes the mean or the least-squares straight line from an evenly sampled series, e.g. before a spectrum.",
                "从等间隔序列中去除均值或最小二乘直线，例如在求频谱之前。",
            ),
            &[
                X,
                Port::choice("kind", "Remove", "去除", &["constant", "linear"]).default(1.0),
            ],
            &[
                Y,
                Port::out("slope", "Slope per step", "每步斜率", ""),
                Port::out(
                    "intercept",
                    "Value of the line at the first point",
                    "直线在首点的值",
                    "",
                ),
            ],
            Text::new(
                "yᵢ = xᵢ − (a + b i), a and b the least-squares line over the index (b = 0, a = x̄ for \"constant\") (scipy.signal.detrend).",
                "yᵢ = xᵢ − (a + b i)，a、b 为按序号的最小二乘直线（\"constant\" 时 b = 0，a = x̄）（scipy.signal.detrend）。",
            ),
            &[Reference {
                source: "Bendat, J. S., Piersol, A. G., Random Data: Analysis and Measurement Procedures, 4th ed., Wiley, 2010",
                locator: "§11.1.2, trend removal",
            }],
        ),
        eval: Eval::Data(detrend),
    },
];
