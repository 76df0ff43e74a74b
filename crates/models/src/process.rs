//! Industry processes: textiles (yarn count), food (thermal death kinetics, beer
//! pasteurisation, shelf life), steel and welding (carbon equivalents, heat input,
//! preheat), and chemical reaction engineering (Arrhenius rates, ideal reactors).

use crate::{Eval, Model};
use ironloom_core::model::{Domain, ModelCard, ModelKind, Port, Reference, Refusal, Text};

/// Grams in a pound (avoirdupois) and metres in an 840-yard hank: Ne = 590.54/tex.
const NE_TEX: f64 = 453.592_37 / 0.768_096;

fn yarn_count(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (value, system) = (x[0], x[1] as usize);
    let tex = match system {
        0 => value,
        1 => value / 10.0,
        2 => value / 9.0,
        3 => 1000.0 / value,
        _ => NE_TEX / value,
    };
    Ok(vec![tex, 10.0 * tex, 9.0 * tex, 1000.0 / tex, NE_TEX / tex])
}

fn d_value(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (d_ref, t_ref, z, t, time) = (x[0], x[1], x[2], x[3], x[4]);
    let d = d_ref * 10f64.powf((t_ref - t) / z);
    Ok(vec![d, time / d, 10f64.powf((t - t_ref) / z) * time])
}

fn pasteurisation(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (t, minutes, z) = (x[0], x[1], x[2]);
    Ok(vec![minutes * 10f64.powf((t - 60.0) / z)])
}

fn q10(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (life, t1, t2, q) = (x[0], x[1], x[2], x[3]);
    Ok(vec![life * q.powf((t1 - t2) / 10.0)])
}

fn carbon_equivalent(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (c, si, mn, cr, mo, v, ni, cu, b) = (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]);
    let cev = c + mn / 6.0 + (cr + mo + v) / 5.0 + (ni + cu) / 15.0;
    let pcm = c + si / 30.0 + (mn + cu + cr) / 20.0 + ni / 60.0 + mo / 15.0 + v / 10.0 + 5.0 * b;
    let cet = c + (mn + mo) / 10.0 + (cr + cu) / 20.0 + ni / 40.0;
    Ok(vec![cev, pcm, cet])
}

/// Thermal efficiency factors k of EN 1011-1 table 1, by process.
const EFFICIENCY: [f64; 6] = [1.0, 0.8, 0.8, 0.8, 0.6, 0.6];

fn heat_input(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (u, i, speed_mm_s, process) = (x[0], x[1], x[2], x[3] as usize);
    let arc = u * i / speed_mm_s / 1000.0;
    Ok(vec![
        arc,
        arc * EFFICIENCY[process.min(EFFICIENCY.len() - 1)],
    ])
}

fn preheat(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (cet, d, hd, q) = (x[0], x[1], x[2], x[3]);
    let t =
        697.0 * cet + 160.0 * (d / 35.0).tanh() + 62.0 * hd.powf(0.35) + (53.0 * cet - 32.0) * q
            - 328.0;
    Ok(vec![t, t.max(0.0)])
}

/// Molar gas constant, J/(mol·K) (CODATA 2018, exact).
const R_GAS: f64 = 8.314_462_618;

fn arrhenius(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (a, ea, t, t2) = (x[0], x[1], x[2], x[3]);
    let k = a * (-ea / (R_GAS * t)).exp();
    let ratio = (ea / R_GAS * (1.0 / t - 1.0 / t2)).exp();
    Ok(vec![k, ratio])
}

fn reactors(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (k, tau, n) = (x[0], x[1], x[2]);
    if n.fract() != 0.0 {
        return Err(Refusal::new(
            format!("the number of tanks must be whole, not {n}"),
            format!("反应釜数必须是整数，而不是 {n}"),
        ));
    }
    let da = k * tau;
    Ok(vec![
        da / (1.0 + da),
        1.0 - (-da).exp(),
        1.0 - (1.0 + da / n).powf(-n),
    ])
}

const STUMBO: &str =
    "Stumbo, C. R., Thermobacteriology in Food Processing, 2nd ed., Academic Press, 1973";
const EN_1011_2: &str = "EN 1011-2:2001, Welding — Recommendations for welding of metallic materials — Part 2: Arc welding of ferritic steels";
const LEVENSPIEL: &str = "Levenspiel, O., Chemical Reaction Engineering, 3rd ed., Wiley, 1999";

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: ModelCard {
            id: "textile.yarn_count",
            version: 1,
            name: Text::new("Yarn count conversion", "纱线线密度换算"),
            summary: Text::new(
                "A yarn's linear density in every common system: tex, decitex, denier, metric count Nm and English cotton count Ne.",
                "纱线线密度在常用各制之间换算：特克斯、分特、旦尼尔、公制支数 Nm、英制棉纱支数 Ne。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C17", "C18", "C28"],
            domains: &[Domain::Production, Domain::Design],
            inputs: &[
                Port::new(
                    "value",
                    "Count in the chosen system",
                    "所选制式下的数值",
                    "",
                    1e-9,
                    1e9,
                ),
                Port::choice(
                    "system",
                    "System",
                    "制式",
                    &["tex", "dtex", "denier", "Nm", "Ne"],
                ),
            ],
            outputs: &[
                Port::out("tex", "tex (g/km)", "特克斯（g/km）", ""),
                Port::out("dtex", "decitex (g/10 km)", "分特（g/10 km）", ""),
                Port::out("denier", "denier (g/9 km)", "旦尼尔（g/9 km）", ""),
                Port::out("Nm", "metric count (km/kg)", "公制支数（km/kg）", ""),
                Port::out(
                    "Ne",
                    "English cotton count (840 yd hanks/lb)",
                    "英制支数（840 码绞/磅）",
                    "",
                ),
            ],
            formula: Text::new(
                "dtex = 10 tex; denier = 9 tex; Nm = 1000/tex; Ne = 590.54/tex (453.59237 g per pound over 768.096 m per 840-yard hank).",
                "dtex = 10 tex；denier = 9 tex；Nm = 1000/tex；Ne = 590.54/tex（每磅 453.59237 g，每绞 840 码 = 768.096 m）。",
            ),
            references: &[
                Reference {
                    source: "ISO 1144:2016, Textiles — Universal system for designating linear density (Tex System)",
                    locator: "",
                },
                Reference {
                    source: "ISO 2947:1973, Textiles — Integrated conversion table for replacing traditional yarn numbers by rounded values in the Tex System",
                    locator: "",
                },
            ],
        },
        eval: Eval::Scalar(yarn_count),
    },
    Model {
        card: ModelCard {
            id: "food.d_z_value",
            version: 1,
            name: Text::new(
                "Thermal death time: D-value and log reduction",
                "热力致死：D 值与对数杀灭",
            ),
            summary: Text::new(
                "Decimal reduction time at a process temperature from a reference D and z, the log reductions a hold achieves, and its equivalent time at the reference.",
                "由参考 D 值和 z 值求加工温度下的 D 值、保温所达对数杀灭数及折算到参考温度的等效时间。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C13", "C14", "C15"],
            domains: &[Domain::Production],
            inputs: &[
                Port::new(
                    "D_ref",
                    "D-value at the reference temperature",
                    "参考温度下 D 值",
                    "min",
                    1e-9,
                    1e9,
                ),
                Port::new(
                    "T_ref",
                    "Reference temperature",
                    "参考温度",
                    "°C",
                    -50.0,
                    300.0,
                )
                .default(121.1),
                Port::new("z", "z-value", "z 值", "K", 0.1, 200.0)
                    .difference()
                    .default(10.0),
                Port::new("T", "Process temperature", "加工温度", "°C", -50.0, 300.0),
                Port::new("t", "Hold time", "保温时间", "min", 0.0, 1e9),
            ],
            outputs: &[
                Port::out(
                    "D",
                    "D-value at the process temperature",
                    "加工温度下 D 值",
                    "min",
                ),
                Port::out("log_reduction", "Log reductions", "对数杀灭数", ""),
                Port::out(
                    "F",
                    "Equivalent time at the reference (F-value)",
                    "参考温度等效时间（F 值）",
                    "min",
                ),
            ],
            formula: Text::new(
                "D_T = D_ref 10^((T_ref − T)/z); log N₀/N = t/D_T; F = t 10^((T − T_ref)/z).",
                "D_T = D_ref 10^((T_ref − T)/z)；log N₀/N = t/D_T；F = t 10^((T − T_ref)/z)。",
            ),
            references: &[
                Reference {
                    source: STUMBO,
                    locator: "ch. 7–8, thermal resistance of microorganisms",
                },
                Reference {
                    source: "Codex Alimentarius CAC/RCP 23-1979, Code of hygienic practice for low and acidified low acid canned foods",
                    locator: "definitions of F₀, D and z",
                },
            ],
        },
        eval: Eval::Scalar(d_value),
    },
    Model {
        card: ModelCard {
            id: "food.pasteurisation_units",
            version: 1,
            name: Text::new("Beer pasteurisation units (PU)", "啤酒巴氏杀菌单位 PU"),
            summary: Text::new(
                "Pasteurisation units of a hold at a temperature (1 PU = 1 minute at 60 °C).",
                "在某温度下保温的巴氏杀菌单位（1 PU = 60 °C 下 1 分钟）。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C15"],
            domains: &[Domain::Production],
            inputs: &[
                Port::new("T", "Product temperature", "产品温度", "°C", 0.0, 100.0),
                Port::new("t", "Hold time", "保温时间", "min", 0.0, 1e6),
                // 1/log₁₀ 1.393: Del Vecchio's 1.393^(T − 60) exactly.
                Port::new("z", "z-value", "z 值", "K", 1.0, 50.0)
                    .difference()
                    .default(6.946_802_670_531_636),
            ],
            outputs: &[Port::out("PU", "Pasteurisation units", "巴氏杀菌单位", "")],
            formula: Text::new(
                "PU = t · 10^((T − 60)/z), by default z = 1/log₁₀ 1.393 = 6.947 K, i.e. Del Vecchio's t · 1.393^(T − 60); EBC practice also uses z = 7.",
                "PU = t · 10^((T − 60)/z)，默认 z = 1/log₁₀ 1.393 = 6.947 K，即 Del Vecchio 的 t · 1.393^(T − 60)；EBC 实践亦用 z = 7。",
            ),
            references: &[Reference {
                source: "Del Vecchio, H. W., Dayharsh, C. A., Baselt, F. C. (1951), Thermal death time studies on beer spoilage organisms, Proc. American Society of Brewing Chemists 1951:45–50",
                locator: "",
            }],
        },
        eval: Eval::Scalar(pasteurisation),
    },
    Model {
        card: ModelCard {
            id: "food.q10_shelf_life",
            version: 1,
            name: Text::new(
                "Shelf life at another temperature (Q10)",
                "Q10 货架期温度换算",
            ),
            summary: Text::new(
                "Shelf life at a storage temperature from a known shelf life, by the Q10 rule.",
                "由已知温度下的货架期，按 Q10 规则推算另一储存温度下的货架期。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C13", "C14", "C15", "C27"],
            domains: &[Domain::Logistics, Domain::Service],
            inputs: &[
                Port::new("life", "Known shelf life", "已知货架期", "d", 0.0, 1e7),
                Port::new(
                    "T1",
                    "Temperature of the known life",
                    "已知货架期温度",
                    "°C",
                    -80.0,
                    100.0,
                ),
                Port::new("T2", "Storage temperature", "储存温度", "°C", -80.0, 100.0),
                Port::new(
                    "Q10",
                    "Q10 (rate rise per 10 K)",
                    "Q10（每升高 10 K 速率倍数）",
                    "",
                    1.0,
                    10.0,
                )
                .default(2.0),
            ],
            outputs: &[Port::out(
                "life2",
                "Shelf life at the storage temperature",
                "储存温度下货架期",
                "d",
            )],
            formula: Text::new(
                "SL(T₂) = SL(T₁) · Q10^((T₁ − T₂)/10).",
                "SL(T₂) = SL(T₁) · Q10^((T₁ − T₂)/10)。",
            ),
            references: &[Reference {
                source: "Labuza, T. P., Shelf-life Dating of Foods, Food & Nutrition Press, 1982",
                locator: "ch. 1, temperature acceleration",
            }],
        },
        eval: Eval::Scalar(q10),
    },
    Model {
        card: ModelCard {
            id: "steel.carbon_equivalent",
            version: 1,
            name: Text::new(
                "Carbon equivalents of steel (CEV, Pcm, CET)",
                "钢的碳当量（CEV、Pcm、CET）",
            ),
            summary: Text::new(
                "Weldability indices of a steel from its composition: IIW CEV, Ito–Bessyo Pcm and CET.",
                "由钢的化学成分计算焊接性指数：IIW 碳当量 CEV、Ito–Bessyo Pcm 与 CET。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C31", "C33", "C34", "C37"],
            domains: &[Domain::Design, Domain::Production],
            inputs: &[
                Port::new("C", "Carbon", "碳", "%", 0.0, 2.0),
                Port::new("Si", "Silicon", "硅", "%", 0.0, 5.0).default(0.0),
                Port::new("Mn", "Manganese", "锰", "%", 0.0, 20.0).default(0.0),
                Port::new("Cr", "Chromium", "铬", "%", 0.0, 30.0).default(0.0),
                Port::new("Mo", "Molybdenum", "钼", "%", 0.0, 10.0).default(0.0),
                Port::new("V", "Vanadium", "钒", "%", 0.0, 5.0).default(0.0),
                Port::new("Ni", "Nickel", "镍", "%", 0.0, 40.0).default(0.0),
                Port::new("Cu", "Copper", "铜", "%", 0.0, 5.0).default(0.0),
                Port::new("B", "Boron", "硼", "%", 0.0, 0.1).default(0.0),
            ],
            outputs: &[
                Port::out("CEV", "CEV (IIW)", "CEV（IIW）", "%"),
                Port::out("Pcm", "Pcm", "Pcm", "%"),
                Port::out("CET", "CET", "CET", "%"),
            ],
            formula: Text::new(
                "CEV = C + Mn/6 + (Cr+Mo+V)/5 + (Ni+Cu)/15; Pcm = C + Si/30 + (Mn+Cu+Cr)/20 + Ni/60 + Mo/15 + V/10 + 5B; CET = C + (Mn+Mo)/10 + (Cr+Cu)/20 + Ni/40 (mass %).",
                "CEV = C + Mn/6 + (Cr+Mo+V)/5 + (Ni+Cu)/15；Pcm = C + Si/30 + (Mn+Cu+Cr)/20 + Ni/60 + Mo/15 + V/10 + 5B；CET = C + (Mn+Mo)/10 + (Cr+Cu)/20 + Ni/40（质量分数 %）。",
            ),
            references: &[
                Reference {
                    source: EN_1011_2,
                    locator: "annex C, C.2 (CEV) and C.3 (CET)",
                },
                Reference {
                    source: "Ito, Y., Bessyo, K. (1968), Weldability formula of high strength steels related to heat-affected zone cracking, IIW Doc. IX-576-68",
                    locator: "Pcm",
                },
            ],
        },
        eval: Eval::Scalar(carbon_equivalent),
    },
    Model {
        card: ModelCard {
            id: "weld.heat_input",
            version: 1,
            name: Text::new("Welding arc energy and heat input", "焊接电弧能量与热输入"),
            summary: Text::new(
                "Arc energy and heat input per length of weld from voltage, current, travel speed and the process's thermal efficiency.",
                "由电压、电流、焊接速度和工艺热效率计算单位焊缝长度的电弧能量和热输入。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C33", "C34", "C37", "E48"],
            domains: &[Domain::Production],
            inputs: &[
                Port::new("U", "Arc voltage", "电弧电压", "V", 0.0, 200.0),
                Port::new("I", "Welding current", "焊接电流", "A", 0.0, 5000.0),
                Port::new("v", "Travel speed", "焊接速度", "mm/s", 1e-6, 1e4),
                Port::choice(
                    "process",
                    "Process",
                    "焊接方法",
                    &["saw", "mma", "mig_mag", "fcaw", "tig", "plasma"],
                )
                .default(2.0),
            ],
            outputs: &[
                Port::out("E", "Arc energy", "电弧能量", "kJ/mm"),
                Port::out("Q", "Heat input", "热输入", "kJ/mm"),
            ],
            formula: Text::new(
                "E = U I / v; Q = k E with k = 1.0 SAW, 0.8 MMA, MIG/MAG and FCAW, 0.6 TIG and plasma.",
                "E = U I / v；Q = k E，埋弧焊 k = 1.0，焊条电弧焊、熔化极气保焊、药芯焊 0.8，钨极氩弧焊与等离子焊 0.6。",
            ),
            references: &[Reference {
                source: "EN 1011-1:2009, Welding — Recommendations for welding of metallic materials — Part 1: General guidance for arc welding",
                locator: "§8.7 and table 1",
            }],
        },
        eval: Eval::Scalar(heat_input),
    },
    Model {
        card: ModelCard {
            id: "weld.preheat_cet",
            version: 1,
            name: Text::new(
                "Preheat temperature against hydrogen cracking (CET method)",
                "防氢致裂纹预热温度（CET 法）",
            ),
            summary: Text::new(
                "Minimum preheat temperature of a ferritic steel weld from CET, plate thickness, diffusible hydrogen and heat input.",
                "由 CET、板厚、扩散氢含量和热输入计算铁素体钢焊接的最低预热温度。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C33", "C34", "C37", "E48"],
            domains: &[Domain::Production, Domain::Design],
            inputs: &[
                Port::new("CET", "Carbon equivalent CET", "碳当量 CET", "%", 0.2, 0.5),
                Port::new("d", "Plate thickness", "板厚", "mm", 10.0, 90.0),
                Port::new(
                    "HD",
                    "Diffusible hydrogen",
                    "扩散氢含量",
                    "mL/(100 g)",
                    1.0,
                    20.0,
                ),
                Port::new("Q", "Heat input", "热输入", "kJ/mm", 0.5, 4.0),
            ],
            outputs: &[
                Port::out("T_formula", "Value of the formula", "公式计算值", "°C"),
                Port::out(
                    "T_p",
                    "Preheat temperature (none when not above 0 °C)",
                    "预热温度（不高于 0 °C 时不预热）",
                    "°C",
                ),
            ],
            formula: Text::new(
                "T_p = 697 CET + 160 tanh(d/35) + 62 HD^0.35 + (53 CET − 32) Q − 328.",
                "T_p = 697 CET + 160 tanh(d/35) + 62 HD^0.35 + (53 CET − 32) Q − 328。",
            ),
            references: &[Reference {
                source: EN_1011_2,
                locator: "annex C, C.3 (method B)",
            }],
        },
        eval: Eval::Scalar(preheat),
    },
    Model {
        card: ModelCard {
            id: "chem.arrhenius_rate",
            version: 1,
            name: Text::new("Arrhenius rate constant", "阿伦尼乌斯速率常数"),
            summary: Text::new(
                "Rate constant at a temperature from the pre-exponential factor and activation energy, and the rate ratio to another temperature (accelerated ageing factor).",
                "由指前因子和活化能计算某温度下的速率常数，以及与另一温度的速率比（加速老化因子）。",
            ),
            kind: ModelKind::Mechanism,
            industries: &["C26", "C27", "C39", "C29"],
            domains: &[Domain::Design, Domain::Production],
            inputs: &[
                Port::new("A", "Pre-exponential factor", "指前因子", "1/s", 0.0, 1e30),
                Port::new("Ea", "Activation energy", "活化能", "J/mol", 0.0, 1e7),
                Port::new("T", "Temperature", "温度", "K", 1.0, 5000.0),
                Port::new("T2", "Second temperature", "第二温度", "K", 1.0, 5000.0),
            ],
            outputs: &[
                Port::out("k", "Rate constant at T", "T 下速率常数", "1/s"),
                Port::out("ratio", "Rate ratio k(T₂)/k(T)", "速率比 k(T₂)/k(T)", ""),
            ],
            formula: Text::new(
                "k = A e^(−E_a/(R T)); k(T₂)/k(T) = e^((E_a/R)(1/T − 1/T₂)), R = 8.314462618 J/(mol·K).",
                "k = A e^(−E_a/(R T))；k(T₂)/k(T) = e^((E_a/R)(1/T − 1/T₂))，R = 8.314462618 J/(mol·K)。",
            ),
            references: &[Reference {
                source: LEVENSPIEL,
                locator: "ch. 2, Eq. 2.34–2.35",
            }],
        },
        eval: Eval::Scalar(arrhenius),
    },
    Model {
        card: ModelCard {
            id: "chem.reactor_conversion",
            version: 1,
            name: Text::new(
                "First-order conversion in ideal reactors",
                "理想反应器一级反应转化率",
            ),
            summary: Text::new(
                "Conversion of a first-order reaction in a stirred tank, a plug-flow reactor and a cascade of equal stirred tanks.",
                "一级反应在全混釜、平推流反应器和等体积多釜串联中的转化率。",
            ),
            kind: ModelKind::Simulation,
            industries: &["C26", "C27", "C25"],
            domains: &[Domain::Design],
            inputs: &[
                Port::new("k", "Rate constant", "速率常数", "1/s", 0.0, 1e9),
                Port::new("tau", "Space time", "空时", "s", 0.0, 1e9),
                Port::new("n", "Tanks in the cascade", "串联釜数", "", 1.0, 1000.0).default(3.0),
            ],
            outputs: &[
                Port::out("X_cstr", "Conversion, one stirred tank", "单釜转化率", ""),
                Port::out("X_pfr", "Conversion, plug flow", "平推流转化率", ""),
                Port::out(
                    "X_cascade",
                    "Conversion, n equal tanks",
                    "多釜串联转化率",
                    "",
                ),
            ],
            formula: Text::new(
                "Da = kτ; CSTR X = Da/(1 + Da); PFR X = 1 − e^(−Da); n tanks X = 1 − (1 + Da/n)^(−n).",
                "Da = kτ；全混釜 X = Da/(1 + Da)；平推流 X = 1 − e^(−Da)；n 釜串联 X = 1 − (1 + Da/n)^(−n)。",
            ),
            references: &[Reference {
                source: LEVENSPIEL,
                locator: "ch. 5, Eq. 5.14 and 5.17; ch. 6, Eq. 6.6",
            }],
        },
        eval: Eval::Scalar(reactors),
    },
];
