//! Heat and mass transfer in processing: the efficiency of a straight fin, the freezing
//! time of a food product (Plank) and the batch drying time through the constant-rate and
//! falling-rate periods.

use crate::{Eval, Model, card};
use ironloom_core::model::{Domain, ModelKind, Port, Reference, Refusal, Text};

const INCROPERA: &str = "Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S., Fundamentals of Heat and Mass Transfer, 7th ed.";
const FOOD_INDUSTRIES: &[&str] = &["C13", "C14", "C15", "G59"];

/// The tip conditions of `heat.straight_fin`, in the order of its `tip` input.
const FIN_TIPS: &[&str] = &["corrected", "adiabatic", "convective", "infinite"];

fn straight_fin(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (h, k, t, l, w, tip) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    let (t, l, w) = (t / 1000.0, l / 1000.0, w / 1000.0);
    // m from the exact perimeter and section.
    let perimeter = 2.0 * (w + t);
    let section = w * t;
    let m = (h * perimeter / (k * section)).sqrt();
    // √(hPkA_c): the heat rate per kelvin of an infinitely long fin.
    let big_m = (h * perimeter * k * section).sqrt();
    let ml = m * l;
    // Heat rate per kelvin of base excess temperature and the fin surface it is spread
    // over (Incropera Table 3.4 and Eqs. 3.86, 3.89).
    let (q_per_k, area) = match tip as u8 {
        // Case B, adiabatic tip: q = M·tanh(mL) over A_f = P·L.
        1 => (big_m * ml.tanh(), perimeter * l),
        // Case A, convective tip: q = M·(sinh mL + (h/mk) cosh mL)/(cosh mL + (h/mk) sinh mL)
        // over A_f = P·L + A_c.
        2 => {
            let r = h / (m * k);
            let q = big_m * (ml.sinh() + r * ml.cosh()) / (ml.cosh() + r * ml.sinh());
            (q, perimeter * l + section)
        }
        // Case D, infinite fin (a fair model for mL ≳ 2.65): q = M; the efficiency over
        // A_f = P·L is 1/(mL).
        3 => (big_m, perimeter * l),
        // Convective tip by the corrected length L_c = L + t/2 (Eq. 3.89):
        // q = √(hPkA_c)·tanh(mL_c) = η·h·P·L_c.
        _ => {
            let lc = l + t / 2.0;
            (big_m * (m * lc).tanh(), perimeter * lc)
        }
    };
    let eta = if area > 0.0 && q_per_k > 0.0 {
        q_per_k / (h * area)
    } else {
        1.0
    };
    Ok(vec![eta, m, q_per_k, q_per_k / (h * section)])
}

fn plank(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (rho, latent, tf, ta, h, k, a, shape) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    if ta >= tf {
        return Err(Refusal::new(
            "the medium must be colder than the initial freezing point",
            "冷却介质温度必须低于初始冻结点",
        ));
    }
    let (p, r) = match shape as u8 {
        0 => (0.5, 0.125),
        1 => (0.25, 0.0625),
        _ => (1.0 / 6.0, 1.0 / 24.0),
    };
    let a = a / 1000.0;
    let seconds = rho * latent * 1000.0 / (tf - ta) * (p * a / h + r * a * a / k);
    Ok(vec![seconds / 3600.0, p, r])
}

fn drying(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (solids, area, rate, x1, xc, x2) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    if !(x1 >= x2 && xc > 0.0 && x2 > 0.0) {
        return Err(Refusal::new(
            "need X₁ ≥ X₂ > 0 and a positive critical moisture",
            "须满足 X₁ ≥ X₂ > 0 且临界含水率为正",
        ));
    }
    let scale = solids / (area * rate);
    let constant = scale * (x1 - xc.max(x2)).max(0.0);
    let falling = if x2 < xc {
        scale * xc * (xc.min(x1) / x2).ln()
    } else {
        0.0
    };
    Ok(vec![constant, falling, constant + falling])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "heat.straight_fin",
            Text::new("Straight fin efficiency", "矩形直肋效率"),
            Text::new(
                "Efficiency, heat rate per kelvin of base excess temperature and effectiveness of a straight rectangular fin with a convective tip by the corrected length (default), an adiabatic tip, a convective tip solved exactly, or as an infinitely long fin, for finned coils, heat sinks and air coolers.",
                "计算矩形直肋的肋效率、单位基部过余温度的散热量和肋有效度，端部条件可选：对流（用修正肋长，默认）、绝热、对流（精确解）或无限长肋，用于翅片盘管、散热器和空冷器。",
            ),
            ModelKind::Mechanism,
            &["C34", "C38", "C39", "D44", "C26"],
            &[Domain::Design],
            &[
                Port::new(
                    "h",
                    "Convection coefficient",
                    "对流换热系数",
                    "W/(m2.K)",
                    0.1,
                    1e5,
                ),
                Port::new(
                    "k",
                    "Fin thermal conductivity",
                    "肋片导热系数",
                    "W/(m.K)",
                    0.1,
                    2000.0,
                ),
                Port::new("t", "Fin thickness", "肋厚", "mm", 1e-3, 100.0),
                Port::new("L", "Fin length", "肋高", "mm", 1e-3, 1000.0),
                Port::new("w", "Fin width", "肋宽", "mm", 1e-2, 1e4),
                Port::choice("tip", "Tip condition", "肋端条件", FIN_TIPS).default(0.0),
            ],
            &[
                Port::out("eta", "Fin efficiency", "肋效率", ""),
                Port::out("m", "Fin parameter m", "肋参数 m", "1/m"),
                Port::out(
                    "q_per_K",
                    "Heat rate per kelvin of base excess",
                    "单位基部过余温度散热量",
                    "W/K",
                ),
                Port::out("effectiveness", "Fin effectiveness", "肋有效度", ""),
            ],
            Text::new(
                "m = √(hP/(kA_c)), P = 2(w + t), A_c = wt, M = √(hPkA_c); q/θ_b = M·tanh(mL_c) with L_c = L + t/2 over A_f = P·L_c (tip = corrected), M·tanh(mL) over A_f = P·L (adiabatic), M·(sinh mL + (h/mk) cosh mL)/(cosh mL + (h/mk) sinh mL) over A_f = P·L + A_c (convective), M over A_f = P·L (infinite, a fair model for mL ≳ 2.65); η = q/(h·A_f·θ_b); ε = q/(h·A_c·θ_b).",
                "m = √(hP/(kA_c))，P = 2(w + t)，A_c = wt，M = √(hPkA_c)；q/θ_b = M·tanh(mL_c)，L_c = L + t/2，A_f = P·L_c（tip = corrected）；M·tanh(mL)，A_f = P·L（adiabatic，绝热端）；M·(sinh mL + (h/mk) cosh mL)/(cosh mL + (h/mk) sinh mL)，A_f = P·L + A_c（convective，对流端精确解）；M，A_f = P·L（infinite，无限长肋，适用于 mL ≳ 2.65）；η = q/(h·A_f·θ_b)；ε = q/(h·A_c·θ_b)。",
            ),
            &[Reference {
                source: INCROPERA,
                locator: "§3.6, fins of uniform cross-section: Table 3.4 (tip conditions A convective, B adiabatic, D infinite), fin efficiency, effectiveness and the corrected length",
            }],
        ),
        eval: Eval::Scalar(straight_fin),
    },
    Model {
        card: card(
            "food.freezing_time_plank",
            Text::new(
                "Freezing time of a food (Plank)",
                "食品冻结时间（Plank 公式）",
            ),
            Text::new(
                "Time to freeze a slab, a long cylinder or a sphere of food from its initial freezing point, by Plank's equation from the latent heat, the surface heat-transfer coefficient and the frozen conductivity (blast freezers, plate freezers, cold stores).",
                "按 Plank 公式，由潜热、表面换热系数和冻结层导热系数计算平板、长圆柱或球形食品自初始冻结点起的冻结时间（速冻机、平板冻结机、冷库）。",
            ),
            ModelKind::Mechanism,
            FOOD_INDUSTRIES,
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "rho",
                    "Density of the frozen food",
                    "冻结食品密度",
                    "kg/m3",
                    100.0,
                    2000.0,
                ),
                Port::new(
                    "L_f",
                    "Latent heat of fusion of the food",
                    "食品冻结潜热",
                    "kJ/kg",
                    1.0,
                    400.0,
                ),
                Port::new(
                    "T_f",
                    "Initial freezing point",
                    "初始冻结点",
                    "°C",
                    -30.0,
                    5.0,
                ),
                Port::new(
                    "T_a",
                    "Freezing medium temperature",
                    "冷却介质温度",
                    "°C",
                    -100.0,
                    0.0,
                ),
                Port::new(
                    "h",
                    "Surface heat-transfer coefficient",
                    "表面换热系数",
                    "W/(m2.K)",
                    0.1,
                    1e4,
                ),
                Port::new(
                    "k",
                    "Frozen-food thermal conductivity",
                    "冻结层导热系数",
                    "W/(m.K)",
                    0.01,
                    10.0,
                ),
                Port::new(
                    "a",
                    "Thickness (slab) or diameter",
                    "厚度（平板）或直径",
                    "mm",
                    0.1,
                    2000.0,
                ),
                Port::choice("shape", "Shape", "形状", &["slab", "cylinder", "sphere"])
                    .default(0.0),
            ],
            &[
                Port::out("t", "Freezing time", "冻结时间", "h"),
                Port::out("P", "Shape factor P", "形状系数 P", ""),
                Port::out("R", "Shape factor R", "形状系数 R", ""),
            ],
            Text::new(
                "t = ρL_f/(T_f − T_a)·(P·a/h + R·a²/k); P, R = 1/2, 1/8 (slab), 1/4, 1/16 (cylinder), 1/6, 1/24 (sphere).",
                "t = ρL_f/(T_f − T_a)·(P·a/h + R·a²/k)；P、R 取 1/2、1/8（平板），1/4、1/16（圆柱），1/6、1/24（球）。",
            ),
            &[
                Reference {
                    source: "Singh, R. P., Heldman, D. R., Introduction to Food Engineering, 5th ed., Academic Press, 2014",
                    locator: "ch. 7, freezing time: Plank's equation and the shape constants",
                },
                Reference {
                    source: "ASHRAE Handbook — Refrigeration, 2018 (SI), ch. 20 Cooling and Freezing Times of Foods",
                    locator: "Plank's equation",
                },
            ],
        ),
        eval: Eval::Scalar(plank),
    },
    Model {
        card: card(
            "drying.batch_time",
            Text::new("Batch drying time", "间歇干燥时间"),
            Text::new(
                "Time to dry a batch from one moisture content to another through the constant-rate period and a falling-rate period linear in moisture, from the dry solids, drying area and constant drying rate.",
                "由干物料量、干燥面积和恒速干燥速率计算一批物料经恒速段和线性降速段从初始含水率干燥至终了含水率的时间。",
            ),
            ModelKind::Mechanism,
            &["C13", "C14", "C26", "C27", "C20"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new("L_s", "Dry solids", "绝干物料量", "kg", 1e-6, 1e7),
                Port::new("A", "Drying surface", "干燥面积", "m2", 1e-6, 1e6),
                Port::new(
                    "R_c",
                    "Constant drying rate",
                    "恒速干燥速率",
                    "kg/(m2.h)",
                    1e-6,
                    1e3,
                ),
                Port::new(
                    "X1",
                    "Initial moisture (dry basis)",
                    "初始含水率（干基）",
                    "",
                    0.0,
                    100.0,
                ),
                Port::new(
                    "X_c",
                    "Critical moisture (dry basis)",
                    "临界含水率（干基）",
                    "",
                    1e-6,
                    100.0,
                ),
                Port::new(
                    "X2",
                    "Final moisture (dry basis)",
                    "终了含水率（干基）",
                    "",
                    1e-6,
                    100.0,
                ),
            ],
            &[
                Port::out("t_constant", "Constant-rate time", "恒速段时间", "h"),
                Port::out("t_falling", "Falling-rate time", "降速段时间", "h"),
                Port::out("t_total", "Total drying time", "总干燥时间", "h"),
            ],
            Text::new(
                "t_c = L_s/(A·R_c)·(X₁ − max(X_c, X₂)); t_f = L_s·X_c/(A·R_c)·ln(min(X₁, X_c)/X₂) (rate proportional to X below X_c, equilibrium moisture neglected).",
                "t_c = L_s/(A·R_c)·(X₁ − max(X_c, X₂))；t_f = L_s·X_c/(A·R_c)·ln(min(X₁, X_c)/X₂)（X_c 以下速率与含水率成正比，忽略平衡含水率）。",
            ),
            &[Reference {
                source: "Geankoplis, C. J., Transport Processes and Separation Process Principles, 4th ed., Prentice Hall, 2003",
                locator: "§9.6–9.7, time of drying in the constant-rate and falling-rate periods",
            }],
        ),
        eval: Eval::Scalar(drying),
    },
];
