//! Calculus on sampled signals: the derivative by Savitzky–Golay, the gradient over
//! irregular times and the cumulative trapezoidal integral (rate from a counter, volume
//! from a flow, energy from a power), following scipy and numpy (named on each card).

use crate::algorithms::{X, algo};
use crate::numeric::{no_gaps, solve, whole};
use crate::repair::poly_fit;
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};

fn savgol_derivative(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (w, p, delta) = (whole(d[1].scalar()), whole(d[2].scalar()), d[3].scalar());
    no_gaps(x, "the Savitzky–Golay derivative", w)?;
    if w.is_multiple_of(2) || p >= w || p < 1 {
        return Err(Refusal::new(
            "the window must be odd and longer than the polynomial order, itself at least 1",
            "窗口长度须为奇数且大于多项式阶数，阶数至少为 1",
        ));
    }
    let hw = w / 2;
    let h = (hw as f64).max(1.0);
    // Positions scaled to [−1, 1]; the slope in u is divided by h (and the step).
    let u: Vec<f64> = (0..w).map(|j| (j as f64 - hw as f64) / h).collect();
    let singular = || {
        Refusal::new(
            "the polynomial cannot be fitted in this window",
            "该窗口内无法拟合多项式",
        )
    };
    // Weights: the slope at u = 0 of the fit to each unit impulse, e₁ᵀ (UᵀU)⁻¹ Uᵀ.
    let mut gram = vec![vec![0.0; p + 1]; p + 1];
    for &ui in &u {
        for (r, row) in gram.iter_mut().enumerate() {
            for (c, g) in row.iter_mut().enumerate() {
                *g += ui.powi((r + c) as i32);
            }
        }
    }
    let mut e1 = vec![0.0; p + 1];
    e1[1] = 1.0;
    let z = solve(gram, e1).ok_or_else(singular)?;
    let coef: Vec<f64> = u
        .iter()
        .map(|&ui| z.iter().rev().fold(0.0, |acc, zk| acc * ui + zk) / (h * delta))
        .collect();
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in hw..n - hw {
        y[i] = coef
            .iter()
            .zip(&x[i - hw..=i + hw])
            .map(|(c, v)| c * v)
            .sum();
    }
    // The ends: the derivative of the polynomial fitted to the first and last window.
    for (start, range) in [(0, 0..hw), (n - w, n - hw..n)] {
        let c = poly_fit(&u, &x[start..start + w], p).ok_or_else(singular)?;
        for i in range {
            let ui = u[i - start];
            let slope = c
                .iter()
                .enumerate()
                .skip(1)
                .rev()
                .fold(0.0, |acc, (k, ck)| acc * ui + k as f64 * ck);
            y[i] = slope / (h * delta);
        }
    }
    Ok(vec![Datum::Series(y)])
}

/// Times present, strictly increasing and paired with values.
fn timed<'a>(d: &'a [Datum], what: &str) -> Result<(&'a [f64], &'a [f64]), Refusal> {
    let (t, x) = (d[0].series(), d[1].series());
    no_gaps(x, what, 2)?;
    if t.len() != x.len() || t.iter().any(|v| !v.is_finite()) || t.windows(2).any(|w| w[1] <= w[0])
    {
        return Err(Refusal::new(
            "every value needs its time, and the times must increase",
            "每个值都需要时间，且时间须递增",
        ));
    }
    Ok((t, x))
}

fn gradient(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (t, f) = timed(d, "the gradient")?;
    let n = f.len();
    let mut g = vec![0.0; n];
    g[0] = (f[1] - f[0]) / (t[1] - t[0]);
    g[n - 1] = (f[n - 1] - f[n - 2]) / (t[n - 1] - t[n - 2]);
    for i in 1..n - 1 {
        // Second-order central difference over unequal steps.
        let (hs, hd) = (t[i] - t[i - 1], t[i + 1] - t[i]);
        let a = -hd / (hs * (hs + hd));
        let b = (hd - hs) / (hs * hd);
        let c = hs / (hd * (hs + hd));
        g[i] = a * f[i - 1] + b * f[i] + c * f[i + 1];
    }
    Ok(vec![Datum::Series(g)])
}

fn integrate(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (t, x) = timed(d, "the integral")?;
    let mut acc = 0.0;
    let mut out = Vec::with_capacity(x.len());
    out.push(0.0);
    for i in 1..x.len() {
        acc += (t[i] - t[i - 1]) * (x[i] + x[i - 1]) / 2.0;
        out.push(acc);
    }
    Ok(vec![Datum::Series(out), Datum::Scalar(acc)])
}

fn instantaneous(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let fs = d[1].scalar();
    no_gaps(x, "the instantaneous frequency", 2)?;
    let z = crate::signal::analytic(x);
    let amplitude: Vec<f64> = z.iter().map(|c| c.norm()).collect();
    // The phase unwrapped: each step brought into (−π, π] (numpy.unwrap).
    let pi = std::f64::consts::PI;
    let mut phase = Vec::with_capacity(z.len());
    let mut correction = 0.0;
    let mut prev = z[0].arg();
    phase.push(prev);
    for c in &z[1..] {
        let p = c.arg();
        let dd = p - prev;
        let mut m = (dd + pi).rem_euclid(2.0 * pi) - pi;
        if m == -pi && dd > 0.0 {
            m = pi;
        }
        if dd.abs() >= pi {
            correction += m - dd;
        }
        phase.push(p + correction);
        prev = p;
    }
    let freq = phase
        .windows(2)
        .map(|w| (w[1] - w[0]) / (2.0 * pi) * fs)
        .collect();
    Ok(vec![
        Datum::Series(amplitude),
        Datum::Series(phase),
        Datum::Series(freq),
    ])
}

const TIME: Port = Port::series("t", "Time", "时间", "s");
const SIGNAL: Port = Port::series("x", "Values", "数据", "");

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "signal.savgol_derivative",
            Text::new(
                "Smoothed derivative (Savitzky–Golay)",
                "平滑导数（Savitzky–Golay）",
            ),
            Text::new(
                "Rate of change of a noisy evenly sampled signal from local least-squares polynomials, e.g. a temperature's heating rate.",
                "由局部最小二乘多项式求含噪等间隔信号的变化率，例如温度的升温速率。",
            ),
            &[
                X,
                Port::new("window", "Window length", "窗口长度", "", 1.0, 100_000.0).default(11.0),
                Port::new("order", "Polynomial order", "多项式阶数", "", 1.0, 10.0).default(3.0),
                Port::new(
                    "step",
                    "Sample interval",
                    "采样间隔",
                    "",
                    1e-12,
                    f64::INFINITY,
                )
                .default(1.0),
            ],
            &[Port::series(
                "dydt",
                "Derivative per unit of the step",
                "导数（每单位采样间隔）",
                "",
            )],
            Text::new(
                "The slope at the centre of the order-p least-squares polynomial through each odd window, over the step; the first and last half-windows from the first and last window's polynomial (scipy.signal.savgol_filter, deriv=1, mode=\"interp\").",
                "过各奇数窗口的 p 阶最小二乘多项式在中心处的斜率除以采样间隔；首末半窗口取首末窗口多项式的导数（scipy.signal.savgol_filter，deriv=1，mode=\"interp\"）。",
            ),
            &[Reference {
                source: "Savitzky, A., Golay, M. J. E. (1964), Smoothing and differentiation of data by simplified least squares procedures, Analytical Chemistry 36(8):1627–1639",
                locator: "",
            }],
        ),
        eval: Eval::Data(savgol_derivative),
    },
    Model {
        card: algo(
            "signal.gradient",
            Text::new("Gradient over irregular times", "非等间隔梯度"),
            Text::new(
                "Rate of change of values at their own (possibly irregular) times, e.g. a counter's rate or a level's rise.",
                "按各自（可能不等间隔）的时间求数值的变化率，例如计数器速率或液位上升速度。",
            ),
            &[TIME, SIGNAL],
            &[Port::series("rate", "Rate per second", "每秒变化率", "")],
            Text::new(
                "Inside: second-order differences over unequal steps h₋, h₊: (−h₊/(h₋(h₋ + h₊)))fᵢ₋₁ + ((h₊ − h₋)/(h₋h₊))fᵢ + (h₋/(h₊(h₋ + h₊)))fᵢ₊₁; first-order at the ends (numpy.gradient, edge_order=1).",
                "内部点用不等步长 h₋、h₊ 的二阶差分：(−h₊/(h₋(h₋ + h₊)))fᵢ₋₁ + ((h₊ − h₋)/(h₋h₊))fᵢ + (h₋/(h₊(h₋ + h₊)))fᵢ₊₁；两端为一阶差分（numpy.gradient，edge_order=1）。",
            ),
            &[Reference {
                source: "Fornberg, B. (1988), Generation of finite difference formulas on arbitrarily spaced grids, Mathematics of Computation 51(184):699–706",
                locator: "",
            }],
        ),
        eval: Eval::Data(gradient),
    },
    Model {
        card: algo(
            "signal.integrate_trapezoid",
            Text::new("Cumulative integral (trapezoid)", "累积积分（梯形法）"),
            Text::new(
                "Running integral of values over their times: volume from a flow, energy from a power, dose from a rate.",
                "数值对时间的累积积分：由流量得体积、由功率得能量、由速率得剂量。",
            ),
            &[TIME, SIGNAL],
            &[
                Port::series(
                    "integral",
                    "Integral so far (value·s)",
                    "累计积分（值·s）",
                    "",
                ),
                Port::out("total", "Total (value·s)", "总积分（值·s）", ""),
            ],
            Text::new(
                "Iₖ = Σ_{i=1…k} (tᵢ − tᵢ₋₁)(xᵢ + xᵢ₋₁)/2, I₀ = 0 (scipy.integrate.cumulative_trapezoid, initial=0).",
                "Iₖ = Σ_{i=1…k} (tᵢ − tᵢ₋₁)(xᵢ + xᵢ₋₁)/2，I₀ = 0（scipy.integrate.cumulative_trapezoid，initial=0）。",
            ),
            &[Reference {
                source: "Press, W. H. et al., Numerical Recipes, 3rd ed., Cambridge University Press, 2007",
                locator: "§4.1, the trapezoidal rule",
            }],
        ),
        eval: Eval::Data(integrate),
    },
    Model {
        card: algo(
            "signal.instantaneous_frequency",
            Text::new(
                "Instantaneous amplitude, phase and frequency",
                "瞬时幅值、相位与频率",
            ),
            Text::new(
                "The envelope, unwrapped phase and frequency of a narrow-band signal over time, e.g. a shaft's speed from a once-per-revolution tone during run-up.",
                "窄带信号随时间的包络、展开相位与频率，例如升速过程中由每转一次的信号求轴的转速。",
            ),
            &[
                Port::series("x", "Signal", "信号", ""),
                Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9),
            ],
            &[
                Port::series("amplitude", "Amplitude |x + iH(x)|", "幅值 |x + iH(x)|", ""),
                Port::series("phase", "Unwrapped phase", "展开相位", "rad"),
                Port::series(
                    "frequency",
                    "Instantaneous frequency (n − 1 values)",
                    "瞬时频率（n − 1 个值）",
                    "Hz",
                ),
            ],
            Text::new(
                "z = x + iH(x) (scipy.signal.hilbert); φ = arg z unwrapped by bringing each step into (−π, π] (numpy.unwrap); f = Δφ/(2π) f_s (numpy.diff).",
                "z = x + iH(x)（scipy.signal.hilbert）；φ = arg z，逐步调整到 (−π, π] 以展开（numpy.unwrap）；f = Δφ/(2π) f_s（numpy.diff）。",
            ),
            &[Reference {
                source: "Boashash, B. (1992), Estimating and interpreting the instantaneous frequency of a signal, Proc. IEEE 80(4):520–538",
                locator: "",
            }],
        ),
        eval: Eval::Data(instantaneous),
    },
];
