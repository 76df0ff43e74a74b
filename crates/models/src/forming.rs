//! Metal forming loads: flat rolling (roll force, torque and power from the average flow
//! stress) and cylindrical deep drawing (punch force, blank-holder force and the drawing
//! limits), after Groover's treatment.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const GROOVER: &str = "Groover, M. P., Fundamentals of Modern Manufacturing: Materials, Processes, and Systems, 4th ed., Wiley, 2010";
const FORMING_INDUSTRIES: &[&str] = &["C31", "C32", "C33", "C36", "C38"];

fn flat_rolling(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t0, tf, w, r, k, n, rpm) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    if tf >= t0 {
        return Err(Refusal::new(
            "the final thickness must be below the starting thickness",
            "轧后厚度必须小于轧前厚度",
        ));
    }
    let draft = t0 - tf;
    // Dimensions in mm, stresses in MPa: force in N.
    let contact = (r * draft).sqrt();
    let strain = (t0 / tf).ln();
    let flow = k * strain.powf(n) / (1.0 + n);
    let force = flow * w * contact;
    let torque = 0.5 * force * contact / 1000.0;
    let power = 2.0 * std::f64::consts::PI * rpm / 60.0 * force * contact / 1000.0;
    Ok(vec![
        draft,
        contact,
        strain,
        flow,
        force / 1000.0,
        torque / 1000.0,
        power / 1000.0,
        draft / r,
    ])
}

fn deep_drawing(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (db, dp, t, uts, ys, rd) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if dp >= db {
        return Err(Refusal::new(
            "the punch must be smaller than the blank",
            "凸模直径必须小于坯料直径",
        ));
    }
    let ratio = db / dp;
    let reduction = (db - dp) / db;
    let force = std::f64::consts::PI * dp * t * uts * (ratio - 0.7);
    let inner = dp + 2.2 * t + 2.0 * rd;
    let holder = 0.015 * ys * std::f64::consts::PI * (db * db - inner * inner).max(0.0);
    let feasible = if ratio <= 2.0 && reduction <= 0.5 && t / db >= 0.01 {
        1.0
    } else {
        0.0
    };
    Ok(vec![
        ratio,
        reduction,
        t / db,
        force / 1000.0,
        holder / 1000.0,
        feasible,
    ])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "forming.flat_rolling",
            Text::new("Flat rolling force and power", "平板轧制力与轧制功率"),
            Text::new(
                "Draft, contact length, true strain, average flow stress, roll force, torque per roll and power of both rolls in flat rolling of a strip, from the strain-hardening law of the work material (friction-free estimate).",
                "由工件材料的应变硬化规律计算平板轧制的压下量、接触弧长、真应变、平均流动应力、轧制力、单辊力矩和双辊功率（不计摩擦的估算）。",
            ),
            ModelKind::Mechanism,
            FORMING_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new("t0", "Starting thickness", "轧前厚度", "mm", 0.01, 1000.0),
                Port::new("tf", "Final thickness", "轧后厚度", "mm", 0.001, 1000.0),
                Port::new("w", "Strip width", "板宽", "mm", 0.1, 1e4),
                Port::new("R", "Roll radius", "轧辊半径", "mm", 1.0, 2000.0),
                Port::new("K", "Strength coefficient", "强度系数", "MPa", 1.0, 5000.0),
                Port::new(
                    "n",
                    "Strain-hardening exponent",
                    "应变硬化指数",
                    "",
                    0.0,
                    1.0,
                ),
                Port::new("N", "Roll speed", "轧辊转速", "rpm", 0.0, 1e4),
            ],
            &[
                Port::out("draft", "Draft", "压下量", "mm"),
                Port::out("L", "Contact length", "接触弧长", "mm"),
                Port::out("strain", "True strain", "真应变", ""),
                Port::out("Y_f", "Average flow stress", "平均流动应力", "MPa"),
                Port::out("F", "Roll force", "轧制力", "kN"),
                Port::out("T", "Torque per roll", "单辊力矩", "kN.m"),
                Port::out("P", "Power (both rolls)", "轧制功率（双辊）", "kW"),
                Port::out(
                    "draft_ratio",
                    "Draft over roll radius",
                    "压下量与辊半径之比",
                    "",
                ),
            ],
            Text::new(
                "d = t₀ − t_f; L = √(R·d); ε = ln(t₀/t_f); Ȳ_f = Kεⁿ/(1 + n); F = Ȳ_f·w·L; T = 0.5·F·L; P = 2πN·F·L.",
                "d = t₀ − t_f；L = √(R·d)；ε = ln(t₀/t_f)；Ȳ_f = Kεⁿ/(1 + n)；F = Ȳ_f·w·L；T = 0.5·F·L；P = 2πN·F·L。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "ch. 19, flat rolling: draft, contact length, roll force, torque and power",
            }],
        ),
        eval: Eval::Scalar(flat_rolling),
    },
    Model {
        card: card(
            "forming.deep_drawing",
            Text::new("Deep drawing force and limits", "拉深力与拉深极限"),
            Text::new(
                "Drawing ratio, reduction, thickness-to-diameter ratio, maximum punch force and blank-holder force of a cylindrical cup draw, and whether the draw is within the usual single-draw limits (DR ≤ 2, r ≤ 0.5, t/D_b ≥ 1 %).",
                "计算圆筒件拉深的拉深比、减缩率、厚径比、最大拉深力和压边力，并判断是否在单次拉深的常用极限内（DR ≤ 2、r ≤ 0.5、t/D_b ≥ 1%）。",
            ),
            ModelKind::Mechanism,
            FORMING_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new("D_b", "Blank diameter", "坯料直径", "mm", 1.0, 5000.0),
                Port::new("D_p", "Punch diameter", "凸模直径", "mm", 0.5, 5000.0),
                Port::new("t", "Sheet thickness", "板厚", "mm", 0.01, 50.0),
                Port::new("TS", "Tensile strength", "抗拉强度", "MPa", 1.0, 3000.0),
                Port::new("Y", "Yield strength", "屈服强度", "MPa", 1.0, 3000.0),
                Port::new("R_d", "Die corner radius", "凹模圆角半径", "mm", 0.0, 100.0),
            ],
            &[
                Port::out("DR", "Drawing ratio D_b/D_p", "拉深比 D_b/D_p", ""),
                Port::out(
                    "r",
                    "Reduction (D_b − D_p)/D_b",
                    "减缩率 (D_b − D_p)/D_b",
                    "",
                ),
                Port::out(
                    "t_Db",
                    "Thickness-to-blank-diameter ratio",
                    "板厚与坯料直径之比",
                    "",
                ),
                Port::out("F", "Maximum drawing force", "最大拉深力", "kN"),
                Port::out("F_h", "Blank-holder force", "压边力", "kN"),
                Port::out(
                    "feasible",
                    "Within the single-draw limits (1/0)",
                    "是否在单次拉深极限内（1/0）",
                    "",
                ),
            ],
            Text::new(
                "F = πD_p·t·TS·(D_b/D_p − 0.7); F_h = 0.015·Y·π[D_b² − (D_p + 2.2t + 2R_d)²]; DR = D_b/D_p, r = (D_b − D_p)/D_b.",
                "F = πD_p·t·TS·(D_b/D_p − 0.7)；F_h = 0.015·Y·π[D_b² − (D_p + 2.2t + 2R_d)²]；DR = D_b/D_p，r = (D_b − D_p)/D_b。",
            ),
            &[Reference {
                source: GROOVER,
                locator: "ch. 20, drawing: measures of drawing, drawing force and holding force",
            }],
        ),
        eval: Eval::Scalar(deep_drawing),
    },
];
