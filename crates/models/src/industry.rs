//! Process-industry mechanisms on recorded data and simple process figures: the F₀
//! lethality of a retort's temperature record, concrete maturity and equivalent age,
//! fabric areal mass from its construction, and ring-spinning output.

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

/// Universal gas constant, J/(mol·K).
const R_GAS: f64 = 8.314_462_618;

fn clean_series(s: &[f64], what_en: &str, what_zh: &str) -> Result<Vec<f64>, Refusal> {
    let v: Vec<f64> = s.to_vec();
    if v.len() < 2 || v.iter().any(|x| x.is_nan()) {
        return Err(Refusal::new(
            format!("give at least two {what_en} readings at equal intervals, none missing"),
            format!("请给出至少两个等间隔的{what_zh}读数，不能缺失"),
        ));
    }
    Ok(v)
}

/// ∫ f over equally spaced samples by the trapezoid rule, with the running integral.
fn trapezoid(values: &[f64], dt: f64) -> (f64, Vec<f64>) {
    let mut total = 0.0;
    let mut running = vec![0.0];
    for w in values.windows(2) {
        total += 0.5 * (w[0] + w[1]) * dt;
        running.push(total);
    }
    (total, running)
}

fn f0(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let t = clean_series(d[0].series(), "temperature", "温度")?;
    let (dt, t_ref, z) = (d[1].scalar(), d[2].scalar(), d[3].scalar());
    let rates: Vec<f64> = t.iter().map(|v| 10f64.powf((v - t_ref) / z)).collect();
    let (total, running) = trapezoid(&rates, dt);
    Ok(vec![Datum::Scalar(total), Datum::Series(running)])
}

fn maturity(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let t = clean_series(d[0].series(), "concrete temperature", "混凝土温度")?;
    let (dt, datum, e, t_ref) = (d[1].scalar(), d[2].scalar(), d[3].scalar(), d[4].scalar());
    let above: Vec<f64> = t.iter().map(|v| (v - datum).max(0.0)).collect();
    let (m, _) = trapezoid(&above, dt);
    let factors: Vec<f64> = t
        .iter()
        .map(|v| (-e * 1000.0 / R_GAS * (1.0 / (v + 273.15) - 1.0 / (t_ref + 273.15))).exp())
        .collect();
    let (te, _) = trapezoid(&factors, dt);
    Ok(vec![Datum::Scalar(m), Datum::Scalar(te)])
}

fn fabric_mass(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (ends, t_warp, c_warp, picks, t_weft, c_weft) = (x[0], x[1], x[2], x[3], x[4], x[5]);
    // n threads/cm are 100·n threads per metre of width, each 1 m long at tex/1000 g/m.
    let warp = ends * t_warp * (1.0 + c_warp) / 10.0;
    let weft = picks * t_weft * (1.0 + c_weft) / 10.0;
    Ok(vec![warp, weft, warp + weft])
}

fn ring_spinning(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (speed, tpm, tex, spindles, eff) = (x[0], x[1], x[2], x[3], x[4]);
    let delivery = speed / tpm;
    let per_spindle = delivery * 60.0 * tex / 1e6 * eff;
    Ok(vec![delivery, per_spindle * 1000.0, per_spindle * spindles])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "food.f0_lethality",
            Text::new(
                "Sterilisation value F₀ from a temperature record",
                "由温度记录计算杀菌值 F₀",
            ),
            Text::new(
                "Accumulated lethality (equivalent minutes at the reference temperature) of a thermal process from the product's cold-spot temperatures recorded at equal intervals, by the general method.",
                "按一般法，由等间隔记录的产品冷点温度计算热杀菌过程的累计致死值（参考温度下的等效分钟数）。",
            ),
            ModelKind::Mechanism,
            &["C13", "C14", "C15", "C27"],
            &[Domain::Production, Domain::Service],
            &[
                Port::series("T", "Cold-spot temperature", "冷点温度", "°C"),
                Port::new(
                    "dt",
                    "Interval between readings",
                    "读数间隔",
                    "min",
                    1e-6,
                    1e4,
                ),
                Port::new(
                    "T_ref",
                    "Reference temperature",
                    "参考温度",
                    "°C",
                    50.0,
                    200.0,
                )
                .default(121.1),
                Port::new("z", "z-value", "z 值", "K", 0.1, 100.0)
                    .difference()
                    .default(10.0),
            ],
            &[
                Port::out("F0", "Lethality F₀", "杀菌值 F₀", "min"),
                Port::series(
                    "F_running",
                    "Accumulated lethality at each reading",
                    "各读数时刻的累计致死值",
                    "min",
                ),
            ],
            Text::new(
                "F₀ = ∫ 10^((T − T_ref)/z) dt by the trapezoid rule (T_ref = 121.1 °C, z = 10 K by default).",
                "F₀ = ∫ 10^((T − T_ref)/z) dt，梯形法积分（默认 T_ref = 121.1 °C，z = 10 K）。",
            ),
            &[
                Reference {
                    source: "Stumbo, C. R., Thermobacteriology in Food Processing, 2nd ed., Academic Press, 1973",
                    locator: "the general method (Bigelow) for process lethality",
                },
                Reference {
                    source: "21 CFR Part 113, Thermally processed low-acid foods packaged in hermetically sealed containers",
                    locator: "§113.40, scheduled process and temperature records",
                },
            ],
        ),
        eval: Eval::Data(f0),
    },
    Model {
        card: card(
            "concrete.maturity",
            Text::new(
                "Concrete maturity and equivalent age",
                "混凝土成熟度与等效龄期",
            ),
            Text::new(
                "Temperature–time factor (Nurse–Saul) and equivalent age at the reference temperature (Arrhenius) of concrete from its temperatures recorded at equal intervals, to estimate in-place strength.",
                "由等间隔记录的混凝土温度计算温度-时间因子（Nurse–Saul）和参考温度下的等效龄期（Arrhenius），用于推定现场强度。",
            ),
            ModelKind::Mechanism,
            &["C30", "E47", "E48"],
            &[Domain::Production, Domain::Operations],
            &[
                Port::series("T", "Concrete temperature", "混凝土温度", "°C"),
                Port::new(
                    "dt",
                    "Interval between readings",
                    "读数间隔",
                    "h",
                    1e-6,
                    1e4,
                ),
                Port::new("T_0", "Datum temperature", "基准温度", "°C", -30.0, 20.0).default(-10.0),
                Port::new(
                    "E",
                    "Apparent activation energy",
                    "表观活化能",
                    "kJ/mol",
                    1.0,
                    200.0,
                )
                .default(40.0),
                Port::new("T_r", "Reference temperature", "参考温度", "°C", 0.0, 60.0)
                    .default(20.0),
            ],
            &[
                Port::out("M", "Temperature–time factor", "温度-时间因子", "K.h"),
                Port::out("t_e", "Equivalent age at T_r", "参考温度下的等效龄期", "h"),
            ],
            Text::new(
                "M = ∫ max(T − T₀, 0) dt; t_e = ∫ exp[−(E/R)(1/T − 1/T_r)] dt (kelvin), both by the trapezoid rule.",
                "M = ∫ max(T − T₀, 0) dt；t_e = ∫ exp[−(E/R)(1/T − 1/T_r)] dt（开尔文），均按梯形法积分。",
            ),
            &[Reference {
                source: "ASTM C1074-19, Standard Practice for Estimating Concrete Strength by the Maturity Method",
                locator: "Eq. 1 (temperature–time factor) and Eq. 2 (equivalent age)",
            }],
        ),
        eval: Eval::Data(maturity),
    },
    Model {
        card: card(
            "textile.fabric_areal_mass",
            Text::new(
                "Woven fabric mass per square metre from its construction",
                "由织物组织参数计算机织物平方米克重",
            ),
            Text::new(
                "Mass per unit area of a woven fabric from the ends and picks per centimetre, the yarns' linear densities and their crimp.",
                "由经纬密度、经纬纱线密度和缩率计算机织物的单位面积质量。",
            ),
            ModelKind::Mechanism,
            &["C17", "C18", "C28"],
            &[Domain::Production, Domain::Design],
            &[
                Port::new(
                    "ends",
                    "Ends per cm (warp density)",
                    "经密（根/cm）",
                    "1/cm",
                    0.0,
                    1000.0,
                ),
                Port::new(
                    "tex_warp",
                    "Warp linear density",
                    "经纱线密度",
                    "tex",
                    0.0,
                    1e4,
                ),
                Port::new("crimp_warp", "Warp crimp", "经纱缩率", "", 0.0, 1.0).default(0.0),
                Port::new(
                    "picks",
                    "Picks per cm (weft density)",
                    "纬密（根/cm）",
                    "1/cm",
                    0.0,
                    1000.0,
                ),
                Port::new(
                    "tex_weft",
                    "Weft linear density",
                    "纬纱线密度",
                    "tex",
                    0.0,
                    1e4,
                ),
                Port::new("crimp_weft", "Weft crimp", "纬纱缩率", "", 0.0, 1.0).default(0.0),
            ],
            &[
                Port::out("m_warp", "Warp mass", "经纱质量", "g/m2"),
                Port::out("m_weft", "Weft mass", "纬纱质量", "g/m2"),
                Port::out("m", "Fabric mass per square metre", "平方米克重", "g/m2"),
            ],
            Text::new(
                "m = [ends·tex_warp·(1 + c_warp) + picks·tex_weft·(1 + c_weft)]/10 (threads per cm, tex).",
                "m = [经密·经纱tex·(1 + 经缩) + 纬密·纬纱tex·(1 + 纬缩)]/10（根/cm，tex）。",
            ),
            &[
                Reference {
                    source: "ISO 3801:1977 (GB/T 4669-2008), Textiles — Woven fabrics — Determination of mass per unit length and mass per unit area",
                    locator: "mass per unit area",
                },
                Reference {
                    source: "ISO 7211-2:1984 (GB/T 4668-1995), Textiles — Woven fabrics — Construction — Methods of analysis — Part 2: Determination of number of threads per unit length",
                    locator: "threads per centimetre",
                },
            ],
        ),
        eval: Eval::Scalar(fabric_mass),
    },
    Model {
        card: card(
            "textile.ring_spinning_output",
            Text::new("Ring-spinning frame output", "环锭细纱机产量"),
            Text::new(
                "Delivery speed and output per spindle and per frame of a ring-spinning frame from the spindle speed, twist, yarn count and efficiency.",
                "由锭速、捻度、纱线线密度和效率计算环锭细纱机的前罗拉输出速度、单锭产量和整机产量。",
            ),
            ModelKind::Mechanism,
            &["C17", "C28"],
            &[Domain::Production, Domain::Operations],
            &[
                Port::new("n", "Spindle speed", "锭速", "rpm", 1.0, 1e5),
                Port::new("twist", "Twist", "捻度", "1/m", 1.0, 1e5),
                Port::new("tex", "Yarn linear density", "纱线线密度", "tex", 0.1, 1e4),
                Port::new("spindles", "Spindles per frame", "每台锭数", "", 1.0, 1e5).default(1.0),
                Port::new("eff", "Efficiency", "效率", "", 0.0, 1.0).default(0.95),
            ],
            &[
                Port::out("v", "Delivery speed", "输出速度", "m/min"),
                Port::out("per_spindle", "Output per spindle", "单锭产量", "g/h"),
                Port::out("per_frame", "Output per frame", "整机产量", "kg/h"),
            ],
            Text::new(
                "v = n/twist; output per spindle = v·60·tex·η (g/h); per frame × spindles.",
                "v = 锭速/捻度；单锭产量 = v·60·tex·η（g/h）；整机产量 = 单锭产量 × 锭数。",
            ),
            &[Reference {
                source: "Lawrence, C. A., Fundamentals of Spun Yarn Technology, CRC Press, 2003",
                locator: "ring spinning: twist, delivery speed and production rate",
            }],
        ),
        eval: Eval::Scalar(ring_spinning),
    },
];
