//! Rotating machinery: rolling-bearing defect frequencies for vibration diagnosis, and
//! bearing life and reliability.

use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

const BEARING_INDUSTRIES: &[&str] = &["C34", "C38", "C36", "D44"];
const SHIGLEY: &str =
    "Budynas, R. G., Nisbett, J. K., Shigley's Mechanical Engineering Design, 8th ed.";

fn defect_frequencies(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (n, d, pitch, angle_deg, rpm) = (x[0], x[1], x[2], x[3], x[4]);
    if d >= pitch {
        return Err(Refusal::new(
            "the rolling element diameter must be smaller than the pitch diameter",
            "滚动体直径必须小于节圆直径",
        ));
    }
    let fr = rpm / 60.0;
    let k = d / pitch * angle_deg.to_radians().cos();
    Ok(vec![
        fr / 2.0 * (1.0 - k),
        n / 2.0 * fr * (1.0 - k),
        n / 2.0 * fr * (1.0 + k),
        pitch / (2.0 * d) * fr * (1.0 - k * k),
        fr,
    ])
}

/// The load-life exponent: 3 for ball bearings, 10/3 for roller bearings (ISO 281 §7.1).
fn exponent(kind: f64) -> f64 {
    if kind == 0.0 { 3.0 } else { 10.0 / 3.0 }
}

fn rating_life(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (c, p, kind, rpm) = (x[0], x[1], x[2], x[3]);
    let l10 = (c / p).powf(exponent(kind));
    Ok(vec![l10, l10 * 1e6 / (60.0 * rpm)])
}

fn weibull_params(x: &[f64]) -> Result<(f64, f64, f64), Refusal> {
    let (x0, theta, b) = (x[0], x[1], x[2]);
    if theta <= x0 {
        return Err(Refusal::new(
            "the Weibull characteristic parameter θ must exceed the guaranteed life x₀",
            "Weibull 特征参数 θ 必须大于最小寿命 x₀",
        ));
    }
    Ok((x0, theta, b))
}

fn catalog_rating(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (fd, xd, rd, kind) = (x[0], x[1], x[2], x[3]);
    let (x0, theta, b) = weibull_params(&x[4..])?;
    let life = x0 + (theta - x0) * (1.0 / rd).ln().powf(1.0 / b);
    Ok(vec![fd * (xd / life).powf(1.0 / exponent(kind))])
}

fn reliability_at_rating(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (fd, xd, c10, kind) = (x[0], x[1], x[2], x[3]);
    let (x0, theta, b) = weibull_params(&x[4..])?;
    let life = xd * (fd / c10).powf(exponent(kind));
    let r = if life <= x0 {
        1.0
    } else {
        (-((life - x0) / (theta - x0)).powf(b)).exp()
    };
    Ok(vec![r])
}

const KIND: Port =
    Port::choice("type", "Bearing type", "轴承类型", &["ball", "roller"]).default(0.0);

/// Shigley's "manufacturer 2" Weibull parameters of rating lives (the book's defaults):
/// x₀ = 0.02, θ − x₀ = 4.439 (so θ = 4.459), b = 1.483.
const WEIBULL: [Port; 3] = [
    Port::new(
        "x0",
        "Weibull guaranteed life x₀ (in rating lives)",
        "Weibull 最小寿命 x₀（额定寿命倍数）",
        "",
        0.0,
        10.0,
    )
    .default(0.02),
    Port::new(
        "theta",
        "Weibull characteristic life θ (in rating lives)",
        "Weibull 特征寿命 θ（额定寿命倍数）",
        "",
        0.01,
        100.0,
    )
    .default(4.459),
    Port::new("b", "Weibull shape b", "Weibull 形状参数 b", "", 0.1, 20.0).default(1.483),
];

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "bearing.defect_frequencies",
            version: 1,
            name: Text::new("Rolling-bearing defect frequencies", "滚动轴承故障特征频率"),
            summary: Text::new(
                "Cage, outer-race, inner-race and rolling-element frequencies at which a damaged bearing shows up in a vibration spectrum.",
                "保持架、外圈、内圈和滚动体故障特征频率：轴承损伤在振动频谱中出现的位置。",
            ),
            kind: ModelKind::Mechanism,
            industries: BEARING_INDUSTRIES,
            domains: &[Domain::Service, Domain::Production],
            inputs: &[
                Port::new(
                    "z",
                    "Number of rolling elements",
                    "滚动体数",
                    "",
                    3.0,
                    200.0,
                ),
                Port::new(
                    "d",
                    "Rolling element diameter",
                    "滚动体直径",
                    "mm",
                    1e-3,
                    1e4,
                ),
                Port::new("pitch", "Pitch diameter", "节圆直径", "mm", 1e-3, 1e5),
                Port::new("angle", "Contact angle", "接触角", "°", 0.0, 60.0),
                Port::new("speed", "Shaft speed", "轴转速", "r/min", 1e-6, 1e6),
            ],
            outputs: &[
                Port::out(
                    "ftf",
                    "Cage (fundamental train) frequency FTF",
                    "保持架频率 FTF",
                    "Hz",
                ),
                Port::out(
                    "bpfo",
                    "Ball pass frequency, outer race BPFO",
                    "外圈故障频率 BPFO",
                    "Hz",
                ),
                Port::out(
                    "bpfi",
                    "Ball pass frequency, inner race BPFI",
                    "内圈故障频率 BPFI",
                    "Hz",
                ),
                Port::out(
                    "bsf",
                    "Ball spin frequency BSF (once a turn)",
                    "滚动体自转频率 BSF",
                    "Hz",
                ),
                Port::out("fr", "Shaft frequency", "转频", "Hz"),
            ],
            formula: Text::new(
                "k = (d/D) cos φ, f_r = n/60; FTF = f_r(1 − k)/2; BPFO = (z/2) f_r (1 − k); BPFI = (z/2) f_r (1 + k); BSF = (D/2d) f_r (1 − k²) (outer ring fixed, no slip).",
                "k = (d/D) cos φ，f_r = n/60；FTF = f_r(1 − k)/2；BPFO = (z/2) f_r (1 − k)；BPFI = (z/2) f_r (1 + k)；BSF = (D/2d) f_r (1 − k²)（外圈固定、无打滑）。",
            ),
            references: &[
                Reference {
                    source: "Harris, T. A., Kotzalas, M. N., Rolling Bearing Analysis, 5th ed., vol. 1",
                    locator: "ch. 7, kinematics",
                },
                Reference {
                    source: "Randall, R. B., Vibration-based Condition Monitoring, Wiley, 2011",
                    locator: "§2.2.4",
                },
            ],
        },
        eval: Eval::Scalar(defect_frequencies),
    },
    Model {
        card: ModelCard {
            id: "bearing.basic_rating_life",
            version: 1,
            name: Text::new("Bearing basic rating life L10", "滚动轴承基本额定寿命 L10"),
            summary: Text::new(
                "Life that 90 % of a group of identical bearings reach, in millions of revolutions and in hours.",
                "一组相同轴承中 90% 能达到的寿命，以百万转和小时计。",
            ),
            kind: ModelKind::Simulation,
            industries: BEARING_INDUSTRIES,
            domains: &[Domain::Design, Domain::Service],
            inputs: &[
                Port::new(
                    "C",
                    "Basic dynamic load rating",
                    "基本额定动载荷",
                    "kN",
                    1e-6,
                    1e6,
                ),
                Port::new(
                    "P",
                    "Equivalent dynamic load",
                    "当量动载荷",
                    "kN",
                    1e-6,
                    1e6,
                ),
                KIND,
                Port::new("speed", "Speed", "转速", "r/min", 1e-6, 1e6),
            ],
            outputs: &[
                Port::out(
                    "L10",
                    "Rating life (millions of revolutions)",
                    "额定寿命（百万转）",
                    "",
                ),
                Port::out("L10h", "Rating life in hours", "额定寿命（小时）", "h"),
            ],
            formula: Text::new(
                "L₁₀ = (C/P)^p, p = 3 for ball and 10/3 for roller bearings; L₁₀h = 10⁶ L₁₀/(60 n).",
                "L₁₀ = (C/P)^p，球轴承 p = 3，滚子轴承 p = 10/3；L₁₀h = 10⁶ L₁₀/(60 n)。",
            ),
            references: &[Reference {
                source: "ISO 281:2007 (GB/T 6391-2010), Rolling bearings — Dynamic load ratings and rating life",
                locator: "§7.1 and §7.2",
            }],
        },
        eval: Eval::Scalar(rating_life),
    },
    Model {
        card: ModelCard {
            id: "bearing.catalog_rating_weibull",
            version: 1,
            name: Text::new(
                "Catalogue load rating for a reliability goal",
                "按可靠度目标选取的轴承额定动载荷",
            ),
            summary: Text::new(
                "The catalogue rating C10 a bearing needs to carry a design load for a design life at a chosen reliability (three-parameter Weibull).",
                "在给定设计载荷、设计寿命和可靠度下所需的样本额定动载荷 C10（三参数 Weibull）。",
            ),
            kind: ModelKind::Simulation,
            industries: BEARING_INDUSTRIES,
            domains: &[Domain::Design],
            inputs: &[
                Port::new(
                    "F_D",
                    "Design load (with application factor)",
                    "设计载荷（含使用系数）",
                    "kN",
                    1e-6,
                    1e6,
                ),
                Port::new(
                    "x_D",
                    "Design life in rating lives L_D/L_R",
                    "设计寿命（额定寿命倍数）",
                    "",
                    1e-6,
                    1e9,
                ),
                Port::new("R_D", "Reliability goal", "可靠度目标", "", 0.5, 0.999999),
                KIND,
                WEIBULL[0],
                WEIBULL[1],
                WEIBULL[2],
            ],
            outputs: &[Port::out(
                "C10",
                "Required catalogue rating",
                "所需样本额定动载荷",
                "kN",
            )],
            formula: Text::new(
                "C₁₀ = F_D [x_D / (x₀ + (θ − x₀)(ln 1/R_D)^(1/b))]^(1/a), a = 3 ball, 10/3 roller.",
                "C₁₀ = F_D [x_D / (x₀ + (θ − x₀)(ln 1/R_D)^(1/b))]^(1/a)，球轴承 a = 3，滚子 a = 10/3。",
            ),
            references: &[Reference {
                source: SHIGLEY,
                locator: "ch. 11, relating load, life and reliability (catalog rating for a reliability goal)",
            }],
        },
        eval: Eval::Scalar(catalog_rating),
    },
    Model {
        card: ModelCard {
            id: "bearing.reliability_at_rating",
            version: 1,
            name: Text::new(
                "Bearing reliability at a catalogue rating",
                "给定额定动载荷下的轴承可靠度",
            ),
            summary: Text::new(
                "The reliability a chosen bearing reaches at a design load and life (three-parameter Weibull).",
                "所选轴承在设计载荷与设计寿命下达到的可靠度（三参数 Weibull）。",
            ),
            kind: ModelKind::Simulation,
            industries: BEARING_INDUSTRIES,
            domains: &[Domain::Design, Domain::Service],
            inputs: &[
                Port::new(
                    "F_D",
                    "Design load (with application factor)",
                    "设计载荷（含使用系数）",
                    "kN",
                    1e-6,
                    1e6,
                ),
                Port::new(
                    "x_D",
                    "Design life in rating lives L_D/L_R",
                    "设计寿命（额定寿命倍数）",
                    "",
                    1e-6,
                    1e9,
                ),
                Port::new(
                    "C10",
                    "Catalogue rating of the chosen bearing",
                    "所选轴承额定动载荷",
                    "kN",
                    1e-6,
                    1e6,
                ),
                KIND,
                WEIBULL[0],
                WEIBULL[1],
                WEIBULL[2],
            ],
            outputs: &[Port::out("R", "Reliability", "可靠度", "")],
            formula: Text::new(
                "R = exp{−[(x_D (F_D/C₁₀)^a − x₀)/(θ − x₀)]^b}.",
                "R = exp{−[(x_D (F_D/C₁₀)^a − x₀)/(θ − x₀)]^b}。",
            ),
            references: &[Reference {
                source: SHIGLEY,
                locator: "ch. 11, relating load, life and reliability (reliability of a selected bearing)",
            }],
        },
        eval: Eval::Scalar(reliability_at_rating),
    },
];
