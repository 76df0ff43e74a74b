//! Signal processing for condition monitoring: zero-phase Butterworth filters, the
//! envelope spectrum, band power, the real cepstrum, time-domain vibration features and
//! the multilevel discrete wavelet transform, each with the conventions of scipy, numpy or
//! PyWavelets (named on its card) so the test run can compare them on the same data.

use crate::algorithms::algo;
use crate::numeric::{no_gaps, whole};
use crate::spectral::{rfft_abs, welch_psd};
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

type C = Complex<f64>;

#[derive(Clone, Copy, PartialEq)]
enum Band {
    Low,
    High,
    Pass,
    Stop,
}

/// A second-order section: b₀ b₁ b₂ over 1 a₁ a₂ (a first-order one has b₂ = a₂ = 0).
type Section = ([f64; 3], [f64; 3]);

fn bad_cutoff() -> Refusal {
    Refusal::new(
        "the cut-off frequencies must lie between 0 and half the sampling rate (low below high)",
        "截止频率须在 0 与采样频率一半之间（下限低于上限）",
    )
}

/// The digital Butterworth filter as second-order sections: the analogue prototype's
/// poles, pre-warped and transformed (scipy.signal.butter), then the bilinear transform.
fn butterworth(
    order: usize,
    band: Band,
    fs: f64,
    f1: f64,
    f2: f64,
) -> Result<Vec<Section>, Refusal> {
    let nyq = fs / 2.0;
    let ok = |f: f64| f > 0.0 && f < nyq;
    let two = matches!(band, Band::Pass | Band::Stop);
    if !ok(f1) || (two && (!ok(f2) || f2 <= f1)) {
        return Err(bad_cutoff());
    }
    // Pre-warped analogue frequencies for the normalised sampling rate 2.
    let warp = |f: f64| 4.0 * (std::f64::consts::PI * (f / nyq) / 2.0).tan();
    let proto: Vec<C> = (0..order)
        .map(|i| {
            let m = -(order as f64) + 1.0 + 2.0 * i as f64;
            -C::from_polar(1.0, std::f64::consts::PI * m / (2.0 * order as f64))
        })
        .collect();
    let (w1, w2) = (warp(f1), if two { warp(f2) } else { 0.0 });
    let (wo, bw) = ((w1 * w2).sqrt(), w2 - w1);
    let mut poles = Vec::with_capacity(2 * order);
    let mut zeros: Vec<C> = Vec::with_capacity(2 * order);
    let mut k = C::new(1.0, 0.0);
    match band {
        Band::Low => {
            poles.extend(proto.iter().map(|p| p * w1));
            k *= w1.powi(order as i32);
        }
        Band::High => {
            poles.extend(proto.iter().map(|p| w1 / p));
            zeros.extend(std::iter::repeat_n(C::new(0.0, 0.0), order));
            k /= proto.iter().map(|p| -p).product::<C>();
        }
        Band::Pass => {
            for p in &proto {
                let pl = p * bw / 2.0;
                let r = (pl * pl - wo * wo).sqrt();
                poles.push(pl + r);
                poles.push(pl - r);
            }
            zeros.extend(std::iter::repeat_n(C::new(0.0, 0.0), order));
            k *= bw.powi(order as i32);
        }
        Band::Stop => {
            for p in &proto {
                let ph = (bw / 2.0) / p;
                let r = (ph * ph - wo * wo).sqrt();
                poles.push(ph + r);
                poles.push(ph - r);
                zeros.push(C::new(0.0, wo));
                zeros.push(C::new(0.0, -wo));
            }
            k /= proto.iter().map(|p| -p).product::<C>();
        }
    }
    // Bilinear transform (2 f_s = 4): zeros at infinity go to z = −1.
    let fs2 = 4.0;
    k *=
        zeros.iter().map(|z| fs2 - z).product::<C>() / poles.iter().map(|p| fs2 - p).product::<C>();
    let mut zd: Vec<C> = zeros.iter().map(|z| (fs2 + z) / (fs2 - z)).collect();
    zd.extend(std::iter::repeat_n(
        C::new(-1.0, 0.0),
        poles.len() - zeros.len(),
    ));
    let pd: Vec<C> = poles.iter().map(|p| (fs2 + p) / (fs2 - p)).collect();
    Ok(sections(pd, zd, k.re))
}

/// Groups conjugate poles (and zeros) into real second-order sections, the gain in the
/// first one.
fn sections(poles: Vec<C>, zeros: Vec<C>, gain: f64) -> Vec<Section> {
    let tol = 1e-12;
    let split = |v: Vec<C>| {
        let (mut cplx, mut real) = (Vec::new(), Vec::new());
        for c in v {
            if c.im > tol {
                cplx.push(c);
            } else if c.im.abs() <= tol {
                real.push(c.re);
            }
        }
        let mut quads: Vec<[f64; 3]> = cplx
            .iter()
            .map(|c| [1.0, -2.0 * c.re, c.norm_sqr()])
            .collect();
        // Real roots paired smallest with largest: a band-pass section then has one zero
        // at z = 1 and one at z = −1, which keeps its gain flat.
        real.sort_by(f64::total_cmp);
        while let Some(a) = real.pop() {
            quads.push(if real.is_empty() {
                [1.0, -a, 0.0]
            } else {
                let b = real.remove(0);
                [1.0, -(a + b), a * b]
            });
        }
        quads
    };
    let a = split(poles);
    let mut b = split(zeros);
    // A first-order denominator takes a first-order numerator.
    b.sort_by_key(|q| q[2] != 0.0);
    let mut out: Vec<Section> = Vec::with_capacity(a.len());
    let mut firsts: Vec<[f64; 3]> = b.iter().filter(|q| q[2] == 0.0).copied().collect();
    let mut seconds: Vec<[f64; 3]> = b.iter().filter(|q| q[2] != 0.0).copied().collect();
    for den in a {
        let num = if den[2] == 0.0 {
            firsts.pop().or_else(|| seconds.pop())
        } else {
            seconds.pop().or_else(|| firsts.pop())
        };
        out.push((num.unwrap_or([1.0, 0.0, 0.0]), den));
    }
    if let Some(first) = out.first_mut() {
        for v in &mut first.0 {
            *v *= gain;
        }
    }
    out
}

/// Runs the cascade over `x` in place from the steady state of a constant input `x0`
/// (scipy.signal.sosfilt_zi scaled by the first value).
fn cascade(sos: &[Section], x: &mut [f64]) {
    let Some(&x0) = x.first() else { return };
    let mut states: Vec<[f64; 2]> = Vec::with_capacity(sos.len());
    let mut u = x0;
    for (b, a) in sos {
        let y = u * (b[0] + b[1] + b[2]) / (a[0] + a[1] + a[2]);
        let z2 = b[2] * u - a[2] * y;
        let z1 = b[1] * u - a[1] * y + z2;
        states.push([z1, z2]);
        u = y;
    }
    for v in x.iter_mut() {
        let mut u = *v;
        for ((b, a), z) in sos.iter().zip(states.iter_mut()) {
            let y = b[0] * u + z[0];
            z[0] = b[1] * u - a[1] * y + z[1];
            z[1] = b[2] * u - a[2] * y;
            u = y;
        }
        *v = u;
    }
}

fn zero_phase(d: &[Datum], band: Band) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let (fs, order) = (d[1].scalar(), whole(d[2].scalar()));
    let (f1, f2) = (d[3].scalar(), d.get(4).map_or(0.0, Datum::scalar));
    let sos = butterworth(order, band, fs, f1, f2)?;
    let poles = if matches!(band, Band::Pass | Band::Stop) {
        2 * order
    } else {
        order
    };
    // scipy.signal.sosfiltfilt's default padding: three times the number of taps.
    let pad = 3 * (poles + 1);
    no_gaps(x, "a zero-phase filter", pad + 1)?;
    let n = x.len();
    let mut ext = Vec::with_capacity(n + 2 * pad);
    ext.extend((1..=pad).rev().map(|i| 2.0 * x[0] - x[i]));
    ext.extend_from_slice(x);
    ext.extend((1..=pad).map(|i| 2.0 * x[n - 1] - x[n - 1 - i]));
    cascade(&sos, &mut ext);
    ext.reverse();
    cascade(&sos, &mut ext);
    ext.reverse();
    Ok(vec![Datum::Series(ext[pad..pad + n].to_vec())])
}

fn lowpass(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    zero_phase(d, Band::Low)
}

fn highpass(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    zero_phase(d, Band::High)
}

fn bandpass(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    zero_phase(d, Band::Pass)
}

fn bandstop(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    zero_phase(d, Band::Stop)
}

/// The single-sided amplitude spectrum of `x` (as freq.fft_amplitude) and its frequencies.
fn amplitude_spectrum(x: &[f64], fs: f64) -> Result<(Vec<f64>, Vec<f64>), Refusal> {
    let n = x.len();
    let mut amp = rfft_abs(x)?;
    for (k, a) in amp.iter_mut().enumerate() {
        let single = k == 0 || (n.is_multiple_of(2) && k == n / 2);
        *a *= (if single { 1.0 } else { 2.0 }) / n as f64;
    }
    let freq = (0..amp.len()).map(|k| k as f64 * fs / n as f64).collect();
    Ok((freq, amp))
}

/// The analytic signal x + iH(x): the spectrum's negative frequencies removed, the
/// positive doubled (scipy.signal.hilbert).
pub(crate) fn analytic(x: &[f64]) -> Vec<C> {
    let n = x.len();
    let mut planner = FftPlanner::new();
    let mut buf: Vec<C> = x.iter().map(|&v| C::new(v, 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut buf);
    let half = n.div_ceil(2);
    for (k, c) in buf.iter_mut().enumerate() {
        if k == 0 || (n.is_multiple_of(2) && k == n / 2) {
            continue;
        }
        *c *= if k < half { 2.0 } else { 0.0 };
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    for c in &mut buf {
        *c /= n as f64;
    }
    buf
}

fn envelope(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let fs = d[1].scalar();
    no_gaps(x, "the envelope spectrum", 4)?;
    let n = x.len();
    let env: Vec<f64> = analytic(x).iter().map(|c| c.norm()).collect();
    let m = env.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = env.iter().map(|v| v - m).collect();
    let (freq, amp) = amplitude_spectrum(&centred, fs)?;
    let peak = (1..amp.len()).fold(0, |b, k| if b == 0 || amp[k] > amp[b] { k } else { b });
    Ok(vec![
        Datum::Series(env),
        Datum::Series(freq.clone()),
        Datum::Series(amp),
        Datum::Scalar(freq.get(peak).copied().unwrap_or(0.0)),
    ])
}

fn band_power(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (fs, f1, f2) = (d[1].scalar(), d[3].scalar(), d[4].scalar());
    if f2 < f1 {
        return Err(bad_cutoff());
    }
    let (freq, psd, _) = welch_psd(d[0].series(), fs, whole(d[2].scalar()))?;
    let df = freq.get(1).copied().unwrap_or(fs);
    let total: f64 = psd.iter().sum::<f64>() * df;
    let band: f64 = freq
        .iter()
        .zip(&psd)
        .filter(|(f, _)| **f >= f1 && **f <= f2)
        .map(|(_, p)| p)
        .sum::<f64>()
        * df;
    let ratio = if total > 0.0 { band / total } else { f64::NAN };
    Ok(vec![
        Datum::Scalar(band),
        Datum::Scalar(total),
        Datum::Scalar(ratio),
    ])
}

fn cepstrum(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let fs = d[1].scalar();
    no_gaps(x, "the cepstrum", 4)?;
    let n = x.len();
    let mags = rfft_abs(x)?;
    if mags.contains(&0.0) {
        return Err(Refusal::new(
            "a frequency with no energy at all: the logarithm of the spectrum is undefined",
            "某频率能量为零：频谱的对数无定义",
        ));
    }
    let ifft = realfft::RealFftPlanner::<f64>::new().plan_fft_inverse(n);
    let mut spec: Vec<C> = mags.iter().map(|m| C::new(m.ln(), 0.0)).collect();
    let mut out = ifft.make_output_vec();
    ifft.process(&mut spec, &mut out)
        .map_err(|e| Refusal::new(format!("the FFT failed: {e}"), format!("FFT 计算失败：{e}")))?;
    let c: Vec<f64> = out.iter().map(|v| v / n as f64).collect();
    let q = (0..n).map(|k| k as f64 / fs).collect();
    Ok(vec![Datum::Series(q), Datum::Series(c)])
}

fn vibration(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    no_gaps(x, "vibration features", 2)?;
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let rms = (x.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
    let peak = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean_abs = x.iter().map(|v| v.abs()).sum::<f64>() / n;
    let root = (x.iter().map(|v| v.abs().sqrt()).sum::<f64>() / n).powi(2);
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for v in x {
        let e = v - m;
        m2 += e * e;
        m3 += e * e * e;
        m4 += e * e * e * e;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    if rms == 0.0 || m2 == 0.0 {
        return Err(Refusal::new(
            "the signal does not vary: its shape features are undefined",
            "信号没有变化：形状特征无定义",
        ));
    }
    Ok([
        rms,
        peak,
        hi - lo,
        peak / rms,
        m4 / (m2 * m2),
        m3 / m2.powf(1.5),
        rms / mean_abs,
        peak / mean_abs,
        peak / root,
    ]
    .into_iter()
    .map(Datum::Scalar)
    .collect())
}

pub(crate) const WAVELETS: &[&str] = &["haar", "db2", "db4", "sym4"];

/// Decomposition low-pass filters (PyWavelets' `dec_lo`; Daubechies 1992, Table 6.1).
pub(crate) fn dec_lo(kind: usize) -> &'static [f64] {
    match kind {
        0 => &[
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::FRAC_1_SQRT_2,
        ],
        1 => &[
            -0.129_409_522_551_260_37,
            0.224_143_868_042_013_4,
            0.836_516_303_737_807_9,
            0.482_962_913_144_534_16,
        ],
        2 => &[
            -0.010_597_401_785_069_032,
            0.032_883_011_666_885_2,
            0.030_841_381_835_560_764,
            -0.187_034_811_719_093_09,
            -0.027_983_769_416_859_854,
            0.630_880_767_929_858_9,
            0.714_846_570_552_915_7,
            0.230_377_813_308_896_5,
        ],
        _ => &[
            -0.075_765_714_789_273_33,
            -0.029_635_527_645_998_51,
            0.497_618_667_632_015_45,
            0.803_738_751_805_916_1,
            0.297_857_795_605_277_36,
            -0.099_219_543_576_847_22,
            -0.012_603_967_262_037_833,
            0.032_223_100_604_042_7,
        ],
    }
}

/// The multilevel decomposition: the last approximation, the details finest first, and
/// the high-pass filter used.
pub(crate) type Levels = (Vec<f64>, Vec<Vec<f64>>, Vec<f64>);

pub(crate) fn dwt_levels(x: &[f64], lo: &[f64], level: usize) -> Result<Levels, Refusal> {
    let f = lo.len();
    no_gaps(x, "the wavelet transform", 2)?;
    // PyWavelets' dwt_max_level: ⌊log₂(N/(F − 1))⌋.
    let max = ((x.len() as f64 / (f - 1) as f64).log2().floor()).max(0.0) as usize;
    if level > max {
        return Err(Refusal::new(
            format!("{level} levels need more values: at most {max} for this length"),
            format!("{level} 层分解需要更多数据：此长度最多 {max} 层"),
        ));
    }
    // The high-pass filter is the low-pass one reversed with alternating signs.
    let hi: Vec<f64> = (0..f)
        .map(|j| {
            if j % 2 == 0 {
                -lo[f - 1 - j]
            } else {
                lo[f - 1 - j]
            }
        })
        .collect();
    let mut approx = x.to_vec();
    let mut details: Vec<Vec<f64>> = Vec::with_capacity(level);
    for _ in 0..level {
        let n = approx.len() as isize;
        // Half-sample symmetric extension (PyWavelets' mode "symmetric").
        let at = |mut k: isize| {
            while k < 0 || k >= n {
                k = if k < 0 { -k - 1 } else { 2 * n - k - 1 };
            }
            approx[k as usize]
        };
        let len = (approx.len() + f - 1) / 2;
        let (mut a, mut dd) = (Vec::with_capacity(len), Vec::with_capacity(len));
        for i in 0..len as isize {
            let (mut sa, mut sd) = (0.0, 0.0);
            for j in 0..f {
                let v = at(2 * i + 1 - j as isize);
                sa += lo[j] * v;
                sd += hi[j] * v;
            }
            a.push(sa);
            dd.push(sd);
        }
        details.push(dd);
        approx = a;
    }
    Ok((approx, details, hi))
}

fn dwt(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let x = d[0].series();
    let lo = dec_lo(whole(d[1].scalar()));
    let level = whole(d[2].scalar());
    let (approx, details, _) = dwt_levels(x, lo, level)?;
    let energy = |c: &[f64]| c.iter().map(|v| v * v).sum::<f64>();
    let mut coeffs = approx.clone();
    let mut lengths = vec![approx.len() as f64];
    let mut energies = vec![energy(&approx)];
    for dd in details.iter().rev() {
        coeffs.extend_from_slice(dd);
        lengths.push(dd.len() as f64);
        energies.push(energy(dd));
    }
    Ok(vec![
        Datum::Series(coeffs),
        Datum::Series(lengths),
        Datum::Series(energies),
    ])
}

const SIGNAL: Port = Port::series("x", "Signal", "信号", "");
const FS: Port = Port::new("fs", "Sampling rate", "采样频率", "Hz", 1e-9, 1e9);
const ORDER: Port = Port::new("order", "Filter order", "滤波器阶数", "", 1.0, 12.0).default(4.0);
const F1: Port = Port::new("f_low", "Lower cut-off", "下截止频率", "Hz", 0.0, 1e9);
const F2: Port = Port::new("f_high", "Upper cut-off", "上截止频率", "Hz", 0.0, 1e9);
const FILTERED: &[Port] = &[Port::series("y", "Filtered signal", "滤波后信号", "")];
const BUTTER_REF: &[Reference] = &[
    Reference {
        source: "Butterworth, S. (1930), On the theory of filter amplifiers, Experimental Wireless 7:536–541",
        locator: "",
    },
    Reference {
        source: "Gustafsson, F. (1996), Determining the initial states in forward-backward filtering, IEEE Trans. Signal Processing 44(4):988–992",
        locator: "scipy.signal.butter(output=\"sos\") + sosfiltfilt (odd extension of 3 × taps, sosfilt_zi)",
    },
];
const RANDALL: &str = "Randall, R. B., Vibration-based Condition Monitoring, Wiley, 2011";

macro_rules! butter_model {
    ($id:literal, $en:literal, $zh:literal, $sum_en:literal, $sum_zh:literal, $inputs:expr, $f:ident) => {
        Model {
            card: algo(
                $id,
                Text::new($en, $zh),
                Text::new($sum_en, $sum_zh),
                $inputs,
                FILTERED,
                Text::new(
                    "Butterworth prototype poles pre-warped (ω = 2f_s tan(πf/f_s)), transformed to the band, bilinear transform to second-order sections; run forward and backward from steady state on the signal extended by odd reflection, so the phase is zero and the gain squared.",
                    "Butterworth 原型极点经预畸变（ω = 2f_s tan(πf/f_s)）变换到所需频带，再经双线性变换为二阶节；在奇对称延拓的信号上自稳态正向、反向各滤一次，相位为零、幅频为平方。",
                ),
                BUTTER_REF,
            ),
            eval: Eval::Data($f),
        }
    };
}

pub(crate) const MODELS: &[Model] = &[
    butter_model!(
        "filter.butterworth_lowpass",
        "Butterworth low-pass filter (zero phase)",
        "Butterworth 低通滤波（零相位）",
        "Removes components above the cut-off without shifting the signal in time, e.g. noise on a slow process value.",
        "去除截止频率以上的分量且不产生时移，例如慢变过程量上的噪声。",
        &[SIGNAL, FS, ORDER, F1],
        lowpass
    ),
    butter_model!(
        "filter.butterworth_highpass",
        "Butterworth high-pass filter (zero phase)",
        "Butterworth 高通滤波（零相位）",
        "Removes drift and components below the cut-off without shifting the signal in time.",
        "去除漂移及截止频率以下的分量且不产生时移。",
        &[SIGNAL, FS, ORDER, F1],
        highpass
    ),
    butter_model!(
        "filter.butterworth_bandpass",
        "Butterworth band-pass filter (zero phase)",
        "Butterworth 带通滤波（零相位）",
        "Keeps a frequency band, e.g. a bearing's resonance band before the envelope spectrum.",
        "保留一个频带，例如包络谱分析前的轴承共振频带。",
        &[SIGNAL, FS, ORDER, F1, F2],
        bandpass
    ),
    butter_model!(
        "filter.butterworth_bandstop",
        "Butterworth band-stop filter (zero phase)",
        "Butterworth 带阻滤波（零相位）",
        "Removes a frequency band, e.g. mains interference at 50 Hz.",
        "去除一个频带，例如 50 Hz 工频干扰。",
        &[SIGNAL, FS, ORDER, F1, F2],
        bandstop
    ),
    Model {
        card: algo(
            "freq.envelope_spectrum",
            Text::new("Envelope spectrum (Hilbert)", "包络谱（希尔伯特变换）"),
            Text::new(
                "Amplitude spectrum of a signal's envelope, where bearing and gear defects show at their fault frequencies.",
                "信号包络的幅值谱，轴承与齿轮故障在其特征频率处显现。",
            ),
            &[SIGNAL, FS],
            &[
                Port::series("envelope", "Envelope", "包络", ""),
                Port::series("freq", "Frequency", "频率", "Hz"),
                Port::series("amplitude", "Envelope amplitude", "包络幅值", ""),
                Port::out(
                    "peak_freq",
                    "Strongest envelope frequency",
                    "最强包络频率",
                    "Hz",
                ),
            ],
            Text::new(
                "e = |x + i H(x)| by the FFT (scipy.signal.hilbert); the single-sided amplitude spectrum of e − ē as freq.fft_amplitude.",
                "e = |x + i H(x)|，由 FFT 求得（scipy.signal.hilbert）；e − ē 的单边幅值谱同 freq.fft_amplitude。",
            ),
            &[Reference {
                source: RANDALL,
                locator: "§3.3.2, the Hilbert transform; §5.5, envelope analysis",
            }],
        ),
        eval: Eval::Data(envelope),
    },
    Model {
        card: algo(
            "freq.band_power",
            Text::new("Band power", "频带功率"),
            Text::new(
                "Power of a signal within a frequency band from its Welch spectrum, and its share of the total.",
                "由 Welch 功率谱求信号在某频带内的功率及其占总功率的比例。",
            ),
            &[
                SIGNAL,
                FS,
                Port::new(
                    "nperseg",
                    "Segment length",
                    "分段长度",
                    "",
                    8.0,
                    1_048_576.0,
                )
                .default(256.0),
                F1,
                F2,
            ],
            &[
                Port::out("power", "Band power", "频带功率", ""),
                Port::out("total", "Total power", "总功率", ""),
                Port::out("ratio", "Share of the total", "占总功率比例", ""),
            ],
            Text::new(
                "P = Σ P_k Δf over f_low ≤ f_k ≤ f_high, P_k the Welch density as freq.welch_psd (scipy.signal.welch), Δf = f_s/L.",
                "P = Σ P_k Δf，求和范围 f_low ≤ f_k ≤ f_high，P_k 为 Welch 功率谱密度（同 freq.welch_psd，scipy.signal.welch），Δf = f_s/L。",
            ),
            &[Reference {
                source: "Welch, P. D. (1967), The use of fast Fourier transform for the estimation of power spectra, IEEE Trans. Audio and Electroacoustics 15(2):70–73",
                locator: "",
            }],
        ),
        eval: Eval::Data(band_power),
    },
    Model {
        card: algo(
            "freq.cepstrum",
            Text::new("Real cepstrum", "实倒谱"),
            Text::new(
                "Inverse transform of the log amplitude spectrum: families of harmonics and sidebands (gears, bearings) become single peaks at their spacing's quefrency.",
                "对数幅值谱的逆变换：谐波族与边带（齿轮、轴承）成为其间隔对应倒频率处的单个峰。",
            ),
            &[SIGNAL, FS],
            &[
                Port::series("quefrency", "Quefrency", "倒频率", "s"),
                Port::series("cepstrum", "Real cepstrum", "实倒谱", ""),
            ],
            Text::new(
                "c = IFFT(ln|FFT(x)|) (numpy.fft.irfft of the log magnitude), quefrency k/f_s.",
                "c = IFFT(ln|FFT(x)|)（numpy.fft.irfft 作用于对数幅值），倒频率 k/f_s。",
            ),
            &[
                Reference {
                    source: "Bogert, B. P., Healy, M. J. R., Tukey, J. W. (1963), The quefrency alanysis of time series for echoes, Proc. Symposium on Time Series Analysis, Wiley, 209–243",
                    locator: "",
                },
                Reference {
                    source: RANDALL,
                    locator: "§3.7, cepstrum analysis",
                },
            ],
        ),
        eval: Eval::Data(cepstrum),
    },
    Model {
        card: algo(
            "vib.time_features",
            Text::new("Vibration time-domain features", "振动时域特征"),
            Text::new(
                "RMS, peak, peak-to-peak, crest factor, kurtosis, skewness and the shape, impulse and clearance factors of a vibration signal.",
                "振动信号的有效值、峰值、峰峰值、峰值因子、峭度、偏度以及波形、脉冲和裕度因子。",
            ),
            &[SIGNAL],
            &[
                Port::out("rms", "RMS", "有效值", ""),
                Port::out("peak", "Peak |x|", "峰值 |x|", ""),
                Port::out("peak_to_peak", "Peak to peak", "峰峰值", ""),
                Port::out("crest", "Crest factor", "峰值因子", ""),
                Port::out(
                    "kurtosis",
                    "Kurtosis (3 for a normal signal)",
                    "峭度（正态为 3）",
                    "",
                ),
                Port::out("skewness", "Skewness", "偏度", ""),
                Port::out("shape", "Shape factor", "波形因子", ""),
                Port::out("impulse", "Impulse factor", "脉冲因子", ""),
                Port::out("clearance", "Clearance factor", "裕度因子", ""),
            ],
            Text::new(
                "RMS = √(Σx²/n); crest = peak/RMS; kurtosis = m₄/m₂², skewness = m₃/m₂^1.5 (central moments over n, scipy.stats); shape = RMS/mean|x|; impulse = peak/mean|x|; clearance = peak/(mean √|x|)².",
                "有效值 = √(Σx²/n)；峰值因子 = 峰值/有效值；峭度 = m₄/m₂²，偏度 = m₃/m₂^1.5（中心矩除以 n，scipy.stats）；波形因子 = 有效值/mean|x|；脉冲因子 = 峰值/mean|x|；裕度因子 = 峰值/(mean √|x|)²。",
            ),
            &[Reference {
                source: RANDALL,
                locator: "§2.2.2, statistical parameters (crest factor, kurtosis)",
            }],
        ),
        eval: Eval::Data(vibration),
    },
    Model {
        card: algo(
            "wavelet.dwt",
            Text::new("Multilevel discrete wavelet transform", "多层离散小波变换"),
            Text::new(
                "Splits a signal into an approximation and detail bands level by level, with each band's energy, for transient and fault features.",
                "逐层将信号分解为近似与细节频带，并给出各频带能量，用于瞬态与故障特征。",
            ),
            &[
                SIGNAL,
                Port::choice("wavelet", "Wavelet", "小波", WAVELETS).default(2.0),
                Port::new("level", "Levels", "分解层数", "", 1.0, 30.0).default(3.0),
            ],
            &[
                Port::series(
                    "coeffs",
                    "Coefficients cA_L, cD_L … cD_1 end to end",
                    "系数 cA_L、cD_L … cD_1 依次相接",
                    "",
                ),
                Port::series("lengths", "Length of each band", "各频带长度", ""),
                Port::series("energy", "Energy Σc² of each band", "各频带能量 Σc²", ""),
            ],
            Text::new(
                "cA[i] = Σ_j h_j x[2i + 1 − j], cD[i] = Σ_j g_j x[2i + 1 − j], x extended by half-sample symmetry, g_j = (−1)^(j+1) h_(F−1−j); repeated on cA (pywt.wavedec, mode=\"symmetric\").",
                "cA[i] = Σ_j h_j x[2i + 1 − j]，cD[i] = Σ_j g_j x[2i + 1 − j]，x 按半样本对称延拓，g_j = (−1)^(j+1) h_(F−1−j)；对 cA 逐层重复（pywt.wavedec，mode=\"symmetric\"）。",
            ),
            &[
                Reference {
                    source: "Daubechies, I., Ten Lectures on Wavelets, SIAM, 1992",
                    locator: "Table 6.1 (db2, db4), §8.1 (symlets)",
                },
                Reference {
                    source: "Lee, G. R. et al. (2019), PyWavelets: a Python package for wavelet analysis, JOSS 4(36):1237",
                    locator: "pywt.wavedec",
                },
            ],
        ),
        eval: Eval::Data(dwt),
    },
];
