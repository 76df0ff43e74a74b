//! Signal features and estimation: peak finding with heights, spacing and prominence,
//! magnitude-squared coherence, wavelet denoising and the local-level Kalman filter and
//! smoother, with the conventions of scipy, PyWavelets and statsmodels (named on each
//! card) so the test run can compare them on the same data.

use crate::algorithms::{X, algo};
use crate::numeric::{no_gaps, whole};
use crate::signal::{WAVELETS, dec_lo, dwt_levels};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

fn find_peaks(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (min_height, distance, min_prom) = (d[1].scalar(), d[2].scalar().ceil(), d[3].scalar());
    no_gaps(x, "peak finding", 1)?;
    let n = x.len();
    // Local maxima; a flat top counts once, at its middle (rounded down).
    let mut peaks = Vec::new();
    let mut i = 1;
    while i + 1 < n {
        if x[i - 1] < x[i] {
            let mut ahead = i + 1;
            while ahead + 1 < n && x[ahead] == x[i] {
                ahead += 1;
            }
            if x[ahead] < x[i] {
                peaks.push((i + ahead - 1) / 2);
                i = ahead;
            }
        }
        i += 1;
    }
    peaks.retain(|&p| x[p] >= min_height);
    if distance > 1.0 && peaks.len() > 1 {
        // Highest first, each removing the lower peaks closer than the distance.
        let mut keep = vec![true; peaks.len()];
        let mut by_height: Vec<usize> = (0..peaks.len()).collect();
        by_height.sort_by(|&a, &b| x[peaks[a]].total_cmp(&x[peaks[b]]).then(a.cmp(&b)));
        for &j in by_height.iter().rev() {
            if !keep[j] {
                continue;
            }
            for k in (0..j).rev() {
                if (peaks[j] - peaks[k]) as f64 >= distance {
                    break;
                }
                keep[k] = false;
            }
            for k in j + 1..peaks.len() {
                if (peaks[k] - peaks[j]) as f64 >= distance {
                    break;
                }
                keep[k] = false;
            }
        }
        let mut it = keep.iter();
        peaks.retain(|_| it.next().copied().unwrap_or(false));
    }
    // Prominence: the height above the higher of the lowest points on each side before
    // a higher value (or the end) is reached.
    let prominence = |p: usize| {
        let h = x[p];
        let mut left = h;
        let mut i = p;
        loop {
            left = left.min(x[i]);
            if i == 0 || x[i - 1] > h {
                break;
            }
            i -= 1;
        }
        let mut right = h;
        let mut i = p;
        loop {
            right = right.min(x[i]);
            if i + 1 >= n || x[i + 1] > h {
                break;
            }
            i += 1;
        }
        h - left.max(right)
    };
    let prom: Vec<f64> = peaks.iter().map(|&p| prominence(p)).collect();
    let kept: Vec<(usize, f64)> = peaks
        .into_iter()
        .zip(prom)
        .filter(|&(_, pr)| pr >= min_prom)
        .collect();
    Ok(vec![
        Datum::Series(kept.iter().map(|&(p, _)| p as f64).collect()),
        Datum::Series(kept.iter().map(|&(p, _)| x[p]).collect()),
        Datum::Series(kept.iter().map(|&(_, pr)| pr).collect()),
        Datum::Scalar(kept.len() as f64),
    ])
}

fn coherence(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = (d[0].series(), d[1].series());
    let (fs, want) = (d[2].scalar(), whole(d[3].scalar()));
    no_gaps(x, "coherence", 8)?;
    no_gaps(y, "coherence", 8)?;
    if x.len() != y.len() {
        return Err(Refusal::new(
            "the two signals must be as long as each other",
            "两个信号长度必须相同",
        ));
    }
    let nper = want.min(x.len());
    let step = nper - nper / 2;
    let w: Vec<f64> = (0..nper)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / nper as f64).cos())
        .collect();
    let bins = nper / 2 + 1;
    let mut pxx = vec![0.0; bins];
    let mut pyy = vec![0.0; bins];
    let mut pxy = vec![Complex::new(0.0, 0.0); bins];
    let fft = FftPlanner::new().plan_fft_forward(nper);
    let windowed = |s: &[f64]| -> Vec<Complex<f64>> {
        let m = s.iter().sum::<f64>() / s.len() as f64;
        s.iter()
            .zip(&w)
            .map(|(v, wi)| Complex::new((v - m) * wi, 0.0))
            .collect()
    };
    let mut start = 0;
    while start + nper <= x.len() {
        let mut fx = windowed(&x[start..start + nper]);
        let mut fy = windowed(&y[start..start + nper]);
        fft.process(&mut fx);
        fft.process(&mut fy);
        for k in 0..bins {
            pxx[k] += fx[k].norm_sqr();
            pyy[k] += fy[k].norm_sqr();
            pxy[k] += fx[k].conj() * fy[k];
        }
        start += step;
    }
    // The density scaling and the averaging cancel in the ratio.
    let coh = (0..bins)
        .map(|k| {
            let den = pxx[k] * pyy[k];
            if den > 0.0 {
                pxy[k].norm_sqr() / den
            } else {
                f64::NAN
            }
        })
        .collect();
    let freq = (0..bins).map(|k| k as f64 * fs / nper as f64).collect();
    Ok(vec![Datum::Series(freq), Datum::Series(coh)])
}

/// One level of the inverse transform (PyWavelets' idwt, mode "symmetric"):
/// x[n] = Σ_k a[k] h̃[n + F − 2 − 2k] + d[k] g̃[n + F − 2 − 2k], h̃ and g̃ the reversed
/// decomposition filters.
fn idwt(a: &[f64], d: &[f64], lo: &[f64], hi: &[f64]) -> Vec<f64> {
    let f = lo.len();
    let len = (2 * a.len() + 2).saturating_sub(f);
    let mut out = vec![0.0; len];
    for (n, o) in out.iter_mut().enumerate() {
        let mut s = 0.0;
        for k in 0..a.len() {
            let j = n as isize + f as isize - 2 - 2 * k as isize;
            if (0..f as isize).contains(&j) {
                let r = f - 1 - j as usize;
                s += a[k] * lo[r] + d[k] * hi[r];
            }
        }
        *o = s;
    }
    out
}

fn denoise(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let lo = dec_lo(whole(d[1].scalar()));
    let level = whole(d[2].scalar());
    let (approx, mut details, hi) = dwt_levels(x, lo, level)?;
    // The universal threshold from the finest details (Donoho–Johnstone VisuShrink).
    let finest = details.first().cloned().unwrap_or_default();
    let mut abs: Vec<f64> = finest.iter().map(|v| v.abs()).collect();
    abs.sort_by(f64::total_cmp);
    let m = abs.len();
    let med = if m == 0 {
        0.0
    } else if m % 2 == 1 {
        abs[m / 2]
    } else {
        (abs[m / 2 - 1] + abs[m / 2]) / 2.0
    };
    let sigma = med / 0.674_489_750_196_081_7;
    let lambda = sigma * (2.0 * (x.len() as f64).ln()).sqrt();
    for dd in &mut details {
        for v in dd.iter_mut() {
            *v = v.signum() * (v.abs() - lambda).max(0.0);
        }
    }
    let mut a = approx;
    for dd in details.iter().rev() {
        if a.len() == dd.len() + 1 {
            a.pop();
        }
        a = idwt(&a, dd, lo, &hi);
    }
    a.truncate(x.len());
    Ok(vec![
        Datum::Series(a),
        Datum::Scalar(sigma),
        Datum::Scalar(lambda),
    ])
}

fn kalman(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (q, r) = (d[1].scalar(), d[2].scalar());
    let first = x.iter().copied().find(|v| v.is_finite()).ok_or_else(|| {
        Refusal::new(
            "the Kalman filter needs at least one value present",
            "卡尔曼滤波至少需要一个有效值",
        )
    })?;
    let p0 = if d[3].scalar() > 0.0 {
        d[3].scalar()
    } else {
        r
    };
    let n = x.len();
    let (mut a, mut p) = (first, p0);
    let mut filt = Vec::with_capacity(n);
    let mut var = Vec::with_capacity(n);
    for (t, &v) in x.iter().enumerate() {
        if t > 0 {
            p += q;
        }
        if v.is_finite() {
            let k = p / (p + r);
            a += k * (v - a);
            p *= 1.0 - k;
        }
        filt.push(a);
        var.push(p);
    }
    // Rauch–Tung–Striebel smoother, backwards from the last filtered state.
    let mut smooth = filt.clone();
    let mut svar = var.clone();
    for t in (0..n.saturating_sub(1)).rev() {
        let c = var[t] / (var[t] + q);
        smooth[t] = filt[t] + c * (smooth[t + 1] - filt[t]);
        svar[t] = var[t] + c * c * (svar[t + 1] - (var[t] + q));
    }
    Ok(vec![
        Datum::Series(filt),
        Datum::Series(var),
        Datum::Series(smooth),
        Datum::Series(svar),
    ])
}

fn periodogram(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let fs = d[1].scalar();
    no_gaps(x, "the periodogram", 2)?;
    let n = x.len();
    let m = x.iter().sum::<f64>() / n as f64;
    let mut buf: Vec<Complex<f64>> = x.iter().map(|v| Complex::new(v - m, 0.0)).collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let bins = n / 2 + 1;
    let psd = (0..bins)
        .map(|k| {
            let p = buf[k].norm_sqr() / (fs * n as f64);
            if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
                p
            } else {
                2.0 * p
            }
        })
        .collect();
    let freq = (0..bins).map(|k| k as f64 * fs / n as f64).collect();
    Ok(vec![Datum::Series(freq), Datum::Series(psd)])
}

fn fir_lowpass(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (fs, taps, cutoff) = (d[1].scalar(), whole(d[2].scalar()), d[3].scalar());
    no_gaps(x, "the FIR filter", 1)?;
    let nyq = fs / 2.0;
    if !(cutoff > 0.0 && cutoff < nyq) {
        return Err(Refusal::new(
            "the cut-off must lie between 0 and half the sampling rate",
            "截止频率须在 0 与采样频率一半之间",
        ));
    }
    // Windowed sinc (a symmetric Hamming window), scaled to unit gain at 0 Hz.
    let c = cutoff / nyq;
    let alpha = 0.5 * (taps as f64 - 1.0);
    let sinc = |v: f64| {
        if v == 0.0 {
            1.0
        } else {
            (std::f64::consts::PI * v).sin() / (std::f64::consts::PI * v)
        }
    };
    let mut h: Vec<f64> = (0..taps)
        .map(|i| {
            let m = i as f64 - alpha;
            let w = if taps == 1 {
                1.0
            } else {
                0.54 - 0.46 * (std::f64::consts::TAU * i as f64 / (taps as f64 - 1.0)).cos()
            };
            c * sinc(c * m) * w
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v /= sum;
    }
    // Causal filtering from rest: yₙ = Σ h_k x_{n−k}.
    let y = (0..x.len())
        .map(|i| {
            h.iter()
                .take(i + 1)
                .enumerate()
                .map(|(k, hk)| hk * x[i - k])
                .sum()
        })
        .collect();
    Ok(vec![
        Datum::Series(y),
        Datum::Series(h),
        Datum::Scalar(alpha / fs),
    ])
}

fn resample_fft(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let num = whole(d[1].scalar());
    no_gaps(x, "Fourier resampling", 1)?;
    let n = x.len();
    let fail =
        |e: String| Refusal::new(format!("the FFT failed: {e}"), format!("FFT 计算失败：{e}"));
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let mut input = x.to_vec();
    let mut spec = forward.make_output_vec();
    forward
        .process(&mut input, &mut spec)
        .map_err(|e| fail(e.to_string()))?;
    // Keep the bins both lengths share; an unpaired Nyquist bin is doubled when
    // shortening and halved when lengthening (scipy.signal.resample).
    let m = num.min(n);
    let m2 = m / 2 + 1;
    let inverse = planner.plan_fft_inverse(num);
    let mut out_spec = inverse.make_input_vec();
    let scale = num as f64 / n as f64 / num as f64;
    for (k, c) in out_spec.iter_mut().enumerate().take(m2) {
        let mut v = spec[k];
        if m.is_multiple_of(2) && num != n && k == m / 2 {
            v *= if num < n { 2.0 } else { 0.5 };
        }
        *c = v * scale;
    }
    // A real signal's DC and (even length) Nyquist bins are real.
    out_spec[0].im = 0.0;
    if num.is_multiple_of(2) {
        let last = out_spec.len() - 1;
        out_spec[last].im = 0.0;
    }
    let mut y = inverse.make_output_vec();
    inverse
        .process(&mut out_spec, &mut y)
        .map_err(|e| fail(e.to_string()))?;
    Ok(vec![Datum::Series(y), Datum::Scalar(n as f64 / num as f64)])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "signal.find_peaks",
            Text::new("Peak finding", "峰值查找"),
            Text::new(
                "Local maxima of a signal at least a minimum height, a minimum spacing apart and standing out by a minimum prominence: spectral lines, pressure pulses, cycle peaks.",
                "不低于最小高度、间隔不小于最小距离且突出度不小于最小值的信号局部极大值：谱线、压力脉冲、周期峰值。",
            ),
            &[
                X,
                Port::new(
                    "min_height",
                    "Least height (default: none)",
                    "最小高度（默认：不限）",
                    "",
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                )
                .default(f64::MIN),
                Port::new(
                    "min_distance",
                    "Least spacing (samples)",
                    "最小间隔（采样点）",
                    "",
                    1.0,
                    1e9,
                )
                .default(1.0),
                Port::new(
                    "min_prominence",
                    "Least prominence",
                    "最小突出度",
                    "",
                    0.0,
                    f64::INFINITY,
                )
                .default(0.0),
            ],
            &[
                Port::series("indices", "Peak positions", "峰值位置", ""),
                Port::series("heights", "Peak values", "峰值", ""),
                Port::series("prominences", "Prominences", "突出度", ""),
                Port::out("count", "Peaks", "峰值个数", ""),
            ],
            Text::new(
                "Local maxima (a flat top at its middle), then height ≥ h, then highest first dropping lower peaks closer than the spacing, then prominence = peak − max(lowest point on each side before a higher value) ≥ p (scipy.signal.find_peaks, peak_prominences).",
                "先取局部极大值（平顶取其中点），再要求高度 ≥ h，再按高度从高到低剔除间隔过近的较低峰，最后要求突出度 = 峰值 − max(两侧遇到更高值之前的最低点) ≥ p（scipy.signal.find_peaks，peak_prominences）。",
            ),
            &[Reference {
                source: "Virtanen, P. et al. (2020), SciPy 1.0: fundamental algorithms for scientific computing in Python, Nature Methods 17:261–272",
                locator: "scipy.signal.find_peaks, scipy.signal.peak_prominences",
            }],
        ),
        eval: Eval::Data(find_peaks),
    },
    Model {
        card: algo(
            "freq.coherence",
            Text::new("Magnitude-squared coherence", "幅值平方相干函数"),
            Text::new(
                "How linearly two signals are related at each frequency (0 … 1), e.g. a vibration and a motor current, or two sensors on one machine.",
                "两个信号在各频率上的线性相关程度（0 … 1），例如振动与电机电流、同一机器上的两个传感器。",
            ),
            &[
                Port::series("x", "First signal", "第一信号", ""),
                Port::series("y", "Second signal", "第二信号", ""),
                Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9),
                Port::new(
                    "nperseg",
                    "Segment length",
                    "分段长度",
                    "",
                    8.0,
                    1_048_576.0,
                )
                .default(256.0),
            ],
            &[
                Port::series("freq", "Frequency", "频率", "Hz"),
                Port::series("coherence", "Coherence", "相干系数", ""),
            ],
            Text::new(
                "C = |P_xy|²/(P_xx P_yy), the spectra averaged over Hann-windowed, mean-removed segments overlapping by half (scipy.signal.coherence defaults).",
                "C = |P_xy|²/(P_xx P_yy)，谱为对半重叠、去均值并加汉宁窗的分段的平均（scipy.signal.coherence 默认）。",
            ),
            &[Reference {
                source: "Bendat, J. S., Piersol, A. G., Random Data: Analysis and Measurement Procedures, 4th ed., Wiley, 2010",
                locator: "§9.2.3, coherence function estimates",
            }],
        ),
        eval: Eval::Data(coherence),
    },
    Model {
        card: algo(
            "wavelet.denoise",
            Text::new("Wavelet denoising (VisuShrink)", "小波去噪（VisuShrink）"),
            Text::new(
                "Removes broadband noise while keeping edges and transients: small wavelet details are shrunk to zero.",
                "去除宽带噪声同时保留边沿与瞬态：较小的小波细节系数收缩为零。",
            ),
            &[
                X,
                Port::choice("wavelet", "Wavelet", "小波", WAVELETS).default(2.0),
                Port::new("level", "Levels", "分解层数", "", 1.0, 30.0).default(3.0),
            ],
            &[
                Port::series("y", "Denoised signal", "去噪后信号", ""),
                Port::out(
                    "sigma",
                    "Noise σ (MAD of the finest details)",
                    "噪声 σ（最细层细节的 MAD）",
                    "",
                ),
                Port::out("threshold", "Threshold λ", "阈值 λ", ""),
            ],
            Text::new(
                "σ = median|cD₁|/0.6745, λ = σ√(2 ln n); every detail soft-thresholded, sign(c)·max(|c| − λ, 0); reconstructed (pywt.wavedec, pywt.threshold(\"soft\"), pywt.waverec, mode \"symmetric\").",
                "σ = median|cD₁|/0.6745，λ = σ√(2 ln n)；各细节系数软阈值 sign(c)·max(|c| − λ, 0)；再重构（pywt.wavedec、pywt.threshold(\"soft\")、pywt.waverec，mode \"symmetric\"）。",
            ),
            &[
                Reference {
                    source: "Donoho, D. L., Johnstone, I. M. (1994), Ideal spatial adaptation by wavelet shrinkage, Biometrika 81(3):425–455",
                    locator: "§4, VisuShrink",
                },
                Reference {
                    source: "Lee, G. R. et al. (2019), PyWavelets: a Python package for wavelet analysis, JOSS 4(36):1237",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(denoise),
    },
    Model {
        card: algo(
            "filter.kalman_local_level",
            Text::new(
                "Kalman filter and smoother (local level)",
                "卡尔曼滤波与平滑（局部水平模型）",
            ),
            Text::new(
                "Tracks a slowly wandering level through measurement noise, with its uncertainty; gaps are bridged by prediction.",
                "在测量噪声中跟踪缓慢游走的水平并给出其不确定度；缺失处以预测衔接。",
            ),
            &[
                X,
                Port::new(
                    "q",
                    "Level variance per step q",
                    "每步水平方差 q",
                    "",
                    0.0,
                    f64::INFINITY,
                )
                .default(0.01),
                Port::new(
                    "r",
                    "Measurement variance r",
                    "测量方差 r",
                    "",
                    1e-300,
                    f64::INFINITY,
                )
                .default(1.0),
                Port::new(
                    "p0",
                    "Initial variance (0: r)",
                    "初始方差（0：取 r）",
                    "",
                    0.0,
                    f64::INFINITY,
                )
                .default(0.0),
            ],
            &[
                Port::series("filtered", "Filtered level", "滤波水平", ""),
                Port::series("filtered_var", "Its variance", "其方差", ""),
                Port::series("smoothed", "Smoothed level", "平滑水平", ""),
                Port::series("smoothed_var", "Its variance", "其方差", ""),
            ],
            Text::new(
                "Level μₜ = μₜ₋₁ + ηₜ (var q), xₜ = μₜ + εₜ (var r), starting at the first value with variance p₀; Kalman filter, then the Rauch–Tung–Striebel smoother (statsmodels UnobservedComponents(level=\"llevel\"), known initialisation).",
                "水平 μₜ = μₜ₋₁ + ηₜ（方差 q），xₜ = μₜ + εₜ（方差 r），以首个值、方差 p₀ 起始；卡尔曼滤波后接 Rauch–Tung–Striebel 平滑（statsmodels UnobservedComponents(level=\"llevel\")，已知初值）。",
            ),
            &[
                Reference {
                    source: "Durbin, J., Koopman, S. J., Time Series Analysis by State Space Methods, 2nd ed., Oxford University Press, 2012",
                    locator: "§2.2 (filter), §2.4 (smoother), local level model",
                },
                Reference {
                    source: "Kalman, R. E. (1960), A new approach to linear filtering and prediction problems, J. Basic Engineering 82(1):35–45",
                    locator: "",
                },
            ],
        ),
        eval: Eval::Data(kalman),
    },
    Model {
        card: algo(
            "freq.periodogram",
            Text::new("Periodogram", "周期图"),
            Text::new(
                "Power spectral density of a whole record from one FFT: the finest frequency resolution, without Welch's averaging.",
                "由一次 FFT 求整段记录的功率谱密度：频率分辨率最高，但不做 Welch 平均。",
            ),
            &[
                Port::series("x", "Signal", "信号", ""),
                Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9),
            ],
            &[
                Port::series("freq", "Frequency", "频率", "Hz"),
                Port::series(
                    "psd",
                    "Power spectral density (per Hz)",
                    "功率谱密度（每 Hz）",
                    "",
                ),
            ],
            Text::new(
                "P_k = 2|Σ (xₙ − x̄) e^(−2πikn/N)|²/(f_s N), not doubled at 0 and N/2 (scipy.signal.periodogram defaults: boxcar window, constant detrend, density).",
                "P_k = 2|Σ (xₙ − x̄) e^(−2πikn/N)|²/(f_s N)，0 与 N/2 处不加倍（scipy.signal.periodogram 默认：矩形窗、去均值、密度）。",
            ),
            &[Reference {
                source: "Schuster, A. (1898), On the investigation of hidden periodicities, Terrestrial Magnetism 3(1):13–41",
                locator: "",
            }],
        ),
        eval: Eval::Data(periodogram),
    },
    Model {
        card: algo(
            "filter.fir_lowpass",
            Text::new(
                "FIR low-pass filter (windowed sinc)",
                "FIR 低通滤波（加窗 sinc）",
            ),
            Text::new(
                "A linear-phase low-pass filter that runs causally on a stream, delaying the signal by a fixed half its length.",
                "可在数据流上因果运行的线性相位低通滤波器，信号延迟固定为其长度的一半。",
            ),
            &[
                Port::series("x", "Signal", "信号", ""),
                Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9),
                Port::new("taps", "Taps", "抽头数", "", 1.0, 10_001.0).default(51.0),
                Port::new("cutoff", "Cut-off frequency", "截止频率", "Hz", 0.0, 1e9),
            ],
            &[
                Port::series("y", "Filtered signal", "滤波后信号", ""),
                Port::series("coefficients", "Filter coefficients", "滤波器系数", ""),
                Port::out("delay", "Group delay", "群延迟", "s"),
            ],
            Text::new(
                "h_k = (f_c/f_N) sinc((f_c/f_N)(k − (N − 1)/2)) · (0.54 − 0.46 cos(2πk/(N − 1))), scaled to Σh = 1 (scipy.signal.firwin, Hamming); yₙ = Σ h_k x_{n−k} from rest (scipy.signal.lfilter); delay (N − 1)/(2 f_s).",
                "h_k = (f_c/f_N) sinc((f_c/f_N)(k − (N − 1)/2)) · (0.54 − 0.46 cos(2πk/(N − 1)))，归一化使 Σh = 1（scipy.signal.firwin，Hamming 窗）；yₙ = Σ h_k x_{n−k}，零初始状态（scipy.signal.lfilter）；延迟 (N − 1)/(2 f_s)。",
            ),
            &[Reference {
                source: "Oppenheim, A. V., Schafer, R. W., Discrete-Time Signal Processing, 3rd ed., Pearson, 2010",
                locator: "§7.5, design of FIR filters by windowing",
            }],
        ),
        eval: Eval::Data(fir_lowpass),
    },
    Model {
        card: algo(
            "signal.resample_fft",
            Text::new("Fourier resampling", "傅里叶重采样"),
            Text::new(
                "Changes the number of samples of a periodic or band-limited record exactly in the frequency domain (up or down), e.g. to align two sensors' rates.",
                "在频域中精确改变周期或带限记录的采样点数（增加或减少），例如对齐两个传感器的采样率。",
            ),
            &[
                Port::series("x", "Signal", "信号", ""),
                Port::new("num", "Samples wanted", "目标采样点数", "", 1.0, 1e6),
            ],
            &[
                Port::series("y", "Resampled signal", "重采样后信号", ""),
                Port::out(
                    "step_factor",
                    "New sample interval over the old",
                    "新旧采样间隔之比",
                    "",
                ),
            ],
            Text::new(
                "Y = the first ⌊min(n, N)/2⌋ + 1 bins of rfft(x) (an unpaired Nyquist bin ×2 when shortening, ×½ when lengthening), y = irfft(Y · N/n, N) (scipy.signal.resample).",
                "Y = rfft(x) 的前 ⌊min(n, N)/2⌋ + 1 个频点（未配对的 Nyquist 频点在缩短时 ×2、加长时 ×½），y = irfft(Y · N/n, N)（scipy.signal.resample）。",
            ),
            &[Reference {
                source: "Oppenheim, A. V., Schafer, R. W., Discrete-Time Signal Processing, 3rd ed., Pearson, 2010",
                locator: "§4.6, changing the sampling rate",
            }],
        ),
        eval: Eval::Data(resample_fft),
    },
];
