//! Trained models, run with tract (cargo feature `onnx`): a rolling-bearing fault
//! classifier and a vibration autoencoder (anomaly score), both over vibration features
//! computed here from the raw signal.
//!
//! The networks and their data cards live in `crates/models/onnx/` with the scripts that
//! train them (`train_bearing.py`, `train_autoencoder.py`) on synthetic vibration
//! (`bearing_signals.py`, whose `features` this module follows definition for definition;
//! the test run compares the two on the same signals, and tract's outputs with
//! onnxruntime's). The ONNX files are embedded and each loaded once, on first use; a build
//! without the feature still lists the cards but refuses to evaluate them.

use crate::algorithms::algo;
use crate::numeric::no_gaps;
use crate::spectral::rfft_abs;
use crate::{Eval, Model};
use ironloom_core::model::{Datum, Port, Reference, Refusal, Text};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// The bearing-fault classifier (see `onnx/bearing_fault.md`).
#[cfg_attr(not(feature = "onnx"), allow(dead_code))]
const BEARING_FAULT: &[u8] = include_bytes!("../onnx/bearing_fault.onnx");
/// The autoencoder of sound bearings' features (see `onnx/vibration_autoencoder.md`).
#[cfg_attr(not(feature = "onnx"), allow(dead_code))]
const AUTOENCODER: &[u8] = include_bytes!("../onnx/vibration_autoencoder.onnx");
/// Its alarm threshold: the 99th percentile of the score over sound validation windows
/// (train_autoencoder.py; also in the model's metadata, which the vectors check).
const AUTOENCODER_THRESHOLD: f64 = 0.575;

/// The number of features the classifier reads.
pub const FEATURES: usize = 7;
/// Its classes, in the order of its outputs.
pub const CLASSES: [&str; 4] = ["normal", "outer_race", "inner_race", "ball"];
/// The allowance for slip around a defect frequency (relative).
const SLIP: f64 = 0.02;
/// The shortest window, in shaft revolutions.
const MIN_REVOLUTIONS: f64 = 5.0;

fn refuse(en: &str, zh: &str) -> Refusal {
    Refusal::new(en.to_string(), zh.to_string())
}

/// The single-sided amplitude spectrum of the envelope of the band f_s/8 … f_s/2, by the
/// FFT (bearing_signals.envelope_spectrum).
fn envelope_spectrum(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let n = x.len();
    let mut planner = FftPlanner::<f64>::new();
    let mut buf: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(v, 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut buf);
    let (k_lo, k_hi) = (n.div_ceil(8), n.div_ceil(2));
    for (k, c) in buf.iter_mut().enumerate() {
        *c = if (k_lo..k_hi).contains(&k) {
            *c * 2.0
        } else {
            Complex::new(0.0, 0.0)
        };
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    let env: Vec<f64> = buf.iter().map(|c| c.norm() / n as f64).collect();
    let m = env.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = env.iter().map(|v| v - m).collect();
    Ok(rfft_abs(&centred)?
        .into_iter()
        .map(|a| a * 2.0 / n as f64)
        .collect())
}

/// The strongest line within the slip allowance (and one bin) of `f`, 0 when no bin is.
fn line_level(amp: &[f64], df: f64, f: f64) -> f64 {
    amp.iter()
        .enumerate()
        .skip(1)
        .filter(|(k, _)| (*k as f64 * df - f).abs() <= SLIP * f + df)
        .fold(0.0, |a, (_, v)| a.max(*v))
}

/// numpy's median: the mean of the two middle values of an even count.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A bearing's geometry and speed: rolling elements, element and pitch diameters (same
/// unit), contact angle in degrees, shaft speed in r/min.
#[derive(Debug, Clone, Copy)]
pub struct Bearing {
    pub z: f64,
    pub d: f64,
    pub pitch: f64,
    pub angle_deg: f64,
    pub rpm: f64,
}

/// The classifier's features of a vibration signal sampled at `fs` Hz, in the order of
/// `bearing_signals.FEATURES`: ln(kurtosis/3), crest factor in dB, and the envelope lines
/// at BPFO, BPFI, 2×BSF, the shaft and the cage frequency in dB over the median level.
pub fn bearing_features(x: &[f64], fs: f64, b: Bearing) -> Result<[f64; FEATURES], Refusal> {
    no_gaps(x, "the bearing-fault classifier", 64)?;
    if b.d >= b.pitch {
        return Err(refuse(
            "the rolling element diameter must be smaller than the pitch diameter",
            "滚动体直径必须小于节圆直径",
        ));
    }
    let n = x.len();
    let fr = b.rpm / 60.0;
    let k = b.d / b.pitch * b.angle_deg.to_radians().cos();
    let ftf = fr / 2.0 * (1.0 - k);
    let bpfo = b.z / 2.0 * fr * (1.0 - k);
    let bpfi = b.z / 2.0 * fr * (1.0 + k);
    let bsf = b.pitch / (2.0 * b.d) * fr * (1.0 - k * k);
    if n as f64 / fs * fr < MIN_REVOLUTIONS {
        return Err(refuse(
            "the window must span at least 5 shaft revolutions",
            "数据窗口至少须覆盖 5 转",
        ));
    }
    if 2.0 * bpfo.max(bpfi).max(2.0 * bsf) * (1.0 + SLIP) + fs / n as f64 >= fs / 8.0 {
        return Err(refuse(
            "the sampling rate is too low for this speed: twice the highest defect frequency must stay below f_s/8",
            "相对该转速采样频率过低：最高故障频率的两倍须低于 f_s/8",
        ));
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let xc: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let m2 = xc.iter().map(|v| v * v).sum::<f64>() / n as f64;
    let m4 = xc.iter().map(|v| v.powi(4)).sum::<f64>() / n as f64;
    if m2 == 0.0 {
        return Err(refuse("the signal does not vary", "信号没有变化"));
    }
    let peak = xc.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let amp = envelope_spectrum(&xc)?;
    let df = fs / n as f64;
    let floor = median(
        amp.iter()
            .enumerate()
            .skip(1)
            .filter(|(k, _)| *k as f64 * df <= fs / 8.0)
            .map(|(_, v)| *v)
            .collect(),
    );
    let db = |f: f64| {
        20.0 * ((line_level(&amp, df, f) + line_level(&amp, df, 2.0 * f)) / (2.0 * floor)).log10()
    };
    let out = [
        (m4 / (m2 * m2) / 3.0).ln(),
        20.0 * (peak / m2.sqrt()).log10(),
        db(bpfo),
        db(bpfi),
        db(2.0 * bsf),
        db(fr),
        db(ftf),
    ];
    if out.iter().any(|v| !v.is_finite()) {
        return Err(refuse(
            "the envelope spectrum has no level to compare the defect lines with",
            "包络谱没有可与故障谱线比较的基准水平",
        ));
    }
    Ok(out)
}

/// The networks embedded in the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    BearingFault = 0,
    Autoencoder = 1,
}

impl Net {
    #[cfg_attr(not(feature = "onnx"), allow(dead_code))]
    fn bytes(self) -> &'static [u8] {
        match self {
            Net::BearingFault => BEARING_FAULT,
            Net::Autoencoder => AUTOENCODER,
        }
    }

    #[cfg_attr(not(feature = "onnx"), allow(dead_code))]
    fn name(self) -> Text {
        match self {
            Net::BearingFault => Text::new("the bearing-fault model", "轴承故障模型"),
            Net::Autoencoder => Text::new("the vibration autoencoder", "振动自编码器"),
        }
    }
}

fn check_features(features: &[f64; FEATURES]) -> Result<Vec<f32>, Refusal> {
    if features.iter().any(|v| !v.is_finite()) {
        return Err(refuse(
            "the features must be finite numbers",
            "特征值必须为有限数",
        ));
    }
    Ok(features.iter().map(|&v| v as f32).collect())
}

/// Runs a network on one row of features: its outputs in order, flattened, as f64.
fn run(net: Net, x: &[f32]) -> Result<Vec<Vec<f64>>, Refusal> {
    #[cfg(feature = "onnx")]
    return runtime::run(net, x);
    #[cfg(not(feature = "onnx"))]
    {
        let _ = (net, x);
        Err(Refusal::new(
            "this build has no ONNX runtime (cargo feature `onnx` of ironloom-models)",
            "此构建不含 ONNX 推理引擎（ironloom-models 的 cargo 特性 `onnx`）",
        ))
    }
}

/// The classifier's probabilities (in the order of [`CLASSES`]) and predicted class for
/// a feature vector, by tract.
pub fn classify_bearing_features(
    features: &[f64; FEATURES],
) -> Result<([f64; CLASSES.len()], usize), Refusal> {
    let out = run(Net::BearingFault, &check_features(features)?)?;
    let mut probs = [0.0; CLASSES.len()];
    let label = match out.as_slice() {
        [p, l] if p.len() == probs.len() && l.len() == 1 => {
            probs.copy_from_slice(p);
            l[0] as usize
        }
        _ => return Err(runtime_failed("unexpected outputs")),
    };
    if label >= probs.len() {
        return Err(runtime_failed("unexpected class"));
    }
    Ok((probs, label))
}

/// The autoencoder's anomaly score (mean squared reconstruction error of the standardised
/// features) for a feature vector, by tract.
pub fn autoencoder_score(features: &[f64; FEATURES]) -> Result<f64, Refusal> {
    let out = run(Net::Autoencoder, &check_features(features)?)?;
    match out.first().map(Vec::as_slice) {
        Some([score]) => Ok(*score),
        _ => Err(runtime_failed("unexpected outputs")),
    }
}

fn runtime_failed(e: &str) -> Refusal {
    Refusal::new(
        format!("the ONNX model could not run: {e}"),
        format!("ONNX 模型无法运行：{e}"),
    )
}

#[cfg(feature = "onnx")]
mod runtime {
    use super::{FEATURES, Net, runtime_failed};
    use ironloom_core::model::Refusal;
    use std::sync::{Arc, OnceLock};
    use tract_onnx::prelude::*;

    type Plan = Arc<TypedRunnableModel>;

    /// A network, optimised for one row of features: loaded on first use, once.
    fn plan(net: Net) -> Result<&'static Plan, Refusal> {
        static PLANS: [OnceLock<Result<Plan, String>>; 2] = [const { OnceLock::new() }; 2];
        PLANS[net as usize]
            .get_or_init(|| {
                tract_onnx::onnx()
                    .model_for_read(&mut std::io::Cursor::new(net.bytes()))
                    .and_then(|m| m.with_input_fact(0, f32::fact([1, FEATURES]).into()))
                    .and_then(|m| m.into_optimized())
                    .and_then(|m| m.into_runnable())
                    .map_err(|e| format!("{e:#}"))
            })
            .as_ref()
            .map_err(|e| {
                let name = net.name();
                Refusal::new(
                    format!("{} failed to load: {e}", name.en),
                    format!("{}加载失败：{e}", name.zh),
                )
            })
    }

    pub(super) fn run(net: Net, x: &[f32]) -> Result<Vec<Vec<f64>>, Refusal> {
        let plan = plan(net)?;
        let input =
            Tensor::from_shape(&[1, FEATURES], x).map_err(|e| runtime_failed(&e.to_string()))?;
        // tract reports errors as values; a panic inside it would be a bug there, and is
        // turned into a refusal rather than taking the caller down.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plan.run(tvec!(input.into()))
        }))
        .map_err(|_| runtime_failed("the runtime panicked"))?
        .map_err(|e| runtime_failed(&e.to_string()))?;
        out.iter()
            .map(|t| {
                if let Ok(a) = t.to_plain_array_view::<f32>() {
                    Ok(a.iter().map(|&v| f64::from(v)).collect())
                } else if let Ok(a) = t.to_plain_array_view::<i64>() {
                    Ok(a.iter().map(|&v| v as f64).collect())
                } else {
                    Err(runtime_failed("an output of an unexpected type"))
                }
            })
            .collect()
    }
}

/// The features of the window the inputs ([`INPUTS`]) describe.
fn window_features(d: &[Datum]) -> Result<[f64; FEATURES], Refusal> {
    let s = |i: usize| d[i].scalar();
    let b = Bearing {
        rpm: s(2),
        z: s(3),
        d: s(4),
        pitch: s(5),
        angle_deg: s(6),
    };
    bearing_features(d[0].series(), s(1), b)
}

fn vibration_autoencoder(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let score = autoencoder_score(&window_features(d)?)?;
    let alarm = if score > AUTOENCODER_THRESHOLD {
        1.0
    } else {
        0.0
    };
    Ok(vec![
        Datum::Scalar(score),
        Datum::Scalar(AUTOENCODER_THRESHOLD),
        Datum::Scalar(alarm),
    ])
}

fn bearing_fault(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let f = window_features(d)?;
    let (p, label) = classify_bearing_features(&f)?;
    Ok(p.into_iter()
        .chain([label as f64])
        .chain(f)
        .map(Datum::Scalar)
        .collect())
}

/// A vibration window, its sampling, the shaft speed and the bearing (a 6205 by default).
const INPUTS: &[Port] = &[
    Port::series(
        "x",
        "Vibration signal (acceleration)",
        "振动信号（加速度）",
        "",
    ),
    Port::new("fs", "Sampling rate", "采样频率", "Hz", 1.0, 1e7),
    Port::new("speed", "Shaft speed", "轴转速", "r/min", 1.0, 1e6),
    Port::new(
        "z",
        "Number of rolling elements",
        "滚动体数",
        "",
        3.0,
        200.0,
    )
    .default(9.0),
    Port::new(
        "d",
        "Rolling element diameter",
        "滚动体直径",
        "mm",
        1e-3,
        1e4,
    )
    .default(7.94),
    Port::new("pitch", "Pitch diameter", "节圆直径", "mm", 1e-3, 1e5).default(39.04),
    Port::new("angle", "Contact angle", "接触角", "°", 0.0, 60.0).default(0.0),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: algo(
            "ml.bearing_fault_classifier",
            Text::new(
                "Rolling-bearing fault classifier (neural network)",
                "滚动轴承故障分类（神经网络）",
            ),
            Text::new(
                "Tells a sound bearing from an outer-race, inner-race or rolling-element defect in a vibration signal: features of the signal and its envelope spectrum at the bearing's defect frequencies, classified by a small neural network (ONNX, run with tract) trained on synthetic vibration. A screening aid, not a certified diagnosis.",
                "由振动信号判别轴承正常或外圈、内圈、滚动体故障：信号及其在轴承故障特征频率处的包络谱特征，由以合成振动数据训练的小型神经网络（ONNX，tract 推理）分类。用于初筛，并非经认证的诊断。",
            ),
            INPUTS,
            &[
                Port::out("p_normal", "Probability: sound", "概率：正常", ""),
                Port::out(
                    "p_outer",
                    "Probability: outer-race defect",
                    "概率：外圈故障",
                    "",
                ),
                Port::out(
                    "p_inner",
                    "Probability: inner-race defect",
                    "概率：内圈故障",
                    "",
                ),
                Port::out(
                    "p_ball",
                    "Probability: rolling-element defect",
                    "概率：滚动体故障",
                    "",
                ),
                Port::out(
                    "class",
                    "Most probable class (0 sound, 1 outer race, 2 inner race, 3 rolling element)",
                    "最可能类别（0 正常，1 外圈，2 内圈，3 滚动体）",
                    "",
                ),
                Port::out("ln_kurtosis", "ln(kurtosis / 3)", "ln(峭度 / 3)", ""),
                Port::out("crest_db", "Crest factor (dB)", "峰值因子（dB）", ""),
                Port::out(
                    "env_bpfo_db",
                    "Envelope line at BPFO (dB over the median)",
                    "包络谱 BPFO 处谱线（相对中位数，dB）",
                    "",
                ),
                Port::out(
                    "env_bpfi_db",
                    "Envelope line at BPFI (dB over the median)",
                    "包络谱 BPFI 处谱线（相对中位数，dB）",
                    "",
                ),
                Port::out(
                    "env_2bsf_db",
                    "Envelope line at 2×BSF (dB over the median)",
                    "包络谱 2×BSF 处谱线（相对中位数，dB）",
                    "",
                ),
                Port::out(
                    "env_fr_db",
                    "Envelope line at the shaft frequency (dB over the median)",
                    "包络谱转频处谱线（相对中位数，dB）",
                    "",
                ),
                Port::out(
                    "env_ftf_db",
                    "Envelope line at the cage frequency FTF (dB over the median)",
                    "包络谱保持架频率 FTF 处谱线（相对中位数，dB）",
                    "",
                ),
            ],
            Text::new(
                "Defect frequencies as bearing.defect_frequencies. x − x̄: ln(m₄/m₂²/3), 20 lg(max|x|/rms). Envelope: the band f_s/8 ≤ f < f_s/2 of the FFT doubled, the rest zeroed, |IFFT|, mean removed; A_k = 2|E_k|/N. Line P(f) = max A_k over |f_k − f| ≤ 0.02 f + f_s/N; feature 20 lg((P(f) + P(2f))/(2 M)), M the median A_k over 0 < f_k ≤ f_s/8. Network: standardise, 16 ReLU units, softmax over (sound, outer race, inner race, rolling element); validation accuracy 87 % on synthetic data (crates/models/onnx/bearing_fault.md). Needs ≥ 5 revolutions and 2·max(BPFO, BPFI, 2·BSF)·1.02 < f_s/8; the defaults are a 6205 deep-groove ball bearing.",
                "故障频率同 bearing.defect_frequencies。x − x̄：ln(m₄/m₂²/3)，20 lg(max|x|/rms)。包络：FFT 中 f_s/8 ≤ f < f_s/2 频带加倍、其余置零，取 |IFFT| 并去均值；A_k = 2|E_k|/N。谱线 P(f) = |f_k − f| ≤ 0.02 f + f_s/N 范围内 A_k 的最大值；特征 20 lg((P(f) + P(2f))/(2 M))，M 为 0 < f_k ≤ f_s/8 内 A_k 的中位数。网络：标准化、16 个 ReLU 单元、softmax 输出（正常、外圈、内圈、滚动体）；合成数据验证集准确率 87 %（crates/models/onnx/bearing_fault.md）。要求至少 5 转且 2·max(BPFO, BPFI, 2·BSF)·1.02 < f_s/8；默认值为 6205 深沟球轴承。",
            ),
            &[
                Reference {
                    source: "Ironloom, crates/models/onnx/train_bearing.py and the data card bearing_fault.md (synthetic training data, bearing_signals.py)",
                    locator: "",
                },
                Reference {
                    source: "Randall, R. B., Antoni, J. (2011), Rolling element bearing diagnostics — a tutorial, Mechanical Systems and Signal Processing 25(2):485–520",
                    locator: "§2 (signal model), §3.3 (envelope analysis)",
                },
                Reference {
                    source: "McFadden, P. D., Smith, J. D. (1984), Model for the vibration produced by a single point defect in a rolling element bearing, Journal of Sound and Vibration 96(1):69–82",
                    locator: "",
                },
                Reference {
                    source: "Randall, R. B., Vibration-based Condition Monitoring, Wiley, 2011",
                    locator: "§5.5, envelope analysis; §2.2.4, bearing frequencies",
                },
            ],
        ),
        eval: Eval::Data(bearing_fault),
    },
    Model {
        card: algo(
            "ml.vibration_autoencoder",
            Text::new(
                "Vibration anomaly score (autoencoder)",
                "振动异常评分（自编码器）",
            ),
            Text::new(
                "How unlike a sound bearing a vibration window is: the reconstruction error of its bearing features through an autoencoder (ONNX, run with tract) trained on sound bearings only, against an alarm threshold; it reacts to any departure, not only to the classifier's three defects. Trained on synthetic vibration: a screening aid.",
                "振动窗口与正常轴承的差异程度：其轴承特征经仅以正常轴承训练的自编码器（ONNX，tract 推理）重构的误差，并与报警阈值比较；对任何偏离都有反应，而不限于分类器的三种故障。以合成振动数据训练，用于初筛。",
            ),
            INPUTS,
            &[
                Port::out(
                    "score",
                    "Anomaly score (mean squared reconstruction error)",
                    "异常评分（均方重构误差）",
                    "",
                ),
                Port::out("threshold", "Alarm threshold", "报警阈值", ""),
                Port::out(
                    "alarm",
                    "Alarm (1 above the threshold)",
                    "报警（超过阈值为 1）",
                    "",
                ),
            ],
            Text::new(
                "The seven features of ml.bearing_fault_classifier, standardised with the means and deviations of the sound training windows (z); an autoencoder 7 → 6 → 3 → 6 → 7 (tanh, scikit-learn MLPRegressor) gives ẑ; score = mean((ẑ − z)²); alarm when score > 0.575, the 99th percentile over sound validation windows (1 % false alarms there). Detected on synthetic validation data: outer race 86 %, inner race 78 %, ball 62 %; ROC-AUC 0.90 (crates/models/onnx/vibration_autoencoder.md).",
                "特征同 ml.bearing_fault_classifier 的七个特征，以正常训练窗口的均值与标准差标准化（z）；自编码器 7 → 6 → 3 → 6 → 7（tanh，scikit-learn MLPRegressor）输出 ẑ；评分 = mean((ẑ − z)²)；评分 > 0.575（正常验证窗口的第 99 百分位数，其中误报 1 %）时报警。合成验证数据检出率：外圈 86 %，内圈 78 %，滚动体 62 %；ROC-AUC 0.90（crates/models/onnx/vibration_autoencoder.md）。",
            ),
            &[
                Reference {
                    source: "Ironloom, crates/models/onnx/train_autoencoder.py and the data card vibration_autoencoder.md (synthetic training data, bearing_signals.py)",
                    locator: "",
                },
                Reference {
                    source: "Hinton, G. E., Salakhutdinov, R. R. (2006), Reducing the dimensionality of data with neural networks, Science 313(5786):504–507",
                    locator: "",
                },
                Reference {
                    source: "Randall, R. B., Antoni, J. (2011), Rolling element bearing diagnostics — a tutorial, Mechanical Systems and Signal Processing 25(2):485–520",
                    locator: "§3.3 (envelope analysis)",
                },
            ],
        ),
        eval: Eval::Data(vibration_autoencoder),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_window_shorter_than_five_revolutions() {
        let x: Vec<f64> = (0..1200).map(|i| (i as f64 * 0.37).sin()).collect();
        let b = Bearing {
            z: 9.0,
            d: 7.94,
            pitch: 39.04,
            angle_deg: 0.0,
            rpm: 1200.0,
        };
        // 0.1 s at 20 r/s is 2 revolutions.
        assert!(bearing_features(&x, 12_000.0, b).is_err());
    }

    #[cfg(feature = "onnx")]
    #[test]
    fn the_embedded_model_loads_and_gives_a_distribution() {
        let (p, label) = classify_bearing_features(&[0.0, 12.0, 7.0, 7.0, 7.0, 7.0, 6.0])
            .expect("the model runs");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        assert!(label < CLASSES.len());
        assert!(p.iter().all(|&v| v <= p[label]));
    }

    #[cfg(feature = "onnx")]
    #[test]
    fn the_embedded_autoencoder_loads_and_scores() {
        let score =
            autoencoder_score(&[0.0, 12.0, 7.0, 7.0, 7.0, 7.0, 6.0]).expect("the model runs");
        assert!(score.is_finite() && score >= 0.0);
    }
}
