//! Frequency-domain algorithms: the single-sided amplitude spectrum (FFT) and Welch's
//! power spectral density, with numpy's and scipy's conventions so the test run can compare
//! them on the same data.

use crate::{Eval, Model};
use ironloom_core::model::{Datum, Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

const SPECTRAL_INDUSTRIES: &[&str] = &["C34", "C38", "D44", "C36"];

fn no_gaps(x: &[f64], need: usize) -> Result<(), Refusal> {
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Refusal::new(
            "a spectrum needs evenly sampled values without gaps: fill or cut them first",
            "频谱需要等间隔且无缺失的数据：请先补齐或截取",
        ));
    }
    if x.len() < need {
        return Err(Refusal::new(
            format!("a spectrum needs at least {need} values"),
            format!("频谱至少需要 {need} 个值"),
        ));
    }
    Ok(())
}

/// The real-input forward transform of length `n`, planned once per length and kept
/// (planning a long transform computes its twiddle factors).
fn forward_plan(n: usize) -> std::sync::Arc<dyn realfft::RealToComplex<f64>> {
    static PLANNER: std::sync::OnceLock<std::sync::Mutex<realfft::RealFftPlanner<f64>>> =
        std::sync::OnceLock::new();
    PLANNER
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .plan_fft_forward(n)
}

/// Working memory of the real FFT, kept per thread between calls: a long transform's
/// buffers are megabytes, and fresh ones cost page faults on every call.
#[derive(Default)]
struct Buffers {
    input: Vec<f64>,
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

/// The real-input FFT of `x`, bins 0 … n/2, then `f(bin, value)` of each.
fn rfft_map(x: &[f64], f: impl Fn(usize, Complex<f64>) -> f64) -> Result<Vec<f64>, Refusal> {
    let fft = forward_plan(x.len());
    BUFFERS.with_borrow_mut(|b| {
        // The transform works in place on a copy (the caller's series stays as it is).
        b.input.clear();
        b.input.extend_from_slice(x);
        b.output.resize(x.len() / 2 + 1, Complex::default());
        b.scratch.resize(fft.get_scratch_len(), Complex::default());
        fft.process_with_scratch(&mut b.input, &mut b.output, &mut b.scratch)
            .map_err(|e| {
                Refusal::new(format!("the FFT failed: {e}"), format!("FFT 计算失败：{e}"))
            })?;
        let out = b.output.iter().enumerate().map(|(k, c)| f(k, *c)).collect();
        // A buffer much larger than usual is not kept.
        if b.input.capacity() > 1 << 24 {
            *b = Buffers::default();
        }
        Ok(out)
    })
}

/// |FFT| of a real series: bins 0 … n/2 (a real-input transform).
pub(crate) fn rfft_abs(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    rfft_map(x, |_, c| c.norm())
}

fn amplitude(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let fs = d[1].scalar();
    no_gaps(x, 2)?;
    let n = x.len();
    let (once, twice) = (1.0 / n as f64, 2.0 / n as f64);
    // DC and (for even n) the Nyquist bin have no mirror image to fold in.
    let amp = rfft_map(x, |k, c| {
        let single = k == 0 || (n.is_multiple_of(2) && k == n / 2);
        c.norm() * if single { once } else { twice }
    })?;
    let freq: Vec<f64> = (0..amp.len()).map(|k| k as f64 * fs / n as f64).collect();
    let (peak, _) =
        amp.iter()
            .enumerate()
            .skip(1)
            .fold((0usize, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                if v > bv { (i, v) } else { (bi, bv) }
            });
    let (pf, pa) = if amp.len() > 1 {
        (freq[peak], amp[peak])
    } else {
        (0.0, amp[0])
    };
    Ok(vec![
        Datum::Series(freq),
        Datum::Series(amp),
        Datum::Scalar(pf),
        Datum::Scalar(pa),
    ])
}

fn welch(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (freq, psd, segments) = welch_psd(d[0].series(), d[1].scalar(), d[2].scalar() as usize)?;
    Ok(vec![
        Datum::Series(freq),
        Datum::Series(psd),
        Datum::Scalar(segments as f64),
    ])
}

/// Welch's estimate with scipy's defaults: the frequencies, the density and the number
/// of segments averaged.
pub(crate) fn welch_psd(
    x: &[f64],
    fs: f64,
    want: usize,
) -> Result<(Vec<f64>, Vec<f64>, usize), Refusal> {
    no_gaps(x, 8)?;
    let nper = want.min(x.len());
    let step = nper - nper / 2;
    // scipy's default: a periodic Hann window, constant detrend, density scaling.
    let w: Vec<f64> = (0..nper)
        .map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / nper as f64).cos())
        .collect();
    let scale = 1.0 / (fs * w.iter().map(|v| v * v).sum::<f64>());
    let bins = nper / 2 + 1;
    let mut psd = vec![0.0; bins];
    let mut segments = 0usize;
    let mut planner = FftPlanner::new();
    let fft = planner.plan_fft_forward(nper);
    let mut start = 0;
    while start + nper <= x.len() {
        let seg = &x[start..start + nper];
        let m = seg.iter().sum::<f64>() / nper as f64;
        let mut buf: Vec<Complex<f64>> = seg
            .iter()
            .zip(&w)
            .map(|(v, wi)| Complex::new((v - m) * wi, 0.0))
            .collect();
        fft.process(&mut buf);
        for (k, p) in psd.iter_mut().enumerate() {
            let mut v = buf[k].norm_sqr() * scale;
            if k != 0 && !(nper.is_multiple_of(2) && k == nper / 2) {
                v *= 2.0;
            }
            *p += v;
        }
        segments += 1;
        start += step;
    }
    for p in &mut psd {
        *p /= segments as f64;
    }
    let freq: Vec<f64> = (0..bins).map(|k| k as f64 * fs / nper as f64).collect();
    Ok((freq, psd, segments))
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "freq.fft_amplitude",
            version: 1,
            name: Text::new("Amplitude spectrum (FFT)", "幅值谱（FFT）"),
            summary: Text::new(
                "Single-sided amplitude spectrum of an evenly sampled signal and its strongest component, e.g. a machine's running speed or a defect frequency in its vibration.",
                "等间隔采样信号的单边幅值谱及其最强分量，例如振动中的转频或故障特征频率。",
            ),
            kind: ModelKind::Algorithm,
            industries: SPECTRAL_INDUSTRIES,
            domains: &[Domain::Service, Domain::Production],
            inputs: &[
                Port::series("x", "Signal", "信号", ""),
                Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9),
            ],
            outputs: &[
                Port::series("freq", "Frequency", "频率", "Hz"),
                Port::series("amplitude", "Amplitude", "幅值", ""),
                Port::out(
                    "peak_freq",
                    "Frequency of the largest component (DC left out)",
                    "最大分量频率（不含直流）",
                    "Hz",
                ),
                Port::out("peak_amplitude", "Its amplitude", "其幅值", ""),
            ],
            formula: Text::new(
                "X_k = Σ xₙ e^(−2πikn/N); A_k = 2|X_k|/N (|X_k|/N at 0 and N/2); f_k = k f_s/N, k = 0 … N/2 (numpy's rfft).",
                "X_k = Σ xₙ e^(−2πikn/N)；A_k = 2|X_k|/N（k = 0 与 N/2 处为 |X_k|/N）；f_k = k f_s/N，k = 0 … N/2（numpy 的 rfft）。",
            ),
            references: &[
                Reference {
                    source: "Cooley, J. W., Tukey, J. W. (1965), An algorithm for the machine calculation of complex Fourier series, Mathematics of Computation 19:297–301",
                    locator: "",
                },
                Reference {
                    source: "Randall, R. B., Vibration-based Condition Monitoring, Wiley, 2011",
                    locator: "§3.1, the discrete Fourier transform",
                },
            ],
        },
        eval: Eval::Data(amplitude),
    },
    Model {
        card: ModelCard {
            id: "freq.welch_psd",
            version: 1,
            name: Text::new("Power spectral density (Welch)", "功率谱密度（Welch 法）"),
            summary: Text::new(
                "Power spectral density averaged over overlapping Hann-windowed segments, for noisy signals such as vibration, current or pressure.",
                "对重叠的汉宁窗分段求平均得到的功率谱密度，适用于振动、电流、压力等含噪信号。",
            ),
            kind: ModelKind::Algorithm,
            industries: SPECTRAL_INDUSTRIES,
            domains: &[Domain::Service, Domain::Production],
            inputs: &[
                Port::series("x", "Signal", "信号", ""),
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
            outputs: &[
                Port::series("freq", "Frequency", "频率", "Hz"),
                Port::series(
                    "psd",
                    "Power spectral density (per Hz)",
                    "功率谱密度（每 Hz）",
                    "",
                ),
                Port::out("segments", "Segments averaged", "平均的分段数", ""),
            ],
            formula: Text::new(
                "Segments of length L with 50 % overlap, mean removed, periodic Hann window w; P_k = 2|Σ wₙ xₙ e^(−2πikn/L)|²/(f_s Σ wₙ²) (not doubled at 0 and L/2), averaged over segments (scipy.signal.welch defaults).",
                "长度 L、50% 重叠的分段，去均值后加周期汉宁窗 w；P_k = 2|Σ wₙ xₙ e^(−2πikn/L)|²/(f_s Σ wₙ²)（0 与 L/2 处不加倍），对各段平均（scipy.signal.welch 默认）。",
            ),
            references: &[Reference {
                source: "Welch, P. D. (1967), The use of fast Fourier transform for the estimation of power spectra, IEEE Trans. Audio and Electroacoustics 15(2):70–73",
                locator: "",
            }],
        },
        eval: Eval::Data(welch),
    },
];
