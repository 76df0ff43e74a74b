//! Heat exchangers: the log-mean temperature difference, its correction factor for
//! shell-and-tube exchangers, and the effectiveness–NTU method.

use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

/// The four terminal temperatures of a two-stream exchanger.
const TERMINALS: [Port; 4] = [
    Port::new("T_hi", "Hot inlet", "热流体进口温度", "°C", -273.15, 2000.0),
    Port::new(
        "T_ho",
        "Hot outlet",
        "热流体出口温度",
        "°C",
        -273.15,
        2000.0,
    ),
    Port::new(
        "T_ci",
        "Cold inlet",
        "冷流体进口温度",
        "°C",
        -273.15,
        2000.0,
    ),
    Port::new(
        "T_co",
        "Cold outlet",
        "冷流体出口温度",
        "°C",
        -273.15,
        2000.0,
    ),
];

const HX_INDUSTRIES: &[&str] = &["C26", "D44", "C13", "C25"];

const INCROPERA: &str = "Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S., Fundamentals of Heat and Mass Transfer, 7th ed.";

fn refuse_crossing() -> Refusal {
    Refusal::new(
        "the terminal temperature differences must both be positive (the streams cross)",
        "两端温差必须都为正（冷热流体温度交叉）",
    )
}

/// ΔT_lm of two terminal differences; equal differences give the difference itself.
fn log_mean(d1: f64, d2: f64) -> f64 {
    if (d1 - d2).abs() <= 1e-9 * d1.abs().max(d2.abs()) {
        (d1 + d2) / 2.0
    } else {
        (d1 - d2) / (d1 / d2).ln()
    }
}

fn lmtd(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (thi, tho, tci, tco, parallel) = (x[0], x[1], x[2], x[3], x[4] == 1.0);
    let (d1, d2) = if parallel {
        (thi - tci, tho - tco)
    } else {
        (thi - tco, tho - tci)
    };
    if d1 <= 0.0 || d2 <= 0.0 {
        return Err(refuse_crossing());
    }
    Ok(vec![log_mean(d1, d2)])
}

/// F of N shells in series, each with an even number of tube passes: the whole exchanger's
/// P is turned into one shell's P₁, whose F is the one-shell closed form.
fn f_factor(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (thi, tho, tci, tco, n) = (x[0], x[1], x[2], x[3], x[4]);
    if thi <= tho || tco <= tci || thi <= tci {
        return Err(Refusal::new(
            "the hot stream must cool and the cold stream warm, with the hot inlet above the cold inlet",
            "热流体须降温、冷流体须升温，且热端进口温度高于冷端进口温度",
        ));
    }
    let r = (thi - tho) / (tco - tci);
    let p = (tco - tci) / (thi - tci);
    let bad = || {
        Refusal::new(
            "no such exchanger: the temperatures are beyond what this number of shells can reach (F undefined)",
            "该壳程数无法达到这些温度（F 无定义）",
        )
    };
    let root = (r * r + 1.0).sqrt();
    let f = if (r - 1.0).abs() < 1e-9 {
        let p1 = p / (n - n * p + p);
        let num = std::f64::consts::SQRT_2 * p1 / (1.0 - p1);
        let den = ((2.0 - p1 * (2.0 - std::f64::consts::SQRT_2))
            / (2.0 - p1 * (2.0 + std::f64::consts::SQRT_2)))
            .ln();
        num / den
    } else {
        let base = (1.0 - p * r) / (1.0 - p);
        if base <= 0.0 {
            return Err(bad());
        }
        let z = base.powf(1.0 / n);
        let p1 = (z - 1.0) / (z - r);
        let num = root / (r - 1.0) * ((1.0 - p1) / (1.0 - p1 * r)).ln();
        let den = ((2.0 - p1 * (r + 1.0 - root)) / (2.0 - p1 * (r + 1.0 + root))).ln();
        num / den
    };
    if !f.is_finite() || f <= 0.0 || f > 1.0 + 1e-9 {
        return Err(bad());
    }
    Ok(vec![f])
}

fn effectiveness(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ntu, cr, arrangement) = (x[0], x[1], x[2] as usize);
    let e = match arrangement {
        // Counter-flow.
        0 if (1.0 - cr).abs() < 1e-12 => ntu / (1.0 + ntu),
        0 => {
            let k = (-ntu * (1.0 - cr)).exp();
            (1.0 - k) / (1.0 - cr * k)
        }
        // Parallel flow.
        1 => (1.0 - (-ntu * (1.0 + cr)).exp()) / (1.0 + cr),
        // One shell pass, two (or any even number of) tube passes.
        _ => {
            let root = (1.0 + cr * cr).sqrt();
            let k = (-ntu * root).exp();
            2.0 / (1.0 + cr + root * (1.0 + k) / (1.0 - k))
        }
    };
    Ok(vec![e])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "hx.lmtd",
            version: 1,
            name: Text::new("Log-mean temperature difference", "对数平均温差"),
            summary: Text::new(
                "The mean driving temperature difference of a counter- or parallel-flow heat exchanger from its four terminal temperatures.",
                "由换热器四个端点温度计算逆流或顺流的平均传热温差。",
            ),
            kind: ModelKind::Simulation,
            industries: HX_INDUSTRIES,
            domains: &[Domain::Design, Domain::Operations],
            inputs: &[
                TERMINALS[0],
                TERMINALS[1],
                TERMINALS[2],
                TERMINALS[3],
                Port::choice(
                    "flow",
                    "Flow arrangement",
                    "流动方式",
                    &["counter", "parallel"],
                )
                .default(0.0),
            ],
            outputs: &[Port::out(
                "dT_lm",
                "Log-mean temperature difference",
                "对数平均温差",
                "K",
            )
            .difference()],
            formula: Text::new(
                "Counter-flow ΔT₁ = T_hi − T_co, ΔT₂ = T_ho − T_ci; parallel ΔT₁ = T_hi − T_ci, ΔT₂ = T_ho − T_co; ΔT_lm = (ΔT₁ − ΔT₂)/ln(ΔT₁/ΔT₂) (= ΔT₁ when equal).",
                "逆流 ΔT₁ = T_hi − T_co，ΔT₂ = T_ho − T_ci；顺流 ΔT₁ = T_hi − T_ci，ΔT₂ = T_ho − T_co；ΔT_lm = (ΔT₁ − ΔT₂)/ln(ΔT₁/ΔT₂)（两者相等时取 ΔT₁）。",
            ),
            references: &[Reference {
                source: INCROPERA,
                locator: "§11.3, Eq. 11.15 and 11.16",
            }],
        },
        eval: Eval::Scalar(lmtd),
    },
    Model {
        card: ModelCard {
            id: "hx.lmtd_correction_factor",
            version: 1,
            name: Text::new(
                "LMTD correction factor of shell-and-tube exchangers",
                "管壳式换热器温差修正系数 F",
            ),
            summary: Text::new(
                "Factor F by which a multi-pass shell-and-tube exchanger's mean difference falls short of counter-flow (design rule: F ≥ 0.8).",
                "多管程管壳式换热器平均温差相对逆流的修正系数 F（设计上通常要求 F ≥ 0.8）。",
            ),
            kind: ModelKind::Simulation,
            industries: &["C26", "D44", "C25"],
            domains: &[Domain::Design],
            inputs: &[
                TERMINALS[0],
                TERMINALS[1],
                TERMINALS[2],
                TERMINALS[3],
                Port::new("shells", "Shell passes", "壳程数", "", 1.0, 10.0).default(1.0),
            ],
            outputs: &[Port::out("F", "Correction factor", "修正系数", "")],
            formula: Text::new(
                "R = (T_hi−T_ho)/(T_co−T_ci), P = (T_co−T_ci)/(T_hi−T_ci); per shell P₁ = (Z−1)/(Z−R) with Z = [(1−PR)/(1−P)]^(1/N); F = √(R²+1)/(R−1) · ln[(1−P₁)/(1−P₁R)] / ln{[2−P₁(R+1−√(R²+1))]/[2−P₁(R+1+√(R²+1))]}, and its limit for R = 1.",
                "R = (T_hi−T_ho)/(T_co−T_ci)，P = (T_co−T_ci)/(T_hi−T_ci)；单壳程 P₁ = (Z−1)/(Z−R)，Z = [(1−PR)/(1−P)]^(1/N)；F = √(R²+1)/(R−1) · ln[(1−P₁)/(1−P₁R)] / ln{[2−P₁(R+1−√(R²+1))]/[2−P₁(R+1+√(R²+1))]}，R = 1 时取其极限。",
            ),
            references: &[
                Reference {
                    source: "Bowman, R. A., Mueller, A. C., Nagle, W. M. (1940), Mean temperature difference in design, Trans. ASME 62:283–294",
                    locator: "one shell pass, even tube passes; N shells in series",
                },
                Reference {
                    source: "TEMA Standards, 10th ed.",
                    locator: "Fig. T-3.2A",
                },
            ],
        },
        eval: Eval::Scalar(f_factor),
    },
    Model {
        card: ModelCard {
            id: "hx.effectiveness_ntu",
            version: 1,
            name: Text::new(
                "Heat exchanger effectiveness (ε-NTU)",
                "换热器效能（ε-NTU 法）",
            ),
            summary: Text::new(
                "Effectiveness from the number of transfer units and the heat capacity ratio, to rate an exchanger whose outlet temperatures are unknown.",
                "由传热单元数和热容比计算效能，用于出口温度未知时的换热器校核。",
            ),
            kind: ModelKind::Simulation,
            industries: HX_INDUSTRIES,
            domains: &[Domain::Design, Domain::Operations],
            inputs: &[
                Port::new(
                    "NTU",
                    "Number of transfer units UA/C_min",
                    "传热单元数 UA/C_min",
                    "",
                    0.0,
                    100.0,
                ),
                Port::new(
                    "Cr",
                    "Heat capacity ratio C_min/C_max",
                    "热容比 C_min/C_max",
                    "",
                    0.0,
                    1.0,
                ),
                Port::choice(
                    "arrangement",
                    "Flow arrangement",
                    "流动方式",
                    &["counter", "parallel", "shell_and_tube_1_2"],
                )
                .default(0.0),
            ],
            outputs: &[Port::out("eps", "Effectiveness", "效能", "")],
            formula: Text::new(
                "Counter-flow ε = [1 − e^(−NTU(1−C_r))]/[1 − C_r e^(−NTU(1−C_r))] (C_r = 1: NTU/(1+NTU)); parallel ε = [1 − e^(−NTU(1+C_r))]/(1+C_r); one shell pass: ε = 2{1 + C_r + √(1+C_r²)(1+e^(−NTU√(1+C_r²)))/(1−e^(−NTU√(1+C_r²)))}⁻¹.",
                "逆流 ε = [1 − e^(−NTU(1−C_r))]/[1 − C_r e^(−NTU(1−C_r))]（C_r = 1 时为 NTU/(1+NTU)）；顺流 ε = [1 − e^(−NTU(1+C_r))]/(1+C_r)；单壳程：ε = 2{1 + C_r + √(1+C_r²)(1+e^(−NTU√(1+C_r²)))/(1−e^(−NTU√(1+C_r²)))}⁻¹。",
            ),
            references: &[Reference {
                source: INCROPERA,
                locator: "Table 11.3, Eq. 11.28a–11.31a",
            }],
        },
        eval: Eval::Scalar(effectiveness),
    },
];
